// whole_api.cpp: every public function and class template of qlin, with every element type it takes,
// in one program built with -fno-exceptions -fno-rtti (and qlin's warnings as errors) and RUN as the
// ctest qlin.whole_api (tests/compile/CMakeLists.txt). The per-header compile tests prove each header
// compiles on its own; this proves the instantiations link and work without exceptions: invalid
// parameters come back as qlin::result errors, and the SIMD paths (qlin::simd, the GEMM, runtime
// dispatch through the scalar table) give the scalar reference's bits on adversarial inputs (ties,
// saturation, NaN, +-Inf, denormals, odd lengths, misaligned pointers). No test framework: Catch2
// needs exceptions. Each CHECK counts; the program fails if any fails or if none ran.
//
// It is built for the compiler's default target (SSE2 on x86-64, NEON on aarch64), and rebuilt with
// -mavx2 / AVX-512 flags where the CPU runs them (qlin_whole_api_avx2, qlin_whole_api_avx512).
#include <qlin/dispatch.hpp>
#include <qlin/quant.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(__GXX_RTTI) || defined(__cpp_rtti)
#error "whole_api.cpp must be compiled with -fno-exceptions -fno-rtti"
#endif

namespace {

int g_checks = 0;
int g_failures = 0;

void check(bool ok, const char* what, int line) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::fprintf(stderr, "whole_api.cpp:%d: FAILED: %s\n", line, what);
  }
}
#define CHECK(c) check(static_cast<bool>(c), #c, __LINE__)

