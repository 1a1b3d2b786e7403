#!/usr/bin/env python3
"""Reference runs of PyTorch's usual training loop on data/digits.csv, for `nonlin train` and `nonlin inspect`.

- init.safetensors: nn.Sequential(Linear(64, 32), ReLU(), Linear(32, 32), ReLU(), Linear(32, 10)) after
  torch.manual_seed(0), saved with safetensors.torch.save_file (no architecture metadata, as PyTorch writes it);
- sgd.safetensors / adam.safetensors: that model after 3 epochs of DataLoader(batch_size=32, shuffle=False,
  drop_last=False), cross-entropy with reduction mean, one step per batch, with SGD(lr=0.002, momentum=0.9) and
  Adam(lr=1e-3);
- aggressive.safetensors: after 3 epochs of SGD(lr=2.0) — many ReLUs die — and dead.json, the dead units PyTorch
  finds on the whole data set for each of these models (derivative of ReLU zero on every sample: pre ≤ 0).

Run: /tmp/torchenv/bin/python tools/reference/torch_digits.py crates/nonlin-cli/tests/data/digits
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

ARCH = "linear:32 relu linear:32 relu linear:10"


def model():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))


def train(m, opt, x, y, epochs=3, batch=32):
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=False)
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(m(xb), yb).backward()
            opt.step()


def dead_units(m, x):
    out, h = [], x
    with torch.no_grad():
        for i, layer in enumerate(m):
            if isinstance(layer, nn.ReLU):
                dead = (h <= 0).all(dim=0).nonzero().flatten().tolist()
                out.append({"index": i, "units": h.shape[1], "dead_indices": dead})
            h = layer(h)
    return out


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/nonlin-cli/tests/data/digits")
    out.mkdir(parents=True, exist_ok=True)
    data = np.loadtxt("data/digits.csv", delimiter=",", skiprows=1, dtype=np.float32)
    x, y = torch.tensor(data[:, :64]), torch.tensor(data[:, 64]).long()
    torch.manual_seed(0)
    save_file(model().state_dict(), str(out / "init.safetensors"))
    dead = {}
    for name, make in (("sgd", lambda p: torch.optim.SGD(p, lr=0.002, momentum=0.9)),
                       ("adam", lambda p: torch.optim.Adam(p, lr=1e-3)),
                       ("aggressive", lambda p: torch.optim.SGD(p, lr=2.0))):
        m = model()
        m.load_state_dict(load_file(str(out / "init.safetensors")))
        train(m, make(m.parameters()), x, y)
        save_file(m.state_dict(), str(out / f"{name}.safetensors"))
        dead[name] = dead_units(m, x)
    (out / "dead.json").write_text(json.dumps({"arch": ARCH, "torch": torch.__version__, "models": dead}, indent=1) + "\n")
    print({k: [len(l["dead_indices"]) for l in v] for k, v in dead.items()})


if __name__ == "__main__":
    main()
