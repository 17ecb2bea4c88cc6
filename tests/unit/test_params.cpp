// Tests for qlin/params.hpp: choose_qparams / choose_float_qparams / choose_qparams_per_channel
// against the real torch 1.13 (tests/data/torch_qparams.txt, written by tests/data/gen_torch.py),
// the tflite / gemmlowp / xnnpack preset against its formula, and every documented error code.
#include <qlin/params.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "qlin_catch.hpp"
#include "test_data.hpp"

namespace {

using qlin::compat;
using qlin::dtype;
using qlin::errc;
using qlin::qscheme;
using qlin_test::f32_bits;
using qlin_test::f32_from_hex;
using qlin_test::to_i32;

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

errc errc_from_name(const std::string& s) {
  if (s == "invalid_scale") return errc::invalid_scale;
  if (s == "unsupported") return errc::unsupported;
  if (s == "invalid_range") return errc::invalid_range;
  if (s == "non_finite_input") return errc::non_finite_input;
  if (s == "min_greater_than_max") return errc::min_greater_than_max;
  return errc::ok;  // unknown name: the test fails on it
}

dtype dtype_from_name(const std::string& s) {
  return s == "uint8" ? dtype::uint8 : s == "int8" ? dtype::int8 : s == "uint4" ? dtype::uint4 : dtype::int16;
}

// Options from the tokens DTYPE SCHEME REDUCE CUSTOM QMIN QMAX starting at row[i].
qlin::qparams_options options_from(const qlin_test::row& r, std::size_t i, bool has_scheme) {
  qlin::qparams_options o;
  o.type = dtype_from_name(r[i]);
  if (has_scheme) {
    o.scheme = r[i + 1] == "symmetric" ? qscheme::symmetric : qscheme::affine;
    ++i;
  }
  o.range.reduce_range = r[i + 1] == "1";
  o.range.custom = r[i + 2] == "1";
  o.range.quant_min = to_i32(r[i + 3]);
  o.range.quant_max = to_i32(r[i + 4]);
  return o;
}

std::string line_of(const qlin_test::row& r) {
  std::string s;
  for (const auto& t : r) s += t + " ";
  return s;
}

}  // namespace

TEST_CASE("choose_qparams equals torch 1.13 MinMaxObserver on every recorded case", "[params][torch]") {
  const auto rows = qlin_test::read_rows("torch_qparams.txt");
  REQUIRE_FALSE(rows.empty());
  std::size_t n = 0, n_err = 0;
  for (const auto& r : rows) {
    if (r[0] != "qp") continue;
    REQUIRE(r.size() == 11);
    INFO("line: " << line_of(r));
    const qlin::qparams_options o = options_from(r, 1, true);
    const float mn = f32_from_hex(r[7]);
    const float mx = f32_from_hex(r[8]);
    const auto p = qlin::choose_qparams(mn, mx, o);
    ++n;
    if (r[9] == "ERR") {
      ++n_err;
      REQUIRE_FALSE(p.has_value());
      errc want = errc_from_name(r[10]);
      // torch raises for symmetric quint8 + reduce_range before it looks at the range; qlin checks
      // the range first, so custom 0..1 (0..0 once reduced) is invalid_range there.
      if (want == errc::unsupported && !qlin::make_qrange(o.type, o.range)) want = errc::invalid_range;
      REQUIRE(p.code() == want);
      continue;
    }
    if (o.type == dtype::uint4 && o.scheme == qscheme::symmetric && o.range.reduce_range) {
      // torch raises for symmetric + reduce_range only for quint8 (quint4x2 gets zero point 0);
      // qlin refuses every unsigned type there, as params.hpp documents.
      REQUIRE(p.code() == errc::unsupported);
      continue;
    }
    REQUIRE(p.has_value());
    CHECK(f32_bits(p->scale) == f32_bits(f32_from_hex(r[9])));
    std::int32_t want_zp = to_i32(r[10]);
    if (o.type == dtype::uint4 && o.scheme == qscheme::symmetric) {
      // torch 1.13 gives 0 here (its midpoint rule is for quint8 only); qlin documents the
      // midpoint: 8 with the default range, floor((qmin + qmax) / 2) with a custom one.
      REQUIRE(want_zp == 0);
      want_zp = o.range.custom ? qlin::detail::floor_div2(p->qmin + p->qmax) : 8;
    }
    CHECK(p->zero_point == want_zp);
    const auto qr = qlin::make_qrange(o.type, o.range);
    REQUIRE(qr.has_value());
    CHECK(p->qmin == qr->qmin);
    CHECK(p->qmax == qr->qmax);
  }
  INFO("per-tensor cases: " << n << ", of which errors: " << n_err);
  REQUIRE(n > 1000);
  REQUIRE(n_err > 10);
}

