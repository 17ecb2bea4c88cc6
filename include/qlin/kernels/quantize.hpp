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
// unaligned loads and stores; the tail
// (< one output batch) is the scalar qlin::quantize itself, so tails are exact by construction.
//
// One difference is a choice, not an accident: when 1 / s overflows to +Inf (s < 2^-128) and
// x == 0, the scalar reference converts NaN to int (undefined behaviour); these kernels give z.
#ifndef QLIN_KERNELS_QUANTIZE_HPP_
#define QLIN_KERNELS_QUANTIZE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>

#include "../arch/divide.hpp"
#include "../arch/narrow.hpp"
#include "../arch/round.hpp"
#include "../arch/xsimd.hpp"
#include "../quantize.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

/// The elements one iteration of quantize_f32<T, A> consumes (the output batch's size).
template <class T, class A>
constexpr std::size_t quantize_block() noexcept {
  return xsimd::batch<T, A>::size;
}

template <class T, class A, rounding R, bool Divide, bool ZeroPointBefore>
inline std::size_t quantize_f32_main(const float* x, std::size_t n, T* q, const quant_params& p) noexcept {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t lanes = bf::size;
  constexpr std::size_t parts = arch::narrow_to<T, A>::parts;
  constexpr std::size_t block = lanes * parts;
  static_assert(block == xsimd::batch<T, A>::size, "one output batch per iteration");
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
    arch::narrow_to<T, A>::apply(v).store_unaligned(q + i);
  }
  return i;
}

template <class T, class A, rounding R>
inline std::size_t quantize_f32_main(const float* x, std::size_t n, T* q, const quant_params& p,
                                     quantize_method m) noexcept {
  if (m.divide) {
    return m.zero_point_before_round ? quantize_f32_main<T, A, R, true, true>(x, n, q, p)
                                     : quantize_f32_main<T, A, R, true, false>(x, n, q, p);
  }
  return m.zero_point_before_round ? quantize_f32_main<T, A, R, false, true>(x, n, q, p)
                                   : quantize_f32_main<T, A, R, false, false>(x, n, q, p);
}

/// qlin::quantize on arch A: same signature, same result bit for bit (see the top of this header).
template <class T, class A>
inline void quantize_f32(const float* x, std::size_t n, T* q, const quant_params& p,
                         quantize_method m = quantize_method{}) noexcept {
  static_assert(is_quantized_storage_v<T>, "quantize writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (x != nullptr && q != nullptr));
  QLIN_ASSERT(detail::params_valid(p.scale, p.zero_point, p.qmin, p.qmax));
  QLIN_ASSERT(detail::range_fits<T>(p.qmin, p.qmax));
  std::size_t i = 0;
  if (n >= quantize_block<T, A>()) {
    switch (m.mode) {
      case rounding::half_even: i = quantize_f32_main<T, A, rounding::half_even>(x, n, q, p, m); break;
      case rounding::half_away: i = quantize_f32_main<T, A, rounding::half_away>(x, n, q, p, m); break;
      case rounding::half_up: i = quantize_f32_main<T, A, rounding::half_up>(x, n, q, p, m); break;
    }
  }
  if (i < n) qlin::quantize(x + i, n - i, q + i, p, m);
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_QUANTIZE_HPP_
