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

    // The first PyTorch variant: five points, w from torch.rand(1) after manual_seed(0).
    manual_seed(0);
    let x5 = tensor!([1.0, 2.0, 3.0, 4.0, 6.0]);
    let y5 = tensor!([2.0, 4.0, 6.0, 7.0, 12.0]);
    let w5 = Tensor::rand(&[1]).requires_grad_(true);
    println!("{}", w5);
    let mut optimizer5 = optim::SGD::new([&w5], 0.01);
    let mut losses5 = Vec::new();
    for epoch in 0..10 {
        let l = loss.forward(&forward(&w5, &x5), &y5);
        l.backward();
        optimizer5.step();
        optimizer5.zero_grad();
        println!("epoch {}: {}", epoch + 1, l);
        losses5.push(l.item());
    }
    println!("w = {:.3}, loss = {:.8}", w5.item(), losses5[9]);
}
