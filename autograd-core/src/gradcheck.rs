//! Checking autograd against finite differences: PyTorch's `torch.autograd.gradcheck`, for f32.
//!
//! [`gradcheck`] computes every input's gradient twice:
//! - *analytic*: the way training does, with `backward()`;
//! - *numeric*: by nudging one input element at a time and watching the output move,
//!   `df/dx ≈ (f(x + h) - f(x - h)) / 2h` (a central difference).
//!
//! If a gradient rule were wrong, or a path through the graph were cut (a stray `detach()`),
//! the two would disagree. The result prints as a table, one per input.
//!
//! ## Why not PyTorch's settings
//!
//! PyTorch's `gradcheck` wants float64 inputs and uses `h = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`.
//! With float32 it warns, and then usually fails on correct code: on the lesson's loss
//! `mean((y - w x)^2)` at `w = 0.5` it reports numeric `-21.93` for the true `-22.5`.
//!
//! The reason is rounding. `f` can only run in f32, so each value `f(x ± h)` carries an error of
//! about `eps · |f|`, with `eps = f32::EPSILON ≈ 1.2e-7`. Dividing by `2h` turns it into an error
//! of about `eps · |f| / h` in the derivative: with `h = 1e-6` that is `0.1 · |f|`, as large as
//! the gradient itself. A larger `h` shrinks the rounding error but grows the error of the
//! formula itself (about `h² / 6 · |f'''|`). The two balance at `h ≈ eps^(1/3) ≈ 5e-3`, where
//! both are about `eps^(2/3) ≈ 2.4e-5` (relative to the scale of `f`). So here:
//! - `h = eps^(1/3) · max(1, |x|)`, so that `x ± h` really differs from `x` for large `x`;
//! - the difference is taken in f64, divided by the step actually taken (`x + h` is rounded to
//!   f32 before `f` sees it), and the weights that reduce a non-scalar output are applied in f64;
//! - an element passes if `|analytic - numeric| <= atol + rtol · |numeric|` with
//!   [`GradCheck::ATOL`] `= 1e-3` and [`GradCheck::RTOL`] `= 1e-2`: the formula of PyTorch's
//!   `allclose`, with bounds that sit well above the ~1e-5 noise above (losses of a few hundred
//!   over ten thousand points stay below a fifth of the bound), and well below what a wrong
//!   gradient gives (a flipped sign, a missing factor 2, a missing path: errors of order 1).
//!
//! Inputs within `h` of a kink (`relu` or `abs` at 0) get a numeric derivative in between the
//! two sides' slopes and fail; move them away from the kink.

use std::collections::HashSet;
use std::fmt;

use ndarray::{ArrayD, Dimension};

use crate::autograd::{is_grad_enabled, no_grad};
use crate::notebook::{escape_html, evcxr_blocks, BLOCK_STYLE};
use crate::tensor::Tensor;

