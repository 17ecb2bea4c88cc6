// Tests for qlin/kernels/gemm_s8.hpp: every GEMM micro-kernel path this build can run (madd at each
// x86 width compiled in, AVX-512 VNNI, NEON, NEON sdot) and the dispatched qlin:: functions equal
// the scalar reference (qlin::reference::) bit for bit: all shapes 1..33 in each dimension, large
// shapes, full-range extremes (255 x -128, the vpmaddubsw trap), zero points at the ends, depths
// beyond one int32 chunk. Built for the default target (qlin_tests) and, by tests/CMakeLists.txt,
// again with -mavx2 -mfma and with AVX-512 (+ VNNI) flags.
#include <qlin/gemm.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "qlin_catch.hpp"

#if QLIN_SIMD
namespace {

using qlin::packed_weights_s8;
using qlin::kernels::gemm_path;

template <class T>
std::vector<T> rand_vec(std::size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  std::vector<T> v(n);
  for (auto& e : v) e = static_cast<T>(d(rng));
  return v;
}

packed_weights_s8 pack_w(const std::vector<std::int8_t>& w, std::size_t n, std::size_t k, const std::vector<std::int32_t>& zw) {
  auto p = qlin::pack_weights_s8(w.data(), n, k, zw.data());
  REQUIRE(p.has_value());
  return std::move(p).value();
}

template <class X>
std::vector<std::int32_t> reference_acc(const std::vector<X>& x, std::size_t m, std::size_t k, std::int32_t zx,
                                        const packed_weights_s8& w) {
  std::vector<std::int32_t> acc(m * w.rows(), 0x5a5a5a5a);
  if constexpr (std::is_same<X, std::int8_t>::value) {
    REQUIRE(qlin::reference::gemm_s8s8_s32(x.data(), m, k, zx, w, acc.data()));
  } else {
    REQUIRE(qlin::reference::gemm_u8s8_s32(x.data(), m, k, zx, w, acc.data()));
  }
  return acc;
}

// The archs whose kernels this binary contains: the kernel arch and, on x86, the lesser widths.
template <class F>
void for_each_arch(F&& f) {
  f(qlin::arch::kernel_arch{});
#if QLIN_GEMM_X86
  f(xsimd::sse2{});
#if QLIN_ARCH_AVX512BW && defined(__AVX2__)
  f(xsimd::avx2{});
#endif
#endif
}

constexpr gemm_path kPaths[] = {gemm_path::madd, gemm_path::vnni, gemm_path::neon, gemm_path::neon_dot};

// Every available (arch, path) == reference for one problem; returns the number of paths run.
template <class X>
int check_paths(const std::vector<X>& x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w) {
  const std::vector<std::int32_t> want = reference_acc(x, m, k, zx, w);
  int runs = 0;
  for_each_arch([&](auto a) {
    using A = decltype(a);
    for (gemm_path p : kPaths) {
      if (!qlin::kernels::gemm_path_available<A>(p)) continue;
      std::vector<std::int32_t> got(m * w.rows(), 0x3c3c3c3c);
      qlin::kernels::gemm_s32<X, A>(x.data(), m, k, zx, w, got.data(), p);
      INFO("arch " << A::name() << " path " << qlin::kernels::to_string(p) << " m=" << m << " n=" << w.rows()
                   << " k=" << k << " zx=" << zx);
      REQUIRE(got == want);
      ++runs;
    }
  });
  std::vector<std::int32_t> got(m * w.rows(), 0x3c3c3c3c);
  if constexpr (std::is_same<X, std::int8_t>::value) {
    REQUIRE(qlin::gemm_s8s8_s32(x.data(), m, k, zx, w, got.data()));
  } else {
    REQUIRE(qlin::gemm_u8s8_s32(x.data(), m, k, zx, w, got.data()));
  }
  REQUIRE(got == want);
  return runs;
}

}  // namespace

TEST_CASE("simd gemm: paths available", "[simd][gemm]") {
  std::string names;
  for (gemm_path p : kPaths) {
    if (qlin::kernels::gemm_path_available<qlin::arch::kernel_arch>(p)) names += std::string(qlin::kernels::to_string(p)) + " ";
  }
  INFO("arch " << qlin::arch::kernel_arch::name() << ", paths: " << names << "best: "
               << qlin::kernels::to_string(qlin::kernels::gemm_best_path<qlin::arch::kernel_arch>()));
  CHECK(!names.empty());
#if defined(QLIN_EXPECT_VNNI)  // set by the VNNI test build: the CPU must run the vnni path
  CHECK(qlin::kernels::gemm_best_path<qlin::arch::kernel_arch>() == gemm_path::vnni);
#endif
}

TEST_CASE("simd gemm: every shape 1..33 in each dimension", "[simd][gemm]") {
  std::mt19937 rng(101);
  const std::int32_t zs[] = {-128, -1, 0, 77, 127};
  const std::int32_t zu[] = {0, 1, 128, 200, 255};
  for (std::size_t n = 1; n <= 33; ++n)
    for (std::size_t k = 1; k <= 33; ++k) {
      const auto w = rand_vec<std::int8_t>(n * k, rng);
      std::vector<std::int32_t> zw(n);
      std::uniform_int_distribution<std::int32_t> dz(-128, 127);
      for (auto& z : zw) z = dz(rng);
      zw[0] = (n + k) % 2 ? -128 : 127;
      const packed_weights_s8 pw = pack_w(w, n, k, zw);
      // m over 1..33 for a third of the (n, k) pairs, a few m otherwise (the tile's row tails are 1..MR)
      const bool all_m = (n + k) % 3 == 0;
      for (std::size_t m = 1; m <= 33; m += all_m ? 1 : 7) {
        const auto xs = rand_vec<std::int8_t>(m * k, rng);
        const auto xu = rand_vec<std::uint8_t>(m * k, rng);
        check_paths(xs, m, k, zs[(m + n + k) % 5], pw);
        check_paths(xu, m, k, zu[(m + n + 2 * k) % 5], pw);
      }
    }
}

