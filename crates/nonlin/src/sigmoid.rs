//! Sigmoid, LogSigmoid, SiLU, Tanh, Tanhshrink and Softsign: the S-shaped family.

use std::marker::PhantomData;

use crate::float::Float;
use crate::kernel::{BLOCK, Buffered, Kernel, Scratch, Smooth};
use crate::math::{
    Fast, Fma, MathLib, exp_neg_abs_staged, exp_neg_abs_staged_grad, exp_parts_staged, neg_abs_blocks, sech2, sigmoid,
    sigmoid_from, tanh_staged,
};
use crate::vmath32;

/// `σ(x)`. Gradient `σ(x)·σ(−x)`, from `x` — PyTorch's `y(1 − y)` is 0 once `y` rounds to 1.
#[derive(Clone, Copy, Default)]
pub(crate) struct Sigmoid<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Sigmoid<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        sigmoid::<M, A>(x)
    }
    /// [`Sigmoid::f`] in stages over blocks ([`exp_neg_abs_staged`]).
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        exp_neg_abs_staged::<M, A, false>(x, y, |x| x, |_, z, e| sigmoid_from(z, e));
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        sigmoid::<M, A>(x) * sigmoid::<M, A>(-x)
    }
    /// [`Sigmoid::df`] in stages over blocks ([`exp_neg_abs_staged_grad`]; the factors share `e^(−|x|)`).
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        exp_neg_abs_staged_grad::<M, A>(x, g, gx, |x| x, |_, z, e| sigmoid_from(z, e) * sigmoid_from(-z, e));
    }
    /// Native `f32`: `num/(1 + e)`, `e = e^(−|x|)` rounded once even when subnormal, `num` 1 or `e`.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        sigmoid32::<A>(x)
    }
    /// [`Sigmoid::f32`] in three stages ([`exp_staged`]).
    const STAGED32: bool = true;
    const STREAMED: bool = true;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        exp_staged::<A>(x, y, sigmoid32_from::<A>)
    }
    /// Native `f32`: `e/(1 + e)²`, scaled so that subnormal results round once.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let (m, s1) = vmath32::exp_parts_fast::<A>(-x.abs());
        exp_grad32_from::<A>(1.0, g, m, s1)
    }
    /// [`Sigmoid::df32`] in three stages ([`exp_staged_grad`]).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        exp_staged_grad::<A>(x, g, gx, 1.0, 1.0)
    }
}

/// `σ(x)` in native `f32` (about 1.5 ULP).
#[inline(always)]
fn sigmoid32<A: Fma>(x: f32) -> f32 {
    let (m, s1) = vmath32::exp_parts_fast::<A>(-x.abs());
    sigmoid32_from::<A>(x, m, s1)
}

/// [`sigmoid32`] given `e^(−|x|) = m·s1·2⁻⁶⁴`: `num/((1 + e)·2⁶⁴)` with `num` `m·s1` (exact) or `2⁶⁴`, so a
/// subnormal result rounds once ([`vmath32::one_plus_times_2_64`]).
#[inline(always)]
fn sigmoid32_from<A: Fma>(x: f32, m: f32, s1: f32) -> f32 {
    let ms = m * s1;
    let num = if x.is_sign_negative() { ms } else { vmath32::TWO_P64 };
    num / vmath32::one_plus_times_2_64(ms)
}

/// `y[i] = finish(x[i], m, s1)` with `e^(−|x[i]|) = m·s1·2⁻⁶⁴` ([`vmath32::exp_parts_fast`]), in three stages
/// over blocks (see [`Smooth::f32_slice`]): the exponentials in two ([`vmath32::exp_reduced`] explains why), then
/// what each kernel makes of them.
#[inline(always)]
fn exp_staged<A: Fma>(x: &[f32], y: &mut [f32], finish: impl Fn(f32, f32, f32) -> f32) {
    let mut scratch = Scratch::<f32>::take();
    let [m, s1, r, ..] = scratch.arrays();
    for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let n = x.len();
        let (y, m, s1, r) = (&mut y[..n], &mut m[..n], &mut s1[..n], &mut r[..n]);
        vmath32::exp_parts_fast_staged::<A>(x, |x| -x.abs(), r, m, s1);
        for i in 0..n {
            y[i] = finish(x[i], m[i], s1[i]);
        }
    }
}

