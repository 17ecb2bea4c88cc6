// Tests for qlin's mse range search (qlin/observers/histogram.hpp, mse_search and the error model
// detail::expected_sq_error / detail::sq_error_table): the O(cells) evaluation against the plain
// per-bin definition, early abandonment, the end-bin point masses, and the pruned search against
// an exhaustive coordinate descent on random and adversarial histograms.
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

struct hist {
  std::vector<double> counts, edges;
  float dmin = 0.0f, dmax = 0.0f;
  std::vector<float> values;       // values consistent with the counts (with_values)
  std::vector<double> sum1, sum2;  // their moments about each bin's left edge
  qlin::bin_moments moments() const { return qlin::bin_moments{sum1.data(), sum2.data()}; }
};

// Draws, for every bin, counts[j] float values inside the bin and the observed [dmin, dmax] (the
// bins holding dmin / dmax get dmin / dmax themselves), clustered at a random point of the bin
// or spread over it, and records their moments as histogram_observer does.
void with_values(hist& h, std::mt19937& rng) {
  std::uniform_real_distribution<double> ud(0.0, 1.0);
  const std::size_t bins = h.counts.size();
  h.sum1.assign(bins, 0.0);
  h.sum2.assign(bins, 0.0);
  h.values.clear();
  const std::size_t jmin = qlin::detail::bin_holding(h.edges.data(), bins, h.dmin);
  const std::size_t jmax = qlin::detail::bin_holding(h.edges.data(), bins, h.dmax);
  for (std::size_t j = 0; j < bins; ++j) {
    const double lo = std::max(h.edges[j], static_cast<double>(h.dmin));
    const double hi = std::min(h.edges[j + 1], static_cast<double>(h.dmax));
    const auto c = static_cast<std::size_t>(h.counts[j]);
    const double centre = lo + (hi - lo) * ud(rng), spread = ud(rng) < 0.5 ? 0.05 : 1.0;
    for (std::size_t i = 0; i < c; ++i) {
      float x;
      if (j == jmin && i == 0) {
        x = h.dmin;
      } else if (j == jmax && i == c - 1) {
        x = h.dmax;
      } else {
        const double t = centre + (ud(rng) - 0.5) * spread * (hi - lo);
        x = static_cast<float>(std::min(std::max(t, lo), hi));
        if (static_cast<double>(x) >= h.edges[j + 1]) x = std::nextafter(x, -std::numeric_limits<float>::infinity());
        while (static_cast<double>(x) < lo) x = std::nextafter(x, std::numeric_limits<float>::infinity());
      }
      h.values.push_back(x);
      const double d = static_cast<double>(x) - h.edges[j];
      h.sum1[j] += d;
      h.sum2[j] += d * d;
    }
  }
}

// Random histograms: dyadic or irregular edges, several count shapes, sparse ones included.
hist random_hist(std::mt19937& rng, int t) {
  std::uniform_real_distribution<double> ud(0.0, 1.0);
  std::uniform_int_distribution<int> small(0, 40);
  hist h;
  const std::size_t bins = 1 + static_cast<std::size_t>(t % 7) * 41;
  const int k = -8 + t % 11;
  const auto o = static_cast<std::int64_t>(std::floor(ud(rng) * -static_cast<double>(bins)));
  h.edges.resize(bins + 1);
  for (std::size_t j = 0; j <= bins; ++j) h.edges[j] = std::ldexp(static_cast<double>(o + static_cast<std::int64_t>(j)), k);
  if (t % 5 == 4) {  // irregular (still ascending) edges
    for (std::size_t j = 1; j <= bins; ++j) h.edges[j] = h.edges[j - 1] + std::ldexp(0.25 + ud(rng), k);
  }
  h.counts.assign(bins, 0.0);
  for (std::size_t j = 0; j < bins; ++j) {
    const double z = (static_cast<double>(j) - static_cast<double>(bins) * 0.5) / (static_cast<double>(bins) * 0.15 + 1.0);
    switch (t % 4) {
      case 0: h.counts[j] = std::floor(1000.0 * std::exp(-0.5 * z * z)); break;
      case 1: h.counts[j] = small(rng) < 34 ? 0.0 : 1.0; break;  // sparse: mostly empty, singletons
      case 2: h.counts[j] = std::floor(50.0 * std::exp(-std::fabs(z))) + (j % 7 == 0 ? 3.0 : 0.0); break;
      default: h.counts[j] = static_cast<double>(small(rng)); break;
    }
  }
  h.counts[0] = std::max(h.counts[0], 1.0);
  h.counts[bins - 1] = std::max(h.counts[bins - 1], 1.0);
  const double w0 = h.edges[1] - h.edges[0], w1 = h.edges[bins] - h.edges[bins - 1];
  h.dmin = static_cast<float>(h.edges[0] + w0 * ud(rng) * 0.99);
  h.dmax = static_cast<float>(h.edges[bins - 1] + w1 * ud(rng) * 0.99);
  if (h.dmax < h.dmin) h.dmax = h.dmin;
  return h;
}

