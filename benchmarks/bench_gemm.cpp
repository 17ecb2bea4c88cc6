// bench_gemm.cpp: qlin's int8 GEMM / GEMV against XNNPACK, gemmlowp, oneDNN and a naive loop, single thread.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Rates are GOPS = 2 * M * N * K / s. Every peer benchmark runs qlin's equivalent operation and the
// peer alternately in the same loop and reports both rates and `ratio` = qlin GOPS / peer GOPS:
//
//   vs_naive     qlin::gemm_s8s8_s32        the triple loop an engine author writes (int32 sum of
//                                           (x - zx) * (w - zw), same compiler flags)
//   vs_xnnpack   qlin::gemm_s8s8_requantize xnn_create_fully_connected_nc_qs8 (int8 in, int8 out, fp32
//                <int8_t>, fp32 rounding    requantization, weight zero point 0) -- the same arithmetic
//   vs_gemmlowp  qlin::gemm_u8s8_s32        gemmlowp::GemmWithOutputPipeline<uint8, int32,
//                                           DefaultL8R8BitDepthParams>, empty output pipeline (int32
//                                           accumulators); weights as uint8 w + 128 with offset -128
//   vs_onednn    qlin::gemm_u8s8_s32        dnnl::matmul u8 x s8 -> s32, weights reordered to the
//                                           primitive's preferred layout once (OMP_NUM_THREADS=1)
//   gemv_vs_stream  qlin GEMV 1 x N x K against reading the same N*K weight bytes (the weight-streaming
//                   limit: 2 ops per weight byte); `ratio` = fraction of the limit reached
//
// Before timing, each peer's output is compared with qlin's scalar reference on random full-range
// data and on the extremes (x = 255 / -128, w = -128 / 127); a peer that differs is skipped with the
// error "incorrect", never timed as fast.
//
// Shapes (M x N x K): 256 x 256 x 256, 64 x 1024 x 1024, GEMV 1 x 4096 x 4096.
// Run:  ./build/benchmarks/qlin_bench_gemm --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <qlin/gemm.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#if defined(QLIN_BENCH_HAVE_XNNPACK)
#include <xnnpack.h>
#endif
#if defined(QLIN_BENCH_HAVE_GEMMLOWP)
#include <gemmlowp/public/gemmlowp.h>
#endif
#if defined(QLIN_BENCH_HAVE_DNNL)
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

using clk = std::chrono::steady_clock;

struct shape {
  std::size_t m, n, k;
};

// One problem: inputs, weights (N x K row major), per-tensor zero points 0 for the weights (what
// XNNPACK and oneDNN take), qlin's packing.
struct problem {
  shape s;
  std::vector<std::int8_t> xs, w;
  std::vector<std::uint8_t> xu, wu;  // wu = w + 128 (gemmlowp)
  std::vector<std::int32_t> bias;
  qlin::packed_weights_s8 pw;
  std::int32_t zxs = 3, zxu = 128;

  problem(shape sh, int pattern) : s(sh) {
    std::mt19937 rng(static_cast<std::uint32_t>(sh.m * 131 + sh.n * 7 + sh.k + static_cast<std::size_t>(pattern)));
    std::uniform_int_distribution<int> d8(-128, 127);
    xs.resize(s.m * s.k);
    xu.resize(s.m * s.k);
    w.resize(s.n * s.k);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      xs[i] = static_cast<std::int8_t>(pattern == 0 ? d8(rng) : pattern == 1 ? -128 : 127);
      xu[i] = static_cast<std::uint8_t>(pattern == 0 ? d8(rng) + 128 : pattern == 1 ? 255 : 0);
    }
    for (auto& v : w) v = static_cast<std::int8_t>(pattern == 0 ? d8(rng) : pattern == 1 ? -128 : 127);
    wu.resize(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) wu[i] = static_cast<std::uint8_t>(w[i] + 128);
    bias.resize(s.n);
    for (auto& b : bias) b = d8(rng) * 100;
    pw = qlin::pack_weights_s8(w.data(), s.n, s.k, nullptr).value();
  }
};

double gops(const shape& s, double seconds, double iters) {
  return 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k) * iters / seconds * 1e-9;
}

shape shape_of(const benchmark::State& st) {
  return {static_cast<std::size_t>(st.range(0)), static_cast<std::size_t>(st.range(1)), static_cast<std::size_t>(st.range(2))};
}

