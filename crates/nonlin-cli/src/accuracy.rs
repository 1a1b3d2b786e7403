//! `nonlin accuracy`: the float32 kernels' error in ULPs against the f64 reference (the same formulas evaluated
//! with the platform's libm), over a stratified sample of all 2³² bit patterns or over all of them.

use nonlin::Activation;
use rayon::prelude::*;
use serde_json::json;

#[derive(clap::Args)]
pub struct AccuracyArgs {
    /// The activation.
    spec: String,
    /// Every one of the 2³² float32 bit patterns (minutes per activation) instead of a 2²⁰-point sample.
    #[arg(long)]
    exhaustive: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also measure another implementation on its own inputs: a directory with x.npy, y.npy and dydx.npy
    /// (float32), as `bench/torch_accuracy.py` writes for PyTorch.
    #[arg(long, value_name = "DIR")]
    other: Option<std::path::PathBuf>,
}

/// Error of `got` against `reference` in units of the float32 spacing at the reference; `inf` for a wrong
/// infinity or NaN.
pub fn ulps(got: f32, reference: f64) -> f64 {
    if got.is_nan() || reference.is_nan() {
        return if got.is_nan() && reference.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let rounded = reference as f32;
    if rounded.is_infinite() || got.is_infinite() {
        return if got == rounded { 0.0 } else { f64::INFINITY };
    }
    let lo = if (rounded as f64) <= reference { rounded } else { rounded.next_down() };
    (got as f64 - reference).abs() / (lo.next_up() as f64 - lo as f64)
}

#[derive(Default, Clone, Copy)]
struct Stat {
    max: f64,
    argmax: f32,
    sum: f64,
    count: u64,
    /// Inputs where the result is wrong in kind (NaN, infinity) — counted, not averaged.
    wrong: u64,
}

impl Stat {
    fn add(&mut self, x: f32, e: f64) {
        if e.is_finite() {
            if e > self.max {
                self.max = e;
                self.argmax = x;
            }
            self.sum += e;
            self.count += 1;
        } else {
            self.wrong += 1;
            self.max = f64::INFINITY;
            self.argmax = x;
        }
    }
    fn merge(mut self, o: Stat) -> Stat {
        if o.max > self.max {
            self.max = o.max;
            self.argmax = o.argmax;
        }
        self.sum += o.sum;
        self.count += o.count;
        self.wrong += o.wrong;
        self
    }
    fn mean(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }
}

/// Forward and backward statistics over the bit patterns `patterns` (finite inputs only).
fn measure(act: &Activation, patterns: impl IndexedParallelIterator<Item = u32>) -> (Stat, Stat) {
    patterns
        .chunks(1 << 14)
        .map(|bits| {
            let x: Vec<f32> = bits.into_iter().map(f32::from_bits).filter(|v| v.is_finite()).collect();
            let mut y = vec![0f32; x.len()];
            let mut d = vec![0f32; x.len()];
            act.forward(&x, &mut y).expect("validated");
            act.backward(&x, &vec![1.0; x.len()], &mut d).expect("validated");
            let (mut f, mut b) = (Stat::default(), Stat::default());
            for i in 0..x.len() {
                let (rf, rd) = act.reference(x[i] as f64).expect("validated");
                f.add(x[i], ulps(y[i], rf));
                b.add(x[i], ulps(d[i], rd));
            }
            (f, b)
        })
        .reduce(|| (Stat::default(), Stat::default()), |a, b| (a.0.merge(b.0), a.1.merge(b.1)))
}

fn read_f32(path: &std::path::Path) -> Result<Vec<f32>, String> {
    match crate::npy::read(path).map_err(|e| e.to_string())?.data {
        crate::npy::Data::F32(v) => Ok(v),
        crate::npy::Data::F64(_) => Err(format!("{}: expected float32", path.display())),
    }
}

/// Errors of another implementation's outputs `y`, `d` at inputs `x`, against the reference.
fn measure_other(act: &Activation, x: &[f32], y: &[f32], d: &[f32]) -> (Stat, Stat) {
    let (mut f, mut b) = (Stat::default(), Stat::default());
    for i in 0..x.len() {
        if !x[i].is_finite() {
            continue;
        }
        let (rf, rd) = act.reference(x[i] as f64).expect("validated");
        f.add(x[i], ulps(y[i], rf));
        b.add(x[i], ulps(d[i], rd));
    }
    (f, b)
}

pub fn run(args: &AccuracyArgs) -> Result<(), String> {
    let act: Activation = args.spec.parse().map_err(|e: nonlin::Error| e.to_string())?;
    if let Some(dir) = &args.other {
        let (x, y, d) =
            (read_f32(&dir.join("x.npy"))?, read_f32(&dir.join("y.npy"))?, read_f32(&dir.join("dydx.npy"))?);
        if y.len() != x.len() || d.len() != x.len() {
            return Err(format!("{}: x, y and dydx must have the same length", dir.display()));
        }
        let (of, ob) = measure_other(&act, &x, &y, &d);
        let (mut ny, mut nd) = (vec![0f32; x.len()], vec![0f32; x.len()]);
        act.forward(&x, &mut ny).map_err(|e| e.to_string())?;
        act.backward(&x, &vec![1.0; x.len()], &mut nd).map_err(|e| e.to_string())?;
        let (nf, nb) = measure_other(&act, &x, &ny, &nd);
        let row =
            |s: &Stat| json!({"max_ulps": s.max, "mean_ulps": s.mean(), "worst_input": s.argmax, "wrong": s.wrong});
        println!(
            "{}",
            json!({"spec": args.spec, "inputs": x.len(), "other": {"forward": row(&of), "backward": row(&ob)},
                   "nonlin": {"forward": row(&nf), "backward": row(&nb)}})
        );
        return Ok(());
    }
    let (fwd, bwd, inputs) = if args.exhaustive {
        let (f, b) = measure(&act, (0usize..1 << 32).into_par_iter().map(|b| b as u32));
        (f, b, "all 2^32 float32 bit patterns")
    } else {
        // A stratified sample: every 4096th bit pattern, at a pseudo-random offset within each stride, so every
        // exponent (and sign) is covered evenly.
        let sample = (0u32..1 << 20).into_par_iter().map(|i| (i << 12) | (i.wrapping_mul(2_654_435_761) >> 20));
        let (f, b) = measure(&act, sample);
        (f, b, "a stratified sample of 2^20 float32 bit patterns")
    };
    if args.json {
        println!(
            "{}",
            json!({
                "spec": args.spec, "inputs": inputs, "finite_inputs": fwd.count + fwd.wrong,
                "forward": {"max_ulps": fwd.max, "mean_ulps": fwd.mean(), "worst_input": fwd.argmax, "wrong": fwd.wrong},
                "backward": {"max_ulps": bwd.max, "mean_ulps": bwd.mean(), "worst_input": bwd.argmax, "wrong": bwd.wrong},
                "reference": "the same formulas in f64 with the platform's libm",
                "simd": nonlin::simd::level().name(),
            })
        );
    } else {
        println!("{} over {inputs} ({} finite), against the f64 reference:", args.spec, fwd.count + fwd.wrong);
        println!(
            "  forward:  max {:.3} ULP (at x = {:e}), mean {:.4} ULP, wrong NaN/inf: {}",
            fwd.max,
            fwd.argmax,
            fwd.mean(),
            fwd.wrong
        );
        println!(
            "  backward: max {:.3} ULP (at x = {:e}), mean {:.4} ULP, wrong NaN/inf: {}",
            bwd.max,
            bwd.argmax,
            bwd.mean(),
            bwd.wrong
        );
    }
    Ok(())
}
