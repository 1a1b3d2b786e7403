//! nonlin-nn against real PyTorch 2.15.0, on the data of `tools/reference/torch_nn.py`: tensor reprs,
//! `manual_seed` streams, Linear's initialisation, Linear + every activation forward and backward, module
//! reprs, and the text of `nonlin demo`.

mod common;

use common::f64s;

use nonlin::Activation;
use nonlin_nn::nn::{ActivationLayer, Linear, PReLU};
use nonlin_nn::rng::{self, Generator};
use nonlin_nn::{Element, Module, Tensor};
use serde_json::Value;

fn data() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_nn.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cast<T: Element>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn repr_case<T: Element>(case: &Value) -> String {
    let values: Vec<f64> = match case.get("randn") {
        Some(r) => {
            let mut g = Generator::new(r["seed"].as_u64().unwrap());
            let mut v = vec![0.0f64; r["n"].as_u64().unwrap() as usize];
            g.fill_normal(&mut v, 0.0, 1.0);
            let scale = r["scale"].as_f64().unwrap();
            v.iter().map(|x| x * scale).collect()
        }
        None => f64s(&case["values"]),
    };
    let t = Tensor::<T>::from_vec(cast(&values), &shape(&case["shape"])).unwrap();
    let t = match case["op"].as_str().unwrap() {
        "none" => t,
        "requires_grad" => t.requires_grad_(true).unwrap(),
        "relu" => t.requires_grad_(true).unwrap().relu(),
        "mul1" => t.requires_grad_(true).unwrap().mul_scalar(T::ONE),
        op => panic!("unknown op {op}"),
    };
    t.repr()
}

#[test]
fn reprs_match_pytorch() {
    let d = data();
    let mut failures = vec![];
    for case in d["reprs"].as_array().unwrap() {
        let ours = if case["dtype"] == "f32" { repr_case::<f32>(case) } else { repr_case::<f64>(case) };
        let torch = case["repr"].as_str().unwrap();
        if ours != torch {
            failures
                .push(format!("shape {} {}:\n--- torch\n{torch}\n--- nonlin\n{ours}", case["shape"], case["dtype"]));
        }
    }
    assert!(failures.is_empty(), "{} repr mismatches:\n{}", failures.len(), failures.join("\n\n"));
}

fn rng_stream<T: Element>(case: &Value) {
    rng::manual_seed(case["seed"].as_u64().unwrap());
    for step in case["steps"].as_array().unwrap() {
        let n = step["n"].as_u64().unwrap() as usize;
        let t = match step["call"].as_str().unwrap() {
            "randn" => Tensor::<T>::randn(&[n]),
            "rand" => Tensor::<T>::rand(&[n]),
            "uniform_" => Tensor::<T>::zeros(&[n]).uniform_(-0.3, 0.7).clone(),
            "normal_" => Tensor::<T>::zeros(&[n]).normal_(1.5, 2.0).clone(),
            c => panic!("unknown call {c}"),
        };
        let ours: Vec<u64> = t.to_vec().iter().map(|v| v.to_f64().to_bits()).collect();
        let torch: Vec<u64> = f64s(&step["values"]).iter().map(|v| v.to_bits()).collect();
        assert_eq!(ours, torch, "seed {} {} {}({n})", case["seed"], case["dtype"], step["call"]);
    }
}

