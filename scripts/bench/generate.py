#!/usr/bin/env python3
"""Builds the end-to-end benchmark's article mix as JSON lines, from the real texts in ../shared.

The mix (defaults, all shares of the records written):
  * plain text, 3-6 KB of UTF-8 in `text`, in several languages: news-length texts composed from
    real sentences -- the body sentences of the Fundus ground truth and lingua's sentence sets
    (data/langid/sentences/<lang>.txt);
  * HTML pages of 40-120 KB in `html`: the Fundus news pages (16 publishers) with their body
    paragraphs and headline replaced by other real sentences, so every page is a distinct article
    inside its publisher's real markup. Pages above 120 KB have their inline <script>, <style> and
    <svg> elements emptied (the markup the extractor walks is kept); pages still outside 40-120 KB
    or whose body paragraphs cannot be located in the markup are not used;
  * near-duplicates: edited copies of an article seen up to `--dup-window` records earlier
    (a paragraph removed and/or added, a few words changed, a new headline, a new id and URL).

Why recompose sentences rather than repeat the source articles: the shared data holds about 80
news bodies, and a stream of thousands of verbatim repeats would be exact duplicates, which is
not the workload. The pools are small (under 500 sentences per language), so unrelated articles
of one language share several sentences: dedup finds a partial overlap for about three quarters
of the records, far more than in real news (docs/benchmarks.md, "The articles").

Deterministic: the same arguments give the same bytes. Standard library only.

  scripts/bench/generate.py -n 20000 -o build/bench/mix.jsonl [--shared ../shared] [--seed 1]
                            [--html-share 0.3] [--dup-share 0.2]
"""

import argparse
import collections
import glob
import gzip
import html
import json
import os
import random
import re
import sys

# Languages of the plain-text articles and their weights. English carries half, as in an
# English-first news feed with foreign-language sources.
LANGUAGES = [("en", 50), ("de", 8), ("fr", 8), ("es", 8), ("it", 4), ("nl", 3), ("pt", 3),
             ("pl", 3), ("sv", 2), ("ru", 3), ("tr", 2), ("ar", 2), ("zh", 2), ("ja", 2)]
PUBLISHERS = ["wire", "metro-daily", "evening-post", "regional-herald", "business-desk",
              "world-report", "city-news", "morning-star"]
SENTENCE_END = re.compile(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\u201c\"])")
STRIP_ELEMENTS = re.compile(r"(?is)(<(script|style|svg)\b[^>]*>).*?(</\2\s*>)")
PARAGRAPH = re.compile(r"(?is)(<p\b[^>]*>)(.*?)(</p\s*>)")
TAG = re.compile(r"<[^>]+>")
TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")
OG_TITLE = re.compile(
    r"""(?is)<meta\s+(?:property|name)=["']og:title["']\s+content=["']([^"']*)["']""")


def load_pools(shared):
    """Sentences per language: {lang: [sentence, ...]}. English also gets the Fundus bodies."""
    pools = {}
    for lang, _ in LANGUAGES:
        path = os.path.join(shared, "data/langid/sentences", lang + ".txt")
        with open(path, encoding="utf-8") as f:
            pools[lang] = [line.strip() for line in f if len(line.strip()) >= 20]
    truth_path = os.path.join(shared, "data/cleaning/fundus/ground_truth.json")
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    english = []
    for page in truth.values():
        for para in page["body"]:
            english.extend(s.strip() for s in SENTENCE_END.split(para) if len(s.strip()) >= 30)
    pools["en"] = sorted(set(english)) + pools["en"]
    return pools, truth


def _norm(s):
    return " ".join(html.unescape(s).split())


def _headline(page):
    """The page's headline as written in its markup: og:title, else <title> without the
    publisher's suffix (" | Site", " - Site")."""
    m = OG_TITLE.search(page) or TITLE.search(page)
    if not m:
        return ""
    title = m.group(1).strip()
    for sep in (" | ", " - ", " – ", " — "):
        if sep in title and not m.re is OG_TITLE:
            title = title.rsplit(sep, 1)[0]
    return title if len(title) >= 15 else ""


def load_templates(shared, truth):
    """HTML templates: (name, page, [(start, end) of each body paragraph's <p> content], title).

    A body paragraph is located as a <p> element whose text (tags dropped, entities decoded,
    spaces collapsed) is one of the page's ground-truth paragraphs; inline markup inside it
    (links, emphasis) is replaced along with the text."""
    templates = []
    for path in sorted(glob.glob(os.path.join(shared, "data/cleaning/fundus/html/*.html.gz"))):
        name = os.path.basename(path)
        page = gzip.open(path).read().decode("utf-8", "replace")
        if len(page.encode()) > 120 * 1024:
            page = STRIP_ELEMENTS.sub(r"\1\3", page)
        if not 40 * 1024 <= len(page.encode()) <= 120 * 1024:
            continue
        body = {_norm(p) for p in truth[name]["body"]}
        spans, seen = [], set()
        for m in PARAGRAPH.finditer(page):
            text = _norm(TAG.sub("", m.group(2)))
            if text in body and text not in seen:
                seen.add(text)
                spans.append((m.start(2), m.end(2)))
        if sum(len(t) for t in seen) < 0.6 * sum(len(t) for t in body):
            continue
        templates.append((name, page, spans, _headline(page)))
    return templates


