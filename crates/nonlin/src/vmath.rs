//! Branch-free `f64` elementary functions that LLVM vectorizes: `exp`, `expm1`, `log1p`, `tanh` and `erfc`.
//!
//! Cody–Waite argument reduction with a split ln 2, Taylor polynomials on the reduced interval in Horner form, the
//! power of two built from the exponent bits (two factors, so subnormal results round once), and special values
//! handled by selects, never branches. No libm calls. Multiply-adds go through `A` ([`Fma`]): fused on the levels
//! that have FMA, two roundings on the baseline, so the levels' `f64` results may differ in the last bits.
//! Accuracy: a few units in the last place of `f64` — far below `f32`'s, whose kernels evaluate these in `f64` and
//! round once.

use crate::math::Fma;

/// 1.5·2⁵²: adding and subtracting it rounds an `f64` of magnitude < 2⁵¹ to the nearest integer.
pub(crate) const SHIFT: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that `n·LN2_HI` is exact for |n| < 2²⁰ (fdlibm's constants).
pub(crate) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
pub(crate) const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// 2ⁿ for an integer-valued `n` with −1022 ≤ n ≤ 1023, from its exponent bits.
#[inline(always)]
pub(crate) fn pow2(n: f64) -> f64 {
    let k = (n + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits());
    f64::from_bits(k.wrapping_add(1023) << 52)
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

/// 1/k! for k = 2, 3, …, 13: the Taylor coefficients of `(eʳ − 1 − r)/r²`.
pub(crate) const INV_FACTORIALS: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// `eʳ − 1` for |r| ≤ 0.35 (Taylor to r¹³; truncation < 2⁻⁵⁵ relative), by Estrin's scheme: a dependency chain of
/// four levels instead of Horner's twelve multiply-adds, which made the `f64` kernels latency-bound (sigmoid at
/// 65,536 elements 0.22 → 0.28 Gelem/s; fused on the FMA levels, 0.29 → 0.36).
#[inline(always)]
pub(crate) fn expm1_reduced<A: Fma>(r: f64) -> f64 {
    let c = &INV_FACTORIALS;
    let r2 = r * r;
    let r4 = r2 * r2;
    let pair = |i: usize| A::f64(c[i + 1], r, c[i]);
    let q0 = A::f64(pair(2), r2, pair(0));
    let q1 = A::f64(pair(6), r2, pair(4));
    let q2 = A::f64(pair(10), r2, pair(8));
    let p = A::f64(A::f64(q2, r4, q1), r4, q0);
    A::f64(r2, p, r)
}

/// `eˣ` for `x ≤ 0` to 6·10⁻⁵ relative (the Taylor remainder at |r| = ln2/2), subnormal results included (0 below
/// −745): for first-order corrections that need a few digits, at a third of [`exp`]'s operations (one-step
/// reduction, degree-4 Taylor polynomial, the power of two as 2ⁿ⁺⁶⁰·2⁻⁶⁰ so that it stays normal).
#[inline(always)]
pub(crate) fn exp_rough<A: Fma>(x: f64) -> f64 {
    let xc = x.max(-745.0);
    let n = A::f64(xc, std::f64::consts::LOG2_E, SHIFT) - SHIFT;
    let r = A::f64(-n, std::f64::consts::LN_2, xc);
    let p = A::f64(A::f64(A::f64(A::f64(r, 1.0 / 24.0, 1.0 / 6.0), r, 0.5), r, 1.0), r, 1.0);
    if x < -745.0 { 0.0 } else { (p * pow2(n + 60.0)) * TWO_M60 }
}

/// 2⁻⁶⁰.
const TWO_M60: f64 = 8.673_617_379_884_035e-19;

/// `eˣ` as `(m, s1, s2)` with `eˣ = m·s1·s2`, `m` in [0.7, 1.5] and `s1`, `s2` powers of two: callers that multiply
/// by something first keep subnormal results to one rounding.
#[inline(always)]
pub(crate) fn exp_parts<A: Fma>(x: f64) -> (f64, f64, f64) {
    let (n, r) = reduce::<A>(clamp_exp_arg(x));
    parts::<A>(n, r, x < -746.0)
}

/// The first step of [`exp_parts`] for kernels computed in stages: `(n, r)`, which [`exp_parts_from`] finishes.
#[inline(always)]
pub(crate) fn exp_start<A: Fma>(x: f64) -> (f64, f64) {
    reduce::<A>(clamp_exp_arg(x))
}

/// [`exp_parts`] of `x` from [`exp_start`]`(x)`.
#[inline(always)]
pub(crate) fn exp_parts_from<A: Fma>(x: f64, n: f64, r: f64) -> (f64, f64, f64) {
    parts::<A>(n, r, x < -746.0)
}

/// [`exp_parts`] of `x + y` for an exact `x ≤ 0` and a small `y` (|y| ≲ 1), without rounding the sum: `y` joins the
/// reduction after its exact first step, `r = ((x − n·LN2_HI) + y) − n·LN2_LO`, so it is rounded at the scale of
/// `r`, not of `x` (as fdlibm's erfc needs: there `x` is −z² to 42 bits).
#[inline(always)]
fn exp_sum_parts<A: Fma>(x: f64, y: f64) -> (f64, f64, f64) {
    let s = clamp_exp_arg(x + y);
    let n = A::f64(s, std::f64::consts::LOG2_E, SHIFT) - SHIFT;
    let r = A::f64(-n, LN2_LO, A::f64(-n, LN2_HI, x) + y);
    parts::<A>(n, r, x + y < -746.0)
}

/// `(m, s1, s2)` from `n` and the reduced argument `r`; `m = 0` for a value below e⁻⁷⁴⁶, which is 0 however large
/// the factor a caller multiplies by first.
#[inline(always)]
fn parts<A: Fma>(n: f64, r: f64, underflow: bool) -> (f64, f64, f64) {
    let n1 = (n * 0.5 + SHIFT) - SHIFT;
    let m = if underflow { 0.0 } else { 1.0 + expm1_reduced::<A>(r) };
    (m, pow2(n1), pow2(n - n1))
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
    expm1_from::<A>(x, n, r)
}

/// [`expm1`] of `x` from [`exp_start`]`(x)`.
#[inline(always)]
fn expm1_from<A: Fma>(x: f64, n: f64, r: f64) -> f64 {
    expm1_end::<A>(x, n, expm1_reduced::<A>(r))
}

/// [`expm1`] of `x` from `n` of [`exp_start`]`(x)` and `p = `[`expm1_reduced`]`(r)`.
#[inline(always)]
pub(crate) fn expm1_end<A: Fma>(x: f64, n: f64, p: f64) -> f64 {
    let n1 = (n * 0.5 + SHIFT) - SHIFT;
    let two_n = pow2(n1) * pow2(n - n1);
    let y = A::f64(two_n, p, two_n - 1.0);
    // expm1(−0.0) is −0.0; the formula gives +0.0.
    if x == 0.0 { x } else { y }
}

/// `ln(1 + x)`, accurate for small |x|: `u = 1 + x` written as `2ᵏ·m` with m in [√½, √2), `ln m` from the series
/// of `2·atanh(s)`, `s = (m − 1)/(m + 1)`, plus the rounding error of `u` to first order.
#[inline(always)]
pub(crate) fn log1p<A: Fma>(x: f64) -> f64 {
    let u = 1.0 + x;
    // First-order correction for the rounding of 1 + x (zero when u is exact).
    let c = (x - (u - 1.0)) / u;
    // Exponent and mantissa with the mantissa in [√½, √2) (fdlibm's high-word trick).
    let bits = u.to_bits();
    let hu = (bits >> 32).wrapping_add(0x3ff0_0000 - 0x3fe6_a09e);
    let k_int = (hu >> 20).wrapping_sub(0x3ff);
    let m = f64::from_bits((((hu & 0x000f_ffff) + 0x3fe6_a09e) << 32) | (bits & 0xffff_ffff));
    let k = f64::from_bits(SHIFT.to_bits().wrapping_add(k_int)) - SHIFT;
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    // Σ z^j/(2j + 3), j = 0…9, by Estrin's scheme (a chain of four levels instead of nine multiply-adds).
    let pair = |a: f64, b: f64| A::f64(1.0 / b, z, 1.0 / a);
    let z2 = z * z;
    let z4 = z2 * z2;
    let q0 = A::f64(pair(7.0, 9.0), z2, pair(3.0, 5.0));
    let q1 = A::f64(pair(15.0, 17.0), z2, pair(11.0, 13.0));
    let p = A::f64(A::f64(pair(19.0, 21.0), z4, q1), z4, q0);
    let log_m = A::f64(2.0 * s, z * p, 2.0 * s);
    let y = A::f64(k, LN2_HI, log_m + A::f64(k, LN2_LO, c));
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

/// `tanh x = −expm1(−2|x|)/(2 + expm1(−2|x|))` with the sign of x.
#[inline(always)]
pub(crate) fn tanh<A: Fma>(x: f64) -> f64 {
    let (n, r) = tanh_start::<A>(x);
    tanh_end(x, tanh_mid::<A>(x, n, r))
}

/// The first step of [`tanh`] for kernels computed in stages: [`exp_start`] of `−2|x|`.
#[inline(always)]
pub(crate) fn tanh_start<A: Fma>(x: f64) -> (f64, f64) {
    exp_start::<A>(-2.0 * x.abs())
}

/// The second step of [`tanh`]: `em = expm1(−2|x|)` from [`tanh_start`]`(x)`.
#[inline(always)]
pub(crate) fn tanh_mid<A: Fma>(x: f64, n: f64, r: f64) -> f64 {
    expm1_from::<A>(-2.0 * x.abs(), n, r)
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

/// fdlibm's erfc coefficients (FreeBSD `s_erf.c`, © 1993 Sun Microsystems, freely distributable; as in the `libm`
/// crate), stored as their exact bit patterns.
mod erfc_coef {
    pub const ERX: f64 = f64::from_bits(0x3feb0ac160000000);
    pub const PP: [f64; 5] = [
        f64::from_bits(0x3fc06eba8214db68),
        f64::from_bits(0xbfd4cd7d691cb913),
        f64::from_bits(0xbf9d2a51dbd7194f),
        f64::from_bits(0xbf77a291236668e4),
        f64::from_bits(0xbef8ead6120016ac),
    ];
    pub const QQ: [f64; 5] = [
        f64::from_bits(0x3fd97779cddadc09),
        f64::from_bits(0x3fb0a54c5536ceba),
        f64::from_bits(0x3f74d022c4d36b0f),
        f64::from_bits(0x3f215dc9221c1a10),
        f64::from_bits(0xbed09c4342a26120),
    ];
    pub const PA: [f64; 7] = [
        f64::from_bits(0xbf6359b8bef77538),
        f64::from_bits(0x3fda8d00ad92b34d),
        f64::from_bits(0xbfd7d240fbb8c3f1),
        f64::from_bits(0x3fd45fca805120e4),
        f64::from_bits(0xbfbc63983d3e28ec),
        f64::from_bits(0x3fa22a36599795eb),
        f64::from_bits(0xbf61bf380a96073f),
    ];
    pub const QA: [f64; 6] = [
        f64::from_bits(0x3fbb3e6618eee323),
        f64::from_bits(0x3fe14af092eb6f33),
        f64::from_bits(0x3fb2635cd99fe9a7),
        f64::from_bits(0x3fc02660e763351f),
        f64::from_bits(0x3f8bedc26b51dd1c),
        f64::from_bits(0x3f888b545735151d),
    ];
    pub const RA: [f64; 8] = [
        f64::from_bits(0xbf843412600d6435),
        f64::from_bits(0xbfe63416e4ba7360),
        f64::from_bits(0xc0251e0441b0e726),
        f64::from_bits(0xc04f300ae4cba38d),
        f64::from_bits(0xc0644cb184282266),
        f64::from_bits(0xc067135cebccabb2),
        f64::from_bits(0xc054526557e4d2f2),
        f64::from_bits(0xc023a0efc69ac25c),
    ];
    pub const SA: [f64; 8] = [
        f64::from_bits(0x4033a6b9bd707687),
        f64::from_bits(0x4061350c526ae721),
        f64::from_bits(0x407b290dd58a1a71),
        f64::from_bits(0x40842b1921ec2868),
        f64::from_bits(0x407ad02157700314),
        f64::from_bits(0x405b28a3ee48ae2c),
        f64::from_bits(0x401a47ef8e484a93),
        f64::from_bits(0xbfaeeff2ee749a62),
    ];
    pub const RB: [f64; 8] = [
        f64::from_bits(0xbf84341239e86f4a),
        f64::from_bits(0xbfe993ba70c285de),
        f64::from_bits(0xc031c209555f995a),
        f64::from_bits(0xc064145d43c5ed98),
        f64::from_bits(0xc083ec881375f228),
        f64::from_bits(0xc09004616a2e5992),
        f64::from_bits(0xc07e384e9bdc383f),
        0.0,
    ];
    pub const SB: [f64; 8] = [
        f64::from_bits(0x403e568b261d5190),
        f64::from_bits(0x40745cae221b9f0a),
        f64::from_bits(0x409802eb189d5118),
        f64::from_bits(0x40a8ffb7688c246a),
        f64::from_bits(0x40a3f219cedf3be6),
        f64::from_bits(0x407da874e79fe763),
        f64::from_bits(0xc03670e242712d62),
        0.0,
    ];
}

/// Horner evaluation of `c[0] + z·(c[1] + z·(…))`, with the level's multiply-adds (also for the lean-`f64` tanh
/// and `exp` of the `f32` kernels, `vmath32::tanh64` and `vmath32::exp64_short`). Before the `f64` GELU ran in
/// stages, fused polynomials made LLVM's cost model leave its loop scalar (0.063 → 0.021 Gelem/s at 65,536), and
/// they were left unfused; with erfc's rational functions in a stage of their own the fused loop is vectorized,
/// and the `f64` GELU runs 1.34× faster forward and 1.27× backward (same accuracy against mpmath on 20,000 points:
/// mean 0.44 ULP, at most 28 deep in the tail, as before).
#[inline(always)]
pub(crate) fn horner<A: Fma, const N: usize>(c: &[f64; N], z: f64) -> f64 {
    let mut p = c[N - 1];
    for &k in c[..N - 1].iter().rev() {
        p = A::f64(p, z, k);
    }
    p
}

/// `erfc(x)`, fdlibm's method made branch-free: the rational approximations of every interval ([0, 0.84375),
/// [0.84375, 1.25), [1.25, 1/0.35), [1/0.35, 28)) are evaluated and the right one selected; the tail's
/// `exp(−x²)` is split as `exp(−z² − 0.5625)·exp((z − x)(z + x) + R/S)` with `z` = x truncated to 32 bits, so the
/// relative accuracy holds deep into the tail.
#[inline(always)]
pub(crate) fn erfc<A: Fma>(x: f64) -> f64 {
    let (ratio, inv) = erfc_ratio::<A>(x);
    erfc_from::<A>(x, ratio, inv)
}

/// The first step of [`erfc`]: fdlibm's rational function for the range of `x` (its `y`, `P/Q` or `R/S`), and
/// `1/|x|`.
#[inline(always)]
pub(crate) fn erfc_ratio<A: Fma>(x: f64) -> (f64, f64) {
    use erfc_coef::*;
    let ax = x.abs();
    // Each range's rational function is formed as (numerator, denominator) and the lane's own pair is divided once
    // (the same quotient as dividing each and selecting), and 1/|x| is formed once: with five divisions per
    // element LLVM's cost model judged the f64 GELU loop not worth vectorizing, and it ran scalar.
    // |x| < 0.84375
    let z = x * x;
    let small_pq = (horner::<A, _>(&PP, z), A::f64(z, horner::<A, _>(&QQ, z), 1.0));
    // 0.84375 ≤ |x| < 1.25
    let s = ax - 1.0;
    let mid_pq = (horner::<A, _>(&PA, s), A::f64(s, horner::<A, _>(&QA, s), 1.0));
    // 1.25 ≤ |x| < 28
    let inv = 1.0 / ax;
    let sc = inv * inv;
    let near = ax < f64::from_bits(0x4006_db6d_0000_0000); // 1/0.35, as fdlibm's high-word test
    let near_pq = (horner::<A, _>(&RA, sc), A::f64(sc, horner::<A, _>(&SA, sc), 1.0));
    let far_pq = (horner::<A, _>(&RB, sc), A::f64(sc, horner::<A, _>(&SB, sc), 1.0));
    let (p, q) = if ax < 0.84375 {
        small_pq
    } else if ax < 1.25 {
        mid_pq
    } else if near {
        near_pq
    } else {
        far_pq
    };
    (p / q, inv)
}

/// The rest of [`erfc`], given [`erfc_ratio`].
#[inline(always)]
pub(crate) fn erfc_from<A: Fma>(x: f64, ratio: f64, inv: f64) -> f64 {
    use erfc_coef::*;
    let ax = x.abs();
    let small = if x < 0.25 { 1.0 - (x + x * ratio) } else { 0.5 - (x - 0.5 + x * ratio) };
    let mid = if x < 0.0 { 1.0 + ERX + ratio } else { 1.0 - ERX - ratio };
    let zt = f64::from_bits(ax.to_bits() & 0xffff_ffff_0000_0000);
    // fdlibm's exp(−zt² − 0.5625)·exp((zt − |x|)(zt + |x|) + R/S), as one exp of an unrounded sum.
    let (m, s1, s2) = exp_sum_parts::<A>(-zt * zt - 0.5625, A::f64(zt - ax, zt + ax, ratio));
    let tail = ((m * inv) * s1) * s2;
    let big = if x < 0.0 { 2.0 - tail } else { tail };
    let far = if x < 0.0 { 2.0 } else { 0.0 };
    let result = if ax < 0.84375 {
        small
    } else if ax < 1.25 {
        mid
    } else if ax < 28.0 {
        big
    } else {
        far
    };
    if x.is_nan() { x } else { result }
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
        // erfc, relative to libm's, across all four intervals and deep into the tail.
        let mut worst_erfc = 0.0f64;
        let mut x = -7.0;
        while x < 27.5 {
            worst_erfc = worst_erfc.max(ulps(erfc::<A>(x), libm::erfc(x)));
            x += 0.000_97;
        }
        assert!(worst_erfc <= 8.0, "erfc worst {worst_erfc} ULPs");
        assert_eq!(
            (erfc::<A>(f64::INFINITY), erfc::<A>(f64::NEG_INFINITY), erfc::<A>(40.0), erfc::<A>(-40.0)),
            (0.0, 2.0, 0.0, 2.0)
        );
        assert!(erfc::<A>(f64::NAN).is_nan());
        // exp_rough: a few digits, down to the subnormal results, and 0 where exp underflows.
        let mut x = -745.0;
        while x <= 0.0 {
            let (r, e) = (exp_rough::<A>(x), x.exp());
            let tol = if e >= f64::MIN_POSITIVE { 6.5e-5 * e } else { 6.5e-5 * e + 2.0 * f64::from_bits(1) };
            assert!((r - e).abs() <= tol, "exp_rough({x}) = {r}, exp = {e}");
            x += 0.031_3;
        }
        assert_eq!((exp_rough::<A>(-746.0), exp_rough::<A>(f64::NEG_INFINITY), exp_rough::<A>(0.0)), (0.0, 0.0, 1.0));
    }
}
