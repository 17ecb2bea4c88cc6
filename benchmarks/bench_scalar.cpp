// bench_scalar.cpp: qlin's scalar reference kernels against the naive loop an engine author writes
// by hand (std::nearbyint + clamp). Rates are in elements per nanosecond ("items_per_second" / 1e9).
// These are the reference paths; the SIMD kernels (qlin/simd.hpp) have their own benchmark.
#include <qlin/quant.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

std::vector<float> make_floats(std::size_t n) {
  std::mt19937 gen(42);
  std::normal_distribution<float> d(0.0f, 3.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(gen);
  return v;
}

void quantize_f32_s8_naive(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> x = make_floats(n);
  std::vector<std::int8_t> q(n);
  const float inv = 1.0f / 0.05f;
  const int zp = 3;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      float v = std::nearbyint(x[i] * inv) + static_cast<float>(zp);
      v = v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v);
      q[i] = static_cast<std::int8_t>(v);
    }
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void quantize_f32_s8_qlin_scalar(benchmark::State& state, qlin::compat preset) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> x = make_floats(n);
  std::vector<std::int8_t> q(n);
  const qlin::quant_params p = *qlin::make_quant_params(0.05f, 3, {-128, 127});
  const qlin::quantize_method m = qlin::quantize_method::of(preset);
  for (auto _ : state) {
    qlin::quantize(x.data(), n, q.data(), p, m);
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void dequantize_s8_f32_qlin_scalar(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::int8_t> q(n);
  for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::int8_t>(static_cast<int>(i * 7u % 256u) - 128);
  std::vector<float> r(n);
  const qlin::quant_params p = *qlin::make_quant_params(0.05f, 3, {-128, 127});
  for (auto _ : state) {
    qlin::dequantize(q.data(), n, r.data(), p);
    benchmark::DoNotOptimize(r.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void requantize_s32_s8_qlin_scalar(benchmark::State& state, qlin::requant_rounding rounding) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937 gen(7);
  std::uniform_int_distribution<std::int32_t> d(-100000, 100000);
  std::vector<std::int32_t> acc(n);
  for (auto& a : acc) a = d(gen);
  std::vector<std::int8_t> out(n);
  const qlin::requantize_params p = *qlin::make_requantize_params(0.0007, -5, {-128, 127}, rounding);
  for (auto _ : state) {
    qlin::requantize(acc.data(), n, out.data(), p);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

#define QLIN_SIZES ->Arg(4096)->Arg(65536)->Arg(262144)
BENCHMARK(quantize_f32_s8_naive) QLIN_SIZES;
BENCHMARK_CAPTURE(quantize_f32_s8_qlin_scalar, pytorch, qlin::compat::pytorch) QLIN_SIZES;
BENCHMARK_CAPTURE(quantize_f32_s8_qlin_scalar, tflite, qlin::compat::tflite) QLIN_SIZES;
BENCHMARK(dequantize_s8_f32_qlin_scalar) QLIN_SIZES;
BENCHMARK_CAPTURE(requantize_s32_s8_qlin_scalar, double_rounding, qlin::requant_rounding::double_rounding) QLIN_SIZES;
BENCHMARK_CAPTURE(requantize_s32_s8_qlin_scalar, single_rounding, qlin::requant_rounding::single_rounding) QLIN_SIZES;
BENCHMARK_CAPTURE(requantize_s32_s8_qlin_scalar, fp32, qlin::requant_rounding::fp32) QLIN_SIZES;
