// Tests for qlin/observers/histogram.hpp against torch 1.13's HistogramObserver and TensorRT's
// HistogramCalibrator (tests/data/gen_torch_histogram.py), plus merge / serialize / edge cases.
#include <qlin/observers/histogram.hpp>
#include <qlin/quantize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "qlin_catch.hpp"
#include "test_data.hpp"

namespace {

using qlin_test::f32_bits;
using qlin_test::f32_from_hex;

struct torch_data {
  std::map<std::string, std::vector<std::vector<float>>> sets;
  std::vector<qlin_test::row> cases, expects, hists;
};

const torch_data& load_torch() {
  static const torch_data d = [] {
    torch_data t;
    const auto rows = qlin_test::read_rows("observers_hist_torch.txt");
    std::string cur;
    for (const auto& r : rows) {
      if (r[0] == "data") {
        cur = r[1];
        t.sets[cur];
      } else if (r[0] == "batch") {
        std::vector<float> b;
        for (std::size_t i = 2; i < r.size(); ++i) b.push_back(f32_from_hex(r[i]));
        t.sets[cur].push_back(b);
      } else if (r[0] == "hobs") {
        t.cases.push_back(r);
      } else if (r[0] == "expect") {
        t.expects.push_back(r);
      } else if (r[0] == "hist") {
        t.hists.push_back(r);
      }
    }
    return t;
  }();
  return d;
}

qlin::qparams_options opts(const std::string& dt, const std::string& sc) {
  qlin::qparams_options o;
  o.type = dt == "int8" ? qlin::dtype::int8 : qlin::dtype::uint8;
  o.scheme = sc == "symmetric" ? qlin::qscheme::symmetric : qlin::qscheme::affine;
  return o;
}

double quant_mse(const std::vector<std::vector<float>>& batches, const qlin::quant_params& p) {
  double s = 0.0;
  std::size_t n = 0;
  for (const auto& b : batches) {
    std::vector<float> r(b.size());
    if (p.qmin < 0) {
      std::vector<std::int8_t> q(b.size());
      qlin::quantize(b.data(), b.size(), q.data(), p);
      qlin::dequantize(q.data(), q.size(), r.data(), p);
    } else {
      std::vector<std::uint8_t> q(b.size());
      qlin::quantize(b.data(), b.size(), q.data(), p);
      qlin::dequantize(q.data(), q.size(), r.data(), p);
    }
    for (std::size_t i = 0; i < b.size(); ++i) {
      const double d = static_cast<double>(r[i]) - static_cast<double>(b[i]);
      s += d * d;
    }
    n += b.size();
  }
  return s / static_cast<double>(n);
}

}  // namespace

TEST_CASE("torch_histogram_observer reproduces torch 1.13 HistogramObserver", "[observers][histogram][torch]") {
  const torch_data& d = load_torch();
  REQUIRE(d.cases.size() >= 20);
  REQUIRE(d.cases.size() == d.expects.size());
  int state_ok = 0, range_ok = 0, qparams_ok = 0;
  for (std::size_t c = 0; c < d.cases.size(); ++c) {
    const auto& cs = d.cases[c];
    const auto& ex = d.expects[c];
    INFO("case " << cs[1]);
    qlin::torch_histogram_observer o;
    for (const auto& b : d.sets.at(cs[2])) REQUIRE(o.observe(b.data(), b.size()).has_value());
    std::vector<float> want(2048, 0.0f);
    const auto& h = d.hists[c];
    for (std::size_t i = 3; i < h.size(); ++i) {
      const auto colon = h[i].find(':');
      want[std::stoul(h[i].substr(0, colon))] = f32_from_hex(h[i].substr(colon + 1));
    }
    bool hist_same = true;
    for (std::size_t j = 0; j < 2048; ++j) hist_same &= f32_bits(o.histogram()[j]) == f32_bits(want[j]);
    const bool st = f32_bits(o.min()) == f32_bits(f32_from_hex(ex[1])) && f32_bits(o.max()) == f32_bits(f32_from_hex(ex[2])) && hist_same;
    CHECK(st);
    state_ok += st;
    const auto r = o.select_range(qlin::histogram_method::histogram);
    REQUIRE(r.has_value());
    const bool rg = f32_bits(r->min) == f32_bits(f32_from_hex(ex[3])) && f32_bits(r->max) == f32_bits(f32_from_hex(ex[4]));
    CHECK(rg);
    range_ok += rg;
    const auto p = o.calculate_qparams(opts(cs[3], cs[4]));
    REQUIRE(p.has_value());
    const bool qp = f32_bits(p->scale) == f32_bits(f32_from_hex(ex[5])) && p->zero_point == qlin_test::to_i32(ex[6]);
    CHECK(qp);
    qparams_ok += qp;
  }
  WARN("torch 1.13 agreement: state " << state_ok << ", search range " << range_ok << ", scale/zp " << qparams_ok << " of "
                                      << d.cases.size());
}

