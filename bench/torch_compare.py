#!/usr/bin/env python3
"""PyTorch vs `nonlin bench` on the same sizes and thread counts, side by side (same machine, same run).

PyTorch writes into preallocated outputs (`out=` forms, or `torch.ops.aten.*_backward` into an out tensor where
there is no `out=`), so neither side pays for allocation. Inputs are uniform on [−12, 12], as `nonlin bench` uses.

Run from the repository root:
    /tmp/torchenv/bin/python bench/torch_compare.py [--sizes 1024,65536,16777216] [--threads 1] [--backward]
        [--from-output] [--dtype float32|float64] [--markdown] [--rounds N] [--pairs N [--pin CPU]] [specs…]

PyTorch computes sigmoid's and tanh's gradients from the forward's output and log-sigmoid's from a buffer its
forward saves (e^(−|x|)); `nonlin bench --backward` times nonlin's gradient from the input (more accurate, needs
exp), `--from-output` its gradient from the same saved values (`backward_from_output`, `backward_from_buffer`),
which is the like-for-like comparison.

This VM's speed drifts, for both sides, over tens of milliseconds to seconds (a neighbour's load): a ratio of two
medians taken a second apart can land 20–40% either way. `--rounds N` repeats the measurement and reports the
median of the per-round ratios; `--pairs N` instead has `nonlin bench --serve` time one sample (≥ 2 ms of calls) at
a time, each followed at once by one of PyTorch's, and reports the medians over the N pairs (of every round): both
sides of each ratio ran within milliseconds of each other. With `--pin CPU` (one thread) both processes run on one
vCPU; without it, the turn-taking woke an idle vCPU for every sample, which slowed both sides by up to 1.8×.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from common import cpu_name

A = torch.ops.aten

FORWARD = {
    "relu": lambda x, y: torch.clamp_min(x, 0, out=y),
    "relu6": lambda x, y: torch.clamp(x, 0, 6, out=y),
    "leaky_relu": lambda x, y: torch._C._nn.leaky_relu(x, 0.01, out=y),
    "prelu": lambda x, y: torch._C._nn.leaky_relu(x, 0.25, out=y),
    "rrelu": lambda x, y: torch._C._nn.leaky_relu(x, (1 / 8 + 1 / 3) / 2, out=y),
    "elu": lambda x, y: torch._C._nn.elu(x, out=y),
    "celu": lambda x, y: torch._C._nn.elu(x, 1.0, 1.0, 1.0, out=y),
    "selu": lambda x, y: torch._C._nn.elu(x, 1.6732632423543772, 1.0507009873554805, 1.0, out=y),
    "gelu": lambda x, y: torch._C._nn.gelu(x, out=y),
    "gelu:approximate=tanh": lambda x, y: torch._C._nn.gelu(x, approximate="tanh", out=y),
    "silu": lambda x, y: torch._C._nn.silu(x, out=y),
    "mish": lambda x, y: torch._C._nn.mish(x, out=y),
    "softplus": lambda x, y: torch._C._nn.softplus(x, 1, 20, out=y),
    "softsign": lambda x, y: torch.div(x, torch.abs(x).add_(1), out=y),
    "sigmoid": lambda x, y: torch.sigmoid(x, out=y),
    "tanh": lambda x, y: torch.tanh(x, out=y),
    "logsigmoid": lambda x, y: torch._C._nn.log_sigmoid(x, out=y),
    "hardtanh": lambda x, y: torch._C._nn.hardtanh(x, -1.0, 1.0, out=y),
    "hardsigmoid": lambda x, y: torch._C._nn.hardsigmoid(x, out=y),
    "hardswish": lambda x, y: torch._C._nn.hardswish(x, out=y),
    "hardshrink": lambda x, y: torch.hardshrink(x, 0.5, out=y),
    "softshrink": lambda x, y: torch._C._nn.softshrink(x, 0.5, out=y),
    "tanhshrink": lambda x, y: torch.sub(x, torch.tanh(x), out=y),
    "threshold:threshold=0.5,value=0": lambda x, y: torch.threshold(x, 0.5, 0.0, out=y),
}

# Backward: gradient with respect to the input into a preallocated tensor.
BACKWARD = {
    "relu": lambda x, y, g, o: A.threshold_backward.grad_input(g, y, 0, grad_input=o),
    "relu6": lambda x, y, g, o: A.hardtanh_backward.grad_input(g, x, 0.0, 6.0, grad_input=o),
    "leaky_relu": lambda x, y, g, o: A.leaky_relu_backward.grad_input(g, x, 0.01, False, grad_input=o),
    "prelu": lambda x, y, g, o: A.leaky_relu_backward.grad_input(g, x, 0.25, False, grad_input=o),
    "rrelu": lambda x, y, g, o: A.leaky_relu_backward.grad_input(g, x, (1 / 8 + 1 / 3) / 2, False, grad_input=o),
    "elu": lambda x, y, g, o: A.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, x, grad_input=o),
    "celu": lambda x, y, g, o: A.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, x, grad_input=o),
    "selu": lambda x, y, g, o: A.elu_backward.grad_input(g, 1.6732632423543772, 1.0507009873554805, 1.0, False, x, grad_input=o),
    "gelu": lambda x, y, g, o: A.gelu_backward.grad_input(g, x, grad_input=o),
    "gelu:approximate=tanh": lambda x, y, g, o: A.gelu_backward.grad_input(g, x, approximate="tanh", grad_input=o),
    "silu": lambda x, y, g, o: A.silu_backward.grad_input(g, x, grad_input=o),
    "mish": lambda x, y, g, o: o.copy_(A.mish_backward(g, x)),
    "softplus": lambda x, y, g, o: A.softplus_backward.grad_input(g, x, 1, 20, grad_input=o),
    "softsign": lambda x, y, g, o: torch.div(g, torch.abs(x).add_(1).square_(), out=o),
    "sigmoid": lambda x, y, g, o: A.sigmoid_backward.grad_input(g, y, grad_input=o),
    "tanh": lambda x, y, g, o: A.tanh_backward.grad_input(g, y, grad_input=o),
    "logsigmoid": lambda x, y, g, o: A.log_sigmoid_backward.grad_input(g, x, BUFFERS[id(x)], grad_input=o),
    "hardtanh": lambda x, y, g, o: A.hardtanh_backward.grad_input(g, x, -1.0, 1.0, grad_input=o),
    "hardsigmoid": lambda x, y, g, o: o.copy_(A.hardsigmoid_backward(g, x)),
    "hardswish": lambda x, y, g, o: o.copy_(A.hardswish_backward(g, x)),
    "hardshrink": lambda x, y, g, o: A.hardshrink_backward.grad_input(g, x, 0.5, grad_input=o),
    "softshrink": lambda x, y, g, o: A.softshrink_backward.grad_input(g, x, 0.5, grad_input=o),
    "tanhshrink": lambda x, y, g, o: torch.mul(g, torch.tanh(x).square_(), out=o),
    "threshold:threshold=0.5,value=0": lambda x, y, g, o: A.threshold_backward.grad_input(g, x, 0.5, grad_input=o),
}


# log_sigmoid_backward takes the buffer its forward computed; it is made once per input, outside the timing.
BUFFERS = {}


def time_ns(f):
    f()
    t = time.perf_counter()
    f()
    once = max(time.perf_counter() - t, 1e-9)
    reps = max(1, min(100000, int(2e-3 / once) + 1))
    return sorted(sample(f, reps) for _ in range(7))[3]


def paired(base, spec, sizes, dtype, backward, pairs):
    """`{size: [(torch Gelem/s, nonlin Gelem/s, ratio), …]}`, one triple per pair of samples taken back to back:
    `nonlin bench --serve` times one sample (≥ 2 ms of calls) per request, then PyTorch one, so both sides of a
    ratio ran within a few milliseconds of each other, in the same phase of the machine."""
    base = [a for a in base if a != "--json"]
    proc = subprocess.Popen([*base, "--serve", spec], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(line):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    rows = {}
    for n in sizes:
        ready = proc.stdout.readline().split()
        if ready != ["ready", spec, str(n)]:
            raise SystemExit(f"nonlin bench --serve: expected 'ready {spec} {n}', got {ready}")
        f = call(spec, n, dtype, backward)
        reps = warm_up(f)
        rows[n] = []
        for _ in range(pairs):
            ask("sample")
            ours = float(proc.stdout.readline())
            theirs = sample(f, reps)
            rows[n].append((n / theirs, n / ours, theirs / ours))
        ask("next")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit(f"nonlin bench --serve {spec} failed")
    return rows


def call(spec, n, dtype, backward):
    """PyTorch's call for `spec` on `n` fresh inputs, as a function of no arguments."""
    x = (torch.rand(n, dtype=dtype) - 0.5) * 24
    g = torch.randn(n, dtype=dtype)
    y = torch.empty(n, dtype=dtype)
    o = torch.empty(n, dtype=dtype)
    FORWARD[spec](x, y)
    if spec == "logsigmoid":
        BUFFERS[id(x)] = A.log_sigmoid_forward(x)[1]
    if backward:
        return lambda: BACKWARD[spec](x, y, g, o)
    return lambda: FORWARD[spec](x, y)


