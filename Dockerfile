# Two images from one build, each a thin wrapper over the scripts CI runs (scripts/install-deps.sh and
# scripts/build.sh), so what CI proves is what the images do. No container engine runs on the
# development machines; this file cannot be built there.
#   docker build --target sniffer  -t tcp-sniffer .
#   docker build --target injector -t tcp-sniffer-injector .
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN ./scripts/install-deps.sh && ./scripts/build.sh \
 && (cd ts && npm pack --pack-destination /out >/dev/null)

# The sidecar: Node + libpcap + the npm package (dist/, native addon, .wasm). Runs as root with only
# NET_RAW (see docs/injector.md: Kubernetes has no ambient capabilities for non-root users).
FROM debian:12-slim AS sniffer
RUN apt-get update && apt-get install -y --no-install-recommends nodejs libpcap0.8 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /tmp/pkg/
RUN mkdir -p /opt/tcp-sniffer && tar -xzf /tmp/pkg/tcp-sniffer-*.tgz -C /opt/tcp-sniffer --strip-components=1 \
 && rm -rf /tmp/pkg
ENTRYPOINT ["node", "/opt/tcp-sniffer/dist/cli.js"]

# The injector: one static-ish binary with its runtime libraries, non-root.
FROM debian:12-slim AS injector
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 libboost-json1.81.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/injector/tcp-sniffer-injector /usr/local/bin/tcp-sniffer-injector
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tcp-sniffer-injector"]
