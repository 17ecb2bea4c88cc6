// main.cpp: the `qlin` command-line tool (DESIGN.md section 2, "The command-line tool").
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
//   qlin qparams     --min X --max X [range options]
//   qlin quantize    (--scale S --zero-point Z | --axis K --scales F.npy --zero-points F.npy)
//                    [range options] IN.npy OUT.npy
//   qlin dequantize  (same parameter options) IN.npy OUT.npy
//   qlin multiplier  --real R [--rounding double|single]
//   qlin requantize  (--real R | --multiplier M --shift S) --zero-point Z
//                    [--rounding double|single|fp32] [range options] IN.npy OUT.npy
//   qlin calibrate   --observer minmax|moving-average|histogram|entropy|percentile|mse|admm
//                    [--averaging-constant C] [--bins N] [--percentile P] [--axis K]
//                    [range options] BATCH.npy [BATCH.npy ...]
//
// Results go to stdout as one JSON object; every error is exit status 2 and one line on stderr
// beginning with "qlin: ". The tool uses no exceptions for control flow and builds with
// -fno-exceptions (only a failed allocation can throw; main() turns it into an error line).
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <qlin/config.hpp>
#include <qlin/dtype.hpp>
#include <qlin/fixed_point.hpp>
#include <qlin/observers.hpp>
#include <qlin/params.hpp>
#include <qlin/quantize.hpp>
#include <qlin/requantize.hpp>
#include <qlin/result.hpp>

#include "npy.hpp"