TEST_CASE("mse search is at least as good as torch's HistogramObserver", "[observers][histogram][mse]") {
  const torch_data& d = load_torch();
  REQUIRE(!d.cases.empty());
  int strict = 0, strict_plain = 0, total = 0;
  for (std::size_t c = 0; c < d.cases.size(); ++c) {
    const auto& cs = d.cases[c];
    const auto& ex = d.expects[c];
    INFO("case " << cs[1]);
    const auto& batches = d.sets.at(cs[2]);
    const qlin::qparams_options o = opts(cs[3], cs[4]);
    const qlin::result<qlin::qrange> qr = qlin::make_qrange(o.type, o.range);
    REQUIRE(qr.has_value());
    const qlin::quant_params torch_p{f32_from_hex(ex[5]), qlin_test::to_i32(ex[6]), qr->qmin, qr->qmax};
    // With per-bin moments (the mse observer of the CLI and the examples) and without.
    qlin::histogram_observer hm(qlin::histogram_observer::default_bins, qlin::track_moments::yes);
    qlin::histogram_observer h;
    for (const auto& b : batches) {
      hm.observe(b.data(), b.size());
      h.observe(b.data(), b.size());
    }
    REQUIRE(hm.counts() == h.counts());
    const auto pm = hm.calculate_qparams(qlin::histogram_method::mse, o);
    const auto p = h.calculate_qparams(qlin::histogram_method::mse, o);
    REQUIRE(pm.has_value());
    REQUIRE(p.has_value());
    const double ours = quant_mse(batches, *pm), plain = quant_mse(batches, *p), theirs = quant_mse(batches, torch_p);
    INFO("mse qlin (moments) " << ours << " qlin (counts only) " << plain << " torch " << theirs);
    // Under the model each search minimizes, its choice never loses to torch's parameters.
    const std::size_t last = static_cast<std::size_t>(qlin::detail::grid_index(h.max(), h.exponent()) - h.origin());
    const std::vector<double> e = h.edges();
    std::vector<double> cnt(last + 1);
    for (std::size_t j = 0; j <= last; ++j) cnt[j] = static_cast<double>(h.counts()[j]);
    const qlin::bin_moments mv{hm.sum1().data(), hm.sum2().data()};
    CHECK(qlin::detail::expected_sq_error(cnt.data(), e.data(), last + 1, h.min(), h.max(), *p) <=
          qlin::detail::expected_sq_error(cnt.data(), e.data(), last + 1, h.min(), h.max(), torch_p));
    const double mm_ours = qlin::detail::expected_sq_error(cnt.data(), e.data(), last + 1, h.min(), h.max(), *pm, mv);
    const double mm_theirs =
        qlin::detail::expected_sq_error(cnt.data(), e.data(), last + 1, h.min(), h.max(), torch_p, mv);
    CHECK(mm_ours <= mm_theirs);
    // On the real data, with moments: never worse, on every case, no tolerance.
    CHECK(ours <= theirs);
    strict += ours <= theirs;
    strict_plain += plain <= theirs;
    ++total;
    // (The torch113 observer's histogram drops values outside the int()-truncated range, so an
    // mse search on it cannot see them; it is not compared here.)
  }
  WARN("mse search: quantization MSE <= torch's on " << strict << " of " << total << " cases with moments, "
                                                     << strict_plain << " without");
}

