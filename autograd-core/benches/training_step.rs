//! How long one training step takes: forward, loss, backward, optimizer step, zero_grad.
//!
//! ```text
//! cargo bench -p autograd-core --bench training_step             # every case
//! cargo bench -p autograd-core --bench training_step -- mlp      # cases whose name contains "mlp"
//! cargo bench -p autograd-core --bench training_step -- --tsv    # also print tab-separated lines
//! ```
//!
//! Each case is warmed up, then timed in several batches of many steps; the time reported is
//! the median over the batches of the time per step (the minimum is shown too, as a hint of the
//! noise). Next to the autograd cases, `fused` cases compute the same step by hand in one loop,
//! without any graph: the practical limit. `bench/compare_torch.py` runs the same cases in
//! PyTorch and NumPy.
//!
//! Deliberately a plain program with `std::time::Instant` (no benchmark framework), so that it
//! builds quickly and is easy to read.

use std::hint::black_box;
use std::time::{Duration, Instant};

use autograd_core::ndarray::ArrayView2;
use autograd_core::prelude::*;
use autograd_core::{matmul_f32, tanh_f32};

/// Sizes of the linear-regression cases.
const SIZES: [usize; 3] = [100, 10_000, 1_000_000];
/// Batch size of the MLP case.
const MLP_N: usize = 1000;
const MLP_HIDDEN: usize = 64;
const LR: f32 = 0.01;

/// The harness settings: warm-up time, batches, target time of one batch.
struct Settings {
    warm_up: Duration,
    batches: usize,
    batch_time: Duration,
}

/// One timed case: its name and the median and minimum time per step.
struct Measurement {
    name: String,
    median: Duration,
    min: Duration,
}

/// Times `step`: runs it for `warm_up`, picks a number of steps per batch so that a batch takes
/// about `batch_time`, then times `batches` batches.
fn measure(settings: &Settings, name: &str, mut step: impl FnMut()) -> Measurement {
    let start = Instant::now();
    let mut warm_up_steps = 0u32;
    while warm_up_steps < 3 || start.elapsed() < settings.warm_up {
        step();
        warm_up_steps += 1;
    }
    let per_step = start.elapsed() / warm_up_steps;
    let steps = (settings.batch_time.as_nanos() / per_step.as_nanos().max(1)).max(1) as u32;
    let mut times: Vec<Duration> = (0..settings.batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..steps {
                step();
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

/// `x` uniform in [0, 1), `y = 2x + 1 + noise`, as tensors of shape `shape`.
fn line_data(n: usize, shape: &[usize]) -> (Tensor, Tensor) {
    manual_seed(0);
    let x = Tensor::rand(&[n]);
    let noise = Tensor::randn(&[n]);
    let y = &x * 2.0 + 1.0 + &noise * 0.1;
    let shape: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    (x.reshape(&shape), y.reshape(&shape))
}

// ----- the cases -------------------------------------------------------------------------------

/// `nn::Linear(1, 1)`, `MSELoss`, `SGD`: the lesson 04 loop on `n` points.
fn linear_module(n: usize) -> impl FnMut() {
    let (x, y) = line_data(n, &[n, 1]);
    manual_seed(1);
    module_step(nn::Linear::new(1, 1), x, y)
}

/// One training step of `model` on `(x, y)`: forward, `MSELoss`, backward, `SGD` step, zero_grad.
fn module_step(model: impl Module, x: Tensor, y: Tensor) -> impl FnMut() {
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), LR);
    move || {
        let l = loss.forward(&model.forward(&x), &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        black_box(l);
    }
}

/// `y_hat = &w * &x + &b` with raw tensors and a hand-written update under `no_grad`: lesson 02.
fn raw_tensors(n: usize) -> impl FnMut() {
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
        black_box(l);
    }
}

/// The same step written by hand in one pass over the data: no graph, no temporaries.
fn fused_line(n: usize) -> impl FnMut() {
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
        black_box(loss.iter().sum::<f32>() / n as f32);
    }
}

/// An MLP 1-64-64-1 with tanh, `MSELoss` and `SGD`, on `MLP_N` points of a sine.
fn mlp() -> impl FnMut() {
    manual_seed(0);
    let x = Tensor::rand(&[MLP_N, 1]);
    let y = (&x * 6.0).tanh();
    let model = nn::Sequential::new()
        .add(nn::Linear::new(1, MLP_HIDDEN))
        .add(nn::Tanh)
        .add(nn::Linear::new(MLP_HIDDEN, MLP_HIDDEN))
        .add(nn::Tanh)
        .add(nn::Linear::new(MLP_HIDDEN, 1));
    module_step(model, x, y)
}

