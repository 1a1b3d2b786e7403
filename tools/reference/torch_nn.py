#!/usr/bin/env python3
"""Reference data for nonlin-nn's tests, from real PyTorch: tensor reprs, manual_seed streams, Linear init,
Linear + activation forward/backward, module reprs, grad_fn names, and the text of `nonlin demo --seed S`.

Run (from the repository root, in the venv of torch_vectors.py):
    /tmp/torchenv/bin/python tools/reference/torch_nn.py crates/nonlin-nn/tests/data
Writes torch_nn.json; floats are stored as the hex bit pattern of the value as a float64.
"""

import json
import struct
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

TORCH_VERSION = "2.15.0"
NAN, INF = float("nan"), float("inf")


def bits(t):
    return [f"{struct.unpack('<Q', struct.pack('<d', float(v)))[0]:016x}" for v in t.detach().reshape(-1).tolist()]


def dt(tag):
    return torch.float32 if tag == "f32" else torch.float64


def repr_cases():
    cases = []
    seeds = iter(range(1000, 2000))

    def add(values, shape, dtype, op):
        # Random values are stored as the recipe `manual_seed(seed); randn(n, dtype=float64) * scale`, which the
        # Rust test replays with nonlin's generator (itself checked against PyTorch's streams below).
        recipe = None
        if isinstance(values, tuple):
            seed, n, scale = values
            torch.manual_seed(seed)
            values = (torch.randn(n, dtype=torch.float64) * scale).tolist()
            recipe = {"seed": seed, "n": n, "scale": scale}
        t = torch.tensor(values, dtype=dt(dtype)).reshape(shape)
        if op == "requires_grad":
            t.requires_grad_(True)
        elif op in ("relu", "mul1"):
            t.requires_grad_(True)
            t = F.relu(t) if op == "relu" else t * 1.0
        case = {"dtype": dtype, "shape": list(shape), "op": op, "repr": repr(t)}
        if recipe:
            case["randn"] = recipe
        else:
            case["values"] = bits(torch.tensor(values, dtype=torch.float64))
        cases.append(case)

    def rnd(n, scale=1.0):
        return (next(seeds), n, scale)

    for dtype in ("f32", "f64"):
        add([1.5], [], dtype, "none")
        add([-0.0], [], dtype, "none")
        add([3.0], [], dtype, "requires_grad")
        add([], [0], dtype, "none")
        add([], [2, 0], dtype, "none")
        add([1.0, 2.0, 3.0], [3], dtype, "none")
        add([0.0, -0.0, 0.0], [3], dtype, "none")
        add([1.0, -0.0, 2.5], [3], dtype, "none")
        add([NAN, INF, -INF, 1.0], [4], dtype, "none")
        add([NAN, INF, -INF], [3], dtype, "none")
        add([NAN, 1.25, -INF, 1e-5], [4], dtype, "none")
        add([1e10, 1.0, -3.0], [3], dtype, "none")
        add([1e-5, 1.0], [2], dtype, "none")
        add([123456789.0, 2.0], [2], dtype, "none")
        add([100.0, 2000.0, -5.0], [3], dtype, "none")
        add([1e8, 1e9, -5.0], [3], dtype, "none")
        add(rnd(10), [1, 10], dtype, "none")
        add(rnd(10), [1, 10], dtype, "relu")
        add(rnd(5), [1, 5], dtype, "mul1")
        add(rnd(8), [8], dtype, "requires_grad")
        add(rnd(24), [2, 3, 4], dtype, "none")
        add(rnd(24, 1000.0), [4, 6], dtype, "none")
        add(rnd(30, 1e-3), [30], dtype, "mul1")
        add(rnd(12), [3, 4], dtype, "relu")
        add(rnd(60), [60], dtype, "none")
        add(rnd(2000), [2000], dtype, "none")
        add(rnd(1200), [30, 40], dtype, "relu")
        add(rnd(1500, 1e6), [10, 10, 15], dtype, "none")
        add(rnd(1001, 0.01), [7, 11, 13], dtype, "mul1")
        add([float(i) for i in range(1100)], [1100], dtype, "none")
        add(rnd(14, 1e4), [2, 7], dtype, "mul1")
    return cases


def rng_streams():
    out = []
    for seed in (0, 1, 42, 2**32 + 7):
        for dtype in ("f32", "f64"):
            steps = []
            torch.manual_seed(seed)
            for call, n in (("randn", 1), ("randn", 3), ("randn", 15), ("randn", 16), ("randn", 17), ("rand", 5),
                            ("randn", 33), ("rand", 20), ("uniform_", 7), ("normal_", 19), ("randn", 5),
                            ("normal_", 3)):
                if call == "randn":
                    t = torch.randn(n, dtype=dt(dtype))
                elif call == "rand":
                    t = torch.rand(n, dtype=dt(dtype))
                elif call == "uniform_":
                    t = torch.empty(n, dtype=dt(dtype)).uniform_(-0.3, 0.7)
                else:
                    t = torch.empty(n, dtype=dt(dtype)).normal_(1.5, 2.0)
                steps.append({"call": call, "n": n, "values": bits(t)})
            out.append({"seed": seed, "dtype": dtype, "steps": steps})
    return out


