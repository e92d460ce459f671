//! Every misuse gives PyTorch's sentence, then the op and shapes, then a hint, through both
//! forms: the panicking method or operator, and its `try_` twin.
//!
//! The expected first lines were printed by PyTorch 2.15 (CPU) for the same misuse. Where this
//! crate's first line differs from PyTorch's on purpose, the PyTorch line is quoted next to the
//! test.

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd_core::nn::functional as F;
use autograd_core::nn::Reduction;
use autograd_core::prelude::*;

// ----- helpers --------------------------------------------------------------------------------

/// The message of the panic raised by `f`.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else {
        panic!("the panic payload is not a string")
    }
}

/// The message of the error returned by a `try_` method.
fn error_message<T>(result: autograd_core::Result<T>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// Asserts the three parts of a message: `first_line` exactly, every `detail` somewhere after
/// it (the op, the shapes), and an `op:` line and a `hint:` line.
fn assert_message(message: &str, first_line: &str, details: &[&str]) {
    let mut lines = message.lines();
    assert_eq!(lines.next(), Some(first_line), "first line of:\n{message}");
    let rest: Vec<&str> = lines.map(str::trim_start).collect();
    assert!(
        rest.iter().any(|l| l.starts_with("op: ")),
        "no `op:` line in:\n{message}"
    );
    assert!(
        rest.iter()
            .any(|l| l.starts_with("hint: ") && l.len() > "hint: ".len()),
        "no `hint:` line in:\n{message}"
    );
    let rest = rest.join("\n");
    for detail in details {
        assert!(rest.contains(detail), "{detail:?} missing from:\n{message}");
    }
}

/// Runs the panicking form and the `try_` form, each on a fresh setup, checks that they give
/// the same message, and returns it.
fn both<S, T>(
    setup: impl Fn() -> S,
    panicking: impl FnOnce(S),
    fallible: impl FnOnce(S) -> autograd_core::Result<T>,
) -> String {
    let panicked = panic_message(|| panicking(setup()));
    let returned = error_message(fallible(setup()));
    assert_eq!(panicked, returned, "the two forms disagree");
    panicked
}

// ----- backward -------------------------------------------------------------------------------

#[test]
fn backward_on_a_non_scalar_needs_a_gradient() {
    let setup = || &tensor!([1.0, 2.0]).requires_grad_(true) * 2.0;
    let message = both(setup, |y| y.backward(), |y| y.try_backward());
    // PyTorch 2.15: "grad can be implicitly created only for scalar outputs"
    assert_message(
        &message,
        "grad can be implicitly created only for scalar outputs",
        &["op: backward", "shape [2]", "backward_with"],
    );
}

#[test]
#[should_panic(expected = "grad can be implicitly created only for scalar outputs")]
fn backward_on_a_vector_panics() {
    let w = tensor!([1.0, 2.0, 3.0]).requires_grad_(true);
    (&w * &w).backward();
}

const SECOND_BACKWARD: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

#[test]
fn backward_twice_through_a_freed_graph() {
    let setup = || {
        let w = tensor!(2.0).requires_grad_(true);
        let y = &w * &w;
        y.backward();
        y
    };
    let message = both(setup, |y| y.backward(), |y| y.try_backward());
    // PyTorch 2.15 prints the same sentence, word for word.
    assert_message(
        &message,
        SECOND_BACKWARD,
        &[
            "op: backward",
            "MulBackward0",
            "backward_retain_graph()",
            "retain_graph=True",
        ],
    );
}

#[test]
fn backward_twice_after_a_lesson_loss() {
    let w = tensor!(0.0).requires_grad_(true);
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    let l = (&x * 2.0 - &w * &x).pow(2.0).mean();
    l.backward();
    let message = error_message(l.try_backward());
    assert_message(&message, SECOND_BACKWARD, &["op: backward"]);
}

#[test]
fn backward_on_a_tensor_that_does_not_require_grad() {
    // PyTorch 2.15: "element 0 of tensors does not require grad and does not have a grad_fn"
    const FIRST: &str = "element 0 of tensors does not require grad and does not have a grad_fn";
    let message = both(|| tensor!(1.0), |t| t.backward(), |t| t.try_backward());
    assert_message(&message, FIRST, &["op: backward", "requires_grad_(true)"]);

    let computed = || (&tensor!([1.0, 2.0]) * 2.0).sum();
    let message = both(computed, |t| t.backward(), |t| t.try_backward());
    assert_message(&message, FIRST, &["op: backward"]);

    // Computed from a leaf that requires grad, but under no_grad.
    let w = tensor!(1.0).requires_grad_(true);
    let under_no_grad = || no_grad(|| &w * 3.0);
    let message = both(under_no_grad, |t| t.backward(), |t| t.try_backward());
    assert_message(&message, FIRST, &["op: backward"]);
}

/// PyTorch 2.15 appends a second sentence to this first line: " Hint: enable anomaly detection
/// to find the operation that failed to compute its gradient, with
/// torch.autograd.set_detect_anomaly(True, check_nan=False)." The crate has no anomaly mode and
/// gives its own hint on a later line instead.
#[test]
fn saved_tensor_modified_in_place_before_backward() {
    let setup = || {
        let a = tensor!([1.0, 2.0]).requires_grad_(true);
        let b = tensor!([3.0, 4.0]);
        let y = (&a * &b).sum(); // MulBackward0 saves b for a's gradient
        b.add_(&tensor!(1.0));
        y
    };
    let message = both(setup, |y| y.backward(), |y| y.try_backward());
    assert_message(
        &message,
        "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]] is at version 1; expected version 0 instead.",
        &["op: backward, in MulBackward0", "hint: "],
    );

    let setup = || {
        let a = Tensor::ones(&[2, 3]).requires_grad_(true);
        let b = Tensor::ones(&[2, 3]);
        let y = (&a * &b).sum();
        b.mul_(&tensor!(2.0));
        y
    };
    let message = both(setup, |y| y.backward(), |y| y.try_backward());
    assert_message(
        &message,
        "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2, 3]] is at version 1; expected version 0 instead.",
        &["op: backward, in MulBackward0"],
    );
}

#[test]
fn leaf_modified_under_no_grad_before_backward() {
    // Two updates: the version counts every in-place op, as PyTorch's does.
    let setup = || {
        let w = tensor!([1.0, 2.0]).requires_grad_(true);
        let y = (&w * &w).sum();
        no_grad(|| {
            w.sub_(&tensor!(0.5));
            w.sub_(&tensor!(0.5));
        });
        y
    };
    let message = both(setup, |y| y.backward(), |y| y.try_backward());
    assert_message(
        &message,
        "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]] is at version 2; expected version 0 instead.",
        &["op: backward, in MulBackward0"],
    );
}

#[test]
fn modified_through_a_detached_view() {
    let setup = || {
        let a = tensor!([1.0, 2.0]).requires_grad_(true);
        let y = (&a * &a).sum();
        a.detach().add_(&tensor!(1.0)); // shares the numbers, and their version, with `a`
        y
    };
    let message = both(setup, |y| y.backward(), |y| y.try_backward());
    assert!(message.starts_with(
        "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]] is at version 1; expected version 0 instead."
    ));
}

#[test]
fn backward_with_a_gradient_of_the_wrong_shape_in_torch_words() {
    // FAILS (src bug): PyTorch 2.15 prints the shapes as torch.Size:
    // "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a
    // shape of torch.Size([2])." The crate prints "[3]" and "[2]".
    let setup = || &tensor!([1.0, 2.0]).requires_grad_(true) * 2.0;
    let message = both(
        setup,
        |y| y.backward_with(&Tensor::ones(&[3])),
        |y| {
            y.try_backward_with_options(BackwardOptions {
                gradient: Some(&Tensor::ones(&[3])),
                retain_graph: false,
            })
        },
    );
    assert_message(
        &message,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of torch.Size([2]).",
        &["op: backward_with"],
    );
}

// ----- in-place ops on a leaf that requires grad ----------------------------------------------

/// PyTorch 2.15, for `sub_`, `add_`, `mul_`, `fill_`, `zero_`, `-=` and `+=` alike.
const LEAF_IN_PLACE: &str =
    "a leaf Variable that requires grad is being used in an in-place operation.";

fn leaf() -> Tensor {
    tensor!([1.0, 2.0]).requires_grad_(true)
}

#[test]
fn leaf_in_place_sub_() {
    let message = both(
        leaf,
        |w| drop(w.sub_(&tensor!(0.1))),
        |w| w.try_sub_(&tensor!(0.1)),
    );
    assert_message(&message, LEAF_IN_PLACE, &["op: sub_", "no_grad"]);
}

#[test]
fn leaf_in_place_add_() {
    let message = both(
        leaf,
        |w| drop(w.add_(&tensor!(0.1))),
        |w| w.try_add_(&tensor!(0.1)),
    );
    assert_message(&message, LEAF_IN_PLACE, &["op: add_"]);
}

#[test]
fn leaf_in_place_mul_() {
    let message = both(
        leaf,
        |w| drop(w.mul_(&tensor!(2.0))),
        |w| w.try_mul_(&tensor!(2.0)),
    );
    assert_message(&message, LEAF_IN_PLACE, &["op: mul_"]);
}

#[test]
fn leaf_in_place_fill_() {
    let message = both(leaf, |w| drop(w.fill_(0.0)), |w| w.try_fill_(0.0));
    assert_message(&message, LEAF_IN_PLACE, &["op: fill_"]);
}

#[test]
fn leaf_in_place_zero_() {
    // FAILS (src bug): the `op:` line names `fill_`, which zero_ calls, not `zero_`.
    let message = both(leaf, |w| drop(w.zero_()), |w| w.try_zero_());
    assert_message(&message, LEAF_IN_PLACE, &["op: zero_"]);
}

#[test]
fn leaf_in_place_sub_assign_and_add_assign() {
    // The operators have no `try_` form; they panic with the message of `sub_` / `add_`.
    let message = panic_message(|| {
        let mut w = leaf();
        w -= &tensor!(0.1);
    });
    assert_message(&message, LEAF_IN_PLACE, &["op: sub_"]);
    let message = panic_message(|| {
        let mut w = leaf();
        w -= 0.1;
    });
    assert_message(&message, LEAF_IN_PLACE, &["op: sub_"]);
    let message = panic_message(|| {
        let mut w = leaf();
        w += &tensor!(0.1);
    });
    assert_message(&message, LEAF_IN_PLACE, &["op: add_"]);
    let message = panic_message(|| {
        let mut w = leaf();
        w += 1.0;
    });
    assert_message(&message, LEAF_IN_PLACE, &["op: add_"]);
    assert_eq!(
        message,
        error_message(leaf().try_add_(&tensor!(1.0))),
        "`+=` and try_add_ disagree"
    );
}

#[test]
#[should_panic(
    expected = "a leaf Variable that requires grad is being used in an in-place operation."
)]
fn lesson_update_outside_no_grad_panics() {
    let mut w = tensor!(0.0).requires_grad_(true);
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    (&x * 2.0 - &w * &x).pow(2.0).mean().backward();
    let step = &w.grad().unwrap() * 0.01;
    w -= &step;
}

