//! RReLU in training mode: a random slope per non-positive element, drawn from randomness the caller provides.
//!
//! Evaluation mode is [`Activation::Rrelu`] (a leaky ReLU with the mean slope).

use crate::Activation;
use crate::error::{Error, check_len};
use crate::float::Float;

/// Training-mode forward, as PyTorch's `rrelu_with_noise`: for each `x ≤ 0`, in order, takes a slope
/// `r = draw()` — the caller's sample of U(lower, upper), so that any generator (PyTorch's included) can be
/// reproduced — and sets `y = x·r`, `noise = r` (r rounded to `T`); elsewhere (`x > 0` or NaN) `y = x`,
/// `noise = 1`. Keep `noise` for [`backward_train`]. A draw outside `[lower, upper]` (widened to the bounds
/// rounded to `T`, which PyTorch draws between) is an error.
///
/// ```
/// let x = [-2.0f64, 3.0];
/// let (mut y, mut noise) = ([0.0; 2], [0.0; 2]);
/// nonlin::rrelu::forward_train(&x, 0.1, 0.3, || 0.2, &mut y, &mut noise)?;
/// assert_eq!(noise, [0.2, 1.0]);
/// assert_eq!(y, [-0.4, 3.0]);
/// # Ok::<(), nonlin::Error>(())
/// ```
pub fn forward_train<T: Float>(
    x: &[T],
    lower: f64,
    upper: f64,
    mut draw: impl FnMut() -> f64,
    y: &mut [T],
    noise: &mut [T],
) -> Result<(), Error> {
    Activation::Rrelu { lower, upper }.validate()?;
    check_len("output", x.len(), y.len())?;
    check_len("noise", x.len(), noise.len())?;
    let (lo, hi) = (T::from_f64(lower).to_f64(), T::from_f64(upper).to_f64());
    let range = lower.min(lo)..=upper.max(hi);
    for ((y, n), &x) in y.iter_mut().zip(noise.iter_mut()).zip(x) {
        if x <= T::ZERO {
            let r = draw();
            if !range.contains(&r) {
                return Err(Error::InvalidParameter {
                    activation: "rrelu",
                    requirement: format!("a drawn slope must lie in [lower, upper] = [{lower}, {upper}], got {r}"),
                });
            }
            let r = T::from_f64(r);
            *y = x * r;
            *n = r;
        } else {
            *y = x;
            *n = T::ONE;
        }
    }
    Ok(())
}

/// Training-mode gradient: `grad_input = grad_output·noise`.
pub fn backward_train<T: Float>(noise: &[T], grad_output: &[T], grad_input: &mut [T]) -> Result<(), Error> {
    check_len("grad_output", noise.len(), grad_output.len())?;
    check_len("grad_input", noise.len(), grad_input.len())?;
    for ((gx, &n), &g) in grad_input.iter_mut().zip(noise).zip(grad_output) {
        *gx = g * n;
    }
    Ok(())
}