/// Compares the gradients autograd computes for `f` at `inputs` with central differences, and
/// returns a table per input: print it, or make it a notebook cell's last expression.
///
/// `f` receives copies of `inputs` (in the same order) and may return any shape. A scalar output
/// is checked as it is. Any other output is reduced to `sum(output * r)` with fixed weights `r`
/// between 0.5 and 1.5, one per output element: a plain sum would hide a gradient rule that mixes
/// up output elements, because every element would count the same.
///
/// `inputs` are not changed, and neither is any `.grad`: not theirs, and not that of tensors `f`
/// uses from outside (model parameters, say). A graph `f` uses from outside stays usable for a
/// later `backward()`. Data the function does not differentiate (the `x` and `y` of a
/// regression) is best captured by the closure, as below, rather than passed as an input.
/// Panics inside [`no_grad`](crate::no_grad), where autograd records nothing.
///
/// ```
/// use autograd_core::prelude::*;
/// let x = tensor!([1.0, 2.0, 3.0, 4.0]);
/// let y = tensor!([2.0, 4.0, 6.0, 8.0]);
/// // l(w) = mean((y - w x)^2), dl/dw = mean(-2 x (y - w x)) = -22.5 at w = 0.5
/// let check = gradcheck(|t| (&y - &t[0] * &x).pow(2.0).mean(), &[tensor!(0.5)]);
/// assert!(check.passed());
/// assert_eq!(check.inputs[0].elements[0].analytic, -22.5);
/// println!("{check}");
/// ```
///
/// A function that cuts a path autograd should follow fails: here autograd sees `w · c` with
/// `c` a constant, so it finds `x` where the true derivative of `x²` is `2x`.
///
/// ```
/// use autograd_core::prelude::*;
/// let check = gradcheck(|t| (&t[0] * &t[0].detach()).sum(), &[tensor!([1.0, -2.0])]);
/// assert!(!check.passed());
/// assert!(check.to_string().contains("gradcheck FAILED"));
/// ```
#[track_caller]
pub fn gradcheck(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) -> GradCheck {
    assert!(
        is_grad_enabled(),
        "gradcheck cannot run inside no_grad: autograd would record nothing to check"
    );

    // ----- analytic: backward() on fresh leaves -----
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|x| Tensor::from_array(x.to_array()).requires_grad_(true))
        .collect();
    let output = f(&leaves);
    let output_shape = output.shape();
    let weights = projection_weights(output.numel());
    let analytic: Vec<ArrayD<f32>> = if output.requires_grad() {
        backward_keeping_other_grads(&output, &leaves, &weights);
        leaves
            .iter()
            .map(|leaf| match leaf.grad() {
                Some(grad) => grad.to_array(),
                // Not reached from the output: autograd says the gradient is zero.
                None => ArrayD::zeros(leaf.to_array().raw_dim()),
            })
            .collect()
    } else {
        // No input reaches the output through the graph (everything detached, say).
        leaves
            .iter()
            .map(|leaf| ArrayD::zeros(leaf.to_array().raw_dim()))
            .collect()
    };

    // ----- numeric: central differences, one element at a time -----
    // Fresh copies, so that even an `f` that changes its inputs in place leaves the caller's alone.
    let base: Vec<Tensor> = inputs
        .iter()
        .map(|x| Tensor::from_array(x.to_array()))
        .collect();
    let reduced_output = |args: &[Tensor]| -> f64 {
        let out = no_grad(|| f(args)).to_vec();
        assert_eq!(
            out.len(),
            weights.len(),
            "gradcheck: f returned {} elements for one input and {} for another",
            weights.len(),
            out.len()
        );
        let pairs = out.iter().zip(&weights);
        pairs.map(|(&o, &r)| f64::from(o) * f64::from(r)).sum()
    };

    let mut checked_inputs = Vec::with_capacity(inputs.len());
    for (i, input) in base.iter().enumerate() {
        let values = input.to_array();
        let mut elements = Vec::with_capacity(values.len());
        for (index, &x) in values.indexed_iter() {
            // `x ± h`, rounded to f32 as `f` will see it.
            let h = step(x);
            let x_plus = (f64::from(x) + h) as f32;
            let x_minus = (f64::from(x) - h) as f32;
            let with_element = |value: f32| -> Vec<Tensor> {
                let mut changed = values.clone();
                changed[&index] = value;
                let mut args = base.clone();
                args[i] = Tensor::from_array(changed);
                args
            };
            let f_plus = reduced_output(&with_element(x_plus));
            let f_minus = reduced_output(&with_element(x_minus));
            let numeric = (f_plus - f_minus) / (f64::from(x_plus) - f64::from(x_minus));
            elements.push(GradCheckElement::new(
                index.slice().to_vec(),
                x,
                f64::from(analytic[i][&index]),
                numeric,
            ));
        }
        checked_inputs.push(GradCheckInput {
            shape: values.shape().to_vec(),
            elements,
        });
    }
    GradCheck {
        inputs: checked_inputs,
        output_shape,
    }
}

/// The finite-difference step for an element of value `x`: `eps^(1/3) · max(1, |x|)`, about
/// `4.9e-3` for `|x| <= 1` (see the module comment for why).
fn step(x: f32) -> f64 {
    f64::from(f32::EPSILON).cbrt() * f64::from(x.abs()).max(1.0)
}

