//! GELU, exact (erf) and tanh-approximated.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use std::marker::PhantomData;

use crate::kernel::{BLOCK, Scratch, Smooth};
use crate::math::{Fast, Fma, MathLib, exp_neg_abs_staged, exp_neg_abs_staged_grad, sigmoid_from};
use crate::vmath32;

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
/// `erfc_start` is the first step of that `erfc`, [`MathLib::erfc_start`]`(−x/√2)`.
#[inline(always)]
fn normal_cdf_from<M: MathLib, A: Fma>(x: f64, erfc_start: (f64, f64)) -> f64 {
    let z = -x * FRAC_1_SQRT_2;
    let delta = (-x).mul_add(FRAC_1_SQRT_2, -z) + -x * FRAC_1_SQRT_2_LO;
    let erfc = M::erfc_from::<A>(z, erfc_start);
    let correction = delta * FRAC_2_SQRT_PI * M::exp_rough::<A>(-z * z);
    0.5 * if correction.is_finite() { erfc - correction } else { erfc }
}

/// GELU′ in `f64` given the first step of `erfc(−x/√2)`.
#[inline(always)]
fn gelu_df_from<M: MathLib, A: Fma>(x: f64, erfc_start: (f64, f64)) -> f64 {
    let d = normal_cdf_from::<M, A>(x, erfc_start) + x * FRAC_1_SQRT_2PI * M::exp::<A>(-0.5 * x * x);
    // Values selected, not branches taken (which LLVM had vectorized with masked loads of `erfc_start`).
    let limit = if x > 0.0 { 1.0 } else { 0.0 };
    if x.is_infinite() { limit } else { d }
}

/// GELU in `f64` given the first step of `erfc(−x/√2)`.
#[inline(always)]
fn gelu_from<M: MathLib, A: Fma>(x: f64, erfc_start: (f64, f64)) -> f64 {
    let y = x * normal_cdf_from::<M, A>(x, erfc_start);
    if x == f64::NEG_INFINITY { -0.0 } else { y }
}

