//! The elementary functions the smooth activations are built from, behind a trait with two implementations:
//! [`Fast`] (branch-free, vectorizable, `vmath`) for the kernels and [`Libm`] (the platform's libm and the `libm`
//! crate) for the accuracy reference. The activation formulas are written once, generic over it.

use crate::kernel::{BLOCK, Scratch, prefetch_next};
use crate::vmath;

/// `exp`, `expm1`, `log1p` and `tanh` in `f64`, and the exact GELU's steps. `A` is how the dispatch level forms
/// multiply-adds (fused where it has FMA); [`Libm`], the accuracy reference, has no use for it.
pub(crate) trait MathLib: Copy + Send + Sync + 'static {
    fn exp<A: Fma>(x: f64) -> f64;
    /// `eˣ = m·s1·s2` with `s1`, `s2` powers of two: multiplying by `m` first and the powers last keeps a
    /// subnormal result to one rounding.
    fn exp_parts<A: Fma>(x: f64) -> (f64, f64, f64);
    fn expm1<A: Fma>(x: f64) -> f64;
    fn log1p<A: Fma>(x: f64) -> f64;
    /// [`MathLib::log1p`] in two steps, for kernels computed in stages: `log1p_end(x, log1p_start(x)) = log1p(x)`
    /// for `x` in [0, 1] and NaN (by default `log1p_start` is all of it).
    #[inline(always)]
    fn log1p_start<A: Fma>(x: f64) -> (f64, f64) {
        (Self::log1p::<A>(x), 0.0)
    }
    /// The rest of [`MathLib::log1p`] after [`MathLib::log1p_start`].
    #[inline(always)]
    fn log1p_end<A: Fma>(x: f64, start: (f64, f64)) -> f64 {
        let _ = x;
        start.0
    }
    fn tanh<A: Fma>(x: f64) -> f64;
    /// The exact GELU `x·Φ(x)` (`GRAD = false`) or its derivative (`GRAD = true`) in steps, for kernels computed
    /// in stages: `gelu_end(x, s, (n, exp_poly(r)))` with `s = gelu_start(x)` and `(n, r) = gelu_mid(x, s)` (by
    /// default all is done in `gelu_end`).
    #[inline(always)]
    fn gelu_start<A: Fma, const GRAD: bool>(x: f64) -> (f64, f64) {
        (x, 0.0)
    }
    /// The second step of the exact GELU or its derivative (see [`MathLib::gelu_start`]).
    #[inline(always)]
    fn gelu_mid<A: Fma, const GRAD: bool>(x: f64, start: (f64, f64)) -> (f64, f64) {
        let _ = x;
        start
    }
    /// The last step of the exact GELU or its derivative (see [`MathLib::gelu_start`]).
    fn gelu_end<A: Fma, const GRAD: bool>(x: f64, start: (f64, f64), mid: (f64, f64)) -> f64;
    /// [`MathLib::exp_parts`] in three steps, for kernels computed in stages: with `start = exp_start(x)`,
    /// `exp_parts(x) = (m, s1, s2)` with `m = exp_mant(x, start)` and `(s1, s2) = exp_scale(start)`; the first step
    /// the library's argument reduction (by default nothing: `start = (x, 0.0)`).
    #[inline(always)]
    fn exp_start<A: Fma>(x: f64) -> (f64, f64) {
        (x, 0.0)
    }
    /// `m` of [`MathLib::exp_parts`] after [`MathLib::exp_start`].
    #[inline(always)]
    fn exp_mant<A: Fma>(x: f64, start: (f64, f64)) -> f64 {
        let _ = start;
        Self::exp_parts::<A>(x).0
    }
    /// `(s1, s2)` of [`MathLib::exp_parts`] from [`MathLib::exp_start`]'s result alone.
    #[inline(always)]
    fn exp_scale<A: Fma>(start: (f64, f64)) -> (f64, f64) {
        let (_, s1, s2) = Self::exp_parts::<A>(start.0);
        (s1, s2)
    }
    /// [`MathLib::expm1`] in three steps, likewise: `expm1_end(x, n, exp_poly(r))` with `(n, r) = exp_start(x)` (by
    /// default `expm1_end` is all of it).
    #[inline(always)]
    fn exp_poly<A: Fma>(r: f64) -> f64 {
        r
    }
    /// The last step of [`MathLib::expm1`], except that for `x = ±0.0` the sign of the zero it returns may differ
    /// (callers select zero away).
    #[inline(always)]
    fn expm1_end<A: Fma>(x: f64, n: f64, p: f64) -> f64 {
        let _ = (n, p);
        Self::expm1::<A>(x)
    }
    /// [`MathLib::tanh`] in three steps, likewise: `tanh_end(x, tanh_mid(x, tanh_start(x))) = tanh(x)` (by default
    /// `tanh_mid` is all of it).
    #[inline(always)]
    fn tanh_start<A: Fma>(x: f64) -> (f64, f64) {
        (x, 0.0)
    }
    /// The second step of [`MathLib::tanh`].
    #[inline(always)]
    fn tanh_mid<A: Fma>(x: f64, start: (f64, f64)) -> f64 {
        let _ = start;
        Self::tanh::<A>(x)
    }
    /// The last step of [`MathLib::tanh`].
    #[inline(always)]
    fn tanh_end<A: Fma>(x: f64, mid: f64) -> f64 {
        let _ = x;
        mid
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
    fn exp_start<A: Fma>(x: f64) -> (f64, f64) {
        vmath::exp_start::<A>(x)
    }
    #[inline(always)]
    fn exp_mant<A: Fma>(x: f64, (_, r): (f64, f64)) -> f64 {
        vmath::exp_mant::<A>(x, r)
    }
    #[inline(always)]
    fn exp_scale<A: Fma>((n, _): (f64, f64)) -> (f64, f64) {
        vmath::pow2_split(n)
    }
    #[inline(always)]
    fn expm1<A: Fma>(x: f64) -> f64 {
        vmath::expm1::<A>(x)
    }
    #[inline(always)]
    fn exp_poly<A: Fma>(r: f64) -> f64 {
        vmath::expm1_reduced::<A>(r)
    }
    #[inline(always)]
    fn expm1_end<A: Fma>(x: f64, n: f64, p: f64) -> f64 {
        let _ = x;
        vmath::expm1_formula::<A>(n, p)
    }
    #[inline(always)]
    fn log1p<A: Fma>(x: f64) -> f64 {
        vmath::log1p::<A>(x)
    }
    #[inline(always)]
    fn log1p_start<A: Fma>(x: f64) -> (f64, f64) {
        vmath::log1p_start(x)
    }
    #[inline(always)]
    fn log1p_end<A: Fma>(x: f64, start: (f64, f64)) -> f64 {
        vmath::log1p_end::<A>(x, start)
    }
    #[inline(always)]
    fn tanh<A: Fma>(x: f64) -> f64 {
        vmath::tanh::<A>(x)
    }
    #[inline(always)]
    fn tanh_start<A: Fma>(x: f64) -> (f64, f64) {
        vmath::tanh_start::<A>(x)
    }
    #[inline(always)]
    fn tanh_mid<A: Fma>(_: f64, (n, r): (f64, f64)) -> f64 {
        vmath::tanh_mid::<A>(n, r)
    }
    #[inline(always)]
    fn tanh_end<A: Fma>(x: f64, em: f64) -> f64 {
        vmath::tanh_end(x, em)
    }
    #[inline(always)]
    fn gelu_start<A: Fma, const GRAD: bool>(x: f64) -> (f64, f64) {
        crate::gelu::gelu64_start::<A, GRAD>(x)
    }
    #[inline(always)]
    fn gelu_mid<A: Fma, const GRAD: bool>(x: f64, start: (f64, f64)) -> (f64, f64) {
        crate::gelu::gelu64_reduce::<A, GRAD>(x, start)
    }
    #[inline(always)]
    fn gelu_end<A: Fma, const GRAD: bool>(x: f64, start: (f64, f64), mid: (f64, f64)) -> f64 {
        crate::gelu::gelu64_end::<A, GRAD>(x, start, mid)
    }
}

