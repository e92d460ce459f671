#!/usr/bin/env python3
"""Writes autograd-core/tests/reference/: the PyTorch traces the Rust tests and the notebook
checks compare with (autograd-core/tests/reference/README.md says what each file holds).

Run it with the optional bench venv, where torch and numpy are pinned (bench/requirements.txt):

    make reference                        # every file
    BENCH_PYTHON=path/to/python make reference
    .venv-bench/bin/python scripts/make_reference.py --only random_draws.json

One function per output file, registered in FILES. Each returns the file's content without its
`meta` block; `write` adds the block and writes the JSON. Every float32 goes through `floats` or
`f32`, which give the exact float32 value as a Python float (a double), so `json` writes its
shortest repr: parsed as f64 and cast to f32 it gives the same bits back. The output is
deterministic: running the script twice writes identical bytes (nothing in `meta` changes from
run to run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

# MKL picks its matrix-product kernels by CPU, some with fused multiply-adds: 14 of the 100
# grad_w of linear_module.json differ in the last bits between machines. Its conditional
# numerical reproducibility mode makes every machine compute them the same way (set before
# MKL starts, so before torch is imported).
os.environ["MKL_CBWR"] = "COMPATIBLE"

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as missing:
    sys.exit(
        f"make_reference.py needs PyTorch and NumPy ({missing}): run it with the bench venv, "
        "`make reference BENCH_PYTHON=path/to/python` (set-up: bench/README.md)"
    )

OUT = Path(__file__).resolve().parent.parent / "autograd-core" / "tests" / "reference"
PINNED = {"torch": "2.15.0", "numpy": "2.4.6"}
NUMBER_FORMAT = (
    "JSON numbers equal exactly the float32/float64 values produced (float32 widened to f64, "
    "repr). Parse as f64 then `as f32`."
)


# ------------------------------------------------------------------------------------ helpers


def f32(x) -> float:
    """The float32 value of a 0-d tensor, np.float32 or float32-valued number, as an exact float."""
    if isinstance(x, torch.Tensor):
        x = x.detach().item()
    return float(np.float32(x))


def floats(x) -> list[float]:
    """Every value of a float32 tensor or array (flattened), each exactly, as floats."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return [float(v) for v in np.asarray(x, dtype=np.float32).reshape(-1)]


def f64s(values) -> list[float]:
    return [float(v) for v in values]


def meta(name: str) -> dict:
    return {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "num_threads": torch.get_num_threads(),
        "mkl_cbwr": os.environ["MKL_CBWR"],
        "number_format": NUMBER_FORMAT,
        "file": name,
    }


def dumps(value, indent: str = "") -> str:
    """JSON with one key per line and each list of numbers or strings on one line."""
    if isinstance(value, dict) and value:
        inner = indent + " "
        items = [f"{inner}{json.dumps(k)}: {dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False)


def write(name: str, content: dict) -> None:
    data = {"meta": meta(name), **content}
    text = dumps(data) + "\n"
    (OUT / name).write_text(text)
    print(f"wrote {OUT.name}/{name} ({len(text)} bytes)")


def divergence(ours, theirs) -> dict:
    """How far float32 trace `ours` is from `theirs`: ulp, exact count, absolute and relative."""
    a = np.asarray(ours, dtype=np.float32)
    b = np.asarray(theirs, dtype=np.float32)
    ulp = np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return {
        "max_ulp": int(ulp.max()),
        "n_exact": int((ulp == 0).sum()),
        "n": int(a.size),
        "max_abs": float(diff.max()),
        "max_rel": float((diff / np.abs(b.astype(np.float64))).max()),
    }


# ---------------------------------------------------------------- lessons 01-04: the fits

X4 = [1.0, 2.0, 3.0, 4.0]
Y4 = [2.0, 4.0, 6.0, 8.0]
X6 = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0]
Y6 = [2.0, 4.0, 6.0, 8.0, 11.0, 16.0]


def printed(ws, losses, f5_before, f5_after, every: int) -> list[str]:
    """The lines the tutorials print: every `every` epochs, w to 3 and the loss to 8 decimals."""
    lines = [f"Prediction before training: f(5) = {f5_before:.3f}"]
    lines += [
        f"epoch {e + 1}: w = {ws[e]:.3f}, loss = {losses[e]:.8f}"
        for e in range(0, len(ws), every)
    ]
    return lines + [f"Prediction after training: f(5) = {f5_after:.3f}"]


def naive_f32_fit(x, y, lr, epochs, w=0.0, b=None, mse_loss=False):
    """The same fit written plainly in float32 (NumPy scalars, sums left to right, no fused
    multiply-add), to show how far a straightforward implementation lands from PyTorch. The
    gradient is mean(2 d x), or with `mse_loss` MSELoss's sum(d * f32(2/N) * x)."""
    x = [np.float32(v) for v in x]
    y = [np.float32(v) for v in y]
    n = np.float32(len(x))
    w, lr = np.float32(w), np.float32(lr)
    b = None if b is None else np.float32(b)
    ws, bs, losses = [], [], []
    for _ in range(epochs):
        pred = [w * xi + b if b is not None else w * xi for xi in x]
        diff = [p - yi for p, yi in zip(pred, y)]
        loss = np.float32(0)
        for d in diff:
            loss = loss + d * d
        loss = loss / n
        if mse_loss:
            # dL/dpred = d * f32(2/N), then the chain rule through w*x + b
            g = [d * np.float32(2 / len(x)) for d in diff]
            grad_w = np.float32(0)
            for gi, xi in zip(g, x):
                grad_w = grad_w + gi * xi
            grad_b = np.float32(0)
            for gi in g:
                grad_b = grad_b + gi
        else:
            grad_w = np.float32(0)
            for d, xi in zip(diff, x):
                grad_w = grad_w + np.float32(2) * d * xi
            grad_w = grad_w / n
            grad_b = None
        if b is not None:
            b = b - lr * grad_b
        w = w - lr * grad_w
        ws.append(w)
        bs.append(b)
        losses.append(loss)
    return ws, bs, losses


def scalar_fit(w, f5_before, ws, losses, grads) -> dict:
    """The trace of a one-weight fit y = w x: per epoch, then f(5) before and after."""
    return {
        "f5_before": f5_before,
        "f5_after": (w * 5).item(),
        "w": ws,
        "loss": losses,
        "grad": grads,
    }


def autograd_run(epochs: int, dtype=torch.float32) -> dict:
    """Lesson 02: w * x, loss ((y - y_hat)**2).mean(), update by hand under no_grad."""
    x = torch.tensor(X4, dtype=dtype)
    y = torch.tensor(Y4, dtype=dtype)
    w = torch.tensor(0.0, dtype=dtype, requires_grad=True)
    lr = 0.01
    f5_before = (w * 5).item()
    ws, losses, grads = [], [], []
    grad_zero = True
    for _ in range(epochs):
        y_hat = w * x
        l = ((y - y_hat) ** 2).mean()
        l.backward()
        grads.append(w.grad.item())
        with torch.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
        grad_zero = grad_zero and w.grad.item() == 0.0
        ws.append(w.item())
        losses.append(l.item())
    return {**scalar_fit(w, f5_before, ws, losses, grads), "grad_is_zero_after_zero_": grad_zero}


