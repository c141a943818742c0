#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <barrier>
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "dedup_test_util.h"
#include "stages/core/chain.h"
#include "stages/core/processor.h"
#include "stages/core/registry.h"
#include "stages/dedup/lsh_index.h"
#include "stages/dedup/record_cache.h"
#include "stages/dedup/shingles.h"
#include "stages/dedup/state_layout.h"
#include "state/rocks_store.h"
#include "test_util.h"

using namespace newsflow;
using newsflow::testing::DedupHarness;
using newsflow::testing::MakeArticle;

namespace {

constexpr int64_t kT0 = 1706227200000;  // 2024-01-26T00:00:00Z
constexpr int64_t kHour = 3600 * 1000;

std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  dedup::ForEachToken(text, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

struct Seed {
  std::string file;
  std::string text;
  std::string status;
  std::string of;  // "" when none
};

std::vector<Seed> LoadSeeds() {
  const auto dir = newsflow::testing::SharedDir() / "seeds";
  simdjson::dom::parser parser;
  simdjson::padded_string json = simdjson::padded_string::load((dir / "gold.json").string());
  simdjson::dom::element root = parser.parse(json);
  std::vector<Seed> seeds;
  for (simdjson::dom::element a : root["articles"].get_array()) {
    Seed s;
    s.file = std::string(std::string_view(a["file"]));
    s.text = newsflow::testing::ReadFile(dir / s.file);
    simdjson::dom::element d = a["dedup"];
    s.status = std::string(std::string_view(d["status"]));
    std::string_view of;
    if (d["of"].get(of) == simdjson::SUCCESS) s.of = std::string(of);
    seeds.push_back(std::move(s));
  }
  return seeds;
}

// Seeds arrive in file order, one minute apart.
std::vector<Article> SeedArticles(const std::vector<Seed>& seeds) {
  std::vector<Article> out;
  for (size_t i = 0; i < seeds.size(); ++i) {
    out.push_back(MakeArticle(seeds[i].file, seeds[i].text, kT0 + int64_t(i) * 60000));
  }
  return out;
}

void CheckSeedVerdicts(const std::vector<Seed>& seeds, const std::vector<Article>& done) {
  for (size_t i = 0; i < seeds.size(); ++i) {
    INFO(seeds[i].file);
    REQUIRE(done[i].dedup.has_value());
    CHECK(std::string(DedupStatusName(done[i].dedup->status)) == seeds[i].status);
    if (!seeds[i].of.empty()) CHECK(done[i].dedup->of == seeds[i].of);
    if (seeds[i].status == "partial_overlap") {
      // gold "with": the 000/001 wire copy.
      CHECK((done[i].dedup->of == seeds[0].file || done[i].dedup->of == seeds[1].file));
    }
    for (const auto& m : done[i].dedup->matches) CHECK(m.id != seeds[i].file);
  }
}

std::string Paragraphs(int n, int seed) {
  static const char* kWords[] = {"council", "minister", "river",  "budget", "storm",  "vote",
                                 "school",  "market",   "health", "police", "bridge", "court",
                                 "energy",  "farmers",  "report", "city",   "island", "trade"};
  std::string out;
  uint64_t x = 0x9E3779B97F4A7C15ULL * uint64_t(seed + 1);
  for (int p = 0; p < n; ++p) {
    for (int w = 0; w < 40; ++w) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      out += kWords[x % 18];
      out += std::to_string(x % 97);
      out += ' ';
    }
    out += "\n\n";
  }
  return out;
}

}  // namespace

TEST_CASE("Normalisation folds case, quotes, dashes and hyphens", "[unit]") {
  CHECK(Tokens("Kim Jong-un") == Tokens("Kim Jong Un"));
  CHECK(Tokens("KIM JONG‐UN") == Tokens("kim jong un"));
  CHECK(Tokens("North Korea’s “principal enemy”") == Tokens("North Korea's \"principal enemy\""));
  CHECK(Tokens("2024 — a year") == Tokens("2024 - a year"));
  CHECK(Tokens("ÉCOLE Über ŁÓDŹ") == Tokens("école über łódź"));
  CHECK(Tokens("Привет МИР") == Tokens("привет мир"));
  CHECK(Tokens("北京市") == std::vector<std::string>{"北", "京", "市"});
  CHECK(Tokens("a\xff\xfe b").size() == 2);  // invalid bytes are breaks, never a crash
  CHECK(Tokens("").empty());
}

// The tokens of an ASCII text by the rules, one byte at a time: letters and digits make words
// (lower case), ' and ` are dropped inside them, anything else breaks; a word keeps its first 96
// bytes. The tokenizer reads runs of letters 16 bytes at a time and must agree.
std::vector<std::string> AsciiTokens(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      if (word.size() < 96) word += static_cast<char>(std::tolower(c));
    } else if (c != '\'' && c != '`') {
      if (!word.empty()) out.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

TEST_CASE("Tokens: 16-byte runs agree with the byte-wise rules", "[unit]") {
  // Word ends on and around the 16-byte steps, long words, text ends inside a step.
  for (size_t len : {1, 15, 16, 17, 31, 32, 33, 95, 96, 97, 200}) {
    const std::string w(len, 'Q');
    for (const std::string& text : {w, w + " x", "x " + w, w + "'s", w + "," + w, w + "9"}) {
      CHECK(Tokens(text) == AsciiTokens(text));
    }
  }
  std::mt19937_64 rng(17);
  const std::string alphabet = "abcXYZ0189 .,-'`\t\n(";
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const size_t n = rng() % 120;
    while (text.size() < n) {
      // Mostly letters, in runs of random length: the shape of real words and of long tokens.
      if (rng() % 3) {
        text.append(1 + rng() % 40, "aBcDeF"[rng() % 6]);
      } else {
        text += alphabet[rng() % alphabet.size()];
      }
    }
    INFO(text);
    CHECK(Tokens(text) == AsciiTokens(text));
  }
  // Non-ASCII right after a run of ASCII letters: the run stops, the byte-wise path goes on.
  CHECK(Tokens("ABCDEFGHIJKLMNOPQRSTÉcole") ==
        std::vector<std::string>{"abcdefghijklmnopqrstécole"});
  CHECK(Tokens("abcdefghijklmnop’s x") == std::vector<std::string>{"abcdefghijklmnops", "x"});
}

