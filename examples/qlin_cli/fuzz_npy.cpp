// fuzz_npy.cpp: a libFuzzer entry point for the .npy parser of the qlin tool (npy.hpp).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Not part of the CMake build. Build and run with clang:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
//       examples/qlin_cli/fuzz_npy.cpp -o fuzz_npy && ./fuzz_npy -max_total_time=60
// Every input must parse or be refused with a message; a parsed array must survive a
// serialize / parse round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qlin_cli::npy::array a;
  const qlin_cli::npy::status s = qlin_cli::npy::parse(data, size, a);
  if (!s) {
    if (s.message.empty()) std::abort();
    return 0;
  }
  if (a.bytes.size() != a.count() * qlin_cli::npy::itemsize(a.type)) std::abort();
  const std::vector<unsigned char> again = qlin_cli::npy::serialize(a);
  qlin_cli::npy::array b;
  if (!qlin_cli::npy::parse(again.data(), again.size(), b)) std::abort();
  if (b.type != a.type || b.shape != a.shape || b.bytes != a.bytes) std::abort();
  return 0;
}
