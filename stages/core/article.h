// Article: one record travelling through the stage chain, input fields and every stage's output.
//
// Ownership: the Article owns all its strings. Workers reuse one Article per record slot and
// call Clear(), which keeps capacity. Each stage fills only its own output fields; a field a
// stage has not filled stays empty/absent and is not written to the output record (never faked).
// Offsets in Mention are Unicode code points into `text` (so `text[start:end]` works in Python
// and JavaScript-style code point APIs). Not thread-safe: one worker owns an Article at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace newsflow {

inline constexpr int64_t kUnknownTime = INT64_MIN;

// Where the record came from (Kafka position or file line), for dead letters and metrics.
struct Origin {
  std::string topic;          // or the input file name in file mode
  int32_t partition = -1;
  int64_t offset = -1;        // or the 1-based line number in file mode
  int64_t timestamp_ms = kUnknownTime;  // Kafka record timestamp
};

struct LanguageShare {
  std::string code;
  double share = 0;  // share of the text in this language, [0,1]
};

struct LanguageResult {
  std::string code = "und";  // ISO 639-1, else 639-3; "und" when undetermined
  double confidence = 0;     // calibrated, [0,1]
  bool reliable = false;
  std::vector<LanguageShare> others;  // other languages present, largest share first
};

enum class DedupStatus : uint8_t { kUnique, kExactDuplicate, kNearDuplicate, kPartialOverlap };
const char* DedupStatusName(DedupStatus s);

struct DedupMatch {
  std::string id;
  DedupStatus status = DedupStatus::kUnique;
  double similarity = 0;   // Jaccard estimate over word shingles
  double containment = 0;  // share of the shorter text found in the longer
};

struct DedupResult {
  DedupStatus status = DedupStatus::kUnique;
  std::string of;          // id of the earliest matching article; empty when unique
  double similarity = 0;
  double containment = 0;
  std::vector<DedupMatch> matches;  // best first, bounded by the stage's max_matches
};

struct Mention {
  std::string text;
  uint32_t start = 0;  // code point offset into Article::text
  uint32_t end = 0;    // exclusive
};

struct Entity {
  std::string id;    // stable: derived from type and canonical name
  std::string name;  // canonical name
  std::string type;  // PER, ORG, LOC or MISC
  std::vector<Mention> mentions;
};

struct Article {
  // ---- input (record parser) ----
  std::string id;
  std::string url;
  std::string source;
  std::string published_at;            // as given (RFC 3339) or as found by clean
  int64_t published_at_ms = kUnknownTime;
  std::string input_html;              // body as HTML, if given
  std::string input_text;              // body as plain text, if given
  std::string meta_json;               // other input fields as a JSON object; "" if none
  Origin origin;

  // ---- clean ----
  bool cleaned = false;
  std::string title;        // input title, replaced by clean's when clean finds a better one
  std::string text;         // clean body: paragraphs separated by a blank line ("\n\n")
  std::string dateline;     // "SEOUL, Jan. 26 (AP) —"; "" when none
  std::string byline;
  std::string description;
  // Normalised view for matching: same paragraphs as `text` with straight quotes, folded
  // dashes and hyphens, NFC. Not part of the output record.
  std::string match_text;

  // ---- language, dedup, entities ----
  std::optional<LanguageResult> language;
  std::optional<DedupResult> dedup;
  std::optional<std::vector<Entity>> entities;

  void Clear();
  // The body the stages should read: clean `text` when cleaned, else the input text.
  const std::string& BodyText() const { return cleaned ? text : input_text; }
};

}  // namespace newsflow
