// Tests for qlin/quantize.hpp: quantize / dequantize / quantize_per_channel / dequantize_per_channel
// against the real torch 1.13 (tests/data/torch_quantize.txt, written by tests/data/gen_torch.py),
// exhaustive dequantization against the formula, qlin's NaN / Inf rule for every preset, and the
// tflite / gemmlowp methods against per-element formulas written independently below.
#include <qlin/quantize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "qlin_catch.hpp"
#include "test_data.hpp"

namespace {

using qlin::compat;
using qlin::quantize_method;
using qlin_test::f32_bits;
using qlin_test::f32_from_hex;
using qlin_test::to_i32;

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

qlin::qrange range_of(const std::string& dt) { return dt == "uint8" ? qlin::qrange{0, 255} : qlin::qrange{-128, 127}; }

std::string line_of(const qlin_test::row& r, std::size_t max_tokens = 12) {
  std::string s;
  for (std::size_t i = 0; i < r.size() && i < max_tokens; ++i) s += r[i] + " ";
  if (r.size() > max_tokens) s += "...";
  return s;
}

template <class T>
std::vector<std::int32_t> run_quantize(const std::vector<float>& x, const qlin::quant_params& p,
                                       quantize_method m = quantize_method{}) {
  std::vector<T> q(x.size());
  qlin::quantize(x.data(), x.size(), q.data(), p, m);
  return std::vector<std::int32_t>(q.begin(), q.end());
}

template <class T>
std::vector<float> run_dequantize(const std::vector<std::int32_t>& codes, const qlin::quant_params& p) {
  std::vector<T> q(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) q[i] = static_cast<T>(codes[i]);
  std::vector<float> r(codes.size());
  qlin::dequantize(q.data(), q.size(), r.data(), p);
  return r;
}

// ---- independent per-element formulas --------------------------------------------------------

// f32(x / s): the double quotient of two floats rounded to float equals the float32 quotient
// (double has more than 2 * 24 + 2 bits, so the double rounding is innocuous).
float div_f32(float x, float s) { return static_cast<float>(static_cast<double>(x) / static_cast<double>(s)); }
// f32(a + b) likewise for the sum of two floats.
float add_f32(float a, float b) { return static_cast<float>(static_cast<double>(a) + static_cast<double>(b)); }
double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

// PyTorch (x86, no FBGEMM): q = clamp(z + nearbyint(x * f32(1 / s))). The product of two floats
// is exact in double, so f32(double product) is the float32 product.
std::int32_t torch_formula(float x, float s, std::int32_t z, qlin::qrange r) {
  if (std::isnan(x)) return z;  // qlin's rule, not torch's
  const float inv = static_cast<float>(1.0 / static_cast<double>(s));
  const float y = static_cast<float>(static_cast<double>(x) * static_cast<double>(inv));
  const double q = clampd(std::nearbyint(static_cast<double>(y)) + z, r.qmin, r.qmax);
  return static_cast<std::int32_t>(q);
}

// TFLite AffineQuantize: q = clamp(round(x / s) + z), round half away from zero (std::round).
std::int32_t tflite_formula(float x, float s, std::int32_t z, qlin::qrange r) {
  if (std::isnan(x)) return z;
  const double y = static_cast<double>(div_f32(x, s));
  return static_cast<std::int32_t>(clampd(std::round(y) + z, r.qmin, r.qmax));
}

// gemmlowp's quantization example: q = round(clamp(f32(z + x / s))), half away from zero: the
// zero point is added in float BEFORE rounding. This differs from TFLite where z + x/s changes sign
// relative to x/s on a tie (x/s = -2.5, z = 3: gemmlowp round(0.5) = 1, tflite round(-2.5) + 3 = 0),
// and where f32(z + x/s) is inexact (|x/s| far above 2^24 / ulp effects near large z).
std::int32_t gemmlowp_formula(float x, float s, std::int32_t z, qlin::qrange r) {
  if (std::isnan(x)) return z;
  const float t = add_f32(static_cast<float>(z), div_f32(x, s));
  return static_cast<std::int32_t>(std::round(clampd(static_cast<double>(t), r.qmin, r.qmax)));
}

}  // namespace

