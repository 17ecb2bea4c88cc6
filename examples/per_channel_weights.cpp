// per_channel_weights.cpp: int8 symmetric weights with one scale per output channel (axis 0 of a
// [out][in] matrix), against one scale for the whole tensor. Exit status 0 when per-channel
// quantization has the lower error.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/quant.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  constexpr std::size_t out = 8, in = 64;  // a Linear layer's weight, row c = output channel c
  std::vector<float> w(out * in);
  for (std::size_t c = 0; c < out; ++c) {
    const float magnitude = std::ldexp(1.0f, -static_cast<int>(c));  // rows span 2^0 .. 2^-7
    for (std::size_t k = 0; k < in; ++k) w[c * in + k] = magnitude * std::sin(static_cast<float>(c * in + k));
  }

  // [snippet main]
  qlin::qparams_options opt;
  opt.scheme = qlin::qscheme::symmetric;  // zero point 0: no zero-point term in the GEMM
  opt.range.narrow = true;                // codes -127..127, TFLite's weights

  // Per channel: the tensor seen as [outer = 1][channels = out][inner = in].
  qlin::per_channel_minmax_observer observer;
  if (!observer.observe(w.data(), 1, out, in)) return 1;
  const qlin::result<qlin::per_channel_params> pc = observer.calculate_qparams(opt);
  if (!pc) return std::printf("error: %s\n", pc.error().message), 1;
  std::vector<std::int8_t> q(w.size());
  std::vector<float> r(w.size());
  qlin::quantize_per_channel(w.data(), 1, out, in, q.data(), *pc);
  qlin::dequantize_per_channel(q.data(), 1, out, in, r.data(), *pc);
  const qlin::error_stats per_channel = qlin::compare(w.data(), r.data(), w.size());

  // Per tensor: one scale for the widest row.
  qlin::minmax_observer all;
  all.observe(w.data(), w.size());
  const qlin::error_stats per_tensor = qlin::quantization_error(w.data(), w.size(), all.calculate_qparams(opt).value());
  // [end snippet]

  std::printf("scales: channel 0 %.3g ... channel %zu %.3g\n", pc->scales.front(), out - 1, pc->scales.back());
  std::printf("per channel: SQNR %.2f dB, MSE %.3g\n", per_channel.sqnr_db(), per_channel.mse());
  std::printf("per tensor:  SQNR %.2f dB, MSE %.3g\n", per_tensor.sqnr_db(), per_tensor.mse());
  const bool ok = per_channel.mse() < per_tensor.mse();
  std::printf("%s\n", ok ? "ok: per-channel scales lose less" : "FAILED");
  return ok ? 0 : 1;
}
