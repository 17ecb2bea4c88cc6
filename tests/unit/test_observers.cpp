// Tests for qlin/observers.hpp: MinMax / moving-average observers, per tensor and per channel.
// Reference data: tests/data/observers_torch.txt, written by gen_torch_observers.py from torch 1.13.
#include <qlin/observers.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "qlin_catch.hpp"
#include "test_data.hpp"

using qlin_test::f32_bits;
using qlin_test::f32_from_hex;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct torch_batch {
  std::vector<std::size_t> shape;
  std::vector<float> values;
};

struct torch_case {
  std::string name, kind, dtype, scheme;
  bool reduce_range = false, custom = false;
  std::int32_t qmin = 0, qmax = 0;
  float c = 0.01f;
  std::ptrdiff_t axis = 0;
  std::vector<torch_batch> batches;
  std::size_t channels = 0;
  std::vector<float> mins, maxs, scales, float_zps;
  std::vector<std::int32_t> zps;
};

std::vector<torch_case> load_torch_cases() {
  std::vector<torch_case> cases;
  for (const qlin_test::row& r : qlin_test::read_rows("observers_torch.txt")) {
    if (r[0] == "obs") {
      torch_case c;
      c.name = r[1];
      c.kind = r[2];
      c.dtype = r[3];
      c.scheme = r[4];
      c.reduce_range = r[5] == "1";
      c.custom = r[6] == "1";
      c.qmin = qlin_test::to_i32(r[7]);
      c.qmax = qlin_test::to_i32(r[8]);
      c.c = f32_from_hex(r[9]);
      c.axis = static_cast<std::ptrdiff_t>(qlin_test::to_i64(r[10]));
      cases.push_back(c);
    } else if (r[0] == "batch") {
      torch_batch b;
      const auto ndim = static_cast<std::size_t>(qlin_test::to_i64(r[1]));
      for (std::size_t d = 0; d < ndim; ++d) b.shape.push_back(static_cast<std::size_t>(qlin_test::to_i64(r[2 + d])));
      for (std::size_t i = 2 + ndim; i < r.size(); ++i) b.values.push_back(f32_from_hex(r[i]));
      cases.back().batches.push_back(b);
    } else if (r[0] == "expect") {
      torch_case& c = cases.back();
      c.channels = static_cast<std::size_t>(qlin_test::to_i64(r[1]));
      std::size_t k = 2;
      for (std::size_t i = 0; i < c.channels; ++i) c.mins.push_back(f32_from_hex(r[k++]));
      for (std::size_t i = 0; i < c.channels; ++i) c.maxs.push_back(f32_from_hex(r[k++]));
      for (std::size_t i = 0; i < c.channels; ++i) c.scales.push_back(f32_from_hex(r[k++]));
      for (std::size_t i = 0; i < c.channels; ++i) {
        if (c.scheme == "float") {
          c.float_zps.push_back(f32_from_hex(r[k++]));
        } else {
          c.zps.push_back(qlin_test::to_i32(r[k++]));
        }
      }
    }
  }
  return cases;
}

qlin::qparams_options options_of(const torch_case& c) {
  qlin::qparams_options o;
  o.type = *qlin::parse_dtype(c.dtype.c_str());
  o.scheme = c.scheme == "symmetric" ? qlin::qscheme::symmetric : qlin::qscheme::affine;
  o.range.reduce_range = c.reduce_range;
  o.range.custom = c.custom;
  o.range.quant_min = c.qmin;
  o.range.quant_max = c.qmax;
  return o;
}

template <class Observer>
void check_per_tensor(const torch_case& c, Observer& obs) {
  for (const torch_batch& b : c.batches) obs.observe(b.values.data(), b.values.size());
  REQUIRE(c.channels == 1);
  CHECK(f32_bits(obs.min()) == f32_bits(c.mins[0]));
  CHECK(f32_bits(obs.max()) == f32_bits(c.maxs[0]));
  const auto p = obs.calculate_qparams(options_of(c));
  if (!std::isfinite(c.scales[0])) {
    // torch computes max - min in float32 and gets scale = inf; qlin refuses (DESIGN.md section 2).
    CHECK(p.code() == qlin::errc::invalid_scale);
    return;
  }
  REQUIRE(p.has_value());
  CHECK(f32_bits(p->scale) == f32_bits(c.scales[0]));
  CHECK(p->zero_point == c.zps[0]);
}

