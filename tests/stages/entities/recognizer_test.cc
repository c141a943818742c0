#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/hash.h"
#include "stages/entities/conll.h"
#include "stages/entities/gazetteer.h"
#include "stages/entities/grouping.h"
#include "stages/entities/tagger.h"
#include "stages/entities/tokenizer.h"
#include "stages/entities/words.h"
#include "tests/test_util.h"

using namespace newsflow;
using namespace newsflow::entities;
using newsflow::testing::ReadFile;
using newsflow::testing::SourceDir;

namespace {

// The shipped gazetteer and English model, loaded once for all tests.
struct Shipped {
  Gazetteer gazetteer;
  std::unique_ptr<Model> model;
  Shipped() {
    auto dir = SourceDir() / "models/entities";
    Status s = gazetteer.Load((dir / "gazetteer.tsv").string());
    REQUIRE(s.ok());
    auto m = Model::Load((dir / "en.model").string(), &gazetteer);
    REQUIRE(m.ok());
    model = std::move(m).value();
  }
};

const Shipped& Get() {
  static Shipped s;
  return s;
}

std::vector<Entity> Recognize(const std::string& text) {
  Recognizer r(Get().model.get(), &Get().gazetteer, RecognizerOptions{});
  std::vector<Entity> out;
  r.Run(text, &out);
  return out;
}

const Entity* Find(const std::vector<Entity>& es, const std::string& type,
                   const std::string& name) {
  for (const auto& e : es)
    if (e.type == type && e.name == name) return &e;
  return nullptr;
}

std::vector<std::string> MentionTexts(const Entity& e) {
  std::vector<std::string> out;
  for (const auto& m : e.mentions) out.push_back(m.text);
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The code points [start, end) of `text`, for checking mention offsets.
std::string CodePoints(const std::string& text, uint32_t start, uint32_t end) {
  std::string out;
  uint32_t cp = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    bool lead = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (lead && i > 0) ++cp;
    if (cp >= start && cp < end) out += text[i];
  }
  return out;
}

}  // namespace

TEST_CASE("canonicalisation: the fixture's entities", "[unit]") {
  std::string text = ReadFile(SourceDir() / "tests/testdata/entities/canonical.txt");
  REQUIRE_FALSE(text.empty());
  auto es = Recognize(text);

  SECTION("Kim Jong-un and Kim Jong Un are one person, and a later Kim is him") {
    const Entity* kim = Find(es, "PER", "Kim Jong Un");
    REQUIRE(kim != nullptr);
    auto m = MentionTexts(*kim);
    CHECK(Has(m, "Kim Jong-un"));
    CHECK(Has(m, "Kim Jong Un"));
    CHECK(Has(m, "Kim"));
    CHECK(Find(es, "PER", "Kim") == nullptr);
    CHECK(Find(es, "PER", "Kim Jong-un") == nullptr);
  }
  SECTION("a later Sun refers back to Sun Weidong; the title is not part of the name") {
    const Entity* sun = Find(es, "PER", "Sun Weidong");
    REQUIRE(sun != nullptr);
    CHECK(Has(MentionTexts(*sun), "Sun"));
    CHECK(Find(es, "PER", "Sun") == nullptr);
    const Entity* pak = Find(es, "PER", "Pak Myong Ho");
    REQUIRE(pak != nullptr);
    CHECK(MentionTexts(*pak) == std::vector<std::string>{"Pak Myong-ho"});
    for (const auto& e : es) CHECK(e.name.find("Minister") == std::string::npos);
  }
  SECTION("Korean Central News Agency (KCNA): KCNA is that agency") {
    const Entity* kcna = Find(es, "ORG", "Korean Central News Agency");
    REQUIRE(kcna != nullptr);
    auto m = MentionTexts(*kcna);
    CHECK(std::count(m.begin(), m.end(), "KCNA") == 2);
    CHECK(Find(es, "ORG", "KCNA") == nullptr);
  }
  SECTION("U.N. / UN / United Nations Security Council are one organisation") {
    const Entity* unsc = Find(es, "ORG", "United Nations Security Council");
    REQUIRE(unsc != nullptr);
    auto m = MentionTexts(*unsc);
    CHECK(Has(m, "U.N. Security Council"));
    CHECK(Has(m, "UN Security Council"));
    CHECK(Has(m, "United Nations Security Council"));
  }
  SECTION("DPRK is North Korea, and so is the adjective North Korean") {
    const Entity* nk = Find(es, "LOC", "North Korea");
    REQUIRE(nk != nullptr);
    auto m = MentionTexts(*nk);
    CHECK(Has(m, "DPRK"));
    CHECK(Has(m, "North Korea"));
    CHECK(Has(m, "North Korean"));
    CHECK(Find(es, "ORG", "DPRK") == nullptr);
    CHECK(Find(es, "LOC", "DPRK") == nullptr);
  }
  SECTION("an upper-case dateline is a place; its agency is known") {
    const Entity* seoul = Find(es, "LOC", "Seoul");
    REQUIRE(seoul != nullptr);
    REQUIRE(seoul->mentions.size() == 1);
    CHECK(seoul->mentions[0].text == "SEOUL");
    CHECK(seoul->mentions[0].start == 0);
    CHECK(seoul->mentions[0].end == 5);
    CHECK(Find(es, "ORG", "Associated Press") != nullptr);
  }
  SECTION("mention offsets are code points into the text") {
    for (const auto& e : es) {
      for (const auto& m : e.mentions) {
        CHECK(m.start < m.end);
        CHECK(CodePoints(text, m.start, m.end) == m.text);
      }
    }
  }
}

