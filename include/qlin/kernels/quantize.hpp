// kernels/quantize.hpp: f32 -> s8 / u8 / s16 quantization on xsimd batches, equal to qlin::quantize bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// quantize_f32<T, A>(x, n, q, p, m) computes exactly what qlin::quantize (qlin/quantize.hpp) does:
//
//   y = m.divide ? x / s : x * f32(1 / s)
//   y = (y is NaN) ? 0 : y          NaN x gives 0, whose code is the zero point in both zero-point
//                                   placements below, as the scalar's "NaN -> z" rule says
//   zero point after:   q = round(clamp(y, f32(qmin - z), f32(qmax - z))) + z
//   zero point before:  q = round(clamp(f32(z) + y, f32(qmin), f32(qmax)))    (gemmlowp)
//   round = m.mode (arch/round.hpp), then a saturating narrow to T (arch/narrow.hpp) that never
//   saturates, since q already lies in [qmin, qmax].
//
// The clamp comes before the conversion to int32 (cvtps2dq returns INT32_MIN for out-of-range input),
// and +-Inf land on the bounds. NaN is detected with y == y, not y != y: xsimd 8.1's AVX and
// AVX-512 operator!= use the ordered predicate _CMP_NEQ_OQ, which is false for NaN (SSE's cmpneqps
// is unordered, true for NaN), so `y != y` finds no NaN on AVX2. Measured: NaN -> -128 instead of z. max/min here may
// return +0 where the scalar keeps -0; both round to 0. Main loop: 4 (int16: 2) float batches per output batch,
// unaligned loads and stores. Outputs of at least arch::stream_threshold_bytes go through
// non-temporal stores (arch/stream.hpp): a scalar prologue first aligns the destination to the
// batch size, an sfence follows the loop. The tail (< one output batch) and the prologue are
// detail::quantize_one<A>, the scalar formula of qlin::quantize written again as a template on the
// arch: a kernel instantiated in a translation unit built with -mavx2 must not instantiate plain
// inline functions (qlin::quantize, qlin::round, std::floor, ...), whose VEX-encoded copy the linker
// could hand to baseline code (TOOLCHAIN.md section 3b; qlin/dispatch.hpp). It rounds with the
// exact sequence of arch/round.hpp (no libm), which equals qlin::round for |c| < 2^23.
//
// One difference is a choice, not an accident: when 1 / s overflows to +Inf (s < 2^-128) and
// x == 0, the scalar reference converts NaN to int (undefined behaviour); these kernels give z.
#ifndef QLIN_KERNELS_QUANTIZE_HPP_
#define QLIN_KERNELS_QUANTIZE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../arch/divide.hpp"
#include "../arch/narrow.hpp"
#include "../arch/round.hpp"
#include "../arch/stream.hpp"
#include "../arch/xsimd.hpp"
#include "../quantize.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

namespace detail {

// qlin::detail::quantize_one, as a template on the arch (see the top of this header). A NaN
// quotient of a finite x (x == 0 with 1 / s == +Inf) gives z, as the vector loop does.
template <class A>
inline std::int32_t quantize_one(float x, float scale, float inv_scale, std::int32_t zp, std::int32_t qmin,
                                 std::int32_t qmax, quantize_method m) noexcept {
  if (x != x) return zp;
  float y = m.divide ? x / scale : x * inv_scale;
  if (y != y) y = 0.0f;
  if (m.zero_point_before_round) {
    float t = static_cast<float>(zp) + y;
    const float lo = static_cast<float>(qmin);
    const float hi = static_cast<float>(qmax);
    t = t < lo ? lo : (t > hi ? hi : t);
    return arch::round_to_int_one<A>(t, m.mode);
  }
  const float lo = static_cast<float>(qmin - zp);
  const float hi = static_cast<float>(qmax - zp);
  const float c = y < lo ? lo : (y > hi ? hi : y);
  return arch::round_to_int_one<A>(c, m.mode) + zp;
}

// n elements with quantize_one<A>; unaligned pointers (memcpy element access).
template <class T, class A>
inline void quantize_scalar(const float* x, std::size_t n, T* q, const quant_params& p, quantize_method m) noexcept {
  const float inv = 1.0f / p.scale;
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, x + i, sizeof v);
    const T r = static_cast<T>(quantize_one<A>(v, p.scale, inv, p.zero_point, p.qmin, p.qmax, m));
    std::memcpy(q + i, &r, sizeof r);
  }
}

}  // namespace detail

