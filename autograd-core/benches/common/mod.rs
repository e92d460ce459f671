//! What the training-step benchmark (`training_step.rs`) and the peers benchmark
//! (`bench/peers`, candle and burn beside this crate) share: the harness, the data, the initial
//! weights and the crate's own steps. Each step returns its loss, so the peers benchmark can
//! check that every library computes the same numbers before it times them.
//!
//! A folder (`common/mod.rs`), not `benches/common.rs`, so that cargo does not take it for a
//! benchmark of its own. Not every user needs every item.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use autograd_core::prelude::*;

/// Sizes of the linear-regression cases.
pub const SIZES: [usize; 3] = [100, 10_000, 1_000_000];
/// Batch size of the MLP case.
pub const MLP_N: usize = 1000;
pub const MLP_HIDDEN: usize = 64;
pub const LR: f32 = 0.01;

/// The harness settings: warm-up time, batches, target time of one batch.
pub struct Settings {
    pub warm_up: Duration,
    pub batches: usize,
    pub batch_time: Duration,
}

impl Settings {
    /// 0.2 s of warm-up, then 11 batches of about 40 ms; `quick`: 20 ms, then 5 of 10 ms.
    pub fn new(quick: bool) -> Settings {
        if quick {
            Settings {
                warm_up: Duration::from_millis(20),
                batches: 5,
                batch_time: Duration::from_millis(10),
            }
        } else {
            Settings {
                warm_up: Duration::from_millis(200),
                batches: 11,
                batch_time: Duration::from_millis(40),
            }
        }
    }
}

/// One timed case: its name and the median and minimum time per step.
pub struct Measurement {
    pub name: String,
    pub median: Duration,
    pub min: Duration,
}

/// Times `step`: runs it for `warm_up`, picks a number of steps per batch so that a batch takes
/// about `batch_time`, then times `batches` batches. What `step` returns is dropped inside the
/// timed loop (through `black_box`, so that it is computed).
pub fn measure<R>(settings: &Settings, name: &str, mut step: impl FnMut() -> R) -> Measurement {
    let start = Instant::now();
    let mut warm_up_steps = 0u32;
    while warm_up_steps < 3 || start.elapsed() < settings.warm_up {
        black_box(step());
        warm_up_steps += 1;
    }
    let per_step = start.elapsed() / warm_up_steps;
    let steps = (settings.batch_time.as_nanos() / per_step.as_nanos().max(1)).max(1) as u32;
    let mut times: Vec<Duration> = (0..settings.batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..steps {
                black_box(step());
            }
            t.elapsed() / steps
        })
        .collect();
    times.sort();
    Measurement {
        name: name.to_string(),
        median: times[times.len() / 2],
        min: times[0],
    }
}

/// `812 ns`, `4.52 us`, `1.23 ms`.
pub fn format_time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// `x` uniform in [0, 1), `y = 2x + 1 + noise`, as tensors of shape `shape`.
pub fn line_data(n: usize, shape: &[usize]) -> (Tensor, Tensor) {
    manual_seed(0);
    let x = Tensor::rand(&[n]);
    let noise = Tensor::randn(&[n]);
    let y = &x * 2.0 + 1.0 + &noise * 0.1;
    let shape: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    (x.reshape(&shape), y.reshape(&shape))
}

// ----- the crate's steps -----------------------------------------------------------------------

/// The data `[n, 1]` and the `nn::Linear(1, 1)` of the lesson 04 loop on `n` points.
pub fn linear_setup(n: usize) -> (Tensor, Tensor, nn::Linear) {
    let (x, y) = line_data(n, &[n, 1]);
    manual_seed(1);
    (x, y, nn::Linear::new(1, 1))
}

/// `nn::Linear(1, 1)`, `MSELoss`, `SGD`: the lesson 04 loop on `n` points.
pub fn linear_module(n: usize) -> impl FnMut() -> Tensor {
    let (x, y, model) = linear_setup(n);
    module_step(model, x, y)
}

/// One training step of `model` on `(x, y)`: forward, `MSELoss`, backward, `SGD` step,
/// zero_grad; returns the loss.
pub fn module_step(model: impl Module, x: Tensor, y: Tensor) -> impl FnMut() -> Tensor {
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), LR);
    move || {
        let l = loss.forward(&model.forward(&x), &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        l
    }
}

/// `y_hat = &w * &x + &b` with raw tensors and a hand-written update under `no_grad`: lesson 02.
/// `w` and `b` start at 0.
pub fn raw_tensors(n: usize) -> impl FnMut() -> Tensor {
    let (x, y) = line_data(n, &[n]);
    let w = tensor!(0.0).requires_grad_(true);
    let b = tensor!(0.0).requires_grad_(true);
    move || {
        let y_hat = &w * &x + &b;
        let l = (&y_hat - &y).pow(2.0).mean();
        l.backward();
        no_grad(|| {
            for p in [&w, &b] {
                p.sub_(&(p.grad().unwrap() * LR));
                p.set_grad(None);
            }
        });
        l
    }
}

