"""Run the lesson notebooks with the evcxr Rust kernel and check them.

    .venv/bin/python scripts/run_notebooks.py [--check | --update] [--cold | --cold-set]
        [--parallel N [--baseline TIMES_JSON]] [NOTEBOOK ...]
    .venv/bin/python scripts/run_notebooks.py --warm

Every notebook runs top to bottom in a fresh "rust" kernel whose working
directory is notebooks/, so evcxr reads notebooks/evcxr.toml. The kernel
(scripts/evcxr_kernel.py) builds in a folder of its own, seeded from the
lessons' dependencies compiled in the shared folder notebooks/.evcxr-build,
which --warm fills (set-up runs it; every run does first, 0.1 s when done).
So notebooks can run at once: --parallel N runs N at a time, and with
--baseline, fails unless that takes no longer than the same notebooks one
after another took in the run that wrote TIMES_JSON (the test command
compares with its own one-at-a-time run).

A notebook fails when
- a cell errors, or panics, and is not tagged `raises-exception`. evcxr catches
  a panic and answers "ok": the panic only shows as "panicked at" on stderr;
- a cell tagged `raises-exception` neither errors nor panics;
- its numbers disagree with PyTorch's reference traces (scripts/reference_checks.py: a probe
  cell, run after the lesson in the same kernel and not saved, prints them);
- with --check (the default): its committed outputs differ from the fresh ones.
--update writes the fresh outputs into the notebook instead (`make notebooks`).
Reports count cells from 0, markdown cells included.

The comparison ignores execution counts and timings, the order of stdout against
stderr (evcxr sends them from separate threads), and text that changes from run to
run: the thread id in a panic message, the stack backtrace evcxr always asks for
(its frames depend on the toolchain), addresses and durations. Figures count by
content: PNGs by hash, SVGs as text.

Timings go to stdout and to target/notebook-times.json: a lesson's time is its kernel's start
plus each cell until the kernel says "idle", as with Run All in JupyterLab; this script's own
wall time (with the reference probe and its wait for late output) is reported beside it. The
wall time of the whole run is printed and kept too. The last line is "N passed, M failed",
counting notebooks.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async

import evcxr_kernel
import reference_checks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMES_JSON = ROOT / "target" / "notebook-times.json"
KERNEL = "rust"
CELL_TIMEOUT = 600  # seconds; the first cell of a cold run compiles the dependencies
STARTUP_TIMEOUT = 120
LATE_OUTPUT_GRACE = 0.2  # seconds of iopub silence to wait for after a cell's "idle"
TAG = "raises-exception"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


class CellFailed(Exception):
    """A cell broke its contract; stops the notebook (later cells would only cascade)."""


# --- What a cell did -------------------------------------------------------------------


# Rust's default "thread ... panicked at ...", or autograd_core::short_panics()'s "panicked: ...".
PANIC = re.compile(r"panicked at|^panicked: ", re.M)


def panic_line(cell) -> str | None:
    """The panic line evcxr relays on stderr, if any."""
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr" and PANIC.search(out.text):
            lines = out.text.splitlines()
            i = next(i for i, line in enumerate(lines) if PANIC.search(line))
            return " ".join(lines[i : i + 2])
    return None


def error_text(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            text = strip_ansi(out.get("evalue") or "\n".join(out.get("traceback", [])))
            return text.strip().splitlines()[0] if text.strip() else out.get("ename", "error")
    return None


def cell_problem(cell, status: str) -> str | None:
    """Why this executed cell fails its notebook, or None."""
    error = error_text(cell) or ("the kernel answered status 'error'" if status == "error" else None)
    panic = panic_line(cell)
    tagged = TAG in cell.get("metadata", {}).get("tags", [])
    if tagged:
        return None if error or panic else f"tagged {TAG}, but it ran without error or panic"
    if error:
        return f"error: {error}"
    if panic:
        return f"panic: {panic}"
    return None


# --- Comparing outputs -----------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
VOLATILE = [
    # Rust prints the OS thread id in panic messages: "thread '<unnamed>' (18071) panicked at".
    (re.compile(r"(thread '[^']*') \(\d+\)"), r"\1 (<id>)"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<addr>"),
    (re.compile(r"\b\d+(\.\d+)?(ns|µs|us|ms)\b"), "<duration>"),
    (re.compile(r"\b\d+\.\d+s\b"), "<duration>"),
    (re.compile(r"Took \d+ms"), "Took <duration>"),  # evcxr's :timing
]
# evcxr runs cell code with RUST_BACKTRACE=1 (it sets it itself), so a panic prints a stack
# backtrace whose frames and /rustc/<commit>/ paths depend on the toolchain.
BACKTRACE_LINE = re.compile(r"^\s+(\d+: |at )|^note: Some details are omitted")


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def scrub(text: str) -> str:
    """Text without what legitimately changes between runs and machines."""
    lines, in_backtrace = [], False
    for line in strip_ansi(text).splitlines():
        if in_backtrace and BACKTRACE_LINE.match(line):
            continue
        in_backtrace = line == "stack backtrace:"
        lines.append(line + " <frames>" if in_backtrace else line)
    text = "\n".join(lines)
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def output_rank(out) -> int:
    """evcxr relays stdout and stderr asynchronously, so their order against each other and
    against the cell's value is a race. A cell's value is always its last result, so a fixed
    order (stdout, stderr, results, error) loses nothing and makes runs comparable."""
    if out.output_type == "stream":
        return 0 if out.name == "stdout" else 1
    return 3 if out.output_type == "error" else 2


def canonical_outputs(outputs: list) -> list:
    """Streams merged per name, then put in output_rank order (stable otherwise)."""
    merged, streams = [], {}
    for out in outputs:
        if out.output_type == "stream":
            if out.name in streams:
                streams[out.name].text += out.text
                continue
            out = streams[out.name] = nbformat.NotebookNode(out)  # a copy: outputs stay as they are
        merged.append(out)
    return sorted(merged, key=output_rank)


def image_bytes(value) -> bytes:
    """An image output's bytes: nbformat keeps them base64, as one string or a list of lines."""
    return base64.b64decode("".join(value) if isinstance(value, list) else value)


