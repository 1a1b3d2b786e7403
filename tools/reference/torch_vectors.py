#!/usr/bin/env python3
"""Reference vectors for nonlin's activation tests, from real PyTorch and from mpmath.

For every activation and several parameter settings, in float32 and float64, this writes inputs x (special
values, each kink and its float neighbours, tails, a dense grid, random points), PyTorch's forward output y, a
random upstream gradient gy, PyTorch's input gradient gx, and high-precision values of f(x) and gy·f'(x) computed
with mpmath at 60 digits or more (rounded to float64; exact rational math for the piecewise-linear ones).

Run (from the repository root, in a venv outside the repo):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.15.0 numpy mpmath
    /tmp/torchenv/bin/python tools/reference/torch_vectors.py crates/nonlin/tests/data

Output: torch_vectors.json (manifest: spec, dtype, kind, offsets) and torch_vectors.bin (little-endian arrays).
"""

import json
import math
import struct
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import torch
import torch.nn.functional as F

TORCH_VERSION = "2.15.0"
SEED = 20261126
mp.mp.dps = 60

NAN, INF = float("nan"), float("inf")
SQRT2 = mp.sqrt(2)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sig(x):
    return 1 / (1 + mp.exp(-x))


# Beyond |x| = 1e4 the normal tail is below e^(-5e7), far under float64's smallest subnormal (and mpmath's erfc
# overflows its own series test for |x| near 1e300).
def ncdf(x):
    if abs(x) > 1e4:
        return mp.mpf(1 if x > 0 else 0)
    return mp.erfc(-x / SQRT2) / 2


def npdf(x):
    if abs(x) > 1e4:
        return mp.mpf(0)
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def elu_ref(alpha, scale=1.0, input_scale=1.0):
    a, s, i = mp.mpf(alpha), mp.mpf(scale), mp.mpf(input_scale)
    f = lambda x: a * s * mp.expm1(x * i) if x <= 0 else x * s
    df = lambda x: a * s * i * mp.exp(x * i) if x <= 0 else s
    return f, df


def gelu_tanh_ref():
    k, c = mp.sqrt(2 / mp.pi), mp.mpf(0.044715)

    def f(x):
        return x * sig(2 * k * (x + c * x**3))

    def df(x):
        # (1 + tanh u)/2 = σ(2u) and 1 − tanh²u = 4σ(2u)σ(−2u): the same derivative without cancellation.
        u = k * (x + c * x**3)
        return sig(2 * u) + 2 * x * sig(2 * u) * sig(-2 * u) * k * (1 + 3 * c * x * x)

    return f, df


def softplus_ref(beta, threshold):
    b, th = mp.mpf(beta), mp.mpf(threshold)
    f = lambda x: x if x * b > th else mp.log1p(mp.exp(b * x)) / b
    df = lambda x: mp.mpf(1) if x * b > th else sig(b * x)
    return f, df


def mish_f(x):
    return x * mp.tanh(mp.log1p(mp.exp(x)))


def mish_df(x):
    t = mp.tanh(mp.log1p(mp.exp(x)))
    return t + x * (1 - t * t) * sig(x)


def tanhshrink_f(x):
    return x - mp.tanh(x)


