// The entities stage: finds people, organisations, places and other names in an article's
// body and fills Article::entities with one entry per entity (canonical name, type, stable
// id, mentions with code point offsets into Article::text, or into the input text when the
// article was not cleaned).
//
// Factory -> config (options below, README.md) -> Prepare() loads the gazetteer and one tagger
// model per configured language (shared read-only) -> one worker per thread with its own
// scratch. Process() is noexcept, takes no locks and allocates only the output and scratch
// growth. Articles in a language without a model get no `entities` field (not an empty list:
// nothing was looked for).
#pragma once

#include <memory>

#include "stages/core/stage.h"

namespace newsflow {

std::unique_ptr<StageFactory> MakeEntitiesStageFactory();

}  // namespace newsflow
