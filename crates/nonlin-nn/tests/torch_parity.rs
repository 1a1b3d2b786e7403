//! nonlin-nn against real PyTorch 2.15.0, on the data of `tools/reference/torch_nn.py`: tensor reprs,
//! `manual_seed` streams, Linear's initialisation, Linear + every activation forward and backward, module
//! reprs, and the text of `nonlin demo`.

use nonlin::Activation;
use nonlin_nn::nn::{ActivationLayer, Linear, PReLU};
use nonlin_nn::rng::{self, Generator};
use nonlin_nn::{Element, Module, Tensor};
use serde_json::Value;

fn data() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_nn.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| f64::from_bits(u64::from_str_radix(s.as_str().unwrap(), 16).unwrap()))
        .collect()
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

/// Bit-exact streams; one test so that the shared default generator is not raced by parallel tests.
#[test]
fn manual_seed_streams_and_linear_init_match_pytorch_bit_for_bit() {
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
            "prelu" => PReLU::new(1, 0.25).unwrap().to_string(),
            "prelu:num_parameters=3" => PReLU::new(3, 0.25).unwrap().to_string(),
            _ => ActivationLayer::new(spec.parse().unwrap()).unwrap().to_string(),
        };
        assert_eq!(ours, case["repr"].as_str().unwrap(), "{spec}");
    }
}
