//! A figure description and its layout into a [`Scene`], following matplotlib's default style (rcParams of
//! matplotlib 3.x at 100 dpi): axes box, spines, outward ticks, DejaVu Sans text, dashed grid, legend.

use crate::font::{self, outline};
use crate::scene::{Cap, Color, PathData, Scene, Shape, Stroke};
use crate::ticks;

/// Points to pixels at matplotlib's default 100 dpi.
const PT: f32 = 100.0 / 72.0;
/// Height of the text line box above the baseline and below it, in em (DejaVu Sans "l" and "p", which
/// matplotlib uses to size a line of text).
const LP_ASCENT: f32 = 0.76;
const LP_DESCENT: f32 = 0.236;

/// One curve: its label, polyline segments (a jump starts a new segment) in data coordinates, and style.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub segments: Vec<Vec<(f64, f64)>>,
    pub color: Color,
    pub dashed: bool,
    /// Line width in points (matplotlib's default 1.5).
    pub width_pt: f32,
}

/// A horizontal reference line across the axes (`axhline`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HLine {
    pub y: f64,
    pub color: Color,
    pub width_pt: f32,
    pub dashed: bool,
}

/// Everything one figure shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Size in pixels (matplotlib's default is 640×480).
    pub width: u32,
    pub height: u32,
    pub title: Option<String>,
    pub xlabel: Option<String>,
    pub ylabel: Option<String>,
    pub series: Vec<Series>,
    pub hlines: Vec<HLine>,
    /// View limits; `None` autoscales to the data with matplotlib's 5% margins.
    pub xlim: Option<(f64, f64)>,
    pub ylim: Option<(f64, f64)>,
    pub grid: bool,
    pub legend: bool,
    /// Logarithmic y axis (decade ticks); non-positive values are left out.
    pub ylog: bool,
}

impl Default for Figure {
    fn default() -> Self {
        Figure {
            width: 640,
            height: 480,
            title: None,
            xlabel: None,
            ylabel: None,
            series: Vec::new(),
            hlines: Vec::new(),
            xlim: None,
            ylim: None,
            grid: true,
            legend: true,
            ylog: false,
        }
    }
}

/// Where the axes are on the canvas and how data maps to pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axes {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    pub xlim: (f64, f64),
    /// For a logarithmic axis, the limits of log10(y).
    pub ylim: (f64, f64),
    pub ylog: bool,
}

impl Axes {
    /// Pixel x of data x.
    pub fn px(&self, x: f64) -> f32 {
        self.left + ((x - self.xlim.0) / (self.xlim.1 - self.xlim.0)) as f32 * self.width
    }

    /// Pixel y of data y.
    pub fn py(&self, y: f64) -> f32 {
        let y = if self.ylog { y.log10() } else { y };
        self.top + self.height - ((y - self.ylim.0) / (self.ylim.1 - self.ylim.0)) as f32 * self.height
    }
}

/// Data limits widened by 5% on each side (`axes.xmargin`), made non-singular.
fn autoscale(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-0.055, 0.055);
    }
    if hi - lo <= 1e-12 * hi.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { 0.05 * lo.abs() };
        return (lo - d, hi + d);
    }
    let m = 0.05 * (hi - lo);
    (lo - m, hi + m)
}

fn text_shape(text: &str, size: f32, x: f32, baseline: f32, angle: f32, color: Color) -> Shape {
    Shape { path: outline(text, size).transformed(angle, x, baseline), fill: Some(color), stroke: None, clip: None }
}

fn line(points: &[(f32, f32)], color: Color, width: f32, dash: Option<Vec<f32>>, cap: Cap) -> Shape {
    Shape { path: PathData::polyline(points), fill: None, stroke: Some(Stroke { color, width, dash, cap }), clip: None }
}

/// Snaps a coordinate to a pixel centre, as matplotlib snaps straight lines, for crisp 1-pixel lines.
fn snap(v: f32) -> f32 {
    v.floor() + 0.5
}

/// matplotlib's dash pattern for `'--'` (3.7, 1.6) scaled by the line width (`lines.scale_dashes`).
fn dashes(width_pt: f32) -> Vec<f32> {
    vec![3.7 * width_pt * PT, 1.6 * width_pt * PT]
}

