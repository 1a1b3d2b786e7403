//! Sigmoid, LogSigmoid, SiLU, Tanh, Tanhshrink and Softsign: the S-shaped family.

use crate::kernel::Smooth;
use crate::math::{sech2, sigmoid};

/// `σ(x)`. Gradient `σ(x)·σ(−x)`, from `x` — PyTorch's `y(1 − y)` is 0 once `y` rounds to 1.
#[derive(Clone, Copy)]
pub(crate) struct Sigmoid;

impl Smooth for Sigmoid {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        sigmoid(x)
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        sigmoid(x) * sigmoid(-x)
    }
}

/// `ln σ(x) = min(x, 0) − ln(1 + e^(−|x|))`, PyTorch's stable form (so +0.0 for large `x`). Gradient `σ(−x)`.
#[derive(Clone, Copy)]
pub(crate) struct LogSigmoid;

impl Smooth for LogSigmoid {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        let neg = if x < 0.0 { x } else { 0.0 };
        neg - (-x.abs()).exp().ln_1p()
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        sigmoid(-x)
    }
}

/// Below this, `eˣ` is subnormal and loses bits, so the tails below scale it into the normal range.
pub(crate) const EXP_SUBNORMAL: f64 = -708.0;

/// `eˣ = e^(x + 64)·e^(−64)`: with `e^(x + 64)` normal, the product rounds once into the subnormal range.
/// (`x + 64` is exact for x in [−1024, −512].)
const TAIL_SHIFT: f64 = 64.0;

/// `x·eˣ` for `x < EXP_SUBNORMAL`, where it is the whole of `x·σ(x)` (and of Mish).
#[inline]
pub(crate) fn x_exp_x_tail(x: f64) -> f64 {
    x * (x + TAIL_SHIFT).exp() * (-TAIL_SHIFT).exp()
}

/// `eˣ·(1 + x)` for `x < EXP_SUBNORMAL`: the whole of SiLU's (and Mish's) derivative there.
#[inline]
pub(crate) fn exp_x_1px_tail(x: f64) -> f64 {
    (1.0 + x) * (x + TAIL_SHIFT).exp() * (-TAIL_SHIFT).exp()
}

/// `x·σ(x)`; −0.0 at −∞ (PyTorch: NaN), and accurate where the result is subnormal.
/// Gradient `σ(x)·(1 + x·σ(−x))`: 0.5 at 0, 0 at −∞, 1 at +∞.
#[derive(Clone, Copy)]
pub(crate) struct Silu;

impl Smooth for Silu {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        if x == f64::NEG_INFINITY {
            -0.0
        } else if x < EXP_SUBNORMAL {
            x_exp_x_tail(x)
        } else {
            x * sigmoid(x)
        }
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        if x.is_infinite() {
            return if x > 0.0 { 1.0 } else { 0.0 };
        }
        if x < EXP_SUBNORMAL {
            return exp_x_1px_tail(x);
        }
        sigmoid(x) * (1.0 + x * sigmoid(-x))
    }
}

/// `tanh x`. Gradient `sech²x`, from `x` (PyTorch's `1 − y²` cancels to 0 for |x| > 9 in f32).
#[derive(Clone, Copy)]
pub(crate) struct Tanh;

impl Smooth for Tanh {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        x.tanh()
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        sech2(x)
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
#[derive(Clone, Copy)]
pub(crate) struct Tanhshrink;

impl Smooth for Tanhshrink {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        if x.abs() < TANHSHRINK_SERIES {
            let x2 = x * x;
            let poly = TANHSHRINK_TAYLOR.iter().rev().fold(0.0, |acc, &c| acc * x2 + c);
            // `+ 0.0` turns the −0.0 of a zero input into +0.0, as `x − tanh x` does.
            x * x2 * poly + 0.0
        } else {
            x - x.tanh()
        }
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        let t = x.tanh();
        t * t
    }
}

/// `x/(1 + |x|)`; ±1 at ±∞ (PyTorch: NaN). Gradient `1/(1 + |x|)²`.
#[derive(Clone, Copy)]
pub(crate) struct Softsign;

impl Smooth for Softsign {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        if x.is_infinite() { x.signum() } else { x / (1.0 + x.abs()) }
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        let r = 1.0 / (1.0 + x.abs());
        r * r
    }
}
