// kernels/fake_quant.hpp: fake quantization forward (per tensor, per channel with int32 zero points) with the
// straight-through-estimator mask, and its backward dx = dy * mask, on xsimd batches, equal to
// qlin/fake_quant.hpp (torch 1.13 semantics, reference/SEMANTICS.md section 1.5) bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// The scalar reference (qlin::fake_quantize) computes, with inv = f32(1 / s):
//   qf = f32(z) + rne(f32(x * inv)),  q = int64(qf),  mask = qmin <= q <= qmax,
//   y  = f32(double(clamp(q, qmin, qmax) - z) * double(s)),   NaN x: y = +0, mask 0.
// Vectorized, all in float32 lanes:
//   t  = x * inv                                          the same float product (no FMA: -ffp-contract=off,
//                                                         and intrinsics are never contracted)
//   r  = |t| < 2^23 ? f32(cvt_rne(t)) : t                 rne(t): the hardware conversion (arch/round.hpp,
//                                                         default rounding mode) where it is exact; t itself
//                                                         for large values, +-Inf and NaN (as rne returns them).
//                                                         r may be +0 where rne gives -0: f32(z) + r is the same
//   qf = f32(z) + r                                       the same float addition
//   mask = qf >= f32(qmin) && qf <= f32(qmax)             ordered compares: false for NaN; qf is an integer
//                                                         or +-Inf, and f32(qmin), f32(qmax) are exact, so
//                                                         this is qmin <= int64(qf) <= qmax
//   y  = f32(clamp(qf, qmin, qmax) - f32(z)) * s          k = clamp - z is an exact integer with |k| <= 2^24,
//                                                         and k * s is exact in double (<= 49 bits), so the
//                                                         scalar's double product rounded once to float is
//                                                         the correctly rounded float product k * s
//   y  = x is NaN ? +0 : y
// This holds when |qmin|, |qmax| <= 2^24 and qmax - qmin <= 2^24 (every 8- and 16-bit range); other ranges
// take the scalar code (templated on the arch) for every element. Masks are bytes (0 / 1), narrowed from the
// int32 lanes by arch/narrow.hpp; one iteration handles 4 float batches (one byte batch of masks).
// The backward: dx = dy * (mask != 0 ? 1.0f : 0.0f), the same float product per element (NaN dy stays
// NaN, a masked negative dy gives -0.0f); dx may alias dy. One caveat shared with the scalar: a signalling NaN
// dy comes back quieted by the multiplication, or unchanged where a compiler folds the scalar's dy * 1.0f to dy
// (GCC does without -fsignaling-nans); the tests compare NaNs modulo the quiet bit there.
// Per channel ([outer][channels][inner], int32 zero points): the per-tensor loop over each run of `inner`
// elements with the channel's parameters (vectorized when inner >= one block, scalar tail otherwise).
// LSQ forward (fake_quantize_learnable): the same loop with the zero point clamp(rne(z)), computed on the arch.
// Not vectorized (use qlin/fake_quant.hpp): float zero points (torch's double arithmetic) and the LSQ backward.
#ifndef QLIN_KERNELS_FAKE_QUANT_HPP_
#define QLIN_KERNELS_FAKE_QUANT_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../arch/narrow.hpp"
#include "../arch/round.hpp"
#include "../arch/widen.hpp"
#include "../arch/xsimd.hpp"
#include "../fake_quant.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

