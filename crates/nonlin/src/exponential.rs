//! ELU, CELU, SELU, Softplus and Mish: the activations built on `eˣ`.

use std::marker::PhantomData;

use crate::kernel::Smooth;
use crate::math::{Fast, MathLib, log1pexp, sigmoid};

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
pub(crate) struct Elu<M = Fast> {
    neg: f64,
    scale: f64,
    input_scale: f64,
    lib: PhantomData<M>,
}

impl<M> Elu<M> {
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

impl<M: MathLib> Smooth for Elu<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        // Both branches are computed and one selected, so the loop vectorizes.
        let negative = self.neg * M::expm1(x * self.input_scale);
        let positive = x * self.scale;
        if x <= 0.0 { negative } else { positive }
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        if x <= 0.0 {
            self.neg * self.input_scale * M::exp(x * self.input_scale)
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
pub(crate) struct Softplus<M = Fast> {
    beta: f64,
    threshold: f64,
    lib: PhantomData<M>,
}

impl<M> Softplus<M> {
    pub(crate) fn new(beta: f64, threshold: f64) -> Self {
        Softplus { beta, threshold, lib: PhantomData }
    }
}

impl<M: MathLib> Smooth for Softplus<M> {
    #[inline(always)]
    fn f(&self, x: f64) -> f64 {
        let z = x * self.beta;
        let y = log1pexp::<M>(z) / self.beta;
        if z > self.threshold { x } else { y }
    }
    #[inline(always)]
    fn df(&self, x: f64) -> f64 {
        let z = x * self.beta;
        let d = sigmoid::<M>(z);
        if z > self.threshold { 1.0 } else { d }
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
    fn f(&self, x: f64) -> f64 {
        let (m, s1, s2) = M::exp_parts(x);
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
    fn df(&self, x: f64) -> f64 {
        let (m, s1, s2) = M::exp_parts(x);
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
}
