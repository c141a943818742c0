// newsflow-eval-clean: quality figures of the clean stage.
//
//   newsflow-eval-clean [--shared DIR] [--verbose] [--only NAME]
//
// 1. Scorer check: scores reference/trafilatura.json against ground_truth.json with our
//    ROUGE-LSum and compares with the published per-page figures (reference/rouge_lsum.tsv).
// 2. Fundus pages: runs every html/*.html.gz through the clean stage exactly as the daemon
//    does (RecordProcessor, JSON record in, Article out) and prints mean ROUGE-LSum P/R/F1 of
//    dateline + text against the ground-truth body.
// 3. Seeds: checks every clean/title/dateline expectation of seeds/gold.json.
// Exit status 0 when all ran (figures are printed, not asserted), 2 on missing data.
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "stages/clean/clean_stage.h"
#include "stages/core/chain.h"
#include "stages/core/processor.h"
#include "stages/core/registry.h"
#include "tools/clean/files.h"
#include "tools/clean/rouge.h"

namespace fs = std::filesystem;
using newsflow::clean_tools::RougeLsum;
using newsflow::clean_tools::RougeScore;

namespace {

using newsflow::clean_tools::ReadAll;
using newsflow::clean_tools::ReadGzip;

using Bodies = std::map<std::string, std::vector<std::string>>;

Bodies LoadBodies(const fs::path& p) {
  Bodies out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(p.string()).get(doc)) return out;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return out;
  for (auto kv : obj) {
    std::vector<std::string> lines;
    simdjson::dom::array body;
    if (!kv.value["body"].get_array().get(body)) {
      for (auto x : body) {
        std::string_view s;
        if (!x.get_string().get(s)) lines.emplace_back(s);
      }
    }
    out.emplace(std::string(kv.key), std::move(lines));
  }
  return out;
}

// The ground truth marks optional paragraphs with [brackets]: the teaser/summary before the
// body and notes after it. The published figures count them when an extractor returns them
// and not otherwise, so the score is the best of counting or not counting the leading and
// the trailing bracketed runs.
RougeScore ScoreAgainstTruth(const std::vector<std::string>& truth,
                             const std::vector<std::string>& candidate) {
  auto bracketed = [](const std::string& s) {
    return s.size() >= 2 && s.front() == '[' && s.back() == ']';
  };
  size_t lead = 0;
  while (lead < truth.size() && bracketed(truth[lead])) ++lead;
  size_t trail = truth.size();
  while (trail > lead && bracketed(truth[trail - 1])) --trail;
  RougeScore best;
  bool first = true;
  for (int variant = 0; variant < 4; ++variant) {
    if ((variant & 1) && lead == 0) continue;
    if ((variant & 2) && trail == truth.size()) continue;
    const size_t b = (variant & 1) ? lead : 0;
    const size_t e = (variant & 2) ? trail : truth.size();
    const std::vector<std::string> ref(truth.begin() + static_cast<std::ptrdiff_t>(b),
                                       truth.begin() + static_cast<std::ptrdiff_t>(e));
    const RougeScore s = RougeLsum(ref, candidate);
    if (first || s.f1 > best.f1) best = s;
    first = false;
  }
  return best;
}

struct Runner {
  newsflow::StageRegistry registry;
  std::unique_ptr<newsflow::Pipeline> pipeline;
  std::unique_ptr<newsflow::RecordProcessor> processor;

  bool Init() {
    registry.Add(newsflow::MakeCleanStageFactory());
    newsflow::config::Errors errors;
    YAML::Node stages = YAML::Load("clean: {on_empty: continue}");
    pipeline = newsflow::Pipeline::Build({"clean"}, stages, registry, &errors);
    if (!errors.empty() || !pipeline) {
      std::cerr << errors.Joined() << "\n";
      return false;
    }
    newsflow::StageEnvironment env;
    if (!pipeline->Prepare(env).ok()) return false;
    newsflow::PipelineInfo info{"eval", pipeline->StageVersions()};
    processor =
        std::make_unique<newsflow::RecordProcessor>(*pipeline, newsflow::ParseOptions{}, info, 0);
    return true;
  }

