//! Branch-free elementary functions for the `f32` kernels, in two flavours:
//!
//! - **Native `f32`** (`exp_parts_fast`, `exp_split`, `exp_split_lean`, `reduce_sum` + `exp_split_tail`,
//!   `exp_split_exact`, `exp_scaled_parts`, `expm1_neg`, `expm1_neg_scaled`, `sigmoid_acc`, `log1pexp`): eight
//!   lanes per AVX2 register.
//!   Cody–Waite reduction with Cephes' split ln 2, Cephes' `expf` polynomial, the final steps fused (`A::f32`), and
//!   the power of two in two factors so that callers keep subnormal results to one rounding. 0.55–1 ULP,
//!   depending on how much of the final step is kept exact (`exp_split` returns `eʳ` as an unevaluated pair for
//!   callers to fold into their own last rounding).
//! - **Lean `f64`** (`exp64`, `exp64_short`, `log1p_unit64`, `tanh64`): for activations whose `f32` results must be
//!   within about half an ULP (PyTorch is that accurate for tanh), whose `f32` form would need pair arithmetic
//!   (the tanh-GELU's argument), or that have no native kernel yet. Valid only on the argument ranges an `f32`
//!   input can produce, which lets them drop the subnormal handling and most of the polynomial degree the
//!   full-range `vmath` functions need: relative error below 2⁻³⁵, so the `f32` result is off by at most
//!   0.5 + 2⁻¹¹ ULP (`exp64_short`: 2⁻²⁸·⁹, 0.53 ULP).
//!
//! Special values are selects, never branches, so LLVM vectorizes every caller.

// Constants are quoted as published (Cephes) or as their exact binary values, not as shortest round-trip decimals.
#![allow(clippy::excessive_precision)]

use crate::math::Fma;
use crate::vmath::{INV_FACTORIALS, LN2_HI as LN2_HI64, LN2_LO as LN2_LO64, SHIFT as SHIFT64, pow2 as pow2_64};

/// 1.5·2²³: adding and subtracting it rounds an `f32` of magnitude < 2²² to the nearest integer.
const SHIFT: f32 = 12_582_912.0;
/// ln 2 split as Cephes does: `n·LN2_HI` is exact for |n| < 2¹².
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;

/// 2ⁿ⁺ᵒᶠᶠˢᵉᵗ given `k = SHIFT + n` (as [`steps_of_ln2`] returns it: its low mantissa bits hold the integer `n`),
/// for −126 ≤ n + offset ≤ 127, by integer operations on the bits alone.
#[inline(always)]
fn pow2(k: f32, offset: u32) -> f32 {
    f32::from_bits(k.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(127 + offset) << 23)
}

/// 2ⁿ⁺⁶⁴ given `k = SHIFT + n`, for −190 ≤ n ≤ 63: 2ⁿ is this times [`TWO_M64`], and as the first factor is normal,
/// multiplying by it and then by the second rounds a subnormal result once. The exponentials below return it as
/// their `s1`; the second factor is always [`TWO_M64`], a constant the callers multiply by.
#[inline(always)]
fn pow2_plus_64(k: f32) -> f32 {
    pow2(k, 64)
}

/// 2⁻⁶⁴: the second factor of every [`pow2_plus_64`].
pub(crate) const TWO_M64: f32 = 5.421_010_9e-20;
/// 2⁶⁴: the numerator of σ's positive branch once its divisor is scaled ([`one_plus_times_2_64`]).
pub(crate) const TWO_P64: f32 = 18_446_744_073_709_551_616.0;
/// 2³² and 2⁻³², for [`one_plus_times_2_32`].
const TWO_P32: f32 = 4_294_967_296.0;
const TWO_M32: f32 = 2.328_306_4e-10;

/// `(1 + e)·2⁶⁴` for `e = ms·2⁻⁶⁴` (`ms = m·s1` of [`exp_parts_fast`] and its kin): `1 + e` rounded as `f32`, then
/// scaled, which is exact. A quotient by it is the quotient by `1 + e` times 2⁻⁶⁴ to the bit wherever that is
/// normal, and where it is subnormal it is rounded once, by the division, instead of twice.
#[inline(always)]
pub(crate) fn one_plus_times_2_64(ms: f32) -> f32 {
    ms + TWO_P64
}

/// `(1 + e)·2³²` for `e = ms·2⁻⁶⁴`, likewise: its square is `(1 + e)²·2⁶⁴`, rounded as the square of `1 + e`.
#[inline(always)]
pub(crate) fn one_plus_times_2_32<A: Fma>(ms: f32) -> f32 {
    A::f32(ms, TWO_M32, TWO_P32)
}

/// The arguments the `exp` functions below accept, whatever they are given: e⁻¹³¹ is 0 in `f32` whatever it is
/// multiplied by here, and [`pow2_plus_64`] covers the exponents of [−131, 43] (callers need x ≤ 0).
const EXP_MIN: f32 = -131.0;
const EXP_MAX: f32 = 43.0;

