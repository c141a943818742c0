#!/usr/bin/env bash
# scripts/fuzz.sh: builds newsflow's libFuzzer targets (clang, -fsanitize=fuzzer,address,
# undefined) into build-fuzz/ and runs each for N seconds.
#
#   scripts/fuzz.sh                    30 s per target (the CI run)
#   scripts/fuzz.sh --seconds 3600     the long run (docs/hardening.md); --jobs J runs J
#                                      fuzzing processes per target
#   scripts/fuzz.sh --target record    one target (record, config, stages, clean)
#   scripts/fuzz.sh --build-dir DIR    build there (default build-fuzz; scripts/sanitize.sh's
#                                      build-asan is configured the same way, so CI reuses it)
#
# Corpora live in build-fuzz/corpus/<target> and grow across runs. They are seeded at run time
# from the committed seeds (fuzz/<target>/seeds), saved findings
# (tests/faults/testdata/fuzz/<target>), examples/articles.jsonl, config/*.yaml, the test
# fixtures and ../shared (seed articles, news pages, language samples), which is only read,
# never copied into the repository. A finding (crash, leak, timeout, OOM) is written to
# build-fuzz/findings/<target>/ and makes the script exit 1: minimise it, copy it to
# tests/faults/testdata/fuzz/<target>/ (fuzz_regression_test replays it), fix the cause.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

SECONDS_PER_TARGET=30
JOBS=1
TARGETS=(record config stages clean)
SHARED="${NEWSFLOW_SHARED_DIR:-$ROOT/../shared}"
BUILD="${NEWSFLOW_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --target) TARGETS=("$2"); shift 2 ;;
    --shared) SHARED="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

scripts/setup.sh --sanitizer-deps
CC_BIN=$(command -v clang-14 || command -v clang)
CXX_BIN=$(command -v clang++-14 || command -v clang++)
start=$(date +%s)
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DNEWSFLOW_FUZZ=ON -DNEWSFLOW_SANITIZE=address,undefined \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
ninja -C "$BUILD" -j "${NEWSFLOW_JOBS:-2}" $(printf 'fuzz_%s ' "${TARGETS[@]}")
echo "fuzz: built in $(( $(date +%s) - start )) s" >&2

# Seeds. Each input's first byte selects the target's mode (fuzz/targets.h).
python3 - "$ROOT" "$SHARED" "$BUILD/corpus" <<'PY'
import glob, gzip, hashlib, json, os, shutil, sys
root, shared, out = sys.argv[1:4]
def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data[:65536])
def both(data_json, data_raw, html):
    for t in ("record", "stages"):
        if data_json is not None: put(t, b"\x00" + data_json)
        if data_raw is not None: put(t, (b"\x05" if html else b"\x03") + data_raw)
for t in ("record", "config", "stages"):
    for d in (os.path.join(root, "fuzz", t, "seeds"),
              os.path.join(root, "tests", "faults", "testdata", "fuzz", t)):
        for p in glob.glob(os.path.join(d, "*")):
            put(t, open(p, "rb").read())
for p in glob.glob(os.path.join(root, "fuzz", "clean", "corpus", "*")) + \
         glob.glob(os.path.join(root, "tests", "faults", "testdata", "fuzz", "clean", "*")):
    put("clean", open(p, "rb").read())
for line in open(os.path.join(root, "examples", "articles.jsonl"), "rb"):
    if line.strip(): both(line.rstrip(b"\n"), None, False)
for p in glob.glob(os.path.join(root, "config", "*.yaml")) + glob.glob(os.path.join(root, "helm", "**", "*.yaml"), recursive=True)[:10]:
    text = open(p, "rb").read()
    put("config", b"\x00" + text)
    put("config", b"\x03" + text)
for p in glob.glob(os.path.join(root, "tests", "testdata", "**", "*"), recursive=True):
    if os.path.isfile(p) and os.path.getsize(p) < 65536:
        text = open(p, "rb").read()
        both(json.dumps({"id": os.path.basename(p), "text": text.decode("utf-8", "replace")}).encode(), text, False)
if os.path.isdir(shared):
    for p in sorted(glob.glob(os.path.join(shared, "seeds", "*.txt"))):
        text = open(p, "rb").read()
        both(json.dumps({"id": os.path.basename(p), "text": text.decode("utf-8", "replace")}).encode(), text, False)
        put("clean", b"\x00" + text)
    for p in sorted(glob.glob(os.path.join(shared, "data", "cleaning", "fundus", "html", "*.html.gz")))[:8]:
        html = gzip.open(p).read()[:60000]
        both(json.dumps({"id": os.path.basename(p), "url": "https://example.test/a", "html": html.decode("utf-8", "replace")}).encode(), html, True)
        put("clean", b"\x01" + html)
    for p in sorted(glob.glob(os.path.join(shared, "data", "langid", "sentences", "*.txt")))[:20]:
        with open(p, "rb") as f:
            line = f.readline().strip()
        both(json.dumps({"text": line.decode("utf-8", "replace"), "title": os.path.basename(p)}).encode(), line, False)
else:
    print(f"fuzz: {shared} not found; seeding from the repository only", file=sys.stderr)
PY

status=0
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$BUILD/corpus/$t"
  findings="$BUILD/findings/$t"
  mkdir -p "$corpus" "$findings"
  dict=$(ls "$ROOT"/fuzz/"$t"/*.dict 2>/dev/null | head -1 || true)
  log="$BUILD/fuzz-$t.log"
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s ($(ls "$corpus" | wc -l) inputs in the corpus)" >&2
  jobs=()
  if [ "$JOBS" -gt 1 ]; then jobs=(-jobs="$JOBS" -workers="$JOBS"); fi
  rm -f "$BUILD"/fuzz-[0-9]*.log
  set +e
  # From the build directory: with -jobs, libFuzzer writes fuzz-<n>.log into the working dir.
  cd "$BUILD"
  NEWSFLOW_SHARED_DIR="$SHARED" \
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allocator_may_return_null=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    "$BUILD/fuzz/fuzz_$t" "$corpus" ${dict:+-dict="$dict"} \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      "${jobs[@]}" -artifact_prefix="$findings/" -print_final_stats=1 \
      >"$log" 2>&1
  rc=$?
  cd "$ROOT"
  set -e
  if [ "$JOBS" -gt 1 ]; then cat "$BUILD"/fuzz-[0-9]*.log >>"$log" 2>/dev/null || true; fi
  execs=$(grep -h 'stat::number_of_executed_units' "$log" "$BUILD"/fuzz-[0-9]*.log 2>/dev/null \
          | awk '{s += $2} END {print s + 0}' || true)
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | awk '{print $2}')
  found=$(ls "$findings" | wc -l)
  summary+=("$(printf '%-8s exit %-3s runs %-10s cov %-6s corpus %-6s findings %s' "$t" "$rc" "${execs:-?}" "${cov:-?}" "$(ls "$corpus" | wc -l)" "$found")")
  if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
    status=1
    echo "fuzz: $t FAILED (exit $rc); findings in $findings; log $log" >&2
    grep -m5 -A15 'ERROR: \|fuzz invariant\|runtime error' "$log" >&2 || tail -30 "$log" >&2
  fi
done
echo
printf '%s\n' "${summary[@]}"
echo "fuzz: total $(( $(date +%s) - start )) s"
exit $status
