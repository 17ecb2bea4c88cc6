// int4.hpp: 4-bit quantization (int4 / uint4), two values per byte: packing, per-tensor and per-group
// quantize / dequantize, and the W4A8 dot product (int8 activations x packed 4-bit weights). Scalar reference;
// qlin/kernels/int4.hpp holds the SIMD paths (quantize + pack, unpack, dequantize, W4A8 dot), equal to these
// bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Packing, LOW NIBBLE FIRST (as dtype.hpp states for every 4-bit dtype in qlin):
//   element 2i   is bits 0..3 of byte i,
//   element 2i+1 is bits 4..7 of byte i.
// n elements take (n + 1) / 2 bytes (packed_bytes(n)); for odd n the high nibble of the last byte is written as 0
// and ignored by every reader. A nibble holds the code's low 4 bits (two's complement for int4): -8 -> 0x8,
// -1 -> 0xF, 7 -> 0x7. Unpacking an int4 nibble u (0..15) sign-extends it: v = (u ^ 8) - 8; uint4 is v = u.
// This is the layout of PyTorch's quint4x2 and ONNX int4 (low nibble = first element); it is NOT GGML's Q4_0,
// whose 32-element blocks put element j in the low and element j + 16 in the high nibble of byte j.
//
// Quantize / dequantize: exactly quantize.hpp's formulas (quantize_method, NaN -> z, +-Inf saturate), with the
// codes in [qmin, qmax] of a 4-bit range (int4: inside [-8, 7]; uint4: inside [0, 15]; checked in debug builds):
//   q = clamp(round(x * f32(1 / s)) + z, qmin, qmax),   r = f32(q - z) * s.
//
// Per-group ("block-wise", as LLM weight formats: GPTQ / AWQ group size 32, 64, 128; GGML Q4 blocks of 32):
// a [rows][cols] row-major matrix, each row cut along the last axis into groups of `group` consecutive
// elements; group g of row r is columns [g * group, min((g + 1) * group, cols)). When cols % group != 0 the last
// group of every row is SHORT (cols % group elements) and has its own parameters like any other group.
// Parameters are one (scale, zero point) per (row, group), stored row-major: index r * groups_per_row() + g.
// choose_qparams_per_group takes min / max of each group's finite values (NaN and +-Inf are skipped, as the
// observers do; a group without a finite value is errc::no_finite_values) and calls choose_qparams on them
// with the given options (symmetric or affine, pytorch or tflite preset...). A packed matrix stores each row
// on its own bytes: row r starts at byte r * packed_bytes(cols) (for odd cols the last high nibble of every
// row is padding 0), so rows can be handed out independently.
//
// W4A8 dot product of k int8 activations a (zero point za) and k packed 4-bit weights w (zero point zw):
//   dot = sum_i (a_i - za) * (w_i - zw)
//       = sum a_i w_i - zw * sum a_i - za * sum w_i + k * za * zw       (the zero-point correction)
// computed in 32-bit two's complement (wrapping) arithmetic, so every path gives the same bits for every
// input; the result is the exact value whenever that fits int32, which is guaranteed for
// k <= w4a8_max_depth = 561'409 = floor((2^31 - 1) / (255 * 15)) (|a - za| <= 255, |w - zw| <= 15).
//
// Pointers need no alignment; n == 0 does nothing (null pointers are then allowed). Inputs and outputs must
// not overlap.
#ifndef QLIN_INT4_HPP_
#define QLIN_INT4_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "config.hpp"
#include "dtype.hpp"
#include "params.hpp"
#include "quantize.hpp"
#include "result.hpp"

