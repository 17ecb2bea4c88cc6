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
// Per-channel parameters (requantize_rows with per_channel_requantize_params), channel c using
// (M_c, shift_c) / scale_c, vectorized over the channels:
//   fp32:             as above with s = scales[c] per lane (every arch).
//   double_rounding:  the same formula with per-lane L_c, R_c: vpsllvd / vpsravd (AVX2, AVX-512BW),
//                     saturation bounds INT32_MAX >> L_c and the RDBPOT mask 2^R_c - 1 per lane.
//   single_rounding:  y = clamp(floor((a * M_c + 2^(t_c-1)) / 2^t_c), lo, hi) computed in 64 bits per
//                     lane (arch::rounding_mul_shift_right_clamp_var: vpsrlvq / vpsravq), so no input
//                     clamp (and no bisection per channel) is needed.
//   The per-channel constants are unpacked once per call into structure-of-arrays tiles of 256
//   channels on the stack; the rows are swept tile by tile. SSE2 / SSE4.1 (and NEON) have no per-lane
//   variable shift: there, double and single rounding per channel stay scalar (the arch-templated
//   copy below). Emulating 2^-R_c by multiplies is not exact for the rounding of negative values,
//   and grouping equal shifts would need a gather.
//
// Main loop: 4 (int16: 2) int32 batches per output batch. The tails are detail::requantize_one<A>,
// the scalar formulas of qlin/requantize.hpp and qlin/fixed_point.hpp written again as templates on
// the arch, so a kernel instantiated with -mavx2 instantiates no plain inline function whose
// VEX-encoded copy the linker could hand to baseline code (qlin/dispatch.hpp; TOOLCHAIN.md section
// 3b); tests/unit/test_simd_kernels*.cpp check them against the reference. In-place use as the
// scalar allows: all loads of a block precede its store, which lies at or below them.
#ifndef QLIN_KERNELS_REQUANTIZE_HPP_
#define QLIN_KERNELS_REQUANTIZE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

