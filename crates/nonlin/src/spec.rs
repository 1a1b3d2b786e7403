//! The text form of an activation, `name[:key=value[,key=value]…]`, and the catalogue behind `nonlin list`.

use std::fmt;
use std::str::FromStr;

use crate::activation::{Activation, GeluApproximate};
use crate::error::Error;
use crate::exponential::{SELU_ALPHA, SELU_SCALE};

/// A parameter's default value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    /// A number.
    Number(f64),
    /// One of a fixed set of words (GELU's `approximate`).
    Choice(&'static str),
    /// No default: the parameter must be given (Threshold's two).
    Required,
}

/// One parameter of an activation, named as in PyTorch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// PyTorch's argument name (`negative_slope`).
    pub name: &'static str,
    /// Its default.
    pub default: Default,
}

/// What `nonlin list` shows about one activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Info {
    /// The `torch.nn.functional` name, used in specs (`leaky_relu`).
    pub name: &'static str,
    /// The `torch.nn` class (`LeakyReLU`).
    pub class: &'static str,
    /// Parameters, in PyTorch's order.
    pub params: &'static [Param],
    /// The forward formula.
    pub formula: &'static str,
    /// The derivative, with its value at each kink.
    pub derivative: &'static str,
}

const fn num(name: &'static str, v: f64) -> Param {
    Param { name, default: Default::Number(v) }
}