impl<M: MathLib> Smooth for GeluErf<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        gelu_from::<M, A>(x, M::erfc_start::<A>(-x * FRAC_1_SQRT_2))
    }
    /// [`GeluErf::f`] in two stages over blocks (see [`Smooth::f32_slice`]): `erfc`'s rational function, then the
    /// rest.
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [ratio, inv, ..] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            let n = x.len();
            let (y, ratio, inv) = (&mut y[..n], &mut ratio[..n], &mut inv[..n]);
            for i in 0..n {
                (ratio[i], inv[i]) = M::erfc_start::<A>(-x[i] * FRAC_1_SQRT_2);
            }
            for i in 0..n {
                y[i] = gelu_from::<M, A>(x[i], (ratio[i], inv[i]));
            }
        }
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        gelu_df_from::<M, A>(x, M::erfc_start::<A>(-x * FRAC_1_SQRT_2))
    }
    /// [`GeluErf::df`] in two stages over blocks, as [`GeluErf::f64_slice`].
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [ratio, inv, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            let n = x.len();
            let (g, gx, ratio, inv) = (&g[..n], &mut gx[..n], &mut ratio[..n], &mut inv[..n]);
            for i in 0..n {
                (ratio[i], inv[i]) = M::erfc_start::<A>(-x[i] * FRAC_1_SQRT_2);
            }
            for i in 0..n {
                gx[i] = g[i] * gelu_df_from::<M, A>(x[i], (ratio[i], inv[i]));
            }
        }
    }
    /// Native `f32`, with `a = |x|`, `w = a/(2 + a)` and `x·Φ(x) = −w·e^(−a²/2 + L(w))` for `x = −a ≤ 0`
    /// (`L = ln((1 + a/2)·erfc(a/√2)·e^(a²/2))`, a fitted polynomial, is in [−0.8, 0]: its absolute error is the
    /// result's relative error); `x + (the same)` for `x > 0`, where the term is at most half of `x`. `a²/2` is
    /// split exactly and `L` joins the exponent after the exact step of its reduction ([`vmath32::reduce_sum`]);
    /// `w` is rounded (twice: `2 + a`, then the quotient). Carrying `w`'s rounding errors as a pair (Fast2Sum for
    /// `2 + a`, the division's residual by FMA, one more array between the stages) gave 2.91 ULP at most and
    /// 0.034 on average over all inputs; without them 2.67 and 0.055, and 1.08–1.10× faster.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        let w = gelu_w::<A>(x);
        let (k, r, h_lo) = gelu_reduce::<A>(x, gelu_l::<A>(w));
        let (hi, lo, s1) = vmath32::exp_split_tail::<A, true>(k, r, h_lo);
        gelu_out::<A>(x, w, hi, lo, s1)
    }
    /// [`GeluErf::f32`]'s steps in five stages over blocks (see [`Smooth::f32_slice`]): the quotient (and `−a²/2`
    /// as a pair, which keeps the FMA pipes busy while the divider works: 1.10× against forming it again in the
    /// third stage), `L`, the exponential's reduction, its polynomial, the product. 0.55 → 0.85 Gelem/s at 65,536
    /// elements on Zen 3 when first staged.
    const STAGED32: bool = true;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        let mut scratch = Scratch::<f32>::take();
        let [w, h, h_lo, l, k, r, hi, lo, s1] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            crate::kernel::prefetch_next(x);
            crate::kernel::prefetch_next(y);
            let n = x.len();
            let (y, w, l, k, r) = (&mut y[..n], &mut w[..n], &mut l[..n], &mut k[..n], &mut r[..n]);
            let (h, h_lo, hi, lo, s1) = (&mut h[..n], &mut h_lo[..n], &mut hi[..n], &mut lo[..n], &mut s1[..n]);
            for i in 0..n {
                let GeluParts { a, s, h: hi_part, h_lo: lo_part } = gelu_parts::<A>(x[i]);
                (w[i], h[i], h_lo[i]) = (a / s, hi_part, lo_part);
            }
            for i in 0..n {
                l[i] = gelu_l::<A>(w[i]);
            }
            for i in 0..n {
                (k[i], r[i]) = vmath32::reduce_sum::<A>(h[i], l[i]);
            }
            for i in 0..n {
                (hi[i], lo[i], s1[i]) = vmath32::exp_split_tail::<A, true>(k[i], r[i], h_lo[i]);
            }
            for i in 0..n {
                y[i] = gelu_out::<A>(x[i], w[i], hi[i], lo[i], s1[i]);
            }
        }
    }
    /// Native `f32`, with `a = |x|`, `w = a/(2 + a)` and `e = e^(−a²/2)` ([`vmath32::exp_split_lean`], `a²` split
    /// exactly): GELU′ is `e·B` for `x < 0` and `1 − e·B` for `x ≥ 0`, `B = Φ(−a)·e^(a²/2) − a/√(2π) =
    /// (a − a0)·Q(w)`, `Q` fitted, `a0` where `B` is zero: the factor `a − a0`, exact near `a0` (`a0` as a pair),
    /// keeps `B` accurate where its two terms cancel. `Q` by Horner's scheme: Estrin's (shorter chain, 1.07× faster)
    /// rounded worse, 5.2 ULP against 3.6 in the exhaustive sweep. 1.34× faster than the form this replaced
    /// (`K·t − a/√(2π)` with `t = 1/(2 + a)` and `K` as pairs, and a second fit around the zero).
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let (hi, lo, s1) = gelu_grad_exp::<A>(x);
        let (w, q_high) = gelu_grad_q_high::<A>(x);
        gelu_grad_out::<A>(x, g, gelu_grad_b::<A>(x, w, q_high), hi, lo, s1)
    }
    /// [`GeluErf::df32`] in four stages (see [`Smooth::f32_slice`]): `w`, `−a²/2` as a pair and the upper half of
    /// `Q`'s Horner chain, the lower half and `B`, the exponential, the rest. With the twelve-coefficient chain in
    /// one stage, fewer elements were in flight: 1.12–1.14× slower at 65,536 elements on Zen 3 (same bits).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        let mut scratch = Scratch::<f32>::take();
        let [b, hi, lo, s1, w, h, h_lo, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            let n = x.len();
            let (g, gx, b, hi, lo, s1) = (&g[..n], &mut gx[..n], &mut b[..n], &mut hi[..n], &mut lo[..n], &mut s1[..n]);
            let (w, h, h_lo) = (&mut w[..n], &mut h[..n], &mut h_lo[..n]);
            for i in 0..n {
                // `−a²/2` here too, while the divider works on `w` (1.07× against forming it in the third stage).
                (w[i], b[i]) = gelu_grad_q_high::<A>(x[i]);
                let GeluParts { h: hi_part, h_lo: lo_part, .. } = gelu_parts::<A>(x[i]);
                (h[i], h_lo[i]) = (hi_part, lo_part);
            }
            for i in 0..n {
                b[i] = gelu_grad_b::<A>(x[i], w[i], b[i]);
            }
            for i in 0..n {
                (hi[i], lo[i], s1[i]) = vmath32::exp_split_lean::<A>(h[i], h_lo[i]);
            }
            for i in 0..n {
                gx[i] = gelu_grad_out::<A>(x[i], g[i], b[i], hi[i], lo[i], s1[i]);
            }
        }
    }
}

