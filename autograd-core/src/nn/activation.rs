//! Activation functions as modules, for use in `Sequential`.

use crate::nn::{display_as_repr, Module};
use crate::tensor::Tensor;

/// `tanh` as a layer: `nn.Tanh()`.
///
/// ```
/// use autograd_core::prelude::*;
/// assert_eq!(nn::Tanh.forward(&tensor!(0.0)).item(), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;

/// `max(x, 0)` as a layer: `nn.ReLU()`.
///
/// ```
/// use autograd_core::prelude::*;
/// assert_eq!(nn::ReLU.forward(&tensor!(-1.0)).item(), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ReLU;

/// The logistic function as a layer: `nn.Sigmoid()`.
///
/// ```
/// use autograd_core::prelude::*;
/// assert_eq!(nn::Sigmoid.forward(&tensor!(0.0)).item(), 0.5);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;

impl Module for Tanh {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.tanh()
    }
}

impl Module for ReLU {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.relu()
    }
}

impl Module for Sigmoid {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.sigmoid()
    }
}

display_as_repr!(Tanh, ReLU, Sigmoid);
