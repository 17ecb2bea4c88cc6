// Tests for qlin/requantize.hpp: exhaustive zero point x shift sweeps against exact expected values
// (XNNPACK requantization-tester style), random comparisons with an independent reference
// (fixed_point_oracle.hpp), the real gemmlowp rows, in-place use, errors and empty inputs.
#include <qlin/requantize.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "fixed_point_oracle.hpp"
#include "qlin_catch.hpp"
#include "test_data.hpp"

namespace {

using qlin::errc;
using qlin::qrange;
using qlin::quantized_multiplier;
using qlin::requant_rounding;
using qlin_oracle::i32;
using qlin_oracle::i64;
using qlin_oracle::kMax;
using qlin_oracle::kMin;

constexpr i32 kTwo30 = i32{1} << 30;
constexpr requant_rounding kAllRoundings[] = {requant_rounding::double_rounding, requant_rounding::single_rounding,
                                              requant_rounding::fp32};

// 64-bit exact helpers for the exhaustive sweep (d = 2^e, e <= 32; |n| < 2^33).
i64 floor_div64(i64 n, i64 d) {
  const i64 q = n / d;
  return (q * d > n) ? q - 1 : q;
}
i64 rhu64(i64 n, int e) {  // ties toward +inf
  const i64 d = i64{1} << e;
  const i64 q = floor_div64(n, d);
  return 2 * (n - q * d) >= d ? q + 1 : q;
}
i64 rha64(i64 n, int e) {  // ties away from zero
  const i64 d = i64{1} << e;
  const i64 mag = n < 0 ? -n : n;
  const i64 q = mag / d + (2 * (mag % d) >= d ? 1 : 0);
  return n < 0 ? -q : q;
}
i64 rne64(i64 n, int e) {  // ties to even
  const i64 d = i64{1} << e;
  const i64 q = floor_div64(n, d);
  const i64 r2 = 2 * (n - q * d);
  return r2 > d ? q + 1 : r2 < d ? q : (q % 2 == 0 ? q : q + 1);
}

/// Expected result of requantizing x with real multiplier 2^-(s+1) (double / single rounding:
/// multiplier 2^30 with shift -s; fp32: scale 2^-(s+1)), before the zero point and the clamp.
i64 expected_pow2(i32 x, int s, requant_rounding r) {
  switch (r) {
    case requant_rounding::double_rounding: {
      const i64 h = floor_div64(static_cast<i64>(x) + 1, 2);  // SRDHM(x, 2^30) = x / 2, ties toward +inf
      return rha64(h, s);                                      // RDBPOT(h, s): ties away from zero
    }
    case requant_rounding::single_rounding:
      return rhu64(x, s + 1);
    case requant_rounding::fp32:
      return rne64(qlin_oracle::int_to_f32_exact(x), s + 1);  // f32(x) first, then an exact power-of-two scale
  }
  return 0;
}

/// Independent reference for one element: bias added with saturation, then the rounding's oracle.
i32 reference_one(i32 acc, i32 bias, requant_rounding r, quantized_multiplier m, float scale, i32 zp, i32 qmin, i32 qmax) {
  const i32 a = qlin_oracle::saturate_i32(static_cast<qlin_oracle::i128>(acc) + bias);
  switch (r) {
    case requant_rounding::double_rounding:
      return qlin_oracle::clamp_i64(static_cast<i64>(qlin_oracle::mbqm_double(a, m.multiplier, m.shift)) + zp, qmin, qmax);
    case requant_rounding::single_rounding:
      return qlin_oracle::clamp_i64(static_cast<i64>(qlin_oracle::mbqm_single(a, m.multiplier, m.shift)) + zp, qmin, qmax);
    case requant_rounding::fp32:
      return qlin_oracle::clamp_i64(qlin_oracle::fp32_requant(a, scale, zp, qmin, qmax), qmin, qmax);
  }
  return 0;
}

template <class T>
void exhaustive_pow2_sweep() {
  const i32 tmin = std::numeric_limits<T>::min();
  const i32 tmax = std::numeric_limits<T>::max();
  std::size_t checked = 0, mismatches = 0, ties_double_ne_single = 0, ties_fp32_ne_double = 0, clamped = 0;
  std::vector<i32> xs;
  std::vector<T> out;
  for (i32 zp = tmin; zp <= tmax; ++zp) {
    // Odd zero points also get a narrower clamp (an activation), which may exclude zp itself.
    const qrange clamp = (zp & 1) ? qrange{tmin + 7, tmax - 11} : qrange{tmin, tmax};
    for (int s = 0; s <= 31; ++s) {
      const i64 d = i64{1} << (s + 1);
      xs.clear();
      for (i32 x : {0, 1, -1, kMin, kMin + 1, kMax, kMax - 1}) xs.push_back(x);
      // y = x / 2^(s+1) from just below qmin - zp to just above qmax - zp.
      for (i64 k = static_cast<i64>(clamp.qmin) - zp - 2; k <= static_cast<i64>(clamp.qmax) - zp + 2; ++k) {
        const i64 base = k * d;
        for (i64 x : {base, base + 1, base - 1, base + d / 2, base + d / 2 + 1, base + d / 2 - 1, -base - d / 2}) {
          if (x >= kMin && x <= kMax) xs.push_back(static_cast<i32>(x));
        }
      }
      out.assign(xs.size(), T{0});
      for (requant_rounding r : kAllRoundings) {
        const auto p = r == requant_rounding::fp32
                           ? qlin::make_requantize_params(std::ldexp(1.0, -(s + 1)), zp, clamp, r)
                           : qlin::make_requantize_params(quantized_multiplier{kTwo30, -s}, zp, clamp, r);
        REQUIRE(p);
        if (r == requant_rounding::fp32) REQUIRE(p->scale == std::ldexp(1.0f, -(s + 1)));
        qlin::requantize(xs.data(), xs.size(), out.data(), *p);
        for (std::size_t i = 0; i < xs.size(); ++i) {
          const i64 y = expected_pow2(xs[i], s, r);
          const i32 want = qlin_oracle::clamp_i64(y + zp, clamp.qmin, clamp.qmax);
          clamped += (y + zp != want);
          if (static_cast<i32>(out[i]) != want) {
            if (mismatches++ < 5) {
              CAPTURE(zp, s, qlin::to_string(r), xs[i], want, static_cast<i32>(out[i]));
              CHECK(static_cast<i32>(out[i]) == want);
            }
          }
          ++checked;
        }
      }
      // The sweep really contains ties where the three rules disagree.
      for (i32 x : xs) {
        ties_double_ne_single += expected_pow2(x, s, requant_rounding::double_rounding) !=
                                 expected_pow2(x, s, requant_rounding::single_rounding);
        ties_fp32_ne_double += expected_pow2(x, s, requant_rounding::fp32) != expected_pow2(x, s, requant_rounding::double_rounding);
      }
    }
  }
  CAPTURE(checked, ties_double_ne_single, ties_fp32_ne_double, clamped);
  CHECK(ties_double_ne_single > 1000);
  CHECK(ties_fp32_ne_double > 1000);
  CHECK(clamped > 1000);
  REQUIRE(mismatches == 0);
}

}  // namespace