/// `g·c·e/(1 + e)²` in native `f32`, given `e = m·s1·2⁻⁶⁴`, as `c·m·s1/((1 + e)²·2⁶⁴)` so that subnormal results
/// round once ([`vmath32::one_plus_times_2_32`]): the sigmoid's gradient `σ(x)·σ(−x)` with `c = 1` and
/// `e = e^(−|x|)`, tanh's `1 − tanh²x` with `c = 4` and `e = e^(−2|x|)` (`c·m` is exact, so `c = 1` costs nothing
/// in the bits).
#[inline(always)]
fn exp_grad32_from<A: Fma>(c: f32, g: f32, m: f32, s1: f32) -> f32 {
    let ms = m * s1;
    let d = vmath32::one_plus_times_2_32::<A>(ms);
    (c * ms / (d * d)) * g
}

/// `gx[i] = g[i]·c·e/(1 + e)²` with `e = e^(−k·|x[i]|)` ([`vmath32::exp_parts_fast`], [`exp_grad32_from`]), in three
/// stages over blocks, as [`exp_staged`]: the exponentials in two, then the quotients.
#[inline(always)]
fn exp_staged_grad<A: Fma>(x: &[f32], g: &[f32], gx: &mut [f32], k: f32, c: f32) {
    let mut scratch = Scratch::<f32>::take();
    let [m, s1, r, ..] = scratch.arrays();
    for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
        let n = x.len();
        let (g, gx, m, s1, r) = (&g[..n], &mut gx[..n], &mut m[..n], &mut s1[..n], &mut r[..n]);
        vmath32::exp_parts_fast_staged::<A>(x, |x| -k * x.abs(), r, m, s1);
        for i in 0..n {
            gx[i] = exp_grad32_from::<A>(c, g[i], m[i], s1[i]);
        }
    }
}

/// `ln σ(x) = min(x, 0) − ln(1 + e^(−|x|))`, PyTorch's stable form (so +0.0 for large `x`). Gradient `σ(−x)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct LogSigmoid<M = Fast>(PhantomData<M>);

impl<M: MathLib> LogSigmoid<M> {
    /// `(ln σ(x), e^(−|x|))`: the value and the `exp` it is computed from (PyTorch's buffer), in `f64`.
    #[inline(always)]
    fn with_exp<A: Fma>(x: f64) -> (f64, f64) {
        let z = M::exp::<A>(-x.abs());
        let neg = if x < 0.0 { x } else { 0.0 };
        (neg - M::log1p::<A>(z), z)
    }
    /// The same in native `f32` ([`vmath32::log1pexp_and_exp`]).
    #[inline(always)]
    fn with_exp32<A: Fma>(x: f32) -> (f32, f32) {
        let (l, z) = vmath32::log1pexp_and_exp::<A>(-x);
        (0.0 - l, z)
    }
}

impl<M: MathLib> Smooth for LogSigmoid<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        Self::with_exp::<A>(x).0
    }
    /// [`LogSigmoid::f`] in stages over blocks ([`exp_neg_abs_staged`], `ln(1 + e)`).
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        exp_neg_abs_staged::<M, A, true>(
            x,
            y,
            |x| x,
            |x, _, l| {
                let neg = if x < 0.0 { x } else { 0.0 };
                neg - l
            },
        );
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        sigmoid::<M, A>(-x)
    }
    /// [`LogSigmoid::df`] in stages over blocks ([`exp_neg_abs_staged_grad`]).
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        exp_neg_abs_staged_grad::<M, A>(x, g, gx, |x| x, |_, z, e| sigmoid_from(-z, e));
    }
    /// Native `f32`: `0 − ln(1 + e^(−x))` ([`vmath32::log1pexp`], about 1 ULP; PyTorch's float32 log-sigmoid is
    /// within 1.5), `+0.0` for large `x` as PyTorch's.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        Self::with_exp32::<A>(x).0
    }
    /// [`LogSigmoid::f32`] in four stages (see [`Smooth::f32_slice`], [`vmath32::log1pexp_staged`]).
    const STAGED32: bool = true;
    const STREAMED: bool = true;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        vmath32::log1pexp_staged::<A>(x, y, |x| -x, |_, l| 0.0 - l)
    }
    /// Native `f32` `σ(−x)` (PyTorch's float32 gradient is within about 2 ULP).
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        vmath32::sigmoid_acc::<A, true>(-x, 0.0) * g
    }
    /// [`LogSigmoid::df32`] in three stages (see [`Smooth::f32_slice`], [`vmath32::exp_exact_staged_grad`]).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        vmath32::exp_exact_staged_grad::<A>(x, g, gx, |x| -x.abs(), |x, g, e| vmath32::sigmoid_acc_from::<A>(-x, e) * g)
    }
}

