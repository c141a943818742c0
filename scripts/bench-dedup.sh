#!/usr/bin/env bash
# Dedup speed and memory: signature + lookup + verification + RocksDB write per article with
# 1 million already indexed, then the in-memory index at 10 million articles.
# Usage: scripts/bench-dedup.sh [--preload N] [--measure M] [--index-only N]
# Environment: BUILD_DIR (default: build).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
preload=1000000
measure=20000
index_only=10000000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preload) preload="$2"; shift 2 ;;
    --measure) measure="$2"; shift 2 ;;
    --index-only) index_only="$2"; shift 2 ;;
    *) echo "usage: $0 [--preload N] [--measure M] [--index-only N]" >&2; exit 2 ;;
  esac
done
[[ -f "$build/build.ninja" ]] || cmake -S "$repo" -B "$build" -G Ninja >/dev/null
ninja -C "$build" -j2 dedup-bench >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
"$build/tools/dedup/dedup-bench" --preload "$preload" --measure "$measure"
"$build/tools/dedup/dedup-bench" --index-only "$index_only"