TEST_CASE("abs_histogram_observer reproduces TensorRT's collect, entropy and percentile", "[observers][histogram][entropy]") {
  const torch_data& d = load_torch();
  const auto rows = qlin_test::read_rows("observers_hist_trt.txt");
  REQUIRE(rows.size() >= 6 * 6);
  int exact_amax = 0, cases = 0;
  long exact_edges = 0, all_edges = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i][0] != "trt") continue;
    ++cases;
    INFO("case " << rows[i][1]);
    qlin::abs_histogram_observer a(2048);
    for (const auto& b : d.sets.at(rows[i][2])) a.observe(b.data(), b.size());
    const auto& cr = rows[i + 1];
    const auto& er = rows[i + 2];
    std::vector<std::uint64_t> want(a.counts().size(), 0);
    for (std::size_t k = 2; k < cr.size(); ++k) {
      const auto colon = cr[k].find(':');
      const auto idx = std::stoul(cr[k].substr(0, colon));
      REQUIRE(idx < want.size());
      want[idx] = std::stoull(cr[k].substr(colon + 1));
    }
    CHECK(a.counts() == want);
    const auto ne = static_cast<std::size_t>(std::stoul(er[1]));
    REQUIRE(a.edges().size() >= ne);
    // Edges: bit-exact, except after growth, where the last (len % 8) arange values can differ by
    // one ulp (torch's scalar tail of arange is not reproduced; see histogram.hpp).
    bool edges_close = true;
    for (std::size_t k = 0; k < ne; ++k) {
      const float w = f32_from_hex(er[2 + k]);
      const float g = a.edges()[k];
      edges_close &= g == w || std::nextafter(g, w) == w;
      exact_edges += f32_bits(g) == f32_bits(w);
      all_edges += 1;
    }
    CHECK(edges_close);
    const float want_amax = f32_from_hex(rows[i + 3][1]);
    const auto amax = a.entropy_amax();
    REQUIRE(amax.has_value());
    const float width = a.edges()[1] - a.edges()[0];
    CHECK(std::fabs(*amax - want_amax) <= width * 1.0001f);
    exact_amax += *amax == want_amax;
    for (std::size_t k = i + 4; k < rows.size() && rows[k][0] == "pct"; ++k) {
      const auto pa = a.percentile_amax(std::stod(rows[k][1]));
      REQUIRE(pa.has_value());
      CHECK(f32_bits(*pa) == f32_bits(f32_from_hex(rows[k][2])));
    }
  }
  WARN("TensorRT entropy amax: " << exact_amax << " of " << cases << " bit-exact (all within one bin); edges "
                                  << exact_edges << " of " << all_edges << " bit-exact");
}

TEST_CASE("histogram_observer: shards merged in any order equal one pass", "[observers][histogram][merge]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<std::vector<float>> shards;
  for (int s = 0; s < 6; ++s) {
    std::vector<float> v(500 + 37 * static_cast<std::size_t>(s));
    for (auto& x : v) x = nd(rng) * static_cast<float>(1 + s * s) + static_cast<float>(s);
    if (s == 3) v[5] = std::numeric_limits<float>::quiet_NaN();
    shards.push_back(v);
  }
  qlin::histogram_observer one(512);
  for (const auto& v : shards) one.observe(v.data(), v.size());
  qlin::histogram_observer a(512), b(512), c(512);
  for (std::size_t s = 0; s < shards.size(); ++s) (s % 3 == 0 ? a : s % 3 == 1 ? b : c).observe(shards[s].data(), shards[s].size());
  qlin::histogram_observer m1 = c;
  REQUIRE(m1.merge(a).has_value());
  REQUIRE(m1.merge(b).has_value());
  qlin::histogram_observer m2 = b;
  REQUIRE(m2.merge(c).has_value());
  REQUIRE(m2.merge(a).has_value());
  for (const auto* m : {&m1, &m2}) {
    CHECK(m->counts() == one.counts());
    CHECK(m->exponent() == one.exponent());
    CHECK(m->origin() == one.origin());
    CHECK(m->min() == one.min());
    CHECK(m->max() == one.max());
    CHECK(m->finite_count() == one.finite_count());
    CHECK(m->nonfinite_count() == 1);
  }
  qlin::histogram_observer other(256);
  CHECK(m1.merge(other).code() == qlin::errc::invalid_argument);
  // Reversed batch order gives the same state too.
  qlin::histogram_observer rev(512);
  for (std::size_t s = shards.size(); s-- > 0;) rev.observe(shards[s].data(), shards[s].size());
  CHECK(rev.counts() == one.counts());
  // The abs histogram with a fixed range: shards add exactly.
  qlin::abs_histogram_observer fa(1024, 20.0f), fb(1024, 20.0f), fone(1024, 20.0f);
  for (std::size_t s = 0; s < shards.size(); ++s) {
    (s % 2 ? fa : fb).observe(shards[s].data(), shards[s].size());
    fone.observe(shards[s].data(), shards[s].size());
  }
  REQUIRE(fa.merge(fb).has_value());
  CHECK(fa.counts() == fone.counts());
  CHECK(fa.edges() == fone.edges());
  // The growing abs histogram: shards that grow alike are exact too.
  qlin::abs_histogram_observer ga(2048), gb(2048), gone(2048);
  ga.observe(shards[0].data(), shards[0].size());
  gb.observe(shards[0].data(), shards[0].size());
  gone.observe(shards[0].data(), shards[0].size());
  gone.observe(shards[0].data(), shards[0].size());
  REQUIRE(ga.merge(gb).has_value());
  CHECK(ga.counts() == gone.counts());
}

