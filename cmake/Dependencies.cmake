# Every library comes from Debian (scripts/setup.sh installs them); see ../shared/DEPENDENCIES.md.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(eclipse-paho-mqtt-c 1.3 CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
find_package(CURL REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(valijson CONFIG REQUIRED)
# yaml-cpp 0.7 (Debian) exports the plain target name `yaml-cpp`.
find_package(yaml-cpp CONFIG REQUIRED)
# Boost.Beast/Asio (header-only) for iot-serve's HTTP server.
find_package(Boost 1.74 REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
