//! `torch.nn` modules: [`Linear`], one module per activation, [`PReLU`] with its learnable weight,
//! [`Sequential`] and the other containers' building blocks.

mod containers;

use std::fmt;

pub use containers::{Dropout, Flatten, LogSoftmax, Sequential, Softmax};

use nonlin::{Activation, GeluApproximate};

use crate::element::Element;
use crate::init::{self, FanMode};
use crate::pyfmt::python_float;
use crate::{Error, Tensor};

/// A layer: `forward`, its parameters, and a training flag — `torch.nn.Module`'s essentials.
pub trait Module<T: Element = f32>: fmt::Display {
    /// Applies the layer.
    fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, Error>;

    /// Parameters with PyTorch's names (`weight`, `bias`).
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }

    /// The parameters, in registration order.
    fn parameters(&self) -> Vec<Tensor<T>> {
        self.named_parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// Sets training (`true`) or evaluation mode.
    fn train(&mut self, mode: bool);

    /// `module.eval()`.
    fn eval(&mut self) {
        self.train(false);
    }

    /// `module.training`.
    fn is_training(&self) -> bool;

    /// Clears every parameter's gradient (`zero_grad()`, which sets them to `None`).
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// For activation layers, the derivative of the output with respect to each element of `input` (what
    /// dead-unit analysis looks at); `None` for other layers.
    fn local_derivative(&self, input: &Tensor<T>) -> Option<Result<Tensor<T>, Error>> {
        let _ = input;
        None
    }

    /// `state_dict()`: the parameters by name (values shared, not copied).
    fn state_dict(&self) -> Vec<(String, Tensor<T>)> {
        self.named_parameters()
    }

    /// `load_state_dict(tensors, strict=True)`: copies every named tensor into the parameter of that name.
    /// Missing, unexpected and mis-shaped entries are one error that names them all; nothing is changed then.
    fn load_state_dict(&self, tensors: &crate::io::StateDict) -> Result<(), Error> {
        crate::io::load_into(&self.named_parameters(), tensors)
    }
}

/// `nn.Linear(in_features, out_features, bias)`: `y = x·Wᵀ + b`, initialised as PyTorch does (Kaiming-uniform
/// with a = √5 for the weight, U(±1/√in_features) for the bias), from the default generator.
pub struct Linear<T: Element = f32> {
    pub in_features: usize,
    pub out_features: usize,
    pub weight: Tensor<T>,
    pub bias: Option<Tensor<T>>,
    training: bool,
}

impl Linear<f32> {
    /// `nn.Linear(in_features, out_features, bias=bias)` in float32 (PyTorch's default dtype).
    pub fn new(in_features: usize, out_features: usize, bias: bool) -> Self {
        Linear::with_dtype(in_features, out_features, bias)
    }
}

impl<T: Element> Linear<T> {
    /// `nn.Linear(in_features, out_features, bias=bias, dtype=T)`: `Linear::<f64>::with_dtype(10, 5, true)`.
    pub fn with_dtype(in_features: usize, out_features: usize, bias: bool) -> Self {
        let weight = Tensor::zeros(&[out_features, in_features]);
        init::kaiming_uniform_(&weight, 5.0f64.sqrt(), FanMode::FanIn, "leaky_relu").expect("a 2-D weight has fans");
        let weight = weight.requires_grad_(true).expect("leaf");
        let bias = bias.then(|| {
            let b = Tensor::zeros(&[out_features]);
            let bound = if in_features > 0 { 1.0 / (in_features as f64).sqrt() } else { 0.0 };
            b.uniform_(-bound, bound);
            b.requires_grad_(true).expect("leaf")
        });
        Linear { in_features, out_features, weight, bias, training: true }
    }

