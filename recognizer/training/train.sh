#!/usr/bin/env bash
# Retrains the plate OCR model from scratch and writes recognizer/models/plate-ocr.onnx, its
# charset and its manifest entry. One command, fixed seeds; see README.md beside this file.
#   recognizer/training/train.sh
# Environment (all optional): as common.sh, and
#   PLATE_OCR_DEV   labelled street photos (default: ../shared/datasets/openalpr-us-dev); only the
#                   training half (ops/bench/holdout.ts) is read; set it empty to train without
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DEV="${PLATE_OCR_DEV-$ROOT/../shared/datasets/openalpr-us-dev}"
DEV_ARGS=()
if [ -n "$DEV" ]; then
  if ! ls "$DEV"/*.txt >/dev/null 2>&1; then
    echo "train.sh: no labelled street photos at $DEV; set PLATE_OCR_DEV (empty: train without them)" >&2
    exit 1
  fi
  DEV_ARGS=(--dev "$DEV")
fi
cd "$ROOT"

if [ ! -f "$CACHE/real-lines/lines.csv" ]; then
  node "$HERE/extract-real-lines.js" --crops "$CROPS" --out "$CACHE/real-lines"
fi

"$PY" "$HERE/train.py" --cache "$CACHE" --real "$CACHE/real-lines" --crops "$CROPS" "${DEV_ARGS[@]}" \
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
