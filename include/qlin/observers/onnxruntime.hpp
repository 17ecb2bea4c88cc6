// observers/onnxruntime.hpp: ONNX Runtime's histogram collector for entropy (and percentile)
// calibration, the `onnxruntime` variant of the entropy observer.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// ort_histogram_observer reproduces HistogramCollector.collect_value / merge_histogram of
// microsoft/onnxruntime @ b15ffcdd9e362b9bd2e809b79b02b76611e281f1
// (onnxruntime/python/tools/quantization/calibrate.py; reference/SEMANTICS.md section 6.2) under
// numpy 1.24's type rules, batch by batch:
//   - a batch's threshold is bt = max(|min|, |max|) (float32);
//   - first batch: np.histogram(x, bins, range=(-bt, bt)); threshold th = bt (a float32);
//   - bt <= th: the batch is binned over (-th, th) with the current number of bins and added;
//   - th == 0 < bt: binned over (-bt, bt) with the current number of bins, the old counts added
//     slot by slot; th = bt;
//   - otherwise the histogram grows symmetrically: stride = 2 th / nb (double),
//     k = int((bt - th) // stride + 1) (Python floor division; the subtraction is float32 while th
//     is the float32 of the first batch, double after a growth, as numpy promotes it), nb += 2 k,
//     th = k * stride + th (double); the batch is binned over (-th, th), the old counts added at
//     [k, nb - k).
//   np.histogram's bins: edges[j] = f32(j * step + lo) in double (step = (hi - lo) / nb), the last
//   edge f32(hi) ((lo, hi) = (-th, th), or (-0.5, 0.5) when th == 0); value x goes to
//   floor(f32(f32(x - f32(lo)) * f32(nb / (hi - lo)))), moved down one if x < edges[i] and up one
//   if x >= edges[i + 1] (never past the last bin, which includes its right edge).
// NaN / +-Inf are skipped and counted (ONNX Runtime would propagate them into the range); an empty
// batch does nothing (ONNX Runtime bins it with threshold 0). A growth beyond 2^24 bins (a batch
// ~10^7 times wider than the first) returns errc::unsupported from observe() / merge() and changes
// nothing.
//
// Range selection: entropy_range(nq) runs onnxruntime_entropy_threshold (entropy.hpp) with
// num_quantized_bins = nq (ONNX Runtime's default 128; with its default 128 bins and a histogram
// that never grew, there is one candidate and the result is the observed [min, max]);
// percentile_range(P) runs onnxruntime_percentile_range (symmetric=False).
//
// merge(): identical layouts (bins and threshold) add exactly; otherwise the histogram grows as
// for a batch with the other's threshold and each of the other's bins is added at its centre
// (approximate and order-dependent; ONNX Runtime has no shard merge).
//
// Serialized state (kind 5, flavour 3; see histogram.hpp for flavours 0-2): u32 initial bins,
// u64 bins, f64 threshold, u8 threshold-is-float32, f32 min, f32 max, u64 finite, u64 nonfinite,
// bins x u64 counts. Inconsistent, truncated or trailing bytes give errc::corrupt_data.
#ifndef QLIN_OBSERVERS_ONNXRUNTIME_HPP_
#define QLIN_OBSERVERS_ONNXRUNTIME_HPP_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../params.hpp"
#include "../result.hpp"
#include "entropy.hpp"
#include "reduce.hpp"
#include "serialize.hpp"

namespace qlin {

namespace detail {

/// Python's float floor division a // b (CPython float_floor_div / numpy npy_divmod).
inline double py_floordiv(double a, double b) noexcept {
  if (b == 0.0) return a / b;
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0.0) != (mod < 0.0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, a / b);
  double fl = std::floor(div);
  if (div - fl > 0.5) fl += 1.0;
  return fl;
}

/// np.histogram's edges for nb uniform bins over (lo, hi) with float32 data (see the header).
inline std::vector<float> np_histogram_edges(double lo, double hi, std::size_t nb) {
  std::vector<float> e(nb + 1);
  const double step = (hi - lo) / static_cast<double>(nb);
  for (std::size_t j = 0; j < nb; ++j) {
    const double y = static_cast<double>(j) * step;
    e[j] = static_cast<float>(y + lo);
  }
  e[nb] = static_cast<float>(hi);
  return e;
}

}  // namespace detail

