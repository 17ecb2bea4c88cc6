// Tests for qlin/simd.hpp, qlin/kernels/*.hpp and qlin/arch/*.hpp: every SIMD path equals the scalar
// reference (qlin/quantize.hpp, qlin/requantize.hpp, qlin/fixed_point.hpp, qlin/rounding.hpp) bit for
// bit, for every arch the build can run: the build's kernel arch plus every lesser x86 arch compiled
// in (a -mavx2 build also tests sse2 and sse4_1 in the same binary).
//
// Hidden sweeps (Catch tag [.exhaustive], ctest label "exhaustive"): all 2^32 float patterns.
#include <qlin/arch/divide.hpp>
#include <qlin/simd.hpp>

#include <algorithm>
#include <cmath>
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

namespace {

constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();

[[maybe_unused]] float bits_to_float(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

template <class T>
std::size_t first_mismatch(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return i;
  }
  return a.size();
}

// gemmlowp MakeTestVals: +-2^i +- {0, 1, 2}, the int32 extremes, and seeded random values.
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

}  // namespace

#if QLIN_SIMD

namespace {

// The archs under test: the kernel arch, plus each lesser x86 arch compiled into this build.
using test_archs = qlin_test::simd_test_archs;

// ------------------------------------------------------------------ helpers running one batch

template <class A>
std::vector<std::int32_t> run_i32(const std::vector<std::int32_t>& in,
                                  xsimd::batch<std::int32_t, A> (*f)(const xsimd::batch<std::int32_t, A>&)) {
  constexpr std::size_t N = xsimd::batch<std::int32_t, A>::size;
  std::vector<std::int32_t> padded(in);
  padded.resize((in.size() + N - 1) / N * N, 0);
  std::vector<std::int32_t> out(padded.size());
  for (std::size_t i = 0; i < padded.size(); i += N) {
    f(xsimd::batch<std::int32_t, A>::load_unaligned(padded.data() + i)).store_unaligned(out.data() + i);
  }
  out.resize(in.size());
  return out;
}

// A tester in the XNNPACK style: one line per case.
struct quantize_case {
  qlin::quant_params p;
  qlin::quantize_method m;
};

template <class T, class A>
void check_quantize(const std::vector<float>& x, const qlin::quant_params& p, const qlin::quantize_method& m) {
  std::vector<T> want(x.size()), got(x.size());
  qlin::quantize(x.data(), x.size(), want.data(), p, m);
  qlin::kernels::quantize_f32<T, A>(x.data(), x.size(), got.data(), p, m);
  const std::size_t i = first_mismatch(want, got);
  if (i != x.size()) {
    std::uint32_t b;
    std::memcpy(&b, &x[i], sizeof b);
    INFO("arch " << A::name() << " scale " << p.scale << " zp " << p.zero_point << " [" << p.qmin << ", " << p.qmax
                 << "] mode " << qlin::to_string(m.mode) << " divide " << m.divide << " zp_before "
                 << m.zero_point_before_round << " x " << x[i] << " (0x" << std::hex << b << std::dec << ") want "
                 << int(want[i]) << " got " << int(got[i]));
    FAIL("quantize mismatch");
  }
}

std::vector<qlin::quantize_method> all_methods() {
  std::vector<qlin::quantize_method> v;
  for (auto mode : {qlin::rounding::half_even, qlin::rounding::half_away, qlin::rounding::half_up}) {
    for (bool divide : {false, true}) {
      for (bool before : {false, true}) v.push_back(qlin::quantize_method{mode, divide, before});
    }
  }
  return v;
}

template <class T>
std::vector<qlin::quant_params> quantize_params_for() {
  const std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const std::int32_t mid = lo + (hi - lo) / 2;
  return {
      {1.0f, 0 < lo ? lo : 0, lo, hi},  // identity scale: y == x, ties where x has them
      {0.5f, mid, lo, hi},
      {0.0123456f, lo, lo, hi},
      {3.0f, hi, lo, hi},
      {1e-3f, mid + 3, lo + 1, hi},     // narrow
      {0.1f, mid - 7, lo / 2, hi / 2},  // reduce-range-like
      {1e-30f, mid, lo, hi},            // tiny scale: nearly everything saturates
      {1e-30f, hi, lo, hi},             // (found on aarch64: xsimd's inexact NEON division)
      {1e30f, mid, lo, hi},             // huge scale: nearly everything rounds to z
  };
}

std::vector<float> special_floats() {
  std::vector<float> v = {0.0f,
                          -0.0f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::max(),
                          -std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::min(),
                          -std::numeric_limits<float>::min(),
                          std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(),
                          bits_to_float(0x007FFFFFu),
                          bits_to_float(0x807FFFFFu),
                          0.49999997f,
                          -0.49999997f,
                          8388607.5f,
                          -8388607.5f,
                          8388608.0f,
                          16777216.0f,
                          2147483648.0f,
                          -2147483648.0f,
                          4294967296.0f,
                          1e20f,
                          -1e20f};
  // NaNs: quiet and signalling, both signs, several payloads.
  for (std::uint32_t b : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u, 0x7FBFFFFFu, 0x7FFFFFFFu, 0xFFFFFFFFu,
                          0x7FC12345u, 0xFFA00000u}) {
    v.push_back(bits_to_float(b));
  }
  // Every k + 0.5 for small k and two neighbours on each side.
  for (int k = -70000; k <= 70000; k += (k > -300 && k < 300) ? 1 : 97) {
    float t = static_cast<float>(k) + 0.5f;
    v.push_back(t);
    float a = t, b = t;
    for (int j = 0; j < 2; ++j) {
      a = std::nextafter(a, -1e30f);
      b = std::nextafter(b, 1e30f);
      v.push_back(a);
      v.push_back(b);
    }
    v.push_back(static_cast<float>(k));
  }
  return v;
}

