// Tests for qlin/fake_quant.hpp against the real torch 1.13 (tests/data/fake_quant_*.txt, written
// by tests/data/gen_torch_fake_quant.py): forward outputs and dX bit-exact, LSQ dScale / dZeroPoint
// (float32 sums in torch's order) at 1e-5 relative. Plus qlin's NaN / Inf rule, the LSQ zero-point
// rules, unaligned and in-place use.
#include <qlin/fake_quant.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "qlin_catch.hpp"
#include "test_data.hpp"

namespace {

using qlin_test::f32_bits;
using qlin_test::f32_from_hex;
using qlin_test::to_i32;
using qlin_test::to_i64;

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Reads `n` hex floats starting at token `*pos`.
std::vector<float> floats(const qlin_test::row& r, std::size_t* pos, std::size_t n) {
  REQUIRE(*pos + n <= r.size());
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = f32_from_hex(r[*pos + i]);
  *pos += n;
  return v;
}

// Counts the elements whose bit patterns differ, and reports the first.
std::size_t mismatches(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (f32_bits(got[i]) != f32_bits(want[i])) {
      if (bad == 0) {
        UNSCOPED_INFO(what << "[" << i << "]: qlin " << got[i] << " torch " << want[i]);
      }
      ++bad;
    }
  }
  return bad;
}

bool close_rel(float got, float want, double rel) {
  const double d = std::fabs(static_cast<double>(got) - static_cast<double>(want));
  return d <= rel * std::fabs(static_cast<double>(want)) || d <= 1e-6;
}

}  // namespace

TEST_CASE("fake_quantize per tensor and per channel equal torch 1.13", "[fake_quant][torch]") {
  const auto rows = qlin_test::read_rows("fake_quant_fixed.txt");
  REQUIRE(rows.size() > 100);
  std::size_t cases = 0;
  std::size_t elements = 0;
  for (const auto& row : rows) {
    // The first token is torch's CPU capability: default (no FMA contraction) or avx2 (FMA).
    const qlin::fp_contract fc = row[0] == "avx2" ? qlin::fp_contract::fma : qlin::fp_contract::off;
    const qlin_test::row r(row.begin() + 1, row.end());
    INFO(row[0] << " " << r[1]);
    const std::string& kind = r[0];
    const std::int32_t qmin = static_cast<std::int32_t>(to_i64(r[2]));
    const std::int32_t qmax = static_cast<std::int32_t>(to_i64(r[3]));
    std::size_t pos = 4;
    std::vector<float> x, dy, out, dx;
    std::vector<float> y;
    std::vector<std::uint8_t> mask;
    if (kind == "pt") {
      const float scale = f32_from_hex(r[pos++]);
      const std::int32_t zp = to_i32(r[pos++]);
      const auto n = static_cast<std::size_t>(to_i64(r[pos++]));
      x = floats(r, &pos, n);
      dy = floats(r, &pos, n);
      out = floats(r, &pos, n);
      dx = floats(r, &pos, n);
      y.resize(n);
      mask.resize(n);
      qlin::fake_quantize(x.data(), n, y.data(), qlin::quant_params{scale, zp, qmin, qmax}, mask.data());
    } else {
      const auto outer = static_cast<std::size_t>(to_i64(r[pos++]));
      const auto C = static_cast<std::size_t>(to_i64(r[pos++]));
      const auto inner = static_cast<std::size_t>(to_i64(r[pos++]));
      const std::size_t n = outer * C * inner;
      const std::vector<float> scales = floats(r, &pos, C);
      y.resize(n);
      mask.resize(n);
      if (kind == "pc") {
        qlin::per_channel_params p;
        p.scales = scales;
        for (std::size_t c = 0; c < C; ++c) p.zero_points.push_back(to_i32(r[pos++]));
        p.qmin = qmin;
        p.qmax = qmax;
        x = floats(r, &pos, n);
        qlin::fake_quantize_per_channel(x.data(), outer, C, inner, y.data(), p, mask.data());
      } else {
        REQUIRE(kind == "pcf");
        qlin::per_channel_float_params p;
        p.scales = scales;
        p.zero_points = floats(r, &pos, C);
        p.qmin = qmin;
        p.qmax = qmax;
        x = floats(r, &pos, n);
        qlin::fake_quantize_per_channel(x.data(), outer, C, inner, y.data(), p, mask.data(), fc);
      }
      dy = floats(r, &pos, n);
      out = floats(r, &pos, n);
      dx = floats(r, &pos, n);
    }
    REQUIRE(pos == r.size());
    std::vector<float> got_dx(dy.size());
    qlin::fake_quantize_backward(dy.data(), mask.data(), dy.size(), got_dx.data());
    CHECK(mismatches(y, out, "out") == 0);
    CHECK(mismatches(got_dx, dx, "dx") == 0);
    ++cases;
    elements += x.size();
  }
  CHECK(cases == rows.size());
  CHECK(elements > 3000);
}

