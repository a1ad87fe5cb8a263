# troupe_layer(NAME [USES lower...] [EXPORTS header...]): an object library troupe_NAME
# from src/NAME/*.c. Recorded in TROUPE_LAYERS in the order declared (bottom up).
#
# The include paths enforce the layer rules of docs/ARCHITECTURE.md. A layer does not
# see src/: it sees include/ (the public headers) and a view folder made for it in the
# build tree, build/layer-views/NAME/, holding
#   NAME/      -> src/NAME (its own headers, all of them, included as "NAME/x.h"),
#   base/      -> src/base (the support layer, which every layer may use),
#   L/h.h      -> src/L/h.h for each layer L in USES and each header h that L EXPORTS.
# So "actor/ext.h" (the core's extension API) resolves in src/supervisor/ while
# "actor/core.h" (the core's private data) does not exist there. White-box tests of a
# layer get the same view. scripts/check-layers.sh checks the rest (public headers,
# relative includes) over the source tree.
function(troupe_layer name)
  cmake_parse_arguments(L "" "" "USES;EXPORTS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  set(view ${CMAKE_BINARY_DIR}/layer-views/${name})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view})
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${name} ${view}/${name} SYMBOLIC)
  if(NOT name STREQUAL "base")
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/base ${view}/base SYMBOLIC)
  endif()
  foreach(dep IN LISTS L_USES)
    get_property(hdrs GLOBAL PROPERTY TROUPE_EXPORTS_${dep})
    if(NOT hdrs)
      message(FATAL_ERROR "layer ${name} uses ${dep}, which exports no internal header")
    endif()
    file(MAKE_DIRECTORY ${view}/${dep})
    foreach(h IN LISTS hdrs)
      file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${dep}/${h} ${view}/${dep}/${h} SYMBOLIC)
    endforeach()
  endforeach()
  set_property(GLOBAL PROPERTY TROUPE_EXPORTS_${name} ${L_EXPORTS})
  add_library(troupe_${name} OBJECT ${srcs})
  target_include_directories(troupe_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include)
  target_include_directories(troupe_${name} PRIVATE ${view})
  target_compile_definitions(troupe_${name} PRIVATE TROUPE_BUILDING=1)
  set(TROUPE_LAYERS ${TROUPE_LAYERS} ${name} CACHE INTERNAL "")
endfunction()

# troupe_test(NAME SOURCES... [LAYER l] [LABELS l...] [LIBS l...] [TIMEOUT s]): a cmocka
# test executable linked against the static library, registered with ctest. With LAYER
# it sees that layer's view (its own private headers, as the layer's files do).
function(troupe_test name)
  cmake_parse_arguments(T "" "TIMEOUT;LAYER" "SOURCES;LABELS;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  if(T_LAYER)
    target_include_directories(${name} PRIVATE ${CMAKE_BINARY_DIR}/layer-views/${T_LAYER})
  endif()
  target_link_libraries(${name} PRIVATE troupe_static PkgConfig::CMOCKA ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# troupe_layer_tests(LAYER [LABELS l...] [LIBS l...]): one test per tests/LAYER/test_*.c,
# named LAYER_<file>, labelled with the layer plus LABELS. The labels `asan` and `tsan`
# mark the tests `make test` also runs in the sanitizer builds.
function(troupe_layer_tests layer)
  cmake_parse_arguments(L "" "" "LABELS;LIBS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_*.c)
  foreach(src IN LISTS tests)
    get_filename_component(stem ${src} NAME_WE)
    string(REGEX REPLACE "^test_" "" stem ${stem})
    troupe_test(${layer}_${stem} SOURCES ${src} LAYER ${layer} LABELS ${layer} ${L_LABELS}
                LIBS ${L_LIBS})
  endforeach()
endfunction()
