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
// Beyond int8 (usage_beyond, docs/cli.md): metrics, fake-quant, group-quantize, group-dequantize,
// binarize, pot, equalize, pack and unpack, in the section of that name below.
#include <algorithm>
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
#include <type_traits>
#include <utility>
#include <vector>

#include <qlin/binary.hpp>
#include <qlin/config.hpp>
#include <qlin/dfq.hpp>
#include <qlin/dtype.hpp>
#include <qlin/fake_quant.hpp>
#include <qlin/fixed_point.hpp>
#include <qlin/int4.hpp>
#include <qlin/metrics.hpp>
#include <qlin/observers.hpp>
#include <qlin/params.hpp>
#include <qlin/power_of_two.hpp>
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
  qlin::histogram_observer hist(static_cast<std::size_t>(bins),
                                obs == observer_name::mse ? qlin::track_moments::yes : qlin::track_moments::no);
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

// ---------------------------------------------------------------------------------------------
// Beyond int8 (docs/beyond.md): metrics, fake-quant, per-group 4-bit, binary / ternary, power of two and
// logarithmic, cross-layer equalization. Same conventions: JSON on stdout, exit 2 and one stderr line on error.

const char* const usage_beyond =
    "\n"
    "Beyond int8 (docs/beyond.md):\n"
    "  metrics           error metrics of TEST.npy against REF.npy (MSE, SQNR, cosine, max error)\n"
    "  fake-quant        quantize + dequantize in float (PyTorch 1.13), optionally the STE mask\n"
    "  group-quantize    per-group 4-bit weights: parameters per group + codes (packed or not)\n"
    "  group-dequantize  per-group 4-bit codes -> float32\n"
    "  binarize          XNOR-Net binary (sign + mean |w| per channel) or TWN ternary weights\n"
    "  pot               dynamic fixed point (power-of-two scale 2^-FL) or logarithmic codes\n"
    "  equalize          DFQ cross-layer equalization of two consecutive layers\n"
    "  pack / unpack     4-bit codes one per byte <-> two per byte (low nibble first)\n"
    "\n"
    "  qlin metrics          REF.npy TEST.npy\n"
    "  qlin fake-quant       (--scale S --zero-point Z | --axis K --scales F.npy --zero-points F.npy)\n"
    "                        [--mask MASK.npy] [--fp-contract off|fma] [range options] IN.npy OUT.npy\n"
    "  qlin group-quantize   --group-size G [--packed] [range options] W.npy CODES.npy\n"
    "  qlin group-dequantize --group-size G --scales F.npy --zero-points F.npy [--packed --cols N]\n"
    "                        [range options] CODES.npy OUT.npy\n"
    "  qlin binarize         [--ternary [--threshold-factor F]] [--packed] W.npy CODES.npy\n"
    "  qlin pot              [--bits B] [--fractional-length FL] IN.npy [OUT.npy]\n"
    "  qlin pot --log        [--levels N] IN.npy [OUT.npy]\n"
    "  qlin equalize         W1.npy B1.npy W2.npy W1_OUT.npy B1_OUT.npy W2_OUT.npy\n"
    "  qlin pack             --dtype int4|uint4 CODES.npy PACKED.npy\n"
    "  qlin unpack           --dtype int4|uint4 --cols C PACKED.npy CODES.npy\n";

const char* const usage_metrics =
    "usage: qlin metrics REF.npy TEST.npy\n"
    "\n"
    "Compares the float32 array TEST.npy with the reference REF.npy (same shape), element by element, with\n"
    "qlin::compare (qlin/metrics.hpp; sums in double), and prints\n"
    "  {\"count\": N, \"mse\": M, \"sqnr_db\": S, \"cosine\": C, \"max_abs_error\": E}\n"
    "mse = sum (t - r)^2 / N, sqnr_db = 10 log10(sum r^2 / sum (t - r)^2),\n"
    "cosine = sum r t / sqrt(sum r^2 sum t^2), max_abs_error = max |t - r|.\n"
    "sqnr_db is null when it is infinite: +inf when the arrays are equal (mse 0), -inf when REF is all\n"
    "zero and TEST is not. N = 0 gives mse 0, sqnr null, cosine 1, max 0. NaN or +-Inf elements are refused.\n";

const char* const usage_fake_quant =
    "usage: qlin fake-quant (--scale S --zero-point Z | --axis K --scales F.npy --zero-points F.npy)\n"
    "                       [--mask MASK.npy] [--fp-contract off|fma] [range options] IN.npy OUT.npy\n"
    "\n"
    "y = dequantize(quantize(x)) in float, bit for bit as torch 1.13's fake_quantize_per_tensor_affine /\n"
    "fake_quantize_per_channel_affine (qlin/fake_quant.hpp): qf = f32(z) + rne(f32(x * f32(1/s))),\n"
    "y = f32((clamp(qf, qmin, qmax) - z) * s). The range options give [qmin, qmax] (--dtype uint8 for\n"
    "torch's quint8 0..255, --quant-min / --quant-max for any range). --scheme affine-float takes float\n"
    "zero points (torch's float zero_point: rounding after adding z); --fp-contract fma reproduces torch's\n"
    "AVX2 / AVX-512 kernels there (fused x * inv + z), off (default) its default kernels.\n"
    "--mask MASK.npy writes the straight-through estimator's mask as uint8 0 / 1 (1 where the unrounded\n"
    "code lies in [qmin, qmax]; dx = dy * mask). NaN gives the code of 0.0 and mask 0; +-Inf saturate, mask 0.\n"
    "Only --compat pytorch. Nothing is printed on success.\n"
    "\n";

