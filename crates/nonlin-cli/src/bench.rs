//! `nonlin bench`: kernel throughput against a plain copy of the same buffers, measured in the same run.

use std::time::Instant;

use nonlin::{Activation, CATALOGUE, simd};
use serde_json::json;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Activations (default: all, with default parameters, plus gelu:approximate=tanh).
    specs: Vec<String>,
    /// Element counts, comma-separated.
    #[arg(long, default_value = "1024,65536,16777216", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Threads for inputs of at least 2^16 elements, 2^14 for the smooth kernels (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Time the backward pass (gradient with respect to the input) instead of the forward.
    #[arg(long)]
    backward: bool,
    /// With --backward: the gradient from what PyTorch's autograd saves instead of from the input — the forward's
    /// output for sigmoid and tanh (`Activation::backward_from_output`), the forward's buffer for log-sigmoid
    /// (`Activation::backward_from_buffer`).
    #[arg(long, requires = "backward")]
    from_output: bool,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    /// f32 (default) or f64.
    #[arg(long, default_value = "f32")]
    dtype: String,
    /// Force an instruction-set level: portable, avx2, avx512 (default: the widest available).
    #[arg(long)]
    simd: Option<String>,
}

fn default_specs() -> Vec<String> {
    let mut v: Vec<String> = CATALOGUE
        .iter()
        .map(|i| if i.name == "threshold" { "threshold:threshold=0.5,value=0".into() } else { i.name.to_string() })
        .collect();
    v.insert(9, "gelu:approximate=tanh".into());
    v
}

/// Median nanoseconds per call of `f`, each sample long enough (≥ 2 ms) to time reliably, after 20 ms of warm-up
/// (an idle vCPU of this VM took milliseconds to run a woken thread, which a 2-thread median of 7 short samples
/// could catch half the time).
fn time_ns(mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed().as_millis() < 20 {
        f();
    }
    let start = Instant::now();
    f();
    let once = start.elapsed().as_nanos().max(1) as f64;
    let reps = ((2e6 / once).ceil() as usize).clamp(1, 100_000);
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_nanos() as f64 / reps as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[3]
}

/// Deterministic inputs spread over the interesting range (|x| up to ~12).
fn inputs<T: nonlin::Float>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            T::from_f64((u - 0.5) * 24.0)
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Pass {
    Forward,
    Backward,
    BackwardFromOutput,
}

