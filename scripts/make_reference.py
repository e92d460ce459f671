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

import numpy as np
import torch
from torch import nn

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
        "fields": "w_init, b_init: the seeded initial weight and bias; per iteration: loss, and w, b after the step. f5_after = model(tensor([5.])).",
        "w_init": w_init,
        "b_init": b_init,
        "w": ws,
        "b": bs,
        "loss": losses,
        "f5_after": f32(model(X_test)),
        "printed": printed,
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
            "x, y_noisy: the data; clean/noisy: per epoch loss; w, b before training and after "
            "each epoch (501 values); printed: the loss every 100 epochs and the final w and b."
        ),
        "x": floats(X),
        "y_noisy": floats(Y_noisy),
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
    printed = []
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


INTERNAL = {"draws_default": lambda: draws([0, 42])}

# ------------------------------------------------------------------------------ the registry

FILES = {
    "random_draws.json": random_draws,
    "lesson01_numpy_10.json": lesson01_numpy_10,
    "lesson03_rand_weight.json": lesson03_rand_weight,
    "lesson04_linear_seeded.json": lesson04_linear_seeded,
    "lesson04_walkthrough.json": lesson04_walkthrough,
    "lesson05_noisy.json": lesson05_noisy,
    "lesson06_mlp.json": lesson06_mlp,
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
