#!/usr/bin/env bash
# One JupyterHub for a class, on a Debian server, as root (README, "For teachers").
#
#   bash hub/hub.sh install        everything below, skipping what is done (make hub runs
#                                  install, then users if HUB_CLASS is set, then start)
#   bash hub/hub.sh users FILE     an account per name in FILE (one a line; # comments), each
#                                  with a random password, written to HUB_PREFIX/passwords.txt
#   bash hub/hub.sh teacher NAME   the class's nbgrader course in NAME's home (~/course), with
#                                  the formgrader (make hub HUB_TEACHER=NAME); the account too,
#                                  if NAME has none
#   bash hub/hub.sh start | stop | status
#   bash hub/hub.sh remove-users FILE   delete those accounts, their homes and processes
#
# Settings (environment, or make variables: make hub HUB_CLASS=class.txt):
#   HUB_PREFIX=/opt/autograd-hub  where everything is installed (not in the checkout: the students'
#                                 servers must read it, and root's home is closed to them)
#   HUB_PORT=8000                 the hub listens on 127.0.0.1:HUB_PORT (the proxy's API and the
#                                 hub's own use the two ports after it)
#   HUB_HTTPS=FOLDER              serve on https://0.0.0.0:443 with FOLDER/fullchain.pem and
#                                 FOLDER/privkey.pem (the school's certificate) instead
#   HUB_MEM_LIMIT=2G              each student's memory (server, kernel and compiler together)
#   HUB_IDLE_TIMEOUT=3600         seconds without activity before a student's server is stopped
#   HUB_GROUP=autograd-class      the class's group: only its members may log in
#   HUB_ADMINS="name ..."         accounts that may administer the hub (also need a class account)
#   HUB_COURSE=autograd           the class's nbgrader course id (its folder in the exchange)
#
# What install does: Debian's python3-venv (and node 20+ from Debian where it has it); set-up's
# rust-src and evcxr_jupyter (scripts/setup.sh --kernel-only); a copy of its Rust toolchain and evcxr_jupyter in
# HUB_PREFIX (hardlinked where it can); a venv from /usr/bin/python3 with hub/requirements.txt;
# configurable-http-proxy from hub/package-lock.json (npm ci); the course (autograd-core, the
# lessons, the kernel launcher) copied from this checkout; a CARGO_HOME with every crate the
# kernels need (set-up's own fetch step); the "rust" kernelspec; the lessons' dependencies
# compiled once (scripts/run_notebooks.py --warm); the student copies of the lessons
# (scripts/make_kit.py's student_copy); JupyterLab's news question turned off; nbgrader's exchange
# and its Assignments tab for every student (README, "Assignments on the hub").
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022

PREFIX=${HUB_PREFIX:-/opt/autograd-hub}
PORT=${HUB_PORT:-8000}
GROUP=${HUB_GROUP:-autograd-class}
VENV=$PREFIX/venv
STATE=$PREFIX/state
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

source scripts/timing.sh  # now, since, step
need_root() {
  if [[ $(id -u) != 0 ]]; then
    echo "hub/hub.sh $1 must run as root (it makes accounts and starts servers as them)" >&2
    exit 1
  fi
}

