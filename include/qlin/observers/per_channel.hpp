// observers/per_channel.hpp: PyTorch's PerChannelMinMaxObserver and
// MovingAveragePerChannelMinMaxObserver.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// A batch is a tensor viewed as [outer][channels][inner] (row-major): the channel axis K of a
// shape (d0, ..., dn-1) gives outer = d0 * ... * d(K-1), channels = dK, inner = d(K+1) * ... * d(n-1);
// make_channel_layout() computes that. Each channel keeps its own running range, updated exactly as
// the per-tensor observers of minmax.hpp update theirs (torch 1.13 swaps the channel axis to the
// front, flattens the rest and takes aminmax(dim=1); the min / max of a set does not depend on
// the order, so the result is the same):
//
//   per_channel_minmax_observer:                  min[c] <- min(min[c], batch_min[c]) ...
//   per_channel_moving_average_minmax_observer:   the first batch with a finite value in
//                                                 channel c sets it, later ones move it by c
//
// Non-finite values are skipped and counted per channel. A channel that has seen no finite value
// makes calculate_qparams() fail with errc::no_finite_values. The number of channels is fixed by
// the constructor or, if constructed with 0, by the first non-empty batch; a batch with another
// number of channels is refused (errc::invalid_argument) and changes nothing. An empty batch
// (outer, channels or inner 0) does nothing.
//
// Merging: channel counts must agree (an observer that has seen nothing adopts the other's).
// per_channel_minmax_observer::merge is exact and order-independent; the moving-average merge
// applies the other's ranges as one more batch (order-dependent), as in minmax.hpp.
//
// Serialized state (after the 8-byte header of serialize.hpp):
//   per_channel_minmax:                 u64 channels, then per channel: f32 min, f32 max,
//                                       u64 finite_count, u64 nonfinite_count
//   per_channel_moving_average_minmax:  f32 averaging_constant, then the same
#ifndef QLIN_OBSERVERS_PER_CHANNEL_HPP_
#define QLIN_OBSERVERS_PER_CHANNEL_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../params.hpp"
#include "../result.hpp"
#include "minmax.hpp"
#include "reduce.hpp"
#include "serialize.hpp"

namespace qlin {

/// A tensor seen as [outer][channels][inner], row-major.
struct channel_layout {
  /// Product of the dimensions before the channel axis.
  std::size_t outer = 1;
  /// Number of channels (the size of the channel axis).
  std::size_t channels = 0;
  /// Product of the dimensions after the channel axis.
  std::size_t inner = 1;