// Runs a and b alternately; counters qlin_GOPS (a), peer_GOPS (b) and ratio.
template <class A, class B>
void alternate(benchmark::State& st, const shape& s, A&& a, B&& b, const char* peer_name) {
  double ta = 0.0, tb = 0.0;
  for (auto _ : st) {
    const auto t0 = clk::now();
    a();
    const auto t1 = clk::now();
    b();
    const auto t2 = clk::now();
    ta += std::chrono::duration<double>(t1 - t0).count();
    tb += std::chrono::duration<double>(t2 - t1).count();
    benchmark::ClobberMemory();
  }
  const auto it = static_cast<double>(st.iterations());
  st.counters["qlin_GOPS"] = gops(s, ta, it);
  st.counters[std::string(peer_name) + "_GOPS"] = gops(s, tb, it);
  st.counters["ratio"] = tb / ta;
}

// qlin's fp32 requantization parameters matching XNNPACK's float scale.
constexpr float kInputScale = 0.02f, kKernelScale = 0.01f, kOutputScale = 0.5f;
qlin::requantize_params xnn_like_params(std::int32_t out_zp) {
  const float rs = kInputScale * kKernelScale / kOutputScale;  // as XNNPACK computes it, in float
  return qlin::make_requantize_params(static_cast<double>(rs), out_zp, qlin::qrange{-128, 127}, qlin::requant_rounding::fp32)
      .value();
}

std::vector<std::int32_t> reference_s8(const problem& p) {
  std::vector<std::int32_t> acc(p.s.m * p.s.n);
  (void)qlin::reference::gemm_s8s8_s32(p.xs.data(), p.s.m, p.s.k, p.zxs, p.pw, acc.data());
  return acc;
}
std::vector<std::int32_t> reference_u8(const problem& p, std::int32_t zx) {
  std::vector<std::int32_t> acc(p.s.m * p.s.n);
  (void)qlin::reference::gemm_u8s8_s32(p.xu.data(), p.s.m, p.s.k, zx, p.pw, acc.data());
  return acc;
}

template <class T>
std::size_t mismatches(const std::vector<T>& a, const std::vector<T>& b) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) bad += a[i] != b[i];
  return bad;
}

// ---------------------------------------------------------------------------------------------
// qlin alone.
void BM_qlin_s8s8_s32(benchmark::State& st) {
  const problem p(shape_of(st), 0);
  std::vector<std::int32_t> acc(p.s.m * p.s.n);
  for (auto _ : st) {
    (void)qlin::gemm_s8s8_s32(p.xs.data(), p.s.m, p.s.k, p.zxs, p.pw, acc.data());
    benchmark::DoNotOptimize(acc.data());
  }
  st.counters["GOPS"] = benchmark::Counter(2.0 * static_cast<double>(p.s.m * p.s.n * p.s.k) * 1e-9,
                                           benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(qlin::kernels::to_string(qlin::kernels::gemm_best_path<qlin::arch::kernel_arch>()));
}

// The naive triple loop.
void naive_gemm(const problem& p, std::int32_t* acc) {
  const std::size_t m = p.s.m, n = p.s.n, k = p.s.k;
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t c = 0; c < n; ++c) {
      std::int32_t s = 0;
      for (std::size_t kk = 0; kk < k; ++kk) s += (std::int32_t{p.xs[i * k + kk]} - p.zxs) * std::int32_t{p.w[c * k + kk]};
      acc[i * n + c] = s;
    }
}

void BM_vs_naive(benchmark::State& st) {
  const problem p(shape_of(st), 0);
  std::vector<std::int32_t> a(p.s.m * p.s.n), b(a.size());
  naive_gemm(p, b.data());
  if (mismatches(b, reference_s8(p)) != 0) return st.SkipWithError("naive loop incorrect");
  alternate(
      st, p.s, [&] { (void)qlin::gemm_s8s8_s32(p.xs.data(), p.s.m, p.s.k, p.zxs, p.pw, a.data()); },
      [&] { naive_gemm(p, b.data()); }, "naive");
}

// ---------------------------------------------------------------------------------------------
#if defined(QLIN_BENCH_HAVE_XNNPACK)
struct xnn_fc {
  xnn_operator_t op = nullptr;
  xnn_fc(const problem& p, std::int8_t out_zp) {
    static const bool init = xnn_initialize(nullptr) == xnn_status_success;
    if (!init) return;
    if (xnn_create_fully_connected_nc_qs8(p.s.k, p.s.n, p.s.k, p.s.n, static_cast<std::int8_t>(p.zxs), kInputScale,
                                          kKernelScale, p.w.data(), p.bias.data(), out_zp, kOutputScale, -128, 127, 0,
                                          &op) != xnn_status_success) {
      op = nullptr;
    }
  }
  ~xnn_fc() {
    if (op != nullptr) xnn_delete_operator(op);
  }
  bool run(const problem& p, std::int8_t* out) {
    return xnn_setup_fully_connected_nc_qs8(op, p.s.m, p.xs.data(), out, nullptr) == xnn_status_success &&
           xnn_run_operator(op, nullptr) == xnn_status_success;
  }
};

