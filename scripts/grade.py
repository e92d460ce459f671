"""The lessons as nbgrader assignments: source versions derived from the lessons, student versions
made by `nbgrader generate_assignment` (README, "For teachers"; the configuration is
course/nbgrader_config.py).

    .venv/bin/python scripts/grade.py assign [--course DIR] [LESSON.ipynb ...]

writes DIR/source/NN_name/NN_name.ipynb for every lesson (default: all) that follows the kit layout
(scripts/make_kit.py) and has an answers file (notebooks/answers/NN_name.json), then runs
`nbgrader generate_assignment` in DIR (default: course/), which writes the student versions to
DIR/release/NN_name/NN_name.ipynb. The lessons stay the single source, solutions at their end; a
source version is the lesson up to its solutions, with
- each exercise's answer cell a solution cell: the lesson's blank template, whose lines marked
  `// <-` are replaced by the answers file's right answer between `// BEGIN SOLUTION` and
  `// END SOLUTION` (the `// <-` hint stays above, as a comment). nbgrader leaves
  `// YOUR CODE HERE` and `todo!()` in their place, so a marked line must be inside a block where a
  value is expected (a function's body, or `let x = { ... };`): there the stub compiles, and
  the check fails with "not yet implemented";
- each exercise's check cell an autograded test cell worth the exercise's points (`"points"` in
  the answers file, default 1), locked; its first line, `let _grading = autograd_core::grading();`,
  installs `short_panics()` and a guard, so that a panic there writes a line to stderr (which
  scores the cell 0) whatever panic hook an answer installed, even one installed while the check
  runs. A failed `check(...)` panics (autograd-core's notebook.rs);
- every other cell read-only, with its outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

import make_kit

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ANSWERS = NOTEBOOKS / "answers"
COURSE = ROOT / "course"
# The first line of every test cell in a source version (see above).
TEST_PREFIX = "let _grading = autograd_core::grading(); // a panic in this check scores 0, whatever hook an answer set\n"
BEGIN, END = "// BEGIN SOLUTION", "// END SOLUTION"


def answers_file(path: Path) -> Path:
    return ANSWERS / f"{path.stem}.json"


def graded_lessons(paths: list[Path] | None = None) -> list[Path]:
    """The lessons that become assignments: those with an answers file."""
    return [p for p in (paths or make_kit.lesson_paths()) if answers_file(p).exists()]


def source_text(value: str | list[str]) -> str:
    """Code in an answers file: one string, or a list of lines (easier to read in JSON)."""
    return "\n".join(value) if isinstance(value, list) else value


def solution_cell(template: str, right: str, where: str) -> str:
    """The answer cell with its solution regions: the template's unmarked lines must appear in the
    right answer in the same order (compared without indentation); each run of `// <-` lines
    becomes the right answer's lines between its neighbours, marked as a solution region."""
    items: list[tuple] = []  # ("line", text) or ("gap", indent, hints)
    for line in template.splitlines():
        if make_kit.ANSWER_MARK not in line:
            items.append(("line", line))
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if not indent:
            raise make_kit.LayoutError(
                f"{where}: the answer line {line.strip()!r} is not inside a block: nbgrader replaces it "
                "with `todo!()`, which must stand where a value is expected (a function's body)")
        hint = make_kit.ANSWER_MARK + line.split(make_kit.ANSWER_MARK, 1)[1]
        if items and items[-1][0] == "gap":
            items[-1][2].append(hint)
        else:
            items.append(("gap", indent, [hint]))
    lines = right.splitlines()

    def match(i: int, j: int) -> list[str] | None:
        if i == len(items):
            return [] if j == len(lines) else None
        if items[i][0] == "line":
            if j < len(lines) and lines[j].strip() == items[i][1].strip():
                rest = match(i + 1, j + 1)
                return None if rest is None else [lines[j], *rest]
            return None
        _, indent, hints = items[i]
        for k in range(j + 1, len(lines) + 1):  # the shortest region that lets the rest match
            rest = match(i + 1, k)
            if rest is not None:
                return [*(indent + h for h in hints), indent + BEGIN, *lines[j:k], indent + END, *rest]
        return None

    marked = match(0, 0)
    if marked is None:
        raise make_kit.LayoutError(
            f"{where}: the right answer does not keep the template's lines outside its `// <-` lines "
            "(in order, each `// <-` run replaced by at least one line)")
    return "\n".join(marked)