/// Where [`GeluErf::df32_slice`] splits `Q`'s Horner chain: the coefficients from this one up in its first stage.
const GELU_GRAD_Q_SPLIT: usize = 5;

/// `(w, the Horner chain of Q's upper coefficients at w)`, the first stage of [`GeluErf::df32`].
#[inline(always)]
fn gelu_grad_q_high<A: Fma>(x: f32) -> (f32, f32) {
    let GeluParts { a, s, .. } = gelu_parts::<A>(x);
    let w = a / s;
    let last = GELU_GRAD_Q.len() - 1;
    (w, vmath32::horner_from::<A>(GELU_GRAD_Q[last], w, &GELU_GRAD_Q[GELU_GRAD_Q_SPLIT..last]))
}

/// `B = (a − a0)·Q(w)`, given [`gelu_grad_q_high`].
#[inline(always)]
fn gelu_grad_b<A: Fma>(x: f32, w: f32, q_high: f32) -> f32 {
    let GeluParts { a, .. } = gelu_parts::<A>(x);
    let q = vmath32::horner_from::<A>(q_high, w, &GELU_GRAD_Q[..GELU_GRAD_Q_SPLIT]);
    A::f32(a - GELU_GRAD_A0_HI, q, -GELU_GRAD_A0_LO * q)
}

/// `e^(−a²/2)` as [`vmath32::exp_split_lean`] returns it.
#[inline(always)]
fn gelu_grad_exp<A: Fma>(x: f32) -> (f32, f32, f32) {
    let GeluParts { h, h_lo, .. } = gelu_parts::<A>(x);
    vmath32::exp_split_lean::<A>(h, h_lo)
}

/// `g·GELU′(x)` from `B` and `e^(−a²/2) = (hi + lo)·s1·2⁻⁶⁴`.
#[inline(always)]
fn gelu_grad_out<A: Fma>(x: f32, g: f32, b: f32, hi: f32, lo: f32, s1: f32) -> f32 {
    let neg = (A::f32(hi, b, lo * b) * s1) * vmath32::TWO_M64;
    let pos = A::f32(-(((hi + lo) * s1) * vmath32::TWO_M64), b, 1.0);
    let grad = if x >= 0.0 {
        pos
    } else if x == f32::NEG_INFINITY {
        0.0 // the limit (finite inputs below −14.5 give −0.0, the sign of the gradient there)
    } else {
        neg
    };
    grad * g
}

/// `w = a/(2 + a)`, the first stage of [`GeluErf::f32`].
#[inline(always)]
fn gelu_w<A: Fma>(x: f32) -> f32 {
    let GeluParts { a, s, .. } = gelu_parts::<A>(x);
    a / s
}

/// `L(w)`.
#[inline(always)]
fn gelu_l<A: Fma>(w: f32) -> f32 {
    w * vmath32::horner::<A, 10>(w, &GELU_L)
}

/// `(k, r, h_lo)`: the reduction of `−a²/2 + L` ([`vmath32::reduce_sum`]) and the low part of `−a²/2`, which
/// [`vmath32::exp_split_tail`] takes.
#[inline(always)]
fn gelu_reduce<A: Fma>(x: f32, l: f32) -> (f32, f32, f32) {
    let GeluParts { h, h_lo, .. } = gelu_parts::<A>(x);
    let (k, r) = vmath32::reduce_sum::<A>(h, l);
    (k, r, h_lo)
}

/// `−w·e^(−a²/2 + L)` for `x = −a ≤ 0`, `x` plus it above.
#[inline(always)]
fn gelu_out<A: Fma>(x: f32, w: f32, hi: f32, lo: f32, s1: f32) -> f32 {
    // The second factor of the power of two, negated (a constant: it costs nothing).
    let m = (A::f32(w, hi, w * lo) * s1) * -vmath32::TWO_M64;
    if x.is_sign_negative() { m } else { x + m }
}