void BM_vs_xnnpack(benchmark::State& st) {
  const std::int8_t out_zp = -5;
  const qlin::requantize_params rq = xnn_like_params(out_zp);
  for (int pattern = 0; pattern < 3; ++pattern) {  // correctness: random, then the extremes
    const problem p(shape_of(st), pattern);
    xnn_fc fc(p, out_zp);
    if (fc.op == nullptr) return st.SkipWithError("XNNPACK: operator creation failed");
    std::vector<std::int8_t> want(p.s.m * p.s.n), got(want.size());
    qlin::requantize_rows(reference_s8(p).data(), p.s.m, p.s.n, p.bias.data(), want.data(), rq);
    if (!fc.run(p, got.data())) return st.SkipWithError("XNNPACK: run failed");
    const std::size_t bad = mismatches(got, want);
    if (bad != 0) {
      static char msg[128];
      std::snprintf(msg, sizeof msg, "XNNPACK incorrect: %zu of %zu outputs differ (pattern %d)", bad, got.size(), pattern);
      return st.SkipWithError(msg);
    }
  }
  const problem p(shape_of(st), 0);
  xnn_fc fc(p, out_zp);
  std::vector<std::int8_t> a(p.s.m * p.s.n), b(a.size());
  alternate(
      st, p.s, [&] { (void)qlin::gemm_s8s8_requantize(p.xs.data(), p.s.m, p.s.k, p.zxs, p.pw, p.bias.data(), rq, a.data()); },
      [&] { fc.run(p, b.data()); }, "xnnpack");
}
#endif

// ---------------------------------------------------------------------------------------------
#if defined(QLIN_BENCH_HAVE_GEMMLOWP)
void gemmlowp_gemm(gemmlowp::GemmContext& ctx, const problem& p, std::int32_t zx, std::int32_t* out) {
  const int m = static_cast<int>(p.s.m), n = static_cast<int>(p.s.n), k = static_cast<int>(p.s.k);
  const gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::RowMajor> lhs(p.xu.data(), m, k);
  const gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::ColMajor> rhs(p.wu.data(), k, n);
  gemmlowp::MatrixMap<std::int32_t, gemmlowp::MapOrder::RowMajor> res(out, m, n);
  gemmlowp::GemmWithOutputPipeline<std::uint8_t, std::int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
      &ctx, lhs, rhs, &res, -zx, -128, std::make_tuple());
}

void BM_vs_gemmlowp(benchmark::State& st) {
  gemmlowp::GemmContext ctx;
  ctx.set_max_num_threads(1);
  for (int pattern = 0; pattern < 3; ++pattern) {
    const problem p(shape_of(st), pattern);
    std::vector<std::int32_t> got(p.s.m * p.s.n);
    for (std::int32_t zx : {0, 128, 255}) {
      gemmlowp_gemm(ctx, p, zx, got.data());
      const std::size_t bad = mismatches(got, reference_u8(p, zx));
      if (bad != 0) {
        static char msg[128];
        std::snprintf(msg, sizeof msg, "gemmlowp incorrect: %zu of %zu outputs differ (pattern %d, zx %d)", bad,
                      got.size(), pattern, zx);
        return st.SkipWithError(msg);
      }
    }
  }
  const problem p(shape_of(st), 0);
  std::vector<std::int32_t> a(p.s.m * p.s.n), b(a.size());
  alternate(
      st, p.s, [&] { (void)qlin::gemm_u8s8_s32(p.xu.data(), p.s.m, p.s.k, p.zxu, p.pw, a.data()); },
      [&] { gemmlowp_gemm(ctx, p, p.zxu, b.data()); }, "gemmlowp");
}
#endif

// ---------------------------------------------------------------------------------------------
#if defined(QLIN_BENCH_HAVE_DNNL)
struct dnnl_mm {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::matmul prim;
  dnnl::memory a, b, c;
  dnnl_mm(const problem& p, std::int32_t* out) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const auto m = static_cast<dnnl::memory::dim>(p.s.m), n = static_cast<dnnl::memory::dim>(p.s.n),
               k = static_cast<dnnl::memory::dim>(p.s.k);
    const dnnl::memory::desc a_md({m, k}, dt::u8, tag::ab), b_any({k, n}, dt::s8, tag::any), c_md({m, n}, dt::s32, tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_any, c_md), eng);
    prim = dnnl::matmul(pd);
    a = dnnl::memory(a_md, eng, const_cast<std::uint8_t*>(p.xu.data()));  // NOLINT: oneDNN takes void*
    dnnl::memory b_user({{k, n}, dt::s8, tag::ba}, eng, const_cast<std::int8_t*>(p.w.data()));
    b = dnnl::memory(pd.weights_desc(), eng);
    dnnl::reorder(b_user, b).execute(strm, b_user, b);
    c = dnnl::memory(c_md, eng, out);
    strm.wait();
  }
  void run() {
    prim.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    strm.wait();
  }
};

