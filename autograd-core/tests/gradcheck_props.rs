//! Every op's gradient checked against a central finite difference computed in f64, on random
//! shapes (broadcasting included) and random values: PyTorch's `gradcheck`, as properties.
//!
//! One case of one op:
//! 1. draw the inputs `x` (f32) and a weight `R` of the output's shape;
//! 2. autograd: `L = sum(op(x) * R)`, `L.backward()`, read every input's `.grad()`. The weight
//!    makes every element of a non-scalar output count, each with its own factor, so a gradient
//!    rule that mixes up output elements is caught too;
//! 3. numerics: the same `L` from a small f64 re-implementation of the op (`reference`, written
//!    with ndarray only, independent of the crate), at each input element moved by `±h`:
//!    `dL/dx ≈ (L(x + h) - L(x - h)) / 2h`;
//! 4. compare, element by element.
//!
//! Tolerance, `|analytic - numeric| <= 1e-3 * max(1, |numeric|)` (absolute below 1, relative
//! above):
//! - the numeric side is accurate to far better than that: it is computed in f64 at exactly the
//!   f32 input values, with `h = 1e-6 * max(1, |x|)`; its truncation error is about
//!   `h^2 / 6 * |L'''| ~ 1e-12` (every op here is smooth where it is evaluated), and its rounding
//!   error about `eps64 * |L| / h ~ 2e-16 * 1e3 / 1e-6 = 2e-7` for the largest `|L|` reached here;
//! - the analytic side is f32: every op rounds at `eps32 ~ 6e-8` relative, and a gradient summed
//!   over a broadcast or a matrix product adds up at most a few dozen such terms of magnitude
//!   <= ~20, so its error stays below `50 * 20 * 6e-8 ~ 1e-4` even where terms cancel. The
//!   largest error seen over many runs is about 2e-6 (absolute, or relative above 1);
//! - a wrong rule is off by O(1): a flipped sign, a missing factor 2 or 1/n, a transposed
//!   matrix, a broadcast gradient not summed back, or `1 - y^2` for `1 + y^2`. `1e-3` sits 500x
//!   above the rounding seen, and still catches a rule that is only 1% off (tried: the weight
//!   gradient of `linear` scaled by 1.01, in a scratch copy of the crate).
//!
//! Inputs stay where every op is smooth: uniform(-2, 2); positive (0.2..2) for `log`, `sqrt`
//! and `pow`; at least 0.1 away from 0 for `abs` and `relu`; at least 0.5 away for divisors.
//! Random sizes are 1..=3 per dimension (the fixed broadcasting cases and matmul go to 4) and at
//! most 3 dimensions, so the file runs in a few seconds.

use autograd_core::nn::functional as F;
use autograd_core::nn::Reduction;
use autograd_core::prelude::*;
use ndarray::{ArrayD, Axis, Ix1, Ix2, IxDyn, Zip};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

type A64 = ArrayD<f64>;

/// Cases per property.
const CASES: u32 = 256;
/// See the module comment.
const TOLERANCE: f64 = 1e-3;

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(CASES);
    // A failing case is printed with its inputs; do not write regression files into tests/.
    config.failure_persistence = None;
    config
}

fn close(analytic: f64, numeric: f64) -> bool {
    (analytic - numeric).abs() <= TOLERANCE * numeric.abs().max(1.0)
}

// ----- the check ------------------------------------------------------------------------------

/// A weight in [-1, 1] (multiples of 1/256, exact in f32 and f64) for each output element,
/// from `seed`, by splitmix64.
fn weights(seed: u64, shape: &[usize]) -> ArrayD<f32> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let numel = shape.iter().product();
    let data = (0..numel)
        .map(|_| (next() % 513) as f32 / 256.0 - 1.0)
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

