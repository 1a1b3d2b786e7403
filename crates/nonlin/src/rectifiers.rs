//! ReLU, LeakyReLU (also PReLU with one weight and RReLU in eval mode) and Threshold.
//!
//! All compute in the element type with PyTorch's comparisons, so results are bit-identical to PyTorch's.

use crate::float::Float;
use crate::kernel::Kernel;
use crate::math::Fma;

/// `x < 0 ? 0 : x` (PyTorch's `clamp_min(x, 0)`): NaN and −0.0 pass through unchanged.
/// Gradient: `x ≤ 0 ? 0 : g` (PyTorch's `threshold_backward(g, y, 0)`): 0 at ±0, `g` for NaN.
#[derive(Clone, Copy)]
pub(crate) struct Relu;

impl<T: Float> Kernel<T> for Relu {
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        if x < T::ZERO { T::ZERO } else { x }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x <= T::ZERO { T::ZERO } else { g }
    }
}

/// `x > 0 ? x : x·slope`. Gradient: `x > 0 ? g : g·slope`, so the slope at `x = 0` and for NaN.
/// −0.0 maps to `−0.0·slope` (−0.0 for a positive slope).
#[derive(Clone, Copy)]
pub(crate) struct LeakyRelu<T> {
    slope: T,
}

impl<T: Float> LeakyRelu<T> {
    pub(crate) fn new(slope: f64) -> Self {
        LeakyRelu { slope: T::from_f64(slope) }
    }
    pub(crate) fn from_slope(slope: T) -> Self {
        LeakyRelu { slope }
    }
}

impl<T: Float> Kernel<T> for LeakyRelu<T> {
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        if x > T::ZERO { x } else { x * self.slope }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x > T::ZERO { g } else { g * self.slope }
    }
}

/// `x ≤ threshold ? value : x`. Gradient: `x ≤ threshold ? 0 : g`. NaN passes through (and so does its
/// gradient); `threshold(−0.0, 0, 0)` is `+0.0`, the value.
#[derive(Clone, Copy)]
pub(crate) struct Threshold<T> {
    threshold: T,
    value: T,
}

impl<T: Float> Threshold<T> {
    pub(crate) fn new(threshold: f64, value: f64) -> Self {
        Threshold { threshold: T::from_f64(threshold), value: T::from_f64(value) }
    }
}

impl<T: Float> Kernel<T> for Threshold<T> {
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        if x <= self.threshold { self.value } else { x }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x <= self.threshold { T::ZERO } else { g }
    }
}