/// A dense layer by hand: weight `[out, in]` stored row by row, and its bias.
struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    fn new(inputs: usize, outputs: usize) -> Dense {
        manual_seed(1);
        let bound = 1.0 / (inputs as f32).sqrt();
        let uniform = |len| {
            let u = Tensor::rand(&[len]).to_vec();
            u.iter().map(|u| bound * (2.0 * u - 1.0)).collect()
        };
        Dense {
            w: uniform(inputs * outputs),
            b: uniform(outputs),
            inputs,
            outputs,
        }
    }

    /// `out = x W^T + b` (`[n, in]` into `[n, out]`), with the crate's matrix product, which
    /// is the fastest kernel at hand that sums in the same order.
    #[inline(always)]
    fn forward(&self, x: &[f32], out: &mut [f32]) {
        let y = matmul_f32(self.rows(x, self.inputs), self.weight().t());
        let y = y.as_slice().unwrap();
        for (out, y) in out.chunks_mut(self.outputs).zip(y.chunks(self.outputs)) {
            out.iter_mut()
                .zip(y)
                .zip(&self.b)
                .for_each(|((o, y), b)| *o = y + b);
        }
    }

    /// From the gradient `g` of the output: `dx = g W` (if wanted), then `W -= lr g^T x`,
    /// `b -= lr sum(g)`.
    #[inline(always)]
    fn backward_and_step(&mut self, x: &[f32], g: &[f32], dx: Option<&mut [f32]>) {
        let g_rows = self.rows(g, self.outputs);
        if let Some(dx) = dx {
            let dx_new = matmul_f32(g_rows, self.weight());
            dx.copy_from_slice(dx_new.as_slice().unwrap());
        }
        let dw = matmul_f32(g_rows.t(), self.rows(x, self.inputs));
        let mut db = vec![0.0f32; self.b.len()];
        for g in g.chunks(self.outputs) {
            db.iter_mut().zip(g).for_each(|(db, g)| *db += g);
        }
        self.w.iter_mut().zip(&dw).for_each(|(w, d)| *w -= LR * d);
        self.b.iter_mut().zip(&db).for_each(|(b, d)| *b -= LR * d);
    }

    /// `data` as a matrix with `columns` columns.
    fn rows<'a>(&self, data: &'a [f32], columns: usize) -> ArrayView2<'a, f32> {
        ArrayView2::from_shape((data.len() / columns, columns), data).unwrap()
    }

    fn weight(&self) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((self.outputs, self.inputs), &self.w).unwrap()
    }
}

/// The MLP step by hand: forward, MSE, backward and SGD with plain loops over slices, with the
/// crate's `tanh_f32`, compiled for AVX-512 or AVX2 where the CPU has them (as the crate's own
/// loops are).
fn fused_mlp() -> impl FnMut() {
    manual_seed(0);
    let x = Tensor::rand(&[MLP_N, 1]);
    let y = (&x * 6.0).tanh().to_vec();
    let x = x.to_vec();
    let (n, h) = (MLP_N, MLP_HIDDEN);
    let mut mlp = HandMlp {
        layers: [
            Dense::new(1, MLP_HIDDEN),
            Dense::new(MLP_HIDDEN, MLP_HIDDEN),
            Dense::new(MLP_HIDDEN, 1),
        ],
        h1: vec![0.0; n * h],
        h2: vec![0.0; n * h],
        out: vec![0.0; n],
        g1: vec![0.0; n * h],
        g2: vec![0.0; n * h],
    };
    move || {
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            unsafe fn step_avx512(mlp: &mut HandMlp, x: &[f32], y: &[f32]) -> f32 {
                mlp.step(x, y)
            }
            #[target_feature(enable = "avx2")]
            unsafe fn step_avx2(mlp: &mut HandMlp, x: &[f32], y: &[f32]) -> f32 {
                mlp.step(x, y)
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F, checked just above.
                black_box(unsafe { step_avx512(&mut mlp, &x, &y) });
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                black_box(unsafe { step_avx2(&mut mlp, &x, &y) });
                return;
            }
        }
        black_box(mlp.step(&x, &y));
    }
}

/// The hand-written MLP's layers and buffers.
struct HandMlp {
    layers: [Dense; 3],
    h1: Vec<f32>,
    h2: Vec<f32>,
    out: Vec<f32>,
    g1: Vec<f32>,
    g2: Vec<f32>,
}

impl HandMlp {
    /// One step; returns the loss.
    #[inline(always)]
    fn step(&mut self, x: &[f32], y: &[f32]) -> f32 {
        let n = y.len();
        let [l0, l1, l2] = &mut self.layers;
        let (h1, h2, out) = (&mut self.h1, &mut self.h2, &mut self.out);
        l0.forward(x, h1);
        h1.iter_mut().for_each(|v| *v = tanh_f32(*v));
        l1.forward(h1, h2);
        h2.iter_mut().for_each(|v| *v = tanh_f32(*v));
        l2.forward(h2, out);
        // l = mean((out - y)^2);  dl/dout = 2 (out - y) / n, written over `out`
        let mut loss = 0.0;
        for (o, &y) in out.iter_mut().zip(y) {
            let d = *o - y;
            loss += d * d;
            *o = 2.0 * d / n as f32;
        }
        // through tanh: dl/dz = dl/dh (1 - h^2)
        let (g1, g2) = (&mut self.g1, &mut self.g2);
        l2.backward_and_step(h2, out, Some(g2));
        g2.iter_mut()
            .zip(h2.iter())
            .for_each(|(g, h)| *g *= 1.0 - h * h);
        l1.backward_and_step(h1, g2, Some(g1));
        g1.iter_mut()
            .zip(h1.iter())
            .for_each(|(g, h)| *g *= 1.0 - h * h);
        l0.backward_and_step(x, g1, None);
        loss / n as f32
    }
}

