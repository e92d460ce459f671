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
mod fused;
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
/// PyTorch registers a layer when it is assigned to `self`; a Rust struct cannot, so a child left
/// out of `named_children` is missing from `parameters()` and would never train. It cannot go
/// unnoticed: its parameters still get gradients in `backward()`, and the optimizer's `step()`
/// warns about parameters that get gradients but that no optimizer updates (unless they were
/// frozen with `requires_grad_(false)`). A procedural macro (`#[derive(Module)]`) could list the
/// fields, but it would bring `syn` and `quote`, and evcxr analyses every dependency at each
/// lesson's start (about 1 to 3 s each, README); a runtime check costs nothing there.
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

/// A tensor a module may not have, like PyTorch's `Optional[Tensor]` attributes: `Linear.bias`
/// is `None` for a layer built with `bias=False`. When present it reads as the tensor itself
/// (`model.bias.item()`, `model.bias.fill_(0.25)`, `&model.bias` where a `&Tensor` is
/// expected), so the PyTorch spelling `model.bias` works. When absent, every use panics with
/// PyTorch's `'NoneType' object has no attribute` message instead of doing nothing, and
/// `is_none()` / `as_option()` ask without panicking. Operators need the tensor itself:
/// `&*model.bias * 2.0`.
///
/// ```
/// use autograd_core::prelude::*;
/// let lin = nn::Linear::new(2, 1);
/// no_grad(|| lin.bias.fill_(0.25));
/// assert_eq!(lin.bias.item(), 0.25);
/// let no_bias = nn::Linear::with_bias(2, 1, false);
/// assert!(no_bias.bias.as_option().is_none());
/// let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| no_bias.bias.item()));
/// assert!(result.is_err());
/// ```
pub struct OptionalTensor(Option<Tensor>);

impl OptionalTensor {
    /// Wraps a tensor, or `None`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(nn::OptionalTensor::new(None).is_none());
    /// ```
    pub fn new(tensor: Option<Tensor>) -> OptionalTensor {
        OptionalTensor(tensor)
    }

    /// The tensor, or `None`, without panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(nn::Linear::new(1, 1).bias.as_option().is_some());
    /// ```
    pub fn as_option(&self) -> Option<&Tensor> {
        self.0.as_ref()
    }

    /// Whether there is no tensor: `model.bias is None`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(!nn::Linear::new(1, 1).bias.is_none());
    /// ```
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    /// Whether there is a tensor: `model.bias is not None`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(nn::Linear::new(1, 1).bias.is_some());
    /// ```
    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }
}

impl std::ops::Deref for OptionalTensor {
    type Target = Tensor;

    #[track_caller]
    fn deref(&self) -> &Tensor {
        match &self.0 {
            Some(tensor) => tensor,
            None => panic!(
                "'NoneType' object has no attribute: this tensor is None (e.g. the bias of a layer built with bias=False)\n  \
                 op: a None module attribute\n  \
                 hint: check model.bias.is_none() first, or build the layer with nn::Linear::new(in, out)"
            ),
        }
    }
}

/// Prints the tensor, or `None` as `print(model.bias)` does.
impl std::fmt::Display for OptionalTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(tensor) => write!(f, "{tensor}"),
            None => write!(f, "None"),
        }
    }
}

impl std::fmt::Debug for OptionalTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(tensor) => write!(f, "{tensor:?}"),
            None => write!(f, "None"),
        }
    }
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
