// arch/fixed_point.hpp: qlin/fixed_point.hpp's integer primitives on xsimd int32 batches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Every function equals its scalar namesake in qlin/fixed_point.hpp lane by lane, bit for bit.
// xsimd 8.1 has no high-half or widening multiply, so the multiplies are written per ISA
// (gemmlowp fixedpoint_{sse,avx,neon}.h; XNNPACK src/qs8-requantization/*).
//
// saturating_rounding_doubling_high_mul(a, b)    (gemmlowp SaturatingRoundingDoublingHighMul)
//   a == b == INT32_MIN: INT32_MAX; else floor((a * b + 2^30) / 2^31)   (ties toward +infinity)
//   x86: p = a * b as int64 in the even and the odd lanes (pmuldq; SSE2 has only the unsigned
//   pmuludq, so p = ua * ub - 2^32 * ((a < 0 ? b : 0) + (b < 0 ? a : 0)) mod 2^64), then
//   (p + 2^30) >> 31 keeps bits 31..62, which a logical 64-bit shift (psrlq) delivers in the low
//   dword: SSE/AVX2 have no arithmetic 64-bit shift and none is needed. The only result that does
//   not fit, 2^31 for INT32_MIN * INT32_MIN, appears as INT32_MIN and is flipped to INT32_MAX by
//   xor with the mask (a == b) & (a == INT32_MIN).
//   NEON: vqrdmulhq_s32, whose definition (Arm ARM, SQRDMULH: SignedSatQ((2 * a * b + 2^31) >> 32))
//   is the same value: floor((2ab + 2^31) / 2^32) == floor((ab + 2^30) / 2^31), saturating only for
//   INT32_MIN * INT32_MIN. gemmlowp's fixedpoint_neon.h uses it for the same function.
//
// rounding_divide_by_pot(x, e), 0 <= e <= 31     (gemmlowp RoundingDivideByPOT; ties away from zero)
//   mask = 2^e - 1, remainder = x & mask, threshold = (mask >> 1) + (x < 0)
//   result = (x >> e) + (remainder > threshold)    (>> arithmetic) -- xsimd operations, every arch.
//
// saturating_left_shift(x, e), 0 <= e <= 31:  clamp(x * 2^e, INT32_MIN, INT32_MAX)
//   x > INT32_MAX >> e gives INT32_MAX, x < INT32_MIN >> e gives INT32_MIN, else x << e.
//
// rounding_mul_shift_right(x, m, t), m >= 0, 1 <= t <= 62:
//   floor((x * m + 2^(t-1)) / 2^t)     (single rounding, ties toward +infinity)
//   Precondition: the result fits in int32 (the requantize kernel clamps x first so that it does;
//   the value is computed modulo 2^32 otherwise). x86: v = x * m + 2^(t-1) + 2^62 lies in
//   [0, 2^63), so the logical shift psrlq is the floor division, and 2^62 / 2^t = 2^(62-t) is
//   subtracted after it. NEON: vmull_s32 + vrshlq_s64 (rounding shift: adds 2^(t-1), exact) +
//   vqmovn_s64.
//
// Per-lane exponents (per-channel requantization; AVX2 and AVX-512 only, SSE and NEON have no
// per-lane variable shift -- has_variable_shift<A>() says which):
//   shift_left_var(x, e)         x << e per lane (vpsllvd), 0 <= e <= 31
//   shift_right_var(x, e)        x >> e per lane, arithmetic (vpsravd), 0 <= e <= 31
//   rounding_mul_shift_right_clamp_var(x, m, t, lo, hi), m >= 0, 1 <= t <= 62 per lane:
//     clamp(floor((x * m + 2^(t-1)) / 2^t), lo, hi), exact for every int32 x (no precondition):
//     the 64-bit products of the even and odd lanes are shifted by their own count (AVX2: the
//     2^62 bias and the logical vpsrlvq as above; AVX-512: vpsravq) and clamped in 64 bits
//     (AVX2 vpcmpgtq + blend, AVX-512 vpminsq / vpmaxsq) before their low dwords are recombined.
#ifndef QLIN_ARCH_FIXED_POINT_HPP_
#define QLIN_ARCH_FIXED_POINT_HPP_

