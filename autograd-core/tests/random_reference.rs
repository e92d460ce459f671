//! `manual_seed` then `rand`, `randn`, `nn::init::uniform_`, `nn::init::normal_`,
//! `nn::Linear::new` and `Tensor::randperm` against PyTorch's own draws, bit for bit:
//! `reference/random_draws.json`, written by `scripts/make_reference.py` (see reference/README.md).
//!
//! PyTorch's bits depend on the CPU kernel it picks; the file holds two: `avx2` (x86-64 with AVX2,
//! what PyTorch runs on nearly every PC) and `default` (its scalar code, `ATEN_CPU_CAPABILITY=
//! default`). The crate picks like PyTorch and honours the same variable, so both are tested here.

use std::sync::Mutex;

mod common;

use autograd_core::prelude::*;
use common::{assert_bits, floats};
use serde_json::Value;

/// The generator is global: the tests of this file take turns.
static GENERATOR: Mutex<()> = Mutex::new(());

fn indices(v: &Value) -> Vec<usize> {
    let list = v.as_array().expect("a list of indices");
    list.iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

/// The kernel PyTorch would run here (AVX2 and FMA on x86-64, unless `ATEN_CPU_CAPABILITY=default`),
/// as the crate picks it.
fn native_kernel() -> &'static str {
    let forced_default =
        std::env::var("ATEN_CPU_CAPABILITY").is_ok_and(|c| c.eq_ignore_ascii_case("default"));
    #[cfg(target_arch = "x86_64")]
    if !forced_default && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        return "avx2";
    }
    "default"
}

/// One call of a sequence, drawn by the crate; `expected` is PyTorch's entry for it.
fn check_call(what: &str, call: &str, args: &[Value], expected: &Value) {
    let n = |i: usize| args[i].as_u64().unwrap() as usize;
    let x = |i: usize| args[i].as_f64().unwrap();
    let values = match call {
        "rand" => Tensor::rand(&(0..args.len()).map(n).collect::<Vec<_>>()).to_vec(),
        "randn" => Tensor::randn(&(0..args.len()).map(n).collect::<Vec<_>>()).to_vec(),
        "uniform_" => nn::init::uniform_(&Tensor::zeros(&[n(0)]), x(1), x(2)).to_vec(),
        "normal_" => nn::init::normal_(&Tensor::zeros(&[n(0)]), x(1), x(2)).to_vec(),
        "linear" => {
            let lin = nn::Linear::new(n(0), n(1));
            assert_eq!(lin.weight.shape(), vec![n(1), n(0)]);
            assert_bits(
                &format!("{what} weight"),
                &lin.weight.to_vec(),
                &floats(&expected["weight"]),
            );
            let bias = lin.bias.to_vec();
            assert_bits(&format!("{what} bias"), &bias, &floats(&expected["bias"]));
            return;
        }
        "randperm" => {
            assert_eq!(
                Tensor::randperm(n(0)),
                indices(&expected["values"]),
                "{what}"
            );
            return;
        }
        other => panic!("unknown call {other} in the reference"),
    };
    assert_bits(what, &values, &floats(&expected["values"]));
}

/// Every case of one kernel's section, checked with the crate's current kernel.
fn check_kernel(reference: &Value, kernel: &str) -> usize {
    let section = &reference["kernels"][kernel];
    let mut checked = 0;
    let single = [
        ("rand", vec![]),
        ("randn", vec![]),
        (
            "uniform_",
            reference["uniform_args"].as_array().unwrap().clone(),
        ),
        (
            "normal_",
            reference["normal_args"].as_array().unwrap().clone(),
        ),
    ];
    for (call, extra) in single {
        for (seed, sizes) in section[call].as_object().unwrap() {
            for (n, expected) in sizes.as_object().unwrap() {
                manual_seed(seed.parse().unwrap());
                let mut args = vec![Value::from(n.parse::<u64>().unwrap())];
                args.extend(extra.iter().cloned());
                let what = format!("{kernel} {call}({n}) seed {seed}");
                check_call(
                    &what,
                    call,
                    &args,
                    &serde_json::json!({ "values": expected }),
                );
                checked += 1;
            }
        }
    }
    for (shape, seeds) in section["linear"].as_object().unwrap() {
        let (i, o) = shape.split_once('x').unwrap();
        for (seed, expected) in seeds.as_object().unwrap() {
            manual_seed(seed.parse().unwrap());
            let args = [
                Value::from(i.parse::<u64>().unwrap()),
                Value::from(o.parse::<u64>().unwrap()),
            ];
            check_call(
                &format!("{kernel} Linear({i}, {o}) seed {seed}"),
                "linear",
                &args,
                expected,
            );
            checked += 1;
        }
    }
    for (seed, sizes) in section["randperm"].as_object().unwrap() {
        for (n, expected) in sizes.as_object().unwrap() {
            manual_seed(seed.parse().unwrap());
            assert_eq!(
                Tensor::randperm(n.parse().unwrap()),
                indices(expected),
                "{kernel} randperm({n}) seed {seed}"
            );
            checked += 1;
        }
    }
    for (name, seeds) in section["sequences"].as_object().unwrap() {
        for (seed, calls) in seeds.as_object().unwrap() {
            manual_seed(seed.parse().unwrap());
            for (k, entry) in calls.as_array().unwrap().iter().enumerate() {
                let call = entry["call"].as_str().unwrap();
                let what = format!("{kernel} sequence {name} seed {seed}, call {k} ({call})");
                check_call(&what, call, entry["args"].as_array().unwrap(), entry);
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn draws_equal_pytorch_on_this_cpu() {
    let _turn = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let reference = common::reference("random_draws.json");
    // 4 seeds x 6 sizes x 4 kinds, 3 Linear shapes x 4 seeds, 2 randperm x 4 seeds, 16 calls x 4
    let checked = check_kernel(&reference, native_kernel());
    assert!(checked >= 48, "only {checked} cases checked");
}

/// PyTorch's scalar kernels, as `ATEN_CPU_CAPABILITY=default` selects them in both.
#[test]
fn draws_equal_pytorch_scalar_kernels() {
    let _turn = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let reference = common::reference("random_draws.json");
    let before = std::env::var_os("ATEN_CPU_CAPABILITY");
    std::env::set_var("ATEN_CPU_CAPABILITY", "default");
    let checked = std::panic::catch_unwind(|| check_kernel(&reference, "default"));
    match before {
        Some(value) => std::env::set_var("ATEN_CPU_CAPABILITY", value),
        None => std::env::remove_var("ATEN_CPU_CAPABILITY"),
    }
    assert!(checked.unwrap() >= 24);
}

/// The serial normal path keeps its second sample: randn(1) twice is one Box-Muller pair, and
/// manual_seed forgets the kept sample (as PyTorch's `set_current_seed` does).
#[test]
fn normal_sample_kept_between_calls_and_dropped_by_manual_seed() {
    let _turn = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    manual_seed(3);
    let pair = Tensor::randn(&[2]).to_vec();
    manual_seed(3);
    let first = Tensor::randn(&[1]).item();
    let second = Tensor::randn(&[1]).item();
    assert_eq!(vec![first, second], pair);
    manual_seed(3);
    assert_eq!(Tensor::randn(&[1]).item(), first);
}

/// `initial_seed` reports the seed; a fresh process starts from PyTorch's C++ default seed.
#[test]
fn initial_seed_is_the_last_manual_seed() {
    let _turn = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    manual_seed(2024);
    assert_eq!(autograd_core::initial_seed(), 2024);
}