/// Checks every input's gradient of `sum(op(x) * R)` against the central difference of the
/// same sum computed with `reference` in f64. `op` must use the tensors it is given (all of
/// them require grad); `reference` gets the same inputs widened to f64.
fn gradcheck(
    name: &str,
    inputs: &[ArrayD<f32>],
    seed: u64,
    op: impl Fn(&[Tensor]) -> Tensor,
    reference: impl Fn(&[A64]) -> A64,
) -> std::result::Result<(), TestCaseError> {
    let tensors: Vec<Tensor> = inputs
        .iter()
        .map(|a| Tensor::from_array(a.clone()).requires_grad_(true))
        .collect();
    let out = op(&tensors);
    let x64: Vec<A64> = inputs
        .iter()
        .map(|a| a.as_standard_layout().mapv(f64::from))
        .collect();

    // The forward values, as a sanity check of the reference itself.
    let expected = reference(&x64);
    prop_assert_eq!(
        out.shape(),
        expected.shape().to_vec(),
        "{}: output shape",
        name
    );
    for (i, (&got, &want)) in out.to_vec().iter().zip(expected.iter()).enumerate() {
        prop_assert!(
            close(f64::from(got), want),
            "{}: forward element {}: crate {} vs f64 reference {}",
            name,
            i,
            got,
            want
        );
    }

    let r = weights(seed, &out.shape());
    (&out * &Tensor::from_array(r.clone())).sum().backward();
    let r64 = r.mapv(f64::from);
    let objective = |x: &[A64]| (&reference(x) * &r64).sum();

    let mut x = x64.clone();
    for (k, t) in tensors.iter().enumerate() {
        let grad = t
            .grad()
            .ok_or_else(|| TestCaseError::fail(format!("{name}: input {k} got no gradient")))?;
        prop_assert_eq!(
            grad.shape(),
            inputs[k].shape().to_vec(),
            "{}: gradient shape of input {}",
            name,
            k
        );
        for (j, &analytic) in grad.to_vec().iter().enumerate() {
            let x0 = x[k].as_slice().unwrap()[j];
            let h = 1e-6 * x0.abs().max(1.0);
            let (up, down) = (x0 + h, x0 - h);
            x[k].as_slice_mut().unwrap()[j] = up;
            let l_up = objective(&x);
            x[k].as_slice_mut().unwrap()[j] = down;
            let l_down = objective(&x);
            x[k].as_slice_mut().unwrap()[j] = x0;
            let numeric = (l_up - l_down) / (up - down);
            prop_assert!(
                close(f64::from(analytic), numeric),
                "{}: d/d input {} element {} (input shapes {:?}): autograd {} vs numeric {}",
                name,
                k,
                j,
                inputs
                    .iter()
                    .map(|a| a.shape().to_vec())
                    .collect::<Vec<_>>(),
                analytic,
                numeric
            );
        }
    }
    Ok(())
}

// ----- the f64 reference ----------------------------------------------------------------------

/// NumPy's broadcast shape, written out again so the reference does not lean on the crate.
fn broadcast_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| (i + s.len()).checked_sub(n).map_or(1, |j| s[j]);
    (0..n)
        .map(|i| {
            let (x, y) = (at(a, i), at(b, i));
            assert!(x == y || x == 1 || y == 1, "reference: {a:?} vs {b:?}");
            x.max(y)
        })
        .collect()
}

/// `f(a, b)` element by element, broadcasting both.
fn zip(a: &A64, b: &A64, f: impl Fn(f64, f64) -> f64) -> A64 {
    let shape = IxDyn(&broadcast_shape(a.shape(), b.shape()));
    let (a, b) = (
        a.broadcast(shape.clone()).unwrap(),
        b.broadcast(shape).unwrap(),
    );
    Zip::from(&a).and(&b).map_collect(|&x, &y| f(x, y))
}

fn scalar(v: f64) -> A64 {
    ArrayD::from_elem(IxDyn(&[]), v)
}

/// Sums over `dims` (possibly negative); a 0-dimensional input stays as it is.
fn sum_dims(a: &A64, dims: &[isize], keepdim: bool) -> A64 {
    let n = a.ndim() as isize;
    if n == 0 {
        return a.clone();
    }
    let mut axes: Vec<usize> = dims
        .iter()
        .map(|&d| if d < 0 { d + n } else { d } as usize)
        .collect();
    axes.sort_unstable();
    let mut out = a.clone();
    for &axis in axes.iter().rev() {
        out = out.sum_axis(Axis(axis));
    }
    if keepdim {
        for &axis in &axes {
            out = out.insert_axis(Axis(axis));
        }
    }
    out
}

fn reduced_count(shape: &[usize], dims: &[isize]) -> f64 {
    let n = shape.len() as isize;
    if n == 0 {
        return 1.0;
    }
    dims.iter()
        .map(|&d| shape[if d < 0 { d + n } else { d } as usize] as f64)
        .product()
}

