// bench_beyond.cpp: the SIMD kernels beyond INT8 against their scalar references, in one binary.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Operations: sign bit-packing (pack_signs) and the XNOR-popcount dot product (qlin/kernels/binary.hpp),
// int4 quantize + pack per tensor and per group (qlin/kernels/int4.hpp), fake-quant forward with its mask and
// the STE backward (qlin/kernels/fake_quant.hpp).
// Implementations:
//   scalar     qlin's scalar reference (qlin/{binary,int4,fake_quant}.hpp), compiled in this translation unit,
//              i.e. with this binary's target flags (the compiler may use popcnt and auto-vectorize it)
//   sse2, avx2, avx512bw   qlin::kernels::*<xsimd::sse2 / avx2 / avx512bw> (avx512bw where the CPU has it;
//              the XNOR dot uses vpopcntq when the build has AVX512-VPOPCNTDQ, see benchmarks/CMakeLists.txt)
// Every kernel's output is checked against the scalar reference on the benchmark's own data before it is
// timed (a mismatch is reported as an error, never timed). Counter: items_per_second (floats, or bits for
// the dot product). Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true and quote
// medians (docs/performance.md).
#include <qlin/binary.hpp>
#include <qlin/fake_quant.hpp>
#include <qlin/int4.hpp>
#include <qlin/kernels/binary.hpp>
#include <qlin/kernels/fake_quant.hpp>
#include <qlin/kernels/int4.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#if QLIN_SIMD && XSIMD_WITH_AVX2

namespace {

#if QLIN_ARCH_AVX512BW
bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512vl");
}
#endif

