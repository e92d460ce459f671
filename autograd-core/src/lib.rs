//! # autograd-core
//!
//! A small autograd engine that behaves like PyTorch's, written to be read after the lessons.
//!
//! Where to look, from the bottom up:
//! - [`tensor`](crate::Tensor): the `Tensor` handle, creation, the autograd flags, in-place updates;
//! - `autograd.rs`: the tape (each op's `Node`), `no_grad`, and `backward()`;
//! - `random.rs`: PyTorch's CPU generator, so that after [`manual_seed`] the draws of
//!   `Tensor::rand`, `randn`, `randperm`, `nn::init` and `nn::Linear::new` are PyTorch's;
//! - `ops/`: every op, its forward and its gradient rule side by side;
//! - [`nn`]: modules (`Linear`, `Sequential`, activations) and `MSELoss`, built on the ops;
//! - [`optim`]: `SGD` and `Adam`;
//! - [`data`]: `TensorDataset` and `DataLoader`, mini-batches in PyTorch's shuffled order;
//! - `display.rs`: printing exactly as PyTorch prints;
//!
//! and, on top, the tools for notebooks:
//! - [`gradcheck`]: autograd's gradients against finite differences, as a table;
//! - `graph.rs`, [`Diagram`]: the graph of a tensor, or of values of your own, drawn;
//! - `notebook.rs`: HTML display of tensors and modules in Jupyter, [`summary`], short panics;
//! - `plot/` (feature `plot`): loss curves, fits and loss surfaces for the notebooks.
//!
//! Coming from PyTorch: [`pytorch`] has the table "PyTorch → autograd-core", every spelling that
//! differs and why.
//!
//! ```
//! use autograd_core::prelude::*;
//!
//! let x = tensor!([1.0, 2.0, 3.0, 4.0]);
//! let y = tensor!([2.0, 4.0, 6.0, 8.0]);
//! let w = tensor!(0.0).requires_grad_(true);
//! let l = (&y - &w * &x).pow(2.0).mean();   // l = mean((y - w x)^2)
//! l.backward();                              // dl/dw = mean(-2x (y - w x)) = -30 at w = 0
//! assert_eq!(w.grad().unwrap().item(), -30.0);
//! ```

mod autograd;
pub mod data;
mod diagram;
mod display;
mod error;
mod gradcheck;
mod graph;
mod memory;
pub mod nn;
mod notebook;
mod ops;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod pytorch;
mod random;
mod simd;
mod tensor;

/// The ndarray crate this one is built on, re-exported so a lesson needs only one `:dep`.
pub use ndarray;

pub use autograd::{detect_anomaly, is_anomaly_enabled, set_detect_anomaly};
pub use autograd::{is_grad_enabled, no_grad, BackwardOptions, NoGradGuard};
pub use diagram::Diagram;
pub use error::{short_panics, Result, TensorError};
pub use gradcheck::{gradcheck, GradCheck, GradCheckElement, GradCheckInput};
pub use notebook::{summary, ModuleDisplay, ModuleSummary};
pub use ops::broadcast_shapes;
/// The matrix product behind `Tensor::matmul` and `nn::Linear`, on ndarray matrices, for
/// hand-written loops that must give the same numbers.
pub use ops::matmul_2d as matmul_f32;
/// The `f32` tanh behind `Tensor::tanh`, for hand-written loops that must give the same numbers.
pub use ops::tanh as tanh_f32;
pub use ops::{Context, Function};
pub use random::{initial_seed, manual_seed};
pub use tensor::{Float, Int, Tensor, TensorData};

/// Builds a tensor from a number or (nested) array literal: `torch.tensor(...)`.
///
/// ```
/// use autograd_core::prelude::*;
/// let s = tensor!(0.0);                      // shape []
/// let v = tensor!([1.0, 2.0, 3.0, 4.0]);     // shape [4]
/// let m = tensor!([[1.0], [2.0]]);           // shape [2, 1]
/// assert_eq!((s.dim(), v.shape(), m.shape()), (0, vec![4], vec![2, 1]));
/// ```
#[macro_export]
macro_rules! tensor {
    ($data:expr) => {
        $crate::Tensor::new($data)
    };
}

/// Everything a lesson needs: `use autograd_core::prelude::*;`.
///
/// ```
/// use autograd_core::prelude::*;
/// let model = nn::Linear::new(1, 1);
/// let _opt = optim::SGD::new(model.parameters(), 0.01);
/// ```
pub mod prelude {
    pub use crate::data::{DataLoader, TensorDataset};
    pub use crate::nn::{self, Module};
    pub use crate::optim::{self, Optimizer};
    pub use crate::{gradcheck, manual_seed, no_grad, tensor, NoGradGuard, Tensor, TensorError};
    pub use crate::{is_grad_enabled, BackwardOptions};
    pub use crate::{summary, ModuleDisplay};
    pub use crate::{Context, Function};

    #[cfg(feature = "plot")]
    pub use crate::plot;
}
