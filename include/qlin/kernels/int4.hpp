// kernels/int4.hpp: packed int4 / uint4 quantize + pack, unpack, dequantize (per tensor, per group) and the
// W4A8 dot product on xsimd batches, equal to qlin/int4.hpp bit for bit.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Layout: low nibble first (qlin/int4.hpp). One block is B = batch<uint8_t, A>::size packed bytes -> 2B codes:
//   lo = v & 0x0F, hi = (v >> 4) & 0x0F        (16-bit shift + mask: x86 has no 8-bit shift)
//   codes = interleave(lo, hi)                  element 2i = lo[i], 2i + 1 = hi[i]
//   int4: code = (code ^ 8) - 8                 sign extension of the nibble, in 8-bit lanes
// per ISA:
//   sse2      punpcklbw / punpckhbw of (lo, hi)
//   avx2      vpunpck{l,h}bw interleave within 128-bit lanes; vperm2i128 restores the element order
//   avx512bw  vpunpck{l,h}bw per 128-bit lane; vpermt2q restores the order
//   neon      vzipq_u8(lo, hi) (vshrq_n_u8 for the high nibble)
// dequantize: the 2B codes go through a 2B-byte stack buffer (L1) to arch::load_widen_i32, then
//   r = f32(q - z) * s: int32 subtraction, exact conversion (|q - z| <= 30), one float rounding, as the scalar.
// W4A8 dot: a and the unpacked codes are widened to int32 (load_widen_i32) and multiplied / summed in int32
//   lanes, wrapping like the scalar's uint32 sums; the lanes are summed and the zero-point correction
//   sum aw - zw sum a - za sum w + k za zw applied in uint32 arithmetic. Sums modulo 2^32 do not depend on
//   the order, so this equals qlin::dot_s8_s4 / dot_s8_u4 for every input, overflowing or not.
// quantize + pack: chunks of up to 256 floats go through kernels::quantize_f32<int8_t / uint8_t, A> (the
//   8-bit quantize kernel, bit-exact to qlin::quantize, whose formula qlin/int4.hpp uses with a 4-bit range;
//   a rest shorter than its batch, e.g. a group of 32 on AVX-512, through quantize_f32<int16_t, A>) into a
//   stack buffer of codes, then 2B codes are packed into B bytes per block:
//   in 16-bit lanes w = codes & 0x0F0F (lo | hi << 8), (w | w >> 4) & 0x00FF = lo | hi << 4, then
//   sse2      packuswb of two such vectors
//   avx2      vpackuswb per 128-bit lane; vpermq 0xD8 restores the order
//   avx512bw  vpackuswb per 128-bit lane; vpermq (0, 2, 4, 6, 1, 3, 5, 7) restores the order
//   neon      vld2q_u8 deinterleaves even / odd codes: (even & 0x0F) | (odd << 4)
//   An odd starting nibble (per-group rows with odd groups) and an odd last code are written nibble by nibble
//   with the other nibble of the byte kept, exactly as the scalar's set_nibble.
// Tails (fewer than 2B codes) and odd starting nibbles are scalar code templated on the arch (see
// kernels/quantize.hpp on instantiating plain inline functions in a -mavx2 translation unit).
#ifndef QLIN_KERNELS_INT4_HPP_
#define QLIN_KERNELS_INT4_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../arch/widen.hpp"
#include "../arch/xsimd.hpp"
#include "../int4.hpp"
#include "quantize.hpp"

#if QLIN_SIMD
namespace qlin {
namespace kernels {

/// Packed bytes one block of the int4 kernels on arch A reads (it yields twice as many codes).
template <class A>
constexpr std::size_t int4_block_bytes() noexcept {
  return xsimd::batch<std::uint8_t, A>::size;
}

namespace detail {

template <bool Signed>
using code4_t = typename std::conditional<Signed, std::int8_t, std::uint8_t>::type;

// Element i of a packed array: (u ^ 8) - 8 for int4, u for uint4. Templated on the arch: see the top.
template <class A, bool Signed>
inline std::int32_t code4_at(const std::uint8_t* packed, std::size_t i) noexcept {
  const std::uint32_t b = packed[i / 2];
  const std::uint32_t u = (i % 2 == 0) ? (b & 0x0Fu) : (b >> 4);
  return Signed ? static_cast<std::int32_t>(u ^ 8u) - 8 : static_cast<std::int32_t>(u);
}

// Writes 2 * int4_block_bytes<A>() codes of the block at p to out (unaligned), sign-extended when Signed.
#if XSIMD_WITH_SSE2
template <class A, bool Signed>
inline void unpack_block(const std::uint8_t* p, std::uint8_t* out, arch::requires_arch<xsimd::sse2>) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i m = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(v, m);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), m);
  __m128i a = _mm_unpacklo_epi8(lo, hi);
  __m128i b = _mm_unpackhi_epi8(lo, hi);
  if (Signed) {
    const __m128i e = _mm_set1_epi8(8);
    a = _mm_sub_epi8(_mm_xor_si128(a, e), e);
    b = _mm_sub_epi8(_mm_xor_si128(b, e), e);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), a);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), b);
}
#endif

