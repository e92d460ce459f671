//! The ops. Each one computes its output and, right below, the rule that gives each input's
//! gradient from the output's gradient `g`: forward and backward on one screen.
//!
//! | file | ops |
//! |---|---|
//! | `binary.rs` | `+ - * /` with broadcasting |
//! | `unary.rs` | `neg pow exp log sqrt abs tanh sigmoid relu` |
//! | `reduce.rs` | `sum mean sum_dim mean_dim` |
//! | `linalg.rs` | `matmul t` |
//! | `shape.rs` | `reshape unsqueeze squeeze clone` |
//! | `index.rs` | `select narrow index_select` |
//! | `function.rs` | your own ops: [`Function`](crate::Function), PyTorch's `torch.autograd.Function` |

mod binary;
mod function;
mod index;
mod linalg;
mod reduce;
mod shape;
mod unary;

pub(crate) use binary::zip_broadcast;
pub use function::{Context, Function};
pub use linalg::matmul_2d;
pub(crate) use reduce::{dot, dot_columns, sum_all, sum_along, sum_map, zip_map_sum};
pub use unary::tanh;

use ndarray::{ArrayD, Zip};

use crate::error::{Result, TensorError};
use crate::simd::simd_fn;

/// The shape of `a op b` under NumPy's broadcasting rule: align the shapes at the right; each
/// pair of sizes must be equal, or one of them 1 (which is stretched to the other).
///
/// ```
/// use autograd_core::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[4, 1], &[3]).unwrap(), vec![4, 3]);
/// assert!(broadcast_shapes("add", &[3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let mut shape = vec![0; ndim];
    // From the last dimension, as PyTorch does: the rightmost mismatch is the one reported.
    for (dim, size) in shape.iter_mut().enumerate().rev() {
        // Missing leading dimensions count as 1.
        let size_of = |s: &[usize]| (dim + s.len()).checked_sub(ndim).map_or(1, |i| s[i]);
        let (size_a, size_b) = (size_of(a), size_of(b));
        *size = match (size_a, size_b) {
            _ if size_a == size_b => size_a,
            (1, _) => size_b,
            (_, 1) => size_a,
            _ => {
                return Err(TensorError::Broadcast {
                    op,
                    a: a.to_vec(),
                    b: b.to_vec(),
                    dim,
                })
            }
        };
    }
    Ok(shape)
}

simd_fn! {
/// `f(a)` element by element, with AVX2 or AVX-512 where the CPU has them. Many numbers stored
/// row by row go through blocks of 64 on the stack: a plain loop per block, which the compiler
/// turns into vector instructions (ndarray's `mapv` pushes one number at a time, which it does
/// not), and no zero-filled output to write twice. Anything else goes through `mapv`.
pub(crate) fn map(a: &ArrayD<f32>, f: impl Fn(f32) -> f32) -> ArrayD<f32> {
    const BLOCK: usize = 64;
    let Some(xs) = (a.len() >= 4 * BLOCK).then(|| a.as_slice()).flatten() else {
        return a.mapv(f);
    };
    let mut ys = Vec::with_capacity(xs.len());
    let blocks = xs.chunks_exact(BLOCK);
    let tail = blocks.remainder();
    for block in blocks {
        let mut out = [0.0f32; BLOCK];
        for (y, &x) in out.iter_mut().zip(block) {
            *y = f(x);
        }
        ys.extend_from_slice(&out);
    }
    ys.extend(tail.iter().map(|&x| f(x)));
    ArrayD::from_shape_vec(a.raw_dim(), ys).unwrap()
}
}

simd_fn! {
fn zip_slices(xs: &[f32], ys: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    xs.iter().zip(ys).map(|(&x, &y)| f(x, y)).collect()
}
}

/// `f(a, b)` element by element for two arrays of the same shape, as one loop over the numbers
/// when both are stored row by row (the usual case), else through ndarray's `Zip`.
pub(crate) fn zip_map(
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    f: impl Fn(f32, f32) -> f32,
) -> ArrayD<f32> {
    debug_assert_eq!(a.shape(), b.shape());
    match (a.as_slice(), b.as_slice()) {
        (Some(xs), Some(ys)) => ArrayD::from_shape_vec(a.raw_dim(), zip_slices(xs, ys, f)).unwrap(),
        _ => Zip::from(a).and(b).map_collect(|&x, &y| f(x, y)),
    }
}

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

/// Normalises a possibly negative index (`-1` is the last) into a dimension of `size`
/// elements, with PyTorch's message when it is out of range.
pub(crate) fn normalize_index(index: i64, dim: usize, size: usize) -> Result<usize> {
    let i = if index < 0 {
        index + size as i64
    } else {
        index
    };
    if i < 0 || i >= size as i64 {
        return Err(TensorError::Invalid(format!(
            "index {index} is out of bounds for dimension {dim} with size {size}\n  \
             op: indexing\n  hint: indices count from 0 to size - 1; negative ones count from the end"
        )));
    }
    Ok(i as usize)
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, ArrayD};

    use super::{map, tanh};

    #[test]
    fn map_gives_what_mapv_gives_block_or_not() {
        for n in [0, 1, 255, 256, 300, 1000] {
            let a: ArrayD<f32> = Array1::from_shape_fn(n, |i| i as f32 / 37.0 - 4.0).into_dyn();
            assert_eq!(map(&a, tanh), a.mapv(tanh), "n = {n}");
            // Stored column by column (not row by row): `mapv` itself.
            let m =
                ndarray::Array2::from_shape_fn((3, n), |(i, j)| (i * n + j) as f32 / 37.0 - 4.0);
            let columns = m.t().to_owned().into_dyn();
            assert!(n < 2 || columns.as_slice().is_none());
            assert_eq!(map(&columns, tanh), columns.mapv(tanh), "n = {n}");
        }
    }
}
