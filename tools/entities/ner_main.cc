// newsflow-ner: trains and evaluates the entity tagger.
//
//   newsflow-ner train [--shared DIR] [--model-dir DIR] [--out FILE] [--silver FILE]
//                      [--epochs N] [--seed N]
//   newsflow-ner eval  [--shared DIR] [--model-dir DIR] [--no-consistency] [--score-every-token]
//                     [--dump FILE]
//   newsflow-ner tag   [--model-dir DIR] < text      (prints the entities found, one per line)
//   newsflow-ner process [--model-dir DIR] < records.jsonl > enriched.jsonl
//                      (input records through a chain of only the entities stage, with the
//                      daemon's record codec: the output records `newsflowd process` writes)
//
// --shared defaults to <repo>/../shared and --model-dir to <repo>/models/entities, <repo>
// being the source tree this binary was built from. Training reads only the training corpora
// listed in kCorpora (never wikigold, the evaluation set).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/time.h"
#include "stages/core/chain.h"
#include "stages/core/processor.h"
#include "stages/core/registry.h"
#include "stages/entities/conll.h"
#include "stages/entities/entities_stage.h"
#include "stages/entities/gazetteer.h"
#include "stages/entities/grouping.h"
#include "stages/entities/tagger.h"
#include "tools/entities/ner_eval.h"

namespace fs = std::filesystem;
using namespace newsflow;
using namespace newsflow::entities;

namespace {

struct Corpus {
  const char* path;    // under <shared>/data/ner
  const char* scheme;  // ConllOptions::scheme
  bool sentence_docs;
};

// Training corpora (CC-BY; see each folder's README/LICENSE). GUM is not used: its mentions
// include non-named ones ("the back of my jersey"). wikigold is held out for evaluation.
constexpr Corpus kCorpora[] = {
    {"BTC/a.conll", "conll", true},          {"BTC/b.conll", "conll", true},
    {"BTC/e.conll", "conll", true},          {"BTC/f.conll", "conll", true},
    {"BTC/g.conll", "conll", true},          {"BTC/h.conll", "conll", true},
    {"WNUT17/wnut17train.conll", "wnut", true}, {"WNUT17/emerging.dev.conll", "wnut", true},
    {"WNUT17/emerging.test.annotated", "wnut", true},
    {"SEC-filings/FIN5.txt", "conll", false}, {"SEC-filings/FIN3.txt", "conll", false},
};

std::map<std::string, std::string> ParseFlags(int argc, char** argv, int first) {
  std::map<std::string, std::string> f;
  for (int i = first; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0) continue;
    std::string key(argv[i] + 2);
    if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      f[key] = argv[++i];
    } else {
      f[key] = std::string(1, '1');  // a bare flag
    }
  }
  return f;
}

std::string Flag(const std::map<std::string, std::string>& f, const std::string& k,
                 const std::string& def) {
  auto it = f.find(k);
  return it == f.end() ? def : it->second;
}

int Train(const std::map<std::string, std::string>& flags) {
  std::string shared = Flag(flags, "shared", NEWSFLOW_SOURCE_DIR "/../shared");
  std::string model_dir = Flag(flags, "model-dir", NEWSFLOW_SOURCE_DIR "/models/entities");
  std::string out = Flag(flags, "out", model_dir + "/en.model");
  Gazetteer gaz;
  Status s = gaz.Load(model_dir + "/gazetteer.tsv");
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  std::vector<TrainingDocument> docs;
  auto add = [&](const std::string& path, const ConllOptions& o) {
    if (path.find("wikigold") != std::string::npos) {
      std::fprintf(stderr, "refusing to train on the evaluation set %s\n", path.c_str());
      return false;
    }
    auto r = ReadConll(path, o);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return false;
    }
    size_t tokens = 0;
    for (auto& d : *r) tokens += d.words.size();
    std::fprintf(stderr, "read %s: %zu documents, %zu tokens\n", path.c_str(), r->size(), tokens);
    for (auto& d : *r) docs.push_back(std::move(d));
    return true;
  };
  for (const auto& c : kCorpora) {
    ConllOptions o;
    o.scheme = c.scheme;
    o.sentence_docs = c.sentence_docs;
    if (!add(shared + "/data/ner/" + c.path, o)) return 1;
  }
  std::string silver = Flag(flags, "silver", "");
  if (!silver.empty() && !add(silver, ConllOptions{})) return 1;
  TrainOptions to;
  to.epochs = std::stoi(Flag(flags, "epochs", "10"));
  to.seed = std::stoull(Flag(flags, "seed", "1"));
  auto t0 = std::chrono::steady_clock::now();
  auto model = newsflow::entities::Train(docs, &gaz, to);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s = model->Save(out);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "trained in %.1f s; wrote %s (%ju bytes)\n", secs, out.c_str(),
               static_cast<uintmax_t>(fs::file_size(out)));
  return 0;
}

