// The language stage: fills Article::language from the article's title and body.
//
// Reads Article::title and Article::BodyText() (clean text when the clean stage ran, else the
// input text; an HTML-only article without clean is decided from its title alone, often "und").
// Writes only Article::language. Never drops or fails a record: "und" is a verdict.
// Options (section `stages.language`) are documented in stages/language/README.md.
// The config loads the n-gram model once in Prepare() and is then shared read-only by all
// workers; each worker (Stage) owns its scratch buffers. Process() does not block; it allocates
// only while its buffers grow.
#pragma once

#include <memory>

#include "stages/core/stage.h"

namespace newsflow {

std::unique_ptr<StageFactory> MakeLanguageStageFactory();

}  // namespace newsflow
