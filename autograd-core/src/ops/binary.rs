//! `+ - * /` between tensors, with NumPy broadcasting, and with an `f32` on either side.

use crate::autograd::{Op, Saved};
use crate::error::{OrPanic, Result};
use crate::kernels::zip_broadcast;
use crate::tensor::Tensor;

impl Tensor {
    /// `a + b`, broadcasting: `torch.add`. Also written `&a + &b`, `&a + 1.0`, `1.0 + &a`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let a = tensor!([[1.0], [2.0]]);              // [2, 1]
    /// assert_eq!(a.add(&tensor!([10.0, 20.0])).to_vec(), vec![11.0, 21.0, 12.0, 22.0]);
    /// ```
    #[track_caller]
    pub fn add(&self, other: &Tensor) -> Tensor {
        self.try_add(other).or_panic()
    }

    /// [`Tensor::add`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_add(&tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_add(&self, other: &Tensor) -> Result<Tensor> {
        // z = a + b;  dz/da = 1,  dz/db = 1
        let data = zip_broadcast("add", &self.data(), &other.data(), |a, b| a + b)?;
        Ok(Op::new("AddBackward0", data)
            .saves_nothing()
            .input(self, |g| Ok(g.clone()))
            .input(other, |g| Ok(g.clone()))
            .build())
    }

    /// `a - b`, broadcasting: `torch.sub`. Also written `&a - &b`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([5.0, 6.0]).sub(&tensor!(1.0)).to_vec(), vec![4.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn sub(&self, other: &Tensor) -> Tensor {
        self.try_sub(other).or_panic()
    }

    /// [`Tensor::sub`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_sub(&tensor!([[1.0, 2.0, 3.0]])).is_err());
    /// ```
    pub fn try_sub(&self, other: &Tensor) -> Result<Tensor> {
        // z = a - b;  dz/da = 1,  dz/db = -1
        let data = zip_broadcast("sub", &self.data(), &other.data(), |a, b| a - b)?;
        Ok(Op::new("SubBackward0", data)
            .saves_nothing()
            .input(self, |g| Ok(g.clone()))
            .input(other, |g| Ok(-g))
            .build())
    }

    /// `a * b` element by element, broadcasting: `torch.mul`. Also written `&a * &b`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([1.0, 2.0]).mul(&tensor!([3.0, 4.0])).to_vec(), vec![3.0, 8.0]);
    /// ```
    #[track_caller]
    pub fn mul(&self, other: &Tensor) -> Tensor {
        self.try_mul(other).or_panic()
    }

    /// [`Tensor::mul`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = tensor!([1.0, 2.0, 3.0]).try_mul(&tensor!([1.0, 2.0, 3.0, 4.0])).unwrap_err();
    /// assert!(err.to_string().contains("op: mul, shapes [3] and [4]"));
    /// ```
    pub fn try_mul(&self, other: &Tensor) -> Result<Tensor> {
        // z = a * b;  dz/da = b,  dz/db = a
        let data = zip_broadcast("mul", &self.data(), &other.data(), |a, b| a * b)?;
        let (a, b) = (
            Saved::new(self, "MulBackward0"),
            Saved::new(other, "MulBackward0"),
        );
        Ok(Op::new("MulBackward0", data)
            .input(self, move |g| Ok(g * &*b.value()?))
            .input(other, move |g| Ok(g * &*a.value()?))
            .build())
    }

    /// `a / b` element by element, broadcasting: `torch.div`. Also written `&a / &b`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([1.0, 3.0]).div(&tensor!(2.0)).to_vec(), vec![0.5, 1.5]);
    /// ```
    #[track_caller]
    pub fn div(&self, other: &Tensor) -> Tensor {
        self.try_div(other).or_panic()
    }

    /// [`Tensor::div`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_div(&tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_div(&self, other: &Tensor) -> Result<Tensor> {
        // z = a / b;  dz/da = 1/b,  dz/db = -a/b^2 (computed as -(a/b)/b, as PyTorch does)
        let data = zip_broadcast("div", &self.data(), &other.data(), |a, b| a / b)?;
        let (a, b) = (
            Saved::new(self, "DivBackward0"),
            Saved::new(other, "DivBackward0"),
        );
        let b_for_a = b.clone();
        Ok(Op::new("DivBackward0", data)
            .input(self, move |g| Ok(g / &*b_for_a.value()?))
            .input(other, move |g| {
                let (a, b) = (a.value()?, b.value()?);
                Ok(-g * &(&*a / &*b / &*b))
            })
            .build())
    }
}

/// Implements `tensor op tensor` for every mix of owned and borrowed operands, and
/// `tensor op f32` / `f32 op tensor` (the number becomes a 0-dimensional tensor).
macro_rules! binary_operator {
    ($trait:ident, $method:ident) => {
        impl std::ops::$trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: &Tensor) -> Tensor {
                Tensor::$method(self, other)
            }
        }
        impl std::ops::$trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: Tensor) -> Tensor {
                Tensor::$method(self, &other)
            }
        }
        impl std::ops::$trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: &Tensor) -> Tensor {
                Tensor::$method(&self, other)
            }
        }
        impl std::ops::$trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: Tensor) -> Tensor {
                Tensor::$method(&self, &other)
            }
        }
        impl std::ops::$trait<f32> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: f32) -> Tensor {
                Tensor::$method(self, &Tensor::scalar(other))
            }
        }
        impl std::ops::$trait<f32> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: f32) -> Tensor {
                Tensor::$method(&self, &Tensor::scalar(other))
            }
        }
        impl std::ops::$trait<&Tensor> for f32 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: &Tensor) -> Tensor {
                Tensor::$method(&Tensor::scalar(self), other)
            }
        }
        impl std::ops::$trait<Tensor> for f32 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, other: Tensor) -> Tensor {
                Tensor::$method(&Tensor::scalar(self), &other)
            }
        }
    };
}

binary_operator!(Add, add);
binary_operator!(Sub, sub);
binary_operator!(Mul, mul);
binary_operator!(Div, div);
