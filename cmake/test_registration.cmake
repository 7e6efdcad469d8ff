# How a GoogleTest program's tests become CTest tests.
#
# Ordinary builds: one CTest test per GoogleTest test (gtest_discover_tests),
# so that ctest reports and times each one.
#
# Sanitizer builds (TIPSIM_SANITIZE): one CTest test per test suite, named
# SUITE.*, which runs the suite's tests in one process. Starting a sanitized
# test program costs about a tenth of a second of CPU (the sanitizer's
# runtime, then GoogleTest registering every test); one process per test
# spent about half a minute of the asan stage on it. Each suite writes
# GoogleTest's own report of its tests, with their times and skips, to
# gtest/PROGRAM/SUITE.xml in the build folder (scripts/check_skips.py reads
# them). A test that crashes takes the rest of its suite with it (no
# report; the suite, and so the stage, fails).
# Tests named in TIPSIM_SANITIZER_EXCLUDED_TESTS (a GoogleTest negative
# filter: Suite.Test:Suite.Other) do not run in such a build.
#
#   tipsim_register_tests(TARGET [PROPERTIES NAME VALUE...])
#
# The PROPERTIES apply to every CTest test the program gives (a TIMEOUT to
# each GoogleTest test: a suite gets it once per test). Under the
# sanitizers the suites are listed when ctest reads the tests (the program
# must be built by then, as for gtest_discover_tests); ${TARGET}_TESTS then
# holds their names, for include files that come after.
include_guard(GLOBAL)
set(TIPSIM_SANITIZER_EXCLUDED_TESTS "" CACHE STRING
    "Sanitizer builds: GoogleTest tests that do not run (Suite.Test:Suite.Other)")

function(tipsim_register_tests target)
  cmake_parse_arguments(arg "" "" "PROPERTIES" ${ARGN})
  if(NOT TIPSIM_SANITIZE)
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 PROPERTIES ${arg_PROPERTIES})
    return()
  endif()
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  file(GENERATE OUTPUT "${script}" CONTENT
"set(tipsim_target [==[${target}]==])
set(tipsim_binary [==[$<TARGET_FILE:${target}>]==])
set(tipsim_reports [==[${CMAKE_BINARY_DIR}/gtest]==])
set(tipsim_excluded [==[${TIPSIM_SANITIZER_EXCLUDED_TESTS}]==])
set(tipsim_properties [==[${arg_PROPERTIES}]==])
include([==[${PROJECT_SOURCE_DIR}/cmake/register_suites.cmake]==])
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
