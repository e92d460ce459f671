//! Element-wise functions of one tensor.

use ndarray::Zip;

use crate::autograd::{Op, Saved, SavedOutput};
use crate::kernels::{map, tanh, zip_map};
use crate::tensor::Tensor;

/// `x^p` with PyTorch's special cases, which are exact where `powf` may not be.
fn powf(x: f32, p: f32) -> f32 {
    match p {
        0.0 => 1.0,
        1.0 => x,
        2.0 => x * x,
        3.0 => x * x * x,
        0.5 => x.sqrt(),
        -0.5 => 1.0 / x.sqrt(),
        -1.0 => 1.0 / x,
        -2.0 => 1.0 / (x * x),
        _ => x.powf(p),
    }
}

/// -1, 0 or 1; unlike `f32::signum`, zero maps to zero (the subgradient PyTorch uses for `abs`).
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0 // 0 for zero, NaN for NaN
    }
}

impl Tensor {
    /// Records `y = f(x)` element by element, with `dy/dx` computed from `x` by `df`.
    fn unary_from_input(
        &self,
        name: &'static str,
        f: impl Fn(f32) -> f32,
        df: impl Fn(f32) -> f32 + 'static,
    ) -> Tensor {
        let data = map(&self.data(), f);
        let x = Saved::new(self, name);
        Op::new(name, data)
            .input(self, move |g| {
                Ok(zip_map(g, &*x.value()?, |g, x| g * df(x)))
            })
            .build()
    }

    /// Records `y = f(x)` element by element, with `dy/dx` computed from the output `y` by `df`.
    fn unary_from_output(
        &self,
        name: &'static str,
        f: impl Fn(f32) -> f32,
        df: impl Fn(f32) -> f32 + 'static,
    ) -> Tensor {
        let y = SavedOutput::default();
        Op::new(name, map(&self.data(), f))
            .saving_output(y.clone())
            .input(self, move |g| {
                Ok(zip_map(g, &*y.value()?, |g, y| g * df(y)))
            })
            .build()
    }

    /// `-x`: `torch.neg`. Also written `-&x`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([1.0, -2.0]).neg().to_vec(), vec![-1.0, 2.0]);
    /// ```
    pub fn neg(&self) -> Tensor {
        // y = -x;  dy/dx = -1
        let data = self.data().mapv(|x| -x);
        Op::new("NegBackward0", data)
            .saves_nothing()
            .input(self, |g| Ok(-g))
            .build()
    }

    /// `x^p` element by element: `x.pow(p)` / `x ** p`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([2.0, 3.0]).pow(2.0).to_vec(), vec![4.0, 9.0]);
    /// ```
    pub fn pow(&self, p: f32) -> Tensor {
        // y = x^p;  dy/dx = p * x^(p-1)
        self.unary_from_input(
            "PowBackward0",
            |x| powf(x, p),
            move |x| p * powf(x, p - 1.0),
        )
    }

    /// `e^x`: `torch.exp`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(0.0).exp().item(), 1.0);
    /// ```
    pub fn exp(&self) -> Tensor {
        // y = e^x;  dy/dx = e^x = y
        self.unary_from_output("ExpBackward0", f32::exp, |y| y)
    }

    /// Natural logarithm: `torch.log`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(1.0).log().item(), 0.0);
    /// ```
    pub fn log(&self) -> Tensor {
        // y = ln x;  dy/dx = 1/x
        let data = self.data().mapv(f32::ln);
        let x = Saved::new(self, "LogBackward0");
        Op::new("LogBackward0", data)
            .input(self, move |g| Ok(g / &*x.value()?))
            .build()
    }

    /// Square root: `torch.sqrt`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(9.0).sqrt().item(), 3.0);
    /// ```
    pub fn sqrt(&self) -> Tensor {
        // y = sqrt(x);  dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)
        let y = SavedOutput::default();
        Op::new("SqrtBackward0", self.data().mapv(f32::sqrt))
            .saving_output(y.clone())
            .input(self, move |g| Ok(g / &(2.0 * &*y.value()?)))
            .build()
    }

    /// Absolute value: `torch.abs`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([-2.0, 3.0]).abs().to_vec(), vec![2.0, 3.0]);
    /// ```
    pub fn abs(&self) -> Tensor {
        // y = |x|;  dy/dx = sign(x), taken as 0 at x = 0
        self.unary_from_input("AbsBackward0", f32::abs, sign)
    }

    /// Hyperbolic tangent: `torch.tanh`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(0.0).tanh().item(), 0.0);
    /// ```
    pub fn tanh(&self) -> Tensor {
        // y = tanh x;  dy/dx = 1 - y^2
        self.unary_from_output("TanhBackward0", tanh, |y| 1.0 - y * y)
    }

    /// The logistic function `1 / (1 + e^-x)`: `torch.sigmoid`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(0.0).sigmoid().item(), 0.5);
    /// ```
    pub fn sigmoid(&self) -> Tensor {
        // y = 1 / (1 + e^-x);  dy/dx = (1 - y) * y, multiplied in PyTorch's order
        let y = SavedOutput::default();
        Op::new(
            "SigmoidBackward0",
            self.data().mapv(|x| 1.0 / (1.0 + (-x).exp())),
        )
        .saving_output(y.clone())
        .input(self, move |g| {
            let y = y.value()?;
            Ok(Zip::from(g)
                .and(&*y)
                .map_collect(|&g, &y| g * (1.0 - y) * y))
        })
        .build()
    }

    /// `max(x, 0)`: `torch.relu`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([-1.0, 2.0]).relu().to_vec(), vec![0.0, 2.0]);
    /// ```
    pub fn relu(&self) -> Tensor {
        // y = max(x, 0);  dy/dx = 1 where y > 0, else 0
        let relu = |x: f32| if x > 0.0 || x.is_nan() { x } else { 0.0 };
        self.unary_from_output("ReluBackward0", relu, |y| if y > 0.0 { 1.0 } else { 0.0 })
    }
}

impl std::ops::Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl std::ops::Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}
