//! The global random generator behind `rand`, `randn` and the `nn::init` functions.
//!
//! One generator per process, seeded with PyTorch's default seed, so a fresh kernel draws the
//! same numbers every time; `manual_seed` restarts it. The numbers are not PyTorch's own (its
//! generator is a Mersenne Twister), but the same seed always gives the same lesson.
//!
//! The generator is ChaCha with 8 rounds, seeded as `rand_chacha::ChaCha8Rng::seed_from_u64`
//! seeds it, and a test checks that it draws exactly that generator's numbers. It is written out
//! here instead of depending on `rand` and `rand_chacha` because the evcxr kernel analyses every
//! crate a lesson depends on at each start: those two (with `ppv-lite86` and `zerocopy`) cost
//! about 3 s of every lesson, for some 60 lines.

use std::sync::Mutex;

use ndarray::{ArrayD, IxDyn};

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

/// ChaCha8 (RFC 8439 block layout, 64-bit block counter, stream 0) read as a stream of u32.
pub(crate) struct ChaCha8Rng {
    key: [u32; 8],
    counter: u64,
    block: [u32; 16],
    used: usize,
}

impl ChaCha8Rng {
    /// The 256-bit key is filled by a PCG32 stream started at `state`, as rand_core does.
    fn seed_from_u64(mut state: u64) -> Self {
        let key = std::array::from_fn(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(11_634_580_027_462_260_723);
            let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
            xorshifted.rotate_right((state >> 59) as u32)
        });
        ChaCha8Rng {
            key,
            counter: 0,
            block: [0; 16],
            used: 16,
        }
    }

    fn next_u32(&mut self) -> u32 {
        if self.used == self.block.len() {
            self.block = chacha8_block(&self.key, self.counter);
            self.counter += 1;
            self.used = 0;
        }
        self.used += 1;
        self.block[self.used - 1]
    }

    /// Two consecutive words, the first as the low half.
    fn next_u64(&mut self) -> u64 {
        let low = u64::from(self.next_u32());
        (u64::from(self.next_u32()) << 32) | low
    }
}

/// One 16-word ChaCha block: 4 double rounds over constants, key, counter and a zero nonce,
/// then the input added back.
fn chacha8_block(key: &[u32; 8], counter: u64) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    input[4..12].copy_from_slice(key);
    input[12] = counter as u32;
    input[13] = (counter >> 32) as u32;
    let mut x = input;
    let quarter_round = |x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize| {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    };
    for _ in 0..4 {
        // columns, then diagonals
        quarter_round(&mut x, 0, 4, 8, 12);
        quarter_round(&mut x, 1, 5, 9, 13);
        quarter_round(&mut x, 2, 6, 10, 14);
        quarter_round(&mut x, 3, 7, 11, 15);
        quarter_round(&mut x, 0, 5, 10, 15);
        quarter_round(&mut x, 1, 6, 11, 12);
        quarter_round(&mut x, 2, 7, 8, 13);
        quarter_round(&mut x, 3, 4, 9, 14);
    }
    std::array::from_fn(|i| x[i].wrapping_add(input[i]))
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};

    /// The lessons' numbers were first drawn with `rand_chacha`: they must not change.
    #[test]
    fn draws_the_numbers_of_rand_chacha() {
        for seed in [0, 1, 42, DEFAULT_SEED, u64::MAX] {
            let mut ours = ChaCha8Rng::seed_from_u64(seed);
            let mut theirs = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            // 1000 draws cross many blocks, and some u64 draws straddle a block end.
            for draw in 0..1000 {
                let (a, b) = match draw % 2 {
                    0 => (ours.next_u64(), theirs.next_u64()),
                    _ => (ours.next_u32().into(), theirs.next_u32().into()),
                };
                assert_eq!(a, b, "seed {seed}, draw {draw}");
            }
        }
    }
}
