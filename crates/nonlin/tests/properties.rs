//! Seeded property tests: finite-difference gradients, identities, monotonicity and bounds.

use nonlin::{Activation, CATALOGUE};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(20_261_126),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn act(spec: &str) -> Activation {
    spec.parse().unwrap()
}

/// Every activation at a few parameter settings, smooth and piecewise.
fn all_specs() -> Vec<&'static str> {
    vec![
        "relu",
        "relu6",
        "leaky_relu",
        "leaky_relu:negative_slope=0.3",
        "prelu",
        "rrelu",
        "elu",
        "elu:alpha=0.5",
        "celu:alpha=2",
        "selu",
        "gelu",
        "gelu:approximate=tanh",
        "silu",
        "mish",
        "softplus",
        "softplus:beta=3,threshold=4",
        "softsign",
        "sigmoid",
        "tanh",
        "logsigmoid",
        "hardtanh:min_val=-2,max_val=0.5",
        "hardsigmoid",
        "hardswish",
        "hardshrink:lambd=0.7",
        "softshrink:lambd=0.7",
        "tanhshrink",
        "threshold:threshold=0.25,value=-2",
    ]
}

/// Points where the derivative jumps (or the branch switches), for finite-difference checks to stay away from.
fn kinks(a: &Activation) -> Vec<f64> {
    match *a {
        Activation::Relu | Activation::LeakyRelu { .. } | Activation::Prelu { .. } | Activation::Rrelu { .. } => {
            vec![0.0]
        }
        Activation::Elu { .. } | Activation::Celu { .. } | Activation::Selu => vec![0.0],
        Activation::Relu6 => vec![0.0, 6.0],
        Activation::Hardtanh { min_val, max_val } => vec![min_val, max_val],
        Activation::Hardsigmoid | Activation::Hardswish => vec![-3.0, 3.0],
        Activation::Hardshrink { lambd } | Activation::Softshrink { lambd } => vec![-lambd, lambd],
        Activation::Threshold { threshold, .. } => vec![threshold],
        Activation::Softplus { beta, threshold } => vec![threshold / beta],
        _ => vec![],
    }
}

#[test]
fn catalogue_specs_all_parse_and_round_trip() {
    for info in CATALOGUE {
        let spec = if info.name == "threshold" { "threshold:threshold=0.5,value=-1" } else { info.name };
        let a = act(spec);
        let again: Activation = a.to_string().parse().unwrap();
        assert_eq!(a, again, "{spec} → {a} did not round-trip");
        let by_class: Activation = spec.replacen(info.name, info.class, 1).parse().unwrap();
        assert_eq!(a, by_class, "class name {} parses to the same activation", info.class);
    }
}

