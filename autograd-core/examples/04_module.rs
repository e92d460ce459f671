//! Lesson 04 without Jupyter: `nn::Linear` from PyTorch's seeded start, one `optimizer.step()`
//! watched, a target of the wrong shape, a `LinearRegression` module of our own, and why its
//! intercept is slow (x is not centred).
//! `cargo run --example 04_module` prints what the notebook prints.

use autograd_core::nn::functional::line_fit_curvatures as curvatures;
use autograd_core::prelude::*;

struct LinearRegression {
    lin: nn::Linear,
}

impl LinearRegression {
    fn new(input_dim: usize, output_dim: usize) -> LinearRegression {
        LinearRegression {
            lin: nn::Linear::new(input_dim, output_dim),
        }
    }
}

impl Module for LinearRegression {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.lin.forward(x)
    }
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        vec![nn::child("lin", &self.lin)]
    }
}

/// Lesson 03's loop for any module; prints every tenth epoch as the PyTorch lesson does.
fn train(model: &dyn Module, x: &Tensor, y: &Tensor, lr: f32) -> Vec<f32> {
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), lr);
    let mut losses = Vec::new();
    for epoch in 0..100 {
        let y_predicted = model.forward(x);
        let l = loss.forward(&y_predicted, y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        losses.push(l.item());
        if epoch % 10 == 0 {
            let p = model.parameters(); // [weight, bias], like `[w, b] = model.parameters()`
            println!(
                "epoch {}: w = {:.3}, b = {:.3}, loss = {:.8}",
                epoch + 1,
                p[0].item(),
                p[1].item(),
                l.item()
            );
        }
    }
    losses
}