namespace qlin {

/// Bytes that n packed 4-bit values take: (n + 1) / 2.
constexpr std::size_t packed_bytes(std::size_t n) noexcept { return n / 2 + n % 2; }

/// The largest depth k for which a W4A8 dot product cannot overflow int32, whatever the codes and zero points.
constexpr std::size_t w4a8_max_depth = 561409;  // floor((2^31 - 1) / (255 * 15))

namespace detail {

// Nibble i of a packed array (0..15).
inline std::uint32_t nibble(const std::uint8_t* packed, std::size_t i) noexcept {
  const std::uint32_t b = packed[i / 2];
  return (i % 2 == 0) ? (b & 0x0Fu) : (b >> 4);
}
// Sign extension of an int4 nibble: (u ^ 8) - 8.
constexpr std::int32_t sign_extend4(std::uint32_t u) noexcept { return static_cast<std::int32_t>(u ^ 8u) - 8; }
// Sets nibble i of a packed array to the low 4 bits of code (the other nibble of the byte is kept).
inline void set_nibble(std::uint8_t* packed, std::size_t i, std::int32_t code) noexcept {
  const std::uint32_t u = static_cast<std::uint32_t>(code) & 0x0Fu;
  std::uint32_t b = packed[i / 2];
  b = (i % 2 == 0) ? ((b & 0xF0u) | u) : ((b & 0x0Fu) | (u << 4));
  packed[i / 2] = static_cast<std::uint8_t>(b);
}
// Value of element i: signed (int4) or unsigned (uint4).
inline std::int32_t code4(const std::uint8_t* packed, std::size_t i, bool is_signed) noexcept {
  const std::uint32_t u = nibble(packed, i);
  return is_signed ? sign_extend4(u) : static_cast<std::int32_t>(u);
}

template <class T>
inline void pack4(const T* v, std::size_t n, std::uint8_t* packed) noexcept {
  QLIN_ASSERT(n == 0 || (v != nullptr && packed != nullptr));
  std::size_t i = 0;
  for (; i + 1 < n; i += 2) {
    const std::uint32_t lo = static_cast<std::uint32_t>(v[i]) & 0x0Fu;
    const std::uint32_t hi = static_cast<std::uint32_t>(v[i + 1]) & 0x0Fu;
    packed[i / 2] = static_cast<std::uint8_t>(lo | (hi << 4));
  }
  if (i < n) packed[i / 2] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(v[i]) & 0x0Fu);
}

inline bool range_fits4(std::int32_t qmin, std::int32_t qmax, bool is_signed) noexcept {
  return is_signed ? (qmin >= -8 && qmax <= 7) : (qmin >= 0 && qmax <= 15);
}

// Quantizes n floats into nibbles [first, first + n) of `packed` (first may be odd).
inline void quantize4(const float* x, std::size_t n, std::uint8_t* packed, std::size_t first, const quant_params& p,
                      quantize_method m) noexcept {
  const float inv = 1.0f / p.scale;
  for (std::size_t i = 0; i < n; ++i) {
    set_nibble(packed, first + i, quantize_one(load(x, i), p.scale, inv, p.zero_point, p.qmin, p.qmax, m));
  }
}

// Dequantizes nibbles [first, first + n) of `packed` into r: r = f32(q - z) * s.
inline void dequantize4(const std::uint8_t* packed, std::size_t first, std::size_t n, float* r, float scale,
                        std::int32_t zp, bool is_signed) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    store(r, i, static_cast<float>(code4(packed, first + i, is_signed) - zp) * scale);
  }
}

inline std::int32_t dot4(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za, std::int32_t zw,
                         bool is_signed) noexcept {
  std::uint32_t saw = 0, sa = 0, sw = 0;  // wrapping sums
  for (std::size_t i = 0; i < k; ++i) {
    const std::uint32_t ai = static_cast<std::uint32_t>(static_cast<std::int32_t>(a[i]));
    const std::uint32_t wi = static_cast<std::uint32_t>(code4(w, i, is_signed));
    saw += ai * wi;
    sa += ai;
    sw += wi;
  }
  const std::uint32_t uza = static_cast<std::uint32_t>(za), uzw = static_cast<std::uint32_t>(zw);
  const std::uint32_t total = saw - uzw * sa - uza * sw + static_cast<std::uint32_t>(k) * uza * uzw;
  std::int32_t out;
  std::memcpy(&out, &total, sizeof out);  // two's complement reinterpretation, no implementation-defined cast
  return out;
}

}  // namespace detail

