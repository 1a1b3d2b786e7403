//! `nonlin experiment dying-relu`: three measurements of the dying-ReLU problem, written as an HTML report with
//! figures and a `results.json` holding every number.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use nonlin::Activation;
use nonlin_nn::Module;
use nonlin_nn::arch::Arch;
use nonlin_nn::data::Dataset;
use nonlin_nn::loss::{self, Reduction};
use nonlin_nn::rng::{self, Generator};
use nonlin_nn::train::{EpochMetrics, LossKind, OptimizerSpec, TrainConfig, fit};
use nonlin_plot::{Color, Figure, Series, TAB10};
use serde_json::{Value, json};

use crate::plot_util::{line_figure, write_atomic};

/// Initialisation of the born-dead networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// Symmetric He-normal weights N(0, 2/fan_in), zero biases.
    He,
    /// Randomized asymmetric initialization (Lu et al.): per unit, one of its weights or its bias is drawn
    /// from Beta(2, 1), the rest from N(0, 0.6007²/fan_in).
    Rai,
}

impl Init {
    fn name(self) -> &'static str {
        match self {
            Init::He => "he_normal",
            Init::Rai => "randomized_asymmetric",
        }
    }
}

/// Is a random 1-D network of `depth` weight layers (`depth − 1` hidden layers of `width` units) constant on
/// [−1, 1]? Evaluated on 201 evenly spaced inputs.
pub fn collapsed_trial(g: &mut Generator, act: &Activation, init: Init, width: usize, depth: usize) -> bool {
    const POINTS: usize = 201;
    let mut h: Vec<Vec<f64>> = (0..POINTS).map(|i| vec![-1.0 + 2.0 * i as f64 / (POINTS - 1) as f64]).collect();
    for layer in 0..depth {
        let fan_in = h[0].len();
        let fan_out = if layer + 1 == depth { 1 } else { width };
        let hidden = layer + 1 < depth;
        // Row-major weights (fan_out × fan_in) followed by the biases.
        let mut w = vec![0.0f64; fan_out * fan_in];
        let mut b = vec![0.0f64; fan_out];
        match init {
            Init::Rai if hidden => {
                let sigma = 0.6007 / (fan_in as f64).sqrt();
                g.fill_normal(&mut w, 0.0, sigma);
                g.fill_normal(&mut b, 0.0, sigma);
                for u in 0..fan_out {
                    let k = (g.random64() % (fan_in as u64 + 1)) as usize;
                    let beta = g.uniform(0.0f64, 1.0).sqrt(); // Beta(2, 1) by inversion: F(x) = x²
                    if k == fan_in { b[u] = beta } else { w[u * fan_in + k] = beta }
                }
            }
            _ => g.fill_normal(&mut w, 0.0, (2.0 / fan_in as f64).sqrt()),
        }
        for row in h.iter_mut() {
            let mut next: Vec<f64> =
                (0..fan_out).map(|u| b[u] + (0..fan_in).map(|k| w[u * fan_in + k] * row[k]).sum::<f64>()).collect();
            if hidden {
                next.iter_mut().for_each(|v| *v = act.eval(*v).expect("validated"));
            }
            *row = next;
        }
    }
    // Constant: every output equal to the first, relative to the outputs' own scale (a Leaky ReLU network's
    // outputs can be tiny after many layers, yet they still vary).
    let first = h[0][0];
    let scale = h.iter().fold(0.0f64, |m, r| m.max(r[0].abs()));
    h.iter().all(|r| (r[0] - first).abs() <= 1e-9 * scale)
}

/// The bounds 1 − 2(1 − 2^−N)^(L−1) ≤ P ≤ 1 − (1 − 2^−N)^(L−1) for ReLU with symmetric initialization.
pub fn born_dead_bounds(width: usize, depth: usize) -> (f64, f64) {
    let q = (1.0 - 0.5f64.powi(width as i32)).powi(depth as i32 - 1);
    ((1.0 - 2.0 * q).max(0.0), 1.0 - q)
}

pub const WIDTHS: [usize; 5] = [2, 3, 4, 5, 10];
pub const DEPTHS: [usize; 6] = [2, 5, 10, 20, 30, 50];

struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        Progress((!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]")
                    .expect("template"),
            );
            b
        }))
    }
    fn step(&self, msg: &str) {
        if let Some(b) = &self.0 {
            b.set_message(msg.to_string());
            b.inc(1);
        }
    }
    fn say(&self, line: String) {
        match &self.0 {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

fn born_dead(trials: usize, seed: u64, progress: &Progress) -> Vec<Value> {
    let variants = [("relu", Init::He), ("relu", Init::Rai), ("leaky_relu", Init::He)];
    let mut rows = Vec::new();
    for (v, (name, init)) in variants.iter().enumerate() {
        let act: Activation = name.parse().expect("known activation");
        for &width in &WIDTHS {
            for &depth in &DEPTHS {
                let mut g = Generator::new(seed + (v * 1000 + width * 100 + depth) as u64);
                let hits = (0..trials).filter(|_| collapsed_trial(&mut g, &act, *init, width, depth)).count();
                let (lo, hi) = born_dead_bounds(width, depth);
                rows.push(json!({
                    "activation": name, "init": init.name(), "width": width, "depth": depth, "trials": trials,
                    "probability": hits as f64 / trials as f64, "lower_bound": lo, "upper_bound": hi,
                }));
                progress.step("born dead");
            }
        }
    }
    rows
}

pub const TRAIN_ACTIVATIONS: [&str; 5] = ["relu", "leaky_relu:negative_slope=0.01", "prelu", "elu", "gelu"];
pub const LEARNING_RATES: [(&str, f64); 2] = [("normal", 0.005), ("aggressive", 0.02)];

fn arch_for(act: &str) -> String {
    format!("linear:128 {act} linear:128 {act} linear:10")
}

fn dying_in_training(data: &Dataset, seeds: usize, epochs: usize, progress: &Progress) -> Result<Vec<Value>, String> {
    let mut rows = Vec::new();
    for act in TRAIN_ACTIVATIONS {
        let arch: Arch = arch_for(act).parse().map_err(|e: nonlin_nn::Error| e.to_string())?;
        for (lr_name, lr) in LEARNING_RATES {
            for seed in 0..seeds as u64 {
                rng::manual_seed(seed);
                let mut model = arch.build(data.num_features()).map_err(|e| e.to_string())?;
                let config = TrainConfig {
                    loss: LossKind::CrossEntropy,
                    optimizer: OptimizerSpec::Sgd(nonlin_nn::optim::SgdConfig {
                        momentum: 0.9,
                        ..nonlin_nn::optim::SgdConfig::new(lr)
                    }),
                    epochs,
                    batch_size: 32,
                    shuffle: true,
                };
                let history: Vec<EpochMetrics> =
                    fit(&mut model, data, &config, |_, _, _| {}, |_| progress.step("training"))
                        .map_err(|e| e.to_string())?;
                for m in history {
                    rows.push(json!({
                        "activation": act, "learning_rate": lr, "setting": lr_name, "seed": seed, "epoch": m.epoch,
                        "loss": m.loss, "accuracy": m.accuracy, "dead_fraction": m.dead_fractions,
                    }));
                }
            }
        }
    }
    Ok(rows)
}

pub const DEEP_ACTIVATIONS: [&str; 5] = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"];

/// Gradient norm of each Linear weight of a 20-layer, width-64 MLP at He initialization (Kaiming-normal for ReLU,
/// zero biases — the initialization under which ReLU keeps signals at a constant scale), after one backward pass of
/// the cross-entropy on the whole data set.
fn vanishing(data: &Dataset, seed: u64) -> Result<Vec<Value>, String> {
    let x = data.all();
    let classes = data.class_targets(10)?;
    let mut rows = Vec::new();
    for act in DEEP_ACTIVATIONS {
        let mut spec = String::new();
        for _ in 0..19 {
            let _ = write!(spec, "linear:64 {act} ");
        }
        spec.push_str("linear:10");
        let arch: Arch = spec.parse().map_err(|e: nonlin_nn::Error| e.to_string())?;
        rng::manual_seed(seed);
        let model = arch.build(data.num_features()).map_err(|e| e.to_string())?;
        for (name, p) in model.named_parameters() {
            if name.ends_with(".weight") {
                nonlin_nn::init::kaiming_normal_(&p, 0.0, nonlin_nn::init::FanMode::FanIn, "relu")
                    .map_err(|e| e.to_string())?;
            } else {
                nonlin_nn::init::zeros_(&p);
            }
        }
        let l = loss::cross_entropy(&model.forward(&x).map_err(|e| e.to_string())?, &classes, Reduction::Mean)
            .map_err(|e| e.to_string())?;
        l.backward().map_err(|e| e.to_string())?;
        let mut layer = 0;
        for (name, p) in model.named_parameters() {
            if name.ends_with(".weight") {
                layer += 1;
                let g = p.grad().map(|g| g.to_vec()).unwrap_or_default();
                let norm = g.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
                rows.push(json!({"activation": act, "layer": layer, "parameter": name, "grad_norm": norm}));
            }
        }
    }
    Ok(rows)
}

/// A curve; non-finite values (a diverged run) break it.
fn series(label: String, points: Vec<(f64, f64)>, i: usize, dashed: bool) -> Series {
    let mut segments = vec![Vec::new()];
    for p in points {
        if p.1.is_finite() {
            segments.last_mut().expect("one").push(p);
        } else if !segments.last().expect("one").is_empty() {
            segments.push(Vec::new());
        }
    }
    segments.retain(|s| !s.is_empty());
    Series { label, segments, color: Color::hex(TAB10[i % TAB10.len()]), dashed, width_pt: 1.5 }
}

/// A number from the results (JSON null, written for NaN, reads back as NaN).
fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn mean_by_epoch(rows: &[Value], act: &str, setting: &str, key: impl Fn(&Value) -> f64) -> Vec<(f64, f64)> {
    let mut sums: Vec<(f64, f64, usize)> = Vec::new();
    for r in rows.iter().filter(|r| r["activation"] == act && r["setting"] == setting) {
        let e = r["epoch"].as_u64().unwrap_or(0) as usize;
        if sums.len() < e {
            sums.resize(e, (0.0, 0.0, 0));
        }
        let s = &mut sums[e - 1];
        s.0 = e as f64;
        s.1 += key(r);
        s.2 += 1;
    }
    sums.into_iter().filter(|s| s.2 > 0).map(|s| (s.0, s.1 / s.2 as f64)).collect()
}

fn short(act: &str) -> String {
    let a: Activation = act.parse().expect("known");
    nonlin_plot::label(&a)
}

/// Runs the experiment and writes `report.html`, its figures and `results.json` into `dir`.
pub fn run(dir: &Path, quick: bool, data_path: &Path) -> Result<(), String> {
    let data = Dataset::read_csv(data_path, None).map_err(|e| e.to_string())?;
    let (trials, seeds, epochs) = if quick { (100, 1, 3) } else { (1000, 3, 20) };
    let total =
        (3 * WIDTHS.len() * DEPTHS.len() + TRAIN_ACTIVATIONS.len() * LEARNING_RATES.len() * seeds * epochs) as u64;
    let progress = Progress::new(total, quick);
    progress.say(format!("1/3 born dead: {trials} trials per cell"));
    let born = born_dead(trials, 7, &progress);
    progress.say(format!(
        "2/3 dying during training: {} activations × {} learning rates × {seeds} seeds × {epochs} epochs",
        TRAIN_ACTIVATIONS.len(),
        LEARNING_RATES.len()
    ));
    let training = dying_in_training(&data, seeds, epochs, &progress)?;
    progress.say("3/3 vanishing gradients at initialization".into());
    let grads = vanishing(&data, 0)?;
    drop(progress);

    // Figures.
    let mut figs = Vec::new();
    for (init_name, act, title) in [
        ("he_normal", "relu", "Born dead: ReLU, He-normal init, zero biases"),
        ("randomized_asymmetric", "relu", "Born dead: ReLU, randomized asymmetric init"),
    ] {
        let mut s = Vec::new();
        for (i, &w) in WIDTHS.iter().enumerate() {
            let pts: Vec<(f64, f64)> = born
                .iter()
                .filter(|r| r["init"] == init_name && r["activation"] == act && r["width"] == w)
                .map(|r| (r["depth"].as_f64().unwrap_or(0.0), r["probability"].as_f64().unwrap_or(0.0)))
                .collect();
            s.push(series(format!("width {w}"), pts.clone(), i, false));
            if init_name == "he_normal" {
                let ub: Vec<(f64, f64)> = DEPTHS.iter().map(|&d| (d as f64, born_dead_bounds(w, d).1)).collect();
                s.push(Series { label: format!("width {w} upper bound"), ..series(String::new(), ub, i, true) });
            }
        }
        let fig = Figure {
            title: Some(title.into()),
            xlabel: Some("Depth L (weight layers)".into()),
            ylabel: Some("P(network is constant on [−1, 1])".into()),
            series: s,
            ylim: Some((-0.02, 1.02)),
            ..Figure::default()
        };
        let file = format!("born_dead_{init_name}.png");
        write_atomic(&dir.join(&file), &fig.to_png())?;
        figs.push(file);
    }
    for (setting, _) in LEARNING_RATES {
        let mut s = Vec::new();
        for (i, act) in TRAIN_ACTIVATIONS.iter().enumerate() {
            for (layer, dashed) in [(0usize, false), (1, true)] {
                let pts = mean_by_epoch(&training, act, setting, |r| num(&r["dead_fraction"][layer]));
                s.push(series(format!("{} layer {}", short(act), 2 * layer + 1), pts, i, dashed));
            }
        }
        let lr = LEARNING_RATES.iter().find(|l| l.0 == setting).map_or(0.0, |l| l.1);
        let fig = Figure {
            title: Some(format!("Dead units during training, SGD lr={lr}")),
            xlabel: Some("Epoch".into()),
            ylabel: Some("Fraction of units dead".into()),
            series: s
                .into_iter()
                .map(|mut s| {
                    s.segments.iter_mut().for_each(|seg| seg.iter_mut().for_each(|p| p.1 = p.1.max(0.0)));
                    s
                })
                .collect(),
            ylim: Some((-0.02, 1.02)),
            ..Figure::default()
        };
        let file = format!("dead_fraction_{setting}.png");
        write_atomic(&dir.join(&file), &fig.to_png())?;
        figs.push(file);
        let acc: Vec<(String, Vec<(f64, f64)>)> = TRAIN_ACTIVATIONS
            .iter()
            .map(|a| (short(a), mean_by_epoch(&training, a, setting, |r| num(&r["accuracy"]))))
            .collect();
        let file = format!("accuracy_{setting}.png");
        write_atomic(
            &dir.join(&file),
            &line_figure(&format!("Training accuracy, SGD lr={lr}"), "Epoch", "Accuracy", &acc, false).to_png(),
        )?;
        figs.push(file);
        let losses: Vec<(String, Vec<(f64, f64)>)> = TRAIN_ACTIVATIONS
            .iter()
            .map(|a| (short(a), mean_by_epoch(&training, a, setting, |r| num(&r["loss"]))))
            .collect();
        let file = format!("loss_{setting}.png");
        write_atomic(
            &dir.join(&file),
            &line_figure(&format!("Training loss, SGD lr={lr}"), "Epoch", "Mean batch loss", &losses, false).to_png(),
        )?;
        figs.push(file);
    }
    let grad_series: Vec<(String, Vec<(f64, f64)>)> = DEEP_ACTIVATIONS
        .iter()
        .map(|a| {
            (
                short(a),
                grads
                    .iter()
                    .filter(|r| r["activation"] == *a)
                    .map(|r| (r["layer"].as_f64().unwrap_or(0.0), r["grad_norm"].as_f64().unwrap_or(0.0)))
                    .collect(),
            )
        })
        .collect();
    write_atomic(
        &dir.join("vanishing_gradients.png"),
        &line_figure(
            "Gradient norm per layer at initialization (20 layers)",
            "Layer (1 = nearest the input)",
            "‖∂loss/∂W‖",
            &grad_series,
            true,
        )
        .to_png(),
    )?;
    figs.push("vanishing_gradients.png".into());

    let results = json!({
        "generator": "nonlin experiment dying-relu",
        "quick": quick,
        "born_dead": born,
        "training": training,
        "vanishing_gradients": grads,
    });
    write_atomic(&dir.join("results.json"), serde_json::to_string_pretty(&results).expect("plain values").as_bytes())?;
    write_atomic(&dir.join("report.html"), html(&results, trials, seeds, epochs).as_bytes())?;
    eprintln!("wrote report.html, {} figures and results.json to {}", figs.len(), dir.display());
    Ok(())
}

/// Mean final dead fraction of layer 1 for one activation and setting.
fn final_dead(training: &[Value], act: &str, setting: &str, epochs: usize) -> f64 {
    let last: Vec<f64> = training
        .iter()
        .filter(|t| t["activation"] == act && t["setting"] == setting && t["epoch"] == epochs)
        .map(|t| num(&t["dead_fraction"][0]))
        .collect();
    last.iter().sum::<f64>() / last.len().max(1) as f64
}

fn html(r: &Value, trials: usize, seeds: usize, epochs: usize) -> String {
    let mut born_rows = String::new();
    for row in r["born_dead"].as_array().into_iter().flatten() {
        let _ = writeln!(
            born_rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            row["activation"].as_str().unwrap_or(""),
            row["init"].as_str().unwrap_or(""),
            row["width"],
            row["depth"],
            row["probability"].as_f64().unwrap_or(0.0),
            row["lower_bound"].as_f64().unwrap_or(0.0),
            row["upper_bound"].as_f64().unwrap_or(0.0)
        );
    }
    let training = r["training"].as_array().cloned().unwrap_or_default();
    let mut final_rows = String::new();
    for act in TRAIN_ACTIVATIONS {
        for (setting, lr) in LEARNING_RATES {
            let last: Vec<&Value> = training
                .iter()
                .filter(|t| t["activation"] == act && t["setting"] == setting && t["epoch"] == epochs)
                .collect();
            let n = last.len().max(1) as f64;
            let acc = last.iter().map(|t| num(&t["accuracy"])).sum::<f64>() / n;
            let diverged = last.iter().any(|t| !num(&t["loss"]).is_finite());
            let dead: Vec<String> = (0..2)
                .map(|l| format!("{:.3}", last.iter().map(|t| num(&t["dead_fraction"][l])).sum::<f64>() / n))
                .collect();
            let acc = if diverged { "diverged (loss NaN)".to_string() } else { format!("{acc:.4}") };
            let _ = writeln!(
                final_rows,
                "<tr><td>{}</td><td>{lr}</td><td>{acc}</td><td>{}</td><td>{}</td></tr>",
                short(act),
                dead[0],
                dead[1]
            );
        }
    }
    let (normal, aggressive) = (LEARNING_RATES[0], LEARNING_RATES[1]);
    let others_dead =
        TRAIN_ACTIVATIONS[1..].iter().map(|a| final_dead(&training, a, aggressive.0, epochs)).fold(0.0, f64::max);
    let training_summary = format!(
        "Measured here: at the end of training {:.1}% of the first layer's ReLU units are dead at learning rate {} and {:.1}% at {}; for the other activations at most {:.1}%.",
        100.0 * final_dead(&training, "relu", normal.0, epochs),
        normal.1,
        100.0 * final_dead(&training, "relu", aggressive.0, epochs),
        aggressive.1,
        100.0 * others_dead
    );
    let grads = r["vanishing_gradients"].as_array().cloned().unwrap_or_default();
    let ratio = |act: &str| {
        let at = |layer: u64| {
            grads
                .iter()
                .find(|g| g["activation"] == act && g["layer"] == layer)
                .map_or(f64::NAN, |g| num(&g["grad_norm"]))
        };
        at(1) / at(20)
    };
    let vanishing_summary =
        DEEP_ACTIVATIONS.iter().map(|a| format!("{} {:.1e}", short(a), ratio(a))).collect::<Vec<_>>().join(", ");
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dying ReLU, measured</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45}}img{{width:540px}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}</style></head>
<body>
<h1>Dying ReLU, measured</h1>
<p>A ReLU unit outputs 0 and passes no gradient whenever its input is negative. A unit whose input is negative for
every example is <b>dead</b>: its weights never receive a gradient again, so it cannot recover. Leaky ReLU, PReLU
and ELU keep a small slope for negative inputs so that this cannot happen. This report measures the effect three
ways. Every number is in <code>results.json</code>.</p>

<h2>1. Born dead at initialization</h2>
<p>Deep, narrow ReLU networks can be dead before training starts (Lu, Shin, Su and Karniadakis, "Dying ReLU and
Initialization", 2019/2020). We build networks with one input, <i>L</i> weight layers (<i>L</i> − 1 hidden ReLU layers
of width <i>N</i>, then one linear output), draw their weights, and check whether the output is the same for every
input in [−1, 1] — the network has collapsed to a constant and gradient descent cannot fix it. With symmetric
He-normal weights and zero biases each layer can kill every path with probability about 2<sup>−N</sup>, which gives
the bounds 1 − 2(1 − 2<sup>−N</sup>)<sup>L−1</sup> ≤ P ≤ 1 − (1 − 2<sup>−N</sup>)<sup>L−1</sup> (dashed). The
measured probability ({trials} networks per cell) grows with depth and shrinks with width, and lies within the bounds.
The paper's randomized asymmetric initialization — one positive Beta(2, 1) weight or bias per unit — makes
collapse much rarer. Leaky ReLU networks never collapse: a negative input still passes a signal.</p>
<img src="born_dead_he_normal.png"> <img src="born_dead_randomized_asymmetric.png">
<details><summary>All born-dead probabilities</summary>
<table><tr><th>activation</th><th>init</th><th>width</th><th>depth</th><th>P (measured)</th><th>lower bound</th><th>upper bound</th></tr>
{born_rows}</table></details>

<h2>2. Dying during training</h2>
<p>The same 64-128-128-10 network is trained on the handwritten <i>digits</i> data (1,797 images of 8×8 pixels)
with ReLU, Leaky ReLU (slope 0.01), PReLU, ELU and GELU, using SGD with momentum 0.9 at a normal and at an
aggressive learning rate ({seeds} seed(s), {epochs} epochs, curves averaged over seeds). A unit counts as dead when
its activation's derivative is zero on every training example (for ELU and GELU that happens only if the
derivative underflows to exactly zero for very negative inputs). Larger steps push more ReLU units into the region
where they never fire again; Leaky ReLU and PReLU keep a slope there, so their units cannot die. {training_summary}</p>
<img src="dead_fraction_normal.png"> <img src="dead_fraction_aggressive.png">
<img src="accuracy_normal.png"> <img src="accuracy_aggressive.png">
<img src="loss_normal.png"> <img src="loss_aggressive.png">
<table><tr><th>activation</th><th>learning rate</th><th>final accuracy</th><th>dead fraction, layer 1</th><th>dead fraction, layer 3</th></tr>
{final_rows}</table>