fn main() {
    let x = tensor!([[1.0], [2.0], [3.0], [4.0], [6.0], [8.0]]);
    let y = tensor!([[2.0], [4.0], [6.0], [8.0], [11.0], [16.0]]);
    let (n_samples, n_features) = (x.shape()[0], x.shape()[1]);
    println!("{n_samples} samples, {n_features} feature");

    // nn::Linear from its seeded start: PyTorch's weight and bias.
    manual_seed(42);
    let model = nn::Linear::new(n_features, 1);
    println!("{model}");
    for (name, p) in model.named_parameters() {
        println!("{name}: {p}");
    }

    // A target of the wrong shape: [6] against predictions [6, 1] broadcasts to [6, 6]
    // (with PyTorch's warning, once, on stderr).
    let y_flat = tensor!([2.0, 4.0, 6.0, 8.0, 11.0, 16.0]);
    let mse = nn::MSELoss::new();
    println!("{}", mse.forward(&model.forward(&x), &y_flat));
    println!("{:?}", (&model.forward(&x) - &y_flat).shape());
    println!("{}", mse.forward(&model.forward(&x), &y));

    let x_test = tensor!([5.0]);
    println!(
        "Prediction before training: f(5) = {:.3}",
        model.forward(&x_test).item()
    );
    train(&model, &x, &y, 0.015);
    println!(
        "Prediction after training: f(5) = {:.3}",
        model.forward(&x_test).item()
    );

    // What one step does: the weight before and after optimizer.step(), fitting y = 2x + 1.
    manual_seed(0);
    let line = nn::Linear::new(1, 1);
    let x_line = tensor!([[1.0], [2.0], [3.0], [4.0]]);
    let y_line = &x_line * 2.0 + 1.0;
    let criterion = nn::MSELoss::new();
    let mut line_optimizer = optim::SGD::new(line.parameters(), 0.05);
    for epoch in 0..400 {
        line_optimizer.zero_grad();
        let l = criterion.forward(&line.forward(&x_line), &y_line);
        l.backward();
        let show = epoch < 3 || (epoch + 1) % 100 == 0;
        if show {
            println!(
                "epoch {}: loss = {:.8}, W before step: {}",
                epoch + 1,
                l.item(),
                line.weight.detach()
            );
        }
        line_optimizer.step();
        if show {
            println!("           W after step:  {}", line.weight.detach());
        }
    }
    println!("W = {:.4}, b = {:.4}", line.weight.item(), line.bias.item());

    // Our own module, from the hand-set weights of the PyTorch trace.
    let model = LinearRegression::new(n_features, 1);
    no_grad(|| {
        model.lin.weight.fill_(-0.5);
        model.lin.bias.fill_(0.25);
    });
    println!("{}", model.repr());
    for (name, p) in model.named_parameters() {
        println!("{name}: {p}");
    }
    println!(
        "Prediction before training: f(5) = {:.3}",
        model.forward(&x_test).item()
    );
    train(&model, &x, &y, 0.015);
    println!(
        "Prediction after training: f(5) = {:.3}",
        model.forward(&x_test).item()
    );
    let (w, b) = (model.lin.weight.item(), model.lin.bias.item());
    let (w_best, b_best) = least_squares(&x, &y);
    println!("trained: w = {w:.4}, b = {b:.4}; least squares: w = {w_best:.4}, b = {b_best:.4}");

    // Why b is slow: x is not centred. The curvatures of the loss, then the same loop on x
    // centred, with the same learning rate and with one as much larger as the steepest
    // curvature fell.
    let x_centred = &x - &x.mean();
    let (low, high) = curvatures(&x);
    let (low_c, high_c) = curvatures(&x_centred);
    println!(
        "x:           curvatures {low:.3} and {high:.2}, condition number {:.1}",
        high / low
    );
    println!(
        "x - mean(x): curvatures {low_c:.3} and {high_c:.2}, condition number {:.1}",
        high_c / low_c
    );
    let b_best_centred = least_squares(&x_centred, &y).1;
    let lr_centred = 0.015 * (high / high_c) as f32;
    let path_raw = sgd_path(&x, &y, (-0.5, 0.25), 0.015, 1000);
    let path_same_lr = sgd_path(&x_centred, &y, (-0.5, 0.25), 0.015, 1000);
    let path_centred = sgd_path(&x_centred, &y, (-0.5, 0.25), lr_centred, 1000);
    let slow = steps_until_b(&path_raw, b_best, 0.01);
    let fast_same_lr = steps_until_b(&path_same_lr, b_best_centred, 0.01);
    let fast = steps_until_b(&path_centred, b_best_centred, 0.01);
    println!("b within 0.01 of its best value after: {slow} steps with x (lr 0.015),");
    println!(
        "  {fast_same_lr} with x centred and the same lr ({:.1} times sooner),",
        slow as f32 / fast_same_lr as f32
    );
    println!(
        "  {fast} with x centred and lr {lr_centred:.4} ({:.1} times sooner)",
        slow as f32 / fast as f32
    );
}

/// The least-squares line y ≈ w·x + b: w = cov(x, y) / var(x), b = mean(y) - w·mean(x).
fn least_squares(x: &Tensor, y: &Tensor) -> (f32, f32) {
    let (dx, dy) = (x - &x.mean(), y - &y.mean());
    let w = (&dx * &dy).mean().item() / dx.pow(2.0).mean().item();
    (w, y.mean().item() - w * x.mean().item())
}

/// (w, b) before training and after each step of the loop (MSELoss, SGD), from `start`.
fn sgd_path(x: &Tensor, y: &Tensor, start: (f32, f32), lr: f32, steps: usize) -> Vec<(f32, f32)> {
    let line = nn::Linear::new(1, 1);
    no_grad(|| {
        line.weight.fill_(start.0);
        line.bias.fill_(start.1);
    });
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(line.parameters(), lr);
    let mut path = vec![start];
    for _ in 0..steps {
        loss.forward(&line.forward(x), y).backward();
        optimizer.step();
        optimizer.zero_grad();
        path.push((line.weight.item(), line.bias.item()));
    }
    path
}

/// The number of steps after which b stays within `tol` of `b_best`.
fn steps_until_b(path: &[(f32, f32)], b_best: f32, tol: f32) -> usize {
    path.iter()
        .rposition(|p| (p.1 - b_best).abs() >= tol)
        .map_or(0, |i| i + 1)
}