// ---- qlin/fixed_point.hpp and qlin/requantize.hpp per element, as templates on the arch (same formulas).
template <class A>
inline std::int32_t saturate_i64(std::int64_t v) noexcept {
  return v > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
         : v < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                        : static_cast<std::int32_t>(v);
}
template <class A>
inline std::int32_t srdhm_one(std::int32_t a, std::int32_t b) noexcept {
  if (a == b && a == std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::max();
  const std::int64_t p = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);
  return static_cast<std::int32_t>((p + (std::int64_t{1} << 30)) >> 31);
}
template <class A>
inline std::int32_t rdbpot_one(std::int32_t x, int e) noexcept {
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << e) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}
template <class A>
inline std::int32_t mul_double_rounding_one(std::int32_t x, quantized_multiplier m) noexcept {
  const int left = m.shift > 0 ? m.shift : 0;
  const int right = m.shift > 0 ? 0 : -m.shift;
  const std::int32_t shifted = saturate_i64<A>(static_cast<std::int64_t>(x) * (std::int64_t{1} << left));
  return rdbpot_one<A>(srdhm_one<A>(shifted, m.multiplier), right);
}
template <class A>
inline std::int32_t mul_single_rounding_one(std::int32_t x, quantized_multiplier m) noexcept {
  const int total = 31 - m.shift;
  const std::int64_t p = static_cast<std::int64_t>(x) * m.multiplier;
  return saturate_i64<A>((p + (std::int64_t{1} << (total - 1))) >> total);
}
template <class A>
inline std::int32_t saturating_add_one(std::int32_t a, std::int32_t b) noexcept {
  return saturate_i64<A>(static_cast<std::int64_t>(a) + b);
}
template <class A>
inline std::int32_t clamp_one(std::int64_t v, std::int32_t lo, std::int32_t hi) noexcept {
  return v < lo ? lo : v > hi ? hi : static_cast<std::int32_t>(v);
}
// qlin::detail::requantize_one (bias already added).
template <class A>
inline std::int32_t requantize_one(std::int32_t a, requant_rounding r, quantized_multiplier m, float scale,
                                   std::int32_t zp, std::int32_t qmin, std::int32_t qmax) noexcept {
  switch (r) {
    case requant_rounding::double_rounding:
      return clamp_one<A>(static_cast<std::int64_t>(mul_double_rounding_one<A>(a, m)) + zp, qmin, qmax);
    case requant_rounding::single_rounding:
      return clamp_one<A>(static_cast<std::int64_t>(mul_single_rounding_one<A>(a, m)) + zp, qmin, qmax);
    case requant_rounding::fp32: {
      const float f = static_cast<float>(a) * scale;
      const float lo = static_cast<float>(static_cast<std::int64_t>(qmin) - zp);
      const float hi = static_cast<float>(static_cast<std::int64_t>(qmax) - zp);
      const float c = f < lo ? lo : (f > hi ? hi : f);  // NaN cannot occur: |f32(a)| < 2^31, scale finite
      return arch::round_to_int_one<A>(c, rounding::half_even) + zp;
    }
  }
  return zp;
}
// qlin::requantize_rows over columns [c0, c1) of one row: per-tensor (PerChannel false) or per-channel.
template <class T, class A, bool PerChannel, class P>
inline void requantize_row_scalar(const std::int32_t* a, const std::int32_t* bias, std::size_t c0, std::size_t c1,
                                  T* o, const P& p) noexcept {
  const std::size_t n = c1 > c0 ? c1 - c0 : 0;
  const std::int32_t* ap = a + c0;
  const std::int32_t* bp = bias != nullptr ? bias + c0 : nullptr;
  T* op = o + c0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::int32_t x = bp != nullptr ? saturating_add_one<A>(ap[k], bp[k]) : ap[k];
    std::int32_t y;
    if constexpr (PerChannel) {
      y = requantize_one<A>(x, p.rounding, p.multipliers[c0 + k], p.scales[c0 + k], p.zero_point, p.qmin, p.qmax);
    } else {
      y = requantize_one<A>(x, p.rounding, p.multiplier, p.scale, p.zero_point, p.qmin, p.qmax);
    }
    const T v = static_cast<T>(y);
    std::memcpy(op + k, &v, sizeof v);  // o may alias a (in-place int8): no typed T store through it
  }
}

// Bisection for the input clamp of single rounding; f is the scalar single-rounding multiply.
// Templates on the arch although they are scalar code: compiled into an AVX2 translation unit they
// may be VEX-encoded, and a plain inline function would let the linker hand that copy to baseline
// code (TOOLCHAIN.md section 3b).
template <class A>
inline std::int32_t single_rounding_first_at_least(quantized_multiplier m, std::int32_t v) noexcept {
  const auto f = [m](std::int64_t a) {
    return mul_single_rounding_one<A>(static_cast<std::int32_t>(a), m);
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
    return mul_single_rounding_one<A>(static_cast<std::int32_t>(a), m);
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
  std::int32_t z = 0, qmin = 0, qmax = 0;
  bool z_small = false;  // |z| <= 32000: arch::finish_8bit applies

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
    z = p.zero_point;
    qmin = p.qmin;
    qmax = p.qmax;
    z_small = p.zero_point >= -32000 && p.zero_point <= 32000 && p.multiplier.multiplier >= 0;
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
  if constexpr (sizeof(T) == 1 && arch::has_finish_8bit<A>()) {
    // 8-bit fast path (AVX2 / AVX-512BW): zero point and clamp in the 16- / 8-bit domain
    // (arch::finish_8bit), SRDHM without the overflow fix-up (multiplier >= 0), RDBPOT in intrinsics.
    if (s.z_small) {
      for (; i + block <= n; i += block) {
        std::array<bi, parts> v;
        for (std::size_t k = 0; k < parts; ++k) {
          bi a = bi::load_unaligned(acc + i + k * lanes);
          if (bias != nullptr) a = xsimd::sadd(a, bi::load_unaligned(bias + i + k * lanes));
          if (K == requant_rounding::double_rounding) {
            const bi l = s.left > 0 ? arch::saturating_left_shift<A>(a, s.left) : a;
            v[k] = arch::rounding_divide_by_pot_fast<A>(arch::rounding_doubling_high_mul_nonneg<A>(l, s.mult, A{}),
                                                        s.right, A{});
          } else if (K == requant_rounding::single_rounding) {
            v[k] = arch::rounding_mul_shift_right<A>(xsimd::min(xsimd::max(a, s.xa), s.xb), s.mult, s.total);
          } else {
            const xsimd::batch<float, A> f = xsimd::batch_cast<float>(a) * s.scale;
            v[k] = arch::round_to_int<rounding::half_even, A>(xsimd::min(xsimd::max(f, s.lof), s.hif));
          }
        }
        arch::finish_8bit<T, A>(v, s.z, s.qmin, s.qmax, A{}).store_unaligned(out + i);
      }
      return i;
    }
  }
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
  if (i < n) detail::requantize_row_scalar<T, A, false>(acc + i, nullptr, 0, n - i, out + i, p);
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
    const std::size_t c = vector ? detail::requantize_main<T, A>(a, bias, channels, o, p, s) : 0;
    detail::requantize_row_scalar<T, A, false>(a, bias, c, channels, o, p);
  }
}