<h2>3. Vanishing gradients</h2>
<p>Why ReLU at all? In a deep network the gradient reaching the first layers is a product of one derivative per
layer. Sigmoid's derivative is at most 1/4, so in a deep network the gradient shrinks by orders of magnitude before
it reaches the first layers. The figure shows the gradient norm of each layer's weights in a 20-layer network of
width 64 at He initialization (weights N(0, 2/fan_in), zero biases), after one backward pass on the digits data
(log scale). Ratio of the first layer's gradient norm to the last layer's, measured: {vanishing_summary}.</p>
<img src="vanishing_gradients.png">
</body></html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_match_the_formula() {
        assert_eq!(born_dead_bounds(2, 2), (0.0, 0.25));
        let (lo, hi) = born_dead_bounds(2, 50);
        assert!((hi - (1.0 - 0.75f64.powi(49))).abs() < 1e-15 && (lo - (1.0 - 2.0 * 0.75f64.powi(49))).abs() < 1e-15);
    }

    /// Our Monte Carlo agrees with an independent numpy simulation (tools/reference/born_dead.py, 4,000 trials,
    /// its own generator) within 4.5 standard errors, and ReLU with He init lies within the bounds.
    #[test]
    fn born_dead_matches_an_independent_simulation_and_the_bounds() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/born_dead_numpy.json");
        let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let trials = 1000;
        for (i, row) in reference["rows"].as_array().unwrap().iter().enumerate() {
            let (act, init) = (row["activation"].as_str().unwrap(), row["init"].as_str().unwrap());
            let (width, depth) = (row["width"].as_u64().unwrap() as usize, row["depth"].as_u64().unwrap() as usize);
            let activation: Activation = act.parse().unwrap();
            let init = if init == "he_normal" { Init::He } else { Init::Rai };
            let mut g = Generator::new(100 + i as u64);
            let p = (0..trials).filter(|_| collapsed_trial(&mut g, &activation, init, width, depth)).count() as f64
                / trials as f64;
            let (q, n) = (num(&row["probability"]), num(&row["trials"]));
            let pooled = (p * trials as f64 + q * n) / (trials as f64 + n);
            let se = (pooled * (1.0 - pooled) * (1.0 / trials as f64 + 1.0 / n)).sqrt();
            assert!((p - q).abs() <= 4.5 * se + 1e-3, "{act} {init:?} N={width} L={depth}: nonlin {p}, numpy {q}");
            if act == "relu" && init == Init::He {
                let (lo, hi) = born_dead_bounds(width, depth);
                let own = (p * (1.0 - p) / trials as f64).sqrt().max(1e-3);
                assert!(p >= lo - 4.5 * own && p <= hi + 4.5 * own, "N={width} L={depth}: {p} outside [{lo}, {hi}]");
            }
        }
    }

    #[test]
    fn a_network_with_every_unit_dead_is_collapsed() {
        // Width 1, depth 50: with probability ≈ 1 some layer kills everything.
        let mut g = Generator::new(1);
        let relu: Activation = "relu".parse().unwrap();
        let hits = (0..200).filter(|_| collapsed_trial(&mut g, &relu, Init::He, 1, 50)).count();
        assert!(hits > 190, "{hits}");
        let leaky: Activation = "leaky_relu".parse().unwrap();
        assert!((0..50).all(|_| !collapsed_trial(&mut g, &leaky, Init::He, 2, 50)), "leaky nets never collapse");
    }
}
