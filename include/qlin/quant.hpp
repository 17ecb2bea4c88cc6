// quant.hpp: the umbrella header. `#include <qlin/quant.hpp>` brings all of qlin.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// Layers, each usable alone (see docs/arithmetic.md):
//   result.hpp       result<T> / errc: value-or-error, usable with -fno-exceptions
//   dtype.hpp        dtypes and integer ranges (full, narrow, reduce_range, custom)
//   rounding.hpp     round_half_even / half_away / half_up, exact for every float
//   params.hpp       scale and zero point from (min, max): pytorch, tflite, gemmlowp, xnnpack presets
//   fixed_point.hpp  real multiplier -> (Q31 mantissa, shift); SRDHM, rounding_divide_by_pot
//   quantize.hpp     quantize / dequantize, per tensor and per channel
//   requantize.hpp   int32 -> int8 / uint8 / int16 with bias, multiplier, zero point and clamp
#ifndef QLIN_QUANT_HPP_
#define QLIN_QUANT_HPP_

#include "config.hpp"
#include "dtype.hpp"
#include "fixed_point.hpp"
#include "observers.hpp"
#include "params.hpp"
#include "quantize.hpp"
#include "requantize.hpp"
#include "result.hpp"
#include "rounding.hpp"

#endif  // QLIN_QUANT_HPP_
