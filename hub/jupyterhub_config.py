# The class server's JupyterHub configuration. hub/hub.sh copies this file into HUB_PREFIX
# (default /opt/autograd-hub) beside what it installed there, and writes HUB_PREFIX/settings.json
# from the HUB_* variables of `make hub` (README, "For teachers": "One server for a class").
#
# HUB_PREFIX/
#   venv/        JupyterHub, JupyterLab, jupyterhub-idle-culler (hub/requirements.txt)
#   proxy/       configurable-http-proxy (hub/package.json, package-lock.json)
#   rust/        the Rust toolchain (a copy of set-up's), readable by the students
#   bin/         evcxr_jupyter
#   cargo/       CARGO_HOME for every kernel: the course's crates and the standard library's
#   course/      autograd-core, the lessons, and the lessons' dependencies compiled once
#                (course/notebooks/.evcxr-build); course/lessons/ holds the student copies
#   state/       the hub's database, cookie secret, log, pid
import asyncio
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

PREFIX = Path(__file__).resolve().parent
STATE = PREFIX / "state"
COURSE = PREFIX / "course"
SETTINGS = json.loads((PREFIX / "settings.json").read_text())
GROUP = SETTINGS["group"]  # the class's accounts (hub/hub.sh users CLASS_LIST)
# In the student's home: the lessons, the shared crate (a symlink, so that every kernel of every
# student compiles against the same path and reuses the one compiled copy), and a hidden copy of
# the compiled dependencies their kernels start from.
LESSONS = "lessons"
CRATE = "autograd-core"
BUILD = ".autograd-build"

c = get_config()  # noqa: F821 (JupyterHub defines it)

# --- Where it listens --------------------------------------------------------------------
# Localhost by default. HUB_HTTPS=FOLDER (a folder holding the school's fullchain.pem and
# privkey.pem, as certbot writes them) serves the class over HTTPS on port 443 of every
# interface instead.
if SETTINGS.get("https"):
    certs = Path(SETTINGS["https"])
    c.JupyterHub.bind_url = "https://0.0.0.0:443"
    c.JupyterHub.ssl_cert = str(certs / "fullchain.pem")
    c.JupyterHub.ssl_key = str(certs / "privkey.pem")
else:
    c.JupyterHub.bind_url = f"http://127.0.0.1:{SETTINGS['port']}"
