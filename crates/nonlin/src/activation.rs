//! The [`Activation`] enum and its slice API.

use crate::error::{Error, check_len};
use crate::float::Float;
use crate::kernel::{Kernel, Visit};
use crate::math::Fast;
use crate::{exponential, gelu, hard, rectifiers, sigmoid};

/// Which formula [`Activation::Gelu`] uses (PyTorch's `approximate=` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GeluApproximate {
    /// `x·Φ(x)`, the exact GELU (`approximate='none'`, PyTorch's default).
    #[default]
    None,
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`approximate='tanh'`).
    Tanh,
}

/// Every elementwise activation of `torch.nn`, with PyTorch's parameter names.
///
/// Parameters are stored as `f64` and converted to the element type once per call, exactly as PyTorch converts
/// its `Scalar` arguments. [`Activation::validate`] (called by every slice method) enforces the parameter checks
/// PyTorch performs, plus finiteness where a non-finite value has no meaning.
///
/// ```
/// use nonlin::Activation;
/// let act: Activation = "leaky_relu:negative_slope=0.1".parse()?;
/// let mut y = [0.0f32; 3];
/// act.forward(&[-2.0, 0.0, 3.0], &mut y)?;
/// assert_eq!(y, [-0.2, 0.0, 3.0]);
/// # Ok::<(), nonlin::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(x, 0)`; `torch.nn.ReLU`.
    Relu,
    /// `min(max(x, 0), 6)`; `torch.nn.ReLU6`.
    Relu6,
    /// `x > 0 ? x : negative_slope·x`; `torch.nn.LeakyReLU` (default slope 0.01).
    LeakyRelu { negative_slope: f64 },
    /// `x > 0 ? x : weight·x` with one shared weight; `torch.nn.PReLU` (default weight 0.25).
    /// Per-channel weights and the weight gradient are in [`crate::prelu`].
    Prelu { weight: f64 },
    /// Randomized leaky ReLU in evaluation mode: slope `(lower + upper)/2`; `torch.nn.RReLU`
    /// (defaults 1/8, 1/3). Training mode, with caller-provided randomness, is in [`crate::rrelu`].
    Rrelu { lower: f64, upper: f64 },
    /// `x > 0 ? x : alpha·(eˣ − 1)`; `torch.nn.ELU` (default alpha 1).
    Elu { alpha: f64 },
    /// `x > 0 ? x : alpha·(e^(x/alpha) − 1)`; `torch.nn.CELU` (default alpha 1, must be nonzero).
    Celu { alpha: f64 },
    /// `scale·elu(x, alpha)` with PyTorch's fixed constants; `torch.nn.SELU`.
    Selu,
    /// Gaussian error linear unit; `torch.nn.GELU`.
    Gelu { approximate: GeluApproximate },
    /// `x·σ(x)`; `torch.nn.SiLU`.
    Silu,
    /// `x·tanh(softplus(x))`; `torch.nn.Mish`.
    Mish,
    /// `beta·x > threshold ? x : ln(1 + e^(beta·x))/beta`; `torch.nn.Softplus` (defaults 1, 20).
    Softplus { beta: f64, threshold: f64 },
    /// `x/(1 + |x|)`; `torch.nn.Softsign`.
    Softsign,
    /// `1/(1 + e^(−x))`; `torch.nn.Sigmoid`.
    Sigmoid,
    /// `tanh x`; `torch.nn.Tanh`.
    Tanh,
    /// `ln σ(x)`; `torch.nn.LogSigmoid`.
    LogSigmoid,
    /// `clamp(x, min_val, max_val)`; `torch.nn.Hardtanh` (defaults −1, 1).
    Hardtanh { min_val: f64, max_val: f64 },
    /// `clamp(x + 3, 0, 6)/6`; `torch.nn.Hardsigmoid`.
    Hardsigmoid,
    /// `x·clamp(x + 3, 0, 6)/6`; `torch.nn.Hardswish`.
    Hardswish,
    /// `|x| ≤ lambd ? 0 : x`; `torch.nn.Hardshrink` (default 0.5).
    Hardshrink { lambd: f64 },
    /// `x − lambd·sign(x)` outside `[−lambd, lambd]`, else 0; `torch.nn.Softshrink` (default 0.5, ≥ 0).
    Softshrink { lambd: f64 },
    /// `x − tanh x`; `torch.nn.Tanhshrink`.
    Tanhshrink,
    /// `x ≤ threshold ? value : x`; `torch.nn.Threshold` (no defaults).
    Threshold { threshold: f64, value: f64 },
}

