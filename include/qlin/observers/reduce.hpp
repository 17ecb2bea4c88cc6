// observers/reduce.hpp: the min / max reduction every range observer runs over its batches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// reduce_minmax(p, n) returns the smallest and largest *finite* value of p[0..n) and how many
// values were skipped because they are NaN or +-Inf (DESIGN.md section 2: observers skip
// non-finite values and count them). Blocks of 2048 floats go through a three-operation-per-vector
// kernel (min, max, and a lane sum that detects any NaN / Inf; SSE2 / AVX2 / AVX-512F intrinsics
// on x86-64, the widest the CPU has chosen once at run time with GCC / Clang unless
// QLIN_NO_RUNTIME_DISPATCH is defined, portable C++ elsewhere; large inputs add a software
// prefetch 8 KiB ahead); a block holding a non-finite value is redone by a masked kernel that
// skips and counts exactly. On large inputs it runs at the read bandwidth (docs/performance.md).
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
// Implementations: SSE2 (every x86-64), AVX2 and AVX-512F (when the compiler targets them, or, with
// GCC / Clang on x86-64, chosen at run time with __builtin_cpu_supports; define
// QLIN_NO_RUNTIME_DISPATCH to turn that off) and portable C++ for other targets. All give the same
// min / max: they are exact (tests/unit/test_observers_fast_paths.cpp runs every one the CPU has).

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

// Software prefetch of the cache line prefetch_distance floats (8 KiB) ahead of q, used by the
// AVX2 / AVX-512 kernels once per 64-byte line: with it the reduction reads DRAM as fast as a
// plain OR-read of the same width, or faster (docs/performance.md); without it the hardware
// prefetcher alone left it 10-25% behind. The address is formed as an integer (it may lie past
// the end of the array; a prefetch never faults).
// Only for inputs of at least prefetch_min_n floats (256 KiB): in L1 / L2 the extra instructions
// cost more than they save.
constexpr std::size_t prefetch_distance = 2048;
constexpr std::size_t prefetch_min_n = std::size_t{1} << 16;
inline void prefetch_ahead(const float* q) noexcept {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(q) + prefetch_distance * sizeof(float);
  _mm_prefetch(reinterpret_cast<const char*>(a), _MM_HINT_T0);
}

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