def render(outputs: list) -> list[str]:
    """Outputs as comparable text lines: volatile text scrubbed, images by content hash."""
    lines: list[str] = []
    for out in canonical_outputs(outputs):
        kind = out.output_type
        if kind == "stream":
            lines.append(f"[{out.name}]")
            lines += scrub(out.text).splitlines()
        elif kind == "error":
            lines.append(f"[error {out.get('ename', '')}]")
            lines += scrub("\n".join(out.get("traceback", [])) or out.get("evalue", "")).splitlines()
        else:
            for mime in sorted(out.get("data", {})):
                value = out.data[mime]
                if mime in IMAGE_TYPES:
                    raw = image_bytes(value)
                    digest = hashlib.sha256(raw).hexdigest()[:16]
                    lines.append(f"[{kind} {mime}] {len(raw)} bytes, sha256 {digest}")
                    continue
                if not isinstance(value, str):
                    value = json.dumps(value, sort_keys=True, indent=1)
                lines.append(f"[{kind} {mime}]")
                lines += scrub(value).splitlines()
    return lines


def first_difference(committed, fresh) -> str | None:
    """A report of the first code cell whose committed outputs differ from the fresh ones."""
    for index, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
        if old.cell_type != "code":
            continue
        before, after = render(old.get("outputs", [])), render(new.get("outputs", []))
        if before != after:
            diff = list(
                difflib.unified_diff(before, after, "committed", "fresh run", n=2, lineterm="")
            )
            excerpt = diff[:40] + ([f"... ({len(diff) - 40} more diff lines)"] if len(diff) > 40 else [])
            return f"cell {index} ({first_line(old)}): outputs differ from the committed ones\n" + "\n".join(
                "    " + line[:200] for line in excerpt
            )
    return None


def first_line(cell) -> str:
    lines = cell.source.strip().splitlines()
    head = lines[0] if lines else ""
    return f"`{head[:60]}`" + (" ..." if len(lines) > 1 or len(head) > 60 else "")


