// The dedup stage: is this article a copy, an updated version or a partial reuse of one seen
// before? Fills Article::dedup.
//
// Reads Article::match_text when clean filled it (else BodyText(), normalised here), id and
// published_at_ms (else origin.timestamp_ms, else the wall clock). Keeps its index, samples and
// verdicts in the state::Store of the StageEnvironment (layout: state_layout.h, README.md).
// Threading: workers sign texts and read their candidates' records in parallel; the
// lookup-verify-write-insert step is serialised by one mutex in the shared config, because two
// copies of one story processed at once must see each other (without it both would come out
// unique). Process() blocks on that mutex and on store reads/writes; it allocates per record
// (signature buffers are per worker and reused).
#pragma once

#include <memory>

#include "stages/core/stage.h"

namespace newsflow {

std::unique_ptr<StageFactory> MakeDedupStageFactory();

}  // namespace newsflow
