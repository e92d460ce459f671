//! `TensorDataset` and `DataLoader` against PyTorch's `torch.utils.data`, index for index and
//! bit for bit: `reference/data_loader.json`, written by `scripts/make_reference.py`.
//!
//! The batches' order must be PyTorch's for the same seed, and the loader must consume the
//! global random stream exactly as PyTorch's does (two 32-bit draws at each `iter(loader)`, two
//! more at a shuffled epoch's first batch): each case draws `torch.rand(2)` after its three
//! epochs, and the training loop interleaves `nn.Linear`, `torch.rand` and `torch.randn` with
//! the batches.

use std::sync::Mutex;

mod common;

use autograd_core::prelude::*;
use common::{assert_bits, assert_close, floats};
use serde_json::Value;

/// The generator is global: the tests of this file take turns.
static GENERATOR: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    GENERATOR.lock().unwrap_or_else(|p| p.into_inner())
}

fn indices(v: &Value) -> Vec<usize> {
    let list = v.as_array().expect("a list of indices");
    list.iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn batches(v: &Value) -> Vec<Vec<usize>> {
    v.as_array().unwrap().iter().map(indices).collect()
}

/// A batch of the index tensor (`arange(n)` in f32: exact below 2^24) as indices.
fn as_indices(t: &Tensor) -> Vec<usize> {
    t.to_vec().iter().map(|&v| v as usize).collect()
}

/// 2 seeds x 2 sizes x 2 batch sizes x shuffle x drop_last = 32 loaders, 3 epochs each.
#[test]
fn every_case_matches_pytorch_order_and_stream() {
    let _turn = turn();
    let reference = common::reference("data_loader.json");
    let cases = reference["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 32);
    let mut batches_checked = 0;
    for (name, case) in cases {
        let n = case["n"].as_u64().unwrap() as usize;
        manual_seed(case["seed"].as_u64().unwrap());
        let x = Tensor::arange(0.0, n as f64, 1.0);
        let dataset = TensorDataset::new(&[&x]);
        let loader = DataLoader::new(&dataset, case["batch_size"].as_u64().unwrap() as usize)
            .shuffle(case["shuffle"].as_bool().unwrap())
            .drop_last(case["drop_last"].as_bool().unwrap());
        assert_eq!(
            loader.len() as u64,
            case["len"].as_u64().unwrap(),
            "{name}: len"
        );
        for (e, expected) in case["epochs"].as_array().unwrap().iter().enumerate() {
            let ours: Vec<Vec<usize>> = (&loader).into_iter().map(|[xb]| as_indices(&xb)).collect();
            assert_eq!(ours, batches(expected), "{name}: epoch {e}");
            batches_checked += ours.len();
        }
        let after = Tensor::rand(&[2]).to_vec();
        assert_bits(
            &format!("{name}: rand after"),
            &after,
            &floats(&case["rand_after"]),
        );
    }
    assert!(batches_checked > 500, "{batches_checked} batches");
}

/// `iter(loader)` draws its base seed at once, the sampler its seed only at the first batch: a
/// draw in between comes after the first and before the second.
#[test]
fn sampler_seed_is_drawn_at_the_first_batch() {
    let _turn = turn();
    let lazy = &common::reference("data_loader.json")["lazy"];
    manual_seed(0);
    let x = Tensor::arange(0.0, 10.0, 1.0);
    let loader = DataLoader::new(&TensorDataset::new(&[&x]), 4).shuffle(true);
    let it = loader.iter();
    assert_bits(
        "rand between",
        &Tensor::rand(&[1]).to_vec(),
        &floats(&lazy["rand_between"]),
    );
    let ours: Vec<Vec<usize>> = it.map(|[xb]| as_indices(&xb)).collect();
    assert_eq!(ours, batches(&lazy["batches"]));
    assert_bits(
        "rand after",
        &Tensor::rand(&[1]).to_vec(),
        &floats(&lazy["rand_after"]),
    );
}

/// A training loop in PyTorch's real order: data, model init, then shuffled mini-batches, with a
/// draw inside the loop and one after each epoch. Random values bit for bit; the losses and the
/// final parameters within relative 1e-5 (MSELoss sums in another order, reference/README.md).
#[test]
fn training_loop_consumes_the_stream_like_pytorch() {
    let _turn = turn();
    let reference = common::reference("data_loader.json");
    for (seed, expected) in reference["training"].as_object().unwrap() {
        manual_seed(seed.parse().unwrap());
        let x = Tensor::rand(&[100, 1]) * 10.0;
        let y = 2.0 * &x + 1.0 + Tensor::randn(&[100, 1]);
        assert_bits("x", &x.to_vec(), &floats(&expected["x"]));
        assert_bits("y", &y.to_vec(), &floats(&expected["y"]));
        let idx = Tensor::arange(0.0, 100.0, 1.0);
        let model = nn::Linear::new(1, 1);
        assert_bits(
            "weight",
            &model.weight.to_vec(),
            &floats(&expected["init"]["weight"]),
        );
        assert_bits(
            "bias",
            &model.bias.to_vec(),
            &floats(&expected["init"]["bias"]),
        );
        let mut optimizer = optim::SGD::new(model.parameters(), 0.01);
        let loss_fn = nn::MSELoss::new();
        let loader = DataLoader::new(&TensorDataset::new(&[&x, &y, &idx]), 32).shuffle(true);
        let (mut order, mut inside, mut after_epoch, mut losses) = (vec![], vec![], vec![], vec![]);
        for _ in 0..3 {
            for [xb, yb, ib] in &loader {
                order.push(as_indices(&ib));
                inside.push(Tensor::rand(&[]).item());
                let loss = loss_fn.forward(&model.forward(&xb), &yb);
                loss.backward();
                optimizer.step();
                optimizer.zero_grad();
                losses.push(loss.item());
            }
            after_epoch.push(Tensor::randn(&[3]).to_vec());
        }
        assert_eq!(order, batches(&expected["batches"]), "seed {seed}: batches");
        assert_eq!(order.len(), 12); // 3 epochs of 32 + 32 + 32 + 4
        assert_bits("rand inside", &inside, &floats(&expected["rand_inside"]));
        for (e, values) in after_epoch.iter().enumerate() {
            let torch = floats(&expected["randn_after_epoch"][e]);
            assert_bits(&format!("randn after epoch {e}"), values, &torch);
        }
        assert_close("loss", &losses, &floats(&expected["loss"]));
        assert_close(
            "weight",
            &model.weight.to_vec(),
            &floats(&expected["weight"]),
        );
        // the bias ends near 0 (about 1e-3), where a relative bound measures only the
        // cancellation: the summation order's last-bit differences on the gradient's terms (of
        // size 1 to 20) leave about 5e-8 here, so the bound is absolute
        let (ours, torch) = (model.bias.item(), floats(&expected["bias"])[0]);
        assert!(
            (ours - torch).abs() < 1e-6,
            "bias: ours {ours:e}, PyTorch {torch:e}"
        );
    }
}

/// The batches are rows of the dataset's tensors, together: row i of x goes with row i of y.
#[test]
fn batches_keep_rows_together_and_cover_each_sample_once() {
    let _turn = turn();
    manual_seed(3);
    let x = Tensor::arange(0.0, 20.0, 1.0).reshape(&[10, 2]); // row i = [2i, 2i + 1]
    let y = Tensor::arange(0.0, 10.0, 1.0) * 3.0;
    let loader = DataLoader::new(&TensorDataset::new(&[&x, &y]), 4).shuffle(true);
    let mut seen = vec![];
    for [xb, yb] in &loader {
        assert_eq!(xb.shape()[1..], [2]);
        for (row, target) in xb.to_vec().chunks(2).zip(yb.to_vec()) {
            let i = row[0] / 2.0;
            assert_eq!((row[1], target), (2.0 * i + 1.0, 3.0 * i));
            seen.push(i as usize);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

/// Gradients flow through a batch to the dataset's tensor, as through PyTorch's indexing.
#[test]
fn a_batch_is_an_ordinary_tensor() {
    let w = tensor!([[1.0], [2.0], [3.0]]).requires_grad_(true);
    let loader = DataLoader::new(&TensorDataset::new(&[&w]), 2);
    let [first] = loader.iter().next().unwrap();
    assert_eq!(first.grad_fn().unwrap(), "IndexSelectBackward0");
    first.sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 1.0, 0.0]);
}

#[test]
fn bad_input_gets_pytorchs_messages() {
    let message = |f: fn()| {
        let err = std::panic::catch_unwind(f).unwrap_err();
        match err.downcast_ref::<&str>() {
            Some(text) => text.to_string(),
            None => err.downcast_ref::<String>().cloned().unwrap_or_default(),
        }
    };
    assert!(message(|| {
        TensorDataset::new(&[&Tensor::zeros(&[4, 1]), &Tensor::zeros(&[3])]);
    })
    .starts_with("Size mismatch between tensors"));
    assert!(message(|| {
        DataLoader::new(&TensorDataset::new(&[&Tensor::zeros(&[4])]), 0);
    })
    .starts_with("batch_size should be a positive integer value, but got batch_size=0"));
    assert!(message(|| {
        let _ = DataLoader::new(&TensorDataset::new(&[&Tensor::zeros(&[0])]), 2).shuffle(true);
    })
    .starts_with("num_samples should be a positive integer value, but got num_samples=0"));
    assert!(message(|| {
        TensorDataset::new(&[&Tensor::zeros(&[4])]).get(4);
    })
    .starts_with("index 4 is out of bounds for dimension 0 with size 4"));
    assert!(message(|| {
        TensorDataset::new(&[&Tensor::zeros(&[4])]).get(-5);
    })
    .starts_with("index -5 is out of bounds for dimension 0 with size 4"));
    assert!(message(|| {
        TensorDataset::new(&[&tensor!(1.0)]);
    })
    .starts_with("dimension specified as 0 but tensor has no dimensions"));
}

/// `random_split` against PyTorch's (`reference/lesson07_minibatches.json`, "random_split"):
/// after `manual_seed(seed)`, each part's indices, then the global stream where PyTorch's is
/// (`torch.rand(2)` after the split: one `randperm(n)` was drawn, nothing else).
#[test]
fn random_split_matches_pytorch_indices_and_stream() {
    let _turn = turn();
    let reference = common::reference("lesson07_minibatches.json");
    let cases = reference["random_split"].as_object().unwrap();
    assert_eq!(cases.len(), 8);
    for (name, case) in cases {
        let lengths = indices(&case["lengths"]);
        let n: usize = lengths.iter().sum();
        manual_seed(case["seed"].as_u64().unwrap());
        let dataset = TensorDataset::new(&[&Tensor::arange(0.0, n as f64, 1.0)]);
        let expected = batches(&case["indices"]);
        // the lengths come from the file, so the parts' count is only known at run time here;
        // random_split's array of parts is taken apart by its length as a lesson does
        let parts: Vec<Vec<usize>> = match lengths[..] {
            [a, b] => random_split(&dataset, [a, b])
                .iter()
                .map(|p| p.indices().to_vec())
                .collect(),
            [a, b, c] => random_split(&dataset, [a, b, c])
                .iter()
                .map(|p| p.indices().to_vec())
                .collect(),
            _ => panic!("{name}: unexpected lengths {lengths:?}"),
        };
        assert_eq!(parts, expected, "{name}: indices");
        assert_bits(
            name,
            &Tensor::rand(&[2]).to_vec(),
            &floats(&case["rand_after"]),
        );
    }
}

/// A part holds the dataset's rows at its indices, in that order, and a loader over it batches
/// only those rows; bad lengths and indices fail with PyTorch's messages.
#[test]
fn subsets_hold_their_rows_and_errors_read_like_pytorch() {
    let _turn = turn();
    manual_seed(3);
    let x = Tensor::arange(0.0, 20.0, 1.0).reshape(&[10, 2]);
    let y = Tensor::arange(100.0, 110.0, 1.0);
    let dataset = TensorDataset::new(&[&x, &y]);
    let [train_set, val_set] = random_split(&dataset, [7, 3]);
    let mut all: Vec<usize> = train_set
        .indices()
        .iter()
        .chain(val_set.indices())
        .copied()
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>(), "every sample once");
    for (k, &i) in val_set.indices().iter().enumerate() {
        let [xk, yk] = val_set.get(k as i64);
        assert_eq!(xk.to_vec(), vec![2.0 * i as f32, 2.0 * i as f32 + 1.0]);
        assert_eq!(yk.item(), 100.0 + i as f32);
    }
    let seen: Vec<f32> = DataLoader::new(&train_set, 3)
        .iter()
        .flat_map(|[_, yb]| yb.to_vec())
        .collect();
    let expected: Vec<f32> = train_set
        .indices()
        .iter()
        .map(|&i| 100.0 + i as f32)
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(train_set.dataset().len(), 10);

    let err = try_random_split(&dataset, [7, 4]).unwrap_err().to_string();
    assert!(
        err.starts_with("Sum of input lengths does not equal the length of the input dataset!"),
        "{err}"
    );
    assert!(
        err.contains("lengths [7, 4] (sum 11) of a dataset of 10"),
        "{err}"
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Subset::new(&dataset, &[2, 10])
    }))
    .unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("index 10 is out of bounds for dimension 0 with size 10"),
        "{text}"
    );
}
