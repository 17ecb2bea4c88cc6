// observers/entropy.hpp: clipping thresholds from a histogram: TensorRT's entropy (KL) search and
// the percentile rule, as free functions on a fixed (counts, edges) histogram.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// A histogram is `bins` counts and `bins + 1` ascending edges; count j covers [edges[j], edges[j+1]).
// For TensorRT-style calibration it is a histogram of |x| over [0, amax_observed]. Both functions
// return a clipping threshold amax (float32); the symmetric parameters then come from
// choose_qparams(-amax, amax, {.scheme = symmetric}).
//
// tensorrt_entropy_amax (NVIDIA pytorch-quantization calib/histogram.py _compute_amax_entropy,
// reference/SEMANTICS.md section 6.1), exactly:
//   1. bins = counts with bins[0] := bins[1] (the caller's array is NOT modified, unlike the
//      Python original); total = sum(bins).
//   2. nq = 2^(num_bits - 1 + is_unsigned): 128 for int8, 256 for uint8.
//   3. For i = start_bin, start_bin + stride, ... while i <= bins (inclusive):
//        bin j < i maps to level k(j) = floor(j * nq / i); empty bins are excluded;
//        q[j] = (sum of bins with level k(j)) / (number of non-empty bins with level k(j)) for
//        non-empty j, 0 for empty j;
//        p = bins[0..i), p[i-1] += sum(bins[i..)) (the tail folds into the last kept bin; q gets none);
//        KL(i) = sum over p > 0 of P ln(P / Q), P = p / sum(p), Q = q / sum(q), with +Inf where
//        p > 0 = q and NaN when sum(q) == 0 (scipy.stats.entropy; no smoothing).
//   4. i* = the LAST i of minimal KL (ties go to the larger i). A NaN KL wins, as numpy's argmin
//      returns the first NaN of the reversed list: i* is then the largest i with a NaN KL (this
//      happens when bins[0..i) are all empty).
//   5. amax = f32(edges[i*]), the right edge of the last kept bin.
//   The KL sums are formed in double, in index order; numpy sums pairwise, so an exact tie
//   between two candidates can in principle resolve differently. DESIGN.md section 4 asks for
//   TensorRT's threshold to within one bin.
//
// percentile_amax (same source, _compute_amax_percentile): cdf[j] = sum_{m <= j} counts[m] / total
// (double, in order), idx = the first j with cdf[j] >= percentile / 100, amax = f32(edges[idx]).
// The percentile must lie in [0, 100].
//
// Errors: errc::invalid_argument for a null or empty histogram, bins + 1 edges that are not
// finite and ascending, num_bits outside [2, 16], stride 0, or start_bin outside [1, bins];
// errc::no_finite_values for a histogram with no counts (percentile; the entropy search follows
// TensorRT and returns edges[bins], see step 4).
#ifndef QLIN_OBSERVERS_ENTROPY_HPP_
#define QLIN_OBSERVERS_ENTROPY_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../result.hpp"

