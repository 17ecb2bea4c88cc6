// demo.cpp: a tour of qlin in one screen; README's first command builds and runs it.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Part 1 quantizes a synthetic activation tensor with each preset (pytorch, tflite, gemmlowp, xnnpack) and
// measures the error of dequantize(quantize(x)). Part 2 runs a tiny int8 layer y = W x by hand: per-channel
// weights, int32 accumulation with the zero-point correction written out, and requantization to int8 with
// each of qlin's three roundings. docs/arithmetic.md explains the arithmetic.
#include <qlin/quant.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <tuple>
#include <utility>
#include <vector>

namespace {

// xorshift64*: the same numbers on every platform (std::normal_distribution is not portable).
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  double uniform() {  // in [0, 1)
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<double>((state_ * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
  }
  double gauss() {  // about N(0, 1): the sum of 12 uniforms minus 6 (Irwin-Hall), no libm involved
    double s = -6.0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return s;
  }

 private:
  std::uint64_t state_;
};

// Mostly a shifted gaussian; about 1 value in 64 is an outlier of magnitude 4..8.
std::vector<float> make_activations(std::size_t n, rng& g) {
  std::vector<float> x(n);
  for (float& v : x) {
    const bool outlier = g.uniform() < 1.0 / 64;
    const double sign = g.uniform() < 0.5 ? -1.0 : 1.0;
    v = static_cast<float>(outlier ? sign * (4.0 + 4.0 * g.uniform()) : 0.3 + 0.8 * g.gauss());
  }
  return x;
}

struct error_stats {
  double mse, sqnr_db, max_abs;
};

// MSE, signal-to-quantization-noise ratio (dB) and largest error of `got` against `ref`.
error_stats compare(const std::vector<float>& ref, const std::vector<float>& got) {
  double signal = 0, noise = 0, max_abs = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double r = ref[i], e = static_cast<double>(got[i]) - r;
    signal += r * r;
    noise += e * e;
    max_abs = std::fabs(e) > max_abs ? std::fabs(e) : max_abs;
  }
  return {noise / static_cast<double>(ref.size()), 10.0 * std::log10(signal / noise), max_abs};
}

std::pair<float, float> min_max(const float* v, std::size_t n) {
  const auto mm = std::minmax_element(v, v + n);
  return {*mm.first, *mm.second};
}

// Part 1, one row of the table: parameters from the tensor's range, then a round trip.
template <class T>
void round_trip(const std::vector<float>& x, std::pair<float, float> xr, qlin::compat preset, qlin::dtype type,
                qlin::qscheme scheme) {
  qlin::qparams_options opt;  // C++17 has no designated initializers: set the fields one by one
  opt.type = type;
  opt.scheme = scheme;
  opt.preset = preset;
  const qlin::result<qlin::quant_params> p = qlin::choose_qparams(xr.first, xr.second, opt);
  if (!p) {
    std::printf("%-9s %-6s %-9s error: %s\n", qlin::to_string(preset), qlin::to_string(type), qlin::to_string(scheme),
                p.error().message);
    return;
  }
  std::vector<T> q(x.size());
  std::vector<float> back(x.size());
  qlin::quantize(x.data(), x.size(), q.data(), *p, qlin::quantize_method::of(preset));  // the preset's rounding too
  qlin::dequantize(q.data(), q.size(), back.data(), *p);
  const error_stats e = compare(x, back);
  std::printf("%-9s %-6s %-9s %12.9f %5d %11.3e %8.2f %10.6f\n", qlin::to_string(preset), qlin::to_string(type),
              qlin::to_string(scheme), static_cast<double>(p->scale), p->zero_point, e.mse, e.sqnr_db, e.max_abs);
}

}  // namespace

