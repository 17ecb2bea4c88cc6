// Tests for qlin/metrics.hpp against straightforward double references written below, the defined
// answers for empty / identical / zero / NaN input, streaming and merging, and add_quantized against
// quantize + dequantize through a buffer.
#include <qlin/metrics.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "qlin_catch.hpp"

namespace {

struct ref_metrics {
  double mse, sqnr, cosine, max_abs;
};

// The textbook formulas, one loop each, in double.
ref_metrics reference(const std::vector<float>& r, const std::vector<float>& t) {
  double se = 0, sr = 0, st = 0, dot = 0, mx = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double e = static_cast<double>(t[i]) - static_cast<double>(r[i]);
    se += e * e;
    mx = std::max(mx, std::fabs(e));
  }
  for (float v : r) sr += static_cast<double>(v) * static_cast<double>(v);
  for (float v : t) st += static_cast<double>(v) * static_cast<double>(v);
  for (std::size_t i = 0; i < r.size(); ++i) dot += static_cast<double>(r[i]) * static_cast<double>(t[i]);
  return {se / static_cast<double>(r.size()), 10.0 * std::log10(sr / se), dot / std::sqrt(sr * st), mx};
}

std::vector<float> randn(std::size_t n, unsigned seed, float sigma = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

}  // namespace

TEST_CASE("metrics equal the double reference formulas", "[metrics]") {
  for (std::size_t n : {1u, 2u, 7u, 64u, 1000u, 4097u}) {
    const auto r = randn(n, static_cast<unsigned>(n));
    auto t = r;
    const auto noise = randn(n, static_cast<unsigned>(n) + 1, 0.01f);
    for (std::size_t i = 0; i < n; ++i) t[i] += noise[i];
    const ref_metrics want = reference(r, t);
    const qlin::error_stats s = qlin::compare(r.data(), t.data(), n);
    CHECK(s.count == n);
    CHECK(s.mse() == Approx(want.mse).epsilon(1e-12));
    CHECK(s.sqnr_db() == Approx(want.sqnr).epsilon(1e-12));
    CHECK(s.cosine() == Approx(want.cosine).epsilon(1e-12));
    CHECK(s.max_abs_error() == want.max_abs);
    CHECK(qlin::mse(r.data(), t.data(), n) == s.mse());
    CHECK(qlin::sqnr_db(r.data(), t.data(), n) == s.sqnr_db());
    CHECK(qlin::cosine_similarity(r.data(), t.data(), n) == s.cosine());
    CHECK(qlin::max_abs_error(r.data(), t.data(), n) == s.max_abs_error());
  }
}

TEST_CASE("metrics: streaming in chunks and merging shards equal one pass", "[metrics]") {
  const auto r = randn(1003, 7);
  const auto t = randn(1003, 8);
  const qlin::error_stats whole = qlin::compare(r.data(), t.data(), r.size());
  qlin::error_stats chunks;
  for (std::size_t i = 0; i < r.size(); i += 100) {
    chunks.add(r.data() + i, t.data() + i, std::min<std::size_t>(100, r.size() - i));
  }
  qlin::error_stats a = qlin::compare(r.data(), t.data(), 500);
  const qlin::error_stats b = qlin::compare(r.data() + 500, t.data() + 500, 503);
  a.merge(b);
  for (const qlin::error_stats* s : {&chunks, &a}) {
    CHECK(s->count == whole.count);
    CHECK(s->mse() == Approx(whole.mse()).epsilon(1e-12));
    CHECK(s->sqnr_db() == Approx(whole.sqnr_db()).epsilon(1e-12));
    CHECK(s->cosine() == Approx(whole.cosine()).epsilon(1e-12));
    CHECK(s->max_abs_error() == whole.max_abs_error());
  }
}