/// The fixed weights `r` of `sum(output * r)`: 1 for a one-element output, otherwise values
/// spread over [0.5, 1.5) (`0.5 + frac(k · 0.618...)`, k = 1, 2, ...), the same on every call,
/// so no random generator is touched.
fn projection_weights(len: usize) -> Vec<f32> {
    if len == 1 {
        return vec![1.0];
    }
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    (1..=len)
        .map(|k| (0.5 + (k as f64 * golden).fract()) as f32)
        .collect()
}

/// Runs backward from `output` (seeded with `weights`, i.e. the gradient of `sum(output * r)`)
/// so that only `leaves` receive gradients: every other tensor in the graph gets its `.grad`
/// back as it was, and the graph is kept (`retain_graph`), since `f` may use a graph from
/// outside that the caller still wants to call backward on.
fn backward_keeping_other_grads(output: &Tensor, leaves: &[Tensor], weights: &[f32]) {
    let ours: HashSet<*const _> = leaves.iter().map(|t| std::rc::Rc::as_ptr(&t.0)).collect();
    // Walk the graph from the output, setting aside the gradients of all other tensors.
    let mut set_aside = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![output.shallow_clone()];
    while let Some(t) = stack.pop() {
        let ptr = std::rc::Rc::as_ptr(&t.0);
        if !seen.insert(ptr) {
            continue;
        }
        if !ours.contains(&ptr) {
            set_aside.push((t.shallow_clone(), t.grad()));
            t.set_grad(None);
        }
        stack.extend(t.inputs());
    }
    let seed = Tensor::from_vec(weights.to_vec(), &output.shape());
    output.backward_with_options(crate::BackwardOptions {
        gradient: Some(&seed),
        retain_graph: true,
    });
    for (t, grad) in set_aside {
        t.set_grad(grad);
    }
}

/// The result of [`gradcheck`]: for every input, every element's two gradients.
///
/// `Display` prints a table per input (at most [`GradCheck::MAX_ROWS`] rows each, failures
/// first) and a last line with the verdict; in a notebook the same tables show as HTML.
///
/// ```
/// use autograd_core::prelude::*;
/// let check = gradcheck(|t| t[0].tanh().sum(), &[tensor!([0.0, 1.0])]);
/// assert!(check.passed());
/// assert_eq!(check.inputs[0].shape, vec![2]);
/// let text = check.to_string();
/// assert!(text.starts_with("input 0: shape [2]"));
/// assert!(text.ends_with("max relative error") || text.contains("gradcheck passed: 1 input, 2 elements"));
/// ```
#[derive(Clone, Debug)]
pub struct GradCheck {
    /// One entry per input, in the order they were given.
    pub inputs: Vec<GradCheckInput>,
    /// The shape of `f`'s output. Unless it has one element, what was checked is the gradient
    /// of `sum(output * r)` with fixed weights `r` (see [`gradcheck`]).
    pub output_shape: Vec<usize>,
}

/// The check of one input of [`gradcheck`]: its shape and one row per element.
///
/// ```
/// use autograd_core::prelude::*;
/// let check = gradcheck(|t| (&t[0] * &t[1]).sum(), &[tensor!([1.0, 2.0]), tensor!(3.0)]);
/// let second = &check.inputs[1];
/// assert_eq!(second.shape, Vec::<usize>::new());
/// assert!(second.passed() && (second.elements[0].analytic - 3.0).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct GradCheckInput {
    /// The input's shape.
    pub shape: Vec<usize>,
    /// One per element, in row-major order.
    pub elements: Vec<GradCheckElement>,
}

/// One element of one input of [`gradcheck`]: its value and both gradients.
///
/// ```
/// use autograd_core::prelude::*;
/// let check = gradcheck(|t| t[0].pow(2.0).sum(), &[tensor!([3.0])]); // d(x^2)/dx = 2x = 6
/// let e = &check.inputs[0].elements[0];
/// assert_eq!((e.index.clone(), e.value, e.analytic), (vec![0], 3.0, 6.0));
/// assert!((e.numeric - 6.0).abs() < 1e-3 && e.passed);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckElement {
    /// Where the element sits in its input (`[]` for a 0-d input).
    pub index: Vec<usize>,
    /// The element's value.
    pub value: f32,
    /// The gradient from `backward()`.
    pub analytic: f64,
    /// The gradient from the central difference.
    pub numeric: f64,
    /// `|analytic - numeric|`.
    pub abs_err: f64,
    /// `|analytic - numeric| / max(|analytic|, |numeric|, ATOL)`: the usual relative error,
    /// except that magnitudes below [`GradCheck::ATOL`] count as `ATOL`, so that rounding noise
    /// around a zero gradient does not show as a huge relative error.
    pub rel_err: f64,
    /// `abs_err <= ATOL + RTOL · |numeric|`.
    pub passed: bool,
}