TEST_CASE("an acronym taught in parentheses joins its long form", "[unit]") {
  std::string text = ReadFile(SourceDir() / "tests/testdata/entities/acronym.txt");
  auto es = Recognize(text);
  const Entity* lab = nullptr;
  for (const auto& e : es)
    if (e.name == "Tasman Ocean Observation Laboratory") lab = &e;
  REQUIRE(lab != nullptr);
  auto m = MentionTexts(*lab);
  CHECK(std::count(m.begin(), m.end(), "TOOL") == 2);
  for (const auto& e : es) CHECK(e.name != "TOOL");
}

TEST_CASE("offsets count code points when the text has non-ASCII characters", "[unit]") {
  std::string text = "Görüşme — “Beijing and Washington,” said Jake Sullivan in Bangkok.";
  auto es = Recognize(text);
  const Entity* bkk = Find(es, "LOC", "Bangkok");
  REQUIRE(bkk != nullptr);
  CHECK(CodePoints(text, bkk->mentions[0].start, bkk->mentions[0].end) == "Bangkok");
  CHECK(bkk->mentions[0].start == 58);
  CHECK(Find(es, "PER", "Jake Sullivan") != nullptr);
}

TEST_CASE("entity ids are stable and depend on type and canonical name", "[unit]") {
  CHECK(EntityId("PER", "Kim Jong Un") == EntityId("PER", "Kim Jong Un"));
  CHECK(EntityId("PER", "Kim Jong Un") != EntityId("ORG", "Kim Jong Un"));
  CHECK(EntityId("LOC", "Seoul").size() == 16);
  // The id is "%016llx" of the hash of type, \x1f and name (README), leading zeros included.
  for (const char* name : {"Seoul", "Kim Jong Un", "", "United Nations Security Council"}) {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx",
                  static_cast<unsigned long long>(
                      Hash64(std::string("LOC\x1f") + name, 0x656e74)));
    CHECK(EntityId("LOC", name) == hex);
  }
  auto a = Recognize("North Korean leader Kim Jong-un visited Seoul.");
  auto b = Recognize("In Seoul, the North Korean leader Kim Jong Un spoke.");
  const Entity* ka = Find(a, "PER", "Kim Jong Un");
  const Entity* kb = Find(b, "PER", "Kim Jong Un");
  REQUIRE(ka != nullptr);
  REQUIRE(kb != nullptr);
  CHECK(ka->id == kb->id);
}