impl Activation {
    /// Checks the parameters as PyTorch does (and rejects NaN/inf where they have no meaning).
    pub fn validate(&self) -> Result<(), Error> {
        let name = self.name();
        let bad = |requirement: String| Err(Error::InvalidParameter { activation: name, requirement });
        let finite = |param: &str, v: f64| {
            if v.is_finite() { Ok(()) } else { bad(format!("{param} must be finite, got {v}")) }
        };
        match *self {
            Activation::LeakyRelu { negative_slope } => finite("negative_slope", negative_slope),
            Activation::Prelu { weight } => finite("weight", weight),
            Activation::Rrelu { lower, upper } => {
                finite("lower", lower)?;
                finite("upper", upper)?;
                if lower > upper {
                    return bad(format!(
                        "lower bound must be less than or equal to upper bound, got lower={lower}, upper={upper}"
                    ));
                }
                Ok(())
            }
            Activation::Elu { alpha } => finite("alpha", alpha),
            Activation::Celu { alpha } => {
                finite("alpha", alpha)?;
                if alpha == 0.0 {
                    return bad("alpha must not be 0 (CELU divides by alpha)".into());
                }
                Ok(())
            }
            Activation::Softplus { beta, threshold } => {
                finite("beta", beta)?;
                if beta == 0.0 {
                    return bad("beta must not be 0 (softplus divides by beta)".into());
                }
                if threshold.is_nan() {
                    return bad("threshold must not be NaN".into());
                }
                Ok(())
            }
            Activation::Hardtanh { min_val, max_val } => {
                if min_val.is_nan() || max_val.is_nan() {
                    return bad("min_val and max_val must not be NaN".into());
                }
                if min_val > max_val {
                    return bad(format!(
                        "min_val cannot be greater than max_val, got min_val={min_val}, max_val={max_val}"
                    ));
                }
                Ok(())
            }
            Activation::Hardshrink { lambd } => {
                if lambd.is_nan() {
                    bad("lambd must not be NaN".into())
                } else {
                    Ok(())
                }
            }
            Activation::Softshrink { lambd } => {
                if lambd.is_nan() || lambd < 0.0 {
                    return bad(format!("lambda must be greater or equal to 0, but found to be {lambd}"));
                }
                Ok(())
            }
            Activation::Threshold { threshold, value } => {
                if threshold.is_nan() {
                    return bad("threshold must not be NaN".into());
                }
                if value.is_nan() {
                    return bad("value must not be NaN".into());
                }
                Ok(())
            }
            Activation::Relu
            | Activation::Relu6
            | Activation::Selu
            | Activation::Gelu { .. }
            | Activation::Silu
            | Activation::Mish
            | Activation::Softsign
            | Activation::Sigmoid
            | Activation::Tanh
            | Activation::LogSigmoid
            | Activation::Hardsigmoid
            | Activation::Hardswish
            | Activation::Tanhshrink => Ok(()),
        }
    }

    /// The inputs where the function or its derivative is not smooth: kinks, jumps and the softplus switch.
    /// Plotting samples them exactly; finite-difference checks stay away from them.
    ///
    /// ```
    /// let act: nonlin::Activation = "hardtanh:min_val=-2,max_val=3".parse()?;
    /// assert_eq!(act.kinks(), vec![-2.0, 3.0]);
    /// # Ok::<(), nonlin::Error>(())
    /// ```
    pub fn kinks(&self) -> Vec<f64> {
        match *self {
            Activation::Relu
            | Activation::LeakyRelu { .. }
            | Activation::Prelu { .. }
            | Activation::Rrelu { .. }
            | Activation::Elu { .. }
            | Activation::Celu { .. }
            | Activation::Selu => vec![0.0],
            Activation::Relu6 => vec![0.0, 6.0],
            Activation::Hardtanh { min_val, max_val } => {
                if min_val == max_val {
                    vec![min_val]
                } else {
                    vec![min_val, max_val]
                }
            }
            Activation::Hardsigmoid | Activation::Hardswish => vec![-3.0, 3.0],
            Activation::Hardshrink { lambd } | Activation::Softshrink { lambd } => {
                if lambd == 0.0 {
                    vec![0.0]
                } else if lambd > 0.0 {
                    vec![-lambd, lambd]
                } else {
                    vec![]
                }
            }
            Activation::Threshold { threshold, .. } => vec![threshold],
            Activation::Softplus { beta, threshold } if (threshold / beta).is_finite() => vec![threshold / beta],
            _ => vec![],
        }
    }

