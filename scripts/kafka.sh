#!/usr/bin/env bash
# scripts/kafka.sh: a real single-node Apache Kafka broker (KRaft, broker + controller in one JVM)
# on 127.0.0.1 for newsflow's integration tests, fault tests and benchmarks.
#
# Kafka is not packaged by Debian and the only reachable sources are package registries, so the
# broker is assembled from Maven Central jars: `fetch` resolves kafka_2.13, kafka-tools and a
# logging backend with Maven into a flat libs/ directory, and the broker runs as
# `java -cp 'libs/*' kafka.Kafka server.properties`, the same main class the release tarball uses.
#
# Usage: scripts/kafka.sh COMMAND [OPTIONS]
#   fetch                         install Java 17 / Maven if missing, cache the Kafka jars
#   start   [--port P] [--dir D] [--partitions N] [--heap SIZE] [--timeout S]
#                                 start (or reuse) the broker; prints KAFKA_BOOTSTRAP=127.0.0.1:P
#   stop    [--port P] [--dir D] [--wipe]   graceful stop (SIGTERM, then SIGKILL); --wipe: rm data
#   restart [start options]       stop, then start on the same data
#   status  [--port P] [--dir D]  exit 0 and print details when running, exit 1 otherwise
#   topics  list|describe [NAME]|create NAME [--partitions N] [--if-not-exists]|delete NAME
#           [--port P] [--dir D]  topic admin through Kafka's own TopicCommand
#   logs    [--port P] [--dir D] [-n N]     last N (default 50) lines of the broker log
#   tool    CLASS [ARGS...]       run any class from the cached jars (e.g. the console producer)
#   classpath                     print the classpath of the cached jars
#
# Environment:
#   NEWSFLOW_CACHE          cache root (default ~/.cache/newsflow); jars in kafka-<version>/libs
#   NEWSFLOW_KAFKA_DIR      broker data dir (default /tmp/newsflow-kafka-<port>)
#   NEWSFLOW_KAFKA_PORT     default for --port (9092); the controller uses port + 1
#   NEWSFLOW_KAFKA_VERSION  Kafka version to fetch (default 3.9.2, the last 3.9 patch release)
#   JAVA_HOME               preferred Java installation (must be 17 or newer)
#
# Tool classes in Kafka 3.9 (for `tool`): kafka.tools.ConsoleProducer,
#   org.apache.kafka.tools.consumer.ConsoleConsumer, org.apache.kafka.tools.GetOffsetShell,
#   org.apache.kafka.tools.consumer.group.ConsumerGroupCommand, org.apache.kafka.tools.TopicCommand.
#
# stdout carries only results (the KAFKA_BOOTSTRAP line, topic lists, tool output); progress and
# errors go to stderr.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATE_DIR="$SCRIPT_DIR/kafka"

KAFKA_VERSION="${NEWSFLOW_KAFKA_VERSION:-3.9.2}"
# CI may run with a bare environment; fall back to the passwd entry for HOME.
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE_ROOT="${NEWSFLOW_CACHE:-$HOME/.cache/newsflow}"
KAFKA_CACHE="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_CACHE/libs"
STAMP="$KAFKA_CACHE/.complete"

JAVA=""
APT_UPDATED=0

# Options (set by parse_opts).
PORT="${NEWSFLOW_KAFKA_PORT:-9092}"
DIR=""
PARTITIONS=""
HEAP="512m"
START_TIMEOUT=90
STOP_TIMEOUT=30
WIPE=0
IF_NOT_EXISTS=0
LOG_LINES=50
ARGS=()

info() { echo "kafka.sh: $*" >&2; }
die() {
  echo "kafka.sh: error: $*" >&2
  exit 1
}

usage() {
  sed -n '/^# Usage:/,/^# stdout/p' "${BASH_SOURCE[0]}" | sed -e 's/^# \{0,1\}//' -e '$d' >&2
}

# ---------------------------------------------------------------------------------------------
# Prerequisites: Java 17+ and (for fetch only) Maven, from Debian's packages.

apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "installing $* needs root (or sudo)"
    sudo=(sudo)
  fi
  # A fresh Debian image ships without package lists, so install would find nothing: update first
  # in that case, and otherwise only if install fails (the lists may be stale).
  if [[ $APT_UPDATED -eq 0 ]] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    info "apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    APT_UPDATED=1
  fi
  info "apt-get install $*"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "$@" >&2; then
    [[ $APT_UPDATED -eq 0 ]] || die "apt-get install $* failed"
    info "apt-get install failed; retrying after apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    APT_UPDATED=1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
  fi
}

java_major() {
  # `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` (or "1.8.0_392" for 8).
  "$1" -version 2>&1 | sed -n 's/.* version "\([0-9][0-9]*\).*/\1/p' | head -n 1
}

find_java() {
  local c major
  for c in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" \
      /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/*/bin/java; do
    [[ -n $c && -x $c ]] || continue
    major="$(java_major "$c")"
    if [[ ${major:-0} -ge 17 ]]; then
      JAVA="$c"
      return 0
    fi
  done
  return 1
}

ensure_java() {
  [[ -n $JAVA ]] && return 0
  find_java && return 0
  apt_install openjdk-17-jre-headless
  find_java || die "no Java 17+ found even after installing openjdk-17-jre-headless"
}

ensure_maven() {
  command -v mvn >/dev/null && return 0
  apt_install maven
  command -v mvn >/dev/null || die "mvn not found after installing maven"
}

# ---------------------------------------------------------------------------------------------
# fetch: the broker's jars, cached once per Kafka version.

pom_text() { sed "s/@KAFKA_VERSION@/$KAFKA_VERSION/g" "$TEMPLATE_DIR/pom.xml.in"; }

# The stamp records the hash of the pom it was made from, then one jar name per line, so the cache
# counts as complete only if it came from the current pom and no jar went missing since.
cache_complete() {
  [[ -f $STAMP && -d $LIBS ]] || return 1
  local want have jar
  want="pom $(pom_text | sha256sum | cut -d' ' -f1)"
  have="$(head -n 1 "$STAMP")"
  [[ $want == "$have" ]] || return 1
  while IFS= read -r jar; do
    [[ -f "$LIBS/$jar" ]] || return 1
  done < <(tail -n +2 "$STAMP")
  return 0
}

