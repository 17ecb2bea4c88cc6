// binary.hpp: binary (XNOR-Net) and ternary (TWN) weight quantization, bit packing and the
// XNOR-popcount dot product (scalar reference; qlin/kernels/binary.hpp holds the SIMD paths of pack_signs and
// xnor_popcount_dot, equal to these bit for bit).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Binary (Rastegari et al., "XNOR-Net", ECCV 2016, arXiv:1603.05279), per channel c over its k weights:
//   b_i   = +1 if w_i >= 0 (-0.0 included), else -1
//   alpha = mean |w_i|   (summed in double, rounded once to float32)
//   w_i  ~= alpha * b_i
// Bit packing: element i goes to word i / 64, bit i % 64 (bit 0 = least significant); a set bit means
// +1 (non-negative), a clear bit -1. A row of k elements takes ceil(k / 64) words; the unused high
// bits of the last word are written as 0 and ignored by every reader (tails are masked).
// XNOR-popcount dot product of two sign vectors of length n:
//   dot(a, b) = sum_i a_i * b_i = n - 2 * popcount(a XOR b)   over the n valid bits
// so a binary layer computes alpha_w * alpha_x * dot (XNOR-Net's binary convolution).
//
// Ternary (Li, Zhang, Liu, "Ternary Weight Networks", 2016, arXiv:1605.04711), per channel:
//   delta = f32(f * mean |w_i|)             the TWN threshold, with mean in double; f = 0.7 (the paper's
//                                           approximation of the optimum for Gaussian weights) unless given
//   t_i   = +1 if w_i > delta, -1 if w_i < -delta, else 0
//   alpha = mean of |w_i| over the i with |w_i| > delta  (double, rounded once); 0 if there is none
//   w_i  ~= alpha * t_i
// Packed ternary: two bit planes with the layout above, `pos` (t_i = +1) and `neg` (t_i = -1);
//   dot = popcount(ap & bp) + popcount(an & bn) - popcount(ap & bn) - popcount(an & bp).
//
// NaN weights are treated as 0.0 (as quantize.hpp maps NaN to the code of 0): bit +1 in binary
// (contributing 0 to alpha), 0 in ternary. +-Inf weights make alpha infinite: no clamp in silence.
// Layout: `channels` rows of `k` contiguous floats; packed rows are `words_per_row(k)` words apart.
// Pointers to floats may be unaligned; uint64 arrays must be aligned for uint64_t. Nothing allocates.
#ifndef QLIN_BINARY_HPP_
#define QLIN_BINARY_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "config.hpp"

namespace qlin {

namespace detail {

inline int popcount64(std::uint64_t v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_popcountll(v);
#else
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((v * 0x0101010101010101ULL) >> 56);
#endif
}

// The mask of the valid bits of word w of an n-bit vector.
inline std::uint64_t tail_mask(std::size_t n, std::size_t w) noexcept {
  const std::size_t rest = n - w * 64;
  return rest >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << rest) - 1);
}

inline float bin_load(const float* p, std::size_t i) noexcept {
  float v;
  std::memcpy(&v, p + i, sizeof v);
  return v != v ? 0.0f : v;  // NaN counts as 0.0
}

}  // namespace detail

/// Words a packed row of k elements takes: ceil(k / 64).
constexpr std::size_t words_per_row(std::size_t k) noexcept { return (k + 63) / 64; }

/// Packs the signs of n floats: bit i % 64 of word i / 64 is 1 where x_i >= 0 (NaN as 0).
/// Writes words_per_row(n) words; unused tail bits are 0.
inline void pack_signs(const float* x, std::size_t n, std::uint64_t* words) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && words != nullptr));
  for (std::size_t w = 0; w < words_per_row(n); ++w) {
    std::uint64_t v = 0;
    const std::size_t end = (w + 1) * 64 < n ? (w + 1) * 64 : n;
    for (std::size_t i = w * 64; i < end; ++i) {
      if (detail::bin_load(x, i) >= 0.0f) v |= std::uint64_t{1} << (i % 64);
    }
    words[w] = v;
  }
}

/// The sign (+1 or -1) of element i of a packed vector.
inline int packed_sign(const std::uint64_t* words, std::size_t i) noexcept {
  return ((words[i / 64] >> (i % 64)) & 1u) != 0 ? 1 : -1;
}

/// sum_i a_i * b_i of two packed sign vectors of n elements: n - 2 * popcount(a XOR b), tails masked.
inline std::int64_t xnor_popcount_dot(const std::uint64_t* a, const std::uint64_t* b, std::size_t n) noexcept {
  QLIN_ASSERT(n == 0 || (a != nullptr && b != nullptr));
  std::int64_t differ = 0;
  for (std::size_t w = 0; w < words_per_row(n); ++w) {
    differ += detail::popcount64((a[w] ^ b[w]) & detail::tail_mask(n, w));
  }
  return static_cast<std::int64_t>(n) - 2 * differ;
}

