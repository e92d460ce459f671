//! Reductions: sums and means, over everything or over chosen dimensions.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::autograd::Op;
use crate::error::{OrPanic, Result};
use crate::kernels::{sum_all, sum_along};
use crate::ops::normalize_dim;
use crate::tensor::Tensor;

fn axes(op: &'static str, dims: &[isize], ndim: usize) -> Result<Vec<usize>> {
    let mut axes = dims
        .iter()
        .map(|&d| normalize_dim(op, d, ndim, ndim))
        .collect::<Result<Vec<_>>>()?;
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

/// Sums `data` over `axes`, keeping them as size-1 dimensions.
fn sum_keepdim(data: &ArrayD<f32>, axes: &[usize]) -> ArrayD<f32> {
    let mut out = data.clone();
    for &axis in axes {
        out = sum_along(out.view(), axis).insert_axis(Axis(axis));
    }
    out
}

/// The shape of `data` after removing `axes`, or with them set to 1 if `keepdim`.
fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    let kept = shape
        .iter()
        .enumerate()
        .filter_map(|(i, &size)| match axes.contains(&i) {
            true if keepdim => Some(1),
            true => None,
            false => Some(size),
        });
    kept.collect()
}

/// Spreads the gradient of a reduction back over the input: every input element receives the
/// gradient of the output element it was reduced into, times `scale`.
fn spread(
    g: &ArrayD<f32>,
    input_shape: &[usize],
    axes: &[usize],
    scale: impl Fn(f32) -> f32,
) -> ArrayD<f32> {
    let kept_shape = reduced_shape(input_shape, axes, true);
    let g = g.to_shape(IxDyn(&kept_shape)).unwrap();
    g.broadcast(IxDyn(input_shape)).unwrap().mapv(scale)
}

impl Tensor {
    /// The sum of all elements, as a 0-dimensional tensor: `t.sum()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([1.0, 2.0, 3.0]).sum().item(), 6.0);
    /// ```
    pub fn sum(&self) -> Tensor {
        // y = sum_i x_i;  dy/dx_i = 1
        let data = ArrayD::from_elem(IxDyn(&[]), sum_all(&self.data()));
        let shape = self.shape();
        Op::new("SumBackward0", data)
            .saves_nothing()
            .input(self, move |g| Ok(ArrayD::from_elem(IxDyn(&shape), g[[]])))
            .build()
    }

    /// The mean of all elements: `t.mean()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([1.0, 2.0, 3.0, 6.0]).mean().item(), 3.0);
    /// ```
    pub fn mean(&self) -> Tensor {
        // y = sum_i x_i / n;  dy/dx_i = 1/n
        let n = self.numel() as f32;
        let data = ArrayD::from_elem(IxDyn(&[]), sum_all(&self.data()) / n);
        let shape = self.shape();
        Op::new("MeanBackward0", data)
            .saves_nothing()
            .input(self, move |g| {
                Ok(ArrayD::from_elem(IxDyn(&shape), g[[]] / n))
            })
            .build()
    }

    /// The sum over the dimensions `dims`; with `keepdim` they stay as size 1:
    /// `t.sum(dim=dims, keepdim=keepdim)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let m = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.sum_dim(&[0], false).to_vec(), vec![4.0, 6.0]);
    /// assert_eq!(m.sum_dim(&[-1], true).shape(), vec![2, 1]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dims: &[isize], keepdim: bool) -> Tensor {
        self.try_sum_dim(dims, keepdim).or_panic()
    }

    /// [`Tensor::sum_dim`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_sum_dim(&[1], false).is_err());
    /// ```
    pub fn try_sum_dim(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce_dims("sum_dim", "SumBackward1", dims, keepdim, false)
    }

    /// The mean over the dimensions `dims`: `t.mean(dim=dims, keepdim=keepdim)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let m = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.mean_dim(&[1], false).to_vec(), vec![1.5, 3.5]);
    /// ```
    #[track_caller]
    pub fn mean_dim(&self, dims: &[isize], keepdim: bool) -> Tensor {
        self.try_mean_dim(dims, keepdim).or_panic()
    }

    /// [`Tensor::mean_dim`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_mean_dim(&[-2], false).is_err());
    /// ```
    pub fn try_mean_dim(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce_dims("mean_dim", "MeanBackward1", dims, keepdim, true)
    }

    fn reduce_dims(
        &self,
        op: &'static str,
        name: &'static str,
        dims: &[isize],
        keepdim: bool,
        mean: bool,
    ) -> Result<Tensor> {
        // y_j = sum over the reduced i of x_ij (/ n);  dy_j/dx_ij = 1 (or 1/n)
        let shape = self.shape();
        let axes = axes(op, dims, shape.len())?;
        let axes = if shape.is_empty() { Vec::new() } else { axes };
        let n = axes.iter().map(|&a| shape[a]).product::<usize>() as f32;
        let mut data = sum_keepdim(&self.data(), &axes);
        if mean {
            data.mapv_inplace(|s| s / n);
        }
        let data = data
            .into_shape_with_order(IxDyn(&reduced_shape(&shape, &axes, keepdim)))
            .unwrap();
        Ok(Op::new(name, data)
            .saves_nothing()
            .input(self, move |g| {
                Ok(spread(g, &shape, &axes, |g| if mean { g / n } else { g }))
            })
            .build())
    }
}
