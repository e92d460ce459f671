//! Ops written outside the crate: PyTorch's `torch.autograd.Function`.
//!
//! A [`Function`] gives a forward pass (run without recording, on plain tensors) and a
//! backward pass (from the output's gradient to one gradient per input). `apply` runs the
//! forward and records one node in the graph, named after the type (`Sin` gives
//! `SinBackward`), which `backward()` walks like any of the crate's ops.

use std::cell::RefCell;
use std::collections::HashMap;

use ndarray::ArrayD;

use crate::autograd::{is_grad_enabled, no_grad, Op, Saved};
use crate::broadcast::broadcast_shapes;
use crate::error::{Result, TensorError};
use crate::kernels::map;
use crate::tensor::Tensor;

/// An op with its own forward and backward: PyTorch's `torch.autograd.Function`.
///
/// `forward` computes the output from the inputs; it runs under [`no_grad`], so nothing in it
/// is recorded, and it may keep values for backward with [`Context::save_for_backward`].
/// `backward` gets the gradient of the final result with respect to the output, and returns
/// one entry per input: `Some(gradient)` of the input's shape (or a shape that broadcasting
/// sums down to it), or `None` for an input that needs none ([`Context::needs_input_grad`]
/// says which do). [`Function::apply`] runs it and records it in the graph, where it shows as
/// `<SinBackward>` (the type's name and `Backward`; override [`Function::name`] to change it).
///
/// ```
/// use autograd_core::prelude::*;
///
/// struct Sin;
///
/// impl Function for Sin {
///     // y = sin x
///     fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
///         ctx.save_for_backward(&[inputs[0]]);
///         inputs[0].map(f32::sin)
///     }
///     // dy/dx = cos x
///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
///         let x = &ctx.saved_tensors()[0];
///         vec![Some(grad_output * &x.map(f32::cos))]
///     }
/// }
///
/// let x = tensor!([0.0, 1.0]).requires_grad_(true);
/// let y = Sin::apply(&[&x]);
/// assert_eq!(y.grad_fn(), Some("SinBackward"));
/// y.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0f32.cos()]);
/// assert!(gradcheck(|t| Sin::apply(&[&t[0]]).sum(), &[tensor!([0.5, -2.0])]).passed());
/// ```
///
/// The trait's functions take no `self`, as PyTorch's are static methods: a unit struct
/// (`struct Sin;`) defined in a notebook cell is enough.
pub trait Function {
    /// The output from the inputs, computed without recording (under [`no_grad`]). Save what
    /// `backward` needs with [`Context::save_for_backward`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Double;
    /// impl Function for Double {
    ///     fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         inputs[0] * 2.0 // y = 2x
    ///     }
    ///     fn backward(_ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         vec![Some(grad_output * 2.0)] // dy/dx = 2
    ///     }
    /// }
    /// assert_eq!(Double::apply(&[&tensor!(3.0)]).item(), 6.0);
    /// ```
    fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor;

    /// One gradient per input of `forward`, in order, from the gradient of the output
    /// (`grad_output`, of the output's shape): `Some(grad_output * dy/dx_i)`, or `None` for an
    /// input that needs no gradient. Runs inside `backward()`, without recording.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Mul;
    /// impl Function for Mul {
    ///     fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         ctx.save_for_backward(inputs);
    ///         inputs[0] * inputs[1]                 // z = a b
    ///     }
    ///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         let (a, b) = (&ctx.saved_tensors()[0], &ctx.saved_tensors()[1]);
    ///         let needs = ctx.needs_input_grad();   // dz/da = b, dz/db = a
    ///         vec![needs[0].then(|| grad_output * b), needs[1].then(|| grad_output * a)]
    ///     }
    /// }
    /// let a = tensor!(3.0).requires_grad_(true);
    /// Mul::apply(&[&a, &tensor!(5.0)]).backward();
    /// assert_eq!(a.grad().unwrap().item(), 5.0);
    /// ```
    fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>>;

