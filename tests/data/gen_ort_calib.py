#!/usr/bin/python3
"""Reference data for qlin's ONNX Runtime entropy variant (tests/unit/test_observers_ort.cpp).

Run with Debian's interpreter (numpy 1.24):  /usr/bin/python3 gen_ort_calib.py
(The transcribed functions are importable without side effects: benchmarks/bench_torch_observers.py
times them as the peer of qlin's ONNX Runtime searches.)
Reads the batches of observers_hist_torch.txt, adds a few datasets of its own, and writes
observers_ort.txt next to this script.

Source of the behaviour: microsoft/onnxruntime @ b15ffcdd9e362b9bd2e809b79b02b76611e281f1,
onnxruntime/python/tools/quantization/calibrate.py (HistogramCollector.collect_value,
merge_histogram, get_entropy_threshold, compute_percentile) and
onnxruntime/python/tools/quantization/quant_utils.py @ 20e3ace0bbf50a3b69d8c33e76f212512938547a
(smooth_distribution); reference/SEMANTICS.md section 6.2. Their code is not copied here (and
onnxruntime and scipy are not installed): the functions below are our own numpy transcription of
that published behaviour, run with numpy's own np.histogram and numpy 1.24's type promotion
(float32 data and thresholds; the growth arithmetic in float64, as numpy promotes Python ints with
float32 scalars), the KL written as scipy.stats.entropy defines it for float32 input (normalize in
float32, rel_entr per element, np.sum in float32).

Format (floats as float32 hex bit patterns, doubles as 16 hex digits):
  data <name> <nbatches> / batch <n> <hex...>  extra datasets (the others are in
                                               observers_hist_torch.txt)
  ort <case> <data> <num_bins>                 the batches of <data> collected by collect_value
  state <bins> <threshold f64> <min> <max>     the collector's final state
  counts <nnz> <index:count ...>               its histogram (non-zero bins)
  edges <n> <hex...>                           its float32 edges (for the 128-bin cases; else n = 0)
  entropy <nq> <lo> <hi> <start> <end>         get_entropy_threshold(histogram, nq) and the slice
  pct <p> <lo> <hi>                            compute_percentile with symmetric=False
"""
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
assert np.__version__.startswith("1."), np.__version__


