# The example scenarios (examples/scenarios/*.yaml), each run by `troupe test` over the
# example components the build makes: what a component author runs, run by `make test`
# (also under ASan and TSan: the run is a host with its workers, a logger callback on
# them and a health watcher thread). Included from tests/node/CMakeLists.txt.
file(GLOB troupe_example_scenarios CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/examples/scenarios/*.yaml)
foreach(f IN LISTS troupe_example_scenarios)
  get_filename_component(stem ${f} NAME_WE)
  add_test(NAME node_scenario_example_${stem}
           COMMAND troupe test --components ${CMAKE_BINARY_DIR}/components ${f})
  set_tests_properties(node_scenario_example_${stem} PROPERTIES
                       LABELS "node;asan;tsan" TIMEOUT 120)
endforeach()
# Scenarios that run the Rust or AssemblyScript SDKs' examples (the demo application has
# both): disabled, and listed so by ctest, when those are not built (OFFLINE=1).
if(NOT TROUPE_GUEST_SDKS)
  foreach(stem IN ITEMS demo_app rust_crasher)
    set_tests_properties(node_scenario_example_${stem} PROPERTIES DISABLED TRUE)
  endforeach()
endif()
