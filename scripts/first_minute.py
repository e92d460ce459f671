"""The first minute of a lesson, with and without the kernel's head start (scripts/evcxr_kernel.py).

    .venv/bin/python scripts/first_minute.py [--rounds N] [--read SECONDS] [--bound SECONDS]
        [--factor K] [--slack SECONDS] [--scale-reading] [--only-after] [--no-run-all]
        [--json FILE] [NOTEBOOK]

A student opens a lesson: JupyterLab starts its kernel, and the student reads the introduction
for --read seconds (15) before running the first three code cells, one after the other. Each of
those "clicks" is timed from the request to the kernel's "idle", which is what the student waits
for. Run All starts right away instead, and is timed as scripts/run_notebooks.py times a lesson
(the kernel's start, then every cell until the kernel is idle again).

Both run in fresh "rust" kernels (the kernelspec set-up registers, on the loopback address),
without the head start (EVCXR_HEAD_START=0: "before") and with it ("after"), alternated --rounds times
(the machine is noisy; the order of the two flips every round). Each kernel is told its notebook
as jupyter_server tells it (JPY_SESSION_NAME). Every cell's outputs must match the committed
ones: the head start must not change what a cell prints.

Prints the medians and ranges, writes every number to target/first-minute.json, and fails
(exit 1) when a cell fails or prints something else than its committed outputs; when, with the
head start, a click takes longer than --bound seconds (1.5) and longer than --factor (4) times a warm
cell at that moment (a trivial cell run twice after the clicks, in the same kernel: on a busy
machine every cell is slower, while a cold click took 7 to 13 times a warm cell); or when Run All's
median with the head start exceeds its median without by more than --slack seconds (2). When the
kernel takes longer to start than the reading, the clicks show nothing about the head start: that
is reported, not judged. --scale-reading stretches the reading as much as the kernel's start was
slower than on a quiet machine (4 s), up to 60 s: a busy machine is then judged like a quiet one. --only-after runs only the kernels with the head start (the harness
self-test's quick check).
NOTEBOOK defaults to lesson 02.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import monotonic

import nbformat

import run_notebooks as harness

ROOT = harness.ROOT
DEFAULT_NOTEBOOK = harness.NOTEBOOKS / "02_autograd.ipynb"
JSON_OUT = ROOT / "target" / "first-minute.json"
CLICKS = 3  # the first code cells a student runs; the head start analyses as many (HEAD_START_CELLS)
# A cell with nothing to learn, run twice after the clicks in the same kernel (and not kept): the
# faster of the two is what any warm cell costs on the machine at that moment.
REFERENCE_CELL = 'println!("{}", 1 + 1);'
# --scale-reading: a kernel starts in about 4 s on a quiet 2-core machine (README); one that took
# k times as long ran on a machine k times as busy, where the student reads k times 15 s (at most
# SCALED_READING_CAP s).
QUIET_KERNEL_START = 4.0
SCALED_READING_CAP = 60.0


class Reader(harness.Client):
    """A student: the kernel starts, `read` seconds pass, then the first CLICKS code cells run, and
    then the REFERENCE_CELL twice (appended to this copy of the notebook); other cells are skipped."""

    def __init__(self, nb, cwd: Path, read: float, scale_reading: bool = False):
        nb.cells += [nbformat.v4.new_code_cell(REFERENCE_CELL, metadata={"reference": True}) for _ in range(2)]
        super().__init__(nb, cwd)
        self.read = read
        self.scale_reading = scale_reading
        self.opened = 0.0

    async def run(self):
        self.opened = monotonic()
        return await super().run()

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or (len(self.times) >= CLICKS and not cell.metadata.get("reference")):
            return cell
        if not self.times:
            if self.scale_reading:
                slower = self.kernel_seconds / QUIET_KERNEL_START
                self.read = min(SCALED_READING_CAP, max(self.read, self.read * slower))
            await asyncio.sleep(max(0.0, self.opened + self.read - monotonic()))
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


@dataclass
class Run:
    variant: str  # "before" (no head start) or "after"
    scenario: str  # "read" or "run-all"
    kernel_seconds: float = 0.0
    cells: list[float] = field(default_factory=list)  # each executed cell: request to idle
    reference: float | None = None  # "read": the faster of the two runs of REFERENCE_CELL
    read_seconds: float = 0.0  # "read": how long the student read (--scale-reading stretches it)
    total_seconds: float = 0.0  # kernel start + cells (Run All's time)
    problem: str | None = None


async def one_run(path: Path, cwd: Path, variant: str, scenario: str, read: float, scale: bool) -> Run:
    os.environ["EVCXR_HEAD_START"] = "0" if variant == "before" else "1"
    # What jupyter_server sets for a notebook's kernel (services/sessions/sessionmanager.py).
    os.environ["JPY_SESSION_NAME"] = str(path.resolve())
    committed = nbformat.read(path, as_version=4)
    run = Run(variant, scenario)
    if scenario == "read":
        client = Reader(nbformat.from_dict(committed), cwd, read, scale)
        try:
            await client.run()
        except harness.CellFailed as failure:
            run.problem = str(failure)
        except Exception as error:  # a kernel that died, a timeout: reported, the rounds go on
            run.problem = f"{type(error).__name__}: {error}"
        # Skipped cells keep their committed outputs, and the reference cells come after the last.
        run.problem = run.problem or harness.first_difference(committed, client.nb)
    else:
        client, run.problem = await harness.execute_async(committed, cwd)
        run.problem = run.problem or harness.first_difference(committed, client.nb)
    run.kernel_seconds = round(client.kernel_seconds, 3)
    run.cells = [round(cell.seconds, 3) for cell in client.times]
    if scenario == "read":
        run.read_seconds = round(client.read, 1)
        run.cells, references = run.cells[:CLICKS], run.cells[CLICKS:]
        run.reference = min(references) if references else None
    run.total_seconds = round(client.kernel_seconds + sum(cell.seconds for cell in client.times), 3)
    return run


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(runs: list[Run]) -> None:
    print("\nmedian (min-max) in seconds, over the rounds")
    print(f"{'':8} {'kernel start':>20} " + " ".join(f"{'click ' + str(n + 1):>20}" for n in range(CLICKS))
          + f" {'a warm cell':>20} {'Run All':>20}")
    for variant in ("before", "after"):
        reads = [r for r in runs if r.variant == variant and r.scenario == "read" and not r.problem]
        alls = [r for r in runs if r.variant == variant and r.scenario == "run-all" and not r.problem]
        if not reads and not alls:
            continue
        clicks = [spread([r.cells[n] for r in reads if len(r.cells) > n]) for n in range(CLICKS)]
        print(f"{variant:8} {spread([r.kernel_seconds for r in reads]):>20} "
              + " ".join(f"{c:>20}" for c in clicks)
              + f" {spread([r.reference for r in reads if r.reference is not None]):>20}"
              + f" {spread([r.total_seconds for r in alls]):>20}")


def verdict(runs: list[Run], bound: float, factor: float, slack: float) -> tuple[list[str], list[str]]:
    """(problems, notes): what fails the run, and what could not be measured."""
    problems = [f"{r.variant} {r.scenario}: {r.problem}" for r in runs if r.problem]
    notes = []
    for r in runs:
        if r.variant != "after" or r.scenario != "read" or r.problem:
            continue
        if r.kernel_seconds >= r.read_seconds:
            notes.append(f"the kernel took {r.kernel_seconds:.1f} s to start, longer than the {r.read_seconds:.0f} s of "
                         "reading: the machine is too busy to show what the head start saves (not judged)")
            continue
        # On a busy machine every cell is slower: the bound grows with what a warm cell costs.
        limit = max(bound, factor * (r.reference or 0.0))
        slow = [f"click {n + 1}: {s:.2f} s" for n, s in enumerate(r.cells) if s > limit]
        if slow:
            problems.append(f"with the head start, after reading: {', '.join(slow)} (bound {limit:.2f} s: "
                            f"{bound} s, or {factor} times a warm cell's {r.reference or 0:.2f} s)")
    totals = {v: [r.total_seconds for r in runs if r.variant == v and r.scenario == "run-all" and not r.problem]
              for v in ("before", "after")}
    if totals["before"] and totals["after"]:
        before, after = statistics.median(totals["before"]), statistics.median(totals["after"])
        if after > before + slack:
            problems.append(f"Run All with the head start: median {after:.2f} s, without {before:.2f} s "
                            f"(more than {slack} s slower)")
    return problems, notes


async def main_async(args) -> list[Run]:
    runs: list[Run] = []
    variants = ["after"] if args.only_after else ["before", "after"]
    for number in range(args.rounds):
        order = variants if number % 2 == 0 else variants[::-1]
        for scenario in (["read"] if args.no_run_all else ["read", "run-all"]):
            for variant in order:
                run = await one_run(args.notebook, args.cwd, variant, scenario, args.read, args.scale_reading)
                runs.append(run)
                print(f"round {number + 1} {variant:6} {scenario:7}: kernel start {run.kernel_seconds:.2f} s, "
                      + (f"read {run.read_seconds:.0f} s, clicks {', '.join(f'{s:.2f}' for s in run.cells)} s, "
                         f"a warm cell {run.reference or 0:.2f} s"
                         if scenario == "read"
                         else f"Run All {run.total_seconds:.2f} s ({len(run.cells)} cells)")
                      + (f"  FAILED: {run.problem}" if run.problem else ""), flush=True)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (default 3)")
    parser.add_argument("--read", type=float, default=15.0, help="seconds of reading (default 15)")
    parser.add_argument("--bound", type=float, default=1.5,
                        help="fail if a click with the head start takes longer (seconds, default 1.5) ...")
    parser.add_argument("--factor", type=float, default=4.0,
                        help="... and longer than this many times a warm cell (default 4)")
    parser.add_argument("--slack", type=float, default=2.0,
                        help="fail if Run All's median with the head start is this much slower (default 2)")
    parser.add_argument("--scale-reading", action="store_true",
                        help="read longer when the kernel started slower than on a quiet machine (up to 60 s)")
    parser.add_argument("--only-after", action="store_true", help="only kernels with the head start")
    parser.add_argument("--no-run-all", action="store_true", help="only the reading student")
    parser.add_argument("--cwd", type=Path, default=harness.NOTEBOOKS, help="the kernel's working directory")
    parser.add_argument("--json", type=Path, default=JSON_OUT, help="where to write every number")
    parser.add_argument("notebook", nargs="?", type=Path, default=DEFAULT_NOTEBOOK)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds needs N >= 1")
    for name in ("EVCXR_HEAD_START", "JPY_SESSION_NAME"):
        os.environ.pop(name, None)

    harness.warm([args.notebook], args.cwd)  # 0.1 s when set-up did it
    with harness.build_lock():
        runs = asyncio.run(main_async(args))
    report(runs)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "notebook": harness.display(args.notebook), "read_seconds": args.read, "rounds": args.rounds,
        "load_average": os.getloadavg(), "runs": [asdict(r) for r in runs],
    }, indent=1) + "\n")
    problems, notes = verdict(runs, args.bound, args.factor, args.slack)
    for note in notes:
        print(f"NOTE: {note}")
    for problem in problems:
        print(f"FAILED: {problem}")
    print(f"first minute: {'FAILED' if problems else 'passed'} ({harness.display(args.json)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
