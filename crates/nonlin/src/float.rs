//! The two element types nonlin computes in.

use std::fmt::{Debug, Display, LowerExp};
use std::ops::{Add, Div, Mul, Neg, Sub};

// The methods name crate-private traits on purpose: `Sealed` cannot be named outside the crate.
#[allow(private_bounds)]
mod private {
    use crate::kernel::{BLOCK, Buffered, Smooth};
    use crate::math::Fma;

    /// Seals [`super::Float`] and carries what the kernels need per type without making it public.
    pub trait Sealed: Sized {
        /// A smooth activation's value: its `f64` formula for `f64`, its `f32` kernel for `f32`.
        fn smooth_forward<S: Smooth, A: Fma>(s: &S, x: Self) -> Self;
        /// A smooth activation's gradient times `g`, likewise.
        fn smooth_backward<S: Smooth, A: Fma>(s: &S, x: Self, g: Self) -> Self;
        /// [`Sealed::smooth_forward`] over slices of equal length (in stages where the `f32` kernel has them).
        fn smooth_forward_slice<S: Smooth, A: Fma>(s: &S, x: &[Self], y: &mut [Self]);
        /// [`Sealed::smooth_forward`] in place.
        fn smooth_forward_inplace<S: Smooth, A: Fma>(s: &S, x: &mut [Self]);
        /// [`Sealed::smooth_backward`] over slices of equal length.
        fn smooth_backward_slice<S: Smooth, A: Fma>(s: &S, x: &[Self], g: &[Self], gx: &mut [Self]);
        /// A buffered activation's value and buffer, likewise.
        fn buffered_forward<B: Buffered, A: Fma>(b: &B, x: Self) -> (Self, Self);
        /// `a·b + c`, fused as the level computes it.
        fn fma<A: Fma>(a: Self, b: Self, c: Self) -> Self;
        /// The largest value whose product with 6 does not overflow (Hardswish).
        const MAX_OVER_6: Self;
    }
    /// An in-place forward of a kernel computed in stages: its stages read the input after the first has written,
    /// so each block is copied out and the slice kernel runs from the copy. (A trait call rather than a closure: a
    /// closure that LLVM did not inline would be compiled without the caller's target features.)
    #[inline(always)]
    fn forward_inplace_in_blocks<T: Sealed + Copy + Default, S: Smooth, A: Fma>(s: &S, x: &mut [T]) {
        let mut copy = [T::default(); BLOCK];
        for x in x.chunks_mut(BLOCK) {
            let copy = &mut copy[..x.len()];
            copy.copy_from_slice(x);
            T::smooth_forward_slice::<S, A>(s, copy, x);
        }
    }

    impl Sealed for f32 {
        const MAX_OVER_6: Self = f32::MAX / 6.0;
        #[inline(always)]
        fn smooth_forward<S: Smooth, A: Fma>(s: &S, x: Self) -> Self {
            s.f32::<A>(x)
        }
        #[inline(always)]
        fn smooth_backward<S: Smooth, A: Fma>(s: &S, x: Self, g: Self) -> Self {
            s.df32::<A>(x, g)
        }
        #[inline(always)]
        fn smooth_forward_slice<S: Smooth, A: Fma>(s: &S, x: &[Self], y: &mut [Self]) {
            s.f32_slice::<A>(x, y)
        }
        #[inline(always)]
        fn smooth_forward_inplace<S: Smooth, A: Fma>(s: &S, x: &mut [Self]) {
            if S::STAGED32 {
                forward_inplace_in_blocks::<Self, S, A>(s, x)
            } else {
                for x in x.iter_mut() {
                    *x = s.f32::<A>(*x);
                }
            }
        }
        #[inline(always)]
        fn smooth_backward_slice<S: Smooth, A: Fma>(s: &S, x: &[Self], g: &[Self], gx: &mut [Self]) {
            s.df32_slice::<A>(x, g, gx)
        }
        #[inline(always)]
        fn buffered_forward<B: Buffered, A: Fma>(b: &B, x: Self) -> (Self, Self) {
            b.forward32::<A>(x)
        }
        #[inline(always)]
        fn fma<A: Fma>(a: Self, b: Self, c: Self) -> Self {
            A::f32(a, b, c)
        }
    }
    impl Sealed for f64 {
        // f64::MAX / 6 rounds up, and 6 times that overflows.
        const MAX_OVER_6: Self = (f64::MAX / 6.0).next_down();
        #[inline(always)]
        fn smooth_forward<S: Smooth, A: Fma>(s: &S, x: Self) -> Self {
            s.f::<A>(x)
        }
        #[inline(always)]
        fn smooth_backward<S: Smooth, A: Fma>(s: &S, x: Self, g: Self) -> Self {
            g * s.df::<A>(x)
        }
        #[inline(always)]
        fn smooth_forward_slice<S: Smooth, A: Fma>(s: &S, x: &[Self], y: &mut [Self]) {
            s.f64_slice::<A>(x, y)
        }
        #[inline(always)]
        fn smooth_forward_inplace<S: Smooth, A: Fma>(s: &S, x: &mut [Self]) {
            if S::STAGED64 {
                forward_inplace_in_blocks::<Self, S, A>(s, x)
            } else {
                for x in x.iter_mut() {
                    *x = s.f::<A>(*x);
                }
            }
        }
        #[inline(always)]
        fn smooth_backward_slice<S: Smooth, A: Fma>(s: &S, x: &[Self], g: &[Self], gx: &mut [Self]) {
            s.df64_slice::<A>(x, g, gx)
        }
        #[inline(always)]
        fn buffered_forward<B: Buffered, A: Fma>(b: &B, x: Self) -> (Self, Self) {
            b.forward64::<A>(x)
        }
        #[inline(always)]
        fn fma<A: Fma>(a: Self, b: Self, c: Self) -> Self {
            A::f64(a, b, c)
        }
    }
}

/// `f32` or `f64`. Sealed: the kernels are written and tested for exactly these two.
///
/// Piecewise-linear activations compute in `Self` with PyTorch's operation order, so their results are
/// bit-identical to PyTorch's. Smooth activations evaluate an accurate `f64` formula and round once, which for
/// `f32` gives (close to) correctly rounded results.
pub trait Float:
    Copy
    + PartialOrd
    + Debug
    + Display
    + LowerExp
    + Default
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + private::Sealed
{
    /// `0.0`
    const ZERO: Self;
    /// `1.0`
    const ONE: Self;
    /// NumPy/PyTorch name of the type: `"float32"` or `"float64"`.
    const DTYPE: &'static str;

    /// Rounds an `f64` to this type (identity for `f64`).
    fn from_f64(v: f64) -> Self;
    /// Widens to `f64` (exact).
    fn to_f64(self) -> f64;
    /// `true` for NaN.
    fn is_nan(self) -> bool;
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const DTYPE: &'static str = "float32";

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const DTYPE: &'static str = "float64";

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

#[cfg(test)]
mod tests {
    use super::private::Sealed;

    #[test]
    fn max_over_6_is_the_overflow_boundary() {
        assert!((6.0 * f32::MAX_OVER_6).is_finite() && (6.0 * f32::MAX_OVER_6.next_up()).is_infinite());
        assert!((6.0 * f64::MAX_OVER_6).is_finite() && (6.0 * f64::MAX_OVER_6.next_up()).is_infinite());
    }
}
