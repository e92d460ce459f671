//! Optimizers: they update parameters from their gradients, as PyTorch's `torch.optim`.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::SGD;

use crate::error::{Result, TensorError};
use crate::tensor::Tensor;

/// What every optimizer does: PyTorch's `torch.optim.Optimizer`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(1.0).requires_grad_(true);
/// let mut opt = optim::SGD::new(vec![w.clone()], 0.1);
/// (&w * &w).backward();                     // dw = 2w = 2
/// opt.step();                               // w = 1 - 0.1 * 2
/// opt.zero_grad();
/// assert_eq!(w.item(), 0.8);
/// assert!(w.grad().is_none());
/// ```
pub trait Optimizer {
    /// The parameters this optimizer updates.
    fn params(&self) -> &[Tensor];

    /// Updates every parameter that has a gradient: `optimizer.step()`.
    fn step(&mut self);

    /// Sets every parameter's gradient to `None`: `optimizer.zero_grad()` (PyTorch 2's default,
    /// `set_to_none=True`).
    fn zero_grad(&mut self) {
        self.params().iter().for_each(|p| p.set_grad(None));
    }
}

/// The checks PyTorch makes on an optimizer's parameter list, plus one it does not make: a
/// parameter that does not require grad would silently never move.
pub(crate) fn check_params(params: &[Tensor]) -> Result<()> {
    if params.is_empty() {
        return Err(TensorError::Invalid(
            "optimizer got an empty parameter list\n  op: optimizer\n  hint: pass model.parameters(), or vec![w.clone()] for a tensor created with requires_grad_(true)".into(),
        ));
    }
    for (i, p) in params.iter().enumerate() {
        if !p.is_leaf() {
            return Err(TensorError::Invalid(format!(
                "can't optimize a non-leaf Tensor\n  op: optimizer, parameter {i} of shape {:?} (computed by {})\n  hint: optimize the tensors you created, not results computed from them",
                p.shape(),
                p.grad_fn().unwrap_or("an op")
            )));
        }
        if !p.requires_grad() {
            return Err(TensorError::Invalid(format!(
                "optimizer got a parameter that does not require grad\n  op: optimizer, parameter {i} of shape {:?}\n  hint: it would never be updated; create it with .requires_grad_(true)",
                p.shape()
            )));
        }
    }
    Ok(())
}