int Eval(const std::map<std::string, std::string>& flags) {
  std::string shared = Flag(flags, "shared", NEWSFLOW_SOURCE_DIR "/../shared");
  std::string model_dir = Flag(flags, "model-dir", NEWSFLOW_SOURCE_DIR "/models/entities");
  Gazetteer gaz;
  Status s = gaz.Load(model_dir + "/gazetteer.tsv");
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto model = Model::Load(model_dir + "/en.model", &gaz);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("model load: %.3f s\n", load);
  bool consistency = !flags.count("no-consistency");
  auto scores = EvaluateConll(shared + "/data/ner/wikigold/wikigold.conll.txt", **model,
                              consistency, flags.count("score-every-token") > 0,
                              Flag(flags, "dump", ""));
  if (!scores.ok()) {
    std::fprintf(stderr, "%s\n", scores.error().message.c_str());
    return 1;
  }
  std::printf("%s", FormatScores(std::string("newsflow tagger on wikigold") +
                                     (consistency ? "" : " (no document pass)"),
                                 *scores)
                        .c_str());
  auto seeds = CheckSeeds(shared, model_dir);
  if (!seeds.ok()) {
    std::fprintf(stderr, "%s\n", seeds.error().message.c_str());
    return 1;
  }
  std::printf("%s", FormatSeeds(*seeds).c_str());
  return 0;
}

int TagStdin(const std::map<std::string, std::string>& flags) {
  std::string model_dir = Flag(flags, "model-dir", NEWSFLOW_SOURCE_DIR "/models/entities");
  Gazetteer gaz;
  Status s = gaz.Load(model_dir + "/gazetteer.tsv");
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  auto model = Model::Load(model_dir + "/en.model", &gaz);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  Recognizer rec(model->get(), &gaz, RecognizerOptions{});
  std::vector<Entity> ents;
  rec.Run(text, &ents);
  for (const auto& e : ents) {
    std::printf("%-5s %-40s %s", e.type.c_str(), e.name.c_str(), e.id.c_str());
    for (const auto& m : e.mentions) std::printf(" | %s [%u,%u)", m.text.c_str(), m.start, m.end);
    std::printf("\n");
  }
  return 0;
}

int Process(const std::map<std::string, std::string>& flags) {
  std::string model_dir = Flag(flags, "model-dir", NEWSFLOW_SOURCE_DIR "/models/entities");
  StageRegistry registry;
  registry.Add(MakeEntitiesStageFactory());
  YAML::Node stages = YAML::Load("entities: {model_dir: \"" + model_dir + "\"}");
  config::Errors errors;
  auto pipeline = Pipeline::Build({"entities"}, stages, registry, &errors);
  if (!errors.empty() || !pipeline) {
    std::fprintf(stderr, "%s\n", errors.Joined().c_str());
    return 1;
  }
  StageEnvironment env;
  if (Status s = pipeline->Prepare(env); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  RecordProcessor proc(*pipeline, ParseOptions{},
                       PipelineInfo{NewsflowVersion(), pipeline->StageVersions()}, 0);
  std::string line;
  Origin origin;
  origin.topic = "stdin";
  int64_t lineno = 0;
  while (std::getline(std::cin, line)) {
    origin.offset = ++lineno;
    const ProcessResult& r = proc.Process(line, "", origin, NowMillis());
    if (r.fate == RecordFate::kOutput) {
      std::printf("%s\n", r.output->c_str());
    } else {
      std::fprintf(stderr, "line %lld: %.*s %.*s %s\n", static_cast<long long>(lineno),
                   static_cast<int>(r.stage.size()), r.stage.data(),
                   static_cast<int>(r.reason.size()), r.reason.data(), r.detail.c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: newsflow-ner train|eval|tag|process [--shared DIR] [--model-dir DIR] [options]\n";
  if (argc < 2) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  std::string cmd = argv[1];
  auto flags = ParseFlags(argc, argv, 2);
  if (cmd == "train") return Train(flags);
  if (cmd == "eval") return Eval(flags);
  if (cmd == "tag") return TagStdin(flags);
  if (cmd == "process") return Process(flags);
  std::fprintf(stderr, "%s", usage);
  return 2;
}
