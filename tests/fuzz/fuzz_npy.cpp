// fuzz_npy.cpp: libFuzzer target for the .npy reader of the qlin command-line tool
// (examples/qlin_cli/npy.hpp).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Every input must parse or be refused with a non-empty message, never crash or read out of
// bounds; a parsed array must have exactly count() * itemsize bytes and survive a serialize /
// parse round trip unchanged, and its serialization must be a valid .npy whose data starts at a
// multiple of 64 bytes (what np.save writes).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "npy.hpp"

namespace {
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_npy: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace npy = qlin_cli::npy;
  npy::array a;
  const npy::status s = npy::parse(data, size, a);
  if (!s) {
    if (s.message.empty()) die("a refusal without a message");
    return 0;
  }
  if (a.shape.size() > npy::max_dims) die("more dimensions than max_dims were accepted");
  if (a.bytes.size() != a.count() * npy::itemsize(a.type)) die("the data size disagrees with the shape");
  const std::vector<unsigned char> again = npy::serialize(a);
  if (again.size() < 10) die("serialize wrote no header");
  const std::size_t header_len = static_cast<std::size_t>(again[8]) | (static_cast<std::size_t>(again[9]) << 8);
  if ((10 + header_len) % 64 != 0) die("serialize: the data does not start at a multiple of 64 bytes");
  npy::array b;
  if (!npy::parse(again.data(), again.size(), b)) die("serialize wrote a file parse refuses");
  if (b.type != a.type || b.shape != a.shape || b.bytes != a.bytes) die("the serialize / parse round trip changed the array");
  if (npy::serialize(b) != again) die("serialize is not deterministic");
  return 0;
}
