#!/usr/bin/env bash
# The class server under load: a hub of its own, N new students at once running lesson 02; then
# the teacher's nbgrader workflow of the README with two students.
#
#   bash scripts/test_hub.sh             2 students at once, then the nbgrader workflow (make test)
#   bash scripts/test_hub.sh N ...       N students at once, for each N (make hub-load: 1 4 8 16)
#   bash scripts/test_hub.sh --course    the nbgrader workflow only
#
# As root (it makes accounts). Installs the hub (hub/hub.sh install; idempotent, so a second run
# reuses what the first installed) into HUB_PREFIX, default /opt/autograd-hub-test, apart from a
# class's hub; starts it on 127.0.0.1 at a free port; then for each N: makes N new accounts
# (hubload01..), runs scripts/hub_load_test.py with them (log in, start the server, lesson 02 at
# the same moment), writes target/hub-load-N.json, and deletes the accounts, their homes and
# processes. Then (without N) the course test: a teacher account (hubteach)
# and two students; `hub/hub.sh teacher hubteach` makes the teacher's course, and
# scripts/hub_course_test.py follows README "Assignments on the hub": release, fetch, submit,
# collect, autograde, feedback, checked in nbgrader's gradebook. On exit, whatever happened, the
# hub is stopped, every account it made is deleted, and the exchange emptied.
# Fails if a start or a cell failed, or a kernel compiled a dependency itself (its probe cell
# finds a library it wrote, or its log, in the hub's, shows `Compiling ndarray`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) != 0 ]]; then
  echo "scripts/test_hub.sh makes accounts and starts servers as them: run it as root" >&2
  exit 1
fi
course_test=1
if [[ ${1:-} == --course ]]; then
  sizes=()
elif (($#)); then
  sizes=("$@")
  course_test=0  # make hub-load: the load test only
else
  sizes=(2)
fi
for n in "${sizes[@]+"${sizes[@]}"}"; do
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 64 ]] || { echo "N must be 1 to 64, not '$n'" >&2; exit 2; }
done
export HUB_PREFIX=${HUB_PREFIX:-/opt/autograd-hub-test}
export HUB_GROUP=autograd-hubload
# A free port, and the two after it (the proxy's API and the hub's own).
HUB_PORT=$(python3 - <<'EOF'
import socket
for port in range(18000, 19000, 3):
    try:
        socks = [socket.create_server(("127.0.0.1", p)) for p in (port, port + 1, port + 2)]
    except OSError:
        continue
    for s in socks:
        s.close()
    print(port)
    break
EOF
)
export HUB_PORT
list=$(mktemp)
cleanup() {
  local status=$?
  bash hub/hub.sh stop || true
  local i
  { for ((i = 1; i <= 64; i++)); do printf 'hubload%02d\n' "$i"; done; echo hubteach; } >"$list"
  bash hub/hub.sh remove-users "$list"
  getent group "$HUB_GROUP" >/dev/null && groupdel "$HUB_GROUP"
  # The hub's record of the deleted accounts (its next start would warn about each).
  rm -f "$HUB_PREFIX/state/jupyterhub.sqlite"
  # What the course test released and the students submitted.
  [[ -d $HUB_PREFIX/exchange ]] && find "$HUB_PREFIX/exchange" -mindepth 1 -delete
  rm -f "$list"
  exit "$status"
}
trap cleanup EXIT

bash hub/hub.sh install
bash hub/hub.sh start
mkdir -p target
status=0
for n in "${sizes[@]+"${sizes[@]}"}"; do
  names=()
  for ((i = 1; i <= n; i++)); do names+=("$(printf 'hubload%02d' "$i")"); done
  printf '%s\n' "${names[@]}" >"$list"
  bash hub/hub.sh users "$list"
  echo "==> $n student(s) at once; free memory before: $(free -g | awk '/^Mem:/ {print $7}') GB available"
  log=$HUB_PREFIX/state/jupyterhub.log
  offset=$(stat -c %s "$log")
  "$HUB_PREFIX/venv/bin/python" scripts/hub_load_test.py --url "http://127.0.0.1:$HUB_PORT/" \
    --passwords "$HUB_PREFIX/passwords.txt" --out "target/hub-load-$n.json" "${names[@]}" || status=1
  # The kernels' own log (cargo's output goes to the students' servers, whose output the hub
  # logs): a new student's first lesson must not compile a dependency.
  if tail -c "+$((offset + 1))" "$log" | grep -E "Compiling (ndarray|plotters|autograd-core) "; then
    echo "FAILED: the students' kernels compiled the dependencies above (see $log)"
    status=1
  else
    echo "the students' kernel logs show no 'Compiling ndarray', 'Compiling plotters' or 'Compiling autograd-core'"
  fi
  bash hub/hub.sh remove-users "$list"
done

if ((course_test)); then
  echo "==> the course: a teacher releases lesson 02, two students fetch and submit it, the teacher grades"
  printf '%s\n' hubload01 hubload02 >"$list"
  bash hub/hub.sh users "$list"
  bash hub/hub.sh teacher hubteach
  "$HUB_PREFIX/venv/bin/python" scripts/hub_course_test.py --url "http://127.0.0.1:$HUB_PORT/" \
    --passwords "$HUB_PREFIX/passwords.txt" --teacher hubteach \
    --teacher-home "$(getent passwd hubteach | cut -d: -f6)" --course "${HUB_COURSE:-autograd}" \
    hubload01 hubload02 || status=1
fi
exit "$status"
