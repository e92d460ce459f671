"""The teacher's nbgrader workflow on the class server, followed as the README writes it.

    HUB_PREFIX/venv/bin/python scripts/hub_course_test.py --url http://127.0.0.1:PORT/ \
        --passwords HUB_PREFIX/passwords.txt --teacher NAME STUDENT1 STUDENT2

scripts/test_hub.sh runs it on its own hub, after `hub/hub.sh teacher NAME` made the teacher's
course (README, "Assignments on the hub"). Everyone logs in through the hub's login form and works
through their own JupyterLab, on 127.0.0.1 only:
- the teacher opens a terminal in JupyterLab (jupyter_server's terminals, as File > New > Terminal)
  and types the README's first block of commands, which release lesson 02;
- each student's JupyterLab has nbgrader's Assignments tab and no formgrader; the student asks it
  for the course's assignments (what the tab lists), fetches lesson 02 (its Fetch button), writes
  answers into the fetched notebook and saves it (what JupyterLab's save sends), and submits (its
  Submit button). Those buttons call nbgrader's server extension in the student's server, and so
  does this test, with the same requests;
- the teacher types the README's second block: collect, autograde (in the Rust kernel),
  generate_feedback, release_feedback, export;
- the gradebook must hold the expected scores: the first student submits every right answer
  (full marks), the second the first wrong answer of Exercise 1, the right answer of Exercise 2,
  and Exercise 3 untouched (points for Exercise 2 only). grades.csv must say the same;
- each student fetches their feedback (the tab's Fetch Feedback button); the second student's
  must say "not yet" where their check failed.
Every wait is bounded. Exit status 1 on the first step that fails, with what it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_kit  # noqa: E402
import test_kit  # noqa: E402
from hub_load_test import Student  # noqa: E402 (login, server start, API calls as a browser)

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "### Assignments on the hub"
LESSON = "02_autograd"
COMMAND_WAIT = 900  # s for one of the teacher's commands (autograde runs every submission)
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\r")


class Failed(Exception):
    pass


def readme_blocks() -> list[list[str]]:
    """The teacher's terminal commands from the README's section: each ```sh block after the
    section's heading (until the next heading of its level), one command a line, comments off."""
    text = README.read_text()
    if SECTION not in text:
        raise Failed(f"README.md has no section '{SECTION}'")
    section = text.split(SECTION, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    commands = [[line.split(" #", 1)[0].strip() for line in block.splitlines()
                 if line.strip() and not line.lstrip().startswith("#")] for block in blocks]
    terminal = [block for block in commands if block and block[0].startswith("cd ~/course")]
    if len(terminal) != 2:
        raise Failed(f"README '{SECTION}': expected two blocks of teacher's commands starting "
                     f"with 'cd ~/course' (release; then collect and grade), found {len(terminal)}")
    return terminal


class Terminal:
    """A terminal in the teacher's JupyterLab: jupyter_server's terminals API and terminado's
    websocket, which JupyterLab's terminal uses (["stdin", text] in, ["stdout", text] out)."""

    def __init__(self, ws):
        self.ws = ws
        self.seen = ""

    @classmethod
    async def open(cls, user: Student) -> "Terminal":
        r = user.api("POST", f"user/{user.name}/api/terminals")
        r.raise_for_status()
        name = r.json()["name"]
        parsed = urlparse(user.base)
        scheme = "wss" if parsed.scheme == "https" else "ws"
        url = f"{scheme}://{parsed.netloc}{parsed.path}user/{user.name}/terminals/websocket/{name}"
        request = HTTPRequest(url, headers={"Authorization": f"token {user.token}"},
                              connect_timeout=60, request_timeout=60, validate_cert=False)
        return cls(await websocket_connect(request))

    async def run(self, command: str) -> str:
        """Types one command and waits for it to end; returns its output; fails on a non-zero
        exit status. The marker is printed by the shell, never echoed as typed (quotes split it)."""
        await self.ws.write_message(json.dumps(["stdin", f"{command}; echo \"@@""status $?@@\"\r"]))
        deadline = time.monotonic() + COMMAND_WAIT
        out = ""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed(f"'{command}' did not end in {COMMAND_WAIT} s; it printed:\n{out[-3000:]}")
            raw = await asyncio.wait_for(self.ws.read_message(), left)
            if raw is None:
                raise Failed(f"the terminal closed during '{command}'; it printed:\n{out[-3000:]}")
            kind, *rest = json.loads(raw)
            if kind != "stdout":
                continue
            out += ANSI.sub("", rest[0])
            found = re.search(r"@@status (\d+)@@", out)
            if found:
                # Without the command's echo (the line that holds the typed marker).
                out = "\n".join(line for line in out[: found.start()].splitlines() if '@@"' not in line)
                if found.group(1) != "0":
                    raise Failed(f"'{command}' exited with status {found.group(1)}:\n{out[-3000:]}")
                return out


def page_config(user: Student) -> dict:
    """The JupyterLab page's configuration, which says which extensions it loads."""
    r = user.api("GET", f"user/{user.name}/lab")
    r.raise_for_status()
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', r.text, re.S)
    if not found:
        raise Failed(f"{user.name}: JupyterLab's page has no configuration")
    return json.loads(found.group(1))


def nbgrader_tabs(user: Student) -> dict[str, bool]:
    """Which of nbgrader's JupyterLab plugins this user's JupyterLab loads."""
    config = page_config(user)
    names = [ext.get("name") for ext in config.get("federated_extensions", [])]
    if "@jupyter/nbgrader" not in names:
        raise Failed(f"{user.name}: JupyterLab does not load @jupyter/nbgrader (it loads {names})")
    disabled = config.get("disabledExtensions", [])
    return {plugin: f"@jupyter/nbgrader:{plugin}" not in disabled
            for plugin in ("assignment-list", "formgrader", "create-assignment", "validate-assignment")}


def action(student: Student, what: str, course: str) -> dict | list:
    """One of the Assignments tab's buttons (nbgrader's assignment_list server extension)."""
    r = student.api("POST", f"user/{student.name}/assignments/{what}",
                    data={"course_id": course, "assignment_id": LESSON})
    r.raise_for_status()
    body = r.json()
    if isinstance(body, dict) and body.get("success") is False:
        raise Failed(f"{student.name}: {what} failed: {body.get('value', body)}")
    return body


def listed(student: Student, course: str) -> list[dict]:
    r = student.api("GET", f"user/{student.name}/assignments", params={"course_id": course})
    r.raise_for_status()
    body = r.json()
    if not body.get("success"):
        raise Failed(f"{student.name}: the Assignments tab cannot list the course: {body.get('value')}")
    return [a for a in body["value"] if a["assignment_id"] == LESSON]


def submission_plans(path: Path, lesson) -> list[tuple[dict[int, str], set[int]]]:
    """For the two students: (answers by exercise number, exercises expected to earn their points)."""
    trials, problems = test_kit.answer_trials(path, lesson)
    if problems:
        raise Failed("; ".join(problems))
    right = {n: code for n, _, code, ok in trials if ok}
    first_wrong: dict[int, str] = {}
    for n, _, code, ok in trials:
        if not ok:
            first_wrong.setdefault(n, code)
    numbers = sorted(right)
    return [
        (right, set(numbers)),
        # Exercise 1 wrong, Exercise 2 right, the rest as fetched (the stub or the loop to repair).
        ({numbers[0]: first_wrong[numbers[0]], numbers[1]: right[numbers[1]]}, {numbers[1]}),
    ]


async def main_async(args) -> int:
    passwords = dict(line.split()[:2] for line in Path(args.passwords).read_text().splitlines() if line.strip())
    course = args.course
    release, grading = readme_blocks()
    lesson_path = ROOT / "notebooks" / f"{LESSON}.ipynb"
    lesson = nbformat.read(lesson_path, as_version=4)
    exercises = make_kit.exercises(lesson, lesson_path.name)
    start = time.monotonic()

    def step(what: str) -> None:
        print(f"  [{time.monotonic() - start:6.1f} s] {what}", flush=True)

    teacher = Student(args.teacher, passwords[args.teacher], args.url)
    students = [Student(name, passwords[name], args.url) for name in args.students]
    everyone = [teacher, *students]
    try:
        plans = submission_plans(lesson_path, lesson)
        for user in everyone:
            await asyncio.to_thread(user.login)
            await asyncio.to_thread(user.start_server)
        step(f"{len(everyone)} logged in, servers started")

        tabs = nbgrader_tabs(teacher)
        if not tabs["formgrader"] or not tabs["create-assignment"]:
            raise Failed(f"{teacher.name} (the teacher): no formgrader or create-assignment in JupyterLab: {tabs}")
        for student in students:
            tabs = nbgrader_tabs(student)
            if not tabs["assignment-list"] or tabs["formgrader"] or tabs["create-assignment"]:
                raise Failed(f"{student.name}: JupyterLab should show the Assignments tab only: {tabs}")
            if student.api("GET", f"user/{student.name}/formgrader").status_code != 404:
                raise Failed(f"{student.name}: the formgrader answers in a student's server")
        step("the teacher's JupyterLab has the formgrader; the students' the Assignments tab only")

        terminal = await Terminal.open(teacher)
        for command in release:
            out = await terminal.run(command)
            step(f"teacher$ {command}" + (f"  -> {out.strip().splitlines()[-1][:100]}" if out.strip() else ""))

        answered: dict[str, list[int]] = {}
        for i, student in enumerate(students):
            found = listed(student, course)
            if [a["status"] for a in found] != ["released"]:
                raise Failed(f"{student.name}: the Assignments tab lists {found}, not {LESSON} released")
            fetched = action(student, "fetch", course)
            path = f"{LESSON}/{LESSON}.ipynb"
            r = student.api("GET", f"user/{student.name}/api/contents/{path}")
            if r.status_code != 200:
                raise Failed(f"{student.name}: no {path} in their home after Fetch ({r.status_code}); "
                             f"the tab lists {[a['status'] for a in fetched if a.get('assignment_id') == LESSON]}")
            nb = nbformat.from_dict(r.json()["content"])
            answers, _ = plans[i]
            for exercise in exercises:
                if exercise.number in answers:
                    nb.cells[exercise.answer].source = answers[exercise.number]
            r = student.api("PUT", f"user/{student.name}/api/contents/{path}",
                            json={"type": "notebook", "format": "json", "content": nb})
            r.raise_for_status()
            answered[student.name] = sorted(answers)

        # The Validate button: the student's own server runs the saved notebook as autograde will.
        async def validate(i: int, student: Student) -> None:
            r = await asyncio.to_thread(
                student.http.post, f"{student.base}user/{student.name}/assignments/validate",
                data={"path": f"{LESSON}/{LESSON}.ipynb"}, timeout=COMMAND_WAIT,
                headers={"Authorization": f"token {student.token}"})
            r.raise_for_status()
            body = r.json()
            if not body.get("success"):
                raise Failed(f"{student.name}: Validate failed: {str(body.get('value'))[-2000:]}")
            failed = body["value"].get("failed", []) + body["value"].get("errored", [])
            _, earns = plans[i]
            if len(failed) != len(exercises) - len(earns):
                raise Failed(f"{student.name}: Validate reports {len(failed)} failed cells, expected "
                             f"{len(exercises) - len(earns)}: {body['value']}")
            step(f"{student.name}: Validate ran the notebook: {len(failed)} check(s) failed, as expected")

        await asyncio.gather(*(validate(i, student) for i, student in enumerate(students)))

        for student in students:
            action(student, "submit", course)
            found = listed(student, course)
            if not any(a["status"] == "submitted" or a.get("submissions") for a in found):
                raise Failed(f"{student.name}: after Submit the tab lists no submission: {found}")
            step(f"{student.name}: submitted (answers to exercises {answered[student.name]})")

        for command in grading:
            out = await terminal.run(command)
            step(f"teacher$ {command}" + (f"  -> {out.strip().splitlines()[-1][:100]}" if out.strip() else ""))

        gradebook_file = Path(args.teacher_home) / "course" / "gradebook.db"
        from nbgrader.api import Gradebook

        problems, expected_totals = [], {}
        with Gradebook(f"sqlite:///{gradebook_file}") as gradebook:
            for i, student in enumerate(students):
                _, earns = plans[i]
                total_expected = 0.0
                for exercise in exercises:
                    grade = gradebook.find_grade(f"exercise{exercise.number}-check", LESSON, LESSON, student.name)
                    want = grade.max_score if exercise.number in earns else 0
                    total_expected += want
                    if grade.auto_score != want:
                        problems.append(f"{student.name}: Exercise {exercise.number} scored {grade.auto_score} "
                                        f"of {grade.max_score}, expected {want}")
                score = gradebook.find_submission(LESSON, student.name).score
                expected_totals[student.name] = total_expected
                if score != total_expected:
                    problems.append(f"{student.name}: {score} points in the gradebook, expected {total_expected}")
        rows = list(csv.DictReader(io.StringIO((Path(args.teacher_home) / "course" / "grades.csv").read_text())))
        for student in students:
            mine = [row for row in rows if row["student_id"] == student.name and row["assignment"] == LESSON]
            if len(mine) != 1 or float(mine[0]["raw_score"]) != expected_totals[student.name]:
                problems.append(f"{student.name}: grades.csv has {mine}, expected raw_score {expected_totals[student.name]}")
        # The teacher's formgrader (Nbgrader > Formgrader) reads the same gradebook.
        r = teacher.api("GET", f"user/{teacher.name}/formgrader/api/assignments")
        shown = {a["name"]: a for a in r.json()} if r.status_code == 200 else {}
        if shown.get(LESSON, {}).get("num_submissions") != len(students):
            problems.append(f"the teacher's formgrader answers {r.status_code} and shows {shown.get(LESSON)}, "
                            f"not {LESSON} with {len(students)} submissions")
        if problems:
            raise Failed("\n".join(problems))
        step("formgrader, gradebook and grades.csv: " + ", ".join(f"{name} {score:g}" for name, score in expected_totals.items()))

        for i, student in enumerate(students):
            action(student, "fetch_feedback", course)
            r = student.api("GET", f"user/{student.name}/api/contents/{LESSON}/feedback")
            if r.status_code != 200 or not r.json()["content"]:
                raise Failed(f"{student.name}: no feedback folder after Fetch Feedback ({r.status_code})")
            stamp = r.json()["content"][0]["path"]
            r = student.api("GET", f"user/{student.name}/api/contents/{stamp}/{LESSON}.html",
                            params={"type": "file", "format": "text"})
            if r.status_code != 200:
                raise Failed(f"{student.name}: no {LESSON}.html in their feedback ({r.status_code})")
            page = r.json()["content"]
            if i > 0 and "not yet" not in page:
                raise Failed(f"{student.name}: the feedback does not show the failed check's 'not yet'")
            score = re.search(r"Score:\s*([0-9.]+)\s*/\s*([0-9.]+)", re.sub(r"<[^>]+>", " ", page))
            step(f"{student.name}: feedback fetched ({score.group(0) if score else 'no score line'})")
        print(f"course test passed in {time.monotonic() - start:.1f} s")
        return 0
    except Failed as error:
        print(f"FAILED: {error}")
        return 1
    finally:
        for user in everyone:
            if user.token:
                await asyncio.to_thread(user.stop_server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--passwords", required=True)
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--teacher-home", required=True, help="where the teacher's course/ is")
    parser.add_argument("--course", default="autograd", help="the course id (HUB_COURSE)")
    parser.add_argument("students", nargs=2)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
