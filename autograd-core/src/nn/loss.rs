//! Loss functions.

use crate::nn::functional;
use crate::tensor::Tensor;

/// How a loss combines the per-element losses: PyTorch's `reduction=` argument.
///
/// ```
/// use autograd_core::prelude::*;
/// let l = nn::MSELoss::with_reduction(nn::Reduction::Sum);
/// assert_eq!(l.forward(&tensor!([1.0, 2.0]), &tensor!([0.0, 0.0])).item(), 5.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The mean over all elements (the default).
    #[default]
    Mean,
    /// The sum over all elements.
    Sum,
    /// No reduction: one loss per element.
    None,
}

/// The mean squared error `mean((input - target)^2)`: `nn.MSELoss()`.
///
/// ```
/// use autograd_core::prelude::*;
/// let loss = nn::MSELoss::new();
/// assert_eq!(loss.forward(&tensor!([1.0, 3.0]), &tensor!([1.0, 1.0])).item(), 2.0);
/// assert_eq!(loss.to_string(), "MSELoss()");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MSELoss {
    pub reduction: Reduction,
}

impl MSELoss {
    /// The loss with `reduction='mean'`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(nn::MSELoss::new().reduction, nn::Reduction::Mean);
    /// ```
    pub fn new() -> MSELoss {
        MSELoss::default()
    }

    /// The loss with the given reduction: `nn.MSELoss(reduction='sum')`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let l = nn::MSELoss::with_reduction(nn::Reduction::None);
    /// assert_eq!(l.forward(&tensor!([1.0, 2.0]), &tensor!([0.0, 0.0])).to_vec(), vec![1.0, 4.0]);
    /// ```
    pub fn with_reduction(reduction: Reduction) -> MSELoss {
        MSELoss { reduction }
    }

    /// The loss of `input` against `target`: `loss(input, target)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// let l = nn::MSELoss::new().forward(&(&w * &tensor!([1.0, 2.0])), &tensor!([2.0, 4.0]));
    /// assert_eq!(l.grad_fn(), Some("MseLossBackward0"));
    /// ```
    #[track_caller]
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        functional::mse_loss(input, target, self.reduction)
    }
}

/// `MSELoss()`, whatever the reduction, as PyTorch prints it.
impl std::fmt::Display for MSELoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MSELoss()")
    }
}
