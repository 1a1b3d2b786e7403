//! Builds a small MLP the way PyTorch would for the same seed and saves its state_dict as safetensors — a file
//! `safetensors.torch.load_file` + `model.load_state_dict` reads (see `tools/reference/torch_train.py`).
//!
//! Run: `cargo run -p nonlin-nn --example save_state_dict -- model.safetensors`

use std::collections::BTreeMap;
use std::path::PathBuf;

use nonlin_nn::nn::{LeakyReLU, Linear, ReLU, Sequential};
use nonlin_nn::{Module, io, rng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "model.safetensors".into()));
    rng::manual_seed(123);
    let model = Sequential::new()
        .push(Linear::new(6, 8, true))
        .push(ReLU::new())
        .push(Linear::new(8, 8, true))
        .push(LeakyReLU::new(0.1)?)
        .push(Linear::new(8, 3, true));
    let metadata = BTreeMap::from([(
        "arch".to_string(),
        "linear:8 relu linear:8 leaky_relu:negative_slope=0.1 linear:3".to_string(),
    )]);
    io::save_safetensors(&path, &model.state_dict(), &metadata)?;
    println!("{model}\nsaved to {}", path.display());
    Ok(())
}