impl GradCheckElement {
    /// Compares the two gradients of one element.
    ///
    /// ```
    /// use autograd_core::GradCheckElement;
    /// let e = GradCheckElement::new(vec![0], 1.0, 2.0, 2.01);
    /// assert!(e.passed);                          // 0.01 <= 1e-3 + 1e-2 * 2.01
    /// assert!(!GradCheckElement::new(vec![0], 1.0, 1.0, 2.0).passed);
    /// ```
    pub fn new(index: Vec<usize>, value: f32, analytic: f64, numeric: f64) -> GradCheckElement {
        let abs_err = (analytic - numeric).abs();
        let scale = analytic.abs().max(numeric.abs()).max(GradCheck::ATOL);
        GradCheckElement {
            index,
            value,
            analytic,
            numeric,
            abs_err,
            rel_err: abs_err / scale,
            // NaN compares false, so a NaN on either side fails.
            passed: abs_err <= GradCheck::ATOL + GradCheck::RTOL * numeric.abs(),
        }
    }
}

impl GradCheckInput {
    /// Whether every element of this input passed.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(gradcheck(|t| t[0].exp().sum(), &[tensor!([0.0, 1.0])]).inputs[0].passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.elements.iter().all(|e| e.passed)
    }
}

impl GradCheck {
    /// Absolute tolerance: what counts as "equal" for gradients near zero.
    pub const ATOL: f64 = 1e-3;
    /// Relative tolerance: the share of `|numeric|` the two gradients may differ by.
    pub const RTOL: f64 = 1e-2;
    /// Rows shown per input; failing elements are shown first.
    pub const MAX_ROWS: usize = 10;

