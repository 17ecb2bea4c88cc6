// arch/narrow.hpp: saturating int32 -> int16 / int8 / uint8 narrowing of xsimd batches (xsimd 8.1 has none).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// For int32 lanes v (element order preserved: element k of v[j] becomes element j * N + k of the
// result, N = batch<int32_t, A>::size):
//
//   narrow_i32_i16(v[2])  r = clamp(v, -32768, 32767)
//   narrow_i32_i8(v[4])   r = clamp(v, -128, 127)
//   narrow_i32_u8(v[4])   r = clamp(v, 0, 255)
//
// Saturation composes: clamp_u8(clamp_i16(v)) == clamp_u8(v) because [0, 255] lies inside the
// int16 range, so the two-step packs (SSE2 packssdw + packuswb, NEON vqmovn_s32 + vqmovun_s16) are
// exact and SSE2 needs no packusdw. The AVX2 packs work within each 128-bit lane, so their output is
// put back in order with a permute (as XNNPACK's f32-qs8-vcvt AVX2 kernel does). AVX-512 uses the
// native saturating vpmovsdb / vpmovsdw, and for uint8 max(v, 0) followed by vpmovusdb (which reads
// its input as unsigned, so negative lanes must be cleared first).
// Sources: gemmlowp fixedpoint/fixedpoint_{sse,avx,neon}.h; XNNPACK src/f32-qs8-vcvt/gen/*.
#ifndef QLIN_ARCH_NARROW_HPP_
#define QLIN_ARCH_NARROW_HPP_

#include <array>
#include <cstdint>
#include <type_traits>

#include "xsimd.hpp"

#if QLIN_SIMD
namespace qlin {
namespace arch {

template <class A>
using i32x2 = std::array<xsimd::batch<std::int32_t, A>, 2>;
template <class A>
using i32x4 = std::array<xsimd::batch<std::int32_t, A>, 4>;

#if XSIMD_WITH_SSE2
template <class A>
inline xsimd::batch<std::int16_t, A> narrow_i32_i16(const i32x2<A>& v, requires_arch<xsimd::sse2>) noexcept {
  return _mm_packs_epi32(v[0], v[1]);
}
template <class A>
inline xsimd::batch<std::int8_t, A> narrow_i32_i8(const i32x4<A>& v, requires_arch<xsimd::sse2>) noexcept {
  return _mm_packs_epi16(_mm_packs_epi32(v[0], v[1]), _mm_packs_epi32(v[2], v[3]));
}
template <class A>
inline xsimd::batch<std::uint8_t, A> narrow_i32_u8(const i32x4<A>& v, requires_arch<xsimd::sse2>) noexcept {
  return _mm_packus_epi16(_mm_packs_epi32(v[0], v[1]), _mm_packs_epi32(v[2], v[3]));
}
#endif

#if XSIMD_WITH_AVX2
// _mm256_packs_epi32(a, b) = [a0..3 b0..3 | a4..7 b4..7]; the permutes restore a0..7 b0..7 (...).
template <class A>
inline xsimd::batch<std::int16_t, A> narrow_i32_i16(const i32x2<A>& v, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_permute4x64_epi64(_mm256_packs_epi32(v[0], v[1]), 0xD8);  // qwords 0, 2, 1, 3
}
template <class A>
inline xsimd::batch<std::int8_t, A> narrow_i32_i8(const i32x4<A>& v, requires_arch<xsimd::avx2>) noexcept {
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
template <class A>
inline xsimd::batch<std::uint8_t, A> narrow_i32_u8(const i32x4<A>& v, requires_arch<xsimd::avx2>) noexcept {
  const __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline xsimd::batch<std::int16_t, A> narrow_i32_i16(const i32x2<A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi32_epi16(v[0])), _mm512_cvtsepi32_epi16(v[1]), 1);
}
template <class A>
inline xsimd::batch<std::int8_t, A> narrow_i32_i8(const i32x4<A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  __m512i r = _mm512_castsi128_si512(_mm512_cvtsepi32_epi8(v[0]));
  r = _mm512_inserti32x4(r, _mm512_cvtsepi32_epi8(v[1]), 1);
  r = _mm512_inserti32x4(r, _mm512_cvtsepi32_epi8(v[2]), 2);
  return _mm512_inserti32x4(r, _mm512_cvtsepi32_epi8(v[3]), 3);
}
template <class A>
inline xsimd::batch<std::uint8_t, A> narrow_i32_u8(const i32x4<A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i zero = _mm512_setzero_si512();
  __m512i r = _mm512_castsi128_si512(_mm512_cvtusepi32_epi8(_mm512_max_epi32(v[0], zero)));
  r = _mm512_inserti32x4(r, _mm512_cvtusepi32_epi8(_mm512_max_epi32(v[1], zero)), 1);
  r = _mm512_inserti32x4(r, _mm512_cvtusepi32_epi8(_mm512_max_epi32(v[2], zero)), 2);
  return _mm512_inserti32x4(r, _mm512_cvtusepi32_epi8(_mm512_max_epi32(v[3], zero)), 3);
}
#endif

#if XSIMD_WITH_NEON
template <class A>
inline xsimd::batch<std::int16_t, A> narrow_i32_i16(const i32x2<A>& v, requires_arch<xsimd::neon>) noexcept {
  return vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
}
template <class A>
inline xsimd::batch<std::int8_t, A> narrow_i32_i8(const i32x4<A>& v, requires_arch<xsimd::neon>) noexcept {
  const int16x8_t lo = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
  const int16x8_t hi = vcombine_s16(vqmovn_s32(v[2]), vqmovn_s32(v[3]));
  return vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
}
template <class A>
inline xsimd::batch<std::uint8_t, A> narrow_i32_u8(const i32x4<A>& v, requires_arch<xsimd::neon>) noexcept {
  const int16x8_t lo = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
  const int16x8_t hi = vcombine_s16(vqmovn_s32(v[2]), vqmovn_s32(v[3]));
  return vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi));
}
#endif

