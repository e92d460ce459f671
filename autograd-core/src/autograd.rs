//! The tape: how ops record themselves, and how `backward()` walks the record.
//!
//! Every op that has an input requiring grad gives its output a [`Node`]: the op's name, and for
//! each input an *edge* holding that input and its gradient rule (a closure from the output's
//! gradient `g` to the input's gradient, `g * dz/dinput`). The nodes form a DAG from the output
//! back to the leaves. `backward()` visits it newest op first, so every node has received all of
//! its gradient before it passes gradient on, then adds the totals into the leaves' `.grad`.
//! Its bookkeeping (the gradients on their way, the tensors visited) lives in the call, like
//! micrograd's `visited`, and `.grad` is written only once the whole walk has succeeded.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use ndarray::{ArrayD, Axis, CowArray, Dimension, IxDyn};

use crate::error::{in_notebook_kernel, OrPanic, Result, TensorError};
use crate::kernels::{sum_all, sum_along};
use crate::tensor::{Storage, Tensor, TensorInner};

/// A gradient rule: from the gradient of an op's output to the gradient of one input.
pub(crate) type GradRule = Box<dyn Fn(&ArrayD<f32>) -> Result<ArrayD<f32>>>;

/// A gradient rule for all inputs at once (a custom [`Function`](crate::Function)): from the
/// gradient of the output to one gradient per input, `None` where an input gets none.
pub(crate) type JointRule = Box<dyn Fn(&ArrayD<f32>) -> Result<InputGrads>>;

/// One gradient per input of an op, in order, `None` where an input gets none.
pub(crate) type InputGrads = Vec<Option<ArrayD<f32>>>;

pub(crate) struct Edge {
    pub(crate) input: Tensor,
    /// `None` when the input does not require grad, and after the graph is freed.
    rule: RefCell<Option<GradRule>>,
}

/// One recorded op: PyTorch's `grad_fn`.
pub(crate) struct Node {
    pub(crate) name: &'static str,
    pub(crate) edges: Vec<Edge>,
    /// The rule of a custom `Function`, which gives every input's gradient in one call (its
    /// edges then have no rule of their own); `None` for the crate's ops, and once freed.
    joint: RefCell<Option<JointRule>>,
    /// Creation order; later ops run first in `backward()`, as in PyTorch's engine.
    sequence_nr: u64,
    /// Whether the rules read saved values, which backward frees.
    saves_values: bool,
    freed: Cell<bool>,
    /// In anomaly mode: whether this op made nan or inf out of finite inputs.
    made_non_finite: bool,
    /// What a fused op knows beyond its rules (`nn/fused.rs`); `None` for most ops, and once freed.
    pub(crate) fused: RefCell<Option<Box<dyn Fused>>>,
}

/// What an op of `nn` attaches to its node, type-erased so that the engine needs no `nn` type
/// (`nn/fused.rs`: an MSE loss that made the gradients of the `Linear` before it).
pub(crate) trait Fused: std::any::Any {
    /// Asked by backward when this node's upstream gradient is exactly 1 and it alone sends
    /// gradient to its first input: the gradients of the inputs of the op that made that input
    /// (`None` where one gets none), if they are exactly what that op's rule would give.
    fn input_op_gradients(&self) -> Option<InputGrads>;

    /// For recognising the concrete type (`Any`); rust-version 1.80 has no upcasting to it.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// Dropping a graph must not recurse once per op: a loop that records 100_000 ops into one
/// graph (`x = &x * 1.01` under grad) would overflow the stack and kill the notebook's kernel.
/// So a node unlinks the ops of inputs that only it holds, and they are dropped one by one.
impl Drop for Node {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        unlink_inputs(&mut self.edges, &mut pending);
        while let Some(node) = pending.pop() {
            // Held elsewhere too: whoever holds it last drops it, through this same loop.
            if let Ok(mut node) = Rc::try_unwrap(node) {
                unlink_inputs(&mut node.edges, &mut pending);
            }
        }
    }
}

/// Takes the `grad_fn` out of every input held by nobody but these edges.
fn unlink_inputs(edges: &mut [Edge], pending: &mut Vec<Rc<Node>>) {
    for edge in edges {
        if let Some(input) = Rc::get_mut(&mut edge.input.0) {
            pending.extend(input.grad_fn.take());
        }
    }
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static NEXT_SEQUENCE_NR: Cell<u64> = const { Cell::new(0) };
    static NEXT_BACKWARD_PASS: Cell<u64> = const { Cell::new(0) };
}