/// `a @ b` for vectors and matrices, with ndarray's `dot`.
fn matmul64(a: &A64, b: &A64) -> A64 {
    fn m(x: &A64) -> ndarray::ArrayView2<'_, f64> {
        x.view().into_dimensionality::<Ix2>().unwrap()
    }
    fn v(x: &A64) -> ndarray::ArrayView1<'_, f64> {
        x.view().into_dimensionality::<Ix1>().unwrap()
    }
    match (a.ndim(), b.ndim()) {
        (2, 2) => m(a).dot(&m(b)).into_dyn(),
        (2, 1) => m(a).dot(&v(b)).into_dyn(),
        (1, 2) => v(a).dot(&m(b)).into_dyn(),
        (1, 1) => scalar(v(a).dot(&v(b))),
        _ => unreachable!(),
    }
}

/// `x W^T + b`, `x` of shape `[n, in]` or `[in]`.
fn linear64(x: &A64, w: &A64, b: Option<&A64>) -> A64 {
    let y = matmul64(x, &w.t().to_owned());
    match b {
        Some(b) => zip(&y, b, |y, b| y + b),
        None => y,
    }
}

fn mse64(a: &A64, b: &A64, reduction: Reduction) -> A64 {
    let squared = zip(a, b, |a, b| (a - b) * (a - b));
    match reduction {
        Reduction::Mean => scalar(squared.mean().unwrap()),
        Reduction::Sum => scalar(squared.sum()),
        Reduction::None => squared,
    }
}

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

// ----- strategies -----------------------------------------------------------------------------

/// A shape of up to `max_ndim` dimensions, each of size 1..=3 (0 dimensions is a scalar).
fn shape(max_ndim: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(1usize..=3, 0..=max_ndim)
}

/// An array of `shape` filled from `element`.
fn array<S>(shape: Vec<usize>, element: S) -> impl Strategy<Value = ArrayD<f32>>
where
    S: Strategy<Value = f32> + Clone,
{
    let numel: usize = shape.iter().product();
    vec(element, numel).prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap())
}

fn any_value() -> impl Strategy<Value = f32> + Clone {
    -2.0f32..2.0
}

fn positive() -> impl Strategy<Value = f32> + Clone {
    0.2f32..2.0
}

/// `min <= |x| < 2`, either sign.
fn away_from_zero(min: f32) -> impl Strategy<Value = f32> + Clone {
    (min..2.0f32, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
}

/// Two shapes that broadcast together: the lesson's cases, and random ones made from a common
/// output shape by dropping leading dimensions and setting others to 1; in either order.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let fixed = prop_oneof![
        Just((vec![3, 1], vec![4])),
        Just((vec![], vec![2, 3])),
        Just((vec![2, 1, 3], vec![4, 1])),
        Just((vec![2, 3], vec![2, 3])),
    ];
    let random = shape(3)
        .prop_flat_map(|out| {
            let n = out.len();
            (
                Just(out),
                0..=n,
                0..=n,
                vec(any::<bool>(), n),
                vec(any::<bool>(), n),
            )
        })
        .prop_map(|(out, drop_a, drop_b, ones_a, ones_b)| {
            let make = |drop: usize, ones: &[bool]| -> Vec<usize> {
                out.iter()
                    .zip(ones)
                    .skip(drop)
                    .map(|(&d, &one)| if one { 1 } else { d })
                    .collect()
            };
            (make(drop_a, &ones_a), make(drop_b, &ones_b))
        });
    (prop_oneof![1 => fixed, 3 => random], any::<bool>()).prop_map(|((a, b), swap)| {
        if swap {
            (b, a)
        } else {
            (a, b)
        }
    })
}

/// Two arrays of broadcastable shapes, with elements from `ea` and `eb`.
fn broadcast_arrays<S, T>(ea: S, eb: T) -> impl Strategy<Value = (ArrayD<f32>, ArrayD<f32>)>
where
    S: Strategy<Value = f32> + Clone + 'static,
    T: Strategy<Value = f32> + Clone + 'static,
{
    broadcast_pair().prop_flat_map(move |(sa, sb)| (array(sa, ea.clone()), array(sb, eb.clone())))
}

