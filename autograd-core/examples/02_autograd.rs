//! Lesson 02 without Jupyter: the same fit with autograd.
//! `cargo run --example 02_autograd` prints what the notebook prints.

use autograd_core::prelude::*;

fn main() {
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0]);
    let w = tensor!(0.0).requires_grad_(true);
    println!("{}", w);
    println!("is_leaf: {}, grad: {:?}", w.is_leaf(), w.grad());

    let y_hat = &w * &x;
    let l = (&y - &y_hat).pow(2.0).mean();
    println!("{}", y_hat);
    println!("{}", l);
    l.backward();
    println!("{}", w.grad().unwrap());
    println!("y_hat.grad(): {:?}", y_hat.grad());

    // w (shape []) is broadcast over x (shape [4]); its gradient is summed back to shape [].
    let w_b = tensor!(0.0).requires_grad_(true);
    let y_hat_b = &w_b * &x;
    y_hat_b.retain_grad();
    (&y - &y_hat_b).pow(2.0).mean().backward();
    let g_hat = y_hat_b.grad().unwrap();
    println!("{:?} {:?} {:?}", w_b.shape(), x.shape(), y_hat_b.shape());
    println!("{}", g_hat);
    println!("{}", &g_hat * &x);
    println!("{} {}", (&g_hat * &x).sum(), w_b.grad().unwrap());

    no_grad(|| w.sub_(&(w.grad().unwrap() * 0.01)));
    println!("{}", w);

    let w0 = tensor!(1.0).requires_grad_(true);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let l = (&y - &w0 * &x).pow(2.0).mean();
        l.backward();
        seen.push(w0.grad().unwrap().item());
    }
    println!("w0.grad after each backward: {seen:?}");

    let w = tensor!(0.0).requires_grad_(true);
    let learning_rate = 0.01;
    println!(
        "Prediction before training: f(5) = {:.3}",
        (&w * 5.0).item()
    );
    for epoch in 0..20 {
        let y_hat = &w * &x;
        let l = (&y - &y_hat).pow(2.0).mean();
        l.backward();
        let grad = w.grad().unwrap();
        no_grad(|| w.sub_(&(&grad * learning_rate)));
        grad.zero_();
        if epoch % 2 == 0 {
            println!(
                "epoch {}: w = {:.3}, loss = {:.8}",
                epoch + 1,
                w.item(),
                l.item()
            );
        }
    }
    println!("Prediction after training: f(5) = {:.3}", (&w * 5.0).item());

    let w = tensor!(0.0).requires_grad_(true);
    for _ in 0..100 {
        let l = (&y - &w * &x).pow(2.0).mean();
        l.backward();
        no_grad(|| w.sub_(&(w.grad().unwrap() * learning_rate)));
        w.grad().unwrap().zero_();
    }
    println!(
        "after 100 epochs: w = {:.6}, f(5) = {:.3}",
        w.item(),
        (&w * 5.0).item()
    );
}
