//! ELU, CELU, SELU, Softplus and Mish: the activations built on `eˣ`.

use crate::kernel::Smooth;
use crate::math::{log1pexp, sigmoid};
use crate::sigmoid::{EXP_SUBNORMAL, exp_x_1px_tail, x_exp_x_tail};

/// `scale·α` and `scale` from PyTorch's `torch.nn.SELU` (Klambauer et al., 2017).
pub(crate) const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
/// See [`SELU_ALPHA`].
pub(crate) const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

/// PyTorch's `elu(x, alpha, scale, input_scale)`, which ELU, CELU and SELU all call:
/// `x ≤ 0 ? alpha·scale·expm1(x·input_scale) : x·scale`. The branch is selected, never blended, so no `0·∞`.
/// Gradient: `x ≤ 0 ? alpha·scale·input_scale·e^(x·input_scale) : scale` — the negative branch's value at 0
/// (α for ELU, 1 for CELU, α·scale for SELU), and NaN for NaN (PyTorch's vectorized path; its scalar tail loop
/// gives `scale`).
#[derive(Clone, Copy)]
pub(crate) struct Elu {
    neg: f64,
    scale: f64,
    input_scale: f64,
}

impl Elu {
    pub(crate) fn plain(alpha: f64) -> Self {
        Elu { neg: alpha, scale: 1.0, input_scale: 1.0 }
    }
    pub(crate) fn celu(alpha: f64) -> Self {
        Elu { neg: alpha, scale: 1.0, input_scale: 1.0 / alpha }
    }
    pub(crate) fn selu() -> Self {
        Elu { neg: SELU_ALPHA * SELU_SCALE, scale: SELU_SCALE, input_scale: 1.0 }
    }
}

impl Smooth for Elu {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        if x <= 0.0 { self.neg * (x * self.input_scale).exp_m1() } else { x * self.scale }
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        if x <= 0.0 {
            self.neg * self.input_scale * (x * self.input_scale).exp()
        } else if x > 0.0 {
            self.scale
        } else {
            x
        }
    }
}

/// `β·x > threshold ? x : ln(1 + e^(β·x))/β` (strict `>`, as PyTorch). The log term is evaluated in a form that
/// never overflows, so a large `threshold` does not produce `inf`. Gradient: `β·x > threshold ? 1 : σ(β·x)`.
#[derive(Clone, Copy)]
pub(crate) struct Softplus {
    beta: f64,
    threshold: f64,
}

impl Softplus {
    pub(crate) fn new(beta: f64, threshold: f64) -> Self {
        Softplus { beta, threshold }
    }
}

impl Smooth for Softplus {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        let z = x * self.beta;
        if z > self.threshold { x } else { log1pexp(z) / self.beta }
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        let z = x * self.beta;
        if z > self.threshold { 1.0 } else { sigmoid(z) }
    }
}

/// Above this, `tanh(softplus(x))` is 1 to within `2e^(−2x)` < 2⁻⁵⁸ and Mish is `x` in `f64`.
const MISH_LINEAR: f64 = 20.0;

/// `x·tanh(softplus(x))`, written with `n = eˣ(eˣ + 2)` as `x·n/(n + 2)`: no cancellation for negative `x`, no
/// overflow for large `x`, and the limits at ±∞ (+∞ and −0.0) where PyTorch's formula gives NaN.
/// Gradient: `tanh(sp) + x·σ(x)·sech²(sp)` with `sech²(sp) = 4(n + 1)/(n + 2)²`; limits 0 at −∞ and 1 at +∞.
#[derive(Clone, Copy)]
pub(crate) struct Mish;

impl Smooth for Mish {
    #[inline]
    fn f(&self, x: f64) -> f64 {
        if x > MISH_LINEAR {
            return x;
        }
        if x == f64::NEG_INFINITY {
            return -0.0;
        }
        if x < EXP_SUBNORMAL {
            // tanh(softplus(x)) = eˣ to within e^(2x) relative: Mish is x·eˣ, evaluated without subnormal eˣ.
            return x_exp_x_tail(x);
        }
        let e = x.exp();
        let n = e * (e + 2.0);
        x * (n / (n + 2.0))
    }
    #[inline]
    fn df(&self, x: f64) -> f64 {
        if x > MISH_LINEAR {
            return 1.0;
        }
        if x == f64::NEG_INFINITY {
            return 0.0;
        }
        if x < EXP_SUBNORMAL {
            return exp_x_1px_tail(x);
        }
        let e = x.exp();
        let n = e * (e + 2.0);
        let t = n / (n + 2.0);
        t + x * sigmoid(x) * (4.0 * (n + 1.0) / ((n + 2.0) * (n + 2.0)))
    }
}
