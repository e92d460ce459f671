//! Optimizers: they update parameters from their gradients, as PyTorch's `torch.optim`.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::SGD;

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use crate::error::{Result, TensorError};
use crate::tensor::{for_each_live_parameter, Tensor};

/// What every optimizer does: PyTorch's `torch.optim.Optimizer`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(1.0).requires_grad_(true);
/// let mut opt = optim::SGD::new([&w], 0.1);   // optim.SGD([w], lr=0.1)
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
/// tensor made without `requires_grad_(true)` would silently never move. (A module parameter
/// frozen on purpose passes, as in PyTorch.)
pub(crate) fn check_params(params: &[Tensor]) -> Result<()> {
    if params.is_empty() {
        return Err(TensorError::Invalid(
            "optimizer got an empty parameter list\n  op: optimizer\n  hint: pass model.parameters(), or [&w] for a tensor created with requires_grad_(true)".into(),
        ));
    }
    for (i, p) in params.iter().enumerate() {
        if !p.is_leaf() {
            return Err(TensorError::Invalid(format!(
                "can't optimize a non-leaf Tensor\n  op: optimizer, parameter {i} of shape {:?} (computed by {})\n  hint: optimize the tensors you created, not results computed from them (w.clone() is a copy computed from w, as in PyTorch: pass [&w])",
                p.shape(),
                p.grad_fn().unwrap_or("an op")
            )));
        }
        // A module's parameter frozen with requires_grad_(false) is fine, as in PyTorch (it has
        // no gradient, so it is not updated); a tensor the user made without requires_grad is
        // a mistake that would silently never train.
        if !p.requires_grad() && !p.is_parameter() {
            return Err(TensorError::Invalid(format!(
                "optimizer got a parameter that does not require grad\n  op: optimizer, parameter {i} of shape {:?}\n  hint: it would never be updated; create it with .requires_grad_(true)",
                p.shape()
            )));
        }
    }
    Ok(())
}

/// What an optimizer accepts as its parameters, like PyTorch's iterable of tensors:
/// `model.parameters()`, `[&w]` (PyTorch's `[w]`), `[&w, &b]`, `&params`. The optimizer keeps
/// handles to these same tensors and updates them in place.
pub(crate) fn collect_params<P: Borrow<Tensor>>(
    params: impl IntoIterator<Item = P>,
) -> Vec<Tensor> {
    params
        .into_iter()
        .map(|p| p.borrow().shallow_clone())
        .collect()
}

thread_local! {
    /// For every parameter held by a live optimizer (by address), how many optimizers hold it.
    static HELD: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
    /// Parameters already warned about, so that each is reported once.
    static WARNED: RefCell<HashSet<usize>> = RefCell::new(HashSet::new());
}

fn address(p: &Tensor) -> usize {
    std::rc::Rc::as_ptr(&p.0) as usize
}

/// The list of parameters an optimizer updates, registered while the optimizer lives, so that
/// [`ParamList::warn_unused`] can tell a parameter that nobody updates; and whether that check
/// has run.
pub(crate) struct ParamList(pub(crate) Vec<Tensor>, Cell<bool>);

