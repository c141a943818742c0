#include <map>
#include <mutex>
#include <shared_mutex>

#include "state/store.h"

namespace newsflow::state {
namespace {

class MemoryStore final : public Store {
 public:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::shared_lock lock(mu_);
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status Write(const WriteBatch& batch) override {
    std::unique_lock lock(mu_);
    for (const auto& e : batch.entries()) {
      switch (e.op) {
        case WriteBatch::Op::kPut: map_[e.key] = e.value; break;
        case WriteBatch::Op::kDelete: map_.erase(e.key); break;
        case WriteBatch::Op::kDeleteRange:
          map_.erase(map_.lower_bound(e.key), map_.lower_bound(e.value));
          break;
      }
    }
    return Status::Ok();
  }

  Status Scan(std::string_view begin, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::shared_lock lock(mu_);
    for (auto it = map_.lower_bound(std::string(begin)); it != map_.end() && it->first < end;
         ++it) {
      if (!fn(it->first, it->second)) break;
    }
    return Status::Ok();
  }

  StoreStats Stats() override {
    std::shared_lock lock(mu_);
    StoreStats s;
    for (const auto& [k, v] : map_) s.live_data_bytes += k.size() + v.size();
    s.estimated_keys = map_.size();
    return s;
  }

 private:
  std::shared_mutex mu_;
  std::map<std::string, std::string, std::less<>> map_;
};

}  // namespace

std::unique_ptr<Store> MakeMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace newsflow::state
