#!/usr/bin/env python3
"""Offline validation of manifests rendered by `helm template` from helm/newsflow.

For each rendered file:
  * core Kubernetes kinds are validated strictly (unknown fields are errors) against the
    OpenAPI schemas shipped by the kubernetes-validate package, for every --kube-version;
  * custom resources (ServiceMonitor, PodMonitor, PrometheusRule: monitoring.coreos.com/v1;
    ScaledObject: keda.sh/v1alpha1) have no schema there: they are checked against the
    structural schemas below, which list the fields of those CRD versions and reject unknown
    ones where the chart writes; PrometheusRule groups must equal ops/prometheus/alerts.yaml and
    are compiled by `promtool check rules`;
  * chart invariants: non-root, read-only root filesystem with a writable /tmp, probes and
    ports on config.admin.port, the state volume on config.state.dir, termination grace longer
    than config.pipeline.shutdown_grace_ms, the config checksum annotation, the dashboard
    ConfigMap label and content;
  * with --newsflowd, the rendered newsflow.yaml is checked by `newsflowd check-config`, in the
    environment the pod would have (Secret-backed variables get placeholder values).

Runs in the venv scripts/ops-check.sh builds (kubernetes-validate, PyYAML, jsonschema).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import kubernetes_validate
import yaml

CORE_GROUPS = {"v1", "apps/v1", "policy/v1", "autoscaling/v2", "batch/v1", "rbac.authorization.k8s.io/v1"}

# Durations as the Prometheus Operator CRDs accept them.
DURATION = {
    "type": "string",
    "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
}
LABEL_SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}
NAMESPACE_SELECTOR = {
    "type": "object",
    "properties": {
        "any": {"type": "boolean"},
        "matchNames": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
RELABEL = {
    "type": "object",
    "properties": {
        "sourceLabels": {"type": "array", "items": {"type": "string"}},
        "separator": {"type": "string"},
        "targetLabel": {"type": "string"},
        "regex": {"type": "string"},
        "modulus": {"type": "integer"},
        "replacement": {"type": "string"},
        "action": {
            "enum": ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod",
                     "labelmap", "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep",
                     "lowercase", "Lowercase", "uppercase", "Uppercase", "keepequal", "KeepEqual",
                     "dropequal", "DropEqual"]
        },
    },
    "additionalProperties": False,
}
ENDPOINT_COMMON = {
    "path": {"type": "string"},
    "scheme": {"enum": ["http", "https"]},
    "params": {"type": "object"},
    "interval": DURATION,
    "scrapeTimeout": DURATION,
    "honorLabels": {"type": "boolean"},
    "honorTimestamps": {"type": "boolean"},
    "relabelings": {"type": "array", "items": RELABEL},
    "metricRelabelings": {"type": "array", "items": RELABEL},
    "tlsConfig": {"type": "object"},
    "basicAuth": {"type": "object"},
    "authorization": {"type": "object"},
    "oauth2": {"type": "object"},
    "followRedirects": {"type": "boolean"},
    "enableHttp2": {"type": "boolean"},
    "filterRunning": {"type": "boolean"},
    "proxyUrl": {"type": "string"},
}


def metadata_schema():
    return {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
                     "maxLength": 253},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }


def crd(api_version, kind, spec):
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": metadata_schema(),
            "spec": spec,
        },
        "additionalProperties": False,
    }


def monitor_spec(endpoints_key, extra_properties, extra_endpoint_properties):
    """The spec of a ServiceMonitor or PodMonitor: a selector and a list of endpoints to
    scrape (under `endpoints_key`), with the fields each kind adds."""
    return {
        "type": "object",
        "required": ["selector", endpoints_key],
        "properties": {
            "selector": LABEL_SELECTOR,
            "namespaceSelector": NAMESPACE_SELECTOR,
            "jobLabel": {"type": "string"},
            "podTargetLabels": {"type": "array", "items": {"type": "string"}},
            "sampleLimit": {"type": "integer"},
            "attachMetadata": {"type": "object"},
            **extra_properties,
            endpoints_key: {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "port": {"type": "string"},
                        "targetPort": {"type": ["string", "integer"]},
                        "bearerTokenSecret": {"type": "object"},
                        **extra_endpoint_properties,
                        **ENDPOINT_COMMON,
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    }


CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): crd(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        monitor_spec("endpoints", {"targetLabels": {"type": "array", "items": {"type": "string"}}}, {}),
    ),
    ("monitoring.coreos.com/v1", "PodMonitor"): crd(
        "monitoring.coreos.com/v1",
        "PodMonitor",
        monitor_spec("podMetricsEndpoints", {}, {"portNumber": {"type": "integer"}}),
    ),
    ("monitoring.coreos.com/v1", "PrometheusRule"): crd(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        {
            "type": "object",
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": DURATION,
                            "limit": {"type": "integer"},
                            "partial_response_strategy": {"type": "string"},
                            "query_offset": DURATION,
                            "labels": {"type": "object"},
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "properties": {
                                        "alert": {"type": "string"},
                                        "record": {"type": "string"},
                                        "expr": {"type": ["string", "integer"]},
                                        "for": DURATION,
                                        "keep_firing_for": DURATION,
                                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        },
    ),
    ("keda.sh/v1alpha1", "ScaledObject"): crd(
        "keda.sh/v1alpha1",
        "ScaledObject",
        {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "envSourceContainerName": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "initialCooldownPeriod": {"type": "integer", "minimum": 0},
                "idleReplicaCount": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "fallback": {"type": "object"},
                "advanced": {"type": "object"},
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": {"type": "string"},
                            "name": {"type": "string"},
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "useCachedMetrics": {"type": "boolean"},
                            "authenticationRef": {"type": "object"},
                            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
    ),
}


class Checker:
    def __init__(self, args):
        self.args = args
        self.failures = 0

    def fail(self, where, message):
        self.failures += 1
        print(f"  FAIL {where}: {message}")

    def ok(self, where, message):
        print(f"  ok   {where}: {message}")

    # --- schema validation -------------------------------------------------------------

    def validate_schema(self, name, doc):
        api, kind = doc.get("apiVersion"), doc.get("kind")
        where = f"{name}: {kind}/{doc.get('metadata', {}).get('name')}"
        if api in CORE_GROUPS:
            for version in self.args.kube_version:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as e:
                    self.fail(where, f"Kubernetes {version} schema: {e.message} at "
                                     f"{'.'.join(str(p) for p in e.path)}")
                    return
                except kubernetes_validate.SchemaNotFoundError as e:
                    self.fail(where, f"no schema for Kubernetes {version}: {e}")
                    return
            self.ok(where, f"strict Kubernetes schema {', '.join(self.args.kube_version)}")
            return
        schema = CRD_SCHEMAS.get((api, kind))
        if schema is None:
            self.fail(where, f"unknown kind {api} {kind}: add a schema to {__file__}")
            return
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            self.fail(where, f"CRD schema: {e.message} at {'.'.join(str(p) for p in e.path)}")
        if not errors:
            self.ok(where, "CRD structural schema")

    # --- chart invariants ----------------------------------------------------------------

    def check_workload(self, name, doc, config):
        where = f"{name}: {doc['kind']}"
        before = self.failures
        pod = doc["spec"]["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == "newsflow")
        sec, psec = container.get("securityContext", {}), pod.get("securityContext", {})
        if not (sec.get("runAsNonRoot") or psec.get("runAsNonRoot")):
            self.fail(where, "runAsNonRoot is not set")
        if psec.get("runAsUser", sec.get("runAsUser", 0)) == 0:
            self.fail(where, "runs as uid 0")
        if sec.get("readOnlyRootFilesystem") is not True:
            self.fail(where, "root filesystem is not read-only")
        if sec.get("allowPrivilegeEscalation") is not False:
            self.fail(where, "allowPrivilegeEscalation is not false")
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        tmp = mounts.get("/tmp")
        if not tmp or "emptyDir" not in volumes.get(tmp, {}):
            self.fail(where, "no writable emptyDir on /tmp")
        state_dir = config["state"]["dir"]
        state = mounts.get(state_dir)
        if not state:
            self.fail(where, f"nothing mounted on config.state.dir {state_dir}")
        elif doc["kind"] == "StatefulSet":
            claims = [c["metadata"]["name"] for c in doc["spec"].get("volumeClaimTemplates", [])]
            if state not in claims:
                self.fail(where, f"state volume {state} is not a volumeClaimTemplate")
        elif "emptyDir" not in volumes.get(state, {}):
            self.fail(where, f"state volume {state} is not an emptyDir")
        port = int(config["admin"]["port"])
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if ports.get("admin") != port:
            self.fail(where, f"container port admin={ports.get('admin')} but config.admin.port={port}")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != path or get.get("port") not in ("admin", port):
                self.fail(where, f"{probe} is not GET {path} on the admin port")
        grace = pod.get("terminationGracePeriodSeconds", 30)
        drain_ms = int(config["pipeline"].get("shutdown_grace_ms", 30000))
        if grace * 1000 <= drain_ms:
            self.fail(where, f"terminationGracePeriodSeconds {grace} s <= drain {drain_ms} ms")
        annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
        if not re.fullmatch(r"[0-9a-f]{64}", annotations.get("checksum/config", "")):
            self.fail(where, "no checksum/config annotation")
        if container.get("args", [])[:1] != ["run"]:
            self.fail(where, "container does not run `newsflowd run`")
        if self.failures == before:
            self.ok(where, f"non-root, read-only root, /tmp, state on {state_dir}, port {port}, "
                           f"grace {grace} s > drain {drain_ms} ms")
        return container

    def check_dashboard(self, name, doc):
        where = f"{name}: dashboard ConfigMap"
        if doc["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
            self.fail(where, 'label grafana_dashboard: "1" missing')
        with open(self.args.dashboard, encoding="utf-8") as f:
            expected = json.load(f)
        shipped = json.loads(doc["data"]["newsflow-dashboard.json"])
        if shipped != expected:
            self.fail(where, f"content differs from {self.args.dashboard}")
        else:
            self.ok(where, f"labelled for the sidecar, equal to {self.args.dashboard}")

    def check_rules(self, name, doc):
        where = f"{name}: PrometheusRule"
        with open(self.args.alerts, encoding="utf-8") as f:
            expected = yaml.safe_load(f)
        if doc["spec"] != expected:
            self.fail(where, f"groups differ from {self.args.alerts}")
            return
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
            yaml.safe_dump(doc["spec"], tmp)
        try:
            r = subprocess.run([self.args.promtool, "check", "rules", tmp.name],
                               capture_output=True, text=True)
        finally:
            os.unlink(tmp.name)
        if r.returncode != 0:
            self.fail(where, "promtool check rules: " + (r.stdout + r.stderr).strip())
        else:
            self.ok(where, f"equal to {self.args.alerts}; promtool check rules passes")

    def check_config(self, name, config_text, container):
        where = f"{name}: newsflowd check-config"
        if not self.args.newsflowd:
            return
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for var in container.get("env", []) or []:
            # The pod's variables: literal values as rendered, Secret-backed ones a placeholder.
            env[var["name"]] = var.get("value", f"placeholder-for-{var['name']}")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "newsflow.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(config_text)
            r = subprocess.run([self.args.newsflowd, "check-config", path], env=env,
                               capture_output=True, text=True)
        if r.returncode != 0:
            self.fail(where, (r.stdout + r.stderr).strip())
        else:
            self.ok(where, "passes")

    def run_file(self, path):
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        print(f"{name}: {len(docs)} objects")
        before = self.failures
        for doc in docs:
            self.validate_schema(name, doc)
        config_maps = [d for d in docs if d["kind"] == "ConfigMap" and "newsflow.yaml" in d.get("data", {})]
        if len(config_maps) != 1:
            self.fail(name, f"expected one ConfigMap with newsflow.yaml, found {len(config_maps)}")
            return
        config_text = config_maps[0]["data"]["newsflow.yaml"]
        config = yaml.safe_load(config_text)
        workloads = [d for d in docs if d["kind"] in ("StatefulSet", "Deployment")]
        if len(workloads) != 1:
            self.fail(name, f"expected one StatefulSet or Deployment, found {len(workloads)}")
            return
        container = self.check_workload(name, workloads[0], config)
        for doc in docs:
            if doc["kind"] == "ConfigMap" and "newsflow-dashboard.json" in doc.get("data", {}):
                self.check_dashboard(name, doc)
            if doc["kind"] == "PrometheusRule":
                self.check_rules(name, doc)
        self.check_config(name, config_text, container)
        return self.failures == before


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+", help="rendered manifests (helm template output)")
    p.add_argument("--kube-version", action="append", required=True)
    p.add_argument("--dashboard", required=True)
    p.add_argument("--alerts", required=True)
    p.add_argument("--promtool", default="promtool")
    p.add_argument("--newsflowd", default="")
    args = p.parse_args()
    checker = Checker(args)
    for path in args.files:
        checker.run_file(path)
    if checker.failures:
        print(f"{checker.failures} failure(s)")
        return 1
    print("all manifests valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
