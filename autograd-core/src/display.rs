//! Printing tensors exactly the way PyTorch prints them.
//!
//! [`format_tensor`] reproduces `repr(tensor)` from PyTorch's `torch/_tensor_str.py` with the
//! default print options, so the output of this crate can be compared character for character
//! with the PyTorch output shown in tutorials and notebooks.
//!
//! The functions below mirror the Python ones and keep their names, so the two files can be
//! read side by side:
//!
//! | Python (`torch/_tensor_str.py`) | here                          |
//! |---------------------------------|-------------------------------|
//! | `_Formatter`                    | [`Formatter`]                 |
//! | `_vector_str`                   | [`vector_str`]                |
//! | `_tensor_str_with_formatter`    | [`tensor_str_with_formatter`] |
//! | `_tensor_str`                   | [`tensor_str`]                |
//! | `get_summarized_data`           | [`get_summarized_data`]       |
//! | `_add_suffixes`                 | [`add_suffixes`]              |
//!
//! Only what a dense `float32` tensor needs is kept: no complex numbers, integer dtypes, sparse
//! layouts or user-set print options.

use std::fmt;

use ndarray::{ArrayViewD, Axis};

use crate::tensor::Tensor;

/// Digits after the decimal point (`PRINT_OPTS.precision`).
const PRECISION: usize = 4;
/// Tensors with more elements than this are summarised with `...` (`PRINT_OPTS.threshold`).
const THRESHOLD: usize = 1000;
/// How many items a summarised dimension keeps at each end (`PRINT_OPTS.edgeitems`).
const EDGE_ITEMS: usize = 3;
/// Width that long rows and suffixes are wrapped at (`PRINT_OPTS.linewidth`).
const LINE_WIDTH: usize = 80;

/// Formats `values` exactly as PyTorch's `repr(tensor)` does (torch/_tensor_str.py, default print
/// options: precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode None), with the given
/// suffixes (e.g. "requires_grad=True", "grad_fn=<MulBackward0>") appended as PyTorch's
/// `_add_suffixes` does (wrapping onto a new line past linewidth 80).
pub(crate) fn format_tensor(values: &ArrayViewD<'_, f32>, suffixes: &[String]) -> String {
    let prefix = "tensor(";
    // Continuation lines are indented to line up with the first `[`.
    let indent = prefix.len();

    let mut all_suffixes = Vec::new();
    let body = if values.is_empty() {
        // An empty tensor has no numbers to show, so PyTorch shows its shape instead, except
        // for the plain 1-D `tensor([])`. The size comes before any grad suffix.
        if values.ndim() != 1 {
            all_suffixes.push(format!("size={}", python_tuple(values.shape())));
        }
        "[]".to_string()
    } else {
        tensor_str(values, indent)
    };
    all_suffixes.extend(suffixes.iter().cloned());

    add_suffixes(&format!("{prefix}{body}"), &all_suffixes, indent)
}

/// Decides once, for the whole tensor, how every number is written, so that all columns line up.
///
/// There are three modes:
/// - integer mode (`1.`, `-30.`): every nonzero finite value is a whole number;
/// - scientific mode (`1.0000e-05`): the values span more than three orders of magnitude, are
///   huge (> 1e8), or (when not all integers) some are tiny (< 1e-4);
/// - fixed mode (`0.5000`): everything else, with 4 digits after the point.
///
/// Every number is then right-aligned to the widest one.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    /// `values` are the numbers that will actually be printed (see [`get_summarized_data`]).
    fn new(values: &[f32]) -> Self {
        let mut formatter = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };

        // Zeros, nan and infinities say nothing about the scale of the data, so they do not
        // take part in choosing the mode (nor in the width).
        let nonzero_finite: Vec<f32> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v != 0.0)
            .collect();
        if nonzero_finite.is_empty() {
            // No valid number: keep integer mode, so `tensor(0.)` and `tensor([nan, inf])`.
            return formatter;
        }

        // PyTorch converts to double before comparing, so we do too.
        let abs_values = nonzero_finite.iter().map(|v| f64::from(v.abs()));
        let min = abs_values.clone().fold(f64::INFINITY, f64::min);
        let max = abs_values.fold(0.0, f64::max);

        formatter.int_mode = nonzero_finite.iter().all(|v| *v == v.ceil());
        let wide_range = max / min > 1000.0 || max > 1.0e8;
        formatter.sci_mode = if formatter.int_mode {
            wide_range
        } else {
            wide_range || min < 1.0e-4
        };

        for &value in &nonzero_finite {
            let value = f64::from(value);
            let width = if formatter.sci_mode {
                format_sci(value).len()
            } else if formatter.int_mode {
                // +1 for the `.` that marks the number as a float.
                format_fixed(value, 0).len() + 1
            } else {
                format_fixed(value, PRECISION).len()
            };
            formatter.max_width = formatter.max_width.max(width);
        }
        formatter
    }

    fn width(&self) -> usize {
        self.max_width
    }

    /// Writes one number in the chosen mode, right-aligned to the common width.
    fn format(&self, value: f32) -> String {
        // Python formats the float32 value widened to a double (via `tensor.tolist()`).
        let value = f64::from(value);
        let text = if self.sci_mode {
            format_sci(value)
        } else if self.int_mode {
            // `{:.0f}` drops the decimal point, so PyTorch appends one to show that this is a
            // float tensor. It does not do so for `inf` and `nan`.
            let mut text = format_fixed(value, 0);
            if value.is_finite() {
                text.push('.');
            }
            text
        } else {
            format_fixed(value, PRECISION)
        };
        // Longer strings are not cut, exactly like `(max_width - len(ret)) * " " + ret`.
        format!("{text:>width$}", width = self.max_width)
    }
}