#if XSIMD_WITH_AVX2
template <class A, bool Signed>
inline void unpack_block(const std::uint8_t* p, std::uint8_t* out, arch::requires_arch<xsimd::avx2>) noexcept {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i m = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_and_si256(v, m);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
  const __m256i a = _mm256_unpacklo_epi8(lo, hi);  // bytes 0..7 | 16..23, interleaved
  const __m256i b = _mm256_unpackhi_epi8(lo, hi);  // bytes 8..15 | 24..31
  __m256i c0 = _mm256_permute2x128_si256(a, b, 0x20);
  __m256i c1 = _mm256_permute2x128_si256(a, b, 0x31);
  if (Signed) {
    const __m256i e = _mm256_set1_epi8(8);
    c0 = _mm256_sub_epi8(_mm256_xor_si256(c0, e), e);
    c1 = _mm256_sub_epi8(_mm256_xor_si256(c1, e), e);
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), c0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32), c1);
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A, bool Signed>
inline void unpack_block(const std::uint8_t* p, std::uint8_t* out, arch::requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i v = _mm512_loadu_si512(p);
  const __m512i m = _mm512_set1_epi8(0x0F);
  const __m512i lo = _mm512_and_si512(v, m);
  const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
  const __m512i a = _mm512_unpacklo_epi8(lo, hi);  // per 128-bit lane j: bytes 16j + 0..7, interleaved
  const __m512i b = _mm512_unpackhi_epi8(lo, hi);  // per 128-bit lane j: bytes 16j + 8..15
  __m512i c0 = _mm512_permutex2var_epi64(a, _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), b);
  __m512i c1 = _mm512_permutex2var_epi64(a, _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4), b);
  if (Signed) {
    const __m512i e = _mm512_set1_epi8(8);
    c0 = _mm512_sub_epi8(_mm512_xor_si512(c0, e), e);
    c1 = _mm512_sub_epi8(_mm512_xor_si512(c1, e), e);
  }
  _mm512_storeu_si512(out, c0);
  _mm512_storeu_si512(out + 64, c1);
}
#endif

#if XSIMD_WITH_NEON
template <class A, bool Signed>
inline void unpack_block(const std::uint8_t* p, std::uint8_t* out, arch::requires_arch<xsimd::neon>) noexcept {
  const uint8x16_t v = vld1q_u8(p);
  const uint8x16_t lo = vandq_u8(v, vdupq_n_u8(0x0F));
  const uint8x16_t hi = vshrq_n_u8(v, 4);
  uint8x16x2_t z = vzipq_u8(lo, hi);
  if (Signed) {
    const uint8x16_t e = vdupq_n_u8(8);
    z.val[0] = vsubq_u8(veorq_u8(z.val[0], e), e);  // modulo 2^8: the int8 (x ^ 8) - 8
    z.val[1] = vsubq_u8(veorq_u8(z.val[1], e), e);
  }
  vst1q_u8(out, z.val[0]);
  vst1q_u8(out + 16, z.val[1]);
}
#endif

template <class A, bool Signed>
inline void unpack4(const std::uint8_t* packed, std::size_t n, code4_t<Signed>* v) noexcept {
  constexpr std::size_t B = int4_block_bytes<A>();
  const std::size_t blocks = n / (2 * B);
  for (std::size_t b = 0; b < blocks; ++b) {
    unpack_block<A, Signed>(packed + b * B, reinterpret_cast<std::uint8_t*>(v + b * 2 * B), A{});
  }
  for (std::size_t i = blocks * 2 * B; i < n; ++i) v[i] = static_cast<code4_t<Signed>>(code4_at<A, Signed>(packed, i));
}

