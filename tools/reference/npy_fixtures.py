#!/usr/bin/env python3
"""Small .npy fixtures for the `nonlin eval` tests, written by real NumPy, with PyTorch's results on them.

Run (from the repository root, in the venv of torch_vectors.py):
    /tmp/torchenv/bin/python tools/reference/npy_fixtures.py crates/nonlin-cli/tests/data
"""

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

out = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/nonlin-cli/tests/data")
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)

x = rng.standard_normal((2, 3, 4)).astype(np.float32) * 3
x.flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 6.0]
gy = rng.standard_normal((2, 3, 4)).astype(np.float32)
np.save(out / "x_f32_2x3x4.npy", x)
np.save(out / "gy_f32_2x3x4.npy", gy)
np.save(out / "x_f64_5.npy", rng.standard_normal(5))
np.save(out / "x_f64_scalar.npy", np.float64(-1.5))
np.save(out / "x_i64.npy", np.arange(4))
np.save(out / "x_f32_big_endian.npy", np.arange(4, dtype=">f4"))
np.save(out / "x_f32_fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save(out / "gy_f32_4x6.npy", gy.reshape(4, 6))

for name, fn in (("relu6", F.relu6), ("gelu", F.gelu), ("leaky_relu_0.2", lambda t: F.leaky_relu(t, 0.2))):
    xt = torch.tensor(x, requires_grad=True)
    y = fn(xt)
    y.backward(torch.tensor(gy))
    np.save(out / f"torch_{name}_y.npy", y.detach().numpy())
    np.save(out / f"torch_{name}_gx.npy", xt.grad.numpy())
print("numpy", np.__version__, "torch", torch.__version__, "->", out)
