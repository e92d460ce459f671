"""Test grading with nbgrader in the real "rust" kernel (scripts/grade.py, course/nbgrader_config.py).

    .venv/bin/python scripts/test_grade.py [--parallel N] [LESSON.ipynb ...]

For every lesson with an answers file (default: all), in a course folder of its own,
target/grade-test/NN_name/ (loading course/nbgrader_config.py), the lesson becomes an assignment
(grade.py: source version, then `nbgrader generate_assignment`), and these submissions, made from
the student version, are graded by `nbgrader autograde`:
- `solution`: every answer cell holds the answers file's right answer. It must earn full marks, and
  every cell of the notebook must run without error or panic (but those the lesson tags
  `raises-exception`);
- `wrong1`, `wrong2`, ...: submission K holds each exercise's K-th wrong answer from the answers
  file (each exercise is a cell of its own), and the right answer where an exercise has fewer. An
  exercise with a wrong answer must score 0 and its check cell must say `not yet: ...`; every
  other exercise full marks;
- `blank`: the student version as nbgrader made it (`todo!()` in every answer). It must be graded
  (nbgrader errs on nothing) and score 0 on every exercise, each check saying "not yet";
- `silenced` (the first lesson only): the blank student version whose first answer cell starts by
  installing a panic hook that prints nothing. It must still score 0 on every exercise;
- `silenced-inside` (the first lesson only): the blank student version whose first answer installs
  that hook itself, when the check calls it, just before its `todo!()` panics. Exercise 1 must
  still score 0, its check saying "not yet" (the test cell's `grading()` guard);
- `noncompiling` (the first lesson only): Exercise 1's right answer followed by a line that does
  not compile. Exercise 1 scores 0 and the others full marks, and the HTML of
  `nbgrader generate_feedback` shows the compiler's error (E0308, mismatched types).
Scores are read from nbgrader's gradebook (gradebook.db). Courses are graded N at a time
(--parallel, default 4: in run_notebooks.py's parallel phase, 4 lessons at once took a third to a
half of their time one after another on 2 cores); each autograde process runs one kernel at a
time, each kernel in a build folder of its own (scripts/evcxr_kernel.py).
Ends with "grade: N passed, M failed", counting lessons.

This is where the lessons' answers run in the kernel: scripts/test_kit.py checks the student
copies without running the lessons that have answers files.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

import nbformat

import grade
import make_kit
import run_notebooks as harness
import test_kit

ROOT = grade.ROOT
OUT = ROOT / "target" / "grade-test"
# Appended to an answer, it does not compile: the feedback must show rustc's error for it.
NONCOMPILING = 'let not_a_number: u32 = "seven";'
SILENCE = "std::panic::set_hook(Box::new(|_| {})); // no panic shows any more"
# The same, from inside the answer, as the check calls it: then the panic of its todo!() is silent.
SILENCE_INSIDE = "{ std::panic::set_hook(Box::new(|_| {})); todo!() }"
COMPILE_ERROR = ("E0308", "mismatched types")  # as evcxr shows rustc's error, in the feedback's text


@dataclass
class Submission:
    student: str
    answers: dict[int, str]  # exercise number -> answer cell
    expected: dict[int, bool]  # exercise number -> whether it earns its points
    verdicts: dict[int, str] = field(default_factory=dict)  # what its check must say: "correct" / "not yet"
    first_line: str = ""  # put before the first answer cell's code
    first_stub: str = ""  # put in place of the first answer cell's `todo!()`


def submissions(path: Path, lesson, first: bool) -> tuple[list[Submission], list[str]]:
    """The submissions to grade for a lesson (see above), and the answers file's problems."""
    trials, problems = test_kit.answer_trials(path, lesson)
    right = {n: code for n, _, code, must_pass in trials if must_pass}
    wrong: dict[int, list[str]] = {}
    for n, _, code, must_pass in trials:
        if not must_pass:
            wrong.setdefault(n, []).append(code)
    numbers = sorted(right)
    made = [Submission("solution", dict(right), {n: True for n in numbers}, {n: "correct" for n in numbers})]
    for k in range(max((len(w) for w in wrong.values()), default=0)):
        answers, expected, verdicts = {}, {}, {}
        for n in numbers:
            bad = k < len(wrong.get(n, []))
            answers[n] = wrong[n][k] if bad else right[n]
            expected[n], verdicts[n] = (False, "not yet") if bad else (True, "correct")
        made.append(Submission(f"wrong{k + 1}", answers, expected, verdicts))
    made.append(Submission("blank", {}, {n: False for n in numbers}, {n: "not yet" for n in numbers}))
    if first and numbers:
        # A student who silences panics: the blank answers, and a panic hook that prints nothing
        # installed by the first one. Every check must still fail (test cells reinstall
        # short_panics; a failed check() writes to stderr without the hook).
        made.append(Submission("silenced", {}, {n: False for n in numbers}, {n: "not yet" for n in numbers}, SILENCE))
        made.append(Submission("silenced-inside", {}, {n: False for n in numbers}, {n: "not yet" for n in numbers},
                               first_stub=SILENCE_INSIDE))
        answers = dict(right)
        answers[numbers[0]] = f"{right[numbers[0]]}\n{NONCOMPILING}"
        made.append(Submission("noncompiling", answers, {n: n != numbers[0] for n in numbers}))
    return made, problems


