// kernels/binary.hpp: sign bit-packing and the XNOR-popcount dot product on xsimd archs, equal to
// qlin/binary.hpp (pack_signs, xnor_popcount_dot) bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// pack_signs: bit i % 64 of word i / 64 is 1 where NOT (x_i < 0), the scalar's "x >= 0 with NaN as 0"
// (-0.0 and every NaN give 1). One full word is 64 floats compared with an unordered "not less than"
// predicate (true for NaN), the lane masks gathered into the word:
//   sse2      cmpnltps + movmskps, 16 x 4 bits
//   avx2      vcmpps _CMP_NLT_UQ + vmovmskps, 8 x 8 bits
//   avx512bw  vcmpps _CMP_NLT_UQ into a k mask, 4 x 16 bits
//   neon64    NOT vcltq_f32, AND {1, 2, 4, 8}, vaddvq_u32, 16 x 4 bits
// The last, partial word (n % 64 floats) is scalar code; its unused high bits are 0, as the scalar writes.
//
// xnor_popcount_dot: n - 2 * popcount(a XOR b) over the n valid bits. The full words go through the
// arch's popcount of a XOR b; the last partial word is masked and counted with a scalar popcount.
//   sse2      SWAR popcount per byte (Hacker's Delight 5-1: v - (v >> 1) & 0x55.., pairs, nibbles),
//             psadbw against zero sums the bytes into two 64-bit lanes
//   avx2      nibble lookup with vpshufb (W. Mula, N. Kurz, D. Lemire, "Faster Population Counts Using
//             AVX2 Instructions", Computer Journal 2018, arXiv:1611.07612), vpsadbw into 64-bit lanes
//   avx512bw  vpopcntq where the compiler targets AVX512-VPOPCNTDQ (__AVX512VPOPCNTDQ__), else the
//             vpshufb nibble lookup on 512 bits
//   neon      vcntq_u8, then vpaddlq_u8 / _u16 / _u32 into 64-bit lanes (vpadalq accumulation)
// Popcounts are exact integers, so any order of summation gives the scalar's result.
// Word pointers need only the alignment of uint64_t (loads are unaligned); float pointers none.
// Scalar pieces are templates on the arch (see kernels/quantize.hpp: a -mavx2 translation unit must
// not instantiate plain inline functions such as qlin::detail::popcount64).
#ifndef QLIN_KERNELS_BINARY_HPP_
#define QLIN_KERNELS_BINARY_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../arch/xsimd.hpp"
#include "../binary.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

namespace detail {

// popcount of one word, templated on the arch (the builtin is popcnt where the target has it).
template <class A>
inline std::uint64_t popcount_word(std::uint64_t v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<std::uint64_t>(__builtin_popcountll(v));
#else
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return (v * 0x0101010101010101ULL) >> 56;
#endif
}

template <class A>
inline std::uint64_t load_word(const std::uint64_t* p, std::size_t i) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p + i, sizeof v);
  return v;
}

// sum of popcount(a[w] ^ b[w]) over `words` full words, from word `first` on (the arch's tail).
template <class A>
inline std::uint64_t popcount_xor_scalar(const std::uint64_t* a, const std::uint64_t* b, std::size_t first,
                                         std::size_t words) noexcept {
  std::uint64_t s = 0;
  for (std::size_t w = first; w < words; ++w) s += popcount_word<A>(load_word<A>(a, w) ^ load_word<A>(b, w));
  return s;
}

template <class A>
inline std::uint64_t popcount_xor(const std::uint64_t* a, const std::uint64_t* b, std::size_t words,
                                  arch::requires_arch<xsimd::generic>) noexcept {
  return popcount_xor_scalar<A>(a, b, 0, words);
}

#if XSIMD_WITH_SSE2
template <class A>
inline std::uint64_t popcount_xor(const std::uint64_t* a, const std::uint64_t* b, std::size_t words,
                                  arch::requires_arch<xsimd::sse2>) noexcept {
  const __m128i m1 = _mm_set1_epi8(0x55), m2 = _mm_set1_epi8(0x33), m4 = _mm_set1_epi8(0x0F);
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  std::size_t w = 0;
  for (; w + 2 <= words; w += 2) {
    __m128i v = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + w)),
                              _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + w)));
    v = _mm_sub_epi8(v, _mm_and_si128(_mm_srli_epi16(v, 1), m1));                     // 2-bit counts
    v = _mm_add_epi8(_mm_and_si128(v, m2), _mm_and_si128(_mm_srli_epi16(v, 2), m2));  // 4-bit counts
    v = _mm_and_si128(_mm_add_epi8(v, _mm_srli_epi16(v, 4)), m4);                     // byte counts <= 8
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
  }
  alignas(16) std::uint64_t t[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(t), acc);
  return t[0] + t[1] + popcount_xor_scalar<A>(a, b, w, words);
}
#endif

