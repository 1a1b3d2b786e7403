//! Threaded calls give the same bits as single-threaded ones, on both sides of each split threshold, forward, in
//! place and backward (and log-sigmoid's buffered passes), and the thread count is validated.

use nonlin::{Activation, simd};

/// Deterministic inputs over [−20, 20] with some exact zeros, infinities and a NaN.
fn inputs(n: usize) -> Vec<f32> {
    let mut s = 0x9E37_79B9u32;
    let mut v: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32) * 40.0 - 20.0
        })
        .collect();
    for (i, special) in [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN].into_iter().enumerate() {
        v[i * 997 % n] = special;
    }
    v
}

/// Bits of the forward, in-place and backward results (and, for log-sigmoid, of the buffered passes).
fn run(act: &Activation, x: &[f32], g: &[f32]) -> Vec<Vec<u32>> {
    let n = x.len();
    let mut y = vec![0.0; n];
    act.forward(x, &mut y).unwrap();
    let mut inplace = x.to_vec();
    act.forward_inplace(&mut inplace).unwrap();
    let mut gx = vec![0.0; n];
    act.backward(x, g, &mut gx).unwrap();
    let mut out = vec![y, inplace, gx];
    if *act == Activation::LogSigmoid {
        let (mut y, mut buffer, mut gx) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        act.forward_with_buffer(x, &mut y, &mut buffer).unwrap();
        act.backward_from_buffer(x, &buffer, g, &mut gx).unwrap();
        out.extend([y, buffer, gx]);
    }
    out.into_iter().map(|v| v.into_iter().map(f32::to_bits).collect()).collect()
}

#[test]
fn threaded_calls_match_one_thread() {
    // Smooth kernels (and hard-sigmoid, hard-swish) split from 2^14 elements, piecewise ones from 2^16; odd sizes
    // leave a short last chunk.
    for n in [1 << 14, 100_003, (1 << 18) + 77] {
        let x = inputs(n);
        let g: Vec<f32> = inputs(n).iter().map(|v| v * 0.1).collect();
        for spec in ["gelu", "sigmoid", "logsigmoid", "relu", "hardswish", "hardsigmoid"] {
            let act: Activation = spec.parse().unwrap();
            simd::set_num_threads(1).unwrap();
            let one = run(&act, &x, &g);
            for threads in [2, 3] {
                simd::set_num_threads(threads).unwrap();
                assert_eq!(simd::num_threads(), threads);
                assert!(run(&act, &x, &g) == one, "{spec}, {n} elements, {threads} threads");
            }
        }
    }
    simd::set_num_threads(0).unwrap();
    assert!(simd::num_threads() >= 1);
}

#[test]
fn absurd_thread_counts_are_errors() {
    assert!(simd::set_num_threads(simd::MAX_THREADS + 1).is_err());
}
