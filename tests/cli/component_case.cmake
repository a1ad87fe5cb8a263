# tests/cli/component_case.cmake: one `troupe component run` command-line test, run by
# ctest as `cmake -P`. Runs `troupe` with CMD (a list in which @COMPONENTS@ stands for the
# folder of the built components) -- killed after RUN_TIMEOUT seconds -- and checks the
# exit status (RC), that stdout / stderr match OUT / ERR and stderr does not match
# ERR_NOT (regular expressions), and, with JSON_CHECK, that stdout is a stream of JSON
# objects for which the jq filter JSON_CHECK (over the array of them, `jq -s`) is true.
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" CMD "${CMD_BAR}")
string(REPLACE "@COMPONENTS@" "${COMPONENTS}" cmd "${CMD}")
if(NOT RUN_TIMEOUT)
  set(RUN_TIMEOUT 60)
endif()
execute_process(COMMAND ${TROUPE} ${cmd} INPUT_FILE /dev/null TIMEOUT ${RUN_TIMEOUT}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(bad "")
if(NOT rc STREQUAL "${RC}")
  string(APPEND bad "exit status '${rc}', want '${RC}'\n")
endif()
if(DEFINED OUT AND NOT out MATCHES "${OUT}")
  string(APPEND bad "stdout does not match /${OUT}/\n")
endif()
if(DEFINED ERR AND NOT err MATCHES "${ERR}")
  string(APPEND bad "stderr does not match /${ERR}/\n")
endif()
if(DEFINED ERR_NOT AND err MATCHES "${ERR_NOT}")
  string(APPEND bad "stderr matches /${ERR_NOT}/, which it must not\n")
endif()
if(DEFINED JSON_CHECK)
  if(NOT JQ OR JQ MATCHES "NOTFOUND$")
    message(FATAL_ERROR "jq was not found: the --json tests need it (Debian package jq)")
  endif()
  file(MAKE_DIRECTORY ${WORK})
  set(json_file ${WORK}/${NAME}.json)
  file(WRITE ${json_file} "${out}")
  execute_process(COMMAND ${JQ} -e -s "${JSON_CHECK}" INPUT_FILE ${json_file}
                  OUTPUT_VARIABLE jq_out ERROR_VARIABLE jq_err RESULT_VARIABLE jq_rc)
  if(NOT jq_rc EQUAL 0)
    string(APPEND bad "stdout is not JSON with ${JSON_CHECK} (jq: ${jq_rc} ${jq_out}${jq_err})\n")
  endif()
endif()
if(bad)
  message(FATAL_ERROR "troupe ${cmd}\n${bad}--- stdout:\n${out}\n--- stderr:\n${err}")
endif()
message(STATUS "troupe ${cmd}: as expected")
