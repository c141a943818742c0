// The contract every registered stage must keep (stages/core/stage.h), checked over every
// fixture article and a set of hostile inputs: Process never throws (it is noexcept: a throw
// would terminate this test), every Drop/Fail reason is one the factory declared, a stage that
// continues fills its own output field, the chain's metrics count every record, and the same
// input gives the same output twice (determinism, for replays).
#include <catch2/catch.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/json_writer.h"
#include "stages/builtin.h"
#include "stages/core/processor.h"
#include "state/store.h"
#include "test_util.h"

using namespace newsflow;

namespace {

std::string Json(const std::string& id, const std::string& field, const std::string& body) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", id);
  w.Field(field, body);
  w.EndObject();
  return out;
}

std::vector<std::string> Inputs() {
  std::vector<std::string> in;
  std::ifstream ex(testing::SourceDir() / "examples/articles.jsonl");
  for (std::string line; std::getline(ex, line);) in.push_back(line);
  const auto seeds = testing::SharedDir() / "seeds";
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(seeds))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) in.push_back(Json(f.filename().string(), "text", testing::ReadFile(f)));
  // Hostile and degenerate inputs.
  in.push_back(Json("h-punct", "text", "!!! ??? ... --- *** ///"));
  in.push_back(Json("h-digits", "text", "123 456 789 0 2024-01-26 12:00"));
  in.push_back(Json("h-one-word", "text", "Pyongyang"));
  in.push_back(Json("h-emoji", "text", "🙂🙂🙂 🚀 ✨ 🇰🇷"));
  in.push_back(Json("h-rtl", "text", "القاهرة — قال وزير الخارجية إن المحادثات ستستمر الأسبوع المقبل."));
  in.push_back(Json("h-cjk", "text", "北京——中国外交部副部长孙卫东周五抵达平壤。"));
  in.push_back(Json("h-control", "text", std::string("line\x01\x02\x1f with controls\r\n\r\nnext")));
  in.push_back(Json("h-long-word", "text", std::string(100000, 'a')));
  in.push_back(Json("h-repeat", "text", [] {
    std::string s;
    for (int i = 0; i < 3000; ++i) s += "Kim Jong Un met Sun Weidong in Pyongyang. ";
    return s;
  }()));
  in.push_back(Json("h-html-empty", "html", "<html><body></body></html>"));
  in.push_back(Json("h-html-script", "html", "<html><script>var x = '<p>not text</p>';</script></html>"));
  in.push_back(Json("h-html-broken", "html", "<div><p>unclosed <b>tags <i>everywhere<table><tr><td>x"));
  in.push_back(Json("h-html-deep", "html", [] {
    std::string s;
    for (int i = 0; i < 20000; ++i) s += "<div>";
    s += "deep text";
    return s;
  }()));
  in.push_back(Json("h-html-entities", "html", "<p>&amp;&lt;&gt;&quot;&#39;&#x1F600;&nbsp;&bogus;&#99999999;</p>"));
  return in;
}

bool FilledBy(const std::string& stage, const Article& a) {
  if (stage == "clean") return a.cleaned;
  if (stage == "language") return a.language.has_value();
  if (stage == "dedup") return a.dedup.has_value();
  // Entities are absent (not an empty list) for a language without a model: only English has
  // one, and undetermined text is read with it.
  if (stage == "entities") {
    const bool has_model = !a.language || a.language->code == "en" || a.language->code == "und";
    return a.entities.has_value() == has_model;
  }
  return true;  // a stage without a known field: nothing to check
}

}  // namespace

TEST_CASE("Every registered stage keeps the stage contract", "[unit]") {
  StageRegistry registry;
  RegisterBuiltinStages(&registry);
  REQUIRE_FALSE(registry.All().empty());
  const std::vector<std::string> inputs = Inputs();
  for (const StageFactory* factory : registry.All()) {
    const std::string name(factory->Name());
    DYNAMIC_SECTION("stage " << name) {
      // Alone in a chain, and at the end of the full default chain up to it.
      std::vector<std::string> chain;
      for (const auto* f : registry.All()) {
        chain.emplace_back(f->Name());
        if (f == factory) break;
      }
      config::Errors errors;
      auto pipeline = Pipeline::Build(chain, YAML::Node(), registry, &errors);
      INFO(errors.Joined());
      REQUIRE(errors.empty());
      auto store = state::MakeMemoryStore();
      prometheus::Registry metrics;
      StageEnvironment env;
      env.store = store.get();
      env.registry = &metrics;
      env.shared_dir = testing::SharedDir().string();
      REQUIRE(pipeline->Prepare(env).ok());
      RecordProcessor proc(*pipeline, ParseOptions{}, PipelineInfo{"test", pipeline->StageVersions()},
                           0);
      size_t processed = 0;
      for (const auto& input : inputs) {
        const ProcessResult& r = proc.Process(input, {}, Origin{}, 0);
        if (r.fate == RecordFate::kDeadLetter && r.stage == "input") continue;  // never reached
        // Records an earlier stage stopped never reach this one.
        if (r.fate == RecordFate::kOutput || r.stage == name) ++processed;
        if (r.fate != RecordFate::kOutput) {
          // This stage or one before it in the chain: the reason is one that stage declared.
          INFO(input.substr(0, 120) << " failed in " << r.stage << ": " << r.reason);
          const StageFactory* failed = registry.Find(r.stage);
          REQUIRE(failed != nullptr);
          REQUIRE(std::find(chain.begin(), chain.end(), std::string(r.stage)) != chain.end());
          const auto reasons = failed->Reasons();
          CHECK(std::find(reasons.begin(), reasons.end(), r.reason) != reasons.end());
          continue;
        }
        INFO(input.substr(0, 120));
        CHECK(FilledBy(name, *r.article));
      }
      const std::string text = prometheus::TextSerializer().Serialize(metrics.Collect());
      const std::string count = "newsflow_stage_duration_seconds_count{stage=\"" + name + "\"} " +
                                std::to_string(processed);
      INFO(text.substr(0, 3000));
      CHECK(text.find(count) != std::string::npos);

      // Determinism: a fresh pipeline over the same inputs gives the same records.
      auto again = Pipeline::Build(chain, YAML::Node(), registry, &errors);
      auto store2 = state::MakeMemoryStore();
      StageEnvironment env2;
      env2.store = store2.get();
      REQUIRE(again->Prepare(env2).ok());
      RecordProcessor p1(*again, ParseOptions{}, PipelineInfo{"test", again->StageVersions()}, 0);
      auto pipeline3 = Pipeline::Build(chain, YAML::Node(), registry, &errors);
      auto store3 = state::MakeMemoryStore();
      StageEnvironment env3;
      env3.store = store3.get();
      REQUIRE(pipeline3->Prepare(env3).ok());
      RecordProcessor p2(*pipeline3, ParseOptions{}, PipelineInfo{"test", pipeline3->StageVersions()},
                         0);
      for (const auto& input : inputs) {
        const ProcessResult& a = p1.Process(input, {}, Origin{}, 0);
        const std::string out_a = a.output ? *a.output : std::string(a.reason);
        const ProcessResult& b = p2.Process(input, {}, Origin{}, 0);
        const std::string out_b = b.output ? *b.output : std::string(b.reason);
        INFO(input.substr(0, 120));
        CHECK(out_a == out_b);
      }
    }
  }
}
