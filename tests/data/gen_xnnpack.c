/* gen_xnnpack.c: writes tests/data/xnnpack_convert.txt from XNNPACK's PUBLIC convert operators.
 *
 * Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
 *
 * Not part of the build. Needs Debian's libxnnpack-dev / libxnnpack0 (0.0~git20220216), which install
 * /usr/include/xnnpack.h and libXNNPACK.so. xnnpack.h includes <pthreadpool.h>, which no installed
 * package provides, so a one-line stub header is made first (only the opaque pthreadpool_t type is
 * needed; we pass NULL). Regenerate with (from the repository root):
 *
 *   mkdir -p /tmp/xnnstub && echo 'typedef struct pthreadpool* pthreadpool_t;' > /tmp/xnnstub/pthreadpool.h && \
 *   gcc -std=c11 -O1 -I/tmp/xnnstub tests/data/gen_xnnpack.c -o /tmp/gen_xnnpack -lXNNPACK -lm && \
 *   /tmp/gen_xnnpack > tests/data/xnnpack_convert.txt
 *
 * Operators: xnn_create_convert_nc_f32_qs8 / _f32_qu8 (quantize) and _qs8_f32 / _qu8_f32
 * (dequantize), run on one batch of `n` elements with channels = 1 (strides 1). Rows (floats as the
 * 8-hex-digit float32 bit pattern, integers in decimal):
 *
 *   f32_qs8 scale zp qmin qmax x q     q = XNNPACK's int8 code of float x
 *   f32_qu8 scale zp qmin qmax x q     same for uint8
 *   qs8_f32 scale zp q y               y = XNNPACK's float for int8 code q
 *   qu8_f32 scale zp q y               same for uint8
 *
 * NaN is NOT written: XNNPACK's AVX2 convert maps it to output_max (reference/SEMANTICS.md section 5),
 * while qlin maps it to the zero point by design (tested separately). +-Inf are written (both saturate).
 * Deterministic: a fixed-seed xorshift64* generator.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

static uint64_t rng_state = 0x786e6e7061636b31ULL; /* "xnnpack1" */
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}
static float rand_unit(void) { return (float)(rng() >> 40) * 0x1.0p-24f; } /* [0, 1) */

