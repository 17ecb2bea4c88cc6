// gemm.hpp: int8 GEMM / GEMV / dot with int32 accumulation, zero-point correction and fused requantization.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// A fully connected layer: inputs x[m][k] (int8 or uint8, one zero point zx), weights W[n][k] (int8,
// one zero point zw[n] per output channel), accumulators acc[m][n] (row major, channels innermost):
//
//   acc[i][c] = sum_k (x[i][k] - zx) * (w[c][k] - zw[c])
//             = sum_k x*w  -  zw[c] * sum_k x[i][k]  -  zx * rowsum[c]  +  k * zx * zw[c]
//
// (rowsum[c] = sum_k w[c][k], computed once by pack_weights_s8). The raw dot sum_k x*w is accumulated
// in int32 only over depth chunks that cannot overflow (max_safe_depth: 131071 for int8 x int8, 65793
// for uint8 x int8); chunk sums and the three correction terms are added in int64, and the exact
// result is SATURATED to int32 (never wrapped). Below the safe depth with zero points 0 the
// saturation never triggers. docs/gemm.md has the algebra, the overflow rule and the packing layout.
//
// Output stages (the requantization of qlin/requantize.hpp, applied to each block of rows while it
// is in cache):
//   *_s32        acc as above (optionally + bias[c], saturating)
//   *_requantize q = requantize(saturate_int32(acc + bias[c])) with per-tensor or per-channel
//                parameters, every requant_rounding, clamp to [qmin, qmax], T in {int8, uint8, int16}
//   *_f32        y = f32(f32(acc) * s[c]) + bias[c], s[c] = f32(input_scale * weight_scales[c]) (two
//                float roundings, no FMA)
//
// Paths: qlin::reference:: is the scalar reference. The unqualified qlin:: functions are the same
// functions dispatched at compile time to the SIMD kernels of qlin/kernels/gemm_s8.hpp when QLIN_SIMD
// (AVX2 vpmaddwd, AVX-512 VNNI vpdpbusd, NEON); they return the same bits as the reference for every
// input (tests/unit/test_simd_gemm.cpp). They live in an inline namespace named after the target, as
// qlin::simd:: does, so translation units built with different -m flags do not share symbols.
//
// Errors (status, never UB): k != w.depth(); a zero point outside the input type (int8: [-128, 127],
// uint8: [0, 255], int16: [-32768, 32767]) or a weight zero point outside [-128, 127]; per-channel
// parameters whose channel count is not w.rows(); [qmin, qmax] outside T; non-finite or non-positive
// scales (f32 stage). Valid: m == 0 (nothing written), k == 0 (acc = 0, then the output stage), n == 0.
// Preconditions (checked in debug builds): non-null pointers where the sizes are nonzero; outputs
// not overlapping inputs.
#ifndef QLIN_GEMM_HPP_
#define QLIN_GEMM_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "arch/xsimd.hpp"
#include "config.hpp"
#include "dtype.hpp"
#include "requantize.hpp"
#include "result.hpp"
#include "rounding.hpp"

