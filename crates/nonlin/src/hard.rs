//! Hardtanh (and ReLU6), Hardsigmoid, Hardswish, Hardshrink and Softshrink.
//!
//! All compute in the element type with PyTorch's operation order, so results are bit-identical to PyTorch's.

use crate::float::Float;
use crate::kernel::Kernel;
use crate::math::Fma;

/// `min(max(x, lo), hi)` that lets NaN through, like PyTorch's vectorized clamp.
#[inline(always)]
fn clamp<T: Float>(x: T, lo: T, hi: T) -> T {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// `clamp(x, min_val, max_val)`; −0.0 and NaN pass through. Gradient: `g` strictly inside
/// `(min_val, max_val)`, `0` at and beyond both bounds and for NaN (PyTorch's vectorized path; its scalar tail
/// loop passes `g` for NaN, so PyTorch's own answer depends on the element's position).
#[derive(Clone, Copy)]
pub(crate) struct Hardtanh<T> {
    min: T,
    max: T,
}

impl<T: Float> Hardtanh<T> {
    pub(crate) fn new(min_val: f64, max_val: f64) -> Self {
        Hardtanh { min: T::from_f64(min_val), max: T::from_f64(max_val) }
    }
}

impl<T: Float> Kernel<T> for Hardtanh<T> {
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        clamp(x, self.min, self.max)
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x > self.min && x < self.max { g } else { T::ZERO }
    }
}

fn three<T: Float>() -> T {
    T::from_f64(3.0)
}
fn six<T: Float>() -> T {
    T::from_f64(6.0)
}

/// Hard-sigmoid and hard-swish split over threads from where the smooth kernels do: their division by 6 (PyTorch's
/// order of operations) makes them compute-bound while the data is in the cache (two threads at 65,536 elements:
/// 1.7× forward, 1.9× backward, against one thread, measured when the piecewise kernels split from 2¹⁸).
const DIVIDING_PARALLEL_FROM: usize = crate::simd::SMOOTH_PARALLEL_THRESHOLD;

/// `clamp(x + 3, 0, 6) / 6`. Gradient: `g·(1/6)` on the open interval (−3, 3), else 0 (also for NaN).
#[derive(Clone, Copy)]
pub(crate) struct Hardsigmoid;

impl<T: Float> Kernel<T> for Hardsigmoid {
    const PARALLEL_FROM: usize = DIVIDING_PARALLEL_FROM;
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        let p = clamp(x + three(), T::ZERO, six());
        if A::FUSED && std::mem::size_of::<T>() == 8 { div6_fused::<T, A>(p) } else { p / six() }
    }
    /// With the division: at 16M `f64` elements, one thread, the division-free loop measured a median of 1.09× a
    /// copy's speed (0.77–1.48) against 1.30× (1.02–1.68) for the dividing one, in alternating runs.
    #[inline(always)]
    fn forward_slice_streamed<A: Fma>(&self, x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = clamp(x + three(), T::ZERO, six()) / six();
        }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x > -three::<T>() && x < three() { g * T::from_f64(1.0 / 6.0) } else { T::ZERO }
    }
}

/// `p/6` correctly rounded without a division, for `p` = 0 or a normal in [2⁻⁵¹, 6] and one rounding per
/// multiply-add: the product by `1/6`, its remainder `p − 6q` (exact by FMA), and the quotient corrected by it
/// (Markstein's method; `tests::div6_fused_is_the_division` compares it with the division). The `f64` hard-sigmoid
/// ran at the divider's pace in the cache (4.67× PyTorch at 1,024 elements in one run); without it 1.66× faster at
/// 1,024 and 1.26× at 65,536 (alternating runs, one thread). Not for the hard-swish's `x·t/6`, which can be
/// subnormal, where the remainder is not exact.
#[inline(always)]
fn div6_fused<T: Float, A: Fma>(p: T) -> T {
    let q = p * T::from_f64(1.0 / 6.0);
    T::fma::<A>(T::fma::<A>(-q, six(), p), T::from_f64(1.0 / 6.0), q)
}

/// `x·clamp(x + 3, 0, 6) / 6`, in PyTorch's operation order (bit-identical to PyTorch on finite results);
/// −0.0 stays −0.0. Two places where PyTorch's formula fails are fixed: at −∞ it gives NaN (−∞·0), the limit is
/// −0.0; for `x > f32::MAX/6` (or `f64::MAX/6`) `x·6` overflows to ∞, the value is `x`.
/// Gradient: 0 for `x ≤ −3`, `g` for `x ≥ 3`, NaN for NaN (PyTorch's vectorized path; its scalar tail loop
/// gives `g`), and on (−3, 3) `g·(2x + 3)/6` — PyTorch's `x/3 + 1/2` rounds `x/3` first and loses up to 57 ULPs
/// near the zero at x = −1.5; `2x + 3` is exact there.
#[derive(Clone, Copy)]
pub(crate) struct Hardswish;

