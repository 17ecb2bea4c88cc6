// fake_quant.hpp: fake quantization (quantize-dequantize in float) forward and backward, with
// PyTorch 1.13's straight-through estimator and LSQ gradients, bit for bit (scalar reference;
// qlin/kernels/fake_quant.hpp holds SIMD paths of the integer-zero-point forwards and the STE backward).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Sources: pytorch/pytorch v1.13 aten/src/ATen/native/quantized/cpu/kernels/QuantizedOpKernels.cpp
// (fake_quantize_tensor_cachemask_kernel, fake_quant_per_channel_cachemask_cpu,
// fake_quantize_learnable_tensor_grad_kernel_cpu, fake_quantize_learnable_channel_grad_kernel_cpu),
// aten/src/ATen/native/quantized/FakeQuantPerTensorAffine.cpp, FakeQuantPerChannelAffine.cpp;
// reference/SEMANTICS.md section 1.5. LSQ: Esser et al., "Learned Step Size Quantization", ICLR 2020
// (arXiv:1902.08153). Checked against the real torch 1.13 by tests/unit/test_fake_quant.cpp
// (data from tests/data/gen_torch_fake_quant.py).
//
// Notation: f32(.) rounds to float32, rne = round half to even, s = scale, z = zero point,
// inv = f32(1 / s) (a float32 reciprocal, multiplied, never a division).
//
// fake_quantize (per tensor; per channel with int32 zero points: the channel's s and z),
// torch.fake_quantize_per_tensor_affine / fake_quantize_per_channel_affine:
//   qf   = f32(f32(z) + rne(f32(x * inv)))              the zero point is added in float32
//   q    = int64(qf)
//   y    = f32(double(clamp(q, qmin, qmax) - z) * double(s))    torch's std::fmin / fmax promote to
//          double; for ranges of at most 16 bits this is one float32 rounding of the exact product
//   mask = qmin <= q <= qmax          inclusive bounds, tested on the UNCLAMPED q
// fake_quantize_per_channel with FLOAT zero points (zero_point dtype float in torch):
//   q    = rne(f32(z + f32(x * inv)))                   rounding AFTER the zero point (lrintf)
//   y    = f32((double(clamp(q, qmin, qmax)) - double(z)) * double(s))   all in double, as torch
//   mask = qmin <= q <= qmax
// fake_quantize_backward (straight-through estimator):  dx = dy * float(mask)  (so a masked negative
//   dy gives -0.0f, as torch's dY * mask does).
//
// LSQ (torch._fake_quantize_learnable_per_tensor_affine / _per_channel_affine), with a float,
// learnable zero point z and a gradient scale g (grad_factor; torch passes it to the kernel as float):
//   forward zero point:   zf = int(clamp(rne(z), qmin, qmax))                 (2.5 -> 2)
//   backward zero point:  per tensor:  zb = int64(clamp(f32(z + 0.5f), qmin, qmax))   a TRUNCATING
//                                       cast: 2.5 -> 3, -2.3 -> -1 (!)
//                         per channel: zb = clamp(rne(z), qmin, qmax)  (the same as forward)
//   The forward is fake_quantize with zf. The backward, per element, with zb:
//     xq = int64(rne(f32(f32(zb) + f32(x * inv))))    rounding after adding zb (unlike the forward)
//     dx = dy * float(qmin <= xq <= qmax)
//     xq < qmin:  dS = f32(dy * f32(qmin - zb)) * g,   dZ = f32(f32(-dy) * s) * g
//     xq > qmax:  dS = f32(dy * f32(qmax - zb)) * g,   dZ = f32(f32(-dy) * s) * g
//     otherwise:  xfq = f32(f32(xq - zb) * s),  dS = f32(f32(f32(dy * f32(xfq - x)) * inv) * g),  dZ = 0
//   each in float32, left to right, as torch. The returned dScale / dZeroPoint are the sums of the
//   per-element values (per channel: over the channel's elements). qlin sums in double and rounds
//   once to float32; torch sums the float32 terms in its own (vectorized, cascaded) order, so the
//   sums agree to about 1e-5 relative, not to the bit. dx and the forward agree to the bit.
//
// FMA contraction. torch selects its CPU kernels at run time by capability (ATEN_CPU_CAPABILITY:
// default, avx2, avx512). The AVX2 / AVX-512 copies are compiled with -mfma, and GCC contracts a*b+c
// into one fused multiply-add there, so on an AVX2 machine torch 1.13 computes, measured [obs]:
//   float zero point forward and mask:  q  = rne(fma(x, inv, z))
//   LSQ backward:                       xq = rne(fma(x, inv, zb)),  f32(xfq - x) = fma(f32(xq - zb), s, -x)
// while the DEFAULT build rounds each product as written above. The two differ in the last bit of
// t near ties (then in the mask, dx and dS). The functions that are affected take a
// `fp_contract` argument: `off` (the default: the source as written, torch's DEFAULT kernels, and
// what a build without FMA gives) or `fma` (torch on an AVX2 / AVX-512 CPU, the usual x86 case).
// The integer-zero-point forwards round x * inv before adding z, so they have no a*b+c and are the
// same in both builds.
//
// NaN / Inf (torch converts NaN, +-Inf and |qf| >= 2^63 to int64, which is undefined behaviour;
// x86 gives INT64_MIN, i.e. the qmin output). qlin's rule, in every function here:
//   - the output is what dequantize(quantize(x)) gives under quantize.hpp's rule: NaN -> the code
//     of 0.0 (z, so y = +0.0 for an integer z; clamp(rne(z)) for a float z), +Inf -> qmax,
//     -Inf -> qmin; large finite values saturate.
//   - the mask is 0 for NaN and +-Inf (dx = dy * 0).
//   - LSQ: +Inf / -Inf count as above / below the range (dS, dZ as for any clamped element);
//     NaN contributes dS = 0 and dZ = 0.
//
// Layout of the per-channel functions: [outer][channels][inner], the channel axis in the middle,
// as in quantize.hpp. Masks are bytes (0 or 1), optional (nullptr skips them). Pointers may be
// unaligned; n == 0 does nothing; nothing allocates. Outputs must not overlap inputs, except that
// dx may alias dy (each element is read before it is written).
//
// Preconditions (checked in debug builds): scale finite, > 0, with a finite reciprocal; qmin < qmax;
// integer zero points in [qmin, qmax]; float zero points finite.
#ifndef QLIN_FAKE_QUANT_HPP_
#define QLIN_FAKE_QUANT_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "config.hpp"
#include "dtype.hpp"
#include "params.hpp"
#include "rounding.hpp"

