// quantize.hpp: float -> integer quantization and integer -> float dequantization (scalar reference).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// quantize, for each element x (s = scale, z = zero point):
//   x is NaN:                 q = z                     (the code of 0.0; no peer defines NaN)
//   method.divide == false:   y = x * f32(1 / s)        (PyTorch, XNNPACK: reciprocal multiply)
//   method.divide == true:    y = x / s                 (TFLite, gemmlowp: a true division)
//   zero point after:         q = clamp(round(y) + z, qmin, qmax)       (PyTorch, TFLite, XNNPACK)
//   zero point before:        q = round(clamp(f32(z + y), qmin, qmax))  (gemmlowp's quantization example)
// with round = method.mode (half_even for PyTorch / XNNPACK, half_away for TFLite / gemmlowp).
// +-Inf saturate to qmax / qmin. Rounding y after clamping it to [qmin - z, qmax - z] equals clamping
// after rounding (the bounds are integers), so every finite input saturates correctly, however large.
//
// PyTorch adds the zero point in float32 (f32(z) + rne(y)); for every range of at most 16 bits this
// equals the integer addition above, because |rne(y)| >= 2^24 saturates either way.
// Sources: pytorch aten/src/ATen/native/quantized/AffineQuantizerBase.cpp (quantize_val),
// tensorflow/lite/kernels/internal/reference/quantize.h (AffineQuantize), google/gemmlowp
// doc/quantization_example.cc (Quantize), XNNPACK src/f32-qs8-vcvt; reference/SEMANTICS.md 1.4, 4, 5.
//
// dequantize:  r = f32(q - z) * s   (the subtraction in int32, one float32 rounding of the product).
// Every peer computes this value: PyTorch (float and, per channel, double products of float
// scales), TFLite, XNNPACK and gemmlowp agree bit for bit on it.
//
// Float zero points (PyTorch per_channel_affine_float_qparams, quantize_val_float_qparams):
//   q = clamp(round_half_even(f32(x * f32(1 / s)) + z), qmin, qmax),  r = f32(f32(q) - z) * s
//   NaN gives clamp(round_half_even(z)).
//
// Layout of the per-channel functions: the tensor is viewed as [outer][channels][inner] (row
// major); the channel axis is the middle one. Axis 0 of an [N, C, H, W] tensor is outer = 1,
// channels = N, inner = C*H*W; the last axis is inner = 1.
//
// Preconditions (checked in debug builds): parameters as produced by make_quant_params /
// choose_qparams (scale finite and > 0, qmin <= zero point <= qmax, qmin < qmax), and [qmin, qmax]
// inside the output type. Pointers may be unaligned; n == 0 does nothing (null pointers are then
// allowed). Input and output must not overlap.
#ifndef QLIN_QUANTIZE_HPP_
#define QLIN_QUANTIZE_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "config.hpp"
#include "dtype.hpp"
#include "params.hpp"
#include "rounding.hpp"

namespace qlin {

/// How a float becomes an integer: the tie rule, division vs reciprocal multiply, and where the
/// zero point is added. See the top of this header.
struct quantize_method {
  /// The tie rule of the rounding.
  rounding mode = rounding::half_even;
  bool divide = false;                 ///< x / s instead of x * f32(1 / s)
  bool zero_point_before_round = false;  ///< round(f32(z + y)) instead of round(y) + z

