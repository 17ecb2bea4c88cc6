#!/usr/bin/python3
"""Writes digits.csv, the handwritten digits data set that examples/demo.cpp trains and quantizes.

Run once, from anywhere (needs Debian's python3-sklearn: apt-get install python3-sklearn):

    /usr/bin/python3 examples/data/extract_digits.py

The data set is scikit-learn's load_digits(): 1797 8x8 images of handwritten digits, pixels
integers 0..16. Each line of the CSV is the label (0..9) and the 64 pixels in row-major order.
The output is deterministic (same rows, same order as load_digits()).
"""
import os
import sys

from sklearn.datasets import load_digits

HEADER = """\
# Optical Recognition of Handwritten Digits: 1797 8x8 images, pixels 0..16, labels 0..9.
# Creators: E. Alpaydin and C. Kaynak, Bogazici University, July 1998. This is the test set
# (optdigits.tes) of the UCI data set, as distributed with scikit-learn (sklearn.datasets.load_digits).
# Citation: Alpaydin, E. and Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset].
#   UCI Machine Learning Repository. https://doi.org/10.24432/C50P49
#   https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits
# License: Creative Commons Attribution 4.0 International (CC BY 4.0),
#   https://creativecommons.org/licenses/by/4.0/ (as stated by the UCI repository). Reformatted to
#   CSV by examples/data/extract_digits.py; the values are unchanged.
# Format: label,p0,...,p63 (row-major 8x8 pixels), one image per line.
"""


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.csv")
    d = load_digits()
    assert d.data.shape == (1797, 64)
    lines = [HEADER]
    for label, row in zip(d.target, d.data):
        pixels = [int(v) for v in row]
        assert all(0 <= v <= 16 and v == w for v, w in zip(pixels, row))
        lines.append(",".join([str(int(label))] + [str(v) for v in pixels]) + "\n")
    with open(out, "w", newline="\n") as f:
        f.write("".join(lines))
    print(f"wrote {out}: {len(d.target)} images")


if __name__ == "__main__":
    main()
