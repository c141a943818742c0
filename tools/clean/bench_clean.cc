// newsflow-bench-clean: throughput of the clean stage, per core (CPU time of this thread).
//
//   newsflow-bench-clean [--shared DIR] [--rounds N] [--records FILE.jsonl]
//
// HTML: the 80 Fundus pages (data/cleaning/fundus/html), pages/s and MB/s.
// Plain text: the five seeds and the trafilatura extractions of the Fundus pages
// (reference/trafilatura.json, paragraphs joined by newlines) as scraped text, MB/s.
// --records: also the CPU time per record over a JSONL file of input records (e.g. the
// end-to-end bench's mix, build/bench/mix.jsonl), HTML and text records apart.
// Figures are printed, never asserted. Wall time is shown too (the machine may be shared).
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "config/section.h"
#include "stages/clean/clean_stage.h"
#include "tools/clean/files.h"

namespace fs = std::filesystem;

namespace {

using newsflow::clean_tools::ReadAll;
using newsflow::clean_tools::ReadGzip;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Record {
  std::string title, published_at, html, text;
};

std::vector<Record> ReadRecords(const fs::path& p) {
  std::vector<Record> out;
  std::ifstream in(p);
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    simdjson::dom::element d;
    if (parser.parse(line).get(d)) continue;
    Record r;
    std::string_view v;
    if (!d["title"].get_string().get(v)) r.title = v;
    if (!d["published_at"].get_string().get(v)) r.published_at = v;
    if (!d["html"].get_string().get(v)) r.html = v;
    if (!d["text"].get_string().get(v)) r.text = v;
    out.push_back(std::move(r));
  }
  return out;
}

// CPU seconds per record, HTML and text records apart.
void RunRecords(newsflow::Stage& stage, const std::vector<Record>& records, int rounds) {
  newsflow::Article a;
  newsflow::StageContext ctx;
  double cpu[2] = {0, 0};
  size_t count[2] = {0, 0};
  for (int k = 0; k < rounds; ++k) {
    for (const auto& r : records) {
      a.Clear();
      a.title = r.title;
      a.published_at = r.published_at;
      a.input_html = r.html;
      a.input_text = r.text;
      const int kind = r.html.empty() ? 1 : 0;
      const double c0 = ThreadCpuSeconds();
      (void)stage.Process(a, ctx);
      cpu[kind] += ThreadCpuSeconds() - c0;
      ++count[kind];
    }
  }
  const size_t n = count[0] + count[1];
  std::printf(
      "records: %zu (%zu html, %zu text): %.0f us/record/core; html %.0f us, text %.1f us "
      "(CPU time)\n",
      n, count[0], count[1], n ? (cpu[0] + cpu[1]) / static_cast<double>(n) * 1e6 : 0.0,
      count[0] ? cpu[0] / static_cast<double>(count[0]) * 1e6 : 0.0,
      count[1] ? cpu[1] / static_cast<double>(count[1]) * 1e6 : 0.0);
}

struct Result {
  double cpu = 0, wall = 0, bytes = 0;
  size_t docs = 0;
};

Result Run(newsflow::Stage& stage, const std::vector<std::string>& docs, bool html, int rounds) {
  Result r;
  newsflow::Article a;
  newsflow::StageContext ctx;
  const auto w0 = std::chrono::steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  for (int k = 0; k < rounds; ++k) {
    for (const auto& d : docs) {
      a.Clear();
      (html ? a.input_html : a.input_text) = d;
      (void)stage.Process(a, ctx);
      r.bytes += static_cast<double>(d.size());
      ++r.docs;
    }
  }
  r.cpu = ThreadCpuSeconds() - c0;
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path shared = fs::path(NEWSFLOW_SOURCE_DIR) / ".." / "shared";
  int rounds = 3;
  fs::path records_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--shared" && i + 1 < argc) {
      shared = argv[++i];
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--records" && i + 1 < argc) {
      records_file = argv[++i];
    } else {
      std::cerr << "usage: newsflow-bench-clean [--shared DIR] [--rounds N] [--records FILE]\n";
      return 2;
    }
  }
  const fs::path fundus = shared / "data" / "cleaning" / "fundus";
  std::vector<std::string> pages;
  for (const auto& e : fs::directory_iterator(fundus / "html")) {
    if (e.path().extension() == ".gz") pages.push_back(ReadGzip(e.path()));
  }
  std::vector<std::string> texts;
  for (const auto& e : fs::directory_iterator(shared / "seeds")) {
    if (e.path().extension() == ".txt") texts.push_back(ReadAll(e.path()));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parser.load((fundus / "reference" / "trafilatura.json").string()).get(doc)) {
    for (auto kv : doc.get_object()) {
      std::string t;
      for (auto p : kv.value["body"].get_array()) {
        t.append(std::string_view(p.get_string().value()));
        t.push_back('\n');
      }
      texts.push_back(std::move(t));
    }
  }
  if (pages.empty() || texts.empty()) {
    std::cerr << "no data under " << shared << "\n";
    return 2;
  }
  auto factory = newsflow::MakeCleanStageFactory();
  newsflow::config::Errors errors;
  newsflow::config::Section section(YAML::Node(), "stages.clean", &errors);
  auto config = factory->Parse(section);
  if (!errors.empty() || !config->Prepare({}).ok()) return 2;
  auto stage = config->CreateWorker();
  (void)Run(*stage, pages, true, 1);  // warm-up
  const Result h = Run(*stage, pages, true, rounds);
  const Result t = Run(*stage, texts, false, rounds * 20);
  std::printf(
      "html:  %zu pages, %.1f MB: %.0f pages/s/core, %.1f MB/s/core (CPU time); "
      "wall %.0f pages/s\n",
      h.docs, h.bytes / 1e6, h.docs / h.cpu, h.bytes / 1e6 / h.cpu, h.docs / h.wall);
  std::printf(
      "text:  %zu docs, %.1f MB: %.1f MB/s/core, %.0f docs/s/core (CPU time); "
      "wall %.1f MB/s\n",
      t.docs, t.bytes / 1e6, t.bytes / 1e6 / t.cpu, t.docs / t.cpu, t.bytes / 1e6 / t.wall);
  if (!records_file.empty()) {
    const std::vector<Record> records = ReadRecords(records_file);
    if (records.empty()) {
      std::cerr << "no records in " << records_file << "\n";
      return 2;
    }
    RunRecords(*stage, records, rounds);
  }
  return 0;
}
