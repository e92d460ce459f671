//! Neural-network building blocks on top of the ops: PyTorch's `torch.nn`.
//!
//! A [`Module`] is anything with a `forward` and named parameters. A struct of your own becomes a
//! module by saying how it computes and which modules it holds:
//!
//! ```
//! use autograd_core::prelude::*;
//!
//! struct LinearRegression {
//!     lin: nn::Linear,
//! }
//!
//! impl Module for LinearRegression {
//!     fn forward(&self, x: &Tensor) -> Tensor {
//!         self.lin.forward(x)
//!     }
//!     fn named_children(&self) -> Vec<(String, &dyn Module)> {
//!         vec![nn::child("lin", &self.lin)]
//!     }
//! }
//!
//! let model = LinearRegression { lin: nn::Linear::new(1, 1) };
//! let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["lin.weight", "lin.bias"]);
//! ```

mod activation;
pub mod functional;
pub mod init;
mod linear;
mod loss;
mod sequential;

pub use activation::{ReLU, Sigmoid, Tanh};
pub use linear::Linear;
pub use loss::{MSELoss, Reduction};
pub use sequential::Sequential;

use crate::tensor::Tensor;

/// A layer or a whole model: PyTorch's `nn.Module`. Only `forward` is required; a module that
/// holds parameters or other modules lists them with `direct_parameters` / `named_children`,
/// and everything else (`parameters`, `named_parameters`, `zero_grad`, `repr`) follows.
///
/// ```
/// use autograd_core::prelude::*;
/// let layer = nn::Linear::new(2, 1);
/// assert_eq!(layer.forward(&Tensor::ones(&[5, 2])).shape(), vec![5, 1]);
/// assert_eq!(layer.parameters().len(), 2);
/// ```
pub trait Module {
    /// Computes the output for `input`: `model(x)` in PyTorch.
    fn forward(&self, input: &Tensor) -> Tensor;

    /// The parameters this module holds itself, not those of its children, with their names.
    fn direct_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The modules this module holds, with the names their parameters are prefixed by.
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }

    /// Every parameter with its dotted name (`lin.weight`, `0.bias`): `named_parameters()`.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut all = self.direct_parameters();
        for (prefix, child) in self.named_children() {
            let named = child.named_parameters().into_iter();
            all.extend(named.map(|(name, p)| (format!("{prefix}.{name}"), p)));
        }
        all
    }

    /// Every parameter, in the order of `named_parameters`: what an optimizer is given.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// Sets every parameter's gradient to `None`, as PyTorch 2's `zero_grad()` does.
    fn zero_grad(&self) {
        self.parameters().iter().for_each(|p| p.set_grad(None));
    }

    /// The settings shown inside the parentheses when printed, e.g. `in_features=1, ...`.
    fn extra_repr(&self) -> String {
        String::new()
    }

    /// The module's name when printed: its type's name without the path.
    fn type_name(&self) -> String {
        let full = std::any::type_name::<Self>();
        let without_generics = full.split('<').next().unwrap_or(full);
        without_generics
            .rsplit("::")
            .next()
            .unwrap_or(full)
            .to_string()
    }

    /// The module printed as PyTorch prints it:
    /// `LinearRegression(\n  (lin): Linear(in_features=1, out_features=1, bias=True)\n)`.
    fn repr(&self) -> String {
        let extra = self.extra_repr();
        let mut lines: Vec<String> = extra.lines().map(String::from).collect();
        let children = self.named_children();
        for (name, child) in &children {
            // Nested modules are indented by two spaces per level.
            lines.push(format!("({name}): {}", child.repr().replace('\n', "\n  ")));
        }
        let body = match lines.len() {
            0 => String::new(),
            1 if children.is_empty() => lines.remove(0),
            _ => format!("\n  {}\n", lines.join("\n  ")),
        };
        format!("{}({body})", self.type_name())
    }
}

/// Names a child module for [`Module::named_children`]: `nn::child("lin", &self.lin)`.
///
/// ```
/// use autograd_core::prelude::*;
/// let lin = nn::Linear::new(1, 1);
/// let (name, _module) = nn::child("lin", &lin);
/// assert_eq!(name, "lin");
/// ```
pub fn child<'a>(name: &str, module: &'a dyn Module) -> (String, &'a dyn Module) {
    (name.to_string(), module)
}

/// Implements `Display` as `Module::repr` for the crate's own modules.
macro_rules! display_as_repr {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&crate::nn::Module::repr(self))
            }
        }
    )*};
}
pub(crate) use display_as_repr;
