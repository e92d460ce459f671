//! Adam: per-parameter step sizes from running averages of the gradient and its square.

use ndarray::{ArrayD, Zip};

use std::borrow::Borrow;

use crate::error::{OrPanic, Result};
use crate::optim::{check_params, collect_params, Optimizer, ParamList};
use crate::tensor::{Float, Tensor};

/// PyTorch's `optim.Adam` (defaults `betas=(0.9, 0.999)`, `eps=1e-8`), same formulas in the same
/// order, bias corrections in double precision as PyTorch computes them in Python.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(1.0).requires_grad_(true);
/// let mut opt = optim::Adam::new([&w], 0.1);
/// (&w * &w).backward();
/// opt.step();                 // Adam's first step moves by lr, whatever the gradient's size
/// assert!((w.item() - 0.9).abs() < 1e-6);
/// ```
pub struct Adam {
    params: ParamList,
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    /// Per parameter, created at its first step with a gradient.
    states: Vec<Option<AdamState>>,
}

/// What Adam remembers about one parameter. Steps are counted per parameter, as in PyTorch:
/// a parameter that had no gradient at some `step()` was not stepped.
struct AdamState {
    steps: i32,
    /// Running average of the gradient.
    m: ArrayD<f32>,
    /// Running average of the squared gradient.
    v: ArrayD<f32>,
}

impl Adam {
    /// Adam with learning rate `lr`: `optim.Adam(params, lr=lr)`. Takes its arguments and
    /// panics like [`crate::optim::SGD::new`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let model = nn::Linear::new(1, 1);
    /// assert_eq!(optim::Adam::new(model.parameters(), 0.01).betas, (0.9, 0.999));
    /// ```
    #[track_caller]
    pub fn new<P: Borrow<Tensor>>(params: impl IntoIterator<Item = P>, lr: impl Float) -> Adam {
        Adam::try_new(params, lr).or_panic()
    }

    /// [`Adam::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(optim::Adam::try_new(Vec::<Tensor>::new(), 0.01).is_err());
    /// ```
    pub fn try_new<P: Borrow<Tensor>>(
        params: impl IntoIterator<Item = P>,
        lr: impl Float,
    ) -> Result<Adam> {
        let params = collect_params(params);
        check_params(&params)?;
        Ok(Adam {
            states: (0..params.len()).map(|_| None).collect(),
            params: ParamList::new(params),
            lr: lr.to_f64(),
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        })
    }

    /// Sets the averaging factors (PyTorch's `betas=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::Adam::new([w], 0.1).betas(0.8, 0.99).betas, (0.8, 0.99));
    /// ```
    pub fn betas(mut self, beta1: impl Float, beta2: impl Float) -> Adam {
        self.betas = (beta1.to_f64(), beta2.to_f64());
        self
    }

    /// Sets the term added to the denominator (PyTorch's `eps=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::Adam::new([w], 0.1).eps(1e-6).eps, 1e-6);
    /// ```
    pub fn eps(mut self, eps: impl Float) -> Adam {
        self.eps = eps.to_f64();
        self
    }

    /// Sets the L2 penalty (PyTorch's `weight_decay=`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert_eq!(optim::Adam::new([w], 0.1).weight_decay(0.01).weight_decay, 0.01);
    /// ```
    pub fn weight_decay(mut self, weight_decay: impl Float) -> Adam {
        self.weight_decay = weight_decay.to_f64();
        self
    }
}

impl Optimizer for Adam {
    fn params(&self) -> &[Tensor] {
        &self.params.0
    }

    fn step(&mut self) {
        let (beta1, beta2) = self.betas;
        let (w1, w2) = ((1.0 - beta1) as f32, (1.0 - beta2) as f32);
        let (beta2_f32, eps, decay) = (beta2 as f32, self.eps as f32, self.weight_decay as f32);
        self.params.warn_unused();
        for (p, state) in self.params.0.iter().zip(&mut self.states) {
            let Some(grad) = p.grad() else { continue };
            let mut g = grad.to_array();
            if decay != 0.0 {
                Zip::from(&mut g)
                    .and(&*p.data())
                    .for_each(|g, &p| *g = p.mul_add(decay, *g));
            }
            let zeros = || ArrayD::zeros(g.raw_dim());
            let AdamState { steps, m, v } = state.get_or_insert_with(|| AdamState {
                steps: 0,
                m: zeros(),
                v: zeros(),
            });
            *steps += 1;
            // m = m + (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g^2
            // (fused multiply-adds where PyTorch's lerp_ and addcmul_ fuse them)
            Zip::from(&mut *m)
                .and(&g)
                .for_each(|m, &g| *m = w1.mul_add(g - *m, *m));
            Zip::from(&mut *v)
                .and(&g)
                .for_each(|v, &g| *v = (w2 * g).mul_add(g, *v * beta2_f32));
            // Bias corrections undo the averages' start at zero; PyTorch computes them in double.
            let step_size = self.lr / (1.0 - beta1.powi(*steps));
            let correction2_sqrt = (1.0 - beta2.powi(*steps)).sqrt() as f32;
            let alpha = -step_size as f32;
            // p = p - step_size * m / (sqrt(v) / sqrt(correction2) + eps)
            Zip::from(&mut *p.data_mut())
                .and(&*m)
                .and(&*v)
                .for_each(|p, &m, &v| {
                    let denom = v.sqrt() / correction2_sqrt + eps;
                    *p += alpha * m / denom;
                });
        }
    }
}