std::vector<float> random_floats(std::size_t n, float lo, float hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

struct scalar_tag {};

// ---- sign packing

template <class A>
void run_pack_signs(const float* x, std::size_t n, std::uint64_t* w) {
  if constexpr (std::is_same<A, scalar_tag>::value) {
    qlin::pack_signs(x, n, w);
  } else {
    qlin::kernels::pack_signs<A>(x, n, w);
  }
}

template <class A>
void BM_pack_signs(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> x = random_floats(n, -1.0f, 1.0f, 1);
  std::vector<std::uint64_t> want(qlin::words_per_row(n)), got(want.size());
  qlin::pack_signs(x.data(), n, want.data());
  run_pack_signs<A>(x.data(), n, got.data());
  if (got != want) return state.SkipWithError("incorrect");
  for (auto _ : state) {
    run_pack_signs<A>(x.data(), n, got.data());
    benchmark::DoNotOptimize(got.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

// ---- XNOR-popcount dot

template <class A>
std::int64_t run_xnor(const std::uint64_t* a, const std::uint64_t* b, std::size_t n) {
  if constexpr (std::is_same<A, scalar_tag>::value) {
    return qlin::xnor_popcount_dot(a, b, n);
  } else {
    return qlin::kernels::xnor_popcount_dot<A>(a, b, n);
  }
}

template <class A>
void BM_xnor_dot(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));  // bits
  std::mt19937_64 rng(2);
  std::vector<std::uint64_t> a(qlin::words_per_row(n)), b(a.size());
  for (auto& w : a) w = rng();
  for (auto& w : b) w = rng();
  if (run_xnor<A>(a.data(), b.data(), n) != qlin::xnor_popcount_dot(a.data(), b.data(), n)) {
    return state.SkipWithError("incorrect");
  }
  for (auto _ : state) {
    std::int64_t d = run_xnor<A>(a.data(), b.data(), n);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

// ---- int4 quantize + pack

template <class A>
void run_quantize_int4(const float* x, std::size_t n, std::uint8_t* q, const qlin::quant_params& p) {
  if constexpr (std::is_same<A, scalar_tag>::value) {
    qlin::quantize_int4(x, n, q, p);
  } else {
    qlin::kernels::quantize_int4<A>(x, n, q, p);
  }
}

template <class A>
void BM_quantize_int4(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> x = random_floats(n, -2.0f, 2.0f, 3);
  const qlin::quant_params p{0.25f, 0, -8, 7};
  std::vector<std::uint8_t> want(qlin::packed_bytes(n)), got(want.size());
  qlin::quantize_int4(x.data(), n, want.data(), p);
  run_quantize_int4<A>(x.data(), n, got.data(), p);
  if (got != want) return state.SkipWithError("incorrect");
  for (auto _ : state) {
    run_quantize_int4<A>(x.data(), n, got.data(), p);
    benchmark::DoNotOptimize(got.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

template <class A>
void BM_quantize_per_group(benchmark::State& state) {
  const std::size_t rows = 256, cols = 4096, group = static_cast<std::size_t>(state.range(0));
  const std::vector<float> w = random_floats(rows * cols, -1.0f, 1.0f, 4);
  qlin::qparams_options opt;
  opt.type = qlin::dtype::int4;
  opt.scheme = qlin::qscheme::symmetric;
  const auto gp = qlin::choose_qparams_per_group(w.data(), rows, cols, group, opt);
  if (!gp) return state.SkipWithError("choose_qparams_per_group failed");
  std::vector<std::uint8_t> want(rows * qlin::packed_bytes(cols)), got(want.size());
  qlin::quantize_per_group(w.data(), want.data(), *gp);
  const auto run = [&] {
    if constexpr (std::is_same<A, scalar_tag>::value) {
      qlin::quantize_per_group(w.data(), got.data(), *gp);
    } else {
      qlin::kernels::quantize_per_group<A>(w.data(), got.data(), *gp);
    }
  };
  run();
  if (got != want) return state.SkipWithError("incorrect");
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(got.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows * cols));
}

// ---- fake quant

template <class A>
void run_fake_quant(const float* x, std::size_t n, float* y, const qlin::quant_params& p, std::uint8_t* mask) {
  if constexpr (std::is_same<A, scalar_tag>::value) {
    qlin::fake_quantize(x, n, y, p, mask);
  } else {
    qlin::kernels::fake_quantize<A>(x, n, y, p, mask);
  }
}

template <class A>
void BM_fake_quant(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> x = random_floats(n, -3.0f, 3.0f, 5);
  const qlin::quant_params p{0.02f, 3, -128, 127};
  std::vector<float> yw(n), yg(n);
  std::vector<std::uint8_t> mw(n), mg(n);
  qlin::fake_quantize(x.data(), n, yw.data(), p, mw.data());
  run_fake_quant<A>(x.data(), n, yg.data(), p, mg.data());
  if (std::memcmp(yw.data(), yg.data(), n * sizeof(float)) != 0 || mw != mg) return state.SkipWithError("incorrect");
  for (auto _ : state) {
    run_fake_quant<A>(x.data(), n, yg.data(), p, mg.data());
    benchmark::DoNotOptimize(yg.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

template <class A>
void BM_fake_quant_backward(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> dy = random_floats(n, -1.0f, 1.0f, 6);
  std::vector<std::uint8_t> mask(n);
  std::mt19937 rng(7);
  for (auto& m : mask) m = static_cast<std::uint8_t>(rng() % 8 != 0);
  std::vector<float> want(n), got(n);
  qlin::fake_quantize_backward(dy.data(), mask.data(), n, want.data());
  const auto run = [&] {
    if constexpr (std::is_same<A, scalar_tag>::value) {
      qlin::fake_quantize_backward(dy.data(), mask.data(), n, got.data());
    } else {
      qlin::kernels::fake_quantize_backward<A>(dy.data(), mask.data(), n, got.data());
    }
  };
  run();
  if (std::memcmp(want.data(), got.data(), n * sizeof(float)) != 0) return state.SkipWithError("incorrect");
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(got.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

template <class A>
void register_all(const std::string& name) {
  benchmark::RegisterBenchmark(("pack_signs/" + name).c_str(), BM_pack_signs<A>)->Arg(4096)->Arg(1 << 20);
  benchmark::RegisterBenchmark(("xnor_dot/" + name).c_str(), BM_xnor_dot<A>)
      ->Arg(4096)
      ->Arg(1 << 16)
      ->Arg(1 << 22)
      ->Arg(1 << 27);
  benchmark::RegisterBenchmark(("quantize_int4/" + name).c_str(), BM_quantize_int4<A>)->Arg(4096)->Arg(1 << 20);
  benchmark::RegisterBenchmark(("quantize_per_group_int4/" + name).c_str(), BM_quantize_per_group<A>)
      ->Arg(32)
      ->Arg(128);
  benchmark::RegisterBenchmark(("fake_quant/" + name).c_str(), BM_fake_quant<A>)->Arg(4096)->Arg(1 << 20);
  benchmark::RegisterBenchmark(("fake_quant_backward/" + name).c_str(), BM_fake_quant_backward<A>)
      ->Arg(4096)
      ->Arg(1 << 20);
}

[[maybe_unused]] const int registered = [] {
  register_all<scalar_tag>("scalar");
  register_all<xsimd::sse2>("sse2");
  register_all<xsimd::avx2>("avx2");
#if QLIN_ARCH_AVX512BW
  if (cpu_has_avx512()) {
    register_all<xsimd::avx512bw>(std::string("avx512bw_") + qlin::kernels::popcount_method<xsimd::avx512bw>());
  }
#endif
  return 0;
}();

}  // namespace

#endif  // QLIN_SIMD && XSIMD_WITH_AVX2