    /// Whether every element of every input passed.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let a = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert!(gradcheck(|t| a.matmul(&t[0]), &[tensor!([[0.5], [-1.0]])]).passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.inputs.iter().all(GradCheckInput::passed)
    }

    /// Every element of every input, in order.
    fn elements(&self) -> impl Iterator<Item = &GradCheckElement> {
        self.inputs.iter().flat_map(|input| &input.elements)
    }

    /// The largest relative error over all elements (0 if there are none).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(gradcheck(|t| t[0].sigmoid().sum(), &[tensor!([0.5])]).max_rel_err() < 1e-3);
    /// ```
    pub fn max_rel_err(&self) -> f64 {
        self.elements().map(|e| e.rel_err).fold(0.0, f64::max)
    }

    /// The largest absolute error over all elements (0 if there are none).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(gradcheck(|t| t[0].sigmoid().sum(), &[tensor!([0.5])]).max_abs_err() < 1e-3);
    /// ```
    pub fn max_abs_err(&self) -> f64 {
        self.elements().map(|e| e.abs_err).fold(0.0, f64::max)
    }

    /// The verdict line: `gradcheck passed: 2 inputs, 5 elements, max relative error 3.1e-4`,
    /// or `gradcheck FAILED: ...` with how many elements are out of tolerance.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let check = gradcheck(|t| (&t[0] * 2.0).sum(), &[tensor!([1.0, 2.0])]);
    /// assert!(check.verdict().starts_with("gradcheck passed: 1 input, 2 elements, max relative error"));
    /// ```
    pub fn verdict(&self) -> String {
        let total = self.elements().count();
        let failed = self.elements().filter(|e| !e.passed).count();
        let max_rel = format_error(self.max_rel_err());
        if failed == 0 {
            format!(
                "gradcheck passed: {}, {}, max relative error {max_rel}",
                plural(self.inputs.len(), "input"),
                plural(total, "element"),
            )
        } else {
            format!(
                "gradcheck FAILED: {failed} of {} out of tolerance \
                 (|analytic - numeric| > {} + {} * |numeric|), max relative error {max_rel}",
                plural(total, "element"),
                GradCheck::ATOL,
                GradCheck::RTOL,
            )
        }
    }

    /// The note printed first for a non-scalar output, saying what was checked; `None` for a
    /// one-element output.
    fn output_note(&self) -> Option<String> {
        let numel: usize = self.output_shape.iter().product();
        (numel != 1).then(|| {
            format!(
                "output shape {:?}: checked the gradient of sum(output * r), \
                 with fixed weights r in [0.5, 1.5)",
                self.output_shape
            )
        })
    }

    /// The same tables as `Display`, as HTML for a notebook: one `<table>` per input, the pass
    /// column green or red, and the verdict below. Inline styles only, readable on light and
    /// dark backgrounds.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let html = gradcheck(|t| t[0].tanh().sum(), &[tensor!([0.5])]).html();
    /// assert!(html.starts_with("<div") && html.contains("<table") && html.contains("gradcheck passed"));
    /// ```
    pub fn html(&self) -> String {
        const CELL: &str = "padding: 2px 8px; text-align: right; \
                            border-bottom: 1px solid rgba(128, 128, 128, 0.3);";
        let mut html = format!("<div style=\"{BLOCK_STYLE}\">\n");
        if let Some(note) = self.output_note() {
            html += &format!(
                "<p style=\"margin: 0 0 6px 0;\">{}</p>\n",
                escape_html(&note)
            );
        }
        for (i, input) in self.inputs.iter().enumerate() {
            html += "<table style=\"border-collapse: collapse; margin: 0 0 10px 0;\">\n";
            html += &format!(
                "<caption style=\"text-align: left; font-weight: bold; padding: 2px 0;\">{}</caption>\n",
                escape_html(&input_title(i, input))
            );
            html += "<tr>";
            for name in HEADER {
                html += &format!("<th style=\"{CELL} font-weight: bold;\">{name}</th>");
            }
            html += "</tr>\n";
            let (shown, hidden) = shown_rows(&input.elements);
            for e in shown {
                let (mark, background) = if e.passed {
                    ("✓ ok", "rgba(46, 160, 67, 0.25)")
                } else {
                    ("✗ FAIL", "rgba(248, 81, 73, 0.35)")
                };
                html += "<tr>";
                for cell in row_cells(e) {
                    html += &format!("<td style=\"{CELL}\">{}</td>", escape_html(&cell));
                }
                html += &format!(
                    "<td style=\"{CELL} text-align: center; font-weight: bold; \
                     background: {background};\">{mark}</td></tr>\n"
                );
            }
            if let Some(more) = hidden {
                html += &format!(
                    "<tr><td colspan=\"{}\" style=\"{CELL} text-align: left; opacity: 0.7;\">{}</td></tr>\n",
                    HEADER.len(),
                    escape_html(&more)
                );
            }
            html += "</table>\n";
        }
        let colour = if self.passed() {
            "rgb(46, 160, 67)"
        } else {
            "rgb(248, 81, 73)"
        };
        html += &format!(
            "<p style=\"margin: 0; font-weight: bold; color: {colour};\">{}</p>\n</div>",
            escape_html(&self.verdict())
        );
        html
    }

    /// Shows the check in a Jupyter notebook run by the evcxr kernel, which calls this for the
    /// value of a cell's last expression: the `Display` text as `text/plain` and
    /// [`GradCheck::html`] as `text/html` (the notebook shows the HTML).
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// gradcheck(|t| t[0].exp().sum(), &[tensor!([0.0])]).evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        // One `println!`, so that no other output can land between the blocks.
        println!("{}", evcxr_blocks(&self.to_string(), &self.html()));
    }
}

/// The column names of a table; the last is the pass/fail column.
const HEADER: [&str; 7] = [
    "index",
    "value",
    "analytic",
    "numeric",
    "abs error",
    "rel error",
    "pass",
];

/// `1 input`, `2 inputs`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `input 0: shape [3], 3 elements`.
fn input_title(i: usize, input: &GradCheckInput) -> String {
    format!(
        "input {i}: shape {:?}, {}",
        input.shape,
        plural(input.elements.len(), "element")
    )
}

