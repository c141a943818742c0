#!/usr/bin/env bash
# Entity evaluation: newsflow's tagger on wikigold (per type and micro-averaged P/R/F1) and the
# seed-article check, then spaCy's small English model on the same wikigold tokens.
# Usage: scripts/eval-ner.sh [BUILD_DIR]   (default: build)
# The spaCy baseline needs the venv made by scripts/ner-train.sh (.venv-ner); it is skipped with
# a note when the venv is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SHARED="${NEWSFLOW_SHARED_DIR:-$ROOT/../shared}"
ninja -C "$BUILD" -j2 newsflow-ner >/dev/null
"$BUILD/tools/entities/newsflow-ner" eval --shared "$SHARED" --model-dir "$ROOT/models/entities"
echo
if [ -x "$ROOT/.venv-ner/bin/python" ]; then
  "$ROOT/.venv-ner/bin/python" "$ROOT/scripts/ner_spacy_baseline.py" --shared "$SHARED"
else
  echo "spaCy baseline skipped: run scripts/ner-train.sh once to create .venv-ner"
fi