fn next_number(counter: &'static std::thread::LocalKey<Cell<u64>>) -> u64 {
    counter.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

// ----- grad mode ------------------------------------------------------------------------------

/// Whether ops are being recorded: `torch.is_grad_enabled()`.
///
/// ```
/// use autograd_core::prelude::*;
/// assert!(is_grad_enabled());
/// no_grad(|| assert!(!is_grad_enabled()));
/// ```
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Restores the previous grad mode when dropped: the guard form of [`no_grad`], like
/// `with torch.no_grad():` covering the rest of a block.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(1.0).requires_grad_(true);
/// {
///     let _guard = NoGradGuard::new();
///     assert!(!(&w * 2.0).requires_grad());
/// }
/// assert!((&w * 2.0).requires_grad());
/// ```
pub struct NoGradGuard {
    previous: bool,
}

impl NoGradGuard {
    /// Turns recording off until the guard is dropped.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let _guard = NoGradGuard::new();
    /// assert!(!is_grad_enabled());
    /// ```
    #[allow(clippy::new_without_default)]
    pub fn new() -> NoGradGuard {
        let previous = GRAD_ENABLED.with(|g| g.replace(false));
        NoGradGuard { previous }
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Runs `f` without recording ops, and returns its result: `with torch.no_grad(): ...`.
/// Weight updates go here, so they do not become part of the next graph.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(1.0).requires_grad_(true);
/// let y = no_grad(|| &w * 2.0);
/// assert!(!y.requires_grad());
/// ```
pub fn no_grad<T>(f: impl FnOnce() -> T) -> T {
    let _guard = NoGradGuard::new();
    f()
}

// ----- anomaly mode ---------------------------------------------------------------------------

thread_local! {
    static DETECT_ANOMALY: Cell<bool> = const { Cell::new(false) };
}

/// Turns anomaly detection on or off for this thread: `torch.autograd.set_detect_anomaly`.
///
/// When on, every op notes whether it turned finite inputs into `nan` or `inf`, and
/// `backward()` fails with the name of the first such op (or of the leaf or constant that was
/// already non-finite) instead of quietly filling every gradient with `nan`. A gradient rule
/// that returns `nan` is reported too, in PyTorch's words. It costs a scan of every op's output,
/// so it is off by default.
///
/// ```
/// use autograd_core::prelude::*;
/// autograd_core::set_detect_anomaly(true);
/// let w = tensor!(-1.0).requires_grad_(true);
/// let l = w.sqrt();                              // sqrt(-1) = nan
/// let err = l.try_backward().unwrap_err().to_string();
/// assert!(err.starts_with("Function 'SqrtBackward0' returned nan or inf values in its forward output"));
/// autograd_core::set_detect_anomaly(false);
/// ```
pub fn set_detect_anomaly(on: bool) {
    DETECT_ANOMALY.with(|d| d.set(on));
    if in_notebook_kernel() {
        std::env::set_var(ANOMALY_ACROSS_CELLS, if on { "1" } else { "0" });
    }
}

/// In the notebook kernel, every cell's copy of the crate has its own `DETECT_ANOMALY`: the
/// setting is read from the process's environment there, so that `set_detect_anomaly(true)` in
/// one cell reaches a `backward()` in the next, as in PyTorch (one read per op, in the kernel only).
const ANOMALY_ACROSS_CELLS: &str = "AUTOGRAD_CORE_DETECT_ANOMALY";

/// Whether anomaly detection is on: `torch.is_anomaly_enabled()`.
///
/// ```
/// assert!(!autograd_core::is_anomaly_enabled());
/// ```
pub fn is_anomaly_enabled() -> bool {
    if in_notebook_kernel() {
        return std::env::var_os(ANOMALY_ACROSS_CELLS).is_some_and(|v| v == "1");
    }
    DETECT_ANOMALY.with(|d| d.get())
}

/// Runs `f` with anomaly detection on, then restores the previous setting (also if `f`
/// panics): `with torch.autograd.detect_anomaly():`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(0.0).requires_grad_(true);
/// let err = autograd_core::detect_anomaly(|| (&w.log() * 2.0).sum().try_backward());
/// assert!(err.unwrap_err().to_string().contains("LogBackward0"));   // log(0) = -inf
/// assert!(!autograd_core::is_anomaly_enabled());
/// ```
pub fn detect_anomaly<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_detect_anomaly(self.0);
        }
    }
    let _restore = Restore(is_anomaly_enabled());
    set_detect_anomaly(true);
    f()
}

