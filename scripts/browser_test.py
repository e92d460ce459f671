"""Open a lesson in JupyterLab in headless Chromium, run all its cells, and check what the page shows.

    .venv/bin/python scripts/browser_test.py [--screenshot] [--self-test] [--kernel-name NAME] [NOTEBOOK]

What a learner does after `make lab`: JupyterLab is started as the Makefile starts it (on 127.0.0.1,
a free port, token authentication on, root_dir notebooks/), the lesson is opened in Debian's
Chromium (driven by playwright-core, browser-test/lesson.mjs), Run > Run All Cells is clicked, and
the test waits for the kernel to finish. It then fails unless, on the page:
- the notebook runs on the kernel it names ("rust": the one scripts/setup.sh registers);
- every code cell ran (has an execution count);
- no cell shows an error, a panic or anything on stderr, except an exercise check's committed
  "not yet: ..." verdict (a failed check writes it on stderr, for nbgrader), and the cells tagged
  `raises-exception`, which must show one (evcxr may relay such a panic after its cell has
  finished, and JupyterLab then shows it under the next code cell: see move_late_stderr());
- lesson 02 prints its training trace ("epoch 1: w = 0.300, loss = 30.00000000") and shows its
  figures, the loss curve included, as loaded <img> elements.

The committed notebook is never modified: the page is given the notebook with its outputs cleared
(so every output checked is fresh), autosave is off, and any write the page attempts is blocked
and fails the test. The kernel's working directory is notebooks/, so `:dep autograd-core = { path =
"../autograd-core" }` resolves, and the kernel starts from the dependencies compiled in
notebooks/.evcxr-build, in a build folder of its own (scripts/evcxr_kernel.py).

--screenshot  also writes the finished page to img/jupyterlab_lesson02.png (the README's picture),
              if the lesson passed;
              every run writes target/browser-test/<case>.png and .json (what the page
              showed), and <case>-first-stderr.png where a cell first shows stderr.
--self-test   then shows that the test fails when it should: with a kernel that is not registered
              (--kernel-name no-such-kernel), and with a panicking and a failing cell injected into
              the page's copy of the lesson. Both runs must fail, for those reasons.
--kernel-name the kernel the notebook asks for (default: its own, "rust").

Needs /usr/bin/chromium (or $CHROMIUM), node with browser-test/node_modules (npm ci), and JupyterLab
in .venv: scripts/setup.sh installs all three. Ends with "browser: N passed, M failed".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic, sleep

import nbformat

import run_notebooks as harness

ROOT = harness.ROOT
NOTEBOOKS = harness.NOTEBOOKS
VENV = ROOT / ".venv"
DRIVER_DIR = ROOT / "browser-test"
DRIVER = DRIVER_DIR / "lesson.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
README_SCREENSHOT = ROOT / "img" / "jupyterlab_lesson02.png"
OUT_DIR = ROOT / "target" / "browser-test"
DEFAULT_NOTEBOOK = NOTEBOOKS / "02_autograd.ipynb"
RUN_TIMEOUT = 900  # seconds for Run All; a cold build folder compiles the dependencies first

# What specific lessons must show besides the generic checks: a line of text, and the cell
# (by a line of its source) whose output must include a loaded image.
EXPECT = {
    "02_autograd": {
        "text": ["epoch 1: w = 0.300, loss = 30.00000000", "Prediction after training: f(5) = 9.612"],
        "figure_cell": "plot::loss_curve",
    },
}


def is_figure_cell(stem: str, source: str) -> bool:
    """Whether a line of the cell's source starts with the lesson's `figure_cell` (see EXPECT)."""
    start = EXPECT.get(stem, {}).get("figure_cell")
    return start is not None and any(line.startswith(start) for line in source.splitlines())


# JupyterLab user settings for the test's own, empty config folder.
LAB_SETTINGS = {
    # The page must never write the notebook (lesson.mjs also blocks every write).
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell in the DOM, so that the page can be read in full without scrolling.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No pop-ups asking to fetch news or check for updates (and no traffic to the internet).
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

STDERR_MIME = "application/vnd.jupyter.stderr"  # JupyterLab shows stderr and errors this way


# --- The page's notebook ---------------------------------------------------------------


@dataclass
class Case:
    name: str
    notebook: nbformat.NotebookNode  # what the page is given
    must_fail_with: list[str] = field(default_factory=list)  # self-test: expected problems
    screenshot: Path | None = None


def prepared(path: Path, kernel_name: str | None = None, inject: dict[int, str] | None = None,
             cells: int | None = None):
    """The notebook as the page gets it: outputs cleared; for the self-test, another kernel, or
    only its first `cells` cells with cells injected (at their index in the result)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = nb.cells[:cells]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    if kernel_name:
        nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": kernel_name, "language": "rust"}
    for index, source in sorted((inject or {}).items()):
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


