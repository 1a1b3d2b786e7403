//! The nn crate's one error type.

use std::fmt;

/// What went wrong in a tensor operation, a module or I/O, with the shapes and the op named.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Two shapes that cannot be broadcast together.
    Broadcast { op: &'static str, lhs: Vec<usize>, rhs: Vec<usize> },
    /// Shapes that do not fit the operation (e.g. inner dimensions of a matrix product).
    Shape { op: &'static str, expected: String, got: Vec<usize> },
    /// `from_vec` with a number of values that does not fill the shape.
    ElementCount { shape: Vec<usize>, len: usize },
    /// A dimension index out of range.
    Dim { op: &'static str, dim: isize, ndim: usize },
    /// A range or index out of bounds.
    Index { op: &'static str, index: String, size: usize },
    /// `backward()` on a tensor with more than one element and no explicit gradient.
    BackwardNonScalar { shape: Vec<usize> },
    /// `backward()` on a tensor that does not require grad.
    NoGrad,
    /// An invalid activation (bad parameter).
    Activation(nonlin::Error),
    /// Anything else, described.
    Invalid { op: &'static str, reason: String },
    /// A file that could not be read or written.
    Io { path: String, reason: String },
    /// A state_dict that does not fit the model: every missing, unexpected and mis-shaped name.
    StateDict { missing: Vec<String>, unexpected: Vec<String>, mismatched: Vec<String> },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Broadcast { op, lhs, rhs } => {
                write!(f, "{op}: shapes {lhs:?} and {rhs:?} cannot be broadcast together")
            }
            Error::Shape { op, expected, got } => write!(f, "{op}: expected {expected}, got shape {got:?}"),
            Error::ElementCount { shape, len } => {
                write!(f, "shape {shape:?} needs {} values, got {len}", shape.iter().product::<usize>())
            }
            Error::Dim { op, dim, ndim } => {
                write!(f, "{op}: dimension {dim} is out of range for a tensor of {ndim} dimensions")
            }
            Error::Index { op, index, size } => write!(f, "{op}: {index} is out of range for size {size}"),
            Error::BackwardNonScalar { shape } => write!(
                f,
                "backward: grad can be implicitly created only for scalar outputs, this tensor has shape {shape:?} \
                 (pass a gradient with backward_with)"
            ),
            Error::NoGrad => write!(f, "backward: the tensor does not require grad and has no grad_fn"),
            Error::Activation(e) => write!(f, "{e}"),
            Error::Invalid { op, reason } => write!(f, "{op}: {reason}"),
            Error::Io { path, reason } => write!(f, "{path}: {reason}"),
            Error::StateDict { missing, unexpected, mismatched } => {
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!("missing key(s): {}", missing.join(", ")));
                }
                if !unexpected.is_empty() {
                    parts.push(format!("unexpected key(s): {}", unexpected.join(", ")));
                }
                if !mismatched.is_empty() {
                    parts.push(format!("size mismatch for {}", mismatched.join("; ")));
                }
                write!(f, "error(s) loading state_dict: {}", parts.join("; "))
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<nonlin::Error> for Error {
    fn from(e: nonlin::Error) -> Self {
        Error::Activation(e)
    }
}
