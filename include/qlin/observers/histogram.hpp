// observers/histogram.hpp: histogram observers and the range searches that run on them.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Three observers, all fed batches (pointer + length) like successive forward calls. Each skips
// NaN / +-Inf and counts them (nonfinite_count()); an observer that has seen no finite value
// gives errc::no_finite_values. Empty batches do nothing.
//
// histogram_observer (qlin's own; signed; the default for `histogram` and `mse`)
//   Exact integer counts on a dyadic grid: bin width w = 2^k, bin j of the window covers
//   [(o + j) w, (o + j + 1) w) with o = floor(min / w). k is the smallest integer such that the
//   observed [min, max] fits in `bins` bins, and k >= ilogb(max |x|) - 40 (a floor that keeps grid
//   indices below 2^41). When the range grows, k grows and pairs of bins merge: floor(floor(x /
//   2^k) / 2) = floor(x / 2^(k+1)), so no count is lost or moved, and the state after any order of
//   batches, and after merging shards in any order, equals the state of one pass over all the
//   data, bit for bit (merge() is exact, associative and commutative). Between bins/2 and bins
//   bins cover the data. Optionally (track_moments::yes) it also records per bin the sum of
//   (x - left edge) and of its square, in double: they move with the counts when bins merge and
//   add in merge(), equal to one pass up to double rounding (not bit for bit, unlike the counts).
//
// torch_histogram_observer (torch 1.13 HistogramObserver, reference/SEMANTICS.md section 2)
//   Float32 counts over [min, max], reproduced step by step in float32: the first batch (or any
//   batch while min == max, which DISCARDS the old counts, as torch does) is binned with
//   histc(x, bins, trunc(min), trunc(max)), which drops values outside the integer-truncated range
//   (pytorch/pytorch#83672); later batches go through _adjust_min_max and _combine_histograms
//   (upsample the old histogram by upsample_rate, cumulative sum in double, downsample). torch
//   raises on NaN / Inf; qlin skips them. merge() folds the other observer's histogram in with
//   _combine_histograms as if it were one more batch: approximate and order-dependent, like torch's
//   own batch combination. If torch would divide by a zero bin width or allocate more than
//   2^26 * bins upsampled entries (it raises or runs out of memory), qlin returns
//   errc::unsupported from observe() / merge() and leaves the state unchanged.
//
// abs_histogram_observer (NVIDIA pytorch-quantization HistogramCalibrator, torch_hist=True,
//   SEMANTICS section 6.1): counts of |x| over [0, amax]. The first batch gives edges =
//   linspace(0, max|x|, bins + 1) (float32, computed as torch 1.13's AVX2 kernel does) and
//   histc counts; a later batch with a larger max keeps the bin width, sets bins = ceil(max / width),
//   edges = arange(0, max + width, width) and adds the old counts into the first slots. Counts are
//   exact integers (TensorRT stores float counts and truncates them with .int()). With a fixed
//   amax (constructor) the edges never change and values above amax go to the last bin.
//   merge(): identical edges add exactly; the same bin width (shards that started alike) grows to
//   the larger range and adds slot by slot, as TensorRT does for a batch; otherwise each of the
//   other's bins is re-binned at its centre (approximate).
//
// Range selection (each returns the clipping range; parameters then come from choose_qparams):
//   torch_histogram_search  torch 1.13 _non_linear_param_search + _compute_quantization_error, in
//                           float32 with torch's summation orders (cascade sum of 8 float lanes for
//                           torch.sum, a double running sum for cumsum).
//   mse_search              qlin's own: the range whose parameters (choose_qparams with the caller's
//                           options, zero-point rounding included) minimize the expected squared
//                           error, the mass of each bin spread uniformly over the part of the bin
//                           inside the observed [min, max], except one value at min and one at max
//                           in the bins holding them (the model above detail::expected_sq_error);
//                           with per-bin moments (bin_moments) exact for every bin inside one
//                           quantization cell, only bins cut by a cell boundary modelled (bin_dist).
//                           Candidates: every bin edge (coordinate descent over min and max for
//                           affine, a 1-D scan of amax for symmetric), started from the full range
//                           and from torch's L2 choice, so its modelled error never exceeds that of
//                           either. Each candidate costs O(quantization cells) (sq_error_table).
//   ort_histogram_observer  (onnxruntime.hpp) ONNX Runtime's signed entropy histogram.
//   entropy / percentile    tensorrt_entropy_amax / percentile_amax (entropy.hpp) on the |x| histogram.
//   two-sided percentile    on the signed histogram: [q((100 - P) / 2), q((100 + P) / 2)].
//
// Serialized state (kind 5, after the 8-byte header of serialize.hpp; the first byte says which):
//   u8 flavour 0 (histogram_observer): u32 bins, i32 k, i64 o, f32 min, f32 max, u64 finite,
//      u64 nonfinite, bins x u64 counts
//   u8 flavour 1 (torch_histogram_observer): u32 bins, u32 upsample_rate, u32 dst_nbins, f32 min,
//      f32 max, u64 finite, u64 nonfinite, bins x f32 counts
//   u8 flavour 2 (abs_histogram_observer): u32 initial bins, f32 fixed_amax (0 = none), f32 max,
//      u64 finite, u64 nonfinite, u64 nbins, u64 nedges, nbins x u64 counts, nedges x f32 edges
//   u8 flavour 3: ort_histogram_observer (onnxruntime.hpp)
//   u8 flavour 4 (histogram_observer with track_moments::yes): flavour 0's fields, then bins x f64
//      sum (x - e_j), bins x f64 sum (x - e_j)^2 (finite, 0 for empty bins, 0 <= sum1 <= n w,
//      0 <= sum2 <= n w^2 up to a 2^-20 relative margin for rounding)
// Every inconsistent, truncated or trailing byte gives errc::corrupt_data.
#ifndef QLIN_OBSERVERS_HISTOGRAM_HPP_
#define QLIN_OBSERVERS_HISTOGRAM_HPP_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "../params.hpp"
#include "../result.hpp"
#include "entropy.hpp"
#include "reduce.hpp"
#include "serialize.hpp"

namespace qlin {

/// A clipping range chosen from a histogram (min <= max, both finite).
struct clip_range {
  /// Lower end.
  float min = 0.0f;
  /// Upper end.
  float max = 0.0f;
};

/// Per-bin moments of the values for mse_search (histogram_observer with track_moments::yes):
/// sum1[j] = sum of (x - edges[j]) and sum2[j] = sum of (x - edges[j])^2 over the values x in bin
/// j, i.e. taken about the bin's left edge, so that no large offset cancels. Both null: no moments.
struct bin_moments {
  /// Per bin, the sum of (x - edges[j]); null when absent.
  const double* sum1 = nullptr;
  /// Per bin, the sum of (x - edges[j])^2; null when absent.
  const double* sum2 = nullptr;
  /// True when both arrays are given.
  bool present() const noexcept { return sum1 != nullptr && sum2 != nullptr; }
};

namespace detail {

// ----- torch 1.13 float32 primitives -------------------------------------------------------------

/// torch.sum of a contiguous float32 vector on an AVX2 CPU (aten/src/ATen/native/cpu/SumKernel.cpp):
/// 8 float lanes, 4 interleaved accumulators per lane, a 4-level cascade, then the lanes in order.
inline float torch_sum_f32(const float* a, std::size_t n) {
  constexpr std::size_t V = 8;
  const std::size_t vec_size = n / V;
  const std::size_t size_ilp = vec_size / 4;
  std::size_t lg = 0;
  while ((std::size_t{1} << lg) < size_ilp) ++lg;  // CeilLog2
  const std::size_t level_power = std::max<std::size_t>(4, lg / 4);
  const std::size_t level_step = std::size_t{1} << level_power;
  const std::size_t level_mask = level_step - 1;
  float acc[4][4][V] = {};
  std::size_t i = 0;
  for (; i + level_step <= size_ilp;) {
    for (std::size_t j = 0; j < level_step; ++j, ++i) {
      for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t l = 0; l < V; ++l) acc[0][k][l] += a[(i * 4 + k) * V + l];
    }
    for (std::size_t j = 1; j < 4; ++j) {
      for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t l = 0; l < V; ++l) {
          acc[j][k][l] += acc[j - 1][k][l];
          acc[j - 1][k][l] = 0.0f;
        }
      if ((i & (level_mask << (j * level_power))) != 0) break;
    }
  }
  for (; i < size_ilp; ++i)
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t l = 0; l < V; ++l) acc[0][k][l] += a[(i * 4 + k) * V + l];
  for (std::size_t j = 1; j < 4; ++j)
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t l = 0; l < V; ++l) acc[0][k][l] += acc[j][k][l];
  for (std::size_t r = size_ilp * 4; r < vec_size; ++r)
    for (std::size_t l = 0; l < V; ++l) acc[0][0][l] += a[r * V + l];
  for (std::size_t k = 1; k < 4; ++k)
    for (std::size_t l = 0; l < V; ++l) acc[0][0][l] += acc[0][k][l];
  float fin = 0.0f;
  for (std::size_t r = vec_size * V; r < n; ++r) fin += a[r];
  for (std::size_t l = 0; l < V; ++l) fin += acc[0][0][l];
  return fin;
}

/// torch.div(a, b, rounding_mode='floor') for float32 (Python's floor division).
inline float torch_floor_div(float a, float b) noexcept {
  if (b == 0.0f) return a / b;
  float mod = std::fmod(a, b);
  float div = (a - mod) / b;
  if (mod != 0.0f && ((b < 0.0f) != (mod < 0.0f))) {
    mod += b;
    div -= 1.0f;
  }
  if (div != 0.0f) {
    float fl = std::floor(div);
    if (div - fl > 0.5f) fl += 1.0f;
    return fl;
  }
  return std::copysign(0.0f, a / b);
}

/// torch.linspace(start, end, steps) in float32 on an AVX2 CPU: vectors of 8 start at
/// fma(step, idx, start) (or fma(-step, steps - idx - 1, end) past the half), lanes add i * step.
inline void torch_linspace_f32(float start, float end, std::size_t steps, float* out) {
  if (steps == 0) return;
  if (steps == 1) {
    out[0] = start;
    return;
  }
  const float step = (end - start) / static_cast<float>(steps - 1);
  const std::size_t half = steps / 2;
  auto scalar = [&](std::size_t idx) -> float {
    if (idx < half) return std::fma(step, static_cast<float>(idx), start);
    return std::fma(-step, static_cast<float>(steps - idx - 1), end);
  };
  const std::size_t nvec = steps / 8 * 8;
  std::size_t idx = 0;
  for (; idx < nvec; idx += 8) {
    const float base = scalar(idx);
    for (std::size_t l = 0; l < 8; ++l) {
      const float il = static_cast<float>(l);
      const float prod = il * step;
      out[idx + l] = base + prod;
    }
  }
  for (; idx < steps; ++idx) out[idx] = scalar(idx);
}

// ----- binning kernels ---------------------------------------------------------------------------
//
// Every observer bins a batch the same way: a "binner" maps a float to a slot in [0, nb] (nb is
// the dummy slot for values that are skipped: NaN / +-Inf, or outside torch's histc range), and
// count_batch() adds the slot counts into the observer's counts. Performance only: each binner's
// scalar idx1() is the observer's original per-element rule, and its AVX2 idx8() computes the same
// slots with the same IEEE operations (no contraction: qlin builds with -ffp-contract=off, and the
// avx2 target does not enable FMA), so counts are identical whichever path runs.
//
// count_batch: with enough data per slot (n >= 2 * slots, slots <= 2^16 + 1) it counts into 4
// interleaved uint32 sub-histograms (element i goes to sub-histogram i mod 4), so that runs of
// equal slots, frequent in the hot bins of a peaked distribution, do not serialize on one
// store-to-load chain; they are summed into the destination at the end (chunks of 2^30 elements
// keep every sub-count below 2^32). Otherwise it increments the destination directly.

constexpr std::size_t max_sub_slots = (std::size_t{1} << 16) + 1;
constexpr std::size_t sub_chunk = std::size_t{1} << 30;

template <class B>
inline void count_sub_scalar(const B& b, const float* x, std::size_t n, std::uint32_t* sub, std::size_t stride) noexcept {
  std::uint32_t* s0 = sub;
  std::uint32_t* s1 = sub + stride;
  std::uint32_t* s2 = sub + 2 * stride;
  std::uint32_t* s3 = sub + 3 * stride;
  const std::size_t n4 = n / 4 * 4;
  std::size_t i = 0;
  for (; i < n4; i += 4) {
    const std::size_t j0 = b.idx1(x[i]), j1 = b.idx1(x[i + 1]), j2 = b.idx1(x[i + 2]), j3 = b.idx1(x[i + 3]);
    ++s0[j0];
    ++s1[j1];
    ++s2[j2];
    ++s3[j3];
  }
  for (; i < n; ++i) ++s0[b.idx1(x[i])];
}

#if defined(QLIN_REDUCE_AVX2)
// Two phases per tile of 512 elements: the vector binner writes the tile's slots to a small
// buffer in L1, then a scalar loop increments the 4 sub-histograms from it. Extracting each slot
// from a vector register (vpextrd, what a compiler makes of a store / reload of 16 slots) costs
// more than the reload from L1; the separate loops keep the compiler from doing that.
constexpr std::size_t count_tile = 512;

template <class B>
QLIN_REDUCE_AVX2_TARGET inline void bin_tile_avx2(const B& b, const float* x, std::uint32_t* id) noexcept {
  for (std::size_t i = 0; i < count_tile; i += 16) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(id + i), b.idx8(x + i));
    _mm256_store_si256(reinterpret_cast<__m256i*>(id + i + 8), b.idx8(x + i + 8));
  }
}

inline void add_tile(const std::uint32_t* id, std::uint32_t* s0, std::uint32_t* s1, std::uint32_t* s2,
                     std::uint32_t* s3) noexcept {
  for (std::size_t i = 0; i < count_tile; i += 4) {
    ++s0[id[i]];
    ++s1[id[i + 1]];
    ++s2[id[i + 2]];
    ++s3[id[i + 3]];
  }
}

