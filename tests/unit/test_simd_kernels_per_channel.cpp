// Tests for the second round of SIMD kernels (issue 3): per-channel double / single rounding
// requantization (per-lane shifts, arch/fixed_point.hpp *_var), the non-temporal-store path of
// quantize / dequantize for large outputs (arch/stream.hpp), and the arch-templated scalar
// per-element functions the kernels use for prologues and tails (kernels/*.hpp, detail::*_one<A>).
// Every result equals the scalar reference (qlin/quantize.hpp, qlin/requantize.hpp) bit for bit, for
// every arch the build can run: the kernel arch plus every lesser x86 arch compiled in.
#include <qlin/simd.hpp>

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

#if QLIN_SIMD

namespace {

constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();

using test_archs = qlin_test::simd_test_archs;

// +-2^i +- {0, 1, 2}, the int32 extremes, and seeded random values.
std::vector<std::int32_t> boundary_int32(std::size_t random_count, std::uint32_t seed) {
  std::vector<std::int32_t> v = {0, 1, -1, 2, -2, kI32Min, kI32Min + 1, kI32Min + 2, kI32Max, kI32Max - 1, kI32Max - 2};
  for (int i = 1; i < 31; ++i) {
    for (int d = -2; d <= 2; ++d) {
      v.push_back(static_cast<std::int32_t>((std::int64_t{1} << i) + d));
      v.push_back(static_cast<std::int32_t>(-(std::int64_t{1} << i) + d));
    }
  }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  for (std::size_t i = 0; i < random_count; ++i) v.push_back(any(rng));
  return v;
}

// Ties of the second rounding: j * 2^e + 2^(e-1) + {-2..2} for the shifts of the test.
void append_ties(std::vector<std::int32_t>& v, int shift) {
  const int k = shift < 0 ? -shift : 0;
  for (std::int64_t j = -12; j <= 12; ++j) {
    for (int e : {k, k + 1}) {
      if (e > 31) continue;
      const std::int64_t base = j * (std::int64_t{1} << e) + (e > 0 ? (std::int64_t{1} << (e - 1)) : 0);
      for (int d = -1; d <= 1; ++d) {
        const std::int64_t t = base + d;
        if (t >= kI32Min && t <= kI32Max) v.push_back(static_cast<std::int32_t>(t));
      }
    }
  }
}

template <class T, class A>
void check_rows(const std::vector<std::int32_t>& acc, std::size_t rows, std::size_t channels, const std::int32_t* bias,
                const qlin::per_channel_requantize_params& p) {
  std::vector<T> want(rows * channels), got(rows * channels);
  qlin::requantize_rows(acc.data(), rows, channels, bias, want.data(), p);
  qlin::kernels::requantize_rows_s32<T, A>(acc.data(), rows, channels, bias, got.data(), p);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] != got[i]) {
      const std::size_t c = i % channels;
      INFO("arch " << A::name() << " rounding " << qlin::to_string(p.rounding) << " channels " << channels << " row "
                   << i / channels << " channel " << c << " acc " << acc[i] << " bias "
                   << (bias != nullptr ? bias[c] : 0) << " multiplier " << p.multipliers[c].multiplier << " shift "
                   << p.multipliers[c].shift << " zp " << p.zero_point << " [" << p.qmin << ", " << p.qmax
                   << "] want " << int(want[i]) << " got " << int(got[i]));
      FAIL("requantize_rows per-channel mismatch");
    }
  }
}

// Channel c gets shift min_shift + c % 62 and one of a few multipliers: every shift in every lane.
qlin::per_channel_requantize_params every_shift_params(std::size_t channels, qlin::requant_rounding k, std::int32_t z,
                                                       std::int32_t qmin, std::int32_t qmax, std::uint32_t seed) {
  const std::int32_t mults[] = {1 << 30, 1518500250, kI32Max, 0, 1, 1999999999};
  std::mt19937 rng(seed);
  qlin::per_channel_requantize_params p;
  p.rounding = k;
  p.zero_point = z;
  p.qmin = qmin;
  p.qmax = qmax;
  p.multipliers.resize(channels);
  p.scales.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const int span = qlin::max_shift - qlin::min_shift + 1;
    p.multipliers[c] = {mults[(c / static_cast<std::size_t>(span) + rng() % 2) % 6],
                        qlin::min_shift + static_cast<int>(c % static_cast<std::size_t>(span))};
    p.scales[c] = static_cast<float>(p.multipliers[c].real());
  }
  return p;
}

}  // namespace

