// Tests for qlin/int4.hpp (packing, per-tensor and per-group 4-bit quantization, W4A8 dot product) and
// qlin/kernels/int4.hpp (SIMD == scalar, bit for bit, for every arch the build can run).
#include <qlin/int4.hpp>
#include <qlin/kernels/int4.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <type_traits>
#include <vector>

#include "qlin_catch.hpp"
#include "simd_test_archs.hpp"

namespace {

std::vector<float> random_floats(std::size_t n, float lo, float hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, 255);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(d(rng));
  return v;
}

// The exact W4A8 reference: int64, codes read with the layout stated in int4.hpp, no shared helper.
std::int64_t dot_ref(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za, std::int32_t zw,
                     bool is_signed) {
  std::int64_t s = 0;
  for (std::size_t i = 0; i < k; ++i) {
    int u = (i % 2 == 0) ? (w[i / 2] & 0x0F) : (w[i / 2] >> 4);
    if (is_signed && u >= 8) u -= 16;
    s += (std::int64_t{a[i]} - za) * (std::int64_t{u} - zw);
  }
  return s;
}

std::int32_t wrap32(std::int64_t v) {
  const std::uint32_t u = static_cast<std::uint32_t>(static_cast<std::uint64_t>(v));
  std::int32_t out;
  std::memcpy(&out, &u, sizeof out);
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace

TEST_CASE("int4: pack / unpack every nibble pair, low nibble first", "[int4]") {
  for (int lo = -8; lo <= 7; ++lo) {
    for (int hi = -8; hi <= 7; ++hi) {
      const std::int8_t v[2] = {static_cast<std::int8_t>(lo), static_cast<std::int8_t>(hi)};
      std::uint8_t b = 0xAA;
      qlin::pack_int4(v, 2, &b);
      REQUIRE(int{b} == ((lo & 15) | ((hi & 15) << 4)));
      std::int8_t back[2] = {0, 0};
      qlin::unpack_int4(&b, 2, back);
      REQUIRE(int{back[0]} == lo);
      REQUIRE(int{back[1]} == hi);
    }
  }
  for (int lo = 0; lo <= 15; ++lo) {
    for (int hi = 0; hi <= 15; ++hi) {
      const std::uint8_t v[2] = {static_cast<std::uint8_t>(lo), static_cast<std::uint8_t>(hi)};
      std::uint8_t b = 0;
      qlin::pack_uint4(v, 2, &b);
      REQUIRE(int{b} == (lo | (hi << 4)));
      std::uint8_t back[2] = {0, 0};
      qlin::unpack_uint4(&b, 2, back);
      REQUIRE(int{back[0]} == lo);
      REQUIRE(int{back[1]} == hi);
    }
  }
  // Every byte round-trips through unpack + pack.
  for (int byte = 0; byte < 256; ++byte) {
    const std::uint8_t b = static_cast<std::uint8_t>(byte);
    std::int8_t s[2];
    std::uint8_t u[2], b1 = 0, b2 = 0;
    qlin::unpack_int4(&b, 2, s);
    qlin::unpack_uint4(&b, 2, u);
    qlin::pack_int4(s, 2, &b1);
    qlin::pack_uint4(u, 2, &b2);
    REQUIRE(b1 == b);
    REQUIRE(b2 == b);
    REQUIRE(int{s[0]} == ((byte & 15) ^ 8) - 8);
  }
  // Odd n: the last high nibble is written as 0.
  const std::int8_t v3[3] = {-1, 5, -8};
  std::uint8_t p3[2] = {0xFF, 0xFF};
  qlin::pack_int4(v3, 3, p3);
  REQUIRE(p3[0] == 0x5F);
  REQUIRE(p3[1] == 0x08);
  REQUIRE(qlin::packed_bytes(0) == 0);
  REQUIRE(qlin::packed_bytes(3) == 2);
  REQUIRE(qlin::packed_bytes(4) == 2);
  qlin::pack_int4(nullptr, 0, nullptr);  // empty input does nothing
}

TEST_CASE("int4: quantize / dequantize equal the int8 / uint8 formulas on a 4-bit range", "[int4]") {
  std::vector<float> x = random_floats(1001, -3.0f, 3.0f, 7);
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  for (float t = -8.5f; t <= 8.5f; t += 0.25f) x.push_back(t * 0.375f);  // ties at scale 0.375
  const std::size_t n = x.size();
  for (bool sgn : {true, false}) {
    qlin::qparams_options opt;
    opt.type = sgn ? qlin::dtype::int4 : qlin::dtype::uint4;
    for (auto scheme : {qlin::qscheme::affine, qlin::qscheme::symmetric}) {
      for (auto preset : {qlin::compat::pytorch, qlin::compat::tflite, qlin::compat::gemmlowp}) {
        opt.scheme = scheme;
        opt.preset = preset;
        auto pr = qlin::choose_qparams(-2.5f, 3.0f, opt);
        REQUIRE(pr);
        qlin::quant_params p = *pr;
        if (preset == qlin::compat::pytorch && scheme == qlin::qscheme::affine) p.scale = 0.375f;  // ties
        const auto m = qlin::quantize_method::of(preset);
        std::vector<std::uint8_t> packed(qlin::packed_bytes(n), 0xEE);
        std::vector<float> got(n), want(n);
        if (sgn) {
          std::vector<std::int8_t> q(n), u(n);
          qlin::quantize(x.data(), n, q.data(), p, m);
          qlin::quantize_int4(x.data(), n, packed.data(), p, m);
          qlin::unpack_int4(packed.data(), n, u.data());
          REQUIRE(u == q);
          qlin::dequantize(q.data(), n, want.data(), p);
          qlin::dequantize_int4(packed.data(), n, got.data(), p);
        } else {
          std::vector<std::uint8_t> q(n), u(n);
          qlin::quantize(x.data(), n, q.data(), p, m);
          qlin::quantize_uint4(x.data(), n, packed.data(), p, m);
          qlin::unpack_uint4(packed.data(), n, u.data());
          REQUIRE(u == q);
          qlin::dequantize(q.data(), n, want.data(), p);
          qlin::dequantize_uint4(packed.data(), n, got.data(), p);
        }
        REQUIRE(same_bits(got, want));
        if (n % 2 != 0) REQUIRE((packed.back() >> 4) == 0);
        // NaN -> z, +-Inf -> qmax / qmin.
        std::vector<std::int32_t> codes(n);
        for (std::size_t i = 0; i < n; ++i) {
          const int u = (i % 2 == 0) ? (packed[i / 2] & 15) : (packed[i / 2] >> 4);
          codes[i] = sgn && u >= 8 ? u - 16 : u;
        }
        REQUIRE(codes[1001] == p.zero_point);
        REQUIRE(codes[1002] == p.qmax);
        REQUIRE(codes[1003] == p.qmin);
      }
    }
  }
}

TEST_CASE("int4: dequantize every code of every zero point", "[int4]") {
  std::vector<std::uint8_t> all(128);
  for (std::size_t i = 0; i < 128; ++i) all[i] = static_cast<std::uint8_t>(2 * i);  // 256 nibbles, each 16 times
  for (std::int32_t z = -8; z <= 7; ++z) {
    const qlin::quant_params p{0.1f, z, -8, 7};
    std::vector<float> r(256);
    qlin::dequantize_int4(all.data(), 256, r.data(), p);
    for (std::size_t i = 0; i < 256; ++i) {
      const int u = (i % 2 == 0) ? (all[i / 2] & 15) : (all[i / 2] >> 4);
      REQUIRE(r[i] == static_cast<float>(((u ^ 8) - 8) - z) * 0.1f);
    }
  }
}

TEST_CASE("int4: per-group parameters and codes equal per-tensor quantization of each group", "[int4]") {
  struct shape {
    std::size_t rows, cols, group;
  };
  for (const shape s : {shape{4, 128, 32}, shape{3, 256, 64}, shape{2, 384, 128}, shape{5, 100, 32}, shape{3, 33, 7},
                        shape{2, 9, 16}, shape{1, 0, 32}}) {
    std::vector<float> w = random_floats(s.rows * s.cols, -1.0f, 1.0f, static_cast<std::uint32_t>(s.cols));
    for (std::size_t r = 0; r < s.rows; ++r) {  // groups of very different magnitude
      for (std::size_t c = 0; c < s.cols; ++c) w[r * s.cols + c] *= static_cast<float>(1 + (c / 16) % 5 * 7);
    }
    if (!w.empty()) w[0] = std::numeric_limits<float>::quiet_NaN();  // skipped by the parameter choice
    for (auto type : {qlin::dtype::int4, qlin::dtype::uint4}) {
      for (auto scheme : {qlin::qscheme::affine, qlin::qscheme::symmetric}) {
        qlin::qparams_options opt;
        opt.type = type, opt.scheme = scheme;
        const auto gp = qlin::choose_qparams_per_group(w.data(), s.rows, s.cols, s.group, opt);
        REQUIRE(gp);
        const std::size_t gpr = gp->groups_per_row();
        REQUIRE(gpr == (s.cols + s.group - 1) / s.group);
        const std::size_t stride = qlin::packed_bytes(s.cols);
        std::vector<std::uint8_t> packed(s.rows * stride);
        qlin::quantize_per_group(w.data(), packed.data(), *gp);
        std::vector<float> deq(w.size());
        qlin::dequantize_per_group(packed.data(), deq.data(), *gp);
        for (std::size_t r = 0; r < s.rows; ++r) {
          for (std::size_t g = 0; g < gpr; ++g) {
            const std::size_t c0 = g * s.group, len = std::min(s.group, s.cols - c0);
            const float* x = &w[r * s.cols + c0];
            float lo = 0, hi = 0;
            bool any = false;
            for (std::size_t i = 0; i < len; ++i) {
              if (std::isnan(x[i])) continue;
              lo = any ? std::min(lo, x[i]) : x[i], hi = any ? std::max(hi, x[i]) : x[i], any = true;
            }
            const auto p = qlin::choose_qparams(lo, hi, opt);
            REQUIRE(p);
            REQUIRE(gp->at(r, g).scale == p->scale);
            REQUIRE(gp->at(r, g).zero_point == p->zero_point);
            std::vector<std::uint8_t> ref(qlin::packed_bytes(len));
            std::vector<float> ref_deq(len);
            if (type == qlin::dtype::int4) {
              qlin::quantize_int4(x, len, ref.data(), *p);
              qlin::dequantize_int4(ref.data(), len, ref_deq.data(), *p);
            } else {
              qlin::quantize_uint4(x, len, ref.data(), *p);
              qlin::dequantize_uint4(ref.data(), len, ref_deq.data(), *p);
            }
            for (std::size_t i = 0; i < len; ++i) {
              const std::size_t e = c0 + i;
              const int got = (e % 2 == 0) ? (packed[r * stride + e / 2] & 15) : (packed[r * stride + e / 2] >> 4);
              const int want = (i % 2 == 0) ? (ref[i / 2] & 15) : (ref[i / 2] >> 4);
              REQUIRE(got == want);
              REQUIRE(std::memcmp(&deq[r * s.cols + e], &ref_deq[i], sizeof(float)) == 0);
            }
          }
          if (s.cols % 2 != 0) REQUIRE((packed[r * stride + stride - 1] >> 4) == 0);
        }
      }
    }
  }
  // Errors.
  const float w[4] = {1, 2, 3, 4};
  REQUIRE(qlin::choose_qparams_per_group(w, 1, 4, 0, {}).code() == qlin::errc::invalid_argument);  // int8 dtype
  qlin::qparams_options opt;
  opt.type = qlin::dtype::int4;
  REQUIRE(qlin::choose_qparams_per_group(w, 1, 4, 0, opt).code() == qlin::errc::invalid_argument);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float bad[4] = {nan, nan, 1.0f, 2.0f};
  REQUIRE(qlin::choose_qparams_per_group(bad, 1, 4, 2, opt).code() == qlin::errc::no_finite_values);
}

TEST_CASE("int4: W4A8 dot product equals the int64 reference, full ranges included", "[int4][w4a8]") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> a8(-128, 127);
  for (bool sgn : {true, false}) {
    const std::int32_t wlo = sgn ? -8 : 0, whi = sgn ? 7 : 15;
    for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64},
                          std::size_t{129}, std::size_t{4097}}) {
      std::vector<std::int8_t> a(k);
      std::vector<std::uint8_t> w = random_bytes(qlin::packed_bytes(k), static_cast<std::uint32_t>(k));
      for (auto& v : a) v = static_cast<std::int8_t>(a8(rng));
      for (std::int32_t za : {0, -128, 127, 3}) {
        for (std::int32_t zw : {0, wlo, whi, 5}) {
          const std::int32_t got =
              sgn ? qlin::dot_s8_s4(a.data(), w.data(), k, za, zw) : qlin::dot_s8_u4(a.data(), w.data(), k, za, zw);
          REQUIRE(std::int64_t{got} == dot_ref(a.data(), w.data(), k, za, zw, sgn));
        }
      }
    }
    // Extremes: every a at -128 or 127, every w at the ends, at the depth bound.
    const std::size_t k = qlin::w4a8_max_depth;
    for (int av : {-128, 127}) {
      for (int wv : {wlo, whi}) {
        for (std::int32_t za : {-128, 127}) {
          for (std::int32_t zw : {wlo, whi}) {
            std::vector<std::int8_t> a(k, static_cast<std::int8_t>(av));
            std::vector<std::uint8_t> w(qlin::packed_bytes(k), static_cast<std::uint8_t>((wv & 15) * 17));
            const std::int32_t got =
                sgn ? qlin::dot_s8_s4(a.data(), w.data(), k, za, zw) : qlin::dot_s8_u4(a.data(), w.data(), k, za, zw);
            const std::int64_t ref = dot_ref(a.data(), w.data(), k, za, zw, sgn);
            REQUIRE(ref >= std::numeric_limits<std::int32_t>::min());
            REQUIRE(ref <= std::numeric_limits<std::int32_t>::max());
            REQUIRE(std::int64_t{got} == ref);
          }
        }
      }
    }
  }
}

