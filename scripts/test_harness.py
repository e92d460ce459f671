"""Self-test of scripts/run_notebooks.py, with the real evcxr kernel.

    .venv/bin/python scripts/test_harness.py

One throwaway notebook, written to a temp dir (never into notebooks/), holds a clean
cell that defines a variable, a panic in a cell that uses it, a compile error and a cell
after them that uses the variable again (a learner's state must survive a panic). It is run once through the
command line with --update, in one kernel whose working directory is notebooks/ (so
it uses evcxr.toml and the warm build folder, as the lessons do). Its recorded outputs
then show whether the harness judges each case right: untagged panics and errors
fail, tagged ones pass, a tagged cell that runs cleanly fails, and stale outputs fail
--check with a diff.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_notebooks as rn  # noqa: E402

CLEAN, PANIC, COMPILE_ERROR, AFTER = range(4)
failures: list[str] = []


def check(condition: bool, what: str) -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {what}")
    if not condition:
        failures.append(what)


def tagged(cell, tags: list[str]):
    cell = copy.deepcopy(cell)
    cell.metadata["tags"] = tags
    return cell


def main() -> int:
    nb = new_notebook(cells=[
        new_code_cell('let kept = vec![1.5f32, 2.5];\nprintln!("hello");'),
        new_code_cell('if kept.len() == 2 { panic!("boom"); }', metadata={"tags": [rn.TAG]}),
        new_code_cell('let n: i32 = "not a number";', metadata={"tags": [rn.TAG]}),
        new_code_cell('println!("still alive, kept = {kept:?}");'),
    ])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "harness.ipynb"
        nbformat.write(nb, path)
        run = subprocess.run(
            [sys.executable, str(Path(rn.__file__)), "--update",
             "--times", str(Path(tmp) / "times.json"), str(path)],
            capture_output=True, text=True,
        )
        print(run.stdout + run.stderr)
        check(run.returncode == 0, "--update passes when the panic and the error are tagged")
        check(run.stdout.splitlines()[-1:] == ["1 passed, 0 failed"], "closing line '1 passed, 0 failed'")
        ran = nbformat.read(path, as_version=4)

    cells = ran.cells
    out = lambda i: "\n".join(rn.render(cells[i].outputs))  # noqa: E731
    check("hello" in out(CLEAN), "stdout is recorded")
    check("panicked at" in out(PANIC) and "boom" in out(PANIC), "the panic shows on stderr")
    check("[error" in out(COMPILE_ERROR), "the compile error is an error output")
    check("still alive" in out(AFTER), "the kernel survives the panic and the error")
    check("kept = [1.5, 2.5]" in out(AFTER),
          "a variable defined before the panic survives it, though the panicking cell used it")

    problem = rn.cell_problem(tagged(cells[PANIC], []), "ok")
    check(problem is not None and "boom" in problem, f"an untagged panic fails: {problem}")
    problem = rn.cell_problem(tagged(cells[COMPILE_ERROR], []), "error")
    check(problem is not None and problem.startswith("error"), f"an untagged error fails: {problem}")
    problem = rn.cell_problem(tagged(cells[CLEAN], [rn.TAG]), "ok")
    check(problem is not None and rn.TAG in problem, f"a tagged clean cell fails: {problem}")
    check(rn.cell_problem(cells[CLEAN], "ok") is None, "an untagged clean cell passes")

    check(rn.first_difference(ran, ran) is None, "identical outputs pass --check")
    stale = copy.deepcopy(ran)
    stale.cells[CLEAN].outputs[0].text = "hallo\n"
    report = rn.first_difference(stale, ran) or ""
    check(report.startswith(f"cell {CLEAN} ") and "-hallo" in report and "+hello" in report,
          "stale stdout fails --check with a diff")
    rerun = copy.deepcopy(ran)  # a panic's thread id and backtrace differ between runs
    for out in rerun.cells[PANIC].outputs:
        if out.output_type == "stream":
            out.text = re.sub(r"' \(\d+\) panicked", "' (4242) panicked", out.text)
            out.text = out.text.replace("stack backtrace:\n", "stack backtrace:\n   0: <unknown>\n")
    check(rerun.cells[PANIC].outputs != ran.cells[PANIC].outputs
          and rn.first_difference(ran, rerun) is None,
          "another thread id and backtrace in a panic still pass --check")
    stale = copy.deepcopy(ran)
    stale.cells[PANIC].outputs = []
    check((rn.first_difference(stale, ran) or "").startswith(f"cell {PANIC} "),
          "missing panic output fails --check")

    lesson = rn.NOTEBOOKS / "07_inside_backward.ipynb"  # links are resolved from the notebook's folder
    linked = new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "[the tape](../autograd-core/src/autograd.rs), [micrograd](https://github.com/karpathy/micrograd)")])
    check(rn.link_problem(linked, lesson) is None, "links to a file of the repository and to the web pass")
    linked.cells[0].source = "[moved](../autograd-core/src/no_such_file.rs)"
    check("no_such_file.rs leads to no file" in (rn.link_problem(linked, lesson) or ""),
          "a link to a file that does not exist fails")

    print(f"\nharness self-test: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
