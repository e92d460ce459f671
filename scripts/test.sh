#!/usr/bin/env bash
# The single test command (`make test`, and CI through .ci/run): set-up, formatting, lints,
# the Rust tests (unit, property, doc, PyTorch reference traces), then every notebook run with the
# real evcxr kernel, compared with its committed outputs and with PyTorch's numbers, then four and
# two of them at once, then lesson 02 without network from a cargo cache only set-up filled, then the
# lesson examples against the notebooks, the README's figures against a fresh drawing, a
# self-test of that notebook harness, the classroom kit (student copies without solutions, run
# by the kernel), the class server (a JupyterHub with two students at once, as root), and, where
# Chromium is installed, lesson 02 run in JupyterLab in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

source scripts/timing.sh  # now, since, step

summary=()
current=""
report() {
  local status=$?
  [[ -n $current ]] && summary+=("$(printf '%-10s FAILED after %s' "$current" "$(since "$phase_start")")")
  echo
  echo "==> phase times"
  printf '    %s\n' "${summary[@]}"
  echo "    total      $(since "$total")"
  exit "$status"
}
trap report EXIT

# phase NAME COMMAND...: run one phase and record its time.
phase() {
  current=$1; shift
  echo
  echo "==> $current: $*"
  phase_start=$(now)
  "$@"
  summary+=("$(printf '%-10s %s' "$current" "$(since "$phase_start")")")
  current=""
}

total=$(now)
phase setup     bash scripts/setup.sh
phase fmt       cargo fmt --all -- --check
phase clippy    cargo clippy --all-targets --all-features -- -D warnings
phase test      cargo test --workspace --all-features
phase notebooks .venv/bin/python scripts/run_notebooks.py --check
# Kernels at once (each in its own build folder): four lessons, then two, with their committed
# outputs, and no slower than the same lessons one after another in the phase above.
phase parallel  .venv/bin/python scripts/run_notebooks.py --check --parallel 4 \
  --baseline target/notebook-times.json --times target/notebook-times-parallel4.json \
  notebooks/0[1-4]_*.ipynb
phase parallel2 .venv/bin/python scripts/run_notebooks.py --check --parallel 2 \
  --baseline target/notebook-times.json --times target/notebook-times-parallel2.json \
  notebooks/0[56]_*.ipynb
# Lesson 02 with no network, from a cargo cache that only set-up's fetch step filled.
phase offline   bash scripts/test_offline.sh
phase examples  .venv/bin/python scripts/check_examples.py
phase figures   bash scripts/check_figures.sh
phase harness   .venv/bin/python scripts/test_harness.py
phase kit       .venv/bin/python scripts/test_kit.py
# The lessons with answers files graded by nbgrader in the kernel: solution, wrong answers, blank.
phase grade     .venv/bin/python scripts/test_grade.py

# The class server: a JupyterHub of its own (hub/hub.sh) with 2 new students running lesson 02
# at the same moment, then README "Assignments on the hub" (a teacher releases lesson 02, two
# students fetch and submit it, the teacher collects and autogrades); the hub, its accounts and
# their processes are gone afterwards.
if [[ $(id -u) == 0 ]]; then
  phase hub bash scripts/test_hub.sh
else
  echo
  echo "==> hub: skipped: it makes system accounts, so it needs root"
  summary+=("$(printf '%-10s skipped (not root)' hub)")
fi
# Lesson 02 in JupyterLab in headless Chromium, plus the self-test that it fails when it must.
if [[ -x /usr/bin/chromium ]]; then
  phase browser .venv/bin/python scripts/browser_test.py --self-test
else
  echo
  echo "==> browser: skipped: no /usr/bin/chromium (scripts/setup.sh installs it on Debian as root)"
  summary+=("$(printf '%-10s skipped (no /usr/bin/chromium)' browser)")
fi
