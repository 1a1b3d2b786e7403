//! Outputs written with non-temporal stores (`simd::set_stream_threshold`) hold the same bits as ordinary ones:
//! every activation, `f32` and `f64`, forward, backward, from the output and from log-sigmoid's buffer, on every
//! dispatch level this CPU has, with outputs that start unaligned and end in a partial block, on one and two threads.

use nonlin::{Activation, CATALOGUE, Float, simd};

/// Deterministic inputs over [−20, 20] with exact zeros, infinities and a NaN among them.
fn inputs<T: Float>(n: usize, seed: u32) -> Vec<T> {
    let mut s = 0x9E37_79B9u32 ^ seed;
    let mut v: Vec<T> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            T::from_f64((s as f64 / u32::MAX as f64) * 40.0 - 20.0)
        })
        .collect();
    for (i, special) in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN].into_iter().enumerate() {
        if n > 0 {
            v[i * 997 % n] = T::from_f64(special);
        }
    }
    v
}

/// Every output the activation has, as bits (`to_f64` keeps NaN payloads apart from other values well enough for
/// an equality test of two runs of the same code).
fn outputs<T: Float>(act: &Activation, x: &[T], g: &[T], offset: usize) -> Vec<Vec<u64>> {
    let n = x.len();
    // The outputs start `offset` elements into their allocation, so their first element is not 32-byte aligned.
    let slot = || vec![T::ZERO; n + offset];
    let bits = |v: &[T]| v.iter().map(|t| t.to_f64().to_bits()).collect::<Vec<u64>>();
    let (mut y, mut gx) = (slot(), slot());
    act.forward(x, &mut y[offset..]).unwrap();
    act.backward(x, g, &mut gx[offset..]).unwrap();
    let mut out = vec![bits(&y[offset..]), bits(&gx[offset..])];
    if matches!(act, Activation::Sigmoid | Activation::Tanh) {
        let mut gy = slot();
        act.backward_from_output(&y[offset..], g, &mut gy[offset..]).unwrap();
        out.push(bits(&gy[offset..]));
    }
    if *act == Activation::LogSigmoid {
        let (mut y2, mut buffer, mut gb) = (slot(), slot(), slot());
        act.forward_with_buffer(x, &mut y2[offset..], &mut buffer[offset..]).unwrap();
        act.backward_from_buffer(x, &buffer[offset..], g, &mut gb[offset..]).unwrap();
        out.push(bits(&gb[offset..]));
    }
    out
}

fn check<T: Float>() {
    for info in CATALOGUE {
        let spec = if info.name == "threshold" { "threshold:threshold=0.5,value=-1" } else { info.name };
        let act: Activation = spec.parse().unwrap();
        // Empty, shorter than one block, a few blocks and a partial one, and past the piecewise kernels' split.
        for (n, offset) in [(0, 0), (5, 1), (3_001, 3), (20_011, 5), ((1 << 18) + 77, 7)] {
            let (x, g) = (inputs::<T>(n, 1), inputs::<T>(n, 2));
            for level in simd::available() {
                simd::set_level(Some(level)).unwrap();
                for threads in [1, 2] {
                    simd::set_num_threads(threads).unwrap();
                    simd::set_stream_threshold(usize::MAX);
                    let plain = outputs(&act, &x, &g, offset);
                    simd::set_stream_threshold(0);
                    let streamed = outputs(&act, &x, &g, offset);
                    assert!(
                        plain == streamed,
                        "{spec} {}: {n} elements at offset {offset}, {}, {threads} thread(s)",
                        std::any::type_name::<T>(),
                        level.name()
                    );
                }
            }
        }
    }
    simd::set_level(None).unwrap();
    simd::set_num_threads(0).unwrap();
    simd::set_stream_threshold(simd::STREAM_THRESHOLD_BYTES);
}

#[test]
fn streamed_outputs_match_ordinary_stores() {
    check::<f32>();
    check::<f64>();
    assert_eq!(simd::stream_threshold(), simd::STREAM_THRESHOLD_BYTES);
}