#include <cstdint>
#include <limits>
#include <type_traits>

#include "xsimd.hpp"

#if QLIN_SIMD
namespace qlin {
namespace arch {

// ---------------------------------------------------------------- x86 helpers
// mul_wide_*(a, b, even, odd): even = a[2i] * b[2i], odd = a[2i+1] * b[2i+1] as signed 64-bit lanes.
// combine_low_*(even, odd): the low dwords of the 64-bit lanes, interleaved back into int32 order.
// Templates on A (never plain inline functions) so that an AVX2 TU and a baseline TU cannot share one.

#if XSIMD_WITH_SSE2
template <class A>
inline void mul_wide(__m128i a, __m128i b, __m128i& even, __m128i& odd, requires_arch<xsimd::sse2>) noexcept {
  const __m128i corr = _mm_add_epi32(_mm_and_si128(_mm_srai_epi32(a, 31), b), _mm_and_si128(_mm_srai_epi32(b, 31), a));
  even = _mm_sub_epi64(_mm_mul_epu32(a, b), _mm_slli_epi64(corr, 32));
  odd = _mm_sub_epi64(_mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32)),
                      _mm_and_si128(corr, _mm_set_epi32(-1, 0, -1, 0)));
}
template <class A>
inline __m128i combine_low(__m128i even, __m128i odd, requires_arch<xsimd::sse2>) noexcept {
  return _mm_or_si128(_mm_and_si128(even, _mm_set_epi32(0, -1, 0, -1)), _mm_slli_epi64(odd, 32));
}
#endif
#if XSIMD_WITH_SSE4_1
template <class A>
inline void mul_wide(__m128i a, __m128i b, __m128i& even, __m128i& odd, requires_arch<xsimd::sse4_1>) noexcept {
  even = _mm_mul_epi32(a, b);
  odd = _mm_mul_epi32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32));
}
template <class A>
inline __m128i combine_low(__m128i even, __m128i odd, requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_blend_epi16(even, _mm_slli_epi64(odd, 32), 0xCC);
}
#endif