namespace detail {

constexpr float fq_exact_int_limit = 8388608.0f;  // 2^23: floats at or above are integers

// One element of qlin::detail::fake_quant_one, templated on the arch (no plain inline / libm call).
template <class A>
inline float fake_quant_one(float x, float scale, float inv, std::int32_t zp, std::int32_t qmin, std::int32_t qmax,
                            bool* in) noexcept {
  if (x != x) {
    *in = false;
    return static_cast<float>(0.0 * static_cast<double>(scale));
  }
  const float t = x * inv;
  const float a = t < 0.0f ? -t : t;
  const float r = a < fq_exact_int_limit ? static_cast<float>(arch::round_to_int_one<A>(t, rounding::half_even)) : t;
  const float qf = static_cast<float>(zp) + r;
  // qf is an integer or +-Inf: compare in double (exact for every int32 bound), clamp, scale as the scalar.
  const double qd = static_cast<double>(qf);
  *in = qd >= static_cast<double>(qmin) && qd <= static_cast<double>(qmax);
  const double qc = qd < qmin ? static_cast<double>(qmin) : (qd > qmax ? static_cast<double>(qmax) : qd);
  return static_cast<float>((qc - static_cast<double>(zp)) * static_cast<double>(scale));
}

template <class A>
inline void fake_quantize_scalar(const float* x, std::size_t n, float* y, float scale, std::int32_t zp,
                                 std::int32_t qmin, std::int32_t qmax, std::uint8_t* mask) noexcept {
  const float inv = 1.0f / scale;
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, x + i, sizeof v);
    bool in = false;
    const float r = fake_quant_one<A>(v, scale, inv, zp, qmin, qmax, &in);
    std::memcpy(y + i, &r, sizeof r);
    if (mask != nullptr) mask[i] = static_cast<std::uint8_t>(in ? 1 : 0);
  }
}

// Whether the float-lane formulation above is exact for this range.
inline constexpr bool fq_vector_range(std::int32_t qmin, std::int32_t qmax) noexcept {
  return qmin >= -(1 << 24) && qmax <= (1 << 24) && static_cast<std::int64_t>(qmax) - qmin <= (1 << 24);
}

template <class A>
inline std::size_t fake_quantize_main(const float* x, std::size_t n, float* y, float scale, std::int32_t zp,
                                      std::int32_t qmin, std::int32_t qmax, std::uint8_t* mask) noexcept {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t lanes = bf::size;
  constexpr std::size_t block = 4 * lanes;
  const bf s(scale), inv(1.0f / scale), zf(static_cast<float>(zp));
  const bf lo(static_cast<float>(qmin)), hi(static_cast<float>(qmax));
  const bf limit(fq_exact_int_limit), zero(0.0f);
  const bf fone(1.0f);
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    std::array<bi, 4> in;
    for (std::size_t k = 0; k < 4; ++k) {
      const bf xv = bf::load_unaligned(x + i + k * lanes);
      const bf t = xv * inv;
      const auto small = xsimd::abs(t) < limit;  // false for NaN and +-Inf
      const bf r = xsimd::select(
          small, xsimd::batch_cast<float>(arch::round_half_even_to_int<A>(xsimd::select(small, t, zero), A{})), t);
      const bf qf = zf + r;
      const auto inside = (qf >= lo) & (qf <= hi);
      const bf qc = xsimd::min(xsimd::max(qf, lo), hi);
      const bf yv = xsimd::select(xv == xv, (qc - zf) * s, zero);
      yv.store_unaligned(y + i + k * lanes);
      in[k] = xsimd::batch_cast<std::int32_t>(xsimd::select(inside, fone, zero));  // 1 or 0
    }
    if (mask != nullptr) arch::narrow_to<std::uint8_t, A>::apply(in).store_unaligned(mask + i);
  }
  return i;
}

template <class A>
inline void fake_quantize_run(const float* x, std::size_t n, float* y, float scale, std::int32_t zp, std::int32_t qmin,
                              std::int32_t qmax, std::uint8_t* mask) noexcept {
  std::size_t i = fq_vector_range(qmin, qmax) ? fake_quantize_main<A>(x, n, y, scale, zp, qmin, qmax, mask) : 0;
  if (i < n) fake_quantize_scalar<A>(x + i, n - i, y + i, scale, zp, qmin, qmax, mask == nullptr ? nullptr : mask + i);
}

}  // namespace detail