/// The platform's libm (std) and the `libm` crate's `erfc` (in the exact GELU): the accuracy reference.
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
    fn gelu_end<A: Fma, const GRAD: bool>(x: f64, _: (f64, f64), _: (f64, f64)) -> f64 {
        if GRAD { crate::gelu::gelu_df_reference(x) } else { crate::gelu::gelu_reference(x) }
    }
}

/// `(x[i], s1[i], s2[i]) = M::exp_parts(x[i])` over a block, in three stages ([`MathLib::exp_start`],
/// [`MathLib::exp_mant`], [`MathLib::exp_scale`]), `s1` and `s2` holding the reduced argument in between: one
/// element's exponential is a chain of dependent operations too long for the loop to keep enough of them in flight
/// (the `f64` sigmoid at 1,024 and 65,536 elements, Zen 3: 1.16–1.19× faster in two stages than in one loop, and
/// 1.09 / 1.09× faster again with the power of two out of the polynomial's stage).
#[inline(always)]
pub(crate) fn exp_parts_staged<M: MathLib, A: Fma>(x: &mut [f64], s1: &mut [f64], s2: &mut [f64]) {
    exp_mant_staged::<M, A>(x, s1, s2);
    for i in 0..x.len() {
        (s1[i], s2[i]) = M::exp_scale::<A>((s1[i], s2[i]));
    }
}

