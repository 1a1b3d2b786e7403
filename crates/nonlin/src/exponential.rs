//! ELU, CELU, SELU, Softplus and Mish: the activations built on `eˣ`.

use std::marker::PhantomData;

use crate::kernel::{BLOCK, Scratch, Smooth};
use crate::math::{
    Fast, Fma, MathLib, exp_neg_abs_staged, exp_neg_abs_staged_grad, exp64_staged, log1pexp, sigmoid, sigmoid_from,
};
use crate::vmath32::{self, Split};

/// `scale·α` and `scale` from PyTorch's `torch.nn.SELU` (Klambauer et al., 2017).
pub(crate) const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
/// See [`SELU_ALPHA`].
pub(crate) const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

/// PyTorch's `elu(x, alpha, scale, input_scale)`, which ELU, CELU and SELU all call:
/// `x ≤ 0 ? alpha·scale·expm1(x·input_scale) : x·scale`. The branch is selected, never blended, so no `0·∞`.
/// Gradient: `x ≤ 0 ? alpha·scale·input_scale·e^(x·input_scale) : scale` — the negative branch's value at 0
/// (α for ELU, 1 for CELU, α·scale for SELU), and NaN for NaN (PyTorch's vectorized path; its scalar tail loop
/// gives `scale`).
///
/// `UNIT` marks α = scale = input_scale = 1 (ELU and CELU with their default α), `SCALED` an input scale other
/// than 1 (CELU with another α): the `f32` kernels skip the multiplications by constants that are 1, which are
/// exact but cost operations all the same.
#[derive(Clone, Copy)]
pub(crate) struct Elu<M = Fast, const UNIT: bool = false, const SCALED: bool = false> {
    neg: f64,
    scale: f64,
    input_scale: f64,
    lib: PhantomData<M>,
}

impl<M, const UNIT: bool, const SCALED: bool> Elu<M, UNIT, SCALED> {
    pub(crate) fn plain(alpha: f64) -> Self {
        Elu { neg: alpha, scale: 1.0, input_scale: 1.0, lib: PhantomData }
    }
    pub(crate) fn celu(alpha: f64) -> Self {
        Elu { neg: alpha, scale: 1.0, input_scale: 1.0 / alpha, lib: PhantomData }
    }
    pub(crate) fn selu() -> Self {
        Elu { neg: SELU_ALPHA * SELU_SCALE, scale: SELU_SCALE, input_scale: 1.0, lib: PhantomData }
    }
}

impl<M, const UNIT: bool, const SCALED: bool> Elu<M, UNIT, SCALED> {
    /// The value given the negative branch's: both branches are computed and one selected, so the loop vectorizes.
    /// ±0.0 and NaN take the positive branch, `x·scale`, which is what the negative one gives there (±0.0, NaN):
    /// the negative branch need not keep the sign of zero.
    #[inline(always)]
    fn select(&self, x: f64, negative: f64) -> f64 {
        let positive = x * self.scale;
        if x < 0.0 { negative } else { positive }
    }
    /// The gradient given `e = e^(x·input_scale)`.
    #[inline(always)]
    fn df_from(&self, x: f64, e: f64) -> f64 {
        if x <= 0.0 {
            self.neg * self.input_scale * e
        } else if x > 0.0 {
            self.scale
        } else {
            x
        }
    }
}

