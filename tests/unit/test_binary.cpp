// Tests for qlin/binary.hpp: packing layout, XNOR-popcount and ternary dot products exhaustively for
// small n against a direct sum (every sign pattern, garbage in the tail bits), binarize / ternarize
// against direct formulas.
#include <qlin/binary.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

TEST_CASE("pack_signs: element i -> word i/64, bit i%64, 1 = non-negative", "[binary]") {
  std::vector<float> x(130);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 3 == 0) ? -1.0f : 2.0f;
  x[1] = -0.0f;  // non-negative
  x[2] = std::numeric_limits<float>::quiet_NaN();  // as 0.0
  std::vector<std::uint64_t> w(qlin::words_per_row(x.size()), ~std::uint64_t{0});
  REQUIRE(w.size() == 3);
  qlin::pack_signs(x.data(), x.size(), w.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool bit = ((w[i / 64] >> (i % 64)) & 1u) != 0;
    CHECK(bit == (i % 3 != 0));
  }
  CHECK((w[2] >> 2) == 0);  // tail bits cleared
}

TEST_CASE("xnor_popcount_dot equals the direct sum for every sign pattern, n <= 10, and random long vectors",
          "[binary]") {
  for (std::size_t n = 0; n <= 10; ++n) {
    for (std::uint32_t pa = 0; pa < (1u << n); ++pa) {
      for (std::uint32_t pb = 0; pb < (1u << n); ++pb) {
        // Garbage above bit n: readers must mask it.
        const std::uint64_t a = pa | (~std::uint64_t{0} << n);
        const std::uint64_t b = pb | (std::uint64_t{0xA5A5A5A5A5A5A5A5ULL} << n);
        std::int64_t want = 0;
        for (std::size_t i = 0; i < n; ++i) want += qlin::packed_sign(&a, i) * qlin::packed_sign(&b, i);
        REQUIRE(qlin::xnor_popcount_dot(&a, &b, n) == want);
      }
    }
  }
  std::mt19937 g(5);
  std::normal_distribution<float> d;
  for (std::size_t n : {63u, 64u, 65u, 127u, 128u, 129u, 1000u}) {
    std::vector<float> x(n), y(n);
    for (auto& v : x) v = d(g);
    for (auto& v : y) v = d(g);
    std::vector<std::uint64_t> a(qlin::words_per_row(n)), b(qlin::words_per_row(n));
    qlin::pack_signs(x.data(), n, a.data());
    qlin::pack_signs(y.data(), n, b.data());
    std::int64_t want = 0;
    for (std::size_t i = 0; i < n; ++i) want += ((x[i] >= 0) ? 1 : -1) * ((y[i] >= 0) ? 1 : -1);
    CHECK(qlin::xnor_popcount_dot(a.data(), b.data(), n) == want);
  }
}

TEST_CASE("ternary_dot equals the direct sum for every code pattern, n <= 6", "[binary]") {
  for (std::size_t n = 0; n <= 6; ++n) {
    std::uint32_t total = 1;
    for (std::size_t i = 0; i < n; ++i) total *= 3;
    for (std::uint32_t ia = 0; ia < total; ++ia) {
      for (std::uint32_t ib = 0; ib < total; ++ib) {
        std::int8_t ca[6], cb[6];
        std::uint32_t ta = ia, tb = ib;
        std::int64_t want = 0;
        for (std::size_t i = 0; i < n; ++i) {
          ca[i] = static_cast<std::int8_t>(static_cast<int>(ta % 3) - 1);
          cb[i] = static_cast<std::int8_t>(static_cast<int>(tb % 3) - 1);
          ta /= 3;
          tb /= 3;
          want += ca[i] * cb[i];
        }
        std::uint64_t ap = 0, an = 0, bp = 0, bn = 0;
        qlin::pack_ternary(ca, n, &ap, &an);
        qlin::pack_ternary(cb, n, &bp, &bn);
        REQUIRE(qlin::ternary_dot(&ap, &an, &bp, &bn, n) == want);
      }
    }
  }
}