const char* const usage_group_quantize =
    "usage: qlin group-quantize --group-size G [--packed] [range options] W.npy CODES.npy\n"
    "\n"
    "Per-group 4-bit quantization (qlin/int4.hpp; GPTQ / AWQ / GGML-style groups): W.npy (float32, at least\n"
    "1-D) is viewed as [rows][cols] with cols its last dimension; each row is cut into groups of G consecutive\n"
    "elements (the last group is shorter when cols % G != 0), and each group gets its own scale and zero\n"
    "point from choose_qparams on its finite min / max with the range options (--dtype int4 (default here)\n"
    "or uint4, --scheme affine|symmetric, --narrow, --compat). Prints\n"
    "  {\"rows\": R, \"cols\": C, \"groups_per_row\": N, \"scale\": [...], \"zero_point\": [...]}\n"
    "(R * N entries, row-major: group g of row r at r * N + g) and writes the codes: W's shape, one per\n"
    "byte ('|i1' int4 / '|u1' uint4); with --packed, two per byte, low nibble first, each row on its own\n"
    "(C + 1) / 2 bytes: a '|u1' array [R][(C + 1) / 2] (odd C: the last high nibble of a row is 0).\n"
    "\n";

const char* const usage_group_dequantize =
    "usage: qlin group-dequantize --group-size G --scales F.npy --zero-points F.npy [--packed --cols C]\n"
    "                             [range options] CODES.npy OUT.npy\n"
    "\n"
    "The inverse of 'qlin group-quantize': r = f32(q - z[row, g]) * s[row, g] (qlin::dequantize_per_group).\n"
    "--scales: float32, --zero-points: int32, R * N entries each (any shape, row-major). CODES.npy: unpacked\n"
    "('|i1' int4 / '|u1' uint4, cols = its last dimension; OUT has its shape), or with --packed a '|u1'\n"
    "array [R][(C + 1) / 2] and --cols C (OUT is [R][C]). Codes outside [qmin, qmax] are refused.\n"
    "\n";

const char* const usage_binarize =
    "usage: qlin binarize [--ternary [--threshold-factor F]] [--packed] W.npy CODES.npy\n"
    "\n"
    "Per output channel (W's first axis; the rest of each channel flattened, k elements; a 0-d or 1-D W is\n"
    "one channel):\n"
    "  binary (XNOR-Net, qlin::binarize):   b = +1 where w >= 0 else -1, alpha = mean |w|;  w ~ alpha * b\n"
    "  --ternary (TWN, qlin::ternarize):    delta = F mean |w| (F = 0.7 unless --threshold-factor, finite\n"
    "                                       and >= 0), t = +1 / 0 / -1 (w > delta, |w| <= delta,\n"
    "                                       w < -delta), alpha = mean |w| over |w| > delta;  w ~ alpha * t\n"
    "Prints {\"alpha\": [...]} (with --ternary also \"delta\": [...]), one entry per channel, and writes the\n"
    "codes as '|i1' with W's shape, or with --packed as bits: '|u1' [channels][8 * ceil(k / 64)], the\n"
    "little-endian bytes of 64-bit words (element i: bit i % 64 of word i / 64, 1 = +1; view with\n"
    "np.load(..).view('<u8')); ternary --packed: [2][channels][8 * ceil(k / 64)], the +1 plane then\n"
    "the -1 plane. NaN or +-Inf weights are refused.\n";

const char* const usage_pot =
    "usage: qlin pot [--bits B] [--fractional-length FL] IN.npy [OUT.npy]\n"
    "       qlin pot --log [--levels N] IN.npy [OUT.npy]\n"
    "\n"
    "Dynamic fixed point (Ristretto; qlin/power_of_two.hpp): a B-bit signed code q (B in [2, 32], default\n"
    "8) stands for q * 2^-FL. Without --fractional-length, FL = B - 1 - ceil(log2(max |x|)) over the finite\n"
    "elements of IN.npy (float32). Prints {\"bits\": B, \"fractional_length\": FL, \"step\": 2^-FL,\n"
    "\"max_abs\": M}; OUT.npy gets q = clamp(round_half_even(x * 2^FL), -2^(B-1), 2^(B-1) - 1) as '|i1'\n"
    "(B <= 8), '<i2' (B <= 16) or '<i4'. FL given: in [-256, 256].\n"
    "--log (LogQuant, qlin::log_quantize): codes sign * 2^e with e in [emin, emax], emax =\n"
    "ceil(log2(max |x|)), emin = emax - N + 1 (--levels N in [1, 127], default 15 = 4-bit magnitude), or 0;\n"
    "rounding to the nearest power of two in the linear domain. Prints {\"emin\": E0, \"emax\": E1}; OUT.npy\n"
    "gets the '|u1' codes (bit 7 = sign, bits 0..6 = m: 0 is the value 0, m >= 1 is 2^(emin + m - 1)).\n"
    "An input whose max |x| is 0 or that has no finite element is refused.\n";

const char* const usage_equalize =
    "usage: qlin equalize W1.npy B1.npy W2.npy W1_OUT.npy B1_OUT.npy W2_OUT.npy\n"
    "\n"
    "Cross-layer equalization (Nagel et al. 2019, DFQ; qlin::equalize_cross_layer) of y = W2 act(W1 x + b1)\n"
    "for a positively homogeneous act (identity, ReLU, PReLU): W1 [C][in], B1 [C], W2 [out][C], float32.\n"
    "Channel c: s_c = sqrt(r1_c / r2_c) with r1_c = max |W1[c, :]|, r2_c = max |W2[:, c]| (1 for a dead\n"
    "channel); W1[c, :] /= s_c, b1[c] /= s_c, W2[:, c] *= s_c. Writes the three arrays and prints\n"
    "{\"scales\": [s_0, ...]}. NaN or +-Inf weights or biases are refused.\n";

