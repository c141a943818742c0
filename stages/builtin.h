// RegisterBuiltinStages: the explicit list of stages this build knows. Adding a stage means
// one folder under stages/ and one line in builtin.cc.
#pragma once

#include "stages/core/registry.h"

namespace newsflow {

void RegisterBuiltinStages(StageRegistry* registry);

}  // namespace newsflow
