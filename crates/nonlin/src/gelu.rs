//! GELU, exact (erf) and tanh-approximated.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use std::marker::PhantomData;

use crate::kernel::Smooth;
use crate::math::{Fast, MathLib, sigmoid};

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
}

/// `0.5·x·(1 + tanh(u))` with `u = √(2/π)·(x + 0.044715·x³)`, evaluated as `x·σ(2u)` (the same function, with
/// no cancellation for negative `x`). Limits as [`GeluErf`]. Gradient
/// `σ(2u) + 2x·σ(2u)σ(−2u)·u′`, `u′ = √(2/π)·(1 + 3·0.044715·x²)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct GeluTanh<M = Fast>(PhantomData<M>);

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
}
