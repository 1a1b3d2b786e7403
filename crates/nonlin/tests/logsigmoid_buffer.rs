//! Log-sigmoid's buffered passes against PyTorch's `log_sigmoid_forward`/`log_sigmoid_backward`
//! (`tools/reference/torch_logsigmoid_buffer.py` wrote the vectors): the gradient from PyTorch's buffer is
//! PyTorch's bit for bit on every dispatch level, the forward's output is nonlin's forward bit for bit and its
//! buffer is within an ULP of mpmath's e^(−|x|).

use nonlin::{Activation, simd};

mod common;
use common::{Elem, ulps_f32, ulps_f64};

struct Vectors<T> {
    x: Vec<T>,
    gy: Vec<T>,
    buffer: Vec<T>,
    gx: Vec<T>,
    exp_neg_abs: Vec<f64>,
}

fn load<T: Elem>() -> Vectors<T> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/logsigmoid_buffer.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let d = &v[T::TAG];
    let elems = |k: &str| -> Vec<T> {
        d[k].as_array().unwrap().iter().map(|b| T::read(&b.as_u64().unwrap().to_le_bytes()[..T::SIZE])).collect()
    };
    let exp = d["exp_neg_abs"].as_array().unwrap().iter().map(|b| f64::from_bits(b.as_u64().unwrap())).collect();
    Vectors { x: elems("x"), gy: elems("gy"), buffer: elems("buffer"), gx: elems("gx"), exp_neg_abs: exp }
}

fn check<T: Elem>() {
    let v = load::<T>();
    let act = Activation::LogSigmoid;
    let n = v.x.len();
    for level in simd::available() {
        simd::set_level(Some(level)).unwrap();
        let mut gx = vec![T::ZERO; n];
        act.backward_from_buffer(&v.x, &v.buffer, &v.gy, &mut gx).unwrap();
        for (i, (&got, &want)) in gx.iter().zip(&v.gx).enumerate() {
            assert!(
                got.bits() == want.bits() || (got.is_nan() && want.is_nan()),
                "{} {}: x={:e} buffer={:e}: {:e} vs PyTorch {:e}",
                T::TAG,
                level.name(),
                v.x[i],
                v.buffer[i],
                got,
                want
            );
        }
        let (mut y, mut buffer, mut plain) = (vec![T::ZERO; n], vec![T::ZERO; n], vec![T::ZERO; n]);
        act.forward_with_buffer(&v.x, &mut y, &mut buffer).unwrap();
        act.forward(&v.x, &mut plain).unwrap();
        for i in 0..n {
            assert!(y[i].bits() == plain[i].bits() || (y[i].is_nan() && plain[i].is_nan()), "x={:e}", v.x[i]);
            let r = v.exp_neg_abs[i];
            let e = if T::SIZE == 4 { ulps_f32(buffer[i].to_f64() as f32, r) } else { ulps_f64(buffer[i].to_f64(), r) };
            assert!(e <= 1.0, "{} {}: buffer at x={:e}: {:e}, {e} ULPs off", T::TAG, level.name(), v.x[i], buffer[i]);
        }
    }
    simd::set_level(None).unwrap();
}

#[test]
fn buffered_passes_are_pytorchs() {
    check::<f32>();
    check::<f64>();
}

#[test]
fn only_logsigmoid_has_a_buffer_and_lengths_must_match() {
    let (x, mut y, mut b) = ([1.0f32, -2.0], [0.0f32; 2], [0.0f32; 2]);
    assert!(Activation::Sigmoid.forward_with_buffer(&x, &mut y, &mut b).is_err());
    assert!(Activation::Relu.backward_from_buffer(&x, &b, &x, &mut y).is_err());
    assert!(Activation::LogSigmoid.forward_with_buffer(&x, &mut y, &mut b[..1]).is_err());
    assert!(Activation::LogSigmoid.backward_from_buffer(&x, &b[..1], &x, &mut y).is_err());
    assert!(Activation::LogSigmoid.backward_from_buffer(&x, &b, &x[..1], &mut y).is_err());
    Activation::LogSigmoid.forward_with_buffer(&x, &mut y, &mut b).unwrap();
}