/// XNOR-Net binarization of `channels` rows of k weights: packs each row's signs into `bits` (rows
/// words_per_row(k) apart) and writes alpha[c] = mean |w| of row c (0 for k == 0).
inline void binarize(const float* w, std::size_t channels, std::size_t k, std::uint64_t* bits, float* alpha) noexcept {
  QLIN_ASSERT(channels == 0 || (w != nullptr && bits != nullptr && alpha != nullptr));
  const std::size_t wpr = words_per_row(k);
  for (std::size_t c = 0; c < channels; ++c) {
    const float* row = w + c * k;
    double sum = 0.0;
    for (std::size_t i = 0; i < k; ++i) sum += std::fabs(static_cast<double>(detail::bin_load(row, i)));
    alpha[c] = k == 0 ? 0.0f : static_cast<float>(sum / static_cast<double>(k));
    pack_signs(row, k, bits + c * wpr);
  }
}

/// The binarized weights back as floats: w_i = alpha[c] * (+1 or -1).
inline void binary_dequantize(const std::uint64_t* bits, const float* alpha, std::size_t channels, std::size_t k,
                              float* w) noexcept {
  const std::size_t wpr = words_per_row(k);
  for (std::size_t c = 0; c < channels; ++c) {
    for (std::size_t i = 0; i < k; ++i) {
      const float v = packed_sign(bits + c * wpr, i) > 0 ? alpha[c] : -alpha[c];
      std::memcpy(w + c * k + i, &v, sizeof v);
    }
  }
}

/// The TWN threshold factor: delta = 0.7 mean |w| (Li et al. 2016, eq. 5's approximation).
inline constexpr double twn_threshold_factor = 0.7;

/// TWN ternarization of `channels` rows of k weights: codes[c * k + i] in {-1, 0, +1}, delta[c] the
/// threshold and alpha[c] the scale (see the top of this header). `delta` may be null.
/// `threshold_factor` f sets delta = f32(f * mean |w|); precondition: f finite and >= 0 (f = 0 keeps
/// every nonzero weight; a large f gives all zeros and alpha 0).
inline void ternarize(const float* w, std::size_t channels, std::size_t k, std::int8_t* codes, float* alpha,
                      float* delta = nullptr, double threshold_factor = twn_threshold_factor) noexcept {
  QLIN_ASSERT(channels == 0 || (w != nullptr && codes != nullptr && alpha != nullptr));
  QLIN_ASSERT(std::isfinite(threshold_factor) && threshold_factor >= 0.0);
  for (std::size_t c = 0; c < channels; ++c) {
    const float* row = w + c * k;
    double sum = 0.0;
    for (std::size_t i = 0; i < k; ++i) sum += std::fabs(static_cast<double>(detail::bin_load(row, i)));
    const float d = k == 0 ? 0.0f : static_cast<float>(threshold_factor * (sum / static_cast<double>(k)));
    double kept = 0.0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const float v = detail::bin_load(row, i);
      std::int8_t t = 0;
      if (v > d) t = 1;
      if (v < -d) t = -1;
      if (t != 0) {
        kept += std::fabs(static_cast<double>(v));
        ++count;
      }
      codes[c * k + i] = t;
    }
    alpha[c] = count == 0 ? 0.0f : static_cast<float>(kept / static_cast<double>(count));
    if (delta != nullptr) delta[c] = d;
  }
}

/// Packs n ternary codes into the bit planes pos (code +1) and neg (code -1), words_per_row(n) each.
inline void pack_ternary(const std::int8_t* codes, std::size_t n, std::uint64_t* pos, std::uint64_t* neg) noexcept {
  QLIN_ASSERT(n == 0 || (codes != nullptr && pos != nullptr && neg != nullptr));
  for (std::size_t w = 0; w < words_per_row(n); ++w) {
    pos[w] = 0;
    neg[w] = 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (codes[i] > 0) pos[i / 64] |= std::uint64_t{1} << (i % 64);
    if (codes[i] < 0) neg[i / 64] |= std::uint64_t{1} << (i % 64);
  }
}

/// sum_i a_i * b_i of two packed ternary vectors of n elements (tails masked).
inline std::int64_t ternary_dot(const std::uint64_t* ap, const std::uint64_t* an, const std::uint64_t* bp,
                                const std::uint64_t* bn, std::size_t n) noexcept {
  std::int64_t s = 0;
  for (std::size_t w = 0; w < words_per_row(n); ++w) {
    const std::uint64_t m = detail::tail_mask(n, w);
    s += detail::popcount64(ap[w] & bp[w] & m) + detail::popcount64(an[w] & bn[w] & m);
    s -= detail::popcount64(ap[w] & bn[w] & m) + detail::popcount64(an[w] & bp[w] & m);
  }
  return s;
}

}  // namespace qlin

#endif  // QLIN_BINARY_HPP_