namespace detail {

// Per-channel fp32: scale per lane, every arch.
template <class T, class A>
inline void requantize_rows_fp32_per_channel(const std::int32_t* acc, std::size_t rows, std::size_t channels,
                                             const std::int32_t* bias, T* out,
                                             const per_channel_requantize_params& p) noexcept {
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
    requantize_row_scalar<T, A, true>(a, bias, c, channels, o, p);
  }
}

// Per-channel double / single rounding with per-lane shifts (has_variable_shift<A>() only).
template <class T, class A, requant_rounding K>
inline void requantize_rows_var_per_channel(const std::int32_t* acc, std::size_t rows, std::size_t channels,
                                            const std::int32_t* bias, T* out,
                                            const per_channel_requantize_params& p) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t lanes = bi::size;
  constexpr std::size_t parts = arch::narrow_to<T, A>::parts;
  constexpr std::size_t block = lanes * parts;
  constexpr std::size_t tile = 256;
  static_assert(tile % block == 0, "whole blocks per tile");
  // double: mult, L, INT32_MAX >> L, INT32_MIN >> L, R, 2^R - 1, (2^R - 1) >> 1;  single: mult, t.
  alignas(64) std::int32_t mult[tile], c1[tile], c2[tile], c3[tile], c4[tile], c5[tile], c6[tile];
  const std::int32_t lo = p.qmin - p.zero_point, hi = p.qmax - p.zero_point;
  const bi zp(p.zero_point), vlo(lo), vhi(hi);
  const auto fill = [&](std::size_t c0, std::size_t vn) {
    for (std::size_t j = 0; j < vn; ++j) {
      const quantized_multiplier m = p.multipliers[c0 + j];
      mult[j] = m.multiplier;
      if (K == requant_rounding::double_rounding) {
        const int left = m.shift > 0 ? m.shift : 0;
        const int right = m.shift > 0 ? 0 : -m.shift;
        const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << right) - 1);
        c1[j] = left;
        c2[j] = std::numeric_limits<std::int32_t>::max() >> left;
        c3[j] = std::numeric_limits<std::int32_t>::min() >> left;
        c4[j] = right;
        c5[j] = mask;
        c6[j] = mask >> 1;
      } else {
        c1[j] = 31 - m.shift;
      }
    }
  };
  // Row r, channels [c0, c0 + cn): whole blocks vectorized, the rest (last tile only) scalar.
  const auto row = [&](std::size_t r, std::size_t c0, std::size_t cn) {
    const std::size_t vn = cn / block * block;
    const std::int32_t* a = acc + r * channels + c0;
    const std::int32_t* b = bias != nullptr ? bias + c0 : nullptr;
    T* o = out + r * channels + c0;
    for (std::size_t c = 0; c < vn; c += block) {
      std::array<bi, parts> v;
      for (std::size_t k = 0; k < parts; ++k) {
        const std::size_t j = c + k * lanes;
        bi x = bi::load_unaligned(a + j);
        if (b != nullptr) x = xsimd::sadd(x, bi::load_unaligned(b + j));
        const bi m = bi::load_aligned(mult + j);
        if (K == requant_rounding::double_rounding) {
          const bi shifted = arch::saturating_left_shift_var<A>(x, bi::load_aligned(c1 + j), bi::load_aligned(c2 + j),
                                                                bi::load_aligned(c3 + j));
          const bi y = arch::rounding_divide_by_pot_var<A>(arch::saturating_rounding_doubling_high_mul<A>(shifted, m),
                                                           bi::load_aligned(c4 + j), bi::load_aligned(c5 + j),
                                                           bi::load_aligned(c6 + j));
          v[k] = xsimd::min(xsimd::max(y, vlo), vhi) + zp;
        } else {
          v[k] = arch::rounding_mul_shift_right_clamp_var<A>(x, m, bi::load_aligned(c1 + j), lo, hi) + zp;
        }
      }
      arch::narrow_to<T, A>::apply(v).store_unaligned(o + c);
    }
    if (vn < cn) requantize_row_scalar<T, A, true>(acc + r * channels, bias, c0 + vn, c0 + cn, out + r * channels, p);
  };
  // Tiles outer, rows inner: the constants are unpacked once per call. In place (out overlapping acc,
  // int8 / uint8) a row's output could overwrite a later tile of an earlier row not yet read, so
  // then the rows go outer and each row unpacks its tiles again.
  const auto acc_begin = reinterpret_cast<std::uintptr_t>(acc);
  const auto acc_end = reinterpret_cast<std::uintptr_t>(acc + rows * channels);
  const auto out_begin = reinterpret_cast<std::uintptr_t>(out);
  const auto out_end = reinterpret_cast<std::uintptr_t>(out + rows * channels);
  const bool overlap = out_begin < acc_end && acc_begin < out_end;
  if (!overlap || channels <= tile) {
    for (std::size_t c0 = 0; c0 < channels; c0 += tile) {
      const std::size_t cn = channels - c0 < tile ? channels - c0 : tile;
      fill(c0, cn / block * block);
      for (std::size_t r = 0; r < rows; ++r) row(r, c0, cn);
    }
  } else {
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c0 = 0; c0 < channels; c0 += tile) {
        const std::size_t cn = channels - c0 < tile ? channels - c0 : tile;
        fill(c0, cn / block * block);
        row(r, c0, cn);
      }
    }
  }
}

}  // namespace detail

