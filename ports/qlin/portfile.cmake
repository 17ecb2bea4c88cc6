# vcpkg port of qlin (header-only). Use as an overlay port until qlin is in the vcpkg registry:
#   vcpkg install qlin --overlay-ports=<qlin>/ports
#
# REF and SHA512 are placeholders: set REF to the release tag and SHA512 to the hash vcpkg prints
# on the first install ("Expected hash: 0, actual hash: ..."). REPO is where qlin will be published.
# To package a local checkout instead (no download), run with
#   VCPKG_KEEP_ENV_VARS=QLIN_VCPKG_SOURCE_DIR QLIN_VCPKG_SOURCE_DIR=<qlin> vcpkg install qlin --overlay-ports=<qlin>/ports
set(VCPKG_BUILD_TYPE release)  # header-only: one configuration is enough

if(DEFINED ENV{QLIN_VCPKG_SOURCE_DIR})
  set(SOURCE_PATH "$ENV{QLIN_VCPKG_SOURCE_DIR}")
else()
  vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO qlin-project/qlin   # placeholder: the published repository
    REF "v${VERSION}"         # placeholder: the release tag
    SHA512 0                  # placeholder: the archive's hash, printed by vcpkg on the first run
    HEAD_REF main
  )
endif()

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DQLIN_BUILD_TESTS=OFF
    -DQLIN_BUILD_EXAMPLES=OFF
    -DQLIN_BUILD_BENCHMARKS=OFF
    -DQLIN_INSTALL=ON
    -DQLIN_WARNINGS_AS_ERRORS=OFF
    -DQLIN_USE_XSIMD=ON
)
vcpkg_cmake_install()
# qlin installs its config files to share/cmake/qlin; vcpkg wants them in share/qlin.
vcpkg_cmake_config_fixup(PACKAGE_NAME qlin CONFIG_PATH share/cmake/qlin)
vcpkg_fixup_pkgconfig()  # share/pkgconfig/qlin.pc

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