fn all_finite(values: &ArrayD<f32>) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// In anomaly mode, before backward runs: the first place where a non-finite value entered
/// the graph: a leaf, else the oldest op.
fn first_anomaly(walk: &Walk) -> Option<TensorError> {
    let hint = "hint: nan and inf come from log or sqrt of 0 or negatives, division by 0, exp of \
                large numbers, or weights that diverged because the learning rate is too large";
    for (leaf, _) in walk.pending.iter().filter(|(t, _)| t.is_leaf()) {
        if !all_finite(&leaf.data()) {
            return Some(TensorError::Invalid(format!(
                "a leaf tensor that requires grad holds nan or inf values before this backward\n  \
                 op: backward (anomaly mode), leaf of shape {:?}\n  {hint}; \
                 an earlier update (optimizer.step()) may have made it non-finite",
                leaf.shape()
            )));
        }
    }
    for output in walk.ops.iter().rev().map(|&i| &walk.pending[i].0) {
        let node = output.0.grad_fn.as_ref().unwrap();
        for (i, edge) in node.edges.iter().enumerate() {
            if !edge.input.requires_grad() && !all_finite(&edge.input.data()) {
                return Some(TensorError::Invalid(format!(
                    "input {i} of '{}' holds nan or inf values, and it does not require grad (data, not a parameter)\n  \
                     op: backward (anomaly mode), input of shape {:?}\n  {hint}",
                    node.name,
                    edge.input.shape()
                )));
            }
        }
        if node.made_non_finite {
            return Some(TensorError::Invalid(format!(
                "Function '{}' returned nan or inf values in its forward output, from finite inputs.\n  \
                 op: backward (anomaly mode), output of shape {:?}\n  {hint}",
                node.name,
                output.shape()
            )));
        }
    }
    None
}

// ----- recording an op ------------------------------------------------------------------------

/// A value an op keeps for its backward pass, with the version it had when saved. It holds the
/// numbers (the storage), not the tensor, so an op can save its own output without a cycle.
#[derive(Clone)]
pub(crate) struct Saved {
    storage: Rc<Storage>,
    version: u32,
    grad_fn: &'static str,
}

impl Saved {
    pub(crate) fn new(tensor: &Tensor, grad_fn: &'static str) -> Saved {
        Saved {
            storage: tensor.0.storage.clone(),
            version: tensor.version(),
            grad_fn,
        }
    }

    /// The saved numbers; an error if an in-place op changed them since.
    pub(crate) fn value(&self) -> Result<std::cell::Ref<'_, ArrayD<f32>>> {
        let version = self.storage.version.get();
        if version != self.version {
            return Err(TensorError::ModifiedInPlace {
                grad_fn: self.grad_fn,
                shape: self.storage.data.borrow().shape().to_vec(),
                version,
                expected: self.version,
            });
        }
        Ok(self.storage.data.borrow())
    }
}

/// The output of the op being built, for gradient rules that are written in terms of it
/// (`y = e^x`: `dy/dx = y`). `Op::build` fills it in.
#[derive(Clone, Default)]
pub(crate) struct SavedOutput(Rc<OnceCell<Saved>>);

impl SavedOutput {
    pub(crate) fn value(&self) -> Result<std::cell::Ref<'_, ArrayD<f32>>> {
        self.0.get().expect("Op::build saves the output").value()
    }
}

/// Builds an op's output: `Op::new(name, data).input(a, rule_a).input(b, rule_b).build()`.
pub(crate) struct Op {
    name: &'static str,
    data: ArrayD<f32>,
    edges: Vec<Edge>,
    requires_grad: bool,
    saves_values: bool,
    output: Option<SavedOutput>,
    joint: Option<JointRule>,
    fused: Option<Box<dyn Fused>>,
}

impl Op {
    pub(crate) fn new(name: &'static str, data: ArrayD<f32>) -> Op {
        Op {
            name,
            data,
            edges: Vec::with_capacity(2),
            requires_grad: false,
            saves_values: true,
            output: None,
            joint: None,
            fused: None,
        }
    }