// next[0..next_n), if given, is prefetched into L2 along the way (the caller's next chunk, so
// that reading it from memory overlaps this chunk's counting).
template <class B>
QLIN_REDUCE_AVX2_TARGET inline void count_sub_avx2(const B& b, const float* x, std::size_t n, std::uint32_t* sub,
                                                   std::size_t stride, const float* next = nullptr,
                                                   std::size_t next_n = 0) noexcept {
  std::uint32_t* s0 = sub;
  std::uint32_t* s1 = sub + stride;
  std::uint32_t* s2 = sub + 2 * stride;
  std::uint32_t* s3 = sub + 3 * stride;
  alignas(32) std::uint32_t id[count_tile];
  constexpr std::size_t count_ahead = 4 * count_tile;
  const bool self_prefetch = next == nullptr && n >= (std::size_t{1} << 16);
  std::size_t i = 0;
  for (; n - i >= count_tile; i += count_tile) {
    bin_tile_avx2(b, x + i, id);
    if (i < next_n) {
      const std::size_t e = std::min(next_n, i + count_tile);
      for (std::size_t q = i; q < e; q += 16) _mm_prefetch(reinterpret_cast<const char*>(next + q), _MM_HINT_T1);
    } else if (self_prefetch && i + count_ahead < n) {
      // A long stream without a caller-given next chunk (torch_histc on a large batch): this
      // stream's tile count_ahead floats ahead, so that its DRAM reads overlap the counting.
      const std::size_t e = std::min(n, i + count_ahead + count_tile);
      for (std::size_t q = i + count_ahead; q < e; q += 16) _mm_prefetch(reinterpret_cast<const char*>(x + q), _MM_HINT_T0);
    }
    add_tile(id, s0, s1, s2, s3);
  }
  for (; i < n; ++i) ++s0[b.idx1(x[i])];
}

inline bool have_avx2() noexcept {
#if defined(__AVX2__)
  return true;
#else
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#endif
}
#endif

/// 4 interleaved uint32 sub-histograms of nb + 1 slots (the last one is the dummy slot), filled
/// by add() and added into a destination by flush_into(), which also clears them. At most
/// sub_chunk elements may be pending between flushes (every sub-count stays below 2^32).
/// Usable when nb + 1 <= max_sub_slots.
struct sub_histograms {
  std::size_t nb, stride;
  std::vector<std::uint32_t> sub;
  std::size_t pending = 0;

  explicit sub_histograms(std::size_t nbins) : nb(nbins), stride((nbins + 1 + 15) / 16 * 16), sub(4 * stride, 0u) {}

  /// Counts x[0..n) (precondition: pending + n <= sub_chunk); next / next_n: memory to prefetch.
  template <class B>
  void add(const B& b, const float* x, std::size_t n, const float* next = nullptr, std::size_t next_n = 0) {
    QLIN_ASSERT(pending + n <= sub_chunk);
#if defined(QLIN_REDUCE_AVX2)
    if (B::has_avx2 && have_avx2()) {
      count_sub_avx2(b, x, n, sub.data(), stride, next, next_n);
    } else {
      count_sub_scalar(b, x, n, sub.data(), stride);
    }
#else
    (void)next;
    (void)next_n;
    count_sub_scalar(b, x, n, sub.data(), stride);
#endif
    pending += n;
  }

  /// Sum of the 4 sub-counts of slot j.
  std::uint64_t total(std::size_t j) const noexcept {
    return std::uint64_t{sub[j]} + sub[stride + j] + sub[2 * stride + j] + sub[3 * stride + j];
  }

  /// dst[j] += the count of slot j for j < nb; clears the sub-histograms.
  void flush_into(std::uint64_t* dst) {
    if (pending == 0) return;
    for (std::size_t j = 0; j < nb; ++j) dst[j] += total(j);
    std::fill(sub.begin(), sub.end(), 0u);
    pending = 0;
  }
};

/// Adds, for each x[i] whose slot b.idx1(x[i]) is below nb, one to dst[slot] (dst[0..nb)); slot
/// nb (and only nb) means "skip". C is std::uint64_t, or float when dst is all zeros on entry
/// (float counts then end at min(count, 2^24), which is what adding 1.0f one at a time gives).
/// next / next_n: optional memory to prefetch while counting (the caller's next chunk).
template <class B, class C>
inline void count_batch(const B& b, const float* x, std::size_t n, std::size_t nb, C* dst, const float* next = nullptr,
                        std::size_t next_n = 0) {
  const std::size_t slots = nb + 1;
  if (slots > max_sub_slots || n < 2 * slots) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = b.idx1(x[i]);
      if (j < nb) dst[j] += C{1};
    }
    return;
  }
  sub_histograms sh(nb);
  std::vector<std::uint64_t> acc;
  if (!std::is_integral<C>::value) acc.assign(nb, 0);
  for (std::size_t i = 0; i < n; i += sub_chunk) {
    const std::size_t len = std::min(sub_chunk, n - i);
    sh.add(b, x + i, len, next, next_n);
    if (std::is_integral<C>::value) {
      for (std::size_t j = 0; j < nb; ++j) dst[j] += static_cast<C>(sh.total(j));
    } else {
      for (std::size_t j = 0; j < nb; ++j) acc[j] += sh.total(j);
    }
    std::fill(sh.sub.begin(), sh.sub.end(), 0u);
    sh.pending = 0;
  }
  if (!std::is_integral<C>::value) {
    for (std::size_t j = 0; j < nb; ++j) {
      QLIN_ASSERT(dst[j] == C{0});
      dst[j] = static_cast<C>(std::min<std::uint64_t>(acc[j], std::uint64_t{1} << 24));
    }
  }
}

/// size_t((x - lo) * fnb / span) in float32, for lo <= x <= hi (torch's histc formula, bit for bit).
/// Where torch's float32 formula overflows -- (x - lo) * nb above FLT_MAX, i.e. ranges wider than
/// about 1.6e35 for 2048 bins, or hi - lo itself overflowing -- its conversion to an integer is
/// undefined behaviour; qlin then computes the same quotient in double, which cannot overflow for
/// float inputs and gives the bin the value really lies in. Callers clamp the result to nb - 1.
inline std::size_t histc_pos(float x, float lo, float hi, float fnb, float span) noexcept {
  const float t = (x - lo) * fnb / span;
  if (t < 0x1p63f) return static_cast<std::size_t>(t);  // finite: t >= 0 for x >= lo
  const double dspan = static_cast<double>(hi) - static_cast<double>(lo);
  return static_cast<std::size_t>((static_cast<double>(x) - static_cast<double>(lo)) * static_cast<double>(fnb) / dspan);
}

/// torch's histc slot rule: finite e in [lo, hi] goes to min(size_t((e - lo) * nb / span), nb - 1)
/// (float32 operations in that order), anything else (NaN, +-Inf, outside) to the dummy slot nb.
struct torch_histc_binner {
  float lo, hi, fnb, span;
  std::uint32_t nb;
  /// False when no in-range lane can overflow (set by torch_histc when span * fnb is finite in
  /// float32: then (x - lo) * fnb <= span * fnb and t <= about fnb for lo <= x <= hi, rounding
  /// being monotone), which skips idx8's overflow test.
  bool checked = true;
  static constexpr bool has_avx2 = true;
  std::uint32_t idx1(float e) const noexcept {
    if (!(e >= lo && e <= hi)) return nb;
    std::size_t pos = histc_pos(e, lo, hi, fnb, span);
    if (pos >= nb) pos = nb - 1u;  // the rightmost bin includes its right edge
    return static_cast<std::uint32_t>(pos);
  }
#if defined(QLIN_REDUCE_AVX2)
  // A finite t is >= 0 here (e >= lo, span > 0) and at most about nb <= 2^24, so cvttps2dq
  // truncates exactly like the size_t conversion; +Inf and NaN give 0x80000000, which min_epu32
  // sends to nb - 1 (histc_pos's NaN rule) and the +Inf compare then to 0 (its +Inf rule).
  QLIN_REDUCE_AVX2_TARGET __m256i idx8(const float* p) const noexcept {
    const __m256 e = _mm256_loadu_ps(p);
    const __m256 in = _mm256_and_ps(_mm256_cmp_ps(e, _mm256_set1_ps(lo), _CMP_GE_OQ), _mm256_cmp_ps(e, _mm256_set1_ps(hi), _CMP_LE_OQ));
    const __m256 t = _mm256_div_ps(_mm256_mul_ps(_mm256_sub_ps(e, _mm256_set1_ps(lo)), _mm256_set1_ps(fnb)), _mm256_set1_ps(span));
    if (checked && _mm256_movemask_ps(_mm256_and_ps(in, _mm256_cmp_ps(t, _mm256_set1_ps(0x1p63f), _CMP_NLT_UQ))) != 0) {
      return scalar8(p);  // a float32 overflow (ranges beyond ~1e35): histc_pos's double fallback
    }
    const __m256i pos = _mm256_min_epu32(_mm256_cvttps_epi32(t), _mm256_set1_epi32(static_cast<int>(nb - 1u)));
    return _mm256_blendv_epi8(_mm256_set1_epi32(static_cast<int>(nb)), pos, _mm256_castps_si256(in));
  }
  QLIN_REDUCE_AVX2_TARGET __m256i scalar8(const float* p) const noexcept {
    alignas(32) std::uint32_t id[8];
    for (int j = 0; j < 8; ++j) id[j] = static_cast<std::uint32_t>(idx1(p[j]));
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(id));
  }
#endif
};

/// torch 1.13 histc(x, nb, min=lo, max=hi) (aten/src/ATen/native/cpu/HistogramKernel.cpp, linear
/// interpolation without local search), written into hist[0..nb) (float32 counts, as torch adds
/// 1.0f per value). lo / hi are the Scalars torch receives; the degenerate lo == hi cases follow
/// histc_select_outer_bin_edges. NaN / +-Inf fall outside [lo, hi] and are not counted.
inline void torch_histc(const float* x, std::size_t n, std::size_t nb, double lo_d, double hi_d, float dmin, float dmax,
                        float* hist) {
  if (lo_d == hi_d && n > 0) {
    lo_d = static_cast<double>(dmin);
    hi_d = static_cast<double>(dmax);
  }
  if (lo_d == hi_d) {
    lo_d -= 1.0;
    hi_d += 1.0;
  }
  const float lo = static_cast<float>(lo_d);
  const float hi = static_cast<float>(hi_d);
  std::fill(hist, hist + nb, 0.0f);
  torch_histc_binner b{lo, hi, static_cast<float>(nb), hi - lo, static_cast<std::uint32_t>(nb)};
  const float top = b.span * b.fnb;
  b.checked = !(b.span > 0.0f && top <= std::numeric_limits<float>::max());
  count_batch(b, x, n, nb, hist);
}

/// torch_floor_div(a, b) for b > 0 finite, without fmod: floor(double(a) / double(b)) rounded to
/// float, when |a / b| < 2^22 (else, or for another b, torch_floor_div itself).
///
/// Why it is the same float (including the sign of a zero result):
///  - torch's formula: mod = fmod(a, b) = a - n b exactly, n = trunc(a / b); div = fl(fl(n b) / b),
///    whose relative error is below 2^-23, so |div - n| < |n| 2^-23 < 0.5 for |n| < 2^22; the
///    final `floor, +1 if the fraction exceeds 0.5` step therefore returns n exactly (n - 1 after
///    the sign correction when a < 0 is not a multiple of b). So torch returns floor(a / b) as an
///    exact float integer, and -0.0 only when a is -0.0 (copysign(0, a / b) with a / b = -0.0).
///  - floor(q), q = the double quotient: if a / b is an integer it is exact in double (|a / b| <
///    2^22). Otherwise write a = A 2^ea, b = B 2^eb (A, B integers below 2^24); the distance of a / b
///    to the nearest integer m is |a - m b| / b with a - m b a nonzero multiple of 2^min(ea, eb):
///    more than 2^-24 when ea >= eb, more than |a / b| 2^-48 when ea < eb. The double rounding
///    error is at most |a / b| 2^-53, below both for |a / b| < 2^22, so q never crosses an integer
///    and floor(q) = floor(a / b). floor(-0.0) = -0.0 and floor of q in (0, 1) is +0.0, as torch.
/// tests/unit/test_observers_histogram_fast.cpp compares both on random and adversarial inputs.
inline float torch_floor_div_fast(float a, float b) noexcept {
  const double q = static_cast<double>(a) / static_cast<double>(b);
  if (b > 0.0f && b <= std::numeric_limits<float>::max() && std::fabs(q) < 0x1p22) return static_cast<float>(std::floor(q));
  return torch_floor_div(a, b);
}

/// The per-bin constants of torch_quantization_error (every value float32, as torch computes it).
struct torch_qerror_consts {
  float fbw, fdbw, half, dmax, mid_norm, nh3;
};

/// norm[i] for bins [i0, i1), scalar: torch 1.13's _get_norm terms in float32, operation by
/// operation (observer.py _compute_quantization_error; the reference code this replaces used
/// torch_floor_div, to which torch_floor_div_fast is identical).
inline void torch_qerror_bins_scalar(const float* hist, std::size_t i0, std::size_t i1, std::size_t s,
                                     const torch_qerror_consts& k, float* norm) noexcept {
  for (std::size_t i = i0; i < i1; ++i) {
    const float b = static_cast<float>(static_cast<std::int64_t>(i) - static_cast<std::int64_t>(s)) * k.fbw;
    const float en = b + k.fbw;
    const float db = std::min(std::max(torch_floor_div_fast(b, k.fdbw), 0.0f), k.dmax);
    const float de = std::min(std::max(torch_floor_div_fast(en, k.fdbw), 0.0f), k.dmax);
    const float density = hist[i] / k.fbw;
    const float db_center = (db + 0.5f) * k.fdbw;
    const float d0 = b - db_center;
    const float n1 = density * ((k.half * k.half * k.half - d0 * d0 * d0) / 3.0f);
    float acc = 0.0f + n1;
    acc += (de - db - 1.0f) * (density * k.mid_norm);
    const float de_center = de * k.fdbw + k.half;
    const float d1 = en - de_center;
    acc += density * ((d1 * d1 * d1 - k.nh3) / 3.0f);
    norm[i] = acc;
  }
}

#if defined(QLIN_REDUCE_AVX2)
// floor(double(a) / d) per lane, rounded to float (torch_floor_div_fast's fast case).
QLIN_REDUCE_AVX2_TARGET inline __m256 floor_div8(__m256 a, __m256d d) noexcept {
  const __m256d lo = _mm256_floor_pd(_mm256_div_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)), d));
  const __m256d hi = _mm256_floor_pd(_mm256_div_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)), d));
  return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
}

