//! The per-element contract every activation family implements.

use crate::float::Float;

/// One activation with its parameters converted to `T`.
///
/// `backward` receives the upstream gradient rather than returning `f′(x)`, because PyTorch's backward formulas
/// are selects, not products: ReLU's gradient for `x < 0` is `0` even when the upstream gradient is `inf` or NaN.
pub(crate) trait Kernel<T: Float>: Copy + Send + Sync {
    /// `f(x)`.
    fn forward(&self, x: T) -> T;
    /// `∂L/∂x` given `∂L/∂f(x) = g`.
    fn backward(&self, x: T, g: T) -> T;
}

/// Smooth activations: an accurate `f64` formula, rounded once to `T`.
pub(crate) trait Smooth: Copy + Send + Sync {
    fn f(&self, x: f64) -> f64;
    fn df(&self, x: f64) -> f64;
}

impl<T: Float, S: Smooth> Kernel<T> for S {
    #[inline(always)]
    fn forward(&self, x: T) -> T {
        T::from_f64(self.f(x.to_f64()))
    }
    #[inline(always)]
    fn backward(&self, x: T, g: T) -> T {
        T::from_f64(g.to_f64() * self.df(x.to_f64()))
    }
}

/// Something done with a kernel, generic over which one: lets [`crate::Activation`] match on itself once per
/// call instead of once per element.
pub(crate) trait Visit<T: Float> {
    type Out;
    fn visit<K: Kernel<T>>(self, k: K) -> Self::Out;
}