TEST_CASE("requantize: make_requantize_params(2^-(s+1)) is multiplier 2^30 with shift -s", "[requantize]") {
  for (int s = 0; s <= 31; ++s) {
    const auto p = qlin::make_requantize_params(std::ldexp(1.0, -(s + 1)), 0, qrange{-128, 127});
    REQUIRE(p);
    CHECK(p->multiplier == quantized_multiplier{kTwo30, -s});
  }
}

TEST_CASE("requantize: exhaustive int8 zero points x shifts 0..31 x every rounding with exact ties", "[requantize][exhaustive-lite]") {
  exhaustive_pow2_sweep<std::int8_t>();
}

TEST_CASE("requantize: exhaustive uint8 zero points x shifts 0..31 x every rounding with exact ties", "[requantize][exhaustive-lite]") {
  exhaustive_pow2_sweep<std::uint8_t>();
}

TEST_CASE("requantize: the three roundings on named ties", "[requantize]") {
  // Real multiplier 1/4 (2^30, shift -1); zp 0; int8.
  const qrange r8{-128, 127};
  auto run = [&](i32 x, requant_rounding r) {
    const auto p = r == requant_rounding::fp32 ? qlin::make_requantize_params(0.25, 0, r8, r)
                                               : qlin::make_requantize_params(quantized_multiplier{kTwo30, -1}, 0, r8, r);
    REQUIRE(p);
    std::int8_t o = 0;
    qlin::requantize(&x, 1, &o, *p);
    return static_cast<int>(o);
  };
  // -2.5: double -3 (away), single -2 (toward +inf), fp32 -2 (even).
  CHECK(run(-10, requant_rounding::double_rounding) == -3);
  CHECK(run(-10, requant_rounding::single_rounding) == -2);
  CHECK(run(-10, requant_rounding::fp32) == -2);
  // +2.5: 3, 3, 2.
  CHECK(run(10, requant_rounding::double_rounding) == 3);
  CHECK(run(10, requant_rounding::single_rounding) == 3);
  CHECK(run(10, requant_rounding::fp32) == 2);
  // 0.25: double rounding's second rounding of a rounded tie gives 1.
  CHECK(run(1, requant_rounding::double_rounding) == 1);
  CHECK(run(1, requant_rounding::single_rounding) == 0);
  CHECK(run(1, requant_rounding::fp32) == 0);
  // INT32_MIN / INT32_MAX saturate.
  CHECK(run(kMin, requant_rounding::double_rounding) == -128);
  CHECK(run(kMax, requant_rounding::single_rounding) == 127);
  CHECK(run(kMin, requant_rounding::fp32) == -128);
}