TEST_CASE("choose_qparams_per_channel equals torch 1.13 PerChannelMinMaxObserver", "[params][torch]") {
  const auto rows = qlin_test::read_rows("torch_qparams.txt");
  REQUIRE_FALSE(rows.empty());
  std::size_t n = 0;
  for (const auto& r : rows) {
    if (r[0] != "pc") continue;
    INFO("line: " << line_of(r));
    const qlin::qparams_options o = options_from(r, 1, true);
    const auto c = static_cast<std::size_t>(to_i32(r[7]));
    REQUIRE(r.size() == 8 + 4 * c);
    std::vector<float> mins(c), maxs(c);
    for (std::size_t i = 0; i < c; ++i) {
      mins[i] = f32_from_hex(r[8 + i]);
      maxs[i] = f32_from_hex(r[8 + c + i]);
    }
    const auto p = qlin::choose_qparams_per_channel(mins.data(), maxs.data(), c, o);
    REQUIRE(p.has_value());
    REQUIRE(p->channels() == c);
    for (std::size_t i = 0; i < c; ++i) {
      INFO("channel " << i);
      CHECK(f32_bits(p->scales[i]) == f32_bits(f32_from_hex(r[8 + 2 * c + i])));
      CHECK(p->zero_points[i] == to_i32(r[8 + 3 * c + i]));
      const qlin::quant_params one = p->channel(i);
      CHECK(one.scale == p->scales[i]);
      CHECK(one.qmin == p->qmin);
    }
    ++n;
  }
  REQUIRE(n > 10);
}

TEST_CASE("choose_float_qparams equals torch 1.13 per_channel_affine_float_qparams", "[params][torch]") {
  const auto rows = qlin_test::read_rows("torch_qparams.txt");
  REQUIRE_FALSE(rows.empty());
  std::size_t n = 0;
  for (const auto& r : rows) {
    if (r[0] != "fq") continue;
    REQUIRE(r.size() == 10);
    INFO("line: " << line_of(r));
    const qlin::qparams_options o = options_from(r, 1, false);
    const float mn = f32_from_hex(r[6]);
    const float mx = f32_from_hex(r[7]);
    const auto p = qlin::choose_float_qparams(mn, mx, o);
    ++n;
    if (r[8] == "ERR") {
      REQUIRE_FALSE(p.has_value());
      REQUIRE(p.code() == errc_from_name(r[9]));
      continue;
    }
    REQUIRE(p.has_value());
    CHECK(f32_bits(p->scale) == f32_bits(f32_from_hex(r[8])));
    CHECK(f32_bits(p->zero_point) == f32_bits(f32_from_hex(r[9])));
    // the per-channel form gives the same
    const auto pc = qlin::choose_float_qparams_per_channel(&mn, &mx, 1, o);
    REQUIRE(pc.has_value());
    CHECK(f32_bits(pc->scales[0]) == f32_bits(p->scale));
    CHECK(f32_bits(pc->zero_points[0]) == f32_bits(p->zero_point));
  }
  REQUIRE(n > 100);
}

