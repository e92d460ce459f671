//! Indexing that records a gradient: `t[i]` along a dimension (`select`), a range (`narrow`),
//! and a list of indices (`index_select`). Each output element is one input element, so each
//! gradient rule puts `g` back where its element came from, and zeros everywhere else.

use ndarray::{ArrayD, Axis, Slice};

use crate::autograd::Op;
use crate::error::{OrPanic, Result, TensorError};
use crate::ops::{normalize_dim, normalize_index};
use crate::tensor::{Int, Tensor};

/// The gradient rule shared by the three ops: a zero gradient of the input's `shape`, into which
/// `place` puts the output's gradient `g` where the output's elements came from.
fn scatter_back(
    shape: Vec<usize>,
    place: impl Fn(&mut ArrayD<f32>, &ArrayD<f32>) + 'static,
) -> impl Fn(&ArrayD<f32>) -> Result<ArrayD<f32>> + 'static {
    move |g| {
        let mut dx = ArrayD::zeros(shape.as_slice());
        place(&mut dx, g);
        Ok(dx)
    }
}

impl Tensor {
    /// The slice at `index` along `dim`, which disappears: `t.select(dim, index)`, that is
    /// `t[index]` for `dim` 0 and `t[:, index]` for `dim` 1. Negative values count from the end.
    /// Rust's `t[i]` cannot return a new tensor, hence the method.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([[1.0, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let column = x.select(1, 0);                      // x[:, 0]
    /// assert_eq!(column.to_vec(), vec![1.0, 3.0]);
    /// column.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: isize, index: impl Int) -> Tensor {
        self.try_select(dim, index).or_panic()
    }

    /// [`Tensor::select`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = Tensor::zeros(&[2, 2]).try_select(0, 5).unwrap_err();
    /// assert!(err.to_string().starts_with("select(): index 5 out of range for tensor of size [2, 2] at dimension 0"));
    /// ```
    pub fn try_select(&self, dim: isize, index: impl Int) -> Result<Tensor> {
        let shape = self.shape();
        let d = normalize_dim("select", dim, shape.len(), shape.len())?;
        let i = normalize_index(index.to_i64(), d, shape[d]).map_err(|_| {
            TensorError::Invalid(format!(
                "select(): index {} out of range for tensor of size {shape:?} at dimension {d}\n  \
                 op: select\n  hint: indices count from 0 to size - 1; negative ones count from the end",
                index.to_i64()
            ))
        })?;
        // y = x[.., i, ..];  dL/dx = g at i along dim, 0 elsewhere
        let data = self.data().index_axis(Axis(d), i).to_owned();
        Ok(Op::new("SelectBackward0", data)
            .saves_nothing()
            .input(
                self,
                scatter_back(shape, move |dx, g| dx.index_axis_mut(Axis(d), i).assign(g)),
            )
            .build())
    }

    /// `length` consecutive slices along `dim` from `start`: `t.narrow(dim, start, length)`, that
    /// is `t[start:start + length]` for `dim` 0 (`t[:, a:b]` is `narrow(1, a, b - a)`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    /// let middle = x.narrow(0, 1, 2);                    // x[1:3]
    /// assert_eq!(middle.grad_fn(), Some("SliceBackward0"));
    /// (&middle * &middle).sum().backward();              // d/dx of x1^2 + x2^2
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 4.0, 6.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: impl Int, length: usize) -> Tensor {
        self.try_narrow(dim, start, length).or_panic()
    }

    /// [`Tensor::narrow`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = Tensor::zeros(&[2, 2]).try_narrow(0, 1, 3).unwrap_err();
    /// assert!(err.to_string().starts_with("start (1) + length (3) exceeds dimension size (2)."));
    /// ```
    pub fn try_narrow(&self, dim: isize, start: impl Int, length: usize) -> Result<Tensor> {
        let shape = self.shape();
        let d = normalize_dim("narrow", dim, shape.len(), shape.len())?;
        let size = shape[d] as i64;
        let start = start.to_i64();
        let hint = "op: narrow\n  hint: narrow(dim, start, length) takes t[start:start + length]";
        if start < -size || start > size {
            return Err(TensorError::Invalid(format!(
                "start out of range (expected to be in range of [{}, {size}], but got {start})\n  {hint}",
                -size
            )));
        }
        let start = if start < 0 { start + size } else { start } as usize;
        if start + length > shape[d] {
            return Err(TensorError::Invalid(format!(
                "start ({start}) + length ({length}) exceeds dimension size ({size}).\n  {hint}"
            )));
        }
        let range = Slice::from(start..start + length);
        // y = x[.., start:start + length, ..];  dL/dx = g there, 0 elsewhere
        let data = self.data().slice_axis(Axis(d), range).to_owned();
        Ok(Op::new("SliceBackward0", data)
            .saves_nothing()
            .input(
                self,
                scatter_back(shape, move |dx, g| {
                    dx.slice_axis_mut(Axis(d), range).assign(g)
                }),
            )
            .build())
    }

    /// The slices at `indices` along `dim`, in that order, repeats allowed:
    /// `t.index_select(dim, torch.tensor(indices))`. (This crate's tensors hold `f32` only, so
    /// the indices are a slice of integers.)
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([10.0, 20.0, 30.0]).requires_grad_(true);
    /// let picked = x.index_select(0, &[2, 0, 2]);
    /// assert_eq!(picked.to_vec(), vec![30.0, 10.0, 30.0]);
    /// picked.sum().backward();                      // index 2 was used twice
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_select<I: Int>(&self, dim: isize, indices: &[I]) -> Tensor {
        self.try_index_select(dim, indices).or_panic()
    }

    /// [`Tensor::index_select`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = tensor!([1.0, 2.0]).try_index_select(0, &[2]).unwrap_err();
    /// assert!(err.to_string().starts_with("index out of range in self"));
    /// ```
    pub fn try_index_select<I: Int>(&self, dim: isize, indices: &[I]) -> Result<Tensor> {
        let shape = self.shape();
        let d = normalize_dim("index_select", dim, shape.len(), shape.len())?;
        let mut picked = Vec::with_capacity(indices.len());
        for &index in indices {
            let i = index.to_i64();
            if i < 0 || i >= shape[d] as i64 {
                return Err(TensorError::Invalid(format!(
                    "index out of range in self\n  op: index_select, index {i} for dimension {d} of size {}\n  \
                     hint: indices count from 0 to size - 1 (index_select takes no negative ones)",
                    shape[d]
                )));
            }
            picked.push(i as usize);
        }
        let data = self.data().select(Axis(d), &picked);
        // y_k = x[picked[k]];  dL/dx_i = the sum of g_k over every k that picked i
        Ok(Op::new("IndexSelectBackward0", data)
            .saves_nothing()
            .input(
                self,
                scatter_back(shape, move |dx, g| {
                    for (k, &i) in picked.iter().enumerate() {
                        let mut row = dx.index_axis_mut(Axis(d), i);
                        row += &g.index_axis(Axis(d), k);
                    }
                }),
            )
            .build())
    }
}
