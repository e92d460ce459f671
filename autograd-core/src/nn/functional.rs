//! The two fused ops behind `Linear` and `MSELoss`: PyTorch's `torch.nn.functional`.
//! Fused so that they round exactly as PyTorch does and print PyTorch's `grad_fn` names.

use std::sync::atomic::{AtomicBool, Ordering};

use ndarray::{ArrayD, Axis, Dimension, Ix2, IxDyn, Zip};

use crate::autograd::{is_grad_enabled, sum_to, Op, Saved};
use crate::broadcast::broadcast_shapes;
use crate::error::{torch_size, OrPanic, Result, TensorError};
use crate::kernels::{
    dot_and_sum, map, matmul_2d, sum_map, zip_broadcast, zip_map, zip_sum, zip_sum_and_map,
};
use crate::nn::{fused, Reduction};
use crate::tensor::Tensor;

/// Views a 1-D or 2-D array as a batch of rows, `[n, features]`.
fn rows(a: &ArrayD<f32>) -> ndarray::ArrayView2<'_, f32> {
    let rows = match a.ndim() {
        2 => a.view(),
        _ => a.view().insert_axis(Axis(0)),
    };
    rows.into_dimensionality::<Ix2>().unwrap()
}

/// `y = x W^T + b`: `F.linear(x, weight, bias)`. `x` is `[n, in]` or `[in]`, `weight` is
/// `[out, in]`, `bias` is `[out]`.
///
/// ```
/// use autograd_core::prelude::*;
/// let y = nn::functional::linear(&tensor!([[2.0]]), &tensor!([[3.0]]), Some(&tensor!([1.0])));
/// assert_eq!(y.item(), 7.0);
/// ```
#[track_caller]
pub fn linear(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    try_linear(input, weight, bias).or_panic()
}