/// Each of `values` written as PyTorch would write it inside this group of numbers (same mode
/// for all: `2.`, `0.5000` or `1.0000e-05`), without the padding that aligns columns: for
/// displays that align numbers themselves, like the HTML table a notebook shows.
pub(crate) fn format_numbers(values: &[f32]) -> Vec<String> {
    let formatter = Formatter::new(values);
    let plain = Formatter {
        max_width: 0,
        ..formatter
    };
    values.iter().map(|&v| plain.format(v)).collect()
}

/// Python's `"{:.<digits>f}".format(value)`.
///
/// Rust's `{:.N}` already rounds the exact binary value half-to-even, as Python does
/// (`2.5` -> `2`, `1.03125` -> `1.0312`). Only the spelling of the special values differs.
fn format_fixed(value: f64, digits: usize) -> String {
    match python_non_finite(value) {
        Some(text) => text,
        None => format!("{value:.digits$}"),
    }
}

/// Python's `"{:.4e}".format(value)`.
///
/// Rust writes `1.0000e-5` and `1.0000e0`; Python always writes the exponent with a sign and at
/// least two digits: `1.0000e-05` and `1.0000e+00`.
fn format_sci(value: f64) -> String {
    if let Some(text) = python_non_finite(value) {
        return text;
    }
    let rust_text = format!("{value:.PRECISION$e}");
    let (mantissa, exponent) = rust_text
        .split_once('e')
        .expect("Rust's {:e} output always contains an 'e'");
    let exponent: i32 = exponent
        .parse()
        .expect("Rust's {:e} exponent is an integer");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// How Python spells nan and infinities. Rust would write `NaN`, and Python never shows a sign
/// on nan (a nan produced by `0.0 / 0.0` has its sign bit set on most machines).
fn python_non_finite(value: f64) -> Option<String> {
    if value.is_nan() {
        Some("nan".to_string())
    } else if value == f64::INFINITY {
        Some("inf".to_string())
    } else if value == f64::NEG_INFINITY {
        Some("-inf".to_string())
    } else {
        None
    }
}

/// The indices shown along a dimension of length `len`: all of them, or, when summarising a
/// long dimension, the first and last [`EDGE_ITEMS`] with a `None` standing for the `...` gap.
fn shown_indices(len: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && len > 2 * EDGE_ITEMS {
        let head = (0..EDGE_ITEMS).map(Some);
        let tail = (len - EDGE_ITEMS..len).map(Some);
        head.chain([None]).chain(tail).collect()
    } else {
        (0..len).map(Some).collect()
    }
}

/// The whole tensor, without the `tensor(` prefix and the suffixes.
fn tensor_str(values: &ArrayViewD<'_, f32>, indent: usize) -> String {
    let summarize = values.len() > THRESHOLD;
    // The formatter only looks at the numbers that are shown: a huge value hidden by the `...`
    // does not switch a summarised tensor to scientific mode.
    let shown_values = if summarize {
        get_summarized_data(values)
    } else {
        values.iter().copied().collect()
    };
    let formatter = Formatter::new(&shown_values);
    tensor_str_with_formatter(values, indent, summarize, &formatter)
}

/// The numbers that survive summarisation, in no particular order (PyTorch builds a smaller
/// tensor; the [`Formatter`] only needs its values).
fn get_summarized_data(values: &ArrayViewD<'_, f32>) -> Vec<f32> {
    if values.ndim() == 0 {
        return values.iter().copied().collect();
    }
    let mut kept = Vec::new();
    // `flatten` skips the `None` that stands for the `...` gap.
    for index in shown_indices(values.len_of(Axis(0)), true)
        .into_iter()
        .flatten()
    {
        kept.extend(get_summarized_data(&values.index_axis(Axis(0), index)));
    }
    kept
}

/// Formats a tensor of any dimension: a scalar, a row, or a list of sub-tensors.
fn tensor_str_with_formatter(
    values: &ArrayViewD<'_, f32>,
    indent: usize,
    summarize: bool,
    formatter: &Formatter,
) -> String {
    let dim = values.ndim();
    if dim == 0 {
        let value = *values.first().expect("a 0-d array holds one value");
        return formatter.format(value);
    }
    if dim == 1 {
        return vector_str(values, indent, summarize, formatter);
    }

    let slices: Vec<String> = shown_indices(values.len_of(Axis(0)), summarize)
        .into_iter()
        .map(|index| match index {
            // Each nested level is one `[` deeper, hence one more space of indent.
            Some(i) => tensor_str_with_formatter(
                &values.index_axis(Axis(0), i),
                indent + 1,
                summarize,
                formatter,
            ),
            None => "...".to_string(),
        })
        .collect();

    // Rows of a matrix go on consecutive lines; matrices of a 3-D tensor are separated by one
    // blank line, 3-D blocks of a 4-D tensor by two, and so on.
    let separator = format!(",{}{}", "\n".repeat(dim - 1), " ".repeat(indent + 1));
    format!("[{}]", slices.join(&separator))
}

/// Formats a 1-D tensor, wrapping it onto several lines when it is wider than [`LINE_WIDTH`].
fn vector_str(
    values: &ArrayViewD<'_, f32>,
    indent: usize,
    summarize: bool,
    formatter: &Formatter,
) -> String {
    // Each element takes its width plus ", ".
    let element_length = formatter.width() + 2;
    // At least one element per line, even when deeply indented.
    let elements_per_line = (LINE_WIDTH.saturating_sub(indent) / element_length).max(1);

    let items: Vec<f32> = values.iter().copied().collect();
    let data: Vec<String> = shown_indices(items.len(), summarize)
        .into_iter()
        .map(|index| match index {
            Some(i) => formatter.format(items[i]),
            // The gap counts as one element when wrapping lines.
            None => " ...".to_string(),
        })
        .collect();

    let lines: Vec<String> = data
        .chunks(elements_per_line)
        .map(|line| line.join(", "))
        .collect();
    let separator = format!(",\n{}", " ".repeat(indent + 1));
    format!("[{}]", lines.join(&separator))
}

/// Appends `, suffix` for each suffix and the closing `)`, moving a suffix to its own line
/// (indented by `indent`) when it would make the line too long.
fn add_suffixes(tensor_str: &str, suffixes: &[String], indent: usize) -> String {
    let mut result = tensor_str.to_string();
    // Python computes `len(tensor_str) - tensor_str.rfind("\n") + 1`, which is the length of the
    // last line plus 2 (`rfind` gives -1 when there is no newline). We keep that count, extra 2
    // included, so that suffixes wrap at exactly the same place as in PyTorch.
    let last_line = tensor_str.rsplit('\n').next().unwrap_or("");
    let mut last_line_len = last_line.chars().count() + 2;
    for suffix in suffixes {
        let suffix_len = suffix.chars().count();
        if last_line_len + suffix_len + 2 > LINE_WIDTH {
            result.push_str(",\n");
            result.push_str(&" ".repeat(indent));
            result.push_str(suffix);
            last_line_len = indent + suffix_len;
        } else {
            result.push_str(", ");
            result.push_str(suffix);
            last_line_len += suffix_len + 2;
        }
    }
    result.push(')');
    result
}

/// Python's `str(tuple(shape))`: `(0, 3)`, and `(0,)` for a single dimension.
fn python_tuple(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Prints exactly as PyTorch's `print(t)`: `tensor([1., 2.])`, `tensor(0., requires_grad=True)`,
/// `tensor(30., grad_fn=<MeanBackward0>)`; a parameter starts with `Parameter containing:`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(0.0).requires_grad_(true);
/// assert_eq!(w.to_string(), "tensor(0., requires_grad=True)");
/// let l = (&tensor!([2.0, 4.0, 6.0, 8.0]) - &w * &tensor!([1.0, 2.0, 3.0, 4.0])).pow(2.0).mean();
/// assert_eq!(l.to_string(), "tensor(30., grad_fn=<MeanBackward0>)");
/// ```
impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = match self.grad_fn() {
            Some(name) => format!("grad_fn=<{name}>"),
            None if self.requires_grad() => "requires_grad=True".to_string(),
            None => String::new(),
        };
        let suffixes: Vec<String> = [suffix].into_iter().filter(|s| !s.is_empty()).collect();
        if self.is_parameter() {
            f.write_str("Parameter containing:\n")?;
        }
        f.write_str(&format_tensor(&self.data().view(), &suffixes))
    }
}

