# troupe_layer(NAME): an object library troupe_NAME from src/NAME/*.c, seeing the public
# headers and src/ (so a layer includes "base/base.h", "codec/codec.h", ...).
# Layers are recorded in TROUPE_LAYERS in the order they are declared (bottom up).
function(troupe_layer name)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  add_library(troupe_${name} OBJECT ${srcs})
  target_include_directories(troupe_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(troupe_${name} PRIVATE TROUPE_BUILDING=1)
  set(TROUPE_LAYERS ${TROUPE_LAYERS} ${name} CACHE INTERNAL "")
endfunction()

# troupe_test(NAME SOURCES... [LABELS l...] [LIBS l...] [TIMEOUT s]): a cmocka test
# executable linked against the static library, registered with ctest.
function(troupe_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LABELS;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
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
    troupe_test(${layer}_${stem} SOURCES ${src} LABELS ${layer} ${L_LABELS} LIBS ${L_LIBS})
  endforeach()
endfunction()
