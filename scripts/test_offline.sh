#!/usr/bin/env bash
# A lesson on a machine set up from nothing, with every network access refused.
#
#   bash scripts/test_offline.sh [NOTEBOOK]      (default: notebooks/02_autograd.ipynb)
#
# 1. With network: an empty, throwaway cargo cache (CARGO_HOME) is filled by set-up's own fetch
#    step (scripts/setup.sh --fetch-only runs the same function as a full set-up), and nothing else.
# 2. Without network: set-up's warm-up compiles the lessons' dependencies from that cache into a
#    throwaway shared build folder (scripts/run_notebooks.py --warm), then the lesson runs in the
#    real kernel, seeded from it, and must match its committed outputs.
# "Without network": a network namespace of its own with only the loopback interface (unshare -n;
# as root), where this can make one, and in any case cargo offline (CARGO_NET_OFFLINE=true, which
# evcxr's rust-analyzer also passes on to its `cargo metadata`) and HTTP(S) proxies set to a
# closed port. So a crate that set-up fails to fetch fails the lesson: without the standard
# library's crates, lesson 02 fails at cell 5 (`let y_hat = &w * &x;`) with "type alias takes 1
# generic argument but 2 generic arguments were supplied".
# Set-up (scripts/setup.sh) must have run: this uses its venv, kernel and toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
notebook=${1:-notebooks/02_autograd.ipynb}

now() { local t=${EPOCHREALTIME:-$(date +%s)}; echo "${t/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

scratch=$(mktemp -d)
# Below notebooks/, like the real one, so notebooks/.cargo/config.toml applies to it.
shared=$(mktemp -d notebooks/.evcxr-offline-test.XXXXXX)
trap 'rm -rf "$scratch" "$shared"' EXIT
export CARGO_HOME=$scratch/cargo
export EVCXR_SHARED_BUILD=$PWD/$shared

start=$(now)
echo "==> set-up's fetch step, into an empty CARGO_HOME"
bash scripts/setup.sh --fetch-only
echo "    $(du -sh "$CARGO_HOME" | cut -f1) in CARGO_HOME, in $(since "$start")"

export CARGO_NET_OFFLINE=true
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9
export HTTP_PROXY=$http_proxy HTTPS_PROXY=$https_proxy ALL_PROXY=$all_proxy
offline=(bash -c "$(printf '%q ' .venv/bin/python scripts/run_notebooks.py --warm) &&
  $(printf '%q ' .venv/bin/python scripts/run_notebooks.py --check --times "$scratch/times.json" "$notebook")")
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null &&
  unshare -n true 2>/dev/null; then
  echo "==> without network (a network namespace with loopback only, cargo offline, proxies refused)"
  unshare -n bash -c 'ip link set lo up && exec "$@"' _ "${offline[@]}"
else
  echo "==> without network (cargo offline, proxies refused; no network namespace: needs root, unshare and ip)"
  "${offline[@]}"
fi
echo "offline test done in $(since "$start")"