/// Packs n int4 values (each in [-8, 7]; only the low 4 bits are stored) into (n + 1) / 2 bytes, low nibble first.
inline void pack_int4(const std::int8_t* v, std::size_t n, std::uint8_t* packed) noexcept {
  detail::pack4(v, n, packed);
}
/// Packs n uint4 values (each in [0, 15]) into (n + 1) / 2 bytes, low nibble first.
inline void pack_uint4(const std::uint8_t* v, std::size_t n, std::uint8_t* packed) noexcept {
  detail::pack4(v, n, packed);
}

/// Unpacks n int4 values, sign-extended: v = (nibble ^ 8) - 8, in [-8, 7].
inline void unpack_int4(const std::uint8_t* packed, std::size_t n, std::int8_t* v) noexcept {
  QLIN_ASSERT(n == 0 || (v != nullptr && packed != nullptr));
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int8_t>(detail::sign_extend4(detail::nibble(packed, i)));
}
/// Unpacks n uint4 values, in [0, 15].
inline void unpack_uint4(const std::uint8_t* packed, std::size_t n, std::uint8_t* v) noexcept {
  QLIN_ASSERT(n == 0 || (v != nullptr && packed != nullptr));
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(detail::nibble(packed, i));
}

/// Quantizes n floats to packed int4 codes (p's range inside [-8, 7]), quantize.hpp's formula.
inline void quantize_int4(const float* x, std::size_t n, std::uint8_t* packed, const quant_params& p,
                          quantize_method m = quantize_method{}) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && packed != nullptr));
  QLIN_ASSERT(detail::params_valid(p.scale, p.zero_point, p.qmin, p.qmax));
  QLIN_ASSERT(detail::range_fits4(p.qmin, p.qmax, true));
  if (n % 2 != 0) packed[n / 2] = 0;  // the padding nibble
  detail::quantize4(x, n, packed, 0, p, m);
}
/// Quantizes n floats to packed uint4 codes (p's range inside [0, 15]).
inline void quantize_uint4(const float* x, std::size_t n, std::uint8_t* packed, const quant_params& p,
                           quantize_method m = quantize_method{}) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && packed != nullptr));
  QLIN_ASSERT(detail::params_valid(p.scale, p.zero_point, p.qmin, p.qmax));
  QLIN_ASSERT(detail::range_fits4(p.qmin, p.qmax, false));
  if (n % 2 != 0) packed[n / 2] = 0;
  detail::quantize4(x, n, packed, 0, p, m);
}

/// Dequantizes n packed int4 codes: r = f32(q - z) * s.
inline void dequantize_int4(const std::uint8_t* packed, std::size_t n, float* r, const quant_params& p) noexcept {
  QLIN_ASSERT(n == 0 || (packed != nullptr && r != nullptr));
  detail::dequantize4(packed, 0, n, r, p.scale, p.zero_point, true);
}
/// Dequantizes n packed uint4 codes: r = f32(q - z) * s.
inline void dequantize_uint4(const std::uint8_t* packed, std::size_t n, float* r, const quant_params& p) noexcept {
  QLIN_ASSERT(n == 0 || (packed != nullptr && r != nullptr));
  detail::dequantize4(packed, 0, n, r, p.scale, p.zero_point, false);
}

// ------------------------------------------------------------------------------------------------ per group