TEST_CASE("SampleSet and the merge count the same intersections as std::set_intersection",
          "[unit]") {
  const auto reference = [](const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    std::vector<uint32_t> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    return both.size();
  };
  const auto sorted_distinct = [](std::vector<uint32_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  dedup::SampleSet set;  // reused, as in the stage: a smaller set after a larger one
  const auto check = [&](const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    set.Assign(a);
    const size_t want = reference(a, b);
    CHECK(set.IntersectionSize(b) == want);
    CHECK(dedup::IntersectionSize(a, b) == want);
  };
  std::mt19937_64 rng(29);
  for (int round = 0; round < 2000; ++round) {
    const size_t na = rng() % (round % 10 == 0 ? 5000 : 400);
    const size_t nb = rng() % 400;
    std::vector<uint32_t> a, b;
    for (size_t i = 0; i < na; ++i) a.push_back(static_cast<uint32_t>(rng()));
    // The extremes of the range, which the table's empty cells hold.
    if (rng() % 4 == 0) a.push_back(0);
    if (rng() % 4 == 0) a.push_back(UINT32_MAX);
    a = sorted_distinct(a);
    // b: a share of a's keys, fresh ones, and often the extremes.
    for (uint32_t k : a) {
      if (rng() % 3 == 0) b.push_back(k);
    }
    for (size_t i = b.size(); i < nb; ++i) b.push_back(static_cast<uint32_t>(rng()));
    if (rng() % 2) b.push_back(0);
    if (rng() % 2) b.push_back(UINT32_MAX);
    b = sorted_distinct(b);
    INFO("round " << round << ", |a| " << a.size() << ", |b| " << b.size());
    check(a, b);
    check(b, a);
  }
  // Keys crowded under the same top bits: the table grows until each key is within its
  // window of its home...
  std::vector<uint32_t> crowded;
  for (uint32_t i = 0; i < 6; ++i) crowded.push_back(i << 25);  // 4 per home at 32 homes
  set.Assign(crowded);
  CHECK(set.table_used());
  for (uint32_t k : crowded) CHECK(set.IntersectionSize(std::vector<uint32_t>{k}) == 1);
  CHECK(set.IntersectionSize(std::vector<uint32_t>{0, 1, 1u << 24, 6u << 25}) == 1);
  check(crowded, {0, 1u << 25, 5u << 25, 7u << 25, UINT32_MAX});
  // ... or, past a few doublings, the count is the merge's.
  std::vector<uint32_t> run(1000);
  for (uint32_t i = 0; i < run.size(); ++i) run[i] = 7 + 3 * i;
  set.Assign(run);
  CHECK_FALSE(set.table_used());
  check(run, {0, 7, 8, 10, 2000, 2002, UINT32_MAX});
  check(run, run);
  check({}, run);
  check(run, {});
  check({}, {});
}

// The tokenizer's character classes (shingles.h), written out as one plain list.
enum class RefClass { kWord, kJoiner, kBreak, kSingle };
RefClass ReferenceClass(uint32_t c) {
  if (c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x00B4 || c == 0x2032) {
    return RefClass::kJoiner;
  }
  if (c == 0xAA || c == 0xB5 || c == 0xBA) return RefClass::kWord;
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return RefClass::kBreak;
  if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF0F) ||
      (c >= 0xFF1A && c <= 0xFF20) || c == 0xFEFF || c == 0xFFFD ||
      (c >= 0xFE00 && c <= 0xFE0F) || c >= 0x1F000) {
    return RefClass::kBreak;
  }
  if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
      (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F)) {
    return RefClass::kSingle;
  }
  return RefClass::kWord;
}

std::string Utf8(uint32_t c) {
  std::string s;
  if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  }
  s += static_cast<char>(0x80 | (c & 0x3F));
  return s;
}

TEST_CASE("Tokens: every non-ASCII character up to U+1FFFF falls in its class", "[unit]") {
  for (uint32_t c = 0x80; c < 0x20000; ++c) {
    const std::string ch = Utf8(c);
    const auto tokens = Tokens("a" + ch + "b");
    INFO("U+" << std::hex << c);
    switch (ReferenceClass(c)) {
      case RefClass::kWord:  // one word with the character (lower-cased) inside
        REQUIRE(tokens.size() == 1);
        CHECK(tokens[0].size() > 2);
        break;
      case RefClass::kJoiner:
        CHECK(tokens == std::vector<std::string>{"ab"});
        break;
      case RefClass::kBreak:
        CHECK(tokens == std::vector<std::string>{"a", "b"});
        break;
      case RefClass::kSingle:
        CHECK(tokens == std::vector<std::string>{"a", ch, "b"});
        break;
    }
  }
}

TEST_CASE("Signatures: exact text hash ignores trivial differences", "[unit]") {
  dedup::SignatureBuilder b(dedup::SignatureOptions{});
  dedup::Signature s1, s2, s3;
  b.Build("Kim Jong-un met   “officials” today.", &s1);
  b.Build("kim jong un met \"officials\" today", &s2);
  b.Build("kim jong un met officials yesterday", &s3);
  CHECK(s1.text_hash == s2.text_hash);
  CHECK(s1.text_hash != s3.text_hash);
  CHECK(s1.keys == s2.keys);
  CHECK(std::is_sorted(s1.samples.begin(), s1.samples.end()));
  b.Build("two words", &s3);  // shorter than a shingle: one shingle
  CHECK(s3.shingles == 1);
}

TEST_CASE("Seeds: the five verdicts of gold.json", "[unit]") {
  auto seeds = LoadSeeds();
  REQUIRE(seeds.size() == 5);
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{}", store.get()) == "");
  auto articles = SeedArticles(seeds);
  for (auto& a : articles) REQUIRE(h.Run(a).verdict == Verdict::kContinue);
  CheckSeedVerdicts(seeds, articles);
  // 001 repeats about 75-80% of 000 (containment), far more than their Jaccard.
  CHECK(articles[1].dedup->containment > 0.7);
  CHECK(articles[1].dedup->similarity < 0.6);
}

