//! The elementary functions the smooth activations are built from, behind a trait with two implementations:
//! [`Fast`] (branch-free, vectorizable, `vmath`) for the kernels and [`Libm`] (the platform's libm and the `libm`
//! crate) for the accuracy reference. The activation formulas are written once, generic over it.

use crate::vmath;

/// `exp`, `expm1`, `log1p`, `tanh` and `erfc` in `f64`. `A` is how the dispatch level forms multiply-adds (fused
/// where it has FMA); [`Libm`], the accuracy reference, has no use for it.
pub(crate) trait MathLib: Copy + Send + Sync + 'static {
    fn exp<A: Fma>(x: f64) -> f64;
    /// `eˣ = m·s1·s2` with `s1`, `s2` powers of two: multiplying by `m` first and the powers last keeps a
    /// subnormal result to one rounding.
    fn exp_parts<A: Fma>(x: f64) -> (f64, f64, f64);
    fn expm1<A: Fma>(x: f64) -> f64;
    fn log1p<A: Fma>(x: f64) -> f64;
    fn tanh<A: Fma>(x: f64) -> f64;
    fn erfc<A: Fma>(x: f64) -> f64;
    /// `erfc` in two steps, for kernels computed in stages: `erfc_from(x, erfc_start(x)) = erfc(x)`, the first
    /// step the library's rational function (by default the whole of `erfc`).
    #[inline(always)]
    fn erfc_start<A: Fma>(x: f64) -> (f64, f64) {
        (Self::erfc::<A>(x), 0.0)
    }
    /// The rest of `erfc` after [`MathLib::erfc_start`].
    #[inline(always)]
    fn erfc_from<A: Fma>(x: f64, start: (f64, f64)) -> f64 {
        let _ = x;
        start.0
    }
    /// `eˣ` for `x ≤ 0` where a few digits are enough (a first-order correction term); the exact [`MathLib::exp`]
    /// unless the library has something cheaper.
    #[inline(always)]
    fn exp_rough<A: Fma>(x: f64) -> f64 {
        Self::exp::<A>(x)
    }
}

/// The vectorizable implementations used by the kernels.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fast;

impl MathLib for Fast {
    #[inline(always)]
    fn exp<A: Fma>(x: f64) -> f64 {
        vmath::exp::<A>(x)
    }
    #[inline(always)]
    fn exp_parts<A: Fma>(x: f64) -> (f64, f64, f64) {
        vmath::exp_parts::<A>(x)
    }
    #[inline(always)]
    fn expm1<A: Fma>(x: f64) -> f64 {
        vmath::expm1::<A>(x)
    }
    #[inline(always)]
    fn log1p<A: Fma>(x: f64) -> f64 {
        vmath::log1p::<A>(x)
    }
    #[inline(always)]
    fn tanh<A: Fma>(x: f64) -> f64 {
        vmath::tanh::<A>(x)
    }
    #[inline(always)]
    fn erfc<A: Fma>(x: f64) -> f64 {
        vmath::erfc::<A>(x)
    }
    #[inline(always)]
    fn erfc_start<A: Fma>(x: f64) -> (f64, f64) {
        vmath::erfc_ratio::<A>(x)
    }
    #[inline(always)]
    fn erfc_from<A: Fma>(x: f64, (ratio, inv): (f64, f64)) -> f64 {
        vmath::erfc_from::<A>(x, ratio, inv)
    }
    #[inline(always)]
    fn exp_rough<A: Fma>(x: f64) -> f64 {
        vmath::exp_rough::<A>(x)
    }
}

/// The platform's libm (std) and the `libm` crate's `erfc`: the accuracy reference.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Libm;

impl MathLib for Libm {
    fn exp<A: Fma>(x: f64) -> f64 {
        x.exp()
    }
    fn exp_parts<A: Fma>(x: f64) -> (f64, f64, f64) {
        // e^(x + 64) is normal down to x = −772; e^(−64) scales it back with one final rounding.
        if x < 0.0 { ((x + 64.0).exp(), 1.0, (-64.0f64).exp()) } else { (x.exp(), 1.0, 1.0) }
    }
    fn expm1<A: Fma>(x: f64) -> f64 {
        x.exp_m1()
    }
    fn log1p<A: Fma>(x: f64) -> f64 {
        x.ln_1p()
    }
    fn tanh<A: Fma>(x: f64) -> f64 {
        x.tanh()
    }
    fn erfc<A: Fma>(x: f64) -> f64 {
        libm::erfc(x)
    }
}

/// `σ(x) = 1/(1 + e^(−x))`, evaluated so that it keeps full relative accuracy in both tails.
#[inline(always)]
pub(crate) fn sigmoid<M: MathLib, A: Fma>(x: f64) -> f64 {
    sigmoid_from(x, M::exp::<A>(-x.abs()))
}

/// [`sigmoid`] given `e = e^(−|x|)`.
#[inline(always)]
pub(crate) fn sigmoid_from(x: f64, e: f64) -> f64 {
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 { s } else { e * s }
}

/// `ln(1 + eˣ)` without overflow for large `x` or loss of accuracy for very negative `x`.
#[inline(always)]
pub(crate) fn log1pexp<M: MathLib, A: Fma>(x: f64) -> f64 {
    let pos = if x > 0.0 { x } else { 0.0 };
    pos + M::log1p::<A>(M::exp::<A>(-x.abs()))
}

/// `1 − tanh²(x) = 4e^(−2|x|)/(1 + e^(−2|x|))²`, accurate where `1 − y²` would cancel.
#[inline(always)]
pub(crate) fn sech2<M: MathLib, A: Fma>(x: f64) -> f64 {
    let e = M::exp::<A>(-2.0 * x.abs());
    4.0 * e / ((1.0 + e) * (1.0 + e))
}

/// How a fused multiply-add is computed. The kernels are generic over it so that each dispatch level gets the
/// right one: [`Fused`] (one instruction) where the level has FMA, [`Emulated`] elsewhere. Both round `a·b + c`
/// once for `f32` — the emulation forms the exact product in `f64` — so algorithms that rely on an exact
/// `fma(x, x, −x²)` work on every level.
pub(crate) trait Fma: Copy + Send + Sync + 'static {
    /// `a·b + c` for `f32`, the product exact.
    fn f32(a: f32, b: f32, c: f32) -> f32;
    /// `a·b + c` for `f64` (fused where available, otherwise two roundings: only used where that is harmless).
    fn f64(a: f64, b: f64, c: f64) -> f64;
}

/// The FMA instruction (AVX2, AVX-512, NEON).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fused;

impl Fma for Fused {
    #[inline(always)]
    fn f32(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn f64(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

/// No FMA instruction: `f32` through `f64` (the product of two `f32` is exact there; the sum is rounded to `f64`
/// and then to `f32`, which differs from a fused result only when it lands exactly between two `f32`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Emulated;

impl Fma for Emulated {
    #[inline(always)]
    fn f32(a: f32, b: f32, c: f32) -> f32 {
        (a as f64 * b as f64 + c as f64) as f32
    }
    #[inline(always)]
    fn f64(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

/// What the baseline level uses: NEON always has FMA; SSE2 does not.
#[cfg(target_arch = "aarch64")]
pub(crate) type Baseline = Fused;
#[cfg(not(target_arch = "aarch64"))]
pub(crate) type Baseline = Emulated;
