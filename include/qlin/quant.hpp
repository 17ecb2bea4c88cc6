// quant.hpp: the umbrella header. `#include <qlin/quant.hpp>` brings all of qlin.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Layers, each usable alone (see docs/arithmetic.md):
//   result.hpp        result<T> / errc: value-or-error, usable with -fno-exceptions
//   dtype.hpp         dtypes and integer ranges (full, narrow, reduce_range, custom)
//   rounding.hpp      round_half_even / half_away / half_up, exact for every float
//   params.hpp        scale and zero point from (min, max): pytorch, tflite, gemmlowp, xnnpack presets
//   fixed_point.hpp   real multiplier -> (Q31 mantissa, shift); SRDHM, rounding_divide_by_pot
//   quantize.hpp      quantize / dequantize, per tensor and per channel (scalar reference)
//   requantize.hpp    int32 -> int8 / uint8 / int16 with bias, multiplier, zero point and clamp (scalar reference)
//   simd.hpp          qlin::simd:: the same kernels on xsimd, bit-exact to the reference (the only
//                     header here that includes xsimd; it falls back to scalar without it)
//   observers.hpp     MinMax, moving average, per-channel, histogram (L2 / MSE / entropy / percentile), ADMM
//   fake_quant.hpp    fake quantization forward / backward (STE) and LSQ, as torch 1.13
//   metrics.hpp       MSE, SQNR, cosine, max error; streaming, no allocation
//   binary.hpp        binary (sign + scale) and ternary quantization, XNOR-popcount dot
//   power_of_two.hpp  power-of-two (dynamic fixed point) and logarithmic quantization
//   gemm.hpp          int8 x int8 -> int32 dot / GEMV / GEMM with zero-point correction, fused output stage
//   int4.hpp          int4 / uint4 packing (low nibble first), per-group weights, W4A8 dot
//   dfq.hpp           data-free quantization: cross-layer equalization, bias correction
#ifndef QLIN_QUANT_HPP_
#define QLIN_QUANT_HPP_

#include "binary.hpp"
#include "config.hpp"
#include "dfq.hpp"
#include "dtype.hpp"
#include "fake_quant.hpp"
#include "fixed_point.hpp"
#include "gemm.hpp"
#include "int4.hpp"
#include "metrics.hpp"
#include "observers.hpp"
#include "params.hpp"
#include "power_of_two.hpp"
#include "quantize.hpp"
#include "requantize.hpp"
#include "result.hpp"
#include "rounding.hpp"
#include "simd.hpp"

#endif  // QLIN_QUANT_HPP_
