#include "stages/core/article.h"

namespace newsflow {

const char* DedupStatusName(DedupStatus s) {
  switch (s) {
    case DedupStatus::kUnique: return "unique";
    case DedupStatus::kExactDuplicate: return "exact_duplicate";
    case DedupStatus::kNearDuplicate: return "near_duplicate";
    case DedupStatus::kPartialOverlap: return "partial_overlap";
  }
  return "unique";
}

void Article::Clear() {
  id.clear();
  url.clear();
  source.clear();
  published_at.clear();
  published_at_ms = kUnknownTime;
  input_html.clear();
  input_text.clear();
  meta_json.clear();
  origin = Origin{};
  cleaned = false;
  title.clear();
  text.clear();
  dateline.clear();
  byline.clear();
  description.clear();
  match_text.clear();
  language.reset();
  dedup.reset();
  entities.reset();
}

}  // namespace newsflow