std::string json_floats(const std::vector<float>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : ", ") + json_float(static_cast<double>(v[i]));
  return s + "]";
}

std::string json_ints(const std::vector<std::int32_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : ", ") + std::to_string(v[i]);
  return s + "]";
}

// Reads a float32 array; with `finite`, NaN and +-Inf are refused.
bool read_floats(const char* cmd, const char* path, npy::array& a, std::vector<float>& x, bool finite) {
  const npy::status st = npy::read_file(path, a);
  if (!st) return report(cmd, st.message), false;
  if (a.type != npy::dtype::f4) {
    return report(cmd, quoted(path) + " holds " + npy::type_name(a.type) + ", expected float32"), false;
  }
  x = npy::values<float>(a);
  if (finite) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!std::isfinite(x[i])) return report(cmd, quoted(path) + ": element " + std::to_string(i) + " is NaN or infinite"), false;
    }
  }
  return true;
}

bool require_n_files(const char* cmd, const parsed_args& a, std::size_t lo, std::size_t hi, const char* what) {
  if (a.positional.size() >= lo && a.positional.size() <= hi) return true;
  report(cmd, std::string("expected ") + what + ", got " + std::to_string(a.positional.size()) + " file argument(s)");
  return false;
}

// ---------------------------------------------------------------------------------------------
// qlin metrics

int cmd_metrics(int argc, char** argv) {
  const char* cmd = "metrics";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, {}, usage_metrics, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_n_files(cmd, a, 2, 2, "REF.npy and TEST.npy")) return exit_error;
  npy::array ra, ta;
  std::vector<float> r, t;
  if (!read_floats(cmd, a.positional[0].c_str(), ra, r, true) || !read_floats(cmd, a.positional[1].c_str(), ta, t, true)) {
    return exit_error;
  }
  if (ra.shape != ta.shape) return report(cmd, "REF.npy and TEST.npy have different shapes");
  const qlin::error_stats e = qlin::compare(r.data(), t.data(), r.size());
  const double sqnr = e.sqnr_db();
  std::printf("{\"count\": %llu, \"mse\": %s, \"sqnr_db\": %s, \"cosine\": %s, \"max_abs_error\": %s}\n",
              static_cast<unsigned long long>(e.count), json_float(e.mse()).c_str(),
              std::isfinite(sqnr) ? json_float(sqnr).c_str() : "null", json_float(e.cosine()).c_str(),
              json_float(e.max_abs_error()).c_str());
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// qlin fake-quant