TEST_CASE("histogram observers: serialize round trip and corruption", "[observers][histogram][serialize]") {
  std::vector<float> v = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f, 7.25f, std::numeric_limits<float>::infinity()};
  qlin::histogram_observer h(64);
  h.observe(v.data(), v.size());
  qlin::torch_histogram_observer t(64, 8);
  REQUIRE(t.observe(v.data(), v.size()).has_value());
  qlin::abs_histogram_observer a(64);
  a.observe(v.data(), v.size());
  const auto hb = h.serialize(), tb = t.serialize(), ab = a.serialize();
  const auto h2 = qlin::histogram_observer::deserialize(hb);
  REQUIRE(h2.has_value());
  CHECK(h2->counts() == h.counts());
  CHECK(h2->serialize() == hb);
  const auto t2 = qlin::torch_histogram_observer::deserialize(tb);
  REQUIRE(t2.has_value());
  CHECK(t2->serialize() == tb);
  const auto a2 = qlin::abs_histogram_observer::deserialize(ab);
  REQUIRE(a2.has_value());
  CHECK(a2->serialize() == ab);
  // Empty observers round-trip.
  CHECK(qlin::histogram_observer::deserialize(qlin::histogram_observer(16).serialize()).has_value());
  CHECK(qlin::torch_histogram_observer::deserialize(qlin::torch_histogram_observer(16).serialize()).has_value());
  CHECK(qlin::abs_histogram_observer::deserialize(qlin::abs_histogram_observer(16).serialize()).has_value());
  // Every truncation, a trailing byte, the wrong flavour, and single-byte flips of the state.
  for (const auto* bytes : {&hb, &tb, &ab}) {
    for (std::size_t n = 0; n < bytes->size(); ++n) {
      CHECK(qlin::histogram_observer::deserialize(bytes->data(), n).code() == qlin::errc::corrupt_data);
      CHECK(qlin::torch_histogram_observer::deserialize(bytes->data(), n).code() == qlin::errc::corrupt_data);
      CHECK(qlin::abs_histogram_observer::deserialize(bytes->data(), n).code() == qlin::errc::corrupt_data);
    }
    auto longer = *bytes;
    longer.push_back(0);
    CHECK(qlin::histogram_observer::deserialize(longer).code() == qlin::errc::corrupt_data);
    CHECK(qlin::torch_histogram_observer::deserialize(longer).code() == qlin::errc::corrupt_data);
    CHECK(qlin::abs_histogram_observer::deserialize(longer).code() == qlin::errc::corrupt_data);
  }
  CHECK(qlin::histogram_observer::deserialize(tb).code() == qlin::errc::corrupt_data);
  CHECK(qlin::torch_histogram_observer::deserialize(ab).code() == qlin::errc::corrupt_data);
  CHECK(qlin::abs_histogram_observer::deserialize(hb).code() == qlin::errc::corrupt_data);
  // Flip bytes of the exact histogram's state: a load either fails with corrupt_data or gives a
  // state that serializes back to the same bytes (never anything inconsistent).
  for (std::size_t i = 0; i < hb.size(); ++i) {
    auto bad = hb;
    bad[i] ^= 0x41;
    const auto r = qlin::histogram_observer::deserialize(bad);
    if (r) {
      CHECK(r->serialize() == bad);
    } else {
      CHECK(r.code() == qlin::errc::corrupt_data);
    }
  }
  auto badmin = hb;  // min > max
  badmin[8 + 1 + 4 + 4 + 8 + 3] = 0x7f;
  CHECK(qlin::histogram_observer::deserialize(badmin).code() == qlin::errc::corrupt_data);
}

