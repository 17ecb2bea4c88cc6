// observers/reduce.hpp: the min / max reduction every range observer runs over its batches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// reduce_minmax(p, n) returns the smallest and largest *finite* value of p[0..n) and how many
// values were skipped because they are NaN or +-Inf (DESIGN.md section 2: observers skip
// non-finite values and count them). Blocks of 2048 floats go through a three-operation-per-vector
// kernel (min, max, and a lane sum that detects any NaN / Inf; SSE2 / AVX2 intrinsics on x86-64,
// AVX2 chosen at run time with GCC / Clang unless QLIN_NO_RUNTIME_DISPATCH is defined, portable
// C++ elsewhere); a block holding a non-finite value is redone by a masked kernel that skips and
// counts exactly. On large inputs it runs at the read bandwidth (docs/performance.md).
//
// Zeros: the result never holds -0.0f; a zero minimum or maximum is returned as +0.0f. This makes
// the result independent of the order of the elements (min(-0, +0) depends on operand order) and
// therefore makes merged observers equal a single pass, bit for bit. It differs from PyTorch only
// in the sign of a zero (its sign depends on PyTorch's reduction order).
//
// The reduction needs IEEE semantics: qlin refuses -ffast-math (config.hpp), under which the
// finite mask would be folded away.
#ifndef QLIN_OBSERVERS_REDUCE_HPP_
#define QLIN_OBSERVERS_REDUCE_HPP_

#include <cstddef>
#include <cstdint>
#include <limits>

#include "../config.hpp"

#if defined(__SSE2__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace qlin {

/// The finite range of a sequence of floats. `finite == 0` means nothing finite was seen; then
/// min is +Inf and max is -Inf (the untouched state).
struct minmax_summary {
  /// Smallest finite value seen (+Inf before the first).
  float min = std::numeric_limits<float>::infinity();
  /// Largest finite value seen (-Inf before the first).
  float max = -std::numeric_limits<float>::infinity();
  std::uint64_t finite = 0;     ///< how many finite values the range covers
  std::uint64_t nonfinite = 0;  ///< how many NaN / +-Inf values were skipped

  /// True once a finite value has been seen.
  bool has_range() const noexcept { return finite != 0; }
};