// ------------------------------------------------------------------ arch: per-lane shifts

TEMPLATE_LIST_TEST_CASE("arch: per-lane shifts and single rounding with per-lane exponent", "[simd][arch]",
                        test_archs) {
  using A = TestType;
  if constexpr (qlin::arch::has_variable_shift<A>()) {
    using bi = xsimd::batch<std::int32_t, A>;
    constexpr std::size_t N = bi::size;
    const std::vector<std::int32_t> xs = boundary_int32(2000, 21);
    std::mt19937 rng(22);
    alignas(64) std::int32_t x[N], e[N], t[N], m[N], r1[N], r2[N], r3[N];
    for (std::size_t i = 0; i + N <= xs.size(); i += N) {
      for (std::size_t k = 0; k < N; ++k) {
        x[k] = xs[i + k];
        e[k] = static_cast<std::int32_t>(rng() % 32);
        t[k] = 1 + static_cast<std::int32_t>(rng() % 62);
        m[k] = (k % 3 == 0) ? kI32Max : static_cast<std::int32_t>(rng() & 0x7FFFFFFF);
      }
      const bi vx = bi::load_aligned(x), ve = bi::load_aligned(e);
      qlin::arch::shift_left_var<A>(vx, ve).store_aligned(r1);
      qlin::arch::shift_right_var<A>(vx, ve).store_aligned(r2);
      for (std::int32_t lo : {-128, -32768, kI32Min}) {
        const std::int32_t hi = lo == kI32Min ? kI32Max : -lo - 1;
        qlin::arch::rounding_mul_shift_right_clamp_var<A>(vx, bi::load_aligned(m), bi::load_aligned(t), lo, hi)
            .store_aligned(r3);
        for (std::size_t k = 0; k < N; ++k) {
          const std::int64_t p = static_cast<std::int64_t>(x[k]) * m[k];
          const std::int64_t y = (p + (std::int64_t{1} << (t[k] - 1))) >> t[k];
          const std::int64_t want = y < lo ? lo : (y > hi ? hi : y);
          INFO("x " << x[k] << " m " << m[k] << " t " << t[k] << " lo " << lo);
          REQUIRE(r3[k] == want);
        }
      }
      for (std::size_t k = 0; k < N; ++k) {
        REQUIRE(r1[k] == static_cast<std::int32_t>(static_cast<std::uint32_t>(x[k]) << e[k]));
        REQUIRE(r2[k] == (x[k] >> e[k]));
      }
    }
  } else {
    SUCCEED(A::name() << " has no per-lane shift: per-channel double / single rounding stays scalar there");
  }
}

// ------------------------------------------------------------------ per-channel requantization