/// The first two stages of [`exp_parts_staged`]: `x[i]` becomes `m` and `(s1[i], s2[i])` the reduced argument.
#[inline(always)]
fn exp_mant_staged<M: MathLib, A: Fma>(x: &mut [f64], s1: &mut [f64], s2: &mut [f64]) {
    let n = x.len();
    let (s1, s2) = (&mut s1[..n], &mut s2[..n]);
    for i in 0..n {
        (s1[i], s2[i]) = M::exp_start::<A>(x[i]);
    }
    for i in 0..n {
        x[i] = M::exp_mant::<A>(x[i], (s1[i], s2[i]));
    }
}

/// `x[i] = M::log1p(M::exp(x[i]))` over a block in stages ([`exp64_staged`], then `log1p`), `s1` and `s2` for
/// the intermediates: the second half of [`log1pexp`] for arguments `−|z|`.
#[inline(always)]
fn log1p_exp_staged<M: MathLib, A: Fma>(x: &mut [f64], s1: &mut [f64], s2: &mut [f64]) {
    let n = x.len();
    let (s1, s2) = (&mut s1[..n], &mut s2[..n]);
    exp64_staged::<M, A>(x, s1, s2);
    for i in 0..n {
        (s1[i], s2[i]) = M::log1p_start::<A>(x[i]);
    }
    for i in 0..n {
        x[i] = M::log1p_end::<A>(x[i], (s1[i], s2[i]));
    }
}

/// `x[i] = M::exp(x[i])` over a block in the stages of [`exp_parts_staged`], the last one forming the product of
/// the parts, `s1` and `s2` for the intermediates.
#[inline(always)]
pub(crate) fn exp64_staged<M: MathLib, A: Fma>(x: &mut [f64], s1: &mut [f64], s2: &mut [f64]) {
    let n = x.len();
    let (s1, s2) = (&mut s1[..n], &mut s2[..n]);
    exp_mant_staged::<M, A>(x, s1, s2);
    for i in 0..n {
        let (a, b) = M::exp_scale::<A>((s1[i], s2[i]));
        x[i] = x[i] * a * b;
    }
}

/// `y[i] = f(x[i], z, e)` with `z = arg(x[i])` and `e = e^(−|z|)`, or `ln(1 + e^(−|z|))` if `LOG1P`, over blocks in
/// stages: the argument, the exponential ([`exp64_staged`]) and `log1p` ([`log1p_exp_staged`]), `f`. For the `f64`
/// kernels of the sigmoid family, whose `f` is a quotient or two by `1 + e`, and softplus and log-sigmoid.
#[inline(always)]
pub(crate) fn exp_neg_abs_staged<M: MathLib, A: Fma, const LOG1P: bool>(
    x: &[f64],
    y: &mut [f64],
    arg: impl Fn(f64) -> f64,
    f: impl Fn(f64, f64, f64) -> f64,
) {
    neg_abs_blocks(
        x,
        &arg,
        #[inline(always)]
        |e, s1, s2| if LOG1P { log1p_exp_staged::<M, A>(e, s1, s2) } else { exp64_staged::<M, A>(e, s1, s2) },
        #[inline(always)]
        |start, x, [e, _, _]| {
            let y = &mut y[start..start + x.len()];
            for i in 0..x.len() {
                y[i] = f(x[i], arg(x[i]), e[i]);
            }
        },
    );
}