impl Figure {
    /// The axes' placement (matplotlib's subplot parameters left 0.125, right 0.9, bottom 0.11, top 0.88) and
    /// view limits.
    pub fn axes(&self) -> Axes {
        let (w, h) = (self.width as f32, self.height as f32);
        let xs = self.series.iter().flat_map(|s| s.segments.iter().flatten().map(|p| p.0));
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.segments.iter().flatten().map(|p| p.1))
            .chain(self.hlines.iter().map(|l| l.y));
        let ylog = self.ylog;
        let ys = ys.filter_map(move |y| {
            if !ylog {
                Some(y)
            } else if y > 0.0 {
                Some(y.log10())
            } else {
                None
            }
        });
        Axes {
            left: 0.125 * w,
            top: (1.0 - 0.88) * h,
            width: (0.9 - 0.125) * w,
            height: (0.88 - 0.11) * h,
            xlim: self.xlim.unwrap_or_else(|| autoscale(xs)),
            ylim: match self.ylim {
                Some((a, b)) if self.ylog => (a.log10(), b.log10()),
                Some(l) => l,
                None => autoscale(ys),
            },
            ylog: self.ylog,
        }
    }

    /// Lays the figure out into drawing primitives.
    pub fn scene(&self) -> Scene {
        let ax = self.axes();
        let mut shapes = Vec::new();
        let black = Color::hex(0x000000);
        let tick_size = 10.0 * PT;
        let (right, bottom) = (ax.left + ax.width, ax.top + ax.height);
        let clip = Some((ax.left, ax.top, ax.width, ax.height));

        // Ticks: AutoLocator with nbins from the axis length, as XAxis/YAxis.get_tick_space.
        let nx = ((ax.width / PT) / (10.0 * 3.0)).floor().clamp(1.0, 9.0) as usize;
        let ny = ((ax.height / PT) / (10.0 * 2.0)).floor().clamp(1.0, 9.0) as usize;
        let inside = |t: &f64, (a, b): (f64, f64)| {
            *t >= a.min(b) - 1e-9 * (b - a).abs() && *t <= a.max(b) + 1e-9 * (b - a).abs()
        };
        let xticks: Vec<f64> =
            ticks::max_n_locator(ax.xlim.0, ax.xlim.1, nx).into_iter().filter(|t| inside(t, ax.xlim)).collect();
        // On a log axis: one tick per decade (in log10 units), labelled 1e−3 and so on.
        let ylog_ticks: Vec<f64> = if ax.ylog {
            let (lo, hi) = (ax.ylim.0.ceil() as i64, ax.ylim.1.floor() as i64);
            let every = ((hi - lo) / 9 + 1).max(1);
            (lo..=hi).filter(|k| (k - lo) % every == 0).map(|k| k as f64).collect()
        } else {
            Vec::new()
        };
        let yticks: Vec<f64> = if ax.ylog {
            ylog_ticks.iter().map(|k| 10f64.powf(*k)).collect()
        } else {
            ticks::max_n_locator(ax.ylim.0, ax.ylim.1, ny).into_iter().filter(|t| inside(t, ax.ylim)).collect()
        };

        if self.grid {
            let grid = Color::hex(0xb0b0b0).alpha(0.7);
            for &t in &xticks {
                let x = snap(ax.px(t));
                shapes.push(line(&[(x, ax.top), (x, bottom)], grid, 0.8 * PT, Some(dashes(0.8)), Cap::Butt));
            }
            for &t in &yticks {
                let y = snap(ax.py(t));
                shapes.push(line(&[(ax.left, y), (right, y)], grid, 0.8 * PT, Some(dashes(0.8)), Cap::Butt));
            }
        }
        for s in &self.series {
            for seg in &s.segments {
                let pts: Vec<(f32, f32)> =
                    seg.iter().filter(|p| !self.ylog || p.1 > 0.0).map(|&(x, y)| (ax.px(x), ax.py(y))).collect();
                let dash = s.dashed.then(|| dashes(s.width_pt));
                let cap = if s.dashed { Cap::Butt } else { Cap::Projecting };
                let mut shape = line(&pts, s.color, s.width_pt * PT, dash, cap);
                shape.clip = clip;
                shapes.push(shape);
            }
        }
        for l in self.hlines.iter().filter(|l| !self.ylog || l.y > 0.0) {
            let y = snap(ax.py(l.y));
            let dash = l.dashed.then(|| dashes(l.width_pt));
            let mut shape = line(&[(ax.left, y), (right, y)], l.color, l.width_pt * PT, dash, Cap::Butt);
            shape.clip = clip;
            shapes.push(shape);
        }
        // Spines, 0.8 pt.
        let (l, t, r, b) = (snap(ax.left), snap(ax.top), snap(right), snap(bottom));
        shapes.push(Shape {
            path: PathData::polyline(&[(l, t), (r, t), (r, b), (l, b), (l, t)]),
            fill: None,
            stroke: Some(Stroke { color: black, width: 0.8 * PT, dash: None, cap: Cap::Projecting }),
            clip: None,
        });
        // Tick marks (outward, 3.5 pt) and labels (10 pt, 3.5 pt pad).
        let (len, pad) = (3.5 * PT, 3.5 * PT);
        let xlabels = ticks::labels(&xticks);
        let tick_label_top = bottom + len + pad;
        for (&tv, label) in xticks.iter().zip(&xlabels) {
            let x = snap(ax.px(tv));
            shapes.push(line(&[(x, bottom), (x, bottom + len)], black, 0.8 * PT, None, Cap::Butt));
            let w = font::measure(label, tick_size).width;
            shapes.push(text_shape(label, tick_size, x - w / 2.0, tick_label_top + LP_ASCENT * tick_size, 0.0, black));
        }
        let ylabels = if ax.ylog {
            ylog_ticks.iter().map(|k| format!("1e{}", *k as i64).replace('-', "\u{2212}")).collect()
        } else {
            ticks::labels(&yticks)
        };
        let mut widest = 0.0f32;
        for (&tv, label) in yticks.iter().zip(&ylabels) {
            let y = snap(ax.py(tv));
            shapes.push(line(&[(ax.left - len, y), (ax.left, y)], black, 0.8 * PT, None, Cap::Butt));
            let w = font::measure(label, tick_size).width;
            widest = widest.max(w);
            shapes.push(text_shape(
                label,
                tick_size,
                ax.left - len - pad - w,
                y + LP_ASCENT * tick_size / 2.0,
                0.0,
                black,
            ));
        }
        // Axis labels (10 pt, 4 pt from the tick labels) and title (12 pt, 6 pt above the axes).
        let label_pad = 4.0 * PT;
        if let Some(xl) = &self.xlabel {
            let w = font::measure(xl, tick_size).width;
            let top = tick_label_top + (LP_ASCENT + LP_DESCENT) * tick_size + label_pad;
            shapes.push(text_shape(
                xl,
                tick_size,
                ax.left + ax.width / 2.0 - w / 2.0,
                top + LP_ASCENT * tick_size,
                0.0,
                black,
            ));
        }
        if let Some(yl) = &self.ylabel {
            let w = font::measure(yl, tick_size).width;
            let right_edge = ax.left - len - pad - widest - label_pad;
            let baseline_x = right_edge - LP_DESCENT * tick_size;
            let y = ax.top + ax.height / 2.0 + w / 2.0;
            shapes.push(text_shape(yl, tick_size, baseline_x, y, std::f32::consts::FRAC_PI_2, black));
        }
        if let Some(title) = &self.title {
            let size = 12.0 * PT;
            let w = font::measure(title, size).width;
            shapes.push(text_shape(title, size, ax.left + ax.width / 2.0 - w / 2.0, ax.top - 6.0 * PT, 0.0, black));
        }
        if self.legend && !self.series.is_empty() {
            shapes.extend(self.legend_shapes(&ax));
        }
        Scene { width: self.width, height: self.height, shapes }
    }

    fn legend_shapes(&self, ax: &Axes) -> Vec<Shape> {
        let size = 10.0 * PT;
        let em = size;
        let (border_pad, spacing, handle_len, handle_pad, axes_pad) =
            (0.4 * em, 0.5 * em, 2.0 * em, 0.8 * em, 0.5 * em);
        let row = (LP_ASCENT + LP_DESCENT) * size;
        let n = self.series.len() as f32;
        let text_w = self.series.iter().map(|s| font::measure(&s.label, size).width).fold(0.0, f32::max);
        let (w, h) =
            (2.0 * border_pad + handle_len + handle_pad + text_w, 2.0 * border_pad + n * row + (n - 1.0) * spacing);
        // matplotlib's 'best': the first location (in its order) covering the fewest data vertices.
        let (l, t, r, b) = (
            ax.left + axes_pad,
            ax.top + axes_pad,
            ax.left + ax.width - axes_pad - w,
            ax.top + ax.height - axes_pad - h,
        );
        let (cx, cy) = (ax.left + (ax.width - w) / 2.0, ax.top + (ax.height - h) / 2.0);
        let candidates = [(r, t), (l, t), (l, b), (r, b), (r, cy), (l, cy), (r, cy), (cx, b), (cx, t), (cx, cy)];
        let points: Vec<(f32, f32)> =
            self.series.iter().flat_map(|s| s.segments.iter().flatten().map(|&(x, y)| (ax.px(x), ax.py(y)))).collect();
        let badness =
            |(x, y): (f32, f32)| points.iter().filter(|p| p.0 >= x && p.0 <= x + w && p.1 >= y && p.1 <= y + h).count();
        let (x, y) = candidates.iter().copied().min_by_key(|c| badness(*c)).expect("candidates");
        let mut shapes = vec![Shape {
            path: PathData::rounded_rect(x, y, w, h, 0.2 * size),
            fill: Some(Color::hex(0xffffff).alpha(0.8)),
            stroke: Some(Stroke { color: Color::hex(0xcccccc).alpha(0.8), width: PT, dash: None, cap: Cap::Butt }),
            clip: None,
        }];
        for (i, s) in self.series.iter().enumerate() {
            let top = y + border_pad + i as f32 * (row + spacing);
            let baseline = top + LP_ASCENT * size;
            let hy = baseline - 0.3 * size;
            let hx = x + border_pad;
            let dash = s.dashed.then(|| dashes(s.width_pt));
            shapes.push(line(
                &[(hx, hy), (hx + handle_len, hy)],
                s.color,
                s.width_pt * PT,
                dash,
                if s.dashed { Cap::Butt } else { Cap::Projecting },
            ));
            shapes.push(text_shape(&s.label, size, hx + handle_len + handle_pad, baseline, 0.0, Color::hex(0x000000)));
        }
        shapes
    }

    /// The figure as PNG bytes.
    pub fn to_png(&self) -> Vec<u8> {
        self.scene().to_png()
    }

    /// The figure as an SVG document.
    pub fn to_svg(&self) -> String {
        self.scene().to_svg()
    }
}