TEMPLATE_LIST_TEST_CASE("requantize_rows per channel: every shift in every lane, ties, every rounding",
                        "[simd][requantize][per_channel]", test_archs) {
  using A = TestType;
  constexpr std::size_t block = xsimd::batch<std::int8_t, A>::size;
  const std::size_t channels = 62 * 6;  // every shift with each multiplier; > one 256-channel tile
  std::vector<std::int32_t> vals = boundary_int32(500, 31);
  for (int s = qlin::min_shift; s <= qlin::max_shift; s += 3) append_ties(vals, s);
  const std::size_t rows = (vals.size() + channels - 1) / channels + 1;
  std::vector<std::int32_t> acc(rows * channels);
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = vals[(i * 7919) % vals.size()];
  // Column c also sees every value: rotate the values through the channels row by row.
  std::mt19937 rng(32);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  std::vector<std::int32_t> bias(channels);
  for (auto& b : bias) b = any(rng) / 4;
  bias[0] = kI32Max;
  bias[1] = kI32Min;
  for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding}) {
    for (std::int32_t z : {-128, -1, 0, 5, 127, 300, -65536}) {
      const auto p = every_shift_params(channels, k, z, -128, 127, static_cast<std::uint32_t>(z + 1000));
      for (const std::int32_t* b : {static_cast<const std::int32_t*>(nullptr), static_cast<const std::int32_t*>(bias.data())}) {
        check_rows<std::int8_t, A>(acc, rows, channels, b, p);
        // Channel counts around the block and the tile: fewer channels share the same params prefix.
        for (std::size_t ch : {block - 1, block, block + 1, 3 * block + 5, std::size_t{256}, std::size_t{257}}) {
          auto pc = p;
          pc.multipliers.resize(ch);
          pc.scales.resize(ch);
          std::vector<std::int32_t> a2(acc.begin(), acc.begin() + static_cast<std::ptrdiff_t>(ch * 3));
          check_rows<std::int8_t, A>(a2, 3, ch, b, pc);
        }
      }
      auto pu = every_shift_params(channels, k, z < 0 ? 0 : (z > 255 ? 255 : z), 0, 255, 7);
      check_rows<std::uint8_t, A>(acc, rows, channels, bias.data(), pu);
      auto p16 = every_shift_params(channels, k, z, -32768, 32767, 8);
      check_rows<std::int16_t, A>(acc, rows, channels, bias.data(), p16);
      auto pr = every_shift_params(channels, k, z, std::max(z, -128), 100, 9);  // ReLU-like activation range
      if (pr.qmin < pr.qmax) check_rows<std::int8_t, A>(acc, rows, channels, nullptr, pr);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("requantize_rows per channel: real multipliers, random accumulators, odd shapes",
                        "[simd][requantize][per_channel]", test_archs) {
  using A = TestType;
  std::mt19937 rng(33);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  std::uniform_int_distribution<std::int32_t> small(-(1 << 22), 1 << 22);
  std::uniform_real_distribution<float> logw(-14.0f, 4.0f);
  for (std::size_t channels : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{33}, std::size_t{64},
                               std::size_t{100}, std::size_t{600}}) {
    for (std::size_t rows : {std::size_t{1}, std::size_t{4}}) {
      std::vector<float> ws(channels);
      for (auto& w : ws) w = std::exp2(logw(rng));
      std::vector<std::int32_t> acc(rows * channels), bias(channels);
      for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = (i % 4 == 0) ? any(rng) : small(rng);
      for (auto& b : bias) b = small(rng);
      for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding,
                     qlin::requant_rounding::fp32}) {
        const auto p = qlin::make_requantize_params_per_channel(0.03f, ws.data(), channels, 0.05f, -7, {-128, 127}, k);
        REQUIRE(p);
        check_rows<std::int8_t, A>(acc, rows, channels, bias.data(), *p);
        check_rows<std::int8_t, A>(acc, rows, channels, nullptr, *p);
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("requantize_rows per channel: in place for int8 output, more channels than a tile",
                        "[simd][requantize][per_channel]", test_archs) {
  using A = TestType;
  for (std::size_t channels : {std::size_t{300}, std::size_t{700}, std::size_t{64}}) {
    const std::size_t rows = 9;
    std::vector<std::int32_t> acc(rows * channels);
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<std::int32_t>(i * 104729u) - 30000000;
    for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding,
                   qlin::requant_rounding::fp32}) {
      const auto p = every_shift_params(channels, k, 3, -128, 127, 44);
      std::vector<std::int8_t> want(acc.size());
      qlin::requantize_rows(acc.data(), rows, channels, nullptr, want.data(), p);
      std::vector<std::int32_t> buf(acc);
      auto* out = reinterpret_cast<std::int8_t*>(buf.data());
      qlin::kernels::requantize_rows_s32<std::int8_t, A>(buf.data(), rows, channels, nullptr, out, p);
      REQUIRE(std::memcmp(out, want.data(), want.size()) == 0);
    }
  }
}

// ------------------------------------------------------------------ large arrays: non-temporal stores

TEMPLATE_LIST_TEST_CASE("quantize / dequantize above the streaming threshold, misaligned destinations",
                        "[simd][stream]", test_archs) {
  using A = TestType;
  // Enough elements that the output reaches arch::stream_threshold_bytes, plus an odd tail.
  const std::size_t n8 = qlin::arch::stream_threshold_bytes + 77;
  const std::size_t nf = qlin::arch::stream_threshold_bytes / sizeof(float) + 77;
  std::mt19937 rng(41);
  std::uniform_real_distribution<float> uf(-200.0f, 200.0f);
  std::vector<float> x(n8 + 8);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 5 == 0) ? std::round(uf(rng)) + 0.5f : uf(rng);
  x[10] = std::numeric_limits<float>::quiet_NaN();
  x[n8 - 3] = std::numeric_limits<float>::infinity();
  const qlin::quant_params p{0.75f, -3, -128, 127};
  for (const auto& m : {qlin::quantize_method{}, qlin::quantize_method::of(qlin::compat::tflite),
                        qlin::quantize_method::of(qlin::compat::gemmlowp)}) {
    for (std::size_t off : {std::size_t{0}, std::size_t{1}, std::size_t{13}, std::size_t{63}}) {
      std::vector<std::int8_t> want(n8 + 64, 0x55), got(n8 + 64, 0x55);
      qlin::quantize(x.data() + 1, n8, want.data() + off, p, m);
      qlin::kernels::quantize_f32<std::int8_t, A>(x.data() + 1, n8, got.data() + off, p, m);
      REQUIRE(want == got);
    }
  }
  {
    const std::size_t n16 = qlin::arch::stream_threshold_bytes / 2 + 5;
    const qlin::quant_params p16{0.01f, 17, -32768, 32767};
    std::vector<std::int16_t> want(n16 + 40), got(n16 + 40);
    qlin::quantize(x.data(), n16, want.data() + 3, p16);
    qlin::kernels::quantize_f32<std::int16_t, A>(x.data(), n16, got.data() + 3, p16);
    REQUIRE(want == got);
  }
  std::vector<std::int8_t> q(nf + 8);
  std::vector<std::uint8_t> qu(nf + 8);
  for (std::size_t i = 0; i < q.size(); ++i) {
    q[i] = static_cast<std::int8_t>(static_cast<int>(i * 37u % 256u) - 128);
    qu[i] = static_cast<std::uint8_t>(i * 91u % 256u);
  }
  for (std::size_t off : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{15}}) {
    std::vector<float> want(nf + 32, -1.0f), got(nf + 32, -1.0f);
    qlin::dequantize(q.data() + 1, nf, want.data() + off, p);
    qlin::kernels::dequantize_f32<std::int8_t, A>(q.data() + 1, nf, got.data() + off, p);
    REQUIRE(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
    const qlin::quant_params pu{0.03f, 128, 0, 255};
    qlin::dequantize(qu.data(), nf, want.data() + off, pu);
    qlin::kernels::dequantize_f32<std::uint8_t, A>(qu.data(), nf, got.data() + off, pu);
    REQUIRE(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
  }
  // A float destination that is not even 4-byte aligned: no streaming possible, still exact.
  std::vector<unsigned char> raw((nf + 4) * sizeof(float));
  std::vector<float> want(nf);
  qlin::dequantize(q.data(), nf, want.data(), p);
  auto* r = reinterpret_cast<float*>(raw.data() + 2);
  qlin::kernels::dequantize_f32<std::int8_t, A>(q.data(), nf, r, p);
  REQUIRE(std::memcmp(want.data(), raw.data() + 2, nf * sizeof(float)) == 0);
}

// ------------------------------------------------------------------ 8-bit fast paths: narrow ranges, every zero point

TEMPLATE_LIST_TEST_CASE("quantize / requantize 8-bit fast paths: custom ranges, every zero point, NaN and Inf",
                        "[simd][quantize][requantize]", test_archs) {
  using A = TestType;
  std::mt19937 rng(61);
  std::uniform_real_distribution<float> uf(-400.0f, 400.0f);
  std::vector<float> x(1000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 2) ? std::round(uf(rng) * 2.0f) / 2.0f : uf(rng);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[4] = -std::numeric_limits<float>::quiet_NaN();
  x[5] = std::numeric_limits<float>::infinity();
  x[6] = -std::numeric_limits<float>::infinity();
  x[7] = 3e38f;
  x[8] = -3e38f;
  const std::vector<std::int32_t> acc = boundary_int32(1000, 62);
  for (const auto& m : {qlin::quantize_method{}, qlin::quantize_method{qlin::rounding::half_even, true, false}}) {
    for (std::int32_t z = -128; z <= 127; z += 5) {
      for (auto r : {std::make_pair(-128, 127), std::make_pair(-100, 50), std::make_pair(-5, 5)}) {
        if (z < r.first || z > r.second) continue;
        const qlin::quant_params p{0.7f, z, r.first, r.second};
        std::vector<std::int8_t> want(x.size()), got(x.size());
        qlin::quantize(x.data(), x.size(), want.data(), p, m);
        qlin::kernels::quantize_f32<std::int8_t, A>(x.data(), x.size(), got.data(), p, m);
        INFO("arch " << A::name() << " z " << z << " [" << r.first << ", " << r.second << "]");
        REQUIRE(want == got);
      }
    }
    for (std::int32_t z = 0; z <= 255; z += 7) {
      for (auto r : {std::make_pair(0, 255), std::make_pair(10, 200)}) {
        if (z < r.first || z > r.second) continue;
        const qlin::quant_params p{0.3f, z, r.first, r.second};
        std::vector<std::uint8_t> want(x.size()), got(x.size());
        qlin::quantize(x.data(), x.size(), want.data(), p, m);
        qlin::kernels::quantize_f32<std::uint8_t, A>(x.data(), x.size(), got.data(), p, m);
        INFO("arch " << A::name() << " z " << z << " [" << r.first << ", " << r.second << "]");
        REQUIRE(want == got);
      }
    }
  }
  for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding,
                 qlin::requant_rounding::fp32}) {
    for (std::int32_t z : {-32001, -32000, -300, -128, 0, 77, 255, 31999, 32000, 32001}) {
      for (auto r : {std::make_pair(-128, 127), std::make_pair(-20, 100)}) {
        const auto p = qlin::make_requantize_params(0.00123, z, {r.first, r.second}, k);
        REQUIRE(p);
        std::vector<std::int8_t> want(acc.size()), got(acc.size());
        qlin::requantize(acc.data(), acc.size(), want.data(), *p);
        qlin::kernels::requantize_s32<std::int8_t, A>(acc.data(), acc.size(), got.data(), *p);
        INFO("arch " << A::name() << " rounding " << qlin::to_string(k) << " z " << z);
        REQUIRE(want == got);
        auto pu = *p;
        pu.qmin = 3;
        pu.qmax = 250;
        std::vector<std::uint8_t> wu(acc.size()), gu(acc.size());
        qlin::requantize(acc.data(), acc.size(), wu.data(), pu);
        qlin::kernels::requantize_s32<std::uint8_t, A>(acc.data(), acc.size(), gu.data(), pu);
        REQUIRE(wu == gu);
      }
    }
  }
}

