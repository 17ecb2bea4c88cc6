// Tests for qlin/gemm.hpp: the scalar reference (qlin::reference::) and the dispatched functions
// (qlin::) against an independent oracle (an int64 triple loop over the unpacked matrices, then
// saturation), on random data, full-range extremes (255 / -128 / 127), zero points at the ends of
// their ranges, m / n / k in {0, 1, odd, tails}, depths beyond max_safe_depth, bias overflow, every
// requant_rounding and output type; plus max_safe_depth, quantize_bias and the errors.
#include <qlin/gemm.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

using qlin::errc;
using qlin::packed_weights_s8;
using qlin::requant_rounding;
using i64 = std::int64_t;

constexpr std::int32_t kMin32 = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kMax32 = std::numeric_limits<std::int32_t>::max();

std::int32_t sat32(i64 v) { return v > kMax32 ? kMax32 : v < kMin32 ? kMin32 : static_cast<std::int32_t>(v); }

// The oracle: acc[i][c] = saturate(sum_k (x - zx)(w - zw[c])) in int64, no algebra.
template <class X>
std::vector<i64> oracle_exact(const std::vector<X>& x, std::size_t m, std::size_t k, std::int32_t zx,
                              const std::vector<std::int8_t>& w, std::size_t n, const std::vector<std::int32_t>& zw) {
  std::vector<i64> acc(m * n);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t c = 0; c < n; ++c) {
      i64 s = 0;
      for (std::size_t kk = 0; kk < k; ++kk) s += (i64{x[i * k + kk]} - zx) * (i64{w[c * k + kk]} - zw[c]);
      acc[i * n + c] = s;
    }
  return acc;
}
template <class X>
std::vector<std::int32_t> oracle(const std::vector<X>& x, std::size_t m, std::size_t k, std::int32_t zx,
                                 const std::vector<std::int8_t>& w, std::size_t n, const std::vector<std::int32_t>& zw) {
  const std::vector<i64> e = oracle_exact(x, m, k, zx, w, n, zw);
  std::vector<std::int32_t> r(e.size());
  for (std::size_t i = 0; i < e.size(); ++i) r[i] = sat32(e[i]);
  return r;
}

template <class T>
std::vector<T> random_vec(std::size_t n, std::mt19937& rng, int lo = std::numeric_limits<T>::min(),
                          int hi = std::numeric_limits<T>::max()) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(n);
  for (auto& e : v) e = static_cast<T>(d(rng));
  return v;
}

packed_weights_s8 pack(const std::vector<std::int8_t>& w, std::size_t n, std::size_t k, const std::vector<std::int32_t>& zw) {
  auto p = qlin::pack_weights_s8(w.data(), n, k, zw.data());
  REQUIRE(p.has_value());
  return std::move(p).value();
}

// Both paths (reference and dispatched) equal the oracle for one problem.
template <class X>
void check_gemm(const std::vector<X>& x, std::size_t m, std::size_t k, std::int32_t zx, const std::vector<std::int8_t>& w,
                std::size_t n, const std::vector<std::int32_t>& zw) {
  const packed_weights_s8 pw = pack(w, n, k, zw);
  const std::vector<std::int32_t> want = oracle(x, m, k, zx, w, n, zw);
  std::vector<std::int32_t> ref(m * n, 12345), got(m * n, 12345);
  if constexpr (std::is_same<X, std::int8_t>::value) {
    REQUIRE(qlin::reference::gemm_s8s8_s32(x.data(), m, k, zx, pw, ref.data()));
    REQUIRE(qlin::gemm_s8s8_s32(x.data(), m, k, zx, pw, got.data()));
  } else {
    REQUIRE(qlin::reference::gemm_u8s8_s32(x.data(), m, k, zx, pw, ref.data()));
    REQUIRE(qlin::gemm_u8s8_s32(x.data(), m, k, zx, pw, got.data()));
  }
  INFO("m=" << m << " n=" << n << " k=" << k << " zx=" << zx);
  CHECK(ref == want);
  CHECK(got == want);
}

}  // namespace

