"""The numbers each lesson claims, checked against PyTorch's own traces.

After a lesson's cells have run, the harness runs one more cell in the same kernel (a probe,
not saved in the notebook) that prints the lesson's variables as JSON, and compares them here
with the reference traces in ../shared/reference/ (see its README). The references are never
copied into the notebooks; a lesson whose numbers drift from PyTorch fails the test.

Every value is compared as float32 bits: the lessons reproduce PyTorch exactly. Only the
tutorial's np.dot run (BLAS sums in its own order) is compared within relative 1e-5.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"

# lesson stem -> (probe code, reference file, [(probe key, reference path, how)])
# A reference path is a list of keys; an int index picks from a list (-1: the last epoch).
CHECKS = {
    "01_manual_gradients": (
        'println!("{{\\"losses\\": {:?}, \\"w\\": {:?}, \\"losses_tutorial\\": {:?}, \\"w_tutorial\\": {:?}}}",'
        " losses, w, losses_tutorial, w_tutorial);",
        "manual_numpy.json",
        [
            ("losses", ["runs", "corrected_mean_iters_20", "loss"], "bits"),
            ("w", ["runs", "corrected_mean_iters_20", "w", -1], "bits"),
            ("losses_tutorial", ["runs", "tutorial_np_dot_iters_20", "loss"], "rel"),
            ("w_tutorial", ["runs", "tutorial_np_dot_iters_20", "w", -1], "rel"),
        ],
    ),
    "02_autograd": (
        'println!("{{\\"losses\\": {:?}, \\"grads\\": {:?}, \\"losses_100\\": {:?}, \\"w_100\\": {:?}, \\"f5_100\\": {:?}}}",'
        " losses, grads, losses_100, w.item(), (&w * 5.0).item());",
        "seed_autograd_w.json",
        [
            ("losses", ["runs", "iters_20", "loss"], "bits"),
            ("grads", ["runs", "iters_20", "grad"], "bits"),
            ("losses_100", ["runs", "iters_100", "loss"], "bits"),
            ("w_100", ["runs", "iters_100", "w", -1], "bits"),
            ("f5_100", ["runs", "iters_100", "f5_after"], "bits"),
        ],
    ),
    "03_loss_and_optimizer": (
        'println!("{{\\"losses\\": {:?}, \\"w\\": {:?}, \\"f5\\": {:?}}}",'
        " losses, w.item(), forward(&w, &tensor!(5.0)).item());",
        "optim_sgd.json",
        [
            ("losses", ["result", "loss"], "bits"),
            ("w", ["result", "w", -1], "bits"),
            ("f5", ["result", "f5_after"], "bits"),
        ],
    ),
    "04_module": (
        'println!("{{\\"losses\\": {:?}, \\"w\\": {:?}, \\"b\\": {:?}, \\"f5\\": {:?}}}",'
        " losses, model.lin.weight.item(), model.lin.bias.item(),"
        " model.forward(&tensor!([5.0])).item());",
        "linear_module.json",
        [
            ("losses", ["cases", "w-0.5_b0.25", "loss"], "bits"),
            ("w", ["cases", "w-0.5_b0.25", "w", -1], "bits"),
            ("b", ["cases", "w-0.5_b0.25", "b", -1], "bits"),
            ("f5", ["cases", "w-0.5_b0.25", "f5_after"], "bits"),
        ],
    ),
}


def probe_for(stem: str) -> str | None:
    check = CHECKS.get(stem)
    return check[0] if check else None


def f32(value: float) -> float:
    """The float32 nearest to value (both sides are exact float32s widened to double)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def lookup(data, path):
    for key in path:
        data = data[key]
    return data


def compare(stem: str, probe_stdout: str) -> str | None:
    """None if the lesson's numbers match the reference, else what differs."""
    _, file, fields = CHECKS[stem]
    path = REFERENCE / file
    if not path.exists():
        return f"PyTorch reference {file} not found in shared/reference beside the repo"
    reference = json.loads(path.read_text())
    try:
        ours = json.loads(probe_stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return f"the reference probe printed no JSON: {probe_stdout.strip()[:300]!r}"
    for key, ref_path, how in fields:
        theirs = lookup(reference, ref_path)
        mine = ours[key]
        mine_list = mine if isinstance(mine, list) else [mine]
        theirs_list = theirs if isinstance(theirs, list) else [theirs]
        where = f"{key} vs {file}:{'/'.join(map(str, ref_path))}"
        if len(mine_list) != len(theirs_list):
            return f"{where}: {len(mine_list)} values, PyTorch has {len(theirs_list)}"
        for i, (a, b) in enumerate(zip(mine_list, theirs_list)):
            a, b = f32(a), f32(b)
            rel = abs(a - b) / max(abs(b), 1e-30)
            if (how == "bits" and a != b) or (how == "rel" and rel > 1e-5):
                return f"{where}[{i}]: lesson {a!r}, PyTorch {b!r} (relative error {rel:.2e}, compared as {how})"
    return None
