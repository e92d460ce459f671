//! The fully connected layer.

use crate::nn::{display_as_repr, functional, init, Module, OptionalTensor};
use crate::tensor::Tensor;

/// `y = x W^T + b`: PyTorch's `nn.Linear`, with the same default initialisation (weight and
/// bias uniform in ±1/sqrt(in_features)) and, after the same `manual_seed`, the same numbers.
///
/// ```
/// use autograd_core::prelude::*;
/// let lin = nn::Linear::new(1, 1);
/// assert_eq!(lin.weight.shape(), vec![1, 1]);
/// assert_eq!(lin.bias.shape(), vec![1]);            // model.bias, as in PyTorch
/// assert_eq!(lin.to_string(), "Linear(in_features=1, out_features=1, bias=True)");
/// ```
pub struct Linear {
    /// `[out_features, in_features]`.
    pub weight: Tensor,
    /// `[out_features]`. Reads as a `Tensor` (`lin.bias.item()`, `&lin.bias`); for a layer built
    /// without bias it is PyTorch's `None`: `lin.bias.is_none()`, and any other use panics.
    pub bias: OptionalTensor,
    pub in_features: usize,
    pub out_features: usize,
}

impl Linear {
    /// A layer with bias: `nn.Linear(in_features, out_features)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// manual_seed(0);
    /// let lin = nn::Linear::new(4, 2);
    /// assert!(lin.weight.to_vec().iter().all(|w| w.abs() <= 0.5)); // 1/sqrt(4)
    /// ```
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        Linear::with_bias(in_features, out_features, true)
    }

    /// `nn.Linear(in_features, out_features, bias=bias)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let lin = nn::Linear::with_bias(3, 1, false);
    /// assert!(lin.bias.is_none());
    /// assert_eq!(lin.bias.to_string(), "None");         // print(lin.bias)
    /// assert_eq!(lin.parameters().len(), 1);
    /// ```
    pub fn with_bias(in_features: usize, out_features: usize, bias: bool) -> Linear {
        // PyTorch's reset_parameters, in its order (the draws come one after the other):
        // kaiming_uniform_(weight, a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the
        // bound computed through the gain in double; then the bias from U(-1/sqrt(fan_in), ..).
        let weight = Tensor::parameter(Tensor::zeros(&[out_features, in_features]));
        init::kaiming_uniform_(&weight, 5f64.sqrt());
        let bias = bias.then(|| {
            // (PyTorch's bound is the integer 0 without inputs: U(0, 0), never -0.0)
            let (low, high) = match init::fan_in(&weight) {
                0 => (0.0, 0.0),
                fan_in => (-1.0 / (fan_in as f64).sqrt(), 1.0 / (fan_in as f64).sqrt()),
            };
            let b = Tensor::parameter(Tensor::zeros(&[out_features]));
            init::uniform_(&b, low, high);
            b
        });
        Linear {
            weight,
            bias: OptionalTensor::new(bias),
            in_features,
            out_features,
        }
    }
}

impl Module for Linear {
    fn forward(&self, input: &Tensor) -> Tensor {
        functional::linear(input, &self.weight, self.bias.as_option())
    }

    fn direct_parameters(&self) -> Vec<(String, Tensor)> {
        let mut params = vec![("weight".to_string(), self.weight.shallow_clone())];
        let bias = self.bias.as_option().map(Tensor::shallow_clone);
        params.extend(bias.map(|b| ("bias".to_string(), b)));
        params
    }

    fn extra_repr(&self) -> String {
        let bias = if self.bias.is_some() { "True" } else { "False" };
        format!(
            "in_features={}, out_features={}, bias={bias}",
            self.in_features, self.out_features
        )
    }
}

display_as_repr!(Linear);
