# troupe_pkgconfig(OUT): configure troupe.pc.in into OUT, relocatable.
#
# The .pc computes its prefix from its own location (${pcfiledir}, which pkg-config and
# pkgconf both define) instead of naming the configure-time CMAKE_INSTALL_PREFIX, so
# `cmake --install BUILD --prefix DIR` -- or moving DIR afterwards -- gives a troupe.pc
# that points into DIR. An absolute CMAKE_INSTALL_LIBDIR / INCLUDEDIR is not under the
# prefix and is written as it is.
#
# Libs serve a shared link (libtroupe.so records its own dependencies); a static link
# (`pkg-config --static`) adds Requires.private -- the pkg-config modules the layers link
# (libcbor, jansson: codec; libxxhash: base; libsodium: components; sqlite3, yaml-0.1: node) -- and Libs.private: threads and libm.
include(GNUInstallDirs)

function(troupe_pkgconfig out)
  set(pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  if(IS_ABSOLUTE "${pcdir}")
    set(TROUPE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH up "/${pcdir}" "/") # lib/pkgconfig -> ../..
    string(REGEX REPLACE "/$" "" up "${up}")
    set(TROUPE_PC_PREFIX "\${pcfiledir}/${up}")
  endif()
  foreach(d LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
      set(TROUPE_PC_${d} "${CMAKE_INSTALL_${d}}")
    else()
      set(TROUPE_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
    endif()
  endforeach()
  set(TROUPE_PC_REQUIRES_PRIVATE "libcbor jansson libxxhash libsodium sqlite3 yaml-0.1")
  # FindThreads' flag, or -lpthread where it found none to add (libc holds the threads:
  # glibc keeps an empty libpthread for exactly this, so the flag is always safe)
  set(threads "${CMAKE_THREAD_LIBS_INIT}")
  if(NOT threads)
    set(threads -lpthread)
  endif()
  set(TROUPE_PC_LIBS_PRIVATE "${threads} -lm")
  configure_file(${CMAKE_SOURCE_DIR}/troupe.pc.in ${out} @ONLY)
endfunction()