TEST_CASE("binarize: alpha = mean |w| per channel, dequantize = alpha * sign", "[binary]") {
  std::mt19937 g(9);
  std::normal_distribution<float> d(0.0f, 0.3f);
  const std::size_t channels = 5, k = 70;
  std::vector<float> w(channels * k);
  for (auto& v : w) v = d(g);
  std::vector<std::uint64_t> bits(channels * qlin::words_per_row(k));
  std::vector<float> alpha(channels), back(w.size());
  qlin::binarize(w.data(), channels, k, bits.data(), alpha.data());
  qlin::binary_dequantize(bits.data(), alpha.data(), channels, k, back.data());
  for (std::size_t c = 0; c < channels; ++c) {
    double s = 0;
    for (std::size_t i = 0; i < k; ++i) s += std::fabs(static_cast<double>(w[c * k + i]));
    CHECK(alpha[c] == static_cast<float>(s / k));
    for (std::size_t i = 0; i < k; ++i) {
      CHECK(back[c * k + i] == (w[c * k + i] >= 0 ? alpha[c] : -alpha[c]));
    }
  }
  // alpha minimizes ||w - alpha * b||^2 for b = sign(w): the error is not larger at alpha * (1 +- 1%).
  for (std::size_t c = 0; c < channels; ++c) {
    auto err = [&](double a) {
      double e = 0;
      for (std::size_t i = 0; i < k; ++i) {
        const double b = w[c * k + i] >= 0 ? 1.0 : -1.0;
        e += (w[c * k + i] - a * b) * (w[c * k + i] - a * b);
      }
      return e;
    };
    CHECK(err(alpha[c]) <= err(alpha[c] * 1.01));
    CHECK(err(alpha[c]) <= err(alpha[c] * 0.99));
  }
}

TEST_CASE("ternarize: a threshold factor other than TWN's 0.7", "[binary]") {
  const float w[] = {0.1f, -0.5f, 0.9f, -0.05f, 0.0f, 0.4f, -1.2f, 0.2f};
  double s = 0;
  for (float v : w) s += std::fabs(static_cast<double>(v));
  for (double f : {0.0, 0.3, 0.7, 1.0, 2.5, 1e6}) {
    std::int8_t codes[8];
    float alpha = -1.0f, delta = -1.0f;
    qlin::ternarize(w, 1, 8, codes, &alpha, &delta, f);
    const float d = static_cast<float>(f * (s / 8));
    CHECK(delta == d);
    double kept = 0;
    int cnt = 0;
    for (int i = 0; i < 8; ++i) {
      const int want = w[i] > d ? 1 : (w[i] < -d ? -1 : 0);
      CHECK(codes[i] == want);
      if (want != 0) kept += std::fabs(static_cast<double>(w[i])), ++cnt;
    }
    CHECK(alpha == (cnt == 0 ? 0.0f : static_cast<float>(kept / cnt)));
    if (f == 0.0) CHECK(cnt == 7);  // every nonzero weight is kept
    if (f == 1e6) CHECK(cnt == 0);
  }
}

TEST_CASE("ternarize: TWN threshold 0.7 mean |w| and alpha over the kept weights", "[binary]") {
  const float w[] = {0.1f, -0.5f, 0.9f, -0.05f, 0.0f, 0.4f, -1.2f, 0.2f,   // channel 0
                     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};    // channel 1: all zero
  std::int8_t codes[16];
  float alpha[2], delta[2];
  qlin::ternarize(w, 2, 8, codes, alpha, delta);
  double s = 0;
  for (int i = 0; i < 8; ++i) s += std::fabs(static_cast<double>(w[i]));
  const float d = static_cast<float>(0.7 * (s / 8));
  CHECK(delta[0] == d);
  double kept = 0;
  int cnt = 0;
  for (int i = 0; i < 8; ++i) {
    const int want = w[i] > d ? 1 : (w[i] < -d ? -1 : 0);
    CHECK(codes[i] == want);
    if (want != 0) {
      kept += std::fabs(static_cast<double>(w[i]));
      ++cnt;
    }
  }
  CHECK(cnt == 4);
  CHECK(alpha[0] == static_cast<float>(kept / cnt));
  CHECK(alpha[1] == 0.0f);
  CHECK(delta[1] == 0.0f);
  for (int i = 8; i < 16; ++i) CHECK(codes[i] == 0);
}
