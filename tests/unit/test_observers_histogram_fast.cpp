// Fast paths of qlin/observers/histogram.hpp against straightforward references: the binning
// kernels (scalar, AVX2, 4 sub-histograms) against the per-element rules they replaced, on random
// and adversarial inputs (negative values on bin edges, -0.0, denormals, range ends, huge ranges,
// NaN / Inf).
#include <qlin/observers/histogram.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

using qlin::clip_range;

std::uint32_t bits(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// ----- references: the per-element code the kernels replaced ---------------------------------------

std::vector<std::uint64_t> ref_grid_counts(const std::vector<float>& x, int k, std::int64_t o, std::size_t bins) {
  std::vector<std::uint64_t> c(bins, 0);
  for (float v : x) {
    if (!std::isfinite(v)) continue;
    const auto g = static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(v), -k)));
    REQUIRE(g - o >= 0);
    REQUIRE(g - o < static_cast<std::int64_t>(bins));
    c[static_cast<std::size_t>(g - o)] += 1;
  }
  return c;
}

void ref_torch_histc_add(const float* x, std::size_t n, std::size_t nb, double lo_d, double hi_d, float dmin, float dmax,
                         float* hist) {
  if (lo_d == hi_d && n > 0) {
    lo_d = static_cast<double>(dmin);
    hi_d = static_cast<double>(dmax);
  }
  if (lo_d == hi_d) {
    lo_d -= 1.0;
    hi_d += 1.0;
  }
  const float lo = static_cast<float>(lo_d);
  const float hi = static_cast<float>(hi_d);
  const float span = hi - lo;
  const float fnb = static_cast<float>(nb);
  for (std::size_t i = 0; i < n; ++i) {
    const float e = x[i];
    if (!(e >= lo && e <= hi)) continue;
    const float t = (e - lo) * fnb / span;
    // torch's float32 formula; where it overflows (torch: undefined), the quotient in double
    auto pos = t < 0x1p63f ? static_cast<std::size_t>(t)
                           : static_cast<std::size_t>((static_cast<double>(e) - static_cast<double>(lo)) * static_cast<double>(fnb) / (static_cast<double>(hi) - static_cast<double>(lo)));
    if (pos >= nb) pos = nb - 1;
    hist[pos] += 1.0f;
  }
}

std::vector<std::uint64_t> ref_abs_histc(const std::vector<float>& x, std::size_t nb, float top, bool fixed) {
  float lo = 0.0f, hi = top;
  if (hi == 0.0f) {
    lo = -1.0f;
    hi = 1.0f;
  }
  const float span = hi - lo;
  const float fnb = static_cast<float>(nb);
  std::vector<std::uint64_t> c(nb, 0);
  for (float v : x) {
    if (!std::isfinite(v)) continue;
    const float a = std::fabs(v);
    if (a > hi) {
      if (fixed) c[nb - 1] += 1;
      continue;
    }
    const float t = (a - lo) * fnb / span;
    auto pos = t < 0x1p63f ? static_cast<std::size_t>(t)
                           : static_cast<std::size_t>((static_cast<double>(a) - static_cast<double>(lo)) * static_cast<double>(fnb) / (static_cast<double>(hi) - static_cast<double>(lo)));
    if (pos >= nb) pos = nb - 1;
    c[pos] += 1;
  }
  return c;
}

// ----- data -------------------------------------------------------------------------------------------

std::vector<float> adversarial(std::mt19937& rng, int kind, std::size_t n) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int> coin(0, 9);
  std::vector<float> v(n);
  const float den = std::numeric_limits<float>::denorm_min();
  for (std::size_t i = 0; i < n; ++i) {
    float x = nd(rng);
    switch (kind) {
      case 0:  // plain normal
        break;
      case 1:  // values exactly on dyadic edges, negative ones included
        x = std::ldexp(std::round(x * 64.0f), -6);
        break;
      case 2:  // zeros of both signs and denormals
        x = coin(rng) < 3 ? (coin(rng) < 5 ? -0.0f : 0.0f) : x * den * 1000.0f;
        break;
      case 3:  // huge range
        x = x * 1e37f;
        break;
      case 4:  // mixed magnitudes, negative only
        x = -std::fabs(x) * std::ldexp(1.0f, coin(rng) * 3 - 10);
        break;
      default:  // integers (torch's trunc(min) / trunc(max) bounds land on data)
        x = std::round(x * 10.0f);
        break;
    }
    v[i] = x;
  }
  if (n > 8) {
    v[3] = std::numeric_limits<float>::quiet_NaN();
    v[n / 2] = std::numeric_limits<float>::infinity();
    v[n - 2] = -std::numeric_limits<float>::infinity();
  }
  return v;
}