namespace qlin {

/// How torch's fake-quant kernels evaluate a*b+c: rounded twice (as written) or fused (FMA).
enum class fp_contract : unsigned char {
  off,  ///< each product rounded to float32, as written (torch's DEFAULT kernels)
  fma,  ///< a*b+c fused as GCC does in torch's AVX2 / AVX-512 kernels
};

/// The scale and zero point gradients of an LSQ backward pass (sums over the elements).
struct lsq_gradients {
  float d_scale = 0.0f;       ///< d loss / d scale
  float d_zero_point = 0.0f;  ///< d loss / d zero point
};

namespace detail {

template <class T>
inline T fq_load(const T* p, std::size_t i) noexcept {
  T v;
  std::memcpy(&v, p + i, sizeof v);
  return v;
}
template <class T>
inline void fq_store(T* p, std::size_t i, T v) noexcept {
  std::memcpy(p + i, &v, sizeof v);
}

// An integer-valued float (or +-Inf) as int64, saturated to +-2^62 (every qlin range lies well
// inside). NaN must be handled by the caller.
inline std::int64_t fq_to_int64(float f) noexcept {
  constexpr float lim = 4611686018427387904.0f;  // 2^62
  if (f >= lim) return std::int64_t{1} << 62;
  if (f <= -lim) return -(std::int64_t{1} << 62);
  return static_cast<std::int64_t>(f);
}

inline std::int64_t fq_clamp(std::int64_t q, std::int32_t qmin, std::int32_t qmax) noexcept {
  return q < qmin ? qmin : (q > qmax ? qmax : q);
}

inline bool fq_scale_ok(float s) noexcept { return s > 0.0f && std::isfinite(s) && std::isfinite(1.0f / s); }

// One element of the integer-zero-point forward. Returns y; *in receives the mask.
inline float fake_quant_one(float x, float scale, float inv, std::int32_t zp, std::int32_t qmin, std::int32_t qmax,
                            bool* in) noexcept {
  if (x != x) {
    *in = false;
    return static_cast<float>(0.0 * static_cast<double>(scale));
  }
  const float qf = static_cast<float>(zp) + round_half_even(x * inv);
  const std::int64_t q = fq_to_int64(qf);
  *in = q >= qmin && q <= qmax;
  return static_cast<float>(static_cast<double>(fq_clamp(q, qmin, qmax) - zp) * static_cast<double>(scale));
}

// One element of the float-zero-point forward.
inline float fake_quant_one_float_zp(float x, float scale, float inv, float zp, std::int32_t qmin, std::int32_t qmax,
                                     fp_contract fc, bool* in) noexcept {
  std::int64_t q;
  if (x != x) {
    *in = false;
    q = fq_clamp(fq_to_int64(round_half_even(zp)), qmin, qmax);
  } else {
    q = fq_to_int64(round_half_even(fc == fp_contract::fma ? std::fma(x, inv, zp) : zp + x * inv));
    *in = q >= qmin && q <= qmax;
    q = fq_clamp(q, qmin, qmax);
  }
  return static_cast<float>((static_cast<double>(q) - static_cast<double>(zp)) * static_cast<double>(scale));
}

// One element of the LSQ backward, with the backward zero point zb (an integer-valued float).
// Writes dx; adds dS and dZ to the double accumulators.
inline float lsq_grad_one(float x, float dy, float scale, float inv, float zb, std::int32_t qmin, std::int32_t qmax,
                          float g, fp_contract fc, double* ds, double* dz) noexcept {
  if (x != x) return dy * 0.0f;
  const bool fused = fc == fp_contract::fma;
  const std::int64_t xq = fq_to_int64(round_half_even(fused ? std::fma(x, inv, zb) : zb + x * inv));
  if (xq < qmin || xq > qmax) {
    const float bound = static_cast<float>(xq < qmin ? qmin : qmax) - zb;
    *ds += static_cast<double>((dy * bound) * g);
    *dz += static_cast<double>(((dy * -1.0f) * scale) * g);
    return dy * 0.0f;
  }
  const float level = static_cast<float>(xq) - zb;
  const float err = fused ? std::fma(level, scale, -x) : level * scale - x;  // xfq - x
  *ds += static_cast<double>(((dy * err) * inv) * g);
  return dy * 1.0f;
}

inline void fq_store_mask(std::uint8_t* mask, std::size_t i, bool in) noexcept {
  if (mask != nullptr) fq_store(mask, i, static_cast<std::uint8_t>(in ? 1 : 0));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Fake quantization with fixed parameters (torch.fake_quantize_per_tensor_affine / _per_channel_)

/// y = fake_quantize(x) with per-tensor parameters; mask[i] = 1 where the unclamped code lies in
/// [qmin, qmax] (optional). In-place (y == x) is allowed.
inline void fake_quantize(const float* x, std::size_t n, float* y, const quant_params& p,
                          std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && y != nullptr));
  QLIN_ASSERT(detail::fq_scale_ok(p.scale) && p.qmin < p.qmax && p.zero_point >= p.qmin && p.zero_point <= p.qmax);
  const float inv = 1.0f / p.scale;
  for (std::size_t i = 0; i < n; ++i) {
    bool in = false;
    const float v = detail::fake_quant_one(detail::fq_load(x, i), p.scale, inv, p.zero_point, p.qmin, p.qmax, &in);
    detail::fq_store(y, i, v);
    detail::fq_store_mask(mask, i, in);
  }
}

/// The straight-through estimator: dx = dy * float(mask). dx may alias dy.
inline void fake_quantize_backward(const float* dy, const std::uint8_t* mask, std::size_t n, float* dx) noexcept {
  QLIN_ASSERT(n == 0 || (dy != nullptr && mask != nullptr && dx != nullptr));
  for (std::size_t i = 0; i < n; ++i) {
    const float m = detail::fq_load(mask, i) != 0 ? 1.0f : 0.0f;
    detail::fq_store(dx, i, detail::fq_load(dy, i) * m);
  }
}

/// Fake quantization of a [outer][channels][inner] tensor with int32 zero points per channel.
inline void fake_quantize_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                                      float* y, const per_channel_params& p, std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels && p.qmin < p.qmax);
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float s = p.scales[c];
      const std::int32_t z = p.zero_points[c];
      QLIN_ASSERT(detail::fq_scale_ok(s) && z >= p.qmin && z <= p.qmax);
      const float inv = 1.0f / s;
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        bool in = false;
        detail::fq_store(y, i, detail::fake_quant_one(detail::fq_load(x, i), s, inv, z, p.qmin, p.qmax, &in));
        detail::fq_store_mask(mask, i, in);
      }
    }
  }
}

