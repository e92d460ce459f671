//! The `Tensor` handle: data, the autograd flags, creation functions and in-place updates.
//!
//! A `Tensor` is an `Rc` handle, so `clone()` is cheap and never copies data: a notebook can keep
//! tensors across cells, and the graph can hold on to the inputs of each op.

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::rc::Rc;

use ndarray::{ArrayD, IxDyn, Zip};

use crate::autograd::{self, Node};
use crate::broadcast::broadcast_shapes;
use crate::error::{OrPanic, Result, TensorError};
use crate::random;

/// An n-dimensional array of `f32` that can record the operations applied to it, so that
/// `backward()` can compute gradients: PyTorch's `torch.Tensor`.
///
/// ```
/// use autograd_core::prelude::*;
/// let w = tensor!(3.0).requires_grad_(true);
/// let y = &w * &w;          // y = w^2
/// y.backward();             // dy/dw = 2w
/// assert_eq!(w.grad().unwrap().item(), 6.0);
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) Rc<TensorInner>);

/// The numbers themselves, shared by a tensor and its `detach()`-ed views.
pub(crate) struct Storage {
    pub(crate) data: RefCell<ArrayD<f32>>,
    /// Bumped by every in-place op, so backward can tell when a saved value changed.
    pub(crate) version: Cell<u32>,
}

pub(crate) struct TensorInner {
    pub(crate) storage: Rc<Storage>,
    pub(crate) requires_grad: Cell<bool>,
    pub(crate) grad: RefCell<Option<Tensor>>,
    /// The op that computed this tensor; `None` for a leaf.
    pub(crate) grad_fn: Option<Rc<Node>>,
    pub(crate) retains_grad: Cell<bool>,
    pub(crate) is_parameter: Cell<bool>,
    /// A name for graph drawings, from `set_label`.
    pub(crate) label: RefCell<Option<Rc<str>>>,
}

impl Tensor {
    pub(crate) fn with_grad_fn(data: ArrayD<f32>, grad_fn: Option<Rc<Node>>) -> Tensor {
        crate::kernels::memory::note_tensor_len(data.len());
        let storage = Rc::new(Storage {
            data: RefCell::new(data),
            version: Cell::new(0),
        });
        Tensor::with_storage(storage, grad_fn.is_some(), grad_fn)
    }

    fn with_storage(
        storage: Rc<Storage>,
        requires_grad: bool,
        grad_fn: Option<Rc<Node>>,
    ) -> Tensor {
        Tensor(Rc::new(TensorInner {
            storage,
            requires_grad: Cell::new(requires_grad),
            grad: RefCell::new(None),
            grad_fn,
            retains_grad: Cell::new(false),
            is_parameter: Cell::new(false),
            label: RefCell::new(None),
        }))
    }

    // ----- creation -------------------------------------------------------------------------

    /// A leaf tensor owning `array`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let t = Tensor::from_array(ndarray::arr1(&[1.0, 2.0]).into_dyn());
    /// assert_eq!(t.shape(), vec![2]);
    /// ```
    pub fn from_array(array: ArrayD<f32>) -> Tensor {
        Tensor::with_grad_fn(array, None)
    }

    /// A tensor with the given shape, filled row by row from `data`. Panics if the lengths
    /// differ; see [`Tensor::try_from_vec`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(m.shape(), vec![2, 3]);
    /// ```
    #[track_caller]
    pub fn from_vec(data: Vec<f32>, shape: &[usize]) -> Tensor {
        Tensor::try_from_vec(data, shape).or_panic()
    }

    /// [`Tensor::from_vec`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(Tensor::try_from_vec(vec![1.0, 2.0, 3.0], &[2, 2]).is_err());
    /// ```
    pub fn try_from_vec(data: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        let len = data.len();
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map(Tensor::from_array)
            .map_err(|_| TensorError::DataLength {
                len,
                shape: shape.to_vec(),
            })
    }