#if XSIMD_WITH_SSE2
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_rounding_doubling_high_mul(const xsimd::batch<std::int32_t, A>& a,
                                                                           const xsimd::batch<std::int32_t, A>& b,
                                                                           requires_arch<xsimd::sse2>) noexcept {
  __m128i even, odd;
  mul_wide<A>(a, b, even, odd, A{});
  const __m128i nudge = _mm_set1_epi64x(std::int64_t{1} << 30);
  const __m128i r = combine_low<A>(_mm_srli_epi64(_mm_add_epi64(even, nudge), 31),
                                   _mm_srli_epi64(_mm_add_epi64(odd, nudge), 31), A{});
  const __m128i overflow = _mm_and_si128(_mm_cmpeq_epi32(a, b), _mm_cmpeq_epi32(a, _mm_set1_epi32(INT32_MIN)));
  return _mm_xor_si128(r, overflow);
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right(const xsimd::batch<std::int32_t, A>& x,
                                                              const xsimd::batch<std::int32_t, A>& m, int t,
                                                              requires_arch<xsimd::sse2>) noexcept {
  __m128i even, odd;
  mul_wide<A>(x, m, even, odd, A{});
  const __m128i bias = _mm_set1_epi64x((std::int64_t{1} << (t - 1)) + (std::int64_t{1} << 62));
  const __m128i unbias = _mm_set1_epi64x(std::int64_t{1} << (62 - t));
  const __m128i count = _mm_cvtsi32_si128(t);
  even = _mm_sub_epi64(_mm_srl_epi64(_mm_add_epi64(even, bias), count), unbias);
  odd = _mm_sub_epi64(_mm_srl_epi64(_mm_add_epi64(odd, bias), count), unbias);
  return combine_low<A>(even, odd, A{});
}
#endif

#if XSIMD_WITH_AVX2
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_rounding_doubling_high_mul(const xsimd::batch<std::int32_t, A>& a,
                                                                           const xsimd::batch<std::int32_t, A>& b,
                                                                           requires_arch<xsimd::avx2>) noexcept {
  const __m256i va = a, vb = b;
  const __m256i nudge = _mm256_set1_epi64x(std::int64_t{1} << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(va, vb), nudge);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(va, 32), _mm256_srli_epi64(vb, 32)), nudge);
  const __m256i r =
      _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(_mm256_srli_epi64(odd, 31), 32), 0xAA);
  const __m256i overflow =
      _mm256_and_si256(_mm256_cmpeq_epi32(va, vb), _mm256_cmpeq_epi32(va, _mm256_set1_epi32(INT32_MIN)));
  return _mm256_xor_si256(r, overflow);
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right(const xsimd::batch<std::int32_t, A>& x,
                                                              const xsimd::batch<std::int32_t, A>& m, int t,
                                                              requires_arch<xsimd::avx2>) noexcept {
  const __m256i vx = x, vm = m;
  const __m256i bias = _mm256_set1_epi64x((std::int64_t{1} << (t - 1)) + (std::int64_t{1} << 62));
  const __m256i unbias = _mm256_set1_epi64x(std::int64_t{1} << (62 - t));
  const __m128i count = _mm_cvtsi32_si128(t);
  const __m256i even =
      _mm256_sub_epi64(_mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epi32(vx, vm), bias), count), unbias);
  const __m256i odd = _mm256_sub_epi64(
      _mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(vx, 32), _mm256_srli_epi64(vm, 32)), bias),
                       count),
      unbias);
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_rounding_doubling_high_mul(const xsimd::batch<std::int32_t, A>& a,
                                                                           const xsimd::batch<std::int32_t, A>& b,
                                                                           requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i va = a, vb = b;
  const __m512i nudge = _mm512_set1_epi64(std::int64_t{1} << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(va, vb), nudge);
  const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(va, 32), _mm512_srli_epi64(vb, 32)), nudge);
  const __m512i r =
      _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(_mm512_srli_epi64(odd, 31), 32));
  const __mmask16 overflow = static_cast<__mmask16>(_mm512_cmpeq_epi32_mask(va, vb) &
                                                    _mm512_cmpeq_epi32_mask(va, _mm512_set1_epi32(INT32_MIN)));
  return _mm512_mask_mov_epi32(r, overflow, _mm512_set1_epi32(INT32_MAX));
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right(const xsimd::batch<std::int32_t, A>& x,
                                                              const xsimd::batch<std::int32_t, A>& m, int t,
                                                              requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i vx = x, vm = m;
  const __m512i bias = _mm512_set1_epi64((std::int64_t{1} << (t - 1)) + (std::int64_t{1} << 62));
  const __m512i unbias = _mm512_set1_epi64(std::int64_t{1} << (62 - t));
  const __m128i count = _mm_cvtsi32_si128(t);
  const __m512i even =
      _mm512_sub_epi64(_mm512_srl_epi64(_mm512_add_epi64(_mm512_mul_epi32(vx, vm), bias), count), unbias);
  const __m512i odd = _mm512_sub_epi64(
      _mm512_srl_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(vx, 32), _mm512_srli_epi64(vm, 32)), bias),
                       count),
      unbias);
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}
#endif

