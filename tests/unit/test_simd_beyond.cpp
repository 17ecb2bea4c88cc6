// Tests for the SIMD paths beyond INT8: qlin/kernels/binary.hpp (sign packing, XNOR-popcount dot),
// qlin/kernels/int4.hpp's quantize + pack (per tensor, per group) and qlin/kernels/fake_quant.hpp
// (forward + STE mask, backward). Each equals its scalar reference in qlin/{binary,int4,fake_quant}.hpp bit
// for bit, for every arch the build can run (this file is rebuilt with -mavx2 and -mavx512*, see
// tests/CMakeLists.txt): every length over a few vectors with odd tails, misaligned pointers, random data,
// the special values (NaN of both signs, +-0, +-Inf, denormals, ties, saturation) and a strided sweep of
// all 2^32 float bit patterns.
#include <qlin/binary.hpp>
#include <qlin/fake_quant.hpp>
#include <qlin/int4.hpp>
#include <qlin/kernels/binary.hpp>
#include <qlin/kernels/fake_quant.hpp>
#include <qlin/kernels/int4.hpp>
#include <qlin/simd.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "qlin_catch.hpp"
#include "simd_test_archs.hpp"

#if QLIN_SIMD

namespace {

using beyond_archs = qlin_test::simd_test_archs;

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

bool same_bytes(const void* a, const void* b, std::size_t n) { return n == 0 || std::memcmp(a, b, n) == 0; }

// The index of the first float whose bits differ (a.size() if none), for the failure messages.
std::size_t first_diff(const std::vector<float>& a, const std::vector<float>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_bytes(&a[i], &b[i], sizeof(float))) return i;
  }
  return a.size();
}

// Signalling NaNs quieted (bit 22 set): `dy * 1.0f` may keep an sNaN where the compiler folds it to `dy` (GCC
// does, -fno-signaling-nans being the default) and quiets it where a multiplication runs.
std::vector<float> quiet_snans(std::vector<float> v) {
  for (float& f : v) {
    std::uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    if ((b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu) != 0) b |= 0x00400000u;
    std::memcpy(&f, &b, sizeof b);
  }
  return v;
}

std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// The special values every float kernel is fed, mixed into random data.
std::vector<float> specials() {
  const float inf = std::numeric_limits<float>::infinity();
  return {0.0f,
          -0.0f,
          inf,
          -inf,
          from_bits(0x7FC00000u),  // quiet NaN
          from_bits(0xFFC00000u),  // negative quiet NaN
          from_bits(0x7F800001u),  // signalling NaN
          from_bits(0xFF800001u),
          from_bits(0x00000001u),  // smallest denormal
          from_bits(0x80000001u),
          from_bits(0x007FFFFFu),  // largest denormal
          from_bits(0x807FFFFFu),
          std::numeric_limits<float>::min(),
          -std::numeric_limits<float>::min(),
          std::numeric_limits<float>::max(),
          -std::numeric_limits<float>::max(),
          8388608.0f,
          -8388609.0f,
          0.5f,
          -0.5f,
          1.5f,
          -2.5f,
          0.49999997f};
}

// n random floats in [lo, hi], every 5th replaced by a special value, plus ties k + 0.5 of the grid `step`.
std::vector<float> mixed_floats(std::size_t n, float lo, float hi, float step, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::uniform_int_distribution<int> k(-40, 40);
  const std::vector<float> sp = specials();
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (rng() % 5) {
      case 0: v[i] = sp[rng() % sp.size()]; break;
      case 1: v[i] = (static_cast<float>(k(rng)) + 0.5f) * step; break;  // a tie (or next to one) of x * (1 / s)
      default: v[i] = d(rng); break;
    }
  }
  return v;
}