def seed_autograd_w() -> dict:
    runs = {}
    for epochs, every in [(20, 2), (100, 10)]:
        r = autograd_run(epochs)
        r64 = autograd_run(epochs, torch.float64)
        naive_w, _, naive_loss = naive_f32_fit(X4, Y4, 0.01, epochs)
        runs[f"iters_{epochs}"] = {
            "n_iters": epochs,
            "lr": 0.01,
            "dtype": "float32",
            "f5_before": f32(r["f5_before"]),
            "f5_after": f32(r["f5_after"]),
            "epoch": list(range(1, epochs + 1)),
            "w": floats(r["w"]),
            "loss": floats(r["loss"]),
            "grad": floats(r["grad"]),
            "printed": printed(r["w"], r["loss"], r["f5_before"], r["f5_after"], every),
            "grad_is_zero_after_zero_": r["grad_is_zero_after_zero_"],
            "naive_f32_divergence": {
                "w": divergence(naive_w, r["w"]),
                "loss": divergence(naive_loss, r["loss"]),
            },
            "float64_reference": {
                "w": f64s(r64["w"]),
                "loss": f64s(r64["loss"]),
                "grad": f64s(r64["grad"]),
                "f5_after": r64["f5_after"],
            },
        }
    return {
        "program": (
            "X=[1,2,3,4], Y=[2,4,6,8] float32; w=tensor(0.0, requires_grad=True); forward=w*x; "
            "loss=((y-y_hat)**2).mean(); lr=0.01; each iteration: y_hat=forward(X); "
            "l=loss(Y,y_hat); l.backward(); with no_grad: w -= lr*w.grad; w.grad.zero_()"
        ),
        "fields": (
            "per epoch (1-based): loss and grad are the values computed in that epoch (before "
            "the update); w is after the update. f5 = forward(5) = w*5."
        ),
        "analytic": {
            "grad_formula": "dL/dw = mean(2*x*(w*x-y)) = 15*(w-2)",
            "contraction_per_step": "w_{k+1}-2 = (1-0.01*15)*(w_k-2) = 0.85*(w_k-2)",
            "w_after_n": "2*(1-0.85**n)",
        },
        "runs": runs,
    }


def numpy_run(variant: str, epochs: int, dtype=np.float32, literal: bool = False) -> dict:
    """Lesson 01: the gradient by hand in NumPy, the tutorial's np.dot version or the mean."""
    x = np.array(X4, dtype=dtype)
    y = np.array(Y4, dtype=dtype)
    # literal: w and lr as Python floats, as the tutorial text writes them
    w, lr = (0.0, 0.01) if literal else (dtype(0.0), dtype(0.01))
    f5_before = w * dtype(5)
    ws, losses, dws = [], [], []
    for _ in range(epochs):
        y_pred = w * x
        loss = ((y_pred - y) ** 2).mean()
        if variant == "tutorial_np_dot":
            dw = np.dot(2 * x, y_pred - y).mean()
        else:
            dw = (2 * x * (y_pred - y)).mean()
        w -= lr * dw
        ws.append(w)
        losses.append(loss)
        dws.append(dw)
    return {
        "f5_before": f5_before,
        "f5_after": w * dtype(5),
        "w": ws,
        "loss": losses,
        "dw": dws,
        "dtype": np.asarray(w).dtype.name,
    }


def manual_numpy() -> dict:
    runs = {}
    for variant in ["tutorial_np_dot", "corrected_mean"]:
        for epochs in [10, 20]:
            r = numpy_run(variant, epochs)
            runs[f"{variant}_iters_{epochs}"] = {
                "n_iters": epochs,
                "variant": variant,
                "dtype_of_w_at_end": r["dtype"],
                "f5_before": f32(r["f5_before"]),
                "f5_after": f32(r["f5_after"]),
                "epoch": list(range(1, epochs + 1)),
                "w": floats(r["w"]),
                "loss": floats(r["loss"]),
                "dw": floats(r["dw"]),
                "printed": printed(r["w"], r["loss"], r["f5_before"], r["f5_after"], 2),
            }
    literal = numpy_run("corrected_mean", 20, literal=True)
    explicit = numpy_run("corrected_mean", 20)
    float64 = {}
    for variant in ["tutorial_np_dot", "corrected_mean"]:
        r = numpy_run(variant, 20, np.float64)
        float64[f"{variant}_iters_20"] = {
            "w": f64s(r["w"]),
            "loss": f64s(r["loss"]),
            "dw": f64s(r["dw"]),
            "f5_after": float(r["f5_after"]),
        }
    torch_w = autograd_run(20)["w"]
    return {
        "program": (
            "X=[1,2,3,4], Y=[2,4,6,8] np.float32; w=np.float32(0); lr=np.float32(0.01); "
            "y_pred=w*X; loss=((y_pred-y)**2).mean(); tutorial_np_dot: "
            "dw=np.dot(2*x, y_pred-y).mean(); corrected_mean: dw=(2*x*(y_pred-y)).mean(); "
            "w -= lr*dw"
        ),
        "fields": "per epoch: loss and dw computed in that epoch (before update); w after update.",
        "why_numpy_converged_faster": (
            "np.dot returns a 0-d scalar, so .mean() is a no-op: dw_tutorial = sum(2x(wx-y)) = "
            "N * dw_true (N=4). The numpy lesson therefore ran with an effective learning rate "
            "of 4*0.01 = 0.04. True gradient: dw = 15*(w-2) -> error contracts by 1-0.15 = 0.85 "
            "per step (w_20 = 2*(1-0.85**20) = 1.922, f(5)=9.61). Tutorial gradient: 60*(w-2) "
            "-> contracts by 1-0.60 = 0.40 per step (w_20 = 2*(1-0.4**20) ~ 2.0, f(5)=10.000). "
            "The autograd version is correct; it just uses the true gradient."
        ),
        "contraction": {"corrected": 0.85, "tutorial_np_dot": 0.4},
        "literal_tutorial_code_python_float_w_lr": {
            "note": (
                "w=0.0 and lr=0.01 as Python floats, as in the tutorial text. Under NumPy>=2 "
                "(NEP 50) everything stays float32 and the trace is bit-identical to the "
                "explicit-float32 run; under NumPy 1.x, w would silently become float64 after "
                "the first update."
            ),
            "dtype_of_w_at_end": literal["dtype"],
            "identical_to_explicit_float32": floats(literal["w"]) == floats(explicit["w"])
            and floats(literal["loss"]) == floats(explicit["loss"]),
        },
        "float64_reference": float64,
        "corrected_vs_torch_autograd_20": {
            "w_identical_bits": floats(explicit["w"]) == floats(torch_w),
            "w_divergence": divergence(explicit["w"], torch_w),
        },
        "runs": runs,
    }


def sgd_run(loss_args: str = "pred_first", dtype=torch.float32) -> dict:
    """Lesson 03: w * x, nn.MSELoss, optim.SGD(lr=0.01), 20 epochs."""
    x = torch.tensor(X6, dtype=dtype)
    y = torch.tensor(Y6, dtype=dtype)
    w = torch.tensor(0.0, dtype=dtype, requires_grad=True)
    loss = torch.nn.MSELoss()
    optimizer = torch.optim.SGD([w], lr=0.01)
    f5_before = (w * 5).item()
    ws, losses, grads = [], [], []
    for _ in range(20):
        y_pred = w * x
        l = loss(y_pred, y) if loss_args == "pred_first" else loss(y, y_pred)
        l.backward()
        grads.append(w.grad.item())
        optimizer.step()
        optimizer.zero_grad()
        ws.append(w.item())
        losses.append(l.item())
    return {**scalar_fit(w, f5_before, ws, losses, grads), "grad_after_zero_grad": w.grad}


