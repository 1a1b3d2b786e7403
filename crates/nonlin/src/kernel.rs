//! The per-element contract every activation family implements.

use std::cell::Cell;
use std::thread::LocalKey;

use crate::float::Float;
use crate::math::Fma;

/// One activation with its parameters converted to `T`.
///
/// `backward` receives the upstream gradient rather than returning `f′(x)`, because PyTorch's backward formulas
/// are selects, not products: ReLU's gradient for `x < 0` is `0` even when the upstream gradient is `inf` or NaN.
/// `A` says how the dispatch level computes fused multiply-adds.
pub(crate) trait Kernel<T: Float>: Copy + Send + Sync {
    /// Inputs with at least this many elements are split over threads: memory-bound kernels gain little from a
    /// second thread below a few hundred thousand elements.
    const PARALLEL_FROM: usize = crate::simd::PARALLEL_THRESHOLD;
    /// Large outputs are written with non-temporal stores ([`crate::simd::set_stream_threshold`]): worth it for
    /// the kernels bound by memory, not for most smooth ones, which are bound by arithmetic and pay for the block
    /// the stores go through ([`Smooth::STREAMED`] names the exceptions).
    const STREAMS: bool = true;
    /// `f(x)`.
    fn forward<A: Fma>(&self, x: T) -> T;
    /// `∂L/∂x` given `∂L/∂f(x) = g`.
    fn backward<A: Fma>(&self, x: T, g: T) -> T;
    /// `y = f(x)` over slices of equal length: [`Kernel::forward`] per element, unless the kernel is computed in
    /// stages. The same bits either way (but for the sign of a NaN, see the test below).
    #[inline(always)]
    fn forward_slice<A: Fma>(&self, x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = self.forward::<A>(x);
        }
    }
    /// `x = f(x)`, likewise.
    #[inline(always)]
    fn forward_inplace<A: Fma>(&self, x: &mut [T]) {
        for x in x.iter_mut() {
            *x = self.forward::<A>(*x);
        }
    }
    /// `gx = backward(x, g)` over slices of equal length, likewise.
    #[inline(always)]
    fn backward_slice<A: Fma>(&self, x: &[T], g: &[T], gx: &mut [T]) {
        for ((gx, &x), &g) in gx.iter_mut().zip(x).zip(g) {
            *gx = self.backward::<A>(x, g);
        }
    }
    /// [`Kernel::forward_slice`] for the blocks of an output written with non-temporal stores (memory-bound);
    /// the same bits.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code, reason = "only the x86-64 streaming loops call it"))]
    #[inline(always)]
    fn forward_slice_streamed<A: Fma>(&self, x: &[T], y: &mut [T]) {
        self.forward_slice::<A>(x, y)
    }
    /// [`Kernel::backward_slice`] for the blocks of a gradient written with non-temporal stores; the same bits.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code, reason = "only the x86-64 streaming loops call it"))]
    #[inline(always)]
    fn backward_slice_streamed<A: Fma>(&self, x: &[T], g: &[T], gx: &mut [T]) {
        self.backward_slice::<A>(x, g, gx)
    }
}

