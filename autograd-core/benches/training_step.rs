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

mod common;

use std::hint::black_box;
use std::time::Duration;

use autograd_core::ndarray::ArrayView2;
use autograd_core::prelude::*;
use autograd_core::{matmul_f32, tanh_f32};
use common::{
    format_time, fused_line, line_data, linear_module, measure, mlp, mlp_data, op_add, raw_tensors,
    read_xy, Settings, LR, MLP_HIDDEN, MLP_N, SIZES,
};

// ----- the hand-written MLP step (the other steps are in common/mod.rs) -------------------------

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
    let (x, y) = mlp_data();
    let (x, y) = (x.to_vec(), y.to_vec());
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
    let settings = Settings::new(flag("--quick"));

    // Each case is built (its data made) only when it runs.
    type Case = Box<dyn Fn() -> Box<dyn FnMut()>>;
    let mut cases: Vec<(String, Case)> = Vec::new();
    for n in SIZES {
        cases.push((
            format!("linear_module/{n}"),
            Box::new(move || boxed(linear_module(n))),
        ));
        cases.push((
            format!("raw_tensors/{n}"),
            Box::new(move || boxed(raw_tensors(n))),
        ));
        cases.push((
            format!("fused_loop/{n}"),
            Box::new(move || boxed(fused_line(n))),
        ));
        // The memory-bandwidth limit: one pass that only reads x and y.
        cases.push((
            format!("read_xy/{n}"),
            Box::new(move || {
                let (x, y) = line_data(n, &[n]);
                let (x, y) = (x.to_vec(), y.to_vec());
                boxed(move || read_xy(&x, &y))
            }),
        ));
    }
    cases.push((format!("mlp_1-64-64-1/{MLP_N}"), Box::new(|| boxed(mlp()))));
    cases.push((
        format!("fused_mlp/{MLP_N}"),
        Box::new(|| boxed(fused_mlp())),
    ));
    cases.push((
        "op_add_1elem/no_grad".into(),
        Box::new(|| boxed(op_add(false))),
    ));
    cases.push((
        "op_add_1elem/fwd_bwd".into(),
        Box::new(|| boxed(op_add(true))),
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
    // How far each step is from only reading its data once, measured in this run.
    let limit = |n: &str| results.iter().find(|m| m.name == format!("read_xy/{n}"));
    let mut in_limit = Vec::new();
    for m in &results {
        let (kind, n) = m.name.split_once('/').unwrap();
        if let (true, Some(l)) = (kind != "read_xy", limit(n)) {
            in_limit.push((m.name.clone(), ratio(m.median, l.median)));
        }
    }
    if !in_limit.is_empty() {
        println!("\n{:<24} {:>12}", "case", "x read_xy");
        for (name, r) in in_limit {
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

/// A step as the case table holds it; what it returns is dropped (through `black_box`).
fn boxed<R>(mut step: impl FnMut() -> R + 'static) -> Box<dyn FnMut()> {
    Box::new(move || {
        black_box(step());
    })
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