std::vector<std::uint64_t> random_words(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> v(n);
  for (auto& w : v) w = rng();
  return v;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ binary

TEMPLATE_LIST_TEST_CASE("binary SIMD: pack_signs equals the scalar, every length, misaligned, special values",
                        "[binary][simd]", beyond_archs) {
  using A = TestType;
  const std::size_t max_n = 5 * 64 + 3;
  const std::vector<float> x = mixed_floats(max_n + 4, -3.0f, 3.0f, 0.25f, 11);
  for (std::size_t off = 0; off < 4; ++off) {
    for (std::size_t n = 0; n <= max_n; ++n) {
      INFO("arch " << A::name() << " n " << n << " offset " << off);
      std::vector<std::uint64_t> want(qlin::words_per_row(n) + 1, 0x5A5A5A5A5A5A5A5Aull), got(want);
      qlin::pack_signs(x.data() + off, n, want.data());
      qlin::kernels::pack_signs<A>(x.data() + off, n, got.data());
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("binary SIMD: pack_signs' rule for NaN, -0, +0, denormals on the kernel arch", "[binary][simd]") {
  using A = qlin::arch::kernel_arch;
  // 64 floats, one word: the expected bit of each element written out independently of the scalar.
  std::vector<float> x(64, -1.0f);
  std::uint64_t expect = 0;
  const std::vector<std::pair<float, bool>> cases = {{from_bits(0x7FC00000u), true},
                                                     {from_bits(0xFFC00000u), true},
                                                     {from_bits(0xFF800001u), true},
                                                     {-0.0f, true},
                                                     {0.0f, true},
                                                     {from_bits(0x80000001u), false},
                                                     {from_bits(0x00000001u), true},
                                                     {-std::numeric_limits<float>::infinity(), false},
                                                     {std::numeric_limits<float>::infinity(), true}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::size_t pos = 7 * i + 1;  // spread over the word, across vector lanes
    x[pos] = cases[i].first;
    if (cases[i].second) expect |= std::uint64_t{1} << pos;
  }
  std::uint64_t got = 0;
  qlin::kernels::pack_signs<A>(x.data(), 64, &got);
  REQUIRE(got == expect);
}

TEMPLATE_LIST_TEST_CASE("binary SIMD: pack_signs over a strided sweep of all 2^32 float bit patterns", "[binary][simd]",
                        beyond_archs) {
  using A = TestType;
  std::vector<float> x(64 * 1024);
  std::vector<std::uint64_t> want(1024), got(1024);
  std::uint64_t bits = 0;
  for (int chunk = 0; chunk < 64; ++chunk) {
    for (float& v : x) {
      v = from_bits(static_cast<std::uint32_t>(bits));
      bits += 65537;  // 2^32 / 65537 ~ 65536 patterns per pass over the range, all exponents and signs
    }
    qlin::pack_signs(x.data(), x.size(), want.data());
    qlin::kernels::pack_signs<A>(x.data(), x.size(), got.data());
    INFO("arch " << A::name() << " chunk " << chunk);
    REQUIRE(got == want);
  }
}

TEST_CASE("binary SIMD: the popcount method of each arch", "[binary][simd]") {
  const std::string m = qlin::kernels::popcount_method<qlin::arch::kernel_arch>();
  INFO("kernel arch " << qlin::arch::kernel_arch::name() << ": " << m);
  CHECK(m != "scalar");
#if defined(QLIN_EXPECT_VPOPCNTDQ)  // set by the VPOPCNTDQ test build: vpopcntq must be compiled in
  CHECK(m == "vpopcntq");
#endif
#if XSIMD_WITH_SSE2
  CHECK(std::string(qlin::kernels::popcount_method<xsimd::sse2>()) == "psadbw-swar");
#endif
}

TEMPLATE_LIST_TEST_CASE("binary SIMD: XNOR-popcount dot equals the scalar, every length, misaligned words",
                        "[binary][simd]", beyond_archs) {
  using A = TestType;
  const std::size_t max_words = 21;  // > 2 blocks of 8 words on AVX-512, with odd word tails
  const std::size_t max_n = max_words * 64;
  const std::vector<std::uint64_t> a = random_words(max_words + 4, 1), b = random_words(max_words + 4, 2);
  const std::vector<std::uint64_t> ones(max_words + 4, ~std::uint64_t{0}), zeros(max_words + 4, 0);
  for (std::size_t off = 0; off < 4; ++off) {
    for (std::size_t n = 0; n <= max_n; ++n) {
      INFO("arch " << A::name() << " n " << n << " word offset " << off);
      REQUIRE(qlin::kernels::xnor_popcount_dot<A>(a.data() + off, b.data() + off, n) ==
              qlin::xnor_popcount_dot(a.data() + off, b.data() + off, n));
      REQUIRE(qlin::kernels::xnor_popcount_dot<A>(a.data() + off, a.data() + off, n) == static_cast<std::int64_t>(n));
      REQUIRE(qlin::kernels::xnor_popcount_dot<A>(ones.data() + off, zeros.data() + off, n) ==
              -static_cast<std::int64_t>(n));
      REQUIRE(qlin::kernels::xnor_popcount_dot<A>(ones.data() + off, b.data() + off, n) ==
              qlin::xnor_popcount_dot(ones.data() + off, b.data() + off, n));
    }
  }
}

TEMPLATE_LIST_TEST_CASE("binary SIMD: XNOR-popcount dot equals sum a_i * b_i of the packed signs", "[binary][simd]",
                        beyond_archs) {
  using A = TestType;
  for (std::size_t n : {1u, 63u, 64u, 65u, 255u, 256u, 511u, 512u, 513u, 4097u, 100003u}) {
    const std::vector<float> xa = mixed_floats(n, -1.0f, 1.0f, 0.5f, static_cast<std::uint32_t>(n));
    const std::vector<float> xb = mixed_floats(n, -1.0f, 1.0f, 0.5f, static_cast<std::uint32_t>(n + 1));
    std::vector<std::uint64_t> pa(qlin::words_per_row(n)), pb(pa.size());
    qlin::kernels::pack_signs<A>(xa.data(), n, pa.data());
    qlin::kernels::pack_signs<A>(xb.data(), n, pb.data());
    std::int64_t ref = 0;
    for (std::size_t i = 0; i < n; ++i) ref += (!(xa[i] < 0.0f) ? 1 : -1) * (!(xb[i] < 0.0f) ? 1 : -1);
    INFO("arch " << A::name() << " n " << n);
    REQUIRE(qlin::kernels::xnor_popcount_dot<A>(pa.data(), pb.data(), n) == ref);
    // Garbage above the n valid bits of the last word is ignored.
    if (n % 64 != 0) {
      pa.back() |= ~std::uint64_t{0} << (n % 64);
      REQUIRE(qlin::kernels::xnor_popcount_dot<A>(pa.data(), pb.data(), n) == ref);
    }
  }
}

// ------------------------------------------------------------------------------------------------ int4

namespace {

struct int4_case {
  qlin::quant_params p;
  qlin::quantize_method m;
  bool is_signed;
};

std::vector<int4_case> int4_cases() {
  using qlin::rounding;
  std::vector<int4_case> v;
  const qlin::quant_params s{0.25f, 0, -8, 7}, s_narrow{0.1f, 0, -7, 7}, s_aff{0.0371f, -3, -8, 7};
  const qlin::quant_params u{0.25f, 8, 0, 15}, u_aff{0.13f, 3, 0, 15}, u_sub{0.5f, 5, 2, 12};
  for (const rounding r : {rounding::half_even, rounding::half_away, rounding::half_up}) {
    for (const bool divide : {false, true}) {
      for (const bool before : {false, true}) {
        qlin::quantize_method m;
        m.mode = r;
        m.divide = divide;
        m.zero_point_before_round = before;
        for (const auto& p : {s, s_narrow, s_aff}) v.push_back({p, m, true});
        for (const auto& p : {u, u_aff, u_sub}) v.push_back({p, m, false});
      }
    }
  }
  return v;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("int4 SIMD: quantize + pack equals the scalar, every length, odd tails, every method",
                        "[int4][simd]", beyond_archs) {
  using A = TestType;
  const std::size_t max_n = 2 * 256 + 2 * 2 * qlin::kernels::int4_block_bytes<A>() + 3;  // > 2 chunks
  const std::vector<float> x = mixed_floats(max_n + 4, -4.0f, 4.0f, 0.25f, 5);
  for (const int4_case& c : int4_cases()) {
    for (std::size_t off = 0; off < 2; ++off) {
      for (std::size_t n = 0; n <= max_n; n += (n < 300 ? 1 : 7)) {
        INFO("arch " << A::name() << " n " << n << " offset " << off << " scale " << c.p.scale << " zp "
                     << c.p.zero_point << " [" << c.p.qmin << ", " << c.p.qmax << "] rounding "
                     << static_cast<int>(c.m.mode) << " divide " << c.m.divide << " before "
                     << c.m.zero_point_before_round);
        // The output is preset with garbage: every byte must be written (the padding nibble as 0).
        std::vector<std::uint8_t> want(qlin::packed_bytes(n) + 2, 0xA5), got(want);
        if (c.is_signed) {
          qlin::quantize_int4(x.data() + off, n, want.data() + off, c.p, c.m);
          qlin::kernels::quantize_int4<A>(x.data() + off, n, got.data() + off, c.p, c.m);
        } else {
          qlin::quantize_uint4(x.data() + off, n, want.data() + off, c.p, c.m);
          qlin::kernels::quantize_uint4<A>(x.data() + off, n, got.data() + off, c.p, c.m);
        }
        REQUIRE(got == want);
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("int4 SIMD: quantize + pack over a strided sweep of all 2^32 float bit patterns",
                        "[int4][simd]", beyond_archs) {
  using A = TestType;
  std::vector<float> x(1 << 16);
  std::vector<std::uint8_t> want(x.size() / 2), got(x.size() / 2);
  const qlin::quant_params ps{0.0371f, -3, -8, 7}, pu{1e-30f, 7, 0, 15};
  std::uint64_t bits = 3;
  for (int chunk = 0; chunk < 64; ++chunk) {
    for (float& v : x) {
      v = from_bits(static_cast<std::uint32_t>(bits));
      bits += 65537;
    }
    INFO("arch " << A::name() << " chunk " << chunk);
    qlin::quantize_int4(x.data(), x.size(), want.data(), ps);
    qlin::kernels::quantize_int4<A>(x.data(), x.size(), got.data(), ps);
    REQUIRE(got == want);
    qlin::quantize_uint4(x.data(), x.size(), want.data(), pu);
    qlin::kernels::quantize_uint4<A>(x.data(), x.size(), got.data(), pu);
    REQUIRE(got == want);
  }
}

TEMPLATE_LIST_TEST_CASE("int4 SIMD: per-group quantize + pack equals the scalar for even, odd and short groups",
                        "[int4][simd]", beyond_archs) {
  using A = TestType;
  struct shape {
    std::size_t rows, cols, group;
  };
  for (const shape s : {shape{3, 256, 32}, shape{2, 256, 128}, shape{3, 200, 64}, shape{4, 131, 33}, shape{2, 257, 129},
                        shape{3, 5, 2}, shape{2, 301, 301}, shape{5, 7, 3}, shape{2, 600, 1}}) {
    std::vector<float> w = mixed_floats(s.rows * s.cols, -2.0f, 1.0f, 0.01f, static_cast<std::uint32_t>(s.cols));
    for (std::size_t r = 0; r < s.rows; ++r) {
      for (std::size_t c = 0; c < s.cols; c += s.group) w[r * s.cols + c] = 0.75f;  // a finite value in every group
    }
    for (float& v : w) {
      if (v > 4.0f || v < -4.0f) v = v > 0.0f ? 3.9f : -3.9f;  // finite ranges (FLT_MAX would overflow the scale);
    }                                                          // NaN stays, +-Inf become +-3.9
    for (auto type : {qlin::dtype::int4, qlin::dtype::uint4}) {
      for (const bool symmetric : {false, true}) {
        qlin::qparams_options opt;
        opt.type = type;
        opt.scheme = symmetric ? qlin::qscheme::symmetric : qlin::qscheme::affine;
        const auto gp = qlin::choose_qparams_per_group(w.data(), s.rows, s.cols, s.group, opt);
        REQUIRE(gp);
        std::vector<std::uint8_t> want(s.rows * qlin::packed_bytes(s.cols), 0x5A), got(want);
        qlin::quantize_per_group(w.data(), want.data(), *gp);
        qlin::kernels::quantize_per_group<A>(w.data(), got.data(), *gp);
        INFO("arch " << A::name() << " rows " << s.rows << " cols " << s.cols << " group " << s.group);
        REQUIRE(got == want);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------ fake quant

namespace {

template <class A>
void check_fake_quant(const std::vector<float>& x, const qlin::quant_params& p, std::size_t off) {
  const std::size_t n = x.size() - off;
  std::vector<float> yw(n), yg(n);
  std::vector<std::uint8_t> mw(n + 1, 0xEE), mg(n + 1, 0xEE);
  qlin::fake_quantize(x.data() + off, n, yw.data(), p, mw.data());
  qlin::kernels::fake_quantize<A>(x.data() + off, n, yg.data(), p, mg.data());
  std::size_t bad = n;
  for (std::size_t i = 0; i < n && bad == n; ++i) {
    if (!same_bytes(&yw[i], &yg[i], sizeof(float)) || mw[i] != mg[i]) bad = i;
  }
  if (bad != n) {
    std::uint32_t xb, wb, gb;
    std::memcpy(&xb, &x[off + bad], 4);
    std::memcpy(&wb, &yw[bad], 4);
    std::memcpy(&gb, &yg[bad], 4);
    INFO("arch " << A::name() << " n " << n << " index " << bad << " x bits " << xb << " want " << wb << " mask "
                 << int{mw[bad]} << " got " << gb << " mask " << int{mg[bad]} << " scale " << p.scale << " zp "
                 << p.zero_point << " [" << p.qmin << ", " << p.qmax << "]");
    REQUIRE(bad == n);
  }
  REQUIRE(mg[n] == 0xEE);  // nothing written past the end
  // Without a mask, and in place.
  std::vector<float> inplace(x.begin() + static_cast<std::ptrdiff_t>(off), x.end());
  qlin::kernels::fake_quantize<A>(inplace.data(), n, inplace.data(), p);
  REQUIRE(same_bytes(inplace.data(), yw.data(), n * sizeof(float)));
}

std::vector<qlin::quant_params> fake_quant_params() {
  return {{0.1f, 0, -128, 127},
          {0.0371f, 13, -128, 127},
          {0.02f, 128, 0, 255},
          {0.25f, 0, 0, 255},
          {1e-3f, -77, -32768, 32767},
          {3.0f, 2, 0, 3},
          {0.5f, 0, -127, 127},
          {1e-30f, 5, -8, 7},
          {1e30f, 0, -128, 127},
          {0.01f, 0, -(1 << 23), 1 << 23},
          {0.01f, 0, -(1 << 24), 1 << 24},     // widest vector range, fallback
          {0.75f, 100, -(1 << 30), 1 << 30}};  // the scalar fallback
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("fake_quant SIMD: forward + mask equal the scalar, every length, misaligned, specials",
                        "[fake_quant][simd]", beyond_archs) {
  using A = TestType;
  const std::size_t max_n = 3 * 4 * xsimd::batch<float, A>::size + 3;
  for (const qlin::quant_params& p : fake_quant_params()) {
    const std::int64_t width = std::int64_t{p.qmax} - std::int64_t{p.qmin};  // up to 2^31: not in int
    const float range = p.scale * static_cast<float>(width < 1000 ? width : 1000);
    const std::vector<float> x = mixed_floats(max_n + 3, -range, range, p.scale, 17);
    for (std::size_t off = 0; off < 3; ++off) {
      for (std::size_t n = 0; n <= max_n; ++n) {
        check_fake_quant<A>(std::vector<float>(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n + off)), p, off);
      }
    }
    check_fake_quant<A>(mixed_floats(100003, -range, range, p.scale, 18), p, 1);
  }
}

TEMPLATE_LIST_TEST_CASE("fake_quant SIMD: forward over a strided sweep of all 2^32 float bit patterns",
                        "[fake_quant][simd]", beyond_archs) {
  using A = TestType;
  std::vector<float> x(1 << 16);
  std::uint64_t bits = 5;
  for (int chunk = 0; chunk < 64; ++chunk) {
    for (float& v : x) {
      v = from_bits(static_cast<std::uint32_t>(bits));
      bits += 65537;
    }
    for (const qlin::quant_params& p :
         {qlin::quant_params{0.0371f, 13, -128, 127}, qlin::quant_params{1e-3f, -77, -32768, 32767},
          qlin::quant_params{1e-30f, 5, -8, 7}}) {
      check_fake_quant<A>(x, p, 0);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("fake_quant SIMD: per-channel forward + mask equal the scalar", "[fake_quant][simd]",
                        beyond_archs) {
  using A = TestType;
  struct shape {
    std::size_t outer, channels, inner;
  };
  for (const shape s : {shape{2, 3, 37}, shape{1, 4, 1}, shape{3, 2, 100}, shape{1, 1, 257}, shape{4, 5, 16}}) {
    qlin::per_channel_params p;
    p.qmin = -128, p.qmax = 127;
    for (std::size_t c = 0; c < s.channels; ++c) {
      p.scales.push_back(0.01f * static_cast<float>(c + 1));
      p.zero_points.push_back(static_cast<std::int32_t>(c * 7) - 10);
    }
    const std::size_t n = s.outer * s.channels * s.inner;
    const std::vector<float> x = mixed_floats(n, -2.0f, 2.0f, 0.01f, static_cast<std::uint32_t>(n));
    std::vector<float> yw(n), yg(n);
    std::vector<std::uint8_t> mw(n), mg(n);
    qlin::fake_quantize_per_channel(x.data(), s.outer, s.channels, s.inner, yw.data(), p, mw.data());
    qlin::kernels::fake_quantize_per_channel<A>(x.data(), s.outer, s.channels, s.inner, yg.data(), p, mg.data());
    INFO("arch " << A::name() << " shape " << s.outer << "x" << s.channels << "x" << s.inner);
    REQUIRE(same_bytes(yw.data(), yg.data(), n * sizeof(float)));
    REQUIRE(mw == mg);
  }
}

TEMPLATE_LIST_TEST_CASE("fake_quant SIMD: LSQ forward equals the scalar, zero points at ties and out of range",
                        "[fake_quant][simd]", beyond_archs) {
  using A = TestType;
  const std::vector<float> x = mixed_floats(1000, -3.0f, 3.0f, 0.05f, 31);
  for (const qlin::qrange r : {qlin::qrange{-128, 127}, qlin::qrange{0, 255}, qlin::qrange{-8, 7}}) {
    for (const float z : {0.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.49999997f, 126.7f, 300.0f, -1e9f, 1e30f}) {
      for (std::size_t n : {0u, 1u, 31u, 64u, 999u}) {
        std::vector<float> yw(n), yg(n);
        std::vector<std::uint8_t> mw(n), mg(n);
        qlin::fake_quantize_learnable(x.data(), n, yw.data(), 0.05f, z, r, mw.data());
        qlin::kernels::fake_quantize_learnable<A>(x.data(), n, yg.data(), 0.05f, z, r, mg.data());
        INFO("arch " << A::name() << " z " << z << " [" << r.qmin << ", " << r.qmax << "] n " << n);
        REQUIRE(first_diff(yw, yg) == n);
        REQUIRE(mw == mg);
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("fake_quant SIMD: STE backward equals the scalar, NaN / Inf / -0 dy, aliasing",
                        "[fake_quant][simd]", beyond_archs) {
  using A = TestType;
  const std::size_t max_n = 3 * 4 * xsimd::batch<float, A>::size + 3;
  const std::vector<float> dy = mixed_floats(max_n + 2, -5.0f, 5.0f, 0.5f, 23);
  std::mt19937 rng(29);
  std::vector<std::uint8_t> mask(max_n + 2);
  for (auto& m : mask) m = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : (rng() % 4 == 0 ? rng() % 256 : 1));
  for (std::size_t off = 0; off < 3; ++off) {
    for (std::size_t n = 0; n <= max_n; ++n) {
      INFO("arch " << A::name() << " n " << n << " offset " << off);
      std::vector<float> want(n), got(n);
      qlin::fake_quantize_backward(dy.data() + off, mask.data() + off, n, want.data());
      qlin::kernels::fake_quantize_backward<A>(dy.data() + off, mask.data() + off, n, got.data());
      want = quiet_snans(want);  // see quiet_snans; every other bit must agree
      got = quiet_snans(got);
      const std::size_t d = first_diff(want, got);
      INFO("first difference at " << d
                                  << (d < n ? " dy bits " + std::to_string(bits_of(dy[off + d])) + " mask " +
                                                  std::to_string(mask[off + d]) + " want bits " +
                                                  std::to_string(bits_of(want[d])) + " got bits " +
                                                  std::to_string(bits_of(got[d]))
                                            : std::string()));
      REQUIRE(d == n);
      std::vector<float> alias(dy.begin() + static_cast<std::ptrdiff_t>(off),
                               dy.begin() + static_cast<std::ptrdiff_t>(off + n));
      qlin::kernels::fake_quantize_backward<A>(alias.data(), mask.data() + off, n, alias.data());
      REQUIRE(first_diff(quiet_snans(alias), want) == n);
    }
  }
}

// ------------------------------------------------------------------------------------------------ qlin::simd

TEST_CASE("qlin::simd: binary / int4 / fake-quant entry points equal the scalar functions", "[simd][binary][int4]") {
  const std::size_t n = 1001;
  const std::vector<float> x = mixed_floats(n, -2.0f, 2.0f, 0.25f, 41);
  std::vector<std::uint64_t> w1(qlin::words_per_row(n)), w2(w1.size());
  qlin::pack_signs(x.data(), n, w1.data());
  qlin::simd::pack_signs(x.data(), n, w2.data());
  REQUIRE(w1 == w2);
  const std::vector<std::uint64_t> b = random_words(w1.size(), 42);
  REQUIRE(qlin::simd::xnor_popcount_dot(w1.data(), b.data(), n) == qlin::xnor_popcount_dot(w1.data(), b.data(), n));
  const qlin::quant_params ps{0.25f, -1, -8, 7}, pu{0.25f, 8, 0, 15};
  std::vector<std::uint8_t> q1(qlin::packed_bytes(n)), q2(q1.size());
  qlin::quantize_int4(x.data(), n, q1.data(), ps);
  qlin::simd::quantize_int4(x.data(), n, q2.data(), ps);
  REQUIRE(q1 == q2);
  qlin::quantize_uint4(x.data(), n, q1.data(), pu);
  qlin::simd::quantize_uint4(x.data(), n, q2.data(), pu);
  REQUIRE(q1 == q2);
  std::vector<float> wg = mixed_floats(4 * 100, -1.0f, 1.0f, 0.1f, 43);
  for (float& v : wg) v = v == v && v > -1.0f && v < 1.0f ? v : 0.5f;  // finite groups
  qlin::qparams_options opt;
  opt.type = qlin::dtype::int4;
  const auto gp = qlin::choose_qparams_per_group(wg.data(), 4, 100, 32, opt);
  REQUIRE(gp);
  std::vector<std::uint8_t> g1(4 * qlin::packed_bytes(100)), g2(g1.size());
  qlin::quantize_per_group(wg.data(), g1.data(), *gp);
  qlin::simd::quantize_per_group(wg.data(), g2.data(), *gp);
  REQUIRE(g1 == g2);
  const qlin::quant_params p8{0.02f, 3, -128, 127};
  std::vector<float> y1(n), y2(n), d1(n), d2(n);
  std::vector<std::uint8_t> m1(n), m2(n);
  qlin::fake_quantize(x.data(), n, y1.data(), p8, m1.data());
  qlin::simd::fake_quantize(x.data(), n, y2.data(), p8, m2.data());
  REQUIRE(first_diff(y1, y2) == n);
  REQUIRE(m1 == m2);
  qlin::per_channel_params pc;
  pc.scales = {0.01f, 0.02f, 0.03f};
  pc.zero_points = {0, -5, 7};
  pc.qmin = -128, pc.qmax = 127;
  qlin::fake_quantize_per_channel(x.data(), 1, 3, 333, y1.data(), pc, m1.data());
  qlin::simd::fake_quantize_per_channel(x.data(), 1, 3, 333, y2.data(), pc, m2.data());
  REQUIRE(first_diff(y1, y2) == n);
  REQUIRE(m1 == m2);
  qlin::fake_quantize_backward(x.data(), m1.data(), n, d1.data());
  qlin::simd::fake_quantize_backward(x.data(), m1.data(), n, d2.data());
  REQUIRE(first_diff(quiet_snans(d1), quiet_snans(d2)) == n);
}

// ------------------------------------------------------------------------------------------------ hidden: all 2^32

TEST_CASE("beyond SIMD: pack_signs, quantize_int4, fake_quantize over all 2^32 float patterns",
          "[.exhaustive][simd][binary][int4][fake_quant]") {
  using A = qlin::arch::kernel_arch;
  constexpr std::uint64_t kChunk = std::uint64_t{1} << 22;  // 4 Mi patterns per chunk (a multiple of 64)
  std::vector<float> x(kChunk), yw(kChunk), yg(kChunk);
  std::vector<std::uint64_t> sw(kChunk / 64), sg(kChunk / 64);
  std::vector<std::uint8_t> qw(kChunk / 2), qg(kChunk / 2), mw(kChunk), mg(kChunk);
  const qlin::quant_params p4{0.0371f, -3, -8, 7}, p8{0.0123456f, 3, -128, 127};
  for (std::uint64_t start = 0; start < (std::uint64_t{1} << 32); start += kChunk) {
    for (std::uint64_t i = 0; i < kChunk; ++i) x[i] = from_bits(static_cast<std::uint32_t>(start + i));
    INFO("arch " << A::name() << " patterns from " << start);
    qlin::pack_signs(x.data(), kChunk, sw.data());
    qlin::kernels::pack_signs<A>(x.data(), kChunk, sg.data());
    REQUIRE(sw == sg);
    qlin::quantize_int4(x.data(), kChunk, qw.data(), p4);
    qlin::kernels::quantize_int4<A>(x.data(), kChunk, qg.data(), p4);
    REQUIRE(qw == qg);
    qlin::fake_quantize(x.data(), kChunk, yw.data(), p8, mw.data());
    qlin::kernels::fake_quantize<A>(x.data(), kChunk, yg.data(), p8, mg.data());
    REQUIRE(first_diff(yw, yg) == kChunk);
    REQUIRE(mw == mg);
  }
}

#endif  // QLIN_SIMD
