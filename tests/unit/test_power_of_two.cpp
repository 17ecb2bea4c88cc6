// Tests for qlin/power_of_two.hpp against straightforward references: fractional length from a
// double log2 on values away from powers of two and exactly at them, quantize / dequantize and the
// rounding-shift requantization against double arithmetic, the log code against a brute-force
// search for the nearest representable value, and its error bound.
#include <qlin/power_of_two.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

TEST_CASE("fractional_length: bits - 1 - ceil(log2 max), exact at powers of two", "[power_of_two]") {
  CHECK(*qlin::fractional_length(1.0f, 8) == 7);
  CHECK(*qlin::fractional_length(1.0000001f, 8) == 6);
  CHECK(*qlin::fractional_length(0.99999994f, 8) == 7);
  CHECK(*qlin::fractional_length(3.0f, 8) == 5);
  CHECK(*qlin::fractional_length(4.0f, 16) == 13);
  CHECK(*qlin::fractional_length(0.1f, 8) == 10);
  CHECK(*qlin::fractional_length(std::numeric_limits<float>::denorm_min(), 8) == 7 + 149);
  CHECK(*qlin::fractional_length(std::numeric_limits<float>::max(), 8) == 7 - 128);
  CHECK(qlin::fractional_length(0.0f, 8).code() == qlin::errc::degenerate_range);
  CHECK(qlin::fractional_length(std::numeric_limits<float>::quiet_NaN(), 8).code() == qlin::errc::non_finite_input);
  CHECK(qlin::fractional_length(std::numeric_limits<float>::infinity(), 8).code() == qlin::errc::non_finite_input);
  CHECK(qlin::fractional_length(-1.0f, 8).code() == qlin::errc::invalid_argument);
  CHECK(qlin::fractional_length(1.0f, 1).code() == qlin::errc::invalid_argument);
  // Against log2 in double on every float exponent, at and around powers of two.
  for (int k = -140; k <= 127; ++k) {
    const float p = std::ldexp(1.0f, k);
    CHECK(qlin::ceil_log2(p) == k);
    const float up = std::nextafter(p, std::numeric_limits<float>::infinity());
    if (std::isfinite(up)) CHECK(qlin::ceil_log2(up) == k + 1);
    const float mid = p * 1.5f;
    if (std::isfinite(mid) && k > -140) CHECK(qlin::ceil_log2(mid) == static_cast<int>(std::ceil(std::log2(static_cast<double>(mid)))));
  }
  const float x[] = {0.5f, -2.5f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()};
  CHECK(*qlin::fractional_length(x, 4, 8) == 7 - 2);
  CHECK(qlin::fractional_length(x + 2, 2, 8).code() == qlin::errc::no_finite_values);
}

TEST_CASE("pot_quantize / pot_dequantize equal the double reference", "[power_of_two]") {
  std::mt19937 g(3);
  std::normal_distribution<float> d(0.0f, 2.0f);
  std::vector<float> x(2000);
  for (auto& v : x) v = d(g);
  x[0] = 5.0f / 64.0f;  // an exact tie at fl = 5: 2.5
  x[1] = 3.5f / 32.0f;
  x[2] = std::numeric_limits<float>::quiet_NaN();
  x[3] = -std::numeric_limits<float>::infinity();
  x[4] = 1e30f;
  const int fl = *qlin::fractional_length(4.0f, 8);  // 5
  REQUIRE(fl == 5);
  const qlin::qrange r = qlin::pot_range(8);
  std::vector<std::int8_t> q(x.size());
  qlin::pot_quantize(x.data(), x.size(), q.data(), fl, r);
  std::vector<float> back(x.size());
  qlin::pot_dequantize(q.data(), q.size(), back.data(), fl);
  for (std::size_t i = 0; i < x.size(); ++i) {
    double want;
    if (std::isnan(x[i])) {
      want = 0;
    } else {
      want = std::nearbyint(static_cast<double>(x[i]) * 32.0);
      want = std::min(127.0, std::max(-128.0, want));
    }
    CHECK(q[i] == static_cast<int>(want));
    CHECK(back[i] == static_cast<float>(want / 32.0));
  }
  CHECK(q[0] == 2);  // 2.5 -> 2 (ties to even)
  std::int8_t qa;
  qlin::pot_quantize(x.data(), 1, &qa, fl, r, qlin::rounding::half_away);
  CHECK(qa == 3);
  // A power-of-two maximum saturates by one LSB (Ristretto's convention).
  const float one = 1.0f;
  qlin::pot_quantize(&one, 1, &qa, *qlin::fractional_length(1.0f, 8), r);
  CHECK(qa == 127);
}

