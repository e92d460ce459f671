//! The benchmark's steps in candle, written as candle's own examples write a training step
//! (`candle-nn/examples/basic_optimizer.rs`): parameters are `Var`s in a `VarMap`, layers come from
//! `candle_nn::linear` through a `VarBuilder`, and `Optimizer::backward_step` runs `backward()`
//! and the `SGD` update. candle has no `zero_grad`: each `backward()` returns fresh gradients.

use candle_core::{DType, Device, Module, Result, Tensor, Var};
use candle_nn::{linear, loss, Optimizer, VarBuilder, VarMap, SGD};

use crate::common::{LR, MLP_HIDDEN};
use crate::Start;

/// A loss as a number, to compare with the other libraries.
pub fn value(loss: &Tensor) -> f32 {
    loss.to_scalar::<f32>()
        .expect("candle: the loss is a scalar")
}

/// The start's parameters, in the order of `names`, copied into the `VarMap`'s variables.
fn set_parameters(varmap: &mut VarMap, start: &Start, names: &[&str]) -> Result<()> {
    assert_eq!(names.len(), start.params.len());
    for (name, (data, shape)) in names.iter().zip(&start.params) {
        varmap.set_one(
            name,
            Tensor::from_slice(data, shape.as_slice(), &Device::Cpu)?,
        )?;
    }
    Ok(())
}

/// One step of `model` on `(x, y)`: forward, `mse`, `backward_step` (backward and SGD).
fn module_step(
    model: impl Module,
    varmap: &VarMap,
    x: Tensor,
    y: Tensor,
) -> Result<impl FnMut() -> Tensor> {
    let mut optimizer = SGD::new(varmap.all_vars(), LR as f64)?;
    let mut step = move || -> Result<Tensor> {
        let loss = loss::mse(&model.forward(&x)?, &y)?;
        optimizer.backward_step(&loss)?;
        Ok(loss)
    };
    Ok(move || step().expect("candle step"))
}

/// `start`'s data as `[n, 1]` tensors, and an empty `VarMap` with its `VarBuilder`.
fn data_and_variables(start: &Start) -> Result<(Tensor, Tensor, VarMap, VarBuilder<'static>)> {
    let n = start.x.len();
    let x = Tensor::from_slice(&start.x, (n, 1), &Device::Cpu)?;
    let y = Tensor::from_slice(&start.y, (n, 1), &Device::Cpu)?;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    Ok((x, y, varmap, vb))
}

/// `candle_nn::Linear(1, 1)`, `mse`, `SGD` on `start`'s `[n, 1]` data.
pub fn linear_module(start: &Start) -> Result<impl FnMut() -> Tensor> {
    let (x, y, mut varmap, vb) = data_and_variables(start)?;
    let model = linear(1, 1, vb.pp("linear"))?;
    set_parameters(&mut varmap, start, &["linear.weight", "linear.bias"])?;
    module_step(model, &varmap, x, y)
}

/// `y_hat = w * x + b` with scalar `Var`s, `((y_hat - y)^2).mean()`, `backward()`, and the
/// update written by hand (`Var::set`), from `w = b = 0`.
pub fn raw_tensors(start: &Start) -> Result<impl FnMut() -> Tensor> {
    let device = Device::Cpu;
    let x = Tensor::from_slice(&start.x, start.x.len(), &device)?;
    let y = Tensor::from_slice(&start.y, start.y.len(), &device)?;
    let w = Var::new(0f32, &device)?;
    let b = Var::new(0f32, &device)?;
    let step = move || -> Result<Tensor> {
        let y_hat = x.broadcast_mul(&w)?.broadcast_add(&b)?;
        let loss = (y_hat - &y)?.sqr()?.mean_all()?;
        let grads = loss.backward()?;
        for p in [&w, &b] {
            let grad = grads.get(p).expect("a gradient for each parameter");
            p.set(&p.sub(&(grad * LR as f64)?)?)?;
        }
        Ok(loss)
    };
    Ok(move || step().expect("candle step"))
}

/// `seq(linear(1, 64), tanh, linear(64, 64), tanh, linear(64, 1))`, `mse`, `SGD`.
pub fn mlp(start: &Start) -> Result<impl FnMut() -> Tensor> {
    let (x, y, mut varmap, vb) = data_and_variables(start)?;
    let model = candle_nn::seq()
        .add(linear(1, MLP_HIDDEN, vb.pp("l0"))?)
        .add_fn(|xs| xs.tanh())
        .add(linear(MLP_HIDDEN, MLP_HIDDEN, vb.pp("l1"))?)
        .add_fn(|xs| xs.tanh())
        .add(linear(MLP_HIDDEN, 1, vb.pp("l2"))?);
    let names = [
        "l0.weight",
        "l0.bias",
        "l1.weight",
        "l1.bias",
        "l2.weight",
        "l2.bias",
    ];
    set_parameters(&mut varmap, start, &names)?;
    module_step(model, &varmap, x, y)
}

/// `a + b` on one-element tensors: without gradients, or on `Var`s with `backward()` (whose
/// gradients are dropped with the `GradStore` it returns).
pub fn op_add(requires_grad: bool) -> Result<Box<dyn FnMut() -> Tensor>> {
    let device = Device::Cpu;
    if requires_grad {
        let a = Var::new(&[1f32], &device)?;
        let b = Var::new(&[2f32], &device)?;
        Ok(Box::new(move || {
            let c = (a.as_tensor() + b.as_tensor()).expect("candle add");
            c.backward().expect("candle backward");
            c
        }))
    } else {
        let a = Tensor::new(&[1f32], &device)?;
        let b = Tensor::new(&[2f32], &device)?;
        Ok(Box::new(move || (&a + &b).expect("candle add")))
    }
}