def optim_sgd() -> dict:
    r = sgd_run()
    swapped = sgd_run("target_first")
    r64 = sgd_run(dtype=torch.float64)
    naive_w, _, naive_loss = naive_f32_fit(X6, Y6, 0.01, 20, mse_loss=True)
    return {
        "program": (
            "X=[1,2,3,4,6,8], Y=[2,4,6,8,11,16] float32; w=tensor(0.0, requires_grad=True); "
            "forward=w*x; loss=nn.MSELoss(); optimizer=optim.SGD([w], lr=0.01); 20 iterations: "
            "y_pred=forward(X); l=loss(y_pred, Y); l.backward(); optimizer.step(); "
            "optimizer.zero_grad()"
        ),
        "fields": "loss, grad computed in that epoch; w after optimizer.step(). f5 = w*5.",
        "notes": [
            "optimizer.zero_grad() defaults to set_to_none=True: w.grad is None afterwards "
            "(w_grad_after_optimizer_zero_grad = null).",
            "torch MSELoss backward computes (input-target) * f32(2/N) * grad_out.",
            "w converges to sum(xy)/sum(x^2) = 266/130 = 2.04615...",
        ],
        "result": {
            "f5_before": f32(r["f5_before"]),
            "f5_after": f32(r["f5_after"]),
            "epoch": list(range(1, 21)),
            "w": floats(r["w"]),
            "loss": floats(r["loss"]),
            "grad": floats(r["grad"]),
            "w_grad_after_optimizer_zero_grad": r["grad_after_zero_grad"],
        },
        "tutorial_argument_order_loss(Y, y_pred)": {
            "identical_bits_to_loss(y_pred, Y)": floats(swapped["w"]) == floats(r["w"])
            and floats(swapped["loss"]) == floats(r["loss"]),
            "w": floats(swapped["w"]),
        },
        "float64_reference": {
            "w": f64s(r64["w"]),
            "loss": f64s(r64["loss"]),
            "f5_after": r64["f5_after"],
        },
        "naive_f32_divergence": {
            "w": divergence(naive_w, r["w"]),
            "loss": divergence(naive_loss, r["loss"]),
        },
    }


class LinearRegression(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(1, 1)

    def forward(self, x):
        return self.lin(x)


def linear_run(w0: float, b0: float, subclass: bool = False, dtype=torch.float32) -> dict:
    """Lesson 04: nn.Linear(1, 1) with hand-set weights, MSELoss, SGD(lr=0.015), 100 steps."""
    x = torch.tensor([[v] for v in X6], dtype=dtype)
    y = torch.tensor([[v] for v in Y6], dtype=dtype)
    model = (LinearRegression() if subclass else torch.nn.Linear(1, 1)).to(dtype)
    lin = model.lin if subclass else model
    with torch.no_grad():
        lin.weight.fill_(w0)
        lin.bias.fill_(b0)
    loss = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.015)
    five = torch.tensor([5.0], dtype=dtype)
    trace = {"f5_before": model(five).item(), "init_w": lin.weight.item(), "init_b": lin.bias.item()}
    for key in ["w", "b", "loss", "grad_w", "grad_b"]:
        trace[key] = []
    for _ in range(100):
        l = loss(model(x), y)
        l.backward()
        trace["grad_w"].append(lin.weight.grad.item())
        trace["grad_b"].append(lin.bias.grad.item())
        optimizer.step()
        optimizer.zero_grad()
        trace["w"].append(lin.weight.item())
        trace["b"].append(lin.bias.item())
        trace["loss"].append(l.item())
    trace["f5_after"] = model(five).item()
    return trace


def linear_module() -> dict:
    cases = {}
    for w0, b0 in [(-0.5, 0.25)]:
        r = linear_run(w0, b0)
        sub = linear_run(w0, b0, subclass=True)
        r64 = linear_run(w0, b0, dtype=torch.float64)
        naive_w, naive_b, naive_loss = naive_f32_fit(X6, Y6, 0.015, 100, w0, b0, mse_loss=True)
        keys = ["w", "b", "loss", "grad_w", "grad_b"]
        cases[f"w{w0}_b{b0}"] = {
            "f5_before": f32(r["f5_before"]),
            "f5_after": f32(r["f5_after"]),
            **{k: floats(r[k]) for k in keys},
            "module_subclass_identical_bits": all(floats(sub[k]) == floats(r[k]) for k in keys),
            "naive_f32_divergence": {
                "w": divergence(naive_w, r["w"]),
                "b": divergence(naive_b, r["b"]),
                "loss": divergence(naive_loss, r["loss"]),
            },
            "float64_reference": {
                "w": f64s(r64["w"]),
                "b": f64s(r64["b"]),
                "loss": f64s(r64["loss"]),
                "f5_after": r64["f5_after"],
            },
            "init": {"w": w0, "b": b0, "w_f32": f32(r["init_w"]), "b_f32": f32(r["init_b"])},
        }
    a = np.stack([np.array(X6), np.ones(len(X6))], axis=1)
    (w_ls, b_ls), *_ = np.linalg.lstsq(a, np.array(Y6), rcond=None)
    return {
        "program": (
            "model=nn.Linear(1,1) (weight, bias set with fill_ under no_grad), "
            "X=[[1],[2],[3],[4],[6],[8]], Y=[[2],[4],[6],[8],[11],[16]] float32, nn.MSELoss(), "
            "optim.SGD(model.parameters(), lr=0.015), 100 iterations: y_pred=model(X); "
            "l=loss(y_pred,Y); l.backward(); optimizer.step(); optimizer.zero_grad(). The same "
            "with class LinearRegression(nn.Module) wrapping self.lin=nn.Linear(1,1): "
            "bit-identical."
        ),
        "fields": (
            "per iteration: loss, grad_w, grad_b computed in that iteration; w, b after the "
            "step. f5 = model(tensor([5.]))."
        ),
        "least_squares_solution_f64": {
            "w": float(w_ls),
            "b": float(b_ls),
            "f5": float(w_ls * 5 + b_ls),
        },
        "notes": ["Linear(1,1) forward on CPU is x*w then +b, two roundings (checked: no FMA)."],
        "cases": cases,
    }


# ------------------------------------------------------------------------------ random draws

SEEDS = [0, 1, 42, 2024]
SIZES = [1, 15, 16, 17, 100, 1000]
UNIFORM_AB = (-0.3, 0.7)  # Python floats: rounded to float32 by uniform_, as in PyTorch
NORMAL_MEAN_STD = (1.5, 0.3)  # doubles in the serial path (< 16 values), float32 in the block path
LINEARS = [(1, 1), (1, 64), (64, 64)]

# Several calls after one seed: (call, arguments); the draws continue from call to call, and
# the normal serial path keeps its second sample between calls (randn(3) then randn(1)).
SEQUENCES = {
    "mixed": [
        ("rand", [3]),
        ("randn", [3]),
        ("randn", [20]),
        ("randn", [1]),
        ("uniform_", [5, -1.0, 1.0]),
        ("normal_", [4, 2.0, 0.5]),
        ("linear", [2, 3]),
        ("randperm", [5]),
        ("rand", [1]),
    ],
    "lesson_like": [
        ("rand", [100, 1]),
        ("randn", [100, 1]),
        ("linear", [1, 1]),
        ("randn", [7]),
        ("randn", [16]),
        ("randn", [1]),
        ("randperm", [100]),
    ],
}