/// Where the forward's fit ends: GELU(−14.6) is 0.015 of the smallest subnormal, and x·Φ(−x) ≪ ulp(x) beyond 6.
const GELU_CLAMP: f32 = 14.6;

/// What both exact-GELU kernels start from: `a = |x|` clamped to [`GELU_CLAMP`] (beyond it the forward is `x` or
/// rounds to −0.0 and the gradient is 1 or rounds to −0.0, so computing at the clamp gives both), `s = 2 + a`
/// (rounded) and `−a²/2 = h + h_lo` exactly.
struct GeluParts {
    a: f32,
    s: f32,
    h: f32,
    h_lo: f32,
}

#[inline(always)]
fn gelu_parts<A: Fma>(x: f32) -> GeluParts {
    let a = x.abs();
    let a = if a > GELU_CLAMP { GELU_CLAMP } else { a };
    let s = 2.0 + a;
    let ha = -0.5 * a;
    let h = a * ha;
    GeluParts { a, s, h, h_lo: A::f32(a, ha, -h) }
}
// Generated by tools/fit/coefficients.py (mpmath; fit errors in its output).
/// `L(w) = w·M(w)` (the coefficients of `M`) on `w` in [0, 14.6/16.6], absolute error 2.2e-8.
const GELU_L: [f32; 10] = [
    -0.5957664,
    -0.3691201,
    -0.09808864,
    0.03000432,
    0.095894866,
    0.07009535,
    -0.18431975,
    0.47485006,
    -0.5256847,
    0.18324602,
];
/// `a0`, where `B` (and GELU′ at −a0) is zero (0.7517915246935644574579049…), as an `f32` pair.
const GELU_GRAD_A0_HI: f32 = 0.75179154;
const GELU_GRAD_A0_LO: f32 = -1.211445e-08;
/// `Q` with `B = (a − a0)·Q(w)` on `w` in [0, 14.6/16.6], relative error 2.4e-8.
const GELU_GRAD_Q: [f32; 12] = [
    -0.665078,
    0.35330686,
    -0.03694114,
    -0.050314285,
    -0.014146162,
    0.004436162,
    0.0056211725,
    0.013764854,
    -0.024342965,
    0.036085982,
    -0.03047197,
    0.009137886,
];
/// `0.5·x·(1 + tanh(u))` with `u = √(2/π)·(x + 0.044715·x³)`, evaluated as `x·σ(2u)` (the same function, with
/// no cancellation for negative `x`). Limits as [`GeluErf`]. Gradient
/// `σ(2u) + 2x·σ(2u)σ(−2u)·u′`, `u′ = √(2/π)·(1 + 3·0.044715·x²)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct GeluTanh<M = Fast>(PhantomData<M>);

/// From here on the tanh-GELU's gradient is 1 in `f32` (σ(2u) > 1 − 2⁻¹⁸⁰).
const GELU_TANH_LINEAR: f32 = 11.5;
/// Below this the tanh-GELU rounds to −0.0 in `f32` (|x·σ(2u)| < 0.02·2⁻¹⁴⁹ at −10.9).
const GELU_TANH_ZERO: f32 = -10.9;

/// The tanh-GELU's gradient on [−0.8, −0.7], around its zero, from the fit.
#[inline(always)]
fn tanh_gelu_grad_near_zero<A: Fma>(x: f32) -> f32 {
    vmath32::near_zero::<A, 4>(x, GELU_TANH_GRAD_ZERO_HI, GELU_TANH_GRAD_ZERO_LO, &GELU_TANH_GRAD_ZERO_T)
}

/// `−2u` in `f64` for both tanh-GELU kernels: `x³` is exact there, and the products round at 2⁻⁵³.
#[inline(always)]
fn tanh_gelu_arg<A: Fma>(x: f32) -> f64 {
    let x = f64::from(x);
    -(x * A::f64(2.0 * SQRT_2_OVER_PI * GELU_TANH_KAPPA, x * x, 2.0 * SQRT_2_OVER_PI))
}

/// The tanh-GELU `x/(1 + E)` from `x` and `E = e^(−2u)`, rounded to `f32` once. Below [`GELU_TANH_ZERO`] it is
/// −0.0 (what the formula rounds to there; at −∞ it would be NaN).
#[inline(always)]
fn tanh_gelu_from_exp(x: f32, e: f64) -> f32 {
    let y = (f64::from(x) / (1.0 + e)) as f32;
    if x < GELU_TANH_ZERO { -0.0 } else { y }
}