template <class T, class A>
void sweep_quantize(std::uint64_t stride, const std::vector<qlin::quant_params>& params,
                    const std::vector<qlin::quantize_method>& methods) {
  // In chunks of 2^20 patterns (the full sweep would need 16 GiB at once).
  constexpr std::uint64_t kEnd = std::uint64_t{1} << 32;
  std::vector<float> x;
  for (std::uint64_t start = 0; start < kEnd; start += stride << 20) {
    x.clear();
    for (std::uint64_t b = start; b < kEnd && b < start + (stride << 20); b += stride) {
      x.push_back(bits_to_float(static_cast<std::uint32_t>(b)));
    }
    for (const auto& p : params) {
      for (const auto& m : methods) check_quantize<T, A>(x, p, m);
    }
  }
}

template <class T, class A>
void check_requantize(const std::vector<std::int32_t>& acc, const qlin::requantize_params& p) {
  std::vector<T> want(acc.size()), got(acc.size());
  qlin::requantize(acc.data(), acc.size(), want.data(), p);
  qlin::kernels::requantize_s32<T, A>(acc.data(), acc.size(), got.data(), p);
  const std::size_t i = first_mismatch(want, got);
  if (i != acc.size()) {
    INFO("arch " << A::name() << " rounding " << qlin::to_string(p.rounding) << " multiplier "
                 << p.multiplier.multiplier << " shift " << p.multiplier.shift << " scale " << p.scale << " zp "
                 << p.zero_point << " [" << p.qmin << ", " << p.qmax << "] acc " << acc[i] << " want " << int(want[i])
                 << " got " << int(got[i]));
    FAIL("requantize mismatch");
  }
}

// Inputs for a shift: ties of both roundings (odd multiples of 2^(k-1), 2^k), neighbours, extremes.
std::vector<std::int32_t> requantize_inputs(int shift, std::uint32_t seed) {
  std::vector<std::int32_t> v = boundary_int32(64, seed);
  const int k = shift < 0 ? -shift : 0;
  for (std::int64_t j = -40; j <= 40; ++j) {
    for (int e : {k, k + 1}) {
      if (e > 31) continue;
      const std::int64_t base = j * (std::int64_t{1} << e) + (e > 0 ? (std::int64_t{1} << (e - 1)) : 0);
      for (int d = -2; d <= 2; ++d) {
        const std::int64_t t = base + d;
        if (t >= kI32Min && t <= kI32Max) v.push_back(static_cast<std::int32_t>(t));
      }
    }
  }
  return v;
}

}  // namespace

// ------------------------------------------------------------------ arch/ primitives

TEMPLATE_LIST_TEST_CASE("arch: saturating narrow int32 -> int16 / int8 / uint8", "[simd][arch]", test_archs) {
  using A = TestType;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t N = bi::size;
  std::vector<std::int32_t> in = boundary_int32(4096, 1);
  for (std::int32_t v = -70000; v <= 70000; v += 7) in.push_back(v);
  for (std::int32_t v = -300; v <= 300; ++v) in.push_back(v);
  in.resize((in.size() + 4 * N - 1) / (4 * N) * (4 * N), 0);
  std::vector<std::int8_t> s8(in.size());
  std::vector<std::uint8_t> u8(in.size());
  std::vector<std::int16_t> s16(in.size());
  for (std::size_t i = 0; i < in.size(); i += 4 * N) {
    const qlin::arch::i32x4<A> v = {bi::load_unaligned(&in[i]), bi::load_unaligned(&in[i + N]),
                                    bi::load_unaligned(&in[i + 2 * N]), bi::load_unaligned(&in[i + 3 * N])};
    qlin::arch::narrow_to<std::int8_t, A>::apply(v).store_unaligned(&s8[i]);
    qlin::arch::narrow_to<std::uint8_t, A>::apply(v).store_unaligned(&u8[i]);
    qlin::arch::narrow_to<std::int16_t, A>::apply({v[0], v[1]}).store_unaligned(&s16[i]);
    qlin::arch::narrow_to<std::int16_t, A>::apply({v[2], v[3]}).store_unaligned(&s16[i + 2 * N]);
  }
  std::size_t bad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    bad += s8[i] != std::clamp(in[i], -128, 127);
    bad += u8[i] != std::clamp(in[i], 0, 255);
    bad += s16[i] != std::clamp(in[i], -32768, 32767);
  }
  REQUIRE(bad == 0);
}

