//! Times one training step (forward, cross-entropy, backward, optimizer step) of a 64-128-128-10 ReLU MLP at
//! batch 32, as `bench/train_step.py` times the same loop in PyTorch. Prints one JSON line per optimizer.
//!
//! Run: `cargo run --release -p nonlin-nn --example train_step_bench [steps]`

use std::time::Instant;

use nonlin_nn::loss::{self, Reduction};
use nonlin_nn::nn::{Linear, ReLU, Sequential};
use nonlin_nn::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use nonlin_nn::{Module, Tensor, rng};

fn main() -> Result<(), nonlin_nn::Error> {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    for name in ["sgd", "adam"] {
        rng::manual_seed(0);
        let model = Sequential::new()
            .push(Linear::new(64, 128, true))
            .push(ReLU::new())
            .push(Linear::new(128, 128, true))
            .push(ReLU::new())
            .push(Linear::new(128, 10, true));
        let mut opt: Box<dyn Optimizer> = if name == "sgd" {
            Box::new(Sgd::new(model.parameters(), SgdConfig { momentum: 0.9, ..SgdConfig::new(0.01) })?)
        } else {
            Box::new(Adam::new(model.parameters(), AdamConfig::adam(1e-3))?)
        };
        let x = Tensor::randn(&[32, 64]);
        let target: Vec<usize> = (0..32).map(|i| i % 10).collect();
        let mut step = || -> Result<(), nonlin_nn::Error> {
            opt.zero_grad();
            loss::cross_entropy(&model.forward(&x)?, &target, Reduction::Mean)?.backward()?;
            opt.step()
        };
        for _ in 0..steps / 10 {
            step()?;
        }
        // Median of 5 timed repetitions.
        let mut times = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..steps {
                step()?;
            }
            times.push(start.elapsed().as_secs_f64() / steps as f64);
        }
        times.sort_by(f64::total_cmp);
        println!("{{\"impl\": \"nonlin\", \"optimizer\": \"{name}\", \"us_per_step\": {:.3}}}", times[2] * 1e6);
    }
    Ok(())
}