template <bool Prefetch>
QLIN_REDUCE_AVX2_TARGET inline bool reduce_block_avx2(const float* q, std::size_t len, float* gmn, float* gmx) noexcept {
  const __m256 pinf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 n0 = pinf, n1 = pinf, n2 = pinf, n3 = pinf;
  __m256 x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
  __m256 t0 = _mm256_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
  std::size_t b = 0;
  for (; len - b >= 32; b += 32) {
    if (Prefetch) {
      prefetch_ahead(q + b);
      prefetch_ahead(q + b + 16);
    }
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

// Whole-array AVX2 loop: reduce_block_avx2 on each block, the dispatch and the lane state
// hoisted out of the block loop. Returns how many floats it covered (a multiple of 16).
QLIN_REDUCE_AVX2_TARGET inline std::size_t reduce_blocks_avx2(const float* p, std::size_t n, std::size_t block, float* gmn,
                                                             float* gmx, minmax_summary& s) noexcept {
  const bool prefetch = n >= prefetch_min_n;
  std::size_t i = 0;
  while (n - i >= 16) {
    const std::size_t len = n - i >= block ? block : (n - i) / 16 * 16;
    const bool clean = prefetch ? reduce_block_avx2<true>(p + i, len, gmn, gmx) : reduce_block_avx2<false>(p + i, len, gmn, gmx);
    if (!clean) reduce_minmax_masked(p + i, len, s);
    i += len;
  }
  return i;
}
#endif  // AVX2

#if defined(__AVX512F__) || ((defined(__GNUC__) || defined(__clang__)) && !defined(QLIN_NO_RUNTIME_DISPATCH))
#define QLIN_REDUCE_AVX512 1
#if !defined(__AVX512F__)
#define QLIN_REDUCE_AVX512_TARGET __attribute__((target("avx2,avx512f")))
#else
#define QLIN_REDUCE_AVX512_TARGET
#endif

// min / max through the masked forms with a full mask (the same vminps / vmaxps): GCC 12's
// unmasked _mm512_min_ps / _mm512_max_ps read an uninitialized placeholder, which
// -Wmaybe-uninitialized reports in user code.
QLIN_REDUCE_AVX512_TARGET inline __m512 min16(__m512 a, __m512 b) noexcept { return _mm512_mask_min_ps(b, 0xFFFF, a, b); }
QLIN_REDUCE_AVX512_TARGET inline __m512 max16(__m512 a, __m512 b) noexcept { return _mm512_mask_max_ps(b, 0xFFFF, a, b); }

// AVX-512F: the same three operations per vector on 16-float vectors, 4 accumulators of each
// (64 floats per iteration), the 16 lane minima / maxima kept in registers across blocks; a
// block whose lane sums are not all finite is redone by the masked kernel, as above. Returns how
// many floats it covered (a multiple of 16). Exact like the other kernels (min / max only select).
template <bool Prefetch>
QLIN_REDUCE_AVX512_TARGET inline std::size_t reduce_blocks_avx512_impl(const float* p, std::size_t n, std::size_t block,
                                                                      float* gmn, float* gmx, minmax_summary& s) noexcept {
  const __m512 pinf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512 z = _mm512_setzero_ps();
  __m512 gn = _mm512_loadu_ps(gmn), gx = _mm512_loadu_ps(gmx);
  std::size_t i = 0;
  while (n - i >= 16) {
    const std::size_t len = n - i >= block ? block : (n - i) / 16 * 16;
    const float* q = p + i;
    __m512 n0 = pinf, n1 = pinf, n2 = pinf, n3 = pinf;
    __m512 x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
    __m512 t0 = z, t1 = z, t2 = z, t3 = z;
    std::size_t b = 0;
    for (; len - b >= 64; b += 64) {
      if (Prefetch) {
        prefetch_ahead(q + b);
        prefetch_ahead(q + b + 16);
        prefetch_ahead(q + b + 32);
        prefetch_ahead(q + b + 48);
      }
      const __m512 a0 = _mm512_loadu_ps(q + b), a1 = _mm512_loadu_ps(q + b + 16);
      const __m512 a2 = _mm512_loadu_ps(q + b + 32), a3 = _mm512_loadu_ps(q + b + 48);
      n0 = min16(a0, n0);  // a0 < n0 ? a0 : n0
      n1 = min16(a1, n1);
      n2 = min16(a2, n2);
      n3 = min16(a3, n3);
      x0 = max16(a0, x0);  // a0 > x0 ? a0 : x0
      x1 = max16(a1, x1);
      x2 = max16(a2, x2);
      x3 = max16(a3, x3);
      t0 = _mm512_add_ps(t0, a0);
      t1 = _mm512_add_ps(t1, a1);
      t2 = _mm512_add_ps(t2, a2);
      t3 = _mm512_add_ps(t3, a3);
    }
    for (; b < len; b += 16) {
      const __m512 a0 = _mm512_loadu_ps(q + b);
      n0 = min16(a0, n0);
      x0 = max16(a0, x0);
      t0 = _mm512_add_ps(t0, a0);
    }
    const __m512 t = _mm512_add_ps(_mm512_add_ps(t0, t1), _mm512_add_ps(t2, t3));
    if (_mm512_cmp_ps_mask(_mm512_sub_ps(t, t), z, _CMP_EQ_OQ) == 0xFFFF) {
      gn = min16(min16(min16(n0, n1), min16(n2, n3)), gn);
      gx = max16(max16(max16(x0, x1), max16(x2, x3)), gx);
    } else {
      reduce_minmax_masked(q, len, s);
    }
    i += len;
  }
  _mm512_storeu_ps(gmn, gn);
  _mm512_storeu_ps(gmx, gx);
  return i;
}

QLIN_REDUCE_AVX512_TARGET inline std::size_t reduce_blocks_avx512(const float* p, std::size_t n, std::size_t block,
                                                                 float* gmn, float* gmx, minmax_summary& s) noexcept {
  return n >= prefetch_min_n ? reduce_blocks_avx512_impl<true>(p, n, block, gmn, gmx, s)
                             : reduce_blocks_avx512_impl<false>(p, n, block, gmn, gmx, s);
}
#endif  // AVX-512
#endif  // x86

/// Which kernel reduce_minmax_with runs: the best one the CPU has, or a specific one (tests).
enum class reduce_kernel { best, portable, sse2, avx2, avx512 };

/// True when this build and this CPU can run kernel k.
inline bool reduce_kernel_available(reduce_kernel k) noexcept {
  switch (k) {
    case reduce_kernel::best:
    case reduce_kernel::portable:
      return true;
    case reduce_kernel::sse2:
#if defined(QLIN_REDUCE_X86)
      return true;
#else
      return false;
#endif
    case reduce_kernel::avx2:
#if defined(QLIN_REDUCE_AVX2) && defined(__AVX2__)
      return true;
#elif defined(QLIN_REDUCE_AVX2)
      return __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case reduce_kernel::avx512:
#if defined(QLIN_REDUCE_AVX512) && defined(__AVX512F__)
      return true;
#elif defined(QLIN_REDUCE_AVX512)
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
#else
      return false;
#endif
  }
  return false;
}

inline reduce_kernel best_reduce_kernel() noexcept {
  static const reduce_kernel k = reduce_kernel_available(reduce_kernel::avx512) ? reduce_kernel::avx512
                                 : reduce_kernel_available(reduce_kernel::avx2) ? reduce_kernel::avx2
                                 : reduce_kernel_available(reduce_kernel::sse2) ? reduce_kernel::sse2
                                                                                : reduce_kernel::portable;
  return k;
}

/// reduce_minmax with a chosen kernel (precondition: reduce_kernel_available(kernel)). Every
/// kernel gives the same summary, bit for bit.
inline minmax_summary reduce_minmax_with(const float* p, std::size_t n, reduce_kernel kernel) noexcept {
  QLIN_ASSERT(p != nullptr || n == 0);
  QLIN_ASSERT(reduce_kernel_available(kernel));
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
  if (kernel == reduce_kernel::best) kernel = best_reduce_kernel();
  std::size_t i = 0;
  switch (kernel) {
#if defined(QLIN_REDUCE_AVX512)
    case reduce_kernel::avx512:
      i = reduce_blocks_avx512(p, n, block, gmn, gmx, s);
      break;
#endif
#if defined(QLIN_REDUCE_AVX2)
    case reduce_kernel::avx2:
      i = reduce_blocks_avx2(p, n, block, gmn, gmx, s);
      break;
#endif
    default:
      while (n - i >= lanes) {
        const std::size_t len = n - i >= block ? block : (n - i) / lanes * lanes;
#if defined(QLIN_REDUCE_X86)
        const bool clean = kernel == reduce_kernel::sse2 ? reduce_block_sse2(p + i, len, gmn, gmx)
                                                         : reduce_block_generic(p + i, len, gmn, gmx);
#else
        const bool clean = reduce_block_generic(p + i, len, gmn, gmx);
#endif
        if (!clean) reduce_minmax_masked(p + i, len, s);
        i += len;
      }
      break;
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

/// The finite min / max of p[0..n) and the count of skipped values. p may be unaligned; n == 0
/// gives the untouched summary.
///
/// Fast path: blocks of up to 2048 floats (8 KiB, so a redo reads from L1) through the best
/// kernel the CPU has (AVX-512F, AVX2, SSE2, portable; chosen once at run time); a block it
/// refuses (one holding NaN / Inf) is redone by the masked kernel, which skips and counts exactly.
/// Blocks cover the largest multiple of 16; the rest goes to the masked kernel.
inline minmax_summary reduce_minmax(const float* p, std::size_t n) noexcept {
  return reduce_minmax_with(p, n, reduce_kernel::best);
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