    /// A 0-dimensional tensor holding one number.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::scalar(2.5).shape(), Vec::<usize>::new());
    /// ```
    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_array(ArrayD::from_elem(IxDyn(&[]), value))
    }

    /// A tensor of the given shape filled with `value`: `torch.full`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::full(&[2], 7.0).to_vec(), vec![7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        Tensor::from_array(ArrayD::from_elem(IxDyn(shape), value))
    }

    /// A tensor of zeros: `torch.zeros`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::zeros(&[3]).to_vec(), vec![0.0; 3]);
    /// ```
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// A tensor of ones: `torch.ones`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 2]).sum().item(), 4.0);
    /// ```
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Zeros with the shape of `other`: `torch.zeros_like`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::zeros_like(&tensor!([1.0, 2.0])).to_vec(), vec![0.0, 0.0]);
    /// ```
    pub fn zeros_like(other: &Tensor) -> Tensor {
        Tensor::zeros(&other.shape())
    }

    /// Ones with the shape of `other`: `torch.ones_like`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::ones_like(&tensor!([5.0])).to_vec(), vec![1.0]);
    /// ```
    pub fn ones_like(other: &Tensor) -> Tensor {
        Tensor::ones(&other.shape())
    }

    /// Uniform samples from [0, 1), from the generator seeded by [`crate::manual_seed`]: `torch.rand`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// manual_seed(0);
    /// let r = Tensor::rand(&[100]);
    /// assert!(r.to_vec().iter().all(|&v| (0.0..1.0).contains(&v)));
    /// ```
    pub fn rand(shape: &[usize]) -> Tensor {
        Tensor::from_array(random::fill(shape, random::uniform))
    }

    /// Samples from the standard normal distribution: `torch.randn`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// manual_seed(0);
    /// let r = Tensor::randn(&[10_000]);
    /// assert!(r.mean().item().abs() < 0.05);
    /// ```
    pub fn randn(shape: &[usize]) -> Tensor {
        Tensor::from_array(random::fill(shape, random::normal))
    }

    /// `start, start + step, ...` up to but excluding `end`: `torch.arange(start, end, step)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::arange(0.0, 2.0, 0.5).to_vec(), vec![0.0, 0.5, 1.0, 1.5]);
    /// ```
    pub fn arange(start: f64, end: f64, step: f64) -> Tensor {
        assert!(step != 0.0, "arange: step must be nonzero");
        let len = ((end - start) / step).ceil().max(0.0) as usize;
        // PyTorch computes each value in double, as one fused multiply-add, then rounds it to
        // float. (Its vectorised kernel, used from 16 values on, can differ in the last bit.)
        let data = (0..len)
            .map(|i| step.mul_add(i as f64, start) as f32)
            .collect();
        Tensor::from_vec(data, &[len])
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive: `torch.linspace`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f32, end: f32, steps: usize) -> Tensor {
        let step = if steps > 1 {
            (end - start) / (steps - 1) as f32
        } else {
            0.0
        };
        // As PyTorch: the first half counts up from `start`, the second half down from `end`,
        // so both ends are exact; each value is one fused multiply-add.
        let data = (0..steps)
            .map(|i| {
                if i < steps / 2 {
                    step.mul_add(i as f32, start)
                } else {
                    (-step).mul_add((steps - i - 1) as f32, end)
                }
            })
            .collect();
        Tensor::from_vec(data, &[steps])
    }

    // ----- looking inside -------------------------------------------------------------------

    /// Borrow of the numbers, for the ops inside the crate.
    pub(crate) fn data(&self) -> Ref<'_, ArrayD<f32>> {
        self.0.storage.data.borrow()
    }

    pub(crate) fn data_mut(&self) -> RefMut<'_, ArrayD<f32>> {
        self.0.storage.version.set(self.0.storage.version.get() + 1);
        self.0.storage.data.borrow_mut()
    }

    /// Whether both handles read and write the same numbers (one is a `detach()` of the other).
    pub(crate) fn shares_storage(&self, other: &Tensor) -> bool {
        Rc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    pub(crate) fn version(&self) -> u32 {
        self.0.storage.version.get()
    }

    /// The sizes of each dimension: `t.shape` in PyTorch.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([[1.0], [2.0]]).shape(), vec![2, 1]);
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.data().shape().to_vec()
    }

    /// The number of dimensions: `t.dim()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!(1.0).dim(), 0);
    /// ```
    pub fn dim(&self) -> usize {
        self.data().ndim()
    }

    /// The number of elements: `t.numel()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3]).numel(), 6);
    /// ```
    pub fn numel(&self) -> usize {
        self.data().len()
    }

    /// The single number in a one-element tensor: `t.item()`. Panics otherwise; see
    /// [`Tensor::try_item`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([2.5]).item(), 2.5);
    /// ```
    #[track_caller]
    pub fn item(&self) -> f32 {
        self.try_item().or_panic()
    }

    /// [`Tensor::item`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let err = tensor!([1.0, 2.0, 3.0, 4.0]).try_item().unwrap_err();
    /// assert!(err.to_string().starts_with("a Tensor with 4 elements cannot be converted to Scalar"));
    /// ```
    pub fn try_item(&self) -> Result<f32> {
        let data = self.data();
        match data.len() {
            1 => Ok(*data.iter().next().unwrap()),
            numel => Err(TensorError::NotAScalar { numel }),
        }
    }

    /// The elements in row-major order: `t.flatten().tolist()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(tensor!([[1.0, 2.0], [3.0, 4.0]]).to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    /// ```
    pub fn to_vec(&self) -> Vec<f32> {
        self.data().iter().copied().collect()
    }

    /// A copy of the numbers as an ndarray array: `t.numpy()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let a = tensor!([1.0, 2.0]).to_array();
    /// assert_eq!(a.sum(), 3.0);
    /// ```
    pub fn to_array(&self) -> ArrayD<f32> {
        self.data().clone()
    }

    /// Whether `self` and `other` are handles to the same tensor.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let a = tensor!(1.0);
    /// assert!(a.same(&a.clone()));
    /// assert!(!a.same(&tensor!(1.0)));
    /// ```
    pub fn same(&self, other: &Tensor) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    // ----- autograd flags -------------------------------------------------------------------

    /// Whether gradients flow into this tensor: `t.requires_grad`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(!tensor!(1.0).requires_grad());
    /// ```
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.get()
    }

    /// Sets `requires_grad` on a leaf and returns the same tensor, so it chains:
    /// `tensor!(0.0).requires_grad_(true)`. Panics on a non-leaf when asked to turn it off;
    /// see [`Tensor::try_requires_grad_`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(0.0).requires_grad_(true);
    /// assert!(w.requires_grad() && w.is_leaf());
    /// ```
    #[track_caller]
    pub fn requires_grad_(&self, requires_grad: bool) -> Tensor {
        self.try_requires_grad_(requires_grad).or_panic()
    }

    /// [`Tensor::requires_grad_`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(1.0).requires_grad_(true);
    /// assert!((&w * 2.0).try_requires_grad_(false).is_err());
    /// ```
    pub fn try_requires_grad_(&self, requires_grad: bool) -> Result<Tensor> {
        if !self.is_leaf() && !requires_grad {
            return Err(TensorError::NonLeafRequiresGrad);
        }
        self.0.requires_grad.set(requires_grad);
        Ok(self.clone())
    }

    /// True for tensors the user created (and for results computed without grad); false for
    /// results of ops that are recorded in a graph: `t.is_leaf`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(1.0).requires_grad_(true);
    /// assert!(w.is_leaf());
    /// assert!(!(&w + 1.0).is_leaf());
    /// ```
    pub fn is_leaf(&self) -> bool {
        self.0.grad_fn.is_none()
    }

    /// The gradient accumulated by `backward()`: `t.grad`. `None` before the first backward, after
    /// `zero_grad()` of a module or optimizer, and for non-leaves unless [`Tensor::retain_grad`].
    /// The returned handle shares storage with the stored gradient, so `zero_()` on it clears it.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// assert!(w.grad().is_none());
    /// (&w * 3.0).backward();
    /// assert_eq!(w.grad().unwrap().item(), 3.0);
    /// ```
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.borrow().clone()
    }

    /// Replaces the stored gradient: `t.grad = None` is `t.set_grad(None)`, `t.grad = g` is
    /// `t.set_grad(Some(g))`. Panics if `g` has another shape than `t`, as PyTorch refuses it;
    /// see [`Tensor::try_set_grad`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// (&w * 3.0).backward();
    /// w.set_grad(None);
    /// assert!(w.grad().is_none());
    /// ```
    #[track_caller]
    pub fn set_grad(&self, grad: Option<Tensor>) {
        self.try_set_grad(grad).or_panic()
    }

    /// [`Tensor::set_grad`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = Tensor::zeros(&[2]).requires_grad_(true);
    /// let err = w.try_set_grad(Some(Tensor::zeros(&[3]))).unwrap_err();
    /// assert!(err.to_string().starts_with("attempting to assign a gradient of size '[3]' to a tensor of size '[2]'"));
    /// ```
    #[inline]
    pub fn try_set_grad(&self, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad {
            let (grad_shape, shape) = (g.shape(), self.shape());
            if grad_shape != shape {
                // Else the next backward would add a gradient of one shape into the other.
                return Err(TensorError::Invalid(format!(
                    "attempting to assign a gradient of size '{grad_shape:?}' to a tensor of size \
                     '{shape:?}'. Please ensure that the gradient and the tensor are the same size\n  \
                     op: set_grad\n  \
                     hint: a gradient has the shape of its tensor; use set_grad(None) to clear it"
                )));
            }
        }
        *self.0.grad.borrow_mut() = grad;
        Ok(())
    }

    /// Asks `backward()` to store this non-leaf's gradient too: `t.retain_grad()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// let y = &w * 3.0;
    /// y.retain_grad();
    /// (&y * &y).backward();                // z = y^2, dz/dy = 2y
    /// assert_eq!(y.grad().unwrap().item(), 12.0);
    /// ```
    pub fn retain_grad(&self) {
        if !self.is_leaf() {
            self.0.retains_grad.set(true);
        }
    }

    /// The name of the op that produced this tensor, as PyTorch prints it (`MulBackward0`,
    /// `MeanBackward0`, ...); `None` for leaves: `type(t.grad_fn).__name__`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// assert_eq!((&w * 3.0).grad_fn(), Some("MulBackward0"));
    /// assert_eq!(w.grad_fn(), None);
    /// ```
    pub fn grad_fn(&self) -> Option<&'static str> {
        self.0.grad_fn.as_ref().map(|node| node.name)
    }

    /// The tensors this one was computed from, in argument order (empty for a leaf). Lets tools
    /// walk the graph, like PyTorch's `grad_fn.next_functions`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// let x = tensor!(3.0);
    /// let y = &w * &x;
    /// assert!(y.inputs()[0].same(&w) && y.inputs()[1].same(&x));
    /// ```
    pub fn inputs(&self) -> Vec<Tensor> {
        match &self.0.grad_fn {
            Some(node) => node.edges.iter().map(|e| e.input.clone()).collect(),
            None => Vec::new(),
        }
    }

    /// A new leaf sharing this tensor's numbers, cut from the graph: `t.detach()`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(2.0).requires_grad_(true);
    /// let d = (&w * 3.0).detach();
    /// assert!(d.is_leaf() && !d.requires_grad());
    /// ```
    pub fn detach(&self) -> Tensor {
        Tensor::with_storage(self.0.storage.clone(), false, None)
    }

    /// Marks this tensor as a module parameter: it requires grad and prints as
    /// `Parameter containing:` like `torch.nn.Parameter`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let p = Tensor::parameter(tensor!([0.5]));
    /// assert!(p.requires_grad());
    /// assert_eq!(p.to_string(), "Parameter containing:\ntensor([0.5000], requires_grad=True)");
    /// ```
    pub fn parameter(data: Tensor) -> Tensor {
        let p = data.detach().requires_grad_(true);
        p.0.is_parameter.set(true);
        p
    }

    /// Whether this tensor was made by [`Tensor::parameter`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(!tensor!(1.0).is_parameter());
    /// ```
    pub fn is_parameter(&self) -> bool {
        self.0.is_parameter.get()
    }

    // ----- in-place updates -----------------------------------------------------------------
    //
    // Allowed on tensors outside any graph, and under `no_grad` on leaves that require grad
    // (that is how an optimizer updates weights). They change the numbers every handle sees.

    fn check_in_place(&self, op: &'static str) -> Result<()> {
        if self.requires_grad() && autograd::is_grad_enabled() {
            return Err(if self.is_leaf() {
                TensorError::LeafInPlace { op }
            } else {
                TensorError::GraphInPlace { op }
            });
        }
        Ok(())
    }

    /// `self[i] = f(self[i], other[i])`, with `other` broadcast to `self`'s shape.
    fn update_with(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(&mut f32, f32),
    ) -> Result<Tensor> {
        self.check_in_place(op)?;
        let target = self.shape();
        let broadcast = broadcast_shapes(op, &target, &other.shape())?;
        if broadcast != target {
            return Err(TensorError::InPlaceBroadcast {
                op,
                target,
                broadcast,
            });
        }
        if self.shares_storage(other) {
            // Copy `other` first, as it is the same numbers as `self` (x.add_(&x)).
            let other = Tensor::from_array(other.to_array());
            return self.update_with(op, &other, f);
        }
        let other = other.data();
        let mut data = self.data_mut();
        Zip::from(&mut *data)
            .and_broadcast(&*other)
            .for_each(|a, &b| f(a, b));
        Ok(self.clone())
    }

    /// `self += other` in place: `t.add_(other)`. Panics outside `no_grad` on a leaf that
    /// requires grad; see [`Tensor::try_add_`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let t = tensor!([1.0, 2.0]);
    /// t.add_(&tensor!(1.0));
    /// assert_eq!(t.to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn add_(&self, other: &Tensor) -> Tensor {
        self.try_add_(other).or_panic()
    }

    /// [`Tensor::add_`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(1.0).requires_grad_(true);
    /// assert!(w.try_add_(&tensor!(1.0)).is_err());
    /// assert!(no_grad(|| w.try_add_(&tensor!(1.0))).is_ok());
    /// ```
    pub fn try_add_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_with("add_", other, |a, b| *a += b)
    }

    /// `self -= other` in place: `t.sub_(other)`. The gradient-descent step.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(1.0).requires_grad_(true);
    /// no_grad(|| w.sub_(&tensor!(0.25)));
    /// assert_eq!(w.item(), 0.75);
    /// ```
    #[track_caller]
    pub fn sub_(&self, other: &Tensor) -> Tensor {
        self.try_sub_(other).or_panic()
    }

    /// [`Tensor::sub_`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(1.0).requires_grad_(true);
    /// let err = w.try_sub_(&tensor!(0.1)).unwrap_err();
    /// assert!(err.to_string().starts_with("a leaf Variable that requires grad is being used in an in-place operation."));
    /// ```
    pub fn try_sub_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_with("sub_", other, |a, b| *a -= b)
    }

    /// `self *= other` in place: `t.mul_(other)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let t = tensor!([1.0, 2.0]);
    /// t.mul_(&tensor!(3.0));
    /// assert_eq!(t.to_vec(), vec![3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn mul_(&self, other: &Tensor) -> Tensor {
        self.try_mul_(other).or_panic()
    }

    /// [`Tensor::mul_`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!([1.0, 2.0]).try_mul_(&tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_mul_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_with("mul_", other, |a, b| *a *= b)
    }

    /// Sets every element to `value`: `t.fill_(value)`.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let t = Tensor::zeros(&[2]);
    /// t.fill_(0.5);
    /// assert_eq!(t.to_vec(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn fill_(&self, value: f32) -> Tensor {
        self.try_fill_(value).or_panic()
    }

    /// [`Tensor::fill_`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!(1.0).requires_grad_(true).try_fill_(0.0).is_err());
    /// ```
    pub fn try_fill_(&self, value: f32) -> Result<Tensor> {
        self.check_in_place("fill_")?;
        self.data_mut().fill(value);
        Ok(self.clone())
    }

    /// Sets every element to zero: `t.zero_()`. Used on gradients between steps.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// let w = tensor!(1.0).requires_grad_(true);
    /// (&w * 2.0).backward();
    /// w.grad().unwrap().zero_();
    /// assert_eq!(w.grad().unwrap().item(), 0.0);
    /// ```
    #[track_caller]
    pub fn zero_(&self) -> Tensor {
        self.try_zero_().or_panic()
    }

    /// [`Tensor::zero_`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(tensor!(1.0).try_zero_().is_ok());
    /// ```
    pub fn try_zero_(&self) -> Result<Tensor> {
        self.check_in_place("zero_")?;
        self.data_mut().fill(0.0);
        Ok(self.clone())
    }
}

