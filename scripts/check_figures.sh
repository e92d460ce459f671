#!/usr/bin/env bash
# The pictures in img/ must be exactly what `make figures` draws today: regenerate them twice
# into scratch folders; fail if the two runs differ (drawing is not deterministic) or if they
# differ from the committed files (img/ is stale: run `make figures` and commit).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=target/figures-check
rm -rf "$scratch" && mkdir -p "$scratch"
for run in a b; do
  cargo run --release --quiet --features plot --example figures -- "$scratch/$run" >/dev/null
done
status=0
if ! diff -rq "$scratch/a" "$scratch/b"; then
  echo "figures: two runs drew different bytes: drawing is not deterministic"
  status=1
fi
for file in "$scratch"/a/*.png; do
  name=$(basename "$file")
  if [[ ! -f img/$name ]]; then
    echo "figures: img/$name is missing (run make figures)"; status=1
  elif ! cmp -s "$file" "img/$name"; then
    echo "figures: img/$name is stale (run make figures)"; status=1
  fi
done
for file in img/*.png; do
  # A screenshot, not a drawing (not deterministic): scripts/browser_test.py --screenshot writes it.
  [[ $(basename "$file") == jupyterlab_lesson02.png ]] && continue
  [[ -f $scratch/a/$(basename "$file") ]] || { echo "figures: $file is not drawn by make figures"; status=1; }
done
[[ $status == 0 ]] && echo "figures: $(ls "$scratch/a" | wc -l) pictures, deterministic and identical to img/"
exit $status
