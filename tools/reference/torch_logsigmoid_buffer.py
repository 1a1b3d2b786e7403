#!/usr/bin/env python3
"""Reference vectors for log-sigmoid's buffered forward and backward (`Activation::forward_with_buffer`,
`backward_from_buffer`), from real PyTorch and mpmath.

For float32 and float64: inputs x (special values, the underflow edges of e^(−|x|), a grid, random points), an
upstream gradient gy, PyTorch's `log_sigmoid_forward(x) -> (y, buffer)` and `log_sigmoid_backward(gy, x, buffer)`,
and mpmath's e^(−|x|) rounded to float64 (the buffer's exact value), all as bit patterns.

Run (from the repository root, in a venv outside the repo):
    /tmp/torchenv/bin/python tools/reference/torch_logsigmoid_buffer.py crates/nonlin/tests/data
Output: logsigmoid_buffer.json (bit patterns as integers).
"""

import json
import struct
import sys
from pathlib import Path

import mpmath as mp
import torch

mp.mp.dps = 50
SEED = 20261127


def bits(t):
    fmt, code = ("<f", "<I") if t.dtype == torch.float32 else ("<d", "<Q")
    return [struct.unpack(code, struct.pack(fmt, v))[0] for v in t.tolist()]


def exp_neg_abs(v):
    """e^(−|v|) from mpmath, rounded to float64, as its bit pattern."""
    e = float("nan") if v != v else float(mp.exp(-abs(mp.mpf(v))))
    return struct.unpack("<Q", struct.pack("<d", e))[0]


def main():
    out_dir = Path(sys.argv[1])
    gen = torch.Generator().manual_seed(SEED)
    data = {"torch": torch.__version__}
    for dtype, name in [(torch.float32, "f32"), (torch.float64, "f64")]:
        special = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-45, -1e-45, 1e-30, -1e-30, 0.5, -0.5,
                   1.0, -1.0, 87.0, -87.0, 88.7, -88.7, 103.5, -103.5, 104.5, -104.5, 150.0, -150.0, 708.0, -708.0,
                   745.0, -745.0, 800.0, -800.0]
        grid = torch.linspace(-20, 20, 201, dtype=torch.float64).tolist()
        rand = (torch.randn(200, generator=gen, dtype=torch.float64) * 8).tolist()
        x = torch.tensor(special + grid + rand, dtype=dtype)
        gy = torch.randn(len(x), generator=gen, dtype=torch.float64).to(dtype)
        y, buffer = torch.ops.aten.log_sigmoid_forward(x)
        gx = torch.ops.aten.log_sigmoid_backward(gy, x, buffer)
        data[name] = {"x": bits(x), "gy": bits(gy), "y": bits(y), "buffer": bits(buffer), "gx": bits(gx),
                      "exp_neg_abs": [exp_neg_abs(v) for v in x.tolist()]}
    (out_dir / "logsigmoid_buffer.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
