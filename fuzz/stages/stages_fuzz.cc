// libFuzzer entry point: RecordProcessor over every registered stage (see fuzz/targets.h).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return newsflow::fuzz::FuzzStages(data, size);
}
