#include "daemon/replay.h"

#include <cstdlib>
#include <sstream>

namespace newsflow {

bool ParsePartitionOffsets(const std::string& text, std::map<int32_t, int64_t>* out) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) return false;
    char* end = nullptr;
    const long p = std::strtol(item.c_str(), &end, 10);
    if (end != item.c_str() + colon || p < 0) return false;
    const long long o = std::strtoll(item.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || o < 0) return false;
    (*out)[static_cast<int32_t>(p)] = o;
  }
  return !out->empty();
}

}  // namespace newsflow