/// The same terms, 8 bins per step with the same float32 operations in the same order (no
/// contraction: the avx2 target has no FMA). std::max(x, 0) = (x < 0 ? 0 : x) is max_ps(0, x),
/// std::min(y, m) = (m < y ? m : y) is min_ps(m, y) (same NaN / -0.0 behaviour). The floor division
/// is torch_floor_div_fast's double quotient and floor, lane by lane; the caller guarantees its
/// precondition for every bin (fdbw > 0 finite, |b / fdbw| and |en / fdbw| below 2^22). Bins
/// [0, bins / 8 * 8); the caller does the rest with the scalar version.
QLIN_REDUCE_AVX2_TARGET inline void torch_qerror_bins_avx2(const float* hist, std::size_t bins, std::size_t s,
                                                           const torch_qerror_consts& k, float* norm) noexcept {
  const __m256 fbw = _mm256_set1_ps(k.fbw), fdbw = _mm256_set1_ps(k.fdbw), half = _mm256_set1_ps(k.half);
  const __m256 dmax = _mm256_set1_ps(k.dmax), mid = _mm256_set1_ps(k.mid_norm), nh3 = _mm256_set1_ps(k.nh3);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), p5 = _mm256_set1_ps(0.5f), three = _mm256_set1_ps(3.0f);
  const __m256 h3 = _mm256_mul_ps(_mm256_mul_ps(half, half), half);
  const __m256d dq = _mm256_set1_pd(static_cast<double>(k.fdbw));
  const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const std::size_t n8 = bins / 8 * 8;
  for (std::size_t i = 0; i < n8; i += 8) {
    const __m256i rel = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<std::int64_t>(i) - static_cast<std::int64_t>(s))), step);
    const __m256 b = _mm256_mul_ps(_mm256_cvtepi32_ps(rel), fbw);
    const __m256 en = _mm256_add_ps(b, fbw);
    const __m256 db = _mm256_min_ps(dmax, _mm256_max_ps(zero, floor_div8(b, dq)));
    const __m256 de = _mm256_min_ps(dmax, _mm256_max_ps(zero, floor_div8(en, dq)));
    const __m256 density = _mm256_div_ps(_mm256_loadu_ps(hist + i), fbw);
    const __m256 db_center = _mm256_mul_ps(_mm256_add_ps(db, p5), fdbw);
    const __m256 d0 = _mm256_sub_ps(b, db_center);
    const __m256 d03 = _mm256_mul_ps(_mm256_mul_ps(d0, d0), d0);
    const __m256 n1 = _mm256_mul_ps(density, _mm256_div_ps(_mm256_sub_ps(h3, d03), three));
    __m256 acc = _mm256_add_ps(zero, n1);
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(de, db), one), _mm256_mul_ps(density, mid)));
    const __m256 de_center = _mm256_add_ps(_mm256_mul_ps(de, fdbw), half);
    const __m256 d1 = _mm256_sub_ps(en, de_center);
    const __m256 d13 = _mm256_mul_ps(_mm256_mul_ps(d1, d1), d1);
    acc = _mm256_add_ps(acc, _mm256_mul_ps(density, _mm256_div_ps(_mm256_sub_ps(d13, nh3), three)));
    _mm256_storeu_ps(norm + i, acc);
  }
}
#endif

/// torch 1.13 _compute_quantization_error for the candidate bins [s, e] of a float32 histogram
/// over [min, max] (norm is scratch space). Bin terms in float32 as torch computes them (see
/// torch_qerror_bins_scalar), summed with torch.sum's order.
inline double torch_quantization_error(const float* hist, std::size_t bins, float min, float max, std::size_t dst_nbins,
                                       std::size_t s, std::size_t e, std::vector<float>& norm) {
  const double bw = (static_cast<double>(max) - static_cast<double>(min)) / static_cast<double>(bins);
  const double dbw = bw * static_cast<double>(e - s + 1) / static_cast<double>(dst_nbins);
  if (dbw == 0.0) return 0.0;
  torch_qerror_consts k{};
  k.fbw = static_cast<float>(bw);
  k.fdbw = static_cast<float>(dbw);
  k.half = static_cast<float>(dbw / 2.0);
  const float neg_half = static_cast<float>(-dbw / 2.0);
  k.dmax = static_cast<float>(dst_nbins - 1);
  k.mid_norm = (k.half * k.half * k.half - neg_half * neg_half * neg_half) / 3.0f;
  k.nh3 = neg_half * neg_half * neg_half;
  norm.resize(bins);
  std::size_t done = 0;
#if defined(QLIN_REDUCE_AVX2)
  // The vector floor division needs fdbw > 0 finite and every |b / fdbw|, |en / fdbw| below 2^22;
  // b and en range over [-s fbw, (bins - s) fbw] (bins <= 2^24: exact int32 / float conversions).
  if (have_avx2() && k.fdbw > 0.0f && k.fdbw <= std::numeric_limits<float>::max() && k.fbw <= std::numeric_limits<float>::max() &&
      bins <= (std::size_t{1} << 24)) {
    const double lo = static_cast<double>(static_cast<float>(-static_cast<std::int64_t>(s)) * k.fbw);
    const double hi = static_cast<double>(static_cast<float>(static_cast<std::int64_t>(bins - s)) * k.fbw);
    const double fd = static_cast<double>(k.fdbw);
    if (std::fabs(lo / fd) < 0x1p21 && std::fabs(hi / fd) < 0x1p21) {
      torch_qerror_bins_avx2(hist, bins, s, k, norm.data());
      done = bins / 8 * 8;
    }
  }
#endif
  torch_qerror_bins_scalar(hist, done, bins, s, k, norm.data());
  return static_cast<double>(torch_sum_f32(norm.data(), bins));
}

/// The reference implementation of torch_quantization_error (fmod per bin through
/// torch_floor_div): the fast path above is tested against it bit for bit.
inline double torch_quantization_error_reference(const float* hist, std::size_t bins, float min, float max,
                                                 std::size_t dst_nbins, std::size_t s, std::size_t e,
                                                 std::vector<float>& norm) {
  const double bw = (static_cast<double>(max) - static_cast<double>(min)) / static_cast<double>(bins);
  const double dbw = bw * static_cast<double>(e - s + 1) / static_cast<double>(dst_nbins);
  if (dbw == 0.0) return 0.0;
  const float fbw = static_cast<float>(bw);
  const float fdbw = static_cast<float>(dbw);
  const float half = static_cast<float>(dbw / 2.0);
  const float neg_half = static_cast<float>(-dbw / 2.0);
  const float dmax = static_cast<float>(dst_nbins - 1);
  const float mid_norm = (half * half * half - neg_half * neg_half * neg_half) / 3.0f;
  const float nh3 = neg_half * neg_half * neg_half;
  norm.assign(bins, 0.0f);
  for (std::size_t i = 0; i < bins; ++i) {
    const float b = static_cast<float>(static_cast<std::int64_t>(i) - static_cast<std::int64_t>(s)) * fbw;
    const float en = b + fbw;
    const float db = std::min(std::max(torch_floor_div(b, fdbw), 0.0f), dmax);
    const float de = std::min(std::max(torch_floor_div(en, fdbw), 0.0f), dmax);
    const float density = hist[i] / fbw;
    const float db_center = (db + 0.5f) * fdbw;
    const float d0 = b - db_center;
    const float n1 = density * ((half * half * half - d0 * d0 * d0) / 3.0f);
    float acc = 0.0f + n1;
    acc += (de - db - 1.0f) * (density * mid_norm);
    const float de_center = de * fdbw + half;
    const float d1 = en - de_center;
    acc += density * ((d1 * d1 * d1 - nh3) / 3.0f);
    norm[i] = acc;
  }
  return static_cast<double>(torch_sum_f32(norm.data(), bins));
}

}  // namespace detail

/// torch 1.13 HistogramObserver._non_linear_param_search on a float32 histogram over [min, max]
/// (SEMANTICS.md section 2). dst_nbins is 2^bits of the dtype (256 for 8-bit types).
inline result<clip_range> torch_histogram_search(const float* hist, std::size_t bins, float min, float max,
                                                 std::size_t dst_nbins = 256) {
  if (hist == nullptr || bins == 0 || dst_nbins == 0) return fail(errc::invalid_argument, "the histogram is empty");
  if (!std::isfinite(min) || !std::isfinite(max)) return fail(errc::non_finite_input, "min and max must be finite");
  if (min > max) return fail(errc::min_greater_than_max, "min must not be greater than max");
  const float bin_width = (max - min) / static_cast<float>(bins);
  const double total = static_cast<double>(detail::torch_sum_f32(hist, bins));
  std::vector<float> csum(bins);
  double run = 0.0;
  for (std::size_t j = 0; j < bins; ++j) {
    run += static_cast<double>(hist[j]);
    csum[j] = static_cast<float>(run);
  }
  std::vector<float> norm;
  double alpha = 0.0, beta = 1.0;
  std::size_t start = 0, end = bins - 1;
  double norm_min = std::numeric_limits<double>::infinity();
  while (alpha < beta) {
    const double next_alpha = alpha + 1e-5;
    const double next_beta = beta - 1e-5;
    const float ta = static_cast<float>(next_alpha * total);
    const float tb = static_cast<float>(next_beta * total);
    std::size_t l = start, r = end;
    while (l < end && csum[l] < ta) ++l;
    while (r > start && csum[r] > tb) --r;
    std::size_t ns = start, ne = end;
    if ((l - start) > (end - r)) {
      ns = l;
      alpha = next_alpha;
    } else {
      ne = r;
      beta = next_beta;
    }
    if (ns == start && ne == end) continue;
    const double nrm = detail::torch_quantization_error(hist, bins, min, max, dst_nbins, ns, ne, norm);
    if (nrm > norm_min) break;
    norm_min = nrm;
    start = ns;
    end = ne;
  }
  clip_range out;
  out.min = min + bin_width * static_cast<float>(start);
  out.max = min + bin_width * static_cast<float>(end + 1);
  return out;
}