/// Everything autograd knows about the tensor, for `{:?}`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(2.0).requires_grad_(true);
/// let s = format!("{:?}", &w * 3.0);
/// assert!(s.contains("grad_fn: Some(\"MulBackward0\")") && s.contains("is_leaf: false"));
/// ```
impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("data", &format_tensor(&self.data().view(), &[]))
            .field("shape", &self.shape())
            .field("requires_grad", &self.requires_grad())
            .field("is_leaf", &self.is_leaf())
            .field("grad_fn", &self.grad_fn())
            .field(
                "grad",
                &self.grad().map(|g| format_tensor(&g.data().view(), &[])),
            )
            .field("version", &self.version())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    //! The expected strings were printed by real PyTorch (`repr(t)` of a float32 tensor, with
    //! `requires_grad=True` and a grad_fn where a suffix is shown), so every test here is a
    //! character-for-character comparison with PyTorch.

    use super::*;
    use ndarray::{ArrayD, IxDyn, Slice};

    /// Builds a tensor of the given shape and formats it with the given suffixes.
    fn show(shape: &[usize], data: Vec<f32>, suffixes: &[&str]) -> String {
        let array = ArrayD::from_shape_vec(IxDyn(shape), data).expect("data matches shape");
        let suffixes: Vec<String> = suffixes.iter().map(|s| s.to_string()).collect();
        format_tensor(&array.view(), &suffixes)
    }

    /// Deterministic, irregular data for the large tensors: `(i * 37 % modulus) / divisor -
    /// offset`, computed in f64 and rounded to f32, exactly as the Python side computed it.
    fn pattern(len: usize, modulus: usize, divisor: f64, offset: f64) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 37 % modulus) as f64 / divisor - offset) as f32)
            .collect()
    }

    // ---- Golden strings from PyTorch ----

    #[test]
    fn scalar_zero() {
        let printed = show(&[], vec![0.0], &[]);
        assert_eq!(printed, "tensor(0.)");
    }

    #[test]
    fn scalar_zero_requires_grad() {
        let printed = show(&[], vec![0.0], &["requires_grad=True"]);
        assert_eq!(printed, "tensor(0., requires_grad=True)");
    }

    #[test]
    fn scalar_mean_grad_fn() {
        let printed = show(&[], vec![30.0], &["grad_fn=<MeanBackward0>"]);
        assert_eq!(printed, "tensor(30., grad_fn=<MeanBackward0>)");
    }

    #[test]
    fn scalar_negative_integer() {
        let printed = show(&[], vec![-30.0], &[]);
        assert_eq!(printed, "tensor(-30.)");
    }

    #[test]
    fn scalar_fixed() {
        let printed = show(&[], vec![1.9221], &[]);
        assert_eq!(printed, "tensor(1.9221)");
    }

    #[test]
    fn scalar_rounds_to_four_digits() {
        let printed = show(&[], vec![9.612406], &[]);
        assert_eq!(printed, "tensor(9.6124)");
    }

    #[test]
    fn scalar_sum_grad_fn() {
        let printed = show(&[], vec![2.0], &["grad_fn=<SumBackward0>"]);
        assert_eq!(printed, "tensor(2., grad_fn=<SumBackward0>)");
    }

    #[test]
    fn scalar_huge_is_scientific() {
        let printed = show(&[], vec![1.0e9], &[]);
        assert_eq!(printed, "tensor(1.0000e+09)");
    }

    #[test]
    fn scalar_negative_zero() {
        let printed = show(&[], vec![-0.0], &[]);
        assert_eq!(printed, "tensor(-0.)");
    }

    #[test]
    fn scalar_nan() {
        let printed = show(&[], vec![f32::NAN], &[]);
        assert_eq!(printed, "tensor(nan)");
    }

    #[test]
    fn scalar_tiny_is_scientific() {
        let printed = show(&[], vec![1.0e-5], &[]);
        assert_eq!(printed, "tensor(1.0000e-05)");
    }

    #[test]
    fn vector_integers() {
        let printed = show(&[4], vec![1.0, 2.0, 3.0, 4.0], &[]);
        assert_eq!(printed, "tensor([1., 2., 3., 4.])");
    }

    #[test]
    fn vector_integers_mul_grad_fn() {
        let printed = show(&[4], vec![2.0, 4.0, 6.0, 8.0], &["grad_fn=<MulBackward0>"]);
        assert_eq!(printed, "tensor([2., 4., 6., 8.], grad_fn=<MulBackward0>)");
    }

    #[test]
    fn vector_plain_even() {
        let printed = show(&[4], vec![2.0, 4.0, 6.0, 8.0], &[]);
        assert_eq!(printed, "tensor([2., 4., 6., 8.])");
    }

    #[test]
    fn vector_negative_integers_padded() {
        let printed = show(&[3], vec![-1.0, 2.0, -300.0], &[]);
        assert_eq!(printed, "tensor([  -1.,    2., -300.])");
    }

    #[test]
    fn vector_wide_ratio_is_sci() {
        let printed = show(&[4], vec![0.1, -2.5, 3.25, -0.001], &[]);
        assert_eq!(
            printed,
            "tensor([ 1.0000e-01, -2.5000e+00,  3.2500e+00, -1.0000e-03])"
        );
    }

    #[test]
    fn vector_fixed_mixed_signs() {
        let printed = show(&[4], vec![0.1, -2.5, 3.25, -0.01], &[]);
        assert_eq!(printed, "tensor([ 0.1000, -2.5000,  3.2500, -0.0100])");
    }

    #[test]
    fn vector_sci_small_and_one() {
        let printed = show(&[2], vec![1.0e-5, 1.0], &[]);
        assert_eq!(printed, "tensor([1.0000e-05, 1.0000e+00])");
    }

    #[test]
    fn vector_float32_1e_minus_4_is_below_threshold() {
        let printed = show(&[2], vec![1.0e-4, 1.0], &[]);
        assert_eq!(printed, "tensor([1.0000e-04, 1.0000e+00])");
    }

    #[test]
    fn vector_sci_huge() {
        let printed = show(&[2], vec![1.0e9, 1.5], &[]);
        assert_eq!(printed, "tensor([1.0000e+09, 1.5000e+00])");
    }

    #[test]
    fn vector_int_mode_wide_ratio_is_sci() {
        let printed = show(&[2], vec![1.0, 10000.0], &[]);
        assert_eq!(printed, "tensor([1.0000e+00, 1.0000e+04])");
    }

    #[test]
    fn vector_int_mode_ratio_1000_not_sci() {
        let printed = show(&[2], vec![1.0, 1000.0], &[]);
        assert_eq!(printed, "tensor([   1., 1000.])");
    }

    #[test]
    fn vector_int_mode_1e8_not_sci() {
        let printed = show(&[2], vec![1.0e8, 3.0e7], &[]);
        assert_eq!(printed, "tensor([100000000.,  30000000.])");
    }

    #[test]
    fn vector_int_mode_above_1e8_is_sci() {
        let printed = show(&[2], vec![2.0e8, 3.0e8], &[]);
        assert_eq!(printed, "tensor([2.0000e+08, 3.0000e+08])");
    }

    #[test]
    fn vector_nonfinite_fixed_mode() {
        let printed = show(
            &[4],
            vec![1.5, f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
            &[],
        );
        assert_eq!(printed, "tensor([1.5000,    nan,    inf,   -inf])");
    }

    #[test]
    fn vector_nonfinite_int_mode() {
        let printed = show(
            &[4],
            vec![1.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN],
            &[],
        );
        assert_eq!(printed, "tensor([1., inf, -inf, nan])");
    }

    #[test]
    fn vector_nonfinite_sci_mode() {
        let printed = show(&[4], vec![1.0e-5, f32::NAN, 0.0, f32::NEG_INFINITY], &[]);
        assert_eq!(
            printed,
            "tensor([1.0000e-05,        nan, 0.0000e+00,       -inf])"
        );
    }

    #[test]
    fn vector_all_nonfinite() {
        let printed = show(&[3], vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY], &[]);
        assert_eq!(printed, "tensor([nan, inf, -inf])");
    }

    #[test]
    fn vector_zeros() {
        let printed = show(&[3], vec![0.0, -0.0, 0.0], &[]);
        assert_eq!(printed, "tensor([0., -0., 0.])");
    }

    #[test]
    fn vector_negative_zero_fixed_mode() {
        let printed = show(&[2], vec![-0.0, 1.5], &[]);
        assert_eq!(printed, "tensor([-0.0000, 1.5000])");
    }

    #[test]
    fn vector_ties_round_half_even() {
        let printed = show(&[3], vec![1.03125, 1.09375, -2.71875], &[]);
        assert_eq!(printed, "tensor([ 1.0312,  1.0938, -2.7188])");
    }

    #[test]
    fn vector_ties_in_sci_mode() {
        let printed = show(&[3], vec![1.03125, 1.09375, 5.0e-5], &[]);
        assert_eq!(printed, "tensor([1.0312e+00, 1.0938e+00, 5.0000e-05])");
    }

    #[test]
    fn vector_half_of_1e_minus_4() {
        let printed = show(&[2], vec![5.0e-5, 1.0e-4], &[]);
        assert_eq!(printed, "tensor([5.0000e-05, 1.0000e-04])");
    }

    #[test]
    fn vector_wraps_100_elements() {
        let printed = show(&[100], pattern(100, 100, 4.0, 10.0), &[]);
        assert_eq!(
            printed,
            "\
tensor([-10.0000,  -0.7500,   8.5000,  -7.2500,   2.0000,  11.2500,  -4.5000,
          4.7500,  14.0000,  -1.7500,   7.5000,  -8.2500,   1.0000,  10.2500,
         -5.5000,   3.7500,  13.0000,  -2.7500,   6.5000,  -9.2500,   0.0000,
          9.2500,  -6.5000,   2.7500,  12.0000,  -3.7500,   5.5000,  14.7500,
         -1.0000,   8.2500,  -7.5000,   1.7500,  11.0000,  -4.7500,   4.5000,
         13.7500,  -2.0000,   7.2500,  -8.5000,   0.7500,  10.0000,  -5.7500,
          3.5000,  12.7500,  -3.0000,   6.2500,  -9.5000,  -0.2500,   9.0000,
         -6.7500,   2.5000,  11.7500,  -4.0000,   5.2500,  14.5000,  -1.2500,
          8.0000,  -7.7500,   1.5000,  10.7500,  -5.0000,   4.2500,  13.5000,
         -2.2500,   7.0000,  -8.7500,   0.5000,   9.7500,  -6.0000,   3.2500,
         12.5000,  -3.2500,   6.0000,  -9.7500,  -0.5000,   8.7500,  -7.0000,
          2.2500,  11.5000,  -4.2500,   5.0000,  14.2500,  -1.5000,   7.7500,
         -8.0000,   1.2500,  10.5000,  -5.2500,   4.0000,  13.2500,  -2.5000,
          6.7500,  -9.0000,   0.2500,   9.5000,  -6.2500,   3.0000,  12.2500,
         -3.5000,   5.7500])"
        );
    }

    #[test]
    fn vector_wraps_integers() {
        let printed = show(&[40], (0..40).map(|i| i as f32).collect(), &[]);
        assert_eq!(
            printed,
            "\
tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,
        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,
        28., 29., 30., 31., 32., 33., 34., 35., 36., 37., 38., 39.])"
        );
    }

    #[test]
    fn vector_summarised_2000() {
        let printed = show(&[2000], pattern(2000, 101, 7.0, 0.0), &[]);
        assert_eq!(
            printed,
            "tensor([ 0.0000,  5.2857, 10.5714,  ...,  8.2857, 13.5714,  4.4286])"
        );
    }

    #[test]
    fn vector_summarised_1001_with_grad_fn() {
        let printed = show(
            &[1001],
            pattern(1001, 1001, 1.0, 500.0),
            &["grad_fn=<MulBackward0>"],
        );
        assert_eq!(
            printed,
            "\
tensor([-500., -463., -426.,  ...,  390.,  427.,  464.],
       grad_fn=<MulBackward0>)"
        );
    }

    #[test]
    fn summary_hides_huge_value_from_formatter() {
        let printed = show(
            &[2000],
            {
                let mut v = pattern(2000, 101, 7.0, 0.0);
                v[1000] = 1e10;
                v
            },
            &[],
        );
        assert_eq!(
            printed,
            "tensor([ 0.0000,  5.2857, 10.5714,  ...,  8.2857, 13.5714,  4.4286])"
        );
    }

    #[test]
    fn column_6x1() {
        let printed = show(&[6, 1], vec![0.25, -1.5, 3.125, 10.0, -0.0625, 2.0], &[]);
        assert_eq!(
            printed,
            "\
tensor([[ 0.2500],
        [-1.5000],
        [ 3.1250],
        [10.0000],
        [-0.0625],
        [ 2.0000]])"
        );
    }

    #[test]
    fn matrix_2x3_mixed_signs() {
        let printed = show(&[2, 3], vec![1.5, -2.25, 0.1, -0.75, 4.0, -5.0], &[]);
        assert_eq!(
            printed,
            "\
tensor([[ 1.5000, -2.2500,  0.1000],
        [-0.7500,  4.0000, -5.0000]])"
        );
    }

    #[test]
    fn matrix_2x3_mixed_signs_sci() {
        let printed = show(&[2, 3], vec![1.5, -2.25, 0.1, -0.001, 4.0, -5.0], &[]);
        assert_eq!(
            printed,
            "\
tensor([[ 1.5000e+00, -2.2500e+00,  1.0000e-01],
        [-1.0000e-03,  4.0000e+00, -5.0000e+00]])"
        );
    }

    #[test]
    fn matrix_1x1_requires_grad() {
        let printed = show(&[1, 1], vec![-0.5], &["requires_grad=True"]);
        assert_eq!(printed, "tensor([[-0.5000]], requires_grad=True)");
    }

    #[test]
    fn matrix_2x30_rows_wrap() {
        let printed = show(&[2, 30], pattern(60, 60, 3.0, 10.0), &[]);
        assert_eq!(
            printed,
            "\
tensor([[-10.0000,   2.3333,  -5.3333,   7.0000,  -0.6667,  -8.3333,   4.0000,
          -3.6667,   8.6667,   1.0000,  -6.6667,   5.6667,  -2.0000,  -9.6667,
           2.6667,  -5.0000,   7.3333,  -0.3333,  -8.0000,   4.3333,  -3.3333,
           9.0000,   1.3333,  -6.3333,   6.0000,  -1.6667,  -9.3333,   3.0000,
          -4.6667,   7.6667],
        [  0.0000,  -7.6667,   4.6667,  -3.0000,   9.3333,   1.6667,  -6.0000,
           6.3333,  -1.3333,  -9.0000,   3.3333,  -4.3333,   8.0000,   0.3333,
          -7.3333,   5.0000,  -2.6667,   9.6667,   2.0000,  -5.6667,   6.6667,
          -1.0000,  -8.6667,   3.6667,  -4.0000,   8.3333,   0.6667,  -7.0000,
           5.3333,  -2.3333]])"
        );
    }

    #[test]
    fn matrix_1001x2_summarised() {
        let printed = show(&[1001, 2], pattern(2002, 19, 3.0, 2.0), &[]);
        assert_eq!(
            printed,
            "\
tensor([[-2.0000,  4.0000],
        [ 3.6667,  3.3333],
        [ 3.0000,  2.6667],
        ...,
        [ 4.0000,  3.6667],
        [ 3.3333,  3.0000],
        [ 2.6667,  2.3333]])"
        );
    }

    #[test]
    fn matrix_40x40_summarised_both_dims() {
        let printed = show(&[40, 40], pattern(1600, 41, 1.0, 20.0), &[]);
        assert_eq!(
            printed,
            "\
tensor([[-20.,  17.,  13.,  ...,  -4.,  -8., -12.],
        [-16., -20.,  17.,  ...,   0.,  -4.,  -8.],
        [-12., -16., -20.,  ...,   4.,   0.,  -4.],
        ...,
        [  5.,   1.,  -3.,  ..., -20.,  17.,  13.],
        [  9.,   5.,   1.,  ..., -16., -20.,  17.],
        [ 13.,   9.,   5.,  ..., -12., -16., -20.]])"
        );
    }

    #[test]
    fn tensor_3d_blank_line_between_matrices() {
        let printed = show(&[2, 2, 3], (0..12).map(|i| i as f32 - 5.5).collect(), &[]);
        assert_eq!(
            printed,
            "\
tensor([[[-5.5000, -4.5000, -3.5000],
         [-2.5000, -1.5000, -0.5000]],

        [[ 0.5000,  1.5000,  2.5000],
         [ 3.5000,  4.5000,  5.5000]]])"
        );
    }

    #[test]
    fn tensor_4d_two_blank_lines() {
        let printed = show(&[2, 1, 2, 2], (0..8).map(|i| i as f32).collect(), &[]);
        assert_eq!(
            printed,
            "\
tensor([[[[0., 1.],
          [2., 3.]]],


        [[[4., 5.],
          [6., 7.]]]])"
        );
    }

    #[test]
    fn tensor_3d_summarised() {
        let printed = show(&[11, 10, 10], pattern(1100, 97, 10.0, 3.0), &[]);
        assert_eq!(
            printed,
            "\
tensor([[[-3.0000,  0.7000,  4.4000,  ...,  3.5000, -2.5000,  1.2000],
         [ 4.9000, -1.1000,  2.6000,  ...,  1.7000,  5.4000, -0.6000],
         [ 3.1000, -2.9000,  0.8000,  ..., -0.1000,  3.6000, -2.4000],
         ...,
         [ 3.8000, -2.2000,  1.5000,  ...,  0.6000,  4.3000, -1.7000],
         [ 2.0000,  5.7000, -0.3000,  ..., -1.2000,  2.5000,  6.2000],
         [ 0.2000,  3.9000, -2.1000,  ..., -3.0000,  0.7000,  4.4000]],

        [[-1.6000,  2.1000,  5.8000,  ...,  4.9000, -1.1000,  2.6000],
         [ 6.3000,  0.3000,  4.0000,  ...,  3.1000, -2.9000,  0.8000],
         [ 4.5000, -1.5000,  2.2000,  ...,  1.3000,  5.0000, -1.0000],
         ...,
         [ 5.2000, -0.8000,  2.9000,  ...,  2.0000,  5.7000, -0.3000],
         [ 3.4000, -2.6000,  1.1000,  ...,  0.2000,  3.9000, -2.1000],
         [ 1.6000,  5.3000, -0.7000,  ..., -1.6000,  2.1000,  5.8000]],

        [[-0.2000,  3.5000, -2.5000,  ...,  6.3000,  0.3000,  4.0000],
         [-2.0000,  1.7000,  5.4000,  ...,  4.5000, -1.5000,  2.2000],
         [ 5.9000, -0.1000,  3.6000,  ...,  2.7000,  6.4000,  0.4000],
         ...,
         [ 6.6000,  0.6000,  4.3000,  ...,  3.4000, -2.6000,  1.1000],
         [ 4.8000, -1.2000,  2.5000,  ...,  1.6000,  5.3000, -0.7000],
         [ 3.0000, -3.0000,  0.7000,  ..., -0.2000,  3.5000, -2.5000]],

        ...,

        [[-1.5000,  2.2000,  5.9000,  ...,  5.0000, -1.0000,  2.7000],
         [ 6.4000,  0.4000,  4.1000,  ...,  3.2000, -2.8000,  0.9000],
         [ 4.6000, -1.4000,  2.3000,  ...,  1.4000,  5.1000, -0.9000],
         ...,
         [ 5.3000, -0.7000,  3.0000,  ...,  2.1000,  5.8000, -0.2000],
         [ 3.5000, -2.5000,  1.2000,  ...,  0.3000,  4.0000, -2.0000],
         [ 1.7000,  5.4000, -0.6000,  ..., -1.5000,  2.2000,  5.9000]],

        [[-0.1000,  3.6000, -2.4000,  ...,  6.4000,  0.4000,  4.1000],
         [-1.9000,  1.8000,  5.5000,  ...,  4.6000, -1.4000,  2.3000],
         [ 6.0000,  0.0000,  3.7000,  ...,  2.8000,  6.5000,  0.5000],
         ...,
         [-3.0000,  0.7000,  4.4000,  ...,  3.5000, -2.5000,  1.2000],
         [ 4.9000, -1.1000,  2.6000,  ...,  1.7000,  5.4000, -0.6000],
         [ 3.1000, -2.9000,  0.8000,  ..., -0.1000,  3.6000, -2.4000]],

        [[ 1.3000,  5.0000, -1.0000,  ..., -1.9000,  1.8000,  5.5000],
         [-0.5000,  3.2000, -2.8000,  ...,  6.0000,  0.0000,  3.7000],
         [-2.3000,  1.4000,  5.1000,  ...,  4.2000, -1.8000,  1.9000],
         ...,
         [-1.6000,  2.1000,  5.8000,  ...,  4.9000, -1.1000,  2.6000],
         [ 6.3000,  0.3000,  4.0000,  ...,  3.1000, -2.9000,  0.8000],
         [ 4.5000, -1.5000,  2.2000,  ...,  1.3000,  5.0000, -1.0000]]])"
        );
    }

    #[test]
    fn empty_vector() {
        let printed = show(&[0], vec![], &[]);
        assert_eq!(printed, "tensor([])");
    }

    #[test]
    fn empty_matrix_shows_size() {
        let printed = show(&[0, 3], vec![], &[]);
        assert_eq!(printed, "tensor([], size=(0, 3))");
    }

    #[test]
    fn empty_3d_with_requires_grad() {
        let printed = show(&[2, 0, 3], vec![], &["requires_grad=True"]);
        assert_eq!(printed, "tensor([], size=(2, 0, 3), requires_grad=True)");
    }

    #[test]
    fn suffix_fits_on_line() {
        let printed = show(
            &[12],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0],
            &["requires_grad=True"],
        );
        assert_eq!(
            printed,
            "tensor([1., 2., 3., 4., 5., 6., 7., 8., 9., 1., 2., 3.], requires_grad=True)"
        );
    }

    #[test]
    fn suffix_wraps_when_line_would_be_exactly_80() {
        let printed = show(
            &[13],
            vec![
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0,
            ],
            &["requires_grad=True"],
        );
        assert_eq!(
            printed,
            "\
tensor([1., 2., 3., 4., 5., 6., 7., 8., 9., 1., 2., 3., 4.],
       requires_grad=True)"
        );
    }

    #[test]
    fn suffix_wraps_to_new_line_8() {
        let printed = show(
            &[8],
            vec![0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5],
            &["grad_fn=<MulBackward0>"],
        );
        assert_eq!(
            printed,
            "\
tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000],
       grad_fn=<MulBackward0>)"
        );
    }

    #[test]
    fn suffix_wraps_to_new_line() {
        let printed = show(
            &[9],
            vec![0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5],
            &["grad_fn=<MulBackward0>"],
        );
        assert_eq!(
            printed,
            "\
tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000, 8.5000],
       grad_fn=<MulBackward0>)"
        );
    }

    #[test]
    fn suffix_after_wrapped_rows() {
        let printed = show(
            &[100],
            pattern(100, 100, 4.0, 10.0),
            &["grad_fn=<MulBackward0>"],
        );
        assert_eq!(
            printed,
            "\
tensor([-10.0000,  -0.7500,   8.5000,  -7.2500,   2.0000,  11.2500,  -4.5000,
          4.7500,  14.0000,  -1.7500,   7.5000,  -8.2500,   1.0000,  10.2500,
         -5.5000,   3.7500,  13.0000,  -2.7500,   6.5000,  -9.2500,   0.0000,
          9.2500,  -6.5000,   2.7500,  12.0000,  -3.7500,   5.5000,  14.7500,
         -1.0000,   8.2500,  -7.5000,   1.7500,  11.0000,  -4.7500,   4.5000,
         13.7500,  -2.0000,   7.2500,  -8.5000,   0.7500,  10.0000,  -5.7500,
          3.5000,  12.7500,  -3.0000,   6.2500,  -9.5000,  -0.2500,   9.0000,
         -6.7500,   2.5000,  11.7500,  -4.0000,   5.2500,  14.5000,  -1.2500,
          8.0000,  -7.7500,   1.5000,  10.7500,  -5.0000,   4.2500,  13.5000,
         -2.2500,   7.0000,  -8.7500,   0.5000,   9.7500,  -6.0000,   3.2500,
         12.5000,  -3.2500,   6.0000,  -9.7500,  -0.5000,   8.7500,  -7.0000,
          2.2500,  11.5000,  -4.2500,   5.0000,  14.2500,  -1.5000,   7.7500,
         -8.0000,   1.2500,  10.5000,  -5.2500,   4.0000,  13.2500,  -2.5000,
          6.7500,  -9.0000,   0.2500,   9.5000,  -6.2500,   3.0000,  12.2500,
         -3.5000,   5.7500], grad_fn=<MulBackward0>)"
        );
    }

    #[test]
    fn suffix_after_matrix_last_row() {
        let printed = show(
            &[2, 9],
            vec![
                0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5,
                15.5, 16.5, 17.5,
            ],
            &["grad_fn=<MulBackward0>"],
        );
        assert_eq!(
            printed,
            "\
tensor([[ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,
          8.5000],
        [ 9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000, 16.5000,
         17.5000]], grad_fn=<MulBackward0>)"
        );
    }

    #[test]
    fn transposed_view_is_printed_in_logical_order() {
        let array =
            ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.5, -2.25, 0.125, -0.75, 4.0, -5.0])
                .expect("data matches shape");
        let printed = format_tensor(&array.view().reversed_axes(), &[]);
        assert_eq!(
            printed,
            "\
tensor([[ 1.5000, -0.7500],
        [-2.2500,  4.0000],
        [ 0.1250, -5.0000]])"
        );
    }

    #[test]
    fn strided_slice_of_a_3d_tensor() {
        // PyTorch: torch.arange(60.).reshape(3, 4, 5)[:, 1:3, ::2]
        let array = ArrayD::from_shape_vec(IxDyn(&[3, 4, 5]), (0..60).map(|i| i as f32).collect())
            .expect("data matches shape");
        let mut view = array.view();
        view.slice_axis_inplace(Axis(1), Slice::from(1..3));
        view.slice_axis_inplace(Axis(2), Slice::new(0, None, 2));
        assert_eq!(
            format_tensor(&view, &[]),
            "\
tensor([[[ 5.,  7.,  9.],
         [10., 12., 14.]],

        [[25., 27., 29.],
         [30., 32., 34.]],

        [[45., 47., 49.],
         [50., 52., 54.]]])"
        );
    }

    #[test]
    fn exactly_threshold_elements_are_not_summarised() {
        // PyTorch: torch.arange(1000.) % 2 prints all 1000 numbers on 56 lines.
        let printed = show(&[1000], (0..1000).map(|i| (i % 2) as f32).collect(), &[]);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 56);
        assert_eq!(
            lines[0],
            "tensor([0., 1., 0., 1., 0., 1., 0., 1., 0., 1., 0., 1., 0., 1., 0., 1., 0., 1.,"
        );
        assert_eq!(
            lines[55],
            "        0., 1., 0., 1., 0., 1., 0., 1., 0., 1.])"
        );
        assert!(!printed.contains("..."));
    }

    // ---- The Python number formatting that the formatter relies on ----

    #[test]
    fn sci_exponent_has_sign_and_two_digits_like_python() {
        assert_eq!(format_sci(1.0e-5), "1.0000e-05");
        assert_eq!(format_sci(1.0), "1.0000e+00");
        assert_eq!(format_sci(-123_456.0), "-1.2346e+05");
        assert_eq!(format_sci(1.0e300), "1.0000e+300");
        assert_eq!(format_sci(-0.0), "-0.0000e+00");
    }

    #[test]
    fn ties_round_half_to_even_like_python() {
        // Python: "{:.0f}".format(2.5) == "2", "{:.0f}".format(3.5) == "4",
        // "{:.4f}".format(1.03125) == "1.0312", "{:.4f}".format(1.09375) == "1.0938".
        assert_eq!(format_fixed(0.5, 0), "0");
        assert_eq!(format_fixed(2.5, 0), "2");
        assert_eq!(format_fixed(3.5, 0), "4");
        assert_eq!(format_fixed(-2.5, 0), "-2");
        assert_eq!(format_fixed(1.03125, 4), "1.0312");
        assert_eq!(format_fixed(1.09375, 4), "1.0938");
        // 0.00005 and 0.00015 are not exact in binary: Python rounds the true value.
        assert_eq!(format_fixed(0.00005, 4), "0.0001");
        assert_eq!(format_fixed(0.00015, 4), "0.0001");
        assert_eq!(format_fixed(0.00025, 4), "0.0003");
    }

    #[test]
    fn non_finite_values_are_spelled_like_python() {
        assert_eq!(format_fixed(f64::NAN, 4), "nan");
        assert_eq!(format_fixed(-f64::NAN, 4), "nan");
        assert_eq!(format_fixed(f64::INFINITY, 0), "inf");
        assert_eq!(format_sci(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn python_tuple_spelling() {
        assert_eq!(python_tuple(&[0, 3]), "(0, 3)");
        assert_eq!(python_tuple(&[0]), "(0,)");
    }
}
