#!/usr/bin/env python3
"""Writes the figures of docs/guide/ as hand-made SVG (Python standard library only).

    affine_mapping.svg      the affine mapping r = s (q - z) and the round trip, from the worked example
                            of docs/arithmetic.md section 1 (uint8, range [-1, 3], compat::pytorch)
    performance_ratios.svg  the qlin / torch 1.13 HistogramObserver speed ratios, read from the table
                            "Against torch 1.13 HistogramObserver" of docs/performance.md (skipped, with
                            a message, when that table is missing or not machine-readable)

Usage: make_figures.py [--check]     --check: write nothing, exit 1 if a committed SVG is out of date.
"""
import math
import pathlib
import re
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Svg:
    def __init__(self, w, h):
        self.w, self.h, self.items = w, h, []

    def line(self, x1, y1, x2, y2, color="#333", width=1.0, dash=None):
        d = ' stroke-dasharray="%s"' % dash if dash else ""
        self.items.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s/>'
                          % (x1, y1, x2, y2, color, width, d))

    def rect(self, x, y, w, h, fill, opacity=1.0):
        self.items.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f"/>'
                          % (x, y, w, h, fill, opacity))

    def path(self, d, color, width=1.5):
        self.items.append('<path d="%s" fill="none" stroke="%s" stroke-width="%.1f"/>' % (d, color, width))

    def text(self, x, y, s, size=12, anchor="middle", color="#222", weight="normal"):
        self.items.append('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" fill="%s" font-weight="%s" %s>%s</text>'
                          % (x, y, size, anchor, color, weight, FONT, esc(s)))

    def render(self):
        head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">\n'
                '<rect width="100%%" height="100%%" fill="white"/>\n' % (self.w, self.h, self.w, self.h))
        return head + "\n".join(self.items) + "\n</svg>\n"


def affine_mapping():
    # PyTorch preset, uint8, range [-1, 3] (docs/arithmetic.md section 1): s = 4/255, z = 64.
    qmin, qmax, lo, hi = 0, 255, -1.0, 3.0
    s = f32(f32(hi - lo) / f32(qmax - qmin))
    z = qmin - round(f32(lo / s))  # Python's round is half to even, as rne
    svg = Svg(760, 520)
    svg.text(380, 24, "The affine mapping r = s (q - z): uint8, range [-1, 3], s = 4/255, z = %d" % z, 15, weight="bold")
    # Panel 1: the two axes and the lines between them.
    x0, x1, yr, yq = 60, 700, 80, 190
    rx = lambda r: x0 + (r - (-1.5)) / 5.0 * (x1 - x0)  # real axis shows [-1.5, 3.5]
    qx = lambda q: rx(s * (q - z))
    svg.line(x0, yr, x1, yr, width=1.5)
    svg.text(x0 - 8, yr + 4, "real r", 12, anchor="end")
    for r in (-1, 0, 1, 2, 3):
        svg.line(rx(r), yr - 5, rx(r), yr + 5)
        svg.text(rx(r), yr - 10, "%g" % r, 12)
    svg.line(qx(qmin), yq, qx(qmax), yq, width=1.5)
    svg.text(x0 - 8, yq + 4, "code q", 12, anchor="end")
    for q in (0, 32, 64, 96, 128, 160, 192, 224, 255):
        svg.line(qx(q), yq - 5, qx(q), yq + 5)
        svg.text(qx(q), yq + 20, str(q), 12, color="#b00" if q == z else "#222")
        svg.line(qx(q), yq - 5, rx(s * (q - z)), yr + 5, color="#b00" if q == z else "#89a", dash=None if q == z else "3,3")
    svg.text(qx(z) + 6, (yr + yq) / 2, "0.0 is exactly q = z", 12, anchor="start", color="#b00")
    svg.rect(rx(-1.5), yr - 3, rx(s * (qmin - z)) - rx(-1.5), 6, "#e66", 0.5)
    svg.rect(rx(s * (qmax - z)), yr - 3, rx(3.5) - rx(s * (qmax - z)), 6, "#e66", 0.5)
    svg.text(rx(-1.25), yr + 22, "clamps to 0", 11, color="#a33")
    svg.text(rx(3.25), yr + 22, "clamps to 255", 11, color="#a33")
    # Panel 2: dequantize(quantize(x)) and its error, zoomed to [0.9, 1.1].
    px0, px1, py0, py1 = 90, 700, 260, 480
    a, b = 0.9, 1.1
    inv = f32(1.0 / s)
    X = lambda v: px0 + (v - a) / (b - a) * (px1 - px0)
    Y = lambda v: py1 - (v - a) / (b - a) * (py1 - py0)
    svg.line(px0, py1, px1, py1)
    svg.line(px0, py0, px0, py1)
    svg.text((px0 + px1) / 2, py1 + 34, "x (zoom on [0.9, 1.1])", 12)
    svg.text(px0, py0 - 12, "dequantize(quantize(x))", 12, anchor="middle")
    for v in (0.9, 0.95, 1.0, 1.05, 1.1):
        svg.line(X(v), py1, X(v), py1 + 5)
        svg.text(X(v), py1 + 18, "%.2f" % v, 11)
        svg.line(px0 - 5, Y(v), px0, Y(v))
        svg.text(px0 - 8, Y(v) + 4, "%.2f" % v, 11, anchor="end")
    svg.path("M %.1f %.1f L %.1f %.1f" % (X(a), Y(a), X(b), Y(b)), "#999", 1.0)
    d, n = [], 600
    for i in range(n + 1):
        x = a + (b - a) * i / n
        q = min(max(round(f32(x * inv)) + z, qmin), qmax)
        d.append(("M" if i == 0 else "L") + " %.1f %.1f" % (X(x), Y(f32((q - z) * s))))
    svg.path(" ".join(d), "#1f5fa8", 2.0)
    q1 = round(f32(1.0 * inv)) + z
    svg.line(X(1.0), Y(f32((q1 - z) * s)) + 4, X(1.0) + 40, Y(0.96), color="#1f5fa8")
    svg.text(X(1.0) + 44, Y(0.96) + 12, "1.0 -> q = %d -> %.6f" % (q1, f32((q1 - z) * s)), 12,
             anchor="start", color="#1f5fa8")
    svg.text(px1, py1 - 10, "steps of s = %.4f; error at most s / 2 inside the range" % s, 12, anchor="end")
    return svg.render()


