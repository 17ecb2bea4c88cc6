#!/usr/bin/python3
"""Times each observer's peer on the data bench_observers.cpp uses, and prints peer / qlin ratios.

Run with Debian's python (torch 1.13 + numpy live there only), single-threaded:
    /usr/bin/python3 benchmarks/bench_torch_observers.py [--runs 7] [--slow-runs 3] [--qlin-json FILE]

Data: bench_normal() below is the generator of benchmarks/bench_observers.cpp, bit for bit:
splitmix64 (seed 2026) -> Box-Muller in double -> float32 (the printed checksum, the sum of the
float32 bit patterns, is 0x7efd22e16c336b at 16 Mi).

Peers, each timed as the median of --runs runs (--slow-runs for the two O(bins^2) entropy
searches, seconds each), real time (perf_counter) and CPU time (process_time; one thread):
    torch 1.13 HistogramObserver(bins=2048, quint8, per_tensor_affine), a FRESH observer per run:
      hist_forward   forward(x) (one batch)              peer of every 2048-bin collection
      hist_qparams   calculate_qparams() (the L2 search) peer of qlin's L2 search, and of the mse
                                                         search (mse has no peer: torch's L2 is
                                                         what a user would otherwise run)
      hist_total     the two together                    peer of the BM_end_to_end_* totals
    torch MinMaxObserver().forward(x)
    TensorRT (NVIDIA pytorch-quantization HistogramCalibrator, torch_hist=True, 2048 bins) and
    ONNX Runtime (HistogramCollector, 128 and 2048 bins) are not installed: their published
    algorithms are timed as the numpy / torch transcriptions in tests/data/gen_torch_histogram.py
    (trt_collect, entropy_amax = _compute_amax_entropy with start_bin 128, percentile_amax) and
    tests/data/gen_ort_calib.py (collect, entropy_threshold = get_entropy_threshold with 128
    quantized bins, percentile_range = compute_percentile symmetric=False), imported from there.
    Those transcriptions follow the originals' structure (a Python loop over candidate thresholds,
    numpy inside), so their times stand for the packages' order of magnitude, not to the percent.
    The peer histograms are those the transcriptions collect from the same array, which the
    qlin replicas reproduce bit for bit (tests/unit/test_observers_histogram.cpp, test_observers_ort.cpp).

With --qlin-json FILE, the output of
    qlin_bench_observers --benchmark_filter='collect|search|end_to_end|minmax_observer/'
        --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_format=json > FILE
it prints, per row, peer time, qlin time and peer / qlin (how many times faster qlin is) from the
medians, for real time and for CPU time (Google Benchmark's cpu_time). On a shared, loaded
machine the CPU-time ratio is the steadier one.
"""
import argparse
import json
import statistics
import sys
import time

import os

import numpy as np
import torch
from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data"))
import gen_ort_calib as ort  # noqa: E402  (numpy transcription of ONNX Runtime's calibrator)
import gen_torch_histogram as trt  # noqa: E402  (transcription of TensorRT's HistogramCalibrator)

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


def timed(fn, runs):
    """(real-time median, CPU-time median, last result) of fn() over runs runs."""
    real, cpu, out = [], [], None
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        c1, t1 = time.process_time(), time.perf_counter()
        real.append(t1 - t0)
        cpu.append(c1 - c0)
    return statistics.median(real), statistics.median(cpu), out