    /// Attaches what a fused op knows beyond its rules (see [`Fused`]).
    pub(crate) fn fused(mut self, fused: Box<dyn Fused>) -> Op {
        self.fused = Some(fused);
        self
    }

    /// Declares that the rules use no saved values (only shapes), so, as in PyTorch, backward
    /// may run through this op again without `retain_graph`.
    pub(crate) fn saves_nothing(mut self) -> Op {
        self.saves_values = false;
        self
    }

    /// Saves the output into `slot` for the rules to read.
    pub(crate) fn saving_output(mut self, slot: SavedOutput) -> Op {
        self.output = Some(slot);
        self
    }

    /// Records an input and how its gradient follows from the output's gradient `g`.
    /// The rule may return a gradient of the broadcast shape; backward sums it down.
    pub(crate) fn input<F>(mut self, input: &Tensor, rule: F) -> Op
    where
        F: Fn(&ArrayD<f32>) -> Result<ArrayD<f32>> + 'static,
    {
        let needed = input.requires_grad() && is_grad_enabled();
        self.requires_grad |= needed;
        self.edges.push(Edge {
            input: input.shallow_clone(),
            rule: RefCell::new(needed.then(|| Box::new(rule) as GradRule)),
        });
        self
    }

    /// Records the inputs of a custom `Function` and its one rule for all of them. The rule
    /// is given the output's gradient and returns a gradient per input, in order.
    pub(crate) fn inputs_with_joint_rule(mut self, inputs: &[&Tensor], rule: JointRule) -> Op {
        for input in inputs {
            let needed = input.requires_grad() && is_grad_enabled();
            self.requires_grad |= needed;
            self.edges.push(Edge {
                input: input.shallow_clone(),
                rule: RefCell::new(None),
            });
        }
        self.joint = Some(rule);
        self
    }

    pub(crate) fn build(self) -> Tensor {
        if !self.requires_grad {
            return Tensor::from_array(self.data);
        }
        let made_non_finite = is_anomaly_enabled()
            && !all_finite(&self.data)
            && self.edges.iter().all(|e| all_finite(&e.input.data()));
        let node = Node {
            name: self.name,
            edges: self.edges,
            joint: RefCell::new(self.joint),
            sequence_nr: next_number(&NEXT_SEQUENCE_NR),
            saves_values: self.saves_values,
            freed: Cell::new(false),
            made_non_finite,
            fused: RefCell::new(self.fused),
        };
        let output = Tensor::with_grad_fn(self.data, Some(Rc::new(node)));
        if let Some(slot) = self.output {
            let _ = slot.0.set(Saved::new(&output, self.name));
        }
        output
    }
}

// ----- backward -------------------------------------------------------------------------------

/// The keyword arguments of PyTorch's `backward()`, for [`Tensor::backward_with_options`]:
/// `BackwardOptions { retain_graph: true, ..Default::default() }` is `retain_graph=True`.
///
/// ```
/// use autograd_core::prelude::*;
/// let options = BackwardOptions::default();
/// assert!(options.gradient.is_none() && !options.retain_graph);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BackwardOptions<'a> {
    /// The gradient of the final result with respect to this output (`gradient=`); `None`
    /// means 1 and needs a scalar output.
    pub gradient: Option<&'a Tensor>,
    /// Keep the saved values, so that backward can run through the graph again (`retain_graph=`).
    pub retain_graph: bool,
}

/// Sums a broadcast gradient back down to the shape of the input it belongs to.
/// `y = x + b` with `x: [4]`, `b: []` gives `dy/db` of shape `[4]`; `b`'s gradient is its sum.
pub(crate) fn sum_to(grad: &ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    if grad.shape() == shape {
        return grad.clone();
    }
    if shape.iter().all(|&d| d == 1) {
        // Everything collapses into one number.
        return ArrayD::from_elem(IxDyn(shape), sum_all(grad));
    }
    let mut grad = CowArray::from(grad.view());
    while grad.ndim() > shape.len() {
        grad = sum_along(grad.view(), 0).into();
    }
    for (axis, &size) in shape.iter().enumerate() {
        if size == 1 && grad.shape()[axis] != 1 {
            grad = sum_along(grad.view(), axis).insert_axis(Axis(axis)).into();
        }
    }
    grad.into_owned()
}

