//! The figures are valid files of the requested size, and the curves land where the math says.

use nonlin::Activation;
use nonlin_plot::{PlotOptions, Show, figure, label, sample};

fn relu_figure(opts: &PlotOptions) -> nonlin_plot::Figure {
    let relu: Activation = "relu".parse().unwrap();
    figure(&[(label(&relu), relu)], opts).unwrap()
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()))
}

#[test]
fn png_has_the_requested_size() {
    for (w, h) in [(640, 480), (800, 300), (300, 900)] {
        let fig = relu_figure(&PlotOptions { width: w, height: h, ..PlotOptions::default() });
        assert_eq!(png_size(&fig.to_png()), (w, h));
    }
}

/// Blue where ReLU passes ((0, 0), (2.5, 2.5), (5, 5)), white where it does not ((−2.5, 2.5)).
#[test]
fn relu_curve_lands_where_the_math_says_in_the_png() {
    let fig = relu_figure(&PlotOptions::default());
    let ax = fig.axes();
    assert_eq!((ax.xlim, ax.ylim), ((-5.5, 5.5), (-0.25, 5.25)), "matplotlib's 5% margins");
    let pixmap = tiny_skia::Pixmap::decode_png(&fig.to_png()).unwrap();
    let rgb = |x: f64, y: f64| {
        let p = pixmap.pixel(ax.px(x).round() as u32, ax.py(y).round() as u32).unwrap().demultiply();
        (p.red(), p.green(), p.blue())
    };
    for (x, y) in [(2.5, 2.5), (5.0, 5.0), (1.0, 1.0)] {
        let (r, g, b) = rgb(x, y);
        assert!(b > 200 && r < 90 && g < 90, "({x}, {y}) should be blue, is {:?}", (r, g, b));
    }
    // On y = 0 the tutorial's black dashed zero line is drawn over the curve: still blue, darker.
    for (x, y) in [(0.0, 0.0), (-3.0, 0.0)] {
        let (r, g, b) = rgb(x, y);
        assert!(b >= 60 && r < 40 && g < 40, "({x}, {y}) should be (dark) blue, is {:?}", (r, g, b));
    }
    for (x, y) in [(-2.5, 2.5), (3.0, 1.5), (-4.5, 3.7)] {
        assert_eq!(rgb(x, y), (255, 255, 255), "({x}, {y}) is background");
    }
}

/// The SVG's blue polyline starts at (−5, 0), passes the kink (0, 0) exactly, and ends at (5, 5).
#[test]
fn relu_curve_lands_where_the_math_says_in_the_svg() {
    let fig = relu_figure(&PlotOptions::default());
    let ax = fig.axes();
    let svg = fig.to_svg();
    assert!(svg.starts_with("<?xml") && svg.contains("width=\"640\" height=\"480\""));
    let curve =
        svg.lines().find(|l| l.contains("stroke=\"#0000ff\"") && l.contains("clip-path")).expect("the ReLU path");
    let d = curve.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
    let points: Vec<(f32, f32)> = d
        .split(['M', 'L'])
        .filter(|s| !s.is_empty())
        .map(|p| {
            let mut it = p.split_whitespace().map(|v| v.parse::<f32>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect();
    let near = |p: (f32, f32), x: f64, y: f64| (p.0 - ax.px(x)).abs() < 0.01 && (p.1 - ax.py(y)).abs() < 0.01;
    assert!(near(points[0], -5.0, 0.0) && near(*points.last().unwrap(), 5.0, 5.0));
    assert!(points.iter().any(|&p| near(p, 0.0, 0.0)), "the kink is sampled exactly");
    assert!(points.len() >= 1000, "dense enough that the kink is sharp");
}

#[test]
fn jumps_split_the_polyline_and_kinks_are_sampled_exactly() {
    let threshold: Activation = "threshold:threshold=0.5,value=-1".parse().unwrap();
    let segs = sample(|x| threshold.eval(x).unwrap(), &threshold.kinks(), -2.0, 2.0, 101);
    assert_eq!(segs.len(), 2, "one jump at the threshold");
    assert_eq!(segs[0].last().unwrap().0, 0.5);
    assert_eq!(segs[0].last().unwrap().1, -1.0);
    assert_eq!(segs[1][0].0, 0.5);
    assert!((segs[1][0].1 - 0.5).abs() < 1e-6);
    let relu: Activation = "relu".parse().unwrap();
    let f = sample(|x| relu.eval(x).unwrap(), &relu.kinks(), -1.0, 1.0, 4);
    assert_eq!(f.len(), 1, "ReLU is continuous");
    assert!(f[0].contains(&(0.0, 0.0)));
    let d = sample(|x| relu.derivative(x).unwrap(), &relu.kinks(), -1.0, 1.0, 4);
    assert_eq!(d.len(), 2, "its derivative jumps at 0");
}

#[test]
fn derivatives_are_dashed_in_the_same_colour() {
    let acts: Vec<(String, Activation)> =
        ["relu", "gelu"].iter().map(|s| (s.to_string(), s.parse().unwrap())).collect();
    let fig = figure(&acts, &PlotOptions { show: Show::Both, ..PlotOptions::default() }).unwrap();
    assert_eq!(fig.series.len(), 4);
    assert_eq!(fig.series[0].color, fig.series[1].color);
    assert!(!fig.series[0].dashed && fig.series[1].dashed);
    assert_eq!(fig.series[1].label, "relu\u{2032}");
    assert_ne!(fig.series[0].color, fig.series[2].color, "tab10 cycle");
}

#[test]
fn bad_options_are_errors() {
    let relu: Activation = "relu".parse().unwrap();
    let curves = [(label(&relu), relu)];
    let bad = |o: PlotOptions| figure(&curves, &o).unwrap_err().to_string();
    assert!(bad(PlotOptions { range: (1.0, 1.0), ..Default::default() }).contains("invalid range"));
    assert!(bad(PlotOptions { range: (2.0, -2.0), ..Default::default() }).contains("invalid range"));
    assert!(bad(PlotOptions { range: (f64::NAN, 1.0), ..Default::default() }).contains("invalid range"));
    assert!(bad(PlotOptions { ylim: Some((3.0, 1.0)), ..Default::default() }).contains("invalid y limits"));
    assert!(bad(PlotOptions { samples: 1, ..Default::default() }).contains("--samples"));
    assert!(bad(PlotOptions { width: 10, ..Default::default() }).contains("between 100 and 10000"));
    assert!(figure(&[], &PlotOptions::default()).is_err());
}

/// A log axis spans the data's decades (with 5% margins in log units) and puts a tick on each decade.
#[test]
fn log_axis_limits_and_ticks() {
    use nonlin_plot::{Color, Figure, Series};
    let fig = Figure {
        series: vec![Series {
            label: "g".into(),
            segments: vec![vec![(1.0, 1e-8), (2.0, 1e-3), (3.0, 10.0)]],
            color: Color::hex(0x1f77b4),
            dashed: false,
            width_pt: 1.5,
        }],
        ylog: true,
        ..Figure::default()
    };
    let ax = fig.axes();
    assert!((ax.ylim.0 - (-8.45)).abs() < 1e-9 && (ax.ylim.1 - 1.45).abs() < 1e-9, "{:?}", ax.ylim);
    assert!((ax.py(1e-8) - (ax.top + ax.height * (1.0 - 0.45 / 9.9) as f32)).abs() < 0.01);
    let svg = fig.to_svg();
    assert!(svg.contains("<path"), "renders");
}