namespace detail {

// ----- expected squared quantization error of a histogram ---------------------------------------
//
// The model (docs/observers.md, "The mse search"): the mass of a bin is spread uniformly over the
// part of the bin inside the observed [dmin, dmax], except that the bin holding dmin puts min(c, 1)
// of its mass exactly at dmin and the bin holding dmax puts min(c, 1) (of what is left) exactly
// at dmax: those two values were observed, so their error is known, not averaged. It matters
// for sparse histograms, where the end values decide the clipping error.

/// nearbyint(t) in the default rounding mode (round half to even), without the libm call: for
/// |t| < 2^52, |t| + 2^52 lies in [2^52, 2^53), where the spacing of doubles is 1, so the addition
/// rounds |t| to an integer (ties to even) and the subtraction is exact; copysign restores the
/// sign (nearbyint(-0.3) is -0.0). |t| >= 2^52 is already an integer; NaN stays NaN.
inline double round_half_even(double t) noexcept {
  constexpr double two52 = 4503599627370496.0;
  const double a = std::fabs(t);
  if (!(a < two52)) return t;
  return std::copysign((a + two52) - two52, t);
}

/// The quantize-dequantize function of p in double, and one bin's error term.
struct sq_error_model {
  double s, zp, qmin, qmax, dmin, dmax;
  explicit sq_error_model(const quant_params& p, double lo, double hi) noexcept
      : s(static_cast<double>(p.scale)),
        zp(static_cast<double>(p.zero_point)),
        qmin(static_cast<double>(p.qmin)),
        qmax(static_cast<double>(p.qmax)),
        dmin(lo),
        dmax(hi) {}
  double code(double x) const noexcept {
    const double k = round_half_even(x / s + zp);
    return k < qmin ? qmin : k > qmax ? qmax : k;
  }
  /// (x - fq(x))^2.
  double point(double x) const noexcept {
    const double d = x - (code(x) - zp) * s;
    return d * d;
  }
  /// The lower boundary of code k's cell ((k - 1/2 - zp) s; -Inf for qmin).
  double cell_lo(double k) const noexcept {
    return k > qmin ? (k - 0.5 - zp) * s : -std::numeric_limits<double>::infinity();
  }
  double cell_hi(double k) const noexcept {
    return k < qmax ? (k + 0.5 - zp) * s : std::numeric_limits<double>::infinity();
  }
  /// c * mean over [e0, e1] clipped to [dmin, dmax] of (x - fq(x))^2 (c > 0); a bin entirely
  /// outside puts its mass at the nearer end.
  double term(double c, double e0, double e1) const noexcept {
    const double u = std::max(e0, dmin);
    const double v = std::min(e1, dmax);
    if (!(v > u)) return c * point(std::min(std::max(u, dmin), dmax));
    double a = u;
    double k = code(u);
    double acc = 0.0;
    for (;;) {
      const double b = std::min(v, cell_hi(k));
      const double r = (k - zp) * s;
      const double A = a - r, B = b - r;
      if (b > a) acc += (b - a) * (A * A + A * B + B * B) / 3.0;
      if (b >= v) break;
      a = b;
      k += 1.0;
    }
    return c * acc / (v - u);
  }
};

/// The moment model of a bin's values (bin_moments present): count c, moments t1 = sum (x - e0),
/// t2 = sum (x - e0)^2 about the bin's left edge e0, values in [u, v]. Only a bin cut by a
/// quantization cell boundary needs more than the moments; it is given the distribution below,
/// which has the recorded count and mean (and, where it fits, variance):
///   c == 1: one point at e0 + t1 (the value itself);
///   c == 2: two points at mu -+ sigma (the two values themselves, up to rounding);
///   otherwise: uniform on [mu - h, mu + h], h = min(sqrt(3) sigma, mu - u, v - mu) (sqrt(3)
///   sigma gives the recorded variance; the bin's interval caps it);
///   c <= 0 (callers' signed counts): uniform over [u, v] as without moments.
/// piece(a, b, r) is c times its error over [a, b) with reconstruction r ([a, b] when b reaches
/// the top v, so every point is counted by exactly one piece of a partition of [u, v]).
struct bin_dist {
  double c = 0.0, p0 = 0.0, p1 = 0.0, lo = 0.0, hi = 0.0, top = 0.0, dens = 0.0;
  int np = 0;  // 1 or 2 points, 0 uniform over [lo, hi] (a point when lo == hi); dens = c / (hi - lo) / 3
  static bin_dist make(double c, double e0, double t1, double t2, double u, double v) noexcept {
    bin_dist d;
    d.c = c;
    d.top = v;
    auto in_uv = [&](double x) { return std::min(std::max(x, u), v); };
    if (c == 1.0) {
      d.np = 1;
      d.p0 = in_uv(e0 + t1);
    } else if (c == 2.0) {
      const double mu = t1 * 0.5, sd = std::sqrt(std::max(t2 * 0.5 - mu * mu, 0.0));
      d.np = 2;
      d.p0 = in_uv(e0 + (mu - sd));
      d.p1 = in_uv(e0 + (mu + sd));
    } else if (c > 0.0) {
      const double m1 = t1 / c;
      const double mu = in_uv(e0 + m1);
      const double h = std::min(std::min(std::sqrt(3.0 * std::max(t2 / c - m1 * m1, 0.0)), mu - u), v - mu);
      d.lo = mu - h;
      d.hi = mu + h;
    } else {
      d.lo = u;
      d.hi = v;
    }
    if (d.np == 0 && d.hi > d.lo) d.dens = c / (d.hi - d.lo) / 3.0;
    return d;
  }
  double piece(double a, double b, double r) const noexcept {
    if (np == 0 && hi > lo) {  // the common case first
      const double A = std::max(a, lo), B = std::min(b, hi);
      if (!(B > A)) return 0.0;
      const double x = A - r, y = B - r;
      return dens * ((B - A) * (x * x + x * y + y * y));
    }
    return points(a, b, r);
  }
  double points(double a, double b, double r) const noexcept {
    const bool closed = b >= top;
    auto pt = [&](double x) {
      const double q = x - r;
      return x >= a && (x < b || closed) ? q * q : 0.0;
    };
    if (np == 1) return c * pt(p0);
    if (np == 2) return c * 0.5 * (pt(p0) + pt(p1));
    return c * pt(lo);
  }
};

/// sum (x - r)^2 over a bin's values from its moments about e0: t2 - 2 rho t1 + c rho^2,
/// rho = r - e0 (clamped at 0 against cancellation for c >= 0).
inline double moment_sq_error(double c, double t1, double t2, double e0, double r) noexcept {
  const double rho = r - e0;
  const double v = t2 - 2.0 * rho * t1 + c * rho * rho;
  return c >= 0.0 ? std::max(v, 0.0) : v;
}

/// The moment model's error of c values (moments t1, t2 about e0) in bin [e0, e1) clipped to
/// [dmin, dmax]: exact when that part of the bin lies in one quantization cell, else the pieces
/// of bin_dist.
inline double moment_bin_error(const sq_error_model& m, double c, double t1, double t2, double e0, double e1) noexcept {
  const double u = std::max(e0, m.dmin);
  const double v = std::min(e1, m.dmax);
  if (!(v > u)) return c * m.point(std::min(std::max(u, m.dmin), m.dmax));
  double a = u, k = m.code(u), r_first = 0.0, a_first = 0.0, b_first = 0.0, acc = 0.0;
  int n = 0;
  bin_dist d;
  for (;;) {
    const double b = std::min(v, m.cell_hi(k));
    const double r = (k - m.zp) * m.s;
    if (b > a) {
      if (++n == 1) {
        r_first = r;
        a_first = a;
        b_first = b;
      } else {
        if (n == 2) {
          d = bin_dist::make(c, e0, t1, t2, u, v);
          acc += d.piece(a_first, b_first, r_first);
        }
        acc += d.piece(a, b, r);
      }
    }
    if (b >= v || std::isnan(b)) break;
    a = b;
    k += 1.0;
  }
  return n == 1 ? moment_sq_error(c, t1, t2, e0, r_first) : acc;
}

/// The bins holding dmin and dmax: the last j with edges[j] <= x, clamped to [0, bins - 1].
inline std::size_t bin_holding(const double* edges, std::size_t bins, double x) noexcept {
  const std::size_t j = static_cast<std::size_t>(std::upper_bound(edges, edges + bins + 1, x) - edges);
  return j == 0 ? 0 : std::min(j - 1, bins - 1);
}

/// The error of bin j of the model above (end bins with their point masses), jmin / jmax the
/// bins holding dmin / dmax.
inline double model_bin_term(const sq_error_model& m, const double* counts, const double* edges, std::size_t j,
                             std::size_t jmin, std::size_t jmax, const bin_moments& mv = {}) noexcept {
  double c = counts[j];
  if (c == 0.0) return 0.0;
  double t = 0.0;
  if (mv.present()) {
    // The observed ends are point masses here too; their offsets leave the bin's moments.
    double t1 = mv.sum1[j], t2 = mv.sum2[j];
    const double e0 = edges[j];
    auto peel = [&](double x) {
      const double a = std::min(c, 1.0), d = x - e0;
      t += a * m.point(x);
      c -= a;
      t1 -= a * d;
      t2 -= a * d * d;
    };
    if (c > 0.0 && j == jmin) peel(m.dmin);
    if (c > 0.0 && j == jmax && m.dmax > m.dmin) peel(m.dmax);
    if (c > 0.0) {
      t1 = std::max(t1, 0.0);
      t2 = std::max(t2, 0.0);
    }
    if (c != 0.0) t += moment_bin_error(m, c, t1, t2, e0, edges[j + 1]);
    return t;
  }
  if (c > 0.0 && j == jmin) {
    const double a = std::min(c, 1.0);
    t += a * m.point(m.dmin);
    c -= a;
  }
  if (c > 0.0 && j == jmax && m.dmax > m.dmin) {
    const double a = std::min(c, 1.0);
    t += a * m.point(m.dmax);
    c -= a;
  }
  if (c != 0.0) t += m.term(c, edges[j], edges[j + 1]);
  return t;
}

/// The model's expected squared error of p: sum over bins, in bin order, of model_bin_term. The
/// plain definition (O(bins x cells per bin)); mse_search evaluates the same sum faster with
/// sq_error_table (equal to within rounding; tests/unit/test_observers_mse.cpp).
inline double expected_sq_error(const double* counts, const double* edges, std::size_t bins, double dmin, double dmax,
                                const quant_params& p, const bin_moments& mv = {}) {
  const sq_error_model m(p, dmin, dmax);
  const std::size_t jmin = bin_holding(edges, bins, dmin), jmax = bin_holding(edges, bins, dmax);
  double total = 0.0;
  for (std::size_t j = 0; j < bins; ++j) total += model_bin_term(m, counts, edges, j, jmin, jmax, mv);
  return total;
}

/// expected_sq_error in O(cells) per candidate instead of O(bins): the bins strictly between the
/// two end bins lie inside [dmin, dmax], so the error of a run of whole bins all inside one
/// quantization cell (reconstruction r) is, from per-bin moments (centre m_j, width w_j),
///   sum c_j ((m_j - r)^2 + w_j^2 / 12) = S2 - 2 r S1 + r^2 S0
/// with prefix sums S0 = sum c_j, S1 = sum c_j m_j, S2 = sum c_j (m_j^2 + w_j^2 / 12) (m_j taken
/// relative to the middle x0 of the run, r too). A bin cut by a cell boundary contributes its two
/// pieces exactly (c_j / w_j * integral of (x - r)^2); the end bins and any bin outside them use
/// model_bin_term. Every contribution is >= 0 for non-negative counts (the moment form is clamped
/// at 0 against cancellation), and they are added in a fixed order, end bins first, then cells
/// (the two outermost first, then outwards from the cell of the mean), so a partial sum that reaches `bound` is a lower
/// bound of the final value (adding a non-negative double never decreases a sum): eval() returns
/// early then, and `value < bound` is decided exactly as by the full sum. The result differs from
/// expected_sq_error only by rounding (relative error well below 1e-9 in tests).
class sq_error_table {
 public:
  sq_error_table(const double* counts, const double* edges, std::size_t bins, double dmin, double dmax,
                 const bin_moments& mv = {})
      : c_(counts), e_(edges), mv_(mv), dmin_(dmin), dmax_(dmax) {
    jmin_ = bin_holding(edges, bins, dmin);
    jmax_ = std::max(jmin_, bin_holding(edges, bins, dmax));
    for (std::size_t j = 0; j < bins; ++j) {
      nonneg_ = nonneg_ && counts[j] >= 0.0;
      if ((j < jmin_ || j > jmax_) && counts[j] != 0.0) outside_.push_back(j);
    }
    ends_ = jmin_ == jmax_ ? 1 : 2;
    if (jmax_ > jmin_ + 1) {
      a_ = jmin_ + 1;
      b_ = jmax_;
      lo_ = e_[a_];
      hi_ = e_[b_];
      x0_ = lo_ * 0.5 + hi_ * 0.5;
      const std::size_t len = b_ - a_;
      p0_.assign(len + 1, 0.0);
      p1_.assign(len + 1, 0.0);
      p2_.assign(len + 1, 0.0);
      if (mv_.present()) {
        // Moments about x0: sum (x - x0) = t1 + c off, sum (x - x0)^2 = t2 + 2 off t1 + c off^2,
        // off = e_j - x0.
        dist_.resize(len);
        for (std::size_t i = 0; i < len; ++i) {
          const std::size_t j = a_ + i;
          const double c = c_[j], t1 = mv_.sum1[j], t2 = mv_.sum2[j], off = e_[j] - x0_;
          dist_[i] = bin_dist::make(c, e_[j], t1, t2, e_[j], e_[j + 1]);
          p0_[i + 1] = p0_[i] + c;
          p1_[i + 1] = p1_[i] + (t1 + c * off);
          p2_[i + 1] = p2_[i] + (t2 + 2.0 * off * t1 + c * off * off);
        }
      } else {
        dens_.assign(len, 0.0);
        for (std::size_t i = 0; i < len; ++i) {
          const std::size_t j = a_ + i;
          const double c = c_[j], w = e_[j + 1] - e_[j];
          const double mid = (e_[j] * 0.5 + e_[j + 1] * 0.5) - x0_;
          dens_[i] = c / w / 3.0;
          p0_[i + 1] = p0_[i] + c;
          p1_[i + 1] = p1_[i] + c * mid;
          p2_[i + 1] = p2_[i] + c * (mid * mid + w * w / 12.0);
        }
      }
      mean_ = p0_[len] > 0.0 ? x0_ + p1_[len] / p0_[len] : x0_;
      w_ = e_[a_ + 1] - e_[a_];
      uniform_ = w_ > 0.0;
      for (std::size_t j = a_; j <= b_ && uniform_; ++j) uniform_ = e_[j] == e_[a_] + static_cast<double>(j - a_) * w_;
      if (uniform_) inv_w_ = 1.0 / w_;
    }
  }

  /// The model's error of p, or, once a partial sum reaches bound (non-negative counts only), a
  /// value >= bound.
  double eval(const quant_params& p, double bound = std::numeric_limits<double>::infinity()) const {
    const sq_error_model m(p, dmin_, dmax_);
    if (!nonneg_) bound = std::numeric_limits<double>::infinity();
    double sum = model_bin_term(m, c_, e_, jmin_, jmin_, jmax_, mv_);
    if (ends_ == 2) sum += model_bin_term(m, c_, e_, jmax_, jmin_, jmax_, mv_);
    for (std::size_t j : outside_) sum += model_bin_term(m, c_, e_, j, jmin_, jmax_, mv_);
    if (sum >= bound || b_ == a_) return sum;
    // Cells touching [lo_, hi_) (one wider on each side against rounding at the boundaries): the
    // two outermost first (they hold the clipped tails), then outwards from the cell of the mean,
    // where most of the mass, and so of the error, sits.
    const double kfirst = std::max(m.code(lo_) - 1.0, m.qmin);
    const double klast = std::min(m.code(hi_) + 1.0, m.qmax);
    if (std::isnan(kfirst) || std::isnan(klast)) return std::numeric_limits<double>::quiet_NaN();
    auto add = [&](double k) {
      const point u = locate(m.cell_lo(k)), v = locate(m.cell_hi(k));
      if (v.x > u.x) sum += cell((k - m.zp) * m.s, u, v);
    };
    add(kfirst);
    if (sum >= bound) return sum;
    if (klast > kfirst) add(klast);
    if (sum >= bound) return sum;
    if (!(kfirst + 1.0 < klast)) return sum;
    // The interior cells, outwards from kc in both directions; the boundary two neighbouring
    // cells share ((k + 1/2 - zp) s, exact in both) is located once.
    const double kc = std::min(std::max(m.code(mean_), kfirst + 1.0), klast - 1.0);
    const point mid = locate(m.cell_hi(kc));
    point up = mid, down = mid;
    double l = kc, r = kc + 1.0;
    while (l > kfirst || r < klast) {
      if (l > kfirst) {
        const point lower = locate(m.cell_lo(l));
        if (up.x > lower.x) sum += cell((l - m.zp) * m.s, lower, up);
        up = lower;
        l -= 1.0;
        if (sum >= bound) return sum;
      }
      if (r < klast) {
        const point upper = locate(m.cell_hi(r));
        if (upper.x > down.x) sum += cell((r - m.zp) * m.s, down, upper);
        down = upper;
        r += 1.0;
        if (sum >= bound) return sum;
      }
    }
    return sum;
  }

 private:
  // The bin j in [a_, b_) with e_[j] <= x < e_[j + 1], for x in [lo_, hi_) (on a uniform grid a
  // multiply and a truncation, corrected against the edges).
  std::size_t bin_of(double x) const noexcept {
    std::size_t j;
    if (uniform_) {
      const double t = std::min((x - lo_) * inv_w_, static_cast<double>(b_ - a_ - 1));  // >= 0: x >= lo_
      j = a_ + static_cast<std::size_t>(t);
      while (j > a_ && e_[j] > x) --j;
      while (j + 1 < b_ && e_[j + 1] <= x) ++j;
    } else {
      j = static_cast<std::size_t>(std::upper_bound(e_ + a_, e_ + b_ + 1, x) - e_) - 1;
      j = std::min(std::max(j, a_), b_ - 1);
    }
    return j;
  }
  double piece(std::size_t j, double u, double v, double r) const noexcept {
    if (mv_.present()) {
      if (!(v > u)) return 0.0;
      if (u <= e_[j] && v >= e_[j + 1]) return moment_sq_error(c_[j], mv_.sum1[j], mv_.sum2[j], e_[j], r);
      return dist_[j - a_].piece(u, v, r);
    }
    const double d = dens_[j - a_];
    if (d == 0.0 || !(v > u)) return 0.0;
    const double A = u - r, B = v - r;
    return d * ((v - u) * (A * A + A * B + B * B));
  }
  // Whole bins [ja, jb) with reconstruction r.
  double whole(std::size_t ja, std::size_t jb, double r) const noexcept {
    if (ja >= jb) return 0.0;
    const double s0 = p0_[jb - a_] - p0_[ja - a_];
    if (s0 == 0.0) return 0.0;
    const double s1 = p1_[jb - a_] - p1_[ja - a_];
    const double s2 = p2_[jb - a_] - p2_[ja - a_];
    const double rr = r - x0_;
    const double val = s2 - 2.0 * rr * s1 + rr * rr * s0;
    return nonneg_ ? std::max(val, 0.0) : val;
  }
  // A cell boundary clipped to [lo_, hi_] and its bin (b_ for hi_).
  struct point {
    double x;
    std::size_t j;
  };
  point locate(double x) const noexcept {
    if (!(x > lo_)) return point{lo_, a_};  // -Inf (the qmin cell) included
    if (!(x < hi_)) return point{hi_, b_};
    return point{x, bin_of(x)};
  }
  // [u, v) (u.x < v.x, both inside [lo_, hi_]), all of it reconstructed as r.
  double cell(double r, const point& u, const point& v) const noexcept {
    if (v.j == b_) return piece(u.j, u.x, e_[u.j + 1], r) + whole(u.j + 1, b_, r);
    if (u.j == v.j) return piece(u.j, u.x, v.x, r);
    return piece(u.j, u.x, e_[u.j + 1], r) + whole(u.j + 1, v.j, r) + piece(v.j, e_[v.j], v.x, r);
  }

  const double* c_;
  const double* e_;
  bin_moments mv_;
  double dmin_, dmax_;
  std::size_t jmin_ = 0, jmax_ = 0, a_ = 0, b_ = 0;
  int ends_ = 1;
  bool nonneg_ = true, uniform_ = false;
  double lo_ = 0.0, hi_ = 0.0, x0_ = 0.0, mean_ = 0.0, w_ = 0.0, inv_w_ = 0.0;
  std::vector<std::size_t> outside_;
  std::vector<double> p0_, p1_, p2_, dens_;  // dens_: c_j / w_j / 3 for the pieces
  std::vector<bin_dist> dist_;               // with moments: the pieces' model of each bin
};

}  // namespace detail