template <class Observer>
void check_per_channel(const torch_case& c, Observer& obs) {
  for (const torch_batch& b : c.batches) {
    const auto l = qlin::make_channel_layout(b.shape.data(), b.shape.size(), c.axis);
    REQUIRE(l.has_value());
    REQUIRE(l->size() == b.values.size());
    REQUIRE(obs.observe(b.values.data(), *l).has_value());
  }
  REQUIRE(obs.channels() == c.channels);
  for (std::size_t i = 0; i < c.channels; ++i) {
    CHECK(f32_bits(obs.summary(i).min) == f32_bits(c.mins[i]));
    CHECK(f32_bits(obs.summary(i).max) == f32_bits(c.maxs[i]));
  }
  const qlin::qparams_options opt = options_of(c);
  if (c.scheme == "float") {
    const auto p = obs.calculate_float_qparams(opt);
    REQUIRE(p.has_value());
    for (std::size_t i = 0; i < c.channels; ++i) {
      CHECK(f32_bits(p->scales[i]) == f32_bits(c.scales[i]));
      CHECK(f32_bits(p->zero_points[i]) == f32_bits(c.float_zps[i]));
    }
  } else {
    const auto p = obs.calculate_qparams(opt);
    REQUIRE(p.has_value());
    for (std::size_t i = 0; i < c.channels; ++i) {
      CHECK(f32_bits(p->scales[i]) == f32_bits(c.scales[i]));
      CHECK(p->zero_points[i] == c.zps[i]);
    }
  }
}

// The naive reference: skip non-finite, min / max of the rest.
qlin::minmax_summary naive(const std::vector<float>& v) {
  qlin::minmax_summary s;
  for (float x : v) {
    if (std::isfinite(x)) {
      s.min = std::min(s.min, x);
      s.max = std::max(s.max, x);
      ++s.finite;
    } else {
      ++s.nonfinite;
    }
  }
  if (s.min == 0.0f) s.min = 0.0f;  // +0.0
  if (s.max == 0.0f) s.max = 0.0f;
  return s;
}

void require_same(const qlin::minmax_summary& a, const qlin::minmax_summary& b) {
  REQUIRE(f32_bits(a.min) == f32_bits(b.min));
  REQUIRE(f32_bits(a.max) == f32_bits(b.max));
  REQUIRE(a.finite == b.finite);
  REQUIRE(a.nonfinite == b.nonfinite);
}

std::vector<float> random_with_nonfinite(std::mt19937& rng, std::size_t n, double bad_fraction) {
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> v(n);
  for (float& x : v) {
    x = nd(rng);
    const double r = u(rng);
    if (r < bad_fraction / 3) {
      x = kNaN;
    } else if (r < 2 * bad_fraction / 3) {
      x = kInf;
    } else if (r < bad_fraction) {
      x = -kInf;
    }
  }
  return v;
}

}  // namespace

TEST_CASE("observers equal torch 1.13 bit for bit on finite data", "[observers][torch]") {
  const std::vector<torch_case> cases = load_torch_cases();
  REQUIRE(cases.size() > 250);
  std::size_t n_minmax = 0, n_movavg = 0, n_pc = 0, n_pcma = 0;
  for (const torch_case& c : cases) {
    INFO(c.name);
    if (c.kind == "minmax") {
      qlin::minmax_observer obs;
      check_per_tensor(c, obs);
      ++n_minmax;
    } else if (c.kind == "movavg") {
      qlin::moving_average_minmax_observer obs(c.c);
      check_per_tensor(c, obs);
      ++n_movavg;
    } else if (c.kind == "pc_minmax") {
      qlin::per_channel_minmax_observer obs;
      check_per_channel(c, obs);
      ++n_pc;
    } else if (c.kind == "pc_movavg") {
      qlin::per_channel_moving_average_minmax_observer obs(c.c);
      check_per_channel(c, obs);
      ++n_pcma;
    } else {
      FAIL("unknown kind " << c.kind);
    }
  }
  CHECK(n_minmax > 0);
  CHECK(n_movavg > 0);
  CHECK(n_pc > 0);
  CHECK(n_pcma > 0);
}