  /// Number of elements: outer * channels * inner.
  std::size_t size() const noexcept { return outer * channels * inner; }
};

/// The layout of a row-major tensor of shape shape[0..ndim) with the channel axis `axis`
/// (negative counts from the end, as in Python). errc::invalid_argument for ndim == 0, an axis
/// out of range, or an element count that overflows size_t.
inline result<channel_layout> make_channel_layout(const std::size_t* shape, std::size_t ndim, std::ptrdiff_t axis) noexcept {
  if (ndim == 0 || shape == nullptr) return fail(errc::invalid_argument, "a per-channel axis needs a tensor of rank >= 1");
  const auto rank = static_cast<std::ptrdiff_t>(ndim);
  if (axis < -rank || axis >= rank) return fail(errc::invalid_argument, "the channel axis is out of range");
  const auto k = static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
  channel_layout l;
  std::size_t total = 1;
  bool zero = false;
  for (std::size_t d = 0; d < ndim; ++d) {
    if (shape[d] == 0) zero = true;
    if (!zero && shape[d] != 0 && total > std::numeric_limits<std::size_t>::max() / shape[d]) {
      return fail(errc::invalid_argument, "the tensor's element count overflows size_t");
    }
    if (!zero) total *= shape[d];
    if (d < k) l.outer *= shape[d];
    if (d > k) l.inner *= shape[d];
  }
  l.channels = shape[k];
  return l;
}

namespace detail {

/// Per-channel finite min / max / counts of one batch, written to out[0..channels).
inline void reduce_minmax_channels(const float* data, const channel_layout& l, std::vector<minmax_summary>& out) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  const std::size_t C = l.channels;
  out.assign(C, minmax_summary{});
  if (l.inner == 1) {
    // Channels are contiguous: vectorize across them, row by row.
    std::vector<float> mn(C, inf);
    std::vector<float> mx(C, -inf);
    std::vector<std::uint64_t> bad(C, 0);
    float* pmn = mn.data();
    float* pmx = mx.data();
    std::uint64_t* pbad = bad.data();
    for (std::size_t o = 0; o < l.outer; ++o) {
      const float* row = data + o * C;
      for (std::size_t c = 0; c < C; ++c) {
        const float x = row[c];
        const bool fin = (x - x) == 0.0f;
        const float lo = fin ? x : inf;
        const float hi = fin ? x : -inf;
        pmn[c] = lo < pmn[c] ? lo : pmn[c];
        pmx[c] = hi > pmx[c] ? hi : pmx[c];
        pbad[c] += fin ? 0u : 1u;
      }
    }
    for (std::size_t c = 0; c < C; ++c) {
      out[c].min = canonical_zero(mn[c]);
      out[c].max = canonical_zero(mx[c]);
      out[c].nonfinite = bad[c];
      out[c].finite = static_cast<std::uint64_t>(l.outer) - bad[c];
    }
    return;
  }
  for (std::size_t o = 0; o < l.outer; ++o) {
    for (std::size_t c = 0; c < C; ++c) {
      combine(out[c], reduce_minmax(data + (o * C + c) * l.inner, l.inner));
    }
  }
}

inline void write_channels(byte_writer& w, const std::vector<minmax_summary>& s) {
  w.u64(static_cast<std::uint64_t>(s.size()));
  for (const minmax_summary& c : s) write_summary(w, c);
}

inline bool read_channels(byte_reader& r, std::vector<minmax_summary>& s, bool ordered) {
  constexpr std::size_t per_channel = 4 + 4 + 8 + 8;
  const std::uint64_t n = r.u64();
  if (!r.ok() || n > r.remaining() / per_channel || r.remaining() != n * per_channel) return false;
  s.assign(static_cast<std::size_t>(n), minmax_summary{});
  for (minmax_summary& c : s) {
    if (!read_summary(r, c, ordered)) return false;
  }
  return true;
}

/// Shared by the per-channel observers.
class per_channel_base {
 public:
  /// The number of channels (0 until fixed by the constructor or the first non-empty batch).
  std::size_t channels() const noexcept { return state_.size(); }
  /// Channel c's running state.
  const minmax_summary& summary(std::size_t c) const noexcept {
    QLIN_ASSERT(c < state_.size());
    return state_[c];
  }
  const std::vector<minmax_summary>& summaries() const noexcept { return state_; }
  /// The running minima / maxima (+Inf / -Inf for channels without a finite value).
  std::vector<float> mins() const {
    std::vector<float> v(state_.size());
    for (std::size_t c = 0; c < v.size(); ++c) v[c] = state_[c].min;
    return v;
  }
  std::vector<float> maxs() const {
    std::vector<float> v(state_.size());
    for (std::size_t c = 0; c < v.size(); ++c) v[c] = state_[c].max;
    return v;
  }
  /// Non-finite values skipped, over all channels.
  std::uint64_t nonfinite_count() const noexcept {
    std::uint64_t n = 0;
    for (const minmax_summary& c : state_) n += c.nonfinite;
    return n;
  }
  /// OK when every channel has a finite range (and there is at least one channel).
  status check_ranges() const noexcept {
    if (state_.empty()) return fail(errc::no_finite_values, "the per-channel observer has seen no data");
    for (const minmax_summary& c : state_) {
      if (!c.has_range()) return fail(errc::no_finite_values, "a channel has seen no finite value");
    }
    return ok();
  }

