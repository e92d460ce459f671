//! Fuzzing the shape logic against reference rules written here from PyTorch's documentation
//! and source (`infer_size`, `infer_size` for views, `matmul`, dimension wrapping): on random
//! shapes, every `try_` op either returns the reference shape or the reference error message,
//! and never panics. Sizes include 0 (empty tensors) and 1 (broadcast).

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd_core::prelude::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// A shape of rank 0..=4 with sizes 0..=4, mostly 1..=3 so that shapes often agree.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    vec(
        prop_oneof![1 => Just(0usize), 6 => 1usize..=3, 1 => Just(4usize)],
        0..=4,
    )
}

/// Runs `f`, turning a panic into a test failure that names the case.
fn no_panic<T>(case: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("a try_ op panicked: {case}"))
}

/// PyTorch's `infer_size`: walk the dimensions from the last; each pair of sizes must be equal
/// or one of them 1. The first mismatch found *from the right* is the one reported.
fn reference_broadcast(a: &[usize], b: &[usize]) -> std::result::Result<Vec<usize>, String> {
    let ndim = a.len().max(b.len());
    let mut out = vec![0; ndim];
    for i in (0..ndim).rev() {
        let offset = ndim - 1 - i;
        let size_a = if offset < a.len() {
            a[a.len() - 1 - offset]
        } else {
            1
        };
        let size_b = if offset < b.len() {
            b[b.len() - 1 - offset]
        } else {
            1
        };
        if size_a != size_b && size_a != 1 && size_b != 1 {
            return Err(format!(
                "The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) at non-singleton dimension {i}"
            ));
        }
        out[i] = if size_a == 1 { size_b } else { size_a };
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn binary_ops_follow_the_broadcasting_rule(a in shape(), b in shape(), grad in any::<bool>()) {
        let x = Tensor::ones(&a).requires_grad_(grad);
        let y = Tensor::ones(&b);
        let expected = reference_broadcast(&a, &b);
        for (name, op) in [
            ("add", (|x, y| x.try_add(y)) as fn(&Tensor, &Tensor) -> autograd_core::Result<Tensor>),
            ("sub", |x, y| x.try_sub(y)),
            ("mul", |x, y| x.try_mul(y)),
            ("div", |x, y| x.try_div(y)),
        ] {
            let case = format!("{name} {a:?} {b:?}");
            let got = no_panic(&case, || op(&x, &y));
            match (&expected, got) {
                (Ok(shape), Ok(z)) => {
                    prop_assert_eq!(&z.shape(), shape, "{}", case);
                    prop_assert_eq!(z.requires_grad(), grad, "{}", case);
                    if grad && z.numel() > 0 {
                        // The gradient flows back to the input's own shape.
                        no_panic(&case, || z.sum().backward());
                        prop_assert_eq!(x.grad().unwrap().shape(), a.clone(), "{}", case);
                        x.set_grad(None);
                    }
                }
                (Err(message), Err(e)) => {
                    let text = e.to_string();
                    prop_assert_eq!(text.lines().next().unwrap(), message.as_str(), "{}", case);
                    prop_assert!(text.contains(&format!("op: {name}, shapes {a:?} and {b:?}")), "{}: {}", case, text);
                    prop_assert!(text.contains("hint: "), "{}", case);
                }
                (expected, got) => prop_assert!(false, "{}: expected {:?}, got {:?}", case, expected, got.map(|t| t.shape())),
            }
        }
        prop_assert_eq!(autograd_core::broadcast_shapes("add", &a, &b).map_err(|e| e.to_string().lines().next().unwrap().to_string()), expected);
    }

    #[test]
    fn matmul_follows_pytorchs_rules(a in vec(0usize..=3, 0..=3), b in vec(0usize..=3, 0..=3)) {
        let case = format!("matmul {a:?} {b:?}");
        let got = no_panic(&case, || Tensor::ones(&a).try_matmul(&Tensor::ones(&b)));
        let expected: std::result::Result<Vec<usize>, String> = match (a.as_slice(), b.as_slice()) {
            ([k], [l]) if k == l => Ok(vec![]),
            ([k], [l]) => Err(format!("inconsistent tensor size, expected tensor [{k}] and src [{l}] to have the same number of elements, but got {k} and {l} elements respectively")),
            ([n, k], [l]) if k == l => Ok(vec![*n]),
            ([n, k], [l]) => Err(format!("size mismatch, got input ({n}), mat ({n}x{k}), vec ({l})")),
            ([k], [l, m]) if k == l => Ok(vec![*m]),
            ([k], [l, m]) => Err(format!("mm: mat1 and mat2 shapes cannot be multiplied (1x{k} and {l}x{m})")),
            ([n, k], [l, m]) if k == l => Ok(vec![*n, *m]),
            ([n, k], [l, m]) => Err(format!("mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {l}x{m})")),
            // 0-d or 3-d: outside this crate's matmul, which says so.
            _ => Err("matmul: both arguments must be vectors or matrices".to_string()),
        };
        match (expected, got) {
            (Ok(shape), Ok(z)) => {
                prop_assert_eq!(z.shape(), shape.clone(), "{}", case);
                // An empty inner dimension sums nothing: zeros, as in PyTorch.
                prop_assert!(z.to_vec().iter().all(|&v| v == a.last().copied().unwrap_or(0) as f32), "{}", case);
            }
            (Err(message), Err(e)) => {
                let text = e.to_string();
                prop_assert!(text.starts_with(&message), "{}: {}", case, text);
                prop_assert!(text.contains("hint: "), "{}", case);
            }
            (expected, got) => prop_assert!(false, "{}: expected {:?}, got {:?}", case, expected, got.map(|t| t.shape())),
        }
    }

    #[test]
    fn reshape_follows_pytorchs_rules(from in shape(), to in vec(prop_oneof![4 => 0isize..=4, 1 => Just(-1isize), 1 => Just(-2isize)], 0..=4)) {
        let case = format!("reshape {from:?} to {to:?}");
        let numel: usize = from.iter().product();
        let got = no_panic(&case, || Tensor::zeros(&from).try_reshape(&to));
        let inferred = to.iter().filter(|&&d| d == -1).count();
        let known: usize = to.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        let expected: std::result::Result<Vec<usize>, String> = if let Some(bad) = to.iter().find(|&&d| d < -1) {
            Err(format!("invalid shape dimension {bad}"))
        } else if inferred > 1 {
            Err("only one dimension can be inferred".to_string())
        } else if inferred == 1 && known == 0 {
            if numel == 0 {
                Err(format!("cannot reshape tensor of 0 elements into shape {to:?} because the unspecified dimension size -1 can be any value and is ambiguous"))
            } else {
                Err(format!("shape '{to:?}' is invalid for input of size {numel}"))
            }
        } else if inferred == 1 && numel % known == 0 {
            Ok(to.iter().map(|&d| if d == -1 { numel / known } else { d as usize }).collect())
        } else if inferred == 0 && known == numel {
            Ok(to.iter().map(|&d| d as usize).collect())
        } else {
            Err(format!("shape '{to:?}' is invalid for input of size {numel}"))
        };
        match (expected, got) {
            (Ok(shape), Ok(z)) => prop_assert_eq!(z.shape(), shape, "{}", case),
            (Err(message), Err(e)) => {
                let text = e.to_string();
                prop_assert_eq!(text.lines().next().unwrap(), message.as_str(), "{}", case);
                prop_assert!(text.contains("hint: "), "{}", case);
            }
            (expected, got) => prop_assert!(false, "{}: expected {:?}, got {:?}", case, expected, got.map(|t| t.shape())),
        }
    }

    #[test]
    fn reductions_wrap_dimensions_like_pytorch(from in shape(), dim in -5isize..=5, keepdim in any::<bool>()) {
        let case = format!("sum_dim {from:?} dim {dim} keepdim {keepdim}");
        let got = no_panic(&case, || Tensor::ones(&from).try_sum_dim(&[dim], keepdim));
        // A 0-d tensor accepts dims 0 and -1 as if it had one dimension.
        let rank = from.len().max(1) as isize;
        let expected = if dim < -rank || dim >= rank {
            Err(format!("Dimension out of range (expected to be in range of [{}, {}], but got {dim})", -rank, rank - 1))
        } else if from.is_empty() {
            Ok(vec![])
        } else {
            let d = dim.rem_euclid(rank) as usize;
            let mut shape = from.clone();
            if keepdim { shape[d] = 1 } else { shape.remove(d); }
            Ok(shape)
        };
        match (expected, got) {
            (Ok(shape), Ok(z)) => {
                prop_assert_eq!(z.shape(), shape, "{}", case);
                let d = if from.is_empty() { None } else { Some(dim.rem_euclid(rank) as usize) };
                let n = d.map_or(1, |d| from[d]) as f32;
                prop_assert!(z.to_vec().iter().all(|&v| v == n), "{}: sums of ones are the reduced size", case);
                let mean = no_panic(&case, || Tensor::ones(&from).try_mean_dim(&[dim], keepdim)).unwrap();
                prop_assert_eq!(mean.shape(), z.shape(), "{}", case);
            }
            (Err(message), Err(e)) => {
                let text = e.to_string();
                prop_assert_eq!(text.lines().next().unwrap(), message.as_str(), "{}", case);
            }
            (expected, got) => prop_assert!(false, "{}: expected {:?}, got {:?}", case, expected, got.map(|t| t.shape())),
        }
    }
}

#[test]
fn the_fuzzed_messages_are_pytorchs_own() {
    // Spot checks of the reference rules above against messages PyTorch 2.15 printed.
    assert_eq!(
        reference_broadcast(&[2, 3], &[3, 4]).unwrap_err(),
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
    );
    assert_eq!(
        reference_broadcast(&[0, 3], &[2, 3]).unwrap_err(),
        "The size of tensor a (0) must match the size of tensor b (2) at non-singleton dimension 0"
    );
    assert_eq!(reference_broadcast(&[0, 1], &[1, 3]).unwrap(), vec![0, 3]);
}