impl ParamList {
    pub(crate) fn new(params: Vec<Tensor>) -> ParamList {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            params
                .iter()
                .for_each(|p| *held.entry(address(p)).or_default() += 1);
        });
        ParamList(params, Cell::new(false))
    }

    /// Warns (once per parameter) about module parameters that received a gradient from the
    /// same backward as this optimizer's parameters, but that no live optimizer updates. That is
    /// what a module's child missing from `named_children` looks like: its layer computes and
    /// gets gradients, but never trains. In PyTorch, assigning the layer to `self` registers it;
    /// a Rust struct cannot do that, so this is where the mistake shows. Freezing a layer
    /// (`requires_grad_(false)`) is not reported.
    ///
    /// A forgotten child is there from the first step on, so the check runs once: at the first
    /// step after a backward reached these parameters. Later steps pay one flag test.
    pub(crate) fn warn_unused(&self) {
        if self.1.get() || self.0.iter().all(|p| p.0.grad.borrow().is_none()) {
            return;
        }
        self.1.set(true);
        let unused: Vec<Tensor> = self
            .unused()
            .into_iter()
            .filter(|p| WARNED.with(|warned| warned.borrow_mut().insert(address(p))))
            .collect();
        if !unused.is_empty() {
            let shapes: Vec<String> = unused.iter().map(|p| format!("{:?}", p.shape())).collect();
            eprintln!(
                "UserWarning: {} parameter(s) of shape {} received gradients in this backward, but no optimizer updates them: \
                 they will never train.\n  op: optimizer.step()\n  \
                 hint: a module that holds a layer must list it in named_children (nn::child(\"fc2\", &self.fc2)) so that \
                 model.parameters() includes it; to freeze a layer on purpose, call requires_grad_(false) on its parameters",
                unused.len(),
                shapes.join(", ")
            );
        }
    }
}

impl ParamList {
    /// The parameters `warn_unused` reports (each time, not once).
    fn unused(&self) -> Vec<Tensor> {
        // Each backward stamps the tensors whose `.grad` it added into with its number: the
        // latest one that reached our parameters has the largest.
        let with_grad = self.0.iter().filter(|p| p.0.grad.borrow().is_some());
        let Some(pass) = with_grad.map(|p| p.0.grad_pass.get()).max() else {
            return Vec::new();
        };
        let mut unused = Vec::new();
        for_each_live_parameter(|p| {
            let reached = p.0.grad_pass.get() == pass && p.requires_grad();
            // Cheapest tests first: this runs at every step.
            if reached
                && !self.0.iter().any(|ours| ours.same(p))
                && p.0.grad.borrow().is_some()
                && HELD.with(|held| !held.borrow().contains_key(&address(p)))
            {
                unused.push(p.shallow_clone());
            }
        });
        unused
    }
}

impl Drop for ParamList {
    fn drop(&mut self) {
        // `try_with`: during thread exit the registry may already be gone.
        let _ = HELD.try_with(|held| {
            let mut held = held.borrow_mut();
            for p in &self.0 {
                if let Some(count) = held.get_mut(&address(p)) {
                    *count -= 1;
                    if *count == 0 {
                        held.remove(&address(p));
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::ParamList;
    use crate::nn::{Linear, Module};
    use crate::tensor::Tensor;

    fn backward_through(layers: &[&Linear]) {
        let mut x = Tensor::ones(&[2, 1]);
        for layer in layers {
            x = layer.forward(&x).sum_dim(&[1], true);
        }
        x.sum().backward();
    }

    #[test]
    fn a_parameter_that_gets_gradients_but_no_optimizer_is_reported() {
        let (fc1, fc2) = (Linear::new(1, 3), Linear::new(1, 3));
        let listed = ParamList::new(fc1.parameters()); // fc2 forgotten
        backward_through(&[&fc1, &fc2]);
        let unused = listed.unused();
        assert_eq!(unused.len(), 2);
        assert!(unused[0].same(&fc2.weight) && unused[1].same(&fc2.bias));
        // a second optimizer for fc2 (two optimizers, one loss): nothing to report
        let other = ParamList::new(fc2.parameters());
        assert!(listed.unused().is_empty());
        drop(other);
        assert_eq!(listed.unused().len(), 2);
        // frozen on purpose: not reported
        fc2.parameters()
            .iter()
            .for_each(|p| drop(p.requires_grad_(false)));
        assert!(listed.unused().is_empty());
    }

    #[test]
    fn gradients_left_by_an_earlier_backward_are_not_reported() {
        let (old, new) = (Linear::new(1, 3), Linear::new(1, 3));
        backward_through(&[&old]); // old keeps its gradients
        let listed = ParamList::new(new.parameters());
        backward_through(&[&new]);
        assert!(listed.unused().is_empty());
    }
}
