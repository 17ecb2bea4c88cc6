// kernels/dequantize.hpp: s8 / u8 / s16 -> f32 dequantization on xsimd batches, equal to qlin::dequantize bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// dequantize_f32<T, A>(q, n, r, p):  r = f32(q - z) * s   (qlin/quantize.hpp)
//   q is widened to int32 (arch/widen.hpp), z subtracted in int32 (|q - z| <= 2^17: no overflow),
//   converted to float exactly (|q - z| < 2^24) and multiplied once: the single float32 rounding of
//   the scalar reference. No fused multiply-add can arise (there is no addition).
// Main loop: P int32 batches (P = 4 for 8-bit T, 2 for int16) per iteration, unaligned loads and
// stores. Outputs of at least arch::stream_threshold_bytes use non-temporal stores (arch/stream.hpp)
// after a scalar prologue that aligns r to the batch size (when r is at least float-aligned), and an
// sfence. Prologue and tail are the same formula as a template on the arch (detail::dequantize_scalar),
// not qlin::dequantize: see kernels/quantize.hpp on instantiating plain inline code in a -mavx2 TU.
#ifndef QLIN_KERNELS_DEQUANTIZE_HPP_
#define QLIN_KERNELS_DEQUANTIZE_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../arch/stream.hpp"
#include "../arch/widen.hpp"
#include "../arch/xsimd.hpp"
#include "../quantize.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

/// The elements one iteration of dequantize_f32<T, A> consumes.
template <class T, class A>
constexpr std::size_t dequantize_block() noexcept {
  return xsimd::batch<std::int32_t, A>::size * arch::widen_parts<T>::value;
}

namespace detail {

// r = f32(q - z) * s for n elements, unaligned pointers; the formula of qlin::dequantize.
template <class T, class A>
inline void dequantize_scalar(const T* q, std::size_t n, float* r, const quant_params& p) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, q + i, sizeof v);
    const float f = static_cast<float>(static_cast<std::int32_t>(v) - p.zero_point) * p.scale;
    std::memcpy(r + i, &f, sizeof f);
  }
}

template <class T, class A, bool Stream>
inline std::size_t dequantize_main(const T* q, std::size_t n, float* r, const quant_params& p) noexcept {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t lanes = bi::size;
  constexpr std::size_t parts = arch::widen_parts<T>::value;
  constexpr std::size_t block = lanes * parts;
  const bf scale(p.scale);
  const bi zp(p.zero_point);
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    const arch::widened<A, T> w = arch::load_widen_i32<A>(q + i, A{});
    for (std::size_t k = 0; k < parts; ++k) {
      const bf f = xsimd::batch_cast<float>(w[k] - zp) * scale;
      if (Stream) {
        arch::stream_store<A>(r + i + k * lanes, f);  // r + i aligned by the caller
      } else {
        f.store_unaligned(r + i + k * lanes);
      }
    }
  }
  return i;
}

}  // namespace detail

/// qlin::dequantize on arch A: same signature, same result bit for bit.
template <class T, class A>
inline void dequantize_f32(const T* q, std::size_t n, float* r, const quant_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "dequantize reads int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (q != nullptr && r != nullptr));
  std::size_t i = 0;
  if (n >= dequantize_block<T, A>()) {
    constexpr std::size_t align = A::alignment();
    const std::size_t mis = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(r) % align);
    const std::size_t head = ((align - mis) % align) / sizeof(float);
    if (arch::has_stream_store<A>() && n * sizeof(float) >= arch::stream_threshold_bytes && mis % sizeof(float) == 0 &&
        head < n) {
      detail::dequantize_scalar<T, A>(q, head, r, p);
      i = head + detail::dequantize_main<T, A, true>(q + head, n - head, r + head, p);
      arch::stream_fence<A>();
    } else {
      i = detail::dequantize_main<T, A, false>(q, n, r, p);
    }
  }
  if (i < n) detail::dequantize_scalar<T, A>(q + i, n - i, r + i, p);
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_DEQUANTIZE_HPP_
