#!/usr/bin/env bash
# scripts/bench-passthrough.sh: the ceiling. The daemon with no stages, through a real Kafka
# broker on this machine, for 4 KB and 64 KB records. Prints a line and a JSON object per run.
#
#   scripts/bench-passthrough.sh [--records-4k N] [--records-64k N]
# Uses NEWSFLOW_TEST_KAFKA when set, else starts (and afterwards stops) scripts/kafka.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N4=40000
N64=8000
while [ $# -gt 0 ]; do
  case "$1" in
    --records-4k) N4="$2"; shift 2 ;;
    --records-64k) N64="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
scripts/setup.sh >/dev/null
PORT="${NEWSFLOW_TEST_KAFKA_PORT:-19092}"
started=0
trap '[ "$started" = 1 ] && scripts/kafka.sh stop --port "$PORT" --wipe >/dev/null 2>&1 || true' EXIT
if [ -z "${NEWSFLOW_TEST_KAFKA:-}" ]; then
  NEWSFLOW_TEST_KAFKA=$(scripts/kafka.sh start --port "$PORT" | sed -n 's/^KAFKA_BOOTSTRAP=//p')
  started=1
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
build/tools/bench/newsflow-bench --brokers "$NEWSFLOW_TEST_KAFKA" --records "$N4" --size 4096 \
  --label passthrough-4k
build/tools/bench/newsflow-bench --brokers "$NEWSFLOW_TEST_KAFKA" --records "$N64" --size 65536 \
  --label passthrough-64k
