// runtime_dispatch: one binary, qlin's best kernels for the CPU it runs on (qlin/dispatch.hpp).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// This file is compiled for baseline x86-64; kernels_<arch>.cpp are compiled with their arch's
// flags and each define one table. The program prints the arch it picked, then checks every table
// the CPU can run against the scalar reference (quantize / dequantize / requantize, every dtype and
// method, per-tensor and per-channel), and exits with 1 on any mismatch.
//
//   runtime_dispatch [--expect NAME] [--large]
//     --expect NAME   also fail unless the picked arch is NAME (the ctest under qemu-x86_64 -cpu
//                     Nehalem expects "sse4.1", -cpu qemu64 "sse2", -cpu Haswell "avx2")
//     --large         add arrays above the non-temporal-store threshold (slow under qemu)
#include <qlin/dispatch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

std::size_t g_mismatches = 0;

template <class T>
void expect_equal(const char* table, const char* what, const std::vector<T>& want, const std::vector<T>& got) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::memcmp(&want[i], &got[i], sizeof(T)) != 0) {
      std::printf("  %s %s: MISMATCH at %zu\n", table, what, i);
      ++g_mismatches;
      return;
    }
  }
}

std::vector<float> make_floats(std::size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-300.0f, 300.0f);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = (i % 3 == 0) ? std::round(u(rng) * 2.0f) / 2.0f : u(rng);  // ties
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), -0.0f, 1e30f, -1e30f, 0.49999997f};
  for (std::size_t k = 0; k < sizeof specials / sizeof specials[0] && 5 * k < n; ++k) x[5 * k] = specials[k];
  return x;
}

std::vector<std::int32_t> make_accumulators(std::size_t n) {
  std::mt19937 rng(2);
  std::uniform_int_distribution<std::int32_t> any(std::numeric_limits<std::int32_t>::min(),
                                                  std::numeric_limits<std::int32_t>::max());
  std::uniform_int_distribution<std::int32_t> small(-(1 << 20), 1 << 20);
  std::vector<std::int32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = (i % 4 == 0) ? any(rng) : small(rng);
  if (n > 2) {
    v[1] = std::numeric_limits<std::int32_t>::min();
    v[2] = std::numeric_limits<std::int32_t>::max();
  }
  return v;
}

