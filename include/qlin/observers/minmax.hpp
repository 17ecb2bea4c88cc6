// observers/minmax.hpp: PyTorch's MinMaxObserver and MovingAverageMinMaxObserver, per tensor.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Both observers consume batches (pointer + length) like successive forward calls and keep a
// running range; calculate_qparams() turns it into parameters through qlin::choose_qparams (any
// preset, scheme, dtype and range option). With finite data they reproduce torch 1.13
// (torch/ao/quantization/observer.py) bit for bit:
//
//   minmax_observer:                  min <- min(min, batch_min), max <- max(max, batch_max)
//   moving_average_minmax_observer:   the first batch with a finite value sets (min, max);
//                                     later ones: min <- min + c * (batch_min - min), likewise
//                                     max, in float32 (no fused multiply-add), c = 0.01 by default
//
// Where qlin differs from torch, on purpose (DESIGN.md section 2):
// - NaN and +-Inf are skipped and counted (nonfinite_count()); torch propagates NaN into the
//   state and then asserts. A batch with no finite value changes nothing but the count.
// - An observer that has seen no finite value cannot give parameters: calculate_qparams()
//   returns errc::no_finite_values (torch warns and returns scale 1, zero point 0).
// - A zero minimum / maximum is stored as +0.0 (reduce.hpp); torch's sign of zero depends on its
//   reduction order. Only a float zero point of exactly zero can show the difference.
// - If the moving-average update overflows float (|batch_min - min| > FLT_MAX, possible only near
//   +-FLT_MAX) torch stores +-Inf; qlin recomputes that one step in double, so the state stays
//   finite and between the old value and the batch value.
//
// Empty batches (n == 0) do nothing. `data` may be unaligned; it is only read.
//
// Merging (DESIGN.md section 5): minmax_observer::merge is exact, associative and commutative:
// observers fed disjoint shards and merged in any order equal one observer fed everything.
// moving_average_minmax_observer::merge applies the other observer's range as *one more batch*
// (min <- min + c * (other.min - min)); it is order-dependent, like the moving average itself,
// and requires the same averaging constant (else errc::invalid_argument).
//
// Serialized state (after the 8-byte header of serialize.hpp):
//   minmax:                 f32 min, f32 max, u64 finite_count, u64 nonfinite_count
//   moving_average_minmax:  f32 averaging_constant, then the same four fields
// An observer that saw nothing finite stores min = +Inf, max = -Inf, finite_count = 0.
#ifndef QLIN_OBSERVERS_MINMAX_HPP_
#define QLIN_OBSERVERS_MINMAX_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../params.hpp"
#include "../result.hpp"
#include "reduce.hpp"
#include "serialize.hpp"

