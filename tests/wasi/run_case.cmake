# tests/wasi/run_case.cmake: one WASI program test, run by ctest as `cmake -P`.
# Compiles SRC for wasm32-wasi (clang + lld + wasi-libc) and, unless EXPECT is given,
# natively (NATIVE_CC); runs both with the same arguments, environment and stdin (the
# wasm one through `troupe wasm run`, with the native binary's path as argv[0]); and
# fails unless stdout, stderr and the exit status are identical byte for byte. With
# EXPECT=file, the wasm run's stdout must equal that file and its status EXPECT_RC.
#
# Variables: TROUPE, CLANG, NATIVE_CC, SRC, NAME, WORK, ARGS_BAR and ENV_BAR (lists
# with '|' for ';', ENV items being NAME=VALUE), STDIN (file, default /dev/null),
# EXPECT, EXPECT_RC.
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" ARGS "${ARGS_BAR}")
string(REPLACE "|" ";" ENV "${ENV_BAR}")

foreach(v TROUPE CLANG SRC NAME WORK)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_case.cmake: ${v} is not set")
  endif()
endforeach()
if(CLANG MATCHES "NOTFOUND$")
  message(FATAL_ERROR "clang was not found: the WASI tests need clang, lld, wasi-libc and "
                      "libclang-rt-14-dev-wasm32 (run scripts/deps.sh)")
endif()
if(NOT STDIN)
  set(STDIN /dev/null)
endif()
file(MAKE_DIRECTORY ${WORK})
set(wasm ${WORK}/${NAME}.wasm)
set(native ${WORK}/${NAME}.native)

execute_process(COMMAND ${CLANG} --target=wasm32-wasi -O2 -o ${wasm} ${SRC} -lm
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot build ${SRC} for wasm32-wasi (needs clang, lld, wasi-libc and "
                      "libclang-rt-14-dev-wasm32: scripts/deps.sh):\n${out}")
endif()

set(envflags)
foreach(e IN LISTS ENV)
  list(APPEND envflags --env ${e})
endforeach()
set(argv0 ${NAME}) # a fixed argv[0], so that an expected output does not depend on paths
if(NOT EXPECT)
  set(argv0 ${native})
endif()
execute_process(COMMAND ${TROUPE} wasm run ${envflags} --argv0 ${argv0} -- ${wasm} ${ARGS}
                INPUT_FILE ${STDIN} OUTPUT_VARIABLE w_out ERROR_VARIABLE w_err
                RESULT_VARIABLE w_rc)
file(WRITE ${WORK}/${NAME}.wasm.stdout "${w_out}")
file(WRITE ${WORK}/${NAME}.wasm.stderr "${w_err}")

if(EXPECT)
  file(READ ${EXPECT} want)
  if(NOT w_out STREQUAL want OR NOT w_rc STREQUAL "${EXPECT_RC}")
    message(FATAL_ERROR "${NAME}: stdout or exit status differ from ${EXPECT}\n"
            "status: got '${w_rc}', want '${EXPECT_RC}'\nstderr:\n${w_err}\n"
            "got stdout (${WORK}/${NAME}.wasm.stdout):\n${w_out}")
  endif()
  message(STATUS "${NAME}: output and status as expected")
  return()
endif()

if(NOT NATIVE_CC OR NATIVE_CC MATCHES "NOTFOUND$")
  message(FATAL_ERROR "no native C compiler given (NATIVE_CC)")
endif()
execute_process(COMMAND ${NATIVE_CC} -O2 -o ${native} ${SRC} -lm
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot build ${SRC} natively:\n${out}")
endif()
execute_process(COMMAND env -i ${ENV} ${native} ${ARGS}
                INPUT_FILE ${STDIN} OUTPUT_VARIABLE n_out ERROR_VARIABLE n_err
                RESULT_VARIABLE n_rc)
file(WRITE ${WORK}/${NAME}.native.stdout "${n_out}")
file(WRITE ${WORK}/${NAME}.native.stderr "${n_err}")

set(bad "")
if(NOT w_rc STREQUAL n_rc)
  string(APPEND bad "exit status: native '${n_rc}', wasm '${w_rc}'\n")
endif()
foreach(s out err)
  if(NOT w_${s} STREQUAL n_${s})
    string(LENGTH "${n_${s}}" nl)
    string(LENGTH "${w_${s}}" wl)
    string(SUBSTRING "${n_${s}}" 0 2000 ns)
    string(SUBSTRING "${w_${s}}" 0 2000 ws)
    string(APPEND bad "std${s} differs (native ${nl} bytes, wasm ${wl} bytes; both in ${WORK}/${NAME}.*.std${s})\n"
           "--- native:\n${ns}\n--- wasm:\n${ws}\n")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "${NAME}: the wasm run differs from the native run\n${bad}")
endif()
message(STATUS "${NAME}: wasm and native runs identical (status ${n_rc})")