/// qlin's MSE range search on a histogram (see the header comment and docs/observers.md).
/// counts[bins], edges[bins + 1] ascending; data_min / data_max: the observed finite range.
/// `start` (optional) is an extra starting candidate, e.g. torch's L2 choice.
inline result<clip_range> mse_search(const double* counts, const double* edges, std::size_t bins, float data_min,
                                     float data_max, const qparams_options& opt, const clip_range* start = nullptr,
                                     const bin_moments& moments = {}) {
  if (counts == nullptr || edges == nullptr || bins == 0) return fail(errc::invalid_argument, "the histogram is empty");
  if (!std::isfinite(data_min) || !std::isfinite(data_max)) return fail(errc::non_finite_input, "min and max must be finite");
  if (data_min > data_max) return fail(errc::min_greater_than_max, "min must not be greater than max");
  const double dmin = static_cast<double>(data_min), dmax = static_cast<double>(data_max);
  {
    const result<quant_params> probe = choose_qparams(data_min, data_max, opt);
    if (!probe) return probe.error();
  }
  const detail::sq_error_table table(counts, edges, bins, dmin, dmax, moments);
  // The sweeps revisit (lo, hi) pairs (about 40% of the evaluations on a normal histogram);
  // `seen` keeps, per pair, its error (exact) or a lower bound of it (an abandoned evaluation).
  struct known {
    double value;
    bool exact;
  };
  std::unordered_map<std::uint64_t, known> seen;
  // better(lo, hi, bound, err): the parameters of [lo, hi] exist and their error err < bound.
  auto better = [&](float lo, float hi, double bound, double& err) -> bool {
    std::uint32_t bl = 0, bh = 0;
    std::memcpy(&bl, &lo, sizeof bl);
    std::memcpy(&bh, &hi, sizeof bh);
    const std::uint64_t key = (std::uint64_t{bl} << 32) | bh;
    const auto it = seen.find(key);
    if (it != seen.end()) {
      if (!(it->second.value < bound)) return false;  // error >= value >= bound (or NaN)
      if (it->second.exact) {
        err = it->second.value;
        return true;
      }
    }
    const result<quant_params> p = choose_qparams(lo, hi, opt);
    double e = p ? table.eval(*p, bound) : std::numeric_limits<double>::quiet_NaN();
    if (!std::isfinite(e)) e = std::numeric_limits<double>::quiet_NaN();  // never better
    seen[key] = known{e, e < bound};
    if (!(e < bound)) return false;
    err = e;
    return true;
  };
  const double inf = std::numeric_limits<double>::infinity();
  // Candidate values: every edge inside the data range, and the data's own ends.
  std::vector<float> cand;
  cand.reserve(bins + 3);
  cand.push_back(data_min);
  cand.push_back(data_max);
  for (std::size_t j = 0; j <= bins; ++j) {
    const auto e = static_cast<float>(edges[j]);
    if (e >= data_min && e <= data_max) cand.push_back(e);
  }
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  clip_range best{data_min, data_max};
  double best_err = 0.0;
  if (!better(data_min, data_max, inf, best_err)) return fail(errc::invalid_scale, "no valid parameters for the observed range");
  if (opt.scheme == qscheme::symmetric) {
    const float amax_all = std::max(-data_min, data_max);
    best = clip_range{-amax_all, amax_all};
    std::vector<float> amaxes;
    for (float c : cand) {
      const float a = std::fabs(c);
      if (a <= amax_all) amaxes.push_back(a);
    }
    if (start != nullptr) amaxes.push_back(std::max(-start->min, start->max));
    for (float a : amaxes) {
      double err;
      if (better(-a, a, best_err, err)) {
        best_err = err;
        best = clip_range{-a, a};
      }
    }
    return best;
  }
  auto descend = [&](clip_range r, double err) {
    for (int sweep = 0; sweep < 16; ++sweep) {
      bool moved = false;
      for (float lo : cand) {
        if (lo > r.max || lo > 0.0f) break;
        double e;
        if (lo != r.min && better(lo, r.max, err, e)) {
          err = e;
          r.min = lo;
          moved = true;
        }
      }
      for (float hi : cand) {
        if (hi < r.min || hi < 0.0f) continue;
        double e;
        if (hi != r.max && better(r.min, hi, err, e)) {
          err = e;
          r.max = hi;
          moved = true;
        }
      }
      if (!moved) break;
    }
    if (err < best_err) {
      best_err = err;
      best = r;
    }
  };
  descend(best, best_err);
  if (start != nullptr && start->min <= start->max) {
    const clip_range s0{std::max(start->min, data_min), std::min(start->max, data_max)};
    double e;
    if (s0.min <= s0.max && better(s0.min, s0.max, inf, e)) {
      if (e < best_err) {
        best_err = e;
        best = s0;
      }
      descend(s0, e);
    }
  }
  return best;
}

/// Which range selection to run on a histogram observer.
enum class histogram_method : unsigned char {
  histogram,   ///< torch 1.13 HistogramObserver L2 search
  mse,         ///< qlin's expected-MSE search
  percentile,  ///< two-sided percentile (signed) or TensorRT percentile (|x|)
  entropy,     ///< TensorRT entropy (|x| only)
};

namespace detail {

inline std::int64_t floor_div_pow2(std::int64_t g, int d) noexcept {
  // floor(g / 2^d) for d >= 0.
  if (d >= 63) return g < 0 ? -1 : 0;
  const std::int64_t q = g / (std::int64_t{1} << d);
  return (g < 0 && q * (std::int64_t{1} << d) != g) ? q - 1 : q;
}

inline std::int64_t grid_index(float x, int k) noexcept {
  return static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(x), -k)));
}

/// The bin of x in histogram_observer's window (k, o): floor(x / 2^k) - o, without libm.
///
/// Exactness (the same integer as floor(ldexp(double(x), -k)) - o, grid_index above):
///  - scale = 2^-k is an exact double: the observer's k lies in [-190, 130] (k >= grid_floor_k >=
///    -190; a float range fits 2 bins at k = 129).
///  - y = double(x) * scale is exact: it only changes the exponent of x's 24-bit significand, and
///    it neither overflows nor underflows: |x| < 2^(ilogb(amax) + 1) and k >= ilogb(amax) - 40
///    give |y| < 2^41; |x| >= 2^-149 (a nonzero float) and k <= 130 give |y| >= 2^-279.
///  - floor(y): t = double(int64(y)) truncates toward zero exactly (|y| < 2^41 < 2^63); t > y
///    exactly when y is a negative non-integer, where floor = t - 1 (exact, |t| < 2^41). -0.0
///    gives 0 like floor(-0.0). The AVX2 path uses roundpd(floor), which is exact by definition.
///  - floor(y) - o is a difference of integers below 2^42 in magnitude: exact in double, and in
///    [0, bins) for every x of the window, so the int32 / int64 conversion is exact.
/// NaN / +-Inf go to the dummy slot `nb` (their conversion is never evaluated in the scalar path;
/// in the AVX2 path cvttpd2dq gives 0x80000000 and min_epu32 clamps it to nb).
struct grid_binner {
  double scale;   // 2^-k
  double origin;  // o
  std::uint32_t nb;
  static constexpr bool has_avx2 = true;
  std::uint32_t idx1(float x) const noexcept {
    const bool fin = (x - x) == 0.0f;  // false for NaN and +-Inf
    const double y = static_cast<double>(fin ? x : 0.0f) * scale;
    double t = static_cast<double>(static_cast<std::int64_t>(y));
    t -= t > y ? 1.0 : 0.0;
    const auto j = static_cast<std::uint32_t>(static_cast<std::int64_t>(t - origin));
    return fin ? j : nb;
  }
#if defined(QLIN_REDUCE_AVX2)
  QLIN_REDUCE_AVX2_TARGET __m256i idx8(const float* p) const noexcept {
    const __m256 v = _mm256_loadu_ps(p);
    const __m256d s = _mm256_set1_pd(scale), o = _mm256_set1_pd(origin);
    const __m256d lo = _mm256_sub_pd(_mm256_floor_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), s)), o);
    const __m256d hi = _mm256_sub_pd(_mm256_floor_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), s)), o);
    const __m256i j = _mm256_set_m128i(_mm256_cvttpd_epi32(hi), _mm256_cvttpd_epi32(lo));
    return _mm256_min_epu32(j, _mm256_set1_epi32(static_cast<int>(nb)));
  }
#endif
};

/// grid_binner's slots computed in float32 / int32 where that is exact: -127 <= k <= 0 and
/// |o| + nb < 2^30 (bin widths of at most 1: the usual case of activations and weights with up to
/// `bins` units of range). idx1 is grid_binner's rule. The AVX2 path:
///  - y = x * 2^-k in float32 is exact: 2^-k is a normal float (0 <= -k <= 127), multiplying by it
///    only raises the exponent (k <= 0, so a subnormal x is scaled up exactly, nothing underflows)
///    and |y| < 2^41 (grid_binner's bound) does not overflow.
///  - floor(y) (roundps) is exact, an integer in [o, o + nb) for x in the window, so below 2^30 in
///    magnitude: cvttps2dq converts it exactly and the int32 difference with o is the slot.
///  - NaN / +-Inf convert to 0x80000000; minus o (|o| < 2^30) that is at least 2^30 > nb as an
///    unsigned number, so min_epu32 sends it to the dummy slot nb, like idx1.
/// Precondition (as for grid_binner): every finite x lies in the window [o 2^k, (o + nb) 2^k).
struct grid_binner_f32 {
  grid_binner g;
  float fscale;  // 2^-k as a float
  std::int32_t io;  // o
  static constexpr bool has_avx2 = true;
  /// True when (k, o, nb) allow this binner.
  static bool usable(int k, std::int64_t o, std::size_t nb) noexcept {
    return k <= 0 && k >= -127 && (o < 0 ? -o : o) + static_cast<std::int64_t>(nb) < (std::int64_t{1} << 30);
  }
  std::uint32_t idx1(float x) const noexcept { return g.idx1(x); }
#if defined(QLIN_REDUCE_AVX2)
  QLIN_REDUCE_AVX2_TARGET __m256i idx8(const float* p) const noexcept {
    const __m256 y = _mm256_floor_ps(_mm256_mul_ps(_mm256_loadu_ps(p), _mm256_set1_ps(fscale)));
    const __m256i j = _mm256_sub_epi32(_mm256_cvttps_epi32(y), _mm256_set1_epi32(io));
    return _mm256_min_epu32(j, _mm256_set1_epi32(static_cast<int>(g.nb)));
  }
#endif
};

inline int grid_floor_k(float amax) noexcept {
  if (amax == 0.0f) return -190;
  return std::ilogb(amax) - 40;
}

/// True when k is exactly the grid exponent the range [mn, mx] requires.
inline bool required_k_ok(float mn, float mx, int k, std::size_t bins) noexcept {
  const int floor_k = grid_floor_k(std::max(std::fabs(mn), std::fabs(mx)));
  auto fits = [&](int kk) { return grid_index(mx, kk) - grid_index(mn, kk) < static_cast<std::int64_t>(bins); };
  if (k < floor_k || !fits(k)) return false;
  return k == floor_k || !fits(k - 1);
}

inline bool valid_bins(std::uint64_t bins) noexcept { return bins >= 2 && bins <= (std::uint64_t{1} << 24); }

/// Two-sided percentile on counts / edges: [edge at (100 - P) / 2 %, edge at (100 + P) / 2 %].
inline result<clip_range> two_sided_percentile(const double* counts, const double* edges, std::size_t bins, double pct,
                                               float dmin, float dmax) {
  if (!(pct >= 0.0 && pct <= 100.0)) return fail(errc::invalid_argument, "the percentile must lie in [0, 100]");
  double total = 0.0;
  for (std::size_t j = 0; j < bins; ++j) total += counts[j];
  if (!(total > 0.0)) return fail(errc::no_finite_values, "the histogram holds no values");
  const double lo_t = (100.0 - pct) / 200.0 * total, hi_t = (100.0 + pct) / 200.0 * total;
  double run = 0.0;
  std::size_t lo_j = 0, hi_j = bins;
  bool lo_found = false;
  for (std::size_t j = 0; j < bins; ++j) {
    const double next = run + counts[j];
    if (!lo_found && next > lo_t) {
      lo_j = j;
      lo_found = true;
    }
    if (next >= hi_t) {
      hi_j = j + 1;
      break;
    }
    run = next;
  }
  clip_range r{static_cast<float>(edges[lo_j]), static_cast<float>(edges[hi_j])};
  r.min = std::max(r.min, dmin);
  r.max = std::min(r.max, dmax);
  if (r.min > r.max) r.min = r.max;
  return r;
}

}  // namespace detail

/// Whether histogram_observer records per-bin moments (see its constructor).
enum class track_moments : unsigned char { no, yes };

namespace detail {

/// histogram_observer's moment accumulation (track_moments::yes), separate from the counting:
/// each finite x of the batch, in the bin j = b.idx1(x) its count went to (so a value on an edge
/// goes where its count goes), adds d = x - e_j and d^2 to s1[j] and s2[j], e_j = (o + j) 2^k.
/// d is exact in double for x >= e_j >= 0 and whenever |x| >= 2^k (it is x's bits below 2^k, or
/// 2^k minus them, at most 24 bits); d^2 of a 24-bit d is exact too. Only the sums round. With
/// AVX2 the bins come from b.idx8 (the same slots as idx1, see grid_binner), 8 at a time.
inline void add_moment(std::uint32_t j, float x, double origin, double w, double* s1, double* s2) noexcept {
  const double d = static_cast<double>(x) - (origin + static_cast<double>(j)) * w;
  s1[j] += d;
  s2[j] += d * d;
}

#if defined(QLIN_REDUCE_AVX2)
QLIN_REDUCE_AVX2_TARGET inline void accumulate_moments_avx2(const grid_binner& b, double w, const float* x, std::size_t n,
                                                            double* s1, double* s2) noexcept {
  alignas(32) std::uint32_t id[8];
  std::size_t i = 0;
  for (; n - i >= 8; i += 8) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(id), b.idx8(x + i));
    for (std::size_t l = 0; l < 8; ++l) {
      if (id[l] < b.nb) add_moment(id[l], x[i + l], b.origin, w, s1, s2);
    }
  }
  for (; i < n; ++i) {
    const std::uint32_t j = b.idx1(x[i]);
    if (j < b.nb) add_moment(j, x[i], b.origin, w, s1, s2);
  }
}
#endif

inline void accumulate_moments(const grid_binner& b, int k, const float* x, std::size_t n, double* s1,
                               double* s2) noexcept {
  const double w = std::ldexp(1.0, k);
#if defined(QLIN_REDUCE_AVX2)
  if (have_avx2()) {
    accumulate_moments_avx2(b, w, x, n, s1, s2);
    return;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t j = b.idx1(x[i]);
    if (j < b.nb) add_moment(j, x[i], b.origin, w, s1, s2);
  }
}

