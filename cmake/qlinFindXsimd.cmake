# qlinFindXsimd.cmake: find xsimd and repair Debian 8.1's exported target.
#
# Debian's libxsimd-dev 8.1 exports a target `xsimd` whose INTERFACE_LINK_LIBRARIES names `xtl`,
# a library that neither xsimd's config file nor the package provides: linking it fails with
# "cannot find -lxtl". When no `xtl` target exists we look for xtl's own package, and failing that
# create an empty stand-in so the link item resolves to nothing (reference/TOOLCHAIN.md section 5).
# The installed target is called `xsimd`, without a namespace (upstream and Conan alike).
include_guard(GLOBAL)
if(NOT TARGET xsimd)
  find_package(xsimd 8.1 CONFIG QUIET)
endif()
if(TARGET xsimd AND NOT TARGET xtl)
  get_target_property(_qlin_xsimd_links xsimd INTERFACE_LINK_LIBRARIES)
  if(_qlin_xsimd_links AND "xtl" IN_LIST _qlin_xsimd_links)
    find_package(xtl CONFIG QUIET)
    if(NOT TARGET xtl)
      add_library(xtl INTERFACE IMPORTED GLOBAL)
    endif()
  endif()
  unset(_qlin_xsimd_links)
endif()