void check_table(const qlin::dispatch::kernel_table& t, std::size_t n, bool large) {
  const std::vector<float> x = make_floats(n);
  const std::vector<std::int32_t> acc = make_accumulators(n);
  const qlin::compat presets[] = {qlin::compat::pytorch, qlin::compat::tflite, qlin::compat::gemmlowp};
  for (qlin::compat c : presets) {
    const qlin::quantize_method m = qlin::quantize_method::of(c);
    std::vector<std::int8_t> w8(n + 3), g8(n + 3);  // misaligned: input + 1 float, output + 3 bytes
    qlin::quantize(x.data() + 1, n - 1, w8.data() + 3, {0.37f, -5, -128, 127}, m);
    t.quantize_s8(x.data() + 1, n - 1, g8.data() + 3, {0.37f, -5, -128, 127}, m);
    expect_equal(t.name, "quantize s8", w8, g8);
    std::vector<std::uint8_t> wu(n), gu(n);
    qlin::quantize(x.data(), n, wu.data(), {0.5f, 128, 0, 255}, m);
    t.quantize_u8(x.data(), n, gu.data(), {0.5f, 128, 0, 255}, m);
    expect_equal(t.name, "quantize u8", wu, gu);
    std::vector<std::int16_t> w16(n), g16(n);
    qlin::quantize(x.data(), n, w16.data(), {0.01f, 3, -32768, 32767}, m);
    t.quantize_s16(x.data(), n, g16.data(), {0.01f, 3, -32768, 32767}, m);
    expect_equal(t.name, "quantize s16", w16, g16);
    std::vector<float> rw(n), rg(n);
    qlin::dequantize(w8.data(), n, rw.data(), {0.37f, -5, -128, 127});
    t.dequantize_s8(w8.data(), n, rg.data(), {0.37f, -5, -128, 127});
    expect_equal(t.name, "dequantize s8", rw, rg);
    qlin::dequantize(wu.data(), n - 2, rw.data() + 1, {0.5f, 128, 0, 255});
    t.dequantize_u8(wu.data(), n - 2, rg.data() + 1, {0.5f, 128, 0, 255});
    expect_equal(t.name, "dequantize u8", rw, rg);
    qlin::dequantize(w16.data(), n, rw.data(), {0.01f, 3, -32768, 32767});
    t.dequantize_s16(w16.data(), n, rg.data(), {0.01f, 3, -32768, 32767});
    expect_equal(t.name, "dequantize s16", rw, rg);
  }
  const qlin::requant_rounding roundings[] = {qlin::requant_rounding::double_rounding,
                                              qlin::requant_rounding::single_rounding, qlin::requant_rounding::fp32};
  for (qlin::requant_rounding k : roundings) {
    const qlin::requantize_params p = *qlin::make_requantize_params(0.00071, -3, {-128, 127}, k);
    std::vector<std::int8_t> w8(n), g8(n);
    qlin::requantize(acc.data(), n, w8.data(), p);
    t.requantize_s8(acc.data(), n, g8.data(), p);
    expect_equal(t.name, "requantize s8", w8, g8);
    qlin::requantize_params pu = p;
    pu.zero_point = 120;
    pu.qmin = 0;
    pu.qmax = 255;
    std::vector<std::uint8_t> wu(n), gu(n);
    qlin::requantize(acc.data(), n, wu.data(), pu);
    t.requantize_u8(acc.data(), n, gu.data(), pu);
    expect_equal(t.name, "requantize u8", wu, gu);
    qlin::requantize_params p16 = p;
    p16.qmin = -32768;
    p16.qmax = 32767;
    std::vector<std::int16_t> w16(n), g16(n);
    qlin::requantize(acc.data(), n, w16.data(), p16);
    t.requantize_s16(acc.data(), n, g16.data(), p16);
    expect_equal(t.name, "requantize s16", w16, g16);
    // [rows][channels] with a per-channel bias, per-tensor and per-channel parameters.
    const std::size_t channels = 300, rows = n / channels;
    std::vector<std::int32_t> bias(acc.begin(), acc.begin() + static_cast<std::ptrdiff_t>(channels));
    for (auto& b : bias) b /= 8;
    std::vector<float> ws(channels);
    for (std::size_t c = 0; c < channels; ++c) ws[c] = std::exp2(-12.0f + static_cast<float>(c % 17));
    const auto pc = *qlin::make_requantize_params_per_channel(0.02f, ws.data(), channels, 0.3f, 4, {-128, 127}, k);
    std::vector<std::int8_t> wr(rows * channels), gr(rows * channels);
    qlin::requantize_rows(acc.data(), rows, channels, bias.data(), wr.data(), p);
    t.requantize_rows_s8(acc.data(), rows, channels, bias.data(), gr.data(), p);
    expect_equal(t.name, "requantize_rows s8", wr, gr);
    qlin::requantize_rows(acc.data(), rows, channels, bias.data(), wr.data(), pc);
    t.requantize_rows_per_channel_s8(acc.data(), rows, channels, bias.data(), gr.data(), pc);
    expect_equal(t.name, "requantize_rows per-channel s8", wr, gr);
  }
  if (large) {  // above qlin's non-temporal-store threshold (4 MiB of output by default)
    const std::size_t big = (std::size_t{5} << 20) + 19;
    std::vector<float> xb(big);
    for (std::size_t i = 0; i < big; ++i) xb[i] = x[i % n];
    std::vector<std::int8_t> w8(big + 1), g8(big + 1);
    qlin::quantize(xb.data(), big, w8.data() + 1, {0.37f, -5, -128, 127});
    t.quantize_s8(xb.data(), big, g8.data() + 1, {0.37f, -5, -128, 127}, {});
    expect_equal(t.name, "quantize s8 (large)", w8, g8);
    std::vector<float> rw(big + 1), rg(big + 1);
    qlin::dequantize(w8.data(), big, rw.data() + 1, {0.37f, -5, -128, 127});
    t.dequantize_s8(w8.data(), big, rg.data() + 1, {0.37f, -5, -128, 127});
    expect_equal(t.name, "dequantize s8 (large)", rw, rg);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string expect;
  bool large = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--expect" && i + 1 < argc) {
      expect = argv[++i];
    } else if (a == "--large") {
      large = true;
    } else {
      std::fprintf(stderr, "usage: %s [--expect NAME] [--large]\n", argv[0]);
      return 2;
    }
  }
  const char* picked = qlin::dispatch::active_arch_name();
  std::printf("qlin::dispatch::active_arch_name() = %s\n", picked);
  std::size_t checked = 0;
  for (const qlin::dispatch::kernel_table* const* t = qlin::dispatch::linked_tables(); *t != nullptr; ++t) {
    if (!qlin::dispatch::cpu_supports((*t)->name)) {
      std::printf("  %-8s linked, not supported by this CPU: skipped\n", (*t)->name);
      continue;
    }
    const std::size_t before = g_mismatches;
    check_table(**t, 6007, large);
    std::printf("  %-8s %s\n", (*t)->name, g_mismatches == before ? "equals the scalar reference" : "MISMATCHES");
    ++checked;
  }
  // The dispatched entry points themselves.
  std::vector<float> x = make_floats(1000);
  std::vector<std::int8_t> a(x.size()), b(x.size());
  qlin::quantize(x.data(), x.size(), a.data(), {0.1f, 0, -128, 127});
  qlin::dispatch::quantize(x.data(), x.size(), b.data(), {0.1f, 0, -128, 127});
  expect_equal(picked, "qlin::dispatch::quantize", a, b);
  if (!expect.empty() && expect != picked) {
    std::printf("FAIL: expected arch %s, picked %s\n", expect.c_str(), picked);
    return 1;
  }
  std::printf("%zu tables checked, %zu mismatches\n", checked, g_mismatches);
  return g_mismatches == 0 ? 0 : 1;
}