class Composer:
    """Composes paragraphs and headlines from a language's sentence pool."""

    def __init__(self, pools, rng):
        self.pools = pools
        self.rng = rng

    def paragraph(self, lang, min_chars):
        pool, out, n = self.pools[lang], [], 0
        while n < min_chars or len(out) < 2:
            s = self.rng.choice(pool)
            out.append(s)
            n += len(s.encode()) + 1
        return " ".join(out)

    def body(self, lang, target_bytes):
        paras, n = [], 0
        while n < target_bytes - 200:
            p = self.paragraph(lang, self.rng.randint(250, 700))
            if n + len(p.encode()) > target_bytes + 300 and paras:
                break
            paras.append(p)
            n += len(p.encode()) + 2
        return paras

    def headline(self, lang):
        words = self.rng.choice(self.pools[lang]).split()
        return " ".join(words[: self.rng.randint(6, 11)]).rstrip(",.;:")


def edit(spec, composer, rng):
    """A near-duplicate of `spec`: a new headline, a paragraph removed and/or added, a few words
    changed. Returns a new spec (the input is not modified)."""
    lang, paras = spec["lang"], list(spec["paras"])
    op = rng.random()
    if op < 0.4 and len(paras) > 3:
        del paras[rng.randrange(len(paras))]
    elif op < 0.8:
        paras.insert(rng.randrange(len(paras) + 1), composer.paragraph(lang, rng.randint(150, 400)))
    else:
        if len(paras) > 3:
            del paras[rng.randrange(len(paras))]
        paras.append(composer.paragraph(lang, rng.randint(150, 400)))
    vocabulary = rng.choice(composer.pools[lang]).split()
    for _ in range(rng.randint(2, 6)):
        i = rng.randrange(len(paras))
        words = paras[i].split(" ")
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
        paras[i] = " ".join(words)
    out = dict(spec)
    out.update(paras=paras, title=composer.headline(lang), dup_of=spec["id"])
    return out


def render(spec, templates):
    record = {"id": spec["id"], "url": spec["url"], "source": spec["source"],
              "published_at": spec["published_at"]}
    if spec["kind"] == "html":
        _, page, spans, title = templates[spec["template"]]
        # Splice the article's paragraphs into the located <p> elements: a removed paragraph
        # leaves an empty element, added ones follow the last. The rest of the page is the
        # publisher's own markup and text (navigation, captions, footers).
        paras = [html.escape(p, quote=False) for p in spec["paras"]]
        if len(paras) > len(spans):
            paras[len(spans) - 1] = "</p>\n<p>".join(paras[len(spans) - 1:])
        pieces, pos = [], 0
        for k, (start, end) in enumerate(spans):
            pieces += [page[pos:start], paras[k] if k < len(paras) else ""]
            pos = end
        pieces.append(page[pos:])
        page = "".join(pieces)
        if title:
            # Every copy of the headline: <title>, meta tags, <h1>, JSON-LD.
            new = html.escape(spec["title"], quote=False)
            forms = [title, html.unescape(title), html.escape(html.unescape(title))]
            for old in dict.fromkeys(forms):  # in this order: the output must not vary by run
                page = page.replace(old, new)
        record["html"] = page
    else:
        record["title"] = spec["title"]
        record["text"] = "\n\n".join(spec["paras"])
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--records", type=int, default=20000)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--html-share", type=float, default=0.3)
    ap.add_argument("--dup-share", type=float, default=0.2)
    ap.add_argument("--dup-window", type=int, default=2000,
                    help="near-duplicates copy one of the last N original articles")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    pools, truth = load_pools(args.shared)
    templates = load_templates(args.shared, truth) if args.html_share > 0 else []
    if args.html_share > 0 and not templates:
        sys.exit("generate: no usable HTML template in " + args.shared)
    composer = Composer(pools, rng)
    langs, weights = zip(*LANGUAGES)
    originals = collections.deque(maxlen=args.dup_window)
    stats = collections.Counter()
    total_bytes = 0
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as out:
        for i in range(args.records):
            ident = "bench-%07d" % i
            ts = "2024-02-%02dT%02d:%02d:%02dZ" % (1 + i // 86400 % 28, i // 3600 % 24,
                                                   i // 60 % 60, i % 60)
            if originals and rng.random() < args.dup_share:
                spec = edit(rng.choice(originals), composer, rng)
                stats["near_duplicate"] += 1
            elif rng.random() < args.html_share:
                t = rng.randrange(len(templates))
                page, spans = templates[t][1], templates[t][2]
                paras = [composer.paragraph("en", max(80, e - s - 60)) for s, e in spans]
                spec = {"kind": "html", "lang": "en", "template": t, "paras": paras,
                        "title": composer.headline("en")}
                originals.append(spec)
            else:
                lang = rng.choices(langs, weights)[0]
                spec = {"kind": "text", "lang": lang,
                        "paras": composer.body(lang, rng.randint(3000, 6000)),
                        "title": composer.headline(lang)}
                originals.append(spec)
            spec = dict(spec, id=ident, source=rng.choice(PUBLISHERS), published_at=ts,
                        url="https://news.bench.example/%s/%s" % (spec["lang"], ident))
            if "dup_of" not in spec:
                originals[-1]["id"] = ident
            line = render(spec, templates)
            out.write(line + "\n")
            total_bytes += len(line.encode()) + 1
            stats[spec["kind"]] += 1
            stats["lang:" + spec["lang"]] += 1
    summary = {"records": args.records, "bytes": total_bytes, "seed": args.seed,
               "html_templates": len(templates), **dict(sorted(stats.items()))}
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()
