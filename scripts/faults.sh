#!/usr/bin/env bash
# scripts/faults.sh: runs the fault-injection scenarios (tests/faults/faults_test) and prints a
# table: scenario, records in, records out, dead-lettered, lost (must be 0), duplicated,
# recovery time. Mock-cluster and state-directory scenarios always; the real-broker scenario
# (restart mid-stream) against a broker it starts with scripts/kafka.sh on --port.
#
#   scripts/faults.sh                 full run (4,000 records per scenario)
#   scripts/faults.sh --short         CI run (400 records per scenario)
#   scripts/faults.sh --no-kafka      skip the real-broker scenario
#   scripts/faults.sh --build-dir D   build and run from D (default: $NEWSFLOW_BUILD_DIR or build)
#   scripts/faults.sh --port P        real broker port (default 24092; it is started, restarted
#                                     by the scenario, and stopped and wiped at the end)
# Exit status: 0 when every scenario passed and nothing was lost.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RECORDS=4000
KAFKA=1
BUILD="${NEWSFLOW_BUILD_DIR:-build}"
# Below Linux's ephemeral range (32768-60999), where an outgoing connection may hold the port
# (a broker on such a port once failed to bind: "Address already in use").
PORT="${NEWSFLOW_FAULTS_KAFKA_PORT:-24092}"
while [ $# -gt 0 ]; do
  case "$1" in
    --short) RECORDS=400; shift ;;
    --records) RECORDS="$2"; shift 2 ;;
    --no-kafka) KAFKA=0; shift ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "faults: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

[ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
ninja -C "$BUILD" -j "${NEWSFLOW_JOBS:-2}" faults_test newsflowd >&2

report=$(mktemp)
started=0
cleanup() {
  rm -f "$report"
  if [ "$started" = 1 ]; then "$ROOT/scripts/kafka.sh" stop --port "$PORT" --wipe >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

export NEWSFLOW_SOURCE_DIR="$ROOT"
export NEWSFLOW_SHARED_DIR="${NEWSFLOW_SHARED_DIR:-$ROOT/../shared}"
export NEWSFLOWD="$BUILD/daemon/newsflowd"
export NEWSFLOW_FAULTS_REPORT="$report"
export NEWSFLOW_FAULTS_RECORDS="$RECORDS"
begin=$(date +%s)
status=0
"$BUILD/tests/faults/faults_test" "[faults]" >"$BUILD/faults-mock.log" 2>&1 || status=1
if [ "$KAFKA" = 1 ]; then
  "$ROOT/scripts/kafka.sh" start --port "$PORT" >/dev/null
  started=1
  NEWSFLOW_FAULTS_KAFKA_PORT="$PORT" \
    "$BUILD/tests/faults/faults_test" "[kafka]" >"$BUILD/faults-kafka.log" 2>&1 || status=1
fi
elapsed=$(( $(date +%s) - begin ))

{
  printf 'scenario\tin\tout\tdead-lettered\tlost\tduplicated\trecovery s\tnote\n'
  cat "$report"
} | column -t -s $'\t'
lost=$(awk -F'\t' '{s += $5} END {print s + 0}' "$report")
echo
echo "faults: $(wc -l <"$report") scenarios, $RECORDS records each, lost $lost, ${elapsed} s"
if [ "$lost" != 0 ]; then status=1; fi
if [ "$status" != 0 ]; then
  echo "faults: FAILED; logs: $BUILD/faults-mock.log $BUILD/faults-kafka.log" >&2
  grep -h -B2 -A12 'FAILED\|failed with\|ERROR: ' "$BUILD"/faults-*.log 2>/dev/null | head -80 >&2 || true
fi
exit $status
