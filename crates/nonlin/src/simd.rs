//! Runtime dispatch and threading for the slice kernels.
//!
//! Each kernel is written once, per element, in branch-free Rust; the slice loops are compiled several times —
//! for AVX-512, for AVX2+FMA and for the baseline target (SSE2 on x86-64, NEON on aarch64) — and LLVM vectorizes
//! each for its instruction set. The widest level the CPU supports is chosen at run time; `NONLIN_SIMD=portable`,
//! `avx2` or `avx512` (or [`set_level`]) forces one, which is how the tests run every path. Inputs of at least
//! [`PARALLEL_THRESHOLD`] elements ([`SMOOTH_PARALLEL_THRESHOLD`] for the smooth kernels) are split over threads
//! ([`set_num_threads`]) of a pool whose workers spin for a while after each job instead of parking at once: with
//! rayon, whose idle workers park, waking one cost up to a millisecond on the 2-core VM this was tuned on, and two
//! threads were slower than one up to about a million elements (relu at 262,144: 3.2–5.2 Gelem/s on two rayon
//! threads, 10–11 on two spinning ones; sigmoid at 65,536: 0.75 vs 2.4). On the x86-64 levels, outputs of the
//! memory-bound kernels larger than [`STREAM_THRESHOLD_BYTES`] are written with non-temporal stores
//! ([`set_stream_threshold`]); the kernels themselves stay per-element Rust, filling a small block that is then
//! streamed out.

use std::ops::Range;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Error;
use crate::float::Float;
use crate::kernel::{Buffered, Kernel};
use crate::math::{Baseline, Fma};
use crate::spin::SpinPool;

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

/// Inputs with at least this many elements are split over threads (the piecewise kernels; see also
/// [`SMOOTH_PARALLEL_THRESHOLD`]). At 65,536 elements two threads ran ReLU, hard- and soft-shrink 1.6–1.7× faster
/// forward and ReLU 2.1× backward than one (Zen 3, data in L2); at 32,768 ReLU's forward ran 0.69× split, its
/// backward 1.65×. (It was 2¹⁸, where two threads lost to PyTorch's at 65,536: 1.00×.)
pub const PARALLEL_THRESHOLD: usize = 1 << 16;

/// Smooth kernels split inputs from this many elements (10–30 µs of work on one thread): a call costs about a
/// microsecond more while the workers are awake.
pub const SMOOTH_PARALLEL_THRESHOLD: usize = 1 << 14;

/// The pool: `None` until [`set_num_threads`] or the first threaded call starts one.
fn pool_slot() -> &'static Mutex<Option<Arc<SpinPool>>> {
    static POOL: OnceLock<Mutex<Option<Arc<SpinPool>>>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(None))
}

/// The most threads [`set_num_threads`] accepts.
pub const MAX_THREADS: usize = 1024;

/// Threads for large inputs (`0`: one per core, as `std::thread::available_parallelism` says). The workers are
/// started here, or on first use; they spin for 100 µs after each job and then park.
pub fn set_num_threads(n: usize) -> Result<(), Error> {
    if n > MAX_THREADS {
        return Err(Error::InvalidParameter {
            activation: "threads",
            requirement: format!("at most {MAX_THREADS} threads (got {n})"),
        });
    }
    let n = if n == 0 { default_threads() } else { n };
    *pool_slot().lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(SpinPool::new(n)));
    Ok(())
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The pool, started with one thread per core on first use.
fn pool() -> Arc<SpinPool> {
    let mut slot = pool_slot().lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(slot.get_or_insert_with(|| Arc::new(SpinPool::new(default_threads()))))
}

/// Threads large inputs are split over.
pub fn num_threads() -> usize {
    match &*pool_slot().lock().unwrap_or_else(|e| e.into_inner()) {
        Some(p) => p.threads(),
        None => default_threads(),
    }
}

/// Chunks of `n` elements for a kernel that splits from `from` elements: `None` to run on the caller alone.
/// Two chunks per thread (of at least 8,192 elements, and a multiple of 64 so vector loops stay aligned), so a
/// worker that wakes late still takes a share.
fn plan(n: usize, from: usize) -> Option<(Arc<SpinPool>, usize)> {
    if n < from {
        return None;
    }
    let pool = pool();
    let threads = pool.threads();
    if threads <= 1 {
        return None;
    }
    let chunks = (2 * threads).min(n / 8192).max(threads);
    Some((pool, n.div_ceil(chunks).div_ceil(64) * 64))
}

