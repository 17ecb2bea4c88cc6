// Tests for qlin/observers/onnxruntime.hpp and the ONNX Runtime functions of entropy.hpp against
// tests/data/observers_ort.txt (tests/data/gen_ort_calib.py: ONNX Runtime's HistogramCollector
// behaviour transcribed in numpy, run on the batches of observers_hist_torch.txt and a few more).
//
// Compared: the collected state bit for bit (number of bins, the float64 threshold, min, max, every
// count, every float32 edge where recorded); the entropy range to within one bin on each side
// (qlin sums the KL in double, scipy in float32, so a near-tie may pick a neighbouring candidate;
// the number of bit-exact ranges is reported); the percentile range bit for bit.
#include <qlin/observers/onnxruntime.hpp>

#include <cmath>
#include <cstdint>
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

std::map<std::string, std::vector<std::vector<float>>> load_sets() {
  std::map<std::string, std::vector<std::vector<float>>> sets;
  for (const char* file : {"observers_hist_torch.txt", "observers_ort.txt"}) {
    std::string cur;
    for (const auto& r : qlin_test::read_rows(file)) {
      if (r[0] == "data") {
        cur = r[1];
        sets[cur];
      } else if (r[0] == "batch") {
        std::vector<float> b;
        for (std::size_t i = 2; i < r.size(); ++i) b.push_back(f32_from_hex(r[i]));
        sets[cur].push_back(b);
      }
    }
  }
  return sets;
}

std::uint64_t f64_bits(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

}  // namespace

TEST_CASE("ort_histogram_observer reproduces ONNX Runtime's collect_value and merge_histogram", "[observers][ort]") {
  const auto sets = load_sets();
  const auto rows = qlin_test::read_rows("observers_ort.txt");
  int cases = 0, entropy_exact = 0, entropy_total = 0, pct_total = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i][0] != "ort") continue;
    ++cases;
    const auto& name = rows[i][1];
    INFO("case " << name);
    qlin::ort_histogram_observer o(std::stoul(rows[i][3]));
    for (const auto& b : sets.at(rows[i][2])) REQUIRE(o.observe(b.data(), b.size()).has_value());
    const auto& st = rows[i + 1];
    REQUIRE(st[0] == "state");
    CHECK(o.bins() == std::stoul(st[1]));
    CHECK(f64_bits(o.threshold()) == f64_bits(qlin_test::f64_from_hex(st[2])));
    CHECK(f32_bits(o.min()) == f32_bits(f32_from_hex(st[3])));
    CHECK(f32_bits(o.max()) == f32_bits(f32_from_hex(st[4])));
    const auto& cr = rows[i + 2];
    std::vector<std::uint64_t> want(std::stoul(st[1]), 0);
    for (std::size_t k = 2; k < cr.size(); ++k) {
      const auto colon = cr[k].find(':');
      const auto idx = std::stoul(cr[k].substr(0, colon));
      REQUIRE(idx < want.size());
      want[idx] = std::stoull(cr[k].substr(colon + 1));
    }
    CHECK(o.counts() == want);
    const auto& er = rows[i + 3];
    REQUIRE(er[0] == "edges");
    const std::vector<float> edges = o.edges();
    REQUIRE(edges.size() == o.bins() + 1);
    const std::size_t ne = std::stoul(er[1]);
    if (ne != 0) {
      REQUIRE(ne == edges.size());
      bool same = true;
      for (std::size_t k = 0; k < ne; ++k) same &= f32_bits(edges[k]) == f32_bits(f32_from_hex(er[2 + k]));
      CHECK(same);
    }
    const float width = edges[1] - edges[0];
    for (std::size_t k = i + 4; k < rows.size() && (rows[k][0] == "entropy" || rows[k][0] == "pct"); ++k) {
      const auto& r = rows[k];
      if (r[0] == "entropy") {
        INFO("num_quantized_bins " << r[1]);
        const auto got = o.entropy_range(std::stoul(r[1]));
        REQUIRE(got.has_value());
        const float lo = f32_from_hex(r[2]), hi = f32_from_hex(r[3]);
        INFO("qlin [" << got->lo << ", " << got->hi << "] onnxruntime [" << lo << ", " << hi << "]");
        CHECK(std::fabs(got->lo - lo) <= width * 1.0001f);
        CHECK(std::fabs(got->hi - hi) <= width * 1.0001f);
        entropy_exact += f32_bits(got->lo) == f32_bits(lo) && f32_bits(got->hi) == f32_bits(hi);
        ++entropy_total;
      } else {
        INFO("percentile " << r[1]);
        const auto got = o.percentile_range(std::stod(r[1]));
        REQUIRE(got.has_value());
        CHECK(f32_bits(got->lo) == f32_bits(f32_from_hex(r[2])));
        CHECK(f32_bits(got->hi) == f32_bits(f32_from_hex(r[3])));
        ++pct_total;
      }
    }
  }
  CHECK(cases >= 30);
  CHECK(entropy_total >= 40);
  CHECK(pct_total >= 90);
  WARN("ONNX Runtime entropy ranges: " << entropy_exact << " of " << entropy_total
                                       << " bit-exact (all within one bin); collected states of " << cases << " cases");
}

