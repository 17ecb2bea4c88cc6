// requantize.hpp: int32 accumulators -> int8 / uint8 / int16 with bias, multiplier, zero point and clamp (scalar reference).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// For an accumulator x, an optional bias b (default 0), zero point z and clamp [qmin, qmax]:
//
//   a = saturate_int32(x + b)                     (TFLite wraps on overflow; qlin saturates)
//   double_rounding:  y = multiply_by_quantized_multiplier(a, m)                  (TFLite default, gemmlowp)
//   single_rounding:  y = multiply_by_quantized_multiplier_single_rounding(a, m)  (TFLITE_SINGLE_ROUNDING, XNNPACK rndnu)
//                     q = clamp(y + z, qmin, qmax)    (the addition in int64: no overflow)
//   fp32:             f = f32(f32(a) * scale)     (f32(a) rounds half-even when |a| > 2^24)
//                     q = clamp(round_half_even(f) + z, qmin, qmax)
//                     (XNNPACK fp32 requantization, xnn_qs8_requantize_fp32; PyTorch requantize_from_int
//                      with a float multiplier: zp + lrintf(acc * multiplier))
//
// [qmin, qmax] is the output range intersected with an activation: ReLU is qmin = z, ReLU6 is
// qmax = z + round(6 / output_scale); make_activation_range() computes them.
// Every int32 input is defined, INT32_MIN and INT32_MAX included.
//
// Per-channel: the accumulators are viewed as [rows][channels] (row major, channels innermost, as
// a GEMM's output or an NHWC convolution's); channel c uses multipliers[c] / scales[c] and bias[c].
//
// In-place use: for int8_t / uint8_t outputs, `out` may be the accumulator buffer itself
// (reinterpret_cast<T*>(acc)): element i is read before output element i, which lies at or below
// it, is written. Not for int16_t outputs (int16_t may not alias int32_t). Otherwise input and
// output must not overlap.
// Preconditions (checked in debug builds): parameters from make_requantize_params; [qmin, qmax]
// inside T; n == 0 does nothing.
#ifndef QLIN_REQUANTIZE_HPP_
#define QLIN_REQUANTIZE_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "config.hpp"
#include "dtype.hpp"
#include "fixed_point.hpp"
#include "params.hpp"
#include "result.hpp"
#include "rounding.hpp"

namespace qlin {

/// Which arithmetic turns the accumulator into the output; see the top of this header.
enum class requant_rounding : unsigned char { double_rounding, single_rounding, fp32 };

/// "double", "single" or "fp32".
constexpr const char* to_string(requant_rounding r) noexcept {
  return r == requant_rounding::double_rounding ? "double" : r == requant_rounding::single_rounding ? "single" : "fp32";
}

/// The requantization each peer uses by default: tflite and gemmlowp double rounding, xnnpack fp32
/// (its x86 default), pytorch fp32 (requantize_from_int).
constexpr requant_rounding default_requant_rounding(compat c) noexcept {
  return (c == compat::tflite || c == compat::gemmlowp) ? requant_rounding::double_rounding : requant_rounding::fp32;
}

/// Per-tensor requantization parameters.
struct requantize_params {
  /// Which arithmetic: double, single or fp32 rounding.
  requant_rounding rounding = requant_rounding::double_rounding;
  quantized_multiplier multiplier = {};  ///< used by double_rounding and single_rounding
  float scale = 0.0f;                   ///< used by fp32
  /// Output zero point, in [-65536, 65536].
  std::int32_t zero_point = 0;
  /// Smallest output code (inclusive).
  std::int32_t qmin = -128;
  /// Largest output code (inclusive).
  std::int32_t qmax = 127;
};

/// Per-channel requantization parameters (one multiplier and scale per channel).
struct per_channel_requantize_params {
  /// Which arithmetic: double, single or fp32 rounding.
  requant_rounding rounding = requant_rounding::double_rounding;
  /// Multiplier of each channel (double and single rounding).
  std::vector<quantized_multiplier> multipliers;
  /// f32 multiplier of each channel (fp32 rounding).
  std::vector<float> scales;
  /// Output zero point, in [-65536, 65536].
  std::int32_t zero_point = 0;
  /// Smallest output code (inclusive).
  std::int32_t qmin = -128;
  /// Largest output code (inclusive).
  std::int32_t qmax = 127;