/// The elements one iteration of quantize_f32<T, A> consumes (the output batch's size).
template <class T, class A>
constexpr std::size_t quantize_block() noexcept {
  return xsimd::batch<T, A>::size;
}

// ---- fast path: 8-bit output, half-even (hardware conversion), zero point after rounding (the
// PyTorch / XNNPACK method). The scheme of XNNPACK's f32-qs8-vcvt kernels plus qlin's NaN rule:
//   c = min(y, hi) in float (upper clamp), i = cvtps2dq(c) (round half even; c < -2^31 gives
//   INT32_MIN), saturating packs to int16, + z (saturating), saturating packs to 8 bits, then the
//   lower clamp max(., qmin) in 8 bits. The saturations are monotone and [qmin, qmax] lies inside
//   every intermediate range, so this equals clamping before rounding (|lo|, |hi| <= 255 for 8-bit
//   outputs, as z lies in [qmin, qmax]). NaN -> 0 (code z): AVX-512 converts with the ordered mask
//   (vcvtps2dq {z}); AVX2 lets NaN through max(lo, min(hi, y)) (operand order: minps / maxps return
//   their second operand for NaN) so that it becomes INT32_MIN -> -32768 after the first pack,
//   which no clamped value is, and clears those int16 lanes.
// 4 float batches per output batch; two float operations fewer per batch than the generic loop.
template <class T, class A, bool Divide, bool Stream>
inline std::size_t quantize_u8s8_fast(const float* x, std::size_t n, T* q, const quant_params& p,
                                      arch::requires_arch<xsimd::generic>) noexcept;

#if XSIMD_WITH_AVX2 && !defined(QLIN_SIMD_MODE_INDEPENDENT_ROUNDING)
template <class T, class A, bool Divide, bool Stream>
inline std::size_t quantize_u8s8_fast(const float* x, std::size_t n, T* q, const quant_params& p,
                                      arch::requires_arch<xsimd::avx2>) noexcept {
  constexpr bool is_signed = std::is_same<T, std::int8_t>::value;
  const __m256 scale = _mm256_set1_ps(p.scale), inv = _mm256_set1_ps(1.0f / p.scale);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  const __m256i z16 = _mm256_set1_epi16(static_cast<short>(p.zero_point));
  const __m256i nan16 = _mm256_set1_epi16(std::numeric_limits<short>::min());
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const auto one = [&](const float* s) {
    const __m256 v = _mm256_loadu_ps(s);
    const __m256 y = Divide ? _mm256_div_ps(v, scale) : _mm256_mul_ps(v, inv);
    return _mm256_cvtps_epi32(_mm256_max_ps(lo, _mm256_min_ps(hi, y)));  // NaN stays NaN
  };
  const auto fix = [&](__m256i v16) {  // NaN lanes (-32768) -> 0, then + z (no overflow: clamped)
    return _mm256_add_epi16(_mm256_andnot_si256(_mm256_cmpeq_epi16(v16, nan16), v16), z16);
  };
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = fix(_mm256_packs_epi32(one(x + i), one(x + i + 8)));
    const __m256i b = fix(_mm256_packs_epi32(one(x + i + 16), one(x + i + 24)));
    const __m256i r = _mm256_permutevar8x32_epi32(is_signed ? _mm256_packs_epi16(a, b) : _mm256_packus_epi16(a, b), order);
    if (Stream) {
      _mm256_stream_si256(reinterpret_cast<__m256i*>(q + i), r);
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), r);
    }
  }
  return i;
}
#endif

