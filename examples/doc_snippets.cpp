// doc_snippets.cpp: the C++ snippets of docs/*.md and docs/guide/*.md that are not a whole example.
// Each region between "[snippet NAME]" and "[end snippet]" markers is copied verbatim into a page
// after a "<!-- snippet: examples/doc_snippets.cpp#NAME -->" line; tests/docs/check_snippets.py
// checks that the two agree, and this program compiles and runs every region and checks what the
// pages say it computes. Exit status 0 when every check holds.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/gemm.hpp>
#include <qlin/quant.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%-60s %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) ++failures;
}

void arithmetic_md() {  // docs/arithmetic.md, section 1
  // [snippet arithmetic_choose_qparams]
  qlin::qparams_options opt;  // int8, affine, full range, compat::pytorch unless changed
  opt.type = qlin::dtype::uint8;
  qlin::result<qlin::quant_params> p = qlin::choose_qparams(-1.0f, 3.0f, opt);  // scale 0.0156862754, zero point 64
  // [end snippet]
  check(p && p->scale == 4.0f / 255.0f && p->zero_point == 64, "arithmetic.md: uint8 [-1, 3] -> 4/255, 64");
}

void names_md() {  // docs/names.md, top
  const float min = -1.0f, max = 3.0f;
  // [snippet names_options]
  qlin::qparams_options opt;              // int8, affine, full range, compat::pytorch, eps = FLT_EPSILON
  opt.type = qlin::dtype::uint8;
  opt.range.reduce_range = true;
  opt.preset = qlin::compat::pytorch;     // the default
  qlin::result<qlin::quant_params> p = qlin::choose_qparams(min, max, opt);
  // [end snippet]
  check(p && p->zero_point == 32 && p->qmax == 127, "names.md: uint8 reduce_range [-1, 3] -> zero point 32");
}

void gemm_md() {  // docs/gemm.md, top
  // 64 channels: with fewer than one vector block of channels known at compile time, GCC 12 -O3
  // reports -Warray-bounds in the requantization kernel's vector loop, which then never runs.
  const std::size_t m = 2, n = 64, k = 5;
  std::vector<std::uint8_t> xs(m * k);
  std::vector<std::int8_t> ws(n * k);
  std::vector<std::int32_t> zws(n, 0), bs(n, 100);
  std::vector<float> fbs(n, 0.5f), sws(n, 0.01f);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::uint8_t>(i * 53 % 256);
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i] = static_cast<std::int8_t>(static_cast<int>(i * 97 % 256) - 128);
  const std::uint8_t* x = xs.data();
  const std::int32_t zx = 7;
  const std::int8_t* weights = ws.data();
  const std::int32_t* weight_zero_points = zws.data();
  const std::int32_t* bias = bs.data();
  const float* float_bias = fbs.data();
  const float input_scale = 0.1f;
  const float* weight_scales = sws.data();
  const qlin::per_channel_requantize_params per_channel =
      qlin::make_requantize_params_per_channel(input_scale, weight_scales, n, 0.05f, 0, {0, 255}).value();
  std::vector<std::uint8_t> out_storage(m * n);
  std::uint8_t* out_u8 = out_storage.data();
  // [snippet gemm_api]
  auto w = qlin::pack_weights_s8(weights, n, k, weight_zero_points /* or nullptr */).value();
  std::vector<std::int32_t> acc(m * n);
  qlin::status s = qlin::gemm_u8s8_s32(x, m, k, zx, w, acc.data());          // int32 accumulators
  s = qlin::gemm_u8s8_requantize(x, m, k, zx, w, bias, per_channel, out_u8); // fused bias + requantization
  auto qbias = qlin::quantize_bias(float_bias, n, input_scale, weight_scales); // int32 bias
  // [end snippet]
  std::int32_t want = 0;  // acc[1][2], straight from the definition
  for (std::size_t kk = 0; kk < k; ++kk) want += (x[1 * k + kk] - zx) * weights[2 * k + kk];
  check(s && acc[1 * n + 2] == want && qbias && (*qbias)[0] == 500, "gemm.md: acc = sum (x - zx) w, bias 0.5 -> 500");
}

void guide_multiplier() {  // docs/guide/03-arithmetic.md
  // [snippet multiplier]
  // M = input_scale * weight_scale / output_scale, as a Q31 mantissa and a power of two (TFLite).
  const qlin::result<qlin::quantized_multiplier> m = qlin::quantize_multiplier(0.0072474273418460);
  // m->multiplier == 1992157658, m->shift == -7: M ~= 1992157658 * 2^(-7 - 31)
  const std::int32_t y = qlin::multiply_by_quantized_multiplier(1000, *m);  // rounds 7.247 to 7
  // [end snippet]
  check(m && m->multiplier == 1992157658 && m->shift == -7 && y == 7, "guide 03: quantize_multiplier");
}

void guide_presets() {  // docs/guide/05-compatibility-presets.md
  // [snippet presets]
  const qlin::quant_params p = qlin::make_quant_params(0.3f, 0, qlin::qrange{-128, 127}).value();
  const float x = 2.25f;  // x * f32(1 / 0.3f) is exactly 7.5; x / 0.3f is 7.49999952
  const qlin::compat peers[4] = {qlin::compat::pytorch, qlin::compat::tflite, qlin::compat::gemmlowp,
                                 qlin::compat::xnnpack};
  std::int8_t q[4];
  for (int i = 0; i < 4; ++i) qlin::quantize(&x, 1, &q[i], p, qlin::quantize_method::of(peers[i]));
  // q == {8, 7, 7, 8}: pytorch and xnnpack multiply by the reciprocal and round half to even
  // [end snippet]
  check(q[0] == 8 && q[1] == 7 && q[2] == 7 && q[3] == 8, "guide 05: presets disagree on 2.25 / 0.3");
}

void guide_nonfinite() {  // docs/guide/08-faq.md
  // [snippet nonfinite]
  const float inf = std::numeric_limits<float>::infinity();
  const float x[4] = {std::numeric_limits<float>::quiet_NaN(), inf, -inf, 1.0f};
  const qlin::quant_params p = qlin::make_quant_params(0.5f, 10, qlin::qrange{-128, 127}).value();
  std::int8_t q[4];
  qlin::quantize(x, 4, q, p);  // {10, 127, -128, 12}: NaN -> the zero point, +-Inf saturate

  qlin::minmax_observer observer;
  observer.observe(x, 4);  // NaN and +-Inf are skipped and counted: nonfinite_count() == 3
  const qlin::result<qlin::quant_params> bad = qlin::choose_qparams(0.0f, inf);
  // bad.error().code == qlin::errc::non_finite_input: an error value, never a silent clamp
  // [end snippet]
  check(q[0] == 10 && q[1] == 127 && q[2] == -128 && q[3] == 12, "guide 08: NaN / Inf codes");
  check(observer.nonfinite_count() == 3 && observer.min() == 1.0f && !bad &&
            bad.error().code == qlin::errc::non_finite_input,
        "guide 08: observers skip non-finite values, bad ranges fail");
}
}  // namespace

int main() {
  arithmetic_md();
  names_md();
  gemm_md();
  guide_multiplier();
  guide_presets();
  guide_nonfinite();
  std::printf("%s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