// ----- by hand, without autograd ----------------------------------------------------------------

/// The same step written by hand in one pass over the data: no graph, no temporaries.
pub fn fused_line(n: usize) -> impl FnMut() -> f32 {
    let (x, y) = line_data(n, &[n]);
    let (x, y) = (x.to_vec(), y.to_vec());
    let (mut w, mut b) = (0.0f32, 0.0f32);
    move || {
        // l = mean((w x + b - y)^2);  dl/dw = mean(2 (w x + b - y) x),  dl/db = mean(2 (w x + b - y))
        // Eight running sums of each, so that the compiler can use vector instructions.
        const LANES: usize = 8;
        let (mut loss, mut dw, mut db) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        let (xs, ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
        let tail = xs.remainder().iter().zip(ys.remainder());
        for (x, y) in xs.zip(ys) {
            for i in 0..LANES {
                let d = w * x[i] + b - y[i];
                loss[i] += d * d;
                dw[i] += d * x[i];
                db[i] += d;
            }
        }
        for (&x, &y) in tail {
            let d = w * x + b - y;
            loss[0] += d * d;
            dw[0] += d * x;
            db[0] += d;
        }
        let scale = 2.0 / n as f32;
        w -= LR * scale * dw.iter().sum::<f32>();
        b -= LR * scale * db.iter().sum::<f32>();
        loss.iter().sum::<f32>() / n as f32
    }
}

/// One pass that reads `x` and `y` and sums them: the least a step over this data must move.
/// Sixteen running sums, compiled for AVX-512 or AVX2 where the CPU has them, so that the adds
/// are never the bottleneck.
pub fn read_xy(x: &[f32], y: &[f32]) -> f32 {
    #[inline(always)]
    fn sum(x: &[f32], y: &[f32]) -> f32 {
        const LANES: usize = 16;
        let mut acc = [0.0f32; LANES];
        let (xs, ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
        let tail: f32 = xs.remainder().iter().chain(ys.remainder()).sum();
        for (x, y) in xs.zip(ys) {
            for i in 0..LANES {
                acc[i] += x[i] + y[i];
            }
        }
        acc.iter().sum::<f32>() + tail
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f")]
        unsafe fn sum_avx512(x: &[f32], y: &[f32]) -> f32 {
            sum(x, y)
        }
        #[target_feature(enable = "avx2")]
        unsafe fn sum_avx2(x: &[f32], y: &[f32]) -> f32 {
            sum(x, y)
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { sum_avx512(x, y) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { sum_avx2(x, y) };
        }
    }
    sum(x, y)
}

// ----- the MLP ----------------------------------------------------------------------------------

/// The data of the MLP case: `MLP_N` points `x` uniform in [0, 1), `y = tanh(6 x)`, `[n, 1]`.
pub fn mlp_data() -> (Tensor, Tensor) {
    manual_seed(0);
    let x = Tensor::rand(&[MLP_N, 1]);
    let y = (&x * 6.0).tanh();
    (x, y)
}

/// The data and the MLP 1-64-64-1 with tanh, initialised as PyTorch does after the data.
pub fn mlp_setup() -> (Tensor, Tensor, nn::Sequential) {
    let (x, y) = mlp_data();
    let model = nn::Sequential::new()
        .add(nn::Linear::new(1, MLP_HIDDEN))
        .add(nn::Tanh)
        .add(nn::Linear::new(MLP_HIDDEN, MLP_HIDDEN))
        .add(nn::Tanh)
        .add(nn::Linear::new(MLP_HIDDEN, 1));
    (x, y, model)
}

/// An MLP 1-64-64-1 with tanh, `MSELoss` and `SGD`, on `MLP_N` points.
pub fn mlp() -> impl FnMut() -> Tensor {
    let (x, y, model) = mlp_setup();
    module_step(model, x, y)
}

/// `a + b` on one-element tensors: the fixed cost of one op (with `requires_grad`, plus
/// `backward()` and clearing both gradients).
pub fn op_add(requires_grad: bool) -> impl FnMut() -> Tensor {
    let a = tensor!([1.0]).requires_grad_(requires_grad);
    let b = tensor!([2.0]).requires_grad_(requires_grad);
    move || {
        let c = &a + &b;
        if requires_grad {
            c.backward();
            a.set_grad(None);
            b.set_grad(None);
        }
        c
    }
}
