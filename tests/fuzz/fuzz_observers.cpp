// fuzz_observers.cpp: libFuzzer target for the observer-state deserializers
// (include/qlin/observers/serialize.hpp and each observer's deserialize()).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// The input is handed, as it is, to every observer's deserialize(). Each load must either fail
// with errc::corrupt_data or give a state that
//   - serializes back to the input bytes, except that a stored -0.0f may come back as +0.0f (the
//     loaders canonicalize the zero of a range, observers/minmax.hpp read_summary), and
//   - loads again from its own serialization, which is then a fixed point;
// and using the loaded state (calculate_qparams, the histogram searches, merge with itself) must
// not crash or trip a precondition, and parameters it returns must be usable.
// The seeds in corpus/fuzz_observers/ are serialized states of every observer kind (the
// histogram_observer with and without per-bin moments).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <qlin/observers.hpp>

namespace {

[[noreturn]] void die(const char* observer, const char* what) {
  std::fprintf(stderr, "fuzz_observers (%s): %s\n", observer, what);
  std::abort();
}

// a == b, or differs only where `a` holds -0.0f and `b` +0.0f at the same offset.
bool same_up_to_zero_sign(const std::uint8_t* a, std::size_t n, const std::vector<std::uint8_t>& b) {
  if (n != b.size()) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    // Only the sign byte of a little-endian float may differ: 00 00 00 80 -> 00 00 00 00.
    if (i < 3 || a[i] != 0x80 || b[i] != 0x00) return false;
    if (a[i - 1] != 0 || a[i - 2] != 0 || a[i - 3] != 0) return false;
  }
  return true;
}

void check_params(const char* name, const qlin::result<qlin::quant_params>& p) {
  if (!p) return;
  if (!(p->scale > 0.0f) || !std::isfinite(p->scale)) die(name, "calculate_qparams returned an unusable scale");
  if (p->zero_point < p->qmin || p->zero_point > p->qmax) die(name, "calculate_qparams returned a zero point outside [qmin, qmax]");
}

template <class Obs, class Use>
void load(const char* name, const std::uint8_t* data, std::size_t size, Use use) {
  qlin::result<Obs> r = Obs::deserialize(data, size);
  if (!r) {
    if (r.code() != qlin::errc::corrupt_data) die(name, "a refused load with a code other than corrupt_data");
    if (r.error().message == nullptr || r.error().message[0] == '\0') die(name, "a refused load without a message");
    return;
  }
  const std::vector<std::uint8_t> bytes = r->serialize();
  if (!same_up_to_zero_sign(data, size, bytes)) die(name, "a loaded state re-serializes differently");
  const qlin::result<Obs> again = Obs::deserialize(bytes);
  if (!again) die(name, "the serialization of a loaded state does not load");
  if (again->serialize() != bytes) die(name, "serialize(deserialize(serialize(s))) != serialize(s)");
  use(*r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qlin;
  load<minmax_observer>("minmax_observer", data, size, [](minmax_observer& o) {
    check_params("minmax_observer", o.calculate_qparams());
    minmax_observer copy = o;
    (void)o.merge(copy);  // may refuse (count overflow); must not crash
  });
  load<moving_average_minmax_observer>("moving_average_minmax_observer", data, size,
                                       [](moving_average_minmax_observer& o) {
                                         check_params("moving_average_minmax_observer", o.calculate_qparams());
                                         moving_average_minmax_observer copy = o;
                                         (void)o.merge(copy);
                                       });
  load<per_channel_minmax_observer>("per_channel_minmax_observer", data, size, [](per_channel_minmax_observer& o) {
    (void)o.calculate_qparams();
    per_channel_minmax_observer copy = o;
    (void)o.merge(copy);  // may refuse (count overflow); must not crash
  });
  load<per_channel_moving_average_minmax_observer>("per_channel_moving_average_minmax_observer", data, size,
                                                   [](per_channel_moving_average_minmax_observer& o) {
                                                     (void)o.calculate_qparams();
                                                     per_channel_moving_average_minmax_observer copy = o;
                                                     (void)o.merge(copy);
                                                   });
  load<histogram_observer>("histogram_observer", data, size, [](histogram_observer& o) {
    check_params("histogram_observer", o.calculate_qparams(histogram_method::histogram));
    check_params("histogram_observer", o.calculate_qparams(histogram_method::percentile));
    check_params("histogram_observer", o.calculate_qparams(histogram_method::mse));  // with moments if stored
    histogram_observer copy = o;
    (void)o.merge(copy);  // may refuse (count overflow); must not crash
  });
  load<torch_histogram_observer>("torch_histogram_observer", data, size, [](torch_histogram_observer& o) {
    check_params("torch_histogram_observer", o.calculate_qparams());
    torch_histogram_observer copy = o;
    (void)o.merge(copy);
  });
  load<abs_histogram_observer>("abs_histogram_observer", data, size, [](abs_histogram_observer& o) {
    (void)o.entropy_amax();
    (void)o.percentile_amax(99.9);
    abs_histogram_observer copy = o;
    (void)o.merge(copy);
  });
  return 0;
}
