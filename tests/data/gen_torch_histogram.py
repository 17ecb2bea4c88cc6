#!/usr/bin/python3
"""Reference data for qlin's histogram observers (tests/unit/test_observers_histogram.cpp).

Run with Debian's interpreter (torch 1.13 + numpy):  /usr/bin/python3 gen_torch_histogram.py
(The TensorRT functions below are importable without side effects: benchmarks/bench_torch_observers.py
times them as the peer of qlin's entropy / percentile searches.)
Writes observers_hist_torch.txt and observers_hist_trt.txt next to this script.

observers_hist_torch.txt -- the REAL torch 1.13 HistogramObserver (bins 2048, upsample_rate 128):
  data <name> <nbatches>            followed by nbatches lines
  batch <n> <float32 hex...>
  hobs <case> <data> <dtype int8|uint8> <scheme affine|symmetric>
  expect <min_val> <max_val> <search_min> <search_max> <scale> <zero_point>
      min_val / max_val: the observer's buffers; search_*: _non_linear_param_search(); scale /
      zero_point: calculate_qparams(). Floats as float32 hex bit patterns, zero_point decimal.
  hist <case> <nnz> <index:float32hex ...>   the observer's final histogram (non-zero bins)

observers_hist_trt.txt -- TensorRT-style entropy calibration:
  trt <case> <data> <num_bins>     the batches of <data> collected as NVIDIA pytorch-quantization's
                                   HistogramCalibrator.collect does with torch_hist=True
  counts <nnz> <index:count ...>   the collected histogram (.int() of torch's float counts)
  edges <n> <float32 hex...>       the collected bin edges
  amax <float32 hex>               _compute_amax_entropy(counts, edges, 8, False, 1, 128), transcribed
                                   below in numpy from reference/SEMANTICS.md section 6.1
  pct <p> <float32 hex>            _compute_amax_percentile(counts, edges, p)

The calibrator is NVIDIA/TensorRT @ 35477bdb94eab72862ffbdf66d4419e408bef45f,
tools/pytorch-quantization/pytorch_quantization/calib/histogram.py (HistogramCalibrator.collect,
_compute_amax_entropy, _compute_amax_percentile). Its code is not copied here: the functions below
are our own transcription of the behaviour described in SEMANTICS.md 6.1 (torch_hist=True collect
with torch.histc / torch.linspace / torch.arange, entropy with scipy-style KL written out in
numpy, last minimum, amax = edges[i*]).
"""
import os
import struct

import numpy as np
import torch
from torch.ao.quantization import observer as O

assert torch.__version__.startswith("1.13"), torch.__version__
HERE = os.path.dirname(os.path.abspath(__file__))


