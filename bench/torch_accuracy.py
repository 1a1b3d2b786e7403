#!/usr/bin/env python3
"""PyTorch's float32 activations against nonlin's f64 reference, next to nonlin's own kernels, on the same inputs:
the stratified sample of `nonlin accuracy` (every 4096th float32 bit pattern at a pseudo-random offset, 2^20
patterns, finite ones kept). PyTorch computes forward and backward (upstream gradient 1) on its vectorized path;
`nonlin accuracy SPEC --other DIR` measures both.

Run from the repository root: /tmp/torchenv/bin/python bench/torch_accuracy.py [specs…]
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

FUNCS = {
    "elu": F.elu, "celu": F.celu, "selu": F.selu, "gelu": F.gelu,
    "gelu:approximate=tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "mish": F.mish,
    "softplus": F.softplus, "softsign": F.softsign, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "logsigmoid": F.logsigmoid, "tanhshrink": F.tanhshrink, "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
    "leaky_relu": F.leaky_relu, "relu": F.relu,
}


def sample():
    i = np.arange(1 << 20, dtype=np.uint64)
    bits = ((i << np.uint64(12)) | (((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) >> np.uint64(20))).astype(np.uint32)
    x = bits.view(np.float32)
    return x[np.isfinite(x)]


def measure(spec, x, d):
    """PyTorch's forward and backward (upstream gradient 1) at the float32 inputs `x`, measured by
    `nonlin accuracy --other` next to nonlin on the same inputs (files in directory `d`); its JSON."""
    xt = torch.tensor(x, requires_grad=True)
    y = FUNCS[spec](xt)
    y.backward(torch.ones_like(y))
    np.save(Path(d) / "x.npy", x)
    np.save(Path(d) / "y.npy", y.detach().numpy())
    np.save(Path(d) / "dydx.npy", xt.grad.numpy())
    return json.loads(subprocess.run(["target/release/nonlin", "accuracy", spec, "--other", d], check=True,
                                     capture_output=True, text=True).stdout)


def main():
    specs = sys.argv[1:] or list(FUNCS)
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nonlin-cli"], check=True)
    x = sample()
    print(f"torch {torch.__version__}; {len(x)} finite float32 inputs; max / mean error in ULPs against nonlin's f64 reference")
    print(f"{'spec':24} {'torch fwd max':>14} {'nonlin fwd max':>15} {'torch bwd max':>14} {'nonlin bwd max':>15} {'torch fwd mean':>15} {'nonlin fwd mean':>16}")
    with tempfile.TemporaryDirectory() as d:
        for spec in specs:
            r = measure(spec, x, d)
            t, n = r["other"], r["nonlin"]
            fmt = lambda s: "inf (NaN/inf)" if s["max_ulps"] is None or s["wrong"] else f"{s['max_ulps']:.3g}"
            print(f"{spec:24} {fmt(t['forward']):>14} {fmt(n['forward']):>15} {fmt(t['backward']):>14} {fmt(n['backward']):>15}"
                  f" {t['forward']['mean_ulps']:>15.3g} {n['forward']['mean_ulps']:>16.3g}")


if __name__ == "__main__":
    main()