proptest! {
    #![proptest_config(config())]

    /// Central differences in f64 agree with `derivative` away from kinks (ELU-family kinks are C¹ for α = 1 but
    /// are skipped uniformly).
    #[test]
    fn derivative_matches_central_difference(i in 0usize..27, x in -12.0f64..12.0) {
        let a = act(all_specs()[i]);
        prop_assume!(kinks(&a).iter().all(|k| (x - k).abs() > 1e-3));
        let h = 1e-5 * x.abs().max(1.0);
        let fd = (a.eval(x + h).unwrap() - a.eval(x - h).unwrap()) / (2.0 * h);
        let d = a.derivative(x).unwrap();
        prop_assert!((fd - d).abs() <= 1e-6 * (1.0 + d.abs()), "{a}: f'({x}) = {d}, central difference {fd}");
    }

    /// `backward` is `grad_output · derivative`, elementwise, and in-place forward equals out-of-place.
    #[test]
    fn slice_api_agrees_with_scalar_api(i in 0usize..27, xs in prop::collection::vec(-30.0f32..30.0, 1..40), g in -3.0f32..3.0) {
        let a = act(all_specs()[i]);
        let mut y = vec![0.0; xs.len()];
        let mut gx = vec![0.0; xs.len()];
        let mut inplace = xs.clone();
        a.forward(&xs, &mut y).unwrap();
        a.forward_inplace(&mut inplace).unwrap();
        a.backward(&xs, &vec![g; xs.len()], &mut gx).unwrap();
        for (k, &x) in xs.iter().enumerate() {
            prop_assert_eq!(y[k].to_bits(), a.eval(x).unwrap().to_bits());
            prop_assert_eq!(inplace[k].to_bits(), y[k].to_bits());
            let expected = a.derivative(x as f64).unwrap() * g as f64;
            prop_assert!((gx[k] as f64 - expected).abs() <= 1e-6 * (1.0 + expected.abs()), "{a} at {x}: {} vs {expected}", gx[k]);
        }
    }

    /// The f32 result is the f64 result rounded (within one f32 ULP): no f32-specific loss of accuracy.
    #[test]
    fn f32_agrees_with_f64(i in 0usize..27, x in -100.0f32..100.0) {
        let a = act(all_specs()[i]);
        let (y32, y64) = (a.eval(x).unwrap(), a.eval(x as f64).unwrap());
        let ulp = (y64 as f32).abs().next_up() - (y64 as f32).abs();
        prop_assert!(((y32 as f64) - y64).abs() <= ulp as f64 * 1.0 + f64::MIN_POSITIVE, "{a}({x}): {y32} vs {y64}");
    }

    #[test]
    fn sigmoid_symmetry(x in -700.0f64..700.0) {
        let s = act("sigmoid");
        let (p, n) = (s.eval(x).unwrap(), s.eval(-x).unwrap());
        prop_assert!((n - (1.0 - p)).abs() <= 2.0 * f64::EPSILON, "σ(−x) = 1 − σ(x) at {x}");
    }

    #[test]
    fn odd_functions(x in -50.0f64..50.0) {
        for spec in ["tanh", "softsign", "tanhshrink", "hardtanh", "softshrink", "hardshrink"] {
            let a = act(spec);
            let (p, n) = (a.eval(x).unwrap(), a.eval(-x).unwrap());
            prop_assert!(p == -n, "{spec} is odd at {x}: {p} vs {n}");
        }
    }

    /// f(x) − f(−x) = x for the activations of the form x·F(x) with F(−x) = 1 − F(x), and softplus/logsigmoid.
    #[test]
    fn difference_identities(x in -30.0f64..30.0) {
        for spec in ["softplus:threshold=inf", "gelu", "gelu:approximate=tanh", "silu", "logsigmoid", "relu"] {
            let a = act(spec);
            let d = a.eval(x).unwrap() - a.eval(-x).unwrap();
            prop_assert!((d - x).abs() <= 8.0 * f64::EPSILON * (1.0 + x.abs()), "{spec}(x) − {spec}(−x) = x at {x}: {d}");
        }
        let h = act("hardsigmoid");
        prop_assert!((h.eval(x).unwrap() + h.eval(-x).unwrap() - 1.0).abs() <= 2.0 * f64::EPSILON);
    }

    #[test]
    fn monotone_activations_are_monotone(x1 in -60.0f64..60.0, dx in 0.0f64..5.0) {
        let x2 = x1 + dx;
        for spec in ["relu", "relu6", "leaky_relu", "prelu", "rrelu", "elu", "celu:alpha=2", "selu", "softplus",
                     "softplus:beta=3,threshold=4", "softsign", "sigmoid", "tanh", "logsigmoid", "hardtanh",
                     "hardsigmoid", "softshrink", "tanhshrink"] {
            let a = act(spec);
            for (p, q) in [(a.eval(x1).unwrap(), a.eval(x2).unwrap()), (a.eval(x1 as f32).unwrap() as f64, a.eval(x2 as f32).unwrap() as f64)] {
                prop_assert!(p <= q, "{spec} decreases from {x1} to {x2}: {p} > {q}");
            }
            prop_assert!(a.derivative(x1).unwrap() >= 0.0);
        }
    }

    #[test]
    fn bounds(x in prop_oneof![-1e6f64..1e6, -40.0f64..40.0]) {
        let within = |spec: &str, lo: f64, hi: f64| {
            let y = act(spec).eval(x).unwrap();
            assert!(lo <= y && y <= hi, "{spec}({x}) = {y} outside [{lo}, {hi}]");
            let y32 = act(spec).eval(x as f32).unwrap() as f64;
            assert!(lo <= y32 && y32 <= hi, "{spec}({x}) = {y32} outside [{lo}, {hi}] in f32");
        };
        within("sigmoid", 0.0, 1.0);
        within("tanh", -1.0, 1.0);
        within("softsign", -1.0, 1.0);
        within("hardsigmoid", 0.0, 1.0);
        within("relu6", 0.0, 6.0);
        within("hardtanh:min_val=-2,max_val=0.5", -2.0, 0.5);
        within("elu:alpha=0.5", -0.5, f64::INFINITY);
        let (alpha, scale) = nonlin::SELU_CONSTANTS;
        within("selu", -alpha * scale, f64::INFINITY);
        within("logsigmoid", f64::NEG_INFINITY, 0.0);
        within("softplus", 0.0, f64::INFINITY);
        within("gelu", -0.17, f64::INFINITY);
        within("silu", -0.279, f64::INFINITY);
        within("mish", -0.309, f64::INFINITY);
        within("hardswish", -0.375, f64::INFINITY);
        // softplus(x) ≥ max(x, 0), with equality only in the limit
        prop_assert!(act("softplus").eval(x).unwrap() >= x.max(0.0));
    }

    #[test]
    fn rrelu_training_draws_in_range(xs in prop::collection::vec(-10.0f64..10.0, 1..50), u in prop::collection::vec(0.0f64..1.0, 50)) {
        let (lower, upper) = (0.1, 0.4);
        let mut draws = u.iter().map(|u| lower + (upper - lower) * u);
        let (mut y, mut noise, mut gx) = (vec![0.0; xs.len()], vec![0.0; xs.len()], vec![0.0; xs.len()]);
        nonlin::rrelu::forward_train(&xs, lower, upper, || draws.next().unwrap(), &mut y, &mut noise).unwrap();
        nonlin::rrelu::backward_train(&noise, &vec![2.0; xs.len()], &mut gx).unwrap();
        for k in 0..xs.len() {
            if xs[k] <= 0.0 {
                prop_assert!(lower <= noise[k] && noise[k] <= upper);
            } else {
                prop_assert_eq!(noise[k], 1.0);
            }
            prop_assert_eq!(y[k], xs[k] * noise[k]);
            prop_assert_eq!(gx[k], 2.0 * noise[k]);
        }
        let mut y = vec![0.0; 2];
        let bad = nonlin::rrelu::forward_train(&[-1.0, -2.0], lower, upper, || 0.9, &mut y, &mut [0.0; 2]);
        prop_assert!(bad.is_err(), "a slope outside [lower, upper] is rejected");
    }
}