/// Tests that seed and draw from the process-wide default generator take this lock, so that parallel tests do
/// not interleave their draws.
static DEFAULT_GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Bit-exact streams, Linear's initialisation and the demo text.
#[test]
fn manual_seed_streams_and_linear_init_match_pytorch_bit_for_bit() {
    let _serial = DEFAULT_GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let d = data();
    for case in d["rng"].as_array().unwrap() {
        if case["dtype"] == "f32" { rng_stream::<f32>(case) } else { rng_stream::<f64>(case) }
    }
    for case in d["linear_init"].as_array().unwrap() {
        rng::manual_seed(case["seed"].as_u64().unwrap());
        let (i, o, b) = (
            case["in"].as_u64().unwrap() as usize,
            case["out"].as_u64().unwrap() as usize,
            case["bias"].as_bool().unwrap(),
        );
        let (w, bias, repr) = if case["dtype"] == "f32" {
            let l = Linear::<f32>::with_dtype(i, o, b);
            (
                l.weight.to_vec().iter().map(|v| *v as f64).collect::<Vec<_>>(),
                l.bias.as_ref().map(|b| b.to_vec().iter().map(|v| *v as f64).collect::<Vec<_>>()),
                l.to_string(),
            )
        } else {
            let l = Linear::<f64>::with_dtype(i, o, b);
            (l.weight.to_vec(), l.bias.as_ref().map(|b| b.to_vec()), l.to_string())
        };
        assert_eq!(w, f64s(&case["weight"]), "Linear({i}, {o}) weight, seed {}", case["seed"]);
        if b {
            assert_eq!(bias.unwrap(), f64s(&case["bias_values"]), "Linear({i}, {o}) bias");
        }
        assert_eq!(repr, case["repr"].as_str().unwrap());
    }
    for case in d["demo"].as_array().unwrap() {
        let seed = case["seed"].as_u64().unwrap();
        assert_eq!(nonlin_nn::demo::tutorial(seed).unwrap(), case["text"].as_str().unwrap(), "demo --seed {seed}");
    }
}

fn close(ours: &[f64], torch: &[f64], rtol: f64, atol: f64) -> bool {
    ours.len() == torch.len()
        && ours.iter().zip(torch).all(|(a, b)| (a.is_nan() && b.is_nan()) || (a - b).abs() <= atol + rtol * b.abs())
}

fn linear_activation<T: Element>(case: &Value, rtol: f64, atol: f64) {
    let spec = case["spec"].as_str().unwrap();
    let t = |k: &str, s: &[usize]| Tensor::<T>::from_vec(cast(&f64s(&case[k])), s).unwrap();
    let weight = t("weight", &[4, 6]).requires_grad_(true).unwrap();
    let bias = t("bias", &[4]).requires_grad_(true).unwrap();
    let layer = Linear::from_parameters(weight.clone(), Some(bias.clone())).unwrap();
    let x = t("x", &[3, 6]).requires_grad_(true).unwrap();
    let h = layer.forward(&x).unwrap();
    let (y, prelu_weight, repr) = if spec == "prelu_module" {
        let p = PReLU::<T>::with_dtype(4, 0.1).unwrap();
        (p.forward(&h).unwrap(), Some(p.weight.clone()), p.to_string())
    } else {
        let mut m = ActivationLayer::new(spec.parse::<Activation>().unwrap()).unwrap();
        Module::<T>::eval(&mut m);
        (m.forward(&h).unwrap(), None, m.to_string())
    };
    assert_eq!(y.grad_fn().unwrap().name(), case["grad_fn"].as_str().unwrap(), "{spec} grad_fn");
    assert_eq!(repr, case["module_repr"].as_str().unwrap(), "{spec} module repr");
    y.backward_with(&t("gy", y.shape())).unwrap();
    let v = |t: &Tensor<T>| t.to_vec().iter().map(|x| x.to_f64()).collect::<Vec<_>>();
    let tag = case["dtype"].as_str().unwrap();
    assert!(
        close(&v(&y), &f64s(&case["y"]), rtol, atol),
        "{spec} {tag} forward: {:?} vs {:?}",
        v(&y),
        f64s(&case["y"])
    );
    for (name, ours, key) in [("x", &x, "gx"), ("weight", &weight, "gw"), ("bias", &bias, "gb")] {
        let g = v(&ours.grad().unwrap());
        assert!(
            close(&g, &f64s(&case[key]), rtol, atol),
            "{spec} {tag} grad of {name}: {g:?} vs {:?}",
            f64s(&case[key])
        );
    }
    if let Some(w) = prelu_weight {
        let g = v(&w.grad().unwrap());
        assert!(close(&g, &f64s(&case["prelu_grad"]), rtol, atol), "PReLU weight grad {g:?}");
    }
}

