//! The ops. Each one computes its output and, right below, the rule that gives each input's
//! gradient from the output's gradient `g`: forward and backward on one screen. The loops that
//! compute them fast (sums in PyTorch's order, the matrix product) are in `kernels/`; here
//! they are one call each.
//!
//! | file | ops |
//! |---|---|
//! | `binary.rs` | `+ - * /` with broadcasting |
//! | `unary.rs` | `neg pow exp log sqrt abs tanh sigmoid relu` |
//! | `reduce.rs` | `sum mean sum_dim mean_dim` |
//! | `linalg.rs` | `matmul t` |
//! | `shape.rs` | `reshape unsqueeze squeeze` |
//! | `function.rs` | your own ops: [`Function`](crate::Function), PyTorch's `torch.autograd.Function` |

mod binary;
mod function;
mod linalg;
mod reduce;
mod shape;
mod unary;

pub use function::{Context, Function};

use crate::error::{Result, TensorError};

/// Normalises a possibly negative dimension index (`-1` is the last) among `positions` places
/// (the rank, or one more for `unsqueeze`) of a tensor with `ndim` dimensions.
pub(crate) fn normalize_dim(
    op: &'static str,
    dim: isize,
    positions: usize,
    ndim: usize,
) -> Result<usize> {
    let rank = positions.max(1) as isize;
    let d = if dim < 0 { dim + rank } else { dim };
    if d < 0 || d >= rank {
        return Err(TensorError::DimOutOfRange {
            op,
            dim,
            ndim,
            low: -rank,
            high: rank - 1,
        });
    }
    Ok(d as usize)
}
