#include <cstdio>
#include <cstdlib>

#include "fuzz/targets.h"

namespace newsflow::fuzz {

void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace newsflow::fuzz
