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

A second throwaway notebook runs the crate in the same kind of kernel, across cells, where a
notebook differs from a test program: a tensor drawn in one cell and walked by backward() in
the next, the same leaf through backward() in several cells, a custom op (a `Function`)
defined in a cell, the seed in one cell and the draws in the next, anomaly mode set in one
cell, and a graph built over two cells (evcxr links a copy of the crate, with its own statics, into every cell). Its printed values are checked against PyTorch's, which follow exactly from
the printed inputs (each check says how).

Last, the kernel's head start (scripts/evcxr_kernel.py): the code it has analysed, a kernel that
keeps working after a head start on bad code, and lesson 02's first three cells after 15 s of
reading, timed against the load of the moment and with their committed outputs
(scripts/first_minute.py, one round; `make first-minute` compares with and without).
"""

from __future__ import annotations

import copy
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
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


# A notebook's cells that use the crate: PyTorch's semantics across cells (issue 16).
BACKWARD_CELLS = [
    ':dep autograd-core = { path = "../autograd-core", features = ["plot"] }\n'
    'use autograd_core::prelude::*;',
    # Seed and draw in one cell ...
    'manual_seed(0);\n'
    'let w = Tensor::rand(&[3]).requires_grad_(true);\n'
    'let x = tensor!([1.0, 2.0, 3.0]);\n'
    'let l = (&w * &x).sum();',
    # ... backward in the next.
    'l.backward();\n'
    'println!("w {:?}", w.to_vec());\n'
    'println!("grad {:?}", w.grad().unwrap().to_vec());',
    # The same leaf through backward() in another cell.
    '(&w * &w).sum().backward();\n'
    'println!("grad {:?}", w.grad().unwrap().to_vec());',
    # The program of issue 16, one step per cell.
    'let v = tensor!(1.0).requires_grad_(true);\n'
    'let b = tensor!(0.5).requires_grad_(true);\n'
    'let l2 = (&(&v * &x) + &b).sum();\n'
    'v.requires_grad_(false);',
    'l2.backward();\n'
    'println!("v.grad {:?} b.grad {:?}", v.grad().map(|g| g.item()), b.grad().map(|g| g.item()));',
    'v.requires_grad_(true);\n'
    '(&v * &x).sum().backward();\n'
    'println!("v.grad {:?}", v.grad().unwrap().item());',
    # A custom op defined in a cell, used in the next.
    'struct Sin;\n'
    'impl Function for Sin {\n'
    '    fn forward(ctx: &mut Context, inputs: &[&Tensor]) -> Tensor {\n'
    '        ctx.save_for_backward(&[inputs[0]]);\n'
    '        inputs[0].map(f32::sin)\n'
    '    }\n'
    '    fn backward(ctx: &Context, grad_output: &Tensor) -> Vec<Option<Tensor>> {\n'
    '        let x = &ctx.saved_tensors()[0];\n'
    '        vec![Some(grad_output * &x.map(f32::cos))]\n'
    '    }\n'
    '}',
    'let s = Sin::apply(&[&x.detach().requires_grad_(true)]);\n'
    'println!("grad_fn {:?}", s.grad_fn());\n'
    'let check = gradcheck(|t| Sin::apply(&[&t[0]]).sum(), &[tensor!([0.5, -1.0, 2.0])]);\n'
    'println!("gradcheck passed {}", check.passed());',
    # The seed in one cell, the draws in the next: evcxr links a copy of the crate into every
    # cell, each with its own statics; PyTorch continues the seeded stream.
    'manual_seed(0);',
    'println!("drawn {:?}", Tensor::rand(&[15]).to_vec());',
    # A graph built over two cells: each cell's copy of the crate numbers its ops from 1 again.
    'let gx = tensor!(2.0).requires_grad_(true);\n'
    'let ga = &gx * 3.0;\n'
    'let gc = &(&ga * 1.0) * 1.0;',
    'let gl = &gc + &(&ga * 2.0);\n'
    'gl.backward();\n'
    'println!("gx.grad {:?}", gx.grad().unwrap().item());',
    # Anomaly mode set in one cell reaches a backward() in the next.
    'autograd_core::set_detect_anomaly(true);',
    'let an = tensor!(-1.0).requires_grad_(true);\n'
    'println!("anomaly {:?}", an.sqrt().sum().try_backward().map_err(|e| e.to_string().lines().next().unwrap_or("").to_string()));\n'
    'autograd_core::set_detect_anomaly(false);',
]


def f32(value: float) -> float:
    """`value` rounded to the nearest float32, as PyTorch stores it."""
    return struct.unpack("f", struct.pack("f", value))[0]


def floats(line: str, prefix: str) -> list[float]:
    """The numbers of a line `prefix [1.0, 2.5]` printed by Rust's `{:?}` (shortest text that
    reads back as the same f32)."""
    body = line.removeprefix(prefix).strip().strip("[]")
    return [f32(float(v)) for v in body.split(",")]


def check_backward_cells(cells) -> None:
    def line(i: int, prefix: str) -> str:
        """The line of cell i's stdout that starts with `prefix`."""
        text = "".join(o.text for o in cells[i].outputs if o.get("name") == "stdout")
        return next((l for l in text.splitlines() if l.startswith(prefix)), f"(no {prefix!r} in {text!r})")

    w = floats(line(2, "w "), "w ")
    # d/dw sum(w * x) = x, whatever w was drawn: PyTorch gives [1., 2., 3.].
    grad = floats(line(2, "grad "), "grad ")
    check(grad == [1.0, 2.0, 3.0], f"backward in the cell after the draw: grad {grad} = x")
    # Then d/dw sum(w * w) = 2w is added: MulBackward0 gives w and w, added to 2w (exact), and
    # AccumulateGrad adds that to x, rounded once to float32, as PyTorch does: f32(x + 2w).
    grad = floats(line(3, "grad "), "grad ")
    expected = [f32(x + 2 * wi) for x, wi in zip([1.0, 2.0, 3.0], w)]
    check(grad == expected, f"a second backward on the leaf in another cell: {grad} = x + 2w")
    # PyTorch 2.15: w.grad None and b.grad 3 (three elements of b's sum), then
    # d/dv sum(v x) = 1 + 2 + 3 = 6, nothing left over from the first backward.
    first = line(5, "v.grad")
    check(first == "v.grad None b.grad Some(3.0)", f"issue 16, first backward: {first!r}")
    second = line(6, "v.grad")
    check(second == "v.grad 6.0", f"issue 16, second backward gives 6: {second!r}")
    check(line(8, "grad_fn") == 'grad_fn Some("SinBackward")',
          f"a Function defined in a cell is named SinBackward: {line(8, 'grad_fn')!r}")
    check(line(8, "gradcheck") == "gradcheck passed true", "and passes gradcheck")
    # torch.manual_seed(0) in one cell, torch.rand(15) in the next: the repo's PyTorch draws.
    draws = json.loads((rn.ROOT / "autograd-core/tests/reference/random_draws.json").read_text())
    kernel = "default" if os.environ.get("ATEN_CPU_CAPABILITY") == "default" else "avx2"
    expected = [f32(v) for v in draws["kernels"][kernel]["rand"]["0"]["15"]]
    drawn = floats(line(10, "drawn "), "drawn ")
    check(drawn == expected, f"manual_seed in one cell, rand in the next: {drawn} = PyTorch's {expected}")
    # l = c + 2a with a = 3x and c = a * 1 * 1 built in the cell before: dl/dx = 3 + 6.
    got = line(12, "gx.grad")
    check(got == "gx.grad 9.0", f"a graph built over two cells: {got!r}, PyTorch 9.0")
    # PyTorch: RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    got = line(14, "anomaly")
    check(got.startswith("anomaly Err(") and "SqrtBackward0" in got,
          f"set_detect_anomaly(true) in one cell, backward() in the next names the op: {got!r}")


