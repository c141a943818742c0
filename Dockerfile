# newsflowd image: built with the repository's CMake on Debian 12, run as a non-root user on
# Debian 12 slim with only the shared libraries the binary links.
#
#   docker build -t newsflow:0.1.0 .
#   docker run --rm -p 8080:8080 newsflow:0.1.0 run --set kafka.embedded=true
#
# The Helm chart (helm/newsflow) runs this image with a read-only root filesystem, its config
# mounted at /etc/newsflow and the RocksDB state on a volume at /var/lib/newsflow/state.

ARG DEBIAN_IMAGE=debian:12

# ---- build ------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# The build dependencies are the ones scripts/setup.sh installs for developers and CI.
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh --deps && rm -rf /var/lib/apt/lists/*

# Sources only: build directories and local state in the checkout never reach the image.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY common/ common/
COPY config/ config/
COPY state/ state/
COPY stages/ stages/
COPY daemon/ daemon/
COPY tools/ tools/
COPY tests/ tests/

ARG BUILD_JOBS=2
# Only the daemon: the language n-gram models need ../shared, which is not in the build context
# (files under models/ are shipped as they are, below).
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNEWSFLOW_LANGUAGE_MODELS=OFF \
 && cmake --build build --target newsflowd -j "${BUILD_JOBS}" \
 && install -D -m 0755 -s build/daemon/newsflowd /out/usr/local/bin/newsflowd \
 && /out/usr/local/bin/newsflowd version

# The Debian packages that own the shared libraries newsflowd links: the runtime stage installs
# exactly these, so a new dependency cannot be forgotten here.
RUN set -e; \
    ldd /out/usr/local/bin/newsflowd | awk '$3 ~ /^\// { print $3 }' > /tmp/libs; \
    : > /tmp/owners; \
    while read -r lib; do \
      real=$(readlink -f "$lib"); \
      dpkg -S "$real" >> /tmp/owners 2>/dev/null \
        || dpkg -S "${real#/usr}" >> /tmp/owners 2>/dev/null \
        || { echo "no package owns $lib" >&2; exit 1; }; \
    done < /tmp/libs; \
    sed 's/:.*//; s/, /\n/g' /tmp/owners | sort -u > /out/runtime-packages; \
    cat /out/runtime-packages

# ---- runtime ----------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}-slim
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages

# A fixed numeric uid/gid, so that Kubernetes' runAsNonRoot can check it and fsGroup matches.
RUN groupadd --system --gid 10001 newsflow \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /var/lib/newsflow --shell /usr/sbin/nologin newsflow \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/newsflow /var/lib/newsflow/state

COPY --from=build /out/usr/local/bin/newsflowd /usr/local/bin/newsflowd
# Stage data (e.g. models/entities). Stages resolve their default model paths against the
# working directory, so the daemon runs from here.
COPY models/ /usr/share/newsflow/models/
# Defaults for a plain `docker run`; the chart mounts its own config over /etc/newsflow.
COPY config/newsflow.example.yaml /etc/newsflow/newsflow.yaml

USER 10001:10001
WORKDIR /usr/share/newsflow
# Admin server: /metrics, /healthz, /readyz.
EXPOSE 8080
# newsflowd handles SIGTERM itself (drain, final commit), so it runs as PID 1 directly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/newsflowd"]
CMD ["run", "--config", "/etc/newsflow/newsflow.yaml"]