TEST_CASE("quantize equals torch.quantize_per_tensor on every recorded case", "[quantize][torch]") {
  const auto rows = qlin_test::read_rows("torch_quantize.txt");
  REQUIRE_FALSE(rows.empty());
  // group the elements by (dtype, scale, zero point) so each group goes through one call
  std::map<std::tuple<std::string, std::string, std::int32_t>, std::pair<std::vector<float>, std::vector<std::int32_t>>>
      groups;
  std::size_t n = 0;
  for (const auto& r : rows) {
    if (r[0] != "q") continue;
    REQUIRE(r.size() == 6);
    auto& g = groups[std::make_tuple(r[1], r[2], to_i32(r[3]))];
    g.first.push_back(f32_from_hex(r[4]));
    g.second.push_back(to_i32(r[5]));
    ++n;
  }
  REQUIRE(n > 1000);
  for (const auto& kv : groups) {
    const std::string& dt = std::get<0>(kv.first);
    const float scale = f32_from_hex(std::get<1>(kv.first));
    const std::int32_t zp = std::get<2>(kv.first);
    const auto p = qlin::make_quant_params(scale, zp, range_of(dt));
    REQUIRE(p.has_value());
    const auto& xs = kv.second.first;
    const auto& want = kv.second.second;
    const auto got = dt == "uint8" ? run_quantize<std::uint8_t>(xs, *p) : run_quantize<std::int8_t>(xs, *p);
    // the explicit pytorch method gives the same
    const auto got2 = dt == "uint8" ? run_quantize<std::uint8_t>(xs, *p, quantize_method::of(compat::pytorch))
                                    : run_quantize<std::int8_t>(xs, *p, quantize_method::of(compat::pytorch));
    for (std::size_t i = 0; i < xs.size(); ++i) {
      INFO(dt << " scale " << scale << " (0x" << std::hex << f32_bits(scale) << std::dec << ") zp " << zp << " x "
              << xs[i] << " (0x" << std::hex << f32_bits(xs[i]) << std::dec << ")");
      CHECK(got[i] == want[i]);
      CHECK(got2[i] == want[i]);
      CHECK(torch_formula(xs[i], scale, zp, range_of(dt)) == want[i]);  // the oracle agrees with torch too
    }
  }
}

TEST_CASE("dequantize equals torch Tensor.dequantize on every recorded case", "[quantize][torch]") {
  const auto rows = qlin_test::read_rows("torch_quantize.txt");
  REQUIRE_FALSE(rows.empty());
  std::size_t n = 0;
  for (const auto& r : rows) {
    if (r[0] != "dq") continue;
    REQUIRE(r.size() == 6);
    const float scale = f32_from_hex(r[2]);
    const auto p = qlin::make_quant_params(scale, to_i32(r[3]), range_of(r[1]));
    REQUIRE(p.has_value());
    const std::vector<std::int32_t> code{to_i32(r[4])};
    const auto got = r[1] == "uint8" ? run_dequantize<std::uint8_t>(code, *p) : run_dequantize<std::int8_t>(code, *p);
    INFO("line: " << line_of(r));
    CHECK(f32_bits(got[0]) == f32_bits(f32_from_hex(r[5])));
    ++n;
  }
  REQUIRE(n >= 2048);
}