TEST_CASE("LSQ forward and gradients equal torch 1.13", "[fake_quant][lsq][torch]") {
  const auto rows = qlin_test::read_rows("fake_quant_lsq.txt");
  REQUIRE(rows.size() > 100);
  std::size_t zp_differs = 0;
  std::size_t by_mode[2] = {0, 0};
  for (const auto& row : rows) {
    const qlin::fp_contract fc = row[0] == "avx2" ? qlin::fp_contract::fma : qlin::fp_contract::off;
    ++by_mode[fc == qlin::fp_contract::fma ? 1 : 0];
    const qlin_test::row r(row.begin() + 1, row.end());
    INFO(row[0] << " " << r[1]);
    const qlin::qrange range{static_cast<std::int32_t>(to_i64(r[2])), static_cast<std::int32_t>(to_i64(r[3]))};
    std::size_t pos = 4;
    if (r[0] == "lsqt") {
      const float scale = f32_from_hex(r[pos++]);
      const float z = f32_from_hex(r[pos++]);
      const float g = f32_from_hex(r[pos++]);
      const auto n = static_cast<std::size_t>(to_i64(r[pos++]));
      const auto x = floats(r, &pos, n);
      const auto dy = floats(r, &pos, n);
      const auto out = floats(r, &pos, n);
      const auto dx = floats(r, &pos, n);
      const float ds = f32_from_hex(r[pos++]);
      const float dz = f32_from_hex(r[pos++]);
      REQUIRE(pos == r.size());
      if (qlin::lsq_forward_zero_point(z, range) != qlin::lsq_backward_zero_point(z, range)) ++zp_differs;
      std::vector<float> y(n), got_dx(n);
      qlin::fake_quantize_learnable(x.data(), n, y.data(), scale, z, range);
      const qlin::lsq_gradients gr =
          qlin::fake_quantize_learnable_backward(x.data(), dy.data(), n, scale, z, range, g, got_dx.data(), fc);
      CHECK(mismatches(y, out, "out") == 0);
      CHECK(mismatches(got_dx, dx, "dx") == 0);
      INFO("dscale qlin " << gr.d_scale << " torch " << ds << "; dzp qlin " << gr.d_zero_point << " torch " << dz);
      CHECK(close_rel(gr.d_scale, ds, 1e-5));
      CHECK(close_rel(gr.d_zero_point, dz, 1e-5));
    } else {
      REQUIRE(r[0] == "lsqc");
      const auto outer = static_cast<std::size_t>(to_i64(r[pos++]));
      const auto C = static_cast<std::size_t>(to_i64(r[pos++]));
      const auto inner = static_cast<std::size_t>(to_i64(r[pos++]));
      const std::size_t n = outer * C * inner;
      const auto scales = floats(r, &pos, C);
      const auto zs = floats(r, &pos, C);
      const float g = f32_from_hex(r[pos++]);
      const auto x = floats(r, &pos, n);
      const auto dy = floats(r, &pos, n);
      const auto out = floats(r, &pos, n);
      const auto dx = floats(r, &pos, n);
      const auto ds = floats(r, &pos, C);
      const auto dz = floats(r, &pos, C);
      REQUIRE(pos == r.size());
      std::vector<float> y(n), got_dx(n), got_ds(C), got_dz(C);
      qlin::fake_quantize_learnable_per_channel(x.data(), outer, C, inner, y.data(), scales.data(), zs.data(), range);
      qlin::fake_quantize_learnable_per_channel_backward(x.data(), dy.data(), outer, C, inner, scales.data(), zs.data(),
                                                         range, g, got_dx.data(), got_ds.data(), got_dz.data(), fc);
      CHECK(mismatches(y, out, "out") == 0);
      CHECK(mismatches(got_dx, dx, "dx") == 0);
      for (std::size_t c = 0; c < C; ++c) {
        INFO("channel " << c << " dscale qlin " << got_ds[c] << " torch " << ds[c] << "; dzp qlin " << got_dz[c]
                        << " torch " << dz[c]);
        CHECK(close_rel(got_ds[c], ds[c], 1e-5));
        CHECK(close_rel(got_dz[c], dz[c], 1e-5));
      }
    }
  }
  // The data must exercise the forward / backward zero-point disagreement.
  CHECK(zp_differs >= 10);
  CHECK(by_mode[0] > 100);
  CHECK(by_mode[1] > 100);
}

TEST_CASE("LSQ zero points: forward rne, per-tensor backward truncates z + 0.5", "[fake_quant][lsq]") {
  const qlin::qrange u8{0, 255};
  const qlin::qrange s8{-128, 127};
  CHECK(qlin::lsq_forward_zero_point(2.5f, u8) == 2);
  CHECK(qlin::lsq_backward_zero_point(2.5f, u8) == 3);
  CHECK(qlin::lsq_forward_zero_point(3.5f, u8) == 4);
  CHECK(qlin::lsq_backward_zero_point(3.5f, u8) == 4);
  CHECK(qlin::lsq_forward_zero_point(-2.3f, s8) == -2);
  CHECK(qlin::lsq_backward_zero_point(-2.3f, s8) == -1);
  CHECK(qlin::lsq_forward_zero_point(-2.3f, u8) == 0);
  CHECK(qlin::lsq_backward_zero_point(-2.3f, u8) == 0);
  CHECK(qlin::lsq_forward_zero_point(0.49999997f, u8) == 0);
  CHECK(qlin::lsq_backward_zero_point(0.49999997f, u8) == 1);  // 0.49999997f + 0.5f rounds to 1.0f
  CHECK(qlin::lsq_forward_zero_point(300.0f, u8) == 255);
  CHECK(qlin::lsq_backward_zero_point(-300.0f, s8) == -128);
}