TEST_CASE("max_safe_depth: known values and exactness", "[gemm]") {
  CHECK(qlin::max_safe_depth(-128, 127, -128, 127) == 131071);
  CHECK(qlin::max_safe_depth(0, 255, -128, 127) == 65793);
  CHECK(qlin::max_safe_depth(-127, 127, -127, 127) == 133144);  // (2^31 - 1) / 16129
  CHECK(qlin::max_safe_depth(0, 255, -127, 127) == 66311);      // (2^31 - 1) / 32385
  CHECK(qlin::max_safe_depth(-32768, 32767, -128, 127) == 511);  // -32768 * -128 = +2^22
  CHECK(qlin::max_safe_depth(-32768, 32767, -32768, 32767) == 1);  // 2^30 fits once, twice is 2^31
  CHECK(qlin::max_safe_depth(0, 0, -128, 127) == std::numeric_limits<std::size_t>::max());
  CHECK(qlin::max_safe_depth(kMin32, kMax32, kMin32, kMax32) == 0);
  CHECK(qlin::max_safe_depth(1, 0, 0, 1) == 0);  // empty interval
  // Exact: K products of the worst corner fit, K + 1 do not (for the sign that binds).
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::int32_t> d(-40000, 40000);
  for (int t = 0; t < 2000; ++t) {
    std::int32_t a0 = d(rng), a1 = d(rng), b0 = d(rng), b1 = d(rng);
    if (a0 > a1) std::swap(a0, a1);
    if (b0 > b1) std::swap(b0, b1);
    const std::size_t kk = qlin::max_safe_depth(a0, a1, b0, b1);
    const i64 c[4] = {i64{a0} * b0, i64{a0} * b1, i64{a1} * b0, i64{a1} * b1};
    i64 lo = 0, hi = 0;
    for (i64 v : c) lo = std::min(lo, v), hi = std::max(hi, v);
    if (kk == std::numeric_limits<std::size_t>::max()) {
      CHECK((lo == 0 && hi == 0));
      continue;
    }
    const i64 K = static_cast<i64>(kk);
    CHECK(K * hi <= kMax32);
    CHECK(K * lo >= i64{kMin32});
    CHECK(((K + 1) * hi > kMax32 || (K + 1) * lo < i64{kMin32}));
  }
}

TEST_CASE("gemm: random, all small shapes and zero points", "[gemm]") {
  std::mt19937 rng(1);
  const std::size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 33};
  const std::int32_t zxs8[] = {-128, -1, 0, 5, 127};
  const std::int32_t zxu8[] = {0, 1, 128, 200, 255};
  for (std::size_t m : sizes)
    for (std::size_t n : sizes)
      for (std::size_t k : sizes) {
        const auto w = random_vec<std::int8_t>(n * k, rng);
        std::vector<std::int32_t> zw = random_vec<std::int32_t>(n, rng, -128, 127);
        if (n > 0) zw[0] = -128, zw[n - 1] = 127;
        const auto xs = random_vec<std::int8_t>(m * k, rng);
        const auto xu = random_vec<std::uint8_t>(m * k, rng);
        check_gemm(xs, m, k, zxs8[(m + n + k) % 5], w, n, zw);
        check_gemm(xu, m, k, zxu8[(m + 2 * n + k) % 5], w, n, zw);
      }
}

TEST_CASE("gemm: full-range extremes", "[gemm]") {
  const std::size_t m = 3, n = 19, k = 37;
  for (int xv : {-128, 127})
    for (int wv : {-128, 127})
      for (std::int32_t zx : {-128, 0, 127})
        for (std::int32_t zw : {-128, 0, 127}) {
          const std::vector<std::int8_t> x(m * k, static_cast<std::int8_t>(xv)), w(n * k, static_cast<std::int8_t>(wv));
          check_gemm(x, m, k, zx, w, n, std::vector<std::int32_t>(n, zw));
        }
  for (int xv : {0, 255})
    for (int wv : {-128, 127})
      for (std::int32_t zx : {0, 255})
        for (std::int32_t zw : {-128, 127}) {
          const std::vector<std::uint8_t> x(m * k, static_cast<std::uint8_t>(xv));
          const std::vector<std::int8_t> w(n * k, static_cast<std::int8_t>(wv));
          check_gemm(x, m, k, zx, w, n, std::vector<std::int32_t>(n, zw));
        }
  // 255 x -128 in every pair: the vpmaddubsw trap (a pair sums to -65280) must not appear.
  std::vector<std::uint8_t> x(m * k, 255);
  std::vector<std::int8_t> w(n * k, -128);
  check_gemm(x, m, k, 0, w, n, std::vector<std::int32_t>(n, 0));
  std::vector<std::int32_t> acc(m * n);
  REQUIRE(qlin::gemm_u8s8_s32(x.data(), m, k, 0, pack(w, n, k, std::vector<std::int32_t>(n, 0)), acc.data()));
  CHECK(acc[0] == 255 * -128 * static_cast<int>(k));
}

