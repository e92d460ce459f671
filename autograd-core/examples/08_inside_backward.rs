//! Lesson 08 without Jupyter: the scalar engine of the notebook (micrograd's `Value`, in Rust),
//! a neuron's gradients flowing back node by node, a value used twice, and the same neuron in
//! autograd-core. `cargo run --example 08_inside_backward` prints what the notebook prints.

use std::{cell::RefCell, collections::HashSet, rc::Rc};

use autograd_core::prelude::*;

/// A number that remembers how it was made: a handle to its node, cheap to clone.
#[derive(Clone)]
struct Value(Rc<RefCell<Node>>);

struct Node {
    data: f32,
    grad: f32,
    label: String,
    op: &'static str, // "" for a leaf
    parents: Vec<Value>,
    /// d(result)/d(this) -> d(result)/d(each parent)
    backward: Box<dyn Fn(f32) -> Vec<f32>>,
}

impl Value {
    fn new(data: f32, label: &str) -> Value {
        Value::from_op(data, "", &[], |_| vec![]).label(label)
    }
    fn from_op(
        data: f32,
        op: &'static str,
        parents: &[&Value],
        backward: impl Fn(f32) -> Vec<f32> + 'static,
    ) -> Value {
        let parents = parents.iter().map(|&p| p.clone()).collect();
        let node = Node {
            data,
            grad: 0.0,
            label: String::new(),
            op,
            parents,
            backward: Box::new(backward),
        };
        Value(Rc::new(RefCell::new(node)))
    }
    fn label(self, label: &str) -> Value {
        self.0.borrow_mut().label = label.to_string();
        self
    }
    fn data(&self) -> f32 {
        self.0.borrow().data
    }
    fn grad(&self) -> f32 {
        self.0.borrow().grad
    }

    // t = tanh(n): dt/dn = 1 - t^2
    fn tanh(&self) -> Value {
        let t = self.data().tanh();
        Value::from_op(t, "tanh", &[self], move |g| vec![g * (1.0 - t * t)])
    }

    fn backward(&self) {
        backward_watching(self, |_| {});
    }
}

// c = a + b: dc/da = dc/db = 1
impl std::ops::Add for &Value {
    type Output = Value;
    fn add(self, other: &Value) -> Value {
        Value::from_op(self.data() + other.data(), "+", &[self, other], |g| {
            vec![g, g]
        })
    }
}

// c = a * b: dc/da = b, dc/db = a
impl std::ops::Mul for &Value {
    type Output = Value;
    fn mul(self, other: &Value) -> Value {
        let (a, b) = (self.data(), other.data());
        Value::from_op(a * b, "*", &[self, other], move |g| vec![g * b, g * a])
    }
}

/// Every value `root` depends on, each after its parents.
fn topo(root: &Value) -> Vec<Value> {
    fn visit(v: &Value, seen: &mut HashSet<*const RefCell<Node>>, order: &mut Vec<Value>) {
        if seen.insert(Rc::as_ptr(&v.0)) {
            v.0.borrow()
                .parents
                .iter()
                .for_each(|p| visit(p, seen, order));
            order.push(v.clone());
        }
    }
    let mut order = Vec::new();
    visit(root, &mut HashSet::new(), &mut order);
    order
}

/// backward(), calling `watch` on each value as the walk reaches it.
fn backward_watching(root: &Value, mut watch: impl FnMut(&Value)) {
    let order = topo(root);
    order
        .iter()
        .filter(|v| !v.0.borrow().op.is_empty())
        .for_each(|v| v.0.borrow_mut().grad = 0.0);
    root.0.borrow_mut().grad += 1.0;
    for v in order.iter().rev() {
        watch(v);
        let node = v.0.borrow();
        for (parent, grad) in node.parents.iter().zip((node.backward)(node.grad)) {
            parent.0.borrow_mut().grad += grad;
        }
    }
}

/// The bug the lesson shows: `=` where backward_watching has `+=`.
fn backward_assigning(root: &Value) {
    root.0.borrow_mut().grad = 1.0;
    for v in topo(root).iter().rev() {
        let node = v.0.borrow();
        for (parent, grad) in node.parents.iter().zip((node.backward)(node.grad)) {
            parent.0.borrow_mut().grad = grad;
        }
    }
}

fn main() {
    let (x1, x2) = (Value::new(2.0, "x1"), Value::new(0.0, "x2"));
    let (w1, w2) = (Value::new(-3.0, "w1"), Value::new(1.0, "w2"));
    let b = Value::new(6.881_373_5, "b");
    let x1w1 = (&x1 * &w1).label("x1w1");
    let x2w2 = (&x2 * &w2).label("x2w2");
    let sum = (&x1w1 + &x2w2).label("x1w1+x2w2");
    let n = (&sum + &b).label("n");
    let o = n.tanh().label("o");
    println!("n = {:.4}, o = {:.4}", n.data(), o.data());

    backward_watching(&o, |v| {
        let node = v.0.borrow();
        let parents: Vec<String> = node
            .parents
            .iter()
            .map(|p| p.0.borrow().label.clone())
            .collect();
        let made = match node.op {
            "" => "(leaf)".to_string(),
            op => format!("{op} of {}", parents.join(", ")),
        };
        println!("{:>9}  grad {:7.4}  {made}", node.label, node.grad);
    });

    let a = Value::new(3.0, "a");
    backward_assigning(&(&a + &a));
    let x = Value::new(3.0, "x");
    backward_assigning(&(&x * &x));
    println!(
        "with `=`:  d(a + a)/da = {}, d(x·x)/dx at 3 = {}",
        a.grad(),
        x.grad()
    );
    let a = Value::new(3.0, "a");
    (&a + &a).backward();
    let x = Value::new(3.0, "x");
    (&x * &x).backward();
    println!(
        "with `+=`: d(a + a)/da = {}, d(x·x)/dx at 3 = {}",
        a.grad(),
        x.grad()
    );

    let leaf = |v: f32, name: &str| tensor!(v).requires_grad_(true).set_label(name);
    let (tx1, tx2) = (leaf(2.0, "x1"), leaf(0.0, "x2"));
    let (tw1, tw2) = (leaf(-3.0, "w1"), leaf(1.0, "w2"));
    let tb = leaf(6.881_373_5, "b");
    let to = (&tx1 * &tw1 + &tx2 * &tw2 + &tb).tanh();
    to.backward();
    println!("{to}");
    for (name, value, tensor) in [
        ("x1", &x1, &tx1),
        ("x2", &x2, &tx2),
        ("w1", &w1, &tw1),
        ("w2", &w2, &tw2),
        ("b", &b, &tb),
    ] {
        let grad = tensor.grad().unwrap().item();
        assert_eq!(value.grad().to_bits(), grad.to_bits(), "{name}");
        println!(
            "{name}: Value {:>10}, autograd-core {:>10}",
            value.grad(),
            grad
        );
    }
    print_tape(&to, 0);
}

/// The crate's tape, from the result back to the leaves: what each tensor was made by.
fn print_tape(t: &Tensor, depth: usize) {
    let what = match t.grad_fn() {
        Some(op) => op.to_string(),
        None => format!("{} = {} (a leaf)", t.label().unwrap_or_default(), t.item()),
    };
    println!("{}{what}", "    ".repeat(depth));
    t.inputs()
        .iter()
        .for_each(|input| print_tape(input, depth + 1));
}