/// A gradient: 6 decimals for ordinary magnitudes, scientific notation for tiny or huge ones.
fn format_gradient(v: f64) -> String {
    if v == 0.0 || (1e-4..1e6).contains(&v.abs()) {
        format!("{v:.6}")
    } else {
        format!("{v:.4e}")
    }
}

/// An error: two significant digits are enough (`3.1e-4`).
fn format_error(v: f64) -> String {
    format!("{v:.1e}")
}

/// An input value: 4 decimals like PyTorch's print, scientific for tiny or huge values.
fn format_value(v: f32) -> String {
    let v = f64::from(v);
    if v == 0.0 || (1e-4..1e6).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.4e}")
    }
}

/// The cells of an element's row, without the pass column.
fn row_cells(e: &GradCheckElement) -> [String; 6] {
    [
        format!("{:?}", e.index),
        format_value(e.value),
        format_gradient(e.analytic),
        format_gradient(e.numeric),
        format_error(e.abs_err),
        format_error(e.rel_err),
    ]
}

/// The rows to show (at most [`GradCheck::MAX_ROWS`], failures first, then in order) and, if
/// some are left out, the line that says so.
fn shown_rows(elements: &[GradCheckElement]) -> (Vec<&GradCheckElement>, Option<String>) {
    if elements.len() <= GradCheck::MAX_ROWS {
        return (elements.iter().collect(), None);
    }
    let failing = elements.iter().enumerate().filter(|(_, e)| !e.passed);
    let passing = elements.iter().enumerate().filter(|(_, e)| e.passed);
    let mut picked: Vec<(usize, &GradCheckElement)> =
        failing.chain(passing).take(GradCheck::MAX_ROWS).collect();
    picked.sort_by_key(|(position, _)| *position);

    let hidden = elements.len() - picked.len();
    let hidden_failing = elements.iter().filter(|e| !e.passed).count()
        - picked.iter().filter(|(_, e)| !e.passed).count();
    let more = match hidden_failing {
        0 => format!("... {} more, all pass", plural(hidden, "element")),
        n => format!("... {} more, {n} of them FAIL", plural(hidden, "element")),
    };
    (picked.into_iter().map(|(_, e)| e).collect(), Some(more))
}

/// Prints one table per input, then the verdict:
///
/// ```text
/// input 0: shape [], 1 element
///   index   value    analytic     numeric  abs error  rel error  pass
///   []     0.5000  -22.500000  -22.500006    6.2e-6     2.8e-7  ok
/// gradcheck passed: 1 input, 1 element, max relative error 2.8e-7
/// ```
///
/// ```
/// use autograd_core::prelude::*;
/// let text = gradcheck(|t| t[0].pow(2.0).sum(), &[tensor!([1.0, 2.0])]).to_string();
/// assert_eq!(text.lines().count(), 5); // title, header, 2 rows, verdict
/// ```
impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(note) = self.output_note() {
            writeln!(f, "{note}")?;
        }
        for (i, input) in self.inputs.iter().enumerate() {
            writeln!(f, "{}", input_title(i, input))?;
            let (shown, hidden) = shown_rows(&input.elements);
            let mut rows: Vec<Vec<String>> = vec![HEADER.iter().map(|h| h.to_string()).collect()];
            for e in shown {
                let mut row = row_cells(e).to_vec();
                row.push(if e.passed { "ok" } else { "FAIL" }.to_string());
                rows.push(row);
            }
            // Each column as wide as its widest cell; the index column left-aligned, numbers
            // right-aligned, the pass column left-aligned.
            let widths: Vec<usize> = (0..HEADER.len())
                .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
                .collect();
            for row in &rows {
                let mut line = String::from(" ");
                for (c, cell) in row.iter().enumerate() {
                    let width = widths[c];
                    line += &match c {
                        0 => format!(" {cell:<width$}"),
                        c if c == HEADER.len() - 1 => format!("  {cell}"),
                        _ => format!("  {cell:>width$}"),
                    };
                }
                writeln!(f, "{}", line.trim_end())?;
            }
            if let Some(more) = hidden {
                writeln!(f, "  {more}")?;
            }
        }
        f.write_str(&self.verdict())
    }
}