/// Smooth activations: an accurate `f64` formula (`f`, `df`), which the `f64` kernels use and the `f32` ones round
/// once — unless the activation has a native `f32` kernel (`f32`, `df32`: `f32` lanes are twice as wide), which
/// must stay within the accuracy targets that `nonlin accuracy --exhaustive` checks. `A` says how the dispatch level
/// forms multiply-adds, in `f64` as in `f32`.
pub(crate) trait Smooth: Copy + Send + Sync {
    /// Whether the `f32` forward runs over slices in stages ([`Smooth::f32_slice`] overridden): then an in-place
    /// forward copies each block out and runs the slice kernel on the copy.
    const STAGED32: bool = false;
    /// Likewise for the `f64` forward ([`Smooth::f64_slice`]).
    const STAGED64: bool = false;
    /// Whether large outputs are written with non-temporal stores ([`Kernel::STREAMS`]): for the fastest smooth
    /// kernels, which come close enough to the memory's speed at 16M elements that the read an ordinary store
    /// makes of each line costs more than the block the streamed stores go through. In `f64` (the same four
    /// kernels), with [`prefetch_next`] in their stages, 16M elements on one thread ran 1.07–1.20× faster forward
    /// (sigmoid 1.20×, which had been 0.84× PyTorch's speed there; streaming alone 1.08–1.17×) and 0.99–1.07×
    /// backward. `f32`: on Zen 3, in a phase where a plain copy ran at 10–12 GB/s, alternating runs at 16M (medians
    /// and ratios of maxima) gave the forwards of sigmoid and SiLU 1.08–1.34× on one and two threads; the gradients
    /// of SiLU, softplus and log-sigmoid 1.05–1.22× on one thread (SiLU's and softplus's 0.99–1.13× on two),
    /// sigmoid's 0.93–1.10×; the forwards of softplus and log-sigmoid 0.97–1.09×. Slower kernels lost up to 1.2×
    /// (tanh 0.83–0.88×, Mish 0.92–0.95×, ELU 0.94–0.96×), so they do not stream.
    const STREAMED: bool = false;
    /// [`Smooth::STREAMED`] for `f64` elements, where it may differ.
    const STREAMED64: bool = Self::STREAMED;
    /// Whether the streamed `f64` gradient ([`Kernel::backward_slice_streamed`]) runs in one loop rather than in
    /// stages: from main memory the staged loops overlap the loads with the arithmetic less well, and for a short
    /// gradient formula the stages gain less in the cache than they lose there (ELU's gradient at 16M `f64`
    /// elements 1.13–1.16× on two threads, 1.03–1.11× on one, SELU's 1.12×; softplus's 0.92–1.18×, not kept;
    /// SiLU's lost 0.80–0.88×, sigmoid's 0.92–0.95×).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code, reason = "only the x86-64 streaming loops read it"))]
    const GRAD64_STREAMED_IN_ONE_LOOP: bool = false;
    fn f<A: Fma>(&self, x: f64) -> f64;
    fn df<A: Fma>(&self, x: f64) -> f64;
    /// `f(x)` for `f32`.
    #[inline(always)]
    fn f32<A: Fma>(&self, x: f32) -> f32 {
        self.f::<A>(x as f64) as f32
    }
    /// `g·f′(x)` for `f32`.
    #[inline(always)]
    fn df32<A: Fma>(&self, x: f32, g: f32) -> f32 {
        (g as f64 * self.df::<A>(x as f64)) as f32
    }
    /// [`Smooth::f32`] over slices of equal length. A kernel whose per-element formula is one long chain of
    /// dependent operations overrides it (and sets [`Smooth::STAGED32`]) to run the formula in stages, each a loop
    /// over a block of up to [`BLOCK`] elements whose intermediate results wait in per-thread arrays ([`Scratch`]): the
    /// per-element loop keeps too few elements in flight to fill the FMA units (on Zen 3 a copy of the exact GELU
    /// ran 0.55 → 0.85 Gelem/s in five stages). The stages must perform the per-element operations in the same
    /// order, so the bits are the same (a NaN's sign aside: LLVM may commute an operation).
    #[inline(always)]
    fn f32_slice<A: Fma>(&self, x: &[f32], y: &mut [f32]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = self.f32::<A>(x);
        }
    }
    /// [`Smooth::f`] over slices of equal length, likewise (and [`Smooth::STAGED64`]).
    #[inline(always)]
    fn f64_slice<A: Fma>(&self, x: &[f64], y: &mut [f64]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = self.f::<A>(x);
        }
    }
    /// `g·f′(x)` for `f64` over slices of equal length, likewise.
    #[inline(always)]
    fn df64_slice<A: Fma>(&self, x: &[f64], g: &[f64], gx: &mut [f64]) {
        for ((gx, &x), &g) in gx.iter_mut().zip(x).zip(g) {
            *gx = g * self.df::<A>(x);
        }
    }
    /// [`Smooth::df32`] over slices of equal length, likewise.
    #[inline(always)]
    fn df32_slice<A: Fma>(&self, x: &[f32], g: &[f32], gx: &mut [f32]) {
        for ((gx, &x), &g) in gx.iter_mut().zip(x).zip(g) {
            *gx = self.df32::<A>(x, g);
        }
    }
}

