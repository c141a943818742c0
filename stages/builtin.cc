#include "stages/builtin.h"

namespace newsflow {

void RegisterBuiltinStages(StageRegistry* registry) {
  (void)registry;
}

}  // namespace newsflow
