// test_data.hpp: reads the reference data files in tests/data/ (written by tests/data/gen_*.py / *.cpp).
//
// Format: plain text, one case per line, whitespace-separated tokens; '#' starts a comment line.
// Floats are written as the 8-hex-digit bit pattern of the float32 (e.g. 3cd5c6b8) so that they
// round-trip exactly; doubles as 16 hex digits; integers in decimal.
#ifndef QLIN_TESTS_TEST_DATA_HPP_
#define QLIN_TESTS_TEST_DATA_HPP_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace qlin_test {

using row = std::vector<std::string>;

/// All non-comment, non-empty lines of tests/data/<name>, split on whitespace. An unreadable
/// file gives an empty vector (tests REQUIRE a non-empty result).
inline std::vector<row> read_rows(const std::string& name) {
  std::vector<row> rows;
  std::ifstream in(std::string(QLIN_TEST_DATA_DIR) + "/" + name);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    row r;
    std::string tok;
    while (ss >> tok) r.push_back(tok);
    if (!r.empty()) rows.push_back(r);
  }
  return rows;
}

inline float f32_from_hex(const std::string& s) {
  const auto bits = static_cast<std::uint32_t>(std::strtoul(s.c_str(), nullptr, 16));
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline std::uint32_t f32_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

inline double f64_from_hex(const std::string& s) {
  const auto bits = static_cast<std::uint64_t>(std::strtoull(s.c_str(), nullptr, 16));
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

inline std::int64_t to_i64(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
inline std::int32_t to_i32(const std::string& s) { return static_cast<std::int32_t>(std::strtol(s.c_str(), nullptr, 10)); }

}  // namespace qlin_test

#endif  // QLIN_TESTS_TEST_DATA_HPP_
