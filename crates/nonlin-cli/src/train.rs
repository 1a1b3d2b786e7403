//! `nonlin train` and `nonlin inspect`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use nonlin_nn::arch::Arch;
use nonlin_nn::data::Dataset;
use nonlin_nn::diagnostics::{Inspection, inspect};
use nonlin_nn::nn::Sequential;
use nonlin_nn::train::{EpochMetrics, LossKind, OptimizerSpec, TrainConfig, fit};
use nonlin_nn::{Module, io, rng};
use serde_json::json;

use crate::plot_util::{line_figure, write_atomic};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Training data: CSV with a header row, numeric cells.
    #[arg(long, value_name = "FILE.csv")]
    data: PathBuf,
    /// Architecture, e.g. "linear:128 relu linear:128 relu linear:10".
    #[arg(long)]
    arch: String,
    /// Target column (default: the last).
    #[arg(long)]
    target: Option<String>,
    /// cross_entropy (class ids 0..C−1), mse or bce_with_logits.
    #[arg(long, default_value = "cross_entropy")]
    loss: String,
    /// sgd:lr=0.1,momentum=0.9 | adam:lr=0.001 | adamw:lr=0.001,weight_decay=0.01.
    #[arg(long, default_value = "adam:lr=0.001")]
    optimizer: String,
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Consecutive batches in file order (the last one partial).
    #[arg(long)]
    no_shuffle: bool,
    /// Seed for initialisation and shuffling (torch.manual_seed).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Initial weights (safetensors, PyTorch names) instead of the seeded initialisation.
    #[arg(long, value_name = "FILE.safetensors")]
    init: Option<PathBuf>,
    /// Where to save the trained weights (safetensors, with the architecture in its metadata).
    #[arg(long, value_name = "FILE.safetensors")]
    save: Option<PathBuf>,
    /// One CSV row per epoch: epoch, loss, accuracy, dead fraction per activation layer.
    #[arg(long, value_name = "FILE.csv")]
    metrics: Option<PathBuf>,
    /// Write figures of the run and a report.html into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct InspectArgs {
    /// Trained weights (safetensors).
    #[arg(long, value_name = "FILE.safetensors")]
    model: PathBuf,
    /// Architecture (needed when the file has none in its metadata, e.g. one PyTorch wrote).
    #[arg(long)]
    arch: Option<String>,
    /// Data to run through the model (CSV; the target column is ignored).
    #[arg(long, value_name = "FILE.csv")]
    data: PathBuf,
    /// Target column to leave out (default: the last).
    #[arg(long)]
    target: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn e(err: impl std::fmt::Display) -> String {
    err.to_string()
}

/// Builds the model for `arch` on `data` and, if given, loads `weights` into it.
pub fn model_for(arch: &Arch, data: &Dataset, weights: Option<&Path>) -> Result<Sequential, String> {
    let model = arch.build(data.num_features()).map_err(e)?;
    if let Some(path) = weights {
        let (tensors, _) = io::load_safetensors(path).map_err(e)?;
        model.load_state_dict(&tensors).map_err(|err| format!("{}: {err}", path.display()))?;
    }
    Ok(model)
}

pub fn train(args: &TrainArgs) -> Result<(), String> {
    let loss: LossKind = args.loss.parse().map_err(e)?;
    let optimizer: OptimizerSpec = args.optimizer.parse().map_err(e)?;
    let arch: Arch = args.arch.parse().map_err(e)?;
    if args.epochs == 0 || args.batch_size == 0 {
        return Err("--epochs and --batch-size must be at least 1".into());
    }
    let data = Dataset::read_csv(&args.data, args.target.as_deref()).map_err(e)?;
    if loss == LossKind::CrossEntropy {
        data.class_targets(arch.out_features(data.num_features()))
            .map_err(|r| format!("{}: {r}", args.data.display()))?;
    }
    rng::manual_seed(args.seed);
    let mut model = model_for(&arch, &data, args.init.as_deref())?;
    let config =
        TrainConfig { loss, optimizer, epochs: args.epochs, batch_size: args.batch_size, shuffle: !args.no_shuffle };
    let interactive = std::io::stderr().is_terminal();
    let bar = interactive.then(|| {
        let total = (args.epochs * data.len().div_ceil(args.batch_size)) as u64;
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} batches, epoch {msg} [{elapsed_precise}<{eta_precise}]",
            )
            .expect("template"),
        );
        b
    });
    let history = fit(
        &mut model,
        &data,
        &config,
        |epoch, _, _| {
            if let Some(b) = &bar {
                b.set_message(epoch.to_string());
                b.inc(1);
            }
        },
        |m| {
            let line = epoch_line(m);
            match &bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        },
    )
    .map_err(e)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let layer_indices: Vec<usize> =
        inspect(&model, &data.batch(&[0])).map_err(e)?.layers.iter().map(|l| l.index).collect();
    if let Some(path) = &args.metrics {
        write_atomic(path, metrics_csv(&history, &layer_indices).as_bytes())?;
    }
    if let Some(path) = &args.save {
        let metadata =
            BTreeMap::from([("format".to_string(), "pt".to_string()), ("arch".to_string(), arch.to_string())]);
        io::save_safetensors(path, &model.state_dict(), &metadata).map_err(e)?;
    }
    if let Some(dir) = &args.report {
        report(dir, &args.arch, &history, &layer_indices)?;
    }
    Ok(())
}