/// SiLU in native `f32` given `e^(−|x|) = m·s1·2⁻⁶⁴`: `x/(1 + e)` or `x·(m·s1)/((1 + e)·2⁶⁴)` (`m·s1` is exact
/// and normal, so a subnormal result rounds once, by the division: [`vmath32::one_plus_times_2_64`]).
#[inline(always)]
fn silu32_from<A: Fma>(x: f32, m: f32, s1: f32) -> f32 {
    let ms = m * s1;
    // Below −200 the result is −0.0; clamping keeps x·m finite (NaN passes). One division for both branches.
    let xn = if x < -200.0 { -200.0 } else { x };
    let neg = x.is_sign_negative();
    let num = if neg { xn * ms } else { x };
    let den = if neg { vmath32::one_plus_times_2_64(ms) } else { A::f32(ms, vmath32::TWO_M64, 1.0) };
    // Both selections come before the division (one `vdivps` per vector in the assembly; with a selection after
    // it on the same condition, LLVM divides once per arm — see `vmath32::sigmoid_acc`).
    num / den
}

/// `x·σ(x)`; −0.0 at −∞ (PyTorch: NaN), and accurate where the result is subnormal.
/// Gradient `σ(x)·(1 + x·σ(−x))`: 0.5 at 0, 0 at −∞, 1 at +∞.
#[derive(Clone, Copy, Default)]
pub(crate) struct Silu<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Silu<M> {
    /// `x ≥ 0`: `x/(1 + e^(−x))`; `x < 0`: `x·eˣ/(1 + eˣ)` with `eˣ` in scaled parts, so results deep in the
    /// subnormal range round once. Every branch is computed and one selected (the loop vectorizes).
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        silu_f_from::<A>(x, M::exp_parts::<A>(-x.abs()))
    }
    /// [`Silu::f`] in two stages over blocks (see [`Smooth::f32_slice`]): the exponential, the rest.
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        neg_abs_blocks(
            x,
            |x| x,
            #[inline(always)]
            |m, s1, s2| exp_parts_staged::<M, A>(m, s1, s2),
            #[inline(always)]
            |start, x, [m, s1, s2]| {
                let y = &mut y[start..start + x.len()];
                for i in 0..x.len() {
                    y[i] = silu_f_from::<A>(x[i], (m[i], s1[i], s2[i]));
                }
            },
        );
    }
    /// `σ(x)·(1 + x·σ(−x))`, with `σ` from `e = e^(−|x|)`, `s = 1/(1 + e)`; for `x < 0` it is
    /// `e·s·(1 + x·s)`, again with `e` in parts.
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        silu_df_from::<A>(x, M::exp_parts::<A>(-x.abs()))
    }
    /// [`Silu::df`] in two stages over blocks (see [`Smooth::f32_slice`]): the exponential, the rest.
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        neg_abs_blocks(
            x,
            |x| x,
            #[inline(always)]
            |m, s1, s2| exp_parts_staged::<M, A>(m, s1, s2),
            #[inline(always)]
            |start, x, [m, s1, s2]| {
                let (g, gx) = (&g[start..start + x.len()], &mut gx[start..start + x.len()]);
                crate::kernel::prefetch_next(g);
                for i in 0..x.len() {
                    gx[i] = g[i] * silu_df_from::<A>(x[i], (m[i], s1[i], s2[i]));
                }
            },
        );
    }
    /// Native `f32`: `x/(1 + e)` or `x·m·s1/((1 + e)·2⁶⁴)` with `e = e^(−|x|) = m·s1·2⁻⁶⁴` ([`silu32_from`]).
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        let (m, s1) = vmath32::exp_parts_fast::<A>(-x.abs());
        silu32_from::<A>(x, m, s1)
    }
    /// [`Silu::f32`] in three stages ([`exp_staged`]).
    const STAGED32: bool = true;
    const STREAMED: bool = true;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        exp_staged::<A>(x, y, silu32_from::<A>)
    }
    /// Native `f32`, with `e = e^(−|x|)` and `D = 1 + e`: `(1 + (1 + x)·e)/D²` for `x ≥ 0` and `e·((1 + x) + e)/D²`
    /// below. Around the gradient's zero (x ≈ −1.28) `(1 + x) + e` cancels, but `1 + x` is exact there, `e` is an
    /// unevaluated pair ([`vmath32::exp_split_exact`]) and its high part cancels exactly (Sterbenz), so the sum
    /// keeps its relative accuracy — except within 0.05 of the zero, where the pair's own error (about 0.1 ULP of
    /// `e`) would be amplified beyond 4: there a fitted `(x − x0)·T(x − x0)`.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        silu_grad32_from::<A>(x, g, vmath32::exp_split_exact::<A>(-x.abs()))
    }
    /// [`Silu::df32`] in four stages (see [`Smooth::f32_slice`]): the exponential in two
    /// ([`vmath32::exp_reduced`]), the quotient's numerator and denominator, then the division with the fit around
    /// the zero beside it. The fit is independent of the division's chain and keeps the FMA units busy while the
    /// divider works: 1.07× against a stage of its own at 1,024 and 65,536 elements on Zen 3 (where, before the
    /// quotient's parts had a stage, a stage of its own had been 1.06× faster than the fit in the last one).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        let mut scratch = Scratch::<f32>::take();
        let [r, s1, hi, lo, num, den, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            let n = x.len();
            let (g, gx, r, s1) = (&g[..n], &mut gx[..n], &mut r[..n], &mut s1[..n]);
            let (hi, lo, num, den) = (&mut hi[..n], &mut lo[..n], &mut num[..n], &mut den[..n]);
            vmath32::exp_split_exact_staged::<A>(x, |x| -x.abs(), r, hi, lo, s1);
            for i in 0..n {
                (num[i], den[i]) = silu_grad32_quotient::<A>(x[i], hi[i], lo[i], s1[i]);
            }
            for i in 0..n {
                gx[i] = silu_grad32_finish::<A>(x[i], g[i], num[i], den[i]);
            }
        }
    }
}

