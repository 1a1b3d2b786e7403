//! `torch.nn.init`: the initialisers, with PyTorch's gain and fan rules and its random streams.
//!
//! Every function fills the tensor in place from the default generator, drawing exactly the numbers PyTorch
//! draws, and records nothing for autograd (PyTorch runs them under `no_grad`).

use crate::element::Element;
use crate::{Error, Tensor};

/// `torch.nn.init.calculate_gain(nonlinearity, param)`.
pub fn calculate_gain(nonlinearity: &str, param: Option<f64>) -> Result<f64, Error> {
    match nonlinearity {
        "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
        | "sigmoid" => Ok(1.0),
        "tanh" => Ok(5.0 / 3.0),
        "relu" => Ok(2.0f64.sqrt()),
        "leaky_relu" => {
            let slope = param.unwrap_or(0.01);
            Ok((2.0 / (1.0 + slope.powi(2))).sqrt())
        }
        "selu" => Ok(3.0 / 4.0),
        other => Err(Error::Invalid { op: "calculate_gain", reason: format!("unsupported nonlinearity {other}") }),
    }
}

/// `(fan_in, fan_out)` as `_calculate_fan_in_and_fan_out`: dims 1 and 0 times the receptive field.
pub fn fan_in_and_fan_out(shape: &[usize]) -> Result<(usize, usize), Error> {
    if shape.len() < 2 {
        return Err(Error::Shape {
            op: "init",
            expected: "at least 2 dimensions to compute fan in and fan out".into(),
            got: shape.to_vec(),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// Which fan Kaiming initialisation preserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
}

fn fan(shape: &[usize], mode: FanMode) -> Result<f64, Error> {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape)?;
    Ok(match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    } as f64)
}

/// `uniform_(tensor, a, b)`.
pub fn uniform_<T: Element>(t: &Tensor<T>, a: f64, b: f64) {
    t.uniform_(a, b);
}

/// `normal_(tensor, mean, std)`.
pub fn normal_<T: Element>(t: &Tensor<T>, mean: f64, std: f64) {
    t.normal_(mean, std);
}

/// `zeros_(tensor)`.
pub fn zeros_<T: Element>(t: &Tensor<T>) {
    t.fill_(T::ZERO);
}

/// `ones_(tensor)`.
pub fn ones_<T: Element>(t: &Tensor<T>) {
    t.fill_(T::ONE);
}

/// `kaiming_uniform_(tensor, a, mode, nonlinearity)`: U(−bound, bound), `bound = gain·√(3/fan)`.
pub fn kaiming_uniform_<T: Element>(t: &Tensor<T>, a: f64, mode: FanMode, nonlinearity: &str) -> Result<(), Error> {
    if t.numel() == 0 {
        return Ok(());
    }
    let gain = calculate_gain(nonlinearity, Some(a))?;
    let std = gain / fan(t.shape(), mode)?.sqrt();
    let bound = 3.0f64.sqrt() * std;
    t.uniform_(-bound, bound);
    Ok(())
}

/// `kaiming_normal_(tensor, a, mode, nonlinearity)`: N(0, (gain/√fan)²).
pub fn kaiming_normal_<T: Element>(t: &Tensor<T>, a: f64, mode: FanMode, nonlinearity: &str) -> Result<(), Error> {
    if t.numel() == 0 {
        return Ok(());
    }
    let gain = calculate_gain(nonlinearity, Some(a))?;
    let std = gain / fan(t.shape(), mode)?.sqrt();
    t.normal_(0.0, std);
    Ok(())
}

/// `xavier_uniform_(tensor, gain)`: U(−a, a), `a = gain·√(6/(fan_in + fan_out))`.
pub fn xavier_uniform_<T: Element>(t: &Tensor<T>, gain: f64) -> Result<(), Error> {
    let (fan_in, fan_out) = fan_in_and_fan_out(t.shape())?;
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let a = 3.0f64.sqrt() * std;
    t.uniform_(-a, a);
    Ok(())
}

/// `xavier_normal_(tensor, gain)`: N(0, gain²·2/(fan_in + fan_out)).
pub fn xavier_normal_<T: Element>(t: &Tensor<T>, gain: f64) -> Result<(), Error> {
    let (fan_in, fan_out) = fan_in_and_fan_out(t.shape())?;
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    t.normal_(0.0, std);
    Ok(())
}
