//! Code written the way a PyTorch user writes it by habit (issue 18): each test shows the PyTorch
//! lines in a comment, then the same lines in Rust, and checks that they do what PyTorch does.
//! The habits that must not compile are `compile_fail` doctests in `src/pytorch.rs`.
//!
//! Every expected value is derived in the comments (the math), or is what PyTorch 2.15 prints for
//! the same lines.

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd_core::prelude::*;

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ----- the 60 minute blitz, "Autograd: automatic differentiation" ---------------------------

#[test]
fn blitz_y_x_plus_2_z_out() {
    // x = torch.ones(2, 2, requires_grad=True)
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    assert_eq!(
        x.to_string(),
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    );
    // y = x + 2; print(y); print(y.grad_fn)
    let y = &x + 2.0;
    assert_eq!(
        y.to_string(),
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    );
    assert_eq!(y.grad_fn(), Some("AddBackward0"));
    // z = y * y * 3; out = z.mean(); print(z, out)
    let z = &y * &y * 3.0;
    let out = z.mean();
    assert_eq!(
        z.to_string(),
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"
    );
    assert_eq!(out.to_string(), "tensor(27., grad_fn=<MeanBackward0>)");
    // out.backward(); print(x.grad)
    // out = (1/4) sum 3 (x_i + 2)^2, so d out / d x_i = (3/2)(x_i + 2) = 4.5 at x_i = 1.
    out.backward();
    assert_eq!(
        x.grad().unwrap().to_string(),
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"
    );
}

#[test]
fn blitz_requires_grad_flag() {
    // a = torch.randn(2, 2); a = ((a * 3) / (a - 1)); print(a.requires_grad)   -> False
    manual_seed(0);
    let a = Tensor::randn(&[2, 2]);
    let a = (&a * 3.0) / (&a - 1.0);
    assert!(!a.requires_grad());
    // a.requires_grad_(True); print(a.requires_grad)                            -> True
    a.requires_grad_(true);
    assert!(a.requires_grad());
    // b = (a * a).sum(); print(b.grad_fn)                                       -> <SumBackward0 ...>
    let b = (&a * &a).sum();
    assert_eq!(b.grad_fn(), Some("SumBackward0"));
}

#[test]
fn blitz_vector_jacobian_product() {
    // x = torch.randn(3, requires_grad=True); y = x * 2
    // while y.data.norm() < 1000: y = y * 2
    // v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float); y.backward(v); print(x.grad)
    manual_seed(0);
    let x = Tensor::randn(&[3]).requires_grad_(true);
    let mut y = &x * 2.0;
    let mut factor = 2.0f32;
    while y.detach().pow(2.0).sum().sqrt().item() < 1000.0 {
        y = &y * 2.0;
        factor *= 2.0;
    }
    let v = tensor!([0.1, 1.0, 0.0001]);
    y.backward_with(&v);
    // y = factor * x, so the vector-Jacobian product v^T dy/dx is factor * v (exactly: a
    // power of two times v).
    let expected: Vec<f32> = v.to_vec().iter().map(|v| v * factor).collect();
    assert_eq!(x.grad().unwrap().to_vec(), expected);
}

#[test]
fn blitz_no_grad_and_detach() {
    let x = tensor!([1.0, -2.0, 0.5]).requires_grad_(true);
    // print(x.requires_grad); print((x ** 2).requires_grad)                    -> True True
    assert!(x.requires_grad() && x.pow(2.0).requires_grad());
    // with torch.no_grad(): print((x ** 2).requires_grad)                      -> False
    no_grad(|| assert!(!x.pow(2.0).requires_grad()));
    // y = x.detach(); print(y.requires_grad); print(x.eq(y).all())             -> False tensor(True)
    let y = x.detach();
    assert!(!y.requires_grad());
    assert_eq!(x.to_vec(), y.to_vec());
}

// ----- "A gentle introduction to torch.autograd" ---------------------------------------------