namespace {

namespace npy = qlin_cli::npy;

constexpr int exit_ok = 0;
constexpr int exit_error = 2;

// ---------------------------------------------------------------------------------------------
// Help texts.

const char* const usage_main =
    "usage: qlin SUBCOMMAND [options] [files]\n"
    "\n"
    "Quantization math of the qlin library, for scripts. Subcommands:\n"
    "  qparams     scale and zero point for a real range [min, max]\n"
    "  quantize    float32 .npy -> quantized .npy (per tensor or per channel)\n"
    "  dequantize  quantized .npy -> float32 .npy\n"
    "  multiplier  a real multiplier as a Q31 mantissa and a shift (TFLite)\n"
    "  requantize  int32 .npy accumulators -> quantized .npy\n"
    "  calibrate   observers over .npy batches -> scale and zero point\n"
    "\n"
    "  qlin qparams     --min X --max X [range options]\n"
    "  qlin quantize    (--scale S --zero-point Z | --axis K --scales F.npy --zero-points F.npy)\n"
    "                   [range options] IN.npy OUT.npy\n"
    "  qlin dequantize  (same parameter options) IN.npy OUT.npy\n"
    "  qlin multiplier  --real R [--rounding double|single]\n"
    "  qlin requantize  (--real R | --multiplier M --shift S) --zero-point Z\n"
    "                   [--rounding double|single|fp32] [range options] IN.npy OUT.npy\n"
    "  qlin calibrate   --observer minmax|moving-average|histogram|entropy|percentile|mse|admm\n"
    "                   [--averaging-constant C] [--bins N] [--percentile P] [--axis K]\n"
    "                   [range options] BATCH.npy [BATCH.npy ...]\n"
    "range options:     [--dtype int8|uint8|int16|int4|uint4] [--scheme affine|symmetric|affine-float]\n"
    "                   [--reduce-range] [--narrow] [--quant-min N --quant-max N]\n"
    "                   [--compat pytorch|tflite|gemmlowp|xnnpack]\n"
    "\n"
    "Defaults: --dtype int8 --scheme affine --compat pytorch --rounding double.\n"
    ".npy files: version 1.0, little-endian, C order. Quantized arrays are int8 ('|i1') for int8,\n"
    "uint8 ('|u1') for uint8, int16 ('<i2') for int16; 4-bit values are NOT packed: int4 is an\n"
    "int8 array holding -8..7 and uint4 a uint8 array holding 0..15, one value per byte.\n"
    "Exit status: 0 on success, 2 on any bad argument or data (one line on stderr, \"qlin: ...\").\n"
    "Run 'qlin SUBCOMMAND --help' for the details of a subcommand.\n";

const char* const usage_range =
    "range options:\n"
    "  --dtype int8|uint8|int16|int4|uint4   quantized type (default int8)\n"
    "  --scheme affine|symmetric|affine-float\n"
    "                        affine (default); symmetric (signed types need zero point 0);\n"
    "                        affine-float: PyTorch's per_channel_affine_float_qparams (float zero\n"
    "                        points; only with --compat pytorch)\n"
    "  --reduce-range        PyTorch's reduce_range: floor-halve both ends of the range\n"
    "  --narrow              TFLite's narrow range: qmin + 1 (int8 -127..127)\n"
    "  --quant-min N --quant-max N   a custom range inside the dtype's (both or neither)\n"
    "  --compat pytorch|tflite|gemmlowp|xnnpack   whose arithmetic to reproduce (default pytorch)\n";

const char* const usage_qparams =
    "usage: qlin qparams --min X --max X [range options]\n"
    "\n"
    "Chooses the scale and zero point for the real range [X_min, X_max] with the --compat preset's\n"
    "algorithm (qlin::choose_qparams; qlin::choose_float_qparams for --scheme affine-float) and\n"
    "prints one JSON object:\n"
    "  {\"scale\": [S], \"zero_point\": [Z], \"min\": [MIN], \"max\": [MAX]}\n"
    "Floats are printed with %.9g (they round-trip as float32); zero_point entries are integers,\n"
    "or floats with --scheme affine-float; min / max echo the given range (as float32).\n"
    "\n";

const char* const usage_quantize =
    "usage: qlin quantize (--scale S --zero-point Z | --axis K --scales F.npy --zero-points F.npy)\n"
    "                     [range options] IN.npy OUT.npy\n"
    "\n"
    "Quantizes the float32 array IN.npy and writes OUT.npy with the same shape:\n"
    "  int8 -> '|i1', uint8 -> '|u1', int16 -> '<i2',\n"
    "  int4 -> '|i1' holding unpacked values -8..7, uint4 -> '|u1' holding 0..15 (one per byte).\n"
    "Per tensor: --scale S (float32) and --zero-point Z (an integer; a float with --scheme\n"
    "affine-float). Per channel: the array is viewed as [outer][channels][inner] around axis K\n"
    "(negative K counts from the end); --scales is a 1-D float32 .npy and --zero-points a 1-D\n"
    "int32 .npy (float32 with --scheme affine-float), one entry per channel.\n"
    "--compat selects the rounding and arithmetic (qlin::quantize_method::of): pytorch and xnnpack\n"
    "multiply by f32(1/scale) and round half to even; tflite divides and rounds half away from\n"
    "zero; gemmlowp also adds the zero point before rounding. NaN quantizes to the zero point.\n"
    "Nothing is printed on success.\n"
    "\n";

const char* const usage_dequantize =
    "usage: qlin dequantize (--scale S --zero-point Z | --axis K --scales F.npy --zero-points F.npy)\n"
    "                       [range options] IN.npy OUT.npy\n"
    "\n"
    "Dequantizes IN.npy (r = f32(q - zero_point) * scale) into the float32 array OUT.npy.\n"
    "IN.npy's dtype must be the storage of --dtype: '|i1' for int8 and int4, '|u1' for uint8 and\n"
    "uint4, '<i2' for int16; int4 / uint4 values must lie in -8..7 / 0..15 (unpacked, one per\n"
    "byte). The parameter options are those of 'qlin quantize'. Nothing is printed on success.\n"
    "\n";

const char* const usage_multiplier =
    "usage: qlin multiplier --real R [--rounding double|single]\n"
    "\n"
    "Represents the real multiplier R as multiplier * 2^(shift - 31) with a Q31 mantissa in\n"
    "[2^30, 2^31) (TFLite's QuantizeMultiplier; both roundings use the same mantissa) and prints\n"
    "  {\"multiplier\": M, \"shift\": S}\n"
    "with TFLite's sign convention: a positive shift is a left shift. R = 0, or R too small for a\n"
    "shift >= -31, gives (0, 0). A negative, non-finite or too large (>= 2^30) R is an error.\n";

const char* const usage_requantize =
    "usage: qlin requantize (--real R | --multiplier M --shift S) --zero-point Z\n"
    "                       [--rounding double|single|fp32] [range options] IN.npy OUT.npy\n"
    "\n"
    "Requantizes the int32 array IN.npy: q = clamp(round(x * R) + Z, qmin, qmax), written to\n"
    "OUT.npy in the --dtype's layout (see 'qlin quantize --help').\n"
    "  --rounding double  TFLite / gemmlowp MultiplyByQuantizedMultiplier (default)\n"
    "  --rounding single  TFLITE_SINGLE_ROUNDING / XNNPACK rndnu\n"
    "  --rounding fp32    XNNPACK fp32 / PyTorch: round_half_even(f32(f32(x) * f32(R)))\n"
    "R is converted with TFLite's QuantizeMultiplier; --multiplier M --shift S give the pair\n"
    "directly (M in [0, 2^31), S in [-31, 30]; not with fp32). Z must lie in the dtype's full\n"
    "range; [qmin, qmax] comes from the range options (use --quant-min / --quant-max for an\n"
    "activation clamp). --compat does not change the requantization; --rounding does.\n"
    "Nothing is printed on success.\n"
    "\n";

const char* const usage_calibrate =
    "usage: qlin calibrate --observer minmax|moving-average|histogram|entropy|percentile|mse|admm\n"
    "                      [--averaging-constant C] [--bins N] [--percentile P] [--axis K]\n"
    "                      [--entropy-variant tensorrt|onnxruntime]\n"
    "                      [range options] BATCH.npy [BATCH.npy ...]\n"
    "\n"
    "Feeds each float32 BATCH.npy to the observer as one batch, in order, and prints\n"
    "  {\"scale\": [...], \"zero_point\": [...], \"min\": [...], \"max\": [...]}\n"
    "(one entry per channel with --axis, else one). min / max: the observed range (minmax,\n"
    "moving-average) or the chosen clipping range (the others; -amax / +amax when symmetric).\n"
    "  minmax           PyTorch's MinMaxObserver (per channel with --axis K)\n"
    "  moving-average   PyTorch's MovingAverageMinMaxObserver, --averaging-constant C (0.01)\n"
    "  histogram        PyTorch's HistogramObserver L2 search on qlin's exact histogram\n"
    "  mse              qlin's search for the range of least expected quantization error\n"
    "  entropy          TensorRT's KL threshold on the |x| histogram (affine: clipped to the data);\n"
    "                   --entropy-variant onnxruntime: ONNX Runtime's on its signed histogram\n"
    "                   (--bins default 128, 128 quantized bins or --bins if fewer)\n"
    "  percentile       --percentile P (99.99): TensorRT's on |x| with --scheme symmetric, else\n"
    "                   two-sided [(100-P)/2, (100+P)/2] percent\n"
    "  admm             MNN's ADMM scales over all batches concatenated (per channel with --axis K);\n"
    "                   always symmetric\n"
    "--bins N (2048) sets the histogram size. NaN / Inf values are skipped; no finite value is an error.\n"
    "\n";

// ---------------------------------------------------------------------------------------------
// Errors.

// One line: control characters (from file names, say) become '?'.
std::string printable(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

int report(const char* cmd, const std::string& message) {
  std::string line = "qlin: ";
  if (cmd != nullptr) {
    line += cmd;
    line += ": ";
  }
  line += message;
  std::fprintf(stderr, "%s\n", printable(line).c_str());
  return exit_error;
}

std::string quoted(const char* s) { return std::string("'") + s + "'"; }

// ---------------------------------------------------------------------------------------------
// Arguments.

struct option_spec {
  const char* name;
  bool takes_value;
};

const option_spec range_specs[] = {{"--dtype", true},     {"--scheme", true},    {"--reduce-range", false},
                                   {"--narrow", false},   {"--quant-min", true}, {"--quant-max", true},
                                   {"--compat", true}};

struct parsed_args {
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::string> positional;

  const char* get(const char* name) const {
    for (const auto& o : options) {
      if (o.first == name) return o.second.c_str();
    }
    return nullptr;
  }
  bool has(const char* name) const { return get(name) != nullptr; }
};

enum class parse_outcome { ok, help, error };

std::vector<option_spec> with_range(std::vector<option_spec> specs) {
  specs.insert(specs.end(), std::begin(range_specs), std::end(range_specs));
  return specs;
}

// Parses argv[2..] against `specs`. "--name value" and "--name=value" are accepted; "--" ends the
// options. --help / -h prints `help` (and the range options if `range_help`) and stops.
parse_outcome parse_args(const char* cmd, int argc, char** argv, const std::vector<option_spec>& specs, const char* help,
                         bool range_help, parsed_args& out) {
  bool options_done = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(help, stdout);
      if (range_help) std::fputs(usage_range, stdout);
      return parse_outcome::help;
    }
    std::string name = a;
    std::string value;
    bool inline_value = false;
    const std::size_t eq = a.find('=');
    if (a.compare(0, 2, "--") == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const option_spec* spec = nullptr;
    for (const option_spec& s : specs) {
      if (name == s.name) spec = &s;
    }
    if (spec == nullptr) {
      report(cmd, "unknown option " + quoted(name.c_str()) + " (try 'qlin " + cmd + " --help')");
      return parse_outcome::error;
    }
    if (out.has(spec->name)) {
      report(cmd, std::string("option ") + spec->name + " is given twice");
      return parse_outcome::error;
    }
    if (spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= argc || (std::strncmp(argv[i + 1], "--", 2) == 0 && argv[i + 1][2] != '\0')) {
          report(cmd, std::string("option ") + spec->name + " needs a value");
          return parse_outcome::error;
        }
        value = argv[++i];
      }
    } else if (inline_value) {
      report(cmd, std::string("option ") + spec->name + " takes no value");
      return parse_outcome::error;
    }
    out.options.emplace_back(spec->name, value);
  }
  return parse_outcome::ok;
}

