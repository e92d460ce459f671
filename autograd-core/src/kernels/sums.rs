//! Sums in the orders PyTorch's CPU kernels add in, so that results agree to the last bit, and
//! with eight running sums where a sum is long, so that it runs at the speed of memory.

use ndarray::{ArrayD, Axis, IxDyn};

use super::simd::simd_fn;

/// The sum of all elements, added in the order PyTorch's CPU kernel adds them, so that results
/// agree to the last bit: rows shorter than one 16-lane vector are summed with four running
/// partial sums (`x0+x4+x8.. | x1+x5.. | x2.. | x3..`, the leftovers into the first, then the
/// four added up). Longer rows use ndarray's sum, which PyTorch matches to a few ulp.
pub(crate) fn sum_all(data: &ArrayD<f32>) -> f32 {
    const LANES: usize = 4;
    if data.len() >= 16 {
        return data.sum();
    }
    let mut values = [0.0f32; 16];
    values.iter_mut().zip(data).for_each(|(v, &x)| *v = x);
    let values = &values[..data.len()];
    let mut partial = [0.0f32; LANES];
    let whole = values.len() / LANES * LANES;
    for chunk in values[..whole].chunks_exact(LANES) {
        for (p, &v) in partial.iter_mut().zip(chunk) {
            *p += v;
        }
    }
    for &v in &values[whole..] {
        partial[0] += v;
    }
    // `0 + ...`: PyTorch accumulates into an output that starts at zero (this turns -0 into 0).
    0.0 + partial.iter().skip(1).fold(partial[0], |sum, &p| sum + p)
}

simd_fn! {
/// The sum over one axis, with the same bits as ndarray's `sum_axis`. Over axis 0 of a matrix
/// stored row by row (the batch, for a bias gradient) ndarray adds whole rows in order, `0 +
/// row_0 + row_1 + ...`, but builds a new array for each row; here the rows go into one row.
pub(crate) fn sum_along(data: ndarray::ArrayViewD<'_, f32>, axis: usize) -> ArrayD<f32> {
    // Strides [columns, 1] exactly: then axis 1 is the one ndarray sees as contiguous (it picks
    // the last of equal strides), so it adds rows.
    let rows_of_a_matrix = axis == 0
        && data.ndim() == 2
        && !data.is_empty()
        && data.strides() == [data.shape()[1] as isize, 1];
    let Some(xs) = data.as_slice().filter(|_| rows_of_a_matrix) else {
        return data.sum_axis(Axis(axis));
    };
    let mut sums = vec![0.0; data.shape()[1]];
    for row in xs.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(sum, &x)| *sum += x);
    }
    ArrayD::from_shape_vec(IxDyn(&[sums.len()]), sums).unwrap()
}
}

simd_fn! {
/// `sum_i f(x_i)` without storing the `f(x_i)`: the same bits as `sum_all` of the mapped array.
pub(crate) fn sum_map(data: &ArrayD<f32>, f: impl Fn(f32) -> f32) -> f32 {
    let Some(xs) = data.as_slice().filter(|xs| xs.len() >= 16) else {
        return sum_all(&data.mapv(f));
    };
    let mut sums = [0.0f32; 8];
    let blocks = xs.chunks_exact(8);
    let tail = blocks.remainder();
    for x in blocks {
        let x: &[f32; 8] = x.try_into().unwrap();
        for (sum, &x) in sums.iter_mut().zip(x) {
            *sum += f(x);
        }
    }
    combine_running_sums(sums, tail.iter().map(|&x| f(x)))
}
}

simd_fn! {
/// `sum_i a_i b_i`. Short products (under 16 terms, as in the lessons) add left to right; longer
/// ones use eight running sums, so that a product of a million terms is not one long chain of
/// dependent additions (4 cycles each) but runs at the speed of memory.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    if a.len() < 16 {
        return a.iter().zip(b).fold(0.0, |sum, (&a, &b)| sum + a * b);
    }
    let mut sums = [0.0f32; 8];
    let (a_blocks, b_blocks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_blocks.remainder().iter().zip(b_blocks.remainder());
    for (a, b) in a_blocks.zip(b_blocks) {
        let (a, b): (&[f32; 8], &[f32; 8]) = (a.try_into().unwrap(), b.try_into().unwrap());
        for ((sum, &a), &b) in sums.iter_mut().zip(a).zip(b) {
            *sum += a * b;
        }
    }
    combine_running_sums(sums, tail.map(|(&a, &b)| a * b))
}
}

