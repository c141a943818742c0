#!/usr/bin/env bash
# prometheus-e2e: checks the dashboard and the alert rules against a real Prometheus scraping a
# running newsflowd.
#
#   scripts/prometheus-e2e.sh HOST:PORT
#
# HOST:PORT is newsflowd's admin address (admin.listen/admin.port). Run it after articles have
# flowed through the daemon. It
#   1. checks /healthz, /readyz and a /metrics scrape (`promtool check metrics`);
#   2. starts Prometheus (Debian package `prometheus`) on 127.0.0.1 with a temporary config made
#      from ops/prometheus/prometheus-ci.yml, scraping the daemon and loading
#      ops/prometheus/alerts.yaml, and waits for a few scrapes;
#   3. runs every dashboard query and every alert expression through /api/v1/query
#      (ops/ci/prom_e2e.py) and fails on any query error, unhealthy rule, or empty result not
#      listed with a reason in ops/grafana/e2e-expected-empty.txt.
#
# Environment: PROMETHEUS (default: prometheus on PATH), PROMTOOL (default: promtool),
# E2E_SCRAPE_INTERVAL (default 1s), E2E_MIN_SCRAPES (default 5), E2E_KEEP=1 keeps the temp dir.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi
TARGET=$1
PROMETHEUS=${PROMETHEUS:-prometheus}
PROMTOOL=${PROMTOOL:-promtool}
INTERVAL=${E2E_SCRAPE_INTERVAL:-1s}
MIN_SCRAPES=${E2E_MIN_SCRAPES:-5}

for tool in "$PROMETHEUS" "$PROMTOOL" python3; do
  command -v "$tool" >/dev/null || { echo "prometheus-e2e: $tool not found (apt-get install prometheus)" >&2; exit 1; }
done

WORK=$(mktemp -d -t newsflow-prom-e2e.XXXXXX)
PROM_PID=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n $PROM_PID ]]; then
    kill "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
  fi
  if [[ ${E2E_KEEP:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fetch() {  # fetch URL -> prints "STATUS" on the first line, then the body
  python3 - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
        status, body = r.status, r.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
except OSError as e:
    print(f"000\n{e}")
    sys.exit(0)
sys.stdout.write(f"{status}\n")
sys.stdout.buffer.write(body)
EOF
}

echo "== newsflowd admin endpoints on $TARGET"
for path in /healthz /readyz; do
  status=$(fetch "http://$TARGET$path" | sed -n 1p)
  echo "  $path -> $status"
  [[ $status == 200 ]] || { echo "prometheus-e2e: $path answered $status, expected 200" >&2; exit 1; }
done
fetch "http://$TARGET/metrics" > "$WORK/scrape.raw"
[[ $(head -n1 "$WORK/scrape.raw") == 200 ]] || { echo "prometheus-e2e: /metrics failed" >&2; exit 1; }
tail -n +2 "$WORK/scrape.raw" > "$WORK/scrape.txt"
echo "  /metrics -> 200, $(grep -c '^newsflow_' "$WORK/scrape.txt" || true) newsflow_ samples"
echo "== promtool check metrics"
"$PROMTOOL" check metrics < "$WORK/scrape.txt"
echo "  ok"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@SCRAPE_INTERVAL@|$INTERVAL|g" \
    -e "s|@RULES_FILE@|$ROOT/ops/prometheus/alerts.yaml|g" \
    -e "s|@TARGET@|$TARGET|g" \
    "$ROOT/ops/prometheus/prometheus-ci.yml" > "$WORK/prometheus.yml"
"$PROMTOOL" check config "$WORK/prometheus.yml" >/dev/null

echo "== Prometheus on 127.0.0.1:$PORT (scrape every $INTERVAL)"
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PORT" --log.level=warn > "$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

ready=0
for _ in $(seq 1 60); do
  if [[ $(fetch "http://127.0.0.1:$PORT/-/ready" | sed -n 1p) == 200 ]]; then ready=1; break; fi
  kill -0 "$PROM_PID" 2>/dev/null || break
  sleep 0.5
done
if [[ $ready != 1 ]]; then
  echo "prometheus-e2e: Prometheus did not become ready; its log:" >&2
  cat "$WORK/prometheus.log" >&2
  exit 1
fi

echo "== dashboard queries and alert expressions"
status=0
python3 "$ROOT/ops/ci/prom_e2e.py" --prometheus "http://127.0.0.1:$PORT" \
  --dashboard "$ROOT/ops/grafana/newsflow-dashboard.json" \
  --allow "$ROOT/ops/grafana/e2e-expected-empty.txt" \
  --min-scrapes "$MIN_SCRAPES" || status=$?
if [[ $status != 0 ]]; then
  echo >&2
  echo "== Prometheus log" >&2
  tail -n 20 "$WORK/prometheus.log" >&2
fi
exit $status