/// A `&mut [T]` handed to the chunks of a [`SpinPool`] job, each of which takes a disjoint range.
struct Disjoint<T>(*mut T, usize);

// SAFETY: only ever split into disjoint ranges (one per chunk index, and `SpinPool::run` runs each index once).
unsafe impl<T: Send> Sync for Disjoint<T> {}

impl<T> Disjoint<T> {
    fn new(s: &mut [T]) -> Disjoint<T> {
        Disjoint(s.as_mut_ptr(), s.len())
    }
    /// # Safety
    /// No other live reference may overlap `r`.
    #[allow(clippy::mut_from_ref)]
    unsafe fn range(&self, r: Range<usize>) -> &mut [T] {
        assert!(r.start <= r.end && r.end <= self.1);
        // SAFETY: in bounds (checked) and, by the caller's contract, not aliased.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(r.start), r.end - r.start) }
    }
}

/// Chunk `i` of length `c` out of `n` elements.
fn chunk(i: usize, c: usize, n: usize) -> Range<usize> {
    i * c..((i + 1) * c).min(n)
}

/// Calls `f` on all of `0..n` or, from `from` elements, on disjoint chunks of it from the pool's threads; each
/// index is in exactly one call.
fn split(n: usize, from: usize, f: &(dyn Fn(Range<usize>) + Sync)) {
    match plan(n, from) {
        None => f(0..n),
        Some((pool, c)) => pool.run(n.div_ceil(c), &|i| f(chunk(i, c, n))),
    }
}

#[inline(always)]
fn fwd_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &[T], y: &mut [T]) {
    k.forward_slice::<A>(x, y)
}

#[inline(always)]
fn inplace_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &mut [T]) {
    k.forward_inplace::<A>(x)
}

#[inline(always)]
fn bwd_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &[T], g: &[T], gx: &mut [T]) {
    k.backward_slice::<A>(x, g, gx)
}

#[inline(always)]
fn fwd_buffer_loop<T: Float, K: Buffered, A: Fma>(k: &K, x: &[T], y: &mut [T], b: &mut [T]) {
    for ((y, b), &x) in y.iter_mut().zip(b.iter_mut()).zip(x) {
        (*y, *b) = T::buffered_forward::<K, A>(k, x);
    }
}

#[inline(always)]
fn bwd_buffer_loop<T: Float, K: Buffered, A: Fma>(k: &K, x: &[T], b: &[T], g: &[T], gx: &mut [T]) {
    for (((gx, &x), &b), &g) in gx.iter_mut().zip(x).zip(b).zip(g) {
        *gx = k.backward(x, b, g);
    }
}