impl<T: Float> Kernel<T> for Hardswish {
    const PARALLEL_FROM: usize = DIVIDING_PARALLEL_FROM;
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        // Below −3, x·0 is −0.0, which −3·0 gives too, also for x = −∞ (where x·0 is NaN).
        let x3 = if x < -three::<T>() { -three::<T>() } else { x };
        let y = x3 * clamp(x3 + three(), T::ZERO, six()) / six();
        // Beyond MAX/6, x·6 overflows; the value is x (+∞ for +∞).
        if x > T::MAX_OVER_6 { x } else { y }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        // `f64`: formed before the selects. With the division inside the branch the loop was not vectorized and
        // its branches mispredicted (0.84 Gelem/s at 1,024 elements, 0.14 at 65,536, where the predictor could not
        // learn the bench's inputs); hoisted it runs at 2.6. `f32`: inside the branch, where it is 1.16× faster.
        let wide = (std::mem::size_of::<T>() == 8).then(|| g * (x + x + three()) / six());
        if let Some(wide) = wide {
            // Values selected in turn: as one chain of branches, LLVM loaded `g` with masked loads.
            let y = if x >= three() { g } else { wide };
            return if x <= -three::<T>() { T::ZERO } else { y };
        }
        if x <= -three::<T>() {
            T::ZERO
        } else if x >= three() {
            g
        } else {
            hardswish_grad32::<T, A>(x, g)
        }
    }
}

/// `g·(2x + 3)/6` for `f32` within half an ULP without `f64`: `2x + 3` as an exact pair (2Sum; exact anyway near
/// its zero at −1.5), `g` times it as an exact pair (FMA), the quotient by 6 as a product by `1/6` corrected by its
/// remainder (exact by FMA; no division: 1.06× faster than dividing and correcting). An exact tie (the quotient can
/// have one bit more than an `f32`) may round away from even: 1,647 of 2M random inputs differ from the correctly
/// rounded `f64` evaluation this replaced, each a tie. That one's conversions and two `f64` divisions per eight
/// elements made this memory-bound kernel compute-bound (89–96% of copy's speed at 16M elements); this is
/// 1.07–1.09× faster there (100–104%) and 1.3–1.4× in the cache. For `f64` elements it measured 0.59× of plain
/// `g·(2x + 3)/6`, which the `f64` kernel keeps.
#[inline(always)]
fn hardswish_grad32<T: Float, A: Fma>(x: T, g: T) -> T {
    let a = x + x;
    let t = a + three();
    let b = t - a;
    let t_lo = (a - (t - b)) + (three::<T>() - b);
    let p = g * t;
    let p_lo = T::fma::<A>(g, t_lo, T::fma::<A>(g, t, -p));
    let q = p * T::from_f64(1.0 / 6.0);
    let r = T::fma::<A>(-q, six(), p) + p_lo;
    T::fma::<A>(r, T::from_f64(1.0 / 6.0), q)
}

/// `−lambd ≤ x ≤ lambd ? 0 : x` (+0.0 on the closed interval, so −0.0 ↦ +0.0). Gradient: `g` outside the
/// closed interval, 0 on it and for NaN (PyTorch's vectorized path; its scalar tail loop gives `g` for NaN).
#[derive(Clone, Copy)]
pub(crate) struct Hardshrink<T> {
    lambd: T,
}

impl<T: Float> Hardshrink<T> {
    pub(crate) fn new(lambd: f64) -> Self {
        Hardshrink { lambd: T::from_f64(lambd) }
    }
}

impl<T: Float> Kernel<T> for Hardshrink<T> {
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        if x >= -self.lambd && x <= self.lambd { T::ZERO } else { x }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x < -self.lambd || x > self.lambd { g } else { T::ZERO }
    }
}

/// `x > λ ? x − λ : x < −λ ? x + λ : 0`, NaN for NaN. The zero is +0.0, as in PyTorch's vectorized path (its
/// scalar tail loop computes `x·0`, which gives −0.0 for inputs in `[−λ, 0]`).
/// Gradient: `g` outside the closed interval `[−λ, λ]`, 0 on it and for NaN (as [`Hardshrink`]).
#[derive(Clone, Copy)]
pub(crate) struct Softshrink<T> {
    lambd: T,
}

impl<T: Float> Softshrink<T> {
    pub(crate) fn new(lambd: f64) -> Self {
        Softshrink { lambd: T::from_f64(lambd) }
    }
}

impl<T: Float> Kernel<T> for Softshrink<T> {
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        if x > self.lambd {
            x - self.lambd
        } else if x < -self.lambd {
            x + self.lambd
        } else if x.is_nan() {
            x
        } else {
            T::ZERO
        }
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        if x < -self.lambd || x > self.lambd { g } else { T::ZERO }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Fused;

    /// [`div6_fused`] against the division for every `p` the hard-sigmoid makes: `x + 3` clamped to [0, 6] is 0 or
    /// at least ulp(3) = 2⁻⁵¹. 2²⁴ random `p` from the bits of [2⁻⁵¹, 6], and the ends and their neighbours.
    #[test]
    fn div6_fused_is_the_division() {
        let (lo, hi) = (2f64.powi(-51).to_bits(), 6f64.to_bits());
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let check = |p: f64| assert_eq!(div6_fused::<f64, Fused>(p).to_bits(), (p / 6.0).to_bits(), "{p:e}/6");
        for _ in 0..1 << 24 {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            check(f64::from_bits(lo + state.wrapping_mul(0x2545_f491_4f6c_dd1d) % (hi - lo + 1)));
        }
        for p in [0.0, 2f64.powi(-51), 3.0, 6.0, 1.0, 0.5, 1.5, 4.5] {
            check(p);
            check(p.next_up().min(6.0));
            check(p.next_down().max(0.0));
        }
    }
}
