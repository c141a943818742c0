#!/usr/bin/env python3
"""Writes the newsflow Grafana dashboard (newsflow-dashboard.json) from the panel list below.

The dashboard is code so that its queries stay reviewable in one place: every query uses only
the metric names of docs/metrics.md. The JSON output is committed twice (ops/grafana/ and
helm/newsflow/files/); scripts/ops-check.sh regenerates it and fails when either copy differs.

usage: make_dashboard.py [OUTPUT]   (default: stdout)
"""
import json
import sys

# Every query is scoped to the selected namespace and pods.
SEL = 'namespace="$namespace", pod=~"$pod"'
RATE = "$__rate_interval"


def q(expr, legend="", ref="A"):
    return {"expr": expr, "legendFormat": legend, "refId": ref}


def refs(*targets):
    """Gives the targets refIds A, B, C... in order."""
    out = []
    for i, (expr, legend) in enumerate(targets):
        out.append(q(expr, legend, chr(ord("A") + i)))
    return out


def timeseries(title, targets, unit="short", description="", stack=False, w=12, h=8):
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "targets": targets,
        "gridPos": {"w": w, "h": h},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "custom": {
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": 20 if stack else 0,
                    "stacking": {"mode": "normal" if stack else "none", "group": "A"},
                    "showPoints": "never",
                },
            },
            "overrides": [],
        },
        "options": {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def stat(title, targets, unit="short", description="", w=6, h=4):
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "targets": targets,
        "gridPos": {"w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        },
    }


def piechart(title, targets, description="", w=12, h=8):
    return {
        "type": "piechart",
        "title": title,
        "description": description,
        "targets": targets,
        "gridPos": {"w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": "short"}, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "pieType": "donut",
            "legend": {"displayMode": "table", "placement": "right", "values": ["percent"]},
        },
    }


def quantiles(metric, by=""):
    group = f"{by}, le" if by else "le"
    prefix = "{{" + by + "}} " if by else ""
    return refs(
        *[
            (
                f"histogram_quantile({p}, sum by ({group}) "
                f"(rate({metric}_bucket{{{SEL}}}[{RATE}])))",
                f"{prefix}p{int(p * 100)}",
            )
            for p in (0.5, 0.9, 0.99)
        ]
    )