/// Adds the moments of bins (k_from, o_from + j) into the coarser or equal grid (k_to, o_to): the
/// parent of a bin is floor(g / 2^(k_to - k_from)) (as for the counts) and moments about the
/// child's left edge move to the parent's by the offset delta = e_child - e_parent >= 0:
/// t1 + n delta, t2 + 2 delta t1 + n delta^2 (rounded: equal to one pass up to double rounding).
inline void move_moments(const std::uint64_t* counts, const double* s1, const double* s2, std::size_t bins, int k_from,
                         std::int64_t o_from, int k_to, std::int64_t o_to, double* d1, double* d2) noexcept {
  for (std::size_t j = 0; j < bins; ++j) {
    if (counts[j] == 0) continue;
    const std::int64_t g = o_from + static_cast<std::int64_t>(j);
    const std::int64_t parent = floor_div_pow2(g, k_to - k_from);
    const double delta = std::ldexp(static_cast<double>(g), k_from) - std::ldexp(static_cast<double>(parent), k_to);
    const auto c = static_cast<double>(counts[j]);
    const auto q = static_cast<std::size_t>(parent - o_to);
    d1[q] += s1[j] + c * delta;
    d2[q] += s2[j] + 2.0 * delta * s1[j] + c * delta * delta;
  }
}

}  // namespace detail

/// qlin's exact, mergeable signed histogram (see the header comment).
class histogram_observer {
 public:
  /// The tag of its serialized form.
  static constexpr observer_kind kind = observer_kind::histogram;
  /// The default number of bins.
  static constexpr std::size_t default_bins = 2048;

  /// Precondition: 2 <= bins <= 2^24 (use make() for outside input). track_moments::yes also
  /// records, per bin, the sum of (x - left edge) and of its square (sum1() / sum2()), which the
  /// mse search uses to make its error model exact for every bin inside one quantization cell
  /// (docs/observers.md, "The mse search"); it costs 2 doubles per bin and a second pass over
  /// each batch. Off (the default), collection and results are as without the option.
  explicit histogram_observer(std::size_t bins = default_bins, track_moments moments = track_moments::no)
      : counts_(bins, 0) {
    QLIN_ASSERT(detail::valid_bins(bins));
    if (moments == track_moments::yes) {
      sum1_.assign(bins, 0.0);
      sum2_.assign(bins, 0.0);
    }
  }
  /// An observer with `bins` bins; errc::invalid_argument outside [2, 2^24].
  static result<histogram_observer> make(std::size_t bins, track_moments moments = track_moments::no) {
    if (!detail::valid_bins(bins)) return fail(errc::invalid_argument, "bins must lie in [2, 2^24]");
    return histogram_observer(bins, moments);
  }

  /// The number of bins.
  std::size_t bins() const noexcept { return counts_.size(); }
  /// True once a finite value has been seen.
  bool has_range() const noexcept { return s_.finite != 0; }
  /// The smallest finite value seen (+Inf before any).
  float min() const noexcept { return s_.min; }
  /// The largest finite value seen (-Inf before any).
  float max() const noexcept { return s_.max; }
  /// Finite values counted.
  std::uint64_t finite_count() const noexcept { return s_.finite; }
  /// NaN / +-Inf values skipped.
  std::uint64_t nonfinite_count() const noexcept { return s_.nonfinite; }
  /// The bin counts (bins() of them).
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  /// True when constructed with track_moments::yes.
  bool tracks_moments() const noexcept { return !sum1_.empty(); }
  /// With track_moments::yes: per bin, the sum of (x - edges()[j]) and of (x - edges()[j])^2 over
  /// its values (empty otherwise). After regridding or merge() they equal one pass over the same
  /// data up to double rounding (the counts are exact), so a search on them can resolve a
  /// near-tie differently.
  const std::vector<double>& sum1() const noexcept { return sum1_; }
  /// Per bin, the sum of (x - edges()[j])^2 (see sum1()).
  const std::vector<double>& sum2() const noexcept { return sum2_; }
  /// Bin width 2^k and window origin o: bin j covers [(o + j) 2^k, (o + j + 1) 2^k).
  int exponent() const noexcept { return k_; }
  /// The window origin o (see exponent()).
  std::int64_t origin() const noexcept { return o_; }
  /// edges[j] = (o + j) * 2^k, j = 0..bins (exact in double).
  std::vector<double> edges() const {
    std::vector<double> e(bins() + 1);
    for (std::size_t j = 0; j <= bins(); ++j) e[j] = std::ldexp(static_cast<double>(o_ + static_cast<std::int64_t>(j)), k_);
    return e;
  }

  /// Counts the finite values of data[0, n) (the grid grows to cover them, exactly); skips NaN / +-Inf.
  /// Large batches are observed in chunks of observe_chunk floats, each reduced and
  /// then binned while it is still in the L2 cache (one read from memory instead of two), into
  /// sub-histograms that are added to the counts only at the end or before the grid changes. The
  /// state is the same as for one pass, bit for bit (a sequence of batches equals one pass over
  /// them, see the header comment; tests/unit/test_observers_fast_paths.cpp checks it).
  void observe(const float* data, std::size_t n) {
    if (n == 0) return;
    const bool use_sub = bins() + 1 <= detail::max_sub_slots && n >= 2 * (bins() + 1);
    if (!use_sub) {
      observe_block(data, n, nullptr);
      return;
    }
    detail::sub_histograms sh(bins());
    for (std::size_t i = 0; i < n; i += observe_chunk) {
      const std::size_t len = std::min(observe_chunk, n - i);
      if (sh.pending + len > detail::sub_chunk) sh.flush_into(counts_.data());
      observe_block(data + i, len, &sh, data + i + len, std::min(observe_chunk, n - i - len));
    }
    sh.flush_into(counts_.data());
  }

  /// Chunk size of observe() (floats): 256 KiB, a quarter of a typical L2.
  static constexpr std::size_t observe_chunk = std::size_t{1} << 16;

 private:
  // One chunk: into `sh` (pending until flushed; flushed first if the grid changes) or, without
  // sub-histograms, straight into the counts.
  void observe_block(const float* data, std::size_t n, detail::sub_histograms* sh, const float* next = nullptr,
                     std::size_t next_n = 0) {
    const minmax_summary b = detail::reduce_minmax(data, n);
    s_.nonfinite += b.nonfinite;
    if (!b.has_range()) return;
    minmax_summary u = s_;
    detail::combine(u, minmax_summary{b.min, b.max, b.finite, 0});
    regrid(u.min, u.max, sh);
    const detail::grid_binner gb{std::ldexp(1.0, -k_), static_cast<double>(o_), static_cast<std::uint32_t>(bins())};
    if (sh == nullptr) {
      detail::count_batch(gb, data, n, bins(), counts_.data());
    } else if (detail::grid_binner_f32::usable(k_, o_, bins())) {
      sh->add(detail::grid_binner_f32{gb, std::ldexp(1.0f, -k_), static_cast<std::int32_t>(o_)}, data, n, next, next_n);
    } else {
      sh->add(gb, data, n, next, next_n);
    }
    if (tracks_moments()) detail::accumulate_moments(gb, k_, data, n, sum1_.data(), sum2_.data());
    s_.min = u.min;
    s_.max = u.max;
    s_.finite += b.finite;
  }

 public:
  /// Exact, associative and commutative (the moments: up to double rounding); errc::invalid_argument
  /// if the bin counts or the moment tracking differ.
  status merge(const histogram_observer& other) {
    if (other.bins() != bins()) return fail(errc::invalid_argument, "cannot merge histograms with different bin counts");
    if (other.tracks_moments() != tracks_moments()) {
      return fail(errc::invalid_argument, "cannot merge histograms with and without moments");
    }
    s_.nonfinite += other.s_.nonfinite;
    if (!other.has_range()) return ok();
    minmax_summary u = s_;
    detail::combine(u, minmax_summary{other.s_.min, other.s_.max, other.s_.finite, 0});
    regrid(u.min, u.max);
    if (tracks_moments()) {
      detail::move_moments(other.counts_.data(), other.sum1_.data(), other.sum2_.data(), bins(), other.k_, other.o_, k_,
                           o_, sum1_.data(), sum2_.data());
    }
    for (std::size_t j = 0; j < other.bins(); ++j) {
      if (other.counts_[j] == 0) continue;
      const std::int64_t g = detail::floor_div_pow2(other.o_ + static_cast<std::int64_t>(j), k_ - other.k_);
      counts_[static_cast<std::size_t>(g - o_)] += other.counts_[j];
    }
    s_.min = u.min;
    s_.max = u.max;
    s_.finite += other.s_.finite;
    return ok();
  }

  /// Back to the state of a new observer with the same number of bins.
  void reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    std::fill(sum1_.begin(), sum1_.end(), 0.0);
    std::fill(sum2_.begin(), sum2_.end(), 0.0);
    s_ = minmax_summary{};
    k_ = 0;
    o_ = 0;
  }

  /// The clipping range chosen by `method` (errc::no_finite_values before any finite value).
  /// `opt` matters for mse (the parameters whose error is minimized) and histogram (dst_nbins =
  /// 2^bits of opt.type); `percentile` is used by the percentile method.
  result<clip_range> select_range(histogram_method method, const qparams_options& opt = {}, double percentile = 99.99) const {
    if (!has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
    const std::size_t last = static_cast<std::size_t>(detail::grid_index(s_.max, k_) - o_);
    const std::vector<double> e = edges();
    std::vector<double> c(last + 1);
    for (std::size_t j = 0; j <= last; ++j) c[j] = static_cast<double>(counts_[j]);
    switch (method) {
      case histogram_method::histogram:
      case histogram_method::mse: {
        const result<clip_range> l2 = l2_range(c, e, last, opt);
        if (!l2) return l2.error();
        if (method == histogram_method::histogram) return l2;
        const bin_moments mv = tracks_moments() ? bin_moments{sum1_.data(), sum2_.data()} : bin_moments{};
        return mse_search(c.data(), e.data(), last + 1, s_.min, s_.max, opt, &*l2, mv);
      }
      case histogram_method::percentile:
        return detail::two_sided_percentile(c.data(), e.data(), last + 1, percentile, s_.min, s_.max);
      case histogram_method::entropy:
        break;
    }
    return fail(errc::unsupported, "entropy calibration needs the |x| histogram (abs_histogram_observer)");
  }

  /// choose_qparams(opt) on select_range(method, opt, percentile).
  result<quant_params> calculate_qparams(histogram_method method, const qparams_options& opt = {},
                                         double percentile = 99.99) const {
    const result<clip_range> r = select_range(method, opt, percentile);
    if (!r) return r.error();
    return choose_qparams(r->min, r->max, opt);
  }

  /// The observer's state as bytes (deserialize() restores it exactly).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    w.u8(tracks_moments() ? 4 : 0);
    w.u32(static_cast<std::uint32_t>(bins()));
    w.u32(static_cast<std::uint32_t>(k_));
    w.u64(static_cast<std::uint64_t>(o_));
    w.f32(s_.min);
    w.f32(s_.max);
    w.u64(s_.finite);
    w.u64(s_.nonfinite);
    for (std::uint64_t c : counts_) w.u64(c);
    for (double v : sum1_) w.f64(v);
    for (double v : sum2_) w.f64(v);
    return w.take();
  }

  /// The observer serialize() wrote; errc::corrupt_data for anything else.
  static result<histogram_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    const std::uint8_t flavour = r.header(kind) ? r.u8() : std::uint8_t{255};
    if (!r.ok() || (flavour != 0 && flavour != 4)) return detail::corrupt("not a serialized histogram_observer");
    const bool moments = flavour == 4;
    const std::uint32_t nb = r.u32();
    const auto k = static_cast<std::int32_t>(r.u32());
    const auto o = static_cast<std::int64_t>(r.u64());
    minmax_summary s;
    s.min = r.f32();
    s.max = r.f32();
    s.finite = r.u64();
    s.nonfinite = r.u64();
    if (!r.ok() || !detail::valid_bins(nb) ||
        r.remaining() / 8u != static_cast<std::size_t>(nb) * (moments ? 3u : 1u) || r.remaining() % 8u != 0) {
      return detail::corrupt("corrupt or truncated histogram_observer state");
    }
    histogram_observer h(nb, moments ? track_moments::yes : track_moments::no);
    std::uint64_t sum = 0;
    for (std::size_t j = 0; j < nb; ++j) {
      h.counts_[j] = r.u64();
      if (h.counts_[j] > std::numeric_limits<std::uint64_t>::max() - sum) return detail::corrupt("histogram counts overflow");
      sum += h.counts_[j];
    }
    for (auto& v : h.sum1_) v = r.f64();
    for (auto& v : h.sum2_) v = r.f64();
    if (!r.done() || sum != s.finite) return detail::corrupt("histogram counts disagree with the finite count");
    if (s.finite == 0) {
      if (!(s.min == std::numeric_limits<float>::infinity() && s.max == -std::numeric_limits<float>::infinity()) || k != 0 ||
          o != 0) {
        return detail::corrupt("corrupt empty histogram_observer state");
      }
      for (std::size_t j = 0; j < h.sum1_.size(); ++j) {
        if (h.sum1_[j] != 0.0 || h.sum2_[j] != 0.0) return detail::corrupt("corrupt empty histogram_observer moments");
      }
      h.s_ = s;
      return h;
    }
    if (!std::isfinite(s.min) || !std::isfinite(s.max) || s.min > s.max || k < -200 || k > 200) {
      return detail::corrupt("corrupt histogram_observer range");
    }
    if (detail::required_k_ok(s.min, s.max, k, nb) == false || detail::grid_index(s.min, k) != o) {
      return detail::corrupt("histogram_observer grid disagrees with its range");
    }
    const auto last = static_cast<std::size_t>(detail::grid_index(s.max, k) - o);
    if (h.counts_[0] == 0 || h.counts_[last] == 0) return detail::corrupt("histogram_observer end bins are empty");
    for (std::size_t j = last + 1; j < nb; ++j)
      if (h.counts_[j] != 0) return detail::corrupt("histogram_observer counts beyond the range");
    if (moments) {
      // Each bin's moments: finite, 0 where the bin is empty, and within what n values in
      // [0, w) can give (0 <= t1 <= n w, 0 <= t2 <= n w^2, with a little room for rounding).
      const double w = std::ldexp(1.0, k);
      for (std::size_t j = 0; j < nb; ++j) {
        const auto c = static_cast<double>(h.counts_[j]);
        const double t1 = h.sum1_[j], t2 = h.sum2_[j];
        const double slack = 1.0 + 0x1p-20;
        if (!(t1 >= 0.0 && t2 >= 0.0 && t1 <= c * w * slack && t2 <= c * w * w * slack)) {
          return detail::corrupt("corrupt histogram_observer moments");
        }
      }
    }
    h.s_ = s;
    h.k_ = k;
    h.o_ = o;
    return h;
  }
  /// deserialize(b.data(), b.size()).
  static result<histogram_observer> deserialize(const std::vector<std::uint8_t>& b) { return deserialize(b.data(), b.size()); }

 private:
  result<clip_range> l2_range(const std::vector<double>& c, const std::vector<double>& e, std::size_t last,
                              const qparams_options& opt) const {
    std::vector<float> h(last + 1);
    for (std::size_t j = 0; j <= last; ++j) h[j] = static_cast<float>(c[j]);
    const std::size_t dst = std::size_t{1} << bit_width(opt.type);
    const auto lo = static_cast<float>(e[0]);
    const auto hi = static_cast<float>(e[last + 1]);
    result<clip_range> r = torch_histogram_search(h.data(), last + 1, lo, hi, dst);
    if (!r) return r;
    clip_range out = *r;
    out.min = std::min(std::max(out.min, s_.min), s_.max);
    out.max = std::min(std::max(out.max, out.min), s_.max);
    return out;
  }

  // Moves to the grid (k, o) that the range [mn, mx] requires (k never decreases). Counts pending
  // in `sh` (on the old grid) are added to the counts first.
  void regrid(float mn, float mx, detail::sub_histograms* sh = nullptr) {
    const float amax = std::max(std::fabs(mn), std::fabs(mx));
    int k = has_range() ? std::max(k_, detail::grid_floor_k(amax)) : detail::grid_floor_k(amax);
    while (detail::grid_index(mx, k) - detail::grid_index(mn, k) >= static_cast<std::int64_t>(bins())) ++k;
    const std::int64_t o = detail::grid_index(mn, k);
    if (!has_range()) {
      k_ = k;
      o_ = o;
      return;
    }
    if (k == k_ && o == o_) return;
    if (sh != nullptr) sh->flush_into(counts_.data());
    if (tracks_moments()) {
      std::vector<double> n1(bins(), 0.0), n2(bins(), 0.0);
      detail::move_moments(counts_.data(), sum1_.data(), sum2_.data(), bins(), k_, o_, k, o, n1.data(), n2.data());
      sum1_.swap(n1);
      sum2_.swap(n2);
    }
    std::vector<std::uint64_t> next(bins(), 0);
    for (std::size_t j = 0; j < bins(); ++j) {
      if (counts_[j] == 0) continue;
      const std::int64_t g = detail::floor_div_pow2(o_ + static_cast<std::int64_t>(j), k - k_);
      next[static_cast<std::size_t>(g - o)] += counts_[j];
    }
    counts_.swap(next);
    k_ = k;
    o_ = o;
  }

  std::vector<std::uint64_t> counts_;
  std::vector<double> sum1_, sum2_;  // empty unless track_moments::yes
  minmax_summary s_;
  int k_ = 0;
  std::int64_t o_ = 0;
};