/// `max(x, EXP_MIN)`, NaN kept: the lower clamp alone, for the `exp` functions whose callers only pass x ≤ 0.
#[inline(always)]
fn at_least_exp_min(x: f32) -> f32 {
    if x < EXP_MIN { EXP_MIN } else { x }
}

/// `P(r)` with `eʳ − 1 ≈ r + r²·P(r)` for |r| ≤ ln2/2: Cephes' `expf` coefficients, by Estrin's scheme (a chain of
/// two FMAs after `r²` instead of Horner's five: these kernels are bound by latency; callers that form `r²` too
/// share it).
#[inline(always)]
fn expm1_poly<A: Fma>(r: f32) -> f32 {
    let r2 = r * r;
    let p01 = A::f32(1.666_666_5e-1, r, 5.000_000_1e-1);
    let p23 = A::f32(8.333_451_9e-3, r, 4.166_579_6e-2);
    let p45 = A::f32(1.987_569_15e-4, r, 1.398_199_95e-3);
    A::f32(A::f32(p45, r2, p23), r2, p01)
}

/// `P(r)` of degree 4 instead of [`expm1_poly`]'s 5 (one FMA fewer, one of about nine in [`exp_parts_fast`]), for
/// kernels whose accuracy target leaves room (all but ELU, CELU and SELU: ELU is within 0.92 ULP, PyTorch's
/// within 0.995): `eʳ` within 4.6e-9 (relative) instead of 2.7e-9, so about 0.04 ULP of
/// an `f32` result (`eʳ − 1` within 1.8e-8 instead of 7.5e-9; coefficients from `tools/fit/coefficients.py`,
/// `fit_expm1_short`; both errors with the `f32` coefficients, mpmath).
#[inline(always)]
fn expm1_poly_short<A: Fma>(r: f32) -> f32 {
    let r2 = r * r;
    let [c0, c1, c2, c3, c4] = EXPM1_SHORT_P;
    A::f32(A::f32(c4, r2, A::f32(c3, r, c2)), r2, A::f32(c1, r, c0))
}

/// [`expm1_poly`], or [`expm1_poly_short`] if `SHORT`.
#[inline(always)]
fn expm1_poly_of<A: Fma, const SHORT: bool>(r: f32) -> f32 {
    if SHORT { expm1_poly_short::<A>(r) } else { expm1_poly::<A>(r) }
}

// Generated by tools/fit/coefficients.py (mpmath).
/// `P` of [`expm1_poly_short`].
const EXPM1_SHORT_P: [f32; 5] = [0.5, 0.16666521, 0.041666385, 0.008368677, 0.0013942204];

/// `eʳ − 1` for |r| ≤ ln2/2: `r + r²·P(r)`, with [`expm1_poly_short`] if `SHORT`.
#[inline(always)]
fn expm1_reduced<A: Fma, const SHORT: bool>(r: f32) -> f32 {
    A::f32(r * r, expm1_poly_of::<A, SHORT>(r), r)
}

/// `1 + r` as `(hi, e)` with `hi + e` exact (Fast2Sum: |r| < 1).
#[inline(always)]
fn one_plus(r: f32) -> (f32, f32) {
    let hi = 1.0 + r;
    (hi, (1.0 - hi) + r)
}

/// `(n, k)`: `n = round(x/ln2)` as an `f32`, and `k = SHIFT + n`, from which [`pow2`] takes 2ⁿ.
#[inline(always)]
fn steps_of_ln2<A: Fma>(x: f32) -> (f32, f32) {
    let k = A::f32(x, std::f32::consts::LOG2_E, SHIFT);
    (k - SHIFT, k)
}

/// `(k, r)` with `x ≈ n·ln2 + r` and `k = SHIFT + n` ([`steps_of_ln2`]), `r` rounded once (up to 0.35 ULP in `eʳ`;
/// [`reduce_split`] keeps the rest).
#[inline(always)]
fn reduce<A: Fma>(x: f32) -> (f32, f32) {
    let (n, k) = steps_of_ln2::<A>(x);
    (k, A::f32(n, -LN2_LO, A::f32(n, -LN2_HI, x)))
}

/// `(k, r, r_lo)` with `x = n·ln2 + r + r_lo` and `k = SHIFT + n`: `r` rounded to `f32` costs up to 0.35 ULP in
/// `eʳ`; `r_lo` (the rounding error of `r1 − n·LN2_LO`, by Fast2Sum) gets it back.
#[inline(always)]
fn reduce_split<A: Fma>(x: f32) -> (f32, f32, f32) {
    let (n, k) = steps_of_ln2::<A>(x);
    let r1 = A::f32(n, -LN2_HI, x);
    let p = n * LN2_LO;
    let r = r1 - p;
    (k, r, (r1 - r) - p)
}

/// `e^(r + r_lo) − 1` to first order in `r_lo`.
#[inline(always)]
fn expm1_reduced_split<A: Fma>(r: f32, r_lo: f32) -> f32 {
    let q = expm1_reduced::<A, false>(r);
    q + A::f32(r_lo, q, r_lo)
}