int cmd_fake_quant(int argc, char** argv) {
  const char* cmd = "fake-quant";
  parsed_args a;
  std::vector<option_spec> specs = tensor_specs();
  specs.push_back({"--mask", true});
  specs.push_back({"--fp-contract", true});
  const parse_outcome po = parse_args(cmd, argc, argv, specs, usage_fake_quant, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;
  range_config rc;
  qlin::qrange qr;
  tensor_params tp;
  if (!read_range(cmd, a, rc) || !make_range(cmd, rc, qr)) return exit_error;
  if (rc.preset != qlin::compat::pytorch) return report(cmd, "fake quantization is PyTorch's; it needs --compat pytorch");
  qlin::fp_contract fc = qlin::fp_contract::off;
  if (const char* v = a.get("--fp-contract")) {
    if (std::strcmp(v, "fma") == 0) {
      fc = qlin::fp_contract::fma;
    } else if (std::strcmp(v, "off") != 0) {
      return report(cmd, "--fp-contract: " + quoted(v) + " is not off or fma");
    }
    if (rc.scheme != scheme_kind::affine_float) return report(cmd, "--fp-contract applies to --scheme affine-float only");
  }
  if (!read_tensor_params(cmd, a, rc, qr, tp)) return exit_error;
  const char* in_path = a.positional[0].c_str();
  npy::array in;
  std::vector<float> x;
  if (!read_floats(cmd, in_path, in, x, false)) return exit_error;
  layout l;
  if (!make_layout(cmd, tp, in, in_path, l)) return exit_error;
  std::vector<float> y(x.size());
  std::vector<std::uint8_t> mask(x.size());
  if (!x.empty()) {
    if (rc.scheme == scheme_kind::affine_float) {
      const qlin::per_channel_float_params p{tp.scales, tp.float_zero_points, qr.qmin, qr.qmax};
      qlin::fake_quantize_per_channel(x.data(), l.outer, l.channels, l.inner, y.data(), p, mask.data(), fc);
    } else if (tp.per_channel) {
      const qlin::per_channel_params p{tp.scales, tp.zero_points, qr.qmin, qr.qmax};
      qlin::fake_quantize_per_channel(x.data(), l.outer, l.channels, l.inner, y.data(), p, mask.data());
    } else {
      const qlin::quant_params p{tp.scales[0], tp.zero_points[0], qr.qmin, qr.qmax};
      qlin::fake_quantize(x.data(), x.size(), y.data(), p, mask.data());
    }
  }
  const int rc_out = write_output(cmd, a.positional[1].c_str(), npy::make_array(in.shape, y.data(), y.size()));
  if (rc_out != exit_ok || !a.has("--mask")) return rc_out;
  const int rc_mask = write_output(cmd, a.get("--mask"), npy::make_array(in.shape, mask.data(), mask.size()));
  if (rc_mask != exit_ok) std::remove(a.positional[1].c_str());  // all outputs or none
  return rc_mask;
}

// ---------------------------------------------------------------------------------------------
// qlin group-quantize / group-dequantize

// The product of all dimensions but the last (the rows of the [rows][cols] view; 3 for a [3][0] array).
std::size_t leading_rows(const std::vector<std::size_t>& shape) {
  std::size_t rows = 1;
  for (std::size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  return rows;
}

bool read_group_size(const char* cmd, const parsed_args& a, std::size_t& out) {
  if (!require(cmd, a, "--group-size")) return false;
  std::int32_t g = 0;
  if (!opt_int32(cmd, a, "--group-size", g)) return false;
  if (g < 1) return report(cmd, "--group-size must be at least 1"), false;
  out = static_cast<std::size_t>(g);
  return true;
}

// The 4-bit range options: --dtype int4 (default) or uint4; affine or symmetric.
bool read_range4(const char* cmd, const parsed_args& a, range_config& rc, qlin::qrange& qr) {
  if (!a.has("--dtype")) rc.type = qlin::dtype::int4;
  if (!read_range(cmd, a, rc)) return false;
  if (qlin::bit_width(rc.type) != 4) return report(cmd, "--dtype must be int4 or uint4"), false;
  if (rc.scheme == scheme_kind::affine_float) return report(cmd, "--scheme affine-float is not available per group"), false;
  return make_range(cmd, rc, qr);
}

int cmd_group_quantize(int argc, char** argv) {
  const char* cmd = "group-quantize";
  parsed_args a;
  const parse_outcome po =
      parse_args(cmd, argc, argv, with_range({{"--group-size", true}, {"--packed", false}}), usage_group_quantize, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;
  std::size_t group = 0;
  range_config rc;
  qlin::qrange qr;
  if (!read_group_size(cmd, a, group) || !read_range4(cmd, a, rc, qr)) return exit_error;
  const char* in_path = a.positional[0].c_str();
  npy::array in;
  std::vector<float> w;
  if (!read_floats(cmd, in_path, in, w, false)) return exit_error;
  if (in.shape.empty()) return report(cmd, quoted(in_path) + " is 0-d; per-group quantization needs at least one axis");
  const std::size_t cols = in.shape.back(), rows = leading_rows(in.shape);
  qlin::qparams_options o;
  o.type = rc.type;
  o.range = rc.range;
  o.preset = rc.preset;
  o.scheme = rc.scheme == scheme_kind::symmetric ? qlin::qscheme::symmetric : qlin::qscheme::affine;
  const qlin::result<qlin::group_quant_params> p = qlin::choose_qparams_per_group(w.data(), rows, cols, group, o);
  if (!p) return report(cmd, p.error().message);
  const qlin::quantize_method method = qlin::quantize_method::of(rc.preset);
  for (std::size_t i = 0; i < p->scales.size(); ++i) {
    if (!std::isfinite(p->scales[i]) || !(p->scales[i] > 0.0f) || (!method.divide && !std::isfinite(1.0f / p->scales[i]))) {
      return report(cmd, "group " + std::to_string(i) + ": the computed scale is not usable (not finite, 0, or 1 / scale overflows)");
    }
  }
  std::vector<std::uint8_t> packed(rows * qlin::packed_bytes(cols));
  if (!packed.empty()) qlin::quantize_per_group(w.data(), packed.data(), *p, method);
  int st = exit_ok;
  if (a.has("--packed")) {
    st = write_output(cmd, a.positional[1].c_str(),
                      npy::make_array(std::vector<std::size_t>{rows, qlin::packed_bytes(cols)}, packed.data(), packed.size()));
  } else {
    st = with_storage(rc.type, [&](auto tag) {
      using T = decltype(tag);
      std::vector<T> q(w.size());
      for (std::size_t r = 0; r < rows; ++r) {
        const std::uint8_t* row = packed.data() + r * qlin::packed_bytes(cols);
        if constexpr (std::is_same<T, std::int8_t>::value) {
          qlin::unpack_int4(row, cols, q.data() + r * cols);
        } else if constexpr (std::is_same<T, std::uint8_t>::value) {
          qlin::unpack_uint4(row, cols, q.data() + r * cols);
        }
      }
      return write_output(cmd, a.positional[1].c_str(), npy::make_array(in.shape, q.data(), q.size()));
    });
  }
  if (st != exit_ok) return st;
  std::printf("{\"rows\": %zu, \"cols\": %zu, \"groups_per_row\": %zu, \"scale\": %s, \"zero_point\": %s}\n", rows, cols,
              p->groups_per_row(), json_floats(p->scales).c_str(), json_ints(p->zero_points).c_str());
  return exit_ok;
}

int cmd_group_dequantize(int argc, char** argv) {
  const char* cmd = "group-dequantize";
  parsed_args a;
  const parse_outcome po = parse_args(
      cmd, argc, argv,
      with_range({{"--group-size", true}, {"--scales", true}, {"--zero-points", true}, {"--packed", false}, {"--cols", true}}),
      usage_group_dequantize, true, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;
  std::size_t group = 0;
  range_config rc;
  qlin::qrange qr;
  if (!read_group_size(cmd, a, group) || !read_range4(cmd, a, rc, qr)) return exit_error;
  if (!require(cmd, a, "--scales") || !require(cmd, a, "--zero-points")) return exit_error;
  const bool packed_in = a.has("--packed");
  if (packed_in != a.has("--cols")) return report(cmd, packed_in ? "--packed needs --cols" : "--cols applies to --packed only");
  npy::array sa, za, in;
  npy::status st = npy::read_file(a.get("--scales"), sa);
  if (!st) return report(cmd, "--scales: " + st.message);
  st = npy::read_file(a.get("--zero-points"), za);
  if (!st) return report(cmd, "--zero-points: " + st.message);
  if (sa.type != npy::dtype::f4) return report(cmd, "--scales: expected float32, got " + std::string(npy::type_name(sa.type)));
  if (za.type != npy::dtype::i4) return report(cmd, "--zero-points: expected int32, got " + std::string(npy::type_name(za.type)));
  const char* in_path = a.positional[0].c_str();
  st = npy::read_file(in_path, in);
  if (!st) return report(cmd, st.message);
  std::size_t rows = 0, cols = 0;
  std::vector<std::size_t> out_shape;
  std::vector<std::uint8_t> packed;
  if (packed_in) {
    std::int32_t c = 0;
    if (!opt_int32(cmd, a, "--cols", c)) return exit_error;
    if (c < 0) return report(cmd, "--cols must be >= 0");
    cols = static_cast<std::size_t>(c);
    if (in.type != npy::dtype::u1 || in.shape.size() != 2 || in.shape[1] != qlin::packed_bytes(cols)) {
      return report(cmd, quoted(in_path) + " must be a uint8 array [rows][" + std::to_string(qlin::packed_bytes(cols)) +
                             "] (packed rows of " + std::to_string(cols) + " 4-bit codes)");
    }
    rows = in.shape[0];
    out_shape = {rows, cols};
    packed = npy::values<std::uint8_t>(in);
  } else {
    const npy::dtype want = storage_dtype(rc.type);
    if (in.type != want) {
      return report(cmd, quoted(in_path) + " holds " + npy::type_name(in.type) + " but --dtype " + qlin::to_string(rc.type) +
                             " needs " + npy::type_name(want));
    }
    if (in.shape.empty()) return report(cmd, quoted(in_path) + " is 0-d; per-group codes need at least one axis");
    cols = in.shape.back();
    rows = leading_rows(in.shape);
    out_shape = in.shape;
    packed.assign(rows * qlin::packed_bytes(cols), 0);
    const int bad = with_storage(rc.type, [&](auto tag) {
      using T = decltype(tag);
      const std::vector<T> q = npy::values<T>(in);
      for (std::size_t i = 0; i < q.size(); ++i) {
        if (q[i] < qr.qmin || q[i] > qr.qmax) {
          return report(cmd, quoted(in_path) + ": element " + std::to_string(i) + " is " + std::to_string(q[i]) +
                                 ", outside [" + std::to_string(qr.qmin) + ", " + std::to_string(qr.qmax) + "]");
        }
      }
      for (std::size_t r = 0; r < rows; ++r) {
        std::uint8_t* row = packed.data() + r * qlin::packed_bytes(cols);
        if constexpr (std::is_same<T, std::int8_t>::value) {
          qlin::pack_int4(q.data() + r * cols, cols, row);
        } else if constexpr (std::is_same<T, std::uint8_t>::value) {
          qlin::pack_uint4(q.data() + r * cols, cols, row);
        }
      }
      return exit_ok;
    });
    if (bad != exit_ok) return bad;
  }
  qlin::group_quant_params p;
  p.rows = rows, p.cols = cols, p.group = group, p.type = rc.type, p.qmin = qr.qmin, p.qmax = qr.qmax;
  const std::size_t n_params = rows * p.groups_per_row();
  if (sa.count() != n_params || za.count() != n_params) {
    return report(cmd, "expected " + std::to_string(n_params) + " scales and zero points (" + std::to_string(rows) +
                           " rows x " + std::to_string(p.groups_per_row()) + " groups), got " + std::to_string(sa.count()) +
                           " and " + std::to_string(za.count()));
  }
  p.scales = npy::values<float>(sa);
  p.zero_points = npy::values<std::int32_t>(za);
  for (std::size_t i = 0; i < n_params; ++i) {
    const qlin::result<qlin::quant_params> q = qlin::make_quant_params(p.scales[i], p.zero_points[i], qr, rc.type);
    if (!q) return report(cmd, "group " + std::to_string(i) + ": " + q.error().message);
  }
  if (packed_in) {
    const bool sgn = rc.type == qlin::dtype::int4;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const std::uint32_t byte = packed[r * qlin::packed_bytes(cols) + c / 2];
        const std::uint32_t u = (byte >> (4 * (c % 2))) & 0x0Fu;
        const std::int32_t v = sgn ? static_cast<std::int32_t>(u ^ 8u) - 8 : static_cast<std::int32_t>(u);
        if (v < qr.qmin || v > qr.qmax) {
          return report(cmd, quoted(in_path) + ": row " + std::to_string(r) + ", element " + std::to_string(c) + " is " +
                                 std::to_string(v) + ", outside [" + std::to_string(qr.qmin) + ", " + std::to_string(qr.qmax) + "]");
        }
      }
    }
  }
  std::vector<float> out(rows * cols);
  if (!out.empty()) qlin::dequantize_per_group(packed.data(), out.data(), p);
  return write_output(cmd, a.positional[1].c_str(), npy::make_array(out_shape, out.data(), out.size()));
}

// ---------------------------------------------------------------------------------------------
// qlin binarize

// The little-endian bytes of `n` 64-bit words.
void append_words_le(const std::uint64_t* w, std::size_t n, std::vector<std::uint8_t>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<std::uint8_t>((w[i] >> (8 * b)) & 0xFFu));
  }
}

