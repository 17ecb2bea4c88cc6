// npy.hpp: a small, strict reader and writer of NumPy .npy files for the qlin command-line tool.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Accepted: format version 1.0 only, C order only ('fortran_order': False), little-endian only,
// and these element types:
//
//   descr          C++ type        name
//   '<f4'          float           float32
//   '|i1' ('<i1')  std::int8_t     int8
//   '|u1' ('<u1')  std::uint8_t    uint8
//   '<i2'          std::int16_t    int16
//   '<i4'          std::int32_t    int32
//
// Everything else is refused with a message, never a crash: a missing or wrong magic string,
// versions 2.0 / 3.0, big-endian or native-order ('>', '=') descriptors, object and structured
// dtypes, Fortran order, a header that is not exactly the dict NumPy writes (three keys: 'descr',
// 'fortran_order', 'shape'), more than 64 dimensions, a shape whose element count (or byte
// count) overflows, data shorter or longer than the shape says. The parser works on a byte
// buffer (parse()), so it can be fuzzed without files. It throws nothing itself; only a failed
// std::vector / std::string allocation can (the buffer sizes are bounded by the file size).
//
// The writer writes what NumPy's np.save writes for version 1.0: the header dict padded with
// spaces and a final '\n' so that the data starts at a multiple of 64 bytes.
#ifndef QLIN_CLI_NPY_HPP_
#define QLIN_CLI_NPY_HPP_

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace qlin_cli {
namespace npy {

/// The element types this reader knows.
enum class dtype : unsigned char { f4, i1, u1, i2, i4 };

/// The descriptor the writer uses ('<f4', '|i1', ...).
constexpr const char* descr(dtype t) noexcept {
  return t == dtype::f4 ? "<f4" : t == dtype::i1 ? "|i1" : t == dtype::u1 ? "|u1" : t == dtype::i2 ? "<i2" : "<i4";
}

/// NumPy's name of the type: "float32", "int8", ...
constexpr const char* type_name(dtype t) noexcept {
  return t == dtype::f4 ? "float32" : t == dtype::i1 ? "int8" : t == dtype::u1 ? "uint8" : t == dtype::i2 ? "int16" : "int32";
}

constexpr std::size_t itemsize(dtype t) noexcept {
  return t == dtype::f4 || t == dtype::i4 ? 4 : t == dtype::i2 ? 2 : 1;
}

/// The dtype whose elements are T.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr dtype value = dtype::f4; };
template <> struct dtype_of<std::int8_t> { static constexpr dtype value = dtype::i1; };
template <> struct dtype_of<std::uint8_t> { static constexpr dtype value = dtype::u1; };
template <> struct dtype_of<std::int16_t> { static constexpr dtype value = dtype::i2; };
template <> struct dtype_of<std::int32_t> { static constexpr dtype value = dtype::i4; };

/// Most dimensions accepted (NumPy 2 allows 64).
constexpr std::size_t max_dims = 64;

/// An n-dimensional array: its type, its shape (empty for a 0-d array of one element) and its
/// elements in C order as little-endian bytes.
struct array {
  dtype type = dtype::f4;
  std::vector<std::size_t> shape;
  std::vector<unsigned char> bytes;

  /// The number of elements (1 for a 0-d array). Arrays made by parse() never overflow here.
  std::size_t count() const noexcept {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    return n;
  }
};

/// Success, or a message saying what is wrong.
struct status {
  bool ok = true;
  std::string message;
  explicit operator bool() const noexcept { return ok; }
};

inline status failure(std::string message) {
  status s;
  s.ok = false;
  s.message = std::move(message);
  return s;
}

namespace detail {

// A cursor over the header text.
struct cursor {
  const char* p;
  const char* end;

  bool at_end() const noexcept { return p == end; }
  char peek() const noexcept { return p == end ? '\0' : *p; }
  void skip_space() noexcept {
    while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  bool eat(char c) noexcept {
    if (p != end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  bool eat_word(const char* w) noexcept {
    const std::size_t n = std::strlen(w);
    if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, w, n) != 0) return false;
    p += n;
    return true;
  }
};

// A Python string literal without escapes: '...' or "...", at most 32 characters.
inline bool parse_string(cursor& c, std::string& out) {
  const char quote = c.peek();
  if (quote != '\'' && quote != '"') return false;
  ++c.p;
  out.clear();
  while (!c.at_end() && *c.p != quote) {
    const unsigned char ch = static_cast<unsigned char>(*c.p);
    if (ch == '\\' || ch < 0x20 || ch > 0x7e || out.size() >= 32) return false;
    out.push_back(*c.p);
    ++c.p;
  }
  return c.eat(quote);
}

// A non-negative Python integer literal (an old 'L' suffix allowed), at most 2^62.
inline bool parse_dim(cursor& c, std::uint64_t& out) {
  if (c.peek() < '0' || c.peek() > '9') return false;
  if (c.peek() == '0' && c.p + 1 != c.end && c.p[1] >= '0' && c.p[1] <= '9') return false;  // no leading zeros
  std::uint64_t v = 0;
  while (c.peek() >= '0' && c.peek() <= '9') {
    const std::uint64_t digit = static_cast<std::uint64_t>(c.peek() - '0');
    if (v > ((std::uint64_t{1} << 62) - digit) / 10) return false;
    v = v * 10 + digit;
    ++c.p;
  }
  c.eat('L');
  out = v;
  return true;
}

// A Python tuple of dimensions: (), (3,), (3, 4), (3, 4,).
inline status parse_shape(cursor& c, std::vector<std::uint64_t>& dims) {
  dims.clear();
  if (!c.eat('(')) return failure("the shape must be a tuple of integers");
  c.skip_space();
  if (c.eat(')')) return status{};
  for (;;) {
    std::uint64_t d = 0;
    if (!parse_dim(c, d)) return failure("the shape must hold non-negative integers below 2^62");
    if (dims.size() >= max_dims) return failure("the shape has more than 64 dimensions");
    dims.push_back(d);
    c.skip_space();
    const bool comma = c.eat(',');
    c.skip_space();
    if (c.eat(')')) {
      if (dims.size() == 1 && !comma) return failure("the shape must be a tuple: (n,) for one dimension");
      return status{};
    }
    if (!comma) return failure("the shape must be a tuple of integers");
  }
}

inline status parse_descr(const std::string& s, dtype& out) {
  if (s == "<f4") {
    out = dtype::f4;
  } else if (s == "|i1" || s == "<i1") {
    out = dtype::i1;
  } else if (s == "|u1" || s == "<u1") {
    out = dtype::u1;
  } else if (s == "<i2") {
    out = dtype::i2;
  } else if (s == "<i4") {
    out = dtype::i4;
  } else if (!s.empty() && s[0] == '>') {
    return failure("big-endian data ('" + s + "') is not supported");
  } else if (!s.empty() && s.find('O') != std::string::npos) {
    return failure("object arrays ('" + s + "') are not supported");
  } else {
    return failure("unsupported dtype '" + s + "' (expected '<f4', '|i1', '|u1', '<i2' or '<i4')");
  }
  return status{};
}

template <class U>
inline U load_le(const unsigned char* p) noexcept {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | static_cast<U>(static_cast<U>(p[i]) << (8 * i)));
  return v;
}

template <class U>
inline void store_le(unsigned char* p, U v) noexcept {
  const std::uint32_t w = v;
  for (std::size_t i = 0; i < sizeof(U); ++i) p[i] = static_cast<unsigned char>((w >> (8 * i)) & 0xffu);
}

template <std::size_t N> struct uint_of;
template <> struct uint_of<1> { using type = std::uint8_t; };
template <> struct uint_of<2> { using type = std::uint16_t; };
template <> struct uint_of<4> { using type = std::uint32_t; };

}  // namespace detail

/// Parses the .npy file held in [data, data + size) into `out`.
inline status parse(const unsigned char* data, std::size_t size, array& out) {
  static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || data == nullptr || std::memcmp(data, magic, 6) != 0) {
    return failure("not a .npy file (missing the \\x93NUMPY magic string)");
  }
  const unsigned major = data[6];
  const unsigned minor = data[7];
  if (major != 1 || minor != 0) {
    return failure(".npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " is not supported (only 1.0)");
  }
  const std::size_t header_len = detail::load_le<std::uint16_t>(data + 8);
  if (header_len > size - 10) return failure("truncated .npy header");
  detail::cursor c{reinterpret_cast<const char*>(data + 10), reinterpret_cast<const char*>(data + 10 + header_len)};

  bool have_descr = false, have_order = false, have_shape = false;
  dtype type = dtype::f4;
  std::vector<std::uint64_t> dims;
  c.skip_space();
  if (!c.eat('{')) return failure("the .npy header is not a dict");
  for (;;) {
    c.skip_space();
    if (c.eat('}')) break;
    std::string key;
    if (!detail::parse_string(c, key)) return failure("the .npy header has a malformed key");
    c.skip_space();
    if (!c.eat(':')) return failure("the .npy header is not a dict");
    c.skip_space();
    if (key == "descr") {
      if (have_descr) return failure("the .npy header repeats 'descr'");
      std::string d;
      if (!detail::parse_string(c, d)) return failure("'descr' must be a simple type string (structured dtypes are not supported)");
      const status s = detail::parse_descr(d, type);
      if (!s) return s;
      have_descr = true;
    } else if (key == "fortran_order") {
      if (have_order) return failure("the .npy header repeats 'fortran_order'");
      if (c.eat_word("True")) return failure("Fortran-order arrays are not supported (C order only)");
      if (!c.eat_word("False")) return failure("'fortran_order' must be True or False");
      have_order = true;
    } else if (key == "shape") {
      if (have_shape) return failure("the .npy header repeats 'shape'");
      const status s = detail::parse_shape(c, dims);
      if (!s) return s;
      have_shape = true;
    } else {
      return failure("the .npy header has an unknown key '" + key + "'");
    }
    c.skip_space();
    if (c.eat('}')) break;
    if (!c.eat(',')) return failure("the .npy header is not a dict");
  }
  c.skip_space();
  if (!c.at_end()) return failure("the .npy header has text after its dict");
  if (!have_descr || !have_shape || !have_order) {
    return failure("the .npy header lacks 'descr', 'fortran_order' or 'shape'");
  }

  // Element and byte counts, refusing any overflow (also of the product of the non-zero
  // dimensions, so that no later loop over a sub-shape can run away).
  const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::size_t>::max()) / 8;
  std::uint64_t nonzero = 1;
  bool empty = false;
  for (std::uint64_t d : dims) {
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonzero > limit / d) return failure("the .npy shape is too large (its element count overflows)");
    nonzero *= d;
  }
  const std::uint64_t count = empty ? 0 : nonzero;
  const std::uint64_t nbytes = count * itemsize(type);
  const std::size_t available = size - 10 - header_len;
  if (nbytes > available) {
    return failure("truncated .npy data: the header promises " + std::to_string(nbytes) + " bytes, the file holds " +
                   std::to_string(available));
  }
  if (nbytes < available) {
    return failure("the .npy file has " + std::to_string(available - nbytes) + " bytes after the array data");
  }
  out.type = type;
  out.shape.assign(dims.begin(), dims.end());
  out.bytes.assign(data + 10 + header_len, data + size);
  return status{};
}