TEST_CASE("requantize: fp32 rounds the accumulator to float32 first when |acc| > 2^24", "[requantize]") {
  // acc = 2^24 + 513, scale 2^-10: exact 16384.5009765625 -> 16385, but f32(acc) = 2^24 + 512
  // so the fp32 path sees the tie 16384.5 and rounds it to even: 16384 (XNNPACK fp32 does the same).
  const qrange r16{-32768, 32767};
  const i32 acc = 16777729;
  REQUIRE(static_cast<float>(acc) == 16777728.0f);
  const auto pf = qlin::make_requantize_params(std::ldexp(1.0, -10), 0, r16, requant_rounding::fp32);
  const auto pd = qlin::make_requantize_params(std::ldexp(1.0, -10), 0, r16, requant_rounding::double_rounding);
  REQUIRE(pf);
  REQUIRE(pd);
  std::int16_t of = 0, od = 0;
  qlin::requantize(&acc, 1, &of, *pf);
  qlin::requantize(&acc, 1, &od, *pd);
  CHECK(of == 16384);
  CHECK(od == 16385);

  // Random large accumulators against the oracle; count where f32 rounding changed the answer.
  qlin_oracle::rng g(0x5EED1001);
  std::size_t mismatches = 0, differs_from_exact = 0;
  for (int i = 0; i < 200000; ++i) {
    const i32 a = static_cast<i32>(g.range(i64{1} << 24, kMax)) * ((i & 1) ? -1 : 1);
    const int e = static_cast<int>(g.range(9, 16));
    const float scale = std::ldexp(1.0f, -e) * (1.0f + static_cast<float>(g.range(0, 1023)) / 1024.0f);
    const auto p = qlin::make_requantize_params(static_cast<double>(scale), 0, r16, requant_rounding::fp32);
    REQUIRE(p);
    std::int16_t o = 0;
    qlin::requantize(&a, 1, &o, *p);
    mismatches += o != reference_one(a, 0, requant_rounding::fp32, {}, scale, 0, -32768, 32767);
    const double exact = static_cast<double>(a) * static_cast<double>(scale);  // exact: 31 + 11 bits
    const i32 exact_q = qlin_oracle::clamp_i64(static_cast<i64>(std::nearbyint(exact)), -32768, 32767);
    differs_from_exact += o != exact_q;
  }
  CHECK(differs_from_exact > 0);
  REQUIRE(mismatches == 0);
}

