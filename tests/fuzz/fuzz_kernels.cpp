// fuzz_kernels.cpp: differential fuzzing of qlin::simd:: against the scalar reference (libFuzzer).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// The input bytes choose a kernel (quantize, dequantize, requantize, requantize_rows), an output
// type, parameters and the data. Parameters are only ever built through qlin's validating
// functions (make_quant_params, choose_qparams, make_requantize_params); when those refuse the
// bytes, the refusal is checked against an independent statement of the rule (DESIGN.md section
// 2: bad parameters are an error, never a clamp in silence) and the input ends there. Accepted
// parameters run the scalar reference and the SIMD path on the same data, at an arbitrary byte
// offset (unaligned pointers are allowed); the outputs must be equal bit for bit. Any mismatch or
// wrong verdict aborts with a description. Data are raw bit patterns, so NaN payloads, +-Inf,
// subnormals, ties, INT32_MIN / INT32_MAX all occur.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include <qlin/params.hpp>
#include <qlin/quantize.hpp>
#include <qlin/requantize.hpp>
#include <qlin/simd.hpp>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_kernels (%s): %s\n", qlin::simd::active_arch_name(), what);
  std::abort();
}

void check(bool cond, const char* what) {
  if (!cond) die(what);
}

constexpr std::size_t max_elements = 1024;
constexpr std::size_t max_offset = 7;

// Raw bytes of n elements of E, copied to a buffer at a byte offset (unaligned on purpose).
template <class E>
struct buffer {
  std::vector<unsigned char> storage;
  std::size_t offset = 0;
  std::size_t n = 0;
  E* data() { return reinterpret_cast<E*>(storage.data() + offset); }  // accessed through memcpy by qlin
  const E* data() const { return reinterpret_cast<const E*>(storage.data() + offset); }
};

template <class E>
buffer<E> take_elements(FuzzedDataProvider& in, std::size_t offset) {
  buffer<E> b;
  b.offset = offset;
  const std::size_t n_max = std::min(max_elements, in.remaining_bytes() / sizeof(E));
  b.n = in.ConsumeIntegralInRange<std::size_t>(0, n_max);
  b.storage.assign(b.offset + b.n * sizeof(E) + 1, 0);
  const std::vector<unsigned char> raw = in.ConsumeBytes<unsigned char>(b.n * sizeof(E));
  if (!raw.empty()) std::memcpy(b.storage.data() + b.offset, raw.data(), raw.size());
  return b;
}

template <class T>
qlin::dtype dtype_of() {
  return std::is_same<T, std::int8_t>::value ? qlin::dtype::int8
         : std::is_same<T, std::uint8_t>::value ? qlin::dtype::uint8
                                                : qlin::dtype::int16;
}