TEST_CASE("simd gemm: large shapes, gemv and full range", "[simd][gemm]") {
  std::mt19937 rng(103);
  struct shape {
    std::size_t m, n, k;
  };
  for (shape s : {shape{256, 256, 256}, shape{1, 4096, 300}, shape{1, 37, 4099}, shape{64, 100, 1027}, shape{67, 131, 259}}) {
    const auto w = rand_vec<std::int8_t>(s.n * s.k, rng);
    std::vector<std::int32_t> zw(s.n);
    for (std::size_t c = 0; c < s.n; ++c) zw[c] = c % 3 == 0 ? -128 : c % 3 == 1 ? 127 : 0;
    const packed_weights_s8 pw = pack_w(w, s.n, s.k, zw);
    CHECK(check_paths(rand_vec<std::int8_t>(s.m * s.k, rng), s.m, s.k, -128, pw) >= 1);
    CHECK(check_paths(rand_vec<std::uint8_t>(s.m * s.k, rng), s.m, s.k, 255, pw) >= 1);
  }
  // Extremes: every product 255 x -128 (a vpmaddubsw pair would saturate at -32768), -128 x -128, 127 x -128.
  const std::size_t m = 13, n = 35, k = 1031;
  for (int wv : {-128, 127}) {
    const std::vector<std::int8_t> w(n * k, static_cast<std::int8_t>(wv));
    for (std::int32_t zw : {-128, 0, 127}) {
      const packed_weights_s8 pw = pack_w(w, n, k, std::vector<std::int32_t>(n, zw));
      for (std::int32_t zx : {0, 255}) check_paths(std::vector<std::uint8_t>(m * k, 255), m, k, zx, pw);
      for (std::int32_t zx : {0, 255}) check_paths(std::vector<std::uint8_t>(m * k, 0), m, k, zx, pw);
      for (std::int32_t zx : {-128, 127}) check_paths(std::vector<std::int8_t>(m * k, -128), m, k, zx, pw);
      for (std::int32_t zx : {-128, 127}) check_paths(std::vector<std::int8_t>(m * k, 127), m, k, zx, pw);
    }
  }
  const std::vector<std::int8_t> w(n * k, -128);
  const packed_weights_s8 pw = pack_w(w, n, k, std::vector<std::int32_t>(n, 0));
  std::vector<std::int32_t> acc(m * n);
  const std::vector<std::uint8_t> x(m * k, 255);
  REQUIRE(qlin::gemm_u8s8_s32(x.data(), m, k, 0, pw, acc.data()));
  CHECK(acc[0] == 255 * -128 * static_cast<int>(k));
}

TEST_CASE("simd gemm: depth beyond one int32 chunk", "[simd][gemm]") {
  std::mt19937 rng(107);
  const std::size_t m = 5, n = 18;
  for (std::size_t k : {std::size_t{65536}, std::size_t{65537}, std::size_t{70001}, std::size_t{140003}}) {
    const auto w = rand_vec<std::int8_t>(n * k, rng);
    std::vector<std::int32_t> zw(n, 0);
    zw[1] = -128;
    zw[2] = 127;
    const packed_weights_s8 pw = pack_w(w, n, k, zw);
    check_paths(rand_vec<std::int8_t>(m * k, rng), m, k, 3, pw);
    check_paths(rand_vec<std::uint8_t>(m * k, rng), m, k, 128, pw);
    // saturating and near-saturating extremes
    const packed_weights_s8 pe = pack_w(std::vector<std::int8_t>(n * k, -128), n, k, zw);
    check_paths(std::vector<std::uint8_t>(m * k, 255), m, k, 0, pe);
    check_paths(std::vector<std::uint8_t>(m * k, 255), m, k, 128, pe);
    check_paths(std::vector<std::int8_t>(m * k, -128), m, k, 0, pe);
    check_paths(std::vector<std::int8_t>(m * k, -128), m, k, 127, pe);
  }
}

TEST_CASE("simd gemm: dot_s8s8_s32", "[simd][gemm]") {
  std::mt19937 rng(109);
  for (std::size_t k = 0; k <= 200; ++k) {
    const auto a = rand_vec<std::int8_t>(k, rng), b = rand_vec<std::int8_t>(k, rng);
    REQUIRE(qlin::dot_s8s8_s32(a.data(), b.data(), k) == qlin::reference::dot_s8s8_s32(a.data(), b.data(), k));
  }
  for (std::size_t k : {std::size_t{65535}, std::size_t{65536}, std::size_t{65551}, std::size_t{131071},
                        std::size_t{131072}, std::size_t{262147}}) {
    const auto a = rand_vec<std::int8_t>(k, rng), b = rand_vec<std::int8_t>(k, rng);
    REQUIRE(qlin::dot_s8s8_s32(a.data(), b.data(), k) == qlin::reference::dot_s8s8_s32(a.data(), b.data(), k));
    const std::vector<std::int8_t> lo(k, -128), hi(k, 127);
    REQUIRE(qlin::dot_s8s8_s32(lo.data(), lo.data(), k) == qlin::reference::dot_s8s8_s32(lo.data(), lo.data(), k));
    REQUIRE(qlin::dot_s8s8_s32(lo.data(), hi.data(), k) == qlin::reference::dot_s8s8_s32(lo.data(), hi.data(), k));
  }
}
#endif  // QLIN_SIMD