impl<M: MathLib, const UNIT: bool, const SCALED: bool> Smooth for Elu<M, UNIT, SCALED> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        self.select(x, self.neg * M::expm1::<A>(x * self.input_scale))
    }
    /// [`Elu::f`] in three stages over blocks: `expm1`'s reduction ([`MathLib::exp_start`]), its polynomial
    /// ([`MathLib::exp_poly`]), the rest ([`MathLib::expm1_end`], which may lose the sign of zero, and the
    /// selection). At 1,024 and 65,536 elements (Zen 3) 1.10–1.13× faster than in one loop; in two (the polynomial
    /// with the rest), no faster.
    const STAGED64: bool = true;
    /// At 16M `f64` elements forward 1.15× on one thread, 1.04–1.17× on two; backward 0.99–1.05× (the `f32`
    /// kernels lose by it, see [`Smooth::STREAMED`]).
    const STREAMED64: bool = true;
    const GRAD64_STREAMED_IN_ONE_LOOP: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [n, p, ..] = scratch.arrays();
        for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
            crate::kernel::prefetch_next(x);
            let len = x.len();
            let (y, n, p) = (&mut y[..len], &mut n[..len], &mut p[..len]);
            for i in 0..len {
                (n[i], p[i]) = M::exp_start::<A>(x[i] * self.input_scale);
            }
            for p in p.iter_mut() {
                *p = M::exp_poly::<A>(*p);
            }
            for i in 0..len {
                let negative = self.neg * M::expm1_end::<A>(x[i] * self.input_scale, n[i], p[i]);
                y[i] = self.select(x[i], negative);
            }
        }
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        self.df_from(x, M::exp::<A>(x * self.input_scale))
    }
    /// [`Elu::df`] in stages over blocks ([`exp64_staged`]), then the selection.
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        let mut scratch = Scratch::<f64>::take();
        let [e, s1, s2, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            crate::kernel::prefetch_next(x);
            crate::kernel::prefetch_next(g);
            let n = x.len();
            let (g, gx, e) = (&g[..n], &mut gx[..n], &mut e[..n]);
            for i in 0..n {
                e[i] = x[i] * self.input_scale;
            }
            exp64_staged::<M, A>(e, s1, s2);
            for i in 0..n {
                gx[i] = g[i] * self.df_from(x[i], e[i]);
            }
        }
    }
    /// Native `f32`, the constants as `f32` pairs so they add no rounding of their own.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        // α = 1 (ELU, CELU by default): a plain expm1 rounded once is enough (≤ 0.92 ULP on all floats; PyTorch
        // reaches 0.995 on the sample) and cheaper.
        if UNIT {
            let (z, z_lo) = elu_arg_unit(x);
            return if x <= 0.0 { vmath32::expm1_neg::<A>(z, z_lo) } else { x };
        }
        // x/α for CELU as an f32 pair: its rounding alone would cost up to |x/α|·2⁻²⁴ relative in e^(x/α).
        let (z, z_lo) = if SCALED { elu_arg::<A>(self.input_scale, x) } else { elu_arg_unit(x) };
        // Any factor but 1 (α = 1 is `UNIT`; SELU's λα) would scale a rounded expm1's error, so it enters the final
        // rounding.
        let negative = vmath32::expm1_neg_scaled::<A>(z, z_lo, Split::new(self.neg));
        let positive = Split::new(self.scale).mul::<A>(x);
        if x <= 0.0 { negative } else { positive }
    }
    /// Native `f32` with the accurate `exp` (PyTorch's float32 ELU gradient is within about 0.9 ULP).
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        // The constant multiplies the mantissa part first, so a subnormal result rounds once.
        let (z, z_lo) = if SCALED { elu_arg::<A>(self.input_scale, x) } else { elu_arg_unit(x) };
        let (m, s1) = if UNIT {
            let (hi, lo, s1) = vmath32::exp_split::<A>(z, z_lo);
            (hi + lo, s1)
        } else {
            vmath32::exp_scaled_parts::<A>(z, z_lo, Split::new(self.neg * self.input_scale))
        };
        let negative = ((m * s1) * vmath32::TWO_M64) * g;
        let positive = if UNIT { g } else { Split::new(self.scale).mul::<A>(g) };
        if x <= 0.0 {
            negative
        } else if x > 0.0 {
            positive
        } else {
            x
        }
    }
}

/// [`elu_arg`] for `input_scale` 1: `x` exactly, clamped at −110.
#[inline(always)]
fn elu_arg_unit(x: f32) -> (f32, f32) {
    (if x < -110.0 { -110.0 } else { x }, 0.0)
}

/// `x·input_scale` as an `f32` pair, clamped at −110 (where e^z is 0 in `f32`; also keeps −∞ and overflow out of
/// the split). NaN passes.
#[inline(always)]
fn elu_arg<A: Fma>(input_scale: f64, x: f32) -> (f32, f32) {
    let (z, z_lo) = Split::new(input_scale).mul_split::<A>(x);
    if z < -110.0 { (-110.0, 0.0) } else { (z, z_lo) }
}

/// `β·x > threshold ? x : ln(1 + e^(β·x))/β` (strict `>`, as PyTorch). The log term is evaluated in a form that
/// never overflows, so a large `threshold` does not produce `inf`. Gradient: `β·x > threshold ? 1 : σ(β·x)`.
#[derive(Clone, Copy)]
///
/// `UNIT` marks β = 1 (the default), for which `f32` has a native kernel: `β·x` is then exact in `f32`.
pub(crate) struct Softplus<M = Fast, const UNIT: bool = false> {
    beta: f64,
    threshold: f64,
    lib: PhantomData<M>,
}

impl<M, const UNIT: bool> Softplus<M, UNIT> {
    pub(crate) fn new(beta: f64, threshold: f64) -> Self {
        debug_assert!(!UNIT || beta == 1.0);
        Softplus { beta, threshold, lib: PhantomData }
    }
    /// `β·x` (`x` for β = 1: the same value).
    #[inline(always)]
    fn scale(&self, x: f64) -> f64 {
        if UNIT { x } else { x * self.beta }
    }
    /// `v/β`, without the division for β = 1 (the same value; the `f64` forward 1.03–1.06× faster without it).
    #[inline(always)]
    fn unscale(&self, v: f64) -> f64 {
        if UNIT { v } else { v / self.beta }
    }
}