/// `fn $name(args)` running `$body(args)` compiled for the level in use: a `#[target_feature]` copy per x86-64
/// level, the baseline otherwise. The kernel and the slices stay arguments of the `#[target_feature]` functions,
/// so LLVM knows that the output aliases neither the inputs nor the kernel's parameters (passed inside a struct
/// instead, they made the vectorizer fall back to four-lane loops for the backward kernels: ELU backward 0.74 →
/// 0.38 Gelem/s).
///
/// `= $body / $x86` runs `$x86` on the x86-64 levels instead (the streaming loops, which need AVX).
macro_rules! dispatched {
    ($(fn $name:ident<T, K: $bound:path>($($arg:ident: $ty:ty),*) = $body:ident $(/ $x86:ident)?;)*) => {$(
        fn $name<T: Float, K: $bound>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<T: Float, K: $bound>($($arg: $ty),*) {
                x86_call!($body $(, $x86)?; $($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
            unsafe fn avx512<T: Float, K: $bound>($($arg: $ty),*) {
                x86_call!($body $(, $x86)?; $($arg),*)
            }
            match level() {
                // SAFETY: `level()` only returns a level whose features `Level::supported` detected on this CPU.
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { avx2($($arg),*) },
                _ => $body::<T, K, Baseline>($($arg),*),
            }
        }
    )*};
}

/// The loop the x86-64 levels run, called with FMA: the second one given, else the first.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_call {
    ($body:ident; $($arg:ident),*) => {
        $body::<T, K, crate::math::Fused>($($arg),*)
    };
    ($body:ident, $x86:ident; $($arg:ident),*) => {
        $x86::<T, K, crate::math::Fused>($($arg),*)
    };
}

dispatched! {
    fn fwd_one<T, K: Kernel<T>>(k: &K, x: &[T], y: &mut [T]) = fwd_loop;
    fn inplace_one<T, K: Kernel<T>>(k: &K, x: &mut [T]) = inplace_loop;
    fn bwd_one<T, K: Kernel<T>>(k: &K, x: &[T], g: &[T], gx: &mut [T]) = bwd_loop;
    fn fwd_buffer_one<T, K: Buffered>(k: &K, x: &[T], y: &mut [T], b: &mut [T]) = fwd_buffer_loop;
    fn bwd_buffer_one<T, K: Buffered>(k: &K, x: &[T], b: &[T], g: &[T], gx: &mut [T]) = bwd_buffer_loop;
    fn fwd_stream_one<T, K: Kernel<T>>(k: &K, x: &[T], y: &mut [T]) = fwd_loop / fwd_stream_loop;
    fn bwd_stream_one<T, K: Kernel<T>>(k: &K, x: &[T], g: &[T], gx: &mut [T]) = bwd_loop / bwd_stream_loop;
    fn bwd_buffer_stream_one<T, K: Buffered>(k: &K, x: &[T], b: &[T], g: &[T], gx: &mut [T]) =
        bwd_buffer_loop / bwd_buffer_stream_loop;
}

/// By default, outputs of at least this many bytes (the L3 cache of the machine this was measured on) are written
/// with non-temporal stores on the x86-64 levels: an ordinary store first reads the line it writes, a third stream
/// of memory traffic for a kernel that reads one and writes one (relu over 16M `f32` on one thread there: 2.08 →
/// 2.86 Gelem/s). Smaller outputs stay in the cache for whoever reads them next.
pub const STREAM_THRESHOLD_BYTES: usize = 32 << 20;

static STREAM_FROM: AtomicUsize = AtomicUsize::new(STREAM_THRESHOLD_BYTES);

/// Outputs of at least `bytes` are written with non-temporal stores (x86-64 levels only; `usize::MAX`: never,
/// `0`: always). The results are the same either way; the tests use this to run every kernel both ways.
pub fn set_stream_threshold(bytes: usize) {
    STREAM_FROM.store(bytes, Ordering::Relaxed);
}

/// The output size in bytes from which non-temporal stores are used.
pub fn stream_threshold() -> usize {
    STREAM_FROM.load(Ordering::Relaxed)
}

/// Whether an output of `n` elements is written with non-temporal stores.
fn streams<T>(n: usize) -> bool {
    n.saturating_mul(std::mem::size_of::<T>()) >= stream_threshold() && level() != Level::Portable
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn fwd_stream_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &[T], y: &mut [T]) {
    // SAFETY: only the AVX2 and AVX-512 copies of `fwd_stream_one` call this.
    unsafe {
        stream::write(
            y,
            #[inline(always)]
            |r, out| k.forward_slice_streamed::<A>(&x[r], out),
        )
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn bwd_stream_loop<T: Float, K: Kernel<T>, A: Fma>(k: &K, x: &[T], g: &[T], gx: &mut [T]) {
    // SAFETY: only the AVX2 and AVX-512 copies of `bwd_stream_one` call this.
    unsafe {
        stream::write(
            gx,
            #[inline(always)]
            |r, out| k.backward_slice_streamed::<A>(&x[r.clone()], &g[r], out),
        )
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn bwd_buffer_stream_loop<T: Float, K: Buffered, A: Fma>(k: &K, x: &[T], b: &[T], g: &[T], gx: &mut [T]) {
    // SAFETY: only the AVX2 and AVX-512 copies of `bwd_buffer_stream_one` call this.
    unsafe {
        stream::write(
            gx,
            #[inline(always)]
            |r, out| bwd_buffer_loop::<T, K, A>(k, &x[r.clone()], &b[r.clone()], &g[r], out),
        )
    }
}

/// Writing an output with non-temporal stores: the kernel fills an aligned block on the stack, which is then
/// streamed to the output 32 bytes at a time.
#[cfg(target_arch = "x86_64")]
mod stream {
    use std::arch::x86_64::{__m256i, _mm_sfence, _mm256_load_si256, _mm256_stream_si256};
    use std::ops::Range;

    /// 2 KiB. In C on the machine the threshold was measured on (relu, 16M `f32`, one thread), streaming each
    /// vector as it is computed ran at 3.4 Gelem/s and ordinary stores at 2.2; through a block of 1–2 KiB 2.6–2.8,
    /// of 8 KiB 2.2 (the loads and the stores then come in long separate bursts).
    const BLOCK_BYTES: usize = 2048;

    #[repr(C, align(64))]
    struct Block([u8; BLOCK_BYTES]);

    /// Calls `fill(range, out)` over consecutive ranges of `y`, each `out` the range itself (the unaligned head
    /// and the tail shorter than a block) or a block that is then streamed to it; a store fence at the end.
    ///
    /// # Safety
    /// The CPU must have AVX. `T` must be a float type (every byte pattern of the zeroed block is a valid `T`).
    #[inline(always)]
    pub(super) unsafe fn write<T: Copy>(y: &mut [T], mut fill: impl FnMut(Range<usize>, &mut [T])) {
        let n = y.len();
        let head = y.as_ptr().align_offset(32).min(n);
        fill(0..head, &mut y[..head]);
        let per_block = BLOCK_BYTES / std::mem::size_of::<T>();
        let mut block = Block([0; BLOCK_BYTES]);
        // SAFETY: the block is BLOCK_BYTES long, aligned beyond T, and zero bytes are a valid float.
        let out = unsafe { std::slice::from_raw_parts_mut(block.0.as_mut_ptr().cast::<T>(), per_block) };
        let mut i = head;
        while n - i >= per_block {
            fill(i..i + per_block, out);
            let (src, dst) = (out.as_ptr().cast::<__m256i>(), y[i..].as_mut_ptr().cast::<__m256i>());
            for j in 0..BLOCK_BYTES / 32 {
                // SAFETY: AVX (the caller's contract); `dst` is 32-byte aligned (after the head, whole blocks of
                // BLOCK_BYTES) and has a block's length left, `src` is the 64-byte-aligned block.
                unsafe { _mm256_stream_si256(dst.add(j), _mm256_load_si256(src.add(j))) };
            }
            i += per_block;
        }
        fill(i..n, &mut y[i..]);
        // SAFETY: SSE, which x86-64 always has. Orders the streamed stores before whatever the caller does next.
        unsafe { _mm_sfence() };
    }
}

/// `y = f(x)` over slices of equal length, vectorized and, for large inputs, threaded.
pub(crate) fn forward<T: Float, K: Kernel<T>>(k: K, x: &[T], y: &mut [T]) {
    let stream = K::STREAMS && streams::<T>(y.len());
    let y = Disjoint::new(y);
    // SAFETY (here and below): `split` hands out each index once, so the ranges taken are disjoint.
    split(x.len(), K::PARALLEL_FROM, &|r| {
        let (x, y) = (&x[r.clone()], unsafe { y.range(r) });
        if stream { fwd_stream_one(&k, x, y) } else { fwd_one(&k, x, y) }
    });
}

/// `x = f(x)`.
pub(crate) fn forward_inplace<T: Float, K: Kernel<T>>(k: K, x: &mut [T]) {
    let n = x.len();
    let x = Disjoint::new(x);
    split(n, K::PARALLEL_FROM, &|r| inplace_one(&k, unsafe { x.range(r) }));
}

/// `gx = backward(x, g)`.
pub(crate) fn backward<T: Float, K: Kernel<T>>(k: K, x: &[T], g: &[T], gx: &mut [T]) {
    let stream = K::STREAMS && streams::<T>(gx.len());
    let gx = Disjoint::new(gx);
    split(x.len(), K::PARALLEL_FROM, &|r| {
        let (x, g, gx) = (&x[r.clone()], &g[r.clone()], unsafe { gx.range(r) });
        if stream { bwd_stream_one(&k, x, g, gx) } else { bwd_one(&k, x, g, gx) }
    });
}

/// `(y, buffer) = forward(x)` for a [`Buffered`] kernel.
pub(crate) fn forward_buffered<T: Float, K: Buffered>(k: K, x: &[T], y: &mut [T], buffer: &mut [T]) {
    let (y, b) = (Disjoint::new(y), Disjoint::new(buffer));
    split(x.len(), SMOOTH_PARALLEL_THRESHOLD, &|r| {
        fwd_buffer_one(&k, &x[r.clone()], unsafe { y.range(r.clone()) }, unsafe { b.range(r) })
    });
}

/// `gx = backward(x, buffer, g)` for a [`Buffered`] kernel.
pub(crate) fn backward_buffered<T: Float, K: Buffered>(k: K, x: &[T], buffer: &[T], g: &[T], gx: &mut [T]) {
    let stream = streams::<T>(gx.len());
    let gx = Disjoint::new(gx);
    split(x.len(), SMOOTH_PARALLEL_THRESHOLD, &|r| {
        let (x, b, g, gx) = (&x[r.clone()], &buffer[r.clone()], &g[r.clone()], unsafe { gx.range(r) });
        if stream { bwd_buffer_stream_one(&k, x, b, g, gx) } else { bwd_buffer_one(&k, x, b, g, gx) }
    });
}
