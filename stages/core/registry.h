// StageRegistry: the named stage factories the chain may be built from.
//
// Filled once at start-up by RegisterBuiltinStages() (stages/builtin.h), an explicit list, not
// static self-registration. Read-only afterwards and then safe to share between threads.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "stages/core/stage.h"

namespace newsflow {

class StageRegistry {
 public:
  void Add(std::unique_ptr<StageFactory> factory);
  const StageFactory* Find(std::string_view name) const;
  std::vector<const StageFactory*> All() const;

 private:
  std::vector<std::unique_ptr<StageFactory>> factories_;
};

}  // namespace newsflow
