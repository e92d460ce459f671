"""Test the classroom kit: build it (scripts/make_kit.py) into target/kit-test/ and check it.

    .venv/bin/python scripts/test_kit.py [--no-run] [LESSON.ipynb ...]

For every lesson (default: all), the test fails unless
- the kit has its student copy and its HTML export, and index.html links both;
- the student copy holds no solution: neither `## Solutions` nor any line of the solution cells
  or of the answers file's right answers (their code and their prose; lines that the lesson
  itself also has are not evidence);
- the student copy is the lesson up to the solutions, each exercise's answer and check cell
  without outputs. For a lesson with an answers file, nbgrader made the copy (scripts/grade.py):
  its answer cells hold nbgrader's stub (`todo!()`) where the template's `// <-` lines were, and
  its check cells are the lesson's, after the line that grade.py puts first in every test cell.
  Otherwise the answer cell is as committed (the blank template, marked `// <-`) and the check
  cell is the lesson's;
- the HTML export shows the lesson's outputs: its figures, and the first line of everything
  its cells print;
- the student copy of a lesson without an answers file runs in the real "rust" kernel (working
  directory notebooks/, as the lessons do): every cell up to the first exercise without error
  or panic, and then, with the blank answers, every check cell says "not yet" (a failed
  `check(...)` writes it to stderr and panics). (--no-run skips this part.)
The lessons with an answers file run in the kernel in scripts/test_grade.py instead, graded by
nbgrader: their student copy blank, with the right answers, and with every wrong answer. With
--answers, this test runs them too, the old, quicker way while writing answers: in the same kernel
as the student copy, each wrong answer followed by its exercise's check (one cell), which must say
"not yet" without another panic, and last the right answer, which must get "correct".
Ends with "kit: N passed, M failed", counting lessons.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path
from time import monotonic

import nbformat

import grade
import make_kit
import run_notebooks as harness

ROOT = harness.ROOT
NOTEBOOKS = harness.NOTEBOOKS
OUT = ROOT / "target" / "kit-test"
ANSWERS = NOTEBOOKS / "answers"
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


def solution_lines(nb, start: int, extra: tuple[str, ...] = ()) -> list[str]:
    """Lines of the solution cells (and of the extra texts) that the lesson before them does not have."""
    lesson = {line.strip() for cell in nb.cells[:start] for line in cell.source.splitlines()}
    lines = []
    for text in [cell.source for cell in nb.cells[start:]] + list(extra):
        for line in text.splitlines():
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
    answers = grade.answers_file(student_file)
    graded = answers.exists()
    rights = tuple(source_text(e.get("right", "")) for e in json.loads(answers.read_text()).values()) if graded else ()
    leaked = [line for line in solution_lines(lesson, start, rights) if line in shown]
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
            want = lesson.cells[index].source
            if graded and role == "check":
                want = grade.TEST_PREFIX + want
            # a graded answer holds nbgrader's stub, unless it is code to repair (given as is)
            stub = role == "answer" and graded and not grade.is_repair(want)
            if ("todo!()" not in cell.source) if stub else (cell.source != want):
                problems.append(f"Exercise {exercise.number}: the {role} cell {index} differs from the lesson's"
                                + (" (nbgrader's stub, `todo!()`, is not there)" if stub else ""))
            if cell.get("outputs"):
                problems.append(f"Exercise {exercise.number}: the {role} cell {index} has outputs")
        if make_kit.ANSWER_MARK not in student.cells[exercise.answer].source:
            problems.append(f"Exercise {exercise.number}: the answer cell has lost the template's `// <-` hints")
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


def source_text(value: str | list[str]) -> str:
    """Code in an answers file: one string, or a list of lines (easier to read in JSON)."""
    return "\n".join(value) if isinstance(value, list) else value


Trial = tuple[int, str, str, bool]  # exercise number, what is tried, the code, whether it must pass


def answer_trials(path: Path, lesson) -> tuple[list[Trial], list[str]]:
    """The answers to try from notebooks/answers/LESSON.json, as Trials, each
    exercise's wrong answers first and its right answer last, and the file's problems."""
    file = ANSWERS / f"{path.stem}.json"
    if not file.exists():
        return [], []
    try:
        answers = json.loads(file.read_text())
    except ValueError as error:
        return [], [f"{harness.display(file)} is not JSON: {error}"]
    trials, problems = [], []
    for exercise in make_kit.exercises(lesson, path.name):
        entry = answers.get(str(exercise.number))
        if not entry or "right" not in entry or not entry.get("wrong"):
            problems.append(f"{harness.display(file)} has no right answer and wrong answers for Exercise {exercise.number}")
            continue
        right = source_text(entry["right"])
        for n, wrong in enumerate(entry["wrong"], 1):
            what = f"Exercise {exercise.number}, wrong answer {n} ({wrong.get('why', 'no reason given')})"
            if "code" in wrong:
                trials.append((exercise.number, what, source_text(wrong["code"]), False))
                continue
            code = right
            for old, new in wrong.get("replace", []):
                if code.count(old) != 1:
                    problems.append(f"{what}: {old!r} occurs {code.count(old)} times in the right answer, not once")
                code = code.replace(old, new)
            if code == right:
                problems.append(f"{what}: neither 'code' nor a 'replace' that changes the right answer")
            trials.append((exercise.number, what, code, False))
        trials.append((exercise.number, f"Exercise {exercise.number}, the right answer", right, True))
    return trials, problems


def run_student(student_file: Path, lesson, trials: list[Trial]) -> tuple[list[str], float]:
    """Runs the student copy in a fresh kernel from notebooks/ (the caller holds the build lock),
    then in the same kernel each trial's answer followed by its exercise's check, in one cell."""
    student = nbformat.read(student_file, as_version=4)
    exercises = make_kit.exercises(lesson, student_file.name)
    first = exercises[0].markdown
    lesson_cells = len(student.cells)
    checks = {e.number: student.cells[e.check].source for e in exercises}
    tried = []  # (index of the cell, what, must pass)
    for number, what, code, must_pass in trials:
        student.cells.append(nbformat.v4.new_code_cell(f"{code}\n{checks[number]}"))
        tried.append((len(student.cells) - 1, what, must_pass))
    start = monotonic()
    # Every cell runs, so that one answer's problem does not hide the next one's verdict.
    client, problem = harness.execute(student, NOTEBOOKS, stop_on_failure=False)
    seconds = monotonic() - start
    ran = client.nb.cells

    def cell_problem(index: int) -> str | None:
        return harness.cell_problem(ran[index], client.statuses.get(index, "ok"))

    if problem:  # the kernel died or a cell timed out
        return [f"the student copy does not run: {problem}"], seconds
    checks_at = {e.check for e in exercises}  # a failed check(...) fails its cell on purpose
    cell = next((i for i in range(lesson_cells) if i not in checks_at and cell_problem(i)), None)
    if cell is not None:
        part = "the lesson" if cell < first else "the exercises"
        return [f"{part} (first exercise at cell {first}) fails: cell {cell} "
                f"({harness.first_line(ran[cell])}): {cell_problem(cell)}"], seconds
    problems = []

    def said(index: int) -> str:
        return "".join(out.get("text", "") for out in ran[index].get("outputs", [])
                       if out.output_type == "stream").strip()

    for exercise in exercises:
        if not re.search(r"^(panicked: )?not yet", said(exercise.check), re.M):  # todo!(): "not yet implemented"
            problems.append(f"Exercise {exercise.number}: with the blank answer, the check says "
                            f"{said(exercise.check)[:80]!r}, not 'not yet ...'")
    for index, what, must_pass in tried:
        failed = cell_problem(index)  # a panic other than the failed check's
        if failed:
            problems.append(f"{what}: the answer and its check must run without error or panic: {failed}")
            continue
        verdict = said(index)
        correct = re.search(r"^correct", verdict, re.M) and not re.search(r"^not yet", verdict, re.M)
        if must_pass != bool(correct):
            problems.append(f"{what}: the check {'rejects' if must_pass else 'accepts'} it: {verdict[:100]!r}")
    return problems, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-run", action="store_true", help="do not run the student copies in the kernel")
    parser.add_argument("--answers", action="store_true",
                        help="also run the lessons with an answers file, each of their answers and its check in "
                             "one kernel (quicker than scripts/test_grade.py while writing answers)")
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
            if grade.answers_file(path).exists() and not args.answers:
                verdict = " (runs in the kernel in scripts/test_grade.py)"
            elif not args.no_run:
                trials, file_problems = answer_trials(path, lesson)
                problems += file_problems
                ran, seconds = run_student(student_file, lesson, trials)
                problems += [f"student copy: {p}" for p in ran]
                right = sum(must_pass for *_, must_pass in trials)
                tried = f", {len(trials) - right} wrong and {right} right answers judged" if trials else ""
                verdict = f" (ran in the kernel in {seconds:.1f} s{tried})"
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
