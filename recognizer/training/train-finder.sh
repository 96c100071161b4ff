#!/usr/bin/env bash
# Retrains the plate finder from scratch and writes recognizer/models/plate-finder.onnx and its
# manifest entry. One command, fixed seeds; see README.md beside this file.
#   recognizer/training/train-finder.sh
# Environment (all optional): as common.sh, and
#   PLATE_FINDER_DEV   labelled street photos (default: ../shared/datasets/openalpr-us-dev); only the
#                      training half (ops/bench/holdout.ts) is read
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DEV="${PLATE_FINDER_DEV:-$ROOT/../shared/datasets/openalpr-us-dev}"

if ! ls "$DEV"/*.txt >/dev/null 2>&1; then
  echo "train-finder.sh: no labelled street photos at $DEV; set PLATE_FINDER_DEV" >&2
  exit 1
fi
# Nature photos (no plates) from Debian's wallpaper packages (apt-packages.txt): every MATE
# nature JPEG, and each Plasma wallpaper's 1920x1080 image where it has one.
PHOTOS=()
for f in /usr/share/backgrounds/mate/nature/*.jpg /usr/share/wallpapers/*/contents/images/1920x1080.*; do
  [ -f "$f" ] && PHOTOS+=("$f")
done
if [ "${#PHOTOS[@]}" -lt 10 ]; then
  echo "train-finder.sh: too few nature photos (${#PHOTOS[@]}); install: apt-get install -y \$(cat $HERE/apt-packages.txt)" >&2
  exit 1
fi
cd "$ROOT"

# Frames of the product's synthetic camera, shrunk to the finder's scale (1920 -> 640).
if [ ! -f "$CACHE/finder-frames/quads.csv" ]; then
  node "$HERE/dump-synthetic-frames.js" --out "$CACHE/finder-frames" --frames 1200 --scale 0.3333333
fi

"$PY" "$HERE/train_finder.py" --cache "$CACHE" --crops "$CROPS" --dev "$DEV" --frames "$CACHE/finder-frames" \
  --photos "${PHOTOS[@]}" --out-dir "$MODELS" --threads "$THREADS"
node "$HERE/update-manifest.js" --finder --manifest "$MODELS/manifest.json" --report "$CACHE/finder-report.json"
node -e "require('$ROOT/dist/recognizer/onnx-session.js').loadModel('plateFinder', { threads: 1 })
  .then((m) => console.log('train-finder.sh: loadModel(plateFinder) ok:', m.session.inputNames, m.session.outputNames))
  .catch((e) => { console.error('train-finder.sh: loadModel(plateFinder) failed:', e.message); process.exit(1); })"