/// ONNX Runtime's HistogramCollector for entropy calibration (see the header comment).
class ort_histogram_observer {
 public:
  /// The serialized state's kind tag (flavour 3 of the histogram kind).
  static constexpr observer_kind kind = observer_kind::histogram;
  /// ONNX Runtime's create_calibrator defaults for CalibrationMethod.Entropy.
  static constexpr std::size_t default_bins = 128;
  /// ONNX Runtime's default num_quantized_bins for the entropy search.
  static constexpr std::size_t default_quantized_bins = 128;

  /// Precondition: 2 <= bins <= 2^24 (use make() for outside input).
  explicit ort_histogram_observer(std::size_t bins = default_bins) : init_bins_(bins), counts_(bins, 0) {
    QLIN_ASSERT(valid(bins));
  }
  /// Checked constructor: errc::invalid_argument unless 2 <= bins <= 2^24.
  static result<ort_histogram_observer> make(std::size_t bins) {
    if (!valid(bins)) return fail(errc::invalid_argument, "bins must lie in [2, 2^24]");
    return ort_histogram_observer(bins);
  }

  /// True once a finite value has been observed.
  bool has_range() const noexcept { return finite_ != 0; }
  /// Number of finite values observed (counted in the histogram).
  std::uint64_t finite_count() const noexcept { return finite_; }
  /// Number of NaN / +-Inf values skipped.
  std::uint64_t nonfinite_count() const noexcept { return nonfinite_; }
  /// Smallest finite value observed (meaningful when has_range()).
  float min() const noexcept { return min_; }
  /// Largest finite value observed (meaningful when has_range()).
  float max() const noexcept { return max_; }
  /// The histogram covers [-threshold, threshold] (ONNX Runtime's stored threshold).
  double threshold() const noexcept { return th_; }
  /// Current number of bins (grows with the range, symmetrically).
  std::size_t bins() const noexcept { return counts_.size(); }
  /// The bin counts, bin 0 at -threshold().
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  /// np.histogram's float32 edges of the current layout.
  std::vector<float> edges() const { return detail::np_histogram_edges(lo(), hi(), counts_.size()); }

  /// errc::unsupported (state unchanged) when the growth would need more than 2^24 bins (ONNX
  /// Runtime allocates them, or runs out of memory).
  status observe(const float* data, std::size_t n) {
    if (n == 0) return ok();
    const minmax_summary b = detail::reduce_minmax(data, n);
    if (!b.has_range()) {
      nonfinite_ += b.nonfinite;
      return ok();
    }
    const float bt = std::max(std::fabs(b.min), std::fabs(b.max));
    if (!grow(bt)) return fail(errc::unsupported, "the histogram would grow beyond 2^24 bins");
    nonfinite_ += b.nonfinite;
    const std::vector<float> e = edges();
    const auto lo_f = static_cast<float>(lo());
    const auto norm_f = static_cast<float>(static_cast<double>(counts_.size()) / (hi() - lo()));
    const std::size_t nb = counts_.size();
    for (std::size_t i = 0; i < n; ++i) {
      const float x = data[i];
      if (!std::isfinite(x)) continue;
      counts_[bin_of(x, e, lo_f, norm_f, nb)] += 1;
    }
    min_ = std::min(min_, b.min);
    max_ = std::max(max_, b.max);
    finite_ += b.finite;
    return ok();
  }