/// `w -= &g` updates `w` in place, like `w -= g` in PyTorch (only under `no_grad` for a leaf
/// that requires grad).
///
/// ```
/// use autograd_core::prelude::*;
/// let mut w = tensor!(1.0);
/// w -= &tensor!(0.5);
/// w -= 0.25;
/// assert_eq!(w.item(), 0.25);
/// ```
impl std::ops::SubAssign<&Tensor> for Tensor {
    #[track_caller]
    fn sub_assign(&mut self, other: &Tensor) {
        self.sub_(other);
    }
}

impl std::ops::SubAssign<Tensor> for Tensor {
    #[track_caller]
    fn sub_assign(&mut self, other: Tensor) {
        self.sub_(&other);
    }
}

impl std::ops::SubAssign<f32> for Tensor {
    #[track_caller]
    fn sub_assign(&mut self, other: f32) {
        self.sub_(&Tensor::scalar(other));
    }
}

/// `w += &g` updates `w` in place, like `w += g` in PyTorch.
///
/// ```
/// use autograd_core::prelude::*;
/// let mut w = tensor!([1.0, 2.0]);
/// w += &tensor!([1.0, 1.0]);
/// w += 1.0;
/// assert_eq!(w.to_vec(), vec![3.0, 4.0]);
/// ```
impl std::ops::AddAssign<&Tensor> for Tensor {
    #[track_caller]
    fn add_assign(&mut self, other: &Tensor) {
        self.add_(other);
    }
}

