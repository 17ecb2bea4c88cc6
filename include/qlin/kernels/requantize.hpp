// kernels/requantize.hpp: s32 -> s8 / u8 / s16 requantization on xsimd batches, equal to qlin::requantize bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// For an accumulator a (after the saturating bias addition of requantize_rows), with
// lo = qmin - z and hi = qmax - z (int32: |.| <= 2^17) -- see qlin/requantize.hpp:
//
//   double_rounding:  y = rounding_divide_by_pot(srdhm(saturating_left_shift(a, L), M), R)
//                     L = max(shift, 0), R = max(-shift, 0)            (arch/fixed_point.hpp)
//   single_rounding:  y = floor((a' * M + 2^(t-1)) / 2^t), t = 31 - shift, a' = clamp(a, xa, xb)
//   both:             q = clamp(y, lo, hi) + z    ( == clamp(y + z, qmin, qmax) of the scalar, in
//                     exact arithmetic, without its int64 )
//   fp32:             q = round_half_even(clamp(f32(f32(a) * s), f32(lo), f32(hi))) + z
//
// Single rounding needs the scalar's int32 saturation of y only where the clamp to [lo, hi] follows,
// so it is applied to the input instead: y(a) is nondecreasing in a (M >= 0), and with
// xb = min{a : y(a) >= hi} (INT32_MAX if none) and xa = max{a : y(a) <= lo} (INT32_MIN if none),
// found once per call by bisection on the scalar function,
//   clamp(y(clamp(a, xa, xb)), lo, hi) == clamp(y(a), lo, hi)   and   y on [xa, xb] fits in int32
// (a step of y is at most 2^30 + 1, and |lo|, |hi| <= 2^17), which is what
// arch::rounding_mul_shift_right requires.
//
// Main loop: 4 (int16: 2) int32 batches per output batch; the tail is the scalar per-element
// functions (qlin::requantize, qlin::detail::requantize_one), so tails are exact by construction. In-place use as the
// scalar allows: all loads of a block precede its store, which lies at or below them.
#ifndef QLIN_KERNELS_REQUANTIZE_HPP_
#define QLIN_KERNELS_REQUANTIZE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "../arch/fixed_point.hpp"
#include "../arch/narrow.hpp"
#include "../arch/round.hpp"
#include "../arch/xsimd.hpp"
#include "../requantize.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

namespace detail {

// Bisection for the input clamp of single rounding; f is qlin's scalar single-rounding multiply.
// Templates on the arch although they are scalar code: compiled into an AVX2 translation unit they
// may be VEX-encoded, and a plain inline function would let the linker hand that copy to baseline
// code (TOOLCHAIN.md section 3b).
template <class A>
inline std::int32_t single_rounding_first_at_least(quantized_multiplier m, std::int32_t v) noexcept {
  const auto f = [m](std::int64_t a) {
    return multiply_by_quantized_multiplier_single_rounding(static_cast<std::int32_t>(a), m);
  };
  std::int64_t lo = std::numeric_limits<std::int32_t>::min();
  std::int64_t hi = std::numeric_limits<std::int32_t>::max();
  if (f(hi) < v) return std::numeric_limits<std::int32_t>::max();
  while (lo < hi) {  // invariant: f(hi) >= v; the answer lies in [lo, hi]
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (f(mid) >= v)
      hi = mid;
    else
      lo = mid + 1;
  }
  return static_cast<std::int32_t>(hi);
}
template <class A>
inline std::int32_t single_rounding_last_at_most(quantized_multiplier m, std::int32_t v) noexcept {
  const auto f = [m](std::int64_t a) {
    return multiply_by_quantized_multiplier_single_rounding(static_cast<std::int32_t>(a), m);
  };
  std::int64_t lo = std::numeric_limits<std::int32_t>::min();
  std::int64_t hi = std::numeric_limits<std::int32_t>::max();
  if (f(lo) > v) return std::numeric_limits<std::int32_t>::min();
  while (lo < hi) {  // invariant: f(lo) <= v
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (f(mid) <= v)
      lo = mid;
    else
      hi = mid - 1;
  }
  return static_cast<std::int32_t>(lo);
}

// Per-call constants of one requantization (per tensor).
template <class A>
struct requant_state {
  using bi = xsimd::batch<std::int32_t, A>;
  using bf = xsimd::batch<float, A>;
  bi mult, zp, lo, hi, xa, xb;
  bf scale, lof, hif;
  int left = 0, right = 0, total = 31;

