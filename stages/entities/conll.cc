#include "stages/entities/conll.h"

#include <fstream>
#include <sstream>

namespace newsflow::entities {
namespace {

// Maps a raw label to (prefix, type index) or type -1 for O.
int MapType(const std::string& scheme, const std::string& type) {
  if (scheme == "wnut") {
    if (type == "person") return 0;
    if (type == "corporation" || type == "group") return 1;
    if (type == "location") return 2;
    if (type == "product" || type == "creative-work") return 3;
    return -1;
  }
  for (int t = 0; t < 4; ++t)
    if (type == kTypeNames[t]) return t;
  return -1;
}

}  // namespace

Result<std::vector<TrainingDocument>> ReadConll(const std::string& path,
                                                const ConllOptions& options) {
  std::ifstream in(path);
  if (!in) return MakeError("cannot open " + path, "io");
  std::vector<TrainingDocument> docs(1);
  bool new_sentence = true;
  int prev_type = -1;
  std::string line;
  auto close_doc = [&]() {
    if (!docs.back().words.empty()) docs.emplace_back();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream ss(line);
    std::vector<std::string> cols;
    std::string c;
    if (line.find('\t') != std::string::npos) {
      while (std::getline(ss, c, '\t')) cols.push_back(c);
    } else {
      while (ss >> c) cols.push_back(c);
    }
    if (cols.empty() || cols[0].empty()) {
      if (!new_sentence && options.sentence_docs) close_doc();
      new_sentence = true;
      prev_type = -1;
      continue;
    }
    if (cols[0] == "-DOCSTART-") {
      close_doc();
      new_sentence = true;
      prev_type = -1;
      continue;
    }
    std::string label = cols.size() >= 2 ? cols.back() : "O";
    int type = -1;
    char prefix = 'O';
    if (label.size() > 2 && label[1] == '-') {
      prefix = label[0];
      type = MapType(options.scheme, label.substr(2));
    }
    uint8_t tag = kO;
    if (type >= 0) {
      bool begin = prefix == 'B' || prev_type != type;
      tag = begin ? BeginTag(type) : InsideTag(type);
    }
    auto& d = docs.back();
    d.words.push_back(cols[0]);
    d.sentence_start.push_back(new_sentence ? 1 : 0);
    d.tags.push_back(tag);
    new_sentence = false;
    prev_type = type;
  }
  if (docs.back().words.empty()) docs.pop_back();
  return docs;
}

}  // namespace newsflow::entities
