# run_consumer.cmake: one packaging round trip, run by ctest (tests/package/CMakeLists.txt).
#
#   cmake -DMODE=<mode> -DQLIN_SOURCE_DIR=... -DQLIN_BINARY_DIR=... -DWORK_DIR=...
#         -DCONSUMER_CXX=... -DCONSUMER_GENERATOR=... [-DCONSUMER_BUILD_TYPE=...] -P run_consumer.cmake
#
# MODE:
#   find_package      cmake --install QLIN_BINARY_DIR into WORK_DIR/prefix, then the consumer in
#                     consumer/ with find_package(qlin 0.1 CONFIG REQUIRED)
#   version_mismatch  the same install; find_package(qlin 1.0 CONFIG REQUIRED) must fail
#   add_subdirectory  add_subdirectory(QLIN_SOURCE_DIR)
#   fetch_dir         FetchContent_Declare(qlin SOURCE_DIR QLIN_SOURCE_DIR)
#   fetch_override    FetchContent with an unreachable URL, overridden by FETCHCONTENT_SOURCE_DIR_QLIN
#   fetch_git         FetchContent from a file:// git repository made here from the source tree
#                     (tracked and untracked, non-ignored files: uncommitted changes included)
#   pkg_config        the install, then `c++ $(pkg-config --cflags qlin) consumer/main.cpp`
#   install_layout    the install's file list equals tests/package/install_manifest.txt (what the
#                     Conan recipe and the vcpkg port promise)
#   recipes           the install, then check_recipes.py: conanfile.py, test_package/ and
#                     ports/qlin/ agree with CMakeLists.txt and with the installed layout
# Every consumer program is tests/package/consumer/main.cpp; it is built and run.
cmake_minimum_required(VERSION 3.16)
foreach(v IN ITEMS MODE QLIN_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_consumer.cmake: -D${v}=... is required")
  endif()
endforeach()
set(here "${CMAKE_CURRENT_LIST_DIR}")
set(work "${WORK_DIR}/${MODE}")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "command failed (${rc}): ${cmd}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(configure_args)
if(CONSUMER_GENERATOR)
  list(APPEND configure_args -G "${CONSUMER_GENERATOR}")
endif()
if(CONSUMER_CXX)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CONSUMER_CXX}")
endif()
if(NOT CONSUMER_BUILD_TYPE)
  set(CONSUMER_BUILD_TYPE Release)
endif()
list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}")

# Configures, builds and runs the consumer project in `source_dir`.
function(build_and_run source_dir)
  set(b "${work}/build")
  run("${CMAKE_COMMAND}" -S "${source_dir}" -B "${b}" ${configure_args} ${ARGN})
  run("${CMAKE_COMMAND}" --build "${b}" --config "${CONSUMER_BUILD_TYPE}")
  set(exe "${b}/qlin_consumer${CMAKE_EXECUTABLE_SUFFIX}")
  if(NOT EXISTS "${exe}")
    set(exe "${b}/${CONSUMER_BUILD_TYPE}/qlin_consumer${CMAKE_EXECUTABLE_SUFFIX}")
  endif()
  run("${exe}")
  message(STATUS "${MODE}: ${run_output}")
endfunction()

function(install_qlin prefix)
  if(NOT DEFINED QLIN_BINARY_DIR)
    message(FATAL_ERROR "MODE=${MODE} needs -DQLIN_BINARY_DIR=<qlin's build tree>")
  endif()
  run("${CMAKE_COMMAND}" --install "${QLIN_BINARY_DIR}" --prefix "${prefix}" --config "${CONSUMER_BUILD_TYPE}")
endfunction()

if(MODE STREQUAL "find_package")
  install_qlin("${work}/prefix")
  build_and_run("${here}/consumer" "-DCMAKE_PREFIX_PATH=${work}/prefix")

elseif(MODE STREQUAL "version_mismatch")
  install_qlin("${work}/prefix")
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${here}/consumer" -B "${work}/build" ${configure_args}
                          "-DCMAKE_PREFIX_PATH=${work}/prefix" -DQLIN_CONSUMER_REQUIRE_VERSION=1.0
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "find_package(qlin 1.0) accepted qlin 0.x (SameMajorVersion expected)\n${out}")
  endif()
  if(NOT err MATCHES "requested version")
    message(FATAL_ERROR "configure failed, but not for the version:\n${err}")
  endif()
  message(STATUS "version_mismatch: find_package(qlin 1.0) refused, as it should")

elseif(MODE STREQUAL "add_subdirectory")
  build_and_run("${here}/add_subdirectory" "-DQLIN_SOURCE_DIR=${QLIN_SOURCE_DIR}")

elseif(MODE STREQUAL "fetch_dir")
  build_and_run("${here}/fetchcontent" -DQLIN_FETCH_MODE=dir "-DQLIN_FETCH_SOURCE=${QLIN_SOURCE_DIR}")

elseif(MODE STREQUAL "fetch_override")
  build_and_run("${here}/fetchcontent" -DQLIN_FETCH_MODE=override "-DFETCHCONTENT_SOURCE_DIR_QLIN=${QLIN_SOURCE_DIR}")