/// Adds `grad` into `tensor.grad`, creating it on the first backward: PyTorch's AccumulateGrad.
/// `pass` numbers the backward (see `TensorInner::grad_pass`).
fn accumulate_grad(tensor: &Tensor, grad: ArrayD<f32>, pass: u64) {
    tensor.0.grad_pass.set(pass);
    let mut slot = tensor.0.grad.borrow_mut();
    match &*slot {
        None => *slot = Some(Tensor::from_array(grad)),
        Some(existing) => *existing.data_mut() += &grad,
    }
}

/// Identifies a tensor (not its numbers): two handles to one tensor have the same key.
type TensorKey = *const TensorInner;

fn key(tensor: &Tensor) -> TensorKey {
    Rc::as_ptr(&tensor.0)
}

/// A map from tensors (their addresses) to `V`, hashed with one multiplication. std's default
/// hash (SipHash) resists keys chosen by an attacker, which addresses are not, and made the
/// backward() of a small graph a quarter slower (`make bench`, op_add_1elem/fwd_bwd).
type TensorMap<V> = HashMap<TensorKey, V, BuildHasherDefault<AddressHasher>>;

#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not reached: std hashes a pointer with `write_usize`.
        bytes
            .iter()
            .for_each(|&b| self.write_usize(self.0 as usize ^ usize::from(b)));
    }

    fn write_usize(&mut self, address: usize) {
        // Fibonacci hashing; the rotation brings the well-mixed high bits down to the low ones
        // the table indexes with (an address's low bits are always 0).
        self.0 = (address as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(20);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What one `backward()` walks, built by the call and dropped with it: nothing of it is kept
/// on the tensors, so nothing of one backward can reach the next.
struct Walk {
    /// Every tensor the root depends on that requires grad, the root first, each with the
    /// gradient waiting for it: the sum of what the ops using it have passed on so far.
    pending: Vec<(Tensor, Option<ArrayD<f32>>)>,
    /// Where each of them is in `pending`: also the set of tensors already visited.
    index: TensorMap<usize>,
    /// The ops among them (places in `pending`) in `backward_order`: each has then received all
    /// of its gradient before it passes gradient on, as in PyTorch's engine.
    ops: Vec<usize>,
}

impl Walk {
    /// Collects the tensors depth first from `root`, then puts the ops in backward order.
    fn from(root: &Tensor) -> Walk {
        // Room for a small graph, so that the lists do not grow one push at a time.
        let mut pending = Vec::with_capacity(16);
        let mut index = TensorMap::with_capacity_and_hasher(16, Default::default());
        let (mut stack, mut ops) = (Vec::with_capacity(16), Vec::with_capacity(16));
        index.insert(key(root), 0);
        pending.push((root.shallow_clone(), None));
        stack.push(0);
        while let Some(i) = stack.pop() {
            let Some(node) = pending[i].0 .0.grad_fn.clone() else {
                continue;
            };
            ops.push(i);
            for edge in node.edges.iter().filter(|e| e.input.requires_grad()) {
                if let Entry::Vacant(slot) = index.entry(key(&edge.input)) {
                    slot.insert(pending.len());
                    stack.push(pending.len());
                    pending.push((edge.input.shallow_clone(), None));
                }
            }
        }
        let ops = backward_order(&pending, &index, &ops);
        Walk {
            pending,
            index,
            ops,
        }
    }
}

/// The ops (places in `pending`) in an order where each comes after every op that uses its
/// output, newest first among those that are ready, as PyTorch's engine does.
///
/// Sorting by sequence number alone gives that order only while the numbers grow with the
/// graph, and they need not: evcxr links a copy of this crate into every notebook cell, each
/// with its own counter, so an op of a later cell can carry a smaller number than an op of an
/// earlier cell that it uses. An op taken too early would pass on only part of its gradient.
/// So an op waits until every op using it has run (Kahn's algorithm); the sequence number only
/// chooses among the ready ones, which within one counter gives exactly the sorted order.
fn backward_order(
    pending: &[(Tensor, Option<ArrayD<f32>>)],
    index: &TensorMap<usize>,
    ops: &[usize],
) -> Vec<usize> {
    let node = |i: usize| {
        pending[i]
            .0
             .0
            .grad_fn
            .as_ref()
            .expect("an op has a grad_fn")
    };
    let inputs = |i: usize| {
        node(i)
            .edges
            .iter()
            .filter(|e| e.input.requires_grad())
            .map(|e| index[&key(&e.input)])
    };
    // How many uses of each tensor's output have not passed their gradient on yet.
    let mut users = vec![0u32; pending.len()];
    for &i in ops {
        inputs(i).for_each(|j| users[j] += 1);
    }
    let mut ready: BinaryHeap<(u64, usize)> = ops
        .iter()
        .filter(|&&i| users[i] == 0)
        .map(|&i| (node(i).sequence_nr, i))
        .collect();
    let mut order = Vec::with_capacity(ops.len());
    while let Some((_, i)) = ready.pop() {
        order.push(i);
        for j in inputs(i) {
            users[j] -= 1;
            if users[j] == 0 && pending[j].0 .0.grad_fn.is_some() {
                ready.push((node(j).sequence_nr, j));
            }
        }
    }
    order
}

impl Node {
    /// Passes `grad` (the gradient of this node's output) on to each input that requires grad,
    /// through `send(input, its gradient)`.
    fn apply(&self, grad: &ArrayD<f32>, mut send: impl FnMut(&Tensor, ArrayD<f32>)) -> Result<()> {
        if self.freed.get() {
            return Err(TensorError::GraphFreed { grad_fn: self.name });
        }
        if let Some(joint) = &*self.joint.borrow() {
            return self.send_all(joint(grad)?, send);
        }
        for (i, edge) in self.edges.iter().enumerate() {
            if let Some(rule) = &*edge.rule.borrow() {
                let input_grad = rule(grad)?;
                send(&edge.input, self.fit(i, edge, input_grad)?);
            }
        }
        Ok(())
    }

    /// Passes one gradient per input (`None` where one gets none) on through `send`.
    fn send_all(
        &self,
        grads: InputGrads,
        mut send: impl FnMut(&Tensor, ArrayD<f32>),
    ) -> Result<()> {
        for (i, (edge, input_grad)) in self.edges.iter().zip(grads).enumerate() {
            if let Some(input_grad) = input_grad {
                send(&edge.input, self.fit(i, edge, input_grad)?);
            }
        }
        Ok(())
    }

    /// Sums a broadcast gradient down to its input's shape; in anomaly mode, refuses a `nan`.
    #[inline]
    fn fit(&self, i: usize, edge: &Edge, mut input_grad: ArrayD<f32>) -> Result<ArrayD<f32>> {
        let shape = edge.input.data().raw_dim();
        if input_grad.shape() != shape.slice() {
            input_grad = sum_to(&input_grad, shape.slice());
        }
        if is_anomaly_enabled() && input_grad.iter().any(|v| v.is_nan()) {
            return Err(TensorError::Invalid(format!(
                "Function '{}' returned nan values in its {i}th output.\n  \
                 op: backward (anomaly mode), gradient of shape {:?}\n  \
                 hint: the gradient rule met 0/0 or inf - inf, e.g. sqrt or a division at 0",
                self.name,
                input_grad.shape()
            )));
        }
        Ok(input_grad)
    }

    /// Frees the saved values once backward has passed through; the structure stays so that a
    /// second backward can say why it fails.
    fn free(&self) {
        if self.saves_values {
            self.freed.set(true);
            self.edges.iter().for_each(|edge| drop(edge.rule.take()));
            drop(self.joint.take());
            drop(self.fused.take());
        }
    }
}

/// The inputs' gradients of the op before `node`, if `node` (a loss, `nn/fused.rs`) already made
/// them and they are exactly what the general path would give. The engine checks what only it
/// knows: `node`'s upstream gradient is exactly 1 (the rules would multiply by it), `node` is
/// the only user of its input in this backward (nothing else adds to that input's gradient),
/// nobody asked for that gradient (`retain_grad`), and the op before was not freed.
fn fused_shortcut(walk: &Walk, node: &Node, grad: &ArrayD<f32>) -> Option<(Rc<Node>, InputGrads)> {
    let fused = node.fused.borrow();
    let fused = fused.as_ref()?;
    let input = &node.edges.first()?.input;
    let input_op = input.0.grad_fn.as_ref()?;
    let uses_of_input = |&i: &usize| {
        let user = &walk.pending[i].0;
        let edges = &user.0.grad_fn.as_ref().expect("an op has a grad_fn").edges;
        edges.iter().filter(|e| key(&e.input) == key(input)).count()
    };
    let exact = grad.len() == 1
        && grad.first() == Some(&1.0)
        && !input.0.retains_grad.get()
        && !input_op.freed.get()
        && walk.ops.iter().map(uses_of_input).sum::<usize>() == 1;
    let grads = exact.then(|| fused.input_op_gradients())??;
    Some((input_op.clone(), grads))
}

impl Tensor {
    /// Computes the gradient of this scalar with respect to every leaf that requires grad, and
    /// adds it into their `.grad()`: `loss.backward()`. Panics for a non-scalar or a freed graph;
    /// see [`Tensor::try_backward`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// // y = x^2 + 5x + 4,  dy/dx = 2x + 5
    /// let x = tensor!(3.0).requires_grad_(true);
    /// let y = &x * &x + &x * 5.0 + 4.0;
    /// y.backward();
    /// assert_eq!(x.grad().unwrap().item(), 11.0);
    /// ```
    #[track_caller]
    pub fn backward(&self) {
        self.try_backward().or_panic()
    }

    /// [`Tensor::backward`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0]).requires_grad_(true);
    /// let err = (&x * 2.0).try_backward().unwrap_err();
    /// assert!(err.to_string().starts_with("grad can be implicitly created only for scalar outputs"));
    /// ```
    pub fn try_backward(&self) -> Result<()> {
        self.try_backward_with_options(BackwardOptions::default())
    }

    /// Backward from a non-scalar output, given the gradient of the final result with respect
    /// to it (the vector in a vector-Jacobian product): `y.backward(gradient)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0]).requires_grad_(true);
    /// (&x * 3.0).backward_with(&tensor!([1.0, 10.0]));
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 30.0]);
    /// ```
    #[track_caller]
    pub fn backward_with(&self, gradient: &Tensor) {
        let gradient = Some(gradient);
        let options = BackwardOptions {
            gradient,
            ..BackwardOptions::default()
        };
        self.try_backward_with_options(options).or_panic()
    }

    /// Backward that keeps the saved values, so that backward can run through the same graph
    /// again: `loss.backward(retain_graph=True)`. (Rust has no keyword arguments: each PyTorch
    /// call with a keyword gets a name; [`Tensor::backward_with_options`] takes them all.)
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// let y = &w * &w;
    /// y.backward_retain_graph();
    /// y.backward();                       // grads accumulate: 4 + 4
    /// assert_eq!(w.grad().unwrap().item(), 8.0);
    /// assert!(y.try_backward().is_err()); // freed by the last call
    /// ```
    #[track_caller]
    pub fn backward_retain_graph(&self) {
        self.try_backward_retain_graph().or_panic()
    }

    /// [`Tensor::backward_retain_graph`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0]).requires_grad_(true);
    /// assert!((&x * 2.0).try_backward_retain_graph().is_err()); // not a scalar
    /// ```
    pub fn try_backward_retain_graph(&self) -> Result<()> {
        let options = BackwardOptions {
            retain_graph: true,
            ..BackwardOptions::default()
        };
        self.try_backward_with_options(options)
    }

    /// Backward with every option of PyTorch's `backward(gradient=..., retain_graph=...)`,
    /// written like its keyword arguments.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let x = tensor!([1.0, 2.0]).requires_grad_(true);
    /// let y = &x * 3.0;
    /// let v = tensor!([1.0, 10.0]);
    /// // y.backward(gradient=v, retain_graph=True)
    /// y.backward_with_options(BackwardOptions { gradient: Some(&v), retain_graph: true });
    /// y.backward_with(&v);                // grads accumulate
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 60.0]);
    /// ```
    #[track_caller]
    pub fn backward_with_options(&self, options: BackwardOptions<'_>) {
        self.try_backward_with_options(options).or_panic()
    }

    /// [`Tensor::backward_with_options`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!([1.0, 2.0]).requires_grad_(true);
    /// let y = &w * 2.0;
    /// let v = tensor!([1.0, 1.0, 1.0]);
    /// assert!(y.try_backward_with_options(BackwardOptions { gradient: Some(&v), retain_graph: false }).is_err());
    /// ```
    pub fn try_backward_with_options(&self, options: BackwardOptions<'_>) -> Result<()> {
        let BackwardOptions {
            gradient,
            retain_graph,
        } = options;
        if !self.requires_grad() {
            return Err(TensorError::NoGradFn);
        }
        let seed = match gradient {
            Some(g) if g.shape() != self.shape() => {
                return Err(TensorError::GradShape {
                    grad: g.shape(),
                    output: self.shape(),
                })
            }
            Some(g) => g.to_array(),
            None if self.numel() != 1 => {
                return Err(TensorError::ImplicitGradNotScalar {
                    shape: self.shape(),
                })
            }
            None => ArrayD::ones(self.data().raw_dim()),
        };
        let mut walk = Walk::from(self);
        if is_anomaly_enabled() {
            if let Some(error) = first_anomaly(&walk) {
                return Err(error);
            }
        }
        // The root's gradient: 1, or the one given.
        walk.pending[0].1 = Some(seed);
        // Gradients of non-leaves with retain_grad(), stored with the leaves' only once the
        // whole walk has succeeded: a failure or a panic half-way leaves every tensor as it was.
        let mut retained = Vec::new();
        // Gradients are not recorded: backward of backward is out of scope for this crate.
        let _guard = NoGradGuard::new();
        for &i in &walk.ops {
            let Some(grad) = walk.pending[i].1.take() else {
                continue;
            };
            let tensor = &walk.pending[i].0;
            if tensor.0.retains_grad.get() {
                retained.push((tensor.shallow_clone(), grad.clone()));
            }
            let node = tensor.0.grad_fn.clone().expect("an op has a grad_fn");
            let shortcut = fused_shortcut(&walk, &node, &grad);
            let send = |input: &Tensor, input_grad| {
                // An input outside the walk (it stopped requiring grad after the op) gets none.
                if let Some(&j) = walk.index.get(&key(input)) {
                    let waiting = &mut walk.pending[j].1;
                    *waiting = Some(match waiting.take() {
                        None => input_grad,
                        Some(sum) => sum + input_grad,
                    });
                }
            };
            match shortcut {
                // A loss hands on the gradients of the op before it, which then gets none and
                // is skipped: one pass over the data fewer (speed only, nn/fused.rs).
                Some((input_op, grads)) => input_op.send_all(grads, send)?,
                None => node.apply(&grad, send)?,
            }
        }
        if !retain_graph {
            for &i in &walk.ops {
                walk.pending[i].0 .0.grad_fn.as_ref().unwrap().free();
            }
        }
        let pass = next_number(&NEXT_BACKWARD_PASS);
        for (tensor, grad) in retained {
            accumulate_grad(&tensor, grad, pass);
        }
        // What reached the leaves is what they were waiting for at the end.
        for (tensor, grad) in walk.pending {
            if let (true, Some(grad)) = (tensor.is_leaf(), grad) {
                accumulate_grad(&tensor, grad, pass);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::NEXT_SEQUENCE_NR;
    use crate::tensor::Tensor;

    /// evcxr gives every notebook cell its own copy of this crate, so the op counter starts
    /// again in each cell; restarting it here plays two cells.
    fn new_cell() {
        NEXT_SEQUENCE_NR.with(|c| c.set(0));
    }

    #[test]
    fn a_graph_built_over_two_cells_gets_every_gradient() {
        // Cell 1: a = 3x, c = (a * 1) * 1. Cell 2: l = c + 2a.
        // dl/dx = 3 (through c) + 6 (through 2a) = 9.
        new_cell();
        let x = Tensor::scalar(2.0).requires_grad_(true);
        let a = &x * 3.0;
        let c = &(&a * 1.0) * 1.0;
        new_cell();
        let l = &c + &(&a * 2.0);
        l.backward();
        assert_eq!(x.grad().unwrap().item(), 9.0);
    }

    #[test]
    fn ops_of_one_counter_run_newest_first() {
        // Within one cell the order is the sequence numbers' (PyTorch's): z = h + h * h with
        // h = 2x, dz/dx = 2 (1 + 2h) = 2 + 8x = 26 at x = 3.
        let x = Tensor::scalar(3.0).requires_grad_(true);
        let h = &x * 2.0;
        let z = &h + &(&h * &h);
        z.backward();
        assert_eq!(x.grad().unwrap().item(), 26.0);
    }
}
