#!/usr/bin/env bash
# Retrains the plate OCR model from scratch and writes recognizer/models/plate-ocr.onnx, its
# charset and its manifest entry. One command, fixed seeds; see README.md beside this file.
#   recognizer/training/train.sh
# Environment (all optional):
#   PLATE_OCR_CROPS    labelled plate crops (default: ../shared/datasets/openalpr-us-crops)
#   PLATE_OCR_CACHE    generated data and checkpoints, outside the repo
#                      (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sightline-plate-ocr)
#   PLATE_OCR_THREADS  PyTorch threads (default 2)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CROPS="${PLATE_OCR_CROPS:-$ROOT/../shared/datasets/openalpr-us-crops}"
CACHE="${PLATE_OCR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sightline-plate-ocr}"
THREADS="${PLATE_OCR_THREADS:-2}"
MODELS="$ROOT/recognizer/models"
# Debian's interpreter: the one that sees python3-torch (another python3 may come first on PATH).
PY=/usr/bin/python3

if ! "$PY" -c 'import torch, cv2, PIL, numpy' 2>/dev/null; then
  echo "train.sh: $PY lacks torch/cv2/PIL/numpy; install: apt-get install -y \$(cat $HERE/apt-packages.txt)" >&2
  exit 1
fi
if [ ! -f "$CROPS/groundtruth.csv" ]; then
  echo "train.sh: no labelled crops at $CROPS (groundtruth.csv missing); set PLATE_OCR_CROPS" >&2
  exit 1
fi
mkdir -p "$CACHE"

cd "$ROOT"
# The real lines are cut by the product's own detector code, so build it first. Other folders'
# compile errors do not stop tsc from emitting the recognizer; extract-real-lines.js checks that.
npx tsc -p tsconfig.json >/dev/null 2>&1 || echo "train.sh: tsc reported errors elsewhere in the tree; using what it emitted" >&2

if [ ! -f "$CACHE/real-lines/lines.csv" ]; then
  node "$HERE/extract-real-lines.js" --crops "$CROPS" --out "$CACHE/real-lines"
fi

# OpenMP threads that spin while other processes hold the cores make a step several times slower.
export OMP_WAIT_POLICY=PASSIVE
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
"$PY" "$HERE/train.py" --cache "$CACHE" --real "$CACHE/real-lines" --crops "$CROPS" \
  --out-dir "$MODELS" --threads "$THREADS"

node "$HERE/check-onnx.js" --model "$MODELS/plate-ocr.onnx" --charset "$MODELS/plate-ocr.charset.txt" \
  --real "$CACHE/real-lines" --out "$CACHE/check-onnx.json"
node "$HERE/update-manifest.js" --manifest "$MODELS/manifest.json" --report "$CACHE/train-report.json" \
  --check "$CACHE/check-onnx.json" --real "$CACHE/real-lines"
# The product's own loader must accept the new entry (checksums, input shape).
node -e "require('$ROOT/dist/recognizer/onnx-session.js').loadModel('plateOcr', { threads: 1 })
  .then((m) => console.log('train.sh: loadModel(plateOcr) ok:', m.session.inputNames, m.session.outputNames))
  .catch((e) => { console.error('train.sh: loadModel(plateOcr) failed:', e.message); process.exit(1); })"
# Plate-level comparison with PP-OCR's recognizer on all held-out crops (report only).
node "$HERE/eval-heldout-crops.js" --model "$MODELS/plate-ocr.onnx" --crops "$CROPS" --out "$CACHE/eval-heldout-crops.json"