# Each case: spec (nonlin's syntax), torch function, kind ("exact": piecewise-linear, compared bit for bit;
# "smooth": compared with tolerances), kinks (points where the derivative jumps or the branch switches),
# mpmath f and f' (smooth only), and the mathematical limits (f(-inf), f(inf), f'(-inf), f'(inf)).
def cases():
    out = []

    def exact(spec, fn, kinks, f, df, limits):
        # Compared bit for bit with PyTorch; f and df (exact rational math in mpmath) measure PyTorch's own
        # rounding, which nonlin shares.
        out.append(dict(spec=spec, fn=fn, kind="exact", kinks=kinks, f=f, df=df, limits=limits))

    def smooth(spec, fn, f, df, limits, kinks=(0.0,)):
        out.append(dict(spec=spec, fn=fn, kind="smooth", kinks=list(kinks), f=f, df=df, limits=limits))

    one, zero = mp.mpf(1), mp.mpf(0)
    exact("relu", F.relu, [0.0], lambda x: x if x > 0 else zero, lambda x: one if x > 0 else zero,
          (0.0, INF, 0.0, 1.0))
    exact("relu6", F.relu6, [0.0, 6.0], lambda x: min(max(x, zero), 6), lambda x: one if 0 < x < 6 else zero,
          (0.0, 6.0, 0.0, 0.0))
    for s in (0.01, 0.2, -0.5):
        exact(f"leaky_relu:negative_slope={s}", lambda x, s=s: F.leaky_relu(x, s), [0.0],
              lambda x, s=s: x if x > 0 else x * mp.mpf(s), lambda x, s=s: one if x > 0 else mp.mpf(s),
              (-INF * s, INF, s, 1.0))
    for w in (0.25, -0.1):
        exact(f"prelu:weight={w}", lambda x, w=w: F.prelu(x, torch.tensor([w], dtype=x.dtype)), [0.0],
              lambda x, w=w: x if x > 0 else x * mp.mpf(w), lambda x, w=w: one if x > 0 else mp.mpf(w),
              (-INF * w, INF, w, 1.0))
    for lo, up in ((1 / 8, 1 / 3), (0.1, 0.5)):
        m = (mp.mpf(lo) + mp.mpf(up)) / 2
        exact(f"rrelu:lower={lo!r},upper={up!r}", lambda x, lo=lo, up=up: F.rrelu(x, lo, up, training=False), [0.0],
              lambda x, m=m: x if x > 0 else x * m, lambda x, m=m: one if x > 0 else m,
              (-INF, INF, float(m), 1.0))
    for a in (1.0, 0.5, 2.0):
        f, df = elu_ref(a)
        smooth(f"elu:alpha={a}", lambda x, a=a: F.elu(x, a), f, df, (-a, INF, 0.0, 1.0))
    for a in (1.0, 0.5, 3.0):
        f, df = elu_ref(a, 1.0, 1.0 / a)
        smooth(f"celu:alpha={a}", lambda x, a=a: F.celu(x, a), f, df, (-a, INF, 0.0, 1.0))
    f, df = elu_ref(SELU_ALPHA, SELU_SCALE)
    smooth("selu", F.selu, f, df, (-SELU_ALPHA * SELU_SCALE, INF, 0.0, SELU_SCALE))
    smooth("gelu", F.gelu, lambda x: x * ncdf(x), lambda x: ncdf(x) + x * npdf(x), (-0.0, INF, 0.0, 1.0))
    f, df = gelu_tanh_ref()
    smooth("gelu:approximate=tanh", lambda x: F.gelu(x, approximate="tanh"), f, df, (-0.0, INF, 0.0, 1.0))
    smooth("silu", F.silu, lambda x: x * sig(x), lambda x: sig(x) * (1 + x * (1 - sig(x))), (-0.0, INF, 0.0, 1.0))
    smooth("mish", F.mish, mish_f, mish_df, (-0.0, INF, 0.0, 1.0))
    for beta, th in ((1.0, 20.0), (2.0, 5.0), (0.5, 100.0)):
        f, df = softplus_ref(beta, th)
        smooth(f"softplus:beta={beta},threshold={th}", lambda x, b=beta, t=th: F.softplus(x, b, t), f, df,
               (0.0, INF, 0.0, 1.0), kinks=(0.0, th / beta))
    smooth("softsign", F.softsign, lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2, (-1.0, 1.0, 0.0, 0.0))
    smooth("sigmoid", torch.sigmoid, sig, lambda x: sig(x) * sig(-x), (0.0, 1.0, 0.0, 0.0))
    smooth("tanh", torch.tanh, mp.tanh, lambda x: mp.sech(x) ** 2, (-1.0, 1.0, 0.0, 0.0))
    smooth("logsigmoid", F.logsigmoid, lambda x: -mp.log1p(mp.exp(-x)), lambda x: sig(-x), (-INF, -0.0, 1.0, 0.0))
    for lo, hi in ((-1.0, 1.0), (-2.0, 3.0), (0.5, 0.5)):
        exact(f"hardtanh:min_val={lo},max_val={hi}", lambda x, lo=lo, hi=hi: F.hardtanh(x, lo, hi), [lo, hi],
              lambda x, lo=lo, hi=hi: min(max(x, mp.mpf(lo)), mp.mpf(hi)),
              lambda x, lo=lo, hi=hi: one if lo < x < hi else zero, (lo, hi, 0.0, 0.0))
    exact("hardsigmoid", F.hardsigmoid, [-3.0, 3.0], lambda x: min(max(x + 3, zero), 6) / 6,
          lambda x: one / 6 if -3 < x < 3 else zero, (0.0, 1.0, 0.0, 0.0))
    exact("hardswish", F.hardswish, [-3.0, 0.0, 3.0], lambda x: x * min(max(x + 3, zero), 6) / 6,
          lambda x: zero if x <= -3 else (one if x >= 3 else x / 3 + one / 2), (-0.0, INF, 0.0, 1.0))
    for lam in (0.5, 1.5, 0.0):
        exact(f"hardshrink:lambd={lam}", lambda x, lam=lam: F.hardshrink(x, lam), [-lam, lam],
              lambda x, lam=lam: zero if -lam <= x <= lam else x, lambda x, lam=lam: zero if -lam <= x <= lam else one,
              (-INF, INF, 1.0, 1.0))
    for lam in (0.5, 2.0, 0.0):
        exact(f"softshrink:lambd={lam}", lambda x, lam=lam: F.softshrink(x, lam), [-lam, lam],
              lambda x, lam=lam: x - lam if x > lam else (x + lam if x < -lam else zero),
              lambda x, lam=lam: zero if -lam <= x <= lam else one, (-INF, INF, 1.0, 1.0))
    smooth("tanhshrink", F.tanhshrink, tanhshrink_f, lambda x: mp.tanh(x) ** 2, (-INF, INF, 1.0, 1.0))
    for th, v in ((0.5, -3.0), (0.0, 0.0), (-1.0, 2.0)):
        exact(f"threshold:threshold={th},value={v}", lambda x, th=th, v=v: F.threshold(x, th, v), [th],
              lambda x, th=th, v=v: mp.mpf(v) if x <= th else x, lambda x, th=th: zero if x <= th else one,
              (v, INF, 0.0, 1.0))
    return out


