//! Dead units: where an activation's derivative is 0 on every sample, so no gradient ever reaches the unit.

use crate::Error;
use crate::Tensor;
use crate::nn::Sequential;
use crate::tensor::no_grad;

/// One activation layer, measured on a data set.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerReport {
    /// Position in the `Sequential`.
    pub index: usize,
    /// The module's PyTorch repr (`ReLU()`).
    pub activation: String,
    pub units: usize,
    /// Units whose derivative is 0 on every sample (for ReLU: pre-activation ≤ 0 everywhere).
    pub dead: usize,
    pub dead_indices: Vec<usize>,
    /// Fraction of the layer's outputs (samples × units) that are exactly 0.
    pub zero_fraction: f64,
    /// Pre-activation statistics over samples × units.
    pub pre_mean: f64,
    pub pre_std: f64,
    pub pre_min: f64,
    pub pre_max: f64,
    /// Fraction of pre-activations > 0.
    pub pre_positive_fraction: f64,
}

/// The whole network, measured on a data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub samples: usize,
    pub layers: Vec<LayerReport>,
    /// The output is the same for every sample (within 1e-6 of its scale).
    pub collapsed: bool,
}

impl Inspection {
    /// Fraction of units that are dead, per activation layer.
    pub fn dead_fractions(&self) -> Vec<f64> {
        self.layers.iter().map(|l| if l.units == 0 { 0.0 } else { l.dead as f64 / l.units as f64 }).collect()
    }
}

/// Runs `x` (`[samples, features]`) through `model` and reports every activation layer (put the model in
/// evaluation mode first, as `model.eval()` before measuring in PyTorch).
pub fn inspect(model: &Sequential, x: &Tensor) -> Result<Inspection, Error> {
    let _g = no_grad();
    let samples = x.shape()[0];
    let outputs = model.forward_all(x)?;
    let mut layers = Vec::new();
    for (i, layer) in model.layers().iter().enumerate() {
        let input = if i == 0 { x } else { &outputs[i - 1] };
        let Some(derivative) = layer.local_derivative(input) else { continue };
        let derivative = derivative?;
        let shape = input.shape();
        let units = if shape.len() >= 2 { shape[1..].iter().product() } else { 1 };
        let (pre, d, out) = (input.data(), derivative.data(), outputs[i].data());
        let dead_indices: Vec<usize> = (0..units).filter(|&u| (0..samples).all(|s| d[s * units + u] == 0.0)).collect();
        let n = pre.len().max(1) as f64;
        let mean = pre.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = pre.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        layers.push(LayerReport {
            index: i,
            activation: layer.to_string(),
            units,
            dead: dead_indices.len(),
            dead_indices,
            zero_fraction: out.iter().filter(|&&v| v == 0.0).count() as f64 / n,
            pre_mean: mean,
            pre_std: var.sqrt(),
            pre_min: pre.iter().fold(f64::INFINITY, |m, &v| m.min(v as f64)),
            pre_max: pre.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64)),
            pre_positive_fraction: pre.iter().filter(|&&v| v > 0.0).count() as f64 / n,
        });
    }
    let out = outputs.last().map(|o| o.to_vec()).unwrap_or_default();
    let width = out.len() / samples.max(1);
    let scale = out.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs())).max(1e-30);
    let collapsed = samples > 1
        && (1..samples).all(|s| (0..width).all(|j| ((out[s * width + j] - out[j]) as f64).abs() <= 1e-6 * scale));
    Ok(Inspection { samples, layers, collapsed })
}
