#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "stages/entities/tokenizer.h"
#include "stages/entities/words.h"

using namespace newsflow::entities;

namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<Token> toks;
  Tokenize(text, &toks);
  std::vector<std::string> out;
  for (const auto& t : toks) out.emplace_back(t.text);
  return out;
}

}  // namespace

TEST_CASE("tokenizer splits punctuation and possessives, keeps abbreviations", "[unit]") {
  CHECK(Words("Korea’s leader, Kim Jong-un.") ==
        std::vector<std::string>{"Korea", "’s", "leader", ",", "Kim", "Jong-un", "."});
  CHECK(Words("the U.S. and U.N. (Jan. 26)") ==
        std::vector<std::string>{"the", "U.S.", "and", "U.N.", "(", "Jan.", "26", ")"});
  CHECK(Words("“year of DPRK-China friendship,”") ==
        std::vector<std::string>{"“", "year", "of", "DPRK", "-", "China", "friendship", ",",
                                 "”"});
  CHECK(Words("U.S.-led sanctions") ==
        std::vector<std::string>{"U.S.", "-", "led", "sanctions"});
  CHECK(Words("SEOUL – North") == std::vector<std::string>{"SEOUL", "–", "North"});
}

TEST_CASE("token offsets are code points, sentence starts are marked", "[unit]") {
  std::string text = "Çok güzel. Sun Weidong arrived.\nSEOUL";
  std::vector<Token> toks;
  Tokenize(text, &toks);
  REQUIRE(toks.size() == 8);
  CHECK(toks[0].text == "Çok");
  CHECK(toks[0].cp_begin == 0);
  CHECK(toks[0].cp_end == 3);
  CHECK(toks[3].text == "Sun");
  CHECK(toks[3].cp_begin == 11);  // "Çok güzel. " is 11 code points, 13 bytes
  CHECK(toks[3].begin == 13);
  CHECK(toks[3].sentence_start);
  CHECK_FALSE(toks[4].sentence_start);
  CHECK(toks[7].line_start);
  CHECK(toks[7].sentence_start);
}

TEST_CASE("code point offsets are right in ASCII and non-ASCII chunks alike", "[unit]") {
  // Chunks without a byte above 0x7F take their code points from their length; the others
  // count them. Hyphen splits, possessives and non-ASCII spaces in both kinds.
  const std::string text =
      "Sin\u016diju-based DPRK-China talks, U.S.-led\u00a0Kim Jong-un\u2019s envoy\u2026"
      "Seoul\u2014Pyongyang \u6771\u4eac-Osaka \u2018quote\u2019 Korea's end.\u3000"
      "Caf\u00e9-Bar M\u00fcller-L\u00fcdenscheidt.";
  std::vector<Token> toks;
  Tokenize(text, &toks);
  REQUIRE(toks.size() > 25);
  auto count = [](std::string_view s) {
    size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  };
  for (const auto& t : toks) {
    INFO(t.text);
    CHECK(t.cp_begin == count(std::string_view(text).substr(0, t.begin)));
    CHECK(t.cp_end - t.cp_begin == count(t.text));
    CHECK(t.text == std::string_view(text).substr(t.begin, t.end - t.begin));
  }
  CHECK(Words("M\u00fcller-L\u00fcdenscheidt DPRK-China") ==
        std::vector<std::string>{"M\u00fcller", "-", "L\u00fcdenscheidt", "DPRK", "-", "China"});
}

TEST_CASE("normalised words merge spelling variants", "[unit]") {
  CHECK(NormalizeWord("U.S.") == "us");
  CHECK(NormalizeWord("People’s") == "people's");
  CHECK(NormHash("U.N.") == NormHash("UN"));
  CHECK(NormHash("Korea") != NormHash("Korean"));
}

TEST_CASE("StartsUpper reads the first letter, past leading symbols", "[unit]") {
  CHECK(StartsUpper("Kim"));
  CHECK_FALSE(StartsUpper("kim"));
  CHECK(StartsUpper("'Kim"));
  CHECK(StartsUpper("9-Eleven"));
  CHECK_FALSE(StartsUpper("9-eleven"));
  CHECK(StartsUpper("\u00c9lys\u00e9e"));
  CHECK_FALSE(StartsUpper("\u00e9t\u00e9"));
  CHECK_FALSE(StartsUpper("\u201cKim"));  // a curly quote is no letter, and not skipped
  CHECK_FALSE(StartsUpper("123"));
  CHECK_FALSE(StartsUpper(""));
  CHECK_FALSE(StartsUpper("."));
}

TEST_CASE("tokenizer survives hostile input", "[unit]") {
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>((i * 7919) % 256);
  junk += std::string(100000, 'A');
  std::vector<Token> toks;
  Tokenize(junk, &toks);
  CHECK_FALSE(toks.empty());
  for (const auto& t : toks) {
    CHECK(t.begin < t.end);
    CHECK(t.end <= junk.size());
  }
}
