# tests/wasi/cli_case.cmake: one `troupe wasm` command-line test, run by ctest as
# `cmake -P`. Optionally builds SRC for wasm32-wasi first (WASM_FLAGS), or the text
# module WAT with WAT2WASM, into WASM; then runs `troupe` with CMD (a list in which @WASM@
# stands for that module) -- killed after RUN_TIMEOUT seconds if given -- and checks the
# exit status (RC) and that stdout / stderr match OUT / ERR (regular expressions,
# anchored by the caller if needed).
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" CMD "${CMD_BAR}")
string(REPLACE "|" ";" WASM_FLAGS "${WASM_FLAGS_BAR}")

if(SRC)
  if(CLANG MATCHES "NOTFOUND$" OR NOT CLANG)
    message(FATAL_ERROR "clang was not found: the WASI tests need clang, lld, wasi-libc and "
                        "libclang-rt-14-dev-wasm32 (run scripts/deps.sh)")
  endif()
  get_filename_component(dir ${WASM} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${CLANG} --target=wasm32-wasi -O2 ${WASM_FLAGS} -o ${WASM} ${SRC} -lm
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot build ${SRC} for wasm32-wasi (scripts/deps.sh):\n${out}")
  endif()
endif()
if(WAT)
  if(NOT WAT2WASM OR WAT2WASM MATCHES "NOTFOUND$")
    message(FATAL_ERROR "wat2wasm was not found: install wabt (scripts/deps.sh)")
  endif()
  get_filename_component(dir ${WASM} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${WAT2WASM} ${WAT} -o ${WASM}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot assemble ${WAT}:\n${out}")
  endif()
endif()
set(limit)
if(RUN_TIMEOUT)
  set(limit TIMEOUT ${RUN_TIMEOUT})
endif()
string(REPLACE "@WASM@" "${WASM}" cmd "${CMD}")
execute_process(COMMAND ${TROUPE} ${cmd} INPUT_FILE /dev/null ${limit}
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
if(bad)
  message(FATAL_ERROR "troupe ${cmd}\n${bad}--- stdout:\n${out}\n--- stderr:\n${err}")
endif()
message(STATUS "troupe ${cmd}: as expected")
