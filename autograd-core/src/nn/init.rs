//! Filling parameters in place: PyTorch's `torch.nn.init`. Like PyTorch's, these run without
//! recording a graph, so they work on parameters that require grad.

use crate::random;
use crate::tensor::Tensor;

/// Replaces the numbers of `tensor` (same shape) without recording anything.
fn overwrite(tensor: &Tensor, values: ndarray::ArrayD<f32>) -> Tensor {
    tensor.data_mut().assign(&values);
    tensor.shallow_clone()
}

/// Fills with samples from U(a, b): `nn.init.uniform_(t, a, b)`, PyTorch's numbers from the same
/// seed. The bounds are doubles, as Python's floats, rounded to float32 as PyTorch does.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = nn::init::uniform_(&Tensor::zeros(&[100]), -0.1, 0.1);
/// assert!(w.to_vec().iter().all(|v| v.abs() <= 0.1));
/// ```
pub fn uniform_(tensor: &Tensor, a: f64, b: f64) -> Tensor {
    overwrite(tensor, random::uniform(&tensor.shape(), a, b))
}

/// Fills with samples from N(mean, std^2): `nn.init.normal_(t, mean, std)`, PyTorch's numbers
/// from the same seed (tensors of 16 values or more take PyTorch's block path, smaller ones its
/// serial path in double; `random.rs` says how).
///
/// ```
/// use autograd_core::prelude::*;
/// let w = nn::init::normal_(&Tensor::zeros(&[10_000]), 3.0, 0.5);
/// assert!((w.mean().item() - 3.0).abs() < 0.05);
/// ```
pub fn normal_(tensor: &Tensor, mean: f64, std: f64) -> Tensor {
    overwrite(tensor, random::normal(&tensor.shape(), mean, std))
}

/// Fills with U(-bound, bound), `bound = gain * sqrt(3 / fan_in)` and the leaky-ReLU gain
/// `sqrt(2 / (1 + a^2))`: `nn.init.kaiming_uniform_(t, a=a)` (mode `fan_in`). `fan_in` is
/// `shape[1]` times the sizes after it. `nn::Linear` uses it with `a = sqrt(5)`, which makes
/// `bound = 1 / sqrt(fan_in)`. A tensor with no elements is left as it is, as in PyTorch.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = nn::init::kaiming_uniform_(&Tensor::zeros(&[8, 4]), 5f64.sqrt());
/// assert!(w.to_vec().iter().all(|v| v.abs() <= 0.5)); // 1/sqrt(4)
/// ```
pub fn kaiming_uniform_(tensor: &Tensor, a: f64) -> Tensor {
    if tensor.numel() == 0 {
        return tensor.shallow_clone();
    }
    let fan_in = fan_in(tensor) as f64;
    // in double, in Python's order: gain, std, bound
    let gain = (2.0 / (1.0 + a * a)).sqrt();
    let std = gain / fan_in.sqrt();
    let bound = 3f64.sqrt() * std;
    uniform_(tensor, -bound, bound)
}

/// `fan_in` of `nn.init._calculate_fan_in_and_fan_out`: `shape[1] * prod(shape[2..])`.
pub(crate) fn fan_in(tensor: &Tensor) -> usize {
    let shape = tensor.shape();
    assert!(
        shape.len() >= 2,
        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
    );
    shape[1..].iter().product()
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
