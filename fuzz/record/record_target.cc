#include <simdjson.h>

#include <string>
#include <string_view>

#include "fuzz/targets.h"
#include "stages/core/record.h"

namespace newsflow::fuzz {
namespace {

bool IsDeclaredReason(std::string_view reason) {
  for (std::string_view r : kParseReasons)
    if (r == reason) return true;
  return false;
}

}  // namespace

int FuzzRecord(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  ParseOptions options;
  options.raw = mode & 1;
  static constexpr const char* kBodies[] = {"auto", "text", "html", "auto"};
  options.raw_body = kBodies[(mode >> 1) & 3];
  options.repair_utf8 = mode & 8;
  if (mode & 16) options.max_record_bytes = 1024;  // the smallest the config allows
  // With bit 5 the bytes up to the first newline are the Kafka key, the rest the value.
  std::string_view key, value = rest;
  if (mode & 32) {
    const size_t nl = rest.find('\n');
    if (nl != std::string_view::npos) {
      key = rest.substr(0, nl);
      value = rest.substr(nl + 1);
    }
  }

  // One parser per option set, reused like a worker's, so buffer reuse is exercised too.
  static RecordParser* parsers[64] = {};
  RecordParser*& parser = parsers[mode & 31];
  if (!parser) parser = new RecordParser(options);

  Article article;
  ParseError error;
  if (!parser->Parse(value, key, &article, &error)) {
    Check(IsDeclaredReason(error.reason), "parse error reason is not one of kParseReasons");
    return 0;
  }
  Check(!article.id.empty(), "a parsed record has an id");
  Check(!article.input_html.empty() || !article.input_text.empty(), "a parsed record has a body");

  PipelineInfo info{"0.0.0", {}};
  std::string out;
  WriteOutputRecord(article, info, 1700000000000, &out);
  static simdjson::dom::parser json;
  simdjson::dom::element doc;
  Check(json.parse(out).get(doc) == simdjson::SUCCESS, "the output record is valid JSON");
  std::string_view id;
  Check(doc["id"].get_string().get(id) == simdjson::SUCCESS && id == article.id,
        "the output record carries the id");
  return 0;
}

}  // namespace newsflow::fuzz
