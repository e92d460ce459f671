//! The lesson programs against PyTorch's own traces in `tests/reference/` (see its README;
//! `scripts/make_reference.py` writes them). The first two are compared bit for bit; the ones
//! with `MSELoss` within relative 1e-5, because PyTorch's vectorised sum rounds differently in the
//! last bits.

mod common;

use autograd_core::prelude::*;
use common::{assert_bits, assert_close, floats, reference};
use ndarray::{arr1, Array1};

/// The lesson 02 loop, recording (w after the update, loss, grad) per epoch.
fn autograd_fit(epochs: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>, f32) {
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0]);
    let w = tensor!(0.0).requires_grad_(true);
    let lr = 0.01;
    let (mut ws, mut losses, mut grads) = (vec![], vec![], vec![]);
    for _ in 0..epochs {
        let y_hat = &w * &x;
        let l = (&y - &y_hat).pow(2.0).mean();
        l.backward();
        let grad = w.grad().unwrap();
        grads.push(grad.item());
        no_grad(|| w.sub_(&(&grad * lr)));
        grad.zero_();
        ws.push(w.item());
        losses.push(l.item());
    }
    let f5 = (&w * 5.0).item();
    (ws, losses, grads, f5)
}

#[test]
fn autograd_w_matches_pytorch_bit_for_bit() {
    let reference = reference("seed_autograd_w.json");
    for run in ["iters_20", "iters_100"] {
        let r = &reference["runs"][run];
        let epochs = r["n_iters"].as_u64().unwrap() as usize;
        let (ws, losses, grads, f5) = autograd_fit(epochs);
        assert_bits(&format!("{run} w"), &ws, &floats(&r["w"]));
        assert_bits(&format!("{run} loss"), &losses, &floats(&r["loss"]));
        assert_bits(&format!("{run} grad"), &grads, &floats(&r["grad"]));
        assert_eq!(f5, r["f5_after"].as_f64().unwrap() as f32, "{run} f(5)");
    }
}

#[test]
fn printed_lines_match_pytorch() {
    let reference = reference("seed_autograd_w.json");
    let r = &reference["runs"]["iters_20"];
    let printed: Vec<&str> = r["printed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let (ws, losses, _, f5) = autograd_fit(20);
    let mut ours = vec![format!("Prediction before training: f(5) = {:.3}", 0.0)];
    for epoch in (0..20).step_by(2) {
        ours.push(format!(
            "epoch {}: w = {:.3}, loss = {:.8}",
            epoch + 1,
            ws[epoch],
            losses[epoch]
        ));
    }
    ours.push(format!("Prediction after training: f(5) = {f5:.3}"));
    assert_eq!(ours, printed);
}

/// The lesson 01 loop: the gradient by hand, with ndarray.
fn manual_fit(epochs: usize, tutorial_dot: bool) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x: Array1<f32> = arr1(&[1.0, 2.0, 3.0, 4.0]);
    let y: Array1<f32> = arr1(&[2.0, 4.0, 6.0, 8.0]);
    let (mut w, lr) = (0.0f32, 0.01f32);
    let (mut ws, mut losses, mut dws) = (vec![], vec![], vec![]);
    for _ in 0..epochs {
        let y_pred = &x * w;
        let loss = (&y_pred - &y).mapv(|d| d * d).mean().unwrap();
        // dJ/dw = mean(2x (w x - y)); the tutorial's np.dot(...).mean() forgot to divide by N
        let dw = if tutorial_dot {
            (&x * 2.0).dot(&(&y_pred - &y))
        } else {
            (2.0 * &x * (&y_pred - &y)).mean().unwrap()
        };
        w -= lr * dw;
        ws.push(w);
        losses.push(loss);
        dws.push(dw);
    }
    (ws, losses, dws)
}

