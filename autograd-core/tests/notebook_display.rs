//! The notebook tools: `gradcheck` tables, HTML display of tensors and modules, evcxr blocks.

use autograd_core::prelude::*;
use autograd_core::{GradCheck, GradCheckElement};

/// A named function of some inputs, with the inputs to check it at.
type Case = (&'static str, Box<dyn Fn(&[Tensor]) -> Tensor>, Vec<Tensor>);

fn lesson_data() -> (Tensor, Tensor) {
    (tensor!([1.0, 2.0, 3.0, 4.0]), tensor!([2.0, 4.0, 6.0, 8.0]))
}

// ----- gradcheck -----

#[test]
fn gradcheck_agrees_with_the_hand_formula_of_lesson_01() {
    // l(w) = mean((y - w x)^2), dl/dw = mean(-2 x (y - w x)) = -2 mean(x y) + 2 w mean(x^2)
    let (x, y) = lesson_data();
    for w in [0.0f32, 0.5, 1.25, 2.0, 3.0] {
        let check = gradcheck(|t| (&y - &t[0] * &x).pow(2.0).mean(), &[tensor!(w)]);
        let hand = -2.0 * 15.0 + 2.0 * w * 7.5;
        let e = &check.inputs[0].elements[0];
        assert!(check.passed(), "w = {w}:\n{check}");
        assert!(
            (e.analytic - f64::from(hand)).abs() < 1e-5,
            "w = {w}: {}",
            e.analytic
        );
        assert!(
            (e.numeric - f64::from(hand)).abs() < 1e-3,
            "w = {w}: {}",
            e.numeric
        );
    }
}

#[test]
fn gradcheck_passes_on_every_op_of_the_lessons() {
    manual_seed(7);
    let a = Tensor::randn(&[3, 4]);
    let b = Tensor::randn(&[4]);
    let positive = &Tensor::rand(&[3, 4]) + 0.5;
    let cases: Vec<Case> = vec![
        (
            "add broadcast",
            Box::new(|t| &t[0] + &t[1]),
            vec![a.shallow_clone(), b.shallow_clone()],
        ),
        (
            "sub",
            Box::new(|t| &t[0] - &t[1]),
            vec![a.shallow_clone(), b.shallow_clone()],
        ),
        (
            "mul",
            Box::new(|t| &t[0] * &t[1]),
            vec![a.shallow_clone(), b.shallow_clone()],
        ),
        (
            "div",
            Box::new(|t| &t[0] / &t[1]),
            vec![a.shallow_clone(), positive.sum_dim(&[0], false)],
        ),
        ("pow", Box::new(|t| t[0].pow(3.0)), vec![a.shallow_clone()]),
        ("exp", Box::new(|t| t[0].exp()), vec![a.shallow_clone()]),
        (
            "log",
            Box::new(|t| t[0].log()),
            vec![positive.shallow_clone()],
        ),
        (
            "sqrt",
            Box::new(|t| t[0].sqrt()),
            vec![positive.shallow_clone()],
        ),
        ("tanh", Box::new(|t| t[0].tanh()), vec![a.shallow_clone()]),
        (
            "sigmoid",
            Box::new(|t| t[0].sigmoid()),
            vec![a.shallow_clone()],
        ),
        (
            "mean_dim",
            Box::new(|t| t[0].mean_dim(&[1], true)),
            vec![a.shallow_clone()],
        ),
        (
            "matmul",
            Box::new(|t| t[0].matmul(&t[1].t())),
            vec![a.shallow_clone(), a.shallow_clone()],
        ),
        (
            "reshape",
            Box::new(|t| t[0].reshape(&[2, 6]).sum_dim(&[0], false)),
            vec![a.shallow_clone()],
        ),
    ];
    for (name, f, inputs) in cases {
        let check = gradcheck(f, &inputs);
        assert!(check.passed(), "{name}:\n{check}");
        assert!(
            check.max_rel_err() < 1e-2,
            "{name}: {}",
            check.max_rel_err()
        );
    }
}

#[test]
fn gradcheck_passes_on_a_model_and_leaves_its_grads_alone() {
    manual_seed(1);
    let model = nn::Sequential::new()
        .add(nn::Linear::new(1, 8))
        .add(nn::Tanh)
        .add(nn::Linear::new(8, 1));
    let x = Tensor::linspace(-2.0, 2.0, 16).reshape(&[16, 1]);
    let y = x.pow(3.0);
    let loss = nn::MSELoss::new().forward(&model.forward(&x), &y);
    loss.backward_retain_graph();
    let before: Vec<Vec<f32>> = model
        .parameters()
        .iter()
        .map(|p| p.grad().unwrap().to_vec())
        .collect();

    // The gradient of the loss with respect to the input x.
    let check = gradcheck(
        |t| nn::MSELoss::new().forward(&model.forward(&t[0]), &y),
        std::slice::from_ref(&x),
    );
    assert!(check.passed(), "{check}");
    let after: Vec<Vec<f32>> = model
        .parameters()
        .iter()
        .map(|p| p.grad().unwrap().to_vec())
        .collect();
    assert_eq!(before, after, "gradcheck must not touch the model's grads");
    assert!(
        x.grad().is_none() && !x.requires_grad(),
        "the input itself is not changed"
    );
}

#[test]
fn gradcheck_catches_wrong_gradients() {
    // A cut path: autograd sees w * c with c = w detached, so d/dw = w instead of 2w.
    let cut = gradcheck(
        |t| (&t[0] * &t[0].detach()).sum(),
        &[tensor!([1.0, -2.0, 3.0])],
    );
    assert!(!cut.passed());
    assert!(cut.inputs[0].elements.iter().all(|e| !e.passed));
    // Everything detached: analytic is zero, numeric is not.
    let none = gradcheck(|t| t[0].detach().pow(2.0).sum(), &[tensor!([1.5])]);
    assert!(!none.passed());
    assert_eq!(none.inputs[0].elements[0].analytic, 0.0);
    // A kink: relu at 0 has a numeric slope of 1/2.
    let kink = gradcheck(|t| t[0].relu().sum(), &[tensor!([0.0])]);
    assert!(!kink.passed(), "{kink}");
}

#[test]
fn gradcheck_tolerance_is_the_documented_allclose_rule() {
    let ok = GradCheckElement::new(vec![], 1.0, 100.0, 100.0 + 0.9);
    assert!(ok.passed, "0.9 <= 1e-3 + 1e-2 * 100.9");
    let bad = GradCheckElement::new(vec![], 1.0, 100.0, 102.0);
    assert!(!bad.passed);
    let nan = GradCheckElement::new(vec![], 1.0, f64::NAN, 1.0);
    assert!(!nan.passed);
    let near_zero = GradCheckElement::new(vec![], 1.0, 0.0, 5e-4);
    assert!(near_zero.passed && near_zero.rel_err <= 0.5);
    assert_eq!((GradCheck::ATOL, GradCheck::RTOL), (1e-3, 1e-2));
}

#[test]
fn gradcheck_table_text_and_html() {
    let (x, y) = lesson_data();
    let check = gradcheck(|t| (&y - &t[0] * &x).pow(2.0).mean(), &[tensor!(0.5)]);
    let text = check.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "input 0: shape [], 1 element");
    assert!(lines[1]
        .split_whitespace()
        .eq(["index", "value", "analytic", "numeric", "abs", "error", "rel", "error", "pass"]));
    assert!(
        lines[2].contains("-22.500000") && lines[2].ends_with("ok"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("gradcheck passed: 1 input, 1 element, max relative error"));

    // Long inputs: at most MAX_ROWS rows, failures first.
    // relu at its kink fails on every one of 30 elements.
    let long = gradcheck(|t| t[0].relu().sum(), &[Tensor::zeros(&[30])]);
    let long_text = long.to_string();
    let failing_rows = long_text
        .lines()
        .filter(|l| l.starts_with("  [") && l.ends_with("FAIL"))
        .count();
    assert_eq!(failing_rows, GradCheck::MAX_ROWS);
    assert!(
        long_text.contains("... 20 elements more, 20 of them FAIL"),
        "{long_text}"
    );

    let html = check.html();
    assert!(html.contains("<table") && html.contains("<caption"));
    assert_eq!(html.matches("<tr>").count(), 2, "header and one row");
    assert!(html.contains("✓ ok") && html.contains("gradcheck passed"));
}

// ----- HTML display of tensors -----

#[test]
fn tensor_html_shows_shape_autograd_state_and_values() {
    let w = tensor!(0.0).requires_grad_(true);
    let html = w.html();
    assert!(html.contains("shape []") && html.contains("requires_grad=True"));
    assert!(html.contains("leaf") && html.contains("grad None"));
    assert!(
        html.contains(">0.</span>"),
        "PyTorch's integer mode: {html}"
    );

    let (x, y) = lesson_data();
    let l = (&y - &w * &x).pow(2.0).mean();
    assert!(l.html().contains("grad_fn=&lt;MeanBackward0&gt;"));
    assert!(!l.html().contains("leaf"));
    l.backward();
    assert!(w.html().contains("grad [-30.]"), "{}", w.html());

    let v = tensor!([0.5, 1.0, 2.25]);
    let html = v.html();
    assert!(html.contains("requires_grad=False") && !html.contains("grad None"));
    // Numbers in PyTorch's fixed mode, as `print` shows them, one cell each.
    for cell in ["0.5000", "1.0000", "2.2500"] {
        assert!(html.contains(&format!(">{cell}</td>")), "{cell} in {html}");
    }
    assert_eq!(html.matches("<td").count(), 3);
}

#[test]
fn tensor_html_summarises_long_dimensions_and_prints_higher_ranks() {
    let m = Tensor::arange(0.0, 300.0, 1.0).reshape(&[20, 15]);
    let html = m.html();
    // 3 + 3 rows and columns around a gap: 7 x 7 cells.
    assert_eq!(html.matches("<td").count(), 49);
    assert!(html.contains(">299.</td>") && html.contains(">0.</td>") && html.contains("&hellip;"));
    assert!(!html.contains(">150.</td>"));

    let cube = Tensor::ones(&[2, 2, 2]);
    let html = cube.html();
    assert!(
        html.contains("<pre") && html.contains("[[[1., 1.]"),
        "{html}"
    );

    let param = nn::Linear::new(2, 3).weight;
    assert!(param.html().contains("Parameter"));
}

#[test]
fn tensor_html_escapes_and_text_stays_pytorch_identical() {
    let w = tensor!([1.0, 2.0]).requires_grad_(true);
    let y = &w * 2.0;
    assert_eq!(y.to_string(), "tensor([2., 4.], grad_fn=<MulBackward0>)");
    assert!(!y.html().contains("<MulBackward0>"), "escaped in HTML");
}

// ----- modules -----

struct LinearRegression {
    lin: nn::Linear,
}

impl Module for LinearRegression {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.lin.forward(x)
    }
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        vec![nn::child("lin", &self.lin)]
    }
}