#if QLIN_ARCH_AVX512BW && !defined(QLIN_SIMD_MODE_INDEPENDENT_ROUNDING)
template <class T, class A, bool Divide, bool Stream>
inline std::size_t quantize_u8s8_fast(const float* x, std::size_t n, T* q, const quant_params& p,
                                      arch::requires_arch<xsimd::avx512bw>) noexcept {
  constexpr bool is_signed = std::is_same<T, std::int8_t>::value;
  const __m512 scale = _mm512_set1_ps(p.scale), inv = _mm512_set1_ps(1.0f / p.scale);
  const __m512 hi = _mm512_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  const __m512i z16 = _mm512_set1_epi16(static_cast<short>(p.zero_point));
  const __m512i qmin8 = _mm512_set1_epi8(static_cast<char>(p.qmin));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const auto one = [&](const float* s) {
    const __m512 v = _mm512_loadu_ps(s);
    const __m512 y = Divide ? _mm512_div_ps(v, scale) : _mm512_mul_ps(v, inv);
    const __mmask16 ordered = _mm512_cmp_ps_mask(y, y, _CMP_ORD_Q);
    return _mm512_maskz_cvtps_epi32(ordered, _mm512_min_ps(y, hi));  // NaN -> 0
  };
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(one(x + i), one(x + i + 16)), z16);
    const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(one(x + i + 32), one(x + i + 48)), z16);
    __m512i r = _mm512_permutexvar_epi32(order, is_signed ? _mm512_packs_epi16(a, b) : _mm512_packus_epi16(a, b));
    r = is_signed ? _mm512_max_epi8(r, qmin8) : _mm512_max_epu8(r, qmin8);
    if (Stream) {
      _mm512_stream_si512(reinterpret_cast<__m512i*>(q + i), r);
    } else {
      _mm512_storeu_si512(q + i, r);
    }
  }
  return i;
}
#endif

template <class A>
constexpr bool has_quantize_u8s8_fast() noexcept {
#if defined(QLIN_SIMD_MODE_INDEPENDENT_ROUNDING)
  return false;
#else
#if QLIN_ARCH_AVX512BW
  if (std::is_base_of<xsimd::avx512bw, A>::value) return true;
#endif
#if XSIMD_WITH_AVX2
  if (std::is_base_of<xsimd::avx2, A>::value) return true;
#endif
  return false;
#endif
}

template <class T, class A, rounding R, bool Divide, bool ZeroPointBefore, bool Stream>
inline std::size_t quantize_f32_main(const float* x, std::size_t n, T* q, const quant_params& p) noexcept {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t lanes = bf::size;
  constexpr std::size_t parts = arch::narrow_to<T, A>::parts;
  constexpr std::size_t block = lanes * parts;
  static_assert(block == xsimd::batch<T, A>::size, "one output batch per iteration");
  if constexpr (sizeof(T) == 1 && R == rounding::half_even && !ZeroPointBefore && has_quantize_u8s8_fast<A>()) {
    return quantize_u8s8_fast<T, A, Divide, Stream>(x, n, q, p, A{});
  }
  const bf scale(p.scale);
  const bf inv(1.0f / p.scale);
  const bf zero(0.0f);
  const bf zpf(static_cast<float>(p.zero_point));
  const bi zpi(p.zero_point);
  const bf lo(static_cast<float>(ZeroPointBefore ? p.qmin : p.qmin - p.zero_point));
  const bf hi(static_cast<float>(ZeroPointBefore ? p.qmax : p.qmax - p.zero_point));
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    std::array<bi, parts> v;
    for (std::size_t k = 0; k < parts; ++k) {
      const bf xv = bf::load_unaligned(x + i + k * lanes);
      bf y = Divide ? arch::divide<A>(xv, scale) : xv * inv;  // not xsimd's `/` (inexact on NEON)
      y = xsimd::select(y == y, y, zero);                     // ordered compare: false for NaN on every ISA
      if (ZeroPointBefore) {
        v[k] = arch::round_to_int<R, A>(xsimd::min(xsimd::max(zpf + y, lo), hi));
      } else {
        v[k] = arch::round_to_int<R, A>(xsimd::min(xsimd::max(y, lo), hi)) + zpi;
      }
    }
    const xsimd::batch<T, A> out = arch::narrow_to<T, A>::apply(v);
    if (Stream) {
      arch::stream_store<A>(q + i, out);  // q + i aligned by the caller
    } else {
      out.store_unaligned(q + i);
    }
  }
  return i;
}

