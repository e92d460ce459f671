//! # autograd-core
//!
//! A small autograd engine that behaves like PyTorch's, written to be read after the lessons.
//!
//! Where to look, from the bottom up:
//! - [`tensor`](crate::Tensor): the `Tensor` handle, creation, the autograd flags, in-place updates;
//! - `autograd.rs`: the tape (each op's `Node`), `no_grad`, and `backward()`;
//! - `broadcast.rs`: NumPy's broadcasting rule, on shapes;
//! - `random.rs`: PyTorch's CPU generator, so that after [`manual_seed`] the draws of
//!   `Tensor::rand`, `randn`, `randperm`, `nn::init` and `nn::Linear::new` are PyTorch's;
//! - `broadcast.rs`: NumPy's broadcasting rule, on shapes;
//! - `ops/`: every op, its forward and its gradient rule side by side (the table below), and
//!   [`Function`] for ops of your own;
//! - [`nn`]: modules (`Linear`, `Sequential`, activations) and `MSELoss`, built on the ops;
//! - [`optim`]: `SGD` and `Adam`;
//! - [`data`]: `TensorDataset`, `random_split` and `DataLoader`, mini-batches in PyTorch's shuffled order;
//! - `display.rs`: printing exactly as PyTorch prints;
//!
//! beneath them, speed only, which a first reading can skip:
//! - `kernels/`: the loops the ops call (sums in PyTorch's order, the matrix product in tiles,
//!   vectorised maps, `tanh`, AVX2/AVX-512 copies, memory reuse);
//!
//! and, on top, the tools for notebooks:
//! - [`gradcheck`]: autograd's gradients against finite differences, as a table;
//! - `notebook.rs`: HTML display of tensors and modules in Jupyter, [`summary`], short panics;
//! - `graph.rs`: the graph of ops as DOT text or a picture, like micrograd's `draw_dot`, and
//!   [`Diagram`] (`diagram.rs`), which draws a graph of values of your own the same way;
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
//!
//! ## Every op's derivative
//!
//! `y` is the op's output and `g` the gradient of the final result with respect to it
//! (`dL/dy`, of `y`'s shape); each input's gradient is `g` times the op's derivative. Where an
//! input was broadcast, its gradient is summed back to its shape (`sum_to` in `autograd.rs`).
//!
//! | op | `y` | gradient of each input |
//! |---|---|---|
//! | `a + b` | `a + b` | `g`, `g` |
//! | `a - b` | `a - b` | `g`, `-g` |
//! | `a * b` | `a b` | `g b`, `g a` |
//! | `a / b` | `a / b` | `g / b`, `-g a / b²` |
//! | `x.neg()` | `-x` | `-g` |
//! | `x.pow(p)` | `xᵖ` | `g p xᵖ⁻¹` |
//! | `x.exp()` | `eˣ` | `g y` |
//! | `x.log()` | `ln x` | `g / x` |
//! | `x.sqrt()` | `√x` | `g / (2y)` |
//! | `x.abs()` | `\|x\|` | `g sign(x)`, 0 at `x = 0` |
//! | `x.tanh()` | `tanh x` | `g (1 - y²)` |
//! | `x.sigmoid()` | `1 / (1 + e⁻ˣ)` | `g (1 - y) y` |
//! | `x.relu()` | `max(x, 0)` | `g` where `y > 0`, else 0 |
//! | `x.sum()`, `x.mean()` | `Σ xᵢ`, `Σ xᵢ / n` | `g`, `g / n` in every element |
//! | `x.sum_dim(d)`, `x.mean_dim(d)` | the same over dims `d` | `g`, `g / n` spread back over `d` |
//! | `a.matmul(b)` | `A B` | `G Bᵀ`, `Aᵀ G` |
//! | `x.t()` | `xᵀ` | `gᵀ` |
//! | `reshape`, `unsqueeze`, `squeeze` | the same numbers | `g` in `x`'s shape |
//! | `x.clone()` | a copy of `x` | `g` |
//! | `x.select(d, i)`, `x.narrow(d, s, n)`, `x.index_select(d, idx)` | the picked elements | `g` put back where they were picked, 0 elsewhere (added up where an index repeats) |
//! | `linear(x, W, b)` | `x Wᵀ + b` | `G W`, `Gᵀ x`, `Σ` of `G` over the batch |
//! | `mse_loss(x, t)` | `mean((x - t)²)` | `2 g (x - t) / n`, `-2 g (x - t) / n` |
//! | [`Function`] | your `forward` | your `backward` |
//!
//! ```
//! use autograd_core::prelude::*;
//! // y = x^3, dy/dx = 3x^2 = 12 at x = 2 (the `pow` row)
//! let x = tensor!(2.0).requires_grad_(true);
//! x.pow(3.0).backward();
//! assert_eq!(x.grad().unwrap().item(), 12.0);
//! ```

mod autograd;
mod broadcast;
pub mod data;
mod diagram;
mod display;
mod error;
mod gradcheck;
mod graph;
mod kernels;
pub mod nn;
mod notebook;
mod ops;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod pytorch;
mod random;
mod tensor;

/// The ndarray crate this one is built on, re-exported so a lesson needs only one `:dep`.
pub use ndarray;

pub use autograd::{detect_anomaly, is_anomaly_enabled, set_detect_anomaly};
pub use autograd::{is_grad_enabled, no_grad, BackwardOptions, NoGradGuard};
pub use broadcast::broadcast_shapes;
pub use diagram::Diagram;
pub use error::{short_panics, Result, TensorError};
pub use gradcheck::{gradcheck, GradCheck, GradCheckElement, GradCheckInput};
/// The matrix product behind `Tensor::matmul` and `nn::Linear`, on ndarray matrices, for
/// hand-written loops that must give the same numbers.
pub use kernels::matmul_2d as matmul_f32;
/// The `f32` tanh behind `Tensor::tanh`, for hand-written loops that must give the same numbers.
pub use kernels::tanh as tanh_f32;
pub use notebook::{check, grading, summary, Grading, ModuleDisplay, ModuleSummary};
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
    pub use crate::data::{random_split, try_random_split, DataLoader, Subset, TensorDataset};
    pub use crate::nn::{self, Module};
    pub use crate::optim::{self, Optimizer};
    pub use crate::{check, summary, ModuleDisplay};
    pub use crate::{gradcheck, manual_seed, no_grad, tensor, NoGradGuard, Tensor, TensorError};
    pub use crate::{is_grad_enabled, BackwardOptions};
    pub use crate::{Context, Function};

    #[cfg(feature = "plot")]
    pub use crate::plot;
}
