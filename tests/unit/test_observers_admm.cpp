// Tests for qlin/observers/admm.hpp: MNN's QuantizeWeightADMM against a literal transcription.
#include <qlin/observers/admm.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

// Literal transcription of SEMANTICS.md 7.2 (separate loops, roundf, float sums in index order).
float reference_admm(const std::vector<float>& w, float clamp) {
  float amax = 0.0f;
  for (float x : w) amax = std::fmax(amax, std::fabs(x));
  float alpha = amax / (clamp * 1.25f);
  std::vector<float> q(w.size());
  for (int it = 0; it < 1000; ++it) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      q[i] = std::fmin(std::fmax(roundf(w[i] / (alpha + 1e-9f)), -clamp), clamp);
    }
    float a = 0.0f, b = 0.0f;
    for (std::size_t i = 0; i < w.size(); ++i) a += w[i] * q[i];
    for (std::size_t i = 0; i < w.size(); ++i) b += q[i] * q[i];
    alpha = a / (b + 1e-9f);
  }
  return alpha;
}

}  // namespace

TEST_CASE("admm_scale equals a literal transcription of MNN on random weights", "[observers][admm]") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 12; ++trial) {
    const std::size_t n = 16 + static_cast<std::size_t>(trial) * 37;
    std::vector<float> w(n);
    std::normal_distribution<float> nd(0.0f, 0.02f * static_cast<float>(trial + 1));
    std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
    for (auto& x : w) x = trial % 2 ? nd(rng) : ud(rng);
    if (trial == 5) w[3] = 40.0f;  // an outlier
    for (float clamp : {127.0f, 7.0f, 15.0f}) {
      INFO("trial " << trial << " clamp " << clamp);
      const auto s = qlin::admm_scale(w.data(), w.size(), clamp);
      REQUIRE(s.has_value());
      CHECK(*s == reference_admm(w, clamp));
    }
  }
}

TEST_CASE("admm_scale hand cases and errors", "[observers][admm]") {
  // {1, -1}: q = +-127 from the first step on, alpha = 254 / (2 * 127^2 + 1e-9) in float32.
  const float pm[] = {1.0f, -1.0f};
  const auto s0 = qlin::admm_scale(pm, 2);
  REQUIRE(s0.has_value());
  CHECK(*s0 == 254.0f / (32258.0f + 1e-9f));
  // Weights on a grid k * 0.5: the fixed point of the iteration reproduces itself (one more
  // iteration from it changes nothing) and equals the transcription.
  std::vector<float> g;
  for (int k = -127; k <= 127; ++k) g.push_back(static_cast<float>(k) * 0.5f);
  const auto s = qlin::admm_scale(g.data(), g.size());
  REQUIRE(s.has_value());
  CHECK(*s == reference_admm(g, 127.0f));
  CHECK(*qlin::admm_scale(g.data(), g.size(), 127.0f, 1001) == *s);
  // A single weight: q = clamp, alpha = w / clamp (up to the 1e-9 terms).
  const float one = 2.54f;
  const auto s1 = qlin::admm_scale(&one, 1);
  REQUIRE(s1.has_value());
  CHECK(*s1 == reference_admm({one}, 127.0f));
  CHECK(std::fabs(*s1 - 0.02f) < 1e-6f);
  // All zeros: alpha 0, refused by admm_qparams.
  std::vector<float> z(8, 0.0f);
  const auto sz = qlin::admm_scale(z.data(), z.size());
  REQUIRE(sz.has_value());
  CHECK(*sz == 0.0f);
  CHECK(qlin::admm_qparams(*sz).code() == qlin::errc::degenerate_range);
  const auto p = qlin::admm_qparams(0.25f);
  REQUIRE(p.has_value());
  CHECK(p->zero_point == 0);
  // Errors.
  const float bad[] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK(qlin::admm_scale(bad, 2).code() == qlin::errc::non_finite_input);
  CHECK(qlin::admm_scale(nullptr, 0).code() == qlin::errc::invalid_argument);
  CHECK(qlin::admm_scale(g.data(), g.size(), 3.0f).code() == qlin::errc::invalid_argument);
  // Per channel.
  const auto sc = qlin::admm_scales(g.data(), 5, 51);
  REQUIRE(sc.has_value());
  REQUIRE(sc->size() == 5);
  for (std::size_t c = 0; c < 5; ++c) {
    CHECK((*sc)[c] == reference_admm(std::vector<float>(g.begin() + static_cast<long>(c * 51), g.begin() + static_cast<long>(c * 51 + 51)), 127.0f));
  }
}
