"""N students at once on the class server: log in, start a server, run all of lesson 02.

    HUB_PREFIX/venv/bin/python scripts/hub_load_test.py --url http://127.0.0.1:PORT/ \
        --passwords HUB_PREFIX/passwords.txt --out target/hub-load-N.json NAME...

scripts/test_hub.sh runs it (it starts the hub and makes the accounts first). Each simulated
student, as a browser would: logs in through the hub's login form (PAM checks the password),
asks for a token, starts their server and waits for it, checks that JupyterLab will not ask
about news, opens their own copy of lesson 02
(lessons/02_autograd.ipynb in their home, seeded by the hub) in a new session with the "rust"
kernel, and waits for the kernel to answer. When every kernel answers (or the start failed),
all students run every code cell of the lesson at the same moment, one cell after the other as
Run All does; then a probe cell lists the dependencies their kernel compiled itself (none is
the goal: ndarray, plotters and autograd-core come compiled from the shared build), and the
servers are stopped. Only the loopback address is used; every wait is bounded.

It reports each student's login, server start, kernel start (session created to first answer),
lesson time, failed cells, peak memory (the resident memory of all processes of the student's
account, summed, sampled every 0.25 s), CPU seconds (server, kernel and compiler), and over all cells of all students the median and 95th
percentile latency (request sent to reply). A cell fails as in scripts/run_notebooks.py: an
error or a panic, unless tagged raises-exception. Exit status 1 when any cell or start failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import pwd
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebooks import cell_problem  # noqa: E402 (the harness's own rule for a failed cell)

LESSON = "lessons/02_autograd.ipynb"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"  # JupyterLab's news question
SERVER_WAIT = 180  # s for a server to start
KERNEL_WAIT = 180  # s for a kernel to answer
CELL_WAIT = 300  # s for one cell
# Run after the lesson: the dependency libraries this kernel compiled itself. Its build folder
# was seeded with hardlinks to the student's copy of the compiled dependencies, so a library
# with one link was written by this kernel's cargo.
PROBE = r"""
{
    use std::os::unix::fs::MetadataExt;
    let deps = std::path::Path::new(&std::env::var("EVCXR_TMPDIR").unwrap()).join("target/debug/deps");
    let mut own: Vec<String> = std::fs::read_dir(&deps).unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".rlib"))
        .filter(|e| e.metadata().map(|m| m.nlink() == 1).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    own.sort();
    println!("compiled-here: {}", own.join(" "));
}
"""


class Student:
    def __init__(self, name: str, password: str, base: str):
        self.name, self.password, self.base = name, password, base
        self.http = requests.Session()
        self.token = ""
        self.times: dict[str, float] = {}
        self.cells: list[dict] = []
        self.problems: list[str] = []
        self.compiled_here: list[str] | None = None
        self.peak_rss = 0
        self.cpu_seconds = 0.0

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        return self.http.request(method, self.base + path, headers=headers, timeout=60, **kw)

    # --- blocking steps, run in threads --------------------------------------------------

    def login(self) -> None:
        start = time.monotonic()
        self.http.get(self.base + "hub/login", timeout=30).raise_for_status()
        xsrf = self.http.cookies.get("_xsrf", "")
        r = self.http.post(self.base + "hub/login", timeout=30, allow_redirects=False,
                           data={"username": self.name, "password": self.password, "_xsrf": xsrf})
        if r.status_code != 302:
            raise RuntimeError(f"login answered {r.status_code}, not 302 (wrong password or not in the class group?)")
        self.times["login"] = time.monotonic() - start
        # A token for the API calls, asked for with the login cookie as the hub's token page does.
        r = self.http.post(self.base + f"hub/api/users/{self.name}/tokens", timeout=30,
                           headers={"X-XSRFToken": self.http.cookies.get("_xsrf", xsrf)},
                           json={"note": "load test", "expires_in": 3600})
        r.raise_for_status()
        self.token = r.json()["token"]

    def start_server(self) -> None:
        start = time.monotonic()
        r = self.api("POST", f"hub/api/users/{self.name}/server")
        if r.status_code not in (201, 202, 400):  # 400: it runs already
            raise RuntimeError(f"starting the server answered {r.status_code}: {r.text[:200]}")
        deadline = start + SERVER_WAIT
        while time.monotonic() < deadline:
            server = self.api("GET", f"hub/api/users/{self.name}").json().get("servers", {}).get("")
            if server and server.get("ready"):
                self.times["server_start"] = time.monotonic() - start
                return
            time.sleep(0.25)
        raise RuntimeError(f"the server did not start in {SERVER_WAIT} s")

    def no_questions(self) -> None:
        """JupyterLab asks nothing on a fresh start: the news question and update check are off."""
        r = self.api("GET", f"user/{self.name}/lab/api/settings/{NOTIFICATION}")
        r.raise_for_status()
        # The effective values: the student's own settings, else the schema's defaults, which
        # the venv's overrides.json replaces.
        body = r.json()
        defaults = {key: spec.get("default") for key, spec in body["schema"]["properties"].items()}
        settings = {key: (body.get("settings") or {}).get(key, defaults.get(key)) for key in ("fetchNews", "checkForUpdates")}
        if settings["fetchNews"] != "false" or settings["checkForUpdates"] is not False:
            raise RuntimeError(f"JupyterLab would ask about news or updates: {NOTIFICATION} is {settings}")

    def open_lesson(self) -> tuple[str, list]:
        r = self.api("GET", f"user/{self.name}/api/contents/{LESSON}")
        r.raise_for_status()
        nb = nbformat.from_dict(r.json()["content"])
        self.times["kernel_requested"] = time.monotonic()
        r = self.api("POST", f"user/{self.name}/api/sessions",
                     json={"path": LESSON, "name": Path(LESSON).name, "type": "notebook",
                           "kernel": {"name": "rust"}})
        r.raise_for_status()
        return r.json()["kernel"]["id"], [cell for cell in nb.cells if cell.cell_type == "code"]

    def stop_server(self) -> None:
        self.api("DELETE", f"hub/api/users/{self.name}/server")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.api("GET", f"hub/api/users/{self.name}").json().get("servers"):
                return
            time.sleep(0.5)


class Kernel:
    """The kernel's websocket (the JSON messages JupyterLab exchanges with jupyter_server)."""

    def __init__(self, ws):
        self.ws = ws
        self.session = uuid.uuid4().hex

    @classmethod
    async def connect(cls, student: Student, kernel_id: str) -> "Kernel":
        parsed = urlparse(student.base)
        scheme = "wss" if parsed.scheme == "https" else "ws"
        url = f"{scheme}://{parsed.netloc}{parsed.path}user/{student.name}/api/kernels/{kernel_id}/channels"
        request = HTTPRequest(url, headers={"Authorization": f"token {student.token}"},
                              # jupyter_server answers the websocket once the kernel has started
                              connect_timeout=KERNEL_WAIT, request_timeout=KERNEL_WAIT, validate_cert=False)
        return cls(await websocket_connect(request, max_message_size=256 * 1024 * 1024))

    async def request(self, msg_type: str, content: dict, channel: str = "shell", wait: float = CELL_WAIT):
        """Sends one request; returns (reply content, outputs in nbformat form)."""
        msg_id = uuid.uuid4().hex
        await self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "username": "load-test",
                       "session": self.session, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
        }))
        outputs, reply, idle = [], None, msg_type != "execute_request"
        deadline = time.monotonic() + wait
        while reply is None or not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {msg_type} in {wait:.0f} s")
            raw = await asyncio.wait_for(self.ws.read_message(), left)
            if raw is None:
                raise ConnectionError("the kernel's websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = msg["header"]["msg_type"], msg["content"]
            if msg.get("channel") == "shell" and kind.endswith("_reply"):
                reply = body
            elif kind == "status" and body.get("execution_state") == "idle":
                idle = True
            elif kind == "stream":
                outputs.append({"output_type": "stream", "name": body["name"], "text": body["text"]})
            elif kind == "error":
                outputs.append({"output_type": "error", **body})
            elif kind in ("execute_result", "display_data"):
                outputs.append({"output_type": "display_data", "data": body.get("data", {}), "metadata": {}})
        return reply, outputs


async def run_student(student: Student, ready: asyncio.Event, go: asyncio.Event) -> None:
    kernel = None
    try:
        await asyncio.to_thread(student.login)
        await asyncio.to_thread(student.start_server)
        await asyncio.to_thread(student.no_questions)
        kernel_id, cells = await asyncio.to_thread(student.open_lesson)
        kernel = await Kernel.connect(student, kernel_id)
        deadline = time.monotonic() + KERNEL_WAIT
        while True:  # the kernel answers once it has started (evcxr starts in a few seconds)
            try:
                await kernel.request("kernel_info_request", {}, wait=5)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the kernel did not answer in {KERNEL_WAIT} s") from None
        student.times["kernel_start"] = time.monotonic() - student.times.pop("kernel_requested")
    except Exception as error:
        student.problems.append(f"start: {type(error).__name__}: {error}")
        cells = []
    ready.set()
    await go.wait()
    start = time.monotonic()
    try:
        for index, cell in enumerate(cells):
            sent = time.monotonic()
            reply, outputs = await kernel.request("execute_request", {
                "code": cell.source, "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
            seconds = time.monotonic() - sent
            done = nbformat.from_dict({**cell, "outputs": outputs})
            problem = cell_problem(done, reply.get("status", "error"))
            student.cells.append({"cell": index, "seconds": round(seconds, 3), "problem": problem})
            if problem:
                student.problems.append(f"code cell {index}: {problem}")
        if cells:
            student.times["lesson"] = time.monotonic() - start
            _, outputs = await kernel.request("execute_request", {
                "code": PROBE, "silent": False, "store_history": False,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
            text = "".join(o.get("text", "") for o in outputs)
            if "compiled-here:" in text:
                student.compiled_here = text.split("compiled-here:", 1)[1].split()
    except Exception as error:
        student.problems.append(f"run: {type(error).__name__}: {error}")
    finally:
        if kernel is not None:
            kernel.ws.close()
        try:
            await asyncio.to_thread(student.stop_server)
        except Exception as error:
            student.problems.append(f"stop: {type(error).__name__}: {error}")


def sample_memory(students: list[Student], stop: threading.Event) -> None:
    """Per student, over all processes of their account: peak resident memory (summed), and the
    CPU time used (each process's own and its finished children's, summed; the highest sum seen,
    as a process's time moves to its parent when it ends)."""
    uids = {pwd.getpwnam(s.name).pw_uid: s for s in students}
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    while not stop.is_set():
        rss, cpu = dict.fromkeys(uids, 0), dict.fromkeys(uids, 0)
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                uid = entry.stat().st_uid
                if uid in rss:
                    with open(f"/proc/{entry.name}/statm") as f:
                        rss[uid] += int(f.read().split()[1]) * page
                    with open(f"/proc/{entry.name}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    cpu[uid] += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            except (OSError, ValueError, IndexError):
                continue
        for uid, student in uids.items():
            student.peak_rss = max(student.peak_rss, rss[uid])
            student.cpu_seconds = max(student.cpu_seconds, cpu[uid] / tick)
        stop.wait(0.25)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gb": round(mem / 2**20, 1),
            "load_average_before": os.getloadavg()}


async def main_async(args) -> int:
    passwords = dict(line.split()[:2] for line in args.passwords.read_text().splitlines() if line.strip())
    students = [Student(name, passwords[name], args.url) for name in args.names]
    readies = [asyncio.Event() for _ in students]
    go = asyncio.Event()
    info = machine()
    stop = threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(students, stop), daemon=True)
    sampler.start()
    wall = time.monotonic()
    tasks = [asyncio.create_task(run_student(s, r, go)) for s, r in zip(students, readies)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), SERVER_WAIT + KERNEL_WAIT + 120)
    started = time.monotonic()
    go.set()  # every kernel answers: all run the lesson at the same moment
    await asyncio.wait_for(asyncio.gather(*tasks), CELL_WAIT * 10)
    stop.set()
    sampler.join()
    info["load_average_after"] = os.getloadavg()

    latencies = [c["seconds"] for s in students for c in s.cells]
    failed = sum(1 for s in students for c in s.cells if c["problem"])
    problems = [f"{s.name}: {p}" for s in students for p in s.problems]
    compiled = sorted({lib for s in students for lib in (s.compiled_here or [])})
    report = {
        "students": len(students), "machine": info,
        "cells_run": len(latencies), "failed_cells": failed, "problems": problems,
        "cell_median_s": round(statistics.median(latencies), 3) if latencies else None,
        "cell_p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "lesson_wall_s": round(time.monotonic() - started, 1),
        "total_wall_s": round(time.monotonic() - wall, 1),
        "dependencies_compiled_by_kernels": compiled,
        "per_student": [{"name": s.name, **{k: round(v, 2) for k, v in s.times.items()},
                         "cells": len(s.cells), "failed": sum(1 for c in s.cells if c["problem"]),
                         "peak_rss_mb": round(s.peak_rss / 1e6),
                         "cpu_seconds": round(s.cpu_seconds, 1), "compiled_here": s.compiled_here}
                        for s in students],
        "cells": {s.name: s.cells for s in students},
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"{len(students)} student(s) at once on {info['cpus']} cores ({info['cpu']}), "
          f"{info['memory_gb']} GB, load average before {info['load_average_before'][0]:.1f}")
    print(f"{'student':<14}{'login':>7}{'server':>8}{'kernel':>8}{'lesson':>8}{'cells':>7}{'failed':>8}"
          f"{'peak MB':>9}{'CPU s':>7}")
    for row in report["per_student"]:
        print(f"{row['name']:<14}{row.get('login', 0):>7.2f}{row.get('server_start', 0):>8.1f}"
              f"{row.get('kernel_start', 0):>8.1f}{row.get('lesson', 0):>8.1f}{row['cells']:>7}"
              f"{row['failed']:>8}{row['peak_rss_mb']:>9}{row['cpu_seconds']:>7.1f}")
    if latencies:
        print(f"cells: {len(latencies)} run, median {report['cell_median_s']:.2f} s, "
              f"95th percentile {report['cell_p95_s']:.2f} s, max {max(latencies):.2f} s; "
              f"lesson for all: {report['lesson_wall_s']} s")
    print("dependencies the kernels compiled themselves: " + (", ".join(compiled) or "none"))
    for problem in problems:
        print(f"FAILED {problem}")
    ok = not problems and failed == 0 and latencies and all(s.compiled_here is not None for s in students)
    if ok and compiled:
        print("FAILED: a kernel compiled a dependency instead of reusing the shared build")
        ok = False
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the hub, on the loopback address")
    parser.add_argument("--passwords", type=Path, required=True, help="'name password' lines (hub.sh users)")
    parser.add_argument("--out", type=Path, help="the report as JSON")
    parser.add_argument("names", nargs="+", help="the students' accounts")
    args = parser.parse_args(argv)
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error(f"the load test runs on the loopback address only, not {host}")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