TEMPLATE_LIST_TEST_CASE("arch: widen int8 / uint8 / int16 -> int32, every code", "[simd][arch]", test_archs) {
  using A = TestType;
  constexpr std::size_t N = xsimd::batch<std::int32_t, A>::size;
  std::vector<std::int8_t> s8(256 + 64);
  std::vector<std::uint8_t> u8(256 + 64);
  std::vector<std::int16_t> s16(65536 + 64);
  for (std::size_t i = 0; i < s8.size(); ++i) {
    s8[i] = static_cast<std::int8_t>(static_cast<std::uint8_t>(i * 37 + 5));
    u8[i] = static_cast<std::uint8_t>(i * 37 + 5);  // 37 is odd: i -> i*37+5 covers every byte
  }
  for (std::size_t i = 0; i < s16.size(); ++i)
    s16[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(i * 40503u + 1u));
  std::vector<std::int32_t> out(4 * N);
  std::size_t bad = 0;
  for (std::size_t i = 0; i + 4 * N <= 256 + 4 * N && i + 4 * N <= s8.size(); i += 4 * N) {
    const auto ws = qlin::arch::load_widen_i32<A>(&s8[i], A{});
    const auto wu = qlin::arch::load_widen_i32<A>(&u8[i], A{});
    for (std::size_t k = 0; k < 4; ++k) {
      ws[k].store_unaligned(&out[k * N]);
      for (std::size_t j = 0; j < N; ++j) bad += out[k * N + j] != s8[i + k * N + j];
      wu[k].store_unaligned(&out[k * N]);
      for (std::size_t j = 0; j < N; ++j) bad += out[k * N + j] != u8[i + k * N + j];
    }
  }
  for (std::size_t i = 0; i + 2 * N <= s16.size(); i += 2 * N) {
    const auto w = qlin::arch::load_widen_i32<A>(&s16[i], A{});
    for (std::size_t k = 0; k < 2; ++k) {
      w[k].store_unaligned(&out[k * N]);
      for (std::size_t j = 0; j < N; ++j) bad += out[k * N + j] != s16[i + k * N + j];
    }
  }
  REQUIRE(bad == 0);
}

TEMPLATE_LIST_TEST_CASE("arch: SRDHM equals the scalar reference, INT32_MIN * INT32_MIN included", "[simd][arch]",
                        test_archs) {
  using A = TestType;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t N = bi::size;
  const std::vector<std::int32_t> vals = boundary_int32(300, 2);
  std::vector<std::int32_t> a, b;
  for (std::int32_t x : vals) {
    for (std::int32_t y : vals) {
      a.push_back(x);
      b.push_back(y);
    }
  }
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  for (int i = 0; i < 200000; ++i) {
    a.push_back(any(rng));
    b.push_back(any(rng));
  }
  const std::size_t n = a.size() / N * N;
  std::size_t bad = 0;
  std::vector<std::int32_t> out(N);
  for (std::size_t i = 0; i < n; i += N) {
    qlin::arch::saturating_rounding_doubling_high_mul<A>(bi::load_unaligned(&a[i]), bi::load_unaligned(&b[i]))
        .store_unaligned(out.data());
    for (std::size_t j = 0; j < N; ++j)
      bad += out[j] != qlin::saturating_rounding_doubling_high_mul(a[i + j], b[i + j]);
  }
  REQUIRE(bad == 0);
  REQUIRE(qlin::saturating_rounding_doubling_high_mul(kI32Min, kI32Min) == kI32Max);
}

TEMPLATE_LIST_TEST_CASE("arch: rounding_divide_by_pot and saturating_left_shift, every exponent", "[simd][arch]",
                        test_archs) {
  using A = TestType;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t N = bi::size;
  std::vector<std::int32_t> in = boundary_int32(2000, 4);
  for (std::int32_t v = -1000; v <= 1000; ++v) in.push_back(v);
  in.resize(in.size() / N * N);
  std::vector<std::int32_t> out(N);
  std::size_t bad = 0;
  for (int e = 0; e <= 31; ++e) {
    for (std::size_t i = 0; i < in.size(); i += N) {
      const bi x = bi::load_unaligned(&in[i]);
      qlin::arch::rounding_divide_by_pot<A>(x, e).store_unaligned(out.data());
      for (std::size_t j = 0; j < N; ++j) bad += out[j] != qlin::rounding_divide_by_pot(in[i + j], e);
      qlin::arch::saturating_left_shift<A>(x, e).store_unaligned(out.data());
      for (std::size_t j = 0; j < N; ++j) bad += out[j] != qlin::saturating_left_shift(in[i + j], e);
    }
  }
  REQUIRE(bad == 0);
}

