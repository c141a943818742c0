#include "state/rocks_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>

#include "common/log.h"
#include "common/time.h"

namespace newsflow::state {
namespace {

// RocksDB aborts the process (an assertion in WritableFileWriter, kept in Debian's build) when
// the disk fills under it, instead of returning an IOError. So the store refuses to open, and
// refuses writes, while less than this is free: a clear error instead of a crash. 64 MiB, or
// twice the write buffer when that is larger, so a memtable flush still fits.
constexpr uintmax_t kMinFreeBytes = 64u << 20;

uintmax_t MinFreeBytes(int64_t write_buffer_mb) {
  return std::max<uintmax_t>(kMinFreeBytes, 2 * (static_cast<uintmax_t>(write_buffer_mb) << 20));
}

// An error when the file system holding `dir` has less than `min_free` bytes available.
Status CheckFreeSpace(const std::string& dir, uintmax_t min_free) {
  std::error_code ec;
  const std::filesystem::space_info space = std::filesystem::space(dir, ec);
  if (ec || space.available >= min_free) return Status::Ok();
  return MakeError("state at " + dir + ": No space left on device (" +
                       std::to_string(space.available) + " bytes free, need at least " +
                       std::to_string(min_free) + ")",
                   "io");
}

// A write re-checks the free space when this much has been written, or this long has passed,
// since the last check that passed: a statfs per write cost ~1.3% of the dedup stage, and the
// 64 MiB margin is far more than 4 MiB of our own writes or a quarter second of anyone's.
constexpr uint64_t kRecheckBytes = 4u << 20;
constexpr int64_t kRecheckNanos = 250'000'000;

class RocksStore final : public Store {
 public:
  RocksStore(std::unique_ptr<rocksdb::DB> db, bool sync, std::string dir, uintmax_t min_free)
      : db_(std::move(db)), dir_(std::move(dir)), min_free_(min_free) {
    write_options_.sync = sync;
  }

  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()),
                                 &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return MakeError("rocksdb get: " + s.ToString(), "io");
    return std::optional<std::string>(std::move(value));
  }

  Status Write(const WriteBatch& batch) override {
    if (Status free = MaybeCheckFreeSpace(batch); !free.ok()) return free;
    rocksdb::WriteBatch wb;
    for (const auto& e : batch.entries()) {
      switch (e.op) {
        case WriteBatch::Op::kPut: wb.Put(e.key, e.value); break;
        case WriteBatch::Op::kDelete: wb.Delete(e.key); break;
        case WriteBatch::Op::kDeleteRange:
          wb.DeleteRange(db_->DefaultColumnFamily(), e.key, e.value);
          break;
      }
    }
    rocksdb::Status s = db_->Write(write_options_, &wb);
    if (!s.ok()) return MakeError("rocksdb write: " + s.ToString(), "io");
    return Status::Ok();
  }