/// `eˣ` as `(m, s1)` with `eˣ = m·s1·2⁻⁶⁴`, `m` in [0.7, 1.42]: the cheap reduction by whole steps of ln 2,
/// about 1 ULP, and [`expm1_poly_short`] — for kernels whose accuracy target leaves room (PyTorch's sigmoid and SiLU
/// are off by millions of ULP in the tails). [`exp_split`] is the accurate one. For `x ≤ 0` (and NaN).
#[inline(always)]
pub(crate) fn exp_parts_fast<A: Fma>(x: f32) -> (f32, f32) {
    let (r, s1) = exp_reduced::<A>(x);
    (exp_fast_m::<A>(r), s1)
}

/// The first half of [`exp_parts_fast`] and [`exp_split_exact`]: `(r, s1)` with `x ≈ n·ln2 + r` (`r` rounded
/// once) and `s1 = 2ⁿ⁺⁶⁴` ([`pow2_plus_64`]). For `x ≤ 0` (and NaN): the lower clamp
/// is applied. The kernels computed in stages run the two halves in stages of their own: each is a chain of about
/// 17 cycles that LLVM unrolls, where the whole was one of about 35 that kept too few elements in flight (the same
/// operations ran faster split: sigmoid 1.1–1.2× at 1,024 and 65,536 elements on Zen 3; log-sigmoid's and
/// softplus's gradients 1.04–1.1×).
#[inline(always)]
pub(crate) fn exp_reduced<A: Fma>(x: f32) -> (f32, f32) {
    let (k, r) = reduce::<A>(at_least_exp_min(x));
    (r, pow2_plus_64(k))
}

/// The second half of [`exp_parts_fast`]: `m = eʳ` from [`exp_reduced`]'s `r`.
#[inline(always)]
pub(crate) fn exp_fast_m<A: Fma>(r: f32) -> f32 {
    1.0 + expm1_reduced::<A, true>(r)
}

/// [`exp_parts_fast`]`(arg(x[i]))` over a block, in its two stages ([`exp_reduced`], [`exp_fast_m`]): `m[i]` and
/// `s1[i]`; `r` holds the reduced arguments between the stages.
#[inline(always)]
pub(crate) fn exp_parts_fast_staged<A: Fma>(
    x: &[f32],
    arg: impl Fn(f32) -> f32,
    r: &mut [f32],
    m: &mut [f32],
    s1: &mut [f32],
) {
    let n = x.len();
    let (r, m, s1) = (&mut r[..n], &mut m[..n], &mut s1[..n]);
    for i in 0..n {
        (r[i], s1[i]) = exp_reduced::<A>(arg(x[i]));
    }
    for i in 0..n {
        m[i] = exp_fast_m::<A>(r[i]);
    }
}

/// `e^(x + x_lo) = (hi + lo)·s1·2⁻⁶⁴`, returned as `(hi, lo, s1)`, with `hi = 1 + r` and |lo| < 0.07: `x = n·ln2 + r + r_lo` (whole steps of
/// ln 2), `1 + r` split exactly (Fast2Sum) and `lo = (1 + r − hi) + r²·P(r) + r_lo·eʳ`, so `hi + lo` is within about
/// 0.05 ULP before any caller rounds it. Multiplying by `s1`, then [`TWO_M64`] rounds a subnormal result once. `x` is
/// clamped to [`EXP_MIN`, `EXP_MAX`]; NaN stays NaN.
#[inline(always)]
pub(crate) fn exp_split<A: Fma>(x: f32, x_lo: f32) -> (f32, f32, f32) {
    let xc = x.clamp(EXP_MIN, EXP_MAX);
    let (k, r, r_lo) = reduce_split::<A>(xc);
    exp_split_tail::<A, false>(k, r, r_lo + x_lo)
}

/// [`exp_split`] with `r` rounded once (at most 0.1 ULP of `eʳ`), the low part `x_lo` alone carried and
/// [`expm1_poly_short`]: five operations fewer, for callers whose accuracy target leaves room. No clamp: `x` must
/// be in [`EXP_MIN`, `EXP_MAX`] (a NaN gives garbage, for the caller to select away).
#[inline(always)]
pub(crate) fn exp_split_lean<A: Fma>(x: f32, x_lo: f32) -> (f32, f32, f32) {
    let (k, r) = reduce::<A>(x);
    exp_split_tail::<A, true>(k, r, x_lo)
}

/// The reduction for `e^(x + y + x_lo)` where `x` is large and `y` is not (|y| ≤ 2): `(k, r)` with
/// `x + y ≈ n·ln2 + r` and `k = SHIFT + n`; `y` joins after the exact first step, `r = ((x − n·LN2_HI) + y) −
/// n·LN2_LO`, so it is rounded at the scale of `r`, not of `x`. [`exp_split_tail`]`(k, r, x_lo)` finishes it. No
/// clamp: `x + y` must be in [`EXP_MIN`, `EXP_MAX`] (a NaN gives garbage, for the caller to select away).
#[inline(always)]
pub(crate) fn reduce_sum<A: Fma>(x: f32, y: f32) -> (f32, f32) {
    let (n, k) = steps_of_ln2::<A>(x + y);
    (k, A::f32(n, -LN2_LO, A::f32(n, -LN2_HI, x) + y))
}