namespace detail {

/// +0.0f for a zero of either sign, every other value unchanged (x + 0.0f under round-to-nearest).
inline float canonical_zero(float x) noexcept { return x + 0.0f; }

// Masked kernel: skips NaN and +-Inf explicitly (16 lanes, then a scalar remainder; `(x - x) == 0`
// holds exactly for finite x). Used for the last n % 16 values and for blocks that hold a NaN / Inf. Adds into s (min / max /
// nonfinite; s.finite is left to the caller).
inline void reduce_minmax_masked(const float* p, std::size_t n, minmax_summary& s) noexcept {
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr std::size_t lanes = 16;
  float mn[lanes];
  float mx[lanes];
  std::uint64_t bad[lanes];
  for (std::size_t j = 0; j < lanes; ++j) {
    mn[j] = inf;
    mx[j] = -inf;
    bad[j] = 0;
  }
  std::size_t i = 0;
  for (; n - i >= lanes; i += lanes) {
    for (std::size_t j = 0; j < lanes; ++j) {
      const float x = p[i + j];
      const bool fin = (x - x) == 0.0f;  // false for NaN and +-Inf
      const float lo = fin ? x : inf;
      const float hi = fin ? x : -inf;
      mn[j] = lo < mn[j] ? lo : mn[j];
      mx[j] = hi > mx[j] ? hi : mx[j];
      bad[j] += fin ? 0u : 1u;
    }
  }
  const std::size_t rem = n - i;  // < lanes
  for (std::size_t k = 0; k < rem; ++k) {
    const float x = p[i + k];
    if ((x - x) == 0.0f) {
      mn[k] = x < mn[k] ? x : mn[k];
      mx[k] = x > mx[k] ? x : mx[k];
    } else {
      ++bad[k];
    }
  }
  for (std::size_t j = 0; j < lanes; ++j) {
    s.min = mn[j] < s.min ? mn[j] : s.min;
    s.max = mx[j] > s.max ? mx[j] : s.max;
    s.nonfinite += bad[j];
  }
}

// ----- the fast block kernel --------------------------------------------------------------------
//
// reduce_block(q, len, gmn, gmx): len is a multiple of 16. Computes the lane minima / maxima of
// q[0..len) with `m = x < m ? x : m` / `M = x > M ? x : M` (what minps / maxps compute: a NaN x is
// skipped) and 16 or more lane sums `t += x`. Returns false, touching nothing, when a lane sum is
// not finite: NaN is sticky in a sum and +-Inf stays infinite or turns it into NaN, so a block
// whose sums are all finite holds no NaN or Inf and its lane min / max are exact (a block of
// finite values whose sum overflows is merely refused too). Otherwise folds the block's lane min /
// max into gmn[0..16) / gmx[0..16) and returns true. Three vector operations per vector loaded.
//
// Implementations: SSE2 (every x86-64), AVX2 (when the compiler targets it, or, with GCC / Clang
// on x86-64, chosen at run time with __builtin_cpu_supports; define QLIN_NO_RUNTIME_DISPATCH to
// turn that off) and portable C++ for other targets. All give the same min / max: they are exact.

constexpr std::size_t reduce_lanes = 16;

inline bool reduce_block_generic(const float* q, std::size_t len, float* gmn, float* gmx) noexcept {
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr std::size_t lanes = reduce_lanes;
  float mn[lanes];
  float mx[lanes];
  float sum[lanes];
  for (std::size_t j = 0; j < lanes; ++j) {
    mn[j] = inf;
    mx[j] = -inf;
    sum[j] = 0.0f;
  }
  for (std::size_t b = 0; b < len; b += lanes) {
    for (std::size_t j = 0; j < lanes; ++j) {
      const float x = q[b + j];
      mn[j] = x < mn[j] ? x : mn[j];
      mx[j] = x > mx[j] ? x : mx[j];
      sum[j] += x;
    }
  }
  bool clean = true;
  for (std::size_t j = 0; j < lanes; ++j) clean &= (sum[j] - sum[j]) == 0.0f;
  if (!clean) return false;
  for (std::size_t j = 0; j < lanes; ++j) {
    gmn[j] = mn[j] < gmn[j] ? mn[j] : gmn[j];
    gmx[j] = mx[j] > gmx[j] ? mx[j] : gmx[j];
  }
  return true;
}

#if defined(__SSE2__) || defined(_M_X64)
#define QLIN_REDUCE_X86 1

inline bool reduce_block_sse2(const float* q, std::size_t len, float* gmn, float* gmx) noexcept {
  const __m128 pinf = _mm_set1_ps(std::numeric_limits<float>::infinity());
  const __m128 ninf = _mm_set1_ps(-std::numeric_limits<float>::infinity());
  __m128 n0 = pinf, n1 = pinf, n2 = pinf, n3 = pinf;
  __m128 x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
  __m128 t0 = _mm_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
  for (std::size_t b = 0; b < len; b += 16) {
    const __m128 a0 = _mm_loadu_ps(q + b), a1 = _mm_loadu_ps(q + b + 4);
    const __m128 a2 = _mm_loadu_ps(q + b + 8), a3 = _mm_loadu_ps(q + b + 12);
    n0 = _mm_min_ps(a0, n0);  // a0 < n0 ? a0 : n0
    n1 = _mm_min_ps(a1, n1);
    n2 = _mm_min_ps(a2, n2);
    n3 = _mm_min_ps(a3, n3);
    x0 = _mm_max_ps(a0, x0);  // a0 > x0 ? a0 : x0
    x1 = _mm_max_ps(a1, x1);
    x2 = _mm_max_ps(a2, x2);
    x3 = _mm_max_ps(a3, x3);
    t0 = _mm_add_ps(t0, a0);
    t1 = _mm_add_ps(t1, a1);
    t2 = _mm_add_ps(t2, a2);
    t3 = _mm_add_ps(t3, a3);
  }
  const __m128 z = _mm_setzero_ps();
  const __m128 ok = _mm_and_ps(_mm_and_ps(_mm_cmpeq_ps(_mm_sub_ps(t0, t0), z), _mm_cmpeq_ps(_mm_sub_ps(t1, t1), z)),
                               _mm_and_ps(_mm_cmpeq_ps(_mm_sub_ps(t2, t2), z), _mm_cmpeq_ps(_mm_sub_ps(t3, t3), z)));
  if (_mm_movemask_ps(ok) != 0xF) return false;
  _mm_storeu_ps(gmn, _mm_min_ps(n0, _mm_loadu_ps(gmn)));
  _mm_storeu_ps(gmn + 4, _mm_min_ps(n1, _mm_loadu_ps(gmn + 4)));
  _mm_storeu_ps(gmn + 8, _mm_min_ps(n2, _mm_loadu_ps(gmn + 8)));
  _mm_storeu_ps(gmn + 12, _mm_min_ps(n3, _mm_loadu_ps(gmn + 12)));
  _mm_storeu_ps(gmx, _mm_max_ps(x0, _mm_loadu_ps(gmx)));
  _mm_storeu_ps(gmx + 4, _mm_max_ps(x1, _mm_loadu_ps(gmx + 4)));
  _mm_storeu_ps(gmx + 8, _mm_max_ps(x2, _mm_loadu_ps(gmx + 8)));
  _mm_storeu_ps(gmx + 12, _mm_max_ps(x3, _mm_loadu_ps(gmx + 12)));
  return true;
}

#if defined(__AVX2__) || ((defined(__GNUC__) || defined(__clang__)) && !defined(QLIN_NO_RUNTIME_DISPATCH))
#define QLIN_REDUCE_AVX2 1
#if !defined(__AVX2__)
#define QLIN_REDUCE_AVX2_TARGET __attribute__((target("avx2")))
#else
#define QLIN_REDUCE_AVX2_TARGET
#endif

QLIN_REDUCE_AVX2_TARGET inline bool reduce_block_avx2(const float* q, std::size_t len, float* gmn, float* gmx) noexcept {
  const __m256 pinf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 n0 = pinf, n1 = pinf, n2 = pinf, n3 = pinf;
  __m256 x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
  __m256 t0 = _mm256_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
  std::size_t b = 0;
  for (; len - b >= 32; b += 32) {
    const __m256 a0 = _mm256_loadu_ps(q + b), a1 = _mm256_loadu_ps(q + b + 8);
    const __m256 a2 = _mm256_loadu_ps(q + b + 16), a3 = _mm256_loadu_ps(q + b + 24);
    n0 = _mm256_min_ps(a0, n0);
    n1 = _mm256_min_ps(a1, n1);
    n2 = _mm256_min_ps(a2, n2);
    n3 = _mm256_min_ps(a3, n3);
    x0 = _mm256_max_ps(a0, x0);
    x1 = _mm256_max_ps(a1, x1);
    x2 = _mm256_max_ps(a2, x2);
    x3 = _mm256_max_ps(a3, x3);
    t0 = _mm256_add_ps(t0, a0);
    t1 = _mm256_add_ps(t1, a1);
    t2 = _mm256_add_ps(t2, a2);
    t3 = _mm256_add_ps(t3, a3);
  }
  if (b < len) {  // 16 left
    const __m256 a0 = _mm256_loadu_ps(q + b), a1 = _mm256_loadu_ps(q + b + 8);
    n0 = _mm256_min_ps(a0, n0);
    n1 = _mm256_min_ps(a1, n1);
    x0 = _mm256_max_ps(a0, x0);
    x1 = _mm256_max_ps(a1, x1);
    t0 = _mm256_add_ps(t0, a0);
    t1 = _mm256_add_ps(t1, a1);
  }
  const __m256 t = _mm256_add_ps(_mm256_add_ps(t0, t1), _mm256_add_ps(t2, t3));
  const __m256 z = _mm256_setzero_ps();
  // Each lane sum finite, and the combined sums too (a single check catches NaN / Inf in any t_i,
  // as well as an overflow of the combination, which merely refuses the block).
  if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(t, t), z, _CMP_EQ_OQ)) != 0xFF) return false;
  const __m256 n = _mm256_min_ps(_mm256_min_ps(n0, n1), _mm256_min_ps(n2, n3));
  const __m256 x = _mm256_max_ps(_mm256_max_ps(x0, x1), _mm256_max_ps(x2, x3));
  _mm256_storeu_ps(gmn, _mm256_min_ps(n, _mm256_loadu_ps(gmn)));
  _mm256_storeu_ps(gmx, _mm256_max_ps(x, _mm256_loadu_ps(gmx)));
  return true;
}
#endif  // AVX2
#endif  // x86

