# The Rust example components (examples/components/rust/, a cargo workspace) over the
# Rust guest SDK (sdk/rust, the crate troupe-guest), included from CMakeLists.txt here.
# Built with Debian's cargo and rustc, called by path (a rustup toolchain in
# ~/.cargo/bin may come first on PATH), offline (no crate outside the tree), into
# ${TROUPE_COMPONENTS_DIR}/rust_*.wasm beside the C ones: part of the `components`
# target, so every component test can spawn them.
#
# Tests (label component):
#   component_sdk_rust      cargo test of the SDK crate on the host: JSON, Borsh and
#                           payload helpers, and tests/abi_tables.rs (the error enum, the
#                           kinds and the imports against docs/ABI.md and the C SDK)
#   component_sdk_rust_abi  tests/component/sdk/check_abi.sh over the Rust modules: the
#                           document's import and export types; rust_probe imports all
#   component_guide_rust    tests/component/guide.sh Rust: the Rust section of
#                           docs/GUEST.md followed literally in an empty folder
#   (tests/component/test_rust_sdk.c drives them on a real host.)

find_program(TROUPE_GUEST_CARGO cargo PATHS /usr/bin NO_DEFAULT_PATH
             DOC "Debian's cargo (for the Rust SDK and examples)")
if(NOT TROUPE_GUEST_CARGO)
  message(FATAL_ERROR "Example components: no /usr/bin/cargo. Install the Debian package "
          "cargo (scripts/deps.sh test does), or configure with -DTROUPE_COMPONENTS=OFF.")
endif()

set(TROUPE_RUST_COMPONENTS rust_sdk_echo rust_counter rust_publisher rust_subscriber
    rust_asker rust_probe rust_crasher)
set(rust_ws ${CMAKE_CURRENT_SOURCE_DIR}/rust)
set(rust_target_dir ${CMAKE_CURRENT_BINARY_DIR}/rust-target)
set(rust_env RUSTC=${TROUPE_GUEST_RUSTC} RUSTDOC=/usr/bin/rustdoc
    CARGO_TARGET_DIR=${rust_target_dir})
if(TROUPE_WERROR)
  list(APPEND rust_env RUSTFLAGS=-Dwarnings)
else()
  list(APPEND rust_env RUSTFLAGS=)
endif()
file(GLOB_RECURSE rust_sources CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/sdk/rust/src/*.rs ${CMAKE_SOURCE_DIR}/sdk/rust/Cargo.toml
     ${rust_ws}/*.rs ${rust_ws}/*.toml ${rust_ws}/Cargo.lock)

set(rust_outputs)
set(rust_copies)
foreach(name IN LISTS TROUPE_RUST_COMPONENTS)
  list(APPEND rust_outputs ${TROUPE_COMPONENTS_DIR}/${name}.wasm)
  list(APPEND rust_copies COMMAND ${CMAKE_COMMAND} -E copy
       ${rust_target_dir}/wasm32-wasi/release/${name}.wasm ${TROUPE_COMPONENTS_DIR}/${name}.wasm)
endforeach()
# One cargo run builds the workspace (the SDK once for all); --locked: the committed
# Cargo.lock is used as it is, and the build never writes into the source tree.
add_custom_command(OUTPUT ${rust_outputs}
  COMMAND ${CMAKE_COMMAND} -E env ${rust_env}
          ${TROUPE_GUEST_CARGO} build --offline --locked --release --quiet
          --target wasm32-wasi --manifest-path ${rust_ws}/Cargo.toml
  ${rust_copies}
  DEPENDS ${rust_sources}
  COMMENT "Building Rust components (cargo): ${TROUPE_RUST_COMPONENTS}" VERBATIM)
list(APPEND outputs ${rust_outputs})

if(TROUPE_TESTS)
  add_test(NAME component_sdk_rust
           COMMAND ${CMAKE_COMMAND} -E env ${rust_env}
                   ${TROUPE_GUEST_CARGO} test --offline --locked --quiet
                   --manifest-path ${CMAKE_SOURCE_DIR}/sdk/rust/Cargo.toml)
  set_tests_properties(component_sdk_rust PROPERTIES LABELS component TIMEOUT 300)

  find_program(TROUPE_WASM_OBJDUMP wasm-objdump DOC "wabt's wasm-objdump (Debian package wabt)")
  set(d ${TROUPE_COMPONENTS_DIR})
  add_test(NAME component_sdk_rust_abi
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/component/sdk/check_abi.sh
                   ${CMAKE_SOURCE_DIR}/docs/ABI.md ${TROUPE_WASM_OBJDUMP} $<TARGET_FILE:troupe>
                   ${d}/rust_sdk_echo.wasm=_initialize,handle-message,echo
                   ${d}/rust_counter.wasm=_initialize,handle-message,get,add,_state_save,_state_load
                   ${d}/rust_publisher.wasm=_initialize,handle-message,publish,start,stop,_cleanup
                   ${d}/rust_subscriber.wasm=_initialize,handle-message,count
                   ${d}/rust_asker.wasm=_initialize,handle-message,ask
                   --all
                   ${d}/rust_probe.wasm=_initialize,handle-message,self_id,lookup,send,send_name,send_wait,send_raw,ask,ask_async,reply_later,publish,subscribe,unsubscribe,send_after,cancel_timer,monitor,demonitor,spawn,log,time,input_chunks,last,seen,set_health,fail,errors,json,borsh,_health,_cleanup)
  set_tests_properties(component_sdk_rust_abi PROPERTIES LABELS component TIMEOUT 120)

  # docs/GUEST.md's Rust section followed literally, offline (builds the SDK afresh).
  add_test(NAME component_guide_rust
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/component/guide.sh Rust
                   ${CMAKE_SOURCE_DIR}/docs/GUEST.md ${CMAKE_SOURCE_DIR} $<TARGET_FILE:troupe>)
  set_tests_properties(component_guide_rust PROPERTIES LABELS component TIMEOUT 300)
endif()