using i8 = std::int8_t;
using u8 = std::uint8_t;
using i16 = std::int16_t;
using i32 = std::int32_t;
using i64 = std::int64_t;
using u64 = std::uint64_t;
using std::size_t;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr i32 kMax32 = std::numeric_limits<i32>::max();
constexpr i32 kMin32 = std::numeric_limits<i32>::min();

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// A small deterministic generator (xorshift64*): the same inputs on every compiler and target.
struct rng {
  u64 s = 0x9E3779B97F4A7C15ull;
  u64 next() noexcept {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  float uniform(float lo, float hi) noexcept {
    return lo + (hi - lo) * static_cast<float>(next() >> 40) / 16777216.0f;
  }
  i32 integer(i32 lo, i32 hi) noexcept {
    return static_cast<i32>(static_cast<i64>(lo) + static_cast<i64>(next() % static_cast<u64>(i64{hi} - lo + 1)));
  }
};

// Floats for parameters p: random values, exact ties at every half step, the saturation ends,
// NaN, +-Inf, -0, denormals and FLT_MAX. n is odd and longer than any vector.
std::vector<float> adversarial_floats(const qlin::quant_params& p, size_t n, rng& g) {
  std::vector<float> x(n);
  const float lo = static_cast<float>(p.qmin - p.zero_point) * p.scale * 1.5f;
  const float hi = static_cast<float>(p.qmax - p.zero_point) * p.scale * 1.5f;
  for (size_t i = 0; i < n; ++i) x[i] = g.uniform(lo, hi);
  const float specials[] = {kNaN, kInf, -kInf, -0.0f, 0.0f, 1e-40f, -1e-40f, FLT_MAX, -FLT_MAX, FLT_MIN};
  size_t i = 0;
  for (float s : specials) x[i++] = s;
  for (i32 k = -6; k <= 6 && i < n; ++k) x[i++] = (static_cast<float>(k) + 0.5f) * p.scale;  // ties
  return x;
}

std::vector<i32> adversarial_acc(size_t n, rng& g) {
  std::vector<i32> a(n);
  for (size_t i = 0; i < n; ++i) a[i] = g.integer(-1000000, 1000000);
  const i32 specials[] = {kMax32, kMin32, kMax32 - 1, kMin32 + 1, 0, -1, 1, 64, -64, 96, -96};
  size_t i = 0;
  for (i32 s : specials) a[i++] = s;
  return a;
}

// ------------------------------------------------------------------------------------------ result
void test_result() {
  qlin::result<int> good(7);
  CHECK(good.has_value() && *good == 7 && good.value() == 7 && good.value_or(3) == 7 && good.code() == qlin::errc::ok);
  qlin::result<int> bad = qlin::fail(qlin::errc::invalid_scale, "bad scale");
  CHECK(!bad && bad.code() == qlin::errc::invalid_scale && bad.value_or(3) == 3);
  CHECK(std::strcmp(bad.error().message, "bad scale") == 0);
  const qlin::status s = qlin::ok();
  CHECK(s.has_value());
  qlin::result<std::vector<int>> moved(std::vector<int>{1, 2, 3});
  CHECK(moved->size() == 3);
  const std::vector<int> taken = std::move(moved).value();
  CHECK(taken.size() == 3 && taken[2] == 3);
}

// ---------------------------------------------------------------------------------------- rounding
template <class F>
void test_rounding_for() {
  const F t = F(2.5), m = F(-2.5);
  CHECK(qlin::round_half_even(t) == F(2) && qlin::round_half_even(m) == F(-2));
  CHECK(qlin::round_half_away(t) == F(3) && qlin::round_half_away(m) == F(-3));
  CHECK(qlin::round_half_up(t) == F(3) && qlin::round_half_up(m) == F(-2));
  CHECK(qlin::round(F(3.5), qlin::rounding::half_even) == F(4));
  CHECK(std::isnan(qlin::round(std::numeric_limits<F>::quiet_NaN(), qlin::rounding::half_away)));
}
void test_rounding() {
  test_rounding_for<float>();
  test_rounding_for<double>();
  CHECK(std::strcmp(qlin::to_string(qlin::rounding::half_up), "half_up") == 0);
}

// ------------------------------------------------------------------------------------------- dtype
void test_dtype() {
  static_assert(std::is_same<qlin::storage_t<qlin::dtype::int16>, i16>::value, "storage of int16");
  static_assert(std::is_same<qlin::storage_t<qlin::dtype::uint4>, u8>::value, "storage of uint4");
  const qlin::dtype all[] = {qlin::dtype::int8, qlin::dtype::uint8, qlin::dtype::int16, qlin::dtype::int4,
                             qlin::dtype::uint4};
  for (qlin::dtype t : all) {
    const auto parsed = qlin::parse_dtype(qlin::to_string(t));
    CHECK(parsed && *parsed == t);
    const qlin::qrange full = qlin::full_range(t);
    CHECK(full.qmax - full.qmin + 1 == (1 << qlin::bit_width(t)));
    CHECK((full.qmin < 0) == qlin::is_signed(t));
    CHECK(qlin::validate(full, t));
    qlin::range_options narrow;
    narrow.narrow = true;
    const auto r = qlin::make_qrange(t, narrow);
    CHECK(r && r->qmin == full.qmin + 1 && r->qmax == full.qmax);
  }
  CHECK(qlin::parse_dtype("int7").code() == qlin::errc::invalid_argument);
  CHECK(!qlin::validate(qlin::qrange{0, 300}, qlin::dtype::uint8));
}

// ------------------------------------------------------------------------------------------ params
void test_params() {
  const qlin::compat presets[] = {qlin::compat::pytorch, qlin::compat::tflite, qlin::compat::gemmlowp,
                                  qlin::compat::xnnpack};
  for (qlin::compat c : presets) {
    const auto parsed = qlin::parse_compat(qlin::to_string(c));
    CHECK(parsed && *parsed == c);
    for (qlin::dtype t : {qlin::dtype::int8, qlin::dtype::uint8, qlin::dtype::int16}) {
      qlin::qparams_options opt;
      opt.type = t;
      opt.preset = c;
      const auto p = qlin::choose_qparams(-1.5f, 3.25f, opt);
      if (p) {  // some preset / type pairs are refused (errc::unsupported): still a result, no throw
        CHECK(p->scale > 0.0f && p->zero_point >= p->qmin && p->zero_point <= p->qmax);
        const auto rr = qlin::representable_range(*p);
        CHECK(rr.first <= 0.0f && rr.second >= 0.0f);
        CHECK(p->range() == (qlin::qrange{p->qmin, p->qmax}));
      } else {
        CHECK(p.code() == qlin::errc::unsupported);
      }
    }
  }
  CHECK(std::strcmp(qlin::to_string(qlin::qscheme::symmetric), "symmetric") == 0);
  CHECK(qlin::parse_compat(nullptr).code() == qlin::errc::invalid_argument);
  CHECK(qlin::choose_qparams(kNaN, 1.0f).code() == qlin::errc::non_finite_input);
  CHECK(qlin::choose_qparams(2.0f, 1.0f).code() == qlin::errc::min_greater_than_max);
  CHECK(qlin::make_quant_params(0.0f, 0, qlin::qrange{-128, 127}).code() == qlin::errc::invalid_scale);
  CHECK(qlin::make_quant_params(0.5f, 300, qlin::qrange{0, 255}, qlin::dtype::uint8).code() ==
        qlin::errc::zero_point_out_of_range);
  const auto fp = qlin::choose_float_qparams(-1.0f, 2.0f);
  CHECK(fp && fp->scale > 0.0f);
  const float mins[] = {-1.0f, -2.0f, 0.0f};
  const float maxs[] = {1.0f, 0.5f, 4.0f};
  const auto pc = qlin::choose_qparams_per_channel(mins, maxs, 3);
  CHECK(pc && pc->channels() == 3 && pc->channel(2).scale == pc->scales[2]);
  const auto pcf = qlin::choose_float_qparams_per_channel(mins, maxs, 3);
  CHECK(pcf && pcf->scales.size() == 3);
  const float bad_maxs[] = {1.0f, -5.0f, 4.0f};
  CHECK(!qlin::choose_qparams_per_channel(mins, bad_maxs, 3));
}

// --------------------------------------------------------------- quantize / dequantize, all paths
template <class T>
void test_quantize_for(qlin::dtype t, rng& g) {
  qlin::qparams_options opt;
  opt.type = t;
  const auto pr = qlin::choose_qparams(-3.0f, 5.0f, opt);
  CHECK(pr.has_value());
  if (!pr) return;
  const qlin::quant_params p = *pr;
  const size_t n = 131;
  const std::vector<float> x = adversarial_floats(p, n + 1, g);
  const qlin::compat presets[] = {qlin::compat::pytorch, qlin::compat::tflite, qlin::compat::gemmlowp,
                                  qlin::compat::xnnpack};
  for (qlin::compat c : presets) {
    const qlin::quantize_method m = qlin::quantize_method::of(c);
    for (size_t off : {size_t{0}, size_t{1}}) {  // aligned and misaligned
      std::vector<T> ref(n), simd(n), disp(n);
      qlin::quantize(x.data() + off, n, ref.data(), p, m);
      qlin::simd::quantize(x.data() + off, n, simd.data(), p, m);
      qlin::dispatch::quantize(x.data() + off, n, disp.data(), p, m);
      CHECK(same_bits(ref, simd));
      CHECK(same_bits(ref, disp));
      bool in_range = true;
      for (T q : ref) in_range = in_range && q >= p.qmin && q <= p.qmax;
      CHECK(in_range);
      std::vector<float> r_ref(n), r_simd(n), r_disp(n);
      qlin::dequantize(ref.data(), n, r_ref.data(), p);
      qlin::simd::dequantize(ref.data(), n, r_simd.data(), p);
      qlin::dispatch::dequantize(ref.data(), n, r_disp.data(), p);
      CHECK(same_bits(r_ref, r_simd));
      CHECK(same_bits(r_ref, r_disp));
    }
  }
  // empty input: nothing written
  T sentinel = T(5);
  qlin::simd::quantize(x.data(), 0, &sentinel, p);
  CHECK(sentinel == T(5));
#if QLIN_HAS_SPAN
  std::vector<T> sq(n), pq(n);
  qlin::quantize(std::span<const float>(x.data(), n), std::span<T>(sq), p);
  qlin::quantize(x.data(), n, pq.data(), p);
  CHECK(same_bits(sq, pq));
  std::vector<float> sr(n), pr2(n);
  qlin::dequantize(std::span<const T>(sq), std::span<float>(sr), p);
  qlin::dequantize(sq.data(), n, pr2.data(), p);
  CHECK(same_bits(sr, pr2));
#endif
  // per channel, integer and float zero points: each channel equals the per-tensor path
  const size_t outer = 3, channels = 5, inner = 7;
  std::vector<float> mins(channels), maxs(channels);
  for (size_t c = 0; c < channels; ++c) {
    mins[c] = -1.0f - static_cast<float>(c);
    maxs[c] = 0.5f + static_cast<float>(c);
  }
  const auto pc = qlin::choose_qparams_per_channel(mins.data(), maxs.data(), channels, opt);
  CHECK(pc.has_value());
  if (pc) {
    std::vector<float> xs(outer * channels * inner);
    for (float& v : xs) v = g.uniform(-6.0f, 6.0f);
    std::vector<T> q(xs.size());
    qlin::quantize_per_channel(xs.data(), outer, channels, inner, q.data(), *pc);
    bool same = true;
    for (size_t o = 0; o < outer; ++o) {
      for (size_t c = 0; c < channels; ++c) {
        std::vector<T> one(inner);
        qlin::quantize(xs.data() + (o * channels + c) * inner, inner, one.data(), pc->channel(c));
        same = same && std::memcmp(one.data(), q.data() + (o * channels + c) * inner, inner * sizeof(T)) == 0;
      }
    }
    CHECK(same);
    std::vector<float> r(xs.size());
    qlin::dequantize_per_channel(q.data(), outer, channels, inner, r.data(), *pc);
    CHECK(qlin::max_abs_error(xs.data(), r.data(), xs.size()) <= 6.0);
  }
  if constexpr (std::is_same<T, u8>::value) {  // float zero points: PyTorch defines them for quint8
    qlin::qparams_options fopt;
    fopt.type = t;
    const auto pf = qlin::choose_float_qparams_per_channel(mins.data(), maxs.data(), channels, fopt);
    CHECK(pf.has_value());
    if (pf) {
      std::vector<float> xs(channels * inner);  // inside each channel's range: error <= one step
      for (size_t i = 0; i < xs.size(); ++i) xs[i] = g.uniform(mins[i / inner], maxs[i / inner]);
      std::vector<T> q(xs.size());
      qlin::quantize_per_channel(xs.data(), 1, channels, inner, q.data(), *pf);
      std::vector<float> r(xs.size());
      qlin::dequantize_per_channel(q.data(), 1, channels, inner, r.data(), *pf);
      bool within = true;
      for (size_t i = 0; i < xs.size(); ++i) within = within && std::fabs(xs[i] - r[i]) <= pf->scales[i / inner];
      CHECK(within);
    }
  }
}

// ------------------------------------------------------------------------------------- requantize
template <class T>
void test_requantize_for(qlin::qrange out, rng& g) {
  const size_t n = 129;
  const std::vector<i32> acc = adversarial_acc(n + 1, g);
  const qlin::requant_rounding modes[] = {qlin::requant_rounding::double_rounding,
                                          qlin::requant_rounding::single_rounding, qlin::requant_rounding::fp32};
  for (qlin::requant_rounding r : modes) {
    const auto p = qlin::make_requantize_params(0.0123, (out.qmin + out.qmax) / 2, out, r);
    CHECK(p.has_value());
    if (!p) continue;
    for (size_t off : {size_t{0}, size_t{1}}) {
      std::vector<T> ref(n), simd(n), disp(n);
      qlin::requantize(acc.data() + off, n, ref.data(), *p);
      qlin::simd::requantize(acc.data() + off, n, simd.data(), *p);
      qlin::dispatch::requantize(acc.data() + off, n, disp.data(), *p);
      CHECK(same_bits(ref, simd));
      CHECK(same_bits(ref, disp));
    }
    // rows x channels with a bias (saturating), per tensor and per channel
    const size_t rows = 5, channels = 23;
    std::vector<i32> bias(channels);
    for (i32& b : bias) b = g.integer(-5000, 5000);
    bias[0] = kMax32;
    bias[1] = kMin32;
    std::vector<T> ref(rows * channels), simd(rows * channels);
    qlin::requantize_rows(acc.data(), rows, channels, bias.data(), ref.data(), *p);
    qlin::simd::requantize_rows(acc.data(), rows, channels, bias.data(), simd.data(), *p);
    CHECK(same_bits(ref, simd));
    std::vector<float> ws(channels);
    for (size_t c = 0; c < channels; ++c) ws[c] = 0.001f * static_cast<float>(c + 1);
    const auto pc = qlin::make_requantize_params_per_channel(0.05f, ws.data(), channels, 0.2f, out.qmin / 2 + out.qmax / 2,
                                                             out, r);
    CHECK(pc && pc->channels() == channels);
    if (pc) {
      qlin::requantize_rows(acc.data(), rows, channels, bias.data(), ref.data(), *pc);
      qlin::simd::requantize_rows(acc.data(), rows, channels, bias.data(), simd.data(), *pc);
      CHECK(same_bits(ref, simd));
      if constexpr (!std::is_same<T, i16>::value) {  // dispatch: int8 / uint8 rows
        std::vector<T> disp(rows * channels);
        qlin::dispatch::requantize_rows(acc.data(), rows, channels, bias.data(), disp.data(), *pc);
        CHECK(same_bits(ref, disp));
        qlin::requantize_rows(acc.data(), rows, channels, nullptr, ref.data(), *p);
        qlin::dispatch::requantize_rows(acc.data(), rows, channels, nullptr, disp.data(), *p);
        CHECK(same_bits(ref, disp));
      }
    }
  }
}

void test_requantize(rng& g) {
  test_requantize_for<i8>(qlin::qrange{-128, 127}, g);
  test_requantize_for<u8>(qlin::qrange{0, 255}, g);
  test_requantize_for<i16>(qlin::qrange{-32768, 32767}, g);
  CHECK(qlin::make_requantize_params(-1.0, 0, qlin::qrange{-128, 127}).code() == qlin::errc::unrepresentable_multiplier);
  CHECK(!qlin::make_requantize_params(0.5, 0, qlin::qrange{5, 5}));
  const auto qm = qlin::quantize_multiplier(0.25);
  CHECK(qm.has_value());
  if (qm) CHECK(qlin::make_requantize_params(*qm, 0, qlin::qrange{-128, 127}).has_value());
  const auto act = qlin::make_activation_range(0.1f, 0, qlin::qrange{-128, 127}, 0.0f, 6.0f);
  CHECK(act && act->qmin == 0 && act->qmax == 60);
  CHECK(qlin::default_requant_rounding(qlin::compat::tflite) == qlin::requant_rounding::double_rounding);
  CHECK(qlin::default_requant_rounding(qlin::compat::xnnpack) == qlin::requant_rounding::fp32);
  CHECK(std::strcmp(qlin::to_string(qlin::requant_rounding::fp32), "fp32") == 0);
}

// ------------------------------------------------------------------------------------ fixed point
void test_fixed_point() {
  static_assert(qlin::saturating_rounding_doubling_high_mul(kMin32, kMin32) == kMax32, "SRDHM saturates");
  static_assert(qlin::rounding_divide_by_pot(5, 1) == 3 && qlin::rounding_divide_by_pot(-5, 1) == -3, "ties away");
  static_assert(qlin::saturating_left_shift(kMax32 / 2 + 1, 1) == kMax32, "saturating shift");
  const auto m = qlin::quantize_multiplier(0.75);
  CHECK(m && std::fabs(m->real() - 0.75) < 1e-9);
  if (m) {
    CHECK(qlin::multiply_by_quantized_multiplier(1000, *m) == 750);
    CHECK(qlin::multiply_by_quantized_multiplier_single_rounding(1000, *m) == 750);
  }
  const auto mf = qlin::quantize_multiplier_f32(0.5f);
  CHECK(mf && mf->real() == 0.5);
  CHECK(qlin::make_quantized_multiplier(1 << 30, 40).code() == qlin::errc::shift_out_of_range);
  CHECK(qlin::quantize_multiplier(kNaN).code() == qlin::errc::non_finite_input ||
        qlin::quantize_multiplier(kNaN).code() == qlin::errc::unrepresentable_multiplier);
  const float ws[] = {0.01f, 0.02f};
  const auto pc = qlin::quantize_multipliers_per_channel(0.5f, ws, 2, 0.1f);
  CHECK(pc && pc->size() == 2);
  CHECK(qlin::min_shift == -31 && qlin::max_shift == 30);
}

// --------------------------------------------------------------------------------------------- GEMM
void test_gemm(rng& g) {
  static_assert(qlin::max_safe_depth(-128, 127, -128, 127) == 131071, "int8 x int8 safe depth");
  const size_t m = 7, n = 19, k = 37;  // odd, a partial panel, a padded depth
  std::vector<i8> w(n * k), xs(m * k);
  std::vector<u8> xu(m * k);
  std::vector<i16> x16(m * k);
  std::vector<i32> zw(n);
  for (i8& v : w) v = static_cast<i8>(g.integer(-128, 127));
  for (i8& v : xs) v = static_cast<i8>(g.integer(-128, 127));
  for (u8& v : xu) v = static_cast<u8>(g.integer(0, 255));
  for (i16& v : x16) v = static_cast<i16>(g.integer(-32768, 32767));
  for (i32& z : zw) z = g.integer(-128, 127);
  w[0] = -128;
  xs[0] = -128;
  auto packed = qlin::pack_weights_s8(w.data(), n, k, zw.data());
  CHECK(packed.has_value());
  if (!packed) return;
  const qlin::packed_weights_s8& pw = *packed;
  CHECK(pw.rows() == n && pw.depth() == k && pw.padded_depth() == 40 && pw.panels() == 2 && pw.has_zero_points());
  CHECK(pw.weight(3, 5) == w[3 * k + 5] && pw.zero_point(4) == zw[4] && pw.zero_points()[4] == zw[4]);
  CHECK(pw.panel(1) == pw.data() + 16 * pw.padded_depth());
  i64 sum3 = 0;
  for (size_t kk = 0; kk < k; ++kk) sum3 += w[3 * k + kk];
  CHECK(pw.row_sum(3) == sum3 && pw.row_sums()[3] == sum3);

  // acc, against an int64 oracle
  std::vector<i32> want(m * n), got(m * n), got2(m * n);
  for (size_t i = 0; i < m; ++i) {
    for (size_t c = 0; c < n; ++c) {
      i64 s = 0;
      for (size_t kk = 0; kk < k; ++kk) s += (i64{xs[i * k + kk]} + 3) * (i64{w[c * k + kk]} - zw[c]);
      want[i * n + c] = static_cast<i32>(s);
    }
  }
  CHECK(qlin::gemm_s8s8_s32(xs.data(), m, k, -3, pw, got.data()));
  CHECK(got == want);
  CHECK(qlin::reference::gemm_s8s8_s32(xs.data(), m, k, -3, pw, got2.data()));
  CHECK(got2 == want);
  std::vector<i32> bias(n);
  for (i32& b : bias) b = g.integer(-100000, 100000);
  bias[0] = kMax32;
  CHECK(qlin::gemm_s8s8_s32(xs.data(), m, k, -3, pw, bias.data(), got.data()));
  bool bias_ok = true;  // acc + bias, saturated to int32
  for (size_t i = 0; i < m * n; ++i) {
    const i64 e = std::min<i64>(std::max<i64>(i64{want[i]} + bias[i % n], kMin32), kMax32);
    bias_ok = bias_ok && got[i] == e;
  }
  CHECK(bias_ok);
  CHECK(qlin::gemv_s8s8_s32(xs.data(), k, -3, pw, got.data()));
  CHECK(std::memcmp(got.data(), want.data(), n * sizeof(i32)) == 0);

  std::vector<i32> ru(m * n), su(m * n);
  CHECK(qlin::reference::gemm_u8s8_s32(xu.data(), m, k, 131, pw, ru.data()));
  CHECK(qlin::gemm_u8s8_s32(xu.data(), m, k, 131, pw, su.data()));
  CHECK(ru == su);
  CHECK(qlin::gemm_u8s8_s32(xu.data(), m, k, 131, pw, nullptr, su.data()));
  CHECK(ru == su);
  CHECK(qlin::gemv_u8s8_s32(xu.data(), k, 131, pw, su.data()));
  CHECK(std::memcmp(su.data(), ru.data(), n * sizeof(i32)) == 0);

  std::vector<i64> r64(m * n), s64(m * n);
  CHECK(qlin::reference::gemm_s16s8_s64(x16.data(), m, k, 0, pw, r64.data()));
  CHECK(qlin::gemm_s16s8_s64(x16.data(), m, k, 0, pw, s64.data()));
  CHECK(r64 == s64);
  i64 o0 = 0;
  for (size_t kk = 0; kk < k; ++kk) o0 += i64{x16[kk]} * (i64{w[kk]} - zw[0]);
  CHECK(r64[0] == o0);

  CHECK(qlin::dot_s8s8_s32(xs.data() + 1, w.data() + 1, k - 1) == qlin::reference::dot_s8s8_s32(xs.data() + 1, w.data() + 1, k - 1));

  // fused output stages == acc then qlin::requantize_rows / the float formula
  const std::vector<i32>& acc_s = want;  // zx = -3
  for (qlin::requant_rounding r : {qlin::requant_rounding::double_rounding, qlin::requant_rounding::fp32}) {
    const auto pt = qlin::make_requantize_params(0.0007, 5, qlin::qrange{-128, 127}, r);
    std::vector<float> ws(n);
    for (size_t c = 0; c < n; ++c) ws[c] = 0.001f * static_cast<float>(c + 1);
    const auto pc = qlin::make_requantize_params_per_channel(0.05f, ws.data(), n, 0.2f, -3, qlin::qrange{-120, 100}, r);
    CHECK(pt && pc);
    if (!pt || !pc) continue;
    std::vector<i8> e8(m * n), g8(m * n);
    qlin::requantize_rows(acc_s.data(), m, n, bias.data(), e8.data(), *pt);
    CHECK(qlin::gemm_s8s8_requantize(xs.data(), m, k, -3, pw, bias.data(), *pt, g8.data()));
    CHECK(e8 == g8);
    qlin::requantize_rows(acc_s.data(), m, n, bias.data(), e8.data(), *pc);
    CHECK(qlin::gemm_s8s8_requantize(xs.data(), m, k, -3, pw, bias.data(), *pc, g8.data()));
    CHECK(e8 == g8);
    const auto pu = qlin::make_requantize_params(0.0007, 128, qlin::qrange{0, 255}, r);
    CHECK(pu.has_value());
    if (pu) {
      std::vector<u8> eu(m * n), gu(m * n);
      qlin::requantize_rows(ru.data(), m, n, nullptr, eu.data(), *pu);
      CHECK(qlin::gemm_u8s8_requantize(xu.data(), m, k, 131, pw, nullptr, *pu, gu.data()));
      CHECK(eu == gu);
    }
    std::vector<i16> e16(m * n), g16(m * n);
    const auto p16 = qlin::make_requantize_params_per_channel(0.05f, ws.data(), n, 0.01f, 0, qlin::qrange{-32768, 32767}, r);
    CHECK(p16.has_value());
    if (p16) {
      qlin::requantize_rows(ru.data(), m, n, bias.data(), e16.data(), *p16);
      CHECK(qlin::gemm_u8s8_requantize(xu.data(), m, k, 131, pw, bias.data(), *p16, g16.data()));
      CHECK(e16 == g16);
    }
  }
  std::vector<float> ws(n), fb(n), f(m * n), fu(m * n);
  for (size_t c = 0; c < n; ++c) {
    ws[c] = 0.002f * static_cast<float>(c + 1);
    fb[c] = 0.25f * static_cast<float>(c);
  }
  CHECK(qlin::gemm_s8s8_f32(xs.data(), m, k, -3, pw, 0.5f, ws.data(), fb.data(), f.data()));
  bool f_ok = true;
  for (size_t i = 0; i < m * n; ++i) {
    const size_t c = i % n;
    f_ok = f_ok && f[i] == static_cast<float>(acc_s[i]) * (0.5f * ws[c]) + fb[c];
  }
  CHECK(f_ok);
  CHECK(qlin::gemm_u8s8_f32(xu.data(), m, k, 131, pw, 0.5f, ws.data(), nullptr, fu.data()));
  CHECK(fu[0] == static_cast<float>(ru[0]) * (0.5f * ws[0]));
  const auto qb = qlin::quantize_bias(fb.data(), n, 0.5f, ws.data());
  CHECK(qb && qb->size() == n && (*qb)[0] == 0);

  // errors come back as results
  const i32 bad_zp = 200;
  CHECK(qlin::pack_weights_s8(w.data(), 1, k, &bad_zp).code() == qlin::errc::zero_point_out_of_range);
  std::vector<float> bad_ws(n, 0.0f);
  CHECK(qlin::gemm_s8s8_f32(xs.data(), m, k, 0, pw, 1.0f, bad_ws.data(), nullptr, f.data()).code() ==
        qlin::errc::invalid_scale);
  CHECK(!qlin::quantize_bias(fb.data(), n, -1.0f, ws.data()));
  const qlin::packed_weights_s8 empty;
  CHECK(empty.rows() == 0 && empty.depth() == 0);
}

// --------------------------------------------------------------------------------------------- int4
void test_int4(rng& g) {
  const size_t n = 37;  // odd: a half-filled last byte
  std::vector<i8> v(n), back(n);
  std::vector<u8> vu(n), backu(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<i8>(g.integer(-8, 7));
    vu[i] = static_cast<u8>(g.integer(0, 15));
  }
  std::vector<u8> packed(qlin::packed_bytes(n));
  CHECK(packed.size() == 19);
  qlin::pack_int4(v.data(), n, packed.data());
  qlin::unpack_int4(packed.data(), n, back.data());
  CHECK(v == back);
  qlin::pack_uint4(vu.data(), n, packed.data());
  qlin::unpack_uint4(packed.data(), n, backu.data());
  CHECK(vu == backu);

  const qlin::quant_params p{0.25f, 0, -8, 7};
  std::vector<float> x(n);
  for (float& e : x) e = g.uniform(-2.5f, 2.5f);
  x[0] = kNaN;
  x[1] = 0.375f;  // tie
  std::vector<i8> q8(n);
  qlin::quantize(x.data(), n, q8.data(), p);
  qlin::quantize_int4(x.data(), n, packed.data(), p);
  qlin::unpack_int4(packed.data(), n, back.data());
  CHECK(q8 == back);
  std::vector<float> r4(n), r8(n);
  qlin::dequantize_int4(packed.data(), n, r4.data(), p);
  qlin::dequantize(q8.data(), n, r8.data(), p);
  CHECK(same_bits(r4, r8));
  const qlin::quant_params pu{0.25f, 8, 0, 15};
  std::vector<u8> qu(n);
  qlin::quantize(x.data(), n, qu.data(), pu);
  qlin::quantize_uint4(x.data(), n, packed.data(), pu);
  qlin::unpack_uint4(packed.data(), n, backu.data());
  CHECK(qu == backu);
  qlin::dequantize_uint4(packed.data(), n, r4.data(), pu);
  qlin::dequantize(qu.data(), n, r8.data(), pu);
  CHECK(same_bits(r4, r8));

  // dot products against the unpacked values
  std::vector<i8> a(n);
  for (i8& e : a) e = static_cast<i8>(g.integer(-128, 127));
  qlin::pack_int4(v.data(), n, packed.data());
  i32 want = 0;
  for (size_t i = 0; i < n; ++i) want += (i32{a[i]} - 2) * (i32{v[i]} + 1);
  CHECK(qlin::dot_s8_s4(a.data(), packed.data(), n, 2, -1) == want);
  qlin::pack_uint4(vu.data(), n, packed.data());
  want = 0;
  for (size_t i = 0; i < n; ++i) want += i32{a[i]} * (i32{vu[i]} - 8);
  CHECK(qlin::dot_s8_u4(a.data(), packed.data(), n, 0, 8) == want);

  // groups: 3 rows x 10 columns in groups of 4 (a short last group)
  const size_t rows = 3, cols = 10;
  std::vector<float> wt(rows * cols);
  for (float& e : wt) e = g.uniform(-1.0f, 1.0f);
  qlin::qparams_options gopt;
  gopt.type = qlin::dtype::int4;
  const auto gp = qlin::choose_qparams_per_group(wt.data(), rows, cols, 4, gopt);
  CHECK(gp && gp->groups_per_row() == 3 && gp->group_size(2) == 2);
  if (gp) {
    std::vector<u8> pk(qlin::packed_bytes(rows * cols));
    qlin::quantize_per_group(wt.data(), pk.data(), *gp);
    std::vector<float> wr(rows * cols);
    qlin::dequantize_per_group(pk.data(), wr.data(), *gp);
    double tol = 0.0;
    for (float s : gp->scales) tol = std::fmax(tol, static_cast<double>(s));
    CHECK(qlin::max_abs_error(wt.data(), wr.data(), wt.size()) <= tol);
    CHECK(gp->at(1, 2).scale == gp->scales[1 * 3 + 2]);
    std::vector<i8> act(cols);
    for (i8& e : act) e = static_cast<i8>(g.integer(-100, 100));
    std::vector<float> y(rows);
    qlin::gemv_w4a8_per_group(act.data(), 0.05f, 0, pk.data(), *gp, y.data());
    for (size_t r = 0; r < rows; ++r) {
      double ref = 0.0;
      for (size_t c = 0; c < cols; ++c) ref += 0.05 * act[c] * static_cast<double>(wr[r * cols + c]);
      CHECK(std::fabs(static_cast<double>(y[r]) - ref) <= 1e-3 * (1.0 + std::fabs(ref)));
    }
  }
  CHECK(qlin::choose_qparams_per_group(wt.data(), rows, cols, 0, gopt).code() == qlin::errc::invalid_argument);
  CHECK(qlin::choose_qparams_per_group(wt.data(), rows, cols, 4).code() == qlin::errc::invalid_argument);  // int8
}

// ------------------------------------------------------------------------------------------- binary
void test_binary(rng& g) {
  const size_t n = 100;
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = g.uniform(-1.0f, 1.0f);
    b[i] = g.uniform(-1.0f, 1.0f);
  }
  std::vector<u64> pa(qlin::words_per_row(n)), pb(qlin::words_per_row(n));
  CHECK(pa.size() == 2);
  qlin::pack_signs(a.data(), n, pa.data());
  qlin::pack_signs(b.data(), n, pb.data());
  i64 want = 0;
  for (size_t i = 0; i < n; ++i) want += ((a[i] >= 0.0f) == (b[i] >= 0.0f)) ? 1 : -1;
  CHECK(qlin::xnor_popcount_dot(pa.data(), pb.data(), n) == want);
  CHECK(qlin::packed_sign(pa.data(), 7) == (a[7] >= 0.0f ? 1 : -1));

