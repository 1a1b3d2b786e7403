//! Finite-difference gradient checks in f64 for every operation that has a backward, and the structured errors
//! of misuse.

use nonlin::Activation;
use nonlin_nn::rng::{self, Generator};
use nonlin_nn::{Error, Tensor, no_grad};

/// Tests that draw from the process-wide default generator take turns.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

type Op = dyn Fn(&[Tensor<f64>]) -> Result<Tensor<f64>, Error>;

fn random(shape: &[usize], g: &mut Generator, scale: f64) -> Vec<f64> {
    let mut v = vec![0.0; shape.iter().product()];
    g.fill_normal(&mut v, 0.0, scale);
    v
}

/// Checks `∂ Σ r·f(inputs) / ∂ inputs` from backward against central differences, with a fixed random `r`.
fn gradcheck(name: &str, f: &Op, shapes: &[&[usize]], seed: u64, prepare: impl Fn(&mut Vec<f64>)) {
    let mut g = Generator::new(seed);
    let values: Vec<Vec<f64>> = shapes
        .iter()
        .map(|s| {
            let mut v = random(s, &mut g, 1.0);
            prepare(&mut v);
            v
        })
        .collect();
    let leaves = |vals: &[Vec<f64>], grad: bool| -> Vec<Tensor<f64>> {
        vals.iter()
            .zip(shapes)
            .map(|(v, s)| Tensor::from_vec(v.clone(), s).unwrap().requires_grad_(grad).unwrap())
            .collect()
    };
    let inputs = leaves(&values, true);
    let y = f(&inputs).unwrap();
    let r = Tensor::from_vec(random(y.shape(), &mut g, 1.0), y.shape()).unwrap();
    let loss = |y: &Tensor<f64>| y.mul(&r).unwrap().sum();
    loss(&y).backward().unwrap();
    for (k, input) in inputs.iter().enumerate() {
        let analytic = input.grad().map(|t| t.to_vec()).unwrap_or_else(|| vec![0.0; values[k].len()]);
        for i in 0..values[k].len() {
            let h = 1e-6 * values[k][i].abs().max(1.0);
            let eval = |delta: f64| {
                let mut vals = values.clone();
                vals[k][i] += delta;
                let _g = no_grad();
                loss(&f(&leaves(&vals, false)).unwrap()).item().unwrap()
            };
            let numeric = (eval(h) - eval(-h)) / (2.0 * h);
            let a = analytic[i];
            assert!(
                (numeric - a).abs() <= 1e-5 * (1.0 + a.abs()),
                "{name}: d/d input{k}[{i}] analytic {a}, numeric {numeric}"
            );
        }
    }
}

fn keep_away_from(points: Vec<f64>) -> impl Fn(&mut Vec<f64>) {
    move |v: &mut Vec<f64>| {
        for x in v.iter_mut() {
            for &p in &points {
                if (*x - p).abs() < 1e-3 {
                    *x += 0.01;
                }
            }
        }
    }
}

fn none(_: &mut Vec<f64>) {}

#[test]
fn arithmetic_with_broadcasting() {
    gradcheck("add", &|t| t[0].add(&t[1]), &[&[2, 3], &[3]], 1, none);
    gradcheck("sub", &|t| t[0].sub(&t[1]), &[&[2, 1, 3], &[4, 1]], 2, none);
    gradcheck("mul", &|t| t[0].mul(&t[1]), &[&[3, 1], &[1, 4]], 3, none);
    gradcheck("div", &|t| t[0].div(&t[1]), &[&[2, 3], &[2, 3]], 4, |v| v.iter_mut().for_each(|x| *x = x.abs() + 0.5));
    gradcheck("add_scalar", &|t| Ok(t[0].add_scalar(2.5)), &[&[5]], 5, none);
    gradcheck("mul_scalar", &|t| Ok(t[0].mul_scalar(-1.5)), &[&[5]], 6, none);
    gradcheck("neg", &|t| Ok(t[0].neg()), &[&[2, 2]], 7, none);
    gradcheck("exp", &|t| Ok(t[0].exp()), &[&[6]], 8, none);
    gradcheck("log", &|t| Ok(t[0].log()), &[&[6]], 9, |v| v.iter_mut().for_each(|x| *x = x.abs() + 0.1));
}

#[test]
fn matrix_products() {
    gradcheck("mm", &|t| t[0].mm(&t[1]), &[&[3, 4], &[4, 2]], 10, none);
    gradcheck("matmul", &|t| t[0].matmul(&t[1]), &[&[1, 5], &[5, 3]], 11, none);
    gradcheck("linear+bias", &|t| t[0].linear(&t[1], Some(&t[2])), &[&[3, 4], &[2, 4], &[2]], 12, none);
    gradcheck("linear", &|t| t[0].linear(&t[1], None), &[&[3, 4], &[5, 4]], 13, none);
}

