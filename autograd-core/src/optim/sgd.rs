//! Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay.

use ndarray::{ArrayD, ArrayViewD, CowArray, Zip};

use crate::error::{OrPanic, Result};
use crate::optim::{check_params, Optimizer};
use crate::tensor::Tensor;

/// `p = p - lr * d`, where `d` is the gradient, optionally with weight decay and momentum:
/// PyTorch's `optim.SGD`, same formulas in the same order.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(0.0).requires_grad_(true);
/// let mut opt = optim::SGD::new(vec![w.clone()], 0.1).momentum(0.9).nesterov(true);
/// (&w - 1.0).pow(2.0).backward();     // dw = 2(w - 1) = -2
/// opt.step();                          // buf = -2; d = -2 + 0.9 * -2; w = 0.38
/// assert!((w.item() - 0.38).abs() < 1e-6);
/// ```
pub struct SGD {
    params: Vec<Tensor>,
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    momentum_buffers: Vec<Option<ArrayD<f32>>>,
}

impl SGD {
    /// Plain SGD with learning rate `lr`: `optim.SGD(params, lr=lr)`. Panics on an empty list or
    /// a parameter that does not require grad; see [`SGD::try_new`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let model = nn::Linear::new(1, 1);
    /// let opt = optim::SGD::new(model.parameters(), 0.015);
    /// assert_eq!(opt.lr, 0.015);
    /// ```
    #[track_caller]
    pub fn new(params: Vec<Tensor>, lr: f32) -> SGD {
        SGD::try_new(params, lr).or_panic()
    }

    /// [`SGD::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(optim::SGD::try_new(vec![tensor!(1.0)], 0.1).is_err());
    /// ```
    pub fn try_new(params: Vec<Tensor>, lr: f32) -> Result<SGD> {
        check_params(&params)?;
        Ok(SGD {
            momentum_buffers: vec![None; params.len()],
            params,
            lr,
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
    /// assert_eq!(optim::SGD::new(vec![w], 0.1).momentum(0.9).momentum, 0.9);
    /// ```
    pub fn momentum(mut self, momentum: f32) -> SGD {
        self.momentum = momentum;
        self
    }

    /// Sets the dampening of the momentum (PyTorch's `dampening=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::SGD::new(vec![w], 0.1).dampening(0.5).dampening, 0.5);
    /// ```
    pub fn dampening(mut self, dampening: f32) -> SGD {
        self.dampening = dampening;
        self
    }

    /// Sets the L2 penalty (PyTorch's `weight_decay=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::SGD::new(vec![w], 0.1).weight_decay(1e-4).weight_decay, 1e-4);
    /// ```
    pub fn weight_decay(mut self, weight_decay: f32) -> SGD {
        self.weight_decay = weight_decay;
        self
    }

    /// Turns Nesterov momentum on or off (PyTorch's `nesterov=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert!(optim::SGD::new(vec![w], 0.1).momentum(0.9).nesterov(true).nesterov);
    /// ```
    pub fn nesterov(mut self, nesterov: bool) -> SGD {
        self.nesterov = nesterov;
        self
    }
}

impl Optimizer for SGD {
    fn params(&self) -> &[Tensor] {
        &self.params
    }

    fn step(&mut self) {
        // PyTorch's `x.add_(y, alpha=a)` is one fused multiply-add per element, `y * a + x`
        // rounded once; `fma` below does the same, so every step matches to the last bit.
        let fma = |x: ArrayViewD<f32>, y: ArrayViewD<f32>, a: f32| {
            Zip::from(x).and(y).map_collect(|&x, &y| y.mul_add(a, x))
        };
        let undamped = (1.0 - self.dampening as f64) as f32;
        for (p, buffer) in self.params.iter().zip(&mut self.momentum_buffers) {
            let Some(mut grad) = p.grad() else { continue };
            if grad.shares_storage(p) {
                grad = Tensor::from_array(grad.to_array()); // p is updated below while d is read
            }
            let grad = grad.data();
            // d is the gradient itself unless weight decay or momentum change it
            let mut d = CowArray::from(grad.view());
            if self.weight_decay != 0.0 {
                d = fma(d.view(), p.data().view(), self.weight_decay).into(); // d = g + weight_decay * p
            }
            if self.momentum != 0.0 {
                // buf = momentum * buf + (1 - dampening) * d; the first step starts buf at d
                let buf = match buffer.take() {
                    None => d.to_owned(),
                    Some(buf) => fma((buf * self.momentum).view(), d.view(), undamped),
                };
                d = if self.nesterov {
                    fma(d.view(), buf.view(), self.momentum).into()
                } else {
                    buf.clone().into()
                };
                *buffer = Some(buf);
            }
            // p = p - lr * d, in place
            let lr = self.lr;
            Zip::from(&mut *p.data_mut())
                .and(&d)
                .for_each(|p, &d| *p = d.mul_add(-lr, *p));
        }
    }
}