#if XSIMD_WITH_NEON
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_rounding_doubling_high_mul(const xsimd::batch<std::int32_t, A>& a,
                                                                           const xsimd::batch<std::int32_t, A>& b,
                                                                           requires_arch<xsimd::neon>) noexcept {
  return vqrdmulhq_s32(a, b);
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right(const xsimd::batch<std::int32_t, A>& x,
                                                              const xsimd::batch<std::int32_t, A>& m, int t,
                                                              requires_arch<xsimd::neon>) noexcept {
  const int32x4_t vx = x, vm = m;
  const int64x2_t s = vdupq_n_s64(-t);
  const int64x2_t lo = vrshlq_s64(vmull_s32(vget_low_s32(vx), vget_low_s32(vm)), s);
  const int64x2_t hi = vrshlq_s64(vmull_s32(vget_high_s32(vx), vget_high_s32(vm)), s);
  return vcombine_s32(vqmovn_s64(lo), vqmovn_s64(hi));
}
#endif

// ---------------------------------------------------------------- requantization fast paths (AVX2, AVX-512BW)
// rounding_doubling_high_mul_nonneg(a, b): SRDHM for b >= 0 (the requantization multiplier), where
// the INT32_MIN * INT32_MIN overflow cannot occur, so its fix-up is left out: the odd products'
// bits 31..62 are moved up by one (slli 1) into the high dword instead of down and back.
// rounding_divide_by_pot_fast(x, e): RDBPOT with a uniform exponent, as
// (x >> e) - ((x & mask) > (mask >> 1) - (x >> 31))   (x >> 31 is -1 for negative x).

// Declared for every arch, defined for AVX2 / AVX-512BW only: callers test has_finish_8bit<A>()
// (arch/narrow.hpp) with `if constexpr`.
template <class A>
xsimd::batch<std::int32_t, A> rounding_doubling_high_mul_nonneg(const xsimd::batch<std::int32_t, A>& a,
                                                                const xsimd::batch<std::int32_t, A>& b,
                                                                requires_arch<xsimd::generic>) noexcept;
template <class A>
xsimd::batch<std::int32_t, A> rounding_divide_by_pot_fast(const xsimd::batch<std::int32_t, A>& x, int e,
                                                          requires_arch<xsimd::generic>) noexcept;

#if XSIMD_WITH_AVX2
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_doubling_high_mul_nonneg(const xsimd::batch<std::int32_t, A>& a,
                                                                       const xsimd::batch<std::int32_t, A>& b,
                                                                       requires_arch<xsimd::avx2>) noexcept {
  const __m256i va = a, vb = b;
  const __m256i nudge = _mm256_set1_epi64x(std::int64_t{1} << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(va, vb), nudge);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(va, 32), _mm256_srli_epi64(vb, 32)), nudge);
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_divide_by_pot_fast(const xsimd::batch<std::int32_t, A>& x, int e,
                                                                 requires_arch<xsimd::avx2>) noexcept {
  const __m256i vx = x;
  const std::int32_t m = static_cast<std::int32_t>((std::int64_t{1} << e) - 1);
  const __m256i thr = _mm256_sub_epi32(_mm256_set1_epi32(m >> 1), _mm256_srai_epi32(vx, 31));
  const __m256i gt = _mm256_cmpgt_epi32(_mm256_and_si256(vx, _mm256_set1_epi32(m)), thr);
  return _mm256_sub_epi32(_mm256_sra_epi32(vx, _mm_cvtsi32_si128(e)), gt);
}
#endif
#if QLIN_ARCH_AVX512BW
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_doubling_high_mul_nonneg(const xsimd::batch<std::int32_t, A>& a,
                                                                       const xsimd::batch<std::int32_t, A>& b,
                                                                       requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i va = a, vb = b;
  const __m512i nudge = _mm512_set1_epi64(std::int64_t{1} << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(va, vb), nudge);
  const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(va, 32), _mm512_srli_epi64(vb, 32)), nudge);
  return _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_divide_by_pot_fast(const xsimd::batch<std::int32_t, A>& x, int e,
                                                                 requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i vx = x;
  const std::int32_t m = static_cast<std::int32_t>((std::int64_t{1} << e) - 1);
  const __m512i thr = _mm512_sub_epi32(_mm512_set1_epi32(m >> 1), _mm512_srai_epi32(vx, 31));
  const __mmask16 gt = _mm512_cmpgt_epi32_mask(_mm512_and_si512(vx, _mm512_set1_epi32(m)), thr);
  const __m512i sh = _mm512_sra_epi32(vx, _mm_cvtsi32_si128(e));
  return _mm512_mask_add_epi32(sh, gt, sh, _mm512_set1_epi32(1));
}
#endif

// ---------------------------------------------------------------- per-lane exponents