def linear_inits():
    out = []
    for seed, (i, o, b) in ((0, (10, 5, True)), (3, (3, 4, False)), (7, (20, 30, True)), (11, (1, 1, True))):
        for dtype in ("f32", "f64"):
            torch.manual_seed(seed)
            layer = nn.Linear(i, o, bias=b, dtype=dt(dtype))
            out.append({"seed": seed, "dtype": dtype, "in": i, "out": o, "bias": b, "weight": bits(layer.weight),
                        "bias_values": bits(layer.bias) if b else None, "repr": repr(layer)})
    return out


ACTIVATIONS = [
    ("relu", nn.ReLU()), ("relu6", nn.ReLU6()), ("leaky_relu", nn.LeakyReLU()),
    ("leaky_relu:negative_slope=0.2", nn.LeakyReLU(0.2)), ("rrelu", None), ("elu", nn.ELU()),
    ("elu:alpha=0.5", nn.ELU(0.5)), ("celu:alpha=2", nn.CELU(2.0)), ("selu", nn.SELU()), ("gelu", nn.GELU()),
    ("gelu:approximate=tanh", nn.GELU(approximate="tanh")), ("silu", nn.SiLU()), ("mish", nn.Mish()),
    ("softplus", nn.Softplus()), ("softplus:beta=2,threshold=5", nn.Softplus(2.0, 5.0)), ("softsign", nn.Softsign()),
    ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh()), ("logsigmoid", nn.LogSigmoid()), ("hardtanh", nn.Hardtanh()),
    ("hardtanh:min_val=-2,max_val=3", nn.Hardtanh(-2.0, 3.0)), ("hardsigmoid", nn.Hardsigmoid()),
    ("hardswish", nn.Hardswish()), ("hardshrink", nn.Hardshrink()), ("softshrink:lambd=0.3", nn.Softshrink(0.3)),
    ("tanhshrink", nn.Tanhshrink()), ("threshold:threshold=0.1,value=-1", nn.Threshold(0.1, -1.0)),
]


def linear_activation():
    """Linear(6, 4) then each activation: forward, input and parameter gradients."""
    out = []
    for spec, module in ACTIVATIONS + [("prelu_module", None)]:
        for dtype in ("f32", "f64"):
            torch.manual_seed(5)
            layer = nn.Linear(6, 4, dtype=dt(dtype))
            x = torch.randn(3, 6, dtype=dt(dtype)) * 2
            x.requires_grad_(True)
            if spec == "rrelu":
                module = nn.RReLU().eval()
            prelu = nn.PReLU(4, 0.1, dtype=dt(dtype)) if spec == "prelu_module" else None
            act = prelu if prelu is not None else module
            y = act(layer(x))
            gy = torch.randn(y.shape, dtype=dt(dtype))
            y.backward(gy)
            out.append({"spec": spec, "dtype": dtype, "x": bits(x), "weight": bits(layer.weight),
                        "bias": bits(layer.bias), "y": bits(y), "gy": bits(gy), "gx": bits(x.grad),
                        "gw": bits(layer.weight.grad), "gb": bits(layer.bias.grad), "grad_fn": type(y.grad_fn).__name__,
                        "prelu_grad": bits(prelu.weight.grad) if prelu is not None else None,
                        "module_repr": repr(act)})
    return out


def rrelu_training():
    """nn.RReLU in training mode draws its slopes from the default generator: values and input gradient."""
    out = []
    for dtype in ("f32", "f64"):
        torch.manual_seed(21)
        x = torch.randn(40, dtype=dt(dtype))
        x.requires_grad_(True)
        y = nn.RReLU(0.1, 0.4)(x)
        y.backward(torch.ones_like(y))
        after = torch.rand(3, dtype=dt(dtype))
        out.append({"dtype": dtype, "y": bits(y), "gx": bits(x.grad), "rand_after": bits(after)})
    return out


def fnv1a64(data: bytes) -> str:
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def randn_digests():
    """FNV-1a digests of the little-endian bytes of randn(1000) for many seeds: checks far more samples than
    can be stored (the float32 path runs PyTorch's vectorized Box-Muller)."""
    out = []
    for dtype in ("f32", "f64"):
        for seed in range(40):
            torch.manual_seed(seed)
            t = torch.randn(1000, dtype=dt(dtype))
            out.append({"dtype": dtype, "seed": seed, "n": 1000, "fnv1a64": fnv1a64(t.numpy().tobytes())})
    return out