TEST_CASE("Seeds: clean's match_text is used when the article is cleaned", "[unit]") {
  auto seeds = LoadSeeds();
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{}", store.get()) == "");
  Article a = MakeArticle("a", "", kT0);
  a.cleaned = true;
  a.text = "unrelated";
  a.match_text = seeds[0].text;
  REQUIRE(h.Run(a).verdict == Verdict::kContinue);
  Article b = MakeArticle("b", seeds[0].text, kT0 + 1);
  REQUIRE(h.Run(b).verdict == Verdict::kContinue);
  CHECK(b.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(b.dedup->of == "a");
}

TEST_CASE("Same verdicts after a restart (RocksDB reopened) and after reprocessing", "[unit]") {
  auto seeds = LoadSeeds();
  newsflow::testing::TempDir dir;
  state::RocksOptions ro;
  ro.dir = (dir.path() / "state").string();
  std::vector<Article> first = SeedArticles(seeds);
  {
    auto store = state::OpenRocksStore(ro);
    REQUIRE(store.ok());
    DedupHarness h;
    REQUIRE(h.Start("{}", store->get()) == "");
    for (auto& a : first) REQUIRE(h.Run(a).verdict == Verdict::kContinue);
    CheckSeedVerdicts(seeds, first);
    // Reprocessing in the same run: the stored verdict, never itself.
    for (size_t i = 0; i < first.size(); ++i) {
      Article again = SeedArticles(seeds)[i];
      REQUIRE(h.Run(again).verdict == Verdict::kContinue);
      CHECK(again.dedup->status == first[i].dedup->status);
      CHECK(again.dedup->of == first[i].dedup->of);
      CHECK(again.dedup->matches.size() == first[i].dedup->matches.size());
    }
  }
  auto store = state::OpenRocksStore(ro);
  REQUIRE(store.ok());
  DedupHarness h;
  REQUIRE(h.Start("{}", store->get()) == "");
  // Reverse order: a fresh index would call 004 unique and 000 a near duplicate of 001.
  std::vector<Article> second = SeedArticles(seeds);
  for (int i = 4; i >= 0; --i) REQUIRE(h.Run(second[i]).verdict == Verdict::kContinue);
  for (size_t i = 0; i < seeds.size(); ++i) {
    INFO(seeds[i].file);
    CHECK(second[i].dedup->status == first[i].dedup->status);
    CHECK(second[i].dedup->of == first[i].dedup->of);
    CHECK(second[i].dedup->similarity == first[i].dedup->similarity);
    CHECK(second[i].dedup->containment == first[i].dedup->containment);
  }
  // The index was rebuilt: a new copy of 000 finds it.
  Article copy = MakeArticle("copy-of-000", seeds[0].text, kT0 + kHour);
  REQUIRE(h.Run(copy).verdict == Verdict::kContinue);
  CHECK(copy.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(copy.dedup->of == seeds[0].file);
}

TEST_CASE("The window is over event time and dropped in whole buckets", "[unit]") {
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{window_days: 1, bucket_hours: 1}", store.get()) == "");
  const std::string story = Paragraphs(6, 1);
  Article a = MakeArticle("a", story, kT0);
  REQUIRE(h.Run(a).verdict == Verdict::kContinue);
  CHECK(a.dedup->status == DedupStatus::kUnique);
  Article b = MakeArticle("b", story, kT0 + 20 * kHour);
  REQUIRE(h.Run(b).verdict == Verdict::kContinue);
  CHECK(b.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(b.dedup->of == "a");

  // Event time moves 30 h on: a's bucket leaves the 24 h window, b's stays.
  Article c = MakeArticle("c", Paragraphs(6, 2), kT0 + 30 * kHour);
  REQUIRE(h.Run(c).verdict == Verdict::kContinue);
  Article d = MakeArticle("d", story, kT0 + 30 * kHour);
  REQUIRE(h.Run(d).verdict == Verdict::kContinue);
  CHECK(d.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(d.dedup->of == "b");
  int a_keys = 0, keys = 0;
  const std::string a_bucket = dedup::BucketPrefix('r', static_cast<uint64_t>(kT0 / kHour));
  REQUIRE(store
              ->Scan("dedup/", "dedup0",
                     [&](std::string_view k, std::string_view) {
                       ++keys;
                       if (k.substr(0, a_bucket.size()) == a_bucket) ++a_keys;
                       return true;
                     })
              .ok());
  CHECK(a_keys == 0);
  CHECK(keys > 0);

  // Write time plays no part: far later event time drops everything.
  Article e = MakeArticle("e", Paragraphs(6, 3), kT0 + 60 * kHour);
  REQUIRE(h.Run(e).verdict == Verdict::kContinue);
  Article f = MakeArticle("f", story, kT0 + 60 * kHour);
  REQUIRE(h.Run(f).verdict == Verdict::kContinue);
  CHECK(f.dedup->status == DedupStatus::kUnique);
}

TEST_CASE("Replays: earliest is by event time; articles older than the window are not stored",
          "[unit]") {
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{window_days: 2, bucket_hours: 1}", store.get()) == "");
  const std::string story = Paragraphs(8, 7);
  const std::string updated = story + Paragraphs(2, 8);
  Article a = MakeArticle("a", story, kT0 + 10 * kHour);
  REQUIRE(h.Run(a).verdict == Verdict::kContinue);
  // A replayed copy published earlier than a, arriving later: a duplicate of what was seen.
  Article b = MakeArticle("b", updated, kT0 + 5 * kHour);
  REQUIRE(h.Run(b).verdict == Verdict::kContinue);
  CHECK(b.dedup->status == DedupStatus::kNearDuplicate);
  CHECK(b.dedup->of == "a");
  // A third copy: `of` names the earliest by event time (b), not the first to arrive (a).
  Article c = MakeArticle("c", updated, kT0 + 20 * kHour);
  REQUIRE(h.Run(c).verdict == Verdict::kContinue);
  CHECK(c.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(c.dedup->of == "b");
  Article c2 = MakeArticle("c2", story + Paragraphs(1, 9), kT0 + 21 * kHour);
  REQUIRE(h.Run(c2).verdict == Verdict::kContinue);
  CHECK(c2.dedup->status == DedupStatus::kNearDuplicate);
  CHECK(c2.dedup->of == "b");

  // Event time moves to day 5; a replayed copy from day 1 is compared but not remembered.
  Article later = MakeArticle("later", story, kT0 + 120 * kHour);
  REQUIRE(h.Run(later).verdict == Verdict::kContinue);
  CHECK(later.dedup->status == DedupStatus::kUnique);
  Article old1 = MakeArticle("old1", story, kT0);
  REQUIRE(h.Run(old1).verdict == Verdict::kContinue);
  CHECK(old1.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(old1.dedup->of == "later");
  Article old2 = MakeArticle("old2", Paragraphs(5, 11), kT0);
  REQUIRE(h.Run(old2).verdict == Verdict::kContinue);
  Article old3 = MakeArticle("old3", Paragraphs(5, 11), kT0 + 120 * kHour);
  REQUIRE(h.Run(old3).verdict == Verdict::kContinue);
  CHECK(old3.dedup->status == DedupStatus::kUnique);  // old2 was not stored
}

TEST_CASE("Reprocessing an id returns its verdict even with other text", "[unit]") {
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{}", store.get()) == "");
  Article a = MakeArticle("a", Paragraphs(4, 1), kT0);
  Article b = MakeArticle("b", Paragraphs(4, 1), kT0 + 1);
  REQUIRE(h.Run(a).verdict == Verdict::kContinue);
  REQUIRE(h.Run(b).verdict == Verdict::kContinue);
  Article a2 = MakeArticle("a", Paragraphs(4, 1), kT0 + 5);
  REQUIRE(h.Run(a2).verdict == Verdict::kContinue);
  CHECK(a2.dedup->status == DedupStatus::kUnique);  // not a duplicate of b, nor of itself
  Article b2 = MakeArticle("b", "completely different words now", kT0 + 6);
  REQUIRE(h.Run(b2).verdict == Verdict::kContinue);
  CHECK(b2.dedup->status == DedupStatus::kExactDuplicate);
  CHECK(b2.dedup->of == "a");
}

TEST_CASE("Concurrent workers: one of many simultaneous copies is unique", "[unit]") {
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{}", store.get()) == "");
  const std::string story = Paragraphs(5, 21);
  std::atomic<int> unique{0}, dup{0}, fail{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto worker = h.config->CreateWorker();
      StageContext ctx;
      for (int i = 0; i < 25; ++i) {
        Article a = MakeArticle("t" + std::to_string(t) + "-" + std::to_string(i), story, kT0);
        if (worker->Process(a, ctx).verdict != Verdict::kContinue) {
          ++fail;
        } else if (a.dedup->status == DedupStatus::kUnique) {
          ++unique;
        } else if (a.dedup->status == DedupStatus::kExactDuplicate) {
          ++dup;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(fail == 0);
  CHECK(unique == 1);
  CHECK(dup == 99);
}

TEST_CASE("Concurrent workers: edited copies of a story at once, one original each", "[unit]") {
  // Round after round, every worker gets an edited copy of the same new story at the same
  // moment. Whatever the order the workers decide in, each decision must see every copy
  // decided before it (a stage that read its candidates before another worker's insert and
  // decided without looking again fails the pairwise check below).
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  REQUIRE(h.Start("{}", store.get()) == "");
  constexpr int kThreads = 4, kRounds = 40;
  std::vector<std::string> stories;
  for (int r = 0; r < kRounds; ++r) stories.push_back(Paragraphs(6, 100 + r));
  std::atomic<int> fail{0};
  std::vector<std::vector<Article>> done(kThreads);
  std::barrier round_start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto worker = h.config->CreateWorker();
      StageContext ctx;
      for (int r = 0; r < kRounds; ++r) {
        // Every copy gets a paragraph of its own: near duplicates, not exact ones.
        Article a = MakeArticle("r" + std::to_string(r) + "-t" + std::to_string(t),
                                stories[r] + Paragraphs(1, 1000 + r * 10 + t), kT0);
        round_start.arrive_and_wait();
        if (worker->Process(a, ctx).verdict != Verdict::kContinue) ++fail;
        done[t].push_back(std::move(a));
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(fail == 0);
  std::map<std::string, int> unique_per_story;
  int near = 0;
  for (const auto& list : done) {
    for (const auto& a : list) {
      REQUIRE(a.dedup.has_value());
      const std::string story = a.id.substr(0, a.id.find('-'));
      if (a.dedup->status == DedupStatus::kUnique) {
        ++unique_per_story[story];
      } else {
        CHECK(a.dedup->status == DedupStatus::kNearDuplicate);
        CHECK(a.dedup->of.substr(0, a.dedup->of.find('-')) == story);
        ++near;
      }
    }
  }
  for (int r = 0; r < kRounds; ++r) {
    INFO("story " << r);
    CHECK(unique_per_story["r" + std::to_string(r)] == 1);
  }
  CHECK(near == kThreads * kRounds - kRounds);
  // Of two copies, the one decided second saw the other: one lists the other in its matches.
  auto lists = [](const Article& a, const std::string& id) {
    for (const auto& m : a.dedup->matches)
      if (m.id == id) return true;
    return false;
  };
  for (int r = 0; r < kRounds; ++r) {
    for (int x = 0; x < kThreads; ++x) {
      for (int y = x + 1; y < kThreads; ++y) {
        const Article& ax = done[x][r];
        const Article& ay = done[y][r];
        INFO(ax.id << " and " << ay.id);
        CHECK((lists(ax, ay.id) || lists(ay, ax.id)));
      }
    }
  }
}

TEST_CASE("Options are validated with their paths", "[unit]") {
  auto store = state::MakeMemoryStore();
  DedupHarness h;
  const std::string err =
      h.Start("{index_keys: 2000, sample_rate: 3, near_containment: 0.1, bogus: 1}", store.get());
  CHECK(err.find("stages.dedup.index_keys") != std::string::npos);
  CHECK(err.find("stages.dedup.sample_rate") != std::string::npos);
  CHECK(err.find("stages.dedup.partial_containment") != std::string::npos);
  CHECK(err.find("stages.dedup.bogus") != std::string::npos);
  DedupHarness check;
  const std::string err2 = check.Start("{check_samples: 4, check_matches: 5}", store.get());
  CHECK(err2.find("stages.dedup.check_matches: must be at most check_samples") !=
        std::string::npos);
  DedupHarness ok;
  CHECK(ok.Start("{window_days: 7, bucket_hours: 6, sample_rate: 4}", store.get()) == "");
  DedupHarness off;
  CHECK(off.Start("{check_samples: 0, check_matches: 5}", store.get()) == "");
  DedupHarness cache;
  CHECK(cache.Start("{record_cache_mb: -1}", store.get()).find("stages.dedup.record_cache_mb") !=
        std::string::npos);
}

TEST_CASE("RecordCache: a ring of records, the oldest overwritten first", "[unit]") {
  auto samples = [](uint32_t first, size_t n) {
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = first + static_cast<uint32_t>(i);
    return v;
  };
  dedup::RecordCache::View view;
  dedup::RecordCache off(0);
  off.Put(1, 1, "a", 7, 8, samples(0, 10));
  CHECK_FALSE(off.Find(1, 1, &view));

  // Each record: 40 B header, id, 1,000 samples (4,000 B): about ten fit in 41,000 bytes.
  dedup::RecordCache cache(41000);
  for (uint32_t i = 0; i < 30; ++i) {
    cache.Put(5, 1000 + i, "id" + std::to_string(i), 100 + i, 200 + i, samples(i, 1000));
  }
  CHECK_FALSE(cache.Find(5, 1000, &view));  // overwritten long ago
  REQUIRE(cache.Find(5, 1029, &view));
  CHECK(view.id == "id29");
  CHECK(view.event_ms == 129);
  CHECK(view.text_hash == 229);
  REQUIRE(view.samples.size() == 1000);
  CHECK(view.samples.front() == 29);
  CHECK(view.samples.back() == 1028);
  CHECK_FALSE(cache.Find(6, 1029, &view));  // the bucket is part of the key
  // The newest records are all there, whole; the oldest are gone.
  int kept = 0;
  for (uint32_t i = 0; i < 30; ++i) {
    INFO(i);
    if (!cache.Find(5, 1000 + i, &view)) {
      CHECK(kept == 0);  // missing only before the first record kept: the oldest go first
      continue;
    }
    ++kept;
    CHECK(view.id == "id" + std::to_string(i));
    CHECK(view.samples.size() == 1000);
    CHECK(view.samples[500] == i + 500);
  }
  CHECK(kept >= 8);
  CHECK(kept <= 10);
  // A key put again points at its newer copy.
  cache.Put(5, 1029, "id29-again", 1, 2, samples(7, 3));
  REQUIRE(cache.Find(5, 1029, &view));
  CHECK(view.id == "id29-again");
  CHECK(view.samples.size() == 3);
  // Ids of any length, samples of any count, a record that does not fit is not kept.
  cache.Put(9, 1, std::string(13, 'x'), 1, 2, samples(0, 0));
  REQUIRE(cache.Find(9, 1, &view));
  CHECK(view.id == std::string(13, 'x'));
  CHECK(view.samples.empty());
  cache.Put(9, 2, "huge", 1, 2, samples(0, 20000));
  CHECK_FALSE(cache.Find(9, 2, &view));
  CHECK(cache.Find(9, 1, &view));  // ... and overwrites nothing
}

TEST_CASE("The record cache changes no verdict; verification reads come from it", "[unit]") {
  // 60 articles built from 12 paragraphs, three each: many share one or two paragraphs
  // (partial overlaps), some all three in another order (near duplicates).
  std::vector<std::string> paragraphs;
  for (int p = 0; p < 12; ++p) paragraphs.push_back(Paragraphs(1, 100 + p));
  auto make = [&](int i) {
    const std::string text =
        paragraphs[(i * 5) % 12] + paragraphs[(i * 7 + 1) % 12] + paragraphs[(i * 11 + 2) % 12];
    return MakeArticle("art-" + std::to_string(i), text, kT0 + int64_t(i) * 60000);
  };
  auto run = [&](const std::string& yaml, prometheus::Registry* registry) {
    auto store = state::MakeMemoryStore();
    DedupHarness h;
    REQUIRE(h.Start(yaml, store.get(), registry) == "");
    std::vector<Article> out;
    for (int i = 0; i < 60; ++i) {
      Article a = make(i);
      REQUIRE(h.Run(a).verdict == Verdict::kContinue);
      out.push_back(std::move(a));
    }
    return out;
  };
  prometheus::Registry with_registry, without_registry;
  const std::vector<Article> with = run("{record_cache_mb: 32}", &with_registry);
  const std::vector<Article> without = run("{record_cache_mb: 0}", &without_registry);
  int matched = 0;
  for (size_t i = 0; i < with.size(); ++i) {
    INFO(with[i].id);
    const DedupResult& x = *with[i].dedup;
    const DedupResult& y = *without[i].dedup;
    CHECK(x.status == y.status);
    CHECK(x.of == y.of);
    CHECK(x.similarity == y.similarity);
    CHECK(x.containment == y.containment);
    REQUIRE(x.matches.size() == y.matches.size());
    for (size_t m = 0; m < x.matches.size(); ++m) {
      CHECK(x.matches[m].id == y.matches[m].id);
      CHECK(x.matches[m].containment == y.matches[m].containment);
    }
    matched += x.status != DedupStatus::kUnique;
  }
  CHECK(matched > 30);
  const std::string text = prometheus::TextSerializer().Serialize(with_registry.Collect());
  const std::string text_off = prometheus::TextSerializer().Serialize(without_registry.Collect());
  CHECK(text.find("newsflow_dedup_record_reads_total{from=\"store\"} 0") != std::string::npos);
  CHECK(text.find("newsflow_dedup_record_reads_total{from=\"cache\"} 0") == std::string::npos);
  CHECK(text_off.find("newsflow_dedup_record_reads_total{from=\"cache\"} 0") != std::string::npos);
  CHECK(text_off.find("newsflow_dedup_record_reads_total{from=\"store\"} 0") == std::string::npos);
}

TEST_CASE("Metrics: outcomes by status and index entries", "[unit]") {
  auto store = state::MakeMemoryStore();
  prometheus::Registry registry;
  DedupHarness h;
  REQUIRE(h.Start("{}", store.get(), &registry) == "");
  Article a = MakeArticle("a", Paragraphs(3, 1), kT0);
  Article b = MakeArticle("b", Paragraphs(3, 1), kT0);
  REQUIRE(h.Run(a).verdict == Verdict::kContinue);
  REQUIRE(h.Run(b).verdict == Verdict::kContinue);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find("newsflow_dedup_outcomes_total{status=\"unique\"} 1") != std::string::npos);
  CHECK(text.find("newsflow_dedup_outcomes_total{status=\"exact_duplicate\"} 1") !=
        std::string::npos);
  CHECK(text.find("newsflow_dedup_index_entries 2") != std::string::npos);
}

TEST_CASE("State layout: bucket order, record round trip, corrupt values", "[unit]") {
  CHECK(dedup::ArticleKey('r', 0x01020304, 0x05060708090A0BFFULL) ==
        std::string("dedup/r/\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\xff", 20));
  CHECK(dedup::ArticleKey('k', 7, 9).substr(0, 12) == dedup::BucketPrefix('k', 7));
  CHECK(dedup::ArticleKey('r', 1, ~0ULL) < dedup::ArticleKey('r', 2, 0));
  CHECK(dedup::ArticleKey('r', 255, 0) < dedup::ArticleKey('r', 256, 0));
  CHECK(dedup::ArticleKey('r', UINT32_MAX - 1, ~0ULL) < dedup::BucketPrefix('r', 1ULL << 32));
  CHECK(dedup::ArticleKey('r', 0, 0) > dedup::BucketPrefix('k', 1ULL << 32));
  uint32_t bucket = 0;
  uint64_t id = 0;
  REQUIRE(dedup::ParseArticleKey(dedup::ArticleKey('k', 77, 12345), &bucket, &id));
  CHECK(bucket == 77);
  CHECK(id == 12345);

  dedup::ArticleRecord r;
  r.id = "x";
  r.event_ms = kT0;
  r.text_hash = 42;
  r.shingles = 9;
  r.samples = {1, 5, 9};
  r.verdict.status = DedupStatus::kNearDuplicate;
  r.verdict.of = "y";
  r.verdict.similarity = 0.5;
  r.verdict.containment = 0.8;
  r.verdict.matches.push_back({"y", DedupStatus::kNearDuplicate, 0.5, 0.8});
  const std::string v = dedup::EncodeRecord(r);
  dedup::ArticleRecord back;
  REQUIRE(dedup::DecodeRecord(v, &back));
  CHECK(back.id == "x");
  CHECK(back.samples == r.samples);
  CHECK(back.verdict.of == "y");
  CHECK(back.verdict.matches.size() == 1);
  for (size_t cut = 0; cut < v.size(); ++cut) {
    dedup::ArticleRecord bad;
    CHECK_FALSE(dedup::DecodeRecord(v.substr(0, cut), &bad));
  }

  // Index entries: check samples are optional (entries written without them decode with none).
  dedup::IndexEntry e{7, {3, 4, 5}, {8, 12}};
  dedup::IndexEntry e_back;
  REQUIRE(dedup::DecodeIndexEntry(dedup::EncodeIndexEntry(e), &e_back));
  CHECK(e_back.text_hash == 7);
  CHECK(e_back.keys == e.keys);
  CHECK(e_back.check == e.check);
  const std::string without = dedup::EncodeIndexEntry(dedup::IndexEntry{7, {3, 4, 5}, {}});
  REQUIRE(dedup::DecodeIndexEntry(without, &e_back));
  CHECK(e_back.keys == e.keys);
  CHECK(e_back.check.empty());
  const std::string with = dedup::EncodeIndexEntry(e);
  CHECK_FALSE(dedup::DecodeIndexEntry(with.substr(0, with.size() - 1), &e_back));
  CHECK_FALSE(dedup::DecodeIndexEntry(with + "x", &e_back));
}

TEST_CASE("LshIndex: lookup, replacement, expiry and rehash", "[unit]") {
  dedup::LshIndex index(3);
  dedup::LookupScratch scratch;
  std::vector<dedup::Candidate> out;
  for (uint32_t i = 0; i < 5000; ++i) index.Insert(i, i / 1000, {i, i + 1, 7});
  CHECK(index.live_articles() == 5000);
  index.Lookup({10, 11}, 8, &scratch, &out);
  REQUIRE(out.size() >= 2);
  CHECK(out[0].id_hash == 10);  // shares keys 10 and 11
  CHECK(out[0].shared_keys == 2);
  index.Lookup({7}, 8, &scratch, &out);
  CHECK(out.size() == 3);  // key 7 is capped at max_postings, the earliest kept
  CHECK(out[0].id_hash == 0);
  index.ExpireBefore(3);
  CHECK(index.live_articles() == 2000);
  CHECK_FALSE(index.FindId(10).has_value());
  REQUIRE(index.FindId(4500).has_value());
  CHECK(*index.FindId(4500) == 4);
  index.Lookup({10, 3500}, 8, &scratch, &out);
  REQUIRE(out.size() == 2);  // 3499 and 3500 share key 3500
  index.Insert(4500, 4, {99999});
  index.Lookup({4500}, 8, &scratch, &out);
  CHECK(out.size() == 1);  // 4499 only: 4500 now has other keys
  CHECK(index.live_articles() == 2000);
}

TEST_CASE("LshIndex: a lookup with thousands of candidates counts each one's keys", "[unit]") {
  // Thousands of candidates, counted over 4,000 postings, then a small lookup with the same
  // (now smaller) tally.
  dedup::LshIndex index(100000);
  for (uint32_t i = 0; i < 3000; ++i) index.Insert(i, 0, {7, 1000000 + i / 3, 2000000 + i % 5});
  dedup::LookupScratch scratch;
  std::vector<dedup::Candidate> out;
  std::vector<uint32_t> keys = {7, 2000000, 2000003};
  for (uint32_t i = 0; i < 1000; ++i) keys.push_back(1000000 + i);
  for (int round = 0; round < 2; ++round) {
    index.Lookup(keys, 8, &scratch, &out, 1);
    REQUIRE(out.size() == 3000);
    // Shared: key 7, the own triple's key (held by 3: rare) and key 2000000 or 2000003 for
    // i % 5 in {0, 3} (held by 600 each: common). Then earliest first.
    for (size_t j = 0; j < out.size(); ++j) {
      const uint32_t shared = j < 1200 ? 3 : 2;
      INFO("candidate " << j << ": " << out[j].id_hash);
      CHECK(out[j].shared_keys == shared);
      CHECK(out[j].rare_keys == 1);
      CHECK((out[j].id_hash % 5 == 0 || out[j].id_hash % 5 == 3) == (shared == 3));
      if (j > 0 && out[j].shared_keys == out[j - 1].shared_keys) {
        CHECK(out[j].id_hash > out[j - 1].id_hash);
      }
    }
    index.Lookup({1000000, 1000001}, 8, &scratch, &out, 1);
    REQUIRE(out.size() == 6);
    CHECK(out[0].id_hash == 0);
    CHECK(out[5].id_hash == 5);
  }
}

// A plain model of the index semantics: every posting a list, every question a full scan.
struct IndexModel {
  struct Item {
    uint64_t id_hash;
    uint32_t bucket;
    bool replaced = false;
    std::vector<uint32_t> keys;  // the keys it was posted under
    std::vector<uint32_t> check;
  };
  uint32_t max_postings;
  uint32_t check_samples;
  uint32_t min_bucket = 0;
  std::vector<Item> items;  // insertion order
  bool Live(const Item& it) const { return !it.replaced && it.bucket >= min_bucket; }
  uint32_t Holders(uint32_t key) const {
    uint32_t n = 0;
    for (const Item& it : items) {
      if (Live(it) && std::count(it.keys.begin(), it.keys.end(), key)) ++n;
    }
    return n;
  }
  void Insert(uint64_t id, uint32_t bucket, const std::vector<uint32_t>& keys,
              const std::vector<uint32_t>& check = {}) {
    for (Item& it : items) {
      if (it.id_hash == id && Live(it)) it.replaced = true;
    }
    Item item{id, bucket, false, {}, check};
    for (uint32_t k : keys) {
      if (Holders(k) < max_postings) item.keys.push_back(k);
    }
    items.push_back(item);
  }
  // A candidate and what LshIndex::CheckShared should say of it.
  struct Found {
    dedup::Candidate c;
    int32_t check_shared = -1;
  };
  std::vector<Found> Lookup(const std::vector<uint32_t>& keys, uint32_t rare,
                            const std::vector<uint32_t>& query_samples,
                            uint32_t common_needed) const {
    std::vector<Found> out;
    for (const Item& it : items) {
      if (!Live(it)) continue;
      Found f{{it.id_hash, it.bucket, 0, 0, 0}, -1};
      for (uint32_t k : keys) {
        if (!std::count(it.keys.begin(), it.keys.end(), k)) continue;
        ++f.c.shared_keys;
        if (Holders(k) <= rare) ++f.c.rare_keys;
      }
      if (check_samples > 0 && it.check.size() >= check_samples) {
        f.check_shared = 0;
        for (uint32_t j = 0; j < check_samples; ++j) {
          for (uint32_t q : query_samples) {
            if (dedup::KeyFingerprints::Of(q) == dedup::KeyFingerprints::Of(it.check[j])) {
              ++f.check_shared;
              break;
            }
          }
        }
      }
      if (f.c.shared_keys && (f.c.rare_keys > 0 || f.c.shared_keys >= common_needed)) {
        out.push_back(f);
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const Found& a, const Found& b) {
      if (a.c.shared_keys != b.c.shared_keys) return a.c.shared_keys > b.c.shared_keys;
      return a.c.rare_keys > b.c.rare_keys;
    });
    return out;
  }
};

TEST_CASE("LshIndex: random inserts, replacements and expiry agree with a plain model", "[unit]") {
  for (uint32_t max_postings : {1u, 3u, 64u}) {
    const uint32_t check_samples = max_postings == 3 ? 0 : 3;
    dedup::LshIndex index(max_postings, check_samples);
    IndexModel model{max_postings, check_samples, 0, {}};
    dedup::KeyFingerprints fps;
    std::mt19937_64 rng(max_postings);
    dedup::LookupScratch scratch;
    std::vector<dedup::Candidate> out;
    uint32_t bucket = 0;
    for (int step = 0; step < 6000; ++step) {
      // Few distinct keys and ids: frequent keys, saturated keys and replaced ids are common.
      std::vector<uint32_t> keys;
      for (int k = 0; k < 5; ++k) keys.push_back(static_cast<uint32_t>(rng() % 300));
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      const uint64_t id = rng() % 2500;
      if (step % 500 == 499) {
        bucket += 1;
        index.ExpireBefore(bucket > 3 ? bucket - 3 : 0);
        model.min_bucket = std::max(model.min_bucket, bucket > 3 ? bucket - 3 : 0);
      }
      // Check samples: 0-4 of them (fewer than 3 is "not a full set"). The fingerprint is the
      // high 16 bits, so values differing in the low bit collide, as unrelated keys can.
      std::vector<uint32_t> check;
      for (uint64_t n = rng() % 5; n > 0; --n) {
        check.push_back(static_cast<uint32_t>(rng() % 40) << 16 | static_cast<uint32_t>(rng() & 1));
      }
      index.Insert(id, bucket, keys, check);
      model.Insert(id, bucket, keys, check);
      if (step % 37 == 0) {
        const uint32_t rare = 1 + static_cast<uint32_t>(rng() % 4);
        std::vector<uint32_t> samples;
        for (int n = 0; n < 8; ++n) samples.push_back(static_cast<uint32_t>(rng() % 40) << 16);
        fps.Assign(samples);
        const uint32_t common_needed = 1 + static_cast<uint32_t>(rng() % 3);
        index.Lookup(keys, rare, &scratch, &out, common_needed);
        const auto want = model.Lookup(keys, rare, samples, common_needed);
        REQUIRE(out.size() == want.size());
        for (size_t i = 0; i < out.size(); ++i) {
          CHECK(out[i].id_hash == want[i].c.id_hash);
          CHECK(out[i].bucket == want[i].c.bucket);
          CHECK(out[i].shared_keys == want[i].c.shared_keys);
          CHECK(out[i].rare_keys == want[i].c.rare_keys);
          CHECK(index.CheckShared(out[i], fps) == want[i].check_shared);
        }
        // The best few only: the same first ones.
        const size_t max_out = rng() % 6;
        std::vector<dedup::Candidate> best;
        index.Lookup(keys, rare, &scratch, &best, common_needed, max_out);
        REQUIRE(best.size() == std::min(max_out, want.size()));
        for (size_t i = 0; i < best.size(); ++i) {
          CHECK(best[i].id_hash == want[i].c.id_hash);
          CHECK(best[i].bucket == want[i].c.bucket);
          CHECK(best[i].shared_keys == want[i].c.shared_keys);
          CHECK(best[i].rare_keys == want[i].c.rare_keys);
        }
        size_t live = 0;
        for (const auto& it : model.items) live += model.Live(it) ? 1 : 0;
        CHECK(index.live_articles() == live);
      }
    }
  }
}

TEST_CASE("Fixture: wire copies through RecordProcessor, as the daemon runs them", "[unit]") {
  const auto dir = newsflow::testing::SourceDir() / "tests" / "testdata" / "dedup";
  std::istringstream input(newsflow::testing::ReadFile(dir / "wire_copies.jsonl"));
  std::istringstream expected(newsflow::testing::ReadFile(dir / "wire_copies.expected"));
  StageRegistry registry;
  registry.Add(MakeDedupStageFactory());
  YAML::Node stages;
  stages["dedup"] = YAML::Load("{}");
  config::Errors errors;
  auto pipeline = Pipeline::Build({"dedup"}, stages, registry, &errors);
  REQUIRE(errors.empty());
  auto store = state::MakeMemoryStore();
  StageEnvironment env;
  env.store = store.get();
  REQUIRE(pipeline->Prepare(env).ok());
  RecordProcessor processor(*pipeline, ParseOptions{}, PipelineInfo{"test", {}}, 0);
  std::string line, want;
  int n = 0;
  while (std::getline(input, line)) {
    do {
      REQUIRE(std::getline(expected, want));
    } while (want.empty() || want[0] == '#');
    std::istringstream w(want);
    std::string id, status, of;
    w >> id >> status >> of;
    const ProcessResult& r = processor.Process(line, {}, Origin{}, kT0);
    INFO(id);
    REQUIRE(r.fate == RecordFate::kOutput);
    REQUIRE(r.article->id == id);
    CHECK(DedupStatusName(r.article->dedup->status) == status);
    CHECK(r.article->dedup->of == (of == "-" ? "" : of));
    CHECK(r.output->find("\"dedup\":{\"status\":\"" + status + "\"") != std::string::npos);
    ++n;
  }
  CHECK(n == 6);
}

namespace {

// A memory store whose reads or writes can be made to fail.
class FlakyStore final : public state::Store {
 public:
  bool fail_reads = false, fail_writes = false;
  // Run once inside the next Get (cleared before it runs, so a Get inside it reads plainly).
  std::function<void()> on_get;
  Result<std::optional<std::string>> Get(std::string_view key) override {
    if (fail_reads) return MakeError("injected read error", "io");
    if (on_get) std::exchange(on_get, nullptr)();
    return inner_->Get(key);
  }
  Status Write(const state::WriteBatch& batch) override {
    if (fail_writes) return MakeError("injected write error", "io");
    return inner_->Write(batch);
  }
  Status Scan(std::string_view begin, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_->Scan(begin, end, fn);
  }
  state::StoreStats Stats() override { return inner_->Stats(); }
  state::Store& inner() { return *inner_; }

 private:
  std::unique_ptr<state::Store> inner_ = state::MakeMemoryStore();
};

}  // namespace

TEST_CASE("Storage errors are fatal (state_error) and change nothing", "[unit]") {
  FlakyStore store;
  DedupHarness h;
  // Without the record cache, so that verifying b reads a's record from the store.
  REQUIRE(h.Start("{record_cache_mb: 0}", &store) == "");
  const std::string story = Paragraphs(4, 3);
  Article a = MakeArticle("a", story, kT0);
  store.fail_writes = true;
  Outcome o = h.Run(a);
  CHECK(o.verdict == Verdict::kFatal);
  CHECK(o.reason == "state_error");
  store.fail_writes = false;
  Article a2 = MakeArticle("a", story, kT0);
  REQUIRE(h.Run(a2).verdict == Verdict::kContinue);
  CHECK(a2.dedup->status == DedupStatus::kUnique);  // the failed attempt left no trace
  Article b = MakeArticle("b", story, kT0);
  store.fail_reads = true;
  o = h.Run(b);
  CHECK(o.verdict == Verdict::kFatal);
  CHECK(o.reason == "state_error");
  const auto reasons = h.factory->Reasons();
  CHECK(std::find(reasons.begin(), reasons.end(), o.reason) != reasons.end());
}

TEST_CASE("A copy decided while another worker reads ahead is in that worker's decision",
          "[unit]") {
  // Worker a reads its candidates' records before taking the stage's lock; worker b decides a
  // copy of the same story in between (from inside a's first read). a must look again and list
  // b's copy; a decision made on the candidates a saw before would not.
  FlakyStore store;
  DedupHarness h;
  REQUIRE(h.Start("{record_cache_mb: 0}", &store) == "");
  const std::string story = Paragraphs(6, 7);
  Article original = MakeArticle("original", story, kT0);
  REQUIRE(h.Run(original).verdict == Verdict::kContinue);
  REQUIRE(original.dedup->status == DedupStatus::kUnique);
  auto worker_a = h.config->CreateWorker();
  auto worker_b = h.config->CreateWorker();
  Article x = MakeArticle("x", story + Paragraphs(1, 71), kT0 + 1000);
  Article y = MakeArticle("y", story + Paragraphs(1, 72), kT0 + 2000);
  StageContext ctx_a, ctx_b;
  std::promise<Verdict> b_verdict;
  std::future<Verdict> b_result = b_verdict.get_future();
  std::thread b_thread;
  bool b_in_time = false;
  store.on_get = [&] {
    b_thread = std::thread([&] { b_verdict.set_value(worker_b->Process(y, ctx_b).verdict); });
    // a holds no lock while it reads ahead, so b decides meanwhile.
    b_in_time = b_result.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  };
  REQUIRE(worker_a->Process(x, ctx_a).verdict == Verdict::kContinue);
  REQUIRE(b_thread.joinable());
  b_thread.join();
  CHECK(b_in_time);
  REQUIRE(b_result.get() == Verdict::kContinue);
  REQUIRE(y.dedup.has_value());
  CHECK(y.dedup->status == DedupStatus::kNearDuplicate);
  CHECK(y.dedup->of == "original");
  REQUIRE(x.dedup.has_value());
  CHECK(x.dedup->status == DedupStatus::kNearDuplicate);
  CHECK(x.dedup->of == "original");
  std::vector<std::string> listed;
  for (const auto& m : x.dedup->matches) listed.push_back(m.id);
  CHECK(std::find(listed.begin(), listed.end(), "y") != listed.end());
  CHECK(std::find(listed.begin(), listed.end(), "original") != listed.end());
}

TEST_CASE("Corrupt or foreign state fails Prepare with a message", "[unit]") {
  auto store = state::MakeMemoryStore();
  state::WriteBatch batch;
  batch.Put(dedup::kFormatKey, dedup::kFormatVersion);
  batch.Put(dedup::ArticleKey('k', 5, 9), "garbage");
  REQUIRE(store->Write(batch).ok());
  DedupHarness h;
  CHECK(h.Start("{}", store.get()).find("corrupt") != std::string::npos);
  state::WriteBatch other;
  other.Put(dedup::kFormatKey, "99");
  REQUIRE(store->Write(other).ok());
  DedupHarness h2;
  CHECK(h2.Start("{}", store.get()).find("format") != std::string::npos);
  // A state of format 1 (index keys of another derivation) is refused, not misread.
  state::WriteBatch v1;
  v1.Put(dedup::kFormatKey, "1");
  REQUIRE(store->Write(v1).ok());
  DedupHarness h3;
  const std::string v1_error = h3.Start("{}", store.get());
  CHECK(v1_error.find("state format 1 is not 2") != std::string::npos);
}
