# The AssemblyScript example components (examples/components/assemblyscript/) over the
# AssemblyScript guest SDK (sdk/assemblyscript, the npm package troupe-guest), included
# from CMakeLists.txt here. Compiled with the SDK's troupe-asc (asc 0.28 from
# sdk/assemblyscript/node_modules, which scripts/deps.sh test installs with `npm ci` from
# the committed package-lock.json) into ${TROUPE_COMPONENTS_DIR}/as_*.wasm beside the C
# and Rust ones: part of the `components` target. The build never touches the network:
# without node_modules the configure stops and says what to run.
#
# Tests (label component):
#   component_sdk_as       tests/abi_tables.mjs of the SDK: its error codes, kinds, DOWN
#                          kinds and imports against docs/ABI.md and the C SDK's list
#   component_sdk_as_abi   tests/component/sdk/check_abi.sh over the AS modules: the
#                          document's import and export types; as_probe imports all
#   component_guide_as     tests/component/guide.sh AssemblyScript: the AssemblyScript section of
#                          docs/GUEST.md followed literally in an empty folder
#   (tests/component/test_as_sdk.c drives the modules on a real host.)

find_program(TROUPE_NODE NAMES node nodejs DOC "node, for the AssemblyScript compiler")
set(as_sdk ${CMAKE_SOURCE_DIR}/sdk/assemblyscript)
if(NOT TROUPE_NODE)
  message(FATAL_ERROR "AssemblyScript components: no node. Install the Debian packages "
          "nodejs npm (scripts/deps.sh test does), or configure with -DTROUPE_GUEST_SDKS=OFF.")
endif()
if(NOT EXISTS ${as_sdk}/node_modules/assemblyscript/package.json)
  message(FATAL_ERROR "AssemblyScript components: ${as_sdk}/node_modules is missing. Run "
          "`bash scripts/deps.sh test` (it runs `npm ci` there from the committed "
          "package-lock.json), or configure with -DTROUPE_GUEST_SDKS=OFF.")
endif()

set(TROUPE_AS_COMPONENTS as_echo as_counter as_crasher as_subscriber as_probe)
set(as_src ${CMAKE_CURRENT_SOURCE_DIR}/assemblyscript)
# asc finds the package `troupe-guest` (imported by the examples as a user's code does)
# in a folder given with --path: one holding a link of that name to the SDK.
set(as_path ${CMAKE_CURRENT_BINARY_DIR}/as-path)
file(MAKE_DIRECTORY ${as_path})
file(CREATE_LINK ${as_sdk} ${as_path}/troupe-guest SYMBOLIC)
file(GLOB as_sdk_sources CONFIGURE_DEPENDS ${as_sdk}/*.ts ${as_sdk}/assembly/*.ts
     ${as_sdk}/transform.js ${as_sdk}/bin/*.js ${as_sdk}/package-lock.json)

foreach(name IN LISTS TROUPE_AS_COMPONENTS)
  string(REGEX REPLACE "^as_" "" stem ${name})
  add_custom_command(OUTPUT ${TROUPE_COMPONENTS_DIR}/${name}.wasm
    COMMAND ${TROUPE_NODE} ${as_sdk}/bin/troupe-asc.js ${as_src}/${stem}.ts
            -o ${TROUPE_COMPONENTS_DIR}/${name}.wasm --path ${as_path}
    DEPENDS ${as_src}/${stem}.ts ${as_sdk_sources}
    WORKING_DIRECTORY ${as_src}
    COMMENT "Building component ${name}.wasm (AssemblyScript)" VERBATIM)
  list(APPEND outputs ${TROUPE_COMPONENTS_DIR}/${name}.wasm)
endforeach()

if(TROUPE_TESTS)
  add_test(NAME component_sdk_as
           COMMAND ${TROUPE_NODE} ${as_sdk}/tests/abi_tables.mjs)
  set_tests_properties(component_sdk_as PROPERTIES LABELS component TIMEOUT 60)

  find_program(TROUPE_WASM_OBJDUMP wasm-objdump DOC "wabt's wasm-objdump (Debian package wabt)")
  set(d ${TROUPE_COMPONENTS_DIR})
  add_test(NAME component_sdk_as_abi
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/component/sdk/check_abi.sh
                   ${CMAKE_SOURCE_DIR}/docs/ABI.md ${TROUPE_WASM_OBJDUMP} $<TARGET_FILE:troupe>
                   ${d}/as_echo.wasm=_initialize,handle-message,echo
                   ${d}/as_counter.wasm=_initialize,handle-message,get,add,_state_save,_state_load
                   ${d}/as_crasher.wasm=_initialize,handle-message,crash
                   ${d}/as_subscriber.wasm=_initialize,handle-message,count
                   --all
                   ${d}/as_probe.wasm=_initialize,handle-message,self_id,lookup,send,send_name,send_wait,send_raw,ask,ask_async,reply_later,publish,subscribe,unsubscribe,send_after,cancel_timer,monitor,demonitor,spawn,log,time,input_chunks,last,seen,set_health,fail,errors,json,borsh,_health,_cleanup)
  set_tests_properties(component_sdk_as_abi PROPERTIES LABELS component TIMEOUT 120)

  # docs/GUEST.md's AssemblyScript section followed literally, offline.
  add_test(NAME component_guide_as
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/component/guide.sh AssemblyScript
                   ${CMAKE_SOURCE_DIR}/docs/GUEST.md ${CMAKE_SOURCE_DIR} $<TARGET_FILE:troupe>)
  set_tests_properties(component_guide_as PROPERTIES LABELS component TIMEOUT 300)
endif()
