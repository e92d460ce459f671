//! The lessons' runs that start from PyTorch's random numbers, against the traces of the PyTorch
//! code shown beside them (`tests/reference/lesson*.json`, written by `scripts/make_reference.py`):
//! lesson 03's start from `torch.rand(1)` and lesson 04's seeded `nn.Linear` and walk-through bit
//! for bit; lesson 05's data bit for bit and its losses within relative 1e-5 (PyTorch adds the 100
//! terms of its sums in another order, in 16-lane blocks). Lesson 06 (1500 epochs of an MLP, minutes
//! in a debug build) is compared by the notebook test only (`scripts/reference_checks.py`).

mod common;

use std::sync::{Mutex, MutexGuard};

use autograd_core::prelude::*;
use common::{assert_bits, assert_close, floats, reference};

/// The generator is global and the tests of a file run in parallel: each test that seeds it
/// holds this for its whole run, or another test's draws land between its own.
static GENERATOR: Mutex<()> = Mutex::new(());

fn my_turn() -> MutexGuard<'static, ()> {
    GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `nn.MSELoss` and `optim.SGD` for `epochs` steps: the loss of each step.
fn fit(model: &dyn Module, x: &Tensor, y: &Tensor, lr: f32, epochs: usize) -> Vec<f32> {
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), lr);
    let mut losses = Vec::new();
    for _ in 0..epochs {
        let l = loss.forward(&model.forward(x), y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        losses.push(l.item());
    }
    losses
}

fn item(v: &serde_json::Value) -> f32 {
    v.as_f64().unwrap() as f32
}

#[test]
fn lesson03_start_from_torch_rand() {
    let _turn = my_turn();
    let r = reference("lesson03_rand_weight.json");
    manual_seed(0);
    let x = tensor!([1.0, 2.0, 3.0, 4.0, 6.0]);
    let y = tensor!([2.0, 4.0, 6.0, 7.0, 12.0]);
    let w = Tensor::rand(&[1]).requires_grad_(true);
    assert_eq!(w.item().to_bits(), item(&r["w_init"]).to_bits(), "w_init");
    let (loss, mut optimizer) = (nn::MSELoss::new(), optim::SGD::new([&w], 0.01));
    let (mut ws, mut losses, mut printed) = (vec![], vec![], vec![w.to_string()]);
    for epoch in 0..10 {
        let l = loss.forward(&(&w * &x), &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        printed.push(format!("epoch {}: {l}", epoch + 1));
        ws.push(w.item());
        losses.push(l.item());
    }
    printed.push(format!("w = {:.3}, loss = {:.8}", w.item(), losses[9]));
    assert_bits("w", &ws, &floats(&r["w"]));
    assert_bits("loss", &losses, &floats(&r["loss"]));
    let torch: Vec<&str> = r["printed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(printed, torch);
}

#[test]
fn lesson04_linear_from_its_seeded_weights() {
    let _turn = my_turn();
    let r = reference("lesson04_linear_seeded.json");
    let x = tensor!([[1.0], [2.0], [3.0], [4.0], [6.0], [8.0]]);
    let y = tensor!([[2.0], [4.0], [6.0], [8.0], [11.0], [16.0]]);
    manual_seed(42);
    let model = nn::Linear::new(1, 1);
    assert_eq!(model.weight.item().to_bits(), item(&r["w_init"]).to_bits());
    assert_eq!(model.bias.item().to_bits(), item(&r["b_init"]).to_bits());
    // The lesson's shape bug, before training: targets [6] against predictions [6, 1] make the
    // loss a mean over [6, 6] differences, PyTorch's number as well (with its warning).
    let (mse, y_flat) = (
        nn::MSELoss::new(),
        tensor!([2.0, 4.0, 6.0, 8.0, 11.0, 16.0]),
    );
    let shape = &r["target_shape"];
    let wrong = mse.forward(&model.forward(&x), &y_flat);
    assert_eq!(wrong.item().to_bits(), item(&shape["wrong_loss"]).to_bits());
    let right = mse.forward(&model.forward(&x), &y);
    assert_eq!(right.item().to_bits(), item(&shape["right_loss"]).to_bits());
    let losses = fit(&model, &x, &y, 0.015, 100);
    assert_bits("loss", &losses, &floats(&r["loss"]));
    assert_eq!(model.weight.item(), item(&r["w"][99]));
    assert_eq!(model.bias.item(), item(&r["b"][99]));
    assert_eq!(model.forward(&tensor!([5.0])).item(), item(&r["f5_after"]));
}

#[test]
fn lesson04_walkthrough_weight_before_and_after_each_step() {
    let _turn = my_turn();
    let r = reference("lesson04_walkthrough.json");
    manual_seed(0);
    let model = nn::Linear::new(1, 1);
    let x = tensor!([[1.0], [2.0], [3.0], [4.0]]);
    let y = &x * 2.0 + 1.0;
    let (criterion, mut optimizer) = (
        nn::MSELoss::new(),
        optim::SGD::new(model.parameters(), 0.05),
    );
    let (mut before, mut after, mut losses) = (vec![], vec![], vec![]);
    for _ in 0..400 {
        optimizer.zero_grad();
        let l = criterion.forward(&model.forward(&x), &y);
        l.backward();
        before.push(model.weight.item());
        optimizer.step();
        after.push(model.weight.item());
        losses.push(l.item());
    }
    assert_bits("w_before", &before, &floats(&r["w_before"]));
    assert_bits("w_after", &after, &floats(&r["w_after"]));
    assert_bits("loss", &losses, &floats(&r["loss"]));
    assert_eq!(model.bias.item(), item(&r["b"]));
}

#[test]
fn lesson05_noisy_data_and_fits() {
    let _turn = my_turn();
    let r = reference("lesson05_noisy.json");
    manual_seed(0);
    let x = Tensor::rand(&[100, 1]) * 20.0 - 10.0;
    let y_clean = &x * 2.0 + 3.0;
    let y_noisy = &y_clean + Tensor::randn(&[100, 1]) * 2.0;
    assert_bits("x", &x.to_vec(), &floats(&r["x"]));
    assert_bits("y_noisy", &y_noisy.to_vec(), &floats(&r["y_noisy"]));
    for (name, y) in [("clean", &y_clean), ("noisy", &y_noisy)] {
        manual_seed(1);
        let model = nn::Linear::new(1, 1);
        assert_eq!(model.weight.item(), item(&r[name]["w"][0]), "{name} w_init");
        let losses = fit(&model, &x, y, 0.01, 500);
        assert_close(&format!("{name} loss"), &losses, &floats(&r[name]["loss"]));
        let (w, b) = (model.weight.item(), model.bias.item());
        assert_close(
            &format!("{name} w, b"),
            &[w, b],
            &[item(&r[name]["w"][500]), item(&r[name]["b"][500])],
        );
    }
}
