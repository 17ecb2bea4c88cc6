// observers/admm.hpp: MNN's ADMM weight-range optimization (per output channel).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// alibaba/MNN tools/quantization/quantizeWeight.cpp QuantizeWeightADMM (reference/SEMANTICS.md
// section 7.2), for each channel's weights w[0..n):
//   alpha = max|w| / (clamp * 1.25)              (clamp > 1; mean|w| when clamp <= 1)
//   repeat exactly 1000 times (no convergence test):
//     q[i]  = clamp(roundf(w[i] / (alpha + 1e-9)), -clamp, clamp)       (roundf: half away from zero)
//     alpha = sum(w[i] * q[i]) / (sum(q[i]^2) + 1e-9)                  (float32 sums in index order)
//   scale = alpha
// Everything is float32 as in MNN (1e-9 is the float 1e-9f). clamp is the symmetric bound: 127
// for int8 (MNN's default), 7 for int4; MNN requires clamp >= 7 (not checked there; here
// errc::invalid_argument).
//
// Channels are rows of a [channels][inner] row-major array (the output-channel axis first, as
// MNN's weights are laid out). A channel of all zeros gives alpha 0 (MNN's scale 0); qlin reports
// it as is, and admm_qparams refuses it (errc::degenerate_range), since a scale of 0 cannot
// quantize. Non-finite weights: errc::non_finite_input (MNN does not define them). The result
// depends on the order of the weights within a channel (float32 sums); ADMM is a function of the
// whole weight tensor, so it has no streaming, merge or serialized state.
#ifndef QLIN_OBSERVERS_ADMM_HPP_
#define QLIN_OBSERVERS_ADMM_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../params.hpp"
#include "../result.hpp"

namespace qlin {

/// ADMM scale (alpha) of one channel; see the header comment.
inline result<float> admm_scale(const float* w, std::size_t n, float clamp = 127.0f, int iterations = 1000) {
  if (w == nullptr || n == 0) return fail(errc::invalid_argument, "ADMM needs at least one weight");
  if (!(clamp >= 7.0f) || !std::isfinite(clamp)) return fail(errc::invalid_argument, "the clamp value must be >= 7");
  if (iterations < 0) return fail(errc::invalid_argument, "the iteration count must be >= 0");
  float amax = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(w[i])) return fail(errc::non_finite_input, "ADMM weights must be finite");
    const float a = std::fabs(w[i]);
    amax = a > amax ? a : amax;
  }
  float alpha = amax / (clamp * 1.25f);
  std::vector<float> q(n);
  for (int it = 0; it < iterations; ++it) {
    const float denom = alpha + 1e-9f;
    for (std::size_t i = 0; i < n; ++i) {
      float v = std::round(w[i] / denom);
      v = v < -clamp ? -clamp : v > clamp ? clamp : v;
      q[i] = v;
    }
    float num = 0.0f, den = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
      num += w[i] * q[i];
      den += q[i] * q[i];
    }
    alpha = num / (den + 1e-9f);
  }
  return alpha;
}

/// ADMM scales of every channel of a [channels][inner] row-major array.
inline result<std::vector<float>> admm_scales(const float* w, std::size_t channels, std::size_t inner, float clamp = 127.0f,
                                              int iterations = 1000) {
  if (channels == 0) return fail(errc::invalid_argument, "ADMM needs at least one channel");
  std::vector<float> out(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const result<float> s = admm_scale(w + c * inner, inner, clamp, iterations);
    if (!s) return s.error();
    out[c] = *s;
  }
  return out;
}

/// Symmetric parameters from an ADMM scale: scale = alpha, zero point 0 (signed) or the
/// unsigned midpoint, range [-clamp, clamp] shifted by it; clamp = (qmax - qmin) / 2 of the range
/// options (127 for int8 with --narrow or the full range). errc::degenerate_range for alpha 0.
inline result<quant_params> admm_qparams(float alpha, const qparams_options& opt = {}) {
  const result<qrange> r = make_qrange(opt.type, opt.range);
  if (!r) return r.error();
  if (!(alpha > 0.0f) || !std::isfinite(alpha)) return fail(errc::degenerate_range, "the ADMM scale is 0 (an all-zero channel)");
  std::int32_t zp = 0;
  if (!is_signed(opt.type)) zp = r->qmin + (r->qmax - r->qmin + 1) / 2;
  return quant_params{alpha, zp, r->qmin, r->qmax};
}

/// The clamp value MNN would use for a range: floor((qmax - qmin) / 2) (127 for int8).
inline float admm_clamp(const qrange& r) noexcept { return static_cast<float>((r.qmax - r.qmin) / 2); }

}  // namespace qlin

#endif  // QLIN_OBSERVERS_ADMM_HPP_
