"""Coefficients of nonlin's native float32 GELU and SiLU kernels (crates/nonlin/src/gelu.rs, sigmoid.rs), against mpmath.

1. GELU (crates/nonlin/src/gelu.rs): with a = |x| and w = a/(2 + a), x·Φ(x) = −w·e^(−a²/2 + L(w)) for x = −a;
   L = ln((1 + a/2)·erfc(a/√2)·e^(a²/2)) as w·M(w), fitted for absolute error (it is the result's relative error)
   on a in [0, 14.6], coefficients rounded to f32 one at a time.
2. GELU′(x) = Φ(x) + x·φ(x) = e^(−a²/2)·B for x = −a ≤ 0 (1 − the same for x = a > 0), B = Φ(−a)·e^(a²/2) − a/√(2π)
   = (a − a0)·Q(w), a0 ≈ 0.7518 where B (and GELU′ at −a0) is zero, w as above, Q fitted on [0, 14.6/16.6] for
   relative error (the factor a − a0, exact near a0, keeps B accurate where its two terms cancel). SiLU′(x) =
   σ(x)(1 + x·σ(−x)) near its zero x0 ≈ −1.2785 as (x − x0)·T(x − x0), T fitted on [−1.33, −1.23] for relative
   error (crates/nonlin/src/sigmoid.rs; near the zero the generic formula cancels), and the tanh-GELU′ likewise near
   x0 ≈ −0.7525 on [−0.8, −0.7] (crates/nonlin/src/gelu.rs).
3. tanh (crates/nonlin/src/vmath32.rs, `tanh64`, lean f64): tanh(a)/a = P(z)/Q(z), z = a², a in [0, 9.5], degrees
   5 and 5, fitted for relative error (the f32 result must be within 0.5 + 2⁻¹¹ ULP, as PyTorch's is 0.513).
4. ln(1 + eˣ) (softplus, log-sigmoid; crates/nonlin/src/vmath32.rs): for |x| < 1, ln cosh(x/2) = u·H(u) with
   u = x², H a polynomial on [0, 1]; for |x| ≥ 1, ln(1 + t) = t + t²·P(t) with t = e^(−|x|), P on [0, 1/e].
   Both fitted for relative error and evaluated in f32.
5. eʳ for |r| ≤ ln2/2 (crates/nonlin/src/vmath32.rs, `exp64_short`, lean f64 for the tanh-GELU): degree 6, fitted
   for relative error with f64 coefficients (about 2⁻²⁹: 0.03 ULP of an f32 result).
6. eʳ − 1 = r + r²·P(r) for |r| ≤ ln2/2 (crates/nonlin/src/vmath32.rs, `expm1_poly_short`): P of degree 4, one
   less than Cephes' `expf`, coefficients in f32, for the kernels whose accuracy target leaves room.
7. The float64 GELU (crates/nonlin/src/gelu.rs, `gelu64_start`): as 1. with w = a/(4 + a), so that x·Φ(x) =
   −2w·e^(−a²/2 + L(w)), L = ln((1 + a/4)·erfc(a/√2)·e^(a²/2)) = w·M(w − W/2) on a in [0, 38.8] (beyond, the
   result rounds to 0), M by Chebyshev interpolation in mpmath, f64 coefficients. Its gradient as 2.:
   GELU′(x) = e^(−a²/2)·B for x = −a ≤ 0 (1 − the same above), B = (a − a0)·Q(w − W/2), Q likewise.
8. eʳ − 1 = r + r²·P(r) for |r| ≤ ln2/2 (crates/nonlin/src/vmath.rs, `EXPM1_P`, the float64 kernels' exp and
   expm1): P of degree 9 for the least maximum of |r·(P − P_exact)|, which bounds the relative error of both eʳ − 1
   and eʳ (Lawson in mpmath), f64 coefficients; two multiply-adds fewer than the Taylor polynomial to r¹³ it
   replaced, for 0.19 ULP of eʳ − 1 instead of 0.04.

Run: python3 tools/fit/coefficients.py  (needs numpy, mpmath; prints Rust constants and the fit errors)
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40


def erfcx_scaled(a):
    a = mp.mpf(a)
    return mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2)


def f32(v):
    """The shortest decimal that reads back as the same float32."""
    return str(np.float32(v))


def lawson(xs, fv, deg, iters):
    """Polynomial coefficients c (lowest degree first) with c(x) ≈ fv for relative error: least squares reweighted
    towards the largest errors (Lawson), and the max relative error once c is rounded to f32."""
    w = np.ones_like(xs)
    for _ in range(iters):
        mat = np.stack([xs**i for i in range(deg + 1)], 1) / fv[:, None]
        c, *_ = np.linalg.lstsq(mat * w[:, None], np.ones_like(xs) * w, rcond=None)
        err = np.polyval(c[::-1], xs) / fv - 1
        w = w * np.sqrt(np.abs(err) / np.abs(err).max()) + 1e-12
        w /= w.max()
    c32 = np.array([np.float32(v) for v in c], dtype=np.float64)
    return c, np.abs(np.polyval(c32[::-1], xs) / fv - 1).max()


def fit_times_x(xs, fv, deg, scale=None, iters=80):
    """c with x·(c[0] + c[1]·x + … + c[deg−1]·x^(deg−1)) ≈ fv for absolute error (times `scale`, if given): the
    coefficients rounded to f32 one at a time, lowest first, each time refitting the rest to what the rounding left
    (Lawson weights); rounding them all at once at the end would double the error here. Returns c and the max
    (scaled) error with c in f32."""
    scale = np.ones_like(xs) if scale is None else scale
    fixed = []
    for k in range(1, deg + 1):
        resid = fv - sum(c * xs ** (i + 1) for i, c in enumerate(fixed))
        mat = np.stack([xs**i for i in range(k, deg + 1)], 1) * scale[:, None]
        w = np.ones_like(xs)
        for _ in range(iters):
            c, *_ = np.linalg.lstsq(mat * w[:, None], resid * scale * w, rcond=None)
            err = mat @ c - resid * scale
            w = w * np.sqrt(np.abs(err) / np.abs(err).max()) + 1e-14
            w /= w.max()
        fixed.append(float(np.float32(c[0])))
    return fixed, np.abs((sum(c * xs ** (i + 1) for i, c in enumerate(fixed)) - fv) * scale).max()


def fit_zero(name, grad, guess, lo_x, hi_x, deg):
    """Prints the zero of `grad` near `guess` as an f32 pair and T with grad(x0 + d) = d·T(d) on [lo_x, hi_x]."""
    x0 = mp.findroot(grad, guess)
    hi = np.float32(float(x0))
    lo = np.float32(float(x0 - mp.mpf(float(hi))))
    print(f"// zero of {name}' at {mp.nstr(x0, 25)}")
    print(f"const {name}_ZERO_HI: f32 = {f32(hi)};")
    print(f"const {name}_ZERO_LO: f32 = {f32(lo)};")
    xs = np.linspace(lo_x, hi_x, 4001)
    d = xs - float(x0)
    d = d[np.abs(d) > 1e-6]
    tv = np.array([float(grad(x0 + mp.mpf(di)) / mp.mpf(di)) for di in d])
    c, err32 = lawson(d, tv, deg, 40)
    print(f"// T on x in [{lo_x}, {hi_x}], degree {deg}: max relative error {err32:.3e} with f32 coefficients")
    print(f"const {name}_ZERO_T: [f32; {deg + 1}] = [" + ", ".join(f32(v) for v in c) + "];")


def fit_rational(name, f, z_max, n, m, points=600, iters=30):
    """Prints P (degree n) and Q (degree m, Q(0) = 1) with P/Q ≈ f on [0, z_max] for relative error, in mpmath:
    linearized least squares |P − f·Q|/|f·Q_prev| on Chebyshev nodes (Sanathanan–Koerner), the last iterations
    reweighted towards the largest errors (Lawson)."""
    zs = [z_max * (1 - mp.cos(mp.pi * (i + mp.mpf(1) / 2) / points)) / 2 for i in range(points)]
    fs = [f(z) for z in zs]
    q_prev = [mp.mpf(1)] * points
    w = [mp.mpf(1)] * points
    for it in range(iters):
        rows, rhs = [], []
        for z, fv, qp, wi in zip(zs, fs, q_prev, w):
            s = wi / (fv * qp)
            rows.append([s * z**j for j in range(n + 1)] + [-s * fv * z**j for j in range(1, m + 1)])
            rhs.append(s * fv)
        x, _ = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))
        p = [x[j] for j in range(n + 1)]
        q = [mp.mpf(1)] + [x[n + j] for j in range(1, m + 1)]
        q_prev = [mp.polyval(q[::-1], z) for z in zs]
        errs = [mp.polyval(p[::-1], z) / qz / fv - 1 for z, fv, qz in zip(zs, fs, q_prev)]
        e_max = max(abs(e) for e in errs)
        if it >= 8:
            w = [wi * mp.sqrt(abs(e) / e_max) + mp.mpf(10) ** -30 for wi, e in zip(w, errs)]
            w = [wi / max(w) for wi in w]
    print(f"// on [0, {z_max}], degrees {n}/{m}: max relative error {mp.nstr(e_max, 3)}")
    print(f"const {name}_P: [f64; {n + 1}] = [" + ", ".join(mp.nstr(c, 20) for c in p) + "];")
    print(f"const {name}_Q: [f64; {m + 1}] = [" + ", ".join(mp.nstr(c, 20) for c in q) + "];")


def tanh_over_a(z):
    a = mp.sqrt(mp.mpf(z))
    return mp.tanh(a) / a if a else mp.mpf(1)


def fit_exp_short(deg):
    """eʳ on |r| ≤ ln2/2 as 1 + r·(c[0] + c[1]·r + …) for relative error (Lawson), f64 coefficients, checked with
    mpmath on a dense grid."""
    h = float(mp.log(2)) / 2 + 1e-6
    r = h * np.cos(np.linspace(0, np.pi, 4000))
    f = np.exp(r)
    mat = np.stack([r**k for k in range(1, deg + 1)], 1) / f[:, None]
    rhs = 1 - 1 / f
    w = np.ones_like(r)
    for _ in range(300):
        c, *_ = np.linalg.lstsq(mat * np.sqrt(w)[:, None], rhs * np.sqrt(w), rcond=None)
        w = w * np.abs(mat @ c - rhs)
        w /= w.sum()
    grid = [mp.mpf(float(v)) for v in np.linspace(-h, h, 2001)]
    err = max(abs((1 + sum(mp.mpf(float(ck)) * v ** (k + 1) for k, ck in enumerate(c))) / mp.exp(v) - 1) for v in grid)
    print(f"// e^r = 1 + r·C(r) on |r| <= ln2/2, degree {deg}: max relative error {mp.nstr(err, 3)}")
    print(f"const EXP64_SHORT: [f64; {deg}] = [" + ", ".join(repr(float(v)) for v in c) + "];")


def fit_expm1_short():
    """eʳ − 1 = r + r²·P(r) on |r| ≤ ln2/2, P of degree 4 (Cephes' `expf` has degree 5), coefficients in f32 one at
    a time: (eʳ − 1 − r)/r = r·P(r) fitted for absolute error times |r|, which bounds the relative error of both
    eʳ − 1 and eʳ."""
    h = float(mp.log(2)) / 2 + 1e-6
    r = h * np.cos(np.linspace(0, np.pi, 4001))
    r = r[np.abs(r) > 1e-4]
    fv = np.array([float((mp.expm1(mp.mpf(v)) - v) / v) for v in r])
    c, err = fit_times_x(r, fv, 5, scale=np.abs(r))
    print(f"// e^r - 1 = r + r²·P(r) on |r| <= ln2/2, P of degree 4: absolute error {err:.3e}")
    print("const EXPM1_SHORT_P: [f32; 5] = [" + ", ".join(f32(v) for v in c) + "];")


def fit_expm1_64(deg, points=200, iters=40):
    """8. (module doc): P with eʳ − 1 = r + r²·P(r), P of degree `deg`, on |r| ≤ ln2/2, for the least maximum of
    |r·(P − P_exact)| (Lawson in mpmath at Chebyshev nodes); prints the relative error of eʳ − 1 and of eʳ on a grid
    with the f64 coefficients, in f64 ULPs (2⁻⁵³ relative)."""
    h = mp.log(2) / 2 + mp.mpf("1e-6")
    rs = [h * mp.cos(mp.pi * (i + mp.mpf(1) / 2) / points) for i in range(points)]
    rs = [r for r in rs if abs(r) > mp.mpf("1e-3")]
    fv = [(mp.expm1(r) - r) / r**2 for r in rs]
    w = [mp.mpf(1)] * len(rs)
    for _ in range(iters):
        rows = [[wi * abs(r) * r**j for j in range(deg + 1)] for r, wi in zip(rs, w)]
        c, _ = mp.qr_solve(mp.matrix(rows), mp.matrix([wi * abs(r) * f for r, f, wi in zip(rs, fv, w)]))
        c = [c[j] for j in range(deg + 1)]
        err = [abs(r * (mp.polyval(c[::-1], r) - f)) for r, f in zip(rs, fv)]
        e_max = max(err)
        w = [wi * mp.sqrt(e / e_max) + mp.mpf(10) ** -30 for wi, e in zip(w, err)]
        w = [wi / max(w) for wi in w]
    c64 = [mp.mpf(float(v)) for v in c]
    grid = [h * k / 4000 for k in range(-4000, 4001) if k]
    p = [r + r * r * mp.polyval(c64[::-1], r) for r in grid]
    e1 = max(abs(v / mp.expm1(r) - 1) for r, v in zip(grid, p)) * 2**53
    e2 = max(abs((1 + v) / mp.exp(r) - 1) for r, v in zip(grid, p)) * 2**53
    print(f"// e^r - 1 = r + r²·P(r) on |r| <= ln2/2, P of degree {deg}: {mp.nstr(e1, 3)} ULP of e^r - 1, "
          f"{mp.nstr(e2, 3)} of e^r")
    print(f"const EXPM1_P: [f64; {deg + 1}] = [" + ", ".join(repr(float(v)) for v in c64) + "];")


def cheb_monomials(f, half, deg):
    """f on [0, 2·half] by Chebyshev interpolation at deg + 1 nodes (mpmath), as monomial coefficients in
    u = w − half (f64)."""
    h = mp.mpf(half)
    n = deg + 1
    vals = [f(h * (1 + mp.cos(mp.pi * (k + mp.mpf(0.5)) / n))) for k in range(n)]
    cheb = [2 * mp.fsum(vals[k] * mp.cos(mp.pi * j * (k + mp.mpf(0.5)) / n) for k in range(n)) / n for j in range(n)]
    cheb[0] /= 2
    # T_j's monomial coefficients by T_j = 2t·T_(j−1) − T_(j−2), then t = u/h.
    t_poly = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
    for j in range(2, n):
        up = [mp.mpf(0)] + [2 * v for v in t_poly[j - 1]]
        t_poly.append([x - y for x, y in zip(up, t_poly[j - 2] + [mp.mpf(0)] * 2)])
    mono = [mp.fsum(cheb[j] * t_poly[j][i] for j in range(i, n) if i < len(t_poly[j])) for i in range(n)]
    return [float(v / h**i) for i, v in enumerate(mono)]


def fit_gelu64(deg, deg_q):
    """M and Q of 7. (module doc), each by [`cheb_monomials`]; prints the max absolute error of w·M(u) (the
    forward's relative error) and the max relative error of Q, on a grid, with the f64 coefficients, in mpmath."""
    a_max = mp.mpf("38.8")
    half = float(a_max / (4 + a_max) / 2)
    u = mp.mpf(half)
    grid = [2 * u * (i + mp.mpf(0.5)) / 3000 for i in range(3000)]

    def a_of(w):
        return 4 * w / (1 - w)

    def m(w):
        return mp.log((1 + a_of(w) / 4) * erfcx_scaled(a_of(w))) / w

    c = cheb_monomials(m, half, deg)
    err = max(abs(w * (mp.polyval([mp.mpf(v) for v in c[::-1]], w - u) - m(w))) for w in grid)
    print(f"// L = w·M(w − {half!r}) on w in [0, {2 * half!r}], degree {deg}: max absolute error {mp.nstr(err, 3)}")
    print(f"const GELU64_W_MID: f64 = {half!r};")
    print(f"const GELU64_M: [f64; {deg + 1}] = [" + ", ".join(repr(v) for v in c) + "];")

    def b(a):
        return erfcx_scaled(a) / 2 - a / mp.sqrt(2 * mp.pi)

    a0 = mp.findroot(b, 0.75)
    hi = float(a0)
    print(f"// a0 = {mp.nstr(a0, 30)}")
    print(f"const GELU64_A0_HI: f64 = {hi!r};")
    print(f"const GELU64_A0_LO: f64 = {float(a0 - mp.mpf(hi))!r};")

    def q(w):
        a = a_of(w)
        return b(a) / (a - a0)

    c = cheb_monomials(q, half, deg_q)
    err = max(abs(mp.polyval([mp.mpf(v) for v in c[::-1]], w - u) / q(w) - 1) for w in grid)
    print(f"// Q on w in [0, {2 * half!r}], degree {deg_q}: max relative error {mp.nstr(err, 3)}")
    print(f"const GELU64_Q: [f64; {deg_q + 1}] = [" + ", ".join(repr(v) for v in c) + "];")


def fit_gelu_grad(deg):
    """GELU′'s B = (a − a0)·Q(w) (see the module doc): a0 as an f32 pair, Q for relative error (Lawson, the
    coefficients rounded to f32 together: rounding them one at a time gave a smaller fit error with larger
    coefficients, whose f32 evaluation lost more: 4.4 ULP against 3.9 on `nonlin accuracy gelu`'s sample)."""
    def b(a):
        a = mp.mpf(a)
        return erfcx_scaled(a) / 2 - a / mp.sqrt(2 * mp.pi)
    a0 = mp.findroot(b, 0.75)
    hi = np.float32(float(a0))
    lo = np.float32(float(a0 - mp.mpf(float(hi))))
    w_end = 14.6 / 16.6
    ws = np.unique(np.concatenate([np.linspace(0, w_end, 4000), w_end * np.linspace(0, 1, 3000) ** 2]))
    a_of = [2 * mp.mpf(w) / (1 - mp.mpf(w)) for w in ws]
    keep = np.array([abs(a - a0) > 1e-5 for a in a_of])
    ws = ws[keep]
    qv = np.array([float(b(a) / (a - a0)) for a, k in zip(a_of, keep) if k])
    c, err32 = lawson(ws, qv, deg, 60)
    print(f"// a0 = {mp.nstr(a0, 25)}")
    print(f"const GELU_GRAD_A0_HI: f32 = {f32(hi)};")
    print(f"const GELU_GRAD_A0_LO: f32 = {f32(lo)};")
    print(f"// Q on w in [0, {w_end:.4f}], degree {deg}: max relative error {err32:.3e} with f32 coefficients")
    print(f"const GELU_GRAD_Q: [f32; {deg + 1}] = [" + ", ".join(f32(v) for v in c) + "];")


def fit_poly(name, xs, fv, deg):
    """Prints a polynomial c with c(x) ≈ fv (relative error) as f32 constants."""
    c, err32 = lawson(xs, fv, deg, 60)
    print(f"// on [{xs[0]:.3g}, {xs[-1]:.6g}], degree {deg}: max relative error {err32:.3e} with f32 coefficients")
    print(f"const {name}: [f32; {deg + 1}] = [" + ", ".join(f32(v) for v in c) + "];")


GELU_TANH_C1 = 2 * mp.sqrt(2 / mp.pi)
GELU_TANH_KAPPA = mp.mpf("0.044715")


def gelu_tanh_grad(x):
    x = mp.mpf(x)
    z = GELU_TANH_C1 * (x + GELU_TANH_KAPPA * x**3)
    s = 1 / (1 + mp.exp(-z))
    return s + x * GELU_TANH_C1 * (1 + 3 * GELU_TANH_KAPPA * x**2) * s * (1 - s)


def gelu_tanh_grad_fit_range():
    """Prints where the tanh-GELU′'s formula, (D + x·z′·E)/D² (E = e^(−2u), D = 1 + E, z′ = (2u)′), turns E's
    relative error of 2⁻²⁹ (`exp64_short`) into more than 2⁻²⁷ of the result: there the kernel takes the fit around
    the zero."""
    c1, kappa = float(GELU_TANH_C1), float(GELU_TANH_KAPPA)
    x = np.linspace(-1.6, -0.2, 200001)
    big_e = np.exp(-c1 * (x + kappa * x**3))
    d = 1 + big_e
    xzp = x * c1 * (1 + 3 * kappa * x * x)
    grad = (d + xzp * big_e) / d**2
    d_grad = (1 + xzp) / d**2 - 2 * (d + xzp * big_e) / d**3
    amplified = x[np.abs(d_grad * big_e * 2.0**-29 / grad) > 2.0**-27]
    print(f"// tanh-GELU′: E's 2⁻²⁹ costs more than 2⁻²⁷ on [{amplified.min():.3f}, {amplified.max():.3f}]")


def silu_grad(x):
    x = mp.mpf(x)
    s = 1 / (1 + mp.exp(-x))
    return s * (1 + x * (1 - s))


def main():
    # GELU forward: x·Φ(x) = −w·e^(−a²/2 + L(w)) for x = −a ≤ 0, w = a/(2 + a), L = ln((1 + a/2)·R(a)), a ≤ 14.6.
    w_end = 14.6 / 16.6
    ws = np.unique(np.concatenate([np.linspace(0, w_end, 4000), w_end * np.linspace(0, 1, 3000) ** 2]))
    lv = np.array([float(mp.log((1 + a / 2) * erfcx_scaled(a))) for a in (2 * mp.mpf(w) / (1 - w) for w in ws)])
    c, err = fit_times_x(ws, lv, 10)
    print(f"// L = w·M(w) on w in [0, {w_end:.4f}]: max absolute error {err:.3e} ({err * 2**24:.3f}·2⁻²⁴)")
    print("const GELU_L: [f32; 10] = [" + ", ".join(f32(v) for v in c) + "];")

    fit_gelu64(23, 21)
    fit_gelu_grad(11)
    fit_zero("SILU_GRAD", silu_grad, -1.28, -1.33, -1.23, 4)
    gelu_tanh_grad_fit_range()
    fit_zero("GELU_TANH_GRAD", gelu_tanh_grad, -0.75, -0.8, -0.7, 3)

    fit_rational("TANH", tanh_over_a, mp.mpf("9.5") ** 2, 5, 5)
    fit_exp_short(6)
    fit_expm1_short()
    fit_expm1_64(9)

    u = np.linspace(1e-6, 1.0, 3000)
    h = np.array([float(mp.log(mp.cosh(mp.sqrt(mp.mpf(v)) / 2)) / mp.mpf(v)) for v in u])
    fit_poly("LNCOSH_H", u, h, 4)
    third = mp.mpf(1) / 3
    third_hi = np.float32(float(third))
    print(f"const THIRD_HI: f32 = {f32(third_hi)};")
    print(f"const THIRD_LO: f32 = {f32(float(third - mp.mpf(float(third_hi))))};")
    ts = np.array([float(((mp.sqrt(mp.mpf(v)) - mp.tanh(mp.sqrt(mp.mpf(v)))) / mp.mpf(v) ** 1.5 - third) / v) for v in u])
    fit_poly("TANHSHRINK_T", u, ts, 6)
    t = np.linspace(1e-7, float(mp.exp(-1)), 3000)
    pt = np.array([float((mp.log1p(mp.mpf(v)) - v) / mp.mpf(v) ** 2) for v in t])
    fit_poly("LOG1P_P", t, pt, 6)


if __name__ == "__main__":
    main()