    /// The name of the node in the graph, PyTorch's `type(y.grad_fn).__name__`: by default
    /// the type's name and `Backward` (`Sin` gives `SinBackward`), as PyTorch names it.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Square;
    /// impl Function for Square {
    ///     fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         inputs[0] * inputs[0]
    ///     }
    ///     fn backward(_ctx: &Context, _grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         unimplemented!()
    ///     }
    ///     fn name() -> &'static str {
    ///         "MySquareBackward"
    ///     }
    /// }
    /// let x = tensor!(2.0).requires_grad_(true);
    /// assert_eq!(Square::apply(&[&x]).grad_fn(), Some("MySquareBackward"));
    /// ```
    fn name() -> &'static str {
        backward_name(std::any::type_name::<Self>())
    }

    /// Runs `forward` on `inputs` and, if one of them requires grad, records the op so that
    /// `backward()` calls `Self::backward`: `Sin.apply(x)` in PyTorch.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Exp;
    /// impl Function for Exp {
    ///     fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         let y = inputs[0].map(f32::exp);     // y = e^x
    ///         ctx.save_for_backward(&[&y]);
    ///         y
    ///     }
    ///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         vec![Some(grad_output * &ctx.saved_tensors()[0])] // dy/dx = e^x = y
    ///     }
    /// }
    /// let x = tensor!(0.0).requires_grad_(true);
    /// let y = Exp::apply(&[&x]);
    /// y.backward();
    /// assert_eq!((y.item(), x.grad().unwrap().item()), (1.0, 1.0));
    /// ```
    fn apply(inputs: &[&Tensor]) -> Tensor
    where
        Self: Sized,
    {
        apply_function(Self::name(), Self::forward, Self::backward, inputs)
    }
}

/// What `forward` keeps for `backward`: PyTorch's `ctx`.
///
/// ```
/// use autograd_core::prelude::*;
/// struct Cube;
/// impl Function for Cube {
///     fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
///         ctx.save_for_backward(&[inputs[0]]);
///         inputs[0].pow(3.0)                                  // y = x^3
///     }
///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
///         let x = &ctx.saved_tensors()[0];
///         vec![Some(grad_output * &(x.pow(2.0) * 3.0))]       // dy/dx = 3x^2
///     }
/// }
/// let x = tensor!(2.0).requires_grad_(true);
/// Cube::apply(&[&x]).backward();
/// assert_eq!(x.grad().unwrap().item(), 12.0);
/// ```
pub struct Context {
    name: &'static str,
    saved: Vec<Saved>,
    tensors: Vec<Tensor>,
    needs_input_grad: Vec<bool>,
}

impl Context {
    /// Keeps `tensors` for `backward` (replacing what an earlier call saved):
    /// `ctx.save_for_backward(*tensors)`. They are checked when backward runs: changing one in
    /// place in between is an error, as in PyTorch.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Id;
    /// impl Function for Id {
    ///     fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         ctx.save_for_backward(inputs);
    ///         inputs[0].map(|x| x)
    ///     }
    ///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         assert_eq!(ctx.saved_tensors().len(), 1);
    ///         vec![Some(grad_output.clone())]
    ///     }
    /// }
    /// Id::apply(&[&tensor!(1.0).requires_grad_(true)]).backward();
    /// ```
    pub fn save_for_backward(&mut self, tensors: &[&Tensor]) {
        self.saved = tensors.iter().map(|t| Saved::new(t, self.name)).collect();
        // Handles on the same numbers, outside any graph (an op may save its own output).
        self.tensors = tensors.iter().map(|t| t.detach()).collect();
    }

    /// What `forward` saved, in order: `ctx.saved_tensors`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Square;
    /// impl Function for Square {
    ///     fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         ctx.save_for_backward(&[inputs[0]]);
    ///         inputs[0] * inputs[0]                          // y = x^2
    ///     }
    ///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         let x = &ctx.saved_tensors()[0];
    ///         vec![Some(grad_output * &(x * 2.0))]           // dy/dx = 2x
    ///     }
    /// }
    /// let x = tensor!(3.0).requires_grad_(true);
    /// Square::apply(&[&x]).backward();
    /// assert_eq!(x.grad().unwrap().item(), 6.0);
    /// ```
    pub fn saved_tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// For each input, whether `backward` must give its gradient: `ctx.needs_input_grad`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// struct Add;
    /// impl Function for Add {
    ///     fn forward(_ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {
    ///         inputs[0] + inputs[1]
    ///     }
    ///     fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {
    ///         assert_eq!(ctx.needs_input_grad(), &[true, false]);
    ///         vec![Some(grad_output.clone()), None]
    ///     }
    /// }
    /// let a = tensor!(1.0).requires_grad_(true);
    /// Add::apply(&[&a, &tensor!(2.0)]).backward();
    /// ```
    pub fn needs_input_grad(&self) -> &[bool] {
        &self.needs_input_grad
    }
}