  Status Scan(std::string_view begin, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end.data(), end.size());
    ro.iterate_upper_bound = &upper;
    // A scan reads a range once (the dedup index rebuilt at start): its blocks would only push
    // the ones point reads come back to out of the block cache, and fill it at start.
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
      if (!fn(std::string_view(it->key().data(), it->key().size()),
              std::string_view(it->value().data(), it->value().size())))
        break;
    }
    if (!it->status().ok()) return MakeError("rocksdb scan: " + it->status().ToString(), "io");
    return Status::Ok();
  }

  StoreStats Stats() override {
    StoreStats s;
    uint64_t v = 0;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kEstimateLiveDataSize, &v))
      s.live_data_bytes = v;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes, &v))
      s.pending_compaction_bytes = v;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &v)) s.estimated_keys = v;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v))
      s.memtable_bytes = v;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &v))
      s.block_cache_bytes = v;
    std::string files;
    if (db_->GetProperty("rocksdb.num-files-at-level0", &files)) {
      uint64_t total = 0;
      for (int level = 0; level < 7; ++level) {
        std::string n;
        if (db_->GetProperty("rocksdb.num-files-at-level" + std::to_string(level), &n))
          total += std::stoull(n);
      }
      s.sst_files = total;
    }
    std::map<std::string, std::string> stats;
    if (db_->GetMapProperty(rocksdb::DB::Properties::kCFStats, &stats)) {
      auto it = stats.find("io_stalls.total_stop");
      auto it2 = stats.find("io_stalls.total_slowdown");
      if (it != stats.end()) s.write_stalls += std::stoull(it->second);
      if (it2 != stats.end()) s.write_stalls += std::stoull(it2->second);
    }
    return s;
  }

 private:
  Status MaybeCheckFreeSpace(const WriteBatch& batch) {
    uint64_t bytes = 0;
    for (const auto& e : batch.entries()) bytes += e.key.size() + e.value.size();
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    const uint64_t since = unchecked_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    if (since < kRecheckBytes &&
        now - checked_at_.load(std::memory_order_relaxed) < kRecheckNanos) {
      return Status::Ok();
    }
    Status free = CheckFreeSpace(dir_, min_free_);
    if (free.ok()) {
      unchecked_bytes_.store(0, std::memory_order_relaxed);
      checked_at_.store(now, std::memory_order_relaxed);
    }
    return free;
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
  uintmax_t min_free_;
  rocksdb::WriteOptions write_options_;
  // Free-space check state: bytes written since, and the steady-clock time of, the last check
  // that passed. A failed check leaves them, so every later write checks until space is back.
  std::atomic<uint64_t> unchecked_bytes_{0};
  std::atomic<int64_t> checked_at_{INT64_MIN / 2};
};

rocksdb::Status TryOpen(const RocksOptions& o, std::unique_ptr<rocksdb::DB>* out) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  // Level sizes and file sizes follow from the memtable size (the call's budget is four
  // memtables). Its own memtable settings would keep up to six, and merge two before a flush:
  // with its default budget that let the memtables grow to hundreds of MiB in a long run.
  const uint64_t write_buffer = static_cast<uint64_t>(o.write_buffer_mb) << 20;
  options.OptimizeLevelStyleCompaction(4 * write_buffer);
  options.write_buffer_size = write_buffer;
  options.max_write_buffer_number = 3;
  options.min_write_buffer_number_to_merge = 1;
  options.compression = rocksdb::kLZ4Compression;
  options.paranoid_checks = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(o.block_cache_mb) << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, o.dir, &db);
  out->reset(db);
  return s;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksStore(const RocksOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return MakeError("cannot create state dir " + o.dir + ": " + ec.message(), "io");
  if (Status free = CheckFreeSpace(o.dir, MinFreeBytes(o.write_buffer_mb)); !free.ok()) {
    return MakeError("cannot open " + free.error().message, "io");
  }
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::Status s = TryOpen(o, &db);
  if (s.IsCorruption() && o.rebuild_on_corruption) {
    const std::string aside = o.dir + ".corrupt-" + std::to_string(NowMillis());
    log::Warn("state is corrupt; moving it aside and starting empty",
              {{"dir", o.dir}, {"moved_to", aside}, {"error", s.ToString()}});
    std::filesystem::rename(o.dir, aside, ec);
    if (ec) return MakeError("cannot move corrupt state aside: " + ec.message(), "io");
    std::filesystem::create_directories(o.dir, ec);
    s = TryOpen(o, &db);
  }
  if (!s.ok()) {
    return MakeError("cannot open state at " + o.dir + ": " + s.ToString(),
                     s.IsCorruption() ? "corrupt" : "io");
  }
  return std::unique_ptr<Store>(std::make_unique<RocksStore>(
      std::move(db), o.sync_writes, o.dir, MinFreeBytes(o.write_buffer_mb)));
}

}  // namespace newsflow::state
