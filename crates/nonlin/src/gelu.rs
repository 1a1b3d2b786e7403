//! GELU, exact (erf) and tanh-approximated.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use std::marker::PhantomData;

use crate::kernel::Smooth;
use crate::math::{Fast, Fma, MathLib, sigmoid};
use crate::vmath32::{self, Split};

/// `1/√(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f64 = FRAC_1_SQRT_2 * FRAC_2_SQRT_PI * 0.5;
/// `√(2/π)`, PyTorch's `kBeta` for the tanh approximation.
const SQRT_2_OVER_PI: f64 = FRAC_2_SQRT_PI * FRAC_1_SQRT_2;
/// PyTorch's `kKappa`.
const GELU_TANH_KAPPA: f64 = 0.044715;

/// `x·Φ(x) = x·erfc(−x/√2)/2`. The erfc form keeps full relative accuracy in the negative tail, where
/// PyTorch's `x·(1 + erf(x/√2))/2` cancels (57% off at −5.5 in f32, 0 from about −6). Limits: +∞ at +∞,
/// −0.0 at −∞ (PyTorch: NaN). Gradient `Φ(x) + x·φ(x)`; 1 at +∞, 0 at −∞.
#[derive(Clone, Copy, Default)]
pub(crate) struct GeluErf<M = Fast>(PhantomData<M>);

/// `1/√2 − FRAC_1_SQRT_2`: the rounding error of the `f64` constant (computed with mpmath at 50 digits).
const FRAC_1_SQRT_2_LO: f64 = -4.833_646_656_726_457e-17;

/// `Φ(x) = erfc(−x/√2)/2`. In the tail `erfc(z)` has relative sensitivity `2z` to its argument, so the rounding
/// of `z = −x/√2` alone would cost up to `z²` ULPs (~600 at x = −25). The rounding error `δ` is recovered with
/// an FMA and the split constant, and added back to first order: `erfc(z + δ) ≈ erfc(z) − δ·(2/√π)·e^(−z²)`.
#[inline(always)]
fn normal_cdf<M: MathLib>(x: f64) -> f64 {
    let z = -x * FRAC_1_SQRT_2;
    let delta = (-x).mul_add(FRAC_1_SQRT_2, -z) + -x * FRAC_1_SQRT_2_LO;
    let erfc = M::erfc(z);
    let correction = delta * FRAC_2_SQRT_PI * M::exp(-z * z);
    0.5 * if correction.is_finite() { erfc - correction } else { erfc }
}

impl<M: MathLib> Smooth for GeluErf<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        if x == f64::NEG_INFINITY { -0.0 } else { x * normal_cdf::<M>(x) }
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        if x.is_infinite() {
            return if x > 0.0 { 1.0 } else { 0.0 };
        }
        normal_cdf::<M>(x) + x * FRAC_1_SQRT_2PI * M::exp(-0.5 * x * x)
    }
    /// Native `f32`, with `E = erfc(|x|/√2) = e^(−x²/2)·R(|x|)`: `x·E/2` for `x < 0`, `x − x·E/2` otherwise.
    /// `x²` is split exactly (`fma`), so `e^(−x²/2)` keeps its accuracy deep in the tail; `R` is a rational fit
    /// evaluated in `f64` (Horner in `f32` would lose 5 ULP at large |x|).
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        // |x|, clamped where GELU and its gradient have underflowed (those inputs are selected away below).
        let a = x.abs();
        let a = if a > GELU_TAIL { GELU_TAIL } else { a };
        let (m, s1, s2) = exp_minus_half_square::<A>(a);
        let half_e = 0.5 * (m * erfcx_scaled::<A>(a));
        let neg = ((-a * half_e) * s1) * s2;
        let pos = A::f32(-x, (half_e * s1) * s2, x);
        if x >= GELU_LINEAR {
            x
        } else if x > 0.0 {
            pos
        } else if x == 0.0 {
            x
        } else if x < -GELU_TAIL {
            -0.0
        } else {
            neg
        }
    }
    /// Native `f32`: `x ≥ 0`: `Φ + x·φ` with `Φ = 1 − E/2`; `x < 0`: `e^(−x²/2)·(R/2 − |x|/√(2π))` (the bracket in
    /// `f64`), except on [−1, −0.55], around the gradient's zero, where both forms cancel: there a fitted
    /// `(x − x0)·T(x − x0)`.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        // |x|, clamped where GELU and its gradient have underflowed (those inputs are selected away below).
        let a = x.abs();
        let a = if a > GELU_TAIL { GELU_TAIL } else { a };
        let (m, s1, s2) = exp_minus_half_square::<A>(a);
        let r = erfcx_scaled::<A>(a);
        let phi = (((FRAC_1_SQRT_2PI as f32) * m) * s1) * s2;
        let pos = A::f32(x, phi, 1.0 - (0.5 * (m * r) * s1) * s2);
        let bracket = (0.5 * r as f64 - a as f64 * FRAC_1_SQRT_2PI) as f32;
        let neg = ((m * bracket) * s1) * s2;
        let near_zero = vmath32::near_zero::<A, 8>(x, GELU_GRAD_ZERO_HI, GELU_GRAD_ZERO_LO, &GELU_GRAD_ZERO_T);
        let grad = if x >= GELU_LINEAR {
            1.0
        } else if x >= 0.0 {
            pos
        } else if x >= -0.55 {
            neg
        } else if x >= -1.0 {
            near_zero
        } else if x < -GELU_TAIL {
            0.0
        } else {
            neg
        };
        grad * g
    }
}

