#include "stages/clean/clean_stage.h"

#include <new>
#include <optional>
#include <string>

#include "common/time.h"
#include "common/utf8.h"
#include "stages/clean/extract.h"
#include "stages/clean/normalize.h"

namespace newsflow {
namespace {

constexpr std::string_view kTooLarge = "input_too_large";
constexpr std::string_view kInvalidUtf8 = "invalid_utf8";
constexpr std::string_view kEmpty = "empty_after_cleaning";
constexpr std::string_view kInternal = "internal_error";

struct CleanOptions {
  // Largest input body (html or text) in bytes. Range [1024, 268435456]. Default: 10485760.
  int64_t max_input_bytes = 10 * 1024 * 1024;
  // Deepest element nesting tracked in HTML; deeper elements are flattened into their
  // ancestor. Range [16, 4096]. Default: 256.
  int64_t max_depth = 256;
  // Most HTML elements tracked per page; text after the limit joins the open block.
  // Range [1000, 10000000]. Default: 200000.
  int64_t max_elements = 200000;
  // Invalid UTF-8 in the body: "repair" (replace with U+FFFD) or "fail" (dead-letter with
  // reason invalid_utf8). Default: "repair".
  std::string invalid_utf8 = "repair";
  // Nothing left after cleaning: "fail" (dead-letter, reason empty_after_cleaning) or
  // "continue" (emit the record with empty text). Default: "fail".
  std::string on_empty = "fail";
  // Keep a sensible input title over the page's headline. Default: true.
  bool keep_input_title = true;
  // Fill published_at from the page (meta, JSON-LD) when the record had none. Default: true.
  bool fill_published_at = true;
};

// An input title worth keeping: non-empty, not a URL, of headline length.
bool SensibleTitle(const std::string& t) {
  return t.size() >= 8 && t.size() <= 400 && t.find("://") == std::string::npos &&
         t.find('\n') == std::string::npos;
}

// Page dates come as RFC 3339 or near it ("2024-02-28T13:16:11+0000", "2024-02-28 13:16").
std::optional<int64_t> ParsePageDate(std::string s) {
  if (auto ms = ParseRfc3339(s)) return ms;
  // "+0000" -> "+00:00"
  if (s.size() > 5) {
    const size_t z = s.size() - 5;
    if ((s[z] == '+' || s[z] == '-') && s.find(':', z) == std::string::npos) {
      s = s.substr(0, z + 3) + ":" + s.substr(z + 3);
      if (auto ms = ParseRfc3339(s)) return ms;
    }
  }
  if (s.size() == 16 && s[10] == 'T') {  // no seconds, no zone: take it as UTC
    if (auto ms = ParseRfc3339(s + ":00Z")) return ms;
  }
  if (s.size() >= 10) {
    if (auto ms = ParseRfc3339(s.substr(0, 10))) return ms;
  }
  return std::nullopt;
}

class CleanStage : public Stage {
 public:
  explicit CleanStage(const CleanOptions& o) : o_(o) {}

  Outcome Process(Article& a, StageContext&) noexcept override {
    try {
      return Run(a);
    } catch (const std::bad_alloc&) {
      return Outcome::Fail(kInternal);
    } catch (...) {
      return Outcome::Fail(kInternal);
    }
  }

 private:
  Outcome Run(Article& a) {
    const bool html = a.input_html.find_first_not_of(" \t\r\n") != std::string::npos;
    const std::string& body = html ? a.input_html : a.input_text;
    if (static_cast<int64_t>(body.size()) > o_.max_input_bytes) return Outcome::Fail(kTooLarge);
    std::string repaired;
    std::string_view input = body;
    if (!IsValidUtf8(input)) {
      if (o_.invalid_utf8 == "fail") return Outcome::Fail(kInvalidUtf8);
      repaired = RepairUtf8(input);
      input = repaired;
    }
    std::string input_title = a.title;
    if (!IsValidUtf8(input_title)) input_title = RepairUtf8(input_title);
    input_title = clean::NormalizeText(input_title, false);

    clean::Extracted x;
    if (html) {
      clean::HtmlLimits limits;
      limits.max_depth = static_cast<size_t>(o_.max_depth);
      limits.max_elements = static_cast<size_t>(o_.max_elements);
      clean::ExtractHtml(input, limits, &x);
    } else {
      clean::CleanPlainText(input, input_title, &x);
    }

    if (o_.keep_input_title && SensibleTitle(input_title)) {
      // The page's headline wins only when the input title is it plus furniture
      // ("Headline | Site").
      if (!x.title.empty() && clean::SameTitle(x.title, input_title) &&
          x.title.size() < input_title.size()) {
        a.title = x.title;
      } else {
        a.title = input_title;
      }
    } else if (!x.title.empty()) {
      a.title = x.title;
    } else {
      a.title = input_title;
    }
    a.text.clear();
    for (const auto& p : x.paragraphs) {
      if (!a.text.empty()) a.text.append("\n\n");
      a.text.append(p);
    }
    a.dateline = std::move(x.dateline);
    a.byline = std::move(x.byline);
    a.description = std::move(x.description);
    if (o_.fill_published_at && a.published_at.empty() && !x.published_at.empty()) {
      if (auto ms = ParsePageDate(x.published_at)) {
        a.published_at_ms = *ms;
        a.published_at = FormatRfc3339Millis(*ms);
      }
    }
    a.match_text = clean::MatchView(a.text);
    a.cleaned = true;
    if (a.text.empty() && o_.on_empty == "fail") return Outcome::Fail(kEmpty);
    return Outcome::Continue();
  }

  const CleanOptions& o_;
};

class CleanConfig : public StageConfig {
 public:
  explicit CleanConfig(CleanOptions o) : o_(std::move(o)) {}
  Status Prepare(const StageEnvironment&) override { return Status::Ok(); }
  std::unique_ptr<Stage> CreateWorker() const override { return std::make_unique<CleanStage>(o_); }
  std::string Version() const override { return "clean-1.0"; }

 private:
  CleanOptions o_;
};

class CleanFactory : public StageFactory {
 public:
  std::string_view Name() const override { return "clean"; }
  std::vector<std::string_view> Reasons() const override {
    return {kTooLarge, kInvalidUtf8, kEmpty, kInternal};
  }
  std::unique_ptr<StageConfig> Parse(config::Section& s) const override {
    CleanOptions o;
    o.max_input_bytes = s.Int("max_input_bytes", o.max_input_bytes, 1024, 268435456);
    o.max_depth = s.Int("max_depth", o.max_depth, 16, 4096);
    o.max_elements = s.Int("max_elements", o.max_elements, 1000, 10000000);
    o.invalid_utf8 = s.Enum("invalid_utf8", o.invalid_utf8, {"repair", "fail"});
    o.on_empty = s.Enum("on_empty", o.on_empty, {"fail", "continue"});
    o.keep_input_title = s.Bool("keep_input_title", o.keep_input_title);
    o.fill_published_at = s.Bool("fill_published_at", o.fill_published_at);
    s.Finish();
    return std::make_unique<CleanConfig>(std::move(o));
  }
};

}  // namespace

std::unique_ptr<StageFactory> MakeCleanStageFactory() { return std::make_unique<CleanFactory>(); }

}  // namespace newsflow
