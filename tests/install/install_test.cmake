# tests/install/install_test.cmake: run by ctest as `cmake -P` (install_pkgconfig).
#   1. `cmake --install BUILD --prefix WORK/installed`, then the tree is moved to
#      WORK/moved: a pkg-config file naming a fixed prefix breaks here, a relocatable one
#      (prefix from ${pcfiledir}) follows the tree;
#   2. pkg-config (PKG_CONFIG_PATH = the moved tree's only) must report VERSION and
#      includedir / libdir inside the moved tree;
#   3. SRC is built with `pkg-config --cflags --libs troupe` (shared: it must need
#      libtroupe.so, found through LD_LIBRARY_PATH) and with `pkg-config --static
#      --cflags --libs troupe`, libtroupe itself taken as libtroupe.a (it must not need
#      libtroupe.so: every other library comes from the .pc's private entries);
#   4. both programs run and print exactly the expected lines;
#   5. the manual page is installed as MANDIR/man1/troupe.1, the same bytes as MANPAGE.
# Variables: BUILD, WORK, CC, SRC, PKG_CONFIG, LIBDIR, INCLUDEDIR, VERSION, MANDIR, MANPAGE.
cmake_minimum_required(VERSION 3.25)
foreach(v BUILD WORK CC SRC PKG_CONFIG LIBDIR INCLUDEDIR VERSION MANDIR MANPAGE)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: ${v} is not set")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
run("cmake --install (are libtroupe.a, libtroupe.so and troupe built?)"
    ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/installed)
file(RENAME ${WORK}/installed ${WORK}/moved)
set(prefix ${WORK}/moved)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)

function(pkgconfig var)
  run("pkg-config ${ARGN} troupe (PKG_CONFIG_PATH=$ENV{PKG_CONFIG_PATH})"
      ${PKG_CONFIG} ${ARGN} troupe)
  string(STRIP "${out}" out)
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

pkgconfig(v --modversion)
if(NOT v STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config --modversion troupe: '${v}', want '${VERSION}'")
endif()
foreach(d includedir:${INCLUDEDIR} libdir:${LIBDIR})
  string(REPLACE ":" ";" d "${d}")
  list(GET d 0 name)
  list(GET d 1 want)
  pkgconfig(got --variable=${name})
  file(REAL_PATH "${got}" got_real)
  file(REAL_PATH "${prefix}/${want}" want_real)
  if(NOT got_real STREQUAL want_real)
    message(FATAL_ERROR "troupe.pc: ${name} is '${got}', not inside the installed tree "
                        "'${want_real}': the .pc does not follow its prefix")
  endif()
endforeach()

set(expected "version ${VERSION}\nhash ok\njson {\"a\":[1,2.5,\"x\"]}\nwasm hyp(3, 4) = 5\nwasi ready\n")
set(cflags -std=c17 -Wall -Wextra -Werror)
find_program(READELF readelf REQUIRED)

# check_program(EXE NEEDS_SHARED): libtroupe.so among its NEEDED entries iff NEEDS_SHARED;
# it runs (with the installed libdir on LD_LIBRARY_PATH) and prints `expected`.
function(check_program exe needs_shared)
  run("readelf -d ${exe}" ${READELF} -d ${exe})
  string(FIND "${out}" "[libtroupe.so" at)
  if(needs_shared AND at EQUAL -1)
    message(FATAL_ERROR "${exe} does not need libtroupe.so:\n${out}")
  elseif(NOT needs_shared AND NOT at EQUAL -1)
    message(FATAL_ERROR "${exe} needs libtroupe.so though linked with libtroupe.a:\n${out}")
  endif()
  run("${exe}" ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${prefix}/${LIBDIR} ${exe})
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "${exe} printed:\n${out}\nwant:\n${expected}")
  endif()
endfunction()

pkgconfig(flags --cflags --libs)
separate_arguments(flags UNIX_COMMAND "${flags}")
run("building against libtroupe.so" ${CC} ${cflags} -o ${WORK}/consumer-shared ${SRC} ${flags})
check_program(${WORK}/consumer-shared TRUE)

pkgconfig(flags --static --cflags --libs)
separate_arguments(flags UNIX_COMMAND "${flags}")
list(FIND flags -ltroupe at)
if(at EQUAL -1)
  message(FATAL_ERROR "pkg-config --static --libs troupe has no -ltroupe: ${flags}")
endif()
list(TRANSFORM flags REPLACE "^-ltroupe$" "-l:libtroupe.a")
run("building against libtroupe.a" ${CC} ${cflags} -o ${WORK}/consumer-static ${SRC} ${flags})
check_program(${WORK}/consumer-static FALSE)

set(man ${prefix}/${MANDIR}/man1/troupe.1)
if(NOT EXISTS ${man})
  message(FATAL_ERROR "the manual page is not installed as ${MANDIR}/man1/troupe.1")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${MANPAGE} ${man} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${man} differs from ${MANPAGE}")
endif()
message(STATUS "pkg-config troupe: relocated prefix, shared and static builds run; "
               "${MANDIR}/man1/troupe.1 installed")
