// libFuzzer entry point: config loading and pipeline building (see fuzz/targets.h).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return newsflow::fuzz::FuzzConfig(data, size);
}