inline bool reduce_block(const float* q, std::size_t len, float* gmn, float* gmx) noexcept {
#if defined(QLIN_REDUCE_AVX2) && defined(__AVX2__)
  return reduce_block_avx2(q, len, gmn, gmx);
#elif defined(QLIN_REDUCE_AVX2)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 ? reduce_block_avx2(q, len, gmn, gmx) : reduce_block_sse2(q, len, gmn, gmx);
#elif defined(QLIN_REDUCE_X86)
  return reduce_block_sse2(q, len, gmn, gmx);
#else
  return reduce_block_generic(q, len, gmn, gmx);
#endif
}

/// The finite min / max of p[0..n) and the count of skipped values. p may be unaligned; n == 0
/// gives the untouched summary.
///
/// Fast path: blocks of up to 2048 floats (8 KiB, so a redo reads from L1) through reduce_block
/// above; a block it refuses (one holding NaN / Inf) is redone by the masked kernel, which skips
/// and counts exactly. Blocks cover the largest multiple of 16; the rest goes to the masked kernel.
inline minmax_summary reduce_minmax(const float* p, std::size_t n) noexcept {
  QLIN_ASSERT(p != nullptr || n == 0);
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr std::size_t lanes = reduce_lanes;
  constexpr std::size_t block = 2048;
  float gmn[lanes];
  float gmx[lanes];
  for (std::size_t j = 0; j < lanes; ++j) {
    gmn[j] = inf;
    gmx[j] = -inf;
  }
  minmax_summary s;
  std::size_t i = 0;
  while (n - i >= lanes) {
    const std::size_t len = n - i >= block ? block : (n - i) / lanes * lanes;
    if (!reduce_block(p + i, len, gmn, gmx)) reduce_minmax_masked(p + i, len, s);
    i += len;
  }
  if (i < n) reduce_minmax_masked(p + i, n - i, s);
  for (std::size_t j = 0; j < lanes; ++j) {
    s.min = gmn[j] < s.min ? gmn[j] : s.min;
    s.max = gmx[j] > s.max ? gmx[j] : s.max;
  }
  s.min = canonical_zero(s.min);
  s.max = canonical_zero(s.max);
  s.finite = static_cast<std::uint64_t>(n) - s.nonfinite;
  return s;
}

/// Folds b into a: the range of both sequences (exact and order-independent).
inline void combine(minmax_summary& a, const minmax_summary& b) noexcept {
  a.min = b.min < a.min ? b.min : a.min;
  a.max = b.max > a.max ? b.max : a.max;
  a.finite += b.finite;
  a.nonfinite += b.nonfinite;
}

}  // namespace detail
}  // namespace qlin

#endif  // QLIN_OBSERVERS_REDUCE_HPP_