    /// A layer with the given parameters (shapes `[out, in]` and `[out]`), e.g. loaded from a file.
    pub fn from_parameters(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Result<Self, Error> {
        let [out_features, in_features] = *weight.shape() else {
            return Err(Error::Shape { op: "Linear", expected: "a 2-D weight".into(), got: weight.shape().to_vec() });
        };
        if let Some(b) = &bias
            && b.shape() != [out_features]
        {
            return Err(Error::Shape {
                op: "Linear",
                expected: format!("a bias of shape [{out_features}]"),
                got: b.shape().to_vec(),
            });
        }
        Ok(Linear { in_features, out_features, weight, bias, training: true })
    }
}

impl<T: Element> Module<T> for Linear<T> {
    fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, Error> {
        x.linear(&self.weight, self.bias.as_ref())
    }
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            p.push(("bias".to_string(), b.clone()));
        }
        p
    }
    fn train(&mut self, mode: bool) {
        self.training = mode;
    }
    fn is_training(&self) -> bool {
        self.training
    }
}

impl<T: Element> fmt::Display for Linear<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bias = if self.bias.is_some() { "True" } else { "False" };
        write!(f, "Linear(in_features={}, out_features={}, bias={bias})", self.in_features, self.out_features)
    }
}

/// Any activation of [`nonlin::Activation`] as a module, printed as its PyTorch class
/// (`LeakyReLU(negative_slope=0.01)`). RReLU draws random slopes in training mode and uses the mean slope in
/// evaluation mode, like `nn.RReLU`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivationLayer {
    pub activation: Activation,
    training: bool,
}

impl ActivationLayer {
    /// The module for `activation` (validated), in training mode.
    pub fn new(activation: Activation) -> Result<Self, Error> {
        activation.validate()?;
        Ok(ActivationLayer { activation, training: true })
    }
}

impl<T: Element> Module<T> for ActivationLayer {
    fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, Error> {
        match self.activation {
            Activation::Rrelu { lower, upper } if self.training => x.rrelu_train(lower, upper),
            act => x.activation(&act),
        }
    }
    fn local_derivative(&self, input: &Tensor<T>) -> Option<Result<Tensor<T>, Error>> {
        let x = input.to_vec();
        let mut d = vec![T::ZERO; x.len()];
        Some(
            self.activation
                .backward(&x, &vec![T::ONE; x.len()], &mut d)
                .map_err(Error::from)
                .and_then(|()| Tensor::from_vec(d, input.shape())),
        )
    }
    fn train(&mut self, mode: bool) {
        self.training = mode;
    }
    fn is_training(&self) -> bool {
        self.training
    }
}

/// Python's `repr` of a float parameter.
fn py(v: f64) -> String {
    python_float(v, false)
}

impl fmt::Display for ActivationLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = self.activation.info().class;
        let args = match self.activation {
            Activation::LeakyRelu { negative_slope } => format!("negative_slope={}", py(negative_slope)),
            Activation::Prelu { .. } => "num_parameters=1".into(),
            Activation::Rrelu { lower, upper } => format!("lower={}, upper={}", py(lower), py(upper)),
            Activation::Elu { alpha } | Activation::Celu { alpha } => format!("alpha={}", py(alpha)),
            Activation::Gelu { approximate } => format!(
                "approximate='{}'",
                match approximate {
                    GeluApproximate::None => "none",
                    GeluApproximate::Tanh => "tanh",
                }
            ),
            Activation::Softplus { beta, threshold } => format!("beta={}, threshold={}", py(beta), py(threshold)),
            Activation::Hardtanh { min_val, max_val } => format!("min_val={}, max_val={}", py(min_val), py(max_val)),
            Activation::Hardshrink { lambd } | Activation::Softshrink { lambd } => py(lambd),
            Activation::Threshold { threshold, value } => format!("threshold={}, value={}", py(threshold), py(value)),
            _ => String::new(),
        };
        write!(f, "{class}({args})")
    }
}