/// Fake quantization with float zero points per channel (torch zero_point of dtype float).
inline void fake_quantize_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                                      float* y, const per_channel_float_params& p, std::uint8_t* mask = nullptr,
                                      fp_contract fc = fp_contract::off) noexcept {
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels && p.qmin < p.qmax);
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float s = p.scales[c];
      const float z = p.zero_points[c];
      QLIN_ASSERT(detail::fq_scale_ok(s) && std::isfinite(z));
      const float inv = 1.0f / s;
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        bool in = false;
        detail::fq_store(y, i, detail::fake_quant_one_float_zp(detail::fq_load(x, i), s, inv, z, p.qmin, p.qmax, fc, &in));
        detail::fq_store_mask(mask, i, in);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// LSQ: learnable scale and zero point

/// The zero point LSQ's forward uses: int(clamp(rne(z), qmin, qmax)). Precondition: z finite.
inline std::int32_t lsq_forward_zero_point(float z, qrange r) noexcept {
  QLIN_ASSERT(std::isfinite(z) && r.qmin < r.qmax);
  float f = round_half_even(z);
  const float lo = static_cast<float>(r.qmin);
  const float hi = static_cast<float>(r.qmax);
  f = f < lo ? lo : (f > hi ? hi : f);
  return static_cast<std::int32_t>(f);
}