#[test]
fn gentle_intro_external_grad() {
    // a = torch.tensor([2., 3.], requires_grad=True); b = torch.tensor([6., 4.], requires_grad=True)
    // Q = 3*a**3 - b**2; external_grad = torch.tensor([1., 1.]); Q.backward(gradient=external_grad)
    let a = tensor!([2.0, 3.0]).requires_grad_(true);
    let b = tensor!([6.0, 4.0]).requires_grad_(true);
    let q = 3.0 * a.pow(3.0) - b.pow(2.0);
    q.backward_with(&tensor!([1.0, 1.0]));
    // print(9*a**2 == a.grad); print(-2*b == b.grad): dQ/da = 9a^2 = [36, 81], dQ/db = -2b = [-12, -8]
    assert_eq!(
        a.grad().unwrap().to_vec(),
        (9.0 * a.pow(2.0)).detach().to_vec()
    );
    assert_eq!(a.grad().unwrap().to_vec(), vec![36.0, 81.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![-12.0, -8.0]);
}

#[test]
fn gentle_intro_exclusion_from_the_dag_and_freezing() {
    // x = torch.rand(5, 5); y = torch.rand(5, 5); z = torch.rand((5, 5), requires_grad=True)
    let (x, y) = (Tensor::rand(&[5, 5]), Tensor::rand(&[5, 5]));
    let z = Tensor::rand(&[5, 5]).requires_grad_(true);
    // a = x + y -> requires_grad False;  b = x + z -> True
    assert!(!(&x + &y).requires_grad());
    assert!((&x + &z).requires_grad());
    // for param in model.parameters(): param.requires_grad = False
    // model.fc = nn.Linear(512, 10)
    // optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    struct Model {
        body: nn::Linear,
        fc: nn::Linear,
    }
    impl Module for Model {
        fn forward(&self, x: &Tensor) -> Tensor {
            self.fc.forward(&self.body.forward(x).tanh())
        }
        fn named_children(&self) -> Vec<(String, &dyn Module)> {
            vec![nn::child("body", &self.body), nn::child("fc", &self.fc)]
        }
    }
    let mut model = Model {
        body: nn::Linear::new(3, 4),
        fc: nn::Linear::new(4, 4),
    };
    for param in model.parameters() {
        param.requires_grad_(false);
    }
    model.fc = nn::Linear::new(4, 2);
    let frozen = model.body.weight.to_vec();
    let mut optimizer = optim::SGD::new(model.parameters(), 1e-2).momentum(0.9);
    assert_eq!(optimizer.params().len(), 4); // the frozen ones too, as in PyTorch
    let before = model.fc.weight.clone();
    model.forward(&Tensor::ones(&[2, 3])).sum().backward();
    optimizer.step();
    assert!(model.body.weight.grad().is_none());
    assert_eq!(model.body.weight.to_vec(), frozen);
    assert_ne!(model.fc.weight.to_vec(), before.to_vec());
}

// ----- clone(): a copy of the data, recorded as CloneBackward0 ------------------------------

#[test]
fn clone_keeps_the_old_value_across_a_step() {
    // w = torch.tensor([1., 2.], requires_grad=True); opt = torch.optim.SGD([w], lr=0.5)
    // before = w.clone(); (w * w).sum().backward(); opt.step(); print(before)
    let w = tensor!([1.0, 2.0]).requires_grad_(true);
    let mut opt = optim::SGD::new([&w], 0.5);
    let before = w.clone();
    (&w * &w).sum().backward();
    opt.step();
    // w = w - 0.5 * 2w = 0; the copy still holds [1, 2]
    assert_eq!(w.to_vec(), vec![0.0, 0.0]);
    assert_eq!(
        before.to_string(),
        "tensor([1., 2.], grad_fn=<CloneBackward0>)"
    );
}