void BM_vs_onednn(benchmark::State& st) {
  omp_set_num_threads(1);
  for (int pattern = 0; pattern < 3; ++pattern) {
    const problem p(shape_of(st), pattern);
    std::vector<std::int32_t> got(p.s.m * p.s.n);
    dnnl_mm mm(p, got.data());
    mm.run();
    const std::size_t bad = mismatches(got, reference_u8(p, 0));
    if (bad != 0) {
      static char msg[128];
      std::snprintf(msg, sizeof msg, "oneDNN incorrect: %zu of %zu outputs differ (pattern %d)", bad, got.size(), pattern);
      return st.SkipWithError(msg);
    }
  }
  const problem p(shape_of(st), 0);
  std::vector<std::int32_t> a(p.s.m * p.s.n), b(a.size());
  dnnl_mm mm(p, b.data());
  alternate(
      st, p.s, [&] { (void)qlin::gemm_u8s8_s32(p.xu.data(), p.s.m, p.s.k, 0, p.pw, a.data()); }, [&] { mm.run(); },
      "onednn");
}
#endif

// ---------------------------------------------------------------------------------------------
// Reads n bytes as fast as this build can (OR of all 64-byte lines): the weight-streaming limit.
std::uint64_t read_bytes(const std::int8_t* p, std::size_t n) {
#if defined(__AVX2__)
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    a0 = _mm256_or_si256(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_or_si256(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_or_si256(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_or_si256(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i a = _mm256_or_si256(_mm256_or_si256(a0, a1), _mm256_or_si256(a2, a3));
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a);
  std::uint64_t r = lanes[0] | lanes[1] | lanes[2] | lanes[3];
  for (; i < n; ++i) r |= static_cast<std::uint8_t>(p[i]);
  return r;
#else
  std::uint64_t r = 0;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    r |= v;
  }
  return r;
#endif
}

void BM_gemv_vs_stream(benchmark::State& st) {
  const problem p(shape_of(st), 0);
  std::vector<std::int32_t> a(p.s.n);
  const std::size_t bytes = p.pw.panels() * qlin::packed_weights_s8::panel_width * p.pw.padded_depth();
  std::uint64_t sink = 0;
  double tq = 0.0, tr = 0.0;
  for (auto _ : st) {
    const auto t0 = clk::now();
    (void)qlin::gemv_s8s8_s32(p.xs.data(), p.s.k, p.zxs, p.pw, a.data());
    const auto t1 = clk::now();
    sink += read_bytes(p.pw.data(), bytes);
    const auto t2 = clk::now();
    tq += std::chrono::duration<double>(t1 - t0).count();
    tr += std::chrono::duration<double>(t2 - t1).count();
    benchmark::DoNotOptimize(a.data());
  }
  benchmark::DoNotOptimize(sink);
  const auto it = static_cast<double>(st.iterations());
  st.counters["qlin_GOPS"] = gops(p.s, tq, it);
  st.counters["limit_GOPS"] = 2.0 * static_cast<double>(bytes) * it / tr * 1e-9;
  st.counters["read_GBps"] = static_cast<double>(bytes) * it / tr * 1e-9;
  st.counters["ratio"] = tr / tq;
}

void shapes(benchmark::internal::Benchmark* b) {
  b->Args({256, 256, 256})->Args({64, 1024, 1024})->Args({1, 4096, 4096})->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_qlin_s8s8_s32)->Apply(shapes);
BENCHMARK(BM_vs_naive)->Apply(shapes);
#if defined(QLIN_BENCH_HAVE_XNNPACK)
BENCHMARK(BM_vs_xnnpack)->Apply(shapes);
#endif
#if defined(QLIN_BENCH_HAVE_GEMMLOWP)
BENCHMARK(BM_vs_gemmlowp)->Apply(shapes);
#endif
#if defined(QLIN_BENCH_HAVE_DNNL)
BENCHMARK(BM_vs_onednn)->Apply(shapes);
#endif
BENCHMARK(BM_gemv_vs_stream)->Args({1, 4096, 4096})->Unit(benchmark::kMicrosecond);
