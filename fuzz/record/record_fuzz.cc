// libFuzzer entry point: the input record parser (see fuzz/targets.h).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return newsflow::fuzz::FuzzRecord(data, size);
}
