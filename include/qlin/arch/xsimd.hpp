// arch/xsimd.hpp: the one place qlin includes xsimd, and the choice of the arch qlin's kernels use.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// QLIN_SIMD is 1 when xsimd is available (QLIN_HAVE_XSIMD, defined by the CMake target qlin) and
// the compiler targets an instruction set xsimd knows (XSIMD_NO_SUPPORTED_ARCHITECTURE is then
// undefined; i686 without SSE2 has none). Otherwise it is 0 and qlin/simd.hpp forwards to the
// scalar reference.
//
// qlin::arch::kernel_arch is the arch the kernels are instantiated for when dispatched statically.
// It is xsimd::default_arch, except:
//   - avx / fma3<avx>: xsimd 8.1's 256-bit `avx` has no integer instructions (they came with
//     AVX2), so qlin uses sse4_2 for AVX-without-AVX2 targets;
//   - AVX-512 without all of F, CD, DQ and BW: avx2 (fma3<avx2>), see QLIN_ARCH_AVX512BW.
// Every gap-filler in qlin/arch/ has an overload for sse2, sse4_1, avx2, avx512bw (compiled only
// when the compiler targets it) and neon / neon64; the kernels in qlin/kernels/ are templated on
// the arch, so a runtime-dispatched build cannot merge two ISAs' code (TOOLCHAIN.md section 3b).
#ifndef QLIN_ARCH_XSIMD_HPP_
#define QLIN_ARCH_XSIMD_HPP_

#if defined(QLIN_HAVE_XSIMD) && QLIN_HAVE_XSIMD
#include <xsimd/xsimd.hpp>
#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#define QLIN_SIMD 1
#endif
#endif
#ifndef QLIN_SIMD
#define QLIN_SIMD 0
#endif

// xsimd 8.1's avx512bw derives from avx512dq and avx512cd and cannot be instantiated without
// them (-mavx512f -mavx512bw alone fails inside xsimd: "usage of simd_register with unsupported
// architecture"), so qlin's AVX-512 code needs all four.
#if QLIN_SIMD && XSIMD_WITH_AVX512BW && XSIMD_WITH_AVX512DQ && XSIMD_WITH_AVX512CD
#define QLIN_ARCH_AVX512BW 1
#else
#define QLIN_ARCH_AVX512BW 0
#endif

// The inline namespace that qlin/simd.hpp's functions live in, one per kernel arch, so that a
// program whose translation units are built for different targets (a runtime-dispatched build) gets
// distinct symbols for qlin::simd::quantize<int8_t> & co. instead of one copy picked by the linker.
#if QLIN_ARCH_AVX512BW
#define QLIN_SIMD_NAMESPACE avx512bw
#elif QLIN_SIMD && XSIMD_WITH_AVX512F
#define QLIN_SIMD_NAMESPACE avx512f
#elif QLIN_SIMD && XSIMD_WITH_FMA3_AVX2
#define QLIN_SIMD_NAMESPACE fma3_avx2
#elif QLIN_SIMD && XSIMD_WITH_AVX2
#define QLIN_SIMD_NAMESPACE avx2
#elif QLIN_SIMD && XSIMD_WITH_FMA3_AVX
#define QLIN_SIMD_NAMESPACE fma3_avx
#elif QLIN_SIMD && XSIMD_WITH_AVX
#define QLIN_SIMD_NAMESPACE avx
#elif QLIN_SIMD && XSIMD_WITH_FMA4
#define QLIN_SIMD_NAMESPACE fma4
#elif QLIN_SIMD && XSIMD_WITH_FMA3_SSE
#define QLIN_SIMD_NAMESPACE fma3_sse4_2
#elif QLIN_SIMD && XSIMD_WITH_SSE4_2
#define QLIN_SIMD_NAMESPACE sse4_2
#elif QLIN_SIMD && XSIMD_WITH_SSE4_1
#define QLIN_SIMD_NAMESPACE sse4_1
#elif QLIN_SIMD && XSIMD_WITH_SSSE3
#define QLIN_SIMD_NAMESPACE ssse3
#elif QLIN_SIMD && XSIMD_WITH_SSE3
#define QLIN_SIMD_NAMESPACE sse3
#elif QLIN_SIMD && XSIMD_WITH_SSE2
#define QLIN_SIMD_NAMESPACE sse2
#elif QLIN_SIMD && XSIMD_WITH_NEON64
#define QLIN_SIMD_NAMESPACE neon64
#elif QLIN_SIMD && XSIMD_WITH_NEON
#define QLIN_SIMD_NAMESPACE neon
#elif QLIN_SIMD
#define QLIN_SIMD_NAMESPACE other
#else
#define QLIN_SIMD_NAMESPACE scalar
#endif

#if QLIN_SIMD
namespace qlin {
namespace arch {

#if QLIN_ARCH_AVX512BW
using kernel_arch = xsimd::avx512bw;
#elif XSIMD_WITH_FMA3_AVX2
using kernel_arch = xsimd::fma3<xsimd::avx2>;
#elif XSIMD_WITH_AVX2
using kernel_arch = xsimd::avx2;
#elif XSIMD_WITH_AVX
using kernel_arch = xsimd::sse4_2;  // AVX1 has no 256-bit integer instructions
#else
using kernel_arch = xsimd::default_arch;
#endif

/// The xsimd arch family a gap-filler is written for. The overloads take the arch tag last
/// (xsimd::kernel::requires_arch<isa>) so that overload resolution picks the most derived ISA.
template <class A>
using requires_arch = xsimd::kernel::requires_arch<A>;

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_XSIMD_HPP_