/// [`linear`] returning an error instead of panicking.
///
/// ```
/// use autograd_core::prelude::*;
/// let err = nn::functional::try_linear(&Tensor::ones(&[6, 2]), &Tensor::ones(&[1, 1]), None).unwrap_err();
/// assert!(err.to_string().starts_with("mat1 and mat2 shapes cannot be multiplied (6x2 and 1x1)"));
/// ```
pub fn try_linear(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let (x_shape, w_shape) = (input.shape(), weight.shape());
    if x_shape.is_empty() || x_shape.len() > 2 || w_shape.len() != 2 {
        return Err(TensorError::Invalid(format!(
            "linear: expected input of shape [batch, in_features] or [in_features] and a 2-D weight, got {x_shape:?} and {w_shape:?}\n  \
             op: linear\n  \
             hint: a batch of n samples with one feature each has shape [n, 1]: try x.reshape(&[-1, 1])"
        )));
    }
    let (out_features, in_features) = (w_shape[0], w_shape[1]);
    if x_shape[x_shape.len() - 1] != in_features {
        let a = if x_shape.len() == 2 {
            x_shape.clone()
        } else {
            vec![1, x_shape[0]]
        };
        return Err(TensorError::Matmul {
            op: "linear",
            a,
            b: vec![in_features, out_features],
        });
    }
    if let Some(b) = bias {
        if b.shape() != [out_features] {
            broadcast_shapes("linear", &[out_features], &b.shape())?;
        }
    }
    // y = x W^T, then + b: two roundings, as PyTorch's addmm on the CPU.
    // One feature in, one out and one bias number: `y = (0 + x w) + b` in one pass, with the
    // same two roundings as the general path below.
    let one_pass = in_features == 1 && out_features == 1 && bias.is_some_and(|b| b.numel() == 1);
    let mut y = match bias {
        Some(b) if one_pass => {
            let w = weight.data().first().copied().unwrap();
            let b = b.data().first().copied().unwrap();
            // `map`, not ndarray's `mapv`, which the compiler does not vectorise.
            let x = input.data();
            map(&x, |x| (0.0 + x * w) + b)
                .into_shape_with_order((x.len(), 1))
                .unwrap()
        }
        _ => matmul_2d(rows(&input.data()), rows(&weight.data()).t()),
    };
    if let Some(b) = bias.filter(|_| !one_pass) {
        let b = b.data();
        match b.first() {
            Some(&b) if out_features == 1 => y.mapv_inplace(|y| y + b),
            _ => y += &b.view().into_shape_with_order(out_features).unwrap(),
        }
    }
    let out_shape = if x_shape.len() == 2 {
        vec![x_shape[0], out_features]
    } else {
        vec![out_features]
    };
    let data = y.into_shape_with_order(IxDyn(&out_shape)).unwrap();
    let name = match (x_shape.len(), bias.is_some()) {
        (2, true) => "AddmmBackward0",
        (2, false) => "MmBackward0",
        (_, true) => "UnsafeViewBackward0",
        (_, false) => "SqueezeBackward4",
    };
    let (x, w) = (Saved::new(input, name), Saved::new(weight, name));
    let (x_for_both, x_for_loss) = (x.clone(), x.clone());
    // dL/dx = G W,  dL/dW = G^T x,  dL/db = sum of G over the batch
    let grad_x = move |g: &ArrayD<f32>| {
        let dx = matmul_2d(rows(g), rows(&*w.value()?));
        Ok(dx.into_shape_with_order(IxDyn(&x_shape)).unwrap())
    };
    let grad_w = move |g: &ArrayD<f32>| Ok(matmul_2d(rows(g).t(), rows(&*x.value()?)).into_dyn());
    let op = Op::new(name, data);
    let needs_grad = |t: &Tensor| t.requires_grad() && is_grad_enabled();
    Ok(match bias {
        // The one-number layer, both parameters learning: one rule for all three inputs, so
        // that dL/dW and dL/db come from one pass over G and x (`dot_and_sum`, the same bits
        // as the two sums apart) instead of two passes over G.
        Some(b) if one_pass && needs_grad(weight) && needs_grad(b) => {
            let (b_shape, x_needs_grad) = (b.data().raw_dim(), needs_grad(input));
            let rule = move |g: &ArrayD<f32>| -> Result<Vec<Option<ArrayD<f32>>>> {
                let dx = if x_needs_grad { Some(grad_x(g)?) } else { None };
                let x = x_for_both.value()?;
                let (dw, db) = match (g.as_slice(), x.as_slice()) {
                    (Some(gs), Some(xs)) if gs.len() >= 16 => {
                        let (dw, db) = dot_and_sum(gs, xs);
                        let dw = ArrayD::from_elem(IxDyn(&[1, 1]), dw);
                        (dw, ArrayD::from_elem(b_shape.clone(), db))
                    }
                    _ => (
                        matmul_2d(rows(g).t(), rows(&x)).into_dyn(),
                        sum_to(g, b_shape.slice()),
                    ),
                };
                Ok(vec![dx, Some(dw), Some(db)])
            };
            let b_shape = b.data().raw_dim();
            let op = op.inputs_with_joint_rule(&[input, weight, b], Box::new(rule));
            // An MSE loss after it may make dL/dW and dL/db itself (speed only: nn/fused.rs).
            match x_needs_grad {
                false => op.fused(fused::one_pass_linear(&x_for_loss, b_shape)),
                true => op,
            }
        }
        Some(b) => {
            let b_shape = b.data().raw_dim();
            let grad_b = move |g: &ArrayD<f32>| Ok(sum_to(g, b_shape.slice()));
            op.input(input, grad_x)
                .input(weight, grad_w)
                .input(b, grad_b)
        }
        None => op.input(input, grad_x).input(weight, grad_w),
    }
    .build())
}

/// `d = input - target`, broadcast: the numbers the loss and its gradient are made of.
fn diff(input: &ArrayD<f32>, target: &ArrayD<f32>) -> Result<ArrayD<f32>> {
    zip_broadcast("mse_loss", input, target, |a, b| a - b)
}