TEMPLATE_TEST_CASE("requantize and requantize_rows equal an independent reference", "[requantize]", std::int8_t,
                   std::uint8_t, std::int16_t) {
  using T = TestType;
  const i32 tmin = std::numeric_limits<T>::min();
  const i32 tmax = std::numeric_limits<T>::max();
  const qrange full{tmin, tmax};
  qlin_oracle::rng g(0x5EED2000 + sizeof(T) * 7 + (std::is_signed<T>::value ? 1 : 0));
  std::size_t mismatches = 0, cases = 0;
  const std::size_t rows = 9, channels = 13, n = rows * channels;
  std::vector<i32> acc(n), bias(channels);
  std::vector<T> out(n), out2(n);
  for (int trial = 0; trial < 600; ++trial) {
    const requant_rounding r = kAllRoundings[trial % 3];
    // Real multipliers: mostly (2^-24, 4), a few tiny (flushed to 0 in double/single) and large.
    double real = std::ldexp(1.0 + g.unit(), static_cast<int>(g.range(-24, 1)));
    if (trial % 50 == 7) real = 1e-12;
    if (trial % 50 == 11) real = 1000.5;
    if (trial % 50 == 13) real = 0.0;
    const i32 zp = static_cast<i32>(g.range(tmin, tmax));
    const float out_scale = 0.05f;
    qrange clamp = full;
    if (trial % 4 == 1) {  // ReLU
      const auto a = qlin::make_activation_range(out_scale, zp, full, 0.0f, std::numeric_limits<float>::infinity());
      if (a) clamp = *a;
    } else if (trial % 4 == 2) {  // ReLU6
      const auto a = qlin::make_activation_range(out_scale, zp, full, 0.0f, 6.0f);
      if (a) clamp = *a;
    }
    const auto p = qlin::make_requantize_params(real, zp, clamp, r);
    REQUIRE(p);
    for (std::size_t i = 0; i < n; ++i) {
      const int kind = static_cast<int>(g.next() % 8);
      acc[i] = kind == 0 ? kMin : kind == 1 ? kMax : kind < 4 ? g.i32_any() : g.i32_log();
    }
    for (std::size_t c = 0; c < channels; ++c) {
      const int kind = static_cast<int>(g.next() % 6);
      bias[c] = kind == 0 ? kMax : kind == 1 ? kMin : kind == 2 ? g.i32_any() : g.i32_log();
    }
    // Per tensor, no bias.
    qlin::requantize(acc.data(), n, out.data(), *p);
    for (std::size_t i = 0; i < n; ++i) {
      mismatches += static_cast<i32>(out[i]) != reference_one(acc[i], 0, r, p->multiplier, p->scale, zp, clamp.qmin, clamp.qmax);
    }
    // requantize_rows without bias equals requantize.
    qlin::requantize_rows(acc.data(), rows, channels, nullptr, out2.data(), *p);
    mismatches += out != out2;
    // Per tensor with a per-channel bias; acc + bias may overflow int32: qlin saturates (TFLite wraps).
    qlin::requantize_rows(acc.data(), rows, channels, bias.data(), out.data(), *p);
    for (std::size_t i = 0; i < n; ++i) {
      mismatches += static_cast<i32>(out[i]) !=
                    reference_one(acc[i], bias[i % channels], r, p->multiplier, p->scale, zp, clamp.qmin, clamp.qmax);
    }
    // Per-channel parameters.
    std::vector<float> wscales(channels);
    for (auto& w : wscales) w = std::ldexp(1.0f + static_cast<float>(g.unit()), -static_cast<int>(g.range(1, 12)));
    const float in_scale = 0.0123f;
    const auto pc = qlin::make_requantize_params_per_channel(in_scale, wscales.data(), channels, out_scale, zp, clamp, r);
    REQUIRE(pc);
    REQUIRE(pc->channels() == channels);
    qlin::requantize_rows(acc.data(), rows, channels, bias.data(), out.data(), *pc);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = i % channels;
      const double m = static_cast<double>(in_scale) * static_cast<double>(wscales[c]) / static_cast<double>(out_scale);
      const quantized_multiplier qm = *qlin::quantize_multiplier(m);
      if (r != requant_rounding::fp32) mismatches += pc->multipliers[c] != qm;
      mismatches += pc->scales[c] != static_cast<float>(m);
      mismatches += static_cast<i32>(out[i]) !=
                    reference_one(acc[i], bias[c], r, qm, static_cast<float>(m), zp, clamp.qmin, clamp.qmax);
    }
    cases += 4 * n;
  }
  CAPTURE(cases);
  REQUIRE(mismatches == 0);
}