/// A non-empty list of distinct dimensions of a rank-`ndim` tensor, each possibly negative.
/// (A scalar accepts 0 and -1, as in PyTorch.)
fn dims_of(ndim: usize) -> impl Strategy<Value = Vec<isize>> {
    let rank = ndim.max(1);
    (vec(any::<bool>(), rank), vec(any::<bool>(), rank), 0..rank).prop_map(
        move |(chosen, negative, fallback)| {
            let mut dims: Vec<isize> = (0..rank)
                .filter(|&d| chosen[d])
                .map(|d| d as isize)
                .collect();
            if dims.is_empty() {
                // An empty list means "every dimension" in PyTorch but nothing here: avoid it.
                dims.push(fallback as isize);
            }
            dims.iter()
                .map(|&d| {
                    if negative[d as usize] {
                        d - rank as isize
                    } else {
                        d
                    }
                })
                .collect()
        },
    )
}

/// The shapes of `a @ b` in each of the four forms `matmul` accepts.
fn matmul_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (1usize..=4, 1usize..=4, 1usize..=4, 0..4).prop_map(|(n, k, m, form)| match form {
        0 => (vec![n, k], vec![k, m]), // mm
        1 => (vec![n, k], vec![k]),    // mv
        2 => (vec![k], vec![k]),       // dot
        _ => (vec![k], vec![k, m]),    // vector @ matrix
    })
}

fn matmul_arrays() -> impl Strategy<Value = (ArrayD<f32>, ArrayD<f32>)> {
    matmul_shapes().prop_flat_map(|(sa, sb)| (array(sa, any_value()), array(sb, any_value())))
}