macro_rules! activation_classes {
    ($($(#[$meta:meta])* $class:ident => $variant:expr;)*) => {$(
        $(#[$meta])*
        pub struct $class;
        impl $class {
            /// The module (an [`ActivationLayer`]).
            #[allow(clippy::new_ret_no_self)]
            pub fn new() -> ActivationLayer {
                ActivationLayer { activation: $variant, training: true }
            }
        }
    )*};
}

activation_classes! {
    /// `nn.ReLU()`.
    ReLU => Activation::Relu;
    /// `nn.ReLU6()`.
    ReLU6 => Activation::Relu6;
    /// `nn.SELU()`.
    SELU => Activation::Selu;
    /// `nn.SiLU()`.
    SiLU => Activation::Silu;
    /// `nn.Mish()`.
    Mish => Activation::Mish;
    /// `nn.Softsign()`.
    Softsign => Activation::Softsign;
    /// `nn.Sigmoid()`.
    Sigmoid => Activation::Sigmoid;
    /// `nn.Tanh()`.
    Tanh => Activation::Tanh;
    /// `nn.LogSigmoid()`.
    LogSigmoid => Activation::LogSigmoid;
    /// `nn.Hardsigmoid()`.
    Hardsigmoid => Activation::Hardsigmoid;
    /// `nn.Hardswish()`.
    Hardswish => Activation::Hardswish;
    /// `nn.Tanhshrink()`.
    Tanhshrink => Activation::Tanhshrink;
    /// `nn.GELU()` (exact; see [`ActivationLayer::new`] with [`GeluApproximate::Tanh`] for the tanh form).
    GELU => Activation::Gelu { approximate: GeluApproximate::None };
}

/// `nn.LeakyReLU(negative_slope)`.
pub struct LeakyReLU;
impl LeakyReLU {
    /// The module; `LeakyReLU::new(0.01)` is PyTorch's default.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(negative_slope: f64) -> Result<ActivationLayer, Error> {
        ActivationLayer::new(Activation::LeakyRelu { negative_slope })
    }
}

/// `nn.ELU(alpha)`.
pub struct ELU;
impl ELU {
    /// The module; `ELU::new(1.0)` is PyTorch's default.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(alpha: f64) -> Result<ActivationLayer, Error> {
        ActivationLayer::new(Activation::Elu { alpha })
    }
}

/// `nn.RReLU(lower, upper)`: random slopes in training mode, `(lower + upper)/2` in evaluation mode.
pub struct RReLU;
impl RReLU {
    /// The module; `RReLU::new(1.0 / 8.0, 1.0 / 3.0)` is PyTorch's default.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(lower: f64, upper: f64) -> Result<ActivationLayer, Error> {
        ActivationLayer::new(Activation::Rrelu { lower, upper })
    }
}

/// `nn.PReLU(num_parameters, init)`: a learnable slope per channel (or one shared).
pub struct PReLU<T: Element = f32> {
    pub num_parameters: usize,
    pub weight: Tensor<T>,
    training: bool,
}

impl PReLU<f32> {
    /// `nn.PReLU(num_parameters, init)` in float32; PyTorch's default is `(1, 0.25)`.
    pub fn new(num_parameters: usize, init: f64) -> Result<Self, Error> {
        PReLU::with_dtype(num_parameters, init)
    }
}

impl<T: Element> PReLU<T> {
    /// `nn.PReLU(num_parameters, init, dtype=T)`.
    pub fn with_dtype(num_parameters: usize, init: f64) -> Result<Self, Error> {
        if num_parameters == 0 || !init.is_finite() {
            return Err(Error::Invalid {
                op: "PReLU",
                reason: format!("needs num_parameters ≥ 1 and a finite init, got {num_parameters} and {init}"),
            });
        }
        let weight = Tensor::full(&[num_parameters], T::from_f64(init)).requires_grad_(true)?;
        Ok(PReLU { num_parameters, weight, training: true })
    }
}

impl<T: Element> Module<T> for PReLU<T> {
    fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, Error> {
        x.prelu(&self.weight)
    }
    fn local_derivative(&self, input: &Tensor<T>) -> Option<Result<Tensor<T>, Error>> {
        let (x, w, shape) = (input.to_vec(), self.weight.to_vec(), input.shape().to_vec());
        let (mut d, mut gw) = (vec![T::ZERO; x.len()], vec![T::ZERO; w.len()]);
        Some(
            nonlin::prelu::backward(&x, &shape, &w, &vec![T::ONE; x.len()], &mut d, &mut gw)
                .map_err(Error::from)
                .and_then(|()| Tensor::from_vec(d, &shape)),
        )
    }
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![("weight".to_string(), self.weight.clone())]
    }
    fn train(&mut self, mode: bool) {
        self.training = mode;
    }
    fn is_training(&self) -> bool {
        self.training
    }
}

impl<T: Element> fmt::Display for PReLU<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PReLU(num_parameters={})", self.num_parameters)
    }
}
