// bench_observers.cpp: qlin's observers against the limits that bound them, in one binary.
//
// (a) MinMax: minmax_observer::observe over 4 Ki / 64 Ki / 256 Ki / 16 Mi floats next to two
//     read-bandwidth references over the SAME array, compiled with the same flags:
//       read_sum   16 independent float lanes summed (what the auto-vectorizer makes of it)
//       read_or    a streaming OR-reduction of the bits, 4 vector accumulators (AVX2 chosen at
//                  run time, as reduce.hpp does; else SSE2): as close to "just read it" as C++ gets
//     minmax_vs_read/<n> runs read_or and the observer alternately inside one timing loop and
//     reports both rates and their ratio (`ratio` = observer GB/s / read_or GB/s), so the ratio
//     comes from one run on the same, noisy machine.
// (b) Histograms: collection (observe one batch into a fresh observer) for histogram_observer,
//     abs_histogram_observer and torch_histogram_observer on 1 Mi and 16 Mi normal floats, and
//     each range search on the collected state (torch L2 search, mse, two-sided percentile,
//     TensorRT entropy, torch_histogram_observer's own L2 search); histogram_observer's
//     collection and mse search also with per-bin moments (track_moments::yes, *_moments);
//     ort_histogram_observer (ONNX Runtime's collector, 128 and 2048 initial bins): collection,
//     its entropy search (num_quantized_bins 128) and asymmetric percentile (99.99).
//     The peers of each search are timed by benchmarks/bench_torch_observers.py.
//
// Rates: items_per_second / 1e9 = elements per ns; bytes_per_second = read bandwidth (GB/s).
// Run (medians of 5):
//   ./build/benchmarks/qlin_bench_observers --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true      (one command line)
//
// Data: bench_normal(n) below, the generator benchmarks/bench_torch_observers.py reproduces in
// numpy (splitmix64 -> Box-Muller in double -> float32, seed 2026), so torch sees the same values.
#include <qlin/quant.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace {

// splitmix64 (Steele, Lea, Flood 2014).
std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// n standard normal floats: for each pair, u1 = (a >> 11 + 1) 2^-53 in (0, 1], u2 = (b >> 11) 2^-53,
/// r = sqrt(-2 ln u1), values r cos(2 pi u2), r sin(2 pi u2) in double, rounded to float32.
std::vector<float> bench_normal(std::size_t n, std::uint64_t seed = 2026) {
  std::vector<float> v(n);
  std::uint64_t s = seed;
  const double two_pi = 6.283185307179586;
  for (std::size_t i = 0; i < n; i += 2) {
    const double u1 = static_cast<double>((splitmix64(s) >> 11) + 1) * 0x1p-53;
    const double u2 = static_cast<double>(splitmix64(s) >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    v[i] = static_cast<float>(r * std::cos(two_pi * u2));
    if (i + 1 < n) v[i + 1] = static_cast<float>(r * std::sin(two_pi * u2));
  }
  return v;
}

const std::vector<float>& data(std::size_t n) {
  static std::map<std::size_t, std::vector<float>> cache;
  auto it = cache.find(n);
  if (it == cache.end()) it = cache.emplace(n, bench_normal(n)).first;
  return it->second;
}

// ----- read-bandwidth references ------------------------------------------------------------------

float read_sum(const float* p, std::size_t n) {
  constexpr std::size_t lanes = 16;
  float acc[lanes] = {};
  std::size_t i = 0;
  for (; n - i >= lanes; i += lanes)
    for (std::size_t j = 0; j < lanes; ++j) acc[j] += p[i + j];
  float s = 0.0f;
  for (; i < n; ++i) s += p[i];
  for (float a : acc) s += a;
  return s;
}

// read_or: 4 vector accumulators of bitwise OR; AVX2 when the CPU has it (chosen at run time like
// the observer's reduction, reduce.hpp), else SSE2.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) std::uint32_t read_or_avx2(const float* p, std::size_t n) {
  std::size_t i = 0;
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (; n - i >= 32; i += 32) {
    a0 = _mm256_or_ps(a0, _mm256_loadu_ps(p + i));
    a1 = _mm256_or_ps(a1, _mm256_loadu_ps(p + i + 8));
    a2 = _mm256_or_ps(a2, _mm256_loadu_ps(p + i + 16));
    a3 = _mm256_or_ps(a3, _mm256_loadu_ps(p + i + 24));
  }
  const __m256 a = _mm256_or_ps(_mm256_or_ps(a0, a1), _mm256_or_ps(a2, a3));
  const __m128 h = _mm_or_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  std::uint32_t r = static_cast<std::uint32_t>(_mm_movemask_ps(h)) | static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_castps_si128(h)));
  for (; i < n; ++i) r |= p[i] < 0.0f ? 1u : 0u;
  return r;
}
#define QLIN_BENCH_HAVE_AVX2 1