float take_float(FuzzedDataProvider& in) {
  const auto bits = in.ConsumeIntegral<std::uint32_t>();
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

double take_double(FuzzedDataProvider& in) {
  const auto bits = in.ConsumeIntegral<std::uint64_t>();
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// An int32 that is often in [lo, hi] or just outside either bound (lo > hi is allowed: the bounds
// can come from bytes that describe an invalid range).
std::int32_t take_int(FuzzedDataProvider& in, std::int32_t lo, std::int32_t hi) {
  if (lo > hi) std::swap(lo, hi);
  const auto near = [&in](std::int32_t v) {
    const std::int64_t w = static_cast<std::int64_t>(v) + in.ConsumeIntegralInRange<std::int64_t>(-2, 2);
    return static_cast<std::int32_t>(std::min<std::int64_t>(std::max<std::int64_t>(w, INT32_MIN), INT32_MAX));
  };
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return in.ConsumeIntegralInRange<std::int32_t>(lo, hi);
    case 1: return in.ConsumeIntegral<std::int32_t>();
    case 2: return near(lo);
    default: return near(hi);
  }
}

qlin::quantize_method take_method(FuzzedDataProvider& in) {
  qlin::quantize_method m;
  m.mode = static_cast<qlin::rounding>(in.ConsumeIntegralInRange<int>(0, 2));
  m.divide = in.ConsumeBool();
  m.zero_point_before_round = in.ConsumeBool();
  return m;
}

bool scale_usable(float s) { return s > 0.0f && std::isfinite(s) && std::isfinite(1.0f / s); }

// Per-tensor quantization parameters for T, or nothing when the bytes describe invalid ones
// (after checking that the refusal is right).
template <class T>
bool take_quant_params(FuzzedDataProvider& in, qlin::quant_params& out) {
  const qlin::dtype t = dtype_of<T>();
  const qlin::qrange full = qlin::full_range(t);
  if (in.ConsumeBool()) {
    // Hand-made: make_quant_params(scale, zero point, range, dtype).
    const float scale = take_float(in);
    qlin::qrange r = full;
    if (in.ConsumeBool()) {
      r.qmin = take_int(in, full.qmin, full.qmax);
      r.qmax = take_int(in, full.qmin, full.qmax);
    }
    const std::int32_t zp = take_int(in, r.qmin, r.qmax);
    const qlin::result<qlin::quant_params> p = qlin::make_quant_params(scale, zp, r, t);
    const bool valid = scale_usable(scale) && r.qmin < r.qmax && r.qmin >= full.qmin && r.qmax <= full.qmax &&
                       zp >= r.qmin && zp <= r.qmax;
    if (!valid) {
      check(!p, "make_quant_params accepted invalid parameters");
      const qlin::errc c = p.code();
      check(c == qlin::errc::invalid_scale || c == qlin::errc::invalid_range || c == qlin::errc::zero_point_out_of_range,
            "make_quant_params refused with an unexpected error code");
      return false;
    }
    check(static_cast<bool>(p), "make_quant_params refused valid parameters");
    check(p->scale == scale && p->zero_point == zp && p->qmin == r.qmin && p->qmax == r.qmax,
          "make_quant_params changed the parameters");
    out = *p;
    return true;
  }
  // From a range: choose_qparams(min, max, options).
  const float mn = take_float(in);
  const float mx = take_float(in);
  qlin::qparams_options opt;
  opt.type = t;
  opt.scheme = in.ConsumeBool() ? qlin::qscheme::symmetric : qlin::qscheme::affine;
  opt.preset = static_cast<qlin::compat>(in.ConsumeIntegralInRange<int>(0, 3));
  opt.range.narrow = in.ConsumeBool();
  opt.range.reduce_range = in.ConsumeBool();
  opt.range.custom = in.ConsumeBool();
  if (opt.range.custom) {
    opt.range.quant_min = take_int(in, full.qmin, full.qmax);
    opt.range.quant_max = take_int(in, full.qmin, full.qmax);
  }
  const qlin::result<qlin::quant_params> p = qlin::choose_qparams(mn, mx, opt);
  if (!p) {
    const bool bad_range = !std::isfinite(mn) || !std::isfinite(mx) || mn > mx;
    const bool bad_custom = opt.range.custom && (opt.range.quant_min >= opt.range.quant_max ||
                                                 opt.range.quant_min < full.qmin || opt.range.quant_max > full.qmax);
    const qlin::errc c = p.code();
    check(c != qlin::errc::ok, "an error result with errc::ok");
    if (c == qlin::errc::non_finite_input) check(!std::isfinite(mn) || !std::isfinite(mx), "non_finite_input for finite min / max");
    if (c == qlin::errc::min_greater_than_max) check(mn > mx, "min_greater_than_max for min <= max");
    if (!bad_range && !bad_custom) {
      check(c == qlin::errc::invalid_range || c == qlin::errc::invalid_scale || c == qlin::errc::degenerate_range ||
                c == qlin::errc::unsupported,
            "choose_qparams refused a valid range with an unexpected error code");
    }
    return false;
  }
  const bool ok = std::isfinite(mn) && std::isfinite(mx) && mn <= mx && scale_usable(p->scale) && p->qmin < p->qmax &&
                  p->qmin >= full.qmin && p->qmax <= full.qmax && p->zero_point >= p->qmin && p->zero_point <= p->qmax;
  if (!ok) {
    std::fprintf(stderr,
                 "choose_qparams(%.9g, %.9g, {%s, %s, %s, narrow %d, reduce_range %d, custom %d [%d, %d]}) = "
                 "{scale %.9g, zero point %d, [%d, %d]}\n",
                 static_cast<double>(mn), static_cast<double>(mx), qlin::to_string(t), qlin::to_string(opt.scheme),
                 qlin::to_string(opt.preset), opt.range.narrow, opt.range.reduce_range, opt.range.custom,
                 opt.range.quant_min, opt.range.quant_max, static_cast<double>(p->scale), p->zero_point, p->qmin, p->qmax);
  }
  check(std::isfinite(mn) && std::isfinite(mx) && mn <= mx, "choose_qparams accepted a bad range");
  check(scale_usable(p->scale), "choose_qparams returned an unusable scale");
  check(p->qmin < p->qmax && p->qmin >= full.qmin && p->qmax <= full.qmax, "choose_qparams returned a range outside the dtype");
  check(p->zero_point >= p->qmin && p->zero_point <= p->qmax, "choose_qparams returned a zero point outside the range");
  out = *p;
  return true;
}

template <class T>
void fuzz_quantize(FuzzedDataProvider& in) {
  qlin::quant_params p;
  if (!take_quant_params<T>(in, p)) return;
  const qlin::quantize_method m = take_method(in);
  const std::size_t offset = in.ConsumeIntegralInRange<std::size_t>(0, max_offset);
  const buffer<float> x = take_elements<float>(in, offset);
  std::vector<T> ref(x.n + 1), got(x.n + 1);
  qlin::quantize(x.data(), x.n, ref.data(), p, m);
  qlin::simd::quantize(x.data(), x.n, got.data(), p, m);
  if (x.n != 0 && std::memcmp(ref.data(), got.data(), x.n * sizeof(T)) != 0) die("quantize: simd != scalar");
  for (std::size_t i = 0; i < x.n; ++i) {
    check(ref[i] >= p.qmin && ref[i] <= p.qmax, "quantize: a code outside [qmin, qmax]");
  }
}

template <class T>
void fuzz_dequantize(FuzzedDataProvider& in) {
  qlin::quant_params p;
  if (!take_quant_params<T>(in, p)) return;
  const std::size_t offset = in.ConsumeIntegralInRange<std::size_t>(0, max_offset);
  const buffer<T> q = take_elements<T>(in, offset);
  std::vector<float> ref(q.n + 1), got(q.n + 1);
  qlin::dequantize(q.data(), q.n, ref.data(), p);
  qlin::simd::dequantize(q.data(), q.n, got.data(), p);
  if (q.n != 0 && std::memcmp(ref.data(), got.data(), q.n * sizeof(float)) != 0) die("dequantize: simd != scalar");
}

// Requantization parameters whose clamp range fits T, or nothing (refusal checked).
template <class T>
bool take_requantize_params(FuzzedDataProvider& in, qlin::requantize_params& out) {
  const auto rounding = static_cast<qlin::requant_rounding>(in.ConsumeIntegralInRange<int>(0, 2));
  const qlin::qrange full = qlin::full_range(dtype_of<T>());
  qlin::qrange clamp = full;
  if (in.ConsumeBool()) {
    // Any sub-range of T (possibly empty or reversed: make_requantize_params must refuse those).
    clamp.qmin = in.ConsumeIntegralInRange<std::int32_t>(full.qmin, full.qmax);
    clamp.qmax = in.ConsumeIntegralInRange<std::int32_t>(full.qmin, full.qmax);
  }
  const std::int32_t zp = take_int(in, -65536, 65536);
  const bool common_ok = clamp.qmin < clamp.qmax && zp >= -65536 && zp <= 65536;
  qlin::result<qlin::requantize_params> p = qlin::fail(qlin::errc::invalid_argument, "unset");
  if (in.ConsumeBool()) {
    double real = take_double(in);
    if (in.ConsumeBool()) real = std::ldexp(static_cast<double>(in.ConsumeIntegral<std::uint32_t>()), in.ConsumeIntegralInRange<int>(-70, 10));
    p = qlin::make_requantize_params(real, zp, clamp, rounding);
    if (!p) {
      const qlin::errc c = p.code();
      if (common_ok && std::isfinite(real) && real >= 0.0) {
        if (rounding == qlin::requant_rounding::fp32) {
          check(!std::isfinite(static_cast<float>(real)) && c == qlin::errc::invalid_scale, "fp32: a usable multiplier was refused");
        } else {
          check(real >= std::ldexp(1.0, 29) && c == qlin::errc::unrepresentable_multiplier,
                "a representable real multiplier was refused");
        }
      }
      return false;
    }
    check(common_ok && std::isfinite(real) && real >= 0.0, "make_requantize_params(real) accepted invalid parameters");
    if (rounding != qlin::requant_rounding::fp32) check(real < std::ldexp(1.0, 30), "a multiplier >= 2^30 was accepted");
  } else {
    const qlin::quantized_multiplier m{in.ConsumeIntegral<std::int32_t>(), in.ConsumeIntegralInRange<int>(-40, 40)};
    p = qlin::make_requantize_params(m, zp, clamp, rounding);
    const bool valid = common_ok && rounding != qlin::requant_rounding::fp32 && m.multiplier >= 0 &&
                       m.shift >= qlin::min_shift && m.shift <= qlin::max_shift;
    check(static_cast<bool>(p) == valid, valid ? "make_requantize_params(m) refused valid parameters"
                                               : "make_requantize_params(m) accepted invalid parameters");
    if (!p) return false;
  }
  check(p->qmin == clamp.qmin && p->qmax == clamp.qmax && p->zero_point == zp, "make_requantize_params changed the range");
  out = *p;
  return true;
}

template <class T>
void fuzz_requantize(FuzzedDataProvider& in) {
  qlin::requantize_params p;
  if (!take_requantize_params<T>(in, p)) return;
  // int32 accumulators stay aligned: the requantize functions take them as int32_t arrays.
  const buffer<std::int32_t> acc = take_elements<std::int32_t>(in, 0);
  std::vector<T> ref(acc.n + 1), got(acc.n + 1);
  qlin::requantize(acc.data(), acc.n, ref.data(), p);
  qlin::simd::requantize(acc.data(), acc.n, got.data(), p);
  if (acc.n != 0 && std::memcmp(ref.data(), got.data(), acc.n * sizeof(T)) != 0) die("requantize: simd != scalar");
  for (std::size_t i = 0; i < acc.n; ++i) check(ref[i] >= p.qmin && ref[i] <= p.qmax, "requantize: outside [qmin, qmax]");
}

template <class T>
void fuzz_requantize_rows(FuzzedDataProvider& in) {
  qlin::requantize_params p;
  if (!take_requantize_params<T>(in, p)) return;
  const std::size_t channels = in.ConsumeIntegralInRange<std::size_t>(1, 67);
  const bool with_bias = in.ConsumeBool();
  std::vector<std::int32_t> bias(channels);
  for (std::int32_t& b : bias) b = take_int(in, -1000, 1000);
  const buffer<std::int32_t> acc = take_elements<std::int32_t>(in, 0);
  const std::size_t rows = acc.n / channels;
  const std::size_t n = rows * channels;
  std::vector<T> ref(n + 1), got(n + 1);
  qlin::requantize_rows(acc.data(), rows, channels, with_bias ? bias.data() : nullptr, ref.data(), p);
  qlin::simd::requantize_rows(acc.data(), rows, channels, with_bias ? bias.data() : nullptr, got.data(), p);
  if (n != 0 && std::memcmp(ref.data(), got.data(), n * sizeof(T)) != 0) die("requantize_rows: simd != scalar");
}

template <class T>
void fuzz_type(FuzzedDataProvider& in, int kernel) {
  switch (kernel) {
    case 0: fuzz_quantize<T>(in); break;
    case 1: fuzz_dequantize<T>(in); break;
    case 2: fuzz_requantize<T>(in); break;
    default: fuzz_requantize_rows<T>(in); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int kernel = in.ConsumeIntegralInRange<int>(0, 3);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: fuzz_type<std::int8_t>(in, kernel); break;
    case 1: fuzz_type<std::uint8_t>(in, kernel); break;
    default: fuzz_type<std::int16_t>(in, kernel); break;
  }
  return 0;
}