TEST_CASE("quantize_per_channel / dequantize_per_channel equal torch (int zero points)", "[quantize][torch]") {
  const auto rows = qlin_test::read_rows("torch_quantize.txt");
  REQUIRE_FALSE(rows.empty());
  std::size_t nq = 0, ndq = 0;
  for (const auto& r : rows) {
    if (r[0] != "qc" && r[0] != "dqc") continue;
    INFO("line: " << line_of(r));
    const auto outer = static_cast<std::size_t>(to_i32(r[2]));
    const auto c = static_cast<std::size_t>(to_i32(r[3]));
    const auto inner = static_cast<std::size_t>(to_i32(r[4]));
    const std::size_t n = outer * c * inner;
    REQUIRE(r.size() == 5 + 2 * c + 2 * n);
    qlin::per_channel_params p;
    const qlin::qrange qr = range_of(r[1]);
    p.qmin = qr.qmin;
    p.qmax = qr.qmax;
    for (std::size_t i = 0; i < c; ++i) {
      p.scales.push_back(f32_from_hex(r[5 + i]));
      p.zero_points.push_back(to_i32(r[5 + c + i]));
    }
    const std::size_t a = 5 + 2 * c;  // first input token
    const std::size_t b = a + n;      // first expected token
    if (r[0] == "qc") {
      std::vector<float> x(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = f32_from_hex(r[a + i]);
      std::vector<std::int32_t> got(n);
      if (r[1] == "uint8") {
        std::vector<std::uint8_t> q(n);
        qlin::quantize_per_channel(x.data(), outer, c, inner, q.data(), p);
        std::copy(q.begin(), q.end(), got.begin());
      } else {
        std::vector<std::int8_t> q(n);
        qlin::quantize_per_channel(x.data(), outer, c, inner, q.data(), p);
        std::copy(q.begin(), q.end(), got.begin());
      }
      for (std::size_t i = 0; i < n; ++i) {
        INFO("element " << i);
        CHECK(got[i] == to_i32(r[b + i]));
      }
      ++nq;
    } else {
      std::vector<float> got(n);
      if (r[1] == "uint8") {
        std::vector<std::uint8_t> q(n);
        for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::uint8_t>(to_i32(r[a + i]));
        qlin::dequantize_per_channel(q.data(), outer, c, inner, got.data(), p);
      } else {
        std::vector<std::int8_t> q(n);
        for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::int8_t>(to_i32(r[a + i]));
        qlin::dequantize_per_channel(q.data(), outer, c, inner, got.data(), p);
      }
      for (std::size_t i = 0; i < n; ++i) {
        INFO("element " << i);
        CHECK(f32_bits(got[i]) == f32_bits(f32_from_hex(r[b + i])));
      }
      ++ndq;
    }
  }
  REQUIRE(nq >= 10);
  REQUIRE(ndq >= 20);
}

TEST_CASE("quantize_per_channel / dequantize_per_channel equal torch (float zero points)", "[quantize][torch]") {
  const auto rows = qlin_test::read_rows("torch_quantize.txt");
  REQUIRE_FALSE(rows.empty());
  std::size_t cases = 0;
  for (const auto& r : rows) {
    if (r[0] != "qcf" && r[0] != "dqcf") continue;
    INFO("line: " << line_of(r));
    const auto outer = static_cast<std::size_t>(to_i32(r[2]));
    const auto c = static_cast<std::size_t>(to_i32(r[3]));
    const auto inner = static_cast<std::size_t>(to_i32(r[4]));
    const std::size_t n = outer * c * inner;
    REQUIRE(r.size() == 5 + 2 * c + 2 * n);
    qlin::per_channel_float_params p;  // uint8, 0..255
    for (std::size_t i = 0; i < c; ++i) {
      p.scales.push_back(f32_from_hex(r[5 + i]));
      p.zero_points.push_back(f32_from_hex(r[5 + c + i]));
    }
    const std::size_t a = 5 + 2 * c;
    const std::size_t b = a + n;
    if (r[0] == "qcf") {
      std::vector<float> x(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = f32_from_hex(r[a + i]);
      std::vector<std::uint8_t> q(n);
      qlin::quantize_per_channel(x.data(), outer, c, inner, q.data(), p);
      for (std::size_t i = 0; i < n; ++i) {
        INFO("element " << i);
        CHECK(static_cast<std::int32_t>(q[i]) == to_i32(r[b + i]));
      }
    } else {
      std::vector<std::uint8_t> q(n);
      for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::uint8_t>(to_i32(r[a + i]));
      std::vector<float> got(n);
      qlin::dequantize_per_channel(q.data(), outer, c, inner, got.data(), p);
      for (std::size_t i = 0; i < n; ++i) {
        INFO("element " << i);
        CHECK(f32_bits(got[i]) == f32_bits(f32_from_hex(r[b + i])));
      }
    }
    ++cases;
  }
  REQUIRE(cases >= 10);
}

TEST_CASE("dequantize: every int8 / uint8 / int16 code against f32(q - z) * s", "[quantize]") {
  // The reference: (q - z) is an exact integer below 2^17 and s has 24 significant bits, so the
  // double product is exact and one rounding to float gives the float32 product.
  auto check_all = [](auto tag, qlin::qrange r, float s, std::int32_t z) {
    using T = decltype(tag);
    // Built directly: dequantize never forms 1 / s, so even scales that make_quant_params refuses
    // (denormals whose reciprocal overflows) have a defined result here.
    const qlin::result<qlin::quant_params> p = qlin::quant_params{s, z, r.qmin, r.qmax};
    REQUIRE(p.has_value());
    const std::size_t n = static_cast<std::size_t>(r.qmax - r.qmin + 1);
    std::vector<T> q(n);
    for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<T>(r.qmin + static_cast<std::int32_t>(i));
    std::vector<float> out(n);
    qlin::dequantize(q.data(), n, out.data(), *p);
    // per channel with one channel, and outer / inner splits, give the same
    qlin::per_channel_params pc;
    pc.scales = {s};
    pc.zero_points = {z};
    pc.qmin = r.qmin;
    pc.qmax = r.qmax;
    std::vector<float> out_pc(n);
    qlin::dequantize_per_channel(q.data(), n, 1, 1, out_pc.data(), pc);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(static_cast<std::int64_t>(q[i]) - z) * static_cast<double>(s);
      const float want = static_cast<float>(d);
      if (f32_bits(out[i]) != f32_bits(want) || f32_bits(out_pc[i]) != f32_bits(want)) {
        if (bad == 0)
          FAIL_CHECK("scale " << s << " zp " << z << " q " << static_cast<std::int64_t>(q[i]) << ": got " << out[i]
                              << " / " << out_pc[i] << ", want " << want);
        ++bad;
      }
    }
    CHECK(bad == 0);
  };
  const float scales[] = {1.0f,        0.1f, 0.0235294122f, 3.3e-7f, 1e-45f, 1.17549435e-38f, 1e4f, 3.4e38f / 65535.0f,
                          0.333333343f};
  for (float s : scales) {
    for (std::int32_t z : {-128, -1, 0, 1, 77, 127}) check_all(std::int8_t{}, qlin::qrange{-128, 127}, s, z);
    for (std::int32_t z : {0, 1, 128, 200, 255}) check_all(std::uint8_t{}, qlin::qrange{0, 255}, s, z);
    for (std::int32_t z : {-32768, -1, 0, 12345, 32767}) check_all(std::int16_t{}, qlin::qrange{-32768, 32767}, s, z);
    // narrow and reduced ranges
    check_all(std::int8_t{}, qlin::qrange{-127, 127}, s, 0);
    check_all(std::uint8_t{}, qlin::qrange{0, 127}, s, 127);
  }
}

TEST_CASE("quantize: NaN -> zero point, +Inf -> qmax, -Inf -> qmin, for every preset", "[quantize]") {
  auto check = [](auto tag, qlin::qrange r, float s, std::int32_t z) {
    using T = decltype(tag);
    // Built directly: dequantize never forms 1 / s, so even scales that make_quant_params refuses
    // (denormals whose reciprocal overflows) have a defined result here.
    const qlin::result<qlin::quant_params> p = qlin::quant_params{s, z, r.qmin, r.qmax};
    REQUIRE(p.has_value());
    const float x[] = {kNaN,  -kNaN, kInf, -kInf, std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                       1e30f, -1e30f};
    for (compat c : {compat::pytorch, compat::tflite, compat::gemmlowp, compat::xnnpack}) {
      T q[8];
      qlin::quantize(x, 8, q, *p, quantize_method::of(c));
      INFO("preset " << qlin::to_string(c) << " range [" << r.qmin << ", " << r.qmax << "] scale " << s << " zp " << z);
      CHECK(static_cast<std::int32_t>(q[0]) == z);
      CHECK(static_cast<std::int32_t>(q[1]) == z);
      CHECK(static_cast<std::int32_t>(q[2]) == r.qmax);
      CHECK(static_cast<std::int32_t>(q[3]) == r.qmin);
      CHECK(static_cast<std::int32_t>(q[4]) == r.qmax);
      CHECK(static_cast<std::int32_t>(q[5]) == r.qmin);
      CHECK(static_cast<std::int32_t>(q[6]) == r.qmax);
      CHECK(static_cast<std::int32_t>(q[7]) == r.qmin);
    }
    // the float-zero-point path: NaN -> clamp(round_half_even(z))
    qlin::per_channel_float_params pf;
    pf.scales = {s};
    pf.zero_points = {static_cast<float>(z) + 0.5f};
    pf.qmin = r.qmin;
    pf.qmax = r.qmax;
    T q[4];
    qlin::quantize_per_channel(x, 1, 1, 4, q, pf);
    const auto zf = static_cast<std::int32_t>(std::nearbyint(static_cast<double>(z) + 0.5));
    CHECK(static_cast<std::int32_t>(q[0]) == std::min(zf, r.qmax));
    CHECK(static_cast<std::int32_t>(q[2]) == r.qmax);
    CHECK(static_cast<std::int32_t>(q[3]) == r.qmin);
  };
  for (float s : {1.0f, 0.1f, 1e-30f, 1e20f}) {  // 1e30 / s must saturate
    for (std::int32_t z : {-128, 0, 5, 127}) check(std::int8_t{}, qlin::qrange{-128, 127}, s, z);
    for (std::int32_t z : {0, 128, 255}) check(std::uint8_t{}, qlin::qrange{0, 255}, s, z);
    for (std::int32_t z : {-32768, 0, 32767}) check(std::int16_t{}, qlin::qrange{-32768, 32767}, s, z);
    check(std::uint8_t{}, qlin::qrange{1, 255}, s, 1);
    check(std::int8_t{}, qlin::qrange{-64, 63}, s, -3);
    check(std::int8_t{}, qlin::qrange{-8, 7}, s, 0);  // int4 held unpacked
  }
}

namespace {

// Inputs for the method tests: exact ties (k + 1/2) * s and their neighbours, x = k * s, random
// values over a bit more than the range, and saturating values.
std::vector<float> method_inputs(float s, qlin::qrange r, std::int32_t z, std::uint64_t seed) {
  std::vector<float> xs;
  const std::int32_t lo = r.qmin - z - 3;
  const std::int32_t hi = r.qmax - z + 3;
  const std::int32_t step = std::max<std::int32_t>(1, (hi - lo) / 300);
  for (std::int32_t k = lo; k <= hi; k += step) {
    const float t = static_cast<float>((static_cast<double>(k) + 0.5) * static_cast<double>(s));
    xs.push_back(t);
    xs.push_back(std::nextafter(t, kInf));
    xs.push_back(std::nextafter(t, -kInf));
    xs.push_back(static_cast<float>(static_cast<double>(k) * static_cast<double>(s)));
  }
  for (std::int32_t k = -6; k <= 6; ++k) {
    const float t = static_cast<float>((static_cast<double>(k) + 0.5) * static_cast<double>(s));
    xs.push_back(t);
    xs.push_back(std::nextafter(t, kInf));
    xs.push_back(std::nextafter(t, -kInf));
  }
  std::uint64_t st = seed;
  for (int i = 0; i < 500; ++i) {
    st = st * 6364136223846793005u + 1442695040888963407u;
    const double u = static_cast<double>(st >> 11) / 9007199254740992.0;
    xs.push_back(static_cast<float>((lo + u * (hi - lo)) * static_cast<double>(s)));
  }
  for (float v : {0.0f, -0.0f, 1e-45f, -1e-45f, 1e10f, -1e10f, 1e38f, -1e38f, 0.49999997f, -0.49999997f})
    xs.push_back(v);
  return xs;
}

}  // namespace

TEST_CASE("quantize: pytorch / tflite / gemmlowp methods against per-element formulas", "[quantize]") {
  struct cfg {
    qlin::qrange r;
    float s;
    std::int32_t z;
  };
  const cfg cfgs[] = {
      {{0, 255}, 1.0f, 0},
      {{0, 255}, 1.0f, 3},
      {{0, 255}, 0.5f, 128},
      {{0, 255}, 0.0235294122f, 128},
      {{0, 255}, 0.1f, 13},
      {{0, 255}, 0.125f, 255},
      {{-128, 127}, 1.0f, 0},
      {{-128, 127}, 0.25f, 5},
      {{-128, 127}, 0.1f, -7},
      {{-128, 127}, 3.7e-3f, -128},
      {{-128, 127}, 0.0078431377f, 0},
      {{-32768, 32767}, 0.5f, 1},
      {{-32768, 32767}, 1e-3f, -32768},
      {{-32768, 32767}, 3.0f, 32767},
      {{-32768, 32767}, 1.0f, 12345},
      {{1, 255}, 0.1f, 1},
      {{-127, 127}, 1.0f, 0},
      {{-8, 7}, 0.5f, -3},
  };
  std::uint64_t seed = 1;
  for (const cfg& k : cfgs) {
    const auto p = qlin::make_quant_params(k.s, k.z, k.r);
    REQUIRE(p.has_value());
    const auto xs = method_inputs(k.s, k.r, k.z, ++seed);
    const bool is16 = k.r.qmin < -128 || k.r.qmax > 255;
    const bool is_u8 = k.r.qmin >= 0 && !is16;
    for (compat c : {compat::pytorch, compat::xnnpack, compat::tflite, compat::gemmlowp}) {
      const quantize_method m = quantize_method::of(c);
      std::vector<std::int32_t> got = is16    ? run_quantize<std::int16_t>(xs, *p, m)
                                      : is_u8 ? run_quantize<std::uint8_t>(xs, *p, m)
                                              : run_quantize<std::int8_t>(xs, *p, m);
      std::size_t bad = 0;
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const std::int32_t want = c == compat::tflite     ? tflite_formula(xs[i], k.s, k.z, k.r)
                                  : c == compat::gemmlowp ? gemmlowp_formula(xs[i], k.s, k.z, k.r)
                                                          : torch_formula(xs[i], k.s, k.z, k.r);
        if (got[i] != want) {
          if (bad == 0) {
            FAIL_CHECK("preset " << qlin::to_string(c) << " range [" << k.r.qmin << ", " << k.r.qmax << "] scale "
                                 << k.s << " zp " << k.z << " x " << xs[i] << " (0x" << std::hex << f32_bits(xs[i])
                                 << std::dec << "): got " << got[i] << ", want " << want);
          }
          ++bad;
        }
      }
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("quantize: where the methods differ", "[quantize]") {
  const auto p = qlin::make_quant_params(1.0f, 3, qlin::qrange{-128, 127});
  REQUIRE(p.has_value());
  auto one = [&](float x, compat c) {
    std::int8_t q;
    qlin::quantize(&x, 1, &q, *p, quantize_method::of(c));
    return static_cast<int>(q);
  };
  // x / s = -2.5, z = 3: pytorch rne(-2.5) + 3 = 1; tflite round(-2.5) + 3 = 0;
  // gemmlowp round(3 - 2.5) = round(0.5) = 1.
  CHECK(one(-2.5f, compat::pytorch) == 1);
  CHECK(one(-2.5f, compat::tflite) == 0);
  CHECK(one(-2.5f, compat::gemmlowp) == 1);
  // x / s = 2.5: pytorch 2 + 3 = 5, tflite 3 + 3 = 6, gemmlowp round(5.5) = 6
  CHECK(one(2.5f, compat::pytorch) == 5);
  CHECK(one(2.5f, compat::tflite) == 6);
  CHECK(one(2.5f, compat::gemmlowp) == 6);
  // x / s = -3.5, z = 3: pytorch -4 + 3 = -1, tflite -4 + 3 = -1, gemmlowp round(-0.5) = -1
  CHECK(one(-3.5f, compat::pytorch) == -1);
  CHECK(one(-3.5f, compat::tflite) == -1);
  CHECK(one(-3.5f, compat::gemmlowp) == -1);
  // multiply by f32(1/s) vs divide: s = 0.1, x = 0.35f: x * f32(1/0.1f) and x / 0.1f round differently
  // whenever the two quotients straddle a tie; find such an x and check each method picks its own.
  const auto p2 = qlin::make_quant_params(0.1f, 0, qlin::qrange{-128, 127});
  REQUIRE(p2.has_value());
  const float inv = 1.0f / 0.1f;
  int found = 0;
  for (int k = -120; k < 120 && found < 5; ++k) {
    float x = static_cast<float>((k + 0.5) * 0.1);
    for (int j = 0; j < 8; ++j, x = std::nextafter(x, kInf)) {
      if (std::nearbyint(x * inv) != std::nearbyint(x / 0.1f)) {
        std::int8_t qm, qd;
        quantize_method div = quantize_method::of(compat::pytorch);
        div.divide = true;
        qlin::quantize(&x, 1, &qm, *p2);
        qlin::quantize(&x, 1, &qd, *p2, div);
        CHECK(static_cast<float>(qm) == std::nearbyint(x * inv));
        CHECK(static_cast<float>(qd) == std::nearbyint(x / 0.1f));
        ++found;
      }
    }
  }
  CHECK(found > 0);
}

TEST_CASE("quantize / dequantize: empty input does nothing", "[quantize]") {
  const auto p = qlin::make_quant_params(0.5f, 0, qlin::qrange{-128, 127});
  REQUIRE(p.has_value());
  qlin::quantize(static_cast<const float*>(nullptr), 0, static_cast<std::int8_t*>(nullptr), *p);
  qlin::dequantize(static_cast<const std::int8_t*>(nullptr), 0, static_cast<float*>(nullptr), *p);
  qlin::per_channel_params pc;
  pc.scales = {0.5f, 0.25f};
  pc.zero_points = {0, 1};
  qlin::quantize_per_channel(static_cast<const float*>(nullptr), 0, 2, 4, static_cast<std::int8_t*>(nullptr), pc);
  qlin::quantize_per_channel(static_cast<const float*>(nullptr), 3, 2, 0, static_cast<std::int8_t*>(nullptr), pc);
  qlin::dequantize_per_channel(static_cast<const std::int8_t*>(nullptr), 0, 2, 4, static_cast<float*>(nullptr), pc);
  // an untouched output stays untouched
  std::int8_t q[2] = {42, 43};
  const float x[2] = {1.0f, 2.0f};
  qlin::quantize(x, 0, q, *p);
  CHECK(q[0] == 42);
  CHECK(q[1] == 43);
  SUCCEED("no crash");
}

TEST_CASE("quantize / dequantize: misaligned pointers", "[quantize]") {
  // Inputs and outputs start one byte into a buffer; the bytes are placed and read with memcpy.
  constexpr std::size_t n = 37;
  const auto p = qlin::make_quant_params(0.05f, -7, qlin::qrange{-32768, 32767});
  REQUIRE(p.has_value());
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) * 0.37f - 6.0f;
  std::vector<std::int16_t> want(n);
  qlin::quantize(x.data(), n, want.data(), *p);

  alignas(16) unsigned char in_buf[n * sizeof(float) + 1];
  alignas(16) unsigned char q_buf[n * sizeof(std::int16_t) + 1];
  alignas(16) unsigned char r_buf[n * sizeof(float) + 1];
  std::memcpy(in_buf + 1, x.data(), n * sizeof(float));
  qlin::quantize(reinterpret_cast<const float*>(in_buf + 1), n, reinterpret_cast<std::int16_t*>(q_buf + 1), *p);
  std::vector<std::int16_t> got(n);
  std::memcpy(got.data(), q_buf + 1, n * sizeof(std::int16_t));
  CHECK(got == want);

  qlin::dequantize(reinterpret_cast<const std::int16_t*>(q_buf + 1), n, reinterpret_cast<float*>(r_buf + 1), *p);
  std::vector<float> r(n), r_want(n);
  std::memcpy(r.data(), r_buf + 1, n * sizeof(float));
  qlin::dequantize(want.data(), n, r_want.data(), *p);
  for (std::size_t i = 0; i < n; ++i) CHECK(f32_bits(r[i]) == f32_bits(r_want[i]));

  // per channel, misaligned too
  qlin::per_channel_params pc;
  pc.scales = {0.05f};
  pc.zero_points = {-7};
  pc.qmin = -32768;
  pc.qmax = 32767;
  qlin::quantize_per_channel(reinterpret_cast<const float*>(in_buf + 1), 1, 1, n,
                             reinterpret_cast<std::int16_t*>(q_buf + 1), pc);
  std::memcpy(got.data(), q_buf + 1, n * sizeof(std::int16_t));
  CHECK(got == want);
}