TEST_CASE("requantize: acc + bias saturates instead of wrapping", "[requantize]") {
  const auto p = qlin::make_requantize_params(std::ldexp(1.0, -24), 0, qrange{-128, 127});
  REQUIRE(p);
  const i32 acc[2] = {kMax - 5, kMin + 5};
  const i32 bias[2] = {100, -100};  // TFLite's int32 add would wrap to large values of the other sign
  std::int8_t out[2] = {0, 0};
  qlin::requantize_rows(acc, 1, 2, bias, out, *p);
  CHECK(out[0] == 127);   // saturated to INT32_MAX, * 2^-24 = 128 -> clamped to 127
  CHECK(out[1] == -128);
}

TEST_CASE("requantize: gemmlowp rows through requantize (double rounding) equal clamp(gemmlowp + zp)",
          "[requantize][gemmlowp]") {
  const auto rows = qlin_test::read_rows("gemmlowp_fixedpoint.txt");
  std::size_t used = 0, mismatches = 0;
  struct cfg { i32 zp; qrange r; int type; };  // type 0 int8, 1 uint8, 2 int16
  const cfg cfgs[] = {{0, {-128, 127}, 0},  {-128, {-128, 127}, 0}, {5, {-100, 90}, 0}, {127, {-128, 127}, 0},
                      {0, {0, 255}, 1},     {128, {0, 255}, 1},     {255, {10, 250}, 1}, {0, {-32768, 32767}, 2},
                      {-300, {-32768, 32767}, 2}};
  for (const auto& row : rows) {
    if (row[0] != "mbqm") continue;
    const i32 x = qlin_test::to_i32(row[1]);
    const quantized_multiplier m{qlin_test::to_i32(row[2]), static_cast<int>(qlin_test::to_i64(row[3]))};
    const i32 want = qlin_test::to_i32(row[4]);
    for (const cfg& c : cfgs) {
      const auto p = qlin::make_requantize_params(m, c.zp, c.r, requant_rounding::double_rounding);
      REQUIRE(p);
      const i32 expect = qlin_oracle::clamp_i64(static_cast<i64>(want) + c.zp, c.r.qmin, c.r.qmax);
      i32 got = 0;
      if (c.type == 0) {
        std::int8_t o = 0;
        qlin::requantize(&x, 1, &o, *p);
        got = o;
      } else if (c.type == 1) {
        std::uint8_t o = 0;
        qlin::requantize(&x, 1, &o, *p);
        got = o;
      } else {
        std::int16_t o = 0;
        qlin::requantize(&x, 1, &o, *p);
        got = o;
      }
      if (got != expect && mismatches++ < 5) {
        CAPTURE(x, m.multiplier, m.shift, want, c.zp, expect, got);
        CHECK(got == expect);
      }
    }
    ++used;
  }
  CHECK(used > 1000);
  REQUIRE(mismatches == 0);
}