#[test]
fn in_place_allowed_under_no_grad_and_without_requires_grad() {
    let w = leaf();
    no_grad(|| w.sub_(&tensor!(1.0)));
    assert_eq!(w.to_vec(), vec![0.0, 1.0]);
    let mut t = tensor!([1.0, 2.0]);
    t -= 1.0;
    assert_eq!(t.to_vec(), vec![0.0, 1.0]);
}

/// Crate-specific: PyTorch 2.15 allows `(x * 2).add_(1)` on a non-leaf (and tracks it in the
/// graph); this crate refuses it with its own sentence.
#[test]
fn in_place_on_a_non_leaf_is_refused() {
    let setup = || &leaf() * 2.0;
    let message = both(
        setup,
        |y| drop(y.add_(&tensor!(1.0))),
        |y| y.try_add_(&tensor!(1.0)),
    );
    assert_message(
        &message,
        "an in-place operation on a tensor that is part of a graph is not supported here",
        &["op: add_", "no_grad"],
    );
}

#[test]
fn in_place_result_must_keep_the_shape() {
    // PyTorch 2.15: "output with shape [2] doesn't match the broadcast shape [2, 2]"
    let message = both(
        || tensor!([1.0, 2.0]),
        |t| drop(t.add_(&Tensor::ones(&[2, 2]))),
        |t| t.try_add_(&Tensor::ones(&[2, 2])),
    );
    assert_message(
        &message,
        "output with shape [2] doesn't match the broadcast shape [2, 2]",
        &["op: add_"],
    );
    // PyTorch 2.15 for ones(3).add_(ones(4)): the broadcast sentence.
    let message = error_message(Tensor::ones(&[3]).try_add_(&Tensor::ones(&[4])));
    assert_message(
        &message,
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0",
        &["op: add_, shapes [3] and [4]"],
    );
}

