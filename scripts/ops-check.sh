#!/usr/bin/env bash
# ops-check: static checks of the Kubernetes and monitoring assets (helm/, ops/).
#
#   scripts/ops-check.sh [NEWSFLOWD]        (or NEWSFLOWD=path scripts/ops-check.sh)
#
# Installs what it needs under ${NEWSFLOW_CACHE:-~/.cache/newsflow} (helm built from the Go
# module proxy; a venv with kubernetes-validate) and skips that on later runs. Then:
#   1. the dashboard JSON is what ops/grafana/make_dashboard.py writes, and the chart's copies of
#      the dashboard and the alert rules equal the ones under ops/;
#   2. promtool check rules + promtool test rules (every alert must have a firing test);
#   3. helm lint --strict and helm template for the default values and each helm/ci/*.yaml, plus
#      values the chart must refuse;
#   4. the rendered manifests against Kubernetes schemas, offline (ops/ci/validate_manifests.py:
#      core kinds strictly; CRDs against structural schemas, PrometheusRule through promtool);
#   5. `newsflowd check-config` on the config the chart renders (skipped, saying so, when no
#      newsflowd binary is given).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${NEWSFLOW_CACHE:-$HOME/.cache/newsflow}
HELM_VERSION=v3.19.5
# Kubernetes version helm renders for (the minor of the client-go helm 3.19 is built with).
HELM_KUBE_VERSION=1.34.0
# Schemas validated against: the chart's oldest supported version and a current one.
SCHEMA_KUBE_VERSIONS=(1.25.0 1.34.0)
KUBERNETES_VALIDATE_VERSION=1.37.0
NEWSFLOWD=${1:-${NEWSFLOWD:-}}
if [[ -n $NEWSFLOWD && $NEWSFLOWD != /* ]]; then NEWSFLOWD=$PWD/$NEWSFLOWD; fi
# Like the image (WORKDIR with models/), check-config runs from the repository root, where
# stages find their default model paths.
cd "$ROOT"
CHART=$ROOT/helm/newsflow

step() { printf '\n== %s\n' "$*"; }
die() { echo "ops-check: $*" >&2; exit 1; }

# --- tools ------------------------------------------------------------------------------------
step "tools"
if ! command -v promtool >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    apt-get install -y --no-install-recommends prometheus >/dev/null
  else
    die "promtool not found: apt-get install prometheus"
  fi
fi
echo "promtool: $(promtool --version 2>&1 | head -n1)"

HELM=$CACHE/bin/helm
if [[ ! -x $HELM ]] || [[ $("$HELM" version --template '{{.Version}}' 2>/dev/null) != "$HELM_VERSION" ]]; then
  command -v go >/dev/null || die "go is needed to build helm"
  echo "building helm $HELM_VERSION from the Go module proxy into $CACHE/bin"
  mkdir -p "$CACHE/bin"
  kmin=${HELM_KUBE_VERSION#1.}; kmin=${kmin%%.*}
  GOBIN=$CACHE/bin CGO_ENABLED=0 go install -trimpath -ldflags "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kmin \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kmin" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
echo "helm: $("$HELM" version --short)"

VENV=$CACHE/venv-ops
if [[ ! -f $VENV/.kubernetes-validate-$KUBERNETES_VALIDATE_VERSION ]]; then
  echo "creating $VENV (kubernetes-validate $KUBERNETES_VALIDATE_VERSION)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  touch "$VENV/.kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
fi
PY=$VENV/bin/python
echo "kubernetes-validate: $("$PY" -c 'import kubernetes_validate.version as v; print(v.__version__)' 2>/dev/null || echo "$KUBERNETES_VALIDATE_VERSION")"

WORK=$(mktemp -d -t newsflow-ops-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- 1. generated and copied files ------------------------------------------------------------
step "dashboard and rule copies"
python3 "$ROOT/ops/grafana/make_dashboard.py" "$WORK/dashboard.json"
cmp -s "$WORK/dashboard.json" "$ROOT/ops/grafana/newsflow-dashboard.json" ||
  die "ops/grafana/newsflow-dashboard.json is stale: run python3 ops/grafana/make_dashboard.py ops/grafana/newsflow-dashboard.json"
cmp -s "$ROOT/ops/grafana/newsflow-dashboard.json" "$CHART/files/newsflow-dashboard.json" ||
  die "helm/newsflow/files/newsflow-dashboard.json differs: cp ops/grafana/newsflow-dashboard.json helm/newsflow/files/"
cmp -s "$ROOT/ops/prometheus/alerts.yaml" "$CHART/files/alerts.yaml" ||
  die "helm/newsflow/files/alerts.yaml differs: cp ops/prometheus/alerts.yaml helm/newsflow/files/"
echo "ok: dashboard regenerated identically; chart copies equal ops/"
# Queries may use only the metrics of docs/metrics.md (histograms as _bucket/_sum/_count),
# kube-state-metrics' restart counter and `up`.
python3 - "$ROOT/docs/metrics.md" "$ROOT/ops/grafana/newsflow-dashboard.json" \
  "$ROOT/ops/prometheus/alerts.yaml" <<'EOF'
import json, re, sys
table = open(sys.argv[1], encoding="utf-8").read()
known = {"kube_pod_container_status_restarts_total"}
for name, kind in re.findall(r"^\| `(newsflow_[a-z0-9_]+)` \| (\w+) \|", table, re.M):
    known.add(name)
    if kind == "histogram":
        known.update(name + s for s in ("_bucket", "_sum", "_count"))
dash = json.load(open(sys.argv[2], encoding="utf-8"))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
exprs += re.findall(r"expr: (.*(?:\n {10}.*)*)", open(sys.argv[3], encoding="utf-8").read())
pattern = re.compile(r"\b(newsflow_[a-z0-9_]+|kube_[a-z0-9_]+)\b")
unknown = sorted({m for e in exprs for m in pattern.findall(e)} - known)
if unknown:
    sys.exit("metrics not in docs/metrics.md: " + ", ".join(unknown))
print(f"ok: {len(exprs)} expressions use only metrics of docs/metrics.md "
      f"({len(known)} names known)")
EOF

# --- 2. alert rules ----------------------------------------------------------------------------
step "promtool check rules / test rules"
promtool check rules "$ROOT/ops/prometheus/alerts.yaml"
(cd "$ROOT/ops/prometheus" && promtool test rules alerts_test.yaml)
# promtool passes when an alert has no test at all: demand a firing case for every alert.
"$PY" - "$ROOT/ops/prometheus/alerts.yaml" "$ROOT/ops/prometheus/alerts_test.yaml" <<'EOF'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
tests = yaml.safe_load(open(sys.argv[2]))
alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
firing = {c["alertname"] for t in tests["tests"] for c in t.get("alert_rule_test", []) if c.get("exp_alerts")}
missing = sorted(alerts - firing)
if missing:
    sys.exit("alerts without a firing test in alerts_test.yaml: " + ", ".join(missing))
for r in (r for g in rules["groups"] for r in g["rules"] if "alert" in r):
    for key in ("summary", "description", "runbook"):
        if not r.get("annotations", {}).get(key):
            sys.exit(f"alert {r['alert']} has no {key} annotation")
print(f"ok: {len(alerts)} alerts, each with a firing test and summary/description/runbook")
EOF

# --- 3. helm lint and template -----------------------------------------------------------------
step "helm lint --strict / helm template"
mkdir -p "$WORK/rendered"
render() {  # render NAME [VALUES_FILE]
  local name=$1 values=${2:-}
  local args=(--kube-version "$HELM_KUBE_VERSION")
  [[ -n $values ]] && args+=(-f "$values")
  "$HELM" lint --strict "${args[@]}" "$CHART" >"$WORK/lint.log" 2>&1 ||
    { cat "$WORK/lint.log"; die "helm lint failed for $name"; }
  "$HELM" template newsflow "$CHART" --namespace news "${args[@]}" >"$WORK/rendered/$name.yaml" ||
    die "helm template failed for $name"
  echo "ok: $name ($(grep -c '^kind:' "$WORK/rendered/$name.yaml") objects)"
}
render default
shopt -s nullglob
ci_files=("$ROOT"/helm/ci/*.yaml)
[[ ${#ci_files[@]} -gt 0 ]] || die "no helm/ci/*.yaml values files"
for f in "${ci_files[@]}"; do
  render "ci-$(basename "$f" .yaml)" "$f"
done

# Values the chart must refuse (schema or template guards), each for its own reason.
refuse() {  # refuse WHY EXPECTED_MESSAGE_PART HELM_ARGS...
  local why=$1 expect=$2; shift 2
  if "$HELM" template newsflow "$CHART" --kube-version "$HELM_KUBE_VERSION" "$@" >/dev/null 2>"$WORK/refuse.log"; then
    die "the chart accepted values it must refuse ($why): $*"
  fi
  grep -q -- "$expect" "$WORK/refuse.log" ||
    { cat "$WORK/refuse.log"; die "refused ($why) but without mentioning '$expect'"; }
  echo "ok: refuses $why"
}
refuse "an unknown config key" "bogus" --set config.kafka.bogus=1
refuse "a config value out of range" "workers" --set config.pipeline.workers=0
refuse "a grace period shorter than the drain" "terminationGracePeriodSeconds" \
  --set terminationGracePeriodSeconds=20
# shellcheck disable=SC2016  # the literal ${KAFKA_PASSWORD} is the point
refuse "a secret reference without a Secret" "KAFKA_PASSWORD" \
  --set-string 'config.kafka.properties.sasl\.password=${KAFKA_PASSWORD}'
refuse "both ServiceMonitor and PodMonitor" "at most one" \
  --set metrics.serviceMonitor.enabled=true --set metrics.podMonitor.enabled=true
refuse "an unknown workload kind" "workload" --set workload=DaemonSet

# --- 4 + 5. schemas, invariants, check-config --------------------------------------------------
step "offline validation of the rendered manifests"
validate_args=()
for v in "${SCHEMA_KUBE_VERSIONS[@]}"; do validate_args+=(--kube-version "$v"); done
if [[ -n $NEWSFLOWD ]]; then
  [[ -x $NEWSFLOWD ]] || die "newsflowd not executable: $NEWSFLOWD"
  validate_args+=(--newsflowd "$NEWSFLOWD")
fi
"$PY" "$ROOT/ops/ci/validate_manifests.py" "${validate_args[@]}" \
  --dashboard "$ROOT/ops/grafana/newsflow-dashboard.json" \
  --alerts "$ROOT/ops/prometheus/alerts.yaml" \
  "$WORK"/rendered/*.yaml
if [[ -z $NEWSFLOWD ]]; then
  echo
  echo "SKIPPED: newsflowd check-config on the rendered configs (no binary given;"
  echo "         pass it as scripts/ops-check.sh path/to/newsflowd or NEWSFLOWD=...)"
fi

step "ops-check passed"