# --- Judging the page ------------------------------------------------------------------


def cell_label(cell, nb_cell) -> str:
    return f"cell {cell['index']} ({harness.first_line(nb_cell)})"


ERROR_LINE = re.compile(r"^error(\[E\d+\])?:", re.M | re.I)


def failures(cell) -> list[str]:
    """The errors and panics a cell shows on the page: each stderr or error output, or any output
    with a panic or a compiler error in its text."""
    shown = []
    for out in cell["outputs"]:
        text = out["text"]
        if out["mime"] == STDERR_MIME or harness.PANIC.search(text) or ERROR_LINE.search(text):
            kind = "a panic" if harness.PANIC.search(text) else "an error"
            first = next((line for line in text.splitlines() if line.strip()), "")
            shown.append(f"{kind}: {first[:200]}")
    return shown


def verdicts_removed(cell, nb_cell, committed: dict) -> dict:
    """The cell without the "not yet: ..." of an exercise check that the committed notebook shows
    too: a failed `check()` writes its verdict on stderr (so that nbgrader scores the cell 0), and
    with the blank answers of the lessons every check says "not yet". Any other stderr still counts."""
    expected = committed_stderr(nb_cell, committed) or Counter()
    kept = [out for out in cell["outputs"]
            if not (out["mime"] == STDERR_MIME and out["text"].lstrip().startswith("not yet:")
                    and lines(out["text"]) and not (lines(out["text"]) - expected))]
    return dict(cell, outputs=kept)


def lines(text: str) -> Counter:
    return Counter(line.strip() for line in text.splitlines() if line.strip())


def committed_stderr(nb_cell, committed: dict) -> Counter | None:
    """The lines the committed notebook shows on stderr for this cell, if it has outputs."""
    old = committed.get(nb_cell.get("id"))
    if not old or not old.get("outputs"):
        return None
    return sum((lines(out.text) for out in old.outputs
                if out.output_type == "stream" and out.name == "stderr"), Counter())


def move_late_stderr(cells: list, nb, committed: dict) -> list[str]:
    """evcxr_jupyter (0.22, src/core.rs) sends a stream message with the *latest* execute request
    as its parent. Run All queues every cell at once, so stderr that evcxr relays after a cell has
    finished (the panic of a `raises-exception` cell, or its last lines) can show under the next
    code cell. Such output is moved back to the tagged cell, with a note, when it is part of the
    tagged cell's committed stderr and the tagged cell does not already show that part (without
    committed outputs: when it is a whole panic and the tagged cell shows nothing). Any other
    error or panic in the next cell still fails the test."""
    notes = []
    code = [(c, n) for c, n in zip(cells, nb.cells) if n.cell_type == "code"]
    for (cell, nb_cell), (after, _) in zip(code, code[1:]):
        if harness.TAG not in nb_cell.metadata.get("tags", []):
            continue
        expected = committed_stderr(nb_cell, committed)
        for out in list(after["outputs"]):
            if out["mime"] != STDERR_MIME:
                continue
            if expected is None:
                late = not failures(cell) and bool(harness.PANIC.search(out["text"]))
            else:
                shown = sum((lines(o["text"]) for o in cell["outputs"] if o["mime"] == STDERR_MIME), Counter())
                late = bool(lines(out["text"])) and not (shown + lines(out["text"]) - expected)
            if late:
                after["outputs"].remove(out)
                cell["outputs"].append(out)
                first = out["text"].strip().splitlines()[0]
                notes.append(f"cell {cell['index']}'s stderr ({first[:60]!r}...) showed under cell "
                             f"{after['index']}: evcxr relayed it after the cell had finished")
    return notes