fn epoch_line(m: &EpochMetrics) -> String {
    let acc = m.accuracy.map(|a| format!(", accuracy {:.4}", a)).unwrap_or_default();
    let dead: Vec<String> = m.dead_fractions.iter().map(|d| format!("{:.3}", d)).collect();
    format!("epoch {}: loss {:.6}{acc}, dead fraction per activation layer [{}]", m.epoch, m.loss, dead.join(", "))
}

fn metrics_csv(history: &[EpochMetrics], layers: &[usize]) -> String {
    let mut out = String::from("epoch,loss,accuracy");
    for i in layers {
        out += &format!(",dead_fraction_{i}");
    }
    out.push('\n');
    for m in history {
        out += &format!("{},{},{}", m.epoch, m.loss, m.accuracy.map(|a| a.to_string()).unwrap_or_default());
        for d in &m.dead_fractions {
            out += &format!(",{d}");
        }
        out.push('\n');
    }
    out
}

fn report(dir: &Path, arch: &str, history: &[EpochMetrics], layers: &[usize]) -> Result<(), String> {
    let epochs: Vec<f64> = history.iter().map(|m| m.epoch as f64).collect();
    let loss = line_figure(
        "Training loss",
        "Epoch",
        "Mean batch loss",
        &[("loss".into(), epochs.iter().copied().zip(history.iter().map(|m| m.loss)).collect())],
        false,
    );
    write_atomic(&dir.join("loss.png"), &loss.to_png())?;
    let mut figures = vec!["loss.png"];
    if history.iter().all(|m| m.accuracy.is_some()) {
        let acc = line_figure(
            "Training accuracy",
            "Epoch",
            "Accuracy",
            &[(
                "accuracy".into(),
                epochs.iter().copied().zip(history.iter().map(|m| m.accuracy.unwrap_or(0.0))).collect(),
            )],
            false,
        );
        write_atomic(&dir.join("accuracy.png"), &acc.to_png())?;
        figures.push("accuracy.png");
    }
    let dead_series: Vec<(String, Vec<(f64, f64)>)> = layers
        .iter()
        .enumerate()
        .map(|(k, i)| {
            (format!("layer {i}"), epochs.iter().copied().zip(history.iter().map(|m| m.dead_fractions[k])).collect())
        })
        .collect();
    if !dead_series.is_empty() {
        let dead =
            line_figure("Dead units per activation layer", "Epoch", "Fraction of units dead", &dead_series, false);
        write_atomic(&dir.join("dead_fraction.png"), &dead.to_png())?;
        figures.push("dead_fraction.png");
    }
    let imgs: String = figures.iter().map(|f| format!("<img src=\"{f}\" width=\"560\">\n")).collect();
    let last = history.last().map(epoch_line).unwrap_or_default();
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>nonlin train</title></head><body>\n<h1>Training run</h1>\n\
         <p>Architecture: <code>{arch}</code>. Final {last}.</p>\n{imgs}</body></html>\n"
    );
    write_atomic(&dir.join("report.html"), html.as_bytes())
}

pub fn inspect_cmd(args: &InspectArgs) -> Result<(), String> {
    let (tensors, metadata) = io::load_safetensors(&args.model).map_err(e)?;
    let arch_text = match (&args.arch, metadata.get("arch")) {
        (Some(a), _) => a.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) => {
            return Err(format!("{} has no architecture in its metadata: pass --arch", args.model.display()));
        }
    };
    let arch: Arch = arch_text.parse().map_err(e)?;
    let data = Dataset::read_csv(&args.data, args.target.as_deref()).map_err(e)?;
    let mut model = arch.build(data.num_features()).map_err(e)?;
    model.load_state_dict(&tensors).map_err(|err| format!("{}: {err}", args.model.display()))?;
    model.eval();
    let report = inspect(&model, &data.all()).map_err(e)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inspection_json(&report)).expect("plain values"));
    } else {
        print!("{}", inspection_text(&report));
    }
    Ok(())
}

pub fn inspection_json(r: &Inspection) -> serde_json::Value {
    json!({
        "samples": r.samples,
        "collapsed": r.collapsed,
        "layers": r.layers.iter().map(|l| json!({
            "index": l.index,
            "activation": l.activation,
            "units": l.units,
            "dead": l.dead,
            "dead_indices": l.dead_indices,
            "zero_fraction": l.zero_fraction,
            "pre_activation": {
                "mean": l.pre_mean, "std": l.pre_std, "min": l.pre_min, "max": l.pre_max,
                "positive_fraction": l.pre_positive_fraction,
            },
        })).collect::<Vec<_>>(),
    })
}

fn inspection_text(r: &Inspection) -> String {
    let mut out = format!("{} samples\n", r.samples);
    for l in &r.layers {
        let shown: Vec<String> = l.dead_indices.iter().take(20).map(|i| i.to_string()).collect();
        let more = if l.dead_indices.len() > 20 { ", …" } else { "" };
        out += &format!(
            "layer {} {}: {} units, {} dead ({:.1}%){}; outputs exactly 0: {:.1}%; pre-activation mean {:.4}, std {:.4}, min {:.4}, max {:.4}, > 0: {:.1}%\n",
            l.index,
            l.activation,
            l.units,
            l.dead,
            100.0 * l.dead as f64 / l.units.max(1) as f64,
            if l.dead > 0 { format!(" [{}{more}]", shown.join(", ")) } else { String::new() },
            100.0 * l.zero_fraction,
            l.pre_mean,
            l.pre_std,
            l.pre_min,
            l.pre_max,
            100.0 * l.pre_positive_fraction
        );
    }
    out += &format!("collapsed (same output for every sample): {}\n", if r.collapsed { "yes" } else { "no" });
    out
}