int cmd_binarize(int argc, char** argv) {
  const char* cmd = "binarize";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, {{"--ternary", false}, {"--packed", false}, {"--threshold-factor", true}},
                                      usage_binarize, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_files(cmd, a, 2)) return exit_error;
  const char* in_path = a.positional[0].c_str();
  npy::array in;
  std::vector<float> w;
  if (!read_floats(cmd, in_path, in, w, true)) return exit_error;
  const std::size_t channels = in.shape.size() < 2 ? 1 : in.shape[0];  // 0-d and 1-D: one channel
  const std::size_t k = channels == 0 ? 0 : w.size() / channels;
  const std::size_t wpr = qlin::words_per_row(k);
  const bool ternary = a.has("--ternary");
  double factor = qlin::twn_threshold_factor;
  if (a.has("--threshold-factor")) {
    if (!ternary) return report(cmd, "--threshold-factor needs --ternary"), exit_error;
    if (!opt_double(cmd, a, "--threshold-factor", factor)) return exit_error;
    if (!std::isfinite(factor) || factor < 0.0) return report(cmd, "--threshold-factor must be finite and >= 0"), exit_error;
  }
  std::vector<float> alpha(channels), delta(channels);
  std::vector<std::int8_t> codes(w.size());
  std::vector<std::uint8_t> bytes;
  if (ternary) {
    if (channels != 0) qlin::ternarize(w.data(), channels, k, codes.data(), alpha.data(), delta.data(), factor);
    if (a.has("--packed")) {
      std::vector<std::uint64_t> pos(channels * wpr), neg(channels * wpr);
      for (std::size_t c = 0; c < channels; ++c) qlin::pack_ternary(codes.data() + c * k, k, pos.data() + c * wpr, neg.data() + c * wpr);
      append_words_le(pos.data(), pos.size(), bytes);
      append_words_le(neg.data(), neg.size(), bytes);
    }
  } else {
    std::vector<std::uint64_t> bits(channels * wpr);
    if (channels != 0) qlin::binarize(w.data(), channels, k, bits.data(), alpha.data());
    for (std::size_t c = 0; c < channels; ++c) {
      for (std::size_t i = 0; i < k; ++i) codes[c * k + i] = static_cast<std::int8_t>(qlin::packed_sign(bits.data() + c * wpr, i));
    }
    if (a.has("--packed")) append_words_le(bits.data(), bits.size(), bytes);
  }
  for (std::size_t c = 0; c < channels; ++c) {
    if (!std::isfinite(alpha[c])) return report(cmd, "channel " + std::to_string(c) + ": alpha overflows float32");
  }
  int st = exit_ok;
  if (a.has("--packed")) {
    std::vector<std::size_t> shape{channels, 8 * wpr};
    if (ternary) shape.insert(shape.begin(), 2);
    st = write_output(cmd, a.positional[1].c_str(), npy::make_array(shape, bytes.data(), bytes.size()));
  } else {
    st = write_output(cmd, a.positional[1].c_str(), npy::make_array(in.shape, codes.data(), codes.size()));
  }
  if (st != exit_ok) return st;
  if (ternary) {
    std::printf("{\"alpha\": %s, \"delta\": %s}\n", json_floats(alpha).c_str(), json_floats(delta).c_str());
  } else {
    std::printf("{\"alpha\": %s}\n", json_floats(alpha).c_str());
  }
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// qlin pot