# --- Running ---------------------------------------------------------------------------


@dataclass
class CellTime:
    index: int
    seconds: float  # from the request to the kernel's "idle": what a learner waits for
    source: str


@dataclass
class Result:
    path: Path
    problem: str | None = None
    harness_seconds: float = 0.0  # this script's wall time, reference probe and waits included
    kernel_seconds: float = 0.0
    cells: list[CellTime] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """The lesson's run time as a learner sees it: the kernel's start, then every cell
        until the kernel is idle again (as Run All does, one cell right after the other)."""
        return self.kernel_seconds + sum(cell.seconds for cell in self.cells)


class Client(NotebookClient):
    """nbclient for evcxr: times each cell, waits briefly for late output, and stops at the
    first cell that breaks its contract (if stop_on_failure)."""

    def __init__(self, nb, cwd: Path, stop_on_failure: bool = True, probe: str | None = None):
        super().__init__(
            nb,
            kernel_name=KERNEL,
            timeout=CELL_TIMEOUT,
            startup_timeout=STARTUP_TIMEOUT,
            allow_errors=True,  # cell_problem() decides, tags included
            record_timing=False,
            coalesce_streams=True,
            resources={"metadata": {"path": str(cwd)}},
            on_cell_executed=self._remember_reply,
        )
        self.stop_on_failure = stop_on_failure
        self.probe = probe
        self.probe_stdout: str | None = None
        self.statuses: dict[int, str] = {}
        self.times: list[CellTime] = []
        self.kernel_seconds = 0.0
        self.idle_at: float | None = None

    def _remember_reply(self, cell, cell_index, execute_reply):
        self.statuses[cell_index] = (execute_reply or {}).get("content", {}).get("status", "ok")

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        # evcxr_jupyter forwards the kernel's stdout/stderr from a separate thread, and can
        # say "idle" before the last lines (such as a panic message) are sent. Keep reading
        # until the channel has been quiet for LATE_OUTPUT_GRACE.
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        self.idle_at = monotonic()
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=LATE_OUTPUT_GRACE))
            except queue.Empty:  # quiet long enough
                return
            if msg["parent_header"].get("msg_id") == parent_msg_id and msg["msg_type"] == "stream":
                self.process_message(msg, cell, cell_index)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code":
            return cell
        start = monotonic()
        self.idle_at = None
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        # Up to "idle", not through the wait for late output above, which only this script does.
        answered = (self.idle_at or monotonic()) - start
        self.times.append(CellTime(cell_index, answered, first_line(cell)))
        problem = cell_problem(cell, self.statuses.get(cell_index, "ok"))
        if problem and self.stop_on_failure:
            raise CellFailed(f"cell {cell_index} ({first_line(cell)}): {problem}")
        return cell

    async def run(self):
        start = monotonic()
        async with self.async_setup_kernel():
            msg_id = await ensure_async(self.kc.kernel_info())
            info = await self.async_wait_for_reply(msg_id)
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            self.kernel_seconds = monotonic() - start
            for index, cell in enumerate(self.nb.cells):
                await self.async_execute_cell(cell, index, self.code_cells_executed + 1)
            if self.probe:
                await self._run_probe()
        return self.nb

    async def _run_probe(self):
        """Runs the reference probe as one more cell, in the same kernel, without keeping it."""
        cell = nbformat.v4.new_code_cell(self.probe)
        self.nb.cells.append(cell)
        try:
            await NotebookClient.async_execute_cell(self, cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        self.probe_stdout = "".join(
            out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stdout"
        )
        if not self.probe_stdout:
            errors = [out.get("evalue", "") for out in cell.outputs if out.output_type == "error"]
            self.probe_stdout = "(no output) " + " ".join(errors)


async def execute_async(
    nb, cwd: Path = NOTEBOOKS, stop_on_failure: bool = True, probe: str | None = None
) -> tuple[Client, str | None]:
    """Run a copy of nb in a fresh kernel (then `probe`, if given). Returns the client (executed
    notebook in .nb, statuses, timings, probe output) and the first problem, if any."""
    client = Client(nbformat.from_dict(nb), cwd, stop_on_failure, probe)
    try:
        await client.run()
    except CellFailed as failure:
        return client, str(failure)
    except (CellTimeoutError, DeadKernelError, RuntimeError, TimeoutError) as error:
        return client, f"{type(error).__name__}: {error}"
    return client, None


def execute(
    nb, cwd: Path = NOTEBOOKS, stop_on_failure: bool = True, probe: str | None = None
) -> tuple[Client, str | None]:
    """execute_async(), for callers without an event loop."""
    return asyncio.run(execute_async(nb, cwd, stop_on_failure, probe))


# How many figures (SVG + PNG in one output) each lesson shows: its loss curve(s), plus
# 02: the graph before and after backward; 05: the fitted lines and the loss surface;
# 06: the fitted curves and the learning-rate sweep; 07: full batch against mini-batches and the
# validation curve; 08 has no loss curve: the graph of a neuron
# before and after backward, and of x * x.
FIGURES = {
    "01_manual_gradients": 1,
    "02_autograd": 3,
    "03_loss_and_optimizer": 1,
    "04_module": 3,
    "05_noisy_data": 5,
    "06_beyond_a_line": 3,
    "07_minibatches_and_validation": 2,
    "08_inside_backward": 3,
}


def figure_problem(nb, stem: str) -> str | None:
    """A lesson must show its figures, each as SVG (JupyterLab) and a valid PNG (GitHub)."""
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                if not ("image/png" in data and "image/svg+xml" in data):
                    return f"cell {cell.get('id')}: a figure without both image/png and image/svg+xml"
                png = image_bytes(data["image/png"])
                if not png.startswith(b"\x89PNG\r\n\x1a\n"):
                    return f"cell {cell.get('id')}: image/png is not a PNG"
                count += 1
    expected = FIGURES.get(stem)
    if expected is None:
        # Only numbered lessons must be listed (the harness self-test runs other notebooks).
        return f"no expected figure count for {stem} in FIGURES" if re.match(r"\d\d_", stem) else None
    if count != expected:
        return f"shows {count} figures, expected {expected} (FIGURES in this script)"
    return None


LINK = re.compile(r"\]\(([^)\s]+)\)")


LINE_LINK = re.compile(r"\[`(?:[\w.:]*[.:])?(\w+)`\]\(([^)\s#]+)#L(\d+)\)")


def link_problem(nb, path: Path) -> str | None:
    """A link from a lesson's prose into the repository (`../autograd-core/src/autograd.rs`) must
    lead to a file that exists, as it will on GitHub; a link to a line, written
    [`Walk::from`](../autograd-core/src/autograd.rs#L475), must lead to the line that defines
    that function (`fn from`), so that moved code fails the test instead of misleading."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if re.match(r"[a-z]+:|#", target):
                continue  # a web address or an anchor in the notebook
            if not (path.parent / target.split("#")[0]).exists():
                return f"cell {index}: the link {target} leads to no file"
        checked = LINE_LINK.findall(cell.source)
        if len(checked) != cell.source.count("#L"):
            return f"cell {index}: write a link to a line as [`name`](file#L12), naming the function there"
        for name, file, line in checked:
            lines = (path.parent / file).read_text().splitlines()
            text = lines[int(line) - 1] if int(line) <= len(lines) else ""
            if not re.search(rf"\bfn {name}\b", text):
                return f"cell {index}: line {line} of {file} does not define `{name}` (it reads {text.strip()[:60]!r})"
    return None


async def run_notebook(path: Path, update: bool, cwd: Path) -> Result:
    committed = nbformat.read(path, as_version=4)
    start = monotonic()
    probe = reference_checks.probe_for(path.stem)
    client, problem = await execute_async(committed, cwd, probe=probe)
    if probe and not problem:
        problem = reference_checks.compare(path.stem, client.probe_stdout or "")
        if problem:
            problem = f"disagrees with PyTorch: {problem}"
        else:
            print(f"{display(path)}: numbers match the PyTorch reference ({', '.join(reference_checks.files_for(path.stem))})")
    result = Result(path, problem, monotonic() - start, client.kernel_seconds, client.times)
    fresh = client.nb
    if problem:
        return result
    result.problem = figure_problem(fresh, path.stem) or link_problem(committed, path)
    if result.problem:
        return result
    if not update:
        result.problem = first_difference(committed, fresh)
        return result
    for old, cell in zip(committed.cells, fresh.cells):
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
            if render(old.get("outputs", [])) == render(cell.outputs):
                # Same up to scrub(): keep the committed text, so updates do not churn.
                cell.outputs = old.get("outputs", [])
            else:
                cell.outputs = canonical_outputs(cell.outputs)
    fresh.metadata["kernelspec"] = {"display_name": "Rust", "language": "rust", "name": KERNEL}
    text = nbformat.writes(fresh) + "\n"
    if path.read_text() != text:
        path.write_text(text)
        print(f"updated {display(path)}")
    return result


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def print_times(result: Result) -> None:
    verdict = "FAILED" if result.problem else "passed"
    print(f"{display(result.path)}: {verdict} in {result.seconds:.1f} s "
          f"(kernel start {result.kernel_seconds:.1f} s; this script's run {result.harness_seconds:.1f} s)")
    for cell in result.cells:
        print(f"    cell {cell.index:>3}  {cell.seconds:7.1f} s  {cell.source}")
    sys.stdout.flush()


def write_times(results: list[Result], target: Path, wall: float, parallel: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "total_seconds": round(sum(r.seconds for r in results), 2),
        "wall_seconds": round(wall, 2),  # the whole run, `parallel` notebooks at a time
        "parallel": parallel,
        "notebooks": [
            {
                "path": display(r.path),
                "passed": r.problem is None,
                "seconds": round(r.seconds, 2),
                "harness_seconds": round(r.harness_seconds, 2),
                "kernel_start_seconds": round(r.kernel_seconds, 2),
                "cells": [{"index": c.index, "seconds": round(c.seconds, 2)} for c in r.cells],
            }
            for r in results
        ],
    }
    target.write_text(json.dumps(report, indent=1) + "\n")


# --- The build folders -----------------------------------------------------------------
# Every kernel builds in a folder of its own (scripts/evcxr_kernel.py), seeded from the shared
# folder that warm() fills. Only warm() and the --cold runs write the shared folder, holding its
# lock exclusively; a kernel holds it shared while it copies from it.


def build_dir() -> Path:
    """The shared build folder the kernels start from (EVCXR_SHARED_BUILD, else
    notebooks/.evcxr-build), whatever their working directory."""
    return evcxr_kernel.shared_dir()


@contextlib.contextmanager
def shared_lock(exclusive: bool):
    """The shared build folder's lock: exclusive to write the folder, shared to read it."""
    folder = build_dir()
    folder.mkdir(parents=True, exist_ok=True)
    kind = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    with open(folder / evcxr_kernel.LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another run to release {display(folder)} ...", flush=True)
            fcntl.flock(lock, kind)
        yield


def build_lock(cwd: Path | None = None):
    """A shared lock on the shared build folder (for any cwd), so no warm-up rewrites it while
    the caller's kernels start. test_kit.py and browser_test.py hold it; kernels need no more."""
    return shared_lock(exclusive=False)


@contextlib.contextmanager
def writing_shared_folder():
    """Kernels started meanwhile work in the shared folder itself (the caller holds its lock
    exclusively, and runs one kernel at a time)."""
    before = os.environ.get("EVCXR_SHARED_BUILD_WRITE")
    os.environ["EVCXR_SHARED_BUILD_WRITE"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["EVCXR_SHARED_BUILD_WRITE"]
        else:
            os.environ["EVCXR_SHARED_BUILD_WRITE"] = before


def empty_build_dir() -> None:
    """Deletes everything evcxr compiled (keeping the lock we hold): the next kernel starts cold."""
    folder = build_dir()
    for child in folder.iterdir() if folder.exists() else []:
        if child.name != evcxr_kernel.LOCK_NAME:
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def dep_lines(path: Path) -> tuple[str, ...]:
    nb = nbformat.read(path, as_version=4)
    return tuple(
        line.strip()
        for cell in nb.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if line.strip().startswith(":dep ")
    )


def tree_state(folder: Path) -> list:
    """Names, sizes and modification times of a path dependency's files (its target/ aside)."""
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and "target" not in p.relative_to(folder).parts
    )


def warm(notebooks: list[Path], cwd: Path) -> None:
    """Compile the lessons' `:dep` crates into the shared build folder, so that a kernel's first
    cell only builds the cell itself. Each set of `:dep` lines is skipped when nothing it depends
    on changed since its last warm-up (0.1 s), including the sources of path dependencies such as
    autograd-core: otherwise every kernel would recompile an edited crate in its own folder. A
    failure is only reported: the notebook run fails on the same cell, with more context."""
    dep_sets = []
    for path in notebooks:
        deps = dep_lines(path)
        if deps and deps not in dep_sets:
            dep_sets.append(deps)
    if not dep_sets:
        print("warm-up: no lesson has a :dep line; nothing to compile")
        return
    folder = build_dir()
    rustc = subprocess.run(["rustc", "-vV"], capture_output=True, text=True).stdout
    # The evcxr_jupyter the kernelspec runs (it has no --version), not its launcher.
    kernel_builds = [(Path(arg).stat().st_size, Path(arg).stat().st_mtime_ns)
                     for arg in KernelSpecManager().get_kernel_spec(KERNEL).argv
                     if Path(arg).name.startswith("evcxr_jupyter") and Path(arg).is_file()]
    stamp_file = folder / ".warm-stamps.json"
    with shared_lock(exclusive=True), writing_shared_folder():
        stamps = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
        for deps in dep_sets:
            # What decides which crates get built: the configs, the path dependencies' files.
            paths = [(cwd / path).resolve() for line in deps for path in re.findall(r'path\s*=\s*"([^"]+)"', line)]
            configs = [p.read_text() for p in [cwd / "evcxr.toml", cwd / ".cargo" / "config.toml"] if p.exists()]
            stamp = hashlib.sha256(json.dumps(
                [deps, rustc, kernel_builds, configs, [tree_state(p) for p in paths if p.is_dir()]]
            ).encode()).hexdigest()
            key = " ".join(deps)
            if stamps.get(key) == stamp and (folder / "target").is_dir():
                print(f"warm-up: {display(folder)} already holds {key}")
                continue
            start = monotonic()
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("\n".join(deps))])
            _, problem = execute(nb, cwd)
            print(f"warm-up: {key}: {monotonic() - start:.1f} s")
            if problem:
                print(f"warm-up failed, so the notebooks will too: {problem}")
                return
            stamps[key] = stamp
            stamp_file.write_text(json.dumps(stamps, indent=1) + "\n")


