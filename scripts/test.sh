#!/usr/bin/env bash
# scripts/test.sh: installs, builds and runs every test: unit tests, then integration tests
# against a real Apache Kafka broker started by scripts/kafka.sh (and stopped afterwards).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only a ctest label (unit, integration, kafka, ...)
# Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
scripts/setup.sh

PORT="${NEWSFLOW_TEST_KAFKA_PORT:-19092}"
started=0
cleanup() {
  # By absolute path: ctest runs from the build directory.
  if [ "$started" = 1 ]; then "$ROOT/scripts/kafka.sh" stop --port "$PORT" --wipe >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -z "${NEWSFLOW_TEST_KAFKA:-}" ]; then
  bootstrap=$(scripts/kafka.sh start --port "$PORT" | sed -n 's/^KAFKA_BOOTSTRAP=//p')
  started=1
  export NEWSFLOW_TEST_KAFKA="$bootstrap"
fi
echo "test: Kafka at $NEWSFLOW_TEST_KAFKA" >&2

cd "${NEWSFLOW_BUILD_DIR:-build}"
ctest --output-on-failure "$@"
