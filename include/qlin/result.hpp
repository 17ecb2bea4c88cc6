// result.hpp: the value-or-error type every qlin parameter function returns.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// qlin never throws and never clamps bad parameters in silence: a function that can be handed
// nonsense (choose_qparams, quantize_multiplier, make_quant_params, observer finalization...)
// returns `result<T>`, which holds either a T or an `error` (a code and a static message).
// It works with -fno-exceptions: `value()` on an error is a precondition failure (checked in
// debug builds), never a throw.
//
//   auto p = qlin::choose_qparams(-1.0f, 2.0f);
//   if (!p) { std::puts(p.error().message); return; }
//   use(p->scale, p->zero_point);
#ifndef QLIN_RESULT_HPP_
#define QLIN_RESULT_HPP_

#include <type_traits>
#include <utility>

#include "config.hpp"

namespace qlin {

/// Why a parameter was refused. The numeric values are stable (they appear in serialized
/// states and in the command-line tool's messages).
enum class errc : int {
  ok = 0,
  invalid_argument = 1,         ///< an option that makes no sense (unknown dtype, bad count...)
  non_finite_input = 2,         ///< min or max (or a real multiplier) is NaN or +-Inf
  min_greater_than_max = 3,     ///< min > max
  invalid_scale = 4,            ///< scale <= 0, NaN, Inf, or a computed scale that overflowed
  zero_point_out_of_range = 5,  ///< zero point outside [qmin, qmax]
  invalid_range = 6,            ///< qmin >= qmax, or bounds outside the storage type
  unrepresentable_multiplier = 7,  ///< negative, or too large for (Q31 mantissa, shift <= 30)
  shift_out_of_range = 8,       ///< a shift outside [-31, 30]
  unsupported = 9,              ///< a combination a preset does not define (e.g. symmetric uint8 + reduce_range in pytorch mode)
  no_finite_values = 10,        ///< an observer saw nothing finite
  corrupt_data = 11,            ///< bytes that fail a format check (truncated, bad magic, bad version)
  degenerate_range = 12,        ///< min == max == 0 where the preset would produce scale 0
};

/// An error: a code and a human-readable message with static storage duration.
struct error {
  /// What went wrong; never errc::ok in an error result.
  errc code = errc::ok;
  /// A static, human-readable message.
  const char* message = "";
};

/// Either a value of type T or an `error`. T must be default-constructible.
template <class T>
class result {
 public:
  /// The type of the value.
  using value_type = T;

  /// A result holding a copy of v.
  result(const T& v) : value_(v), error_{} {}                         // NOLINT(google-explicit-constructor)
  /// A result holding v.
  result(T&& v) : value_(std::move(v)), error_{} {}                   // NOLINT(google-explicit-constructor)
  /// A result holding the error e (e.code must not be errc::ok).
  result(qlin::error e) : value_(), error_(e) { QLIN_ASSERT(e.code != errc::ok); }  // NOLINT(google-explicit-constructor)

  /// True when this holds a value.
  bool has_value() const noexcept { return error_.code == errc::ok; }
  /// has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; precondition: has_value() (checked in debug builds).
  const T& value() const& noexcept { QLIN_ASSERT(has_value()); return value_; }
  /// The value; precondition: has_value() (checked in debug builds).
  T& value() & noexcept { QLIN_ASSERT(has_value()); return value_; }
  /// The value, moved out; precondition: has_value() (checked in debug builds).
  T&& value() && noexcept { QLIN_ASSERT(has_value()); return std::move(value_); }
  /// value().
  const T& operator*() const& noexcept { return value(); }
  /// value().
  T& operator*() & noexcept { return value(); }
  /// &value().
  const T* operator->() const noexcept { return &value(); }
  /// &value().
  T* operator->() noexcept { return &value(); }

  /// The value, or `fallback` when this holds an error.
  T value_or(T fallback) const { return has_value() ? value_ : fallback; }

  /// The error (code errc::ok and an empty message when this holds a value).
  const qlin::error& error() const noexcept { return error_; }
  /// error().code.
  errc code() const noexcept { return error_.code; }

 private:
  T value_;
  qlin::error error_;
};

/// The result of an operation that has no value to return.
struct ok_t {};
/// What a function that only checks or writes through pointers returns: ok() or an error.
using status = result<ok_t>;
/// The successful status.
inline status ok() noexcept { return status(ok_t{}); }

/// Shorthand used by qlin's own functions: `return fail(errc::invalid_scale, "scale must be > 0");`
inline error fail(errc code, const char* message) noexcept { return error{code, message}; }

}  // namespace qlin

#endif  // QLIN_RESULT_HPP_