/// `2u`, `u = √(2/π)·(x + 0.044715·x³)`: the tanh-GELU is `x·σ(2u)`.
#[inline(always)]
fn gelu_tanh_z(x: f64) -> f64 {
    2.0 * (SQRT_2_OVER_PI * (x + GELU_TANH_KAPPA * x * x * x))
}

/// The tanh-GELU in `f64` given `z = 2u` and `e = e^(−|z|)`.
#[inline(always)]
fn gelu_tanh_from(x: f64, z: f64, e: f64) -> f64 {
    if x == f64::NEG_INFINITY { -0.0 } else { x * sigmoid_from(z, e) }
}

/// The tanh-GELU's derivative in `f64` given `z = 2u` and `e = e^(−|z|)`: `σ(z) + x·σ(z)σ(−z)·z′`.
#[inline(always)]
fn gelu_tanh_grad_from(x: f64, z: f64, e: f64) -> f64 {
    let s = sigmoid_from(z, e);
    let s_s = s * sigmoid_from(-z, e);
    // Once σσ underflows, `x·u′` may overflow: the product is 0, not NaN.
    let tail = if s_s == 0.0 { 0.0 } else { 2.0 * s_s * x * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_KAPPA * x * x) };
    if x.is_infinite() { if x > 0.0 { 1.0 } else { 0.0 } } else { s + tail }
}

impl<M: MathLib> Smooth for GeluTanh<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        let z = gelu_tanh_z(x);
        gelu_tanh_from(x, z, M::exp::<A>(-z.abs()))
    }
    /// [`GeluTanh::f`] in stages over blocks ([`exp_neg_abs_staged`]).
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        exp_neg_abs_staged::<M, A, false>(x, y, gelu_tanh_z, gelu_tanh_from);
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        let z = gelu_tanh_z(x);
        gelu_tanh_grad_from(x, z, M::exp::<A>(-z.abs()))
    }
    /// [`GeluTanh::df`] in stages over blocks ([`exp_neg_abs_staged_grad`]).
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        exp_neg_abs_staged_grad::<M, A>(x, g, gx, gelu_tanh_z, gelu_tanh_grad_from);
    }
    /// `f32` in lean `f64`: `x/(1 + E)` with `E = e^(−2u)` ([`vmath32::exp64_short`]) and `2u` formed in `f64`,
    /// where `x³` is exact and `σ(2u)`'s relative sensitivity to its argument (up to |2u|, ~110 where the result is
    /// still above zero) costs nothing; one rounding to `f32` at the end, subnormal results included. For `x < 0`
    /// `E` is large (up to e¹¹³ above [`GELU_TANH_ZERO`], far from `f64`'s range), so there is no `x·e/(1 + e)`
    /// branch with `e = e^(−|2u|)` to select: 1.15–1.2× faster than that form, and the same accuracy (exhaustive
    /// sweep: 0.5329 ULP at most, 0.0315 on average, both forms). 0.53 ULP where the native-`f32` form with `2u`
    /// as a pair was 2.7, and faster: four `f64` lanes with short dependency chains against eight `f32` lanes with
    /// pair arithmetic.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        tanh_gelu_from_exp(x, vmath32::exp64_short::<A>(tanh_gelu_arg::<A>(x)))
    }
    /// [`GeluTanh::f32`] in three stages (see [`Smooth::f32_slice`]): the exponential's argument, the exponential,
    /// the quotient.
    const STAGED32: bool = true;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        let mut scratch = Scratch::<f64>::take();
        let [e, ..] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            let n = x.len();
            let (y, e) = (&mut y[..n], &mut e[..n]);
            for i in 0..n {
                e[i] = tanh_gelu_arg::<A>(x[i]);
            }
            for e in e.iter_mut() {
                *e = vmath32::exp64_short::<A>(*e);
            }
            for i in 0..n {
                y[i] = tanh_gelu_from_exp(x[i], e[i]);
            }
        }
    }
    /// `f32` in lean `f64`, with `E = e^(−2u)` as in [`GeluTanh::f32`], `D = 1 + E` and `z′ = (2u)′`:
    /// `σ(2u) + x·z′·σ(2u)σ(−2u) = (D + x·z′·E)/D²` (for `x < 0` as well, where `E` is large: 1.2× faster than
    /// `e·(D + x·z′)/D²` with `e = 1/E` selected there), times `g` in `f64`, so the result rounds once. Around the
    /// gradient's zero `D + x·z′·E` cancels and amplifies `E`'s relative error of 2⁻²⁹ beyond 2⁻²⁷ (0.125 ULP) on
    /// [−0.78, −0.71] (`tools/fit/coefficients.py` prints where), so on [−0.8, −0.7] a fitted `(x − x0)·T(x − x0)`,
    /// `T` of degree 3. Fitted on [−1.3, −0.35] it took degree 9, and its error (6.8e-8) made the sweep's maximum:
    /// 2.72 ULP against 2.31 now, and ran 1.06–1.10× slower. Beyond [−11, 11.5] the gradient is what it rounds to
    /// there (`−0.0·g`, `g`), whatever `g` is; at −∞ the limit `0·g`.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let e = vmath32::exp64_short::<A>(tanh_gelu_arg::<A>(x));
        tanh_gelu_grad_from_exp::<A>(x, g, e, tanh_gelu_grad_near_zero::<A>(x))
    }
    /// [`GeluTanh::df32`] in four stages (see [`Smooth::f32_slice`]): the exponential's argument, the exponential,
    /// the formula (in `f64`, four lanes), its exceptions and the fit around the zero (in `f32`, eight lanes). The
    /// formula and the exceptions in one stage made a chain too long for enough elements to be in flight: 1.22×
    /// slower (and a stage for the formula's division alone, 1.03× slower). The fit in a stage of its own measured
    /// the same since it is of degree 3 (with degree 9, merging it was 1.10× slower).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        let mut scratch = Scratch::<f64>::take();
        let [e, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            let n = x.len();
            let (g, gx, e) = (&g[..n], &mut gx[..n], &mut e[..n]);
            for i in 0..n {
                e[i] = tanh_gelu_arg::<A>(x[i]);
            }
            for e in e.iter_mut() {
                *e = vmath32::exp64_short::<A>(*e);
            }
            for i in 0..n {
                gx[i] = tanh_gelu_grad_formula::<A>(x[i], g[i], e[i]);
            }
            for i in 0..n {
                gx[i] = tanh_gelu_grad_select(x[i], g[i], gx[i], tanh_gelu_grad_near_zero::<A>(x[i]));
            }
        }
    }
}