/// Per-group parameters of a [rows][cols] matrix quantized to int4 / uint4 along its last axis.
struct group_quant_params {
  /// Rows of the matrix.
  std::size_t rows = 0;
  /// Columns of the matrix (the grouped axis).
  std::size_t cols = 0;
  /// Elements per group (the last group of a row is shorter when cols % group != 0).
  std::size_t group = 0;
  /// int4 or uint4.
  dtype type = dtype::int4;
  /// Smallest code (inclusive), every group.
  std::int32_t qmin = -8;
  /// Largest code (inclusive), every group.
  std::int32_t qmax = 7;
  /// Scale of group g of row r at r * groups_per_row() + g.
  std::vector<float> scales;
  /// Zero point of group g of row r at r * groups_per_row() + g.
  std::vector<std::int32_t> zero_points;

  /// ceil(cols / group).
  std::size_t groups_per_row() const noexcept { return group == 0 ? 0 : cols / group + (cols % group != 0); }
  /// Elements in group g of a row: group, or cols % group for a short last group.
  std::size_t group_size(std::size_t g) const noexcept { return (g + 1) * group <= cols ? group : cols - g * group; }
  /// The per-tensor parameters of group g of row r.
  quant_params at(std::size_t r, std::size_t g) const noexcept {
    const std::size_t i = r * groups_per_row() + g;
    return {scales[i], zero_points[i], qmin, qmax};
  }
};

/// Chooses one (scale, zero point) per (row, group) of the [rows][cols] matrix w with choose_qparams(min, max,
/// opt) on each group's finite min / max. opt.type must be int4 or uint4. Errors: group == 0 or another dtype
/// (errc::invalid_argument); a group with no finite value (errc::no_finite_values); choose_qparams' errors.
inline result<group_quant_params> choose_qparams_per_group(const float* w, std::size_t rows, std::size_t cols,
                                                           std::size_t group, const qparams_options& opt = {}) {
  if (opt.type != dtype::int4 && opt.type != dtype::uint4) {
    return fail(errc::invalid_argument, "per-group 4-bit quantization needs dtype int4 or uint4");
  }
  if (group == 0) return fail(errc::invalid_argument, "the group size must be at least 1");
  const result<qrange> r = make_qrange(opt.type, opt.range);
  if (!r) return r.error();
  group_quant_params out;
  out.rows = rows, out.cols = cols, out.group = group, out.type = opt.type, out.qmin = r->qmin, out.qmax = r->qmax;
  const std::size_t gpr = out.groups_per_row();
  out.scales.resize(rows * gpr);
  out.zero_points.resize(rows * gpr);
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t g = 0; g < gpr; ++g) {
      const float* x = w + row * cols + g * group;
      const std::size_t len = out.group_size(g);
      bool any = false;
      float lo = 0.0f, hi = 0.0f;
      for (std::size_t i = 0; i < len; ++i) {
        const float v = detail::load(x, i);
        if (!std::isfinite(v)) continue;
        lo = (!any || v < lo) ? v : lo;
        hi = (!any || v > hi) ? v : hi;
        any = true;
      }
      if (!any) return fail(errc::no_finite_values, "a group has no finite value");
      const result<quant_params> p = choose_qparams(lo, hi, opt);
      if (!p) return p.error();
      out.scales[row * gpr + g] = p->scale;
      out.zero_points[row * gpr + g] = p->zero_point;
    }
  }
  return out;
}

/// Quantizes the [rows][cols] matrix w (p.rows x p.cols) group by group into packed 4-bit rows: row r at byte
/// r * packed_bytes(cols) (odd cols: the last high nibble of each row is 0).
inline void quantize_per_group(const float* w, std::uint8_t* packed, const group_quant_params& p,
                               quantize_method m = quantize_method{}) noexcept {
  QLIN_ASSERT(p.group > 0 && p.scales.size() == p.rows * p.groups_per_row() && p.zero_points.size() == p.scales.size());
  QLIN_ASSERT(detail::range_fits4(p.qmin, p.qmax, p.type == dtype::int4));
  const std::size_t stride = packed_bytes(p.cols), gpr = p.groups_per_row();
  for (std::size_t row = 0; row < p.rows; ++row) {
    std::uint8_t* out = packed + row * stride;
    if (p.cols % 2 != 0) out[stride - 1] = 0;
    for (std::size_t g = 0; g < gpr; ++g) {
      const quant_params q = p.at(row, g);
      QLIN_ASSERT(detail::params_valid(q.scale, q.zero_point, q.qmin, q.qmax));
      detail::quantize4(w + row * p.cols + g * p.group, p.group_size(g), out, g * p.group, q, m);
    }
  }
}

