#!/usr/bin/env python3
"""Training the digits MLP (64-128-128-10, batch 32, 20 epochs, Adam lr=1e-3, shuffled) in PyTorch and with
`nonlin train`, timed side by side on the same machine in the same run. nonlin's time is the whole command (it also
reads the CSV and measures accuracy and dead units after every epoch).

Run from the repository root: /tmp/torchenv/bin/python bench/train_digits.py [--threads T] [--repeats R]
"""

import argparse
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def torch_run(x, y):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    start = time.perf_counter()
    for _ in range(20):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    return elapsed, acc


def nonlin_run():
    cmd = ["target/release/nonlin", "train", "--data", "data/digits.csv", "--arch",
           "linear:128 relu linear:128 relu linear:10", "--optimizer", "adam:lr=0.001", "--epochs", "20",
           "--batch-size", "32", "--seed", "0"]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    last = out.stderr.strip().splitlines()[-1]
    return elapsed, float(last.split("accuracy ")[1].split(",")[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nonlin-cli"], check=True)
    data = np.loadtxt("data/digits.csv", delimiter=",", skiprows=1, dtype=np.float32)
    x, y = torch.tensor(data[:, :64]), torch.tensor(data[:, 64]).long()
    t = sorted(torch_run(x, y) for _ in range(args.repeats))[args.repeats // 2]
    n = sorted(nonlin_run() for _ in range(args.repeats))[args.repeats // 2]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); median of {args.repeats}")
    print(f"{'':8} {'seconds':>8} {'final train accuracy':>21}")
    print(f"{'PyTorch':8} {t[0]:8.2f} {t[1]:21.4f}")
    print(f"{'nonlin':8} {n[0]:8.2f} {n[1]:21.4f}")
    print(f"nonlin / PyTorch time: {n[0] / t[0]:.2f}")


if __name__ == "__main__":
    main()