/// Elements per block of a kernel computed in stages: the arrays of a five-stage kernel take 8 KiB of L1.
pub(crate) const BLOCK: usize = 256;

/// Asks for the cache lines of the [`BLOCK`] elements that follow `block` (a slice of a kernel computed in stages,
/// at the start of each block): the first stage reads a block in a burst, and from main memory the hardware
/// prefetchers did not keep ahead of the exact GELU's five stages — with it, 16M elements ran 1.05–1.24× faster in
/// five alternating runs (65,536: 0.95–1.16×, within this VM's noise). The exact GELU's `f32` forward uses it, and
/// the `f64` kernels on `e^(−|z|)` (`math::neg_abs_blocks`: the sigmoid 1.17×, SiLU 1.12× at 16M `f64` elements,
/// log-sigmoid and softplus 0.99–1.02×; in the cache no change); for the other staged `f32` kernels it measured
/// 0.93–1.13× at 16M (the tanh-GELU's gradient 0.93×; the exact GELU's gradient 0.95×). The `f64` gradients also
/// prefetch their upstream gradient's next block. A prefetch never faults, so the block after the last one is
/// harmless. Nothing on other architectures.
#[inline(always)]
pub(crate) fn prefetch_next<T>(block: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let next = block.as_ptr().wrapping_add(BLOCK).cast::<i8>();
        for line in (0..BLOCK * std::mem::size_of::<T>()).step_by(64) {
            // SAFETY: SSE, which x86-64 always has; a prefetch reads nothing and never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(next.wrapping_add(line)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = block;
}

/// The most arrays a kernel computed in stages uses (the exact GELU's forward).
const SCRATCH_ARRAYS: usize = 9;

/// Arrays for the intermediates of a kernel computed in stages.
pub(crate) type Arrays<T> = [[T; BLOCK]; SCRATCH_ARRAYS];

/// [`Arrays`] starting on a cache line. The allocator aligns a `Box` of them to 16 bytes only, and then every other
/// 32-byte load and store of every stage spans two lines: the exact GELU ran at 0.86 Gelem/s instead of 0.99 (65,536
/// elements, Zen 3) whenever the thread's arrays happened to be allocated so — in `nonlin bench`, whenever a 1,024
/// element run came first.
#[repr(C, align(64))]
pub(crate) struct LineAligned<T>(Arrays<T>);

thread_local! {
    static SCRATCH32: Cell<Option<Box<LineAligned<f32>>>> = const { Cell::new(None) };
    static SCRATCH64: Cell<Option<Box<LineAligned<f64>>>> = const { Cell::new(None) };
}

/// The element types with a per-thread [`Scratch`].
pub(crate) trait ScratchElem: Copy + Default + 'static {
    fn slot() -> &'static LocalKey<Cell<Option<Box<LineAligned<Self>>>>>;
}

impl ScratchElem for f32 {
    fn slot() -> &'static LocalKey<Cell<Option<Box<LineAligned<f32>>>>> {
        &SCRATCH32
    }
}

impl ScratchElem for f64 {
    fn slot() -> &'static LocalKey<Cell<Option<Box<LineAligned<f64>>>>> {
        &SCRATCH64
    }
}

/// A kernel's [`Arrays`], taken from the thread's slot (allocated on a thread's first call) and put back when
/// dropped, rather than zeroed on the stack at every call: that cost a short input more than the stages saved (the
/// exact GELU over 64 elements: 128–171 ns per call fused, 307–324 in stages with 9 KiB of zeroed stack arrays). A
/// nested use on the same thread would find the slot empty and allocate its own.
pub(crate) struct Scratch<T: ScratchElem>(Option<Box<LineAligned<T>>>);