/// The zero point torch 1.13's per-tensor LSQ backward uses: int64(clamp(f32(z + 0.5f), qmin, qmax)),
/// a truncating cast (2.5 -> 3, -2.3 -> -1, 0.49999997 -> 1). Precondition: z finite.
inline std::int32_t lsq_backward_zero_point(float z, qrange r) noexcept {
  QLIN_ASSERT(std::isfinite(z) && r.qmin < r.qmax);
  float f = z + 0.5f;
  const float lo = static_cast<float>(r.qmin);
  const float hi = static_cast<float>(r.qmax);
  f = f < lo ? lo : (f > hi ? hi : f);
  return static_cast<std::int32_t>(f);
}

/// LSQ forward, per tensor: fake_quantize with zero point lsq_forward_zero_point(z).
inline void fake_quantize_learnable(const float* x, std::size_t n, float* y, float scale, float zero_point, qrange r,
                                    std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(detail::fq_scale_ok(scale));
  fake_quantize(x, n, y, quant_params{scale, lsq_forward_zero_point(zero_point, r), r.qmin, r.qmax}, mask);
}

/// LSQ backward, per tensor: writes dx (may alias dy) and returns the summed dScale, dZeroPoint.
/// `grad_factor` is LSQ's g (e.g. 1 / sqrt(n * qmax)); 1 gives the plain gradient.
inline lsq_gradients fake_quantize_learnable_backward(const float* x, const float* dy, std::size_t n, float scale,
                                                      float zero_point, qrange r, float grad_factor, float* dx,
                                                      fp_contract fc = fp_contract::off) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && dy != nullptr && dx != nullptr));
  QLIN_ASSERT(detail::fq_scale_ok(scale));
  const float zb = static_cast<float>(lsq_backward_zero_point(zero_point, r));
  const float inv = 1.0f / scale;
  double ds = 0.0;
  double dz = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float g = detail::lsq_grad_one(detail::fq_load(x, i), detail::fq_load(dy, i), scale, inv, zb, r.qmin, r.qmax,
                                         grad_factor, fc, &ds, &dz);
    detail::fq_store(dx, i, g);
  }
  return {static_cast<float>(ds), static_cast<float>(dz)};
}

