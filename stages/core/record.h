// The record codec: input bytes -> Article, and Article -> output record JSON.
//
// Input formats (docs/records.md): "json", a JSON object with id, url, source, published_at,
// title, html and/or text (other fields pass through under `meta`); "raw", the value is the
// body and the Kafka key is the id. Output: one JSON object per article, schema
// docs/schema/enriched-article.schema.json, `schema_version` 1.
// RecordParser keeps a simdjson parser (reused buffers): one per worker, not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "stages/core/article.h"

namespace newsflow {

inline constexpr int kSchemaVersion = 1;

struct ParseOptions {
  bool raw = false;                 // input.format == "raw"
  std::string raw_body = "auto";    // "auto", "text", "html"
  int64_t max_record_bytes = 10 * 1024 * 1024;
  bool repair_utf8 = false;         // input.invalid_utf8 == "repair"
};

// Why a record could not be parsed. `reason` is one of kParseReasons (static).
struct ParseError {
  std::string_view reason;
  std::string detail;
};
inline constexpr std::string_view kParseReasons[] = {
    "too_large", "invalid_utf8", "not_json", "not_object", "bad_field", "no_body",
    "bad_published_at", "no_id"};

class RecordParser {
 public:
  explicit RecordParser(ParseOptions options) : options_(std::move(options)) {}
  // Fills `out` (cleared first) from a record value and key. Returns false and sets `error`
  // when the record is bad input.
  bool Parse(std::string_view value, std::string_view key, Article* out, ParseError* error);

 private:
  bool ParseJson(std::string_view value, Article* out, ParseError* error);
  bool ParseRaw(std::string_view value, std::string_view key, Article* out, ParseError* error);
  ParseOptions options_;
  simdjson::dom::parser parser_;
  std::string repaired_;
  simdjson::padded_string padded_;
};

// The version of newsflow, from the build ("0.1.0").
const char* NewsflowVersion();

struct PipelineInfo {
  std::string version;  // newsflow version
  std::vector<std::pair<std::string, std::string>> stages;  // name, stage version
};

// Appends the output record for `a` to `out` (cleared first). `processed_at_ms` is written as
// pipeline.processed_at.
void WriteOutputRecord(const Article& a, const PipelineInfo& info, int64_t processed_at_ms,
                       std::string* out);

// The id rule for records without one: "url:" + hash of the URL, else "content:" + hash of
// title and body. Stable across runs and versions.
std::string DeriveId(const Article& a);

}  // namespace newsflow