#if defined(QLIN_REDUCE_AVX2)
// The AVX2 slots of 8 values (out: 8 uint32).
template <class B>
QLIN_REDUCE_AVX2_TARGET void slots8(const B& b, const float* p, std::uint32_t* out) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), b.idx8(p));
}
#endif

}  // namespace

TEST_CASE("histogram_observer fast binning equals floor(ldexp(x, -k)) - o", "[observers][histogram][fast]") {
  std::mt19937 rng(2026);
  for (int kind = 0; kind < 6; ++kind) {
    for (std::size_t bins : {std::size_t{2}, std::size_t{7}, std::size_t{64}, std::size_t{2048}}) {
      for (std::size_t n : {std::size_t{5}, std::size_t{100}, std::size_t{9000}}) {
        INFO("kind " << kind << " bins " << bins << " n " << n);
        const std::vector<float> x = adversarial(rng, kind, n);
        qlin::histogram_observer h(bins);
        h.observe(x.data(), x.size());
        if (!h.has_range()) continue;
        CHECK(h.counts() == ref_grid_counts(x, h.exponent(), h.origin(), bins));
        CHECK(h.nonfinite_count() == (n > 8 ? 3u : 0u));
        // The range ends themselves and their neighbours, on the final grid.
        const float ends[] = {h.min(), h.max(), std::nextafter(h.min(), h.max()), std::nextafter(h.max(), h.min())};
        const qlin::detail::grid_binner gb{std::ldexp(1.0, -h.exponent()), static_cast<double>(h.origin()),
                                           static_cast<std::uint32_t>(bins)};
        for (float e : ends) {
          const auto g = static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(e), -h.exponent())));
          CHECK(static_cast<std::int64_t>(gb.idx1(e)) == g - h.origin());
        }
      }
    }
  }
}

TEST_CASE("binners: AVX2 lanes equal the scalar rule on edge values", "[observers][histogram][fast]") {
  std::mt19937 rng(7);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float den = std::numeric_limits<float>::denorm_min();
  // A grid with bin width 2^-3 whose window starts at -2: values on edges, just below / above them.
  std::vector<float> x;
  for (int j = -16; j <= 16; ++j) {
    const float e = std::ldexp(static_cast<float>(j), -3);
    x.push_back(e);
    x.push_back(std::nextafter(e, -inf));
    x.push_back(std::nextafter(e, inf));
  }
  for (float v : {0.0f, -0.0f, den, -den, 1e-38f, -1e-38f, 1.99999f, -2.0f, inf, -inf, nan}) x.push_back(v);
  while (x.size() % 8 != 0) x.push_back(0.5f);
  const qlin::detail::grid_binner gb{8.0, -16.0, 32};
  const qlin::detail::torch_histc_binner tb{-2.0f, 2.0f, 32.0f, 4.0f, 32};
  const qlin::detail::abs_histc_binner ab{0.0f, 1.5f, 32.0f, 1.5f, false, 32};
  const qlin::detail::abs_histc_binner abf{0.0f, 1.5f, 32.0f, 1.5f, true, 32};
  for (float v : x) {
    if (!std::isfinite(v)) {
      CHECK(gb.idx1(v) == 32u);
      CHECK(tb.idx1(v) == 32u);
      CHECK(ab.idx1(v) == 32u);
      CHECK(abf.idx1(v) == 32u);
      continue;
    }
    if (v >= -2.0f && v < 2.0f) {
      const auto g = static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(v), 3)));
      CHECK(static_cast<std::int64_t>(gb.idx1(v)) == g + 16);
    }
  }
