// dedup-eval: prints the dedup stage's quality figures.
//
//   dedup-eval --labelled FILE [--shared DIR] [--options YAML] [--misses N]
//
// 1. Seeds: the five seed articles (../shared/seeds, file order) against gold.json.
// 2. The labelled set (tools/dedup/build_labelled_set.py): every base article is indexed, then
//    each variant is checked against all of them in a fresh store, so every (variant, base)
//    pair gets a verdict: the status of the base in the variant's matches, else unique. Pairs
//    among the base articles (real, distinct stories) are negatives too. Near-duplicate
//    precision/recall count exact and near duplicates as positive; partial overlaps are
//    reported separately.
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "common/time.h"
#include "eval_common.h"

namespace fs = std::filesystem;
using namespace newsflow;

namespace {

struct Item {
  std::string id, label, source, line, edits;
  std::map<std::string, std::string> relations;  // base id -> gold relation
  bool base = false;
};

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool IsDup(std::string_view s) { return s == "exact_duplicate" || s == "near_duplicate"; }

int Seeds(const fs::path& shared, const std::string& options) {
  const fs::path dir = shared / "seeds";
  simdjson::dom::parser parser;
  simdjson::padded_string gold_json;
  if (simdjson::padded_string::load((dir / "gold.json").string()).get(gold_json)) {
    std::cerr << "cannot read " << (dir / "gold.json") << "\n";
    return -1;
  }
  simdjson::dom::element gold = parser.parse(gold_json);
  auto store = state::MakeMemoryStore();
  auto runner = dedup_tools::DedupRunner::Create(options, store.get());
  if (!runner.ok()) {
    std::cerr << runner.error().message << "\n";
    return -1;
  }
  int ok = 0, n = 0;
  std::printf("seeds (%s):\n", dir.c_str());
  for (simdjson::dom::element a : gold["articles"].get_array()) {
    const std::string file{std::string_view(a["file"])};
    std::ifstream in(dir / file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    char ts[32];
    std::snprintf(ts, sizeof ts, "2024-01-26T00:%02d:00Z", n);
    const std::string line = "{\"id\":" + JsonString(file) + ",\"published_at\":\"" + ts +
                             "\",\"text\":" + JsonString(text) + "}";
    const ProcessResult& r = (*runner)->Process(line, NowMillis());
    ++n;
    if (!r.article || !r.article->dedup) {
      std::printf("  %s: no verdict (%s)\n", file.c_str(), std::string(r.reason).c_str());
      continue;
    }
    const DedupResult& d = *r.article->dedup;
    const std::string want{std::string_view(a["dedup"]["status"])};
    std::string_view want_of;
    const bool has_of = a["dedup"]["of"].get(want_of) == simdjson::SUCCESS;
    bool good = want == DedupStatusName(d.status) && (!has_of || d.of == want_of);
    simdjson::dom::array with;
    if (good && a["dedup"]["with"].get(with) == simdjson::SUCCESS) {
      bool in_with = false;
      for (std::string_view w : with) in_with |= (w == d.of);
      good = in_with;
    }
    ok += good ? 1 : 0;
    std::printf("  %s %-28s %-16s of=%-26s similarity=%.3f containment=%.3f (gold %s)\n",
                good ? "ok  " : "FAIL", file.c_str(), DedupStatusName(d.status),
                d.of.empty() ? "-" : d.of.c_str(), d.similarity, d.containment, want.c_str());
  }
  std::printf("seeds: %d/%d verdicts as gold.json\n\n", ok, n);
  return ok == n ? 0 : 1;
}

struct Counts {
  long tp = 0, fp = 0, fn = 0, tn = 0;
  double Precision() const { return tp + fp ? double(tp) / double(tp + fp) : 1.0; }
  double Recall() const { return tp + fn ? double(tp) / double(tp + fn) : 1.0; }
};

}  // namespace

int main(int argc, char** argv) {
  fs::path shared = fs::path(NEWSFLOW_SOURCE_DIR) / ".." / "shared";
  std::string labelled, options = "{}";
  int show_misses = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--shared" && i + 1 < argc) {
      shared = argv[++i];
    } else if (a == "--labelled" && i + 1 < argc) {
      labelled = argv[++i];
    } else if (a == "--options" && i + 1 < argc) {
      options = argv[++i];
    } else if (a == "--misses" && i + 1 < argc) {
      show_misses = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: dedup-eval --labelled FILE [--shared DIR] [--options YAML] "
                   "[--misses N]\n";
      return 2;
    }
  }
  const int seeds_rc = Seeds(shared, options);
  if (seeds_rc < 0) return 2;
  if (labelled.empty()) return seeds_rc;

  std::vector<Item> bases, variants;
  {
    std::ifstream in(labelled);
    if (!in) {
      std::cerr << "cannot read " << labelled << "\n";
      return 2;
    }
    simdjson::dom::parser parser;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      simdjson::dom::element e = parser.parse(line);
      Item it;
      it.line = line;
      it.id = std::string(std::string_view(e["id"]));
      it.label = std::string(std::string_view(e["label"]));
      it.base = std::string_view(e["role"]) == "base";
      std::string_view src;
      if (e["source"].get(src) == simdjson::SUCCESS) it.source = std::string(src);
      for (auto field : e["relations"].get_object()) {
        it.relations[std::string(field.key)] = std::string(std::string_view(field.value));
      }
      for (std::string_view d : e["edits"].get_array()) {
        it.edits += (it.edits.empty() ? "" : ",") + std::string(d);
      }
      (it.base ? bases : variants).push_back(std::move(it));
    }
  }
  const int64_t now = NowMillis();
  Counts near, partial;
  long exact_total = 0, exact_hit = 0, base_pairs = 0;
  std::map<std::string, Counts> by_edit;
  std::vector<std::string> misses;
  std::vector<double> pos_containment, neg_containment;

  // Base articles among themselves.
  {
    auto store = state::MakeMemoryStore();
    auto runner = dedup_tools::DedupRunner::Create(options, store.get());
    if (!runner.ok()) {
      std::cerr << runner.error().message << "\n";
      return 2;
    }
    for (size_t i = 0; i < bases.size(); ++i) {
      const ProcessResult& r = (*runner)->Process(bases[i].line, now);
      if (!r.article || !r.article->dedup) continue;
      base_pairs += static_cast<long>(i);
      long dups = 0, parts = 0;
      for (const auto& m : r.article->dedup->matches) {
        dups += IsDup(DedupStatusName(m.status)) ? 1 : 0;
        parts += m.status == DedupStatus::kPartialOverlap ? 1 : 0;
        if (IsDup(DedupStatusName(m.status)) && static_cast<int>(misses.size()) < show_misses) {
          misses.push_back("FP base " + bases[i].id + " ~ " + m.id);
        }
      }
      near.fp += dups;
      near.tn += static_cast<long>(i) - dups;
      partial.fp += parts;
    }
  }
  // Each variant against every base.
  for (const Item& v : variants) {
    auto store = state::MakeMemoryStore();
    auto runner = dedup_tools::DedupRunner::Create(options + "", store.get());
    if (!runner.ok()) return 2;
    for (const Item& b : bases) (void)(*runner)->Process(b.line, now);
    const ProcessResult& r = (*runner)->Process(v.line, now);
    if (!r.article || !r.article->dedup) {
      std::cerr << v.id << ": no verdict (" << r.reason << ")\n";
      return 1;
    }
    std::map<std::string, const DedupMatch*> found;
    for (const auto& m : r.article->dedup->matches) found[m.id] = &m;
    for (const Item& b : bases) {
      auto it = found.find(b.id);
      const std::string got = it == found.end() ? "unique" : DedupStatusName(it->second->status);
      const double cont = it == found.end() ? 0.0 : it->second->containment;
      const bool is_source = b.id == v.source;
      auto rel = v.relations.find(b.id);
      const std::string gold = rel == v.relations.end() ? "unique" : rel->second;
      if (gold == "unscored") continue;
      const bool gold_dup = IsDup(gold), got_dup = IsDup(got);
      Counts& e = by_edit[rel == v.relations.end() ? "unrelated"
                                                   : (is_source ? "source:" : "other:") + gold];
      if (gold_dup && got_dup) {
        ++near.tp, ++e.tp;
      } else if (gold_dup) {
        ++near.fn, ++e.fn;
      } else if (got_dup) {
        ++near.fp, ++e.fp;
      } else {
        ++near.tn, ++e.tn;
      }
      if (gold_dup) pos_containment.push_back(cont);
      if (!gold_dup && rel != v.relations.end()) neg_containment.push_back(cont);
      if (gold_dup != got_dup && static_cast<int>(misses.size()) < show_misses) {
        misses.push_back(std::string(gold_dup ? "FN " : "FP ") + v.id + " ~ " + b.id +
                         " gold=" + gold + " got=" + got + " containment=" + std::to_string(cont) +
                         " edits=" + v.edits);
      }
      if (gold == "exact_duplicate") {
        ++exact_total;
        exact_hit += got == "exact_duplicate" ? 1 : 0;
      }
      {
        const bool gp = gold == "partial_overlap", pp = got == "partial_overlap";
        if (gp && pp) ++partial.tp;
        if (gp && !pp) ++partial.fn;
        if (!gp && pp) ++partial.fp;
      }
    }
  }
  std::sort(pos_containment.begin(), pos_containment.end());
  std::sort(neg_containment.begin(), neg_containment.end());
  auto pct = [](const std::vector<double>& v, double q) {
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  };
  std::printf(
      "labelled set %s: %zu base articles, %zu variants, %ld base pairs + %zu "
      "variant pairs\n",
      labelled.c_str(), bases.size(), variants.size(), base_pairs, variants.size() * bases.size());
  std::printf("options: %s\n", options.c_str());
  std::printf(
      "near-duplicates (exact or near, pair level): precision %.4f  recall %.4f  "
      "(tp %ld fp %ld fn %ld tn %ld)\n",
      near.Precision(), near.Recall(), near.tp, near.fp, near.fn, near.tn);
  std::printf("exact duplicates (typography-only copies called exact): %ld/%ld\n", exact_hit,
              exact_total);
  std::printf(
      "partial overlaps (reported separately): precision %.4f  recall %.4f  "
      "(tp %ld fp %ld fn %ld)\n",
      partial.Precision(), partial.Recall(), partial.tp, partial.fp, partial.fn);
  for (const auto& [k, c] : by_edit) {
    std::printf("  pairs vs %-16s tp %5ld fp %5ld fn %5ld tn %6ld\n", k.c_str(), c.tp, c.fp, c.fn,
                c.tn);
  }
  std::printf("containment of true duplicate pairs: min %.3f p1 %.3f p5 %.3f median %.3f\n",
              pct(pos_containment, 0), pct(pos_containment, 0.01), pct(pos_containment, 0.05),
              pct(pos_containment, 0.5));
  std::printf(
      "containment of related non-duplicate pairs (partials, hard negatives, donors): "
      "median %.3f p95 %.3f max %.3f\n",
      pct(neg_containment, 0.5), pct(neg_containment, 0.95),
      neg_containment.empty() ? 0.0 : neg_containment.back());
  for (const auto& m : misses) std::printf("  %s\n", m.c_str());
  const bool pass = seeds_rc == 0 && near.Precision() >= 0.99 && near.Recall() >= 0.97;
  std::printf("quality bars (seeds 5/5, precision >= 0.99, recall >= 0.97): %s\n",
              pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