# --- Command line ----------------------------------------------------------------------


async def run_all(paths: list[Path], update: bool, cwd: Path, parallel: int) -> list[Result]:
    """Runs the notebooks, `parallel` at a time, each in its own kernel; prints each result
    as it comes (in order of finishing when parallel > 1)."""
    slots = asyncio.Semaphore(parallel)

    async def one(path: Path) -> Result:
        async with slots:
            print(f"running {display(path)} ...", flush=True)
            try:
                result = await run_notebook(path, update, cwd)
            except Exception as error:  # such as a kernel that died starting: the others go on
                result = Result(path, f"{type(error).__name__}: {error}")
            print_times(result)
            return result

    return list(await asyncio.gather(*(one(path) for path in paths)))


def compare_with_baseline(results: list[Result], wall: float, baseline: Path) -> str | None:
    """Notebooks run at once must not take longer than the same notebooks one after another,
    as the earlier run that wrote `baseline` (a --times file) measured them. Compares wall
    times: this run's against the sum of that run's per-notebook wall times."""
    if not baseline.exists():
        return f"no baseline: {display(baseline)} does not exist (run the notebooks one at a time first)"
    earlier = {entry["path"]: entry for entry in json.loads(baseline.read_text())["notebooks"]}
    missing = [display(r.path) for r in results if display(r.path) not in earlier]
    if missing:
        return f"{display(baseline)} has no time for {', '.join(missing)}"
    serial = sum(earlier[display(r.path)]["harness_seconds"] for r in results)
    print(f"{len(results)} notebooks at once: {wall:.1f} s; one after another ({display(baseline)}): "
          f"{serial:.1f} s; ratio {wall / serial:.2f}")
    if wall > serial:
        return f"{len(results)} notebooks at once took {wall:.1f} s, longer than one after another ({serial:.1f} s)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="fail when committed outputs differ from a fresh run (default)")
    mode.add_argument("--update", action="store_true",
                      help="write the fresh outputs into the notebooks")
    mode.add_argument("--warm", action="store_true",
                      help="only compile the lessons' :dep crates into the shared build folder")
    cold = parser.add_mutually_exclusive_group()
    cold.add_argument("--cold", action="store_true",
                      help="empty the shared build folder before each notebook, to time cold runs "
                           "(the kernel then compiles into it, as a fresh checkout's first one does)")
    cold.add_argument("--cold-set", action="store_true",
                      help="empty the shared build folder once, before the first notebook: the set run "
                           "from a fresh clone without set-up's warm-up")
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="run N notebooks at once, each in its own kernel (default 1)")
    parser.add_argument("--baseline", type=Path, metavar="TIMES_JSON",
                        help="with --parallel: fail if the run takes longer than the same notebooks "
                             "one after another took in the run that wrote TIMES_JSON")
    parser.add_argument("--cwd", type=Path, default=NOTEBOOKS,
                        help="the kernel's working directory (default: notebooks/)")
    parser.add_argument("--times", type=Path, default=TIMES_JSON,
                        help="where to write the JSON timing report (default: target/notebook-times.json)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: notebooks/[0-9][0-9]_*.ipynb")
    args = parser.parse_args(argv)
    if args.parallel < 1 or ((args.cold or args.cold_set) and args.parallel > 1):
        parser.error("--parallel needs N >= 1, and 1 with --cold or --cold-set (they write the shared folder)")

    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.warm:
        warm(paths, args.cwd)
        return 0
    start = monotonic()
    if args.cold or args.cold_set:
        # As before kernels had folders of their own: each kernel compiles into the shared folder.
        results = []
        with shared_lock(exclusive=True), writing_shared_folder():
            for number, path in enumerate(paths):
                if args.cold or number == 0:
                    empty_build_dir()
                results += asyncio.run(run_all([path], args.update, args.cwd, 1))
    else:
        warm(paths, args.cwd)  # 0.1 s when done; else once here rather than in every kernel
        start = monotonic()
        kernels = evcxr_kernel.kernels_dir(build_dir())
        before = set(kernels.iterdir()) if kernels.is_dir() else set()
        with build_lock():
            results = asyncio.run(run_all(paths, args.update, args.cwd, args.parallel))
        # Each kernel deletes its build folder when it ends: none of this run's may be left.
        left = [f for f in (set(kernels.iterdir()) - before if kernels.is_dir() else [])
                if f.is_dir() and not f.name.startswith(".trash-") and evcxr_kernel.abandoned(f)]
        if left:
            results.append(Result(kernels, f"the kernels ended, but left their build folders: "
                                           f"{', '.join(sorted(f.name for f in left))}"))
    wall = monotonic() - start
    write_times(results, args.times, wall, args.parallel)
    print(f"wall time {wall:.1f} s for {len(results)} notebook(s), {args.parallel} at a time")

    failed = [r for r in results if r.problem]
    if failed:
        print("\nFAILURES")
        for r in failed:
            print(f"{display(r.path)}: {r.problem}")
    slower = compare_with_baseline(results, wall, args.baseline) if args.baseline else None
    if slower:
        print(f"FAILED: {slower}")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or slower else 0


if __name__ == "__main__":
    sys.exit(main())