static uint32_t bits_of(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}
static float float_of(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

#define MAXN 512
static float xs[MAXN];
static size_t nx;
static void add(float x) {
  if (nx < MAXN && x == x) xs[nx++] = x;
}

/* Inputs for a config: ties (k + 1/2) * scale and their float neighbours, exact multiples,
 * saturation, denormals, +-0, +-Inf, random values spanning a bit more than the range. */
static void make_inputs(float scale, int zp, int qmin, int qmax) {
  nx = 0;
  add(0.0f);
  add(-0.0f);
  add(INFINITY);
  add(-INFINITY);
  add(3.4028235e38f);
  add(-3.4028235e38f);
  add(float_of(0x00000001u)); /* smallest denormal */
  add(float_of(0x80000001u));
  add(float_of(0x007FFFFFu)); /* largest denormal */
  add(float_of(0x807FFFFFu));
  add(1e-30f);
  add(-1e-30f);
  add(0.49999997f * scale);
  add(-0.49999997f * scale);
  add(0.5f * scale);
  add(-0.5f * scale);
  add(2.5f * scale);
  add(-2.5f * scale);
  add(1e9f);
  add(-1e9f);
  add((float)(qmax - zp) * scale * 1.0001f);
  add((float)(qmin - zp) * scale * 1.0001f);
  for (int k = qmin - zp - 2; k <= qmax - zp + 1; k += 1 + (int)(rng() % 7)) {
    const float t = ((float)k + 0.5f) * scale;
    add(t);
    add(nextafterf(t, INFINITY));
    add(nextafterf(t, -INFINITY));
    add((float)k * scale);
  }
  while (nx < 300) {
    const float span = (float)(qmax - qmin + 8) * scale;
    add((rand_unit() - 0.5f) * span - (float)zp * scale);
  }
}

static int quantize_s8(float scale, int zp, int qmin, int qmax) {
  int8_t out[MAXN];
  xnn_operator_t op = NULL;
  if (xnn_create_convert_nc_f32_qs8(1, 1, 1, scale, (int8_t)zp, (int8_t)qmin, (int8_t)qmax, 0, &op) != xnn_status_success) return 1;
  if (xnn_setup_convert_nc_f32_qs8(op, nx, xs, out, NULL) != xnn_status_success) return 1;
  if (xnn_run_operator(op, NULL) != xnn_status_success) return 1;
  xnn_delete_operator(op);
  for (size_t i = 0; i < nx; ++i) {
    printf("f32_qs8 %08x %d %d %d %08x %d\n", bits_of(scale), zp, qmin, qmax, bits_of(xs[i]), out[i]);
  }
  return 0;
}

static int quantize_u8(float scale, int zp, int qmin, int qmax) {
  uint8_t out[MAXN];
  xnn_operator_t op = NULL;
  if (xnn_create_convert_nc_f32_qu8(1, 1, 1, scale, (uint8_t)zp, (uint8_t)qmin, (uint8_t)qmax, 0, &op) != xnn_status_success) return 1;
  if (xnn_setup_convert_nc_f32_qu8(op, nx, xs, out, NULL) != xnn_status_success) return 1;
  if (xnn_run_operator(op, NULL) != xnn_status_success) return 1;
  xnn_delete_operator(op);
  for (size_t i = 0; i < nx; ++i) {
    printf("f32_qu8 %08x %d %d %d %08x %d\n", bits_of(scale), zp, qmin, qmax, bits_of(xs[i]), out[i]);
  }
  return 0;
}

static int dequantize_s8(float scale, int zp) {
  int8_t in[256];
  float out[256];
  for (int i = 0; i < 256; ++i) in[i] = (int8_t)(i - 128);
  xnn_operator_t op = NULL;
  if (xnn_create_convert_nc_qs8_f32(1, 1, 1, scale, (int8_t)zp, 0, &op) != xnn_status_success) return 1;
  if (xnn_setup_convert_nc_qs8_f32(op, 256, in, out, NULL) != xnn_status_success) return 1;
  if (xnn_run_operator(op, NULL) != xnn_status_success) return 1;
  xnn_delete_operator(op);
  for (int i = 0; i < 256; ++i) printf("qs8_f32 %08x %d %d %08x\n", bits_of(scale), zp, in[i], bits_of(out[i]));
  return 0;
}

static int dequantize_u8(float scale, int zp) {
  uint8_t in[256];
  float out[256];
  for (int i = 0; i < 256; ++i) in[i] = (uint8_t)i;
  xnn_operator_t op = NULL;
  if (xnn_create_convert_nc_qu8_f32(1, 1, 1, scale, (uint8_t)zp, 0, &op) != xnn_status_success) return 1;
  if (xnn_setup_convert_nc_qu8_f32(op, 256, in, out, NULL) != xnn_status_success) return 1;
  if (xnn_run_operator(op, NULL) != xnn_status_success) return 1;
  xnn_delete_operator(op);
  for (int i = 0; i < 256; ++i) printf("qu8_f32 %08x %d %d %08x\n", bits_of(scale), zp, in[i], bits_of(out[i]));
  return 0;
}

int main(void) {
  if (xnn_initialize(NULL) != xnn_status_success) {
    fprintf(stderr, "xnn_initialize failed\n");
    return 1;
  }
  /* scale, zp, qmin, qmax */
  static const struct { float scale; int zp, qmin, qmax; } s8[] = {
      {1.0f, 0, -128, 127},      {0.5f, -3, -128, 127},     {0.0078125f, 5, -128, 127}, {0.1f, 0, -128, 127},
      {0.0235294f, -128, -128, 127}, {3.7f, 17, -100, 90}, {1e-6f, 0, -127, 127},    {1e6f, 127, -128, 127},
  };
  static const struct { float scale; int zp, qmin, qmax; } u8[] = {
      {1.0f, 128, 0, 255},  {0.25f, 0, 0, 255},    {0.0039215686f, 0, 0, 255}, {0.1f, 200, 0, 255},
      {0.02f, 77, 10, 240}, {1e-6f, 128, 1, 255}, {1e6f, 255, 0, 255},        {0.013f, 3, 0, 255},
  };
  const size_t ns8 = sizeof s8 / sizeof s8[0], nu8 = sizeof u8 / sizeof u8[0];
  printf("# XNNPACK (Debian libxnnpack0 0.0~git20220216) public convert operators; generated by tests/data/gen_xnnpack.c.\n");
  printf("# f32_qs8|f32_qu8 scale zp qmin qmax x q  |  qs8_f32|qu8_f32 scale zp q y   (floats as float32 bit patterns; no NaN rows)\n");
  for (size_t i = 0; i < ns8; ++i) {
    make_inputs(s8[i].scale, s8[i].zp, s8[i].qmin, s8[i].qmax);
    if (quantize_s8(s8[i].scale, s8[i].zp, s8[i].qmin, s8[i].qmax)) { fprintf(stderr, "qs8 config %zu failed\n", i); return 1; }
  }
  for (size_t i = 0; i < nu8; ++i) {
    make_inputs(u8[i].scale, u8[i].zp, u8[i].qmin, u8[i].qmax);
    if (quantize_u8(u8[i].scale, u8[i].zp, u8[i].qmin, u8[i].qmax)) { fprintf(stderr, "qu8 config %zu failed\n", i); return 1; }
  }
  static const float dq_scales[] = {1.0f, 0.5f, 0.1f, 0.0235294f, 3.7f, 1e-6f, 1e6f, 0.013f};
  static const int dq_s8_zp[] = {0, -3, 5, -128, 17, 0, 127, 1};
  static const int dq_u8_zp[] = {128, 0, 200, 0, 77, 128, 255, 3};
  for (size_t i = 0; i < sizeof dq_scales / sizeof dq_scales[0]; ++i) {
    if (dequantize_s8(dq_scales[i], dq_s8_zp[i]) || dequantize_u8(dq_scales[i], dq_u8_zp[i])) {
      fprintf(stderr, "dequantize config %zu failed\n", i);
      return 1;
    }
  }
  xnn_deinitialize();
  return 0;
}
