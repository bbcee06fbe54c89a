# Two images: `sniffer` (the sidecar: Node.js LTS, libpcap's runtime and the npm package, nothing of the
# build) and `injector` (the admission webhook, non-root, its runtime libraries only).
# scripts/image.sh builds both with docker or podman; docs/deployment.md says how and why. Alone:
#   docker build --target sniffer  -t tcp-sniffer:0.1.0 .
#   docker build --target injector -t tcp-sniffer-injector:0.1.0 .
# Build arguments: BASE_IMAGE and BUILD_IMAGE, the runtime and build bases; where no registry is
# reachable, image.sh passes a base made from Debian's archive (mmdebstrap) for both.
# Targets `sniffer` and `injector` build from source in the `build` stage (scripts/build.sh --image);
# `sniffer-host` and `injector-host` (image.sh --from-host) put the host's build in the same runtime
# stages instead: the files scripts/stage-artifacts.sh wrote to build/image/out/.
# A TLS proxy's CA for the registries comes as the build secret `npm_ca`, mounted only while the RUN
# steps that download run: no layer of any stage holds it.
ARG BASE_IMAGE=debian:12-slim
ARG BUILD_IMAGE=debian:12

# Node.js LTS, the official build from the npm registry (sha512-pinned in scripts/node-lts.sh): Debian 12's
# own nodejs is 18, out of support.
FROM ${BUILD_IMAGE} AS node
COPY scripts/node-lts.sh /usr/local/bin/node-lts.sh
RUN --mount=type=secret,id=npm_ca \
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      curl ca-certificates \
 && if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
 && node-lts.sh /opt/node

# The build from source, with the project's scripts: first the build dependencies, from the files
# install-deps.sh reads only, so a source change reuses that layer; then what the images hold, no tests.
FROM ${BUILD_IMAGE} AS build
COPY --from=node /opt/node /usr/local/lib/tcp-sniffer-node
RUN for b in node npm npx; do ln -s /usr/local/lib/tcp-sniffer-node/bin/$b /usr/local/bin/$b; done
WORKDIR /src
COPY scripts/install-deps.sh scripts/node-lts.sh scripts/
COPY ts/package.json ts/package-lock.json ts/
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
 && ./scripts/install-deps.sh --build
COPY . .
RUN ./scripts/build.sh --image && ./scripts/stage-artifacts.sh /out

# The sidecar's runtime. Runs as root with only NET_RAW in Kubernetes (docs/injector.md: no ambient
# capabilities for non-root users); its root filesystem can be read-only (it writes nothing).
FROM ${BASE_IMAGE} AS sniffer-runtime
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libpcap0.8 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
COPY --from=node /opt/node/bin/node /usr/local/bin/node
COPY --from=node /opt/node/lib/node_modules/LICENSE.node /usr/share/doc/nodejs/LICENSE
ENTRYPOINT ["node", "/opt/tcp-sniffer/dist/cli.js"]

# The admission webhook's runtime: its shared libraries, a non-root user.
FROM ${BASE_IMAGE} AS injector-runtime
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libssl3 libboost-json1.81.0 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tcp-sniffer-injector"]

FROM sniffer-runtime AS sniffer-host
COPY build/image/out/package/ /opt/tcp-sniffer/

FROM injector-runtime AS injector-host
COPY build/image/out/tcp-sniffer-injector /usr/local/bin/tcp-sniffer-injector

FROM injector-runtime AS injector
COPY --from=build /out/tcp-sniffer-injector /usr/local/bin/tcp-sniffer-injector

FROM sniffer-runtime AS sniffer
COPY --from=build /out/package/ /opt/tcp-sniffer/
