// Reader for CoNLL-style NER files (one token per line, tag in the last column, blank line
// between sentences, "-DOCSTART-" between documents) with tag-set mapping to PER/ORG/LOC/MISC
// in BIO form. Control plane (tools and tests): allocates freely.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "stages/entities/tagger.h"

namespace newsflow::entities {

// How a corpus names its types:
//   "conll": PER/ORG/LOC/MISC with IOB1 or BIO prefixes (wikigold, SEC-filings, BTC, silver);
//   "wnut":  person, location, corporation, group, product, creative-work (WNUT17).
// `sentence_docs`: files without -DOCSTART- (tweets) make each sentence its own document.
struct ConllOptions {
  std::string scheme = "conll";
  bool sentence_docs = false;
};

Result<std::vector<TrainingDocument>> ReadConll(const std::string& path,
                                                const ConllOptions& options);

}  // namespace newsflow::entities
