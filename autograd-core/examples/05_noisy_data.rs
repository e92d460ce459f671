//! Lesson 05 without Jupyter: fitting clean and noisy labels.
//! `cargo run --example 05_noisy_data` prints what the notebook prints.

use autograd_core::prelude::*;

fn train(x: &Tensor, y: &Tensor, epochs: usize, lr: f32) -> (nn::Linear, Vec<f32>) {
    manual_seed(1); // the same starting weights for both runs
    let model = nn::Linear::new(1, 1);
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), lr);
    let mut losses = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let l = loss.forward(&model.forward(x), y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        losses.push(l.item());
    }
    (model, losses)
}

fn describe(name: &str, model: &nn::Linear, losses: &[f32]) {
    let (w, b) = (model.weight.item(), model.bias.item());
    println!(
        "{name}: w = {w:.4}, b = {b:.4}, final loss = {:.4}",
        losses[losses.len() - 1]
    );
}

fn main() {
    manual_seed(0);
    let x = Tensor::rand(&[100, 1]) * 20.0 - 10.0;
    let y_clean = &x * 2.0 + 3.0;
    let noise_std = 2.0;
    let y_noisy = &y_clean + Tensor::randn(&[100, 1]) * noise_std;
    println!(
        "first three x: {}",
        Tensor::from_vec(x.to_vec()[..3].to_vec(), &[3])
    );

    let (noisy_model, noisy_losses) = train(&x, &y_noisy, 500, 0.01);
    for epoch in (100..=500).step_by(100) {
        println!("epoch {epoch}: loss = {:.4}", noisy_losses[epoch - 1]);
    }
    let (w, b) = (noisy_model.weight.item(), noisy_model.bias.item());
    println!("w = {w:.4}, b = {b:.4}");

    let (clean_model, clean_losses) = train(&x, &y_clean, 500, 0.01);
    describe("clean", &clean_model, &clean_losses);
    describe("noisy", &noisy_model, &noisy_losses);
    let (w, b) = (clean_model.weight.item(), clean_model.bias.item());
    println!("clean: w = {w:.4} (true 2), b = {b:.4} (true 3)");
    let floor = noisy_losses[noisy_losses.len() - 1];
    let noise_mean_square = (&y_noisy - &y_clean).pow(2.0).mean().item();
    println!(
        "noisy: loss floor {floor:.3}, noise variance {:.3}, mean square of these 100 noise values {noise_mean_square:.3}",
        noise_std * noise_std
    );
}