/// From here on GELU(x) = x and GELU′(x) = 1 in `f32` (x·Φ(−x) < 2⁻²⁹·x).
const GELU_LINEAR: f32 = 6.0;
/// Below −GELU_TAIL, GELU and its gradient underflow to zero in `f32` (e^(−x²/2) < 2⁻²⁰⁰).
const GELU_TAIL: f32 = 17.0;

/// `e^(−a²/2)` as `(m, s1, s2)` (see [`vmath32::exp_split`]; `m` rounded once, about 0.55 ULP) with `a²` split
/// exactly, so that its rounding does not cost up to `a²/2` ULP. `a` in [0, GELU_TAIL] (or NaN).
#[inline(always)]
fn exp_minus_half_square<A: Fma>(a: f32) -> (f32, f32, f32) {
    let h = a * a;
    let l = A::f32(a, a, -h);
    let (hi, lo, s1, s2) = vmath32::exp_split::<A>(-0.5 * h, -0.5 * l);
    (hi + lo, s1, s2)
}

// Generated by tools/fit/coefficients.py (mpmath; fit errors in its output).
/// `R(a) = erfc(a/√2)·e^(a²/2) ≈ P(a)/Q(a)` on [0, 15], relative error 6.4e-9 (0.11 `f32` ULP).
const ERFCX_P: [f64; 5] =
    [1.0000000062415484, 0.8785290653937273, 0.36790918296944775, 0.08175211696493667, 0.00830484841463619];
const ERFCX_Q: [f64; 6] =
    [1.0, 1.676414069304282, 1.2054890509169662, 0.4713701305365573, 0.10246720518203548, 0.010408472150046921];
/// The zero of GELU′, −0.75179152469356445745790…, as an `f32` pair.
const GELU_GRAD_ZERO_HI: f32 = -0.75179154;
const GELU_GRAD_ZERO_LO: f32 = 1.211445e-08;
/// GELU′(x0 + d) = d·T(d) on x in [−1, −0.55], relative error 1.6e-8.
const GELU_GRAD_ZERO_T: [f32; 8] =
    [0.431494, 0.38828498, -0.01819969, -0.11400798, -0.014769948, 0.01940926, 0.0044788327, -0.0020588373];

/// `R(a)` for `a` in [0, GELU_TAIL] (or NaN), in `f64` and rounded once.
#[inline(always)]
fn erfcx_scaled<A: Fma>(a: f32) -> f32 {
    let a = a as f64;
    // Estrin's scheme: short dependency chains.
    let a2 = a * a;
    let (p, q) = (&ERFCX_P, &ERFCX_Q);
    let p01 = A::f64(p[1], a, p[0]);
    let p23 = A::f64(p[3], a, p[2]);
    let pv = A::f64(A::f64(p[4], a2, p23), a2, p01);
    let q01 = A::f64(q[1], a, q[0]);
    let q23 = A::f64(q[3], a, q[2]);
    let q45 = A::f64(q[5], a, q[4]);
    let qv = A::f64(A::f64(q45, a2, q23), a2, q01);
    (pv / qv) as f32
}

/// `0.5·x·(1 + tanh(u))` with `u = √(2/π)·(x + 0.044715·x³)`, evaluated as `x·σ(2u)` (the same function, with
/// no cancellation for negative `x`). Limits as [`GeluErf`]. Gradient
/// `σ(2u) + 2x·σ(2u)σ(−2u)·u′`, `u′ = √(2/π)·(1 + 3·0.044715·x²)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct GeluTanh<M = Fast>(PhantomData<M>);

/// From here on the tanh-GELU is `x` in `f32` (σ(2u) > 1 − 2⁻²⁰⁰).
const GELU_TANH_LINEAR: f32 = 12.0;
/// Below this the tanh-GELU rounds to −0.0 in `f32` (|x·σ(2u)| < 0.02·2⁻¹⁴⁹ at −10.9).
const GELU_TANH_ZERO: f32 = -10.9;

