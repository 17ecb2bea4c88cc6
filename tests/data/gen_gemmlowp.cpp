// gen_gemmlowp.cpp: writes tests/data/gemmlowp_fixedpoint.txt from the REAL gemmlowp scalar functions.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Not part of the build. Needs Debian's libgemmlowp-dev (0.0~git20211220.e844ffd-1), which installs
// /usr/include/gemmlowp/fixedpoint/fixedpoint.h. Regenerate with (from the repository root):
//
//   g++ -std=c++17 -O1 tests/data/gen_gemmlowp.cpp -o /tmp/gen_gemmlowp && /tmp/gen_gemmlowp > tests/data/gemmlowp_fixedpoint.txt
//
// The output is deterministic (a fixed-seed std::mt19937_64, whose raw output the standard fixes;
// no std::*_distribution is used). Rows, one per line, integers in decimal:
//
//   srdhm  a b result        gemmlowp::SaturatingRoundingDoublingHighMul<int32_t>(a, b)
//   rdbpot x e result        gemmlowp::RoundingDivideByPOT<int32_t>(x, e), 0 <= e <= 31
//   mbqm   x m shift result  TFLite's double-rounding MultiplyByQuantizedMultiplier composed from
//                            the two gemmlowp functions above:
//                              RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^L, m), R)
//                            with L = max(shift, 0), R = max(-shift, 0); shift in [-31, 30].
//                            Only cases where x * 2^L fits in int32 are written (TFLite wraps there,
//                            qlin saturates by design; that is tested against an independent oracle).
//
// Inputs are boundary-first (gemmlowp's MakeTestVals style: +-2^i + {-2..2}, INT32_MIN, INT32_MAX,
// 0, +-1; exact ties k*2^e + 2^(e-1) and neighbours for every exponent; products a*b that are exact
// odd multiples of 2^30, i.e. p / 2^31 = +-k.5), then seeded random ones.
#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace {

using i32 = std::int32_t;
using i64 = std::int64_t;
constexpr i32 kMin = std::numeric_limits<i32>::min();
constexpr i32 kMax = std::numeric_limits<i32>::max();

std::mt19937_64 rng(0x71696e2d67656d6dULL);  // "qin-gemm"