#[test]
fn shape_and_reductions() {
    gradcheck("reshape", &|t| t[0].reshape(&[3, -1]), &[&[2, 3]], 20, none);
    gradcheck("transpose", &|t| t[0].transpose(0, 2), &[&[2, 3, 4]], 21, none);
    gradcheck("t", &|t| t[0].t(), &[&[2, 5]], 22, none);
    gradcheck("slice", &|t| t[0].slice(1, 3), &[&[4, 2]], 23, none);
    gradcheck("select", &|t| t[0].select(2), &[&[4, 3]], 24, none);
    gradcheck("sum", &|t| Ok(t[0].sum()), &[&[3, 2]], 25, none);
    gradcheck("mean", &|t| Ok(t[0].mean()), &[&[3, 2]], 26, none);
    gradcheck("sum_dim", &|t| t[0].sum_dim(1, false), &[&[2, 3, 4]], 27, none);
    gradcheck("mean_dim keepdim", &|t| t[0].mean_dim(-1, true), &[&[2, 3, 4]], 28, none);
    gradcheck("max", &|t| t[0].max(), &[&[7]], 29, none);
    gradcheck("max_dim", &|t| Ok(t[0].max_dim(0, false)?.0), &[&[3, 4]], 30, none);
}

#[test]
fn every_activation() {
    for (i, info) in nonlin::CATALOGUE.iter().enumerate() {
        let spec = if info.name == "threshold" { "threshold:threshold=0.25,value=-2" } else { info.name };
        let act: Activation = spec.parse().unwrap();
        let kinks = match act {
            Activation::Relu6 => vec![0.0, 6.0],
            Activation::Hardtanh { min_val, max_val } => vec![min_val, max_val],
            Activation::Hardsigmoid | Activation::Hardswish => vec![-3.0, 3.0],
            Activation::Hardshrink { lambd } | Activation::Softshrink { lambd } => vec![-lambd, lambd],
            Activation::Threshold { threshold, .. } => vec![threshold],
            _ => vec![0.0],
        };
        gradcheck(spec, &move |t| t[0].activation(&act), &[&[3, 5]], 100 + i as u64, keep_away_from(kinks));
    }
    gradcheck("gelu tanh", &|t| t[0].activation(&"gelu:approximate=tanh".parse().unwrap()), &[&[9]], 200, none);
}

#[test]
fn prelu_per_channel_and_rrelu_training() {
    let _serial = serial();
    gradcheck("prelu", &|t| t[0].prelu(&t[1]), &[&[2, 3, 2], &[3]], 300, keep_away_from(vec![0.0]));
    gradcheck("prelu one weight", &|t| t[0].prelu(&t[1]), &[&[4], &[1]], 301, keep_away_from(vec![0.0]));
    // Reseed before every evaluation so each draws the same slopes.
    gradcheck(
        "rrelu train",
        &|t| {
            rng::manual_seed(9);
            t[0].rrelu_train(0.1, 0.4)
        },
        &[&[8]],
        302,
        keep_away_from(vec![0.0]),
    );
}

#[test]
fn gradients_accumulate_and_no_grad_records_nothing() {
    let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2]).unwrap().requires_grad_(true).unwrap();
    x.mul_scalar(3.0).sum().backward().unwrap();
    x.mul_scalar(3.0).sum().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 6.0], "grads accumulate with +=");
    x.zero_grad();
    assert!(x.grad().is_none());
    // A tensor used twice receives both contributions.
    let y = x.mul(&x).unwrap().sum();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0]);
    let z = {
        let _g = no_grad();
        x.mul_scalar(2.0)
    };
    assert!(!z.requires_grad() && z.grad_fn().is_none());
    let d = x.mul_scalar(2.0).detach();
    assert!(d.is_leaf() && !d.requires_grad());
}

