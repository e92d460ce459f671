//! Draws the figures the README shows into `img/`, from the lessons' code and the crate's plot
//! helpers: `make figures` (or `cargo run --example figures --features plot -- img`).
//! The same inputs always give byte-identical PNGs; the test command regenerates them into a
//! scratch folder and compares, so the committed pictures are never stale.

use std::path::PathBuf;

use autograd_core::plot::{self, Figure};
use autograd_core::prelude::*;

/// Lesson 02: the graph of `mean((y - w x)^2)` after one `backward()`.
fn lesson02_graph() -> Figure {
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0]);
    let w = tensor!(0.0).requires_grad_(true);
    let l = (&y - &w * &x).pow(2.0).mean();
    l.backward();
    l.graph()
}

/// Lesson 01/02: the true gradient against the tutorial's `np.dot(...).mean()` gradient,
/// which is N = 4 times too large and so behaves like a learning rate of 0.04.
fn lesson01_losses() -> Figure {
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0]);
    let run = |lr: f32| {
        let w = tensor!(0.0).requires_grad_(true);
        let mut losses = Vec::new();
        for _ in 0..20 {
            let l = (&y - &w * &x).pow(2.0).mean();
            l.backward();
            no_grad(|| w.sub_(&(w.grad().unwrap() * lr)));
            w.grad().unwrap().zero_();
            losses.push(l.item());
        }
        losses
    };
    plot::loss_curve_titled(
        "y = 2x, 20 epochs",
        &[
            ("true gradient, lr 0.01", &run(0.01)),
            ("np.dot gradient (x4), lr 0.01", &run(0.04)),
        ],
    )
}

/// Lesson 05: `nn::Linear(1, 1)` on 100 noisy points; the loss, the line at chosen epochs and
/// the loss surface with the path gradient descent took.
fn lesson05() -> [Figure; 3] {
    manual_seed(0);
    let x = Tensor::rand(&[100, 1]) * 20.0 - 10.0;
    let y_clean = &x * 2.0 + 3.0;
    let y_noisy = &y_clean + Tensor::randn(&[100, 1]) * 2.0;
    let train = |y: &Tensor| {
        manual_seed(1);
        let model = nn::Linear::new(1, 1);
        let w_and_b = |m: &nn::Linear| (m.weight.item(), m.bias.item());
        let mut optimizer = optim::SGD::new(model.parameters(), 0.01);
        let (mut losses, mut path) = (Vec::new(), vec![w_and_b(&model)]);
        for _ in 0..500 {
            let l = nn::MSELoss::new().forward(&model.forward(&x), y);
            l.backward();
            optimizer.step();
            optimizer.zero_grad();
            losses.push(l.item());
            path.push(w_and_b(&model));
        }
        (losses, path)
    };
    let (clean_losses, _) = train(&y_clean);
    let (noisy_losses, path) = train(&y_noisy);
    let (xs, ys) = (x.to_vec(), y_noisy.to_vec());
    let lines: Vec<(String, f32, f32)> = [0, 5, 20, 500]
        .into_iter()
        .map(|e| (format!("epoch {e}"), path[e].0, path[e].1))
        .collect();
    let lines: Vec<(&str, f32, f32)> = lines.iter().map(|(n, w, b)| (n.as_str(), *w, *b)).collect();
    [
        plot::loss_curve(&[
            ("clean labels", &clean_losses),
            ("noisy labels (σ = 2)", &noisy_losses),
        ]),
        plot::fit_plot(&xs, &ys, &lines),
        plot::loss_surface(&xs, &ys, &path),
    ]
}

/// Lesson 06: an MLP fits a wave; SGD, momentum and Adam on one plot, and the fitted curves.
fn lesson06() -> [Figure; 2] {
    manual_seed(0);
    let x = Tensor::linspace(-3.0, 3.0, 200).reshape(&[-1, 1]);
    let wave = Tensor::from_array(x.to_array().mapv(|v| (2.0 * v).sin()));
    let y = wave + Tensor::randn(&[200, 1]) * 0.1;
    let make_mlp = || {
        manual_seed(1);
        nn::Sequential::new()
            .add(nn::Linear::new(1, 32))
            .add(nn::Tanh)
            .add(nn::Linear::new(32, 32))
            .add(nn::Tanh)
            .add(nn::Linear::new(32, 1))
    };
    let train = |model: &nn::Sequential, optimizer: &mut dyn Optimizer| {
        let mut losses = Vec::new();
        for _ in 0..1500 {
            let l = nn::MSELoss::new().forward(&model.forward(&x), &y);
            l.backward();
            optimizer.step();
            optimizer.zero_grad();
            losses.push(l.item());
        }
        losses
    };
    let (sgd, momentum, adam) = (make_mlp(), make_mlp(), make_mlp());
    let sgd_losses = train(&sgd, &mut optim::SGD::new(sgd.parameters(), 0.05));
    let momentum_losses = train(
        &momentum,
        &mut optim::SGD::new(momentum.parameters(), 0.05).momentum(0.9),
    );
    let adam_losses = train(&adam, &mut optim::Adam::new(adam.parameters(), 0.01));
    let predict = |model: &nn::Sequential| no_grad(|| model.forward(&x)).to_vec();
    let xs = x.to_vec();
    [
        plot::loss_curve_log(&[
            ("SGD, lr 0.05", &sgd_losses),
            ("SGD + momentum 0.9", &momentum_losses),
            ("Adam, lr 0.01", &adam_losses),
        ]),
        plot::curve_plot(
            &xs,
            &y.to_vec(),
            &[("SGD", &xs, &predict(&sgd)), ("Adam", &xs, &predict(&adam))],
        ),
    ]
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "img".to_string()));
    std::fs::create_dir_all(&dir)?;
    let [loss, lines, surface] = lesson05();
    let [optimizers, mlp_fit] = lesson06();
    let figures = [
        ("graph", lesson02_graph()),
        ("true_vs_tutorial_gradient", lesson01_losses()),
        ("noisy_loss_curves", loss),
        ("fitted_line", lines),
        ("loss_surface", surface),
        ("optimizers", optimizers),
        ("mlp_fit", mlp_fit),
    ];
    for (name, figure) in figures {
        let path = dir.join(format!("{name}.png"));
        figure.save(&path)?;
        println!("wrote {} ({} bytes)", path.display(), figure.png().len());
    }
    Ok(())
}