def fhex(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", float(x)))[0]


def dhex(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def from_hex(h):
    return struct.unpack("<f", struct.pack("<I", int(h, 16)))[0]


# ---- HistogramCollector.collect_value / merge_histogram (transcribed) ---------------------------
def collect(batches, num_bins):
    state = None
    for x in batches:
        x = np.asarray(x).flatten()
        mn, mx = np.min(x), np.max(x)
        th = max(abs(mn), abs(mx))
        if state is None:
            hist, edges = np.histogram(x, num_bins, range=(-th, th))
            state = (hist, edges, mn, mx, th)
            continue
        ohist, oedges, omin, omax, oth = state
        if th <= oth:
            h, _ = np.histogram(x, len(ohist), range=(-oth, oth))
            state = (h + ohist, oedges, min(omin, mn), max(omax, mx), oth)
        elif oth == 0:
            h, e = np.histogram(x, len(ohist), range=(-th, th))
            h += ohist
            state = (h, e, min(omin, mn), max(omax, mx), th)
        else:
            onb = len(ohist)
            stride = 2 * oth / onb
            k = int((th - oth) // stride + 1)
            nnb = onb + 2 * k
            nth = k * stride + oth
            h, e = np.histogram(x, nnb, range=(-nth, nth))
            h[k:nnb - k] += ohist
            state = (h, e, min(omin, mn), max(omax, mx), nth)
    return state


# ---- smooth_distribution and the entropy threshold (transcribed) --------------------------------
def smooth(p, eps=0.0001):
    is_zeros = (p == 0).astype(np.float32)
    is_nonzeros = (p != 0).astype(np.float32)
    n_zeros = is_zeros.sum()
    n_nonzeros = p.size - n_zeros
    if not n_nonzeros:
        return None
    eps1 = eps * float(n_zeros) / float(n_nonzeros)
    assert eps1 < 1.0
    out = p.astype(np.float32)
    out += eps * is_zeros + (-eps1) * is_nonzeros
    assert (out <= 0).sum() == 0
    return out


def entropy_f32(p, q):
    # scipy.stats.entropy(p, q) for float32 vectors: normalize in float32, rel_entr per element
    # (computed in double, stored as float32), np.sum in float32.
    p = p / np.sum(p)
    q = q / np.sum(q)
    pd, qd = p.astype(np.float64), q.astype(np.float64)
    vec = np.where(pd > 0, pd * np.log(pd / qd), 0.0).astype(np.float32)
    return float(np.sum(vec))


def entropy_threshold(state, nq):
    hist, edges = state[0], state[1]
    nb = hist.size
    zero = nb // 2
    half = nq // 2
    kl = np.zeros(zero - half + 1)
    ths = [None] * kl.size
    for i in range(half, zero + 1):
        start = zero - i
        end = min(zero + i + 1, nb)
        ths[i - half] = (float(edges[start]), float(edges[end]), start, end)
        sliced = hist[start:end].copy()
        p = sliced.copy()
        p[0] += hist[:start].sum()
        p[-1] += hist[end:].sum()
        nonzeros = (p != 0).astype(np.int64)
        qb = np.zeros(nq, dtype=np.int64)
        m = sliced.size // nq
        for g in range(nq):
            qb[g] = sliced[g * m:(g + 1) * m].sum()
        qb[-1] += sliced[nq * m:].sum()
        q = np.zeros(p.size, dtype=np.int64)
        for g in range(nq):
            norm = nonzeros[g * m:(g + 1) * m].sum()
            if norm != 0:
                q[g * m:(g + 1) * m] = float(qb[g]) / float(norm)
        ps = smooth(p)
        qs = smooth(q)
        kl[i - half] = entropy_f32(ps, qs) if qs is not None else float("inf")
    lo, hi, s, e = ths[int(np.argmin(kl))]
    if lo < state[2]:
        lo = state[2]
    if hi > state[3]:
        hi = state[3]
    return lo, hi, s, e


def percentile_range(state, pct):
    hist, edges = state[0], state[1]
    cdf = np.cumsum(hist / hist.sum())
    cut = (100.0 - pct) / 200.0
    r = np.searchsorted(cdf, 1.0 - cut)
    l = np.searchsorted(cdf, cut)
    lo = np.array(edges[l], dtype=edges.dtype)
    hi = np.array(edges[r], dtype=edges.dtype)
    if lo < state[2]:
        lo = state[2]
    if hi > state[3]:
        hi = state[3]
    return lo, hi


def main():
    # ---- datasets -------------------------------------------------------------------------------
    datasets = {}
    order = []
    with open(os.path.join(HERE, "observers_hist_torch.txt")) as f:
        cur = None
        for line in f:
            t = line.split()
            if not t or t[0].startswith("#"):
                continue
            if t[0] == "data":
                cur = t[1]
                datasets[cur] = []
                order.append(cur)
            elif t[0] == "batch":
                datasets[cur].append(np.array([from_hex(h) for h in t[2:]], dtype=np.float32))

    rng = np.random.default_rng(20261128)
    extra = {
        # all zeros first (threshold 0, range (-0.5, 0.5)), then data
        "zeros_then": [np.zeros(64, np.float32), (rng.standard_normal(700) * 1.5).astype(np.float32)],
        # heavy tails: a normal over a uniform, several growths
        "ort_heavy": [(rng.standard_normal(n) / (rng.random(n) + 0.05)).astype(np.float32) for n in (500, 400, 600)],
        # sparse: few values, many empty bins
        "ort_sparse": [(rng.standard_normal(40) * 3.0).astype(np.float32)],
        # skewed: a ReLU-like positive mass with a small negative tail
        "skewed": [np.concatenate([np.abs(rng.standard_normal(900)), -0.1 * np.abs(rng.standard_normal(100))]).astype(np.float32)],
    }
    for k, v in extra.items():
        datasets[k] = v
        order.append(k)

    CONFIGS = {128: [128], 512: [128, 255], 2048: [128]}
    BIG = {"normal", "normal3", "ort_heavy", "outliers"}  # the datasets also run with 2048 bins

    lines = []
    for name in extra:
        lines.append("data %s %d" % (name, len(extra[name])))
        for b in extra[name]:
            lines.append("batch %d %s" % (len(b), " ".join(fhex(v) for v in b)))
    for name in order:
        for nb, nqs in CONFIGS.items():
            if nb == 2048 and name not in BIG:
                continue
            st = collect(datasets[name], nb)
            hist, edges = st[0], st[1]
            assert edges.dtype == np.float32, edges.dtype
            case = "%s_%d" % (name, nb)
            lines.append("ort %s %s %d" % (case, name, nb))
            lines.append("state %d %s %s %s" % (hist.size, dhex(st[4]), fhex(st[2]), fhex(st[3])))
            nz = np.nonzero(hist)[0]
            lines.append("counts %d %s" % (len(nz), " ".join("%d:%d" % (i, hist[i]) for i in nz)))
            if nb == 128:
                lines.append("edges %d %s" % (edges.size, " ".join(fhex(v) for v in edges)))
            else:
                lines.append("edges 0")
            for nq in nqs:
                lo, hi, s, e = entropy_threshold(st, nq)
                lines.append("entropy %d %s %s %d %d" % (nq, fhex(lo), fhex(hi), s, e))
            for p in (99.0, 99.9, 99.99):
                lo, hi = percentile_range(st, p)
                lines.append("pct %r %s %s" % (p, fhex(lo), fhex(hi)))

    with open(os.path.join(HERE, "observers_ort.txt"), "w") as f:
        f.write("# Generated by gen_ort_calib.py with numpy %s. Do not edit.\n" % np.__version__)
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
