# tests/engine/dump/dump_case.cmake: one golden test of the compiled code (dump.cmake).
#   cmake -DTROUPE=troupe -DWASM=x.wasm -DEXPECTED=x.expected -P dump_case.cmake
# runs `troupe wasm dump x.wasm` and fails unless the output is exactly x.expected.
#
# To regenerate the expected files after a deliberate change to the compiler, run the
# tests with TROUPE_DUMP_REGEN set, in any build directory:
#   TROUPE_DUMP_REGEN=1 ctest -R engine_dump
# which writes each output over its .expected file (the test then passes); review the
# change with `git diff tests/engine/dump/` before committing it.
execute_process(COMMAND ${TROUPE} wasm dump ${WASM}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "troupe wasm dump ${WASM}: exit ${rc}: ${err}")
endif()
if(DEFINED ENV{TROUPE_DUMP_REGEN})
  file(WRITE ${EXPECTED} "${out}")
  message(STATUS "regenerated ${EXPECTED}")
  return()
endif()
file(READ ${EXPECTED} want)
if(NOT out STREQUAL want)
  file(WRITE ${WASM}.got "${out}")
  execute_process(COMMAND diff -u ${EXPECTED} ${WASM}.got OUTPUT_VARIABLE diff)
  message(FATAL_ERROR "the compiled code of ${WASM} differs from ${EXPECTED} (+ is what "
                      "the compiler made now):\n${diff}")
endif()