/// `e^(n·ln2 + r + x_lo)` as `(hi, lo, s1)` given `k = SHIFT + n`: the common end of [`exp_split`],
/// [`exp_split_lean`] and [`reduce_sum`], with [`expm1_poly_short`] if `SHORT`. `x_lo` can be far above ulp(r)
/// (CELU's x/α keeps its own low part), so it multiplies all of `eʳ`.
#[inline(always)]
pub(crate) fn exp_split_tail<A: Fma, const SHORT: bool>(k: f32, r: f32, x_lo: f32) -> (f32, f32, f32) {
    let (hi, e) = one_plus(r);
    let c0 = (r * r) * expm1_poly_of::<A, SHORT>(r);
    (hi, e + A::f32(x_lo, hi + c0, c0), pow2_plus_64(k))
}

/// [`exp_split`] for an argument without a low part: `r` rounded once (costing at most 0.1 ULP of `eʳ`) instead
/// of kept as a pair, which saves five operations, and [`expm1_poly_short`] (with it softplus and log-sigmoid are
/// within 1.09 ULP forward, PyTorch's 1.5; Mish 2.95, tanhshrink 2.12, SiLU's gradient 5.65, PyTorch's
/// 153–1.7e7). For `x ≤ EXP_MAX` (and NaN): only the lower clamp is applied.
#[inline(always)]
pub(crate) fn exp_split_exact<A: Fma>(x: f32) -> (f32, f32, f32) {
    let (r, s1) = exp_reduced::<A>(x);
    let (hi, lo) = exp_exact_pair::<A>(r);
    (hi, lo, s1)
}

/// The second half of [`exp_split_exact`]: `eʳ = hi + lo` from [`exp_reduced`]'s `r`.
#[inline(always)]
pub(crate) fn exp_exact_pair<A: Fma>(r: f32) -> (f32, f32) {
    let (hi, e) = one_plus(r);
    (hi, A::f32(r * r, expm1_poly_short::<A>(r), e))
}

/// [`exp_split_exact`]`(arg(x[i]))` over a block, in its two stages ([`exp_reduced`], [`exp_exact_pair`]): `hi[i]`,
/// `lo[i]` and `s1[i]`; `r` holds the reduced arguments between the stages.
#[inline(always)]
pub(crate) fn exp_split_exact_staged<A: Fma>(
    x: &[f32],
    arg: impl Fn(f32) -> f32,
    r: &mut [f32],
    hi: &mut [f32],
    lo: &mut [f32],
    s1: &mut [f32],
) {
    let n = x.len();
    let (r, hi, lo, s1) = (&mut r[..n], &mut hi[..n], &mut lo[..n], &mut s1[..n]);
    for i in 0..n {
        (r[i], s1[i]) = exp_reduced::<A>(arg(x[i]));
    }
    for i in 0..n {
        (hi[i], lo[i]) = exp_exact_pair::<A>(r[i]);
    }
}

/// `k·e^(x + x_lo)` as `(m, s1)` with `k·e^(x + x_lo) = m·s1·2⁻⁶⁴` and `m` rounded once (about 0.6 ULP): the
/// pair of [`exp_split`] times `k` as an `f32` pair. Multiplying by `s1`, then [`TWO_M64`] rounds a subnormal result
/// once more.
#[inline(always)]
pub(crate) fn exp_scaled_parts<A: Fma>(x: f32, x_lo: f32, k: Split) -> (f32, f32) {
    let (hi, lo, s1) = exp_split::<A>(x, x_lo);
    (A::f32(k.hi, hi, A::f32(k.hi, lo, k.lo * hi)), s1)
}

/// `ln(1 + eˣ)` in native `f32`, within about 1 ULP (softplus with β = 1; log-sigmoid is `−ln(1 + e^(−x))`):
/// - |x| < 1: `ln 2 + x/2 + ln cosh(x/2)`, the last as `u·H(u)` with `u = x²` (ln 2's low part joins it in its
///   last FMA), and `ln 2 + x/2` summed exactly (Fast2Sum), so only the final addition rounds much. `u`'s rounding
///   costs at most 2⁻²⁷ of the result (`u·H(u)` is below 1/8 of it); carrying it by FMA, as before, cost two
///   operations per element (1.01–1.04× slower) for a maximum error over all inputs that stayed 1.088 ULP, set at
///   |x| ≈ 1.27 by the other branch.
/// - |x| ≥ 1: `max(x, 0) + ln(1 + t)`, `t = e^(−|x|) = (hi + lo)·2ⁿ` ([`exp_split`]), `ln(1 + t) = t + t²·P(t)`,
///   formed as `2ⁿ·(hi + [lo + (hi + lo)·t·P(t)])`: only the final step rounds much; subnormal results
///   (x < −87.3) round once more, by the power of two.
///
/// +∞ for +∞, +0.0 for −∞, NaN for NaN.
#[inline(always)]
pub(crate) fn log1pexp<A: Fma>(x: f32) -> f32 {
    log1pexp_and_exp::<A>(x).0
}

