#!/usr/bin/python3
"""Reference data for qlin's MinMax / moving-average / per-channel observers, from the REAL torch 1.13.

Run with Debian's interpreter (the one that has torch 1.13):  /usr/bin/python3 gen_torch_observers.py
Writes observers_torch.txt next to this script (read by tests/unit/test_observers.cpp).

Format (one record per line, '#' comments; floats as 8-hex-digit float32 bit patterns):
  obs <name> <kind> <dtype> <scheme> <reduce_range> <custom> <quant_min> <quant_max> <c> <axis>
      kind   minmax | movavg | pc_minmax | pc_movavg
      dtype  int8 (torch.qint8) | uint8 (torch.quint8) | uint4 (torch.quint4x2)
      scheme affine | symmetric | float   (float = per_channel_affine_float_qparams)
      c      the averaging constant as float32 bits (ignored by minmax kinds)
      axis   ch_axis for per-channel kinds (may be negative), 0 otherwise
  batch <ndim> <d0> ... <d(ndim-1)> <values...>      one forward() call, row-major
  expect <channels> <min...> <max...> <scale...> <zero_point...>
      torch's min_val / max_val buffers and calculate_qparams(); zero points are decimal
      integers, or float32 bits for scheme float. Per-tensor kinds have 1 channel.
"""
import os
import struct

import numpy as np
import torch
from torch.ao.quantization import observer as O

assert torch.__version__.startswith("1.13"), torch.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "observers_torch.txt")

DTYPES = {"int8": torch.qint8, "uint8": torch.quint8, "uint4": torch.quint4x2}
SCHEMES_PT = {"affine": torch.per_tensor_affine, "symmetric": torch.per_tensor_symmetric,
              "float": torch.per_channel_affine_float_qparams}
SCHEMES_PC = {"affine": torch.per_channel_affine, "symmetric": torch.per_channel_symmetric,
              "float": torch.per_channel_affine_float_qparams}