bool fits(i64 v) { return v >= kMin && v <= kMax; }
i32 rand_i32() { return static_cast<i32>(static_cast<std::uint32_t>(rng() >> 32)); }
// Random int32 with a random number of significant bits (log-uniform magnitude), random sign.
i32 rand_log_i32() {
  const int bits = static_cast<int>(rng() % 32);
  // magnitude in [2^(bits-1), 2^bits)
  i64 v = static_cast<i64>(rng() & ((std::uint64_t{1} << bits) - 1)) | ((i64{1} << bits) >> 1);
  if (rng() & 1) v = -v;
  return fits(v) ? static_cast<i32>(v) : kMin;
}
i64 rand_range(i64 lo, i64 hi) {  // inclusive, hi - lo < 2^63
  return lo + static_cast<i64>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

// Boundary values: 0, +-1, +-2, INT32_MIN(+1,+2), INT32_MAX(-1,-2), +-2^i + {-2..2}.
std::vector<i32> boundary_values() {
  std::set<i64> s = {0, 1, -1, 2, -2, kMin, kMin + 1, kMin + 2, kMax, kMax - 1, kMax - 2};
  for (int i = 0; i <= 31; ++i) {
    for (int d = -2; d <= 2; ++d) {
      s.insert((i64{1} << i) + d);
      s.insert(-(i64{1} << i) + d);
    }
  }
  std::vector<i32> out;
  for (i64 v : s) {
    if (fits(v)) out.push_back(static_cast<i32>(v));
  }
  return out;
}

void srdhm_row(i32 a, i32 b) {
  std::printf("srdhm %d %d %d\n", a, b, gemmlowp::SaturatingRoundingDoublingHighMul<i32>(a, b));
}
void rdbpot_row(i32 x, int e) {
  std::printf("rdbpot %d %d %d\n", x, e, gemmlowp::RoundingDivideByPOT<i32>(x, e));
}
bool mbqm_row(i32 x, i32 m, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const i64 shifted = static_cast<i64>(x) * (i64{1} << left);
  if (!fits(shifted)) return false;
  const i32 r = gemmlowp::RoundingDivideByPOT<i32>(
      gemmlowp::SaturatingRoundingDoublingHighMul<i32>(static_cast<i32>(shifted), m), right);
  std::printf("mbqm %d %d %d %d\n", x, m, shift, r);
  return true;
}

void gen_srdhm() {
  const std::vector<i32> bv = boundary_values();
  // A small set of second operands: boundaries and typical Q31 multipliers.
  const std::vector<i32> small = {0, 1, -1, kMin, kMax, kMin + 1, 1 << 30, (1 << 30) + 1, -(1 << 30), 1395864371, -3};
  for (i32 a : bv) {
    for (i32 b : small) srdhm_row(a, b);
  }
  // Exact ties: a * b = (2k + 1) * 2^30, so p / 2^31 = k + 1/2; and their neighbours a +- 1.
  for (int s = 0; s <= 30; ++s) {
    for (int rep = 0; rep < 12; ++rep) {
      // a = odd1 * 2^s, b = odd2 * 2^(30 - s), both within int32.
      const i64 amax = (i64{1} << (31 - s)) - 1;  // odd1 * 2^s < 2^31
      const i64 bmax = (i64{1} << (1 + s)) - 1;   // odd2 * 2^(30-s) < 2^31
      i64 o1 = rand_range(0, (amax - 1) / 2) * 2 + 1;
      i64 o2 = rand_range(0, (bmax - 1) / 2) * 2 + 1;
      if (rep < 2) { o1 = 1; }
      if (rep == 2) { o2 = 1; }
      i64 a = o1 << s;
      i64 b = o2 << (30 - s);
      if (rng() & 1) a = -a;
      if (rng() & 1) b = -b;
      if (!fits(a) || !fits(b)) continue;
      srdhm_row(static_cast<i32>(a), static_cast<i32>(b));
      if (fits(a + 1)) srdhm_row(static_cast<i32>(a + 1), static_cast<i32>(b));
      if (fits(a - 1)) srdhm_row(static_cast<i32>(a - 1), static_cast<i32>(b));
    }
  }
  // The smallest ties: p = +-2^30 (0.5 -> 1, -0.5 -> 0), +-3 * 2^30 (1.5 -> 2, -1.5 -> -1).
  srdhm_row(1 << 30, 1);
  srdhm_row(-(1 << 30), 1);
  srdhm_row(3 << 28, 4);
  srdhm_row(-(3 << 28), 4);
  for (int i = 0; i < 1200; ++i) srdhm_row(rand_i32(), rand_i32());
  for (int i = 0; i < 600; ++i) srdhm_row(rand_log_i32(), rand_i32());
}

void gen_rdbpot() {
  const std::vector<i32> bv = boundary_values();
  const std::vector<i32> few = {0, 1, -1, 2, -2, 3, -3, kMin, kMin + 1, kMax, kMax - 1, 1 << 30, -(1 << 30)};
  for (int e = 0; e <= 31; ++e) {
    for (i32 x : few) rdbpot_row(x, e);
    if (e >= 1) {
      // Ties k*2^e + 2^(e-1) and neighbours, for small k, k near the int32 limits, and random k.
      std::vector<i64> ks = {0, 1, 2, 3, -1, -2, -3, -4};
      const i64 kmax = (i64{kMax} - (i64{1} << (e - 1))) >> e;  // largest k with k*2^e + 2^(e-1) <= INT32_MAX
      const i64 kmin = (i64{kMin} - (i64{1} << (e - 1))) >> e;
      ks.push_back(kmax);
      ks.push_back(kmax - 1);
      ks.push_back(kmin);
      ks.push_back(kmin + 1);
      for (int r = 0; r < 8; ++r) ks.push_back(rand_range(kmin, kmax));
      for (i64 k : ks) {
        const i64 t = k * (i64{1} << e) + (i64{1} << (e - 1));
        for (int d = -1; d <= 1; ++d) {
          if (fits(t + d)) rdbpot_row(static_cast<i32>(t + d), e);
        }
        // exact multiples and neighbours
        const i64 mlt = k * (i64{1} << e);
        for (int d = -1; d <= 1; ++d) {
          if (fits(mlt + d)) rdbpot_row(static_cast<i32>(mlt + d), e);
        }
      }
    }
    for (int r = 0; r < 24; ++r) rdbpot_row(rand_i32(), e);
    for (int r = 0; r < 8; ++r) rdbpot_row(rand_log_i32(), e);
  }
  // Every boundary value at a few exponents.
  for (i32 x : bv) {
    for (int e : {1, 7, 16, 31}) rdbpot_row(x, e);
  }
}

// TFLite QuantizeMultiplier (std::frexp, round half away from zero, q == 2^31 -> 2^30 and shift + 1);
// only used to pick realistic (m, shift) inputs, never to compute an expected output.
void tflite_like_multiplier(double real, i32* m, int* shift) {
  int e = 0;
  const double f = std::frexp(real, &e);
  i64 q = static_cast<i64>(std::round(f * 2147483648.0));
  if (q == (i64{1} << 31)) {
    q /= 2;
    ++e;
  }
  *m = static_cast<i32>(q);
  *shift = e;
}

void gen_mbqm() {
  const std::vector<i32> bv = boundary_values();
  const std::vector<i32> mults = {1 << 30, (1 << 30) + 1, kMax, 1395864371, 0, 12345};
  int written = 0;
  // Boundary x for every shift with a few multipliers.
  for (int shift = -31; shift <= 30; ++shift) {
    for (i32 m : mults) {
      for (std::size_t i = 0; i < bv.size(); i += 23) written += mbqm_row(bv[i], m, shift);
      written += mbqm_row(kMin, m, shift);
      written += mbqm_row(kMax, m, shift);
      written += mbqm_row(0, m, shift);
      written += mbqm_row(1, m, shift);
      written += mbqm_row(-1, m, shift);
    }
  }
  // Second-stage ties: m = 2^30 halves x exactly (x even), so x = 2 * (k * 2^R + 2^(R-1)) is an
  // exact tie of RoundingDivideByPOT; first-stage ties: m = 2^30 and x odd gives p / 2^31 = x / 2.
  for (int r = 1; r <= 31; ++r) {
    for (int rep = 0; rep < 10; ++rep) {
      const i64 half = i64{1} << (r - 1);
      const i64 kmax = ((i64{kMax} / 2) - half) >> r;
      const i64 kmin = ((i64{kMin} / 2) - half) >> r;
      const i64 k = rep < 4 ? (rep - 2) : rand_range(kmin, kmax);
      const i64 t = 2 * (k * (i64{1} << r) + half);
      for (int d = -2; d <= 2; ++d) {
        if (fits(t + d)) written += mbqm_row(static_cast<i32>(t + d), 1 << 30, -r);
      }
    }
  }
  // Realistic multipliers from reals in [2^-31, 2^30) (log-uniform), random x.
  for (int i = 0; i < 2200; ++i) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
    const double real = std::ldexp(1.0 + u, static_cast<int>(rng() % 61) - 31);
    i32 m = 0;
    int shift = 0;
    tflite_like_multiplier(real, &m, &shift);
    if (shift < -31 || shift > 30) continue;
    i32 x = (i % 3 == 0) ? rand_log_i32() : rand_i32();
    const int left = shift > 0 ? shift : 0;
    if (left > 0) x = static_cast<i32>(x >> (left + static_cast<int>(rng() % 2)));  // keep x << left in range, mostly
    written += mbqm_row(x, m, shift);
  }
  std::fprintf(stderr, "mbqm rows: %d\n", written);
}

}  // namespace

int main() {
  std::printf("# gemmlowp fixedpoint reference rows: generated by tests/data/gen_gemmlowp.cpp from\n");
  std::printf("# /usr/include/gemmlowp/fixedpoint/fixedpoint.h (Debian libgemmlowp-dev 0.0~git20211220.e844ffd-1).\n");
  std::printf("# srdhm a b SaturatingRoundingDoublingHighMul(a,b) | rdbpot x e RoundingDivideByPOT(x,e) |\n");
  std::printf("# mbqm x m shift RoundingDivideByPOT(SRDHM(x*2^max(shift,0), m), max(-shift,0)) (no int32 overflow in x*2^L)\n");
  gen_srdhm();
  gen_rdbpot();
  gen_mbqm();
  return 0;
}