TEST_CASE("int4: W4A8 per-group GEMV equals a double reference", "[int4][w4a8]") {
  const std::size_t rows = 7, cols = 200, group = 64;  // short last group of 8
  std::vector<float> w = random_floats(rows * cols, -0.5f, 0.5f, 3);
  qlin::qparams_options opt;
  opt.type = qlin::dtype::int4, opt.scheme = qlin::qscheme::symmetric;
  const auto gp = qlin::choose_qparams_per_group(w.data(), rows, cols, group, opt);
  REQUIRE(gp);
  std::vector<std::uint8_t> packed(rows * qlin::packed_bytes(cols));
  qlin::quantize_per_group(w.data(), packed.data(), *gp);
  std::vector<std::int8_t> a(cols);
  std::mt19937 rng(5);
  for (auto& v : a) v = static_cast<std::int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  const float sa = 0.02f;
  const std::int32_t za = -3;
  std::vector<float> y(rows);
  qlin::gemv_w4a8_per_group(a.data(), sa, za, packed.data(), *gp, y.data());
  std::vector<float> wd(rows * cols);
  qlin::dequantize_per_group(packed.data(), wd.data(), *gp);
  for (std::size_t r = 0; r < rows; ++r) {
    double ref = 0.0;
    for (std::size_t c = 0; c < cols; ++c) ref += double{wd[r * cols + c]} * sa * (a[c] - za);
    REQUIRE(double{y[r]} == Approx(ref).epsilon(1e-5).margin(1e-5));
  }
}

