#include <catch2/catch.hpp>

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/section.h"
#include "stages/entities/entities_stage.h"
#include "tests/test_util.h"
#include "tools/entities/ner_eval.h"

using namespace newsflow;
using newsflow::testing::SharedDir;
using newsflow::testing::SourceDir;

namespace {

std::unique_ptr<StageConfig> Parse(const std::string& yaml, config::Errors* errors) {
  static auto factory = MakeEntitiesStageFactory();
  YAML::Node node = YAML::Load(yaml);
  config::Section s(node, "stages.entities", errors);
  return factory->Parse(s);
}

std::unique_ptr<StageConfig> Prepared(const std::string& extra = "") {
  config::Errors errors;
  auto cfg = Parse("model_dir: \"" + (SourceDir() / "models/entities").string() + "\"\n" + extra,
                   &errors);
  REQUIRE(errors.empty());
  StageEnvironment env;
  REQUIRE(cfg->Prepare(env).ok());
  return cfg;
}

}  // namespace

TEST_CASE("entities options: every error reported with its path", "[unit]") {
  config::Errors errors;
  Parse("max_entities: 0\nunknown_language: fr\nlanguages: [en, \"../x\"]\nbogus: 1\n", &errors);
  std::string all = errors.Joined();
  CHECK(all.find("stages.entities.max_entities") != std::string::npos);
  CHECK(all.find("stages.entities.unknown_language") != std::string::npos);
  CHECK(all.find("stages.entities.languages") != std::string::npos);
  CHECK(all.find("stages.entities.bogus") != std::string::npos);
  config::Errors none;
  Parse("emit_misc: false\nfold_demonyms: false\n", &none);
  CHECK(none.empty());
}

TEST_CASE("a missing model is a start-up error", "[unit]") {
  config::Errors errors;
  auto cfg = Parse("model_dir: /nonexistent/models\n", &errors);
  REQUIRE(errors.empty());
  StageEnvironment env;
  CHECK_FALSE(cfg->Prepare(env).ok());
}

TEST_CASE("the stage fills entities from the body and respects the language", "[unit]") {
  auto cfg = Prepared();
  auto worker = cfg->CreateWorker();
  StageContext ctx;

  Article a;
  a.input_text = "North Korean leader Kim Jong-un met Chinese officials in Pyongyang.";
  Outcome o = worker->Process(a, ctx);
  CHECK(o.verdict == Verdict::kContinue);
  REQUIRE(a.entities.has_value());
  bool kim = false;
  for (const auto& e : *a.entities) kim |= e.name == "Kim Jong Un" && e.type == "PER";
  CHECK(kim);

  SECTION("a cleaned article is read from `text`, not the input") {
    Article c;
    c.cleaned = true;
    c.input_text = "<p>Ignored Person visited Oslo.</p>";
    c.text = "Wang Yi visited Bangkok.";
    worker->Process(c, ctx);
    REQUIRE(c.entities.has_value());
    for (const auto& e : *c.entities) CHECK(e.name != "Oslo");
  }
  SECTION("a language without a model leaves the field absent") {
    Article f;
    f.input_text = "Le président Emmanuel Macron est à Paris.";
    f.language = LanguageResult{"fr", 0.99, true, {}};
    CHECK(worker->Process(f, ctx).verdict == Verdict::kContinue);
    CHECK_FALSE(f.entities.has_value());
  }
  SECTION("an empty body gives an empty list") {
    Article e;
    worker->Process(e, ctx);
    REQUIRE(e.entities.has_value());
    CHECK(e.entities->empty());
  }
  SECTION("a dateline moved out of the text still names its place and agency") {
    Article d;
    d.cleaned = true;
    d.dateline = "SEOUL, Jan. 26 (AP) —";
    d.text = "North Korea said Friday it was hosting a visit.";
    worker->Process(d, ctx);
    REQUIRE(d.entities.has_value());
    bool ap = false, seoul = false;
    for (const auto& e : *d.entities) {
      ap |= e.name == "Associated Press" && e.mentions.empty();
      seoul |= e.name == "Seoul" && e.type == "LOC";
    }
    CHECK(ap);
    CHECK(seoul);
  }
}

TEST_CASE("unknown_language: none skips articles without a language", "[unit]") {
  auto cfg = Prepared("unknown_language: none\n");
  auto worker = cfg->CreateWorker();
  StageContext ctx;
  Article a;
  a.input_text = "Kim Jong Un visited Beijing.";
  worker->Process(a, ctx);
  CHECK_FALSE(a.entities.has_value());
  a.language = LanguageResult{"en", 0.99, true, {}};
  worker->Process(a, ctx);
  CHECK(a.entities.has_value());
}

TEST_CASE("pathological bodies are bounded and never fail", "[unit]") {
  auto cfg = Prepared("max_text_bytes: 20000\nmax_entities: 5\n");
  auto worker = cfg->CreateWorker();
  StageContext ctx;
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "Name" + std::to_string(i) + " Corp met Zed" + "x" + ". ";
  std::string junk;
  for (int i = 0; i < 50000; ++i) junk += static_cast<char>((i * 131) % 256);
  for (const std::string& body : {many, junk, std::string(200000, '('), std::string(70000, 'A')}) {
    Article a;
    a.input_text = body;
    Outcome o = worker->Process(a, ctx);
    CHECK(o.verdict == Verdict::kContinue);
    REQUIRE(a.entities.has_value());
    CHECK(a.entities->size() <= 5);
    for (const auto& e : *a.entities)
      for (const auto& m : e.mentions) CHECK(m.end <= 20000);
  }
}

TEST_CASE("seed articles: required entities found, output mostly in gold", "[unit]") {
  auto results = entities::CheckSeeds(SharedDir().string(),
                                      (SourceDir() / "models/entities").string());
  REQUIRE(results.ok());
  REQUIRE(results->size() == 5);
  for (const auto& r : *results) {
    INFO(r.file << "\n" << entities::FormatSeeds({r}));
    CHECK(r.required_found == r.required);
    CHECK(r.output_in_gold * 10 >= r.output * 9);
  }
}
