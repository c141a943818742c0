// RecordProcessor: one record's whole path, bytes in -> output record or dead-letter verdict.
//
// Parse (record codec) -> stage chain -> serialise. The daemon's workers, file mode
// (`newsflowd process`), replay and the benchmarks all call this one function, so every mode
// gives byte-identical records for the same input (but for pipeline.processed_at).
// One per worker; not thread-safe; reuses its Article and buffers across records.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "stages/core/chain.h"
#include "stages/core/record.h"

namespace newsflow {

// kFatal: a stage's environment failed (e.g. state storage); the record must be retried, not
// dead-lettered or committed.
enum class RecordFate : uint8_t { kOutput, kDeadLetter, kDropped, kFatal };

struct ProcessResult {
  RecordFate fate = RecordFate::kOutput;
  std::string_view stage;   // "input" for parse errors, else the stage that failed or dropped
  std::string_view reason;  // static: a parse reason or a stage's declared reason
  std::string detail;       // human-readable detail (parse errors)
  const std::string* output = nullptr;  // the record JSON when fate == kOutput
  const Article* article = nullptr;     // the processed article (valid until the next call)
};

class RecordProcessor {
 public:
  RecordProcessor(const Pipeline& pipeline, ParseOptions options, PipelineInfo info, int worker);
  // `origin` is copied into the article for stages and dead letters.
  const ProcessResult& Process(std::string_view value, std::string_view key, const Origin& origin,
                               int64_t now_ms);

 private:
  RecordParser parser_;
  std::unique_ptr<Chain> chain_;
  PipelineInfo info_;
  Article article_;
  std::string output_;
  ProcessResult result_;
};

}  // namespace newsflow