qlin::qparams_options options(int o) {
  qlin::qparams_options opt;
  opt.type = o % 2 == 0 ? qlin::dtype::uint8 : qlin::dtype::int8;
  opt.scheme = o < 2 ? qlin::qscheme::affine : qlin::qscheme::symmetric;
  return opt;
}

// The coordinate descent of mse_search with every candidate evaluated in full by `err_of`.
template <class F>
clip_range exhaustive(const hist& h, const qlin::qparams_options& opt, const clip_range* start, F err_of) {
  auto eval = [&](float lo, float hi, double& err) {
    const auto p = qlin::choose_qparams(lo, hi, opt);
    if (!p) return false;
    err = err_of(*p);
    return std::isfinite(err);
  };
  std::vector<float> cand{h.dmin, h.dmax};
  for (double e : h.edges)
    if (static_cast<float>(e) >= h.dmin && static_cast<float>(e) <= h.dmax) cand.push_back(static_cast<float>(e));
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  clip_range best{h.dmin, h.dmax};
  double best_err = 0.0;
  REQUIRE(eval(h.dmin, h.dmax, best_err));
  if (opt.scheme == qlin::qscheme::symmetric) {
    const float amax_all = std::max(-h.dmin, h.dmax);
    best = clip_range{-amax_all, amax_all};
    std::vector<float> amaxes;
    for (float c : cand)
      if (std::fabs(c) <= amax_all) amaxes.push_back(std::fabs(c));
    if (start != nullptr) amaxes.push_back(std::max(-start->min, start->max));
    for (float a : amaxes) {
      double e;
      if (eval(-a, a, e) && e < best_err) {
        best_err = e;
        best = clip_range{-a, a};
      }
    }
    return best;
  }
  auto descend = [&](clip_range r, double err) {
    for (int sweep = 0; sweep < 16; ++sweep) {
      bool moved = false;
      for (float lo : cand) {
        if (lo > r.max || lo > 0.0f) break;
        double e;
        if (lo != r.min && eval(lo, r.max, e) && e < err) {
          err = e;
          r.min = lo;
          moved = true;
        }
      }
      for (float hi : cand) {
        if (hi < r.min || hi < 0.0f) continue;
        double e;
        if (hi != r.max && eval(r.min, hi, e) && e < err) {
          err = e;
          r.max = hi;
          moved = true;
        }
      }
      if (!moved) break;
    }
    if (err < best_err) {
      best_err = err;
      best = r;
    }
  };
  descend(best, best_err);
  if (start != nullptr && start->min <= start->max) {
    const clip_range s0{std::max(start->min, h.dmin), std::min(start->max, h.dmax)};
    double e;
    if (s0.min <= s0.max && eval(s0.min, s0.max, e)) {
      if (e < best_err) {
        best_err = e;
        best = s0;
      }
      descend(s0, e);
    }
  }
  return best;
}

}  // namespace

namespace {

// The O(cells) table against the per-bin definition expected_sq_error on random histograms (with
// per-bin moments drawn from values when `moments`), and its abandonment at a bound.
void check_table_against_definition(std::mt19937& rng, bool moments, const char* label) {
  std::uniform_real_distribution<float> uf(0.0f, 1.0f);
  double worst = 0.0;
  int n = 0;
  for (int t = 0; t < 140; ++t) {
    hist h = random_hist(rng, t);
    if (moments) with_values(h, rng);
    const qlin::bin_moments mv = moments ? h.moments() : qlin::bin_moments{};
    const std::size_t bins = h.counts.size();
    const qlin::detail::sq_error_table table(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, mv);
    for (int o = 0; o < 4; ++o) {
      for (int r = 0; r < 12; ++r) {
        // ranges from tiny (many cells per bin) to wider than the data (clipping on neither side)
        const float span = h.dmax - h.dmin;
        const float lo = h.dmin + span * (r < 6 ? uf(rng) * 0.5f : -uf(rng));
        const float hi = h.dmax - span * (r < 6 ? uf(rng) * 0.5f : -uf(rng));
        const auto p = qlin::choose_qparams(std::min(lo, hi), std::max(lo, hi), options(o));
        if (!p) continue;
        const double want =
            qlin::detail::expected_sq_error(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, *p, mv);
        const double got = table.eval(*p);
        INFO("case " << t << " options " << o << " want " << want << " got " << got);
        REQUIRE(std::isfinite(want));
        const double rel = std::fabs(got - want) / std::max(want, 1e-300);
        CHECK((rel <= 1e-9 || std::fabs(got - want) <= 1e-12 * std::ldexp(1.0, 2 * (t % 11 - 8)) * 1e4));
        worst = std::max(worst, rel);
        // abandonment: below the bound the value is the full one; otherwise a value >= bound
        for (double f : {0.5, 0.999999, 1.0, 1.000001, 2.0}) {
          const double bound = want * f;
          const double e = table.eval(*p, bound);
          if (got < bound) {
            CHECK(e == got);
          } else {
            CHECK(e >= bound);
          }
        }
        ++n;
      }
    }
  }
  CHECK(n > 4000);
  WARN(label << "sq_error_table vs expected_sq_error: worst relative difference " << worst << " over " << n
             << " evaluations");
}

}  // namespace

