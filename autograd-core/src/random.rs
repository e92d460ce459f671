//! The global random generator behind `rand`, `randn` and the `nn::init` functions.
//!
//! One generator per process, seeded with PyTorch's default seed, so a fresh kernel draws the
//! same numbers every time; `manual_seed` restarts it. The numbers are not PyTorch's own (its
//! generator is a Mersenne Twister), but the same seed always gives the same lesson.

use std::sync::Mutex;

use ndarray::{ArrayD, IxDyn};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// PyTorch's default seed (`torch.initial_seed()` in a fresh process).
const DEFAULT_SEED: u64 = 67_280_421_310_721;

static GENERATOR: Mutex<Option<ChaCha8Rng>> = Mutex::new(None);

/// Restarts the random generator from `seed`: `torch.manual_seed(seed)`.
///
/// ```
/// use autograd_core::prelude::*;
/// manual_seed(42);
/// let a = Tensor::rand(&[3]).to_vec();
/// manual_seed(42);
/// assert_eq!(Tensor::rand(&[3]).to_vec(), a);
/// ```
pub fn manual_seed(seed: u64) {
    *GENERATOR.lock().unwrap() = Some(ChaCha8Rng::seed_from_u64(seed));
}

/// Runs `f` with the generator, creating it from the default seed on first use.
fn with_generator<T>(f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
    let mut guard = GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(guard.get_or_insert_with(|| ChaCha8Rng::seed_from_u64(DEFAULT_SEED)))
}

/// An array of the given shape filled by calling `sample` with the generator.
pub(crate) fn fill(shape: &[usize], sample: fn(&mut ChaCha8Rng) -> f32) -> ArrayD<f32> {
    with_generator(|rng| {
        let data = (0..shape.iter().product()).map(|_| sample(rng)).collect();
        ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
    })
}

/// Uniform on [0, 1) with 24 random bits, as PyTorch makes a float.
pub(crate) fn uniform(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// Standard normal, by the Box-Muller transform in double precision.
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f32 {
    let u1 = 1.0 - (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64; // in (0, 1], so ln is finite
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}