/// `(x, weight, bias)` for `linear`: `x` is `[n, in]` or `[in]`, `bias` is `[out]` or absent.
#[allow(clippy::type_complexity)]
fn linear_arrays() -> impl Strategy<Value = (ArrayD<f32>, ArrayD<f32>, Option<ArrayD<f32>>)> {
    (
        1usize..=4,
        1usize..=4,
        1usize..=4,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(n, fan_in, fan_out, batched, with_bias)| {
            let x_shape = if batched {
                vec![n, fan_in]
            } else {
                vec![fan_in]
            };
            let bias = if with_bias {
                array(vec![fan_out], any_value()).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            (
                array(x_shape, any_value()),
                array(vec![fan_out, fan_in], any_value()),
                bias,
            )
        })
}

fn reductions() -> impl Strategy<Value = Reduction> {
    select(vec![Reduction::Mean, Reduction::Sum, Reduction::None])
}

/// A shape with the same number of elements as `shape`: its sizes shuffled, maybe a 1 inserted,
/// and maybe one size replaced by -1.
fn reshape_target(shape: Vec<usize>) -> impl Strategy<Value = Vec<isize>> {
    let n = shape.len();
    (
        Just(shape).prop_shuffle(),
        any::<bool>(),
        0..=n,
        any::<bool>(),
        0..=n,
    )
        .prop_map(|(mut dims, insert_one, at, infer, which)| {
            if insert_one || dims.is_empty() {
                dims.insert(at.min(dims.len()), 1);
            }
            let mut target: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
            if infer {
                let i = which.min(target.len() - 1);
                target[i] = -1;
            }
            target
        })
}

/// `target` with the -1 resolved.
fn resolve(target: &[isize], numel: usize) -> Vec<usize> {
    let known: usize = target
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    target
        .iter()
        .map(|&d| if d < 0 { numel / known } else { d as usize })
        .collect()
}

// ----- the properties -------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    // --- + - * / with broadcasting ---

    #[test]
    fn add((a, b) in broadcast_arrays(any_value(), any_value()), seed in any::<u64>()) {
        gradcheck("add", &[a, b], seed, |t| &t[0] + &t[1], |x| zip(&x[0], &x[1], |a, b| a + b))?;
    }

    #[test]
    fn sub((a, b) in broadcast_arrays(any_value(), any_value()), seed in any::<u64>()) {
        gradcheck("sub", &[a, b], seed, |t| &t[0] - &t[1], |x| zip(&x[0], &x[1], |a, b| a - b))?;
    }

    #[test]
    fn mul((a, b) in broadcast_arrays(any_value(), any_value()), seed in any::<u64>()) {
        gradcheck("mul", &[a, b], seed, |t| &t[0] * &t[1], |x| zip(&x[0], &x[1], |a, b| a * b))?;
    }

    #[test]
    fn div((a, b) in broadcast_arrays(any_value(), away_from_zero(0.5)), seed in any::<u64>()) {
        gradcheck("div", &[a, b], seed, |t| &t[0] / &t[1], |x| zip(&x[0], &x[1], |a, b| a / b))?;
    }

    /// The methods and the `f32` operands: `a.sub(b)`, `2 - a`, `a / 3`, `3 / a`, `a * 0.5 + 1`.
    #[test]
    fn scalar_operands(a in shape(3).prop_flat_map(|s| array(s, away_from_zero(0.5))),
                       seed in any::<u64>()) {
        gradcheck(
            "scalar operands",
            &[a],
            seed,
            |t| (2.0 - &t[0]).sub(&(&t[0] / 3.0)).add(&(3.0 / &t[0])).mul(&(&t[0] * 0.5 + 1.0)),
            |x| x[0].mapv(|a| (2.0 - a - a / 3.0 + 3.0 / a) * (a * 0.5 + 1.0)),
        )?;
    }

    // --- element-wise ---

    #[test]
    fn neg(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("neg", &[a], seed, |t| -&t[0], |x| x[0].mapv(|a| -a))?;
    }

    #[test]
    fn pow(a in shape(3).prop_flat_map(|s| array(s, positive())),
           p in select(vec![2.0f32, 3.0, 0.5, -1.0, 1.5]),
           seed in any::<u64>()) {
        gradcheck("pow", &[a], seed, |t| t[0].pow(p), |x| x[0].mapv(|a| a.powf(f64::from(p))))?;
    }

    /// Integer powers are smooth for negative inputs too.
    #[test]
    fn pow_integer_any_sign(a in shape(3).prop_flat_map(|s| array(s, any_value())),
                            p in select(vec![2.0f32, 3.0]),
                            seed in any::<u64>()) {
        gradcheck("pow", &[a], seed, |t| t[0].pow(p), |x| x[0].mapv(|a| a.powf(f64::from(p))))?;
    }

    #[test]
    fn exp(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("exp", &[a], seed, |t| t[0].exp(), |x| x[0].mapv(f64::exp))?;
    }

    #[test]
    fn log(a in shape(3).prop_flat_map(|s| array(s, positive())), seed in any::<u64>()) {
        gradcheck("log", &[a], seed, |t| t[0].log(), |x| x[0].mapv(f64::ln))?;
    }

    #[test]
    fn sqrt(a in shape(3).prop_flat_map(|s| array(s, positive())), seed in any::<u64>()) {
        gradcheck("sqrt", &[a], seed, |t| t[0].sqrt(), |x| x[0].mapv(f64::sqrt))?;
    }

    #[test]
    fn abs(a in shape(3).prop_flat_map(|s| array(s, away_from_zero(0.1))), seed in any::<u64>()) {
        gradcheck("abs", &[a], seed, |t| t[0].abs(), |x| x[0].mapv(f64::abs))?;
    }

    #[test]
    fn tanh(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("tanh", &[a], seed, |t| t[0].tanh(), |x| x[0].mapv(f64::tanh))?;
    }

    #[test]
    fn sigmoid(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("sigmoid", &[a], seed, |t| t[0].sigmoid(), |x| x[0].mapv(sigmoid64))?;
    }

    #[test]
    fn relu(a in shape(3).prop_flat_map(|s| array(s, away_from_zero(0.1))), seed in any::<u64>()) {
        gradcheck("relu", &[a], seed, |t| t[0].relu(), |x| x[0].mapv(|a| a.max(0.0)))?;
    }

    // --- reductions ---

    #[test]
    fn sum(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("sum", &[a], seed, |t| t[0].sum(), |x| scalar(x[0].sum()))?;
    }

    #[test]
    fn mean(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("mean", &[a], seed, |t| t[0].mean(), |x| scalar(x[0].mean().unwrap()))?;
    }

    #[test]
    fn sum_dim((a, dims) in shape(3).prop_flat_map(|s| (array(s.clone(), any_value()), dims_of(s.len()))),
               keepdim in any::<bool>(),
               seed in any::<u64>()) {
        gradcheck(
            "sum_dim",
            &[a],
            seed,
            |t| t[0].sum_dim(&dims, keepdim),
            |x| sum_dims(&x[0], &dims, keepdim),
        )?;
    }

    #[test]
    fn mean_dim((a, dims) in shape(3).prop_flat_map(|s| (array(s.clone(), any_value()), dims_of(s.len()))),
                keepdim in any::<bool>(),
                seed in any::<u64>()) {
        gradcheck(
            "mean_dim",
            &[a],
            seed,
            |t| t[0].mean_dim(&dims, keepdim),
            |x| sum_dims(&x[0], &dims, keepdim) / reduced_count(x[0].shape(), &dims),
        )?;
    }

    // --- linear algebra and shapes ---

    #[test]
    fn matmul((a, b) in matmul_arrays(), seed in any::<u64>()) {
        gradcheck("matmul", &[a, b], seed, |t| t[0].matmul(&t[1]), |x| matmul64(&x[0], &x[1]))?;
    }

    #[test]
    fn t(a in shape(2).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("t", &[a], seed, |t| t[0].t(), |x| x[0].t().to_owned())?;
    }

    #[test]
    fn reshape((a, target) in shape(3).prop_flat_map(|s| (array(s.clone(), any_value()), reshape_target(s))),
               seed in any::<u64>()) {
        let resolved = resolve(&target, a.len());
        gradcheck(
            "reshape",
            &[a],
            seed,
            |t| t[0].reshape(&target),
            |x| x[0].to_shape(IxDyn(&resolved)).unwrap().to_owned(),
        )?;
    }

    #[test]
    fn unsqueeze((a, dim) in shape(3).prop_flat_map(|s| {
                     let n = s.len() as isize;
                     (array(s, any_value()), -(n + 1)..=n)
                 }),
                 seed in any::<u64>()) {
        let n = a.ndim() as isize;
        let axis = if dim < 0 { dim + n + 1 } else { dim } as usize;
        gradcheck(
            "unsqueeze",
            &[a],
            seed,
            |t| t[0].unsqueeze(dim),
            |x| x[0].clone().insert_axis(Axis(axis)),
        )?;
    }

    #[test]
    fn squeeze((a, dim) in vec(1usize..=2, 0..=3).prop_flat_map(|s| {
                   let rank = s.len().max(1) as isize;
                   (array(s, any_value()), -rank..rank)
               }),
               seed in any::<u64>()) {
        let n = a.ndim() as isize;
        let axis = if dim < 0 { dim + n.max(1) } else { dim } as usize;
        gradcheck(
            "squeeze",
            &[a],
            seed,
            |t| t[0].squeeze(dim),
            |x| {
                if x[0].ndim() > 0 && x[0].shape()[axis] == 1 {
                    x[0].clone().remove_axis(Axis(axis))
                } else {
                    x[0].clone()
                }
            },
        )?;
    }

    // --- nn::functional ---

    #[test]
    fn linear((x, w, b) in linear_arrays(), seed in any::<u64>()) {
        match b {
            Some(b) => gradcheck(
                "linear with bias",
                &[x, w, b],
                seed,
                |t| F::linear(&t[0], &t[1], Some(&t[2])),
                |x| linear64(&x[0], &x[1], Some(&x[2])),
            )?,
            None => gradcheck(
                "linear without bias",
                &[x, w],
                seed,
                |t| F::linear(&t[0], &t[1], None),
                |x| linear64(&x[0], &x[1], None),
            )?,
        }
    }

    #[test]
    fn mse_loss((a, b) in shape(3).prop_flat_map(|s| (array(s.clone(), any_value()), array(s, any_value()))),
                reduction in reductions(),
                seed in any::<u64>()) {
        gradcheck(
            "mse_loss",
            &[a, b],
            seed,
            |t| F::mse_loss(&t[0], &t[1], reduction),
            |x| mse64(&x[0], &x[1], reduction),
        )?;
    }

    #[test]
    fn mse_loss_module((a, b) in shape(3).prop_flat_map(|s| (array(s.clone(), any_value()), array(s, any_value()))),
                       seed in any::<u64>()) {
        gradcheck(
            "MSELoss",
            &[a, b],
            seed,
            |t| nn::MSELoss::new().forward(&t[0], &t[1]),
            |x| mse64(&x[0], &x[1], Reduction::Mean),
        )?;
    }

    // --- composite expressions ---

    #[test]
    fn tanh_of_product_minus_c_squared_mean(
        (a, b, c) in broadcast_pair().prop_flat_map(|(sa, sb)| {
            let sc = broadcast_shape(&sa, &sb);
            (array(sa, any_value()), array(sb, any_value()), array(sc, any_value()))
        }),
        seed in any::<u64>()) {
        gradcheck(
            "((a*b).tanh() - c).pow(2).mean()",
            &[a, b, c],
            seed,
            |t| ((&t[0] * &t[1]).tanh() - &t[2]).pow(2.0).mean(),
            |x| {
                let d = zip(&zip(&x[0], &x[1], |a, b| (a * b).tanh()), &x[2], |y, c| y - c);
                scalar(d.mapv(|d| d * d).mean().unwrap())
            },
        )?;
    }

    /// One tensor used three times: its gradient is the sum over the uses.
    #[test]
    fn x_times_x_plus_x(a in shape(3).prop_flat_map(|s| array(s, any_value())), seed in any::<u64>()) {
        gradcheck("x*x + x", &[a], seed, |t| &t[0] * &t[0] + &t[0], |x| x[0].mapv(|a| a * a + a))?;
    }

    /// Two branches from one input meeting again (a diamond), with broadcasting inside.
    #[test]
    fn log_softmax_last_dim(a in vec(1usize..=4, 1..=3).prop_flat_map(|s| array(s, any_value())),
                            seed in any::<u64>()) {
        gradcheck(
            "log_softmax",
            &[a],
            seed,
            |t| {
                let e = t[0].exp();
                (&e / &e.sum_dim(&[-1], true)).log()
            },
            |x| {
                let e = x[0].mapv(f64::exp);
                zip(&e, &sum_dims(&e, &[-1], true), |e, s| (e / s).ln())
            },
        )?;
    }

    #[test]
    fn diamond_sigmoid_tanh_sqrt(a in shape(3).prop_flat_map(|s| array(s, any_value())),
                                 seed in any::<u64>()) {
        gradcheck(
            "s*tanh(x) + sqrt(s), s = sigmoid(x)",
            &[a],
            seed,
            |t| {
                let s = t[0].sigmoid();
                &s * &t[0].tanh() + s.sqrt()
            },
            |x| x[0].mapv(|a| sigmoid64(a) * a.tanh() + sigmoid64(a).sqrt()),
        )?;
    }

    /// A two-layer network and its loss; the target requires grad too.
    #[test]
    fn two_layer_mlp_mse(
        (x, w1, b1, w2, b2, y) in (1usize..=3, 1usize..=2, 1usize..=3, 1usize..=2).prop_flat_map(
            |(n, fan_in, hidden, fan_out)| (
                array(vec![n, fan_in], any_value()),
                array(vec![hidden, fan_in], any_value()),
                array(vec![hidden], any_value()),
                array(vec![fan_out, hidden], any_value()),
                array(vec![fan_out], any_value()),
                array(vec![n, fan_out], any_value()),
            )),
        seed in any::<u64>()) {
        gradcheck(
            "mse(linear(tanh(linear(x))), y)",
            &[x, w1, b1, w2, b2, y],
            seed,
            |t| {
                let h = F::linear(&t[0], &t[1], Some(&t[2])).tanh();
                F::mse_loss(&F::linear(&h, &t[3], Some(&t[4])), &t[5], Reduction::Mean)
            },
            |x| {
                let h = linear64(&x[0], &x[1], Some(&x[2])).mapv(f64::tanh);
                mse64(&linear64(&h, &x[3], Some(&x[4])), &x[5], Reduction::Mean)
            },
        )?;
    }

    /// Shape ops chained after a product: matmul, t, reshape(-1), unsqueeze, mean_dim, squeeze.
    #[test]
    fn shape_chain((a, b) in matmul_arrays(), seed in any::<u64>()) {
        gradcheck(
            "a.matmul(b).t().reshape([-1]).unsqueeze(0).mean_dim([-1], keepdim).squeeze(0)",
            &[a, b],
            seed,
            |t| {
                t[0].matmul(&t[1]).t().reshape(&[-1]).unsqueeze(0).mean_dim(&[-1], true).squeeze(0)
            },
            |x| {
                let y = matmul64(&x[0], &x[1]);
                scalar(y.mean().unwrap()).insert_axis(Axis(0))
            },
        )?;
    }
}