impl std::ops::AddAssign<Tensor> for Tensor {
    #[track_caller]
    fn add_assign(&mut self, other: Tensor) {
        self.add_(&other);
    }
}

impl std::ops::AddAssign<f32> for Tensor {
    #[track_caller]
    fn add_assign(&mut self, other: f32) {
        self.add_(&Tensor::scalar(other));
    }
}

impl From<ArrayD<f32>> for Tensor {
    fn from(array: ArrayD<f32>) -> Tensor {
        Tensor::from_array(array)
    }
}

impl From<f32> for Tensor {
    fn from(value: f32) -> Tensor {
        Tensor::scalar(value)
    }
}

/// Data a `tensor!` literal can be built from: numbers and nested arrays or `Vec`s of them.
pub trait TensorData {
    /// The shape of the nested data; fails for ragged `Vec`s.
    fn shape(&self) -> Result<Vec<usize>>;
    /// Appends the numbers in row-major order.
    fn flatten_into(&self, out: &mut Vec<f32>);
}

macro_rules! number_data {
    ($($t:ty),*) => {$(
        impl TensorData for $t {
            fn shape(&self) -> Result<Vec<usize>> {
                Ok(Vec::new())
            }
            fn flatten_into(&self, out: &mut Vec<f32>) {
                out.push(*self as f32);
            }
        }
    )*};
}
number_data!(f32, f64, i32, i64);

