#include "tools/entities/ner_eval.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include "config/section.h"
#include "stages/entities/conll.h"
#include "stages/entities/entities_stage.h"

namespace newsflow::entities {

std::vector<TagSpan> SpansOf(const std::vector<uint8_t>& tags) {
  std::vector<TagSpan> out;
  for (size_t i = 0; i < tags.size();) {
    if (tags[i] == kO) {
      ++i;
      continue;
    }
    int type = TagType(tags[i]);
    size_t e = i + 1;
    while (e < tags.size() && tags[e] == InsideTag(type)) ++e;
    out.push_back({i, e, type});
    i = e;
  }
  return out;
}

void CountSpans(const std::vector<uint8_t>& gold, const std::vector<uint8_t>& pred,
                ConllScores* s) {
  auto g = SpansOf(gold);
  auto p = SpansOf(pred);
  std::set<std::tuple<size_t, size_t, int>> gs, ps;
  for (auto& x : g) gs.insert({x.begin, x.end, x.type});
  for (auto& x : p) ps.insert({x.begin, x.end, x.type});
  for (auto& x : ps) {
    auto& c = s->by_type[std::get<2>(x)];
    if (gs.count(x)) ++c.tp;
    else ++c.fp;
  }
  for (auto& x : gs)
    if (!ps.count(x)) ++s->by_type[std::get<2>(x)].fn;
  s->tokens += static_cast<long>(gold.size());
}

Result<ConllScores> EvaluateConll(const std::string& path, const Model& model, bool consistency,
                                  bool score_every_token,
                                  const std::string& dump) {
  std::ofstream dump_out;
  if (!dump.empty()) dump_out.open(dump);
  auto docs = ReadConll(path, ConllOptions{});
  if (!docs.ok()) return docs.error();
  ConllScores s;
  TaggerScratch scratch;
  DocumentView view;
  std::vector<uint8_t> pred;
  for (const auto& d : *docs) {
    view.words.assign(d.words.begin(), d.words.end());
    view.sentence_start = d.sentence_start;
    model.TagDocument(view, &scratch, &pred, consistency, score_every_token);
    CountSpans(d.tags, pred, &s);
    if (dump_out) {
      for (size_t i = 0; i < d.words.size(); ++i) {
        if (d.sentence_start[i] && i > 0) dump_out << "\n";
        dump_out << d.words[i] << '\t' << TagName(d.tags[i]) << '\t' << TagName(pred[i]) << '\n';
      }
      dump_out << "\n";
    }
  }
  for (int t = 0; t < 4; ++t) {
    auto& c = s.by_type[t];
    s.micro_all.tp += c.tp;
    s.micro_all.fp += c.fp;
    s.micro_all.fn += c.fn;
    if (t < 3) {
      s.micro_pol.tp += c.tp;
      s.micro_pol.fp += c.fp;
      s.micro_pol.fn += c.fn;
    }
  }
  return s;
}

std::string FormatScores(const std::string& title, const ConllScores& s) {
  std::ostringstream o;
  char line[200];
  o << title << " (" << s.tokens << " tokens; entity-level, exact span and type)\n";
  std::snprintf(line, sizeof(line), "  %-16s %9s %9s %9s %7s %7s %7s\n", "type", "precision",
                "recall", "F1", "tp", "fp", "fn");
  o << line;
  auto row = [&](const char* name, const TypeCounts& c) {
    std::snprintf(line, sizeof(line), "  %-16s %9.2f %9.2f %9.2f %7ld %7ld %7ld\n", name,
                  100 * c.Precision(), 100 * c.Recall(), 100 * c.F1(), c.tp, c.fp, c.fn);
    o << line;
  };
  row("PER", s.by_type[0]);
  row("ORG", s.by_type[1]);
  row("LOC", s.by_type[2]);
  row("micro PER/ORG/LOC", s.micro_pol);
  row("MISC", s.by_type[3]);
  row("micro all four", s.micro_all);
  return o.str();
}

Result<std::vector<SeedArticleResult>> CheckSeeds(const std::string& shared,
                                                  const std::string& model_dir) {
  namespace fs = std::filesystem;
  fs::path seeds = fs::path(shared) / "seeds";
  simdjson::dom::parser parser;
  simdjson::dom::element gold;
  auto err = parser.load((seeds / "gold.json").string()).get(gold);
  if (err) return MakeError("cannot read " + (seeds / "gold.json").string(), "io");

  auto factory = MakeEntitiesStageFactory();
  config::Errors errors;
  YAML::Node node = YAML::Load("model_dir: \"" + model_dir + "\"");
  config::Section section(node, "stages.entities", &errors);
  auto cfg = factory->Parse(section);
  if (!errors.empty()) return MakeError(errors.Joined(), "config");
  StageEnvironment env;
  Status st = cfg->Prepare(env);
  if (!st.ok()) return st.error();
  auto worker = cfg->CreateWorker();

  std::vector<SeedArticleResult> results;
  for (auto a : gold["articles"].get_array()) {
    SeedArticleResult r;
    r.file = std::string(std::string_view(a["file"]));
    std::ifstream in(seeds / r.file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Article article;
    article.id = r.file;
    article.input_text = ss.str();
    StageContext ctx;
    worker->Process(article, ctx);
    std::set<std::pair<std::string, std::string>> required;
    std::set<std::string> optional;
    auto ents = a["entities"];
    for (auto [type, names] : ents["required"].get_object()) {
      for (auto nm : names.get_array())
        required.insert({std::string(type), std::string(std::string_view(nm))});
    }
    for (auto nm : ents["optional"].get_array()) optional.insert(std::string(std::string_view(nm)));
    std::set<std::pair<std::string, std::string>> found;
    if (article.entities) {
      for (const auto& e : *article.entities) found.insert({e.type, e.name});
    }
    r.required = static_cast<int>(required.size());
    for (const auto& q : required) {
      if (found.count(q)) ++r.required_found;
      else r.missing.push_back(q.first + " " + q.second);
    }
    for (const auto& f : found) {
      ++r.output;
      if (required.count(f) || optional.count(f.second)) ++r.output_in_gold;
      else r.extra.push_back(f.first + " " + f.second);
    }
    results.push_back(std::move(r));
  }
  return results;
}

std::string FormatSeeds(const std::vector<SeedArticleResult>& results) {
  std::ostringstream o;
  char line[300];
  o << "seeds: required entities found (type and canonical name); output entities listed in "
       "gold (required or optional)\n";
  int rq = 0, rf = 0, out = 0, ing = 0;
  for (const auto& r : results) {
    std::snprintf(line, sizeof(line),
                  "  %-26s required %2d/%-2d  output in gold %2d/%-2d (%.0f%%)\n",
                  r.file.c_str(), r.required_found, r.required, r.output_in_gold, r.output,
                  r.output ? 100.0 * r.output_in_gold / r.output : 0.0);
    o << line;
    for (const auto& m : r.missing) o << "      missing: " << m << "\n";
    for (const auto& m : r.extra) o << "      extra:   " << m << "\n";
    rq += r.required;
    rf += r.required_found;
    out += r.output;
    ing += r.output_in_gold;
  }
  std::snprintf(line, sizeof(line), "  %-26s required %d/%d  output in gold %d/%d (%.1f%%)\n",
                "all", rf, rq, ing, out, out ? 100.0 * ing / out : 0.0);
  o << line;
  return o.str();
}

}  // namespace newsflow::entities
