//! Lesson 04 without Jupyter: `nn::Linear` and a `LinearRegression` module of our own.
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

fn main() {
    let x = tensor!([[1.0], [2.0], [3.0], [4.0], [6.0], [8.0]]);
    let y = tensor!([[2.0], [4.0], [6.0], [8.0], [11.0], [16.0]]);
    let (n_samples, n_features) = (x.shape()[0], x.shape()[1]);
    println!("{n_samples} samples, {n_features} feature");

    manual_seed(42);
    let model = nn::Linear::new(n_features, 1);
    println!("{model}");
    for (name, p) in model.named_parameters() {
        println!("{name}: {p}");
    }
    no_grad(|| {
        model.weight.fill_(-0.5);
        model.bias.fill_(0.25);
    });
    println!(
        "Prediction before training: f(5) = {:.3}",
        model.forward(&tensor!([5.0])).item()
    );

    let model = LinearRegression::new(n_features, 1);
    no_grad(|| {
        model.lin.weight.fill_(-0.5);
        model.lin.bias.fill_(0.25);
    });
    println!("{}", model.repr());
    for (name, p) in model.named_parameters() {
        println!("{name}: {p}");
    }

    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), 0.015);
    for epoch in 0..100 {
        let y_predicted = model.forward(&x);
        let l = loss.forward(&y_predicted, &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        if epoch % 10 == 0 {
            let (w, b) = (model.lin.weight.item(), model.lin.bias.item());
            println!(
                "epoch {}: w = {w:.3}, b = {b:.3}, loss = {:.8}",
                epoch + 1,
                l.item()
            );
        }
    }
    println!(
        "Prediction after training: f(5) = {:.3}",
        model.forward(&tensor!([5.0])).item()
    );
    let (w, b) = (model.lin.weight.item(), model.lin.bias.item());
    println!("trained: w = {w:.4}, b = {b:.4}; least squares: w = 1.9412, b = 0.0686");
}