def points(dtype, kinks, rng):
    """Inputs for one case, as float64 values exactly representable in dtype."""
    fi = np.finfo(dtype)
    tiny_sub = float(np.nextafter(dtype(0), dtype(1)))
    special = [0.0, -0.0, INF, -INF, NAN, tiny_sub, -tiny_sub, float(fi.tiny), -float(fi.tiny),
               float(fi.tiny) - tiny_sub, float(fi.max), -float(fi.max), 1.0, -1.0, 0.5, -0.5]
    mags = [1e-45, 1e-38, 1e-20, 1e-8, 1e-5, 1e-3, 0.01, 0.1, 0.3, 2.0, 5.5, 7.0, 9.0, 12.0, 15.0, 20.0, 30.0,
            40.0, 60.0, 87.0, 88.5, 89.0, 100.0, 103.0, 104.0, 200.0, 500.0, 700.0, 710.0, 745.0, 750.0, 1e4,
            1e10, 1e20, 1e38, 1e100, 1e300]
    tails = [s * m for m in mags for s in (1.0, -1.0)]
    near = []
    for k in kinks:
        k = dtype(k)
        near += [float(k), float(np.nextafter(k, dtype(-INF))), float(np.nextafter(k, dtype(INF)))]
    dense = list(np.linspace(-8.0, 8.0, 65))
    rand = list(rng.standard_normal(32) * 3.0) + list(rng.standard_normal(16) * 30.0)
    xs = []
    # PyTorch's CPU kernels run a vectorized loop over blocks and a scalar loop over the tail, and the two differ
    # at NaN and -0.0 for several activations. Pad to a multiple of 64 so that every point takes the vectorized
    # path, which is what all but a few elements of any real tensor take.
    pad = list(rng.standard_normal(64) * 4.0)
    for v in special + tails + near + dense + rand:
        with np.errstate(over="ignore", under="ignore"):
            c = dtype(v)
        if math.isinf(float(c)) and not math.isinf(v):
            continue  # out of range for this dtype
        if float(c) == 0.0 and v != 0.0:
            continue  # underflows
        xs.append(float(c))
    xs += pad[: (-len(xs)) % 64]
    return np.array(xs, dtype=dtype)