// r[0..n) = f32(q - zp) * scale for the codes starting at nibble `first` of packed (first may be odd).
template <class A, bool Signed>
inline void dequantize4(const std::uint8_t* packed, std::size_t first, std::size_t n, float* r, float scale,
                        std::int32_t zp) noexcept {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t B = int4_block_bytes<A>();
  constexpr std::size_t lanes = bi::size;
  const std::size_t head = (first % 2 != 0 && n > 0) ? 1 : 0;  // one nibble to reach a byte boundary
  const std::size_t blocks = (n - head) / (2 * B);
  if (head != 0) {
    const float f = static_cast<float>(code4_at<A, Signed>(packed, first) - zp) * scale;
    std::memcpy(r, &f, sizeof f);
  }
  if (blocks != 0) {
    const std::uint8_t* base = packed + (first + head) / 2;  // nibble first + head is a low nibble
    float* out = r + head;
    alignas(64) code4_t<Signed> buf[2 * B];
    const bf s(scale);
    const bi z(zp);
    for (std::size_t b = 0; b < blocks; ++b) {
      unpack_block<A, Signed>(base + b * B, reinterpret_cast<std::uint8_t*>(buf), A{});
      for (std::size_t h = 0; h < 2 * B; h += 4 * lanes) {
        const arch::widened<A, code4_t<Signed>> w = arch::load_widen_i32<A>(buf + h, A{});
        for (std::size_t k = 0; k < 4; ++k) {
          (xsimd::batch_cast<float>(w[k] - z) * s).store_unaligned(out + b * 2 * B + h + k * lanes);
        }
      }
    }
  }
  const std::size_t done = head + blocks * 2 * B;
  for (std::size_t t = 0; t < n - done; ++t) {
    const float f = static_cast<float>(code4_at<A, Signed>(packed, first + done + t) - zp) * scale;
    std::memcpy(r + done + t, &f, sizeof f);
  }
}

template <class A, bool Signed>
inline std::int32_t dot4(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za,
                         std::int32_t zw) noexcept {
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t B = int4_block_bytes<A>();
  constexpr std::size_t lanes = bi::size;
  std::uint32_t saw = 0, sa = 0, sw = 0;
  const std::size_t blocks = k / (2 * B);
  if (blocks != 0) {
    alignas(64) code4_t<Signed> buf[2 * B];
    bi vaw(0), va(0), vw(0);
    for (std::size_t b = 0; b < blocks; ++b) {
      unpack_block<A, Signed>(w + b * B, reinterpret_cast<std::uint8_t*>(buf), A{});
      for (std::size_t h = 0; h < 2 * B; h += 4 * lanes) {
        const arch::widened<A, std::int8_t> xa = arch::load_widen_i32<A>(a + b * 2 * B + h, A{});
        const arch::widened<A, code4_t<Signed>> xw = arch::load_widen_i32<A>(buf + h, A{});
        for (std::size_t q = 0; q < 4; ++q) {
          vaw += xa[q] * xw[q];  // |a w| <= 1920: no lane overflows before 2^20 blocks; wrapping anyway
          va += xa[q];
          vw += xw[q];
        }
      }
    }
    alignas(64) std::int32_t t[3][lanes];
    vaw.store_aligned(t[0]);
    va.store_aligned(t[1]);
    vw.store_aligned(t[2]);
    for (std::size_t l = 0; l < lanes; ++l) {
      saw += static_cast<std::uint32_t>(t[0][l]);
      sa += static_cast<std::uint32_t>(t[1][l]);
      sw += static_cast<std::uint32_t>(t[2][l]);
    }
  }
  for (std::size_t i = blocks * 2 * B; i < k; ++i) {
    const std::uint32_t ai = static_cast<std::uint32_t>(static_cast<std::int32_t>(a[i]));
    const std::uint32_t wi = static_cast<std::uint32_t>(code4_at<A, Signed>(w, i));
    saw += ai * wi;
    sa += ai;
    sw += wi;
  }
  const std::uint32_t uza = static_cast<std::uint32_t>(za), uzw = static_cast<std::uint32_t>(zw);
  const std::uint32_t total = saw - uzw * sa - uza * sw + static_cast<std::uint32_t>(k) * uza * uzw;
  std::int32_t out;
  std::memcpy(&out, &total, sizeof out);
  return out;
}

// ---- quantize + pack