def inits():
    """Each torch.nn.init function on a (5, 7) tensor after manual_seed."""
    out = []
    calls = {
        "kaiming_uniform_": lambda t: nn.init.kaiming_uniform_(t, a=0.1, mode="fan_in", nonlinearity="leaky_relu"),
        "kaiming_uniform_relu_fan_out": lambda t: nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
        "kaiming_normal_": lambda t: nn.init.kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="relu"),
        "xavier_uniform_": lambda t: nn.init.xavier_uniform_(t, gain=nn.init.calculate_gain("tanh")),
        "xavier_normal_": lambda t: nn.init.xavier_normal_(t, gain=1.0),
        "zeros_": nn.init.zeros_,
        "ones_": nn.init.ones_,
    }
    for dtype in ("f32", "f64"):
        for name, fn in calls.items():
            torch.manual_seed(77)
            t = torch.empty(5, 7, dtype=dt(dtype))
            fn(t)
            out.append({"dtype": dtype, "init": name, "values": bits(t)})
    return out


def ranges():
    out = []
    for dtype in ("f32", "f64"):
        out.append({"dtype": dtype, "call": "linspace(-5, 5, 100)", "values": bits(torch.linspace(-5, 5, 100, dtype=dt(dtype)))})
        out.append({"dtype": dtype, "call": "linspace(0, 1, 7)", "values": bits(torch.linspace(0, 1, 7, dtype=dt(dtype)))})
        out.append({"dtype": dtype, "call": "arange(0, 1, 0.1)", "values": bits(torch.arange(0, 1, 0.1, dtype=dt(dtype)))})
        out.append({"dtype": dtype, "call": "arange(-3, 4, 1.5)", "values": bits(torch.arange(-3, 4, 1.5, dtype=dt(dtype)))})
    return out


def module_reprs():
    mods = [(s, repr(m)) for s, m in ACTIVATIONS if m is not None]
    mods += [("rrelu", repr(nn.RReLU())), ("rrelu:lower=0.1,upper=0.5", repr(nn.RReLU(0.1, 0.5))),
             ("hardshrink:lambd=1.5", repr(nn.Hardshrink(1.5))), ("softshrink", repr(nn.Softshrink())),
             ("celu", repr(nn.CELU())), ("threshold:threshold=0.5,value=-3", repr(nn.Threshold(0.5, -3.0))),
             ("prelu", repr(nn.PReLU())), ("prelu:num_parameters=3", repr(nn.PReLU(3))),
             ("Softmax(1)", repr(nn.Softmax(dim=1))), ("LogSoftmax(-1)", repr(nn.LogSoftmax(dim=-1))),
             ("Flatten()", repr(nn.Flatten())), ("Dropout(0.2)", repr(nn.Dropout(0.2))),
             ("Sequential", repr(nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Dropout(0.5),
                                               nn.Sequential(nn.Linear(5, 2), nn.Softmax(dim=1))))),
             ("Sequential()", repr(nn.Sequential()))]
    return [{"spec": s, "repr": r} for s, r in mods]


def demo_text(seed):
    """What `nonlin demo --seed S` must print: the tutorial's program, then the same output through LeakyReLU."""
    torch.manual_seed(seed)
    layer = nn.Linear(10, 5)
    activation = nn.ReLU()
    x = torch.randn(1, 10)
    output = layer(x)
    leaky = nn.LeakyReLU()
    lines = [
        f"# torch.manual_seed({seed}); layer = nn.Linear(10, 5); activation = nn.ReLU(); x = torch.randn(1, 10)",
        "Linear layer input (x):", repr(x),
        "Raw Linear output (layer(x)):", repr(output),
        "After ReLU (activation(output)):", repr(activation(output)),
        f"After {leaky!r} instead (negative values keep a small slope):", repr(leaky(output)),
    ]
    return "\n".join(lines) + "\n"


def main():
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/nonlin-nn/tests/data")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"expected torch {TORCH_VERSION}, found {torch.__version__}")
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "generator": "tools/reference/torch_nn.py",
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "reprs": repr_cases(),
        "rng": rng_streams(),
        "linear_init": linear_inits(),
        "linear_activation": linear_activation(),
        "module_reprs": module_reprs(),
        "rrelu_training": rrelu_training(),
        "ranges": ranges(),
        "inits": inits(),
        "randn_digests": randn_digests(),
        "demo": [{"seed": s, "text": demo_text(s)} for s in (0, 1, 2, 3, 7, 42, 123, 2024, 99999, 2**32 + 7)],
    }
    (out_dir / "torch_nn.json").write_text(json.dumps(data, indent=1) + "\n")
    print("wrote", out_dir / "torch_nn.json")


if __name__ == "__main__":
    main()
