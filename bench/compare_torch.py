"""The training-step benchmark of autograd-core, in PyTorch and NumPy, side by side.

Runs the cases of `autograd-core/benches/training_step.rs` in PyTorch (eager, one thread) and
the linear cases as a hand-written NumPy loop, and prints the median time per step. With
`--with-rust` it first runs the Rust benchmark (`cargo bench`) and prints both in one table
with the ratios, all measured in the same run. With `--with-peers` it runs the peers benchmark
instead (`bench/peers`: autograd-core, candle and burn in one process, their losses checked
against each other) and prints one table of all five, with the memory-bandwidth limit measured
in the same run.

    python bench/compare_torch.py                # PyTorch and NumPy only
    python bench/compare_torch.py --with-rust    # plus the Rust benchmark, side by side
    python bench/compare_torch.py --with-peers   # plus autograd-core, candle and burn (make bench-peers)
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
    """Runs the Rust benchmark; returns {case: {"ours": seconds per step}}."""
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
            rust[name] = {"ours": int(ns) * 1e-9}
    return rust


def run_peers(quick, filters):
    """Runs bench/peers (autograd-core, candle, burn; it stops if their losses disagree);
    returns ({case: {library: seconds per step}}, {case: largest relative loss difference})."""
    cmd = ["cargo", "run", "--release", "--quiet", "--manifest-path", "bench/peers/Cargo.toml"]
    cmd += ["--", "--tsv"] + (["--quick"] if quick else []) + filters
    print("$ " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    print(out.splitlines()[0], flush=True)
    peers, checks = {}, {}
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == "TSV":
            peers.setdefault(fields[1], {})[fields[2]] = int(fields[3]) * 1e-9
        elif fields[0] == "CHECK":
            checks[fields[1]] = float(fields[2])
    return peers, checks


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
    parser.add_argument(
        "--with-peers", action="store_true", help="also run autograd-core, candle and burn"
    )
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("filter", nargs="*", help="only cases whose name contains one of these")
    args = parser.parse_args()

    rust, checks, libs = {}, {}, []
    if args.with_peers:
        rust, checks = run_peers(args.quick, args.filter)
        libs = ["ours", "candle", "burn"]
    elif args.with_rust:
        rust = run_rust(args.quick)
        libs = ["ours"]

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
    if not args.with_peers:
        cases.append((f"fused_mlp/{MLP_N}", None, None))
    cases.append(("op_add_1elem/no_grad", torch and (lambda: torch_op_add(False)), None))
    cases.append(("op_add_1elem/fwd_bwd", torch and (lambda: torch_op_add(True)), None))
    if args.with_peers:
        # The memory-bandwidth limit: one pass reading x and y (bench/peers' read_xy).
        cases += [(f"read_xy/{n}", None, None) for n in SIZES]

    names = {"ours": "Rust" if args.with_rust else "ours"}
    columns = [names.get(lib, lib) for lib in libs] + ["PyTorch", "NumPy"]
    ratios = [f"{c}/ours" for c in columns[1:-1]] if args.with_peers else ["PyTorch/Rust"]
    header = f"{'case':<24}" + "".join(f"{c:>10}" for c in columns)
    header += "".join(f"{r:>14}" for r in ratios) + (f"{'loss check':>12}" if checks else "")
    print("\n" + header + "\n" + "-" * len(header), flush=True)
    results = {}
    for name, make_torch, make_numpy in cases:
        if args.filter and not any(f in name for f in args.filter):
            continue
        t = measure(make_torch(), **settings)[0] if make_torch else None
        np_t = measure(make_numpy(), **settings)[0] if make_numpy else None
        times = [rust.get(name, {}).get(lib) for lib in libs] + [t, np_t]
        if not any(times):
            continue
        results[name] = dict(zip(columns, times))
        ours = times[0] if libs else None
        line = f"{name:<24}" + "".join(f"{fmt(x):>10}" for x in times)
        for other in times[1:-1] if args.with_peers else [t]:
            line += f"{f'{other / ours:.1f}x' if (ours and other) else '-':>14}"
        if checks:
            line += f"{f'{checks[name]:.0e}' if name in checks else '-':>12}"
        print(line, flush=True)

    if args.with_peers:
        limit = results.get("read_xy/1000000", {}).get("ours")
        step = results.get("linear_module/1000000", {})
        if limit:
            print(
                f"\nmemory-bandwidth limit: reading x and y once (8 MB) takes {fmt(limit)}"
                f" ({8e6 / limit / 1e9:.0f} GB/s); linear_module/1000000 takes, in that limit:"
                + "".join(
                    f" {lib} {step[lib] / limit:.1f}x," for lib in columns[:4] if step.get(lib)
                ).rstrip(",")
            )
        if checks:
            print(
                f"loss check: every library's losses over the first steps agree with ours to"
                f" {max(checks.values()):.0e} (relative) at worst"
            )
    elif rust:
        # How far each Rust autograd case is from its own hand-written loop and from NumPy's.
        print(f"\n{'case':<24} {'Rust/Rust fused':>16} {'Rust/NumPy fused':>17}")
        for name, r in results.items():
            kind, n = name.split("/")
            if r["Rust"] is None or kind not in ("linear_module", "raw_tensors", "mlp_1-64-64-1"):
                continue
            fused_name = "fused_mlp/" + n if kind.startswith("mlp") else "fused_loop/" + n
            rf = results.get(fused_name, {})
            rust_fused = f"{r['Rust'] / rf['Rust']:.1f}x" if rf.get("Rust") else "-"
            vs_numpy = f"{r['Rust'] / rf['NumPy']:.1f}x" if rf.get("NumPy") else "-"
            print(f"{name:<24} {rust_fused:>16} {vs_numpy:>17}")


if __name__ == "__main__":
    sys.exit(main())