#[test]
fn misuse_is_a_structured_error() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    let b = Tensor::<f32>::zeros(&[4]);
    let err = a.add(&b).unwrap_err();
    assert_eq!(err, Error::Broadcast { op: "add", lhs: vec![2, 3], rhs: vec![4] });
    assert!(err.to_string().contains("[2, 3] and [4] cannot be broadcast"));
    assert!(matches!(a.mm(&Tensor::zeros(&[2, 2])), Err(Error::Shape { op: "mm", .. })));
    assert!(matches!(b.mm(&b), Err(Error::Shape { op: "mm", .. })));
    let w = Tensor::<f32>::zeros(&[5, 4]);
    assert!(matches!(a.linear(&w, None), Err(Error::Shape { op: "linear", .. })));
    assert!(matches!(Tensor::<f32>::from_vec(vec![1.0; 5], &[2, 3]), Err(Error::ElementCount { len: 5, .. })));
    assert!(matches!(a.reshape(&[4, -1]), Err(Error::Shape { op: "reshape", .. })));
    assert!(matches!(a.reshape(&[-1, -1]), Err(Error::Shape { op: "reshape", .. })));
    assert!(matches!(a.transpose(0, 3), Err(Error::Dim { op: "transpose", dim: 3, ndim: 2 })));
    assert!(matches!(a.sum_dim(-3, false), Err(Error::Dim { op: "sum", .. })));
    assert!(matches!(a.select(2), Err(Error::Index { op: "select", .. })));
    assert!(matches!(Tensor::<f32>::zeros(&[2, 2, 2]).t(), Err(Error::Shape { op: "t", .. })));
    assert!(matches!(a.item(), Err(Error::Shape { op: "item", .. })));
    let x = Tensor::<f32>::ones(&[3]).requires_grad_(true).unwrap();
    let y = x.mul_scalar(2.0);
    assert_eq!(y.backward(), Err(Error::BackwardNonScalar { shape: vec![3] }));
    assert!(matches!(y.backward_with(&Tensor::ones(&[2])), Err(Error::Shape { op: "backward", .. })));
    assert_eq!(Tensor::<f32>::ones(&[1]).backward(), Err(Error::NoGrad));
    let bad = Activation::Softshrink { lambd: -1.0 };
    assert!(matches!(x.activation(&bad), Err(Error::Activation(_))));
    assert!(matches!(x.prelu(&Tensor::ones(&[2])), Err(Error::Activation(_))));
    assert!(y.requires_grad_(false).is_err(), "non-leaf requires_grad cannot be turned off");
}

#[test]
fn softmax_family_flatten_and_losses() {
    use nonlin_nn::loss::{self, Reduction};
    gradcheck("softmax", &|t| t[0].softmax(1), &[&[3, 4]], 400, none);
    gradcheck("softmax dim 0", &|t| t[0].softmax(0), &[&[3, 2, 2]], 401, none);
    gradcheck("log_softmax", &|t| t[0].log_softmax(-1), &[&[3, 4]], 402, none);
    gradcheck("flatten", &|t| t[0].flatten(1, -1), &[&[2, 3, 2]], 403, none);
    for r in [Reduction::None, Reduction::Mean, Reduction::Sum] {
        gradcheck("mse", &move |t| loss::mse_loss(&t[0], &t[1], r), &[&[3, 2], &[3, 2]], 404, none);
        gradcheck("cross_entropy", &move |t| loss::cross_entropy(&t[0], &[2, 0, 1], r), &[&[3, 4]], 405, none);
        gradcheck("nll", &move |t| loss::nll_loss(&t[0], &[1, 1], r), &[&[2, 3]], 406, none);
        gradcheck("bce", &move |t| loss::binary_cross_entropy_with_logits(&t[0], &t[1], r), &[&[4], &[4]], 407, none);
    }
}

#[test]
fn dropout_zeroes_and_scales_in_training_only() {
    let _serial = serial();
    let x = Tensor::<f64>::ones(&[10_000]).requires_grad_(true).unwrap();
    assert!(x.dropout(0.3, false).unwrap().same(&x), "identity in eval mode");
    rng::manual_seed(5);
    let y = x.dropout(0.3, true).unwrap();
    let v = y.to_vec();
    let zeros = v.iter().filter(|&&e| e == 0.0).count() as f64 / v.len() as f64;
    assert!((zeros - 0.3).abs() < 0.02, "dropped fraction {zeros}");
    assert!(v.iter().all(|&e| e == 0.0 || (e - 1.0 / 0.7).abs() < 1e-12), "kept values scaled by 1/(1 − p)");
    assert_eq!(y.grad_fn().unwrap().name(), "MulBackward0");
    y.sum().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), v, "the gradient is the mask");
    assert!(x.dropout(1.5, true).is_err());
    let loss_err = nonlin_nn::loss::cross_entropy(&Tensor::<f32>::zeros(&[2, 3]), &[0, 3], Default::default());
    assert!(matches!(loss_err, Err(Error::Index { op: "cross_entropy", .. })), "target out of range names it");
    let loss_err =
        nonlin_nn::loss::mse_loss(&Tensor::<f32>::zeros(&[2, 3]), &Tensor::zeros(&[3, 2]), Default::default());
    assert!(matches!(loss_err, Err(Error::Shape { op: "mse_loss", .. })));
}
