// demo.cpp: a small real model, trained in FP32 and run end to end in INT8; README's first command runs it.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
//   demo [digits.csv]     (default: data/digits.csv next to this source file)
//
// 1. Data: the UCI handwritten digits (8x8, pixels 0..16; examples/data/README.md), 1200 train / 597 test.
// 2. FP32: a 64 -> 64 -> 10 MLP (ReLU, softmax cross-entropy, Adam), trained here with a fixed seed.
// 3. Calibration: the input x, hidden h and logits z of 256 training images go to every observer.
// 4. INT8: per-channel symmetric int8 weights, int32 biases, then integers only: u8 / s8 activations x s8
//    weights -> int32 with zero-point correction -> requantize_rows (Q31 multipliers, ReLU as a clamp) ->
//    next layer; argmax of the int8 logits.
// 5. DFQ: per-tensor int8 weights without and with cross-layer equalization and bias correction (qlin/dfq.hpp),
//    on the trained model and on a copy with batch-norm-like channel scales folded in.
// One row per observer (accuracy, SQNR per layer, size, time), then the DFQ table; exit status 1 unless the best
// INT8 accuracy is within 1 point of FP32 and equalization behaves as docs/demo.md section 9 says, 2 if the data
// is missing. docs/demo.md explains each step.
#include <qlin/gemm.hpp>
#include <qlin/quant.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using std::size_t;
constexpr size_t kPixels = 64, kHidden = 64, kClasses = 10;

// ----- 1. Data ----------------------------------------------------------------------------------------------

struct dataset {
  std::vector<float> x;  // [n][64]: pixel / 16, in [0, 1]
  std::vector<int> y;    // [n]: 0..9
  size_t size() const { return y.size(); }
};

// Reads "label,p0,...,p63" lines ('#' starts a comment line). False if the file is missing or malformed.
bool load_csv(const std::string& path, dataset& d) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    int v = 0;
    char comma = ',';
    if (!(s >> v) || v < 0 || v > 9) return false;
    d.y.push_back(v);
    for (size_t k = 0; k < kPixels; ++k) {
      if (!(s >> comma >> v) || comma != ',' || v < 0 || v > 16) return false;
      d.x.push_back(static_cast<float>(v) / 16.0f);
    }
  }
  return !d.y.empty();
}

// data/digits.csv beside this source file (__FILE__ is the path the build compiled it from).
std::string default_csv_path() {
  const std::string self = __FILE__;
  const size_t slash = self.find_last_of("/\\");
  return (slash == std::string::npos ? std::string() : self.substr(0, slash + 1)) + "data/digits.csv";
}

// splitmix64: the same numbers on every platform (the <random> distributions are not portable).
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }  // [0, 1)
  template <class T>
  void shuffle(std::vector<T>& v) {  // Fisher-Yates
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(next() % i)]);
  }
};

// ----- 2. The FP32 model ------------------------------------------------------------------------------------

struct dense {
  size_t in = 0, out = 0;
  std::vector<float> w, b;  // w[out][in] (PyTorch's Linear layout: one row per output channel), b[out]
};

// y[m][out] = b + x[m][in] w^T (+ ReLU). Loops k, then the outputs, on w transposed: the inner loop vectorizes
// without reordering float sums.
void forward(const dense& l, const float* x, size_t rows, bool relu, float* y) {
  std::vector<float> wt(l.w.size());
  for (size_t i = 0; i < l.w.size(); ++i) wt[(i % l.in) * l.out + i / l.in] = l.w[i];
  for (size_t r = 0; r < rows; ++r) {
    float* yr = y + r * l.out;
    std::copy(l.b.begin(), l.b.end(), yr);
    for (size_t k = 0; k < l.in; ++k)
      for (size_t o = 0; o < l.out; ++o) yr[o] += x[r * l.in + k] * wt[k * l.out + o];
    if (relu) std::for_each(yr, yr + l.out, [](float& v) { v = std::max(v, 0.0f); });
  }
}

struct mlp {
  dense l1, l2;
  // Hidden activations h (after ReLU) and logits z of `rows` images.
  void run(const float* x, size_t rows, std::vector<float>& h, std::vector<float>& z) const {
    h.resize(rows * kHidden), z.resize(rows * kClasses);
    forward(l1, x, rows, true, h.data());
    forward(l2, h.data(), rows, false, z.data());
  }
};

