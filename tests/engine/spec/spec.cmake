# The WebAssembly spec-test runner (included by tests/engine/CMakeLists.txt). It reads the
# official .wast files in place from TROUPE_SPEC_DIR, converts each with wabt's wast2json
# into the build tree, and replays it against the engine. One ctest test per core/ file
# (spec_<file>), the runner's self-test and a fuel-sliced run, all labelled spec and asan.
set(_spec_src ${CMAKE_CURRENT_LIST_DIR})
add_executable(spec_runner
  ${_spec_src}/main.c ${_spec_src}/run.c ${_spec_src}/values.c ${_spec_src}/spectest.c
  ${_spec_src}/skip.c)
target_link_libraries(spec_runner PRIVATE troupe_static PkgConfig::JANSSON)

find_program(TROUPE_WAST2JSON wast2json DOC "wabt's wast2json (Debian package wabt)")
if(TROUPE_WAST2JSON)
  set(_spec_wast2json ${TROUPE_WAST2JSON})
else()
  message(WARNING "spec: wast2json not found (install wabt: scripts/deps.sh); the spec "
                  "tests will fail until it is installed")
  set(_spec_wast2json wast2json)
endif()
set(_spec_work ${CMAKE_BINARY_DIR}/spec-work)
target_compile_definitions(spec_runner PRIVATE
  SPEC_DEFAULT_DIR="${TROUPE_SPEC_DIR}"
  SPEC_DEFAULT_SKIP="${_spec_src}/skip.txt"
  SPEC_DEFAULT_WAST2JSON="${_spec_wast2json}")

# The runner checking itself: selftest.script holds 13 right and 23 wrong commands.
add_test(NAME spec_selftest
         COMMAND spec_runner --spec-dir ${_spec_src} --work ${_spec_work}
                 --file ${_spec_src}/selftest.script --expect-passed 13 --expect-failed 23)
set_tests_properties(spec_selftest PROPERTIES LABELS "spec;asan" TIMEOUT 60)

# Files: every core/*.wast. skip.txt (read by the runner) decides what inside is skipped.
file(GLOB _spec_files CONFIGURE_DEPENDS ${TROUPE_SPEC_DIR}/core/*.wast)
if(NOT _spec_files)
  message(WARNING "\n*** spec: NO WebAssembly spec tests at ${TROUPE_SPEC_DIR}/core ***\n"
                  "*** The spec stage is SKIPPED (set -DTROUPE_SPEC_DIR=...). ***\n")
  # One test that says so loudly and reports itself skipped (exit 77).
  add_test(NAME spec_missing COMMAND spec_runner --spec-dir ${TROUPE_SPEC_DIR})
  set_tests_properties(spec_missing PROPERTIES LABELS "spec;asan" SKIP_RETURN_CODE 77)
else()
  foreach(_f IN LISTS _spec_files)
    get_filename_component(_stem ${_f} NAME_WE)
    add_test(NAME spec_${_stem}
             COMMAND spec_runner --spec-dir ${TROUPE_SPEC_DIR} --work ${_spec_work}
                     --timeout 110 --file ${_f})
    set_tests_properties(spec_${_stem} PROPERTIES LABELS "spec;asan" TIMEOUT 150
                         SKIP_RETURN_CODE 77)
  endforeach()
  # The whole core suite again with every call run in slices of 3 fuel and resumed after
  # each suspension: the results must be the same, so this tests suspend/resume broadly.
  add_test(NAME spec_fuel_slices
           COMMAND spec_runner --spec-dir ${TROUPE_SPEC_DIR} --work ${_spec_work}/fuel
                   --fuel 3 --expect-total 27923)
  set_tests_properties(spec_fuel_slices PROPERTIES LABELS "spec;asan" TIMEOUT 600
                       SKIP_RETURN_CODE 77)
endif()

# Our own regression scripts in the .wast format (tests/engine/wast/*.script, named so
# that they are never mistaken for copies of the official spec tests): the interpreter's
# fused ops must behave exactly as the instruction sequences they replace.
file(GLOB _own_wast CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/engine/wast/*.script)
foreach(_w IN LISTS _own_wast)
  get_filename_component(_wn ${_w} NAME_WE)
  add_test(NAME engine_wast_${_wn}
           COMMAND spec_runner --spec-dir ${CMAKE_SOURCE_DIR}/tests/engine/wast --work ${_spec_work}
                   --file ${_w} --expect-failed 0)
  set_tests_properties(engine_wast_${_wn} PROPERTIES LABELS "engine;asan" TIMEOUT 60)
  # and in fuel slices of 1: every loop back-edge suspends and resumes
  add_test(NAME engine_wast_${_wn}_fuel
           COMMAND spec_runner --spec-dir ${CMAKE_SOURCE_DIR}/tests/engine/wast
                   --work ${_spec_work}/fuel1 --file ${_w} --fuel 1 --expect-failed 0)
  set_tests_properties(engine_wast_${_wn}_fuel PROPERTIES LABELS "engine;asan" TIMEOUT 60)
endforeach()
