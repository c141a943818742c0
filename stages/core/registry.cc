#include "stages/core/registry.h"

namespace newsflow {

void StageRegistry::Add(std::unique_ptr<StageFactory> factory) {
  factories_.push_back(std::move(factory));
}

const StageFactory* StageRegistry::Find(std::string_view name) const {
  for (const auto& f : factories_)
    if (f->Name() == name) return f.get();
  return nullptr;
}

std::vector<const StageFactory*> StageRegistry::All() const {
  std::vector<const StageFactory*> out;
  for (const auto& f : factories_) out.push_back(f.get());
  return out;
}

}  // namespace newsflow
