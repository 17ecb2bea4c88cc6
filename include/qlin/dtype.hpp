// dtype.hpp: quantized data types and their integer ranges (full, narrow, reduced, custom).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// A quantized tensor stores integers q in [qmin, qmax]. The bounds come from the data type and a
// range choice:
//
//   dtype   storage          full range        narrow            reduce_range (PyTorch)
//   int8    int8_t           [-128, 127]       [-127, 127]       [-64, 63]
//   uint8   uint8_t          [0, 255]          [1, 255]          [0, 127]
//   int16   int16_t          [-32768, 32767]   [-32767, 32767]   [-16384, 16383]
//   int4    int8_t / packed  [-8, 7]           [-7, 7]           [-4, 3]
//   uint4   uint8_t / packed [0, 15]           [1, 15]           [0, 7]
//
// - narrow raises qmin by one (TFLite's narrow_range: a symmetric signed range).
// - reduce_range floor-divides *both* ends by two, as PyTorch 1.13's calculate_qmin_qmax does
//   (Python `//`), also for custom ranges: -8..7 becomes -4..3 (torch/ao/quantization/utils.py).
//   PyTorch 1.13 ignores reduce_range for quint4x2 (always 0..15); qlin halves every dtype alike.
// - a custom range [quant_min, quant_max] must lie inside the dtype's full range with
//   quant_min < quant_max; it replaces the full range before narrow / reduce_range apply.
//
// 4-bit values are stored two per byte, LOW NIBBLE FIRST: element 2i is bits 0..3 of byte i and
// element 2i+1 is bits 4..7. Kernels that take unpacked 4-bit values use int8_t / uint8_t.
#ifndef QLIN_DTYPE_HPP_
#define QLIN_DTYPE_HPP_

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "result.hpp"

namespace qlin {

/// The quantized data types qlin knows.
enum class dtype : std::uint8_t { int8, uint8, int16, int4, uint4 };

/// Integer bounds of a quantized range, both inclusive. Always qmin < qmax once validated.
struct qrange {
  /// Smallest code (inclusive).
  std::int32_t qmin = -128;
  /// Largest code (inclusive).
  std::int32_t qmax = 127;
  /// Equal bounds.
  friend bool operator==(const qrange& a, const qrange& b) noexcept {
    return a.qmin == b.qmin && a.qmax == b.qmax;
  }
  /// Different bounds.
  friend bool operator!=(const qrange& a, const qrange& b) noexcept { return !(a == b); }
};

/// How the range is cut from the dtype. `custom` needs both quant_min and quant_max.
struct range_options {
  bool narrow = false;        ///< qmin + 1 (TFLite narrow_range)
  bool reduce_range = false;  ///< floor-halve both ends (PyTorch reduce_range)
  bool custom = false;        ///< use [quant_min, quant_max] instead of the dtype's full range
  /// Lower bound of the custom range (used when `custom`).
  std::int32_t quant_min = 0;
  /// Upper bound of the custom range (used when `custom`).
  std::int32_t quant_max = 0;
};

/// True for the signed types: int8, int16, int4.
constexpr bool is_signed(dtype t) noexcept {
  return t == dtype::int8 || t == dtype::int16 || t == dtype::int4;
}

/// The width of a value of type t in bits: 16, 8 or 4.
constexpr int bit_width(dtype t) noexcept {
  return t == dtype::int16 ? 16 : (t == dtype::int4 || t == dtype::uint4) ? 4 : 8;
}

/// The dtype's full range, e.g. [-128, 127] for int8.
constexpr qrange full_range(dtype t) noexcept {
  switch (t) {
    case dtype::int8: return {-128, 127};
    case dtype::uint8: return {0, 255};
    case dtype::int16: return {-32768, 32767};
    case dtype::int4: return {-8, 7};
    case dtype::uint4: return {0, 15};
  }
  return {0, 0};
}

/// The name used by the command-line tool and in messages: "int8", "uint8", ...
constexpr const char* to_string(dtype t) noexcept {
  switch (t) {
    case dtype::int8: return "int8";
    case dtype::uint8: return "uint8";
    case dtype::int16: return "int16";
    case dtype::int4: return "int4";
    case dtype::uint4: return "uint4";
  }
  return "?";
}

/// Parses "int8", "uint8", "int16", "int4", "uint4".
inline result<dtype> parse_dtype(const char* name) noexcept {
  static constexpr dtype all[] = {dtype::int8, dtype::uint8, dtype::int16, dtype::int4, dtype::uint4};
  if (name != nullptr) {
    for (dtype t : all) {
      if (std::strcmp(name, to_string(t)) == 0) return t;
    }
  }
  return fail(errc::invalid_argument, "unknown dtype (expected int8, uint8, int16, int4 or uint4)");
}

namespace detail {
constexpr std::int32_t floor_div2(std::int32_t v) noexcept {
  return v >= 0 ? v / 2 : -((-v + 1) / 2);
}
}  // namespace detail

/// The range for `t` under `opt`. Errors: a custom range outside the dtype or with
/// quant_min >= quant_max (errc::invalid_range); a range that becomes empty after narrowing.
inline result<qrange> make_qrange(dtype t, const range_options& opt = {}) noexcept {
  const qrange full = full_range(t);
  qrange r = full;
  if (opt.custom) {
    if (opt.quant_min >= opt.quant_max) {
      return fail(errc::invalid_range, "quant_min must be less than quant_max");
    }
    if (opt.quant_min < full.qmin || opt.quant_max > full.qmax) {
      return fail(errc::invalid_range, "custom range lies outside the dtype's range");
    }
    r = {opt.quant_min, opt.quant_max};
  }
  if (opt.narrow) r.qmin += 1;
  if (opt.reduce_range) {
    r.qmin = detail::floor_div2(r.qmin);
    r.qmax = detail::floor_div2(r.qmax);
  }
  if (r.qmin >= r.qmax) {
    return fail(errc::invalid_range, "the range is empty after narrow / reduce_range");
  }
  return r;
}

/// Checks that [r.qmin, r.qmax] is a non-empty sub-range of the dtype's full range.
inline status validate(qrange r, dtype t) noexcept {
  const qrange full = full_range(t);
  if (r.qmin >= r.qmax) return fail(errc::invalid_range, "qmin must be less than qmax");
  if (r.qmin < full.qmin || r.qmax > full.qmax) {
    return fail(errc::invalid_range, "qmin / qmax lie outside the dtype's range");
  }
  return ok();
}

/// The storage type of a dtype when unpacked: int8_t, uint8_t or int16_t.
template <dtype T> struct storage;
/// \cond QLIN_STORAGE_SPECIALIZATIONS
template <> struct storage<dtype::int8> { using type = std::int8_t; };
template <> struct storage<dtype::uint8> { using type = std::uint8_t; };
template <> struct storage<dtype::int16> { using type = std::int16_t; };
template <> struct storage<dtype::int4> { using type = std::int8_t; };
template <> struct storage<dtype::uint4> { using type = std::uint8_t; };
/// \endcond
/// The C++ type that stores a value of dtype T (int4 / uint4: one value per int8_t / uint8_t).
template <dtype T> using storage_t = typename storage<T>::type;

/// True for the integer types qlin's kernels write: int8_t, uint8_t, int16_t.
template <class T>
constexpr bool is_quantized_storage_v = std::is_same<T, std::int8_t>::value ||
                                        std::is_same<T, std::uint8_t>::value ||
                                        std::is_same<T, std::int16_t>::value;

}  // namespace qlin

#endif  // QLIN_DTYPE_HPP_