#if defined(QLIN_REDUCE_AVX2)
  if (qlin::detail::have_avx2()) {
    for (std::size_t i = 0; i + 8 <= x.size(); i += 8) {
      alignas(32) std::uint32_t g[8], t[8], a[8], af[8];
      bool window = true;
      for (std::size_t l = 0; l < 8; ++l) window &= !std::isfinite(x[i + l]) || (x[i + l] >= -2.0f && x[i + l] < 2.0f);
      slots8(gb, x.data() + i, g);
      slots8(tb, x.data() + i, t);
      slots8(ab, x.data() + i, a);
      slots8(abf, x.data() + i, af);
      for (std::size_t l = 0; l < 8; ++l) {
        INFO("x = " << x[i + l]);
        if (window) CHECK(g[l] == gb.idx1(x[i + l]));
        CHECK(t[l] == tb.idx1(x[i + l]));
        CHECK(a[l] == ab.idx1(x[i + l]));
        CHECK(af[l] == abf.idx1(x[i + l]));
      }
    }
  }
#endif
  // Scalar sub-histograms against direct counting on random data.
  std::uniform_real_distribution<float> ud(-2.0f, 2.0f);
  std::vector<float> y(5000);
  for (auto& v : y) v = ud(rng);
  y[17] = nan;
  std::vector<std::uint32_t> sub(4 * 48, 0);
  qlin::detail::count_sub_scalar(tb, y.data(), y.size(), sub.data(), 48);
  std::vector<float> want(32, 0.0f);
  ref_torch_histc_add(y.data(), y.size(), 32, -2.0, 2.0, -2.0f, 2.0f, want.data());
  for (std::size_t j = 0; j < 32; ++j) CHECK(static_cast<float>(sub[j] + sub[48 + j] + sub[96 + j] + sub[144 + j]) == want[j]);
}

TEST_CASE("torch histc and the abs histogram equal their per-element references", "[observers][histogram][fast]") {
  std::mt19937 rng(99);
  for (int kind = 0; kind < 6; ++kind) {
    for (std::size_t nb : {std::size_t{2}, std::size_t{64}, std::size_t{2048}}) {
      for (std::size_t n : {std::size_t{3}, std::size_t{500}, std::size_t{20000}}) {
        INFO("kind " << kind << " bins " << nb << " n " << n);
        const std::vector<float> x = adversarial(rng, kind, n);
        float mn = std::numeric_limits<float>::infinity(), mx = -mn;
        for (float v : x)
          if (std::isfinite(v)) {
            mn = std::min(mn, v);
            mx = std::max(mx, v);
          }
        if (!(mn <= mx)) continue;
        for (int bounds = 0; bounds < 3; ++bounds) {
          double lo = std::trunc(static_cast<double>(mn)), hi = std::trunc(static_cast<double>(mx));
          if (bounds == 1) {
            lo = static_cast<double>(mn);
            hi = static_cast<double>(mx);
          } else if (bounds == 2) {
            lo = static_cast<double>(mn) * 0.5;
            hi = static_cast<double>(mx) * 0.5;
          }
          std::vector<float> got(nb, 7.0f), want(nb, 0.0f);
          qlin::detail::torch_histc(x.data(), x.size(), nb, lo, hi, mn, mx, got.data());
          ref_torch_histc_add(x.data(), x.size(), nb, lo, hi, mn, mx, want.data());
          bool same = true;
          for (std::size_t j = 0; j < nb; ++j) same &= bits(got[j]) == bits(want[j]);
          CHECK(same);
        }
        // abs histogram, first batch: linspace edges over [0, max |x|] (or a fixed amax).
        const float amax = std::max(std::fabs(mn), std::fabs(mx));
        for (float fixed : {0.0f, amax * 0.5f}) {
          qlin::abs_histogram_observer a(nb, fixed);
          a.observe(x.data(), x.size());
          const float top = fixed > 0.0f ? fixed : amax;
          std::vector<std::uint64_t> want = ref_abs_histc(x, nb, top, fixed > 0.0f);
          CHECK(a.counts() == want);
        }
      }
    }
  }
  // float counts saturate at 2^24 exactly as adding 1.0f one at a time does.
  std::vector<float> same((std::size_t{1} << 24) + 5, 1.0f);
  std::vector<float> h(4, 0.0f), w(4, 0.0f);
  qlin::detail::torch_histc(same.data(), same.size(), 4, 0.0, 2.0, 1.0f, 1.0f, h.data());
  ref_torch_histc_add(same.data(), same.size(), 4, 0.0, 2.0, 1.0f, 1.0f, w.data());
  CHECK(h == w);
  CHECK(h[2] == 16777216.0f);
}
