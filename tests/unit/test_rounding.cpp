// Tests for qlin/rounding.hpp: round_half_even / round_half_away / round_half_up against
// independent oracles, bit for bit (the sign of a zero result included):
//   half_even  std::nearbyint in the default floating-point environment (round to nearest even)
//   half_away  std::round
//   half_up    an exact integer computation of floor(x + 1/2) (below), with the sign of a zero
//              result taken from x, as rounding.hpp documents.
#include <qlin/rounding.hpp>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include "qlin_catch.hpp"

namespace {

template <class F>
using bits_t = typename std::conditional<std::is_same<F, float>::value, std::uint32_t, std::uint64_t>::type;

template <class F>
bits_t<F> bits(F x) {
  bits_t<F> b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

float f32_of_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// Equal as bit patterns, or both NaN.
template <class F>
bool same(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return bits(a) == bits(b);
}

// Exact floor(x + 1/2) with integers: x = m * 2^e with an integer mantissa m. No floating-point
// addition is involved, so no rounding of the sum can hide a tie. Zero results carry x's sign.
template <class F>
F oracle_half_up(F x) {
  if (std::isnan(x) || std::isinf(x)) return x;
  const int digits = std::numeric_limits<F>::digits;  // 24 or 53
  int e2 = 0;
  const F fr = std::frexp(x, &e2);  // x = fr * 2^e2, 0.5 <= |fr| < 1
  // m = fr * 2^digits is an integer; x = m * 2^(e2 - digits).
  const auto m = static_cast<std::int64_t>(std::ldexp(fr, digits));
  const int e = e2 - digits;
  F r;
  if (x == F(0)) {
    r = F(0);
  } else if (e >= 0) {
    r = x;  // already an integer
  } else if (-e > 60) {
    // |x| < 2^digits * 2^-61 < 1/2 (and != -1/2): floor(x + 1/2) == 0
    r = F(0);
  } else {
    const int s = -e;                                           // x = m / 2^s
    const std::int64_t num = m + (std::int64_t{1} << (s - 1));  // (x + 1/2) * 2^s, exact
    // floor division by 2^s (num may be negative)
    std::int64_t q = num / (std::int64_t{1} << s);
    if (num < 0 && q * (std::int64_t{1} << s) != num) --q;
    r = static_cast<F>(q);
  }
  if (r == F(0)) r = std::copysign(F(0), x);
  return r;
}

template <class F>
std::string describe(F x) {
  std::ostringstream o;
  o.precision(std::numeric_limits<F>::max_digits10);
  o << x << " (bits 0x" << std::hex << bits(x) << ")";
  return o.str();
}

// Checks all three functions on x; counts failures and remembers the first.
template <class F>
struct checker {
  std::uint64_t checked = 0;
  std::uint64_t failures = 0;
  std::string first;

  void operator()(F x) {
    ++checked;
    const F even = qlin::round_half_even(x);
    const F away = qlin::round_half_away(x);
    const F up = qlin::round_half_up(x);
    const char* which = nullptr;
    F want = 0, got = 0;
    if (!same(even, std::nearbyint(x))) {
      which = "round_half_even vs std::nearbyint", got = even, want = std::nearbyint(x);
    } else if (!same(away, std::round(x))) {
      which = "round_half_away vs std::round", got = away, want = std::round(x);
    } else if (!same(up, oracle_half_up(x))) {
      which = "round_half_up vs exact floor(x + 1/2)", got = up, want = oracle_half_up(x);
    } else if (!same(qlin::round(x, qlin::rounding::half_even), even) ||
               !same(qlin::round(x, qlin::rounding::half_away), away) ||
               !same(qlin::round(x, qlin::rounding::half_up), up)) {
      which = "qlin::round(x, mode) vs the named function", got = 0, want = 0;
    }
    if (which != nullptr) {
      if (failures == 0)
        first = std::string(which) + " at x = " + describe(x) + ": got " + describe(got) + ", want " + describe(want);
      ++failures;
    }
  }
};

template <class F>
void require_clean(const checker<F>& c) {
  INFO("checked " << c.checked << " values; first failure: " << c.first);
  REQUIRE(c.checked > 0);
  REQUIRE(c.failures == 0);
}

}  // namespace

TEST_CASE("the oracles are what they claim (spot values)", "[rounding]") {
  REQUIRE(std::fegetround() == FE_TONEAREST);
  REQUIRE(std::nearbyint(2.5f) == 2.0f);
  REQUIRE(std::nearbyint(3.5f) == 4.0f);
  REQUIRE(std::round(-2.5f) == -3.0f);
  REQUIRE(oracle_half_up(-2.5f) == -2.0f);
  REQUIRE(oracle_half_up(2.5f) == 3.0f);
  REQUIRE(oracle_half_up(0.49999997f) == 0.0f);
  REQUIRE(oracle_half_up(-0.50000006f) == -1.0f);
  REQUIRE(std::signbit(oracle_half_up(-0.5f)));
  REQUIRE(oracle_half_up(8388607.5f) == 8388608.0f);
  REQUIRE(oracle_half_up(-8388607.5f) == -8388607.0f);
  REQUIRE(oracle_half_up(0.49999999999999994) == 0.0);
  REQUIRE(oracle_half_up(-4503599627370495.5) == -4503599627370495.0);
}

TEST_CASE("rounding: hand-picked values, float", "[rounding]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // 0.49999997f + 0.5f == 1.0f in float: an `x + 0.5` implementation gets it wrong.
  REQUIRE(qlin::round_half_even(0.49999997f) == 0.0f);
  REQUIRE(qlin::round_half_away(0.49999997f) == 0.0f);
  REQUIRE(qlin::round_half_up(0.49999997f) == 0.0f);
  REQUIRE(qlin::round_half_up(-0.49999997f) == 0.0f);
  // -0.5: even -> -0, away -> -1, up -> -0
  REQUIRE(same(qlin::round_half_even(-0.5f), -0.0f));
  REQUIRE(qlin::round_half_away(-0.5f) == -1.0f);
  REQUIRE(same(qlin::round_half_up(-0.5f), -0.0f));
  REQUIRE(qlin::round_half_even(0.5f) == 0.0f);
  REQUIRE(qlin::round_half_away(0.5f) == 1.0f);
  REQUIRE(qlin::round_half_up(0.5f) == 1.0f);
  // ties
  REQUIRE(qlin::round_half_even(2.5f) == 2.0f);
  REQUIRE(qlin::round_half_even(-2.5f) == -2.0f);
  REQUIRE(qlin::round_half_even(3.5f) == 4.0f);
  REQUIRE(qlin::round_half_away(-2.5f) == -3.0f);
  REQUIRE(qlin::round_half_up(-2.5f) == -2.0f);
  REQUIRE(qlin::round_half_up(-3.5f) == -3.0f);
  // 2^23 - 0.5 is the largest tie; 2^23 and 2^24 are integers
  REQUIRE(qlin::round_half_even(8388607.5f) == 8388608.0f);
  REQUIRE(qlin::round_half_even(8388606.5f) == 8388606.0f);
  REQUIRE(qlin::round_half_away(-8388607.5f) == -8388608.0f);
  REQUIRE(qlin::round_half_up(-8388607.5f) == -8388607.0f);
  REQUIRE(qlin::round_half_even(8388608.0f) == 8388608.0f);
  REQUIRE(qlin::round_half_away(16777216.0f) == 16777216.0f);
  REQUIRE(qlin::round_half_up(-16777216.0f) == -16777216.0f);
  // signed zeros and denormals keep their sign
  for (float z : {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -1e-40f, 1.1754942e-38f, -1.1754942e-38f, 0.3f, -0.3f}) {
    INFO("x = " << describe(z));
    REQUIRE(std::signbit(qlin::round_half_even(z)) == std::signbit(z));
    REQUIRE(std::signbit(qlin::round_half_away(z)) == std::signbit(z));
    REQUIRE(std::signbit(qlin::round_half_up(z)) == std::signbit(z));
    REQUIRE(qlin::round_half_even(z) == 0.0f);
    REQUIRE(qlin::round_half_away(z) == 0.0f);
    REQUIRE(qlin::round_half_up(z) == 0.0f);
  }
  // Inf and NaN pass through
  for (auto fn : {&qlin::round_half_even<float>, &qlin::round_half_away<float>, &qlin::round_half_up<float>}) {
    REQUIRE(fn(inf) == inf);
    REQUIRE(fn(-inf) == -inf);
    REQUIRE(std::isnan(fn(nan)));
    REQUIRE(fn(std::numeric_limits<float>::max()) == std::numeric_limits<float>::max());
    REQUIRE(fn(-std::numeric_limits<float>::max()) == -std::numeric_limits<float>::max());
  }
  REQUIRE(std::string(qlin::to_string(qlin::rounding::half_even)) == "half_even");
  REQUIRE(std::string(qlin::to_string(qlin::rounding::half_away)) == "half_away");
  REQUIRE(std::string(qlin::to_string(qlin::rounding::half_up)) == "half_up");
}

TEST_CASE("rounding: hand-picked values, double", "[rounding]") {
  const double inf = std::numeric_limits<double>::infinity();
  REQUIRE(qlin::round_half_even(0.49999999999999994) == 0.0);
  REQUIRE(qlin::round_half_away(0.49999999999999994) == 0.0);
  REQUIRE(qlin::round_half_up(0.49999999999999994) == 0.0);
  REQUIRE(qlin::round_half_even(4503599627370495.5) == 4503599627370496.0);
  REQUIRE(qlin::round_half_away(-4503599627370495.5) == -4503599627370496.0);
  REQUIRE(qlin::round_half_up(-4503599627370495.5) == -4503599627370495.0);
  REQUIRE(qlin::round_half_up(4503599627370496.0) == 4503599627370496.0);
  REQUIRE(same(qlin::round_half_even(-0.0), -0.0));
  REQUIRE(same(qlin::round_half_up(-0.5), -0.0));
  REQUIRE(same(qlin::round_half_up(-4.9e-324), -0.0));
  REQUIRE(qlin::round_half_up(inf) == inf);
  REQUIRE(std::isnan(qlin::round_half_away(std::numeric_limits<double>::quiet_NaN())));
}

TEST_CASE("rounding: every float tie k + 1/2 and its neighbours", "[rounding]") {
  // Ties exist for |k + 1/2| < 2^23. For every k in [-2^23, 2^23) check the tie and the floats one
  // ulp either side; for k near 0, near powers of two and near 2^23 check 8 ulps either side.
  checker<float> c;
  const float inf = std::numeric_limits<float>::infinity();
  for (std::int32_t k = -(1 << 23); k < (1 << 23); ++k) {
    const float t = static_cast<float>(k) + 0.5f;  // exact
    c(t);
    c(std::nextafter(t, inf));
    c(std::nextafter(t, -inf));
  }
  auto dense = [&](float t) {
    float up = t, down = t;
    for (int i = 0; i < 8; ++i) {
      up = std::nextafter(up, inf);
      down = std::nextafter(down, -inf);
      c(up);
      c(down);
    }
  };
  for (std::int32_t k = -64; k < 64; ++k) dense(static_cast<float>(k) + 0.5f);
  for (int p = 0; p < 23; ++p) {
    const auto k = static_cast<float>(std::int32_t{1} << p);
    for (float t : {k - 0.5f, k + 0.5f, -k - 0.5f, -k + 0.5f, k, -k}) dense(t);
  }
  for (float t : {8388607.5f, 8388608.0f, 16777216.0f, -8388607.5f, -8388608.0f, -16777216.0f, 0.0f, -0.0f}) dense(t);
  require_clean(c);
}

TEST_CASE("rounding: double ties near 0, near powers of two and near 2^52", "[rounding]") {
  checker<double> c;
  const double inf = std::numeric_limits<double>::infinity();
  auto dense = [&](double t) {
    c(t);
    double up = t, down = t;
    for (int i = 0; i < 8; ++i) {
      up = std::nextafter(up, inf);
      down = std::nextafter(down, -inf);
      c(up);
      c(down);
    }
  };
  for (std::int64_t k = -100000; k < 100000; ++k) dense(static_cast<double>(k) + 0.5);
  for (int p = 0; p < 53; ++p) {
    const double k = std::ldexp(1.0, p);
    for (double t : {k - 0.5, k + 0.5, -k - 0.5, -k + 0.5, k, -k, k - 1.5, -k + 1.5}) dense(t);
  }
  // random doubles over all exponents (a fixed LCG)
  std::uint64_t s = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 2000000; ++i) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    double d;
    std::memcpy(&d, &s, sizeof d);
    c(d);
  }
  dense(0.0);
  dense(-0.0);
  dense(std::numeric_limits<double>::denorm_min());
  c(std::numeric_limits<double>::infinity());
  c(-std::numeric_limits<double>::infinity());
  c(std::numeric_limits<double>::quiet_NaN());
  require_clean(c);
}

TEST_CASE("rounding: float bit patterns, stride 997 over all 2^32", "[rounding]") {
  checker<float> c;
  for (std::uint64_t b = 0; b < (std::uint64_t{1} << 32); b += 997) c(f32_of_bits(static_cast<std::uint32_t>(b)));
  // plus the special patterns the stride may miss
  for (std::uint32_t b : {0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                          0xffc00000u, 0x7f800001u, 0x7f7fffffu, 0xff7fffffu, 0x3effffffu, 0xbeffffffu, 0x3f000000u,
                          0xbf000000u, 0x4affffffu, 0x4b000000u, 0xcaffffffu, 0xcb000000u}) {
    c(f32_of_bits(b));
  }
  require_clean(c);
}

TEST_CASE("rounding: every float bit pattern", "[rounding][.exhaustive]") {
  checker<float> c;
  for (std::uint64_t b = 0; b < (std::uint64_t{1} << 32); ++b) c(f32_of_bits(static_cast<std::uint32_t>(b)));
  require_clean(c);
}
