//! The matrix product, summed in PyTorch's order, in tiles of 4 x 16 sums held in registers.

use ndarray::{Array2, ArrayView2};

use super::simd::simd_fn;
use super::sums::{dot, dot_columns};

simd_fn! {
/// `C = A B`, each `C[i][j]` summed over `k` left to right from rounded products, which is what
/// PyTorch's CPU matmul gives for the small matrices of the lessons (ndarray's `dot` fuses and
/// reorders). A column vector `B` is the exception: each `C[i]` is then a dot product, which
/// uses eight running sums from 16 terms on.
///
/// ```
/// use autograd_core::{matmul_f32, ndarray::array};
/// let c = matmul_f32(array![[1.0, 2.0], [3.0, 4.0]].view(), array![[1.0], [1.0]].view());
/// assert_eq!(c, array![[3.0], [7.0]]);
/// ```
pub fn matmul_2d(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    let (n, k, m) = (a.nrows(), a.ncols(), b.ncols());
    if k == 1 && m == 1 {
        // A batch of single numbers times one weight, `x w`: each C[i] = 0 + A[i] B, where
        // `0 +`, like the sum that starts from zero, turns -0 into 0.
        let w = b[[0, 0]];
        return a.mapv(|a| 0.0 + a * w);
    }
    let mut c = vec![0.0; n * m];
    if k > 0 && m == 1 {
        // B is one column: each C[i] is the dot product of row i of A with it. A transposed
        // A, as in `G^T x`, holds its rows as the columns of its numbers.
        let (a, b) = (Strided::new(a), b.as_standard_layout());
        let b = b.as_slice().unwrap();
        if !a.row_major() {
            return Array2::from_shape_vec((n, 1), dot_columns(&a.data, n, b)).unwrap();
        }
        for (c, a_row) in c.iter_mut().zip(a.data.chunks_exact(k)) {
            *c = dot(a_row, b);
        }
    } else if k > 0 && m > 0 {
        let a = Strided::new(a);
        let b = b.as_standard_layout();
        let b = b.as_slice().unwrap();
        // Rows of C by whole tiles while they last, each tile's sums held in registers
        // through the whole sum over k; then whatever rows and columns are left, one by one.
        let tiled_rows = n - n % TILE_ROWS;
        let mut a_panel = vec![[0.0; TILE_ROWS]; k];
        for i0 in (0..tiled_rows).step_by(TILE_ROWS) {
            a.pack_rows(i0, &mut a_panel);
            let mut j0 = 0;
            while j0 + TILE_COLS <= m {
                let sums = tile(&a_panel, b, m, j0);
                for (r, sums) in sums.iter().enumerate() {
                    c[(i0 + r) * m + j0..][..TILE_COLS].copy_from_slice(sums);
                }
                j0 += TILE_COLS;
            }
            for i in (i0..i0 + TILE_ROWS).filter(|_| j0 < m) {
                add_products(&mut c[i * m..][j0..m], |kk| a.at(i, kk), b, m, j0);
            }
        }
        for i in tiled_rows..n {
            add_products(&mut c[i * m..][..m], |kk| a.at(i, kk), b, m, 0);
        }
    }
    Array2::from_shape_vec((n, m), c).unwrap()
}
}

/// How many rows and columns of `C` one [`tile`] computes: its 4 x 16 sums fill 8 of the 16
/// AVX2 registers (4 of AVX-512's 32), so they stay there for the whole sum over `k` instead of
/// being loaded and stored again at each step; each `k` then costs two loads of `B` (one with
/// AVX-512) and four of `A` for 64 multiply-adds.
const TILE_ROWS: usize = 4;
const TILE_COLS: usize = 16;

/// `C[i0 + r][j0 + c] = sum over k of A[i0 + r][k] B[k][j0 + c]`, left to right, for one tile;
/// `a_panel[k]` holds the tile's rows of `A` at `k`, and `B` is row-major with `m` columns.
#[inline(always)]
fn tile(
    a_panel: &[[f32; TILE_ROWS]],
    b: &[f32],
    m: usize,
    j0: usize,
) -> [[f32; TILE_COLS]; TILE_ROWS] {
    let mut sums = [[0.0; TILE_COLS]; TILE_ROWS];
    for (a_k, b_row) in a_panel.iter().zip(b.chunks_exact(m)) {
        let b_k: &[f32; TILE_COLS] = b_row[j0..][..TILE_COLS].try_into().unwrap();
        for (sums_row, &a_ik) in sums.iter_mut().zip(a_k) {
            for (sum, &b_kj) in sums_row.iter_mut().zip(b_k) {
                *sum += a_ik * b_kj;
            }
        }
    }
    sums
}

/// One row of `C` from column `j0` on, `c_row += A[i][k] B[k][j0..]` for k in order: the same
/// sums as [`tile`], for the rows and columns no whole tile covers.
#[inline(always)]
fn add_products(c_row: &mut [f32], a_i: impl Fn(usize) -> f32, b: &[f32], m: usize, j0: usize) {
    for (kk, b_row) in b.chunks_exact(m).enumerate() {
        let a_ik = a_i(kk);
        c_row
            .iter_mut()
            .zip(&b_row[j0..])
            .for_each(|(c, &b)| *c += a_ik * b);
    }
}

