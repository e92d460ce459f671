"""Every lesson is also an example (`cargo run --example 02_autograd`) for people without Jupyter.
This keeps the two in agreement: each line an example prints must appear, in the same order,
among the lines the notebook's committed outputs print. And the lines the lesson's PyTorch
programs print (autograd-core/tests/reference/, reference_checks.PRINTED) must appear there too,
in order: the notebook prints what the PyTorch code beside it prints; and the numbers its prose
quotes from PyTorch runs (reference_checks.QUOTED) must appear in its markdown. Prints "N passed, M failed"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

import reference_checks

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "autograd-core" / "examples"


def notebook_lines(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "stream" and out.name == "stdout":
                lines += out.text.splitlines()
    return lines


def notebook_markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def missing_line(example: list[str], notebook: list[str]) -> str | None:
    """The first example line not found (in order) in the notebook's lines."""
    position = 0
    for line in example:
        try:
            position = notebook.index(line, position) + 1
        except ValueError:
            return line
    return None


def main() -> int:
    passed = failed = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        name = path.stem
        if not (EXAMPLES / f"{name}.rs").exists():
            print(f"{name}: FAILED, no example autograd-core/examples/{name}.rs")
            failed += 1
            continue
        run = subprocess.run(
            # Release: lesson 06 trains an MLP for thousands of steps (10 minutes unoptimised).
            ["cargo", "run", "--release", "--quiet", "--example", name], cwd=ROOT, capture_output=True, text=True
        )
        if run.returncode != 0:
            print(f"{name}: FAILED, the example exited with {run.returncode}\n{run.stderr[-2000:]}")
            failed += 1
            continue
        lines = run.stdout.splitlines()
        missing = missing_line(lines, notebook_lines(path))
        pytorch = reference_checks.printed_problem(name, notebook_lines(path)) or reference_checks.quoted_problem(
            name, notebook_markdown(path)
        )
        if pytorch is not None:
            print(f"{name}: FAILED, {pytorch}")
            failed += 1
        elif missing is None:
            print(f"{name}: the example's {len(lines)} lines appear in the notebook, in order")
            passed += 1
        else:
            print(f"{name}: FAILED, the example prints a line the notebook does not (in this order):\n    {missing}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