  const newsflow::ProcessResult& Run(std::string_view id, std::string_view field,
                                     std::string_view body, std::string_view title = {}) {
    std::string record = "{\"id\":";
    newsflow::AppendJsonString(&record, id);
    if (!title.empty()) {
      record += ",\"title\":";
      newsflow::AppendJsonString(&record, title);
    }
    record += ",\"";
    record += field;
    record += "\":";
    newsflow::AppendJsonString(&record, body);
    record += "}";
    newsflow::Origin origin;
    return processor->Process(record, {}, origin, 0);
  }
};

std::vector<std::string> BodyOf(const newsflow::Article& a) {
  std::vector<std::string> out;
  size_t start = 0;
  const std::string& t = a.text;
  while (start < t.size()) {
    size_t end = t.find("\n\n", start);
    if (end == std::string::npos) end = t.size();
    out.push_back(t.substr(start, end - start));
    start = end + 2;
  }
  // The dateline is the start of the publisher's first paragraph.
  if (!a.dateline.empty()) {
    if (out.empty()) out.emplace_back();
    out.front() = a.dateline + " " + out.front();
  }
  return out;
}

int CheckScorer(const fs::path& dir) {
  const Bodies truth = LoadBodies(dir / "ground_truth.json");
  const Bodies traf = LoadBodies(dir / "reference" / "trafilatura.json");
  std::ifstream tsv(dir / "reference" / "rouge_lsum.tsv");
  std::map<std::string, double> published;
  std::string line;
  while (std::getline(tsv, line)) {
    std::stringstream ss(line);
    std::string scraper, article, p, r, f;
    std::getline(ss, scraper, '\t');
    std::getline(ss, article, '\t');
    std::getline(ss, p, '\t');
    std::getline(ss, r, '\t');
    std::getline(ss, f, '\t');
    if (scraper == "trafilatura") published[article] = std::stod(f);
  }
  if (truth.empty() || traf.empty() || published.empty()) {
    std::cerr << "scorer check: reference data missing under " << dir << "\n";
    return 2;
  }
  double sum_ours = 0, sum_pub = 0, sum_abs = 0, max_abs = 0;
  int n = 0, within = 0;
  for (const auto& [name, f_pub] : published) {
    const auto t = truth.find(name);
    const auto c = traf.find(name);
    if (t == truth.end() || c == traf.end()) continue;
    const double f = ScoreAgainstTruth(t->second, c->second).f1;
    sum_ours += f;
    sum_pub += f_pub;
    const double d = std::fabs(f - f_pub);
    sum_abs += d;
    max_abs = std::max(max_abs, d);
    within += d <= 0.005 ? 1 : 0;
    ++n;
  }
  std::printf("scorer check (trafilatura.json vs published rouge_lsum.tsv, %d pages):\n", n);
  std::printf(
      "  mean F1 ours %.4f, published %.4f; per-page |diff| mean %.4f max %.4f; "
      "%d/%d pages within 0.005\n",
      sum_ours / n, sum_pub / n, sum_abs / n, max_abs, within, n);
  return 0;
}

