//! Matrix products and the transpose.

use ndarray::{ArrayD, Axis, Ix1, Ix2};

use crate::autograd::{Op, Saved};
use crate::error::{OrPanic, Result, TensorError};
use crate::kernels::{dot, matmul_2d};
use crate::tensor::Tensor;

/// Views a tensor's data as a matrix or a vector for ndarray's `dot`.
fn matrix(a: &ArrayD<f32>) -> ndarray::ArrayView2<'_, f32> {
    a.view().into_dimensionality::<Ix2>().unwrap()
}

fn vector(a: &ArrayD<f32>) -> ndarray::ArrayView1<'_, f32> {
    a.view().into_dimensionality::<Ix1>().unwrap()
}

impl Tensor {
    /// The matrix product: `torch.matmul` / `a @ b`, for a matrix or vector on each side
    /// (`[n,k]@[k,m]`, `[n,k]@[k]`, `[k]@[k,m]`, `[k]@[k]`).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let a = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.matmul(&tensor!([[1.0], [1.0]])).to_vec(), vec![3.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        self.try_matmul(other).or_panic()
    }

    /// [`Tensor::matmul`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = Tensor::ones(&[2, 3]).try_matmul(&Tensor::ones(&[2, 3])).unwrap_err();
    /// assert!(err.to_string().starts_with("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"));
    /// ```
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (a_shape, b_shape) = (self.shape(), other.shape());
        let mismatch = || TensorError::Matmul {
            op: "matmul",
            a: a_shape.clone(),
            b: b_shape.clone(),
        };
        match (a_shape.len(), b_shape.len()) {
            (1 | 2, 1 | 2) if a_shape[a_shape.len() - 1] != b_shape[0] => Err(mismatch()),
            (2, 2) => Ok(self.mm(other)),
            (2, 1) => Ok(self.mv(other)),
            (1, 1) => Ok(self.dot(other)),
            // [k] @ [k, m] is [1, k] @ [k, m] with the 1 removed again, as PyTorch does it.
            (1, 2) => Ok(self.unsqueeze(0).mm(other).view_as("SqueezeBackward4", vec![b_shape[1]])),
            _ => Err(TensorError::Invalid(format!(
                "matmul: both arguments must be vectors or matrices, got shapes {a_shape:?} and {b_shape:?}\n  \
                 op: matmul\n  \
                 hint: this crate's matmul handles 1-D and 2-D tensors; reshape batches into a matrix"
            ))),
        }
    }

    /// Matrix times matrix, shapes already checked.
    fn mm(&self, other: &Tensor) -> Tensor {
        // C = A B;  dL/dA = G B^T,  dL/dB = A^T G
        let data = matmul_2d(matrix(&self.data()), matrix(&other.data())).into_dyn();
        let (a, b) = (
            Saved::new(self, "MmBackward0"),
            Saved::new(other, "MmBackward0"),
        );
        Op::new("MmBackward0", data)
            .input(self, move |g| {
                Ok(matmul_2d(matrix(g), matrix(&*b.value()?).t()).into_dyn())
            })
            .input(other, move |g| {
                Ok(matmul_2d(matrix(&*a.value()?).t(), matrix(g)).into_dyn())
            })
            .build()
    }

    /// Matrix times vector, shapes already checked.
    fn mv(&self, other: &Tensor) -> Tensor {
        // y = A v;  dL/dA = g v^T (outer product),  dL/dv = A^T g
        let v = vector(&other.data()).insert_axis(Axis(1)).to_owned();
        let data = matmul_2d(matrix(&self.data()), v.view())
            .remove_axis(Axis(1))
            .into_dyn();
        let (a, v) = (
            Saved::new(self, "MvBackward0"),
            Saved::new(other, "MvBackward0"),
        );
        Op::new("MvBackward0", data)
            .input(self, move |g| {
                let g = vector(g).insert_axis(Axis(1));
                Ok((&g * &vector(&*v.value()?).insert_axis(Axis(0))).into_dyn())
            })
            .input(other, move |g| {
                let g = vector(g).insert_axis(Axis(1));
                Ok(matmul_2d(matrix(&*a.value()?).t(), g)
                    .remove_axis(Axis(1))
                    .into_dyn())
            })
            .build()
    }

    /// Vector dot vector, shapes already checked.
    fn dot(&self, other: &Tensor) -> Tensor {
        // y = sum_i a_i b_i;  dy/da = b,  dy/db = a
        let (a, b) = (self.data(), other.data());
        let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
        let value = dot(a.as_slice().unwrap(), b.as_slice().unwrap());
        let (a, b) = (
            Saved::new(self, "DotBackward0"),
            Saved::new(other, "DotBackward0"),
        );
        Op::new(
            "DotBackward0",
            ArrayD::from_elem(ndarray::IxDyn(&[]), value),
        )
        .input(self, move |g| Ok(&*b.value()? * g[[]]))
        .input(other, move |g| Ok(&*a.value()? * g[[]]))
        .build()
    }

    /// The transpose of a matrix (a vector or scalar is returned as is): `t.t()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3]).t().shape(), vec![3, 2]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        self.try_t().or_panic()
    }

    /// [`Tensor::t`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(Tensor::zeros(&[2, 2, 2]).try_t().is_err());
    /// ```
    pub fn try_t(&self) -> Result<Tensor> {
        if self.dim() > 2 {
            return Err(TensorError::Invalid(format!(
                "t() expects a tensor with <= 2 dimensions, but self is {}D\n  \
                 op: t, shape {:?}\n  \
                 hint: use reshape to make it a matrix first",
                self.dim(),
                self.shape()
            )));
        }
        // y = x^T;  dL/dx = g^T
        let data = self.data().t().as_standard_layout().into_owned();
        Ok(Op::new("TBackward0", data)
            .saves_nothing()
            .input(self, |g| Ok(g.t().as_standard_layout().into_owned()))
            .build())
    }
}