    /// `y[i] = f(x[i])`.
    pub fn forward<T: Float>(&self, x: &[T], y: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        check_len("output", x.len(), y.len())?;
        self.dispatch(Forward { x, y });
        Ok(())
    }

    /// `x[i] = f(x[i])`.
    pub fn forward_inplace<T: Float>(&self, x: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        self.dispatch(ForwardInplace { x });
        Ok(())
    }

    /// Gradient with respect to the input: `grad_input[i] = grad_output[i]·f′(x[i])`, with PyTorch's value at
    /// every kink and special input.
    ///
    /// It takes the input `x`, not the output: every derivative here is computed from `x`, which is more
    /// accurate than PyTorch's `y·(1 − y)`-style formulas in the tails.
    pub fn backward<T: Float>(&self, x: &[T], grad_output: &[T], grad_input: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        check_len("grad_output", x.len(), grad_output.len())?;
        check_len("grad_input", x.len(), grad_input.len())?;
        self.dispatch(Backward { x, g: grad_output, gx: grad_input });
        Ok(())
    }

    /// Gradient from the forward pass's *output* `y = f(x)`, for the activations whose derivative PyTorch's
    /// autograd computes from it: sigmoid, `g·(1 − y)·y`, and tanh, `g·(1 − y·y)` — the same operations in the
    /// same order as PyTorch's kernels, so the results are bit-identical to `sigmoid_backward`/`tanh_backward`.
    ///
    /// It needs no `exp`, so it runs at memory speed, but it has PyTorch's accuracy: once `y` has rounded to ±1
    /// (|x| above about 9 for tanh, x above about 17 for sigmoid, in `f32`) the gradient is 0, and near those
    /// points it has few correct digits. [`Activation::backward`], from `x`, keeps full accuracy.
    /// Other activations give [`Error::InvalidParameter`].
    pub fn backward_from_output<T: Float>(
        &self,
        y: &[T],
        grad_output: &[T],
        grad_input: &mut [T],
    ) -> Result<(), Error> {
        self.validate()?;
        check_len("grad_output", y.len(), grad_output.len())?;
        check_len("grad_input", y.len(), grad_input.len())?;
        match self {
            Activation::Sigmoid => crate::simd::backward(sigmoid::SigmoidFromOutput, y, grad_output, grad_input),
            Activation::Tanh => crate::simd::backward(sigmoid::TanhFromOutput, y, grad_output, grad_input),
            _ => {
                return Err(Error::InvalidParameter {
                    activation: self.name(),
                    requirement: "only sigmoid and tanh have a gradient from the output (use backward, from x)".into(),
                });
            }
        }
        Ok(())
    }

    /// Log-sigmoid's forward pass as PyTorch's `log_sigmoid_forward`: `y = log σ(x)` (the same values as
    /// [`Activation::forward`]) and the buffer `e^(−|x|)` that [`Activation::backward_from_buffer`] reads, in one
    /// pass. Other activations give [`Error::InvalidParameter`].
    pub fn forward_with_buffer<T: Float>(&self, x: &[T], y: &mut [T], buffer: &mut [T]) -> Result<(), Error> {
        self.only_log_sigmoid()?;
        check_len("output", x.len(), y.len())?;
        check_len("buffer", x.len(), buffer.len())?;
        crate::simd::forward_buffered(sigmoid::LogSigmoidBuffered, x, y, buffer);
        Ok(())
    }

