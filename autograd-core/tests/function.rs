//! Custom ops through `Function`, PyTorch's `torch.autograd.Function`: the node's name, the
//! gradients through gradcheck, and every way a `backward` can be wrong, refused in PyTorch's
//! words (PyTorch 2.15 printed each quoted message for the same program).

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd_core::prelude::*;

/// y = sin x;  dy/dx = cos x.
struct Sin;

impl Function for Sin {
    fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
        ctx.save_for_backward(&[inputs[0]]);
        inputs[0].map(f32::sin)
    }
    fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
        let x = &ctx.saved_tensors()[0];
        vec![Some(grad_output * &x.map(f32::cos))]
    }
}

/// The learner's mistake: sin where cos belongs.
struct WrongSin;

impl Function for WrongSin {
    fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
        ctx.save_for_backward(&[inputs[0]]);
        inputs[0].map(f32::sin)
    }
    fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
        let x = &ctx.saved_tensors()[0];
        vec![Some(grad_output * &x.map(f32::sin))]
    }
}

/// z = a * b, with a gradient only for the inputs that need one.
struct Mul;

impl Function for Mul {
    fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
        ctx.save_for_backward(inputs);
        inputs[0] * inputs[1]
    }
    fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
        let (a, b) = (&ctx.saved_tensors()[0], &ctx.saved_tensors()[1]);
        let needs = ctx.needs_input_grad();
        vec![
            needs[0].then(|| grad_output * b),
            needs[1].then(|| grad_output * a),
        ]
    }
}

#[test]
fn a_custom_op_is_named_after_its_type_and_gives_cos() {
    let x = tensor!([0.0, 1.0, -2.5]).requires_grad_(true);
    let y = Sin::apply(&[&x]);
    assert_eq!(y.grad_fn(), Some("SinBackward")); // type(y.grad_fn).__name__ in PyTorch
    assert!(y.requires_grad() && !y.is_leaf());
    assert_eq!(y.to_vec(), x.detach().map(f32::sin).to_vec());
    y.sum().backward(); // d/dx sum(sin x) = cos x, as f32::cos gives it
    let cos: Vec<f32> = [0.0f32, 1.0, -2.5].iter().map(|x| x.cos()).collect();
    assert_eq!(x.grad().unwrap().to_vec(), cos);
}

#[test]
fn gradcheck_passes_a_right_rule_and_fails_a_wrong_one() {
    for point in [
        tensor!([0.3, -1.2, 2.0]),
        tensor!([[0.5], [4.0]]),
        tensor!(1.0),
    ] {
        let right = gradcheck(|t| Sin::apply(&[&t[0]]).sum(), std::slice::from_ref(&point));
        assert!(right.passed(), "{right}");
        let wrong = gradcheck(
            |t| WrongSin::apply(&[&t[0]]).sum(),
            std::slice::from_ref(&point),
        );
        assert!(!wrong.passed(), "{wrong}");
    }
    // Two inputs, inside a bigger graph.
    let check = gradcheck(
        |t| (&Mul::apply(&[&t[0], &t[1]]) * &t[0]).sum(),
        &[tensor!([1.0, -2.0]), tensor!([0.5, 3.0])],
    );
    assert!(check.passed(), "{check}");
}

#[test]
fn only_the_inputs_that_need_a_gradient_get_one() {
    let a = tensor!([1.0, 2.0]).requires_grad_(true);
    let b = tensor!([3.0, 4.0]);
    Mul::apply(&[&a, &b]).sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![3.0, 4.0]);
    assert!(b.grad().is_none());
    // Under no_grad nothing is recorded.
    let y = no_grad(|| Mul::apply(&[&a, &b]));
    assert!(!y.requires_grad() && y.grad_fn().is_none());
}

#[test]
fn none_for_an_input_that_needs_a_gradient_gives_it_none() {
    // PyTorch 2.15: a backward returning None leaves x.grad None.
    struct Stop;
    impl Function for Stop {
        fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
            inputs[0].map(|x| x)
        }
        fn backward(_ctx: &Context, _grad_output: &Tensor) -> Vec<Option<Tensor>> {
            vec![None]
        }
    }
    let x = tensor!([1.0, 2.0]).requires_grad_(true);
    Stop::apply(&[&x]).sum().backward();
    assert!(x.grad().is_none());
}

#[test]
fn the_wrong_number_of_gradients_is_refused_in_pytorch_words() {
    struct Sin2;
    impl Function for Sin2 {
        fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
            inputs[0].map(f32::sin)
        }
        fn backward(_ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
            vec![Some(grad_output.clone()), Some(grad_output.clone())]
        }
    }
    let x = tensor!([1.0, 2.0]).requires_grad_(true);
    let err = Sin2::apply(&[&x]).sum().try_backward().unwrap_err();
    let first = err.to_string().lines().next().unwrap().to_string();
    assert_eq!(
        first,
        "function Sin2Backward returned an incorrect number of gradients (expected 1, got 2)"
    );
    assert!(x.grad().is_none());
}

/// Returns a gradient of the given shape, whatever the input.
struct Shaped<const N: usize, const M: usize>;

