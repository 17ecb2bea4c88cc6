// Tests for qlin/result.hpp and qlin/dtype.hpp.
#include <qlin/dtype.hpp>
#include <qlin/result.hpp>

#include "qlin_catch.hpp"

TEST_CASE("result holds a value or an error", "[result]") {
  qlin::result<int> v = 42;
  REQUIRE(v.has_value());
  REQUIRE(*v == 42);
  REQUIRE(v.code() == qlin::errc::ok);
  qlin::result<int> e = qlin::fail(qlin::errc::invalid_scale, "bad scale");
  REQUIRE_FALSE(e);
  REQUIRE(e.code() == qlin::errc::invalid_scale);
  REQUIRE(std::string(e.error().message) == "bad scale");
  REQUIRE(e.value_or(7) == 7);
}

TEST_CASE("make_qrange: full, narrow, reduce_range and custom ranges", "[dtype]") {
  using qlin::dtype;
  using qlin::qrange;
  REQUIRE(*qlin::make_qrange(dtype::int8) == qrange{-128, 127});
  REQUIRE(*qlin::make_qrange(dtype::uint8) == qrange{0, 255});
  REQUIRE(*qlin::make_qrange(dtype::int16) == qrange{-32768, 32767});
  REQUIRE(*qlin::make_qrange(dtype::int4) == qrange{-8, 7});
  REQUIRE(*qlin::make_qrange(dtype::uint4) == qrange{0, 15});
  qlin::range_options narrow;
  narrow.narrow = true;
  REQUIRE(*qlin::make_qrange(dtype::int8, narrow) == qrange{-127, 127});
  REQUIRE(*qlin::make_qrange(dtype::uint8, narrow) == qrange{1, 255});
  qlin::range_options reduce;
  reduce.reduce_range = true;
  REQUIRE(*qlin::make_qrange(dtype::int8, reduce) == qrange{-64, 63});
  REQUIRE(*qlin::make_qrange(dtype::uint8, reduce) == qrange{0, 127});
  // PyTorch floor-divides custom ranges too: -8..7 -> -4..3, 0..15 -> 0..7.
  qlin::range_options custom;
  custom.custom = true;
  custom.quant_min = -8;
  custom.quant_max = 7;
  custom.reduce_range = true;
  REQUIRE(*qlin::make_qrange(dtype::int8, custom) == qrange{-4, 3});
  custom.quant_min = -127;
  custom.quant_max = 127;
  REQUIRE(*qlin::make_qrange(dtype::int8, custom) == qrange{-64, 63});
}

TEST_CASE("make_qrange refuses bad custom ranges", "[dtype][errors]") {
  qlin::range_options bad;
  bad.custom = true;
  bad.quant_min = 5;
  bad.quant_max = 5;
  REQUIRE(qlin::make_qrange(qlin::dtype::int8, bad).code() == qlin::errc::invalid_range);
  bad.quant_min = -129;
  bad.quant_max = 127;
  REQUIRE(qlin::make_qrange(qlin::dtype::int8, bad).code() == qlin::errc::invalid_range);
  bad.quant_min = 0;
  bad.quant_max = 16;
  REQUIRE(qlin::make_qrange(qlin::dtype::uint4, bad).code() == qlin::errc::invalid_range);
  REQUIRE(qlin::parse_dtype("int7").code() == qlin::errc::invalid_argument);
  REQUIRE(*qlin::parse_dtype("uint4") == qlin::dtype::uint4);
}
