// Tests for qlin/observers/entropy.hpp: TensorRT entropy and percentile thresholds on fixed histograms.
#include <qlin/observers/entropy.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

std::vector<double> linspace_edges(double hi, std::size_t bins) {
  std::vector<double> e(bins + 1);
  for (std::size_t j = 0; j <= bins; ++j) e[j] = hi * static_cast<double>(j) / static_cast<double>(bins);
  return e;
}

// A literal transcription of _compute_amax_entropy (SEMANTICS.md 6.1): digitize against
// linspace(0, i, nq + 1), explicit p / q arrays, scipy.stats.entropy's normalisation.
std::size_t reference_entropy_index(std::vector<double> bins, int num_bits, bool is_unsigned, std::size_t stride,
                                    std::size_t start_bin) {
  bins[0] = bins[1];
  const auto nq = static_cast<std::size_t>(1) << (num_bits - 1 + (is_unsigned ? 1 : 0));
  std::vector<double> divergences;
  std::vector<std::size_t> candidates;
  for (std::size_t i = start_bin; i <= bins.size(); i += stride) {
    std::vector<double> space(nq + 1);
    for (std::size_t m = 0; m <= nq; ++m) space[m] = static_cast<double>(i) * static_cast<double>(m) / static_cast<double>(nq);
    std::vector<long> k(i);
    for (std::size_t j = 0; j < i; ++j) {
      // digitize(j, space) - 1: index m with space[m] <= j < space[m + 1].
      long m = 0;
      while (static_cast<std::size_t>(m + 1) <= nq && space[static_cast<std::size_t>(m + 1)] <= static_cast<double>(j)) ++m;
      k[j] = bins[j] == 0.0 ? -1 : m;
    }
    std::vector<double> p(bins.begin(), bins.begin() + static_cast<std::ptrdiff_t>(i));
    double tail = 0.0;
    for (std::size_t j = i; j < bins.size(); ++j) tail += bins[j];
    p[i - 1] += tail;
    std::vector<double> q(i, 0.0);
    for (long lev = 0; lev < static_cast<long>(nq); ++lev) {
      double sum = 0.0;
      double n = 0.0;
      for (std::size_t j = 0; j < i; ++j) {
        if (k[j] == lev) {
          sum += bins[j];
          n += 1.0;
        }
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (k[j] == lev) q[j] = sum / n;
      }
    }
    double sp = 0.0, sq = 0.0;
    for (std::size_t j = 0; j < i; ++j) {
      sp += p[j];
      sq += q[j];
    }
    double kl = 0.0;
    for (std::size_t j = 0; j < i; ++j) {
      const double pj = p[j] / sp, qj = q[j] / sq;
      if (pj > 0.0) kl += (qj > 0.0) ? pj * std::log(pj / qj) : (std::isnan(qj) ? qj : std::numeric_limits<double>::infinity());
    }
    divergences.push_back(kl);
    candidates.push_back(i);
  }
  // argmin over the reversed list: the first NaN, else the first minimum.
  std::size_t best = divergences.size() - 1;
  for (std::size_t r = divergences.size(); r-- > 0;) {
    if (std::isnan(divergences[r])) return candidates[r];
    if (divergences[r] < divergences[best]) best = r;
  }
  return candidates[best];
}

}  // namespace

TEST_CASE("tensorrt_entropy_amax: hand-computed histograms", "[observers][entropy]") {
  const std::size_t nb = 2048;
  const std::vector<double> edges = linspace_edges(8.0, nb);
  // Uniform over the first 128 bins: every candidate merges equal counts, so KL = 0 everywhere
  // and the last minimum (i = 2048) wins.
  std::vector<std::uint64_t> uniform(nb, 0);
  for (std::size_t j = 0; j < 128; ++j) uniform[j] = 10;
  auto a = qlin::tensorrt_entropy_amax(uniform.data(), edges.data(), nb);
  REQUIRE(a.has_value());
  CHECK(*a == 8.0f);
  // Only bins >= 1000 hold values: candidates i <= 1000 see an all-empty q, their KL is NaN, and
  // numpy's argmin picks the largest of them.
  std::vector<std::uint64_t> high(nb, 0);
  for (std::size_t j = 1000; j < nb; ++j) high[j] = 5;
  a = qlin::tensorrt_entropy_amax(high.data(), edges.data(), nb);
  REQUIRE(a.has_value());
  CHECK(*a == static_cast<float>(edges[1000]));
  // The caller's histogram is not modified (bins[0] := bins[1] happens on a copy).
  std::vector<std::uint64_t> h(nb, 1);
  h[0] = 1000;
  const std::vector<std::uint64_t> copy = h;
  REQUIRE(qlin::tensorrt_entropy_amax(h.data(), edges.data(), nb).has_value());
  CHECK(h == copy);
}