TEMPLATE_LIST_TEST_CASE("arch: rounding_mul_shift_right equals single rounding where it fits", "[simd][arch]",
                        test_archs) {
  using A = TestType;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t N = bi::size;
  const std::vector<std::int32_t> xs = boundary_int32(500, 5);
  const std::vector<std::int32_t> ms = {0,       1,           2,          3,        1 << 30, (1 << 30) + 1,
                                        kI32Max, kI32Max - 1, 1518500250, 123456789};
  std::size_t bad = 0, checked = 0;
  std::vector<std::int32_t> xv, mv, want;
  for (int shift = qlin::min_shift; shift <= qlin::max_shift; ++shift) {
    xv.clear();
    mv.clear();
    want.clear();
    for (std::int32_t m : ms) {
      for (std::int32_t x : xs) {
        const int t = 31 - shift;
        const std::int64_t p = static_cast<std::int64_t>(x) * m;
        const std::int64_t y = (p + (std::int64_t{1} << (t - 1))) >> t;
        if (y < kI32Min || y > kI32Max) continue;  // the precondition
        xv.push_back(x);
        mv.push_back(m);
        want.push_back(qlin::multiply_by_quantized_multiplier_single_rounding(x, {m, shift}));
      }
    }
    std::vector<std::int32_t> out(N);
    for (std::size_t i = 0; i + N <= xv.size(); i += N) {
      qlin::arch::rounding_mul_shift_right<A>(bi::load_unaligned(&xv[i]), bi::load_unaligned(&mv[i]), 31 - shift)
          .store_unaligned(out.data());
      for (std::size_t j = 0; j < N; ++j, ++checked) bad += out[j] != want[i + j];
    }
  }
  REQUIRE(checked > 100000);
  REQUIRE(bad == 0);
}

TEMPLATE_LIST_TEST_CASE("arch: divide is correctly rounded (xsimd 8.1's NEON operator/ is not)", "[simd][arch]",
                        test_archs) {
  using A = TestType;
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t N = bf::size;
  std::mt19937 rng(10);
  std::uniform_int_distribution<std::uint32_t> bits;
  std::vector<float> a, b;
  for (int i = 0; i < 100000; ++i) {
    a.push_back(bits_to_float(bits(rng)));
    b.push_back(bits_to_float(bits(rng)));
  }
  for (float s : {1e-30f, 0.1f, 3.0f, 0.0123456f, 1e30f, std::numeric_limits<float>::denorm_min()}) {
    for (float x : special_floats()) {
      a.push_back(x * s);
      b.push_back(s);
    }
  }
  a.push_back(bits_to_float(0x10e7fae7u));  // / 1e-30f: NR reciprocal division is one ulp off
  b.push_back(1e-30f);
  a.resize(a.size() / N * N);
  std::vector<float> out(N);
  std::size_t bad = 0;
  for (bool generic : {false, true}) {
    for (std::size_t i = 0; i < a.size(); i += N) {
      const bf x = bf::load_unaligned(&a[i]), y = bf::load_unaligned(&b[i]);
      (generic ? qlin::arch::divide<A>(x, y, xsimd::generic{}) : qlin::arch::divide<A>(x, y))
          .store_unaligned(out.data());
      for (std::size_t j = 0; j < N; ++j) {
        const float want = a[i + j] / b[i + j];
        bad += !(std::memcmp(&out[j], &want, sizeof want) == 0 || (want != want && out[j] != out[j]));
      }
    }
  }
  REQUIRE(bad == 0);
}

template <qlin::rounding R, class A>
static void check_round_to_int(bool exact_path) {
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t N = bf::size;
  std::vector<float> in;
  // Floats of magnitude < 2^18 (bit patterns with stride 331), plus ties and their neighbours.
  for (std::uint32_t b = 0; b < 0x48800000u; b += 331) {
    in.push_back(bits_to_float(b));
    in.push_back(-bits_to_float(b));
  }
  for (float f : special_floats()) {
    if (std::isfinite(f) && std::fabs(f) < 8388608.0f) in.push_back(f);
  }
  in.resize(in.size() / N * N);
  std::vector<std::int32_t> out(N);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < in.size(); i += N) {
    const bf c = bf::load_unaligned(&in[i]);
    const auto r = exact_path ? qlin::arch::round_to_int_exact<R, A>(c) : qlin::arch::round_to_int<R, A>(c);
    r.store_unaligned(out.data());
    for (std::size_t j = 0; j < N; ++j) bad += out[j] != static_cast<std::int32_t>(qlin::round(in[i + j], R));
  }
  REQUIRE(bad == 0);
}