TEST_CASE("the gazetteer resolves aliases by rule and by entry", "[unit]") {
  const Gazetteer& g = Get().gazetteer;
  const auto* dprk = g.Lookup("DPRK");
  REQUIRE(dprk != nullptr);
  CHECK(dprk->canonical == "North Korea");
  const auto* us = g.Lookup("U.S.");
  REQUIRE(us != nullptr);
  CHECK(us->canonical == "United States");
  CHECK(g.Lookup("us") == nullptr);  // capitals-only aliases need capitals
  const auto* prc = g.Lookup("People’s Republic of China");
  REQUIRE(prc != nullptr);
  CHECK(prc->canonical == "China");
}

TEST_CASE("train, save and load round trip learns its data", "[unit]") {
  ConllOptions o;
  auto docs = ReadConll((SourceDir() / "tests/testdata/entities/tiny.conll").string(), o);
  REQUIRE(docs.ok());
  REQUIRE(docs->size() == 1);
  Gazetteer empty;
  TrainOptions to;
  to.epochs = 3;
  to.verbose = false;
  auto model = Train(*docs, &empty, to);
  newsflow::testing::TempDir dir;
  std::string path = (dir.path() / "tiny.model").string();
  REQUIRE(model->Save(path).ok());
  auto loaded = Model::Load(path, &empty);
  REQUIRE(loaded.ok());
  // The stage version names the model by the hash of the file's bytes.
  CHECK((*loaded)->file_hash() == newsflow::Hash64(ReadFile(path)));
  CHECK(model->file_hash() == 0);  // not loaded from a file
  DocumentView view;
  std::vector<std::string> words = {"Yesterday", "Oskin", "Prell", "travelled", "to",
                                    "Velmorin", "."};
  view.words.assign(words.begin(), words.end());
  view.sentence_start = {1, 0, 0, 0, 0, 0, 0};
  TaggerScratch scratch;
  std::vector<uint8_t> tags;
  (*loaded)->Tag(view, &scratch, &tags);
  CHECK(std::string(TagName(tags[1])) == "B-PER");
  CHECK(std::string(TagName(tags[2])) == "I-PER");
  CHECK(std::string(TagName(tags[5])) == "B-LOC");
  CHECK(tags[3] == kO);
}

TEST_CASE("a corrupt model file is an error, not a crash", "[unit]") {
  newsflow::testing::TempDir dir;
  std::string path = (dir.path() / "bad.model").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "NFNER001garbage";
  }
  auto m = Model::Load(path, nullptr);
  CHECK_FALSE(m.ok());
  CHECK_FALSE(Model::Load((dir.path() / "missing.model").string(), nullptr).ok());
  // A real model's header with only part of its rows.
  const std::string whole = ReadFile((SourceDir() / "models/entities/en.model").string());
  const std::string cut = (dir.path() / "cut.model").string();
  {
    std::ofstream out(cut, std::ios::binary);
    out << whole.substr(0, whole.size() / 2);
  }
  auto truncated = Model::Load(cut, nullptr);
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().message.find("is truncated") != std::string::npos);
}

TEST_CASE("a loaded model saves the same bytes it was read from", "[unit]") {
  // The model keeps only non-zero rows behind an index: loading and saving must lose nothing.
  const std::string original = (SourceDir() / "models/entities/en.model").string();
  newsflow::testing::TempDir dir;
  const std::string copy = (dir.path() / "en.model").string();
  REQUIRE(Get().model->Save(copy).ok());
  CHECK(Get().model->num_rows() > 0);
  CHECK(ReadFile(copy) == ReadFile(original));
}

TEST_CASE("the gazetteer's table grows without losing phrases, prefixes or names", "[unit]") {
  Gazetteer g;
  // Enough entries to make the open-addressing table grow several times.
  for (int i = 0; i < 5000; ++i) {
    g.Add(GazType::kLoc, "Port Velmar " + std::to_string(i), {"Velmar Bay " + std::to_string(i)});
  }
  g.Add(GazType::kOrg, "Port Velmar Authority", {});
  for (int i = 0; i < 5000; i += 499) {
    const auto* e = g.Lookup("Velmar Bay " + std::to_string(i));
    REQUIRE(e != nullptr);
    CHECK(e->canonical == "Port Velmar " + std::to_string(i));
  }
  CHECK(g.Lookup("Velmar Bay 5000") == nullptr);
  CHECK(g.Lookup("Port Velmar") == nullptr);  // a prefix only, not a phrase
  // Longest match over tokens: "Port Velmar Authority" beats the shorter prefixes.
  std::vector<std::string> words = {"at", "Port", "Velmar", "Authority", "today"};
  std::vector<std::string_view> views(words.begin(), words.end());
  std::vector<uint64_t> norms;
  for (const auto& w : words) norms.push_back(NormHash(w));
  const Gazetteer::Entry* e = nullptr;
  CHECK(g.Match(views, norms, 1, &e) == 3);
  REQUIRE(e != nullptr);
  CHECK(e->canonical == "Port Velmar Authority");
  CHECK(g.Match(views, norms, 0, &e) == 0);
}