// The same with 16-float (AVX-512F) loads, 4 accumulators (masked OR with a full mask: GCC 12's
// unmasked forms trip -Wuninitialized).
__attribute__((target("avx2,avx512f"))) std::uint32_t read_or_avx512(const float* p, std::size_t n) {
  std::size_t i = 0;
  const __mmask16 all = 0xFFFF;
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (; n - i >= 64; i += 64) {
    a0 = _mm512_mask_or_epi32(a0, all, a0, _mm512_loadu_si512(p + i));
    a1 = _mm512_mask_or_epi32(a1, all, a1, _mm512_loadu_si512(p + i + 16));
    a2 = _mm512_mask_or_epi32(a2, all, a2, _mm512_loadu_si512(p + i + 32));
    a3 = _mm512_mask_or_epi32(a3, all, a3, _mm512_loadu_si512(p + i + 48));
  }
  a0 = _mm512_mask_or_epi32(a0, all, a0, a1);
  a2 = _mm512_mask_or_epi32(a2, all, a2, a3);
  a0 = _mm512_mask_or_epi32(a0, all, a0, a2);
  std::uint32_t lanes[16];
  _mm512_storeu_si512(lanes, a0);
  std::uint32_t r = 0;
  for (std::uint32_t v : lanes) r |= v;
  for (; i < n; ++i) r |= p[i] < 0.0f ? 1u : 0u;
  return r;
}
#endif

std::uint32_t read_or_sse2(const float* p, std::size_t n) {
  std::size_t i = 0;
  std::uint32_t r = 0;
#if defined(__SSE2__)
  __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (; n - i >= 16; i += 16) {
    a0 = _mm_or_ps(a0, _mm_loadu_ps(p + i));
    a1 = _mm_or_ps(a1, _mm_loadu_ps(p + i + 4));
    a2 = _mm_or_ps(a2, _mm_loadu_ps(p + i + 8));
    a3 = _mm_or_ps(a3, _mm_loadu_ps(p + i + 12));
  }
  const __m128 h = _mm_or_ps(_mm_or_ps(a0, a1), _mm_or_ps(a2, a3));
  r = static_cast<std::uint32_t>(_mm_movemask_ps(h)) | static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_castps_si128(h)));
#endif
  for (; i < n; ++i) r |= p[i] < 0.0f ? 1u : 0u;
  return r;
}

std::uint32_t read_or(const float* p, std::size_t n) {
#if defined(QLIN_BENCH_HAVE_AVX2)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return read_or_avx2(p, n);
#endif
  return read_or_sse2(p, n);
}

void set_rates(benchmark::State& state, std::size_t n) {
  const auto items = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * static_cast<std::int64_t>(sizeof(float)));
}

void BM_read_sum(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) benchmark::DoNotOptimize(read_sum(x.data(), n));
  set_rates(state, n);
}

void BM_read_or(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) benchmark::DoNotOptimize(read_or(x.data(), n));
  set_rates(state, n);
}

void BM_minmax_observer(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) {
    qlin::minmax_observer o;
    o.observe(x.data(), n);
    benchmark::DoNotOptimize(o.min());
    benchmark::DoNotOptimize(o.max());
  }
  set_rates(state, n);
}