def run_call(call: str, args: list) -> dict:
    if call == "rand":
        return {"values": floats(torch.rand(*args))}
    if call == "randn":
        return {"values": floats(torch.randn(*args))}
    if call == "uniform_":
        return {"values": floats(torch.nn.init.uniform_(torch.empty(args[0]), args[1], args[2]))}
    if call == "normal_":
        return {"values": floats(torch.nn.init.normal_(torch.empty(args[0]), args[1], args[2]))}
    if call == "linear":
        lin = torch.nn.Linear(args[0], args[1])
        return {"weight": floats(lin.weight), "bias": floats(lin.bias)}
    if call == "randperm":
        return {"values": torch.randperm(args[0]).tolist()}
    raise ValueError(call)


def draws(seeds: list[int]) -> dict:
    """Every case of random_draws.json with the CPU kernel this process runs."""
    out: dict = {"cpu_capability": torch.backends.cpu.get_cpu_capability()}
    cases = {
        "rand": ("rand", []),
        "randn": ("randn", []),
        "uniform_": ("uniform_", list(UNIFORM_AB)),
        "normal_": ("normal_", list(NORMAL_MEAN_STD)),
    }
    for name, (call, extra) in cases.items():
        out[name] = {}
        for seed in seeds:
            out[name][str(seed)] = {}
            for n in SIZES:
                torch.manual_seed(seed)
                out[name][str(seed)][str(n)] = run_call(call, [n, *extra])["values"]
    out["linear"] = {}
    for i, o in LINEARS:
        out["linear"][f"{i}x{o}"] = {}
        for seed in seeds:
            torch.manual_seed(seed)
            out["linear"][f"{i}x{o}"][str(seed)] = run_call("linear", [i, o])
    out["randperm"] = {}
    for seed in seeds:
        out["randperm"][str(seed)] = {}
        for n in [10, 1000]:
            torch.manual_seed(seed)
            out["randperm"][str(seed)][str(n)] = run_call("randperm", [n])["values"]
    out["sequences"] = {}
    for name, calls in SEQUENCES.items():
        out["sequences"][name] = {}
        for seed in seeds:
            torch.manual_seed(seed)
            out["sequences"][name][str(seed)] = [
                {"call": call, "args": args, **run_call(call, args)} for call, args in calls
            ]
    return out


def in_subprocess(capability: str, function: str) -> dict:
    """Runs `function` of this script in a fresh Python whose PyTorch uses `capability`."""
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    result = subprocess.run(
        [sys.executable, __file__, "--internal", function],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


def random_draws() -> dict:
    native = torch.backends.cpu.get_cpu_capability()
    if native not in ("AVX2", "AVX512"):
        sys.exit(f"random_draws.json needs an x86-64 CPU with AVX2 (PyTorch runs {native} here)")
    return {
        "program": (
            "torch.manual_seed(seed), then one call: torch.rand(n); torch.randn(n); "
            f"nn.init.uniform_(torch.empty(n), {UNIFORM_AB[0]}, {UNIFORM_AB[1]}); "
            f"nn.init.normal_(torch.empty(n), {NORMAL_MEAN_STD[0]}, {NORMAL_MEAN_STD[1]}); "
            "nn.Linear(in, out) (default init); torch.randperm(n). sequences: several calls "
            "after one manual_seed, the draws continuing from call to call (the 'linear' call "
            "is nn.Linear(args[0], args[1]))."
        ),
        "fields": (
            "kernels.<kernel>.<case>.<seed>.<n>: the float32 values (randperm: the int64 "
            "indices); linear.<in>x<out>.<seed>: weight (row-major, [out, in]) and bias; "
            "sequences.<name>.<seed>: one entry per call. Kernel 'avx2' is what PyTorch runs on "
            "x86-64 with AVX2 or AVX-512 (native here); 'default' is ATEN_CPU_CAPABILITY=default, "
            "PyTorch's scalar code (fewer seeds)."
        ),
        "uniform_args": list(UNIFORM_AB),
        "normal_args": list(NORMAL_MEAN_STD),
        "kernels": {
            "avx2": draws(SEEDS),
            "default": in_subprocess("default", "draws_default"),
        },
    }


# ------------------------------------------------------------------------------ the lessons
# Each function below is the PyTorch (or NumPy) program a lesson shows beside its Rust cells,
# in the same order of random calls, with what it prints (`printed`) and the numbers the
# notebook check compares (scripts/reference_checks.py).


def finite_or_none(values: list[float]) -> list[float | None]:
    """JSON has no NaN or infinity: a diverged loss is null (the check counts it as NaN)."""
    return [v if np.isfinite(v) else None for v in values]


def lesson01_numpy_10() -> dict:
    # The NumPy tutorial's own run: np.dot gradient (N = 4 times the true one), 10 iterations.
    X = np.array([1, 2, 3, 4], dtype=np.float32)
    Y = np.array([2, 4, 6, 8], dtype=np.float32)
    w = 0.0

    def forward(x):
        return w * x

    def loss(y, y_pred):
        return ((y_pred - y) ** 2).mean()

    def gradient(x, y, y_pred):
        return np.dot(2 * x, y_pred - y).mean()

    printed = [f"Prediction before training: f(5) = {forward(5):.3f}"]
    learning_rate = 0.01
    n_iters = 10
    ws, losses = [], []
    for epoch in range(n_iters):
        y_pred = forward(X)
        l = loss(Y, y_pred)
        dw = gradient(X, Y, y_pred)
        w -= learning_rate * dw
        printed.append(f"epoch {epoch+1}: w = {w:.3f}, loss = {l:.8f}")
        ws.append(f32(w))
        losses.append(f32(l))
    printed.append(f"Prediction after training: f(5) = {forward(5):.3f}")
    return {
        "program": (
            "the NumPy tutorial's run: X=[1,2,3,4], Y=[2,4,6,8] np.float32, w=0.0, lr=0.01, "
            "gradient np.dot(2*x, y_pred-y).mean() (a sum: N=4 times the true gradient), "
            "10 iterations, every one printed. NumPy 2 keeps w in float32 (NEP 50)."
        ),
        "fields": "per epoch: w after the update, loss computed in that epoch; f5_after = w*5; printed: the lines it prints.",
        "w": ws,
        "loss": losses,
        "f5_after": f32(forward(5)),
        "printed": printed,
    }


def lesson03_rand_weight() -> dict:
    # The first PyTorch variant of the tutorial: five points, a random starting weight.
    torch.manual_seed(0)
    X = torch.tensor([1, 2, 3, 4, 6], dtype=torch.float32)
    Y = torch.tensor([2, 4, 6, 7, 12], dtype=torch.float32)
    w = torch.rand(1, requires_grad=True)
    w_init = f32(w)
    printed = [str(w)]

    def forward(x):
        return w * x

    loss = nn.MSELoss()
    optimizer = torch.optim.SGD([w], lr=0.01)
    ws, losses = [], []
    for epoch in range(10):
        l = loss(forward(X), Y)
        l.backward()
        optimizer.step()
        optimizer.zero_grad()
        printed.append(f"epoch {epoch+1}: " + str(l))  # print(f'epoch {epoch+1}:', l)
        ws.append(f32(w))
        losses.append(f32(l))
    printed.append(f"w = {w.item():.3f}, loss = {l.item():.8f}")
    return {
        "program": (
            "torch.manual_seed(0); X=[1,2,3,4,6], Y=[2,4,6,7,12] float32; "
            "w=torch.rand(1, requires_grad=True); forward=w*x; nn.MSELoss(); "
            "optim.SGD([w], lr=0.01); 10 iterations: l=loss(forward(X), Y); l.backward(); "
            "optimizer.step(); optimizer.zero_grad(); print(f'epoch {epoch+1}:', l)"
        ),
        "fields": "w_init: torch.rand(1) after manual_seed(0); per epoch: loss computed in that epoch, w after the step.",
        "w_init": w_init,
        "w": ws,
        "loss": losses,
        "printed": printed,
    }


def lesson04_linear_seeded() -> dict:
    # nn.Linear(1, 1) from its seeded default initialisation, trained as lesson 04 trains.
    X = torch.tensor([[1], [2], [3], [4], [6], [8]], dtype=torch.float32)
    Y = torch.tensor([[2], [4], [6], [8], [11], [16]], dtype=torch.float32)
    X_test = torch.tensor([5], dtype=torch.float32)
    torch.manual_seed(42)
    model = nn.Linear(1, 1)
    w_init, b_init = f32(model.weight), f32(model.bias)
    printed = [str(model)] + [f"{name}: {p}" for name, p in model.named_parameters()]
    target_shape = lesson04_target_shape(model, X, Y)
    printed += target_shape.pop("printed")
    loss = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.015)
    printed.append(f"Prediction before training: f(5) = {model(X_test).item():.3f}")
    ws, bs, losses = [], [], []
    for epoch in range(100):
        l = loss(model(X), Y)
        l.backward()
        optimizer.step()
        optimizer.zero_grad()
        ws.append(f32(model.weight))
        bs.append(f32(model.bias))
        losses.append(f32(l))
        if epoch % 10 == 0:
            [w, b] = model.parameters()
            printed.append(f"epoch {epoch+1}: w = {w[0][0].item():.3f}, b = {b[0].item():.3f}, loss = {l.item():.8f}")
    printed.append(f"Prediction after training: f(5) = {model(X_test).item():.3f}")
    return {
        "program": (
            "torch.manual_seed(42); model=nn.Linear(1,1) (default init); X=[[1],[2],[3],[4],[6],[8]], "
            "Y=[[2],[4],[6],[8],[11],[16]]; nn.MSELoss(); optim.SGD(model.parameters(), lr=0.015); "
            "100 iterations: l=loss(model(X), Y); l.backward(); optimizer.step(); optimizer.zero_grad()"
        ),
        "fields": (
            "w_init, b_init: the seeded initial weight and bias; per iteration: loss, and w, b after the step. "
            "f5_after = model(tensor([5.])). target_shape: before training, mse(model(X), Y_flat) with "
            "Y_flat of shape [6] (wrong_loss, PyTorch's warning) and mse(model(X), Y) (right_loss)."
        ),
        "w_init": w_init,
        "b_init": b_init,
        "w": ws,
        "b": bs,
        "loss": losses,
        "f5_after": f32(model(X_test)),
        "target_shape": target_shape,
        "printed": printed,
    }