  const size_t ch = 3;
  std::vector<u64> bits(ch * qlin::words_per_row(n));
  std::vector<float> alpha(ch), wq(ch * n), w(ch * n);
  for (float& e : w) e = g.uniform(-2.0f, 2.0f);
  qlin::binarize(w.data(), ch, n, bits.data(), alpha.data());
  qlin::binary_dequantize(bits.data(), alpha.data(), ch, n, wq.data());
  CHECK(std::fabs(wq[5]) == alpha[0] && (wq[5] >= 0.0f) == (w[5] >= 0.0f));

  std::vector<i8> codes(ch * n);
  std::vector<float> delta(ch);
  qlin::ternarize(w.data(), ch, n, codes.data(), alpha.data(), delta.data());
  bool codes_ok = true;
  for (size_t i = 0; i < ch * n; ++i) {
    const float t = delta[i / n];
    codes_ok = codes_ok && codes[i] == (w[i] > t ? 1 : w[i] < -t ? -1 : 0);
  }
  CHECK(codes_ok);
  std::vector<u64> p0(qlin::words_per_row(n)), n0(qlin::words_per_row(n)), p1(qlin::words_per_row(n)),
      n1(qlin::words_per_row(n));
  qlin::pack_ternary(codes.data(), n, p0.data(), n0.data());
  qlin::pack_ternary(codes.data() + n, n, p1.data(), n1.data());
  i64 tw = 0;
  for (size_t i = 0; i < n; ++i) tw += i64{codes[i]} * codes[n + i];
  CHECK(qlin::ternary_dot(p0.data(), n0.data(), p1.data(), n1.data(), n) == tw);
}

