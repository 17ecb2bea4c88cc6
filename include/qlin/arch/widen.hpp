// arch/widen.hpp: loads of int8 / uint8 / int16 widened to int32 xsimd batches (xsimd 8.1 has no widen).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// load_widen_i32(p) reads P * N elements of T from p (unaligned; P = 4 for 8-bit T, 2 for int16_t,
// N = batch<int32_t, A>::size) and returns P int32 batches: element j * N + k of the input is
// element k of result[j], with its value unchanged (sign extension for int8_t / int16_t, zero
// extension for uint8_t).
//
//   sse2      punpck{l,h}bw / punpck{l,h}wd with the value itself, then psrad 24 / 16 (sign) or
//             with zero (zero extension); SSE2 has no pmovsx / pmovzx
//   sse4_1    pmovsxbd / pmovzxbd / pmovsxwd on 4-lane pieces
//   avx2      vpmovsxbd / vpmovzxbd / vpmovsxwd from 8-lane pieces
//   avx512bw  vpmovsxbd / vpmovzxbd / vpmovsxwd from 16-lane pieces
//   neon      vmovl_s8 / vmovl_u8 + vmovl_s16
#ifndef QLIN_ARCH_WIDEN_HPP_
#define QLIN_ARCH_WIDEN_HPP_

#include <array>
#include <cstdint>
#include <cstring>

#include "xsimd.hpp"

#if QLIN_SIMD
namespace qlin {
namespace arch {

template <class T>
struct widen_parts {
  static constexpr std::size_t value = 4 / sizeof(T);
};

template <class A, class T>
using widened = std::array<xsimd::batch<std::int32_t, A>, widen_parts<T>::value>;

#if XSIMD_WITH_SSE2
template <class A>
inline widened<A, std::int8_t> load_widen_i32(const std::int8_t* p, requires_arch<xsimd::sse2>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i lo16 = _mm_unpacklo_epi8(v, v);  // each byte twice: (b << 8 | b) as int16
  const __m128i hi16 = _mm_unpackhi_epi8(v, v);
  return {_mm_srai_epi32(_mm_unpacklo_epi16(lo16, lo16), 24), _mm_srai_epi32(_mm_unpackhi_epi16(lo16, lo16), 24),
          _mm_srai_epi32(_mm_unpacklo_epi16(hi16, hi16), 24), _mm_srai_epi32(_mm_unpackhi_epi16(hi16, hi16), 24)};
}
template <class A>
inline widened<A, std::uint8_t> load_widen_i32(const std::uint8_t* p, requires_arch<xsimd::sse2>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i z = _mm_setzero_si128();
  const __m128i lo16 = _mm_unpacklo_epi8(v, z);
  const __m128i hi16 = _mm_unpackhi_epi8(v, z);
  return {_mm_unpacklo_epi16(lo16, z), _mm_unpackhi_epi16(lo16, z), _mm_unpacklo_epi16(hi16, z),
          _mm_unpackhi_epi16(hi16, z)};
}
template <class A>
inline widened<A, std::int16_t> load_widen_i32(const std::int16_t* p, requires_arch<xsimd::sse2>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return {_mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16), _mm_srai_epi32(_mm_unpackhi_epi16(v, v), 16)};
}
#endif

#if XSIMD_WITH_SSE4_1
template <class A>
inline widened<A, std::int8_t> load_widen_i32(const std::int8_t* p, requires_arch<xsimd::sse4_1>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return {_mm_cvtepi8_epi32(v), _mm_cvtepi8_epi32(_mm_srli_si128(v, 4)), _mm_cvtepi8_epi32(_mm_srli_si128(v, 8)),
          _mm_cvtepi8_epi32(_mm_srli_si128(v, 12))};
}
template <class A>
inline widened<A, std::uint8_t> load_widen_i32(const std::uint8_t* p, requires_arch<xsimd::sse4_1>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return {_mm_cvtepu8_epi32(v), _mm_cvtepu8_epi32(_mm_srli_si128(v, 4)), _mm_cvtepu8_epi32(_mm_srli_si128(v, 8)),
          _mm_cvtepu8_epi32(_mm_srli_si128(v, 12))};
}
template <class A>
inline widened<A, std::int16_t> load_widen_i32(const std::int16_t* p, requires_arch<xsimd::sse4_1>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return {_mm_cvtepi16_epi32(v), _mm_cvtepi16_epi32(_mm_srli_si128(v, 8))};
}
#endif

#if XSIMD_WITH_AVX2
template <class A>
inline widened<A, std::int8_t> load_widen_i32(const std::int8_t* p, requires_arch<xsimd::avx2>) noexcept {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  return {_mm256_cvtepi8_epi32(lo), _mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)), _mm256_cvtepi8_epi32(hi),
          _mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))};
}
template <class A>
inline widened<A, std::uint8_t> load_widen_i32(const std::uint8_t* p, requires_arch<xsimd::avx2>) noexcept {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  return {_mm256_cvtepu8_epi32(lo), _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)), _mm256_cvtepu8_epi32(hi),
          _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))};
}
template <class A>
inline widened<A, std::int16_t> load_widen_i32(const std::int16_t* p, requires_arch<xsimd::avx2>) noexcept {
  return {_mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
          _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)))};
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline widened<A, std::int8_t> load_widen_i32(const std::int8_t* p, requires_arch<xsimd::avx512bw>) noexcept {
  return {_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
          _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16))),
          _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32))),
          _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48)))};
}
template <class A>
inline widened<A, std::uint8_t> load_widen_i32(const std::uint8_t* p, requires_arch<xsimd::avx512bw>) noexcept {
  return {_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16))),
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32))),
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48)))};
}
template <class A>
inline widened<A, std::int16_t> load_widen_i32(const std::int16_t* p, requires_arch<xsimd::avx512bw>) noexcept {
  return {_mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))),
          _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16)))};
}
#endif

#if XSIMD_WITH_NEON
template <class A>
inline widened<A, std::int8_t> load_widen_i32(const std::int8_t* p, requires_arch<xsimd::neon>) noexcept {
  const int8x16_t v = vld1q_s8(p);
  const int16x8_t lo = vmovl_s8(vget_low_s8(v));
  const int16x8_t hi = vmovl_s8(vget_high_s8(v));
  return {vmovl_s16(vget_low_s16(lo)), vmovl_s16(vget_high_s16(lo)), vmovl_s16(vget_low_s16(hi)),
          vmovl_s16(vget_high_s16(hi))};
}
template <class A>
inline widened<A, std::uint8_t> load_widen_i32(const std::uint8_t* p, requires_arch<xsimd::neon>) noexcept {
  const uint8x16_t v = vld1q_u8(p);
  const int16x8_t lo = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v)));
  const int16x8_t hi = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(v)));
  return {vmovl_s16(vget_low_s16(lo)), vmovl_s16(vget_high_s16(lo)), vmovl_s16(vget_low_s16(hi)),
          vmovl_s16(vget_high_s16(hi))};
}
template <class A>
inline widened<A, std::int16_t> load_widen_i32(const std::int16_t* p, requires_arch<xsimd::neon>) noexcept {
  const int16x8_t v = vld1q_s16(p);
  return {vmovl_s16(vget_low_s16(v)), vmovl_s16(vget_high_s16(v))};
}
#endif

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_WIDEN_HPP_
