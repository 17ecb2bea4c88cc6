// calibrate_two_observers.cpp: MinMax vs the MSE histogram search on the same calibration data,
// judged by the SQNR of dequantize(quantize(x)) on held-out data. Exit status 0 when the MSE
// observer is at least as good as MinMax there.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/quant.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {
// Heavy-tailed activation-like data: a normal whose spread varies (log-normal), so that the few
// largest values stretch the min/max range far beyond the body (splitmix64 + Box-Muller, fixed seed).
std::vector<float> make_batch(std::size_t n, std::uint64_t& state) {
  auto uniform = [&state]() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1p-53;
  };
  auto normal = [&uniform]() {
    return std::sqrt(-2.0 * std::log(1.0 - uniform())) * std::cos(6.283185307179586 * uniform());
  };
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(normal() * std::exp(0.7 * normal()));
  return x;
}
}  // namespace

int main() {
  std::uint64_t seed = 2026;
  std::vector<std::vector<float>> batches;
  for (int b = 0; b < 8; ++b) batches.push_back(make_batch(65536, seed));
  const std::vector<float> heldout = make_batch(262144, seed);

  // [snippet main]
  qlin::minmax_observer minmax;
  qlin::histogram_observer hist;  // exact dyadic histogram, 2048 bins
  for (const std::vector<float>& batch : batches) {  // successive forward calls
    minmax.observe(batch.data(), batch.size());
    hist.observe(batch.data(), batch.size());
  }
  qlin::qparams_options opt;
  opt.type = qlin::dtype::uint8;  // uint8 affine, PyTorch's default for activations
  const qlin::result<qlin::quant_params> p_minmax = minmax.calculate_qparams(opt);
  const qlin::result<qlin::quant_params> p_mse = hist.calculate_qparams(qlin::histogram_method::mse, opt);
  if (!p_minmax || !p_mse) return std::printf("error: no finite calibration data\n"), 1;

  // Judge both on data neither has seen.
  const double sqnr_minmax = qlin::quantization_error(heldout.data(), heldout.size(), *p_minmax).sqnr_db();
  const double sqnr_mse = qlin::quantization_error(heldout.data(), heldout.size(), *p_mse).sqnr_db();
  std::printf("minmax: scale %.6g zp %3d, held-out SQNR %.2f dB\n", p_minmax->scale, p_minmax->zero_point, sqnr_minmax);
  std::printf("mse:    scale %.6g zp %3d, held-out SQNR %.2f dB\n", p_mse->scale, p_mse->zero_point, sqnr_mse);
  // [end snippet]

  const bool ok = sqnr_mse >= sqnr_minmax;
  std::printf("%s\n", ok ? "ok: the mse range beats the full range on held-out data" : "FAILED");
  return ok ? 0 : 1;
}
