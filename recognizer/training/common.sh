# Sourced by train.sh and train-finder.sh: paths, the interpreter, and the checks both need.
# Environment (all optional):
#   PLATE_OCR_CROPS    labelled plate crops (default: ../shared/datasets/openalpr-us-crops)
#   PLATE_OCR_CACHE    generated data and checkpoints, outside the repo
#                      (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sightline-plate-ocr)
#   PLATE_OCR_THREADS  PyTorch threads (default 2)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CROPS="${PLATE_OCR_CROPS:-$ROOT/../shared/datasets/openalpr-us-crops}"
CACHE="${PLATE_OCR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sightline-plate-ocr}"
THREADS="${PLATE_OCR_THREADS:-2}"
MODELS="$ROOT/recognizer/models"
# Debian's interpreter: the one that sees python3-torch (another python3 may come first on PATH).
PY=/usr/bin/python3
SCRIPT="$(basename "$0")"

if ! "$PY" -c 'import torch, cv2, PIL, numpy' 2>/dev/null; then
  echo "$SCRIPT: $PY lacks torch/cv2/PIL/numpy; install: apt-get install -y \$(cat $HERE/apt-packages.txt)" >&2
  exit 1
fi
if [ ! -f "$CROPS/groundtruth.csv" ]; then
  echo "$SCRIPT: no labelled crops at $CROPS (groundtruth.csv missing); set PLATE_OCR_CROPS" >&2
  exit 1
fi
mkdir -p "$CACHE"

# The product's own code (detector, synthetic camera, hold-out split) is used from dist/, so
# build it first. Other folders' compile errors do not stop tsc from emitting; the scripts that
# need a file check for it.
(cd "$ROOT" && npx tsc -p tsconfig.json >/dev/null 2>&1) || echo "$SCRIPT: tsc reported errors elsewhere in the tree; using what it emitted" >&2

# OpenMP threads that spin while other processes hold the cores make a step several times slower.
export OMP_WAIT_POLICY=PASSIVE
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
