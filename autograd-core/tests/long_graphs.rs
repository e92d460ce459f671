//! Graphs of a million ops: built, walked by backward, and dropped, without a stack overflow.

use autograd_core::prelude::*;

#[test]
fn a_graph_of_a_million_ops_is_dropped_without_overflowing_the_stack() {
    // A learner's loop that forgets `no_grad` records every update into one long graph.
    // Dropping it used to recurse once per op and overflow the stack, killing the kernel.
    let w = tensor!(1.0).requires_grad_(true);
    let mut x = w.shallow_clone();
    for _ in 0..1_000_000 {
        x = &x * 1.0;
    }
    assert_eq!(x.grad_fn(), Some("MulBackward0"));
    drop(x); // the whole chain goes here
    assert!(w.grad().is_none());
}

#[test]
fn backward_through_a_long_chain_works_and_frees_it() {
    let w = tensor!(2.0).requires_grad_(true);
    let mut x = w.shallow_clone();
    for _ in 0..100_000 {
        x = &x + 1.0;
    }
    x.backward(); // d(w + 100000)/dw = 1
    assert_eq!(w.grad().unwrap().item(), 1.0);
}