TEST_CASE("reduce_minmax skips NaN and Inf at every position and length", "[observers][nonfinite]") {
  std::mt19937 rng(1234);
  const std::size_t lengths[] = {0, 1, 2, 15, 16, 17, 31, 33, 100, 1023, 1024, 8191, 8192, 8193, 8192 * 3 + 5, 70000};
  for (std::size_t n : lengths) {
    for (double bad : {0.0, 0.001, 0.05, 0.5, 1.0}) {
      INFO("n = " << n << ", bad fraction = " << bad);
      const std::vector<float> v = random_with_nonfinite(rng, n, bad);
      require_same(qlin::detail::reduce_minmax(v.data(), v.size()), naive(v));
      // Unaligned start.
      if (n > 1) {
        const std::vector<float> w(v.begin() + 1, v.end());
        require_same(qlin::detail::reduce_minmax(v.data() + 1, n - 1), naive(w));
      }
    }
  }
  // A single infinity in a large chunk, at the extremes of the chunk.
  for (std::size_t pos : {std::size_t{0}, std::size_t{8191}, std::size_t{8192}, std::size_t{16383}, std::size_t{16400}}) {
    std::vector<float> v(16500, 1.0f);
    v[100] = -4.0f;
    v[200] = 5.0f;
    v[pos] = (pos % 2 == 0) ? -kInf : kInf;
    const qlin::minmax_summary s = qlin::detail::reduce_minmax(v.data(), v.size());
    REQUIRE(s.min == -4.0f);
    REQUIRE(s.max == 5.0f);
    REQUIRE(s.nonfinite == 1);
    REQUIRE(s.finite == v.size() - 1);
  }
}

TEST_CASE("observers skip and count non-finite values (qlin's rule, not torch's)", "[observers][nonfinite]") {
  const std::vector<float> b1 = {1.0f, kNaN, -2.0f, kInf, 3.0f, -kInf};
  qlin::minmax_observer mm;
  mm.observe(b1.data(), b1.size());
  CHECK(mm.min() == -2.0f);
  CHECK(mm.max() == 3.0f);
  CHECK(mm.finite_count() == 3);
  CHECK(mm.nonfinite_count() == 3);
  // Hand-computed: uint8 affine over [-2, 3]: scale = 5/255, zp = 0 - round(-2 / scale) = 102.
  qlin::qparams_options u8;
  u8.type = qlin::dtype::uint8;
  const auto p = mm.calculate_qparams(u8);
  REQUIRE(p.has_value());
  CHECK(p->scale == 5.0f / 255.0f);
  CHECK(p->zero_point == 102);

  // A batch of only non-finite values changes nothing but the count.
  const std::vector<float> bad = {kNaN, kInf, -kInf, kNaN};
  qlin::moving_average_minmax_observer ma(0.5f);
  ma.observe(bad.data(), bad.size());
  CHECK_FALSE(ma.has_range());
  CHECK(ma.nonfinite_count() == 4);
  CHECK(ma.calculate_qparams().code() == qlin::errc::no_finite_values);
  // The first batch with a finite value sets the range...
  ma.observe(b1.data(), b1.size());
  CHECK(ma.min() == -2.0f);
  CHECK(ma.max() == 3.0f);
  // ... the next moves it halfway (c = 0.5): min -2 + 0.5 * (0 - -2) = -1, max 3 + 0.5 * (5 - 3) = 4.
  const std::vector<float> b2 = {kNaN, 0.0f, 5.0f, kInf};
  ma.observe(b2.data(), b2.size());
  CHECK(ma.min() == -1.0f);
  CHECK(ma.max() == 4.0f);
  ma.observe(bad.data(), bad.size());  // skipped, not averaged in
  CHECK(ma.min() == -1.0f);
  CHECK(ma.max() == 4.0f);
  CHECK(ma.nonfinite_count() == 3 + 2 + 4 + 4);
  CHECK(ma.finite_count() == 5);
}