TEST_CASE("pytorch preset: hand-derived values from SEMANTICS.md section 1.3", "[params]") {
  qlin::qparams_options o;
  o.type = dtype::uint8;
  // [obs minmax_quint8_affine_normal_1000] min -2.8542840, max 3.8001277 -> scale 0x3cd5c6b8, zp 109
  auto p = qlin::choose_qparams(-2.8542840f, 3.8001277f, o);
  REQUIRE(p.has_value());
  CHECK(f32_bits(p->scale) == 0x3cd5c6b8u);
  CHECK(p->zero_point == 109);
  // constant negative input gives zp = qmax
  p = qlin::choose_qparams(-2.25f, -2.25f, o);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 255);
  // all zeros: scale eps = 2^-23, zp qmin
  p = qlin::choose_qparams(0.0f, 0.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->scale == FLT_EPSILON);
  CHECK(p->zero_point == 0);
  // a custom eps is the smallest scale
  o.eps = 0.5f;
  p = qlin::choose_qparams(0.0f, 1.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->scale == 0.5f);
  // symmetric quint8: 128 with the default range, 127 with a custom 0..255
  o = {};
  o.type = dtype::uint8;
  o.scheme = qscheme::symmetric;
  p = qlin::choose_qparams(-1.0f, 0.5f, o);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 128);
  CHECK(p->scale == 1.0f / 127.5f);
  o.range.custom = true;
  o.range.quant_min = 0;
  o.range.quant_max = 255;
  p = qlin::choose_qparams(-1.0f, 0.5f, o);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 127);
  // the default options are int8 affine pytorch
  p = qlin::choose_qparams(-1.0f, 2.0f);
  REQUIRE(p.has_value());
  CHECK(p->qmin == -128);
  CHECK(p->qmax == 127);
  CHECK(p->scale == 3.0f / 255.0f);
}

namespace {

// TFLite / gemmlowp / xnnpack choose_qparams, written from SEMANTICS.md section 4 and the
// params.hpp comment, with the zero point's rounding done by std::round (half away from zero)
// and its nudging computed in double from the float32 scale.
struct tfl_want {
  bool ok;
  float scale;
  std::int32_t zp;
};

tfl_want tflite_formula(float mn, float mx, dtype t, qscheme scheme, qlin::qrange r) {
  const float min_neg = std::fmin(mn, 0.0f);
  const float max_pos = std::fmax(mx, 0.0f);
  const bool is_signed = t == dtype::int8 || t == dtype::int16 || t == dtype::int4;
  if (scheme == qscheme::symmetric) {
    const float amax = std::fmax(-min_neg, max_pos);
    const float scale =
        is_signed ? amax / static_cast<float>(r.qmax) : amax / (static_cast<float>(r.qmax - r.qmin) / 2.0f);
    if (scale == 0.0f) return {false, 0.0f, 0};
    return {true, scale, is_signed ? 0 : 128};
  }
  const float scale = (max_pos - min_neg) / static_cast<float>(r.qmax - r.qmin);
  if (scale == 0.0f) return {false, 0.0f, 0};
  // zp_from_min = qmin - min / scale, in float32: the quotient is float32 (exact in double then
  // rounded once), the difference with the integer qmin is exact in double and rounded once.
  const float quot = static_cast<float>(static_cast<double>(min_neg) / static_cast<double>(scale));
  const float zp_from_min = static_cast<float>(static_cast<double>(r.qmin) - static_cast<double>(quot));
  std::int32_t zp;
  if (zp_from_min < static_cast<float>(r.qmin)) {
    zp = r.qmin;
  } else if (zp_from_min > static_cast<float>(r.qmax)) {
    zp = r.qmax;
  } else {
    zp = static_cast<std::int32_t>(std::round(zp_from_min));
  }
  return {true, scale, zp};
}

}  // namespace

