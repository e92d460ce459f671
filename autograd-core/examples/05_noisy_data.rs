//! Lesson 05 without Jupyter: fitting clean and noisy labels, the loss floor, standardised x.
//! `cargo run --example 05_noisy_data` prints what the notebook prints.

use autograd_core::nn::functional::line_fit_curvatures as curvatures;
use autograd_core::prelude::*;

/// (w, b) of a model.
fn w_and_b(model: &nn::Linear) -> (f32, f32) {
    (model.weight.item(), model.bias.item())
}

fn train(
    x: &Tensor,
    y: &Tensor,
    epochs: usize,
    lr: f32,
) -> (nn::Linear, Vec<f32>, Vec<(f32, f32)>) {
    manual_seed(1); // the same starting weights for both runs
    let model = nn::Linear::new(1, 1);
    let loss = nn::MSELoss::new();
    let mut optimizer = optim::SGD::new(model.parameters(), lr);
    let mut losses = Vec::with_capacity(epochs);
    let mut path = vec![w_and_b(&model)]; // (w, b) before training and after every step
    for _ in 0..epochs {
        let l = loss.forward(&model.forward(x), y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        losses.push(l.item());
        path.push(w_and_b(&model));
    }
    (model, losses, path)
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
    println!("first three x: {}", x.narrow(0, 0, 3).select(1, 0));

    let (noisy_model, noisy_losses, noisy_path) = train(&x, &y_noisy, 500, 0.01);
    for epoch in (100..=500).step_by(100) {
        println!("epoch {epoch}: loss = {:.4}", noisy_losses[epoch - 1]);
    }
    let (w, b) = (noisy_model.weight.item(), noisy_model.bias.item());
    println!("w = {w:.4}, b = {b:.4}");

    let (clean_model, clean_losses, _) = train(&x, &y_clean, 500, 0.01);
    describe("clean", &clean_model, &clean_losses);
    describe("noisy", &noisy_model, &noisy_losses);
    let (w, b) = (clean_model.weight.item(), clean_model.bias.item());
    println!("clean: w = {w:.4} (true 2), b = {b:.4} (true 3)");
    // The loss floor: 2/n of the noise absorbed by the line on average, the rest chance.
    let floor = noisy_losses[noisy_losses.len() - 1];
    let (n, variance) = (100.0, noise_std * noise_std);
    let noise_mean_square = (&y_noisy - &y_clean).pow(2.0).mean().item();
    let spread = variance * (2.0f32 / n).sqrt(); // the standard deviation of a mean square of n draws
    println!(
        "loss floor {floor:.3}: {:.1}% under σ² = {variance}, where (n - 2)/n predicts {:.3}, 2% under",
        100.0 * (1.0 - floor / variance),
        variance * (n - 2.0) / n
    );
    println!(
        "mean square of these 100 noise values {noise_mean_square:.3}: {:.2} standard deviations ({spread:.3}) under σ²",
        (variance - noise_mean_square) / spread
    );
    println!(
        "the line absorbed {:.3} of it ({:.1}%), on average it absorbs 2σ²/n = {:.3}",
        noise_mean_square - floor,
        100.0 * (1.0 - floor / noise_mean_square),
        2.0 * variance / n
    );

    // Centring and scaling x: the curvatures of the loss, and the noisy fit on standardised x.
    let x_centred = &x - &x.mean();
    let x_standard = &x_centred / &x_centred.pow(2.0).mean().sqrt();
    println!("mean of x: {:.3}", x.mean().item());
    for (name, xs) in [
        ("x", &x),
        ("x centred", &x_centred),
        ("x standardised", &x_standard),
    ] {
        let (low, high) = curvatures(xs);
        println!(
            "{name:15}: curvatures {low:.3} and {high:.3}, condition number {:.2}",
            high / low
        );
    }
    let lr_standard = 0.01 * (curvatures(&x).1 / curvatures(&x_standard).1) as f32;
    let (_, standard_losses, standard_path) = train(&x_standard, &y_noisy, 500, lr_standard);
    let slow = steps_until_b(&noisy_path, best_intercept(&x, &y_noisy), 0.01);
    let fast = steps_until_b(&standard_path, best_intercept(&x_standard, &y_noisy), 0.01);
    println!(
        "x, lr 0.01: {slow} steps; x standardised, lr {lr_standard:.3}: {fast} steps ({:.0} times sooner)",
        slow as f32 / fast as f32
    );
    println!(
        "final losses {:.4} and {:.4}",
        noisy_losses[499], standard_losses[499]
    );
}

/// The least-squares intercept of y ≈ w·x + b: mean(y) - w·mean(x), with w = cov(x, y) / var(x).
fn best_intercept(x: &Tensor, y: &Tensor) -> f32 {
    let (dx, dy) = (x - &x.mean(), y - &y.mean());
    let w = (&dx * &dy).mean().item() / dx.pow(2.0).mean().item();
    y.mean().item() - w * x.mean().item()
}

/// The number of steps after which b stays within `tol` of `b_best`.
fn steps_until_b(path: &[(f32, f32)], b_best: f32, tol: f32) -> usize {
    path.iter()
        .rposition(|p| (p.1 - b_best).abs() >= tol)
        .map_or(0, |i| i + 1)
}