template <class T>
double accuracy(const std::vector<T>& logits, const dataset& d) {  // argmax; the first of equal maxima wins
  size_t hit = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    const T* z = &logits[i * kClasses];
    hit += std::max_element(z, z + kClasses) - z == d.y[i];
  }
  return 100.0 * static_cast<double>(hit) / static_cast<double>(d.size());
}

struct adam {  // one parameter vector's moments
  std::vector<float> m, v;
  void step(std::vector<float>& p, const std::vector<float>& g, float lr, int t) {
    m.resize(p.size()), v.resize(p.size());
    const float c1 = 1.0f - std::pow(0.9f, static_cast<float>(t)), c2 = 1.0f - std::pow(0.999f, static_cast<float>(t));
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = 0.9f * m[i] + 0.1f * g[i];
      v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
      p[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + 1e-8f);
    }
  }
};

// Adds the gradients of y = x w^T + b for one sample, given dL/dy, to g; and dL/dx to dx unless it is null.
void backward(const dense& l, const float* x, const float* dy, dense& g, float* dx) {
  for (size_t o = 0; o < l.out; ++o) {
    g.b[o] += dy[o];
    for (size_t k = 0; k < l.in; ++k) {
      g.w[o * l.in + k] += dy[o] * x[k];
      if (dx != nullptr) dx[k] += dy[o] * l.w[o * l.in + k];
    }
  }
}

