// newsflow-eval-language: accuracy of the language stage on the development set and the seeds.
//
//   newsflow-eval-language [--shared DIR] [--model FILE] [--group-model FILE]
//                          [--lines odd|even|all|K/M] [--doc-stride N] [--doc-sentences N]
//                          [--errors N] [--option KEY=VALUE ...]
//
// --option sets any other option of stages.language (README.md), e.g. max_ngram_letters=500.
// The models default to the ones the build made; "none" runs without (--model none: CLD2 and
// scripts only). Reads ../shared/data/langid/{sentences,word-pairs,single-words}/<code>.txt (one
// text per line; the file names the language) and ../shared/seeds/*.txt (first line the title).
// Every text goes through RecordProcessor with a language-only pipeline, exactly as in the daemon.
// "documents" are windows of 15 (--doc-sentences) consecutive sentence lines of one file
// (paragraphs of three sentences), one window starting every --doc-stride lines. --lines picks the
// lines used: the stage's few constants were tuned on the even lines (0-based), so the figures to
// quote are those of the odd lines (the default). Prints accuracy per language and set, the means,
// mean confidence against accuracy (calibration), the most frequent confusions, and the seeds.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "stages/core/chain.h"
#include "stages/core/processor.h"
#include "stages/core/registry.h"
#include "stages/language/language_stage.h"

namespace fs = std::filesystem;

namespace {

struct Options {
  std::string shared;
  std::string model;
  std::string group_model;
  std::vector<std::pair<std::string, std::string>> stage_options;  // --option KEY=VALUE
  std::string lines = "odd";
  int doc_stride = 5;
  int doc_sentences = 15;
  int errors = 0;
};

struct SetResult {
  std::map<std::string, std::pair<int, int>> per_language;  // correct, total
  std::map<std::pair<std::string, std::string>, int> confusions;
  double confidence_sum = 0;
  int correct = 0;
  int total = 0;
  double seconds = 0;
  // Calibration: 10 confidence bins of (count, correct, confidence sum).
  double bins[10][3] = {};
};

class Runner {
 public:
  bool Init(const Options& o) {
    registry_.Add(newsflow::MakeLanguageStageFactory());
    YAML::Node stages;
    stages["language"]["model"] = o.model;
    if (!o.group_model.empty()) stages["language"]["group_model"] = o.group_model;
    for (const auto& [key, value] : o.stage_options) {
      stages["language"][key] = YAML::Load(value);
    }
    newsflow::config::Errors errors;
    pipeline_ = newsflow::Pipeline::Build({"language"}, stages, registry_, &errors);
    if (!errors.empty() || !pipeline_) {
      std::cerr << errors.Joined() << "\n";
      return false;
    }
    newsflow::StageEnvironment env;
    env.shared_dir = o.shared;
    const newsflow::Status st = pipeline_->Prepare(env);
    if (!st.ok()) {
      std::cerr << st.error().message << "\n";
      return false;
    }
    newsflow::PipelineInfo info;
    info.version = newsflow::NewsflowVersion();
    info.stages = pipeline_->StageVersions();
    processor_ =
        std::make_unique<newsflow::RecordProcessor>(*pipeline_, newsflow::ParseOptions{}, info, 0);
    return true;
  }

  const newsflow::LanguageResult* Detect(std::string_view title, std::string_view text) {
    record_.clear();
    newsflow::JsonWriter w(&record_);
    w.BeginObject();
    w.Field("id", "eval");
    w.Field("title", title);
    w.Field("text", text);
    w.EndObject();
    const auto& r = processor_->Process(record_, "", origin_, 0);
    if (r.fate != newsflow::RecordFate::kOutput || r.article == nullptr || !r.article->language) {
      return nullptr;
    }
    return &*r.article->language;
  }

 private:
  newsflow::StageRegistry registry_;
  std::unique_ptr<newsflow::Pipeline> pipeline_;
  std::unique_ptr<newsflow::RecordProcessor> processor_;
  std::string record_;
  newsflow::Origin origin_;
};

std::vector<std::string> ReadLines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// "odd" = 1/2, "even" = 0/2, "all" = 0/1, or "K/M": the 0-based lines i with i % M == K.
bool ParseLines(const std::string& which, size_t* k, size_t* m) {
  if (which == "odd") return *k = 1, *m = 2, true;
  if (which == "even") return *k = 0, *m = 2, true;
  if (which == "all") return *k = 0, *m = 1, true;
  const size_t slash = which.find('/');
  if (slash == std::string::npos) return false;
  *k = std::strtoul(which.substr(0, slash).c_str(), nullptr, 10);
  *m = std::strtoul(which.substr(slash + 1).c_str(), nullptr, 10);
  return *m > 0 && *k < *m;
}

std::vector<std::string> Pick(const std::vector<std::string>& lines, const std::string& which) {
  std::vector<std::string> out;
  size_t k = 0, m = 1;
  ParseLines(which, &k, &m);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].empty() && i % m == k) out.push_back(lines[i]);
  }
  return out;
}

