//! `nonlin eval`.

use std::io::Write;

use nonlin::{Activation, Float};

use nonlin_nn::pyfmt::python_float;

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
            npy::write(output, &y)
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
    Ok(out.iter().map(|&v| python_float(v.to_f64(), T::DTYPE == "float32")).collect())
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