TEST_CASE("mse model: the O(cells) table equals the per-bin definition", "[observers][histogram][mse]") {
  std::mt19937 rng(5);
  check_table_against_definition(rng, false, "");
}

TEST_CASE("mse model: observed ends are point masses", "[observers][histogram][mse]") {
  qlin::qparams_options opt;
  opt.type = qlin::dtype::uint8;
  const auto p = qlin::choose_qparams(-1.0f, 1.0f, opt);
  REQUIRE(p.has_value());
  const qlin::detail::sq_error_model m(*p, -0.3, 0.7);
  // One bin [-0.5, 1) holding exactly two values: they are the observed ends.
  {
    const std::vector<double> c{2.0}, e{-0.5, 1.0};
    const double got = qlin::detail::expected_sq_error(c.data(), e.data(), 1, -0.3, 0.7, *p);
    CHECK(got == m.point(-0.3) + m.point(0.7));
    const qlin::detail::sq_error_table t(c.data(), e.data(), 1, -0.3, 0.7);
    CHECK(t.eval(*p) == got);
  }
  // Three bins: 1 value at dmin, 5 uniform in the middle bin, 3 in the last (1 at dmax, 2 uniform
  // over [0.5, 0.7]).
  {
    const std::vector<double> c{1.0, 5.0, 3.0}, e{-0.5, 0.0, 0.5, 1.0};
    const double got = qlin::detail::expected_sq_error(c.data(), e.data(), 3, -0.3, 0.7, *p);
    const double want = m.point(-0.3) + m.term(5.0, 0.0, 0.5) + m.point(0.7) + m.term(2.0, 0.5, 1.0);
    CHECK(got == want);
    CHECK(m.term(2.0, 0.5, 1.0) > 0.0);
    // the uniform part: 2 * mean of (x - fq(x))^2 over [0.5, 0.7], by a fine midpoint rule
    double acc = 0.0;
    const int steps = 200000;
    for (int i = 0; i < steps; ++i) acc += m.point(0.5 + 0.2 * (i + 0.5) / steps);
    CHECK(std::fabs(m.term(2.0, 0.5, 1.0) - 2.0 * acc / steps) <= 1e-6 * m.term(2.0, 0.5, 1.0));
  }
  // A constant: everything at the one observed value.
  {
    const std::vector<double> c{7.0, 0.0}, e{0.25, 0.5, 0.75};
    CHECK(qlin::detail::expected_sq_error(c.data(), e.data(), 2, 0.3, 0.3, *p) == 7.0 * m.point(0.3));
  }
}