TEST_CASE("onnxruntime_entropy_threshold: defaults, smoothing and errors", "[observers][ort]") {
  // ONNX Runtime's defaults (128 bins, 128 quantized bins): one candidate, the whole range
  // clipped to the data.
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(2000);
  for (auto& v : x) v = nd(rng);
  qlin::ort_histogram_observer o;
  REQUIRE(o.observe(x.data(), x.size()).has_value());
  const auto r = o.entropy_range();
  REQUIRE(r.has_value());
  CHECK(r->lo == o.min());
  CHECK(r->hi == o.max());
  // A hand-made histogram: 8 bins over [-4, 4], nq = 2, candidates i = 1..4. The smallest window
  // [-1, 1) with all the mass inside wins (KL 0: p == q after the same smoothing).
  const std::vector<std::uint64_t> c{0, 0, 0, 5, 5, 0, 0, 0};
  const std::vector<double> e{-4, -3, -2, -1, 0, 1, 2, 3, 4};
  const auto t = qlin::onnxruntime_entropy_threshold(c.data(), e.data(), 8, 2, -0.9f, 0.95f);
  REQUIRE(t.has_value());
  CHECK(t->lo == -0.9f);  // edges[3] = -1 clipped to the data min
  CHECK(t->hi == 0.95f);  // edges[5] = 1 clipped to the data max
  // Errors.
  CHECK(qlin::onnxruntime_entropy_threshold(c.data(), e.data(), 8, 9, -1.0f, 1.0f).error().code == qlin::errc::invalid_argument);
  CHECK(qlin::onnxruntime_entropy_threshold(c.data(), e.data(), 8, 1, -1.0f, 1.0f).error().code == qlin::errc::invalid_argument);
  const std::vector<std::uint64_t> z(8, 0);
  CHECK(qlin::onnxruntime_entropy_threshold(z.data(), e.data(), 8, 2, -1.0f, 1.0f).error().code == qlin::errc::no_finite_values);
  CHECK(qlin::ort_histogram_observer().entropy_range().error().code == qlin::errc::no_finite_values);
  CHECK(!qlin::ort_histogram_observer::make(1).has_value());
}

