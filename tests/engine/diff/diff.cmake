# tests/engine/diff/diff.cmake (included by tests/engine/CMakeLists.txt): the differential
# test of the engine against V8. diff_run is Troupe's side (a plain program on the public
# API); diff.js generates modules with binaryen's translate-to-fuzz, runs them under both
# and compares results, traps and import-call logs. 50 fixed seeds here (well under a
# minute), once straight and once in fuel slices; scripts/run-diff.sh runs any number.
# Missing node or wasm-opt fails loudly.
add_executable(diff_run ${CMAKE_CURRENT_LIST_DIR}/diff_run.c)
target_link_libraries(diff_run PRIVATE troupe_static m)
find_program(TROUPE_NODE NAMES node nodejs)
if(NOT TROUPE_NODE)
  set(TROUPE_NODE node)
endif()
add_test(NAME engine_diff
         COMMAND ${TROUPE_NODE} ${CMAKE_CURRENT_LIST_DIR}/diff.js --driver $<TARGET_FILE:diff_run>
                 --gen ${CMAKE_SOURCE_DIR}/scripts/gen-ttf-corpus.sh
                 --work ${CMAKE_CURRENT_BINARY_DIR}/diff-work --from 1 --count 50)
# Labelled asan too: the ASan build then runs the same modules with memory checking.
set_tests_properties(engine_diff PROPERTIES LABELS "engine;diff;asan" TIMEOUT 120)
# The same modules with every call run in slices of 1 fuel and every host call
# suspending, resumed until done: suspension must not change a single line.
add_test(NAME engine_diff_sliced
         COMMAND ${TROUPE_NODE} ${CMAKE_CURRENT_LIST_DIR}/diff.js --driver $<TARGET_FILE:diff_run>
                 --slice 1 --gen ${CMAKE_SOURCE_DIR}/scripts/gen-ttf-corpus.sh
                 --work ${CMAKE_CURRENT_BINARY_DIR}/diff-work-sliced --from 1 --count 50)
set_tests_properties(engine_diff_sliced PROPERTIES LABELS "engine;diff;asan" TIMEOUT 120)