/// `v`'s elements starting on a 64-byte boundary, where PyTorch's CPU allocator puts a tensor's data
/// (`posix_memalign` with c10's `gAlignment` of 64), so that both sides of `bench/torch_compare.py` are timed on
/// equally aligned buffers (a `Vec`'s large allocations start 16 bytes into a page, so that every other 32-byte
/// load spans two cache lines).
struct Aligned<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: nonlin::Float> Aligned<T> {
    fn new(v: Vec<T>) -> Aligned<T> {
        let len = v.len();
        let mut storage = vec![T::ZERO; len + 64 / std::mem::size_of::<T>()];
        let start = storage.as_ptr().align_offset(64);
        storage[start..start + len].copy_from_slice(&v);
        Aligned { storage, start, len }
    }
    fn get(&self) -> &[T] {
        &self.storage[self.start..self.start + self.len]
    }
    fn get_mut(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

fn run_one<T: nonlin::Float>(act: &Activation, n: usize, pass: Pass) -> (f64, f64) {
    let (xa, ga, mut ya) =
        (Aligned::new(inputs::<T>(n, 1)), Aligned::new(inputs::<T>(n, 2)), Aligned::new(vec![T::ZERO; n]));
    let (x, g, y) = (xa.get(), ga.get(), ya.get_mut());
    let kernel = if pass == Pass::BackwardFromOutput && *act == Activation::LogSigmoid {
        let (mut out, mut buffer) = (Aligned::new(vec![T::ZERO; n]), Aligned::new(vec![T::ZERO; n]));
        act.forward_with_buffer(x, out.get_mut(), buffer.get_mut()).expect("validated");
        time_ns(|| act.backward_from_buffer(std::hint::black_box(x), buffer.get(), g, y).expect("checked"))
    } else if pass == Pass::BackwardFromOutput {
        let mut out = Aligned::new(vec![T::ZERO; n]);
        act.forward(x, out.get_mut()).expect("validated");
        time_ns(|| act.backward_from_output(std::hint::black_box(out.get()), g, y).expect("checked"))
    } else if pass == Pass::Backward {
        time_ns(|| act.backward(std::hint::black_box(x), g, y).expect("validated"))
    } else {
        time_ns(|| act.forward(std::hint::black_box(x), y).expect("validated"))
    };
    let copy = time_ns(|| y.copy_from_slice(std::hint::black_box(x)));
    (kernel / n as f64, copy / n as f64)
}

pub fn run(args: &BenchArgs) -> Result<(), String> {
    if let Some(level) = &args.simd {
        let l = simd::available().into_iter().find(|l| l.name() == level.as_str()).ok_or_else(|| {
            format!(
                "--simd {level} is not available here (available: {})",
                simd::available().iter().map(|l| l.name()).collect::<Vec<_>>().join(", ")
            )
        })?;
        simd::set_level(Some(l)).map_err(|e| e.to_string())?;
    }
    if let Some(t) = args.threads {
        if t == 0 {
            return Err("--threads must be at least 1".into());
        }
        simd::set_num_threads(t).map_err(|e| e.to_string())?;
    }
    if args.sizes.contains(&0) {
        return Err("--sizes must be positive".into());
    }
    let specs = if args.specs.is_empty() { default_specs() } else { args.specs.clone() };
    let acts = specs
        .iter()
        .map(|s| s.parse::<Activation>().map(|a| (s.clone(), a)).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let f64_mode = match args.dtype.as_str() {
        "f32" | "float32" => false,
        "f64" | "float64" => true,
        d => return Err(format!("--dtype must be f32 or f64, got '{d}'")),
    };
    let pass = match (args.backward, args.from_output) {
        (false, _) => Pass::Forward,
        (true, false) => Pass::Backward,
        (true, true) => {
            let saved = |a: &Activation| matches!(a, Activation::Sigmoid | Activation::Tanh | Activation::LogSigmoid);
            if let Some((spec, _)) = acts.iter().find(|(_, a)| !saved(a)) {
                return Err(format!(
                    "--from-output: only sigmoid and tanh (from the output) and logsigmoid (from its buffer) have \
                     a gradient from what the forward saves, not '{spec}'"
                ));
            }
            Pass::BackwardFromOutput
        }
    };
    let elem = if f64_mode { 8.0 } else { 4.0 };
    let direction = if pass == Pass::Forward { "forward" } else { "backward" };
    // What a backward pass starts from: the input (`backward`), or what the forward saved (`--from-output`): its
    // output, or log-sigmoid's buffer (read with the input: one stream more).
    let from = |act: &Activation| match pass {
        Pass::Forward => (None, 2.0),
        Pass::Backward => (Some("input"), 3.0),
        Pass::BackwardFromOutput if *act == Activation::LogSigmoid => (Some("buffer"), 4.0),
        Pass::BackwardFromOutput => (Some("output"), 3.0),
    };
    if !args.json {
        println!(
            "simd {}, {} thread(s) for ≥ {} elements ({} for the smooth kernels), {}, {direction}{}",
            simd::level().name(),
            simd::num_threads(),
            simd::PARALLEL_THRESHOLD,
            simd::SMOOTH_PARALLEL_THRESHOLD,
            if f64_mode { "f64" } else { "f32" },
            if pass == Pass::BackwardFromOutput { " from the output (log-sigmoid: its buffer)" } else { "" }
        );
        println!("{:34} {:>10} {:>10} {:>9} {:>9} {:>10}", "spec", "size", "Gelem/s", "GB/s", "copy GB/s", "vs copy");
    }
    for (spec, act) in &acts {
        let (gradient_from, streams) = from(act);
        for &n in &args.sizes {
            let (ns, copy_ns) = if f64_mode { run_one::<f64>(act, n, pass) } else { run_one::<f32>(act, n, pass) };
            let gbps = streams * elem / ns;
            let copy_gbps = 2.0 * elem / copy_ns;
            if args.json {
                println!(
                    "{}",
                    json!({
                        "spec": spec, "size": n, "threads": simd::num_threads(), "direction": direction,
                        "dtype": if f64_mode { "f64" } else { "f32" }, "simd": simd::level().name(),
                        "ns_per_elem": ns, "copy_ns_per_elem": copy_ns, "gelem_per_s": 1.0 / ns,
                        "gb_per_s": gbps, "copy_gb_per_s": copy_gbps, "bandwidth_ratio": gbps / copy_gbps,
                        "gradient_from": gradient_from,
                    })
                );
            } else {
                println!(
                    "{spec:34} {n:>10} {:>10.3} {gbps:>9.2} {copy_gbps:>9.2} {:>9.0}%",
                    1.0 / ns,
                    100.0 * gbps / copy_gbps
                );
            }
        }
    }
    Ok(())
}