do_fetch() {
  ensure_java
  cache_complete && return 0
  mkdir -p "$KAFKA_CACHE"
  # Parallel test runners may all call `start` on a cold cache: one Maven run at a time.
  exec 9>"$KAFKA_CACHE/.fetch.lock"
  flock -w 900 9 || die "timed out waiting for another fetch into $KAFKA_CACHE"
  if cache_complete; then
    exec 9>&-
    return 0
  fi
  ensure_maven
  info "fetching Apache Kafka $KAFKA_VERSION and its runtime dependencies with Maven"
  local work
  work="$(mktemp -d "$KAFKA_CACHE/.fetch.XXXXXX")"
  pom_text >"$work/pom.xml"
  # Resolve into a scratch directory and move it into place only when complete, so an interrupted
  # fetch never leaves a half-filled libs/ that looks usable.
  if ! (cd "$work" && mvn -B -q -f pom.xml dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$work/libs") >"$work/mvn.log" 2>&1; then
    tail -n 50 "$work/mvn.log" >&2
    rm -rf "$work"
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  local jar
  for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" \
      "kafka-clients-$KAFKA_VERSION.jar" slf4j-reload4j-*.jar reload4j-*.jar; do
    compgen -G "$work/libs/$jar" >/dev/null || { rm -rf "$work"; die "fetch produced no $jar"; }
  done
  rm -rf "$LIBS"
  mv "$work/libs" "$LIBS"
  {
    echo "pom $(sha256sum <"$work/pom.xml" | cut -d' ' -f1)"
    (cd "$LIBS" && ls -1 -- *.jar)
  } >"$work/stamp"
  mv "$work/stamp" "$STAMP"
  rm -rf "$work"
  exec 9>&-
  info "cached $(($(wc -l <"$STAMP") - 1)) jars in $LIBS"
}

# Short-lived Kafka tools (format, topic admin, readiness probe). C1-only JIT and a small serial
# heap roughly halve their start-up time, which dominates their run time.
kjava_quick() {
  "$JAVA" -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TEMPLATE_DIR/tools-log4j.properties" -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------------------------------------
# Broker process helpers.

pid_file() { echo "$DIR/kafka.pid"; }

# True if PID is a live broker JVM. Checking the command line (not just `kill -0`) guards against
# a recycled pid, and a zombie (empty cmdline) counts as dead.
is_broker() {
  local pid="$1"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka '
}

# Prints the running broker's pid for DIR, or fails.
broker_pid() {
  local f pid
  f="$(pid_file)"
  [[ -f $f ]] || return 1
  pid="$(head -n 1 "$f" 2>/dev/null || true)"
  is_broker "$pid" || return 1
  echo "$pid"
}

port_open() {
  # bash's /dev/tcp connect; `timeout` bounds it in case the connect ever hangs.
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

admin_config() {
  # Bounds each admin request so a probe against a half-started broker fails fast and is retried.
  local f="$DIR/admin.properties"
  printf '%s\n' 'request.timeout.ms=5000' 'default.api.timeout.ms=10000' \
    'retry.backoff.ms=200' >"$f"
  echo "$f"
}

# Metadata round trip through Kafka's own admin client: the PLAINTEXT port is bound early in start
# up (the kernel completes TCP handshakes) but requests are served only once the broker has caught
# up with the metadata log and been unfenced, which is what the tests need.
broker_answers() {
  # `timeout` needs a program, not a shell function, hence the spelled-out java command.
  timeout 30 "$JAVA" -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$TEMPLATE_DIR/tools-log4j.properties" \
    -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" \
    --command-config "$(admin_config)" --list >/dev/null 2>&1
}

broker_log_tail() {
  local n="${1:-50}" f
  for f in "$DIR/logs/server.log" "$DIR/logs/kafka.out"; do
    if [[ -s $f ]]; then
      echo "----- last $n lines of $f -----" >&2
      tail -n "$n" "$f" >&2
    fi
  done
}

# Sends SIGTERM (Kafka's controlled shutdown), waits up to STOP_TIMEOUT, then SIGKILL.
kill_broker() {
  local pid="$1" deadline
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while is_broker "$pid"; do
    if ((SECONDS >= deadline)); then
      info "broker (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 10))
      while is_broker "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
      is_broker "$pid" && die "could not kill broker pid $pid"
      break
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------
# Commands.

# A Kafka Uuid in its string form: 16 random bytes, URL-safe base64 without padding (22 chars),
# the same as `kafka-storage.sh random-uuid` prints but without starting a JVM for it. Like Kafka's
# generator, reject ids starting with '-' (they would parse as command-line options).
new_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ ${#id} -eq 22 && $id != -* ]] && break
  done
  echo "$id"
}

render_server_properties() {
  local partitions="${PARTITIONS:-4}"
  [[ $partitions =~ ^[1-9][0-9]*$ ]] || die "--partitions must be a positive integer"
  sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$((PORT + 1))|g" \
    -e "s|@LOG_DIRS@|$DIR/data|g" -e "s|@PARTITIONS@|$partitions|g" \
    -e "s|@INTERNAL_PARTITIONS@|4|g" \
    "$TEMPLATE_DIR/server.properties.in" >"$DIR/server.properties"
}

do_start() {
  do_fetch
  local pid
  # Fast path, without the lock: tests call `start` before each suite.
  if pid="$(broker_pid)" && port_open "$PORT"; then
    info "broker already running (pid $pid, dir $DIR)"
    echo "KAFKA_BOOTSTRAP=127.0.0.1:$PORT"
    return 0
  fi
  mkdir -p "$DIR/logs"
  # Serialise concurrent starts on one data dir: a second caller waits for the first to finish
  # (or fail) and then finds the broker running. Bounded, so a stuck holder is reported.
  exec 8>"$DIR/.start.lock"
  flock -w $((START_TIMEOUT + 60)) 8 || die "timed out waiting for another start on $DIR"

  if pid="$(broker_pid)"; then
    if port_open "$PORT"; then
      info "broker already running (pid $pid, dir $DIR)"
      echo "KAFKA_BOOTSTRAP=127.0.0.1:$PORT"
      return 0
    fi
    die "broker pid $pid runs from $DIR but port $PORT is closed; run: $0 stop --dir $DIR"
  fi
  rm -f "$(pid_file)"
  local p
  for p in "$PORT" "$((PORT + 1))"; do
    port_open "$p" && die "port $p is already in use by another process (not a broker from $DIR)"
  done

  render_server_properties
  cp "$TEMPLATE_DIR/log4j.properties" "$DIR/log4j.properties"

  # KRaft needs its log dir formatted with a cluster id once; later starts reuse the data.
  if [[ ! -f $DIR/data/meta.properties ]]; then
    local cluster_id
    cluster_id="$(new_cluster_id)"
    info "formatting $DIR/data (cluster id $cluster_id)"
    kjava_quick kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$DIR/server.properties" --ignore-formatted >"$DIR/logs/format.log" 2>&1 ||
      { cat "$DIR/logs/format.log" >&2; die "kafka storage format failed"; }
  fi

  info "starting Kafka $KAFKA_VERSION on 127.0.0.1:$PORT (controller :$((PORT + 1)), dir $DIR)"
  : >"$DIR/logs/kafka.out"
  # The lock descriptors (8, 9) are closed for the broker: it would otherwise hold the start lock
  # for its whole life and every later `start` would block.
  # setsid: the broker gets its own session, so it outlives this script and a Ctrl-C or the end of
  # the calling test's process group does not reach it. The inner shell writes its own pid and
  # then execs java, so the pid file names the JVM itself.
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' kafka-launch "$(pid_file)" \
    "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$DIR/logs" \
    -Xlog:gc:file="$DIR/logs/gc.log":time,uptime:filecount=2,filesize=10M \
    -Djava.awt.headless=true -Dkafka.logs.dir="$DIR/logs" \
    -Dlog4j.configuration="file:$DIR/log4j.properties" \
    -cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" \
    >>"$DIR/logs/kafka.out" 2>&1 </dev/null 8>&- 9>&- &

  local t0=$SECONDS deadline=$((SECONDS + START_TIMEOUT))
  pid=""
  while [[ -z $pid ]] && ((SECONDS < deadline)); do
    pid="$(head -n 1 "$(pid_file)" 2>/dev/null || true)"
    [[ -n $pid ]] || sleep 0.1
  done
  [[ -n $pid ]] || die "broker did not start (no pid file)"

  while :; do
    if ! is_broker "$pid"; then
      broker_log_tail 50
      rm -f "$(pid_file)"
      die "broker exited during start up (see $DIR/logs)"
    fi
    if port_open "$PORT" && broker_answers; then
      break
    fi
    if ((SECONDS >= deadline)); then
      broker_log_tail 50
      info "broker not answering after ${START_TIMEOUT}s; stopping it"
      kill_broker "$pid"
      rm -f "$(pid_file)"
      die "broker did not become ready within ${START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  info "broker ready in $((SECONDS - t0))s (pid $pid)"
  echo "KAFKA_BOOTSTRAP=127.0.0.1:$PORT"
}

do_stop() {
  local pid
  if pid="$(broker_pid)"; then
    info "stopping broker (pid $pid, dir $DIR)"
    kill_broker "$pid"
    info "stopped"
  else
    info "no broker running from $DIR"
  fi
  rm -f "$(pid_file)"
  if [[ $WIPE -eq 1 && -d $DIR ]]; then
    # Refuse to delete a directory this script did not create (e.g. a mistyped --dir).
    [[ -f $DIR/server.properties || -z "$(ls -A "$DIR")" ]] ||
      die "refusing to wipe $DIR: it does not look like a broker dir made by this script"
    rm -rf -- "$DIR"
    info "wiped $DIR"
  fi
}

do_status() {
  local pid
  if pid="$(broker_pid)"; then
    if port_open "$PORT"; then
      echo "running pid=$pid version=$KAFKA_VERSION bootstrap=127.0.0.1:$PORT dir=$DIR"
      return 0
    fi
    echo "starting-or-stuck pid=$pid port=$PORT (closed) dir=$DIR"
    return 1
  fi
  echo "stopped dir=$DIR"
  return 1
}

do_topics() {
  local sub="${ARGS[0]:-}"
  ensure_java
  cache_complete || die "Kafka jars not cached; run: $0 fetch"
  broker_pid >/dev/null || info "warning: no broker from $DIR is running; trying 127.0.0.1:$PORT"
  local base=(org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT")
  case "$sub" in
    list)
      kjava_quick "${base[@]}" --list
      ;;
    describe)
      if [[ ${#ARGS[@]} -ge 2 ]]; then
        kjava_quick "${base[@]}" --describe --topic "${ARGS[1]}"
      else
        kjava_quick "${base[@]}" --describe
      fi
      ;;
    create)
      [[ ${#ARGS[@]} -ge 2 ]] || die "usage: $0 topics create NAME [--partitions N] [--if-not-exists]"
      local partitions="${PARTITIONS:-4}" extra=()
      [[ $partitions =~ ^[1-9][0-9]*$ ]] || die "--partitions must be a positive integer"
      [[ $IF_NOT_EXISTS -eq 1 ]] && extra+=(--if-not-exists)
      kjava_quick "${base[@]}" --create --topic "${ARGS[1]}" --partitions "$partitions" \
        --replication-factor 1 "${extra[@]}"
      ;;
    delete)
      [[ ${#ARGS[@]} -ge 2 ]] || die "usage: $0 topics delete NAME"
      kjava_quick "${base[@]}" --delete --topic "${ARGS[1]}"
      ;;
    *)
      die "usage: $0 topics list|describe [NAME]|create NAME --partitions N|delete NAME"
      ;;
  esac
}

parse_opts() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) PORT="${2:?--port needs a value}"; shift 2 ;;
      --port=*) PORT="${1#*=}"; shift ;;
      --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
      --dir=*) DIR="${1#*=}"; shift ;;
      --partitions) PARTITIONS="${2:?--partitions needs a value}"; shift 2 ;;
      --partitions=*) PARTITIONS="${1#*=}"; shift ;;
      --heap) HEAP="${2:?--heap needs a value}"; shift 2 ;;
      --timeout) START_TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
      -n) LOG_LINES="${2:?-n needs a value}"; shift 2 ;;
      --wipe) WIPE=1; shift ;;
      --if-not-exists) IF_NOT_EXISTS=1; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) die "unknown option $1 (see $0 --help)" ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65534)); then
    die "--port must be 1..65534 (the controller takes port + 1)"
  fi
  [[ $START_TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout must be whole seconds"
  [[ $LOG_LINES =~ ^[0-9]+$ ]] || die "-n must be a number"
  DIR="${DIR:-${NEWSFLOW_KAFKA_DIR:-/tmp/newsflow-kafka-$PORT}}"
  DIR="$(realpath -m -- "$DIR")"
  [[ $DIR != / ]] || die "--dir must not be /"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    fetch)
      parse_opts "$@"
      do_fetch
      info "Kafka $KAFKA_VERSION jars in $LIBS (java: $JAVA)"
      ;;
    start) parse_opts "$@"; do_start ;;
    stop) parse_opts "$@"; do_stop ;;
    restart)
      parse_opts "$@"
      local wipe=$WIPE
      WIPE=0
      do_stop
      WIPE=$wipe
      do_start
      ;;
    status) parse_opts "$@"; do_status ;;
    topics) parse_opts "$@"; do_topics ;;
    logs)
      parse_opts "$@"
      [[ -s $DIR/logs/server.log ]] || die "no broker log in $DIR/logs"
      tail -n "$LOG_LINES" "$DIR/logs/server.log"
      ;;
    tool)
      [[ $# -ge 1 ]] || die "usage: $0 tool CLASS [ARGS...]"
      ensure_java
      cache_complete || die "Kafka jars not cached; run: $0 fetch"
      exec "$JAVA" -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$TEMPLATE_DIR/tools-log4j.properties" -cp "$LIBS/*" "$@"
      ;;
    classpath)
      cache_complete || die "Kafka jars not cached; run: $0 fetch"
      echo "$LIBS/*"
      ;;
    -h | --help | help) usage ;;
    "") usage; exit 2 ;;
    *) usage; die "unknown command: $cmd" ;;
  esac
}

main "$@"
