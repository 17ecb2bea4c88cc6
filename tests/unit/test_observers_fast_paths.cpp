// Fast paths of the observers (issue #4, speed) against the plain reference code they replace,
// bit for bit, on random and adversarial inputs:
//  - torch_floor_div_fast (no fmod) against torch_floor_div;
//  - torch_quantization_error (AVX2 / scalar bins) against torch_quantization_error_reference, and
//    torch_histogram_search against the same search loop run on the reference error;
//  - grid_binner_f32 (float32 slots) against grid_binner's rule, exhaustively on whole binades;
//  - histogram_observer's chunked, tiled collection (odd lengths, misaligned pointers, ranges that
//    grow from chunk to chunk, NaN / Inf) against per-element counting;
//  - reduce_minmax's kernels (SSE2 / AVX2 / AVX-512, chosen at run time) against a naive loop.
#include <qlin/observers/histogram.hpp>
#include <qlin/observers/reduce.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

std::uint32_t bits(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

std::uint64_t bits(double f) {
  std::uint64_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

#if defined(QLIN_REDUCE_AVX2)
float from_bits(std::uint32_t u) {
  float f = 0.0f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
#endif

constexpr float inf = std::numeric_limits<float>::infinity();
constexpr float qnan = std::numeric_limits<float>::quiet_NaN();
constexpr float den = std::numeric_limits<float>::denorm_min();

// The search loop of torch_histogram_search (torch 1.13 _non_linear_param_search), run on the
// reference error: the fast search must pick the same bins.
qlin::clip_range reference_search(const float* hist, std::size_t bins, float min, float max, std::size_t dst) {
  const float bin_width = (max - min) / static_cast<float>(bins);
  const double total = static_cast<double>(qlin::detail::torch_sum_f32(hist, bins));
  std::vector<float> csum(bins);
  double run = 0.0;
  for (std::size_t j = 0; j < bins; ++j) {
    run += static_cast<double>(hist[j]);
    csum[j] = static_cast<float>(run);
  }
  std::vector<float> norm;
  double alpha = 0.0, beta = 1.0;
  std::size_t start = 0, end = bins - 1;
  double norm_min = std::numeric_limits<double>::infinity();
  while (alpha < beta) {
    const double next_alpha = alpha + 1e-5;
    const double next_beta = beta - 1e-5;
    const auto ta = static_cast<float>(next_alpha * total);
    const auto tb = static_cast<float>(next_beta * total);
    std::size_t l = start, r = end;
    while (l < end && csum[l] < ta) ++l;
    while (r > start && csum[r] > tb) --r;
    std::size_t ns = start, ne = end;
    if ((l - start) > (end - r)) {
      ns = l;
      alpha = next_alpha;
    } else {
      ne = r;
      beta = next_beta;
    }
    if (ns == start && ne == end) continue;
    const double nrm = qlin::detail::torch_quantization_error_reference(hist, bins, min, max, dst, ns, ne, norm);
    if (nrm > norm_min) break;
    norm_min = nrm;
    start = ns;
    end = ne;
  }
  return {min + bin_width * static_cast<float>(start), min + bin_width * static_cast<float>(end + 1)};
}

std::vector<std::uint64_t> ref_grid_counts(const float* x, std::size_t n, int k, std::int64_t o, std::size_t bins) {
  std::vector<std::uint64_t> c(bins, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    const auto g = static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(x[i]), -k)));
    REQUIRE(g - o >= 0);
    REQUIRE(g - o < static_cast<std::int64_t>(bins));
    c[static_cast<std::size_t>(g - o)] += 1;
  }
  return c;
}

#if defined(QLIN_REDUCE_AVX2)
template <class B>
QLIN_REDUCE_AVX2_TARGET void slots8(const B& b, const float* p, std::uint32_t* out) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), b.idx8(p));
}
#endif

}  // namespace

