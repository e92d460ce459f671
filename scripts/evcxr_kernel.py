"""The "rust" kernel of this checkout: evcxr_jupyter in a build folder of its own.

    python scripts/evcxr_kernel.py EVCXR_JUPYTER --control_file CONNECTION_FILE

scripts/setup.sh registers a kernelspec that runs this (with the venv's Python and the
evcxr_jupyter it installed), so JupyterLab and scripts/run_notebooks.py start every Rust kernel
through it. Any number of these kernels can run at once.

Why: evcxr compiles each cell as a crate (`ctx`) in its build folder (EVCXR_TMPDIR). Two kernels
sharing one folder overwrite each other's cell crate: lessons 02 and 03 run at once failed in
nearly every cell ("cannot find macro `tensor` in this scope", "exit status: 99"). Yet a fresh
folder compiles ndarray, plotters and autograd-core again, about a minute on 2 cores. So:

- set-up compiles the lessons' dependencies once into the shared folder, notebooks/.evcxr-build
  (scripts/run_notebooks.py --warm, the only writer; it holds the folder's lock exclusively);
- each kernel gets notebooks/.evcxr-kernels/<id>/, seeded from the shared folder under a shared
  lock: the compiled libraries (.rlib, .rmeta, .so, .a) are hardlinked, because cargo and rustc
  replace those by unlinking or renaming, never by writing into them (checked with strace), so
  the shared copies never change; what cargo rewrites in place (fingerprints, .d dep-info files,
  build-script output) is copied with its timestamps, so cargo judges freshness in the private
  folder exactly as in the shared one (an edited autograd-core is rebuilt, never used stale).
  The cell crate's own files and the incremental caches are not copied. The private folder lies
  beside the shared one, below notebooks/, so notebooks/.cargo/config.toml (the dependencies'
  opt-level) applies to both, and it holds the same absolute path dependencies (evcxr makes a
  `:dep` path absolute), so cargo reuses the compiled autograd-core;
- the folder is deleted when the kernel ends. A kernel holds a lock on its folder for as long as
  any of its processes runs; a folder nobody holds (a killed kernel's) is deleted by the next
  kernel that starts.

The first minute of a lesson: a head start. A new kernel is cold: the first cells a student runs
wait for evcxr's rust-analyzer to load the lesson's crates and to learn the types of the first
variables (lesson 02: the set-up cell about 2 s, the first `let` 3 to 5 s), while the student is
still reading the lesson's introduction. So, once the kernel has answered its clients (JupyterLab
shows it ready at once) and they have been quiet for a second, this launcher asks it for
completions at the end of the lesson's first three code cells: a `complete_request` on the
kernel's shell channel, from a client session of its own, as the Tab key in JupyterLab sends.
evcxr analyses that code with the cells' `:dep` lines applied to a copy of its state: it loads
the crates and infers the variables' types, and keeps that analysis for the cells to come. It
compiles and runs nothing, changes no variable and no execution count, and shows nothing in the
notebook (the reply comes back to this launcher only). The lesson is the notebook jupyter_server
names in JPY_SESSION_NAME; without one, a line of plain Rust gets the standard library analysed.
When a client runs a cell before the head start begins (Run All right away), there is none: the
cells warm the kernel themselves, and an analysis between them would only delay them. A head
start that fails is logged, nothing more: the kernel runs on as without it.
scripts/first_minute.py measures what it saves.

Environment:
  EVCXR_HEAD_START=0        no head start (how scripts/first_minute.py measures "before").
  EVCXR_SHARED_BUILD=DIR    another shared folder (the offline test uses a throwaway one); the
                            private folders go in .evcxr-kernels/ beside it.
  EVCXR_SHARED_BUILD_WRITE=1  work in the shared folder itself, without a private copy: what the
                            warm-up does, while it holds the folder's lock exclusively.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK_NAME = ".lock"  # in the shared folder: exclusive for the warm-up, shared while seeding
IN_USE = ".in-use"  # in a private folder: locked by its kernel's processes
# Files that cargo and rustc replace (unlink, then write or rename), so a hardlink is safe.
LINKED_SUFFIXES = (".rlib", ".rmeta", ".so", ".a")
SEED_WAIT = 600  # seconds to wait for a running warm-up before starting without its work
HEAD_START_CELLS = 3  # the lesson's code cells a student runs first: the head start analyses them
# Without a lesson to read: a variable of a std type, so the standard library gets analysed.
PLAIN_HEAD_START = "let evcxr_head_start = vec![1.0f32];\n"
HEAD_START_TIMEOUT = 300  # seconds for the kernel to answer (it may be compiling the dependencies)
HEAD_START_QUIET = 1.0  # seconds without a message for another client before the head start starts
HEAD_START_WAIT = 5.0  # seconds at most to wait for that quiet


def shared_dir() -> Path:
    """The folder set-up compiles the lessons' dependencies into."""
    return Path(os.environ.get("EVCXR_SHARED_BUILD") or ROOT / "notebooks" / ".evcxr-build").resolve()


