// power_of_two.hpp: power-of-two scales (dynamic fixed point) and logarithmic quantization (scalar
// reference).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Dynamic fixed point (Gysel et al., "Ristretto", 2016, arXiv:1605.06402; Ristretto's
// quantization.cpp: il = ceil(log2(max |x|)) + 1, fl = bw - il). A b-bit signed value q with
// fractional length fl stands for q * 2^-fl; the range is [-(2^(b-1)), 2^(b-1) - 1]. fl is chosen
// so that the integer part of max |x| fits:
//   fl = b - 1 - ceil(log2(max |x|))
// ceil(log2 m) is computed exactly from the float's exponent: frexp(m) = f * 2^e with f in [0.5, 1)
// gives ceil(log2 m) = e - 1 if f == 0.5 (m a power of two), else e. No log2() call, no rounding.
// Edge cases: max |x| an exact power of two 2^k gets fl = b - 1 - k, so +max quantizes to 2^(b-1),
// one past qmax, and saturates to qmax (Ristretto does the same: -max is representable, +max is
// one LSB short); max == 0 is errc::degenerate_range (any fl works; qlin refuses to guess);
// NaN / Inf max is errc::non_finite_input; subnormal max works (fl up to 149 + b).
//   quantize:    q = clamp(round(x * 2^fl), qmin, qmax)   x * 2^fl is exact (std::ldexp) unless it
//                underflows to a subnormal; NaN -> 0, +-Inf -> qmax / qmin (quantize.hpp's rule)
//   dequantize:  r = ldexp(q, -fl)                         exact whenever representable
//   requantize:  an accumulator with fractional length fl_acc (fl_x + fl_w for a product) to fl_out:
//                shift = fl_acc - fl_out; shift >= 0: rounding_divide_by_pot(acc, shift) (ties away
//                from zero, fixed_point.hpp); shift < 0: saturating left shift; then clamp. This is
//                the "multiplier" of requantize.hpp with mantissa 1: no multiply at all.
//
// Logarithmic quantization (Miyashita, Lee, Murmann, "Convolutional Neural Networks using
// Logarithmic Data Representation", 2016, arXiv:1603.01025): v = sign * 2^e, e an integer in
// [emin, emax], or v = 0. Code (one byte): bit 7 = sign (1 = negative), bits 0..6 = m:
//   m == 0: the value 0;  m in [1, emax - emin + 1]: |v| = 2^(emin + m - 1).
// With emax - emin + 1 <= 15 the magnitude fits 4 bits (a 5-bit code with the sign).
// Rounding: qlin rounds to the nearest power of two in the LINEAR domain (the representable value
// closest to x), not in the log domain (round(log2 |x|), threshold sqrt(2) * 2^k). For |x| in
// [2^k, 2^(k+1)) the threshold is 1.5 * 2^k, decided exactly on the frexp mantissa (f >= 0.75 goes up):
//   |x| < 2^(emin-1)            -> 0           (nearer to 0 than to 2^emin; the tie goes up)
//   2^(emin-1) <= |x| < 2^emin  -> 2^emin
//   2^emin <= |x| <= 2^emax     -> 2^k or 2^(k+1), ties (|x| = 1.5 * 2^k) to the larger, 2^(k+1)
//   |x| > 2^emax                -> 2^emax       (saturation; +-Inf too). NaN and +-0 -> code 0.
// Error bound (in range, 2^emin <= |x| <= 2^emax): |v - x| <= |x| / 3, reached at |x| = 1.5 * 2^k;
// below 2^emin: |v - x| <= 2^(emin-1); above 2^emax: |x| - 2^emax. (Log-domain rounding would
// bound |v - x| / |x| by sqrt(2) - 1 = 0.414 instead.)
// Multiplication is an addition of exponents: (s_a 2^a)(s_b 2^b) = (s_a s_b) 2^(a+b), and a fixed-point
// activation times a log weight is a shift: log_multiply_shift(x, code) = +-x * 2^e, with a right
// shift (negative e) rounded by rounding_divide_by_pot.
#ifndef QLIN_POWER_OF_TWO_HPP_
#define QLIN_POWER_OF_TWO_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "config.hpp"
#include "dtype.hpp"
#include "fixed_point.hpp"
#include "result.hpp"
#include "rounding.hpp"