TEST_CASE("metrics: defined answers for empty, identical, zero and NaN input", "[metrics]") {
  const double inf = std::numeric_limits<double>::infinity();
  const qlin::error_stats empty = qlin::compare(nullptr, nullptr, 0);
  CHECK(empty.mse() == 0.0);
  CHECK(empty.max_abs_error() == 0.0);
  CHECK(empty.sqnr_db() == inf);
  CHECK(empty.cosine() == 1.0);

  const auto r = randn(333, 3);
  const qlin::error_stats same = qlin::compare(r.data(), r.data(), r.size());
  CHECK(same.mse() == 0.0);
  CHECK(same.sqnr_db() == inf);
  CHECK(same.cosine() == 1.0);
  CHECK(same.max_abs_error() == 0.0);

  const std::vector<float> zeros(10, 0.0f);
  std::vector<float> ones(10, 1.0f);
  CHECK(qlin::compare(zeros.data(), zeros.data(), 10).sqnr_db() == inf);
  CHECK(qlin::compare(zeros.data(), zeros.data(), 10).cosine() == 1.0);
  CHECK(qlin::compare(zeros.data(), ones.data(), 10).sqnr_db() == -inf);
  CHECK(qlin::compare(zeros.data(), ones.data(), 10).cosine() == 0.0);
  CHECK(qlin::compare(ones.data(), zeros.data(), 10).sqnr_db() == Approx(0.0));
  CHECK(qlin::compare(zeros.data(), ones.data(), 10).mse() == 1.0);
  std::vector<float> neg(10, -1.0f);
  CHECK(qlin::compare(ones.data(), neg.data(), 10).cosine() == -1.0);

  std::vector<float> with_nan = ones;
  with_nan[3] = std::numeric_limits<float>::quiet_NaN();
  const qlin::error_stats n = qlin::compare(ones.data(), with_nan.data(), 10);
  CHECK(n.nan_count == 1);
  CHECK(n.count == 10);
  CHECK(std::isnan(n.mse()));
  CHECK(std::isnan(n.sqnr_db()));
  CHECK(std::isnan(n.cosine()));
  CHECK(std::isnan(n.max_abs_error()));
  qlin::error_stats merged = qlin::compare(ones.data(), ones.data(), 10);
  merged.merge(n);
  CHECK(std::isnan(merged.mse()));

  const float finf = std::numeric_limits<float>::infinity();
  const float a[] = {finf, 1.0f};
  const float b[] = {finf, 1.5f};
  const qlin::error_stats s = qlin::compare(a, b, 2);
  CHECK(s.max_abs_error() == 0.5);  // equal infinities contribute no error
  CHECK(s.mse() == 0.125);
}

TEST_CASE("metrics: add_quantized equals quantize + dequantize through a buffer", "[metrics]") {
  auto x = randn(777, 11, 2.0f);
  x[5] = 100.0f;  // saturates
  const auto p = qlin::choose_qparams(-3.0f, 2.5f);
  REQUIRE(p);
  std::vector<std::int8_t> q(x.size());
  std::vector<float> y(x.size());
  for (auto m : {qlin::quantize_method{}, qlin::quantize_method::of(qlin::compat::tflite)}) {
    qlin::quantize(x.data(), x.size(), q.data(), *p, m);
    qlin::dequantize(q.data(), q.size(), y.data(), *p);
    const qlin::error_stats want = qlin::compare(x.data(), y.data(), x.size());
    const qlin::error_stats got = qlin::quantization_error(x.data(), x.size(), *p, m);
    CHECK(got.sum_sq_error == want.sum_sq_error);
    CHECK(got.sum_product == want.sum_product);
    CHECK(got.max_abs_error() == want.max_abs_error());
    qlin::error_stats deq;
    deq.add_dequantized(x.data(), q.data(), x.size(), *p);
    CHECK(deq.sum_sq_error == want.sum_sq_error);
  }
  qlin::per_channel_params pc;
  pc.scales = {0.02f, 0.05f, 0.01f};
  pc.zero_points = {0, -5, 3};
  std::vector<std::int8_t> qc(x.size() - 777 % 3);
  const std::size_t inner = 7, channels = 3, outer = (x.size() / (channels * inner));
  const std::size_t n = outer * channels * inner;
  std::vector<float> yc(n);
  qlin::quantize_per_channel(x.data(), outer, channels, inner, qc.data(), pc);
  qlin::dequantize_per_channel(qc.data(), outer, channels, inner, yc.data(), pc);
  qlin::error_stats got;
  got.add_quantized_per_channel(x.data(), outer, channels, inner, pc);
  const qlin::error_stats want = qlin::compare(x.data(), yc.data(), n);
  CHECK(got.sum_sq_error == want.sum_sq_error);
  CHECK(got.max_abs_error() == want.max_abs_error());
}
