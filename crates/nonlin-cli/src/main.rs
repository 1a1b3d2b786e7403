//! `nonlin`: PyTorch's activation functions from the command line.

mod accuracy;
mod bench;
mod eval;
mod experiment;
mod list;
mod npy;
mod plot;
mod plot_util;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Every elementwise activation of torch.nn, with PyTorch's semantics.
#[derive(Parser)]
#[command(name = "nonlin", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply an activation (or its gradient) to numbers or to a .npy file.
    ///
    /// SPEC is `name[:key=value,...]` with PyTorch's names, e.g. `leaky_relu:negative_slope=0.2`,
    /// `gelu:approximate=tanh`, `softplus:beta=2,threshold=5`. `nonlin list` shows them all.
    #[command(allow_negative_numbers = true)]
    Eval(EvalArgs),
    /// Run the tutorial's program (nn.Linear(10, 5), nn.ReLU(), torch.randn(1, 10)) and print exactly what
    /// PyTorch prints for the same seed, then the same output through LeakyReLU.
    Demo {
        /// The seed given to manual_seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Draw activations (and derivatives) as PNG or SVG, by default the tutorial's ReLU figure.
    #[command(allow_negative_numbers = true)]
    Plot(PlotArgs),
    /// Train an MLP on CSV data (PyTorch's loop: DataLoader, mean loss, one step per batch).
    Train(train::TrainArgs),
    /// Find dead units and collapse in a trained model on a data set.
    Inspect(train::InspectArgs),
    /// Measure the dying-ReLU problem and write an HTML report with figures and results.json.
    Experiment {
        #[command(subcommand)]
        which: ExperimentKind,
    },
    /// Measure the float32 kernels' error in ULPs against the f64 reference.
    Accuracy(accuracy::AccuracyArgs),
    /// Time kernels (forward or backward) against a plain copy of the same buffers.
    Bench(bench::BenchArgs),
    /// List every activation: name, PyTorch class, parameters, formula and derivative.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// The activation, e.g. `relu` or `leaky_relu:negative_slope=0.2`.
    spec: String,
    /// Numbers to evaluate (instead of --input); one result per line.
    values: Vec<String>,
    /// Input array: a .npy file of float32 ('<f4') or float64 ('<f8'), any shape, C order.
    #[arg(long, value_name = "X.npy", requires = "output", conflicts_with = "values")]
    input: Option<PathBuf>,
    /// Where to write the result (same dtype and shape as the input); parent directories are created.
    #[arg(long, value_name = "Y.npy", requires = "input")]
    output: Option<PathBuf>,
    /// Upstream gradient (same shape and dtype as the input): write the gradient with respect to the input.
    #[arg(long, value_name = "GY.npy", requires = "input")]
    grad_output: Option<PathBuf>,
    /// With numbers: print the derivative f'(x) instead of f(x).
    #[arg(long, conflicts_with = "input")]
    derivative: bool,
    /// With numbers: compute in this precision.
    #[arg(long, value_enum, default_value = "f64", conflicts_with = "input")]
    dtype: eval::Dtype,
}

#[derive(Subcommand)]
enum ExperimentKind {
    /// Born dead at initialization, dying during training, vanishing gradients.
    DyingRelu {
        /// Output directory (created).
        #[arg(long, default_value = "dying-relu-report")]
        out: PathBuf,
        /// Fewer trials, seeds and epochs (under a minute).
        #[arg(long)]
        quick: bool,
        /// The digits CSV (default: data/digits.csv of this repository).
        #[arg(long, value_name = "FILE.csv")]
        data: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct PlotArgs {
    /// Activations to overlay, e.g. `relu leaky_relu:negative_slope=0.1 elu gelu`.
    specs: Vec<String>,
    /// Output file, .png or .svg (with --gallery: a directory); parent directories are created.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also draw each derivative (dashed, same colour).
    #[arg(long)]
    derivative: bool,
    /// Draw only the derivatives.
    #[arg(long, conflicts_with = "derivative")]
    only_derivative: bool,
    /// x range as lo:hi (write --range=-5:5).
    #[arg(long, allow_hyphen_values = true)]
    range: Option<String>,
    /// y limits as lo:hi (default: fit the data with 5% margins).
    #[arg(long, allow_hyphen_values = true)]
    ylim: Option<String>,
    /// Figure title (default: "<Class> Function").
    #[arg(long)]
    title: Option<String>,
    /// x-axis label.
    #[arg(long)]
    xlabel: Option<String>,
    /// y-axis label.
    #[arg(long)]
    ylabel: Option<String>,
    /// Width in pixels.
    #[arg(long, default_value_t = 640)]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 480)]
    height: u32,
    /// Evenly spaced samples per curve (every kink is added exactly).
    #[arg(long, default_value_t = 1001)]
    samples: usize,
    /// No grid.
    #[arg(long)]
    no_grid: bool,
    /// No legend.
    #[arg(long)]
    no_legend: bool,
    /// One curve per value of one parameter: `leaky_relu:negative_slope=0.01,0.1,0.3`.
    #[arg(long)]
    sweep: Option<String>,
    /// Write one figure per activation (function and derivative) and an index.html into the --out directory.
    #[arg(long)]
    gallery: bool,
}

/// Writing to a closed pipe (`nonlin bench | head -1`) ends the process quietly, as it does `cat` and `ls`: Rust
/// ignores SIGPIPE, so without this every `println!` after the reader has gone would panic.
#[cfg(unix)]
fn die_on_closed_pipe() {
    // SAFETY: called first in `main`, before any other thread exists; SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    #[cfg(unix)]
    die_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message is its first paragraph (it may continue on indented lines); keep it on one line.
            let text = e.render().to_string();
            let paragraph: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            let message = paragraph.join(" ");
            eprintln!("nonlin: error: {} (see `nonlin --help`)", message.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Eval(args) => eval::run(&args),
        Command::List { json } => list::run(json),
        Command::Plot(args) => plot::run(&args),
        Command::Train(args) => train::train(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Accuracy(args) => accuracy::run(&args),
        Command::Experiment { which: ExperimentKind::DyingRelu { out, quick, data } } => {
            let data =
                data.unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.csv")));
            experiment::run(&out, quick, &data)
        }
        Command::Inspect(args) => train::inspect_cmd(&args),
        Command::Demo { seed } => {
            nonlin_nn::demo::tutorial(seed).map(|text| print!("{text}")).map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nonlin: error: {message}");
            ExitCode::from(2)
        }
    }
}