debian_packages() {
  local want=()
  /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || want+=(python3-venv)
  command -v useradd >/dev/null || want+=(passwd)
  command -v pkill >/dev/null || want+=(procps)
  command -v npm >/dev/null || want+=(nodejs npm)
  if ((${#want[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${want[@]}"
  fi
  if ! node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)'; then
    echo "configurable-http-proxy 5.3.0 needs node 20 or newer; this is $(node --version)" >&2
    echo "(Debian 13 has it; on Debian 12 install nodejs from bookworm-backports or NodeSource)" >&2
    exit 1
  fi
  echo "    python $(/usr/bin/python3 -V 2>&1 | cut -d' ' -f2), node $(node --version)"
}

repo_setup() { bash scripts/setup.sh --kernel-only; }

# The toolchain set-up uses lives in root's home (closed to students): the hub gets its own copy,
# hardlinked (no space) where HUB_PREFIX is on the same file system. rust-src comes with it.
toolchain() {
  local sysroot; sysroot=$(rustc --print sysroot)
  if [[ -x $PREFIX/rust/bin/rustc && $("$PREFIX/rust/bin/rustc" -vV) == "$(rustc -vV)" ]]; then
    echo "    $PREFIX/rust has $(rustc --version)"
  else
    rm -rf "$PREFIX/rust.new"
    cp -al "$sysroot" "$PREFIX/rust.new" 2>/dev/null || { rm -rf "$PREFIX/rust.new"; cp -a "$sysroot" "$PREFIX/rust.new"; }
    chmod -R a+rX "$PREFIX/rust.new"
    rm -rf "$PREFIX/rust"
    mv "$PREFIX/rust.new" "$PREFIX/rust"
    echo "    copied $(rustc --version) to $PREFIX/rust"
  fi
  mkdir -p "$PREFIX/bin"
  if ! cmp -s "$(command -v evcxr_jupyter)" "$PREFIX/bin/evcxr_jupyter"; then
    install -m 755 "$(command -v evcxr_jupyter)" "$PREFIX/bin/evcxr_jupyter"
  fi
}

venv() {
  [[ -x $VENV/bin/python ]] || /usr/bin/python3 -m venv "$VENV"
  local stamp=$VENV/.requirements.sha256 hash
  hash=$(cat hub/requirements.txt scripts/requirements-{grade,lab,test}.txt | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$hash" ]]; then
    echo "    $VENV has hub/requirements.txt"
  else
    (cd hub && "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r requirements.txt)
    echo "$hash" >"$stamp"
  fi
  # A terminal in JupyterLab runs bash as an interactive shell, not a login shell: a login shell
  # reads /etc/profile, which sets PATH anew, and `nbgrader` (the teacher's commands) would not be
  # found. Its PATH is the server's (hub/jupyterhub_config.py); ~/.bashrc is still read.
  # (jupyter_server reads only extensions from jupyter_server_config.d/, so the venv's own file.)
  mkdir -p "$VENV/etc/jupyter"
  rm -f "$VENV/etc/jupyter/jupyter_server_config.d/autograd-hub-terminal.json"
  echo '{"ServerApp": {"terminado_settings": {"shell_command": ["/bin/bash"]}}}' \
    >"$VENV/etc/jupyter/jupyter_server_config.json"
  # Nothing asks a student anything before the lesson: no news question, no update check.
  mkdir -p "$VENV/share/jupyter/lab/settings"
  cat >"$VENV/share/jupyter/lab/settings/overrides.json" <<'EOF'
{
  "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}
}
EOF
}

# nbgrader (pinned in scripts/requirements-grade.txt) with its own exchange: a folder every
# account may write, as nbgrader wants it (release_assignment resets it to mode 777 otherwise).
# The teacher's release makes <course>/outbound, readable by all, and <course>/inbound, where a
# student may write but not list (each submission's folder name holds a random part).
COURSE_ID=${HUB_COURSE:-autograd}
# nbgrader's JupyterLab plugins for the teacher only (the students keep the Assignments tab and
# Validate).
TEACHER_PLUGINS=(@jupyter/nbgrader:formgrader @jupyter/nbgrader:course-list @jupyter/nbgrader:create-assignment)
exchange() {
  mkdir -p "$PREFIX/exchange"
  chmod 777 "$PREFIX/exchange"
  # Read by nbgrader everywhere on the hub (the students' Assignments tab and Validate button,
  # the teacher's commands): the venv's own Jupyter configuration folder. The grading settings
  # (course/nbgrader_config.py) apply everywhere too, so that Validate runs a notebook as
  # autograde will.
  mkdir -p "$VENV/etc/jupyter"
  printf '%s\n' "# Written by hub/hub.sh: the class's nbgrader course, its exchange, its grading settings." \
    "c = get_config()  # noqa: F821" \
    "load_subconfig(\"$PREFIX/course/course/nbgrader_config.py\")  # noqa: F821" \
    "c.CourseDirectory.course_id = \"$COURSE_ID\"" \
    "c.Exchange.root = \"$PREFIX/exchange\"" >"$VENV/etc/jupyter/nbgrader_config.py"
  # Students get the Assignments tab (fetch, submit, fetch feedback) and the Validate button;
  # the formgrader, the course list and the "create assignment" toolbar are the teacher's.
  # Disabled, not locked (JupyterLab locks what it disables, and a lock here would also keep the
  # teacher's own setting from enabling them): a student who enables one in the plugin manager
  # gets nothing, as the formgrader's and course list's server parts are off for them.
  "$VENV/bin/jupyter" labextension disable --level=sys_prefix "${TEACHER_PLUGINS[@]}" >/dev/null 2>&1
  "$VENV/bin/jupyter" labextension unlock --level=sys_prefix "${TEACHER_PLUGINS[@]}" >/dev/null 2>&1
  "$VENV/bin/jupyter" server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
    nbgrader.server_extensions.course_list >/dev/null 2>&1
  echo "    course \"$COURSE_ID\", exchange $PREFIX/exchange; the students' JupyterLab has nbgrader's Assignments tab"
}

proxy() {
  mkdir -p "$PREFIX/proxy"
  if cmp -s hub/package-lock.json "$PREFIX/proxy/package-lock.json" && [[ -x $PREFIX/proxy/node_modules/.bin/configurable-http-proxy ]]; then
    echo "    $PREFIX/proxy has hub/package-lock.json"
  else
    cp hub/package.json hub/package-lock.json "$PREFIX/proxy/"
    (cd "$PREFIX/proxy" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The files of this checkout the course needs, copied with their modification times (so an
# unchanged autograd-core is not recompiled). A file an earlier install copied that the checkout
# no longer has (a lesson renamed) is deleted: course/.files lists what was copied. What the hub
# made itself (the compiled dependencies, lessons/) stays.
course() {
  local paths=(Cargo.toml Cargo.lock autograd-core notebooks scripts course) stale=0 file
  mkdir -p "$PREFIX/course"
  git ls-files "${paths[@]}" | sort >"$PREFIX/course/.files.new"
  if [[ -f $PREFIX/course/.files ]]; then
    while read -r file; do
      rm -f "$PREFIX/course/$file"
      stale=$((stale + 1))
    done < <(comm -23 "$PREFIX/course/.files" "$PREFIX/course/.files.new")
  fi
  git ls-files -z "${paths[@]}" | tar --null -T - -cf - | tar -xf - -C "$PREFIX/course"
  mv "$PREFIX/course/.files.new" "$PREFIX/course/.files"
  echo "    $(wc -l <"$PREFIX/course/.files") files in $PREFIX/course ($stale no longer in the checkout: deleted)"
}

# Runs a command with the toolchain, cargo cache and Python the students' kernels use.
as_kernels() {
  env PATH="$PREFIX/rust/bin:$PATH" CARGO_HOME="$PREFIX/cargo" JUPYTER_PREFER_ENV_PATH=1 \
    LD_LIBRARY_PATH="$PREFIX/rust/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/lib" "$@"
}

crates() {
  # Set-up's own fetch step: the course's crates and the standard library's, for type inference.
  as_kernels bash "$PREFIX/course/scripts/setup.sh" --fetch-only
}

# The "rust" kernel of every student: the course's launcher (scripts/evcxr_kernel.py, a build
# folder per kernel) with the hub's evcxr_jupyter, toolchain and cargo cache.
kernelspec() {
  local dir=$VENV/share/jupyter/kernels/rust host
  host=$(rustc -vV | sed -n 's/^host: //p')
  JUPYTER_PATH="$VENV/share/jupyter" "$PREFIX/bin/evcxr_jupyter" --install >/dev/null
  "$VENV/bin/python" - "$dir/kernel.json" "$PREFIX" "$host" <<'EOF'
import json, sys
path, prefix, host = sys.argv[1:]
json.dump({
    "argv": [f"{prefix}/venv/bin/python", f"{prefix}/course/scripts/evcxr_kernel.py",
             f"{prefix}/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
    "display_name": "Rust",
    "language": "rust",
    "interrupt_mode": "message",
    "env": {
        "PATH": f"{prefix}/rust/bin:/usr/local/bin:/usr/bin:/bin",
        "CARGO_HOME": f"{prefix}/cargo",
        # Each cell's library finds the toolchain's libstd through a RUNPATH relative to where
        # cargo built it, but evcxr loads a copy one folder up: when the toolchain and the
        # homes share a path prefix the relative path misses and the kernel restarts in a loop.
        "LD_LIBRARY_PATH": f"{prefix}/rust/lib/rustlib/{host}/lib",
    },
}, open(path, "w"), indent=1)
EOF
  echo "    $dir/kernel.json"
}

warm() {
  local build=$PREFIX/course/notebooks/.evcxr-build
  as_kernels "$VENV/bin/python" "$PREFIX/course/scripts/run_notebooks.py" --warm | tee "$STATE/warm.log"
  # run_notebooks.py only reports a failed warm-up (its notebook runs would show it): here
  # nothing else would, and every student would compile the dependencies, so stop.
  if grep -q "warm-up failed" "$STATE/warm.log" || ! [[ -f $build/.warm-stamps.json && -d $build/target ]]; then
    echo "compiling the lessons' dependencies failed (above); run make hub again" >&2
    exit 1
  fi
  chmod -R a+rX "$PREFIX/cargo" "$PREFIX/course"
}

lessons() {
  "$VENV/bin/python" hub/student_lessons.py "$PREFIX/course"
}

install_all() {
  need_root install
  local total; total=$(now)
  mkdir -p "$PREFIX" "$STATE"
  chmod 755 "$PREFIX"
  chmod 700 "$STATE"
  step "Debian packages" debian_packages
  step "rust-src and evcxr_jupyter (scripts/setup.sh --kernel-only)" repo_setup
  step "Rust toolchain and evcxr_jupyter in $PREFIX" toolchain
  step "JupyterHub venv ($VENV)" venv
  step "nbgrader's exchange ($PREFIX/exchange)" exchange
  step "configurable-http-proxy ($PREFIX/proxy)" proxy
  step "the course ($PREFIX/course)" course
  step "crates for the kernels ($PREFIX/cargo)" crates
  step "kernel \"rust\"" kernelspec
  step "the lessons' dependencies, compiled" warm
  step "student copies of the lessons" lessons
  cp hub/jupyterhub_config.py "$PREFIX/jupyterhub_config.py"
  "$VENV/bin/python" - "$PREFIX/settings.json" <<EOF
import json, sys
json.dump({
    "port": int("$PORT"),
    "https": "${HUB_HTTPS:-}",
    "mem_limit": "${HUB_MEM_LIMIT:-2G}",
    "idle_timeout": int("${HUB_IDLE_TIMEOUT:-3600}"),
    "group": "$GROUP",
    "admins": "${HUB_ADMINS:-}".split(),
}, open(sys.argv[1], "w"), indent=1)
EOF
  getent group "$GROUP" >/dev/null || groupadd "$GROUP"
  echo "hub installed in $PREFIX in $(since "$total")"
}

users() {
  need_root users
  local list=${1:?usage: hub.sh users CLASS_LIST}
  getent group "$GROUP" >/dev/null || groupadd "$GROUP"
  local passwords=$PREFIX/passwords.txt made=0 name
  touch "$passwords"
  chmod 600 "$passwords"
  while read -r name _; do
    name=${name%$'\r'}  # a class list saved on Windows
    [[ -z $name || $name == \#* ]] && continue
    if ! [[ $name =~ ^[a-z][a-z0-9_-]{0,30}$ ]]; then
      echo "skipped '$name': an account name is lower-case letters, digits, - and _" >&2
      continue
    fi
    if id "$name" >/dev/null 2>&1; then
      usermod -aG "$GROUP" "$name"
      continue
    fi
    useradd --create-home --shell /bin/bash --groups "$GROUP" "$name"
    chmod 700 "$(getent passwd "$name" | cut -d: -f6)"
    local password; password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 12)
    echo "$name:$password" | chpasswd
    echo "$name $password" >>"$passwords"
    made=$((made + 1))
  done <"$list"
  echo "$made new account(s) in group $GROUP; their passwords: $passwords (give each student theirs)"
}

# The teacher's nbgrader course: ~NAME/course, with every lesson that has an answers file as an
# assignment (scripts/grade.py assign: source/ and nbgrader's release/), loading the course's
# grading settings (course/nbgrader_config.py); the formgrader in their JupyterLab. Kept as it is
# when it exists (it holds the gradebook): delete ~NAME/course first to make it again.
teacher() {
  need_root teacher
  local name=${1:?usage: hub.sh teacher NAME}
  [[ -f $PREFIX/settings.json ]] || { echo "not installed: run make hub" >&2; exit 1; }
  users <(echo "$name")
  local home course
  home=$(getent passwd "$name" | cut -d: -f6)
  course=$home/course
  if [[ -e $course ]]; then
    echo "    $course exists: kept"
  else
    rm -rf "$course.new"
    "$VENV/bin/python" "$PREFIX/course/scripts/grade.py" assign --course "$course.new" >"$STATE/teacher.log"
    mv "$course.new" "$course"
    chown -R "$name:" "$course"
    echo "    $(wc -l <"$STATE/teacher.log") assignments in $course: $(cut -d: -f1 "$STATE/teacher.log" | tr '\n' ' ')"
  fi
  # The formgrader works on that folder; the teacher's own JupyterLab shows it (the hub turns its
  # server part on for the accounts in teachers.txt: jupyterhub_config.py).
  touch "$PREFIX/teachers.txt"
  grep -qx "$name" "$PREFIX/teachers.txt" || echo "$name" >>"$PREFIX/teachers.txt"
  as_teacher() { runuser -u "$name" -- env HOME="$home" "$@"; }
  as_teacher mkdir -p "$home/.jupyter"
  as_teacher tee "$home/.jupyter/nbgrader_config.py" >/dev/null <<<"c = get_config()  # noqa: F821
c.CourseDirectory.root = \"$course\""
  as_teacher "$VENV/bin/jupyter" labextension enable --level=user "${TEACHER_PLUGINS[@]}" >/dev/null 2>&1
  echo "$name teaches course \"$(sed -n 's/^c.CourseDirectory.course_id = "\(.*\)"/\1/p' "$VENV/etc/jupyter/nbgrader_config.py")\" from $course (README: \"Assignments on the hub\")"
}

remove_users() {
  need_root remove-users
  local list=${1:?usage: hub.sh remove-users CLASS_LIST}
  while read -r name _; do
    [[ -z $name || $name == \#* ]] && continue
    id "$name" >/dev/null 2>&1 || continue
    pkill -KILL -U "$(id -u "$name")" 2>/dev/null || true
    userdel --remove "$name" 2>/dev/null || true
    [[ -f $PREFIX/passwords.txt ]] && sed -i "/^$name /d" "$PREFIX/passwords.txt"
    [[ -f $PREFIX/teachers.txt ]] && sed -i "/^$name\$/d" "$PREFIX/teachers.txt"
  done <"$list"
}

# The hub writes its pid file itself (jupyterhub_config.py); a zombie (where nothing reaps
# orphans, as in some containers) counts as stopped.
alive() { [[ -n $1 && $(ps -o stat= -p "$1" 2>/dev/null) =~ ^[^Z] ]]; }
running() {
  local pid
  pid=$(cat "$STATE/jupyterhub.pid" 2>/dev/null) || return 1
  alive "$pid"
}

# The address the installed hub serves (settings.json, written by install).
url() {
  "$VENV/bin/python" -c 'import json, sys; s = json.load(open(sys.argv[1]))
print("https://localhost/" if s["https"] else f"http://127.0.0.1:{s['"'"'port'"'"']}/")' "$PREFIX/settings.json"
}

answers() {
  "$VENV/bin/python" -c 'import ssl, sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2, context=ssl._create_unverified_context())' "$1" 2>/dev/null
}

start() {
  need_root start
  if running; then
    echo "the hub runs already (pid $(cat "$STATE/jupyterhub.pid")): $(url)"
    return
  fi
  [[ -f $PREFIX/jupyterhub_config.py ]] || { echo "not installed: run make hub" >&2; exit 1; }
  # In a session of its own, so that it outlives this shell.
  rm -f "$STATE/jupyterhub.pid"
  (cd "$STATE" && setsid --fork "$VENV/bin/jupyterhub" -f "$PREFIX/jupyterhub_config.py" \
    >>"$STATE/jupyterhub.log" 2>&1 </dev/null)
  local i
  for i in $(seq 1 120); do
    if answers "$(url)hub/api/"; then
      echo "the hub answers at $(url) (log: $STATE/jupyterhub.log)"
      return
    fi
    [[ $i -gt 20 ]] && ! running && break
    sleep 0.5
  done
  echo "the hub did not start; the end of $STATE/jupyterhub.log:" >&2
  tail -20 "$STATE/jupyterhub.log" >&2
  exit 1
}

stop() {
  need_root stop
  if ! running; then
    echo "the hub is not running"
    return
  fi
  local pid; pid=$(cat "$STATE/jupyterhub.pid")
  # SIGTERM: the hub stops the students' servers (each with what its account runs), its
  # services and the proxy, then exits; what the class's accounts still run is ended after.
  kill -TERM "$pid"
  local i
  for i in $(seq 1 120); do  # the hub deletes its pid file before it is done: wait for the pid
    alive "$pid" || break
    sleep 0.25
  done
  if alive "$pid"; then
    echo "the hub did not stop in 30 s: SIGKILL"
    kill -KILL "$pid"
    [[ -f $STATE/proxy.pid ]] && kill -TERM "$(cat "$STATE/proxy.pid")" 2>/dev/null || true
  fi
  local member
  for member in $(getent group "$GROUP" | cut -d: -f4 | tr ',' ' '); do
    pkill -KILL -U "$(id -u "$member")" 2>/dev/null || true
  done
  rm -f "$STATE/jupyterhub.pid"
  echo "the hub stopped"
}

case "${1:-}" in
  install) install_all ;;
  users) users "${2:-}" ;;
  teacher) teacher "${2:-}" ;;
  remove-users) remove_users "${2:-}" ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running: $(url)"; else echo "not running"; exit 1; fi ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
