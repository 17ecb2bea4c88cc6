#!/usr/bin/env python3
"""Tests of the `qlin` command-line tool (DESIGN.md section 2).

usage: test_cli.py PATH/TO/qlin

Standard library only (no numpy): .npy files are written and read by the small helpers below,
malformed ones on purpose. Expected values are computed here, independently of the C++ code,
from the formulas of PyTorch 1.13 / TFLite / gemmlowp / XNNPACK (reference/SEMANTICS.md), with
float32 arithmetic emulated through struct (one double operation rounded to float32 equals the
float32 operation for + - * /).

Prints one line per failure and a final line "N passed, M failed"; exits 1 on any failure.
"""

import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
from fractions import Fraction

if len(sys.argv) != 2:
    print("usage: test_cli.py PATH/TO/qlin", file=sys.stderr)
    sys.exit(2)

QLIN = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="qlin_cli_test_")

passed = 0
failed = 0


def _uncaught(kind, value, tb):
    """An unexpected exception in the script is one more failure; the summary line still prints."""
    import traceback
    traceback.print_exception(kind, value, tb)
    print("%d passed, %d failed" % (passed, failed + 1))
    sys.exit(1)


sys.excepthook = _uncaught


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s%s" % (name, (": " + detail) if detail else ""))


# ------------------------------------------------------------------------------------------------
# float32 and integer reference arithmetic

INT32_MIN = -(2 ** 31)
INT32_MAX = 2 ** 31 - 1
NAN = float("nan")
INF = float("inf")


def f32(x):
    """The float32 nearest to x (round to nearest even), as a Python float."""
    if math.isnan(x) or math.isinf(x):
        return x
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def round_half_even(x):
    return float(round(x))  # Python rounds floats half to even, exactly


def round_half_away(x):
    a = abs(x)
    f = math.floor(a)
    r = f + 1 if a - f >= 0.5 else f
    return math.copysign(r, x)


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def full_range(dtype):
    return {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
            "int4": (-8, 7), "uint4": (0, 15)}[dtype]


def qrange(dtype, narrow=False, reduce_range=False, custom=None):
    lo, hi = custom if custom else full_range(dtype)
    if narrow:
        lo += 1
    if reduce_range:
        lo, hi = lo // 2, hi // 2  # Python floor division, as torch
    return lo, hi


def torch_qparams(mn, mx, qmin, qmax, symmetric=False, signed=True, default_range=True, bits=8):
    """torch 1.13 _calculate_qparams, float32."""
    mn, mx = f32(mn), f32(mx)
    min_neg, max_pos = min(mn, 0.0), max(mx, 0.0)
    eps = 2.0 ** -23
    if symmetric:
        amax = max(-min_neg, max_pos)
        scale = f32(amax / f32((qmax - qmin) / 2.0))
        scale = max(scale, eps)
        if signed:
            zp = 0
        else:
            zp = 2 ** (bits - 1) if default_range else (qmin + qmax) // 2
        return scale, zp
    scale = f32(f32(max_pos - min_neg) / float(qmax - qmin))
    scale = max(scale, eps)
    zp = qmin - int(round_half_even(f32(min_neg / scale)))
    return scale, clamp(zp, qmin, qmax)


def tflite_qparams(mn, mx, qmin, qmax):
    """TFLite GetAsymmetricQuantizationParams, float32."""
    mn, mx = f32(mn), f32(mx)
    min_neg, max_pos = min(mn, 0.0), max(mx, 0.0)
    scale = f32(f32(max_pos - min_neg) / float(qmax - qmin))
    zp_from_min = f32(float(qmin) - f32(min_neg / scale))
    if zp_from_min < qmin:
        zp = qmin
    elif zp_from_min > qmax:
        zp = qmax
    else:
        zp = int(round_half_away(zp_from_min))
    return scale, zp


def float_qparams(mn, mx, qmin, qmax):
    """torch per_channel_affine_float_qparams."""
    mn, mx = f32(mn), f32(mx)
    scale = f32(f32(mx - mn) / float(qmax - qmin))
    if not scale > 2.0 ** -23:
        scale = 1.0
    return scale, f32(-mn / scale)


def quantize_ref(x, s, z, qmin, qmax, compat="pytorch"):
    s = f32(s)
    if math.isnan(x):
        return z
    if compat in ("pytorch", "xnnpack"):
        y = f32(x * f32(1.0 / s))
        rnd = round_half_even
    else:
        y = f32(x / s)
        rnd = round_half_away
    if compat == "gemmlowp":
        t = clamp(f32(z + y), qmin, qmax)
        return int(rnd(t))
    if math.isinf(y):
        return qmax if y > 0 else qmin
    return int(clamp(int(rnd(y)) + z, qmin, qmax))


def quantize_float_zp_ref(x, s, z, qmin, qmax):
    inv = f32(1.0 / f32(s))
    t = z if math.isnan(x) else f32(f32(x * inv) + z)
    t = clamp(t, qmin, qmax)
    return int(round_half_even(t))


def dequantize_ref(q, s, z):
    return f32((q - z) * f32(s))


def dequantize_float_zp_ref(q, s, z):
    return f32(f32(q - z) * f32(s))


def quantize_multiplier_ref(real):
    """TFLite QuantizeMultiplier, exact with Fractions."""
    if real == 0.0:
        return 0, 0
    m, e = math.frexp(real)
    v = Fraction(m) * 2 ** 31
    q = math.floor(v + Fraction(1, 2))  # ties away from zero (v > 0)
    if q == 2 ** 31:
        q //= 2
        e += 1
    if e < -31:
        return 0, 0
    assert e <= 30
    return q, e


def sat32(v):
    return clamp(v, INT32_MIN, INT32_MAX)


def srdhm(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    return (a * b + 2 ** 30) >> 31


def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > threshold else 0)


def requantize_ref(x, rounding, m, shift, scale, z, qmin, qmax):
    if rounding == "double":
        left, right = max(shift, 0), max(-shift, 0)
        y = rdbpot(srdhm(sat32(x << left), m), right)
    elif rounding == "single":
        total = 31 - shift
        y = sat32((x * m + (1 << (total - 1))) >> total)
    else:
        f = f32(f32(float(x)) * f32(scale))
        return int(round_half_even(clamp(f, qmin - z, qmax - z))) + z
    return clamp(y + z, qmin, qmax)


# ------------------------------------------------------------------------------------------------
# .npy helpers

FMT = {"<f4": "f", "|i1": "b", "|u1": "B", "<i2": "h", "<i4": "i", "<f8": "d"}


def npy_bytes(descr, shape, payload, fortran=False, version=(1, 0), header=None, header_len=None):
    if header is None:
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", repr(tuple(shape)))
        header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    h = header.encode("latin1")
    n = len(h) if header_len is None else header_len
    return b"\x93NUMPY" + bytes(version) + struct.pack("<H", n) + h + payload


def pack(descr, values):
    return struct.pack("<%d%s" % (len(values), FMT[descr]), *values)


def write_npy(name, descr, shape, values):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(npy_bytes(descr, shape, pack(descr, values)))
    return path