    /// Log-sigmoid's gradient from the input and the buffer of [`Activation::forward_with_buffer`], as PyTorch's
    /// `log_sigmoid_backward`: `g·(x < 0 ? 1 − t : t)`, `t = b/(1 + b)` — the same operations in the same order, so
    /// given PyTorch's buffer the result is PyTorch's bit for bit. A division instead of an `exp`, so it runs at
    /// memory speed; [`Activation::backward`] needs no buffer. Other activations give [`Error::InvalidParameter`].
    pub fn backward_from_buffer<T: Float>(
        &self,
        x: &[T],
        buffer: &[T],
        grad_output: &[T],
        grad_input: &mut [T],
    ) -> Result<(), Error> {
        self.only_log_sigmoid()?;
        check_len("buffer", x.len(), buffer.len())?;
        check_len("grad_output", x.len(), grad_output.len())?;
        check_len("grad_input", x.len(), grad_input.len())?;
        crate::simd::backward_buffered(sigmoid::LogSigmoidBuffered, x, buffer, grad_output, grad_input);
        Ok(())
    }

    fn only_log_sigmoid(&self) -> Result<(), Error> {
        match self {
            Activation::LogSigmoid => Ok(()),
            _ => Err(Error::InvalidParameter {
                activation: self.name(),
                requirement: "only logsigmoid has a buffer (use forward and backward)".into(),
            }),
        }
    }

    /// `f(x)` for one value.
    pub fn eval<T: Float>(&self, x: T) -> Result<T, Error> {
        self.validate()?;
        Ok(self.dispatch(Scalar { x, g: None }))
    }

    /// `f′(x)` for one value (the backward pass with an upstream gradient of 1).
    pub fn derivative<T: Float>(&self, x: T) -> Result<T, Error> {
        self.validate()?;
        Ok(self.dispatch(Scalar { x, g: Some(T::ONE) }))
    }

    /// `(f(x), f′(x))` from the accuracy reference: the same formulas evaluated with the platform's libm (and the
    /// `libm` crate's `erfc`) instead of the vectorized functions. `nonlin accuracy` measures the kernels against it.
    pub fn reference(&self, x: f64) -> Result<(f64, f64), Error> {
        self.validate()?;
        let smooth = |s: &dyn Fn(f64) -> (f64, f64)| Ok(s(x));
        use crate::kernel::Smooth;
        use crate::math::{Emulated, Libm};
        fn both<S: Smooth>(s: S, x: f64) -> (f64, f64) {
            (s.f::<Emulated>(x), s.df::<Emulated>(x))
        }
        match *self {
            Activation::Elu { alpha } => smooth(&|x| both(exponential::Elu::<Libm>::plain(alpha), x)),
            Activation::Celu { alpha } => smooth(&|x| both(exponential::Elu::<Libm>::celu(alpha), x)),
            Activation::Selu => smooth(&|x| both(exponential::Elu::<Libm>::selu(), x)),
            Activation::Gelu { approximate: GeluApproximate::None } => {
                smooth(&|x| both(gelu::GeluErf::<Libm>::default(), x))
            }
            Activation::Gelu { approximate: GeluApproximate::Tanh } => {
                smooth(&|x| both(gelu::GeluTanh::<Libm>::default(), x))
            }
            Activation::Silu => smooth(&|x| both(sigmoid::Silu::<Libm>::default(), x)),
            Activation::Mish => smooth(&|x| both(exponential::Mish::<Libm>::default(), x)),
            Activation::Softplus { beta, threshold } => {
                smooth(&|x| both(exponential::Softplus::<Libm>::new(beta, threshold), x))
            }
            Activation::Softsign => smooth(&|x| both(sigmoid::Softsign::<Libm>::default(), x)),
            Activation::Sigmoid => smooth(&|x| both(sigmoid::Sigmoid::<Libm>::default(), x)),
            Activation::Tanh => smooth(&|x| both(sigmoid::Tanh::<Libm>::default(), x)),
            Activation::LogSigmoid => smooth(&|x| both(sigmoid::LogSigmoid::<Libm>::default(), x)),
            Activation::Tanhshrink => smooth(&|x| both(sigmoid::Tanhshrink::<Libm>::default(), x)),
            // Piecewise-linear activations are exact arithmetic in f64.
            _ => Ok((self.dispatch(Scalar { x, g: None }), self.dispatch(Scalar { x, g: Some(1.0) }))),
        }
    }

