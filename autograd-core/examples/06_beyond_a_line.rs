//! Lesson 06 without Jupyter: an MLP fits a wave; SGD, momentum and Adam compared; a learning-rate sweep.
//! `cargo run --release --example 06_beyond_a_line` prints what the notebook prints.

use autograd_core::prelude::*;

fn make_mlp() -> nn::Sequential {
    manual_seed(1);
    nn::Sequential::new()
        .add(nn::Linear::new(1, 32))
        .add(nn::Tanh)
        .add(nn::Linear::new(32, 32))
        .add(nn::Tanh)
        .add(nn::Linear::new(32, 1))
}

fn train(
    model: &nn::Sequential,
    optimizer: &mut dyn Optimizer,
    x: &Tensor,
    y: &Tensor,
    epochs: usize,
) -> Vec<f32> {
    let loss = nn::MSELoss::new();
    let mut losses = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let l = loss.forward(&model.forward(x), y);
        l.backward();
        optimizer.step();
        optimizer.zero_grad();
        losses.push(l.item());
    }
    losses
}

fn main() {
    manual_seed(0);
    let x = Tensor::linspace(-3.0, 3.0, 200).reshape(&[-1, 1]);
    let y =
        Tensor::from_array(x.to_array().mapv(|v| (2.0 * v).sin())) + Tensor::randn(&[200, 1]) * 0.1;
    println!("x: {:?}, y: {:?}", x.shape(), y.shape());
    let model = make_mlp();
    println!("{model}");
    println!(
        "{} parameters",
        model.parameters().iter().map(|p| p.numel()).sum::<usize>()
    );

    let epochs = 1500;
    let sgd_model = make_mlp();
    let sgd_losses = train(
        &sgd_model,
        &mut optim::SGD::new(sgd_model.parameters(), 0.05),
        &x,
        &y,
        epochs,
    );
    let momentum_model = make_mlp();
    let mut momentum = optim::SGD::new(momentum_model.parameters(), 0.05).momentum(0.9);
    let momentum_losses = train(&momentum_model, &mut momentum, &x, &y, epochs);
    let adam_model = make_mlp();
    let adam_losses = train(
        &adam_model,
        &mut optim::Adam::new(adam_model.parameters(), 0.01),
        &x,
        &y,
        epochs,
    );
    for (name, losses) in [
        ("SGD", &sgd_losses),
        ("SGD + momentum", &momentum_losses),
        ("Adam", &adam_losses),
    ] {
        println!(
            "{name:>15}: epoch 1 {:.4}, epoch 100 {:.4}, epoch {epochs} {:.4}",
            losses[0],
            losses[99],
            losses[epochs - 1]
        );
    }

    // How low the loss can go: the true curve's own loss is the noise's mean square.
    let truth = Tensor::from_array(x.to_array().mapv(|v| (2.0 * v).sin()));
    let truth_loss = nn::MSELoss::new().forward(&truth, &y).item();
    println!("loss of the true curve sin(2x): {truth_loss:.4}");

    for lr in [0.005f32, 0.05, 0.5, 2.0] {
        let model = make_mlp();
        let losses = train(
            &model,
            &mut optim::SGD::new(model.parameters(), lr),
            &x,
            &y,
            300,
        );
        println!("lr {lr:>5?}: loss after 300 epochs {:.4}", losses[299]);
    }
}
