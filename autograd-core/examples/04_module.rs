//! Lesson 04 without Jupyter: `nn::Linear` from PyTorch's seeded start, one `optimizer.step()`
//! watched, and a `LinearRegression` module of our own.
//! `cargo run --example 04_module` prints what the notebook prints.

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
    println!("trained: w = {w:.4}, b = {b:.4}; least squares: w = 1.9412, b = 0.0686");
}