  /// Per-channel scale and zero point (qlin::choose_qparams_per_channel with `opt`).
  result<per_channel_params> calculate_qparams(const qparams_options& opt = {}) const {
    const status s = check_ranges();
    if (!s) return s.error();
    const std::vector<float> lo = mins();
    const std::vector<float> hi = maxs();
    return choose_qparams_per_channel(lo.data(), hi.data(), lo.size(), opt);
  }

  /// PyTorch's per_channel_affine_float_qparams (qlin::choose_float_qparams_per_channel).
  result<per_channel_float_params> calculate_float_qparams(const qparams_options& opt = {}) const {
    const status s = check_ranges();
    if (!s) return s.error();
    const std::vector<float> lo = mins();
    const std::vector<float> hi = maxs();
    return choose_float_qparams_per_channel(lo.data(), hi.data(), lo.size(), opt);
  }

 protected:
  per_channel_base() = default;
  explicit per_channel_base(std::size_t channels) : state_(channels) {}

  /// Reduces a batch into batch_; false (and nothing changed) on a channel-count mismatch.
  status reduce_batch(const float* data, const channel_layout& l) {
    if (l.channels != state_.size() && !state_.empty()) {
      return fail(errc::invalid_argument, "the batch's channel count differs from the observer's");
    }
    reduce_minmax_channels(data, l, batch_);
    if (state_.empty()) state_.assign(l.channels, minmax_summary{});
    return ok();
  }
  status check_merge(const per_channel_base& other) {
    if (other.state_.empty()) return ok();
    if (state_.empty()) {
      state_.assign(other.state_.size(), minmax_summary{});
      return ok();
    }
    if (other.state_.size() != state_.size()) {
      return fail(errc::invalid_argument, "cannot merge per-channel observers with different channel counts");
    }
    return ok();
  }

  std::vector<minmax_summary> state_;
  std::vector<minmax_summary> batch_;  // scratch, reused between batches
};

}  // namespace detail

/// PyTorch's PerChannelMinMaxObserver.
class per_channel_minmax_observer : public detail::per_channel_base {
 public:
  /// The kind stored in the serialized header.
  static constexpr observer_kind kind = observer_kind::per_channel_minmax;

  /// channels == 0: fixed by the first non-empty batch.
  explicit per_channel_minmax_observer(std::size_t channels = 0) : per_channel_base(channels) {}

  /// Observes one batch laid out as [outer][channels][inner].
  status observe(const float* data, const channel_layout& l) {
    if (l.outer == 0 || l.channels == 0 || l.inner == 0) return ok();
    const status s = reduce_batch(data, l);
    if (!s) return s;
    for (std::size_t c = 0; c < state_.size(); ++c) detail::combine(state_[c], batch_[c]);
    return ok();
  }
  /// observe() with the layout given as three sizes.
  status observe(const float* data, std::size_t outer, std::size_t channels, std::size_t inner) {
    return observe(data, channel_layout{outer, channels, inner});
  }

  /// Exact and order-independent; errc::invalid_argument on different channel counts.
  status merge(const per_channel_minmax_observer& other) {
    const status s = check_merge(other);
    if (!s || other.state_.empty()) return s;
    for (std::size_t c = 0; c < state_.size(); ++c) detail::combine(state_[c], other.state_[c]);
    return ok();
  }

  /// Forgets everything observed; keeps the channel count.
  void reset() { state_.assign(state_.size(), minmax_summary{}); }

  /// The state as bytes (serialize.hpp).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    detail::write_channels(w, state_);
    return w.take();
  }
  /// Restores a state written by serialize(); errc::corrupt_data for anything else.
  static result<per_channel_minmax_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind)) return detail::corrupt("not a serialized per_channel_minmax_observer (bad magic, version or kind, or truncated)");
    per_channel_minmax_observer o;
    if (!detail::read_channels(r, o.state_, true) || !r.done()) {
      return detail::corrupt("corrupt or truncated per_channel_minmax_observer state");
    }
    return o;
  }
  /// deserialize() of a byte vector.
  static result<per_channel_minmax_observer> deserialize(const std::vector<std::uint8_t>& bytes) {
    return deserialize(bytes.data(), bytes.size());
  }
};