def time_peers(xn, runs, slow_runs):
    """TensorRT / ONNX Runtime transcriptions: collection on the array, searches on that histogram."""
    res = {}
    r, c, (counts, edges) = timed(lambda: trt.trt_collect([xn], 2048), runs)
    res["trt_collect"], res["cpu_trt_collect"] = r, c
    r, c, amax = timed(lambda: trt.entropy_amax(counts, edges), slow_runs)
    res["trt_entropy"], res["cpu_trt_entropy"], res["trt_entropy_value"] = r, c, float(amax)
    r, c, amax = timed(lambda: trt.percentile_amax(counts, edges, 99.99), runs)
    res["trt_percentile"], res["cpu_trt_percentile"], res["trt_percentile_value"] = r, c, float(amax)
    for nb in (128, 2048):
        r, c, st = timed(lambda: ort.collect([xn], nb), runs)
        res[f"ort_collect_{nb}"], res[f"cpu_ort_collect_{nb}"] = r, c
        n_ent = slow_runs if nb > 128 else runs
        r, c, th = timed(lambda: ort.entropy_threshold(st, 128), n_ent)
        res[f"ort_entropy_{nb}"], res[f"cpu_ort_entropy_{nb}"] = r, c
        res[f"ort_entropy_{nb}_value"] = (th[0], th[1], len(st[0]))
        r, c, pr = timed(lambda: ort.percentile_range(st, 99.99), runs)
        res[f"ort_percentile_{nb}"], res[f"cpu_ort_percentile_{nb}"] = r, c
        res[f"ort_percentile_{nb}_value"] = (float(pr[0]), float(pr[1]))
    return res


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
    res["minmax"], res["cpu_minmax"], _ = timed(mm, runs)
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
        for c in ("amax", "lo", "hi"):
            if c in b:
                out[c + ":" + b["run_name"]] = b[c]
    return out


