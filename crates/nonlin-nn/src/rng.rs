//! PyTorch's CPU random number generator, bit for bit: mt19937 plus ATen's transforms.
//!
//! `torch.manual_seed(s)` seeds a Mersenne Twister (`at::mt19937`); `rand`/`uniform_` take 24 random bits per
//! float32 and 53 per float64 (`uniform_real_distribution`); `randn`/`normal_` on fewer than 16 elements use a
//! Box–Muller transform in double precision that caches its second sample (`normal_distribution<double>`), and
//! on 16 or more contiguous elements fill all uniforms first and transform them in blocks of 16
//! (`normal_fill`), recomputing the last block when the size is not a multiple of 16. For float32 that block
//! transform is PyTorch's AVX2 kernel, whose `log`/`sincos` are the Cephes polynomials of `avx_mathfun.h`,
//! reproduced here operation for operation. (PyTorch's AVX-512 and non-x86 builds use the scalar `std::log`
//! path instead, so on those machines float32 `randn` of ≥ 16 elements can differ from this in the last bit.)

use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::element::Element;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;

/// The 32-bit Mersenne Twister as ATen implements it (`at::mt19937`).
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; N],
    next: usize,
}

impl Mt19937 {
    /// Seeds like `init_genrand`: ATen keeps only the low 32 bits of the seed.
    pub fn new(seed: u64) -> Self {
        let mut state = [0u32; N];
        state[0] = (seed & 0xffff_ffff) as u32;
        for j in 1..N {
            state[j] = 1_812_433_253u32.wrapping_mul(state[j - 1] ^ (state[j - 1] >> 30)).wrapping_add(j as u32);
        }
        Mt19937 { state, next: N }
    }

    fn twist(&mut self) {
        let mix =
            |u: u32, v: u32| (((u & 0x8000_0000) | (v & 0x7fff_ffff)) >> 1) ^ if v & 1 == 1 { MATRIX_A } else { 0 };
        for i in 0..N {
            let next = self.state[(i + 1) % N];
            self.state[i] = self.state[(i + M) % N] ^ mix(self.state[i], next);
        }
        self.next = 0;
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        if self.next == N {
            self.twist();
        }
        let mut y = self.state[self.next];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }
}

/// A CPU generator: the engine plus Box–Muller's cached second sample, as `at::CPUGeneratorImpl`.
#[derive(Clone)]
pub struct Generator {
    engine: Mt19937,
    seed: u64,
    next_double_normal: Option<f64>,
}

/// PyTorch's default seed before any `manual_seed` call is nondeterministic; nonlin starts from seed 67280421310721
/// (`default_rng_seed_val` in ATen), so an unseeded program is at least reproducible.
const DEFAULT_SEED: u64 = 67_280_421_310_721;

impl Default for Generator {
    fn default() -> Self {
        Generator::new(DEFAULT_SEED)
    }
}

impl Generator {
    /// A generator seeded like `torch.Generator().manual_seed(seed)`.
    pub fn new(seed: u64) -> Self {
        Generator { engine: Mt19937::new(seed), seed, next_double_normal: None }
    }

    /// Reseeds (and forgets the cached normal sample), like `manual_seed`.
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    /// The seed last set.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// 32 random bits (`random()`).
    pub fn random(&mut self) -> u32 {
        self.engine.next_u32()
    }

    /// 64 random bits from two draws, the first in the high half (`random64()`).
    pub fn random64(&mut self) -> u64 {
        let hi = self.engine.next_u32() as u64;
        let lo = self.engine.next_u32() as u64;
        (hi << 32) | lo
    }

    /// One sample of `uniform_real_distribution<T>(from, to)`: 24 bits for f32, 53 for f64, then
    /// `x·(to − from) + from` in `T` — fused, as PyTorch's x86-64 build compiles it.
    pub fn uniform<T: Element>(&mut self, from: T, to: T) -> T {
        let x = if T::DTYPE == "float32" {
            T::from_f64(((self.random() & 0x00ff_ffff) as f32 * (1.0 / 16_777_216.0)) as f64)
        } else {
            T::from_f64((self.random64() & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0))
        };
        x.mul_add(to - from, from)
    }