def warm_up(f):
    """Calls per sample (≥ 2 ms), after 20 ms of calls, as `nonlin bench` does."""
    t = time.perf_counter()
    while time.perf_counter() - t < 0.02:
        f()
    t = time.perf_counter()
    f()
    once = max(time.perf_counter() - t, 1e-9)
    return max(1, min(100000, int(2e-3 / once) + 1))


def sample(f, reps):
    """Nanoseconds per call over `reps` calls."""
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps * 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1024,65536,16777216")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--backward", action="store_true")
    ap.add_argument("--from-output", action="store_true", help="with --backward: nonlin's gradient from the forward's output (sigmoid, tanh) or buffer (logsigmoid)")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time both sides this many times per spec (alternating) and report the medians: this "
                         "machine's speed drifts between runs, sometimes by 2x for PyTorch")
    ap.add_argument("--pairs", type=int, default=0,
                    help="instead of each side's median of 7 samples, take this many pairs of samples back to back "
                         "(nonlin's from `nonlin bench --serve`, then PyTorch's) per round and report the medians "
                         "of the pairs' figures and ratios: the two sides of each ratio ran in the same phase of "
                         "this VM, whose speed drifts over tens of milliseconds")
    ap.add_argument("--pin", type=int, metavar="CPU",
                    help="run this script and nonlin on this CPU only (with --threads 1): with --pairs the two "
                         "processes then take turns on one vCPU instead of waking an idle one for every sample")
    ap.add_argument("specs", nargs="*")
    args = ap.parse_args()
    if args.pin is not None:
        if args.threads != 1:
            ap.error("--pin needs --threads 1")
        os.sched_setaffinity(0, {args.pin})
    if args.pairs > 0 and args.threads > 1:
        print("warning: --pairs with more than one thread favours PyTorch: its OpenMP workers still spin when "
              "nonlin's sample starts, and nonlin's pool has parked (use --rounds)", file=sys.stderr)
    torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",")]
    specs = args.specs or list(FORWARD)
    dtype = getattr(torch, args.dtype)
    base = ["target/release/nonlin", "bench", "--sizes", args.sizes, "--threads", str(args.threads), "--json",
            "--dtype", "f64" if args.dtype == "float64" else "f32"]
    if args.backward:
        base.append("--backward")
    if args.from_output:
        base.append("--from-output")
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nonlin-cli"], check=True)

    def nonlin(spec):
        # One spec at a time, just before PyTorch runs it: both sides see the same machine state.
        out = subprocess.run([*base, spec], check=True, capture_output=True, text=True).stdout
        return {r["size"]: r for r in map(json.loads, out.splitlines())}

    simd = json.loads(subprocess.run([*base[:2], "relu", "--sizes", "64", "--json"], check=True,
                                     capture_output=True, text=True).stdout.splitlines()[0])["simd"]
    print(f"CPU: {cpu_name()}; torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), "
          f"{torch.get_num_threads()} thread(s); nonlin simd {simd}; "
          f"{'backward' if args.backward else 'forward'}{' from the saved output/buffer' if args.from_output else ''}, {args.dtype}")
    if args.markdown:
        print("| spec | size | PyTorch Gelem/s | nonlin Gelem/s | ratio |\n|---|---:|---:|---:|---:|")
    else:
        print(f"{'spec':34} {'size':>9} {'torch Gelem/s':>14} {'nonlin Gelem/s':>15} {'ratio':>7}")
    for spec in specs:
        rows = {n: [] for n in sizes}
        for _ in range(args.rounds):
            if args.pairs > 0:
                for n, triples in paired(base, spec, sizes, dtype, args.backward, args.pairs).items():
                    rows[n].extend(triples)
                continue
            ours = nonlin(spec)
            for n in sizes:
                ns = time_ns(call(spec, n, dtype, args.backward))
                t, m = n / ns, ours[n]["gelem_per_s"]
                rows[n].append((t, m, m / t))
        for n in sizes:
            t, m, ratio = (statistics.median(c) for c in zip(*rows[n]))
            if args.markdown:
                print(f"| {spec} | {n} | {t:.3f} | {m:.3f} | {ratio:.2f}x |")
            else:
                print(f"{spec:34} {n:>9} {t:>14.3f} {m:>15.3f} {ratio:>6.2f}x")

if __name__ == "__main__":
    main()
