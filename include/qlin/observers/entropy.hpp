// observers/entropy.hpp: clipping thresholds from a histogram: TensorRT's and ONNX Runtime's entropy
// (KL) searches and their percentile rules, as free functions on a fixed (counts, edges) histogram.
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
// onnxruntime_entropy_threshold (ONNX Runtime's HistogramCollector.get_entropy_threshold,
// microsoft/onnxruntime @ b15ffcdd9e362b9bd2e809b79b02b76611e281f1 calibrate.py, smooth_distribution
// in quant_utils.py @ 20e3ace0bbf50a3b69d8c33e76f212512938547a; reference/SEMANTICS.md section 6.2),
// on a SIGNED histogram symmetric about 0 (ort_histogram_observer in onnxruntime.hpp collects one):
//   1. zero = bins / 2, half = nq / 2 (nq = num_quantized_bins). For i = half .. zero:
//      start = zero - i, end = min(zero + i + 1, bins); the candidate is (edges[start], edges[end]).
//   2. p = counts[start..end) with the left outliers sum(counts[..start)) added to p[0] and the
//      right ones sum(counts[end..)) to p[last].
//   3. m = len / nq; group g (g < nq) covers [g m, (g + 1) m) of the slice WITHOUT outliers; the
//      leftover len - nq m bins are added to group nq - 1's sum but not expanded into. q over a
//      group = group sum / (number of non-zero p in the group), on every position of the group
//      (zeros included), truncated to int64; leftover positions keep q = 0.
//   4. smooth_distribution (eps = 1e-4, float32) on p and on q: zeros become f32(1e-4), non-zeros
//      f32(v) - f32(1e-4 n_zeros / n_nonzeros). An all-zero q gives KL = +Inf.
//   5. KL = sum P ln(P / Q), P and Q the smoothed p and q normalized, in float32 as
//      scipy.stats.entropy computes it for float32 input: np.sum (numpy's pairwise float32
//      summation), float32 division, rel_entr per element in double rounded to float32, np.sum.
//      The KL curve is flat near its minimum, so summing in double instead would move the
//      threshold by several bins. (numpy's and the C library's log may differ in the last bit of
//      a double, so exact ties can in principle still resolve differently; the tests ask for ONNX
//      Runtime's threshold to within one bin.)
//   6. The FIRST minimum wins; (lo, hi) = (edges[start], edges[end]), then lo = max(lo, data_min)
//      and hi = min(hi, data_max) (data_min / data_max: the observed range).
// With ONNX Runtime's defaults (bins = nq = 128, on a histogram that has not grown) there is one
// candidate: the whole range.
//
// onnxruntime_percentile_range (HistogramCollector.compute_percentile, symmetric=False, on the
// same signed histogram): cdf = cumsum(counts / total); lo = edges[first j with cdf[j] >=
// (100 - P) / 200], hi = edges[first j with cdf[j] >= 1 - (100 - P) / 200], clipped the same way.
//
// Errors: errc::invalid_argument for a null or empty histogram, bins + 1 edges that are not
// finite and ascending, num_bits outside [2, 16], stride 0, or start_bin outside [1, bins];
// errc::no_finite_values for a histogram with no counts (percentile; the entropy search follows
// TensorRT and returns edges[bins], see step 4).
#ifndef QLIN_OBSERVERS_ENTROPY_HPP_
#define QLIN_OBSERVERS_ENTROPY_HPP_

#include <algorithm>
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

/// A clipping threshold pair from onnxruntime_entropy_threshold / percentile_range (lo <= hi when
/// data_min / data_max are the range of the values the histogram counts).
struct threshold_range {
  float lo = 0.0f;  ///< lower clipping threshold
  float hi = 0.0f;  ///< upper clipping threshold
};

