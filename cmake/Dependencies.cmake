# Every dependency is a Debian 12 package; scripts/install-deps installs them.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(CLI11 REQUIRED CONFIG)
find_package(nlohmann_json 3.10 REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)
find_package(pugixml REQUIRED CONFIG)
# serve's HTTP layer: Boost.Beast/Asio (header-only). An event loop per core answers each
# callback when its group commit is done; a thread-per-connection server (cpp-httplib) spent
# most of its time switching threads and refused form bodies over 8 KiB (docs/BENCHMARKS.md).
find_package(Boost 1.74 REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus>=3.3)
# ingest's hot path: CRC-32 by ISA-L (PCLMULQDQ folding, ~8x zlib) and JSON by simdjson (the
# events of a million callbacks a second; nlohmann/json stays for everything cold).
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal>=2.30)
find_package(simdjson 3.0 REQUIRED CONFIG)
# util/fold: search keys for names (normalization, case folding) with ICU's common library;
# nothing of i18n (collation, transliteration) is used.
find_package(ICU REQUIRED COMPONENTS uc)
# report's PDF writer: libharu 2.3 (libhpdf-dev ships neither CMake nor pkg-config files).
find_path(HPDF_INCLUDE_DIR hpdf.h)
find_library(HPDF_LIBRARY NAMES hpdf)
if(NOT HPDF_INCLUDE_DIR OR NOT HPDF_LIBRARY)
  message(FATAL_ERROR "libharu (hpdf.h, libhpdf.so) not found: install the Debian package libhpdf-dev")
endif()
add_library(Hpdf::hpdf UNKNOWN IMPORTED)
set_target_properties(Hpdf::hpdf PROPERTIES IMPORTED_LOCATION "${HPDF_LIBRARY}"
                                            INTERFACE_INCLUDE_DIRECTORIES "${HPDF_INCLUDE_DIR}")
