//! Element-wise functions of one tensor.

use ndarray::Zip;

use crate::autograd::{Op, Saved, SavedOutput};
use crate::ops::{map, zip_map};
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

/// `tanh x` in `f32`, written without branches or calls so that a loop over a tensor runs in
/// vector instructions (the C library's `tanhf` costs about 20 ns per element). Both pieces are
/// Cephes' (S. L. Moshier) single-precision formulas:
/// - `|x| < 0.625`: `tanh x = x + x^3 P(x^2)`, a polynomial fitted to tanh;
/// - otherwise `tanh |x| = 1 - 2 / (e^(2|x|) + 1)`, with `e^y = 2^n e^r`, `r = y - n ln 2`.
///
/// Within 1 ulp of the exact value (the tests check every 101st float up to 12 against `f64`),
/// as PyTorch's vectorised tanh (SLEEF) is: on some inputs the two differ in the last bit.
///
/// ```
/// use autograd_core::tanh_f32;
/// assert_eq!(tanh_f32(0.0), 0.0);
/// assert!((tanh_f32(0.5) - 0.5f64.tanh() as f32).abs() <= f32::EPSILON);
/// ```
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    // tanh 10 = 1 - 4e-9 rounds to 1, and e^20 is far from overflow.
    let a = x.abs().min(10.0);
    let z = a * a;
    let poly = -5.704_988_7e-3_f32;
    let poly = poly * z + 2.063_909e-2;
    let poly = poly * z - 5.373_971_6e-2;
    let poly = poly * z + 1.333_144_2e-1;
    let poly = poly * z - 3.333_328e-1;
    let small = poly * z * a + a;

    // e^y for y = 2a: n = round(y / ln 2) by the 1.5 * 2^23 trick (the integer lands in the
    // low bits), r = y - n ln 2 with ln 2 split in two so that n * LN2_HI is exact.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let y = a + a;
    let rounded = y * std::f32::consts::LOG2_E + ROUND;
    let n = rounded - ROUND;
    let exponent = rounded.to_bits() as i32 - ROUND.to_bits() as i32 + 127;
    let two_to_n = f32::from_bits((exponent as u32) << 23);
    let r = y - n * LN2_HI - n * LN2_LO;
    let e_r = 1.987_569_2e-4_f32;
    let e_r = e_r * r + 1.398_199_9e-3;
    let e_r = e_r * r + 8.333_452e-3;
    let e_r = e_r * r + 4.166_579_6e-2;
    let e_r = e_r * r + 1.666_666_5e-1;
    let e_r = e_r * r + 0.5;
    let e_y = (e_r * (r * r) + r + 1.0) * two_to_n;
    let large = 1.0 - 2.0 / (e_y + 1.0);

    let t = if a < 0.625 { small } else { large };
    if x.is_nan() {
        x
    } else {
        t.copysign(x)
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

#[cfg(test)]
mod tests {
    use super::tanh;

    /// Distance in units in the last place between two finite f32 of the same sign.
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn tanh_is_within_one_ulp_of_the_exact_value() {
        // Every 101st float from the smallest subnormal up to 12 (beyond, tanh is 1), both signs.
        let mut worst = (0, 0.0f32);
        for bits in (1..12.0f32.to_bits()).step_by(101) {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let exact = (x as f64).tanh() as f32;
                let error = ulps(tanh(x), exact);
                if error > worst.0 {
                    worst = (error, x);
                }
            }
        }
        assert!(worst.0 <= 1, "{} ulp at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn tanh_special_values() {
        assert_eq!(tanh(0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh(1e30), 1.0);
        assert_eq!(tanh(-10.5), -1.0);
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!(tanh(1e-30), 1e-30);
    }
}