namespace {

TrainingDocument Sentence(std::vector<std::string> words, std::vector<std::string> tags) {
  TrainingDocument d;
  d.words = std::move(words);
  d.sentence_start.assign(d.words.size(), 0);
  d.sentence_start[0] = 1;
  for (const auto& t : tags) {
    uint8_t tag = kO;
    REQUIRE(ParseTag(t, &tag));
    d.tags.push_back(tag);
  }
  return d;
}

}  // namespace

TEST_CASE("plain words after an O are tagged O unscored; after a name they are scored",
          "[unit]") {
  // A model taught that a lower-case word between "of" and "rose" starts an organisation, and
  // that "town" continues a place name.
  std::vector<TrainingDocument> docs;
  const char* orgs[] = {"zentrix", "morvale", "quillan", "brastow", "elkwin", "tarrodyne"};
  const char* places[] = {"Velmorin", "Ostrakand", "Brennholt", "Quarasz", "Dunmerrow"};
  for (int round = 0; round < 4; ++round) {
    for (const char* o : orgs)
      docs.push_back(Sentence({"shares", "of", o, "rose", "sharply", "."},
                              {"O", "O", "B-ORG", "O", "O", "O"}));
    for (const char* p : places)
      docs.push_back(Sentence({"they", "reached", p, "town", "today", "."},
                              {"O", "O", "B-LOC", "I-LOC", "O", "O"}));
  }
  Gazetteer empty;
  TrainOptions to;
  to.epochs = 5;
  to.verbose = false;
  auto model = Train(docs, &empty, to);

  auto tag = [&](const std::vector<std::string>& words, bool every) {
    DocumentView view;
    view.words.assign(words.begin(), words.end());
    view.sentence_start.assign(words.size(), 0);
    view.sentence_start[0] = 1;
    TaggerScratch scratch;
    std::vector<uint8_t> tags;
    model->Tag(view, &scratch, &tags, every);
    return tags;
  };
  const std::vector<std::string> org = {"shares", "of", "zentrix", "rose", "sharply", "."};
  CHECK(tag(org, true)[2] == kBOrg);  // the model's own answer
  CHECK(tag(org, false)[2] == kO);    // a plain word after an O is not asked
  // After a name the same kind of word is scored: "town" continues the place.
  const std::vector<std::string> place = {"they", "reached", "Velmorin", "town", "today", "."};
  CHECK(tag(place, true) == tag(place, false));
  CHECK(tag(place, false)[2] == kBLoc);
  CHECK(tag(place, false)[3] == kILoc);
}

