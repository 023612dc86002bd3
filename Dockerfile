# The toolkit's executables in one image (issue 9): built on Debian 12 with the same packages as
# scripts/setup.sh, run on debian:12-slim with only the shared libraries they link, as a non-root
# user with nothing writable (the manifests in k8s/ mount a read-only root filesystem).
#
#   docker build -t iot-fleet-toolkit:latest .
#   docker run --rm iot-fleet-toolkit:latest iot-provision --help
#
# Tests are not built here (they need ../shared and services); run them with ctest outside.

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake make pkg-config ca-certificates \
      libpqxx-dev libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev zlib1g-dev \
      libpaho-mqtt-dev libboost-dev libyaml-cpp-dev libvalijson-dev libzip-dev libcctz-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt README.md ./
COPY cmake cmake
COPY lib lib
COPY tools tools
COPY jobs jobs
COPY systemd systemd
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DIOT_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" \
 && cmake --install /build --prefix /opt/iot --strip

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpqxx-6.4 libcurl4 libssl3 libpaho-mqtt1.3 libyaml-cpp0.7 libzip4 libcctz2 zlib1g \
      ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/iot/bin/ /usr/local/bin/
# 65532: the uid the manifests in k8s/ run as (runAsUser), with no login shell and no home.
RUN groupadd --system --gid 65532 iot \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin iot
USER 65532:65532
EXPOSE 8080
CMD ["iot-serve"]
