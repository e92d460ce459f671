"""Test the classroom kit: build it (scripts/make_kit.py) into target/kit-test/ and check it.

    .venv/bin/python scripts/test_kit.py [--no-run] [LESSON.ipynb ...]

For every lesson (default: all), the test fails unless
- the kit has its student copy and its HTML export, and index.html links both;
- the student copy holds no solution: neither `## Solutions` nor any line of the solution cells
  (their code and their prose; lines that the lesson itself also has are not evidence);
- the student copy is the lesson up to the solutions, with each exercise's answer cell as
  committed (the blank template, marked `// <-`) and its check cell kept, both without outputs;
- the HTML export shows the lesson's outputs: its figures, and the first line of everything
  its cells print;
- the student copy runs in the real "rust" kernel (working directory notebooks/, as the lessons
  do): every cell up to the first exercise without error or panic,
  and then the exercises too: with the blank answers, every check cell runs and says "not yet".
  (--no-run skips this part.)
Ends with "kit: N passed, M failed", counting lessons.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path
from time import monotonic

import nbformat

import make_kit
import run_notebooks as harness

ROOT = harness.ROOT
NOTEBOOKS = harness.NOTEBOOKS
OUT = ROOT / "target" / "kit-test"
MIN_LINE = 12  # shorter solution lines ("}", "**2.**") prove nothing


def cell_texts(nb) -> str:
    """Everything a notebook shows: sources and the text of every output."""
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for value in out.get("data", {}).values():
                parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(parts)


def solution_lines(nb, start: int) -> list[str]:
    """Lines of the solution cells that the lesson before them does not have."""
    lesson = {line.strip() for cell in nb.cells[:start] for line in cell.source.splitlines()}
    lines = []
    for cell in nb.cells[start:]:
        for line in cell.source.splitlines():
            line = line.strip()
            if len(line) >= MIN_LINE and line not in lesson and line not in lines:
                lines.append(line)
    return lines


def check_student(lesson, student_file: Path) -> list[str]:
    problems = []
    raw = student_file.read_text()
    student = nbformat.reads(raw, as_version=4)
    start = make_kit.solutions_start(lesson, student_file.name)
    if "## Solutions" in raw:
        problems.append("has '## Solutions'")
    shown = cell_texts(student)
    leaked = [line for line in solution_lines(lesson, start) if line in shown]
    if leaked:
        problems.append(f"shows {len(leaked)} solution lines, e.g. {leaked[0]!r}")
    if len(student.cells) != start:
        problems.append(f"has {len(student.cells)} cells, the lesson has {start} before its solutions")
    for exercise in make_kit.exercises(lesson, student_file.name):
        for role, index in (("answer", exercise.answer), ("check", exercise.check)):
            if index >= len(student.cells):
                problems.append(f"Exercise {exercise.number}: its {role} cell {index} is missing")
                continue
            cell = student.cells[index]
            if cell.source != lesson.cells[index].source:
                problems.append(f"Exercise {exercise.number}: the {role} cell {index} differs from the lesson's")
            if cell.get("outputs"):
                problems.append(f"Exercise {exercise.number}: the {role} cell {index} has outputs")
        if make_kit.ANSWER_MARK not in student.cells[exercise.answer].source:
            problems.append(f"Exercise {exercise.number}: the answer cell is not the blank template")
    return problems


def check_html(lesson, html_file: Path) -> list[str]:
    page = html_file.read_text()
    problems = []
    images = len(re.findall(r'<img [^>]*src="data:image/', page)) + page.count("<svg ")
    figures = harness.FIGURES.get(html_file.stem)
    if figures is not None and images != figures:
        problems.append(f"shows {images} figures, the lesson has {figures}")
    missing = []
    for cell in lesson.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "stream" and out.name == "stdout" and out.text.strip():
                line = out.text.strip().splitlines()[0]
                if html.escape(line, quote=False) not in page and html.escape(line) not in page:
                    missing.append(line)
    if missing:
        problems.append(f"does not show {len(missing)} printed lines, e.g. {missing[0]!r}")
    return problems


def self_check(path: Path, scratch: Path) -> list[str]:
    """The checks must catch what they look for: a student copy with the solutions left in, and
    one whose answer cell holds the answer, must both fail check_student()."""
    lesson = nbformat.read(path, as_version=4)
    start = make_kit.solutions_start(lesson, path.name)
    exercise = make_kit.exercises(lesson, path.name)[0]
    leaky = make_kit.student_copy(lesson, path.name)
    leaky.cells += lesson.cells[start:]
    solved = make_kit.student_copy(lesson, path.name)
    solved.cells[exercise.answer].source = "\n".join(
        line for cell in lesson.cells[start:] if cell.cell_type == "code" for line in cell.source.splitlines()[:1]
    )
    missed = []
    for name, nb in (("solutions left in", leaky), ("answer filled in", solved)):
        target = scratch / f"{name}.ipynb"
        target.write_text(nbformat.writes(nb))
        if not check_student(lesson, target):
            missed.append(f"self-check: a student copy with the {name} passes the checks")
        target.unlink()
    return missed


def run_student(student_file: Path, lesson) -> tuple[list[str], float]:
    """Runs the student copy in a fresh kernel from notebooks/ (the caller holds the build lock)."""
    student = nbformat.read(student_file, as_version=4)
    exercises = make_kit.exercises(lesson, student_file.name)
    first = exercises[0].markdown
    start = monotonic()
    client, problem = harness.execute(student, NOTEBOOKS)
    seconds = monotonic() - start
    if problem:
        cell = re.match(r"cell (\d+)", problem)
        part = "the lesson" if cell and int(cell.group(1)) < first else "the exercises"
        return [f"{part} (first exercise at cell {first}) fails: {problem}"], seconds
    problems = []
    ran = client.nb.cells
    for exercise in exercises:
        said = "".join(out.get("text", "") for out in ran[exercise.check].get("outputs", [])
                       if out.output_type == "stream" and out.name == "stdout").strip()
        if not said.startswith("not yet"):
            problems.append(f"Exercise {exercise.number}: with the blank answer, the check says {said[:80]!r}, "
                            "not 'not yet ...'")
    return problems, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-run", action="store_true", help="do not run the student copies in the kernel")
    parser.add_argument("lessons", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.lessons] or make_kit.lesson_paths()

    start = monotonic()
    make_kit.build(OUT, paths)
    print(f"built the kit into {harness.display(OUT)} in {monotonic() - start:.1f} s")
    index = (OUT / "index.html").read_text()
    missed = self_check(paths[0], OUT)
    for problem in missed:
        print(problem)
    if not missed:
        print(f"self-check: {paths[0].name} with its solutions left in, or an answer filled in, fails the checks")

    results = {}
    with harness.build_lock(NOTEBOOKS):
        for path in paths:
            lesson = nbformat.read(path, as_version=4)
            student_file = OUT / "notebooks" / path.name
            html_file = OUT / "html" / f"{path.stem}.html"
            problems = []
            for link in (f"notebooks/{path.name}", f"html/{path.stem}.html"):
                if f'href="{link}"' not in index:
                    problems.append(f"index.html does not link {link}")
            problems += [f"student copy {p}" for p in check_student(lesson, student_file)]
            problems += [f"HTML {p}" for p in check_html(lesson, html_file)]
            verdict = ""
            if not args.no_run:
                ran, seconds = run_student(student_file, lesson)
                problems += [f"student copy: {p}" for p in ran]
                verdict = f" (ran in the kernel in {seconds:.1f} s)"
            results[path] = problems
            print(f"{harness.display(path)}: {'FAILED' if problems else 'passed'}{verdict}", flush=True)
            for problem in problems:
                print(f"    - {problem}")

    failed = [p for p, problems in results.items() if problems]
    print(f"kit test done in {monotonic() - start:.1f} s")
    print(f"kit: {len(results) - len(failed)} passed, {len(failed) + len(missed)} failed")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
