// observers.hpp: all of qlin's observers (streaming statistics -> quantization parameters).
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
//   observers/reduce.hpp       the finite min / max reduction (vectorized; NaN / Inf skipped and counted)
//   observers/serialize.hpp    the versioned byte format ("QLOB") of observer states
//   observers/minmax.hpp       minmax_observer, moving_average_minmax_observer (PyTorch's, per tensor)
//   observers/per_channel.hpp  per_channel_minmax_observer, per_channel_moving_average_minmax_observer
//   observers/entropy.hpp      tensorrt_entropy_amax, percentile_amax, onnxruntime_entropy_threshold,
//                              onnxruntime_percentile_range on a fixed (counts, edges) histogram
//   observers/onnxruntime.hpp  ort_histogram_observer (ONNX Runtime's signed entropy histogram)
//   observers/histogram.hpp    histogram_observer (exact, mergeable), torch_histogram_observer (torch 1.13),
//                              abs_histogram_observer (TensorRT); torch L2 / mse / percentile / entropy
//   observers/admm.hpp         admm_scale(s): MNN's ADMM weight-range optimization (per channel)
//
// Every observer: observe(batch...), merge(other) -> status, calculate_qparams(qparams_options)
// -> result<...>, serialize() -> bytes, static deserialize(bytes) -> result<observer>.
#ifndef QLIN_OBSERVERS_HPP_
#define QLIN_OBSERVERS_HPP_

#include "observers/admm.hpp"
#include "observers/entropy.hpp"
#include "observers/histogram.hpp"
#include "observers/minmax.hpp"
#include "observers/onnxruntime.hpp"
#include "observers/per_channel.hpp"
#include "observers/reduce.hpp"
#include "observers/serialize.hpp"

#endif  // QLIN_OBSERVERS_HPP_