def write_raw(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_npy(path):
    """(descr, shape, values, data_offset) of a version 1.0 .npy file written by qlin; on any
    problem a failed check and a placeholder that compares unequal to everything expected."""
    try:
        return parse_npy_file(path)
    except Exception as e:  # noqa: BLE001 - any malformed output is a test failure, not a crash
        check("read %s" % os.path.basename(path), False, repr(e))
        return "?", None, [], -1


def parse_npy_file(path):
    import ast
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY" and data[6:8] == b"\x01\x00", "bad magic/version"
    (hlen,) = struct.unpack("<H", data[8:10])
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    assert set(header) == {"descr", "fortran_order", "shape"}
    assert header["fortran_order"] is False
    descr, shape = header["descr"], header["shape"]
    count = 1
    for d in shape:
        count *= d
    fmt = "<%d%s" % (count, FMT[descr])
    payload = data[10 + hlen:]
    assert len(payload) == struct.calcsize(fmt), "payload size"
    return descr, shape, list(struct.unpack(fmt, payload)), 10 + hlen


def tmp(name):
    return os.path.join(TMP, name)


# ------------------------------------------------------------------------------------------------
# running the tool

def run(args):
    p = subprocess.run([QLIN] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run_json(name, args):
    """Runs a command that must succeed and print one JSON object; returns it (or None)."""
    rc, out, err = run(args)
    check(name + " [exit 0]", rc == 0, "rc=%d stderr=%r" % (rc, err))
    check(name + " [no stderr]", err == "", repr(err))
    try:
        obj = json.loads(out)
    except ValueError:
        check(name + " [valid JSON]", False, repr(out))
        return None
    check(name + " [valid JSON]", isinstance(obj, dict) and out.endswith("\n") and out.count("\n") == 1, repr(out))
    check(name + " [no inf/nan]", "inf" not in out.lower() and "nan" not in out.lower(), out)
    return obj


def run_ok(name, args):
    rc, out, err = run(args)
    check(name + " [exit 0]", rc == 0, "rc=%d stderr=%r" % (rc, err))
    check(name + " [silent]", out == "" and err == "", "out=%r err=%r" % (out, err))
    return rc == 0


def expect_error(name, args, contains=None, no_output=None):
    rc, out, err = run(args)
    ok = rc == 2 and err.startswith("qlin: ") and err.endswith("\n") and err.count("\n") == 1 and out == ""
    check(name + " [exit 2, one 'qlin: ' line]", ok, "rc=%d out=%r err=%r" % (rc, out, err))
    if contains is not None:
        check(name + " [message]", contains in err, "%r not in %r" % (contains, err))
    if no_output is not None:
        check(name + " [no output file]", not os.path.exists(no_output), no_output)


def params_check(name, obj, scale, zp, mn, mx, float_zp=False):
    if obj is None:
        return
    check(name + " [keys]", list(obj.keys()) == ["scale", "zero_point", "min", "max"], str(list(obj.keys())))
    try:
        s, z, lo, hi = obj["scale"], obj["zero_point"], obj["min"], obj["max"]
        check(name + " [one entry each]", len(s) == len(z) == len(lo) == len(hi) == 1)
        check(name + " [scale bits]", f32_bits(s[0]) == f32_bits(scale), "%r vs %r" % (s[0], scale))
        if float_zp:
            # %.9g prints -0.0 as "-0", which JSON readers may take for the integer 0
            check(name + " [float zero point]", f32(float(z[0])) == zp and (zp == 0 or f32_bits(z[0]) == f32_bits(zp)),
                  "%r vs %r" % (z[0], zp))
        else:
            check(name + " [integer zero point]", isinstance(z[0], int) and z[0] == zp, "%r vs %r" % (z[0], zp))
        check(name + " [min/max echo]", f32(lo[0]) == f32(mn) and f32(hi[0]) == f32(mx), "%r %r" % (lo, hi))
    except (KeyError, TypeError, IndexError) as e:
        check(name + " [shape of JSON]", False, repr(e))


# ================================================================================================
# help

for sub in ["", "qparams", "quantize", "dequantize", "multiplier", "requantize", "calibrate"]:
    args = ([sub] if sub else []) + ["--help"]
    rc, out, err = run(args)
    check("help %s" % (sub or "(main)"), rc == 0 and "usage" in out and err == "", "rc=%d err=%r" % (rc, err))
rc, out, err = run(["quantize", "--help"])
check("quantize --help documents the int4 convention", "int4" in out and "-8..7" in out and "0..15" in out)
rc, out, err = run(["-h"])
check("-h", rc == 0 and "usage" in out)

# ================================================================================================
# qparams

# reference/SEMANTICS.md: torch MinMaxObserver, quint8 affine: min -2.8542840, max 3.8001277 ->
# scale 0x3cd5c6b8 (0.026095733), zero point 109.
obj = run_json("qparams torch example", ["qparams", "--min", "-2.8542840", "--max", "3.8001277", "--dtype", "uint8"])
if obj is not None:
    check("qparams torch example scale bits", f32_bits(obj["scale"][0]) == 0x3CD5C6B8, repr(obj))
    check("qparams torch example zero point", obj["zero_point"] == [109], repr(obj))
params_check("qparams torch example (formula)", obj, *torch_qparams(-2.8542840, 3.8001277, 0, 255), -2.8542840, 3.8001277)

rng = random.Random(1234)
ranges = [(-1.0, 1.0), (0.0, 0.0), (0.0, 5.0), (-3.0, -1.0), (1.0, 2.0), (-0.1, 100.0), (-1e-9, 1e-9),
          (-123.456, 7.89)] + [(-rng.uniform(0, 10), rng.uniform(0, 10)) for _ in range(6)]
for mn, mx in ranges:
    for dtype in ["int8", "uint8", "int16", "int4", "uint4"]:
        lo, hi = qrange(dtype)
        signed = dtype in ("int8", "int16", "int4")
        bits = {"int8": 8, "uint8": 8, "int16": 16, "int4": 4, "uint4": 4}[dtype]
        name = "qparams pytorch affine %s [%r, %r]" % (dtype, mn, mx)
        obj = run_json(name, ["qparams", "--min", repr(mn), "--max", repr(mx), "--dtype", dtype])
        params_check(name, obj, *torch_qparams(mn, mx, lo, hi), mn, mx)
        name = "qparams pytorch symmetric %s [%r, %r]" % (dtype, mn, mx)
        obj = run_json(name, ["qparams", "--min", repr(mn), "--max", repr(mx), "--dtype", dtype, "--scheme", "symmetric"])
        params_check(name, obj, *torch_qparams(mn, mx, lo, hi, symmetric=True, signed=signed, bits=bits), mn, mx)
    if (mn, mx) != (0.0, 0.0):
        for compat in ["tflite", "gemmlowp", "xnnpack"]:
            name = "qparams %s affine int8 [%r, %r]" % (compat, mn, mx)
            obj = run_json(name, ["qparams", "--min", repr(mn), "--max", repr(mx), "--compat", compat])
            params_check(name, obj, *tflite_qparams(mn, mx, -128, 127), mn, mx)
    name = "qparams affine-float uint8 [%r, %r]" % (mn, mx)
    obj = run_json(name, ["qparams", "--min", repr(mn), "--max", repr(mx), "--dtype", "uint8", "--scheme", "affine-float"])
    params_check(name, obj, *float_qparams(mn, mx, 0, 255), mn, mx, float_zp=True)

# range options
for opts, lohi in [(["--narrow"], qrange("int8", narrow=True)),
                   (["--reduce-range"], qrange("int8", reduce_range=True)),
                   (["--quant-min", "-100", "--quant-max", "100"], (-100, 100)),
                   (["--quant-min", "-8", "--quant-max", "7", "--reduce-range"], qrange("int8", reduce_range=True, custom=(-8, 7))),
                   (["--dtype", "uint8", "--reduce-range"], (0, 127)),
                   (["--dtype", "int4", "--narrow"], (-7, 7))]:
    name = "qparams range %s" % " ".join(opts)
    obj = run_json(name, ["qparams", "--min", "-1.5", "--max", "2.25"] + opts)
    params_check(name, obj, *torch_qparams(-1.5, 2.25, lohi[0], lohi[1]), -1.5, 2.25)
obj = run_json("qparams symmetric uint8 custom range", ["qparams", "--min", "-1", "--max", "1", "--dtype", "uint8",
                                                        "--scheme", "symmetric", "--quant-min", "0", "--quant-max", "255"])
params_check("qparams symmetric uint8 custom range", obj,
             *torch_qparams(-1, 1, 0, 255, symmetric=True, signed=False, default_range=False), -1, 1)
obj = run_json("qparams tflite symmetric int8", ["qparams", "--min", "-0.5", "--max", "2", "--scheme", "symmetric",
                                                 "--compat", "tflite"])
params_check("qparams tflite symmetric int8", obj, f32(2.0 / 127.0), 0, -0.5, 2)
obj = run_json("qparams --opt=value form", ["qparams", "--min=-1", "--max=1"])
params_check("qparams --opt=value form", obj, *torch_qparams(-1, 1, -128, 127), -1, 1)
obj = run_json("qparams hex float", ["qparams", "--min", "-0x1p-1", "--max", "0x1.8p1"])
params_check("qparams hex float", obj, *torch_qparams(-0.5, 3.0, -128, 127), -0.5, 3.0)

# qparams errors
expect_error("qparams min > max", ["qparams", "--min", "1", "--max", "0"])
expect_error("qparams NaN min", ["qparams", "--min", "nan", "--max", "1"])
expect_error("qparams Inf max", ["qparams", "--min", "0", "--max", "inf"])
expect_error("qparams range too wide", ["qparams", "--min", "-3e38", "--max", "3e38"])
expect_error("qparams min beyond float32", ["qparams", "--min", "-1e39", "--max", "1"])
expect_error("qparams min beyond double", ["qparams", "--min", "-1e400", "--max", "1"])
expect_error("qparams missing --max", ["qparams", "--min", "0"], "--max")
expect_error("qparams missing value", ["qparams", "--min", "0", "--max"])
expect_error("qparams value is an option", ["qparams", "--min", "--max", "1"])
expect_error("qparams non-numeric", ["qparams", "--min", "abc", "--max", "1"])
expect_error("qparams trailing garbage", ["qparams", "--min", "1.5x", "--max", "2"])
expect_error("qparams empty number", ["qparams", "--min", "", "--max", "2"])
expect_error("qparams leading space", ["qparams", "--min", " 1", "--max", "2"])
expect_error("qparams unknown option", ["qparams", "--min", "0", "--max", "1", "--bogus"])
expect_error("qparams option given twice", ["qparams", "--min", "0", "--min", "0", "--max", "1"])
expect_error("qparams flag with value", ["qparams", "--min", "0", "--max", "1", "--narrow=yes"])
expect_error("qparams stray argument", ["qparams", "--min", "0", "--max", "1", "file.npy"])
expect_error("qparams unknown dtype", ["qparams", "--min", "0", "--max", "1", "--dtype", "int3"])
expect_error("qparams unknown scheme", ["qparams", "--min", "0", "--max", "1", "--scheme", "asym"])
expect_error("qparams unknown compat", ["qparams", "--min", "0", "--max", "1", "--compat", "onnx"])
expect_error("qparams quant-min without quant-max", ["qparams", "--min", "0", "--max", "1", "--quant-min", "0"])
expect_error("qparams quant-max without quant-min", ["qparams", "--min", "0", "--max", "1", "--quant-max", "5"])
expect_error("qparams quant-min >= quant-max", ["qparams", "--min", "0", "--max", "1", "--quant-min", "5", "--quant-max", "5"])
expect_error("qparams custom range outside dtype", ["qparams", "--min", "0", "--max", "1", "--quant-min", "0",
                                                    "--quant-max", "300"])
expect_error("qparams quant-min not an integer", ["qparams", "--min", "0", "--max", "1", "--quant-min", "1.5",
                                                  "--quant-max", "5"])
expect_error("qparams quant-max beyond int32", ["qparams", "--min", "0", "--max", "1", "--quant-min", "0",
                                                "--quant-max", "99999999999"])
expect_error("qparams range empty after narrow", ["qparams", "--min", "0", "--max", "1", "--quant-min", "0",
                                                  "--quant-max", "1", "--narrow"])
expect_error("qparams tflite [0, 0]", ["qparams", "--min", "0", "--max", "0", "--compat", "tflite"])
expect_error("qparams pytorch symmetric uint8 reduce-range", ["qparams", "--min", "-1", "--max", "1", "--dtype", "uint8",
                                                              "--scheme", "symmetric", "--reduce-range"])
expect_error("qparams affine-float with tflite", ["qparams", "--min", "-1", "--max", "1", "--scheme", "affine-float",
                                                  "--compat", "tflite"])

# ================================================================================================
# multiplier

for real in [0.5, 0.75, 1.0, 0.0003, 0.999999999, 1.0 - 2.0 ** -40, 3.0, 1234.5678, 2.0 ** -31, 2.0 ** -32,
             1.5 * 2.0 ** -32, 2.0 ** 29 * 1.9, 1e-5, 0.1, 1.0 / 3.0]:
    want = quantize_multiplier_ref(real)
    for rounding in [None, "double", "single"]:
        args = ["multiplier", "--real", repr(real)] + (["--rounding", rounding] if rounding else [])
        name = "multiplier %r %s" % (real, rounding or "")
        obj = run_json(name, args)
        if obj is not None:
            check(name + " [keys]", list(obj.keys()) == ["multiplier", "shift"], repr(obj))
            check(name + " [value]", (obj.get("multiplier"), obj.get("shift")) == want, "%r vs %r" % (obj, want))
            m, s = obj.get("multiplier", 0), obj.get("shift", 0)
            if m != 0:
                check(name + " [normalized]", 2 ** 30 <= m < 2 ** 31 and -31 <= s <= 30, repr(obj))
for real in ["0", "-0", "1e-12", "1e-300", "4e-324"]:
    obj = run_json("multiplier %s -> (0, 0)" % real, ["multiplier", "--real", real])
    check("multiplier %s -> (0, 0) [value]" % real, obj == {"multiplier": 0, "shift": 0}, repr(obj))
# just below 1: the mantissa rounds up to 2^31 and renormalizes
obj = run_json("multiplier 0.99999999999", ["multiplier", "--real", "0.99999999999"])
check("multiplier 0.99999999999 renormalizes", obj == {"multiplier": 2 ** 30, "shift": 1}, repr(obj))

expect_error("multiplier negative", ["multiplier", "--real", "-0.5"])
expect_error("multiplier NaN", ["multiplier", "--real", "nan"])
expect_error("multiplier Inf", ["multiplier", "--real", "inf"])
expect_error("multiplier too large", ["multiplier", "--real", str(2.0 ** 30)])
expect_error("multiplier overflow", ["multiplier", "--real", "1e999"])
expect_error("multiplier fp32 rounding", ["multiplier", "--real", "0.5", "--rounding", "fp32"])
expect_error("multiplier unknown rounding", ["multiplier", "--real", "0.5", "--rounding", "up"])
expect_error("multiplier missing --real", ["multiplier"])
expect_error("multiplier not a number", ["multiplier", "--real", "half"])
expect_error("multiplier range options not accepted", ["multiplier", "--real", "0.5", "--dtype", "int8"])
expect_error("multiplier stray file", ["multiplier", "--real", "0.5", "x.npy"])

# ================================================================================================
# quantize / dequantize, per tensor

SPECIAL = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999997, 1.0, -1.0, 3.14159, -2.71828, 1e-8, 100.0, -100.0,
           1e30, -1e30, INF, -INF, NAN, 0.0375, -0.0625, 12.7, -12.8, 0.05, 0.15, 0.25, 0.35]
VALUES = SPECIAL + [rng.uniform(-6, 6) for _ in range(200)]
VALUES = [f32(v) for v in VALUES]
xin = write_npy("x.npy", "<f4", (len(VALUES),), VALUES)

for dtype, descr, scale, zp in [("int8", "|i1", 0.05, 3), ("uint8", "|u1", 0.05, 128), ("int16", "<i2", 0.001, -7),
                                ("int4", "|i1", 0.5, 0), ("uint4", "|u1", 0.75, 8), ("int8", "|i1", 0.1, -128),
                                ("uint8", "|u1", 0.025, 0)]:
    lo, hi = full_range(dtype)
    for compat in ["pytorch", "tflite", "gemmlowp", "xnnpack"]:
        name = "quantize %s %s s=%r z=%d" % (dtype, compat, scale, zp)
        out = tmp("q_%s_%s.npy" % (dtype, compat))
        if run_ok(name, ["quantize", "--scale", repr(scale), "--zero-point", zp, "--dtype", dtype, "--compat", compat,
                         xin, out]):
            d, shape, got, offset = read_npy(out)
            check(name + " [descr]", d == descr, d)
            check(name + " [shape]", shape == (len(VALUES),), repr(shape))
            check(name + " [data aligned to 64]", offset % 64 == 0, str(offset))
            want = [quantize_ref(x, scale, zp, lo, hi, compat) for x in VALUES]
            bad = [(x, g, w) for x, g, w in zip(VALUES, got, want) if g != w]
            check(name + " [values]", not bad, repr(bad[:5]))
            check(name + " [in range]", all(lo <= g <= hi for g in got))
    # dequantize the pytorch output and compare
    qfile = tmp("q_%s_pytorch.npy" % dtype)
    dfile = tmp("d_%s.npy" % dtype)
    name = "dequantize %s s=%r z=%d" % (dtype, scale, zp)
    if os.path.exists(qfile) and run_ok(name, ["dequantize", "--scale", repr(scale), "--zero-point", zp, "--dtype", dtype,
                                               qfile, dfile]):
        _, _, q, _ = read_npy(qfile)
        d, shape, got, _ = read_npy(dfile)
        check(name + " [descr]", d == "<f4", d)
        want = [dequantize_ref(v, scale, zp) for v in q]
        check(name + " [values]", [f32_bits(g) for g in got] == [f32_bits(w) for w in want])
        # round trip: in-range values come back within half a step
        s = f32(scale)
        # half a step, plus the float32 error of x * f32(1 / s) and of the product
        ok = all(abs(g - x) <= s / 2 * 1.0001 + abs(x) * 2.0 ** -21 for x, g in zip(VALUES, got)
                 if not math.isnan(x) and (lo - zp) * s <= x <= (hi - zp) * s)
        check(name + " [round trip within scale/2]", ok)

# narrow / reduce-range / custom ranges clamp the codes
for opts, (lo, hi) in [(["--narrow"], (-127, 127)), (["--reduce-range"], (-64, 63)),
                       (["--quant-min", "-10", "--quant-max", "20"], (-10, 20))]:
    name = "quantize range %s" % " ".join(opts)
    out = tmp("q_range.npy")
    if run_ok(name, ["quantize", "--scale", "0.05", "--zero-point", "0", xin, out] + opts):
        _, _, got, _ = read_npy(out)
        want = [quantize_ref(x, 0.05, 0, lo, hi) for x in VALUES]
        check(name + " [values]", got == want)

# symmetric scheme: zero point 0 accepted
run_ok("quantize symmetric int8 zp 0", ["quantize", "--scale", "0.1", "--zero-point", "0", "--scheme", "symmetric",
                                        xin, tmp("q_sym.npy")])

# shapes: 0-d, empty, multi-dimensional, empty middle dimension; options after the files; "--"
for shape in [(), (0,), (2, 0, 3), (2, 3, 4), (1, 1, 1, 5)]:
    n = 1
    for dim in shape:
        n *= dim
    vals = [f32(rng.uniform(-3, 3)) for _ in range(n)]
    src = write_npy("shape.npy", "<f4", shape, vals)
    name = "quantize shape %r" % (shape,)
    out = tmp("q_shape.npy")
    if run_ok(name, ["quantize", src, out, "--scale", "0.02", "--zero-point", "-5"]):
        d, got_shape, got, _ = read_npy(out)
        check(name + " [shape kept]", got_shape == shape, repr(got_shape))
        check(name + " [values]", got == [quantize_ref(x, 0.02, -5, -128, 127) for x in vals])
        back = tmp("d_shape.npy")
        if run_ok(name + " dequantize", ["dequantize", "--scale", "0.02", "--zero-point", "-5", "--", out, back]):
            _, back_shape, r, _ = read_npy(back)
            check(name + " dequantize [shape kept]", back_shape == shape)
            check(name + " dequantize [values]", r == [dequantize_ref(q, 0.02, -5) for q in got])

# affine-float, per tensor
name = "quantize affine-float per tensor"
out = tmp("q_aff.npy")
if run_ok(name, ["quantize", "--scheme", "affine-float", "--dtype", "uint8", "--scale", "0.05", "--zero-point", "117.3",
                 xin, out]):
    _, _, got, _ = read_npy(out)
    want = [quantize_float_zp_ref(x, 0.05, f32(117.3), 0, 255) for x in VALUES]
    check(name + " [values]", got == want, repr([(x, g, w) for x, g, w in zip(VALUES, got, want) if g != w][:5]))
    back = tmp("d_aff.npy")
    if run_ok(name + " dequantize", ["dequantize", "--scheme", "affine-float", "--dtype", "uint8", "--scale", "0.05",
                                     "--zero-point", "117.3", out, back]):
        _, _, r, _ = read_npy(back)
        check(name + " dequantize [values]", r == [dequantize_float_zp_ref(q, 0.05, f32(117.3)) for q in got])

# ================================================================================================
# per channel

SHAPE = (3, 4, 5)
N = 3 * 4 * 5
PC_VALUES = [f32(rng.uniform(-4, 4)) for _ in range(N)]
PC_VALUES[7] = NAN
PC_VALUES[11] = INF
PC_VALUES[13] = -INF
pc_in = write_npy("pc.npy", "<f4", SHAPE, PC_VALUES)


def channel_of(i, axis):
    idx = []
    for dim in reversed(SHAPE):
        idx.append(i % dim)
        i //= dim
    idx.reverse()
    return idx[axis]


for axis in [0, 1, 2, -1, -3]:
    ax = axis % 3
    C = SHAPE[ax]
    for dtype, zps in [("int8", [rng.randint(-20, 20) for _ in range(C)]),
                       ("uint8", [rng.randint(100, 150) for _ in range(C)])]:
        lo, hi = full_range(dtype)
        scales = [f32(rng.uniform(0.01, 0.1)) for _ in range(C)]
        sfile = write_npy("scales.npy", "<f4", (C,), scales)
        zfile = write_npy("zps.npy", "<i4", (C,), zps)
        for compat in ["pytorch", "tflite"]:
            name = "quantize per-channel axis %d %s %s" % (axis, dtype, compat)
            out = tmp("q_pc.npy")
            if run_ok(name, ["quantize", "--axis", axis, "--scales", sfile, "--zero-points", zfile, "--dtype", dtype,
                             "--compat", compat, pc_in, out]):
                d, shape, got, _ = read_npy(out)
                check(name + " [shape]", shape == SHAPE)
                want = [quantize_ref(x, scales[channel_of(i, ax)], zps[channel_of(i, ax)], lo, hi, compat)
                        for i, x in enumerate(PC_VALUES)]
                check(name + " [values]", got == want)
                back = tmp("d_pc.npy")
                if compat == "pytorch" and run_ok(name + " dequantize",
                                                  ["dequantize", "--axis", axis, "--scales", sfile, "--zero-points", zfile,
                                                   "--dtype", dtype, out, back]):
                    _, shape, r, _ = read_npy(back)
                    check(name + " dequantize [shape]", shape == SHAPE)
                    want_r = [dequantize_ref(q, scales[channel_of(i, ax)], zps[channel_of(i, ax)]) for i, q in enumerate(got)]
                    check(name + " dequantize [values]", r == want_r)
                    def in_range(i, x):
                        s, z = scales[channel_of(i, ax)], zps[channel_of(i, ax)]
                        return math.isfinite(x) and (lo - z) * s <= x <= (hi - z) * s
                    close = all(abs(b - x) <= scales[channel_of(i, ax)] / 2 * 1.0001 + abs(x) * 2.0 ** -21
                                for i, (x, b) in enumerate(zip(PC_VALUES, r)) if in_range(i, x))
                    check(name + " round trip [within scale/2]", close)

# per-channel affine-float
C = 4
scales = [f32(rng.uniform(0.01, 0.05)) for _ in range(C)]
fzps = [f32(rng.uniform(80, 170)) for _ in range(C)]
sfile = write_npy("scales_f.npy", "<f4", (C,), scales)
zfile = write_npy("zps_f.npy", "<f4", (C,), fzps)
name = "quantize per-channel affine-float axis 1"
out = tmp("q_pcf.npy")
if run_ok(name, ["quantize", "--scheme", "affine-float", "--dtype", "uint8", "--axis", "1", "--scales", sfile,
                 "--zero-points", zfile, pc_in, out]):
    _, _, got, _ = read_npy(out)
    want = [quantize_float_zp_ref(x, scales[channel_of(i, 1)], fzps[channel_of(i, 1)], 0, 255)
            for i, x in enumerate(PC_VALUES)]
    check(name + " [values]", got == want)
    back = tmp("d_pcf.npy")
    if run_ok(name + " dequantize", ["dequantize", "--scheme", "affine-float", "--dtype", "uint8", "--axis", "1",
                                     "--scales", sfile, "--zero-points", zfile, out, back]):
        _, _, r, _ = read_npy(back)
        want_r = [dequantize_float_zp_ref(q, scales[channel_of(i, 1)], fzps[channel_of(i, 1)]) for i, q in enumerate(got)]
        check(name + " dequantize [values]", r == want_r)

# ================================================================================================
# quantize / dequantize errors

i8 = write_npy("i8.npy", "|i1", (4,), [1, -2, 3, -128])
u8 = write_npy("u8.npy", "|u1", (4,), [1, 2, 3, 255])
i16 = write_npy("i16.npy", "<i2", (2,), [1, -300])
i32 = write_npy("i32.npy", "<i4", (3,), [1, 2, 3])
i4_bad = write_npy("i4_bad.npy", "|i1", (3,), [1, -8, 8])
u4_bad = write_npy("u4_bad.npy", "|u1", (3,), [1, 15, 16])
sc3 = write_npy("sc3.npy", "<f4", (3,), [0.1, 0.2, 0.3])
sc4 = write_npy("sc4.npy", "<f4", (4,), [0.1, 0.2, 0.3, 0.4])
sc_2d = write_npy("sc2d.npy", "<f4", (3, 1), [0.1, 0.2, 0.3])
sc_bad = write_npy("scbad.npy", "<f4", (3,), [0.1, 0.0, 0.3])
sc_nan = write_npy("scnan.npy", "<f4", (3,), [0.1, NAN, 0.3])
sc_i32 = write_npy("sci32.npy", "<i4", (3,), [1, 2, 3])
zp3 = write_npy("zp3.npy", "<i4", (3,), [0, 1, 2])
zp3_bad = write_npy("zp3bad.npy", "<i4", (3,), [0, 1, 200])
zp3_f = write_npy("zp3f.npy", "<f4", (3,), [0.0, 1.0, 2.0])
zp3_nonzero = write_npy("zp3nz.npy", "<i4", (3,), [0, 0, 1])
scalar = write_npy("scalar.npy", "<f4", (), [1.0])
out_err = tmp("never_written.npy")
P = ["--scale", "0.1", "--zero-point", "0"]

expect_error("quantize int8 input", ["quantize"] + P + [i8, out_err], no_output=out_err)
expect_error("quantize int32 input", ["quantize"] + P + [i32, out_err], no_output=out_err)
expect_error("quantize scale 0", ["quantize", "--scale", "0", "--zero-point", "0", xin, out_err], no_output=out_err)
expect_error("quantize scale negative", ["quantize", "--scale", "-0.1", "--zero-point", "0", xin, out_err])
expect_error("quantize scale NaN", ["quantize", "--scale", "nan", "--zero-point", "0", xin, out_err])
expect_error("quantize scale Inf", ["quantize", "--scale", "inf", "--zero-point", "0", xin, out_err])
expect_error("quantize scale underflows float32", ["quantize", "--scale", "1e-50", "--zero-point", "0", xin, out_err])
expect_error("quantize scale whose reciprocal overflows", ["quantize", "--scale", "1e-40", "--zero-point", "0", xin, out_err])
expect_error("quantize scale beyond float32", ["quantize", "--scale", "1e39", "--zero-point", "0", xin, out_err])
expect_error("quantize zero point above int8", ["quantize", "--scale", "0.1", "--zero-point", "128", xin, out_err])
expect_error("quantize zero point below uint8", ["quantize", "--scale", "0.1", "--zero-point", "-1", "--dtype", "uint8",
                                                 xin, out_err])
expect_error("quantize zero point outside narrow range", ["quantize", "--scale", "0.1", "--zero-point", "-128", "--narrow",
                                                          xin, out_err])
expect_error("quantize zero point outside int4", ["quantize", "--scale", "0.1", "--zero-point", "8", "--dtype", "int4",
                                                  xin, out_err])
expect_error("quantize zero point not an integer", ["quantize", "--scale", "0.1", "--zero-point", "1.5", xin, out_err])
expect_error("quantize zero point beyond int32", ["quantize", "--scale", "0.1", "--zero-point", "4294967296", xin, out_err])
expect_error("quantize symmetric with non-zero zero point", ["quantize", "--scale", "0.1", "--zero-point", "3",
                                                             "--scheme", "symmetric", xin, out_err])
expect_error("quantize missing --zero-point", ["quantize", "--scale", "0.1", xin, out_err])
expect_error("quantize missing --scale", ["quantize", "--zero-point", "0", xin, out_err])
expect_error("quantize no parameters", ["quantize", xin, out_err])
expect_error("quantize per-tensor and per-channel", ["quantize", "--scale", "0.1", "--zero-point", "0", "--axis", "0",
                                                     "--scales", sc3, "--zero-points", zp3, xin, out_err])
expect_error("quantize missing output file", ["quantize"] + P + [xin])
expect_error("quantize three files", ["quantize"] + P + [xin, out_err, out_err])
expect_error("quantize missing input file", ["quantize"] + P + [tmp("does_not_exist.npy"), out_err], no_output=out_err)
expect_error("quantize input is a directory", ["quantize"] + P + [TMP, out_err], no_output=out_err)
expect_error("quantize unwritable output", ["quantize"] + P + [xin, os.path.join(TMP, "no_such_dir", "o.npy")])
expect_error("quantize unknown option", ["quantize", "--scale", "0.1", "--zero-point", "0", "--bias", "1", xin, out_err])
expect_error("quantize unknown short option", ["quantize"] + P + ["-x", xin, out_err])
expect_error("quantize bad quant range", ["quantize"] + P + ["--quant-min", "10", "--quant-max", "-10", xin, out_err])
expect_error("quantize affine-float with tflite", ["quantize", "--scheme", "affine-float", "--compat", "tflite",
                                                   "--scale", "0.1", "--zero-point", "0.5", xin, out_err])
expect_error("quantize affine-float zero point NaN", ["quantize", "--scheme", "affine-float", "--scale", "0.1",
                                                      "--zero-point", "nan", "--dtype", "uint8", xin, out_err])
# per channel
pc3 = write_npy("pc3.npy", "<f4", (2, 3), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
expect_error("per-channel missing --zero-points", ["quantize", "--axis", "1", "--scales", sc3, pc3, out_err])
expect_error("per-channel missing --axis", ["quantize", "--scales", sc3, "--zero-points", zp3, pc3, out_err])
expect_error("per-channel axis out of range", ["quantize", "--axis", "2", "--scales", sc3, "--zero-points", zp3,
                                               pc3, out_err])
expect_error("per-channel negative axis out of range", ["quantize", "--axis", "-3", "--scales", sc3, "--zero-points", zp3,
                                                        pc3, out_err])
expect_error("per-channel axis not an integer", ["quantize", "--axis", "one", "--scales", sc3, "--zero-points", zp3,
                                                 pc3, out_err])
expect_error("per-channel wrong channel count", ["quantize", "--axis", "0", "--scales", sc3, "--zero-points", zp3,
                                                 pc3, out_err])
expect_error("per-channel scales/zero points length mismatch", ["quantize", "--axis", "1", "--scales", sc4,
                                                                "--zero-points", zp3, pc3, out_err])
expect_error("per-channel 2-D scales", ["quantize", "--axis", "1", "--scales", sc_2d, "--zero-points", zp3, pc3, out_err])
expect_error("per-channel zero scale", ["quantize", "--axis", "1", "--scales", sc_bad, "--zero-points", zp3, pc3, out_err])
expect_error("per-channel NaN scale", ["quantize", "--axis", "1", "--scales", sc_nan, "--zero-points", zp3, pc3, out_err])
expect_error("per-channel int32 scales", ["quantize", "--axis", "1", "--scales", sc_i32, "--zero-points", zp3, pc3, out_err])
expect_error("per-channel float zero points without affine-float", ["quantize", "--axis", "1", "--scales", sc3,
                                                                    "--zero-points", zp3_f, pc3, out_err])
expect_error("per-channel int32 zero points with affine-float", ["quantize", "--axis", "1", "--scales", sc3,
                                                                 "--zero-points", zp3, "--scheme", "affine-float",
                                                                 "--dtype", "uint8", pc3, out_err])
expect_error("per-channel zero point out of range", ["quantize", "--axis", "1", "--scales", sc3, "--zero-points", zp3_bad,
                                                     pc3, out_err])
expect_error("per-channel symmetric non-zero zero point", ["quantize", "--axis", "1", "--scales", sc3, "--zero-points",
                                                           zp3_nonzero, "--scheme", "symmetric", pc3, out_err])
expect_error("per-channel on a 0-d array", ["quantize", "--axis", "0", "--scales", sc3, "--zero-points", zp3, scalar,
                                            out_err])
expect_error("per-channel missing scales file", ["quantize", "--axis", "1", "--scales", tmp("nope.npy"), "--zero-points",
                                                 zp3, pc3, out_err])
# dequantize dtype checks
expect_error("dequantize uint8 file as int8", ["dequantize"] + P + [u8, out_err], no_output=out_err)
expect_error("dequantize int8 file as uint8", ["dequantize"] + P + ["--dtype", "uint8", i8, out_err])
expect_error("dequantize int16 file as int8", ["dequantize"] + P + [i16, out_err])
expect_error("dequantize float32 file", ["dequantize"] + P + [xin, out_err])
expect_error("dequantize int32 file", ["dequantize"] + P + ["--dtype", "int16", i32, out_err])
expect_error("dequantize int4 value out of range", ["dequantize"] + P + ["--dtype", "int4", i4_bad, out_err])
expect_error("dequantize uint4 value out of range", ["dequantize", "--scale", "0.1", "--zero-point", "8", "--dtype", "uint4",
                                                     u4_bad, out_err])
expect_error("dequantize zero point out of range", ["dequantize", "--scale", "0.1", "--zero-point", "300", "--dtype",
                                                    "int8", i8, out_err])
run_ok("dequantize int16 file as int16", ["dequantize"] + P + ["--dtype", "int16", i16, tmp("d16.npy")])
run_ok("dequantize int4 in range", ["dequantize"] + P + ["--dtype", "int4", write_npy("i4ok.npy", "|i1", (2,), [-8, 7]),
                                                         tmp("d4.npy")])
_, _, r, _ = read_npy(tmp("d4.npy"))
check("dequantize int4 values", r == [f32(-8 * f32(0.1)), f32(7 * f32(0.1))], repr(r))

# ================================================================================================
# malformed .npy files (each must be refused by quantize with exit 2, never a crash)

good_payload = pack("<f4", [1.0, 2.0, 3.0])
bad_files = {
    "empty file": b"",
    "only magic": b"\x93NUMPY",
    "bad magic": b"\x93NUMPX\x01\x00" + npy_bytes("<f4", (3,), good_payload)[8:],
    "not npy at all": b"hello world, this is not an npy file at all" * 3,
    "version 2.0": npy_bytes("<f4", (3,), good_payload, version=(2, 0)),
    "version 3.0": npy_bytes("<f4", (3,), good_payload, version=(3, 0)),
    "version 1.1": npy_bytes("<f4", (3,), good_payload, version=(1, 1)),
    "big-endian float": npy_bytes(">f4", (3,), struct.pack(">3f", 1, 2, 3)),
    "big-endian int16": npy_bytes(">i2", (3,), struct.pack(">3h", 1, 2, 3)),
    "native-order float": npy_bytes("=f4", (3,), good_payload),
    "fortran order": npy_bytes("<f4", (3,), good_payload, fortran=True),
    "object dtype": npy_bytes("|O", (3,), b"\0" * 24),
    "float64": npy_bytes("<f8", (3,), struct.pack("<3d", 1, 2, 3)),
    "unicode dtype": npy_bytes("<U4", (3,), b"\0" * 48),
    "truncated data": npy_bytes("<f4", (3,), good_payload[:-1]),
    "no data": npy_bytes("<f4", (3,), b""),
    "extra data": npy_bytes("<f4", (3,), good_payload + b"\0\0\0\0"),
    "header longer than file": npy_bytes("<f4", (3,), b"", header_len=5000),
    "header length cuts dict": npy_bytes("<f4", (3,), good_payload, header_len=20),
    "shape overflow": npy_bytes("<f4", (2 ** 40, 2 ** 40), good_payload),
    "shape overflow with zero": npy_bytes("<f4", (2 ** 40, 2 ** 40, 0), b""),
    "huge dimension": npy_bytes("<f4", (), good_payload,
                                header="{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n"),
    "negative dimension": npy_bytes("<f4", (), good_payload,
                                    header="{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }\n"),
    "float dimension": npy_bytes("<f4", (), good_payload,
                                 header="{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,), }\n"),
    "shape not a tuple": npy_bytes("<f4", (), good_payload,
                                   header="{'descr': '<f4', 'fortran_order': False, 'shape': [3], }\n"),
    "one-dim shape without comma": npy_bytes("<f4", (), good_payload,
                                             header="{'descr': '<f4', 'fortran_order': False, 'shape': (3), }\n"),
    "too many dimensions": npy_bytes("<f4", (1,) * 65, pack("<f4", [1.0])),
    "missing shape": npy_bytes("<f4", (), good_payload, header="{'descr': '<f4', 'fortran_order': False, }\n"),
    "missing descr": npy_bytes("<f4", (), good_payload, header="{'fortran_order': False, 'shape': (3,), }\n"),
    "missing fortran_order": npy_bytes("<f4", (), good_payload, header="{'descr': '<f4', 'shape': (3,), }\n"),
    "extra key": npy_bytes("<f4", (), good_payload,
                           header="{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}\n"),
    "repeated key": npy_bytes("<f4", (), good_payload,
                              header="{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n"),
    "structured dtype": npy_bytes("<f4", (), good_payload,
                                  header="{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }\n"),
    "header not a dict": npy_bytes("<f4", (), good_payload, header="['descr', '<f4']\n"),
    "text after dict": npy_bytes("<f4", (), good_payload,
                                 header="{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } junk\n"),
    "unterminated string": npy_bytes("<f4", (), good_payload, header="{'descr: <f4, 'fortran_order': False}\n"),
    "unterminated dict": npy_bytes("<f4", (), good_payload, header="{'descr': '<f4', 'fortran_order': False, 'shape': (3,)"),
    "fortran_order not a bool": npy_bytes("<f4", (), good_payload,
                                          header="{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }\n"),
    "escape in string": npy_bytes("<f4", (), good_payload,
                                  header="{'descr': '<f\\x34', 'fortran_order': False, 'shape': (3,), }\n"),
    "NUL in header": npy_bytes("<f4", (), good_payload,
                               header="{'descr': '<f4',\0 'fortran_order': False, 'shape': (3,), }\n"),
}
for name, data in bad_files.items():
    path = write_raw("bad.npy", data)
    expect_error("malformed .npy: " + name, ["quantize"] + P + [path, out_err], no_output=out_err)
# the same files as per-channel parameter files
for name in ["big-endian float", "fortran order", "truncated data", "version 2.0"]:
    path = write_raw("bad_param.npy", bad_files[name])
    expect_error("malformed --scales: " + name, ["quantize", "--axis", "1", "--scales", path, "--zero-points", zp3,
                                                 pc3, out_err])

# accepted variants: double-quoted strings, no trailing comma, '<i1', old 'L' suffix, other key order
for name, header, descr, payload in [
        ("double quotes", '{"descr": "<f4", "fortran_order": False, "shape": (3,)}\n', "<f4", good_payload),
        ("key order", "{'shape': (3,), 'fortran_order': False, 'descr': '<f4'}\n", "<f4", good_payload),
        ("unaligned header", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}\n", "<f4", good_payload),
        ("long suffix", "{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), }\n", "<f4", good_payload)]:
    path = write_raw("variant.npy", npy_bytes(descr, (), payload, header=header))
    out = tmp("variant_out.npy")
    if run_ok("accepted .npy variant: " + name, ["quantize", "--scale", "0.5", "--zero-point", "0", path, out]):
        _, shape, got, _ = read_npy(out)
        check("accepted .npy variant: %s [values]" % name, shape == (3,) and got == [2, 4, 6], repr(got))
path = write_raw("i1_le.npy", npy_bytes("<i1", (2,), pack("|i1", [5, -5])))
run_ok("accepted .npy variant: '<i1'", ["dequantize", "--scale", "1", "--zero-point", "0", path, tmp("i1_le_out.npy")])

# deterministic mutation fuzz: every run ends with status 0 or 2, never a signal
base = npy_bytes("<f4", (5, 2), pack("<f4", [float(i) for i in range(10)]))
fuzz_bad = []
for it in range(150):
    data = bytearray(base)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        pos = rng.randrange(len(data))
        if kind < 0.5:
            data[pos] = rng.randrange(256)
        elif kind < 0.75:
            del data[pos:pos + rng.randint(1, 8)]
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        if not data:
            break
    path = write_raw("fuzz.npy", bytes(data))
    rc, out, err = run(["quantize", "--axis", "1", "--scales", write_npy("fs.npy", "<f4", (2,), [0.5, 0.25]),
                        "--zero-points", write_npy("fz.npy", "<i4", (2,), [0, 1]), path, tmp("fuzz_out.npy")])
    if rc not in (0, 2) or (rc == 2 and not (err.startswith("qlin: ") and err.count("\n") == 1)):
        fuzz_bad.append((it, rc, err))
check("mutation fuzz of .npy input (150 runs): exit 0 or 2 only", not fuzz_bad, repr(fuzz_bad[:3]))

# ================================================================================================
# requantize

ACC = [0, 1, -1, 2, -2, 3, -3, 100, -100, 127, -128, 1000, -1000, 12345, -12345, 65535, -65536, 1 << 20, -(1 << 20),
       INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 2 ** 30, -(2 ** 30)]
ACC += [rng.randint(-2 ** 31, 2 ** 31 - 1) for _ in range(60)] + [rng.randint(-5000, 5000) for _ in range(60)]
acc_file = write_npy("acc.npy", "<i4", (len(ACC),), ACC)
acc_2d = write_npy("acc2d.npy", "<i4", (5, 3), ACC[:15])

for real in [0.0123, 0.5, 0.75, 1.0, 3.7, 1.0 / 1024, 2.5e-6, 0.00390625, 12.0, 1e-12]:
    m, s = quantize_multiplier_ref(real)
    for dtype, zp, extra, (lo, hi) in [("int8", 0, [], (-128, 127)), ("int8", -5, [], (-128, 127)),
                                       ("uint8", 128, [], (0, 255)), ("int16", 17, [], (-32768, 32767)),
                                       ("int4", 1, [], (-8, 7)), ("uint4", 8, [], (0, 15)),
                                       ("int8", -128, ["--quant-min", "-128", "--quant-max", "50"], (-128, 50)),
                                       ("int8", 0, ["--narrow"], (-127, 127))]:
        for rounding in ["double", "single", "fp32"]:
            name = "requantize real=%r %s zp=%d %s %s" % (real, dtype, zp, rounding, " ".join(extra))
            out = tmp("rq.npy")
            if run_ok(name, ["requantize", "--real", repr(real), "--zero-point", zp, "--dtype", dtype, "--rounding",
                             rounding, acc_file, out] + extra):
                d, shape, got, _ = read_npy(out)
                check(name + " [descr]", d == {"int8": "|i1", "uint8": "|u1", "int16": "<i2", "int4": "|i1",
                                               "uint4": "|u1"}[dtype], d)
                want = [requantize_ref(x, rounding, m, s, real, zp, lo, hi) for x in ACC]
                bad = [(x, g, w) for x, g, w in zip(ACC, got, want) if g != w]
                check(name + " [values]", not bad, repr(bad[:4]))
# default rounding is double
out = tmp("rq_default.npy")
if run_ok("requantize default rounding", ["requantize", "--real", "0.0123", "--zero-point", "3", acc_file, out]):
    _, _, got, _ = read_npy(out)
    m, s = quantize_multiplier_ref(0.0123)
    check("requantize default rounding is double", got == [requantize_ref(x, "double", m, s, 0.0123, 3, -128, 127)
                                                            for x in ACC])
# explicit (multiplier, shift), including a left shift and a non-normalized multiplier
for m, s in [(1073741824, 0), (1518500250, -7), (2147483647, 3), (123456, 0), (0, 0), (1900000000, -31),
             (1073741824, 30)]:
    for rounding in ["double", "single"]:
        name = "requantize --multiplier %d --shift %d %s" % (m, s, rounding)
        out = tmp("rq_ms.npy")
        if run_ok(name, ["requantize", "--multiplier", m, "--shift", s, "--zero-point", "-3", "--rounding", rounding,
                         acc_file, out]):
            _, _, got, _ = read_npy(out)
            want = [requantize_ref(x, rounding, m, s, 0.0, -3, -128, 127) for x in ACC]
            check(name + " [values]", got == want, repr([(x, g, w) for x, g, w in zip(ACC, got, want) if g != w][:4]))
# shape kept
out = tmp("rq2d.npy")
if run_ok("requantize 2-D", ["requantize", "--real", "0.01", "--zero-point", "0", acc_2d, out]):
    _, shape, _, _ = read_npy(out)
    check("requantize 2-D [shape kept]", shape == (5, 3), repr(shape))
empty_acc = write_npy("acc_empty.npy", "<i4", (0, 4), [])
out = tmp("rq_empty.npy")
if run_ok("requantize empty", ["requantize", "--real", "0.01", "--zero-point", "0", empty_acc, out]):
    _, shape, got, _ = read_npy(out)
    check("requantize empty [shape kept]", shape == (0, 4) and got == [])

R = ["--real", "0.01", "--zero-point", "0"]
expect_error("requantize float input", ["requantize"] + R + [xin, out_err], no_output=out_err)
expect_error("requantize int8 input", ["requantize"] + R + [i8, out_err])
expect_error("requantize int16 input", ["requantize"] + R + [i16, out_err])
expect_error("requantize --real and --multiplier", ["requantize", "--real", "0.5", "--multiplier", "1073741824", "--shift",
                                                    "0", "--zero-point", "0", acc_file, out_err])
expect_error("requantize no multiplier", ["requantize", "--zero-point", "0", acc_file, out_err])
expect_error("requantize --multiplier without --shift", ["requantize", "--multiplier", "1073741824", "--zero-point", "0",
                                                         acc_file, out_err])
expect_error("requantize --shift without --multiplier", ["requantize", "--shift", "1", "--zero-point", "0",
                                                         acc_file, out_err])
expect_error("requantize shift 31", ["requantize", "--multiplier", "1073741824", "--shift", "31", "--zero-point", "0",
                                     acc_file, out_err])
expect_error("requantize shift -32", ["requantize", "--multiplier", "1073741824", "--shift", "-32", "--zero-point", "0",
                                      acc_file, out_err])
expect_error("requantize negative multiplier", ["requantize", "--multiplier", "-5", "--shift", "0", "--zero-point", "0",
                                                acc_file, out_err])
expect_error("requantize multiplier beyond int32", ["requantize", "--multiplier", "2147483648", "--shift", "0",
                                                    "--zero-point", "0", acc_file, out_err])
expect_error("requantize fp32 with (multiplier, shift)", ["requantize", "--multiplier", "1073741824", "--shift", "0",
                                                          "--zero-point", "0", "--rounding", "fp32", acc_file, out_err])
expect_error("requantize missing --zero-point", ["requantize", "--real", "0.5", acc_file, out_err])
expect_error("requantize zero point outside int8", ["requantize", "--real", "0.5", "--zero-point", "200", acc_file, out_err])
expect_error("requantize zero point outside uint8", ["requantize", "--real", "0.5", "--zero-point", "-1", "--dtype", "uint8",
                                                     acc_file, out_err])
expect_error("requantize negative real", ["requantize", "--real", "-0.5", "--zero-point", "0", acc_file, out_err])
expect_error("requantize NaN real", ["requantize", "--real", "nan", "--zero-point", "0", acc_file, out_err])
expect_error("requantize Inf real", ["requantize", "--real", "inf", "--zero-point", "0", "--rounding", "fp32",
                                     acc_file, out_err])
expect_error("requantize real too large", ["requantize", "--real", "2e9", "--zero-point", "0", acc_file, out_err])
expect_error("requantize real beyond float32 (fp32)", ["requantize", "--real", "1e39", "--zero-point", "0", "--rounding",
                                                       "fp32", acc_file, out_err])
expect_error("requantize unknown rounding", ["requantize", "--real", "0.5", "--zero-point", "0", "--rounding", "nearest",
                                             acc_file, out_err])
expect_error("requantize affine-float", ["requantize", "--real", "0.5", "--zero-point", "0", "--scheme", "affine-float",
                                         acc_file, out_err])
expect_error("requantize symmetric with non-zero zero point", ["requantize", "--real", "0.5", "--zero-point", "4",
                                                               "--scheme", "symmetric", acc_file, out_err])
expect_error("requantize bad range", ["requantize"] + R + ["--quant-min", "0", "--quant-max", "500", acc_file, out_err])
expect_error("requantize malformed input", ["requantize"] + R + [write_raw("bad_rq.npy", bad_files["fortran order"]),
                                                                 out_err])
expect_error("requantize missing input", ["requantize"] + R + [tmp("nothing.npy"), out_err])
expect_error("requantize one file", ["requantize"] + R + [acc_file])
expect_error("requantize per-channel options not accepted", ["requantize"] + R + ["--axis", "0", acc_file, out_err])


# ================================================================================================
# calibrate

rng = random.Random(20260415)
cal1 = [f32(rng.gauss(0.0, 1.0)) for _ in range(1500)]
cal2 = [f32(rng.gauss(0.5, 2.0)) for _ in range(1000)]
c1 = write_npy("cal1.npy", "<f4", (1500,), cal1)
c2 = write_npy("cal2.npy", "<f4", (50, 20), cal2)
mn, mx = min(cal1 + cal2), max(cal1 + cal2)
for dt, sym in (("uint8", False), ("int8", False), ("int8", True), ("uint8", True)):
    lo, hi = qrange(dt)
    sc, zp = torch_qparams(mn, mx, lo, hi, symmetric=sym, signed=dt == "int8")
    args = ["calibrate", "--observer", "minmax", "--dtype", dt] + (["--scheme", "symmetric"] if sym else []) + [c1, c2]
    params_check("calibrate minmax %s %s" % (dt, sym), run_json("calibrate minmax", args), sc, zp, mn, mx)
# moving average: first batch sets the range, the second moves it by c (float32)
for c in (0.01, 0.5):
    cc = f32(c)
    b1 = (min(cal1), max(cal1))
    b2 = (min(cal2), max(cal2))
    lo_ = f32(b1[0] + f32(cc * f32(b2[0] - b1[0])))
    hi_ = f32(b1[1] + f32(cc * f32(b2[1] - b1[1])))
    sc, zp = torch_qparams(lo_, hi_, 0, 255, signed=False)
    params_check("calibrate moving-average c=%g" % c,
                 run_json("calibrate moving-average", ["calibrate", "--observer", "moving-average", "--averaging-constant",
                                                       repr(c), "--dtype", "uint8", c1, c2]), sc, zp, lo_, hi_)
# per channel
pcw = [f32(rng.gauss(0.0, 1.0 + (i % 4))) for i in range(3 * 4 * 5)]
pcf = write_npy("pc.npy", "<f4", (3, 4, 5), pcw)
obj = run_json("calibrate minmax --axis 1", ["calibrate", "--observer", "minmax", "--axis", "1", "--dtype", "uint8", pcf])
if obj is not None:
    ok = len(obj["scale"]) == 4
    for ch in range(4):
        vals = [pcw[(o * 4 + ch) * 5 + i] for o in range(3) for i in range(5)]
        sc, zp = torch_qparams(min(vals), max(vals), 0, 255, signed=False)
        ok = ok and f32_bits(obj["scale"][ch]) == f32_bits(sc) and obj["zero_point"][ch] == zp
        ok = ok and f32(obj["min"][ch]) == min(vals) and f32(obj["max"][ch]) == max(vals)
    check("calibrate minmax per channel values", ok, repr(obj))
# histogram-based observers: consistent JSON, range inside the data, symmetric gives -amax / +amax,
# parameters equal qparams of the printed range.
for ob in ("histogram", "mse", "entropy", "percentile"):
    for dt, sym in (("uint8", False), ("int8", True), ("int8", False)):
        args = ["calibrate", "--observer", ob, "--dtype", dt] + (["--scheme", "symmetric"] if sym else []) + [c1, c2]
        obj = run_json("calibrate %s %s %s" % (ob, dt, sym), args)
        if obj is None:
            continue
        lo_, hi_ = obj["min"][0], obj["max"][0]
        if sym:
            check("calibrate %s symmetric range" % ob, lo_ == -hi_ and 0 < hi_ <= max(-mn, mx), repr(obj))
        else:
            check("calibrate %s range inside data" % ob, mn <= lo_ <= hi_ <= mx, repr(obj))
        lq, hq = qrange(dt)
        sc, zp = torch_qparams(lo_, hi_, lq, hq, symmetric=sym, signed=dt == "int8")
        check("calibrate %s params of the range" % ob, f32_bits(obj["scale"][0]) == f32_bits(sc) and obj["zero_point"][0] == zp,
              "%r vs %r %r" % (obj, sc, zp))
# --entropy-variant onnxruntime: ONNX Runtime's defaults (128 bins, 128 quantized bins) on one batch
# leave one candidate, the whole histogram, clipped to the data: the observed range (a later batch
# with a larger threshold grows the histogram and adds candidates); with more bins a range inside
# the data, and the parameters of the printed range. tensorrt is the default variant.
mn1, mx1 = min(cal1), max(cal1)
for dt, sym in (("uint8", False), ("int8", True)):
    base = ["calibrate", "--observer", "entropy", "--dtype", dt] + (["--scheme", "symmetric"] if sym else [])
    obj = run_json("calibrate entropy onnxruntime %s" % dt, base + ["--entropy-variant", "onnxruntime", c1])
    if obj is not None:
        lo_, hi_ = (-max(-mn1, mx1), max(-mn1, mx1)) if sym else (mn1, mx1)
        lq, hq = qrange(dt)
        sc, zp = torch_qparams(lo_, hi_, lq, hq, symmetric=sym, signed=dt == "int8")
        params_check("calibrate entropy onnxruntime defaults %s" % dt, obj, sc, zp, lo_, hi_)
    obj = run_json("calibrate entropy onnxruntime 1024 %s" % dt, base + ["--entropy-variant", "onnxruntime", "--bins", "1024", c1, c2])
    if obj is not None:
        lo_, hi_ = obj["min"][0], obj["max"][0]
        check("calibrate entropy onnxruntime 1024 range", mn <= lo_ < hi_ <= mx if not sym else lo_ == -hi_ <= max(-mn, mx), repr(obj))
        check("calibrate entropy onnxruntime 1024 clips", hi_ < (max(-mn, mx) if sym else mx), repr(obj))
        lq, hq = qrange(dt)
        sc, zp = torch_qparams(lo_, hi_, lq, hq, symmetric=sym, signed=dt == "int8")
        check("calibrate entropy onnxruntime params of the range", f32_bits(obj["scale"][0]) == f32_bits(sc) and obj["zero_point"][0] == zp,
              "%r vs %r %r" % (obj, sc, zp))
    check("calibrate entropy tensorrt is the default",
          run_json("calibrate entropy tensorrt", base + ["--entropy-variant", "tensorrt", c1, c2]) == run_json("calibrate entropy", base + [c1, c2]))
expect_error("calibrate entropy variant unknown", ["calibrate", "--observer", "entropy", "--entropy-variant", "mxnet", c1], "unknown variant")
expect_error("calibrate entropy variant with mse", ["calibrate", "--observer", "mse", "--entropy-variant", "onnxruntime", c1],
             "--entropy-variant")
expect_error("calibrate entropy onnxruntime no finite values", ["calibrate", "--observer", "entropy", "--entropy-variant", "onnxruntime",
                                                            write_npy("nonfinite_ort.npy", "<f4", (2,), [NAN, INF])])
# percentile 100 on |x|: TensorRT's edges[first bin where the float cdf reaches 1] (or edges[len]
# when rounding keeps it below 1), within one bin of max|x|
obj = run_json("calibrate percentile 100", ["calibrate", "--observer", "percentile", "--percentile", "100", "--scheme",
                                            "symmetric", "--bins", "512", c1, c2])
if obj is not None:
    amx = max(-mn, mx)
    width = max(abs(v) for v in cal1) / 512  # the first batch fixes TensorRT's bin width
    check("calibrate percentile 100 ~ max|x|", abs(obj["max"][0] - amx) <= width * 1.001, repr(obj))
# admm: MNN's iteration, transcribed here in float32
def admm_ref(w, clamp=127.0):
    alpha = f32(f32(max(abs(v) for v in w)) / f32(clamp * 1.25))
    for _ in range(1000):
        d = f32(alpha + f32(1e-9))
        q = [clamp_v for clamp_v in (max(-clamp, min(clamp, round_half_away(f32(v / d)))) for v in w)]
        a = 0.0
        b = 0.0
        for v, qq in zip(w, q):
            a = f32(a + f32(v * qq))
            b = f32(b + f32(qq * qq))
        alpha = f32(a / f32(b + f32(1e-9)))
    return alpha
aw = [f32(rng.gauss(0.0, 0.05)) for _ in range(40)]
af = write_npy("admm.npy", "<f4", (2, 20), aw)
obj = run_json("calibrate admm --axis 0", ["calibrate", "--observer", "admm", "--axis", "0", af])
if obj is not None:
    want = [admm_ref(aw[:20]), admm_ref(aw[20:])]
    check("calibrate admm scales", [f32_bits(v) for v in obj["scale"]] == [f32_bits(v) for v in want], "%r vs %r" % (obj, want))
    check("calibrate admm range", obj["zero_point"] == [0, 0] and f32(obj["max"][0]) == f32(127 * want[0]), repr(obj))
# NaN / Inf are skipped; all non-finite or empty input is an error
nf = write_npy("nonfinite.npy", "<f4", (4,), [NAN, INF, -INF, NAN])
mixed = write_npy("mixed.npy", "<f4", (5,), [NAN, 1.0, -2.0, INF, 0.5])
empty = write_npy("empty.npy", "<f4", (0,), [])
sc, zp = torch_qparams(-2.0, 1.0, -128, 127)
params_check("calibrate minmax skips NaN/Inf", run_json("calibrate mixed", ["calibrate", "--observer", "minmax", mixed, empty]),
             sc, zp, -2.0, 1.0)
for ob in ("minmax", "moving-average", "histogram", "entropy", "percentile", "mse", "admm"):
    expect_error("calibrate %s no finite values" % ob, ["calibrate", "--observer", ob, nf, empty])
const = write_npy("const.npy", "<f4", (7,), [2.5] * 7)
for ob in ("histogram", "mse", "percentile", "entropy"):
    obj = run_json("calibrate %s constant" % ob, ["calibrate", "--observer", ob, "--dtype", "uint8", const])
    if obj is not None:
        check("calibrate %s constant range" % ob, 0 < obj["max"][0] <= 2.5 and obj["scale"][0] > 0, repr(obj))
zeros = write_npy("zeros.npy", "<f4", (7,), [0.0] * 7)
expect_error("calibrate admm all zeros", ["calibrate", "--observer", "admm", zeros])
# argument errors
expect_error("calibrate missing --observer", ["calibrate", c1])
expect_error("calibrate unknown observer", ["calibrate", "--observer", "kl", c1], "unknown observer")
expect_error("calibrate no files", ["calibrate", "--observer", "minmax"])
expect_error("calibrate missing file", ["calibrate", "--observer", "minmax", tmp("nothing.npy")])
expect_error("calibrate int32 batch", ["calibrate", "--observer", "minmax", write_npy("i4.npy", "<i4", (2,), [1, 2])])
expect_error("calibrate bins with minmax", ["calibrate", "--observer", "minmax", "--bins", "10", c1])
expect_error("calibrate bins 1", ["calibrate", "--observer", "mse", "--bins", "1", c1])
expect_error("calibrate percentile 101", ["calibrate", "--observer", "percentile", "--percentile", "101", c1])
expect_error("calibrate percentile with mse", ["calibrate", "--observer", "mse", "--percentile", "99", c1])
expect_error("calibrate averaging constant 2", ["calibrate", "--observer", "moving-average", "--averaging-constant", "2", c1])
expect_error("calibrate axis with histogram", ["calibrate", "--observer", "histogram", "--axis", "0", c1])
expect_error("calibrate axis out of range", ["calibrate", "--observer", "minmax", "--axis", "3", c1])
expect_error("calibrate channel count changes", ["calibrate", "--observer", "minmax", "--axis", "1", pcf, c2])
expect_error("calibrate affine-float with mse", ["calibrate", "--observer", "mse", "--scheme", "affine-float", c1])
expect_error("calibrate malformed batch", ["calibrate", "--observer", "minmax", write_raw("bad_cal.npy", b"\x93NUMPY")])

# ================================================================================================
# beyond int8: metrics, fake-quant, group-quantize / group-dequantize, binarize, pot, equalize
# (docs/cli.md "Beyond int8"). References from the formulas of docs/beyond.md, computed here.

rnd = random.Random(20260606)


def randn_f32(n, scale=1.0):
    return [f32(rnd.gauss(0.0, scale)) for _ in range(n)]


def close(a, b, rel=1e-12):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


# ---- metrics
ref_v = randn_f32(257)
tst_v = [f32(v + rnd.uniform(-0.01, 0.01)) for v in ref_v]
m_ref = write_npy("m_ref.npy", "<f4", (257,), ref_v)
m_tst = write_npy("m_tst.npy", "<f4", (257,), tst_v)
obj = run_json("metrics", ["metrics", m_ref, m_tst])
if obj is not None:
    e = [t - r for r, t in zip(ref_v, tst_v)]
    sse = sum(d * d for d in e)
    srr = sum(r * r for r in ref_v)
    stt = sum(t * t for t in tst_v)
    srt = sum(r * t for r, t in zip(ref_v, tst_v))
    check("metrics keys", list(obj) == ["count", "mse", "sqnr_db", "cosine", "max_abs_error"], str(list(obj)))
    check("metrics count", obj.get("count") == 257)
    check("metrics mse", close(obj.get("mse", -1), sse / 257, 1e-8), repr(obj))
    check("metrics sqnr", close(obj.get("sqnr_db", -1), 10 * math.log10(srr / sse), 1e-8), repr(obj))
    check("metrics cosine", close(obj.get("cosine", -1), srt / math.sqrt(srr * stt), 1e-8), repr(obj))
    check("metrics max", close(obj.get("max_abs_error", -1), max(abs(d) for d in e), 1e-8), repr(obj))
obj = run_json("metrics identical", ["metrics", m_ref, m_ref])
check("metrics identical: mse 0, sqnr null, cosine 1",
      obj is not None and obj["mse"] == 0 and obj["sqnr_db"] is None and obj["cosine"] == 1 and obj["max_abs_error"] == 0,
      repr(obj))
m_zero = write_npy("m_zero.npy", "<f4", (257,), [0.0] * 257)
obj = run_json("metrics zero reference", ["metrics", m_zero, m_tst])
check("metrics zero reference: sqnr null, cosine 0", obj is not None and obj["sqnr_db"] is None and obj["cosine"] == 0,
      repr(obj))
m_empty = write_npy("m_empty.npy", "<f4", (0,), [])
obj = run_json("metrics empty", ["metrics", m_empty, m_empty])
check("metrics empty", obj == {"count": 0, "mse": 0, "sqnr_db": None, "cosine": 1, "max_abs_error": 0}, repr(obj))
expect_error("metrics shape mismatch", ["metrics", m_ref, write_npy("m_short.npy", "<f4", (256,), ref_v[:256])], "shape")
expect_error("metrics NaN", ["metrics", m_ref, write_npy("m_nan.npy", "<f4", (257,), [NAN] + tst_v[1:])], "NaN")
expect_error("metrics int8 input", ["metrics", m_ref, write_npy("m_i1.npy", "|i1", (257,), [0] * 257)], "float32")
expect_error("metrics one file", ["metrics", m_ref])
expect_error("metrics unknown option", ["metrics", "--scale", "1", m_ref, m_tst], "unknown option")


# ---- fake-quant (torch 1.13 fake_quantize_per_tensor_affine / per_channel; the mask of the STE)
def fake_quant_ref(x, s, z, qmin, qmax):
    """(y, mask) as torch 1.13's cachemask kernel with qlin's NaN / Inf rule."""
    s = f32(s)
    if math.isnan(x):
        return 0.0, 0
    inv = f32(1.0 / s)
    t = f32(x * inv)
    if math.isinf(t):
        q = qmax if t > 0 else qmin
        return f32((q - z) * s), 0
    qf = f32(f32(z) + round_half_even(t))
    q = clamp(int(qf), qmin, qmax)
    return f32((q - z) * s), 1 if qmin <= qf <= qmax else 0


def fake_quant_float_zp_ref(x, s, z, qmin, qmax):
    s, z = f32(s), f32(z)
    inv = f32(1.0 / s)
    if math.isnan(x):
        return f32((clamp(round_half_even(z), qmin, qmax) - z) * s), 0
    t = f32(x * inv)
    if math.isinf(t):
        return f32(((qmax if t > 0 else qmin) - z) * s), 0
    q = round_half_even(f32(z + t))
    return f32((clamp(q, qmin, qmax) - z) * s), 1 if qmin <= q <= qmax else 0


fq_x = randn_f32(61, 2.0) + [0.25, -0.25, 0.75, 1e30, -1e30, INF, -INF, NAN, 0.0, -0.0, 1.25, 3.75]
fq_in = write_npy("fq_in.npy", "<f4", (len(fq_x),), fq_x)
for dtype, s, z, extra in [("int8", 0.05, 3, []), ("uint8", 0.5, 128, []), ("int8", 0.25, 0, ["--narrow"]),
                           ("int16", 0.001, -7, [])]:
    qmin, qmax = qrange(dtype, narrow=bool(extra))
    name = "fake-quant %s s=%g z=%d %s" % (dtype, s, z, " ".join(extra))
    out, mask = tmp("fq_out.npy"), tmp("fq_mask.npy")
    if run_ok(name, ["fake-quant", "--scale", s, "--zero-point", z, "--dtype", dtype, "--mask", mask] + extra +
              [fq_in, out]):
        d, shape, y, _ = read_npy(out)
        dm, shape_m, mk, _ = read_npy(mask)
        want = [fake_quant_ref(v, s, z, qmin, qmax) for v in fq_x]
        check(name + " [dtypes and shapes]", d == "<f4" and dm == "|u1" and shape == shape_m == (len(fq_x),))
        bad = [i for i, (w, got) in enumerate(zip(want, y)) if f32_bits(w[0]) != f32_bits(got)]
        check(name + " [y bit for bit]", not bad and len(y) == len(want), "first bad %r" % bad[:3])
        check(name + " [mask]", mk == [w[1] for w in want], repr([(v, a, w[1]) for v, a, w in zip(fq_x, mk, want)
                                                                 if a != w[1]][:3]))
# per channel, axis 1 of [2][3][4], int zero points and float zero points
fq_pc = randn_f32(24, 3.0)
fq_pc_in = write_npy("fq_pc.npy", "<f4", (2, 3, 4), fq_pc)
fq_scales = [0.1, 0.02, 0.5]
sc_f = write_npy("fq_sc.npy", "<f4", (3,), fq_scales)
zp_i = write_npy("fq_zi.npy", "<i4", (3,), [0, -5, 9])
zp_f = write_npy("fq_zf.npy", "<f4", (3,), [0.5, -5.25, 9.75])
out = tmp("fq_pc_out.npy")
if run_ok("fake-quant per channel", ["fake-quant", "--axis", "1", "--scales", sc_f, "--zero-points", zp_i, fq_pc_in, out]):
    _, _, y, _ = read_npy(out)
    want = [fake_quant_ref(v, fq_scales[(i // 4) % 3], [0, -5, 9][(i // 4) % 3], -128, 127)[0] for i, v in enumerate(fq_pc)]
    check("fake-quant per channel [bits]", [f32_bits(a) for a in y] == [f32_bits(b) for b in want])
if run_ok("fake-quant per channel float zp", ["fake-quant", "--axis", "1", "--scales", sc_f, "--zero-points", zp_f,
                                              "--scheme", "affine-float", "--dtype", "uint8", fq_pc_in, out]):
    _, _, y, _ = read_npy(out)
    want = [fake_quant_float_zp_ref(v, fq_scales[(i // 4) % 3], [0.5, -5.25, 9.75][(i // 4) % 3], 0, 255)[0]
            for i, v in enumerate(fq_pc)]
    check("fake-quant per channel float zp [bits]", [f32_bits(a) for a in y] == [f32_bits(b) for b in want])
# fake-quant against the real torch 1.13: tests/data/fake_quant_fixed.txt (written by
# tests/data/gen_torch_fake_quant.py from torch.fake_quantize_per_tensor_affine / _per_channel_affine and
# autograd). The tool's output must equal torch's forward to the bit, and dy * mask torch's dX. The two cases
# with int32-wide ranges (beyond the tool's dtypes) are left to tests/unit/test_fake_quant.cpp.
def hex_f32(h):
    return struct.unpack("<f", struct.pack("<I", int(h, 16)))[0]


fq_data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fake_quant_fixed.txt")
fq_cases = 0
with open(fq_data) as fq_file:
    for line in fq_file:
        tok = line.split()
        if not tok or tok[0].startswith("#"):
            continue
        cap, kind, name, qmin, qmax = tok[0], tok[1], tok[2], int(tok[3]), int(tok[4])
        if qmin < -128 or qmax > 255:
            continue
        dtype = "int8" if qmin < 0 else "uint8"
        args = ["fake-quant", "--dtype", dtype, "--quant-min", qmin, "--quant-max", qmax]
        rest = tok[5:]
        if kind == "pt":
            scale, zp, n = hex_f32(rest[0]), int(rest[1]), int(rest[2])
            vals = rest[3:]
            shape = (n,)
            args += ["--scale", "%.9g" % scale, "--zero-point", zp]
        else:
            outer, ch, inner = int(rest[0]), int(rest[1]), int(rest[2])
            n = outer * ch * inner
            scales = [hex_f32(h) for h in rest[3:3 + ch]]
            if kind == "pc":
                zps = write_npy("tq_z.npy", "<i4", (ch,), [int(v) for v in rest[3 + ch:3 + 2 * ch]])
            else:
                zps = write_npy("tq_z.npy", "<f4", (ch,), [hex_f32(h) for h in rest[3 + ch:3 + 2 * ch]])
                args += ["--scheme", "affine-float", "--fp-contract", "fma" if cap == "avx2" else "off"]
            args += ["--axis", "1", "--scales", write_npy("tq_s.npy", "<f4", (ch,), scales), "--zero-points", zps]
            vals = rest[3 + 2 * ch:]
            shape = (outer, ch, inner)
        x, dy = [hex_f32(h) for h in vals[:n]], [hex_f32(h) for h in vals[n:2 * n]]
        out_want, dx_want = [int(h, 16) for h in vals[2 * n:3 * n]], [int(h, 16) for h in vals[3 * n:4 * n]]
        fq_cases += 1
        label = "fake-quant vs torch %s %s %s" % (cap, kind, name)
        if not run_ok(label, args + ["--mask", tmp("tq_m.npy"), write_npy("tq_x.npy", "<f4", shape, x), tmp("tq_y.npy")]):
            continue
        y = read_npy(tmp("tq_y.npy"))[2]
        mk = read_npy(tmp("tq_m.npy"))[2]
        check(label + " [forward bits]", [f32_bits(v) for v in y] == out_want)
        check(label + " [dy * mask == torch dX]", [f32_bits(f32(d * m)) for d, m in zip(dy, mk)] == dx_want)
check("fake-quant vs torch: all 153 cases with ranges inside 8 bits run", fq_cases == 153, str(fq_cases))

expect_error("fake-quant tflite", ["fake-quant", "--scale", "0.1", "--zero-point", "0", "--compat", "tflite", fq_in,
                                   tmp("fq_e.npy")], "pytorch", no_output=tmp("fq_e.npy"))
expect_error("fake-quant zero scale", ["fake-quant", "--scale", "0", "--zero-point", "0", fq_in, tmp("fq_e.npy")],
             no_output=tmp("fq_e.npy"))
expect_error("fake-quant fp-contract without float zp", ["fake-quant", "--scale", "0.1", "--zero-point", "0",
                                                         "--fp-contract", "fma", fq_in, tmp("fq_e.npy")], "affine-float")
expect_error("fake-quant bad fp-contract", ["fake-quant", "--axis", "1", "--scales", sc_f, "--zero-points", zp_f,
                                            "--scheme", "affine-float", "--fp-contract", "fast", fq_pc_in,
                                            tmp("fq_e.npy")], "fma")
expect_error("fake-quant int8 input", ["fake-quant", "--scale", "0.1", "--zero-point", "0",
                                       write_npy("fq_i1.npy", "|i1", (2,), [1, 2]), tmp("fq_e.npy")], "float32")
expect_error("fake-quant zero point outside range", ["fake-quant", "--scale", "0.1", "--zero-point", "300", fq_in,
                                                     tmp("fq_e.npy")])


# ---- group-quantize / group-dequantize (per-group int4 / uint4)
def group_ref(w, rows, cols, g, dtype, symmetric=False):
    qmin, qmax = full_range(dtype)
    scales, zps, codes = [], [], [0] * (rows * cols)
    for r in range(rows):
        for g0 in range(0, cols, g):
            idx = [r * cols + c for c in range(g0, min(g0 + g, cols))]
            vals = [w[i] for i in idx if math.isfinite(w[i])]
            s, z = torch_qparams(min(vals), max(vals), qmin, qmax, symmetric=symmetric, signed=dtype == "int4", bits=4)
            scales.append(s)
            zps.append(z)
            for i in idx:
                codes[i] = quantize_ref(w[i], s, z, qmin, qmax)
    return scales, zps, codes


gw = randn_f32(3 * 10, 1.0)
gw[7] = NAN
gw[12] = INF
gq_in = write_npy("gq_in.npy", "<f4", (3, 10), gw)
for dtype, g, sym in [("int4", 4, False), ("uint4", 4, False), ("int4", 3, True), ("int4", 10, False), ("uint4", 32, False)]:
    name = "group-quantize %s G=%d%s" % (dtype, g, " symmetric" if sym else "")
    extra = ["--scheme", "symmetric"] if sym else []
    codes_p = tmp("gq_codes.npy")
    obj = run_json(name, ["group-quantize", "--group-size", g, "--dtype", dtype] + extra + [gq_in, codes_p])
    ws, wz, wc = group_ref(gw, 3, 10, g, dtype, sym)
    gpr = (10 + g - 1) // g
    if obj is not None:
        check(name + " [keys]", list(obj) == ["rows", "cols", "groups_per_row", "scale", "zero_point"], str(list(obj)))
        check(name + " [shape]", (obj["rows"], obj["cols"], obj["groups_per_row"]) == (3, 10, gpr), repr(obj))
        check(name + " [scales bit for bit]", [f32_bits(s) for s in obj["scale"]] == [f32_bits(s) for s in ws],
              "%r vs %r" % (obj["scale"], ws))
        check(name + " [zero points]", obj["zero_point"] == wz, "%r vs %r" % (obj["zero_point"], wz))
    d, shape, codes, _ = read_npy(codes_p)
    check(name + " [codes]", d == ("|i1" if dtype == "int4" else "|u1") and shape == (3, 10) and codes == wc,
          "%r %r %r vs %r" % (d, shape, codes, wc))
    packed_p = tmp("gq_packed.npy")
    run_json(name + " --packed", ["group-quantize", "--group-size", g, "--dtype", dtype, "--packed"] + extra +
             [gq_in, packed_p])
    d, shape, pk, _ = read_npy(packed_p)
    want_pk = []
    for r in range(3):
        row = [c & 0xF for c in wc[r * 10:(r + 1) * 10]]
        want_pk += [row[i] | (row[i + 1] << 4) for i in range(0, 10, 2)]
    check(name + " [packed low nibble first]", d == "|u1" and shape == (3, 5) and pk == want_pk, "%r vs %r" % (pk, want_pk))
    if obj is not None:
        sp = write_npy("gq_s.npy", "<f4", (3, gpr), obj["scale"])
        zp = write_npy("gq_z.npy", "<i4", (3 * gpr,), obj["zero_point"])
        want_r = [dequantize_ref(wc[i], obj["scale"][(i // 10) * gpr + (i % 10) // g],
                                 obj["zero_point"][(i // 10) * gpr + (i % 10) // g]) for i in range(30)]
        back = tmp("gq_back.npy")
        if run_ok(name + " group-dequantize", ["group-dequantize", "--group-size", g, "--dtype", dtype, "--scales", sp,
                                               "--zero-points", zp, codes_p, back]):
            d, shape, r, _ = read_npy(back)
            check(name + " [dequantized]", d == "<f4" and shape == (3, 10) and r == want_r)
        if run_ok(name + " group-dequantize --packed", ["group-dequantize", "--group-size", g, "--dtype", dtype,
                                                        "--scales", sp, "--zero-points", zp, "--packed", "--cols", "10",
                                                        packed_p, back]):
            d, shape, r, _ = read_npy(back)
            check(name + " [dequantized from packed]", shape == (3, 10) and r == want_r)
# odd number of columns: the last high nibble of each packed row is 0
gq_odd = write_npy("gq_odd.npy", "<f4", (2, 3), [1.0, -1.0, 0.5, 2.0, 0.0, -2.0])
obj = run_json("group-quantize odd cols packed", ["group-quantize", "--group-size", "2", "--packed", gq_odd, tmp("gq_o.npy")])
d, shape, pk, _ = read_npy(tmp("gq_o.npy"))
check("group-quantize odd cols [padding nibble 0]", shape == (2, 2) and (pk[1] >> 4) == 0 and (pk[3] >> 4) == 0, repr(pk))
for shape in [(0, 5), (3, 0), (2, 0, 4)]:
    cnt = shape[0] * shape[1] * (shape[2] if len(shape) > 2 else 1)
    rows = cnt // shape[-1] if shape[-1] else shape[0] * (shape[1] if len(shape) > 2 else 1)
    obj = run_json("group-quantize empty %r" % (shape,), ["group-quantize", "--group-size", "2", "--packed",
                                                          write_npy("gq_empty.npy", "<f4", shape, []), tmp("gq_ep.npy")])
    check("group-quantize empty %r [rows, no parameters]" % (shape,), obj is not None and obj["rows"] == rows and
          obj["scale"] == [] and read_npy(tmp("gq_ep.npy"))[1] == (rows, (shape[-1] + 1) // 2), repr(obj))
expect_error("group-quantize int8", ["group-quantize", "--group-size", "4", "--dtype", "int8", gq_in, tmp("gq_e.npy")],
             "int4 or uint4", no_output=tmp("gq_e.npy"))
expect_error("group-quantize missing group size", ["group-quantize", gq_in, tmp("gq_e.npy")], "--group-size")
expect_error("group-quantize group size 0", ["group-quantize", "--group-size", "0", gq_in, tmp("gq_e.npy")])
expect_error("group-quantize all-NaN group", ["group-quantize", "--group-size", "2",
                                              write_npy("gq_nan.npy", "<f4", (1, 4), [NAN, NAN, 1.0, 2.0]),
                                              tmp("gq_e.npy")], no_output=tmp("gq_e.npy"))
expect_error("group-quantize 0-d", ["group-quantize", "--group-size", "2", write_npy("gq_0d.npy", "<f4", (), [1.0]),
                                    tmp("gq_e.npy")], "0-d")
gsp = write_npy("gq_s1.npy", "<f4", (3,), [0.1, 0.1, 0.1])
gzp = write_npy("gq_z1.npy", "<i4", (3,), [0, 0, 0])
gcodes = write_npy("gq_c1.npy", "|i1", (3, 4), [0] * 12)
expect_error("group-dequantize wrong parameter count", ["group-dequantize", "--group-size", "2", "--scales", gsp,
                                                        "--zero-points", gzp, gcodes, tmp("gq_e.npy")], "expected 6")
expect_error("group-dequantize code out of range", ["group-dequantize", "--group-size", "4", "--scales", gsp,
                                                    "--zero-points", gzp,
                                                    write_npy("gq_c2.npy", "|i1", (3, 4), [9] + [0] * 11),
                                                    tmp("gq_e.npy")], "outside")
expect_error("group-dequantize packed without cols", ["group-dequantize", "--group-size", "4", "--scales", gsp,
                                                      "--zero-points", gzp, "--packed", gcodes, tmp("gq_e.npy")], "--cols")
expect_error("group-dequantize packed wrong width", ["group-dequantize", "--group-size", "4", "--scales", gsp,
                                                     "--zero-points", gzp, "--packed", "--cols", "4",
                                                     write_npy("gq_c3.npy", "|u1", (3, 3), [0] * 9), tmp("gq_e.npy")],
             "uint8 array")
expect_error("group-dequantize uint8 codes for int4", ["group-dequantize", "--group-size", "4", "--scales", gsp,
                                                       "--zero-points", gzp,
                                                       write_npy("gq_c4.npy", "|u1", (3, 4), [0] * 12),
                                                       tmp("gq_e.npy")], "needs int8")
expect_error("group-dequantize zero scale", ["group-dequantize", "--group-size", "4", "--zero-points", gzp, "--scales",
                                             write_npy("gq_s0.npy", "<f4", (3,), [0.1, 0.0, 0.1]), gcodes,
                                             tmp("gq_e.npy")], "group 1")


# ---- binarize (XNOR-Net) and --ternary (TWN)
def bin_ref(w, channels):
    k = len(w) // channels
    alpha, codes = [], []
    for c in range(channels):
        row = w[c * k:(c + 1) * k]
        alpha.append(f32(sum(abs(v) for v in row) / k) if k else 0.0)
        codes += [1 if v >= 0 else -1 for v in row]
    return alpha, codes


def ter_ref(w, channels, factor=0.7):
    k = len(w) // channels
    alpha, delta, codes = [], [], []
    for c in range(channels):
        row = w[c * k:(c + 1) * k]
        d = f32(factor * (sum(abs(v) for v in row) / k))
        t = [1 if v > d else -1 if v < -d else 0 for v in row]
        kept = [abs(v) for v in row if abs(v) > d]
        delta.append(d)
        alpha.append(f32(sum(kept) / len(kept)) if kept else 0.0)
        codes += t
    return alpha, delta, codes


def words_le(bits_list, k):
    """Bytes of the little-endian 64-bit words holding one row's bits (bit i of word i // 64)."""
    out = []
    for w0 in range(0, max(k, 1) if k else 0, 64):
        word = 0
        for i in range(w0, min(w0 + 64, k)):
            word |= bits_list[i] << (i - w0)
        out += list(struct.pack("<Q", word))
    return out


bw = randn_f32(3 * 70, 0.3) + []
bw[5] = -0.0
bw[6] = 0.0
b_in = write_npy("b_in.npy", "<f4", (3, 7, 10), bw)
obj = run_json("binarize", ["binarize", b_in, tmp("b_codes.npy")])
ba, bc = bin_ref(bw, 3)
check("binarize alpha", obj is not None and [f32_bits(a) for a in obj["alpha"]] == [f32_bits(a) for a in ba], repr(obj))
d, shape, codes, _ = read_npy(tmp("b_codes.npy"))
check("binarize codes (-0.0 -> +1)", d == "|i1" and shape == (3, 7, 10) and codes == bc and codes[5] == 1)
run_json("binarize --packed", ["binarize", "--packed", b_in, tmp("b_packed.npy")])
d, shape, pk, _ = read_npy(tmp("b_packed.npy"))
want = []
for c in range(3):
    want += words_le([1 if v > 0 else 0 for v in bc[c * 70:(c + 1) * 70]], 70)
check("binarize --packed bits", d == "|u1" and shape == (3, 16) and pk == want, "%r %r" % (shape, pk[:16]))
obj = run_json("binarize --ternary", ["binarize", "--ternary", b_in, tmp("t_codes.npy")])
ta, td, tc = ter_ref(bw, 3)
check("ternary alpha", obj is not None and [f32_bits(a) for a in obj["alpha"]] == [f32_bits(a) for a in ta], repr(obj))
check("ternary delta", obj is not None and [f32_bits(a) for a in obj["delta"]] == [f32_bits(a) for a in td], repr(obj))
d, shape, codes, _ = read_npy(tmp("t_codes.npy"))
check("ternary codes", d == "|i1" and shape == (3, 7, 10) and codes == tc)
for fac in ("0", "0.35", "1.5", "1e9"):
    obj = run_json("binarize --ternary --threshold-factor " + fac,
                   ["binarize", "--ternary", "--threshold-factor", fac, b_in, tmp("t_codes_f.npy")])
    fa, fd, fc = ter_ref(bw, 3, float(fac))
    check("ternary --threshold-factor %s alpha / delta" % fac, obj is not None
          and [f32_bits(a) for a in obj["alpha"]] == [f32_bits(a) for a in fa]
          and [f32_bits(a) for a in obj["delta"]] == [f32_bits(a) for a in fd], repr(obj))
    d, shape, codes, _ = read_npy(tmp("t_codes_f.npy"))
    check("ternary --threshold-factor %s codes" % fac, codes == fc)
for fac in ("-0.1", "nan", "inf"):
    expect_error("binarize --threshold-factor " + fac,
                 ["binarize", "--ternary", "--threshold-factor", fac, b_in, tmp("b_e.npy")], "threshold-factor")
expect_error("binarize --threshold-factor without --ternary",
             ["binarize", "--threshold-factor", "0.5", b_in, tmp("b_e.npy")], "--ternary")
run_json("binarize --ternary --packed", ["binarize", "--ternary", "--packed", b_in, tmp("t_packed.npy")])
d, shape, pk, _ = read_npy(tmp("t_packed.npy"))
want = []
for plane in (1, -1):
    for c in range(3):
        want += words_le([1 if v == plane else 0 for v in tc[c * 70:(c + 1) * 70]], 70)
check("ternary --packed planes", shape == (2, 3, 16) and pk == want, repr(shape))
obj = run_json("binarize 1-D", ["binarize", write_npy("b_1d.npy", "<f4", (4,), [1.0, -2.0, 3.0, -4.0]), tmp("b_1.npy")])
check("binarize 1-D is one channel", obj == {"alpha": [2.5]}, repr(obj))
expect_error("binarize NaN", ["binarize", write_npy("b_nan.npy", "<f4", (2,), [NAN, 1.0]), tmp("b_e.npy")], "NaN",
             no_output=tmp("b_e.npy"))
expect_error("binarize int8 input", ["binarize", write_npy("b_i1.npy", "|i1", (2,), [1, 2]), tmp("b_e.npy")], "float32")
expect_error("binarize one file", ["binarize", b_in])
expect_error("binarize threshold option", ["binarize", "--threshold", "0.5", b_in, tmp("b_e.npy")], "unknown option")


# ---- pot: dynamic fixed point and logarithmic codes
def ceil_log2(m):
    f, e = math.frexp(m)
    return e - 1 if f == 0.5 else e


pw = randn_f32(50, 1.7) + [1.5, -2.5, 0.0, NAN, INF]
p_in = write_npy("p_in.npy", "<f4", (55,), pw)
mabs = max(abs(v) for v in pw if math.isfinite(v))
for bits, descr in [(8, "|i1"), (4, "|i1"), (12, "<i2"), (20, "<i4")]:
    name = "pot --bits %d" % bits
    obj = run_json(name, ["pot", "--bits", bits, p_in, tmp("p_out.npy")])
    fl = bits - 1 - ceil_log2(mabs)
    check(name + " [json]", obj is not None and list(obj) == ["bits", "fractional_length", "step", "max_abs"] and
          (obj["bits"], obj["fractional_length"], f32(obj["step"])) == (bits, fl, 2.0 ** -fl) and
          f32_bits(obj["max_abs"]) == f32_bits(mabs), repr(obj))
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    want = [0 if math.isnan(v) else hi if v == INF else int(clamp(round_half_even(v * 2.0 ** fl), lo, hi)) for v in pw]
    d, shape, q, _ = read_npy(tmp("p_out.npy"))
    check(name + " [codes]", d == descr and shape == (55,) and q == want, repr([(a, b) for a, b in zip(q, want) if a != b][:3]))
obj = run_json("pot power-of-two max", ["pot", write_npy("p_pot.npy", "<f4", (2,), [4.0, -1.0]), tmp("p_o2.npy")])
check("pot power-of-two max: fl = 8 - 1 - 2, +max saturates", obj is not None and obj["fractional_length"] == 5 and
      read_npy(tmp("p_o2.npy"))[2] == [127, -32], repr(obj))
obj = run_json("pot given fractional length", ["pot", "--fractional-length", "-2", p_in])
check("pot given fractional length", obj is not None and obj["fractional_length"] == -2 and obj["step"] == 4, repr(obj))


def log_code_ref(x, emin, emax):
    if math.isnan(x) or x == 0:
        return 0
    sign = 0x80 if x < 0 else 0
    a = abs(x)
    if a < 2.0 ** (emin - 1):
        return 0
    if a < 2.0 ** emin:
        e = emin
    elif a > 2.0 ** emax:
        e = emax
    else:
        f, ex = math.frexp(a)  # a = f 2^ex, f in [0.5, 1): a in [2^(ex-1), 2^ex)
        e = ex if f >= 0.75 else ex - 1
        e = min(e, emax)
    return sign | (e - emin + 1)


for levels in (15, 4):
    name = "pot --log --levels %d" % levels
    obj = run_json(name, ["pot", "--log", "--levels", levels, p_in, tmp("l_out.npy")])
    emax = ceil_log2(mabs)
    check(name + " [json]", obj == {"emin": emax - levels + 1, "emax": emax}, repr(obj))
    d, shape, codes, _ = read_npy(tmp("l_out.npy"))
    want = [log_code_ref(v, emax - levels + 1, emax) for v in pw]
    check(name + " [codes]", d == "|u1" and codes == want, repr([(v, a, b) for v, a, b in zip(pw, codes, want) if a != b][:3]))
expect_error("pot all zero", ["pot", write_npy("p_z.npy", "<f4", (3,), [0.0, 0.0, 0.0])])
expect_error("pot no finite", ["pot", write_npy("p_nf.npy", "<f4", (2,), [NAN, INF])], "finite")
expect_error("pot bits 1", ["pot", "--bits", "1", p_in], "--bits")
expect_error("pot bits 33", ["pot", "--bits", "33", p_in], "--bits")
expect_error("pot levels without log", ["pot", "--levels", "3", p_in], "--log")
expect_error("pot log with bits", ["pot", "--log", "--bits", "8", p_in])
expect_error("pot levels 0", ["pot", "--log", "--levels", "0", p_in], "--levels")
expect_error("pot fractional length 1000", ["pot", "--fractional-length", "1000", p_in])
expect_error("pot three files", ["pot", p_in, tmp("a.npy"), tmp("b.npy")])

# ---- equalize (DFQ cross-layer equalization)
C, IN, OUT = 5, 4, 3
e_w1 = [f32(v * f) for i, (v, f) in enumerate(zip(randn_f32(C * IN), [8.0] * IN + [0.125] * IN + [1.0] * IN + [3.0] * IN +
                                               [0.0] * IN))]
e_b1 = randn_f32(C)
e_w2 = randn_f32(OUT * C)
p_w1 = write_npy("e_w1.npy", "<f4", (C, IN), e_w1)
p_b1 = write_npy("e_b1.npy", "<f4", (C,), e_b1)
p_w2 = write_npy("e_w2.npy", "<f4", (OUT, C), e_w2)
outs = [tmp("e_o1.npy"), tmp("e_ob.npy"), tmp("e_o2.npy")]
obj = run_json("equalize", ["equalize", p_w1, p_b1, p_w2] + outs)
r1 = [max(abs(v) for v in e_w1[c * IN:(c + 1) * IN]) for c in range(C)]
r2 = [max(abs(e_w2[o * C + c]) for o in range(OUT)) for c in range(C)]
sc = [1.0 if a == 0 or b == 0 else f32(math.sqrt(a * b) / b) for a, b in zip(r1, r2)]
check("equalize scales", obj is not None and [f32_bits(s) for s in obj["scales"]] == [f32_bits(s) for s in sc], repr(obj))
check("equalize dead channel keeps scale 1", obj is not None and obj["scales"][4] == 1, repr(obj))
w1o, b1o, w2o = (read_npy(p)[2] for p in outs)
check("equalize W1", w1o == [f32(v / sc[i // IN]) for i, v in enumerate(e_w1)])
check("equalize b1", b1o == [f32(v / s) for v, s in zip(e_b1, sc)])
check("equalize W2", w2o == [f32(v * sc[i % C]) for i, v in enumerate(e_w2)])
r1n = [max(abs(v) for v in w1o[c * IN:(c + 1) * IN]) for c in range(4)]
r2n = [max(abs(w2o[o * C + c]) for o in range(OUT)) for c in range(4)]
check("equalize balances the ranges", all(abs(a / b - 1) < 1e-6 for a, b in zip(r1n, r2n)), repr((r1n, r2n)))
expect_error("equalize channel mismatch", ["equalize", p_w1, write_npy("e_b4.npy", "<f4", (4,), e_b1[:4]), p_w2] + outs,
             "channels")
expect_error("equalize 1-D W1", ["equalize", write_npy("e_w1d.npy", "<f4", (20,), e_w1), p_b1, p_w2] + outs, "2-D")
expect_error("equalize Inf weight", ["equalize", write_npy("e_inf.npy", "<f4", (C, IN), [INF] + e_w1[1:]), p_b1,
                                     p_w2, tmp("e_x1.npy"), tmp("e_x2.npy"), tmp("e_x3.npy")], "infinite",
             no_output=tmp("e_x1.npy"))
expect_error("equalize five files", ["equalize", p_w1, p_b1, p_w2] + outs[:2])
expect_error("equalize unwritable third output: no output at all",
             ["equalize", p_w1, p_b1, p_w2, tmp("e_y1.npy"), tmp("e_y2.npy"), tmp("no_such_dir/e_y3.npy")],
             no_output=tmp("e_y1.npy"))
expect_error("fake-quant unwritable mask: no output at all",
             ["fake-quant", "--scale", "0.1", "--zero-point", "0", "--mask", tmp("no_such_dir/m.npy"), fq_in,
              tmp("fq_y.npy")], no_output=tmp("fq_y.npy"))
# ---- pack / unpack (4-bit codes, low nibble first, each row on its own bytes)
for dtype, descr, lo, hi in [("int4", "|i1", -8, 7), ("uint4", "|u1", 0, 15)]:
    for shape in [(2, 3, 5), (4,), (3, 6), (2, 0)]:
        cnt = 1
        for dim in shape:
            cnt *= dim
        cols = shape[-1]
        vals = [rnd.randint(lo, hi) for _ in range(cnt)]
        if cnt >= 2:
            vals[0], vals[1] = lo, hi
        name = "pack %s %r" % (dtype, shape)
        if not run_ok(name, ["pack", "--dtype", dtype, write_npy("pk_in.npy", descr, shape, vals), tmp("pk_out.npy")]):
            continue
        d, pshape, pk, _ = read_npy(tmp("pk_out.npy"))
        want = []
        for r in range(cnt // cols if cols else 0):
            row = [v & 0xF for v in vals[r * cols:(r + 1) * cols]] + [0]
            want += [row[i] | (row[i + 1] << 4) for i in range(0, cols, 2)]
        check(name + " [bytes]", d == "|u1" and pshape == shape[:-1] + ((cols + 1) // 2,) and pk == want,
              "%r %r vs %r" % (pshape, pk, want))
        if run_ok("un" + name, ["unpack", "--dtype", dtype, "--cols", cols, tmp("pk_out.npy"), tmp("pk_back.npy")]):
            d, ushape, back, _ = read_npy(tmp("pk_back.npy"))
            check("un" + name + " [round trip]", d == descr and ushape == shape and back == vals)
# the padding nibble of an odd row is ignored; the high nibble of int4 sign-extends
run_ok("unpack ignores padding", ["unpack", "--dtype", "int4", "--cols", "3",
                                  write_npy("pk_pad.npy", "|u1", (1, 2), [0x8F, 0xF7]), tmp("pk_pb.npy")])
check("unpack int4 sign extension, padding ignored", read_npy(tmp("pk_pb.npy"))[2] == [-1, -8, 7])
expect_error("pack code out of range", ["pack", "--dtype", "int4", write_npy("pk_bad.npy", "|i1", (2,), [8, 0]),
                                        tmp("pk_e.npy")], "outside", no_output=tmp("pk_e.npy"))
expect_error("pack uint8 codes as int4", ["pack", "--dtype", "int4", write_npy("pk_u.npy", "|u1", (2,), [1, 0]),
                                          tmp("pk_e.npy")], "needs int8")
expect_error("pack int8 dtype", ["pack", "--dtype", "int8", write_npy("pk_i.npy", "|i1", (2,), [1, 0]), tmp("pk_e.npy")],
             "int4 or uint4")
expect_error("pack missing dtype", ["pack", write_npy("pk_i2.npy", "|i1", (2,), [1, 0]), tmp("pk_e.npy")], "--dtype")
expect_error("pack 0-d", ["pack", "--dtype", "int4", write_npy("pk_0d.npy", "|i1", (), [1]), tmp("pk_e.npy")], "0-d")
expect_error("unpack wrong width", ["unpack", "--dtype", "uint4", "--cols", "5",
                                    write_npy("pk_w.npy", "|u1", (2, 2), [0] * 4), tmp("pk_e.npy")], "last dimension is 3")
expect_error("unpack missing cols", ["unpack", "--dtype", "uint4", write_npy("pk_w2.npy", "|u1", (2,), [0, 0]),
                                     tmp("pk_e.npy")], "--cols")
expect_error("unpack int8 input", ["unpack", "--dtype", "int4", "--cols", "2", write_npy("pk_w3.npy", "|i1", (1,), [0]),
                                   tmp("pk_e.npy")], "uint8")

rc, out, err = run(["--help"])
check("--help lists the beyond-int8 subcommands", rc == 0 and all(s in out for s in
      ["metrics", "fake-quant", "group-quantize", "group-dequantize", "binarize", "pot", "equalize", "pack", "unpack"]),
      out[-300:])
for sub in ["metrics", "fake-quant", "group-quantize", "group-dequantize", "binarize", "pot", "equalize", "pack", "unpack"]:
    rc, out, err = run([sub, "--help"])
    check("%s --help" % sub, rc == 0 and out.startswith("usage: qlin " + sub) and err == "", out[:80])

# ================================================================================================
# top level

expect_error("no subcommand", [])
expect_error("unknown subcommand", ["frobnicate"])
expect_error("control characters in a file name stay on one line", ["quantize"] + P + [tmp("a\nb.npy"), out_err])
rc, out, err = run(["--version"])
check("--version", rc == 0 and out.startswith("qlin "), repr(out))

shutil.rmtree(TMP, ignore_errors=True)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
