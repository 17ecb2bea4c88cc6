// Tests for qlin/dfq.hpp: cross-layer equalization keeps the FP32 function, balances the ranges and leaves
// zero-range channels alone; bias correction follows its formula; the clipped-normal mean.
#include <qlin/dfq.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

struct pair_layers {
  std::size_t in, c, out;
  std::vector<float> w1, b1, w2, b2;
};

// Random layers whose channels differ in range by up to 2^12 (what CLE is for).
pair_layers make_layers(std::size_t in, std::size_t c, std::size_t out, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> e(-6, 6);
  pair_layers l{in,
                c,
                out,
                std::vector<float>(c * in),
                std::vector<float>(c),
                std::vector<float>(out * c),
                std::vector<float>(out)};
  for (std::size_t i = 0; i < c; ++i) {
    const float g = std::ldexp(1.0f, e(rng));
    for (std::size_t k = 0; k < in; ++k) l.w1[i * in + k] = g * u(rng);
    l.b1[i] = g * u(rng);
  }
  for (std::size_t o = 0; o < out; ++o) {
    for (std::size_t i = 0; i < c; ++i) l.w2[o * c + i] = std::ldexp(u(rng), e(rng));
    l.b2[o] = u(rng);
  }
  return l;
}

// y = W2 relu(W1 x + b1) + b2 in double.
std::vector<double> run(const pair_layers& l, const std::vector<float>& x) {
  std::vector<double> h(l.c), y(l.out);
  for (std::size_t i = 0; i < l.c; ++i) {
    double s = l.b1[i];
    for (std::size_t k = 0; k < l.in; ++k) s += double{l.w1[i * l.in + k]} * x[k];
    h[i] = std::max(s, 0.0);
  }
  for (std::size_t o = 0; o < l.out; ++o) {
    double s = l.b2[o];
    for (std::size_t i = 0; i < l.c; ++i) s += double{l.w2[o * l.c + i]} * h[i];
    y[o] = s;
  }
  return y;
}

// The bound of the float rounding CLE introduces: two roundings per weight (W1 / s, W2 * s) and one per bias,
// each relative 2^-24, on a sum of |terms| that the double forward computes alongside.
double abs_sum(const pair_layers& l, const std::vector<float>& x, std::size_t o) {
  double y = std::fabs(l.b2[o]);
  for (std::size_t i = 0; i < l.c; ++i) {
    double h = std::fabs(l.b1[i]);
    for (std::size_t k = 0; k < l.in; ++k) h += std::fabs(double{l.w1[i * l.in + k]} * x[k]);
    y += std::fabs(double{l.w2[o * l.c + i]}) * h;
  }
  return y;
}

}  // namespace

TEST_CASE("dfq: cross-layer equalization keeps the FP32 function up to float rounding", "[dfq]") {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const pair_layers before = make_layers(5 + seed % 7, 3 + seed % 13, 2 + seed % 5, seed);
    pair_layers after = before;
    std::vector<float> s(before.c);
    REQUIRE(qlin::equalize_cross_layer(after.w1.data(), after.b1.data(), after.c, after.in, after.w2.data(), after.out,
                                       s.data()));
    std::mt19937 rng(seed + 100);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    for (int t = 0; t < 50; ++t) {
      std::vector<float> x(before.in);
      for (float& v : x) v = u(rng);
      const std::vector<double> y0 = run(before, x), y1 = run(after, x);
      for (std::size_t o = 0; o < before.out; ++o) {
        REQUIRE(std::fabs(y1[o] - y0[o]) <= 4.0 * 0x1p-24 * abs_sum(before, x, o));
      }
    }
    // The weights changed exactly as the formulas say.
    for (std::size_t i = 0; i < before.c; ++i) {
      for (std::size_t k = 0; k < before.in; ++k)
        REQUIRE(after.w1[i * before.in + k] == before.w1[i * before.in + k] / s[i]);
      REQUIRE(after.b1[i] == before.b1[i] / s[i]);
      for (std::size_t o = 0; o < before.out; ++o)
        REQUIRE(after.w2[o * before.c + i] == before.w2[o * before.c + i] * s[i]);
    }
  }
}

