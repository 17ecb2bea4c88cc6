// fixed_point.hpp: real multipliers as (Q31 mantissa, shift) and the integer multiplies that apply them.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// A real multiplier M > 0 is represented as  M ~= multiplier * 2^(shift - 31)  with
// multiplier in [2^30, 2^31) (a Q31 mantissa in [0.5, 1)) and shift in [-31, 30]; positive shift
// means a left shift, as in TFLite. Requantizing an int32 accumulator x then costs one 32x32->64
// multiply and shifts, with the rounding of one of the peers:
//
//   double rounding (TFLite's default MultiplyByQuantizedMultiplier, gemmlowp):
//     y = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x * 2^max(shift,0), multiplier),
//                                max(-shift, 0))
//     first rounding: ties toward +infinity (SRDHM); second: ties away from zero (RDBPOT).
//   single rounding (TFLITE_SINGLE_ROUNDING, XNNPACK rndnu):
//     y = floor((x * multiplier + 2^(30 - shift)) / 2^(31 - shift))    one rounding, ties toward +infinity
//
// Sources: tensorflow/lite/kernels/internal/quantization_util.cc (QuantizeMultiplier),
// tensorflow/lite/kernels/internal/common.h (MultiplyByQuantizedMultiplier),
// google/gemmlowp fixedpoint/fixedpoint.h (SaturatingRoundingDoublingHighMul,
// RoundingDivideByPOT), google/XNNPACK src/xnnpack/requantization.h; reference/SEMANTICS.md section 3.
//
// Where the peers leave overflow undefined, qlin saturates (documented per function).
#ifndef QLIN_FIXED_POINT_HPP_
#define QLIN_FIXED_POINT_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "config.hpp"
#include "result.hpp"

namespace qlin {

/// A real multiplier M ~= multiplier * 2^(shift - 31). (0, 0) represents 0.
struct quantized_multiplier {
  /// The Q31 mantissa, in [2^30, 2^31) for quantize_multiplier's results; 0 with shift 0 for M = 0.
  std::int32_t multiplier = 0;
  /// The power of two: positive is a left shift (TFLite's sign convention), in [min_shift, max_shift].
  int shift = 0;

  /// The real value represented, exactly (as a double).
  double real() const noexcept { return std::ldexp(static_cast<double>(multiplier), shift - 31); }
  /// Same mantissa and shift.
  friend bool operator==(const quantized_multiplier& a, const quantized_multiplier& b) noexcept {
    return a.multiplier == b.multiplier && a.shift == b.shift;
  }
  /// Different mantissa or shift.
  friend bool operator!=(const quantized_multiplier& a, const quantized_multiplier& b) noexcept { return !(a == b); }
};

/// Smallest and largest shift qlin accepts: a right shift of at most 31, a left shift of at most 30.
constexpr int min_shift = -31;
/// The largest shift qlin accepts (a left shift of at most 30).
constexpr int max_shift = 30;

/// TFLite's QuantizeMultiplier for M >= 0:
///   (f, e) = frexp(M), f in [0.5, 1);  q = round_half_away(f * 2^31)
///   if q == 2^31 (M just below a power of two): q = 2^30, e += 1
///   if e < -31: (0, 0)  (M < 2^-32 flushes to zero, as TFLite does)
/// M == 0 gives (0, 0).
/// Errors: M NaN / Inf (errc::non_finite_input); M < 0 or e > 30, i.e. M >= 2^30, which no int32
/// left shift can apply (errc::unrepresentable_multiplier). TFLite's single-rounding build
/// saturates such M to (2^31 - 1, 30) in silence; qlin refuses them.
inline result<quantized_multiplier> quantize_multiplier(double real) noexcept {
  if (!std::isfinite(real)) return fail(errc::non_finite_input, "the real multiplier must be finite");
  if (real < 0.0) return fail(errc::unrepresentable_multiplier, "the real multiplier must not be negative");
  if (real == 0.0) return quantized_multiplier{0, 0};
  int e = 0;
  const double f = std::frexp(real, &e);            // real = f * 2^e, f in [0.5, 1)
  std::int64_t q = std::llround(f * 2147483648.0);  // f * 2^31 is exact; llround ties away from zero
  if (q == (std::int64_t{1} << 31)) {
    q /= 2;
    ++e;
  }
  if (e < min_shift) return quantized_multiplier{0, 0};
  if (e > max_shift) return fail(errc::unrepresentable_multiplier, "the real multiplier is too large (>= 2^30)");
  return quantized_multiplier{static_cast<std::int32_t>(q), e};
}

/// XNNPACK's multiplier from a float32 scale's bits (src/xnnpack/requantization.h, the "gemmlowp"
/// and rndnu requantizers): multiplier = (mantissa24 | 2^23) << 7, shift = exponent - 126.
/// Exactly equal to the float (24 significant bits, not TFLite's 31).
/// Errors: scale NaN / Inf / <= 0 / subnormal (errc::invalid_scale), or a shift outside [-31, 30]
/// (errc::shift_out_of_range).
inline result<quantized_multiplier> quantize_multiplier_f32(float scale) noexcept {
  if (!std::isfinite(scale) || !(scale > 0.0f)) return fail(errc::invalid_scale, "scale must be finite and > 0");
  std::uint32_t bits = 0;
  std::memcpy(&bits, &scale, sizeof bits);
  const int exponent = static_cast<int>(bits >> 23);
  if (exponent == 0) return fail(errc::invalid_scale, "a subnormal scale has no 24-bit mantissa");
  const std::uint32_t mantissa = (bits & 0x007FFFFFu) | 0x00800000u;
  const int shift = exponent - 126;
  if (shift < min_shift || shift > max_shift) return fail(errc::shift_out_of_range, "the scale lies outside [2^-32, 2^30)");
  return quantized_multiplier{static_cast<std::int32_t>(mantissa << 7), shift};
}

/// Validates a hand-made (multiplier, shift): multiplier in [0, 2^31) and shift in [-31, 30].
/// Multipliers below 2^30 are allowed (they only lose precision).
inline result<quantized_multiplier> make_quantized_multiplier(std::int32_t multiplier, int shift) noexcept {
  if (multiplier < 0) return fail(errc::unrepresentable_multiplier, "the multiplier must not be negative");
  if (shift < min_shift || shift > max_shift) return fail(errc::shift_out_of_range, "the shift must lie in [-31, 30]");
  return quantized_multiplier{multiplier, shift};
}

/// Per-channel multipliers for a convolution / matmul (TFLite PopulateConvolutionQuantizationParams,
/// tensorflow/lite/kernels/kernel_util.cc): M[c] = double(input_scale) * double(weight_scale[c]) /
/// double(output_scale), each passed to quantize_multiplier. The first failing channel's error is returned.
inline result<std::vector<quantized_multiplier>> quantize_multipliers_per_channel(float input_scale, const float* weight_scales,
                                                                                  std::size_t channels, float output_scale) {
  if (!std::isfinite(input_scale) || !(input_scale > 0.0f) || !std::isfinite(output_scale) || !(output_scale > 0.0f)) {
    return fail(errc::invalid_scale, "input and output scales must be finite and > 0");
  }
  std::vector<quantized_multiplier> out(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    if (!std::isfinite(weight_scales[c]) || !(weight_scales[c] > 0.0f)) {
      return fail(errc::invalid_scale, "weight scales must be finite and > 0");
    }
    const double m = static_cast<double>(input_scale) * static_cast<double>(weight_scales[c]) / static_cast<double>(output_scale);
    const result<quantized_multiplier> q = quantize_multiplier(m);
    if (!q) return q.error();
    out[c] = *q;
  }
  return out;
}

/// gemmlowp SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b, rounded.
///   a == b == INT32_MIN: INT32_MAX (the only overflow)
///   else: floor((a * b + 2^30) / 2^31)   i.e. ties toward +infinity (ARM VQRDMULH semantics)
/// gemmlowp writes it with a nudge of 2^30 or 1 - 2^30 and a truncating division; the two are equal.
constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) noexcept {
  if (a == b && a == std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::max();
  const std::int64_t p = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);
  // p + 2^30 cannot overflow int64 (|p| <= 2^62); >> is an arithmetic (flooring) shift.
  return static_cast<std::int32_t>((p + (std::int64_t{1} << 30)) >> 31);
}

/// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
///   mask = 2^e - 1, remainder = x & mask, threshold = (mask >> 1) + (x < 0)
///   result = (x >> e) + (remainder > threshold)
/// Precondition: 0 <= exponent <= 31 (checked in debug builds).
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) noexcept {
  QLIN_ASSERT(exponent >= 0 && exponent <= 31);
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << exponent) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// x * 2^exponent, saturated to int32 (gemmlowp SaturatingRoundingMultiplyByPOT for exponent >= 0).
/// Precondition: 0 <= exponent <= 31.
constexpr std::int32_t saturating_left_shift(std::int32_t x, int exponent) noexcept {
  QLIN_ASSERT(exponent >= 0 && exponent <= 31);
  const std::int64_t v = static_cast<std::int64_t>(x) * (std::int64_t{1} << exponent);
  return v > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
         : v < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                        : static_cast<std::int32_t>(v);
}

/// TFLite MultiplyByQuantizedMultiplier, double rounding:
///   rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x << L, multiplier), R)
///   with L = max(shift, 0), R = max(-shift, 0).
/// TFLite computes x << L with a wrapping int32 multiply; qlin saturates it (the two agree
/// whenever TFLite does not overflow). Precondition: shift in [-31, 30].
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, quantized_multiplier m) noexcept {
  QLIN_ASSERT(m.shift >= min_shift && m.shift <= max_shift);
  const int left = m.shift > 0 ? m.shift : 0;
  const int right = m.shift > 0 ? 0 : -m.shift;
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(saturating_left_shift(x, left), m.multiplier), right);
}

/// TFLite MultiplyByQuantizedMultiplier with TFLITE_SINGLE_ROUNDING (and XNNPACK rndnu):
///   t = 31 - shift;  y = (x * multiplier + 2^(t-1)) >> t   (arithmetic shift: ties toward +infinity)
/// then saturated to int32 (TFLite truncates the int64 to int32). Preconditions: multiplier >= 0,
/// shift in [-31, 30].
constexpr std::int32_t multiply_by_quantized_multiplier_single_rounding(std::int32_t x, quantized_multiplier m) noexcept {
  QLIN_ASSERT(m.multiplier >= 0 && m.shift >= min_shift && m.shift <= max_shift);
  const int total = 31 - m.shift;  // in [1, 62]
  const std::int64_t p = static_cast<std::int64_t>(x) * m.multiplier;  // |p| < 2^62
  const std::int64_t y = (p + (std::int64_t{1} << (total - 1))) >> total;
  return y > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
         : y < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                        : static_cast<std::int32_t>(y);
}

}  // namespace qlin

#endif  // QLIN_FIXED_POINT_HPP_