int main() {
  rng g(20260101);
  constexpr std::size_t kRows = 16, kIn = 256, kOut = 256;  // y[kRows][kOut] = x[kRows][kIn] * W^T
  const std::vector<float> x = make_activations(kRows * kIn, g);
  const std::pair<float, float> xr = min_max(x.data(), x.size());

  std::printf("Part 1: %zu activations in [%.4f, %.4f], dequantize(quantize(x)) vs x\n", x.size(),
              static_cast<double>(xr.first), static_cast<double>(xr.second));
  std::printf("%-9s %-6s %-9s %12s %5s %11s %8s %10s\n", "preset", "dtype", "scheme", "scale", "zp", "MSE", "SQNR dB",
              "max |err|");
  for (qlin::compat c : {qlin::compat::pytorch, qlin::compat::tflite, qlin::compat::gemmlowp, qlin::compat::xnnpack}) {
    round_trip<std::int8_t>(x, xr, c, qlin::dtype::int8, qlin::qscheme::affine);
    round_trip<std::uint8_t>(x, xr, c, qlin::dtype::uint8, qlin::qscheme::affine);
    round_trip<std::int8_t>(x, xr, c, qlin::dtype::int8, qlin::qscheme::symmetric);
  }
  std::printf("(affine presets differ only near ties; symmetric int8 divides amax by 127.5 in pytorch, 127 else)\n");

  // Part 2. Weights: each output channel has its own spread, so per-channel parameters pay off.
  std::vector<float> w(kOut * kIn), wmin(kOut), wmax(kOut);
  for (std::size_t o = 0; o < kOut; ++o) {
    const double spread = 0.01 * static_cast<double>(1 + o % 8);
    for (std::size_t k = 0; k < kIn; ++k) w[o * kIn + k] = static_cast<float>(spread * g.gauss());
    std::tie(wmin[o], wmax[o]) = min_max(&w[o * kIn], kIn);
  }
  // Activations per tensor, weights per output channel, both int8 affine (the default: pytorch preset).
  const qlin::quant_params xp = *qlin::choose_qparams(xr.first, xr.second);
  const qlin::per_channel_params wp = *qlin::choose_qparams_per_channel(wmin.data(), wmax.data(), kOut);
  std::vector<std::int8_t> xq(x.size()), wq(w.size());
  qlin::quantize(x.data(), x.size(), xq.data(), xp);
  qlin::quantize_per_channel(w.data(), 1, kOut, kIn, wq.data(), wp);  // [outer = 1][channels = kOut][inner = kIn]

  // int32 accumulation: sum (x - zx)(w - zw) = sum x*w - zw*sum x - zx*sum w + K*zx*zw. The inner loop
  // becomes a plain int8 dot product; sum w is a per-channel constant (engines fold it into the bias)
  // and sum x one sum per row. With symmetric weights zw = 0 and two of the terms vanish.
  const std::int32_t zx = xp.zero_point, kK = static_cast<std::int32_t>(kIn);
  std::vector<std::int32_t> acc(kRows * kOut);
  std::vector<float> y(kRows * kOut);  // the float result, for reference
  bool same_as_direct = true;
  for (std::size_t r = 0; r < kRows; ++r) {
    for (std::size_t o = 0; o < kOut; ++o) {
      const std::int32_t zw = wp.zero_points[o];
      std::int32_t dot = 0, sum_x = 0, sum_w = 0, direct = 0;
      double ref = 0;
      for (std::size_t k = 0; k < kIn; ++k) {
        const std::int32_t xi = xq[r * kIn + k], wi = wq[o * kIn + k];
        dot += xi * wi;
        sum_x += xi;
        sum_w += wi;
        direct += (xi - zx) * (wi - zw);  // the textbook form, to check the expansion
        ref += static_cast<double>(x[r * kIn + k]) * w[o * kIn + k];
      }
      acc[r * kOut + o] = dot - zw * sum_x - zx * sum_w + kK * zx * zw;
      same_as_direct = same_as_direct && acc[r * kOut + o] == direct;
      y[r * kOut + o] = static_cast<float>(ref);
    }
  }
  // Output parameters from the float result's range (a calibrated model would know them).
  const std::pair<float, float> yr = min_max(y.data(), y.size());
  const qlin::quant_params yp = *qlin::choose_qparams(yr.first, yr.second);
  std::vector<float> mult(kOut);  // M[c] = sx * sw[c] / sy: what requantization multiplies by
  for (std::size_t o = 0; o < kOut; ++o) mult[o] = xp.scale * wp.scales[o] / yp.scale;
  const std::pair<float, float> mr = min_max(mult.data(), kOut);

  std::printf(
      "\nPart 2: y = W x, %zu rows x %zu inputs -> %zu channels, int8, per-channel weights\n"
      "zero-point correction equals the direct sum of (x - zx)(w - zw): %s\n",
      kRows, kIn, kOut, same_as_direct ? "yes" : "NO");
  std::printf("output scale %.9f, zero point %d; multipliers M[c] = sx * sw[c] / sy in [%.3g, %.3g]\n",
              static_cast<double>(yp.scale), yp.zero_point, static_cast<double>(mr.first),
              static_cast<double>(mr.second));

  // Requantize the same accumulators with each rounding; dequantize to compare with the float y.
  const qlin::requant_rounding modes[3] = {qlin::requant_rounding::double_rounding,
                                           qlin::requant_rounding::single_rounding, qlin::requant_rounding::fp32};
  std::vector<std::vector<std::int8_t>> out(3, std::vector<std::int8_t>(acc.size()));
  std::vector<float> yq(y.size());
  for (std::size_t m = 0; m < 3; ++m) {
    const auto rp = qlin::make_requantize_params_per_channel(xp.scale, wp.scales.data(), kOut, yp.scale, yp.zero_point,
                                                             yp.range(), modes[m]);
    if (!rp) return std::printf("requantization parameters refused: %s\n", rp.error().message), 1;
    qlin::requantize_rows(acc.data(), kRows, kOut, nullptr, out[m].data(), *rp);  // nullptr: no bias
    qlin::dequantize(out[m].data(), out[m].size(), yq.data(), yp);
    const error_stats e = compare(y, yq);
    std::printf("requantize %-6s   SQNR vs float %6.2f dB, max |err| %.6f\n", qlin::to_string(modes[m]), e.sqnr_db,
                e.max_abs);
  }
  std::vector<std::int8_t> direct_q(y.size());  // for comparison: quantize the float result (input error only)
  qlin::quantize(y.data(), y.size(), direct_q.data(), yp);
  qlin::dequantize(direct_q.data(), direct_q.size(), yq.data(), yp);
  std::printf("quantize(float y)   SQNR vs float %6.2f dB (no integer arithmetic)\n", compare(y, yq).sqnr_db);

  std::size_t diff[3] = {0, 0, 0};  // double vs single, double vs fp32, single vs fp32
  for (std::size_t i = 0; i < acc.size(); ++i) {
    if (out[0][i] != out[1][i]) ++diff[0];
    if (out[0][i] != out[2][i]) ++diff[1];
    if (out[1][i] != out[2][i]) ++diff[2];
  }
  std::printf("outputs that differ (of %zu): double vs single %zu, double vs fp32 %zu, single vs fp32 %zu\n",
              acc.size(), diff[0], diff[1], diff[2]);
  return 0;
}
