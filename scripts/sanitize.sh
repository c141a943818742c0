#!/usr/bin/env bash
# scripts/sanitize.sh: the sanitizer part of CI.
#
#   1. build-asan/ (clang, -DNEWSFLOW_SANITIZE=address,undefined, configured like
#      scripts/fuzz.sh's tree so the fuzz targets build from it too): every unit test (ctest -L
#      unit, including the fuzz regressions), the fault table (scripts/faults.sh --short) and the
#      Kafka integration tests under AddressSanitizer + UndefinedBehaviorSanitizer +
#      LeakSanitizer, halting on the first report.
#   2. build-tsan/ (gcc, -DNEWSFLOW_SANITIZE=thread): the concurrency-heavy tests: daemon unit
#      tests, the dedup stage's concurrent-worker tests, the mock-cluster fault scenarios, and a
#      reduced Kafka integration run.
#
#   scripts/sanitize.sh               both
#   scripts/sanitize.sh --asan | --tsan   one of them
#   scripts/sanitize.sh --no-kafka    skip everything that needs the real broker
# A broker is started with scripts/kafka.sh on $NEWSFLOW_SANITIZE_KAFKA_PORT (default 29092)
# unless NEWSFLOW_TEST_KAFKA names one. Suppressions (third-party only) are in
# tests/faults/sanitizers/. Prints the wall time of each phase.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

DO_ASAN=1
DO_TSAN=1
KAFKA=1
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) DO_TSAN=0; shift ;;
    --tsan) DO_ASAN=0; shift ;;
    --no-kafka) KAFKA=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "sanitize: unknown argument $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh --sanitizer-deps
