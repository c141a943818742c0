#include "stages/language/language_stage.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/paths.h"
#include "stages/language/detector.h"

namespace newsflow {
namespace {

constexpr std::string_view kInternalError = "internal_error";

// Languages counted under their own label; everything else is "other", undetermined is "und".
const std::vector<std::string> kDefaultMetricLanguages = {
    "en", "de", "fr", "es", "pt", "it", "nl", "ru", "uk", "pl", "tr", "ar",
    "fa", "he", "zh", "ja", "ko", "hi", "id", "vi", "sv", "ro", "cs", "el"};

class LanguageConfig;

class LanguageWorker final : public Stage {
 public:
  explicit LanguageWorker(const LanguageConfig* config) : config_(config) {}
  Outcome Process(Article& article, StageContext& ctx) noexcept override;

 private:
  const LanguageConfig* config_;
  language::Detector::Scratch scratch_;
};

class LanguageConfig final : public StageConfig {
 public:
  language::DetectorOptions options;
  std::vector<std::string> metric_languages;

  Status Prepare(const StageEnvironment& env) override {
    auto detector = language::Detector::Create(options);
    if (!detector.ok()) return detector.error();
    detector_ = std::move(detector.value());
    if (detector_->model() == nullptr) {
      log::Warn(
          "language stage runs without its n-gram model: short texts and close "
          "languages are decided by CLD2 alone",
          {{"option", "stages.language.model"}});
    }
    if (env.registry != nullptr) {
      auto& family = prometheus::BuildCounter()
                         .Name("newsflow_articles_by_language_total")
                         .Help("Articles by detected language (top languages, other, und)")
                         .Register(*env.registry);
      for (const std::string& code : metric_languages) {
        counters_.emplace_back(code, &family.Add({{"language", code}}));
      }
      other_ = &family.Add({{"language", "other"}});
      und_ = &family.Add({{"language", "und"}});
    }
    return Status::Ok();
  }

  std::unique_ptr<Stage> CreateWorker() const override {
    return std::make_unique<LanguageWorker>(this);
  }

  std::string Version() const override {
    // 2: a body over sample_bytes is read as a sample (`others` from the sample).
    std::string v = "2";
    if (detector_ && detector_->model()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "+ngram.%08llx",
                    static_cast<unsigned long long>(detector_->model()->fingerprint() >> 32));
      v += buf;
      if (detector_->group_model() != nullptr) {
        std::snprintf(
            buf, sizeof buf, "+groups.%08llx",
            static_cast<unsigned long long>(detector_->group_model()->fingerprint() >> 32));
        v += buf;
      }
    } else {
      v += "+cld2";
    }
    return v;
  }

  const language::Detector& detector() const { return *detector_; }

  void Count(const std::string& code) const {
    if (und_ == nullptr) return;
    if (code == "und") {
      und_->Increment();
      return;
    }
    for (const auto& [label, counter] : counters_) {
      if (label == code) {
        counter->Increment();
        return;
      }
    }
    other_->Increment();
  }

 private:
  std::unique_ptr<language::Detector> detector_;
  std::vector<std::pair<std::string, prometheus::Counter*>> counters_;
  prometheus::Counter* other_ = nullptr;
  prometheus::Counter* und_ = nullptr;
};

Outcome LanguageWorker::Process(Article& article, StageContext& /*ctx*/) noexcept {
  try {
    LanguageResult result;
    config_->detector().Detect(article.title, article.BodyText(), &scratch_, &result);
    config_->Count(result.code);
    article.language = std::move(result);
    return Outcome::Continue();
  } catch (...) {  // allocation failure: dead-letter the record rather than end the process
    return Outcome::Fail(kInternalError);
  }
}

class LanguageFactory final : public StageFactory {
 public:
  std::string_view Name() const override { return "language"; }
  std::vector<std::string_view> Reasons() const override { return {kInternalError}; }

  std::unique_ptr<StageConfig> Parse(config::Section& section) const override {
    auto c = std::make_unique<LanguageConfig>();
    language::DetectorOptions& o = c->options;
    // "auto": the model files from the data search path (common/paths.h), when built;
    // "none": CLD2 and the script rules alone; anything else: a path that must load.
    auto model_path = [&](const std::string& key, const std::string& file) {
      const std::string v = section.String(key, "auto");
      if (v == "none") return std::string();
      return v == "auto" ? FindDataFile(file) : v;
    };
    o.model = model_path("model", "language-ngrams.bin");
    o.group_model = model_path("group_model", "language-groups.bin");
    o.min_letters = static_cast<int>(section.Int("min_letters", 1, 1, 100));
    o.long_text_bytes = static_cast<int>(section.Int("long_text_bytes", 300, 50, 100000));
    o.max_ngram_letters = static_cast<int>(section.Int("max_ngram_letters", 1000, 50, 100000));
    o.max_text_bytes = section.Int("max_text_bytes", 1 << 20, 1000, 100000000);
    o.sample_bytes = section.Int("sample_bytes", 2048, 0, 100000000);
    if (o.sample_bytes > 0 && o.sample_bytes < 1024) {
      section.Error("sample_bytes",
                    std::to_string(o.sample_bytes) + " is neither 0 nor in [1024, 100000000]");
    }
    o.reliable_confidence = section.Double("reliable_confidence", 0.9, 0.0, 1.0);
    o.min_other_share = section.Double("min_other_share", 0.05, 0.0, 1.0);
    c->metric_languages = section.StringList("metric_languages", kDefaultMetricLanguages);
    if (c->metric_languages.size() > 50) {
      section.Error("metric_languages", "at most 50 languages get their own label");
    }
    for (const std::string& code : c->metric_languages) {
      if (code.empty() || code.size() > 8 || code == "other" || code == "und") {
        section.Error("metric_languages", "\"" + code + "\" is not a language code");
      }
    }
    section.Finish();
    return c;
  }
};

}  // namespace

std::unique_ptr<StageFactory> MakeLanguageStageFactory() {
  return std::make_unique<LanguageFactory>();
}

}  // namespace newsflow
