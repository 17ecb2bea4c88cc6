// arch/round.hpp: float batch -> int32 batch with the three tie rules of qlin/rounding.hpp.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// round_to_int<R>(c) returns static_cast<int32_t>(qlin::round(c, R)) for every lane, bit for bit,
// under the precondition that c is not NaN and |c| < 2^23 (the kernels clamp before rounding, so
// |c| <= 2^17 there). The exact sequence, independent of the rounding mode:
//
//   t = trunc(c)  (cvttps2dq / vcvtq_s32_f32, exact)     d = c - f32(t)  (exact: Sterbenz, or c itself)
//   half_away:  t + (d >= 1/2) - (d <= -1/2)
//   half_up:    t + (d >= 1/2) - (d <  -1/2)              (ties toward +infinity)
//   half_even:  t + (d > 1/2 || (d == 1/2 && t odd)) - (d < -1/2 || (d == -1/2 && t odd))
//
// No `x + 0.5` appears: it rounds wrongly at 0.49999997f and near 2^23.
//
// half_even uses the hardware conversion instead (cvtps2dq on x86, vcvtnq_s32_f32 on aarch64), as
// XNNPACK and PyTorch do: it equals the exact sequence under the default rounding mode (round to
// nearest, MXCSR.RC = 00 / FPCR.RMode = 00), which qlin's SIMD kernels assume. Define
// QLIN_SIMD_MODE_INDEPENDENT_ROUNDING to use the exact sequence everywhere. armv7 NEON always uses
// the exact sequence: xsimd 8.1's nearbyint_as_int there is std::lroundf, ties away from zero
// (TOOLCHAIN.md section 2).
#ifndef QLIN_ARCH_ROUND_HPP_
#define QLIN_ARCH_ROUND_HPP_

#include <cstdint>

#include "../rounding.hpp"
#include "xsimd.hpp"

#if QLIN_SIMD
namespace qlin {
namespace arch {

/// The exact, rounding-mode-independent sequence above, for any arch.
template <rounding R, class A>
inline xsimd::batch<std::int32_t, A> round_to_int_exact(const xsimd::batch<float, A>& c) noexcept {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  const bi t = xsimd::batch_cast<std::int32_t>(c);
  const bf tf = xsimd::batch_cast<float>(t);
  const bf d = c - tf;
  const bf one(1.0f), zero(0.0f), half(0.5f), mhalf(-0.5f);
  bf up, down;
  if (R == rounding::half_away) {
    up = xsimd::select(d >= half, one, zero);
    down = xsimd::select(d <= mhalf, one, zero);
  } else if (R == rounding::half_up) {
    up = xsimd::select(d >= half, one, zero);
    down = xsimd::select(d < mhalf, one, zero);
  } else {
    const bf odd = xsimd::batch_cast<float>(t & bi(1));  // 1.0f when t is odd (also for t < 0)
    up = xsimd::select(d > half, one, xsimd::select(d == half, odd, zero));
    down = xsimd::select(d < mhalf, one, xsimd::select(d == mhalf, odd, zero));
  }
  return xsimd::batch_cast<std::int32_t>(tf + up - down);  // |tf +- 1| < 2^23: exact
}

// Round half to even: the hardware conversion where it is correct, else the exact sequence.
template <class A>
inline xsimd::batch<std::int32_t, A> round_half_even_to_int(const xsimd::batch<float, A>& c,
                                                            requires_arch<xsimd::generic>) noexcept {
  return round_to_int_exact<rounding::half_even, A>(c);
}
#if !defined(QLIN_SIMD_MODE_INDEPENDENT_ROUNDING)
#if XSIMD_WITH_SSE2
template <class A>
inline xsimd::batch<std::int32_t, A> round_half_even_to_int(const xsimd::batch<float, A>& c,
                                                            requires_arch<xsimd::sse2>) noexcept {
  return _mm_cvtps_epi32(c);
}
#endif
#if XSIMD_WITH_AVX
template <class A>
inline xsimd::batch<std::int32_t, A> round_half_even_to_int(const xsimd::batch<float, A>& c,
                                                            requires_arch<xsimd::avx>) noexcept {
  return _mm256_cvtps_epi32(c);
}
#endif
#if XSIMD_WITH_AVX512F
template <class A>
inline xsimd::batch<std::int32_t, A> round_half_even_to_int(const xsimd::batch<float, A>& c,
                                                            requires_arch<xsimd::avx512f>) noexcept {
  return _mm512_cvtps_epi32(c);
}
#endif
#if XSIMD_WITH_NEON64
template <class A>
inline xsimd::batch<std::int32_t, A> round_half_even_to_int(const xsimd::batch<float, A>& c,
                                                            requires_arch<xsimd::neon64>) noexcept {
  return vcvtnq_s32_f32(c);
}
#endif
#endif  // !QLIN_SIMD_MODE_INDEPENDENT_ROUNDING

/// The same sequence on one float: static_cast<int32_t>(qlin::round(c, mode)) for c not NaN,
/// |c| < 2^23, with no libm call. The kernels' scalar prologues and tails use it instead of
/// qlin::round: a template on the arch, so that a -mavx2 translation unit instantiates no plain
/// inline function (qlin/dispatch.hpp, TOOLCHAIN.md section 3b).
template <class A>
inline std::int32_t round_to_int_one(float c, rounding mode) noexcept {
  const std::int32_t t = static_cast<std::int32_t>(c);  // truncation, exact
  const float d = c - static_cast<float>(t);             // exact
  const bool odd = (t & 1) != 0;
  bool up = false, down = false;
  switch (mode) {
    case rounding::half_away:
      up = d >= 0.5f;
      down = d <= -0.5f;
      break;
    case rounding::half_up:
      up = d >= 0.5f;
      down = d < -0.5f;
      break;
    case rounding::half_even:
      up = d > 0.5f || (d == 0.5f && odd);
      down = d < -0.5f || (d == -0.5f && odd);
      break;
  }
  return t + (up ? 1 : 0) - (down ? 1 : 0);
}

/// static_cast<int32_t>(qlin::round(c, R)) per lane; c not NaN, |c| < 2^23.
template <rounding R, class A>
inline xsimd::batch<std::int32_t, A> round_to_int(const xsimd::batch<float, A>& c) noexcept {
  if (R == rounding::half_even) return round_half_even_to_int<A>(c, A{});
  return round_to_int_exact<R, A>(c);
}

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_ROUND_HPP_