TEST_CASE("requantize: in place (int8 / uint8 output over the accumulator buffer) equals out of place", "[requantize]") {
  qlin_oracle::rng g(0x5EED3000);
  const std::size_t rows = 37, channels = 11, n = rows * channels;
  std::vector<i32> acc(n), bias(channels);
  for (auto& a : acc) a = (g.next() & 1) ? g.i32_any() : g.i32_log();
  for (auto& b : bias) b = g.i32_log();
  for (requant_rounding r : kAllRoundings) {
    const auto p8 = qlin::make_requantize_params(0.00071, -3, qrange{-128, 127}, r);
    const auto pu8 = qlin::make_requantize_params(0.00071, 131, qrange{0, 255}, r);
    REQUIRE(p8);
    REQUIRE(pu8);
    {
      std::vector<std::int8_t> ref(n);
      qlin::requantize(acc.data(), n, ref.data(), *p8);
      std::vector<i32> buf = acc;
      qlin::requantize(buf.data(), n, reinterpret_cast<std::int8_t*>(buf.data()), *p8);
      CHECK(std::memcmp(buf.data(), ref.data(), n) == 0);
      qlin::requantize_rows(acc.data(), rows, channels, bias.data(), ref.data(), *p8);
      buf = acc;
      qlin::requantize_rows(buf.data(), rows, channels, bias.data(), reinterpret_cast<std::int8_t*>(buf.data()), *p8);
      CHECK(std::memcmp(buf.data(), ref.data(), n) == 0);
    }
    {
      std::vector<std::uint8_t> ref(n);
      qlin::requantize(acc.data(), n, ref.data(), *pu8);
      std::vector<i32> buf = acc;
      qlin::requantize(buf.data(), n, reinterpret_cast<std::uint8_t*>(buf.data()), *pu8);
      CHECK(std::memcmp(buf.data(), ref.data(), n) == 0);
      std::vector<float> w(channels, 0.02f);
      const auto pc = qlin::make_requantize_params_per_channel(0.5f, w.data(), channels, 0.7f, 131, qrange{0, 255}, r);
      REQUIRE(pc);
      qlin::requantize_rows(acc.data(), rows, channels, bias.data(), ref.data(), *pc);
      buf = acc;
      qlin::requantize_rows(buf.data(), rows, channels, bias.data(), reinterpret_cast<std::uint8_t*>(buf.data()), *pc);
      CHECK(std::memcmp(buf.data(), ref.data(), n) == 0);
    }
  }
}