/// `Sin`'s node name from its type's full name: the last path segment, without generic
/// arguments, and `Backward` (`user_code_3::Sin` gives `SinBackward`). Each name is made once
/// and kept for the rest of the program (a node's name is a `&'static str`).
fn backward_name(type_name: &'static str) -> &'static str {
    thread_local!(static NAMES: RefCell<HashMap<&'static str, &'static str>> = RefCell::default());
    NAMES.with(|names| {
        *names.borrow_mut().entry(type_name).or_insert_with(|| {
            let base = type_name.split('<').next().unwrap_or(type_name);
            let base = base.rsplit("::").next().unwrap_or(base);
            Box::leak(format!("{base}Backward").into_boxed_str())
        })
    })
}

type Forward = fn(&mut Context, &[&Tensor]) -> Tensor;
type Backward = fn(&Context, &Tensor) -> Vec<Option<Tensor>>;

/// [`Function::apply`], compiled once in this crate rather than for every `Function`.
fn apply_function(
    name: &'static str,
    forward: Forward,
    backward: Backward,
    inputs: &[&Tensor],
) -> Tensor {
    let mut ctx = Context {
        name,
        saved: Vec::new(),
        tensors: Vec::new(),
        needs_input_grad: inputs
            .iter()
            .map(|t| t.requires_grad() && is_grad_enabled())
            .collect(),
    };
    let output = no_grad(|| forward(&mut ctx, inputs));
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape()).collect();
    let saves_nothing = ctx.saved.is_empty();
    let op = Op::new(name, output.to_array()).inputs_with_joint_rule(
        inputs,
        Box::new(move |g| run_backward(&ctx, backward, g, &shapes)),
    );
    // As in PyTorch, a Function that saved no tensors can be run backward again.
    if saves_nothing {
        op.saves_nothing().build()
    } else {
        op.build()
    }
}

/// Calls the user's `backward` and checks what it returns, in PyTorch's words: one entry per
/// input, each of a shape that sums down to its input's.
fn run_backward(
    ctx: &Context,
    backward: Backward,
    g: &ArrayD<f32>,
    shapes: &[Vec<usize>],
) -> Result<Vec<Option<ArrayD<f32>>>> {
    for saved in &ctx.saved {
        saved.value()?; // an error if changed in place since forward
    }
    let grads = backward(ctx, &Tensor::from_array(g.clone()));
    let name = ctx.name;
    if grads.len() != shapes.len() {
        return Err(TensorError::Invalid(format!(
            "function {name} returned an incorrect number of gradients (expected {}, got {})\n  \
             op: backward, in {name}\n  \
             hint: return one entry per input of forward, None for an input that needs no gradient",
            shapes.len(),
            grads.len()
        )));
    }
    let needed = ctx.needs_input_grad.iter();
    let grads = grads.into_iter().zip(shapes).zip(needed).enumerate();
    grads
        .map(|(i, ((grad, shape), &needed))| {
            let Some(grad) = grad.filter(|_| needed) else {
                return Ok(None);
            };
            let grad_shape = grad.shape();
            // A larger gradient is fine if the input broadcasts to it: backward sums it down.
            let fits = grad_shape == *shape
                || broadcast_shapes(name, shape, &grad_shape).is_ok_and(|s| s == grad_shape);
            if !fits {
                return Err(TensorError::Invalid(format!(
                    "Function {name} returned an invalid gradient at index {i} - got {grad_shape:?} \
                     but expected shape compatible with {shape:?}\n  \
                     op: backward, in {name}\n  \
                     hint: the gradient of an input has the input's shape"
                )));
            }
            Ok(Some(grad.to_array()))
        })
        .collect()
}

impl Tensor {
    /// `f(x)` for every element, as a new tensor outside the graph: for the forward and backward
    /// of a [`Function`], which are not recorded. Like `x.detach().apply_(f)` in PyTorch, without
    /// changing `x`. Panics on a tensor that requires grad while grad mode is on, since autograd
    /// could not follow `f`: write a [`Function`], or map `x.detach()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([0.0, 4.0]).map(f32::sqrt).to_vec(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Tensor {
        if self.requires_grad() && is_grad_enabled() {
            panic!(
                "map is not recorded by autograd, so no gradient could flow through it\n  \
                 op: map, on a tensor of shape {:?} that requires grad\n  \
                 hint: use map inside a Function's forward or backward (see Function), or on x.detach()",
                self.shape()
            );
        }
        Tensor::from_array(map(&self.data(), f))
    }
}