TEST_CASE("skipping plain words changes the shipped model's tags only where it skips",
          "[unit]") {
  // Over real text: tags agree up to the first token where they differ, and that token is a
  // plain word after an O that the full scoring tagged as a name. Features of every token that
  // is not skipped are those of the full computation.
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(newsflow::testing::SharedDir() /
                                                               "seeds"))
    if (entry.path().extension() == ".txt") text += ReadFile(entry.path()) + "\n";
  std::vector<Token> tokens;
  Tokenize(text, &tokens);
  DocumentView view;
  for (const auto& t : tokens) {
    view.words.push_back(t.text);
    view.sentence_start.push_back(t.sentence_start);
  }
  REQUIRE(view.words.size() > 2000);
  const Model& model = *Get().model;
  TaggerScratch full, lazy;
  model.ComputeFeatures(view, &full, false);
  model.ComputeFeatures(view, &lazy, true);
  size_t skipped = 0;
  for (size_t i = 0; i < view.words.size(); ++i) {
    if (lazy.lazy[i]) {
      ++skipped;
      continue;
    }
    for (int k = 0; k < Model::kStaticFeatures; ++k)
      REQUIRE(full.features[i * Model::kStaticFeatures + k] ==
              lazy.features[i * Model::kStaticFeatures + k]);
  }
  CHECK(skipped > view.words.size() / 3);
  std::vector<uint8_t> every_tags, skip_tags;
  model.Tag(view, &full, &every_tags, true);
  model.Tag(view, &lazy, &skip_tags, false);
  for (size_t i = 0; i < view.words.size(); ++i) {
    if (every_tags[i] == skip_tags[i]) continue;
    INFO("first difference at token " << i << " '" << view.words[i] << "'");
    CHECK(lazy.lazy[i] == 1);
    CHECK(skip_tags[i] == kO);
    CHECK((i == 0 || view.sentence_start[i] || every_tags[i - 1] == kO));
    break;
  }
}

TEST_CASE("the document pass gives a tagged phrase's type to its other occurrences", "[unit]") {
  DocumentView doc;
  std::vector<uint8_t> tags;
  auto add = [&](std::initializer_list<std::pair<const char*, uint8_t>> sentence) {
    bool first = true;
    for (const auto& [w, t] : sentence) {
      doc.words.emplace_back(w);
      doc.sentence_start.push_back(first ? 1 : 0);
      tags.push_back(t);
      first = false;
    }
  };
  add({{"Velmora", kBOrg}, {"Group", kIOrg}, {"said", kO}, {".", kO}});
  add({{"Later", kO}, {"Velmora", kO}, {"Group", kO}, {"rose", kO}, {".", kO}});
  add({{"Anna", kBPer}, {"Berg", kIPer}, {"spoke", kO}, {".", kO}});
  add({{"Berg", kO}, {"left", kO}, {".", kO}});
  add({{"Kim", kBPer}, {"Jong-un", kIPer}, {"met", kO}, {".", kO}});
  add({{"Kim", kO}, {"Jong", kO}, {"Un", kO}, {"smiled", kO}, {".", kO}});
  // Enough distinct phrases to make the pass's tables grow several times: each is tagged once
  // and found again untagged at the end.
  const size_t first_name = doc.words.size();
  std::vector<std::string> names;
  for (int k = 0; k < 300; ++k) names.push_back("Zorvex" + std::to_string(k));
  for (const auto& name : names) add({{name.c_str(), kBLoc}, {"grew", kO}, {".", kO}});
  const size_t again = doc.words.size();
  for (const auto& name : names) add({{"In", kO}, {name.c_str(), kO}, {".", kO}});
  EnforceConsistency(doc, &tags);
  CHECK(tags[5] == kBOrg);
  CHECK(tags[6] == kIOrg);
  CHECK(tags[4] == kO);
  CHECK(tags[13] == kBPer);  // "Berg": the last word of "Anna Berg"
  CHECK(tags[20] == kBPer);  // "Kim Jong Un": the spaced spelling of "Kim Jong-un"
  CHECK(tags[21] == kIPer);
  CHECK(tags[22] == kIPer);
  CHECK(tags[23] == kO);
  for (size_t k = 0; k < names.size(); ++k) {
    INFO(names[k]);
    CHECK(tags[first_name + 3 * k] == kBLoc);
    CHECK(tags[again + 3 * k] == kO);
    CHECK(tags[again + 3 * k + 1] == kBLoc);
  }
}

TEST_CASE("rows found with the popcnt instruction are those of the portable count", "[unit]") {
  const Model& model = *Get().model;
  if (!Model::HasPopcnt()) {
    SUCCEED("no popcnt on this CPU: Tag() uses the portable count");
    return;
  }
  size_t rows = 0;
  for (uint32_t b = 0; b < Model::kBuckets; ++b) {
    const float* portable = model.Row(b);
    rows += portable != nullptr;
    if (model.RowPopcnt(b) != portable) FAIL("bucket " << b);
  }
  CHECK(rows == model.num_rows());
}