/// The elements of `a` as T. Precondition: a.type == dtype_of<T>::value.
template <class T>
inline std::vector<T> values(const array& a) {
  static_assert(std::is_arithmetic<T>::value, "values<T> decodes arithmetic types");
  using U = typename detail::uint_of<sizeof(T)>::type;
  const std::size_t n = a.bytes.size() / sizeof(T);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const U u = detail::load_le<U>(a.bytes.data() + i * sizeof(T));
    std::memcpy(&v[i], &u, sizeof(T));
  }
  return v;
}

/// An array of the n elements at v with the given shape (whose product must be n).
template <class T>
inline array make_array(const std::vector<std::size_t>& shape, const T* v, std::size_t n) {
  using U = typename detail::uint_of<sizeof(T)>::type;
  array a;
  a.type = dtype_of<T>::value;
  a.shape = shape;
  a.bytes.resize(n * sizeof(T));
  for (std::size_t i = 0; i < n; ++i) {
    U u = 0;
    std::memcpy(&u, &v[i], sizeof(T));
    detail::store_le<U>(a.bytes.data() + i * sizeof(T), u);
  }
  return a;
}

/// The bytes of a version 1.0 .npy file holding `a`.
inline std::vector<unsigned char> serialize(const array& a) {
  std::string header = "{'descr': '";
  header += descr(a.type);
  header += "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < a.shape.size(); ++i) {
    if (i > 0) header += ", ";
    header += std::to_string(a.shape[i]);
  }
  if (a.shape.size() == 1) header += ",";
  header += "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  // One allocation and plain copies (GCC 12 warns falsely about vector::insert here).
  std::vector<unsigned char> out(10 + header.size() + a.bytes.size());
  const unsigned char prefix[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::memcpy(out.data(), prefix, 8);
  out[8] = static_cast<unsigned char>(header.size() & 0xffu);
  out[9] = static_cast<unsigned char>((header.size() >> 8) & 0xffu);
  std::memcpy(out.data() + 10, header.data(), header.size());
  if (!a.bytes.empty()) std::memcpy(out.data() + 10 + header.size(), a.bytes.data(), a.bytes.size());
  return out;
}

/// Reads and parses the file at `path`.
inline status read_file(const char* path, array& out) {
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return failure(std::string("cannot open '") + path + "': " + std::strerror(errno));
  std::vector<unsigned char> buf;
  unsigned char chunk[65536];
  for (;;) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, f);
    buf.insert(buf.end(), chunk, chunk + got);
    if (got < sizeof chunk) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int saved = errno;
  std::fclose(f);
  if (failed) return failure(std::string("cannot read '") + path + "': " + std::strerror(saved));
  const status s = parse(buf.data(), buf.size(), out);
  if (!s) return failure(std::string("'") + path + "': " + s.message);
  return s;
}

/// Writes `a` to `path` (replacing it). On failure the partial file is removed.
inline status write_file(const char* path, const array& a) {
  const std::vector<unsigned char> bytes = serialize(a);
  std::FILE* f = std::fopen(path, "wb");
  if (f == nullptr) return failure(std::string("cannot create '") + path + "': " + std::strerror(errno));
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int saved = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    std::remove(path);
    return failure(std::string("cannot write '") + path + "': " + std::strerror(wrote ? errno : saved));
  }
  return status{};
}

}  // namespace npy
}  // namespace qlin_cli

#endif  // QLIN_CLI_NPY_HPP_