TEST_CASE("histogram observers: adversarial inputs", "[observers][histogram][edge]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  using M = qlin::histogram_method;
  auto run = [](const std::vector<float>& v, M m, qlin::qscheme sc = qlin::qscheme::affine) {
    qlin::histogram_observer h;
    h.observe(v.data(), v.size());
    qlin::qparams_options o;
    o.type = qlin::dtype::uint8;
    o.scheme = sc;
    return h.select_range(m, o);
  };
  for (M m : {M::histogram, M::mse, M::percentile}) {
    INFO("method " << static_cast<int>(m));
    // Nothing finite.
    CHECK(run({}, m).code() == qlin::errc::no_finite_values);
    CHECK(run({nan, inf, -inf}, m).code() == qlin::errc::no_finite_values);
    // Constants and single elements stay inside the data.
    for (float c : {2.5f, -2.25f, 0.0f, 1e-30f, 3e38f, -3e38f}) {
      INFO("constant " << c);
      const auto r = run(std::vector<float>(17, c), m);
      REQUIRE(r.has_value());
      CHECK(r->min == c);
      CHECK(r->max == c);
      const auto r1 = run({c}, m);
      REQUIRE(r1.has_value());
      CHECK(r1->min <= r1->max);
    }
    // Mixed with NaN / Inf: the same as without them.
    std::vector<float> x;
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int i = 0; i < 2000; ++i) x.push_back(nd(rng));
    std::vector<float> y = x;
    y.insert(y.begin() + 7, nan);
    y.push_back(inf);
    y.push_back(-inf);
    const auto rx = run(x, m), ry = run(y, m);
    REQUIRE(rx.has_value());
    REQUIRE(ry.has_value());
    CHECK(rx->min == ry->min);
    CHECK(rx->max == ry->max);
    CHECK(rx->min >= -5.0f);
    // Positive-only, negative-only, tiny and huge ranges: finite, ordered, inside the data.
    for (float sc : {1e-20f, 1e-3f, 1.0f, 1e30f}) {
      for (float sign : {1.0f, -1.0f}) {
        std::vector<float> z;
        for (float v : x) z.push_back(sign * std::fabs(v) * sc + sign * sc);
        const auto r = run(z, m);
        REQUIRE(r.has_value());
        CHECK(std::isfinite(r->min));
        CHECK(r->min <= r->max);
        const auto p = qlin::choose_qparams(r->min, r->max, {});
        CHECK(p.has_value());
      }
    }
    const auto rs = run(x, m, qlin::qscheme::symmetric);
    REQUIRE(rs.has_value());
    if (m == M::mse) CHECK(rs->min == -rs->max);
  }
  // The torch113 observer: constants and a batch after a constant (which discards, as torch does).
  qlin::torch_histogram_observer t;
  std::vector<float> c(10, 2.5f);
  REQUIRE(t.observe(c.data(), c.size()).has_value());
  CHECK(t.select_range().has_value());
  std::vector<float> none = {nan};
  REQUIRE(t.observe(none.data(), 1).has_value());
  CHECK(t.nonfinite_count() == 1);
  CHECK(qlin::torch_histogram_observer().select_range().code() == qlin::errc::no_finite_values);
  // Zero bin width where torch would divide by zero.
  qlin::torch_histogram_observer tz(16, 4);
  std::vector<float> tiny = {1.0f, std::nextafter(1.0f, 2.0f)};
  REQUIRE(tz.observe(tiny.data(), 2).has_value());
  std::vector<float> far = {1e30f};
  CHECK(tz.observe(far.data(), 1).code() == qlin::errc::unsupported);
  // The abs histogram: all zeros, then data.
  qlin::abs_histogram_observer a(256);
  std::vector<float> zeros(9, 0.0f);
  a.observe(zeros.data(), zeros.size());
  const auto z0 = a.entropy_amax();
  REQUIRE(z0.has_value());
  CHECK(*z0 == 0.0f);
  a.observe(c.data(), c.size());
  CHECK(a.finite_count() == 19);
  CHECK(a.counts()[0] == 9);
  CHECK(qlin::abs_histogram_observer().entropy_amax().code() == qlin::errc::no_finite_values);
  CHECK(qlin::histogram_observer::make(1).code() == qlin::errc::invalid_argument);
}