  explicit requant_state(const requantize_params& p) noexcept
      : mult(p.multiplier.multiplier),
        zp(p.zero_point),
        lo(p.qmin - p.zero_point),
        hi(p.qmax - p.zero_point),
        xa(std::numeric_limits<std::int32_t>::min()),
        xb(std::numeric_limits<std::int32_t>::max()),
        scale(p.scale),
        lof(static_cast<float>(p.qmin - p.zero_point)),
        hif(static_cast<float>(p.qmax - p.zero_point)) {
    left = p.multiplier.shift > 0 ? p.multiplier.shift : 0;
    right = p.multiplier.shift > 0 ? 0 : -p.multiplier.shift;
    total = 31 - p.multiplier.shift;
    if (p.rounding == requant_rounding::single_rounding) {
      xa = bi(single_rounding_last_at_most<A>(p.multiplier, p.qmin - p.zero_point));
      xb = bi(single_rounding_first_at_least<A>(p.multiplier, p.qmax - p.zero_point));
    }
  }
};

template <requant_rounding K, class A>
inline xsimd::batch<std::int32_t, A> requantize_batch(const xsimd::batch<std::int32_t, A>& a,
                                                      const requant_state<A>& s) noexcept {
  if (K == requant_rounding::fp32) {
    const xsimd::batch<float, A> f = xsimd::batch_cast<float>(a) * s.scale;
    return arch::round_to_int<rounding::half_even, A>(xsimd::min(xsimd::max(f, s.lof), s.hif)) + s.zp;
  }
  xsimd::batch<std::int32_t, A> y;
  if (K == requant_rounding::double_rounding) {
    y = arch::rounding_divide_by_pot<A>(
        arch::saturating_rounding_doubling_high_mul<A>(arch::saturating_left_shift<A>(a, s.left), s.mult), s.right);
  } else {
    y = arch::rounding_mul_shift_right<A>(xsimd::min(xsimd::max(a, s.xa), s.xb), s.mult, s.total);
  }
  return xsimd::min(xsimd::max(y, s.lo), s.hi) + s.zp;
}

// acc[i] (+ bias[i] when bias != nullptr) for i < n rounded down to whole blocks; returns the count done.
template <class T, class A, requant_rounding K>
inline std::size_t requantize_main(const std::int32_t* acc, const std::int32_t* bias, std::size_t n, T* out,
                                   const requant_state<A>& s) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t lanes = bi::size;
  constexpr std::size_t parts = arch::narrow_to<T, A>::parts;
  constexpr std::size_t block = lanes * parts;
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    std::array<bi, parts> v;
    for (std::size_t k = 0; k < parts; ++k) {
      bi a = bi::load_unaligned(acc + i + k * lanes);
      if (bias != nullptr) a = xsimd::sadd(a, bi::load_unaligned(bias + i + k * lanes));
      v[k] = requantize_batch<K, A>(a, s);
    }
    arch::narrow_to<T, A>::apply(v).store_unaligned(out + i);
  }
  return i;
}

template <class T, class A>
inline std::size_t requantize_main(const std::int32_t* acc, const std::int32_t* bias, std::size_t n, T* out,
                                   const requantize_params& p, const requant_state<A>& s) noexcept {
  switch (p.rounding) {
    case requant_rounding::double_rounding:
      return requantize_main<T, A, requant_rounding::double_rounding>(acc, bias, n, out, s);
    case requant_rounding::single_rounding:
      return requantize_main<T, A, requant_rounding::single_rounding>(acc, bias, n, out, s);
    case requant_rounding::fp32: return requantize_main<T, A, requant_rounding::fp32>(acc, bias, n, out, s);
  }
  return 0;
}

}  // namespace detail

/// The elements one iteration of requantize_s32<T, A> consumes (the output batch's size).
template <class T, class A>
constexpr std::size_t requantize_block() noexcept {
  return xsimd::batch<T, A>::size;
}