/// `A`'s numbers as one slice and two strides: row-major, or column-major (a transposed view,
/// as in the weight gradient `G^T x`) without copying; any other layout is copied.
struct Strided<'a> {
    data: std::borrow::Cow<'a, [f32]>,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Strided<'a> {
    #[inline(always)]
    fn new(a: ArrayView2<'a, f32>) -> Self {
        let (n, k) = a.dim();
        if let Some(data) = a.to_slice() {
            Strided {
                data: data.into(),
                row_stride: k,
                col_stride: 1,
            }
        } else if let Some(data) = a.reversed_axes().to_slice() {
            Strided {
                data: data.into(),
                row_stride: 1,
                col_stride: n,
            }
        } else {
            let data = a
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0;
            Strided {
                data: data.into(),
                row_stride: k,
                col_stride: 1,
            }
        }
    }

    /// `panel[k] = [A[i0][k], A[i0 + 1][k], ...]` for the `TILE_ROWS` rows from `i0`.
    #[inline(always)]
    fn pack_rows(&self, i0: usize, panel: &mut [[f32; TILE_ROWS]]) {
        let k = panel.len();
        if self.row_major() {
            let rows: [&[f32]; TILE_ROWS] =
                std::array::from_fn(|r| &self.data[(i0 + r) * self.row_stride..][..k]);
            for (kk, a_k) in panel.iter_mut().enumerate() {
                *a_k = std::array::from_fn(|r| rows[r][kk]);
            }
        } else {
            for (a_k, column) in panel.iter_mut().zip(self.data.chunks(self.col_stride)) {
                a_k.copy_from_slice(&column[i0..][..TILE_ROWS]);
            }
        }
    }

    /// Whether `data` holds `A` row by row (else column by column).
    #[inline(always)]
    fn row_major(&self) -> bool {
        self.col_stride == 1
    }

    #[inline(always)]
    fn at(&self, i: usize, k: usize) -> f32 {
        self.data[i * self.row_stride + k * self.col_stride]
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::matmul_2d;

    /// `C[i][j] = ((0 + A[i][0] B[0][j]) + A[i][1] B[1][j]) + ...`, the order `matmul_2d` promises.
    fn left_to_right(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f32> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols()).fold(0.0, |sum, k| sum + a[[i, k]] * b[[k, j]])
        })
    }

    #[test]
    fn a_column_b_gives_the_same_bits_whatever_the_layout_of_a() {
        let value = |seed: usize| ((seed * 7919 % 1009) as f32 - 504.0) / 97.0;
        for (n, k) in [(1, 3), (5, 9), (7, 20), (64, 1000)] {
            let a = Array2::from_shape_fn((n, k), |(i, j)| value(i * 31 + j));
            let b = Array2::from_shape_fn((k, 1), |(i, _)| value(i * 17 + 5));
            let expected = matmul_2d(a.view(), b.view());
            let a_t = a.t().as_standard_layout().into_owned();
            let bits = |c: &Array2<f32>| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&matmul_2d(a_t.t(), b.view())),
                bits(&expected),
                "{n}x{k}"
            );
        }
    }

    #[test]
    fn matmul_adds_left_to_right_whatever_the_layout() {
        let value = |seed: usize| ((seed * 7919 % 1009) as f32 - 504.0) / 97.0;
        for (n, k, m) in [
            (1, 3, 2),
            (4, 1, 8),
            (5, 7, 9),
            (9, 64, 17),
            (13, 33, 24),
            (3, 2, 5),
            (64, 1000, 64),
            (1000, 1, 64),
        ] {
            let a = Array2::from_shape_fn((n, k), |(i, j)| value(i * 31 + j));
            let b = Array2::from_shape_fn((k, m), |(i, j)| value(i * 17 + j + 5));
            let expected = left_to_right(&a, &b);
            assert_eq!(matmul_2d(a.view(), b.view()), expected, "{n}x{k} @ {k}x{m}");
            // A as a transposed view, as in the weight gradient `G^T x`.
            let a_t = a.t().as_standard_layout().into_owned();
            assert_eq!(matmul_2d(a_t.t(), b.view()), expected, "transposed A");
            // A as every other column of a wider matrix: neither row- nor column-major.
            let wide = Array2::from_shape_fn((n, 2 * k), |(i, j)| a[[i, j / 2]]);
            let a_strided = wide.slice(ndarray::s![.., ..;2]);
            assert_eq!(matmul_2d(a_strided, b.view()), expected, "strided A");
            // B transposed, as in the forward pass `x W^T`.
            let b_t = b.t().as_standard_layout().into_owned();
            assert_eq!(matmul_2d(a.view(), b_t.t()), expected, "transposed B");
        }
    }
}
