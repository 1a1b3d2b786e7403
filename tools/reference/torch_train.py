#!/usr/bin/env python3
"""Reference data for nonlin-nn's training tests, from real PyTorch.

- mlp_init.safetensors: an MLP mixing Linear with ReLU, LeakyReLU, PReLU, ELU and GELU, saved with
  safetensors.torch.save_file(model.state_dict()); train.json holds its forward output, loss and every
  parameter gradient on a fixed batch;
- each loss (MSE, CrossEntropy, NLL, BCEWithLogits) with each reduction, and its input gradient;
- 20 full-batch steps of SGD (plain, momentum, nesterov, dampening, weight decay), Adam (with and without
  amsgrad, weight decay) and AdamW from the same initial weights: the final parameters;
- the round trip: nonlin_saved.safetensors (written by `cargo run -p nonlin-nn --example save_state_dict`)
  loaded into the equivalent PyTorch model with load_state_dict(strict=True), and that model's output.

Run (from the repository root, in the venv of torch_vectors.py plus `pip install safetensors`):
    cargo run -p nonlin-nn --example save_state_dict -- crates/nonlin-nn/tests/data/nonlin_saved.safetensors
    /tmp/torchenv/bin/python tools/reference/torch_train.py crates/nonlin-nn/tests/data
"""

import json
import struct
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

TORCH_VERSION = "2.15.0"


def bits(t):
    return [f"{struct.unpack('<Q', struct.pack('<d', float(v)))[0]:016x}" for v in t.detach().reshape(-1).tolist()]


def mlp():
    return nn.Sequential(
        nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.PReLU(8, 0.2),
        nn.Linear(8, 8), nn.ELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))


OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "sgd_dampening_wd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.1, weight_decay=1e-2),
    "sgd_weight_decay": lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.05),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-2),
    "adam_amsgrad": lambda p: torch.optim.Adam(p, lr=1e-2, amsgrad=True),
    "adam_weight_decay": lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-2),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-2),
    "adamw_amsgrad": lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1, amsgrad=True, betas=(0.8, 0.99)),
}


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/nonlin-nn/tests/data")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"expected torch {TORCH_VERSION}, found {torch.__version__}")
    torch.manual_seed(2024)
    model = mlp()
    save_file(model.state_dict(), str(out / "mlp_init.safetensors"))
    x = torch.randn(10, 6) * 1.5
    target = torch.randint(0, 3, (10,))
    data = {"generator": "tools/reference/torch_train.py", "torch": torch.__version__,
            "x": bits(x), "target": target.tolist(), "repr": repr(model)}

    y = model(x)
    loss = F.cross_entropy(y, target)
    loss.backward()
    data["forward"] = {"y": bits(y), "loss": bits(loss),
                       "grads": {n: bits(p.grad) for n, p in model.named_parameters()}}

    losses = []
    torch.manual_seed(7)
    inp = torch.randn(4, 3) * 2
    mse_target = torch.randn(4, 3)
    bce_target = torch.rand(4, 3)
    cls = torch.tensor([2, 0, 1, 2])
    for name, fn, tgt in (("mse", F.mse_loss, mse_target), ("cross_entropy", F.cross_entropy, cls),
                          ("nll", lambda a, b, reduction: F.nll_loss(a, b, reduction=reduction), cls),
                          ("bce_with_logits", F.binary_cross_entropy_with_logits, bce_target)):
        for reduction in ("none", "mean", "sum"):
            a = (F.log_softmax(inp, 1) if name == "nll" else inp).detach().requires_grad_(True)
            value = fn(a, tgt, reduction=reduction)
            upstream = torch.linspace(-1, 1, value.numel()).reshape(value.shape) if reduction == "none" else torch.tensor(1.0)
            value.backward(upstream)
            losses.append({"loss": name, "reduction": reduction, "input": bits(a), "target": bits(tgt),
                           "value": bits(value), "upstream": bits(upstream), "grad": bits(a.grad),
                           "grad_fn": type(value.grad_fn).__name__})
    data["losses"] = losses

    runs = {}
    for name, make in OPTIMIZERS.items():
        model = mlp()
        model.load_state_dict(load_file(str(out / "mlp_init.safetensors")))
        opt = make(model.parameters())
        for _ in range(20):
            opt.zero_grad()
            F.cross_entropy(model(x), target).backward()
            opt.step()
        runs[name] = {n: bits(p) for n, p in model.named_parameters()}
        runs[name]["final_loss"] = bits(F.cross_entropy(model(x), target))
    data["optimizers"] = runs

    saved = out / "nonlin_saved.safetensors"
    small = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1), nn.Linear(8, 3))
    small.load_state_dict(load_file(str(saved)), strict=True)
    data["roundtrip"] = {"file": saved.name, "y": bits(small(x))}
    torch.manual_seed(123)
    fresh = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1), nn.Linear(8, 3))
    data["roundtrip"]["same_as_torch_init"] = all(
        torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), small.state_dict().values()))

    (out / "train.json").write_text(json.dumps(data, indent=1) + "\n")
    print("wrote", out / "train.json", "and", out / "mlp_init.safetensors",
          "; nonlin's file equals torch's own init for seed 123:", data["roundtrip"]["same_as_torch_init"])


if __name__ == "__main__":
    main()