TEST_CASE("pot_requantize is a rounding shift with ties away from zero", "[power_of_two]") {
  const qlin::qrange r = qlin::pot_range(8);
  for (std::int32_t acc = -3000; acc <= 3000; ++acc) {
    for (int shift = 0; shift <= 6; ++shift) {
      const double exact = static_cast<double>(acc) / std::ldexp(1.0, shift);
      double want = std::round(exact);  // ties away from zero
      want = std::min(127.0, std::max(-128.0, want));
      REQUIRE(qlin::pot_requantize_one(acc, 10 + shift, 10, r) == static_cast<std::int32_t>(want));
    }
  }
  CHECK(qlin::pot_requantize_one(3, 2, 4, r) == 12);
  CHECK(qlin::pot_requantize_one(100, 2, 4, r) == 127);
  const std::int32_t acc[] = {-70, 70, 5};
  std::int16_t out[3];
  qlin::pot_requantize(acc, 3, out, 3, 1, qlin::pot_range(16));
  CHECK(out[0] == -18);  // -17.5 -> -18
  CHECK(out[1] == 18);
  CHECK(out[2] == 1);    // 1.25 -> 1
}

TEST_CASE("log quantization: nearest representable value in the linear domain, error bound", "[power_of_two][log]") {
  const qlin::log_params p{-6, 3};
  REQUIRE(qlin::validate(p));
  std::vector<float> levels = {0.0f};
  for (int e = p.emin; e <= p.emax; ++e) levels.push_back(std::ldexp(1.0f, e));
  std::mt19937 g(17);
  std::uniform_real_distribution<float> u(-12.0f, 12.0f);
  std::vector<float> xs;
  for (int i = 0; i < 20000; ++i) xs.push_back(u(g) * std::ldexp(1.0f, -(i % 8)));
  for (int e = p.emin - 2; e <= p.emax + 1; ++e) {  // ties and midpoints
    xs.push_back(1.5f * std::ldexp(1.0f, e));
    xs.push_back(-1.5f * std::ldexp(1.0f, e));
    xs.push_back(std::nextafter(1.5f * std::ldexp(1.0f, e), 0.0f));
  }
  for (float x : xs) {
    const std::uint8_t c = qlin::log_quantize_one(x, p);
    const float v = qlin::log_dequantize_one(c, p);
    // Brute force: the level nearest to |x|, ties to the larger.
    const double a = std::fabs(static_cast<double>(x));
    double best = 0, best_err = a;
    for (float l : levels) {
      const double err = std::fabs(a - l);
      if (err < best_err || (err == best_err && l > best)) {
        best = l;
        best_err = err;
      }
    }
    INFO("x = " << x);
    REQUIRE(std::fabs(static_cast<double>(v)) == best);
    if (best != 0) REQUIRE(std::signbit(v) == std::signbit(x));
    if (a >= std::ldexp(1.0, p.emin) && a <= std::ldexp(1.0, p.emax)) {
      REQUIRE(std::fabs(v - a * (x < 0 ? -1 : 1)) <= a / 3.0 + 1e-12);
    }
  }
  CHECK(qlin::log_quantize_one(std::numeric_limits<float>::quiet_NaN(), p) == 0);
  CHECK(qlin::log_dequantize_one(qlin::log_quantize_one(std::numeric_limits<float>::infinity(), p), p) == 8.0f);
  CHECK(qlin::log_dequantize_one(qlin::log_quantize_one(-1e30f, p), p) == -8.0f);
  CHECK(qlin::log_dequantize_one(qlin::log_quantize_one(0.75f, p), p) == 1.0f);  // the tie goes up
  CHECK(qlin::log_dequantize_one(qlin::log_quantize_one(1.4f, p), p) == 1.0f);   // log-domain would give 2
  CHECK(qlin::log_quantize_one(std::ldexp(1.0f, p.emin - 1), p) == 1);           // tie with 0 goes up
  CHECK(qlin::log_quantize_one(std::nextafter(std::ldexp(1.0f, p.emin - 1), 0.0f), p) == 0);
  auto lp = qlin::choose_log_params(3.0f, 15);
  REQUIRE(lp);
  CHECK(lp->emax == 2);
  CHECK(lp->emin == -12);
  CHECK(!qlin::validate(qlin::log_params{3, 2}));
}

TEST_CASE("log multiplication is an addition of exponents", "[power_of_two][log]") {
  const qlin::log_params pa{-6, 3};
  const qlin::log_params pb{-2, 5};
  for (int ca = 0; ca < 256; ++ca) {
    if ((ca & 0x7F) > pa.emax - pa.emin + 1) continue;
    for (int cb = 0; cb < 256; ++cb) {
      if ((cb & 0x7F) > pb.emax - pb.emin + 1) continue;
      const auto a = static_cast<std::uint8_t>(ca);
      const auto b = static_cast<std::uint8_t>(cb);
      const float want = qlin::log_dequantize_one(a, pa) * qlin::log_dequantize_one(b, pb);
      REQUIRE(qlin::log_multiply(a, pa, b, pb).value() == want);
    }
  }
  for (std::int32_t x = -500; x <= 500; x += 7) {
    for (int m = 0; m <= 10; ++m) {
      for (int s = 0; s < 2; ++s) {
        const auto c = static_cast<std::uint8_t>(m | (s << 7));
        const double w = static_cast<double>(qlin::log_dequantize_one(c, pa));
        const double want = std::round(static_cast<double>(x) * w);  // ties away from zero, as the shift
        REQUIRE(qlin::log_multiply_shift(x, c, pa) == static_cast<std::int32_t>(s ? -std::round(x * std::fabs(w)) : want));
      }
    }
  }
}