/// SiLU in `f64` given `e^(−|x|) = m·s1·s2`.
#[inline(always)]
fn silu_f_from<A: Fma>(x: f64, (m, s1, s2): (f64, f64, f64)) -> f64 {
    let d = A::f64(m, s1 * s2, 1.0);
    // One division for both branches, the scale selected on the sign bit (see `vmath32::sigmoid_acc`).
    let q = if x >= 0.0 { x } else { x * m } / d;
    let y = if x.is_sign_negative() { (q * s1) * s2 } else { q };
    if x == f64::NEG_INFINITY { -0.0 } else { y }
}

/// SiLU′ in `f64` given `e^(−|x|) = m·s1·s2`.
#[inline(always)]
fn silu_df_from<A: Fma>(x: f64, (m, s1, s2): (f64, f64, f64)) -> f64 {
    let e = m * s1 * s2;
    let s = 1.0 / A::f64(m, s1 * s2, 1.0);
    let pos = s * (1.0 + x * e * s);
    let neg = ((m * s * (1.0 + x * s)) * s1) * s2;
    if x == f64::INFINITY {
        1.0
    } else if x == f64::NEG_INFINITY {
        0.0
    } else if x >= 0.0 {
        pos
    } else {
        neg
    }
}

/// `g·SiLU′(x)` in native `f32` given `e^(−|x|) = (hi + lo)·s1·2⁻⁶⁴` ([`vmath32::exp_split_exact`]).
#[inline(always)]
fn silu_grad32_from<A: Fma>(x: f32, g: f32, (hi, lo, s1): (f32, f32, f32)) -> f32 {
    let (num, den) = silu_grad32_quotient::<A>(x, hi, lo, s1);
    silu_grad32_finish::<A>(x, g, num, den)
}

/// SiLU′ on [−1.33, −1.23], around its zero, from the fit.
#[inline(always)]
fn silu_grad32_near_zero<A: Fma>(x: f32) -> f32 {
    vmath32::near_zero::<A, 5>(x, SILU_GRAD_ZERO_HI, SILU_GRAD_ZERO_LO, &SILU_GRAD_ZERO_T)
}

