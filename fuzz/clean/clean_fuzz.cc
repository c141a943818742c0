// libFuzzer target for the clean stage: the whole Process() path, HTML and plain text.
// The first input byte picks the path and options (bit 0: html, bit 1: invalid_utf8 fail,
// bit 2: small depth limit); the rest is the body. Any crash, sanitizer report, exception or
// undeclared reason is a finding.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "config/section.h"
#include "stages/clean/clean_stage.h"
#include "stages/core/article.h"

namespace {

struct Harness {
  std::unique_ptr<newsflow::StageFactory> factory = newsflow::MakeCleanStageFactory();
  std::unique_ptr<newsflow::StageConfig> configs[4];
  std::unique_ptr<newsflow::Stage> workers[4];

  Harness() {
    for (int i = 0; i < 4; ++i) {
      newsflow::config::Errors errors;
      std::string yaml = "{on_empty: continue";
      if (i & 1) yaml += ", invalid_utf8: fail";
      if (i & 2) yaml += ", max_depth: 16, max_elements: 1000";
      yaml += "}";
      newsflow::config::Section section(YAML::Load(yaml), "stages.clean", &errors);
      configs[i] = factory->Parse(section);
      if (!errors.empty()) std::abort();
      if (!configs[i]->Prepare({}).ok()) std::abort();
      workers[i] = configs[i]->CreateWorker();
    }
  }
};

Harness& TheHarness() {
  static Harness h;
  return h;
}

}  // namespace

// The stage is prepared before fuzzing starts, so that its start-up is not charged to the
// first input's -timeout.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  TheHarness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = TheHarness();
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  newsflow::Article a;
  if (mode & 1) {
    a.input_html.assign(body);
  } else {
    a.input_text.assign(body);
  }
  if (mode & 8) a.title = "A title given with the record";
  newsflow::StageContext ctx;
  const int which = (mode >> 1) & 3;
  const newsflow::Outcome o = h.workers[which]->Process(a, ctx);
  if (o.verdict != newsflow::Verdict::kContinue) {
    bool declared = false;
    for (auto r : h.factory->Reasons()) declared |= r == o.reason;
    if (!declared) std::abort();
  }
  return 0;
}