template <class T, class A, rounding R, bool Stream>
inline std::size_t quantize_f32_main(const float* x, std::size_t n, T* q, const quant_params& p,
                                     quantize_method m) noexcept {
  if (m.divide) {
    return m.zero_point_before_round ? quantize_f32_main<T, A, R, true, true, Stream>(x, n, q, p)
                                     : quantize_f32_main<T, A, R, true, false, Stream>(x, n, q, p);
  }
  return m.zero_point_before_round ? quantize_f32_main<T, A, R, false, true, Stream>(x, n, q, p)
                                   : quantize_f32_main<T, A, R, false, false, Stream>(x, n, q, p);
}

template <class T, class A, bool Stream>
inline std::size_t quantize_f32_main(const float* x, std::size_t n, T* q, const quant_params& p,
                                     quantize_method m) noexcept {
  switch (m.mode) {
    case rounding::half_even: return quantize_f32_main<T, A, rounding::half_even, Stream>(x, n, q, p, m);
    case rounding::half_away: return quantize_f32_main<T, A, rounding::half_away, Stream>(x, n, q, p, m);
    case rounding::half_up: return quantize_f32_main<T, A, rounding::half_up, Stream>(x, n, q, p, m);
  }
  return 0;
}

/// The elements before the first one whose address in `out` is aligned to A's batch size, or
/// n_max + 1 when out is not even aligned to sizeof(U) (then no element ever is).
template <class A, class U>
inline std::size_t elements_to_alignment(const U* out, std::size_t n_max) noexcept {
  constexpr std::size_t align = A::alignment();
  const std::size_t mis = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(out) % align);
  if (mis % sizeof(U) != 0) return n_max + 1;
  return ((align - mis) % align) / sizeof(U);
}

/// qlin::quantize on arch A: same signature, same result bit for bit (see the top of this header).
template <class T, class A>
inline void quantize_f32(const float* x, std::size_t n, T* q, const quant_params& p,
                         quantize_method m = quantize_method{}) noexcept {
  static_assert(is_quantized_storage_v<T>, "quantize writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (x != nullptr && q != nullptr));
  QLIN_ASSERT(qlin::detail::params_valid(p.scale, p.zero_point, p.qmin, p.qmax));
  QLIN_ASSERT(qlin::detail::range_fits<T>(p.qmin, p.qmax));
  std::size_t i = 0;
  if (n >= quantize_block<T, A>()) {
    const std::size_t head = elements_to_alignment<A>(q, n);
    if (arch::has_stream_store<A>() && n * sizeof(T) >= arch::stream_threshold_bytes && head < n) {
      detail::quantize_scalar<T, A>(x, head, q, p, m);
      i = head + quantize_f32_main<T, A, true>(x + head, n - head, q + head, p, m);
      arch::stream_fence<A>();
    } else {
      i = quantize_f32_main<T, A, false>(x, n, q, p, m);
    }
  }
  if (i < n) detail::quantize_scalar<T, A>(x + i, n - i, q + i, p, m);
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_QUANTIZE_HPP_
