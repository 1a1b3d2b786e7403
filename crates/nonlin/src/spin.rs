//! The kernels' threads. Rayon parks idle workers, and waking one cost up to a millisecond on the 2-core VM this
//! was measured on — more than a smooth kernel takes on 65,536 elements, and enough to make two threads slower than
//! one up to about a million elements. These workers spin for [`SPIN`] after each job (as PyTorch's OpenMP workers
//! do), so back-to-back calls find them awake; and the caller takes chunks itself, so a worker that is still
//! asleep costs the caller one `unpark`, never a wait.
//!
//! Protocol (one job at a time, serialized by `busy`): the caller writes the job, then opens a new generation in
//! `state`; a worker joins by incrementing the participant count with a compare-exchange on the whole state, which
//! fails once the caller has closed the generation; the caller returns only after closing it and seeing no
//! participants left, so the job (borrowed from the caller's stack) outlives every use.

use std::cell::UnsafeCell;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(100);

/// `state`: the generation in the high 32 bits, then the closed flag, then the number of participants.
const CLOSED: u64 = 1 << 31;
const PARTICIPANTS: u64 = CLOSED - 1;

/// The chunk function of the current job, its lifetime erased (see the module's protocol).
type Job = *const (dyn Fn(usize) + Sync);

struct Shared {
    state: AtomicU64,
    job: UnsafeCell<(Option<Job>, usize)>,
    next: AtomicUsize,
    sleeping: AtomicUsize,
    shutdown: AtomicBool,
}

// SAFETY: `job` is written only by the caller holding `busy`, while the current generation is closed with no
// participants, and read only by a worker that joined the open generation it was written for.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

/// A caller plus `workers` spinning threads.
pub(crate) struct SpinPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    busy: Mutex<()>,
}

impl SpinPool {
    /// A pool for `threads` threads in all (the caller and `threads − 1` workers).
    pub(crate) fn new(threads: usize) -> SpinPool {
        let shared = Arc::new(Shared {
            state: AtomicU64::new(0),
            job: UnsafeCell::new((None, 0)),
            next: AtomicUsize::new(0),
            sleeping: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
        });
        // A worker that cannot be spawned is one fewer: the caller takes every chunk nobody else does.
        let workers = (1..threads.max(1))
            .filter_map(|i| {
                let shared = Arc::clone(&shared);
                thread::Builder::new().name(format!("nonlin-spin-{i}")).spawn(move || worker(&shared)).ok()
            })
            .collect();
        SpinPool { shared, workers, busy: Mutex::new(()) }
    }

    /// Threads in all, the caller included.
    pub(crate) fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Calls `f(i)` once for every `i` in `0..chunks`, on the caller and whichever workers join. Another call in
    /// progress (from another thread) makes this one run alone.
    pub(crate) fn run(&self, chunks: usize, f: &(dyn Fn(usize) + Sync)) {
        let Ok(_busy) = self.busy.try_lock() else {
            (0..chunks).for_each(f);
            return;
        };
        let sh = &*self.shared;
        // SAFETY: we hold `busy`, and the previous generation was closed with no participants before its `run`
        // returned, so no worker reads `job` now; the erased lifetime is restored by the same wait below.
        unsafe {
            let f: &'static (dyn Fn(usize) + Sync) = std::mem::transmute(f);
            *sh.job.get() = (Some(f as Job), chunks);
        }
        sh.next.store(0, Relaxed);
        let generation = ((sh.state.load(Relaxed) >> 32) + 1) & 0xffff_ffff;
        sh.state.store(generation << 32, SeqCst);
        if sh.sleeping.load(SeqCst) > 0 {
            self.workers.iter().for_each(|w| w.thread().unpark());
        }
        take_chunks(sh, chunks, f);
        sh.state.fetch_or(CLOSED, SeqCst);
        while sh.state.load(Acquire) & PARTICIPANTS != 0 {
            std::hint::spin_loop();
        }
    }
}

impl Drop for SpinPool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, SeqCst);
        for w in self.workers.drain(..) {
            w.thread().unpark();
            let _ = w.join();
        }
    }
}

fn take_chunks(sh: &Shared, chunks: usize, f: &(dyn Fn(usize) + Sync)) {
    loop {
        let i = sh.next.fetch_add(1, Relaxed);
        if i >= chunks {
            break;
        }
        f(i);
    }
}

fn worker(sh: &Shared) {
    let mut seen = 0;
    let mut idle_since = Instant::now();
    let mut spins = 0u32;
    loop {
        let s = sh.state.load(Acquire);
        if s >> 32 != seen {
            if s & CLOSED == 0 {
                if sh.state.compare_exchange_weak(s, s + 1, AcqRel, Relaxed).is_err() {
                    continue;
                }
                // SAFETY: we joined the open generation `job` was written for; the caller waits for us to leave.
                let (f, chunks) = unsafe { *sh.job.get() };
                if let Some(f) = f {
                    take_chunks(sh, chunks, unsafe { &*f });
                }
                sh.state.fetch_sub(1, Release);
            }
            seen = s >> 32;
            idle_since = Instant::now();
            spins = 0;
            continue;
        }
        if sh.shutdown.load(Relaxed) {
            return;
        }
        spins = spins.wrapping_add(1);
        if !spins.is_multiple_of(64) || idle_since.elapsed() < SPIN {
            std::hint::spin_loop();
            continue;
        }
        sh.sleeping.fetch_add(1, SeqCst);
        // Checked after announcing the sleep: a job opened before this is seen here, one opened after it sees
        // `sleeping` and unparks us (an unpark before the park makes the park return at once).
        if sh.state.load(SeqCst) >> 32 == seen && !sh.shutdown.load(SeqCst) {
            thread::park();
        }
        sh.sleeping.fetch_sub(1, SeqCst);
        idle_since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// Every chunk runs exactly once per call, across many calls, whether the worker is awake or parked.
    #[test]
    fn every_chunk_once() {
        let pool = SpinPool::new(3);
        let counts: Vec<AtomicU32> = (0..37).map(|_| AtomicU32::new(0)).collect();
        for round in 0..2000u32 {
            if round % 500 == 0 {
                thread::sleep(SPIN * 3); // let the workers park
            }
            pool.run(counts.len(), &|i| {
                counts[i].fetch_add(1, Relaxed);
            });
            assert!(counts.iter().all(|c| c.load(Relaxed) == round + 1), "round {round}");
        }
    }

    /// Calls from several threads at once: each runs its own chunks once (the ones that find the pool busy alone).
    #[test]
    fn concurrent_callers() {
        let pool = SpinPool::new(2);
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..300 {
                        let counts: Vec<AtomicU32> = (0..9).map(|_| AtomicU32::new(0)).collect();
                        pool.run(counts.len(), &|i| {
                            counts[i].fetch_add(1, Relaxed);
                        });
                        assert!(counts.iter().all(|c| c.load(Relaxed) == 1));
                    }
                });
            }
        });
    }
}