int cmd_pot(int argc, char** argv) {
  const char* cmd = "pot";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv,
                                      {{"--bits", true}, {"--fractional-length", true}, {"--log", false}, {"--levels", true}},
                                      usage_pot, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_n_files(cmd, a, 1, 2, "IN.npy [OUT.npy]")) return exit_error;
  const bool log = a.has("--log");
  if (log && (a.has("--bits") || a.has("--fractional-length"))) {
    return report(cmd, "--bits and --fractional-length do not apply to --log");
  }
  if (!log && a.has("--levels")) return report(cmd, "--levels applies to --log only");
  const char* in_path = a.positional[0].c_str();
  npy::array in;
  std::vector<float> x;
  if (!read_floats(cmd, in_path, in, x, false)) return exit_error;
  float max_abs = 0.0f;
  bool any = false;
  for (float v : x) {
    if (!std::isfinite(v)) continue;
    any = true;
    max_abs = std::max(max_abs, std::fabs(v));
  }
  const bool has_out = a.positional.size() == 2;
  if (log) {
    std::int32_t levels = 15;
    if (a.has("--levels")) {
      if (!opt_int32(cmd, a, "--levels", levels)) return exit_error;
      if (levels < 1 || levels > 127) return report(cmd, "--levels must lie in [1, 127]");
    }
    if (!any) return report(cmd, quoted(in_path) + " has no finite element");
    const qlin::result<qlin::log_params> p = qlin::choose_log_params(max_abs, static_cast<int>(levels));
    if (!p) return report(cmd, p.error().message);
    if (has_out) {
      std::vector<std::uint8_t> codes(x.size());
      if (!x.empty()) qlin::log_quantize(x.data(), x.size(), codes.data(), *p);
      const int st = write_output(cmd, a.positional[1].c_str(), npy::make_array(in.shape, codes.data(), codes.size()));
      if (st != exit_ok) return st;
    }
    std::printf("{\"emin\": %d, \"emax\": %d}\n", p->emin, p->emax);
    return exit_ok;
  }
  std::int32_t bits = 8;
  if (a.has("--bits")) {
    if (!opt_int32(cmd, a, "--bits", bits)) return exit_error;
    if (bits < 2 || bits > 32) return report(cmd, "--bits must lie in [2, 32]");
  }
  int fl = 0;
  if (a.has("--fractional-length")) {
    std::int32_t v = 0;
    if (!opt_int32(cmd, a, "--fractional-length", v)) return exit_error;
    if (v < -256 || v > 256) return report(cmd, "--fractional-length must lie in [-256, 256]");
    fl = static_cast<int>(v);
  } else {
    if (!any) return report(cmd, quoted(in_path) + " has no finite element");
    const qlin::result<int> r = qlin::fractional_length(max_abs, static_cast<int>(bits));
    if (!r) return report(cmd, r.error().message);
    fl = *r;
  }
  if (has_out) {
    const qlin::qrange r = qlin::pot_range(static_cast<int>(bits));
    auto write = [&](auto tag) {
      using T = decltype(tag);
      std::vector<T> q(x.size());
      if (!x.empty()) qlin::pot_quantize(x.data(), x.size(), q.data(), fl, r);
      return write_output(cmd, a.positional[1].c_str(), npy::make_array(in.shape, q.data(), q.size()));
    };
    const int st = bits <= 8 ? write(std::int8_t{}) : bits <= 16 ? write(std::int16_t{}) : write(std::int32_t{});
    if (st != exit_ok) return st;
  }
  std::printf("{\"bits\": %d, \"fractional_length\": %d, \"step\": %s, \"max_abs\": %s}\n", static_cast<int>(bits), fl,
              json_float(std::ldexp(1.0, -fl)).c_str(), json_float(static_cast<double>(max_abs)).c_str());
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// qlin equalize

