"""Build the classroom kit (`make kit`): student copies of the lessons, HTML exports, an index.

    .venv/bin/python scripts/make_kit.py [--out kit]

kit/
  index.html               what each lesson teaches, how long it runs, links to the files below
  notebooks/NN_name.ipynb  student copies, made by nbgrader (scripts/grade.py: the lesson as an
                           nbgrader source assignment, then `nbgrader generate_assignment`):
                           everything from the `---` / `## Solutions` cell on is removed; in each
                           exercise's answer cell nbgrader left `// YOUR CODE HERE` and `todo!()`
                           where the answer goes; answer and check cells have no outputs; the check
                           cells stay (read-only). Other cells keep their outputs.
  html/NN_name.html        every lesson as committed, outputs and solutions included, to read in a
                           browser without a kernel (nbconvert)

A lesson has to follow the lesson layout, or the build fails: an `## Exercises` section whose
markdown cells announce `**Exercise N.**`, each followed by its answer cell (holding the blank
template, marked `// <-` on the lines where the answer goes, each inside a block where a value is
expected, such as a function's body) and its check cell, then one markdown cell starting `---` and
`## Solutions`. A check cell ends with one `check(passed, correct, not_yet)`
(autograd_core::check): it prints `correct: ...`, or writes `not yet: ...` to stderr and panics,
which fails the cell (nbgrader scores it 0). The lesson's answers file
(notebooks/answers/NN_name.json) holds each exercise's right answer, which scripts/grade.py puts
in place of the template's `// <-` lines for the source assignment.
A lesson without an answers file (none once every lesson has one) still gets a copy made here
the old way: the lesson up to its solutions, exercise cells without outputs.
The student copies load autograd-core from `../autograd-core`, as the lessons do: they run from
the notebooks/ folder of a checkout of this repository.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from time import monotonic

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMES_JSON = ROOT / "target" / "notebook-times.json"
DEFAULT_OUT = ROOT / "kit"

EXERCISE = re.compile(r"^\*\*Exercise (\d+)\.\*\*", re.M)
ANSWER_MARK = "// <-"  # a blank answer template says where the answer goes
# The one sentence of the lessons that points at the solutions; student copies say this instead.
SOLUTIONS_HINT = ("Solutions are at the end of the notebook.", "Your teacher has the solutions.")


class LayoutError(Exception):
    """A lesson does not follow the layout this kit relies on."""


@dataclass
class Exercise:
    number: int
    markdown: int  # cell indices in the lesson
    answer: int
    check: int


def lesson_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def is_solutions_cell(cell) -> bool:
    lines = [line.strip() for line in cell.source.strip().splitlines()]
    return cell.cell_type == "markdown" and lines[:1] == ["---"] and "## Solutions" in lines[1:3]


def solutions_start(nb, name: str) -> int:
    starts = [i for i, cell in enumerate(nb.cells) if is_solutions_cell(cell)]
    if len(starts) != 1:
        raise LayoutError(f"{name}: expected one markdown cell starting '---' and '## Solutions', found {len(starts)}")
    return starts[0]


def exercises(nb, name: str) -> list[Exercise]:
    """The exercises before the solutions, each with its answer and check cell."""
    end = solutions_start(nb, name)
    found = []
    for i, cell in enumerate(nb.cells[:end]):
        if cell.cell_type != "markdown":
            continue
        for number in EXERCISE.findall(cell.source):
            answer, check = i + 1, i + 2
            if check >= end or any(nb.cells[j].cell_type != "code" for j in (answer, check)):
                raise LayoutError(f"{name}: Exercise {number} (cell {i}) is not followed by an answer and a check code cell")
            found.append(Exercise(int(number), i, answer, check))
    if [e.number for e in found] != list(range(1, len(found) + 1)) or not found:
        raise LayoutError(f"{name}: exercises are numbered {[e.number for e in found]}, expected 1, 2, ...")
    return found


def check_blank(nb, exercise: Exercise, name: str) -> None:
    """The committed answer cell must be the blank template: marked, and (when the notebook has
    outputs) its check cell says "not yet"."""
    answer, check = nb.cells[exercise.answer], nb.cells[exercise.check]
    where = f"{name}: Exercise {exercise.number} (cell {exercise.answer})"
    if ANSWER_MARK not in answer.source:
        raise LayoutError(f"{where}: the answer cell has no '{ANSWER_MARK}' mark: is it the blank template?")
    said = "".join(out.get("text", "") for out in check.get("outputs", []) if out.output_type == "stream")
    if said and (not re.search(r"^not yet", said, re.M) or re.search(r"^correct", said, re.M)):
        raise LayoutError(f"{where}: the check cell says {said.strip()[:80]!r} with the committed answer; "
                          "a blank template must get 'not yet'")


def student_copy(nb, name: str) -> nbformat.NotebookNode:
    """The lesson without its solutions, exercise answers blank, exercise outputs cleared."""
    found = exercises(nb, name)
    for exercise in found:
        check_blank(nb, exercise, name)
    student = copy.deepcopy(nb)
    student.cells = student.cells[: solutions_start(nb, name)]
    for exercise in found:
        for index in (exercise.answer, exercise.check):
            student.cells[index].outputs = []
            student.cells[index].execution_count = None
    for cell in student.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace(*SOLUTIONS_HINT)
    return student


# --- The index page --------------------------------------------------------------------


def title_and_summary(nb) -> tuple[str, str]:
    """The lesson's `# title` and the first paragraph under it."""
    first = nb.cells[0].source.strip() if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    lines = first.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else ""
    paragraph = []
    for line in lines[1:]:
        if line.strip():
            paragraph.append(line.strip())
        elif paragraph:
            break
    return title, " ".join(paragraph)