// ------------------------------------------------------------------------------------- power of two
template <class T>
void test_pot_for(qlin::qrange r) {
  const float x[] = {0.3f, -0.3f, 1.0f / 16.0f, 3.0f / 32.0f, 1e9f, -1e9f, 0.0f};
  const size_t n = sizeof x / sizeof x[0];
  T q[n];
  qlin::pot_quantize(x, n, q, 4, r);
  CHECK(q[0] == T(5) && q[2] == T(1) && q[3] == T(2) && q[4] == T(r.qmax));  // 0.3*16 = 4.8; 1.5 -> 2 (even)
  float back[n];
  qlin::pot_dequantize(q, n, back, 4);
  CHECK(back[2] == 1.0f / 16.0f);
  const i32 acc[] = {64, -64, 40, kMax32};
  T out[4];
  qlin::pot_requantize(acc, 4, out, 8, 4, r);  // >> 4
  CHECK(out[0] == T(4) && out[1] == T(-4));
  CHECK(i64{out[3]} == std::min(i64{r.qmax}, (i64{kMax32} + 8) >> 4));  // 2^31 / 16 exactly, or saturated
}
void test_power_of_two() {
  test_pot_for<i8>(qlin::pot_range(8));
  test_pot_for<i16>(qlin::pot_range(16));
  test_pot_for<i32>(qlin::pot_range(32));
  CHECK(qlin::pot_range(8) == (qlin::qrange{-128, 127}));
  CHECK(qlin::ceil_log2(3.0f) == 2 && qlin::ceil_log2(4.0f) == 2);
  const auto fl = qlin::fractional_length(1.9f, 8);
  CHECK(fl && *fl == 6);
  const float xs[] = {0.5f, -1.9f};
  const auto fl2 = qlin::fractional_length(xs, 2, 8);
  CHECK(fl2 && *fl2 == 6);
  CHECK(!qlin::fractional_length(kNaN, 8));
  CHECK(qlin::pot_requantize_one(40, 8, 4, qlin::pot_range(8)) == 3);    // 40 / 16 = 2.5: ties away
  CHECK(qlin::pot_requantize_one(-40, 8, 4, qlin::pot_range(8)) == -3);
  const auto lp = qlin::choose_log_params(1.0f, 8);
  CHECK(lp && qlin::validate(*lp));
  if (lp) {
    const float lx[] = {0.5f, -0.25f, 0.0f, 0.3f};
    u8 codes[4];
    qlin::log_quantize(lx, 4, codes, *lp);
    CHECK(codes[0] == qlin::log_quantize_one(0.5f, *lp));
    float lr[4];
    qlin::log_dequantize(codes, 4, lr, *lp);
    CHECK(lr[0] == 0.5f && lr[1] == -0.25f && lr[2] == 0.0f && lr[0] == qlin::log_dequantize_one(codes[0], *lp));
    const qlin::log_product prod = qlin::log_multiply(codes[0], *lp, codes[1], *lp);
    CHECK(!prod.zero && prod.negative && prod.value() == -0.125f);
    CHECK(qlin::log_multiply_shift(1000, codes[0], *lp) == 500);
  }
  CHECK(!qlin::validate(qlin::log_params{5, 1}));
}

