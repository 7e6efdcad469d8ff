# The docs_reference_current test (tests/CMakeLists.txt): both generators of
# the reference tables in docs/ check, against the tables the built program
# prints (tipsim reference --json), that their documents are current.
#   cmake -DPYTHON=... -DTIPSIM=... -DSCRIPTS=.../scripts -P docs_reference_current.cmake
set(stale "")
foreach(script gen_param_reference.py gen_output_reference.py)
  execute_process(COMMAND ${PYTHON} ${SCRIPTS}/${script} --check --tipsim ${TIPSIM} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    list(APPEND stale ${script})
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "failed: ${stale}")
endif()
