#!/usr/bin/env bash
# Everything the notebooks need, skipping what is already done:
#   rust-src, evcxr_jupyter 0.22.0, a Python venv in .venv with the pinned packages, the "rust"
#   Jupyter kernel in that venv (scripts/evcxr_kernel.py: a build folder per kernel), every crate
#   a kernel needs in cargo's cache (the lessons' crates, and the standard library's own, for
#   evcxr's type inference: then no kernel needs the network), and the lessons' dependencies
#   compiled into notebooks/.evcxr-build, which every kernel starts from.
# Needs rustup + cargo and python3 (3.11+). Installs JupyterLab and nbgrader (the grading test needs
# them; `--lab` is accepted and changes nothing).
# For the browser test (scripts/browser_test.py), where it can: Debian's chromium (apt-get, on
# Debian as root or with passwordless sudo), playwright-core from browser-test/package-lock.json
# (npm ci; needs node 20+), and then JupyterLab too. Elsewhere the browser test is skipped.
# `--fetch-only` only fills cargo's cache (CARGO_HOME): the offline test (scripts/test_offline.sh)
# runs it on an empty one, so a crate this step forgets fails that test.
# `--kernel-only` only installs rust-src and evcxr_jupyter: the class server (hub/hub.sh) copies
# them and does the rest in its own folder.
#
#   bash scripts/setup.sh [--lab | --fetch-only | --kernel-only]
set -euo pipefail
cd "$(dirname "$0")/.."

EVCXR_VERSION=0.22.0
FETCH_ONLY=0
KERNEL_ONLY=0
case "${1:-}" in
  --lab) ;; # JupyterLab is always installed now (nbgrader needs it)
  --fetch-only) FETCH_ONLY=1 ;;
  --kernel-only) KERNEL_ONLY=1 ;;
  "") ;;
  *) echo "usage: $0 [--lab | --fetch-only | --kernel-only]" >&2; exit 2 ;;
esac

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
VENV=.venv
PY=$VENV/bin/python

source scripts/timing.sh  # now, since, step

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
  # The grading test runs nbgrader, which brings JupyterLab (pinned in requirements-lab.txt):
  # the grading requirements include the lab and test ones.
  local files=(scripts/requirements-grade.txt scripts/requirements-lab.txt scripts/requirements-test.txt)
  local stamp=$VENV/.requirements-grade.sha256
  if [[ -f $stamp && $(cat "$stamp") == "$(req_hash "${files[@]}")" ]]; then
    echo "    $VENV already has ${files[0]}"
    return
  fi
  $PY -m pip install --disable-pip-version-check -q -r "${files[0]}"
  req_hash "${files[@]}" >"$stamp"
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

# The "rust" kernelspec, in the venv (it names this checkout's launcher, so it belongs to this
# checkout; the venv's Jupyter looks there before the user's folder). evcxr_jupyter --install
# writes it with its logos and CodeMirror files; kernel.json then runs scripts/evcxr_kernel.py,
# which gives each kernel its own build folder (any number of kernels at once).
KERNEL_DIR=$VENV/share/jupyter/kernels/rust
kernel_json() {
  $PY - "$(command -v evcxr_jupyter)" "$PWD/scripts/evcxr_kernel.py" <<'EOF'
import json, sys
evcxr, launcher = sys.argv[1:]
print(json.dumps({
    "argv": [sys.executable, launcher, evcxr, "--control_file", "{connection_file}"],
    "display_name": "Rust",
    "language": "rust",
    "interrupt_mode": "message",
}, indent=1))
EOF
}

# Prints the kernelspec folder the venv's Jupyter takes for "rust", or nothing.
kernel_found() {
  $PY - <<'EOF' 2>/dev/null || true
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(KernelSpecManager().get_kernel_spec("rust").resource_dir)
except NoSuchKernel:
    pass
EOF
}

kernel() {
  local want; want=$(kernel_json)
  if [[ -f $KERNEL_DIR/kernel.json && $(cat "$KERNEL_DIR/kernel.json") == "$want" ]]; then
    echo "    kernel \"rust\" runs scripts/evcxr_kernel.py with $(command -v evcxr_jupyter)"
  else
    JUPYTER_PATH="$PWD/$VENV/share/jupyter" evcxr_jupyter --install >/dev/null
    echo "$want" >"$KERNEL_DIR/kernel.json"
    echo "    wrote $KERNEL_DIR/kernel.json"
  fi
  local found; found=$(kernel_found)
  if ! [[ -n $found && $found -ef $KERNEL_DIR ]]; then
    echo "the venv's Jupyter takes the rust kernel from '${found:-nowhere}', not $KERNEL_DIR" >&2
    echo "(is JUPYTER_PATH or JUPYTER_PREFER_ENV_PATH=0 set?)" >&2
    exit 1
  fi
}

# Every crate a kernel needs, in cargo's cache, so that no kernel needs the network:
# - the crates of the workspace's Cargo.lock: the lessons' `:dep`s resolve them offline
#   (offline_mode in notebooks/evcxr.toml);
# - the crates of the standard library's own workspace (rust-src's library/Cargo.lock:
#   hashbrown, libc, rustc-demangle, ...). evcxr's built-in rust-analyzer runs `cargo metadata`
#   on it, for this machine's target only, to learn the types of the variables a cell defines;
#   without them lessons fail offline ("type alias takes 1 generic argument but 2 generic
#   arguments were supplied": lesson 02 at cell 5, scripts/test_offline.sh). The same command, restricted to the same target, fetches
#   them: 12 crates, 12 MB (all targets' would be 102 MB).
# Each is tried offline first: 0.2 s, and no network, once the cache holds them.
fetch() {
  if ! cargo fetch --locked --offline --quiet 2>/dev/null; then
    cargo fetch --locked --quiet
  fi
  local sysroot host
  sysroot=$(rustc --print sysroot)
  host=$(rustc -vV | sed -n 's/^host: //p')
  std_metadata() {
    # RUSTC_BOOTSTRAP: the standard library's manifest uses unstable cargo features.
    RUSTC_BOOTSTRAP=1 cargo metadata --locked --format-version 1 --filter-platform "$host" \
      --manifest-path "$sysroot/lib/rustlib/src/rust/library/Cargo.toml" "$@" >/dev/null
  }
  if ! std_metadata --offline 2>/dev/null; then
    std_metadata
  fi
}

warm() {
  # Compiles the lessons' `:dep` crates into notebooks/.evcxr-build (0.1 s when done).
  $PY scripts/run_notebooks.py --warm
}

if [[ $FETCH_ONLY == 1 ]]; then
  step "rust-src component" rust_src
  step "crates for the kernels (cargo's cache: ${CARGO_HOME:-$HOME/.cargo})" fetch
  exit 0
fi

if [[ $KERNEL_ONLY == 1 ]]; then
  step "rust-src component" rust_src
  step "evcxr_jupyter $EVCXR_VERSION" evcxr
  exit 0
fi

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
step "crates for the kernels (cargo's cache)" fetch
step "the lessons' dependencies, compiled" warm
echo "setup done in $(since "$total")"