TEST_CASE("tflite preset: hand-derived values", "[params]") {
  qlin::qparams_options o;
  o.type = dtype::uint8;
  o.preset = compat::tflite;
  // [-1, 1] uint8: scale f32(2/255) = 0.0078431377 lies above 2/255, so in float32 (as TFLite's
  // GetAsymmetricQuantizationParams and the FakeQuant Nudge compute) zp_from_min = 0 + 1 / scale is
  // 127.49999237 (127.5 - 2^-17), not 127.5: round_half_away gives 127. (In exact arithmetic it
  // would be the tie 127.5 -> 128.)
  auto p = qlin::choose_qparams(-1.0f, 1.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->scale == 2.0f / 255.0f);
  CHECK(0.0f - (-1.0f) / p->scale == 127.5f - 0x1p-17f);
  CHECK(p->zero_point == 127);
  // an exact tie: min = -10.5/16, max = 244.5/16 gives scale 1/16 and zp_from_min = 10.5 exactly;
  // tflite rounds it away from zero (11), pytorch to even (0 - rne(-10.5) = 10)
  p = qlin::choose_qparams(-10.5f / 16.0f, 244.5f / 16.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->scale == 1.0f / 16.0f);
  CHECK(p->zero_point == 11);  // round_half_away(10.5)
  o.preset = compat::pytorch;
  p = qlin::choose_qparams(-10.5f / 16.0f, 244.5f / 16.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 10);  // qmin - round_half_even(-10.5)
  // symmetric int8: scale = amax / 127, zp 0
  o = {};
  o.preset = compat::tflite;
  o.scheme = qscheme::symmetric;
  p = qlin::choose_qparams(-3.0f, 1.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->scale == 3.0f / 127.0f);
  CHECK(p->zero_point == 0);
  // symmetric uint8 follows the pytorch rule: amax / 127.5, zp 128
  o.type = dtype::uint8;
  p = qlin::choose_qparams(-3.0f, 1.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->scale == 3.0f / 127.5f);
  CHECK(p->zero_point == 128);
  // the nudged range of [-1, 1]
  o = {};
  o.type = dtype::uint8;
  o.preset = compat::tflite;
  p = qlin::choose_qparams(-1.0f, 1.0f, o);
  const auto nr = qlin::representable_range(*p);
  CHECK(nr.first == -127.0f * (2.0f / 255.0f));
  CHECK(nr.second == 128.0f * (2.0f / 255.0f));
  // positive-only and negative-only ranges contain 0
  p = qlin::choose_qparams(2.0f, 5.1f, o);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 0);
  CHECK(p->scale == 5.1f / 255.0f);
  p = qlin::choose_qparams(-5.1f, -2.0f, o);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 255);
}

TEST_CASE("tflite / gemmlowp / xnnpack presets follow the TFLite formula", "[params]") {
  // random ranges (a fixed LCG), several dtypes, schemes and range options
  std::uint64_t s = 12345;
  auto uniform = [&s]() {
    s = s * 6364136223846793005u + 1442695040888963407u;
    return static_cast<double>(s >> 11) / 9007199254740992.0;  // [0, 1)
  };
  std::size_t n = 0;
  for (compat c : {compat::tflite, compat::gemmlowp, compat::xnnpack}) {
    for (dtype t : {dtype::int8, dtype::uint8, dtype::int16, dtype::int4, dtype::uint4}) {
      for (qscheme sc : {qscheme::affine, qscheme::symmetric}) {
        for (int narrow = 0; narrow < 2; ++narrow) {
          qlin::qparams_options o;
          o.preset = c;
          o.type = t;
          o.scheme = sc;
          o.range.narrow = narrow != 0;
          const auto qr = qlin::make_qrange(t, o.range);
          REQUIRE(qr.has_value());
          for (int i = 0; i < 400; ++i) {
            const double mag = std::pow(10.0, 8.0 * uniform() - 4.0);
            float mn = static_cast<float>((uniform() - 0.7) * mag);
            float mx = static_cast<float>((uniform() - 0.3) * mag);
            if (i % 10 == 0) mn = 0.0f;
            if (i % 10 == 1) mx = 0.0f;
            if (mn > mx) std::swap(mn, mx);
            if (mn == 0.0f && mx == 0.0f) continue;
            INFO("preset " << qlin::to_string(c) << " dtype " << qlin::to_string(t) << " " << qlin::to_string(sc)
                           << " narrow " << narrow << " min " << mn << " max " << mx);
            const auto p = qlin::choose_qparams(mn, mx, o);
            const tfl_want w = tflite_formula(mn, mx, t, sc, *qr);
            REQUIRE(p.has_value() == w.ok);
            if (!w.ok) continue;
            REQUIRE(f32_bits(p->scale) == f32_bits(w.scale));
            if (sc == qscheme::symmetric && (t == dtype::uint8 || t == dtype::uint4)) {
              const std::int32_t mid =
                  narrow ? qlin::detail::floor_div2(qr->qmin + qr->qmax) : (t == dtype::uint8 ? 128 : 8);
              REQUIRE(p->zero_point == mid);
            } else {
              REQUIRE(p->zero_point == w.zp);
            }
            ++n;
          }
        }
      }
    }
  }
  REQUIRE(n > 10000);
}

