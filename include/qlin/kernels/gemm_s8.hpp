// kernels/gemm_s8.hpp: int8 GEMM micro-kernels (x86 vpmaddwd / AVX-512 VNNI vpdpbusd, NEON vmull+vpadal /
// sdot), equal to qlin::reference::gemm_*_s32 bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Every path computes the raw dot sum_k xe[i][k] * w[c][k] of an "effective" input xe = x + d, with
// d chosen so that xe has the type the instruction wants, and corrects with ze = zx + d:
//
//   sum_k (x - zx)(w - zw) = sum_k (xe - ze)(w - zw)
//                          = sum xe*w - zw * sum_k xe - ze * rowsum + k * ze * zw       (int64, then saturate)
//
//   path        instruction                      xe                          exact because
//   madd        vpmaddwd / pmaddwd (SSE2, AVX2,  int16(x)                    int16 x int16 -> int32 pairs:
//               AVX-512BW; vpdpwssd with VNNI)                               |2 * 128 * 255| << 2^31
//   vnni        vpdpbusd (AVX-512 VNNI)          uint8: x (u8), x + 128 (s8) 4 products u8 x s8 summed in
//                                                                            int32 (no 16-bit step)
//   neon        vmull_s8 + vpadalq_s16 (AArch64) int8: x (s8), x - 128 (u8)  one s8 x s8 product in int16
//                                                                            (16384), pairs added in int32
//   neon_dot    sdot (__ARM_FEATURE_DOTPROD)     int8, as neon               4 products summed in int32
//
// NOT used: vpmaddubsw (u8 x s8 -> int16 pairs, SATURATING). 255 * -128 * 2 = -65280 < -32768, so a
// pair of full-range products saturates to -32768 and the dot is silently wrong; it is safe only
// when the ranges keep |a0*b0 + a1*b1| <= 32767 (e.g. 7-bit weights, as XNNPACK's and oneDNN's
// u8 kernels assume). docs/gemm.md has the numbers; tests/unit/test_simd_gemm.cpp runs 255 x -128.
//
// Overflow: the int32 lanes hold partial sums of at most kc <= 65536 products, below max_safe_depth
// of every path (u8 x s8: 65793), and a partial sum of products of a box lies in the same bounds as
// the whole; depth chunks are added in int64. Beyond one chunk the driver keeps an int64 buffer.
//
// Dispatch: compile time on the xsimd arch A (sse2 / sse4.x: 128-bit madd; avx2: 256-bit madd;
// avx512bw: 512-bit madd, or vnni when __AVX512VNNI__ is defined; neon64: neon / neon_dot). An
// avx512bw build without -mavx512vnni also compiles the vnni kernel with
// __attribute__((target("avx512vnni"))) and runs it when __builtin_cpu_supports("avx512vnni")
// (define QLIN_GEMM_NO_RUNTIME_VNNI to turn that off). gemm_path::best picks the fastest available.
//
// Included from qlin/gemm.hpp (which it includes first, before its own guard, so that either header
// may be included first).
#include "../gemm.hpp"

#ifndef QLIN_KERNELS_GEMM_S8_HPP_
#define QLIN_KERNELS_GEMM_S8_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../arch/xsimd.hpp"
#include "../quantize.hpp"  // kernels/requantize.hpp uses qlin::detail::range_fits from it
#include "requantize.hpp"

#if QLIN_SIMD
#if defined(__SSE2__) || defined(_M_X64)
#define QLIN_GEMM_X86 1
#include <immintrin.h>
#else
#define QLIN_GEMM_X86 0
#endif
#if defined(__aarch64__) && XSIMD_WITH_NEON64
#define QLIN_GEMM_NEON64 1
#include <arm_neon.h>
#else
#define QLIN_GEMM_NEON64 0
#endif

// The VNNI kernel: 2 = the target has AVX-512 VNNI; 1 = compiled with a target attribute, run after
// a runtime check; 0 = not available.
#if QLIN_GEMM_X86 && QLIN_ARCH_AVX512BW && defined(__AVX512VNNI__)
#define QLIN_GEMM_VNNI 2
#define QLIN_GEMM_VNNI_TARGET
#elif QLIN_GEMM_X86 && QLIN_ARCH_AVX512BW && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(QLIN_GEMM_NO_RUNTIME_VNNI)
#define QLIN_GEMM_VNNI 1
#define QLIN_GEMM_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#else
#define QLIN_GEMM_VNNI 0
#endif

