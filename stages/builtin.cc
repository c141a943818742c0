#include "stages/builtin.h"

#include "stages/entities/entities_stage.h"
#include "stages/language/language_stage.h"

namespace newsflow {

void RegisterBuiltinStages(StageRegistry* registry) {
  registry->Add(MakeLanguageStageFactory());
  registry->Add(MakeEntitiesStageFactory());
}

}  // namespace newsflow