namespace qlin {

/// The largest depth K such that every sum of K products a*b with a in [a_min, a_max] and b in
/// [b_min, b_max] lies in int32. The products of a box lie between its smallest and largest corner
/// product (the four are computed exactly in int64), so K = min(INT32_MAX / max_corner,
/// 2^31 / -min_corner) over the signs present. int8 x int8: 131071; uint8 x int8: 65793; int16 x int8:
/// 511 (-32768 * -128 = +2^22); int16 x int16: 1. SIZE_MAX when every product is 0.
/// An empty interval (min > max) gives 0.
constexpr std::size_t max_safe_depth(std::int32_t a_min, std::int32_t a_max, std::int32_t b_min,
                                     std::int32_t b_max) noexcept {
  if (a_min > a_max || b_min > b_max) return 0;
  const std::int64_t c[4] = {std::int64_t{a_min} * b_min, std::int64_t{a_min} * b_max, std::int64_t{a_max} * b_min,
                             std::int64_t{a_max} * b_max};
  std::int64_t lo = c[0], hi = c[0];
  for (const std::int64_t v : c) {
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  std::size_t k = std::numeric_limits<std::size_t>::max();
  if (hi > 0) {
    const auto kp = static_cast<std::size_t>(std::int64_t{std::numeric_limits<std::int32_t>::max()} / hi);
    k = kp < k ? kp : k;
  }
  if (lo < 0) {
    const auto kn = static_cast<std::size_t>((std::int64_t{1} << 31) / -lo);
    k = kn < k ? kn : k;
  }
  return k;
}

class packed_weights_s8;
result<packed_weights_s8> pack_weights_s8(const std::int8_t* w, std::size_t n, std::size_t k,
                                          const std::int32_t* zero_points);

/// Int8 weights W[n][k] packed for the GEMM kernels, with their per-channel zero points and row sums.
///
/// Layout (the same for every target, so a packing made in one translation unit serves all):
/// panels of panel_width = 16 output channels; in each panel, the depth is padded with zeros to a
/// multiple of depth_unroll = 4 (kp = padded_depth()) and stored as kp / 4 blocks of 64 bytes,
/// block b holding, for each channel c = 0..15 of the panel, the 4 weights w[c][4b .. 4b+3]:
///
///   data[p * 16 * kp + (kk / 4) * 64 + c * 4 + kk % 4] = w[16 p + c][kk]   (0 for padding)
///
/// This is the "c4" layout of XNNPACK's VNNI kernels: one 64-byte load is the operand of one
/// vpdpbusd for 16 channels, two 32-byte halves feed vpmaddwd (AVX2) after sign extension, 16 bytes
/// feed NEON's sdot / vmull. Channels past n in the last panel are zero. Row sums are kept in int64
/// (int32 would suffice below k = 2^24).
class packed_weights_s8 {
 public:
  /// Output channels per panel.
  static constexpr std::size_t panel_width = 16;
  /// The depth of one block: each panel's depth is padded to a multiple of it.
  static constexpr std::size_t depth_unroll = 4;

  /// No weights: rows() == depth() == 0.
  packed_weights_s8() = default;

  std::size_t rows() const noexcept { return n_; }   ///< n, the output channels
  std::size_t depth() const noexcept { return k_; }  ///< k, the inputs per channel
  /// kp: the depth rounded up to a multiple of depth_unroll.
  std::size_t padded_depth() const noexcept { return kp_; }
  /// The number of panels: ceil(rows() / panel_width).
  std::size_t panels() const noexcept { return (n_ + panel_width - 1) / panel_width; }
  /// The packed bytes of panel p (16 * padded_depth() bytes).
  const std::int8_t* panel(std::size_t p) const noexcept { return data_.data() + p * panel_width * kp_; }
  /// All packed bytes: panels() * panel_width * padded_depth() bytes, panel after panel.
  const std::int8_t* data() const noexcept { return data_.data(); }
  /// w[c][kk], read back from the packed layout.
  std::int8_t weight(std::size_t c, std::size_t kk) const noexcept {
    QLIN_ASSERT(c < n_ && kk < k_);
    return data_[(c / panel_width) * panel_width * kp_ + (kk / depth_unroll) * panel_width * depth_unroll +
                 (c % panel_width) * depth_unroll + kk % depth_unroll];
  }
  /// The zero point of output channel c.
  std::int32_t zero_point(std::size_t c) const noexcept { return zero_points_[c]; }
  /// The rows() zero points.
  const std::int32_t* zero_points() const noexcept { return zero_points_.data(); }
  /// sum_k w[c][k] (without the zero point).
  std::int64_t row_sum(std::size_t c) const noexcept { return row_sums_[c]; }
  /// The rows() row sums.
  const std::int64_t* row_sums() const noexcept { return row_sums_.data(); }
  /// True when some channel has a nonzero zero point (the input row sums are then needed).
  bool has_zero_points() const noexcept { return nonzero_zero_points_; }

 private:
  friend result<packed_weights_s8> pack_weights_s8(const std::int8_t*, std::size_t, std::size_t, const std::int32_t*);
  std::size_t n_ = 0;
  std::size_t k_ = 0;
  std::size_t kp_ = 0;
  bool nonzero_zero_points_ = false;
  std::vector<std::int8_t> data_;
  std::vector<std::int32_t> zero_points_;
  std::vector<std::int64_t> row_sums_;
};

/// Packs W[n][k] (row major) with per-channel zero points (nullptr: all 0). Errors: a zero point
/// outside [-128, 127] (errc::zero_point_out_of_range); n * k too large to address
/// (errc::invalid_argument). n == 0 or k == 0 is valid.
inline result<packed_weights_s8> pack_weights_s8(const std::int8_t* w, std::size_t n, std::size_t k,
                                                 const std::int32_t* zero_points) {
  QLIN_ASSERT(n == 0 || k == 0 || w != nullptr);
  constexpr std::size_t nr = packed_weights_s8::panel_width;
  constexpr std::size_t ku = packed_weights_s8::depth_unroll;
  const std::size_t limit = std::numeric_limits<std::size_t>::max() / 4;
  if (k > limit - ku || n > limit - nr) return fail(errc::invalid_argument, "weight matrix too large");
  const std::size_t kp = (k + ku - 1) / ku * ku;
  const std::size_t np = (n + nr - 1) / nr * nr;
  if (kp != 0 && np > limit / kp) return fail(errc::invalid_argument, "weight matrix too large");
  packed_weights_s8 pw;
  pw.n_ = n;
  pw.k_ = k;
  pw.kp_ = kp;
  pw.zero_points_.assign(n, 0);
  pw.row_sums_.assign(n, 0);
  for (std::size_t c = 0; c < n; ++c) {
    const std::int32_t z = zero_points != nullptr ? zero_points[c] : 0;
    if (z < -128 || z > 127) return fail(errc::zero_point_out_of_range, "weight zero points must lie in [-128, 127]");
    pw.zero_points_[c] = z;
    if (z != 0) pw.nonzero_zero_points_ = true;
  }
  pw.data_.assign(np * kp, std::int8_t{0});
  for (std::size_t c = 0; c < n; ++c) {
    const std::int8_t* row = w + c * k;
    std::int8_t* dst = pw.data_.data() + (c / nr) * nr * kp + (c % nr) * ku;
    std::int64_t s = 0;
    for (std::size_t kk = 0; kk < k; ++kk) {
      dst[(kk / ku) * nr * ku + kk % ku] = row[kk];
      s += row[kk];
    }
    pw.row_sums_[c] = s;
  }
  return pw;
}

namespace detail {

template <class X>
struct gemm_input;
template <>
struct gemm_input<std::int8_t> {
  static constexpr std::int32_t min = -128, max = 127;
  static constexpr const char* zp_message = "the input zero point must lie in [-128, 127] for int8 inputs";
};
template <>
struct gemm_input<std::uint8_t> {
  static constexpr std::int32_t min = 0, max = 255;
  static constexpr const char* zp_message = "the input zero point must lie in [0, 255] for uint8 inputs";
};
template <>
struct gemm_input<std::int16_t> {
  static constexpr std::int32_t min = -32768, max = 32767;
  static constexpr const char* zp_message = "the input zero point must lie in [-32768, 32767] for int16 inputs";
};

/// Safe int32 depth for X x int8.
template <class X>
constexpr std::size_t gemm_safe_depth() noexcept {
  return max_safe_depth(gemm_input<X>::min, gemm_input<X>::max, -128, 127);
}

inline std::int32_t saturate_int32(std::int64_t v) noexcept {
  return v > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
         : v < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                        : static_cast<std::int32_t>(v);
}

/// The exact acc from the raw dot (sum x*w), the input row sum, k and the zero points (all in int64:
/// |each term| < 2^62 for k < 2^38).
inline std::int64_t gemm_correct(std::int64_t raw, std::int64_t sum_x, std::int64_t k, std::int64_t zx,
                                 std::int64_t zw, std::int64_t row_sum) noexcept {
  return raw - zw * sum_x - zx * row_sum + k * zx * zw;
}

template <class X>
inline status gemm_check(std::size_t k, std::int32_t zx, const packed_weights_s8& w) noexcept {
  if (k != w.depth()) return fail(errc::invalid_argument, "k must equal the packed weights' depth");
  if (zx < gemm_input<X>::min || zx > gemm_input<X>::max) return fail(errc::zero_point_out_of_range, gemm_input<X>::zp_message);
  return ok();
}

template <class T>
inline status gemm_check_requant(std::int32_t qmin, std::int32_t qmax) noexcept {
  if (qmin >= qmax || qmin < std::numeric_limits<T>::min() || qmax > std::numeric_limits<T>::max()) {
    return fail(errc::invalid_range, "[qmin, qmax] must be ordered and inside the output type");
  }
  return ok();
}

inline status gemm_check_requant_channels(const per_channel_requantize_params& p, std::size_t n) noexcept {
  if (p.multipliers.size() != n || p.scales.size() != n) {
    return fail(errc::invalid_argument, "per-channel parameters need one entry per output channel");
  }
  return ok();
}

inline status gemm_check_scales(float input_scale, const float* weight_scales, std::size_t n) noexcept {
  if (!std::isfinite(input_scale) || !(input_scale > 0.0f)) return fail(errc::invalid_scale, "input scale must be finite and > 0");
  QLIN_ASSERT(n == 0 || weight_scales != nullptr);
  for (std::size_t c = 0; c < n; ++c) {
    if (!std::isfinite(weight_scales[c]) || !(weight_scales[c] > 0.0f)) {
      return fail(errc::invalid_scale, "weight scales must be finite and > 0");
    }
  }
  return ok();
}

/// Scalar reference: acc for rows [0, m) of x (X in int8, uint8, int16), int32 chunks of the safe
/// depth summed in int64, corrected and passed to `store(i, c, exact_int64)`.
template <class X, class Store>
inline void gemm_reference_rows(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                                Store&& store) {
  constexpr std::size_t chunk = gemm_safe_depth<X>();
  const std::size_t n = w.rows();
  for (std::size_t i = 0; i < m; ++i) {
    const X* xi = x + i * k;
    std::int64_t sum_x = 0;
    for (std::size_t kk = 0; kk < k; ++kk) sum_x += xi[kk];
    for (std::size_t c = 0; c < n; ++c) {
      std::int64_t raw = 0;
      for (std::size_t k0 = 0; k0 < k; k0 += chunk) {
        const std::size_t k1 = k - k0 < chunk ? k : k0 + chunk;
        std::int32_t part = 0;  // cannot overflow: at most `chunk` products
        for (std::size_t kk = k0; kk < k1; ++kk) part += std::int32_t{xi[kk]} * std::int32_t{w.weight(c, kk)};
        raw += part;
      }
      store(i, c, gemm_correct(raw, sum_x, static_cast<std::int64_t>(k), zx, w.zero_point(c), w.row_sum(c)));
    }
  }
}

/// Rows per block of the fused output stages (the int32 block stays in cache between the GEMM and
/// the requantization).
constexpr std::size_t gemm_output_block_rows = 64;

}  // namespace detail

/// Scalar reference implementations (the definition of the results).
namespace reference {

/// sum_k a[k] * b[k], exact, saturated to int32 (int32 chunks of 131071 products added in int64).
inline std::int32_t dot_s8s8_s32(const std::int8_t* a, const std::int8_t* b, std::size_t k) noexcept {
  QLIN_ASSERT(k == 0 || (a != nullptr && b != nullptr));
  constexpr std::size_t chunk = detail::gemm_safe_depth<std::int8_t>();
  std::int64_t total = 0;
  for (std::size_t k0 = 0; k0 < k; k0 += chunk) {
    const std::size_t k1 = k - k0 < chunk ? k : k0 + chunk;
    std::int32_t part = 0;
    for (std::size_t kk = k0; kk < k1; ++kk) part += std::int32_t{a[kk]} * std::int32_t{b[kk]};
    total += part;
  }
  return detail::saturate_int32(total);
}

/// acc[m][n] for int8 inputs; see the top of this header.
inline status gemm_s8s8_s32(const std::int8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, std::int32_t* acc) {
  const status s = detail::gemm_check<std::int8_t>(k, zx, w);
  if (!s) return s;
  QLIN_ASSERT(m == 0 || k == 0 || x != nullptr);
  QLIN_ASSERT(m == 0 || w.rows() == 0 || acc != nullptr);
  const std::size_t n = w.rows();
  detail::gemm_reference_rows(x, m, k, zx, w,
                              [&](std::size_t i, std::size_t c, std::int64_t v) { acc[i * n + c] = detail::saturate_int32(v); });
  return ok();
}

/// acc[m][n] for uint8 inputs.
inline status gemm_u8s8_s32(const std::uint8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, std::int32_t* acc) {
  const status s = detail::gemm_check<std::uint8_t>(k, zx, w);
  if (!s) return s;
  QLIN_ASSERT(m == 0 || k == 0 || x != nullptr);
  QLIN_ASSERT(m == 0 || w.rows() == 0 || acc != nullptr);
  const std::size_t n = w.rows();
  detail::gemm_reference_rows(x, m, k, zx, w,
                              [&](std::size_t i, std::size_t c, std::int64_t v) { acc[i * n + c] = detail::saturate_int32(v); });
  return ok();
}

/// acc[m][n] for int16 inputs x int8 weights, exact in int64 (no saturation: |acc| <= 65535 * 255 * k).
/// int32 chunks of 511 products (max_safe_depth(-32768, 32767, -128, 127)) are summed in int64.
inline status gemm_s16s8_s64(const std::int16_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                             const packed_weights_s8& w, std::int64_t* acc) {
  const status s = detail::gemm_check<std::int16_t>(k, zx, w);
  if (!s) return s;
  QLIN_ASSERT(m == 0 || k == 0 || x != nullptr);
  QLIN_ASSERT(m == 0 || w.rows() == 0 || acc != nullptr);
  const std::size_t n = w.rows();
  detail::gemm_reference_rows(x, m, k, zx, w, [&](std::size_t i, std::size_t c, std::int64_t v) { acc[i * n + c] = v; });
  return ok();
}

}  // namespace reference

/// round_half_even(bias[c] / (input_scale * weight_scales[c])), computed in double, as int32: the
/// bias of a quantized layer in the accumulator's scale (TFLite, PyTorch). Errors: a non-finite or
/// non-positive scale (errc::invalid_scale); a non-finite bias (errc::non_finite_input); a quotient
/// outside int32 (errc::invalid_range). n == 0 gives an empty vector.
inline result<std::vector<std::int32_t>> quantize_bias(const float* bias, std::size_t n, float input_scale,
                                                       const float* weight_scales) {
  QLIN_ASSERT(n == 0 || (bias != nullptr && weight_scales != nullptr));
  const status s = detail::gemm_check_scales(input_scale, weight_scales, n);
  if (!s) return s.error();
  std::vector<std::int32_t> q(n);
  for (std::size_t c = 0; c < n; ++c) {
    if (!std::isfinite(bias[c])) return fail(errc::non_finite_input, "bias values must be finite");
    const double r = round_half_even(static_cast<double>(bias[c]) /
                                     (static_cast<double>(input_scale) * static_cast<double>(weight_scales[c])));
    if (!(r >= -2147483648.0 && r <= 2147483647.0)) return fail(errc::invalid_range, "a quantized bias overflows int32");
    q[c] = static_cast<std::int32_t>(r);
  }
  return q;
}

}  // namespace qlin

#if QLIN_SIMD
#include "kernels/gemm_s8.hpp"
#endif
#ifndef QLIN_GEMM_NAMESPACE
#define QLIN_GEMM_NAMESPACE QLIN_SIMD_NAMESPACE
#endif

namespace qlin {
// One inline namespace per target (qlin/arch/xsimd.hpp, plus "_vnni" when AVX-512 VNNI is compiled
// in; see kernels/gemm_s8.hpp), as qlin::simd:: does.
inline namespace QLIN_GEMM_NAMESPACE {

namespace gemm_impl {

/// acc (int32, saturated) for m rows: the SIMD kernel when QLIN_SIMD, else the reference.
template <class X>
inline void gemm_s32_dispatch(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                              std::int32_t* acc) {
#if QLIN_SIMD
  kernels::gemm_s32<X, arch::kernel_arch>(x, m, k, zx, w, acc, kernels::gemm_path::best);
#else
  const std::size_t n = w.rows();
  qlin::detail::gemm_reference_rows(x, m, k, zx, w, [&](std::size_t i, std::size_t c, std::int64_t v) {
    acc[i * n + c] = qlin::detail::saturate_int32(v);
  });
#endif
}

template <class X>
inline status gemm_s32_bias(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                            const std::int32_t* bias, std::int32_t* acc) {
  const status s = qlin::detail::gemm_check<X>(k, zx, w);
  if (!s) return s;
  QLIN_ASSERT(m == 0 || k == 0 || x != nullptr);
  QLIN_ASSERT(m == 0 || w.rows() == 0 || acc != nullptr);
  gemm_s32_dispatch(x, m, k, zx, w, acc);
  if (bias != nullptr) {
    const std::size_t n = w.rows();
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t c = 0; c < n; ++c) acc[i * n + c] = qlin::detail::saturating_add(acc[i * n + c], bias[c]);
    }
  }
  return ok();
}

// Blocks of rows: GEMM into an int32 block, then the output stage on it while it is in cache.
template <class X, class Stage>
inline void gemm_blocked(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                         Stage&& stage) {
  const std::size_t n = w.rows();
  const std::size_t mb = qlin::detail::gemm_output_block_rows;
  std::vector<std::int32_t> block((m < mb ? m : mb) * n);
  for (std::size_t i0 = 0; i0 < m; i0 += mb) {
    const std::size_t rows = m - i0 < mb ? m - i0 : mb;
    gemm_s32_dispatch(x + i0 * k, rows, k, zx, w, block.data());
    stage(i0, rows, block.data());
  }
}

template <class X, class T, class P>
inline status gemm_requantize_impl(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                                   const std::int32_t* bias, const P& p, T* out) {
  static_assert(is_quantized_storage_v<T>, "the GEMM writes int8_t, uint8_t or int16_t");
  status s = qlin::detail::gemm_check<X>(k, zx, w);
  if (!s) return s;
  s = qlin::detail::gemm_check_requant<T>(p.qmin, p.qmax);
  if (!s) return s;
  QLIN_ASSERT(m == 0 || k == 0 || x != nullptr);
  QLIN_ASSERT(m == 0 || w.rows() == 0 || out != nullptr);
  const std::size_t n = w.rows();
  if (m == 0 || n == 0) return ok();
  gemm_blocked(x, m, k, zx, w, [&](std::size_t i0, std::size_t rows, const std::int32_t* block) {
#if QLIN_SIMD
    kernels::requantize_rows_s32<T, arch::kernel_arch>(block, rows, n, bias, out + i0 * n, p);
#else
    qlin::requantize_rows(block, rows, n, bias, out + i0 * n, p);
#endif
  });
  return ok();
}

template <class X>
inline status gemm_f32_impl(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                            float input_scale, const float* weight_scales, const float* bias, float* out) {
  status s = qlin::detail::gemm_check<X>(k, zx, w);
  if (!s) return s;
  const std::size_t n = w.rows();
  s = qlin::detail::gemm_check_scales(input_scale, weight_scales, n);
  if (!s) return s;
  QLIN_ASSERT(m == 0 || k == 0 || x != nullptr);
  QLIN_ASSERT(m == 0 || n == 0 || out != nullptr);
  if (m == 0 || n == 0) return ok();
  std::vector<float> scale(n);
  for (std::size_t c = 0; c < n; ++c) scale[c] = input_scale * weight_scales[c];
  gemm_blocked(x, m, k, zx, w, [&](std::size_t i0, std::size_t rows, const std::int32_t* block) {
    for (std::size_t i = 0; i < rows; ++i) {
      float* o = out + (i0 + i) * n;
      const std::int32_t* a = block + i * n;
      for (std::size_t c = 0; c < n; ++c) {
        const float v = static_cast<float>(a[c]) * scale[c];
        o[c] = bias != nullptr ? v + bias[c] : v;
      }
    }
  });
  return ok();
}

}  // namespace gemm_impl

/// acc[m][n] = sum_k (x[i][k] - zx) * (w[c][k] - zw[c]), exact then saturated to int32 (see the top).
inline status gemm_s8s8_s32(const std::int8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, std::int32_t* acc) {
  return gemm_impl::gemm_s32_bias(x, m, k, zx, w, nullptr, acc);
}
/// The same for uint8 inputs (zx in [0, 255]).
inline status gemm_u8s8_s32(const std::uint8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, std::int32_t* acc) {
  return gemm_impl::gemm_s32_bias(x, m, k, zx, w, nullptr, acc);
}
/// acc + bias[c], saturating (bias nullptr: none).
inline status gemm_s8s8_s32(const std::int8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, const std::int32_t* bias, std::int32_t* acc) {
  return gemm_impl::gemm_s32_bias(x, m, k, zx, w, bias, acc);
}
/// The same for uint8 inputs: acc + bias[c], saturating (bias nullptr: none).
inline status gemm_u8s8_s32(const std::uint8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, const std::int32_t* bias, std::int32_t* acc) {
  return gemm_impl::gemm_s32_bias(x, m, k, zx, w, bias, acc);
}

/// GEMV: acc[n] for one input row (m == 1; the kernels' one-row path streams the weights once).
inline status gemv_s8s8_s32(const std::int8_t* x, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                            std::int32_t* acc) {
  return gemm_impl::gemm_s32_bias(x, std::size_t{1}, k, zx, w, nullptr, acc);
}
/// GEMV for uint8 inputs.
inline status gemv_u8s8_s32(const std::uint8_t* x, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                            std::int32_t* acc) {
  return gemm_impl::gemm_s32_bias(x, std::size_t{1}, k, zx, w, nullptr, acc);
}

/// sum_k a[k] * b[k], exact, saturated to int32 (equal to reference::dot_s8s8_s32).
inline std::int32_t dot_s8s8_s32(const std::int8_t* a, const std::int8_t* b, std::size_t k) noexcept {
#if QLIN_SIMD
  return kernels::dot_s8s8_s32<arch::kernel_arch>(a, b, k);
#else
  return reference::dot_s8s8_s32(a, b, k);
#endif
}

/// int16 x int8 with exact int64 accumulators (the scalar reference on every target for now).
inline status gemm_s16s8_s64(const std::int16_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                             const packed_weights_s8& w, std::int64_t* acc) {
  return reference::gemm_s16s8_s64(x, m, k, zx, w, acc);
}

/// Fused GEMM + bias (saturating) + per-channel requantization to T (int8_t, uint8_t, int16_t).
template <class T>
inline status gemm_s8s8_requantize(const std::int8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                                   const packed_weights_s8& w, const std::int32_t* bias,
                                   const per_channel_requantize_params& p, T* out) {
  const status s = qlin::detail::gemm_check_requant_channels(p, w.rows());
  if (!s) return s;
  return gemm_impl::gemm_requantize_impl(x, m, k, zx, w, bias, p, out);
}
/// The same for uint8 inputs: GEMM + bias + per-channel requantization to T.
template <class T>
inline status gemm_u8s8_requantize(const std::uint8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                                   const packed_weights_s8& w, const std::int32_t* bias,
                                   const per_channel_requantize_params& p, T* out) {
  const status s = qlin::detail::gemm_check_requant_channels(p, w.rows());
  if (!s) return s;
  return gemm_impl::gemm_requantize_impl(x, m, k, zx, w, bias, p, out);
}
/// Fused GEMM + bias + per-tensor requantization.
template <class T>
inline status gemm_s8s8_requantize(const std::int8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                                   const packed_weights_s8& w, const std::int32_t* bias, const requantize_params& p,
                                   T* out) {
  return gemm_impl::gemm_requantize_impl(x, m, k, zx, w, bias, p, out);
}
/// The same for uint8 inputs: GEMM + bias + per-tensor requantization to T.
template <class T>
inline status gemm_u8s8_requantize(const std::uint8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                                   const packed_weights_s8& w, const std::int32_t* bias, const requantize_params& p,
                                   T* out) {
  return gemm_impl::gemm_requantize_impl(x, m, k, zx, w, bias, p, out);
}

/// Fused GEMM + dequantization: out = f32(f32(acc) * f32(input_scale * weight_scales[c])) + bias[c]
/// (bias nullptr: none). Errors as above, plus non-finite or non-positive scales.
inline status gemm_s8s8_f32(const std::int8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, float input_scale, const float* weight_scales,
                            const float* bias, float* out) {
  return gemm_impl::gemm_f32_impl(x, m, k, zx, w, input_scale, weight_scales, bias, out);
}
/// The same for uint8 inputs: GEMM + dequantization to float.
inline status gemm_u8s8_f32(const std::uint8_t* x, std::size_t m, std::size_t k, std::int32_t zx,
                            const packed_weights_s8& w, float input_scale, const float* weight_scales,
                            const float* bias, float* out) {
  return gemm_impl::gemm_f32_impl(x, m, k, zx, w, input_scale, weight_scales, bias, out);
}

}  // namespace QLIN_GEMM_NAMESPACE
}  // namespace qlin

#endif  // QLIN_GEMM_HPP_