# A notebook whose first cells give the kernel's head start (scripts/evcxr_kernel.py) trouble: a
# compile error, a panic, and evcxr commands that act on the kernel even when only analysed.
TROUBLE_CELLS = [
    ':restart\n:env EVCXR_HEAD_START_TEST=1\nlet n: i32 = "not a number";',
    'let v = vec![1u8];\nif v.len() == 1 { panic!("head start test"); }\nv.',
    'println!("alive: {}", 40 + 2);',
]


def check_head_start() -> None:
    """The first minute of a lesson. The head start's code: the first code cells with their `:dep`
    lines and no other command. A head start that meets bad code leaves the kernel working. And, with
    it, a student who reads lesson 02 for 15 s gets its first three cells back quickly, with the
    committed outputs (scripts/first_minute.py: measured against the load of the moment)."""
    import evcxr_kernel  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trouble.ipynb"
        nbformat.write(new_notebook(cells=[new_code_cell(c) for c in TROUBLE_CELLS]), path)
        code = evcxr_kernel.head_start_code(path)
        check(":restart" not in code and ":env" not in code and "not a number" in code and "\n;\n" in code,
              "the head start analyses the first cells, separated by `;`, without commands other than :dep")
        lesson = evcxr_kernel.head_start_code(rn.NOTEBOOKS / "02_autograd.ipynb")
        check(lesson.startswith(":dep autograd-core") and lesson.count("\n;\n") == evcxr_kernel.HEAD_START_CELLS - 1,
              "lesson 02's head start: its set-up cell's :dep and its first three code cells")
        (Path(tmp) / "broken.ipynb").write_text("{ not json")
        check(evcxr_kernel.head_start_code(Path(tmp) / "broken.ipynb") == evcxr_kernel.PLAIN_HEAD_START
              and evcxr_kernel.head_start_code(None) == evcxr_kernel.PLAIN_HEAD_START,
              "an unreadable notebook, or none, gets the plain head start")

        # A kernel told this notebook (as jupyter_server tells it) gets its head start from its cells, then runs one.
        from jupyter_client.manager import start_new_kernel  # noqa: PLC0415

        log = Path(tmp) / "kernel.log"
        env = {**os.environ, "JPY_SESSION_NAME": str(path), "EVCXR_HEAD_START": "1"}
        with open(log, "w") as stderr, rn.build_lock():
            km, kc = start_new_kernel(kernel_name=rn.KERNEL, cwd=str(rn.NOTEBOOKS), env=env,
                                      stderr=stderr, startup_timeout=rn.STARTUP_TIMEOUT)
            try:
                for _ in range(600):  # until the launcher logs the head start's end (at most 5 min)
                    if "head start: " in log.read_text():
                        break
                    time.sleep(0.5)
                outputs = []
                reply = kc.execute_interactive(TROUBLE_CELLS[2], timeout=rn.CELL_TIMEOUT,
                                               output_hook=outputs.append)
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
        said = [line for line in log.read_text().splitlines() if "head start: " in line]
        printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        check(bool(said) and "analysed" in said[0] and reply["content"]["status"] == "ok"
              and "alive: 42" in printed,
              f"after a head start on bad code the kernel runs a cell ({said[:1]}, printed {printed.strip()!r})")

    # Lesson 02 after 15 s of reading, in a kernel with the head start (one round; `make first-minute`
    # compares with and without, and Run All, over several rounds).
    # On a busy machine the reading is longer, as the kernel's start was slower (--scale-reading).
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("first_minute.py")), "--only-after", "--rounds", "1",
         "--no-run-all", "--scale-reading", "--json", str(rn.ROOT / "target" / "first-minute-harness.json")],
        capture_output=True, text=True,
    )
    print(run.stdout)
    busy = "too busy" in run.stdout
    check(run.returncode == 0 and ("head start: analysed" in run.stderr or busy),
          "lesson 02's first three cells, after 15 s of reading, with their committed outputs, answer "
          + ("(not timed: the kernel started slower than the reading)" if busy else "quickly"))


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
        backward_path = Path(tmp) / "backward_cells.ipynb"
        nbformat.write(new_notebook(cells=[new_code_cell(c) for c in BACKWARD_CELLS]), backward_path)
        run = subprocess.run(
            [sys.executable, str(Path(rn.__file__)), "--update",
             "--times", str(Path(tmp) / "times.json"), str(path), str(backward_path)],
            capture_output=True, text=True,
        )
        print(run.stdout + run.stderr)
        check(run.returncode == 0, "--update passes when the panic and the error are tagged")
        check(run.stdout.splitlines()[-1:] == ["2 passed, 0 failed"], "closing line '2 passed, 0 failed'")
        ran = nbformat.read(path, as_version=4)
        check_backward_cells(nbformat.read(backward_path, as_version=4).cells)

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

    lesson = rn.NOTEBOOKS / "08_inside_backward.ipynb"  # links are resolved from the notebook's folder
    linked = new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "[the tape](../autograd-core/src/autograd.rs), [micrograd](https://github.com/karpathy/micrograd)")])
    check(rn.link_problem(linked, lesson) is None, "links to a file of the repository and to the web pass")
    linked.cells[0].source = "[moved](../autograd-core/src/no_such_file.rs)"
    check("no_such_file.rs leads to no file" in (rn.link_problem(linked, lesson) or ""),
          "a link to a file that does not exist fails")
    source = (rn.ROOT / "autograd-core/src/autograd.rs").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "fn accumulate_grad" in text)
    linked.cells[0].source = f"[`accumulate_grad`](../autograd-core/src/autograd.rs#L{line})"
    check(rn.link_problem(linked, lesson) is None, "a link to the line that defines a function passes")
    linked.cells[0].source = f"[`accumulate_grad`](../autograd-core/src/autograd.rs#L{line + 1})"
    check("does not define `accumulate_grad`" in (rn.link_problem(linked, lesson) or ""),
          "a link to a line that does not define the function fails")

    check_head_start()

    print(f"\nharness self-test: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
