#!/usr/bin/env python3
"""Runs every dashboard query and every alert expression against a live Prometheus.

Used by scripts/prometheus-e2e.sh once Prometheus scrapes a running newsflowd and has loaded
ops/prometheus/alerts.yaml. Steps:
  1. wait until the newsflow target has been scraped --min-scrapes times;
  2. every loaded rule must be healthy (Prometheus evaluated it without error);
  3. every dashboard variable, every panel target and every alert expression is sent to
     /api/v1/query; each must succeed, and must return data unless the allow-list names it with
     a reason;
  4. every metric name those queries use must have series, unless allow-listed;
  5. allow-list entries that match nothing are errors too (the list cannot go stale).

Allow-list format (one entry per line, '#' comments): KEY | REASON, where KEY is
  panel:<panel title>/<refId> | alert:<alert name> | variable:<name> | metric:<metric name>
Python 3 standard library only.
"""
import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

METRIC_RE = re.compile(r"\b(newsflow_[a-z0-9_]+|kube_[a-z0-9_]+|up)\b(?!\s*\()")


def get(base, path, params=None, timeout=10):
    url = base.rstrip("/") + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        # Prometheus answers bad queries with 400/422 and a JSON error body.
        body = e.read().decode("utf-8", "replace")
        try:
            return json.loads(body)
        except ValueError:
            return {"status": "error", "error": f"HTTP {e.code}: {body[:200]}"}


def instant(base, expr):
    """Returns (ok, number of series or scalar, error)."""
    r = get(base, "/api/v1/query", {"query": expr})
    if r.get("status") != "success":
        return False, 0, r.get("error", "unknown error")
    data = r["data"]
    if data["resultType"] in ("scalar", "string"):
        return True, 1, ""
    return True, len(data["result"]), ""


def load_allow_list(path):
    allow = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, reason = line.partition("|")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{n}: expected 'KEY | REASON': {line}")
            allow[key.strip()] = reason.strip()
    return allow


def wait_for_scrapes(base, job, count, timeout):
    deadline = time.time() + timeout
    seen = 0
    while time.time() < deadline:
        try:
            r = get(base, "/api/v1/query",
                    {"query": f'count_over_time(up{{job="{job}"}}[1h])'})
            if r.get("status") == "success" and r["data"]["result"]:
                seen = int(float(r["data"]["result"][0]["value"][1]))
                up = get(base, "/api/v1/query", {"query": f'up{{job="{job}"}}'})
                value = up["data"]["result"][0]["value"][1] if up["data"]["result"] else "?"
                if seen >= count:
                    if value != "1":
                        sys.exit(f"target {job} is not up (up={value}); see the Prometheus log")
                    return seen
        except (urllib.error.URLError, OSError, KeyError, IndexError, ValueError):
            pass
        time.sleep(1)
    sys.exit(f"timed out waiting for {count} scrapes of job {job} (saw {seen})")


def dashboard_queries(path, variables):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    panels = []

    def walk(items):
        for p in items:
            panels.append(p)
            walk(p.get("panels", []))

    walk(dash["panels"])
    out = []
    for p in panels:
        for t in p.get("targets", []):
            expr = t["expr"]
            for name, value in variables.items():
                expr = expr.replace("$" + name, value)
            out.append((f"panel:{p['title']}/{t['refId']}", expr))
    var_queries = []
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)", q)
        if not m:
            sys.exit(f"variable {v['name']}: only label_values(selector, label) is supported")
        selector, label = m.group(1), m.group(2)
        for name, value in variables.items():
            selector = selector.replace("$" + name, value)
        # What Grafana asks for, as an instant query: the label's values on the selector.
        var_queries.append((f"variable:{v['name']}", f"group by ({label}) ({selector})"))
    return var_queries + out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    ap.add_argument("--dashboard", required=True)
    ap.add_argument("--allow", required=True, help="allow-list of legitimately empty queries")
    ap.add_argument("--job", default="newsflow")
    ap.add_argument("--namespace", default="ci", help="value for $namespace")
    ap.add_argument("--min-scrapes", type=int, default=5)
    ap.add_argument("--rate-interval", default="1m", help="value for $__rate_interval")
    ap.add_argument("--range", default="1h", help="value for $__range")
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    base = args.prometheus
    allow = load_allow_list(args.allow)
    used = set()
    failures = []

    scrapes = wait_for_scrapes(base, args.job, args.min_scrapes, args.timeout)
    print(f"target {args.job}: up, {scrapes} scrapes")

    # Rules report health "unknown" until their first evaluation.
    deadline = time.time() + args.timeout
    while True:
        rules = get(base, "/api/v1/rules")["data"]["groups"]
        pending = [r["name"] for g in rules for r in g["rules"] if r.get("health") == "unknown"]
        if not pending or time.time() > deadline:
            break
        time.sleep(1)
    alerts = []
    for g in rules:
        for r in g["rules"]:
            if r.get("health") != "ok":
                failures.append(f"rule {r.get('name')}: health {r.get('health')}: {r.get('lastError')}")
            if r["type"] == "alerting":
                alerts.append((f"alert:{r['name']}", r["query"]))
    if not alerts:
        failures.append("no alerting rules loaded: is rule_files set?")
    print(f"rules: {len(alerts)} alerts loaded")

    variables = {
        "namespace": args.namespace,
        "pod": ".*",
        "__rate_interval": args.rate_interval,
        "__interval": args.rate_interval,
        "__range": args.range,
    }
    queries = dashboard_queries(args.dashboard, variables) + alerts

    rows = []
    metrics = {}
    for key, expr in queries:
        ok, n, err = instant(base, expr)
        if not ok:
            failures.append(f"{key}: query error: {err}\n      {expr}")
            rows.append((key, "ERROR", err))
            continue
        used.add(key)
        if n:
            rows.append((key, "data", f"{n} series"))
        elif key in allow:
            rows.append((key, "empty", "allowed: " + allow[key]))
        else:
            failures.append(f"{key}: returned no data and is not in the allow-list\n      {expr}")
            rows.append((key, "EMPTY", "unexpected"))
        for m in METRIC_RE.findall(expr):
            metrics.setdefault(m, key)

    for m, first in sorted(metrics.items()):
        key = f"metric:{m}"
        ok, n, err = instant(base, f"count({{__name__=\"{m}\"}})")
        used.add(key)
        if ok and n:
            rows.append((key, "data", "series present"))
        elif key in allow:
            rows.append((key, "empty", "allowed: " + allow[key]))
        else:
            failures.append(f"{key}: no series (used by {first}) and not in the allow-list")
            rows.append((key, "EMPTY", "unexpected"))

    for key in sorted(set(allow) - used):
        failures.append(f"allow-list entry {key} matches no query (stale entry?)")

    width = max(len(r[0]) for r in rows)
    for key, status, note in rows:
        print(f"  {key:<{width}}  {status:<5}  {note}")
    print(f"{len(queries)} queries, {len(metrics)} metric names checked")
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for f in failures:
            print("  - " + f)
        return 1
    print("every query returned data or is allow-listed with a reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
