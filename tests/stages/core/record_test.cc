#include <catch2/catch.hpp>

#include <simdjson.h>

#include "stages/core/record.h"

using namespace newsflow;

namespace {

Article ParseOk(RecordParser& p, std::string_view value, std::string_view key = {}) {
  Article a;
  ParseError e;
  INFO(std::string(value));
  REQUIRE(p.Parse(value, key, &a, &e));
  return a;
}

std::string_view ParseFails(RecordParser& p, std::string_view value) {
  Article a;
  ParseError e;
  REQUIRE_FALSE(p.Parse(value, {}, &a, &e));
  CHECK_FALSE(e.detail.empty());
  return e.reason;
}

}  // namespace

TEST_CASE("JSON input: known fields, meta pass-through", "[unit]") {
  RecordParser p(ParseOptions{});
  Article a = ParseOk(p, R"({"id":"a1","url":"https://x.test/a","source":"X","published_at":
    "2024-01-26T08:15:00Z","title":"T","text":"Body.","lang_hint":"en","tags":["a","b"]})");
  CHECK(a.id == "a1");
  CHECK(a.url == "https://x.test/a");
  CHECK(a.source == "X");
  CHECK(a.published_at_ms == 1706256900000);
  CHECK(a.title == "T");
  CHECK(a.input_text == "Body.");
  CHECK(a.meta_json == R"({"lang_hint":"en","tags":["a","b"]})");
}

TEST_CASE("JSON input: ids derived from url, else content, stably", "[unit]") {
  RecordParser p(ParseOptions{});
  Article by_url = ParseOk(p, R"({"url":"https://x.test/a","text":"Body."})");
  CHECK(by_url.id.rfind("url:", 0) == 0);
  CHECK(ParseOk(p, R"({"url":"https://x.test/a","text":"Other."})").id == by_url.id);
  Article by_content = ParseOk(p, R"({"title":"T","html":"<p>x</p>"})");
  CHECK(by_content.id.rfind("content:", 0) == 0);
  CHECK(ParseOk(p, R"({"title":"T","html":"<p>x</p>"})").id == by_content.id);
  CHECK(ParseOk(p, R"({"id":42,"text":"numeric id"})").id == "42");
}

TEST_CASE("JSON input: every kind of bad input has its reason", "[unit]") {
  ParseOptions o;
  o.max_record_bytes = 2048;
  RecordParser p(o);
  CHECK(ParseFails(p, "not json at all") == "not_json");
  CHECK(ParseFails(p, R"({"text": "truncated)") == "not_json");
  CHECK(ParseFails(p, "[1,2]") == "not_object");
  CHECK(ParseFails(p, "{\"text\":\"bad \xC3\x28\"}") == "invalid_utf8");
  CHECK(ParseFails(p, R"({"title":"only a title"})") == "no_body");
  CHECK(ParseFails(p, R"({"text":"   "})") == "no_body");
  CHECK(ParseFails(p, R"({"text":["a"]})") == "bad_field");
  CHECK(ParseFails(p, R"({"text":"x","published_at":"last tuesday"})") == "bad_published_at");
  CHECK(ParseFails(p, R"({"id":"","text":"x"})") == "no_id");
  CHECK(ParseFails(p, "{\"text\":\"" + std::string(3000, 'a') + "\"}") == "too_large");
}

TEST_CASE("Invalid UTF-8 is repaired when configured", "[unit]") {
  ParseOptions o;
  o.repair_utf8 = true;
  RecordParser p(o);
  Article a = ParseOk(p, "{\"text\":\"caf\xE9 ok\"}");
  CHECK(a.input_text == "caf\xEF\xBF\xBD ok");
}

TEST_CASE("Raw input: the value is the body, the key the id", "[unit]") {
  ParseOptions o;
  o.raw = true;
  RecordParser p(o);
  Article html = ParseOk(p, "  <html><p>x</p></html>", "k1");
  CHECK(html.id == "k1");
  CHECK(html.input_html.size() > 0);
  Article text = ParseOk(p, "Plain words.", "");
  CHECK(text.input_text == "Plain words.");
  CHECK(text.id.rfind("content:", 0) == 0);
  o.raw_body = "text";
  RecordParser forced(o);
  CHECK(ParseOk(forced, "<b>shown as text</b>", "k").input_text == "<b>shown as text</b>");
}

TEST_CASE("Output record: fields present only when filled", "[unit]") {
  Article a;
  a.id = "a1";
  a.title = "T";
  PipelineInfo info{"0.1.0", {{"clean", "1"}}};
  std::string out;
  WriteOutputRecord(a, info, 0, &out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  CHECK(int64_t(doc["schema_version"]) == kSchemaVersion);
  CHECK(std::string_view(doc["id"]) == "a1");
  CHECK(doc["url"].is_null());
  CHECK(doc["text"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(doc["language"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(doc["dedup"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(doc["entities"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::string_view(doc["pipeline"]["processed_at"]) == "1970-01-01T00:00:00.000Z");

  a.cleaned = true;
  a.text = "Para one.\n\nPara two.";
  a.language = LanguageResult{"en", 0.99, true, {{"tr", 0.05}}};
  a.dedup = DedupResult{DedupStatus::kNearDuplicate, "a0", 0.5, 0.8,
                        {{"a0", DedupStatus::kNearDuplicate, 0.5, 0.8}}};
  a.entities = std::vector<Entity>{{"e1", "Seoul", "LOC", {{"SEOUL", 0, 5}}}};
  a.meta_json = R"({"k":[1]})";
  WriteOutputRecord(a, info, 0, &out);
  doc = parser.parse(out);
  CHECK(std::string_view(doc["text"]) == "Para one.\n\nPara two.");
  CHECK(std::string_view(doc["language"]["code"]) == "en");
  CHECK(std::string_view(doc["dedup"]["status"]) == "near_duplicate");
  CHECK(std::string_view(doc["dedup"]["of"]) == "a0");
  CHECK(int64_t(doc["entities"].at(0)["count"]) == 1);
  CHECK(int64_t(doc["meta"]["k"].at(0)) == 1);
}
