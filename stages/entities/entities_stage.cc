#include "stages/entities/entities_stage.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/paths.h"
#include "stages/entities/gazetteer.h"
#include "stages/entities/grouping.h"
#include "stages/entities/tagger.h"

namespace newsflow {
namespace {

constexpr std::string_view kOutOfMemory = "out_of_memory";
constexpr std::string_view kInternalError = "internal_error";

struct Options {
  // Folder with gazetteer.tsv and <language>.model files. "auto": the folder "entities" on the
  // data search path (common/paths.h: $NEWSFLOW_MODELS_DIR, <build>/models, <repo>/models,
  // /usr/share/newsflow/models). Relative paths are taken from the working directory.
  // Default: "auto".
  std::string model_dir = "auto";
  // Languages with a model (ISO 639-1 codes); a model file <model_dir>/<code>.model each.
  // Default: [en].
  std::vector<std::string> languages = {"en"};
  // Model used when the article has no language result or an undetermined one ("und"):
  // a code from `languages`, or "none" to leave such articles without entities. Default: "en".
  std::string unknown_language = "en";
  // Nationality adjectives ("Chinese") become mentions of their country (LOC). Default: true.
  bool fold_demonyms = true;
  // Output MISC entities (events, works, nationalities not folded). Default: true.
  bool emit_misc = true;
  // Document-level second pass (label consistency over repeated names). Default: true.
  bool consistency = true;
  // Score every token with the model, also the plain words (no capital, no non-ASCII letter)
  // after an O that are not followed by a capitalised word, which are otherwise tagged O
  // unscored (README, "Tokens the tagger skips"). Default: false.
  bool score_every_token = false;
  // At most this many entities per article, the most mentioned kept. Range [1, 100000].
  // Default: 500.
  int64_t max_entities = 500;
  // Only the first max_text_bytes of the body are read (bounded time on huge input).
  // Range [1024, 67108864]. Default: 1048576.
  int64_t max_text_bytes = 1 << 20;
};

class EntitiesConfig;

class EntitiesStage final : public Stage {
 public:
  explicit EntitiesStage(const EntitiesConfig* config);
  Outcome Process(Article& article, StageContext& ctx) noexcept override;

 private:
  const EntitiesConfig* config_;
  std::map<std::string, std::unique_ptr<entities::Recognizer>, std::less<>> recognizers_;
  std::vector<Entity> extra_;
};

class EntitiesConfig final : public StageConfig {
 public:
  explicit EntitiesConfig(Options o) : options_(std::move(o)) {}