int EvalFundus(const fs::path& dir, Runner& runner, bool verbose, const std::string& only) {
  const Bodies truth = LoadBodies(dir / "ground_truth.json");
  if (truth.empty()) return 2;
  double sp = 0, sr = 0, sf = 0;
  int n = 0;
  for (const auto& [name, body] : truth) {
    if (!only.empty() && name.find(only) == std::string::npos) continue;
    const std::string html = ReadGzip(dir / "html" / name);
    const auto& res = runner.Run(name, "html", html);
    std::vector<std::string> cand;
    if (res.article && res.fate == newsflow::RecordFate::kOutput) cand = BodyOf(*res.article);
    const RougeScore s = ScoreAgainstTruth(body, cand);
    sp += s.precision;
    sr += s.recall;
    sf += s.f1;
    ++n;
    if (verbose) {
      std::printf("  %-28s P %.4f R %.4f F1 %.4f  title: %s\n", name.c_str(), s.precision, s.recall,
                  s.f1, res.article ? res.article->title.substr(0, 70).c_str() : "");
    }
    if (!only.empty() && res.article) {
      std::printf(
          "---- title: %s\n---- byline: %s\n---- published: %s\n---- dateline: %s\n"
          "---- description: %s\n---- text:\n%s\n",
          res.article->title.c_str(), res.article->byline.c_str(),
          res.article->published_at.c_str(), res.article->dateline.c_str(),
          res.article->description.c_str(), res.article->text.c_str());
    }
  }
  std::printf(
      "fundus pages (%d): ROUGE-LSum precision %.4f recall %.4f F1 %.4f "
      "(mean over pages; trafilatura 0.9362, Fundus 0.9769)\n",
      n, sp / n, sr / n, sf / n);
  return 0;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int EvalSeeds(const fs::path& dir, Runner& runner) {
  simdjson::dom::parser parser;
  simdjson::dom::element gold;
  if (parser.load((dir / "gold.json").string()).get(gold)) {
    std::cerr << "seeds: cannot read " << dir / "gold.json"
              << "\n";
    return 2;
  }
  int checks = 0, passed = 0;
  auto check = [&](bool ok, const std::string& what) {
    ++checks;
    passed += ok ? 1 : 0;
    if (!ok) std::printf("  FAIL %s\n", what.c_str());
  };
  for (auto a : gold["articles"].get_array()) {
    const std::string file(std::string_view(a["file"].get_string().value()));
    const std::string text = ReadAll(dir / file);
    const auto& res = runner.Run(file, "text", text);
    if (!res.article || res.fate != newsflow::RecordFate::kOutput) {
      check(false, file + ": not output");
      continue;
    }
    const newsflow::Article& art = *res.article;
    simdjson::dom::object clean;
    if (!a["clean"].get_object().get(clean)) {
      simdjson::dom::array arr;
      if (!clean["must_contain"].get_array().get(arr)) {
        for (auto s : arr) {
          const std::string_view v = s.get_string().value();
          check(art.text.find(v) != std::string::npos,
                file + " text contains \"" + std::string(v) + "\"");
        }
      }
      if (!clean["must_not_contain"].get_array().get(arr)) {
        for (auto s : arr) {
          const std::string_view v = s.get_string().value();
          check(art.text.find(v) == std::string::npos,
                file + " text lacks \"" + std::string(v) + "\"");
        }
      }
    }
    std::string_view title;
    if (!a["title"].get_string().get(title)) {
      check(art.title == title, file + " title \"" + art.title + "\"");
    }
    simdjson::dom::object dl;
    if (!a["dateline"].get_object().get(dl)) {
      for (const char* key : {"place", "date", "agency"}) {
        std::string_view v;
        if (!dl[key].get_string().get(v)) {
          check(Lower(art.dateline).find(Lower(std::string(v))) != std::string::npos,
                file + " dateline \"" + art.dateline + "\" has " + key + " " + std::string(v));
        }
      }
    }
  }
  std::printf("seeds: %d/%d expectations hold\n", passed, checks);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path shared = fs::path(NEWSFLOW_SOURCE_DIR) / ".." / "shared";
  bool verbose = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--shared" && i + 1 < argc) {
      shared = argv[++i];
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::cerr << "usage: newsflow-eval-clean [--shared DIR] [--verbose] [--only NAME]\n";
      return 2;
    }
  }
  Runner runner;
  if (!runner.Init()) return 2;
  const fs::path fundus = shared / "data" / "cleaning" / "fundus";
  int rc = 0;
  if (only.empty()) rc |= CheckScorer(fundus);
  rc |= EvalFundus(fundus, runner, verbose, only);
  if (only.empty()) rc |= EvalSeeds(shared / "seeds", runner);
  return rc;
}
