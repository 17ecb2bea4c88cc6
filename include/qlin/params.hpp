// params.hpp: scale and zero point from a real range (min, max), per tensor and per channel.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// A quantized value q in [qmin, qmax] stands for the real value  r = scale * (q - zero_point).
// choose_qparams() picks (scale, zero_point) for a range [min, max] with one of the peers'
// algorithms, chosen by `compat` (the default is `compat::pytorch`):
//
// pytorch  (torch 1.13 observers' _calculate_qparams, torch/ao/quantization/observer.py), in float32:
//   min_neg = min(min, 0), max_pos = max(max, 0)
//   affine:    scale = max(f32(f32(max_pos - min_neg) / f32(qmax - qmin)), eps)
//              zero_point = clamp(qmin - int(round_half_even(f32(min_neg / scale))), qmin, qmax)
//   symmetric: scale = max(f32(max(-min_neg, max_pos) / f32((qmax - qmin) / 2)), eps)
//              zero_point = 0 for signed types; for unsigned types 2^(bits-1) (128 for uint8) with
//              the dtype's default range, else floor((qmin + qmax) / 2) (so custom 0..255 gives 127)
//   eps defaults to FLT_EPSILON = 2^-23: an all-zero range gives scale 2^-23, zero point qmin (affine).
//   Symmetric + unsigned + reduce_range is refused (errc::unsupported), as torch raises.
//   torch 1.13 gives zero point 0 for quint4x2 symmetric; qlin gives 8 (the uint8 rule applied to
//   uint4), since 0 would clamp every negative value.
//
// tflite / gemmlowp / xnnpack  (TFLite GetAsymmetricQuantizationParams and the FakeQuant Nudge,
//   tensorflow/lite/tools/optimize/quantization_utils.cc, tensorflow/core/kernels/
//   fake_quant_ops_functor.h; gemmlowp doc/quantization_example.cc is the same algorithm; XNNPACK
//   takes its parameters from TFLite models), in float32:
//   min_neg = min(min, 0), max_pos = max(max, 0)
//   affine:    scale = (max_pos - min_neg) / f32(qmax - qmin)
//              zp_from_min = f32(qmin) - min_neg / scale
//              zero_point = zp_from_min < qmin ? qmin : zp_from_min > qmax ? qmax : round_half_away(zp_from_min)
//              The representable ("nudged") range is then [(qmin - zp) * scale, (qmax - zp) * scale],
//              see representable_range().
//   symmetric: signed types: scale = amax / f32(qmax), zero_point = 0 (TFLite's symmetric weights:
//              127 for int8); unsigned types as pytorch.
//   TFLite returns scale 0 for the range [0, 0]; a scale of 0 cannot quantize, so qlin refuses it
//   (errc::degenerate_range) in these presets.
//
// Errors (every preset): symmetric on a signed type with a custom range that excludes 0
// (errc::invalid_range; torch asserts quant_min <= 0 <= quant_max); NaN or +-Inf min / max (errc::non_finite_input); min > max
// (errc::min_greater_than_max); a range whose width overflows float (errc::invalid_scale); a bad
// range option (errc::invalid_range, see dtype.hpp).
#ifndef QLIN_PARAMS_HPP_
#define QLIN_PARAMS_HPP_

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "dtype.hpp"
#include "result.hpp"
#include "rounding.hpp"

namespace qlin {

/// How zero relates to the range.
enum class qscheme : unsigned char {
  affine,     ///< zero point anywhere in [qmin, qmax]; the range is extended to include 0
  symmetric,  ///< [-amax, amax]; zero point 0 (signed) or the midpoint (unsigned)
};

/// Whose arithmetic to reproduce, bit for bit. The default everywhere in qlin is `pytorch`.
enum class compat : unsigned char { pytorch, tflite, gemmlowp, xnnpack };

/// The preset's name: "pytorch", "tflite", "gemmlowp" or "xnnpack".
constexpr const char* to_string(compat c) noexcept {
  return c == compat::pytorch ? "pytorch" : c == compat::tflite ? "tflite" : c == compat::gemmlowp ? "gemmlowp" : "xnnpack";
}
/// "affine" or "symmetric".
constexpr const char* to_string(qscheme s) noexcept { return s == qscheme::affine ? "affine" : "symmetric"; }

/// The preset named `name` (as to_string(compat) spells it); errc::invalid_argument for any other
/// name or nullptr.
inline result<compat> parse_compat(const char* name) noexcept {
  static constexpr compat all[] = {compat::pytorch, compat::tflite, compat::gemmlowp, compat::xnnpack};
  if (name != nullptr) {
    for (compat c : all) {
      if (std::strcmp(name, to_string(c)) == 0) return c;
    }
  }
  return fail(errc::invalid_argument, "unknown compat preset (expected pytorch, tflite, gemmlowp or xnnpack)");
}

/// Per-tensor quantization parameters: r = scale * (q - zero_point), q in [qmin, qmax].
struct quant_params {
  /// Real value of one step; finite and > 0.
  float scale = 1.0f;
  /// The code of the real value 0.
  std::int32_t zero_point = 0;
  /// Smallest code (inclusive).
  std::int32_t qmin = -128;
  /// Largest code (inclusive).
  std::int32_t qmax = 127;