#[test]
fn clone_of_a_leaf_is_a_non_leaf_whose_gradient_reaches_the_leaf() {
    // c = w.clone(); print(c.is_leaf, c.grad_fn); (c * 3).sum().backward(); print(w.grad)
    let w = tensor!([[1.0, 2.0], [3.0, 4.0]]).requires_grad_(true);
    let c = w.clone();
    assert!(!c.is_leaf() && c.requires_grad());
    assert_eq!(c.grad_fn(), Some("CloneBackward0"));
    assert!(c.inputs()[0].same(&w));
    // d/dw sum(3 c) = 3, through the clone unchanged
    (&c * 3.0).sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![3.0; 4]);
    assert!(c.grad().is_none()); // a non-leaf, as in PyTorch
                                 // the gradient rule, against finite differences
    assert!(gradcheck(|t| t[0].clone().pow(2.0).sum(), &[w.detach()]).passed());
}

#[test]
fn clone_without_grad_is_a_plain_copy() {
    // t = torch.tensor([1., 2.]); u = t.clone(); u.add_(1); print(t, u.is_leaf)
    let t = tensor!([1.0, 2.0]);
    let u = t.clone();
    u.add_(&tensor!(1.0));
    assert_eq!(t.to_vec(), vec![1.0, 2.0]);
    assert!(u.is_leaf() && !u.requires_grad());
    // under no_grad, the clone of a parameter is a leaf that does not require grad
    let p = tensor!(1.0).requires_grad_(true);
    let q = no_grad(|| p.clone());
    assert!(q.is_leaf() && !q.requires_grad());
}

#[test]
fn clone_as_the_parameter_list_is_refused_as_in_pytorch() {
    // torch.optim.SGD([w.clone()], lr=0.1) -> ValueError: can't optimize a non-leaf Tensor
    let w = tensor!(1.0).requires_grad_(true);
    let copies = vec![w.clone()];
    let message = panic_message(|| drop(optim::SGD::new(copies, 0.1)));
    assert!(message.starts_with("can't optimize a non-leaf Tensor"));
    assert!(message.contains("CloneBackward0") && message.contains("[&w]"));
}

#[test]
fn a_copy_of_the_gradient_survives_zeroing() {
    // g = w.grad.clone(); w.grad.zero_(); print(g) -> the old gradient
    let w = tensor!([1.0, 2.0]).requires_grad_(true);
    (&w * 3.0).sum().backward();
    let g = w.grad().unwrap().clone();
    w.grad().unwrap().zero_();
    assert_eq!(g.to_vec(), vec![3.0, 3.0]); // d/dw sum(3w) = 3
    assert_eq!(w.grad().unwrap().to_vec(), vec![0.0, 0.0]);
}

#[test]
fn handle_copies_where_python_shares() {
    // params = [w]; params2 = list(params); params2[0] is w -> True (a list copy shares tensors)
    let w = tensor!(1.0).requires_grad_(true);
    let params = vec![w.shallow_clone()];
    let params2 = params.clone();
    assert!(params2[0].same(&w));
    // u = w (a second name): the same tensor
    let u = w.shallow_clone();
    no_grad(|| w.sub_(&tensor!(1.0)));
    assert_eq!(u.item(), 0.0);
}

// ----- retain_graph ----------------------------------------------------------------------------

#[test]
fn backward_retain_graph_then_backward() {
    // l = (w * w); l.backward(retain_graph=True); l.backward(); print(w.grad) -> 2w + 2w = 12 at w = 3
    let w = tensor!(3.0).requires_grad_(true);
    let l = &w * &w;
    l.backward_retain_graph();
    l.backward();
    assert_eq!(w.grad().unwrap().item(), 12.0);
    // a third time: the graph is freed, and the message names the Rust spelling
    let message = l.try_backward().unwrap_err().to_string();
    assert!(message.starts_with("Trying to backward through the graph a second time"));
    assert!(message.contains("backward_retain_graph()") && message.contains("retain_graph=True"));
    // y.backward(gradient=v, retain_graph=True)
    let x = tensor!([1.0, 2.0]).requires_grad_(true);
    let y = &x * &x;
    let v = tensor!([1.0, 0.5]);
    let options = BackwardOptions {
        gradient: Some(&v),
        retain_graph: true,
    };
    y.backward_with_options(options);
    y.backward_with(&v);
    // twice v * 2x = [4, 4]
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 4.0]);
}

