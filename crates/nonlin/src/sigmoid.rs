//! Sigmoid, LogSigmoid, SiLU, Tanh, Tanhshrink and Softsign: the S-shaped family.

use std::marker::PhantomData;

use crate::kernel::Smooth;
use crate::math::{Fast, MathLib, sech2, sigmoid};

/// `σ(x)`. Gradient `σ(x)·σ(−x)`, from `x` — PyTorch's `y(1 − y)` is 0 once `y` rounds to 1.
#[derive(Clone, Copy, Default)]
pub(crate) struct Sigmoid<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Sigmoid<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        sigmoid::<M>(x)
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        sigmoid::<M>(x) * sigmoid::<M>(-x)
    }
}

/// `ln σ(x) = min(x, 0) − ln(1 + e^(−|x|))`, PyTorch's stable form (so +0.0 for large `x`). Gradient `σ(−x)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct LogSigmoid<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for LogSigmoid<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        let neg = if x < 0.0 { x } else { 0.0 };
        neg - M::log1p(M::exp(-x.abs()))
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        sigmoid::<M>(-x)
    }
}

/// `x·σ(x)`; −0.0 at −∞ (PyTorch: NaN), and accurate where the result is subnormal.
/// Gradient `σ(x)·(1 + x·σ(−x))`: 0.5 at 0, 0 at −∞, 1 at +∞.
#[derive(Clone, Copy, Default)]
pub(crate) struct Silu<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Silu<M> {
    /// `x ≥ 0`: `x/(1 + e^(−x))`; `x < 0`: `x·eˣ/(1 + eˣ)` with `eˣ` in scaled parts, so results deep in the
    /// subnormal range round once. Every branch is computed and one selected (the loop vectorizes).
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        let (m, s1, s2) = M::exp_parts(-x.abs());
        let d = 1.0 + m * s1 * s2;
        let pos = x / d;
        let neg = ((x * m / d) * s1) * s2;
        if x >= 0.0 {
            pos
        } else if x == f64::NEG_INFINITY {
            -0.0
        } else {
            neg
        }
    }
    /// `σ(x)·(1 + x·σ(−x))`, with `σ` from `e = e^(−|x|)`, `s = 1/(1 + e)`; for `x < 0` it is
    /// `e·s·(1 + x·s)`, again with `e` in parts.
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        let (m, s1, s2) = M::exp_parts(-x.abs());
        let e = m * s1 * s2;
        let s = 1.0 / (1.0 + e);
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
}

/// `tanh x`. Gradient `sech²x`, from `x` (PyTorch's `1 − y²` cancels to 0 for |x| > 9 in f32).
#[derive(Clone, Copy, Default)]
pub(crate) struct Tanh<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Tanh<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        M::tanh(x)
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        sech2::<M>(x)
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

/// `x − tanh x`, by its Taylor series near 0 where the difference cancels (PyTorch loses all digits there).
/// Signed zeros give +0.0, as PyTorch's `x − tanh x`. Gradient `tanh²x`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Tanhshrink<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Tanhshrink<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        let x2 = x * x;
        let poly = TANHSHRINK_TAYLOR.iter().rev().fold(0.0, |acc, &c| acc * x2 + c);
        // `+ 0.0` turns the −0.0 of a zero input into +0.0, as `x − tanh x` does.
        let series = x * x2 * poly + 0.0;
        let direct = x - M::tanh(x);
        if x.abs() < TANHSHRINK_SERIES { series } else { direct }
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        let t = M::tanh(x);
        t * t
    }
}

/// `x/(1 + |x|)`; ±1 at ±∞ (PyTorch: NaN). Gradient `1/(1 + |x|)²`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Softsign<M = Fast>(PhantomData<M>);

impl<M: MathLib> Smooth for Softsign<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
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
    fn df(&self, x: f64) -> f64 {
        let r = 1.0 / (1.0 + x.abs());
        r * r
    }
}
