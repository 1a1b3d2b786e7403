//! The kernel crate's one error type.

use std::fmt;

/// Why an activation could not be built or applied.
///
/// Kernels themselves cannot fail: every check happens before the first element is touched, so an `Err`
/// leaves the output untouched.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The spec names no activation nonlin knows.
    UnknownActivation { name: String },
    /// A `key=value` names no parameter of this activation.
    UnknownParameter { activation: &'static str, parameter: String, expected: &'static [&'static str] },
    /// A parameter without a default was not given.
    MissingParameter { activation: &'static str, parameter: &'static str },
    /// A value that does not parse as the parameter's type.
    BadValue { activation: &'static str, parameter: &'static str, value: String, expected: &'static str },
    /// A parameter value outside the range the activation is defined for.
    InvalidParameter { activation: &'static str, requirement: String },
    /// A spec that is not `name[:key=value[,key=value]…]`.
    MalformedSpec { spec: String, reason: &'static str },
    /// Two slices that must have the same length do not.
    LengthMismatch { what: &'static str, expected: usize, got: usize },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownActivation { name } => {
                write!(f, "unknown activation '{name}' (`nonlin list` shows them all)")
            }
            Error::UnknownParameter { activation, parameter, expected } => {
                if expected.is_empty() {
                    write!(f, "{activation} takes no parameters, got '{parameter}'")
                } else {
                    write!(f, "{activation} has no parameter '{parameter}' (expected one of: {})", expected.join(", "))
                }
            }
            Error::MissingParameter { activation, parameter } => {
                write!(f, "{activation} needs a value for '{parameter}' (it has no default)")
            }
            Error::BadValue { activation, parameter, value, expected } => {
                write!(f, "{activation}: {parameter}='{value}' is not {expected}")
            }
            Error::InvalidParameter { activation, requirement } => write!(f, "{activation}: {requirement}"),
            Error::MalformedSpec { spec, reason } => {
                write!(f, "malformed activation spec '{spec}': {reason}")
            }
            Error::LengthMismatch { what, expected, got } => {
                write!(f, "{what} has {got} elements, expected {expected}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Fails unless `got == expected`.
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), Error> {
    if expected == got { Ok(()) } else { Err(Error::LengthMismatch { what, expected, got }) }
}
