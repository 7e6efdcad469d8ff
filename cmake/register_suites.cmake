# Read by ctest in a sanitizer build (see test_registration.cmake): one
# CTest test per GoogleTest suite of the program tipsim_binary, each running
# its suite's tests in one process and writing GoogleTest's report to
# tipsim_reports/TARGET/SUITE.xml. Sets ${tipsim_target}_TESTS to their names.
if(NOT EXISTS "${tipsim_binary}")
  # Not built: a test that fails and says so, as gtest_discover_tests does.
  add_test("${tipsim_target}_NOT_BUILT" "${tipsim_binary}")
  set(${tipsim_target}_TESTS "${tipsim_target}_NOT_BUILT")
  return()
endif()
execute_process(COMMAND "${tipsim_binary}" --gtest_list_tests
                OUTPUT_VARIABLE tipsim_listing ERROR_VARIABLE tipsim_listing_errors
                RESULT_VARIABLE tipsim_listing_status TIMEOUT 60)
if(NOT tipsim_listing_status EQUAL 0)
  message(FATAL_ERROR "${tipsim_binary} --gtest_list_tests failed (${tipsim_listing_status}):\n"
                      "${tipsim_listing}${tipsim_listing_errors}")
endif()
# A suite is a line that does not start with a blank: "Suite." or, for a
# parameterised suite, "Prefix/Suite."; its tests are the indented lines
# below it. GoogleTest's comments ("  # GetParam() = ...") go first, and the
# characters a CMake list would read as its own are escaped (as CMake's
# GoogleTestAddTests.cmake does), so that no parameter's printed value can
# hide or invent a suite.
string(REGEX REPLACE " +#[^\n]*" "" tipsim_listing "${tipsim_listing}")
string(REPLACE "[" "<" tipsim_listing "${tipsim_listing}")
string(REPLACE "]" ">" tipsim_listing "${tipsim_listing}")
string(REPLACE ";" "," tipsim_listing "${tipsim_listing}")
string(REPLACE "\n" ";" tipsim_lines "${tipsim_listing}")
set(tipsim_suites "")
set(tipsim_counts "")
set(tipsim_in_suite FALSE)
foreach(tipsim_line IN LISTS tipsim_lines)
  if(tipsim_line MATCHES "^([^ ][^ ]*)[.]$")
    list(APPEND tipsim_suites "${CMAKE_MATCH_1}")
    list(APPEND tipsim_counts 0)
    set(tipsim_in_suite TRUE)
  elseif(tipsim_line MATCHES "^  [^ ]" AND tipsim_in_suite)
    list(POP_BACK tipsim_counts tipsim_count)
    math(EXPR tipsim_count "${tipsim_count} + 1")
    list(APPEND tipsim_counts ${tipsim_count})
  endif()
endforeach()
set(tipsim_filter_tail "")
if(tipsim_excluded)
  set(tipsim_filter_tail ":-${tipsim_excluded}")
endif()
# The caller's TIMEOUT is per GoogleTest test (ten minutes when it gives
# none); a suite gets it for each of its tests, half an hour at most.
set(tipsim_test_timeout 600)
list(FIND tipsim_properties TIMEOUT tipsim_at)
if(tipsim_at GREATER -1)
  math(EXPR tipsim_at "${tipsim_at} + 1")
  list(GET tipsim_properties ${tipsim_at} tipsim_test_timeout)
endif()
set(${tipsim_target}_TESTS "")
foreach(tipsim_suite tipsim_count IN ZIP_LISTS tipsim_suites tipsim_counts)
  set(tipsim_name "${tipsim_suite}.*")
  string(REPLACE "/" "_" tipsim_report "${tipsim_suite}")
  add_test("${tipsim_name}" "${tipsim_binary}" "--gtest_filter=${tipsim_suite}.*${tipsim_filter_tail}"
           "--gtest_output=xml:${tipsim_reports}/${tipsim_target}/${tipsim_report}.xml")
  # The suites with more tests start first.
  math(EXPR tipsim_timeout "${tipsim_test_timeout} * ${tipsim_count}")
  if(tipsim_timeout GREATER 1800)
    set(tipsim_timeout 1800)
  endif()
  set_tests_properties("${tipsim_name}" PROPERTIES ${tipsim_properties} TIMEOUT ${tipsim_timeout}
                       COST ${tipsim_count})
  list(APPEND ${tipsim_target}_TESTS "${tipsim_name}")
endforeach()