def lesson04_target_shape(model, X, Y) -> dict:
    """Lesson 04's shape bug, on the seeded layer before training: targets of shape [6] against
    predictions [6, 1] broadcast to [6, 6] (PyTorch warns once, on stderr); nothing is trained."""
    import warnings

    Y_flat = torch.tensor([2, 4, 6, 8, 11, 16], dtype=torch.float32)  # shape [6]
    mse = nn.MSELoss()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wrong = mse(model(X), Y_flat)
    right = mse(model(X), Y)
    return {
        "warning": [str(w.message) for w in caught],
        "wrong_loss": f32(wrong),
        "right_loss": f32(right),
        "printed": [str(wrong), str(list((model(X) - Y_flat).shape)), str(right)],
    }


def lesson04_walkthrough() -> dict:
    # The nn.Linear walk-through: fit y = 2x + 1, W printed before and after optimizer.step().
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    Y = 2 * X + 1
    w_init, b_init = f32(model.weight), f32(model.bias)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    printed, before, after, losses = [], [], [], []
    for epoch in range(400):
        optimizer.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        show = epoch < 3 or (epoch + 1) % 100 == 0
        before.append(f32(model.weight))
        if show:
            printed.append(f"epoch {epoch+1}: loss = {loss.item():.8f}, W before step: {model.weight.data}")
        optimizer.step()
        after.append(f32(model.weight))
        losses.append(f32(loss))
        if show:
            printed.append(f"           W after step:  {model.weight.data}")
    printed.append(f"W = {model.weight.item():.4f}, b = {model.bias.item():.4f}")
    return {
        "program": (
            "torch.manual_seed(0); model=nn.Linear(1,1); X=[[1],[2],[3],[4]]; Y=2*X+1; "
            "nn.MSELoss(); optim.SGD(model.parameters(), lr=0.05); 400 iterations: "
            "optimizer.zero_grad(); loss=criterion(model(X), Y); loss.backward(); "
            "W printed before and after optimizer.step() at epochs 1, 2, 3 and every 100th"
        ),
        "fields": "per iteration: loss, the weight before and after optimizer.step(); b after the last step.",
        "w_init": w_init,
        "b_init": b_init,
        "w_before": before,
        "w_after": after,
        "loss": losses,
        "b": f32(model.bias),
        "printed": printed,
    }


def lesson05_noisy() -> dict:
    torch.manual_seed(0)
    X = torch.rand(100, 1) * 20 - 10  # uniform in [-10, 10)
    Y_clean = 2 * X + 3
    Y_noisy = Y_clean + torch.randn(100, 1) * 2  # noise with standard deviation 2

    def train(X, Y, epochs=500, lr=0.01):
        torch.manual_seed(1)  # the same starting weights for both runs
        model = nn.Linear(1, 1)
        loss = nn.MSELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        losses, path = [], [(f32(model.weight), f32(model.bias))]
        for epoch in range(epochs):
            l = loss(model(X), Y)
            l.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(f32(l))
            path.append((f32(model.weight), f32(model.bias)))
        return model, losses, path

    out = {
        "program": (
            "torch.manual_seed(0); X=torch.rand(100,1)*20-10; Y_clean=2*X+3; "
            "Y_noisy=Y_clean+torch.randn(100,1)*2; train(X, Y): torch.manual_seed(1); "
            "model=nn.Linear(1,1); nn.MSELoss(); optim.SGD(model.parameters(), lr=0.01); "
            "500 epochs of loss/backward/step/zero_grad. noise6: the same data with "
            "torch.randn(100,1)*6 (exercise 1)."
        ),
        "fields": (
            "x, y_noisy: the data; printed: the first three x as printed; clean/noisy: per epoch "
            "loss, w and b before training and after each epoch (501 values), printed: the loss "
            "every 100 epochs and the final w and b."
        ),
        "x": floats(X),
        "y_noisy": floats(Y_noisy),
        "printed": ["first three x: " + str(X[:3, 0])],  # print('first three x:', X[:3, 0])
    }
    for name, Y in [("clean", Y_clean), ("noisy", Y_noisy)]:
        model, losses, path = train(X, Y)
        printed = [f"epoch {e}: loss = {losses[e - 1]:.4f}" for e in range(100, 501, 100)]
        printed.append(f"w = {model.weight.item():.4f}, b = {model.bias.item():.4f}")
        out[name] = {"loss": losses, "w": [p[0] for p in path], "b": [p[1] for p in path], "printed": printed}
    # Exercise 2: the fewest epochs after which the clean fit's b is within 0.1 of 3.
    out["clean"]["epochs_b_within_0_1"] = next(n for n, b in enumerate(out["clean"]["b"]) if abs(b - 3.0) < 0.1)
    torch.manual_seed(0)
    X6 = torch.rand(100, 1) * 20 - 10
    Y6 = 2 * X6 + 3 + torch.randn(100, 1) * 6
    _, losses6, _ = train(X6, Y6)
    out["noise6"] = {"floor": losses6[499]}
    return out


