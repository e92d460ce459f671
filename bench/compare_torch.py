"""The training-step benchmark of autograd-core, in PyTorch and NumPy, side by side.

Runs the cases of `autograd-core/benches/training_step.rs` in PyTorch (eager, one thread) and
the linear cases as a hand-written NumPy loop, and prints the median time per step. With
`--with-rust` it first runs the Rust benchmark (`cargo bench`) and prints both in one table
with the ratios, all measured in the same run.

    python bench/compare_torch.py                # PyTorch and NumPy only
    python bench/compare_torch.py --with-rust    # plus the Rust benchmark, side by side
    python bench/compare_torch.py --quick        # shorter measurements

Set-up (once; torch is large): see bench/README.md, or

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -r bench/requirements.txt
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

try:
    import torch
except ImportError:  # NumPy cases still run
    torch = None

SIZES = [100, 10_000, 1_000_000]
MLP_N = 1000
MLP_HIDDEN = 64
LR = 0.01
ROOT = Path(__file__).resolve().parent.parent


def measure(step, warm_up=0.2, batches=11, batch_time=0.04):
    """Median and minimum seconds per step: warm-up, then `batches` timed batches of many steps."""
    start = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - start < warm_up:
        step()
        n += 1
    per_step = (time.perf_counter() - start) / n
    steps = max(1, int(batch_time / per_step))
    times = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - t) / steps)
    return statistics.median(times), min(times)


def line_data(n):
    rng = np.random.default_rng(0)
    x = rng.random(n, dtype=np.float32)
    y = (2 * x + 1 + 0.1 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32)
    return x, y


# ----- PyTorch ------------------------------------------------------------------------------------


def torch_linear_module(n):
    x, y = (torch.from_numpy(a).reshape(n, 1) for a in line_data(n))
    torch.manual_seed(1)
    return torch_module_step(torch.nn.Linear(1, 1), x, y)


def torch_module_step(model, x, y):
    """One training step of `model` on (x, y): forward, MSELoss, backward, SGD step, zero_grad."""
    loss = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        l = loss(model(x), y)
        l.backward()
        optimizer.step()
        optimizer.zero_grad()

    return step


def torch_raw_tensors(n):
    x, y = (torch.from_numpy(a) for a in line_data(n))
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)

    def step():
        y_hat = w * x + b
        l = ((y_hat - y) ** 2).mean()
        l.backward()
        with torch.no_grad():
            for p in (w, b):
                p -= p.grad * LR
                p.grad = None

    return step


def torch_mlp():
    torch.manual_seed(0)
    x = torch.rand(MLP_N, 1)
    y = torch.tanh(x * 6)
    model = torch.nn.Sequential(
        torch.nn.Linear(1, MLP_HIDDEN),
        torch.nn.Tanh(),
        torch.nn.Linear(MLP_HIDDEN, MLP_HIDDEN),
        torch.nn.Tanh(),
        torch.nn.Linear(MLP_HIDDEN, 1),
    )
    return torch_module_step(model, x, y)


def torch_op_add(requires_grad):
    a = torch.tensor([1.0], requires_grad=requires_grad)
    b = torch.tensor([2.0], requires_grad=requires_grad)

    def step():
        c = a + b
        if requires_grad:
            c.backward()
            a.grad = None
            b.grad = None

    return step


# ----- NumPy: the same linear-regression step written by hand -------------------------------------


def numpy_fused(n):
    x, y = line_data(n)
    params = {"w": np.float32(0.0), "b": np.float32(0.0)}

    def step():
        w, b = params["w"], params["b"]
        d = w * x + b - y  # l = mean(d^2);  dl/dw = mean(2 d x),  dl/db = mean(2 d)
        loss = np.dot(d, d) / n
        params["w"] = w - LR * 2 * np.dot(d, x) / n
        params["b"] = b - LR * 2 * d.sum() / n
        return loss

    return step


# ----- the run ------------------------------------------------------------------------------------


def run_rust(quick):
    """Runs the Rust benchmark; returns {case: seconds per step}."""
    cmd = ["cargo", "bench", "-p", "autograd-core", "--bench", "training_step", "--", "--tsv"]
    if quick:
        cmd.append("--quick")
    print("$ " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    print(out.split("\nTSV")[0].rstrip() + "\n", flush=True)
    rust = {}
    for line in out.splitlines():
        if line.startswith("TSV\t"):
            _, name, ns = line.split("\t")
            rust[name] = int(ns) * 1e-9
    return rust


def fmt(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.2f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--with-rust", action="store_true", help="also run the Rust benchmark")
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("filter", nargs="*", help="only cases whose name contains one of these")
    args = parser.parse_args()

    rust = run_rust(args.quick) if args.with_rust else {}

    settings = dict(warm_up=0.02, batches=5, batch_time=0.01) if args.quick else {}
    if torch is not None:
        torch.set_num_threads(1)
        print(f"torch {torch.__version__}, numpy {np.__version__}, 1 thread", flush=True)
    else:
        print(f"torch not installed: NumPy only (numpy {np.__version__})", flush=True)

    # (case name as in the Rust benchmark, PyTorch step, NumPy step)
    cases = []
    for n in SIZES:
        cases.append((f"linear_module/{n}", torch and (lambda n=n: torch_linear_module(n)), None))
        cases.append((f"raw_tensors/{n}", torch and (lambda n=n: torch_raw_tensors(n)), None))
        cases.append((f"fused_loop/{n}", None, lambda n=n: numpy_fused(n)))
    cases.append((f"mlp_1-64-64-1/{MLP_N}", torch and torch_mlp, None))
    cases.append((f"fused_mlp/{MLP_N}", None, None))
    cases.append(("op_add_1elem/no_grad", torch and (lambda: torch_op_add(False)), None))
    cases.append(("op_add_1elem/fwd_bwd", torch and (lambda: torch_op_add(True)), None))

    header = f"{'case':<24} {'Rust':>10} {'PyTorch':>10} {'NumPy':>10} {'PyTorch/Rust':>13}"
    print("\n" + header + "\n" + "-" * len(header), flush=True)
    results = {}
    for name, make_torch, make_numpy in cases:
        if args.filter and not any(f in name for f in args.filter):
            continue
        t = measure(make_torch(), **settings)[0] if make_torch else None
        np_t = measure(make_numpy(), **settings)[0] if make_numpy else None
        r = rust.get(name)
        results[name] = (r, t, np_t)
        ratio = f"{t / r:.1f}x" if (r and t) else "-"
        print(f"{name:<24} {fmt(r):>10} {fmt(t):>10} {fmt(np_t):>10} {ratio:>13}", flush=True)

    if rust:
        # How far each Rust autograd case is from its own hand-written loop and from NumPy's.
        print(f"\n{'case':<24} {'Rust/Rust fused':>16} {'Rust/NumPy fused':>17}")
        for name, (r, _, _) in results.items():
            kind, n = name.split("/")
            if r is None or kind not in ("linear_module", "raw_tensors", "mlp_1-64-64-1"):
                continue
            fused_name = "fused_mlp/" + n if kind.startswith("mlp") else "fused_loop/" + n
            rf = results.get(fused_name, (None, None, None))
            rust_fused = f"{r / rf[0]:.1f}x" if rf[0] else "-"
            numpy_fused_t = rf[2]
            vs_numpy = f"{r / numpy_fused_t:.1f}x" if numpy_fused_t else "-"
            print(f"{name:<24} {rust_fused:>16} {vs_numpy:>17}")


if __name__ == "__main__":
    sys.exit(main())