/// The two inputs as slices of 16 numbers or more when they have the same shape and are stored
/// row by row (the usual case): then the loss and its gradient are single passes over them.
fn same_shape_slices<'a>(a: &'a ArrayD<f32>, b: &'a ArrayD<f32>) -> Option<(&'a [f32], &'a [f32])> {
    let slices = (a.as_slice()?, b.as_slice()?);
    (a.shape() == b.shape() && slices.0.len() >= 16).then_some(slices)
}

static WARNED_BROADCAST: AtomicBool = AtomicBool::new(false);

/// The mean (or sum, or element-wise) squared error: `F.mse_loss(input, target, reduction)`.
///
/// ```
/// use autograd_core::prelude::*;
/// use autograd_core::nn::{functional::mse_loss, Reduction};
/// let l = mse_loss(&tensor!([1.0, 2.0]), &tensor!([1.0, 4.0]), Reduction::Mean);
/// assert_eq!(l.item(), 2.0);
/// ```
#[track_caller]
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    try_mse_loss(input, target, reduction).or_panic()
}

/// [`mse_loss`] returning an error instead of panicking.
///
/// ```
/// use autograd_core::prelude::*;
/// use autograd_core::nn::{functional::try_mse_loss, Reduction};
/// assert!(try_mse_loss(&tensor!([1.0, 2.0]), &tensor!([1.0, 2.0, 3.0]), Reduction::Mean).is_err());
/// ```
pub fn try_mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let (input_shape, target_shape) = (input.shape(), target.shape());
    let shape = broadcast_shapes("mse_loss", &input_shape, &target_shape)?;
    if input_shape != target_shape && !WARNED_BROADCAST.swap(true, Ordering::Relaxed) {
        eprintln!(
            "UserWarning: Using a target size ({}) that is different to the input size ({}). \
             This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            torch_size(&target_shape),
            torch_size(&input_shape)
        );
    }
    // The number of squared differences: the size of the broadcast shape.
    let n: usize = shape.iter().product();
    // l = mean((x - y)^2);  dl/dx = 2/n (x - y),  dl/dy = -2/n (x - y)
    let norm = match reduction {
        Reduction::Mean => (2.0 / n as f64) as f32,
        _ => 2.0,
    };
    let records = is_grad_enabled() && (input.requires_grad() || target.requires_grad());
    // `norm (x - y)`, made by this forward pass when backward will want it (speed only).
    let mut scaled_diff = None;
    // Or, after the one-number `Linear`, that layer's gradient sums instead (nn/fused.rs).
    let mut after_linear = None;
    let data = {
        let (a, b) = (input.data(), target.data());
        let sum_of_squares = match (reduction, same_shape_slices(&a, &b)) {
            (Reduction::None, _) => None,
            // One read of both for the loss and the numbers of its gradient, which backward
            // would otherwise make in a second read of both (a million points: 8 MB).
            (_, Some((xs, ys))) if records => {
                match fused::mse_after_linear(input, target, xs, ys, norm) {
                    Some((sum, shortcut)) => {
                        after_linear = Some(shortcut);
                        Some(sum)
                    }
                    None => {
                        let (sum, d) =
                            zip_sum_and_map(xs, ys, |a, b| a - b, |d| d * d, |d| norm * d);
                        scaled_diff = Some(ArrayD::from_shape_vec(a.raw_dim(), d).unwrap());
                        Some(sum)
                    }
                }
            }
            // Nothing to keep: one read of both, nothing written.
            (_, Some((xs, ys))) => Some(zip_sum(xs, ys, |a, b| a - b, |d| d * d)),
            (_, None) => Some(sum_map(&diff(&a, &b)?, |d| d * d)),
        };
        match (reduction, sum_of_squares) {
            (Reduction::Mean, Some(sum)) => ArrayD::from_elem(IxDyn(&[]), sum / n as f32),
            (Reduction::Sum, Some(sum)) => ArrayD::from_elem(IxDyn(&[]), sum),
            _ => diff(&a, &b)?.mapv(|d| d * d),
        }
    };
    // As PyTorch, the rule keeps the input and the target: changing either in place before
    // backward is an error. It also holds `scaled_diff` until the first backward takes it
    // (none after the one-number `Linear`: its gradient sums are all backward needs there).
    let name = "MseLossBackward0";
    let (x, y) = (Saved::new(input, name), Saved::new(target, name));
    let scaled_diff = std::cell::RefCell::new(scaled_diff);
    let grad_input = move |g: &ArrayD<f32>| -> Result<ArrayD<f32>> {
        let (a, b) = (x.value()?, y.value()?);
        if g.len() == 1 {
            // The usual case: `g` is the gradient of a mean or a sum, one number.
            let g = g.first().copied().unwrap();
            // `norm (x - y) g`, rounded as below: the forward pass made `norm (x - y)`, and
            // `* 1` (a loss's own backward) changes no bit. Taken once; a second backward
            // (retain_graph) computes it again from `x` and `y`.
            if let Some(mut d) = scaled_diff.take() {
                if g != 1.0 {
                    d.mapv_inplace(|d| d * g);
                }
                return Ok(d);
            }
            if a.shape() == b.shape() {
                return Ok(zip_map(&a, &b, |a, b| norm * (a - b) * g));
            }
            return Ok(map(&diff(&a, &b)?, |d| norm * d * g));
        }
        Ok(Zip::from(&diff(&a, &b)?)
            .and(g)
            .map_collect(|&d, &g| norm * d * g))
    };
    let grad_input = std::rc::Rc::new(grad_input);
    let grad_target = grad_input.clone();
    let op = Op::new(name, data)
        .input(input, move |g| grad_input(g))
        .input(target, move |g| Ok(-grad_target(g)?));
    Ok(match after_linear {
        Some(shortcut) => op.fused(shortcut),
        None => op,
    }
    .build())
}