namespace qlin {

/// A finite observed range, min <= max.
struct observed_range {
  /// Lower end of the range.
  float min = 0.0f;
  /// Upper end of the range.
  float max = 0.0f;
};

namespace detail {

inline result<observed_range> finalize_range(const minmax_summary& s) noexcept {
  if (!s.has_range()) return fail(errc::no_finite_values, "the observer has seen no finite value");
  return observed_range{s.min, s.max};
}

inline bool valid_averaging_constant(float c) noexcept { return c >= 0.0f && c <= 1.0f; }

/// state + c * (batch - state) in float32, as torch computes it; recomputed in double if the
/// float32 result overflows (see the header comment).
inline float moving_average_step(float state, float batch, float c) noexcept {
  const float diff = batch - state;
  const float step = c * diff;
  const float next = state + step;
  if (std::isfinite(next)) return canonical_zero(next);
  const double d = static_cast<double>(state) + static_cast<double>(c) * (static_cast<double>(batch) - static_cast<double>(state));
  return canonical_zero(static_cast<float>(d));
}

/// Applies a batch summary to a moving-average state (per tensor or one channel).
inline void moving_average_update(minmax_summary& state, const minmax_summary& batch, float c) noexcept {
  state.nonfinite += batch.nonfinite;
  if (!batch.has_range()) return;
  if (!state.has_range()) {
    state.min = batch.min;
    state.max = batch.max;
  } else {
    state.min = moving_average_step(state.min, batch.min, c);
    state.max = moving_average_step(state.max, batch.max, c);
  }
  state.finite += batch.finite;
}

inline void write_summary(byte_writer& w, const minmax_summary& s) {
  w.f32(s.min);
  w.f32(s.max);
  w.u64(s.finite);
  w.u64(s.nonfinite);
}

/// Reads and validates one summary. `ordered` additionally requires min <= max (guaranteed for
/// plain min / max states; a moving average is not checked for it).
inline bool read_summary(byte_reader& r, minmax_summary& s, bool ordered) noexcept {
  constexpr float inf = std::numeric_limits<float>::infinity();
  s.min = r.f32();
  s.max = r.f32();
  s.finite = r.u64();
  s.nonfinite = r.u64();
  if (!r.ok()) return false;
  if (s.finite == 0) return s.min == inf && s.max == -inf;
  if (!std::isfinite(s.min) || !std::isfinite(s.max)) return false;
  if (ordered && s.min > s.max) return false;
  s.min = canonical_zero(s.min);
  s.max = canonical_zero(s.max);
  return true;
}

/// Shared by the per-tensor observers: the running summary and what is computed from it.
class range_observer_base {
 public:
  /// The running state: finite range and counts.
  const minmax_summary& summary() const noexcept { return state_; }
  /// True once a finite value has been observed.
  bool has_range() const noexcept { return state_.has_range(); }
  /// The running min / max (+Inf / -Inf before the first finite value).
  float min() const noexcept { return state_.min; }
  float max() const noexcept { return state_.max; }
  std::uint64_t finite_count() const noexcept { return state_.finite; }
  std::uint64_t nonfinite_count() const noexcept { return state_.nonfinite; }

  /// The observed range; errc::no_finite_values if nothing finite was seen.
  result<observed_range> range() const noexcept { return finalize_range(state_); }

  /// Scale and zero point for the observed range (qlin::choose_qparams with `opt`).
  result<quant_params> calculate_qparams(const qparams_options& opt = {}) const noexcept {
    const result<observed_range> r = range();
    if (!r) return r.error();
    return choose_qparams(r->min, r->max, opt);
  }

  /// Float-zero-point parameters (PyTorch's per_channel_affine_float_qparams formula applied to
  /// the whole tensor; qlin::choose_float_qparams with `opt`).
  result<float_quant_params> calculate_float_qparams(const qparams_options& opt = {}) const noexcept {
    const result<observed_range> r = range();
    if (!r) return r.error();
    return choose_float_qparams(r->min, r->max, opt);
  }

 protected:
  minmax_summary state_;
};

}  // namespace detail

/// PyTorch's MinMaxObserver: the running min and max of everything observed (non-finite
/// values skipped and counted).
class minmax_observer : public detail::range_observer_base {
 public:
  /// The kind stored in the serialized header.
  static constexpr observer_kind kind = observer_kind::minmax;

  minmax_observer() = default;

  /// Observes data[0..n). n == 0 does nothing.
  void observe(const float* data, std::size_t n) noexcept {
    if (n == 0) return;
    detail::combine(state_, detail::reduce_minmax(data, n));
  }

  /// Folds another observer's state in: exact, associative and commutative. Never fails.
  status merge(const minmax_observer& other) noexcept {
    detail::combine(state_, other.state_);
    return ok();
  }

  /// Forgets everything observed.
  void reset() noexcept { state_ = minmax_summary{}; }

  /// The state as bytes (serialize.hpp).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    detail::write_summary(w, state_);
    return w.take();
  }