/// qlin::requantize_rows with per-channel parameters on arch A, bit for bit. fp32 is vectorized
/// over the channels on every arch; double and single rounding on archs with per-lane shifts
/// (arch::has_variable_shift<A>(): AVX2, AVX-512BW) and scalar elsewhere (see the top of this header).
template <class T, class A>
inline void requantize_rows_s32(const std::int32_t* acc, std::size_t rows, std::size_t channels,
                                const std::int32_t* bias, T* out, const per_channel_requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize_rows writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.multipliers.size() == channels && p.scales.size() == channels);
  QLIN_ASSERT(p.qmin < p.qmax && qlin::detail::range_fits<T>(p.qmin, p.qmax));
  if (rows == 0 || channels == 0) return;
  if (channels >= requantize_block<T, A>()) {
    switch (p.rounding) {
      case requant_rounding::fp32:
        detail::requantize_rows_fp32_per_channel<T, A>(acc, rows, channels, bias, out, p);
        return;
      case requant_rounding::double_rounding:
        if constexpr (arch::has_variable_shift<A>()) {
          detail::requantize_rows_var_per_channel<T, A, requant_rounding::double_rounding>(acc, rows, channels, bias,
                                                                                          out, p);
          return;
        }
        break;
      case requant_rounding::single_rounding:
        if constexpr (arch::has_variable_shift<A>()) {
          detail::requantize_rows_var_per_channel<T, A, requant_rounding::single_rounding>(acc, rows, channels, bias,
                                                                                          out, p);
          return;
        }
        break;
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    detail::requantize_row_scalar<T, A, true>(acc + r * channels, bias, 0, channels, out + r * channels, p);
  }
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_REQUANTIZE_HPP_
