#!/usr/bin/env bash
# Evaluation and benchmark of the language stage (stages/language/README.md).
# Builds the tools and the n-gram models in BUILD_DIR (default: build), then prints accuracy on
# the held-out (odd) lines of ../shared/data/langid, the seeds' verdicts, and single-core
# throughput on news-length text. Extra arguments go to newsflow-eval-language.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$root/build"}
shared=${SHARED_DIR:-"$root/../shared"}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja
fi
ninja -C "$build" -j2 newsflow-eval-language newsflow-bench-language language_models
"$build/tools/language/newsflow-eval-language" --shared "$shared" "$@"
echo
"$build/tools/language/newsflow-bench-language" --shared "$shared"
