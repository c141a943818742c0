#!/usr/bin/env bash
# Builds the language stage's two n-gram models into OUT_DIR:
#   language-ngrams.bin  from the n-gram profiles of the Apache-2.0 Python package
#                        lingua-language-detector 1.3.5 (75 languages; pinned by hash), fetched
#                        with pip;
#   language-groups.bin  from the even (0-based) lines of ../shared/data/langid, used only
#                        within close-language groups; the odd lines stay unseen for evaluation.
# Usage: make-models.sh OUT_DIR TRAIN_BINARY [SHARED_DIR]
set -euo pipefail
out=${1:?usage: make-models.sh OUT_DIR TRAIN_BINARY [SHARED_DIR]}
train=${2:?usage: make-models.sh OUT_DIR TRAIN_BINARY [SHARED_DIR]}
shared=${3:-"$(cd "$(dirname "$0")/../.." && pwd)/../shared"}
version=1.3.5
sha256=7254696753c4ee8ce127190cfb985d8b4621690d355c55b278c883f5bb5e152b

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" \
  "lingua-language-detector==$version"
wheel="$tmp/lingua_language_detector-$version-py3-none-any.whl"
echo "$sha256  $wheel" | sha256sum --check --quiet -
python3 -m zipfile -e "$wheel" "$tmp/wheel"
"$train" --profiles "$tmp/wheel/lingua/language-models" --out "$out/language-ngrams.bin.tmp"
mv "$out/language-ngrams.bin.tmp" "$out/language-ngrams.bin"
"$train" --langid "$shared/data/langid" --lines 0/2 --out "$out/language-groups.bin.tmp"
mv "$out/language-groups.bin.tmp" "$out/language-groups.bin"
