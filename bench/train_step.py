#!/usr/bin/env python3
"""One training step of a 64-128-128-10 ReLU MLP at batch 32 (forward, cross-entropy, backward, optimizer
step), PyTorch vs nonlin, measured in the same run on the same machine.

Run from the repository root: /tmp/torchenv/bin/python bench/train_step.py [--steps N] [--threads T]
"""

import argparse
import json
import platform
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import cpu_name


def torch_step_us(name, steps):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = (torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if name == "sgd"
           else torch.optim.Adam(model.parameters(), lr=1e-3))
    x = torch.randn(32, 64)
    target = torch.arange(32) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), target).backward()
        opt.step()

    for _ in range(steps // 10):
        step()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    return sorted(times)[2] * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nonlin-nn", "--example", "train_step_bench"], check=True)
    out = subprocess.run(["target/release/examples/train_step_bench", str(args.steps)], check=True,
                         capture_output=True, text=True).stdout
    ours = {r["optimizer"]: r["us_per_step"] for r in map(json.loads, out.splitlines())}
    print(f"CPU: {cpu_name()} ({platform.machine()}), torch {torch.__version__}, "
          f"torch threads {torch.get_num_threads()}, nonlin single-threaded")
    print(f"{'optimizer':10} {'torch µs/step':>14} {'nonlin µs/step':>15} {'speed-up':>9}")
    for name in ("sgd", "adam"):
        t = torch_step_us(name, args.steps)
        print(f"{name:10} {t:14.1f} {ours[name]:15.1f} {t / ours[name]:8.2f}x")


if __name__ == "__main__":
    main()