def lesson06_mlp() -> dict:
    torch.manual_seed(0)
    X = torch.linspace(-3, 3, 200).reshape(-1, 1)
    Y = torch.sin(2 * X) + 0.1 * torch.randn(200, 1)

    def make_mlp(activation=nn.Tanh):
        torch.manual_seed(1)
        return nn.Sequential(nn.Linear(1, 32), activation(), nn.Linear(32, 32), activation(), nn.Linear(32, 1))

    def train(model, optimizer, epochs):
        loss = nn.MSELoss()
        losses = []
        for _ in range(epochs):
            l = loss(model(X), Y)
            l.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(f32(l))
        return losses

    out = {
        "program": (
            "torch.manual_seed(0); X=torch.linspace(-3,3,200).reshape(-1,1); "
            "Y=torch.sin(2*X)+0.1*torch.randn(200,1); make_mlp: torch.manual_seed(1); "
            "nn.Sequential(nn.Linear(1,32), nn.Tanh(), nn.Linear(32,32), nn.Tanh(), nn.Linear(32,1)); "
            "MSELoss; 1500 epochs with SGD lr 0.05, SGD lr 0.05 momentum 0.9, Adam lr 0.01 (each from "
            "a fresh make_mlp()); lr_sweep: SGD with lr 0.005, 0.05, 0.5, 2.0 for 300 epochs; "
            "relu_adam: the same MLP with nn.ReLU, Adam lr 0.01, 1500 epochs (exercise 2)."
        ),
        "fields": "x, y: the data; init: make_mlp()'s parameters by name; per optimizer: the loss of every epoch (null where it is NaN or infinite).",
        "x": floats(X),
        "y": floats(Y),
        "init": {name: floats(p) for name, p in make_mlp().named_parameters()},
        "init_flat": [v for p in make_mlp().parameters() for v in floats(p)],
    }
    model = make_mlp()
    printed = [
        f"x: {list(X.shape)}, y: {list(Y.shape)}",
        str(model),
        f"{sum(p.numel() for p in model.parameters())} parameters",
    ]
    for name, label, make_optimizer in [
        ("sgd", "SGD", lambda p: torch.optim.SGD(p, lr=0.05)),
        ("momentum", "SGD + momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        ("adam", "Adam", lambda p: torch.optim.Adam(p, lr=0.01)),
    ]:
        model = make_mlp()
        losses = train(model, make_optimizer(model.parameters()), 1500)
        out[name] = {"loss": losses}
        printed.append(f"{label:>15}: epoch 1 {losses[0]:.4f}, epoch 100 {losses[99]:.4f}, epoch 1500 {losses[1499]:.4f}")
    out["lr_sweep"] = {}
    for lr in [0.005, 0.05, 0.5, 2.0]:
        model = make_mlp()
        losses = train(model, torch.optim.SGD(model.parameters(), lr=lr), 300)
        out["lr_sweep"][str(lr)] = {"loss": finite_or_none(losses)}
        printed.append(f"lr {lr:>5}: loss after 300 epochs {losses[299]:.4f}")
    model = make_mlp(nn.ReLU)
    out["relu_adam"] = {"loss": train(model, torch.optim.Adam(model.parameters(), lr=0.01), 1500)}
    out["printed"] = printed
    return out



def lesson06_noise_floor() -> dict:
    # Lesson 06's "How low should the loss go?": the true curve's own loss on the noisy points.
    torch.manual_seed(0)
    X = torch.linspace(-3, 3, 200).reshape(-1, 1)
    Y = torch.sin(2 * X) + 0.1 * torch.randn(200, 1)
    truth_loss = nn.MSELoss()(torch.sin(2 * X), Y)
    return {
        "program": (
            "torch.manual_seed(0); X=torch.linspace(-3,3,200).reshape(-1,1); "
            "Y=torch.sin(2*X)+0.1*torch.randn(200,1); "
            "print(f'loss of the true curve sin(2x): {nn.MSELoss()(torch.sin(2 * X), Y).item():.4f}')"
        ),
        "fields": "truth_loss: MSELoss of sin(2X) against Y, the mean square of the noise (variance 0.1^2 = 0.01).",
        "truth_loss": f32(truth_loss),
        "printed": [f"loss of the true curve sin(2x): {truth_loss.item():.4f}"],
    }


def lesson03_sgd_loop() -> dict:
    # Lesson 03's training cell, printing as its PyTorch code does (the numbers: optim_sgd.json).
    X = torch.tensor([1, 2, 3, 4, 6, 8], dtype=torch.float32)
    Y = torch.tensor([2, 4, 6, 8, 11, 16], dtype=torch.float32)
    w = torch.tensor(0.0, dtype=torch.float32, requires_grad=True)

    def forward(x):
        return w * x

    loss = nn.MSELoss()
    optimizer = torch.optim.SGD([w], lr=0.01)
    printed = [f"Prediction before training: f(5) = {forward(5).item():.3f}"]
    for epoch in range(20):
        y_predicted = forward(X)
        l = loss(y_predicted, Y)
        l.backward()
        optimizer.step()
        optimizer.zero_grad()
        if epoch % 2 == 0:
            printed.append(f"epoch {epoch+1}: w = {w.item():.3f}, loss = {l.item():.8f}")
    printed.append(f"Prediction after training: f(5) = {forward(5).item():.3f}")
    return {
        "program": (
            "X=[1,2,3,4,6,8], Y=[2,4,6,8,11,16] float32; w=tensor(0.0, requires_grad=True); "
            "loss=nn.MSELoss(); optimizer=optim.SGD([w], lr=0.01); f(5) printed before and after 20 epochs, "
            "each other epoch printed: print(f'epoch {epoch+1}: w = {w.item():.3f}, loss = {l.item():.8f}')"
        ),
        "fields": "printed: the lines the program prints.",
        "printed": printed,
    }

# ------------------------------------------------------------------------------ data loading

LOADER_SEEDS = [0, 42]
LOADER_SIZES = [10, 100]
LOADER_BATCH_SIZES = [3, 32]
LOADER_EPOCHS = 3


def loader_epochs(loader) -> list[list[list[int]]]:
    """The sample indices of every batch of LOADER_EPOCHS epochs (the dataset is arange(n))."""
    return [[xb.tolist() for (xb,) in loader] for _ in range(LOADER_EPOCHS)]


def data_loader() -> dict:
    from torch.utils.data import DataLoader, TensorDataset

    cases = {}
    for seed in LOADER_SEEDS:
        for n in LOADER_SIZES:
            for batch_size in LOADER_BATCH_SIZES:
                for shuffle in [False, True]:
                    for drop_last in [False, True]:
                        torch.manual_seed(seed)
                        dataset = TensorDataset(torch.arange(n))
                        loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
                        name = f"seed{seed}_n{n}_bs{batch_size}_shuffle{int(shuffle)}_droplast{int(drop_last)}"
                        cases[name] = {
                            "seed": seed,
                            "n": n,
                            "batch_size": batch_size,
                            "shuffle": shuffle,
                            "drop_last": drop_last,
                            "len": len(loader),
                            "epochs": loader_epochs(loader),
                            "rand_after": floats(torch.rand(2)),
                        }

    # iter() draws the base seed at once, the sampler its seed only at the first batch
    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=4, shuffle=True)
    it = iter(loader)
    between = floats(torch.rand(1))
    lazy = {"rand_between": between, "batches": [xb.tolist() for (xb,) in it], "rand_after": floats(torch.rand(1))}

    # a training loop's real order: data, model init, then epochs of shuffled mini-batches,
    # with a draw inside the loop (as dropout would) and one after each epoch
    training = {}
    for seed in LOADER_SEEDS:
        torch.manual_seed(seed)
        X = torch.rand(100, 1) * 10
        Y = 2 * X + 1 + torch.randn(100, 1)
        idx = torch.arange(100)
        model = nn.Linear(1, 1)
        init = {"weight": floats(model.weight), "bias": floats(model.bias)}
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        loss_fn = nn.MSELoss()
        loader = DataLoader(TensorDataset(X, Y, idx), batch_size=32, shuffle=True)
        batches, losses, inside, after_epoch = [], [], [], []
        for _ in range(LOADER_EPOCHS):
            for xb, yb, ib in loader:
                batches.append(ib.tolist())
                inside.append(f32(torch.rand(())))
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                losses.append(f32(loss))
            after_epoch.append(floats(torch.randn(3)))
        training[str(seed)] = {
            "x": floats(X),
            "y": floats(Y),
            "init": init,
            "batches": batches,
            "rand_inside": inside,
            "randn_after_epoch": after_epoch,
            "loss": losses,
            "weight": floats(model.weight),
            "bias": floats(model.bias),
        }

    return {
        "program": (
            "cases: torch.manual_seed(seed); loader = DataLoader(TensorDataset(torch.arange(n)), "
            "batch_size=..., shuffle=..., drop_last=...); 3 epochs of `for (xb,) in loader`; then "
            "torch.rand(2). lazy: torch.manual_seed(0); it = iter(DataLoader(TensorDataset("
            "torch.arange(10)), batch_size=4, shuffle=True)); torch.rand(1); the batches of it; "
            "torch.rand(1). training.<seed>: torch.manual_seed(seed); X = torch.rand(100,1)*10; "
            "Y = 2*X + 1 + torch.randn(100,1); model = nn.Linear(1,1); SGD lr 0.01; MSELoss; "
            "DataLoader(TensorDataset(X, Y, torch.arange(100)), batch_size=32, shuffle=True); 3 "
            "epochs, each batch: torch.rand(()) then forward, backward, step, zero_grad; after "
            "each epoch torch.randn(3)."
        ),
        "fields": (
            "cases.<name>: len(loader), epochs[e][b] = the sample indices of batch b of epoch e, "
            "rand_after = torch.rand(2) after the 3 epochs. lazy: rand_between (drawn between "
            "iter() and the first batch), batches, rand_after. training.<seed>: x, y, the Linear's "
            "init, batches (sample indices, every step of the 3 epochs), rand_inside (one per "
            "step), randn_after_epoch, loss per step, final weight and bias."
        ),
        "draw_order": (
            "per iter(loader): base_seed = torch.empty((), dtype=torch.int64).random_() at once "
            "(random64() % 2^63: two 32-bit draws); if shuffle, at the first next(): seed = the "
            "same draw, then torch.randperm(n, generator=torch.Generator().manual_seed(seed))."
        ),
        "cases": cases,
        "lazy": lazy,
        "training": training,
    }