/// qlin::fake_quantize on arch A, bit for bit: y = fake_quantize(x) per tensor (int32 zero point) and the
/// optional STE mask (1 where the unclamped code lies in [qmin, qmax]). In-place (y == x) is allowed.
template <class A>
inline void fake_quantize(const float* x, std::size_t n, float* y, const quant_params& p,
                          std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && y != nullptr));
  QLIN_ASSERT(p.scale > 0.0f && p.qmin < p.qmax && p.zero_point >= p.qmin && p.zero_point <= p.qmax);
  detail::fake_quantize_run<A>(x, n, y, p.scale, p.zero_point, p.qmin, p.qmax, mask);
}

/// qlin::fake_quantize_per_channel (int32 zero points) on arch A, bit for bit; [outer][channels][inner].
template <class A>
inline void fake_quantize_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                                      float* y, const per_channel_params& p, std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels && p.qmin < p.qmax);
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c, i += inner) {
      QLIN_ASSERT(p.scales[c] > 0.0f && p.zero_points[c] >= p.qmin && p.zero_points[c] <= p.qmax);
      detail::fake_quantize_run<A>(x + i, inner, y + i, p.scales[c], p.zero_points[c], p.qmin, p.qmax,
                                   mask == nullptr ? nullptr : mask + i);
    }
  }
}

/// qlin::fake_quantize_learnable (the LSQ forward, per tensor) on arch A, bit for bit: fake_quantize with the zero
/// point int(clamp(rne(z), qmin, qmax)). Precondition: z finite, |qmin|, |qmax| < 2^23.
template <class A>
inline void fake_quantize_learnable(const float* x, std::size_t n, float* y, float scale, float zero_point, qrange r,
                                    std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(zero_point - zero_point == 0.0f && r.qmin < r.qmax);
  QLIN_ASSERT(r.qmin > -(1 << 23) && r.qmax < (1 << 23));
  // rne is monotone and keeps integers, so clamp(rne(z), qmin, qmax) == rne(clamp(z, qmin, qmax)).
  const float lo = static_cast<float>(r.qmin), hi = static_cast<float>(r.qmax);
  const float zc = zero_point < lo ? lo : (zero_point > hi ? hi : zero_point);
  const std::int32_t zp = arch::round_to_int_one<A>(zc, rounding::half_even);
  QLIN_ASSERT(n == 0 || (x != nullptr && y != nullptr));
  QLIN_ASSERT(scale > 0.0f);
  detail::fake_quantize_run<A>(x, n, y, scale, zp, r.qmin, r.qmax, mask);
}

/// qlin::fake_quantize_backward on arch A, bit for bit: dx = dy * float(mask != 0). dx may alias dy.
template <class A>
inline void fake_quantize_backward(const float* dy, const std::uint8_t* mask, std::size_t n, float* dx) noexcept {
  QLIN_ASSERT(n == 0 || (dy != nullptr && mask != nullptr && dx != nullptr));
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t lanes = bf::size;
  const bf one(1.0f);  // min(f32(mask), 1): 1 or 0 (mask bytes are zero-extended, exact in float)
  std::size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const arch::widened<A, std::uint8_t> m = arch::load_widen_i32<A>(mask + i, A{});
    std::array<bf, 4> g;
    for (std::size_t k = 0; k < 4; ++k) g[k] = bf::load_unaligned(dy + i + k * lanes);  // all read before written
    for (std::size_t k = 0; k < 4; ++k) {
      (g[k] * xsimd::min(xsimd::batch_cast<float>(m[k]), one)).store_unaligned(dx + i + k * lanes);
    }
  }
  for (; i < n; ++i) {
    float d;
    std::memcpy(&d, dy + i, sizeof d);
    const float r = d * (mask[i] != 0 ? 1.0f : 0.0f);
    std::memcpy(dx + i, &r, sizeof r);
  }
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_FAKE_QUANT_HPP_