simd_fn! {
/// `(dot(a, b), sum of a)` in one pass, for 16 terms or more: the same bits as [`dot`] and
/// as [`sum_all`] of `a` (ndarray's order, eight running sums each). The one-number `Linear`
/// gets both of its parameter gradients from one read of `G` and `x` (`G^T x` and `sum G`).
pub(crate) fn dot_and_sum(a: &[f32], b: &[f32]) -> (f32, f32) {
    debug_assert!(a.len() == b.len() && a.len() >= 16);
    let (mut products, mut sums) = ([0.0f32; 8], [0.0f32; 8]);
    let (a_blocks, b_blocks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_blocks.remainder().iter().zip(b_blocks.remainder());
    for (a, b) in a_blocks.zip(b_blocks) {
        let (a, b): (&[f32; 8], &[f32; 8]) = (a.try_into().unwrap(), b.try_into().unwrap());
        for ((product, &a), &b) in products.iter_mut().zip(a).zip(b) {
            *product += a * b;
        }
        for (sum, &a) in sums.iter_mut().zip(a) {
            *sum += a;
        }
    }
    (
        combine_running_sums(products, tail.clone().map(|(&a, &b)| a * b)),
        combine_running_sums(sums, tail.map(|(&a, _)| a)),
    )
}
}

simd_fn! {
/// `[dot(column j of M, b) for each j]` for a row-major `[k, n]` matrix `M` given as its numbers:
/// the same bits as [`dot`] on each column, without first copying the columns out. This is the
/// weight gradient `G^T x` of a layer with one input. Each running sum of `dot` becomes a row of
/// `n` sums here, so the loops run along contiguous rows.
pub(crate) fn dot_columns(m: &[f32], n: usize, b: &[f32]) -> Vec<f32> {
    let k = b.len();
    debug_assert_eq!(m.len(), k * n);
    let rows = m.chunks_exact(n.max(1)).zip(b);
    if k < 16 {
        let mut sums = vec![0.0; n];
        for (row, &b) in rows {
            sums.iter_mut().zip(row).for_each(|(sum, &a)| *sum += a * b);
        }
        return sums;
    }
    let whole = k / 8 * 8;
    let mut running = vec![vec![0.0f32; n]; 8];
    for (kk, (row, &b)) in rows.clone().take(whole).enumerate() {
        let sums = &mut running[kk % 8];
        sums.iter_mut().zip(row).for_each(|(sum, &a)| *sum += a * b);
    }
    (0..n)
        .map(|j| {
            let sums = std::array::from_fn(|lane| running[lane][j]);
            combine_running_sums(sums, rows.clone().skip(whole).map(|(row, &b)| row[j] * b))
        })
        .collect()
}
}

simd_fn! {
/// `sum_i g(f(a_i, b_i))` in one pass over two slices of 16 numbers or more, without storing
/// the `f(a_i, b_i)`: the same bits as `sum_map` of the array of them. The MSE loss, the sum of
/// `(x - y)^2`, uses it: a read of `x` and `y`, and nothing written.
pub(crate) fn zip_sum(
    a: &[f32],
    b: &[f32],
    f: impl Fn(f32, f32) -> f32,
    g: impl Fn(f32) -> f32,
) -> f32 {
    debug_assert!(a.len() == b.len() && a.len() >= 16);
    let mut sums = [0.0f32; 8];
    let (a_blocks, b_blocks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_blocks.remainder().iter().zip(b_blocks.remainder());
    for (a, b) in a_blocks.zip(b_blocks) {
        let (a, b): (&[f32; 8], &[f32; 8]) = (a.try_into().unwrap(), b.try_into().unwrap());
        for i in 0..8 {
            sums[i] += g(f(a[i], b[i]));
        }
    }
    combine_running_sums(sums, tail.map(|(&a, &b)| g(f(a, b))))
}
}

simd_fn! {
/// [`zip_sum`] and, in the same pass, `h(f(a_i, b_i))` for every `i`: a sum and a map of the
/// same terms from one read of `a` and `b` (the same bits as `zip_sum` and as mapping apart).
/// The MSE loss of a step that will go backward gets the sum of `(x - y)^2` and its gradient's
/// numbers `2/n (x - y)` this way, so that backward does not read `x` and `y` again.
pub(crate) fn zip_sum_and_map(
    a: &[f32],
    b: &[f32],
    f: impl Fn(f32, f32) -> f32,
    g: impl Fn(f32) -> f32,
    h: impl Fn(f32) -> f32,
) -> (f32, Vec<f32>) {
    debug_assert!(a.len() == b.len() && a.len() >= 16);
    let mut sums = [0.0f32; 8];
    // Written in place (not pushed one by one, which the compiler does not vectorise, and not
    // zero-filled first, which would write everything twice).
    let mut mapped = Vec::with_capacity(a.len());
    let out = &mut mapped.spare_capacity_mut()[..a.len()];
    let (a_blocks, b_blocks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_blocks.remainder().iter().zip(b_blocks.remainder());
    let mut out_blocks = out.chunks_exact_mut(8);
    for ((a, b), out) in a_blocks.zip(b_blocks).zip(&mut out_blocks) {
        let (a, b): (&[f32; 8], &[f32; 8]) = (a.try_into().unwrap(), b.try_into().unwrap());
        let out: &mut [_; 8] = out.try_into().unwrap();
        for i in 0..8 {
            let t = f(a[i], b[i]);
            sums[i] += g(t);
            out[i].write(h(t));
        }
    }
    for (out, (&a, &b)) in out_blocks.into_remainder().iter_mut().zip(tail.clone()) {
        out.write(h(f(a, b)));
    }
    // SAFETY: the two loops above wrote all `a.len()` numbers, block by block, then the tail.
    unsafe { mapped.set_len(a.len()) };
    (combine_running_sums(sums, tail.map(|(&a, &b)| g(f(a, b)))), mapped)
}
}

simd_fn! {
/// For `d_i = norm (a_i - b_i)`: `(sum (a_i - b_i)^2, sum d_i x_i, sum d_i)` in one pass over
/// `a`, `b` and `x` (16 numbers or more), storing no `d_i`. The same lanes, blocks and
/// per-element expressions as [`zip_sum`] for the first and [`dot_and_sum`] of `(d, x)` for the
/// other two, so the same bits: an MSE loss over the one-number `Linear` `a = x w + b` gets its
/// own sum and that `Linear`'s gradient sums `dL/dw = d^T x`, `dL/db = sum d` from one read.
pub(crate) fn squares_dot_and_sum(a: &[f32], b: &[f32], x: &[f32], norm: f32) -> (f32, f32, f32) {
    debug_assert!(a.len() == b.len() && a.len() == x.len() && a.len() >= 16);
    let (mut squares, mut products, mut sums) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
    let (a_blocks, b_blocks, x_blocks) = (a.chunks_exact(8), b.chunks_exact(8), x.chunks_exact(8));
    let tail = a_blocks.remainder().iter().zip(b_blocks.remainder()).zip(x_blocks.remainder());
    let tail = tail.map(|((&a, &b), &x)| (a - b, x));
    for ((a, b), x) in a_blocks.zip(b_blocks).zip(x_blocks) {
        let (a, b): (&[f32; 8], &[f32; 8]) = (a.try_into().unwrap(), b.try_into().unwrap());
        let x: &[f32; 8] = x.try_into().unwrap();
        for i in 0..8 {
            let t = a[i] - b[i];
            squares[i] += t * t;
            let d = norm * t;
            products[i] += d * x[i];
            sums[i] += d;
        }
    }
    (
        combine_running_sums(squares, tail.clone().map(|(t, _)| t * t)),
        combine_running_sums(products, tail.clone().map(|(t, x)| (norm * t) * x)),
        combine_running_sums(sums, tail.map(|(t, _)| norm * t)),
    )
}
}

/// Finishes a sum the way ndarray's `sum()` (its `unrolled_fold`) does: eight running sums over
/// blocks of eight terms, then `((0 + (s0 + s4)) + (s1 + s5)) + ...`, then the at most seven
/// `tail` terms one by one. `sum_map` and `dot` give the same bits as that order. The eight
/// running sums do not depend on each other, so they live in one vector register.
#[inline(always)]
fn combine_running_sums(sums: [f32; 8], tail: impl Iterator<Item = f32>) -> f32 {
    // Seen through, this pairing (lane i with lane i + 4) makes the compiler keep the eight
    // sums as four pairs of two floats in the loop before it, instead of one vector of eight:
    // a sum over a million numbers took 2.4 times the instructions. `black_box` hides it.
    let sums = std::hint::black_box(sums);
    let sum = (0..4).fold(0.0, |sum, lane| sum + (sums[lane] + sums[lane + 4]));
    tail.fold(sum, |sum, t| sum + t)
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, ArrayD, Axis};

    use super::{
        dot, dot_and_sum, dot_columns, squares_dot_and_sum, sum_all, sum_along, sum_map, zip_sum,
        zip_sum_and_map,
    };

    #[test]
    fn fused_sums_give_the_bits_of_summing_the_stored_terms() {
        let value = |i: usize| ((i * 7919 % 1009) as f32 - 504.0) / 97.0;
        for n in [0, 1, 7, 15, 16, 17, 23, 64, 100, 1001] {
            let a: ArrayD<f32> = Array1::from_shape_fn(n, value).into_dyn();
            let b: ArrayD<f32> = Array1::from_shape_fn(n, |i| value(i + 3)).into_dyn();
            let square = |x: f32| x * x;
            let bits = |x: f32| x.to_bits();
            assert_eq!(
                bits(sum_map(&a, square)),
                bits(sum_all(&a.mapv(square))),
                "n = {n}"
            );
            let products = &a * &b;
            let (xs, ys) = (a.as_slice().unwrap(), b.as_slice().unwrap());
            // Under 16 terms a dot product adds left to right, as matmul does.
            let expected = match n {
                0..16 => products.iter().fold(0.0, |sum, &p| sum + p),
                _ => sum_all(&products),
            };
            assert_eq!(bits(dot(xs, ys)), bits(expected), "n = {n}");
            if n >= 16 {
                let (dot_ab, sum_a) = dot_and_sum(xs, ys);
                let expected = (bits(dot(xs, ys)), bits(sum_all(&a)));
                assert_eq!((bits(dot_ab), bits(sum_a)), expected, "n = {n}");
            }
            // The same products, column by column of a row-major [n, 3] matrix.
            let columns: Vec<f32> = (0..n * 3).map(|i| value(i / 3 + 7 * (i % 3))).collect();
            let by_column = dot_columns(&columns, 3, ys);
            for (j, &sum) in by_column.iter().enumerate() {
                let column: Vec<f32> = columns.iter().skip(j).step_by(3).copied().collect();
                assert_eq!(bits(sum), bits(dot(&column, ys)), "n = {n}, column {j}");
            }
            if n >= 16 {
                let sum = zip_sum(xs, ys, |a, b| a - b, square);
                let expected = &a - &b;
                assert_eq!(bits(sum), bits(sum_all(&expected.mapv(square))), "n = {n}");
                // The same sum, and the terms mapped on the way: 0.5 (a - b), stored.
                let (sum, halves) = zip_sum_and_map(xs, ys, |a, b| a - b, square, |d| 0.5 * d);
                assert_eq!(bits(sum), bits(sum_all(&expected.mapv(square))), "n = {n}");
                let expected: Vec<u32> = expected.iter().map(|&d| bits(0.5 * d)).collect();
                assert_eq!(
                    halves.iter().map(|&h| bits(h)).collect::<Vec<_>>(),
                    expected
                );
            }
        }
    }

    /// The loss-and-`Linear` pass gives the bits of the three separate passes it replaces: the
    /// loss's `zip_sum_and_map` (its sum, and `d = norm (a - b)` stored) then `dot_and_sum(d, x)`.
    #[test]
    fn squares_dot_and_sum_gives_the_bits_of_the_separate_passes() {
        let value = |i: usize| ((i * 7919 % 1009) as f32 - 504.0) / 97.0;
        for n in [16, 17, 23, 64, 100, 1001, 100_000] {
            let a: Vec<f32> = (0..n).map(value).collect();
            let b: Vec<f32> = (0..n).map(|i| value(i + 3) * 0.7).collect();
            let x: Vec<f32> = (0..n).map(|i| value(i + 11) * 1.3).collect();
            for norm in [(2.0 / n as f64) as f32, 2.0] {
                let (sum, d) = zip_sum_and_map(&a, &b, |a, b| a - b, |d| d * d, |d| norm * d);
                let (dw, db) = dot_and_sum(&d, &x);
                let fused = squares_dot_and_sum(&a, &b, &x, norm);
                let bits = |(s, w, b): (f32, f32, f32)| (s.to_bits(), w.to_bits(), b.to_bits());
                assert_eq!(bits(fused), bits((sum, dw, db)), "n = {n}, norm = {norm}");
            }
        }
    }

    #[test]
    fn sum_over_the_batch_gives_the_bits_of_ndarray() {
        let value = |i: usize| ((i * 7919 % 1009) as f32 - 504.0) / 97.0;
        for (n, m) in [(1, 1), (1000, 1), (3, 5), (1000, 64), (17, 16)] {
            let g = Array2::from_shape_fn((n, m), |(i, j)| value(i * m + j)).into_dyn();
            let expected = g.sum_axis(Axis(0));
            assert_eq!(sum_along(g.view(), 0), expected, "[{n}, {m}]");
            let bits = |a: &ArrayD<f32>| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&sum_along(g.view(), 0)), bits(&expected), "[{n}, {m}]");
            // A transposed view goes through ndarray itself.
            let t = g.t();
            assert_eq!(bits(&sum_along(t.view(), 0)), bits(&t.sum_axis(Axis(0))));
            assert_eq!(bits(&sum_along(g.view(), 1)), bits(&g.sum_axis(Axis(1))));
        }
    }
}
