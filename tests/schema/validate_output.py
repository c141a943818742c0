#!/usr/bin/env python3
"""Runs `newsflowd process` over the examples (and the seeds, when ../shared is there) and
validates every output record against docs/schema/enriched-article.schema.json; checks that
the bad example lines were reported, not lost. Exit status 0 only if all holds."""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

root = os.environ.get("NEWSFLOW_SOURCE_DIR", os.getcwd())
newsflowd = os.environ["NEWSFLOWD"]
shared = os.environ.get("NEWSFLOW_SHARED_DIR", os.path.join(root, "..", "shared"))

with open(os.path.join(root, "docs/schema/enriched-article.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

lines = open(os.path.join(root, "examples/articles.jsonl"), encoding="utf-8").read().splitlines()
seeds = os.path.join(shared, "seeds")
if os.path.isdir(seeds):
    for name in sorted(os.listdir(seeds)):
        if name.endswith(".txt"):
            text = open(os.path.join(seeds, name), encoding="utf-8").read()
            lines.append(json.dumps({"id": name, "source": "seeds", "text": text}))

with tempfile.TemporaryDirectory() as tmp:
    inp, out, dead = (os.path.join(tmp, n) for n in ("in.jsonl", "out.jsonl", "dead.jsonl"))
    with open(inp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run([newsflowd, "process", inp, "-o", out, "--dead-letter", dead], check=True)
    records = [json.loads(l) for l in open(out, encoding="utf-8") if l.strip()]
    dead_letters = [json.loads(l) for l in open(dead, encoding="utf-8") if l.strip()]

errors = 0
for r in records:
    for e in validator.iter_errors(r):
        errors += 1
        print(f"{r.get('id')}: {'/'.join(map(str, e.path))}: {e.message}")
stages = {s["name"] for r in records for s in r["pipeline"]["stages"]}
# A field is present exactly when its stage ran (entities: and the language has a model, which
# only English has; undetermined text is read with it).
for field, stage in (("text", "clean"), ("language", "language"), ("dedup", "dedup"),
                     ("entities", "entities")):
    for r in records:
        expected = stage in stages
        if field == "entities" and "language" in r:
            expected = expected and r["language"]["code"] in ("en", "und")
        if (field in r) != expected:
            errors += 1
            print(f"{r['id']}: field {field} present={field in r} but stage {stage} ran={stage in stages}")
total = len(lines)
print(f"{len(records)} records valid against the schema, {len(dead_letters)} dead letters "
      f"({', '.join(sorted(d['reason'] for d in dead_letters))}), {total} lines in; "
      f"stages: {', '.join(sorted(stages)) or 'none'}")
if len(records) + len(dead_letters) != total:
    errors += 1
    print("lines were lost")
if {d["reason"] for d in dead_letters} != {"no_body", "not_json"}:
    errors += 1
    print("expected the two bad example lines as dead letters (no_body, not_json)")
print(f"{1 if errors == 0 else 0} passed, {0 if errors == 0 else 1} failed")
sys.exit(1 if errors else 0)