// The inline namespace of the GEMM kernels and of qlin/gemm.hpp's dispatched functions: the target's
// (QLIN_SIMD_NAMESPACE), plus "_vnni" when VNNI is compiled in natively, so that translation units
// built with different -m flags (a runtime-dispatched program) never share a template instantiation
// whose body uses instructions the other target lacks (e.g. gemm_s32<int8_t, xsimd::sse2> uses
// pmovsxbw in an SSE4.1 TU and punpck + psraw in an SSE2 TU).
#define QLIN_GEMM_CAT2(a, b) a##_##b
#define QLIN_GEMM_CAT(a, b) QLIN_GEMM_CAT2(a, b)
#if QLIN_GEMM_VNNI == 2
#define QLIN_GEMM_NAMESPACE QLIN_GEMM_CAT(QLIN_SIMD_NAMESPACE, vnni)
#else
#define QLIN_GEMM_NAMESPACE QLIN_SIMD_NAMESPACE
#endif

// The tiles' loops over rows, registers and panels have compile-time trip counts and must be fully
// unrolled so that the accumulators live in registers (GCC -O2 does not do it by itself).
#if defined(__GNUC__) || defined(__clang__)
#define QLIN_GEMM_UNROLL _Pragma("GCC unroll 64")
#else
#define QLIN_GEMM_UNROLL
#endif

