#!/usr/bin/env python3
"""nonlin's float64 exact GELU (forward and gradient) against mpmath at 40 digits, in float64 ULPs.

21,000 points: 14,001 evenly on [−38.6, 10], 4,000 log-spaced on [−38.5, −0.001], and 3,001 on [−37.8, −37.5],
where the results cross from normal to subnormal (there the ULP is the subnormal spacing, 2⁻¹⁰⁷⁴). Prints the
largest and mean error overall and on the negative tail (−37.5, −1.7), where the relative accuracy rests on the
exponent −a²/2 being split exactly (and, before, on erfc's rounding-sensitive branch).
The f64 kernels have no exhaustive sweep; this is how changes to the f64 GELU (`gelu::gelu64_start` and after) are
checked.

Run from the repository root after `cargo build --release`:
    /tmp/torchenv/bin/python bench/f64_gelu_accuracy.py [path/to/nonlin …]
(needs numpy and mpmath; several binaries are measured on the same points, for before/after comparisons).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import mpmath
import numpy as np

mpmath.mp.dps = 40


def points():
    return np.concatenate(
        [np.linspace(-38.6, 10, 14001), -np.logspace(-3, np.log10(38.5), 4000), np.linspace(-37.8, -37.5, 3001)]
    ).astype(np.float64)


def reference(x):
    fwd, bwd = [], []
    for v in x:
        t = mpmath.mpf(float(v))
        c = mpmath.ncdf(t)
        fwd.append(float(t * c))
        bwd.append(float(c + t * mpmath.npdf(t)))
    return np.array(fwd), np.array(bwd)


def ulps(a, r):
    return np.abs(a - r) / np.maximum(np.spacing(np.abs(r)), np.float64(5e-324))


def main():
    binaries = sys.argv[1:] or ["target/release/nonlin"]
    x = points()
    ref_f, ref_b = reference(x)
    with tempfile.TemporaryDirectory() as d:
        xin, gin, out = Path(d, "x.npy"), Path(d, "g.npy"), Path(d, "y.npy")
        np.save(xin, x)
        np.save(gin, np.ones_like(x))
        tail = (x > -37.5) & (x < -1.7)
        for b in binaries:
            subprocess.run([b, "eval", "gelu", "--input", xin, "--output", out], check=True)
            uf = ulps(np.load(out), ref_f)
            subprocess.run([b, "eval", "gelu", "--input", xin, "--grad-output", gin, "--output", out], check=True)
            ub = ulps(np.load(out), ref_b)
            print(f"{b}: forward max {uf.max():.1f} ULP (at {x[uf.argmax()]:.6g}), mean {uf.mean():.3f}; "
                  f"on (-37.5, -1.7) max {uf[tail].max():.1f}, mean {uf[tail].mean():.3f} | "
                  f"gradient max {ub.max():.1f} (at {x[ub.argmax()]:.6g}), mean {ub.mean():.3f}")


if __name__ == "__main__":
    main()