  /// Restores a state written by serialize(); errc::corrupt_data for anything else.
  static result<minmax_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind)) return detail::corrupt("not a serialized minmax_observer (bad magic, version or kind, or truncated)");
    minmax_observer o;
    if (!detail::read_summary(r, o.state_, true) || !r.done()) {
      return detail::corrupt("corrupt or truncated minmax_observer state");
    }
    return o;
  }
  /// deserialize() of a byte vector.
  static result<minmax_observer> deserialize(const std::vector<std::uint8_t>& bytes) {
    return deserialize(bytes.data(), bytes.size());
  }
};

/// PyTorch's MovingAverageMinMaxObserver: the first batch with a finite value sets the range,
/// each later batch moves it by `averaging_constant` toward the batch's range.
class moving_average_minmax_observer : public detail::range_observer_base {
 public:
  /// The kind stored in the serialized header.
  static constexpr observer_kind kind = observer_kind::moving_average_minmax;
  /// PyTorch's default averaging constant (MovingAverageMinMaxObserver).
  static constexpr float default_averaging_constant = 0.01f;

  /// Precondition (checked in debug builds): 0 <= averaging_constant <= 1. Use make() for a
  /// constant that comes from outside the program.
  explicit moving_average_minmax_observer(float averaging_constant = default_averaging_constant) noexcept
      : c_(averaging_constant) {
    QLIN_ASSERT(detail::valid_averaging_constant(averaging_constant));
  }

  /// An observer with the given constant; errc::invalid_argument unless 0 <= c <= 1.
  static result<moving_average_minmax_observer> make(float averaging_constant) noexcept {
    if (!detail::valid_averaging_constant(averaging_constant)) {
      return fail(errc::invalid_argument, "the averaging constant must lie in [0, 1]");
    }
    return moving_average_minmax_observer(averaging_constant);
  }

  /// The averaging constant c of min = min + c * (batch_min - min).
  float averaging_constant() const noexcept { return c_; }

  /// Observes data[0..n) as one batch. n == 0 does nothing.
  void observe(const float* data, std::size_t n) noexcept {
    if (n == 0) return;
    detail::moving_average_update(state_, detail::reduce_minmax(data, n), c_);
  }

  /// Applies the other observer's range as one more batch (order-dependent; see the header
  /// comment). errc::invalid_argument if the averaging constants differ.
  status merge(const moving_average_minmax_observer& other) noexcept {
    if (std::memcmp(&c_, &other.c_, sizeof c_) != 0) {
      return fail(errc::invalid_argument, "cannot merge moving-average observers with different averaging constants");
    }
    detail::moving_average_update(state_, other.state_, c_);
    return ok();
  }

  /// Forgets every batch (the averaging constant stays).
  void reset() noexcept { state_ = minmax_summary{}; }

  /// The state as bytes (serialize.hpp).
  std::vector<std::uint8_t> serialize() const {
    detail::byte_writer w(kind);
    w.f32(c_);
    detail::write_summary(w, state_);
    return w.take();
  }

  /// Restores a state written by serialize(); errc::corrupt_data for anything else.
  static result<moving_average_minmax_observer> deserialize(const void* data, std::size_t size) {
    detail::byte_reader r(data, size);
    if (!r.header(kind)) {
      return detail::corrupt("not a serialized moving_average_minmax_observer (bad magic, version or kind, or truncated)");
    }
    const float c = r.f32();
    if (!r.ok() || !detail::valid_averaging_constant(c)) return detail::corrupt("corrupt moving-average configuration");
    moving_average_minmax_observer o(c);
    if (!detail::read_summary(r, o.state_, false) || !r.done()) {
      return detail::corrupt("corrupt or truncated moving_average_minmax_observer state");
    }
    return o;
  }
  /// deserialize() of a byte vector.
  static result<moving_average_minmax_observer> deserialize(const std::vector<std::uint8_t>& bytes) {
    return deserialize(bytes.data(), bytes.size());
  }

 private:
  float c_;
};

}  // namespace qlin

#endif  // QLIN_OBSERVERS_MINMAX_HPP_