def kernels_dir(shared: Path) -> Path:
    return shared.parent / ".evcxr-kernels"


def skipped(name: str) -> bool:
    """The cell crate's own files (evcxr names its crate `ctx`, and renames each cell's library
    to libcode_N.so), incremental caches, and cargo's lock file: a kernel makes its own."""
    return name in ("incremental", ".cargo-lock", "ctx.d") or name.startswith(("ctx-", "libctx", "libcode_"))


def seed(shared: Path, private: Path) -> tuple[int, int]:
    """Fills the private folder from the shared one: returns (files hardlinked, bytes copied)."""
    linked = copied = 0
    lock_file = shared / "Cargo.lock"
    if lock_file.exists():
        # The versions the dependencies were compiled at (offline resolution could pick others).
        shutil.copy2(lock_file, private / "Cargo.lock")
    source = shared / "target"
    for folder, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if not skipped(d)]
        target = private / "target" / Path(folder).relative_to(source)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if skipped(name):
                continue
            src, dst = Path(folder) / name, target / name
            if name.endswith(LINKED_SUFFIXES):
                os.link(src, dst)
                linked += 1
            else:
                shutil.copy2(src, dst)  # keeps the modification time cargo compares
                copied += src.stat().st_size
    return linked, copied


def lock(path: Path, kind: int, wait: float) -> int | None:
    """An open fd on path locked with kind (fcntl.LOCK_SH or LOCK_EX), or None after `wait` s."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            if not told:
                log(f"waiting for the warm-up to finish with {path.parent} ...")
                told = True
            time.sleep(0.2)


def log(message: str) -> None:
    print(f"[evcxr_kernel] {message}", file=sys.stderr, flush=True)


def make_private(kernels: Path) -> tuple[Path, int]:
    """A new private folder, and an fd holding its in-use lock (inherited by the kernel)."""
    kernels.mkdir(parents=True, exist_ok=True)
    guard = lock(kernels / LOCK_NAME, fcntl.LOCK_EX, 30)  # against clean_stale() in between
    try:
        private = Path(tempfile.mkdtemp(prefix=f"k{os.getpid()}-", dir=kernels))
        fd = lock(private / IN_USE, fcntl.LOCK_EX, 0)
        assert fd is not None
        os.set_inheritable(fd, True)
        return private, fd
    finally:
        if guard is not None:
            os.close(guard)


def abandoned(folder: Path) -> bool:
    """Whether no process of the kernel that made this private folder runs any more."""
    marker = folder / IN_USE
    if not marker.exists():
        # Made but never locked (a crash between the two): old enough means abandoned.
        return time.time() - folder.stat().st_mtime > 60
    fd = lock(marker, fcntl.LOCK_EX, 0)
    if fd is None:
        return False
    os.close(fd)
    return True


def clean_stale(kernels: Path) -> None:
    """Deletes the folders of kernels that are gone (killed, so their own clean-up never ran)."""
    guard = lock(kernels / LOCK_NAME, fcntl.LOCK_EX, 30)
    if guard is None:
        return
    try:
        stale = [folder for folder in kernels.iterdir() if folder.is_dir() and abandoned(folder)]
        # Renamed under the guard, deleted after it: a new kernel never waits for the deletion.
        trash = []
        for folder in stale:
            renamed = folder.with_name(".trash-" + folder.name)
            folder.rename(renamed)
            trash.append(renamed)
    finally:
        os.close(guard)
    for folder in trash:
        shutil.rmtree(folder, ignore_errors=True)
    if trash:
        log(f"deleted {len(trash)} build folder(s) of kernels that ended without cleaning up")


# --- The head start ----------------------------------------------------------------------------


def session_notebook(cwd: Path) -> Path | None:
    """The notebook this kernel was started for: jupyter_server names it in JPY_SESSION_NAME (an
    absolute path, or a path below its root folder) and starts the kernel in its folder."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    if not name.endswith(".ipynb"):
        return None
    for candidate in (Path(name), cwd / Path(name).name):
        if candidate.is_absolute() and candidate.is_file():
            return candidate
    return None


def head_start_code(notebook: Path | None) -> str:
    """The code the head start has analysed: the notebook's first HEAD_START_CELLS code cells, one
    after the other, with their `:dep` lines but no other evcxr command (a command such as
    `:restart` or `:env` acts on the kernel even when only analysed)."""
    if notebook is None:
        return PLAIN_HEAD_START
    try:
        cells = json.loads(notebook.read_text()).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return PLAIN_HEAD_START
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = [line for line in source.splitlines()
                 if not line.lstrip().startswith(":") or line.lstrip().startswith(":dep ")]
        sources.append("\n".join(lines))
        if len(sources) == HEAD_START_CELLS:
            break
    # A cell may end in an expression (its value is shown): `;` on a line of its own ends it,
    # and is an empty statement after anything else.
    code = "\n;\n".join(sources).rstrip() + "\n"
    return code if code.strip() else PLAIN_HEAD_START


