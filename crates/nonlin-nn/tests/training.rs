//! Training parity with PyTorch 2.15.0 on the data of `tools/reference/torch_train.py`: an MLP loaded from a
//! safetensors file PyTorch wrote (forward, loss, every gradient), each loss and reduction, 20 steps of every
//! optimizer variant, and a state_dict written here that PyTorch loaded.

mod common;

use common::f64s;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nonlin_nn::loss::{self, Reduction};
use nonlin_nn::nn::{ELU, GELU, LeakyReLU, Linear, PReLU, ReLU, Sequential};
use nonlin_nn::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use nonlin_nn::{Error, Module, Tensor, io, rng};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn data() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("train.json")).unwrap()).unwrap()
}

fn f32s(v: &Value) -> Vec<f32> {
    f64s(v).iter().map(|&x| x as f32).collect()
}

/// `assert_close`'s float32 defaults.
const RTOL: f64 = 1.3e-6;
const ATOL: f64 = 1e-5;

fn assert_close(what: &str, ours: &[f32], torch: &[f32], rtol: f64, atol: f64) {
    assert_eq!(ours.len(), torch.len(), "{what}: length");
    if std::env::var_os("NONLIN_SHOW_DRIFT").is_some() {
        let worst = ours
            .iter()
            .zip(torch)
            .map(|(a, b)| ((a - b).abs() as f64) / (b.abs() as f64).max(1e-3))
            .fold(0.0, f64::max);
        println!("{what}: worst relative difference {worst:.2e}");
    }
    for (i, (a, b)) in ours.iter().zip(torch).enumerate() {
        let (a, b) = (*a as f64, *b as f64);
        assert!((a - b).abs() <= atol + rtol * b.abs(), "{what}[{i}]: nonlin {a}, torch {b}");
    }
}

/// The architecture of `torch_train.py`'s `mlp()`; its weights are loaded from PyTorch's file.
fn mlp() -> Sequential {
    Sequential::new()
        .push(Linear::new(6, 8, true))
        .push(ReLU::new())
        .push(Linear::new(8, 8, true))
        .push(LeakyReLU::new(0.1).unwrap())
        .push(Linear::new(8, 8, true))
        .push(PReLU::new(8, 0.2).unwrap())
        .push(Linear::new(8, 8, true))
        .push(ELU::new(1.0).unwrap())
        .push(Linear::new(8, 8, true))
        .push(GELU::new())
        .push(Linear::new(8, 3, true))
}

/// Every test here builds layers, which draw from the process-wide default generator; the round-trip test
/// needs its draws undisturbed, so the tests take turns.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn loaded_mlp() -> Sequential {
    let model = mlp();
    let (tensors, _) = io::load_safetensors(&dir().join("mlp_init.safetensors")).unwrap();
    model.load_state_dict(&tensors).unwrap();
    model
}