#[test]
fn manual_gradient_matches_numpy() {
    let reference = reference("manual_numpy.json");
    for (run, tutorial) in [
        ("corrected_mean_iters_20", false),
        ("tutorial_np_dot_iters_20", true),
    ] {
        let r = &reference["runs"][run];
        let (ws, losses, dws) = manual_fit(20, tutorial);
        if tutorial {
            // np.dot goes through BLAS, whose summation order is its own.
            assert_close(&format!("{run} w"), &ws, &floats(&r["w"]));
            assert_close(&format!("{run} loss"), &losses, &floats(&r["loss"]));
            assert_close(&format!("{run} dw"), &dws, &floats(&r["dw"]));
        } else {
            assert_bits(&format!("{run} w"), &ws, &floats(&r["w"]));
            assert_bits(&format!("{run} loss"), &losses, &floats(&r["loss"]));
            assert_bits(&format!("{run} dw"), &dws, &floats(&r["dw"]));
        }
    }
    // The hand gradient equals autograd's exactly.
    let (ws, _, dws) = manual_fit(20, false);
    let (auto_ws, _, auto_grads, _) = autograd_fit(20);
    assert_bits("manual vs autograd w", &ws, &auto_ws);
    assert_bits("manual vs autograd grad", &dws, &auto_grads);
}

#[test]
fn loss_and_optimizer_match_pytorch() {
    let reference = reference("optim_sgd.json");
    let r = &reference["result"];
    let x = tensor!([1.0, 2.0, 3.0, 4.0, 6.0, 8.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0, 11.0, 16.0]);
    let w = tensor!(0.0).requires_grad_(true);
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new([&w], 0.01);
    let (mut ws, mut losses, mut grads) = (vec![], vec![], vec![]);
    for _ in 0..20 {
        let l = loss.forward(&(&w * &x), &y);
        l.backward();
        grads.push(w.grad().unwrap().item());
        optimizer.step();
        optimizer.zero_grad();
        assert!(
            w.grad().is_none(),
            "zero_grad sets grads to None, as PyTorch 2"
        );
        ws.push(w.item());
        losses.push(l.item());
    }
    assert_bits("w", &ws, &floats(&r["w"]));
    assert_bits("loss", &losses, &floats(&r["loss"]));
    assert_bits("grad", &grads, &floats(&r["grad"]));
    assert_close(
        "f(5)",
        &[(&w * 5.0).item()],
        &[r["f5_after"].as_f64().unwrap() as f32],
    );
}

struct LinearRegression {
    lin: nn::Linear,
}

impl Module for LinearRegression {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.lin.forward(x)
    }
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        vec![nn::child("lin", &self.lin)]
    }
}

#[test]
fn linear_module_matches_pytorch() {
    let reference = reference("linear_module.json");
    let r = &reference["cases"]["w-0.5_b0.25"];
    let x = tensor!([[1.0], [2.0], [3.0], [4.0], [6.0], [8.0]]);
    let y = tensor!([[2.0], [4.0], [6.0], [8.0], [11.0], [16.0]]);
    let model = LinearRegression {
        lin: nn::Linear::new(1, 1),
    };
    no_grad(|| {
        model.lin.weight.fill_(-0.5);
        model.lin.bias.fill_(0.25);
    });
    assert_eq!(
        model.forward(&tensor!([5.0])).item(),
        r["f5_before"].as_f64().unwrap() as f32
    );
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), 0.015);
    let mut trace: [Vec<f32>; 5] = Default::default();
    for _ in 0..100 {
        let l = loss.forward(&model.forward(&x), &y);
        l.backward();
        trace[3].push(model.lin.weight.grad().unwrap().item());
        trace[4].push(model.lin.bias.grad().unwrap().item());
        optimizer.step();
        optimizer.zero_grad();
        trace[0].push(model.lin.weight.item());
        trace[1].push(model.lin.bias.item());
        trace[2].push(l.item());
    }
    for (i, field) in ["w", "b", "loss", "grad_w", "grad_b"].iter().enumerate() {
        assert_bits(field, &trace[i], &floats(&r[field]));
    }
    let f5 = model.forward(&tensor!([5.0])).item();
    assert_close("f(5)", &[f5], &[r["f5_after"].as_f64().unwrap() as f32]);
}