TEST_CASE("mse search: the pruned search equals the exhaustive descent", "[observers][histogram][mse]") {
  std::mt19937 rng(29);
  int cases = 0, same_range = 0;
  double worst = 0.0;
  for (int t = 0; t < 70; ++t) {
    const hist h = random_hist(rng, t);
    const std::size_t bins = h.counts.size();
    const qlin::detail::sq_error_table table(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax);
    for (int o = 0; o < 4; ++o) {
      const qlin::qparams_options opt = options(o);
      const clip_range start{h.dmin * 0.7f, h.dmax * 0.8f};
      for (const clip_range* st : {static_cast<const clip_range*>(nullptr), &start}) {
        INFO("case " << t << " options " << o << " start " << (st != nullptr));
        const auto got = qlin::mse_search(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, opt, st);
        if (!qlin::choose_qparams(h.dmin, h.dmax, opt)) {
          CHECK(!got.has_value());
          continue;
        }
        REQUIRE(got.has_value());
        // Pruning (abandoned evaluations) never changes the result: bit-identical to the same
        // descent with every candidate evaluated in full by the same table.
        const clip_range full = exhaustive(h, opt, st, [&](const qlin::quant_params& p) { return table.eval(p); });
        CHECK(bits(full.min) == bits(got->min));
        CHECK(bits(full.max) == bits(got->max));
        // Against the per-bin definition the descent may resolve a near-tie differently (the two
        // sums differ by rounding); the chosen errors agree to 1e-9.
        auto plain = [&](const qlin::quant_params& p) {
          return qlin::detail::expected_sq_error(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, p);
        };
        const clip_range ref = exhaustive(h, opt, st, plain);
        const double e_ref = plain(*qlin::choose_qparams(ref.min, ref.max, opt));
        const double e_got = plain(*qlin::choose_qparams(got->min, got->max, opt));
        const double rel = (e_got - e_ref) / std::max(e_ref, 1e-300);
        CHECK(rel <= 1e-9);
        worst = std::max(worst, rel);
        same_range += bits(ref.min) == bits(got->min) && bits(ref.max) == bits(got->max);
        ++cases;
      }
    }
  }
  CHECK(cases > 400);
  WARN("mse search: " << same_range << " of " << cases << " ranges identical to the per-bin descent; worst relative error excess "
                      << worst);
}

TEST_CASE("mse search on observers: adversarial data", "[observers][histogram][mse]") {
  std::mt19937 rng(17);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int kind = 0; kind < 5; ++kind) {
    std::vector<float> x(5000);
    for (auto& v : x) {
      const float z = nd(rng);
      switch (kind) {
        case 0: v = z; break;
        case 1: v = std::ldexp(std::round(z * 64.0f), -6); break;  // on dyadic edges
        case 2: v = z * std::numeric_limits<float>::denorm_min() * 1000.0f; break;
        case 3: v = z * 1e37f; break;
        default: v = z * z * z * z * z; break;  // heavy tails
      }
    }
    x[7] = std::numeric_limits<float>::quiet_NaN();
    for (int o = 0; o < 8; ++o) {  // o >= 4: the same with per-bin moments
      const bool track = o >= 4;
      qlin::histogram_observer h(512, track ? qlin::track_moments::yes : qlin::track_moments::no);
      h.observe(x.data(), x.size());
      INFO("kind " << kind << " options " << o);
      const qlin::qparams_options opt = options(o % 4);
      const auto r = h.select_range(qlin::histogram_method::mse, opt);
      const auto full = qlin::choose_qparams(h.min(), h.max(), opt);
      if (!full) {
        CHECK(!r.has_value());
        continue;
      }
      REQUIRE(r.has_value());
      CHECK(r->min <= r->max);
      CHECK(std::isfinite(r->min));
      CHECK(std::isfinite(r->max));
      // The chosen range's modelled error is never above the full range's or torch's L2 choice's.
      const std::size_t last = static_cast<std::size_t>(qlin::detail::grid_index(h.max(), h.exponent()) - h.origin());
      const std::vector<double> e = h.edges();
      std::vector<double> c(last + 1);
      for (std::size_t j = 0; j <= last; ++j) c[j] = static_cast<double>(h.counts()[j]);
      const qlin::bin_moments mv = track ? qlin::bin_moments{h.sum1().data(), h.sum2().data()} : qlin::bin_moments{};
      const qlin::detail::sq_error_table table(c.data(), e.data(), last + 1, h.min(), h.max(), mv);
      const double ours = table.eval(*qlin::choose_qparams(r->min, r->max, opt));
      CHECK(ours <= table.eval(*full));
      const auto l2 = h.select_range(qlin::histogram_method::histogram, opt);
      REQUIRE(l2.has_value());
      const auto pl2 = opt.scheme == qlin::qscheme::symmetric
                           ? qlin::choose_qparams(-std::max(-l2->min, l2->max), std::max(-l2->min, l2->max), opt)
                           : qlin::choose_qparams(l2->min, l2->max, opt);
      if (pl2) CHECK(ours <= table.eval(*pl2));
    }
  }
}

TEST_CASE("mse model with moments: the O(cells) table equals the per-bin definition",
          "[observers][histogram][mse][moments]") {
  std::mt19937 rng(41);
  check_table_against_definition(rng, true, "with moments: ");
}