  /// The method of a peer: pytorch and xnnpack {half_even, multiply}, tflite {half_away, divide},
  /// gemmlowp {half_away, divide, zero point before rounding}.
  static constexpr quantize_method of(compat c) noexcept {
    return c == compat::tflite     ? quantize_method{rounding::half_away, true, false}
           : c == compat::gemmlowp ? quantize_method{rounding::half_away, true, true}
                                   : quantize_method{rounding::half_even, false, false};
  }
};

namespace detail {

template <class T>
constexpr bool range_fits(std::int32_t qmin, std::int32_t qmax) noexcept {
  return qmin >= std::numeric_limits<T>::min() && qmax <= std::numeric_limits<T>::max();
}

inline bool params_valid(float scale, std::int32_t zp, std::int32_t qmin, std::int32_t qmax) noexcept {
  return scale_usable(scale) && qmin < qmax && zp >= qmin && zp <= qmax;
}

// One element; `inv_scale` is f32(1 / scale), used when !m.divide.
inline std::int32_t quantize_one(float x, float scale, float inv_scale, std::int32_t zp, std::int32_t qmin,
                                 std::int32_t qmax, quantize_method m) noexcept {
  if (x != x) return zp;
  const float y = m.divide ? x / scale : x * inv_scale;
  if (m.zero_point_before_round) {
    float t = static_cast<float>(zp) + y;
    const float lo = static_cast<float>(qmin);
    const float hi = static_cast<float>(qmax);
    t = t < lo ? lo : (t > hi ? hi : t);
    return static_cast<std::int32_t>(qlin::round(t, m.mode));
  }
  const float lo = static_cast<float>(qmin - zp);  // exact: |qmin - zp| <= 65535
  const float hi = static_cast<float>(qmax - zp);
  const float c = y < lo ? lo : (y > hi ? hi : y);
  return static_cast<std::int32_t>(qlin::round(c, m.mode)) + zp;
}

// Element access through memcpy, so that pointers need no alignment (a plain x[i] through a
// misaligned float* is undefined behaviour, which UBSan reports). Compilers emit a plain load/store.
template <class T>
inline T load(const T* p, std::size_t i) noexcept {
  T v;
  std::memcpy(&v, p + i, sizeof v);
  return v;
}
template <class T>
inline void store(T* p, std::size_t i, T v) noexcept {
  std::memcpy(p + i, &v, sizeof v);
}

inline std::int32_t quantize_one_float_zp(float x, float inv_scale, float zp, std::int32_t qmin,
                                          std::int32_t qmax) noexcept {
  float t = (x != x) ? zp : x * inv_scale;
  if (x == x) t = t + zp;
  const float lo = static_cast<float>(qmin);
  const float hi = static_cast<float>(qmax);
  t = t < lo ? lo : (t > hi ? hi : t);  // NaN cannot reach here unless zp is NaN (a precondition)
  return static_cast<std::int32_t>(round_half_even(t));
}

}  // namespace detail

/// Quantizes n floats to T (int8_t, uint8_t or int16_t) with per-tensor parameters.
template <class T>
inline void quantize(const float* x, std::size_t n, T* q, const quant_params& p,
                     quantize_method m = quantize_method{}) noexcept {
  static_assert(is_quantized_storage_v<T>, "quantize writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (x != nullptr && q != nullptr));
  QLIN_ASSERT(detail::params_valid(p.scale, p.zero_point, p.qmin, p.qmax));
  QLIN_ASSERT(detail::range_fits<T>(p.qmin, p.qmax));
  const float inv = 1.0f / p.scale;
  for (std::size_t i = 0; i < n; ++i) {
    detail::store(
        q, i, static_cast<T>(detail::quantize_one(detail::load(x, i), p.scale, inv, p.zero_point, p.qmin, p.qmax, m)));
  }
}

/// Dequantizes n values of T: r = f32(q - z) * s.
template <class T>
inline void dequantize(const T* q, std::size_t n, float* r, const quant_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "dequantize reads int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (q != nullptr && r != nullptr));
  for (std::size_t i = 0; i < n; ++i) {
    detail::store(r, i, static_cast<float>(static_cast<std::int32_t>(detail::load(q, i)) - p.zero_point) * p.scale);
  }
}

/// Quantizes a [outer][channels][inner] tensor with one (scale, zero point) per channel.
template <class T>
inline void quantize_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner, T* q,
                                 const per_channel_params& p, quantize_method m = quantize_method{}) noexcept {
  static_assert(is_quantized_storage_v<T>, "quantize_per_channel writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels);
  QLIN_ASSERT(detail::range_fits<T>(p.qmin, p.qmax));
  for (std::size_t c = 0; c < channels; ++c) {
    QLIN_ASSERT(detail::params_valid(p.scales[c], p.zero_points[c], p.qmin, p.qmax));
  }
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float s = p.scales[c];
      const float inv = 1.0f / s;
      const std::int32_t z = p.zero_points[c];
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        detail::store(q, i, static_cast<T>(detail::quantize_one(detail::load(x, i), s, inv, z, p.qmin, p.qmax, m)));
      }
    }
  }
}

/// Dequantizes a [outer][channels][inner] tensor with one (scale, zero point) per channel.
template <class T>
inline void dequantize_per_channel(const T* q, std::size_t outer, std::size_t channels, std::size_t inner, float* r,
                                   const per_channel_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "dequantize_per_channel reads int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels);
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float s = p.scales[c];
      const std::int32_t z = p.zero_points[c];
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        detail::store(r, i, static_cast<float>(static_cast<std::int32_t>(detail::load(q, i)) - z) * s);
      }
    }
  }
}

/// Quantizes with float zero points per channel (PyTorch per_channel_affine_float_qparams).
template <class T>
inline void quantize_per_channel(const float* x, std::size_t outer, std::size_t channels, std::size_t inner, T* q,
                                 const per_channel_float_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "quantize_per_channel writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels);
  QLIN_ASSERT(detail::range_fits<T>(p.qmin, p.qmax));
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float inv = 1.0f / p.scales[c];
      const float z = p.zero_points[c];
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        detail::store(q, i, static_cast<T>(detail::quantize_one_float_zp(detail::load(x, i), inv, z, p.qmin, p.qmax)));
      }
    }
  }
}

/// Dequantizes with float zero points per channel: r = f32(f32(q) - z) * s.
template <class T>
inline void dequantize_per_channel(const T* q, std::size_t outer, std::size_t channels, std::size_t inner, float* r,
                                   const per_channel_float_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "dequantize_per_channel reads int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.scales.size() == channels && p.zero_points.size() == channels);
  std::size_t i = 0;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < channels; ++c) {
      const float s = p.scales[c];
      const float z = p.zero_points[c];
      for (std::size_t k = 0; k < inner; ++k, ++i) {
        detail::store(r, i, (static_cast<float>(detail::load(q, i)) - z) * s);
      }
    }
  }
}

#if QLIN_HAS_SPAN
/// std::span overloads (C++20): the output must be at least as long as the input.
template <class T>
inline void quantize(std::span<const float> x, std::span<T> q, const quant_params& p,
                     quantize_method m = quantize_method{}) noexcept {
  QLIN_ASSERT(q.size() >= x.size());
  quantize(x.data(), x.size(), q.data(), p, m);
}
/// qlin::dequantize on spans (C++20): r must be at least as long as q.
template <class T>
inline void dequantize(std::span<const T> q, std::span<float> r, const quant_params& p) noexcept {
  QLIN_ASSERT(r.size() >= q.size());
  dequantize(q.data(), q.size(), r.data(), p);
}
#endif

}  // namespace qlin

#endif  // QLIN_QUANTIZE_HPP_