/// The numerator and denominator of SiLU′'s quotient (see [`Silu::df32`]), both times 2⁶⁴, given
/// `e^(−|x|) = (hi + lo)·s1·2⁻⁶⁴`: `m·s1 = e·2⁶⁴` is exact and normal, and `(1 + e)·2³²` is `1 + e` rounded as it
/// would be, then scaled, so for `x ≥ 0` the quotient is the unscaled one's to the bit (where `e` is normal; beyond
/// x ≈ 87 its `1` dominates either way), and for `x < 0`, whose numerator `m·s1·((1 + x) + e)` carries the 2⁶⁴
/// anyway, a subnormal gradient is rounded once, by the division. No selection or product after it.
#[inline(always)]
fn silu_grad32_quotient<A: Fma>(x: f32, hi: f32, lo: f32, s1: f32) -> (f32, f32) {
    let s = s1 * vmath32::TWO_M64;
    let ms = (hi + lo) * s1;
    // ±∞ and |x| > 200: e is 0 there and the clamp keeps (1 + x)·e from being NaN (NaN passes).
    let xc = x.clamp(-200.0, 200.0);
    let u = 1.0 + xc;
    let num = if x >= 0.0 { A::f32(ms, u, vmath32::TWO_P64) } else { ms * ((u + hi * s) + lo * s) };
    let d = vmath32::one_plus_times_2_32::<A>(ms);
    (num, d * d)
}

/// `g·SiLU′(x)` from [`silu_grad32_quotient`]'s parts, or from the fit around the zero ([`silu_grad32_near_zero`]).
#[inline(always)]
fn silu_grad32_finish<A: Fma>(x: f32, g: f32, num: f32, den: f32) -> f32 {
    let grad = if x == f32::NEG_INFINITY { 0.0 } else { num / den };
    let near = silu_grad32_near_zero::<A>(x);
    // Selected, then multiplied: written as branches that each multiply, it had LLVM load `num` and `den` with
    // masked loads (1.04× faster so, Zen 3).
    (if (-1.33..=-1.23).contains(&x) { near } else { grad }) * g
}

// Generated by tools/fit/coefficients.py (mpmath).
/// The zero of SiLU′, −1.27846454276107379510…, as an `f32` pair.
const SILU_GRAD_ZERO_HI: f32 = -1.2784646;
const SILU_GRAD_ZERO_LO: f32 = 1.29792825e-08;
/// SiLU′(x0 + d) = d·T(d) on x in [−1.33, −1.23], relative error 9.6e-9.
const SILU_GRAD_ZERO_T: [f32; 5] = [0.2178117, 0.1466488, 0.018874813, -0.015222264, -0.0066041634];

/// Log-sigmoid with PyTorch's buffer `z = e^(−|x|)` (`log_sigmoid_forward`), and the gradient from it as
/// PyTorch's `log_sigmoid_backward`: `(x < 0 ? 1 − t : t)·g` with `t = z/(1 + z)`, the same operations in the same
/// order, so the gradient is PyTorch's bit for bit given the same buffer. The forward is [`LogSigmoid`]'s.
#[derive(Clone, Copy, Default)]
pub(crate) struct LogSigmoidBuffered;

impl Buffered for LogSigmoidBuffered {
    #[inline(always)]
    fn forward64<A: Fma>(&self, x: f64) -> (f64, f64) {
        LogSigmoid::<Fast>::with_exp::<A>(x)
    }
    #[inline(always)]
    fn forward32<A: Fma>(&self, x: f32) -> (f32, f32) {
        LogSigmoid::<Fast>::with_exp32::<A>(x)
    }
    #[inline(always)]
    fn backward<T: Float>(&self, x: T, z: T, g: T) -> T {
        let t = z / (T::ONE + z);
        (if x < T::ZERO { T::ONE - t } else { t }) * g
    }
}

/// Sigmoid's gradient from its output, as PyTorch's `sigmoid_backward`: `(g·(1 − y))·y`. Only `backward` is used
/// (its first argument is `y`); `forward` is the identity.
#[derive(Clone, Copy)]
pub(crate) struct SigmoidFromOutput;

impl<T: Float> Kernel<T> for SigmoidFromOutput {
    #[inline(always)]
    fn forward<A: Fma>(&self, y: T) -> T {
        y
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, y: T, g: T) -> T {
        g * (T::ONE - y) * y
    }
}