  Status Prepare(const StageEnvironment& env) override {
    auto t0 = std::chrono::steady_clock::now();
    namespace fs = std::filesystem;
    fs::path dir(options_.model_dir);
    if (options_.model_dir == "auto") {
      const std::string found = FindDataFile("entities/gazetteer.tsv");
      if (found.empty()) {
        return MakeError("entities: no entities/gazetteer.tsv on the data search path " +
                             DataSearchPath() + " (set stages.entities.model_dir)",
                         "config");
      }
      dir = fs::path(found).parent_path();
    }
    Status s = gazetteer_.Load((dir / "gazetteer.tsv").string());
    if (!s.ok()) return s;
    version_ = "entities-1";
    for (const auto& lang : options_.languages) {
      std::string path = (dir / (lang + ".model")).string();
      auto m = entities::Model::Load(path, &gazetteer_);
      if (!m.ok()) return m.error();
      // The record names the exact model (the hash of the file Load() read): a retrained
      // model changes the version.
      char hex[17];
      std::snprintf(hex, sizeof(hex), "%016llx",
                    static_cast<unsigned long long>(m.value()->file_hash()));
      version_ += "+" + lang + "." + std::string(hex, 8);
      models_.emplace(lang, std::move(m).value());
    }
    if (env.registry != nullptr) {
      auto& family = prometheus::BuildCounter()
                         .Name("newsflow_entities_total")
                         .Help("Entities found, by type")
                         .Register(*env.registry);
      for (size_t i = 0; i < kTypes.size(); ++i)
        type_counters_[i] = &family.Add({{"type", std::string(kTypes[i])}});
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log::Info("entities: loaded gazetteer (" + std::to_string(gazetteer_.size()) +
              " entries) and " + std::to_string(models_.size()) + " model(s) in " +
              std::to_string(secs) + " s");
    return Status::Ok();
  }

  std::unique_ptr<Stage> CreateWorker() const override {
    return std::make_unique<EntitiesStage>(this);
  }

  std::string Version() const override { return version_; }

  const Options& options() const { return options_; }
  const entities::Gazetteer& gazetteer() const { return gazetteer_; }
  // Counts entities by type (no-op without a metrics registry).
  void Count(const std::vector<Entity>& found) const {
    for (const auto& e : found) {
      for (size_t i = 0; i < kTypes.size(); ++i) {
        if (type_counters_[i] != nullptr && e.type == kTypes[i]) type_counters_[i]->Increment();
      }
    }
  }
  const entities::Model* model(std::string_view lang) const {
    auto it = models_.find(lang);
    return it == models_.end() ? nullptr : it->second.get();
  }
  const std::map<std::string, std::unique_ptr<entities::Model>, std::less<>>& models() const {
    return models_;
  }

 private:
  Options options_;
  std::string version_ = "entities-1";
  entities::Gazetteer gazetteer_;
  std::map<std::string, std::unique_ptr<entities::Model>, std::less<>> models_;
  static constexpr std::array<std::string_view, 4> kTypes = {"PER", "ORG", "LOC", "MISC"};
  std::array<prometheus::Counter*, 4> type_counters_{};
};

EntitiesStage::EntitiesStage(const EntitiesConfig* config) : config_(config) {
  entities::RecognizerOptions ro;
  ro.fold_demonyms = config->options().fold_demonyms;
  ro.emit_misc = config->options().emit_misc;
  ro.consistency = config->options().consistency;
  ro.score_every_token = config->options().score_every_token;
  ro.max_entities = static_cast<size_t>(config->options().max_entities);
  for (const auto& [lang, model] : config->models()) {
    recognizers_.emplace(lang, std::make_unique<entities::Recognizer>(
                                   model.get(), &config->gazetteer(), ro));
  }
}

// Longest prefix of `s` of at most `max` bytes that ends on a code point boundary.
std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

Outcome EntitiesStage::Process(Article& article, StageContext& ctx) noexcept {
  const Options& o = config_->options();
  std::string_view lang = o.unknown_language;
  if (article.language && article.language->code != "und") lang = article.language->code;
  auto it = recognizers_.find(lang);
  if (it == recognizers_.end()) return Outcome::Continue();  // no model: field stays absent
  try {
    std::vector<Entity> found;
    std::string_view body = Utf8Prefix(article.BodyText(), static_cast<size_t>(o.max_text_bytes));
    it->second->Run(body, &found);
    // A dateline the cleaner moved out of the text ("SEOUL, Jan. 26 (AP) —") still names a
    // place and an agency: such entities are listed without mentions (no offsets in `text`).
    if (!article.dateline.empty() && body.find(article.dateline) == std::string_view::npos) {
      it->second->Run(article.dateline, &extra_);
      for (auto& e : extra_) {
        bool known = false;
        for (const auto& f : found) known |= f.id == e.id;
        if (known) continue;
        e.mentions.clear();
        found.push_back(std::move(e));
      }
    }
    config_->Count(found);
    article.entities = std::move(found);
  } catch (const std::bad_alloc&) {
    return Outcome::Fail(kOutOfMemory);
  } catch (const std::exception&) {
    return Outcome::Fail(kInternalError);  // a bug; the record is dead-lettered, not lost
  }
  return Outcome::Continue();
}

class EntitiesFactory final : public StageFactory {
 public:
  std::string_view Name() const override { return "entities"; }
  std::vector<std::string_view> Reasons() const override {
    return {kOutOfMemory, kInternalError};
  }

  std::unique_ptr<StageConfig> Parse(config::Section& s) const override {
    Options o;
    o.model_dir = s.String("model_dir", o.model_dir);
    o.languages = s.StringList("languages", o.languages);
    o.unknown_language = s.String("unknown_language", o.unknown_language);
    o.fold_demonyms = s.Bool("fold_demonyms", o.fold_demonyms);
    o.emit_misc = s.Bool("emit_misc", o.emit_misc);
    o.consistency = s.Bool("consistency", o.consistency);
    o.score_every_token = s.Bool("score_every_token", o.score_every_token);
    o.max_entities = s.Int("max_entities", o.max_entities, 1, 100000);
    o.max_text_bytes = s.Int("max_text_bytes", o.max_text_bytes, 1024, 64LL << 20);
    if (o.model_dir.empty()) s.Error("model_dir", "must not be empty");
    for (const auto& l : o.languages) {
      if (l.empty() || l.size() > 3 || l.find('/') != std::string::npos)
        s.Error("languages", "'" + l + "' is not a language code");
    }
    bool known = o.unknown_language == "none";
    for (const auto& l : o.languages) known |= l == o.unknown_language;
    if (!known) {
      s.Error("unknown_language", "'" + o.unknown_language +
                                      "' must be one of `languages` or \"none\"");
    }
    s.Finish();
    return std::make_unique<EntitiesConfig>(std::move(o));
  }
};

}  // namespace

std::unique_ptr<StageFactory> MakeEntitiesStageFactory() {
  return std::make_unique<EntitiesFactory>();
}

}  // namespace newsflow
