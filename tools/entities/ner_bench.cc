// newsflow-ner-bench: speed and memory of the entity recognizer on one core.
//
//   newsflow-ner-bench [--shared DIR] [--model-dir DIR] [--min-tokens N] [--score-every-token]
//
// Prints: gazetteer and model load time, resident memory after loading, and tokens per second
// of Recognizer::Run (tokenize + tag + document pass + grouping) over the wikigold text
// (joined back into paragraphs), repeated until at least --min-tokens tokens were processed,
// per second of this thread's CPU time (the machine may be shared; wall time is shown too).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "stages/entities/conll.h"
#include "stages/entities/gazetteer.h"
#include "stages/entities/grouping.h"
#include "stages/entities/tagger.h"

using namespace newsflow;
using namespace newsflow::entities;

namespace {

// CPU time of this thread: on a shared machine, wall time also counts waiting for a core.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = NEWSFLOW_SOURCE_DIR "/../shared";
  std::string model_dir = NEWSFLOW_SOURCE_DIR "/models/entities";
  long min_tokens = 2000000;
  RecognizerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--score-every-token") {
      options.score_every_token = true;
      continue;
    }
    if (i + 1 >= argc) break;
    const char* value = argv[++i];
    if (flag == "--shared") shared = value;
    else if (flag == "--model-dir") model_dir = value;
    else if (flag == "--min-tokens") min_tokens = std::stol(value);
  }
  long rss0 = RssKb();
  auto t0 = std::chrono::steady_clock::now();
  Gazetteer gaz;
  if (Status s = gaz.Load(model_dir + "/gazetteer.tsv"); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  auto model = Model::Load(model_dir + "/en.model", &gaz);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  auto t2 = std::chrono::steady_clock::now();
  long rss1 = RssKb();
  std::printf("gazetteer load: %.3f s (%zu entries)\n",
              std::chrono::duration<double>(t1 - t0).count(), gaz.size());
  std::printf("model load:     %.3f s\n", std::chrono::duration<double>(t2 - t1).count());
  std::printf("memory:         %.1f MiB resident after loading (+%.1f MiB for model and "
              "gazetteer)\n",
              rss1 / 1024.0, (rss1 - rss0) / 1024.0);

  auto docs = ReadConll(shared + "/data/ner/wikigold/wikigold.conll.txt", ConllOptions{});
  if (!docs.ok()) {
    std::fprintf(stderr, "%s\n", docs.error().message.c_str());
    return 1;
  }
  std::vector<std::string> texts;
  for (const auto& d : *docs) {
    std::string t;
    for (size_t i = 0; i < d.words.size(); ++i) {
      if (i > 0) t += d.sentence_start[i] ? "\n" : " ";
      t += d.words[i];
    }
    texts.push_back(std::move(t));
  }
  Recognizer rec(model->get(), &gaz, options);
  std::vector<Entity> out;
  long tokens = 0, entities = 0;
  auto b0 = std::chrono::steady_clock::now();
  double c0 = ThreadCpuSeconds();
  while (tokens < min_tokens) {
    for (const auto& t : texts) {
      rec.Run(t, &out);
      tokens += static_cast<long>(rec.tokens().size());
      entities += static_cast<long>(out.size());
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
  double cpu = ThreadCpuSeconds() - c0;
  std::printf("recognize:      %ld tokens, %.2f s CPU (%.2f s wall) = %.0f tokens per CPU "
              "second on one core (%ld entities)\n",
              tokens, cpu, secs, tokens / cpu, entities);
  std::printf("memory:         %.1f MiB resident at the end\n", RssKb() / 1024.0);
  return 0;
}