impl<T: ScratchElem> Scratch<T> {
    #[inline(always)]
    pub(crate) fn take() -> Self {
        Scratch(T::slot().try_with(Cell::take).ok().flatten())
    }
    /// The arrays (their contents are whatever the last kernel left).
    #[inline(always)]
    pub(crate) fn arrays(&mut self) -> &mut Arrays<T> {
        &mut self.0.get_or_insert_with(|| Box::new(LineAligned([[T::default(); BLOCK]; SCRATCH_ARRAYS]))).0
    }
}

impl<T: ScratchElem> Drop for Scratch<T> {
    fn drop(&mut self) {
        let arrays = self.0.take();
        // After the thread's slot is gone (a kernel called from a thread-local destructor) the arrays are freed.
        let _ = T::slot().try_with(|slot| slot.set(arrays));
    }
}

impl<T: Float, S: Smooth> Kernel<T> for S {
    const PARALLEL_FROM: usize = crate::simd::SMOOTH_PARALLEL_THRESHOLD;
    const STREAMS: bool = if std::mem::size_of::<T>() == 4 { S::STREAMED } else { S::STREAMED64 };
    #[inline(always)]
    fn forward<A: Fma>(&self, x: T) -> T {
        T::smooth_forward::<S, A>(self, x)
    }
    #[inline(always)]
    fn backward<A: Fma>(&self, x: T, g: T) -> T {
        T::smooth_backward::<S, A>(self, x, g)
    }
    #[inline(always)]
    fn forward_slice<A: Fma>(&self, x: &[T], y: &mut [T]) {
        T::smooth_forward_slice::<S, A>(self, x, y)
    }
    #[inline(always)]
    fn forward_inplace<A: Fma>(&self, x: &mut [T]) {
        T::smooth_forward_inplace::<S, A>(self, x)
    }
    #[inline(always)]
    fn backward_slice<A: Fma>(&self, x: &[T], g: &[T], gx: &mut [T]) {
        T::smooth_backward_slice::<S, A>(self, x, g, gx)
    }
    #[inline(always)]
    fn backward_slice_streamed<A: Fma>(&self, x: &[T], g: &[T], gx: &mut [T]) {
        if S::GRAD64_STREAMED_IN_ONE_LOOP && std::mem::size_of::<T>() == 8 {
            for ((gx, &x), &g) in gx.iter_mut().zip(x).zip(g) {
                *gx = self.backward::<A>(x, g);
            }
        } else {
            self.backward_slice::<A>(x, g, gx)
        }
    }
}

/// An activation whose forward pass also leaves a buffer for its backward pass, as PyTorch's
/// `log_sigmoid_forward` does for `log_sigmoid_backward`. Split by type as [`Smooth`] is.
pub(crate) trait Buffered: Copy + Send + Sync {
    /// `(f(x), buffer)` in `f64`.
    fn forward64<A: Fma>(&self, x: f64) -> (f64, f64);
    /// `(f(x), buffer)` in `f32`.
    fn forward32<A: Fma>(&self, x: f32) -> (f32, f32);
    /// `∂L/∂x` from `x`, its buffer and `∂L/∂f(x) = g`.
    fn backward<T: Float>(&self, x: T, buffer: T, g: T) -> T;
}

/// Something done with a kernel, generic over which one: lets [`crate::Activation`] match on itself once per
/// call instead of once per element.
pub(crate) trait Visit<T: Float> {
    type Out;
    fn visit<K: Kernel<T>>(self, k: K) -> Self::Out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exponential::{Elu, Mish, Softplus};
    use crate::gelu::{GeluErf, GeluTanh};
    use crate::math::{Emulated, Fused};
    use crate::sigmoid::{LogSigmoid, Sigmoid, Silu, Tanh, Tanhshrink};