/// The curvatures of the loss surface of a line fit, smallest first: the eigenvalues of the
/// Hessian of `L(w, b) = mean((w·x + b - y)²)` over `(w, b)`, which is
/// `H = 2·[[mean(x²), mean(x)], [mean(x), 1]]` and depends on `x` alone. Their ratio, the
/// condition number, says how long and thin the bowl is: the learning rate must stay under
/// `2/λ_max`, and along the flattest axis the distance to the minimum then shrinks by only
/// `1 - lr·λ_min` per step (lessons 04 and 05: an `x` that is not centred, or not scaled,
/// makes the intercept slow). In f64, from the trace and determinant of `H`.
///
/// ```
/// use autograd_core::prelude::*;
/// use autograd_core::nn::functional::line_fit_curvatures;
/// // x centred: H = 2·diag(mean(x²), 1) = diag(8, 2)
/// assert_eq!(line_fit_curvatures(&tensor!([[-2.0], [2.0]])), (2.0, 8.0));
/// // x = 1..8 (mean 4): the eigenvalues keep H's trace 2·(mean(x²) + 1) and determinant
/// // 4·(mean(x²) - mean(x)²), with mean(x²) = 130/6; the condition number is about 89
/// let (low, high) = line_fit_curvatures(&tensor!([[1.0], [2.0], [3.0], [4.0], [6.0], [8.0]]));
/// let m2 = 130.0 / 6.0;
/// assert!((low + high - 2.0 * (m2 + 1.0)).abs() < 1e-9 && (low * high - 4.0 * (m2 - 16.0)).abs() < 1e-9);
/// assert!((high / low - 88.655).abs() < 1e-3);
/// ```
pub fn line_fit_curvatures(x: &Tensor) -> (f64, f64) {
    let xs = x.to_vec();
    let n = xs.len() as f64;
    let m1 = xs.iter().map(|&v| v as f64).sum::<f64>() / n;
    let m2 = xs.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / n;
    // λ = tr/2 ± sqrt((tr/2)² - det), with tr/2 = m2 + 1 and det = 4 (m2 - m1²)
    let (half_trace, det) = (m2 + 1.0, 4.0 * (m2 - m1 * m1));
    let r = (half_trace * half_trace - det).max(0.0).sqrt();
    (half_trace - r, half_trace + r)
}