# ------------------------------------------------------- lesson 07: mini-batches and validation

LESSON07_EPOCHS = 100  # full batch against mini-batches
LESSON07_VAL_EPOCHS = 2000  # Adam with a validation curve


def lesson07_minibatches() -> dict:
    # Lesson 07: lesson 06's wave and MLP, split by random_split into training and validation
    # halves, trained through DataLoaders (the code the lesson shows, line for line).
    from torch.utils.data import DataLoader, TensorDataset, random_split

    torch.manual_seed(0)
    X = torch.linspace(-3, 3, 200).reshape(-1, 1)
    Y = torch.sin(2 * X) + 0.1 * torch.randn(200, 1)
    dataset = TensorDataset(X, Y)
    x0, y0 = dataset[0]
    printed = [f"{len(dataset)} samples; the first: {x0} {y0}"]
    train_set, val_set = random_split(dataset, [100, 100])
    printed.append(f"{len(train_set)} for training, {len(val_set)} for validation; training indices {train_set.indices[:6]}")
    X_train, Y_train = X[train_set.indices], Y[train_set.indices]
    X_val, Y_val = X[val_set.indices], Y[val_set.indices]
    loader = DataLoader(train_set, batch_size=10, shuffle=True)
    xb, yb = next(iter(loader))
    printed.append(f"{len(loader)} batches per epoch; the first: {list(xb.shape)} {list(yb.shape)}")
    printed.append(str(xb.reshape(-1)))
    split = {
        "train_indices": list(train_set.indices),
        "val_indices": list(val_set.indices),
        "first_batch_x": floats(xb),
    }
    # random_split alone: torch.manual_seed(seed); the parts' indices; then torch.rand(2)
    # (one randperm of len(dataset) from the global stream, cut in order)
    split_cases = {}
    for seed in [0, 42]:
        for n, lengths in [(10, [6, 4]), (7, [1, 2, 4]), (200, [160, 40]), (5, [5, 0])]:
            torch.manual_seed(seed)
            parts = random_split(TensorDataset(torch.arange(n)), lengths)
            split_cases[f"seed{seed}_n{n}_{'_'.join(map(str, lengths))}"] = {
                "seed": seed,
                "lengths": lengths,
                "indices": [list(p.indices) for p in parts],
                "rand_after": floats(torch.rand(2)),
            }

    def make_mlp():
        torch.manual_seed(1)
        return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))

    loss_fn = nn.MSELoss()

    def evaluate(model, X, Y):
        with torch.no_grad():
            return loss_fn(model(X), Y).item()

    def train(model, optimizer, loader, epochs):
        steps, train_losses, val_losses = [], [], []
        for _ in range(epochs):
            for xb, yb in loader:
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                steps.append(f32(loss))
            train_losses.append(f32(evaluate(model, X_train, Y_train)))
            val_losses.append(f32(evaluate(model, X_val, Y_val)))
        return steps, train_losses, val_losses

    runs = {}
    for name, batch_size, shuffle in [("full_batch", 100, False), ("minibatch", 10, True)]:
        model = make_mlp()
        loader = DataLoader(train_set, batch_size=batch_size, shuffle=shuffle)
        steps, train_losses, val_losses = train(model, torch.optim.SGD(model.parameters(), lr=0.05), loader, LESSON07_EPOCHS)
        runs[name] = {"steps": steps, "train": train_losses, "val": val_losses}
        label = "full batch" if name == "full_batch" else "mini-batch"
        printed.append(f"{label:>10}: {len(steps)} steps, training loss after {LESSON07_EPOCHS} epochs {train_losses[-1]:.4f}")

    model = make_mlp()
    loader = DataLoader(train_set, batch_size=100)
    _, train_losses, val_losses = train(model, torch.optim.Adam(model.parameters(), lr=0.01), loader, LESSON07_VAL_EPOCHS)
    best = min(range(LESSON07_VAL_EPOCHS), key=lambda e: val_losses[e])
    printed.append(f"lowest validation loss {val_losses[best]:.4f} at epoch {best + 1} (training loss {train_losses[best]:.4f})")
    printed.append(f"after {LESSON07_VAL_EPOCHS} epochs: training {train_losses[-1]:.4f}, validation {val_losses[-1]:.4f}")
    runs["adam"] = {"train": train_losses, "val": val_losses, "best_epoch": best + 1}
    return {
        "program": (
            "lesson 06's data (torch.manual_seed(0); X = torch.linspace(-3,3,200).reshape(-1,1); "
            "Y = torch.sin(2*X) + 0.1*torch.randn(200,1)); dataset = TensorDataset(X, Y); "
            "train_set, val_set = random_split(dataset, [100, 100]); next(iter(DataLoader(train_set, "
            "batch_size=10, shuffle=True))); lesson 06's make_mlp (seed 1, 1-32-32-1 Tanh); train: per "
            "epoch, for xb, yb in loader: MSELoss, backward, step, zero_grad; then the MSE on the "
            "training and validation sets under no_grad. full_batch: SGD lr 0.05, DataLoader(train_set, "
            "batch_size=100), 100 epochs; minibatch: SGD lr 0.05, batch_size=10, shuffle=True, 100 "
            "epochs; adam: Adam lr 0.01, batch_size=100, 2000 epochs."
        ),
        "fields": (
            "split: the indices random_split gives and the first shuffled batch's x; random_split: "
            "torch.manual_seed(seed), random_split(TensorDataset(torch.arange(n)), lengths), each "
            "part's indices, then torch.rand(2); per run: steps "
            "(the loss of every step's batch), train and val (the whole sets' losses after each "
            "epoch); adam.best_epoch: the epoch (from 1) of the lowest validation loss; printed: "
            "what the lesson's PyTorch code prints."
        ),
        "split": split,
        "random_split": split_cases,
        **runs,
        "printed": printed,
    }