namespace {

// The moments of `data` on the observer's final grid, recomputed from the values in one pass.
void direct_moments(const qlin::histogram_observer& h, const std::vector<float>& data, std::vector<double>& s1,
                    std::vector<double>& s2) {
  s1.assign(h.bins(), 0.0);
  s2.assign(h.bins(), 0.0);
  const std::vector<double> e = h.edges();
  for (float x : data) {
    if (!std::isfinite(x)) continue;
    const auto j = static_cast<std::size_t>(qlin::detail::grid_index(x, h.exponent()) - h.origin());
    REQUIRE(j < h.bins());
    REQUIRE(static_cast<double>(x) >= e[j]);
    REQUIRE(static_cast<double>(x) < e[j + 1]);
    const double d = static_cast<double>(x) - e[j];
    s1[j] += d;
    s2[j] += d * d;
  }
}

// Moments equal up to double rounding: per bin within 1e-12 of the scale n w (n w^2).
void check_moments_close(const qlin::histogram_observer& h, const std::vector<double>& s1,
                         const std::vector<double>& s2) {
  REQUIRE(h.sum1().size() == s1.size());
  const double w = std::ldexp(1.0, h.exponent());
  int bad = 0;
  for (std::size_t j = 0; j < s1.size(); ++j) {
    const auto n = static_cast<double>(h.counts()[j]);
    bad += !(std::fabs(h.sum1()[j] - s1[j]) <= 1e-12 * n * w);
    bad += !(std::fabs(h.sum2()[j] - s2[j]) <= 1e-12 * n * w * w);
    bad += n == 0.0 && (h.sum1()[j] != 0.0 || h.sum2()[j] != 0.0);
  }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("histogram_observer moments: a large batch collected in chunks whose range grows",
          "[observers][histogram][moments]") {
  // observe() cuts batches longer than observe_chunk into chunks and regrids between them (pending
  // sub-histogram counts flushed first); the moments must follow the counts through every regrid.
  std::mt19937 rng(91);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const std::size_t n = 3 * qlin::histogram_observer::observe_chunk + 517;
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = nd(rng) * (1.0f + static_cast<float>(i / 1000)) + 3.0f;
  x[7] = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t bins : {std::size_t{256}, std::size_t{2048}}) {
    qlin::histogram_observer plain(bins), with(bins, qlin::track_moments::yes);
    plain.observe(x.data(), n);
    with.observe(x.data(), n);
    CHECK(with.counts() == plain.counts());
    CHECK(with.exponent() == plain.exponent());
    CHECK(with.origin() == plain.origin());
    std::vector<double> s1, s2;
    direct_moments(with, x, s1, s2);
    check_moments_close(with, s1, s2);
  }
}

TEST_CASE("histogram_observer moments: one pass, growth, merge, reset", "[observers][histogram][moments]") {
  std::mt19937 rng(77);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  // Batches whose range grows (regrids of 1 to many levels), values on dyadic edges, NaN / Inf,
  // a constant batch and an empty one.
  std::vector<std::vector<float>> batches;
  for (int b = 0; b < 12; ++b) {
    std::vector<float> x(static_cast<std::size_t>(700 + 37 * b));
    const float scale = std::ldexp(1.0f, b - 4);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = nd(rng) * scale + (b % 3 == 2 ? 5.0f : 0.0f);
      if (i % 9 == 0) x[i] = std::ldexp(std::round(x[i] * 16.0f), -4);  // on an edge
    }
    x[3] = std::numeric_limits<float>::quiet_NaN();
    x[5] = -std::numeric_limits<float>::infinity();
    batches.push_back(x);
  }
  batches.push_back(std::vector<float>(33, 0.75f));
  batches.push_back({});
  std::vector<float> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());

  qlin::histogram_observer plain(512), one(512, qlin::track_moments::yes), inc(512, qlin::track_moments::yes);
  CHECK(!plain.tracks_moments());
  CHECK(plain.sum1().empty());
  CHECK(one.tracks_moments());
  plain.observe(all.data(), all.size());
  one.observe(all.data(), all.size());
  for (const auto& b : batches) inc.observe(b.data(), b.size());
  // The counts are those of the observer without moments, bit for bit.
  CHECK(one.counts() == plain.counts());
  CHECK(inc.counts() == plain.counts());
  CHECK(inc.nonfinite_count() == plain.nonfinite_count());
  std::vector<double> s1, s2;
  direct_moments(one, all, s1, s2);
  // One batch: the per-value terms are exact, the sums in the same order as the direct ones.
  CHECK(one.sum1() == s1);
  CHECK(one.sum2() == s2);
  check_moments_close(inc, s1, s2);  // after regrids: up to rounding

  // Shards merged in several orders.
  std::vector<qlin::histogram_observer> sh;
  for (std::size_t i = 0; i < 4; ++i) {
    sh.emplace_back(512, qlin::track_moments::yes);
    for (std::size_t b = i; b < batches.size(); b += 4) sh.back().observe(batches[b].data(), batches[b].size());
  }
  for (const std::vector<int>& order :
       {std::vector<int>{0, 1, 2, 3}, std::vector<int>{3, 1, 0, 2}, std::vector<int>{2, 3, 1, 0}}) {
    qlin::histogram_observer m(512, qlin::track_moments::yes);
    for (int i : order) REQUIRE(m.merge(sh[static_cast<std::size_t>(i)]).has_value());
    CHECK(m.counts() == plain.counts());
    check_moments_close(m, s1, s2);
    // The mse search on merged moments gives a valid range (equal to one pass except near-ties).
    const auto r = m.select_range(qlin::histogram_method::mse);
    REQUIRE(r.has_value());
    CHECK(r->min <= r->max);
  }
  // With and without moments do not merge; the state is left unchanged.
  const auto before = one.serialize();
  CHECK(one.merge(plain).code() == qlin::errc::invalid_argument);
  CHECK(plain.merge(one).code() == qlin::errc::invalid_argument);
  CHECK(one.serialize() == before);
  // reset() clears the moments and keeps tracking them.
  inc.reset();
  CHECK(inc.tracks_moments());
  CHECK(std::all_of(inc.sum1().begin(), inc.sum1().end(), [](double v) { return v == 0.0; }));
  CHECK(std::all_of(inc.sum2().begin(), inc.sum2().end(), [](double v) { return v == 0.0; }));
  inc.observe(all.data(), all.size());
  CHECK(inc.sum1() == s1);
  CHECK(qlin::histogram_observer::make(512, qlin::track_moments::yes)->tracks_moments());
}

