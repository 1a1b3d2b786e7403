//! Accurate `f64` building blocks shared by the smooth activations.

/// `σ(x) = 1/(1 + e^(−x))`, evaluated so that it keeps full relative accuracy in both tails.
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + eˣ)` without overflow for large `x` or loss of accuracy for very negative `x`.
#[inline]
pub(crate) fn log1pexp(x: f64) -> f64 {
    let pos = if x > 0.0 { x } else { 0.0 };
    pos + (-x.abs()).exp().ln_1p()
}

/// `1 − tanh²(x) = 4e^(−2|x|)/(1 + e^(−2|x|))²`, accurate where `1 − y²` would cancel.
#[inline]
pub(crate) fn sech2(x: f64) -> f64 {
    let e = (-2.0 * x.abs()).exp();
    4.0 * e / ((1.0 + e) * (1.0 + e))
}
