//! Ops that change the shape but not the numbers.

use ndarray::{ArrayD, IxDyn};

use crate::autograd::Op;
use crate::error::{OrPanic, Result, TensorError};
use crate::ops::normalize_dim;
use crate::tensor::Tensor;

impl Tensor {
    /// The same numbers in a new shape, read in row-major order; one size may be `-1`, to be
    /// inferred: `t.reshape(shape)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = Tensor::arange(0.0, 6.0, 1.0);
    /// assert_eq!(x.reshape(&[-1, 1]).shape(), vec![6, 1]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Tensor {
        self.try_reshape(shape).or_panic()
    }

    /// [`Tensor::reshape`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = Tensor::zeros(&[4]).try_reshape(&[3, 2]).unwrap_err();
    /// assert!(err.to_string().starts_with("shape '[3, 2]' is invalid for input of size 4"));
    /// ```
    pub fn try_reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let from = self.shape();
        let numel = self.numel();
        let error = || TensorError::Reshape {
            from: from.clone(),
            to: shape.to_vec(),
        };
        let known: usize = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as usize)
            .product();
        let inferred = shape.iter().filter(|&&d| d == -1).count();
        let invalid = |message: String| {
            TensorError::Invalid(format!(
                "{message}\n  op: reshape, from shape {from:?} to {shape:?}\n  \
                 hint: give every size, or -1 for exactly one size to be inferred from the others"
            ))
        };
        if let Some(bad) = shape.iter().find(|&&d| d < -1) {
            return Err(invalid(format!("invalid shape dimension {bad}")));
        }
        if inferred > 1 {
            return Err(invalid("only one dimension can be inferred".to_string()));
        }
        if inferred == 1 && known == 0 && numel == 0 {
            return Err(invalid(format!(
                "cannot reshape tensor of 0 elements into shape {shape:?} because the unspecified \
                 dimension size -1 can be any value and is ambiguous"
            )));
        }
        let new_shape: Vec<usize> = shape
            .iter()
            .map(|&d| {
                if d == -1 {
                    numel / known.max(1)
                } else {
                    d as usize
                }
            })
            .collect();
        if new_shape.iter().product::<usize>() != numel || (inferred == 1 && known == 0) {
            return Err(error());
        }
        Ok(self.view_as("ViewBackward0", new_shape))
    }

    /// Inserts a dimension of size 1 at `dim`: `t.unsqueeze(dim)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([1.0, 2.0]).unsqueeze(1).shape(), vec![2, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        self.try_unsqueeze(dim).or_panic()
    }

    /// [`Tensor::unsqueeze`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_unsqueeze(3).is_err());
    /// ```
    pub fn try_unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let mut shape = self.shape();
        let dim = normalize_dim("unsqueeze", dim, shape.len() + 1, shape.len())?;
        shape.insert(dim, 1);
        Ok(self.view_as("UnsqueezeBackward0", shape))
    }

    /// Removes dimension `dim` if its size is 1 (otherwise returns the same shape):
    /// `t.squeeze(dim)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([[1.0], [2.0]]).squeeze(1).shape(), vec![2]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, dim: isize) -> Tensor {
        self.try_squeeze(dim).or_panic()
    }

    /// [`Tensor::squeeze`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0]).try_squeeze(2).is_err());
    /// ```
    pub fn try_squeeze(&self, dim: isize) -> Result<Tensor> {
        let mut shape = self.shape();
        let dim = normalize_dim("squeeze", dim, shape.len(), shape.len())?;
        if shape.get(dim) == Some(&1) {
            shape.remove(dim);
        }
        Ok(self.view_as("SqueezeBackward1", shape))
    }

    /// A copy of the numbers, recorded in the graph: PyTorch's `t.clone()`. The copy changes
    /// independently of `t` (an optimizer step on `t` does not reach it), and gradient flows
    /// through it back to `t` unchanged. For another handle to the same tensor (what `u = t`
    /// does in Python) use [`Tensor::shallow_clone`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!([1.0, 2.0]).requires_grad_(true);
    /// let before = w.clone();
    /// assert_eq!(before.grad_fn(), Some("CloneBackward0"));
    /// no_grad(|| w.sub_(&tensor!(1.0)));
    /// assert_eq!(before.to_vec(), vec![1.0, 2.0]);   // the copy kept the old values
    /// ```
    // An inherent method named like `Clone::clone` on purpose: method-call syntax finds it first,
    // so a PyTorch user's `w.clone()` copies the numbers as in PyTorch.
    #[allow(clippy::should_implement_trait)]
    pub fn clone(&self) -> Tensor {
        // y = x;  dL/dx = g
        Op::new("CloneBackward0", self.to_array())
            .saves_nothing()
            .input(self, |g| Ok(g.clone()))
            .build()
    }

    /// The same numbers with a new shape of equal size; the gradient is reshaped back.
    pub(crate) fn view_as(&self, name: &'static str, shape: Vec<usize>) -> Tensor {
        // y = x (re-indexed);  dL/dx = g in x's shape
        let input_shape = self.shape();
        let data: ArrayD<f32> = self.data().to_shape(IxDyn(&shape)).unwrap().into_owned();
        Op::new(name, data)
            .saves_nothing()
            .input(self, move |g| {
                Ok(g.to_shape(IxDyn(&input_shape)).unwrap().into_owned())
            })
            .build()
    }
}
