// observers/reduce.hpp: the min / max reduction every range observer runs over its batches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// reduce_minmax(p, n) returns the smallest and largest *finite* value of p[0..n) and how many
// values were skipped because they are NaN or +-Inf (DESIGN.md section 2: observers skip
// non-finite values and count them). The loops are written for the auto-vectorizer: 16
// independent lanes, branch-free selects (`a < m ? a : m` is what minps / vminps compute, and it
// skips a NaN a), a branch-free finite mask ((x - x) == 0 holds exactly for finite x) and no calls
// per element. It is memory-bound on large inputs.
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

namespace qlin {

/// The finite range of a sequence of floats. `finite == 0` means nothing finite was seen; then
/// min is +Inf and max is -Inf (the untouched state).
struct minmax_summary {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::uint64_t finite = 0;     ///< how many finite values the range covers
  std::uint64_t nonfinite = 0;  ///< how many NaN / +-Inf values were skipped

  bool has_range() const noexcept { return finite != 0; }
};

namespace detail {

/// +0.0f for a zero of either sign, every other value unchanged (x + 0.0f under round-to-nearest).
inline float canonical_zero(float x) noexcept { return x + 0.0f; }

// Masked kernel: skips NaN and +-Inf explicitly (16 lanes, then a scalar remainder). Used for
// inputs shorter than a chunk, the tail, and chunks that hold an infinity. Adds into s (min / max /
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

/// The finite min / max of p[0..n) and the count of skipped values. p may be unaligned; n == 0
/// gives the untouched summary.
///
/// Fast path, per chunk of 8192 floats in 16 lanes: `m = x < m ? x : m` already skips NaN (the
/// comparison is false), NaNs are counted with `x != x`, and only infinities need care: a chunk
/// whose lane minimum is -Inf or lane maximum is +Inf is redone by the masked kernel.
inline minmax_summary reduce_minmax(const float* p, std::size_t n) noexcept {
  QLIN_ASSERT(p != nullptr || n == 0);
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr std::size_t lanes = 16;
  constexpr std::size_t chunk = 8192;  // 32 KiB: a redo reads from L1 / L2
  float gmn[lanes];
  float gmx[lanes];
  for (std::size_t j = 0; j < lanes; ++j) {
    gmn[j] = inf;
    gmx[j] = -inf;
  }
  minmax_summary s;
  std::uint64_t nonfinite = 0;
  std::size_t i = 0;
  for (; n - i >= chunk; i += chunk) {
    const float* q = p + i;
    float mn[lanes];
    float mx[lanes];
    std::uint32_t nan[lanes];
    for (std::size_t j = 0; j < lanes; ++j) {
      mn[j] = inf;
      mx[j] = -inf;
      nan[j] = 0;
    }
    for (std::size_t b = 0; b < chunk; b += lanes) {
      for (std::size_t j = 0; j < lanes; ++j) {
        const float x = q[b + j];
        mn[j] = x < mn[j] ? x : mn[j];
        mx[j] = x > mx[j] ? x : mx[j];
        nan[j] += x != x ? 1u : 0u;
      }
    }
    bool has_inf = false;
    std::uint32_t nans = 0;
    for (std::size_t j = 0; j < lanes; ++j) {
      has_inf |= (mn[j] == -inf) | (mx[j] == inf);
      nans += nan[j];
    }
    if (has_inf) {
      reduce_minmax_masked(q, chunk, s);
      continue;
    }
    nonfinite += nans;
    for (std::size_t j = 0; j < lanes; ++j) {
      gmn[j] = mn[j] < gmn[j] ? mn[j] : gmn[j];
      gmx[j] = mx[j] > gmx[j] ? mx[j] : gmx[j];
    }
  }
  if (i < n) reduce_minmax_masked(p + i, n - i, s);
  for (std::size_t j = 0; j < lanes; ++j) {
    s.min = gmn[j] < s.min ? gmn[j] : s.min;
    s.max = gmx[j] > s.max ? gmx[j] : s.max;
  }
  s.min = canonical_zero(s.min);
  s.max = canonical_zero(s.max);
  s.nonfinite += nonfinite;
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