namespace qlin {

// ---------------------------------------------------------------------------------------------
// Dynamic fixed point

/// ceil(log2(m)) for a finite m > 0, exactly (from the float exponent).
inline int ceil_log2(float m) noexcept {
  QLIN_ASSERT(m > 0.0f && std::isfinite(m));
  int e = 0;
  const float f = std::frexp(m, &e);
  return f == 0.5f ? e - 1 : e;
}

/// Ristretto's fractional length for `bits`-bit signed values (2 <= bits <= 32) and a range max |x|:
/// bits - 1 - ceil(log2(max_abs)). See the top of this header for the edge cases.
inline result<int> fractional_length(float max_abs, int bits) noexcept {
  if (bits < 2 || bits > 32) return fail(errc::invalid_argument, "bits must be in [2, 32]");
  if (!std::isfinite(max_abs)) return fail(errc::non_finite_input, "max |x| must be finite");
  if (max_abs < 0.0f) return fail(errc::invalid_argument, "max |x| must not be negative");
  if (max_abs == 0.0f) return fail(errc::degenerate_range, "max |x| is 0: no fractional length fits it better than another");
  return bits - 1 - ceil_log2(max_abs);
}

/// The fractional length for the largest |x| of n floats (NaN and +-Inf skipped; none finite or all
/// zero: an error).
inline result<int> fractional_length(const float* x, std::size_t n, int bits) noexcept {
  float m = 0.0f;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, x + i, sizeof v);
    if (!std::isfinite(v)) continue;
    any = true;
    v = std::fabs(v);
    if (v > m) m = v;
  }
  if (!any) return fail(errc::no_finite_values, "no finite value to take the range from");
  return fractional_length(m, bits);
}

/// The signed range of a `bits`-bit dynamic fixed-point value: [-(2^(bits-1)), 2^(bits-1) - 1].
inline qrange pot_range(int bits) noexcept {
  QLIN_ASSERT(bits >= 2 && bits <= 32);
  const std::int64_t h = std::int64_t{1} << (bits - 1);
  return {static_cast<std::int32_t>(-h), static_cast<std::int32_t>(h - 1)};
}

namespace detail {
inline std::int32_t pot_quantize_one(float x, int fl, qrange r, rounding mode) noexcept {
  if (x != x) return 0;
  const float y = std::ldexp(x, fl);
  const float lo = static_cast<float>(r.qmin);
  if (y < lo) return r.qmin;
  if (!(y < 2147483648.0f)) return r.qmax;  // also +Inf
  const std::int64_t q = static_cast<std::int64_t>(qlin::round(y, mode));
  return q < r.qmin ? r.qmin : (q > r.qmax ? r.qmax : static_cast<std::int32_t>(q));
}
}  // namespace detail

/// q = clamp(round(x * 2^fl), r) into T (int8_t, int16_t or int32_t); r must fit T (default: T's
/// full range, e.g. pot_range(8) for int8_t). Ties to even by default (Ristretto rounds to nearest).
template <class T>
inline void pot_quantize(const float* x, std::size_t n, T* q, int fl, qrange r, rounding mode = rounding::half_even) noexcept {
  static_assert(std::is_same<T, std::int8_t>::value || std::is_same<T, std::int16_t>::value ||
                    std::is_same<T, std::int32_t>::value,
                "pot_quantize writes int8_t, int16_t or int32_t");
  QLIN_ASSERT(n == 0 || (x != nullptr && q != nullptr));
  QLIN_ASSERT(r.qmin < r.qmax && r.qmin >= std::numeric_limits<T>::min() && r.qmax <= std::numeric_limits<T>::max());
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, x + i, sizeof v);
    const T t = static_cast<T>(detail::pot_quantize_one(v, fl, r, mode));
    std::memcpy(q + i, &t, sizeof t);
  }
}