TEST_CASE("observers without finite values refuse to give parameters", "[observers][errors]") {
  qlin::minmax_observer mm;
  CHECK(mm.calculate_qparams().code() == qlin::errc::no_finite_values);
  CHECK(mm.calculate_float_qparams().code() == qlin::errc::no_finite_values);
  CHECK(mm.range().code() == qlin::errc::no_finite_values);
  const float nan1[] = {kNaN};
  mm.observe(nan1, 1);
  CHECK(mm.calculate_qparams().code() == qlin::errc::no_finite_values);
  mm.observe(nan1, 0);  // empty: nothing
  CHECK(mm.nonfinite_count() == 1);

  qlin::per_channel_minmax_observer pc;
  CHECK(pc.calculate_qparams().code() == qlin::errc::no_finite_values);
  // Channel 1 sees only NaN / Inf: the whole call fails.
  const float data[] = {1.0f, kNaN, 2.0f, kInf, -1.0f, -kInf};  // [3][2]
  REQUIRE(pc.observe(data, 3, 2, 1).has_value());
  CHECK(pc.summary(0).min == -1.0f);
  CHECK(pc.summary(0).max == 2.0f);
  CHECK(pc.summary(1).nonfinite == 3);
  CHECK(pc.calculate_qparams().code() == qlin::errc::no_finite_values);
  CHECK(pc.calculate_float_qparams().code() == qlin::errc::no_finite_values);
  const float more[] = {0.0f, 7.0f};
  REQUIRE(pc.observe(more, 1, 2, 1).has_value());
  const auto p = pc.calculate_qparams();
  REQUIRE(p.has_value());
  CHECK(pc.nonfinite_count() == 3);

  qlin::per_channel_moving_average_minmax_observer pma(0.5f);
  REQUIRE(pma.observe(data, 3, 2, 1).has_value());
  CHECK_FALSE(pma.summary(1).has_range());
  REQUIRE(pma.observe(more, 1, 2, 1).has_value());
  // Channel 0 averages: min -1 + 0.5 * (0 - -1) = -0.5, max 2 + 0.5 * (0 - 2) = 1; channel 1 takes 7.
  CHECK(pma.summary(0).min == -0.5f);
  CHECK(pma.summary(0).max == 1.0f);
  CHECK(pma.summary(1).min == 7.0f);
  CHECK(pma.summary(1).max == 7.0f);
}

TEST_CASE("observers: empty batches, zeros, option errors", "[observers]") {
  qlin::minmax_observer mm;
  mm.observe(nullptr, 0);
  CHECK_FALSE(mm.has_range());
  CHECK(mm.nonfinite_count() == 0);
  const float negzero[] = {-0.0f, -0.0f};
  mm.observe(negzero, 2);
  CHECK(f32_bits(mm.min()) == 0u);  // stored as +0.0
  CHECK(f32_bits(mm.max()) == 0u);
  const auto p = mm.calculate_qparams();
  REQUIRE(p.has_value());
  CHECK(p->scale == FLT_EPSILON);

  qlin::per_channel_minmax_observer pc;
  CHECK(pc.observe(nullptr, 0, 4, 3).has_value());
  CHECK(pc.observe(nullptr, 2, 0, 3).has_value());
  CHECK(pc.channels() == 0);
  const float d[] = {1, 2, 3, 4, 5, 6};
  REQUIRE(pc.observe(d, 1, 3, 2).has_value());
  CHECK(pc.channels() == 3);
  const auto before = pc.summaries();
  CHECK(pc.observe(d, 1, 2, 3).code() == qlin::errc::invalid_argument);
  CHECK(pc.summaries().size() == before.size());
  for (std::size_t c = 0; c < 3; ++c) require_same(pc.summary(c), before[c]);
  CHECK(pc.summary(2).min == 5.0f);
  CHECK(pc.summary(2).max == 6.0f);

  // Symmetric uint8 with reduce_range: torch raises, qlin refuses.
  qlin::qparams_options o;
  o.type = qlin::dtype::uint8;
  o.scheme = qlin::qscheme::symmetric;
  o.range.reduce_range = true;
  CHECK(mm.calculate_qparams(o).code() == qlin::errc::unsupported);

  CHECK(qlin::moving_average_minmax_observer::make(1.5f).code() == qlin::errc::invalid_argument);
  CHECK(qlin::moving_average_minmax_observer::make(-0.1f).code() == qlin::errc::invalid_argument);
  CHECK(qlin::moving_average_minmax_observer::make(kNaN).code() == qlin::errc::invalid_argument);
  CHECK(qlin::per_channel_moving_average_minmax_observer::make(2.0f).code() == qlin::errc::invalid_argument);
  REQUIRE(qlin::moving_average_minmax_observer::make(0.25f).has_value());
  CHECK(qlin::moving_average_minmax_observer().averaging_constant() == 0.01f);
}

