// newsflow-bench-language: single-core throughput of the language stage on news-length text.
//
//   newsflow-bench-language [--shared DIR] [--model FILE] [--group-model FILE] [--seconds S]
//                           [--option KEY=VALUE ...] [--by-language]
//
// --shared defaults to <repo>/../shared; the models default to the ones the build made ("none"
// runs without); --option sets any other option of stages.language. Two corpora: the five
// seed articles (English news pages, title + body), and documents of 15 consecutive sentences
// from every language file of ../shared/data/langid/sentences (odd lines). Each is run through
// one stage worker (Process, as in the daemon, without record parsing) in a loop for about S
// seconds of this thread's CPU time; prints MB/s and articles/s per core. --by-language also
// prints the documents' throughput per language (slowest first), to find where time goes.
#include <time.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "stages/language/language_stage.h"

namespace fs = std::filesystem;

namespace {

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double Run(newsflow::Stage* stage, std::vector<newsflow::Article>* corpus, double seconds,
           double* articles_per_s) {
  size_t bytes_per_round = 0;
  for (const auto& a : *corpus) bytes_per_round += a.title.size() + a.BodyText().size();
  newsflow::StageContext ctx;
  size_t rounds = 0;
  // CPU time of this thread, not wall time: the figure is per core even on a busy machine.
  const auto cpu_now = []() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
  };
  const double t0 = cpu_now();
  double elapsed = 0;
  do {
    for (auto& a : *corpus) (void)stage->Process(a, ctx);
    ++rounds;
    elapsed = cpu_now() - t0;
  } while (elapsed < seconds);
  *articles_per_s = double(rounds * corpus->size()) / elapsed;
  return double(rounds * bytes_per_round) / elapsed / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared, model, group_model;
  std::vector<std::pair<std::string, std::string>> stage_options;  // --option KEY=VALUE
  double seconds = 3;
  bool by_language = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--shared") {
      shared = next();
    } else if (a == "--model") {
      model = next();
    } else if (a == "--option") {
      const std::string kv = next();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::cerr << "--option takes KEY=VALUE\n";
        return 2;
      }
      stage_options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--group-model") {
      group_model = next();
    } else if (a == "--by-language") {
      by_language = true;
    } else if (a == "--seconds") {
      seconds = std::atof(next().c_str());
    } else {
      std::cerr << "usage: newsflow-bench-language [--shared DIR] [--model FILE] "
                   "[--group-model FILE] [--seconds S] [--option KEY=VALUE] [--by-language]\n";
      return 2;
    }
  }
  if (model.empty()) model = NEWSFLOW_LANGUAGE_MODELS_DIR "/language-ngrams.bin";
  if (group_model.empty()) group_model = NEWSFLOW_LANGUAGE_MODELS_DIR "/language-groups.bin";
  if (model == "none") model.clear();
  if (group_model == "none") group_model.clear();
  if (shared.empty()) {
    shared = (fs::path(NEWSFLOW_REPO_DIR) / ".." / "shared").string();
  }
  auto factory = newsflow::MakeLanguageStageFactory();
  YAML::Node node;
  node["model"] = model;
  if (!group_model.empty()) node["group_model"] = group_model;
  for (const auto& [key, value] : stage_options) node[key] = YAML::Load(value);
  newsflow::config::Errors errors;
  newsflow::config::Section section(node, "stages.language", &errors);
  auto config = factory->Parse(section);
  if (!errors.empty()) {
    std::cerr << errors.Joined() << "\n";
    return 1;
  }
  const newsflow::Status st = config->Prepare(newsflow::StageEnvironment{});
  if (!st.ok()) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  auto stage = config->CreateWorker();

  std::error_code dir_error;  // a missing folder leaves its corpus empty (reported below)
  std::vector<newsflow::Article> seeds;
  for (const auto& e : fs::directory_iterator(fs::path(shared) / "seeds", dir_error)) {
    if (e.path().extension() != ".txt") continue;
    const std::string all = Read(e.path());
    const size_t nl = all.find('\n');
    newsflow::Article a;
    a.title = all.substr(0, nl);
    a.input_text = nl == std::string::npos ? "" : all.substr(nl + 1);
    seeds.push_back(std::move(a));
  }
  std::vector<newsflow::Article> docs;
  std::vector<std::pair<std::string, std::vector<newsflow::Article>>> docs_by_language;
  for (const auto& e :
       fs::directory_iterator(fs::path(shared) / "data/langid/sentences", dir_error)) {
    std::istringstream in(Read(e.path()));
    std::vector<std::string> lines;
    std::string line;
    for (size_t i = 0; std::getline(in, line); ++i) {
      if (i % 2 == 1) lines.push_back(line);
    }
    docs_by_language.emplace_back(e.path().stem().string(), std::vector<newsflow::Article>());
    for (size_t start = 0; start + 15 <= lines.size(); start += 15) {
      newsflow::Article a;
      for (size_t k = 0; k < 15; ++k) {
        if (k > 0) a.input_text += k % 3 == 0 ? "\n\n" : " ";
        a.input_text += lines[start + k];
      }
      docs_by_language.back().second.push_back(a);
      docs.push_back(std::move(a));
    }
  }
  if (seeds.empty() || docs.empty()) {
    std::cerr << "no seeds or sentences under " << shared << "\n";
    return 1;
  }
  std::cout << "language stage " << config->Version() << ", one core\n" << std::fixed;
  double aps = 0;
  double mbs = Run(stage.get(), &seeds, seconds, &aps);
  std::cout << "  seeds (5 English news pages): " << std::setprecision(1) << mbs << " MB/s, "
            << std::setprecision(0) << aps << " articles/s\n";
  mbs = Run(stage.get(), &docs, seconds, &aps);
  std::cout << "  15-sentence documents, " << docs.size()
            << " in 75 languages: " << std::setprecision(1) << mbs << " MB/s, "
            << std::setprecision(0) << aps << " articles/s\n";
  if (by_language) {
    // A shorter run per language: relative costs, not headline figures.
    std::vector<std::pair<double, std::string>> rows;
    for (auto& [code, corpus] : docs_by_language) {
      if (corpus.empty()) continue;
      rows.emplace_back(Run(stage.get(), &corpus, seconds / 10, &aps), code);
    }
    std::sort(rows.begin(), rows.end());
    std::cout << "  per language (MB/s, slowest first):\n";
    for (const auto& [speed, code] : rows) {
      std::cout << "    " << code << " " << std::setprecision(1) << speed << "\n";
    }
  }
  return 0;
}