TEST_CASE("gemm: depth beyond max_safe_depth saturates, never wraps", "[gemm]") {
  const std::size_t m = 2, n = 17;
  {  // int8: 140000 > 131071 products of -128 * -128
    const std::size_t k = 140000;
    const std::vector<std::int8_t> x(m * k, -128), w(n * k, -128);
    std::vector<std::int32_t> zw(n, 0);
    zw[1] = -128;  // channel 1: (x)(w + 128) = 0
    zw[2] = 127;   // channel 2: -128 * -255 * k: positive, saturates
    check_gemm(x, m, k, 0, w, n, zw);
    const packed_weights_s8 pw = pack(w, n, k, zw);
    std::vector<std::int32_t> acc(m * n);
    REQUIRE(qlin::gemm_s8s8_s32(x.data(), m, k, 0, pw, acc.data()));
    CHECK(acc[0] == kMax32);
    CHECK(acc[1] == 0);
    CHECK(acc[2] == kMax32);
    REQUIRE(qlin::gemm_s8s8_s32(x.data(), m, k, -128, pw, acc.data()));  // x - zx == 0
    CHECK(acc[0] == 0);
    REQUIRE(qlin::gemm_s8s8_s32(x.data(), m, k, 127, pw, acc.data()));  // -255 * -128 * k
    CHECK(acc[0] == kMax32);
    CHECK(acc[n] == kMax32);
  }
  {  // uint8: 70000 > 65793; the raw dot overflows int32 but the corrected result fits
    const std::size_t k = 70000;
    std::mt19937 rng(3);
    std::vector<std::uint8_t> x(m * k, 255);
    std::vector<std::int8_t> w(n * k, -128);
    std::vector<std::int32_t> zw(n, 0);
    check_gemm(x, m, k, 128, w, n, zw);  // 127 * -128 * 70000 = -1.14e9 fits
    check_gemm(x, m, k, 0, w, n, zw);    // -2.28e9: saturates to INT32_MIN
    const packed_weights_s8 pw = pack(w, n, k, zw);
    std::vector<std::int32_t> acc(m * n);
    REQUIRE(qlin::gemm_u8s8_s32(x.data(), m, k, 128, pw, acc.data()));
    CHECK(acc[0] == 127 * -128 * 70000);
    REQUIRE(qlin::reference::gemm_u8s8_s32(x.data(), m, k, 0, pw, acc.data()));
    CHECK(acc[0] == kMin32);
    x = random_vec<std::uint8_t>(m * k, rng);
    w = random_vec<std::int8_t>(n * k, rng);
    zw = random_vec<std::int32_t>(n, rng, -128, 127);
    check_gemm(x, m, k, 77, w, n, zw);
  }
}

