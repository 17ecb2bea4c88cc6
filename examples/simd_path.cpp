// simd_path.cpp: qlin::simd::quantize (SIMD, chosen at compile time) against the scalar reference
// qlin::quantize on hard inputs (ties, NaN, +-Inf, huge values). Exit status 0 when the codes are
// identical. Build with -mavx2 (or -march=native) to get the AVX2 kernels in this same source.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/dispatch.hpp>
#include <qlin/quant.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

namespace {
template <class F>
double best_ns(F&& f) {  // the fastest of 20 runs, in nanoseconds
  double best = 1e300;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const std::chrono::duration<double, std::nano> d = std::chrono::steady_clock::now() - t0;
    if (d.count() < best) best = d.count();
  }
  return best;
}
}  // namespace

int main() {
  const qlin::quant_params p = qlin::make_quant_params(0.25f, 3, qlin::qrange{-128, 127}).value();
  std::vector<float> x(65536 + 7);  // ties k/8 of the step, a tail that is not a multiple of the vector width
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 4001) - 2000) * 0.03125f;
  const float inf = std::numeric_limits<float>::infinity();
  const float special[] = {std::numeric_limits<float>::quiet_NaN(), inf, -inf, 3e38f, -3e38f, -0.0f, 0.125f};
  std::memcpy(x.data() + 100, special, sizeof special);

  // [snippet main]
  std::vector<std::int8_t> q_scalar(x.size()), q_simd(x.size());
  qlin::quantize(x.data(), x.size(), q_scalar.data(), p);        // the scalar reference
  qlin::simd::quantize(x.data(), x.size(), q_simd.data(), p);    // the same bits, vectorized
  std::printf("qlin::simd runs %s kernels (chosen at compile time)\n", qlin::simd::active_arch_name());
  const bool same = q_scalar == q_simd;
  std::printf("codes identical: %s\n", same ? "yes" : "NO");
  // [end snippet]

  // Runtime dispatch (qlin/dispatch.hpp) picks among the arch tables a program links in. This
  // single-file example links none, so it runs the scalar table; examples/runtime_dispatch/ builds
  // one kernel file per arch and picks AVX-512 / AVX2 / SSE4.1 / SSE2 at run time.
  std::vector<std::int8_t> q_dispatch(x.size());
  qlin::dispatch::quantize(x.data(), x.size(), q_dispatch.data(), p);
  std::printf("qlin::dispatch runs %s here; codes identical: %s\n", qlin::dispatch::active_arch_name(),
              q_dispatch == q_scalar ? "yes" : "NO");

  const double n = static_cast<double>(x.size());
  const double t_scalar = best_ns([&] { qlin::quantize(x.data(), x.size(), q_scalar.data(), p); });
  const double t_simd = best_ns([&] { qlin::simd::quantize(x.data(), x.size(), q_simd.data(), p); });
  std::printf("scalar %.2f elements/ns, simd %.2f elements/ns (%.1fx; timing only, not checked)\n", n / t_scalar,
              n / t_simd, t_scalar / t_simd);
  const bool ok = same && q_dispatch == q_scalar;
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
