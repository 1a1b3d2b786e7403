//! Every rule of `PYTORCH_SEMANTICS.md`, pinned against real PyTorch.
//!
//! `tools/reference/torch_vectors.py` evaluates PyTorch (on its vectorized path, upstream gradient 1) at each
//! rule's points and stores the bit patterns in the manifest's `semantics` section. Here nonlin must give the
//! same bits — signed zeros, infinities and NaN included; finite nonzero results of smooth functions may differ
//! in the last bit — except at the points listed in [`DEVIATIONS`], where nonlin's value is stated and PyTorch's
//! is NaN or inaccurate.

use nonlin::Activation;

/// (spec, dtype, x, "y" or "dydx", nonlin's value, why PyTorch's differs).
const DEVIATIONS: &[(&str, &str, f64, &str, f64, &str)] = &[
    ("gelu", "*", f64::NEG_INFINITY, "y", -0.0, "limit; torch: -inf·0 = NaN"),
    (
        "gelu",
        "f32",
        -0.0,
        "y",
        -0.0,
        "torch's f32 kernel returns +0.0, its f64 kernel -0.0; nonlin keeps the sign in both",
    ),
    ("gelu", "*", f64::NEG_INFINITY, "dydx", 0.0, "limit; torch NaN"),
    ("gelu", "*", f64::INFINITY, "dydx", 1.0, "limit; torch NaN"),
    ("gelu:approximate=tanh", "*", f64::NEG_INFINITY, "y", -0.0, "limit; torch NaN"),
    ("gelu:approximate=tanh", "*", f64::NEG_INFINITY, "dydx", 0.0, "limit; torch NaN"),
    ("gelu:approximate=tanh", "*", f64::INFINITY, "dydx", 1.0, "limit; torch NaN"),
    ("silu", "*", f64::NEG_INFINITY, "y", -0.0, "limit; torch NaN"),
    ("silu", "*", f64::NEG_INFINITY, "dydx", 0.0, "limit; torch NaN"),
    ("silu", "*", f64::INFINITY, "dydx", 1.0, "limit; torch NaN"),
    ("mish", "*", f64::NEG_INFINITY, "y", -0.0, "limit; torch NaN"),
    ("mish", "*", f64::NEG_INFINITY, "dydx", 0.0, "limit; torch NaN"),
    ("mish", "*", f64::INFINITY, "dydx", 1.0, "limit; torch NaN"),
    ("softsign", "*", f64::INFINITY, "y", 1.0, "limit; torch inf/inf = NaN"),
    ("softsign", "*", f64::NEG_INFINITY, "y", -1.0, "limit; torch NaN"),
    ("softsign", "*", f64::INFINITY, "dydx", 0.0, "limit; torch NaN"),
    ("softsign", "*", f64::NEG_INFINITY, "dydx", 0.0, "limit; torch NaN"),
    ("hardswish", "*", f64::NEG_INFINITY, "y", -0.0, "limit; torch -inf·0 = NaN"),
    ("hardsigmoid", "f64", 0.0, "dydx", 1.0 / 6.0, "torch uses the float constant 1.0f/6.0f in float64"),
];

fn deviation(spec: &str, dtype: &str, x: f64, what: &str) -> Option<f64> {
    DEVIATIONS
        .iter()
        .find(|d| d.0 == spec && (d.1 == "*" || d.1 == dtype) && d.2.to_bits() == x.to_bits() && d.3 == what)
        .map(|d| d.4)
}

fn agree(ours: f64, expected: f64, smooth_slack: bool) -> bool {
    if ours.is_nan() || expected.is_nan() {
        return ours.is_nan() && expected.is_nan();
    }
    if ours.to_bits() == expected.to_bits() {
        return true;
    }
    // Same sign and both nonzero finite: allow the last bit of a smooth function (f32 ULP ≈ 1.2e-7 relative).
    smooth_slack
        && ours != 0.0
        && expected != 0.0
        && ours.is_finite()
        && expected.is_finite()
        && ((ours - expected) / expected).abs() < 2.5e-7
}

fn parse_bits(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| f64::from_bits(u64::from_str_radix(s.as_str().unwrap(), 16).unwrap()))
        .collect()
}

