//! Speed only: `MSELoss` after the one-number `Linear`, one pass over memory fewer. **A first
//! reading can skip this file**; nothing in it changes a number.
//!
//! The large step of the benchmark is `loss = MSELoss(Linear(1, 1)(x), y)` over N points, and
//! at N = 1,000,000 it is all memory traffic. In general: the `Linear`'s forward reads `x` and
//! writes `y_hat` (8 MB); the loss reads `y_hat` and `y` and writes `d = 2/N (y_hat - y)`, the
//! numbers of `y_hat`'s gradient, kept until backward (12 MB); the `Linear`'s backward reads `d`
//! and `x` for `dL/dw = d^T x` and `dL/db = sum d` (8 MB): 28 MB. Here the loss sees that its
//! input is that `Linear`'s output, reads `y_hat`, `y` and `x` once, and makes its own sum of
//! squares and both of the `Linear`'s sums in that pass, writing no `d` (12 MB): 20 MB in all,
//! and the loss keeps 4 MB less between forward and backward (as PyTorch's, which keeps none).
//! Backward then hands `dw`, `db` to the parameters and skips the `Linear`'s rule (the engine's
//! `fused_shortcut`, asked through [`Fused`]). Measured (`bench/README.md`): the step went from
//! 3.8-4.3 to 2.6-2.9 times a pass that only reads `x` and `y`.
//!
//! Why it is exact: `kernels::squares_dot_and_sum` adds the same terms, `t = y_hat - y`,
//! `t * t`, `d = norm * t`, `d * x`, `d`, in the same eight lanes over the same blocks of eight,
//! and finishes them the same way, as the two passes it replaces (`zip_sum_and_map` in the
//! loss, `dot_and_sum` in the `Linear`'s rule): the same bits. What the general path would do
//! differently is handled by not taking the shortcut, and then the general path runs (the loss
//! makes `d` in backward from the saved `y_hat` and `y`, the same bits as in forward). It is not
//! set up when: grad is off, the target or `x` requires grad, anomaly mode is on, the reduction is
//! `None`, the shapes differ or are not stored row by row, N < 16 (the kernels add short sums in
//! another order), or `x` changed in place since the `Linear` ran. It is set up but not taken
//! when: the loss's upstream gradient is not exactly 1 (a scaled loss, `backward_with(g)`),
//! `y_hat` gets gradient from anything else in this backward, `y_hat.retain_grad()` was called,
//! anomaly mode was turned on since, `y_hat`, `y` or `x` changed in place (the general path then
//! gives the error it gives today), the `Linear`'s graph was freed, or it was taken once
//! already (a second backward with `retain_graph`). The crate has no tensor hooks.

use std::cell::Cell;

use ndarray::{ArrayD, IxDyn};

use crate::autograd::{is_anomaly_enabled, Fused, InputGrads, Saved};
use crate::kernels::squares_dot_and_sum;
use crate::tensor::Tensor;

/// Marks the node of the one-number `Linear` (1 in, 1 out, bias; weight and bias learning, `x`
/// not requiring grad), for the loss after it: its `x` as the `Linear` saved it.
struct OnePassLinear {
    x: Saved,
    bias_shape: IxDyn,
}