TEST_CASE("requantize: parameter errors", "[requantize]") {
  const qrange r8{-128, 127};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (requant_rounding r : kAllRoundings) {
    CAPTURE(qlin::to_string(r));
    CHECK(qlin::make_requantize_params(nan, 0, r8, r).code() == errc::non_finite_input);
    CHECK(qlin::make_requantize_params(inf, 0, r8, r).code() == errc::non_finite_input);
    CHECK(qlin::make_requantize_params(-inf, 0, r8, r).code() == errc::non_finite_input);
    CHECK(qlin::make_requantize_params(-0.5, 0, r8, r).code() == errc::unrepresentable_multiplier);
    CHECK(qlin::make_requantize_params(0.5, 0, qrange{5, 5}, r).code() == errc::invalid_range);
    CHECK(qlin::make_requantize_params(0.5, 0, qrange{6, 5}, r).code() == errc::invalid_range);
    CHECK(qlin::make_requantize_params(0.5, 65537, r8, r).code() == errc::zero_point_out_of_range);
    CHECK(qlin::make_requantize_params(0.5, -65537, r8, r).code() == errc::zero_point_out_of_range);
    CHECK(qlin::make_requantize_params(0.5, 0, r8, r));
    CHECK(qlin::make_requantize_params(0.0, 0, r8, r));  // zero multiplier: everything maps to zp
  }
  // Too large: for double / single no (Q31, shift <= 30) exists; fp32 only refuses float overflow.
  CHECK(qlin::make_requantize_params(std::ldexp(1.0, 30), 0, r8).code() == errc::unrepresentable_multiplier);
  CHECK(qlin::make_requantize_params(std::ldexp(1.0, 30), 0, r8, requant_rounding::fp32));
  CHECK(qlin::make_requantize_params(1e300, 0, r8, requant_rounding::fp32).code() == errc::invalid_scale);
  // (multiplier, shift) overload.
  CHECK(qlin::make_requantize_params(quantized_multiplier{kTwo30, -3}, 0, r8, requant_rounding::fp32).code() ==
        errc::invalid_argument);
  CHECK(qlin::make_requantize_params(quantized_multiplier{-1, -3}, 0, r8).code() == errc::unrepresentable_multiplier);
  CHECK(qlin::make_requantize_params(quantized_multiplier{kTwo30, -32}, 0, r8).code() == errc::shift_out_of_range);
  CHECK(qlin::make_requantize_params(quantized_multiplier{kTwo30, 31}, 0, r8).code() == errc::shift_out_of_range);
  CHECK(qlin::make_requantize_params(quantized_multiplier{kTwo30, -3}, 0, qrange{3, 3}).code() == errc::invalid_range);
  const auto ok = qlin::make_requantize_params(quantized_multiplier{kTwo30, -3}, 7, r8, requant_rounding::single_rounding);
  REQUIRE(ok);
  CHECK(ok->scale == 0.0625f);
  CHECK(ok->zero_point == 7);

  // Per channel.
  const std::vector<float> w = {0.1f, 0.0f, 0.3f};
  CHECK(qlin::make_requantize_params_per_channel(0.5f, w.data(), 3, 0.25f, 0, r8).code() == errc::invalid_scale);
  const std::vector<float> wn = {0.1f, std::numeric_limits<float>::quiet_NaN()};
  CHECK(qlin::make_requantize_params_per_channel(0.5f, wn.data(), 2, 0.25f, 0, r8).code() == errc::invalid_scale);
  const std::vector<float> wok = {0.1f, 0.2f};
  CHECK(qlin::make_requantize_params_per_channel(0.0f, wok.data(), 2, 0.25f, 0, r8).code() == errc::invalid_scale);
  CHECK(qlin::make_requantize_params_per_channel(0.5f, wok.data(), 2, -1.0f, 0, r8).code() == errc::invalid_scale);
  CHECK(qlin::make_requantize_params_per_channel(0.5f, wok.data(), 2, 0.25f, 0, qrange{1, 0}).code() == errc::invalid_range);
  const std::vector<float> wbig = {1e30f};
  CHECK(qlin::make_requantize_params_per_channel(1e10f, wbig.data(), 1, 1e-10f, 0, r8).code() ==
        errc::unrepresentable_multiplier);
  const auto empty = qlin::make_requantize_params_per_channel(0.5f, nullptr, 0, 0.25f, 0, r8);
  REQUIRE(empty);
  CHECK(empty->channels() == 0);
}

