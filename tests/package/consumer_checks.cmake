# consumer_checks.cmake: what every consumer project in tests/package/ asserts about qlin.
#
# A project that uses qlin must get the library alone: no tests, examples or benchmarks of qlin
# (their options default to OFF when qlin is not the top-level project), and an imported or
# aliased qlin::qlin target.
function(qlin_consumer_checks)
  if(NOT TARGET qlin::qlin)
    message(FATAL_ERROR "qlin consumer: the target qlin::qlin does not exist")
  endif()
  foreach(t IN ITEMS qlin_tests qlin_tests_avx2 qlin_tests_avx512 qlin_catch_main qlin_cli qlin_cli_no_exceptions
                     qlin_compile_cxx17 qlin_compile_cxx20 qlin_whole_api qlin_whole_api_avx2 qlin_whole_api_avx512
                     qlin_core_tests)
    if(TARGET ${t})
      message(FATAL_ERROR "qlin consumer: qlin's own target '${t}' was created in a consumer build")
    endif()
  endforeach()
  foreach(v IN ITEMS QLIN_BUILD_TESTS QLIN_BUILD_EXAMPLES QLIN_BUILD_BENCHMARKS)
    if(${v})
      message(FATAL_ERROR "qlin consumer: ${v} is ON in a consumer build")
    endif()
  endforeach()
  if(ARGC GREATER 0)
    # add_subdirectory / FetchContent: qlin's directory must add no subdirectories (tests, examples,
    # benchmarks) of its own.
    get_property(subdirs DIRECTORY "${ARGV0}" PROPERTY SUBDIRECTORIES)
    if(subdirs)
      message(FATAL_ERROR "qlin consumer: qlin added subdirectories in a consumer build: ${subdirs}")
    endif()
  endif()
endfunction()

# The consumer is our code: it builds without warnings.
function(qlin_consumer_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Werror)
  endif()
endfunction()