// Softmax cross-entropy, minibatches of 32, Adam (lr 3e-3, 3e-4 in the last third), He-uniform initialization.
mlp train(const dataset& d, int epochs, rng& g) {
  mlp net;
  auto init = [&](dense& l, size_t in, size_t out) {
    const double a = std::sqrt(6.0 / static_cast<double>(in));
    l.in = in, l.out = out, l.w.resize(in * out), l.b.assign(out, 0.0f);
    for (float& w : l.w) w = static_cast<float>(a * (2.0 * g.uniform() - 1.0));
  };
  init(net.l1, kPixels, kHidden), init(net.l2, kHidden, kClasses);
  dense g1 = net.l1, g2 = net.l2;  // gradients, same shapes
  adam opt[4];
  std::vector<size_t> order(d.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<float> xb, h, z;
  int t = 0;
  for (int e = 0; e < epochs; ++e) {
    g.shuffle(order);
    const float lr = e < epochs * 2 / 3 ? 3e-3f : 3e-4f;
    for (size_t s = 0; s < order.size(); s += 32) {
      const size_t B = std::min<size_t>(32, order.size() - s);
      xb.resize(B * kPixels);
      for (size_t i = 0; i < B; ++i) std::copy_n(&d.x[order[s + i] * kPixels], kPixels, &xb[i * kPixels]);
      net.run(xb.data(), B, h, z);
      g1.w.assign(g1.w.size(), 0.0f), g1.b.assign(kHidden, 0.0f), g2.w.assign(g2.w.size(), 0.0f),
          g2.b.assign(kClasses, 0.0f);
      for (size_t i = 0; i < B; ++i) {
        const float* zi = &z[i * kClasses];
        const float* hi = &h[i * kHidden];
        float dz[kClasses], dh[kHidden] = {}, sum = 0.0f;  // dL/dz = (softmax(z) - onehot) / B
        const float zmax = *std::max_element(zi, zi + kClasses);
        for (size_t c = 0; c < kClasses; ++c) sum += (dz[c] = std::exp(zi[c] - zmax));
        for (size_t c = 0; c < kClasses; ++c)
          dz[c] = (dz[c] / sum - (static_cast<int>(c) == d.y[order[s + i]] ? 1.0f : 0.0f)) / static_cast<float>(B);
        backward(net.l2, hi, dz, g2, dh);
        for (size_t j = 0; j < kHidden; ++j) dh[j] = hi[j] > 0.0f ? dh[j] : 0.0f;  // through the ReLU
        backward(net.l1, &xb[i * kPixels], dh, g1, nullptr);
      }
      ++t;
      opt[0].step(net.l1.w, g1.w, lr, t), opt[1].step(net.l1.b, g1.b, lr, t);
      opt[2].step(net.l2.w, g2.w, lr, t), opt[3].step(net.l2.b, g2.b, lr, t);
    }
  }
  return net;
}

// ----- 3. Calibration ---------------------------------------------------------------------------------------

// entropy_x_minmax: TensorRT's entropy search for h and z, but x's observed max |x| for the input (see docs/demo.md).
enum class observer { minmax, moving_average, histogram_l2, mse, percentile, entropy, entropy_x_minmax };
const char* const kObserverNames[] = {"minmax",           "moving-average",     "histogram (L2)",   "mse",
                                      "percentile 99.99", "entropy (TensorRT)", "entropy, x minmax"};

struct tensor_observers {  // every observer, fed the same batches of one activation tensor
  qlin::minmax_observer minmax;
  qlin::moving_average_minmax_observer moving;  // torch's default averaging constant, 0.01
  qlin::histogram_observer hist;                // exact histogram: torch's L2 search, qlin's mse, percentile
  qlin::abs_histogram_observer abs_hist;        // TensorRT's |x| histogram for the entropy (KL) search

  void observe(const float* v, size_t n) {
    minmax.observe(v, n), moving.observe(v, n), hist.observe(v, n), abs_hist.observe(v, n);
  }
  qlin::result<qlin::quant_params> params(observer o, bool input) const {
    qlin::qparams_options opt;
    opt.type = qlin::dtype::uint8;
    switch (o) {
      case observer::minmax: return minmax.calculate_qparams(opt);
      case observer::moving_average: return moving.calculate_qparams(opt);
      case observer::histogram_l2: return hist.calculate_qparams(qlin::histogram_method::histogram, opt);
      case observer::mse: return hist.calculate_qparams(qlin::histogram_method::mse, opt);
      case observer::percentile: return hist.calculate_qparams(qlin::histogram_method::percentile, opt, 99.99);
      case observer::entropy:
      case observer::entropy_x_minmax: break;
    }
    const qlin::result<float> amax = o == observer::entropy_x_minmax && input
                                         ? qlin::result<float>(std::max(-minmax.min(), minmax.max()))
                                         : abs_hist.entropy_amax();  // TensorRT defaults: int8, candidates from bin 128
    if (!amax) return amax.error();
    opt.type = qlin::dtype::int8, opt.scheme = qlin::qscheme::symmetric, opt.range.narrow = true;
    return qlin::choose_qparams(-*amax, *amax, opt);
  }
};

// ----- 4. Integer inference ---------------------------------------------------------------------------------

// The integer matmul (qlin/gemm.hpp): acc[m][n] = sum_k (x[m][k] - zx) * (w[n][k] - zw[n]) in int32, for uint8
// or int8 activations; the zero-point terms use row sums of w computed once by qlin::pack_weights_s8.
qlin::status gemm(const std::uint8_t* x, size_t m, size_t k, std::int32_t zx, const qlin::packed_weights_s8& w,
                  std::int32_t* acc) {
  return qlin::gemm_u8s8_s32(x, m, k, zx, w, acc);
}
qlin::status gemm(const std::int8_t* x, size_t m, size_t k, std::int32_t zx, const qlin::packed_weights_s8& w,
                  std::int32_t* acc) {
  return qlin::gemm_s8s8_s32(x, m, k, zx, w, acc);
}

struct qlayer {                            // one quantized layer
  qlin::per_channel_params wp;             // weight scales sw[n], zero points 0 (symmetric)
  qlin::packed_weights_s8 w;               // int8 codes, packed for the GEMM
  std::vector<std::int32_t> bias;          // round_half_even(b[n] / (sx * sw[n]))
  qlin::per_channel_requantize_params rq;  // M[n] = sx * sw[n] / sy as Q31 mantissa + shift, and the clamp
};

// Quantizes `l` between input parameters xp and output parameters yp; `relu` becomes the clamp's lower end.
// Weights per output channel, or with one scale for the whole tensor (every channel gets the tensor's range).
qlin::result<qlayer> quantize_layer(const dense& l, qlin::quant_params xp, qlin::quant_params yp, bool relu,
                                    bool per_tensor = false) {
  qlayer q;
  std::vector<float> lo(l.out), hi(l.out);
  for (size_t o = 0; o < l.out; ++o) {
    const auto mm = std::minmax_element(&l.w[o * l.in], &l.w[o * l.in] + l.in);
    lo[o] = *mm.first, hi[o] = *mm.second;
  }
  if (per_tensor) {
    const auto mm = std::minmax_element(l.w.begin(), l.w.end());
    lo.assign(l.out, *mm.first), hi.assign(l.out, *mm.second);
  }
  qlin::qparams_options wopt;  // int8 symmetric narrow: scale = max |w| / 127, codes -127..127
  wopt.scheme = qlin::qscheme::symmetric, wopt.range.narrow = true;
  auto wp = qlin::choose_qparams_per_channel(lo.data(), hi.data(), l.out, wopt);
  if (!wp) return wp.error();
  q.wp = *wp;
  std::vector<std::int8_t> codes(l.w.size());
  qlin::quantize_per_channel(l.w.data(), 1, l.out, l.in, codes.data(), q.wp);  // [outer 1][channels][inner]
  auto packed = qlin::pack_weights_s8(codes.data(), l.out, l.in, q.wp.zero_points.data());
  auto bias = qlin::quantize_bias(l.b.data(), l.out, xp.scale, q.wp.scales.data());  // in the scale sx * sw[n]
  if (!packed || !bias) return !packed ? packed.error() : bias.error();
  q.w = std::move(*packed), q.bias = std::move(*bias);
  const auto clamp = relu ? qlin::make_activation_range(yp.scale, yp.zero_point, yp.range(), 0.0f,
                                                        std::numeric_limits<float>::infinity())
                          : qlin::result<qlin::qrange>(yp.range());
  if (!clamp) return clamp.error();
  auto rq = qlin::make_requantize_params_per_channel(xp.scale, q.wp.scales.data(), l.out, yp.scale, yp.zero_point,
                                                     *clamp, qlin::requant_rounding::double_rounding);
  if (!rq) return rq.error();
  q.rq = *rq;
  return q;
}

template <class F>
double time_ms(F&& f) {  // the fastest of 20 runs, in milliseconds
  double best = 1e30;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

struct row {
  double acc = 0, sqnr[3] = {0, 0, 0}, ms = 0;
};

// Quantizes the model with observer o's parameters and runs the test set in integers; T is the activation
// code type: uint8_t (affine) or int8_t (symmetric).
template <class T>
qlin::result<row> evaluate(const mlp& net, const tensor_observers (&obs)[3], observer o, const dataset& test,
                           const std::vector<float>& h_ref, const std::vector<float>& z_ref,
                           bool per_tensor_weights = false) {
  const auto px = obs[0].params(o, true), ph = obs[1].params(o, false), pz = obs[2].params(o, false);
  if (!px || !ph || !pz) return !px ? px.error() : !ph ? ph.error() : pz.error();
  const auto l1 = quantize_layer(net.l1, *px, *ph, true, per_tensor_weights),
             l2 = quantize_layer(net.l2, *ph, *pz, false, per_tensor_weights);
  if (!l1 || !l2) return !l1 ? l1.error() : l2.error();
  const size_t m = test.size();
  std::vector<T> xq(m * kPixels), hq(m * kHidden), zq(m * kClasses);
  std::vector<std::int32_t> acc(m * kHidden);
  qlin::status s = qlin::ok();
  auto run = [&] {  // quantize the input (qlin::simd::quantize: the bits of qlin::quantize), then integers only
    qlin::simd::quantize(test.x.data(), xq.size(), xq.data(), *px);
    if (!(s = gemm(xq.data(), m, kPixels, px->zero_point, l1->w, acc.data()))) return;
    qlin::simd::requantize_rows(acc.data(), m, kHidden, l1->bias.data(), hq.data(), l1->rq);
    if (!(s = gemm(hq.data(), m, kHidden, ph->zero_point, l2->w, acc.data()))) return;
    qlin::simd::requantize_rows(acc.data(), m, kClasses, l2->bias.data(), zq.data(), l2->rq);
  };
  row r;
  r.ms = time_ms(run);
  if (!s) return s.error();
  r.acc = accuracy(zq, test);
  qlin::error_stats e[3];  // each layer's dequantized codes against the FP32 activations (errors accumulate)
  e[0].add_dequantized(test.x.data(), xq.data(), xq.size(), *px);
  e[1].add_dequantized(h_ref.data(), hq.data(), hq.size(), *ph);
  e[2].add_dequantized(z_ref.data(), zq.data(), zq.size(), *pz);
  for (int i = 0; i < 3; ++i) r.sqnr[i] = e[i].sqnr_db();
  return r;
}

// ----- 5. Data-free quantization ----------------------------------------------------------------------------

// 8 batches of 32 training images through the FP32 model; x, h and z to every observer. With `mean_x` and `mean_h`
// not null, also each layer's mean input over those 256 images, E[x] and E[h], for bias correction.
void calibrate(const mlp& net, const dataset& train, tensor_observers (&obs)[3], std::vector<float>* mean_x = nullptr,
               std::vector<float>* mean_h = nullptr) {
  std::vector<float> h, z;
  std::vector<double> sx(kPixels), sh(kHidden);
  for (size_t b = 0; b < 8; ++b) {
    const float* xb = &train.x[b * 32 * kPixels];
    net.run(xb, 32, h, z);
    obs[0].observe(xb, 32 * kPixels), obs[1].observe(h.data(), h.size()), obs[2].observe(z.data(), z.size());
    for (size_t i = 0; i < 32 * kPixels; ++i) sx[i % kPixels] += double{xb[i]};
    for (size_t i = 0; i < h.size(); ++i) sh[i % kHidden] += double{h[i]};
  }
  if (mean_x != nullptr && mean_h != nullptr) {
    mean_x->clear(), mean_h->clear();
    for (double v : sx) mean_x->push_back(static_cast<float>(v / 256.0));
    for (double v : sh) mean_h->push_back(static_cast<float>(v / 256.0));
  }
}

// dequantize(quantize(w)) with quantize_layer's weight parameters (int8 symmetric narrow, max |w| / 127 per output
// channel or per tensor): the weights the integer model computes with, as floats.
qlin::result<std::vector<float>> weight_roundtrip(const dense& l, bool per_tensor) {
  std::vector<float> r(l.w.size());
  std::vector<std::int8_t> q(l.w.size());
  qlin::qparams_options opt;
  opt.scheme = qlin::qscheme::symmetric, opt.range.narrow = true;
  const size_t rows = per_tensor ? 1 : l.out, cols = l.w.size() / rows;
  for (size_t i = 0; i < rows; ++i) {
    const auto mm = std::minmax_element(&l.w[i * cols], &l.w[i * cols] + cols);
    const auto p = qlin::choose_qparams(*mm.first, *mm.second, opt);
    if (!p) return p.error();
    qlin::quantize(&l.w[i * cols], cols, &q[i * cols], *p), qlin::dequantize(&q[i * cols], cols, &r[i * cols], *p);
  }
  return r;
}

struct dfq_row {
  double fp32_acc = 0, w_sqnr[2] = {0, 0}, spread = 0;
  row r;
};

// One row of the DFQ table: the model `base`, optionally equalized (qlin::equalize_cross_layer of l1, ReLU, l2),
// recalibrated (minmax, uint8 affine activations), its weights int8 per tensor or per channel, optionally with
// bias correction (qlin::correct_bias with E[x], E[h] of the calibration images), run in integers.
qlin::result<dfq_row> evaluate_dfq(const mlp& base, bool cle, bool per_tensor, bool bias_correction,
                                   const dataset& train, const dataset& test) {
  mlp m = base;
  if (cle) {
    const qlin::status st =
        qlin::equalize_cross_layer(m.l1.w.data(), m.l1.b.data(), kHidden, kPixels, m.l2.w.data(), kClasses);
    if (!st) return st.error();
  }
  dfq_row out;
  std::vector<float> h_ref, z_ref;  // the FP32 model that is quantized (h changes with CLE, z does not)
  m.run(test.x.data(), test.size(), h_ref, z_ref);
  out.fp32_acc = accuracy(z_ref, test);
  std::vector<float> r1(kHidden);
  const qlin::status ranges = qlin::row_abs_max(m.l1.w.data(), kHidden, kPixels, r1.data());
  if (!ranges) return ranges.error();
  out.spread = double{*std::max_element(r1.begin(), r1.end()) / *std::min_element(r1.begin(), r1.end())};
  const auto w1 = weight_roundtrip(m.l1, per_tensor), w2 = weight_roundtrip(m.l2, per_tensor);
  if (!w1 || !w2) return !w1 ? w1.error() : w2.error();
  out.w_sqnr[0] = qlin::sqnr_db(m.l1.w.data(), w1->data(), w1->size());
  out.w_sqnr[1] = qlin::sqnr_db(m.l2.w.data(), w2->data(), w2->size());
  tensor_observers obs[3];
  std::vector<float> mean_x, mean_h;
  calibrate(m, train, obs, &mean_x, &mean_h);
  mlp q = m;
  if (bias_correction) {  // b <- b - (W_q - W) E[input]; then calibrate the corrected model
    qlin::correct_bias(m.l1.w.data(), w1->data(), kHidden, kPixels, mean_x.data(), q.l1.b.data());
    qlin::correct_bias(m.l2.w.data(), w2->data(), kClasses, kHidden, mean_h.data(), q.l2.b.data());
    tensor_observers recalibrated[3];
    calibrate(q, train, recalibrated);
    const auto r = evaluate<std::uint8_t>(q, recalibrated, observer::minmax, test, h_ref, z_ref, per_tensor);
    if (!r) return r.error();
    out.r = *r;
    return out;
  }
  const auto r = evaluate<std::uint8_t>(q, obs, observer::minmax, test, h_ref, z_ref, per_tensor);
  if (!r) return r.error();
  out.r = *r;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const auto t_start = std::chrono::steady_clock::now();
  const std::string path = argc > 1 ? argv[1] : default_csv_path();
  dataset all, train_set, test;
  if (!load_csv(path, all))
    return std::fprintf(stderr, "demo: cannot read %s (examples/data/extract_digits.py writes it)\n", path.c_str()), 2;
  rng g{20260101};  // a fixed seed: the same split, weights and table on every run
  std::vector<size_t> idx(all.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  g.shuffle(idx);
  for (size_t i = 0; i < idx.size(); ++i) {
    dataset& d = i < 1200 ? train_set : test;
    d.y.push_back(all.y[idx[i]]);
    d.x.insert(d.x.end(), &all.x[idx[i] * kPixels], &all.x[idx[i] * kPixels] + kPixels);
  }

  const mlp net = train(train_set, 20, g);
  std::vector<float> h_ref, z_ref;
  const double fp32_ms = time_ms([&] { net.run(test.x.data(), test.size(), h_ref, z_ref); });
  const double fp32_acc = accuracy(z_ref, test);
  std::printf("digits: %zu images (%zu train, %zu test); MLP 64-64-10 trained in FP32: test accuracy %.2f%%\n",
              all.size(), train_set.size(), test.size(), fp32_acc);

  // DFQ-readiness: the spread of per-channel weight scales in each layer (a per-tensor scale would have to
  // cover the widest channel; cross-layer equalization evens them out).
  for (const dense* l : {&net.l1, &net.l2}) {
    const auto q = quantize_layer(*l, qlin::quant_params{}, qlin::quant_params{}, false);
    if (!q) return std::printf("weight quantization failed: %s\n", q.error().message), 1;
    const auto mm = std::minmax_element(q->wp.scales.begin(), q->wp.scales.end());
    std::printf("layer %zux%zu: per-channel weight scales %.3g .. %.3g (max / min %.1f)\n", l->out, l->in,
                double{*mm.first}, double{*mm.second}, double{*mm.second / *mm.first});
  }

  // Calibration: 8 batches of 32 training images through the FP32 model; x, h and z to every observer.
  tensor_observers obs[3];
  calibrate(net, train_set, obs);

  // Size: FP32 weights + biases vs int8 weights + int32 biases + a Q31 multiplier and shift (2 x int32) per channel.
  const size_t weights = net.l1.w.size() + net.l2.w.size(), channels = kHidden + kClasses;
  const size_t fp32_bytes = 4 * (weights + channels), int8_bytes = weights + 4 * channels + 8 * channels;

  std::printf("\n%-18s %7s %7s  %-23s  %-15s  %s\n", "observer", "FP32 %", "INT8 %", "SQNR dB: x / h / z",
              "bytes FP32/INT8", "ms FP32/INT8");
  double best = -1.0;
  for (int i = 0; i < 7; ++i) {  // TensorRT's entropy: int8 symmetric codes; the others: uint8 affine
    const observer o = static_cast<observer>(i);
    const auto r = o >= observer::entropy ? evaluate<std::int8_t>(net, obs, o, test, h_ref, z_ref)
                                          : evaluate<std::uint8_t>(net, obs, o, test, h_ref, z_ref);
    if (!r) {
      std::printf("%-18s error: %s\n", kObserverNames[i], r.error().message);
      continue;
    }
    best = std::max(best, r->acc);
    std::printf("%-18s %7.2f %7.2f  %5.1f / %5.1f / %5.1f    %5zu / %5zu    %5.3f / %5.3f\n", kObserverNames[i],
                fp32_acc, r->acc, r->sqnr[0], r->sqnr[1], r->sqnr[2], fp32_bytes, int8_bytes, fp32_ms, r->ms);
  }
  const bool ok = best >= fp32_acc - 1.0;
  std::printf("\nbest INT8 accuracy %.2f%%, FP32 %.2f%%: %s\n", best, fp32_acc,
              ok ? "within 1 point" : "FAIL: more than 1 point lower");

  // Data-free quantization: one int8 scale per weight tensor instead of one per channel, without and with
  // cross-layer equalization (CLE) and bias correction; on the trained model, and on a copy whose hidden channels
  // were rescaled as folding a batch norm (gamma_c / sigma_c) does: W1[c, :], b1[c] times f_c = 2^((7c mod 9) - 4),
  // W2[:, c] / f_c. Powers of two: the same FP32 function, bit for bit, but channel ranges 2^8 apart.
  mlp folded = net;
  for (size_t c = 0; c < kHidden; ++c) {
    const float f = std::ldexp(1.0f, static_cast<int>((7 * c) % 9) - 4);
    folded.l1.b[c] *= f;
    for (size_t k = 0; k < kPixels; ++k) folded.l1.w[c * kPixels + k] *= f;
    for (size_t o = 0; o < kClasses; ++o) folded.l2.w[o * kHidden + c] /= f;
  }
  std::printf("\n%-33s %7s %7s  %-23s  %-17s  %s\n", "DFQ: int8 weights (minmax acts)", "FP32 %", "INT8 %",
              "SQNR dB: x / h / z", "W SQNR: W1 / W2", "W1 ranges max/min");
  struct {
    const char* name;
    bool folded, cle, per_tensor, bias_correction;
  } const variants[] = {
      {"trained, per-channel", false, false, false, false}, {"trained, per-tensor", false, false, true, false},
      {"trained + CLE, per-tensor", false, true, true, false}, {"trained + CLE + bias corr.", false, true, true, true},
      {"BN-folded, per-channel", true, false, false, false},  {"BN-folded, per-tensor", true, false, true, false},
      {"BN-folded + CLE, per-tensor", true, true, true, false}, {"BN-folded + CLE + bias corr.", true, true, true, true}};
  double acc[8] = {};
  bool dfq_ok = true;
  for (int i = 0; i < 8; ++i) {
    const auto& v = variants[i];
    const auto d = evaluate_dfq(v.folded ? folded : net, v.cle, v.per_tensor, v.bias_correction, train_set, test);
    if (!d) {
      std::printf("%-33s FAIL: %s\n", v.name, d.error().message);
      dfq_ok = false;
      continue;
    }
    acc[i] = d->r.acc;
    std::printf("%-33s %7.2f %7.2f  %5.1f / %5.1f / %5.1f    %5.1f / %5.1f     %8.1f\n", v.name, d->fp32_acc, d->r.acc,
                d->r.sqnr[0], d->r.sqnr[1], d->r.sqnr[2], d->w_sqnr[0], d->w_sqnr[1], d->spread);
  }
  // What the test checks: with one scale per weight tensor, equalizing never costs accuracy, and on the BN-folded
  // model it brings INT8 back to within 1 point of FP32 (where per-tensor, and even per-channel, weights are not).
  for (int base : {0, 4}) {
    if (dfq_ok && acc[base + 2] < acc[base + 1]) {
      std::printf("FAIL: %s loses accuracy to %s\n", variants[base + 2].name, variants[base + 1].name);
      dfq_ok = false;
    }
  }
  if (dfq_ok && acc[6] < fp32_acc - 1.0) {
    std::printf("FAIL: %s is more than 1 point below FP32\n", variants[6].name);
    dfq_ok = false;
  }
  std::printf("\n%.2f s in all\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count());
  return ok && dfq_ok ? 0 : 1;
}
