//! The tutorial's program (`nonlin demo`), printing exactly what PyTorch prints for the same seed.

use crate::nn::{LeakyReLU, Linear, ReLU};
use crate::{Error, Module, Tensor, rng};

/// The text of `nonlin demo --seed S`: after `torch.manual_seed(S)`, `nn.Linear(10, 5)`, `nn.ReLU()` and
/// `torch.randn(1, 10)` (in that order, as the tutorial calls them), the input, the raw Linear output, the ReLU
/// output — each exactly as PyTorch prints it — then the same Linear output through `nn.LeakyReLU()`.
pub fn tutorial(seed: u64) -> Result<String, Error> {
    rng::manual_seed(seed);
    let layer = Linear::new(10, 5, true);
    let activation = ReLU::new();
    let x = Tensor::randn(&[1, 10]);
    let output = layer.forward(&x)?;
    let leaky = LeakyReLU::new(0.01)?;
    let lines = [
        format!(
            "# torch.manual_seed({seed}); layer = nn.Linear(10, 5); activation = nn.ReLU(); x = torch.randn(1, 10)"
        ),
        "Linear layer input (x):".to_string(),
        x.repr(),
        "Raw Linear output (layer(x)):".to_string(),
        output.repr(),
        "After ReLU (activation(output)):".to_string(),
        activation.forward(&output)?.repr(),
        format!("After {leaky} instead (negative values keep a small slope):"),
        leaky.forward(&output)?.repr(),
    ];
    Ok(lines.join("\n") + "\n")
}