namespace detail {

/// torch 1.13 HistogramObserver._combine_histograms: `old` (over the previous range) upsampled by
/// `ups`, placed at start_idx, cumulatively summed in double, sampled every ds, differenced and
/// added into `orig` (float32). False when the slice would not fit (torch raises).
inline bool torch_combine(std::vector<float>& orig, const std::vector<float>& old, std::size_t ups, std::size_t ds,
                          std::size_t start_idx) {
  const std::size_t bins = orig.size();
  const std::size_t region = bins * ups;
  if (start_idx + region > bins * ds) return false;
  std::vector<double> integral(bins);
  double S = 0.0;
  std::size_t p = start_idx;
  const std::size_t region_end = start_idx + region;
  for (std::size_t j = 0; j < bins; ++j) {
    const std::size_t target = (j + 1) * ds - 1;
    while (p <= target && p < region_end) {
      S += static_cast<double>(old[(p - start_idx) / ups]);
      ++p;
    }
    integral[j] = S;
  }
  for (std::size_t j = 0; j < bins; ++j) {
    const double shifted = j == 0 ? 0.0 : static_cast<double>(static_cast<float>(integral[j - 1]));
    const auto interp = static_cast<float>((integral[j] - shifted) / static_cast<double>(ups));
    orig[j] = orig[j] + interp;
  }
  return true;
}

}  // namespace detail

/// torch 1.13 HistogramObserver, reproduced in float32 (see the header comment).
class torch_histogram_observer {
 public:
  /// The tag of its serialized form.
  static constexpr observer_kind kind = observer_kind::histogram;

  /// dst_nbins = 2^bits of the quantized type (256 for 8-bit types, torch's dst_nbins).
  explicit torch_histogram_observer(std::size_t bins = 2048, std::size_t upsample_rate = 128, std::size_t dst_nbins = 256)
      : hist_(bins, 0.0f), ups_(upsample_rate), dst_(dst_nbins) {
    QLIN_ASSERT(detail::valid_bins(bins) && upsample_rate >= 1 && upsample_rate <= 4096 && dst_nbins >= 2);
  }

  /// The number of bins.
  std::size_t bins() const noexcept { return hist_.size(); }
  /// torch's upsample_rate.
  std::size_t upsample_rate() const noexcept { return ups_; }
  /// torch's dst_nbins.
  std::size_t dst_nbins() const noexcept { return dst_; }
  /// True once a finite value has been seen.
  bool has_range() const noexcept { return s_.finite != 0; }
  /// The smallest finite value seen (+Inf before any).
  float min() const noexcept { return s_.min; }
  /// The largest finite value seen (-Inf before any).
  float max() const noexcept { return s_.max; }
  /// Finite values counted.
  std::uint64_t finite_count() const noexcept { return s_.finite; }
  /// NaN / +-Inf values skipped.
  std::uint64_t nonfinite_count() const noexcept { return s_.nonfinite; }
  /// torch's float32 histogram (bins() values).
  const std::vector<float>& histogram() const noexcept { return hist_; }

  /// One forward() call. errc::unsupported (state unchanged) where torch would raise or exhaust memory.
  status observe(const float* data, std::size_t n) {
    if (n == 0) return ok();
    const minmax_summary b = detail::reduce_minmax(data, n);
    if (!b.has_range()) {
      s_.nonfinite += b.nonfinite;
      return ok();
    }
    // NaN / +-Inf lie outside histc's finite [lo, hi], so the batch is binned as it is.
    if (!has_range() || s_.min == s_.max) {
      detail::torch_histc(data, n, bins(), static_cast<double>(std::trunc(b.min)), static_cast<double>(std::trunc(b.max)),
                              b.min, b.max, hist_.data());
      s_.min = b.min;
      s_.max = b.max;
    } else {
      float cmin = std::min(b.min, s_.min);
      float cmax = std::max(b.max, s_.max);
      std::size_t ds = 0, start_idx = 0;
      if (!adjust(cmin, cmax, ds, start_idx)) {
        return fail(errc::unsupported, "torch 1.13 cannot combine these ranges (zero bin width or too many upsampled bins)");
      }
      std::vector<float> next(bins(), 0.0f);
      detail::torch_histc(data, n, bins(), static_cast<double>(std::trunc(cmin)), static_cast<double>(std::trunc(cmax)),
                              b.min, b.max, next.data());
      if (cmin == s_.min && cmax == s_.max) {
        for (std::size_t j = 0; j < bins(); ++j) next[j] += hist_[j];
      } else if (!detail::torch_combine(next, hist_, ups_, ds, start_idx)) {
        return fail(errc::unsupported, "torch 1.13 cannot combine these ranges (the upsampled histogram does not fit)");
      }
      hist_.swap(next);
      s_.min = cmin;
      s_.max = cmax;
    }
    s_.finite += b.finite;
    s_.nonfinite += b.nonfinite;
    return ok();
  }

  /// Folds `other` in: our histogram is moved to the combined range as torch moves it for a batch,
  /// then the other's mass is added by linear overlap of its bins with ours (approximate and
  /// order-dependent). errc::invalid_argument for a different configuration.
  status merge(const torch_histogram_observer& other) {
    if (other.bins() != bins() || other.ups_ != ups_ || other.dst_ != dst_) {
      return fail(errc::invalid_argument, "cannot merge torch_histogram_observers with different configurations");
    }
    if (!other.has_range()) {
      s_.nonfinite += other.s_.nonfinite;
      return ok();
    }
    if (!has_range()) {
      const std::uint64_t nf = s_.nonfinite;
      *this = other;
      s_.nonfinite += nf;
      return ok();
    }
    float cmin = std::min(other.s_.min, s_.min);
    float cmax = std::max(other.s_.max, s_.max);
    std::vector<float> next(bins(), 0.0f);
    if (s_.min == s_.max) {
      // A constant state: its mass goes to the bin of its value.
      cmax = cmax > cmin ? cmax : cmin;
      add_overlap(next, cmin, cmax, s_.min, s_.max, hist_);
    } else if (!(cmin == s_.min && cmax == s_.max)) {
      std::size_t ds = 0, start_idx = 0;
      if (!adjust(cmin, cmax, ds, start_idx) || !detail::torch_combine(next, hist_, ups_, ds, start_idx)) {
        return fail(errc::unsupported, "torch 1.13 cannot combine these ranges");
      }
    } else {
      next = hist_;
    }
    add_overlap(next, cmin, cmax, other.s_.min, other.s_.max, other.hist_);
    hist_.swap(next);
    s_.min = cmin;
    s_.max = cmax;
    s_.finite += other.s_.finite;
    s_.nonfinite += other.s_.nonfinite;
    return ok();
  }

  /// torch's _non_linear_param_search on the state.
  result<clip_range> select_range(histogram_method method = histogram_method::histogram, const qparams_options& opt = {},
                                  double percentile = 99.99) const {
    if (!has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
    if (method == histogram_method::histogram) return torch_histogram_search(hist_.data(), bins(), s_.min, s_.max, dst_);
    std::vector<double> c(bins()), e(bins() + 1);
    for (std::size_t j = 0; j < bins(); ++j) c[j] = static_cast<double>(hist_[j]);
    const double w = (static_cast<double>(s_.max) - static_cast<double>(s_.min)) / static_cast<double>(bins());
    for (std::size_t j = 0; j <= bins(); ++j) e[j] = static_cast<double>(s_.min) + w * static_cast<double>(j);
    if (method == histogram_method::percentile) return detail::two_sided_percentile(c.data(), e.data(), bins(), percentile, s_.min, s_.max);
    if (method == histogram_method::mse) {
      const result<clip_range> l2 = torch_histogram_search(hist_.data(), bins(), s_.min, s_.max, dst_);
      if (!l2) return l2;
      return mse_search(c.data(), e.data(), bins(), s_.min, s_.max, opt, &*l2);
    }
    return fail(errc::unsupported, "entropy calibration needs the |x| histogram (abs_histogram_observer)");
  }

  /// torch's calculate_qparams: the L2 search, then choose_qparams (pytorch preset by default).
  result<quant_params> calculate_qparams(const qparams_options& opt = {}) const {
    const result<clip_range> r = select_range(histogram_method::histogram, opt);
    if (!r) return r.error();
    return choose_qparams(r->min, r->max, opt);
  }

  /// The observer's state as bytes (deserialize() restores it exactly).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    w.u8(1);
    w.u32(static_cast<std::uint32_t>(bins()));
    w.u32(static_cast<std::uint32_t>(ups_));
    w.u32(static_cast<std::uint32_t>(dst_));
    w.f32(s_.min);
    w.f32(s_.max);
    w.u64(s_.finite);
    w.u64(s_.nonfinite);
    for (float c : hist_) w.f32(c);
    return w.take();
  }

  /// The observer serialize() wrote; errc::corrupt_data for anything else.
  static result<torch_histogram_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind) || r.u8() != 1) return detail::corrupt("not a serialized torch_histogram_observer");
    const std::uint32_t nb = r.u32(), ups = r.u32(), dst = r.u32();
    minmax_summary s;
    s.min = r.f32();
    s.max = r.f32();
    s.finite = r.u64();
    s.nonfinite = r.u64();
    if (!r.ok() || !detail::valid_bins(nb) || ups < 1 || ups > 4096 || dst < 2 || dst > (1u << 16) ||
        r.remaining() != static_cast<std::size_t>(nb) * 4u) {
      return detail::corrupt("corrupt or truncated torch_histogram_observer state");
    }
    torch_histogram_observer h(nb, ups, dst);
    for (std::size_t j = 0; j < nb; ++j) {
      h.hist_[j] = r.f32();
      if (!(h.hist_[j] >= 0.0f) || !std::isfinite(h.hist_[j])) return detail::corrupt("corrupt torch_histogram_observer counts");
    }
    if (!r.done()) return detail::corrupt("trailing bytes after a torch_histogram_observer state");
    if (s.finite == 0) {
      if (!(s.min == std::numeric_limits<float>::infinity() && s.max == -std::numeric_limits<float>::infinity())) {
        return detail::corrupt("corrupt empty torch_histogram_observer state");
      }
    } else if (!std::isfinite(s.min) || !std::isfinite(s.max) || s.min > s.max) {
      return detail::corrupt("corrupt torch_histogram_observer range");
    }
    h.s_ = s;
    return h;
  }
  /// deserialize(b.data(), b.size()).
  static result<torch_histogram_observer> deserialize(const std::vector<std::uint8_t>& b) {
    return deserialize(b.data(), b.size());
  }

 private:
  // _adjust_min_max in float32; cmax is relaxed. False where torch would fail.
  bool adjust(float cmin, float& cmax, std::size_t& ds, std::size_t& start_idx) const {
    const float hbw = (s_.max - s_.min) / static_cast<float>(bins() * ups_);
    if (!(hbw > 0.0f)) return false;
    const float span = static_cast<float>(bins()) * hbw;
    const float t = std::ceil((cmax - cmin) / span);
    if (!(t >= 1.0f) || !(t <= 67108864.0f)) return false;
    ds = static_cast<std::size_t>(t);
    const float e = t * span - (cmax - cmin);
    cmax = cmax + e;
    const float si = std::nearbyint((s_.min - cmin) / hbw);
    if (!(si >= 0.0f) || !(si <= t * static_cast<float>(bins()))) return false;
    start_idx = static_cast<std::size_t>(si);
    return true;
  }

  // Adds the mass of `h` (over [lo, hi]) into `dst` (over [cmin, cmax]) by linear overlap.
  static void add_overlap(std::vector<float>& dst, float cmin, float cmax, float lo, float hi, const std::vector<float>& h) {
    const std::size_t nb = dst.size();
    const double W = static_cast<double>(cmax) - static_cast<double>(cmin);
    const double w = (static_cast<double>(hi) - static_cast<double>(lo)) / static_cast<double>(h.size());
    auto bin_of = [&](double x) {
      if (!(W > 0.0)) return std::size_t{0};
      const double t = (x - static_cast<double>(cmin)) / W * static_cast<double>(nb);
      return t <= 0.0 ? std::size_t{0} : t >= static_cast<double>(nb) ? nb - 1 : static_cast<std::size_t>(t);
    };
    for (std::size_t j = 0; j < h.size(); ++j) {
      if (h[j] == 0.0f) continue;
      const double a = static_cast<double>(lo) + w * static_cast<double>(j);
      const double b = a + w;
      const std::size_t ja = bin_of(a), jb = bin_of(b);
      if (ja == jb || !(w > 0.0)) {
        dst[ja] += h[j];
        continue;
      }
      for (std::size_t q = ja; q <= jb; ++q) {
        const double qa = static_cast<double>(cmin) + W * static_cast<double>(q) / static_cast<double>(nb);
        const double qb = static_cast<double>(cmin) + W * static_cast<double>(q + 1) / static_cast<double>(nb);
        const double ov = std::min(b, qb) - std::max(a, qa);
        if (ov > 0.0) dst[q] += static_cast<float>(static_cast<double>(h[j]) * ov / w);
      }
    }
  }

  std::vector<float> hist_;
  std::size_t ups_;
  std::size_t dst_;
  minmax_summary s_;
};

