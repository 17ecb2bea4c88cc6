// arch/stream.hpp: non-temporal (streaming) stores of xsimd batches, for outputs larger than the caches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// stream_store(p, v) writes v to p like v.store_aligned(p) does, but with a non-temporal hint:
// the line goes to memory through the write-combining buffers without being read first (no
// read-for-ownership) and without evicting other data from the caches. p must be aligned to the
// batch size (A::alignment()). The stores are weakly ordered: stream_fence() (sfence) must follow
// the last of them before another thread may read the data, and before the caller returns.
//
//   sse2      movntdq (_mm_stream_si128) / movntps (_mm_stream_ps)
//   avx       vmovntdq ymm (_mm256_stream_si256, an AVX instruction) / vmovntps ymm
//   avx512f   vmovntdq zmm / vmovntps zmm
//   others    a plain aligned store; stream_fence() does nothing
//
// The values stored are unchanged, so bit equality with the scalar reference is unaffected.
// Templates on the arch, as every gap-filler in qlin/arch/ (TOOLCHAIN.md section 3b).
#ifndef QLIN_ARCH_STREAM_HPP_
#define QLIN_ARCH_STREAM_HPP_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "xsimd.hpp"

#if QLIN_SIMD
namespace qlin {
namespace arch {

template <class A, class T>
inline void stream_store(T* p, const xsimd::batch<T, A>& v, requires_arch<xsimd::generic>) noexcept {
  v.store_aligned(p);
}
template <class A>
inline void stream_fence(requires_arch<xsimd::generic>) noexcept {}

#if XSIMD_WITH_SSE2
template <class A, class T>
inline void stream_store(T* p, const xsimd::batch<T, A>& v, requires_arch<xsimd::sse2>) noexcept {
  _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
}
template <class A>
inline void stream_store(float* p, const xsimd::batch<float, A>& v, requires_arch<xsimd::sse2>) noexcept {
  _mm_stream_ps(p, v);
}
template <class A>
inline void stream_fence(requires_arch<xsimd::sse2>) noexcept {
  _mm_sfence();
}
#endif
#if XSIMD_WITH_AVX
template <class A, class T>
inline void stream_store(T* p, const xsimd::batch<T, A>& v, requires_arch<xsimd::avx>) noexcept {
  _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
}
template <class A>
inline void stream_store(float* p, const xsimd::batch<float, A>& v, requires_arch<xsimd::avx>) noexcept {
  _mm256_stream_ps(p, v);
}
#endif
#if XSIMD_WITH_AVX512F
template <class A, class T>
inline void stream_store(T* p, const xsimd::batch<T, A>& v, requires_arch<xsimd::avx512f>) noexcept {
  _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
}
template <class A>
inline void stream_store(float* p, const xsimd::batch<float, A>& v, requires_arch<xsimd::avx512f>) noexcept {
  _mm512_stream_ps(p, v);
}
#endif

/// A non-temporal store of v to p (aligned to A::alignment()); see the top of this header.
template <class A, class T>
inline void stream_store(T* p, const xsimd::batch<T, A>& v) noexcept {
  stream_store<A>(p, v, A{});
}

/// Orders the preceding non-temporal stores before every later store (sfence on x86).
template <class A>
inline void stream_fence() noexcept {
  stream_fence<A>(A{});
}

/// True when stream_store is a real non-temporal store on A (x86); elsewhere the kernels do not
/// bother aligning for it.
template <class A>
constexpr bool has_stream_store() noexcept {
#if XSIMD_WITH_SSE2
  // xsimd 8.1's avx512f derives from generic, not from the SSE / AVX archs.
  return std::is_base_of<xsimd::sse2, A>::value || std::is_base_of<xsimd::avx512f, A>::value;
#else
  return false;
#endif
}

/// The bytes of output above which quantize / dequantize switch to non-temporal stores. The output
/// then no longer fits in the last-level cache share of one core, and the stores would evict the
/// input they race with (measured: docs/performance.md, "Element-wise kernels"). Define
/// QLIN_STREAM_THRESHOLD_BYTES to change it (0 streams always; a huge value never streams).
#ifndef QLIN_STREAM_THRESHOLD_BYTES
#define QLIN_STREAM_THRESHOLD_BYTES (std::size_t{4} << 20)
#endif
constexpr std::size_t stream_threshold_bytes = QLIN_STREAM_THRESHOLD_BYTES;

}  // namespace arch
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_ARCH_STREAM_HPP_
