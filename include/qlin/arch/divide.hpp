// arch/divide.hpp: correctly rounded float division of xsimd batches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// divide(a, b) == a / b per lane, correctly rounded (IEEE 754 binary32, round to nearest even), as
// the scalar `x / scale` of qlin/quantize.hpp computes it.
//
// xsimd 8.1's operator/ on batch<float, neon> AND batch<float, neon64> is NOT this: both use a
// reciprocal estimate (vrecpeq_f32) refined by two Newton-Raphson steps (arch/xsimd_neon.hpp, div;
// xsimd_neon64.hpp overrides only double). Measured under qemu-aarch64: 9.15e-29f / 1e-30f gave
// 218.5 + 1 ulp after adding 127, so TFLite-style quantize differed from the scalar by one code.
// So: aarch64 uses vdivq_f32 (FDIV, correctly rounded); armv7 NEON, which has no vector divide,
// divides lane by lane in scalar code; x86 keeps xsimd's divps (correctly rounded).
#ifndef QLIN_ARCH_DIVIDE_HPP_
#define QLIN_ARCH_DIVIDE_HPP_

#include <cstddef>

#include "xsimd.hpp"

#if QLIN_SIMD
namespace qlin {
namespace arch {

template <class A>
inline xsimd::batch<float, A> divide(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                     requires_arch<xsimd::generic>) noexcept {
  alignas(A::alignment()) float x[xsimd::batch<float, A>::size];
  alignas(A::alignment()) float y[xsimd::batch<float, A>::size];
  a.store_aligned(x);
  b.store_aligned(y);
  for (std::size_t i = 0; i < xsimd::batch<float, A>::size; ++i) x[i] = x[i] / y[i];
  return xsimd::batch<float, A>::load_aligned(x);
}
#if XSIMD_WITH_SSE2
template <class A>
inline xsimd::batch<float, A> divide(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                     requires_arch<xsimd::sse2>) noexcept {
  return _mm_div_ps(a, b);
}
#endif
#if XSIMD_WITH_AVX
template <class A>
inline xsimd::batch<float, A> divide(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                     requires_arch<xsimd::avx>) noexcept {
  return _mm256_div_ps(a, b);
}
#endif
#if XSIMD_WITH_AVX512F
template <class A>
inline xsimd::batch<float, A> divide(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                     requires_arch<xsimd::avx512f>) noexcept {
  return _mm512_div_ps(a, b);
}
#endif
#if XSIMD_WITH_NEON64
template <class A>
inline xsimd::batch<float, A> divide(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                     requires_arch<xsimd::neon64>) noexcept {
  return vdivq_f32(a, b);
}
#endif

/// a / b per lane, correctly rounded.
template <class A>
inline xsimd::batch<float, A> divide(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) noexcept {
  return divide<A>(a, b, A{});
}

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_DIVIDE_HPP_