REPAIR = re.compile(r"\b(fix|repair)\b", re.I)


def is_repair(template: str) -> bool:
    """A "fix this loop" exercise: its `// <-` line asks to fix or repair the code given (the whole
    cell is the answer), e.g. `} // <- find the bug and fix it`."""
    return any(REPAIR.search(line.split(make_kit.ANSWER_MARK, 1)[1])
               for line in template.splitlines() if make_kit.ANSWER_MARK in line)


def nbgrader_meta(grade_id: str, *, solution=False, grade=False, locked=True, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def source_version(path: Path) -> nbformat.NotebookNode:
    """The lesson as an nbgrader source assignment (see the module's doc)."""
    lesson = nbformat.read(path, as_version=4)
    found = make_kit.exercises(lesson, path.name)
    for exercise in found:
        make_kit.check_blank(lesson, exercise, path.name)
    answers = json.loads(answers_file(path).read_text())
    source = nbformat.v4.new_notebook(metadata=lesson.metadata)
    source.cells = [nbformat.from_dict(dict(cell)) for cell in lesson.cells[: make_kit.solutions_start(lesson, path.name)]]
    for i, cell in enumerate(source.cells):
        cell.metadata = dict(cell.metadata, nbgrader=nbgrader_meta(f"cell-{i:02d}"))
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace(*make_kit.SOLUTIONS_HINT)
    for exercise in found:
        entry = answers.get(str(exercise.number))
        if not entry or "right" not in entry:
            raise make_kit.LayoutError(f"{answers_file(path).name} has no right answer for Exercise {exercise.number}")
        where = f"{path.name}: Exercise {exercise.number}"
        answer, check = source.cells[exercise.answer], source.cells[exercise.check]
        if is_repair(answer.source):
            # The student gets the faulty code itself to repair, so there is no region to blank
            # out: an ordinary cell (no nbgrader metadata) that the student edits and nbgrader
            # keeps as submitted. Its check cell scores it like any other.
            del answer.metadata["nbgrader"]
        else:
            answer.source = solution_cell(answer.source, source_text(entry["right"]), where)
            answer.metadata["nbgrader"] = nbgrader_meta(f"exercise{exercise.number}-answer", solution=True, locked=False)
        check.source = TEST_PREFIX + check.source
        check.metadata["nbgrader"] = nbgrader_meta(f"exercise{exercise.number}-check", grade=True,
                                                   points=entry.get("points", 1))
        for cell in (answer, check):
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(source)
    return source


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `nbgrader ARGS` in the course folder with this venv's tools on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def course_config(course: Path) -> None:
    """A course folder other than course/ loads course/nbgrader_config.py from its own."""
    if course.resolve() != COURSE.resolve():
        course.mkdir(parents=True, exist_ok=True)
        (course / "nbgrader_config.py").write_text(
            "# Generated by scripts/grade.py: the settings are the checkout's.\n"
            f"c = get_config()\nload_subconfig({str(COURSE / 'nbgrader_config.py')!r})\n")


def link_crate(folder: Path) -> None:
    """The lessons load `../autograd-core`: link it beside the assignments' folders."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "autograd-core"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(os.path.relpath(ROOT / "autograd-core", folder), target_is_directory=True)


def assign(course: Path, paths: list[Path] | None = None) -> dict[str, Path]:
    """Writes the source versions and makes the student versions with nbgrader; returns
    {lesson stem: its student version in release/}."""
    course_config(course)
    released = {}
    lessons = graded_lessons(paths)
    for path in lessons:  # all checked before nbgrader runs
        target = course / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nbformat.writes(source_version(path)) + "\n")
    for folder in ("source", "release"):
        link_crate(course / folder)
    for path in lessons:
        nbgrader(course, "generate_assignment", path.stem, "--force")
        released[path.stem] = course / "release" / path.stem / path.name
    return released


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["assign"])
    parser.add_argument("--course", type=Path, default=COURSE, help="default: course/")
    parser.add_argument("lessons", nargs="*", type=Path, help="default: every lesson with an answers file")
    args = parser.parse_args(argv)
    try:
        released = assign(args.course.resolve(), [p.resolve() for p in args.lessons] or None)
    except make_kit.LayoutError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 1
    for stem, path in released.items():
        print(f"{stem}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
