//! Branch-free `f64` elementary functions that LLVM vectorizes: `exp`, `expm1`, `log1p` and `tanh`.
//!
//! Cody–Waite argument reduction with a split ln 2, Taylor polynomials on the reduced interval in Horner form, the
//! power of two built from the exponent bits (two factors, so subnormal results round once), and special values
//! handled by selects, never branches. No libm calls, no fused multiply-adds (so every dispatch level computes the
//! same bits). Accuracy: a few units in the last place of `f64` — far below `f32`'s, whose kernels evaluate these in
//! `f64` and round once.

/// 1.5·2⁵²: adding and subtracting it rounds an `f64` of magnitude < 2⁵¹ to the nearest integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that `n·LN2_HI` is exact for |n| < 2²⁰ (fdlibm's constants).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// 2ⁿ for an integer-valued `n` with −1022 ≤ n ≤ 1023, from its exponent bits.
#[inline(always)]
fn pow2(n: f64) -> f64 {
    let k = (n + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits());
    f64::from_bits(k.wrapping_add(1023) << 52)
}

/// Reduces `x` to `r` in [−ln2/2, ln2/2] with `x = n·ln2 + r`; returns `(n, r)`. `x` must be in [−746, 710].
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let n = (x * std::f64::consts::LOG2_E + SHIFT) - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    (n, r)
}

/// `x` clamped to [−746, 710], where `exp` has underflowed to 0 and overflowed to ∞; NaN passes.
#[inline(always)]
fn clamp_exp_arg(x: f64) -> f64 {
    x.clamp(-746.0, 710.0)
}

/// `eʳ − 1` for |r| ≤ 0.35 (Taylor to r¹³; truncation < 2⁻⁵⁵ relative).
#[inline(always)]
fn expm1_reduced(r: f64) -> f64 {
    const C: [f64; 12] = [
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
    let mut p = C[11];
    for &c in C[..11].iter().rev() {
        p = p * r + c;
    }
    r + r * r * p
}

/// `eˣ` as `(m, s1, s2)` with `eˣ = m·s1·s2`, `m` in [0.7, 1.5] and `s1`, `s2` powers of two: callers that multiply
/// by something first keep subnormal results to one rounding.
#[inline(always)]
pub(crate) fn exp_parts(x: f64) -> (f64, f64, f64) {
    let (n, r) = reduce(clamp_exp_arg(x));
    let n1 = (n * 0.5 + SHIFT) - SHIFT;
    // Below −746 the value is 0 however large the factor a caller multiplies by first.
    let m = if x < -746.0 { 0.0 } else { 1.0 + expm1_reduced(r) };
    (m, pow2(n1), pow2(n - n1))
}

/// `eˣ`.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    let (m, s1, s2) = exp_parts(x);
    m * s1 * s2
}

/// `eˣ − 1`, accurate for small |x|: `2ⁿ·(eʳ − 1) + (2ⁿ − 1)`.
#[inline(always)]
pub(crate) fn expm1(x: f64) -> f64 {
    let (n, r) = reduce(clamp_exp_arg(x));
    let n1 = (n * 0.5 + SHIFT) - SHIFT;
    let two_n = pow2(n1) * pow2(n - n1);
    let y = two_n * expm1_reduced(r) + (two_n - 1.0);
    // expm1(−0.0) is −0.0; the formula gives +0.0.
    if x == 0.0 { x } else { y }
}

/// `ln(1 + x)`, accurate for small |x|: `u = 1 + x` written as `2ᵏ·m` with m in [√½, √2), `ln m` from the series
/// of `2·atanh(s)`, `s = (m − 1)/(m + 1)`, plus the rounding error of `u` to first order.
#[inline(always)]
pub(crate) fn log1p(x: f64) -> f64 {
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
    let mut p = 1.0 / 21.0;
    for d in [19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0] {
        p = p * z + 1.0 / d;
    }
    let log_m = 2.0 * s + 2.0 * s * z * p;
    let y = k * LN2_HI + (log_m + (k * LN2_LO + c));
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
pub(crate) fn tanh(x: f64) -> f64 {
    let em = expm1(-2.0 * x.abs());
    let t = -em / (2.0 + em);
    if x < 0.0 {
        -t
    } else if x > 0.0 {
        t
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the platform's libm (correctly rounded or nearly) on a dense sweep and the special values.
    #[test]
    fn agree_with_libm() {
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
            worst[0] = worst[0].max(ulps(exp(x), x.exp()));
            worst[1] = worst[1].max(ulps(expm1(x), x.exp_m1()));
            x += 0.013_7;
        }
        let mut x = -0.999_999;
        while x < 1e6 {
            worst[2] = worst[2].max(ulps(log1p(x), x.ln_1p()));
            x = if x < 1.0 { x + 0.000_731 } else { x * 1.013 };
        }
        assert!(worst.iter().all(|&w| w <= 4.0), "exp, expm1, log1p worst ULPs: {worst:?}");
        for v in [0.0, -0.0, 1e-300, -1e-300, 1e-17, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(expm1(v).to_bits(), v.exp_m1().to_bits(), "expm1({v})");
            assert_eq!(exp(v), v.exp(), "exp({v})");
        }
        assert!(exp(f64::NAN).is_nan() && expm1(f64::NAN).is_nan() && log1p(f64::NAN).is_nan());
        assert_eq!(log1p(-1.0), f64::NEG_INFINITY);
        assert!(log1p(-2.0).is_nan());
        assert_eq!(log1p(f64::INFINITY), f64::INFINITY);
        assert_eq!(log1p(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(exp(-745.2), (-745.2f64).exp(), "subnormal result");
    }
}