TEST_CASE("gemm: k == 0, m == 0, n == 0 and gemv", "[gemm]") {
  const std::vector<std::int8_t> none;
  const packed_weights_s8 pw = pack(none, 5, 0, std::vector<std::int32_t>(5, 3));
  CHECK(pw.rows() == 5);
  CHECK(pw.depth() == 0);
  std::vector<std::int32_t> acc(2 * 5, 99);
  REQUIRE(qlin::gemm_s8s8_s32(nullptr, 2, 0, 7, pw, acc.data()));
  CHECK(acc == std::vector<std::int32_t>(10, 0));
  REQUIRE(qlin::gemm_s8s8_s32(nullptr, 0, 0, 7, pw, nullptr));
  const std::vector<std::int32_t> bias = {1, kMax32, kMin32, -4, 5};
  REQUIRE(qlin::gemm_s8s8_s32(nullptr, 2, 0, 7, pw, bias.data(), acc.data()));
  CHECK(acc[6] == kMax32);
  CHECK(acc[7] == kMin32);
  // gemv == one row of gemm
  std::mt19937 rng(5);
  const std::size_t n = 37, k = 101;
  const auto w = random_vec<std::int8_t>(n * k, rng);
  const auto zw = random_vec<std::int32_t>(n, rng, -128, 127);
  const packed_weights_s8 p2 = pack(w, n, k, zw);
  const auto x = random_vec<std::int8_t>(k, rng);
  std::vector<std::int32_t> a(n), b(n);
  REQUIRE(qlin::gemv_s8s8_s32(x.data(), k, -3, p2, a.data()));
  CHECK(a == oracle(x, 1, k, -3, w, n, zw));
  const auto xu = random_vec<std::uint8_t>(k, rng);
  REQUIRE(qlin::gemv_u8s8_s32(xu.data(), k, 200, p2, b.data()));
  CHECK(b == oracle(xu, 1, k, 200, w, n, zw));
}

TEST_CASE("gemm: packing layout and row sums", "[gemm]") {
  std::mt19937 rng(9);
  const std::size_t n = 21, k = 7;
  const auto w = random_vec<std::int8_t>(n * k, rng);
  const packed_weights_s8 p = pack(w, n, k, std::vector<std::int32_t>(n, 0));
  CHECK(p.padded_depth() == 8);
  CHECK(p.panels() == 2);
  CHECK_FALSE(p.has_zero_points());
  for (std::size_t c = 0; c < n; ++c) {
    i64 s = 0;
    for (std::size_t kk = 0; kk < k; ++kk) {
      CHECK(p.weight(c, kk) == w[c * k + kk]);
      CHECK(p.data()[(c / 16) * 16 * 8 + (kk / 4) * 64 + (c % 16) * 4 + kk % 4] == w[c * k + kk]);
      s += w[c * k + kk];
    }
    CHECK(p.row_sum(c) == s);
    CHECK(p.data()[(c / 16) * 16 * 8 + 64 + (c % 16) * 4 + 3] == 0);  // depth padding
  }
  CHECK(p.panel(1)[(21 % 16) * 4] == 0);  // channel padding
  auto q = qlin::pack_weights_s8(w.data(), n, k, nullptr);
  REQUIRE(q.has_value());
  CHECK(q->zero_point(3) == 0);
}