TEST_CASE("choose_qparams errors: non-finite and inverted ranges", "[params][errors]") {
  for (compat c : {compat::pytorch, compat::tflite, compat::gemmlowp, compat::xnnpack}) {
    for (qscheme sc : {qscheme::affine, qscheme::symmetric}) {
      qlin::qparams_options o;
      o.preset = c;
      o.scheme = sc;
      INFO("preset " << qlin::to_string(c) << " " << qlin::to_string(sc));
      CHECK(qlin::choose_qparams(kNaN, 1.0f, o).code() == errc::non_finite_input);
      CHECK(qlin::choose_qparams(-1.0f, kNaN, o).code() == errc::non_finite_input);
      CHECK(qlin::choose_qparams(kNaN, kNaN, o).code() == errc::non_finite_input);
      CHECK(qlin::choose_qparams(-kInf, 1.0f, o).code() == errc::non_finite_input);
      CHECK(qlin::choose_qparams(-1.0f, kInf, o).code() == errc::non_finite_input);
      CHECK(qlin::choose_qparams(kInf, -kInf, o).code() == errc::non_finite_input);  // torch's untouched state
      CHECK(qlin::choose_qparams(2.0f, 1.0f, o).code() == errc::min_greater_than_max);
      CHECK(qlin::choose_qparams(0.0f, -1e-30f, o).code() == errc::min_greater_than_max);
      // the error carries a message
      CHECK(std::string(qlin::choose_qparams(2.0f, 1.0f, o).error().message).size() > 0);
    }
  }
  CHECK(qlin::choose_float_qparams(kNaN, 1.0f).code() == errc::non_finite_input);
  CHECK(qlin::choose_float_qparams(0.0f, kInf).code() == errc::non_finite_input);
  CHECK(qlin::choose_float_qparams(1.0f, 0.0f).code() == errc::min_greater_than_max);
}

TEST_CASE("choose_qparams errors: a range whose scale overflows", "[params][errors]") {
  const float big = 3e38f;
  for (compat c : {compat::pytorch, compat::tflite, compat::gemmlowp, compat::xnnpack}) {
    qlin::qparams_options o;
    o.preset = c;
    INFO("preset " << qlin::to_string(c));
    CHECK(qlin::choose_qparams(-big, big, o).code() == errc::invalid_scale);
    CHECK(qlin::choose_qparams(-FLT_MAX, FLT_MAX, o).code() == errc::invalid_scale);
    // symmetric divides amax by about 127: finite
    o.scheme = qscheme::symmetric;
    CHECK(qlin::choose_qparams(-FLT_MAX, FLT_MAX, o).has_value());
  }
  // symmetric with a divisor below 1: FLT_MAX / 0.5 overflows (custom range -1..0 -> divisor 0.5)
  qlin::qparams_options o;
  o.scheme = qscheme::symmetric;
  o.range.custom = true;
  o.range.quant_min = -1;
  o.range.quant_max = 0;
  CHECK(qlin::choose_qparams(-FLT_MAX, 0.0f, o).code() == errc::invalid_scale);
  CHECK(qlin::choose_float_qparams(-FLT_MAX, FLT_MAX).code() == errc::invalid_scale);
}

TEST_CASE("choose_qparams errors: bad range options and eps", "[params][errors]") {
  qlin::qparams_options o;
  o.range.custom = true;
  o.range.quant_min = 5;
  o.range.quant_max = 5;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  o.range.quant_min = 7;
  o.range.quant_max = -8;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  o.range.quant_min = -200;  // outside int8
  o.range.quant_max = 100;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  o.type = dtype::uint8;
  o.range.quant_min = 0;
  o.range.quant_max = 256;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  o.range.quant_max = 1;  // 0..1 reduced is 0..0: empty
  o.range.reduce_range = true;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  o.preset = compat::tflite;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  CHECK(qlin::choose_float_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);
  const float mins[2] = {-1.0f, -1.0f};
  const float maxs[2] = {1.0f, 1.0f};
  CHECK(qlin::choose_qparams_per_channel(mins, maxs, 2, o).code() == errc::invalid_range);
  CHECK(qlin::choose_float_qparams_per_channel(mins, maxs, 2, o).code() == errc::invalid_range);

  // eps must be finite and > 0 (pytorch preset)
  for (float eps : {0.0f, -0.0f, -1.0f, kNaN, kInf}) {
    qlin::qparams_options e;
    e.eps = eps;
    INFO("eps " << eps);
    CHECK(qlin::choose_qparams(-1.0f, 1.0f, e).code() == errc::invalid_scale);
  }
}