// Each reduce_minmax kernel (qlin::detail::reduce_kernel: 1 portable, 2 sse2, 3 avx2, 4 avx512)
// and the read_or of the same width (AVX-512 OR for the avx512 kernel, AVX2 OR otherwise)
// alternately in one loop: both rates and their ratio (`ratio` = kernel GB/s / read GB/s).
void BM_reduce_kernel_vs_read(benchmark::State& state) {
  const auto kernel = static_cast<qlin::detail::reduce_kernel>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  if (!qlin::detail::reduce_kernel_available(kernel)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const std::vector<float>& x = data(n);
  using clock = std::chrono::steady_clock;
  double t_read = 0.0, t_obs = 0.0;
  for (auto _ : state) {
    const auto t0 = clock::now();
#if defined(QLIN_BENCH_HAVE_AVX2)
    if (kernel == qlin::detail::reduce_kernel::avx512) {
      benchmark::DoNotOptimize(read_or_avx512(x.data(), n));
    } else {
      benchmark::DoNotOptimize(read_or(x.data(), n));
    }
#else
    benchmark::DoNotOptimize(read_or(x.data(), n));
#endif
    const auto t1 = clock::now();
    const qlin::minmax_summary s = qlin::detail::reduce_minmax_with(x.data(), n, kernel);
    benchmark::DoNotOptimize(s.max);
    const auto t2 = clock::now();
    t_read += std::chrono::duration<double>(t1 - t0).count();
    t_obs += std::chrono::duration<double>(t2 - t1).count();
  }
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(n) * 4.0;
  state.counters["read_GBps"] = bytes / t_read / 1e9;
  state.counters["minmax_GBps"] = bytes / t_obs / 1e9;
  state.counters["ratio"] = t_read / t_obs;
}

// The observer and read_or alternately in one loop: both rates (GB/s) and their ratio.
void BM_minmax_vs_read(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  using clock = std::chrono::steady_clock;
  double t_read = 0.0, t_obs = 0.0;
  for (auto _ : state) {
    const auto t0 = clock::now();
    benchmark::DoNotOptimize(read_or(x.data(), n));
    const auto t1 = clock::now();
    qlin::minmax_observer o;
    o.observe(x.data(), n);
    benchmark::DoNotOptimize(o.max());
    const auto t2 = clock::now();
    t_read += std::chrono::duration<double>(t1 - t0).count();
    t_obs += std::chrono::duration<double>(t2 - t1).count();
  }
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(n) * 4.0;
  state.counters["read_GBps"] = bytes / t_read / 1e9;
  state.counters["minmax_GBps"] = bytes / t_obs / 1e9;
  state.counters["ratio"] = t_read / t_obs;
}

constexpr std::int64_t k4 = 4 << 10, k64 = 64 << 10, k256 = 256 << 10, m1 = 1 << 20, m16 = 16 << 20;

BENCHMARK(BM_read_sum)->Arg(k4)->Arg(k64)->Arg(k256)->Arg(m16);
BENCHMARK(BM_read_or)->Arg(k4)->Arg(k64)->Arg(k256)->Arg(m16);
BENCHMARK(BM_minmax_observer)->Arg(k4)->Arg(k64)->Arg(k256)->Arg(m16);
BENCHMARK(BM_minmax_vs_read)->Arg(k4)->Arg(k64)->Arg(k256)->Arg(m16);
BENCHMARK(BM_reduce_kernel_vs_read)->ArgsProduct({{2, 3, 4}, {k4, k256, m16}});

// ----- histogram collection -----------------------------------------------------------------------

void BM_collect_histogram(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) {
    qlin::histogram_observer h;
    h.observe(x.data(), n);
    benchmark::DoNotOptimize(h.counts().data());
  }
  set_rates(state, n);
}

// The same with per-bin moments (track_moments::yes: a second pass adding x - e_j and its square).
void BM_collect_histogram_moments(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) {
    qlin::histogram_observer h(qlin::histogram_observer::default_bins, qlin::track_moments::yes);
    h.observe(x.data(), n);
    benchmark::DoNotOptimize(h.counts().data());
    benchmark::DoNotOptimize(h.sum2().data());
  }
  set_rates(state, n);
}

