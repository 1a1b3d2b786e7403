//! Figures of activations and their derivatives: sampling with every kink hit exactly, and jumps drawn as jumps.

use nonlin::Activation;

use crate::figure::{Figure, HLine, Series};
use crate::scene::Color;

/// matplotlib's default colour cycle (tab10).
pub const TAB10: [u32; 10] =
    [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf];

/// What to draw for each curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Function,
    Derivative,
    Both,
}

/// Options of `nonlin plot`, with the tutorial's figure as the default.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    pub range: (f64, f64),
    pub ylim: Option<(f64, f64)>,
    pub samples: usize,
    pub show: Show,
    pub title: Option<String>,
    pub xlabel: String,
    pub ylabel: String,
    pub width: u32,
    pub height: u32,
    pub grid: bool,
    pub legend: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            range: (-5.0, 5.0),
            ylim: None,
            samples: 1001,
            show: Show::Function,
            title: None,
            xlabel: "Input".into(),
            ylabel: "Output".into(),
            width: 640,
            height: 480,
            grid: true,
            legend: true,
        }
    }
}

/// Why a figure could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum PlotError {
    /// The x range is empty, inverted or not finite.
    Range { lo: f64, hi: f64 },
    /// The y limits are empty, inverted or not finite.
    Ylim { lo: f64, hi: f64 },
    /// Fewer than 2 samples, or a zero-sized figure.
    Size(String),
    /// Nothing to draw.
    NoCurves,
    /// An invalid activation.
    Activation(nonlin::Error),
}

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlotError::Range { lo, hi } => write!(f, "invalid range {lo}:{hi} (need finite lo < hi)"),
            PlotError::Ylim { lo, hi } => write!(f, "invalid y limits {lo}:{hi} (need finite lo < hi)"),
            PlotError::Size(what) => write!(f, "{what}"),
            PlotError::NoCurves => write!(f, "nothing to plot: give at least one activation"),
            PlotError::Activation(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PlotError {}

/// The label of a curve: the PyTorch class, with the parameters that differ from their defaults.
pub fn label(act: &Activation) -> String {
    let defaults: Activation = match act.name() {
        "threshold" => {
            return format!(
                "Threshold({})",
                act.params().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            );
        }
        name => name.parse().expect("every activation has defaults but threshold"),
    };
    let changed: Vec<String> = act
        .params()
        .into_iter()
        .zip(defaults.params())
        .filter(|(a, b)| a.1 != b.1)
        .map(|((k, v), _)| format!("{k}={v}"))
        .collect();
    if changed.is_empty() {
        act.info().class.to_string()
    } else {
        format!("{}({})", act.info().class, changed.join(", "))
    }
}

/// Samples `g` on `[lo, hi]` (`n` evenly spaced points plus every kink inside); at a kink where the left and right
/// limits differ the polyline is split, so a jump is drawn as a jump, never as a slanted line.
pub fn sample(g: impl Fn(f64) -> f64, kinks: &[f64], lo: f64, hi: f64, n: usize) -> Vec<Vec<(f64, f64)>> {
    let mut xs: Vec<f64> = (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect();
    let inner: Vec<f64> = kinks.iter().copied().filter(|k| *k > lo && *k < hi).collect();
    xs.extend(&inner);
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let scale = (hi - lo).abs();
    let mut segments = vec![Vec::new()];
    for x in xs {
        if inner.contains(&x) {
            let d = 1e-9 * scale;
            let (left, right) = (g(x - d), g(x + d));
            if left.is_finite()
                && right.is_finite()
                && (left - right).abs() > 1e-6 * (1.0 + left.abs().max(right.abs()))
            {
                segments.last_mut().expect("one segment").push((x, left));
                segments.push(vec![(x, right)]);
                continue;
            }
        }
        let y = g(x);
        if y.is_finite() {
            segments.last_mut().expect("one segment").push((x, y));
        } else if !segments.last().expect("one segment").is_empty() {
            segments.push(Vec::new());
        }
    }
    segments.retain(|s| !s.is_empty());
    segments
}

/// The figure for `curves` (label, activation): the tutorial's style, one colour per curve (matplotlib blue `b`
/// for a single curve, the tab10 cycle for several), derivatives dashed in the same colour.
pub fn figure(curves: &[(String, Activation)], opts: &PlotOptions) -> Result<Figure, PlotError> {
    let (lo, hi) = opts.range;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(PlotError::Range { lo, hi });
    }
    if let Some((a, b)) = opts.ylim
        && !(a.is_finite() && b.is_finite() && a < b)
    {
        return Err(PlotError::Ylim { lo: a, hi: b });
    }
    if opts.samples < 2 {
        return Err(PlotError::Size(format!("--samples must be at least 2, got {}", opts.samples)));
    }
    if opts.width < 100 || opts.height < 100 || opts.width > 10_000 || opts.height > 10_000 {
        return Err(PlotError::Size(format!(
            "figure size {}x{} must be between 100 and 10000 pixels",
            opts.width, opts.height
        )));
    }
    if curves.is_empty() {
        return Err(PlotError::NoCurves);
    }
    let mut series = Vec::new();
    for (i, (name, act)) in curves.iter().enumerate() {
        act.validate().map_err(PlotError::Activation)?;
        let color = if curves.len() == 1 { Color::hex(0x0000ff) } else { Color::hex(TAB10[i % TAB10.len()]) };
        let kinks = act.kinks();
        if opts.show != Show::Derivative {
            let segments = sample(|x| act.eval(x).unwrap_or(f64::NAN), &kinks, lo, hi, opts.samples);
            series.push(Series { label: name.clone(), segments, color, dashed: false, width_pt: 1.5 });
        }
        if opts.show != Show::Function {
            let segments = sample(|x| act.derivative(x).unwrap_or(f64::NAN), &kinks, lo, hi, opts.samples);
            series.push(Series { label: format!("{name}\u{2032}"), segments, color, dashed: true, width_pt: 1.5 });
        }
    }
    let title = opts.title.clone().unwrap_or_else(|| match (curves.len(), opts.show) {
        (1, Show::Function) => format!("{} Function", curves[0].0),
        (1, Show::Derivative) => format!("{} Derivative", curves[0].0),
        (1, Show::Both) => format!("{} and Its Derivative", curves[0].0),
        (_, Show::Derivative) => "Activation Derivatives".into(),
        (_, Show::Both) => "Activation Functions and Derivatives".into(),
        _ => "Activation Functions".into(),
    });
    Ok(Figure {
        width: opts.width,
        height: opts.height,
        title: Some(title),
        xlabel: Some(opts.xlabel.clone()),
        ylabel: Some(opts.ylabel.clone()),
        series,
        hlines: vec![HLine { y: 0.0, color: Color::hex(0x000000), width_pt: 0.5, dashed: true }],
        xlim: None,
        ylim: opts.ylim,
        grid: opts.grid,
        legend: opts.legend,
        ylog: false,
    })
}
