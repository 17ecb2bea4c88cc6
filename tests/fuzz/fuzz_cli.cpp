// fuzz_cli.cpp: libFuzzer target for the `qlin` command-line tool's argument handling
// (examples/qlin_cli/main.cpp), run in-process.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// The input is split at NUL bytes into arguments, after argv[0] = "qlin". The tool's main() is
// compiled into this file under the name qlin_cli_main (main.cpp itself is unchanged) and called
// directly: every argument vector must end with exit status 0 or 2, never a crash, a sanitizer
// report or a failed precondition (DESIGN.md: "Bad arguments or data: exit status 2 and a one-line
// message on stderr; never a crash").
//
// Sandbox: the tool reads and writes files named on its command line. The fuzzer runs in a fresh
// temporary directory holding small valid .npy inputs (x.npy float32, q8.npy int8, qu8.npy uint8,
// q16.npy int16, acc.npy int32, s.npy / zf.npy float32 and z.npy int32 per-channel parameters), so that
// the subcommands get past their file checks; arguments containing '/' are dropped, so nothing
// outside that directory is touched. The inputs are rewritten and any new file removed after each
// run, so runs are independent. Run with -close_fd_mask=3 (the tool prints on stdout and stderr).
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>

#include <qlin/binary.hpp>
#include <qlin/config.hpp>
#include <qlin/dfq.hpp>
#include <qlin/dtype.hpp>
#include <qlin/fake_quant.hpp>
#include <qlin/fixed_point.hpp>
#include <qlin/int4.hpp>
#include <qlin/metrics.hpp>
#include <qlin/observers.hpp>
#include <qlin/params.hpp>
#include <qlin/power_of_two.hpp>
#include <qlin/quantize.hpp>
#include <qlin/requantize.hpp>
#include <qlin/result.hpp>

#include "npy.hpp"

// Every header main.cpp includes is included above, so the macro renames only main.cpp's main().
#define main qlin_cli_main
#include "main.cpp"
#undef main

namespace {

namespace npy = qlin_cli::npy;

struct seed_file {
  const char* name;
  std::vector<unsigned char> bytes;
};

std::vector<seed_file>& seed_files() {
  static std::vector<seed_file> files;
  return files;
}

template <class T>
void add_seed(const char* name, std::vector<std::size_t> shape, std::vector<T> v) {
  seed_files().push_back({name, npy::serialize(npy::make_array(shape, v.data(), v.size()))});
}

void write_all(const seed_file& f) {
  std::FILE* out = std::fopen(f.name, "wb");
  if (out == nullptr) std::abort();
  if (!f.bytes.empty() && std::fwrite(f.bytes.data(), 1, f.bytes.size(), out) != f.bytes.size()) std::abort();
  std::fclose(out);
}

// Restores the inputs and removes whatever the last run wrote.
void reset_sandbox() {
  if (DIR* d = opendir(".")) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      bool keep = false;
      for (const seed_file& f : seed_files()) keep = keep || name == f.name;
      if (!keep) std::remove(name.c_str());
    }
    closedir(d);
  }
  for (const seed_file& f : seed_files()) write_all(f);
}

std::string& sandbox() {
  static std::string dir;
  return dir;
}

// At exit (libFuzzer ends a -max_total_time run with exit()): empty and remove the sandbox.
void remove_sandbox() {
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr || sandbox() != cwd) return;  // only ever empty the sandbox
  seed_files().clear();
  reset_sandbox();
  if (chdir("/") == 0) rmdir(sandbox().c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") + "/qlin_fuzz_cli.XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  const char* made = mkdtemp(buf.data());
  if (made == nullptr || chdir(made) != 0) {
    std::perror("fuzz_cli: cannot make the sandbox directory");
    std::abort();
  }
  sandbox() = made;
  seed_files();  // constructed before the handler is registered, so destroyed after it runs
  std::atexit(remove_sandbox);
  std::fprintf(stderr, "fuzz_cli: sandbox %s\n", made);
  add_seed<float>("x.npy", {2, 4}, {-1.5f, -0.5f, 0.0f, 0.25f, 0.5f, 1.0f, 2.5f, 3.0f});
  add_seed<std::int8_t>("q8.npy", {2, 4}, {-128, -1, 0, 1, 2, 64, 100, 127});
  add_seed<std::uint8_t>("qu8.npy", {2, 4}, {0, 1, 2, 64, 128, 200, 254, 255});
  add_seed<std::int16_t>("q16.npy", {2, 4}, {-32768, -1, 0, 1, 2, 300, 4000, 32767});
  add_seed<std::int32_t>("acc.npy", {8}, {std::numeric_limits<std::int32_t>::min(), -1000, -1, 0, 1, 999, 123456,
                                          std::numeric_limits<std::int32_t>::max()});
  add_seed<float>("s.npy", {2}, {0.5f, 0.25f});
  add_seed<float>("zf.npy", {2}, {0.0f, 1.5f});
  add_seed<std::int32_t>("z.npy", {2}, {0, 3});
  reset_sandbox();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"qlin"};
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (size > 0) args.push_back(cur);
  if (args.size() > 64) return 0;
  for (const std::string& a : args) {
    if (a.find('/') != std::string::npos) return 0;  // stay inside the sandbox
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  const int rc = qlin_cli_main(static_cast<int>(args.size()), argv.data());
  if (rc != 0 && rc != 2) {
    std::fprintf(stderr, "fuzz_cli: exit status %d\n", rc);
    std::abort();
  }
  reset_sandbox();
  return 0;
}
