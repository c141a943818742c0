#include <catch2/catch.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "stages/core/chain.h"
#include "stages/core/processor.h"

using namespace newsflow;

namespace {

// A test stage: appends its tag to the title; fails or drops articles whose input text says so.
class TagStage : public Stage {
 public:
  explicit TagStage(std::string tag) : tag_(std::move(tag)) {}
  Outcome Process(Article& a, StageContext&) noexcept override {
    if (a.input_text == "fail " + tag_) return Outcome::Fail("test_failure");
    if (a.input_text == "drop " + tag_) return Outcome::Drop("test_drop");
    a.title += tag_;
    return Outcome::Continue();
  }

 private:
  std::string tag_;
};

class TagConfig : public StageConfig {
 public:
  std::string tag;
  Status Prepare(const StageEnvironment&) override { return Status::Ok(); }
  std::unique_ptr<Stage> CreateWorker() const override { return std::make_unique<TagStage>(tag); }
  std::string Version() const override { return "tag-1"; }
};

class TagFactory : public StageFactory {
 public:
  explicit TagFactory(std::string name) : name_(std::move(name)) {}
  std::string_view Name() const override { return name_; }
  std::vector<std::string_view> Reasons() const override { return {"test_failure", "test_drop"}; }
  std::unique_ptr<StageConfig> Parse(config::Section& s) const override {
    auto c = std::make_unique<TagConfig>();
    c->tag = s.String("tag", name_);
    return c;
  }

 private:
  std::string name_;
};

StageRegistry TestRegistry() {
  StageRegistry r;
  r.Add(std::make_unique<TagFactory>("a"));
  r.Add(std::make_unique<TagFactory>("b"));
  return r;
}

}  // namespace

TEST_CASE("Pipeline: stage options are validated, unknown stages reported", "[unit]") {
  StageRegistry r = TestRegistry();
  config::Errors errors;
  Pipeline::Build({"a", "nope"}, YAML::Load("{a: {tag: x, typo: 1}, b: {tog: 2}, zz: {}}"), r,
                  &errors);
  const std::string all = errors.Joined();
  INFO(all);
  CHECK(all.find("unknown stage \"nope\"") != std::string::npos);
  CHECK(all.find("stages.a.typo: unknown key") != std::string::npos);
  CHECK(all.find("stages.b.tog: unknown key") != std::string::npos);
  CHECK(all.find("stages.zz: unknown stage") != std::string::npos);
}

TEST_CASE("Chain runs stages in order, stops at drop or fail, counts outcomes", "[unit]") {
  StageRegistry r = TestRegistry();
  config::Errors errors;
  auto p = Pipeline::Build({"a", "b"}, YAML::Load("{b: {tag: B}}"), r, &errors);
  REQUIRE(errors.empty());
  prometheus::Registry metrics;
  StageEnvironment env;
  env.registry = &metrics;
  REQUIRE(p->Prepare(env).ok());
  RecordProcessor proc(*p, ParseOptions{}, PipelineInfo{"v", p->StageVersions()}, 0);

  const auto& ok = proc.Process(R"({"id":"1","title":"t-","text":"x"})", {}, Origin{}, 0);
  REQUIRE(ok.fate == RecordFate::kOutput);
  CHECK(ok.article->title == "t-aB");
  CHECK(ok.output->find(R"("stages":[{"name":"a","version":"tag-1"},{"name":"b")") !=
        std::string::npos);

  const auto& failed = proc.Process(R"({"id":"2","text":"fail B"})", {}, Origin{}, 0);
  CHECK(failed.fate == RecordFate::kDeadLetter);
  CHECK(failed.stage == "b");
  CHECK(failed.reason == "test_failure");

  const auto& dropped = proc.Process(R"({"id":"3","text":"drop a"})", {}, Origin{}, 0);
  CHECK(dropped.fate == RecordFate::kDropped);
  CHECK(dropped.stage == "a");

  const auto& bad = proc.Process("nope", {}, Origin{}, 0);
  CHECK(bad.fate == RecordFate::kDeadLetter);
  CHECK(bad.stage == "input");
  CHECK(bad.reason == "not_json");

  const std::string text = prometheus::TextSerializer().Serialize(metrics.Collect());
  CHECK(text.find(R"(newsflow_stage_records_total{outcome="fail",stage="b"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(newsflow_stage_records_total{outcome="drop",stage="a"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(newsflow_stage_duration_seconds_count{stage="a"} 3)") != std::string::npos);
}
