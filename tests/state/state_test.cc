#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "state/rocks_store.h"
#include "test_util.h"

using namespace newsflow;

namespace {

void ExerciseStore(state::Store& store) {
  state::WriteBatch b;
  b.Put("a1", "one");
  b.Put("a2", "two");
  b.Put("b1", "three");
  REQUIRE(store.Write(b).ok());
  auto v = store.Get("a2");
  REQUIRE(v.ok());
  CHECK(v.value() == std::optional<std::string>("two"));
  CHECK_FALSE(store.Get("zz").value().has_value());
  std::vector<std::string> keys;
  REQUIRE(store.Scan("a", "b", [&](std::string_view k, std::string_view) {
                 keys.emplace_back(k);
                 return true;
               }).ok());
  CHECK(keys == std::vector<std::string>{"a1", "a2"});
  state::WriteBatch d;
  d.DeleteRange("a", "b");
  d.Delete("b1");
  REQUIRE(store.Write(d).ok());
  CHECK_FALSE(store.Get("a1").value().has_value());
  CHECK_FALSE(store.Get("b1").value().has_value());
}

}  // namespace

TEST_CASE("Memory store: get, scan, batch, range delete", "[unit]") {
  auto store = state::MakeMemoryStore();
  ExerciseStore(*store);
}

TEST_CASE("RocksDB store: same contract, survives reopen", "[unit]") {
  testing::TempDir dir;
  state::RocksOptions o;
  o.dir = (dir.path() / "db").string();
  {
    auto store = state::OpenRocksStore(o);
    REQUIRE(store.ok());
    ExerciseStore(**store);
    state::WriteBatch b;
    b.Put("kept", "yes");
    REQUIRE((*store)->Write(b).ok());
  }
  auto again = state::OpenRocksStore(o);
  REQUIRE(again.ok());
  CHECK((*again)->Get("kept").value() == std::optional<std::string>("yes"));
}

TEST_CASE("RocksDB store: memtables and block cache stay within their configured sizes",
          "[unit]") {
  testing::TempDir dir;
  state::RocksOptions o;
  o.dir = (dir.path() / "db").string();
  o.write_buffer_mb = 4;
  o.block_cache_mb = 8;
  auto store = state::OpenRocksStore(o);
  REQUIRE(store.ok());
  // 48 MiB of 1 KiB values: twelve memtables' worth, so several flush on the way.
  const std::string value(1024, 'v');
  char key[16];
  for (int batch = 0; batch < 192; ++batch) {
    state::WriteBatch b;
    for (int i = 0; i < 256; ++i) {
      std::snprintf(key, sizeof key, "k%08d", batch * 256 + i);
      b.Put(key, value);
    }
    REQUIRE((*store)->Write(b).ok());
    const state::StoreStats s = (*store)->Stats();
    INFO("after batch " << batch);
    CHECK(s.memtable_bytes > 0);
    CHECK(s.memtable_bytes <= 3 * (4u << 20) + (1u << 20));  // three memtables, arena slack
  }
  // A scan of everything leaves the block cache as it was: it reads each block once.
  const uint64_t before = (*store)->Stats().block_cache_bytes;
  size_t seen = 0;
  REQUIRE((*store)
              ->Scan("k", "l",
                     [&](std::string_view, std::string_view v) {
                       seen += v.size() == value.size();
                       return true;
                     })
              .ok());
  CHECK(seen == 48 * 1024);
  const uint64_t after_scan = (*store)->Stats().block_cache_bytes;
  CHECK(after_scan <= before + (256u << 10));
  // Point reads fill it, up to its size.
  for (int i = 0; i < 48 * 1024; i += 7) {
    std::snprintf(key, sizeof key, "k%08d", i);
    REQUIRE((*store)->Get(key).value().has_value());
  }
  const uint64_t after_gets = (*store)->Stats().block_cache_bytes;
  CHECK(after_gets > after_scan + (1u << 20));
  CHECK(after_gets <= (8u << 20) + (1u << 20));
}

TEST_CASE("RocksDB store: a corrupt directory is an error, or rebuilt when asked", "[unit]") {
  testing::TempDir dir;
  state::RocksOptions o;
  o.dir = (dir.path() / "db").string();
  {
    auto store = state::OpenRocksStore(o);
    REQUIRE(store.ok());
  }
  // Destroy the CURRENT file's content: RocksDB reports corruption on open.
  {
    std::ofstream current(std::filesystem::path(o.dir) / "CURRENT", std::ios::trunc);
    current << "garbage-without-newline";
  }
  auto bad = state::OpenRocksStore(o);
  REQUIRE_FALSE(bad.ok());
  CHECK_FALSE(bad.error().message.empty());
  o.rebuild_on_corruption = true;
  auto rebuilt = state::OpenRocksStore(o);
  REQUIRE(rebuilt.ok());
  CHECK_FALSE((*rebuilt)->Get("anything").value().has_value());
}

TEST_CASE("RocksDB store: an unwritable location is an error", "[unit]") {
  state::RocksOptions o;
  o.dir = "/proc/newsflow-cannot-exist/db";
  auto store = state::OpenRocksStore(o);
  CHECK_FALSE(store.ok());
}
