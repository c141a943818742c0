#!/usr/bin/env python3
"""Builds the dedup labelled set from real article bodies (../shared fundus ground truth).

Every base article is a real news body. Variants are made from a base with the edits wire copies
really undergo; hard negatives are other real articles dressed like the base. Output: JSON lines,
one article each, in processing order:
  {"id", "published_at", "text", "role": "base"|"variant", "source": base id or null,
   "label": relation to `source`, "edits": [...], "relations": {base id: relation}}
A relation is "exact_duplicate", "near_duplicate", "partial_overlap", "unique" or "unscored"
(a donor of a few paragraphs whose share is ambiguous). A variant is unrelated ("unique") to every
base not in `relations`. Near-duplicate means, by construction, that at least 60% of the shorter
text comes from the other (measured in words before the few-words edits); partial overlap,
15-40%. Deterministic for a given --seed.
"""
import argparse
import json
import os
import random
import re
import sys

BOILERPLATE = [
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox.",
    "Copyright 2024 The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed without permission.",
    "Follow us on Facebook, X and Instagram for more news and updates.",
    "Reporting by staff writers; editing by the news desk. Our standards: the trust principles.",
    "Advertisement",
    "Related coverage: read more stories from our politics and world sections.",
    "This article was amended on publication to correct a date.",
    "Click here to subscribe and support independent journalism.",
]
DATELINES = ["WASHINGTON (AP) —", "LONDON (Reuters) -", "NEW YORK —", "PARIS, Feb. 27 (AFP) -",
             "By Staff Reporter", "SEOUL:"]
SWAPS = {"said": "told reporters", "on Monday": "on Tuesday", "would": "will", "also": "further",
         "about": "around", "more than": "over", "percent": "per cent", "people": "residents",
         "government": "administration", "announced": "said", "However,": "But",
         "according to": "per"}