/// Dequantizes a packed [rows][cols] matrix group by group: r = f32(q - z[row, g]) * s[row, g].
inline void dequantize_per_group(const std::uint8_t* packed, float* w, const group_quant_params& p) noexcept {
  QLIN_ASSERT(p.group > 0 && p.scales.size() == p.rows * p.groups_per_row() && p.zero_points.size() == p.scales.size());
  const std::size_t stride = packed_bytes(p.cols), gpr = p.groups_per_row();
  const bool sgn = p.type == dtype::int4;
  for (std::size_t row = 0; row < p.rows; ++row) {
    for (std::size_t g = 0; g < gpr; ++g) {
      const quant_params q = p.at(row, g);
      detail::dequantize4(packed + row * stride, g * p.group, p.group_size(g), w + row * p.cols + g * p.group, q.scale,
                          q.zero_point, sgn);
    }
  }
}

// ------------------------------------------------------------------------------------------------ W4A8

/// sum_i (a_i - za) * (w_i - zw) over k int8 activations and k packed int4 weights, in wrapping int32
/// arithmetic (exact for k <= w4a8_max_depth). See the top of this header.
inline std::int32_t dot_s8_s4(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za = 0,
                              std::int32_t zw = 0) noexcept {
  QLIN_ASSERT(k == 0 || (a != nullptr && w != nullptr));
  return detail::dot4(a, w, k, za, zw, true);
}
/// sum_i (a_i - za) * (w_i - zw) over k int8 activations and k packed uint4 weights (wrapping int32).
inline std::int32_t dot_s8_u4(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za = 0,
                              std::int32_t zw = 0) noexcept {
  QLIN_ASSERT(k == 0 || (a != nullptr && w != nullptr));
  return detail::dot4(a, w, k, za, zw, false);
}

/// W4A8 matrix-vector product with per-group weights, the LLM decoding step:
///   y[r] = sum_g  sa * s[r, g] * dot(a[group g] - za, w[r, group g] - z[r, g])
/// for int8 activations a (scale sa, zero point za) and a packed [rows][cols] matrix with parameters p. Each
/// group's dot product is exact in int32 (group <= w4a8_max_depth); the products sa * s[r, g] * f32(dot) are
/// formed in float and summed over the groups in double, rounded once per row. p.group must be even, so that
/// every group starts on a byte.
inline void gemv_w4a8_per_group(const std::int8_t* a, float sa, std::int32_t za, const std::uint8_t* packed,
                                const group_quant_params& p, float* y) noexcept {
  QLIN_ASSERT(p.group > 0 && p.group % 2 == 0 && p.group <= w4a8_max_depth);
  const std::size_t stride = packed_bytes(p.cols), gpr = p.groups_per_row();
  const bool sgn = p.type == dtype::int4;
  for (std::size_t row = 0; row < p.rows; ++row) {
    double acc = 0.0;
    for (std::size_t g = 0; g < gpr; ++g) {
      const std::int32_t d = detail::dot4(a + g * p.group, packed + row * stride + g * p.group / 2, p.group_size(g), za,
                                          p.zero_points[row * gpr + g], sgn);
      acc += static_cast<double>(sa * p.scales[row * gpr + g] * static_cast<float>(d));
    }
    detail::store(y, row, static_cast<float>(acc));
  }
}

}  // namespace qlin

#endif  // QLIN_INT4_HPP_