// ----- optimizers: [w] and model.parameters(), f64 hyperparameters ---------------------------

#[test]
fn optimizers_take_a_list_like_pytorch() {
    // w = torch.tensor(1.0, requires_grad=True); b = torch.tensor(0.0, requires_grad=True)
    // torch.optim.SGD([w, b], lr=0.1)
    let w = tensor!(1.0).requires_grad_(true);
    let b = tensor!(0.0).requires_grad_(true);
    let mut opt = optim::SGD::new([&w, &b], 0.1);
    // l = (w + b - 3)^2: dl/dw = dl/db = 2(w + b - 3) = -4; one step: w = 1.4, b = 0.4
    (&w + &b - 3.0).pow(2.0).backward();
    opt.step();
    assert_eq!((w.item(), b.item()), (1.0 + 0.4, 0.4));
    // the optimizer updates these same tensors: its list holds handles to them
    assert!(opt.params()[0].same(&w) && opt.params()[1].same(&b));
    // a Vec of handles, a borrowed list, and model.parameters() work too
    let params = vec![w.shallow_clone(), b.shallow_clone()];
    let _ = optim::Adam::new(&params, 0.1);
    let _ = optim::Adam::new(params, 0.1);
    let model = nn::Linear::new(2, 1);
    let _ = optim::SGD::new(model.parameters(), 0.1);
}

#[test]
fn one_float_type_for_every_hyperparameter() {
    // for lr in [0.005, 0.05]: for opt in [SGD(..., lr=lr), Adam(..., lr=lr)]: ...
    // Python's floats are f64: the same variable goes to either optimizer, and an f32 too.
    let w = tensor!(1.0).requires_grad_(true);
    for lr in [0.005, 0.05] {
        let sgd = optim::SGD::new([&w], lr)
            .momentum(0.9)
            .dampening(0.0)
            .weight_decay(0.0);
        let adam = optim::Adam::new([&w], lr)
            .betas(0.9, 0.999)
            .eps(1e-8)
            .weight_decay(0.0);
        assert_eq!((sgd.lr, adam.lr), (lr, lr));
    }
    let lr32: f32 = 0.05;
    assert_eq!(optim::SGD::new([&w], lr32).lr, f64::from(lr32));
    assert_eq!(optim::Adam::new([&w], lr32).lr, f64::from(lr32));
    // torch.arange(0., 1., 0.25), torch.linspace(0., 1., 5): the same float type
    let (start, end) = (0.0, 1.0);
    assert_eq!(
        Tensor::arange(start, end, 0.25).to_vec(),
        vec![0.0, 0.25, 0.5, 0.75]
    );
    assert_eq!(
        Tensor::linspace(start, end, 5).to_vec(),
        vec![0.0, 0.25, 0.5, 0.75, 1.0]
    );
}

#[test]
fn sgd_rounds_its_f64_hyperparameters_as_pytorch_does() {
    // PyTorch passes lr (a double) to an f32 kernel: p = p - float(lr) * g, one rounding.
    let w = tensor!([0.3, -1.7]).requires_grad_(true);
    let mut opt = optim::SGD::new([&w], 0.1);
    (&w * 2.0).sum().backward(); // g = 2
    opt.step();
    let expect = |p: f32| 2.0f32.mul_add(-(0.1f64 as f32), p);
    assert_eq!(w.to_vec(), vec![expect(0.3), expect(-1.7)]);
}

// ----- indexing ----------------------------------------------------------------------------------