/// `a + b` on one-element tensors: the fixed cost of one op.
fn op_add(requires_grad: bool) -> impl FnMut() {
    let a = tensor!([1.0]).requires_grad_(requires_grad);
    let b = tensor!([2.0]).requires_grad_(requires_grad);
    move || {
        let c = &a + &b;
        if requires_grad {
            c.backward();
            a.set_grad(None);
            b.set_grad(None);
        }
        black_box(c);
    }
}

// ----- main ------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; other words are a name filter, `--tsv` adds tab-separated
    // lines (for bench/compare_torch.py), `--quick` shortens every measurement.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    // `--steps=N`: run each case N times without timing, e.g. under valgrind --tool=callgrind.
    let fixed_steps = args
        .iter()
        .find_map(|a| a.strip_prefix("--steps="))
        .map(|n| n.parse::<usize>().expect("--steps=N takes a number"));
    let settings = if flag("--quick") {
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
    };

    // Each case is built (its data made) only when it runs.
    type Case = Box<dyn Fn() -> Box<dyn FnMut()>>;
    let mut cases: Vec<(String, Case)> = Vec::new();
    for n in SIZES {
        cases.push((
            format!("linear_module/{n}"),
            Box::new(move || Box::new(linear_module(n))),
        ));
        cases.push((
            format!("raw_tensors/{n}"),
            Box::new(move || Box::new(raw_tensors(n))),
        ));
        cases.push((
            format!("fused_loop/{n}"),
            Box::new(move || Box::new(fused_line(n))),
        ));
    }
    cases.push((
        format!("mlp_1-64-64-1/{MLP_N}"),
        Box::new(|| Box::new(mlp())),
    ));
    cases.push((
        format!("fused_mlp/{MLP_N}"),
        Box::new(|| Box::new(fused_mlp())),
    ));
    cases.push((
        "op_add_1elem/no_grad".into(),
        Box::new(|| Box::new(op_add(false))),
    ));
    cases.push((
        "op_add_1elem/fwd_bwd".into(),
        Box::new(|| Box::new(op_add(true))),
    ));

    println!("{:<24} {:>12} {:>12}", "case", "median/step", "min/step");
    let mut results = Vec::new();
    for (name, make_case) in &cases {
        // A filter that is a whole case name selects that case only (`linear_module/100`).
        let exact = |f: &str| cases.iter().any(|(n, _)| n == f);
        let selected = |f: &&String| name == *f || (!exact(f) && name.contains(f.as_str()));
        if !filters.is_empty() && !filters.iter().any(selected) {
            continue;
        }
        let mut step = make_case();
        if let Some(steps) = fixed_steps {
            (0..steps).for_each(|_| step());
            println!("{name:<24} ran {steps} steps");
            continue;
        }
        let m = measure(&settings, name, &mut step);
        println!(
            "{:<24} {:>12} {:>12}",
            m.name,
            format_time(m.median),
            format_time(m.min)
        );
        results.push(m);
    }

    // How far each autograd case is from the hand-written loop of the same size.
    let fused = |n: &str| results.iter().find(|m| m.name == format!("fused_loop/{n}"));
    let mut ratios = Vec::new();
    for m in &results {
        let (kind, n) = m.name.split_once('/').unwrap();
        if kind == "linear_module" || kind == "raw_tensors" {
            if let Some(f) = fused(n) {
                ratios.push((m.name.clone(), ratio(m.median, f.median)));
            }
        }
    }
    let mlp = results.iter().find(|m| m.name.starts_with("mlp_"));
    let mlp_fused = results.iter().find(|m| m.name.starts_with("fused_mlp"));
    if let (Some(a), Some(f)) = (mlp, mlp_fused) {
        ratios.push((a.name.clone(), ratio(a.median, f.median)));
    }
    if !ratios.is_empty() {
        println!("\n{:<24} {:>12}", "case", "x fused loop");
        for (name, r) in ratios {
            println!("{name:<24} {r:>11.1}x");
        }
    }

    if flag("--tsv") {
        println!();
        for m in &results {
            println!("TSV\t{}\t{}", m.name, m.median.as_nanos());
        }
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// `812 ns`, `4.52 us`, `1.23 ms`.
fn format_time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}
