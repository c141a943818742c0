#include "stages/builtin.h"

#include "stages/language/language_stage.h"

namespace newsflow {

void RegisterBuiltinStages(StageRegistry* registry) {
  registry->Add(MakeLanguageStageFactory());
}

}  // namespace newsflow
