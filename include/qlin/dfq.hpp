// dfq.hpp: data-free quantization (Nagel, van Baalen, Blankevoort, Welling, "Data-Free Quantization Through
// Weight Equalization and Bias Correction", ICCV 2019, arXiv:1906.04721): cross-layer equalization (CLE) and
// bias correction. Scalar, float weights in, float weights out; quantize the result with any qlin scheme.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Cross-layer equalization of two consecutive layers   y = W2 relu(W1 x + b1) + b2,
// W1: [C][in] (row c = output channel c of layer 1), b1: [C], W2: [out][C] (column c = input channel c of layer 2),
// row-major. For each channel c:
//   r1_c = max_k |W1[c, k]|            (range of the output channel c of layer 1)
//   r2_c = max_o |W2[o, c]|            (range of the input channel c of layer 2)
//   s_c  = (1 / r2_c) * sqrt(r1_c * r2_c)      (= sqrt(r1_c / r2_c); computed in double as
//                                               sqrt(r1_c * r2_c) / r2_c and rounded once to float)
//   s_c  = 1 when r1_c == 0 or r2_c == 0      (a dead channel: nothing to balance; left untouched)
//   W1[c, :] /= s_c,   b1[c] /= s_c,   W2[:, c] *= s_c      (float32 division / multiplication)
// Afterwards both ranges equal sqrt(r1_c * r2_c) (up to one float rounding each), so r1_c / r2_c is 1 for every
// channel: the paper's optimum of sum_c (r1_c / R1)(r2_c / R2), the product of per-channel precisions under
// per-tensor quantization. The FP32 function is unchanged because relu(x / s) = relu(x) / s for s > 0; the same
// holds for every positively homogeneous activation (identity, ReLU, LeakyReLU / PReLU with the slope shared by
// the channel), not for ReLU6 or other clipping (the clip would have to become 6 / s_c), nor for layers with a
// normalisation between them (fold it first). Deeper networks: apply to each consecutive pair, and repeat over
// the chain until the scales are close to 1 (the paper iterates; equalize_cross_layer returns the scales).
//
// Bias correction (section 4.2 of the paper): quantized weights W_q = dequantize(quantize(W)) shift the expected
// output by   E[(W_q - W) x] = (W_q - W) E[x]   per output channel; subtracting it from the bias,
//   b[o] <- f32( b[o] - sum_k (W_q[o, k] - W[o, k]) * E[x_k] )       (the sum and the subtraction in double)
// makes the quantized layer's expected output equal the float layer's. E[x] is the mean input of the layer:
// measured on a few samples, or data-free from the previous layer's batch-norm (beta, gamma) through a ReLU
// with relu_normal_mean(beta, |gamma|) (the paper's clipped-normal expectation).
//
// Errors: a NaN or +-Inf weight (errc::non_finite_input), or a scale whose float value is 0, infinite or has an
// infinite reciprocal (ranges more than ~2^250 apart; errc::invalid_scale). On error nothing is modified. Empty
// layers (C == 0) do nothing. Pointers need no alignment; the arrays must not overlap.
#ifndef QLIN_DFQ_HPP_
#define QLIN_DFQ_HPP_

#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

#include "config.hpp"
#include "result.hpp"

