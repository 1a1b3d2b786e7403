#!/usr/bin/env python3
"""PyTorch's float32 activations on *every* finite float32 input, against nonlin's f64 reference, next to nonlin.

bench/torch_accuracy.py measures PyTorch on the stratified sample (2^20 inputs); a kernel's worst case can hide
between sample points, so this runs all 2^32 bit patterns in chunks of 2^26: PyTorch computes forward and backward
(upstream gradient 1, autograd on its vectorized CPU path), and `nonlin accuracy SPEC --other DIR` measures both
PyTorch's outputs and nonlin's on the same inputs. Takes several minutes per activation on two cores.

Run from the repository root: /tmp/torchenv/bin/python bench/torch_exhaustive.py tanh softplus …
"""

import json
import subprocess
import sys
import tempfile
import time
import numpy as np
import torch

from torch_accuracy import measure

CHUNK = 1 << 26


def merge(acc, row, n):
    """Folds one chunk's statistics (`n` finite inputs) into `acc`."""
    if row["max_ulps"] is not None and row["max_ulps"] >= acc["max_ulps"]:
        acc["max_ulps"], acc["worst_input"] = row["max_ulps"], row["worst_input"]
    acc["sum"] += (row["mean_ulps"] or 0.0) * n
    acc["count"] += n
    acc["wrong"] += row["wrong"]


def run(spec, d):
    empty = lambda: {"max_ulps": 0.0, "worst_input": None, "sum": 0.0, "count": 0, "wrong": 0}
    acc = {side: {dir: empty() for dir in ("forward", "backward")} for side in ("other", "nonlin")}
    start = time.time()
    for k in range((1 << 32) // CHUNK):
        bits = np.arange(k * CHUNK, (k + 1) * CHUNK, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        x = x[np.isfinite(x)]
        r = measure(spec, x, d)
        for side in acc:
            for dir in acc[side]:
                merge(acc[side][dir], r[side][dir], len(x))
        print(f"\r{spec}: chunk {k + 1}/{(1 << 32) // CHUNK} ({time.time() - start:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    return acc


def main():
    specs = sys.argv[1:] or ["tanh", "softplus", "logsigmoid"]
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nonlin-cli"], check=True)
    print(f"torch {torch.__version__}; all finite float32 inputs; max (mean) error in ULPs against nonlin's f64 reference")
    print(f"{'spec':24} {'torch fwd':>20} {'nonlin fwd':>20} {'torch bwd':>20} {'nonlin bwd':>20}")
    with tempfile.TemporaryDirectory() as d:
        for spec in specs:
            acc = run(spec, d)
            cell = lambda s: ("NaN/inf " if s["wrong"] else "") + f"{s['max_ulps']:.3f} ({s['sum'] / s['count']:.3f})"
            print(f"{spec:24} {cell(acc['other']['forward']):>20} {cell(acc['nonlin']['forward']):>20}"
                  f" {cell(acc['other']['backward']):>20} {cell(acc['nonlin']['backward']):>20}", flush=True)
            print(json.dumps({"spec": spec, "torch": torch.__version__,
                              **{f"{side}_{dir}": {"max_ulps": s["max_ulps"], "worst_input": s["worst_input"],
                                                   "mean_ulps": s["sum"] / s["count"], "wrong": s["wrong"]}
                                 for side in acc for dir, s in acc[side].items()}}), flush=True)


if __name__ == "__main__":
    main()