  /// [qmin, qmax] as a qrange.
  constexpr qrange range() const noexcept { return {qmin, qmax}; }
};

/// Parameters with a float zero point (PyTorch's per_channel_affine_float_qparams):
/// q = clamp(round_half_even(x / scale + zero_point)), r = (q - zero_point) * scale.
struct float_quant_params {
  /// Real value of one step; finite and > 0.
  float scale = 1.0f;
  /// The (float) code of the real value 0.
  float zero_point = 0.0f;
  /// Smallest code (inclusive).
  std::int32_t qmin = 0;
  /// Largest code (inclusive).
  std::int32_t qmax = 255;
};

/// Options of choose_qparams. The defaults are int8, affine, full range, pytorch.
struct qparams_options {
  /// The quantized data type.
  dtype type = dtype::int8;
  /// Affine or symmetric.
  qscheme scheme = qscheme::affine;
  /// Narrow, reduce_range or custom bounds (dtype.hpp).
  range_options range = {};
  /// Whose algorithm to reproduce.
  compat preset = compat::pytorch;
  float eps = FLT_EPSILON;  ///< pytorch: the smallest scale (the observers' `eps`)
};

namespace detail {
// A scale qlin can use: finite, > 0, and with a finite float reciprocal (the PyTorch / XNNPACK
// kernels multiply by f32(1 / scale); below about 2.9e-39 that reciprocal is +Inf and 0 * Inf is NaN).
inline bool scale_usable(float scale) noexcept {
  return scale > 0.0f && std::isfinite(scale) && std::isfinite(1.0f / scale);
}
}  // namespace detail

/// Validates hand-made parameters: scale finite and > 0 with a finite reciprocal (scale >= ~2.9e-39),
/// qmin < qmax, zero point in [qmin, qmax].
inline result<quant_params> make_quant_params(float scale, std::int32_t zero_point, qrange r) noexcept {
  if (!(scale > 0.0f) || !std::isfinite(scale)) return fail(errc::invalid_scale, "scale must be finite and > 0");
  if (!detail::scale_usable(scale)) return fail(errc::invalid_scale, "scale is too small: 1 / scale overflows float");
  if (r.qmin >= r.qmax) return fail(errc::invalid_range, "qmin must be less than qmax");
  if (zero_point < r.qmin || zero_point > r.qmax) {
    return fail(errc::zero_point_out_of_range, "zero point lies outside [qmin, qmax]");
  }
  return quant_params{scale, zero_point, r.qmin, r.qmax};
}

/// Validates hand-made parameters against a dtype as well (the range must fit its storage).
inline result<quant_params> make_quant_params(float scale, std::int32_t zero_point, qrange r, dtype t) noexcept {
  const status s = validate(r, t);
  if (!s) return s.error();
  return make_quant_params(scale, zero_point, r);
}

/// The real interval that [qmin, qmax] represents: [(qmin - zp) * scale, (qmax - zp) * scale] in
/// float32. For the tflite preset this is TensorFlow's nudged range.
inline std::pair<float, float> representable_range(const quant_params& p) noexcept {
  return {static_cast<float>(p.qmin - p.zero_point) * p.scale, static_cast<float>(p.qmax - p.zero_point) * p.scale};
}

namespace detail {

inline status check_min_max(float min, float max) noexcept {
  if (!std::isfinite(min) || !std::isfinite(max)) return fail(errc::non_finite_input, "min and max must be finite");
  if (min > max) return fail(errc::min_greater_than_max, "min must not be greater than max");
  return ok();
}

// The zero point of a symmetric range over an unsigned type: the midpoint. With the dtype's
// default range PyTorch uses 128 for quint8 (2^(bits-1)); with any other range, floor((qmin+qmax)/2).
inline std::int32_t symmetric_unsigned_zero_point(dtype t, qrange r, bool default_range) noexcept {
  if (default_range) return std::int32_t{1} << (bit_width(t) - 1);
  return floor_div2(r.qmin + r.qmax);
}

inline result<quant_params> choose_pytorch(float min, float max, dtype t, qscheme scheme, qrange r,
                                           bool default_range, float eps) noexcept {
  const float min_neg = min < 0.0f ? min : 0.0f;
  const float max_pos = max > 0.0f ? max : 0.0f;
  const float qmin_f = static_cast<float>(r.qmin);
  if (scheme == qscheme::symmetric) {
    const float amax = -min_neg > max_pos ? -min_neg : max_pos;
    float scale = amax / (static_cast<float>(r.qmax - r.qmin) / 2.0f);
    if (scale < eps) scale = eps;
    if (!std::isfinite(scale)) return fail(errc::invalid_scale, "the range is too wide: the scale overflows float");
    if (!scale_usable(scale)) return fail(errc::invalid_scale, "the range is too narrow: 1 / scale overflows float");
    const std::int32_t zp = is_signed(t) ? 0 : symmetric_unsigned_zero_point(t, r, default_range);
    return quant_params{scale, zp, r.qmin, r.qmax};
  }
  float scale = (max_pos - min_neg) / static_cast<float>(r.qmax - r.qmin);
  if (scale < eps) scale = eps;
  if (!std::isfinite(scale)) return fail(errc::invalid_scale, "the range is too wide: max - min overflows float");
  if (!scale_usable(scale)) return fail(errc::invalid_scale, "the range is too narrow: 1 / scale overflows float");
  // zero_point = qmin - round(min_neg / scale); min_neg / scale lies in [-(qmax - qmin), 0].
  const float z = qmin_f - round_half_even(min_neg / scale);
  std::int32_t zp = static_cast<std::int32_t>(z);
  if (zp < r.qmin) zp = r.qmin;
  if (zp > r.qmax) zp = r.qmax;
  return quant_params{scale, zp, r.qmin, r.qmax};
}

inline result<quant_params> choose_tflite(float min, float max, dtype t, qscheme scheme, qrange r,
                                          bool default_range) noexcept {
  const float min_neg = min < 0.0f ? min : 0.0f;
  const float max_pos = max > 0.0f ? max : 0.0f;
  const float qmin_f = static_cast<float>(r.qmin);
  const float qmax_f = static_cast<float>(r.qmax);
  if (scheme == qscheme::symmetric) {
    const float amax = -min_neg > max_pos ? -min_neg : max_pos;
    const float divisor = is_signed(t) ? qmax_f : static_cast<float>(r.qmax - r.qmin) / 2.0f;
    const float scale = amax / divisor;
    if (scale == 0.0f) return fail(errc::degenerate_range, "the range is [0, 0]: this preset would give scale 0");
    if (!std::isfinite(scale)) return fail(errc::invalid_scale, "the range is too wide: the scale overflows float");
    if (!scale_usable(scale)) return fail(errc::invalid_scale, "the range is too narrow: 1 / scale overflows float");
    const std::int32_t zp = is_signed(t) ? 0 : symmetric_unsigned_zero_point(t, r, default_range);
    return quant_params{scale, zp, r.qmin, r.qmax};
  }
  const float scale = (max_pos - min_neg) / (qmax_f - qmin_f);
  if (scale == 0.0f) return fail(errc::degenerate_range, "the range is [0, 0]: this preset would give scale 0");
  if (!std::isfinite(scale)) return fail(errc::invalid_scale, "the range is too wide: max - min overflows float");
  if (!scale_usable(scale)) return fail(errc::invalid_scale, "the range is too narrow: 1 / scale overflows float");
  const float zp_from_min = qmin_f - min_neg / scale;
  std::int32_t zp;
  if (zp_from_min < qmin_f) {
    zp = r.qmin;
  } else if (zp_from_min > qmax_f) {
    zp = r.qmax;
  } else {
    zp = static_cast<std::int32_t>(round_half_away(zp_from_min));
  }
  return quant_params{scale, zp, r.qmin, r.qmax};
}

}  // namespace detail

/// Scale and zero point for the real range [min, max]; see the top of this header for the
/// formulas of each preset.
inline result<quant_params> choose_qparams(float min, float max, const qparams_options& opt = {}) noexcept {
  const status valid = detail::check_min_max(min, max);
  if (!valid) return valid.error();
  const result<qrange> r = make_qrange(opt.type, opt.range);
  if (!r) return r.error();
  const bool default_range = !opt.range.custom && !opt.range.narrow && !opt.range.reduce_range;
  if (opt.scheme == qscheme::symmetric && is_signed(opt.type) && (r->qmin > 0 || r->qmax < 0)) {
    // The symmetric zero point of a signed type is 0; a range without 0 cannot hold it.
    return fail(errc::invalid_range, "a symmetric scheme on a signed type needs 0 inside [qmin, qmax]");
  }
  if (opt.preset == compat::pytorch) {
    if (opt.scheme == qscheme::symmetric && !is_signed(opt.type) && opt.range.reduce_range) {
      return fail(errc::unsupported, "symmetric quantization of an unsigned type with reduce_range is not defined by PyTorch");
    }
    if (!(opt.eps > 0.0f) || !std::isfinite(opt.eps)) return fail(errc::invalid_scale, "eps must be finite and > 0");
    return detail::choose_pytorch(min, max, opt.type, opt.scheme, *r, default_range, opt.eps);
  }
  return detail::choose_tflite(min, max, opt.type, opt.scheme, *r, default_range);
}

/// PyTorch's per_channel_affine_float_qparams: zero is not forced into the range.
///   scale = f32(f32(max - min) / f32(qmax - qmin)); scale = scale > eps ? scale : 1
///   zero_point = f32(-min / scale)   (neither rounded nor clamped)
/// Only `opt.type`, `opt.range` and `opt.eps` are used.
inline result<float_quant_params> choose_float_qparams(float min, float max, const qparams_options& opt = {}) noexcept {
  const status valid = detail::check_min_max(min, max);
  if (!valid) return valid.error();
  const result<qrange> r = make_qrange(opt.type, opt.range);
  if (!r) return r.error();
  float scale = (max - min) / static_cast<float>(r->qmax - r->qmin);
  if (!std::isfinite(scale)) return fail(errc::invalid_scale, "the range is too wide: max - min overflows float");
  if (!(scale > opt.eps)) scale = 1.0f;
  if (!detail::scale_usable(scale)) return fail(errc::invalid_scale, "the range is too narrow: 1 / scale overflows float");
  const float zp = -min / scale;
  return float_quant_params{scale, zp, r->qmin, r->qmax};
}

/// Per-channel parameters: channel c uses scales[c] and zero_points[c].
struct per_channel_params {
  /// Scale of each channel.
  std::vector<float> scales;
  /// Zero point of each channel.
  std::vector<std::int32_t> zero_points;
  /// Smallest code (inclusive), all channels.
  std::int32_t qmin = -128;
  /// Largest code (inclusive), all channels.
  std::int32_t qmax = 127;