elseif(MODE STREQUAL "fetch_git")
  if(NOT GIT_EXECUTABLE)
    find_program(GIT_EXECUTABLE git)
  endif()
  if(NOT GIT_EXECUTABLE)
    message(FATAL_ERROR "fetch_git needs git")
  endif()
  # The working tree as it is now (tracked + untracked, minus .gitignore'd files such as build*/).
  set(repo "${work}/qlin-src")
  if(EXISTS "${QLIN_SOURCE_DIR}/.git")
    run("${GIT_EXECUTABLE}" -C "${QLIN_SOURCE_DIR}" -c core.quotePath=false ls-files --cached --others --exclude-standard)
    string(REPLACE "\n" ";" files "${run_output}")
  else()
    file(GLOB_RECURSE files RELATIVE "${QLIN_SOURCE_DIR}" "${QLIN_SOURCE_DIR}/CMakeLists.txt"
         "${QLIN_SOURCE_DIR}/LICENSE" "${QLIN_SOURCE_DIR}/include/*" "${QLIN_SOURCE_DIR}/cmake/*")
  endif()
  set(n 0)
  foreach(f IN LISTS files)
    if(f STREQUAL "" OR NOT EXISTS "${QLIN_SOURCE_DIR}/${f}" OR IS_DIRECTORY "${QLIN_SOURCE_DIR}/${f}")
      continue()  # deleted in the working tree but not yet in the index
    endif()
    get_filename_component(d "${repo}/${f}" DIRECTORY)
    file(COPY "${QLIN_SOURCE_DIR}/${f}" DESTINATION "${d}")
    math(EXPR n "${n} + 1")
  endforeach()
  set(git "${GIT_EXECUTABLE}" -C "${repo}" -c user.name=qlin-ctest -c user.email=ctest@invalid -c commit.gpgsign=false
          -c tag.gpgsign=false -c init.defaultBranch=main)
  run(${git} init -q)
  run(${git} add -A)
  run(${git} commit -q -m "qlin working tree for the FetchContent test")
  run(${git} tag v0.1.0-test)
  run("${GIT_EXECUTABLE}" clone -q --bare "${repo}" "${work}/qlin.git")
  message(STATUS "fetch_git: ${n} files committed to ${work}/qlin.git")
  build_and_run("${here}/fetchcontent" -DQLIN_FETCH_MODE=git "-DQLIN_FETCH_SOURCE=file://${work}/qlin.git"
                -DQLIN_FETCH_TAG=v0.1.0-test -DFETCHCONTENT_UPDATES_DISCONNECTED=ON)

elseif(MODE STREQUAL "pkg_config")
  find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
  if(NOT PKG_CONFIG_EXECUTABLE)
    message(FATAL_ERROR "pkg_config needs pkg-config")
  endif()
  set(prefix "${work}/prefix")
  install_qlin("${prefix}")
  file(GLOB_RECURSE pcs "${prefix}/*/qlin.pc")
  if(NOT pcs)
    message(FATAL_ERROR "no qlin.pc was installed under ${prefix}")
  endif()
  list(GET pcs 0 pc)
  get_filename_component(pcdir "${pc}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  run("${PKG_CONFIG_EXECUTABLE}" --modversion qlin)
  string(STRIP "${run_output}" version)
  run("${PKG_CONFIG_EXECUTABLE}" --cflags qlin)
  string(STRIP "${run_output}" cflags)
  message(STATUS "pkg_config: qlin ${version}, cflags: ${cflags}")
  separate_arguments(cflags_list UNIX_COMMAND "${cflags}")
  # The include directory must be the installed one (qlin.pc is relocatable: ${pcfiledir}/../..).
  set(found_include FALSE)
  foreach(flag IN LISTS cflags_list)
    if(flag MATCHES "^-I(.*)$")
      get_filename_component(dir "${CMAKE_MATCH_1}" REALPATH)
      get_filename_component(want "${prefix}/include" REALPATH)
      if(dir STREQUAL want)
        set(found_include TRUE)
      endif()
    endif()
  endforeach()
  if(NOT found_include)
    message(FATAL_ERROR "pkg-config --cflags qlin does not point at ${prefix}/include: ${cflags}")
  endif()
  set(exe "${work}/qlin_consumer${CMAKE_EXECUTABLE_SUFFIX}")
  run("${CONSUMER_CXX}" -std=c++17 -O2 -Wall -Wextra -Wpedantic -Wconversion -Werror ${cflags_list}
      "${here}/consumer/main.cpp" -o "${exe}")
  run("${exe}")
  message(STATUS "pkg_config: ${run_output}")

elseif(MODE STREQUAL "install_layout")
  set(prefix "${work}/prefix")
  install_qlin("${prefix}")
  file(GLOB_RECURSE installed RELATIVE "${prefix}" "${prefix}/*")
  list(SORT installed)
  file(STRINGS "${here}/install_manifest.txt" expected REGEX "^[^#]")
  # The manifest lists the fixed files; the public headers are the source tree's include/ (checked
  # one for one, so a header added to include/ but not installed, or the reverse, fails).
  file(GLOB_RECURSE headers RELATIVE "${QLIN_SOURCE_DIR}" "${QLIN_SOURCE_DIR}/include/qlin/*")
  list(APPEND expected ${headers})
  list(SORT expected)
  list(REMOVE_DUPLICATES expected)
  if(NOT installed STREQUAL expected)
    set(missing ${expected})
    list(REMOVE_ITEM missing ${installed})
    set(extra ${installed})
    list(REMOVE_ITEM extra ${expected})
    message(FATAL_ERROR "install layout differs from tests/package/install_manifest.txt\n"
                        "missing: ${missing}\nunexpected: ${extra}")
  endif()
  list(LENGTH installed n)
  message(STATUS "install_layout: ${n} files, as the manifest says")

elseif(MODE STREQUAL "recipes")
  if(NOT PYTHON_EXECUTABLE)
    message(FATAL_ERROR "MODE=recipes needs -DPYTHON_EXECUTABLE=...")
  endif()
  install_qlin("${work}/prefix")
  run("${PYTHON_EXECUTABLE}" "${here}/check_recipes.py" "${QLIN_SOURCE_DIR}" "${work}/prefix")
  message(STATUS "${run_output}")

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