fn nested_shape<T: TensorData>(items: &[T]) -> Result<Vec<usize>> {
    let mut shape = vec![items.len()];
    if let Some(first) = items.first() {
        let inner = first.shape()?;
        for item in &items[1..] {
            let other = item.shape()?;
            if other != inner {
                return Err(TensorError::Invalid(format!(
                    "expected sequence of length {} at dim 1 (got {})\n  op: tensor!\n  hint: every row must have the same length",
                    inner.first().copied().unwrap_or(0),
                    other.first().copied().unwrap_or(0)
                )));
            }
        }
        shape.extend(inner);
    }
    Ok(shape)
}

impl<T: TensorData, const N: usize> TensorData for [T; N] {
    fn shape(&self) -> Result<Vec<usize>> {
        nested_shape(self)
    }
    fn flatten_into(&self, out: &mut Vec<f32>) {
        self.iter().for_each(|item| item.flatten_into(out));
    }
}

impl<T: TensorData> TensorData for Vec<T> {
    fn shape(&self) -> Result<Vec<usize>> {
        nested_shape(self)
    }
    fn flatten_into(&self, out: &mut Vec<f32>) {
        self.iter().for_each(|item| item.flatten_into(out));
    }
}

impl Tensor {
    /// Builds a tensor from a number or nested arrays: what `tensor!` calls. Panics on ragged data;
    /// see [`Tensor::try_new`].
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert_eq!(Tensor::new([[1.0, 2.0]]).shape(), vec![1, 2]);
    /// ```
    #[track_caller]
    pub fn new(data: impl TensorData) -> Tensor {
        Tensor::try_new(data).or_panic()
    }

    /// [`Tensor::new`] returning an error instead of panicking.
    ///
    /// ```
    /// use autograd_core::prelude::*;
    /// assert!(Tensor::try_new(vec![vec![1.0], vec![2.0, 3.0]]).is_err());
    /// ```
    pub fn try_new(data: impl TensorData) -> Result<Tensor> {
        let shape = data.shape()?;
        let mut values = Vec::with_capacity(shape.iter().product());
        data.flatten_into(&mut values);
        Tensor::try_from_vec(values, &shape)
    }
}
