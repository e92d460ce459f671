//! NumPy's broadcasting rule, which every op between two tensors follows: shapes only.

use crate::error::{Result, TensorError};

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