TEST_CASE("choose_qparams errors: symmetric unsigned reduce_range is unsupported in pytorch mode", "[params][errors]") {
  qlin::qparams_options o;
  o.type = dtype::uint8;
  o.scheme = qscheme::symmetric;
  o.range.reduce_range = true;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::unsupported);
  o.range.custom = true;
  o.range.quant_min = 0;
  o.range.quant_max = 255;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::unsupported);
  const float mn = -1.0f, mx = 1.0f;
  CHECK(qlin::choose_qparams_per_channel(&mn, &mx, 1, o).code() == errc::unsupported);
  o.type = dtype::uint4;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::invalid_range);  // 0..255 is outside uint4
  o.range.custom = false;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).code() == errc::unsupported);
  // signed symmetric with reduce_range is fine; so is affine uint8 with reduce_range
  o = {};
  o.scheme = qscheme::symmetric;
  o.range.reduce_range = true;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).has_value());
  o.type = dtype::uint8;
  o.scheme = qscheme::affine;
  CHECK(qlin::choose_qparams(-1.0f, 1.0f, o).has_value());
}

TEST_CASE("choose_qparams errors: [0, 0] is a degenerate range in the TFLite-style presets", "[params][errors]") {
  for (compat c : {compat::tflite, compat::gemmlowp, compat::xnnpack}) {
    for (qscheme sc : {qscheme::affine, qscheme::symmetric}) {
      for (dtype t : {dtype::int8, dtype::uint8}) {
        qlin::qparams_options o;
        o.preset = c;
        o.scheme = sc;
        o.type = t;
        INFO("preset " << qlin::to_string(c) << " " << qlin::to_string(sc) << " " << qlin::to_string(t));
        CHECK(qlin::choose_qparams(0.0f, 0.0f, o).code() == errc::degenerate_range);
        CHECK(qlin::choose_qparams(-0.0f, 0.0f, o).code() == errc::degenerate_range);
        // a positive constant range is [0, c]: fine
        CHECK(qlin::choose_qparams(3.0f, 3.0f, o).has_value());
      }
    }
  }
  // pytorch gives scale eps instead
  const auto p = qlin::choose_qparams(0.0f, 0.0f);
  REQUIRE(p.has_value());
  CHECK(p->scale == FLT_EPSILON);
}

TEST_CASE("choose_qparams_per_channel: first failing channel, zero channels", "[params][errors]") {
  const float mins[3] = {-1.0f, 2.0f, kNaN};
  const float maxs[3] = {1.0f, 1.0f, 1.0f};
  CHECK(qlin::choose_qparams_per_channel(mins, maxs, 3).code() == errc::min_greater_than_max);
  const float mins2[3] = {-1.0f, kNaN, 2.0f};
  CHECK(qlin::choose_qparams_per_channel(mins2, maxs, 3).code() == errc::non_finite_input);
  CHECK(qlin::choose_float_qparams_per_channel(mins2, maxs, 3).code() == errc::non_finite_input);
  const auto empty = qlin::choose_qparams_per_channel(nullptr, nullptr, 0);
  REQUIRE(empty.has_value());
  CHECK(empty->channels() == 0);
  CHECK(empty->qmin == -128);
  CHECK(empty->qmax == 127);
}