TEST_CASE("torch_floor_div_fast equals torch_floor_div", "[observers][histogram][fast][l2]") {
  std::mt19937 rng(404);
  std::uniform_real_distribution<float> u(-3000.0f, 3000.0f);
  std::uniform_real_distribution<float> ub(1e-3f, 50.0f);
  std::uniform_int_distribution<int> mult(-5000, 5000);
  std::vector<float> bs = {1.0f, 0.1f, 0.0078125f, 3.0f, 1e-30f, den, 1e30f, std::numeric_limits<float>::max(), inf, 0.0f,
                           -1.0f, qnan};
  for (int i = 0; i < 40; ++i) bs.push_back(ub(rng));
  std::size_t compared = 0;
  for (float b : bs) {
    std::vector<float> as = {0.0f, -0.0f, den, -den, inf, -inf, qnan, 1e38f, -1e38f, b, -b};
    for (int i = 0; i < 400; ++i) as.push_back(u(rng));
    for (int i = 0; i < 400; ++i) {
      // exact multiples of b (when representable) and their neighbours: the ties of floor division
      const float m = static_cast<float>(mult(rng)) * b;
      as.push_back(m);
      as.push_back(std::nextafter(m, inf));
      as.push_back(std::nextafter(m, -inf));
    }
    for (float a : as) {
      INFO("a = " << a << " b = " << b);
      const float want = qlin::detail::torch_floor_div(a, b);
      const float got = qlin::detail::torch_floor_div_fast(a, b);
      CHECK((bits(got) == bits(want) || (std::isnan(got) && std::isnan(want))));
      ++compared;
    }
  }
  CHECK(compared > 40000);
}

TEST_CASE("torch_quantization_error equals the fmod reference bit for bit", "[observers][histogram][fast][l2]") {
  std::mt19937 rng(2027);
  std::uniform_real_distribution<float> cnt(0.0f, 1000.0f);
  struct range_case {
    float min, max;
  };
  const range_case ranges[] = {{-5.3f, 5.4f},  {0.0f, 1.0f},   {-1e-38f, 1e-38f}, {-3e-44f, 4e-44f}, {1e30f, 3e30f},
                               {-2.0f, -1.0f}, {0.0f, 2048.0f}, {-7.0f, 7.0f},    {1.0f, 1.0f},      {-1e37f, 3e38f}};
  for (std::size_t bins : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{63}, std::size_t{2048}, std::size_t{2051}}) {
    std::vector<float> hist(bins);
    for (auto& h : hist) h = (rng() % 4 == 0) ? 0.0f : std::floor(cnt(rng));
    for (const range_case& rc : ranges) {
      for (std::size_t dst : {std::size_t{2}, std::size_t{16}, std::size_t{256}}) {
        std::vector<std::pair<std::size_t, std::size_t>> se;
        if (bins <= 8) {
          for (std::size_t s = 0; s < bins; ++s)
            for (std::size_t e = s; e < bins; ++e) se.emplace_back(s, e);
        } else {
          se.emplace_back(0, bins - 1);
          se.emplace_back(bins / 3, bins / 2);
          se.emplace_back(bins - 1, bins - 1);
          std::uniform_int_distribution<std::size_t> pos(0, bins - 1);
          for (int t = 0; t < 12; ++t) {
            std::size_t a = pos(rng), b = pos(rng);
            se.emplace_back(std::min(a, b), std::max(a, b));
          }
        }
        for (const auto& p : se) {
          INFO("bins " << bins << " [" << rc.min << ", " << rc.max << "] dst " << dst << " s " << p.first << " e " << p.second);
          std::vector<float> n1, n2;
          const double got = qlin::detail::torch_quantization_error(hist.data(), bins, rc.min, rc.max, dst, p.first, p.second, n1);
          const double want =
              qlin::detail::torch_quantization_error_reference(hist.data(), bins, rc.min, rc.max, dst, p.first, p.second, n2);
          CHECK((bits(got) == bits(want) || (std::isnan(got) && std::isnan(want))));
        }
      }
    }
  }
}