    /// Calls `v` with the kernel for this activation, its parameters converted to `T`.
    fn dispatch<T: Float, V: Visit<T>>(&self, v: V) -> V::Out {
        match *self {
            Activation::Relu => v.visit(rectifiers::Relu),
            Activation::Relu6 => v.visit(hard::Hardtanh::new(0.0, 6.0)),
            Activation::LeakyRelu { negative_slope } => v.visit(rectifiers::LeakyRelu::new(negative_slope)),
            Activation::Prelu { weight } => v.visit(rectifiers::LeakyRelu::new(weight)),
            Activation::Rrelu { lower, upper } => v.visit(rectifiers::LeakyRelu::new((lower + upper) / 2.0)),
            Activation::Elu { alpha: 1.0 } | Activation::Celu { alpha: 1.0 } => {
                v.visit(exponential::Elu::<Fast, true>::plain(1.0))
            }
            Activation::Elu { alpha } => v.visit(exponential::Elu::<Fast>::plain(alpha)),
            Activation::Celu { alpha } => v.visit(exponential::Elu::<Fast, false, true>::celu(alpha)),
            Activation::Selu => v.visit(exponential::Elu::<Fast>::selu()),
            Activation::Gelu { approximate: GeluApproximate::None } => v.visit(gelu::GeluErf::<Fast>::default()),
            Activation::Gelu { approximate: GeluApproximate::Tanh } => v.visit(gelu::GeluTanh::<Fast>::default()),
            Activation::Silu => v.visit(sigmoid::Silu::<Fast>::default()),
            Activation::Mish => v.visit(exponential::Mish::<Fast>::default()),
            Activation::Softplus { beta, threshold } if beta == 1.0 => {
                v.visit(exponential::Softplus::<Fast, true>::new(beta, threshold))
            }
            Activation::Softplus { beta, threshold } => v.visit(exponential::Softplus::<Fast>::new(beta, threshold)),
            Activation::Softsign => v.visit(sigmoid::Softsign::<Fast>::default()),
            Activation::Sigmoid => v.visit(sigmoid::Sigmoid::<Fast>::default()),
            Activation::Tanh => v.visit(sigmoid::Tanh::<Fast>::default()),
            Activation::LogSigmoid => v.visit(sigmoid::LogSigmoid::<Fast>::default()),
            Activation::Hardtanh { min_val, max_val } => v.visit(hard::Hardtanh::new(min_val, max_val)),
            Activation::Hardsigmoid => v.visit(hard::Hardsigmoid),
            Activation::Hardswish => v.visit(hard::Hardswish),
            Activation::Hardshrink { lambd } => v.visit(hard::Hardshrink::new(lambd)),
            Activation::Softshrink { lambd } => v.visit(hard::Softshrink::new(lambd)),
            Activation::Tanhshrink => v.visit(sigmoid::Tanhshrink::<Fast>::default()),
            Activation::Threshold { threshold, value } => v.visit(rectifiers::Threshold::new(threshold, value)),
        }
    }
}

struct Forward<'a, T> {
    x: &'a [T],
    y: &'a mut [T],
}

impl<T: Float> Visit<T> for Forward<'_, T> {
    type Out = ();
    fn visit<K: Kernel<T>>(self, k: K) {
        crate::simd::forward(k, self.x, self.y);
    }
}

struct ForwardInplace<'a, T> {
    x: &'a mut [T],
}

impl<T: Float> Visit<T> for ForwardInplace<'_, T> {
    type Out = ();
    fn visit<K: Kernel<T>>(self, k: K) {
        crate::simd::forward_inplace(k, self.x);
    }
}

struct Backward<'a, T> {
    x: &'a [T],
    g: &'a [T],
    gx: &'a mut [T],
}

impl<T: Float> Visit<T> for Backward<'_, T> {
    type Out = ();
    fn visit<K: Kernel<T>>(self, k: K) {
        crate::simd::backward(k, self.x, self.g, self.gx);
    }
}

struct Scalar<T> {
    x: T,
    g: Option<T>,
}

impl<T: Float> Visit<T> for Scalar<T> {
    type Out = T;
    fn visit<K: Kernel<T>>(self, k: K) -> T {
        // Through the slice kernels, so a scalar gets exactly what the same element of a slice gets.
        let mut out = [T::ZERO];
        match self.g {
            None => crate::simd::forward(k, &[self.x], &mut out),
            Some(g) => crate::simd::backward(k, &[self.x], &[g], &mut out),
        }
        out[0]
    }
}
