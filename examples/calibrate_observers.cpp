// calibrate_observers: every qlin observer on the same activations, judged on held-out data.
//
//   calibrate_observers [--svg OUT.svg] [--heldout H.npy CALIB.npy ...]
//
// Without files it generates activation-like data (deterministic: a normal body, a skewed
// exponential tail of large positive values, 0.005% outliers up to ~20), 8 calibration batches of
// 64 Ki and a held-out set of 256 Ki from another seed. Each observer picks a range for uint8
// affine (PyTorch's activation default); the program prints the range and the SQNR / MSE of
// dequantize(quantize(x)) on the held-out set, and draws the histogram (log counts) with every
// observer's range to --svg (default calibrate_observers.svg).
#include <qlin/quant.hpp>

#include "qlin_cli/npy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double uniform(std::uint64_t& s) { return static_cast<double>((splitmix64(s) >> 11) + 1) * 0x1p-53; }  // (0, 1]

std::vector<float> activations(std::size_t n, std::uint64_t seed) {
  std::vector<float> v(n);
  for (float& x : v) {
    const double u = uniform(seed), a = uniform(seed), b = uniform(seed);
    double y = std::sqrt(-2.0 * std::log(a)) * std::cos(6.283185307179586 * b);  // normal body
    if (u < 0.3) y = -0.5 * std::log(a) + 0.5;                                   // skewed positive tail
    if (u < 0.00005) y = 4.0 + 16.0 * b;                                          // rare outliers
    x = static_cast<float>(y);
  }
  return v;
}

struct choice {
  std::string name;
  float lo = 0.0f, hi = 0.0f;
  qlin::quant_params p{};
};

void error_of(const std::vector<float>& x, const qlin::quant_params& p, double& mse, double& sqnr_db) {
  std::vector<std::uint8_t> q(x.size());
  std::vector<float> r(x.size());
  qlin::quantize(x.data(), x.size(), q.data(), p);
  qlin::dequantize(q.data(), q.size(), r.data(), p);
  double e = 0.0, s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = static_cast<double>(r[i]) - static_cast<double>(x[i]);
    e += d * d;
    s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  }
  mse = e / static_cast<double>(x.size());
  sqnr_db = 10.0 * std::log10(s / e);
}