TEST_CASE("torch_histogram_search equals the search on the reference error", "[observers][histogram][fast][l2]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int trial = 0; trial < 24; ++trial) {
    const std::size_t bins = trial % 3 == 0 ? 2048 : (trial % 3 == 1 ? 301 : 64);
    std::vector<float> hist(bins, 0.0f);
    const int mode = trial % 4;
    for (int i = 0; i < 20000; ++i) {
      float v = nd(rng);
      if (mode == 1) v = std::fabs(v) * 0.3f - 1.0f;  // skewed
      if (mode == 2) v = std::round(v * 4.0f) / 4.0f;  // spikes
      const auto j = static_cast<long>((v + 4.0f) / 8.0f * static_cast<float>(bins));
      if (j >= 0 && j < static_cast<long>(bins)) hist[static_cast<std::size_t>(j)] += 1.0f;
    }
    const float scale = mode == 3 ? 1e-39f : 1.0f;  // mode 3: a denormal range
    const float mn = -4.0f * scale, mx = 4.0f * scale;
    INFO("trial " << trial);
    const qlin::result<qlin::clip_range> got = qlin::torch_histogram_search(hist.data(), bins, mn, mx, 256);
    REQUIRE(got);
    const qlin::clip_range want = reference_search(hist.data(), bins, mn, mx, 256);
    CHECK(bits(got->min) == bits(want.min));
    CHECK(bits(got->max) == bits(want.max));
  }
}

TEST_CASE("grid_binner_f32 gives grid_binner's slots", "[observers][histogram][fast]") {
  using qlin::detail::grid_binner;
  using qlin::detail::grid_binner_f32;
  struct grid {
    int k;
    std::int64_t o;
    std::uint32_t nb;
  };
  // Windows [o 2^k, (o + nb) 2^k): around zero, one-sided, tiny (k = -127), width-1 bins.
  const grid grids[] = {{-7, -1024, 2048}, {-8, -1368, 2048}, {0, -1024, 2048}, {-3, 16, 7},
                        {-127, -5, 11},    {-20, -2, 2},       {-1, -3000, 2048}};
  std::mt19937 rng(5);
  for (const grid& gr : grids) {
    REQUIRE(grid_binner_f32::usable(gr.k, gr.o, gr.nb));
    const grid_binner gb{std::ldexp(1.0, -gr.k), static_cast<double>(gr.o), gr.nb};
    const grid_binner_f32 gf{gb, std::ldexp(1.0f, -gr.k), static_cast<std::int32_t>(gr.o)};
    const double lo = std::ldexp(static_cast<double>(gr.o), gr.k), hi = std::ldexp(static_cast<double>(gr.o + gr.nb), gr.k);
    auto in_window = [&](float v) { return !std::isfinite(v) || (static_cast<double>(v) >= lo && static_cast<double>(v) < hi); };
    std::vector<float> x;
    for (std::int64_t j = gr.o; j <= gr.o + gr.nb; ++j) {  // every edge and its neighbours
      const auto e = static_cast<float>(std::ldexp(static_cast<double>(j), gr.k));
      for (float v : {e, std::nextafter(e, -inf), std::nextafter(e, inf)})
        if (in_window(v)) x.push_back(v);
    }
    for (float v : {0.0f, -0.0f, den, -den, 1e-38f, -1e-38f, inf, -inf, qnan, -qnan})
      if (in_window(v)) x.push_back(v);
    std::uniform_real_distribution<double> ud(lo, hi);
    for (int i = 0; i < 4000; ++i) {
      const auto v = static_cast<float>(ud(rng));
      if (in_window(v)) x.push_back(v);
    }
    while (x.size() % 8 != 0) x.push_back(qnan);
    for (float v : x) {
      if (!std::isfinite(v)) {
        CHECK(gf.idx1(v) == gr.nb);
        continue;
      }
      const auto g = static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(v), -gr.k)));
      CHECK(static_cast<std::int64_t>(gf.idx1(v)) == g - gr.o);
    }
#if defined(QLIN_REDUCE_AVX2)
    if (qlin::detail::have_avx2()) {
      bool same = true;
      for (std::size_t i = 0; i < x.size(); i += 8) {
        alignas(32) std::uint32_t s[8];
        slots8(gf, x.data() + i, s);
        for (std::size_t l = 0; l < 8; ++l) same &= s[l] == gb.idx1(x[i + l]);
      }
      CHECK(same);
    }
#endif
  }