void BM_collect_abs_histogram(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) {
    qlin::abs_histogram_observer h;
    h.observe(x.data(), n);
    benchmark::DoNotOptimize(h.counts().data());
  }
  set_rates(state, n);
}

void BM_collect_torch_histogram(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  for (auto _ : state) {
    qlin::torch_histogram_observer h;
    benchmark::DoNotOptimize(h.observe(x.data(), n).has_value());
    benchmark::DoNotOptimize(h.histogram().data());
  }
  set_rates(state, n);
}

// ONNX Runtime's HistogramCollector replica (observers/onnxruntime.hpp): range(1) = initial bins
// (128 = ONNX Runtime's default, 2048 = the others' count).
void BM_collect_ort_histogram(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto bins = static_cast<std::size_t>(state.range(1));
  const std::vector<float>& x = data(n);
  for (auto _ : state) {
    qlin::ort_histogram_observer h(bins);
    benchmark::DoNotOptimize(h.observe(x.data(), n).has_value());
    benchmark::DoNotOptimize(h.counts().data());
  }
  set_rates(state, n);
}

BENCHMARK(BM_collect_histogram)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_collect_histogram_moments)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_collect_abs_histogram)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_collect_torch_histogram)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_collect_ort_histogram)->ArgsProduct({{m1, m16}, {128, 2048}})->Unit(benchmark::kMillisecond);

// ----- range searches on a collected state ----------------------------------------------------------

const qlin::histogram_observer& collected(std::size_t n, bool moments = false) {
  static std::map<std::size_t, qlin::histogram_observer> cache[2];
  auto it = cache[moments].find(n);
  if (it == cache[moments].end()) {
    qlin::histogram_observer h(qlin::histogram_observer::default_bins,
                               moments ? qlin::track_moments::yes : qlin::track_moments::no);
    h.observe(data(n).data(), n);
    it = cache[moments].emplace(n, std::move(h)).first;
  }
  return it->second;
}

const qlin::abs_histogram_observer& collected_abs(std::size_t n) {
  static std::map<std::size_t, qlin::abs_histogram_observer> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    qlin::abs_histogram_observer h;
    h.observe(data(n).data(), n);
    it = cache.emplace(n, std::move(h)).first;
  }
  return it->second;
}

const qlin::torch_histogram_observer& collected_torch(std::size_t n) {
  static std::map<std::size_t, qlin::torch_histogram_observer> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    qlin::torch_histogram_observer h;
    (void)h.observe(data(n).data(), n);
    it = cache.emplace(n, std::move(h)).first;
  }
  return it->second;
}

const qlin::ort_histogram_observer& collected_ort(std::size_t n, std::size_t bins) {
  static std::map<std::pair<std::size_t, std::size_t>, qlin::ort_histogram_observer> cache;
  const auto key = std::make_pair(n, bins);
  auto it = cache.find(key);
  if (it == cache.end()) {
    qlin::ort_histogram_observer h(bins);
    (void)h.observe(data(n).data(), n);
    it = cache.emplace(key, std::move(h)).first;
  }
  return it->second;
}

qlin::qparams_options uint8_affine() {
  qlin::qparams_options o;
  o.type = qlin::dtype::uint8;
  return o;
}

void search(benchmark::State& state, qlin::histogram_method m, bool moments = false) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const qlin::histogram_observer& h = collected(n, moments);
  const qlin::qparams_options o = uint8_affine();
  for (auto _ : state) {
    const qlin::result<qlin::clip_range> r = h.select_range(m, o, 99.99);
    benchmark::DoNotOptimize(r.has_value());
  }
}

void BM_search_histogram_l2(benchmark::State& state) { search(state, qlin::histogram_method::histogram); }
void BM_search_mse(benchmark::State& state) { search(state, qlin::histogram_method::mse); }
void BM_search_mse_moments(benchmark::State& state) { search(state, qlin::histogram_method::mse, true); }
void BM_search_percentile(benchmark::State& state) { search(state, qlin::histogram_method::percentile); }

