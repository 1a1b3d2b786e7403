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
    /// Time on request, for `bench/torch_compare.py`, which alternates samples of the two sides: for each spec and
    /// size in turn, warm up and print `ready SPEC SIZE`, then answer each `sample` line on stdin with the
    /// nanoseconds per call of one timed sample (≥ 2 ms of calls), until `next` (or the end of the input).
    #[arg(long, conflicts_with = "json")]
    serve: bool,
}

fn default_specs() -> Vec<String> {
    let mut v: Vec<String> = CATALOGUE
        .iter()
        .map(|i| if i.name == "threshold" { "threshold:threshold=0.5,value=0".into() } else { i.name.to_string() })
        .collect();
    v.insert(9, "gelu:approximate=tanh".into());
    v
}

/// How a kernel is timed: by itself (the median of seven samples), or one sample per request ([`serve`]).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Median,
    Serve,
}

/// The number of calls of `f` in one sample (≥ 2 ms, long enough to time reliably), after 20 ms of warm-up (an
/// idle vCPU of this VM took milliseconds to run a woken thread, which a 2-thread median of 7 short samples could
/// catch half the time).
fn warm_up(f: &mut impl FnMut()) -> usize {
    let warm = Instant::now();
    while warm.elapsed().as_millis() < 20 {
        f();
    }
    let start = Instant::now();
    f();
    let once = start.elapsed().as_nanos().max(1) as f64;
    ((2e6 / once).ceil() as usize).clamp(1, 100_000)
}

/// Nanoseconds per call over `reps` calls of `f`.
fn sample(f: &mut impl FnMut(), reps: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_nanos() as f64 / reps as f64
}

/// Median nanoseconds per call of `f` over seven samples ([`warm_up`]).
fn time_ns(mut f: impl FnMut()) -> f64 {
    let reps = warm_up(&mut f);
    let mut samples: Vec<f64> = (0..7).map(|_| sample(&mut f, reps)).collect();
    samples.sort_by(f64::total_cmp);
    samples[3]
}

/// `--serve`: after [`warm_up`], prints `ready SPEC SIZE` and answers each `sample` request on stdin with one
/// sample's nanoseconds per call, until `next`. `Ok(false)` at the end of the input (nothing more is wanted).
fn serve(mut f: impl FnMut(), spec: &str, n: usize) -> Result<bool, String> {
    use std::io::{BufRead, Write};
    let reps = warm_up(&mut f);
    let reply = |line: String| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| format!("--serve: cannot write: {e}"))
    };
    reply(format!("ready {spec} {n}"))?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("--serve: cannot read stdin: {e}"))?;
        match line.trim() {
            "sample" => reply(format!("{}", sample(&mut f, reps)))?,
            "next" => return Ok(true),
            other => return Err(format!("--serve: expected 'sample' or 'next' on stdin, got '{other}'")),
        }
    }
    Ok(false)
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

/// What [`run_one`] did: timed the kernel and a copy (nanoseconds per element), or served requests ([`serve`];
/// `more: false` once the input ended).
enum Timing {
    Measured { kernel: f64, copy: f64 },
    Served { more: bool },
}

/// The kernel's median ([`time_ns`]), or its samples on request ([`serve`]).
fn time<F: FnMut()>(f: F, mode: Mode, spec: &str, n: usize) -> Result<Timing, String> {
    match mode {
        Mode::Median => Ok(Timing::Measured { kernel: time_ns(f), copy: f64::NAN }),
        Mode::Serve => serve(f, spec, n).map(|more| Timing::Served { more }),
    }
}

fn run_one<T: nonlin::Float>(spec: &str, act: &Activation, n: usize, pass: Pass, mode: Mode) -> Result<Timing, String> {
    let (xa, ga, mut ya) =
        (Aligned::new(inputs::<T>(n, 1)), Aligned::new(inputs::<T>(n, 2)), Aligned::new(vec![T::ZERO; n]));
    let (x, g, y) = (xa.get(), ga.get(), ya.get_mut());
    let timing = if pass == Pass::BackwardFromOutput && *act == Activation::LogSigmoid {
        let (mut out, mut buffer) = (Aligned::new(vec![T::ZERO; n]), Aligned::new(vec![T::ZERO; n]));
        act.forward_with_buffer(x, out.get_mut(), buffer.get_mut()).expect("validated");
        let f = || act.backward_from_buffer(std::hint::black_box(x), buffer.get(), g, y).expect("checked");
        time(f, mode, spec, n)
    } else if pass == Pass::BackwardFromOutput {
        let mut out = Aligned::new(vec![T::ZERO; n]);
        act.forward(x, out.get_mut()).expect("validated");
        time(|| act.backward_from_output(std::hint::black_box(out.get()), g, y).expect("checked"), mode, spec, n)
    } else if pass == Pass::Backward {
        time(|| act.backward(std::hint::black_box(x), g, y).expect("validated"), mode, spec, n)
    } else {
        time(|| act.forward(std::hint::black_box(x), y).expect("validated"), mode, spec, n)
    }?;
    Ok(match timing {
        Timing::Measured { kernel, .. } => {
            let copy = time_ns(|| y.copy_from_slice(std::hint::black_box(x)));
            Timing::Measured { kernel: kernel / n as f64, copy: copy / n as f64 }
        }
        served => served,
    })
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
    if !args.json && !args.serve {
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
    let mode = if args.serve { Mode::Serve } else { Mode::Median };
    for (spec, act) in &acts {
        let (gradient_from, streams) = from(act);
        for &n in &args.sizes {
            let timing = if f64_mode {
                run_one::<f64>(spec, act, n, pass, mode)?
            } else {
                run_one::<f32>(spec, act, n, pass, mode)?
            };
            let (ns, copy_ns) = match timing {
                Timing::Measured { kernel, copy } => (kernel, copy),
                Timing::Served { more: true } => continue,
                Timing::Served { more: false } => return Ok(()),
            };
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