#if defined(QLIN_REDUCE_AVX2)
  // Exhaustive: every float of +-[2^-5, 8) (all 2^23 significands of 8 binades, both signs) on
  // the window [-8, 8) with k = -7 and k = 0.
  if (qlin::detail::have_avx2()) {
    for (int k : {-7, 0}) {
      const std::int64_t o = k == 0 ? -8 : -1024;
      const auto nb = static_cast<std::uint32_t>(-2 * o);
      const grid_binner gb{std::ldexp(1.0, -k), static_cast<double>(o), nb};
      const grid_binner_f32 gf{gb, std::ldexp(1.0f, -k), static_cast<std::int32_t>(o)};
      std::uint64_t mismatches = 0, checked = 0;
      std::vector<float> x(8);
      for (std::uint32_t u = bits(0x1p-5f); u < bits(8.0f); u += 4) {
        for (std::uint32_t l = 0; l < 4; ++l) {
          x[2 * l] = from_bits(u + l);
          x[2 * l + 1] = -from_bits(u + l);
        }
        alignas(32) std::uint32_t s[8];
        slots8(gf, x.data(), s);
        for (std::size_t l = 0; l < 8; ++l) mismatches += s[l] != gb.idx1(x[l]) ? 1u : 0u;
        checked += 8;
      }
      CHECK(mismatches == 0u);
      CHECK(checked == 2u * 8u * (1u << 23));
    }
  }
#endif
}