// ------------------------------------------------------------------ the arch-templated scalar copies

TEMPLATE_LIST_TEST_CASE("scalar per-element copies (templates on the arch) equal the reference",
                        "[simd][scalar]", test_archs) {
  using A = TestType;
  const std::vector<std::int32_t> acc = boundary_int32(3000, 51);
  std::mt19937 rng(52);
  for (int shift = qlin::min_shift; shift <= qlin::max_shift; ++shift) {
    for (std::int32_t mult : {1 << 30, 1518500250, kI32Max, 0, 1, static_cast<std::int32_t>(rng() & 0x7FFFFFFF)}) {
      const qlin::quantized_multiplier m{mult, shift};
      for (std::int32_t a : acc) {
        REQUIRE(qlin::kernels::detail::mul_double_rounding_one<A>(a, m) == qlin::multiply_by_quantized_multiplier(a, m));
        REQUIRE(qlin::kernels::detail::mul_single_rounding_one<A>(a, m) ==
                qlin::multiply_by_quantized_multiplier_single_rounding(a, m));
      }
    }
  }
  for (std::int32_t a : acc) {
    for (std::int32_t b : {kI32Max, kI32Min, 0, -1, 1, 123456789}) {
      REQUIRE(qlin::kernels::detail::saturating_add_one<A>(a, b) == qlin::detail::saturating_add(a, b));
    }
    for (float s : {1.0f, 0.5f, 3.7e-6f, 1e10f}) {
      REQUIRE(qlin::kernels::detail::requantize_one<A>(a, qlin::requant_rounding::fp32, {}, s, -3, -128, 127) ==
              qlin::detail::requantize_one(a, qlin::requant_rounding::fp32, {}, s, -3, -128, 127));
    }
  }
  std::uniform_real_distribution<float> uf(-70000.0f, 70000.0f);
  std::vector<float> xs = {0.0f, -0.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -0.49999997f,
                           std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(), 8388607.5f};
  for (int i = 0; i < 20000; ++i) xs.push_back(i % 2 ? std::round(uf(rng) * 2.0f) / 2.0f : uf(rng));
  for (float s : {1.0f, 0.1f, 3.0f}) {
    for (auto mode : {qlin::rounding::half_even, qlin::rounding::half_away, qlin::rounding::half_up}) {
      for (bool divide : {false, true}) {
        for (bool before : {false, true}) {
          const qlin::quantize_method m{mode, divide, before};
          for (float x : xs) {
            for (auto r : {std::make_pair(-128, 127), std::make_pair(-32768, 32767)}) {
              const std::int32_t z = r.first == -128 ? 5 : -700;
              REQUIRE(qlin::kernels::detail::quantize_one<A>(x, s, 1.0f / s, z, r.first, r.second, m) ==
                      qlin::detail::quantize_one(x, s, 1.0f / s, z, r.first, r.second, m));
            }
          }
        }
      }
    }
  }
}

#endif  // QLIN_SIMD