// -------------------------------------------------------------------------------------- fake quant
void test_fake_quant(rng& g) {
  const qlin::quant_params p{0.1f, 3, -128, 127};
  const size_t n = 33;
  std::vector<float> x(n), y(n), ref(n), dy(n), dx(n);
  for (float& e : x) e = g.uniform(-20.0f, 20.0f);
  for (float& e : dy) e = g.uniform(-1.0f, 1.0f);
  std::vector<i8> q(n);
  qlin::quantize(x.data(), n, q.data(), p);
  qlin::dequantize(q.data(), n, ref.data(), p);
  std::vector<u8> mask(n);
  qlin::fake_quantize(x.data(), n, y.data(), p, mask.data());
  CHECK(same_bits(y, ref));
  qlin::fake_quantize_backward(dy.data(), mask.data(), n, dx.data());
  bool bw = true;
  for (size_t i = 0; i < n; ++i) bw = bw && dx[i] == (mask[i] != 0 ? dy[i] : 0.0f);
  CHECK(bw);
  const qlin::qrange r{-128, 127};
  std::vector<float> yl(n);
  qlin::fake_quantize_learnable(x.data(), n, yl.data(), 0.1f, 3.0f, r, mask.data());
  CHECK(same_bits(yl, ref));
  const qlin::lsq_gradients gr = qlin::fake_quantize_learnable_backward(x.data(), dy.data(), n, 0.1f, 3.0f, r, 1.0f, dx.data());
  CHECK(std::isfinite(gr.d_scale) && std::isfinite(gr.d_zero_point));
  CHECK(qlin::lsq_forward_zero_point(3.4f, r) == 3 && qlin::lsq_backward_zero_point(200.0f, r) == 127);

  const size_t ch = 3, inner = 11;
  std::vector<float> xc(ch * inner), yc(ch * inner), yc2(ch * inner);
  const float mins[] = {-1.0f, -2.0f, -3.0f};
  const float maxs[] = {1.0f, 2.0f, 3.0f};
  for (size_t i = 0; i < xc.size(); ++i) xc[i] = g.uniform(mins[i / inner], maxs[i / inner]);
  xc[0] = 7.0f;  // clipped
  const auto pc = qlin::choose_qparams_per_channel(mins, maxs, ch);
  qlin::qparams_options u8opt;  // float zero points: PyTorch defines them for quint8
  u8opt.type = qlin::dtype::uint8;
  const auto pcf = qlin::choose_float_qparams_per_channel(mins, maxs, ch, u8opt);
  CHECK(pc && pcf);
  if (pc && pcf) {
    qlin::fake_quantize_per_channel(xc.data(), 1, ch, inner, yc.data(), *pc);
    std::vector<i8> qc(ch * inner);
    qlin::quantize_per_channel(xc.data(), 1, ch, inner, qc.data(), *pc);
    qlin::dequantize_per_channel(qc.data(), 1, ch, inner, yc2.data(), *pc);
    CHECK(same_bits(yc, yc2));
    qlin::fake_quantize_per_channel(xc.data(), 1, ch, inner, yc.data(), *pcf);
    bool within = std::fabs(yc[0] - 1.0f) <= pcf->scales[0];  // the clipped value: near the channel's max
    for (size_t i = 1; i < xc.size(); ++i) within = within && std::fabs(xc[i] - yc[i]) <= pcf->scales[i / inner];
    CHECK(within);
    std::vector<float> zf(ch);
    for (size_t c = 0; c < ch; ++c) zf[c] = static_cast<float>(pc->zero_points[c]);
    qlin::fake_quantize_learnable_per_channel(xc.data(), 1, ch, inner, yc2.data(), pc->scales.data(), zf.data(),
                                              qlin::qrange{pc->qmin, pc->qmax});
    qlin::fake_quantize_per_channel(xc.data(), 1, ch, inner, yc.data(), *pc);
    CHECK(same_bits(yc, yc2));
    std::vector<float> dyc(ch * inner, 1.0f), dxc(ch * inner), ds(ch), dz(ch);
    qlin::fake_quantize_learnable_per_channel_backward(xc.data(), dyc.data(), 1, ch, inner, pc->scales.data(), zf.data(),
                                                       qlin::qrange{pc->qmin, pc->qmax}, 1.0f, dxc.data(), ds.data(),
                                                       dz.data());
    CHECK(std::isfinite(ds[0]) && std::isfinite(dz[2]));
  }
}