// Strict number parsing: the whole string, no leading space, no overflow.
bool parse_double(const char* s, double& out, std::string& err) {
  err.clear();
  if (s == nullptr || *s == '\0' || *s == ' ' || *s == '\t' || *s == '\n') {
    err = "'" + std::string(s == nullptr ? "" : s) + "' is not a number";
    return false;
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0') {
    err = quoted(s) + " is not a number";
    return false;
  }
  if (errno == ERANGE && std::isinf(v)) {
    err = quoted(s) + " is out of range";
    return false;
  }
  out = v;
  return true;
}

bool parse_float(const char* s, float& out, std::string& err) {
  double v = 0.0;
  if (!parse_double(s, v, err)) return false;
  if (std::isfinite(v) && std::fabs(v) > static_cast<double>(FLT_MAX)) {
    err = quoted(s) + " is out of the float32 range";
    return false;
  }
  out = static_cast<float>(v);
  return true;
}

bool parse_int32(const char* s, std::int32_t& out, std::string& err) {
  err.clear();
  if (s == nullptr || *s == '\0' || *s == ' ' || *s == '\t' || *s == '\n') {
    err = "'" + std::string(s == nullptr ? "" : s) + "' is not an integer";
    return false;
  }
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s, &end, 10);
  if (end == s || *end != '\0') {
    err = quoted(s) + " is not an integer";
    return false;
  }
  if (errno == ERANGE || v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) {
    err = quoted(s) + " is out of the int32 range";
    return false;
  }
  out = static_cast<std::int32_t>(v);
  return true;
}

// The value of a required option, parsed; on error reports and returns false.
bool opt_double(const char* cmd, const parsed_args& a, const char* name, double& out) {
  std::string err;
  if (!parse_double(a.get(name), out, err)) return report(cmd, std::string(name) + ": " + err), false;
  return true;
}
bool opt_float(const char* cmd, const parsed_args& a, const char* name, float& out) {
  std::string err;
  if (!parse_float(a.get(name), out, err)) return report(cmd, std::string(name) + ": " + err), false;
  return true;
}
bool opt_int32(const char* cmd, const parsed_args& a, const char* name, std::int32_t& out) {
  std::string err;
  if (!parse_int32(a.get(name), out, err)) return report(cmd, std::string(name) + ": " + err), false;
  return true;
}

bool require(const char* cmd, const parsed_args& a, const char* name) {
  if (a.has(name)) return true;
  report(cmd, std::string("missing ") + name);
  return false;
}