/// r = q * 2^-fl (exact unless it under- or overflows float).
template <class T>
inline void pot_dequantize(const T* q, std::size_t n, float* r, int fl) noexcept {
  QLIN_ASSERT(n == 0 || (q != nullptr && r != nullptr));
  for (std::size_t i = 0; i < n; ++i) {
    T t;
    std::memcpy(&t, q + i, sizeof t);
    const float v = std::ldexp(static_cast<float>(t), -fl);
    std::memcpy(r + i, &v, sizeof v);
  }
}

/// One accumulator from fractional length fl_acc to fl_out (see the top of this header), clamped to r.
/// Precondition: |fl_acc - fl_out| <= 31.
inline std::int32_t pot_requantize_one(std::int32_t acc, int fl_acc, int fl_out, qrange r) noexcept {
  const int shift = fl_acc - fl_out;
  QLIN_ASSERT(shift >= -31 && shift <= 31);
  const std::int32_t v = shift >= 0 ? rounding_divide_by_pot(acc, shift) : saturating_left_shift(acc, -shift);
  return v < r.qmin ? r.qmin : (v > r.qmax ? r.qmax : v);
}

/// Requantizes n int32 accumulators with fractional length fl_acc to T with fractional length fl_out.
template <class T>
inline void pot_requantize(const std::int32_t* acc, std::size_t n, T* out, int fl_acc, int fl_out, qrange r) noexcept {
  QLIN_ASSERT(n == 0 || (acc != nullptr && out != nullptr));
  QLIN_ASSERT(r.qmin >= std::numeric_limits<T>::min() && r.qmax <= std::numeric_limits<T>::max());
  for (std::size_t i = 0; i < n; ++i) {
    std::int32_t a;
    std::memcpy(&a, acc + i, sizeof a);
    const T t = static_cast<T>(pot_requantize_one(a, fl_acc, fl_out, r));
    std::memcpy(out + i, &t, sizeof t);
  }
}

// ---------------------------------------------------------------------------------------------
// Logarithmic quantization

/// The exponent range of a log code: |v| in {0} u {2^e : emin <= e <= emax}.
struct log_params {
  /// Smallest exponent of a nonzero code.
  int emin = -7;
  /// Largest exponent of a nonzero code.
  int emax = 0;
};

/// Checks emin <= emax, at most 127 levels, and both inside float's normal exponents [-126, 127].
inline status validate(const log_params& p) noexcept {
  if (p.emin > p.emax) return fail(errc::invalid_range, "emin must not exceed emax");
  if (p.emax - p.emin + 1 > 127) return fail(errc::invalid_range, "at most 127 exponent levels fit the 7-bit magnitude");
  if (p.emin < -126 || p.emax > 127) return fail(errc::invalid_range, "exponents must lie in [-126, 127]");
  return ok();
}

/// The log parameters of `levels` exponents (e.g. 15 for a 4-bit magnitude) ending at
/// ceil(log2(max_abs)) (the nearest power of two at or above the range). Errors as fractional_length.
inline result<log_params> choose_log_params(float max_abs, int levels) noexcept {
  if (levels < 1 || levels > 127) return fail(errc::invalid_argument, "levels must be in [1, 127]");
  if (!std::isfinite(max_abs)) return fail(errc::non_finite_input, "max |x| must be finite");
  if (!(max_abs > 0.0f)) return fail(errc::degenerate_range, "max |x| must be > 0");
  log_params p;
  p.emax = ceil_log2(max_abs);
  if (p.emax > 127) p.emax = 127;
  p.emin = p.emax - levels + 1;
  if (p.emin < -126) return fail(errc::invalid_range, "the exponent range falls below float's normal range");
  return p;
}