ROWS = [
    (
        "Throughput",
        [
            timeseries(
                "Records per second",
                refs(
                    (f"sum(rate(newsflow_records_consumed_total{{{SEL}}}[{RATE}]))", "consumed"),
                    (f"sum(rate(newsflow_records_produced_total{{{SEL}}}[{RATE}]))", "produced"),
                    (
                        f"sum(rate(newsflow_records_dead_lettered_total{{{SEL}}}[{RATE}]))",
                        "dead-lettered",
                    ),
                    (f"sum(rate(newsflow_records_dropped_total{{{SEL}}}[{RATE}]))", "dropped"),
                ),
                unit="rps",
                description="Consumed from the input topic; produced = acknowledged on the "
                "output topic. consumed ≈ produced + dead-lettered + dropped when healthy.",
            ),
            timeseries(
                "Consumed per pod",
                refs(
                    (
                        f"sum by (pod) (rate(newsflow_records_consumed_total{{{SEL}}}[{RATE}]))",
                        "{{pod}}",
                    )
                ),
                unit="rps",
                stack=True,
            ),
            stat(
                "Ready pods",
                refs((f"sum(newsflow_ready{{{SEL}}})", "ready")),
                description="Pods connected, with state open and not draining.",
            ),
            stat(
                "Version",
                refs((f"count by (version) (newsflow_build_info{{{SEL}}})", "{{version}}")),
                description="Pods per running version.",
            ),
            stat(
                "In-flight records",
                refs((f"sum(newsflow_in_flight_records{{{SEL}}})", "in flight")),
            ),
            stat(
                "Assigned / paused partitions",
                refs(
                    (f"sum(newsflow_assigned_partitions{{{SEL}}})", "assigned"),
                    (f"sum(newsflow_paused_partitions{{{SEL}}})", "paused"),
                ),
                description="Paused partitions mean back-pressure: in-flight limit reached.",
            ),
        ],
    ),
    (
        "Consumer lag",
        [
            timeseries(
                "Lag (records) per partition",
                refs(
                    (
                        f"sum by (pod, partition) (newsflow_consumer_lag_records{{{SEL}}})",
                        "{{pod}} p{{partition}}",
                    )
                ),
                description="High watermark minus the next offset to consume.",
            ),
            timeseries(
                "Lag (seconds) per partition",
                refs(
                    (
                        f"max by (pod, partition) (newsflow_consumer_lag_seconds{{{SEL}}})",
                        "{{pod}} p{{partition}}",
                    )
                ),
                unit="s",
                description="Age of the oldest unacknowledged record; 0 when caught up.",
            ),
            timeseries(
                "Total lag (records)",
                refs((f"sum(newsflow_consumer_lag_records{{{SEL}}})", "total")),
            ),
            timeseries(
                "Committed offsets per second, per partition",
                refs(
                    (
                        f"sum by (pod, partition) "
                        f"(deriv(newsflow_committed_offset{{{SEL}}}[{RATE}]))",
                        "{{pod}} p{{partition}}",
                    )
                ),
                unit="rps",
                description="Flat at 0 while lag > 0 means the partition makes no progress.",
            ),
        ],
    ),
    (
        "Latency",
        [
            timeseries(
                "End-to-end latency",
                quantiles("newsflow_end_to_end_latency_seconds"),
                unit="s",
                description="Input record timestamp to output acknowledged.",
            ),
            timeseries(
                "Processing latency",
                quantiles("newsflow_processing_latency_seconds"),
                unit="s",
                description="Consumed to output acknowledged.",
            ),
        ],
    ),
    (
        "Stages",
        [
            timeseries(
                "Mean time per record, by stage",
                refs(
                    (
                        f"sum by (stage) (rate(newsflow_stage_duration_seconds_sum{{{SEL}}}"
                        f"[{RATE}])) / sum by (stage) "
                        f"(rate(newsflow_stage_duration_seconds_count{{{SEL}}}[{RATE}]))",
                        "{{stage}}",
                    )
                ),
                unit="s",
            ),
            timeseries(
                "p99 time per record, by stage",
                refs(
                    (
                        f"histogram_quantile(0.99, sum by (stage, le) "
                        f"(rate(newsflow_stage_duration_seconds_bucket{{{SEL}}}[{RATE}])))",
                        "{{stage}}",
                    )
                ),
                unit="s",
            ),
            timeseries(
                "CPU share by stage",
                refs(
                    (
                        f"sum by (stage) "
                        f"(rate(newsflow_stage_duration_seconds_sum{{{SEL}}}[{RATE}]))",
                        "{{stage}}",
                    )
                ),
                unit="percentunit",
                stack=True,
                description="Seconds spent in each stage per second (1 = one busy worker).",
            ),
            timeseries(
                "Stage outcomes",
                refs(
                    (
                        f"sum by (stage, outcome) "
                        f"(rate(newsflow_stage_records_total{{{SEL}}}[{RATE}]))",
                        "{{stage}} {{outcome}}",
                    )
                ),
                unit="rps",
            ),
            timeseries(
                "Dead letters by reason",
                refs(
                    (
                        f"sum by (stage, reason) "
                        f"(rate(newsflow_records_dead_lettered_total{{{SEL}}}[{RATE}]))",
                        "{{stage}}: {{reason}}",
                    )
                ),
                unit="rps",
                stack=True,
            ),
            timeseries(
                "Drops by reason",
                refs(
                    (
                        f"sum by (stage, reason) "
                        f"(rate(newsflow_records_dropped_total{{{SEL}}}[{RATE}]))",
                        "{{stage}}: {{reason}}",
                    )
                ),
                unit="rps",
                stack=True,
            ),
        ],
    ),
    (
        "Content",
        [
            timeseries(
                "Dedup outcomes",
                refs(
                    (
                        f"sum by (status) (rate(newsflow_dedup_outcomes_total{{{SEL}}}[{RATE}]))",
                        "{{status}}",
                    )
                ),
                unit="rps",
                stack=True,
            ),
            timeseries(
                "Dedup window",
                refs(
                    (f"sum by (pod) (newsflow_dedup_index_entries{{{SEL}}})", "{{pod}}"),
                ),
                description="Articles held in the dedup window.",
            ),
            piechart(
                "Language mix (selected range)",
                refs(
                    (
                        f"sum by (language) "
                        f"(increase(newsflow_articles_by_language_total{{{SEL}}}[$__range]))",
                        "{{language}}",
                    )
                ),
            ),
            timeseries(
                "Entities by type",
                refs(
                    (
                        f"sum by (type) (rate(newsflow_entities_total{{{SEL}}}[{RATE}]))",
                        "{{type}}",
                    )
                ),
                unit="rps",
                stack=True,
            ),
        ],
    ),
    (
        "Kafka",
        [
            timeseries(
                "Commits",
                refs(
                    (f"sum(rate(newsflow_commits_total{{{SEL}}}[{RATE}]))", "commits"),
                    (f"sum(rate(newsflow_commit_failures_total{{{SEL}}}[{RATE}]))", "failures"),
                ),
                unit="ops",
            ),
            timeseries(
                "Rebalances",
                refs(
                    (
                        f"sum by (type) (increase(newsflow_rebalances_total{{{SEL}}}[{RATE}]))",
                        "{{type}}",
                    )
                ),
            ),
            timeseries(
                "Kafka client errors",
                refs(
                    (
                        f"sum by (kind) (rate(newsflow_kafka_errors_total{{{SEL}}}[{RATE}]))",
                        "{{kind}}",
                    )
                ),
                unit="ops",
            ),
            timeseries(
                "Delivery failures",
                refs(
                    (
                        f"sum by (topic_kind) "
                        f"(rate(newsflow_delivery_failures_total{{{SEL}}}[{RATE}]))",
                        "{{topic_kind}}",
                    )
                ),
                unit="ops",
            ),
        ],
    ),
    (
        "State (RocksDB)",
        [
            timeseries(
                "Live data",
                refs((f"sum by (pod) (newsflow_state_live_data_bytes{{{SEL}}})", "{{pod}}")),
                unit="bytes",
            ),
            timeseries(
                "Pending compaction",
                refs(
                    (
                        f"sum by (pod) (newsflow_state_pending_compaction_bytes{{{SEL}}})",
                        "{{pod}}",
                    )
                ),
                unit="bytes",
            ),
            timeseries(
                "SST files",
                refs((f"sum by (pod) (newsflow_state_sst_files{{{SEL}}})", "{{pod}}")),
            ),
            timeseries(
                "Write stalls",
                refs(
                    (
                        f"sum by (pod) (rate(newsflow_state_write_stalls_total{{{SEL}}}[{RATE}]))",
                        "{{pod}}",
                    )
                ),
                unit="ops",
                description="Any sustained value means compaction cannot keep up.",
            ),
            timeseries(
                "Estimated keys",
                refs((f"sum by (pod) (newsflow_state_estimated_keys{{{SEL}}})", "{{pod}}")),
            ),
            timeseries(
                "RocksDB memory",
                refs(
                    (
                        f"sum by (pod, part) (newsflow_state_memory_bytes{{{SEL}}})",
                        "{{pod}} {{part}}",
                    )
                ),
                unit="bytes",
                description="Memtables (at most 3 x state.write_buffer_mb) and block cache "
                "(at most state.block_cache_mb).",
            ),
        ],
    ),
    (
        "Pod resources",
        [
            timeseries(
                "CPU",
                refs(
                    (
                        f"sum by (pod) (rate(newsflow_process_cpu_seconds_total{{{SEL}}}[{RATE}]))",
                        "{{pod}}",
                    )
                ),
                unit="short",
                description="CPU cores used (user + system).",
            ),
            timeseries(
                "Resident memory",
                refs(
                    (
                        f"sum by (pod) (newsflow_process_resident_memory_bytes{{{SEL}}})",
                        "{{pod}}",
                    )
                ),
                unit="bytes",
            ),
            timeseries(
                "Open file descriptors",
                refs((f"sum by (pod) (newsflow_process_open_fds{{{SEL}}})", "{{pod}}")),
            ),
            timeseries(
                "Uptime",
                refs(
                    (
                        f"time() - max by (pod) (newsflow_process_start_time_seconds{{{SEL}}})",
                        "{{pod}}",
                    )
                ),
                unit="s",
            ),
            timeseries(
                "Container restarts",
                refs(
                    (
                        "sum by (pod) (increase(kube_pod_container_status_restarts_total"
                        '{namespace="$namespace", pod=~"$pod", container="newsflow"}[1h]))',
                        "{{pod}}",
                    )
                ),
                description="Restarts in the last hour, from kube-state-metrics.",
            ),
        ],
    ),
]

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def build():
    panels = []
    next_id = 1
    y = 0
    for row_title, row_panels in ROWS:
        panels.append(
            {
                "type": "row",
                "title": row_title,
                "id": next_id,
                "collapsed": False,
                "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        x = 0
        row_h = 0
        for p in row_panels:
            w, h = p["gridPos"]["w"], p["gridPos"]["h"]
            if x + w > 24:
                x = 0
                y += row_h
                row_h = 0
            p["gridPos"] = {"x": x, "y": y, "w": w, "h": h}
            p["id"] = next_id
            p["datasource"] = DATASOURCE
            for t in p["targets"]:
                t["datasource"] = DATASOURCE
            next_id += 1
            x += w
            row_h = max(row_h, h)
            panels.append(p)
        y += row_h
    return {
        "uid": "newsflow-overview",
        "title": "newsflow",
        "description": "newsflow ingest daemon: throughput, lag, latency, stages, state, pods.",
        "tags": ["newsflow", "kafka"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "timezone": "",
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                },
                {
                    "name": "namespace",
                    "label": "Namespace",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {
                        "query": "label_values(newsflow_build_info, namespace)",
                        "refId": "namespace",
                    },
                    "definition": "label_values(newsflow_build_info, namespace)",
                    "refresh": 2,
                    "sort": 1,
                    "current": {},
                    "hide": 0,
                    "multi": False,
                    "includeAll": False,
                },
                {
                    "name": "pod",
                    "label": "Pod",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {
                        "query": 'label_values(newsflow_build_info{namespace="$namespace"}, pod)',
                        "refId": "pod",
                    },
                    "definition": 'label_values(newsflow_build_info{namespace="$namespace"}, pod)',
                    "refresh": 2,
                    "sort": 1,
                    "current": {},
                    "hide": 0,
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".*",
                },
            ]
        },
        "panels": panels,
    }


def main():
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