/// [`log1pexp`] and the `t = e^(−|x|)` it computes on the way (within an ULP; 0 for ±∞).
#[inline(always)]
pub(crate) fn log1pexp_and_exp<A: Fma>(x: f32) -> (f32, f32) {
    let (hi, lo, s1) = exp_split_exact::<A>(-x.abs());
    let tp = log1pexp_tp::<A>(hi, lo, s1);
    log1pexp_finish::<A>(x, hi, lo, s1, tp)
}

/// `t·P(t)` of [`log1pexp`] from `t = e^(−|x|) = (hi + lo)·s1·2⁻⁶⁴`.
#[inline(always)]
fn log1pexp_tp<A: Fma>(hi: f32, lo: f32, s1: f32) -> f32 {
    let t = (hi + lo) * (s1 * TWO_M64);
    t * horner::<A, 7>(t, &LOG1P_P)
}

/// The rest of [`log1pexp_and_exp`], given `e^(−|x|) = (hi + lo)·s1·2⁻⁶⁴` and `t·P(t)`.
#[inline(always)]
fn log1pexp_finish<A: Fma>(x: f32, hi: f32, lo: f32, s1: f32, tp: f32) -> (f32, f32) {
    let a = x.abs();
    let u = x * x;
    let g = A::f32(u, horner::<A, 5>(u, &LNCOSH_H), LN2_LO_F32);
    let half = 0.5 * x;
    let s0 = LN2_HI_F32 + half;
    let e0 = (LN2_HI_F32 - s0) + half;
    let centre = s0 + (e0 + g);
    let s = s1 * TWO_M64;
    let ev = hi + lo;
    let t = ev * s;
    let m = hi + A::f32(tp, ev, lo);
    let negative = (m * s1) * TWO_M64;
    let positive = A::f32(m, s, x);
    let y = if a < 1.0 {
        centre
    } else if x < 0.0 {
        negative
    } else {
        positive
    };
    (y, t)
}

/// `y[i] = finish(x[i], log1pexp(arg(x[i])))` in four stages over blocks (see [`crate::kernel::Smooth::f32_slice`]):
/// the exponential in two ([`exp_reduced`]), `ln(1 + t)`'s polynomial, the rest. The same bits as per element.
#[inline(always)]
pub(crate) fn log1pexp_staged<A: Fma>(
    x: &[f32],
    y: &mut [f32],
    arg: impl Fn(f32) -> f32,
    finish: impl Fn(f32, f32) -> f32,
) {
    use crate::kernel::{BLOCK, Scratch};
    let mut scratch = Scratch::<f32>::take();
    let [r, s1, hi, lo, tp, ..] = scratch.arrays();
    for (x, y) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let n = x.len();
        let (y, r, s1) = (&mut y[..n], &mut r[..n], &mut s1[..n]);
        let (hi, lo, tp) = (&mut hi[..n], &mut lo[..n], &mut tp[..n]);
        exp_split_exact_staged::<A>(x, |x| -arg(x).abs(), r, hi, lo, s1);
        for i in 0..n {
            tp[i] = log1pexp_tp::<A>(hi[i], lo[i], s1[i]);
        }
        for i in 0..n {
            y[i] = finish(x[i], log1pexp_finish::<A>(arg(x[i]), hi[i], lo[i], s1[i], tp[i]).0);
        }
    }
}

/// `c[0] + c[1]·x + … + c[N−1]·x^(N−1)` by Horner's scheme.
#[inline(always)]
pub(crate) fn horner<A: Fma, const N: usize>(x: f32, c: &[f32; N]) -> f32 {
    horner_from::<A>(c[N - 1], x, &c[..N - 1])
}

/// Horner's scheme continued from `p` (the value so far, of the coefficients above `c`) through `c`, from its last
/// coefficient down to its first: `(…(p·x + c[n−1])·x + …)·x + c[0]`. For kernels that run one chain in two stages.
#[inline(always)]
pub(crate) fn horner_from<A: Fma>(p: f32, x: f32, c: &[f32]) -> f32 {
    c.iter().rev().fold(p, |p, &k| A::f32(p, x, k))
}

/// ln 2 as `f32` plus its rounding error.
const LN2_HI_F32: f32 = std::f32::consts::LN_2;
const LN2_LO_F32: f32 = -1.904_654_3e-9;

// Generated by tools/fit/coefficients.py (mpmath).
/// `ln cosh(x/2) = u·H(u)`, `u = x²` in [0, 1]: relative error 6.0e-9.
const LNCOSH_H: [f32; 5] = [0.125, -0.005208319, 0.0003471077, -2.6023394e-05, 1.742416e-06];
/// `ln(1 + t) = t + t²·P(t)`, `t` in [0, 1/e]: relative error of `P` 1.8e-8.
const LOG1P_P: [f32; 7] = [-0.5, 0.33333218, -0.2499487, 0.19912979, -0.15945938, 0.11069629, -0.04525881];

