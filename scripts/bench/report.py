#!/usr/bin/env python3
"""Summarises the runs of scripts/bench-e2e.sh: one table (Markdown) on stdout, the targets
checked against it, and everything as JSON.

  report.py --runs build/bench/runs.jsonl --out build/bench/results.json [--pending NAME=CMD]...

`runs.jsonl` holds one JSON object per run as newsflow-bench and reference_pipeline.py print
them, told apart by `label`. Standard library only.
"""

import argparse
import json
import os
import platform
import subprocess

# label -> what the row is. The order is the table's.
ROWS = [
    ("passthrough-mix", "passthrough (no stages), mix, 2 workers / 2 partitions"),
    ("full-mix-1w", "full pipeline, mix, 1 worker / 1 partition"),
    ("full-mix-2w", "full pipeline, mix, 2 workers / 2 partitions"),
    ("passthrough-plain", "passthrough, plain text only, 2 / 2"),
    ("full-plain", "full pipeline, plain text only, 2 / 2"),
    ("full-mix-window", "full pipeline, mix, 2 / 2, 1 million articles already in the dedup "
     "window"),
    ("latency", "latency run at half the maximum rate, mix, 2 / 2"),
    ("latency-2", "latency, second run, same rate"),
    ("latency-3", "latency, third run, same rate"),
    ("python-reference", "Python reference (1 process), first records of the mix"),
]


def machine():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1048576, 1)
        with open("/proc/loadavg") as f:
            info["load_average_at_report"] = f.read().split()[:3]
    except OSError:
        pass
    try:
        info["os"] = subprocess.run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"],
                                    capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0 and abs(v) < 100:
        digits = 1
    return ("{:,.%df}" % digits).format(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pending", action="append", default=[],
                    help="LABEL=why it was not run (the command to produce it)")
    ap.add_argument("--meta", action="append", default=[], help="KEY=VALUE added to the JSON")
    args = ap.parse_args()

    runs = {}
    if os.path.exists(args.runs):
        with open(args.runs) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    runs[r["label"]] = r
    pending = dict(p.split("=", 1) for p in args.pending)
    meta = dict(kv.split("=", 1) for kv in args.meta)

    print("| run | articles/s | MB/s | articles per CPU-second | peak RSS MiB | state MiB "
          "| CPU share per stage |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, what in ROWS:
        r = runs.get(label)
        if r is None:
            if label in pending:
                print("| %s | pending | | | | | `%s` |" % (what, pending[label]))
            continue
        shares = ", ".join("%s %.0f%%" % (k, 100 * v["share"])
                           for k, v in r.get("stage_cpu", {}).items())
        if r.get("stages") == "" and "stage_cpu" in r and not r["stage_cpu"]:
            shares = "(no stages)"
        extra = ""
        if label == "latency" and not r.get("stages"):
            extra = " [passthrough]"
        if "latency_ms" in r:
            extra += " at %.0f/s: p50 %.1f ms, p99 %.1f ms" % (
                r["rate"], r["latency_ms"]["p50"], r["latency_ms"]["p99"])
        state = r.get("state_bytes")
        print("| %s%s | %s | %s | %s | %s | %s | %s |" % (
            what, extra, fmt(r["articles_per_s"]), fmt(r["mb_per_s"], 1),
            fmt(r.get("articles_per_cpu_s")), fmt(r.get("peak_rss_mib")),
            fmt(state / 1048576, 1) if state is not None else "–", shares))

    def get(label, key):
        r = runs.get(label)
        return None if r is None else r.get(key)

    checks = []

    def check(name, value, target, ok, unit=""):
        checks.append({"target": name, "value": value, "goal": target,
                       "met": None if value is None else ok})

    per_core = get("full-mix-1w", "articles_per_s")
    per_cpu = get("full-mix-1w", "articles_per_cpu_s")
    check("whole pipeline >= 2,000 articles/s per core on the mix (1 worker)", per_core, 2000,
          per_core is not None and per_core >= 2000)
    check("whole pipeline >= 2,000 articles per CPU-second on the mix (whole process)", per_cpu,
          2000, per_cpu is not None and per_cpu >= 2000)
    plain_full, plain_pt = get("full-plain", "articles_per_s"), get("passthrough-plain",
                                                                    "articles_per_s")
    ratio = plain_full / plain_pt if plain_full and plain_pt else None
    check("plain text: full pipeline >= 50% of passthrough", ratio, 0.5,
          ratio is not None and ratio >= 0.5)
    py = get("python-reference", "articles_per_cpu_s")
    speedup = per_cpu / py if per_cpu and py else None
    check("per core (articles per CPU-second) >= 50x the Python reference", speedup, 50,
          speedup is not None and speedup >= 50)
    # The p99 of one run moves with whatever else the shared machine does (17-47 ms at 800/s
    # in eight runs by hand within ten minutes): the median of the runs is checked.
    p99s = sorted(r["latency_ms"]["p99"] for l, r in runs.items()
                  if (l == "latency" or l.startswith("latency-")) and "latency_ms" in r)
    lat = p99s[len(p99s) // 2] if p99s else None
    lat_what = "" if runs.get("latency", {}).get("stages") else " [passthrough only]"
    if len(p99s) > 1:
        lat_what += " (median of %d runs: %s ms)" % (len(p99s),
                                                     ", ".join("%.1f" % v for v in p99s))
    check("p99 end-to-end latency <= 50 ms at half the maximum rate" + lat_what, lat, 50,
          lat is not None and lat <= 50)
    peaks = [get(l, "peak_rss_mib") for l in ("full-mix-1w", "full-mix-2w", "full-plain")]
    peaks = [p for p in peaks if p is not None]
    rss = max(peaks) if peaks else None
    check("peak RSS of the full-pipeline throughput runs <= 1024 MiB", rss, 1024,
          rss is not None and rss <= 1024)
    window = get("full-mix-window", "peak_rss_mib")
    check("peak RSS with 1 million articles in the dedup window <= 1024 MiB (the daemon started "
          "from a state dedup-bench --preload 1000000 filled, index rebuild included)",
          window, 1024, window is not None and window <= 1024)

    print()
    for c in checks:
        met = {True: "met", False: "NOT met", None: "pending"}[c["met"]]
        v = c["value"]
        shown = "–" if v is None else ("%.2f" % v if isinstance(v, float) and v < 100 else
                                      "%.0f" % v)
        print("- %s: %s (%s)" % (c["target"], shown, met))

    result = {"machine": machine(), "runs": runs, "targets": checks, "pending": pending}
    result.update(meta)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
