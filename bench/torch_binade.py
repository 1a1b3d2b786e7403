#!/usr/bin/env python3
"""PyTorch and nonlin on *every* float32 in a range, for the ELU family, against an f64 reference.

The stratified sample of `nonlin accuracy` sees 1 in 4096 inputs; this looks at all of a binade, where a kernel's
worst case lives. The reference is `scale·α·expm1(x)` in float64 with NumPy (libm's expm1), rounded the same way
`nonlin accuracy` measures ULPs.

Run from the repository root (after `cargo build --release`):
    /tmp/torchenv/bin/python bench/torch_binade.py selu -0.5 -0.25
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
SPECS = {
    # spec: (negative-branch factor, positive-branch factor, torch function)
    "elu": (1.0, 1.0, F.elu),
    "celu": (1.0, 1.0, F.celu),
    "selu": (SELU_SCALE * SELU_ALPHA, SELU_SCALE, F.selu),
}


def ulps(got, ref):
    r32 = ref.astype(np.float32)
    lo = np.where(r32.astype(np.float64) <= ref, r32, np.nextafter(r32, np.float32(-np.inf)))
    step = np.nextafter(lo, np.float32(np.inf)).astype(np.float64) - lo.astype(np.float64)
    return np.abs(got.astype(np.float64) - ref) / step


def main():
    spec, a, b = sys.argv[1], np.float32(sys.argv[2]), np.float32(sys.argv[3])
    neg, pos, f = SPECS[spec]
    ba, bb = (int(np.array([v]).view(np.uint32)[0]) for v in (a, b))
    x = np.arange(min(ba, bb), max(ba, bb), dtype=np.uint32).view(np.float32)
    x64 = x.astype(np.float64)
    ref = np.where(x64 > 0, pos * x64, neg * np.expm1(x64))
    t = f(torch.from_numpy(x.copy())).numpy()
    with tempfile.TemporaryDirectory() as d:
        np.save(Path(d) / "x.npy", x)
        subprocess.run(["target/release/nonlin", "eval", spec, "--input", f"{d}/x.npy", "--output", f"{d}/y.npy"],
                       check=True)
        n = np.load(Path(d) / "y.npy")
    ut, un = ulps(t, ref), ulps(n, ref)
    print(f"{spec} on all {len(x)} float32 in [{min(a, b)}, {max(a, b)}): torch {torch.__version__} max "
          f"{ut.max():.4f} ULP (x = {x[ut.argmax()]}), nonlin max {un.max():.4f} ULP (x = {x[un.argmax()]})")


if __name__ == "__main__":
    main()
