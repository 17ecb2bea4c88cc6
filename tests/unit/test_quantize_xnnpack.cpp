// qlin::quantize with quantize_method::of(compat::xnnpack) and qlin::dequantize against the real
// XNNPACK convert operators (Debian libxnnpack0), rows in tests/data/xnnpack_convert.txt written by
// tests/data/gen_xnnpack.c. NaN is not in the data: XNNPACK maps it to output_max, qlin to the zero
// point (DESIGN.md section 2); that rule is tested in test_quantize.cpp.
#include <qlin/quantize.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

#include "qlin_catch.hpp"
#include "test_data.hpp"

using namespace qlin_test;

namespace {

template <class T>
std::int32_t quantize_xnnpack(float x, float scale, std::int32_t zp, std::int32_t qmin, std::int32_t qmax) {
  const auto p = qlin::make_quant_params(scale, zp, {qmin, qmax});
  REQUIRE(p.has_value());
  T q = 0;
  qlin::quantize(&x, 1, &q, *p, qlin::quantize_method::of(qlin::compat::xnnpack));
  return q;
}

template <class T>
float dequantize_one(std::int32_t q, float scale, std::int32_t zp) {
  const qlin::quant_params p{scale, zp, std::is_signed<T>::value ? -128 : 0, std::is_signed<T>::value ? 127 : 255};
  const T v = static_cast<T>(q);
  float r = 0.0f;
  qlin::dequantize(&v, 1, &r, p);
  return r;
}

}  // namespace

TEST_CASE("quantize (xnnpack method) and dequantize equal XNNPACK's convert operators", "[quantize][xnnpack]") {
  const auto rows = read_rows("xnnpack_convert.txt");
  REQUIRE(rows.size() > 8000);
  std::size_t quantized = 0, dequantized = 0, mismatches = 0;
  for (const row& r : rows) {
    const std::string& op = r[0];
    const float scale = f32_from_hex(r[1]);
    const std::int32_t zp = to_i32(r[2]);
    if (op == "f32_qs8" || op == "f32_qu8") {
      REQUIRE(r.size() == 7);
      const std::int32_t qmin = to_i32(r[3]), qmax = to_i32(r[4]);
      const float x = f32_from_hex(r[5]);
      const std::int32_t want = to_i32(r[6]);
      const std::int32_t got = op == "f32_qs8" ? quantize_xnnpack<std::int8_t>(x, scale, zp, qmin, qmax)
                                               : quantize_xnnpack<std::uint8_t>(x, scale, zp, qmin, qmax);
      if (got != want) {
        ++mismatches;
        UNSCOPED_INFO(op << " scale " << r[1] << " zp " << zp << " x " << r[5] << ": qlin " << got << ", XNNPACK " << want);
      }
      ++quantized;
    } else {
      REQUIRE(r.size() == 5);
      const std::int32_t q = to_i32(r[3]);
      const std::uint32_t want = static_cast<std::uint32_t>(std::stoul(r[4], nullptr, 16));
      const float got = op == "qs8_f32" ? dequantize_one<std::int8_t>(q, scale, zp) : dequantize_one<std::uint8_t>(q, scale, zp);
      if (f32_bits(got) != want) {
        ++mismatches;
        UNSCOPED_INFO(op << " scale " << r[1] << " zp " << zp << " q " << q << ": qlin " << f32_bits(got) << ", XNNPACK " << want);
      }
      ++dequantized;
    }
  }
  CHECK(quantized >= 4800);
  CHECK(dequantized >= 4096);
  CHECK(mismatches == 0);
}
