#!/usr/bin/env bash
# Dedup quality: builds the labelled set from ../shared and prints seed verdicts and pair-level
# precision/recall. Usage: scripts/eval-dedup.sh [--shared DIR] [--options YAML]
# Environment: BUILD_DIR (default: build), SHARED_DIR (default: <repo>/../shared).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
shared="${SHARED_DIR:-$repo/../shared}"
options="{}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --shared) shared="$2"; shift 2 ;;
    --options) options="$2"; shift 2 ;;
    *) echo "usage: $0 [--shared DIR] [--options YAML]" >&2; exit 2 ;;
  esac
done
[[ -f "$build/build.ninja" ]] || cmake -S "$repo" -B "$build" -G Ninja >/dev/null
ninja -C "$build" -j2 dedup-eval >/dev/null
mkdir -p "$build/dedup"
python3 "$repo/tools/dedup/build_labelled_set.py" --shared "$shared" \
  --out "$build/dedup/labelled.jsonl"
exec "$build/tools/dedup/dedup-eval" --shared "$shared" --labelled "$build/dedup/labelled.jsonl" \
  --options "$options"
