//! `nonlin eval`.

use std::io::Write;

use nonlin::{Activation, Float};

use crate::EvalArgs;
use crate::npy::{self, Array, Data};

/// Precision for numbers given on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Dtype {
    F32,
    F64,
}

pub fn run(args: &EvalArgs) -> Result<(), String> {
    let act: Activation = args.spec.parse().map_err(|e: nonlin::Error| e.to_string())?;
    match (&args.input, &args.output) {
        (Some(input), Some(output)) => {
            let x = npy::read(input).map_err(|e| e.to_string())?;
            let gy = match &args.grad_output {
                Some(path) => Some(npy::read(path).map_err(|e| e.to_string())?),
                None => None,
            };
            let y = apply(&act, &x, gy.as_ref())?;
            npy::write(output, &y).map_err(|e| e.to_string())
        }
        _ if args.values.is_empty() => {
            Err("nothing to evaluate: give numbers (`nonlin eval relu 1 -2`) or --input X.npy --output Y.npy".into())
        }
        _ => {
            let xs = args
                .values
                .iter()
                .map(|v| v.trim().parse::<f64>().map_err(|_| format!("'{v}' is not a number")))
                .collect::<Result<Vec<_>, _>>()?;
            let lines = match args.dtype {
                Dtype::F64 => numbers(&act, &xs, args.derivative)?,
                Dtype::F32 => {
                    let xs: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
                    numbers(&act, &xs, args.derivative)?
                }
            };
            let mut out = std::io::stdout().lock();
            for line in lines {
                writeln!(out, "{line}").map_err(|e| format!("cannot write to stdout: {e}"))?;
            }
            Ok(())
        }
    }
}

/// f(x) (or f′(x)) for each number, formatted as Python prints floats (`0.5`, `-0.0`, `nan`, `inf`).
fn numbers<T: Float>(act: &Activation, xs: &[T], derivative: bool) -> Result<Vec<String>, String> {
    let mut out = vec![T::ZERO; xs.len()];
    if derivative { act.backward(xs, &vec![T::ONE; xs.len()], &mut out) } else { act.forward(xs, &mut out) }
        .map_err(|e| e.to_string())?;
    Ok(out.iter().map(|&v| python_repr(v.to_f64(), T::DTYPE == "float32")).collect())
}

/// Shortest text that reads back to the same value in the value's own precision, spelled as Python spells it.
fn python_repr(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest round-trip digits; lay them out with Python's rule: positional for decimal
    // exponents in [-4, 16), otherwise `d.ddde±XX`.
    let sci = if single { format!("{:e}", v as f32) } else { format!("{v:e}") };
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let padded = format!("{digits:0<int_len$}");
            let (int, frac) = padded.split_at(int_len);
            format!("{sign}{int}.{}", if frac.is_empty() { "0" } else { frac })
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{sign}{first}{rest}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

fn apply(act: &Activation, x: &Array, gy: Option<&Array>) -> Result<Array, String> {
    if let Some(gy) = gy {
        if gy.shape != x.shape {
            return Err(format!(
                "--grad-output has shape {:?} but --input has shape {:?}; they must match",
                gy.shape, x.shape
            ));
        }
        if gy.data.dtype() != x.data.dtype() {
            return Err(format!(
                "--grad-output is {} but --input is {}; they must match",
                gy.data.dtype(),
                x.data.dtype()
            ));
        }
    }
    let err = |e: nonlin::Error| e.to_string();
    let data = match (&x.data, gy.map(|g| &g.data)) {
        (Data::F32(x), None) => Data::F32(forward(act, x).map_err(err)?),
        (Data::F64(x), None) => Data::F64(forward(act, x).map_err(err)?),
        (Data::F32(x), Some(Data::F32(g))) => Data::F32(backward(act, x, g).map_err(err)?),
        (Data::F64(x), Some(Data::F64(g))) => Data::F64(backward(act, x, g).map_err(err)?),
        _ => unreachable!("dtypes checked above"),
    };
    Ok(Array { shape: x.shape.clone(), data })
}

fn forward<T: Float>(act: &Activation, x: &[T]) -> Result<Vec<T>, nonlin::Error> {
    let mut y = vec![T::ZERO; x.len()];
    act.forward(x, &mut y)?;
    Ok(y)
}

fn backward<T: Float>(act: &Activation, x: &[T], gy: &[T]) -> Result<Vec<T>, nonlin::Error> {
    let mut gx = vec![T::ZERO; x.len()];
    act.backward(x, gy, &mut gx)?;
    Ok(gx)
}

#[cfg(test)]
mod tests {
    use super::python_repr;

    /// Expected strings are Python's `repr(float(v))` (and numpy's float32 repr for single precision).
    #[test]
    fn formats_like_python() {
        for (v, py) in [
            (0.5, "0.5"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (-1.0444259356238218e-7, "-1.0444259356238218e-07"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(python_repr(v, false), py);
        }
        assert_eq!(python_repr(-1.0444259e-7f32 as f64, true), "-1.0444259e-07");
        assert_eq!(python_repr(0.1f32 as f64, true), "0.1");
        assert_eq!(python_repr(f64::NAN, false), "nan");
        assert_eq!(python_repr(f64::NEG_INFINITY, true), "-inf");
    }
}