impl<const N: usize, const M: usize> Function for Shaped<N, M> {
    fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
        inputs[0].map(|x| x)
    }
    fn backward(_ctx: &Context, _grad_output: &Tensor) -> Vec<Option<Tensor>> {
        let shape: Vec<usize> = [N, M].into_iter().filter(|&d| d > 0).collect();
        vec![Some(Tensor::ones(&shape))]
    }
}

#[test]
fn a_gradient_of_the_wrong_shape_is_refused_in_pytorch_words() {
    let x = tensor!([1.0, 2.0]).requires_grad_(true);
    // PyTorch 2.15 (for a class Shaped): `return torch.ones(3)` for an input of shape [2].
    let err = Shaped::<3, 0>::apply(&[&x])
        .sum()
        .try_backward()
        .unwrap_err();
    assert_eq!(
        err.to_string().lines().next().unwrap(),
        "Function ShapedBackward returned an invalid gradient at index 0 - got [3] but expected shape compatible with [2]"
    );
    // `torch.ones(3, 1)`: [2] does not broadcast to [3, 1] either.
    let err = Shaped::<3, 1>::apply(&[&x])
        .sum()
        .try_backward()
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("got [3, 1] but expected shape compatible with [2]"));
    assert!(x.grad().is_none());
    // `torch.ones(2, 2)`: [2] broadcasts to it, so PyTorch sums it down: x.grad = [2, 2].
    Shaped::<2, 2>::apply(&[&x]).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
}

#[test]
fn the_name_drops_the_path_and_the_generic_arguments() {
    struct Scale<T>(std::marker::PhantomData<T>);
    impl<T> Function for Scale<T> {
        fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
            inputs[0] * 2.0
        }
        fn backward(_ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
            vec![Some(grad_output * 2.0)]
        }
    }
    let x = tensor!(1.0).requires_grad_(true);
    assert_eq!(Scale::<f32>::apply(&[&x]).grad_fn(), Some("ScaleBackward"));
    // The graph drawing shows the node by that name.
    let y = Sin::apply(&[&x]);
    assert!(y.to_dot().contains("label=\"SinBackward\""));
}

#[test]
fn a_panic_in_backward_leaves_every_tensor_as_before() {
    // The walk reaches the custom op after MulBackward0 has passed y's gradient on; the panic
    // must leave w.grad, y.grad (retained) and the graph as they were.
    struct Panics;
    impl Function for Panics {
        fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
            inputs[0].map(|x| x)
        }
        fn backward(_ctx: &Context, _grad_output: &Tensor) -> Vec<Option<Tensor>> {
            panic!("a bug in a gradient rule")
        }
    }
    let w = tensor!([1.0, 2.0]).requires_grad_(true);
    w.set_grad(Some(tensor!([5.0, 5.0])));
    let b = tensor!(3.0).requires_grad_(true);
    let y = &Panics::apply(&[&w]) * &b;
    y.retain_grad();
    let l = y.sum();
    for _ in 0..2 {
        // The rule's own panic both times: the graph was not freed by the first.
        let caught = catch_unwind(AssertUnwindSafe(|| l.backward()));
        let message = *caught.unwrap_err().downcast::<&str>().unwrap();
        assert_eq!(message, "a bug in a gradient rule");
        assert_eq!(w.grad().unwrap().to_vec(), vec![5.0, 5.0]);
        assert!(b.grad().is_none() && y.grad().is_none());
        assert!(is_grad_enabled()); // backward's no_grad ended with the panic
    }
    // The next backward on w is PyTorch's: d/dw sum(3 w) = 3, added to the 5 set before.
    (&w * 3.0).sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![8.0, 8.0]);
}

#[test]
fn saved_tensors_are_freed_and_checked_like_the_crates_own() {
    // PyTorch 2.15: backward twice through a Function that saved a tensor fails with the
    // freed-graph message; one that saved none may run again.
    let x = tensor!([0.5, 1.5]).requires_grad_(true);
    let l = Sin::apply(&[&x]).sum();
    l.backward();
    let err = l.try_backward().unwrap_err().to_string();
    assert!(err.starts_with("Trying to backward through the graph a second time"));
    assert!(err.contains("SinBackward"));

    struct Twice;
    impl Function for Twice {
        fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
            inputs[0] * 2.0
        }
        fn backward(_ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
            vec![Some(grad_output * 2.0)]
        }
    }
    x.set_grad(None);
    let l = Twice::apply(&[&x]).sum();
    l.backward();
    l.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 4.0]);

    // A saved input changed in place before backward: PyTorch's message.
    let x = tensor!([0.5, 1.5]).requires_grad_(true);
    let l = Sin::apply(&[&x]).sum();
    no_grad(|| x.add_(&tensor!(1.0)));
    let err = l.try_backward().unwrap_err().to_string();
    assert!(
        err.starts_with("one of the variables needed for gradient computation has been modified by an inplace operation"),
        "{err}"
    );
}

#[test]
fn map_refuses_a_tensor_autograd_would_lose() {
    let x = tensor!([1.0]).requires_grad_(true);
    let caught = catch_unwind(AssertUnwindSafe(|| x.map(f32::sin)));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.starts_with("map is not recorded by autograd"),
        "{message}"
    );
    assert_eq!(x.detach().map(|v| v + 1.0).to_vec(), vec![2.0]);
    assert_eq!(no_grad(|| x.map(|v| v * 3.0)).to_vec(), vec![3.0]);
}
