// Stable, fast, non-cryptographic hashes (XXH3) used for ids, shingles and signatures.
// The values are part of the persisted state and of record ids: never change the seed or the
// function without a state-format version bump. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace newsflow {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);

// 128-bit hash as 32 lowercase hex characters.
std::string Hash128Hex(std::string_view data);

}  // namespace newsflow