namespace detail {

/// torch.arange(0, end, step) in float32 (double start / step on the CPU, vectors of 8). Known
/// difference: torch's last (len % 8) values sometimes differ by one ulp from step * idx (70 of 200
/// random trials touched one of them); the full vectors are reproduced bit for bit.
inline std::vector<float> torch_arange_f32(float end, float step) {
  const double len_d = std::ceil(static_cast<double>(end) / static_cast<double>(step));
  const auto len = len_d > 0.0 ? static_cast<std::size_t>(len_d) : std::size_t{0};
  std::vector<float> out(len);
  const double st = static_cast<double>(step);
  const std::size_t nvec = len / 8 * 8;
  std::size_t idx = 0;
  for (; idx < nvec; idx += 8) {
    const auto base = static_cast<float>(st * static_cast<double>(idx));
    for (std::size_t l = 0; l < 8; ++l) out[idx + l] = static_cast<float>(static_cast<double>(base) + static_cast<double>(l) * st);
  }
  for (; idx < len; ++idx) out[idx] = static_cast<float>(st * static_cast<double>(idx));
  return out;
}

/// abs_histogram_observer's slot rule for x: |x| of a finite x goes to min(size_t((|x| - lo) * nb /
/// span), nb - 1) (float32 operations in that order) if |x| <= hi; above hi to the last bin with
/// a fixed range, else skipped; NaN / +-Inf are skipped (slot nb). Same argument as
/// torch_histc_binner for the AVX2 version; slots above 2^24 use the scalar rule only.
struct abs_histc_binner {
  float lo, hi, fnb, span;
  bool fixed;
  std::size_t nb;
  static constexpr bool has_avx2 = true;
  std::size_t idx1(float v) const noexcept {
    const float x = std::fabs(v);
    if (!((x - x) == 0.0f)) return nb;
    if (x > hi) return fixed ? nb - 1 : nb;
    std::size_t pos = histc_pos(x, lo, hi, fnb, span);
    if (pos >= nb) pos = nb - 1;
    return pos;
  }
#if defined(QLIN_REDUCE_AVX2)
  QLIN_REDUCE_AVX2_TARGET __m256i idx8(const float* p) const noexcept {
    const __m256 x = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(p));
    const __m256 fin = _mm256_cmp_ps(x, _mm256_set1_ps(std::numeric_limits<float>::infinity()), _CMP_LT_OQ);
    const __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(hi), _CMP_GT_OQ);
    const __m256 t = _mm256_div_ps(_mm256_mul_ps(_mm256_sub_ps(x, _mm256_set1_ps(lo)), _mm256_set1_ps(fnb)), _mm256_set1_ps(span));
    const __m256i skip = _mm256_set1_epi32(static_cast<int>(nb));
    const __m256i last = _mm256_set1_epi32(static_cast<int>(nb - 1));
    const __m256 used = _mm256_andnot_ps(over, fin);
    if (_mm256_movemask_ps(_mm256_and_ps(used, _mm256_cmp_ps(t, _mm256_set1_ps(0x1p63f), _CMP_NLT_UQ))) != 0) {
      return scalar8(p);  // a float32 overflow (ranges beyond ~1e35): histc_pos's double fallback
    }
    __m256i pos = _mm256_min_epu32(_mm256_cvttps_epi32(t), last);
    pos = _mm256_blendv_epi8(pos, fixed ? last : skip, _mm256_castps_si256(over));
    return _mm256_blendv_epi8(skip, pos, _mm256_castps_si256(fin));
  }
  QLIN_REDUCE_AVX2_TARGET __m256i scalar8(const float* p) const noexcept {
    alignas(32) std::uint32_t id[8];
    for (int j = 0; j < 8; ++j) id[j] = static_cast<std::uint32_t>(idx1(p[j]));
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(id));
  }
#endif
};

}  // namespace detail

/// TensorRT's HistogramCalibrator (|x| over [0, amax]; see the header comment).
class abs_histogram_observer {
 public:
  /// The tag of its serialized form.
  static constexpr observer_kind kind = observer_kind::histogram;

  /// bins >= 2; fixed_amax > 0 fixes the range [0, fixed_amax] (0: grow with the data).
  explicit abs_histogram_observer(std::size_t bins = 2048, float fixed_amax = 0.0f) : init_bins_(bins), fixed_(fixed_amax) {
    QLIN_ASSERT(detail::valid_bins(bins) && fixed_amax >= 0.0f && std::isfinite(fixed_amax));
  }
  /// The checked constructor: errc::invalid_argument for bins outside [2, 2^24] or a negative or
  /// non-finite fixed_amax.
  static result<abs_histogram_observer> make(std::size_t bins, float fixed_amax = 0.0f) {
    if (!detail::valid_bins(bins)) return fail(errc::invalid_argument, "bins must lie in [2, 2^24]");
    if (!(fixed_amax >= 0.0f) || !std::isfinite(fixed_amax)) return fail(errc::invalid_argument, "the fixed amax must be finite and >= 0");
    return abs_histogram_observer(bins, fixed_amax);
  }

  /// True once a finite value has been seen.
  bool has_range() const noexcept { return finite_ != 0; }
  /// Finite values counted.
  std::uint64_t finite_count() const noexcept { return finite_; }
  /// NaN / +-Inf values skipped.
  std::uint64_t nonfinite_count() const noexcept { return nonfinite_; }
  /// The largest |x| seen (0 before any).
  float amax_observed() const noexcept { return amax_; }
  /// The bin counts of |x|.
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  /// TensorRT's edges (float32; at least counts().size() + 1 of them once something was observed).
  const std::vector<float>& edges() const noexcept { return edges_; }

  /// Counts |x| of the finite values of data[0, n), growing the range as TensorRT does (unless fixed);
  /// skips NaN / +-Inf.
  void observe(const float* data, std::size_t n) {
    if (n == 0) return;
    const minmax_summary b = detail::reduce_minmax(data, n);
    nonfinite_ += b.nonfinite;
    if (!b.has_range()) return;
    const float bmax = std::max(std::fabs(b.min), std::fabs(b.max));
    if (edges_.empty() || (fixed_ == 0.0f && edges_[1] == 0.0f && bmax > 0.0f)) {
      // First batch (or the first non-zero batch after all-zero ones, whose width is 0).
      const std::uint64_t prev = finite_;
      const float top = fixed_ > 0.0f ? fixed_ : bmax;
      edges_.assign(init_bins_ + 1, 0.0f);
      detail::torch_linspace_f32(0.0f, top, init_bins_ + 1, edges_.data());
      std::vector<std::uint64_t> c(init_bins_, 0);
      histc(data, n, init_bins_, top, c);
      if (prev != 0) c[0] += prev;  // the earlier all-zero values
      counts_.swap(c);
    } else {
      std::size_t nb = counts_.size();
      if (fixed_ == 0.0f && bmax > edges_.back()) {
        const float width = edges_[1] - edges_[0];
        nb = static_cast<std::size_t>(std::ceil(bmax / width));
        edges_ = detail::torch_arange_f32(bmax + width, width);
        pad_edges(nb, width);
      }
      std::vector<std::uint64_t> c(nb, 0);
      histc(data, n, nb, edges_.back(), c);
      for (std::size_t j = 0; j < counts_.size(); ++j) c[j] += counts_[j];
      counts_.swap(c);
    }
    amax_ = std::max(amax_, bmax);
    finite_ += b.finite;
  }

  /// See the header comment: exact for identical edges; errc::invalid_argument for different
  /// configurations (bins, fixed amax).
  status merge(const abs_histogram_observer& other) {
    if (other.init_bins_ != init_bins_ || std::memcmp(&other.fixed_, &fixed_, sizeof fixed_) != 0) {
      return fail(errc::invalid_argument, "cannot merge abs_histogram_observers with different configurations");
    }
    nonfinite_ += other.nonfinite_;
    if (!other.has_range()) return ok();
    if (!has_range()) {
      const std::uint64_t nf = nonfinite_;
      *this = other;
      nonfinite_ = nf;
      return ok();
    }
    if (other.edges_ == edges_ && other.counts_.size() == counts_.size()) {
      for (std::size_t j = 0; j < counts_.size(); ++j) counts_[j] += other.counts_[j];
    } else {
      const float width = edges_[1] - edges_[0];
      const float owidth = other.edges_[1] - other.edges_[0];
      if (fixed_ == 0.0f && width > 0.0f && other.edges_.back() > edges_.back()) {
        const float top = std::max(other.amax_, other.edges_[other.counts_.size() - 1]);
        const auto nb = static_cast<std::size_t>(std::ceil(top / width));
        if (nb > counts_.size()) {
          edges_ = detail::torch_arange_f32(top + width, width);
          pad_edges(nb, width);
          counts_.resize(nb, 0);
        }
      }
      const std::size_t nb = counts_.size();
      for (std::size_t j = 0; j < other.counts_.size(); ++j) {
        if (other.counts_[j] == 0) continue;
        std::size_t q = j;
        if (!(owidth == width)) {
          const float centre = (other.edges_[j] + other.edges_[j + 1]) * 0.5f;
          q = width > 0.0f ? static_cast<std::size_t>(centre / width) : 0;
        }
        counts_[std::min(q, nb - 1)] += other.counts_[j];
      }
    }
    amax_ = std::max(amax_, other.amax_);
    finite_ += other.finite_;
    return ok();
  }

  /// TensorRT's entropy threshold (tensorrt_entropy_amax on the counts and edges).
  result<float> entropy_amax(const entropy_options& opt = {}) const {
    if (!has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
    const std::vector<double> e = edges_d();
    return tensorrt_entropy_amax(counts_.data(), e.data(), counts_.size(), opt);
  }
  /// TensorRT's percentile threshold.
  result<float> percentile_amax(double percentile) const {
    if (!has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
    const std::vector<double> e = edges_d();
    return qlin::percentile_amax(counts_.data(), e.data(), counts_.size(), percentile);
  }

  /// The observer's state as bytes (deserialize() restores it exactly).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    w.u8(2);
    w.u32(static_cast<std::uint32_t>(init_bins_));
    w.f32(fixed_);
    w.f32(amax_);
    w.u64(finite_);
    w.u64(nonfinite_);
    w.u64(counts_.size());
    w.u64(edges_.size());
    for (std::uint64_t c : counts_) w.u64(c);
    for (float e : edges_) w.f32(e);
    return w.take();
  }

  /// The observer serialize() wrote; errc::corrupt_data for anything else.
  static result<abs_histogram_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind) || r.u8() != 2) return detail::corrupt("not a serialized abs_histogram_observer");
    const std::uint32_t ib = r.u32();
    const float fixed = r.f32();
    const float amax = r.f32();
    const std::uint64_t fin = r.u64(), nonfin = r.u64(), nc = r.u64(), ne = r.u64();
    if (!r.ok() || !detail::valid_bins(ib) || !(fixed >= 0.0f) || !std::isfinite(fixed) || !(amax >= 0.0f) ||
        !std::isfinite(amax) || nc > r.remaining() / 8 || ne > r.remaining() / 4 || nc * 8 + ne * 4 != r.remaining()) {
      return detail::corrupt("corrupt or truncated abs_histogram_observer state");
    }
    abs_histogram_observer h(ib, fixed);
    h.counts_.resize(static_cast<std::size_t>(nc));
    h.edges_.resize(static_cast<std::size_t>(ne));
    std::uint64_t sum = 0;
    for (auto& c : h.counts_) {
      c = r.u64();
      if (c > std::numeric_limits<std::uint64_t>::max() - sum) return detail::corrupt("abs_histogram_observer counts overflow");
      sum += c;
    }
    for (std::size_t j = 0; j < h.edges_.size(); ++j) {
      h.edges_[j] = r.f32();
      if (!std::isfinite(h.edges_[j]) || h.edges_[j] < 0.0f || (j > 0 && h.edges_[j] < h.edges_[j - 1])) {
        return detail::corrupt("corrupt abs_histogram_observer edges");
      }
    }
    if (!r.done() || sum != fin) return detail::corrupt("abs_histogram_observer counts disagree with the finite count");
    if (fin == 0 ? (nc != 0 || ne != 0 || amax != 0.0f) : (nc < 2 || ne < nc + 1)) {
      return detail::corrupt("corrupt abs_histogram_observer shape");
    }
    h.amax_ = amax;
    h.finite_ = fin;
    h.nonfinite_ = nonfin;
    return h;
  }
  /// deserialize(b.data(), b.size()).
  static result<abs_histogram_observer> deserialize(const std::vector<std::uint8_t>& b) {
    return deserialize(b.data(), b.size());
  }

 private:
  std::vector<double> edges_d() const {
    std::vector<double> e(counts_.size() + 1);
    for (std::size_t j = 0; j < e.size(); ++j) e[j] = static_cast<double>(edges_[j]);
    return e;
  }
  // torch's arange can give fewer than nb + 1 edges; TensorRT would then index past its end.
  // qlin continues the progression (j * width in float32).
  void pad_edges(std::size_t nb, float width) {
    while (edges_.size() < nb + 1) edges_.push_back(static_cast<float>(edges_.size()) * width);
  }
  // histc(|x|, nb, 0, top) over the finite x (float32 positions); with a fixed range, values above
  // go to the last bin.
  void histc(const float* x, std::size_t n, std::size_t nb, float top, std::vector<std::uint64_t>& c) const {
    float lo = 0.0f, hi = top;
    if (hi == 0.0f) {  // histc's degenerate range: [-1, 1]
      lo = -1.0f;
      hi = 1.0f;
    }
    const detail::abs_histc_binner b{lo, hi, static_cast<float>(nb), hi - lo, fixed_ > 0.0f, nb};
    detail::count_batch(b, x, n, nb, c.data());
  }

  std::size_t init_bins_;
  float fixed_;
  std::vector<std::uint64_t> counts_;
  std::vector<float> edges_;
  float amax_ = 0.0f;
  std::uint64_t finite_ = 0;
  std::uint64_t nonfinite_ = 0;
};

}  // namespace qlin

#endif  // QLIN_OBSERVERS_HISTOGRAM_HPP_
