// libFuzzer entry points: RecordProcessor over every registered stage (see fuzz/targets.h).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  newsflow::fuzz::PrepareStages();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return newsflow::fuzz::FuzzStages(data, size);
}
