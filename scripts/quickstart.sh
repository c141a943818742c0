#!/usr/bin/env bash
# scripts/quickstart.sh: installs and builds newsflow, then runs the daemon on the embedded
# default: an in-process mock Kafka cluster, the sample articles in examples/ plus the seed
# articles in ../shared/seeds, the full stage chain, and the enriched records printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
args=(demo --input examples/articles.jsonl -o build/demo-output.jsonl)
[ -d ../shared/seeds ] && args+=(--seeds ../shared/seeds)
exec build/daemon/newsflowd "${args[@]}" "$@"
