#!/usr/bin/env python3
"""An independent Monte Carlo of "born dead" networks (Lu et al.), in numpy with its own random generator, to
check `nonlin experiment dying-relu`: the probability that a 1-input network of `depth` weight layers (`depth − 1`
hidden layers of `width` units, then one linear output) is constant on [−1, 1].

Run: /tmp/torchenv/bin/python tools/reference/born_dead.py crates/nonlin-cli/tests/data/born_dead_numpy.json
"""

import json
import sys

import numpy as np

TRIALS = 4000
CELLS = [(2, 2), (2, 5), (2, 10), (3, 10), (4, 20), (5, 30), (10, 50), (3, 50)]


def collapsed(rng, act, init, width, depth):
    x = np.linspace(-1.0, 1.0, 201)[:, None]
    h = x
    for layer in range(depth):
        fan_in = h.shape[1]
        fan_out = 1 if layer + 1 == depth else width
        hidden = layer + 1 < depth
        if init == "randomized_asymmetric" and hidden:
            sigma = 0.6007 / np.sqrt(fan_in)
            w = rng.normal(0.0, sigma, (fan_out, fan_in))
            b = rng.normal(0.0, sigma, fan_out)
            for u in range(fan_out):
                k = rng.integers(0, fan_in + 1)
                v = rng.beta(2.0, 1.0)
                if k == fan_in:
                    b[u] = v
                else:
                    w[u, k] = v
        else:
            w = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_out, fan_in))
            b = np.zeros(fan_out)
        h = h @ w.T + b
        if hidden:
            h = np.maximum(h, 0.0) if act == "relu" else np.where(h > 0, h, 0.01 * h)
    y = h[:, 0]
    return bool(np.all(np.abs(y - y[0]) <= 1e-9 * np.max(np.abs(y))))


def main():
    rng = np.random.default_rng(2026)
    rows = []
    for act, init in (("relu", "he_normal"), ("relu", "randomized_asymmetric"), ("leaky_relu", "he_normal")):
        for width, depth in CELLS:
            hits = sum(collapsed(rng, act, init, width, depth) for _ in range(TRIALS))
            rows.append({"activation": act, "init": init, "width": width, "depth": depth, "trials": TRIALS,
                         "probability": hits / TRIALS})
    out = sys.argv[1] if len(sys.argv) > 1 else "born_dead_numpy.json"
    with open(out, "w") as f:
        json.dump({"generator": "tools/reference/born_dead.py", "numpy": np.__version__, "rows": rows}, f, indent=1)
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
