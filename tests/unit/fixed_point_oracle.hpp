// fixed_point_oracle.hpp: exact, independent reference arithmetic for the fixed-point and
// requantization tests (test_fixed_point.cpp, test_requantize.cpp).
//
// Everything here is written from the definitions (reference/SEMANTICS.md 3.2, 3.3, 5) with exact
// integer arithmetic (__int128 where 64 bits do not suffice), deliberately NOT the way
// include/qlin/fixed_point.hpp computes: floor division and remainders instead of nudges, masks and
// arithmetic shifts.
#ifndef QLIN_TESTS_FIXED_POINT_ORACLE_HPP_
#define QLIN_TESTS_FIXED_POINT_ORACLE_HPP_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace qlin_oracle {

__extension__ typedef __int128 i128;  // __extension__: no -Wpedantic diagnostic
using i64 = std::int64_t;
using i32 = std::int32_t;

constexpr i32 kMin = std::numeric_limits<i32>::min();
constexpr i32 kMax = std::numeric_limits<i32>::max();

/// floor(n / d) for d > 0.
inline i128 floor_div(i128 n, i128 d) {
  i128 q = n / d;  // truncates toward zero
  if (q * d > n) --q;
  return q;
}

inline i128 pow2(int e) { return static_cast<i128>(1) << e; }

/// n / 2^e rounded to nearest, ties toward +infinity (rhu).
inline i128 round_half_up_div(i128 n, int e) {
  const i128 d = pow2(e);
  const i128 q = floor_div(n, d);
  const i128 r = n - q * d;  // in [0, d)
  return 2 * r >= d ? q + 1 : q;
}
/// n / 2^e rounded to nearest, ties away from zero (rha).
inline i128 round_half_away_div(i128 n, int e) {
  const i128 d = pow2(e);
  const i128 mag = n < 0 ? -n : n;
  i128 q = mag / d;
  const i128 r = mag - q * d;
  if (2 * r >= d) ++q;
  return n < 0 ? -q : q;
}
/// n / 2^e rounded to nearest, ties to even (rne).
inline i128 round_half_even_div(i128 n, int e) {
  const i128 d = pow2(e);
  const i128 q = floor_div(n, d);
  const i128 r = n - q * d;
  if (2 * r > d) return q + 1;
  if (2 * r < d) return q;
  return (q % 2 == 0) ? q : q + 1;
}

inline i32 saturate_i32(i128 v) { return v > kMax ? kMax : v < kMin ? kMin : static_cast<i32>(v); }

/// gemmlowp SaturatingRoundingDoublingHighMul: round_half_up(a*b / 2^31), INT32_MIN^2 -> INT32_MAX.
inline i32 srdhm(i32 a, i32 b) {
  return saturate_i32(round_half_up_div(static_cast<i128>(a) * b, 31));
}
/// gemmlowp RoundingDivideByPOT: round_half_away(x / 2^e).
inline i32 rdbpot(i32 x, int e) { return static_cast<i32>(round_half_away_div(x, e)); }

/// TFLite double-rounding MultiplyByQuantizedMultiplier with qlin's saturating x * 2^L.
inline i32 mbqm_double(i32 x, i32 m, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const i32 xs = saturate_i32(static_cast<i128>(x) * pow2(left));
  return rdbpot(srdhm(xs, m), right);
}
/// Single rounding: round_half_up(x * m * 2^(shift - 31)), saturated to int32.
inline i32 mbqm_single(i32 x, i32 m, int shift) {
  return saturate_i32(round_half_up_div(static_cast<i128>(x) * m, 31 - shift));
}

/// f32(x) for an int32 x, as an exact integer: x rounded to 24 significant bits, ties to even.
inline i64 int_to_f32_exact(i32 x) {
  const i64 mag = x < 0 ? -static_cast<i64>(x) : x;
  int bits = 0;
  while ((mag >> bits) != 0) ++bits;
  if (bits <= 24) return x;
  const int drop = bits - 24;
  const i64 r = static_cast<i64>(round_half_even_div(mag, drop)) << drop;
  return x < 0 ? -r : r;
}

/// Independent model of the fp32 requantization: y = f32(f32(a) * scale) computed as one rounding
/// of the exact double product (24 x 24 bits fit a double), clamped in float to [lo, hi], rounded
/// half-even with std::nearbyint (default rounding mode).
inline i64 fp32_requant(i32 a, float scale, i32 zp, i32 qmin, i32 qmax) {
  const double prod = static_cast<double>(static_cast<float>(a)) * static_cast<double>(scale);
  float f = static_cast<float>(prod);
  const float lo = static_cast<float>(qmin - zp);
  const float hi = static_cast<float>(qmax - zp);
  if (f < lo) f = lo;
  if (f > hi) f = hi;
  return static_cast<i64>(std::nearbyint(f)) + zp;
}

inline i32 clamp_i64(i64 v, i32 lo, i32 hi) { return v < lo ? lo : v > hi ? hi : static_cast<i32>(v); }

/// Deterministic 64-bit generator (splitmix64): the same sequence on every platform.
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  i32 i32_any() { return static_cast<i32>(static_cast<std::uint32_t>(next() >> 32)); }
  /// Random magnitude with a random bit length (so small values are common), random sign.
  i32 i32_log() {
    const int bits = static_cast<int>(next() % 32);
    const i64 v = static_cast<i64>(next() & ((std::uint64_t{1} << bits) - 1)) | ((i64{1} << bits) >> 1);
    return static_cast<i32>((next() & 1) ? -v : v);
  }
  /// Uniform in [lo, hi].
  i64 range(i64 lo, i64 hi) { return lo + static_cast<i64>(next() % static_cast<std::uint64_t>(hi - lo + 1)); }
  /// Uniform double in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

}  // namespace qlin_oracle

#endif  // QLIN_TESTS_FIXED_POINT_ORACLE_HPP_