impl<M: MathLib, const UNIT: bool> Smooth for Softplus<M, UNIT> {
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        let z = self.scale(x);
        let y = self.unscale(log1pexp::<M, A>(z));
        if z > self.threshold { x } else { y }
    }
    /// [`Softplus::f`] in stages over blocks ([`exp_neg_abs_staged`], `ln(1 + e)`).
    const STAGED64: bool = true;
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        exp_neg_abs_staged::<M, A, true>(
            x,
            y,
            |x| self.scale(x),
            |x, z, l| {
                let pos = if z > 0.0 { z } else { 0.0 };
                let v = self.unscale(pos + l);
                if z > self.threshold { x } else { v }
            },
        );
    }
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        let z = self.scale(x);
        let d = sigmoid::<M, A>(z);
        if z > self.threshold { 1.0 } else { d }
    }
    /// [`Softplus::df`] in stages over blocks ([`exp_neg_abs_staged_grad`]).
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        exp_neg_abs_staged_grad::<M, A>(
            x,
            g,
            gx,
            |x| self.scale(x),
            |_, z, e| {
                if z > self.threshold { 1.0 } else { sigmoid_from(z, e) }
            },
        );
    }
    /// β = 1: native `f32` ([`vmath32::log1pexp`], about 1 ULP); otherwise lean `f64` (within 0.5 ULP).
    /// PyTorch's float32 softplus is within 1.5 ULP.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        if UNIT {
            let y = vmath32::log1pexp::<A>(x);
            // PyTorch's float32 test, `x·β > threshold` with both rounded to float32.
            return if x > self.threshold as f32 { x } else { y };
        }
        let z = x as f64 * self.beta;
        let pos = if z > 0.0 { z } else { 0.0 };
        let y = (pos + vmath32::log1p_unit64::<A>(vmath32::exp64::<A>(-z.abs()))) / self.beta;
        if z > self.threshold { x } else { y as f32 }
    }
    /// β = 1: [`Softplus::f32`] in four stages (see [`Smooth::f32_slice`], [`vmath32::log1pexp_staged`]).
    const STAGED32: bool = UNIT;
    const STREAMED: bool = UNIT;
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        if UNIT {
            let threshold = self.threshold as f32;
            vmath32::log1pexp_staged::<A>(x, y, |x| x, |x, y| if x > threshold { x } else { y });
        } else {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = self.f32::<A>(x);
            }
        }
    }
    /// Native `f32` `σ(β·x)`, `β·x` as an `f32` pair (PyTorch's float32 gradient is within about 2 ULP).
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        let (z, d) = if UNIT {
            (x, vmath32::sigmoid_acc::<A, true>(x, 0.0))
        } else {
            let (z, z_lo) = Split::new(self.beta).mul_split::<A>(x);
            (z, vmath32::sigmoid_acc::<A, false>(z, if z.is_finite() { z_lo } else { 0.0 }))
        };
        let d = d * g;
        // PyTorch's float32 test: `x·β > threshold` with both rounded to float32.
        if z > self.threshold as f32 { g } else { d }
    }
    /// β = 1: [`Softplus::df32`] in three stages (see [`Smooth::f32_slice`], [`vmath32::exp_exact_staged_grad`]).
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        if UNIT {
            let threshold = self.threshold as f32;
            vmath32::exp_exact_staged_grad::<A>(
                x,
                g,
                gx,
                |x| -x.abs(),
                |x, g, e| {
                    let d = vmath32::sigmoid_acc_from::<A>(x, e) * g;
                    if x > threshold { g } else { d }
                },
            );
        } else {
            for ((gx, &x), &g) in gx.iter_mut().zip(x).zip(g) {
                *gx = self.df32::<A>(x, g);
            }
        }
    }
}

/// Above this, `tanh(softplus(x))` is 1 to within `2e^(−2x)` < 2⁻⁵⁸ and Mish is `x` in `f64`.
const MISH_LINEAR: f64 = 20.0;