  /// Number of channels.
  std::size_t channels() const noexcept { return multipliers.size(); }
};

namespace detail {
inline status check_requant_common(std::int32_t zero_point, qrange clamp) noexcept {
  if (clamp.qmin >= clamp.qmax) return fail(errc::invalid_range, "qmin must be less than qmax");
  if (zero_point < -65536 || zero_point > 65536) {
    return fail(errc::zero_point_out_of_range, "the zero point must lie in [-65536, 65536]");
  }
  return ok();
}
}  // namespace detail

/// Parameters for requantizing with the real multiplier M (input_scale * weight_scale / output_scale).
/// double / single rounding use quantize_multiplier(M) (TFLite's 31-bit mantissa); fp32 uses
/// scale = f32(M). `clamp` is the output range (and activation). A zero point outside `clamp` is
/// allowed only as far as the arithmetic is concerned (an activation range may exclude it).
/// Errors: M NaN / Inf / negative or too large (see quantize_multiplier); qmin >= qmax; for fp32, M
/// whose float overflows to Inf (errc::invalid_scale). M == 0 (or, for fp32, an M whose float is 0)
/// is valid and maps every accumulator to the zero point, as the (0, 0) multiplier does.
inline result<requantize_params> make_requantize_params(double real_multiplier, std::int32_t zero_point, qrange clamp,
                                                        requant_rounding rounding = requant_rounding::double_rounding) noexcept {
  const status s = detail::check_requant_common(zero_point, clamp);
  if (!s) return s.error();
  requantize_params p;
  p.rounding = rounding;
  p.zero_point = zero_point;
  p.qmin = clamp.qmin;
  p.qmax = clamp.qmax;
  if (!std::isfinite(real_multiplier)) return fail(errc::non_finite_input, "the real multiplier must be finite");
  if (real_multiplier < 0.0) return fail(errc::unrepresentable_multiplier, "the real multiplier must not be negative");
  if (rounding == requant_rounding::fp32) {
    p.scale = static_cast<float>(real_multiplier);
    if (!std::isfinite(p.scale)) return fail(errc::invalid_scale, "the real multiplier overflows float");
    return p;
  }
  const result<quantized_multiplier> m = quantize_multiplier(real_multiplier);
  if (!m) return m.error();
  p.multiplier = *m;
  p.scale = static_cast<float>(real_multiplier);
  return p;
}

/// Parameters from an explicit (multiplier, shift), for double or single rounding.
inline result<requantize_params> make_requantize_params(quantized_multiplier m, std::int32_t zero_point, qrange clamp,
                                                        requant_rounding rounding = requant_rounding::double_rounding) noexcept {
  const status s = detail::check_requant_common(zero_point, clamp);
  if (!s) return s.error();
  if (rounding == requant_rounding::fp32) {
    return fail(errc::invalid_argument, "fp32 requantization takes a real multiplier, not (multiplier, shift)");
  }
  const result<quantized_multiplier> v = make_quantized_multiplier(m.multiplier, m.shift);
  if (!v) return v.error();
  requantize_params p;
  p.rounding = rounding;
  p.multiplier = m;
  p.scale = static_cast<float>(m.real());
  p.zero_point = zero_point;
  p.qmin = clamp.qmin;
  p.qmax = clamp.qmax;
  return p;
}

/// The clamp range of an output with parameters (scale, zero_point) in `out` after an activation
/// that keeps reals in [act_min, act_max] (use -inf / +inf for none): ReLU is (0, +inf), ReLU6 (0, 6).
/// Bounds are quantized as TFLite's CalculateActivationRangeQuantized does:
/// z + round_half_away(bound / scale), then intersected with `out`.
inline result<qrange> make_activation_range(float scale, std::int32_t zero_point, qrange out, float act_min, float act_max) noexcept {
  if (!(scale > 0.0f) || !std::isfinite(scale)) return fail(errc::invalid_scale, "scale must be finite and > 0");
  if (act_min != act_min || act_max != act_max || act_min > act_max) {
    return fail(errc::min_greater_than_max, "the activation range must be ordered and not NaN");
  }
  qrange r = out;
  auto quantize_bound = [&](float v) -> double {
    return static_cast<double>(zero_point) + static_cast<double>(round_half_away(v / scale));
  };
  if (std::isfinite(act_min)) {
    const double lo = quantize_bound(act_min);
    if (lo > r.qmin) r.qmin = lo > r.qmax ? r.qmax : static_cast<std::int32_t>(lo);
  }
  if (std::isfinite(act_max)) {
    const double hi = quantize_bound(act_max);
    if (hi < r.qmax) r.qmax = hi < r.qmin ? r.qmin : static_cast<std::int32_t>(hi);
  }
  if (r.qmin >= r.qmax) return fail(errc::invalid_range, "the activation range leaves fewer than two codes");
  return r;
}

namespace detail {

// [qmin, qmax] inside the output type T (a local copy: requantize.hpp must not need quantize.hpp).
template <class T>
constexpr bool requant_range_fits(std::int32_t qmin, std::int32_t qmax) noexcept {
  return qmin >= std::numeric_limits<T>::min() && qmax <= std::numeric_limits<T>::max();
}

inline std::int32_t saturating_add(std::int32_t a, std::int32_t b) noexcept {
  const std::int64_t s = static_cast<std::int64_t>(a) + b;
  return s > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
         : s < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                        : static_cast<std::int32_t>(s);
}

inline std::int32_t clamp64(std::int64_t v, std::int32_t lo, std::int32_t hi) noexcept {
  return v < lo ? lo : v > hi ? hi : static_cast<std::int32_t>(v);
}

// One element, bias already added.
inline std::int32_t requantize_one(std::int32_t a, requant_rounding r, quantized_multiplier m, float scale,
                                   std::int32_t zp, std::int32_t qmin, std::int32_t qmax) noexcept {
  switch (r) {
    case requant_rounding::double_rounding:
      return clamp64(static_cast<std::int64_t>(multiply_by_quantized_multiplier(a, m)) + zp, qmin, qmax);
    case requant_rounding::single_rounding:
      return clamp64(static_cast<std::int64_t>(multiply_by_quantized_multiplier_single_rounding(a, m)) + zp, qmin, qmax);
    case requant_rounding::fp32: {
      const float f = static_cast<float>(a) * scale;
      const float lo = static_cast<float>(static_cast<std::int64_t>(qmin) - zp);  // exact: |.| <= 2^17
      const float hi = static_cast<float>(static_cast<std::int64_t>(qmax) - zp);
      const float c = f < lo ? lo : (f > hi ? hi : f);
      return static_cast<std::int32_t>(round_half_even(c)) + zp;
    }
  }
  return zp;
}

}  // namespace detail

/// Requantizes n accumulators with per-tensor parameters (no bias).
template <class T>
inline void requantize(const std::int32_t* acc, std::size_t n, T* out, const requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(n == 0 || (acc != nullptr && out != nullptr));
  QLIN_ASSERT(p.qmin < p.qmax && detail::requant_range_fits<T>(p.qmin, p.qmax));
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t a = acc[i];
    out[i] = static_cast<T>(detail::requantize_one(a, p.rounding, p.multiplier, p.scale, p.zero_point, p.qmin, p.qmax));
  }
}