TEMPLATE_LIST_TEST_CASE("arch: round_to_int, three tie rules, hardware and exact paths", "[simd][arch]", test_archs) {
  using A = TestType;
  for (bool exact : {false, true}) {
    check_round_to_int<qlin::rounding::half_even, A>(exact);
    check_round_to_int<qlin::rounding::half_away, A>(exact);
    check_round_to_int<qlin::rounding::half_up, A>(exact);
  }
}

// ------------------------------------------------------------------ kernels: dequantize

TEMPLATE_LIST_TEST_CASE("dequantize: every int8 / uint8 / int16 code, several (scale, zp)", "[simd][dequantize]",
                        test_archs) {
  using A = TestType;
  auto run = [](auto tag, const qlin::quant_params& p) {
    using T = decltype(tag);
    std::vector<T> q;
    const std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    for (int rep = 0; rep < 2; ++rep) {
      for (std::int32_t v = lo; v <= hi; ++v) q.push_back(static_cast<T>(v));
    }
    q.push_back(static_cast<T>(lo));  // an odd length: the tail runs too
    std::vector<float> want(q.size()), got(q.size());
    qlin::dequantize(q.data(), q.size(), want.data(), p);
    qlin::kernels::dequantize_f32<T, A>(q.data(), q.size(), got.data(), p);
    const std::size_t i = first_mismatch(want, got);
    INFO("arch " << A::name() << " scale " << p.scale << " zp " << p.zero_point << " index " << i);
    REQUIRE(i == q.size());
  };
  for (float s : {1.0f, 0.5f, 0.0123456f, 3.3e-5f, 7.0f, 1e30f, 1e-30f, std::numeric_limits<float>::denorm_min()}) {
    for (std::int32_t z : {-128, -1, 0, 1, 127, 128, 255}) {
      if (z >= -128 && z <= 127) run(std::int8_t{}, {s, z, -128, 127});
      if (z >= 0) run(std::uint8_t{}, {s, z, 0, 255});
    }
    for (std::int32_t z : {-32768, -1, 0, 5, 32767}) run(std::int16_t{}, {s, z, -32768, 32767});
  }
}

// ------------------------------------------------------------------ kernels: quantize

TEMPLATE_LIST_TEST_CASE("quantize: float bit-pattern sweep (stride 4099), every method, several params",
                        "[simd][quantize]", test_archs) {
  using A = TestType;
  const auto methods = all_methods();
  sweep_quantize<std::int8_t, A>(4099, quantize_params_for<std::int8_t>(), methods);
  sweep_quantize<std::uint8_t, A>(4099, quantize_params_for<std::uint8_t>(), methods);
  sweep_quantize<std::int16_t, A>(4099, quantize_params_for<std::int16_t>(), methods);
}

