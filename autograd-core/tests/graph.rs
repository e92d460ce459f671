//! Drawing the graph of a tensor: `to_dot()` lists exactly the tensors and ops that computed
//! it, once each, with the right marks and gradients; `graph()` (feature `plot`) draws the
//! same as a well-formed SVG and a PNG, byte for byte the same every time.

use autograd_core::prelude::*;

// ----- helpers -------------------------------------------------------------------------

/// The lesson-02 loss `mean((y - w x)^2)` and its weight `w` (0, so dl/dw = -30).
fn lesson_02_loss() -> (Tensor, Tensor) {
    let x = tensor!([1.0, 2.0, 3.0, 4.0]);
    let y = tensor!([2.0, 4.0, 6.0, 8.0]);
    let w = tensor!(0.0).requires_grad_(true);
    let l = (&y - &(&w * &x)).pow(2.0).mean();
    (l, w)
}

/// The DOT lines declaring tensor boxes (`t3 [...]`).
fn tensor_nodes(dot: &str) -> Vec<&str> {
    dot.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('t') && l.contains(" [shape=record"))
        .collect()
}

/// The op names, in the order the DOT declares them.
fn op_names(dot: &str) -> Vec<&str> {
    dot.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("op") && l.contains(" [shape=ellipse"))
        .map(|l| {
            let label = &l[l.find("label=\"").unwrap() + 7..];
            &label[..label.find('"').unwrap()]
        })
        .collect()
}

fn edges(dot: &str) -> Vec<&str> {
    dot.lines()
        .map(str::trim)
        .filter(|l| l.contains(" -> "))
        .collect()
}

/// The declaration of the one tensor box whose label contains `text`.
fn node_with<'a>(dot: &'a str, text: &str) -> &'a str {
    let found: Vec<&str> = tensor_nodes(dot)
        .into_iter()
        .filter(|l| l.contains(text))
        .collect();
    assert_eq!(found.len(), 1, "boxes containing {text:?}: {found:?}");
    found[0]
}

// ----- DOT -----------------------------------------------------------------------------

#[test]
fn dot_of_the_lesson_02_loss_has_every_tensor_and_op_once() {
    let (l, _) = lesson_02_loss();
    let dot = l.to_dot();
    assert!(dot.starts_with("digraph {\n"), "{dot}");
    assert!(dot.ends_with("}\n"));
    assert!(dot.contains("rankdir=LR"));
    // x, y, w, w*x, y - w*x, its square, and the loss.
    assert_eq!(tensor_nodes(&dot).len(), 7, "{dot}");
    assert_eq!(
        op_names(&dot),
        [
            "MulBackward0",
            "SubBackward0",
            "PowBackward0",
            "MeanBackward0"
        ]
    );
    // Two inputs into Mul and into Sub, one into Pow and Mean, and each op to its result.
    assert_eq!(edges(&dot).len(), 2 + 2 + 1 + 1 + 4, "{dot}");
}

