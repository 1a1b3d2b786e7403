//! # nonlin
//!
//! Every elementwise activation of `torch.nn` — forward, backward, in place — for `f32` and `f64` slices, with
//! PyTorch's answers on every edge case (NaN, −0.0, the gradient at each kink, overflow branches) and better
//! accuracy than PyTorch where its formulas lose digits.
//!
//! ```
//! use nonlin::Activation;
//!
//! let gelu: Activation = "gelu".parse()?;
//! let x = [-1.0f64, 0.0, 1.0];
//! let (mut y, mut dx) = ([0.0; 3], [0.0; 3]);
//! gelu.forward(&x, &mut y)?;
//! gelu.backward(&x, &[1.0; 3], &mut dx)?;
//! assert!((y[2] - 0.841_344_746_068_542_9).abs() < 1e-15);
//! assert_eq!(dx[1], 0.5);
//! # Ok::<(), nonlin::Error>(())
//! ```
//!
//! Semantics are PyTorch's (see `PYTORCH_SEMANTICS.md` in the repository and the tests generated from real
//! PyTorch); where PyTorch's formula loses accuracy or returns NaN at ±∞, nonlin returns the accurate value or
//! the mathematical limit, and each such place is documented on the activation.

mod activation;
mod error;
mod exponential;
mod float;
mod gelu;
mod hard;
mod kernel;
mod math;
pub mod prelu;
mod rectifiers;
pub mod rrelu;
mod sigmoid;
pub mod simd;
mod spec;
mod spin;
mod vmath;
mod vmath32;

pub use activation::{Activation, GeluApproximate};
pub use error::Error;
pub use float::Float;
pub use spec::{CATALOGUE, Default as ParamDefault, Info, Param, SELU_CONSTANTS};