namespace qlin {
namespace kernels {
inline namespace QLIN_GEMM_NAMESPACE {

/// Which micro-kernel computes the raw dot; see the table at the top.
enum class gemm_path : unsigned char { best, reference, madd, vnni, neon, neon_dot };

constexpr const char* to_string(gemm_path p) noexcept {
  return p == gemm_path::best        ? "best"
         : p == gemm_path::reference ? "reference"
         : p == gemm_path::madd      ? "madd"
         : p == gemm_path::vnni      ? "vnni"
         : p == gemm_path::neon      ? "neon"
                                     : "neon_dot";
}

namespace gemm_detail {

constexpr std::size_t nr = packed_weights_s8::panel_width;  // 16 channels per panel
constexpr std::size_t kc_max = 65536;                       // depth chunk: <= every path's safe depth
static_assert(kc_max <= qlin::detail::gemm_safe_depth<std::uint8_t>() && kc_max % 4 == 0, "depth chunk");

#if QLIN_GEMM_VNNI == 1
inline bool cpu_has_vnni() noexcept {
  static const bool has = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
  return has;
}
#endif

// ---------------------------------------------------------------------------------------------
// x86 vpmaddwd kernels, one body for three widths.
#if QLIN_GEMM_X86
struct madd128 {  // SSE2: 2 channels x 4 depths per register
  using reg = __m128i;
  static constexpr std::size_t cols = 2, lanes = 4, gp = 2, mr = 4;
  static reg zero() noexcept { return _mm_setzero_si128(); }
  static reg load_s8_as_s16(const std::int8_t* p) noexcept {  // 8 bytes
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
#if defined(__SSE4_1__)
    return _mm_cvtepi8_epi16(v);
#else
    return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
#endif
  }
  static reg bcast_x(const std::int16_t* p) noexcept {  // x[0..3] in each 64-bit half
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    return _mm_unpacklo_epi64(v, v);
  }
  static reg madd_add(reg acc, reg x, reg w) noexcept { return _mm_add_epi32(acc, _mm_madd_epi16(x, w)); }
  static void store(std::int32_t* p, reg v) noexcept { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
};
#if defined(__AVX2__)
struct madd256 {  // AVX2: 4 channels x 4 depths per register
  using reg = __m256i;
  static constexpr std::size_t cols = 4, lanes = 8, gp = 2, mr = 6;
  static reg zero() noexcept { return _mm256_setzero_si256(); }
  static reg load_s8_as_s16(const std::int8_t* p) noexcept {  // 16 bytes
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static reg bcast_x(const std::int16_t* p) noexcept {
    long long v;
    std::memcpy(&v, p, sizeof v);
    return _mm256_set1_epi64x(v);
  }
  static reg madd_add(reg acc, reg x, reg w) noexcept { return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w)); }
  static void store(std::int32_t* p, reg v) noexcept { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
};
#endif
#if QLIN_ARCH_AVX512BW
struct madd512 {  // AVX-512BW: 8 channels x 4 depths per register
  using reg = __m512i;
  static constexpr std::size_t cols = 8, lanes = 16, gp = 2, mr = 8;
  static reg zero() noexcept { return _mm512_setzero_si512(); }
  static reg load_s8_as_s16(const std::int8_t* p) noexcept {  // 32 bytes
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static reg bcast_x(const std::int16_t* p) noexcept {
    long long v;
    std::memcpy(&v, p, sizeof v);
    return _mm512_set1_epi64(v);
  }
  static reg madd_add(reg acc, reg x, reg w) noexcept {
#if defined(__AVX512VNNI__)
    return _mm512_dpwssd_epi32(acc, x, w);  // vpdpwssd: the same sum, fused, no saturation
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(x, w));
#endif
  }
  static void store(std::int32_t* p, reg v) noexcept { _mm512_storeu_si512(p, v); }
};
#endif

// out[r][0..15] = sum_{kk < kc} x[r][kk] * panel[.][kk] for MR rows (x: int16, row stride xs, kc a
// multiple of 4; w points at the panel's block of the chunk's first depth). The 16 channels are done
// in passes of V::gp registers (gp * cols channels), so that MR * gp accumulators, gp weights and
// one broadcast input fit in the register file; x stays in L1 between passes. With one or two rows
// (GEMV) a pass covers the whole panel, which is then read once.
template <class V, std::size_t MR>
inline void madd_tile(const std::int16_t* x, std::size_t xs, std::size_t kc, const std::int8_t* w,
                      std::int32_t* out) noexcept {
  constexpr std::size_t G = nr / V::cols;  // registers per 16 channels
  // registers per pass: the whole panel in one pass when the rows are few (GEMV: the panel is
  // streamed once), else V::gp
  constexpr std::size_t GP = MR * G <= 8 && G <= 4 ? G : V::gp;
  static_assert(G % GP == 0, "passes must cover the panel");
  alignas(64) std::int32_t tmp[V::lanes];
  for (std::size_t g0 = 0; g0 < G; g0 += GP) {
    typename V::reg acc[MR][GP];
    QLIN_GEMM_UNROLL
    for (std::size_t r = 0; r < MR; ++r) {
      QLIN_GEMM_UNROLL
      for (std::size_t g = 0; g < GP; ++g) acc[r][g] = V::zero();
    }
    const std::int8_t* wg = w + g0 * V::cols * 4;
    for (std::size_t kb = 0; kb < kc; kb += 4) {
      const std::int8_t* wb = wg + kb * nr;
      typename V::reg wv[GP];
      QLIN_GEMM_UNROLL
      for (std::size_t g = 0; g < GP; ++g) wv[g] = V::load_s8_as_s16(wb + g * V::cols * 4);
      QLIN_GEMM_UNROLL
      for (std::size_t r = 0; r < MR; ++r) {
        const typename V::reg xv = V::bcast_x(x + r * xs + kb);
        QLIN_GEMM_UNROLL
        for (std::size_t g = 0; g < GP; ++g) acc[r][g] = V::madd_add(acc[r][g], xv, wv[g]);
      }
    }
    // Lanes hold (depth 0-1, depth 2-3) pairs of each channel: add them.
    QLIN_GEMM_UNROLL
    for (std::size_t r = 0; r < MR; ++r) {
      QLIN_GEMM_UNROLL
      for (std::size_t g = 0; g < GP; ++g) {
        V::store(tmp, acc[r][g]);
        QLIN_GEMM_UNROLL
        for (std::size_t c = 0; c < V::cols; ++c) out[r * nr + (g0 + g) * V::cols + c] = tmp[2 * c] + tmp[2 * c + 1];
      }
    }
  }
}
#endif  // QLIN_GEMM_X86

// ---------------------------------------------------------------------------------------------
// AVX-512 VNNI: vpdpbusd, 16 channels per register, x as uint8 broadcast 4 bytes at a time. P panels
// (P * 16 channels, panel stride ws bytes) per tile; with few rows, U independent accumulator sets
// over alternating depth blocks hide vpdpbusd's latency (the GEMV case: one row).
#if QLIN_GEMM_VNNI
template <std::size_t MR, std::size_t P>
QLIN_GEMM_VNNI_TARGET inline void vnni_tile(const std::uint8_t* x, std::size_t xs, std::size_t kc, const std::int8_t* w,
                                            std::size_t ws, std::int32_t* out) noexcept {
  constexpr std::size_t U = MR * P >= 8 ? 1 : MR * P >= 4 ? 2 : 4;
  __m512i acc[U][MR][P];
  QLIN_GEMM_UNROLL
  for (std::size_t u = 0; u < U; ++u) {
    QLIN_GEMM_UNROLL
    for (std::size_t r = 0; r < MR; ++r) {
      QLIN_GEMM_UNROLL
      for (std::size_t p = 0; p < P; ++p) acc[u][r][p] = _mm512_setzero_si512();
    }
  }
  std::size_t kb = 0;
  for (; kb + 4 * U <= kc; kb += 4 * U) {
    QLIN_GEMM_UNROLL
    for (std::size_t u = 0; u < U; ++u) {
      __m512i wv[P];
      QLIN_GEMM_UNROLL
      for (std::size_t p = 0; p < P; ++p) wv[p] = _mm512_loadu_si512(w + p * ws + (kb + 4 * u) * nr);
      QLIN_GEMM_UNROLL
      for (std::size_t r = 0; r < MR; ++r) {
        std::int32_t x4;
        std::memcpy(&x4, x + r * xs + kb + 4 * u, sizeof x4);
        const __m512i xv = _mm512_set1_epi32(x4);
        QLIN_GEMM_UNROLL
        for (std::size_t p = 0; p < P; ++p) acc[u][r][p] = _mm512_dpbusd_epi32(acc[u][r][p], xv, wv[p]);
      }
    }
  }
  for (; kb < kc; kb += 4) {
    __m512i wv[P];
    QLIN_GEMM_UNROLL
    for (std::size_t p = 0; p < P; ++p) wv[p] = _mm512_loadu_si512(w + p * ws + kb * nr);
    QLIN_GEMM_UNROLL
    for (std::size_t r = 0; r < MR; ++r) {
      std::int32_t x4;
      std::memcpy(&x4, x + r * xs + kb, sizeof x4);
      const __m512i xv = _mm512_set1_epi32(x4);
      QLIN_GEMM_UNROLL
      for (std::size_t p = 0; p < P; ++p) acc[0][r][p] = _mm512_dpbusd_epi32(acc[0][r][p], xv, wv[p]);
    }
  }
  QLIN_GEMM_UNROLL
  for (std::size_t r = 0; r < MR; ++r) {
    QLIN_GEMM_UNROLL
    for (std::size_t p = 0; p < P; ++p) {
      __m512i a = acc[0][r][p];
      QLIN_GEMM_UNROLL
      for (std::size_t u = 1; u < U; ++u) a = _mm512_add_epi32(a, acc[u][r][p]);  // lanes: <= kc products
      _mm512_storeu_si512(out + (r * P + p) * nr, a);
    }
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// AArch64 NEON.
#if QLIN_GEMM_NEON64
inline int8x16_t neon_bcast_x(const std::int8_t* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, sizeof v);
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

// vmull_s8 (one product per int16: |p| <= 16384) + vpadalq_s16 (pairs into int32).
template <std::size_t MR>
inline void neon_tile(const std::int8_t* x, std::size_t xs, std::size_t kc, const std::int8_t* w,
                      std::int32_t* out) noexcept {
  int32x4_t lo[MR][4], hi[MR][4];
  QLIN_GEMM_UNROLL
  for (std::size_t r = 0; r < MR; ++r) {
    QLIN_GEMM_UNROLL
    for (std::size_t g = 0; g < 4; ++g) lo[r][g] = hi[r][g] = vdupq_n_s32(0);
  }
  for (std::size_t kb = 0; kb < kc; kb += 4) {
    const std::int8_t* wb = w + kb * nr;
    int8x16_t xv[MR];
    QLIN_GEMM_UNROLL
    for (std::size_t r = 0; r < MR; ++r) xv[r] = neon_bcast_x(x + r * xs + kb);
    QLIN_GEMM_UNROLL
    for (std::size_t g = 0; g < 4; ++g) {
      const int8x16_t wv = vld1q_s8(wb + 16 * g);
      QLIN_GEMM_UNROLL
      for (std::size_t r = 0; r < MR; ++r) {
        lo[r][g] = vpadalq_s16(lo[r][g], vmull_s8(vget_low_s8(wv), vget_low_s8(xv[r])));
        hi[r][g] = vpadalq_s16(hi[r][g], vmull_high_s8(wv, xv[r]));
      }
    }
  }
  QLIN_GEMM_UNROLL
  for (std::size_t r = 0; r < MR; ++r) {
    QLIN_GEMM_UNROLL
    for (std::size_t g = 0; g < 4; ++g) vst1q_s32(out + r * 16 + 4 * g, vpaddq_s32(lo[r][g], hi[r][g]));
  }
}

#if defined(__ARM_FEATURE_DOTPROD)
template <std::size_t MR>
inline void neon_dot_tile(const std::int8_t* x, std::size_t xs, std::size_t kc, const std::int8_t* w,
                          std::int32_t* out) noexcept {
  int32x4_t acc[MR][4];
  QLIN_GEMM_UNROLL
  for (std::size_t r = 0; r < MR; ++r) {
    QLIN_GEMM_UNROLL
    for (std::size_t g = 0; g < 4; ++g) acc[r][g] = vdupq_n_s32(0);
  }
  for (std::size_t kb = 0; kb < kc; kb += 4) {
    const std::int8_t* wb = w + kb * nr;
    int8x16_t xv[MR];
    QLIN_GEMM_UNROLL
    for (std::size_t r = 0; r < MR; ++r) xv[r] = neon_bcast_x(x + r * xs + kb);
    QLIN_GEMM_UNROLL
    for (std::size_t g = 0; g < 4; ++g) {
      const int8x16_t wv = vld1q_s8(wb + 16 * g);
      QLIN_GEMM_UNROLL
      for (std::size_t r = 0; r < MR; ++r) acc[r][g] = vdotq_s32(acc[r][g], wv, xv[r]);
    }
  }
  QLIN_GEMM_UNROLL
  for (std::size_t r = 0; r < MR; ++r) {
    QLIN_GEMM_UNROLL
    for (std::size_t g = 0; g < 4; ++g) vst1q_s32(out + r * 16 + 4 * g, acc[r][g]);
  }
}
#endif
#endif  // QLIN_GEMM_NEON64

// ---------------------------------------------------------------------------------------------
// Kernel policies: the effective input type, its offset d (xe = x + d), the rows per tile (mr), the
// panels per tile (np) and the tile: out[r][0 .. P*16) with row stride P*16, P in {1, np}.
template <class V>
struct madd_kernel {
  using xe_type = std::int16_t;
  static constexpr std::size_t mr = V::mr, np = 1;
  template <class X>
  static constexpr std::int32_t offset() noexcept { return 0; }
  template <std::size_t MR, std::size_t P>
  static void tile(const xe_type* x, std::size_t xs, std::size_t kc, const std::int8_t* w, std::size_t ws,
                   std::int32_t* out) noexcept {
    static_assert(P == 1, "one panel per tile");
    (void)ws;
#if QLIN_GEMM_X86
    madd_tile<V, MR>(x, xs, kc, w, out);
#else
    (void)x, (void)xs, (void)kc, (void)w, (void)out;
#endif
  }
};
#if QLIN_GEMM_VNNI
struct vnni_kernel {
  using xe_type = std::uint8_t;
  static constexpr std::size_t mr = 8, np = 2;
  template <class X>
  static constexpr std::int32_t offset() noexcept { return std::is_same<X, std::int8_t>::value ? 128 : 0; }
  template <std::size_t MR, std::size_t P>
  static void tile(const xe_type* x, std::size_t xs, std::size_t kc, const std::int8_t* w, std::size_t ws,
                   std::int32_t* out) noexcept {
    vnni_tile<MR, P>(x, xs, kc, w, ws, out);
  }
};
#endif
#if QLIN_GEMM_NEON64
struct neon_kernel {
  using xe_type = std::int8_t;
  static constexpr std::size_t mr = 3, np = 1;
  template <class X>
  static constexpr std::int32_t offset() noexcept { return std::is_same<X, std::uint8_t>::value ? -128 : 0; }
  template <std::size_t MR, std::size_t P>
  static void tile(const xe_type* x, std::size_t xs, std::size_t kc, const std::int8_t* w, std::size_t ws,
                   std::int32_t* out) noexcept {
    static_assert(P == 1, "one panel per tile");
    (void)ws;
    neon_tile<MR>(x, xs, kc, w, out);
  }
};
#if defined(__ARM_FEATURE_DOTPROD)
struct neon_dot_kernel : neon_kernel {
  static constexpr std::size_t mr = 4, np = 1;
  template <std::size_t MR, std::size_t P>
  static void tile(const xe_type* x, std::size_t xs, std::size_t kc, const std::int8_t* w, std::size_t ws,
                   std::int32_t* out) noexcept {
    static_assert(P == 1, "one panel per tile");
    (void)ws;
    neon_dot_tile<MR>(x, xs, kc, w, out);
  }
};
#endif
#endif

// rows (1..MR) and panels (1 or np) chosen at run time, dispatched to the compile-time tile.
template <class K, std::size_t MR>
inline void tile_rows(std::size_t rows, std::size_t panels, const typename K::xe_type* x, std::size_t xs, std::size_t kc,
                      const std::int8_t* w, std::size_t ws, std::int32_t* out) noexcept {
  if constexpr (MR > 1) {
    if (rows < MR) return tile_rows<K, MR - 1>(rows, panels, x, xs, kc, w, ws, out);
  }
  if (panels == K::np) return K::template tile<MR, K::np>(x, xs, kc, w, ws, out);
  if constexpr (K::np != 1) K::template tile<MR, 1>(x, xs, kc, w, ws, out);
}

// The driver: pack x into xe (rows padded to kp with zeros), then panel groups x depth chunks x row
// tiles; each tile's int32 dots are corrected and saturated on store (one chunk) or summed in int64.
template <class K, class X>
inline void gemm_driver(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                        std::int32_t* acc) {
  using xe_t = typename K::xe_type;
  const std::size_t n = w.rows();
  const std::size_t kp = w.padded_depth();
  constexpr std::int32_t d = K::template offset<X>();
  const std::int64_t ze = std::int64_t{zx} + d;
  std::vector<xe_t> xe(m * kp);
  std::vector<std::int64_t> sum_x(m);
  for (std::size_t i = 0; i < m; ++i) {
    const X* xi = x + i * k;
    xe_t* dst = xe.data() + i * kp;
    std::int64_t s = 0;
    for (std::size_t kk = 0; kk < k; ++kk) {
      const auto v = static_cast<xe_t>(std::int32_t{xi[kk]} + d);
      dst[kk] = v;
      s += v;
    }
    for (std::size_t kk = k; kk < kp; ++kk) dst[kk] = 0;
    sum_x[i] = s;
  }
  const bool one_chunk = kp <= kc_max;
  std::vector<std::int64_t> big(one_chunk ? 0 : m * n, 0);
  const auto kk64 = static_cast<std::int64_t>(k);
  // The correction split into a per-channel part (- ze * Sw[c] + k * ze * zw[c]) and, only when some
  // zw[c] != 0, a per-row part (- zw[c] * Sx[i]); equal to qlin::detail::gemm_correct.
  std::vector<std::int64_t> col_term(n);
  for (std::size_t c = 0; c < n; ++c) col_term[c] = -ze * w.row_sum(c) + kk64 * ze * w.zero_point(c);
  const bool row_terms = w.has_zero_points();
  const std::int32_t* zw = w.zero_points();
  const std::size_t ws = nr * kp;  // bytes per panel
  alignas(64) std::int32_t tile[K::mr * K::np * nr];
  const std::size_t panels = w.panels();
  for (std::size_t p = 0; p < panels;) {
    const std::size_t pp = panels - p >= K::np ? K::np : 1;
    const std::size_t c0 = p * nr;
    const std::size_t width = pp * nr;
    const std::size_t cols = n - c0 < width ? n - c0 : width;
    for (std::size_t k0 = 0; k0 < kp; k0 += kc_max) {
      const std::size_t kc = kp - k0 < kc_max ? kp - k0 : kc_max;
      const std::int8_t* wp = w.panel(p) + k0 * nr;
      for (std::size_t i0 = 0; i0 < m; i0 += K::mr) {
        const std::size_t rows = m - i0 < K::mr ? m - i0 : K::mr;
        tile_rows<K, K::mr>(rows, pp, xe.data() + i0 * kp + k0, kp, kc, wp, ws, tile);
        for (std::size_t r = 0; r < rows; ++r) {
          const std::size_t i = i0 + r;
          const std::int32_t* t = tile + r * width;
          if (one_chunk) {
            std::int32_t* o = acc + i * n + c0;
            const std::int64_t* ct = col_term.data() + c0;
            if (row_terms) {
              const std::int64_t sx = sum_x[i];
              for (std::size_t c = 0; c < cols; ++c) {
                o[c] = qlin::detail::saturate_int32(std::int64_t{t[c]} + ct[c] - std::int64_t{zw[c0 + c]} * sx);
              }
            } else {
              for (std::size_t c = 0; c < cols; ++c) o[c] = qlin::detail::saturate_int32(std::int64_t{t[c]} + ct[c]);
            }
          } else {
            std::int64_t* o = big.data() + i * n + c0;
            for (std::size_t c = 0; c < cols; ++c) o[c] += t[c];
          }
        }
      }
    }
    p += pp;
  }
  if (!one_chunk) {
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t c = 0; c < n; ++c) {
        acc[i * n + c] = qlin::detail::saturate_int32(
            qlin::detail::gemm_correct(big[i * n + c], sum_x[i], kk64, ze, w.zero_point(c), w.row_sum(c)));
      }
    }
  }
}

template <class A>
constexpr bool is_avx512bw() noexcept {
#if QLIN_ARCH_AVX512BW
  return std::is_base_of<xsimd::avx512bw, A>::value;
#else
  return false;
#endif
}
template <class A>
constexpr bool is_avx2() noexcept {
#if defined(__AVX2__) && QLIN_GEMM_X86
  return std::is_base_of<xsimd::avx2, A>::value;
#else
  return false;
#endif
}

}  // namespace gemm_detail

/// True when `path` can run here for arch A (compiled in, and for runtime-checked VNNI, the CPU has it).
template <class A>
inline bool gemm_path_available(gemm_path path) noexcept {
  switch (path) {
    case gemm_path::best:
    case gemm_path::reference:
      return true;
    case gemm_path::madd:
      return QLIN_GEMM_X86 != 0;
    case gemm_path::vnni:
#if QLIN_GEMM_VNNI == 2
      return gemm_detail::is_avx512bw<A>();
#elif QLIN_GEMM_VNNI == 1
      return gemm_detail::is_avx512bw<A>() && gemm_detail::cpu_has_vnni();
#else
      return false;
#endif
    case gemm_path::neon:
      return QLIN_GEMM_NEON64 != 0;
    case gemm_path::neon_dot:
#if QLIN_GEMM_NEON64 && defined(__ARM_FEATURE_DOTPROD)
      return true;
#else
      return false;
#endif
  }
  return false;
}

/// The path gemm_path::best resolves to.
template <class A>
inline gemm_path gemm_best_path() noexcept {
  if (gemm_path_available<A>(gemm_path::vnni)) return gemm_path::vnni;
  if (gemm_path_available<A>(gemm_path::neon_dot)) return gemm_path::neon_dot;
  if (gemm_path_available<A>(gemm_path::neon)) return gemm_path::neon;
  if (gemm_path_available<A>(gemm_path::madd)) return gemm_path::madd;
  return gemm_path::reference;
}

/// acc[m][n] (saturated int32) as qlin::reference::gemm_{s8,u8}s8_s32, by the micro-kernel `path`
/// (an unavailable path falls back to the reference). No argument checks: qlin/gemm.hpp does them.
template <class X, class A>
inline void gemm_s32(const X* x, std::size_t m, std::size_t k, std::int32_t zx, const packed_weights_s8& w,
                     std::int32_t* acc, gemm_path path = gemm_path::best) {
  const std::size_t n = w.rows();
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (std::size_t i = 0; i < m * n; ++i) acc[i] = 0;
    return;
  }
  if (path == gemm_path::best) path = gemm_best_path<A>();
  if (!gemm_path_available<A>(path)) path = gemm_path::reference;
  switch (path) {
#if QLIN_GEMM_VNNI
    case gemm_path::vnni:
      return gemm_detail::gemm_driver<gemm_detail::vnni_kernel>(x, m, k, zx, w, acc);
#endif
#if QLIN_GEMM_NEON64
    case gemm_path::neon:
      return gemm_detail::gemm_driver<gemm_detail::neon_kernel>(x, m, k, zx, w, acc);
#if defined(__ARM_FEATURE_DOTPROD)
    case gemm_path::neon_dot:
      return gemm_detail::gemm_driver<gemm_detail::neon_dot_kernel>(x, m, k, zx, w, acc);
#endif
#endif
#if QLIN_GEMM_X86
    case gemm_path::madd:
      if constexpr (gemm_detail::is_avx512bw<A>()) {
#if QLIN_ARCH_AVX512BW
        return gemm_detail::gemm_driver<gemm_detail::madd_kernel<gemm_detail::madd512>>(x, m, k, zx, w, acc);
#endif
      } else if constexpr (gemm_detail::is_avx2<A>()) {
#if defined(__AVX2__)
        return gemm_detail::gemm_driver<gemm_detail::madd_kernel<gemm_detail::madd256>>(x, m, k, zx, w, acc);
#endif
      } else {
        return gemm_detail::gemm_driver<gemm_detail::madd_kernel<gemm_detail::madd128>>(x, m, k, zx, w, acc);
      }
      break;
#endif
    default:
      break;
  }
  qlin::detail::gemm_reference_rows(x, m, k, zx, w, [&](std::size_t i, std::size_t c, std::int64_t v) {
    acc[i * n + c] = qlin::detail::saturate_int32(v);
  });
}

/// sum_k a[k] * b[k] (int8), exact, saturated to int32; equal to qlin::reference::dot_s8s8_s32.
/// Sign extension to int16 + madd (x86) or vmull + vpadal (AArch64), int32 lanes over chunks of
/// 65536 products, chunks summed in int64.
template <class A>
inline std::int32_t dot_s8s8_s32(const std::int8_t* a, const std::int8_t* b, std::size_t k) noexcept {
  std::int64_t total = 0;
  std::size_t i = 0;
#if QLIN_GEMM_X86 || QLIN_GEMM_NEON64
  constexpr std::size_t chunk = gemm_detail::kc_max;
  while (k - i >= 16) {
    const std::size_t end = i + ((k - i < chunk ? k - i : chunk) / 16) * 16;
    std::int32_t lanes[4];
#if QLIN_GEMM_X86
    __m128i acc = _mm_setzero_si128();
    for (; i < end; i += 8) {
      acc = _mm_add_epi32(acc, _mm_madd_epi16(gemm_detail::madd128::load_s8_as_s16(a + i),
                                              gemm_detail::madd128::load_s8_as_s16(b + i)));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), acc);
#else
    int32x4_t acc = vdupq_n_s32(0);
    for (; i < end; i += 16) {
      const int8x16_t va = vld1q_s8(a + i), vb = vld1q_s8(b + i);
      acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(va), vget_low_s8(vb)));
      acc = vpadalq_s16(acc, vmull_high_s8(va, vb));
    }
    vst1q_s32(lanes, acc);
#endif
    total += std::int64_t{lanes[0]} + lanes[1] + lanes[2] + lanes[3];
  }
#endif
  for (; i < k; ++i) total += std::int32_t{a[i]} * std::int32_t{b[i]};
  return qlin::detail::saturate_int32(total);
}

}  // namespace QLIN_GEMM_NAMESPACE
}  // namespace kernels
}  // namespace qlin

#endif  // QLIN_SIMD
#endif  // QLIN_KERNELS_GEMM_S8_HPP_