#[test]
fn element_getter_is_item_of_an_index() {
    // w = torch.tensor([[1., 2.], [3., 4.]]); w[0][1].item() -> 2.0; w[-1][0].item() -> 3.0
    let w = tensor!([[1.0, 2.0], [3.0, 4.0]]).requires_grad_(true);
    assert_eq!(w.get(&[0, 1]), 2.0);
    assert_eq!(w.get(&[-1, 0]), 3.0);
    let (i, j): (usize, usize) = (1, 1);
    assert_eq!(w.get(&[i, j]), 4.0);
    // w[2][0] -> IndexError: index 2 is out of bounds for dimension 0 with size 2
    let message = w.try_get(&[2, 0]).unwrap_err().to_string();
    assert!(message.starts_with("index 2 is out of bounds for dimension 0 with size 2"));
    assert!(w
        .try_get(&[0])
        .unwrap_err()
        .to_string()
        .contains("one per dimension"));
    // reading records nothing
    assert!(w.grad().is_none());
}

#[test]
fn select_narrow_and_index_select_record_gradients() {
    // x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
    let x = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad_(true);
    // x[:, 0] -> tensor([1., 4.], grad_fn=<SelectBackward0>)
    let column = x.select(1, 0);
    assert_eq!(
        column.to_string(),
        "tensor([1., 4.], grad_fn=<SelectBackward0>)"
    );
    // x[1] = x.select(0, 1) = x[-1]
    assert_eq!(x.select(0, -1).to_vec(), vec![4.0, 5.0, 6.0]);
    // x[:, 1:3] -> narrow(1, 1, 2), grad_fn=<SliceBackward0>
    let right = x.narrow(1, 1, 2);
    assert_eq!(right.grad_fn(), Some("SliceBackward0"));
    assert_eq!(right.to_vec(), vec![2.0, 3.0, 5.0, 6.0]);
    // l = sum(x[:, 0]) + sum(x[:, 1:3]^2) + sum(x.index_select(1, [2, 2]))
    // dl/dx = [[1, 2*2 , 2*3 + 2], [1, 2*5, 2*6 + 2]] (column 2 picked twice by index_select)
    let picked = x.index_select(1, &[2, 2]);
    assert_eq!(picked.grad_fn(), Some("IndexSelectBackward0"));
    let l = column.sum() + right.pow(2.0).sum() + picked.sum();
    l.backward();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        vec![1.0, 4.0, 8.0, 1.0, 10.0, 14.0]
    );
}

#[test]
fn indexing_gradients_pass_gradcheck() {
    let x = Tensor::from_vec(
        (0..24).map(|i| i as f32 * 0.085 - 1.0).collect(),
        &[2, 3, 4],
    );
    let cubed = |t: Tensor| t.pow(3.0).sum();
    for dim in [0isize, 1, 2, -1] {
        assert!(gradcheck(|t| cubed(t[0].select(dim, 1)), &[x.detach()]).passed());
        assert!(gradcheck(|t| cubed(t[0].narrow(dim, 1, 1)), &[x.detach()]).passed());
        let check = gradcheck(|t| cubed(t[0].index_select(dim, &[1, 0, 1])), &[x.detach()]);
        assert!(check.passed(), "{check}");
    }
}

