// metrics.hpp: quantization error metrics (MSE, SQNR, cosine similarity, max absolute error), in one
// pass, accumulated in double, streaming and allocation-free (usable on a device).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// For a reference r (the float tensor) and a test t (e.g. dequantize(quantize(r))), n elements,
// e_i = t_i - r_i, all sums in double:
//   mse            = sum(e^2) / n
//   sqnr_db        = 10 * log10( sum(r^2) / sum(e^2) )           signal-to-quantization-noise ratio
//   cosine         = sum(r * t) / sqrt( sum(r^2) * sum(t^2) )
//   max_abs_error  = max |e_i|
//
// Defined answers (the same in every function here):
//   n == 0:                 mse 0, max_abs_error 0, sqnr +inf, cosine 1   (nothing differs)
//   identical tensors:      mse 0, max_abs_error 0, sqnr +inf, cosine exactly 1, whatever the signal
//   zero signal, e != 0:    sqnr -inf (10 log10 0)
//   all-zero r or t:        cosine 1 if both are all zero, else 0  (the angle is undefined; qlin says
//                           "identical" for two zero vectors and "orthogonal" otherwise)
//   NaN in r or t:          every metric is NaN; `nan_count` tells how many pairs had a NaN. The other
//                           pairs are still accumulated, so `count` and the sums stay meaningful.
//   equal values, Inf too:  a pair with t == r (including the same infinity) has e = 0; other
//                           infinities follow IEEE double arithmetic (sqnr and cosine may be NaN).
//
// error_stats is the streaming form: feed it chunks with add(), combine shards with merge() (sums and
// counts add, max takes the max; the result equals one pass over the concatenation up to the
// order of the double additions), read the metrics at any time. It holds a few doubles, allocates
// nothing, and its member functions are noexcept. The free functions are one-chunk shorthands.
// add_quantized() measures x against dequantize(quantize(x)) for given parameters element by element
// (quantize.hpp's arithmetic, so exactly what quantize + dequantize would give), without a buffer.
#ifndef QLIN_METRICS_HPP_
#define QLIN_METRICS_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "config.hpp"
#include "params.hpp"
#include "quantize.hpp"

namespace qlin {

/// Running sums for the error metrics of `test` against `reference`.
struct error_stats {
  std::uint64_t count = 0;      ///< pairs seen (NaN pairs included)
  std::uint64_t nan_count = 0;  ///< pairs where either side was NaN (left out of the sums)
  double sum_sq_error = 0.0;    ///< sum (t - r)^2
  double sum_sq_ref = 0.0;      ///< sum r^2
  double sum_sq_test = 0.0;     ///< sum t^2
  double sum_product = 0.0;     ///< sum r * t
  double max_abs = 0.0;         ///< max |t - r|

  /// Adds one pair (reference r, test t).
  void add(float r, float t) noexcept {
    ++count;
    if (r != r || t != t) {
      ++nan_count;
      return;
    }
    const double rd = static_cast<double>(r);
    const double td = static_cast<double>(t);
    const double e = r == t ? 0.0 : td - rd;
    sum_sq_error += e * e;
    sum_sq_ref += rd * rd;
    sum_sq_test += td * td;
    sum_product += rd * td;
    const double a = std::fabs(e);
    if (a > max_abs || a != a) max_abs = a;
  }

  /// Adds n pairs. Pointers may be unaligned; n == 0 does nothing.
  void add(const float* reference, const float* test, std::size_t n) noexcept {
    QLIN_ASSERT(n == 0 || (reference != nullptr && test != nullptr));
    for (std::size_t i = 0; i < n; ++i) add(detail::load(reference, i), detail::load(test, i));
  }

  /// Adds x against dequantize(quantize(x, p, m)), per tensor.
  void add_quantized(const float* x, std::size_t n, const quant_params& p,
                     quantize_method m = quantize_method{}) noexcept {
    QLIN_ASSERT(n == 0 || x != nullptr);
    QLIN_ASSERT(detail::params_valid(p.scale, p.zero_point, p.qmin, p.qmax));
    const float inv = 1.0f / p.scale;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = detail::load(x, i);
      const std::int32_t q = detail::quantize_one(v, p.scale, inv, p.zero_point, p.qmin, p.qmax, m);
      add(v, static_cast<float>(q - p.zero_point) * p.scale);
    }
  }