// ----- broadcasting ---------------------------------------------------------------------------

/// Checks `a op b` for the four operators, both forms, against PyTorch's sentence.
fn check_broadcast(a: &[usize], b: &[usize], first_line: &str) {
    let (x, y) = (Tensor::ones(a), Tensor::ones(b));
    let shapes = format!("shapes {a:?} and {b:?}");
    type Op = fn(&Tensor, &Tensor) -> Tensor;
    type TryOp = fn(&Tensor, &Tensor) -> autograd_core::Result<Tensor>;
    let ops: [(&str, Op, TryOp); 4] = [
        ("add", |x, y| x + y, |x, y| x.try_add(y)),
        ("sub", |x, y| x - y, |x, y| x.try_sub(y)),
        ("mul", |x, y| x * y, |x, y| x.try_mul(y)),
        ("div", |x, y| x / y, |x, y| x.try_div(y)),
    ];
    for (name, op, try_op) in ops {
        let message = both(
            || (x.shallow_clone(), y.shallow_clone()),
            |(x, y)| drop(op(&x, &y)),
            |(x, y)| try_op(&x, &y),
        );
        assert_message(
            &message,
            first_line,
            &[&format!("op: {name}, {shapes}"), "hint: "],
        );
    }
}

#[test]
fn broadcast_mismatch_in_dimension_0() {
    // PyTorch 2.15, for + - * / alike.
    check_broadcast(
        &[3],
        &[4],
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0",
    );
}

