# tests/engine/dump/dump.cmake (included by tests/engine/CMakeLists.txt): golden tests of
# the compiled code. Each *.wat here is assembled with wabt's wat2wasm at build time;
# engine_dump_<name> runs `troupe wasm dump` on it and compares the output with
# <name>.expected (dump_case.cmake), so a change in which ops chosen instruction
# sequences compile to -- a fusion lost, a different fused op -- fails a test.
find_program(TROUPE_WAT2WASM wat2wasm DOC "wabt's wat2wasm (Debian package wabt)")
if(NOT TROUPE_WAT2WASM)
  message(WARNING "engine dump tests: wat2wasm not found (install wabt: scripts/deps.sh)")
  set(TROUPE_WAT2WASM wat2wasm)
endif()
set(_dump_dir ${CMAKE_CURRENT_LIST_DIR})
set(_dump_out ${CMAKE_CURRENT_BINARY_DIR}/dump)
file(GLOB _dump_wat CONFIGURE_DEPENDS ${_dump_dir}/*.wat)
set(_dump_wasm)
foreach(_w IN LISTS _dump_wat)
  get_filename_component(_n ${_w} NAME_WE)
  add_custom_command(OUTPUT ${_dump_out}/${_n}.wasm
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_dump_out}
    COMMAND ${TROUPE_WAT2WASM} ${_w} -o ${_dump_out}/${_n}.wasm
    DEPENDS ${_w} COMMENT "dump test: ${_n}.wasm" VERBATIM)
  list(APPEND _dump_wasm ${_dump_out}/${_n}.wasm)
  add_test(NAME engine_dump_${_n}
           COMMAND ${CMAKE_COMMAND} -DTROUPE=$<TARGET_FILE:troupe>
                   -DWASM=${_dump_out}/${_n}.wasm -DEXPECTED=${_dump_dir}/${_n}.expected
                   -P ${_dump_dir}/dump_case.cmake)
  set_tests_properties(engine_dump_${_n} PROPERTIES LABELS "engine;asan" TIMEOUT 60)
endforeach()
add_custom_target(engine_dump_modules ALL DEPENDS ${_dump_wasm})
# The command line: one function alone (--func, both spellings), and an index past the end.
add_test(NAME engine_dump_one_function
         COMMAND $<TARGET_FILE:troupe> wasm dump --func 1 ${_dump_out}/chains.wasm)
add_test(NAME engine_dump_one_function_eq
         COMMAND $<TARGET_FILE:troupe> wasm dump ${_dump_out}/chains.wasm --func=1)
set_tests_properties(engine_dump_one_function engine_dump_one_function_eq PROPERTIES
                     LABELS "engine;asan" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "^func 1 \"sigma\"[^\n]*\n +0  i32_xor_rotl3 "
                     FAIL_REGULAR_EXPRESSION "func [02]")
add_test(NAME engine_dump_no_such_function
         COMMAND $<TARGET_FILE:troupe> wasm dump --func 99 ${_dump_out}/chains.wasm)
set_tests_properties(engine_dump_no_such_function PROPERTIES LABELS "engine;asan" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "troupe: [^\n]*chains.wasm: dump: no function 99")
