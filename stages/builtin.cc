#include "stages/builtin.h"

#include "stages/clean/clean_stage.h"
#include "stages/dedup/dedup_stage.h"
#include "stages/entities/entities_stage.h"
#include "stages/language/language_stage.h"

namespace newsflow {

// The chain's default order is clean -> language -> dedup -> entities (config/config.h); this
// list is the set of stages a config may name, in that order.
void RegisterBuiltinStages(StageRegistry* registry) {
  registry->Add(MakeCleanStageFactory());
  registry->Add(MakeLanguageStageFactory());
  registry->Add(MakeDedupStageFactory());
  registry->Add(MakeEntitiesStageFactory());
}

}  // namespace newsflow