/// `σ(z + z_lo) = 1/(1 + e^(−z − z_lo))` in native `f32`, within about 1 ULP (|z_lo| ≤ ulp(z), finite):
/// `num/(1 + e)` with `e = e^(−|z|)` and `num` 1 or `e`, where `e`, `1 + e` and the quotient each carry their
/// rounding error into one final correction (`1/(1 + e)` is the quotient itself or one minus it, so the
/// correction needs no second division). Subnormal results round once; NaN stays NaN. `EXACT`: `z_lo` is 0
/// (then [`exp_split_exact`] is enough).
#[inline(always)]
pub(crate) fn sigmoid_acc<A: Fma, const EXACT: bool>(z: f32, z_lo: f32) -> f32 {
    let e = if EXACT {
        exp_split_exact::<A>(-z.abs())
    } else {
        exp_split::<A>(-z.abs(), if z < 0.0 { z_lo } else { -z_lo })
    };
    sigmoid_acc_from::<A>(z, e)
}

/// [`sigmoid_acc`] given `e^(−|z + z_lo|) = (hi + lo)·s1·2⁻⁶⁴`.
#[inline(always)]
pub(crate) fn sigmoid_acc_from<A: Fma>(z: f32, (hi, lo, s1): (f32, f32, f32)) -> f32 {
    let s = s1 * TWO_M64;
    let e = A::f32(hi, s, lo * s);
    let e_lo = A::f32(hi, s, -e) + lo * s;
    let den = 1.0 + e;
    let den_lo = ((1.0 - den) + e) + e_lo;
    let pos = z >= 0.0;
    let (num, num_lo) = if pos { (1.0, 0.0) } else { (e, e_lo) };
    let y = num / den;
    let r = A::f32(-y, den, num) + A::f32(-y, den_lo, num_lo);
    // 1/den: y, or 1 − y = (den − e)/den. Selected on the sign bit rather than on `pos` (the same choice, −0.0
    // included: y = 1 − y = 1/2 there): given the same condition twice, LLVM merges the two selects and divides
    // once per arm (two divisions per vector, which perf showed here and in SiLU).
    let inv_den = if z.is_sign_negative() { 1.0 - y } else { y };
    A::f32(r, inv_den, y)
}

/// `gx[i] = finish(x[i], g[i], e)` with `e = e^(arg(x[i]))` as [`exp_split_exact`] returns it, in three stages over
/// blocks (see [`crate::kernel::Smooth::f32_slice`]): the exponentials in two ([`exp_reduced`]), then what each
/// gradient makes of them. The same bits as per element.
#[inline(always)]
pub(crate) fn exp_exact_staged_grad<A: Fma>(
    x: &[f32],
    g: &[f32],
    gx: &mut [f32],
    arg: impl Fn(f32) -> f32,
    finish: impl Fn(f32, f32, (f32, f32, f32)) -> f32,
) {
    use crate::kernel::{BLOCK, Scratch};
    let mut scratch = Scratch::<f32>::take();
    let [hi, lo, s1, r, ..] = scratch.arrays();
    for ((x, g), gx) in x.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(gx.chunks_mut(BLOCK)) {
        let n = x.len();
        let (g, gx, hi, lo, s1, r) = (&g[..n], &mut gx[..n], &mut hi[..n], &mut lo[..n], &mut s1[..n], &mut r[..n]);
        exp_split_exact_staged::<A>(x, &arg, r, hi, lo, s1);
        for i in 0..n {
            gx[i] = finish(x[i], g[i], (hi[i], lo[i], s1[i]));
        }
    }
}

/// `e^(x + x_lo) − 1` for `x ≤ 0` (and NaN): `fma(2ⁿ, eʳ − 1, 2ⁿ − 1)`, one rounding after the reduced value
/// (about 0.86 ULP); −0.0 gives −0.0.
#[inline(always)]
pub(crate) fn expm1_neg<A: Fma>(x: f32, x_lo: f32) -> f32 {
    // Below −88 the result is −1 (2ⁿ underflows to 0 in `pow2`, which is fine: fma(0, q, −1)).
    let xc = if x < -88.0 { -88.0 } else { x };
    let (k, r, r_lo) = reduce_split::<A>(xc);
    let t = pow2(k, 0);
    let y = A::f32(t, expm1_reduced_split::<A>(r, r_lo + x_lo), t - 1.0);
    if x == 0.0 { x } else { y }
}

