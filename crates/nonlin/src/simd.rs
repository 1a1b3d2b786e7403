//! Runtime dispatch and threading for the slice kernels.
//!
//! Each kernel is written once, per element, in branch-free Rust; the slice loops are compiled several times —
//! for AVX-512, for AVX2+FMA and for the baseline target (SSE2 on x86-64, NEON on aarch64) — and LLVM vectorizes
//! each for its instruction set. The widest level the CPU supports is chosen at run time; `NONLIN_SIMD=portable`,
//! `avx2` or `avx512` (or [`set_level`]) forces one, which is how the tests run every path. Inputs of at least
//! [`PARALLEL_THRESHOLD`] elements are split over threads ([`set_num_threads`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::error::Error;
use crate::float::Float;
use crate::kernel::Kernel;
use crate::math::{Baseline, Fma};

/// An instruction-set level the kernels are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// The target's baseline (SSE2 on x86-64, NEON on aarch64), still auto-vectorized.
    Portable,
    /// AVX2 with FMA (x86-64).
    Avx2,
    /// AVX-512 F/VL/DQ/BW (x86-64).
    Avx512,
}

impl Level {
    /// The name used by `NONLIN_SIMD` and `nonlin bench`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Portable => "portable",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    fn from_name(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "portable" | "scalar" | "sse2" | "neon" | "baseline" => Some(Level::Portable),
            "avx2" => Some(Level::Avx2),
            "avx512" | "avx-512" => Some(Level::Avx512),
            _ => None,
        }
    }

    fn supported(self) -> bool {
        match self {
            Level::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// Every level this CPU can run, narrowest first.
pub fn available() -> Vec<Level> {
    [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|l| l.supported()).collect()
}

/// The widest level this CPU can run.
pub fn detected() -> Level {
    *available().last().expect("portable is always available")
}

/// 0: not decided yet; otherwise 1 + the level's index.
static LEVEL: AtomicU8 = AtomicU8::new(0);

fn encode(l: Level) -> u8 {
    match l {
        Level::Portable => 1,
        Level::Avx2 => 2,
        Level::Avx512 => 3,
    }
}

/// The level in use: the one forced by [`set_level`], else `NONLIN_SIMD`, else [`detected`].
pub fn level() -> Level {
    match LEVEL.load(Ordering::Relaxed) {
        1 => Level::Portable,
        2 => Level::Avx2,
        3 => Level::Avx512,
        _ => {
            let l = std::env::var("NONLIN_SIMD")
                .ok()
                .and_then(|s| Level::from_name(&s))
                .filter(|l| l.supported())
                .unwrap_or_else(detected);
            LEVEL.store(encode(l), Ordering::Relaxed);
            l
        }
    }
}

/// Forces a level (`None`: back to automatic). An unsupported level is an error.
pub fn set_level(level: Option<Level>) -> Result<(), Error> {
    match level {
        None => LEVEL.store(0, Ordering::Relaxed),
        Some(l) if l.supported() => LEVEL.store(encode(l), Ordering::Relaxed),
        Some(l) => {
            return Err(Error::InvalidParameter {
                activation: "simd",
                requirement: format!("this CPU cannot run {}", l.name()),
            });
        }
    }
    Ok(())
}

/// Inputs with at least this many elements are split over threads. The same for every kernel: the memory-bound
/// piecewise ones gain little from a second thread below a few hundred thousand elements, and for the smooth ones
/// PyTorch's grain size (32,768) was measured too small for rayon here: waking a sleeping worker cost up to a
/// millisecond on the 2-core VM this was tuned on (PyTorch's OpenMP workers spin instead), and two threads were
/// slower than one at 65,536 elements (sigmoid 0.75 vs 1.0–1.2 Gelem/s).
pub const PARALLEL_THRESHOLD: usize = 1 << 18;

fn pool_slot() -> &'static Mutex<Option<Arc<rayon::ThreadPool>>> {
    static POOL: OnceLock<Mutex<Option<Arc<rayon::ThreadPool>>>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(None))
}

/// Threads for large inputs (`0`: rayon's default, one per core). Builds a dedicated pool.
pub fn set_num_threads(n: usize) -> Result<(), Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| Error::InvalidParameter { activation: "threads", requirement: e.to_string() })?;
    *pool_slot().lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(pool));
    Ok(())
}