// Sets nibble i of packed to the low 4 bits of code, keeping the other nibble (qlin::detail::set_nibble).
template <class A>
inline void set_nibble(std::uint8_t* packed, std::size_t i, std::int32_t code) noexcept {
  const std::uint32_t u = static_cast<std::uint32_t>(code) & 0x0Fu;
  const std::uint32_t b = packed[i / 2];
  packed[i / 2] = static_cast<std::uint8_t>((i % 2 == 0) ? ((b & 0xF0u) | u) : ((b & 0x0Fu) | (u << 4)));
}

// Packs 2 * int4_block_bytes<A>() codes (8-bit, only the low 4 bits used) into int4_block_bytes<A>() bytes.
template <class A>
inline void pack_block(const std::uint8_t* c, std::uint8_t* out, arch::requires_arch<xsimd::generic>) noexcept {
  constexpr std::size_t B = int4_block_bytes<A>();
  for (std::size_t i = 0; i < B; ++i) {
    out[i] = static_cast<std::uint8_t>((c[2 * i] & 0x0Fu) | ((c[2 * i + 1] & 0x0Fu) << 4));
  }
}

#if XSIMD_WITH_SSE2
template <class A>
inline __m128i pack_pairs_sse2(__m128i v) noexcept {  // 16 codes -> 8 bytes, in the low byte of 16-bit lanes
  const __m128i w = _mm_and_si128(v, _mm_set1_epi8(0x0F));
  return _mm_and_si128(_mm_or_si128(w, _mm_srli_epi16(w, 4)), _mm_set1_epi16(0x00FF));
}
template <class A>
inline void pack_block(const std::uint8_t* c, std::uint8_t* out, arch::requires_arch<xsimd::sse2>) noexcept {
  const __m128i a = pack_pairs_sse2<A>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c)));
  const __m128i b = pack_pairs_sse2<A>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + 16)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(a, b));
}
#endif

#if XSIMD_WITH_AVX2
template <class A>
inline __m256i pack_pairs_avx2(__m256i v) noexcept {
  const __m256i w = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
  return _mm256_and_si256(_mm256_or_si256(w, _mm256_srli_epi16(w, 4)), _mm256_set1_epi16(0x00FF));
}
template <class A>
inline void pack_block(const std::uint8_t* c, std::uint8_t* out, arch::requires_arch<xsimd::avx2>) noexcept {
  const __m256i a = pack_pairs_avx2<A>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c)));
  const __m256i b = pack_pairs_avx2<A>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32)));
  // packus per 128-bit lane: a.lo b.lo a.hi b.hi -> a.lo a.hi b.lo b.hi
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8));
}
#endif

#if QLIN_ARCH_AVX512BW
template <class A>
inline __m512i pack_pairs_avx512(__m512i v) noexcept {
  const __m512i w = _mm512_and_si512(v, _mm512_set1_epi8(0x0F));
  return _mm512_and_si512(_mm512_or_si512(w, _mm512_srli_epi16(w, 4)), _mm512_set1_epi16(0x00FF));
}
template <class A>
inline void pack_block(const std::uint8_t* c, std::uint8_t* out, arch::requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i a = pack_pairs_avx512<A>(_mm512_loadu_si512(c));
  const __m512i b = pack_pairs_avx512<A>(_mm512_loadu_si512(c + 64));
  // packus per 128-bit lane j: a.j b.j -> 64-bit pieces a0 b0 a1 b1 a2 b2 a3 b3; gather the a's then the b's
  const __m512i r = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), _mm512_packus_epi16(a, b));
  _mm512_storeu_si512(out, r);
}
#endif

#if XSIMD_WITH_NEON
template <class A>
inline void pack_block(const std::uint8_t* c, std::uint8_t* out, arch::requires_arch<xsimd::neon>) noexcept {
  const uint8x16x2_t d = vld2q_u8(c);  // even codes, odd codes
  vst1q_u8(out, vorrq_u8(vandq_u8(d.val[0], vdupq_n_u8(0x0F)), vshlq_n_u8(d.val[1], 4)));
}
#endif