void write_svg(const char* path, const qlin::histogram_observer& h, const std::vector<choice>& cs) {
  const std::vector<double> e = h.edges();
  const std::vector<std::uint64_t>& c = h.counts();
  const double x0 = static_cast<double>(h.min()), x1 = static_cast<double>(h.max());
  const double W = 900, H = 420, L = 60, R = 20, T = 20, B = 40 + 16.0 * static_cast<double>(cs.size());
  double ymax = 1.0;
  for (std::uint64_t k : c) ymax = std::max(ymax, std::log10(static_cast<double>(k) + 1.0));
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return T + (1.0 - y / ymax) * (H - T - B); };
  std::FILE* f = std::fopen(path, "w");
  if (f == nullptr) return;
  std::fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
  std::fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<path fill=\"#9ab\" d=\"M%.1f %.1f", px(x0), py(0));
  for (std::size_t j = 0; j < c.size() && e[j] <= x1; ++j) {
    const double y = py(std::log10(static_cast<double>(c[j]) + 1.0));
    std::fprintf(f, " L%.1f %.1f L%.1f %.1f", px(std::max(e[j], x0)), y, px(std::min(e[j + 1], x1)), y);
  }
  std::fprintf(f, " L%.1f %.1f Z\"/>\n", px(x1), py(0));
  for (int d = 0; d <= static_cast<int>(ymax); ++d)  // log axis: 1, 10, 100, ...
    std::fprintf(f, "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", L - 4, py(d) + 4, d);
  for (double t = std::ceil(x0); t <= x1; t += (x1 - x0) > 20 ? 5.0 : 1.0)
    std::fprintf(f, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%g</text>\n", px(t), H - B + 14, t);
  const char* colors[] = {"#000", "#888", "#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e"};
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const char* col = colors[i % 7];
    const double dash = 2.0 + 2.0 * static_cast<double>(i);
    for (float v : {cs[i].lo, cs[i].hi}) {
      const double xv = px(std::min(std::max(static_cast<double>(v), x0), x1));
      std::fprintf(f, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"%s\" stroke-dasharray=\"%g 2\"/>\n", xv, T, xv,
                   H - B, col, dash);
    }
    const double yl = H - B + 30 + 16.0 * static_cast<double>(i);
    std::fprintf(f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"%g 2\"/>", L, yl - 4, L + 30,
                 yl - 4, col, dash);
    std::fprintf(f, "<text x=\"%g\" y=\"%.1f\">%s: [%.4g, %.4g]</text>\n", L + 36, yl, cs[i].name.c_str(),
                 static_cast<double>(cs[i].lo), static_cast<double>(cs[i].hi));
  }
  std::fprintf(f, "<text x=\"%g\" y=\"14\">histogram_observer counts (log10(count + 1)) and each observer's clipping range</text>\n</svg>\n", L);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  const char* svg = "calibrate_observers.svg";
  std::vector<std::vector<float>> calib;
  std::vector<float> held;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--svg") == 0 && has_value) {
      svg = argv[++i];
      continue;
    }
    const bool is_held = std::strcmp(argv[i], "--heldout") == 0 && has_value;
    const char* path = is_held ? argv[++i] : argv[i];
    qlin_cli::npy::array a;
    const qlin_cli::npy::status st = qlin_cli::npy::read_file(path, a);
    if (!st || a.type != qlin_cli::npy::dtype::f4) {
      std::fprintf(stderr, "calibrate_observers: %s: %s\n", path, st ? "not float32" : st.message.c_str());
      return 2;
    }
    (is_held ? held : calib.emplace_back()) = qlin_cli::npy::values<float>(a);
  }
  if (calib.empty())
    for (std::uint64_t b = 0; b < 8; ++b) calib.push_back(activations(65536, 1000 + b));
  if (held.empty()) held = activations(262144, 7);

  qlin::qparams_options opt;
  opt.type = qlin::dtype::uint8;
  qlin::minmax_observer mm;
  qlin::moving_average_minmax_observer ma;
  // Per-bin moments make the mse search's error model exact for bins inside one quantization cell
  // (they change only the mse row: the other searches and the plot use the counts).
  qlin::histogram_observer hist(qlin::histogram_observer::default_bins, qlin::track_moments::yes);
  qlin::abs_histogram_observer absh;
  std::vector<float> all;
  for (const auto& b : calib) {
    mm.observe(b.data(), b.size());
    ma.observe(b.data(), b.size());
    hist.observe(b.data(), b.size());
    absh.observe(b.data(), b.size());
    all.insert(all.end(), b.begin(), b.end());
  }
  std::vector<choice> cs;
  auto add = [&](const char* name, float lo, float hi) {
    const qlin::result<qlin::quant_params> p = qlin::choose_qparams(lo, hi, opt);
    if (p) cs.push_back(choice{name, lo, hi, *p});
    else std::fprintf(stderr, "%s: %s\n", name, p.error().message);
  };
  if (const auto r = mm.range()) add("minmax", r->min, r->max);
  if (const auto r = ma.range()) add("moving-average", r->min, r->max);
  if (const auto r = hist.select_range(qlin::histogram_method::histogram, opt)) add("histogram (torch L2)", r->min, r->max);
  if (const auto r = hist.select_range(qlin::histogram_method::mse, opt)) add("mse", r->min, r->max);
  if (const auto r = hist.select_range(qlin::histogram_method::percentile, opt, 99.99)) add("percentile 99.99", r->min, r->max);
  qlin::entropy_options eo;
  eo.is_unsigned = true;  // TensorRT's unsigned KL (uint8); the range is clipped to the data, as `qlin calibrate` does
  if (const auto a = absh.entropy_amax(eo)) add("entropy", std::max(mm.min(), -*a), std::min(mm.max(), *a));
  const qlin::result<qlin::qrange> qr = qlin::make_qrange(opt.type, opt.range);
  if (const auto s = qlin::admm_scale(all.data(), all.size(), qlin::admm_clamp(*qr))) {
    if (const auto p = qlin::admm_qparams(*s, opt)) {
      const float c = qlin::admm_clamp(*qr) * *s;
      cs.push_back(choice{"admm", -c, c, *p});
    }
  }
  std::printf("%-22s %11s %11s %12s %6s %10s %12s\n", "observer", "min", "max", "scale", "zp", "SQNR dB", "MSE");
  for (const choice& c : cs) {
    double mse = 0.0, sqnr = 0.0;
    error_of(held, c.p, mse, sqnr);
    std::printf("%-22s %11.5g %11.5g %12.6g %6d %10.3f %12.5g\n", c.name.c_str(), static_cast<double>(c.lo),
                static_cast<double>(c.hi), static_cast<double>(c.p.scale), c.p.zero_point, sqnr, mse);
  }
  write_svg(svg, hist, cs);
  std::printf("held-out values: %zu; histogram plot: %s\n", held.size(), svg);
  return 0;
}