    /// One sample of `normal_distribution<double>(mean, std)`, cast by the caller.
    pub fn normal_f64(&mut self, mean: f64, std: f64) -> f64 {
        if let Some(cached) = self.next_double_normal.take() {
            return cached * std + mean;
        }
        let u1 = self.uniform(0.0f64, 1.0);
        let u2 = self.uniform(0.0f64, 1.0);
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_double_normal = Some(r * theta.sin());
        r * theta.cos() * std + mean
    }

    /// Fills `out` like `tensor.uniform_(from, to)`, including PyTorch's clamp of a value that rounded up to `to`.
    pub fn fill_uniform<T: Element>(&mut self, out: &mut [T], from: f64, to: f64) {
        let (f, t) = (T::from_f64(from), T::from_f64(to));
        for v in out {
            let u = self.uniform(f, t);
            *v = if u == t { f } else { u };
        }
    }

    /// Fills `out` like `tensor.normal_(mean, std)` (and `torch.randn` for mean 0, std 1).
    pub fn fill_normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64) {
        let n = out.len();
        if n < 16 {
            for v in out {
                *v = T::from_f64(self.normal_f64(mean, std));
            }
            return;
        }
        for v in out.iter_mut() {
            *v = self.uniform(T::ZERO, T::ONE);
        }
        let fill16 = |block: &mut [T]| {
            if T::DTYPE == "float32" {
                normal_fill_16_f32(block, mean as f32, std as f32)
            } else {
                normal_fill_16_f64(block, mean, std)
            }
        };
        let mut i = 0;
        while i + 16 <= n {
            fill16(&mut out[i..i + 16]);
            i += 16;
        }
        if !n.is_multiple_of(16) {
            let tail = &mut out[n - 16..];
            for v in tail.iter_mut() {
                *v = self.uniform(T::ZERO, T::ONE);
            }
            fill16(tail);
        }
    }
}

/// `NormalFill16<double>`: scalar Box–Muller on 8 pairs, `u1 = 1 − data[j]`, `u2 = data[j + 8]`.
fn normal_fill_16_f64<T: Element>(data: &mut [T], mean: f64, std: f64) {
    for j in 0..8 {
        let u1 = 1.0 - data[j].to_f64();
        let u2 = data[j + 8].to_f64();
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        data[j] = T::from_f64((radius * theta.cos()).mul_add(std, mean));
        data[j + 8] = T::from_f64((radius * theta.sin()).mul_add(std, mean));
    }
}

/// `NormalFill16<float, AVX2>`, one lane at a time: `radius = sqrt(−2·log256_ps(1 − u))`, `θ = 2π·u2`,
/// `sincos256_ps(θ)`, then `fmadd(radius·cos θ, std, mean)`.
fn normal_fill_16_f32<T: Element>(data: &mut [T], mean: f32, std: f32) {
    let two_pi = (2.0 * std::f64::consts::PI) as f32;
    for j in 0..8 {
        let u1 = 1.0f32 - data[j].to_f64() as f32;
        let u2 = data[j + 8].to_f64() as f32;
        let radius = (-2.0f32 * cephes::log(u1)).sqrt();
        let theta = two_pi * u2;
        let (s, c) = cephes::sincos(theta);
        data[j] = T::from_f64((radius * c).mul_add(std, mean) as f64);
        data[j + 8] = T::from_f64((radius * s).mul_add(std, mean) as f64);
    }
}

/// Scalar transcriptions of `log256_ps` and `sincos256_ps` from ATen's `avx_mathfun.h` (zlib licence,
/// © 2012 Giovanni Garberoglio, after Julien Pommier's `sse_mathfun.h`, after Cephes): same constants, same
/// operations in the same order — and the same fused multiply-adds that GCC forms when it compiles that file
/// for AVX2 (`-mfma`, `-ffp-contract=fast`): a product whose only use is an addition or subtraction is fused
/// into it, the earlier product winning when both operands are products. Hence the same bits. The literals are
/// kept exactly as written there (they round to the f32 constants the C code uses).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
mod cephes {
    const SQRTHF: f32 = 0.707_106_781_186_547_524;
    const LOG_P: [f32; 9] = [
        7.037_683_629_2E-2,
        -1.151_461_031_0E-1,
        1.167_699_874_0E-1,
        -1.242_014_084_6E-1,
        1.424_932_278_7E-1,
        -1.666_805_766_5E-1,
        2.000_071_476_5E-1,
        -2.499_999_399_3E-1,
        3.333_333_117_4E-1,
    ];
    const LOG_Q1: f32 = -2.121_944_40e-4;
    const LOG_Q2: f32 = 0.693_359_375;

