#!/usr/bin/env bash
# Builds the clean stage's libFuzzer target with ASan+UBSan and runs it.
#   scripts/fuzz-clean.sh [SECONDS]   (default 600)
# Corpus seeds: fuzz/clean/corpus (read-only); new inputs go to a temp dir; findings to
# build-fuzz-clean/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-600}"
out="$root/build-fuzz-clean"
mkdir -p "$out"
srcs=(
  "$root"/fuzz/clean/clean_fuzz.cc
  "$root"/stages/clean/clean_stage.cc "$root"/stages/clean/html_extract.cc
  "$root"/stages/clean/normalize.cc "$root"/stages/clean/plain_text.cc
  "$root"/stages/clean/text_rules.cc
  "$root"/common/utf8.cc "$root"/common/time.cc "$root"/config/section.cc
)
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root" $(pkg-config --cflags libxml-2.0 icu-uc) "${srcs[@]}" \
  $(pkg-config --libs libxml-2.0 icu-uc icu-i18n) -lsimdjson -lyaml-cpp \
  -o "$out/clean_fuzz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$out"
"$out/clean_fuzz" -max_total_time="$secs" -max_len=200000 -rss_limit_mb=2048 -timeout=20 \
  -print_final_stats=1 "$work" "$root/fuzz/clean/corpus"
