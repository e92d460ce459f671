# Timing helpers shared by setup.sh, test.sh and hub/hub.sh (sourced from the repository root).
now() { local t=${EPOCHREALTIME:-$(date +%s)}; echo "${t/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
# step NAME FUNCTION: run FUNCTION, then print how long it took.
step() {
  local start; start=$(now)
  echo "==> $1"
  "$2"
  echo "    $1: $(since "$start")"
}