#[test]
fn dot_numbers_nodes_inputs_first_and_links_them_in_argument_order() {
    let (l, _) = lesson_02_loss();
    let expected = "\
digraph {
    rankdir=LR;
    node [fontsize=12];
    t0 [shape=record, label=\"shape [4]\"];
    t1 [shape=record, label=\"shape [] | data 0.0000 | requires_grad\", style=filled, fillcolor=lightblue];
    t2 [shape=record, label=\"shape [4]\"];
    t3 [shape=record, label=\"shape [4]\"];
    op3 [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"MulBackward0\"];
    t1 -> op3;
    t2 -> op3;
    op3 -> t3;
    t4 [shape=record, label=\"shape [4]\"];
    op4 [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"SubBackward0\"];
    t0 -> op4;
    t3 -> op4;
    op4 -> t4;
    t5 [shape=record, label=\"shape [4]\"];
    op5 [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"PowBackward0\"];
    t4 -> op5;
    op5 -> t5;
    t6 [shape=record, label=\"shape [] | data 30.0000\", style=filled, fillcolor=darkolivegreen1];
    op6 [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"MeanBackward0\"];
    t5 -> op6;
    op6 -> t6;
}
";
    assert_eq!(l.to_dot(), expected);
}

#[test]
fn dot_marks_the_leaf_that_requires_grad_and_only_it() {
    let (l, _) = lesson_02_loss();
    let dot = l.to_dot();
    let marked: Vec<&str> = tensor_nodes(&dot)
        .into_iter()
        .filter(|l| l.contains("lightblue"))
        .collect();
    assert_eq!(marked.len(), 1);
    assert!(marked[0].contains("data 0.0000 | requires_grad"));
    assert_eq!(dot.matches("requires_grad").count(), 1);
    // The constants x and y are drawn plain.
    assert_eq!(
        tensor_nodes(&dot)
            .iter()
            .filter(|l| !l.contains("fillcolor"))
            .count(),
        5
    );
}

#[test]
fn dot_after_backward_shows_the_leaf_gradient() {
    let (l, w) = lesson_02_loss();
    assert!(!l.to_dot().contains("grad -30"));
    l.backward();
    assert_eq!(w.grad().unwrap().item(), -30.0);
    let dot = l.to_dot();
    let w_node = node_with(&dot, "requires_grad");
    // The gradient beside the value, as micrograd's draw_dot: a row of two fields.
    assert!(
        w_node.contains("shape [] | {data 0.0000 | grad -30.0000} | requires_grad"),
        "{w_node}"
    );
    // Non-leaves keep no gradient (as in PyTorch), but the graph is still all there.
    assert_eq!(dot.matches("| grad ").count(), 1, "{dot}");
    assert_eq!(dot.matches("grad ").count(), 1, "{dot}");
    assert_eq!(tensor_nodes(&dot).len(), 7);
    assert_eq!(edges(&dot).len(), 10);
}

#[test]
fn dot_shows_gradients_kept_by_retain_grad_and_shapes_of_big_ones() {
    let w = tensor!([1.0, 2.0, 3.0]).requires_grad_(true);
    let h = &w * 2.0;
    h.retain_grad();
    let l = h.sum();
    l.backward();
    let dot = l.to_dot();
    assert!(node_with(&dot, "requires_grad").contains("shape [3] | grad [3] | requires_grad"));
    // h: computed by Mul, gradient kept; the constant 2.0 is a box of its own.
    assert!(tensor_nodes(&dot)
        .iter()
        .any(|l| l.contains("label=\"shape [3] | grad [3]\"")));
    assert!(tensor_nodes(&dot)
        .iter()
        .any(|l| l.contains("label=\"shape [] | data 2.0000\"")));
}

#[test]
fn a_retained_scalar_shows_its_gradient_beside_its_value() {
    // micrograd's example: e = a * b, d = e + c, L = d * f; retain_grad on e and d.
    let a = tensor!(2.0).requires_grad_(true).set_label("a");
    let b = tensor!(-3.0).requires_grad_(true).set_label("b");
    let c = tensor!(10.0).requires_grad_(true).set_label("c");
    let f = tensor!(-2.0).requires_grad_(true).set_label("f");
    let e = (&a * &b).set_label("e");
    let d = (&e + &c).set_label("d");
    let l = (&d * &f).set_label("L");
    e.retain_grad();
    d.retain_grad();
    l.backward();
    let dot = l.to_dot();
    // dL/dd = f = -2, dL/de = dL/dd = -2, dL/da = -2 b = 6, dL/db = -2 a = -4, dL/df = d = 4.
    for (box_text, requires) in [
        (
            "a | shape [] | {data 2.0000 | grad 6.0000} | requires_grad",
            true,
        ),
        (
            "b | shape [] | {data -3.0000 | grad -4.0000} | requires_grad",
            true,
        ),
        (
            "c | shape [] | {data 10.0000 | grad -2.0000} | requires_grad",
            true,
        ),
        (
            "f | shape [] | {data -2.0000 | grad 4.0000} | requires_grad",
            true,
        ),
        ("e | shape [] | {data -6.0000 | grad -2.0000}", false),
        ("d | shape [] | {data 4.0000 | grad -2.0000}", false),
        ("L | shape [] | data -8.0000", false),
    ] {
        let line = node_with(&dot, &format!("label=\"{box_text}\""));
        assert_eq!(line.contains("lightblue"), requires, "{line}");
    }
}

#[test]
fn parameters_are_named_by_named_parameters() {
    // As torchviz's make_dot(loss, params=dict(model.named_parameters())).
    manual_seed(0);
    let model = nn::Sequential::new()
        .add(nn::Linear::new(1, 2))
        .add(nn::Tanh)
        .add(nn::Linear::new(2, 1));
    let x = tensor!([[0.5], [-1.0]]);
    let loss = model.forward(&x).pow(2.0).mean();
    let plain = loss.to_dot();
    let named = loss.to_dot_with_names(&model.named_parameters());
    for name in ["0.weight", "0.bias", "2.weight", "2.bias"] {
        let line = node_with(&named, &format!("label=\"{name} | shape"));
        assert!(line.contains("lightblue"), "{line}");
        assert!(!plain.contains(name));
    }
    // Only the labels differ: the same boxes, ops and arrows.
    assert_eq!(tensor_nodes(&named).len(), tensor_nodes(&plain).len());
    assert_eq!(edges(&named), edges(&plain));
    // A name given when drawing wins over a label; anything can be named, and names are escaped.
    x.set_label("x");
    let dot = loss.to_dot_with_names(&[("inputs | x", &x)]);
    assert!(
        dot.contains("label=\"inputs \\| x | shape [2, 1]\""),
        "{dot}"
    );
    assert!(loss.to_dot().contains("label=\"x | shape [2, 1]\""));
}

#[test]
fn shared_subexpressions_appear_once() {
    let w = tensor!(3.0).requires_grad_(true);
    let a = &w * &w;
    let b = &a + &a;
    let dot = b.to_dot();
    // w, a, b: three boxes; Mul and Add: two ops.
    assert_eq!(tensor_nodes(&dot).len(), 3, "{dot}");
    assert_eq!(op_names(&dot), ["MulBackward0", "AddBackward0"]);
    // One arrow per argument: w twice into Mul, a twice into Add.
    assert_eq!(
        edges(&dot),
        [
            "t0 -> op1;",
            "t0 -> op1;",
            "op1 -> t1;",
            "t1 -> op2;",
            "t1 -> op2;",
            "op2 -> t2;"
        ]
    );
    b.backward();
    assert!(b.to_dot().contains("grad 12.0000")); // db/dw = 4w
}

#[test]
fn a_leaf_alone_is_one_node() {
    let w = tensor!(1.5).requires_grad_(true);
    let dot = w.to_dot();
    assert_eq!(tensor_nodes(&dot), ["t0 [shape=record, label=\"shape [] | data 1.5000 | requires_grad\", style=filled, fillcolor=lightblue];"]);
    assert!(op_names(&dot).is_empty() && edges(&dot).is_empty());

    let c = tensor!([[1.0, 2.0]]);
    assert_eq!(
        tensor_nodes(&c.to_dot()),
        ["t0 [shape=record, label=\"shape [1, 2]\"];"]
    );
}

#[test]
fn results_computed_without_grad_are_leaves() {
    let w = tensor!(2.0).requires_grad_(true);
    let y = no_grad(|| &w * 3.0);
    assert_eq!(tensor_nodes(&y.to_dot()).len(), 1);
    assert!(y.to_dot().contains("data 6.0000\"];"));
}

#[test]
fn numbers_use_four_decimals_or_pytorch_scientific_notation() {
    for (value, text) in [
        (-15.0, "data -15.0000"),
        (0.5, "data 0.5000"),
        (1e-5, "data 1.0000e-05"),
        (-2.5e9, "data -2.5000e+09"),
        (f32::NAN, "data nan"),
        (f32::NEG_INFINITY, "data -inf"),
    ] {
        let dot = tensor!(value).to_dot();
        assert!(dot.contains(&format!("{text}\"")), "{value}: {dot}");
    }
}

#[test]
fn dot_is_deterministic() {
    let (a, _) = lesson_02_loss();
    let (b, _) = lesson_02_loss();
    assert_eq!(a.to_dot(), a.to_dot());
    assert_eq!(a.to_dot(), b.to_dot());
}

#[test]
fn a_long_chain_does_not_overflow_the_stack() {
    let w = tensor!(1.0).requires_grad_(true);
    let mut chain = vec![w];
    for _ in 0..20_000 {
        let next = chain.last().unwrap() * 1.0;
        chain.push(next);
    }
    let dot = chain.last().unwrap().to_dot();
    assert_eq!(op_names(&dot).len(), 20_000);
    // Freed newest first: dropping the last tensor alone would free the whole chain
    // recursively, one nested drop per op, which overflows the stack by itself.
    while chain.pop().is_some() {}
}

// ----- picture (feature `plot`) ----------------------------------------------------------

#[cfg(feature = "plot")]
mod picture {
    use super::*;

    /// The text of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .map(|t| {
                let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
                body.trim().to_string()
            })
            .collect()
    }

    fn mlp_loss() -> Tensor {
        manual_seed(0);
        let model = nn::Sequential::new()
            .add(nn::Linear::new(1, 8))
            .add(nn::Tanh)
            .add(nn::Linear::new(8, 8))
            .add(nn::Tanh)
            .add(nn::Linear::new(8, 1));
        let x = Tensor::linspace(-1.0, 1.0, 16).reshape(&[16, 1]);
        let y = x.tanh();
        nn::MSELoss::new().forward(&model.forward(&x), &y)
    }

    #[test]
    fn svg_is_well_formed_and_names_every_op() {
        let (l, _) = lesson_02_loss();
        let fig = l.graph();
        let svg = fig.svg();
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        let texts = texts(svg);
        for op in [
            "MulBackward0",
            "SubBackward0",
            "PowBackward0",
            "MeanBackward0",
        ] {
            assert_eq!(texts.iter().filter(|t| *t == op).count(), 1, "{op}");
        }
        assert!(texts.iter().any(|t| t == "requires_grad"));
        assert!(texts.iter().any(|t| t == "data 30.0000"));
        assert_eq!(&fig.png()[..8], b"\x89PNG\r\n\x1a\n");
        // The PNG's header holds the same size as the SVG.
        let (w, h) = fig.size();
        assert_eq!(
            &fig.png()[16..24],
            [w.to_be_bytes(), h.to_be_bytes()].concat()
        );
        assert!(svg.contains(&format!("width=\"{w}\"")));
    }

    #[test]
    fn picture_after_backward_shows_the_gradient() {
        let (l, _) = lesson_02_loss();
        let before = l.graph();
        l.backward();
        let after = l.graph();
        assert!(!texts(before.svg()).iter().any(|t| t.starts_with("grad")));
        let after_texts = texts(after.svg());
        assert!(after_texts.iter().any(|t| t == "grad -30.0000"));
        // Beside the value, in the same row: the two texts are drawn at one height.
        let row_of = |text: &str| {
            let svg = after.svg();
            let at = svg.find(text).unwrap();
            let start = svg[..at].rfind("<text").unwrap();
            let y = &svg[start..at];
            y[y.find(" y=\"").unwrap() + 4..]
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(row_of("data 0.0000"), row_of("grad -30.0000"));
        // The box of w grew a line.
        assert!(after.size().1 >= before.size().1);
    }

    #[test]
    fn pictures_are_byte_identical() {
        let (a, _) = lesson_02_loss();
        let (b, _) = lesson_02_loss();
        let (first, second) = (a.graph(), a.graph());
        assert_eq!(first.svg(), second.svg());
        assert_eq!(first.png(), second.png());
        assert_eq!(first, b.graph());
        assert_eq!(mlp_loss().graph(), mlp_loss().graph());
    }

    #[test]
    fn names_show_in_the_picture() {
        let model = nn::Linear::new(1, 1);
        let loss = model.forward(&tensor!([[2.0]]).set_label("x")).sum();
        loss.backward();
        let texts = texts(loss.graph_with_names(&model.named_parameters()).svg());
        for name in ["weight", "bias", "x"] {
            assert_eq!(
                texts.iter().filter(|t| *t == name).count(),
                1,
                "{name}: {texts:?}"
            );
        }
    }

    #[test]
    fn a_leaf_alone_is_a_small_picture() {
        let fig = tensor!(1.5).requires_grad_(true).graph();
        let (w, h) = fig.size();
        assert!(w < 200 && h < 100, "{w}x{h}");
        assert_eq!(
            texts(fig.svg()),
            ["shape []", "data 1.5000", "requires_grad"]
        );
    }

    #[test]
    fn an_mlp_loss_is_drawn_with_every_op() {
        let l = mlp_loss();
        l.backward();
        let fig = l.graph();
        let texts = texts(fig.svg());
        let count = |name: &str| texts.iter().filter(|t| *t == name).count();
        assert_eq!(count("AddmmBackward0"), 3);
        assert_eq!(count("TanhBackward0"), 2);
        assert_eq!(count("MseLossBackward0"), 1);
        // Six parameters, light blue, each with its gradient.
        assert_eq!(count("requires_grad"), 6);
        assert_eq!(count("grad [8, 8]"), 1);
        let (w, h) = fig.size();
        assert!(w > 640 && h > 100, "{w}x{h}");
    }
}