void BM_search_entropy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const qlin::abs_histogram_observer& h = collected_abs(n);
  for (auto _ : state) benchmark::DoNotOptimize(h.entropy_amax().has_value());
  const auto r = h.entropy_amax();
  state.counters["amax"] = r ? static_cast<double>(*r) : 0.0;
}

void BM_search_abs_percentile(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const qlin::abs_histogram_observer& h = collected_abs(n);
  for (auto _ : state) benchmark::DoNotOptimize(h.percentile_amax(99.99).has_value());
  const auto r = h.percentile_amax(99.99);
  state.counters["amax"] = r ? static_cast<double>(*r) : 0.0;
}

void BM_search_torch_l2(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const qlin::torch_histogram_observer& h = collected_torch(n);
  const qlin::qparams_options o = uint8_affine();
  for (auto _ : state) benchmark::DoNotOptimize(h.calculate_qparams(o).has_value());
}

// ONNX Runtime's entropy search (num_quantized_bins 128) and asymmetric percentile (99.99) on the
// ort_histogram_observer state; range(1) = initial bins.
void BM_search_ort_entropy(benchmark::State& state) {
  const qlin::ort_histogram_observer& h =
      collected_ort(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(h.entropy_range().has_value());
  const auto r = h.entropy_range();  // reported so that the peer script can compare the answers
  state.counters["lo"] = r ? static_cast<double>(r->lo) : 0.0;
  state.counters["hi"] = r ? static_cast<double>(r->hi) : 0.0;
}

void BM_search_ort_percentile(benchmark::State& state) {
  const qlin::ort_histogram_observer& h =
      collected_ort(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(h.percentile_range(99.99).has_value());
  const auto r = h.percentile_range(99.99);
  state.counters["lo"] = r ? static_cast<double>(r->lo) : 0.0;
  state.counters["hi"] = r ? static_cast<double>(r->hi) : 0.0;
}

BENCHMARK(BM_search_histogram_l2)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_mse)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_mse_moments)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_percentile)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_entropy)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_abs_percentile)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_torch_l2)->Arg(m1)->Arg(m16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_ort_entropy)->ArgsProduct({{m1, m16}, {128, 2048}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_search_ort_percentile)->ArgsProduct({{m1, m16}, {128, 2048}})->Unit(benchmark::kMicrosecond);

// ----- what the torch comparison times: fresh observer, one forward, calculate_qparams --------------

void BM_end_to_end_histogram(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  const qlin::qparams_options o = uint8_affine();
  for (auto _ : state) {
    qlin::histogram_observer h;
    h.observe(x.data(), n);
    benchmark::DoNotOptimize(h.calculate_qparams(qlin::histogram_method::histogram, o).has_value());
  }
  set_rates(state, n);
}

void BM_end_to_end_mse(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  const qlin::qparams_options o = uint8_affine();
  for (auto _ : state) {
    qlin::histogram_observer h;
    h.observe(x.data(), n);
    benchmark::DoNotOptimize(h.calculate_qparams(qlin::histogram_method::mse, o).has_value());
  }
  set_rates(state, n);
}

void BM_end_to_end_mse_moments(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  const qlin::qparams_options o = uint8_affine();
  for (auto _ : state) {
    qlin::histogram_observer h(qlin::histogram_observer::default_bins, qlin::track_moments::yes);
    h.observe(x.data(), n);
    benchmark::DoNotOptimize(h.calculate_qparams(qlin::histogram_method::mse, o).has_value());
  }
  set_rates(state, n);
}

void BM_end_to_end_torch_histogram(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float>& x = data(n);
  const qlin::qparams_options o = uint8_affine();
  for (auto _ : state) {
    qlin::torch_histogram_observer h;
    benchmark::DoNotOptimize(h.observe(x.data(), n).has_value());
    benchmark::DoNotOptimize(h.calculate_qparams(o).has_value());
  }
  set_rates(state, n);
}

BENCHMARK(BM_end_to_end_histogram)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_end_to_end_mse)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_end_to_end_mse_moments)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_end_to_end_torch_histogram)->Arg(m1)->Arg(m16)->Unit(benchmark::kMillisecond);

}  // namespace