/// qlin::requantize on arch A: same signature, same result bit for bit.
template <class T, class A>
inline void requantize_s32(const std::int32_t* acc, std::size_t n, T* out, const requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (acc != nullptr && out != nullptr));
  QLIN_ASSERT(p.qmin < p.qmax && qlin::detail::range_fits<T>(p.qmin, p.qmax));
  std::size_t i = 0;
  if (n >= requantize_block<T, A>()) {
    const detail::requant_state<A> s(p);
    i = detail::requantize_main<T, A>(acc, nullptr, n, out, p, s);
  }
  if (i < n) qlin::requantize(acc + i, n - i, out + i, p);
}

/// qlin::requantize_rows (per-tensor parameters, optional per-channel bias) on arch A.
template <class T, class A>
inline void requantize_rows_s32(const std::int32_t* acc, std::size_t rows, std::size_t channels,
                                const std::int32_t* bias, T* out, const requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize_rows writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.qmin < p.qmax && qlin::detail::range_fits<T>(p.qmin, p.qmax));
  if (rows == 0 || channels == 0) return;
  if (bias == nullptr) {
    requantize_s32<T, A>(acc, rows * channels, out, p);
    return;
  }
  const bool vector = channels >= requantize_block<T, A>();
  const detail::requant_state<A> s(vector ? p : requantize_params{});
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int32_t* a = acc + r * channels;
    T* o = out + r * channels;
    std::size_t c = vector ? detail::requantize_main<T, A>(a, bias, channels, o, p, s) : 0;
    for (; c < channels; ++c) {
      o[c] = static_cast<T>(qlin::detail::requantize_one(qlin::detail::saturating_add(a[c], bias[c]), p.rounding,
                                                         p.multiplier, p.scale, p.zero_point, p.qmin, p.qmax));
    }
  }
}

/// qlin::requantize_rows with per-channel parameters on arch A. fp32 rounding is vectorized over the
/// channels (scale per lane: q = round_half_even(clamp(f32(a) * scales[c], lo, hi)) + z); double and
/// single rounding are the scalar reference for now (per-lane shifts need vpsllvd / vpsravd, which
/// SSE lacks).
template <class T, class A>
inline void requantize_rows_s32(const std::int32_t* acc, std::size_t rows, std::size_t channels,
                                const std::int32_t* bias, T* out, const per_channel_requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize_rows writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.multipliers.size() == channels && p.scales.size() == channels);
  QLIN_ASSERT(p.qmin < p.qmax && qlin::detail::range_fits<T>(p.qmin, p.qmax));
  if (p.rounding != requant_rounding::fp32 || channels < requantize_block<T, A>()) {
    qlin::requantize_rows(acc, rows, channels, bias, out, p);
    return;
  }
  using bi = xsimd::batch<std::int32_t, A>;
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t lanes = bi::size;
  constexpr std::size_t parts = arch::narrow_to<T, A>::parts;
  constexpr std::size_t block = lanes * parts;
  const bi zp(p.zero_point);
  const bf lo(static_cast<float>(p.qmin - p.zero_point));
  const bf hi(static_cast<float>(p.qmax - p.zero_point));
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int32_t* a = acc + r * channels;
    T* o = out + r * channels;
    std::size_t c = 0;
    for (; c + block <= channels; c += block) {
      std::array<bi, parts> v;
      for (std::size_t k = 0; k < parts; ++k) {
        bi x = bi::load_unaligned(a + c + k * lanes);
        if (bias != nullptr) x = xsimd::sadd(x, bi::load_unaligned(bias + c + k * lanes));
        const bf f = xsimd::batch_cast<float>(x) * bf::load_unaligned(p.scales.data() + c + k * lanes);
        v[k] = arch::round_to_int<rounding::half_even, A>(xsimd::min(xsimd::max(f, lo), hi)) + zp;
      }
      arch::narrow_to<T, A>::apply(v).store_unaligned(o + c);
    }
    for (; c < channels; ++c) {
      const std::int32_t x = bias != nullptr ? qlin::detail::saturating_add(a[c], bias[c]) : a[c];
      o[c] = static_cast<T>(
          qlin::detail::requantize_one(x, p.rounding, p.multipliers[c], p.scales[c], p.zero_point, p.qmin, p.qmax));
    }
  }
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_REQUANTIZE_HPP_
