//! Reads the reference vectors written by `tools/reference/torch_vectors.py`.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The instruction-set level is process-wide, and the test harness runs a file's tests on parallel threads: every
/// test that forces a level ([`nonlin::simd::set_level`]) or compares the results of separate calls holds this, so
/// that no other test changes the level between its calls (`f64` CELU's in-place result once differed from its
/// out-of-place one that way: the portable level rounds differently from AVX2).
pub fn level_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One case: an activation spec in one dtype, with PyTorch's outputs and mpmath's reference values.
pub struct Case<T> {
    pub spec: String,
    /// `"exact"` (piecewise-linear, compared bit for bit) or `"smooth"`.
    pub kind: String,
    pub x: Vec<T>,
    pub y: Vec<T>,
    pub gy: Vec<T>,
    pub gx: Vec<T>,
    /// mpmath `f(x)` rounded to f64 (the limit at ±inf, NaN at NaN).
    pub ref_y: Vec<f64>,
    /// mpmath `gy·f′(x)` rounded to f64.
    pub ref_gx: Vec<f64>,
}

pub trait Elem: nonlin::Float {
    const TAG: &'static str;
    const SIZE: usize;
    fn read(b: &[u8]) -> Self;
    fn bits(self) -> u64;
}

impl Elem for f32 {
    const TAG: &'static str = "f32";
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Self {
        f32::from_le_bytes(b.try_into().unwrap())
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Elem for f64 {
    const TAG: &'static str = "f64";
    const SIZE: usize = 8;
    fn read(b: &[u8]) -> Self {
        f64::from_le_bytes(b.try_into().unwrap())
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
}

/// Every case of element type `T`, in file order.
pub fn load<T: Elem>() -> Vec<Case<T>> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data_dir().join("torch_vectors.json")).unwrap()).unwrap();
    let blob = std::fs::read(data_dir().join("torch_vectors.bin")).unwrap();
    let mut out = Vec::new();
    for c in manifest["cases"].as_array().unwrap() {
        if c["dtype"] != T::TAG {
            continue;
        }
        let n = c["n"].as_u64().unwrap() as usize;
        let mut at = c["offset"].as_u64().unwrap() as usize;
        let mut take = |size: usize| {
            let s = &blob[at..at + n * size];
            at += n * size;
            s
        };
        let arr = |s: &[u8]| s.chunks_exact(T::SIZE).map(T::read).collect::<Vec<T>>();
        let (x, y, gy, gx) = (arr(take(T::SIZE)), arr(take(T::SIZE)), arr(take(T::SIZE)), arr(take(T::SIZE)));
        let f64s = |s: &[u8]| s.chunks_exact(8).map(f64::read).collect::<Vec<f64>>();
        let (ref_y, ref_gx) = (f64s(take(8)), f64s(take(8)));
        out.push(Case {
            spec: c["spec"].as_str().unwrap().to_string(),
            kind: c["kind"].as_str().unwrap().to_string(),
            x,
            y,
            gy,
            gx,
            ref_y,
            ref_gx,
        });
    }
    assert!(!out.is_empty(), "no {} cases in the reference vectors", T::TAG);
    out
}

/// `torch.testing.assert_close`'s default tolerances for the dtype: (rtol, atol).
pub fn tolerances<T: Elem>() -> (f64, f64) {
    if T::SIZE == 4 { (1.3e-6, 1e-5) } else { (1e-7, 1e-7) }
}

/// `assert_close`'s rule: equal (NaN equal to NaN, same-signed infinities) or `|a − b| ≤ atol + rtol·|b|`.
pub fn close(a: f64, b: f64, rtol: f64, atol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= atol + rtol * b.abs()
}

/// Error of an `f32` result against a high-precision reference, in units of the f32 spacing at the reference
/// (the gap between the two f32 values around it). A reference beyond `f32::MAX` rounds to infinity, so an
/// infinite result is exact there.
pub fn ulps_f32(got: f32, reference: f64) -> f64 {
    if got.is_nan() || reference.is_nan() {
        return if got.is_nan() && reference.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let rounded = reference as f32;
    if rounded.is_infinite() || got.is_infinite() {
        return if got == rounded { 0.0 } else { f64::INFINITY };
    }
    let lo = if (rounded as f64) <= reference { rounded } else { rounded.next_down() };
    let spacing = lo.next_up() as f64 - lo as f64;
    (got as f64 - reference).abs() / spacing
}

/// Error of an `f64` result against a reference (itself rounded to f64), in f64 spacings at the reference.
pub fn ulps_f64(got: f64, reference: f64) -> f64 {
    if got.is_nan() || reference.is_nan() {
        return if got.is_nan() && reference.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if reference.is_infinite() || got.is_infinite() {
        return if got == reference { 0.0 } else { f64::INFINITY };
    }
    let r = reference.abs();
    (got - reference).abs() / (r.next_up() - r)
}