TEST_CASE("histogram_observer chunked collection equals per-element counting", "[observers][histogram][fast]") {
  std::mt19937 rng(77);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const std::size_t chunk = qlin::histogram_observer::observe_chunk;
  for (int kind = 0; kind < 5; ++kind) {
    for (std::size_t n : {chunk - 1, chunk + 1, 3 * chunk + 517, std::size_t{300001}}) {
      std::vector<float> buf(n + 3);
      for (std::size_t i = 0; i < buf.size(); ++i) {
        float v = nd(rng);
        switch (kind) {
          case 1:  // range grows chunk after chunk (the grid coarsens between chunks)
            v *= 1.0f + static_cast<float>(i / 1000);
            break;
          case 2:  // dyadic edges, zeros, denormals
            v = i % 7 == 0 ? (i % 2 ? -0.0f : den * static_cast<float>(i % 100)) : std::ldexp(std::round(v * 64.0f), -6);
            break;
          case 3:  // a huge range (grid_binner in double)
            v *= 1e30f;
            break;
          case 4:  // a range far from zero, narrow
            v = 1000.0f + v * 1e-3f;
            break;
          default:
            break;
        }
        buf[i] = v;
      }
      buf[5] = qnan;
      buf[n / 2] = inf;
      buf[n - 1] = -inf;
      for (std::size_t off : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {  // misaligned starts
        const float* x = buf.data() + off;
        const std::size_t len = n - off;
        INFO("kind " << kind << " n " << n << " offset " << off);
        qlin::histogram_observer h(2048);
        h.observe(x, len);
        REQUIRE(h.has_range());
        CHECK(h.counts() == ref_grid_counts(x, len, h.exponent(), h.origin(), 2048));
        const qlin::minmax_summary want = qlin::detail::reduce_minmax(x, len);
        CHECK(bits(h.min()) == bits(want.min));
        CHECK(bits(h.max()) == bits(want.max));
        CHECK(h.finite_count() == want.finite);
        CHECK(h.nonfinite_count() == want.nonfinite);
        CHECK(qlin::detail::required_k_ok(h.min(), h.max(), h.exponent(), 2048));
        // Also the same state as two shards merged (the exactness the chunking relies on).
        qlin::histogram_observer a(2048), b(2048);
        a.observe(x, len / 3);
        b.observe(x + len / 3, len - len / 3);
        REQUIRE(a.merge(b));
        CHECK(a.counts() == h.counts());
        CHECK(a.exponent() == h.exponent());
        CHECK(a.origin() == h.origin());
      }
    }
  }
}

TEST_CASE("torch histogram observer: tiled counting equals per-element histc", "[observers][histogram][fast]") {
  std::mt19937 rng(78);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  // Scales: ordinary data, and ranges where span * bins is close to FLT_MAX in float32 (just
  // below: idx8 runs without its overflow test; above: with it, and the double fallback).
  for (float scale : {3.0f, 3e33f, 2e34f, 5e34f})
  for (std::size_t n : {std::size_t{511}, std::size_t{4099}, std::size_t{100003}}) {
    std::vector<float> buf(n + 1);
    for (auto& v : buf) v = nd(rng) * scale;
    buf[7] = qnan;
    buf[n / 3] = -inf;
    const float* x = buf.data() + 1;  // misaligned
    const std::size_t len = n;
    const qlin::minmax_summary s = qlin::detail::reduce_minmax(x, len);
    for (std::size_t nb : {std::size_t{2048}, std::size_t{37}}) {
      INFO("scale " << scale << " n " << n << " bins " << nb);
      std::vector<float> got(nb), want(nb, 0.0f);
      const double lo = std::trunc(static_cast<double>(s.min)), hi = std::trunc(static_cast<double>(s.max));
      qlin::detail::torch_histc(x, len, nb, lo, hi, s.min, s.max, got.data());
      const auto flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
      for (std::size_t i = 0; i < len; ++i) {
        const float e = x[i];
        if (!(e >= flo && e <= fhi)) continue;
        const float t = (e - flo) * static_cast<float>(nb) / (fhi - flo);
        auto pos = t < 0x1p63f ? static_cast<std::size_t>(t)
                               : static_cast<std::size_t>((static_cast<double>(e) - lo) * static_cast<double>(nb) / (hi - lo));
        if (pos >= nb) pos = nb - 1;
        want[pos] += 1.0f;
      }
      CHECK(got == want);
    }
  }
}

TEST_CASE("reduce_minmax kernels equal a naive loop", "[observers][fast][nonfinite]") {
  std::mt19937 rng(79);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto naive = [](const float* p, std::size_t n) {
    qlin::minmax_summary s;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(p[i])) {
        ++s.nonfinite;
        continue;
      }
      ++s.finite;
      s.min = p[i] < s.min ? p[i] : s.min;
      s.max = p[i] > s.max ? p[i] : s.max;
    }
    s.min = s.min + 0.0f;
    s.max = s.max + 0.0f;
    return s;
  };
  // Every kernel this build and CPU can run (AVX-512 / AVX2 only where the CPU has them).
  std::vector<qlin::detail::reduce_kernel> kernels;
  for (auto k : {qlin::detail::reduce_kernel::best, qlin::detail::reduce_kernel::portable, qlin::detail::reduce_kernel::sse2,
                 qlin::detail::reduce_kernel::avx2, qlin::detail::reduce_kernel::avx512})
    if (qlin::detail::reduce_kernel_available(k)) kernels.push_back(k);
  WARN("reduce kernels tested: " << kernels.size() << " of 5");
  CHECK(kernels.size() >= 2);
  const float specials[] = {qnan, inf, -inf, -0.0f, 0.0f, den, -den, std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max()};
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{63}, std::size_t{64},
                        std::size_t{2047}, std::size_t{2048}, std::size_t{2049}, std::size_t{4096 + 13}, std::size_t{70001}, std::size_t{140037}}) {
    std::vector<float> buf(n + 5);
    for (int trial = 0; trial < 12; ++trial) {
      for (auto& v : buf) v = nd(rng);
      if (trial % 3 == 1)
        for (auto& v : buf) v = v * 1e38f;  // sums overflow: blocks go to the masked kernel
      if (trial >= 2 && n > 0) {
        // a special value at a random position (every lane / block position over the trials)
        for (int t = 0; t < trial; ++t) buf[rng() % buf.size()] = specials[rng() % 9];
      }
      if (trial == 11)
        for (auto& v : buf) v = -0.0f;
      for (std::size_t off = 0; off < 5; ++off) {
        if (off > buf.size() - n) break;
        INFO("n " << n << " trial " << trial << " offset " << off);
        const qlin::minmax_summary want = naive(buf.data() + off, n);
        for (qlin::detail::reduce_kernel k : kernels) {
          INFO("kernel " << static_cast<int>(k));
          const qlin::minmax_summary got = qlin::detail::reduce_minmax_with(buf.data() + off, n, k);
          CHECK(bits(got.min) == bits(want.min));
          CHECK(bits(got.max) == bits(want.max));
          CHECK(got.finite == want.finite);
          CHECK(got.nonfinite == want.nonfinite);
        }
      }
    }
  }
}