void Score(Runner* runner, const std::string& lang, const std::string& text, const Options& o,
           const char* set, SetResult* r) {
  const newsflow::LanguageResult* res = runner->Detect("", text);
  const std::string got = res ? res->code : "(failed)";
  const double conf = res ? res->confidence : 0;
  const bool ok = got == lang;
  auto& pl = r->per_language[lang];
  pl.first += ok;
  ++pl.second;
  r->correct += ok;
  ++r->total;
  r->confidence_sum += conf;
  const int bin = std::clamp(static_cast<int>(conf * 10), 0, 9);
  r->bins[bin][0] += 1;
  r->bins[bin][1] += ok;
  r->bins[bin][2] += conf;
  if (!ok) {
    ++r->confusions[{lang, got}];
    if (o.errors > 0 && r->confusions[{lang, got}] <= o.errors) {
      std::cerr << set << " " << lang << " -> " << got << " (" << conf
                << "): " << text.substr(0, 160) << "\n";
    }
  }
}

double Mean(const SetResult& r) {
  double sum = 0;
  for (const auto& [lang, ct] : r.per_language) sum += double(ct.first) / ct.second;
  return r.per_language.empty() ? 0 : sum / r.per_language.size();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  fs::path exe_dir = fs::absolute(argv[0]).parent_path();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--shared") {
      o.shared = next();
    } else if (a == "--model") {
      o.model = next();
    } else if (a == "--option") {
      const std::string kv = next();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::cerr << "--option takes KEY=VALUE\n";
        return 2;
      }
      o.stage_options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--group-model") {
      o.group_model = next();
    } else if (a == "--lines") {
      o.lines = next();
    } else if (a == "--doc-stride") {
      o.doc_stride = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--doc-sentences") {
      o.doc_sentences = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--errors") {
      o.errors = std::atoi(next().c_str());
    } else {
      std::cerr
          << "usage: newsflow-eval-language [--shared DIR] [--model FILE] [--group-model FILE] "
             "[--lines odd|even|all|K/M] [--doc-stride N] [--doc-sentences N] [--errors N]\n";
      return 2;
    }
  }
  size_t lines_k = 0, lines_m = 1;
  if (!ParseLines(o.lines, &lines_k, &lines_m)) {
    std::cerr << "--lines must be odd, even, all or K/M\n";
    return 2;
  }
  // Default: the models the build made (CMake target language_models).
  if (o.model.empty()) o.model = NEWSFLOW_LANGUAGE_MODELS_DIR "/language-ngrams.bin";
  if (o.group_model.empty()) o.group_model = NEWSFLOW_LANGUAGE_MODELS_DIR "/language-groups.bin";
  if (o.model == "none") o.model.clear();
  if (o.group_model == "none") o.group_model.clear();
  if (o.shared.empty()) {
    o.shared = (fs::path(NEWSFLOW_REPO_DIR) / ".." / "shared").string();
  }
  Runner runner;
  if (!runner.Init(o)) return 1;

  const fs::path langid = fs::path(o.shared) / "data" / "langid";
  const char* kSets[] = {"sentences", "word-pairs", "single-words"};
  std::map<std::string, SetResult> results;
  std::vector<std::string> languages;
  std::error_code dir_error;  // a missing folder is reported as "no languages" / no seeds
  for (const auto& e : fs::directory_iterator(langid / "sentences", dir_error)) {
    if (e.path().extension() == ".txt") languages.push_back(e.path().stem().string());
  }
  std::sort(languages.begin(), languages.end());
  if (languages.empty()) {
    std::cerr << "no languages under " << langid << "\n";
    return 1;
  }
  for (const char* set : kSets) {
    SetResult& r = results[set];
    const auto t0 = std::chrono::steady_clock::now();
    for (const std::string& lang : languages) {
      for (const std::string& text : Pick(ReadLines(langid / set / (lang + ".txt")), o.lines)) {
        Score(&runner, lang, text, o, set, &r);
      }
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  {
    SetResult& r = results["documents"];
    const auto t0 = std::chrono::steady_clock::now();
    for (const std::string& lang : languages) {
      const auto lines = Pick(ReadLines(langid / "sentences" / (lang + ".txt")), o.lines);
      const auto n = static_cast<size_t>(o.doc_sentences);
      for (size_t start = 0; start + n <= lines.size(); start += o.doc_stride) {
        std::string doc;
        for (size_t k = 0; k < n; ++k) {
          if (k > 0) doc += k % 3 == 0 ? "\n\n" : " ";
          doc += lines[start + k];
        }
        Score(&runner, lang, doc, o, "documents", &r);
      }
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  const char* kAll[] = {"sentences", "word-pairs", "single-words", "documents"};
  std::cout << "language identification, " << o.lines << " lines of " << langid.string() << "\n\n";
  std::cout << "lang  sentences  word-pairs  single-words  documents\n";
  std::cout << std::fixed << std::setprecision(1);
  for (const std::string& lang : languages) {
    std::cout << std::left << std::setw(6) << lang << std::right;
    for (const char* set : kAll) {
      const auto& ct = results[set].per_language[lang];
      std::cout << std::setw(set == kAll[0]   ? 9
                             : set == kAll[3] ? 11
                                              : 12)
                << (ct.second ? 100.0 * ct.first / ct.second : 0.0);
    }
    std::cout << "\n";
  }
  std::cout << "\nmean over " << languages.size() << " languages (bar):\n";
  const double bars[] = {97.0, 90.0, 75.0, 99.9};
  for (int k = 0; k < 4; ++k) {
    const SetResult& r = results[kAll[k]];
    const double mean = 100.0 * Mean(r);
    std::cout << "  " << std::left << std::setw(13) << kAll[k] << std::right << std::setw(6)
              << std::setprecision(2) << mean << "%  (bar " << std::setprecision(1) << bars[k]
              << "%: " << (mean >= bars[k] ? "met" : "NOT met") << ")  n=" << r.total
              << "  mean confidence " << std::setprecision(3) << r.confidence_sum / r.total
              << "  accuracy " << double(r.correct) / r.total;
    double ece = 0;
    for (const auto& b : r.bins) {
      if (b[0] > 0) ece += std::abs(b[1] - b[2]);
    }
    std::cout << "  ECE " << ece / r.total << "  " << std::setprecision(1) << r.total / r.seconds
              << " texts/s\n";
  }
  std::cout << "\nmost frequent confusions (truth -> verdict: count):\n";
  for (const char* set : kAll) {
    std::vector<std::pair<int, std::string>> top;
    for (const auto& [pair, n] : results[set].confusions) {
      top.emplace_back(n, pair.first + "->" + pair.second);
    }
    std::sort(top.rbegin(), top.rend());
    std::cout << "  " << std::left << std::setw(13) << set << std::right;
    for (size_t i = 0; i < std::min<size_t>(top.size(), 10); ++i) {
      std::cout << " " << top[i].second << ":" << top[i].first;
    }
    std::cout << "\n";
  }

  std::cout << "\nseeds (expected en):\n";
  std::vector<fs::path> seeds;
  for (const auto& e : fs::directory_iterator(fs::path(o.shared) / "seeds", dir_error)) {
    if (e.path().extension() == ".txt") seeds.push_back(e.path());
  }
  std::sort(seeds.begin(), seeds.end());
  int seeds_en = 0;
  for (const fs::path& p : seeds) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string all = ss.str();
    const size_t nl = all.find('\n');
    const std::string title = all.substr(0, nl);
    const std::string body = nl == std::string::npos ? "" : all.substr(nl + 1);
    const newsflow::LanguageResult* r = runner.Detect(title, body);
    std::cout << "  " << p.filename().string() << ": ";
    if (r == nullptr) {
      std::cout << "(failed)\n";
      continue;
    }
    seeds_en += r->code == "en";
    std::cout << r->code << " confidence " << std::setprecision(3) << r->confidence
              << (r->reliable ? " reliable" : " not reliable");
    for (const auto& other : r->others) std::cout << "  " << other.code << ":" << other.share;
    std::cout << "\n";
  }
  std::cout << "  " << seeds_en << "/" << seeds.size() << " seeds en\n";
  return 0;
}
