//! PyTorch's CPU random generator, so that `manual_seed(s)` followed by `rand`, `randn`,
//! `nn::init` or `nn::Linear::new` gives the float32 values PyTorch gives, call after call.
//!
//! Three layers, each as PyTorch has it (ATen's `MT19937RNGEngine.h`, `CPUGeneratorImpl`,
//! `DistributionsHelper.h`, `TransformationHelper.h`, `cpu/DistributionTemplates.h`):
//! - the engine: 32-bit MT19937, seeded by `init_genrand` with the low 32 bits of the seed;
//! - the generator: `random()` is one draw, `random64()` two draws, the FIRST as the high half;
//!   it also caches the second Box-Muller sample of the serial normal path;
//! - the transforms: a float in [0, 1) is the LOW 24 bits of one draw times 2^-24 (a double: the
//!   low 53 bits of `random64()` times 2^-53); `uniform_(a, b)` is `u * (b - a) + a` in float;
//!   `normal_` on 16 or more contiguous floats draws all uniforms first, then Box-Muller in
//!   blocks of 16 (u1 from the first 8, u2 from the next 8; a last partial block is redrawn as
//!   the 16 values ending at the tensor's end); on fewer than 16 it samples serially in double,
//!   two uniforms per pair, and keeps the second (sine) sample for the next call.
//!
//! Which bits PyTorch gets also depends on the CPU kernel it picked, and this file follows it:
//! on x86-64 with AVX2 and FMA (PyTorch's AVX2 and AVX-512 builds, i.e. nearly every PC) the
//! compiler fused `u * (b - a) + a` into one multiply-add, and `normal_` on 16+ values uses the
//! AVX `log`/`sincos` polynomials of `avx_mathfun.h`, whose multiply-adds GCC also fused (the
//! pattern it follows is written at [`avx2`]). Elsewhere PyTorch runs its scalar code with the C
//! library's `logf`, `sinf`, `cosf`, which Rust's `f32` methods call too. `ATEN_CPU_CAPABILITY=
//! default` makes PyTorch take the scalar kernels on any machine; it does the same here. Checked
//! bit for bit against torch 2.15 on Linux x86-64 for both (tests/random_reference.rs); other
//! platforms (macOS arm64, Windows builds made with MSVC) are not verified.
//!
//! The seed of a fresh process: PyTorch seeds its default generator non-deterministically (each
//! `python -c "import torch; print(torch.initial_seed())"` prints another number); this crate
//! starts from 67280421310721, the seed of a newly constructed C++ `CPUGeneratorImpl`, so that a
//! lesson that forgets `manual_seed` still draws the same numbers every run.
//!
//! Why MT19937 is written out (40 lines) instead of taken from `rand_mt`: the maintained releases
//! need a newer Rust than this crate's 1.80 (`rand_mt` 6.1 needs 1.88, 5.0 needs 1.81); 4.2.2,
//! two majors behind, would do. What it costs the lessons, measured with evcxr 0.22 (a fresh
//! kernel, the lessons' set-up cell, then a first `let` cell; alternated runs on a shared,
//! loaded 2-core machine, load average ~12): without it, set-up 5.4 to 9.7 s and first `let` 8.0
//! to 11.1 s (3 runs); with `rand_mt` 4.2.2 (no default features, so no `rand_core`), 6.7 to
//! 8.3 s and 5.0 to 11.2 s (4 runs): no difference above the noise, where `rand` + `rand_chacha`
//! had cost about 3 s. So the reason is the Rust version, and that PyTorch's own layer (the draw
//! order of `random64`, the transforms, the normal cache) has to be written here anyway. The
//! engine is checked against the reference outputs of `std::mt19937` below and, through every
//! transform, against PyTorch itself. The generator does not implement `rand_core`'s traits:
//! fed to `rand`'s distributions it would not give PyTorch's numbers, which is the point here.

use std::sync::Mutex;

use ndarray::{ArrayD, IxDyn};

use crate::error::in_notebook_kernel;

/// Seed of a freshly constructed C++ `CPUGeneratorImpl` (`default_rng_seed_val` in ATen).
const DEFAULT_SEED: u64 = 67_280_421_310_721;

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// Restarts the random generator from `seed`: `torch.manual_seed(seed)`. The draws that follow
/// are PyTorch's, bit for bit.
///
/// ```
/// use autograd_core::prelude::*;
/// manual_seed(0);
/// // torch.manual_seed(0); torch.rand(2) -> tensor([0.4963, 0.7682])
/// assert_eq!(Tensor::rand(&[2]).to_vec(), vec![0.49625659, 0.76822180]);
/// ```
pub fn manual_seed(seed: u64) {
    let mut generator = lock();
    *generator = Some(Generator::new(seed));
    share_across_cells(generator.as_ref());
}