#[cfg(test)]
mod tests {
    use super::{linear, mse_loss};
    use crate::nn::Reduction;
    use crate::prelude::*;

    /// The loss's gradient made by the forward pass (for the backward to come) has the bits of
    /// `2/n (x - y) g` rounded as the rule writes it: for the loss itself (`g = 1`), for a
    /// scaled loss (`g = 3`), for the target's gradient, and for a second backward through
    /// the same graph, which computes it again from `x` and `y`.
    #[test]
    fn mse_gradient_made_by_the_forward_pass_has_the_bits_of_the_rule() {
        let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for (n, g) in [(15, 1.0), (16, 1.0), (17, 3.0), (1001, 1.0), (1001, 3.0)] {
            manual_seed(n as u64);
            let x = Tensor::randn(&[n, 1]).requires_grad_(true);
            let y = Tensor::randn(&[n, 1]).requires_grad_(true);
            let norm = (2.0 / n as f64) as f32;
            let (xs, ys) = (x.to_vec(), y.to_vec());
            let rule: Vec<f32> = xs
                .iter()
                .zip(&ys)
                .map(|(a, b)| norm * (a - b) * g)
                .collect();
            let expected = bits(&Tensor::from_vec(rule, &[n, 1]));
            let l = &mse_loss(&x, &y, Reduction::Mean) * g;
            for pass in ["first", "second"] {
                l.backward_retain_graph();
                assert_eq!(
                    bits(&x.grad().unwrap()),
                    expected,
                    "n = {n}, {pass} backward"
                );
                let minus: Vec<u32> = bits(&-y.grad().unwrap());
                assert_eq!(minus, expected, "n = {n}, target, {pass} backward");
                x.set_grad(None);
                y.set_grad(None);
            }
        }
    }

    /// The one-number `Linear` (one pass forward, one shared pass for both parameter gradients)
    /// gives the bits of the same step through the general ops (`matmul`, `+`, their own rules),
    /// for sizes around the 8-lane blocks and the 16-number threshold.
    #[test]
    fn one_number_linear_gives_the_bits_of_the_general_ops() {
        let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for n in [1, 7, 15, 16, 17, 100, 1001] {
            manual_seed(n as u64);
            let (x, y) = (Tensor::randn(&[n, 1]), Tensor::randn(&[n, 1]));
            let (x1, x2) = (
                x.detach().requires_grad_(true),
                x.detach().requires_grad_(true),
            );
            let w = Tensor::randn(&[1, 1]).requires_grad_(true);
            let b = Tensor::randn(&[1]).requires_grad_(true);
            let l = mse_loss(&linear(&x1, &w, Some(&b)), &y, Reduction::Mean);
            l.backward();
            let (w2, b2) = (
                w.detach().requires_grad_(true),
                b.detach().requires_grad_(true),
            );
            let l2 = mse_loss(&(&x2.matmul(&w2.t()) + &b2), &y, Reduction::Mean);
            l2.backward();
            assert_eq!(
                bits(&x1.grad().unwrap()),
                bits(&x2.grad().unwrap()),
                "dx, n = {n}"
            );
            assert_eq!(bits(&l), bits(&l2), "loss, n = {n}");
            assert_eq!(
                bits(&w.grad().unwrap()),
                bits(&w2.grad().unwrap()),
                "dw, n = {n}"
            );
            assert_eq!(
                bits(&b.grad().unwrap()),
                bits(&b2.grad().unwrap()),
                "db, n = {n}"
            );
            // Only the bias learns (a frozen weight): its gradient alone, the same bits.
            let b3 = b.detach().requires_grad_(true);
            mse_loss(&linear(&x, &w.detach(), Some(&b3)), &y, Reduction::Mean).backward();
            assert_eq!(
                bits(&b3.grad().unwrap()),
                bits(&b.grad().unwrap()),
                "db alone, n = {n}"
            );
        }
    }
}
