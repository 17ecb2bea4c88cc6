// observers/serialize.hpp: the versioned byte format of observer states.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Every observer state serializes to (all integers and floats little-endian, floats as their
// IEEE-754 binary32 bit pattern):
//
//   offset  size  field
//   0       4     magic "QLOB"
//   4       2     format version (uint16), currently 1
//   6       1     kind (observer_kind, uint8)
//   7       1     reserved, 0
//   8       ...   the kind's configuration, then its state (see each observer's header)
//
// Loading checks the magic, the version, the kind, every length against the bytes that remain,
// that nothing trails the state, and that the state is consistent (e.g. min <= max); anything
// else gives errc::corrupt_data. It never reads out of bounds and never allocates more than the
// input's size implies.
#ifndef QLIN_OBSERVERS_SERIALIZE_HPP_
#define QLIN_OBSERVERS_SERIALIZE_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "../result.hpp"

namespace qlin {

/// The kinds of serialized observer state. The values are stable: they are stored in the bytes.
enum class observer_kind : std::uint8_t {
  minmax = 1,
  moving_average_minmax = 2,
  per_channel_minmax = 3,
  per_channel_moving_average_minmax = 4,
  histogram = 5,
};

/// The current version of the byte format.
constexpr std::uint16_t observer_format_version = 1;

namespace detail {

class byte_writer {
 public:
  explicit byte_writer(observer_kind kind)
      : bytes_{std::uint8_t{'Q'}, std::uint8_t{'L'}, std::uint8_t{'O'}, std::uint8_t{'B'},
               static_cast<std::uint8_t>(observer_format_version & 0xffu),
               static_cast<std::uint8_t>(observer_format_version >> 8), static_cast<std::uint8_t>(kind),
               std::uint8_t{0}} {}
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u16(std::uint16_t v) {
    for (int i = 0; i < 2; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void f32(float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    u32(b);
  }
  void f64(double v) {
    std::uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    u64(b);
  }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

/// Reads little-endian fields; any read past the end sets a sticky failure flag and yields 0.
class byte_reader {
 public:
  byte_reader(const void* data, std::size_t size) noexcept
      : p_(static_cast<const unsigned char*>(data)), size_(data == nullptr ? 0 : size) {}

  /// Checks the header: magic, version, kind, reserved byte.
  bool header(observer_kind kind) noexcept {
    if (remaining() < 8) return fail_now();
    if (std::memcmp(p_, "QLOB", 4) != 0) return fail_now();
    pos_ = 4;
    if (u16() != observer_format_version) return fail_now();
    if (u8() != static_cast<std::uint8_t>(kind)) return fail_now();
    if (u8() != 0) return fail_now();
    return ok_;
  }
  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(read(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(read(2)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(read(4)); }
  std::uint64_t u64() noexcept { return read(8); }
  float f32() noexcept {
    const std::uint32_t b = u32();
    float v;
    std::memcpy(&v, &b, sizeof v);
    return v;
  }
  double f64() noexcept {
    const std::uint64_t b = u64();
    double v;
    std::memcpy(&v, &b, sizeof v);
    return v;
  }
  std::size_t remaining() const noexcept { return size_ - pos_; }
  bool ok() const noexcept { return ok_; }
  /// True when every read succeeded and all bytes were consumed.
  bool done() const noexcept { return ok_ && pos_ == size_; }
  bool fail_now() noexcept {
    ok_ = false;
    pos_ = size_;
    return false;
  }

 private:
  std::uint64_t read(std::size_t n) noexcept {
    if (!ok_ || remaining() < n) {
      fail_now();
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }

  const unsigned char* p_;
  std::size_t size_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline error corrupt(const char* message) noexcept { return error{errc::corrupt_data, message}; }

}  // namespace detail
}  // namespace qlin

#endif  // QLIN_OBSERVERS_SERIALIZE_HPP_
