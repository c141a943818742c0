// RocksStore: state::Store on RocksDB, one database per state directory.
//
// Opens (creating if missing) the database at `dir`. A corrupt database is either an error or,
// with `rebuild_on_corruption`, moved aside to "<dir>.corrupt-<time>" and replaced by an empty
// one, with a warning. A directory that is not writable or a full disk surface as errors from
// Open and Write; they are never swallowed. Thread-safe (RocksDB is).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "state/store.h"

namespace newsflow::state {

struct RocksOptions {
  std::string dir;
  int64_t block_cache_mb = 64;
  // One memtable's size. At most three exist (one taking writes, two being flushed), so the
  // memtables hold at most 3x this, and a restart replays at most about that much from the
  // WAL. The store refuses writes with less than twice this (at least 64 MiB) free on disk.
  int64_t write_buffer_mb = 32;
  bool rebuild_on_corruption = false;
  bool sync_writes = false;  // WAL without fsync per write: survives a process crash
};

Result<std::unique_ptr<Store>> OpenRocksStore(const RocksOptions& options);

}  // namespace newsflow::state