TEST_CASE("histogram_observer moments: serialization (flavour 4)", "[observers][histogram][moments][serialize]") {
  std::vector<float> v = {-3.0f, -1.0f, 0.0f, 0.5f, 0.53f, 2.0f, 7.25f, std::numeric_limits<float>::infinity()};
  qlin::histogram_observer h(64, qlin::track_moments::yes), plain(64);
  h.observe(v.data(), v.size());
  plain.observe(v.data(), v.size());
  const auto hb = h.serialize(), pb = plain.serialize();
  REQUIRE(hb.size() == pb.size() + 64 * 16);
  CHECK(hb[8] == 4);
  CHECK(pb[8] == 0);
  const auto h2 = qlin::histogram_observer::deserialize(hb);
  REQUIRE(h2.has_value());
  CHECK(h2->tracks_moments());
  CHECK(h2->sum1() == h.sum1());
  CHECK(h2->sum2() == h.sum2());
  CHECK(h2->serialize() == hb);
  // Bytes without moments (flavour 0) still load, as an observer without moments.
  const auto p2 = qlin::histogram_observer::deserialize(pb);
  REQUIRE(p2.has_value());
  CHECK(!p2->tracks_moments());
  CHECK(p2->counts() == h.counts());
  // Empty round trip.
  const auto e =
      qlin::histogram_observer::deserialize(qlin::histogram_observer(16, qlin::track_moments::yes).serialize());
  REQUIRE(e.has_value());
  CHECK(e->tracks_moments());
  // Truncations, a trailing byte, a flavour-0 header on flavour-4 bytes (and back).
  for (std::size_t n = 0; n < hb.size(); ++n) {
    CHECK(qlin::histogram_observer::deserialize(hb.data(), n).code() == qlin::errc::corrupt_data);
  }
  auto longer = hb;
  longer.push_back(0);
  CHECK(qlin::histogram_observer::deserialize(longer).code() == qlin::errc::corrupt_data);
  auto relabel = hb;
  relabel[8] = 0;
  CHECK(qlin::histogram_observer::deserialize(relabel).code() == qlin::errc::corrupt_data);
  auto relabel0 = pb;
  relabel0[8] = 4;
  CHECK(qlin::histogram_observer::deserialize(relabel0).code() == qlin::errc::corrupt_data);
  // Inconsistent moments: negative, NaN, beyond n w, or nonzero in an empty bin.
  const std::size_t m1 = pb.size(), m2 = pb.size() + 64 * 8;
  std::size_t full = 0;
  while (h.counts()[full] == 0) ++full;
  std::size_t empty = 0;
  while (h.counts()[empty] != 0) ++empty;
  auto put = [&](std::size_t off, double x) {
    auto b = hb;
    std::memcpy(&b[off], &x, sizeof x);
    return qlin::histogram_observer::deserialize(b).code();
  };
  const double w = std::ldexp(1.0, h.exponent());
  CHECK(put(m1 + 8 * full, -1e-300) == qlin::errc::corrupt_data);
  CHECK(put(m2 + 8 * full, std::numeric_limits<double>::quiet_NaN()) == qlin::errc::corrupt_data);
  CHECK(put(m1 + 8 * full, static_cast<double>(h.counts()[full]) * w * 1.01) == qlin::errc::corrupt_data);
  CHECK(put(m2 + 8 * full, std::numeric_limits<double>::infinity()) == qlin::errc::corrupt_data);
  CHECK(put(m1 + 8 * empty, 1e-300) == qlin::errc::corrupt_data);
  CHECK(put(m1 + 8 * full, 0.0) == qlin::errc::ok);  // consistent bounds: it loads
  // Byte flips: corrupt_data, or a state that serializes back to the same bytes.
  for (std::size_t i = 0; i < hb.size(); ++i) {
    auto bad = hb;
    bad[i] ^= 0x41;
    const auto r = qlin::histogram_observer::deserialize(bad);
    if (r) {
      CHECK(r->serialize() == bad);
      CHECK(r->select_range(qlin::histogram_method::mse).has_value());
    } else {
      CHECK(r.code() == qlin::errc::corrupt_data);
    }
  }
}