  /// Number of channels.
  std::size_t channels() const noexcept { return scales.size(); }
  /// The per-tensor parameters of channel c (c < channels()).
  quant_params channel(std::size_t c) const noexcept { return {scales[c], zero_points[c], qmin, qmax}; }
};

/// Per-channel parameters with float zero points.
struct per_channel_float_params {
  /// Scale of each channel.
  std::vector<float> scales;
  /// Float zero point of each channel.
  std::vector<float> zero_points;
  /// Smallest code (inclusive), all channels.
  std::int32_t qmin = 0;
  /// Largest code (inclusive), all channels.
  std::int32_t qmax = 255;
};

/// choose_qparams for each channel c over [mins[c], maxs[c]]. The first failing channel's error
/// is returned.
inline result<per_channel_params> choose_qparams_per_channel(const float* mins, const float* maxs, std::size_t channels,
                                                             const qparams_options& opt = {}) {
  const result<qrange> r = make_qrange(opt.type, opt.range);
  if (!r) return r.error();
  per_channel_params out;
  out.qmin = r->qmin;
  out.qmax = r->qmax;
  out.scales.resize(channels);
  out.zero_points.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const result<quant_params> p = choose_qparams(mins[c], maxs[c], opt);
    if (!p) return p.error();
    out.scales[c] = p->scale;
    out.zero_points[c] = p->zero_point;
  }
  return out;
}

/// choose_float_qparams for each channel.
inline result<per_channel_float_params> choose_float_qparams_per_channel(const float* mins, const float* maxs,
                                                                         std::size_t channels,
                                                                         const qparams_options& opt = {}) {
  const result<qrange> r = make_qrange(opt.type, opt.range);
  if (!r) return r.error();
  per_channel_float_params out;
  out.qmin = r->qmin;
  out.qmax = r->qmax;
  out.scales.resize(channels);
  out.zero_points.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const result<float_quant_params> p = choose_float_qparams(mins[c], maxs[c], opt);
    if (!p) return p.error();
    out.scales[c] = p->scale;
    out.zero_points[c] = p->zero_point;
  }
  return out;
}

}  // namespace qlin

#endif  // QLIN_PARAMS_HPP_
