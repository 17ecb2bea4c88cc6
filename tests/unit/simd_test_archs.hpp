// simd_test_archs.hpp: the xsimd archs a SIMD test file runs its cases on (as std::tuple lists for
// TEMPLATE_LIST_TEST_CASE): the arch the binary's kernels target, plus each lesser x86 arch compiled
// into the build. The baseline binary thus tests sse2, the -mavx2 rebuild avx2 + sse4.1 + sse2, the
// AVX-512 rebuild avx512bw + avx2 + sse4.1 + sse2; an aarch64 build tests neon64 alone.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#ifndef QLIN_TESTS_SIMD_TEST_ARCHS_HPP_
#define QLIN_TESTS_SIMD_TEST_ARCHS_HPP_

#include <tuple>
#include <type_traits>

#include <qlin/arch/xsimd.hpp>

#if QLIN_SIMD

namespace qlin_test {

template <bool Add, class A, class Tuple>
struct append_if {
  using type = Tuple;
};
template <class A, class... Ts>
struct append_if<true, A, std::tuple<Ts...>> {
  using type = std::tuple<Ts..., A>;
};
// Tuple + A, unless A is the kernel arch (already first in the list).
template <class A, class Tuple>
using append_unless_kernel = typename append_if<!std::is_same<qlin::arch::kernel_arch, A>::value, A, Tuple>::type;

using archs_kernel = std::tuple<qlin::arch::kernel_arch>;
#if XSIMD_WITH_AVX2
using archs_avx2 = append_unless_kernel<xsimd::avx2, archs_kernel>;
#else
using archs_avx2 = archs_kernel;
#endif
#if XSIMD_WITH_SSE4_1
using archs_sse41 = append_unless_kernel<xsimd::sse4_1, archs_avx2>;
#else
using archs_sse41 = archs_avx2;
#endif

#if XSIMD_WITH_SSE2
/// The kernel arch, avx2, sse4.1 and sse2 (those compiled in).
using simd_test_archs = append_unless_kernel<xsimd::sse2, archs_sse41>;
/// The same without sse4.1, for kernels with no SSE4.1-specific code (int4).
using simd_test_archs_no_sse41 = append_unless_kernel<xsimd::sse2, archs_avx2>;
#else
using simd_test_archs = archs_sse41;
using simd_test_archs_no_sse41 = archs_avx2;
#endif

}  // namespace qlin_test

#endif  // QLIN_SIMD
#endif  // QLIN_TESTS_SIMD_TEST_ARCHS_HPP_