TEST_CASE("moving average stays finite where float32 would overflow", "[observers]") {
  qlin::moving_average_minmax_observer ma(0.5f);
  const float a[] = {-3.0e38f, -2.9e38f};
  const float b[] = {3.0e38f, 3.2e38f};
  ma.observe(a, 2);
  ma.observe(b, 2);  // min: -3e38 + 0.5 * (3e38 - -3e38) overflows in float32
  REQUIRE(std::isfinite(ma.min()));
  REQUIRE(std::isfinite(ma.max()));
  CHECK(ma.min() == 0.0f);
  CHECK(ma.max() == static_cast<float>((static_cast<double>(-2.9e38f) + static_cast<double>(3.2e38f)) / 2));
}

TEST_CASE("make_channel_layout", "[observers]") {
  const std::size_t shape[] = {2, 3, 4, 5};
  auto l = qlin::make_channel_layout(shape, 4, 0);
  REQUIRE(l.has_value());
  CHECK((l->outer == 1 && l->channels == 2 && l->inner == 60));
  l = qlin::make_channel_layout(shape, 4, 2);
  CHECK((l->outer == 6 && l->channels == 4 && l->inner == 5));
  l = qlin::make_channel_layout(shape, 4, -1);
  CHECK((l->outer == 24 && l->channels == 5 && l->inner == 1));
  l = qlin::make_channel_layout(shape, 4, -4);
  CHECK((l->outer == 1 && l->channels == 2));
  CHECK(qlin::make_channel_layout(shape, 4, 4).code() == qlin::errc::invalid_argument);
  CHECK(qlin::make_channel_layout(shape, 4, -5).code() == qlin::errc::invalid_argument);
  CHECK(qlin::make_channel_layout(shape, 0, 0).code() == qlin::errc::invalid_argument);
  const std::size_t huge[] = {std::size_t{1} << 40, std::size_t{1} << 40};
  CHECK(qlin::make_channel_layout(huge, 2, 0).code() == qlin::errc::invalid_argument);
}

TEST_CASE("merged min/max observers equal one pass over all shards", "[observers][merge]") {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 20; ++trial) {
    const std::vector<float> all = random_with_nonfinite(rng, 5000 + static_cast<std::size_t>(trial) * 1000, trial % 3 == 0 ? 0.01 : 0.0);
    // Random cut points.
    std::vector<std::size_t> cuts = {0, all.size()};
    std::uniform_int_distribution<std::size_t> pick(0, all.size());
    for (int k = 0; k < 6; ++k) cuts.push_back(pick(rng));
    std::sort(cuts.begin(), cuts.end());
    qlin::minmax_observer one;
    one.observe(all.data(), all.size());
    std::vector<qlin::minmax_observer> shards(cuts.size() - 1);
    for (std::size_t s = 0; s + 1 < cuts.size(); ++s) shards[s].observe(all.data() + cuts[s], cuts[s + 1] - cuts[s]);
    // Merge in a shuffled order, through serialization for good measure.
    std::shuffle(shards.begin(), shards.end(), rng);
    qlin::minmax_observer merged;
    for (const auto& s : shards) {
      const auto back = qlin::minmax_observer::deserialize(s.serialize());
      REQUIRE(back.has_value());
      REQUIRE(merged.merge(*back).has_value());
    }
    require_same(merged.summary(), one.summary());

    // Per channel: shards along the outer dimension, channels last and in the middle.
    for (std::size_t inner : {std::size_t{1}, std::size_t{5}}) {
      const std::size_t C = 4;
      const std::size_t outer = all.size() / (C * inner);
      qlin::per_channel_minmax_observer pone;
      REQUIRE(pone.observe(all.data(), outer, C, inner).has_value());
      qlin::per_channel_minmax_observer a, b, c3;
      const std::size_t o1 = outer / 3, o2 = outer / 2;
      REQUIRE(a.observe(all.data(), o1, C, inner).has_value());
      REQUIRE(b.observe(all.data() + o1 * C * inner, o2 - o1, C, inner).has_value());
      REQUIRE(c3.observe(all.data() + o2 * C * inner, outer - o2, C, inner).has_value());
      qlin::per_channel_minmax_observer m;
      REQUIRE(m.merge(c3).has_value());
      REQUIRE(m.merge(a).has_value());
      REQUIRE(m.merge(b).has_value());
      REQUIRE(m.channels() == C);
      for (std::size_t ch = 0; ch < C; ++ch) require_same(m.summary(ch), pone.summary(ch));
      // The per-channel result equals the per-tensor reduction of each channel's values.
      for (std::size_t ch = 0; ch < C; ++ch) {
        std::vector<float> vals;
        for (std::size_t o = 0; o < outer; ++o) {
          for (std::size_t i = 0; i < inner; ++i) vals.push_back(all[(o * C + ch) * inner + i]);
        }
        require_same(pone.summary(ch), naive(vals));
      }
      qlin::per_channel_minmax_observer other(C + 1);
      const std::vector<float> z(C + 1, 0.0f);
      REQUIRE(other.observe(z.data(), 1, C + 1, 1).has_value());
      CHECK(m.merge(other).code() == qlin::errc::invalid_argument);
    }
  }
}

