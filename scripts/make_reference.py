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


INTERNAL = {"draws_default": lambda: draws([0, 42])}

# ------------------------------------------------------------------------------ the registry

FILES = {
    "random_draws.json": random_draws,
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
