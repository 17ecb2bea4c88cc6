// merge_observers_threads.cpp: sharded calibration. Each std::thread observes its own shard with
// its own observer; the states travel as bytes (as they would between the workers of an MPI or
// Spark job), are loaded back and merged. Exit status 0 when the merged state equals one pass.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
#include <qlin/quant.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

int main() {
  constexpr std::size_t shards = 4, per_shard = 50000;
  std::vector<float> data(shards * per_shard);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto t = static_cast<float>(i);
    data[i] = std::sin(0.001f * t) * (1.0f + 0.5f * std::cos(0.37f * t)) + (i % 997 == 0 ? 6.0f : 0.0f);
  }

  // [snippet main]
  // Map: every worker calibrates its shard and ships its state as bytes.
  std::vector<std::vector<std::uint8_t>> states(shards);
  std::vector<std::thread> workers;
  for (std::size_t s = 0; s < shards; ++s) {
    workers.emplace_back([&data, &states, s] {
      qlin::histogram_observer local;  // one observer per thread: observers are not shared
      local.observe(data.data() + s * per_shard, per_shard);
      states[s] = local.serialize();
    });
  }
  for (std::thread& t : workers) t.join();

  // Reduce: load each state (corrupt bytes give errc::corrupt_data) and merge, in any order.
  qlin::histogram_observer merged;
  for (const std::vector<std::uint8_t>& bytes : states) {
    const qlin::result<qlin::histogram_observer> shard = qlin::histogram_observer::deserialize(bytes);
    if (!shard) return std::printf("error: %s\n", shard.error().message), 1;
    if (!merged.merge(*shard)) return std::printf("error: merge failed\n"), 1;
  }
  const qlin::result<qlin::quant_params> p = merged.calculate_qparams(qlin::histogram_method::mse);
  // [end snippet]

  qlin::histogram_observer one_pass;  // the same data in one pass, for the check
  one_pass.observe(data.data(), data.size());
  const qlin::result<qlin::quant_params> want = one_pass.calculate_qparams(qlin::histogram_method::mse);
  if (!p || !want) return std::printf("error: no parameters\n"), 1;
  const bool ok = merged.serialize() == one_pass.serialize() && p->scale == want->scale &&
                  p->zero_point == want->zero_point;
  std::printf("%zu shards of %zu values: range [%.4f, %.4f], %llu values counted\n", shards, per_shard, merged.min(),
              merged.max(), static_cast<unsigned long long>(merged.finite_count()));
  std::printf("mse parameters: merged scale %.9g zp %d, one pass scale %.9g zp %d\n", p->scale, p->zero_point,
              want->scale, want->zero_point);
  std::printf("%s\n", ok ? "ok: merged state equals one pass, bit for bit" : "FAILED");
  return ok ? 0 : 1;
}