def reference(case, x):
    """mpmath f(x) and f'(x) at 60 digits, with limits at ±inf and NaN at NaN."""
    if math.isnan(x):
        return NAN, NAN
    if math.isinf(x):
        lo, hi, dlo, dhi = case["limits"]
        return (hi, dhi) if x > 0 else (lo, dlo)
    # x − tanh x and friends cancel near 0: give tiny inputs enough digits (x³ needs 3·|log10 x| more).
    extra = 3 * max(0, -int(math.log10(abs(x)))) if x != 0 else 0
    with mp.workdps(60 + extra):
        xm = mp.mpf(x)
        return case["f"](xm), case["df"](xm)


# Each item of ../shared/PYTORCH_SEMANTICS.md as points to evaluate: (rule, spec, torch function, inputs).
# nonlin must give PyTorch's value bit for bit (sign of zero included) unless the rule lists nonlin's own value
# and the reason, where PyTorch's answer is NaN or inaccurate.
def semantics_rules():
    sp = lambda x: F.softplus(x)
    return [
        ("relu: 0 at x = 0 (gradient 0), keeps -0.0, NaN propagates with gradient passing",
         "relu", F.relu, [0.0, -0.0, NAN, -1.0, 1.0]),
        ("relu6: gradient 0 at 0 and at 6, keeps -0.0", "relu6", F.relu6, [0.0, 6.0, -0.0, NAN, 5.999999]),
        ("leaky_relu: slope at x = 0, keeps -0.0", "leaky_relu", F.leaky_relu, [0.0, -0.0, NAN, -2.0]),
        ("prelu: dx = w at x <= 0, keeps -0.0", "prelu:weight=0.25",
         lambda x: F.prelu(x, torch.tensor([0.25], dtype=x.dtype)), [0.0, -0.0, NAN, -2.0]),
        ("rrelu eval: leaky with (lower+upper)/2", "rrelu", lambda x: F.rrelu(x, training=False), [0.0, -0.0, -3.0]),
        ("elu: alpha at x = 0 (negative branch), no 0*inf at -inf, keeps -0.0", "elu:alpha=1.5",
         lambda x: F.elu(x, 1.5), [0.0, -0.0, -INF, INF, NAN]),
        ("celu: 1 at x = 0", "celu:alpha=2", lambda x: F.celu(x, 2.0), [0.0, -0.0, -INF]),
        ("selu: alpha*scale at x = 0", "selu", F.selu, [0.0, -0.0, -INF, INF]),
        ("gelu: exact derivative, keeps -0.0; limits at +-inf (torch NaN)", "gelu", F.gelu, [0.0, -0.0, INF, -INF, NAN]),
        ("gelu tanh: analytic derivative of the tanh formula; limits at +-inf", "gelu:approximate=tanh",
         lambda x: F.gelu(x, approximate="tanh"), [0.0, -0.0, INF, -INF]),
        ("silu: 0.5 at 0, keeps -0.0; limit 0 at -inf (torch NaN)", "silu", F.silu, [0.0, -0.0, INF, -INF]),
        ("mish: 0.6 at 0; limit 0 at -inf (torch NaN)", "mish", F.mish, [0.0, -0.0, INF, -INF]),
        ("softplus: strict > threshold switch", "softplus", sp, [20.0, 20.000002, 19.999998, INF, -INF]),
        ("softsign: 1 at 0; limits +-1 at +-inf (torch NaN)", "softsign", F.softsign, [0.0, -0.0, INF, -INF]),
        ("sigmoid: 1/4 at 0, limits at +-inf", "sigmoid", torch.sigmoid, [0.0, INF, -INF, NAN]),
        ("tanh: odd, keeps -0.0, derivative 0 at +-inf", "tanh", torch.tanh, [0.0, -0.0, INF, -INF]),
        ("logsigmoid: stable at both ends", "logsigmoid", F.logsigmoid, [0.0, INF, -INF, -1000.0, 1000.0]),
        ("hardtanh: 0 at and beyond the bounds", "hardtanh", F.hardtanh, [-1.0, 1.0, -0.0, 2.0, NAN]),
        ("hardsigmoid: 1/6 on the open interval (-3, 3), else 0", "hardsigmoid", F.hardsigmoid,
         [-3.0, 3.0, 0.0, NAN]),
        ("hardswish: 0 at -3, 1 at +3 (torch 2.15), keeps -0.0", "hardswish", F.hardswish, [-3.0, 3.0, -0.0, -INF]),
        ("hardshrink: 0 on the closed interval, -0.0 becomes +0.0", "hardshrink", F.hardshrink,
         [0.5, -0.5, -0.0, NAN, 0.6]),
        ("softshrink: 0 on the closed interval", "softshrink", F.softshrink, [0.5, -0.5, -0.0, -0.3, NAN, 0.6]),
        ("tanhshrink: -0.0 becomes +0.0, derivative tanh^2", "tanhshrink", F.tanhshrink, [0.0, -0.0, INF]),
        ("threshold: value at x <= threshold, +0.0 for -0.0", "threshold:threshold=0,value=0",
         lambda x: F.threshold(x, 0.0, 0.0), [0.0, -0.0, NAN, 1.0]),
    ]