TEST_CASE("gemm: errors", "[gemm]") {
  std::mt19937 rng(11);
  const std::size_t n = 4, k = 6;
  const auto w = random_vec<std::int8_t>(n * k, rng);
  std::vector<std::int32_t> zw(n, 0);
  zw[2] = 128;
  CHECK(qlin::pack_weights_s8(w.data(), n, k, zw.data()).code() == errc::zero_point_out_of_range);
  zw[2] = -129;
  CHECK(qlin::pack_weights_s8(w.data(), n, k, zw.data()).code() == errc::zero_point_out_of_range);
  const packed_weights_s8 p = pack(w, n, k, std::vector<std::int32_t>(n, 0));
  const auto xs = random_vec<std::int8_t>(2 * k, rng);
  const auto xu = random_vec<std::uint8_t>(2 * k, rng);
  std::vector<std::int32_t> acc(2 * n);
  CHECK(qlin::gemm_s8s8_s32(xs.data(), 2, k - 1, 0, p, acc.data()).code() == errc::invalid_argument);
  CHECK(qlin::gemm_s8s8_s32(xs.data(), 2, k, 128, p, acc.data()).code() == errc::zero_point_out_of_range);
  CHECK(qlin::gemm_s8s8_s32(xs.data(), 2, k, -129, p, acc.data()).code() == errc::zero_point_out_of_range);
  CHECK(qlin::gemm_u8s8_s32(xu.data(), 2, k, -1, p, acc.data()).code() == errc::zero_point_out_of_range);
  CHECK(qlin::gemm_u8s8_s32(xu.data(), 2, k, 256, p, acc.data()).code() == errc::zero_point_out_of_range);
  CHECK(qlin::reference::gemm_u8s8_s32(xu.data(), 2, k, 256, p, acc.data()).code() == errc::zero_point_out_of_range);
  qlin::per_channel_requantize_params pc;
  pc.multipliers.resize(n - 1);
  pc.scales.resize(n - 1);
  std::vector<std::int8_t> out(2 * n);
  CHECK(qlin::gemm_s8s8_requantize(xs.data(), 2, k, 0, p, nullptr, pc, out.data()).code() == errc::invalid_argument);
  qlin::requantize_params pt;
  pt.qmin = -129;
  CHECK(qlin::gemm_s8s8_requantize(xs.data(), 2, k, 0, p, nullptr, pt, out.data()).code() == errc::invalid_range);
  pt.qmin = 0;
  pt.qmax = 255;
  CHECK(qlin::gemm_s8s8_requantize(xs.data(), 2, k, 0, p, nullptr, pt, out.data()).code() == errc::invalid_range);
  std::vector<std::uint8_t> outu(2 * n);
  CHECK(qlin::gemm_u8s8_requantize(xu.data(), 2, k, 0, p, nullptr, pt, outu.data()));
  std::vector<float> f(2 * n);
  const std::vector<float> sw = {1.0f, 1.0f, 0.0f, 1.0f};
  CHECK(qlin::gemm_s8s8_f32(xs.data(), 2, k, 0, p, 1.0f, sw.data(), nullptr, f.data()).code() == errc::invalid_scale);
}