TEST_CASE("ort_histogram_observer: growth, zeros, NaN, merge and serialization", "[observers][ort]") {
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<std::vector<float>> batches;
  for (int b = 0; b < 5; ++b) {
    std::vector<float> v(300);
    for (auto& x : v) x = nd(rng) * static_cast<float>(1 + b * b);
    batches.push_back(v);
  }
  batches[2][17] = std::numeric_limits<float>::quiet_NaN();
  batches[3][5] = -std::numeric_limits<float>::infinity();
  qlin::ort_histogram_observer o(64);
  std::uint64_t finite = 0;
  for (const auto& b : batches) {
    const double before = o.threshold();
    REQUIRE(o.observe(b.data(), b.size()).has_value());
    CHECK(o.threshold() >= before);
    CHECK((o.bins() - 64) % 2 == 0);
    std::uint64_t s = 0;
    for (auto c : o.counts()) s += c;
    finite += b.size() - (&b == &batches[2] || &b == &batches[3] ? 1 : 0);
    CHECK(s == finite);
    CHECK(static_cast<double>(std::max(-o.min(), o.max())) <= o.threshold());
  }
  CHECK(o.nonfinite_count() == 2);
  CHECK(o.bins() > 64);
  // the histogram stays symmetric about 0: edge bins/2 is 0
  const auto e = o.edges();
  CHECK(e[o.bins() / 2] == 0.0f);

  // serialization round trip, then corruption
  const auto bytes = o.serialize();
  const auto back = qlin::ort_histogram_observer::deserialize(bytes);
  REQUIRE(back.has_value());
  CHECK(back->counts() == o.counts());
  CHECK(back->threshold() == o.threshold());
  CHECK(back->serialize() == bytes);
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    CHECK(!qlin::ort_histogram_observer::deserialize(bytes.data(), cut).has_value());
  }
  auto bad = bytes;
  bad[bad.size() - 1] ^= 1;  // a count: the sum no longer equals the finite count
  CHECK(qlin::ort_histogram_observer::deserialize(bad).error().code == qlin::errc::corrupt_data);
  CHECK(qlin::ort_histogram_observer::deserialize(qlin::ort_histogram_observer(64).serialize()).has_value());

  // merge: identical layouts add exactly; otherwise the counts and the range are kept
  qlin::ort_histogram_observer a(64), b(64);
  REQUIRE(a.observe(batches[0].data(), batches[0].size()).has_value());
  REQUIRE(b.observe(batches[0].data(), batches[0].size()).has_value());
  REQUIRE(a.merge(b).has_value());
  for (std::size_t j = 0; j < a.bins(); ++j) CHECK(a.counts()[j] == 2 * b.counts()[j]);
  qlin::ort_histogram_observer c(64);
  REQUIRE(c.observe(batches[4].data(), batches[4].size()).has_value());
  REQUIRE(a.merge(c).has_value());
  CHECK(a.finite_count() == 900);
  CHECK(a.max() == std::max(b.max(), c.max()));
  CHECK(a.threshold() >= static_cast<double>(std::max(-c.min(), c.max())));
  CHECK(!a.merge(qlin::ort_histogram_observer(32)).has_value());

  // all zeros first: threshold 0 and range (-0.5, 0.5), then growth keeps the zero counts
  qlin::ort_histogram_observer z(16);
  const std::vector<float> zeros(10, 0.0f);
  REQUIRE(z.observe(zeros.data(), zeros.size()).has_value());
  CHECK(z.threshold() == 0.0);
  CHECK(z.edges().front() == -0.5f);
  CHECK(z.counts()[8] == 10);
  REQUIRE(z.observe(batches[0].data(), batches[0].size()).has_value());
  CHECK(z.bins() == 16);
  CHECK(z.finite_count() == 310);

  // a batch 1e12 times wider than the first would need ~2e12 bins (ONNX Runtime allocates them):
  // refused, nothing changes
  qlin::ort_histogram_observer g(128);
  const std::vector<float> small{1e-6f, -2e-6f}, huge{3e6f, 1.0f, std::numeric_limits<float>::quiet_NaN()};
  REQUIRE(g.observe(small.data(), small.size()).has_value());
  const auto before = g.serialize();
  const auto st = g.observe(huge.data(), huge.size());
  REQUIRE(!st.has_value());
  CHECK(st.error().code == qlin::errc::unsupported);
  CHECK(g.serialize() == before);
  qlin::ort_histogram_observer wide(128);
  REQUIRE(wide.observe(huge.data(), huge.size()).has_value());
  CHECK(!g.merge(wide).has_value());
  CHECK(g.serialize() == before);
  // a growth that fits still works (6000x wider: ~770000 bins)
  const std::vector<float> ok_batch{2e-6f * 6000.0f};
  REQUIRE(g.observe(ok_batch.data(), ok_batch.size()).has_value());
  CHECK(g.bins() <= (std::size_t{1} << 24));
}