def fold_typography(text, rng):
    """Quote, dash and hyphen changes a copy desk makes."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("—", rng.choice(["-", "--", "–"]))
    return re.sub(r"(\w)-(\w)", lambda m: m.group(1) + rng.choice([" ", "-", "‐"]) + m.group(2),
                  text)


def edit_words(paras, rng, share):
    """Edits about `share` of the words: swaps of common phrases and changed numbers."""
    out = []
    for p in paras:
        words = p.split(" ")
        for i, w in enumerate(words):
            if rng.random() < share:
                if w.isdigit():
                    words[i] = str(int(w) + rng.randint(1, 9))
                elif rng.random() < 0.5:
                    words[i] = w.upper() if rng.random() < 0.1 else rng.choice(
                        ["the", "new", "local", "officials", "reportedly", "still"])
                else:
                    words[i] = ""
        p = " ".join(w for w in words if w)
        for a, b in SWAPS.items():
            if rng.random() < 0.3:
                p = p.replace(a, b)
        out.append(p)
    return out


def headline(paras, rng):
    words = re.findall(r"\w+", " ".join(paras[:2]))
    n = min(len(words), rng.randint(6, 11))
    start = rng.randint(0, max(0, len(words) - n))
    return " ".join(words[start:start + n]).title()


def nwords(paras):
    return sum(len(p.split()) for p in paras)


def relation(shared_words, a_words, b_words):
    """The gold relation of two texts sharing `shared_words` words, by the share of the shorter
    text they make up; the bands between labels are left unscored (ambiguous by design)."""
    share = shared_words / max(1, min(a_words, b_words))
    if share >= 0.6:
        return "near_duplicate"
    if 0.15 <= share <= 0.4:
        return "partial_overlap"
    if share < 0.08:
        return "unique"
    return "unscored"


def make_variant(base, others, rng, kind):
    """Returns (paragraphs, label, edits, relations) for one variant of `base`, or None when
    the drawn edits left the construction outside its label's definition (the caller redraws)."""
    paras = list(base["paras"])
    edits, relations = [], {}
    n = len(paras)
    base_words = nwords(paras)
    if kind == "exact":
        edits.append("typography")
        out = [fold_typography(p, rng) for p in paras]
        if rng.random() < 0.3:
            out[0] = out[0].upper()
        return out, "exact_duplicate", edits, relations
    if kind == "partial":
        # A composite: a minority of this wire inside another whole story (like seed 004).
        donor = rng.choice(others)
        k = max(1, int(round(n * rng.uniform(0.2, 0.35))))
        start = rng.randint(0, n - k)
        mine = paras[start:start + k]
        theirs = list(donor["paras"])
        cut = rng.randint(1, max(1, len(theirs) - 1))
        out = theirs[:cut] + mine + theirs[cut:]
        share = nwords(mine) / min(base_words, nwords(out))
        if not 0.15 <= share <= 0.4:
            return None
        relations[donor["id"]] = "near_duplicate"  # the donor is whole inside the composite
        edits.append("composite:%d/%d" % (k, n))
        return out, "partial_overlap", edits, relations
    ops = {
        "headline": 0.5, "added": 0.45, "removed": 0.4, "reordered": 0.3, "truncated": 0.3,
        "boilerplate": 0.5, "typography": 0.5, "words": 0.5,
    }
    chosen = [op for op, p in ops.items() if rng.random() < p] or [rng.choice(list(ops))]
    from_base = None
    if "removed" in chosen and n > 3:
        drop = rng.sample(range(n), k=min(n // 3, rng.randint(1, 3)))
        paras = [p for i, p in enumerate(paras) if i not in drop]
        edits.append("removed:%d" % len(drop))
    if "truncated" in chosen and len(paras) > 2:
        keep = max(2, int(round(len(paras) * rng.uniform(0.4, 0.8))))
        paras = paras[:keep]
        edits.append("truncated:%d" % keep)
    if "reordered" in chosen and len(paras) > 3:
        i = rng.randint(1, len(paras) - 2)
        j = rng.randint(1, len(paras) - 2)
        paras[i], paras[j] = paras[j], paras[i]
        edits.append("reordered")
    from_base = nwords(paras)
    added = None
    if "added" in chosen:
        donor = rng.choice(others)
        k = rng.randint(1, 3)
        new = rng.sample(donor["paras"], k=min(k, len(donor["paras"])))
        for p in new:
            paras.insert(rng.randint(1, len(paras)), p)
        edits.append("added:%d" % len(new))
        added = (donor, nwords(new))
    if "headline" in chosen:
        paras = [headline(base["paras"], rng), rng.choice(DATELINES)] + paras
        edits.append("headline")
    if "boilerplate" in chosen:
        paras = paras + rng.sample(BOILERPLATE, k=rng.randint(1, 3))
        if rng.random() < 0.3:
            paras.insert(0, rng.choice(BOILERPLATE))
        edits.append("boilerplate")
    if relation(from_base, base_words, nwords(paras)) != "near_duplicate":
        return None
    if added:
        donor, shared = added
        relations[donor["id"]] = relation(shared, nwords(donor["paras"]), nwords(paras))
    if "words" in chosen:
        paras = edit_words(paras, rng, rng.uniform(0.01, 0.04))
        edits.append("words")
    if "typography" in chosen:
        paras = [fold_typography(p, rng) for p in paras]
        edits.append("typography")
    return paras, "near_duplicate", edits, relations


def make_hard_negative(base, neighbour, rng):
    """Another real article (same publisher or closest topic), dressed like the base: same
    boilerplate and dateline, and the longest sentence of the base quoted, as rival coverage
    has. It is a copy of the neighbour (near duplicate), unrelated to the base."""
    paras = list(neighbour["paras"])
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(base["paras"]))
    base_words = nwords(base["paras"])
    fits = [x for x in sentences if len(x.split()) <= 0.05 * min(base_words, nwords(paras))]
    if fits:
        paras.insert(rng.randint(0, len(paras)), "As reported earlier: " + max(fits, key=len))
    paras = [rng.choice(DATELINES)] + paras + rng.sample(BOILERPLATE, k=2)
    relations = {neighbour["id"]: "near_duplicate"}
    return paras, "unique", ["hard_negative:" + neighbour["id"]], relations


def words(text):
    return set(re.findall(r"[a-z]{4,}", text.lower()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "..", "shared"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20240226)
    ap.add_argument("--variants", type=int, default=12, help="near-duplicate variants per base")
    ap.add_argument("--partials", type=int, default=2, help="composites per base")
    ap.add_argument("--exact", type=int, default=1, help="typography-only copies per base")
    ap.add_argument("--negatives", type=int, default=3, help="hard negatives per base")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    gt_path = os.path.join(args.shared, "data", "cleaning", "fundus", "ground_truth.json")
    with open(gt_path, encoding="utf-8") as f:
        gt = json.load(f)
    bases = []
    for name in sorted(gt):
        paras = [p.strip() for p in gt[name]["body"] if p.strip()]
        if len(" ".join(paras)) < 300:
            continue
        bases.append({"id": "base:" + name.replace(".html.gz", ""), "paras": paras,
                      "publisher": name.split("_")[0], "words": words(" ".join(paras))})
    for b in bases:  # nearest by shared vocabulary, for same-topic negatives
        b["near"] = sorted((o for o in bases if o is not b),
                           key=lambda o: -len(b["words"] & o["words"]) /
                           (1 + len(b["words"] | o["words"])))[:3]
    out = []
    t = 1706745600  # 2024-02-01T00:00:00Z
    for i, b in enumerate(bases):
        out.append({"id": b["id"], "published_at": t + 60 * i, "text": "\n\n".join(b["paras"]),
                    "role": "base", "source": None, "label": "unique", "edits": [],
                    "relations": {}})
    n = 0
    for b in bases:
        others = [o for o in bases if o is not b]
        same_pub = [o for o in others if o["publisher"] == b["publisher"]]
        kinds = ["near"] * args.variants + ["partial"] * args.partials + ["exact"] * args.exact
        for kind in kinds:
            made = None
            while made is None:
                made = make_variant(b, others, rng, kind)
            paras, label, edits, relations = made
            relations[b["id"]] = label
            n += 1
            out.append({"id": "var:%d" % n, "published_at": t + 86400 + 60 * n,
                        "text": "\n\n".join(paras), "role": "variant", "source": b["id"],
                        "label": label, "edits": edits, "relations": relations})
        pool = same_pub[:]
        rng.shuffle(pool)
        pool = (pool[:2] + b["near"])[:args.negatives]
        for neighbour in pool:
            paras, label, edits, relations = make_hard_negative(b, neighbour, rng)
            relations[b["id"]] = label
            n += 1
            out.append({"id": "neg:%d" % n, "published_at": t + 86400 + 60 * n,
                        "text": "\n\n".join(paras), "role": "variant", "source": b["id"],
                        "label": label, "edits": edits, "relations": relations})
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for rec in out:
            rec["published_at"] = _rfc3339(rec["published_at"])
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("wrote %d bases and %d variants to %s" % (len(bases), n, args.out), file=sys.stderr)


def _rfc3339(epoch):
    import datetime
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    main()