/// Forward values and gradients of x, W, b (and PReLU's weight) within `assert_close`'s default tolerances
/// (the matrix products sum in a different order than PyTorch's BLAS).
#[test]
fn linear_with_every_activation_matches_pytorch() {
    let d = data();
    for case in d["linear_activation"].as_array().unwrap() {
        if case["dtype"] == "f32" {
            linear_activation::<f32>(case, 1.3e-6, 1e-5)
        } else {
            linear_activation::<f64>(case, 1e-7, 1e-7)
        }
    }
}

#[test]
fn module_reprs_match_pytorch() {
    let d = data();
    for case in d["module_reprs"].as_array().unwrap() {
        let spec = case["spec"].as_str().unwrap();
        let ours = match spec {
            "Softmax(1)" => nonlin_nn::nn::Softmax::new(1).to_string(),
            "LogSoftmax(-1)" => nonlin_nn::nn::LogSoftmax::new(-1).to_string(),
            "Flatten()" => nonlin_nn::nn::Flatten::default().to_string(),
            "Dropout(0.2)" => nonlin_nn::nn::Dropout::new(0.2).unwrap().to_string(),
            "Sequential" => {
                let _serial = DEFAULT_GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
                use nonlin_nn::nn::{Dropout, ReLU, Sequential, Softmax};
                let inner = Sequential::new().push(Linear::new(5, 2, true)).push(Softmax::new(1));
                Sequential::new()
                    .push(Linear::new(10, 5, true))
                    .push(ReLU::new())
                    .push(Dropout::new(0.5).unwrap())
                    .push(inner)
                    .to_string()
            }
            "Sequential()" => nonlin_nn::nn::Sequential::<f32>::new().to_string(),
            "prelu" => PReLU::new(1, 0.25).unwrap().to_string(),
            "prelu:num_parameters=3" => PReLU::new(3, 0.25).unwrap().to_string(),
            _ => ActivationLayer::new(spec.parse().unwrap()).unwrap().to_string(),
        };
        assert_eq!(ours, case["repr"].as_str().unwrap(), "{spec}");
    }
}

fn rrelu_case<T: Element>(case: &Value) {
    rng::manual_seed(21);
    let x = Tensor::<T>::randn(&[40]).requires_grad_(true).unwrap();
    let layer = nonlin_nn::nn::RReLU::new(0.1, 0.4).unwrap();
    let y = Module::<T>::forward(&layer, &x).unwrap();
    assert_eq!(y.grad_fn().unwrap().name(), "RreluWithNoiseBackward0");
    y.backward_with(&Tensor::ones(&[40])).unwrap();
    let after = Tensor::<T>::rand(&[3]);
    let bits = |t: &Tensor<T>| t.to_vec().iter().map(|v| v.to_f64().to_bits()).collect::<Vec<_>>();
    let expect = |k: &str| f64s(&case[k]).iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&y), expect("y"), "rrelu training values");
    assert_eq!(bits(&x.grad().unwrap()), expect("gx"), "rrelu training gradient");
    assert_eq!(bits(&after), expect("rand_after"), "the generator advanced exactly as PyTorch's");
}

fn ranges_case<T: Element>(case: &Value) {
    let call = case["call"].as_str().unwrap();
    let t = match call {
        "linspace(-5, 5, 100)" => Tensor::<T>::linspace(-5.0, 5.0, 100),
        "linspace(0, 1, 7)" => Tensor::<T>::linspace(0.0, 1.0, 7),
        "arange(0, 1, 0.1)" => Tensor::<T>::arange(0.0, 1.0, 0.1).unwrap(),
        "arange(-3, 4, 1.5)" => Tensor::<T>::arange(-3.0, 4.0, 1.5).unwrap(),
        c => panic!("unknown {c}"),
    };
    // PyTorch's vectorized range kernels build each block as `base + i·step` from a per-block base, so their
    // last bits depend on the block layout (up to ~3 ULPs of the range's magnitude in f32); nonlin evaluates each
    // value in f64 and rounds once. Agreement to 4 units in the last place at the range's largest magnitude.
    let eps = if T::DTYPE == "float32" { f32::EPSILON as f64 } else { f64::EPSILON };
    let ours: Vec<f64> = t.to_vec().iter().map(|v| v.to_f64()).collect();
    let torch = f64s(&case["values"]);
    assert_eq!(ours.len(), torch.len(), "{call} length");
    let scale = torch.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in ours.iter().zip(&torch) {
        assert!((a - b).abs() <= 4.0 * eps * scale, "{call} {}: {a} vs {b}", case["dtype"]);
    }
}