fn batch(d: &Value) -> (Tensor, Vec<usize>) {
    let x = Tensor::from_vec(f32s(&d["x"]), &[10, 6]).unwrap();
    let target = d["target"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    (x, target)
}

#[test]
fn mlp_from_pytorch_file_matches_forward_and_every_gradient() {
    let _serial = serial();
    let d = data();
    let model = loaded_mlp();
    assert_eq!(model.to_string(), d["repr"].as_str().unwrap(), "Sequential repr");
    let (x, target) = batch(&d);
    let y = model.forward(&x).unwrap();
    assert_close("forward", &y.to_vec(), &f32s(&d["forward"]["y"]), RTOL, ATOL);
    let loss = loss::cross_entropy(&y, &target, Reduction::Mean).unwrap();
    assert_eq!(loss.grad_fn().unwrap().name(), "NllLossBackward0");
    assert_close("loss", &loss.to_vec(), &f32s(&d["forward"]["loss"]), RTOL, ATOL);
    loss.backward().unwrap();
    let grads = d["forward"]["grads"].as_object().unwrap();
    let named = model.named_parameters();
    assert_eq!(named.len(), grads.len(), "same parameters");
    for (name, p) in named {
        assert_close(&format!("grad of {name}"), &p.grad().unwrap().to_vec(), &f32s(&grads[&name]), RTOL, ATOL);
    }
}

#[test]
fn every_loss_and_reduction_with_its_gradient() {
    let d = data();
    for case in d["losses"].as_array().unwrap() {
        let (name, reduction) = (case["loss"].as_str().unwrap(), case["reduction"].as_str().unwrap());
        let r = match reduction {
            "none" => Reduction::None,
            "mean" => Reduction::Mean,
            _ => Reduction::Sum,
        };
        let input = Tensor::from_vec(f32s(&case["input"]), &[4, 3]).unwrap().requires_grad_(true).unwrap();
        let classes: Vec<usize> = f64s(&case["target"]).iter().map(|&v| v as usize).collect();
        let target = || Tensor::from_vec(f32s(&case["target"]), &[4, 3]).unwrap();
        let value = match name {
            "mse" => loss::mse_loss(&input, &target(), r),
            "cross_entropy" => loss::cross_entropy(&input, &classes, r),
            "nll" => loss::nll_loss(&input, &classes, r),
            _ => loss::binary_cross_entropy_with_logits(&input, &target(), r),
        }
        .unwrap();
        let what = format!("{name} reduction={reduction}");
        assert_eq!(value.grad_fn().unwrap().name(), case["grad_fn"].as_str().unwrap(), "{what}");
        assert_close(&what, &value.to_vec(), &f32s(&case["value"]), RTOL, ATOL);
        value.backward_with(&Tensor::from_vec(f32s(&case["upstream"]), value.shape()).unwrap()).unwrap();
        assert_close(&format!("{what} gradient"), &input.grad().unwrap().to_vec(), &f32s(&case["grad"]), RTOL, ATOL);
    }
}

/// Twenty full-batch steps from the same weights end at PyTorch's parameters. Tolerance: |Δ| ≤ 1e-5 + 1e-5·|p|
/// — float32 accumulation (matrix products and reductions summed in another order than PyTorch's BLAS) lets
/// parameters drift by a few ULPs per step.
#[test]
fn twenty_optimizer_steps_end_at_pytorchs_parameters() {
    let _serial = serial();
    let d = data();
    let (x, target) = batch(&d);
    let runs = d["optimizers"].as_object().unwrap();
    assert_eq!(runs.len(), 10);
    for (name, expected) in runs {
        let model = loaded_mlp();
        let params = model.parameters();
        let mut opt: Box<dyn Optimizer> = match name.as_str() {
            "sgd" => Box::new(Sgd::new(params, SgdConfig::new(0.1)).unwrap()),
            "sgd_momentum" => Box::new(Sgd::new(params, SgdConfig { momentum: 0.9, ..SgdConfig::new(0.05) }).unwrap()),
            "sgd_nesterov" => {
                Box::new(Sgd::new(params, SgdConfig { momentum: 0.9, nesterov: true, ..SgdConfig::new(0.05) }).unwrap())
            }
            "sgd_dampening_wd" => Box::new(
                Sgd::new(
                    params,
                    SgdConfig { momentum: 0.8, dampening: 0.1, weight_decay: 1e-2, ..SgdConfig::new(0.05) },
                )
                .unwrap(),
            ),
            "sgd_weight_decay" => {
                Box::new(Sgd::new(params, SgdConfig { weight_decay: 0.05, ..SgdConfig::new(0.1) }).unwrap())
            }
            "adam" => Box::new(Adam::new(params, AdamConfig::adam(1e-2)).unwrap()),
            "adam_amsgrad" => {
                Box::new(Adam::new(params, AdamConfig { amsgrad: true, ..AdamConfig::adam(1e-2) }).unwrap())
            }
            "adam_weight_decay" => {
                Box::new(Adam::new(params, AdamConfig { weight_decay: 1e-2, ..AdamConfig::adam(1e-2) }).unwrap())
            }
            "adamw" => Box::new(Adam::new(params, AdamConfig::adamw(1e-2)).unwrap()),
            "adamw_amsgrad" => Box::new(
                Adam::new(
                    params,
                    AdamConfig { weight_decay: 0.1, amsgrad: true, betas: (0.8, 0.99), ..AdamConfig::adamw(1e-2) },
                )
                .unwrap(),
            ),
            other => panic!("unknown optimizer {other}"),
        };
        for _ in 0..20 {
            opt.zero_grad();
            loss::cross_entropy(&model.forward(&x).unwrap(), &target, Reduction::Mean).unwrap().backward().unwrap();
            opt.step().unwrap();
        }
        for (pname, p) in model.named_parameters() {
            assert_close(&format!("{name}: {pname}"), &p.to_vec(), &f32s(&expected[&pname]), 1e-5, 1e-5);
        }
        let final_loss = loss::cross_entropy(&model.forward(&x).unwrap(), &target, Reduction::Mean).unwrap();
        assert_close(&format!("{name}: final loss"), &final_loss.to_vec(), &f32s(&expected["final_loss"]), 1e-5, 1e-5);
    }
}

#[test]
fn a_state_dict_saved_here_loads_in_pytorch_with_the_same_outputs() {
    let d = data();
    // The committed file is what this code writes today (same bytes) ...
    let _serial = serial();
    rng::manual_seed(123);
    let model = Sequential::new()
        .push(Linear::new(6, 8, true))
        .push(ReLU::new())
        .push(Linear::new(8, 8, true))
        .push(LeakyReLU::new(0.1).unwrap())
        .push(Linear::new(8, 3, true));
    let metadata = BTreeMap::from([(
        "arch".to_string(),
        "linear:8 relu linear:8 leaky_relu:negative_slope=0.1 linear:3".to_string(),
    )]);
    let ours = io::to_safetensors_bytes(&model.state_dict(), &metadata).unwrap();
    let committed = std::fs::read(dir().join(d["roundtrip"]["file"].as_str().unwrap())).unwrap();
    assert_eq!(ours, committed, "the committed nonlin_saved.safetensors is what nonlin writes");
    // ... PyTorch loaded it strictly into the same architecture, found PyTorch's own initialisation for seed 123,
    // and computed these outputs:
    assert!(d["roundtrip"]["same_as_torch_init"].as_bool().unwrap());
    let (x, _) = batch(&d);
    assert_close("round trip", &model.forward(&x).unwrap().to_vec(), &f32s(&d["roundtrip"]["y"]), RTOL, ATOL);
    let (back, meta) = io::from_safetensors_bytes(&ours).unwrap();
    assert_eq!(meta, metadata);
    assert_eq!(
        back.keys().cloned().collect::<Vec<_>>(),
        ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    );
}

#[test]
fn load_errors_name_every_bad_tensor_and_change_nothing() {
    let _serial = serial();
    let model = Sequential::new().push(Linear::new(3, 2, true)).push(ReLU::new()).push(Linear::new(2, 1, false));
    let before = model.parameters().iter().map(Tensor::to_vec).collect::<Vec<_>>();
    let mut tensors = io::StateDict::new();
    let stored = |shape: &[usize]| io::Stored {
        shape: shape.to_vec(),
        values: io::StoredValues::F32(vec![0.5; shape.iter().product()]),
    };
    tensors.insert("0.weight".into(), stored(&[2, 4]));
    tensors.insert("0.bias".into(), stored(&[2]));
    tensors.insert("3.weight".into(), stored(&[1, 2]));
    let err = model.load_state_dict(&tensors).unwrap_err();
    assert_eq!(
        err,
        Error::StateDict {
            missing: vec!["2.weight".into()],
            unexpected: vec!["3.weight".into()],
            mismatched: vec!["0.weight: the file has shape [2, 4], the model [2, 3]".into()],
        }
    );
    let text = err.to_string();
    assert!(text.contains("missing key(s): 2.weight") && text.contains("unexpected key(s): 3.weight"), "{text}");
    assert_eq!(model.parameters().iter().map(Tensor::to_vec).collect::<Vec<_>>(), before, "nothing changed");
    assert!(matches!(io::from_safetensors_bytes(b"not a file"), Err(Error::Invalid { .. })));
    assert!(matches!(io::load_safetensors(Path::new("/nonexistent/x.safetensors")), Err(Error::Io { .. })));
}