impl Fused for OnePassLinear {
    fn input_op_gradients(&self) -> Option<InputGrads> {
        None
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// What `try_linear` attaches to the node of the one-number `Linear` described above.
pub(super) fn one_pass_linear(x: &Saved, bias_shape: IxDyn) -> Box<dyn Fused> {
    Box::new(OnePassLinear {
        x: x.clone(),
        bias_shape,
    })
}

/// The `Linear`'s gradient sums made by the loss's forward pass, with what must not have
/// changed for them to be what the `Linear`'s rule would compute.
struct MseAfterLinear {
    /// `(dL/dw, dL/db)` for an upstream gradient of 1; taken by the first backward.
    sums: Cell<Option<(f32, f32)>>,
    /// `y_hat`, `y` and `x` as the forward pass read them.
    read: [Saved; 3],
    bias_shape: IxDyn,
}

impl Fused for MseAfterLinear {
    fn input_op_gradients(&self) -> Option<InputGrads> {
        if is_anomaly_enabled() || self.read.iter().any(|saved| saved.value().is_err()) {
            return None;
        }
        let (dw, db) = self.sums.take()?;
        #[cfg(test)]
        tests::TAKEN.with(|taken| taken.set(taken.get() + 1));
        // The `Linear`'s rule returns these, in its inputs' order: x, weight, bias.
        let dw = ArrayD::from_elem(IxDyn(&[1, 1]), dw);
        let db = ArrayD::from_elem(self.bias_shape.clone(), db);
        Some(vec![None, Some(dw), Some(db)])
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// For `try_mse_loss` when it records, with `a` and `b` its input and target as slices of the
/// same shape (16 numbers or more): if the input is the one-number `Linear`'s output and the
/// conditions of the module comment hold, the loss's sum of squares and what to attach to its
/// node, from one pass over `a`, `b` and that `Linear`'s `x`; else `None`.
pub(super) fn mse_after_linear(
    input: &Tensor,
    target: &Tensor,
    a: &[f32],
    b: &[f32],
    norm: f32,
) -> Option<(f32, Box<dyn Fused>)> {
    #[cfg(test)]
    if tests::DISABLED.with(Cell::get) {
        return None;
    }
    if target.requires_grad() || is_anomaly_enabled() {
        return None;
    }
    let node = input.0.grad_fn.as_ref()?;
    let fused = node.fused.borrow();
    let linear = fused.as_ref()?.as_any().downcast_ref::<OnePassLinear>()?;
    let x = linear.x.value().ok()?;
    let xs = x.as_slice().filter(|xs| xs.len() == a.len())?;
    let (sum, dw, db) = squares_dot_and_sum(a, b, xs, norm);
    let name = "MseLossBackward0";
    let read = [
        Saved::new(input, name),
        Saved::new(target, name),
        linear.x.clone(),
    ];
    let shortcut = MseAfterLinear {
        sums: Cell::new(Some((dw, db))),
        read,
        bias_shape: linear.bias_shape.clone(),
    };
    Some((sum, Box::new(shortcut)))
}

#[cfg(test)]
pub(crate) mod tests {
    //! Every condition of the module comment, each run twice from the same numbers: as it is,
    //! and with the shortcut switched off (`DISABLED`), which is the general path. The two must
    //! give the same bits (loss, every gradient) or the same error, and `TAKEN` says whether the
    //! shortcut was used.

    use std::cell::Cell;

    use super::super::functional::{linear, mse_loss};
    use crate::error::Result;
    use crate::nn::Reduction;
    use crate::prelude::*;

    thread_local! {
        /// Switches the shortcut off, for the general path to compare with.
        pub(crate) static DISABLED: Cell<bool> = const { Cell::new(false) };
        /// How many times backward took the shortcut.
        pub(crate) static TAKEN: Cell<u32> = const { Cell::new(0) };
    }

    /// The numbers of one step: `x [n, 1]`, `y [n, 1]`, `w [1, 1]`, `b [1]` learning.
    struct Step {
        n: usize,
        x: Tensor,
        y: Tensor,
        w: Tensor,
        b: Tensor,
    }

    impl Step {
        /// Numbers from a fixed formula (not the global generator, which tests running at the
        /// same time would draw from too).
        fn new(n: usize) -> Step {
            let value = |i: usize| ((i * 7919 % 1009) as f32 - 504.0) / 97.0;
            let column = |k: usize, scale: f32| {
                let numbers = (0..n).map(|i| value(i + k) * scale).collect();
                Tensor::from_vec(numbers, &[n, 1])
            };
            Step {
                n,
                x: column(0, 1.0),
                y: column(5, 0.5),
                w: Tensor::from_vec(vec![0.3], &[1, 1]).requires_grad_(true),
                b: Tensor::from_vec(vec![-0.2], &[1]).requires_grad_(true),
            }
        }

        fn y_hat(&self) -> Tensor {
            linear(&self.x, &self.w, Some(&self.b))
        }

        fn loss(&self) -> (Tensor, Tensor) {
            let y_hat = self.y_hat();
            (mse_loss(&y_hat, &self.y, Reduction::Mean), y_hat)
        }
    }

    fn bits(t: &Tensor) -> Vec<u32> {
        t.to_vec().iter().map(|v| v.to_bits()).collect()
    }

    /// What a run gave: the bits of the tensors `case` returns and of every gradient, or the
    /// error; and how many times the shortcut was taken.
    type Outcome = (std::result::Result<Vec<Vec<u32>>, String>, u32);

    fn run(n: usize, general: bool, case: &dyn Fn(&Step) -> Result<Vec<Tensor>>) -> Outcome {
        let step = Step::new(n);
        DISABLED.with(|d| d.set(general));
        TAKEN.with(|t| t.set(0));
        let result = case(&step);
        DISABLED.with(|d| d.set(false));
        let taken = TAKEN.with(Cell::get);
        let result = result.map_err(|e| e.to_string()).map(|shown| {
            let grads = [&step.x, &step.y, &step.w, &step.b].map(|t| t.grad());
            shown
                .iter()
                .chain(grads.iter().flatten())
                .map(bits)
                .collect()
        });
        (result, taken)
    }

    /// Runs `case` with and without the shortcut for each `n`; asserts the same outcome, and
    /// that the shortcut was taken `taken` times with it (never without).
    fn same_as_general(
        name: &str,
        ns: &[usize],
        taken: u32,
        case: impl Fn(&Step) -> Result<Vec<Tensor>>,
    ) {
        for &n in ns {
            let (fused, fused_taken) = run(n, false, &case);
            let (general, general_taken) = run(n, true, &case);
            assert_eq!(fused, general, "{name}, n = {n}");
            assert_eq!((fused_taken, general_taken), (taken, 0), "{name}, n = {n}");
        }
    }

    const NS: [usize; 7] = [16, 17, 23, 64, 100, 1001, 100_000];

    #[test]
    fn the_shortcut_gives_the_bits_of_the_general_path() {
        same_as_general("mean", &NS, 1, |s| {
            let (loss, _) = s.loss();
            loss.try_backward()?;
            Ok(vec![loss])
        });
        same_as_general("sum", &NS, 1, |s| {
            let loss = mse_loss(&s.y_hat(), &s.y, Reduction::Sum);
            loss.try_backward()?;
            Ok(vec![loss])
        });
        // An upstream gradient given as exactly 1, and a graph with a second loss beside it.
        same_as_general("backward_with(1)", &[100], 1, |s| {
            let (loss, _) = s.loss();
            loss.try_backward_with_options(BackwardOptions {
                gradient: Some(&Tensor::scalar(1.0)),
                retain_graph: false,
            })?;
            Ok(vec![loss])
        });
        same_as_general("loss + w^2", &[100], 1, |s| {
            let (loss, _) = s.loss();
            (&loss + &(&s.w * &s.w).sum()).try_backward()?;
            Ok(vec![loss])
        });
        // The step is the one of the matmul-and-add formulation too, which never fuses.
        for n in NS {
            let s = Step::new(n);
            let (loss, _) = s.loss();
            loss.backward();
            let (w2, b2) = (
                s.w.detach().requires_grad_(true),
                s.b.detach().requires_grad_(true),
            );
            let loss2 = mse_loss(&(&s.x.matmul(&w2.t()) + &b2), &s.y, Reduction::Mean);
            loss2.backward();
            assert_eq!(bits(&loss), bits(&loss2), "n = {n}");
            assert_eq!(
                bits(&s.w.grad().unwrap()),
                bits(&w2.grad().unwrap()),
                "n = {n}"
            );
            assert_eq!(
                bits(&s.b.grad().unwrap()),
                bits(&b2.grad().unwrap()),
                "n = {n}"
            );
        }
    }

    #[test]
    fn short_batches_never_fuse() {
        let short: Vec<usize> = (1..16).collect();
        same_as_general("n < 16", &short, 0, |s| {
            let (loss, _) = s.loss();
            loss.try_backward()?;
            Ok(vec![loss])
        });
    }

    #[test]
    fn an_upstream_gradient_other_than_1_takes_the_general_path() {
        same_as_general("loss * 2", &NS, 0, |s| {
            let (loss, _) = s.loss();
            (&loss * 2.0).try_backward()?;
            Ok(vec![loss])
        });
        same_as_general("backward_with(3)", &[100], 0, |s| {
            let (loss, _) = s.loss();
            loss.try_backward_with_options(BackwardOptions {
                gradient: Some(&Tensor::scalar(3.0)),
                retain_graph: false,
            })?;
            Ok(vec![loss])
        });
        same_as_general("loss + loss", &[100], 0, |s| {
            let (loss, _) = s.loss();
            (&loss + &loss).try_backward()?;
            Ok(vec![loss])
        });
    }

    #[test]
    fn a_second_use_of_y_hat_takes_the_general_path() {
        same_as_general("loss + y_hat.sum()", &[17, 1001], 0, |s| {
            let (loss, y_hat) = s.loss();
            (&loss + &y_hat.sum()).try_backward()?;
            Ok(vec![loss])
        });
        // Two losses over one y_hat: each sees the other's use.
        same_as_general("two losses", &[100], 0, |s| {
            let (loss, y_hat) = s.loss();
            let other = mse_loss(&y_hat, &(&s.y * 2.0), Reduction::Mean);
            (&loss + &other).try_backward()?;
            Ok(vec![loss, other])
        });
    }

    #[test]
    fn retain_grad_on_y_hat_takes_the_general_path() {
        same_as_general("retain_grad", &[100, 1001], 0, |s| {
            let (loss, y_hat) = s.loss();
            y_hat.retain_grad();
            loss.try_backward()?;
            Ok(vec![loss, y_hat.grad().unwrap()])
        });
    }

    #[test]
    fn a_target_or_x_requiring_grad_takes_the_general_path() {
        same_as_general("target requires grad", &[100], 0, |s| {
            let y = s.y.detach().requires_grad_(true);
            let loss = mse_loss(&s.y_hat(), &y, Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss, y.grad().unwrap()])
        });
        same_as_general("x requires grad", &[100], 0, |s| {
            let x = s.x.detach().requires_grad_(true);
            let loss = mse_loss(&linear(&x, &s.w, Some(&s.b)), &s.y, Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss, x.grad().unwrap()])
        });
        // Only the bias learning: the `Linear` is not the one-pass-with-joint-rule one.
        same_as_general("frozen weight", &[100], 0, |s| {
            let y_hat = linear(&s.x, &s.w.detach(), Some(&s.b));
            let loss = mse_loss(&y_hat, &s.y, Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss])
        });
    }

    #[test]
    fn anomaly_mode_takes_the_general_path() {
        // On in forward: not set up. On only in backward: set up, not taken.
        same_as_general("anomaly in forward", &[100], 0, |s| {
            let (loss, _) = crate::detect_anomaly(|| s.loss());
            crate::detect_anomaly(|| loss.try_backward())?;
            Ok(vec![loss])
        });
        same_as_general("anomaly in backward", &[100], 0, |s| {
            let (loss, _) = s.loss();
            crate::detect_anomaly(|| loss.try_backward())?;
            Ok(vec![loss])
        });
    }

    #[test]
    fn reduction_none_and_other_shapes_take_the_general_path() {
        same_as_general("reduction none", &[100], 0, |s| {
            let loss = mse_loss(&s.y_hat(), &s.y, Reduction::None);
            loss.try_backward_with_options(BackwardOptions {
                gradient: Some(&Tensor::ones(&[s.n, 1])),
                retain_graph: false,
            })?;
            Ok(vec![loss])
        });
        // y of shape [n]: broadcast to [n, n] (PyTorch warns).
        same_as_general("target [n]", &[20], 0, |s| {
            let loss = mse_loss(&s.y_hat(), &s.y.reshape(&[-1]), Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss])
        });
    }