namespace detail {

/// smooth_distribution(v, eps = 1e-4) of quant_utils.py in float32 (see the header comment);
/// false when every entry is 0 (ONNX Runtime: KL = +Inf).
inline bool ort_smooth(const std::vector<double>& v, std::vector<float>& out) {
  std::size_t n0 = 0;
  for (double x : v) n0 += x == 0.0 ? 1u : 0u;
  const std::size_t n1 = v.size() - n0;
  if (n1 == 0) return false;
  const float eps = static_cast<float>(1e-4);
  const auto eps1 = static_cast<float>(1e-4 * static_cast<double>(n0) / static_cast<double>(n1));
  out.resize(v.size());
  for (std::size_t j = 0; j < v.size(); ++j) out[j] = v[j] == 0.0 ? eps : static_cast<float>(v[j]) - eps1;
  return true;
}

/// numpy 1.24's np.sum of a contiguous float32 vector: pairwise summation with float32
/// accumulators (blocks of at most 128 summed in 8 interleaved lanes, larger ranges split in two
/// at a multiple of 8 near the middle).
inline float numpy_sum_f32(const float* a, std::size_t n) noexcept {
  if (n < 8) {
    float r = 0.0f;
    for (std::size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    float r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_sum_f32(a, n2) + numpy_sum_f32(a + n2, n - n2);
}

/// scipy.stats.entropy(p, q) for float32 vectors of positive entries, as scipy computes it:
/// p / np.sum(p) and q / np.sum(q) in float32, rel_entr per element in double rounded to float32,
/// np.sum of those in float32.
inline float ort_kl(std::vector<float>& p, std::vector<float>& q) {
  const float sp = numpy_sum_f32(p.data(), p.size());
  const float sq = numpy_sum_f32(q.data(), q.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    const auto pj = static_cast<double>(p[j] / sp);
    const auto qj = static_cast<double>(q[j] / sq);
    p[j] = pj > 0.0 ? static_cast<float>(pj * std::log(pj / qj)) : 0.0f;
  }
  return numpy_sum_f32(p.data(), p.size());
}

}  // namespace detail

/// ONNX Runtime's entropy threshold on a signed histogram (see the header comment). Errors:
/// errc::invalid_argument for a bad histogram or num_quantized_bins outside [2, bins] (ONNX
/// Runtime needs nq / 2 <= bins / 2), errc::no_finite_values for a histogram without counts.
inline result<threshold_range> onnxruntime_entropy_threshold(const std::uint64_t* counts, const double* edges,
                                                             std::size_t bins, std::size_t num_quantized_bins,
                                                             float data_min, float data_max) {
  const status s = detail::check_histogram(counts, edges, bins);
  if (!s) return s.error();
  if (num_quantized_bins < 2 || num_quantized_bins > bins) {
    return fail(errc::invalid_argument, "num_quantized_bins must lie in [2, bins]");
  }
  if (!(data_min <= data_max)) return fail(errc::invalid_argument, "data_min must not exceed data_max");
  std::uint64_t total = 0;
  for (std::size_t j = 0; j < bins; ++j) total += counts[j];
  if (total == 0) return fail(errc::no_finite_values, "the histogram holds no values");
  const std::size_t nq = num_quantized_bins;
  const std::size_t zero = bins / 2, half = nq / 2;
  // prefix[j] = sum(counts[0..j)), exact in uint64.
  std::vector<std::uint64_t> prefix(bins + 1, 0);
  for (std::size_t j = 0; j < bins; ++j) prefix[j + 1] = prefix[j] + counts[j];
  std::vector<double> p, q;
  std::vector<float> ps, qs;
  float best = 0.0f;
  bool have = false;
  std::size_t best_start = 0, best_end = bins;
  for (std::size_t i = half; i <= zero; ++i) {
    const std::size_t start = zero - i;
    const std::size_t end = std::min(zero + i + 1, bins);
    const std::size_t len = end - start;
    p.assign(counts + start, counts + end);
    p.front() += static_cast<double>(prefix[start]);
    p.back() += static_cast<double>(prefix[bins] - prefix[end]);
    const std::size_t m = len / nq;
    q.assign(len, 0.0);
    for (std::size_t g = 0; g < nq && m > 0; ++g) {
      const std::size_t a = start + g * m;
      std::uint64_t sum = prefix[a + m] - prefix[a];
      if (g + 1 == nq) sum += prefix[end] - prefix[start + nq * m];
      std::size_t nz = 0;
      for (std::size_t j = g * m; j < (g + 1) * m; ++j) nz += p[j] != 0.0 ? 1u : 0u;
      if (nz == 0) continue;
      // float(sum) / float(nz) stored into an int64 array: truncation toward zero.
      const double v = std::trunc(static_cast<double>(sum) / static_cast<double>(nz));
      for (std::size_t j = g * m; j < (g + 1) * m; ++j) q[j] = v;
    }
    float kl = std::numeric_limits<float>::infinity();
    if (detail::ort_smooth(q, qs)) {
      (void)detail::ort_smooth(p, ps);
      kl = detail::ort_kl(ps, qs);
    }
    if (!have || kl < best) {  // np.argmin: the first minimum
      best = kl;
      best_start = start;
      best_end = end;
      have = true;
    }
  }
  threshold_range r{static_cast<float>(edges[best_start]), static_cast<float>(edges[best_end])};
  if (r.lo < data_min) r.lo = data_min;
  if (r.hi > data_max) r.hi = data_max;
  return r;
}

/// ONNX Runtime's asymmetric percentile range on a signed histogram (see the header comment).
inline result<threshold_range> onnxruntime_percentile_range(const std::uint64_t* counts, const double* edges,
                                                            std::size_t bins, double percentile, float data_min,
                                                            float data_max) {
  const status s = detail::check_histogram(counts, edges, bins);
  if (!s) return s.error();
  if (!(percentile >= 0.0 && percentile <= 100.0)) return fail(errc::invalid_argument, "the percentile must lie in [0, 100]");
  if (!(data_min <= data_max)) return fail(errc::invalid_argument, "data_min must not exceed data_max");
  double total = 0.0;
  for (std::size_t j = 0; j < bins; ++j) total += static_cast<double>(counts[j]);
  if (!(total > 0.0)) return fail(errc::no_finite_values, "the histogram holds no values");
  const double cut = (100.0 - percentile) / 200.0;
  const double lo_t = cut, hi_t = 1.0 - cut;
  std::size_t lo = bins, hi = bins;  // searchsorted gives len(cdf) when every cdf < target
  double cdf = 0.0;
  for (std::size_t j = 0; j < bins; ++j) {
    cdf += static_cast<double>(counts[j]) / total;
    if (lo == bins && cdf >= lo_t) lo = j;
    if (cdf >= hi_t) {
      hi = j;
      break;
    }
  }
  threshold_range r{static_cast<float>(edges[lo]), static_cast<float>(edges[hi])};
  if (r.lo < data_min) r.lo = data_min;
  if (r.hi > data_max) r.hi = data_max;
  return r;
}

}  // namespace qlin

#endif  // QLIN_OBSERVERS_ENTROPY_HPP_
