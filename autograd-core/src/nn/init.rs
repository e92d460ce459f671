//! Filling parameters in place: PyTorch's `torch.nn.init`. Like PyTorch's, these run without
//! recording a graph, so they work on parameters that require grad.

use crate::random;
use crate::tensor::Tensor;

/// Replaces the numbers of `tensor` (same shape) without recording anything.
fn overwrite(tensor: &Tensor, values: ndarray::ArrayD<f32>) -> Tensor {
    tensor.data_mut().assign(&values);
    tensor.shallow_clone()
}

/// Fills with samples from U(a, b): `nn.init.uniform_(t, a, b)`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = nn::init::uniform_(&Tensor::zeros(&[100]), -0.1, 0.1);
/// assert!(w.to_vec().iter().all(|v| v.abs() <= 0.1));
/// ```
pub fn uniform_(tensor: &Tensor, a: f32, b: f32) -> Tensor {
    let u = random::fill(&tensor.shape(), random::uniform);
    overwrite(tensor, u.mapv(|u| a + (b - a) * u))
}

/// Fills with samples from N(mean, std^2): `nn.init.normal_(t, mean, std)`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = nn::init::normal_(&Tensor::zeros(&[10_000]), 3.0, 0.5);
/// assert!((w.mean().item() - 3.0).abs() < 0.05);
/// ```
pub fn normal_(tensor: &Tensor, mean: f32, std: f32) -> Tensor {
    let z = random::fill(&tensor.shape(), random::normal);
    overwrite(tensor, z.mapv(|z| mean + std * z))
}

/// Fills with `value`: `nn.init.constant_(t, value)`.
///
/// ```
/// use autograd_core::prelude::*;
/// let lin = nn::Linear::new(1, 1);
/// nn::init::constant_(&lin.weight, -0.5);
/// assert_eq!(lin.weight.item(), -0.5);
/// ```
pub fn constant_(tensor: &Tensor, value: f32) -> Tensor {
    tensor.data_mut().fill(value);
    tensor.shallow_clone()
}

/// Fills with zeros: `nn.init.zeros_(t)`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = nn::init::zeros_(&Tensor::ones(&[2]));
/// assert_eq!(w.to_vec(), vec![0.0, 0.0]);
/// ```
pub fn zeros_(tensor: &Tensor) -> Tensor {
    constant_(tensor, 0.0)
}