/// The seed the generator was last started from: `torch.initial_seed()`. Before any
/// [`manual_seed`] it is 67280421310721 (PyTorch picks a random one per process instead; this
/// crate keeps un-seeded lessons reproducible).
///
/// ```
/// use autograd_core::prelude::*;
/// manual_seed(42);
/// assert_eq!(autograd_core::initial_seed(), 42);
/// ```
pub fn initial_seed() -> u64 {
    with_generator(|g| g.seed)
}

fn lock() -> std::sync::MutexGuard<'static, Option<Generator>> {
    GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `f` with the generator, creating it from the default seed on first use.
fn with_generator<T>(f: impl FnOnce(&mut Generator) -> T) -> T {
    let mut generator = lock();
    if let Some(shared) = shared_by_another_cell() {
        *generator = Some(shared);
    }
    let result = f(generator.get_or_insert_with(|| Generator::new(DEFAULT_SEED)));
    share_across_cells(generator.as_ref());
    result
}

// ----- one generator for every notebook cell -------------------------------------------------
//
// evcxr builds each notebook cell as a library of its own, and each links its own copy of this
// crate, with its own `GENERATOR`: without this, `manual_seed(0)` in one cell would leave the
// next cell drawing from the default seed, where PyTorch continues the seeded stream. Inside the
// kernel (evcxr starts it with EVCXR_IS_RUNTIME=1) the generator's whole state is therefore kept
// in the process's environment, which every copy shares, after each call that uses it: about
// 5 kB of text written per `rand`/`randn`/`manual_seed` call, a few microseconds, and no cost
// outside the kernel. The process id in it keeps a child process from taking its parent's state.

const SHARED_STATE: &str = "AUTOGRAD_CORE_GENERATOR_V1";

fn share_across_cells(generator: Option<&Generator>) {
    if let (true, Some(g)) = (in_notebook_kernel(), generator) {
        std::env::set_var(SHARED_STATE, g.encode());
    }
}

fn shared_by_another_cell() -> Option<Generator> {
    if !in_notebook_kernel() {
        return None;
    }
    Generator::decode(&std::env::var(SHARED_STATE).ok()?)
}

impl Generator {
    /// `pid seed index normal-or-dash state...`, numbers in hex.
    fn encode(&self) -> String {
        let normal = self
            .next_double_normal
            .map_or("-".to_string(), |v| format!("{:x}", v.to_bits()));
        let mut text = format!(
            "{:x} {:x} {:x} {normal}",
            std::process::id(),
            self.seed,
            self.engine.index
        );
        for word in self.engine.state {
            text.push_str(&format!(" {word:x}"));
        }
        text
    }

    fn decode(text: &str) -> Option<Generator> {
        let mut fields = text.split(' ');
        let mut hex = || u64::from_str_radix(fields.next()?, 16).ok();
        if hex()? != u64::from(std::process::id()) {
            return None;
        }
        let (seed, index) = (hex()?, hex()? as usize);
        let normal = match fields.next()? {
            "-" => None,
            bits => Some(f64::from_bits(u64::from_str_radix(bits, 16).ok()?)),
        };
        let mut state = [0u32; 624];
        for word in state.iter_mut() {
            *word = u32::from_str_radix(fields.next()?, 16).ok()?;
        }
        (fields.next().is_none() && index <= 624).then_some(Generator {
            seed,
            engine: Mt19937 { state, index },
            next_double_normal: normal,
        })
    }
}

/// The 32-bit Mersenne Twister (Matsumoto and Nishimura 1998), as `std::mt19937`.
struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    /// `init_genrand`: PyTorch passes the low 32 bits of its 64-bit seed.
    fn new(seed: u32) -> Mt19937 {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    fn next_u32(&mut self) -> u32 {
        if self.index == 624 {
            // regenerate the 624 words: twist each with its successor and the word 397 ahead
            for i in 0..624 {
                let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % 624] & 0x7fff_ffff);
                let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                self.state[i] = self.state[(i + 397) % 624] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        // tempering
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }
}