/// RReLU's training draws come from the default generator, which the stream test also uses.
#[test]
fn rrelu_training_and_ranges_match_pytorch() {
    let _serial = DEFAULT_GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let d = data();
    for case in d["rrelu_training"].as_array().unwrap() {
        if case["dtype"] == "f32" { rrelu_case::<f32>(case) } else { rrelu_case::<f64>(case) }
    }
    for case in d["ranges"].as_array().unwrap() {
        if case["dtype"] == "f32" { ranges_case::<f32>(case) } else { ranges_case::<f64>(case) }
    }
}

fn fnv1a64(bytes: impl Iterator<Item = u8>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// 80,000 samples of `randn(1000)` (40 seeds, both dtypes) against digests of PyTorch's bytes.
#[test]
fn randn_matches_pytorch_on_many_seeds() {
    let d = data();
    for case in d["randn_digests"].as_array().unwrap() {
        let mut g = Generator::new(case["seed"].as_u64().unwrap());
        let n = case["n"].as_u64().unwrap() as usize;
        let digest = if case["dtype"] == "f32" {
            let mut v = vec![0f32; n];
            g.fill_normal(&mut v, 0.0, 1.0);
            fnv1a64(v.iter().flat_map(|x| x.to_le_bytes()))
        } else {
            let mut v = vec![0f64; n];
            g.fill_normal(&mut v, 0.0, 1.0);
            fnv1a64(v.iter().flat_map(|x| x.to_le_bytes()))
        };
        assert_eq!(digest, case["fnv1a64"].as_str().unwrap(), "randn({n}) seed {} {}", case["seed"], case["dtype"]);
    }
}

fn init_case<T: Element>(case: &Value) {
    use nonlin_nn::init::{self, FanMode};
    rng::manual_seed(77);
    let t = Tensor::<T>::zeros(&[5, 7]);
    let name = case["init"].as_str().unwrap();
    match name {
        "kaiming_uniform_" => init::kaiming_uniform_(&t, 0.1, FanMode::FanIn, "leaky_relu").unwrap(),
        "kaiming_uniform_relu_fan_out" => init::kaiming_uniform_(&t, 0.0, FanMode::FanOut, "relu").unwrap(),
        "kaiming_normal_" => init::kaiming_normal_(&t, 0.0, FanMode::FanIn, "relu").unwrap(),
        "xavier_uniform_" => init::xavier_uniform_(&t, init::calculate_gain("tanh", None).unwrap()).unwrap(),
        "xavier_normal_" => init::xavier_normal_(&t, 1.0).unwrap(),
        "zeros_" => init::zeros_(&t),
        "ones_" => init::ones_(&t),
        other => panic!("unknown init {other}"),
    }
    let ours: Vec<u64> = t.to_vec().iter().map(|v| v.to_f64().to_bits()).collect();
    let torch: Vec<u64> = f64s(&case["values"]).iter().map(|v| v.to_bits()).collect();
    assert_eq!(ours, torch, "{name} {}", case["dtype"]);
}

/// `torch.nn.init` functions draw the same numbers with the same gain and fan rules, bit for bit.
#[test]
fn init_functions_match_pytorch() {
    let _serial = DEFAULT_GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let d = data();
    for case in d["inits"].as_array().unwrap() {
        if case["dtype"] == "f32" { init_case::<f32>(case) } else { init_case::<f64>(case) }
    }
}