    /// Three blocks and a partial one of pseudo-random floats of every magnitude, both signs, with zeros,
    /// infinities, a NaN and the subnormal and overflow edges among them.
    fn inputs() -> Vec<f32> {
        let mut s = 0x2545_F491u32;
        let mut v: Vec<f32> = (0..3 * BLOCK + 77)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                // Every other input spread over [−20, 20], where the formulas change branches; the rest any bits.
                if i % 2 == 0 { (s as f32 / u32::MAX as f32) * 40.0 - 20.0 } else { f32::from_bits(s) }
            })
            .collect();
        let specials = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e-45, -1e-45, -104.0, 89.0, -14.6];
        for (i, x) in specials.into_iter().enumerate() {
            v[BLOCK - 5 + 3 * i] = x;
        }
        v
    }

    /// The staged slice kernels give the per-element kernels' bits, forward (out of place and in place) and
    /// backward, `f32` and `f64`, across block boundaries.
    fn same_as_per_element<S: Smooth, A: Fma>(s: S) {
        let x = inputs();
        let g: Vec<f32> = x.iter().enumerate().map(|(i, _)| if i % 7 == 0 { -1.5 } else { 0.75 }).collect();
        let (mut y, mut gx, mut inplace) = (vec![0.0; x.len()], vec![0.0; x.len()], x.clone());
        s.f32_slice::<A>(&x, &mut y);
        s.df32_slice::<A>(&x, &g, &mut gx);
        Kernel::<f32>::forward_inplace::<A>(&s, &mut inplace);
        // The same bits, except that a NaN's sign may differ: LLVM may swap the operands of a commutative
        // operation, and which NaN comes out depends on the order (on x86 the first operand's; seen on aarch64 for
        // f32 and on x86 for f64).
        let same32 = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for i in 0..x.len() {
            assert!(same32(y[i], s.f32::<A>(x[i])), "forward at x[{i}] = {:e}: {:e}", x[i], y[i]);
            assert!(same32(inplace[i], y[i]), "in place at x[{i}] = {:e}: {:e}", x[i], inplace[i]);
            assert!(same32(gx[i], s.df32::<A>(x[i], g[i])), "backward at x[{i}] = {:e}: {:e}", x[i], gx[i]);
        }
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let g: Vec<f64> = g.iter().map(|&v| v as f64).collect();
        let (mut y, mut gx, mut inplace) = (vec![0.0; x.len()], vec![0.0; x.len()], x.clone());
        s.f64_slice::<A>(&x, &mut y);
        s.df64_slice::<A>(&x, &g, &mut gx);
        Kernel::<f64>::forward_inplace::<A>(&s, &mut inplace);
        for i in 0..x.len() {
            assert!(same(y[i], s.f::<A>(x[i])), "f64 forward at x[{i}] = {:e}", x[i]);
            assert!(same(inplace[i], y[i]), "f64 in place at x[{i}] = {:e}", x[i]);
            assert!(same(gx[i], g[i] * s.df::<A>(x[i])), "f64 backward at x[{i}] = {:e}", x[i]);
        }
    }

    fn all<A: Fma>() {
        same_as_per_element::<_, A>(GeluErf::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(GeluTanh::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(Sigmoid::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(Silu::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(LogSigmoid::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(Tanh::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(Tanhshrink::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(Softplus::<crate::math::Fast, true>::new(1.0, 20.0));
        same_as_per_element::<_, A>(Softplus::<crate::math::Fast, true>::new(1.0, 3.0));
        same_as_per_element::<_, A>(Softplus::<crate::math::Fast, false>::new(3.0, 4.0));
        same_as_per_element::<_, A>(Mish::<crate::math::Fast>::default());
        same_as_per_element::<_, A>(Elu::<crate::math::Fast, true>::plain(1.0));
        same_as_per_element::<_, A>(Elu::<crate::math::Fast>::plain(0.5));
        same_as_per_element::<_, A>(Elu::<crate::math::Fast, false, true>::celu(2.0));
        same_as_per_element::<_, A>(Elu::<crate::math::Fast>::selu());
    }

    #[test]
    fn staged_kernels_give_the_per_element_bits() {
        all::<Fused>();
        all::<Emulated>();
    }
}