TEST_CASE("dfq: after equalization r1_c / r2_c is 1 for every channel", "[dfq]") {
  pair_layers l = make_layers(16, 32, 10, 42);
  std::vector<float> r1(l.c), r2(l.c), s(l.c);
  REQUIRE(qlin::row_abs_max(l.w1.data(), l.c, l.in, r1.data()));
  REQUIRE(qlin::col_abs_max(l.w2.data(), l.out, l.c, r2.data()));
  const std::vector<float> r1_0 = r1, r2_0 = r2;
  REQUIRE(qlin::equalize_cross_layer(l.w1.data(), l.b1.data(), l.c, l.in, l.w2.data(), l.out, s.data()));
  REQUIRE(qlin::row_abs_max(l.w1.data(), l.c, l.in, r1.data()));
  REQUIRE(qlin::col_abs_max(l.w2.data(), l.out, l.c, r2.data()));
  for (std::size_t i = 0; i < l.c; ++i) {
    // s_c = (1 / r2_c) * sqrt(r1_c * r2_c), in double, rounded once.
    REQUIRE(s[i] == static_cast<float>(std::sqrt(double{r1_0[i]} * r2_0[i]) / r2_0[i]));
    REQUIRE(double{r1[i]} / r2[i] == Approx(1.0).epsilon(1e-6));
    REQUIRE(double{r1[i]} == Approx(std::sqrt(double{r1_0[i]} * r2_0[i])).epsilon(1e-6));
  }
  // The spread of the per-channel ranges shrinks (the point of CLE for per-tensor quantization).
  const auto spread = [](const std::vector<float>& r) {
    return double{*std::max_element(r.begin(), r.end())} / *std::min_element(r.begin(), r.end());
  };
  REQUIRE(spread(r1) < spread(r1_0));
  // A second pass changes nothing: every scale is 1 up to rounding.
  REQUIRE(qlin::equalize_cross_layer(l.w1.data(), l.b1.data(), l.c, l.in, l.w2.data(), l.out, s.data()));
  for (float v : s) REQUIRE(double{v} == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("dfq: zero-range channels are untouched (s_c = 1); bad weights are errors", "[dfq]") {
  pair_layers l = make_layers(4, 3, 2, 7);
  for (std::size_t k = 0; k < l.in; ++k) l.w1[0 * l.in + k] = 0.0f;  // channel 0: dead in layer 1
  for (std::size_t o = 0; o < l.out; ++o) l.w2[o * l.c + 1] = 0.0f;  // channel 1: unused by layer 2
  const pair_layers before = l;
  std::vector<float> s(l.c);
  REQUIRE(qlin::equalize_cross_layer(l.w1.data(), l.b1.data(), l.c, l.in, l.w2.data(), l.out, s.data()));
  REQUIRE(s[0] == 1.0f);
  REQUIRE(s[1] == 1.0f);
  REQUIRE(s[2] != 1.0f);
  for (std::size_t c : {std::size_t{0}, std::size_t{1}}) {
    for (std::size_t k = 0; k < l.in; ++k) REQUIRE(l.w1[c * l.in + k] == before.w1[c * l.in + k]);
    REQUIRE(l.b1[c] == before.b1[c]);
    for (std::size_t o = 0; o < l.out; ++o) REQUIRE(l.w2[o * l.c + c] == before.w2[o * l.c + c]);
  }
  // No bias, empty layers.
  REQUIRE(qlin::equalize_cross_layer(l.w1.data(), nullptr, l.c, l.in, l.w2.data(), l.out));
  REQUIRE(qlin::equalize_cross_layer(nullptr, nullptr, 0, 0, nullptr, 0));
  // NaN / Inf weights: an error, nothing modified.
  pair_layers bad = make_layers(4, 3, 2, 8);
  bad.w2[3] = std::numeric_limits<float>::quiet_NaN();
  const pair_layers bad0 = bad;
  REQUIRE(qlin::equalize_cross_layer(bad.w1.data(), bad.b1.data(), bad.c, bad.in, bad.w2.data(), bad.out).code() ==
          qlin::errc::non_finite_input);
  REQUIRE(bad.w1 == bad0.w1);
  bad.w2[3] = 0.5f;
  bad.w1[0] = std::numeric_limits<float>::infinity();
  REQUIRE(qlin::equalize_cross_layer(bad.w1.data(), bad.b1.data(), bad.c, bad.in, bad.w2.data(), bad.out).code() ==
          qlin::errc::non_finite_input);
  // Ranges too far apart for a float scale: r1 = 3e38, r2 = 1e-40 -> s = sqrt(3e78) > FLT_MAX.
  float w1[1] = {3e38f}, w2[1] = {1e-40f}, b1[1] = {0.0f};
  REQUIRE(qlin::equalize_cross_layer(w1, b1, 1, 1, w2, 1).code() == qlin::errc::invalid_scale);
  REQUIRE(w1[0] == 3e38f);
}

TEST_CASE("dfq: bias correction subtracts (W_q - W) E[x]", "[dfq]") {
  const std::size_t out = 6, in = 9;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> w(out * in), wq(out * in), mean(in), b(out);
  for (float& v : w) v = u(rng);
  for (std::size_t i = 0; i < w.size(); ++i) wq[i] = std::round(w[i] * 7.0f) / 7.0f;  // a 4-bit-like grid
  for (float& v : mean) v = u(rng) + 1.0f;
  for (float& v : b) v = u(rng);
  std::vector<float> bc = b;
  qlin::correct_bias(w.data(), wq.data(), out, in, mean.data(), bc.data());
  for (std::size_t o = 0; o < out; ++o) {
    double e = 0.0;
    for (std::size_t k = 0; k < in; ++k) e += (double{wq[o * in + k]} - w[o * in + k]) * mean[k];
    REQUIRE(bc[o] == static_cast<float>(double{b[o]} - e));
  }
  // The expected output of the corrected quantized layer equals the float layer's (over inputs with that mean).
  for (std::size_t o = 0; o < out; ++o) {
    double yf = b[o], yq = bc[o];
    for (std::size_t k = 0; k < in; ++k) yf += double{w[o * in + k]} * mean[k], yq += double{wq[o * in + k]} * mean[k];
    REQUIRE(yq == Approx(yf).margin(1e-6));
  }
  // Exact weights: no change.
  std::vector<float> b2 = b;
  qlin::correct_bias(w.data(), w.data(), out, in, mean.data(), b2.data());
  REQUIRE(b2 == b);
  qlin::correct_bias(nullptr, nullptr, 0, 0, nullptr, nullptr);
}

TEST_CASE("dfq: relu_normal_mean is E[max(0, X)] of a normal", "[dfq]") {
  REQUIRE(qlin::relu_normal_mean(0.0, 1.0) == Approx(1.0 / std::sqrt(2.0 * 3.14159265358979323846)));
  REQUIRE(qlin::relu_normal_mean(2.0, 0.0) == 2.0);
  REQUIRE(qlin::relu_normal_mean(-2.0, 0.0) == 0.0);
  REQUIRE(qlin::relu_normal_mean(30.0, 1.0) == Approx(30.0));
  REQUIRE(qlin::relu_normal_mean(-30.0, 1.0) == Approx(0.0).margin(1e-12));
  // Against a midpoint-rule integral of max(0, x) * density.
  for (double mu : {-1.5, -0.3, 0.0, 0.7, 2.0}) {
    for (double sigma : {0.5, 1.0, 3.0}) {
      double sum = 0.0;
      const double lo = mu - 12 * sigma, hi = mu + 12 * sigma, h = (hi - lo) / 200000;
      for (int i = 0; i < 200000; ++i) {
        const double x = lo + (i + 0.5) * h, z = (x - mu) / sigma;
        sum += std::max(x, 0.0) * std::exp(-0.5 * z * z) / (sigma * std::sqrt(2.0 * 3.14159265358979323846)) * h;
      }
      REQUIRE(qlin::relu_normal_mean(mu, sigma) == Approx(sum).epsilon(1e-6).margin(1e-9));
    }
  }
}