TEST_CASE("gemm: fused requantization, every rounding, bias overflow", "[gemm]") {
  std::mt19937 rng(13);
  const std::size_t m = 9, n = 35, k = 67;
  const auto w = random_vec<std::int8_t>(n * k, rng);
  const auto zw = random_vec<std::int32_t>(n, rng, -128, 127);
  const packed_weights_s8 pw = pack(w, n, k, zw);
  const auto xs = random_vec<std::int8_t>(m * k, rng);
  const auto xu = random_vec<std::uint8_t>(m * k, rng);
  std::vector<std::int32_t> bias = random_vec<std::int32_t>(n, rng, -100000, 100000);
  bias[0] = kMax32;
  bias[1] = kMin32;
  bias[2] = kMax32 - 5;
  std::vector<float> wscale(n);
  for (std::size_t c = 0; c < n; ++c) wscale[c] = 0.001f * static_cast<float>(c + 1);
  const std::vector<std::int32_t> acc_s = oracle(xs, m, k, -7, w, n, zw);
  const std::vector<std::int32_t> acc_u = oracle(xu, m, k, 131, w, n, zw);
  for (requant_rounding r : {requant_rounding::double_rounding, requant_rounding::single_rounding, requant_rounding::fp32}) {
    INFO("rounding " << qlin::to_string(r));
    auto pt = qlin::make_requantize_params(0.0123, 5, qlin::qrange{-128, 127}, r);
    REQUIRE(pt.has_value());
    auto pc = qlin::make_requantize_params_per_channel(0.05f, wscale.data(), n, 0.2f, -3, qlin::qrange{-120, 100}, r);
    REQUIRE(pc.has_value());
    std::vector<std::int8_t> want(m * n), got(m * n);
    qlin::requantize_rows(acc_s.data(), m, n, bias.data(), want.data(), *pt);
    REQUIRE(qlin::gemm_s8s8_requantize(xs.data(), m, k, -7, pw, bias.data(), *pt, got.data()));
    CHECK(got == want);
    qlin::requantize_rows(acc_s.data(), m, n, bias.data(), want.data(), *pc);
    REQUIRE(qlin::gemm_s8s8_requantize(xs.data(), m, k, -7, pw, bias.data(), *pc, got.data()));
    CHECK(got == want);
    qlin::requantize_rows(acc_u.data(), m, n, nullptr, want.data(), *pc);
    REQUIRE(qlin::gemm_u8s8_requantize(xu.data(), m, k, 131, pw, nullptr, *pc, got.data()));
    CHECK(got == want);
    // uint8 and int16 outputs
    auto pu = qlin::make_requantize_params(0.0123, 128, qlin::qrange{0, 255}, r);
    REQUIRE(pu.has_value());
    std::vector<std::uint8_t> wu(m * n), gu(m * n);
    qlin::requantize_rows(acc_u.data(), m, n, bias.data(), wu.data(), *pu);
    REQUIRE(qlin::gemm_u8s8_requantize(xu.data(), m, k, 131, pw, bias.data(), *pu, gu.data()));
    CHECK(gu == wu);
    auto p16 = qlin::make_requantize_params(0.5, 0, qlin::qrange{-32768, 32767}, r);
    REQUIRE(p16.has_value());
    std::vector<std::int16_t> w16(m * n), g16(m * n);
    qlin::requantize_rows(acc_s.data(), m, n, bias.data(), w16.data(), *p16);
    REQUIRE(qlin::gemm_s8s8_requantize(xs.data(), m, k, -7, pw, bias.data(), *p16, g16.data()));
    CHECK(g16 == w16);
  }
  // int32 output with bias: saturating.
  std::vector<std::int32_t> got(m * n);
  REQUIRE(qlin::gemm_s8s8_s32(xs.data(), m, k, -7, pw, bias.data(), got.data()));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t c = 0; c < n; ++c) CHECK(got[i * n + c] == sat32(i64{acc_s[i * n + c]} + bias[c]));
  // float output
  std::vector<float> fb(n), fo(m * n);
  for (std::size_t c = 0; c < n; ++c) fb[c] = 0.25f * static_cast<float>(c) - 3.0f;
  REQUIRE(qlin::gemm_u8s8_f32(xu.data(), m, k, 131, pw, 0.02f, wscale.data(), fb.data(), fo.data()));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t c = 0; c < n; ++c) {
      const float s = 0.02f * wscale[c];
      const float v = static_cast<float>(acc_u[i * n + c]) * s;
      CHECK(fo[i * n + c] == v + fb[c]);
    }
  // more rows than one output block (64)
  const std::size_t mb = 150;
  const auto xb = random_vec<std::int8_t>(mb * k, rng);
  const std::vector<std::int32_t> accb = oracle(xb, mb, k, 3, w, n, zw);
  auto pt = qlin::make_requantize_params(0.01, 0, qlin::qrange{-128, 127}, requant_rounding::single_rounding);
  std::vector<std::int8_t> want(mb * n), gotb(mb * n);
  qlin::requantize_rows(accb.data(), mb, n, bias.data(), want.data(), *pt);
  REQUIRE(qlin::gemm_s8s8_requantize(xb.data(), mb, k, 3, pw, bias.data(), *pt, gotb.data()));
  CHECK(gotb == want);
}

TEST_CASE("gemm: int16 x int8 with int64 accumulators", "[gemm]") {
  std::mt19937 rng(17);
  for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{511}, std::size_t{513}, std::size_t{3000}}) {
    const std::size_t m = 3, n = 18;
    const auto w = random_vec<std::int8_t>(n * k, rng);
    auto zw = random_vec<std::int32_t>(n, rng, -128, 127);
    std::vector<std::int16_t> x = random_vec<std::int16_t>(m * k, rng);
    for (std::size_t i = 0; i < k; ++i) x[i] = -32768;  // row 0 at the extreme
    const packed_weights_s8 pw = pack(w, n, k, zw);
    for (std::int32_t zx : {-32768, 0, 32767}) {
      std::vector<i64> got(m * n);
      REQUIRE(qlin::gemm_s16s8_s64(x.data(), m, k, zx, pw, got.data()));
      CHECK(got == oracle_exact(x, m, k, zx, w, n, zw));
    }
  }
  const packed_weights_s8 pw = pack(std::vector<std::int8_t>(4, 1), 1, 4, std::vector<std::int32_t>(1, 0));
  const std::vector<std::int16_t> x(4, 1);
  i64 a = 0;
  CHECK(qlin::gemm_s16s8_s64(x.data(), 1, 4, 32768, pw, &a).code() == errc::zero_point_out_of_range);
  // -32768 x -128 for 100000 products: 4.2e11, exact in int64.
  const std::size_t k = 100000;
  const packed_weights_s8 pb = pack(std::vector<std::int8_t>(k, -128), 1, k, std::vector<std::int32_t>(1, 127));
  const std::vector<std::int16_t> xb(k, -32768);
  REQUIRE(qlin::gemm_s16s8_s64(xb.data(), 1, k, 32767, pb, &a));
  CHECK(a == i64{-65535} * -255 * static_cast<i64>(k));
}