INTERNAL = {"draws_default": lambda: draws([0, 42])}

# ------------------------------------------------------------------------------ the registry

def lesson08_neuron() -> dict:
    # Lesson 08: micrograd's neuron, o = tanh(x1*w1 + x2*w2 + b), in float32.
    x1, x2, w1, w2, b = (
        torch.tensor(v, dtype=torch.float32, requires_grad=True)
        for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    )
    o = torch.tanh(x1 * w1 + x2 * w2 + b)
    o.backward()
    leaves = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
    return {
        "program": (
            "x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432 as float32 tensors with "
            "requires_grad=True; o = torch.tanh(x1*w1 + x2*w2 + b); o.backward()"
        ),
        "fields": "o: the output; grad: each leaf's .grad after backward, in the order x1, x2, w1, w2, b.",
        "o": f32(o),
        "grad": [f32(t.grad) for t in leaves.values()],
        "printed": [str(o), str([t.grad.item() for t in leaves.values()])],
    }


def lesson02_autograd() -> dict:
    # Lesson 02's PyTorch cells, in the lesson's order: the prints beside its cells, the broadcast
    # of w (shape []) over X (shape [4]) and its gradient summed back, and gradcheck, whose
    # float64 w alone does not promote the float32 X and Y (a 0-d tensor does not set the dtype
    # of dimensioned ones): the loss stays float32 and the default step fails the check.
    X = torch.tensor([1, 2, 3, 4], dtype=torch.float32)
    Y = torch.tensor([2, 4, 6, 8], dtype=torch.float32)
    w = torch.tensor(0.0, dtype=torch.float32, requires_grad=True)
    lines = [str(w)]
    y_hat = w * X
    l = ((Y - y_hat) ** 2).mean()
    lines += [str(y_hat), str(l)]
    l.backward()
    lines.append(str(w.grad))
    # the broadcast section
    w_b = torch.tensor(0.0, requires_grad=True)
    y_hat_b = w_b * X
    y_hat_b.retain_grad()
    ((Y - y_hat_b) ** 2).mean().backward()
    g_hat = y_hat_b.grad
    lines.append(f"{list(w_b.shape)} {list(X.shape)} {list(y_hat_b.shape)}")
    lines += [str(g_hat), str(g_hat * X), f"{str((g_hat * X).sum())} {str(w_b.grad)}"]
    with torch.no_grad():
        w -= 0.01 * w.grad
    lines.append(str(w))

    from torch.autograd.gradcheck import GradcheckError  # the module, not the function

    def loss(w, x, y):
        return ((y - w * x) ** 2).mean()

    gradcheck = {}
    for name, (x, y) in {"float32_data": (X, Y), "double_data": (X.double(), Y.double())}.items():
        w64 = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        try:
            passed = torch.autograd.gradcheck(lambda w: loss(w, x, y), (w64,))
            numerical = None
        except GradcheckError as error:
            passed = False
            numerical = float(str(error).split("numerical:tensor([[")[1].split("]]")[0])
        gradcheck[name] = {"loss_dtype": str(loss(w64, x, y).dtype), "passed": passed, "numerical": numerical}
    return {
        "program": (
            "X=[1,2,3,4], Y=[2,4,6,8] float32, w=tensor(0.0, requires_grad=True): print w, "
            "y_hat=w*X, l=((Y-y_hat)**2).mean(), l.backward(), w.grad; the broadcast: a fresh "
            "w, y_hat=w*X with retain_grad(), the same loss, backward, the shapes, y_hat.grad, "
            "y_hat.grad*X, its sum and w.grad; the first update under no_grad; "
            "torch.autograd.gradcheck(lambda w: ((Y - w*X)**2).mean(), (w64,)) at w64 = "
            "tensor(0.0, float64), with X, Y as they are and with X.double(), Y.double()"
        ),
        "fields": (
            "printed: the lines the cells print, in the lesson's order (shapes as lists); "
            "broadcast: y_hat.grad and w.grad; gradcheck: per variant the loss dtype, whether "
            "gradcheck passed, and the numerical derivative it reports when it fails (float64; "
            "the analytical one is -30)."
        ),
        "printed": lines,
        "broadcast": {"y_hat_grad": floats(g_hat), "w_grad": f32(w_b.grad)},
        "gradcheck": gradcheck,
    }


FILES = {
    "seed_autograd_w.json": seed_autograd_w,
    "manual_numpy.json": manual_numpy,
    "optim_sgd.json": optim_sgd,
    "linear_module.json": linear_module,
    "random_draws.json": random_draws,
    "lesson01_numpy_10.json": lesson01_numpy_10,
    "lesson03_rand_weight.json": lesson03_rand_weight,
    "lesson04_linear_seeded.json": lesson04_linear_seeded,
    "lesson04_walkthrough.json": lesson04_walkthrough,
    "lesson05_noisy.json": lesson05_noisy,
    "lesson06_mlp.json": lesson06_mlp,
    "lesson06_noise_floor.json": lesson06_noise_floor,
    "lesson03_sgd_loop.json": lesson03_sgd_loop,
    "lesson07_minibatches.json": lesson07_minibatches,
    "lesson08_neuron.json": lesson08_neuron,
    "data_loader.json": data_loader,
    "lesson02_autograd.json": lesson02_autograd,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="NAME", help="write only this file of FILES")
    parser.add_argument("--internal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.internal:
        print(json.dumps(INTERNAL[args.internal]()))
        return
    found = {"torch": torch.__version__.split("+")[0], "numpy": np.__version__}
    if found != PINNED:
        sys.exit(f"make_reference.py needs {PINNED} (bench/requirements.txt), found {found}")
    names = [args.only] if args.only else list(FILES)
    for name in names:
        if name not in FILES:
            sys.exit(f"unknown file {name!r}; make_reference.py writes {', '.join(FILES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        write(name, FILES[name]())


if __name__ == "__main__":
    main()