/// `g·GELU′(x)` (tanh form) from `E = e^(−2u)` and the fit around the zero (see [`GeluTanh::df32`]).
#[inline(always)]
fn tanh_gelu_grad_from_exp<A: Fma>(x: f32, g: f32, e: f64, near_zero: f32) -> f32 {
    tanh_gelu_grad_select(x, g, tanh_gelu_grad_formula::<A>(x, g, e), near_zero)
}

/// The formula of [`tanh_gelu_grad_from_exp`], before its exceptions.
#[inline(always)]
fn tanh_gelu_grad_formula<A: Fma>(x: f32, g: f32, e: f64) -> f32 {
    let xd = f64::from(x);
    let d = 1.0 + e;
    let xzp = xd * A::f64(6.0 * SQRT_2_OVER_PI * GELU_TANH_KAPPA, xd * xd, 2.0 * SQRT_2_OVER_PI);
    ((A::f64(xzp, e, d) / (d * d)) * f64::from(g)) as f32
}

/// [`tanh_gelu_grad_from_exp`] given its formula's value `dg`: the exceptions.
#[inline(always)]
fn tanh_gelu_grad_select(x: f32, g: f32, dg: f32, near_zero: f32) -> f32 {
    if x > GELU_TANH_LINEAR {
        g
    } else if x == f32::NEG_INFINITY {
        0.0 * g
    } else if x < GELU_TANH_GRAD_ZERO {
        -0.0 * g
    } else if (-0.8..=-0.7).contains(&x) {
        near_zero * g
    } else {
        dg
    }
}

/// Below this the tanh-GELU's gradient rounds to −0.0 in `f32` (about −2⁻¹⁵⁴ at −11).
const GELU_TANH_GRAD_ZERO: f32 = -11.0;

// Generated by tools/fit/coefficients.py (mpmath).
/// The zero of the tanh-GELU′, −0.75246142207101625848795…, as an `f32` pair.
const GELU_TANH_GRAD_ZERO_HI: f32 = -0.75246143;
const GELU_TANH_GRAD_ZERO_LO: f32 = 1.1339628e-08;
/// tanh-GELU′(x0 + d) = d·T(d) on x in [−0.8, −0.7], relative error 3.1e-8.
const GELU_TANH_GRAD_ZERO_T: [f32; 4] = [0.4304001, 0.38751855, -0.015823767, -0.11401449];