/// Tanh's gradient from its output, as PyTorch's `tanh_backward`: `g·(1 − y·y)`, with `1 − y·y` fused (GCC
/// contracts PyTorch's vectorized `one − b·b` into an FMA). As [`SigmoidFromOutput`].
#[derive(Clone, Copy)]
pub(crate) struct TanhFromOutput;

impl<T: Float> Kernel<T> for TanhFromOutput {
    #[inline(always)]
    fn forward<A: Fma>(&self, y: T) -> T {
        y
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, y: T, g: T) -> T {
        g * T::fma::<A>(-y, y, T::ONE)
    }
}

/// `tanh x`. Gradient `sech²x`, from `x` (PyTorch's `1 − y²` cancels to 0 for |x| > 9 in f32).
#[derive(Clone, Copy, Default)]
pub(crate) struct Tanh<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Tanh<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        M::tanh::<A>(x)
    }
    /// [`Tanh::f`] in three stages over blocks ([`tanh_staged`]).
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [n, r, ..] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            tanh_staged::<M, A>(x, y, n, r);
        }
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        sech2::<M, A>(x)
    }
    /// [`Tanh::df`] in stages over blocks ([`exp_neg_abs_staged_grad`], `e = e^(−2|x|)`).
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        exp_neg_abs_staged_grad::<M, A>(x, g, gx, |x| 2.0 * x, |_, _, e| 4.0 * e / ((1.0 + e) * (1.0 + e)));
    }
    /// Lean `f64` (PyTorch's float32 tanh is within about 0.51 ULP).
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        vmath32::tanh64::<A>(x as f64) as f32
    }
    /// Native `f32`: `4e/(1 + e)²`, `e = e^(−2|x|)`, scaled so that subnormal results round once.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let (m, s1) = vmath32::exp_parts_fast::<A>(-2.0 * x.abs());
        exp_grad32_from::<A>(4.0, g, m, s1)
    }
    /// [`Tanh::df32`] in three stages ([`exp_staged_grad`]).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        exp_staged_grad::<A>(x, g, gx, 2.0, 4.0)
    }
}

/// Below this |x|, `x − tanh x` is summed from its Taylor series (the next term is < 2⁻⁵³ of the sum).
const TANHSHRINK_SERIES: f64 = 0.125;

/// Taylor coefficients of `x − tanh x` in powers of `x²`, starting at `x³`: `(−1)^(k+1)·2^(2k)(2^(2k) − 1)·
/// |B_2k|/(2k)!` for k = 2, 3, … (Abramowitz & Stegun 4.5.64).
const TANHSHRINK_TAYLOR: [f64; 7] = [
    1.0 / 3.0,
    -2.0 / 15.0,
    17.0 / 315.0,
    -62.0 / 2835.0,
    1382.0 / 155_925.0,
    -21844.0 / 6_081_075.0,
    929_569.0 / 638_512_875.0,
];

// Generated by tools/fit/coefficients.py (mpmath).
/// `(x − tanh x)/x³ = 1/3 + u·T(u)`, `u = x²` in [0, 1]: relative error of `T` 6.9e-8.
const TANHSHRINK_T: [f32; 7] =
    [-0.13333333, 0.053967424, -0.021855928, 0.008778389, -0.003331011, 0.0010174605, -0.00017050421];
/// 1/3 as an `f32` pair.
const THIRD_HI: f32 = 0.33333334;
const THIRD_LO: f32 = -9.934108e-9;

/// `x³·(1/3 + u·T(u))`, `u = x²` split exactly: [`Tanhshrink::f32`] for |x| < 1.
#[inline(always)]
fn tanhshrink_series<A: Fma>(x: f32) -> f32 {
    let h = x * x;
    let l = A::f32(x, x, -h);
    let p = THIRD_HI + A::f32(h, vmath32::horner::<A, 7>(h, &TANHSHRINK_T), THIRD_LO);
    let hp = h * p;
    A::f32(x, hp, x * (A::f32(h, p, -hp) + l * p))
}

/// `e^(−2|x|)` as [`vmath32::exp_split_exact`] returns it. e^(−40) is far below an ULP of |x| − 1 ≥ 19; the clamp
/// keeps it normal.
#[inline(always)]
fn tanhshrink_exp<A: Fma>(x: f32) -> (f32, f32, f32) {
    vmath32::exp_split_exact::<A>(-2.0 * x.abs().min(20.0))
}

