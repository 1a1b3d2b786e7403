#!/usr/bin/env python3
"""Writes scikit-learn's bundled *digits* data set (1,797 8×8 images, 10 classes; it ships inside the
scikit-learn package, no download) as CSV: a header row `p0..p63,label`, pixel intensities 0–16, class 0–9.

Run: /tmp/torchenv/bin/pip install scikit-learn && /tmp/torchenv/bin/python tools/data/digits_to_csv.py data/digits.csv
"""

import sys

import sklearn
from sklearn.datasets import load_digits

out = sys.argv[1] if len(sys.argv) > 1 else "data/digits.csv"
d = load_digits()
with open(out, "w") as f:
    f.write(",".join([f"p{i}" for i in range(64)] + ["label"]) + "\n")
    for row, label in zip(d.data, d.target):
        f.write(",".join(str(int(v)) for v in row) + f",{int(label)}\n")
print(f"wrote {len(d.target)} rows to {out} (scikit-learn {sklearn.__version__})")