/// `2u = x·(c1 + c2·x²)` (`c1 = 2√(2/π)`, `c2 = c1·0.044715`) as an `f32` pair `(z, z_lo)` (the terms left out
/// are below 2⁻⁴⁴ relative): `x²` split exactly, the constants as pairs, the sum by TwoSum. For |x| ≤ [`GELU_TANH_LINEAR`] (or NaN).
#[inline(always)]
fn gelu_tanh_2u<A: Fma>(x: f32) -> (f32, f32) {
    let c1 = Split::new(2.0 * SQRT_2_OVER_PI);
    let c2 = Split::new(2.0 * SQRT_2_OVER_PI * GELU_TANH_KAPPA);
    let h = x * x;
    let l = A::f32(x, x, -h);
    let p = c2.hi * h;
    let p_lo = A::f32(c2.hi, h, -p) + A::f32(c2.lo, h, c2.hi * l);
    let q = c1.hi + p;
    let b = q - c1.hi;
    let q_lo = ((c1.hi - (q - b)) + (p - b)) + (c1.lo + p_lo);
    let z = x * q;
    (z, A::f32(x, q, -z) + x * q_lo)
}

#[inline(always)]
fn gelu_tanh_u(x: f64) -> f64 {
    SQRT_2_OVER_PI * (x + GELU_TANH_KAPPA * x * x * x)
}

impl<M: MathLib> Smooth for GeluTanh<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        if x == f64::NEG_INFINITY { -0.0 } else { x * sigmoid::<M>(2.0 * gelu_tanh_u(x)) }
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        if x.is_infinite() {
            return if x > 0.0 { 1.0 } else { 0.0 };
        }
        let u = gelu_tanh_u(x);
        let s = sigmoid::<M>(2.0 * u);
        let s_s = s * sigmoid::<M>(-2.0 * u);
        // Once σσ underflows, `x·u′` may overflow: the product is 0, not NaN.
        let tail =
            if s_s == 0.0 { 0.0 } else { 2.0 * s_s * x * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_KAPPA * x * x) };
        s + tail
    }
    /// Native `f32`: `x/(1 + e)` for `x ≥ 0`, `((x·eʳ/(1 + e))·s1)·s2` below, with `e = e^(−|2u|) = eʳ·s1·s2`
    /// ([`vmath32::exp_split_lean`]) and `2u` as an `f32` pair ([`gelu_tanh_2u`]): `σ(2u)` has relative sensitivity
    /// up to |2u| (~140) to its argument. Only lanes whose result is subnormal form a subnormal (an operation
    /// with a subnormal result costs a microcode assist on some CPUs, ~30 cycles on Zen 3): `1 + e` is one FMA
    /// whose product may be tiny but whose result is not, and inputs whose result rounds to zero are computed at
    /// −1 and replaced.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        let xc = if x < GELU_TANH_ZERO {
            -1.0
        } else if x > GELU_TANH_LINEAR {
            GELU_TANH_LINEAR
        } else {
            x
        };
        let (z, z_lo) = gelu_tanh_2u::<A>(xc);
        let (hi, lo, s1, s2) = vmath32::exp_split_lean::<A>(-z.abs(), if z < 0.0 { z_lo } else { -z_lo });
        let den = A::f32((hi + lo) * s1, s2, 1.0);
        let pos = x >= 0.0;
        let num = if pos { xc } else { A::f32(xc, hi, xc * lo) };
        // The scale factors are selected, not the products: LLVM forms both arms of a select, and (q·s1)·s2 is
        // subnormal for the positive lanes beyond 9.3.
        let (t1, t2) = if pos { (1.0, 1.0) } else { (s1, s2) };
        let y = ((num / den) * t1) * t2;
        if x > GELU_TANH_LINEAR {
            x
        } else if x < GELU_TANH_ZERO {
            -0.0
        } else {
            y
        }
    }
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let x = x as f64;
        // σ(2u) and σ(2u)·σ(−2u) = e/(1 + e)² from one e = e^(−|2u|) and one division.
        let z = 2.0 * gelu_tanh_u(x);
        let e = vmath32::exp64::<A>(-z.abs());
        let inv = 1.0 / (1.0 + e);
        let s = if z >= 0.0 { inv } else { e * inv };
        let s_s = e * inv * inv;
        // |x| < 2¹²⁸, so x·u′ < 2²⁶¹: the product with σσ (0 or ≥ 2⁻⁸⁶⁶) is finite.
        let tail = 2.0 * s_s * x * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_KAPPA * x * x);
        let d = if x.is_infinite() { if x > 0.0 { 1.0 } else { 0.0 } } else { s + tail };
        (g as f64 * d) as f32
    }
}
