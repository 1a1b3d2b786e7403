//! The per-element contract every activation family implements.

use crate::float::Float;
use crate::math::Fma;

/// One activation with its parameters converted to `T`.
///
/// `backward` receives the upstream gradient rather than returning `f′(x)`, because PyTorch's backward formulas
/// are selects, not products: ReLU's gradient for `x < 0` is `0` even when the upstream gradient is `inf` or NaN.
/// `A` says how the dispatch level computes fused multiply-adds.
pub(crate) trait Kernel<T: Float>: Copy + Send + Sync {
    /// Inputs with at least this many elements are split over threads: memory-bound kernels gain little from a
    /// second thread below a few hundred thousand elements.
    const PARALLEL_FROM: usize = crate::simd::PARALLEL_THRESHOLD;
    /// Large outputs are written with non-temporal stores ([`crate::simd::set_stream_threshold`]): worth it for
    /// the kernels bound by memory, not for the smooth ones, which are bound by arithmetic and pay for the block
    /// the stores go through.
    const STREAMS: bool = true;
    /// `f(x)`.
    fn forward<A: Fma>(&self, x: T) -> T;
    /// `∂L/∂x` given `∂L/∂f(x) = g`.
    fn backward<A: Fma>(&self, x: T, g: T) -> T;
}

/// Smooth activations: an accurate `f64` formula (`f`, `df`), which the `f64` kernels use and the `f32` ones round
/// once — unless the activation has a native `f32` kernel (`f32`, `df32`: `f32` lanes are twice as wide), which
/// must stay within the accuracy targets that `nonlin accuracy --exhaustive` checks. `A` says how the dispatch level
/// forms multiply-adds, in `f64` as in `f32`.
pub(crate) trait Smooth: Copy + Send + Sync {
    fn f<A: Fma>(&self, x: f64) -> f64;
    fn df<A: Fma>(&self, x: f64) -> f64;
    /// `f(x)` for `f32`.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        self.f::<A>(x as f64) as f32
    }
    /// `g·f′(x)` for `f32`.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        (g as f64 * self.df::<A>(x as f64)) as f32
    }
}

impl<T: Float, S: Smooth> Kernel<T> for S {
    const PARALLEL_FROM: usize = crate::simd::SMOOTH_PARALLEL_THRESHOLD;
    const STREAMS: bool = false;
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        T::smooth_forward::<S, A>(self, x)
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        T::smooth_backward::<S, A>(self, x, g)
    }
}

/// An activation whose forward pass also leaves a buffer for its backward pass, as PyTorch's
/// `log_sigmoid_forward` does for `log_sigmoid_backward`. Split by type as [`Smooth`] is.
pub(crate) trait Buffered: Copy + Send + Sync {
    /// `(f(x), buffer)` in `f64`.
    fn forward64<A: Fma>(&self, x: f64) -> (f64, f64);
    /// `(f(x), buffer)` in `f32`.
    fn forward32<A: Fma>(&self, x: f32) -> (f32, f32);
    /// `∂L/∂x` from `x`, its buffer and `∂L/∂f(x) = g`.
    fn backward<T: Float>(&self, x: T, buffer: T, g: T) -> T;
}

/// Something done with a kernel, generic over which one: lets [`crate::Activation`] match on itself once per
/// call instead of once per element.
pub(crate) trait Visit<T: Float> {
    type Out;
    fn visit<K: Kernel<T>>(self, k: K) -> Self::Out;
}