/// `k·(e^(x + x_lo) − 1)` for `x ≤ 0` (and NaN), −0.0 kept, with a single final rounding: with
/// `x = n·ln2 + r + r_lo`, `t = 2ⁿ` and `eʳ⁺ʳˡᵒ − 1 = r + c` (`c = r²·P(r) + r_lo·(1 + r)`, small), the value is
/// `k·([(t − 1) + t·r] + t·c)`; the bracket is summed exactly (Fast2Sum into `s + e`) and `k` enters as an `f32`
/// pair, so only the last FMA rounds. About 0.55 ULP of `e^x − 1` before the scaling; SELU's λα no longer
/// amplifies the error of a separately rounded `expm1`.
#[inline(always)]
pub(crate) fn expm1_neg_scaled<A: Fma>(x: f32, x_lo: f32, k: Split) -> f32 {
    // Below −88 the result is −k (2ⁿ underflows to 0 in `pow2`: then s = −1, e = 0).
    let xc = if x < -88.0 { -88.0 } else { x };
    let (steps, r, r_lo) = reduce_split::<A>(xc);
    let r_lo = r_lo + x_lo;
    let t = pow2(steps, 0);
    // As in `exp_split`: r_lo (CELU's x/α carries its own low part) multiplies all of eʳ.
    let c0 = (r * r) * expm1_poly::<A>(r);
    let c = A::f32(r_lo, (1.0 + r) + c0, c0);
    let (a, b) = (t - 1.0, t * r);
    // Fast2Sum: |a| ≥ |b| wherever a ≠ 0 (a = t − 1 ≤ −1/2 for n ≤ −1, |b| ≤ 0.35·t), and a = 0 (n = 0) is exact.
    let s = a + b;
    let e = b - (s - a);
    let small = A::f32(k.hi, e, A::f32(k.lo, s, (k.hi * t) * c));
    let y = A::f32(k.hi, s, small);
    if x == 0.0 { k.hi * x } else { y }
}

/// `(n, r)` with `x = n·ln2 + r`, |r| ≤ ln2/2, for |x| < 2²⁰.
#[inline(always)]
fn reduce64<A: Fma>(x: f64) -> (f64, f64) {
    let n = A::f64(x, std::f64::consts::LOG2_E, SHIFT64) - SHIFT64;
    let r = A::f64(n, -LN2_HI64, x);
    (n, A::f64(n, -LN2_LO64, r))
}

/// `eʳ − 1` for |r| ≤ ln2/2 by Taylor to r¹⁰ (truncation < 2⁻³⁷ relative).
#[inline(always)]
fn expm1_reduced64<A: Fma>(r: f64) -> f64 {
    let c = &INV_FACTORIALS;
    // Estrin's scheme: the four pairs are independent, which shortens the dependency chain.
    let r2 = r * r;
    let r4 = r2 * r2;
    let p01 = A::f64(c[1], r, c[0]);
    let p23 = A::f64(c[3], r, c[2]);
    let p45 = A::f64(c[5], r, c[4]);
    let p67 = A::f64(c[7], r, c[6]);
    let p03 = A::f64(p23, r2, p01);
    let p47 = A::f64(A::f64(c[8], r2, p67), r2, p45);
    let p = A::f64(p47, r4, p03);
    A::f64(r2, p, r)
}

/// `eˣ` for an argument an `f32` kernel produces: 0 below −600 (as libm's `exp` is 0 far below, so that, e.g.,
/// log-sigmoid gives +0.0 for large x), the argument clamped to 600 above (∞ in `f32`); NaN stays NaN.
#[inline(always)]
pub(crate) fn exp64<A: Fma>(x: f64) -> f64 {
    let xc = x.clamp(-600.0, 600.0);
    let (n, r) = reduce64::<A>(xc);
    let y = (1.0 + expm1_reduced64::<A>(r)) * pow2_64(n);
    if x < -600.0 { 0.0 } else { y }
}

/// `eˣ` for `x ≤ 700` (and NaN; beyond 709 the result is garbage, for the caller to select away) to a relative
/// error of 2.0e-9 (2⁻²⁸·⁹, 0.03 ULP of an `f32` result): [`exp64`]'s reduction to |r| ≤ ln2/2 with ln 2 in one
/// constant (an error of |n|·2⁻⁵⁵, below 2⁻⁴⁵ here), then a degree-6 fit instead of Taylor to r¹⁰, by Horner's
/// rule (Estrin's scheme took two multiplications more and measured 1.06× slower in the tanh-GELU, whose stages
/// keep enough elements in flight to hide the longer chain). For `f32` kernels that round once at the end and need
/// no more. `x` is clamped at −700 (`e⁻⁷⁰⁰` ≈ 1e−304, zero to every `f32` result) so that 2ⁿ stays a normal `f64`.
#[inline(always)]
pub(crate) fn exp64_short<A: Fma>(x: f64) -> f64 {
    let x = if x < -700.0 { -700.0 } else { x };
    let k = A::f64(x, std::f64::consts::LOG2_E, SHIFT64);
    let r = A::f64(k - SHIFT64, -std::f64::consts::LN_2, x);
    let p = A::f64(crate::vmath::horner::<A, 6>(&EXP64_SHORT, r), r, 1.0);
    // The low bits of `k` hold n: shifted into the exponent field and biased, they make 2ⁿ.
    p * f64::from_bits((k.to_bits() << 52).wrapping_add(1023 << 52))
}

