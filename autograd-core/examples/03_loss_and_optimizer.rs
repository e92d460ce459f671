//! Lesson 03 without Jupyter: `nn::MSELoss` and `optim::SGD` replace the hand-written loss and update.
//! `cargo run --example 03_loss_and_optimizer` prints what the notebook prints.

use autograd_core::prelude::*;

fn forward(w: &Tensor, x: &Tensor) -> Tensor {
    w * x
}

fn main() {
    let x = tensor!([1.0, 2.0, 3.0, 4.0, 6.0, 8.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0, 11.0, 16.0]);
    let w = tensor!(0.0).requires_grad_(true);
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new([&w], 0.01);
    println!("{}", loss);
    let l = loss.forward(&forward(&w, &x), &y);
    println!("{}", l);

    println!(
        "Prediction before training: f(5) = {:.3}",
        forward(&w, &tensor!(5.0)).item()
    );
    for epoch in 0..20 {
        let y_predicted = forward(&w, &x);
        let l = loss.forward(&y_predicted, &y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        if epoch % 2 == 0 {
            println!(
                "epoch {}: w = {:.3}, loss = {:.8}",
                epoch + 1,
                w.item(),
                l.item()
            );
        }
    }
    println!(
        "Prediction after training: f(5) = {:.3}",
        forward(&w, &tensor!(5.0)).item()
    );
    println!("w.grad() after zero_grad: {:?}", w.grad());
    let w_best = 254.0 / 130.0;
    println!("w after 20 steps: {:.4}, best w: {:.4}", w.item(), w_best);
}
