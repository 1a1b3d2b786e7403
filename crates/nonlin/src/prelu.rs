//! PReLU with per-channel weights, and the gradient with respect to the weight.
//!
//! PyTorch's `nn.PReLU(num_parameters=C)` learns one slope per channel, the channel being dimension 1 of the
//! input (inputs of fewer than two dimensions have one channel). With one weight these functions agree with
//! [`Activation::Prelu`](crate::Activation::Prelu).

use crate::error::{Error, check_len};
use crate::float::Float;
use crate::kernel::Kernel;
use crate::math::Emulated;
use crate::rectifiers::LeakyRelu;

/// How the elements of a tensor map to PReLU channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Channels {
    /// Number of weights (1, or the size of the channel dimension).
    count: usize,
    /// Number of consecutive elements that share a channel (the product of the dims after it).
    inner: usize,
}

impl Channels {
    fn of(shape: &[usize], weights: usize, len: usize) -> Result<Self, Error> {
        let invalid = |requirement: String| Error::InvalidParameter { activation: "prelu", requirement };
        let elements: usize = shape.iter().product();
        check_len("input (by its shape)", elements, len)?;
        if weights == 0 {
            return Err(invalid("weight must have at least one element".into()));
        }
        if weights == 1 {
            return Ok(Channels { count: 1, inner: len.max(1) });
        }
        // As PyTorch: the channel dimension is dim 1; inputs of fewer than 2 dims have one channel.
        let size = if shape.len() >= 2 { shape[1] } else { 1 };
        if size != weights {
            return Err(invalid(format!(
                "mismatch of parameter numbers and input channel size: {weights} weights, channel size {size}"
            )));
        }
        Ok(Channels { count: weights, inner: shape[2..].iter().product() })
    }

    fn of_index(&self, i: usize) -> usize {
        (i / self.inner) % self.count
    }
}

/// `y = x > 0 ? x : w[c]·x` for an input of the given `shape` (row-major), `c` its channel.
///
/// ```
/// let x = [-1.0f32, 2.0, -3.0, 4.0]; // shape (1, 2, 2): channel 0 = [-1, 2], channel 1 = [-3, 4]
/// let mut y = [0.0; 4];
/// nonlin::prelu::forward(&x, &[1, 2, 2], &[0.5, 0.1], &mut y)?;
/// assert_eq!(y, [-0.5, 2.0, -0.3, 4.0]);
/// # Ok::<(), nonlin::Error>(())
/// ```
pub fn forward<T: Float>(x: &[T], shape: &[usize], weight: &[T], y: &mut [T]) -> Result<(), Error> {
    let ch = Channels::of(shape, weight.len(), x.len())?;
    check_len("output", x.len(), y.len())?;
    for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
        *y = LeakyRelu::from_slope(weight[ch.of_index(i)]).forward::<Emulated>(x);
    }
    Ok(())
}

/// Gradients of PReLU: `grad_input = x > 0 ? g : w[c]·g` and `grad_weight[c] = Σ_{x ≤ 0 in c} x·g`
/// (overwritten, accumulated in `f64`). NaN inputs take the `x ≤ 0` side, as in PyTorch.
pub fn backward<T: Float>(
    x: &[T],
    shape: &[usize],
    weight: &[T],
    grad_output: &[T],
    grad_input: &mut [T],
    grad_weight: &mut [T],
) -> Result<(), Error> {
    let ch = Channels::of(shape, weight.len(), x.len())?;
    check_len("grad_output", x.len(), grad_output.len())?;
    check_len("grad_input", x.len(), grad_input.len())?;
    check_len("grad_weight", weight.len(), grad_weight.len())?;
    let mut sums = vec![0.0f64; weight.len()];
    for (i, ((gx, &x), &g)) in grad_input.iter_mut().zip(x).zip(grad_output).enumerate() {
        let c = ch.of_index(i);
        *gx = LeakyRelu::from_slope(weight[c]).backward::<Emulated>(x, g);
        // PyTorch's mask is `x > 0 ? 0 : x·g`, so NaN inputs contribute (NaN) to the weight gradient.
        if x.partial_cmp(&T::ZERO) != Some(std::cmp::Ordering::Greater) {
            sums[c] += x.to_f64() * g.to_f64();
        }
    }
    for (gw, s) in grad_weight.iter_mut().zip(sums) {
        *gw = T::from_f64(s);
    }
    Ok(())
}