#[test]
fn broadcast_mismatch_in_dimension_1() {
    // PyTorch 2.15 numbers the dimensions of the broadcast result, counted from the left.
    check_broadcast(
        &[2, 3],
        &[2, 4],
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    );
    check_broadcast(
        &[3],
        &[2, 4],
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    );
    check_broadcast(
        &[2, 4],
        &[3],
        "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1",
    );
    check_broadcast(
        &[2, 3, 4],
        &[5, 4],
        "The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 1",
    );
    check_broadcast(
        &[5, 4],
        &[2, 3, 4],
        "The size of tensor a (5) must match the size of tensor b (3) at non-singleton dimension 1",
    );
}

#[test]
fn mse_loss_with_shapes_that_do_not_broadcast() {
    // PyTorch 2.15 (after its UserWarning): the broadcast sentence.
    let message = both(
        || (tensor!([1.0, 2.0]), tensor!([1.0, 2.0, 3.0])),
        |(a, b)| drop(F::mse_loss(&a, &b, Reduction::Mean)),
        |(a, b)| F::try_mse_loss(&a, &b, Reduction::Mean),
    );
    assert_message(
        &message,
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
        &["op: mse_loss, shapes [2] and [3]"],
    );
}

// ----- matmul and Linear ----------------------------------------------------------------------

/// PyTorch 2.15 prefixes the kernel's name: "mm: mat1 and mat2 shapes cannot be multiplied
/// (2x3 and 2x3)". The crate gives the sentence without the prefix and names the op below.
#[test]
fn matmul_of_incompatible_matrices() {
    let message = both(
        || (Tensor::ones(&[2, 3]), Tensor::ones(&[2, 3])),
        |(a, b)| drop(a.matmul(&b)),
        |(a, b)| a.try_matmul(&b),
    );
    assert_message(
        &message,
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
        &["op: matmul, shapes [2, 3] and [2, 3]", ".t()"],
    );
}

#[test]
fn matmul_of_matrix_and_vector() {
    // PyTorch 2.15, word for word.
    let message = both(
        || (Tensor::ones(&[2, 3]), Tensor::ones(&[2])),
        |(a, b)| drop(a.matmul(&b)),
        |(a, b)| a.try_matmul(&b),
    );
    assert_message(
        &message,
        "size mismatch, got input (2), mat (2x3), vec (2)",
        &["op: matmul, shapes [2, 3] and [2]"],
    );
}

#[test]
fn matmul_of_two_vectors() {
    // PyTorch 2.15, word for word.
    let message = both(
        || (Tensor::ones(&[3]), Tensor::ones(&[2])),
        |(a, b)| drop(a.matmul(&b)),
        |(a, b)| a.try_matmul(&b),
    );
    assert_message(
        &message,
        "inconsistent tensor size, expected tensor [3] and src [2] to have the same number of elements, but got 3 and 2 elements respectively",
        &["op: matmul, shapes [3] and [2]"],
    );
}