TEST_CASE("moving-average merge applies the other state as one more batch", "[observers][merge]") {
  const float b1[] = {-1.0f, 2.0f};
  const float b2[] = {-3.0f, 6.0f};
  qlin::moving_average_minmax_observer a(0.25f), b(0.25f), seq(0.25f);
  a.observe(b1, 2);
  b.observe(b2, 2);
  REQUIRE(a.merge(b).has_value());
  seq.observe(b1, 2);
  seq.observe(b2, 2);
  require_same(a.summary(), seq.summary());
  CHECK(a.min() == -1.5f);
  CHECK(a.max() == 3.0f);
  qlin::moving_average_minmax_observer empty(0.25f), fresh(0.25f);
  REQUIRE(fresh.merge(b).has_value());  // an empty observer adopts the other's range
  require_same(fresh.summary(), b.summary());
  REQUIRE(a.merge(empty).has_value());  // merging nothing changes nothing
  CHECK(a.min() == -1.5f);
  qlin::moving_average_minmax_observer other_c(0.5f);
  CHECK(a.merge(other_c).code() == qlin::errc::invalid_argument);

  qlin::per_channel_moving_average_minmax_observer pa(0.25f), pb(0.25f), pseq(0.25f);
  const float r1[] = {-1.0f, 2.0f, 0.5f, 1.0f};  // [2][2]
  const float r2[] = {-3.0f, 6.0f, 0.0f, 2.0f};
  REQUIRE(pa.observe(r1, 2, 2, 1).has_value());
  REQUIRE(pb.observe(r2, 2, 2, 1).has_value());
  REQUIRE(pa.merge(pb).has_value());
  REQUIRE(pseq.observe(r1, 2, 2, 1).has_value());
  REQUIRE(pseq.observe(r2, 2, 2, 1).has_value());
  for (std::size_t c = 0; c < 2; ++c) require_same(pa.summary(c), pseq.summary(c));
  qlin::per_channel_moving_average_minmax_observer pc(0.5f);
  CHECK(pa.merge(pc).code() == qlin::errc::invalid_argument);
}