/// PyTorch's `CPUGeneratorImpl`: the engine, its seed, and the cached normal sample.
struct Generator {
    seed: u64,
    engine: Mt19937,
    /// The sine half of the last serial Box-Muller pair (`next_double_normal_sample`).
    next_double_normal: Option<f64>,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator {
            seed,
            engine: Mt19937::new(seed as u32),
            next_double_normal: None,
        }
    }

    /// `random()`: one 32-bit draw.
    fn random(&mut self) -> u32 {
        self.engine.next_u32()
    }

    /// `random64()`: two draws, the first one as the high half.
    fn random64(&mut self) -> u64 {
        let high = u64::from(self.random());
        (high << 32) | u64::from(self.random())
    }

    /// `uniform_real_distribution<float>(from, to)`: 24 low bits of one draw, then
    /// `u * (to - from) + from` in float, fused or not as PyTorch's build did it.
    fn uniform_f32(&mut self, from: f32, to: f32, kernel: Kernel) -> f32 {
        let u = (self.random() & 0x00ff_ffff) as f32 * (1.0 / 16_777_216.0);
        kernel.mul_add_f32(u, to - from, from)
    }

    /// `uniform_real_distribution<double>(0, 1)`: 53 low bits of `random64()`.
    fn uniform_f64(&mut self) -> f64 {
        (self.random64() & ((1 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `normal_distribution<double>(mean, std)`: Box-Muller in double, one pair per two
    /// uniforms; the sine sample is kept for the next call (also across tensors).
    fn normal_f64(&mut self, mean: f64, std: f64, kernel: Kernel) -> f64 {
        let z = match self.next_double_normal.take() {
            Some(cached) => cached,
            None => {
                let u1 = self.uniform_f64();
                let u2 = self.uniform_f64();
                let r = (-2.0 * (-u2).ln_1p()).sqrt(); // u2 in [0, 1): log1p(-u2) is finite
                let theta = 2.0 * std::f64::consts::PI * u1;
                self.next_double_normal = Some(r * theta.sin());
                r * theta.cos()
            }
        };
        kernel.mul_add_f64(z, std, mean)
    }
}

/// Which of PyTorch's CPU kernels the numbers must match (PyTorch picks one at start-up).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kernel {
    /// x86-64 with AVX2 and FMA: PyTorch's AVX2 and AVX-512 builds.
    Avx2,
    /// PyTorch's scalar code (`ATEN_CPU_CAPABILITY=default`, or a CPU without AVX2).
    Scalar,
}

impl Kernel {
    /// The kernel PyTorch would run on this machine, honouring `ATEN_CPU_CAPABILITY=default`.
    fn current() -> Kernel {
        let forced_default =
            std::env::var("ATEN_CPU_CAPABILITY").is_ok_and(|c| c.eq_ignore_ascii_case("default"));
        #[cfg(target_arch = "x86_64")]
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        if avx2 && !forced_default {
            Kernel::Avx2
        } else {
            Kernel::Scalar
        }
    }

    /// Whether GCC fused `a * b + c` in PyTorch's build of this kernel: yes where the target
    /// has FMA (x86-64 AVX2 builds; aarch64, where compilers contract by default, unverified).
    fn fuses(self) -> bool {
        self == Kernel::Avx2 || cfg!(target_arch = "aarch64")
    }

    fn mul_add_f32(self, a: f32, b: f32, c: f32) -> f32 {
        if self.fuses() {
            a.mul_add(b, c)
        } else {
            a * b + c
        }
    }

    fn mul_add_f64(self, a: f64, b: f64, c: f64) -> f64 {
        if self.fuses() {
            a.mul_add(b, c)
        } else {
            a * b + c
        }
    }
}

/// `torch.empty(shape).uniform_(from, to)`, as float32; `rand` is `uniform(shape, 0, 1)`.
pub(crate) fn uniform(shape: &[usize], from: f64, to: f64) -> ArrayD<f32> {
    assert!(
        from <= to,
        "uniform_ expects to return a [from, to) range, but found from={from} > to={to}"
    );
    let (from, to) = (from as f32, to as f32);
    let kernel = Kernel::current();
    let n = shape.iter().product();
    let data = with_generator(|g| {
        (0..n)
            .map(|_| {
                let value = g.uniform_f32(from, to, kernel);
                // PyTorch: a value rounded up onto `to` is replaced by `from`, to stay in [from, to)
                if value == to {
                    from
                } else {
                    value
                }
            })
            .collect()
    });
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

/// `torch.empty(shape).normal_(mean, std)`, as float32; `randn` is `normal(shape, 0, 1)`.
pub(crate) fn normal(shape: &[usize], mean: f64, std: f64) -> ArrayD<f32> {
    assert!(std >= 0.0, "normal expects std >= 0.0, but found std {std}");
    let kernel = Kernel::current();
    let n: usize = shape.iter().product();
    let data = with_generator(|g| {
        if n < 16 {
            return (0..n)
                .map(|_| g.normal_f64(mean, std, kernel) as f32)
                .collect();
        }
        // normal_fill: all the uniforms first, then Box-Muller on each block of 16
        let (mean, std) = (mean as f32, std as f32);
        let mut data: Vec<f32> = (0..n).map(|_| g.uniform_f32(0.0, 1.0, kernel)).collect();
        for block in data.chunks_exact_mut(16) {
            normal_fill_16(block.try_into().unwrap(), mean, std, kernel);
        }
        if n % 16 != 0 {
            // the last values are redrawn as one whole block ending at the tensor's end
            let tail: &mut [f32; 16] = (&mut data[n - 16..]).try_into().unwrap();
            for value in tail.iter_mut() {
                *value = g.uniform_f32(0.0, 1.0, kernel);
            }
            normal_fill_16(tail, mean, std, kernel);
        }
        data
    });
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

/// Box-Muller on 16 uniforms: pair `j` (of 8) turns `u1 = 1 - data[j]` (in (0, 1], so the log
/// is finite) and `u2 = data[j + 8]` into `r cos(2 pi u2)` at `j` and `r sin(2 pi u2)` at `j + 8`,
/// with `r = sqrt(-2 ln u1)`; then `* std + mean` as one fused multiply-add.
fn normal_fill_16(data: &mut [f32; 16], mean: f32, std: f32, kernel: Kernel) {
    for j in 0..8 {
        let u1 = 1.0 - data[j];
        let u2 = data[j + 8];
        let (radius, sin, cos) = match kernel {
            Kernel::Avx2 => {
                let theta = (2.0 * std::f64::consts::PI) as f32 * u2;
                let (sin, cos) = avx2::sincos(theta);
                ((-2.0 * avx2::log(u1)).sqrt(), sin, cos)
            }
            Kernel::Scalar => {
                // theta = 2.0f * pi<double> * u2 is computed in double, then stored as float
                let theta = (2.0 * std::f64::consts::PI * f64::from(u2)) as f32;
                ((-2.0 * u1.ln()).sqrt(), theta.sin(), theta.cos())
            }
        };
        data[j] = (radius * cos).mul_add(std, mean);
        data[j + 8] = (radius * sin).mul_add(std, mean);
    }
}

/// `torch.randperm(n)` on the CPU: a Fisher-Yates shuffle of `0..n`, drawn as PyTorch draws it.
pub(crate) fn randperm(n: usize) -> Vec<usize> {
    with_generator(|g| shuffle(g, n))
}

/// The shuffle PyTorch picks for `n`: its original one "for small n", the inside-out one from
/// 2^32 / 20 on.
fn shuffle(g: &mut Generator, n: usize) -> Vec<usize> {
    if (n as u64) < u64::from(u32::MAX / 20) {
        swap_shuffle(g, n)
    } else {
        inside_out_shuffle(g, n)
    }
}

/// `int(torch.empty((), dtype=torch.int64).random_())`: one value in [0, 2^63) from the global
/// generator. ATen's `random_()` without bounds on int64 is `uniform_int_distribution<int64_t>`:
/// `random64() % (INT64_MAX + 1)`, so two 32-bit draws with the top bit cleared. The data loader
/// draws it twice per shuffled epoch (its `_base_seed`, then `RandomSampler`'s seed).
pub(crate) fn random_int64() -> u64 {
    with_generator(|g| g.random64() % (1 << 63))
}

/// `torch.randperm(n, generator=g)` where `g = torch.Generator(); g.manual_seed(seed)`: a
/// private generator, so the global stream is not touched (what `RandomSampler` does).
pub(crate) fn randperm_seeded(n: usize, seed: u64) -> Vec<usize> {
    shuffle(&mut Generator::new(seed), n)
}

/// Position `i` swaps with `i + random() % (n - i)`, for i in 0..n-1.
fn swap_shuffle(g: &mut Generator, n: usize) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    for i in 0..n.saturating_sub(1) {
        let z = (g.random() as usize) % (n - i);
        perm.swap(i, i + z);
    }
    perm
}

/// The inside-out variant with `random64() % (i + 1)`: for n near 2^32 the 32-bit modulo
/// would be visibly biased. Checked once against torch at the switch (too big for a test: 1.7
/// GB): randperm(214 748 363) and randperm(214 748 364) after seed 0 give the same permutations.
fn inside_out_shuffle(g: &mut Generator, n: usize) -> Vec<usize> {
    let mut perm = vec![0; n];
    for i in 0..n {
        let z = (g.random64() % (i as u64 + 1)) as usize;
        perm[i] = perm[z];
        perm[z] = i;
    }
    perm
}

/// The AVX `log` and `sincos` of PyTorch's `avx_mathfun.h` (Cephes polynomials, after Julien
/// Pommier's sse_mathfun), one lane at a time. GCC compiled PyTorch's copy with multiply-adds
/// fused: a product whose only use is an addition became one `fma`, the first such product in
/// program order winning when two compete for the same addition (so `y*x*z + e*q1` is
/// `fma(y*x, z, e*q1)`). That pattern was found by comparing with torch on 40 960 normals (40
/// seeds x 1024); tests/random_reference.rs checks it on the reference draws.
// The constants are the C source's double literals, verbatim, converted to float as C does.
#[allow(clippy::excessive_precision)]
mod avx2 {
    const MIN_NORM_POS: f32 = f32::MIN_POSITIVE;
    const SQRTHF: f32 = std::f64::consts::FRAC_1_SQRT_2 as f32; // 0.707106781186547524
    const LOG_P: [f32; 9] = [
        7.0376836292E-2_f64 as f32,
        -1.1514610310E-1_f64 as f32,
        1.1676998740E-1_f64 as f32,
        -1.2420140846E-1_f64 as f32,
        1.4249322787E-1_f64 as f32,
        -1.6668057665E-1_f64 as f32,
        2.0000714765E-1_f64 as f32,
        -2.4999993993E-1_f64 as f32,
        3.3333331174E-1_f64 as f32,
    ];
    const LOG_Q1: f32 = -2.12194440e-4_f64 as f32;
    const LOG_Q2: f32 = 0.693359375;

    /// `log256_ps` for x > 0 (PyTorch's normals only take u1 in (0, 1]).
    pub(super) fn log(x: f32) -> f32 {
        let x = x.max(MIN_NORM_POS);
        // x = m * 2^e with m in [0.5, 1)
        let mut e = ((x.to_bits() >> 23) as i32 - 0x7f) as f32 + 1.0;
        let mut m = f32::from_bits((x.to_bits() & !0x7f80_0000) | 0.5f32.to_bits());
        // if m < sqrt(1/2): e -= 1, m = 2m - 1, else m = m - 1
        let below = m < SQRTHF;
        let tmp = if below { m } else { 0.0 };
        m -= 1.0;
        e -= if below { 1.0 } else { 0.0 };
        m += tmp;
        let z = m * m;
        let mut y = LOG_P[0];
        for p in &LOG_P[1..] {
            y = y.mul_add(m, *p);
        }
        y = (y * m).mul_add(z, e * LOG_Q1);
        y = (-z).mul_add(0.5, y);
        e.mul_add(LOG_Q2, m + y)
    }

    const FOPI: f32 = 1.27323954473516_f64 as f32; // 4 / pi
    const DP: [f32; 3] = [
        -0.78515625,
        -2.4187564849853515625e-4_f64 as f32,
        -3.77489497744594108e-8_f64 as f32,
    ];
    const COSCOF: [f32; 3] = [
        2.443315711809948E-005_f64 as f32,
        -1.388731625493765E-003_f64 as f32,
        4.166664568298827E-002_f64 as f32,
    ];
    const SINCOF: [f32; 3] = [
        -1.9515295891E-4_f64 as f32,
        8.3321608736E-3_f64 as f32,
        -1.6666654611E-1_f64 as f32,
    ];

    /// `sincos256_ps`: (sin x, cos x).
    pub(super) fn sincos(x: f32) -> (f32, f32) {
        let sign_sin = x.to_bits() & 0x8000_0000;
        let mut x = x.abs();
        // octant j = (trunc(x * 4/pi) + 1) & !1, then x -= j * pi/4 in three parts
        let j = ((x * FOPI) as i32 + 1) & !1;
        let y = j as f32;
        for dp in DP {
            x = y.mul_add(dp, x);
        }
        let sign_sin = sign_sin ^ (((j & 4) as u32) << 29);
        let sign_cos = ((!(j - 2) & 4) as u32) << 29;
        let sine_poly_for_sin = j & 2 == 0;
        let z = x * x;
        // cos polynomial on [0, pi/4]
        let mut c = COSCOF[0].mul_add(z, COSCOF[1]).mul_add(z, COSCOF[2]);
        c = (c * z).mul_add(z, -(z * 0.5));
        c += 1.0;
        // sin polynomial on [0, pi/4]
        let mut s = SINCOF[0].mul_add(z, SINCOF[1]).mul_add(z, SINCOF[2]);
        s = (s * z).mul_add(x, x);
        // pick the polynomials (the same adds and subtractions as the vector code)
        let (ysin2, ysin1) = if sine_poly_for_sin {
            (s, 0.0)
        } else {
            (0.0, c)
        };
        let (s_rest, c_rest) = (s - ysin2, c - ysin1);
        let sin = ysin1 + ysin2;
        let cos = c_rest + s_rest;
        (
            f32::from_bits(sin.to_bits() ^ sign_sin),
            f32::from_bits(cos.to_bits() ^ sign_cos),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a notebook cell leaves in the environment, the next cell's copy of the crate
    /// continues from: the same draws, the cached normal sample included.
    #[test]
    fn the_shared_state_continues_the_stream() {
        let mut first = Generator::new(0);
        // Past one regeneration of the 624 words.
        for _ in 0..700 {
            first.random();
        }
        first.next_double_normal = Some(-0.25);
        let mut next = Generator::decode(&first.encode()).expect("decodes");
        assert_eq!(next.seed, 0);
        assert_eq!(next.next_double_normal, Some(-0.25));
        let ours: Vec<u32> = (0..1000).map(|_| first.random()).collect();
        let theirs: Vec<u32> = (0..1000).map(|_| next.random()).collect();
        assert_eq!(ours, theirs);
    }

    /// A child process inherits the environment: it must not take its parent's generator.
    #[test]
    fn another_process_state_is_not_taken() {
        let text = Generator::new(3).encode();
        let (_, rest) = text.split_once(' ').unwrap();
        let other = format!("{:x} {rest}", std::process::id() + 1);
        assert!(Generator::decode(&other).is_none());
        assert!(Generator::decode("garbage").is_none());
        let one_word_short = &text[..text.rfind(' ').unwrap()];
        assert!(Generator::decode(one_word_short).is_none());
    }

    /// The reference MT19937 (mt19937ar.c): `init_genrand(5489)` then the 10000th output is
    /// 4123659995, as the C++ standard requires of `std::mt19937`.
    #[test]
    fn mt19937_reference_outputs() {
        let mut mt = Mt19937::new(5489);
        assert_eq!(mt.next_u32(), 3_499_211_612);
        let last = (1..10_000).map(|_| mt.next_u32()).last().unwrap();
        assert_eq!(last, 4_123_659_995);
    }

    /// `random64` puts the first draw in the high half.
    #[test]
    fn random64_is_high_then_low() {
        let mut a = Generator::new(7);
        let mut b = Generator::new(7);
        let (high, low) = (a.random(), a.random());
        assert_eq!(b.random64(), (u64::from(high) << 32) | u64::from(low));
    }

    /// Both shuffles give permutations (PyTorch uses the inside-out one from n = 214 748 364).
    #[test]
    fn shuffles_are_permutations() {
        for shuffle in [swap_shuffle, inside_out_shuffle] {
            let mut perm = shuffle(&mut Generator::new(0), 1000);
            assert_ne!(perm, (0..1000).collect::<Vec<_>>());
            perm.sort_unstable();
            assert_eq!(perm, (0..1000).collect::<Vec<_>>());
        }
        assert!(swap_shuffle(&mut Generator::new(0), 0).is_empty());
    }

    /// log and sincos of avx_mathfun stay within a few ulp of the true values.
    #[test]
    fn avx_polynomials_are_close() {
        for i in 1..=1000 {
            let x = i as f32 / 1000.0;
            assert!((avx2::log(x) - x.ln()).abs() <= 4e-7 * x.ln().abs().max(1.0));
            let theta = x * std::f32::consts::TAU;
            let (s, c) = avx2::sincos(theta);
            assert!((s - theta.sin()).abs() < 3e-7 && (c - theta.cos()).abs() < 3e-7);
        }
    }
}
