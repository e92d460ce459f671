//! Every way an op can refuse its input, in PyTorch's words.
//!
//! Each message has three parts: PyTorch's sentence (so a learner can search for it), the op and
//! the shapes involved, and a hint that says what to change. Operators and plain methods panic
//! with this message; every fallible method has a `try_` twin that returns it as a `Result`.

use std::fmt;

/// The result type of every `try_` method.
pub type Result<T> = std::result::Result<T, TensorError>;

/// What went wrong, grouped by kind. `Display` gives the full message.
///
/// # The mistakes learners make, and what they see
///
/// The first line of each message; the lines after it name the op and the shapes, and give a
/// hint. Each is tested in `tests/errors.rs` through the panicking form and the `try_` form.
///
/// | mistake | for example | first line of the message |
/// |---|---|---|
/// | shapes that do not broadcast in `+ - * /` | `[3] + [4]` | `The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0` |
/// | matrices that do not multiply | `[2, 3] @ [2, 3]` | `mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)` |
/// | a matrix times a vector of the wrong length | `[2, 3] @ [2]` | `size mismatch, got input (2), mat (2x3), vec (2)` |
/// | two vectors of different lengths | `[3] @ [2]` | `inconsistent tensor size, expected tensor [3] and src [2] to have the same number of elements, but got 3 and 2 elements respectively` |
/// | a vector times a matrix that does not fit | `[3] @ [2, 3]` | `mm: mat1 and mat2 shapes cannot be multiplied (1x3 and 2x3)` |
/// | `Linear` given the wrong number of features | `Linear(2, 1)` on `[6, 1]` | `mat1 and mat2 shapes cannot be multiplied (6x1 and 2x1)` |
/// | `Linear` given input of the wrong rank | `Linear(1, 1)` on a scalar | `linear: expected input of shape [batch, in_features] or [in_features] and a 2-D weight, got [] and [1, 1]` |
/// | `MSELoss` with `(N, 1)` predictions and `(N,)` targets (a warning, once) | `[4, 1]` against `[4]` | `UserWarning: Using a target size (torch.Size([4])) that is different to the input size (torch.Size([4, 1])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.` |
/// | `backward()` on a non-scalar | `(&x * 2.0).backward()` | `grad can be implicitly created only for scalar outputs` |
/// | `backward()` twice | `l.backward(); l.backward();` | `Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ...` |
/// | `backward()` on something that does not require grad | `tensor!(1.0).backward()` | `element 0 of tensors does not require grad and does not have a grad_fn` |
/// | updating a parameter outside `no_grad` | `w.sub_(&step)` | `a leaf Variable that requires grad is being used in an in-place operation.` |
/// | changing a value backward still needs | `y = x.exp(); x.add_(..)` under `no_grad`, then `y.backward()` | `one of the variables needed for gradient computation has been modified by an inplace operation: ...` |
/// | `item()` on more than one element | `tensor!([1.0, 2.0, 3.0, 4.0]).item()` | `a Tensor with 4 elements cannot be converted to Scalar` |
/// | `item()` on an empty tensor | `Tensor::zeros(&[0, 3]).item()` | `a Tensor with 0 elements cannot be converted to Scalar` |
/// | `reshape` to a different size | `[4]` to `[3, 2]` | `shape '[3, 2]' is invalid for input of size 4` |
/// | `reshape` with two `-1` | `[6]` to `[-1, -1]` | `only one dimension can be inferred` |
/// | a dimension that does not exist | `tensor!([1.0, 2.0]).sum_dim(&[1], false)` | `Dimension out of range (expected to be in range of [-1, 0], but got 1)` |
/// | an optimizer given nothing to optimize | `SGD::new(Vec::<Tensor>::new(), 0.1)` | `optimizer got an empty parameter list` |
/// | an optimizer given a tensor without `requires_grad` | `SGD::new([tensor!(1.0)], 0.1)` | `optimizer got a parameter that does not require grad` |
/// | an optimizer given a computed tensor | `SGD::new(vec![&w * 2.0], 0.1)` | `can't optimize a non-leaf Tensor` |
/// | `nan` in the loss, with [`set_detect_anomaly`](crate::set_detect_anomaly) on | `w.sqrt()` at `w = -1` | `Function 'SqrtBackward0' returned nan or inf values in its forward output, from finite inputs.` |
/// | diverging weights, with anomaly mode on | lesson 03 with `lr = 1.0` | `a leaf tensor that requires grad holds nan or inf values before this backward` |
/// | a gradient rule that makes `nan`, with anomaly mode on | `(x.sqrt() * 0.0).sum()` at `x = 0` | `Function 'SqrtBackward0' returned nan values in its 0th output.` |
///
/// Without anomaly mode a `nan` is not an error, as in PyTorch: it spreads to the loss and
/// every gradient, and the loss curve stops.
///
/// ```
/// use autograd_core::prelude::*;
/// let err = tensor!([1.0, 2.0, 3.0]).try_add(&tensor!([1.0, 2.0, 3.0, 4.0])).unwrap_err();
/// assert!(err.to_string().starts_with(
///     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TensorError {
    /// Two shapes that cannot be broadcast together.
    Broadcast {
        op: &'static str,
        a: Vec<usize>,
        b: Vec<usize>,
        dim: usize,
    },
    /// An in-place op whose result would not fit the tensor it writes into.
    InPlaceBroadcast {
        op: &'static str,
        target: Vec<usize>,
        broadcast: Vec<usize>,
    },
    /// `matmul` operands whose inner dimensions differ.
    Matmul {
        op: &'static str,
        a: Vec<usize>,
        b: Vec<usize>,
    },
    /// `reshape` to a shape with a different number of elements.
    Reshape { from: Vec<usize>, to: Vec<isize> },
    /// `item()` on a tensor that is not a single number.
    NotAScalar { numel: usize },
    /// `backward()` without a gradient on a tensor with more than one element.
    ImplicitGradNotScalar { shape: Vec<usize> },
    /// `backward_with(grad)` where `grad` has the wrong shape.
    GradShape {
        grad: Vec<usize>,
        output: Vec<usize>,
    },
    /// `backward()` on a tensor that is not part of any graph.
    NoGradFn,
    /// A second `backward()` through a graph whose saved values were freed.
    GraphFreed { grad_fn: &'static str },
    /// An in-place op on a leaf that requires grad, outside `no_grad`.
    LeafInPlace { op: &'static str },
    /// An in-place op on a tensor that is part of a graph, with grad mode on.
    GraphInPlace { op: &'static str },
    /// A value saved for backward was changed in place before backward ran.
    ModifiedInPlace {
        grad_fn: &'static str,
        shape: Vec<usize>,
        version: u32,
        expected: u32,
    },
    /// `requires_grad_(false)` on a tensor computed by an op.
    NonLeafRequiresGrad,
    /// A dimension index outside the accepted range `low..=high`.
    DimOutOfRange {
        op: &'static str,
        dim: isize,
        ndim: usize,
        low: isize,
        high: isize,
    },
    /// Data whose length does not fit the shape it was given.
    DataLength { len: usize, shape: Vec<usize> },
    /// Anything else, already phrased.
    Invalid(String),
}

/// `[2, 3]`, the way the hints print shapes.
fn shape(s: &[usize]) -> String {
    format!("{s:?}")
}

/// `torch.Size([2, 3])`, for the messages where PyTorch prints shapes that way.
pub(crate) fn torch_size(s: &[usize]) -> String {
    let dims: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TensorError::*;
        match self {
            Broadcast { op, a, b, dim } => {
                let offset = a.len().max(b.len()) - 1 - dim;
                let size = |s: &[usize]| s[s.len() - 1 - offset];
                write!(
                    f,
                    "The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton dimension {dim}\n  \
                     op: {op}, shapes {} and {}\n  \
                     hint: shapes are compared from the last dimension; each pair must be equal or one of them 1",
                    size(a), size(b), shape(a), shape(b)
                )
            }
            InPlaceBroadcast { op, target, broadcast } => write!(
                f,
                "output with shape {} doesn't match the broadcast shape {}\n  \
                 op: {op}\n  \
                 hint: an in-place op cannot change the shape of the tensor it writes into",
                shape(target), shape(broadcast)
            ),
            Matmul { op, a, b } => {
                let dims = |s: &[usize]| s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x");
                let message = if a.len() == 1 && b.len() == 1 {
                    format!("inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively", a[0], b[0], a[0], b[0])
                } else if b.len() == 1 {
                    format!("size mismatch, got input ({}), mat ({}), vec ({})", a[0], dims(a), b[0])
                } else {
                    // A vector on the left is multiplied as a one-row matrix, by `mm`, which
                    // PyTorch then names in the message.
                    let (prefix, a_matrix) = if a.len() == 1 { ("mm: ", vec![1, a[0]]) } else { ("", a.clone()) };
                    format!("{prefix}mat1 and mat2 shapes cannot be multiplied ({} and {})", dims(&a_matrix), dims(b))
                };
                write!(
                    f,
                    "{message}\n  \
                     op: {op}, shapes {} and {}\n  \
                     hint: the last dimension of the first must equal the first dimension of the second; try .t() on one of them",
                    shape(a), shape(b)
                )
            }
            Reshape { from, to } => write!(
                f,
                "shape '{to:?}' is invalid for input of size {}\n  \
                 op: reshape, from shape {}\n  \
                 hint: the new shape must hold the same number of elements; use -1 for one dimension to have it inferred",
                from.iter().product::<usize>(), shape(from)
            ),
            NotAScalar { numel } => write!(
                f,
                "a Tensor with {numel} elements cannot be converted to Scalar\n  \
                 op: item\n  \
                 hint: reduce it first (.sum(), .mean()) or read one element with get(&[i, ...]), like t[i].item()"
            ),
            ImplicitGradNotScalar { shape: s } => write!(
                f,
                "grad can be implicitly created only for scalar outputs\n  \
                 op: backward, on a tensor of shape {}\n  \
                 hint: reduce the output to a scalar (e.g. .mean()) or call backward_with(&grad) with a gradient of the same shape",
                shape(s)
            ),
            GradShape { grad, output } => write!(
                f,
                "Mismatch in shape: grad_output[0] has a shape of {} and output[0] has a shape of {}.\n  \
                 op: backward_with\n  \
                 hint: the gradient passed to backward_with must have the output's shape",
                torch_size(grad), torch_size(output)
            ),
            NoGradFn => write!(
                f,
                "element 0 of tensors does not require grad and does not have a grad_fn\n  \
                 op: backward\n  \
                 hint: call .requires_grad_(true) on the leaf tensors before computing, and do not compute under no_grad"
            ),
            GraphFreed { grad_fn } => write!(
                f,
                "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). \
                 Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). \
                 Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.\n  \
                 op: backward, reached {grad_fn} a second time\n  \
                 hint: recompute the forward pass, or call backward_retain_graph() the first time (PyTorch's backward(retain_graph=True))"
            ),
            LeafInPlace { op } => write!(
                f,
                "a leaf Variable that requires grad is being used in an in-place operation.\n  \
                 op: {op}\n  \
                 hint: update parameters inside no_grad(|| ...), where no graph is recorded"
            ),
            GraphInPlace { op } => write!(
                f,
                "an in-place operation on a tensor that is part of a graph is not supported here\n  \
                 op: {op}\n  \
                 hint: use the out-of-place op (a - b instead of a.sub_(b)), or run it inside no_grad(|| ...)"
            ),
            ModifiedInPlace { grad_fn, shape: s, version, expected } => write!(
                f,
                "one of the variables needed for gradient computation has been modified by an inplace operation: \
                 [torch.FloatTensor {}] is at version {version}; expected version {expected} instead.\n  \
                 op: backward, in {grad_fn}\n  \
                 hint: do the in-place update after backward(), or compute from a .detach()-ed copy",
                shape(s)
            ),
            NonLeafRequiresGrad => write!(
                f,
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().\n  \
                 op: requires_grad_\n  \
                 hint: call .detach() to get a tensor outside the graph"
            ),
            DimOutOfRange { op, dim, ndim, low, high } => {
                write!(
                    f,
                    "Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})\n  \
                     op: {op}, on a tensor with {ndim} dimensions\n  \
                     hint: dimensions count from 0; negative ones count from the end"
                )
            }
            DataLength { len, shape: s } => write!(
                f,
                "shape {} needs {} elements, but the data has {len}\n  \
                 op: from_vec\n  \
                 hint: the product of the shape must equal the data's length",
                shape(s),
                s.iter().product::<usize>()
            ),
            Invalid(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for TensorError {}

/// Turns a `try_` result into the panicking form, reporting the caller's line.
pub(crate) trait OrPanic<T> {
    fn or_panic(self) -> T;
}

impl<T> OrPanic<T> for Result<T> {
    #[track_caller]
    fn or_panic(self) -> T {
        match self {
            Ok(value) => value,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Makes a panic print only its message, the way PyTorch shows only the error:
/// `panicked: a leaf Variable that requires grad is being used in an in-place operation.`
/// followed by the op and the hint, instead of the message plus a 15-line stack backtrace
/// (evcxr runs cells with `RUST_BACKTRACE=1`). Inside the evcxr kernel it is installed by itself
/// when the first tensor is created; call it to install it earlier, or in another program.
///
/// ```
/// autograd_core::short_panics();
/// let caught = std::panic::catch_unwind(|| autograd_core::tensor!([1.0, 2.0]).item());
/// assert!(caught.is_err());
/// # let _ = std::panic::take_hook();
/// ```
pub fn short_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(a panic without a message)");
        show_panic_line(&format!("panicked: {message}"));
    }));
}

/// Writes the line that says a cell panicked to stderr, and marks the panic shown
/// ([`PANIC_SHOWN`]): [`short_panics`]'s hook, a failed [`check`](crate::check) and a
/// [`grading`](crate::grading) guard all say it this way. In the notebook kernel it then waits
/// 100 ms: evcxr 0.22 labels output with the newest request it received, and under "Run All" the
/// next cell's request can overtake this line.
pub(crate) fn show_panic_line(line: &str) {
    eprintln!("{line}");
    PANIC_SHOWN.with(|shown| shown.set(true));
    let _ = std::io::Write::flush(&mut std::io::stderr());
    if in_notebook_kernel() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

thread_local! {
    /// Whether a panic of this thread has been reported on stderr by this copy of the crate (by
    /// [`short_panics`]'s hook or a failed [`check`](crate::check)): a
    /// [`grading`](crate::grading) guard reports one nobody has.
    pub(crate) static PANIC_SHOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs [`short_panics`] once if this program is the code of an evcxr notebook kernel:
/// evcxr 0.22 runs the cells in a child process started with `EVCXR_IS_RUNTIME=1` (its
/// `runtime.rs`). Anywhere else nothing changes. Called on every tensor creation: after the
/// first, it is one atomic load.
pub(crate) fn short_panics_in_notebook_kernel() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if in_notebook_kernel() {
            short_panics();
        }
    });
}

/// Whether this program is the code of an evcxr notebook kernel (`EVCXR_IS_RUNTIME=1`, see
/// above). There, every cell links its own copy of this crate, statics and thread-locals
/// included, so what must carry from one cell to the next is also kept in the process's
/// environment (the random generator, anomaly mode). Read once per copy.
pub(crate) fn in_notebook_kernel() -> bool {
    static IN_KERNEL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *IN_KERNEL.get_or_init(|| std::env::var_os("EVCXR_IS_RUNTIME").is_some())
}
