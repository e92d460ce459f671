//! The benchmark's steps in burn, written as burn's own examples write a training step: a
//! `#[derive(Module)]` struct of `nn::Linear` layers, `MseLoss`, `loss.backward()`,
//! `GradientsParams::from_grads` and `SgdConfig::new().init()`'s `step`, on the ndarray backend
//! with autodiff (`Autodiff<NdArray>`, which burn 0.22 spells `Device::ndarray().autodiff()`:
//! the backend is chosen by the device instead of a type parameter).
//!
//! burn 0.22 marks its ndarray backend deprecated in favour of its new `flex` CPU backend; the
//! ndarray one is the backend the issue names, and still the one most burn code in the wild uses.
#![allow(deprecated)]

use burn::module::{Module, Param};
use burn::nn::loss::{MseLoss, Reduction};
use burn::nn::{Linear, LinearConfig, Tanh};
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};

use crate::common::{LR, MLP_HIDDEN};
use crate::Start;

/// The ndarray CPU backend with autodiff.
fn autodiff_device() -> Device {
    Device::ndarray().autodiff()
}

/// A loss as a number, to compare with the other libraries.
pub fn value(loss: &Tensor<1>) -> f32 {
    loss.clone().into_scalar::<f32>()
}

/// `data` of `shape` as a tensor on `device`.
fn tensor<const D: usize>(data: &[f32], shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(data.to_vec(), shape), device)
}

/// A `Linear(inputs, outputs)` with the given weight (PyTorch's layout `[out, in]`, which burn
/// stores transposed, `[in, out]`) and bias.
fn linear_from(
    weight: &(Vec<f32>, Vec<usize>),
    bias: &(Vec<f32>, Vec<usize>),
    device: &Device,
) -> Linear {
    let (outputs, inputs) = (weight.1[0], weight.1[1]);
    let mut layer = LinearConfig::new(inputs, outputs).init(device);
    let transposed: Vec<f32> = (0..inputs * outputs)
        .map(|k| weight.0[(k % outputs) * inputs + k / outputs])
        .collect();
    layer.weight = Param::from_tensor(tensor(&transposed, [inputs, outputs], device));
    layer.bias = Some(Param::from_tensor(tensor(&bias.0, [outputs], device)));
    layer
}

/// The MLP 1-64-64-1 with tanh.
#[derive(Module, Debug)]
pub struct Mlp {
    l0: Linear,
    l1: Linear,
    l2: Linear,
    activation: Tanh,
}

impl Mlp {
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.activation.forward(self.l0.forward(x));
        let x = self.activation.forward(self.l1.forward(x));
        self.l2.forward(x)
    }
}

/// One training step of a model: forward, `MseLoss`, `backward()`, `GradientsParams`, SGD step.
/// burn's `step` takes the model and returns the updated one.
fn module_step<M: Module>(
    model: M,
    forward: impl Fn(&M, Tensor<2>) -> Tensor<2>,
    x: Tensor<2>,
    y: Tensor<2>,
) -> impl FnMut() -> Tensor<1> {
    let mut optimizer = SgdConfig::new().init();
    let loss_fn = MseLoss::new();
    let mut model = Some(model);
    move || {
        let m = model.take().expect("the model is put back after each step");
        let loss = loss_fn.forward(forward(&m, x.clone()), y.clone(), Reduction::Mean);
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        model = Some(optimizer.step(LR as f64, m, grads));
        loss
    }
}

/// `nn::Linear(1, 1)`, `MseLoss`, SGD on `start`'s `[n, 1]` data.
pub fn linear_module(start: &Start) -> impl FnMut() -> Tensor<1> {
    let device = autodiff_device();
    let n = start.x.len();
    let (x, y) = (
        tensor(&start.x, [n, 1], &device),
        tensor(&start.y, [n, 1], &device),
    );
    let model = linear_from(&start.params[0], &start.params[1], &device);
    module_step(model, |m: &Linear, x| m.forward(x), x, y)
}

/// `y_hat = x * w + b` with one-element tensors that require grad, `((y_hat - y)^2).mean()`,
/// `backward()`, and the update written by hand on the inner tensors, from `w = b = 0`.
pub fn raw_tensors(start: &Start) -> impl FnMut() -> Tensor<1> {
    let device = autodiff_device();
    let n = start.x.len();
    let (x, y) = (
        tensor(&start.x, [n], &device),
        tensor(&start.y, [n], &device),
    );
    let mut w: Tensor<1> = Tensor::from_floats([0.0], &device).require_grad();
    let mut b: Tensor<1> = Tensor::from_floats([0.0], &device).require_grad();
    move || {
        let y_hat = x.clone() * w.clone() + b.clone();
        let loss = (y_hat - y.clone()).powi_scalar(2).mean();
        let grads = loss.backward();
        for p in [&mut w, &mut b] {
            let grad = p.grad(&grads).expect("a gradient for each parameter");
            *p = Tensor::from_inner(p.clone().inner() - grad.mul_scalar(LR)).require_grad();
        }
        loss
    }
}

/// The MLP 1-64-64-1 with tanh, `MseLoss`, SGD.
pub fn mlp(start: &Start) -> impl FnMut() -> Tensor<1> {
    let device = autodiff_device();
    let n = start.x.len();
    let (x, y) = (
        tensor(&start.x, [n, 1], &device),
        tensor(&start.y, [n, 1], &device),
    );
    let p = &start.params;
    let model = Mlp {
        l0: linear_from(&p[0], &p[1], &device),
        l1: linear_from(&p[2], &p[3], &device),
        l2: linear_from(&p[4], &p[5], &device),
        activation: Tanh,
    };
    assert_eq!(model.l1.weight.dims(), [MLP_HIDDEN, MLP_HIDDEN]);
    module_step(model, |m: &Mlp, x| m.forward(x), x, y)
}

/// `a + b` on one-element tensors: on the plain ndarray backend, or with autodiff, gradients
/// required and `backward()` (whose gradients are dropped with the `Gradients` it returns).
/// burn's ops take their operands by value: `clone()` is how a tensor is used twice.
pub fn op_add(requires_grad: bool) -> Box<dyn FnMut() -> Tensor<1>> {
    if requires_grad {
        let device = autodiff_device();
        let a: Tensor<1> = Tensor::from_floats([1.0], &device).require_grad();
        let b: Tensor<1> = Tensor::from_floats([2.0], &device).require_grad();
        Box::new(move || {
            let c = a.clone() + b.clone();
            c.backward();
            c
        })
    } else {
        let device = Device::ndarray();
        let a: Tensor<1> = Tensor::from_floats([1.0], &device);
        let b: Tensor<1> = Tensor::from_floats([2.0], &device);
        Box::new(move || a.clone() + b.clone())
    }
}