def judge(nb, stem: str, report: dict, committed: dict | None = None) -> tuple[list[str], list[str]]:
    """Every way the page falls short, as sentences (none: it passed), and notes."""
    problems = []
    if report.get("problem"):
        problems.append(report["problem"])
    for write in report.get("blockedWrites", []):
        problems.append(f"the page tried to change a file (blocked): {write}")
    kernel = report.get("kernel") or {}
    wanted = nb.metadata.get("kernelspec", {}).get("name")
    if kernel.get("name") != wanted:
        problems.append(f"kernel: the notebook asks for {wanted!r}, the page runs {kernel.get('name')!r} "
                        f"(toolbar shows {kernel.get('shown')!r})")
    cells = report.get("cells", [])
    if not cells:
        return problems + ["the page shows no cells"], []
    if len(cells) != len(nb.cells):
        return problems + [f"the page shows {len(cells)} cells, the notebook has {len(nb.cells)}"], []
    for cell, nb_cell in zip(cells, nb.cells):
        if cell["type"] != nb_cell.cell_type:
            return problems + [f"cell {cell['index']}: the page shows a {cell['type']} cell, "
                               f"the notebook has a {nb_cell.cell_type} cell"], []
    notes = move_late_stderr(cells, nb, committed or {})

    not_run, images = [], 0
    for cell, nb_cell in zip(cells, nb.cells):
        if nb_cell.cell_type != "code":
            continue
        if not re.fullmatch(r"\[\d+\]:", cell["prompt"]):
            not_run.append(cell["index"])
            continue
        images += sum(1 for out in cell["outputs"] for img in out["images"] if img["width"] > 0)
        shown = failures(verdicts_removed(cell, nb_cell, committed or {}))
        if harness.TAG in nb_cell.metadata.get("tags", []):
            if not shown:
                problems.append(f"{cell_label(cell, nb_cell)}: tagged {harness.TAG}, but shows no error or panic")
        else:
            problems += [f"{cell_label(cell, nb_cell)}: shows {failure}" for failure in shown]
    code_cells = sum(1 for cell in nb.cells if cell.cell_type == "code")
    if code_cells and len(not_run) == code_cells:
        return problems + [f"none of the {code_cells} code cells ran"], notes
    if not_run:
        problems.append(f"{len(not_run)} code cells did not run (no execution count): cells "
                        f"{', '.join(map(str, not_run[:8]))}{' ...' if len(not_run) > 8 else ''}")

    all_text = "\n".join(out["text"] for cell in cells for out in cell["outputs"])
    expect = EXPECT.get(stem, {})
    for line in expect.get("text", []):
        if line not in all_text:
            problems.append(f"no output shows {line!r}")
    if "figure_cell" in expect:
        matching = [c for c, n in zip(cells, nb.cells) if is_figure_cell(stem, n.source)]
        if not matching:
            problems.append(f"no cell has a line starting with {expect['figure_cell']!r}")
        for cell in matching:
            if not any(img["width"] > 0 for out in cell["outputs"] for img in out["images"]):
                problems.append(f"cell {cell['index']} ({expect['figure_cell']} ...): no figure shown as a loaded <img>")
    figures = harness.FIGURES.get(stem)
    if figures is not None and images != figures:
        problems.append(f"the page shows {images} figures as loaded <img> elements, the lesson has {figures}")
    return problems, notes