def write_submission(course: Path, stem: str, released, exercises, submission: Submission) -> None:
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    for exercise in exercises:
        if exercise.number in submission.answers:
            nb.cells[exercise.answer].source = submission.answers[exercise.number]
    if submission.first_line:
        cell = nb.cells[exercises[0].answer]
        cell.source = f"{submission.first_line}\n{cell.source}"
    if submission.first_stub:
        cell = nb.cells[exercises[0].answer]
        if "todo!()" not in cell.source:
            raise ValueError(f"{stem}: Exercise {exercises[0].number}'s student version has no todo!() to replace")
        cell.source = cell.source.replace("todo!()", submission.first_stub, 1)
    target = course / "submitted" / submission.student / stem / f"{stem}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(nbformat.writes(nb))


def page_text(page: Path) -> str:
    """An HTML page's text, without its tags (nbconvert puts the kernel's colours in spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def said(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream")


@dataclass
class Result:
    path: Path
    problems: list[str]
    seconds: float
    graded: int


def grade_lesson(path: Path, first: bool) -> Result:
    start = monotonic()
    stem = path.stem
    course = OUT / stem
    if course.exists():
        shutil.rmtree(course)
    lesson = nbformat.read(path, as_version=4)
    exercises = make_kit.exercises(lesson, path.name)
    try:
        released_file = grade.assign(course, [path])[stem]
    except (make_kit.LayoutError, RuntimeError) as error:
        return Result(path, [f"making the assignment: {error}"], monotonic() - start, 0)
    released = nbformat.read(released_file, as_version=4)
    made, problems = submissions(path, lesson, first)
    for submission in made:
        write_submission(course, stem, released, exercises, submission)
    done = grade.nbgrader(course, "autograde", stem, "--force", check=False)
    if done.returncode != 0:
        problems.append(f"nbgrader autograde failed ({done.returncode}): {done.stderr.strip()[-800:]}")

    from nbgrader.api import Gradebook, MissingEntry

    points = {e.number: None for e in exercises}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in made:
            who = f"{submission.student}"
            try:
                gradebook.find_submission(stem, submission.student)
            except MissingEntry:
                problems.append(f"{who}: not in the gradebook (nbgrader did not grade it)")
                continue
            for n, earns in submission.expected.items():
                found = gradebook.find_grade(f"exercise{n}-check", stem, stem, submission.student)
                points[n] = found.max_score
                want = found.max_score if earns else 0
                if found.auto_score != want:
                    problems.append(f"{who}: Exercise {n} scored {found.auto_score} of {found.max_score}, expected {want}")
            total = gradebook.find_submission(stem, submission.student).score
            want = sum(points[n] for n, earns in submission.expected.items() if earns and points[n])
            if total != want:
                problems.append(f"{who}: {total} points in all, expected {want}")

    for submission in made:
        graded_file = course / "autograded" / submission.student / stem / path.name
        if not graded_file.exists():
            problems.append(f"{submission.student}: no autograded notebook")
            continue
        graded = nbformat.read(graded_file, as_version=4)
        for exercise in exercises:
            verdict = submission.verdicts.get(exercise.number)
            text = said(graded.cells[exercise.check])
            if verdict and not any(line.startswith(verdict) or line.startswith(f"panicked: {verdict}")
                                   for line in text.splitlines()):
                problems.append(f"{submission.student}: Exercise {exercise.number}'s check says "
                                f"{text.strip()[:100]!r}, not '{verdict} ...'")
        if submission.student == "solution":
            for i, cell in enumerate(graded.cells):
                if cell.cell_type != "code":
                    continue
                cell.metadata = lesson.cells[i].metadata  # the lesson's tags (raises-exception)
                failed = harness.cell_problem(cell, "ok")
                if failed:
                    problems.append(f"solution: cell {i} ({harness.first_line(cell)}): {failed}")
        if submission.student == "noncompiling":
            done = grade.nbgrader(course, "generate_feedback", stem, "--student", "noncompiling", "--force", check=False)
            page = course / "feedback" / "noncompiling" / stem / f"{stem}.html"
            if done.returncode != 0 or not page.exists():
                problems.append(f"nbgrader generate_feedback failed ({done.returncode}): {done.stderr.strip()[-800:]}")
            elif not all(part in page_text(page) for part in COMPILE_ERROR):
                problems.append(f"noncompiling: the feedback does not show the compiler's {' '.join(COMPILE_ERROR)}")
    return Result(path, problems, monotonic() - start, len(made))


def self_check() -> list[str]:
    """grade.solution_cell() on small cells: a region where the template's `// <-` lines were, the
    rest kept; a `}` inside the answer does not end it early; and an answer line outside a block, or
    a right answer that drops the template's lines, is a layout error."""
    template = "fn f(x: f32) -> f32 {\n    0.0 // <- your answer\n}"
    right = "fn f(x: f32) -> f32 {\n    if x > 0.0 {\n        x\n    } else { 0.0 }\n}"
    want = ("fn f(x: f32) -> f32 {\n    // <- your answer\n    // BEGIN SOLUTION\n    if x > 0.0 {\n        x\n"
            "    } else { 0.0 }\n    // END SOLUTION\n}")
    problems = []
    got = grade.solution_cell(template, right, "self-check")
    if got != want:
        problems.append(f"self-check: solution_cell gives {got!r}, not {want!r}")
    for what, bad_template, bad_right in (
        ("an answer line outside a block", "let lr = 0.0; // <- your answer", "let lr = 0.1;"),
        ("a right answer without the template's lines", template, "fn g(x: f32) -> f32 {\n    x\n}"),
    ):
        try:
            grade.solution_cell(bad_template, bad_right, "self-check")
            problems.append(f"self-check: solution_cell accepts {what}")
        except make_kit.LayoutError:
            pass
    # A "fix this loop" answer is given as is; any other answer gets nbgrader's stub.
    for marked, repair in (("} // <- find the bug and fix it", True), ("    // <- repair this loop", True),
                           ("    0.0 // <- your answer", False), ("let lr = 0.0; // <- the prefix", False)):
        if grade.is_repair(marked) != repair:
            problems.append(f"self-check: is_repair({marked!r}) is not {repair}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=4, help="courses graded at once (default 4)")
    parser.add_argument("lessons", nargs="*", type=Path, help="default: every lesson with an answers file")
    args = parser.parse_args(argv)
    paths = grade.graded_lessons([p.resolve() for p in args.lessons] or None)
    if not paths:
        print("grade: no lesson has an answers file (notebooks/answers/)")
        return 1
    missed = self_check()
    print("\n".join(missed) or "self-check: solution regions as expected, layout errors caught")
    start = monotonic()
    with harness.build_lock(grade.NOTEBOOKS), ThreadPoolExecutor(max(1, args.parallel)) as pool:
        results = list(pool.map(grade_lesson, paths, [i == 0 for i in range(len(paths))]))
    for result in results:
        verdict = "FAILED" if result.problems else "passed"
        print(f"{harness.display(result.path)}: {verdict} ({result.graded} submissions graded in {result.seconds:.1f} s)")
        for problem in result.problems:
            print(f"    - {problem}")
    failed = [r for r in results if r.problems]
    print(f"grade test done in {monotonic() - start:.1f} s")
    print(f"grade: {len(results) - len(failed)} passed, {len(failed) + len(missed)} failed")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
