#include "tools/clean/rouge.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace newsflow::clean_tools {
namespace {

using Ids = std::vector<int32_t>;

std::vector<Ids> Lines(const std::vector<std::string>& paragraphs,
                       std::unordered_map<std::string, int32_t>* vocab) {
  std::vector<Ids> out;
  for (const auto& p : paragraphs) {
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find('\n', start);
      if (end == std::string::npos) end = p.size();
      const std::string_view line = std::string_view(p).substr(start, end - start);
      if (!line.empty()) {
        Ids ids;
        for (auto& t : RougeTokens(line)) {
          auto [it, inserted] = vocab->emplace(t, static_cast<int32_t>(vocab->size()));
          ids.push_back(it->second);
        }
        out.push_back(std::move(ids));
      }
      start = end + 1;
    }
  }
  return out;
}

// Indices into `ref` of one LCS of ref and can, backtracked as the package does.
void LcsIndices(const Ids& ref, const Ids& can, std::vector<int32_t>* table,
                std::vector<char>* hit) {
  const size_t n = ref.size(), m = can.size();
  if (n == 0 || m == 0) return;
  table->assign((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> int32_t& { return (*table)[i * (m + 1) + j]; };
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      at(i, j) =
          ref[i - 1] == can[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  size_t i = n, j = m;
  while (i > 0 && j > 0) {
    if (ref[i - 1] == can[j - 1]) {
      (*hit)[i - 1] = 1;
      --i;
      --j;
    } else if (at(i, j - 1) > at(i - 1, j)) {
      --j;
    } else {
      --i;
    }
  }
}

}  // namespace

std::vector<std::string> RougeTokens(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  for (const char ch : line) {
    char c = ch;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

RougeScore RougeLsum(const std::vector<std::string>& reference,
                     const std::vector<std::string>& candidate) {
  std::unordered_map<std::string, int32_t> vocab;
  const auto ref = Lines(reference, &vocab);
  const auto can = Lines(candidate, &vocab);
  size_t m = 0, n = 0;
  for (const auto& r : ref) m += r.size();
  for (const auto& c : can) n += c.size();
  RougeScore s;
  if (m == 0 || n == 0) return s;
  std::vector<int32_t> count_ref(vocab.size(), 0), count_can(vocab.size(), 0);
  for (const auto& r : ref) {
    for (auto t : r) ++count_ref[static_cast<size_t>(t)];
  }
  for (const auto& c : can) {
    for (auto t : c) ++count_can[static_cast<size_t>(t)];
  }
  std::vector<int32_t> table;
  size_t hits = 0;
  for (const auto& r : ref) {
    std::vector<char> hit(r.size(), 0);
    for (const auto& c : can) LcsIndices(r, c, &table, &hit);
    for (size_t i = 0; i < r.size(); ++i) {
      if (!hit[i]) continue;
      const auto t = static_cast<size_t>(r[i]);
      if (count_can[t] > 0 && count_ref[t] > 0) {
        ++hits;
        --count_can[t];
        --count_ref[t];
      }
    }
  }
  s.recall = static_cast<double>(hits) / static_cast<double>(m);
  s.precision = static_cast<double>(hits) / static_cast<double>(n);
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  return s;
}

}  // namespace newsflow::clean_tools
