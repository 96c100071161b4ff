#!/usr/bin/env bash
# Retrains a plate OCR model from scratch and writes it to recognizer/models with its charset and
# manifest entry. One command, fixed seeds; see README.md beside this file.
#   recognizer/training/train.sh             plate-ocr.onnx, entry "plateOcr" (seed 20240611)
#   recognizer/training/train.sh --seed 7    plate-ocr-seed7.onnx, entry "plateOcrSeed7": the same
#                                            recipe from another seed (synthetic data, augmentation,
#                                            initial weights), whose errors differ
#   recognizer/training/train.sh --recipe lines
#                                            plate-ocr-lines.onnx, entry "plateOcrLines": synthetic
#                                            and real text-detector lines only (no whole-plate or
#                                            street-photo views), 35% real, 7000 steps
# Environment (all optional): as common.sh, and
#   PLATE_OCR_DEV   labelled street photos (default: ../shared/datasets/openalpr-us-dev); only the
#                   training half (ops/bench/holdout.ts) is read; set it empty to train without
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DEFAULT_SEED=20240611
SEED=$DEFAULT_SEED
RECIPE=plates
USAGE="usage: train.sh [--seed N] [--recipe plates|lines]"
while [ $# -gt 0 ]; do
  case "$1" in
    --seed)
      [[ "${2-}" =~ ^[0-9]+$ ]] || { echo "train.sh: --seed needs a whole number, got '${2-}'" >&2; exit 2; }
      SEED=$2; shift 2 ;;
    --recipe)
      [[ "${2-}" =~ ^(plates|lines)$ ]] || { echo "train.sh: --recipe is plates or lines, got '${2-}'" >&2; exit 2; }
      RECIPE=$2; shift 2 ;;
    *) echo "train.sh: unknown argument '$1' ($USAGE)" >&2; exit 2 ;;
  esac
done
RECIPE_ARGS=(--recipe "$RECIPE")
if [ "$RECIPE" = lines ]; then
  [ "$SEED" = "$DEFAULT_SEED" ] || { echo "train.sh: --recipe lines trains plate-ocr-lines.onnx from the default seed only ($USAGE)" >&2; exit 2; }
  NAME=plate-ocr-lines; ENTRY=plateOcrLines
  RECIPE_ARGS+=(--plate-views-per-crop 0 --steps 7000 --real-fraction 0.35)
elif [ "$SEED" = "$DEFAULT_SEED" ]; then NAME=plate-ocr; ENTRY=plateOcr
else NAME=plate-ocr-seed$SEED; ENTRY=plateOcrSeed$SEED; fi

DEV="${PLATE_OCR_DEV-$ROOT/../shared/datasets/openalpr-us-dev}"
# The lines recipe reads no street photos.
if [ "$RECIPE" = lines ]; then DEV=""; fi
DEV_ARGS=()
if [ -n "$DEV" ]; then
  if ! ls "$DEV"/*.txt >/dev/null 2>&1; then
    echo "train.sh: no labelled street photos at $DEV; set PLATE_OCR_DEV (empty: train without them)" >&2
    exit 1
  fi
  DEV_ARGS=(--dev "$DEV")
fi
cd "$ROOT"

# Lines extracted before the selection split (split values val/train) are extracted again.
if [ -f "$CACHE/real-lines/lines.csv" ] && ! grep -q ',selection,' "$CACHE/real-lines/lines.csv"; then
  echo "train.sh: $CACHE/real-lines predates the selection split; extracting again" >&2
  rm -rf "$CACHE/real-lines"
fi
if [ ! -f "$CACHE/real-lines/lines.csv" ]; then
  node "$HERE/extract-real-lines.js" --crops "$CROPS" --out "$CACHE/real-lines"
fi

"$PY" "$HERE/train.py" --cache "$CACHE" --real "$CACHE/real-lines" --crops "$CROPS" "${DEV_ARGS[@]}" \
  --out-dir "$MODELS" --threads "$THREADS" --seed "$SEED" --name "$NAME" "${RECIPE_ARGS[@]}"

node "$HERE/check-onnx.js" --model "$MODELS/$NAME.onnx" --charset "$MODELS/plate-ocr.charset.txt" \
  --real "$CACHE/real-lines" --out "$CACHE/$NAME-check-onnx.json"
node "$HERE/update-manifest.js" --manifest "$MODELS/manifest.json" --report "$CACHE/$NAME-train-report.json" \
  --check "$CACHE/$NAME-check-onnx.json" --real "$CACHE/real-lines" --entry "$ENTRY" --file "$NAME.onnx"
# The product's own loader must accept the new entry (checksums, input shape).
node -e "require('$ROOT/dist/recognizer/onnx-session.js').loadModel('$ENTRY', { threads: 1 })
  .then((m) => console.log('train.sh: loadModel($ENTRY) ok:', m.session.inputNames, m.session.outputNames))
  .catch((e) => { console.error('train.sh: loadModel($ENTRY) failed:', e.message); process.exit(1); })"
# Plate-level comparison with PP-OCR's recognizer on all held-out crops (report only).
node "$HERE/eval-heldout-crops.js" --model "$MODELS/$NAME.onnx" --crops "$CROPS" --out "$CACHE/$NAME-eval-heldout-crops.json"
