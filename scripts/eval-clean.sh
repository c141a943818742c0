#!/usr/bin/env bash
# Builds and runs the clean stage's evaluation (ROUGE-LSum on the Fundus pages, scorer check,
# seed expectations) and its benchmark.
#   scripts/eval-clean.sh [BUILD_DIR]   (default build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja
ninja -C "$build" -j2 newsflow-eval-clean newsflow-bench-clean
"$build/tools/clean/newsflow-eval-clean" --shared "$root/../shared"
"$build/tools/clean/newsflow-bench-clean" --shared "$root/../shared"
