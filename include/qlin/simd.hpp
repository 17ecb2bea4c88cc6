// simd.hpp: qlin::simd::quantize / dequantize / requantize (and the binary, int4 and fake-quant kernels) -- the
// scalar API, statically dispatched to SIMD.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Each function has the signature of its scalar namesake in qlin/quantize.hpp, qlin/requantize.hpp,
// qlin/binary.hpp, qlin/int4.hpp or qlin/fake_quant.hpp
// and returns the same bits for every input (NaN, +-Inf, ties, INT32_MIN / INT32_MAX, bias
// saturation included); tests/unit/test_simd_kernels.cpp checks this. The arch is chosen at compile
// time: qlin::arch::kernel_arch, i.e. xsimd::default_arch of the compiler's target flags (-msse4.1,
// -mavx2, -march=native, ...; see qlin/arch/xsimd.hpp for the AVX-without-AVX2 exception). Without
// xsimd (QLIN_HAVE_XSIMD undefined) or without a SIMD target (XSIMD_NO_SUPPORTED_ARCHITECTURE, e.g.
// i686 without SSE2), the functions are the scalar reference and active_arch_name() is "scalar".
//
// Requirements for bit equality with the scalar reference, as for the reference itself: no
// -ffast-math (config.hpp refuses it), -ffp-contract=off (the CMake target qlin adds it), and the
// default floating-point rounding mode (round to nearest even) -- see qlin/arch/round.hpp.
//
// Runtime dispatch (one binary for several ISAs) is not provided here: the kernels in
// qlin/kernels/ are templates on the arch, so per-arch translation units can instantiate
// qlin::kernels::quantize_f32<T, xsimd::avx2> etc. without ODR mixing (TOOLCHAIN.md section 2),
// and the functions below sit in an inline namespace named after the target (qlin::simd::avx2::,
// qlin::simd::sse2::, ...), so TUs built with different flags do not share their symbols either.
// The kernels' scalar prologues and tails are templates on the arch as well (not qlin::quantize &
// co., which are plain inline code). qlin/dispatch.hpp and examples/runtime_dispatch/ build on this
// for one binary that picks the ISA at run time.
#ifndef QLIN_SIMD_HPP_
#define QLIN_SIMD_HPP_

#include <cstddef>
#include <cstdint>

#include "arch/xsimd.hpp"
#include "binary.hpp"
#include "fake_quant.hpp"
#include "int4.hpp"
#include "quantize.hpp"
#include "requantize.hpp"

#if QLIN_SIMD
#include "kernels/binary.hpp"
#include "kernels/dequantize.hpp"
#include "kernels/fake_quant.hpp"
#include "kernels/int4.hpp"
#include "kernels/quantize.hpp"
#include "kernels/requantize.hpp"
#endif

