# Cross-compile for aarch64 with Debian's g++-aarch64-linux-gnu and run tests under qemu-aarch64.
#   cmake -S . -B build-a64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# Debian installs xsimdConfig.cmake under the host's multiarch libdir, which a cross build does not
# search: point xsimd_DIR there (reference/TOOLCHAIN.md section 3a).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
if(NOT DEFINED xsimd_DIR AND EXISTS /usr/lib/x86_64-linux-gnu/cmake/xsimd)
  set(xsimd_DIR /usr/lib/x86_64-linux-gnu/cmake/xsimd CACHE PATH "")
endif()
if(NOT DEFINED Catch2_DIR AND EXISTS /usr/lib/cmake/Catch2)
  set(Catch2_DIR /usr/lib/cmake/Catch2 CACHE PATH "")
endif()
# GCC notes that the ABI of std::pair<float, float> changed in GCC 10.1 (a -Wpsabi note, not a
# problem for a header-only library compiled with one compiler).
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