// ----------------------------------------------------------------------------------------- metrics
void test_metrics() {
  const float r[] = {1.0f, 2.0f, 3.0f, 4.0f};
  const float t[] = {1.0f, 2.0f, 3.0f, 5.0f};
  CHECK(qlin::mse(r, t, 4) == 0.25);
  CHECK(qlin::max_abs_error(r, t, 4) == 1.0);
  CHECK(qlin::sqnr_db(r, r, 4) == std::numeric_limits<double>::infinity());
  CHECK(qlin::cosine_similarity(r, r, 4) == 1.0);
  qlin::error_stats s = qlin::compare(r, t, 2);
  qlin::error_stats s2;
  s2.add(r + 2, t + 2, 2);
  s.merge(s2);
  CHECK(s.mse() == 0.25 && s.max_abs_error() == 1.0 && s.cosine() < 1.0);
  s.add(kNaN, 1.0f);
  CHECK(std::isnan(s.mse()));
  s.reset();
  CHECK(s.mse() == 0.0);
  const qlin::quant_params p{0.5f, 0, -128, 127};
  const qlin::error_stats qe = qlin::quantization_error(r, 4, p);
  s.add_quantized(r, 4, p);
  CHECK(qe.mse() == s.mse() && qe.mse() == 0.0);
  const i8 q[] = {2, 4, 6, 8};
  qlin::error_stats d;
  d.add_dequantized(r, q, 4, p);
  CHECK(d.mse() == 0.0);
  const u8 qu[] = {2, 4, 6, 8};
  d.add_dequantized(r, qu, 4, qlin::quant_params{0.5f, 0, 0, 255});
  const i16 q16[] = {2, 4, 6, 8};
  d.add_dequantized(r, q16, 4, qlin::quant_params{0.5f, 0, -32768, 32767});
  CHECK(d.mse() == 0.0);
  const float mins[] = {0.0f};
  const float maxs[] = {4.0f};
  const auto pc = qlin::choose_qparams_per_channel(mins, maxs, 1);
  CHECK(pc.has_value());
  if (pc) {
    d.reset();
    d.add_quantized_per_channel(r, 1, 1, 4, *pc);
    CHECK(d.max_abs_error() <= static_cast<double>(pc->scales[0]));
  }
}

