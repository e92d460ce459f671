//! A chain of modules.

use crate::nn::{display_as_repr, Module};
use crate::tensor::Tensor;

/// Modules applied one after the other: `nn.Sequential(...)`. Parameters are named by position
/// (`0.weight`, `2.bias`), as in PyTorch.
///
/// ```
/// use autograd_core::prelude::*;
/// let mlp = nn::Sequential::new()
///     .add(nn::Linear::new(1, 8))
///     .add(nn::Tanh)
///     .add(nn::Linear::new(8, 1));
/// assert_eq!(mlp.forward(&Tensor::zeros(&[5, 1])).shape(), vec![5, 1]);
/// assert_eq!(mlp.named_parameters()[2].0, "2.weight");
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty chain; add layers with [`Sequential::add`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(nn::Sequential::new().len(), 0);
    /// ```
    pub fn new() -> Sequential {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer and returns the chain, so calls can be chained.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(nn::Sequential::new().add(nn::ReLU).len(), 1);
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Module + 'static) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    /// The number of layers.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(nn::Sequential::new().add(nn::Tanh).add(nn::Tanh).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the chain has no layers.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(nn::Sequential::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Module for Sequential {
    fn forward(&self, input: &Tensor) -> Tensor {
        let mut x = input.shallow_clone();
        for layer in &self.layers {
            x = layer.forward(&x);
        }
        x
    }

    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        let layers = self.layers.iter().enumerate();
        layers
            .map(|(i, layer)| (i.to_string(), layer.as_ref()))
            .collect()
    }
}

display_as_repr!(Sequential);