/// Every activation nonlin provides, in `torch.nn`'s documentation order.
pub const CATALOGUE: [Info; 23] = [
    Info { name: "relu", class: "ReLU", params: &[], formula: "max(0, x)", derivative: "x > 0 ? 1 : 0 (0 at x = 0)" },
    Info {
        name: "relu6",
        class: "ReLU6",
        params: &[],
        formula: "min(max(0, x), 6)",
        derivative: "0 < x < 6 ? 1 : 0 (0 at 0 and at 6)",
    },
    Info {
        name: "leaky_relu",
        class: "LeakyReLU",
        params: &[num("negative_slope", 0.01)],
        formula: "x > 0 ? x : negative_slope·x",
        derivative: "x > 0 ? 1 : negative_slope (negative_slope at 0)",
    },
    Info {
        name: "prelu",
        class: "PReLU",
        params: &[num("weight", 0.25)],
        formula: "x > 0 ? x : weight·x",
        derivative: "x > 0 ? 1 : weight (weight at 0); ∂/∂weight = x ≤ 0 ? x : 0",
    },
    Info {
        name: "rrelu",
        class: "RReLU",
        params: &[num("lower", 1.0 / 8.0), num("upper", 1.0 / 3.0)],
        formula: "x ≥ 0 ? x : a·x, a ~ U(lower, upper) in training, (lower + upper)/2 in eval",
        derivative: "x > 0 ? 1 : a (a at 0)",
    },
    Info {
        name: "elu",
        class: "ELU",
        params: &[num("alpha", 1.0)],
        formula: "x > 0 ? x : alpha·(eˣ − 1)",
        derivative: "x > 0 ? 1 : alpha·eˣ (alpha at 0)",
    },
    Info {
        name: "celu",
        class: "CELU",
        params: &[num("alpha", 1.0)],
        formula: "x > 0 ? x : alpha·(e^(x/alpha) − 1)",
        derivative: "x > 0 ? 1 : e^(x/alpha) (1 at 0)",
    },
    Info {
        name: "selu",
        class: "SELU",
        params: &[],
        formula: "scale·(x > 0 ? x : alpha·(eˣ − 1)), alpha ≈ 1.6733, scale ≈ 1.0507",
        derivative: "scale·(x > 0 ? 1 : alpha·eˣ) (alpha·scale ≈ 1.7581 at 0)",
    },
    Info {
        name: "gelu",
        class: "GELU",
        params: &[Param { name: "approximate", default: Default::Choice("none") }],
        formula: "none: x·Φ(x) = x·erfc(−x/√2)/2; tanh: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))",
        derivative: "none: Φ(x) + x·φ(x); tanh: derivative of the tanh formula",
    },
    Info { name: "silu", class: "SiLU", params: &[], formula: "x·σ(x)", derivative: "σ(x)·(1 + x·(1 − σ(x)))" },
    Info {
        name: "mish",
        class: "Mish",
        params: &[],
        formula: "x·tanh(softplus(x))",
        derivative: "tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x)",
    },
    Info {
        name: "softplus",
        class: "Softplus",
        params: &[num("beta", 1.0), num("threshold", 20.0)],
        formula: "beta·x > threshold ? x : ln(1 + e^(beta·x))/beta",
        derivative: "beta·x > threshold ? 1 : σ(beta·x)",
    },
    Info { name: "softsign", class: "Softsign", params: &[], formula: "x/(1 + |x|)", derivative: "1/(1 + |x|)²" },
    Info {
        name: "sigmoid",
        class: "Sigmoid",
        params: &[],
        formula: "σ(x) = 1/(1 + e^(−x))",
        derivative: "σ(x)·(1 − σ(x))",
    },
    Info { name: "tanh", class: "Tanh", params: &[], formula: "tanh(x)", derivative: "1 − tanh²(x)" },
    Info {
        name: "logsigmoid",
        class: "LogSigmoid",
        params: &[],
        formula: "ln σ(x) = −ln(1 + e^(−x))",
        derivative: "σ(−x) = 1 − σ(x)",
    },
    Info {
        name: "hardtanh",
        class: "Hardtanh",
        params: &[num("min_val", -1.0), num("max_val", 1.0)],
        formula: "min(max(x, min_val), max_val)",
        derivative: "min_val < x < max_val ? 1 : 0 (0 at both bounds)",
    },
    Info {
        name: "hardsigmoid",
        class: "Hardsigmoid",
        params: &[],
        formula: "min(max(x + 3, 0), 6)/6",
        derivative: "−3 < x < 3 ? 1/6 : 0 (0 at ±3)",
    },
    Info {
        name: "hardswish",
        class: "Hardswish",
        params: &[],
        formula: "x·min(max(x + 3, 0), 6)/6",
        derivative: "x ≤ −3 ? 0 : x < 3 ? x/3 + 1/2 : 1 (0 at −3, 1 at 3)",
    },
    Info {
        name: "hardshrink",
        class: "Hardshrink",
        params: &[num("lambd", 0.5)],
        formula: "|x| > lambd ? x : 0",
        derivative: "|x| > lambd ? 1 : 0 (0 at ±lambd)",
    },
    Info {
        name: "softshrink",
        class: "Softshrink",
        params: &[num("lambd", 0.5)],
        formula: "x > lambd ? x − lambd : x < −lambd ? x + lambd : 0",
        derivative: "|x| > lambd ? 1 : 0 (0 at ±lambd)",
    },
    Info { name: "tanhshrink", class: "Tanhshrink", params: &[], formula: "x − tanh(x)", derivative: "tanh²(x)" },
    Info {
        name: "threshold",
        class: "Threshold",
        params: &[
            Param { name: "threshold", default: Default::Required },
            Param { name: "value", default: Default::Required },
        ],
        formula: "x > threshold ? x : value",
        derivative: "x > threshold ? 1 : 0 (0 at the threshold)",
    },
];

impl Info {
    /// Finds an activation by its `torch.nn.functional` name or its `torch.nn` class name, ignoring case.
    pub fn find(name: &str) -> Option<&'static Info> {
        let name = name.trim();
        CATALOGUE.iter().find(|i| i.name.eq_ignore_ascii_case(name) || i.class.eq_ignore_ascii_case(name))
    }

    fn position(&self, param: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == param)
    }
}

/// A parameter value as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Number(f64),
    Choice(GeluApproximate),
}

