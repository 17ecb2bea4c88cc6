// test_build_target.cpp: which instruction set qlin_tests is built for.
//
// qlin_tests is the baseline build: on x86-64 it is compiled for the default target (SSE2, no
// -m flags), so qlin::simd runs the sse2 kernels; the wider kernels are tested by qlin_tests_avx2 /
// _avx512 (tests/CMakeLists.txt). tests/CMakeLists.txt defines QLIN_EXPECT_BASELINE_X86=1 for
// qlin_tests when the compiler targets x86-64 and no -m / -march flag reaches it (CMAKE_CXX_FLAGS
// and the build type's flags); .ci/run relies on this for its "SSE2-only" claim.
#include <qlin/simd.hpp>

#include <cstring>
#include <string>

#include "qlin_catch.hpp"

TEST_CASE("qlin::simd's arch agrees with the compiler's target macros", "[build]") {
  const std::string arch = qlin::simd::active_arch_name();
  INFO("qlin::simd arch: " << arch);
#if !QLIN_SIMD
  CHECK(arch == "scalar");
  CHECK_FALSE(qlin::simd::active());
#elif defined(__AVX512F__) && defined(__AVX512CD__) && defined(__AVX512DQ__) && defined(__AVX512BW__)
  CHECK(arch == "avx512bw");
#elif defined(__AVX2__)
  CHECK(arch.find("avx2") != std::string::npos);
#elif defined(__x86_64__) || defined(__i386__)
  CHECK(arch.find("sse") != std::string::npos);
  CHECK(arch.find("avx") == std::string::npos);
#elif defined(__aarch64__)
  CHECK(arch == "arm64+neon");
#else
  CHECK(qlin::simd::active());
#endif
}

#if defined(QLIN_EXPECT_BASELINE_X86) && QLIN_EXPECT_BASELINE_X86
TEST_CASE("qlin_tests is built for baseline x86-64: SSE2 only", "[build]") {
  bool wider = false;  // any extension past x86-64's SSE2 enabled at compile time
#if defined(__SSE3__) || defined(__SSSE3__) || defined(__SSE4_1__) || defined(__SSE4_2__) || defined(__POPCNT__)
  wider = true;
#endif
#if defined(__AVX__) || defined(__AVX2__) || defined(__FMA__) || defined(__F16C__) || defined(__BMI2__)
  wider = true;
#endif
#if defined(__AVX512F__) || defined(__AVX512BW__) || defined(__AVX512VNNI__)
  wider = true;
#endif
  CHECK_FALSE(wider);
  bool sse2 = false;
#if defined(__SSE2__)
  sse2 = true;
#endif
  CHECK(sse2);
  CHECK(std::strcmp(qlin::simd::active_arch_name(), "sse2") == 0);
}
#endif
