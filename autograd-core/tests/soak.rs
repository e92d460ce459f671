//! Long runs keep memory flat: every step's graph is freed after `backward()` (no `Rc` cycles,
//! nothing kept per step), so a notebook can train for as long as the learner likes.
//!
//! The CI form runs 50_000 steps of the lesson 04 model and 100 of a 1-64-64-1 MLP (N = 100),
//! unoptimised. Both run in one test, one after the other: resident memory is measured for the
//! whole process, so nothing else may run beside them. The full form, reported in the README, runs 1_000_000 and 10_000 (N = 1000):
//!
//! ```text
//! SOAK_FULL=1 cargo test --release -p autograd-core --test soak -- --nocapture
//! ```

use autograd_core::prelude::*;

/// Resident memory of this process in KiB (Linux `/proc/self/statm`: pages, second field).
fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

fn full() -> bool {
    std::env::var_os("SOAK_FULL").is_some()
}

/// Runs `steps` calls of `step` after a warm-up of a tenth as many, and checks that resident
/// memory grew by less than `budget_kib` over the measured part.
fn assert_flat(name: &str, steps: usize, budget_kib: u64, mut step: impl FnMut()) {
    (0..steps / 10).for_each(|_| step());
    let Some(before) = resident_kib() else {
        eprintln!("{name}: no /proc/self/statm here; ran {steps} steps without measuring");
        (0..steps).for_each(|_| step());
        return;
    };
    let start = std::time::Instant::now();
    (0..steps).for_each(|_| step());
    let after = resident_kib().unwrap();
    let growth = after.saturating_sub(before);
    println!(
        "{name}: {steps} steps in {:.1} s, resident {before} KiB -> {after} KiB (+{growth} KiB)",
        start.elapsed().as_secs_f64()
    );
    assert!(
        growth < budget_kib,
        "{name}: resident memory grew by {growth} KiB over {steps} steps"
    );
}

#[test]
fn training_runs_in_flat_memory() {
    lesson_04_training_runs_in_flat_memory();
    mlp_training_runs_in_flat_memory();
}

fn lesson_04_training_runs_in_flat_memory() {
    let x = tensor!([[1.0], [2.0], [3.0], [4.0], [6.0], [8.0]]);
    let y = tensor!([[2.0], [4.0], [6.0], [8.0], [11.0], [16.0]]);
    let model = nn::Linear::new(1, 1);
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), 0.015);
    let steps = if full() { 1_000_000 } else { 50_000 };
    // A leak of one small tensor per step would be 50_000 * ~200 bytes = 10 MB.
    assert_flat("lesson 04 model", steps, 2048, || {
        let l = loss.forward(&model.forward(&x), &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
    });
    let w = model.weight.item();
    assert!((w - 1.94).abs() < 0.01, "still trains: w = {w}");
}

fn mlp_training_runs_in_flat_memory() {
    manual_seed(0);
    let n = if full() { 1000 } else { 100 };
    let model = nn::Sequential::new()
        .add(nn::Linear::new(1, 64))
        .add(nn::Tanh)
        .add(nn::Linear::new(64, 64))
        .add(nn::Tanh)
        .add(nn::Linear::new(64, 1));
    let x = Tensor::linspace(-2.0, 2.0, n).reshape(&[-1, 1]);
    let y = x.tanh() * 0.5;
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::Adam::new(model.parameters(), 1e-3);
    let steps = if full() { 10_000 } else { 100 };
    let mut last = f32::INFINITY;
    assert_flat("MLP 1-64-64-1", steps, 2048, || {
        let l = loss.forward(&model.forward(&x), &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        last = l.item();
    });
    assert!(
        last < if full() { 0.01 } else { 0.1 },
        "still trains: loss {last}"
    );
}