TEST_CASE("histogram_observer moments: the AVX2 accumulation equals the per-value rule",
          "[observers][histogram][moments]") {
  // One batch, so the moments are the sums, in order, of the exact per-value terms: equal bit for
  // bit to the direct computation whichever path ran. Odd lengths (the scalar tail), misaligned
  // pointers, denormals, huge values, values on edges, NaN / Inf.
  std::mt19937 rng(91);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int kind = 0; kind < 5; ++kind) {
    for (std::size_t n :
         {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9}, std::size_t{17}, std::size_t{1001}}) {
      std::vector<float> buf(n + 1);
      for (auto& v : buf) {
        const float z = nd(rng);
        switch (kind) {
          case 0: v = z; break;
          case 1: v = z * std::numeric_limits<float>::denorm_min() * 64.0f; break;
          case 2: v = z * 3e37f; break;
          case 3: v = std::ldexp(std::round(z * 8.0f), -3); break;  // on edges
          default: v = z * z * z; break;
        }
      }
      if (n > 4) buf[3] = std::numeric_limits<float>::quiet_NaN();
      if (n > 6) buf[6] = std::numeric_limits<float>::infinity();
      const std::vector<float> x(buf.begin() + 1, buf.end());
      qlin::histogram_observer h(256, qlin::track_moments::yes), plain(256);
      h.observe(buf.data() + 1, n);  // misaligned by 4 bytes
      plain.observe(buf.data() + 1, n);
      INFO("kind " << kind << " n " << n);
      CHECK(h.counts() == plain.counts());
      if (!h.has_range()) continue;
      std::vector<double> s1, s2;
      direct_moments(h, x, s1, s2);
      CHECK(h.sum1() == s1);
      CHECK(h.sum2() == s2);
    }
  }
}