def semantics():
    """PyTorch's value and derivative (upstream gradient 1) at each rule's points, on the vectorized path."""
    out = []
    for rule, spec, fn, xs in semantics_rules():
        for tdtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
            x = torch.zeros(64, dtype=tdtype)
            x[: len(xs)] = torch.tensor(xs, dtype=tdtype)
            x.requires_grad_(True)
            y = fn(x)
            y.backward(torch.ones_like(y))
            n = len(xs)
            out.append({"rule": rule, "spec": spec, "dtype": tag, "x": bits_of(x.detach()[:n]),
                        "y": bits_of(y.detach()[:n]), "dydx": bits_of(x.grad[:n])})
    return out


def bits_of(t):
    return [f"{struct.unpack('<Q', struct.pack('<d', float(v)))[0]:016x}" for v in t.reshape(-1)]


def prelu_channels(rng):
    """Per-channel PReLU: forward, input gradient and weight gradient for a few shapes."""
    out = []
    for shape, weight in (((2, 3, 4), [0.25, -0.1, 0.5]), ((4, 3), [0.2, 0.3, 0.4]), ((5,), [0.25]),
                          ((2, 2, 2, 3), [0.1, 0.7])):
        for tdtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
            x = torch.tensor(rng.standard_normal(shape), dtype=tdtype)
            x.view(-1)[0] = 0.0
            x.view(-1)[1] = -0.0
            x.requires_grad_(True)
            w = torch.tensor(weight, dtype=tdtype, requires_grad=True)
            gy = torch.tensor(rng.standard_normal(shape), dtype=tdtype)
            y = F.prelu(x, w)
            y.backward(gy)
            out.append({"dtype": tag, "shape": list(shape), "x": bits_of(x.detach()), "weight": bits_of(w.detach()),
                        "gy": bits_of(gy), "y": bits_of(y.detach()), "gx": bits_of(x.grad), "gw": bits_of(w.grad)})
    return out


def main():
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/nonlin/tests/data")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"expected torch {TORCH_VERSION}, found {torch.__version__}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    blob = bytearray()
    manifest = {"generator": "tools/reference/torch_vectors.py", "torch": torch.__version__,
                "mpmath": mp.__version__, "seed": SEED, "cases": []}
    for case in cases():
        for dtype, tdtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
            x = points(dtype, case["kinks"], rng)
            gy = (rng.standard_normal(len(x))).astype(dtype)
            xt = torch.tensor(x, dtype=tdtype, requires_grad=True)
            yt = case["fn"](xt)
            yt.backward(torch.tensor(gy, dtype=tdtype))
            y, gx = yt.detach().numpy(), xt.grad.numpy()
            refs = [reference(case, float(v)) for v in x]
            ry = np.array([float(f) for f, _ in refs])
            rgx = np.array([float(mp.mpf(float(g)) * d) if mp.isfinite(d) else float(g) * float(d)
                            for (_, d), g in zip(refs, gy)])
            entry = {"spec": case["spec"], "dtype": "f32" if dtype is np.float32 else "f64", "kind": case["kind"],
                     "n": len(x), "offset": len(blob)}
            for arr in (x, y, gy, gx):
                blob += np.ascontiguousarray(arr, dtype=dtype).astype("<" + np.dtype(dtype).str[1:]).tobytes()
            for arr in (ry, rgx):
                blob += np.ascontiguousarray(arr, dtype="<f8").tobytes()
            manifest["cases"].append(entry)
    manifest["semantics"] = semantics()
    manifest["prelu_channels"] = prelu_channels(rng)
    (out_dir / "torch_vectors.bin").write_bytes(bytes(blob))
    (out_dir / "torch_vectors.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest['cases'])} cases, {len(blob)} bytes -> {out_dir}")


if __name__ == "__main__":
    main()
