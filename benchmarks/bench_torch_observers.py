#!/usr/bin/python3
"""Times torch 1.13's HistogramObserver and MinMaxObserver on the data bench_observers.cpp uses.

Run with Debian's python (torch 1.13 + numpy live there only), single-threaded:
    /usr/bin/python3 benchmarks/bench_torch_observers.py [--runs 7] [--qlin-json FILE]

Data: bench_normal() below is the generator of benchmarks/bench_observers.cpp, bit for bit:
splitmix64 (seed 2026) -> Box-Muller in double -> float32. (The C++ side uses libm's log / cos /
sin, numpy the same libm on this machine; the checksum printed here can be compared with
`--check` output of a C++ build if in doubt.)

Each timing is the median of --runs runs, each on a FRESH observer:
    hist_forward   HistogramObserver(bins=2048, quint8, per_tensor_affine).forward(x)   (one batch)
    hist_qparams   calculate_qparams() on that state (the L2 search, _non_linear_param_search)
    hist_total     the two together (what bench_observers.cpp's BM_end_to_end_* time)
    minmax         MinMaxObserver().forward(x)
Each HistogramObserver time is also taken as CPU time (time.process_time; torch runs one thread),
and with --qlin-json the ratios are printed for both real time and CPU time (Google Benchmark's
cpu_time): on a shared, loaded machine the CPU-time ratio is the steadier one.

With --qlin-json FILE (the output of
    qlin_bench_observers --benchmark_filter='end_to_end|collect|search_histogram_l2|minmax_observer/16777216'
        --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_format=json > FILE)
it also prints the ratios torch / qlin (how many times faster qlin is), from real-time medians.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver

M64 = (1 << 64) - 1


def splitmix64_stream(seed, count):
    """count successive splitmix64 outputs (vectorized: state_i = seed + (i + 1) * gamma)."""
    gamma = np.uint64(0x9E3779B97F4A7C15)
    idx = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + idx * gamma
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def bench_normal(n, seed=2026):
    pairs = (n + 1) // 2
    z = splitmix64_stream(seed, 2 * pairs)
    a, b = z[0::2], z[1::2]
    u1 = ((a >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0 ** -53
    u2 = (b >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    r = np.sqrt(-2.0 * np.log(u1))
    t = 6.283185307179586 * u2
    out = np.empty(2 * pairs, dtype=np.float32)
    out[0::2] = (r * np.cos(t)).astype(np.float32)
    out[1::2] = (r * np.sin(t)).astype(np.float32)
    return out[:n]


def median_time(fn, runs):
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def time_torch(x, runs):
    """Real-time medians, and CPU-time medians (process_time, torch single-threaded) under "cpu_*"."""
    res = {}
    fwd, qp, tot, cfwd, cqp, ctot = [], [], [], [], [], []
    for _ in range(runs):
        obs = HistogramObserver(bins=2048, dtype=torch.quint8, qscheme=torch.per_tensor_affine)
        c0, t0 = time.process_time(), time.perf_counter()
        obs(x)
        c1, t1 = time.process_time(), time.perf_counter()
        scale, zp = obs.calculate_qparams()
        c2, t2 = time.process_time(), time.perf_counter()
        fwd.append(t1 - t0)
        qp.append(t2 - t1)
        tot.append(t2 - t0)
        cfwd.append(c1 - c0)
        cqp.append(c2 - c1)
        ctot.append(c2 - c0)
    res["hist_forward"] = statistics.median(fwd)
    res["hist_qparams"] = statistics.median(qp)
    res["hist_total"] = statistics.median(tot)
    res["cpu_hist_forward"] = statistics.median(cfwd)
    res["cpu_hist_qparams"] = statistics.median(cqp)
    res["cpu_hist_total"] = statistics.median(ctot)
    res["hist_scale_zp"] = (float(scale), int(zp))

    def mm():
        o = MinMaxObserver()
        o(x)
    res["minmax"] = median_time(mm, runs)
    return res


def qlin_medians(path):
    with open(path) as f:
        doc = json.load(f)
    out = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        out[b["run_name"]] = b["real_time"] * unit
        out["cpu:" + b["run_name"]] = b["cpu_time"] * unit
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sizes", default="1048576,16777216")
    ap.add_argument("--qlin-json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}, runs {args.runs}")
    qlin = qlin_medians(args.qlin_json) if args.qlin_json else None
    for n in [int(s) for s in args.sizes.split(",")]:
        xn = bench_normal(n)
        x = torch.from_numpy(xn)
        chk = int(xn.view(np.uint32).astype(np.uint64).sum()) & M64
        print(f"\nn = {n}: data checksum (sum of float32 bits) {chk:#x}, min {xn.min():.9g}, max {xn.max():.9g}")
        r = time_torch(x, args.runs)
        print(f"  torch HistogramObserver forward        {r['hist_forward'] * 1e3:10.3f} ms  ({n / r['hist_forward'] / 1e9:.3f} elements/ns)")
        print(f"  torch HistogramObserver calculate_qparams {r['hist_qparams'] * 1e3:7.3f} ms")
        print(f"  torch HistogramObserver total          {r['hist_total'] * 1e3:10.3f} ms  -> scale {r['hist_scale_zp'][0]:.9g}, zero point {r['hist_scale_zp'][1]}")
        print(f"  torch MinMaxObserver forward           {r['minmax'] * 1e3:10.3f} ms  ({n * 4 / r['minmax'] / 1e9:.2f} GB/s)")
        if qlin:
            rows = [
                ("histogram_observer observe + L2 search", f"BM_end_to_end_histogram/{n}", "hist_total"),
                ("histogram_observer observe + mse search", f"BM_end_to_end_mse/{n}", "hist_total"),
                ("torch_histogram_observer observe + L2 search", f"BM_end_to_end_torch_histogram/{n}", "hist_total"),
                ("histogram_observer collection vs torch forward", f"BM_collect_histogram/{n}", "hist_forward"),
                ("torch_histogram_observer collection vs torch forward", f"BM_collect_torch_histogram/{n}", "hist_forward"),
                ("L2 search (qlin histogram) vs torch calculate_qparams", f"BM_search_histogram_l2/{n}", "hist_qparams"),
                ("minmax_observer vs torch MinMaxObserver", f"BM_minmax_observer/{n}", "minmax"),
            ]
            for label, key, tk in rows:
                if key not in qlin:
                    continue
                t = r[tk]
                line = f"  qlin {label:55s} {qlin[key] * 1e3:10.3f} ms   torch/qlin = {t / qlin[key]:6.2f}x"
                if "cpu_" + tk in r and "cpu:" + key in qlin:
                    ct, cq = r["cpu_" + tk], qlin["cpu:" + key]
                    line += f"   | CPU time: torch {ct * 1e3:.3f} ms, qlin {cq * 1e3:.3f} ms, torch/qlin = {ct / cq:6.2f}x"
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