# --- JupyterLab ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """JupyterLab as `make lab` starts it, in its own config folders, on a free port."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.url = self.token = ""
        self.process: subprocess.Popen | None = None
        self.log = scratch / "jupyterlab.log"

    def __enter__(self):
        settings = self.scratch / "config" / "lab" / "user-settings"
        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.rsplit("/", 1)
            target = settings / package / f"{name}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(self.scratch / "config"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.scratch / "runtime"),
        )
        command = [
            str(VENV / "bin" / "jupyter"), "lab",
            "--ServerApp.root_dir=notebooks", "--ip=127.0.0.1", f"--port={free_port()}", "--no-browser",
        ] + (["--allow-root"] if os.geteuid() == 0 else [])
        start = monotonic()
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        while monotonic() - start < 90:
            found = re.search(r"(http://127\.0\.0\.1:\d+)/lab\?token=([0-9a-f]+)", self.log.read_text())
            if found:
                self.url, self.token = found.groups()
                break
            if self.process.poll() is not None:
                break
            sleep(0.2)
        if not self.url:
            self.__exit__(None, None, None)
            raise RuntimeError(f"JupyterLab did not start:\n{self.log.read_text()[-3000:]}")
        print(f"JupyterLab at {self.url} (token auth on) in {monotonic() - start:.1f} s", flush=True)
        return self

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop_kernels(self):
        """One evcxr kernel at a time may use the build folder: end this case's before the next."""
        for s in self.api("/api/sessions") or []:
            self.api(f"/api/sessions/{s['id']}", method="DELETE")
        start = monotonic()
        while self.api("/api/kernels") and monotonic() - start < 30:
            sleep(0.3)

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            try:
                self.stop_kernels()
            except OSError:
                pass
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def run_case(lab: Lab, case: Case, path: Path, timeout: float, committed: dict) -> list[str]:
    """Runs one case in the browser; returns its problems. committed: the lesson's cells by id."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    served = lab.scratch / f"{case.name}.ipynb.json"
    served.write_text(json.dumps(case.notebook))
    report_file = OUT_DIR / f"{case.name}.json"
    report_file.unlink(missing_ok=True)
    for old in OUT_DIR.glob(f"{case.name}*.png"):
        old.unlink()
    shot = OUT_DIR / f"{case.name}.png"
    focus = next((i for i, c in enumerate(case.notebook.cells) if is_figure_cell(path.stem, c.source)), -1)
    command = [
        "node", str(DRIVER), "--url", lab.url, "--token", lab.token,
        "--path", path.relative_to(NOTEBOOKS).as_posix(), "--notebook", str(served),
        "--report", str(report_file), "--screenshot", str(shot), f"--focus-cell={focus}",
        f"--timeout={timeout}", "--chromium", str(CHROMIUM), "--workspace", case.name,
    ]
    start = monotonic()
    driver = subprocess.run(command, cwd=ROOT)
    try:
        lab.stop_kernels()
    except OSError as error:
        print(f"    (could not stop the kernel: {error})")
    if not report_file.exists():
        return [f"the browser driver failed (exit {driver.returncode}) without a report"]
    report = json.loads(report_file.read_text())
    problems, notes = judge(case.notebook, path.stem, report, committed)
    for note in notes:
        print(f"    note: {note}")
    if driver.returncode != 0:
        problems.append(f"the browser driver exited with {driver.returncode}")
    if report.get("pageErrors"):
        print("    page errors (not judged): " + "; ".join(report["pageErrors"])[:500])
    print(f"    {case.name}: {'FAILED' if problems else 'passed'} in {monotonic() - start:.1f} s; "
          f"screenshot {harness.display(shot)}")
    for problem in problems:
        print(f"      - {problem}")
    if case.screenshot and not problems:
        case.screenshot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, case.screenshot)
        print(f"    wrote {harness.display(case.screenshot)}")
    return problems


# --- Command line ----------------------------------------------------------------------


def missing_tools() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium; scripts/setup.sh does it on Debian)")
    if not shutil.which("node"):
        missing.append("node (20 or newer)")
    if not (DRIVER_DIR / "node_modules" / "playwright-core").is_dir():
        missing.append("browser-test/node_modules (cd browser-test && npm ci; scripts/setup.sh does it)")
    if not (VENV / "bin" / "jupyter-lab").exists():
        missing.append("JupyterLab in .venv (scripts/setup.sh installs it with the browser tools)")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", type=Path, default=DEFAULT_NOTEBOOK)
    parser.add_argument("--screenshot", action="store_true", help=f"write {harness.display(README_SCREENSHOT)}")
    parser.add_argument("--self-test", action="store_true",
                        help="also check that a missing kernel and a failing cell make the test fail")
    parser.add_argument("--kernel-name", help="the kernel the page's notebook asks for (default: its own)")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT, help="seconds for Run All")
    args = parser.parse_args(argv)

    missing = missing_tools()
    if missing:
        print("browser test: missing " + "; ".join(missing))
        return 2
    path = args.notebook.resolve()
    if path.parent != NOTEBOOKS:
        print(f"{path} is not in notebooks/ (the kernel's working directory must be notebooks/)")
        return 2

    cases = [Case("lesson", prepared(path, args.kernel_name),
                  screenshot=README_SCREENSHOT if args.screenshot else None)]
    if args.self_test:
        cases += [
            Case("missing-kernel", prepared(path, "no-such-kernel"),
                 must_fail_with=["no-such-kernel"]),
            # The lesson's first 9 cells (to `l.backward()`; enough to show the point, and fast)
            # with, after the set-up cell's `use autograd_core::prelude::*;`, a panic (which evcxr
            # answers as a success: only stderr shows it) and a compile error.
            Case("failing-cell", prepared(path, cells=9, inject={
                3: 'panic!("injected by the browser self-test");',
                4: 'let injected: u32 = "not a number";',
            }), must_fail_with=["a panic: panicked: injected by the browser self-test",
                                "cell 4", "an error: [E0308] Error: mismatched types"]),
        ]

    committed = {cell.get("id"): cell for cell in nbformat.read(path, as_version=4).cells}
    results = []
    start = monotonic()
    checkpoints = NOTEBOOKS / ".ipynb_checkpoints"  # Jupyter makes it when asked for checkpoints
    had_checkpoints = checkpoints.exists()
    with harness.build_lock(NOTEBOOKS), tempfile.TemporaryDirectory(prefix="browser-test-") as scratch:
        with Lab(Path(scratch)) as lab:
            for case in cases:
                print(f"==> {case.name}: {harness.display(path)}"
                      + (f" (must fail: {', '.join(case.must_fail_with)})" if case.must_fail_with else ""),
                      flush=True)
                problems = run_case(lab, case, path, args.timeout, committed)
                if case.must_fail_with:
                    text = "\n".join(problems)
                    absent = [word for word in case.must_fail_with if word not in text]
                    if not problems:
                        results.append((case.name, "the test passed, but it must fail here"))
                    elif absent:
                        results.append((case.name, f"failed, but its report does not mention {absent}"))
                    else:
                        print(f"    {case.name}: failed as it must")
                        results.append((case.name, None))
                else:
                    results.append((case.name, "; ".join(problems) or None))

    if not had_checkpoints and checkpoints.is_dir() and not any(checkpoints.iterdir()):
        checkpoints.rmdir()
    failed = [(name, problem) for name, problem in results if problem]
    print(f"\nbrowser test done in {monotonic() - start:.1f} s")
    for name, problem in failed:
        print(f"FAILED {name}: {problem}")
    print(f"browser: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