namespace {

template <class Observer>
void check_round_trip_and_corruption(const Observer& obs) {
  const std::vector<std::uint8_t> bytes = obs.serialize();
  REQUIRE(bytes.size() >= 8);
  CHECK(std::memcmp(bytes.data(), "QLOB", 4) == 0);
  CHECK(bytes[4] == 1);
  CHECK(bytes[5] == 0);
  CHECK(bytes[6] == static_cast<std::uint8_t>(Observer::kind));
  const auto back = Observer::deserialize(bytes);
  REQUIRE(back.has_value());
  CHECK(back->serialize() == bytes);
  // Every truncation.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n);
    CHECK(Observer::deserialize(bytes.data(), n).code() == qlin::errc::corrupt_data);
  }
  CHECK(Observer::deserialize(nullptr, 0).code() == qlin::errc::corrupt_data);
  // A trailing byte.
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  CHECK(Observer::deserialize(longer).code() == qlin::errc::corrupt_data);
  // Header fields.
  for (std::size_t i : {std::size_t{0}, std::size_t{3}, std::size_t{4}, std::size_t{5}, std::size_t{6}, std::size_t{7}}) {
    std::vector<std::uint8_t> bad = bytes;
    bad[i] ^= 0x40;
    CHECK(Observer::deserialize(bad).code() == qlin::errc::corrupt_data);
  }
  // Every single-byte change either loads a valid observer or is refused; never a crash.
  for (std::size_t i = 8; i < bytes.size(); ++i) {
    for (std::uint8_t x : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      std::vector<std::uint8_t> bad = bytes;
      bad[i] = static_cast<std::uint8_t>(bad[i] ^ x);
      const auto r = Observer::deserialize(bad);
      if (!r) CHECK(r.code() == qlin::errc::corrupt_data);
    }
  }
}

}  // namespace

TEST_CASE("observer states serialize, load back, and refuse corrupt bytes", "[observers][serialize]") {
  const float data[] = {-1.5f, 2.25f, kNaN, 0.125f, 7.0f, -kInf};
  qlin::minmax_observer mm;
  check_round_trip_and_corruption(mm);
  mm.observe(data, 6);
  check_round_trip_and_corruption(mm);
  qlin::moving_average_minmax_observer ma(0.125f);
  check_round_trip_and_corruption(ma);
  ma.observe(data, 6);
  ma.observe(data + 1, 4);
  check_round_trip_and_corruption(ma);
  CHECK(qlin::moving_average_minmax_observer::deserialize(ma.serialize())->averaging_constant() == 0.125f);
  qlin::per_channel_minmax_observer pc;
  check_round_trip_and_corruption(pc);
  REQUIRE(pc.observe(data, 3, 2, 1).has_value());
  check_round_trip_and_corruption(pc);
  qlin::per_channel_moving_average_minmax_observer pma(0.5f);
  REQUIRE(pma.observe(data, 1, 3, 2).has_value());
  check_round_trip_and_corruption(pma);

  // Kinds are not interchangeable.
  CHECK(qlin::moving_average_minmax_observer::deserialize(mm.serialize()).code() == qlin::errc::corrupt_data);
  CHECK(qlin::minmax_observer::deserialize(pc.serialize()).code() == qlin::errc::corrupt_data);

  // Inconsistent states.
  auto patch_f32 = [](std::vector<std::uint8_t> b, std::size_t at, float v) {
    std::uint32_t u = f32_bits(v);
    for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(u >> (8 * i));
    return b;
  };
  const std::vector<std::uint8_t> good = mm.serialize();  // min at 8, max at 12
  CHECK(qlin::minmax_observer::deserialize(patch_f32(good, 8, 9.0f)).code() == qlin::errc::corrupt_data);  // min > max
  CHECK(qlin::minmax_observer::deserialize(patch_f32(good, 8, kNaN)).code() == qlin::errc::corrupt_data);
  CHECK(qlin::minmax_observer::deserialize(patch_f32(good, 12, kInf)).code() == qlin::errc::corrupt_data);
  qlin::minmax_observer fresh;
  CHECK(qlin::minmax_observer::deserialize(patch_f32(fresh.serialize(), 8, 1.0f)).code() == qlin::errc::corrupt_data);
  // A huge channel count with few bytes: refused before allocating.
  std::vector<std::uint8_t> pcb = pc.serialize();
  for (std::size_t i = 8; i < 16; ++i) pcb[i] = 0xff;
  CHECK(qlin::per_channel_minmax_observer::deserialize(pcb).code() == qlin::errc::corrupt_data);
  // An out-of-range averaging constant.
  CHECK(qlin::moving_average_minmax_observer::deserialize(patch_f32(ma.serialize(), 8, 2.0f)).code() == qlin::errc::corrupt_data);
}