JOBS="${NEWSFLOW_JOBS:-2}"
CC_BIN=$(command -v clang-14 || command -v clang)
CXX_BIN=$(command -v clang++-14 || command -v clang++)
SUPP="$ROOT/tests/faults/sanitizers"
PORT="${NEWSFLOW_SANITIZE_KAFKA_PORT:-29092}"
started=0
cleanup() {
  if [ "$started" = 1 ]; then scripts/kafka.sh stop --port "$PORT" --wipe >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SUPP/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$SUPP/tsan.supp"

# The language models are data, not code: when the ordinary build (scripts/setup.sh) has made
# them, the sanitizer builds read those instead of training their own copies under a sanitizer.
MODELS_FLAG=()
if [ -z "${NEWSFLOW_MODELS_DIR:-}" ] && [ -f "$ROOT/build/models/language-ngrams.bin" ]; then
  export NEWSFLOW_MODELS_DIR="$ROOT/build/models"
fi
if [ -n "${NEWSFLOW_MODELS_DIR:-}" ]; then
  MODELS_FLAG=(-DNEWSFLOW_LANGUAGE_MODELS=OFF -DNEWSFLOW_LANGUAGE_MODELS_DIR="$NEWSFLOW_MODELS_DIR")
fi
# -O1 and line tables only: reports keep file:line stacks, the builds take far less time than
# with -O2 and full debug information, and the tests are dominated by waits, not by CPU.
configure() {  # DIR SANITIZERS CC CXX DEBUG_FLAG [CMAKE ARGS...]
  cmake -S "$ROOT" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$3" -DCMAKE_CXX_COMPILER="$4" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 $5 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 $5 -DNDEBUG" \
    -DNEWSFLOW_SANITIZE="$2" "${MODELS_FLAG[@]}" "${@:6}" >/dev/null
}
# The test executables carrying `label` (each ctest test is named after its target).
# Tests that run a tool (check_config_*) rather than a test binary of their own are skipped here;
# their tool is built as a dependency of the others (newsflowd).
targets_with_label() {  # DIR LABEL
  local tests phony
  tests=$(cd "$1" && ctest -N -L "$2" | sed -n 's/^ *Test *#[0-9]*: //p' |
          sed 's/^faults_kafka_test$/faults_test/' | sort -u)
  phony=$(ninja -C "$1" -t targets all | sed -n 's/^\([A-Za-z0-9_]*\): phony$/\1/p' | sort -u)
  comm -12 <(echo "$tests") <(echo "$phony")
}
kafka() {
  if [ -n "${NEWSFLOW_TEST_KAFKA:-}" ]; then return; fi
  NEWSFLOW_TEST_KAFKA=$(scripts/kafka.sh start --port "$PORT" | sed -n 's/^KAFKA_BOOTSTRAP=//p')
  export NEWSFLOW_TEST_KAFKA
  export NEWSFLOW_FAULTS_KAFKA_PORT="$PORT"
  started=1
}
phase() { echo "sanitize: $1: $(( $(date +%s) - $2 )) s" | tee -a "$TIMES" >&2; }

TIMES=$(mktemp)
total_start=$(date +%s)
status=0

if [ "$DO_ASAN" = 1 ]; then
  B="$ROOT/build-asan"
  t=$(date +%s)
  # Configured as scripts/fuzz.sh configures its tree (libFuzzer coverage on every library, the
  # fuzz targets enabled), so `scripts/fuzz.sh --build-dir build-asan` reuses this build.
  configure "$B" address,undefined "$CC_BIN" "$CXX_BIN" -gline-tables-only -DNEWSFLOW_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link"
  ninja -C "$B" -j "$JOBS" newsflowd integration_test faults_test $(targets_with_label "$B" unit)
  phase "asan build" "$t"
  t=$(date +%s)
  (cd "$B" && ctest -L unit -j "$JOBS" --output-on-failure) || status=1
  phase "asan unit tests" "$t"
  t=$(date +%s)
  # The fault table (scripts/faults.sh --short: mock-cluster, state-directory and real-broker
  # restart scenarios, 400 records each) from this build; it starts and stops its own broker.
  faults_args=(--short --build-dir "$B" --port "${NEWSFLOW_SANITIZE_FAULTS_PORT:-24092}")
  if [ "$KAFKA" = 0 ]; then faults_args+=(--no-kafka); fi
  scripts/faults.sh "${faults_args[@]}" || status=1
  phase "asan fault scenarios" "$t"
  if [ "$KAFKA" = 1 ]; then
    kafka
    t=$(date +%s)
    # The Kafka integration tests without the [slow] kill -9 case (its "killed mid-stream" count
    # depends on timing; it runs unsanitized in scripts/test.sh).
    (cd "$B" && NEWSFLOW_SOURCE_DIR="$ROOT" NEWSFLOW_SHARED_DIR="$ROOT/../shared" \
       NEWSFLOWD="$B/daemon/newsflowd" tests/integration/integration_test "[kafka]~[slow]") \
       || status=1
    phase "asan kafka integration" "$t"
  fi
fi

if [ "$DO_TSAN" = 1 ]; then
  B="$ROOT/build-tsan"
  t=$(date +%s)
  configure "$B" thread gcc g++ -g1
  ninja -C "$B" -j "$JOBS" newsflowd daemon_unit_test dedup_stage_test faults_test integration_test
  # librdkafka's C11 threads (thrd_create, mtx_*, cnd_*) are invisible to TSan: preload a shim
  # that routes them to pthreads (tests/faults/sanitizers/c11_threads_shim.c). Children
  # (newsflowd in the integration tests) inherit it.
  gcc -O2 -shared -fPIC -o "$B/c11_threads_shim.so" "$SUPP/c11_threads_shim.c" -lpthread
  export LD_PRELOAD="$B/c11_threads_shim.so"
  phase "tsan build" "$t"
  t=$(date +%s)
  (cd "$B" && ctest -R '^daemon_unit_test$' --output-on-failure) || status=1
  # The dedup stage's workers: candidate records read outside the stage's lock, decisions
  # under it.
  (cd "$B" && tests/stages/dedup/dedup_stage_test "Concurrent workers*,A copy decided*") ||
    status=1
  # The mock-cluster scenarios (the daemon's threads under every fault); the state-directory
  # ones run single-threaded child processes and are covered by the ASan phase.
  (cd "$B" && NEWSFLOW_FAULTS_RECORDS=400 NEWSFLOW_SOURCE_DIR="$ROOT" \
     NEWSFLOW_SHARED_DIR="$ROOT/../shared" NEWSFLOWD="$B/daemon/newsflowd" \
     tests/faults/faults_test "mock:*") || status=1
  phase "tsan daemon unit, dedup workers, fault scenarios" "$t"
  if [ "$KAFKA" = 1 ]; then
    kafka
    t=$(date +%s)
    # Reduced: poison records and the SIGTERM drain (the 10,000-record, kill -9 and
    # two-daemon cases run in the ASan phase).
    (cd "$B" && NEWSFLOW_SOURCE_DIR="$ROOT" NEWSFLOW_SHARED_DIR="$ROOT/../shared" \
       NEWSFLOWD="$B/daemon/newsflowd" tests/integration/integration_test \
       "Poison records*,SIGTERM drains*") || status=1
    phase "tsan kafka integration (reduced)" "$t"
  fi
fi

unset LD_PRELOAD
phase "total" "$total_start"
echo
cat "$TIMES"
rm -f "$TIMES"
[ "$status" = 0 ] && echo "sanitize: clean" || echo "sanitize: FAILED" >&2
exit $status