TEMPLATE_LIST_TEST_CASE("quantize: ties k + 0.5 and neighbours, NaN payloads, +-Inf, denormals, -0", "[simd][quantize]",
                        test_archs) {
  using A = TestType;
  const std::vector<float> x = special_floats();
  const auto methods = all_methods();
  for (const auto& m : methods) {
    for (float s : {1.0f, 0.5f, 0.25f, 2.0f, 0.1f}) {
      for (std::int32_t z : {-128, -3, 0, 5, 127}) check_quantize<std::int8_t, A>(x, {s, z, -128, 127}, m);
      for (std::int32_t z : {0, 1, 128, 255}) check_quantize<std::uint8_t, A>(x, {s, z, 0, 255}, m);
      for (std::int32_t z : {-32768, -1000, 0, 77, 32767}) check_quantize<std::int16_t, A>(x, {s, z, -32768, 32767}, m);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("quantize / dequantize / requantize: every tail length, misaligned pointers", "[simd][tails]",
                        test_archs) {
  using A = TestType;
  constexpr std::size_t block = xsimd::batch<std::int8_t, A>::size;  // the widest block of all kernels
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> uf(-300.0f, 300.0f);
  std::uniform_int_distribution<std::int32_t> ui(-100000, 100000);
  std::vector<float> xs(2 * block + 8);
  std::vector<std::int32_t> accs(2 * block + 8);
  for (auto& v : xs) v = std::round(uf(rng) * 2.0f) / 2.0f;  // many ties
  for (auto& v : accs) v = ui(rng);
  xs[3] = std::numeric_limits<float>::quiet_NaN();
  accs[5] = kI32Min;
  accs[6] = kI32Max;
  const qlin::quant_params p8{0.5f, 3, -128, 127};
  const qlin::quantize_method m{qlin::rounding::half_away, true, false};
  const qlin::requantize_params rq{qlin::requant_rounding::double_rounding, {1518500250, -7}, 0.0f, 4, -128, 127};
  for (std::size_t n = 0; n <= 2 * block + 1; ++n) {
    for (std::size_t off = 0; off <= 3; ++off) {
      // Input offsets in elements (the float / int32 buffers), output offsets in bytes.
      const float* x = xs.data() + off;
      const std::int32_t* acc = accs.data() + off;
      std::vector<std::int8_t> want(n + 4, 0x55), got(n + 4, 0x55);
      qlin::quantize(x, n, want.data() + off, p8, m);
      qlin::kernels::quantize_f32<std::int8_t, A>(x, n, got.data() + off, p8, m);
      REQUIRE(want == got);  // also: nothing written past n
      std::vector<float> rw(n + 4, -1.0f), rg(n + 4, -1.0f);
      qlin::dequantize(want.data() + off, n, rw.data() + off, p8);
      qlin::kernels::dequantize_f32<std::int8_t, A>(want.data() + off, n, rg.data() + off, p8);
      REQUIRE(first_mismatch(rw, rg) == rw.size());
      std::fill(want.begin(), want.end(), std::int8_t{0x55});
      std::fill(got.begin(), got.end(), std::int8_t{0x55});
      qlin::requantize(acc, n, want.data() + off, rq);
      qlin::kernels::requantize_s32<std::int8_t, A>(acc, n, got.data() + off, rq);
      REQUIRE(want == got);
      std::vector<std::int16_t> w16(n + 4, 0x5555), g16(n + 4, 0x5555);
      qlin::quantize(x, n, w16.data() + off, {0.01f, -9, -32768, 32767}, m);
      qlin::kernels::quantize_f32<std::int16_t, A>(x, n, g16.data() + off, {0.01f, -9, -32768, 32767}, m);
      REQUIRE(w16 == g16);
    }
  }
}

// ------------------------------------------------------------------ kernels: requantize

TEMPLATE_LIST_TEST_CASE("requantize double / single rounding: every zero point x every shift, with ties",
                        "[simd][requantize]", test_archs) {
  using A = TestType;
  for (int shift = qlin::min_shift; shift <= qlin::max_shift; ++shift) {
    const std::vector<std::int32_t> acc = requantize_inputs(shift, static_cast<std::uint32_t>(shift + 100));
    for (std::int32_t mult : {1 << 30, 1518500250, kI32Max, 0, 1}) {
      for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding}) {
        for (std::int32_t z = -128; z <= 127; ++z) {
          check_requantize<std::int8_t, A>(acc, {k, {mult, shift}, 0.0f, z, -128, 127});
        }
        for (std::int32_t z = 0; z <= 255; z += (mult == (1 << 30) ? 1 : 5)) {
          check_requantize<std::uint8_t, A>(acc, {k, {mult, shift}, 0.0f, z, 0, 255});
        }
        for (std::int32_t z : {-65536, -32768, -1, 0, 1, 12345, 32767, 65536}) {
          check_requantize<std::int16_t, A>(acc, {k, {mult, shift}, 0.0f, z, -32768, 32767});
          check_requantize<std::int8_t, A>(acc, {k, {mult, shift}, 0.0f, z, -128, 127});  // z outside the range
        }
        // Activation ranges (ReLU-like): qmin == z, and a range that excludes z.
        check_requantize<std::int8_t, A>(acc, {k, {mult, shift}, 0.0f, -20, -20, 100});
        check_requantize<std::uint8_t, A>(acc, {k, {mult, shift}, 0.0f, 200, 10, 60});
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("requantize fp32: several scales, every zero point", "[simd][requantize]", test_archs) {
  using A = TestType;
  const std::vector<std::int32_t> acc = [] {
    std::vector<std::int32_t> v = boundary_int32(20000, 7);
    for (std::int32_t a = -5000; a <= 5000; ++a) v.push_back(a);
    for (std::int32_t a = (1 << 24) - 50; a <= (1 << 24) + 50; ++a) {
      v.push_back(a);
      v.push_back(-a);
    }
    return v;
  }();
  for (float s : {1.0f, 0.5f, 0.25f, 0.0078125f, 1e-3f, 3.7e-6f, 1e-10f, 0.0f, 0.99999994f, 1e10f}) {
    for (std::int32_t z = -128; z <= 127; z += 3) {
      check_requantize<std::int8_t, A>(acc, {qlin::requant_rounding::fp32, {}, s, z, -128, 127});
    }
    for (std::int32_t z : {0, 128, 255})
      check_requantize<std::uint8_t, A>(acc, {qlin::requant_rounding::fp32, {}, s, z, 0, 255});
    for (std::int32_t z : {-65536, 0, 65536}) {
      check_requantize<std::int16_t, A>(acc, {qlin::requant_rounding::fp32, {}, s, z, -32768, 32767});
    }
  }
}

TEMPLATE_LIST_TEST_CASE("requantize: multipliers from real values, seeded random accumulators", "[simd][requantize]",
                        test_archs) {
  using A = TestType;
  std::mt19937 rng(8);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  std::uniform_int_distribution<std::int32_t> small(-(1 << 20), 1 << 20);
  std::uniform_real_distribution<double> logm(-33.0, 29.0);
  std::vector<std::int32_t> acc(1000);
  for (int trial = 0; trial < 600; ++trial) {
    for (auto& a : acc) a = (trial % 2) ? any(rng) : small(rng);
    const double real = std::exp2(logm(rng));
    for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding,
                   qlin::requant_rounding::fp32}) {
      const auto p = qlin::make_requantize_params(real, trial % 256 - 128, {-128, 127}, k);
      REQUIRE(p);
      check_requantize<std::int8_t, A>(acc, *p);
      auto pu = *p;
      pu.zero_point = trial % 256;
      pu.qmin = 0;
      pu.qmax = 255;
      check_requantize<std::uint8_t, A>(acc, pu);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("requantize_rows: per-channel bias with saturation", "[simd][requantize]", test_archs) {
  using A = TestType;
  constexpr std::size_t block = xsimd::batch<std::int8_t, A>::size;
  std::mt19937 rng(9);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  for (std::size_t channels : {std::size_t{1}, std::size_t{3}, block - 1, block, block + 1, 2 * block + 5}) {
    const std::size_t rows = 7;
    std::vector<std::int32_t> acc(rows * channels), bias(channels);
    for (auto& a : acc) a = any(rng);
    for (auto& b : bias) b = any(rng);
    acc[0] = kI32Max;
    bias[0] = kI32Max;  // saturates high
    if (channels > 1) {
      acc[1] = kI32Min;
      bias[1] = -5;  // saturates low
    }
    for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding,
                   qlin::requant_rounding::fp32}) {
      const auto p = qlin::make_requantize_params(1.0 / 65536.0 / 3.0, 7, {-128, 127}, k);
      REQUIRE(p);
      const std::int32_t* const biases[] = {nullptr, bias.data()};
      for (const std::int32_t* b : biases) {
        std::vector<std::int8_t> want(acc.size()), got(acc.size());
        qlin::requantize_rows(acc.data(), rows, channels, b, want.data(), *p);
        qlin::kernels::requantize_rows_s32<std::int8_t, A>(acc.data(), rows, channels, b, got.data(), *p);
        REQUIRE(want == got);
        std::vector<std::int16_t> w16(acc.size()), g16(acc.size());
        auto p16 = *p;
        p16.qmin = -32768;
        p16.qmax = 32767;
        qlin::requantize_rows(acc.data(), rows, channels, b, w16.data(), p16);
        qlin::kernels::requantize_rows_s32<std::int16_t, A>(acc.data(), rows, channels, b, g16.data(), p16);
        REQUIRE(w16 == g16);
      }
    }
  }
}

TEMPLATE_LIST_TEST_CASE("requantize_rows: per-channel parameters, every rounding, bias with saturation",
                        "[simd][requantize]", test_archs) {
  using A = TestType;
  constexpr std::size_t block = xsimd::batch<std::int8_t, A>::size;
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::int32_t> any(kI32Min, kI32Max);
  std::uniform_int_distribution<std::int32_t> small(-(1 << 22), 1 << 22);
  std::uniform_real_distribution<float> logw(-12.0f, 2.0f);
  for (std::size_t channels : {std::size_t{1}, block - 1, block, block + 3, 3 * block + 1}) {
    const std::size_t rows = 5;
    std::vector<float> ws(channels);
    for (auto& w : ws) w = std::exp2(logw(rng));
    std::vector<std::int32_t> acc(rows * channels), bias(channels);
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = (i % 3 == 0) ? any(rng) : small(rng);
    for (auto& b : bias) b = small(rng);
    acc[0] = kI32Max;
    bias[0] = kI32Max;
    for (auto k : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::single_rounding,
                   qlin::requant_rounding::fp32}) {
      for (std::int32_t z : {-128, -3, 0, 127}) {
        const auto p = qlin::make_requantize_params_per_channel(0.02f, ws.data(), channels, 0.07f, z, {-128, 127}, k);
        REQUIRE(p);
        const std::int32_t* const biases[] = {nullptr, bias.data()};
        for (const std::int32_t* b : biases) {
          std::vector<std::int8_t> want(acc.size()), got(acc.size());
          qlin::requantize_rows(acc.data(), rows, channels, b, want.data(), *p);
          qlin::kernels::requantize_rows_s32<std::int8_t, A>(acc.data(), rows, channels, b, got.data(), *p);
          REQUIRE(want == got);
          auto pu = *p;
          pu.zero_point = z + 128;
          pu.qmin = 0;
          pu.qmax = 255;
          std::vector<std::uint8_t> wu(acc.size()), gu(acc.size());
          qlin::requantize_rows(acc.data(), rows, channels, b, wu.data(), pu);
          qlin::kernels::requantize_rows_s32<std::uint8_t, A>(acc.data(), rows, channels, b, gu.data(), pu);
          REQUIRE(wu == gu);
        }
      }
    }
  }
}

TEST_CASE("requantize: in place for int8 output", "[simd][requantize]") {
  std::vector<std::int32_t> acc(1000);
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<std::int32_t>(i * 7919) - 3000000;
  const auto p = qlin::make_requantize_params(0.0001, 3, {-128, 127});
  REQUIRE(p);
  std::vector<std::int8_t> want(acc.size());
  qlin::requantize(acc.data(), acc.size(), want.data(), *p);
  std::vector<std::int32_t> buf(acc);
  auto* out = reinterpret_cast<std::int8_t*>(buf.data());
  qlin::simd::requantize(buf.data(), buf.size(), out, *p);
  REQUIRE(std::memcmp(out, want.data(), want.size()) == 0);
}

// ------------------------------------------------------------------ the public entry points

TEST_CASE("qlin::simd: the static dispatch equals the scalar functions and names its arch", "[simd]") {
  const std::string name = qlin::simd::active_arch_name();
  INFO("active arch: " << name);
  REQUIRE(name == qlin::arch::kernel_arch::name());
  REQUIRE(qlin::simd::active());
  std::vector<float> x = special_floats();
  std::vector<std::int8_t> a(x.size()), b(x.size());
  const qlin::quant_params p{0.25f, -3, -128, 127};
  qlin::quantize(x.data(), x.size(), a.data(), p);
  qlin::simd::quantize(x.data(), x.size(), b.data(), p);
  REQUIRE(a == b);
  std::vector<std::int32_t> acc(64 * 3);
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<std::int32_t>(i * 104729u) - 10000000;
  const std::vector<std::int32_t> bias = {kI32Max, -5, 100};
  const float ws[] = {0.5f, 0.25f, 0.003f};
  const auto pc = qlin::make_requantize_params_per_channel(0.02f, ws, 3, 0.1f, 3, {-128, 127});
  REQUIRE(pc);
  std::vector<std::int8_t> c1(acc.size()), c2(acc.size());
  qlin::requantize_rows(acc.data(), 64, 3, bias.data(), c1.data(), *pc);
  qlin::simd::requantize_rows(acc.data(), 64, 3, bias.data(), c2.data(), *pc);
  REQUIRE(c1 == c2);
  const auto pt = qlin::make_requantize_params(0.0001, 3, {-128, 127});
  REQUIRE(pt);
  qlin::requantize_rows(acc.data(), 3, 64, acc.data(), c1.data(), *pt);
  qlin::simd::requantize_rows(acc.data(), 3, 64, acc.data(), c2.data(), *pt);
  REQUIRE(c1 == c2);
  std::vector<float> ra(x.size()), rb(x.size());
  qlin::dequantize(a.data(), a.size(), ra.data(), p);
  qlin::simd::dequantize(a.data(), a.size(), rb.data(), p);
  REQUIRE(first_mismatch(ra, rb) == ra.size());
}

// ------------------------------------------------------------------ hidden: all 2^32 floats

TEMPLATE_LIST_TEST_CASE("quantize: all 2^32 float patterns", "[.exhaustive][simd][quantize]", test_archs) {
  using A = TestType;
  const auto methods = all_methods();
  sweep_quantize<std::int8_t, A>(1, {{0.0123456f, 3, -128, 127}}, methods);
  sweep_quantize<std::uint8_t, A>(1, {{0.5f, 128, 0, 255}}, {qlin::quantize_method{}});
  sweep_quantize<std::int16_t, A>(1, {{0.001f, -5, -32768, 32767}}, {qlin::quantize_method{}});
}

#else  // !QLIN_SIMD

TEST_CASE("qlin::simd without SIMD is the scalar reference", "[simd]") {
  REQUIRE(std::string(qlin::simd::active_arch_name()) == "scalar");
  const std::vector<std::int32_t> acc = boundary_int32(100, 1);
  std::vector<std::int8_t> a(acc.size()), b(acc.size());
  const qlin::requantize_params p{qlin::requant_rounding::double_rounding, {1 << 30, -3}, 0.0f, 0, -128, 127};
  qlin::requantize(acc.data(), acc.size(), a.data(), p);
  qlin::simd::requantize(acc.data(), acc.size(), b.data(), p);
  REQUIRE(a == b);
}

#endif  // QLIN_SIMD
