//! # nonlin-nn
//!
//! A small autograd [`Tensor`] with PyTorch's semantics, names, printing and random streams, built on the
//! `nonlin` activation kernels: the tutorial's `nn.Linear(10, 5)` + `nn.ReLU()` program runs in Rust and prints
//! what PyTorch prints for the same seed.
//!
//! ```
//! use nonlin_nn::{Module, nn, rng};
//!
//! rng::manual_seed(0);
//! let layer = nn::Linear::new(10, 5, true);
//! let activation = nn::ReLU::new();
//! let x = nonlin_nn::Tensor::<f32>::randn(&[1, 10]);
//! let y = activation.forward(&layer.forward(&x)?)?;
//! assert!(y.repr().ends_with("grad_fn=<ReluBackward0>)"));
//! # Ok::<(), nonlin_nn::Error>(())
//! ```

pub mod arch;
pub mod data;
pub mod demo;
pub mod diagnostics;
mod element;
mod error;
pub mod init;
pub mod io;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod pyfmt;
pub mod rng;
mod tensor;
pub mod train;

pub use element::Element;
pub use error::Error;
pub use nn::Module;
pub use tensor::{GradFn, NoGradGuard, Tensor, is_grad_enabled, no_grad};