  /// Adds a [outer][channels][inner] tensor against its per-channel quantize + dequantize.
  void add_quantized_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                                 const per_channel_params& p, quantize_method m = quantize_method{}) noexcept {
    QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels);
    std::size_t i = 0;
    for (std::size_t o = 0; o < outer; ++o) {
      for (std::size_t c = 0; c < channels; ++c) {
        const float s = p.scales[c];
        const std::int32_t z = p.zero_points[c];
        QLIN_ASSERT(detail::params_valid(s, z, p.qmin, p.qmax));
        const float inv = 1.0f / s;
        for (std::size_t k = 0; k < inner; ++k, ++i) {
          const float v = detail::load(x, i);
          add(v, static_cast<float>(detail::quantize_one(v, s, inv, z, p.qmin, p.qmax, m) - z) * s);
        }
      }
    }
  }

  /// Adds x against already quantized codes q (dequantized as f32(q - z) * s on the fly).
  template <class T>
  void add_dequantized(const float* x, const T* q, std::size_t n, const quant_params& p) noexcept {
    static_assert(is_quantized_storage_v<T>, "add_dequantized reads int8_t, uint8_t or int16_t");
    QLIN_ASSERT(n == 0 || (x != nullptr && q != nullptr));
    for (std::size_t i = 0; i < n; ++i) {
      add(detail::load(x, i), static_cast<float>(static_cast<std::int32_t>(detail::load(q, i)) - p.zero_point) * p.scale);
    }
  }

  /// Combines another shard's sums into this one.
  void merge(const error_stats& o) noexcept {
    count += o.count;
    nan_count += o.nan_count;
    sum_sq_error += o.sum_sq_error;
    sum_sq_ref += o.sum_sq_ref;
    sum_sq_test += o.sum_sq_test;
    sum_product += o.sum_product;
    if (o.max_abs > max_abs || o.max_abs != o.max_abs) max_abs = o.max_abs;
  }

  /// Forgets everything: back to the state of a default-constructed error_stats.
  void reset() noexcept { *this = error_stats{}; }

  /// Mean squared error; 0 for no input; NaN if a NaN was seen.
  double mse() const noexcept {
    if (nan_count != 0) return std::numeric_limits<double>::quiet_NaN();
    return count == 0 ? 0.0 : sum_sq_error / static_cast<double>(count);
  }

  /// 10 log10(sum r^2 / sum e^2) in dB; +inf without error, -inf for a zero signal with error.
  double sqnr_db() const noexcept {
    if (nan_count != 0) return std::numeric_limits<double>::quiet_NaN();
    if (sum_sq_error == 0.0) return std::numeric_limits<double>::infinity();
    if (sum_sq_ref == 0.0) return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(sum_sq_ref / sum_sq_error);
  }

  /// Cosine similarity in [-1, 1]; 1 for no input or two all-zero tensors, 0 if only one is all zero.
  double cosine() const noexcept {
    if (nan_count != 0) return std::numeric_limits<double>::quiet_NaN();
    if (sum_sq_ref == 0.0 && sum_sq_test == 0.0) return 1.0;
    if (sum_sq_ref == 0.0 || sum_sq_test == 0.0) return 0.0;
    // sqrt(a * a) == a exactly in IEEE double, so identical tensors give exactly 1; fall back to
    // two square roots when the product over- or underflows.
    const double p = sum_sq_ref * sum_sq_test;
    const double norm = (p > 0.0 && std::isfinite(p)) ? std::sqrt(p) : std::sqrt(sum_sq_ref) * std::sqrt(sum_sq_test);
    double c = sum_product / norm;
    if (c > 1.0) c = 1.0;  // rounding can overshoot by an ulp
    if (c < -1.0) c = -1.0;
    return c;
  }

  /// max |t - r|; 0 for no input; NaN if a NaN was seen.
  double max_abs_error() const noexcept {
    return nan_count != 0 ? std::numeric_limits<double>::quiet_NaN() : max_abs;
  }
};

/// The metrics of `test` against `reference` over n elements, in one pass.
inline error_stats compare(const float* reference, const float* test, std::size_t n) noexcept {
  error_stats s;
  s.add(reference, test, n);
  return s;
}

/// The metrics of x against dequantize(quantize(x)) with per-tensor parameters.
inline error_stats quantization_error(const float* x, std::size_t n, const quant_params& p,
                                      quantize_method m = quantize_method{}) noexcept {
  error_stats s;
  s.add_quantized(x, n, p, m);
  return s;
}

/// compare(reference, test, n).mse().
inline double mse(const float* reference, const float* test, std::size_t n) noexcept {
  return compare(reference, test, n).mse();
}
/// compare(reference, test, n).sqnr_db().
inline double sqnr_db(const float* reference, const float* test, std::size_t n) noexcept {
  return compare(reference, test, n).sqnr_db();
}
/// compare(reference, test, n).cosine().
inline double cosine_similarity(const float* reference, const float* test, std::size_t n) noexcept {
  return compare(reference, test, n).cosine();
}
/// compare(reference, test, n).max_abs_error().
inline double max_abs_error(const float* reference, const float* test, std::size_t n) noexcept {
  return compare(reference, test, n).max_abs_error();
}

}  // namespace qlin

#endif  // QLIN_METRICS_HPP_