fn parse_value(info: &Info, param: &Param, text: &str) -> Result<Value, Error> {
    let bad =
        |expected| Error::BadValue { activation: info.name, parameter: param.name, value: text.to_string(), expected };
    match param.default {
        Default::Choice(_) => match text.trim_matches(|c| c == '\'' || c == '"').to_ascii_lowercase().as_str() {
            "none" => Ok(Value::Choice(GeluApproximate::None)),
            "tanh" => Ok(Value::Choice(GeluApproximate::Tanh)),
            _ => Err(bad("'none' or 'tanh'")),
        },
        Default::Number(_) | Default::Required => text.parse::<f64>().map(Value::Number).map_err(|_| bad("a number")),
    }
}

impl FromStr for Activation {
    type Err = Error;

    /// Parses `name[:key=value[,key=value]…]`; see [`CATALOGUE`] for names and keys. The result is validated.
    fn from_str(spec: &str) -> Result<Self, Error> {
        let malformed = |reason| Error::MalformedSpec { spec: spec.to_string(), reason };
        let (name, args) = match spec.split_once(':') {
            Some((name, args)) => (name, Some(args)),
            None => (spec, None),
        };
        if name.trim().is_empty() {
            return Err(malformed("the activation name is empty"));
        }
        let info = Info::find(name).ok_or_else(|| Error::UnknownActivation { name: name.trim().to_string() })?;
        let mut given: Vec<Option<Value>> = vec![None; info.params.len()];
        for pair in args.into_iter().flat_map(|a| a.split(',')) {
            let (key, text) = pair.split_once('=').ok_or_else(|| malformed("parameters are written key=value"))?;
            let key = key.trim();
            let i = info.position(key).ok_or_else(|| Error::UnknownParameter {
                activation: info.name,
                parameter: key.to_string(),
                expected: param_names(info),
            })?;
            if given[i].is_some() {
                return Err(malformed("a parameter is given twice"));
            }
            given[i] = Some(parse_value(info, &info.params[i], text.trim())?);
        }
        let mut values = Vec::with_capacity(info.params.len());
        for (param, value) in info.params.iter().zip(given) {
            values.push(match (value, param.default) {
                (Some(v), _) => v,
                (None, Default::Number(d)) => Value::Number(d),
                (None, Default::Choice(_)) => Value::Choice(GeluApproximate::None),
                (None, Default::Required) => {
                    return Err(Error::MissingParameter { activation: info.name, parameter: param.name });
                }
            });
        }
        let act = build(info.name, &values);
        act.validate()?;
        Ok(act)
    }
}

/// The parameter names of each activation, as a `'static` slice for error messages.
fn param_names(info: &Info) -> &'static [&'static str] {
    match info.name {
        "leaky_relu" => &["negative_slope"],
        "prelu" => &["weight"],
        "rrelu" => &["lower", "upper"],
        "elu" | "celu" => &["alpha"],
        "gelu" => &["approximate"],
        "softplus" => &["beta", "threshold"],
        "hardtanh" => &["min_val", "max_val"],
        "hardshrink" | "softshrink" => &["lambd"],
        "threshold" => &["threshold", "value"],
        _ => &[],
    }
}

