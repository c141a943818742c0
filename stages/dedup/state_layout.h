// The dedup stage's persisted state: key layout and value encodings (format version 2).
//
// Every key starts with "dedup/" (the store is shared with other stages), then one letter:
//   dedup/m/format                      -> "2"            layout version
//   dedup/m/watermark                   -> be64 ms       largest (clamped) event time seen
//   dedup/r/<bucket be32><idhash be64>  -> ArticleRecord the verdict and verification samples
//   dedup/k/<bucket be32><idhash be64>  -> IndexEntry    what Prepare needs to rebuild the index
//                                                      (keys, then optional check samples)
// `bucket` = event time / bucket length, big-endian so that one bucket, or all buckets before a
// bound, are one contiguous key range: the window is dropped with DeleteRange in whole buckets.
// Records and index entries are separate so that the start-up rebuild scans only the small
// entries. Values are little-endian packed; decoding checks every length (a corrupt value is an
// error, never a crash). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stages/core/article.h"

namespace newsflow::dedup {

inline constexpr std::string_view kFormatKey = "dedup/m/format";
inline constexpr std::string_view kWatermarkKey = "dedup/m/watermark";
// 2: index keys are the low 32 bits of a shingle hash (1: the high 32 bits, which the bottom-k
// selection leaves with few significant bits). A state of another format is refused.
inline constexpr std::string_view kFormatVersion = "2";
inline constexpr char kRecordKind = 'r';
inline constexpr char kIndexKind = 'k';

// "dedup/<kind>/" + be32(bucket) + be64(idhash): 20 bytes.
std::string ArticleKey(char kind, uint32_t bucket, uint64_t id_hash);
// The first key of `bucket` for `kind` ("dedup/<kind>/" + be32(bucket)); the range of buckets
// [a, b) is [BucketPrefix(kind, a), BucketPrefix(kind, b)).
std::string BucketPrefix(char kind, uint64_t bucket);
// Parses an ArticleKey; false when `key` is not one.
bool ParseArticleKey(std::string_view key, uint32_t* bucket, uint64_t* id_hash);

std::string EncodeU64(uint64_t v);  // big-endian
std::optional<uint64_t> DecodeU64(std::string_view v);

struct ArticleRecord {
  std::string id;
  int64_t event_ms = 0;
  uint64_t text_hash = 0;
  uint32_t shingles = 0;
  DedupResult verdict;
  std::vector<uint32_t> samples;  // ascending
};

std::string EncodeRecord(const ArticleRecord& r);
bool DecodeRecord(std::string_view v, ArticleRecord* out);
// Decodes only what verification needs (id, event time, text hash, samples).
bool DecodeRecordForMatch(std::string_view v, ArticleRecord* out);

struct IndexEntry {
  uint64_t text_hash = 0;
  std::vector<uint32_t> keys;
  // The article's first samples, for the index's one-key check (LshIndex check_samples).
  // Optional in the encoding: entries written without it decode with none (never filtered).
  std::vector<uint32_t> check;
};
std::string EncodeIndexEntry(const IndexEntry& e);
bool DecodeIndexEntry(std::string_view v, IndexEntry* out);

}  // namespace newsflow::dedup