#if XSIMD_WITH_AVX2
template <class A>
inline xsimd::batch<std::int32_t, A> shift_left_var(const xsimd::batch<std::int32_t, A>& x,
                                                    const xsimd::batch<std::int32_t, A>& e,
                                                    requires_arch<xsimd::avx2>) noexcept {
  return _mm256_sllv_epi32(x, e);
}
template <class A>
inline xsimd::batch<std::int32_t, A> shift_right_var(const xsimd::batch<std::int32_t, A>& x,
                                                     const xsimd::batch<std::int32_t, A>& e,
                                                     requires_arch<xsimd::avx2>) noexcept {
  return _mm256_srav_epi32(x, e);
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right_clamp_var(const xsimd::batch<std::int32_t, A>& x,
                                                                        const xsimd::batch<std::int32_t, A>& m,
                                                                        const xsimd::batch<std::int32_t, A>& t,
                                                                        std::int32_t lo, std::int32_t hi,
                                                                        requires_arch<xsimd::avx2>) noexcept {
  const __m256i vx = x, vm = m, vt = t;
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i b62 = _mm256_set1_epi64x(std::int64_t{1} << 62);
  const __m256i lo64 = _mm256_set1_epi64x(lo), hi64 = _mm256_set1_epi64x(hi);
  const __m256i te = _mm256_and_si256(vt, _mm256_set1_epi64x(0xFFFFFFFF));
  const __m256i to = _mm256_srli_epi64(vt, 32);
  // v = x * m + 2^(t-1) + 2^62 lies in [0, 2^63): the logical shift floors; 2^62 >> t is removed after.
  const auto one_lane = [&](__m256i prod, __m256i cnt) {
    const __m256i bias = _mm256_add_epi64(_mm256_sllv_epi64(one, _mm256_sub_epi64(cnt, one)), b62);
    __m256i y = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_add_epi64(prod, bias), cnt), _mm256_srlv_epi64(b62, cnt));
    y = _mm256_blendv_epi8(y, hi64, _mm256_cmpgt_epi64(y, hi64));
    return _mm256_blendv_epi8(y, lo64, _mm256_cmpgt_epi64(lo64, y));
  };
  const __m256i even = one_lane(_mm256_mul_epi32(vx, vm), te);
  const __m256i odd = one_lane(_mm256_mul_epi32(_mm256_srli_epi64(vx, 32), _mm256_srli_epi64(vm, 32)), to);
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline xsimd::batch<std::int32_t, A> shift_left_var(const xsimd::batch<std::int32_t, A>& x,
                                                    const xsimd::batch<std::int32_t, A>& e,
                                                    requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_sllv_epi32(x, e);
}
template <class A>
inline xsimd::batch<std::int32_t, A> shift_right_var(const xsimd::batch<std::int32_t, A>& x,
                                                     const xsimd::batch<std::int32_t, A>& e,
                                                     requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_srav_epi32(x, e);
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right_clamp_var(const xsimd::batch<std::int32_t, A>& x,
                                                                        const xsimd::batch<std::int32_t, A>& m,
                                                                        const xsimd::batch<std::int32_t, A>& t,
                                                                        std::int32_t lo, std::int32_t hi,
                                                                        requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i vx = x, vm = m, vt = t;
  const __m512i one = _mm512_set1_epi64(1);
  const __m512i lo64 = _mm512_set1_epi64(lo), hi64 = _mm512_set1_epi64(hi);
  const __m512i te = _mm512_and_si512(vt, _mm512_set1_epi64(0xFFFFFFFF));
  const __m512i to = _mm512_srli_epi64(vt, 32);
  // |x * m| < 2^62 and 2^(t-1) <= 2^61: the sum fits; vpsravq floors.
  const auto one_lane = [&](__m512i prod, __m512i cnt) {
    const __m512i y = _mm512_srav_epi64(_mm512_add_epi64(prod, _mm512_sllv_epi64(one, _mm512_sub_epi64(cnt, one))), cnt);
    return _mm512_max_epi64(_mm512_min_epi64(y, hi64), lo64);
  };
  const __m512i even = one_lane(_mm512_mul_epi32(vx, vm), te);
  const __m512i odd = one_lane(_mm512_mul_epi32(_mm512_srli_epi64(vx, 32), _mm512_srli_epi64(vm, 32)), to);
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}
#endif

/// True when A has the per-lane shifts above (AVX2, AVX-512BW).
template <class A>
constexpr bool has_variable_shift() noexcept {
#if QLIN_ARCH_AVX512BW
  if (std::is_base_of<xsimd::avx512bw, A>::value) return true;
#endif
#if XSIMD_WITH_AVX2
  if (std::is_base_of<xsimd::avx2, A>::value) return true;
#endif
  return false;
}

template <class A>
inline xsimd::batch<std::int32_t, A> shift_left_var(const xsimd::batch<std::int32_t, A>& x,
                                                    const xsimd::batch<std::int32_t, A>& e) noexcept {
  return shift_left_var<A>(x, e, A{});
}
template <class A>
inline xsimd::batch<std::int32_t, A> shift_right_var(const xsimd::batch<std::int32_t, A>& x,
                                                     const xsimd::batch<std::int32_t, A>& e) noexcept {
  return shift_right_var<A>(x, e, A{});
}
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right_clamp_var(const xsimd::batch<std::int32_t, A>& x,
                                                                        const xsimd::batch<std::int32_t, A>& m,
                                                                        const xsimd::batch<std::int32_t, A>& t,
                                                                        std::int32_t lo, std::int32_t hi) noexcept {
  return rounding_mul_shift_right_clamp_var<A>(x, m, t, lo, hi, A{});
}

/// saturating_left_shift with per-lane exponents; hi_e = INT32_MAX >> e, lo_e = INT32_MIN >> e per lane.
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_left_shift_var(const xsimd::batch<std::int32_t, A>& x,
                                                               const xsimd::batch<std::int32_t, A>& e,
                                                               const xsimd::batch<std::int32_t, A>& hi_e,
                                                               const xsimd::batch<std::int32_t, A>& lo_e) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  return xsimd::select(x > hi_e, bi(std::numeric_limits<std::int32_t>::max()),
                       xsimd::select(x < lo_e, bi(std::numeric_limits<std::int32_t>::min()), shift_left_var<A>(x, e)));
}