// Quantizes n floats into nibbles [first, first + n) of packed (first may be odd), as qlin::detail::quantize4.
template <class A, bool Signed>
inline void quantize4(const float* x, std::size_t n, std::uint8_t* packed, std::size_t first, const quant_params& p,
                      quantize_method m) noexcept {
  using code_t = code4_t<Signed>;
  constexpr std::size_t B = int4_block_bytes<A>();
  constexpr std::size_t chunk = 256;  // a multiple of 2B on every arch (2B <= 128)
  static_assert(chunk % (2 * B) == 0, "whole blocks per chunk");
  if (n == 0) return;
  std::size_t i = 0;
  if (first % 2 != 0) {  // the high nibble of a byte whose low nibble is not ours
    const float inv = 1.0f / p.scale;
    float v;
    std::memcpy(&v, x, sizeof v);
    set_nibble<A>(packed, first, quantize_one<A>(v, p.scale, inv, p.zero_point, p.qmin, p.qmax, m));
    i = 1;
  }
  std::uint8_t* out = packed + (first + i) / 2;  // nibble first + i is a low nibble
  alignas(64) code_t buf[chunk];
  while (i < n) {
    const std::size_t len = n - i < chunk ? n - i : chunk;
    // Whole 8-bit output batches through the 8-bit kernel; the rest (short groups) through the 16-bit one,
    // whose batches are 4x (sse2, neon: 2x) narrower, so that only its own tail is scalar code.
    const std::size_t main8 = len / quantize_block<code_t, A>() * quantize_block<code_t, A>();
    if (main8 != 0) quantize_f32<code_t, A>(x + i, main8, buf, p, m);
    if (main8 != len) {
      alignas(64) std::int16_t buf16[chunk];
      quantize_f32<std::int16_t, A>(x + i + main8, len - main8, buf16, p, m);
      for (std::size_t j = main8; j < len; ++j) buf[j] = static_cast<code_t>(buf16[j - main8]);  // in [qmin, qmax]
    }
    const std::uint8_t* c = reinterpret_cast<const std::uint8_t*>(buf);
    const std::size_t blocks = len / (2 * B);
    for (std::size_t b = 0; b < blocks; ++b) pack_block<A>(c + b * 2 * B, out + b * B, A{});
    std::size_t j = blocks * 2 * B;
    for (; j + 1 < len; j += 2) {
      out[j / 2] = static_cast<std::uint8_t>((c[j] & 0x0Fu) | ((c[j + 1] & 0x0Fu) << 4));
    }
    if (j < len) set_nibble<A>(out, j, static_cast<std::int32_t>(buf[j]));  // odd last code: keep the high nibble
    out += len / 2;
    i += len;
  }
}

}  // namespace detail

/// qlin::quantize_int4 on arch A, bit for bit: n floats to packed int4 codes (p's range inside [-8, 7]), low
/// nibble first; for odd n the high nibble of the last byte is 0.
template <class A>
inline void quantize_int4(const float* x, std::size_t n, std::uint8_t* packed, const quant_params& p,
                          quantize_method m = quantize_method{}) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && packed != nullptr));
  QLIN_ASSERT(p.qmin >= -8 && p.qmax <= 7);
  if (n % 2 != 0) packed[n / 2] = 0;  // the padding nibble
  detail::quantize4<A, true>(x, n, packed, 0, p, m);
}
/// qlin::quantize_uint4 on arch A, bit for bit (p's range inside [0, 15]).
template <class A>
inline void quantize_uint4(const float* x, std::size_t n, std::uint8_t* packed, const quant_params& p,
                           quantize_method m = quantize_method{}) noexcept {
  QLIN_ASSERT(n == 0 || (x != nullptr && packed != nullptr));
  QLIN_ASSERT(p.qmin >= 0 && p.qmax <= 15);
  if (n % 2 != 0) packed[n / 2] = 0;
  detail::quantize4<A, false>(x, n, packed, 0, p, m);
}

/// qlin::quantize_per_group on arch A, bit for bit: row r at byte r * packed_bytes(cols), any group size (odd
/// groups start mid-byte; for odd cols the last high nibble of each row is 0).
template <class A>
inline void quantize_per_group(const float* w, std::uint8_t* packed, const group_quant_params& p,
                               quantize_method m = quantize_method{}) noexcept {
  // The sizes are computed here rather than with group_quant_params' inline members (see the top).
  QLIN_ASSERT(p.group > 0);
  const std::size_t stride = p.cols / 2 + p.cols % 2, gpr = p.cols / p.group + (p.cols % p.group != 0);
  QLIN_ASSERT(p.scales.size() == p.rows * gpr && p.zero_points.size() == p.scales.size());
  for (std::size_t row = 0; row < p.rows; ++row) {
    std::uint8_t* out = packed + row * stride;
    if (p.cols % 2 != 0) out[stride - 1] = 0;
    for (std::size_t g = 0; g < gpr; ++g) {
      const std::size_t i = row * gpr + g;
      const std::size_t len = (g + 1) * p.group <= p.cols ? p.group : p.cols - g * p.group;
      const quant_params q{p.scales[i], p.zero_points[i], p.qmin, p.qmax};
      const float* x = w + row * p.cols + g * p.group;
      if (p.type == dtype::int4) {
        detail::quantize4<A, true>(x, len, out, g * p.group, q, m);
      } else {
        detail::quantize4<A, false>(x, len, out, g * p.group, q, m);
      }
    }
  }
}