TEST_CASE("requantize: make_activation_range", "[requantize]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const qrange r8{-128, 127};
  // No activation.
  CHECK(*qlin::make_activation_range(0.05f, -10, r8, -inf, inf) == r8);
  // ReLU: qmin = zp.
  CHECK(*qlin::make_activation_range(0.05f, -10, r8, 0.0f, inf) == qrange{-10, 127});
  // ReLU6: qmax = zp + round_half_away(6 / scale) (TFLite CalculateActivationRangeQuantized).
  const i32 six = static_cast<i32>(std::lround(6.0f / 0.05f));
  CHECK(*qlin::make_activation_range(0.05f, -10, r8, 0.0f, 6.0f) == qrange{-10, -10 + six});
  CHECK(*qlin::make_activation_range(0.1f, 0, qrange{0, 255}, 0.0f, 6.0f) == qrange{0, 60});
  // The activation is wider than the output: the output range wins.
  CHECK(*qlin::make_activation_range(0.01f, 0, r8, 0.0f, 6.0f) == qrange{0, 127});
  CHECK(*qlin::make_activation_range(0.01f, 100, r8, -1000.0f, 1000.0f) == r8);
  // Half-away rounding of the bound: 0.25 / 0.1f = 2.4999999 -> 2; 0.35f / 0.1f = 3.5 -> 4 (away).
  CHECK(qlin::make_activation_range(0.1f, 0, r8, 0.0f, 0.35f)->qmax == static_cast<i32>(std::lround(0.35f / 0.1f)));
  CHECK(qlin::make_activation_range(0.5f, 0, r8, -1.25f, 1.25f).value() == qrange{-3, 3});  // -2.5 -> -3, 2.5 -> 3
  // Bad inputs.
  CHECK(qlin::make_activation_range(0.0f, 0, r8, 0.0f, 6.0f).code() == errc::invalid_scale);
  CHECK(qlin::make_activation_range(-0.1f, 0, r8, 0.0f, 6.0f).code() == errc::invalid_scale);
  CHECK(qlin::make_activation_range(nan, 0, r8, 0.0f, 6.0f).code() == errc::invalid_scale);
  CHECK(qlin::make_activation_range(inf, 0, r8, 0.0f, 6.0f).code() == errc::invalid_scale);
  CHECK(qlin::make_activation_range(0.1f, 0, r8, nan, 6.0f).code() == errc::min_greater_than_max);
  CHECK(qlin::make_activation_range(0.1f, 0, r8, 0.0f, nan).code() == errc::min_greater_than_max);
  CHECK(qlin::make_activation_range(0.1f, 0, r8, 6.0f, 0.0f).code() == errc::min_greater_than_max);
  // A range that leaves fewer than two codes.
  CHECK(qlin::make_activation_range(0.1f, 0, r8, 0.0f, 0.0f).code() == errc::invalid_range);
  CHECK(qlin::make_activation_range(0.1f, 127, r8, 0.0f, inf).code() == errc::invalid_range);  // ReLU with zp = qmax
  CHECK(qlin::make_activation_range(1e-30f, 0, r8, 1.0f, inf).code() == errc::invalid_range);
}

TEST_CASE("requantize: n == 0 with null pointers does nothing", "[requantize]") {
  const auto p = qlin::make_requantize_params(0.5, 0, qrange{-128, 127});
  REQUIRE(p);
  qlin::requantize(static_cast<const i32*>(nullptr), 0, static_cast<std::int8_t*>(nullptr), *p);
  qlin::requantize_rows(static_cast<const i32*>(nullptr), 0, 0, nullptr, static_cast<std::int8_t*>(nullptr), *p);
  const auto pu = qlin::make_requantize_params(0.5, 128, qrange{0, 255}, requant_rounding::fp32);
  REQUIRE(pu);
  qlin::requantize(static_cast<const i32*>(nullptr), 0, static_cast<std::uint8_t*>(nullptr), *pu);
  qlin::requantize_rows(static_cast<const i32*>(nullptr), 5, 0, nullptr, static_cast<std::uint8_t*>(nullptr), *pu);
  qlin::requantize_rows(static_cast<const i32*>(nullptr), 0, 7, nullptr, static_cast<std::uint8_t*>(nullptr), *pu);
  const auto pc = qlin::make_requantize_params_per_channel(0.5f, nullptr, 0, 0.25f, 0, qrange{-128, 127});
  REQUIRE(pc);
  qlin::requantize_rows(static_cast<const i32*>(nullptr), 3, 0, nullptr, static_cast<std::int16_t*>(nullptr), *pc);
  SUCCEED("no access");
}

TEST_CASE("requantize: compat defaults and names", "[requantize]") {
  CHECK(qlin::default_requant_rounding(qlin::compat::tflite) == requant_rounding::double_rounding);
  CHECK(qlin::default_requant_rounding(qlin::compat::gemmlowp) == requant_rounding::double_rounding);
  CHECK(qlin::default_requant_rounding(qlin::compat::xnnpack) == requant_rounding::fp32);
  CHECK(qlin::default_requant_rounding(qlin::compat::pytorch) == requant_rounding::fp32);
  CHECK(std::string(qlin::to_string(requant_rounding::single_rounding)) == "single");
}