def connection_file(argv: list[str]) -> Path | None:
    """The connection file Jupyter passes to evcxr_jupyter (`--control_file FILE`)."""
    for flag, value in zip(argv, argv[1:]):
        if flag == "--control_file":
            return Path(value)
    return None


def head_start(connection: Path, code: str, kernel: subprocess.Popen) -> str:
    """Waits until the kernel answers and its other clients are quiet, then asks it for completions
    at the end of `code` and waits for the reply; skipped if a cell runs first. Returns what it did."""
    from jupyter_client import BlockingKernelClient  # the venv's; without it, no head start

    start = time.monotonic()
    deadline = start + HEAD_START_TIMEOUT
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
    ours = client.session.session

    def reply_to(request: str, timeout: float) -> dict | None:
        """The shell reply to `request`, or None after `timeout` or when the kernel is gone."""
        until = min(deadline, time.monotonic() + timeout)
        while time.monotonic() < until and kernel.poll() is None:
            try:
                reply = client.get_shell_msg(timeout=0.5)
            except Exception:  # queue.Empty
                continue
            if reply["parent_header"].get("msg_id") == request:
                return reply
        return None

    try:
        # The kernel binds its sockets before it answers: ask until it does.
        while reply_to(client.kernel_info(), 1.0) is None:
            if kernel.poll() is not None or time.monotonic() > deadline:
                return "the kernel never answered"
        up = time.monotonic()
        # Until the other clients have been quiet for HEAD_START_QUIET s (at most HEAD_START_WAIT s).
        last_other = up
        while time.monotonic() - last_other < HEAD_START_QUIET and time.monotonic() - up < HEAD_START_WAIT:
            try:
                message = client.get_iopub_msg(timeout=0.1)
            except Exception:  # queue.Empty
                continue
            parent = message.get("parent_header") or {}
            if parent.get("session") in (None, ours):
                continue
            if parent.get("msg_type") == "execute_request":
                return "skipped: a cell is already running"
            last_other = time.monotonic()
        asked = time.monotonic()
        reply = reply_to(client.complete(code, cursor_pos=len(code)), HEAD_START_TIMEOUT)
        if reply is None:
            return "no reply"
        return (f"analysed {code.count(chr(10))} lines in {time.monotonic() - asked:.2f} s, "
                f"{asked - start:.2f} s after the kernel's start "
                f"(status {reply['content'].get('status', '?')})")
    finally:
        client.stop_channels()


def begin_head_start(argv: list[str], kernel: subprocess.Popen) -> None:
    """Runs head_start() beside the kernel, unless EVCXR_HEAD_START=0; whatever goes wrong in it is
    logged and leaves the kernel alone."""
    if os.environ.get("EVCXR_HEAD_START", "1") == "0":
        return
    connection = connection_file(argv)
    if connection is None:
        return
    code = head_start_code(session_notebook(Path.cwd()))

    def run():
        try:
            log(f"head start: {head_start(connection, code, kernel)}")
        except Exception as error:  # noqa: BLE001 - a head start is never worth a kernel
            log(f"head start failed (the kernel runs on without it): {type(error).__name__}: {error}")

    threading.Thread(target=run, name="head-start", daemon=True).start()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    shared = shared_dir()
    env = dict(os.environ)
    if env.get("EVCXR_SHARED_BUILD_WRITE") == "1":
        shared.mkdir(parents=True, exist_ok=True)
        env["EVCXR_TMPDIR"] = str(shared)
        os.execvpe(argv[0], argv, env)

    start = time.monotonic()
    kernels = kernels_dir(shared)
    private, in_use = make_private(kernels)
    if (shared / "target").is_dir():
        guard = lock(shared / LOCK_NAME, fcntl.LOCK_SH, SEED_WAIT)
        if guard is None:
            log(f"{shared} stayed locked for {SEED_WAIT} s: starting without its compiled dependencies")
        else:
            try:
                linked, copied = seed(shared, private)
            finally:
                os.close(guard)
            log(f"build folder {private.name}: {linked} libraries linked, {copied / 1e6:.1f} MB copied, "
                f"in {time.monotonic() - start:.2f} s")
    else:
        log(f"{shared} holds no compiled dependencies (scripts/setup.sh compiles them): "
            "this kernel compiles them itself, about a minute")

    env["EVCXR_TMPDIR"] = str(private)
    kernel = subprocess.Popen(argv, env=env, pass_fds=(in_use,))
    os.close(in_use)  # the kernel's processes hold the lock from here on
    begin_head_start(argv, kernel)

    def forward(signum, _frame):
        kernel.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    try:
        clean_stale(kernels)
    except OSError as error:  # never worth failing a kernel for
        log(f"could not clean stale build folders: {error}")
    status = kernel.wait()
    shutil.rmtree(private, ignore_errors=True)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