TEST_CASE("dot_s8s8_s32: random, extremes, saturation", "[gemm]") {
  std::mt19937 rng(19);
  for (std::size_t k : {0u, 1u, 7u, 15u, 16u, 17u, 31u, 100u, 1000u, 4099u}) {
    const auto a = random_vec<std::int8_t>(k, rng), b = random_vec<std::int8_t>(k, rng);
    i64 s = 0;
    for (std::size_t i = 0; i < k; ++i) s += i64{a[i]} * b[i];
    CHECK(qlin::reference::dot_s8s8_s32(a.data(), b.data(), k) == s);
    CHECK(qlin::dot_s8s8_s32(a.data(), b.data(), k) == s);
  }
  const std::vector<std::int8_t> lo(140000, -128), hi(140000, 127);
  CHECK(qlin::dot_s8s8_s32(lo.data(), lo.data(), 131071) == 131071 * 16384);
  CHECK(qlin::dot_s8s8_s32(lo.data(), lo.data(), 131072) == kMax32);  // 2^31: saturates
  CHECK(qlin::reference::dot_s8s8_s32(lo.data(), lo.data(), 140000) == kMax32);
  CHECK(qlin::dot_s8s8_s32(lo.data(), lo.data(), 140000) == kMax32);
  CHECK(qlin::dot_s8s8_s32(lo.data(), hi.data(), 140000) == kMin32);
  CHECK(qlin::dot_s8s8_s32(lo.data(), hi.data(), 131072) == -131072 * 16256);
}

TEST_CASE("quantize_bias", "[gemm]") {
  const std::vector<float> sw = {1.0f, 1.0f, 1.0f, 0.5f, 2.0f};
  const std::vector<float> b = {2.5f, 3.5f, -2.5f, 1.25f, -7.0f};
  auto q = qlin::quantize_bias(b.data(), b.size(), 1.0f, sw.data());
  REQUIRE(q.has_value());
  CHECK(*q == std::vector<std::int32_t>{2, 4, -2, 2, -4});  // ties to even; 1.25 / 0.5 = 2.5 -> 2; -3.5 -> -4
  // rounding is on the double quotient: 0.1f / (0.1f * 1) is exactly 1
  const float s01 = 0.1f, one = 1.0f;
  auto q1 = qlin::quantize_bias(&s01, 1, s01, &one);
  REQUIRE(q1.has_value());
  CHECK((*q1)[0] == 1);
  const float big = 3.0e9f, edge = 2147483520.0f, tiny = 1.0e-3f;
  CHECK(qlin::quantize_bias(&big, 1, 1.0f, &one).code() == errc::invalid_range);
  auto qe = qlin::quantize_bias(&edge, 1, 1.0f, &one);
  REQUIRE(qe.has_value());
  CHECK((*qe)[0] == 2147483520);
  CHECK(qlin::quantize_bias(&big, 1, tiny, &one).code() == errc::invalid_range);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(qlin::quantize_bias(&nan, 1, 1.0f, &one).code() == errc::non_finite_input);
  CHECK(qlin::quantize_bias(&one, 1, 0.0f, &one).code() == errc::invalid_scale);
  CHECK(qlin::quantize_bias(&one, 1, 1.0f, &nan).code() == errc::invalid_scale);
  auto e = qlin::quantize_bias(nullptr, 0, 1.0f, nullptr);
  REQUIRE(e.has_value());
  CHECK(e->empty());
}
