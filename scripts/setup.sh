#!/usr/bin/env bash
# scripts/setup.sh: installs what newsflow needs to build and test on Debian 12, then builds it.
# Idempotent: packages already present are not reinstalled; the build is incremental.
#
#   scripts/setup.sh            install build dependencies and build into build/
#   scripts/setup.sh --deps     install only
#   scripts/setup.sh --sanitizer-deps
#                               install only what the sanitizer and fuzz builds add (clang 14
#                               with its sanitizer and libFuzzer runtimes, llvm-symbolizer);
#                               scripts/sanitize.sh and scripts/fuzz.sh call it
#
# Why these packages: librdkafka (Kafka client, incl. the mock cluster), Boost.Asio/Beast
# (admin HTTP), RocksDB (state), prometheus-cpp (metrics), Catch2 (tests), simdjson (input
# parsing: fastest validating JSON parser packaged), yaml-cpp (config), libxml2 (HTML parser
# of the clean stage), ICU (Unicode normalisation), CLD2 (language detection), xxHash (stable
# fast hashes), Brotli (reading the language profiles), zlib (gzip test data), Google Benchmark (stage benchmarks), Prometheus
# (promtool and a real server for the metric checks), bsdextrautils (`column`, for the fault
# table).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3 python3-venv python3-jsonschema
  librdkafka-dev libboost-dev libboost-system-dev librocksdb-dev prometheus-cpp-dev catch2
  libsimdjson-dev libyaml-cpp-dev libxml2-dev libicu-dev libcld2-dev libxxhash-dev zlib1g-dev
  libbenchmark-dev libbrotli-dev python3-pip
  prometheus bsdextrautils
)
# clang-14 only recommends its runtimes (ASan, UBSan, LSan, libFuzzer); --no-install-recommends
# below would leave them out. gcc's TSan runtime comes with build-essential.
if [ "${1:-}" = "--sanitizer-deps" ]; then
  PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

case "${1:-}" in --deps | --sanitizer-deps) exit 0 ;; esac

BUILD_DIR="${NEWSFLOW_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built $BUILD_DIR/daemon/newsflowd" >&2
