// state::Store: the small key-value interface stages keep their state behind.
//
// Keys and values are byte strings; keys sort bytewise, so a stage lays out its keys with a
// prefix per kind and big-endian numbers to scan in order. Writes go in a WriteBatch that is
// applied atomically (all or nothing). Implementations: MemoryStore (tests, file mode without a
// state dir) and RocksStore (the daemon). Thread-safe: any number of threads may call Get, Scan
// and Write concurrently; a batch is applied atomically with respect to readers.
// Every call that touches storage returns a Status or Result that must be checked.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace newsflow::state {

class WriteBatch {
 public:
  void Put(std::string_view key, std::string_view value) {
    ops_.push_back({Op::kPut, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) { ops_.push_back({Op::kDelete, std::string(key), {}}); }
  // Deletes every key in [begin, end).
  void DeleteRange(std::string_view begin, std::string_view end) {
    ops_.push_back({Op::kDeleteRange, std::string(begin), std::string(end)});
  }
  bool empty() const { return ops_.empty(); }
  void Clear() { ops_.clear(); }

  enum class Op { kPut, kDelete, kDeleteRange };
  struct Entry {
    Op op;
    std::string key;
    std::string value;  // kPut: the value; kDeleteRange: the end key
  };
  const std::vector<Entry>& entries() const { return ops_; }

 private:
  std::vector<Entry> ops_;
};

struct StoreStats {
  uint64_t live_data_bytes = 0;       // estimate of live keys and values on disk (or in memory)
  uint64_t sst_files = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t write_stalls = 0;          // cumulative count of stalled writes
  uint64_t estimated_keys = 0;
  uint64_t memtable_bytes = 0;        // memory of the memtables (RocksDB; 0 for the map)
  uint64_t block_cache_bytes = 0;     // memory the block cache holds (RocksDB; 0 for the map)
};

class Store {
 public:
  virtual ~Store() = default;
  // The value of `key`, or nullopt when absent.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual Status Write(const WriteBatch& batch) = 0;
  // Calls `fn(key, value)` for keys in [begin, end) in order, until it returns false.
  virtual Status Scan(std::string_view begin, std::string_view end,
                      const std::function<bool(std::string_view, std::string_view)>& fn) = 0;
  virtual StoreStats Stats() = 0;
};

// A std::map-backed store. For unit tests and stateless runs.
std::unique_ptr<Store> MakeMemoryStore();

}  // namespace newsflow::state