// --------------------------------------------------------------------------------------- observers
void test_observers(rng& g) {
  std::vector<float> x(1000);
  for (float& e : x) e = g.uniform(-3.0f, 5.0f);
  x[10] = kNaN;
  x[11] = kInf;
  qlin::minmax_observer mm;
  CHECK(mm.calculate_qparams().code() == qlin::errc::no_finite_values);
  mm.observe(x.data(), x.size());
  const auto p = mm.calculate_qparams();
  CHECK(p && p->scale > 0.0f);
  CHECK(mm.calculate_float_qparams().has_value());
  const auto bytes = mm.serialize();
  const auto back = qlin::minmax_observer::deserialize(bytes);
  CHECK(back && back->calculate_qparams()->scale == p->scale);
  CHECK(qlin::minmax_observer::deserialize(bytes.data(), bytes.size() / 2).code() == qlin::errc::corrupt_data);
  qlin::minmax_observer other;
  other.observe(x.data(), 10);
  CHECK(other.merge(mm));
  mm.reset();
  CHECK(!mm.calculate_qparams());

  const auto ma = qlin::moving_average_minmax_observer::make(0.01f);
  CHECK(ma && ma->averaging_constant() == 0.01f);
  CHECK(!qlin::moving_average_minmax_observer::make(-1.0f));
  qlin::moving_average_minmax_observer mao(0.5f);
  mao.observe(x.data(), 500);
  mao.observe(x.data() + 500, 500);
  CHECK(mao.calculate_qparams().has_value());
  const auto mab = qlin::moving_average_minmax_observer::deserialize(mao.serialize());
  CHECK(mab && mab->range()->max == mao.range()->max);
  qlin::moving_average_minmax_observer mao2(0.5f);
  CHECK(mao2.merge(mao));
  mao2.reset();

  const size_t shape[] = {4, 5, 50};
  const auto layout = qlin::make_channel_layout(shape, 3, 1);
  CHECK(layout && layout->outer == 4 && layout->channels == 5 && layout->inner == 50 && layout->size() == 1000);
  CHECK(!qlin::make_channel_layout(shape, 3, 3));
  if (layout) {
    qlin::per_channel_minmax_observer pco;
    CHECK(pco.observe(x.data(), *layout));
    CHECK(pco.channels() == 5 && pco.calculate_qparams().has_value());
    const auto pcb = qlin::per_channel_minmax_observer::deserialize(pco.serialize());
    CHECK(pcb && pcb->mins() == pco.mins());
    qlin::per_channel_minmax_observer pc2(5);
    CHECK(pc2.observe(x.data(), 4, 5, 50));
    CHECK(pc2.merge(pco));
    CHECK(!pc2.observe(x.data(), 4, 3, 50));  // channel count mismatch
    pc2.reset();
    auto pma = qlin::per_channel_moving_average_minmax_observer::make(0.1f, 5);
    CHECK(pma.has_value());
    if (pma) {
      CHECK(pma->observe(x.data(), *layout));
      CHECK(pma->observe(x.data(), 4, 5, 50));
      CHECK(pma->averaging_constant() == 0.1f);
      const auto pmb = qlin::per_channel_moving_average_minmax_observer::deserialize(pma->serialize());
      CHECK(pmb && pmb->maxs() == pma->maxs());
      qlin::per_channel_moving_average_minmax_observer pm2(0.1f, 5);
      CHECK(pm2.merge(*pma));
      pm2.reset();
    }
  }

  // histogram observers
  qlin::histogram_observer h;
  h.observe(x.data(), x.size());
  for (qlin::histogram_method m : {qlin::histogram_method::histogram, qlin::histogram_method::mse,
                                   qlin::histogram_method::percentile}) {
    const auto hp = h.calculate_qparams(m);
    CHECK(hp && hp->scale > 0.0f);
  }
  qlin::histogram_observer h2;
  h2.observe(x.data(), 100);
  CHECK(h2.merge(h));
  CHECK(!qlin::histogram_observer::make(0));
  qlin::torch_histogram_observer th;
  CHECK(th.observe(x.data(), x.size()));
  const auto tp = th.calculate_qparams();
  CHECK(tp && tp->scale > 0.0f);
  qlin::abs_histogram_observer ah;
  ah.observe(x.data(), x.size());
  const auto ea = ah.entropy_amax();
  const auto pa = ah.percentile_amax(99.9);
  CHECK(ea && *ea > 0.0f && *ea <= 5.0f + 1e-3f);
  CHECK(pa && *pa > 0.0f && *pa <= 5.0f + 1e-3f);

  // entropy / percentile on raw counts, ADMM
  std::vector<u64> counts(2048, 1);
  std::vector<double> edges(2049);
  for (size_t i = 0; i < edges.size(); ++i) edges[i] = static_cast<double>(i) / 2048.0;
  const auto te = qlin::tensorrt_entropy_amax(counts.data(), edges.data(), counts.size());
  CHECK(te && *te > 0.0f && *te <= 1.0f);
  const auto pp = qlin::percentile_amax(counts.data(), edges.data(), counts.size(), 50.0);
  CHECK(pp && std::fabs(*pp - 0.5f) < 0.01f);
  CHECK(!qlin::percentile_amax(counts.data(), edges.data(), counts.size(), 150.0));
  const auto as = qlin::admm_scale(x.data() + 20, 500, 127.0f, 50);
  CHECK(as && *as > 0.0f);
  const auto ass = qlin::admm_scales(x.data() + 20, 4, 100, 127.0f, 20);
  CHECK(ass && ass->size() == 4);
  CHECK(qlin::admm_clamp(qlin::qrange{-128, 127}) > 0.0f);
  if (as) {
    qlin::qparams_options sym;
    sym.scheme = qlin::qscheme::symmetric;
    CHECK(qlin::admm_qparams(*as, sym).has_value());
  }
}