bool require_files(const char* cmd, const parsed_args& a, std::size_t n) {
  if (a.positional.size() == n) return true;
  if (n == 0) {
    report(cmd, "unexpected argument " + quoted(a.positional[0].c_str()) + " (this subcommand takes no files)");
  } else {
    report(cmd, "expected IN.npy and OUT.npy, got " + std::to_string(a.positional.size()) + " file argument(s)");
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Range options.

enum class scheme_kind { affine, symmetric, affine_float };

struct range_config {
  qlin::dtype type = qlin::dtype::int8;
  scheme_kind scheme = scheme_kind::affine;
  qlin::range_options range{};
  qlin::compat preset = qlin::compat::pytorch;
  bool compat_given = false;
};

bool read_range(const char* cmd, const parsed_args& a, range_config& rc) {
  if (const char* v = a.get("--dtype")) {
    const qlin::result<qlin::dtype> t = qlin::parse_dtype(v);
    if (!t) return report(cmd, "--dtype: unknown dtype " + quoted(v) + " (expected int8, uint8, int16, int4 or uint4)"), false;
    rc.type = *t;
  }
  if (const char* v = a.get("--scheme")) {
    if (std::strcmp(v, "affine") == 0) {
      rc.scheme = scheme_kind::affine;
    } else if (std::strcmp(v, "symmetric") == 0) {
      rc.scheme = scheme_kind::symmetric;
    } else if (std::strcmp(v, "affine-float") == 0) {
      rc.scheme = scheme_kind::affine_float;
    } else {
      return report(cmd, "--scheme: unknown scheme " + quoted(v) + " (expected affine, symmetric or affine-float)"), false;
    }
  }
  rc.range.reduce_range = a.has("--reduce-range");
  rc.range.narrow = a.has("--narrow");
  const bool has_min = a.has("--quant-min");
  const bool has_max = a.has("--quant-max");
  if (has_min != has_max) {
    return report(cmd, has_min ? "--quant-min needs --quant-max" : "--quant-max needs --quant-min"), false;
  }
  if (has_min) {
    rc.range.custom = true;
    if (!opt_int32(cmd, a, "--quant-min", rc.range.quant_min)) return false;
    if (!opt_int32(cmd, a, "--quant-max", rc.range.quant_max)) return false;
  }
  if (const char* v = a.get("--compat")) {
    const qlin::result<qlin::compat> c = qlin::parse_compat(v);
    if (!c) return report(cmd, "--compat: unknown preset " + quoted(v) + " (expected pytorch, tflite, gemmlowp or xnnpack)"), false;
    rc.preset = *c;
    rc.compat_given = true;
  }
  if (rc.scheme == scheme_kind::affine_float && rc.preset != qlin::compat::pytorch) {
    return report(cmd, "--scheme affine-float is PyTorch's; it needs --compat pytorch"), false;
  }
  return true;
}

bool make_range(const char* cmd, const range_config& rc, qlin::qrange& out) {
  const qlin::result<qlin::qrange> r = qlin::make_qrange(rc.type, rc.range);
  if (!r) return report(cmd, std::string("invalid range: ") + r.error().message), false;
  out = *r;
  return true;
}

// ---------------------------------------------------------------------------------------------
// JSON.

std::string json_float(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string json_list(const std::string& item) { return "[" + item + "]"; }

void print_params(const std::string& scale, const std::string& zero_point, float mn, float mx) {
  std::printf("{\"scale\": %s, \"zero_point\": %s, \"min\": %s, \"max\": %s}\n", scale.c_str(), zero_point.c_str(),
              json_list(json_float(static_cast<double>(mn))).c_str(), json_list(json_float(static_cast<double>(mx))).c_str());
}

// ---------------------------------------------------------------------------------------------
// qlin qparams

int cmd_qparams(int argc, char** argv) {
  const char* cmd = "qparams";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, with_range({{"--min", true}, {"--max", true}}), usage_qparams, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 0) || !require(cmd, a, "--min") || !require(cmd, a, "--max")) return exit_error;
  float mn = 0.0f, mx = 0.0f;
  if (!opt_float(cmd, a, "--min", mn) || !opt_float(cmd, a, "--max", mx)) return exit_error;
  range_config rc;
  if (!read_range(cmd, a, rc)) return exit_error;
  qlin::qparams_options o;
  o.type = rc.type;
  o.range = rc.range;
  o.preset = rc.preset;
  if (rc.scheme == scheme_kind::affine_float) {
    const qlin::result<qlin::float_quant_params> p = qlin::choose_float_qparams(mn, mx, o);
    if (!p) return report(cmd, p.error().message);
    if (!std::isfinite(p->scale) || !std::isfinite(p->zero_point)) {
      return report(cmd, "the computed scale or zero point is not finite");
    }
    print_params(json_list(json_float(static_cast<double>(p->scale))),
                 json_list(json_float(static_cast<double>(p->zero_point))), mn, mx);
    return exit_ok;
  }
  o.scheme = rc.scheme == scheme_kind::symmetric ? qlin::qscheme::symmetric : qlin::qscheme::affine;
  const qlin::result<qlin::quant_params> p = qlin::choose_qparams(mn, mx, o);
  if (!p) return report(cmd, p.error().message);
  if (!std::isfinite(p->scale) || !(p->scale > 0.0f)) return report(cmd, "the computed scale is not finite and > 0");
  print_params(json_list(json_float(static_cast<double>(p->scale))), json_list(std::to_string(p->zero_point)), mn, mx);
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// qlin multiplier

int cmd_multiplier(int argc, char** argv) {
  const char* cmd = "multiplier";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, {{"--real", true}, {"--rounding", true}}, usage_multiplier, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 0) || !require(cmd, a, "--real")) return exit_error;
  if (const char* r = a.get("--rounding")) {
    if (std::strcmp(r, "double") != 0 && std::strcmp(r, "single") != 0) {
      return report(cmd, "--rounding: " + quoted(r) + " is not double or single");
    }
  }
  double real = 0.0;
  if (!opt_double(cmd, a, "--real", real)) return exit_error;
  const qlin::result<qlin::quantized_multiplier> m = qlin::quantize_multiplier(real);
  if (!m) return report(cmd, m.error().message);
  std::printf("{\"multiplier\": %ld, \"shift\": %d}\n", static_cast<long>(m->multiplier), m->shift);
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// Quantization parameters of quantize / dequantize.

struct tensor_params {
  bool per_channel = false;
  std::int32_t axis = 0;
  std::vector<float> scales;             // one entry per tensor
  std::vector<std::int32_t> zero_points;  // integer zero points
  std::vector<float> float_zero_points;   // --scheme affine-float
};

// The [outer][channels][inner] view of `shape` around `axis` (already normalized).
struct layout {
  std::size_t outer = 1;
  std::size_t channels = 1;
  std::size_t inner = 1;
};

bool read_vector_file(const char* cmd, const char* option, const char* path, npy::dtype want, npy::array& out) {
  const npy::status s = npy::read_file(path, out);
  if (!s) return report(cmd, std::string(option) + ": " + s.message), false;
  if (out.type != want) {
    return report(cmd, std::string(option) + ": " + quoted(path) + " holds " + npy::type_name(out.type) + ", expected " +
                           npy::type_name(want)),
           false;
  }
  if (out.shape.size() != 1) {
    return report(cmd, std::string(option) + ": " + quoted(path) + " must be a 1-D array (it has " +
                           std::to_string(out.shape.size()) + " dimensions)"),
           false;
  }
  return true;
}

bool read_tensor_params(const char* cmd, const parsed_args& a, const range_config& rc, qlin::qrange qr,
                        tensor_params& tp) {
  const bool float_zp = rc.scheme == scheme_kind::affine_float;
  const bool tensor_opts = a.has("--scale") || a.has("--zero-point");
  const bool channel_opts = a.has("--axis") || a.has("--scales") || a.has("--zero-points");
  if (tensor_opts && channel_opts) {
    return report(cmd, "give either --scale and --zero-point or --axis, --scales and --zero-points, not both"), false;
  }
  if (!tensor_opts && !channel_opts) {
    return report(cmd, "missing --scale and --zero-point (or --axis, --scales and --zero-points)"), false;
  }
  if (tensor_opts) {
    if (!require(cmd, a, "--scale") || !require(cmd, a, "--zero-point")) return false;
    float s = 0.0f;
    if (!opt_float(cmd, a, "--scale", s)) return false;
    tp.scales.assign(1, s);
    if (float_zp) {
      float z = 0.0f;
      if (!opt_float(cmd, a, "--zero-point", z)) return false;
      tp.float_zero_points.assign(1, z);
    } else {
      std::int32_t z = 0;
      if (!opt_int32(cmd, a, "--zero-point", z)) return false;
      tp.zero_points.assign(1, z);
    }
  } else {
    tp.per_channel = true;
    if (!require(cmd, a, "--axis") || !require(cmd, a, "--scales") || !require(cmd, a, "--zero-points")) return false;
    if (!opt_int32(cmd, a, "--axis", tp.axis)) return false;
    npy::array s, z;
    if (!read_vector_file(cmd, "--scales", a.get("--scales"), npy::dtype::f4, s)) return false;
    if (!read_vector_file(cmd, "--zero-points", a.get("--zero-points"), float_zp ? npy::dtype::f4 : npy::dtype::i4, z)) {
      return false;
    }
    if (s.shape[0] != z.shape[0]) {
      return report(cmd, "--scales has " + std::to_string(s.shape[0]) + " entries but --zero-points has " +
                             std::to_string(z.shape[0])),
             false;
    }
    tp.scales = npy::values<float>(s);
    if (float_zp) {
      tp.float_zero_points = npy::values<float>(z);
    } else {
      tp.zero_points = npy::values<std::int32_t>(z);
    }
  }
  // Validation, channel by channel: everything the kernels take as a precondition.
  const qlin::quantize_method method = qlin::quantize_method::of(rc.preset);
  for (std::size_t c = 0; c < tp.scales.size(); ++c) {
    const std::string where = tp.per_channel ? "channel " + std::to_string(c) + ": " : std::string();
    const float s = tp.scales[c];
    if (float_zp) {
      if (!(s > 0.0f) || !std::isfinite(s)) return report(cmd, where + "scale must be finite and > 0"), false;
      if (!std::isfinite(tp.float_zero_points[c])) return report(cmd, where + "the zero point must be finite"), false;
    } else {
      const qlin::result<qlin::quant_params> p = qlin::make_quant_params(s, tp.zero_points[c], qr, rc.type);
      if (!p) {
        return report(cmd, where + p.error().message + " (scale " + json_float(static_cast<double>(s)) + ", zero point " +
                               std::to_string(tp.zero_points[c]) + ", range [" + std::to_string(qr.qmin) + ", " +
                               std::to_string(qr.qmax) + "])"),
               false;
      }
      if (rc.scheme == scheme_kind::symmetric && qlin::is_signed(rc.type) && tp.zero_points[c] != 0) {
        return report(cmd, where + "--scheme symmetric with a signed dtype needs zero point 0"), false;
      }
    }
    // x * f32(1 / scale) with 1 / scale == inf turns x == 0 into NaN: refuse such scales where
    // the reciprocal is used (every method but tflite / gemmlowp's division).
    if ((float_zp || !method.divide) && !std::isfinite(1.0f / s)) {
      return report(cmd, where + "the scale is so small that 1 / scale overflows float32"), false;
    }
  }
  return true;
}

bool make_layout(const char* cmd, const tensor_params& tp, const npy::array& in, const char* in_path, layout& out) {
  if (!tp.per_channel) {
    out = layout{1, 1, in.count()};
    return true;
  }
  const auto ndim = static_cast<std::int64_t>(in.shape.size());
  std::int64_t axis = tp.axis;
  if (axis < 0) axis += ndim;
  if (axis < 0 || axis >= ndim) {
    return report(cmd, "--axis " + std::to_string(tp.axis) + " is out of range for " + quoted(in_path) + ", which has " +
                           std::to_string(ndim) + " dimension(s)"),
           false;
  }
  const auto k = static_cast<std::size_t>(axis);
  out = layout{1, in.shape[k], 1};
  for (std::size_t i = 0; i < k; ++i) out.outer *= in.shape[i];
  for (std::size_t i = k + 1; i < in.shape.size(); ++i) out.inner *= in.shape[i];
  if (out.channels != tp.scales.size()) {
    return report(cmd, "--scales has " + std::to_string(tp.scales.size()) + " entries but axis " + std::to_string(tp.axis) +
                           " of " + quoted(in_path) + " has " + std::to_string(out.channels)),
           false;
  }
  return true;
}

// Calls f(T{}) with T the unpacked storage type of the dtype.
template <class F>
int with_storage(qlin::dtype t, F&& f) {
  switch (t) {
    case qlin::dtype::int8:
    case qlin::dtype::int4: return f(std::int8_t{});
    case qlin::dtype::uint8:
    case qlin::dtype::uint4: return f(std::uint8_t{});
    case qlin::dtype::int16: return f(std::int16_t{});
  }
  return exit_error;
}

npy::dtype storage_dtype(qlin::dtype t) {
  return t == qlin::dtype::int16 ? npy::dtype::i2 : qlin::is_signed(t) ? npy::dtype::i1 : npy::dtype::u1;
}

int write_output(const char* cmd, const char* path, const npy::array& out) {
  const npy::status s = npy::write_file(path, out);
  if (!s) return report(cmd, s.message);
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// qlin quantize / qlin dequantize

const std::vector<option_spec> tensor_specs() {
  return with_range({{"--scale", true}, {"--zero-point", true}, {"--axis", true}, {"--scales", true}, {"--zero-points", true}});
}

int cmd_quantize(int argc, char** argv) {
  const char* cmd = "quantize";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, tensor_specs(), usage_quantize, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;
  range_config rc;
  qlin::qrange qr;
  tensor_params tp;
  if (!read_range(cmd, a, rc) || !make_range(cmd, rc, qr) || !read_tensor_params(cmd, a, rc, qr, tp)) return exit_error;
  const char* in_path = a.positional[0].c_str();
  const char* out_path = a.positional[1].c_str();
  npy::array in;
  const npy::status st = npy::read_file(in_path, in);
  if (!st) return report(cmd, st.message);
  if (in.type != npy::dtype::f4) {
    return report(cmd, quoted(in_path) + " holds " + npy::type_name(in.type) + ", expected float32");
  }
  layout l;
  if (!make_layout(cmd, tp, in, in_path, l)) return exit_error;
  const std::vector<float> x = npy::values<float>(in);
  const qlin::quantize_method method = qlin::quantize_method::of(rc.preset);
  return with_storage(rc.type, [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> q(x.size());
    if (!x.empty()) {
      if (rc.scheme == scheme_kind::affine_float) {
        const qlin::per_channel_float_params p{tp.scales, tp.float_zero_points, qr.qmin, qr.qmax};
        qlin::quantize_per_channel(x.data(), l.outer, l.channels, l.inner, q.data(), p);
      } else if (tp.per_channel) {
        const qlin::per_channel_params p{tp.scales, tp.zero_points, qr.qmin, qr.qmax};
        qlin::quantize_per_channel(x.data(), l.outer, l.channels, l.inner, q.data(), p, method);
      } else {
        const qlin::quant_params p{tp.scales[0], tp.zero_points[0], qr.qmin, qr.qmax};
        qlin::quantize(x.data(), x.size(), q.data(), p, method);
      }
    }
    return write_output(cmd, out_path, npy::make_array(in.shape, q.data(), q.size()));
  });
}

int cmd_dequantize(int argc, char** argv) {
  const char* cmd = "dequantize";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, tensor_specs(), usage_dequantize, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;
  range_config rc;
  qlin::qrange qr;
  tensor_params tp;
  if (!read_range(cmd, a, rc) || !make_range(cmd, rc, qr) || !read_tensor_params(cmd, a, rc, qr, tp)) return exit_error;
  const char* in_path = a.positional[0].c_str();
  const char* out_path = a.positional[1].c_str();
  npy::array in;
  const npy::status st = npy::read_file(in_path, in);
  if (!st) return report(cmd, st.message);
  const npy::dtype want = storage_dtype(rc.type);
  if (in.type != want) {
    return report(cmd, quoted(in_path) + " holds " + npy::type_name(in.type) + " but --dtype " + qlin::to_string(rc.type) +
                           " needs " + npy::type_name(want));
  }
  layout l;
  if (!make_layout(cmd, tp, in, in_path, l)) return exit_error;
  const qlin::qrange full = qlin::full_range(rc.type);
  return with_storage(rc.type, [&](auto tag) {
    using T = decltype(tag);
    const std::vector<T> q = npy::values<T>(in);
    if (qlin::bit_width(rc.type) == 4) {
      for (std::size_t i = 0; i < q.size(); ++i) {
        if (q[i] < full.qmin || q[i] > full.qmax) {
          return report(cmd, quoted(in_path) + ": element " + std::to_string(i) + " is " + std::to_string(q[i]) +
                                 ", outside the " + qlin::to_string(rc.type) + " range [" + std::to_string(full.qmin) +
                                 ", " + std::to_string(full.qmax) + "] (4-bit values are stored one per byte)");
        }
      }
    }
    std::vector<float> r(q.size());
    if (!q.empty()) {
      if (rc.scheme == scheme_kind::affine_float) {
        const qlin::per_channel_float_params p{tp.scales, tp.float_zero_points, qr.qmin, qr.qmax};
        qlin::dequantize_per_channel(q.data(), l.outer, l.channels, l.inner, r.data(), p);
      } else if (tp.per_channel) {
        const qlin::per_channel_params p{tp.scales, tp.zero_points, qr.qmin, qr.qmax};
        qlin::dequantize_per_channel(q.data(), l.outer, l.channels, l.inner, r.data(), p);
      } else {
        const qlin::quant_params p{tp.scales[0], tp.zero_points[0], qr.qmin, qr.qmax};
        qlin::dequantize(q.data(), q.size(), r.data(), p);
      }
    }
    return write_output(cmd, out_path, npy::make_array(in.shape, r.data(), r.size()));
  });
}

// ---------------------------------------------------------------------------------------------
// qlin requantize

int cmd_requantize(int argc, char** argv) {
  const char* cmd = "requantize";
  parsed_args a;
  const parse_outcome po = parse_args(
      cmd, argc, argv,
      with_range({{"--real", true}, {"--multiplier", true}, {"--shift", true}, {"--zero-point", true}, {"--rounding", true}}),
      usage_requantize, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;

  qlin::requant_rounding rounding = qlin::requant_rounding::double_rounding;
  if (const char* r = a.get("--rounding")) {
    if (std::strcmp(r, "double") == 0) {
      rounding = qlin::requant_rounding::double_rounding;
    } else if (std::strcmp(r, "single") == 0) {
      rounding = qlin::requant_rounding::single_rounding;
    } else if (std::strcmp(r, "fp32") == 0) {
      rounding = qlin::requant_rounding::fp32;
    } else {
      return report(cmd, "--rounding: " + quoted(r) + " is not double, single or fp32");
    }
  }
  const bool has_real = a.has("--real");
  const bool has_pair = a.has("--multiplier") || a.has("--shift");
  if (has_real && has_pair) return report(cmd, "give either --real or --multiplier and --shift, not both");
  if (!has_real && !has_pair) return report(cmd, "missing --real (or --multiplier and --shift)");
  if (has_pair && (!require(cmd, a, "--multiplier") || !require(cmd, a, "--shift"))) return exit_error;
  if (!require(cmd, a, "--zero-point")) return exit_error;
  std::int32_t zp = 0;
  if (!opt_int32(cmd, a, "--zero-point", zp)) return exit_error;

  range_config rc;
  qlin::qrange clamp;
  if (!read_range(cmd, a, rc) || !make_range(cmd, rc, clamp)) return exit_error;
  if (rc.scheme == scheme_kind::affine_float) {
    return report(cmd, "--scheme affine-float has float zero points; requantize takes an integer --zero-point");
  }
  const qlin::qrange full = qlin::full_range(rc.type);
  if (zp < full.qmin || zp > full.qmax) {
    return report(cmd, "--zero-point " + std::to_string(zp) + " lies outside the " + qlin::to_string(rc.type) + " range [" +
                           std::to_string(full.qmin) + ", " + std::to_string(full.qmax) + "]");
  }
  if (rc.scheme == scheme_kind::symmetric && qlin::is_signed(rc.type) && zp != 0) {
    return report(cmd, "--scheme symmetric with a signed dtype needs zero point 0");
  }

  qlin::result<qlin::requantize_params> params = qlin::fail(qlin::errc::invalid_argument, "no parameters");
  if (has_real) {
    double real = 0.0;
    if (!opt_double(cmd, a, "--real", real)) return exit_error;
    params = qlin::make_requantize_params(real, zp, clamp, rounding);
  } else {
    std::int32_t m = 0, s = 0;
    if (!opt_int32(cmd, a, "--multiplier", m) || !opt_int32(cmd, a, "--shift", s)) return exit_error;
    params = qlin::make_requantize_params(qlin::quantized_multiplier{m, static_cast<int>(s)}, zp, clamp, rounding);
  }
  if (!params) return report(cmd, params.error().message);

  const char* in_path = a.positional[0].c_str();
  const char* out_path = a.positional[1].c_str();
  npy::array in;
  const npy::status st = npy::read_file(in_path, in);
  if (!st) return report(cmd, st.message);
  if (in.type != npy::dtype::i4) {
    return report(cmd, quoted(in_path) + " holds " + npy::type_name(in.type) + ", expected int32");
  }
  const std::vector<std::int32_t> acc = npy::values<std::int32_t>(in);
  return with_storage(rc.type, [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> q(acc.size());
    if (!acc.empty()) qlin::requantize(acc.data(), acc.size(), q.data(), *params);
    return write_output(cmd, out_path, npy::make_array(in.shape, q.data(), q.size()));
  });
}

// ---------------------------------------------------------------------------------------------
// qlin calibrate

enum class observer_name { minmax, moving_average, histogram, entropy, percentile, mse, admm };

bool parse_observer(const char* v, observer_name& out) {
  static const struct {
    const char* name;
    observer_name o;
  } all[] = {{"minmax", observer_name::minmax},   {"moving-average", observer_name::moving_average},
             {"histogram", observer_name::histogram}, {"entropy", observer_name::entropy},
             {"percentile", observer_name::percentile}, {"mse", observer_name::mse},
             {"admm", observer_name::admm}};
  for (const auto& e : all) {
    if (std::strcmp(v, e.name) == 0) {
      out = e.o;
      return true;
    }
  }
  return false;
}

struct calib_output {
  std::vector<float> scale, mn, mx;
  std::vector<std::int32_t> zp;
  std::vector<float> fzp;
  bool float_zp = false;
};

int print_calibration(const char* cmd, const calib_output& o) {
  std::string s, z, a, b;
  for (std::size_t c = 0; c < o.scale.size(); ++c) {
    const char* sep = c == 0 ? "" : ", ";
    if (!std::isfinite(o.scale[c]) || !(o.scale[c] > 0.0f)) return report(cmd, "the computed scale is not finite and > 0");
    if (o.float_zp && !std::isfinite(o.fzp[c])) return report(cmd, "the computed zero point is not finite");
    s += sep + json_float(static_cast<double>(o.scale[c]));
    z += sep + (o.float_zp ? json_float(static_cast<double>(o.fzp[c])) : std::to_string(o.zp[c]));
    a += sep + json_float(static_cast<double>(o.mn[c]));
    b += sep + json_float(static_cast<double>(o.mx[c]));
  }
  std::printf("{\"scale\": [%s], \"zero_point\": [%s], \"min\": [%s], \"max\": [%s]}\n", s.c_str(), z.c_str(), a.c_str(),
              b.c_str());
  return exit_ok;
}

int cmd_calibrate(int argc, char** argv) {
  const char* cmd = "calibrate";
  parsed_args a;
  const parse_outcome po = parse_args(
      cmd, argc, argv,
      with_range({{"--observer", true},
                  {"--averaging-constant", true},
                  {"--bins", true},
                  {"--percentile", true},
                  {"--axis", true},
                  {"--entropy-variant", true}}),
      usage_calibrate, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require(cmd, a, "--observer")) return exit_error;
  observer_name obs = observer_name::minmax;
  if (!parse_observer(a.get("--observer"), obs)) {
    return report(cmd, "--observer: unknown observer " + quoted(a.get("--observer")) +
                           " (expected minmax, moving-average, histogram, entropy, percentile, mse or admm)");
  }
  if (a.positional.empty()) return report(cmd, "expected at least one BATCH.npy");
  range_config rc;
  qlin::qrange qr;
  if (!read_range(cmd, a, rc) || !make_range(cmd, rc, qr)) return exit_error;
  const bool histogram_based = obs == observer_name::histogram || obs == observer_name::entropy ||
                               obs == observer_name::percentile || obs == observer_name::mse;
  if (a.has("--averaging-constant") && obs != observer_name::moving_average) {
    return report(cmd, "--averaging-constant applies to --observer moving-average only");
  }
  if (a.has("--bins") && !histogram_based) return report(cmd, "--bins applies to the histogram-based observers only");
  if (a.has("--percentile") && obs != observer_name::percentile) return report(cmd, "--percentile applies to --observer percentile only");
  if (a.has("--axis") && histogram_based) return report(cmd, "--axis: the histogram-based observers are per tensor");
  bool ort_entropy = false;  // --entropy-variant onnxruntime
  if (a.has("--entropy-variant")) {
    if (obs != observer_name::entropy) return report(cmd, "--entropy-variant applies to --observer entropy only");
    const std::string v = a.get("--entropy-variant");
    if (v != "tensorrt" && v != "onnxruntime") {
      return report(cmd, "--entropy-variant: unknown variant " + quoted(v.c_str()) + " (expected tensorrt or onnxruntime)");
    }
    ort_entropy = v == "onnxruntime";
  }
  if (rc.scheme == scheme_kind::affine_float && obs != observer_name::minmax && obs != observer_name::moving_average) {
    return report(cmd, "--scheme affine-float applies to minmax and moving-average only");
  }
  float c = qlin::moving_average_minmax_observer::default_averaging_constant;
  if (a.has("--averaging-constant")) {
    if (!opt_float(cmd, a, "--averaging-constant", c)) return exit_error;
    if (!(c >= 0.0f && c <= 1.0f)) return report(cmd, "--averaging-constant must lie in [0, 1]");
  }
  std::int32_t bins = ort_entropy ? 128 : 2048;  // ONNX Runtime's EntropyCalibrater default: 128
  if (a.has("--bins")) {
    if (!opt_int32(cmd, a, "--bins", bins)) return exit_error;
    if (bins < 2 || bins > (1 << 24)) return report(cmd, "--bins must lie in [2, 16777216]");
  }
  double pct = 99.99;
  if (a.has("--percentile")) {
    if (!opt_double(cmd, a, "--percentile", pct)) return exit_error;
    if (!(pct >= 0.0 && pct <= 100.0)) return report(cmd, "--percentile must lie in [0, 100]");
  }
  const bool per_channel = a.has("--axis");
  std::int32_t axis = 0;
  if (per_channel && !opt_int32(cmd, a, "--axis", axis)) return exit_error;

  qlin::qparams_options o;
  o.type = rc.type;
  o.range = rc.range;
  o.preset = rc.preset;
  o.scheme = rc.scheme == scheme_kind::symmetric ? qlin::qscheme::symmetric : qlin::qscheme::affine;
  const bool symmetric = rc.scheme == scheme_kind::symmetric;

  // Observers (only the one asked for is fed).
  qlin::minmax_observer mm;
  qlin::moving_average_minmax_observer ma(c);
  qlin::per_channel_minmax_observer pmm;
  qlin::per_channel_moving_average_minmax_observer pma(c);
  qlin::histogram_observer hist(static_cast<std::size_t>(bins));
  qlin::abs_histogram_observer absh(static_cast<std::size_t>(bins));
  qlin::ort_histogram_observer orth(static_cast<std::size_t>(bins));
  std::vector<std::vector<float>> admm_channels;  // per channel, all batches in order

  for (const std::string& path : a.positional) {
    npy::array in;
    const npy::status st = npy::read_file(path.c_str(), in);
    if (!st) return report(cmd, st.message);
    if (in.type != npy::dtype::f4) return report(cmd, quoted(path.c_str()) + " holds " + npy::type_name(in.type) + ", expected float32");
    const std::vector<float> x = npy::values<float>(in);
    if (per_channel) {
      const qlin::result<qlin::channel_layout> l = qlin::make_channel_layout(in.shape.data(), in.shape.size(), axis);
      if (!l) return report(cmd, quoted(path.c_str()) + ": --axis " + std::to_string(axis) + ": " + l.error().message);
      if (obs == observer_name::admm) {
        if (l->size() == 0) continue;
        if (admm_channels.empty()) admm_channels.resize(l->channels);
        if (admm_channels.size() != l->channels) {
          return report(cmd, quoted(path.c_str()) + " has " + std::to_string(l->channels) + " channels, earlier batches " +
                                 std::to_string(admm_channels.size()));
        }
        for (std::size_t oi = 0; oi < l->outer; ++oi)
          for (std::size_t ch = 0; ch < l->channels; ++ch)
            for (std::size_t ii = 0; ii < l->inner; ++ii) admm_channels[ch].push_back(x[(oi * l->channels + ch) * l->inner + ii]);
        continue;
      }
      const qlin::status s2 = obs == observer_name::minmax ? pmm.observe(x.data(), *l) : pma.observe(x.data(), *l);
      if (!s2) return report(cmd, quoted(path.c_str()) + ": " + s2.error().message);
      continue;
    }
    switch (obs) {
      case observer_name::minmax: mm.observe(x.data(), x.size()); break;
      case observer_name::moving_average: ma.observe(x.data(), x.size()); break;
      case observer_name::histogram:
      case observer_name::mse: hist.observe(x.data(), x.size()); break;
      case observer_name::entropy:
      case observer_name::percentile:
        if (ort_entropy) {
          const qlin::status so = orth.observe(x.data(), x.size());
          if (!so) return report(cmd, quoted(path.c_str()) + ": " + so.error().message);
          break;
        }
        if (symmetric || obs == observer_name::entropy) absh.observe(x.data(), x.size());
        if (!symmetric) hist.observe(x.data(), x.size());
        if (!symmetric) mm.observe(x.data(), x.size());
        break;
      case observer_name::admm:
        if (admm_channels.empty()) admm_channels.resize(1);
        admm_channels[0].insert(admm_channels[0].end(), x.begin(), x.end());
        break;
    }
  }

  calib_output out;
  auto push = [&](const qlin::quant_params& p, float lo, float hi) {
    out.scale.push_back(p.scale);
    out.zp.push_back(p.zero_point);
    out.mn.push_back(lo);
    out.mx.push_back(hi);
  };
  auto from_range = [&](float lo, float hi) -> bool {
    if (symmetric) {
      const float amax = std::max(-std::min(lo, 0.0f), std::max(hi, 0.0f));
      lo = -amax;
      hi = amax;
    }
    const qlin::result<qlin::quant_params> p = qlin::choose_qparams(lo, hi, o);
    if (!p) return report(cmd, p.error().message), false;
    push(*p, lo, hi);
    return true;
  };
  if (obs == observer_name::minmax || obs == observer_name::moving_average) {
    std::vector<float> lo, hi;
    if (per_channel) {
      const auto& pc = obs == observer_name::minmax ? static_cast<const qlin::detail::per_channel_base&>(pmm)
                                                    : static_cast<const qlin::detail::per_channel_base&>(pma);
      if (pc.channels() == 0) return report(cmd, "the observer has seen no finite value");
      for (const auto& sm : pc.summaries()) {
        if (!sm.has_range()) return report(cmd, "a channel has seen no finite value");
      }
      lo = pc.mins();
      hi = pc.maxs();
    } else {
      const qlin::result<qlin::observed_range> r = obs == observer_name::minmax ? mm.range() : ma.range();
      if (!r) return report(cmd, r.error().message);
      lo.push_back(r->min);
      hi.push_back(r->max);
    }
    for (std::size_t ch = 0; ch < lo.size(); ++ch) {
      if (rc.scheme == scheme_kind::affine_float) {
        const qlin::result<qlin::float_quant_params> p = qlin::choose_float_qparams(lo[ch], hi[ch], o);
        if (!p) return report(cmd, p.error().message);
        out.float_zp = true;
        out.scale.push_back(p->scale);
        out.fzp.push_back(p->zero_point);
        out.mn.push_back(lo[ch]);
        out.mx.push_back(hi[ch]);
      } else {
        const qlin::result<qlin::quant_params> p = qlin::choose_qparams(lo[ch], hi[ch], o);
        if (!p) return report(cmd, p.error().message);
        push(*p, lo[ch], hi[ch]);
      }
    }
    return print_calibration(cmd, out);
  }
  if (obs == observer_name::admm) {
    if (admm_channels.empty()) return report(cmd, "the observer has seen no finite value");
    const float clamp = qlin::admm_clamp(qr);
    for (const auto& ch : admm_channels) {
      const qlin::result<float> s = qlin::admm_scale(ch.data(), ch.size(), clamp);
      if (!s) return report(cmd, std::string("admm: ") + s.error().message);
      const qlin::result<qlin::quant_params> p = qlin::admm_qparams(*s, o);
      if (!p) return report(cmd, std::string("admm: ") + p.error().message);
      push(*p, -clamp * *s, clamp * *s);
    }
    return print_calibration(cmd, out);
  }
  if (obs == observer_name::histogram || obs == observer_name::mse ||
      (obs == observer_name::percentile && !symmetric)) {
    const qlin::histogram_method m = obs == observer_name::histogram ? qlin::histogram_method::histogram
                                     : obs == observer_name::mse     ? qlin::histogram_method::mse
                                                                     : qlin::histogram_method::percentile;
    const qlin::result<qlin::clip_range> r = hist.select_range(m, o, pct);
    if (!r) return report(cmd, r.error().message);
    if (!from_range(r->min, r->max)) return exit_error;
    return print_calibration(cmd, out);
  }
  if (ort_entropy) {  // ONNX Runtime: (lo, hi) on the signed histogram, 128 quantized bins (or bins)
    const auto r = orth.entropy_range(std::min<std::size_t>(128, static_cast<std::size_t>(bins)));
    if (!r) return report(cmd, r.error().message);
    if (!from_range(r->lo, r->hi)) return exit_error;
    return print_calibration(cmd, out);
  }
  // entropy (either scheme) and symmetric percentile: TensorRT on |x|.
  qlin::result<float> amax = qlin::fail(qlin::errc::invalid_argument, "");
  if (obs == observer_name::entropy) {
    qlin::entropy_options eo;
    eo.num_bits = qlin::bit_width(rc.type);
    eo.is_unsigned = !qlin::is_signed(rc.type);
    if (absh.counts().size() < eo.start_bin) eo.start_bin = absh.counts().size();
    amax = absh.entropy_amax(eo);
  } else {
    amax = absh.percentile_amax(pct);
  }
  if (!amax) return report(cmd, amax.error().message);
  if (symmetric) {
    if (!from_range(-*amax, *amax)) return exit_error;
  } else {
    const qlin::result<qlin::observed_range> r = mm.range();
    if (!r) return report(cmd, r.error().message);
    const float lo = std::max(r->min, -*amax), hi = std::min(r->max, *amax);
    if (!from_range(std::min(lo, hi), hi)) return exit_error;
  }
  return print_calibration(cmd, out);
}

int run(int argc, char** argv) {
  if (argc < 2) return report(nullptr, "missing subcommand (try 'qlin --help')");
  const char* sub = argv[1];
  if (std::strcmp(sub, "--help") == 0 || std::strcmp(sub, "-h") == 0 || std::strcmp(sub, "help") == 0) {
    std::fputs(usage_main, stdout);
    return exit_ok;
  }
  if (std::strcmp(sub, "--version") == 0) {
    std::printf("qlin %d.%d.%d\n", QLIN_VERSION_MAJOR, QLIN_VERSION_MINOR, QLIN_VERSION_PATCH);
    return exit_ok;
  }
  if (std::strcmp(sub, "qparams") == 0) return cmd_qparams(argc, argv);
  if (std::strcmp(sub, "quantize") == 0) return cmd_quantize(argc, argv);
  if (std::strcmp(sub, "dequantize") == 0) return cmd_dequantize(argc, argv);
  if (std::strcmp(sub, "multiplier") == 0) return cmd_multiplier(argc, argv);
  if (std::strcmp(sub, "requantize") == 0) return cmd_requantize(argc, argv);
  if (std::strcmp(sub, "calibrate") == 0) return cmd_calibrate(argc, argv);
  return report(nullptr, "unknown subcommand " + quoted(sub) + " (try 'qlin --help')");
}

}  // namespace

int main(int argc, char** argv) {
  int rc = exit_error;
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    rc = run(argc, argv);
  } catch (const std::bad_alloc&) {
    return report(nullptr, "out of memory");
  } catch (...) {
    return report(nullptr, "internal error");
  }
#else
  rc = run(argc, argv);
#endif
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    return report(nullptr, "cannot write to standard output");
  }
  return rc;
}