namespace qlin {

/// Options of tensorrt_entropy_amax (the defaults are TensorRT's).
struct entropy_options {
  /// Bits of the quantized type (TensorRT: 8).
  int num_bits = 8;
  /// An unsigned target: 2^num_bits levels instead of 2^(num_bits - 1).
  bool is_unsigned = false;
  /// Step, in bins, between two candidate thresholds.
  std::size_t stride = 1;
  /// The first candidate threshold, in bins (TensorRT: 128).
  std::size_t start_bin = 128;
};

namespace detail {

inline status check_histogram(const std::uint64_t* counts, const double* edges, std::size_t bins) noexcept {
  if (counts == nullptr || edges == nullptr || bins == 0) return fail(errc::invalid_argument, "the histogram is empty");
  for (std::size_t j = 0; j <= bins; ++j) {
    if (!std::isfinite(edges[j])) return fail(errc::invalid_argument, "histogram edges must be finite");
    if (j > 0 && edges[j] < edges[j - 1]) return fail(errc::invalid_argument, "histogram edges must be ascending");
  }
  return ok();
}

/// KL(p || q) for one candidate i (see the header comment). `bins` is the modified histogram.
inline double tensorrt_kl(const std::vector<double>& bins, std::size_t i, std::size_t nq, double tail,
                          std::vector<double>& level_sum, std::vector<std::size_t>& level_n) {
  level_sum.assign(nq, 0.0);
  level_n.assign(nq, 0);
  for (std::size_t j = 0; j < i; ++j) {
    if (bins[j] == 0.0) continue;
    const std::size_t k = j * nq / i;
    level_sum[k] += bins[j];
    level_n[k] += 1;
  }
  double sum_p = tail;
  double sum_q = 0.0;
  for (std::size_t j = 0; j < i; ++j) {
    sum_p += bins[j];
    if (bins[j] != 0.0) {
      const std::size_t k = j * nq / i;
      sum_q += level_sum[k] / static_cast<double>(level_n[k]);
    }
  }
  if (!(sum_q > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  double kl = 0.0;
  for (std::size_t j = 0; j < i; ++j) {
    const double p = (j + 1 == i ? bins[j] + tail : bins[j]) / sum_p;
    if (!(p > 0.0)) continue;
    double q = 0.0;
    if (bins[j] != 0.0) {
      const std::size_t k = j * nq / i;
      q = level_sum[k] / static_cast<double>(level_n[k]) / sum_q;
    }
    if (!(q > 0.0)) return std::numeric_limits<double>::infinity();
    kl += p * std::log(p / q);
  }
  return kl;
}

}  // namespace detail

/// TensorRT's entropy calibration threshold for a histogram of |x| (see the header comment).
inline result<float> tensorrt_entropy_amax(const std::uint64_t* counts, const double* edges, std::size_t bins,
                                           const entropy_options& opt = {}) {
  const status s = detail::check_histogram(counts, edges, bins);
  if (!s) return s.error();
  if (opt.num_bits < 2 || opt.num_bits > 16) return fail(errc::invalid_argument, "num_bits must lie in [2, 16]");
  if (opt.stride == 0) return fail(errc::invalid_argument, "the stride must be positive");
  if (opt.start_bin == 0 || opt.start_bin > bins) return fail(errc::invalid_argument, "start_bin must lie in [1, bins]");
  std::vector<double> h(bins);
  for (std::size_t j = 0; j < bins; ++j) h[j] = static_cast<double>(counts[j]);
  if (bins > 1) h[0] = h[1];
  const std::size_t nq = std::size_t{1} << (opt.num_bits - 1 + (opt.is_unsigned ? 1 : 0));
  // suffix[i] = sum(h[i..bins)), exact in double for counts below 2^53.
  std::vector<double> suffix(bins + 1, 0.0);
  for (std::size_t j = bins; j-- > 0;) suffix[j] = suffix[j + 1] + h[j];
  std::vector<double> level_sum;
  std::vector<std::size_t> level_n;
  std::size_t best_i = 0;
  double best = std::numeric_limits<double>::infinity();
  bool have = false;
  bool best_is_nan = false;
  for (std::size_t i = opt.start_bin; i <= bins; i += opt.stride) {
    const double kl = detail::tensorrt_kl(h, i, nq, suffix[i], level_sum, level_n);
    if (std::isnan(kl)) {
      best_is_nan = true;
      best_i = i;
    } else if (!best_is_nan && (!have || kl <= best)) {
      best = kl;
      best_i = i;
    }
    have = true;
    if (bins - i < opt.stride) break;
  }
  return static_cast<float>(edges[best_i]);
}

/// The percentile threshold: edges[first j with cdf[j] >= percentile / 100].
inline result<float> percentile_amax(const std::uint64_t* counts, const double* edges, std::size_t bins, double percentile) {
  const status s = detail::check_histogram(counts, edges, bins);
  if (!s) return s.error();
  if (!(percentile >= 0.0 && percentile <= 100.0)) return fail(errc::invalid_argument, "the percentile must lie in [0, 100]");
  double total = 0.0;
  for (std::size_t j = 0; j < bins; ++j) total += static_cast<double>(counts[j]);
  if (!(total > 0.0)) return fail(errc::no_finite_values, "the histogram holds no values");
  const double target = percentile / 100.0;
  double cdf = 0.0;
  std::size_t idx = bins;  // numpy's searchsorted returns len(cdf) when every cdf < target
  for (std::size_t j = 0; j < bins; ++j) {
    cdf += static_cast<double>(counts[j]) / total;
    if (cdf >= target) {
      idx = j;
      break;
    }
  }
  return static_cast<float>(edges[idx]);
}

}  // namespace qlin

#endif  // QLIN_OBSERVERS_ENTROPY_HPP_
