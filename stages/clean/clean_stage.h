// The clean stage: the article's own text out of an HTML page or noisy scraped plain text.
//
// Reads Article::input_html (preferred) or input_text and fills title (when the input had none
// or a worse one), text, dateline, byline, description, published_at (when absent) and
// match_text, then sets cleaned. Options: see stages/clean/README.md. The factory and config
// are control plane; Process() is noexcept, allocates per record, keeps no state between
// records and is bounded in time and memory by the max_input_bytes/max_depth/max_elements
// options. Declared fail reasons: input_too_large, invalid_utf8, empty_after_cleaning,
// internal_error.
#pragma once

#include <memory>

#include "stages/core/stage.h"

namespace newsflow {

std::unique_ptr<StageFactory> MakeCleanStageFactory();

}  // namespace newsflow