/// qlin::unpack_int4 on arch A.
template <class A>
inline void unpack_int4(const std::uint8_t* packed, std::size_t n, std::int8_t* v) noexcept {
  QLIN_ASSERT(n == 0 || (v != nullptr && packed != nullptr));
  detail::unpack4<A, true>(packed, n, v);
}
/// qlin::unpack_uint4 on arch A.
template <class A>
inline void unpack_uint4(const std::uint8_t* packed, std::size_t n, std::uint8_t* v) noexcept {
  QLIN_ASSERT(n == 0 || (v != nullptr && packed != nullptr));
  detail::unpack4<A, false>(packed, n, v);
}

/// qlin::dequantize_int4 on arch A, bit for bit.
template <class A>
inline void dequantize_int4(const std::uint8_t* packed, std::size_t n, float* r, const quant_params& p) noexcept {
  QLIN_ASSERT(n == 0 || (packed != nullptr && r != nullptr));
  detail::dequantize4<A, true>(packed, 0, n, r, p.scale, p.zero_point);
}
/// qlin::dequantize_uint4 on arch A, bit for bit.
template <class A>
inline void dequantize_uint4(const std::uint8_t* packed, std::size_t n, float* r, const quant_params& p) noexcept {
  QLIN_ASSERT(n == 0 || (packed != nullptr && r != nullptr));
  detail::dequantize4<A, false>(packed, 0, n, r, p.scale, p.zero_point);
}

/// qlin::dequantize_per_group on arch A, bit for bit (any group size; odd ones start mid-byte).
template <class A>
inline void dequantize_per_group(const std::uint8_t* packed, float* w, const group_quant_params& p) noexcept {
  // The sizes are computed here rather than with group_quant_params' inline members (see the top).
  QLIN_ASSERT(p.group > 0);
  const std::size_t stride = p.cols / 2 + p.cols % 2, gpr = p.cols / p.group + (p.cols % p.group != 0);
  QLIN_ASSERT(p.scales.size() == p.rows * gpr && p.zero_points.size() == p.scales.size());
  for (std::size_t row = 0; row < p.rows; ++row) {
    for (std::size_t g = 0; g < gpr; ++g) {
      const std::size_t i = row * gpr + g;
      const std::size_t len = (g + 1) * p.group <= p.cols ? p.group : p.cols - g * p.group;
      float* out = w + row * p.cols + g * p.group;
      if (p.type == dtype::int4) {
        detail::dequantize4<A, true>(packed + row * stride, g * p.group, len, out, p.scales[i], p.zero_points[i]);
      } else {
        detail::dequantize4<A, false>(packed + row * stride, g * p.group, len, out, p.scales[i], p.zero_points[i]);
      }
    }
  }
}

/// qlin::dot_s8_s4 on arch A: the same int32 for every input.
template <class A>
inline std::int32_t dot_s8_s4(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za = 0,
                              std::int32_t zw = 0) noexcept {
  QLIN_ASSERT(k == 0 || (a != nullptr && w != nullptr));
  return detail::dot4<A, true>(a, w, k, za, zw);
}
/// qlin::dot_s8_u4 on arch A: the same int32 for every input.
template <class A>
inline std::int32_t dot_s8_u4(const std::int8_t* a, const std::uint8_t* w, std::size_t k, std::int32_t za = 0,
                              std::int32_t zw = 0) noexcept {
  QLIN_ASSERT(k == 0 || (a != nullptr && w != nullptr));
  return detail::dot4<A, false>(a, w, k, za, zw);
}

}  // namespace kernels
}  // namespace qlin
#endif  // QLIN_SIMD

#endif  // QLIN_KERNELS_INT4_HPP_
