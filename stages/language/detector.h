// Detector: which language a text is in, with the share of each other language present.
//
// Three signals, each where it is strongest:
//   1. Scripts. Letters of a script that one language owns in practice (Hangul, kana, Thai,
//      Greek, Hebrew, Armenian, Georgian, the Indic scripts but Devanagari) decide outright.
//   2. CLD2 (Debian's libcld2, 160+ languages), run per chunk of paragraphs on long text, so a
//      page is the language of most of its text; its Turkish cookie banner only shows up in
//      `others`.
//   3. A character n-gram model (NgramModel) for short text (titles, a few words), where CLD2 is
//      weak, and to choose within the close-language groups (bs/hr/sr, id/ms, nb/nn/da,
//      es/pt/gl, cs/sk, ...) that CLD2 confuses, on long text too.
// Immutable after Create(); Detect() is const and thread-safe given a Scratch per thread. It
// allocates only while the Scratch grows; time and memory are bounded by the options.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// CLD2's header uses FILE without including <cstdio>, so <cstdio> must come first.
// clang-format off
#include <cstdio>
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
// clang-format on

#include "common/result.h"
#include "stages/core/article.h"
#include "stages/language/ngram_model.h"
#include "stages/language/text.h"

namespace newsflow::language {

struct DetectorOptions {
  // Path of the n-gram model written by newsflow-language-train; "" runs without it (CLD2 and
  // scripts only: much weaker on short text and close languages). Default: "".
  std::string model;
  // Path of a second n-gram model, trained on text of the domain (newsflow-language-train
  // --text), that only decides within close-language groups, added to the first model's
  // scores with weight kGroupWeight; "" = none. Default: "".
  std::string group_model;
  // Texts with fewer letters than this are "und". Range [1, 100]. Default: 1.
  int min_letters = 1;
  // From this many bytes of body text the long-text path decides (CLD2 per chunk, n-gram
  // model within close groups); shorter texts go to the n-gram model. Range [50, 100000].
  // Default: 300.
  int long_text_bytes = 300;
  // The n-gram model reads at most this many letters of a text. Bounds its cost on long text.
  // Range [50, 100000]. Default: 1000.
  int max_ngram_letters = 1000;
  // At most this many bytes of the body are looked at. Range [1000, 100000000]. Default: 1 MiB.
  int64_t max_text_bytes = 1 << 20;
  // On a longer body the long-text path reads a sample of about this many bytes (SampleText in
  // text.h: windows spread evenly from the start to the end), not the whole body; the shares in
  // `others` are then shares of the sample. 0 = always the whole body. Range 0 or
  // [1024, 100000000]. Default: 2048.
  int64_t sample_bytes = 2048;
  // `reliable` is set from this confidence on. Range [0, 1]. Default: 0.9.
  double reliable_confidence = 0.9;
  // Other languages below this share of the text are not listed in `others`. Range [0, 1].
  // Default: 0.05.
  double min_other_share = 0.05;
};

class Detector {
 public:
  // Per-thread scratch buffers, reused across calls.
  struct Scratch {
    Tokenized tok;
    std::vector<double> scores;
    std::vector<double> group_scores;
    std::vector<int> group_candidates;
    std::vector<double> word_unseen;
    std::vector<uint8_t> is_candidate;
    std::vector<double> values;
    std::vector<int64_t> acc;    // ScoreNgrams' sums per language, thousandths of a nat
    bool stopped_early = false;  // whether the last ScoreNgrams stopped at its margin
    std::vector<uint32_t> stamps;
    uint32_t stamp = 0;
    std::vector<int> candidates;
    // ScoreNgrams' positions (code point end, top order, whether the stop test runs before it)
    // and their keys, kMaxNgramOrder per position.
    struct Position {
      uint32_t end;
      uint8_t top;
      bool check;
    };
    std::vector<Position> positions;
    std::vector<uint64_t> keys;
    std::vector<std::pair<std::string, double>> weights;
    std::string chunk;
    std::string clean;     // the body with what CLD2 rejects blanked out (DetectLong)
    std::string sample;    // the sample of a long body (SampleText)
    std::string word_key;  // ScoreWords' key buffer
    std::vector<uint64_t> word_keys;
    CLD2::ResultChunkVector cld2_chunks;
  };

  static Result<std::unique_ptr<Detector>> Create(const DetectorOptions& options);

  // Decides the language of an article from its title and body (either may be empty).
  void Detect(std::string_view title, std::string_view body, Scratch* scratch,
              LanguageResult* out) const;

  const NgramModel* model() const { return model_.get(); }
  const NgramModel* group_model() const { return group_model_.get(); }
  const DetectorOptions& options() const { return options_; }

 private:
  explicit Detector(DetectorOptions options) : options_(std::move(options)) {}
  void DetectShort(std::string_view title, std::string_view body, Scratch* s,
                   LanguageResult* out) const;
  void DetectLong(std::string_view body, Scratch* s, LanguageResult* out) const;
  // Sums the n-gram log-likelihood of s->tok for each of `candidates` into `scores` (indexed
  // like the model's languages), with n-grams of orders [min_order, max_order] (positions with
  // fewer preceding letters in their word are skipped); stops early once the best
  // candidate leads the second by `stop_margin` (0: never); with `stop_outside_group` (model_
  // only), once it leads every candidate outside its close group by that much. `table`: the
  // group's GroupTable of `model`, used when `candidates` are exactly its languages (the same
  // sums, from a small table instead of the model's).
  void ScoreNgrams(const NgramModel& model, const std::vector<int>& candidates, Scratch* s,
                   std::vector<double>* scores, uint32_t max_order = kMaxNgramOrder,
                   uint32_t min_order = 1, double stop_margin = 0, bool stop_outside_group = false,
                   const GroupTable* table = nullptr) const;
  // Adds the whole-word log-likelihood of s->tok under `model` (when it has word entries).
  void ScoreWords(const NgramModel& model, const std::vector<int>& candidates, Scratch* s,
                  std::vector<double>* scores) const;
  // When the best candidate belongs to a close group and a group model is loaded, re-scores
  // the group's members with it (added to s->scores).
  void ApplyGroupModel(Scratch* s, double weight) const;
  // Softmax over the candidates' scores; returns the best candidate and its probability.
  int BestCandidate(const Scratch& s, double* probability) const;
  // How far the candidate `best` leads the next one in s.scores (log-likelihood).
  double Lead(const Scratch& s, int best) const;
  // The close-language group of `code` as model language indices (empty when none).
  const std::vector<int>* GroupOf(std::string_view code) const;

  DetectorOptions options_;
  std::unique_ptr<NgramModel> model_;
  std::vector<std::vector<int>> groups_;  // close-language groups, model indices
  std::vector<int> group_of_language_;    // model index -> groups_ index or -1
  std::unique_ptr<NgramModel> group_model_;
  std::vector<int> group_model_index_;  // model index -> group_model_ index or -1
  // Per groups_ entry: the group's n-grams of model_ and of group_model_ (its members in the
  // group model's indices, same order), null where a group has too many members.
  std::vector<std::unique_ptr<GroupTable>> model_tables_;
  std::vector<std::unique_ptr<GroupTable>> group_model_tables_;
};

}  // namespace newsflow::language
