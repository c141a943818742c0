#include "stages/core/processor.h"

namespace newsflow {

const char* NewsflowVersion() { return NEWSFLOW_VERSION; }

RecordProcessor::RecordProcessor(const Pipeline& pipeline, ParseOptions options,
                                 PipelineInfo info, int worker)
    : parser_(std::move(options)), chain_(pipeline.CreateChain(worker)), info_(std::move(info)) {}

const ProcessResult& RecordProcessor::Process(std::string_view value, std::string_view key,
                                              const Origin& origin, int64_t now_ms) {
  result_ = ProcessResult{};
  result_.article = &article_;
  ParseError error;
  if (!parser_.Parse(value, key, &article_, &error)) {
    result_.fate = RecordFate::kDeadLetter;
    result_.stage = "input";
    result_.reason = error.reason;
    result_.detail = std::move(error.detail);
    return result_;
  }
  article_.origin = origin;
  const ChainResult chain = chain_->Run(article_);
  if (chain.verdict != Verdict::kContinue) {
    result_.fate = chain.verdict == Verdict::kDrop    ? RecordFate::kDropped
                   : chain.verdict == Verdict::kFatal ? RecordFate::kFatal
                                                      : RecordFate::kDeadLetter;
    result_.stage = chain.stage;
    result_.reason = chain.reason;
    return result_;
  }
  WriteOutputRecord(article_, info_, now_ms, &output_);
  result_.output = &output_;
  return result_;
}

}  // namespace newsflow