def fhex(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", float(x)))[0]


lines = []


def case(name, kind, batches, dtype="uint8", scheme="affine", reduce_range=False, qrange=None, c=0.01, axis=0):
    kw = dict(dtype=DTYPES[dtype], reduce_range=reduce_range)
    if qrange is not None:
        kw["quant_min"], kw["quant_max"] = qrange
    if kind in ("minmax", "movavg"):
        kw["qscheme"] = SCHEMES_PT[scheme]
        if kind == "minmax":
            obs = O.MinMaxObserver(**kw)
        else:
            obs = O.MovingAverageMinMaxObserver(averaging_constant=c, **kw)
    else:
        kw["qscheme"] = SCHEMES_PC[scheme]
        if kind == "pc_minmax":
            obs = O.PerChannelMinMaxObserver(ch_axis=axis, **kw)
        else:
            obs = O.MovingAveragePerChannelMinMaxObserver(averaging_constant=c, ch_axis=axis, **kw)
    # torch multiplies by the Python float c; qlin stores c as float32. Use float32-exact constants.
    assert np.float32(c) == c, c
    qmin, qmax = qrange if qrange is not None else (0, 0)
    lines.append("obs %s %s %s %s %d %d %d %d %s %d" % (
        name, kind, dtype, scheme, int(reduce_range), int(qrange is not None), qmin, qmax, fhex(c), axis))
    for b in batches:
        b = np.ascontiguousarray(b, dtype=np.float32)
        obs(torch.from_numpy(b.copy()))
        lines.append("batch %d %s %s" % (b.ndim, " ".join(str(d) for d in b.shape),
                                         " ".join(fhex(v) for v in b.reshape(-1))))
    scale, zp = obs.calculate_qparams()
    mn = obs.min_val.reshape(-1)
    mx = obs.max_val.reshape(-1)
    scale = scale.reshape(-1)
    zp = zp.reshape(-1)
    n = mn.numel()
    assert scale.numel() == n and zp.numel() == n
    if scheme == "float":
        zps = " ".join(fhex(z) for z in zp.tolist())
    else:
        zps = " ".join(str(int(z)) for z in zp.tolist())
    lines.append("expect %d %s %s %s %s" % (n, " ".join(fhex(v) for v in mn.tolist()),
                                            " ".join(fhex(v) for v in mx.tolist()),
                                            " ".join(fhex(v) for v in scale.tolist()), zps))


rng = np.random.default_rng(20260413)


def normal(n, scale=1.0, loc=0.0):
    return (rng.standard_normal(n) * scale + loc).astype(np.float32)


F32_EXACT_C = [0.01, 0.5, 0.25, 1.0, 0.3]
F32_EXACT_C = [float(np.float32(c)) for c in F32_EXACT_C]
C_DEFAULT = F32_EXACT_C[0]   # float32(0.01): what qlin's default 0.01f is

# Data sets: each a list of batches (1-D).
datasets = {
    "normal": [normal(300)],
    "normal3": [normal(200), normal(150, 2.0), normal(100, 0.5, 1.0)],
    "positive": [np.abs(normal(120)) + 0.5],
    "negative": [-np.abs(normal(120)) - 0.25],
    "constpos": [np.full(17, 0.75, np.float32)],
    "constneg": [np.full(9, -2.25, np.float32)],
    "single": [np.array([1.5], np.float32)],
    "singleneg": [np.array([-3.0], np.float32)],
    "zeros": [np.zeros(33, np.float32)],
    "tiny": [normal(64, 1e-30)],
    "tiny2": [normal(64, 1e-6, 5e-6)],
    "huge": [normal(64, 1e37)],
    "nearmax": [np.array([-3.0e38, 3.0e38, 1.0], np.float32)],
    "drift": [normal(80, 1.0, float(k)) for k in range(6)],
    "sizes": [normal(1), normal(7, 3.0), normal(64, 0.1), normal(5, 10.0)],
}

configs = [
    dict(dtype="uint8", scheme="affine"),
    dict(dtype="int8", scheme="affine"),
    dict(dtype="int8", scheme="symmetric"),
    dict(dtype="uint8", scheme="symmetric"),
    dict(dtype="uint8", scheme="affine", reduce_range=True),
    dict(dtype="int8", scheme="affine", reduce_range=True),
    dict(dtype="int8", scheme="symmetric", reduce_range=True),
    dict(dtype="int8", scheme="affine", qrange=(-8, 7)),
    dict(dtype="uint8", scheme="affine", qrange=(0, 15)),
    dict(dtype="uint8", scheme="symmetric", qrange=(0, 255)),
    dict(dtype="int8", scheme="symmetric", qrange=(-127, 127)),
    dict(dtype="int8", scheme="affine", qrange=(-8, 7), reduce_range=True),
]  # MinMaxObserver refuses per_channel_affine_float_qparams: that is per-channel only.


def cfg_name(cfg):
    s = cfg["dtype"] + "_" + cfg["scheme"]
    if cfg.get("reduce_range"):
        s += "_rr"
    if cfg.get("qrange"):
        s += "_q%d_%d" % cfg["qrange"]
    return s.replace("-", "m")


# Per-tensor: every data set under the two most common configs, every config on a few data sets.
for kind in ("minmax", "movavg"):
    for dname, batches in datasets.items():
        for cfg in configs[:2] if dname not in ("normal3", "drift") else configs:
            case("%s_%s_%s" % (kind, dname, cfg_name(cfg)), kind, batches, c=C_DEFAULT, **cfg)
    for cfg in configs[2:]:
        for dname in ("normal", "positive", "constneg", "zeros", "tiny"):
            case("%s_%s_%s" % (kind, dname, cfg_name(cfg)), kind, datasets[dname], c=C_DEFAULT, **cfg)
for c in F32_EXACT_C[1:]:
    for dname in ("normal3", "drift", "sizes", "nearmax"):
        case("movavg_c%s_%s" % (str(c)[:6], dname), "movavg", datasets[dname], c=c, dtype="uint8", scheme="affine")

# Per-channel.
def pc_batches(shape, count, axis, special=False):
    out = []
    for k in range(count):
        b = rng.standard_normal(shape).astype(np.float32) * np.float32(1.0 + k)
        if special:
            # channel 0: all zeros; channel 1: constant negative; channel 2: positive only.
            idx = [slice(None)] * len(shape)
            for ch, fill in ((0, None), (1, -1.5), (2, "pos")):
                if ch >= shape[axis]:
                    break
                idx[axis] = ch
                if fill is None:
                    b[tuple(idx)] = 0.0
                elif fill == "pos":
                    b[tuple(idx)] = np.abs(b[tuple(idx)]) + 0.125
                else:
                    b[tuple(idx)] = fill
        out.append(b)
    return out


pc_shapes = [((4, 8), 0), ((4, 8), 1), ((6, 3, 5), 0), ((6, 3, 5), 1), ((6, 3, 5), 2), ((2, 4, 3, 2), -1),
             ((5, 1), 0), ((1, 7), 1)]  # torch cannot take a 1-D tensor per channel
pc_configs = [
    dict(dtype="uint8", scheme="affine"),
    dict(dtype="int8", scheme="affine"),
    dict(dtype="int8", scheme="symmetric"),
    dict(dtype="uint8", scheme="symmetric"),
    dict(dtype="uint8", scheme="affine", reduce_range=True),
    dict(dtype="int8", scheme="symmetric", reduce_range=True),
    dict(dtype="int8", scheme="affine", qrange=(-8, 7)),
    dict(dtype="uint8", scheme="float"),
    dict(dtype="uint4", scheme="float"),
]
for kind in ("pc_minmax", "pc_movavg"):
    for shape, axis in pc_shapes:
        batches = pc_batches(shape, 3, axis)
        for cfg in pc_configs[:3]:
            case("%s_%s_ax%d_%s" % (kind, "x".join(map(str, shape)), axis, cfg_name(cfg)), kind, batches,
                 c=C_DEFAULT, axis=axis, **cfg)
    for cfg in pc_configs:
        batches = pc_batches((5, 4, 3), 2, 1, special=True)
        case("%s_special_%s" % (kind, cfg_name(cfg)), kind, batches, c=C_DEFAULT, axis=1, **cfg)
        batches = pc_batches((3, 6), 3, 0)
        case("%s_3x6_%s" % (kind, cfg_name(cfg)), kind, batches, c=C_DEFAULT, axis=0, **cfg)
for c in F32_EXACT_C[1:]:
    case("pc_movavg_c%s" % str(c)[:6], "pc_movavg", pc_batches((4, 5, 3), 4, 1), c=c, axis=1,
         dtype="int8", scheme="affine")

with open(OUT, "w") as f:
    f.write("# Generated by gen_torch_observers.py with torch %s, numpy %s. Do not edit.\n"
            % (torch.__version__, np.__version__))
    f.write("\n".join(lines) + "\n")
print("wrote %s: %d cases, %d bytes" % (OUT, sum(1 for l in lines if l.startswith("obs")), os.path.getsize(OUT)))