/// PyTorch's MovingAveragePerChannelMinMaxObserver.
class per_channel_moving_average_minmax_observer : public detail::per_channel_base {
 public:
  /// The kind stored in the serialized header.
  static constexpr observer_kind kind = observer_kind::per_channel_moving_average_minmax;
  /// PyTorch's default averaging constant (MovingAveragePerChannelMinMaxObserver).
  static constexpr float default_averaging_constant = 0.01f;

  /// Precondition (checked in debug builds): 0 <= averaging_constant <= 1; see make().
  explicit per_channel_moving_average_minmax_observer(float averaging_constant = default_averaging_constant,
                                                      std::size_t channels = 0)
      : per_channel_base(channels), c_(averaging_constant) {
    QLIN_ASSERT(detail::valid_averaging_constant(averaging_constant));
  }

  /// errc::invalid_argument unless 0 <= averaging_constant <= 1.
  static result<per_channel_moving_average_minmax_observer> make(float averaging_constant, std::size_t channels = 0) {
    if (!detail::valid_averaging_constant(averaging_constant)) {
      return fail(errc::invalid_argument, "the averaging constant must lie in [0, 1]");
    }
    return per_channel_moving_average_minmax_observer(averaging_constant, channels);
  }

  /// The averaging constant c of min = min + c * (batch_min - min), per channel.
  float averaging_constant() const noexcept { return c_; }

  /// Observes one batch laid out as [outer][channels][inner].
  status observe(const float* data, const channel_layout& l) {
    if (l.outer == 0 || l.channels == 0 || l.inner == 0) return ok();
    const status s = reduce_batch(data, l);
    if (!s) return s;
    for (std::size_t c = 0; c < state_.size(); ++c) detail::moving_average_update(state_[c], batch_[c], c_);
    return ok();
  }
  /// observe() with the layout given as three sizes.
  status observe(const float* data, std::size_t outer, std::size_t channels, std::size_t inner) {
    return observe(data, channel_layout{outer, channels, inner});
  }

  /// Applies the other's ranges as one more batch (order-dependent). errc::invalid_argument on
  /// different channel counts or averaging constants.
  status merge(const per_channel_moving_average_minmax_observer& other) {
    if (std::memcmp(&c_, &other.c_, sizeof c_) != 0) {
      return fail(errc::invalid_argument, "cannot merge moving-average observers with different averaging constants");
    }
    const status s = check_merge(other);
    if (!s || other.state_.empty()) return s;
    for (std::size_t c = 0; c < state_.size(); ++c) detail::moving_average_update(state_[c], other.state_[c], c_);
    return ok();
  }

  /// Forgets every batch (the number of channels and the averaging constant stay).
  void reset() { state_.assign(state_.size(), minmax_summary{}); }

  /// The state as bytes (serialize.hpp).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    w.f32(c_);
    detail::write_channels(w, state_);
    return w.take();
  }
  /// Restores a state written by serialize(); errc::corrupt_data for anything else.
  static result<per_channel_moving_average_minmax_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind)) {
      return detail::corrupt("not a serialized per_channel_moving_average_minmax_observer (bad magic, version or kind, or truncated)");
    }
    const float c = r.f32();
    if (!r.ok() || !detail::valid_averaging_constant(c)) return detail::corrupt("corrupt moving-average configuration");
    per_channel_moving_average_minmax_observer o(c);
    if (!detail::read_channels(r, o.state_, false) || !r.done()) {
      return detail::corrupt("corrupt or truncated per_channel_moving_average_minmax_observer state");
    }
    return o;
  }
  /// deserialize() of a byte vector.
  static result<per_channel_moving_average_minmax_observer> deserialize(const std::vector<std::uint8_t>& bytes) {
    return deserialize(bytes.data(), bytes.size());
  }

 private:
  float c_;
};

}  // namespace qlin

#endif  // QLIN_OBSERVERS_PER_CHANNEL_HPP_