def fhex(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", float(x)))[0]


# ---- TensorRT-style collect (torch_hist=True) and entropy / percentile ------------------------
def trt_collect(batches, num_bins):
    hist = edges = None
    for b in batches:
        x = torch.from_numpy(np.abs(b)).float()
        x_max = x.max()
        if edges is None:
            hist = torch.histc(x, bins=num_bins, min=0, max=x_max)
            edges = torch.linspace(0, x_max, num_bins + 1)
        else:
            if x_max > edges[-1]:
                width = edges[1] - edges[0]
                num_bins = int((x_max / width).ceil().item())
                edges = torch.arange(0, x_max + width, width)
            h = torch.histc(x, bins=num_bins, min=0, max=edges[-1])
            h[:hist.numel()] += hist
            hist = h
    return hist.int().numpy(), edges.numpy()


def kl(p, q):
    p = p / p.sum()
    qs = q.sum()
    if qs == 0:
        return float("nan")
    q = q / qs
    m = p > 0
    if np.any(q[m] == 0):
        return float("inf")
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def entropy_amax(counts, edges, num_bits=8, unsigned=False, stride=1, start_bin=128):
    bins = counts.astype(np.float64).copy()
    bins[0] = bins[1]
    nq = 2 ** (num_bits - 1 + int(unsigned))
    divs = []
    cands = list(range(start_bin, len(bins) + 1, stride))
    for i in cands:
        space = np.linspace(0, i, num=nq + 1)
        k = np.digitize(np.arange(i), space) - 1
        k[bins[:i] == 0] = -1
        p = bins[:i].copy()
        p[i - 1] += bins[i:].sum()
        q = np.zeros(i)
        for lev in range(nq):
            sel = k == lev
            n = sel.sum()
            if n:
                q[sel] = bins[:i][sel].sum() / n
        divs.append(kl(p, q))
    divs = np.array(divs)
    last = len(divs) - 1 - np.argmin(divs[::-1])
    return np.float32(edges[cands[last]])


def percentile_amax(counts, edges, pct):
    total = counts.sum()
    cdf = np.cumsum(counts / total)
    return np.float32(edges[np.searchsorted(cdf, pct / 100.0)])



def main():
    global rng
    rng = np.random.default_rng(20260414)


    def normal(n, scale=1.0, loc=0.0):
        return (rng.standard_normal(n) * scale + loc).astype(np.float32)


    datasets = {
        "normal": [normal(3000)],
        "normal3": [normal(1500), normal(1200, 2.5), normal(900, 0.5, 1.0)],
        "wide": [normal(1000, 30.0), normal(1000, 80.0, 20.0)],
        "laplace": [rng.laplace(0, 1.0, 2500).astype(np.float32)],
        "positive": [np.abs(normal(2000)) + 0.25],
        "relu2": [np.maximum(normal(1500), 0), np.maximum(normal(1500, 3.0), 0)],
        "negative": [-np.abs(normal(1500, 4.0)) - 1.0],
        "outliers": [np.concatenate([normal(2500), np.array([40.0, -25.0], np.float32)])],
        "shrink": [normal(1000, 5.0), normal(1000, 1.0)],
        "small": [normal(800, 0.05)],
        "const": [np.full(50, 2.5, np.float32)],
        "const_then": [np.full(50, 2.5, np.float32), normal(500, 2.0)],
        # added for the mse search: sparse (fewer values than bins) and heavy-tailed (Student t, 3 dof)
        "sparse": [normal(300, 2.0)],
        "heavy": [rng.standard_t(3, 2000).astype(np.float32), rng.standard_t(3, 2000).astype(np.float32)],
    }

    lines = []
    for name, batches in datasets.items():
        lines.append("data %s %d" % (name, len(batches)))
        for b in batches:
            lines.append("batch %d %s" % (len(b), " ".join(fhex(v) for v in b)))

    CASES = [("normal", "uint8", "affine"), ("normal", "int8", "symmetric"), ("normal", "int8", "affine"),
             ("normal3", "uint8", "affine"), ("normal3", "int8", "symmetric"), ("wide", "uint8", "affine"),
             ("wide", "int8", "symmetric"), ("laplace", "uint8", "affine"), ("laplace", "int8", "symmetric"),
             ("positive", "uint8", "affine"), ("relu2", "uint8", "affine"), ("negative", "int8", "affine"),
             ("outliers", "uint8", "affine"), ("outliers", "int8", "symmetric"), ("shrink", "uint8", "affine"),
             ("small", "uint8", "affine"), ("const", "uint8", "affine"), ("const_then", "uint8", "affine"),
             ("relu2", "uint8", "symmetric"), ("wide", "int8", "affine"),
             ("sparse", "uint8", "affine"), ("sparse", "int8", "symmetric"), ("heavy", "uint8", "affine"),
             ("heavy", "int8", "symmetric"), ("heavy", "int8", "affine")]
    DT = {"int8": torch.qint8, "uint8": torch.quint8}
    SC = {"affine": torch.per_tensor_affine, "symmetric": torch.per_tensor_symmetric}
    for dname, dt, sc in CASES:
        obs = O.HistogramObserver(dtype=DT[dt], qscheme=SC[sc])
        for b in datasets[dname]:
            obs(torch.from_numpy(b.copy()))
        smin, smax = obs._non_linear_param_search()
        scale, zp = obs.calculate_qparams()
        case = "%s_%s_%s" % (dname, dt, sc)
        lines.append("hobs %s %s %s %s" % (case, dname, dt, sc))
        lines.append("expect %s %s %s %s %s %d" % (fhex(obs.min_val.item()), fhex(obs.max_val.item()), fhex(smin.item()),
                                                  fhex(smax.item()), fhex(scale.item()), int(zp.item())))
        h = obs.histogram.numpy()
        nz = np.nonzero(h)[0]
        lines.append("hist %s %d %s" % (case, len(nz), " ".join("%d:%s" % (i, fhex(h[i])) for i in nz)))

    with open(os.path.join(HERE, "observers_hist_torch.txt"), "w") as f:
        f.write("# Generated by gen_torch_histogram.py with torch %s, numpy %s. Do not edit.\n" % (torch.__version__, np.__version__))
        f.write("\n".join(lines) + "\n")

    tl = []
    for dname in ("normal", "normal3", "laplace", "wide", "outliers", "relu2"):
        counts, edges = trt_collect(datasets[dname], 2048)
        tl.append("trt %s_2048 %s 2048" % (dname, dname))
        nz = np.nonzero(counts)[0]
        tl.append("counts %d %s" % (len(nz), " ".join("%d:%d" % (i, counts[i]) for i in nz)))
        tl.append("edges %d %s" % (len(edges), " ".join(fhex(e) for e in edges)))
        tl.append("amax %s" % fhex(entropy_amax(counts, edges)))
        for p in (99.0, 99.9, 99.99):
            tl.append("pct %r %s" % (p, fhex(percentile_amax(counts, edges, p))))
    with open(os.path.join(HERE, "observers_hist_trt.txt"), "w") as f:
        f.write("# Generated by gen_torch_histogram.py with torch %s, numpy %s. Do not edit.\n" % (torch.__version__, np.__version__))
        f.write("\n".join(tl) + "\n")
    print("wrote", [(n, os.path.getsize(os.path.join(HERE, n))) for n in ("observers_hist_torch.txt", "observers_hist_trt.txt")])


if __name__ == "__main__":
    main()
