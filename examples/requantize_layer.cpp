// requantize_layer.cpp: the output stage of an int8 layer. int32 accumulators -> int8 with an int32
// bias, one Q31 multiplier per output channel and ReLU6 folded into the clamp (TFLite's arithmetic).
// Exit status 0 when every output is within one code of the exact real result.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/quant.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  constexpr std::size_t rows = 4, channels = 3, depth = 16;  // y[rows][channels] = x[rows][depth] W^T + b
  const float sx = 0.02f;                                    // input scale; input zero point zx = 3
  const std::int32_t zx = 3;
  const float sw[channels] = {0.004f, 0.011f, 0.0075f};      // per-channel symmetric weight scales
  const float bias[channels] = {0.25f, -0.5f, 1.0f};         // float biases
  std::vector<std::int32_t> acc(rows * channels);            // sum_k (x - zx) * w, as a GEMM computes it
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < channels; ++c) {
      std::int32_t s = 0;
      for (std::size_t k = 0; k < depth; ++k) {
        const auto x = static_cast<std::int32_t>((r * 37 + k * 11) % 256) - 128;
        const auto w = static_cast<std::int32_t>((c * 53 + k * 29 + r) % 255) - 127;
        s += (x - zx) * w;
      }
      acc[r * channels + c] = s;
    }
  }

  // [snippet main]
  // Output: int8 with parameters calibrated on [-4, 8]; ReLU6 keeps the reals in [0, 6].
  const qlin::quant_params out = qlin::choose_qparams(-4.0f, 8.0f).value();
  const qlin::qrange relu6 = qlin::make_activation_range(out.scale, out.zero_point, out.range(), 0.0f, 6.0f).value();
  // Bias in accumulator units: b[c] / (sx * sw[c]), rounded half to even.
  std::vector<std::int32_t> qbias(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const double b = static_cast<double>(bias[c]) / (static_cast<double>(sx) * static_cast<double>(sw[c]));
    qbias[c] = static_cast<std::int32_t>(qlin::round_half_even(b));
  }
  // M[c] = sx * sw[c] / sy as (Q31 mantissa, shift); TFLite's double rounding.
  const qlin::result<qlin::per_channel_requantize_params> rq = qlin::make_requantize_params_per_channel(
      sx, sw, channels, out.scale, out.zero_point, relu6, qlin::requant_rounding::double_rounding);
  if (!rq) return std::printf("error: %s\n", rq.error().message), 1;
  std::vector<std::int8_t> y(rows * channels);
  qlin::requantize_rows(acc.data(), rows, channels, qbias.data(), y.data(), *rq);
  // [end snippet]

  std::printf("output scale %.6g, zero point %d, ReLU6 clamp [%d, %d]\n", out.scale, out.zero_point, relu6.qmin,
              relu6.qmax);
  bool ok = true;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < channels; ++c) {
      const std::size_t i = r * channels + c;
      const double real = static_cast<double>(sx) * static_cast<double>(sw[c]) * (acc[i] + qbias[c]);
      const double want = std::clamp(out.zero_point + real / static_cast<double>(out.scale),
                                     static_cast<double>(relu6.qmin), static_cast<double>(relu6.qmax));
      ok = ok && std::fabs(y[i] - want) <= 1.0;
      std::printf("%8d -> %4d (real %7.3f, relu6 %5.3f)%s", acc[i], y[i], real, std::clamp(real, 0.0, 6.0),
                  c + 1 == channels ? "\n" : "   ");
    }
  }
  std::printf("%s\n", ok ? "ok: every output within one code of the exact result" : "FAILED");
  return ok ? 0 : 1;
}