#if QLIN_SIMD

namespace {

using int4_test_archs = qlin_test::simd_test_archs_no_sse41;

}  // namespace

TEMPLATE_LIST_TEST_CASE("int4 SIMD: unpack / dequantize / dot equal the scalar, every length, misaligned",
                        "[int4][simd]", int4_test_archs) {
  using A = TestType;
  const std::size_t codes = 2 * qlin::kernels::int4_block_bytes<A>();
  const std::size_t max_n = 2 * codes + 1;
  const std::vector<std::uint8_t> bytes = random_bytes(max_n + 8, 99);
  std::vector<std::int8_t> act(max_n + 8);
  std::mt19937 rng(4);
  for (auto& v : act) v = static_cast<std::int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  act[0] = -128, act[1] = 127;
  const qlin::quant_params ps{0.0371f, -3, -8, 7}, pu{0.0371f, 9, 0, 15};
  for (std::size_t off = 0; off < 4; ++off) {
    for (std::size_t n = 0; n <= max_n; ++n) {
      INFO("arch " << A::name() << " n " << n << " offset " << off);
      const std::uint8_t* packed = bytes.data() + off;
      std::vector<std::int8_t> s_want(n + 4), s_got(n + 4);
      std::vector<std::uint8_t> u_want(n + 4), u_got(n + 4);
      qlin::unpack_int4(packed, n, s_want.data() + off);
      qlin::kernels::unpack_int4<A>(packed, n, s_got.data() + off);
      REQUIRE(s_got == s_want);
      qlin::unpack_uint4(packed, n, u_want.data() + off);
      qlin::kernels::unpack_uint4<A>(packed, n, u_got.data() + off);
      REQUIRE(u_got == u_want);
      // Misaligned float output: a byte buffer offset by `off`.
      std::vector<unsigned char> fw((n + 1) * sizeof(float)), fg((n + 1) * sizeof(float));
      qlin::dequantize_int4(packed, n, reinterpret_cast<float*>(fw.data() + off % 2), ps);
      qlin::kernels::dequantize_int4<A>(packed, n, reinterpret_cast<float*>(fg.data() + off % 2), ps);
      REQUIRE(fg == fw);
      qlin::dequantize_uint4(packed, n, reinterpret_cast<float*>(fw.data() + off % 2), pu);
      qlin::kernels::dequantize_uint4<A>(packed, n, reinterpret_cast<float*>(fg.data() + off % 2), pu);
      REQUIRE(fg == fw);
      for (std::int32_t za : {0, -128, 127}) {
        REQUIRE(qlin::kernels::dot_s8_s4<A>(act.data() + off, packed, n, za, -8) ==
                qlin::dot_s8_s4(act.data() + off, packed, n, za, -8));
        REQUIRE(qlin::kernels::dot_s8_u4<A>(act.data() + off, packed, n, za, 15) ==
                qlin::dot_s8_u4(act.data() + off, packed, n, za, 15));
        REQUIRE(std::int64_t{qlin::kernels::dot_s8_s4<A>(act.data() + off, packed, n, za, 7)} ==
                dot_ref(act.data() + off, packed, n, za, 7, true));
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("int4 SIMD: per-group dequantize equals the scalar for even, odd and short groups",
                        "[int4][simd]", int4_test_archs) {
  using A = TestType;
  struct shape {
    std::size_t rows, cols, group;
  };
  for (const shape s : {shape{3, 256, 32}, shape{2, 256, 128}, shape{3, 200, 64}, shape{4, 131, 33}, shape{2, 257, 129},
                        shape{3, 5, 2}}) {
    const std::vector<float> w = random_floats(s.rows * s.cols, -2.0f, 1.0f, static_cast<std::uint32_t>(s.cols));
    for (auto type : {qlin::dtype::int4, qlin::dtype::uint4}) {
      qlin::qparams_options opt;
      opt.type = type;
      const auto gp = qlin::choose_qparams_per_group(w.data(), s.rows, s.cols, s.group, opt);
      REQUIRE(gp);
      std::vector<std::uint8_t> packed(s.rows * qlin::packed_bytes(s.cols));
      qlin::quantize_per_group(w.data(), packed.data(), *gp);
      std::vector<float> want(w.size()), got(w.size());
      qlin::dequantize_per_group(packed.data(), want.data(), *gp);
      qlin::kernels::dequantize_per_group<A>(packed.data(), got.data(), *gp);
      INFO("arch " << A::name() << " cols " << s.cols << " group " << s.group);
      REQUIRE(same_bits(got, want));
    }
  }
}

TEMPLATE_LIST_TEST_CASE("int4 SIMD: W4A8 dot wraps like the scalar beyond the depth bound", "[int4][simd]",
                        int4_test_archs) {
  using A = TestType;
  const std::size_t k = qlin::w4a8_max_depth + 1001;
  std::vector<std::int8_t> a(k, -128);
  std::vector<std::uint8_t> w(qlin::packed_bytes(k), 0xFF);
  REQUIRE(qlin::kernels::dot_s8_u4<A>(a.data(), w.data(), k, 127, 0) == qlin::dot_s8_u4(a.data(), w.data(), k, 127, 0));
  REQUIRE(qlin::dot_s8_u4(a.data(), w.data(), k, 127, 0) == wrap32(dot_ref(a.data(), w.data(), k, 127, 0, false)));
  REQUIRE(qlin::kernels::dot_s8_s4<A>(a.data(), w.data(), k, 127, 7) == qlin::dot_s8_s4(a.data(), w.data(), k, 127, 7));
  REQUIRE(qlin::kernels::dot_s8_s4<A>(a.data(), w.data(), k, 127, 7) ==
          wrap32(dot_ref(a.data(), w.data(), k, 127, 7, true)));
}

#endif  // QLIN_SIMD
