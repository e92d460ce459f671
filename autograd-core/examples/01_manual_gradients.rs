//! Lesson 01 without Jupyter: linear regression with the gradient written by hand (ndarray),
//! then the popular tutorial's `np.dot(...).mean()` gradient, which is 4 times too large.
//! `cargo run --example 01_manual_gradients` prints what the notebook prints.

use autograd_core::ndarray::{array, Array1};

fn forward(w: f32, x: &Array1<f32>) -> Array1<f32> {
    x * w
}

fn loss(y: &Array1<f32>, y_pred: &Array1<f32>) -> f32 {
    (y_pred - y).mapv(|d| d * d).mean().unwrap()
}

// J = mean((w x - y)^2)  =>  dJ/dw = mean(2 x (w x - y))
fn gradient(x: &Array1<f32>, y: &Array1<f32>, y_pred: &Array1<f32>) -> f32 {
    (2.0 * x * (y_pred - y)).mean().unwrap()
}

fn gradient_tutorial(x: &Array1<f32>, y: &Array1<f32>, y_pred: &Array1<f32>) -> f32 {
    (2.0 * x).dot(&(y_pred - y)) // a sum over the 4 points, not a mean
}

fn main() {
    let x: Array1<f32> = array![1.0, 2.0, 3.0, 4.0];
    let y: Array1<f32> = array![2.0, 4.0, 6.0, 8.0];
    let mut w: f32 = 0.0;
    println!("Prediction before training: f(5) = {:.3}", w * 5.0);
    let y_pred = forward(w, &x);
    println!(
        "loss = {}, dJ/dw = {}",
        loss(&y, &y_pred),
        gradient(&x, &y, &y_pred)
    );

    let learning_rate: f32 = 0.01;
    for epoch in 0..20 {
        let y_pred = forward(w, &x);
        let l = loss(&y, &y_pred);
        let dw = gradient(&x, &y, &y_pred);
        w -= learning_rate * dw;
        if epoch % 2 == 0 {
            println!("epoch {}: w = {:.3}, loss = {:.8}", epoch + 1, w, l);
        }
    }
    println!("Prediction after training: f(5) = {:.3}", w * 5.0);

    let y_pred = forward(0.0, &x);
    let (true_grad, tutorial_grad) = (
        gradient(&x, &y, &y_pred),
        gradient_tutorial(&x, &y, &y_pred),
    );
    println!(
        "at w = 0: true gradient {true_grad}, tutorial gradient {tutorial_grad}, ratio {}",
        tutorial_grad / true_grad
    );

    // The tutorial's own run: ten iterations, every one printed.
    let mut w_10: f32 = 0.0;
    println!("Prediction before training: f(5) = {:.3}", w_10 * 5.0);
    for epoch in 0..10 {
        let y_pred = forward(w_10, &x);
        let l = loss(&y, &y_pred);
        w_10 -= learning_rate * gradient_tutorial(&x, &y, &y_pred);
        println!("epoch {}: w = {:.3}, loss = {:.8}", epoch + 1, w_10, l);
    }
    println!("Prediction after training: f(5) = {:.3}", w_10 * 5.0);

    let mut w_tutorial: f32 = 0.0;
    for epoch in 0..20 {
        let y_pred = forward(w_tutorial, &x);
        let l = loss(&y, &y_pred);
        w_tutorial -= learning_rate * gradient_tutorial(&x, &y, &y_pred);
        if epoch % 4 == 0 {
            println!(
                "epoch {}: w = {:.3}, loss = {:.8}",
                epoch + 1,
                w_tutorial,
                l
            );
        }
    }
    println!("Prediction after training: f(5) = {:.3}", w_tutorial * 5.0);
}
