//! # PyTorch → autograd-core
//!
//! The rule: code a PyTorch user writes by habit either does what PyTorch does, or does not
//! compile (or fails with a message that names the PyTorch spelling); it never runs with a
//! different result. This table is every place where the Rust spelling differs, and why.
//! `tests/pytorch_habits.rs` runs each line of the right column; the habits that must not
//! compile are the `compile_fail` examples below it.
//!
//! | PyTorch | autograd-core | why the spelling differs |
//! |---|---|---|
//! | `torch.tensor([[1., 2.]])` | `tensor!([[1.0, 2.0]])` | a macro takes nested arrays of any depth |
//! | `torch.tensor([1, 2])` (int64) | does not compile: write `1.0` | every tensor is `f32`; integers would silently become floats |
//! | `torch.ones(2, 2, requires_grad=True)` | `Tensor::ones(&[2, 2]).requires_grad_(true)` | no keyword arguments in Rust; `requires_grad_` is PyTorch's own method |
//! | `x.requires_grad`, `x.grad`, `x.is_leaf`, `x.shape`, `x.grad_fn` | `x.requires_grad()`, `x.grad()`, `x.is_leaf()`, `x.shape()`, `x.grad_fn()` | Rust has no properties: attributes are methods (without `()` it does not compile) |
//! | `x.grad` is `None` | `x.grad()` is `None`: an `Option<Tensor>` | `None` is a value Rust makes you check: `x.grad().unwrap()` |
//! | `x.requires_grad = False` | `x.requires_grad_(false)` | no assignment to attributes |
//! | `y = x + 2`, `3 * a ** 3`, `x / 2` | `&x + 2.0`, `3.0 * a.pow(3.0)`, `&x / 2.0` | `&` borrows `x` so it stays usable; Rust has no `**`; numbers are written as floats |
//! | `x.add(1)`, `x.mul(y)` | `x.add(1.0)`, `x.mul(&y)` | methods take a tensor or a number, like the operators |
//! | `u = t.clone()` | `let u = t.clone();` | the same: a copy of the data, recorded as `CloneBackward0` |
//! | `u = t` (a second name) | `let u = t.shallow_clone();` | Rust moves on `=`; `shallow_clone` is the handle copy (tch-rs's name) |
//! | `g = w.grad.clone()` | `let g = w.grad().unwrap().clone();` | `w.grad()` is an `Option`: `Option::clone` copies the handle, so clone the tensor inside |
//! | `list(model.parameters())`, `[p.clone() for p in ps]` | `ps.clone()` or `.cloned()`, and `ps.iter().map(\|p\| p.clone())` | `Clone` (behind `Vec::clone`, `.cloned()`, `#[derive(Clone)]`) copies handles like a Python list copy; the method `t.clone()` copies data |
//! | `out.backward()` | `out.backward()` | the same |
//! | `y.backward(v)` | `y.backward_with(&v)` | no overloading in Rust |
//! | `l.backward(retain_graph=True)` | `l.backward_retain_graph()` | no keyword arguments |
//! | `y.backward(gradient=v, retain_graph=True)` | `y.backward_with_options(BackwardOptions { gradient: Some(&v), retain_graph: true })` | every keyword, as struct fields |
//! | `with torch.no_grad(): ...` | `no_grad(\|\| ...)` or `let _guard = NoGradGuard::new();` | a closure or a guard stands for the `with` block |
//! | `x.detach()`, `y.retain_grad()`, `x.grad.zero_()` | `x.detach()`, `y.retain_grad()`, `x.grad().unwrap().zero_()` | the same |
//! | `w -= lr * w.grad` (under `no_grad`) | `w -= &(w.grad().unwrap() * lr)` or `w.sub_(...)` | `w` must be `let mut` for `-=` |
//! | `w[0][1].item()`, `w[-1][0].item()` | `w.get(&[0, 1])`, `w.get(&[-1, 0])` | Rust's `w[i]` must return a reference into `w`, not a new tensor |
//! | `x[1]`, `x[:, 0]` | `x.select(0, 1)`, `x.select(1, 0)` | the same reason; recorded as `SelectBackward0` |
//! | `x[1:3]`, `x[:, 1:3]` | `x.narrow(0, 1, 2)`, `x.narrow(1, 1, 2)` | the same reason; recorded as `SliceBackward0` |
//! | `x.index_select(0, torch.tensor([2, 0]))` | `x.index_select(0, &[2, 0])` | tensors hold `f32` only, so indices are a slice |
//! | `torch.arange(0., 1., 0.25)`, `torch.linspace(-3, 3, 200)` | `Tensor::arange(0.0, 1.0, 0.25)`, `Tensor::linspace(-3.0, 3.0, 200)` | float bounds, `f64` like Python's floats; integers do not compile (`torch.arange(5)` is an integer tensor) |
//! | `nn.Linear(1, 1)`, `nn.Linear(3, 1, bias=False)` | `nn::Linear::new(1, 1)`, `nn::Linear::with_bias(3, 1, false)` | no keyword arguments |
//! | `model.weight`, `model.bias.fill_(0.25)` | `model.weight`, `model.bias.fill_(0.25)` | the same (a layer without bias has `model.bias.is_none()`, and any other use panics like PyTorch's `None`) |
//! | `model(x)` | `model.forward(&x)` | a Rust struct cannot be called like a function |
//! | `class Net(nn.Module)` with `self.fc1 = nn.Linear(...)` | a struct, `impl Module` with `forward` and `named_children` | a struct cannot register its fields by assignment; a child left out of `named_children` is reported by the optimizer's first `step()` |
//! | `torch.optim.SGD([w], lr=0.01)` | `optim::SGD::new([&w], 0.01)` | `&w`: the optimizer updates `w` itself (`w.clone()` is a copy: refused, as in PyTorch) |
//! | `torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)` | `optim::SGD::new(model.parameters(), 0.1).momentum(0.9)` | keyword arguments become builder methods; every hyperparameter is an `f64` (an `f32` is accepted) |
//! | `optim.Adam(params, lr=1e-3, betas=(0.9, 0.999))` | `optim::Adam::new(params, 1e-3).betas(0.9, 0.999)` | the same |
//! | `optimizer.step()`, `optimizer.zero_grad()` | the same | |
//! | `torch.manual_seed(0)` | `manual_seed(0)` | |
//! | `from torch.utils.data import DataLoader, TensorDataset`; `TensorDataset(x, y)`; `DataLoader(ds, batch_size=32, shuffle=True, drop_last=True)`; `for xb, yb in loader:`; `len(loader)` | `TensorDataset::new(&[&x, &y])`; `DataLoader::new(&ds, 32).shuffle(true).drop_last(true)`; `for [xb, yb] in &loader { ... }`; `loader.len()` | in the prelude; keyword arguments become builder methods; a batch is an array `[Tensor; N]` (PyTorch's collated list `[xb, yb]`) so the pattern `[xb, yb]` takes it apart; the order after `manual_seed` is PyTorch's, the global stream consumed as PyTorch's loader consumes it |
//! | `a == b` (element-wise) | does not compile: compare `a.to_vec()` | Rust's `==` must return one `bool` |
//! | errors (`RuntimeError: ...`) | a panic with PyTorch's sentence, the op and a hint; every panicking method has a `try_` twin returning `Result` | Rust has no exceptions; inside the notebook kernel panics print without a backtrace by themselves |
//! | `from torch import ...` | `use autograd_core::prelude::*;` | the prelude shadows none of Rust's names (`Result` stays Rust's; the crate's alias is `autograd_core::Result`) |
//!
//! # Habits that do not compile
//!
//! Each block below must fail to compile. The error code shown is the reason it fails, checked
//! with stable rustc when this list was written (rustdoc compares the codes on nightly only):
//! `E0618` "expected function", `E0615` "attempted to take value of method", `E0608` "cannot
//! index into a value of type `Tensor`", `E0277` with this crate's notes (a float is expected),
//! `E0425` "cannot find value `retain_graph`", `E0369` "binary operation cannot be applied to
//! type `Tensor`", `E0614` "type `{integer}` cannot be dereferenced", `E0308` "mismatched types".
//!
//! Calling a model like a function:
//! ```compile_fail,E0618
//! use autograd_core::prelude::*;
//! let model = nn::Linear::new(1, 1);
//! let y = model(&tensor!([[1.0]])); // model.forward(&x)
//! ```
//!
//! Reading an attribute without parentheses:
//! ```compile_fail,E0615
//! use autograd_core::prelude::*;
//! let w = tensor!(1.0).requires_grad_(true);
//! let g = w.grad; // w.grad()
//! ```
//!
//! Setting `requires_grad` by assignment:
//! ```compile_fail,E0615
//! use autograd_core::prelude::*;
//! let w = tensor!(1.0);
//! w.requires_grad = true; // w.requires_grad_(true)
//! ```
//!
//! Indexing with `[]`:
//! ```compile_fail,E0608
//! use autograd_core::prelude::*;
//! let w = tensor!([[1.0, 2.0]]);
//! let x = w[0]; // w.select(0, 0), or w.get(&[0, 1]) for one number
//! ```
//!
//! An integer tensor:
//! ```compile_fail,E0277
//! use autograd_core::prelude::*;
//! let x = tensor!([1, 2, 3]); // tensor!([1.0, 2.0, 3.0])
//! ```
//!
//! An integer in arithmetic:
//! ```compile_fail,E0277
//! use autograd_core::prelude::*;
//! let x = tensor!([1.0, 2.0]);
//! let y = &x + 2; // &x + 2.0
//! ```
//!
//! Integer bounds for `arange`:
//! ```compile_fail,E0277
//! use autograd_core::prelude::*;
//! let x = Tensor::arange(0, 5, 1); // Tensor::arange(0.0, 5.0, 1.0)
//! ```
//!
//! An integer learning rate:
//! ```compile_fail,E0277
//! use autograd_core::prelude::*;
//! let w = tensor!(1.0).requires_grad_(true);
//! let opt = optim::SGD::new([&w], 1); // 1.0
//! ```
//!
//! Keyword arguments:
//! ```compile_fail,E0425
//! use autograd_core::prelude::*;
//! let w = tensor!(1.0).requires_grad_(true);
//! (&w * &w).backward(retain_graph = true); // backward_retain_graph()
//! ```
//!
//! Element-wise `==`:
//! ```compile_fail,E0369
//! use autograd_core::prelude::*;
//! let (a, b) = (tensor!([1.0]), tensor!([1.0]));
//! let same = a == b; // a.to_vec() == b.to_vec()
//! ```
//!
//! Comparing a loss tensor with a number:
//! ```compile_fail,E0369
//! use autograd_core::prelude::*;
//! let loss = tensor!(0.5);
//! if loss < 0.1 {} // loss.item() < 0.1
//! ```
//!
//! The power operator (Rust reads `x ** 2` as `x * (*2)`):
//! ```compile_fail,E0614
//! use autograd_core::prelude::*;
//! let x = tensor!(3.0);
//! let y = &x ** 2; // x.pow(2.0)
//! ```
//!
//! A batch taken apart as a tuple, Python's `for xb, yb in loader:` (a batch is an array):
//! ```compile_fail,E0308
//! use autograd_core::prelude::*;
//! let x = Tensor::zeros(&[4, 1]);
//! let loader = DataLoader::new(&TensorDataset::new(&[&x, &x]), 2);
//! for (xb, yb) in &loader {} // for [xb, yb] in &loader
//! ```
//!
//! And what must compile: the prelude leaves Rust's own `Result`.
//! ```
//! use autograd_core::prelude::*;
//! fn parse(s: &str) -> Result<f32, String> {
//!     s.parse::<f32>().map_err(|e| e.to_string())
//! }
//! assert_eq!(parse("0.5"), Ok(0.5));
//! ```