#[test]
fn indexing_errors_use_pytorchs_words() {
    let w = Tensor::zeros(&[2, 2]);
    // w.select(2, 0) -> IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)
    let message = w.try_select(2, 0).unwrap_err().to_string();
    assert!(message
        .starts_with("Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
    // w.select(0, 5) -> IndexError: select(): index 5 out of range for tensor of size [2, 2] at dimension 0
    let message = w.try_select(0, 5).unwrap_err().to_string();
    assert!(message
        .starts_with("select(): index 5 out of range for tensor of size [2, 2] at dimension 0"));
    // w.narrow(0, 1, 3) -> RuntimeError: start (1) + length (3) exceeds dimension size (2).
    let message = w.try_narrow(0, 1, 3).unwrap_err().to_string();
    assert!(message.starts_with("start (1) + length (3) exceeds dimension size (2)."));
}

// ----- Linear.bias -----------------------------------------------------------------------------

#[test]
fn linear_bias_reads_like_pytorch() {
    // model = nn.Linear(1, 1)
    // with torch.no_grad(): model.weight.fill_(-0.5); model.bias.fill_(0.25)
    let model = nn::Linear::new(1, 1);
    no_grad(|| {
        model.weight.fill_(-0.5);
        model.bias.fill_(0.25);
    });
    // print(model.bias) -> Parameter containing: tensor([0.2500], requires_grad=True)
    assert_eq!(
        model.bias.to_string(),
        "Parameter containing:\ntensor([0.2500], requires_grad=True)"
    );
    // model(torch.tensor([2.])).item() = -0.5 * 2 + 0.25 = -0.75
    assert_eq!(model.forward(&tensor!([2.0])).item(), -0.75);
    assert_eq!(model.bias.item(), 0.25);
    // a function taking &Tensor takes &model.bias
    fn first(t: &Tensor) -> f32 {
        t.to_vec()[0]
    }
    assert_eq!(first(&model.bias), 0.25);
}

#[test]
fn linear_without_bias_is_none_and_fails_loudly() {
    // model = nn.Linear(2, 1, bias=False); print(model.bias) -> None
    let model = nn::Linear::with_bias(2, 1, false);
    assert_eq!(model.bias.to_string(), "None");
    assert!(model.bias.is_none());
    assert_eq!(model.parameters().len(), 1);
    // model.bias.fill_(0.25) -> AttributeError: 'NoneType' object has no attribute 'fill_'
    let message = panic_message(|| drop(no_grad(|| model.bias.fill_(0.25))));
    assert!(message.starts_with("'NoneType' object has no attribute"));
    assert!(message.contains("bias=False"));
}

// ----- Module children --------------------------------------------------------------------------

#[test]
fn a_forgotten_child_still_computes_but_the_optimizer_warns() {
    // The warning itself goes to stderr (checked in the crate's unit tests of optim); here: the
    // forgotten layer gets gradients and does not move, which is what the warning reports.
    struct TwoLayer {
        fc1: nn::Linear,
        fc2: nn::Linear,
    }
    impl Module for TwoLayer {
        fn forward(&self, x: &Tensor) -> Tensor {
            self.fc2.forward(&self.fc1.forward(x).tanh())
        }
        fn named_children(&self) -> Vec<(String, &dyn Module)> {
            vec![nn::child("fc1", &self.fc1)] // fc2 forgotten
        }
    }
    let net = TwoLayer {
        fc1: nn::Linear::new(1, 4),
        fc2: nn::Linear::new(4, 1),
    };
    let mut opt = optim::SGD::new(net.parameters(), 0.1);
    let before = net.fc2.weight.clone();
    net.forward(&Tensor::ones(&[3, 1])).sum().backward();
    opt.step();
    assert!(net.fc2.weight.grad().is_some());
    assert_eq!(net.fc2.weight.to_vec(), before.to_vec());
}

// ----- numbers where tensors go ----------------------------------------------------------------

#[test]
fn methods_take_numbers_like_the_operators() {
    // t.add(1.0), t.mul(2), t.sub(u), t.div(2.0): the same as t + 1.0, ...
    let t = tensor!([1.0, 2.0]);
    let u = tensor!([0.5, 0.5]);
    assert_eq!(t.add(1.0).to_vec(), (&t + 1.0).to_vec());
    assert_eq!(t.mul(2.0).to_vec(), vec![2.0, 4.0]);
    assert_eq!(t.sub(&u).to_vec(), vec![0.5, 1.5]);
    assert_eq!(t.div(2.0f32).to_vec(), vec![0.5, 1.0]);
    assert_eq!(t.add(u).to_vec(), vec![1.5, 2.5]);
    // and they record the same graph: d/dw (w * 3) = 3
    let w = tensor!(2.0).requires_grad_(true);
    w.mul(3.0).backward();
    assert_eq!(w.grad().unwrap().item(), 3.0);
}

// ----- mini-batches ------------------------------------------------------------------------------

#[test]
fn data_loader_reads_like_torch_utils_data() {
    // from torch.utils.data import DataLoader, TensorDataset
    // torch.manual_seed(0)
    manual_seed(0);
    // x = torch.arange(10.).reshape(10, 1); y = 2 * x
    let x = Tensor::arange(0.0, 10.0, 1.0).reshape(&[10, 1]);
    let y = 2.0 * &x;
    // ds = TensorDataset(x, y); len(ds) -> 10; ds[3] -> (tensor([3.]), tensor([6.]))
    let ds = TensorDataset::new(&[&x, &y]);
    assert_eq!(ds.len(), 10);
    let [x3, y3] = ds.get(3);
    assert_eq!(
        (x3.to_string(), y3.to_string()),
        ("tensor([3.])".into(), "tensor([6.])".into())
    );
    // loader = DataLoader(ds, batch_size=3, shuffle=True, drop_last=True); len(loader) -> 3
    let loader = DataLoader::new(&ds, 3).shuffle(true).drop_last(true);
    assert_eq!(loader.len(), 3);
    // for xb, yb in loader: print(xb.flatten().tolist())
    //   -> [6.0, 7.0, 1.0]  [4.0, 2.0, 0.0]  [9.0, 8.0, 3.0]   (torch 2.15; [5.] is dropped)
    let mut seen = vec![];
    for [xb, yb] in &loader {
        assert_eq!(yb.to_vec(), (2.0 * &xb).to_vec());
        seen.push(xb.to_vec());
    }
    let expected = vec![
        vec![6.0, 7.0, 1.0],
        vec![4.0, 2.0, 0.0],
        vec![9.0, 8.0, 3.0],
    ];
    assert_eq!(seen, expected);
    // DataLoader(ds, batch_size=0) -> ValueError: batch_size should be a positive integer value, ...
    let message = panic_message(|| {
        DataLoader::new(&ds, 0);
    });
    assert!(
        message.starts_with("batch_size should be a positive integer value, but got batch_size=0")
    );
}

// ----- the prelude shadows nothing of Rust's -----------------------------------------------------

fn parse(s: &str) -> Result<f32, String> {
    s.parse::<f32>().map_err(|e| e.to_string())
}

#[test]
fn prelude_keeps_rusts_result() {
    // use autograd_core::prelude::*; fn parse(s: &str) -> Result<f32, String> compiles
    assert_eq!(parse("2.5"), Ok(2.5));
    // the crate's own alias is still there by its path
    let r: autograd_core::Result<f32> = tensor!([1.0, 2.0]).try_item();
    assert!(r.is_err());
}

// ----- short panics inside the notebook kernel ---------------------------------------------------

/// Runs this test binary again, as a child, with `env` set, running only `short_panic_child`.
fn run_child(evcxr: bool) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "short_panic_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PYTORCH_HABITS_CHILD", "1")
        .env("RUST_BACKTRACE", "1");
    if evcxr {
        command.env("EVCXR_IS_RUNTIME", "1");
    } else {
        command.env_remove("EVCXR_IS_RUNTIME");
    }
    let output = command.output().unwrap();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn short_panic_child() {
    if std::env::var_os("PYTORCH_HABITS_CHILD").is_none() {
        return; // only does something when run by `short_panics_only_inside_the_kernel`
    }
    let t = tensor!([1.0, 2.0]); // the first tensor: installs the hook inside evcxr
    let _ = catch_unwind(AssertUnwindSafe(|| t.item()));
}

#[test]
fn short_panics_only_inside_the_kernel() {
    // evcxr runs cells in a child process with EVCXR_IS_RUNTIME=1 and RUST_BACKTRACE=1.
    let inside = run_child(true);
    assert!(
        inside.contains("panicked: a Tensor with 2 elements cannot be converted to Scalar"),
        "{inside}"
    );
    assert!(!inside.contains("stack backtrace"), "{inside}");
    // Anywhere else Rust's own hook stays: location and backtrace.
    let outside = run_child(false);
    assert!(outside.contains("panicked at"), "{outside}");
    assert!(outside.contains("stack backtrace"), "{outside}");
}