#if XSIMD_WITH_AVX2
template <class A>
inline __m256i popcount_bytes_avx2(__m256i v) noexcept {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, m4));
  const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
  return _mm256_add_epi8(lo, hi);
}

template <class A>
inline std::uint64_t popcount_xor(const std::uint64_t* a, const std::uint64_t* b, std::size_t words,
                                  arch::requires_arch<xsimd::avx2>) noexcept {
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc = zero;
  std::size_t w = 0;
  // Two 256-bit vectors per step: their byte counts (<= 8 each) add up to at most 16 per byte.
  for (; w + 8 <= words; w += 8) {
    const __m256i x0 = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + w)),
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + w)));
    const __m256i x1 = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + w + 4)),
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + w + 4)));
    const __m256i c = _mm256_add_epi8(popcount_bytes_avx2<A>(x0), popcount_bytes_avx2<A>(x1));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(c, zero));
  }
  for (; w + 4 <= words; w += 4) {
    const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + w)),
                                       _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + w)));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(popcount_bytes_avx2<A>(x), zero));
  }
  alignas(32) std::uint64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), acc);
  return t[0] + t[1] + t[2] + t[3] + popcount_xor_scalar<A>(a, b, w, words);
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline std::uint64_t popcount_xor(const std::uint64_t* a, const std::uint64_t* b, std::size_t words,
                                  arch::requires_arch<xsimd::avx512bw>) noexcept {
  __m512i acc = _mm512_setzero_si512();
  std::size_t w = 0;
#if defined(__AVX512VPOPCNTDQ__)
  for (; w + 8 <= words; w += 8) {
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(a + w), _mm512_loadu_si512(b + w));
    acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
  }
#else
  const __m512i lut = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i zero = _mm512_setzero_si512();
  for (; w + 8 <= words; w += 8) {
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(a + w), _mm512_loadu_si512(b + w));
    const __m512i lo = _mm512_shuffle_epi8(lut, _mm512_and_si512(x, m4));
    const __m512i hi = _mm512_shuffle_epi8(lut, _mm512_and_si512(_mm512_srli_epi16(x, 4), m4));
    acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_add_epi8(lo, hi), zero));
  }
#endif
  alignas(64) std::uint64_t t[8];
  _mm512_store_si512(t, acc);
  std::uint64_t s = 0;
  for (std::uint64_t v : t) s += v;
  return s + popcount_xor_scalar<A>(a, b, w, words);
}
#endif

#if XSIMD_WITH_NEON
template <class A>
inline std::uint64_t popcount_xor(const std::uint64_t* a, const std::uint64_t* b, std::size_t words,
                                  arch::requires_arch<xsimd::neon>) noexcept {
  uint64x2_t acc = vdupq_n_u64(0);
  std::size_t w = 0;
  for (; w + 2 <= words; w += 2) {
    const uint8x16_t x = veorq_u8(vreinterpretq_u8_u64(vld1q_u64(a + w)), vreinterpretq_u8_u64(vld1q_u64(b + w)));
    acc = vpadalq_u32(acc, vpaddlq_u16(vpaddlq_u8(vcntq_u8(x))));
  }
  return vgetq_lane_u64(acc, 0) + vgetq_lane_u64(acc, 1) + popcount_xor_scalar<A>(a, b, w, words);
}
#endif

// One word of signs from 64 floats at x: bit j set where NOT (x_j < 0).
template <class A>
inline std::uint64_t sign_word_scalar(const float* x, std::size_t count) noexcept {
  std::uint64_t v = 0;
  for (std::size_t j = 0; j < count; ++j) {
    float f;
    std::memcpy(&f, x + j, sizeof f);
    if (!(f < 0.0f)) v |= std::uint64_t{1} << j;  // NaN and -0.0 give 1: the scalar's NaN-as-0 rule
  }
  return v;
}

template <class A>
inline std::uint64_t sign_word(const float* x, arch::requires_arch<xsimd::generic>) noexcept {
  return sign_word_scalar<A>(x, 64);
}

#if XSIMD_WITH_SSE2
template <class A>
inline std::uint64_t sign_word(const float* x, arch::requires_arch<xsimd::sse2>) noexcept {
  const __m128 zero = _mm_setzero_ps();
  std::uint64_t v = 0;
  for (unsigned j = 0; j < 16; ++j) {
    const int m = _mm_movemask_ps(_mm_cmpnlt_ps(_mm_loadu_ps(x + 4 * j), zero));
    v |= static_cast<std::uint64_t>(static_cast<unsigned>(m)) << (4 * j);
  }
  return v;
}
#endif