#[test]
fn matmul_of_vector_and_matrix_names_the_row_matrix() {
    // PyTorch 2.15 multiplies the vector as a 1x3 matrix with `mm`, and says so:
    // "mm: mat1 and mat2 shapes cannot be multiplied (1x3 and 2x3)".
    let message = both(
        || (Tensor::ones(&[3]), Tensor::ones(&[2, 3])),
        |(a, b)| drop(a.matmul(&b)),
        |(a, b)| a.try_matmul(&b),
    );
    assert_message(
        &message,
        "mm: mat1 and mat2 shapes cannot be multiplied (1x3 and 2x3)",
        &["op: matmul, shapes [3] and [2, 3]"],
    );
}

/// PyTorch 2.15: "addmm: mat1 and mat2 shapes cannot be multiplied (6x1 and 2x1)" (the same
/// sentence after the kernel's name).
#[test]
fn linear_with_the_wrong_number_of_features() {
    let lin = nn::Linear::new(2, 1);
    let message = both(
        || Tensor::ones(&[6, 1]),
        |x| drop(lin.forward(&x)),
        |x| F::try_linear(&x, &lin.weight, lin.bias.as_option()),
    );
    assert_message(
        &message,
        "mat1 and mat2 shapes cannot be multiplied (6x1 and 2x1)",
        &["op: linear, shapes [6, 1] and [2, 1]"],
    );

    // A 1-D input is one sample: PyTorch 2.15 says "(1x3 and 2x1)" too.
    let message = both(
        || Tensor::ones(&[3]),
        |x| drop(lin.forward(&x)),
        |x| F::try_linear(&x, &lin.weight, lin.bias.as_option()),
    );
    assert_message(
        &message,
        "mat1 and mat2 shapes cannot be multiplied (1x3 and 2x1)",
        &["op: linear, shapes [1, 3] and [2, 1]"],
    );
}

#[test]
fn linear_on_a_scalar_input_is_explained() {
    let lin = nn::Linear::new(1, 1);
    let message = both(
        || tensor!(2.0),
        |x| drop(lin.forward(&x)),
        |x| F::try_linear(&x, &lin.weight, lin.bias.as_option()),
    );
    assert_message(
        &message,
        "linear: expected input of shape [batch, in_features] or [in_features] and a 2-D weight, got [] and [1, 1]",
        &["op: linear", "reshape(&[-1, 1])"],
    );
}

#[test]
fn transpose_of_a_3d_tensor() {
    // PyTorch 2.15: "t() expects a tensor with <= 2 dimensions, but self is 3D"
    let message = both(|| Tensor::zeros(&[2, 2, 2]), |t| drop(t.t()), |t| t.try_t());
    assert_message(
        &message,
        "t() expects a tensor with <= 2 dimensions, but self is 3D",
        &["op: t, shape [2, 2, 2]"],
    );
}

// ----- item, reshape --------------------------------------------------------------------------

#[test]
fn item_of_a_tensor_with_several_elements() {
    // PyTorch 2.15, word for word.
    let message = both(
        || tensor!([1.0, 2.0, 3.0, 4.0]),
        |t| {
            let _ = t.item();
        },
        |t| t.try_item(),
    );
    assert_message(
        &message,
        "a Tensor with 4 elements cannot be converted to Scalar",
        &["op: item", ".sum()"],
    );
}

#[test]
fn reshape_to_a_different_size() {
    // PyTorch 2.15, word for word (single quotes and all).
    let message = both(
        || Tensor::zeros(&[4]),
        |t| drop(t.reshape(&[3, 2])),
        |t| t.try_reshape(&[3, 2]),
    );
    assert_message(
        &message,
        "shape '[3, 2]' is invalid for input of size 4",
        &["op: reshape, from shape [4]", "-1"],
    );
    // PyTorch 2.15: "shape '[-1, 3]' is invalid for input of size 4"
    let message = both(
        || Tensor::zeros(&[2, 2]),
        |t| drop(t.reshape(&[-1, 3])),
        |t| t.try_reshape(&[-1, 3]),
    );
    assert_message(
        &message,
        "shape '[-1, 3]' is invalid for input of size 4",
        &["op: reshape, from shape [2, 2]"],
    );
    // PyTorch 2.15, word for word.
    let message = both(
        || Tensor::zeros(&[6]),
        |t| drop(t.reshape(&[-1, -1])),
        |t| t.try_reshape(&[-1, -1]),
    );
    assert_message(
        &message,
        "only one dimension can be inferred",
        &["op: reshape, from shape [6] to [-1, -1]"],
    );
}

// ----- autograd flags -------------------------------------------------------------------------

