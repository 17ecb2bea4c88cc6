// make_observer_seeds.cpp: writes the seed corpus of fuzz_observers (corpus/fuzz_observers/):
// the serialized state of every observer kind, empty and after a few batches.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
//   fuzz_make_observer_seeds tests/fuzz/corpus/fuzz_observers
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <qlin/observers.hpp>

namespace {

int write(const std::string& dir, const char* name, const std::vector<std::uint8_t>& bytes) {
  const std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    return 1;
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return (std::fclose(f) == 0 && ok) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> a = {-1.5f, 0.25f, 3.0f, nan, 0.5f, -0.0f, 2.0f, -inf};
  const std::vector<float> b = {0.125f, 7.5f, -2.25f, 1.0f, 0.0f, 4.0f, 1e-3f, -1e-3f};
  int bad = 0;

  qlin::minmax_observer mm;
  bad += write(dir, "minmax_empty", mm.serialize());
  mm.observe(a.data(), a.size());
  mm.observe(b.data(), b.size());
  bad += write(dir, "minmax", mm.serialize());

  qlin::moving_average_minmax_observer ma(0.25f);
  bad += write(dir, "moving_average_empty", ma.serialize());
  ma.observe(a.data(), a.size());
  ma.observe(b.data(), b.size());
  bad += write(dir, "moving_average", ma.serialize());

  const qlin::channel_layout layout{2, 2, 2};  // [outer][channels][inner]
  qlin::per_channel_minmax_observer pc;
  bad += write(dir, "per_channel_empty", pc.serialize());
  (void)pc.observe(a.data(), layout);
  (void)pc.observe(b.data(), layout);
  bad += write(dir, "per_channel", pc.serialize());

  qlin::per_channel_moving_average_minmax_observer pcma(0.5f);
  (void)pcma.observe(a.data(), layout);
  (void)pcma.observe(b.data(), layout);
  bad += write(dir, "per_channel_moving_average", pcma.serialize());

  qlin::histogram_observer h(64);
  bad += write(dir, "histogram_empty", h.serialize());
  h.observe(a.data(), a.size());
  h.observe(b.data(), b.size());
  bad += write(dir, "histogram", h.serialize());
  qlin::histogram_observer hm(64, qlin::track_moments::yes);
  bad += write(dir, "histogram_moments_empty", hm.serialize());
  hm.observe(a.data(), a.size());
  hm.observe(b.data(), b.size());
  bad += write(dir, "histogram_moments", hm.serialize());

  qlin::torch_histogram_observer th(32, 8, 16);
  bad += write(dir, "torch_histogram_empty", th.serialize());
  (void)th.observe(a.data(), a.size());
  (void)th.observe(b.data(), b.size());
  bad += write(dir, "torch_histogram", th.serialize());

  qlin::abs_histogram_observer ah(32);
  bad += write(dir, "abs_histogram_empty", ah.serialize());
  ah.observe(a.data(), a.size());
  ah.observe(b.data(), b.size());
  bad += write(dir, "abs_histogram", ah.serialize());
  qlin::abs_histogram_observer fixed(16, 8.0f);
  fixed.observe(b.data(), b.size());
  bad += write(dir, "abs_histogram_fixed", fixed.serialize());
  return bad == 0 ? 0 : 1;
}