namespace qlin {

namespace detail {
inline float dfq_load(const float* p, std::size_t i) noexcept {
  float v;
  std::memcpy(&v, p + i, sizeof v);
  return v;
}
inline void dfq_store(float* p, std::size_t i, float v) noexcept { std::memcpy(p + i, &v, sizeof v); }
}  // namespace detail

/// The per-channel ranges r1_c = max_k |W1[c, k]| of a [channels][in] matrix (row maxima of |W1|).
inline status row_abs_max(const float* w, std::size_t rows, std::size_t cols, float* r) noexcept {
  QLIN_ASSERT(rows == 0 || (w != nullptr && r != nullptr));
  for (std::size_t c = 0; c < rows; ++c) {
    float m = 0.0f;
    for (std::size_t k = 0; k < cols; ++k) {
      const float a = std::fabs(detail::dfq_load(w, c * cols + k));
      if (!std::isfinite(a)) return fail(errc::non_finite_input, "a weight is NaN or infinite");
      m = a > m ? a : m;
    }
    r[c] = m;
  }
  return ok();
}

/// The per-channel ranges r2_c = max_o |W2[o, c]| of an [out][channels] matrix (column maxima of |W2|).
inline status col_abs_max(const float* w, std::size_t rows, std::size_t cols, float* r) noexcept {
  QLIN_ASSERT(cols == 0 || (w != nullptr && r != nullptr));
  for (std::size_t c = 0; c < cols; ++c) r[c] = 0.0f;
  for (std::size_t o = 0; o < rows; ++o) {
    for (std::size_t c = 0; c < cols; ++c) {
      const float a = std::fabs(detail::dfq_load(w, o * cols + c));
      if (!std::isfinite(a)) return fail(errc::non_finite_input, "a weight is NaN or infinite");
      r[c] = a > r[c] ? a : r[c];
    }
  }
  return ok();
}

/// The CLE scale of one channel: f32(sqrt(r1 * r2) / r2) in double, or 1 when r1 or r2 is 0.
inline float cle_scale(float r1, float r2) noexcept {
  if (r1 == 0.0f || r2 == 0.0f) return 1.0f;
  const double a = static_cast<double>(r1), b = static_cast<double>(r2);
  return static_cast<float>(std::sqrt(a * b) / b);
}

/// Cross-layer equalization of y = W2 relu(W1 x + b1) + b2 in place (see the top of this header).
/// w1: [channels][in], b1: [channels] or null (no bias), w2: [out][channels]. If `scales` is not null it
/// receives s_c for each channel.
inline status equalize_cross_layer(float* w1, float* b1, std::size_t channels, std::size_t in, float* w2,
                                   std::size_t out, float* scales = nullptr) {
  if (channels == 0) return ok();
  QLIN_ASSERT(w1 != nullptr || in == 0);
  QLIN_ASSERT(w2 != nullptr || out == 0);
  std::vector<float> r1(channels), r2(channels), s(channels);
  status st = row_abs_max(w1, channels, in, r1.data());
  if (!st) return st;
  st = col_abs_max(w2, out, channels, r2.data());
  if (!st) return st;
  if (b1 != nullptr) {
    for (std::size_t c = 0; c < channels; ++c) {
      if (!std::isfinite(detail::dfq_load(b1, c))) return fail(errc::non_finite_input, "a bias is NaN or infinite");
    }
  }
  for (std::size_t c = 0; c < channels; ++c) {
    s[c] = cle_scale(r1[c], r2[c]);
    if (!(s[c] > 0.0f) || !std::isfinite(s[c]) || !std::isfinite(1.0f / s[c])) {
      return fail(errc::invalid_scale, "the ranges of a channel are too far apart for a float scale");
    }
  }
  for (std::size_t c = 0; c < channels; ++c) {
    if (s[c] == 1.0f) continue;
    for (std::size_t k = 0; k < in; ++k) detail::dfq_store(w1, c * in + k, detail::dfq_load(w1, c * in + k) / s[c]);
    if (b1 != nullptr) detail::dfq_store(b1, c, detail::dfq_load(b1, c) / s[c]);
  }
  for (std::size_t o = 0; o < out; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      if (s[c] != 1.0f) detail::dfq_store(w2, o * channels + c, detail::dfq_load(w2, o * channels + c) * s[c]);
    }
  }
  if (scales != nullptr) {
    for (std::size_t c = 0; c < channels; ++c) detail::dfq_store(scales, c, s[c]);
  }
  return ok();
}

/// Bias correction: bias[o] <- f32(bias[o] - sum_k (w_quantized[o, k] - w[o, k]) * input_mean[k]), the sum in
/// double. w and w_quantized are [out][in] (w_quantized = dequantize(quantize(w)), any scheme).
inline void correct_bias(const float* w, const float* w_quantized, std::size_t out, std::size_t in,
                         const float* input_mean, float* bias) noexcept {
  QLIN_ASSERT(out == 0 || (w != nullptr && w_quantized != nullptr && bias != nullptr));
  QLIN_ASSERT(in == 0 || out == 0 || input_mean != nullptr);
  for (std::size_t o = 0; o < out; ++o) {
    double e = 0.0;
    for (std::size_t k = 0; k < in; ++k) {
      const double d = static_cast<double>(detail::dfq_load(w_quantized, o * in + k)) -
                       static_cast<double>(detail::dfq_load(w, o * in + k));
      e += d * static_cast<double>(detail::dfq_load(input_mean, k));
    }
    detail::dfq_store(bias, o, static_cast<float>(static_cast<double>(detail::dfq_load(bias, o)) - e));
  }
}

/// E[max(0, X)] for X ~ N(mu, sigma^2):  mu * Phi(mu / sigma) + sigma * phi(mu / sigma)  (Phi, phi: the standard
/// normal CDF and density), in double; max(mu, 0) when sigma == 0. The data-free input mean of a layer that
/// follows batch norm (mu = beta, sigma = |gamma|) and a ReLU.
inline double relu_normal_mean(double mu, double sigma) noexcept {
  sigma = std::fabs(sigma);
  if (sigma == 0.0) return mu > 0.0 ? mu : 0.0;
  const double t = mu / sigma;
  const double cdf = 0.5 * std::erfc(-t / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * t * t) / std::sqrt(2.0 * 3.14159265358979323846);
  return mu * cdf + sigma * pdf;
}

}  // namespace qlin

#endif  // QLIN_DFQ_HPP_