TEST_CASE("tensorrt_entropy_amax equals a literal transcription of TensorRT's search", "[observers][entropy]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 12; ++trial) {
    const std::size_t nb = trial < 6 ? 300 : 520;
    std::vector<std::uint64_t> counts(nb);
    std::vector<double> bins(nb);
    // Roughly half-normal shapes with noise, empty stretches and an outlier tail.
    std::exponential_distribution<double> ex(1.0);
    const double width = 20.0 + 15.0 * trial;
    for (std::size_t j = 0; j < nb; ++j) {
      double v = 4000.0 * std::exp(-static_cast<double>(j) / width) * (0.5 + ex(rng) * 0.5);
      if (trial % 3 == 1 && j % 7 == 3) v = 0.0;
      if (trial % 4 == 2 && j > nb - 5) v = 3.0;
      counts[j] = static_cast<std::uint64_t>(v);
      bins[j] = static_cast<double>(counts[j]);
    }
    const std::vector<double> edges = linspace_edges(3.5, nb);
    for (int bits : {8, 7}) {
      for (bool uns : {false, true}) {
        for (std::size_t stride : {std::size_t{1}, std::size_t{3}}) {
          qlin::entropy_options o;
          o.num_bits = bits;
          o.is_unsigned = uns;
          o.stride = stride;
          o.start_bin = bits == 8 ? 128 : 64;
          if (uns && bits == 8 && nb < 256) continue;
          INFO("trial " << trial << " bits " << bits << " unsigned " << uns << " stride " << stride);
          const auto a = qlin::tensorrt_entropy_amax(counts.data(), edges.data(), nb, o);
          REQUIRE(a.has_value());
          const std::size_t i = reference_entropy_index(bins, bits, uns, stride, o.start_bin);
          CHECK(*a == static_cast<float>(edges[i]));
        }
      }
    }
  }
}

TEST_CASE("percentile_amax", "[observers][percentile]") {
  const std::uint64_t c[] = {1, 1, 1, 1};
  const double e[] = {0.0, 1.0, 2.0, 3.0, 4.0};
  CHECK(*qlin::percentile_amax(c, e, 4, 50.0) == 1.0f);  // cdf 0.25 0.5 ...: first >= 0.5 is index 1
  CHECK(*qlin::percentile_amax(c, e, 4, 100.0) == 3.0f);
  CHECK(*qlin::percentile_amax(c, e, 4, 0.0) == 0.0f);
  CHECK(*qlin::percentile_amax(c, e, 4, 50.1) == 2.0f);
  const std::uint64_t z[] = {0, 0, 0, 0};
  CHECK(qlin::percentile_amax(z, e, 4, 50.0).code() == qlin::errc::no_finite_values);
  CHECK(qlin::percentile_amax(c, e, 4, 100.5).code() == qlin::errc::invalid_argument);
  CHECK(qlin::percentile_amax(c, e, 4, -1.0).code() == qlin::errc::invalid_argument);
  CHECK(qlin::percentile_amax(c, e, 4, std::nan("")).code() == qlin::errc::invalid_argument);
  CHECK(qlin::percentile_amax(c, e, 0, 50.0).code() == qlin::errc::invalid_argument);
  const double bad[] = {0.0, 2.0, 1.0, 3.0, 4.0};
  CHECK(qlin::percentile_amax(c, bad, 4, 50.0).code() == qlin::errc::invalid_argument);
}

TEST_CASE("tensorrt_entropy_amax refuses bad options", "[observers][entropy]") {
  std::vector<std::uint64_t> c(200, 3);
  const std::vector<double> e = linspace_edges(1.0, 200);
  qlin::entropy_options o;
  CHECK(qlin::tensorrt_entropy_amax(c.data(), e.data(), 100, o).code() == qlin::errc::invalid_argument);  // start_bin > bins
  o.stride = 0;
  CHECK(qlin::tensorrt_entropy_amax(c.data(), e.data(), 200, o).code() == qlin::errc::invalid_argument);
  o = {};
  o.num_bits = 1;
  CHECK(qlin::tensorrt_entropy_amax(c.data(), e.data(), 200, o).code() == qlin::errc::invalid_argument);
  CHECK(qlin::tensorrt_entropy_amax(nullptr, e.data(), 200).code() == qlin::errc::invalid_argument);
  std::vector<double> inf_edges = e;
  inf_edges[200] = std::numeric_limits<double>::infinity();
  CHECK(qlin::tensorrt_entropy_amax(c.data(), inf_edges.data(), 200).code() == qlin::errc::invalid_argument);
  // An all-zero histogram (all-zero data): every KL is NaN, the last candidate wins: edges[bins].
  std::vector<std::uint64_t> z(200, 0);
  const std::vector<double> ze(201, 0.0);
  const auto a = qlin::tensorrt_entropy_amax(z.data(), ze.data(), 200);
  REQUIRE(a.has_value());
  CHECK(*a == 0.0f);
}