/// rounding_divide_by_pot with per-lane exponents e; mask = 2^e - 1 and half = mask >> 1 per lane.
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_divide_by_pot_var(const xsimd::batch<std::int32_t, A>& x,
                                                                const xsimd::batch<std::int32_t, A>& e,
                                                                const xsimd::batch<std::int32_t, A>& mask,
                                                                const xsimd::batch<std::int32_t, A>& half) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  const bi one(1), zero(0);
  const bi threshold = half + xsimd::select(x < zero, one, zero);
  return shift_right_var<A>(x, e) + xsimd::select((x & mask) > threshold, one, zero);
}

// ---------------------------------------------------------------- every arch (xsimd operations)

/// gemmlowp RoundingDivideByPOT per lane; 0 <= e <= 31. See the top of this header.
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_divide_by_pot(const xsimd::batch<std::int32_t, A>& x, int e) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << e) - 1);
  const bi one(1), zero(0);
  const bi remainder = x & bi(mask);
  const bi threshold = bi(mask >> 1) + xsimd::select(x < zero, one, zero);
  return (x >> e) + xsimd::select(remainder > threshold, one, zero);
}

/// clamp(x * 2^e, INT32_MIN, INT32_MAX) per lane; 0 <= e <= 31.
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_left_shift(const xsimd::batch<std::int32_t, A>& x, int e) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  if (e == 0) return x;
  const bi hi(std::numeric_limits<std::int32_t>::max() >> e);
  const bi lo(std::numeric_limits<std::int32_t>::min() >> e);
  const bi shifted = x << e;
  return xsimd::select(x > hi, bi(std::numeric_limits<std::int32_t>::max()),
                       xsimd::select(x < lo, bi(std::numeric_limits<std::int32_t>::min()), shifted));
}

/// SRDHM per lane; see the top of this header.
template <class A>
inline xsimd::batch<std::int32_t, A> saturating_rounding_doubling_high_mul(
    const xsimd::batch<std::int32_t, A>& a, const xsimd::batch<std::int32_t, A>& b) noexcept {
  return saturating_rounding_doubling_high_mul<A>(a, b, A{});
}

/// floor((x * m + 2^(t-1)) / 2^t) per lane, m >= 0, 1 <= t <= 62, result in int32 (precondition).
template <class A>
inline xsimd::batch<std::int32_t, A> rounding_mul_shift_right(const xsimd::batch<std::int32_t, A>& x,
                                                              const xsimd::batch<std::int32_t, A>& m, int t) noexcept {
  return rounding_mul_shift_right<A>(x, m, t, A{});
}

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_FIXED_POINT_HPP_