/// LSQ forward, per channel ([outer][channels][inner]): channel c uses scales[c] and the zero point
/// lsq_forward_zero_point(zero_points[c]).
inline void fake_quantize_learnable_per_channel(const float* x, std::size_t outer, std::size_t channels,
                                                std::size_t inner, float* y, const float* scales,
                                                const float* zero_points, qrange r,
                                                std::uint8_t* mask = nullptr) noexcept {
  QLIN_ASSERT(channels == 0 || (scales != nullptr && zero_points != nullptr));
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float s = detail::fq_load(scales, c);
      QLIN_ASSERT(detail::fq_scale_ok(s));
      const std::int32_t z = lsq_forward_zero_point(detail::fq_load(zero_points, c), r);
      const float inv = 1.0f / s;
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        bool in = false;
        detail::fq_store(y, i, detail::fake_quant_one(detail::fq_load(x, i), s, inv, z, r.qmin, r.qmax, &in));
        detail::fq_store_mask(mask, i, in);
      }
    }
  }
}

/// LSQ backward, per channel: writes dx (may alias dy), d_scales[c] and d_zero_points[c] (sums over
/// channel c's outer * inner elements). The zero point is clamp(rne(z)), as torch 1.13's per-channel
/// backward uses (not the per-tensor backward's truncation).
inline void fake_quantize_learnable_per_channel_backward(const float* x, const float* dy, std::size_t outer,
                                                         std::size_t channels, std::size_t inner, const float* scales,
                                                         const float* zero_points, qrange r, float grad_factor,
                                                         float* dx, float* d_scales, float* d_zero_points,
                                                         fp_contract fc = fp_contract::off) noexcept {
  QLIN_ASSERT(channels == 0 || (scales != nullptr && zero_points != nullptr && d_scales != nullptr &&
                                d_zero_points != nullptr));
  for (std::size_t c = 0; c < channels; ++c) {
    const float s = detail::fq_load(scales, c);
    QLIN_ASSERT(detail::fq_scale_ok(s));
    const float zb = static_cast<float>(lsq_forward_zero_point(detail::fq_load(zero_points, c), r));
    const float inv = 1.0f / s;
    double ds = 0.0;
    double dz = 0.0;
    for (std::size_t o = 0; o < outer; ++o) {
      const std::size_t base = (o * channels + c) * inner;
      for (std::size_t k = 0; k < inner; ++k) {
        const float g = detail::lsq_grad_one(detail::fq_load(x, base + k), detail::fq_load(dy, base + k), s, inv, zb,
                                             r.qmin, r.qmax, grad_factor, fc, &ds, &dz);
        detail::fq_store(dx, base + k, g);
      }
    }
    detail::fq_store(d_scales, c, static_cast<float>(ds));
    detail::fq_store(d_zero_points, c, static_cast<float>(dz));
  }
}

}  // namespace qlin

#endif  // QLIN_FAKE_QUANT_HPP_
