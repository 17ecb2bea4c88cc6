// quantize_tensor.cpp: choose parameters for one float tensor, quantize it to int8, dequantize it
// and measure the error. Exit status 0 when every in-range value comes back within half a step.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/quant.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  std::vector<float> x(4096);  // an activation-like tensor: a skewed wave in [-2.5, 3.5]
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f + 3.0f * std::sin(0.01f * static_cast<float>(i));

  // [snippet main]
  qlin::minmax_observer observer;  // PyTorch's MinMaxObserver; skips and counts NaN / Inf
  observer.observe(x.data(), x.size());
  qlin::qparams_options opt;  // int8, affine, full range, compat::pytorch
  const qlin::result<qlin::quant_params> p = observer.calculate_qparams(opt);
  if (!p) return std::printf("error: %s\n", p.error().message), 1;

  std::vector<std::int8_t> q(x.size());
  std::vector<float> r(x.size());
  qlin::quantize(x.data(), x.size(), q.data(), *p);    // q = clamp(rne(x * f32(1/s)) + z, -128, 127)
  qlin::dequantize(q.data(), q.size(), r.data(), *p);  // r = f32(q - z) * s
  const qlin::error_stats e = qlin::compare(x.data(), r.data(), x.size());
  std::printf("range [%.4f, %.4f] -> scale %.9g, zero point %d\n", observer.min(), observer.max(), p->scale,
              p->zero_point);
  std::printf("SQNR %.2f dB, MSE %.3g, max |error| %.6f (half a step: %.6f)\n", e.sqnr_db(), e.mse(),
              e.max_abs_error(), 0.5 * p->scale);
  // [end snippet]

  // The round-trip error of an in-range value is at most s / 2 (plus float rounding of r).
  const bool ok = e.max_abs_error() <= 0.5 * p->scale * (1.0 + 1e-5) && e.sqnr_db() > 40.0;
  std::printf("%s\n", ok ? "ok" : "FAILED: error above half a step");
  return ok ? 0 : 1;
}