#[test]
fn requires_grad_false_on_a_non_leaf() {
    // PyTorch 2.15, word for word.
    let message = both(
        || &leaf() * 2.0,
        |y| drop(y.requires_grad_(false)),
        |y| y.try_requires_grad_(false),
    );
    assert_message(
        &message,
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
        &["op: requires_grad_", ".detach()"],
    );
}

// ----- dimensions -----------------------------------------------------------------------------

#[test]
fn dim_out_of_range() {
    // Each first line is PyTorch 2.15's for the same call.
    let message = both(
        || Tensor::ones(&[2]),
        |t| drop(t.sum_dim(&[1], false)),
        |t| t.try_sum_dim(&[1], false),
    );
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-1, 0], but got 1)",
        &["op: sum_dim, on a tensor with 1 dimensions"],
    );

    let message = both(
        || Tensor::ones(&[2, 2]),
        |t| drop(t.sum_dim(&[-3], true)),
        |t| t.try_sum_dim(&[-3], true),
    );
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-2, 1], but got -3)",
        &["op: sum_dim, on a tensor with 2 dimensions"],
    );

    let message = both(
        || Tensor::ones(&[2]),
        |t| drop(t.mean_dim(&[2], false)),
        |t| t.try_mean_dim(&[2], false),
    );
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-1, 0], but got 2)",
        &["op: mean_dim"],
    );

    // A scalar accepts 0 and -1, as in PyTorch.
    let message = both(
        || tensor!(1.0),
        |t| drop(t.sum_dim(&[1], false)),
        |t| t.try_sum_dim(&[1], false),
    );
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-1, 0], but got 1)",
        &["op: sum_dim, on a tensor with 0 dimensions"],
    );
    assert_eq!(tensor!(1.0).sum_dim(&[-1], false).item(), 1.0);

    let message = both(
        || tensor!([1.0]),
        |t| drop(t.squeeze(2)),
        |t| t.try_squeeze(2),
    );
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-1, 0], but got 2)",
        &["op: squeeze"],
    );
}

#[test]
fn unsqueeze_dim_out_of_range() {
    // PyTorch 2.15: unsqueeze of a 1-D tensor accepts -2..=1.
    let message = both(
        || Tensor::ones(&[2]),
        |t| drop(t.unsqueeze(3)),
        |t| t.try_unsqueeze(3),
    );
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-2, 1], but got 3)",
        &["op: unsqueeze"],
    );
}

#[test]
fn unsqueeze_dim_out_of_range_counts_the_input_dimensions() {
    // FAILS (src bug): the `op:` line says "on a tensor with 2 dimensions" for this 1-D tensor,
    // because unsqueeze passes its output rank to the error.
    let message = error_message(Tensor::ones(&[2]).try_unsqueeze(3));
    assert_message(
        &message,
        "Dimension out of range (expected to be in range of [-2, 1], but got 3)",
        &["op: unsqueeze, on a tensor with 1 dimension"],
    );
}

// ----- optimizers -----------------------------------------------------------------------------

#[test]
fn optimizer_with_an_empty_parameter_list() {
    // PyTorch 2.15 (a ValueError): "optimizer got an empty parameter list"
    const FIRST: &str = "optimizer got an empty parameter list";
    let message = both(
        Vec::<Tensor>::new,
        |p| drop(optim::SGD::new(p, 0.1)),
        |p| optim::SGD::try_new(p, 0.1),
    );
    assert_message(&message, FIRST, &["op: optimizer", "model.parameters()"]);
    let message = both(
        Vec::<Tensor>::new,
        |p| drop(optim::Adam::new(p, 0.1)),
        |p| optim::Adam::try_new(p, 0.1),
    );
    assert_message(&message, FIRST, &["op: optimizer"]);
}

/// Crate-specific: PyTorch 2.15 accepts a tensor that does not require grad (and never moves
/// it); the crate refuses one made without `requires_grad_(true)`. A module parameter frozen
/// with `requires_grad_(false)` is accepted, as in PyTorch (`tests/pytorch_habits.rs`).
#[test]
fn optimizer_with_a_parameter_that_does_not_require_grad() {
    let params = || vec![leaf(), Tensor::ones(&[2, 3])];
    let message = both(
        params,
        |p| drop(optim::SGD::new(p, 0.1)),
        |p| optim::SGD::try_new(p, 0.1),
    );
    assert_message(
        &message,
        "optimizer got a parameter that does not require grad",
        &[
            "op: optimizer, parameter 1 of shape [2, 3]",
            "requires_grad_(true)",
        ],
    );
    let message = both(
        params,
        |p| drop(optim::Adam::new(p, 0.1)),
        |p| optim::Adam::try_new(p, 0.1),
    );
    assert!(message.starts_with("optimizer got a parameter that does not require grad"));
}

