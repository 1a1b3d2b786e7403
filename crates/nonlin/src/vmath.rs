//! Branch-free `f64` elementary functions that LLVM vectorizes: `exp`, `expm1`, `log1p` and `tanh`.
//!
//! Cody–Waite argument reduction with a split ln 2, polynomials on the reduced interval (minimax for `exp`, Taylor
//! for `log1p`), the power of two built from the exponent bits (two factors, so subnormal results round once), and
//! special values handled by selects, never branches. No libm calls. Multiply-adds go through `A` ([`Fma`]): fused
//! on the levels that have FMA, two roundings on the baseline, so the levels' `f64` results may differ in the last
//! bits. Accuracy: a few units in the last place of `f64` — far below `f32`'s, whose kernels evaluate these in
//! `f64` and round once.

use crate::math::Fma;

/// 1.5·2⁵²: adding and subtracting it rounds an `f64` of magnitude < 2⁵¹ to the nearest integer.
pub(crate) const SHIFT: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that `n·LN2_HI` is exact for |n| < 2²⁰ (fdlibm's constants).
pub(crate) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
pub(crate) const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// 2ⁿ for an integer-valued `n` with −1022 ≤ n ≤ 1023, from its exponent bits (for `vmath32`'s lean `f64`).
#[inline(always)]
pub(crate) fn pow2(n: f64) -> f64 {
    let k = (n + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits());
    f64::from_bits(k.wrapping_add(1023) << 52)
}

/// `(2^⌊n/2⌋, 2^(n − ⌊n/2⌋))` for an integer-valued `n` with −2044 ≤ n ≤ 2046, by integer operations on the
/// bits of `n + SHIFT` (whose low bits hold `n`): a power of two in two normal factors, for results that may be
/// subnormal (`m·2ⁿ` as `(m·s1)·s2` rounds once). Against halving `n` in floating point and building each factor
/// from its own shifted sum, five fewer floating-point operations per exponential.
#[inline(always)]
pub(crate) fn pow2_split(n: f64) -> (f64, f64) {
    // i = n + 2048 ≥ 0, so a logical shift halves it: h = ⌊n/2⌋ + 1024.
    let i = (n + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(2048);
    let h = i >> 1;
    // Biased exponents: ⌊n/2⌋ + 1023 = h − 1 and n − ⌊n/2⌋ + 1023 = i − h − 1.
    (f64::from_bits(h.wrapping_sub(1) << 52), f64::from_bits(i.wrapping_sub(h).wrapping_sub(1) << 52))
}

/// Reduces `x` to `r` in [−ln2/2, ln2/2] with `x = n·ln2 + r`; returns `(n, r)`. `x` must be in [−746, 710].
#[inline(always)]
fn reduce<A: Fma>(x: f64) -> (f64, f64) {
    let n = A::f64(x, std::f64::consts::LOG2_E, SHIFT) - SHIFT;
    // n·LN2_HI is exact, so the first step rounds once, fused or not.
    let r = A::f64(-n, LN2_LO, A::f64(-n, LN2_HI, x));
    (n, r)
}

/// `x` clamped to [−746, 710], where `exp` has underflowed to 0 and overflowed to ∞; NaN passes.
#[inline(always)]
fn clamp_exp_arg(x: f64) -> f64 {
    x.clamp(-746.0, 710.0)
}

/// 1/k! for k = 2, 3, …, 10: the Taylor coefficients of `(eʳ − 1 − r)/r²` (for `vmath32`'s lean `f64` `exp`).
pub(crate) const INV_FACTORIALS: [f64; 9] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
];

/// `P` of `eʳ − 1 = r + r²·P(r)` for |r| ≤ ln2/2, degree 9, fitted for the least maximum of |r·(P − P_exact)|
/// (which bounds the relative error of both `eʳ − 1` and `eʳ`) in mpmath: `tools/fit/coefficients.py`.
const EXPM1_P: [f64; 10] = [
    0.5000000000000006,
    0.16666666666666682,
    0.04166666666657342,
    0.008333333333316111,
    0.0013888888932420977,
    0.00019841269899681578,
    2.480150441292238e-05,
    2.7557230980304964e-06,
    2.7626335007361795e-07,
    2.5113507420778927e-08,
];

/// `eʳ − 1` for |r| ≤ 0.35 as `r + r²·P(r)` ([`EXPM1_P`]; 0.19 ULP before the last rounding). Against the Taylor
/// polynomial to r¹³ (0.04 ULP) two multiply-adds fewer: the `f64` sigmoid, ELU, tanh, Mish 1.03–1.08× faster at
/// 1,024 and 65,536 elements on Zen 3. By Estrin's scheme: a dependency chain of four levels instead of Horner's
/// nine, which made the `f64` kernels latency-bound (sigmoid at 65,536 elements 0.22 → 0.28 Gelem/s; fused on the
/// FMA levels, 0.29 → 0.36).
#[inline(always)]
pub(crate) fn expm1_reduced<A: Fma>(r: f64) -> f64 {
    let c = &EXPM1_P;
    let r2 = r * r;
    let r4 = r2 * r2;
    let pair = |i: usize| A::f64(c[i + 1], r, c[i]);
    let q0 = A::f64(pair(2), r2, pair(0));
    let q1 = A::f64(pair(6), r2, pair(4));
    let p = A::f64(A::f64(pair(8), r4, q1), r4, q0);
    A::f64(r2, p, r)
}

/// `eˣ` as `(m, s1, s2)` with `eˣ = m·s1·s2`, `m` in [0.7, 1.5] and `s1`, `s2` powers of two: callers that multiply
/// by something first keep subnormal results to one rounding.
#[inline(always)]
pub(crate) fn exp_parts<A: Fma>(x: f64) -> (f64, f64, f64) {
    let (n, r) = reduce::<A>(clamp_exp_arg(x));
    parts::<A>(x, n, r)
}

/// The first step of [`exp_parts`] for kernels computed in stages: `(n, r)`; then [`exp_mant`]`(x, r)` is `m` and
/// [`pow2_split`]`(n)` is `(s1, s2)`.
#[inline(always)]
pub(crate) fn exp_start<A: Fma>(x: f64) -> (f64, f64) {
    reduce::<A>(clamp_exp_arg(x))
}

/// [`exp_parts`]' `m` from `x` and the reduced argument `r` of [`exp_start`]`(x)`: `eʳ`, or 0 for a value below
/// e⁻⁷⁴⁶, which is 0 however large the factor a caller multiplies by first.
#[inline(always)]
pub(crate) fn exp_mant<A: Fma>(x: f64, r: f64) -> f64 {
    if x < -746.0 { 0.0 } else { 1.0 + expm1_reduced::<A>(r) }
}

/// `(m, s1, s2)` from `x` and its `(n, r)`.
#[inline(always)]
fn parts<A: Fma>(x: f64, n: f64, r: f64) -> (f64, f64, f64) {
    let (s1, s2) = pow2_split(n);
    (exp_mant::<A>(x, r), s1, s2)
}

/// `eˣ`.
#[inline(always)]
pub(crate) fn exp<A: Fma>(x: f64) -> f64 {
    let (m, s1, s2) = exp_parts::<A>(x);
    m * s1 * s2
}

/// `eˣ − 1`, accurate for small |x|: `2ⁿ·(eʳ − 1) + (2ⁿ − 1)`.
#[inline(always)]
pub(crate) fn expm1<A: Fma>(x: f64) -> f64 {
    let (n, r) = exp_start::<A>(x);
    expm1_end::<A>(x, n, expm1_reduced::<A>(r))
}

/// [`expm1`] of `x` from `n` of [`exp_start`]`(x)` and `p = `[`expm1_reduced`]`(r)`.
#[inline(always)]
pub(crate) fn expm1_end<A: Fma>(x: f64, n: f64, p: f64) -> f64 {
    // expm1(−0.0) is −0.0; the formula gives +0.0.
    if x == 0.0 { x } else { expm1_formula::<A>(n, p) }
}

/// `2ⁿ·p + (2ⁿ − 1)`: [`expm1_end`] without the sign of zero, for `tanh` and ELU, which restore it themselves
/// (tanh's stage ran five instructions shorter per vector; ELU's last one did not need masked loads).
#[inline(always)]
pub(crate) fn expm1_formula<A: Fma>(n: f64, p: f64) -> f64 {
    let (s1, s2) = pow2_split(n);
    let two_n = s1 * s2;
    A::f64(two_n, p, two_n - 1.0)
}

/// `ln(1 + x)`, accurate for small |x|: `u = 1 + x` written as `2ᵏ·m` with m in [√½, √2), `ln m` from the series
/// of `2·atanh(s)`, `s = (m − 1)/(m + 1)`, plus the rounding error of `u` to first order.
#[inline(always)]
pub(crate) fn log1p<A: Fma>(x: f64) -> f64 {
    let y = log1p_end::<A>(x, log1p_start(x));
    if x == 0.0 {
        x // keeps −0.0
    } else if x == -1.0 {
        f64::NEG_INFINITY
    } else if x < -1.0 {
        f64::NAN
    } else if x == f64::INFINITY {
        x
    } else {
        y
    }
}

/// `u = 1 + x` as `(k, m)`, `u = 2ᵏ·m` with m in [√½, √2) (fdlibm's high-word trick).
#[inline(always)]
fn log1p_split(u: f64) -> (f64, f64) {
    let bits = u.to_bits();
    let hu = (bits >> 32).wrapping_add(0x3ff0_0000 - 0x3fe6_a09e);
    let k_int = (hu >> 20).wrapping_sub(0x3ff);
    let m = f64::from_bits((((hu & 0x000f_ffff) + 0x3fe6_a09e) << 32) | (bits & 0xffff_ffff));
    (f64::from_bits(SHIFT.to_bits().wrapping_add(k_int)) - SHIFT, m)
}

/// The first step of [`log1p`], its two divisions, for kernels computed in stages: `(s, c)`, `s = (m − 1)/(m + 1)`
/// and `c` the first-order correction for the rounding of `1 + x`.
#[inline(always)]
pub(crate) fn log1p_start(x: f64) -> (f64, f64) {
    let u = 1.0 + x;
    // Zero when u is exact.
    let c = (x - (u - 1.0)) / u;
    let f = log1p_split(u).1 - 1.0;
    (f / (2.0 + f), c)
}

/// [`log1p`] of `x` from [`log1p_start`]`(x)`, without its special cases: for `x` in [0, 1] (where the formula
/// gives +0.0 at 0) and NaN, as in `ln(1 + e^(−|z|))`; the selects of the general case were a third of the stage.
#[inline(always)]
pub(crate) fn log1p_end<A: Fma>(x: f64, (s, c): (f64, f64)) -> f64 {
    let k = log1p_split(1.0 + x).0;
    let z = s * s;
    // Σ z^j/(2j + 3), j = 0…9, by Estrin's scheme (a chain of four levels instead of nine multiply-adds).
    let pair = |a: f64, b: f64| A::f64(1.0 / b, z, 1.0 / a);
    let z2 = z * z;
    let z4 = z2 * z2;
    let q0 = A::f64(pair(7.0, 9.0), z2, pair(3.0, 5.0));
    let q1 = A::f64(pair(15.0, 17.0), z2, pair(11.0, 13.0));
    let p = A::f64(A::f64(pair(19.0, 21.0), z4, q1), z4, q0);
    let log_m = A::f64(2.0 * s, z * p, 2.0 * s);
    A::f64(k, LN2_HI, log_m + A::f64(k, LN2_LO, c))
}

/// `tanh x = −expm1(−2|x|)/(2 + expm1(−2|x|))` with the sign of x.
#[inline(always)]
pub(crate) fn tanh<A: Fma>(x: f64) -> f64 {
    let (n, r) = tanh_start::<A>(x);
    tanh_end(x, tanh_mid::<A>(n, r))
}

/// The first step of [`tanh`] for kernels computed in stages: [`exp_start`] of `−2|x|`.
#[inline(always)]
pub(crate) fn tanh_start<A: Fma>(x: f64) -> (f64, f64) {
    exp_start::<A>(-2.0 * x.abs())
}

/// The second step of [`tanh`]: `em = expm1(−2|x|)` from [`tanh_start`]`(x)` (+0.0, not −0.0, at x = 0, where
/// [`tanh_end`] returns `x`).
#[inline(always)]
pub(crate) fn tanh_mid<A: Fma>(n: f64, r: f64) -> f64 {
    expm1_formula::<A>(n, expm1_reduced::<A>(r))
}

/// [`tanh`] of `x` from [`tanh_mid`]: `±(−em/(2 + em))`.
#[inline(always)]
pub(crate) fn tanh_end(x: f64, em: f64) -> f64 {
    let t = -em / (2.0 + em);
    if x < 0.0 {
        -t
    } else if x > 0.0 {
        t
    } else {
        x
    }
}

/// Horner evaluation of `c[0] + z·(c[1] + z·(…))`, with the level's multiply-adds (for the lean-`f64` tanh and
/// `exp` of the `f32` kernels, `vmath32::tanh64` and `vmath32::exp64_short`).
#[inline(always)]
pub(crate) fn horner<A: Fma, const N: usize>(c: &[f64; N], z: f64) -> f64 {
    horner_slice::<A>(c, z)
}

/// [`horner`] of a non-empty slice of coefficients.
#[inline(always)]
fn horner_slice<A: Fma>(c: &[f64], z: f64) -> f64 {
    c[..c.len() - 1].iter().rev().fold(c[c.len() - 1], |p, &k| A::f64(p, z, k))
}

/// [`horner`] in `K` interleaved chains: `c` cut into pieces of `K` coefficients, each evaluated by Horner's rule,
/// and the pieces combined by Horner's rule in `z^K`. A long polynomial's single chain of multiply-adds is too long
/// for enough elements to be in flight (the `f64` GELU's degree 23: 1.16× slower by [`horner`]); the pieces'
/// chains are independent.
#[inline(always)]
pub(crate) fn horner_chunked<A: Fma, const N: usize, const K: usize>(c: &[f64; N], z: f64) -> f64 {
    // z^K by squaring: a chain of about log2(K) products.
    let (mut zk, mut power, mut k) = (1.0, z, K);
    while k > 0 {
        if k & 1 == 1 {
            zk *= power;
        }
        power *= power;
        k >>= 1;
    }
    let mut pieces = c.chunks(K).rev();
    let last = horner_slice::<A>(pieces.next().expect("N > 0"), z);
    pieces.fold(last, |p, c| A::f64(p, zk, horner_slice::<A>(c, z)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{Emulated, Fused};

    /// Against the platform's libm (correctly rounded or nearly) on a dense sweep and the special values, with the
    /// multiply-adds rounded twice (the baseline level) and fused.
    #[test]
    fn agree_with_libm() {
        check::<Emulated>();
        check::<Fused>();
    }

    fn check<A: Fma>() {
        let ulps = |a: f64, b: f64| {
            if a == b || (a.is_nan() && b.is_nan()) {
                0.0
            } else {
                (a - b).abs() / (b.abs().next_up() - b.abs()).max(f64::from_bits(1))
            }
        };
        let mut worst = [0.0f64; 3];
        let mut x = -760.0;
        while x < 720.0 {
            worst[0] = worst[0].max(ulps(exp::<A>(x), x.exp()));
            worst[1] = worst[1].max(ulps(expm1::<A>(x), x.exp_m1()));
            x += 0.013_7;
        }
        let mut x = -0.999_999;
        while x < 1e6 {
            worst[2] = worst[2].max(ulps(log1p::<A>(x), x.ln_1p()));
            x = if x < 1.0 { x + 0.000_731 } else { x * 1.013 };
        }
        assert!(worst.iter().all(|&w| w <= 4.0), "exp, expm1, log1p worst ULPs: {worst:?}");
        for v in [0.0, -0.0, 1e-300, -1e-300, 1e-17, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(expm1::<A>(v).to_bits(), v.exp_m1().to_bits(), "expm1({v})");
            assert_eq!(exp::<A>(v), v.exp(), "exp({v})");
        }
        assert!(exp::<A>(f64::NAN).is_nan() && expm1::<A>(f64::NAN).is_nan() && log1p::<A>(f64::NAN).is_nan());
        assert_eq!(log1p::<A>(-1.0), f64::NEG_INFINITY);
        assert!(log1p::<A>(-2.0).is_nan());
        assert_eq!(log1p::<A>(f64::INFINITY), f64::INFINITY);
        assert_eq!(log1p::<A>(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(exp::<A>(-745.2), (-745.2f64).exp(), "subnormal result");
    }
}
