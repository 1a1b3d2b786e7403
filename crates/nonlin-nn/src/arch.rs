//! Architecture strings: `"linear:128 relu linear:128 relu linear:10"` ↔ an `nn.Sequential`.
//!
//! Layer specs, separated by whitespace: `linear:out_features=32` (short `linear:32`; `bias=false`), any
//! activation spec of [`nonlin::Activation`] (`relu`, `leaky_relu:negative_slope=0.01`, …), `prelu`
//! (`prelu:num_parameters=32`, `prelu:init=0.1`), `dropout:p=0.2`, `flatten`. Input sizes are inferred: the first
//! Linear takes the data's features, each later one the previous Linear's outputs. Parameters get PyTorch's
//! `nn.Sequential` names (`0.weight`, `0.bias`, `2.weight`, …).

use std::fmt;
use std::str::FromStr;

use nonlin::Activation;

use crate::Error;
use crate::nn::{ActivationLayer, Dropout, Flatten, Linear, PReLU, Sequential};

/// One layer of an architecture string.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSpec {
    Linear { out_features: usize, bias: bool },
    Activation(Activation),
    PRelu { num_parameters: usize, init: f64 },
    Dropout { p: f64 },
    Flatten,
}

/// A parsed architecture string.
#[derive(Debug, Clone, PartialEq)]
pub struct Arch(pub Vec<LayerSpec>);

fn bad(spec: &str, reason: impl fmt::Display) -> Error {
    Error::Invalid { op: "architecture", reason: format!("'{spec}': {reason}") }
}

fn parse_args(spec: &str, args: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    args.into_iter()
        .flat_map(|a| a.split(','))
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| bad(spec, "parameters are key=value"))
        })
        .collect()
}

impl FromStr for LayerSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self, Error> {
        let (name, args) = match spec.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (spec, None),
        };
        match name.to_ascii_lowercase().as_str() {
            "linear" => {
                let (mut out, mut bias) = (None, true);
                match args {
                    Some(a) if !a.contains('=') => {
                        out = Some(
                            a.trim()
                                .parse::<usize>()
                                .map_err(|_| bad(spec, "out_features is not a positive integer"))?,
                        );
                    }
                    _ => {
                        for (k, v) in parse_args(spec, args)? {
                            match k.as_str() {
                                "out_features" => {
                                    out = Some(
                                        v.parse().map_err(|_| bad(spec, "out_features is not a positive integer"))?,
                                    )
                                }
                                "bias" => {
                                    bias = match v.to_ascii_lowercase().as_str() {
                                        "true" => true,
                                        "false" => false,
                                        _ => return Err(bad(spec, "bias must be true or false")),
                                    }
                                }
                                other => {
                                    return Err(bad(
                                        spec,
                                        format!("linear has no parameter '{other}' (out_features, bias)"),
                                    ));
                                }
                            }
                        }
                    }
                }
                match out {
                    Some(n) if n > 0 => Ok(LayerSpec::Linear { out_features: n, bias }),
                    _ => Err(bad(spec, "linear needs out_features ≥ 1, e.g. linear:32")),
                }
            }
            "prelu" => {
                let (mut n, mut init) = (1usize, 0.25);
                for (k, v) in parse_args(spec, args)? {
                    match k.as_str() {
                        "num_parameters" => {
                            n = v
                                .parse()
                                .ok()
                                .filter(|&n| n > 0)
                                .ok_or_else(|| bad(spec, "num_parameters must be ≥ 1"))?
                        }
                        "init" | "weight" => {
                            init = v
                                .parse()
                                .ok()
                                .filter(|x: &f64| x.is_finite())
                                .ok_or_else(|| bad(spec, "init must be a number"))?
                        }
                        other => {
                            return Err(bad(spec, format!("prelu has no parameter '{other}' (num_parameters, init)")));
                        }
                    }
                }
                Ok(LayerSpec::PRelu { num_parameters: n, init })
            }
            "dropout" => {
                let mut p = 0.5;
                for (k, v) in parse_args(spec, args)? {
                    match k.as_str() {
                        "p" => {
                            p = v
                                .parse()
                                .ok()
                                .filter(|p| (0.0..=1.0).contains(p))
                                .ok_or_else(|| bad(spec, "p must be in [0, 1]"))?
                        }
                        other => return Err(bad(spec, format!("dropout has no parameter '{other}' (p)"))),
                    }
                }
                Ok(LayerSpec::Dropout { p })
            }
            "flatten" => Ok(LayerSpec::Flatten),
            _ => Ok(LayerSpec::Activation(spec.parse().map_err(|e: nonlin::Error| bad(spec, e))?)),
        }
    }
}

impl fmt::Display for LayerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerSpec::Linear { out_features, bias: true } => write!(f, "linear:{out_features}"),
            LayerSpec::Linear { out_features, bias: false } => {
                write!(f, "linear:out_features={out_features},bias=false")
            }
            LayerSpec::Activation(a) => write!(f, "{a}"),
            LayerSpec::PRelu { num_parameters, init } => write!(f, "prelu:num_parameters={num_parameters},init={init}"),
            LayerSpec::Dropout { p } => write!(f, "dropout:p={p}"),
            LayerSpec::Flatten => write!(f, "flatten"),
        }
    }
}

impl FromStr for Arch {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let layers = s.split_whitespace().map(str::parse).collect::<Result<Vec<LayerSpec>, _>>()?;
        if !layers.iter().any(|l| matches!(l, LayerSpec::Linear { .. })) {
            return Err(Error::Invalid { op: "architecture", reason: format!("'{s}' has no linear layer") });
        }
        Ok(Arch(layers))
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|l| l.to_string()).collect();
        f.write_str(&parts.join(" "))
    }
}

impl Arch {
    /// The number of outputs for `in_features` inputs (the last Linear's `out_features`).
    pub fn out_features(&self, in_features: usize) -> usize {
        self.0
            .iter()
            .fold(in_features, |n, l| if let LayerSpec::Linear { out_features, .. } = l { *out_features } else { n })
    }

    /// Builds the `nn.Sequential` for inputs of `in_features` columns, initialised from the default generator
    /// as PyTorch would initialise the same layers in the same order.
    pub fn build(&self, in_features: usize) -> Result<Sequential, Error> {
        let mut seq = Sequential::new();
        let mut features = in_features;
        for (i, layer) in self.0.iter().enumerate() {
            match *layer {
                LayerSpec::Linear { out_features, bias } => {
                    seq.push_boxed(Box::new(Linear::new(features, out_features, bias)));
                    features = out_features;
                }
                LayerSpec::Activation(a) => seq.push_boxed(Box::new(ActivationLayer::new(a)?)),
                LayerSpec::PRelu { num_parameters, init } => {
                    if num_parameters != 1 && num_parameters != features {
                        return Err(Error::Invalid {
                            op: "architecture",
                            reason: format!(
                                "layer {i} (prelu) has {num_parameters} parameters but its input has {features} features"
                            ),
                        });
                    }
                    seq.push_boxed(Box::new(PReLU::new(num_parameters, init)?));
                }
                LayerSpec::Dropout { p } => seq.push_boxed(Box::new(Dropout::new(p)?)),
                LayerSpec::Flatten => seq.push_boxed(Box::new(Flatten::default())),
            }
        }
        Ok(seq)
    }
}