fn build(name: &str, v: &[Value]) -> Activation {
    let n = |i: usize| match v[i] {
        Value::Number(x) => x,
        Value::Choice(_) => unreachable!("numeric parameter"),
    };
    match name {
        "relu" => Activation::Relu,
        "relu6" => Activation::Relu6,
        "leaky_relu" => Activation::LeakyRelu { negative_slope: n(0) },
        "prelu" => Activation::Prelu { weight: n(0) },
        "rrelu" => Activation::Rrelu { lower: n(0), upper: n(1) },
        "elu" => Activation::Elu { alpha: n(0) },
        "celu" => Activation::Celu { alpha: n(0) },
        "selu" => Activation::Selu,
        "gelu" => match v[0] {
            Value::Choice(approximate) => Activation::Gelu { approximate },
            Value::Number(_) => unreachable!("choice parameter"),
        },
        "silu" => Activation::Silu,
        "mish" => Activation::Mish,
        "softplus" => Activation::Softplus { beta: n(0), threshold: n(1) },
        "softsign" => Activation::Softsign,
        "sigmoid" => Activation::Sigmoid,
        "tanh" => Activation::Tanh,
        "logsigmoid" => Activation::LogSigmoid,
        "hardtanh" => Activation::Hardtanh { min_val: n(0), max_val: n(1) },
        "hardsigmoid" => Activation::Hardsigmoid,
        "hardswish" => Activation::Hardswish,
        "hardshrink" => Activation::Hardshrink { lambd: n(0) },
        "softshrink" => Activation::Softshrink { lambd: n(0) },
        "tanhshrink" => Activation::Tanhshrink,
        "threshold" => Activation::Threshold { threshold: n(0), value: n(1) },
        _ => unreachable!("every catalogue name is built"),
    }
}

impl Activation {
    /// The `torch.nn.functional` name (`leaky_relu`).
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// The catalogue entry for this activation.
    pub fn info(&self) -> &'static Info {
        let i = match self {
            Activation::Relu => 0,
            Activation::Relu6 => 1,
            Activation::LeakyRelu { .. } => 2,
            Activation::Prelu { .. } => 3,
            Activation::Rrelu { .. } => 4,
            Activation::Elu { .. } => 5,
            Activation::Celu { .. } => 6,
            Activation::Selu => 7,
            Activation::Gelu { .. } => 8,
            Activation::Silu => 9,
            Activation::Mish => 10,
            Activation::Softplus { .. } => 11,
            Activation::Softsign => 12,
            Activation::Sigmoid => 13,
            Activation::Tanh => 14,
            Activation::LogSigmoid => 15,
            Activation::Hardtanh { .. } => 16,
            Activation::Hardsigmoid => 17,
            Activation::Hardswish => 18,
            Activation::Hardshrink { .. } => 19,
            Activation::Softshrink { .. } => 20,
            Activation::Tanhshrink => 21,
            Activation::Threshold { .. } => 22,
        };
        &CATALOGUE[i]
    }

    /// Parameter values in catalogue order, as `(name, value)` with the choice parameter as text.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let names = self.info().params.iter().map(|p| p.name);
        let values: Vec<String> = match *self {
            Activation::LeakyRelu { negative_slope } => vec![negative_slope.to_string()],
            Activation::Prelu { weight } => vec![weight.to_string()],
            Activation::Rrelu { lower, upper } => vec![lower.to_string(), upper.to_string()],
            Activation::Elu { alpha } | Activation::Celu { alpha } => vec![alpha.to_string()],
            Activation::Gelu { approximate } => vec![
                match approximate {
                    GeluApproximate::None => "none",
                    GeluApproximate::Tanh => "tanh",
                }
                .to_string(),
            ],
            Activation::Softplus { beta, threshold } => {
                vec![beta.to_string(), threshold.to_string()]
            }
            Activation::Hardtanh { min_val, max_val } => {
                vec![min_val.to_string(), max_val.to_string()]
            }
            Activation::Hardshrink { lambd } | Activation::Softshrink { lambd } => {
                vec![lambd.to_string()]
            }
            Activation::Threshold { threshold, value } => {
                vec![threshold.to_string(), value.to_string()]
            }
            _ => vec![],
        };
        names.zip(values).collect()
    }
}

impl fmt::Display for Activation {
    /// The canonical spec, every parameter written out; `parse` reads it back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        for (i, (k, v)) in self.params().iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { ':' } else { ',' })?;
        }
        Ok(())
    }
}

/// SELU's fixed `(alpha, scale)`, as PyTorch defines them.
pub const SELU_CONSTANTS: (f64, f64) = (SELU_ALPHA, SELU_SCALE);
