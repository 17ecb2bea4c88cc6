// rounding.hpp: round-to-integer in the three tie rules the peers use, exact for every float.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// For a real x, let f = floor(|x|) and d = |x| - f (both exact in binary floating point: d is
// |x| itself when |x| < 1, and a Sterbenz-exact difference otherwise). Then
//
//   round_half_even(x) = sign(x) * (d < 1/2 ? f : d > 1/2 ? f + 1 : (f even ? f : f + 1))
//   round_half_away(x) = sign(x) * (d < 1/2 ? f : f + 1)
//   round_half_up(x)   = floor(x + 1/2) computed exactly: ties go toward +infinity
//
// Ties are decided on the exact value of x: no `x + 0.5` step, which rounds wrongly at
// 0.49999997f (0.49999997 + 0.5 == 1.0 in float) and near 2^23. Values with |x| >= 2^23 (2^52 for
// double), +-Inf and NaN are returned unchanged; a zero result keeps the sign of x
// (round_half_even(-0.3f) == -0.0f), as std::nearbyint does. None of the three depends on the
// floating-point environment's rounding mode.
//
// Which peer uses which (reference/SEMANTICS.md section 0):
//   half_even  PyTorch (quantize, observers' zero point, fake-quant), XNNPACK fp32 and f32->qs8
//              convert, FBGEMM; std::nearbyint / lrintf / torch.round / np.rint.
//   half_away  TFLite (TfLiteRound == std::round), MNN, gemmlowp's RoundingDivideByPOT.
//   half_up    TF FakeQuant (floor(x + 0.5)), gemmlowp SRDHM, TFLite single rounding, XNNPACK rndnu.
#ifndef QLIN_ROUNDING_HPP_
#define QLIN_ROUNDING_HPP_

#include <cmath>
#include <type_traits>

namespace qlin {

/// The tie rule of a rounding to integer.
enum class rounding : unsigned char {
  half_even,  ///< ties to the even integer (IEEE round-to-nearest-even)
  half_away,  ///< ties away from zero (std::round)
  half_up,    ///< ties toward +infinity (floor(x + 1/2), exactly)
};

/// "half_even", "half_away" or "half_up".
constexpr const char* to_string(rounding r) noexcept {
  return r == rounding::half_even ? "half_even" : r == rounding::half_away ? "half_away" : "half_up";
}

namespace detail {
template <class F>
constexpr F integral_threshold() noexcept {
  // Every float of magnitude >= 2^23 (double: 2^52) is an integer.
  return std::is_same<F, float>::value ? F(8388608.0) : F(4503599627370496.0);
}

template <class F>
inline bool is_odd_integral(F f) noexcept {
  return std::fmod(f, F(2)) != F(0);
}
}  // namespace detail

/// Rounds to the nearest integer, ties to even. Exact for every float / double.
template <class F>
inline F round_half_even(F x) noexcept {
  static_assert(std::is_floating_point<F>::value, "round_half_even takes float or double");
  const F a = std::fabs(x);
  if (!(a < detail::integral_threshold<F>())) return x;  // large, Inf or NaN
  const F f = std::floor(a);
  const F d = a - f;
  F r = f;
  if (d > F(0.5) || (d == F(0.5) && detail::is_odd_integral(f))) r = f + F(1);
  return std::copysign(r, x);
}

/// Rounds to the nearest integer, ties away from zero (std::round). Exact for every float / double.
template <class F>
inline F round_half_away(F x) noexcept {
  static_assert(std::is_floating_point<F>::value, "round_half_away takes float or double");
  const F a = std::fabs(x);
  if (!(a < detail::integral_threshold<F>())) return x;
  const F f = std::floor(a);
  return std::copysign(a - f >= F(0.5) ? f + F(1) : f, x);
}

/// Rounds to the nearest integer, ties toward +infinity. Exact for every float / double.
template <class F>
inline F round_half_up(F x) noexcept {
  static_assert(std::is_floating_point<F>::value, "round_half_up takes float or double");
  const F a = std::fabs(x);
  if (!(a < detail::integral_threshold<F>())) return x;
  const F f = std::floor(a);
  const F d = a - f;
  // For x >= 0 a tie goes up (away from zero); for x < 0 it goes toward zero.
  const bool up = std::signbit(x) ? d > F(0.5) : d >= F(0.5);
  return std::copysign(up ? f + F(1) : f, x);
}

/// Rounds with the tie rule `mode`.
template <class F>
inline F round(F x, rounding mode) noexcept {
  switch (mode) {
    case rounding::half_even: return round_half_even(x);
    case rounding::half_away: return round_half_away(x);
    case rounding::half_up: return round_half_up(x);
  }
  return x;
}

}  // namespace qlin

#endif  // QLIN_ROUNDING_HPP_