TEST_CASE("make_quant_params validates hand-made parameters", "[params][errors]") {
  const qlin::qrange u8{0, 255};
  for (float s : {0.0f, -0.0f, -1.0f, kNaN, kInf, -kInf}) {
    INFO("scale " << s);
    CHECK(qlin::make_quant_params(s, 0, u8).code() == errc::invalid_scale);
  }
  CHECK(qlin::make_quant_params(0.1f, -1, u8).code() == errc::zero_point_out_of_range);
  CHECK(qlin::make_quant_params(0.1f, 256, u8).code() == errc::zero_point_out_of_range);
  CHECK(qlin::make_quant_params(0.1f, 0, qlin::qrange{3, 3}).code() == errc::invalid_range);
  CHECK(qlin::make_quant_params(0.1f, 0, qlin::qrange{5, -5}).code() == errc::invalid_range);
  // the dtype overload also checks that the range fits the storage
  CHECK(qlin::make_quant_params(0.1f, 0, qlin::qrange{-128, 127}, dtype::uint8).code() == errc::invalid_range);
  CHECK(qlin::make_quant_params(0.1f, 0, qlin::qrange{0, 256}, dtype::uint8).code() == errc::invalid_range);
  CHECK(qlin::make_quant_params(0.1f, 16, qlin::qrange{0, 15}, dtype::uint4).code() == errc::zero_point_out_of_range);
  // a denormal scale whose reciprocal overflows float is refused (0 * f32(1/s) would be NaN)
  CHECK(qlin::make_quant_params(1e-45f, 0, u8).code() == errc::invalid_scale);
  // good ones: a scale just above 1/FLT_MAX, FLT_MAX, zero points at both ends
  CHECK(qlin::make_quant_params(3e-39f, 0, u8).has_value());
  CHECK(qlin::make_quant_params(FLT_MAX, 255, u8).has_value());
  const auto p = qlin::make_quant_params(0.25f, -128, qlin::qrange{-128, 127}, dtype::int8);
  REQUIRE(p.has_value());
  CHECK(p->scale == 0.25f);
  CHECK(p->zero_point == -128);
  CHECK(p->range() == qlin::qrange{-128, 127});
}

TEST_CASE("parse_compat and to_string", "[params]") {
  for (compat c : {compat::pytorch, compat::tflite, compat::gemmlowp, compat::xnnpack}) {
    const auto r = qlin::parse_compat(qlin::to_string(c));
    REQUIRE(r.has_value());
    CHECK(*r == c);
  }
  CHECK(qlin::parse_compat("onnx").code() == errc::invalid_argument);
  CHECK(qlin::parse_compat(nullptr).code() == errc::invalid_argument);
  CHECK(std::string(qlin::to_string(qscheme::affine)) == "affine");
  CHECK(std::string(qlin::to_string(qscheme::symmetric)) == "symmetric");
}

TEST_CASE("scales whose reciprocal overflows float are refused", "[params][errors]") {
  // f32(1 / 1e-39f) is +Inf: the reciprocal-multiply kernels would turn 0 into NaN.
  REQUIRE(qlin::make_quant_params(1e-39f, 0, {-128, 127}).code() == qlin::errc::invalid_scale);
  REQUIRE(qlin::make_quant_params(3e-39f, 0, {-128, 127}).has_value());  // 1/3e-39 < FLT_MAX
  qlin::qparams_options tfl;
  tfl.preset = qlin::compat::tflite;
  REQUIRE(qlin::choose_qparams(-1e-38f, 0.0f, tfl).code() == qlin::errc::invalid_scale);
  qlin::qparams_options tiny_eps;
  tiny_eps.eps = 1e-44f;
  REQUIRE(qlin::choose_qparams(0.0f, 0.0f, tiny_eps).code() == qlin::errc::invalid_scale);
  REQUIRE(qlin::choose_float_qparams(0.0f, 1e-40f, tiny_eps).code() == qlin::errc::invalid_scale);
}

TEST_CASE("symmetric signed ranges must contain zero", "[params][errors]") {
  // Found by tests/fuzz/fuzz_kernels: zero point 0 would lie outside [37, 96].
  qlin::qparams_options o;
  o.scheme = qlin::qscheme::symmetric;
  o.range.custom = true;
  o.range.quant_min = 37;
  o.range.quant_max = 96;
  REQUIRE(qlin::choose_qparams(-1.6e-06f, 5.2e9f, o).code() == qlin::errc::invalid_range);
  o.preset = qlin::compat::tflite;
  REQUIRE(qlin::choose_qparams(-1.0f, 1.0f, o).code() == qlin::errc::invalid_range);
  o.range.quant_min = -20;  // contains 0: fine
  REQUIRE(qlin::choose_qparams(-1.0f, 1.0f, o).has_value());
  // affine keeps clamping the zero point into a range without 0
  o.scheme = qlin::qscheme::affine;
  o.range.quant_min = 37;
  const auto p = qlin::choose_qparams(-1.0f, 1.0f, o);
  REQUIRE(p.has_value());
  REQUIRE(p->zero_point >= 37);
  REQUIRE(p->zero_point <= 96);
}
