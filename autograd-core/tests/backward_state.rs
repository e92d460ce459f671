//! `backward()` keeps no state outside the call: the gradients on their way and the set of
//! tensors it visits live in the call, so nothing of one backward reaches the next, and a
//! backward that fails half-way leaves every tensor as it found it. Expected values are
//! PyTorch 2.15's for the same program.

use autograd_core::prelude::*;

#[test]
fn a_leaf_that_stops_requiring_grad_gets_nothing_then_or_later() {
    // The program of issue 16, run in PyTorch 2.15:
    //   l = (w * x + b).sum(); w.requires_grad_(False); l.backward()  -> w.grad None, b.grad 3
    //   w.requires_grad_(True); (w * x).sum().backward()             -> w.grad 6
    // d/dw sum(w x) = sum(x) = 1 + 2 + 3 = 6; d/db sum(w x + b) = 3 (three elements). The
    // gradient MulBackward0 computed for w in the first call is not for w any more, and must
    // not wait on w until the next call (the crate once gave 12).
    let w = tensor!(1.0).requires_grad_(true);
    let b = tensor!(0.5).requires_grad_(true);
    let x = tensor!([1.0, 2.0, 3.0]);
    let l = (&(&w * &x) + &b).sum();
    w.requires_grad_(false);
    l.backward();
    assert!(w.grad().is_none());
    assert_eq!(b.grad().unwrap().item(), 3.0);
    w.requires_grad_(true);
    (&w * &x).sum().backward();
    assert_eq!(w.grad().unwrap().item(), 6.0);
    assert_eq!(b.grad().unwrap().item(), 3.0);
}

#[test]
fn a_failed_backward_leaves_grads_and_graph_as_they_were() {
    // a = e^w saves its output; changing it in place makes ExpBackward0 fail, after MulBackward0
    // has already passed y's gradient on. y.grad (retained) and w.grad must stay as they were,
    // and the graph must not be freed: the second call fails the same way, not with "backward
    // through the graph a second time".
    let w = tensor!([0.0, 1.0]).requires_grad_(true);
    (&w * 1.0).sum().backward(); // w.grad = [1, 1]
    let a = w.exp();
    let y = &a * 2.0;
    y.retain_grad();
    let l = y.sum();
    no_grad(|| a.add_(&tensor!(1.0)));
    for _ in 0..2 {
        let err = l.try_backward().unwrap_err().to_string();
        assert!(
            err.starts_with("one of the variables needed for gradient computation"),
            "{err}"
        );
        assert!(y.grad().is_none());
        assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    }
}

#[test]
fn set_grad_refuses_a_gradient_of_another_shape_in_pytorch_words() {
    // PyTorch 2.15, `t.grad = torch.zeros(3)` for `t` of shape [2]:
    let w = Tensor::zeros(&[2]).requires_grad_(true);
    let err = w.try_set_grad(Some(Tensor::zeros(&[3]))).unwrap_err();
    assert!(err.to_string().starts_with(
        "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure \
         that the gradient and the tensor are the same size\n"
    ));
    // ... and `torch.zeros(2, 3)`, `torch.zeros(())`: shapes written as PyTorch lists them.
    let err = w.try_set_grad(Some(Tensor::zeros(&[2, 3]))).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("attempting to assign a gradient of size '[2, 3]' to a tensor of size '[2]'"));
    let err = w.try_set_grad(Some(Tensor::scalar(0.0))).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("attempting to assign a gradient of size '[]' to a tensor of size '[2]'"));
    assert!(w.grad().is_none());
    // The right shape, and None, are accepted; the next backward adds into the given gradient.
    w.set_grad(Some(tensor!([10.0, 20.0])));
    (&w * 3.0).sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![13.0, 23.0]);
    w.set_grad(None);
    assert!(w.grad().is_none());
}

#[test]
fn one_leaf_through_two_graphs_in_turn() {
    // Three graphs over one leaf, built and walked in turn as notebook cells do: each call adds
    // exactly its own gradient at w = 1: d/dw (w^2 + 3w) = 2w + 3 = 5, then 6, then 3, so
    // w.grad is 5, 11, 14 (PyTorch 2.15 prints the same).
    let w = tensor!(1.0).requires_grad_(true);
    let first = &(&w * &w) + &(&w * 3.0); // d/dw = 2w + 3 = 5
    let second = &w * 6.0; // d/dw = 6
    first.backward_retain_graph();
    assert_eq!(w.grad().unwrap().item(), 5.0);
    second.backward();
    assert_eq!(w.grad().unwrap().item(), 11.0);
    let third = &w * 3.0; // d/dw = 3
    third.backward();
    assert_eq!(w.grad().unwrap().item(), 14.0);
}
