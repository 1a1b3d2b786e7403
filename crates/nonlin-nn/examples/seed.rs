//! The tutorial's program, as a nonlin user writes it:
//!
//! ```python
//! layer = nn.Linear(10, 5); activation = nn.ReLU(); x = torch.randn(1, 10)
//! print(x); print(layer(x)); print(activation(layer(x)))
//! ```
//!
//! With the same seed it prints what PyTorch prints. Run: `cargo run --example seed`.

use nonlin_nn::{Module, Tensor, nn, rng};

fn main() -> Result<(), nonlin_nn::Error> {
    rng::manual_seed(0);
    let layer = nn::Linear::new(10, 5, true);
    let activation = nn::ReLU::new();
    let input = Tensor::randn(&[1, 10]);

    let output = layer.forward(&input)?;
    let output_with_relu = activation.forward(&output)?;

    println!("{input}");
    println!("{output}");
    println!("{output_with_relu}");
    Ok(())
}