def inline_markdown(text: str) -> str:
    """Escaped text with `code`, **bold** and *italics*, enough for a lesson's first paragraph."""
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1", text)  # links point into the repository
    return re.sub(r"(?<![*\w])\*([^*]+)\*(?!\w)", r"<em>\1</em>", text)


# Seconds per lesson, warm, on 2 cores (scripts/run_notebooks.py; README "For teachers"): shown for
# lessons that the last run did not time.
MEASURED_SECONDS = {
    "01_manual_gradients": 15, "02_autograd": 15, "03_loss_and_optimizer": 13,
    "04_module": 15, "05_noisy_data": 14, "06_beyond_a_line": 13,
    "07_minibatches_and_validation": 12, "08_inside_backward": 14,
}


def run_times() -> dict[str, float]:
    """Seconds per lesson from the last scripts/run_notebooks.py run, else as measured."""
    times = dict(MEASURED_SECONDS)
    try:
        report = json.loads(TIMES_JSON.read_text())
    except (OSError, ValueError):
        return times
    times.update({Path(n["path"]).stem: n["seconds"] for n in report.get("notebooks", []) if n.get("passed")})
    return times


INDEX = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Learn autograd in Rust: classroom kit</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
code, pre {{ background: #f4f4f4; border-radius: 3px; padding: 0 .2rem; }}
pre {{ padding: .5rem; overflow-x: auto; }}
td.time {{ white-space: nowrap; }}
</style>
</head>
<body>
<h1>Learn autograd in Rust: classroom kit</h1>
<p>Numbered Jupyter lessons that run Rust on the evcxr kernel, each mirroring a PyTorch lesson
with the same numbers. Built by <code>make kit</code> from the lessons in this repository.</p>
<table>
<tr><th>lesson</th><th>what it teaches</th><th>for students</th><th>to read (solutions included)</th><th>run time</th></tr>
{rows}
</table>
<h2>Using the kit</h2>
<ul>
<li><strong>Student notebooks</strong> (<code>notebooks/</code>): the lessons without their solutions, as
nbgrader makes them: every exercise's answer is <code>todo!()</code> under the template's hints, and its
check cell is kept, read-only (README, "For teachers", grades them with nbgrader). They load the crate from
<code>../autograd-core</code>, like the lessons: copy them over <code>notebooks/</code> in a checkout of the
repository, run <code>make lab</code> there, and open them in JupyterLab.</li>
<li><strong>HTML</strong> (<code>html/</code>): each lesson as committed, with its outputs and figures and
with the solutions, to read in any browser without a kernel. (Lesson 01's formulas are typeset by
MathJax, which the page loads from the internet; offline they show as LaTeX source.)</li>
<li><strong>Run time</strong>: seconds for the whole lesson with a warm build cache on 2 cores (the first
lesson after set-up also starts the kernel); "Run All" in JupyterLab takes about as long.</li>
</ul>
</body>
</html>
"""


def index_page(lessons: list[tuple[str, nbformat.NotebookNode]], times: dict[str, float]) -> str:
    rows = []
    for stem, nb in lessons:
        title, summary = title_and_summary(nb)
        seconds = times.get(stem)
        rows.append(
            f'<tr><td>{inline_markdown(title)}</td><td>{inline_markdown(summary)}</td>'
            f'<td><a href="notebooks/{stem}.ipynb">{stem}.ipynb</a></td>'
            f'<td><a href="html/{stem}.html">{stem}.html</a></td>'
            f'<td class="time">{f"{seconds:.0f} s" if seconds else "?"}</td></tr>'
        )
    return INDEX.format(rows="\n".join(rows))


# --- Building --------------------------------------------------------------------------


def html_export(nb) -> str:
    from nbconvert import HTMLExporter  # imported here: it takes a second to load

    title = title_and_summary(nb)[0].replace("`", "")
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def released_copies(paths: list[Path]) -> dict[str, nbformat.NotebookNode]:
    """The student versions nbgrader makes of the lessons with an answers file (scripts/grade.py),
    made in a throwaway course folder."""
    import grade  # imported here: grade imports this module

    with tempfile.TemporaryDirectory(prefix="kit-course-") as course:
        released = grade.assign(Path(course), paths)
        return {stem: nbformat.read(path, as_version=4) for stem, path in released.items()}


def build(out: Path, paths: list[Path]) -> list[Path]:
    """Writes the kit into out (replacing it); returns the files written."""
    lessons = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"):
            print(f"warning: {path.name} has no outputs: its HTML will show none (make notebooks)")
        lessons.append((path.stem, nb, student_copy(nb, path.name)))  # checks the layout first
    released = released_copies(paths)
    lessons = [(stem, nb, released.get(stem, student)) for stem, nb, student in lessons]
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    (out / "html").mkdir()
    written = []
    for stem, nb, student in lessons:
        target = out / "notebooks" / f"{stem}.ipynb"
        target.write_text(nbformat.writes(student) + "\n")
        written.append(target)
        target = out / "html" / f"{stem}.html"
        target.write_text(html_export(nb))
        written.append(target)
    target = out / "index.html"
    target.write_text(index_page([(stem, nb) for stem, nb, _ in lessons], run_times()))
    written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: kit/")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    args = parser.parse_args(argv)
    start = monotonic()
    try:
        written = build(args.out.resolve(), [p.resolve() for p in args.notebooks] or lesson_paths())
    except LayoutError as error:  # scripts/grade.py raises this module's, imported by name
        print(f"make_kit: {error}", file=sys.stderr)
        return 1
    out = args.out.resolve()
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"kit: {len(written)} files in {shown}/ in {monotonic() - start:.1f} s; open {shown}/index.html")
    return 0


if __name__ == "__main__":
    # Run as the module `make_kit`, not `__main__`: scripts/grade.py imports make_kit and raises
    # its LayoutError, which main() must catch as its own.
    import make_kit

    sys.exit(make_kit.main())