// --------------------------------------------------------------------------------------------- DFQ
void test_dfq() {
  // layer 1: 2 channels x 3 inputs; layer 2: 2 outputs x 2 channels
  float w1[] = {1.0f, -2.0f, 0.5f, 0.01f, 0.02f, -0.03f};
  float b1[] = {0.1f, 0.2f};
  float w2[] = {0.5f, 10.0f, -0.5f, 20.0f};
  float r1[2], r2[2], scales[2];
  CHECK(qlin::row_abs_max(w1, 2, 3, r1));
  CHECK(r1[0] == 2.0f && r1[1] == 0.03f);
  CHECK(qlin::col_abs_max(w2, 2, 2, r2));
  CHECK(r2[0] == 0.5f && r2[1] == 20.0f);
  CHECK(qlin::cle_scale(4.0f, 1.0f) == 2.0f);
  CHECK(qlin::equalize_cross_layer(w1, b1, 2, 3, w2, 2, scales));
  CHECK(qlin::row_abs_max(w1, 2, 3, r1) && qlin::col_abs_max(w2, 2, 2, r2));
  CHECK(std::fabs(r1[0] - r2[0]) < 1e-5f && std::fabs(r1[1] - r2[1]) < 1e-5f);  // equalized ranges
  CHECK(std::fabs(qlin::relu_normal_mean(0.0, 1.0) - 0.3989422804) < 1e-6);
  const float w[] = {1.0f, 2.0f};
  const float wq[] = {1.5f, 2.0f};
  const float mean[] = {2.0f, 1.0f};
  float bias[] = {0.0f};
  qlin::correct_bias(w, wq, 1, 2, mean, bias);
  CHECK(bias[0] == -1.0f);  // E[(W - Wq) x] = -0.5 * 2
}

// ---------------------------------------------------------------------------------------- dispatch
void test_dispatch() {
  CHECK(qlin::dispatch::cpu_supports("scalar"));
  CHECK(!qlin::dispatch::cpu_supports("no-such-arch"));
  CHECK(qlin::dispatch::find_table("scalar") == &qlin::dispatch::scalar_table());
  CHECK(qlin::dispatch::find_table("avx2") == nullptr);  // not linked into this program
  CHECK(qlin::dispatch::linked_tables()[0] == &qlin::dispatch::scalar_table());
  CHECK(&qlin::dispatch::select_table() == &qlin::dispatch::active());
  CHECK(std::strcmp(qlin::dispatch::active_arch_name(), "scalar") == 0);
  CHECK(qlin::simd::active() == (std::strcmp(qlin::simd::active_arch_name(), "scalar") != 0));
}

}  // namespace

int main() {
  rng g;
  test_result();
  test_rounding();
  test_dtype();
  test_params();
  test_quantize_for<i8>(qlin::dtype::int8, g);
  test_quantize_for<u8>(qlin::dtype::uint8, g);
  test_quantize_for<i16>(qlin::dtype::int16, g);
  test_requantize(g);
  test_fixed_point();
  test_gemm(g);
  test_int4(g);
  test_binary(g);
  test_power_of_two();
  test_fake_quant(g);
  test_metrics();
  test_observers(g);
  test_dfq();
  test_dispatch();
  std::printf("qlin whole API, -fno-exceptions -fno-rtti, SIMD arch %s: %d checks, %d failed\n",
              qlin::simd::active_arch_name(), g_checks, g_failures);
  return g_failures == 0 && g_checks > 0 ? 0 : 1;
}