  /// See the header comment; errc::invalid_argument if the initial bin counts differ.
  status merge(const ort_histogram_observer& other) {
    if (other.init_bins_ != init_bins_) return fail(errc::invalid_argument, "cannot merge histograms with different bin counts");
    nonfinite_ += other.nonfinite_;
    if (!other.has_range()) return ok();
    if (!has_range()) {
      const std::uint64_t nf = nonfinite_;
      *this = other;
      nonfinite_ = nf;
      return ok();
    }
    if (other.counts_.size() == counts_.size() && other.th_ == th_) {
      for (std::size_t j = 0; j < counts_.size(); ++j) counts_[j] += other.counts_[j];
    } else {
      if (!grow(std::max(std::fabs(other.min_), std::fabs(other.max_)))) {
        nonfinite_ -= other.nonfinite_;
        return fail(errc::unsupported, "the histogram would grow beyond 2^24 bins");
      }
      const std::vector<float> e = edges();
      const std::vector<float> oe = other.edges();
      const auto lo_f = static_cast<float>(lo());
      const auto norm_f = static_cast<float>(static_cast<double>(counts_.size()) / (hi() - lo()));
      for (std::size_t j = 0; j < other.counts_.size(); ++j) {
        if (other.counts_[j] == 0) continue;
        const float c = std::min(std::max(oe[j] * 0.5f + oe[j + 1] * 0.5f, other.min_), other.max_);
        counts_[bin_of(c, e, lo_f, norm_f, counts_.size())] += other.counts_[j];
      }
    }
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    finite_ += other.finite_;
    return ok();
  }

  /// Back to the freshly constructed state (the initial bin count).
  void reset() {
    counts_.assign(init_bins_, 0);
    th_ = 0.0;
    th_f32_ = true;
    min_ = std::numeric_limits<float>::infinity();
    max_ = -std::numeric_limits<float>::infinity();
    finite_ = nonfinite_ = 0;
  }