def fmt_t(t):
    return f"{t * 1e3:.3f} ms" if t >= 1e-3 else f"{t * 1e6:.2f} us"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--slow-runs", type=int, default=3, help="runs of the O(bins^2) entropy transcriptions")
    ap.add_argument("--sizes", default="1048576,16777216")
    ap.add_argument("--qlin-json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}, "
          f"runs {args.runs}, slow runs {args.slow_runs}")
    qlin = qlin_medians(args.qlin_json) if args.qlin_json else None
    for n in [int(s) for s in args.sizes.split(",")]:
        xn = bench_normal(n)
        x = torch.from_numpy(xn)
        chk = int(xn.view(np.uint32).astype(np.uint64).sum()) & M64
        print(f"\nn = {n}: data checksum (sum of float32 bits) {chk:#x}, min {xn.min():.9g}, max {xn.max():.9g}")
        r = time_torch(x, args.runs)
        r.update(time_peers(xn, args.runs, args.slow_runs))
        print(f"  torch HistogramObserver forward {fmt_t(r['hist_forward'])}, calculate_qparams {fmt_t(r['hist_qparams'])}, "
              f"total {fmt_t(r['hist_total'])} -> scale {r['hist_scale_zp'][0]:.9g}, zero point {r['hist_scale_zp'][1]}")
        print(f"  torch MinMaxObserver forward {fmt_t(r['minmax'])} ({n * 4 / r['minmax'] / 1e9:.2f} GB/s)")
        print(f"  TensorRT transcription: collect {fmt_t(r['trt_collect'])}, entropy {fmt_t(r['trt_entropy'])} "
              f"(amax {r['trt_entropy_value']:.9g}), percentile 99.99 {fmt_t(r['trt_percentile'])} (amax {r['trt_percentile_value']:.9g})")
        for nb in (128, 2048):
            lo, hi, bins = r[f"ort_entropy_{nb}_value"]
            plo, phi = r[f"ort_percentile_{nb}_value"]
            print(f"  ONNX Runtime transcription, {nb} bins: collect {fmt_t(r[f'ort_collect_{nb}'])}, entropy "
                  f"{fmt_t(r[f'ort_entropy_{nb}'])} ([{lo:.9g}, {hi:.9g}], {bins} bins), percentile 99.99 "
                  f"{fmt_t(r[f'ort_percentile_{nb}'])} ([{plo:.9g}, {phi:.9g}])")
        if not qlin:
            continue
        rows = [
            ("(b) collection", None, None),
            ("histogram_observer vs torch forward", f"BM_collect_histogram/{n}", "hist_forward"),
            ("histogram_observer (moments) vs torch forward", f"BM_collect_histogram_moments/{n}", "hist_forward"),
            ("torch_histogram_observer vs torch forward", f"BM_collect_torch_histogram/{n}", "hist_forward"),
            ("abs_histogram_observer vs TensorRT collect", f"BM_collect_abs_histogram/{n}", "trt_collect"),
            ("ort_histogram_observer(128) vs ORT collect", f"BM_collect_ort_histogram/{n}/128", "ort_collect_128"),
            ("ort_histogram_observer(2048) vs ORT collect", f"BM_collect_ort_histogram/{n}/2048", "ort_collect_2048"),
            ("minmax_observer vs torch MinMaxObserver", f"BM_minmax_observer/{n}", "minmax"),
            ("(c) range searches", None, None),
            ("histogram L2 vs torch calculate_qparams", f"BM_search_histogram_l2/{n}", "hist_qparams"),
            ("torch_histogram L2 vs torch calculate_qparams", f"BM_search_torch_l2/{n}", "hist_qparams"),
            ("mse (no peer) vs torch calculate_qparams", f"BM_search_mse/{n}", "hist_qparams"),
            ("mse moments (no peer) vs torch calculate_qparams", f"BM_search_mse_moments/{n}", "hist_qparams"),
            ("entropy (TensorRT) vs _compute_amax_entropy", f"BM_search_entropy/{n}", "trt_entropy"),
            ("abs percentile 99.99 vs _compute_amax_percentile", f"BM_search_abs_percentile/{n}", "trt_percentile"),
            ("ORT entropy 128 bins vs get_entropy_threshold", f"BM_search_ort_entropy/{n}/128", "ort_entropy_128"),
            ("ORT entropy 2048 bins vs get_entropy_threshold", f"BM_search_ort_entropy/{n}/2048", "ort_entropy_2048"),
            ("ORT percentile 128 bins vs compute_percentile", f"BM_search_ort_percentile/{n}/128", "ort_percentile_128"),
            ("ORT percentile 2048 bins vs compute_percentile", f"BM_search_ort_percentile/{n}/2048", "ort_percentile_2048"),
            ("percentile 99.99 (2048) vs ORT compute_percentile 2048", f"BM_search_percentile/{n}", "ort_percentile_2048"),
            ("(d) totals vs torch HistogramObserver forward + calculate_qparams", None, None),
            ("histogram_observer + L2", f"BM_end_to_end_histogram/{n}", "hist_total"),
            ("histogram_observer + mse", f"BM_end_to_end_mse/{n}", "hist_total"),
            ("histogram_observer (moments) + mse", f"BM_end_to_end_mse_moments/{n}", "hist_total"),
            ("torch_histogram_observer + L2", f"BM_end_to_end_torch_histogram/{n}", "hist_total"),
        ]
        # the answers, qlin against the transcription on the same data (float32 values, printed as doubles)
        for key, want in ((f"BM_search_entropy/{n}", (r["trt_entropy_value"],)),
                          (f"BM_search_abs_percentile/{n}", (r["trt_percentile_value"],)),
                          (f"BM_search_ort_entropy/{n}/128", r["ort_entropy_128_value"][:2]),
                          (f"BM_search_ort_entropy/{n}/2048", r["ort_entropy_2048_value"][:2]),
                          (f"BM_search_ort_percentile/{n}/128", r["ort_percentile_128_value"]),
                          (f"BM_search_ort_percentile/{n}/2048", r["ort_percentile_2048_value"])):
            got = tuple(qlin[c + ":" + key] for c in ("amax", "lo", "hi") if c + ":" + key in qlin)
            if got:
                same = all(np.float32(g) == np.float32(w) for g, w in zip(got, want)) and len(got) == len(want)
                print(f"  answer {key}: qlin {got}, peer {tuple(float(w) for w in want)} -> {'same' if same else 'DIFFERENT'}")
        print(f"  {'qlin row vs peer':56s} {'peer':>11s} {'qlin':>11s} {'ratio':>8s} | {'CPU peer':>11s} {'CPU qlin':>11s} {'CPU ratio':>9s}  >=10x (CPU)")
        for label, key, tk in rows:
            if key is None:
                print(f"  {label}")
                continue
            if key not in qlin:
                continue
            t, q = r[tk], qlin[key]
            ct, cq = r.get("cpu_" + tk, float("nan")), qlin.get("cpu:" + key, float("nan"))
            verdict = "met" if ct / cq >= 10.0 else "missed"
            print(f"  {label:56s} {fmt_t(t):>11s} {fmt_t(q):>11s} {t / q:7.1f}x | {fmt_t(ct):>11s} {fmt_t(cq):>11s} "
                  f"{ct / cq:8.1f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