    #[test]
    fn numbers_not_stored_row_by_row_take_the_general_path() {
        // Column 0 of an [n, 2] array: an [n, 1] array whose rows are 2 numbers apart.
        let column = |t: &Tensor| {
            let values = t.to_vec();
            let wide = ndarray::Array2::from_shape_fn((values.len(), 2), |(i, _)| values[i]);
            Tensor::from_array(wide.slice_move(ndarray::s![.., 0..1]).into_dyn())
        };
        let strided = column(&Tensor::ones(&[20, 1]));
        assert!(strided.data().as_slice().is_none());
        same_as_general("x strided", &[20, 100], 0, |s| {
            let y_hat = linear(&column(&s.x), &s.w, Some(&s.b));
            let loss = mse_loss(&y_hat, &s.y, Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss])
        });
        same_as_general("y strided", &[20, 100], 0, |s| {
            let loss = mse_loss(&s.y_hat(), &column(&s.y), Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss])
        });
    }

    #[test]
    fn retain_graph_then_a_second_backward_takes_it_once() {
        same_as_general("retain_graph", &[100, 1001], 1, |s| {
            let (loss, _) = s.loss();
            loss.try_backward_retain_graph()?;
            let first = [s.w.grad().unwrap(), s.b.grad().unwrap()]
                .map(|t| Tensor::from_array(t.to_array()));
            loss.try_backward()?;
            Ok(vec![loss, first[0].clone(), first[1].clone()])
        });
        // The second backward accumulates the same numbers again.
        let s = Step::new(100);
        let (loss, _) = s.loss();
        loss.backward_retain_graph();
        let once = s.w.grad().unwrap().item();
        loss.backward();
        assert_eq!(s.w.grad().unwrap().item(), once + once);
    }

    #[test]
    fn changes_in_place_before_backward_give_what_the_general_path_gives() {
        let one = || Tensor::scalar(0.5);
        // x, y, y_hat: the version error of today (the loss or the `Linear` names it).
        same_as_general("x changed", &[100], 0, |s| {
            let (loss, _) = s.loss();
            s.x.add_(&one());
            loss.try_backward()?;
            Ok(vec![loss])
        });
        same_as_general("y changed", &[100], 0, |s| {
            let (loss, _) = s.loss();
            s.y.add_(&one());
            loss.try_backward()?;
            Ok(vec![loss])
        });
        same_as_general("y_hat changed", &[100], 0, |s| {
            let (loss, y_hat) = s.loss();
            no_grad(|| y_hat.add_(&one()));
            loss.try_backward()?;
            Ok(vec![loss])
        });
        // x changed between the `Linear` and the loss: not set up.
        same_as_general("x changed before the loss", &[100], 0, |s| {
            let y_hat = s.y_hat();
            s.x.add_(&one());
            let loss = mse_loss(&y_hat, &s.y, Reduction::Mean);
            loss.try_backward()?;
            Ok(vec![loss])
        });
        // The weight and the bias: read by neither rule (x does not require grad), so no error
        // today, and the gradients do not depend on them: the same numbers either way.
        for (name, which) in [("weight changed", 0), ("bias changed", 1)] {
            same_as_general(name, &[100], 1, |s| {
                let (loss, _) = s.loss();
                no_grad(|| [&s.w, &s.b][which].add_(&one()));
                loss.try_backward()?;
                Ok(vec![loss])
            });
        }
        let s = Step::new(100);
        let (loss, _) = s.loss();
        s.y.add_(&one());
        let err = loss.try_backward().unwrap_err().to_string();
        assert!(err.contains("modified by an inplace operation"), "{err}");
    }

    #[test]
    fn a_freed_graph_gives_the_error_of_the_general_path() {
        same_as_general("second backward", &[100], 1, |s| {
            let (loss, _) = s.loss();
            loss.try_backward()?;
            loss.try_backward()?;
            Ok(vec![loss])
        });
        // The `Linear`'s node freed by another backward through y_hat first.
        same_as_general("linear freed", &[100], 0, |s| {
            let (loss, y_hat) = s.loss();
            y_hat.sum().try_backward()?;
            loss.try_backward()?;
            Ok(vec![loss])
        });
        let s = Step::new(100);
        let (loss, y_hat) = s.loss();
        y_hat.sum().backward();
        let err = loss.try_backward().unwrap_err().to_string();
        assert!(err.contains("AddmmBackward0"), "{err}");
    }

    #[test]
    fn no_grad_records_nothing() {
        same_as_general("no_grad", &[100], 0, |s| {
            let (loss, _) = no_grad(|| s.loss());
            assert!(!loss.requires_grad());
            loss.try_backward()?;
            Ok(vec![loss])
        });
    }

    /// A training loop, step by step the same bits with the shortcut, without it, and with it
    /// disabled by `retain_grad` on `y_hat` (the lessons' loop: forward, backward, SGD step).
    #[test]
    fn a_training_loop_gives_the_same_bits_with_and_without_the_shortcut() {
        let train = |general: bool, retain: bool| {
            let s = Step::new(1001);
            let mut trace = Vec::new();
            DISABLED.with(|d| d.set(general));
            TAKEN.with(|t| t.set(0));
            let mut opt = optim::SGD::new([&s.w, &s.b], 0.1);
            for _ in 0..20 {
                opt.zero_grad();
                let (loss, y_hat) = s.loss();
                if retain {
                    y_hat.retain_grad();
                }
                loss.backward();
                opt.step();
                trace.extend([loss, s.w.detach(), s.b.detach()].iter().flat_map(bits));
            }
            DISABLED.with(|d| d.set(false));
            (trace, TAKEN.with(Cell::get))
        };
        let (fused, taken) = train(false, false);
        assert_eq!(taken, 20);
        assert_eq!(train(true, false), (fused.clone(), 0));
        assert_eq!(train(false, true), (fused, 0));
    }
}