/// [`exp_neg_abs_staged`] for a gradient: `gx[i] = g[i]·df(x[i], z, e^(−|z|))`.
#[inline(always)]
pub(crate) fn exp_neg_abs_staged_grad<M: MathLib, A: Fma>(
    x: &[f64],
    g: &[f64],
    gx: &mut [f64],
    arg: impl Fn(f64) -> f64,
    df: impl Fn(f64, f64, f64) -> f64,
) {
    neg_abs_blocks(
        x,
        &arg,
        #[inline(always)]
        |e, s1, s2| exp64_staged::<M, A>(e, s1, s2),
        #[inline(always)]
        |start, x, [e, _, _]| {
            let (g, gx) = (&g[start..start + x.len()], &mut gx[start..start + x.len()]);
            prefetch_next(g);
            for i in 0..x.len() {
                gx[i] = g[i] * df(x[i], arg(x[i]), e[i]);
            }
        },
    );
}

/// The blocks of the `f64` kernels computed in stages on `−|arg(x)|`: for each block, `e[i] = −|arg(x[i])|`, then
/// `stage(e, s1, s2)` (which may use the other two arrays as it likes), then `finish(start, x_block, [e, s1, s2])`
/// with `start` the block's offset in `x`; the next block's input is prefetched ([`prefetch_next`]). The closures
/// passed must be `#[inline(always)]`: one LLVM leaves out of line is compiled without the dispatch level's
/// features (without the attribute the `f64` softplus ran 17× slower; in the same situation perf showed the exact
/// GELU's closure calling libm's `fma` instead of the instruction).
#[inline(always)]
pub(crate) fn neg_abs_blocks(
    x: &[f64],
    arg: impl Fn(f64) -> f64,
    stage: impl Fn(&mut [f64], &mut [f64], &mut [f64]),
    mut finish: impl FnMut(usize, &[f64], [&[f64]; 3]),
) {
    let mut scratch = Scratch::<f64>::take();
    let [e, s1, s2, ..] = scratch.arrays();
    for (b, x) in x.chunks(BLOCK).enumerate() {
        prefetch_next(x);
        let n = x.len();
        let (e, s1, s2) = (&mut e[..n], &mut s1[..n], &mut s2[..n]);
        for i in 0..n {
            e[i] = -arg(x[i]).abs();
        }
        stage(e, s1, s2);
        finish(b * BLOCK, x, [e, s1, s2]);
    }
}

/// `y[i] = M::tanh(x[i])` over a block in three stages ([`MathLib::tanh_start`], [`MathLib::tanh_mid`],
/// [`MathLib::tanh_end`]), `n` and `r` holding the reduced argument in between (the `f64` tanh at 1,024 and 65,536
/// elements, Zen 3: 1.2–1.3× faster than in one loop).
#[inline(always)]
pub(crate) fn tanh_staged<M: MathLib, A: Fma>(x: &[f64], y: &mut [f64], n: &mut [f64], r: &mut [f64]) {
    let len = x.len();
    let (y, n, r) = (&mut y[..len], &mut n[..len], &mut r[..len]);
    for i in 0..len {
        (n[i], r[i]) = M::tanh_start::<A>(x[i]);
    }
    for i in 0..len {
        y[i] = M::tanh_mid::<A>(x[i], (n[i], r[i]));
    }
    for i in 0..len {
        y[i] = M::tanh_end::<A>(x[i], y[i]);
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
    /// Whether [`Fma::f64`] rounds once (an FMA instruction).
    const FUSED: bool;
    /// `a·b + c` for `f32`, the product exact.
    fn f32(a: f32, b: f32, c: f32) -> f32;
    /// `a·b + c` for `f64` (fused where available, otherwise two roundings: only used where that is harmless).
    fn f64(a: f64, b: f64, c: f64) -> f64;
}

/// The FMA instruction (AVX2, AVX-512, NEON).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fused;

impl Fma for Fused {
    const FUSED: bool = true;
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
    const FUSED: bool = false;
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