namespace qlin {
namespace simd {
// One inline namespace per target (qlin/arch/xsimd.hpp): ODR-safe when TUs use different -m flags.
inline namespace QLIN_SIMD_NAMESPACE {

/// The name of the instruction set the functions below run: xsimd's arch name ("sse2", "sse4.1",
/// "avx2", "fma3+avx2", "avx512bw", "arm64+neon", ...) or "scalar".
constexpr const char* active_arch_name() noexcept {
#if QLIN_SIMD
  return arch::kernel_arch::name();
#else
  return "scalar";
#endif
}

/// True when the functions below use SIMD kernels.
constexpr bool active() noexcept { return QLIN_SIMD != 0; }

/// qlin::quantize, vectorized.
template <class T>
inline void quantize(const float* x, std::size_t n, T* q, const quant_params& p,
                     quantize_method m = quantize_method{}) noexcept {
#if QLIN_SIMD
  kernels::quantize_f32<T, arch::kernel_arch>(x, n, q, p, m);
#else
  qlin::quantize(x, n, q, p, m);
#endif
}

/// qlin::dequantize, vectorized.
template <class T>
inline void dequantize(const T* q, std::size_t n, float* r, const quant_params& p) noexcept {
#if QLIN_SIMD
  kernels::dequantize_f32<T, arch::kernel_arch>(q, n, r, p);
#else
  qlin::dequantize(q, n, r, p);
#endif
}

/// qlin::requantize, vectorized.
template <class T>
inline void requantize(const std::int32_t* acc, std::size_t n, T* out, const requantize_params& p) noexcept {
#if QLIN_SIMD
  kernels::requantize_s32<T, arch::kernel_arch>(acc, n, out, p);
#else
  qlin::requantize(acc, n, out, p);
#endif
}

/// qlin::requantize_rows with per-tensor parameters and an optional per-channel bias, vectorized.
template <class T>
inline void requantize_rows(const std::int32_t* acc, std::size_t rows, std::size_t channels, const std::int32_t* bias,
                            T* out, const requantize_params& p) noexcept {
#if QLIN_SIMD
  kernels::requantize_rows_s32<T, arch::kernel_arch>(acc, rows, channels, bias, out, p);
#else
  qlin::requantize_rows(acc, rows, channels, bias, out, p);
#endif
}

/// qlin::requantize_rows with per-channel parameters: fp32 rounding is vectorized over the channels on
/// every arch; double and single rounding on AVX2 / AVX-512 (per-lane shifts), scalar on SSE / NEON.
template <class T>
inline void requantize_rows(const std::int32_t* acc, std::size_t rows, std::size_t channels, const std::int32_t* bias,
                            T* out, const per_channel_requantize_params& p) noexcept {
#if QLIN_SIMD
  kernels::requantize_rows_s32<T, arch::kernel_arch>(acc, rows, channels, bias, out, p);
#else
  qlin::requantize_rows(acc, rows, channels, bias, out, p);
#endif
}

// ---- beyond INT8 (qlin/binary.hpp, qlin/int4.hpp, qlin/fake_quant.hpp)

/// qlin::pack_signs, vectorized.
inline void pack_signs(const float* x, std::size_t n, std::uint64_t* words) noexcept {
#if QLIN_SIMD
  kernels::pack_signs<arch::kernel_arch>(x, n, words);
#else
  qlin::pack_signs(x, n, words);
#endif
}

/// qlin::xnor_popcount_dot, vectorized.
inline std::int64_t xnor_popcount_dot(const std::uint64_t* a, const std::uint64_t* b, std::size_t n) noexcept {
#if QLIN_SIMD
  return kernels::xnor_popcount_dot<arch::kernel_arch>(a, b, n);
#else
  return qlin::xnor_popcount_dot(a, b, n);
#endif
}

/// qlin::quantize_int4, vectorized.
inline void quantize_int4(const float* x, std::size_t n, std::uint8_t* packed, const quant_params& p,
                          quantize_method m = quantize_method{}) noexcept {
#if QLIN_SIMD
  kernels::quantize_int4<arch::kernel_arch>(x, n, packed, p, m);
#else
  qlin::quantize_int4(x, n, packed, p, m);
#endif
}

/// qlin::quantize_uint4, vectorized.
inline void quantize_uint4(const float* x, std::size_t n, std::uint8_t* packed, const quant_params& p,
                           quantize_method m = quantize_method{}) noexcept {
#if QLIN_SIMD
  kernels::quantize_uint4<arch::kernel_arch>(x, n, packed, p, m);
#else
  qlin::quantize_uint4(x, n, packed, p, m);
#endif
}

/// qlin::quantize_per_group, vectorized.
inline void quantize_per_group(const float* w, std::uint8_t* packed, const group_quant_params& p,
                               quantize_method m = quantize_method{}) noexcept {
#if QLIN_SIMD
  kernels::quantize_per_group<arch::kernel_arch>(w, packed, p, m);
#else
  qlin::quantize_per_group(w, packed, p, m);
#endif
}

/// qlin::fake_quantize (per tensor, with the optional STE mask), vectorized.
inline void fake_quantize(const float* x, std::size_t n, float* y, const quant_params& p,
                          std::uint8_t* mask = nullptr) noexcept {
#if QLIN_SIMD
  kernels::fake_quantize<arch::kernel_arch>(x, n, y, p, mask);
#else
  qlin::fake_quantize(x, n, y, p, mask);
#endif
}

/// qlin::fake_quantize_per_channel with int32 zero points, vectorized.
inline void fake_quantize_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                                      float* y, const per_channel_params& p, std::uint8_t* mask = nullptr) noexcept {
#if QLIN_SIMD
  kernels::fake_quantize_per_channel<arch::kernel_arch>(x, outer, channels, inner, y, p, mask);
#else
  qlin::fake_quantize_per_channel(x, outer, channels, inner, y, p, mask);
#endif
}

/// qlin::fake_quantize_backward (the straight-through estimator), vectorized.
inline void fake_quantize_backward(const float* dy, const std::uint8_t* mask, std::size_t n, float* dx) noexcept {
#if QLIN_SIMD
  kernels::fake_quantize_backward<arch::kernel_arch>(dy, mask, n, dx);
#else
  qlin::fake_quantize_backward(dy, mask, n, dx);
#endif
}

}  // namespace QLIN_SIMD_NAMESPACE
}  // namespace simd
}  // namespace qlin

#endif  // QLIN_SIMD_HPP_
