//! Lesson 07 without Jupyter: lesson 06's wave as a `TensorDataset`, split by `random_split`,
//! trained through `DataLoader`s: full batch against mini-batches, then a validation curve.
//! `cargo run --release --example 07_minibatches_and_validation` prints what the notebook prints.

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

fn evaluate(model: &nn::Sequential, set: &TensorDataset<2>) -> f32 {
    let [x, y] = set.tensors();
    no_grad(|| nn::MSELoss::new().forward(&model.forward(x), y)).item()
}

/// Every step's batch loss, and the training and validation losses after each epoch.
struct Run {
    steps: Vec<f32>,
    train: Vec<f32>,
    val: Vec<f32>,
}

fn train(
    model: &nn::Sequential,
    optimizer: &mut dyn Optimizer,
    loader: &DataLoader<2>,
    epochs: usize,
    val_set: &TensorDataset<2>,
) -> Run {
    let loss_fn = nn::MSELoss::new();
    let mut run = Run {
        steps: vec![],
        train: vec![],
        val: vec![],
    };
    for _ in 0..epochs {
        for [xb, yb] in loader {
            let loss = loss_fn.forward(&model.forward(&xb), &yb);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            run.steps.push(loss.item());
        }
        run.train.push(evaluate(model, loader.dataset()));
        run.val.push(evaluate(model, val_set));
    }
    run
}

fn main() {
    manual_seed(0);
    let x = Tensor::linspace(-3.0, 3.0, 200).reshape(&[-1, 1]);
    let y =
        Tensor::from_array(x.to_array().mapv(|v| (2.0 * v).sin())) + Tensor::randn(&[200, 1]) * 0.1;
    let dataset = TensorDataset::new(&[&x, &y]);
    let [x0, y0] = dataset.get(0);
    println!("{} samples; the first: {x0} {y0}", dataset.len());

    let [train_set, val_set] = random_split(&dataset, [100, 100]);
    println!(
        "{} for training, {} for validation; training indices {:?}",
        train_set.len(),
        val_set.len(),
        &train_set.indices()[..6]
    );
    let loader = DataLoader::new(&train_set, 10).shuffle(true);
    let [xb, yb] = loader.iter().next().unwrap();
    println!(
        "{} batches per epoch; the first: {:?} {:?}",
        loader.len(),
        xb.shape(),
        yb.shape()
    );
    println!("{}", xb.reshape(&[-1]));

    let epochs = 100;
    let full_model = make_mlp();
    let full_loader = DataLoader::new(&train_set, 100);
    let mut full_sgd = optim::SGD::new(full_model.parameters(), 0.05);
    let full = train(&full_model, &mut full_sgd, &full_loader, epochs, &val_set);
    let mini_model = make_mlp();
    let mini_loader = DataLoader::new(&train_set, 10).shuffle(true);
    let mut mini_sgd = optim::SGD::new(mini_model.parameters(), 0.05);
    let mini = train(&mini_model, &mut mini_sgd, &mini_loader, epochs, &val_set);
    for (label, run) in [("full batch", &full), ("mini-batch", &mini)] {
        println!(
            "{label:>10}: {} steps, training loss after {epochs} epochs {:.4}",
            run.steps.len(),
            run.train[epochs - 1]
        );
    }

    let val_epochs = 2000;
    let adam_model = make_mlp();
    let mut adam_optimizer = optim::Adam::new(adam_model.parameters(), 0.01);
    let adam = train(
        &adam_model,
        &mut adam_optimizer,
        &full_loader,
        val_epochs,
        &val_set,
    );
    let best = (0..val_epochs)
        .min_by(|&a, &b| adam.val[a].total_cmp(&adam.val[b]))
        .unwrap();
    println!(
        "lowest validation loss {:.4} at epoch {} (training loss {:.4})",
        adam.val[best],
        best + 1,
        adam.train[best]
    );
    println!(
        "after {val_epochs} epochs: training {:.4}, validation {:.4}",
        adam.train[val_epochs - 1],
        adam.val[val_epochs - 1]
    );
}
