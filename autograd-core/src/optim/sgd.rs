//! Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay.

use ndarray::{ArrayD, ArrayViewD, CowArray, Zip};

use std::borrow::Borrow;

use crate::error::{OrPanic, Result};
use crate::optim::{check_params, collect_params, Optimizer, ParamList};
use crate::tensor::{Float, Tensor};

/// `p = p - lr * d`, where `d` is the gradient, optionally with weight decay and momentum:
/// PyTorch's `optim.SGD`, same formulas in the same order. The hyperparameters are `f64`, like
/// Python's floats (and Adam's), rounded to `f32` where PyTorch's kernels round them.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(0.0).requires_grad_(true);
/// let mut opt = optim::SGD::new([&w], 0.1).momentum(0.9).nesterov(true);
/// (&w - 1.0).pow(2.0).backward();     // dw = 2(w - 1) = -2
/// opt.step();                          // buf = -2; d = -2 + 0.9 * -2; w = 0.38
/// assert!((w.item() - 0.38).abs() < 1e-6);
/// ```
pub struct SGD {
    params: ParamList,
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    momentum_buffers: Vec<Option<ArrayD<f32>>>,
}

impl SGD {
    /// Plain SGD with learning rate `lr`: `optim.SGD(params, lr=lr)`. `params` is
    /// `model.parameters()` or a list of tensors, `[&w, &b]` for PyTorch's `[w, b]`; `lr` is an
    /// `f64` (or `f32`). Panics on an empty list, or a parameter that is not a leaf or does not
    /// require grad; see [`SGD::try_new`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let model = nn::Linear::new(1, 1);
    /// let opt = optim::SGD::new(model.parameters(), 0.015);
    /// assert_eq!(opt.lr, 0.015);
    /// ```
    #[track_caller]
    pub fn new<P: Borrow<Tensor>>(params: impl IntoIterator<Item = P>, lr: impl Float) -> SGD {
        SGD::try_new(params, lr).or_panic()
    }

    /// [`SGD::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(optim::SGD::try_new([tensor!(1.0)], 0.1).is_err());
    /// ```
    pub fn try_new<P: Borrow<Tensor>>(
        params: impl IntoIterator<Item = P>,
        lr: impl Float,
    ) -> Result<SGD> {
        let params = collect_params(params);
        check_params(&params)?;
        Ok(SGD {
            momentum_buffers: vec![None; params.len()],
            params: ParamList::new(params),
            lr: lr.to_f64(),
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        })
    }

    /// Sets the momentum factor (PyTorch's `momentum=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::SGD::new([w], 0.1).momentum(0.9).momentum, 0.9);
    /// ```
    pub fn momentum(mut self, momentum: impl Float) -> SGD {
        self.momentum = momentum.to_f64();
        self
    }

    /// Sets the dampening of the momentum (PyTorch's `dampening=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::SGD::new([w], 0.1).dampening(0.5).dampening, 0.5);
    /// ```
    pub fn dampening(mut self, dampening: impl Float) -> SGD {
        self.dampening = dampening.to_f64();
        self
    }

    /// Sets the L2 penalty (PyTorch's `weight_decay=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::SGD::new([w], 0.1).weight_decay(1e-4).weight_decay, 1e-4);
    /// ```
    pub fn weight_decay(mut self, weight_decay: impl Float) -> SGD {
        self.weight_decay = weight_decay.to_f64();
        self
    }

    /// Turns Nesterov momentum on or off (PyTorch's `nesterov=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert!(optim::SGD::new([w], 0.1).momentum(0.9).nesterov(true).nesterov);
    /// ```
    pub fn nesterov(mut self, nesterov: bool) -> SGD {
        self.nesterov = nesterov;
        self
    }
}

impl Optimizer for SGD {
    fn params(&self) -> &[Tensor] {
        &self.params.0
    }

    fn step(&mut self) {
        // PyTorch's `x.add_(y, alpha=a)` is one fused multiply-add per element, `y * a + x`
        // rounded once; `fma` below does the same, so every step matches to the last bit.
        let fma = |x: ArrayViewD<f32>, y: ArrayViewD<f32>, a: f32| {
            Zip::from(x).and(y).map_collect(|&x, &y| y.mul_add(a, x))
        };
        // PyTorch passes each hyperparameter (a Python float) to an f32 kernel, which rounds it.
        let (momentum, weight_decay) = (self.momentum as f32, self.weight_decay as f32);
        let undamped = (1.0 - self.dampening) as f32;
        self.params.warn_unused();
        for (p, buffer) in self.params.0.iter().zip(&mut self.momentum_buffers) {
            let Some(mut grad) = p.grad() else { continue };
            if grad.shares_storage(p) {
                grad = Tensor::from_array(grad.to_array()); // p is updated below while d is read
            }
            let grad = grad.data();
            // d is the gradient itself unless weight decay or momentum change it
            let mut d = CowArray::from(grad.view());
            if weight_decay != 0.0 {
                d = fma(d.view(), p.data().view(), weight_decay).into(); // d = g + weight_decay * p
            }
            if momentum != 0.0 {
                // buf = momentum * buf + (1 - dampening) * d; the first step starts buf at d
                let buf = match buffer.take() {
                    None => d.to_owned(),
                    Some(buf) => fma((buf * momentum).view(), d.view(), undamped),
                };
                d = if self.nesterov {
                    fma(d.view(), buf.view(), momentum).into()
                } else {
                    buf.clone().into()
                };
                *buffer = Some(buf);
            }
            // p = p - lr * d, in place
            let lr = self.lr as f32;
            Zip::from(&mut *p.data_mut())
                .and(&d)
                .for_each(|p, &d| *p = d.mul_add(-lr, *p));
        }
    }
}
