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

// The 64-bit finaliser of MurmurHash3: a bijection in which every input bit affects every
// output bit; spreads integers (keys, ids, hashes with weak low bits) over table slots.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace newsflow