/// Requantizes a [rows][channels] block with per-tensor parameters and an optional per-channel
/// bias (bias[c] is added to column c; nullptr for none).
template <class T>
inline void requantize_rows(const std::int32_t* acc, std::size_t rows, std::size_t channels, const std::int32_t* bias,
                            T* out, const requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize_rows writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.qmin < p.qmax && detail::requant_range_fits<T>(p.qmin, p.qmax));
  std::size_t i = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < channels; ++c, ++i) {
      const std::int32_t a = bias != nullptr ? detail::saturating_add(acc[i], bias[c]) : acc[i];
      out[i] = static_cast<T>(detail::requantize_one(a, p.rounding, p.multiplier, p.scale, p.zero_point, p.qmin, p.qmax));
    }
  }
}

/// Requantizes a [rows][channels] block with per-channel multipliers and an optional per-channel bias.
template <class T>
inline void requantize_rows(const std::int32_t* acc, std::size_t rows, std::size_t channels, const std::int32_t* bias,
                            T* out, const per_channel_requantize_params& p) noexcept {
  static_assert(is_quantized_storage_v<T>, "requantize_rows writes int8_t, uint8_t or int16_t");
  QLIN_ASSERT(p.multipliers.size() == channels && p.scales.size() == channels);
  QLIN_ASSERT(p.qmin < p.qmax && detail::requant_range_fits<T>(p.qmin, p.qmax));
  std::size_t i = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < channels; ++c, ++i) {
      const std::int32_t a = bias != nullptr ? detail::saturating_add(acc[i], bias[c]) : acc[i];
      out[i] = static_cast<T>(
          detail::requantize_one(a, p.rounding, p.multipliers[c], p.scales[c], p.zero_point, p.qmin, p.qmax));
    }
  }
}

/// Per-channel parameters for real multipliers M[c] = input_scale * weight_scales[c] / output_scale
/// (computed in double, TFLite's PopulateConvolutionQuantizationParams). For fp32, scales[c] = f32(M[c]).
inline result<per_channel_requantize_params> make_requantize_params_per_channel(
    float input_scale, const float* weight_scales, std::size_t channels, float output_scale, std::int32_t zero_point,
    qrange clamp, requant_rounding rounding = requant_rounding::double_rounding) {
  const status s = detail::check_requant_common(zero_point, clamp);
  if (!s) return s.error();
  if (!std::isfinite(input_scale) || !(input_scale > 0.0f) || !std::isfinite(output_scale) || !(output_scale > 0.0f)) {
    return fail(errc::invalid_scale, "input and output scales must be finite and > 0");
  }
  per_channel_requantize_params p;
  p.rounding = rounding;
  p.zero_point = zero_point;
  p.qmin = clamp.qmin;
  p.qmax = clamp.qmax;
  p.multipliers.resize(channels);
  p.scales.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    if (!std::isfinite(weight_scales[c]) || !(weight_scales[c] > 0.0f)) {
      return fail(errc::invalid_scale, "weight scales must be finite and > 0");
    }
    const double m = static_cast<double>(input_scale) * static_cast<double>(weight_scales[c]) / static_cast<double>(output_scale);
    const result<requantize_params> one = make_requantize_params(m, zero_point, clamp, rounding);
    if (!one) return one.error();
    p.multipliers[c] = one->multiplier;
    p.scales[c] = one->scale;
  }
  return p;
}

}  // namespace qlin

#endif  // QLIN_REQUANTIZE_HPP_