    /// `log256_ps` for one lane (inputs here are in (0, 1]).
    pub fn log(x: f32) -> f32 {
        let invalid = x <= 0.0;
        let x = x.max(f32::MIN_POSITIVE);
        let bits = x.to_bits();
        let imm0 = (bits >> 23) as i32 - 0x7f;
        let mut x = f32::from_bits((bits & !0x7f80_0000) | 0.5f32.to_bits());
        let mut e = imm0 as f32 + 1.0;
        let mask = x < SQRTHF;
        let tmp = if mask { x } else { 0.0 };
        x -= 1.0;
        e -= if mask { 1.0 } else { 0.0 };
        x += tmp;
        let z = x * x;
        // y = ((p0·x + p1)·x + … + p8)·x, each step fused.
        let mut y = LOG_P[0];
        for &p in &LOG_P[1..] {
            y = y.mul_add(x, p);
        }
        y *= x;
        // y = y·z + e·q1: the product y·z comes first, so it is the one fused.
        y = y.mul_add(z, e * LOG_Q1);
        // y = y − z·0.5, fused.
        y = (-z).mul_add(0.5, y);
        // x = (x + y) + e·q2, fused.
        x = e.mul_add(LOG_Q2, x + y);
        if invalid { f32::NAN } else { x }
    }

    const DP1: f32 = -0.785_156_25;
    const DP2: f32 = -2.418_756_484_985_351_562_5e-4;
    const DP3: f32 = -3.774_894_977_445_941_08e-8;
    const SINCOF: [f32; 3] = [-1.951_529_589_1E-4, 8.332_160_873_6E-3, -1.666_665_461_1E-1];
    const COSCOF: [f32; 3] = [2.443_315_711_809_948E-5, -1.388_731_625_493_765E-3, 4.166_664_568_298_827E-2];
    const FOPI: f32 = 1.273_239_544_735_16;

    /// `sincos256_ps` for one lane: `(sin x, cos x)`.
    pub fn sincos(x: f32) -> (f32, f32) {
        let sign_sin = x.to_bits() & 0x8000_0000;
        let mut x = x.abs();
        let y = x * FOPI;
        let mut j = y as i32; // cvttps: truncation
        j = (j + 1) & !1;
        let y = j as f32;
        let swap_sign_sin = ((j & 4) as u32) << 29;
        let poly_mask = (j & 2) == 0;
        // Extended-precision reduction x = ((x + y·DP1) + y·DP2) + y·DP3, each step fused.
        x = y.mul_add(DP1, x);
        x = y.mul_add(DP2, x);
        x = y.mul_add(DP3, x);
        let sign_cos = ((!(j - 2) & 4) as u32) << 29;
        let sign_sin = sign_sin ^ swap_sign_sin;
        let z = x * x;
        let mut c = COSCOF[0].mul_add(z, COSCOF[1]);
        c = c.mul_add(z, COSCOF[2]);
        c *= z;
        // c = c·z − z·0.5: the earlier product c·z is the one fused.
        c = c.mul_add(z, -(z * 0.5));
        c += 1.0;
        let mut s = SINCOF[0].mul_add(z, SINCOF[1]);
        s = s.mul_add(z, SINCOF[2]);
        s *= z;
        s = s.mul_add(x, x);
        let (sin, cos) = if poly_mask { (s, c) } else { (c, s) };
        (f32::from_bits(sin.to_bits() ^ sign_sin), f32::from_bits(cos.to_bits() ^ sign_cos))
    }
}

fn global() -> &'static Mutex<Generator> {
    static GLOBAL: OnceLock<Mutex<Generator>> = OnceLock::new();
    GLOBAL.get_or_init(|| Mutex::new(Generator::default()))
}

/// The default generator (`torch.default_generator`), shared by every call that takes no generator.
pub fn default_generator() -> MutexGuard<'static, Generator> {
    global().lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `torch.manual_seed(seed)`.
pub fn manual_seed(seed: u64) {
    default_generator().manual_seed(seed);
}