fn pool() -> Option<Arc<rayon::ThreadPool>> {
    pool_slot().lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Threads large inputs are split over.
pub fn num_threads() -> usize {
    pool().map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
}

/// Splits `n` elements into per-thread ranges (a multiple of 64 each, so vector loops stay aligned), for inputs
/// of at least [`PARALLEL_THRESHOLD`] elements.
fn chunk_len(n: usize) -> Option<usize> {
    if n < PARALLEL_THRESHOLD {
        return None;
    }
    let threads = num_threads();
    if threads <= 1 {
        return None;
    }
    Some(n.div_ceil(threads).div_ceil(64) * 64)
}

/// Runs `f` in the configured pool (or rayon's global one).
fn in_pool(f: impl FnOnce() + Send) {
    match pool() {
        Some(p) => p.install(f),
        None => f(),
    }
}

#[inline(always)]
fn fwd_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = k.forward::<A>(x);
    }
}

#[inline(always)]
fn inplace_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &mut [T]) {
    for x in x.iter_mut() {
        *x = k.forward::<A>(*x);
    }
}

#[inline(always)]
fn bwd_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &[T], g: &[T], gx: &mut [T]) {
    for ((gx, &x), &g) in gx.iter_mut().zip(x).zip(g) {
        *gx = k.backward::<A>(x, g);
    }
}

macro_rules! versions {
    ($level:ident, $features:literal) => {
        mod $level {
            use super::*;
            use crate::math::Fused;

            #[target_feature(enable = $features)]
            pub(super) unsafe fn fwd<T: Float, K: Kernel<T>>(k: &K, x: &[T], y: &mut [T]) {
                fwd_loop::<T, K, Fused>(k, x, y)
            }
            #[target_feature(enable = $features)]
            pub(super) unsafe fn inplace<T: Float, K: Kernel<T>>(k: &K, x: &mut [T]) {
                inplace_loop::<T, K, Fused>(k, x)
            }
            #[target_feature(enable = $features)]
            pub(super) unsafe fn bwd<T: Float, K: Kernel<T>>(k: &K, x: &[T], g: &[T], gx: &mut [T]) {
                bwd_loop::<T, K, Fused>(k, x, g, gx)
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
versions!(avx2, "avx2,fma");
#[cfg(target_arch = "x86_64")]
versions!(avx512, "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma");

fn fwd_one<T: Float, K: Kernel<T>>(k: &K, x: &[T], y: &mut [T]) {
    match level() {
        // SAFETY: `level()` only returns a level whose features `Level::supported` detected on this CPU.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512::fwd(k, x, y) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2::fwd(k, x, y) },
        _ => fwd_loop::<T, K, Baseline>(k, x, y),
    }
}

fn inplace_one<T: Float, K: Kernel<T>>(k: &K, x: &mut [T]) {
    match level() {
        // SAFETY: as in `fwd_one`.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512::inplace(k, x) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2::inplace(k, x) },
        _ => inplace_loop::<T, K, Baseline>(k, x),
    }
}

fn bwd_one<T: Float, K: Kernel<T>>(k: &K, x: &[T], g: &[T], gx: &mut [T]) {
    match level() {
        // SAFETY: as in `fwd_one`.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512::bwd(k, x, g, gx) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2::bwd(k, x, g, gx) },
        _ => bwd_loop::<T, K, Baseline>(k, x, g, gx),
    }
}

/// `y = f(x)` over slices of equal length, vectorized and, for large inputs, threaded.
pub(crate) fn forward<T: Float, K: Kernel<T>>(k: K, x: &[T], y: &mut [T]) {
    match chunk_len(x.len()) {
        None => fwd_one(&k, x, y),
        Some(c) => in_pool(|| x.par_chunks(c).zip(y.par_chunks_mut(c)).for_each(|(xc, yc)| fwd_one(&k, xc, yc))),
    }
}

/// `x = f(x)`.
pub(crate) fn forward_inplace<T: Float, K: Kernel<T>>(k: K, x: &mut [T]) {
    match chunk_len(x.len()) {
        None => inplace_one(&k, x),
        Some(c) => in_pool(|| x.par_chunks_mut(c).for_each(|xc| inplace_one(&k, xc))),
    }
}

/// `gx = backward(x, g)`.
pub(crate) fn backward<T: Float, K: Kernel<T>>(k: K, x: &[T], g: &[T], gx: &mut [T]) {
    match chunk_len(x.len()) {
        None => bwd_one(&k, x, g, gx),
        Some(c) => in_pool(|| {
            x.par_chunks(c)
                .zip(g.par_chunks(c))
                .zip(gx.par_chunks_mut(c))
                .for_each(|((xc, gc), gxc)| bwd_one(&k, xc, gc, gxc))
        }),
    }
}