#[test]
fn module_summary_counts_parameters_of_a_learners_struct() {
    let model = LinearRegression {
        lin: nn::Linear::new(1, 1),
    };
    let s = summary(&model);
    assert_eq!(s.total(), 2);
    let text = s.to_string();
    assert_eq!(
        text,
        "LinearRegression(\n  (lin): Linear(in_features=1, out_features=1, bias=True)\n)\n\
         parameter   shape   values  requires_grad\n\
         lin.weight  [1, 1]       1  True\n\
         lin.bias    [1]          1  True\n\
         Total: 2 values, 2 trainable"
    );
}

#[test]
fn module_summary_of_the_lesson_06_mlp() {
    let mlp = nn::Sequential::new()
        .add(nn::Linear::new(1, 64))
        .add(nn::Tanh)
        .add(nn::Linear::new(64, 64))
        .add(nn::Tanh)
        .add(nn::Linear::new(64, 1));
    let s = summary(&mlp);
    assert_eq!(s.total(), 64 + 64 + 64 * 64 + 64 + 64 + 1);
    assert_eq!(s.parameters.len(), 6);
    assert_eq!(
        s.parameters[2],
        ("2.weight".to_string(), vec![64, 64], true)
    );
    let html = s.html();
    assert_eq!(html.matches("<tr>").count(), 7, "header + 6 parameters");
    assert!(html.contains("Total: 4353 values, 4353 trainable"));
    assert!(html.contains("(0): Linear(in_features=1, out_features=64, bias=True)"));
}