#[test]
fn every_semantics_rule_matches_pytorch() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_vectors.json");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rules = manifest["semantics"].as_array().unwrap();
    assert!(rules.len() >= 2 * 23, "every activation has a rule in both dtypes");
    let mut failures = vec![];
    let mut used = vec![false; DEVIATIONS.len()];
    for r in rules {
        let (spec, dtype, rule) =
            (r["spec"].as_str().unwrap(), r["dtype"].as_str().unwrap(), r["rule"].as_str().unwrap());
        let act: Activation = spec.parse().unwrap();
        let smooth = !matches!(
            act,
            Activation::Relu
                | Activation::Relu6
                | Activation::LeakyRelu { .. }
                | Activation::Prelu { .. }
                | Activation::Rrelu { .. }
                | Activation::Hardtanh { .. }
                | Activation::Hardsigmoid
                | Activation::Hardswish
                | Activation::Hardshrink { .. }
                | Activation::Softshrink { .. }
                | Activation::Threshold { .. }
        );
        let (xs, ys, ds) = (parse_bits(&r["x"]), parse_bits(&r["y"]), parse_bits(&r["dydx"]));
        for ((&x, &ty), &td) in xs.iter().zip(&ys).zip(&ds) {
            let (y, d) = if dtype == "f32" {
                let x = x as f32;
                (act.eval(x).unwrap() as f64, act.derivative(x).unwrap() as f64)
            } else {
                (act.eval(x).unwrap(), act.derivative(x).unwrap())
            };
            for (what, ours, torch) in [("y", y, ty), ("dydx", d, td)] {
                let expected = match deviation(spec, dtype, x, what) {
                    Some(v) => {
                        let i = DEVIATIONS
                            .iter()
                            .position(|d| d.0 == spec && d.2.to_bits() == x.to_bits() && d.3 == what)
                            .unwrap();
                        used[i] = true;
                        assert!(
                            !agree(torch, v, smooth),
                            "{spec} {dtype} {what}({x}): listed as a deviation but torch agrees ({torch})"
                        );
                        if dtype == "f32" { v as f32 as f64 } else { v }
                    }
                    None => torch,
                };
                if !agree(ours, expected, smooth) {
                    failures.push(format!(
                        "[{rule}] {spec} {dtype} {what}({x:e}) = {ours:e}, expected {expected:e} (torch {torch:e})"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (d, used) in DEVIATIONS.iter().zip(used) {
        assert!(used, "deviation {d:?} has no rule point");
    }
}

/// Per-channel PReLU (weight over dim 1) against PyTorch: forward and input gradient bit for bit, weight
/// gradient within `assert_close` tolerances (PyTorch reduces in its own order; nonlin sums in f64).
#[test]
fn prelu_channels_match_pytorch() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_vectors.json");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = manifest["prelu_channels"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        let shape: Vec<usize> = c["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let [x, w, gy, ty, tgx, tgw] = ["x", "weight", "gy", "y", "gx", "gw"].map(|k| parse_bits(&c[k]));
        if c["dtype"] == "f32" {
            let f = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
            let (x, w, gy) = (f(&x), f(&w), f(&gy));
            let (mut y, mut gx, mut gw) = (vec![0.0f32; x.len()], vec![0.0f32; x.len()], vec![0.0f32; w.len()]);
            nonlin::prelu::forward(&x, &shape, &w, &mut y).unwrap();
            nonlin::prelu::backward(&x, &shape, &w, &gy, &mut gx, &mut gw).unwrap();
            assert_eq!(y.iter().map(|&v| v as f64).collect::<Vec<_>>(), ty, "{shape:?} f32 forward");
            assert_eq!(gx.iter().map(|&v| v as f64).collect::<Vec<_>>(), tgx, "{shape:?} f32 grad input");
            for (a, b) in gw.iter().zip(&tgw) {
                assert!((*a as f64 - b).abs() <= 1e-5 + 1.3e-6 * b.abs(), "{shape:?} f32 grad weight {a} vs {b}");
            }
        } else {
            let (mut y, mut gx, mut gw) = (vec![0.0; x.len()], vec![0.0; x.len()], vec![0.0; w.len()]);
            nonlin::prelu::forward(&x, &shape, &w, &mut y).unwrap();
            nonlin::prelu::backward(&x, &shape, &w, &gy, &mut gx, &mut gw).unwrap();
            assert_eq!(y, ty, "{shape:?} f64 forward");
            assert_eq!(gx, tgx, "{shape:?} f64 grad input");
            for (a, b) in gw.iter().zip(&tgw) {
                assert!((a - b).abs() <= 1e-7 + 1e-7 * b.abs(), "{shape:?} f64 grad weight {a} vs {b}");
            }
        }
    }
}

/// PyTorch's errors for PReLU shapes: weights must be 1 or the size of dim 1; 1-D inputs have one channel.
#[test]
fn prelu_rejects_mismatched_weights() {
    let x = [1.0f32; 6];
    let mut y = [0.0f32; 6];
    assert!(nonlin::prelu::forward(&x, &[2, 3], &[0.1, 0.2, 0.3], &mut y).is_ok());
    assert!(nonlin::prelu::forward(&x, &[2, 3], &[0.1, 0.2], &mut y).is_err());
    assert!(nonlin::prelu::forward(&x, &[6], &[0.1; 6], &mut y).is_err());
    assert!(nonlin::prelu::forward(&x, &[6], &[0.1], &mut y).is_ok());
    assert!(nonlin::prelu::forward(&x, &[2, 2], &[0.1], &mut y).is_err(), "shape does not match the data");
    assert!(nonlin::prelu::forward(&x, &[2, 3], &[], &mut y).is_err());
}

/// The parameter checks PyTorch performs are errors here too, with a message naming the parameter.
#[test]
fn parameter_checks() {
    let rejected = [
        ("softshrink:lambd=-0.5", "lambda must be greater or equal to 0"),
        ("hardtanh:min_val=2,max_val=1", "min_val cannot be greater than max_val"),
        ("celu:alpha=0", "alpha must not be 0"),
        ("rrelu:lower=0.5,upper=0.1", "lower bound must be less than or equal to upper bound"),
        ("leaky_relu:negative_slope=nan", "negative_slope must be finite"),
        ("elu:alpha=inf", "alpha must be finite"),
        ("softplus:beta=0", "beta must not be 0"),
        ("threshold:threshold=nan,value=1", "threshold must not be NaN"),
        ("threshold:threshold=1", "needs a value for 'value'"),
        ("gelu:approximate=erf", "'none' or 'tanh'"),
        ("relu:inplace=true", "takes no parameters"),
        ("leaky_relu:slope=0.1", "no parameter 'slope'"),
        ("leaky_relu:negative_slope=abc", "is not a number"),
        ("leaky_relu:negative_slope=0.1,negative_slope=0.2", "given twice"),
        ("leaky_relu:negative_slope", "key=value"),
        ("swish", "unknown activation 'swish'"),
        ("", "name is empty"),
    ];
    for (spec, message) in rejected {
        let err = spec.parse::<Activation>().expect_err(spec).to_string();
        assert!(err.contains(message), "{spec}: '{err}' should mention '{message}'");
    }
    // Accepted as in PyTorch: equal hardtanh bounds, negative hardshrink lambda, lower == upper.
    for spec in [
        "hardtanh:min_val=1,max_val=1",
        "hardshrink:lambd=-1",
        "rrelu:lower=0.2,upper=0.2",
        "LeakyReLU",
        "GELU:approximate='tanh'",
    ] {
        spec.parse::<Activation>().expect(spec);
    }
    // A hand-built invalid value is rejected by every slice call before any output is written.
    let bad = Activation::Softshrink { lambd: -1.0 };
    let mut y = [7.0f32; 2];
    assert!(bad.forward(&[1.0, 2.0], &mut y).is_err());
    assert_eq!(y, [7.0; 2]);
    assert!(Activation::Relu.forward(&[1.0f64, 2.0], &mut [0.0; 3]).is_err(), "length mismatch");
}

/// NaN propagates through every forward, in both dtypes (PYTORCH_SEMANTICS: "NaN propagates through every
/// activation"); the torch vectors check the same against PyTorch for each parameter setting.
#[test]
fn nan_propagates_through_every_forward() {
    for info in nonlin::CATALOGUE {
        let spec = if info.name == "threshold" { "threshold:threshold=0.5,value=-1" } else { info.name };
        let act: Activation = spec.parse().unwrap();
        assert!(act.eval(f32::NAN).unwrap().is_nan(), "{spec} f32");
        assert!(act.eval(f64::NAN).unwrap().is_nan(), "{spec} f64");
    }
}