c.JupyterHub.hub_ip = "127.0.0.1"  # the hub's own API: only the proxy and the servers use it
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")  # hub/hub.sh stop reads it
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [str(PREFIX / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{SETTINGS['port'] + 1}"
c.JupyterHub.hub_port = SETTINGS["port"] + 2

# --- Who logs in -------------------------------------------------------------------------
# System accounts, made from the class list with a random password each (hub/hub.sh users),
# checked by PAM; only members of the class's group get in.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {GROUP}
c.PAMAuthenticator.open_sessions = False  # no login sessions to open without systemd-logind
c.Authenticator.admin_users = set(SETTINGS.get("admins", []))


# --- Each student's server ---------------------------------------------------------------
def student_home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


async def seed_home(spawner) -> None:
    """Before a student's server starts: seed_files, in a thread (the hub serves everyone)."""
    await asyncio.to_thread(seed_files, spawner.user.name)


def seed_files(user: str) -> None:
    """Before a student's server starts (as root): the lessons on first start, the crate's
    symlink, and the compiled dependencies, copied again when the course's changed."""
    entry = pwd.getpwnam(user)
    home = Path(entry.pw_dir)
    home.chmod(0o700)  # useradd may make homes world-readable: the answers are the student's

    def own(path: Path) -> None:
        subprocess.run(["chown", "-R", "--no-dereference", f"{entry.pw_uid}:{entry.pw_gid}", str(path)], check=True)

    lessons = home / LESSONS
    if not lessons.exists():  # first start only: never overwrite a student's work
        shutil.copytree(COURSE / LESSONS, lessons)
        own(lessons)
    crate = home / CRATE
    if not crate.is_symlink():
        if crate.exists():
            crate.rename(home / f"{CRATE}.moved")
        crate.symlink_to(COURSE / CRATE)
        own(crate)
    # scripts/evcxr_kernel.py gives each kernel a private build folder seeded from this one by
    # hardlinks, which the kernel (running as the student) may only make to files the student
    # owns (fs.protected_hardlinks): so each student owns one copy (84 MB), made here
    # when the course's was rebuilt since (its warm-up stamps differ).
    source = COURSE / "notebooks"
    stamps = source / ".evcxr-build" / ".warm-stamps.json"
    build = home / BUILD
    mine = build / ".evcxr-build" / ".warm-stamps.json"
    if stamps.exists() and (not mine.exists() or mine.read_bytes() != stamps.read_bytes()):
        fresh = home / f"{BUILD}.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        # The dependencies' opt-level, for every build folder below this one, as in a checkout.
        shutil.copytree(source / ".cargo", fresh / ".cargo")
        subprocess.run(["cp", "-a", "--reflink=auto", str(source / ".evcxr-build"), str(fresh)], check=True)
        for junk in (fresh / ".evcxr-build").glob("target/*/incremental"):
            shutil.rmtree(junk, ignore_errors=True)
        own(fresh)
        shutil.rmtree(build, ignore_errors=True)
        fresh.rename(build)


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner (a server per student, run as the student's account; no systemd in a
    container) with a memory limit from a cgroup, and no orphaned kernels."""

    def make_preexec_fn(self, name):
        set_user = super().make_preexec_fn(name)
        cgroup = memory_cgroup(name, self.mem_limit)

        def preexec():
            if cgroup is not None:
                # While still root: this server and everything it starts (the kernel, rustc)
                # are counted and limited together.
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))
            set_user()

        return preexec

    def get_args(self):
        # The formgrader and the course list are off in the venv's configuration (hub/hub.sh), so
        # that students do not get them; a teacher's server turns them on (jupyter_server lets
        # the venv's configuration win over ~/.jupyter, so this cannot live there).
        args = super().get_args()
        if self.user.name in teachers():
            args += [f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{name}=True"
                     for name in ("formgrader", "course_list")]
        return args

    async def stop(self, now=False):
        await super().stop(now=now)
        # jupyter_server shuts its kernels down on SIGINT only when it has a terminal, so a
        # stopped server leaves its kernel running (600 MB each): end what the account still runs.
        await kill_user_processes(self.user.name)
        group = memory_cgroup_path(self.user.name)
        if group is not None:
            try:
                group.rmdir()  # empty now; made again at the next start
            except OSError:
                pass


def memory_cgroup_path(user: str) -> Path | None:
    """The student's memory cgroup, below the hub's own (cgroup v1's memory controller, else
    cgroup v2), whether it exists or not; None if the hub is in neither."""
    path = None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "autograd-hub" / user
    if path is None or not Path("/sys/fs/cgroup/cgroup.controllers").exists():
        return None
    return Path("/sys/fs/cgroup") / path.lstrip("/") / "autograd-hub" / user


def memory_cgroup(user: str, limit) -> Path | None:
    """The student's memory cgroup, made and limited to `limit` bytes, or None where the hub may
    not make one (then the limit is not enforced, and the log says so)."""
    if not limit:
        return None
    try:
        group = memory_cgroup_path(user)
        if group is None:
            raise OSError("the hub is in no memory cgroup")
        group.mkdir(parents=True, exist_ok=True)
        v1 = (group / "memory.limit_in_bytes").exists()
        (group / ("memory.limit_in_bytes" if v1 else "memory.max")).write_text(str(int(limit)))
        return group
    except (OSError, ValueError) as error:
        print(f"[hub] no memory limit for {user}: {error}", file=sys.stderr)
        return None


async def kill_user_processes(user: str) -> None:
    """SIGTERM to every process of the student's account, then SIGKILL to what is left."""
    uid = pwd.getpwnam(user).pw_uid
    for signal_name in ("TERM", "KILL"):
        if subprocess.run(["pkill", f"-{signal_name}", "-U", str(uid)]).returncode != 0:
            return  # nothing left
        await asyncio.sleep(2)


c.JupyterHub.spawner_class = ClassSpawner
c.Spawner.pre_spawn_hook = seed_home
c.Spawner.cmd = [str(PREFIX / "venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = f"/lab/tree/{LESSONS}"
c.Spawner.notebook_dir = "~"
c.Spawner.mem_limit = SETTINGS["mem_limit"]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    # The kernels' build folders: the student's own copy of the compiled dependencies.
    "EVCXR_SHARED_BUILD": lambda spawner: str(student_home(spawner.user.name) / BUILD / ".evcxr-build"),
    # The kernels' settings (evcxr.toml: crates offline, cell code unoptimised) wherever the
    # notebook is: an assignment fetched with nbgrader lands in ~/<assignment>/, beside no
    # evcxr.toml of its own, and evcxr then reads the one in EVCXR_CONFIG_DIR.
    "EVCXR_CONFIG_DIR": str(COURSE / "notebooks"),
    # A terminal in JupyterLab finds `nbgrader` (the teacher's commands) and the toolchain.
    "PATH": f"{PREFIX / 'venv' / 'bin'}:{PREFIX / 'rust' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
}


def teachers() -> set[str]:
    """The accounts hub/hub.sh teacher made teachers (HUB_PREFIX/teachers.txt, a name a line)."""
    path = PREFIX / "teachers.txt"
    return set(path.read_text().split()) if path.exists() else set()

# --- Idle servers ------------------------------------------------------------------------
# A student's server that has done nothing for HUB_IDLE_TIMEOUT seconds is stopped (its kernel
# with it); their files stay, and the next login starts a new one.
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            str(PREFIX / "venv" / "bin" / "python"), "-m", "jupyterhub_idle_culler",
            f"--timeout={SETTINGS['idle_timeout']}", "--cull-every=60",
        ],
    }
]