int cmd_equalize(int argc, char** argv) {
  const char* cmd = "equalize";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, {}, usage_equalize, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  if (!require_n_files(cmd, a, 6, 6, "W1.npy B1.npy W2.npy W1_OUT.npy B1_OUT.npy W2_OUT.npy")) return exit_error;
  npy::array w1a, b1a, w2a;
  std::vector<float> w1, b1, w2;
  if (!read_floats(cmd, a.positional[0].c_str(), w1a, w1, true) || !read_floats(cmd, a.positional[1].c_str(), b1a, b1, true) ||
      !read_floats(cmd, a.positional[2].c_str(), w2a, w2, true)) {
    return exit_error;
  }
  if (w1a.shape.size() != 2 || b1a.shape.size() != 1 || w2a.shape.size() != 2) {
    return report(cmd, "W1 and W2 must be 2-D ([C][in], [out][C]) and B1 1-D ([C])");
  }
  const std::size_t channels = w1a.shape[0];
  if (b1a.shape[0] != channels || w2a.shape[1] != channels) {
    return report(cmd, "W1 has " + std::to_string(channels) + " output channels but B1 has " + std::to_string(b1a.shape[0]) +
                           " entries and W2 " + std::to_string(w2a.shape[1]) + " input channels");
  }
  std::vector<float> scales(channels);
  const qlin::status s =
      qlin::equalize_cross_layer(w1.data(), b1.data(), channels, w1a.shape[1], w2.data(), w2a.shape[0], scales.data());
  if (!s) return report(cmd, s.error().message);
  int st = write_output(cmd, a.positional[3].c_str(), npy::make_array(w1a.shape, w1.data(), w1.size()));
  if (st == exit_ok) st = write_output(cmd, a.positional[4].c_str(), npy::make_array(b1a.shape, b1.data(), b1.size()));
  if (st == exit_ok) st = write_output(cmd, a.positional[5].c_str(), npy::make_array(w2a.shape, w2.data(), w2.size()));
  if (st != exit_ok) {  // all outputs or none
    for (int i = 3; i < 6; ++i) std::remove(a.positional[static_cast<std::size_t>(i)].c_str());
    return st;
  }
  std::printf("{\"scales\": %s}\n", json_floats(scales).c_str());
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// qlin pack / unpack (4-bit codes: one per byte <-> two per byte)

const char* const usage_pack =
    "usage: qlin pack --dtype int4|uint4 CODES.npy PACKED.npy\n"
    "\n"
    "Packs 4-bit codes stored one per byte (what 'qlin quantize --dtype int4|uint4' writes: '|i1' -8..7 or\n"
    "'|u1' 0..15) two per byte, low nibble first, along the last axis, each row on its own bytes\n"
    "(qlin::pack_int4 / pack_uint4): PACKED.npy is '|u1' with the last dimension C replaced by (C + 1) / 2\n"
    "(odd C: the last high nibble of a row is 0). Codes outside the dtype's range are refused.\n";

const char* const usage_unpack =
    "usage: qlin unpack --dtype int4|uint4 --cols C PACKED.npy CODES.npy\n"
    "\n"
    "The inverse of 'qlin pack' (qlin::unpack_int4 / unpack_uint4): PACKED.npy is '|u1' with last dimension\n"
    "(C + 1) / 2; CODES.npy gets last dimension C, '|i1' (int4, sign-extended: (nibble ^ 8) - 8) or '|u1'\n"
    "(uint4). The padding nibble of an odd C is ignored.\n";

bool read_dtype4(const char* cmd, const parsed_args& a, qlin::dtype& t) {
  if (!require(cmd, a, "--dtype")) return false;
  const char* v = a.get("--dtype");
  if (std::strcmp(v, "int4") == 0) {
    t = qlin::dtype::int4;
  } else if (std::strcmp(v, "uint4") == 0) {
    t = qlin::dtype::uint4;
  } else {
    return report(cmd, "--dtype: " + quoted(v) + " is not int4 or uint4"), false;
  }
  return true;
}

int cmd_pack(int argc, char** argv) {
  const char* cmd = "pack";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, {{"--dtype", true}}, usage_pack, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  qlin::dtype t = qlin::dtype::int4;
  if (!require_files(cmd, a, 2) || !read_dtype4(cmd, a, t)) return exit_error;
  const char* in_path = a.positional[0].c_str();
  npy::array in;
  const npy::status st = npy::read_file(in_path, in);
  if (!st) return report(cmd, st.message);
  if (in.type != storage_dtype(t)) {
    return report(cmd, quoted(in_path) + " holds " + npy::type_name(in.type) + " but --dtype " + qlin::to_string(t) +
                           " needs " + npy::type_name(storage_dtype(t)));
  }
  if (in.shape.empty()) return report(cmd, quoted(in_path) + " is 0-d; packing needs at least one axis");
  const std::size_t cols = in.shape.back(), rows = leading_rows(in.shape), stride = qlin::packed_bytes(cols);
  const qlin::qrange full = qlin::full_range(t);
  std::vector<std::uint8_t> packed(rows * stride);
  const int rc = with_storage(t, [&](auto tag) {
    using T = decltype(tag);
    const std::vector<T> q = npy::values<T>(in);
    for (std::size_t i = 0; i < q.size(); ++i) {
      if (q[i] < full.qmin || q[i] > full.qmax) {
        return report(cmd, quoted(in_path) + ": element " + std::to_string(i) + " is " + std::to_string(q[i]) +
                               ", outside the " + qlin::to_string(t) + " range [" + std::to_string(full.qmin) + ", " +
                               std::to_string(full.qmax) + "]");
      }
    }
    for (std::size_t r = 0; r < rows; ++r) {
      if constexpr (std::is_same<T, std::int8_t>::value) {
        qlin::pack_int4(q.data() + r * cols, cols, packed.data() + r * stride);
      } else if constexpr (std::is_same<T, std::uint8_t>::value) {
        qlin::pack_uint4(q.data() + r * cols, cols, packed.data() + r * stride);
      }
    }
    return exit_ok;
  });
  if (rc != exit_ok) return rc;
  std::vector<std::size_t> shape = in.shape;
  shape.back() = stride;
  return write_output(cmd, a.positional[1].c_str(), npy::make_array(shape, packed.data(), packed.size()));
}

int cmd_unpack(int argc, char** argv) {
  const char* cmd = "unpack";
  parsed_args a;
  const parse_outcome po = parse_args(cmd, argc, argv, {{"--dtype", true}, {"--cols", true}}, usage_unpack, false, a);
  if (po != parse_outcome::ok) return po == parse_outcome::help ? exit_ok : exit_error;
  qlin::dtype t = qlin::dtype::int4;
  if (!require_files(cmd, a, 2) || !read_dtype4(cmd, a, t) || !require(cmd, a, "--cols")) return exit_error;
  std::int32_t c = 0;
  if (!opt_int32(cmd, a, "--cols", c)) return exit_error;
  if (c < 0) return report(cmd, "--cols must be >= 0");
  const std::size_t cols = static_cast<std::size_t>(c), stride = qlin::packed_bytes(cols);
  const char* in_path = a.positional[0].c_str();
  npy::array in;
  const npy::status st = npy::read_file(in_path, in);
  if (!st) return report(cmd, st.message);
  if (in.type != npy::dtype::u1 || in.shape.empty() || in.shape.back() != stride) {
    return report(cmd, quoted(in_path) + " must be a uint8 array whose last dimension is " + std::to_string(stride) +
                           " ((C + 1) / 2 for --cols " + std::to_string(cols) + ")");
  }
  const std::size_t rows = leading_rows(in.shape);
  const std::vector<std::uint8_t> packed = npy::values<std::uint8_t>(in);
  std::vector<std::size_t> shape = in.shape;
  shape.back() = cols;
  return with_storage(t, [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> q(rows * cols);
    for (std::size_t r = 0; r < rows; ++r) {
      if constexpr (std::is_same<T, std::int8_t>::value) {
        qlin::unpack_int4(packed.data() + r * stride, cols, q.data() + r * cols);
      } else if constexpr (std::is_same<T, std::uint8_t>::value) {
        qlin::unpack_uint4(packed.data() + r * stride, cols, q.data() + r * cols);
      }
    }
    return write_output(cmd, a.positional[1].c_str(), npy::make_array(shape, q.data(), q.size()));
  });
}

int run(int argc, char** argv) {
  if (argc < 2) return report(nullptr, "missing subcommand (try 'qlin --help')");
  const char* sub = argv[1];
  if (std::strcmp(sub, "--help") == 0 || std::strcmp(sub, "-h") == 0 || std::strcmp(sub, "help") == 0) {
    std::fputs(usage_main, stdout);
    std::fputs(usage_beyond, stdout);
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
  if (std::strcmp(sub, "metrics") == 0) return cmd_metrics(argc, argv);
  if (std::strcmp(sub, "fake-quant") == 0) return cmd_fake_quant(argc, argv);
  if (std::strcmp(sub, "group-quantize") == 0) return cmd_group_quantize(argc, argv);
  if (std::strcmp(sub, "group-dequantize") == 0) return cmd_group_dequantize(argc, argv);
  if (std::strcmp(sub, "binarize") == 0) return cmd_binarize(argc, argv);
  if (std::strcmp(sub, "pot") == 0) return cmd_pot(argc, argv);
  if (std::strcmp(sub, "equalize") == 0) return cmd_equalize(argc, argv);
  if (std::strcmp(sub, "pack") == 0) return cmd_pack(argc, argv);
  if (std::strcmp(sub, "unpack") == 0) return cmd_unpack(argc, argv);
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