TEST_CASE("fake_quantize: qlin's NaN / Inf rule", "[fake_quant][nan]") {
  const qlin::quant_params p{0.5f, 3, 0, 255};
  const float x[] = {kNaN, kInf, -kInf, 1e30f, -1e30f, 1.0f};
  float y[6];
  std::uint8_t mask[6];
  qlin::fake_quantize(x, 6, y, p, mask);
  CHECK(f32_bits(y[0]) == f32_bits(0.0f));  // the code of 0.0 is the zero point
  CHECK(y[1] == (255 - 3) * 0.5f);
  CHECK(y[2] == (0 - 3) * 0.5f);
  CHECK(y[3] == (255 - 3) * 0.5f);
  CHECK(y[4] == (0 - 3) * 0.5f);
  CHECK(y[5] == 1.0f);
  CHECK(mask[0] == 0);
  CHECK(mask[1] == 0);
  CHECK(mask[2] == 0);
  CHECK(mask[3] == 0);
  CHECK(mask[4] == 0);
  CHECK(mask[5] == 1);
  const float dy[] = {2.0f, -2.0f, 2.0f, 2.0f, 2.0f, -3.0f};
  float dx[6];
  qlin::fake_quantize_backward(dy, mask, 6, dx);
  CHECK(f32_bits(dx[0]) == f32_bits(0.0f));
  CHECK(f32_bits(dx[1]) == f32_bits(-0.0f));  // dy * 0.0f keeps the sign, as torch's dY * mask
  CHECK(dx[5] == -3.0f);

  // Float zero point: NaN gives clamp(rne(z)) - z.
  qlin::per_channel_float_params fp;
  fp.scales = {0.5f};
  fp.zero_points = {2.25f};
  fp.qmin = 0;
  fp.qmax = 15;
  float yf[3];
  std::uint8_t mf[3];
  const float xf[] = {kNaN, kInf, -kInf};
  qlin::fake_quantize_per_channel(xf, 1, 1, 3, yf, fp, mf);
  CHECK(yf[0] == (2.0f - 2.25f) * 0.5f);
  CHECK(yf[1] == (15.0f - 2.25f) * 0.5f);
  CHECK(yf[2] == (0.0f - 2.25f) * 0.5f);
  CHECK((mf[0] | mf[1] | mf[2]) == 0);

  // LSQ: NaN contributes nothing to dS / dZ, +-Inf count as clamped.
  const float xl[] = {kNaN, kInf, -kInf};
  const float dyl[] = {1.0f, 1.0f, 1.0f};
  float dxl[3];
  const qlin::lsq_gradients g = qlin::fake_quantize_learnable_backward(xl, dyl, 3, 0.5f, 3.0f, {0, 255}, 1.0f, dxl);
  CHECK(g.d_scale == (255.0f - 3.0f) + (0.0f - 3.0f));
  CHECK(g.d_zero_point == -1.0f);
  CHECK((dxl[0] == 0.0f && dxl[1] == 0.0f && dxl[2] == 0.0f));
}

TEST_CASE("fake_quantize: unaligned, in place, empty", "[fake_quant]") {
  const qlin::quant_params p{0.1f, -3, -128, 127};
  std::vector<float> x = {0.05f, -0.15f, 12.7f, 13.0f, -12.5f, 3.3f, 0.25f};
  std::vector<float> ref(x.size());
  qlin::fake_quantize(x.data(), x.size(), ref.data(), p);
  // Unaligned source and destination.
  std::vector<unsigned char> buf(x.size() * sizeof(float) + 3);
  std::memcpy(buf.data() + 1, x.data(), x.size() * sizeof(float));
  float* ux = reinterpret_cast<float*>(buf.data() + 1);
  qlin::fake_quantize(ux, x.size(), ux, p);  // in place
  std::vector<float> got(x.size());
  std::memcpy(got.data(), buf.data() + 1, x.size() * sizeof(float));
  CHECK(mismatches(got, ref, "unaligned") == 0);
  qlin::fake_quantize(nullptr, 0, nullptr, p);
  const qlin::lsq_gradients g =
      qlin::fake_quantize_learnable_backward(nullptr, nullptr, 0, 1.0f, 0.0f, {0, 255}, 1.0f, nullptr);
  CHECK(g.d_scale == 0.0f);
  CHECK(g.d_zero_point == 0.0f);
}