/// The code of x (see the top of this header): linear-domain nearest power of two.
inline std::uint8_t log_quantize_one(float x, const log_params& p) noexcept {
  if (x != x || x == 0.0f) return 0;
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  const float a = std::fabs(x);
  int e;
  if (!(a <= std::ldexp(1.0f, p.emax))) {
    e = p.emax;  // saturation, +-Inf
  } else {
    int ex = 0;
    const float f = std::frexp(a, &ex);  // a = f * 2^ex, f in [0.5, 1): between 2^(ex-1) and 2^ex
    e = f >= 0.75f ? ex : ex - 1;
    if (e < p.emin) {
      // Below the smallest level: 0 or 2^emin, whichever is nearer (the tie 2^(emin-1) goes up).
      if (a < std::ldexp(1.0f, p.emin - 1)) return 0;
      e = p.emin;
    }
  }
  return static_cast<std::uint8_t>(sign | static_cast<std::uint8_t>(e - p.emin + 1));
}

/// The value of a code: 0, or +-2^e.
inline float log_dequantize_one(std::uint8_t code, const log_params& p) noexcept {
  const int m = code & 0x7F;
  if (m == 0) return 0.0f;
  const float v = std::ldexp(1.0f, p.emin + m - 1);
  return (code & 0x80) != 0 ? -v : v;
}

/// Codes of n floats.
inline void log_quantize(const float* x, std::size_t n, std::uint8_t* codes, const log_params& p) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && codes != nullptr));
  QLIN_ASSERT(validate(p).has_value());
  for (std::size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, x + i, sizeof v);
    codes[i] = log_quantize_one(v, p);
  }
}

/// Values of n codes.
inline void log_dequantize(const std::uint8_t* codes, std::size_t n, float* r, const log_params& p) noexcept {
  QLIN_ASSERT(n == 0 || (codes != nullptr && r != nullptr));
  for (std::size_t i = 0; i < n; ++i) {
    const float v = log_dequantize_one(codes[i], p);
    std::memcpy(r + i, &v, sizeof v);
  }
}

/// The product of two log-coded values as (sign, exponent): an addition of exponents, no multiply.
struct log_product {
  bool zero = true;    ///< one of the factors is 0
  /// The sign of the product.
  bool negative = false;
  int exponent = 0;    ///< the product is (negative ? -1 : 1) * 2^exponent
  /// The product as a float: 0 or +-2^exponent.
  float value() const noexcept {
    return zero ? 0.0f : std::ldexp(negative ? -1.0f : 1.0f, exponent);
  }
};

/// The product of code a (parameters pa) and code b (pb): the exponents added, the signs combined;
/// zero when either code is 0.
inline log_product log_multiply(std::uint8_t a, const log_params& pa, std::uint8_t b, const log_params& pb) noexcept {
  log_product r;
  const int ma = a & 0x7F;
  const int mb = b & 0x7F;
  if (ma == 0 || mb == 0) return r;
  r.zero = false;
  r.negative = ((a ^ b) & 0x80) != 0;
  r.exponent = (pa.emin + ma - 1) + (pb.emin + mb - 1);
  return r;
}

/// A fixed-point value times a log-coded weight: +-x * 2^e as a shift. e >= 0: saturating left
/// shift; e < 0: rounding_divide_by_pot (ties away from zero). Precondition: |e| <= 31.
inline std::int32_t log_multiply_shift(std::int32_t x, std::uint8_t code, const log_params& p) noexcept {
  const int m = code & 0x7F;
  if (m == 0) return 0;
  const int e = p.emin + m - 1;
  QLIN_ASSERT(e >= -31 && e <= 31);
  std::int32_t v = e >= 0 ? saturating_left_shift(x, e) : rounding_divide_by_pot(x, -e);
  if ((code & 0x80) != 0) v = v == std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::max() : -v;
  return v;
}

}  // namespace qlin

#endif  // QLIN_POWER_OF_TWO_HPP_
