// dfq_digits.cpp: cross-layer equalization (qlin/dfq.hpp) makes per-tensor weight quantization of a digits MLP work.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
//   dfq_digits [digits.csv]     (default: data/digits.csv next to this source file)
// Trains a 64-64-10 ReLU MLP as demo.cpp does, gives its hidden channels very different ranges as folding a batch
// norm does (FP32 function unchanged), then quantizes only the weights (activations stay FP32), symmetric int8 /
// int4: per tensor before and after cross-layer equalization (+ bias correction), per channel for reference.
// Exit status 0 unless something fails inside (2: no data). Deterministic; well under a second.
#include <qlin/dfq.hpp>
#include <qlin/metrics.hpp>
#include <qlin/quantize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {
using std::size_t;
constexpr size_t kPixels = 64, kHidden = 64, kClasses = 10;

struct dataset {
  std::vector<float> x;  // [n][64]: pixel / 16
  std::vector<int> y;
};
bool load_csv(const std::string& path, dataset& d) {  // "label,p0,...,p63"; '#' starts a comment line
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream s(line);
    int v[1 + kPixels];
    for (int& e : v)
      if (!(s >> e) || e < 0 || e > (&e == v ? 9 : 16)) return false;  // a label 0..9, then pixels 0..16
    d.y.push_back(v[0]);
    for (size_t k = 1; k <= kPixels; ++k) d.x.push_back(static_cast<float>(v[k]) / 16.0f);
  }
  return !d.y.empty();
}
using rng = std::mt19937_64;  // its output is fixed by the C++ standard (the <random> distributions are not)
void shuffle(std::vector<size_t>& v, rng& g) {  // Fisher-Yates
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(g() % i)]);
}
struct dense {
  size_t in = 0, out = 0;
  std::vector<float> w, b;  // w[out][in], b[out]
};
struct mlp {
  dense l1, l2;  // y = l2(relu(l1(x)))
};
void forward(const dense& l, const float* x, bool relu, float* y) {  // one sample
  for (size_t o = 0; o < l.out; ++o) {
    float s = l.b[o];
    for (size_t k = 0; k < l.in; ++k) s += l.w[o * l.in + k] * x[k];
    y[o] = relu ? std::max(s, 0.0f) : s;
  }
}
mlp train(const dataset& d, int epochs, rng& g) {  // demo.cpp's recipe: He init, cross-entropy, Adam, batches of 32
  mlp n;
  const size_t dims[3] = {kPixels, kHidden, kClasses};
  for (dense* l : {&n.l1, &n.l2}) {
    const size_t i = l == &n.l1 ? 0 : 1;
    l->in = dims[i], l->out = dims[i + 1], l->b.assign(dims[i + 1], 0.0f);
    for (size_t k = 0; k < dims[i] * dims[i + 1]; ++k)
      l->w.push_back(static_cast<float>(std::sqrt(6.0 / static_cast<double>(dims[i])) *
                                        (2 * static_cast<double>(g() >> 11) * 0x1p-53 - 1)));
  }
  std::vector<float>* p[4] = {&n.l1.w, &n.l1.b, &n.l2.w, &n.l2.b};
  std::vector<float> gr[4], m[4], v[4];
  for (int i = 0; i < 4; ++i) m[i].assign(p[i]->size(), 0.0f), v[i].assign(p[i]->size(), 0.0f);
  std::vector<size_t> order(d.y.size());
  std::iota(order.begin(), order.end(), size_t{0});
  for (int e = 0, t = 1; e < epochs; ++e) {
    shuffle(order, g);
    const float lr = e < epochs * 2 / 3 ? 3e-3f : 3e-4f;
    for (size_t s = 0; s < order.size(); s += 32, ++t) {
      const size_t B = std::min<size_t>(32, order.size() - s);
      for (int i = 0; i < 4; ++i) gr[i].assign(p[i]->size(), 0.0f);
      for (size_t j = 0; j < B; ++j) {
        const float* x = &d.x[order[s + j] * kPixels];
        float h[kHidden], z[kClasses], dh[kHidden] = {}, sum = 0.0f;
        forward(n.l1, x, true, h), forward(n.l2, h, false, z);
        const float zmax = *std::max_element(z, z + kClasses);
        for (float& zi : z) sum += (zi = std::exp(zi - zmax));
        for (size_t c = 0; c < kClasses; ++c) {  // dL/dz = (softmax - onehot) / B, then through l2 and the ReLU
          const float dz =
              (z[c] / sum - (static_cast<int>(c) == d.y[order[s + j]] ? 1.0f : 0.0f)) / static_cast<float>(B);
          gr[3][c] += dz;
          for (size_t k = 0; k < kHidden; ++k)
            gr[2][c * kHidden + k] += dz * h[k], dh[k] += dz * n.l2.w[c * kHidden + k];
        }
        for (size_t o = 0; o < kHidden; ++o) {
          gr[1][o] += h[o] > 0.0f ? dh[o] : 0.0f;
          for (size_t k = 0; k < kPixels && h[o] > 0.0f; ++k) gr[0][o * kPixels + k] += dh[o] * x[k];
        }
      }
      const float c1 = 1.0f - std::pow(0.9f, static_cast<float>(t)),
                  c2 = 1.0f - std::pow(0.999f, static_cast<float>(t));
      for (int i = 0; i < 4; ++i)
        for (size_t k = 0; k < p[i]->size(); ++k) {
          m[i][k] = 0.9f * m[i][k] + 0.1f * gr[i][k], v[i][k] = 0.999f * v[i][k] + 0.001f * gr[i][k] * gr[i][k];
          (*p[i])[k] -= lr * (m[i][k] / c1) / (std::sqrt(v[i][k] / c2) + 1e-8f);
        }
    }
  }
  return n;
}
// Test accuracy; with `mx`, `mh` non-null, instead the mean inputs E[x], E[h] of the two layers over d.
double run(const mlp& n, const dataset& d, std::vector<float>* mx = nullptr, std::vector<float>* mh = nullptr) {
  size_t hit = 0;
  float h[kHidden], z[kClasses];
  std::vector<double> sx(kPixels), sh(kHidden);
  for (size_t i = 0; i < d.y.size(); ++i) {
    forward(n.l1, &d.x[i * kPixels], true, h), forward(n.l2, h, false, z);
    hit += std::max_element(z, z + kClasses) - z == d.y[i];
    for (size_t k = 0; k < kPixels; ++k) sx[k] += d.x[i * kPixels + k], sh[k] += h[k];  // kHidden == kPixels
  }
  const double nd = static_cast<double>(d.y.size());
  for (size_t k = 0; mx != nullptr && k < kPixels; ++k)
    mx->push_back(static_cast<float>(sx[k] / nd)), mh->push_back(static_cast<float>(sh[k] / nd));
  return 100.0 * static_cast<double>(hit) / nd;
}
bool fake_quant(dense& l, qlin::dtype type, bool per_channel) {  // w = dequantize(quantize(w)), per tensor or row
  const qlin::qparams_options opt{type, qlin::qscheme::symmetric, {true}};  // narrow: -127..127 / -7..7
  const size_t rows = per_channel ? l.out : 1, cols = l.w.size() / rows;
  std::vector<std::int8_t> q(cols);
  for (size_t r = 0; r < rows; ++r) {
    float* w = &l.w[r * cols];
    const auto mm = std::minmax_element(w, w + cols);
    const auto p = qlin::choose_qparams(*mm.first, *mm.second, opt);  // max |w| / 127 (int8), / 7 (int4)
    if (!p) return std::fprintf(stderr, "dfq_digits: %s\n", p.error().message), false;
    qlin::quantize(w, cols, q.data(), *p), qlin::dequantize(q.data(), cols, w, *p);
  }
  return true;
}
double spread(const std::vector<float>& w) {  // max / min over the channels c of max |W1[c, :]|; 0 on error
  std::vector<float> r(kHidden);
  if (!qlin::row_abs_max(w.data(), kHidden, kPixels, r.data())) return 0.0;
  return double{*std::max_element(r.begin(), r.end()) / *std::min_element(r.begin(), r.end())};
}
}  // namespace
int main(int argc, char** argv) {
  const std::string self = __FILE__,
                    path = argc > 1 ? argv[1] : self.substr(0, self.find_last_of("/\\") + 1) + "data/digits.csv";
  dataset all, tr, te;
  if (!load_csv(path, all)) return std::fprintf(stderr, "dfq_digits: cannot read %s\n", path.c_str()), 2;
  rng g{20260101};  // a fixed seed; 1200 images to train, the rest to test
  std::vector<size_t> idx(all.y.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  shuffle(idx, g);
  for (size_t i = 0; i < idx.size(); ++i) {
    dataset& d = i < 1200 ? tr : te;
    d.y.push_back(all.y[idx[i]]), d.x.insert(d.x.end(), &all.x[idx[i] * kPixels], &all.x[(idx[i] + 1) * kPixels]);
  }
  const mlp net = train(tr, 20, g);
  // As folding a batch norm (gamma_c / sigma_c per channel) would: W1[c,:], b1[c] times f_c = 2^((7c mod 9) - 4),
  // W2[:,c] / f_c. Powers of two: the same FP32 function, but channel ranges 2^8 apart ruin one scale per tensor.
  mlp folded = net;
  for (size_t c = 0; c < kHidden; ++c) {
    const float f = std::ldexp(1.0f, static_cast<int>((7 * c) % 9) - 4);
    folded.l1.b[c] *= f;
    for (size_t k = 0; k < kPixels; ++k) folded.l1.w[c * kPixels + k] *= f;
    for (size_t o = 0; o < kClasses; ++o) folded.l2.w[o * kHidden + c] /= f;
  }
  mlp eq = folded;  // cross-layer equalization of (l1, ReLU, l2)
  if (!qlin::equalize_cross_layer(eq.l1.w.data(), eq.l1.b.data(), kHidden, kPixels, eq.l2.w.data(), kClasses))
    return std::fprintf(stderr, "dfq_digits: cross-layer equalization failed\n"), 1;
  std::printf("digits MLP 64-64-10, FP32 test accuracy: trained %.2f%%, folded %.2f%%, folded + CLE %.2f%%\n",
              run(net, te), run(folded, te), run(eq, te));
  std::printf("spread of the channel ranges max|W1[c,:]| (max / min): trained %.1f, folded %.1f, after CLE %.1f\n\n",
              spread(net.l1.w), spread(folded.l1.w), spread(eq.l1.w));
  std::printf("%-47s %9s  %s\n", "weights quantized (activations stay FP32)", "accuracy", "weight SQNR dB: W1 / W2");
  std::vector<float> mx, mh;  // E[x], E[h] of the equalized FP32 model on the training set, for bias correction
  static_cast<void>(run(eq, tr, &mx, &mh));
  const mlp* const base[] = {&net, &folded, &eq, &eq, &folded};
  const char* const names[] = {"trained, per-tensor", "folded, per-tensor", "folded + CLE, per-tensor",
                               "folded + CLE + bias correction, per-tensor", "folded, per-channel (reference)"};
  for (qlin::dtype type : {qlin::dtype::int8, qlin::dtype::int4}) {
    for (int v = 0; v < 5; ++v) {
      mlp q = *base[v];
      if (!fake_quant(q.l1, type, v == 4) || !fake_quant(q.l2, type, v == 4)) return 1;
      if (v == 3) {  // b -= (W_q - W) E[input]
        qlin::correct_bias(eq.l1.w.data(), q.l1.w.data(), kHidden, kPixels, mx.data(), q.l1.b.data());
        qlin::correct_bias(eq.l2.w.data(), q.l2.w.data(), kClasses, kHidden, mh.data(), q.l2.b.data());
      }
      std::printf("%-4s %-42s %7.2f%%   %6.2f / %6.2f\n", qlin::to_string(type), names[v], run(q, te),
                  qlin::sqnr_db(base[v]->l1.w.data(), q.l1.w.data(), q.l1.w.size()),
                  qlin::sqnr_db(base[v]->l2.w.data(), q.l2.w.data(), q.l2.w.size()));
    }
  }
  return 0;
}