/// Tanhshrink from the series and `e^(−2|x|) = (hi + lo)·s1·2⁻⁶⁴`.
#[inline(always)]
fn tanhshrink_out<A: Fma>(x: f32, series: f32, hi: f32, lo: f32, s1: f32) -> f32 {
    let a = x.abs();
    let s = s1 * vmath32::TWO_M64;
    let e = A::f32(hi, s, lo * s);
    let direct = A::f32(2.0, e / (1.0 + e), a - 1.0).copysign(x);
    let y = if a < 1.0 { series } else { direct };
    // ±0 give +0.0, as PyTorch's x − tanh x. (Values selected in turn: as one chain of branches, LLVM loaded the
    // exponential's parts with masked loads.)
    if x == 0.0 { 0.0 } else { y }
}

/// `x − tanh x` given `t = tanh x`, by its Taylor series near 0 (where the difference cancels).
#[inline(always)]
fn tanhshrink_from(x: f64, t: f64) -> f64 {
    let x2 = x * x;
    let poly = TANHSHRINK_TAYLOR.iter().rev().fold(0.0, |acc, &c| acc * x2 + c);
    // `+ 0.0` turns the −0.0 of a zero input into +0.0, as `x − tanh x` does.
    let series = x * x2 * poly + 0.0;
    let direct = x - t;
    if x.abs() < TANHSHRINK_SERIES { series } else { direct }
}

/// `x − tanh x`, by its Taylor series near 0 where the difference cancels (PyTorch loses all digits there).
/// Signed zeros give +0.0, as PyTorch's `x − tanh x`. Gradient `tanh²x`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Tanhshrink<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Tanhshrink<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        tanhshrink_from(x, M::tanh::<A>(x))
    }
    /// [`Tanhshrink::f`] in stages over blocks: `tanh` ([`tanh_staged`]), the rest.
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [n, r, ..] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            tanh_staged::<M, A>(x, y, n, r);
            for (y, &x) in y.iter_mut().zip(x) {
                *y = tanhshrink_from(x, *y);
            }
        }
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        let t = M::tanh::<A>(x);
        t * t
    }
    /// [`Tanhshrink::df`] in stages over blocks: `tanh` ([`tanh_staged`]), the rest.
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [n, r, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            tanh_staged::<M, A>(x, gx, n, r);
            for (gx, &g) in gx.iter_mut().zip(g) {
                *gx = g * (*gx * *gx);
            }
        }
    }
    /// Native `f32`. |x| < 1: `x³·(1/3 + u·T(u))`, `u = x²` split exactly and 1/3 as a pair (fitted `T`).
    /// Beyond, `x − tanh x = ±((|x| − 1) + 2e/(1 + e))` with `e = e^(−2|x|)`: `|x| − 1` is exact and the terms
    /// have the same sign, so nothing cancels.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        let (hi, lo, s1) = tanhshrink_exp::<A>(x);
        tanhshrink_out::<A>(x, tanhshrink_series::<A>(x), hi, lo, s1)
    }
    /// [`Tanhshrink::f32`] in three stages (see [`Smooth::f32_slice`]): the series, the exponential, the rest.
    const STAGED32: bool = true;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        let mut scratch = Scratch::<f32>::take();
        let [series, hi, lo, s1, ..] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            let n = x.len();
            let (y, series, hi, lo, s1) = (&mut y[..n], &mut series[..n], &mut hi[..n], &mut lo[..n], &mut s1[..n]);
            for i in 0..n {
                series[i] = tanhshrink_series::<A>(x[i]);
            }
            for i in 0..n {
                (hi[i], lo[i], s1[i]) = tanhshrink_exp::<A>(x[i]);
            }
            for i in 0..n {
                y[i] = tanhshrink_out::<A>(x[i], series[i], hi[i], lo[i], s1[i]);
            }
        }
    }
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let t = vmath32::tanh64::<A>(x as f64);
        (g as f64 * (t * t)) as f32
    }
}

/// `x/(1 + |x|)`; ±1 at ±∞ (PyTorch: NaN). Gradient `1/(1 + |x|)²`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Softsign<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Softsign<M> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        let y = x / (1.0 + x.abs());
        if x == f64::INFINITY {
            1.0
        } else if x == f64::NEG_INFINITY {
            -1.0
        } else {
            y
        }
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        let r = 1.0 / (1.0 + x.abs());
        r * r
    }
}