// Generated by tools/fit/coefficients.py (mpmath; fit error in its output).
/// `eʳ = 1 + r·C(r)` on |r| ≤ ln2/2, relative error 1.97e-9.
const EXP64_SHORT: [f64; 6] = [
    1.00000003216587,
    0.4999999420890912,
    0.16666431258663905,
    0.04166800205469269,
    0.008374155654007159,
    0.0013843653385892767,
];

/// `ln(1 + e)` for `e` in [0, 1] (and NaN): `1 + e = 2ᵏ·u` with `u` in [√½, √2], `ln u = 2·atanh(s)`,
/// `s = (u − 1)/(u + 1)`, |s| ≤ 0.172, by its series to s¹³ (truncation < 2⁻³⁹), plus the rounding error of
/// `1 + e` (first order: wherever it matters, `1 + e` is close to 1).
#[inline(always)]
pub(crate) fn log1p_unit64<A: Fma>(e: f64) -> f64 {
    let v = 1.0 + e;
    let c = e - (v - 1.0);
    let big = v > std::f64::consts::SQRT_2;
    let u = if big { v * 0.5 } else { v };
    let k = if big { std::f64::consts::LN_2 } else { 0.0 };
    let f = u - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut p = 1.0 / 13.0;
    for d in [11.0, 9.0, 7.0, 5.0, 3.0] {
        p = A::f64(p, z, 1.0 / d);
    }
    let log_u = A::f64(2.0 * s * z, p, 2.0 * s);
    k + (log_u + c)
}

/// `tanh x` for an `f32` input, in lean `f64`: `a·P(a²)/Q(a²)` with `a = x` clamped to ±9.5 (where `tanh`, and
/// `tanh²` for tanhshrink's gradient, round to ±1 in `f32`; ±0 kept, NaN stays NaN); `P`, `Q` both of degree 5
/// (a fitted rational approximation to `tanh(a)/a`, relative error 7.1e-11 = 2⁻³³·⁷, so the `f32` result is within
/// 0.5 + 2⁻⁹·⁷ ULP), each by Horner's rule. No `exp`: ten FMAs, three products, one division. The function is odd
/// and `P/Q` even, so the sign comes with `a`: the same bits as clamping `|x|` and restoring the sign, 1.16× faster
/// (and 0.76× when the clamp was written as two `if`s, which LLVM did not turn into `vmaxpd`/`vminpd`).
#[inline(always)]
pub(crate) fn tanh64<A: Fma>(x: f64) -> f64 {
    let a = x.clamp(-9.5, 9.5);
    let z = a * a;
    let num = crate::vmath::horner::<A, 6>(&TANH_P, z);
    let den = crate::vmath::horner::<A, 6>(&TANH_Q, z);
    a * num / den
}

// Generated by tools/fit/coefficients.py (mpmath).
/// `tanh(a)/a ≈ P(z)/Q(z)`, `z = a²` in [0, 9.5²]: relative error 7.06e-11.
const TANH_P: [f64; 6] = [
    0.99999999992939733199,
    0.14081514941946086377,
    0.0044023809214912727546,
    0.000041667633909282512873,
    1.0771538851878248535e-7,
    3.460765162224038816e-11,
];
const TANH_Q: [f64; 6] = [
    1.0,
    0.47414848200555102377,
    0.02911854290348770564,
    0.00049630394528029478159,
    2.5476664291880022843e-6,
    2.8234869395605217747e-9,
];

/// An `f64` constant as `hi + lo` in `f32`, so that `c·v` can be formed with one rounding: [`Split::mul`].
#[derive(Clone, Copy)]
pub(crate) struct Split {
    pub(crate) hi: f32,
    pub(crate) lo: f32,
}

impl Split {
    #[inline(always)]
    pub(crate) fn new(c: f64) -> Split {
        let hi = c as f32;
        Split { hi, lo: (c - hi as f64) as f32 }
    }
    /// `c·v` as `(hi, lo)` with `hi + lo` within about 2⁻⁴⁸ relative of it (for finite results).
    #[inline(always)]
    pub(crate) fn mul_split<A: Fma>(self, v: f32) -> (f32, f32) {
        let hi = self.hi * v;
        (hi, A::f32(self.hi, v, -hi) + self.lo * v)
    }
    /// `c·v`, rounded about once; ±∞ for ±∞ (where `hi·∞ + lo·∞` could be ∞ − ∞).
    #[inline(always)]
    pub(crate) fn mul<A: Fma>(self, v: f32) -> f32 {
        let r = A::f32(self.hi, v, self.lo * v);
        if v.is_infinite() { self.hi * v } else { r }
    }
}

/// `d·T(d)` with `d = x − (zero_hi + zero_lo)`: a function near a simple zero, from a fit of `T` (see
/// `tools/fit/coefficients.py`). `x − zero_hi` is exact near the zero (Sterbenz), so the result keeps its relative
/// accuracy where formulas that subtract nearly equal terms have none.
#[inline(always)]
pub(crate) fn near_zero<A: Fma, const N: usize>(x: f32, zero_hi: f32, zero_lo: f32, t: &[f32; N]) -> f32 {
    let d = (x - zero_hi) - zero_lo;
    d * horner::<A, N>(d, t)
}