#if XSIMD_WITH_AVX2
template <class A>
inline std::uint64_t sign_word(const float* x, arch::requires_arch<xsimd::avx2>) noexcept {
  const __m256 zero = _mm256_setzero_ps();
  std::uint64_t v = 0;
  for (unsigned j = 0; j < 8; ++j) {
    const int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + 8 * j), zero, _CMP_NLT_UQ));
    v |= static_cast<std::uint64_t>(static_cast<unsigned>(m)) << (8 * j);
  }
  return v;
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline std::uint64_t sign_word(const float* x, arch::requires_arch<xsimd::avx512bw>) noexcept {
  const __m512 zero = _mm512_setzero_ps();
  std::uint64_t v = 0;
  for (unsigned j = 0; j < 4; ++j) {
    const __mmask16 m = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + 16 * j), zero, _CMP_NLT_UQ);
    v |= static_cast<std::uint64_t>(m) << (16 * j);
  }
  return v;
}
#endif

#if XSIMD_WITH_NEON64
template <class A>
inline std::uint64_t sign_word(const float* x, arch::requires_arch<xsimd::neon64>) noexcept {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const uint32x4_t weights = {1u, 2u, 4u, 8u};
  std::uint64_t v = 0;
  for (unsigned j = 0; j < 16; ++j) {
    const uint32x4_t ge = vmvnq_u32(vcltq_f32(vld1q_f32(x + 4 * j), zero));  // NOT (x < 0): true for NaN
    v |= static_cast<std::uint64_t>(vaddvq_u32(vandq_u32(ge, weights))) << (4 * j);
  }
  return v;
}
#endif

}  // namespace detail

/// The popcount method xnor_popcount_dot<A> uses for its full words: "vpopcntq" (AVX512-VPOPCNTDQ compiled in),
/// "vpshufb" (AVX2, AVX-512BW), "psadbw-swar" (SSE2 .. SSE4.2), "vcnt" (NEON) or "scalar".
template <class A>
constexpr const char* popcount_method() noexcept {
#if QLIN_ARCH_AVX512BW
  if (std::is_base_of<xsimd::avx512bw, A>::value) {
#if defined(__AVX512VPOPCNTDQ__)
    return "vpopcntq";
#else
    return "vpshufb";
#endif
  }
#endif
#if XSIMD_WITH_AVX2
  if (std::is_base_of<xsimd::avx2, A>::value) return "vpshufb";
#endif
#if XSIMD_WITH_SSE2
  if (std::is_base_of<xsimd::sse2, A>::value) return "psadbw-swar";
#endif
#if XSIMD_WITH_NEON
  if (std::is_base_of<xsimd::neon, A>::value) return "vcnt";
#endif
  return "scalar";
}

/// qlin::pack_signs on arch A, bit for bit: words_per_row(n) words, bit i % 64 of word i / 64 set where
/// x_i >= 0 or x_i is NaN (-0.0 included); the unused high bits of the last word are 0.
template <class A>
inline void pack_signs(const float* x, std::size_t n, std::uint64_t* words) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && words != nullptr));
  const std::size_t full = n / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const std::uint64_t v = detail::sign_word<A>(x + 64 * w, A{});
    std::memcpy(words + w, &v, sizeof v);
  }
  if (n % 64 != 0) {
    const std::uint64_t v = detail::sign_word_scalar<A>(x + 64 * full, n % 64);
    std::memcpy(words + full, &v, sizeof v);
  }
}

/// qlin::xnor_popcount_dot on arch A: n - 2 * popcount(a XOR b) over the n valid bits (tail masked),
/// the same int64 for every input.
template <class A>
inline std::int64_t xnor_popcount_dot(const std::uint64_t* a, const std::uint64_t* b, std::size_t n) noexcept {
  QLIN_ASSERT(n == 0 || (a != nullptr && b != nullptr));
  const std::size_t full = n / 64;
  std::uint64_t differ = detail::popcount_xor<A>(a, b, full, A{});
  if (n % 64 != 0) {
    const std::uint64_t mask = (std::uint64_t{1} << (n % 64)) - 1;
    differ += detail::popcount_word<A>((detail::load_word<A>(a, full) ^ detail::load_word<A>(b, full)) & mask);
  }
  return static_cast<std::int64_t>(n) - 2 * static_cast<std::int64_t>(differ);
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_BINARY_HPP_