#[test]
fn optimizer_with_a_non_leaf() {
    // PyTorch 2.15 (a ValueError): "can't optimize a non-leaf Tensor"
    let message = both(
        || vec![&leaf() * 2.0],
        |p| drop(optim::SGD::new(p, 0.1)),
        |p| optim::SGD::try_new(p, 0.1),
    );
    assert_message(
        &message,
        "can't optimize a non-leaf Tensor",
        &["op: optimizer, parameter 0 of shape [2]", "MulBackward0"],
    );
}

// ----- the error type itself ------------------------------------------------------------------

#[test]
fn errors_are_std_errors_and_comparable() {
    let a = Tensor::ones(&[3]).try_add(Tensor::ones(&[4])).unwrap_err();
    let b = Tensor::ones(&[3]).try_mul(Tensor::ones(&[4])).unwrap_err();
    assert_ne!(a, b, "the op is part of the error");
    let boxed: Box<dyn std::error::Error> = Box::new(a.clone());
    assert_eq!(boxed.to_string(), a.to_string());
    assert!(matches!(
        a,
        TensorError::Broadcast {
            op: "add",
            dim: 0,
            ..
        }
    ));
}

// ----- nan and inf: anomaly mode ----------------------------------------------------------------

#[test]
fn anomaly_mode_names_the_op_that_made_the_first_nan() {
    // l = mean((y - sqrt(w) x)^2) at w = -1: sqrt(-1) = nan, and every gradient would be nan.
    let lesson_loss = || {
        let w = tensor!(-1.0).requires_grad_(true);
        let x = tensor!([1.0, 2.0, 3.0, 4.0]);
        (&tensor!([2.0, 4.0, 6.0, 8.0]) - &w.sqrt() * &x)
            .pow(2.0)
            .mean()
    };
    // Without anomaly mode: no error, the loss and the gradient are just nan.
    let l = lesson_loss();
    l.backward();
    assert!(l.item().is_nan());

    autograd_core::set_detect_anomaly(true);
    let message = both(lesson_loss, |l| l.backward(), |l| l.try_backward());
    autograd_core::set_detect_anomaly(false);
    assert_message(
        &message,
        "Function 'SqrtBackward0' returned nan or inf values in its forward output, from finite inputs.",
        &["op: backward (anomaly mode), output of shape []", "log or sqrt"],
    );
}

#[test]
fn anomaly_mode_finds_weights_that_diverged() {
    // Lesson 03 with a learning rate 100 times too large: w grows by x30 per step until it
    // overflows. Anomaly mode stops at the first backward that meets a non-finite value.
    let x = tensor!([1.0, 2.0, 3.0, 4.0, 6.0, 8.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0, 11.0, 16.0]);
    let w = tensor!(0.0).requires_grad_(true);
    let mut opt = optim::SGD::new([&w], 1.0);
    let message = autograd_core::detect_anomaly(|| {
        for step in 0..100 {
            let l = nn::MSELoss::new().forward(&(&w * &x), &y);
            if let Err(e) = l.try_backward() {
                return e.to_string();
            }
            assert!(step < 99, "never diverged");
            opt.step();
            opt.zero_grad();
        }
        unreachable!()
    });
    assert!(!autograd_core::is_anomaly_enabled(), "restored afterwards");
    let first = message.lines().next().unwrap();
    assert!(
        first == "a leaf tensor that requires grad holds nan or inf values before this backward"
            || first.starts_with("Function '"),
        "{message}"
    );
    assert!(message.contains("learning rate is too large"), "{message}");
}

#[test]
fn anomaly_mode_reports_a_gradient_rule_that_returns_nan_in_pytorchs_words() {
    // d sqrt(x)/dx = 1 / (2 sqrt(x)) is inf at 0; times the 0 of `* 0.0` it is nan.
    autograd_core::set_detect_anomaly(true);
    let message = both(
        || {
            let x = tensor!([0.0, 1.0]).requires_grad_(true);
            (x.sqrt() * 0.0).sum()
        },
        |l| l.backward(),
        |l| l.try_backward(),
    );
    autograd_core::set_detect_anomaly(false);
    assert_message(
        &message,
        "Function 'SqrtBackward0' returned nan values in its 0th output.",
        &["gradient of shape [2]"],
    );
}