// finish_8bit<T>(y, z, qmin, qmax): clamp(y + z, qmin, qmax) narrowed to 8 bits for 4 int32 batches,
// in the 16- and 8-bit domains (XNNPACK's final sequence): saturating pack to int16, saturating
// + z, saturating pack to 8 bits, then max / min with qmin / qmax. Equal to the exact formula for
// every int32 y when |z| <= 32000 (a saturated int16 plus z still lies outside the 8-bit range) and
// [qmin, qmax] lies in T: every step is monotone and exact inside [qmin, qmax]. AVX2, AVX-512BW.
template <class T, class A>
xsimd::batch<T, A> finish_8bit(const i32x4<A>& y, std::int32_t z, std::int32_t qmin, std::int32_t qmax,
                               requires_arch<xsimd::generic>) noexcept;  // declared only (see has_finish_8bit)
#if XSIMD_WITH_AVX2
template <class T, class A>
inline xsimd::batch<T, A> finish_8bit(const i32x4<A>& y, std::int32_t z, std::int32_t qmin, std::int32_t qmax,
                                      requires_arch<xsimd::avx2>) noexcept {
  const __m256i z16 = _mm256_set1_epi16(static_cast<short>(z));
  const __m256i a = _mm256_adds_epi16(_mm256_packs_epi32(y[0], y[1]), z16);
  const __m256i b = _mm256_adds_epi16(_mm256_packs_epi32(y[2], y[3]), z16);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i lo = _mm256_set1_epi8(static_cast<char>(qmin)), hi = _mm256_set1_epi8(static_cast<char>(qmax));
  if (std::is_same<T, std::int8_t>::value) {
    return _mm256_min_epi8(_mm256_max_epi8(_mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), order), lo), hi);
  }
  return _mm256_min_epu8(_mm256_max_epu8(_mm256_permutevar8x32_epi32(_mm256_packus_epi16(a, b), order), lo), hi);
}
#endif
#if QLIN_ARCH_AVX512BW
template <class T, class A>
inline xsimd::batch<T, A> finish_8bit(const i32x4<A>& y, std::int32_t z, std::int32_t qmin, std::int32_t qmax,
                                      requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i z16 = _mm512_set1_epi16(static_cast<short>(z));
  const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(y[0], y[1]), z16);
  const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(y[2], y[3]), z16);
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m512i lo = _mm512_set1_epi8(static_cast<char>(qmin)), hi = _mm512_set1_epi8(static_cast<char>(qmax));
  if (std::is_same<T, std::int8_t>::value) {
    return _mm512_min_epi8(_mm512_max_epi8(_mm512_permutexvar_epi32(order, _mm512_packs_epi16(a, b)), lo), hi);
  }
  return _mm512_min_epu8(_mm512_max_epu8(_mm512_permutexvar_epi32(order, _mm512_packus_epi16(a, b)), lo), hi);
}
#endif

/// True when A has finish_8bit and the requantization fast paths of arch/fixed_point.hpp.
template <class A>
constexpr bool has_finish_8bit() noexcept {
#if QLIN_ARCH_AVX512BW
  if (std::is_base_of<xsimd::avx512bw, A>::value) return true;
#endif
#if XSIMD_WITH_AVX2
  if (std::is_base_of<xsimd::avx2, A>::value) return true;
#endif
  return false;
}

/// The saturating narrowing to T (int8_t, uint8_t or int16_t) of 4 (8-bit) or 2 (16-bit) int32 batches.
template <class T, class A>
struct narrow_to;
template <class A>
struct narrow_to<std::int8_t, A> {
  static constexpr std::size_t parts = 4;
  static xsimd::batch<std::int8_t, A> apply(const i32x4<A>& v) noexcept { return narrow_i32_i8<A>(v, A{}); }
};
template <class A>
struct narrow_to<std::uint8_t, A> {
  static constexpr std::size_t parts = 4;
  static xsimd::batch<std::uint8_t, A> apply(const i32x4<A>& v) noexcept { return narrow_i32_u8<A>(v, A{}); }
};
template <class A>
struct narrow_to<std::int16_t, A> {
  static constexpr std::size_t parts = 2;
  static xsimd::batch<std::int16_t, A> apply(const i32x2<A>& v) noexcept { return narrow_i32_i16<A>(v, A{}); }
};

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_NARROW_HPP_
