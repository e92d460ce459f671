#!/usr/bin/env bash
# Everything the notebooks need, skipping what is already done:
#   rust-src, evcxr_jupyter 0.22.0, the "rust" Jupyter kernel, a Python venv in .venv
#   with the pinned packages, the crates of Cargo.lock in cargo's cache (the lessons resolve
#   them offline), and evcxr's dependency cache in notebooks/.evcxr-build.
# Needs rustup + cargo and python3 (3.11+). `--lab` also installs JupyterLab.
# For the browser test (scripts/browser_test.py), where it can: Debian's chromium (apt-get, on
# Debian as root or with passwordless sudo), playwright-core from browser-test/package-lock.json
# (npm ci; needs node 20+), and then JupyterLab too. Elsewhere the browser test is skipped.
#
#   bash scripts/setup.sh [--lab]
set -euo pipefail
cd "$(dirname "$0")/.."

EVCXR_VERSION=0.22.0
LAB=0
case "${1:-}" in
  --lab) LAB=1 ;;
  "") ;;
  *) echo "usage: $0 [--lab]" >&2; exit 2 ;;
esac

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
VENV=.venv
PY=$VENV/bin/python

now() { local t=${EPOCHREALTIME:-$(date +%s)}; echo "${t/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
# step NAME FUNCTION: run FUNCTION, then print how long it took.
step() {
  local start; start=$(now)
  echo "==> $1"
  "$2"
  echo "    $1: $(since "$start")"
}

rust_src() {
  if rustup component list --installed 2>/dev/null | grep '^rust-src' >/dev/null; then
    echo "    rust-src is installed"
  else
    rustup component add rust-src
  fi
}

# evcxr_jupyter has no --version: ask cargo which version it installed.
evcxr_ok() {
  command -v evcxr_jupyter >/dev/null 2>&1 &&
    cargo install --list | grep -x "evcxr_jupyter v$EVCXR_VERSION:" >/dev/null
}

evcxr() {
  # Another `cargo install evcxr...` (e.g. started by hand) would build the same thing
  # again: wait for it instead.
  if ! evcxr_ok && pgrep -f "cargo install evcxr" >/dev/null; then
    echo "    waiting for a running 'cargo install evcxr_jupyter' to finish ..."
    while pgrep -f "cargo install evcxr" >/dev/null; do sleep 5; done
  fi
  if evcxr_ok; then
    echo "    evcxr_jupyter $EVCXR_VERSION is installed: $(command -v evcxr_jupyter)"
  else
    echo "    building evcxr_jupyter $EVCXR_VERSION (takes several minutes) ..."
    cargo install evcxr_jupyter --version "$EVCXR_VERSION" --locked
  fi
}

venv() {
  if [[ -x $PY ]] && ! $PY -c 'import sys' 2>/dev/null; then
    echo "    $VENV is broken (moved, or its python is gone): recreating it"
    rm -rf "$VENV"
  fi
  if [[ ! -x $PY ]]; then
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "python3 is $(python3 -V 2>&1); the scripts need 3.11 or newer" >&2
      exit 1
    fi
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
      # Debian ships venv/ensurepip separately.
      if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        apt-get update -q && apt-get install -y -q python3-venv
      elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
        sudo apt-get update -q && sudo apt-get install -y -q python3-venv
      else
        echo "python3 cannot create a venv: install python3-venv (apt-get install python3-venv)" >&2
        exit 1
      fi
    fi
    python3 -m venv "$VENV"
  fi
  # pip runs only when the requirement files changed since the last install.
  local files=(scripts/requirements-test.txt)
  # The browser test runs JupyterLab: install it wherever that test can run.
  browser_ready && LAB=1
  [[ $LAB == 1 ]] && files=(scripts/requirements-lab.txt "${files[@]}")
  local stamp=$VENV/.requirements-$([[ $LAB == 1 ]] && echo lab || echo test).sha256
  if [[ -f $stamp && $(cat "$stamp") == "$(req_hash "${files[@]}")" ]]; then
    echo "    $VENV already has ${files[0]}"
    return
  fi
  $PY -m pip install --disable-pip-version-check -q -r "${files[0]}"
  req_hash "${files[@]}" >"$stamp"
  # The lab requirements include the test ones.
  req_hash scripts/requirements-test.txt >$VENV/.requirements-test.sha256
}

req_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# The browser test drives Debian's Chromium (no browser download) with playwright-core from npm.
CHROMIUM=/usr/bin/chromium
NODE_MODULES=browser-test/node_modules
browser_ready() { [[ -x $CHROMIUM && -d $NODE_MODULES/playwright-core ]]; }

browser_tools() {
  if [[ -x $CHROMIUM ]]; then
    echo "    chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo "at $CHROMIUM")"
  elif [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null; then
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
      if sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
      else
        echo "    no $CHROMIUM, and apt-get needs root: the browser test will be skipped"
        return
      fi
    fi
    # Not fatal (e.g. offline): without chromium the browser test is skipped, and says so.
    if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        chromium fonts-dejavu-core; }; then
      echo "    WARNING: could not install chromium: the browser test will be skipped"
      return
    fi
  else
    echo "    no $CHROMIUM and no apt-get here: the browser test will be skipped"
    return
  fi
  # npm ci when node_modules is missing, or older than the lock file it was installed from.
  local stamp=$NODE_MODULES/.lock.sha256
  local lock; lock=$(req_hash browser-test/package-lock.json)
  if [[ -f $stamp && $(cat "$stamp") == "$lock" ]]; then
    echo "    $NODE_MODULES has browser-test/package-lock.json"
  elif ! command -v npm >/dev/null || ! node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' 2>/dev/null; then
    echo "    the browser test needs node 20+ and npm (node: $(node --version 2>/dev/null || echo none)): playwright-core not installed"
  else
    if (cd browser-test && npm ci --no-audit --no-fund --loglevel=error); then
      echo "$lock" >"$stamp"
    else
      echo "    WARNING: npm ci failed in browser-test/: the browser test will fail"
    fi
  fi
}

# Prints the path of the evcxr_jupyter the venv's "rust" kernel runs, or nothing.
kernel_binary() {
  $PY - <<'EOF' 2>/dev/null || true
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(KernelSpecManager().get_kernel_spec("rust").argv[0])
except NoSuchKernel:
    pass
EOF
}

kernel() {
  local bin; bin=$(kernel_binary)
  if [[ -n $bin && $bin -ef $(command -v evcxr_jupyter) ]]; then
    echo "    kernel \"rust\" runs $bin"
    return
  fi
  evcxr_jupyter --install
  if [[ -z $(kernel_binary) ]]; then
    # The user's Jupyter data folder is not on this venv's path: put the kernel in the venv.
    JUPYTER_PATH="$PWD/$VENV/share/jupyter" evcxr_jupyter --install
  fi
  [[ -n $(kernel_binary) ]] || { echo "the venv's Jupyter cannot find the rust kernel" >&2; exit 1; }
}

warm() {
  # The lessons' kernels run cargo offline (notebooks/evcxr.toml): download every crate of the
  # workspace's Cargo.lock first, so they resolve from cargo's cache (0.1 s when it has them all).
  cargo fetch --locked --quiet
  $PY scripts/run_notebooks.py --warm
}

total=$(now)
# The browser tools and the venv (downloads and unpacking, mostly waiting on network and disk)
# are set up in the background while evcxr_jupyter compiles, which keeps both cores busy for
# about ten minutes on a fresh machine. Their output is shown when the build is done.
background_log=$(mktemp)
(step "browser test tools (chromium, playwright-core)" browser_tools &&
  step "python venv ($VENV)" venv) >"$background_log" 2>&1 &
background=$!
step "rust-src component" rust_src
step "evcxr_jupyter $EVCXR_VERSION" evcxr
background_status=0
wait "$background" || background_status=$?
cat "$background_log"
rm -f "$background_log"
[[ $background_status == 0 ]] || exit "$background_status"
step "jupyter kernel \"rust\"" kernel
step "evcxr dependency cache" warm
echo "setup done in $(since "$total")"