#[test]
fn anomaly_mode_names_data_that_is_already_nan() {
    autograd_core::set_detect_anomaly(true);
    let message = both(
        || {
            let w = tensor!(1.0).requires_grad_(true);
            (&w * &tensor!([1.0, f32::NAN])).sum()
        },
        |l| l.backward(),
        |l| l.try_backward(),
    );
    autograd_core::set_detect_anomaly(false);
    assert_message(
        &message,
        "input 1 of 'MulBackward0' holds nan or inf values, and it does not require grad (data, not a parameter)",
        &["input of shape [2]"],
    );
}

// ----- empty tensors ----------------------------------------------------------------------------

#[test]
fn empty_tensors_behave_as_in_pytorch() {
    let empty = Tensor::zeros(&[0]);
    assert_eq!(empty.to_string(), "tensor([])");
    // PyTorch: sum of nothing is 0, mean of nothing is nan.
    assert_eq!(empty.sum().item(), 0.0);
    assert!(empty.mean().item().is_nan());
    // A model applied to a batch of 0 samples gives 0 predictions.
    let model = nn::Linear::new(1, 1);
    assert_eq!(model.forward(&Tensor::zeros(&[0, 1])).shape(), vec![0, 1]);
    // Backward through an empty batch gives zero gradients.
    model.forward(&Tensor::zeros(&[0, 1])).sum().backward();
    assert_eq!(model.weight.grad().unwrap().to_vec(), vec![0.0]);

    let message = both(
        || Tensor::zeros(&[0, 3]),
        |t| {
            t.item();
        },
        |t| t.try_item(),
    );
    assert_message(
        &message,
        "a Tensor with 0 elements cannot be converted to Scalar",
        &["op: item"],
    );
}

// ----- warnings ----------------------------------------------------------------------------------

#[test]
fn mse_loss_warns_about_broadcasting_predictions_against_targets() {
    // The warning goes to stderr once per process, so look at it from a child process: this
    // same test binary, asked to run only the helper below.
    if std::env::var_os("AUTOGRAD_WARNING_CHILD").is_some() {
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "mse_loss_broadcast_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("AUTOGRAD_WARNING_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // PyTorch 2.15 prints the same sentence as a UserWarning.
    #[rustfmt::skip]
    let warning = "UserWarning: Using a target size (torch.Size([4])) that is different to the input size (torch.Size([4, 1])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.";
    assert_eq!(
        stderr.matches(warning).count(),
        1,
        "once, not per call:\n{stderr}"
    );
}

#[test]
fn mse_loss_broadcast_child() {
    if std::env::var_os("AUTOGRAD_WARNING_CHILD").is_none() {
        return; // only meaningful inside the child process above
    }
    let predictions = Tensor::zeros(&[4, 1]);
    let targets = tensor!([1.0, 2.0, 3.0, 4.0]);
    for _ in 0..3 {
        // (N, 1) against (N,) broadcasts to (N, N): a loss over 16 pairs, not 4.
        let l = nn::MSELoss::new().forward(&predictions, &targets);
        assert_eq!(l.item(), 7.5); // mean over all 16 pairs of (0 - y)^2
    }
}

// ----- the table in the docs ----------------------------------------------------------------------

#[test]
fn every_message_in_the_docs_table_is_tested_here() {
    // The table on `TensorError` (src/error.rs) quotes first lines; each must be asserted by a
    // test in this file, so the table cannot drift from what learners see.
    let docs = include_str!("../src/error.rs");
    let tests = include_str!("errors.rs");
    let rows: Vec<&str> = docs
        .lines()
        .filter(|l| l.starts_with("/// | ") && !l.starts_with("/// | mistake"))
        .collect();
    assert!(rows.len() >= 20, "the table has {} rows", rows.len());
    let mut missing = Vec::new();
    for row in rows {
        let message = row.trim_end_matches(" |").rsplit(" | `").next().unwrap();
        // Long messages are quoted up to `...`: compare the part before it.
        let message = message.trim_end_matches('`').trim_end_matches(" ...");
        if !tests.contains(message) {
            missing.push(message);
        }
    }
    assert!(
        missing.is_empty(),
        "not asserted in tests/errors.rs:\n{}",
        missing.join("\n")
    );
}