def performance_ratios():
    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    m = re.search(r"### Against torch 1\.13 HistogramObserver.*?\n(\|[^\n]*\n)(?:\|[^\n]*\n)+", text, re.S)
    if not m:
        return None, "docs/performance.md has no 'Against torch 1.13 HistogramObserver' table"
    rows = [l for l in text[m.start(1):m.end()].splitlines() if l.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    try:
        i1, i16 = header.index("ratio 1 Mi"), header.index("ratio 16 Mi")
    except ValueError:
        return None, "the torch table has no 'ratio 1 Mi' / 'ratio 16 Mi' columns"
    data = []
    for row in rows[2:]:
        cells = [c.strip().replace("*", "") for c in row.strip("|").split("|")]
        try:
            data.append((cells[0].replace("`", ""), float(cells[i1].rstrip("x")), float(cells[i16].rstrip("x"))))
        except (ValueError, IndexError):
            return None, "a ratio in the torch table is not a number: %r" % row
    svg = Svg(820, 90 + 46 * len(data))
    svg.text(410, 24, "qlin vs torch 1.13 HistogramObserver: speed ratio (torch time / qlin time), same run", 14,
             weight="bold")
    svg.text(410, 42, "data: docs/performance.md; log scale; the DESIGN.md target is 10x", 11, color="#555")
    x0, x1, top = 330, 790, 60
    X = lambda r: x0 + (math.log10(r) + 1) / 2.5 * (x1 - x0)  # 0.1x .. ~30x
    for r in (0.1, 0.3, 1, 3, 10, 30):
        svg.line(X(r), top, X(r), top + 46 * len(data), color="#ccc" if r != 1 else "#333", dash="2,3" if r != 1 else None)
        svg.text(X(r), top + 46 * len(data) + 16, "%gx" % r, 11)
    svg.line(X(10), top, X(10), top + 46 * len(data), color="#c33", width=1.5, dash="6,3")
    for i, (label, r1, r16) in enumerate(data):
        y = top + 46 * i + 8
        svg.text(x0 - 8, y + 18, label, 11, anchor="end")
        for j, (r, color, tag) in enumerate(((r1, "#1f5fa8", "1 Mi"), (r16, "#e08a1e", "16 Mi"))):
            svg.rect(X(0.1), y + 15 * j, X(r) - X(0.1), 13, color, 0.85)
            svg.text(X(r) + 4, y + 15 * j + 11, "%gx (%s)" % (r, tag), 10, anchor="start")
    return svg.render(), None


def main():
    check = "--check" in sys.argv[1:]
    figures = {"affine_mapping.svg": (affine_mapping(), None)}
    perf, why = performance_ratios()
    if perf is None:
        print("performance_ratios.svg skipped: " + why)
    else:
        figures["performance_ratios.svg"] = (perf, None)
    stale = 0
    for name, (svg, _) in figures.items():
        path = HERE / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != svg:
                print("out of date: docs/images/%s (run docs/images/make_figures.py)" % name)
                stale += 1
        else:
            path.write_text(svg, encoding="utf-8")
            print("wrote docs/images/" + name)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
