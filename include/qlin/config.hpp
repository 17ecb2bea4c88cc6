// config.hpp: version, assertion and platform macros shared by every qlin header.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#ifndef QLIN_CONFIG_HPP_
#define QLIN_CONFIG_HPP_

#include <cstdio>
#include <cstdlib>

#define QLIN_VERSION_MAJOR 0
#define QLIN_VERSION_MINOR 1
#define QLIN_VERSION_PATCH 0
#define QLIN_VERSION (QLIN_VERSION_MAJOR * 10000 + QLIN_VERSION_MINOR * 100 + QLIN_VERSION_PATCH)

// qlin's kernels promise bit-exact results; -ffast-math lets the compiler reassociate,
// fold isnan() to false and fuse multiplies, which was measured to break both the NaN rule
// and SIMD == scalar equality (reference/TOOLCHAIN.md section 4). Refuse it loudly.
#if defined(__FAST_MATH__) && !defined(QLIN_ALLOW_FAST_MATH)
#error "qlin: -ffast-math breaks qlin's bit-exactness and NaN rules; define QLIN_ALLOW_FAST_MATH to override"
#endif

// Kernel preconditions (lengths, pointers, parameter ranges) are checked in debug builds:
// when NDEBUG is not defined, or when QLIN_ENABLE_ASSERTS is defined. A failed check prints
// the condition and aborts; it never throws, so it works with -fno-exceptions.
#if !defined(QLIN_ENABLE_ASSERTS) && !defined(NDEBUG)
#define QLIN_ENABLE_ASSERTS 1
#endif

namespace qlin {
namespace detail {
[[noreturn]] inline void assert_fail(const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "qlin: precondition failed: %s (%s:%d)\n", what, file, line);
  std::abort();
}
}  // namespace detail
}  // namespace qlin

#if defined(QLIN_ENABLE_ASSERTS) && QLIN_ENABLE_ASSERTS
#define QLIN_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::qlin::detail::assert_fail(#cond, __FILE__, __LINE__))
#else
#define QLIN_ASSERT(cond) static_cast<void>(0)
#endif

#if __cplusplus >= 202002L && defined(__has_include)
#if __has_include(<span>)
#include <span>
#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
#define QLIN_HAS_SPAN 1
#endif
#endif
#endif
#ifndef QLIN_HAS_SPAN
#define QLIN_HAS_SPAN 0
#endif

#endif  // QLIN_CONFIG_HPP_