/// `x·tanh(softplus(x))`, written with `n = eˣ(eˣ + 2)` as `x·n/(n + 2)`: no cancellation for negative `x`, no
/// overflow for large `x`, and the limits at ±∞ (+∞ and −0.0) where PyTorch's formula gives NaN.
/// Gradient: `tanh(sp) + x·σ(x)·sech²(sp)` with `sech²(sp) = 4(n + 1)/(n + 2)²`; limits 0 at −∞ and 1 at +∞.
#[derive(Clone, Copy, Default)]
pub(crate) struct Mish<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Mish<M> {
    /// With `e = eˣ` (in scaled parts `m·s1·s2`) and `n = e(e + 2)`: `tanh(softplus(x)) = n/(n + 2) = e·q`,
    /// `q = (e + 2)/(n + 2)`, so Mish is `((x·m·q)·s1)·s2` — accurate into the subnormal tail, one rounding.
    #[inline(always)]
    fn f<A: Fma>(&self, x: f64) -> f64 {
        let (m, s1, s2) = M::exp_parts::<A>(x);
        let e = m * s1 * s2;
        let n = e * (e + 2.0);
        let q = (e + 2.0) / (n + 2.0);
        let y = ((x * m * q) * s1) * s2;
        if x > MISH_LINEAR {
            x
        } else if x == f64::NEG_INFINITY {
            -0.0
        } else {
            y
        }
    }
    /// `tanh(sp) + x·σ(x)·sech²(sp) = e·(q + x·r·w)`, `r = 1/(1 + e)`, `w = 4(n + 1)/(n + 2)²`.
    #[inline(always)]
    fn df<A: Fma>(&self, x: f64) -> f64 {
        let (m, s1, s2) = M::exp_parts::<A>(x);
        let e = m * s1 * s2;
        let n = e * (e + 2.0);
        let q = (e + 2.0) / (n + 2.0);
        let r = 1.0 / (1.0 + e);
        let w = 4.0 * (n + 1.0) / ((n + 2.0) * (n + 2.0));
        let d = ((m * (q + x * r * w)) * s1) * s2;
        if x > MISH_LINEAR {
            1.0
        } else if x == f64::NEG_INFINITY {
            0.0
        } else {
            d
        }
    }
    /// Native `f32`: `x·e·q` with `e = eˣ = (hi + lo)·s1·2⁻⁶⁴` ([`vmath32::exp_split_exact`]) and
    /// `q = (e + 2)/(e(e + 2) + 2)` in [0.4, 1] (no cancellation), `x·(hi + lo)` kept as a pair so that the
    /// product rounds once; `e` in `q` is floored at about 2⁻⁶⁰ (where `q` is 1 to the last bit) so that no
    /// operation but the last has a subnormal result. `x` is clamped to [−131, 20] (−131·e⁻¹³¹ rounds to −0.0,
    /// NaN stays NaN) and the sign is `x`'s, so −0.0 stays −0.0.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        let xc = x.clamp(-131.0, 20.0);
        let (hi, lo, s1) = vmath32::exp_split_exact::<A>(xc);
        let e = ((hi + lo) * if s1 < 16.0 { 16.0 } else { s1 }) * vmath32::TWO_M64;
        let p2 = e + 2.0;
        let q = p2 / A::f32(e, p2, 2.0);
        let p = xc * hi;
        let p_lo = A::f32(xc, hi, -p) + xc * lo;
        let y = ((A::f32(p, q, p_lo * q) * s1) * vmath32::TWO_M64).copysign(x);
        if x > MISH_LINEAR as f32 { x } else { y }
    }
    /// Lean `f64`: the gradient has a zero at x ≈ −1.19, where `f32` arithmetic would have no correct digits.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        mish_grad32_from(x, g, vmath32::exp64::<A>(x as f64))
    }
    /// [`Mish::df32`] in two stages over blocks (see [`Smooth::f32_slice`]): the exponential, the rest.
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        let mut scratch = Scratch::<f64>::take();
        let [e, ..] = scratch.arrays();
        for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
            crate::kernel::prefetch_next(x);
            crate::kernel::prefetch_next(g);
            let n = x.len();
            let (g, gx, e) = (&g[..n], &mut gx[..n], &mut e[..n]);
            for i in 0..n {
                e[i] = vmath32::exp64::<A>(x[i] as f64);
            }
            for i in 0..n {
                gx[i] = mish_grad32_from(x[i], g[i], e[i]);
            }
        }
    }
}

/// `g·Mish′(x)` in lean `f64` given `e = eˣ` ([`vmath32::exp64`]).
#[inline(always)]
fn mish_grad32_from(x: f32, g: f32, e: f64) -> f32 {
    let x = x as f64;
    let n = e * (e + 2.0);
    // e·(q + x·r·w) with q = (e + 2)/(n + 2), r = 1/(1 + e), w = 4(n + 1)/(n + 2)², over one denominator:
    // one division instead of three (no overflow: e ≤ e²⁰ here, so the denominator stays below 1e44).
    let (p, m) = (1.0 + e, n + 2.0);
    let d = e * ((e + 2.0) * p * m + 4.0 * x * (n + 1.0)) / (p * m * m);
    let d = if x == f64::NEG_INFINITY { 0.0 } else { d };
    let d = if x > MISH_LINEAR { 1.0 } else { d };
    (g as f64 * d) as f32
}