TEST_CASE("mse model with moments: exact where the values are determined", "[observers][histogram][mse][moments]") {
  // The true error of the drawn values: sum over them of (x - fq(x))^2 in double.
  std::mt19937 rng(43);
  std::uniform_real_distribution<float> uf(0.0f, 1.0f);
  int exact_cases = 0, one_cell = 0;
  for (int t = 0; t < 140; ++t) {
    hist h = random_hist(rng, t);
    // At most 2 values per bin: every bin's values are determined by count, mean and variance.
    for (auto& c : h.counts) c = std::min(c, 2.0);
    with_values(h, rng);
    const std::size_t bins = h.counts.size();
    for (int o = 0; o < 4; ++o) {
      const float span = h.dmax - h.dmin;
      const auto p = qlin::choose_qparams(h.dmin + span * 0.2f * uf(rng), h.dmax - span * 0.2f * uf(rng), options(o));
      if (!p) continue;
      const qlin::detail::sq_error_model m(*p, h.dmin, h.dmax);
      double truth = 0.0;
      for (float x : h.values) truth += m.point(static_cast<double>(x));
      const double model =
          qlin::detail::expected_sq_error(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, *p, h.moments());
      INFO("case " << t << " options " << o << " truth " << truth << " model " << model);
      // Two values are recovered as mu -+ sigma (sqrt of a difference): rounding, not modelling.
      CHECK(std::fabs(model - truth) <= 1e-6 * truth + 1e-300);
      ++exact_cases;
    }
  }
  CHECK(exact_cases > 400);
  // Any count: a bin inside one quantization cell is exact (here: one bin, many values).
  qlin::qparams_options opt;
  opt.type = qlin::dtype::uint8;
  const auto p = qlin::choose_qparams(-1.0f, 1.0f, opt);
  REQUIRE(p.has_value());
  const qlin::detail::sq_error_model m(*p, 0.25, 0.2578125);
  for (int rep = 0; rep < 20; ++rep) {
    const double lo = 0.25, w = 0.0078125 / 8.0;  // well inside one cell of width 2/255
    hist h;
    h.edges = {lo, lo + w, lo + 2.0 * w};
    h.counts = {0.0, 0.0};
    h.dmin = static_cast<float>(lo);
    h.dmax = static_cast<float>(lo + 1.5 * w);
    const int cnt = 3 + rep;
    h.counts[0] = cnt - 1;
    h.counts[1] = 1;
    with_values(h, rng);
    double truth = 0.0;
    for (float x : h.values) truth += m.point(static_cast<double>(x));
    const double model =
        qlin::detail::expected_sq_error(h.counts.data(), h.edges.data(), 2, h.dmin, h.dmax, *p, h.moments());
    CHECK(std::fabs(model - truth) <= 1e-9 * truth);
    // ... while the uniform model of the counts is not.
    const double uniform = qlin::detail::expected_sq_error(h.counts.data(), h.edges.data(), 2, h.dmin, h.dmax, *p);
    one_cell += std::fabs(uniform - truth) > 1e-6 * truth;
  }
  CHECK(one_cell > 10);
}

TEST_CASE("mse search with moments: the pruned search equals the exhaustive descent",
          "[observers][histogram][mse][moments]") {
  std::mt19937 rng(31);
  int cases = 0;
  for (int t = 0; t < 70; ++t) {
    hist h = random_hist(rng, t);
    with_values(h, rng);
    const std::size_t bins = h.counts.size();
    const qlin::detail::sq_error_table table(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, h.moments());
    for (int o = 0; o < 4; ++o) {
      const qlin::qparams_options opt = options(o);
      const clip_range start{h.dmin * 0.7f, h.dmax * 0.8f};
      for (const clip_range* st : {static_cast<const clip_range*>(nullptr), &start}) {
        INFO("case " << t << " options " << o << " start " << (st != nullptr));
        const auto got = qlin::mse_search(h.counts.data(), h.edges.data(), bins, h.dmin, h.dmax, opt, st, h.moments());
        if (!qlin::choose_qparams(h.dmin, h.dmax, opt)) {
          CHECK(!got.has_value());
          continue;
        }
        REQUIRE(got.has_value());
        const clip_range full = exhaustive(h, opt, st, [&](const qlin::quant_params& p) { return table.eval(p); });
        CHECK(bits(full.min) == bits(got->min));
        CHECK(bits(full.max) == bits(got->max));
        // Its modelled error is never above the full range's.
        const double e_got = table.eval(*qlin::choose_qparams(got->min, got->max, opt));
        CHECK(e_got <= table.eval(*qlin::choose_qparams(h.dmin, h.dmax, opt)));
        ++cases;
      }
    }
  }
  CHECK(cases > 400);
}
