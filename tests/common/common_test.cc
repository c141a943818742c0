#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "common/utf8.h"

using namespace newsflow;

TEST_CASE("JsonWriter escapes and separates", "[unit]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("a", "x\"y\\z\n\x01");
  w.Key("b");
  w.BeginArray();
  w.Int(1);
  w.Double(0.5);
  w.Bool(false);
  w.Null();
  w.EndArray();
  w.Key("c");
  w.Raw("{\"k\":1}");
  w.EndObject();
  CHECK(out == R"({"a":"x\"y\\z\n\u0001","b":[1,0.5,false,null],"c":{"k":1}})");
}

TEST_CASE("RFC 3339 parsing", "[unit]") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339("2024-01-26T17:15:00.5+09:00") == ParseRfc3339("2024-01-26T08:15:00.500Z"));
  CHECK(ParseRfc3339("2024-01-26") == ParseRfc3339("2024-01-26T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2024-02-30T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2024-01-26T00:00:00"));
  CHECK_FALSE(ParseRfc3339("yesterday"));
  CHECK(FormatRfc3339Millis(*ParseRfc3339("2024-02-29T23:59:59.123Z")) ==
        "2024-02-29T23:59:59.123Z");
  CHECK(FormatRfc3339Millis(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("UTF-8 validation and repair", "[unit]") {
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("Kim Jong-un — 김정은"));
  CHECK_FALSE(IsValidUtf8("bad \xC3\x28 byte"));
  CHECK_FALSE(IsValidUtf8("overlong \xC0\xAF"));
  CHECK_FALSE(IsValidUtf8("surrogate \xED\xA0\x80"));
  size_t n = 0;
  CHECK(RepairUtf8("a\xFF" "b\xE2\x82", &n) == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  CHECK(n == 2);
  CHECK(RepairUtf8("fine ü") == "fine ü");
  CHECK(CountCodePoints("aü김") == 3);
}

TEST_CASE("AppendUtf8 writes what DecodeUtf8 reads; invalid code points become U+FFFD",
          "[unit]") {
  for (char32_t cp : {U'a', char32_t{0x7F}, char32_t{0x80}, char32_t{0x7FF}, char32_t{0x800},
                      char32_t{0xFFFF}, char32_t{0x10000}, char32_t{0x10FFFF}}) {
    std::string s;
    AppendUtf8(&s, cp);
    REQUIRE(IsValidUtf8(s));
    size_t len = 0;
    CHECK(DecodeUtf8(s, 0, &len) == cp);
    CHECK(len == s.size());
  }
  std::string bad;
  AppendUtf8(&bad, 0xD800);
  AppendUtf8(&bad, 0x110000);
  CHECK(bad == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("DecodeUtf8 walks any bytes without reading past the end", "[unit]") {
  // Each case: input, then the (code point, length) pairs a walk yields.
  struct Case {
    std::string_view in;
    std::vector<std::pair<char32_t, size_t>> want;
  };
  const std::vector<Case> cases = {
      {"a", {{U'a', 1}}},
      {"ü김😀", {{0xFC, 2}, {0xAE40, 3}, {0x1F600, 4}}},
      {"\x80" "a", {{0xFFFD, 1}, {U'a', 1}}},                    // stray continuation byte
      {"\xC3(", {{0xFFFD, 1}, {U'(', 1}}},                       // lead without continuation
      {"x\xE2\x82", {{U'x', 1}, {0xFFFD, 1}, {0xFFFD, 1}}},      // cut by the end
      {"\xF0\x9F\x98", {{0xFFFD, 1}, {0xFFFD, 1}, {0xFFFD, 1}}},
      {"\xC0\xAF", {{0xFFFD, 1}, {0xFFFD, 1}}},                  // overlong
      {"\xED\xA0\x80", {{0xFFFD, 1}, {0xFFFD, 1}, {0xFFFD, 1}}},  // surrogate
      {"\xF4\x90\x80\x80", {{0xFFFD, 1}, {0xFFFD, 1}, {0xFFFD, 1}, {0xFFFD, 1}}},
  };
  for (const auto& c : cases) {
    std::vector<std::pair<char32_t, size_t>> got;
    for (size_t i = 0, len = 0; i < c.in.size(); i += len) {
      const char32_t cp = DecodeUtf8(c.in, i, &len);
      REQUIRE(len >= 1);
      REQUIRE(i + len <= c.in.size());
      got.emplace_back(cp, len);
    }
    INFO(std::string(c.in));
    CHECK(got == c.want);
  }
}

TEST_CASE("Hashes are stable", "[unit]") {
  // Persisted state and ids depend on these values: a change here is a format change.
  CHECK(Hash64("newsflow") == Hash64("newsflow"));
  CHECK(Hash64("newsflow") != Hash64("newsflow", 1));
  CHECK(Hash128Hex("").size() == 32);
  CHECK(Hash128Hex("a") != Hash128Hex("b"));
}