  /// ONNX Runtime's entropy range (onnxruntime_entropy_threshold with num_quantized_bins = nq).
  result<threshold_range> entropy_range(std::size_t num_quantized_bins = default_quantized_bins) const {
    if (!has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
    const std::vector<double> e = edges_d();
    return onnxruntime_entropy_threshold(counts_.data(), e.data(), counts_.size(), num_quantized_bins, min_, max_);
  }
  /// Parameters for entropy_range(num_quantized_bins) (choose_qparams on the range; a symmetric
  /// scheme takes max(|lo|, |hi|)).
  result<quant_params> calculate_qparams(const qparams_options& opt = {},
                                         std::size_t num_quantized_bins = default_quantized_bins) const {
    const result<threshold_range> r = entropy_range(num_quantized_bins);
    if (!r) return r.error();
    return choose_qparams(r->lo, r->hi, opt);
  }
  /// ONNX Runtime's asymmetric percentile range.
  result<threshold_range> percentile_range(double percentile) const {
    if (!has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
    const std::vector<double> e = edges_d();
    return onnxruntime_percentile_range(counts_.data(), e.data(), counts_.size(), percentile, min_, max_);
  }

  /// The state as versioned bytes (observers/serialize.hpp).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    w.u8(3);
    w.u32(static_cast<std::uint32_t>(init_bins_));
    w.u64(counts_.size());
    w.f64(th_);
    w.u8(th_f32_ ? 1 : 0);
    w.f32(min_);
    w.f32(max_);
    w.u64(finite_);
    w.u64(nonfinite_);
    for (std::uint64_t c : counts_) w.u64(c);
    return w.take();
  }

  /// Loads serialize()'s bytes; truncated, corrupt or foreign bytes give errc::corrupt_data.
  static result<ort_histogram_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind) || r.u8() != 3) return detail::corrupt("not a serialized ort_histogram_observer");
    const std::uint32_t ib = r.u32();
    const std::uint64_t nb = r.u64();
    const double th = r.f64();
    const std::uint8_t f32 = r.u8();
    const float mn = r.f32(), mx = r.f32();
    const std::uint64_t fin = r.u64(), nonfin = r.u64();
    if (!r.ok() || !valid(ib) || nb < ib || (nb - ib) % 2 != 0 || nb > (std::uint64_t{1} << 24) ||
        r.remaining() != nb * 8u || f32 > 1) {
      return detail::corrupt("corrupt or truncated ort_histogram_observer state");
    }
    ort_histogram_observer h(ib);
    h.counts_.assign(static_cast<std::size_t>(nb), 0);
    std::uint64_t sum = 0;
    for (auto& c : h.counts_) {
      c = r.u64();
      if (c > std::numeric_limits<std::uint64_t>::max() - sum) return detail::corrupt("histogram counts overflow");
      sum += c;
    }
    if (!r.done() || sum != fin) return detail::corrupt("histogram counts disagree with the finite count");
    if (!(th >= 0.0) || !std::isfinite(th) || (f32 == 1 && static_cast<double>(static_cast<float>(th)) != th)) {
      return detail::corrupt("corrupt ort_histogram_observer threshold");
    }
    if (fin == 0) {
      if (nb != ib || th != 0.0 || f32 != 1 || !(mn == std::numeric_limits<float>::infinity()) ||
          !(mx == -std::numeric_limits<float>::infinity())) {
        return detail::corrupt("corrupt empty ort_histogram_observer state");
      }
    } else if (!std::isfinite(mn) || !std::isfinite(mx) || mn > mx ||
               static_cast<double>(std::max(std::fabs(mn), std::fabs(mx))) > th) {
      return detail::corrupt("corrupt ort_histogram_observer range");
    }
    h.th_ = th;
    h.th_f32_ = f32 == 1;
    h.min_ = mn;
    h.max_ = mx;
    h.finite_ = fin;
    h.nonfinite_ = nonfin;
    return h;
  }
  /// deserialize() of a byte vector.
  static result<ort_histogram_observer> deserialize(const std::vector<std::uint8_t>& b) { return deserialize(b.data(), b.size()); }

 private:
  static bool valid(std::uint64_t bins) noexcept { return bins >= 2 && bins <= (std::uint64_t{1} << 24); }
  double lo() const noexcept { return th_ == 0.0 ? -0.5 : -th_; }
  double hi() const noexcept { return th_ == 0.0 ? 0.5 : th_; }
  std::vector<double> edges_d() const {
    const std::vector<float> e = edges();
    return std::vector<double>(e.begin(), e.end());
  }

  static std::size_t bin_of(float x, const std::vector<float>& e, float lo_f, float norm_f, std::size_t nb) noexcept {
    const float t = (x - lo_f) * norm_f;
    std::size_t i = t > 0.0f ? static_cast<std::size_t>(std::min(t, static_cast<float>(nb))) : 0;
    if (i >= nb) i = nb - 1;
    if (x < e[i] && i > 0) --i;
    if (x >= e[i + 1] && i + 1 != nb) ++i;
    return i;
  }

  // The layout for a batch (or shard) of threshold bt (see the header comment); false (nothing
  // changed) when it would exceed 2^24 bins.
  bool grow(float bt) {
    const double b = static_cast<double>(bt);
    if (!has_range() && th_ == 0.0) {
      th_ = b;  // the first batch
      th_f32_ = true;
      return true;
    }
    if (b <= th_) return true;
    if (th_ == 0.0) {
      th_ = b;
      th_f32_ = true;
      return true;
    }
    const std::size_t nb = counts_.size();
    const double stride = 2.0 * th_ / static_cast<double>(nb);
    const double diff = th_f32_ ? static_cast<double>(bt - static_cast<float>(th_)) : b - th_;
    const double kd = detail::py_floordiv(diff, stride) + 1.0;
    if (!(kd <= static_cast<double>(((std::size_t{1} << 24) - nb) / 2))) return false;
    const auto k = static_cast<std::size_t>(kd);
    std::vector<std::uint64_t> next(nb + 2 * k, 0);
    for (std::size_t j = 0; j < nb; ++j) next[k + j] = counts_[j];
    counts_.swap(next);
    th_ = static_cast<double>(k) * stride + th_;
    th_f32_ = false;
    return true;
  }

  std::size_t init_bins_;
  std::vector<std::uint64_t> counts_;
  double th_ = 0.0;
  bool th_f32_ = true;
  float min_ = std::numeric_limits<float>::infinity();
  float max_ = -std::numeric_limits<float>::infinity();
  std::uint64_t finite_ = 0;
  std::uint64_t nonfinite_ = 0;
};

}  // namespace qlin

#endif  // QLIN_OBSERVERS_ONNXRUNTIME_HPP_
