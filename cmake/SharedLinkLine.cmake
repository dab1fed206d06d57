# The linker command the C compiler runs to link an artifact's shared
# library, recorded here so mnemoc can run the linker itself: the clang
# driver is a process of its own that loads libLLVM (74 MiB resident, the
# largest process of a small model's compile), the linker it runs 24 MiB.
# Probed with -### (the driver prints the command, runs nothing); the
# paths of the probe become placeholders lib/Driver/Artifact.cpp fills in:
# {out}, {soname}, {obj}, and {libs} (extra libraries) after -lm. Empty
# (the driver links, as before) when the compiler prints no linker line.
set(_dir "${CMAKE_BINARY_DIR}/shared-link-probe")
file(MAKE_DIRECTORY "${_dir}")
file(WRITE "${_dir}/probe.o" "")
execute_process(
  COMMAND "${CMAKE_C_COMPILER}" -shared -Wl,-soname,mnemo-probe-soname
          -o "${_dir}/probe.so" "${_dir}/probe.o" -lm "-###"
  ERROR_VARIABLE _err OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
set(MNEMO_SHARED_LINK_LINE "")
string(REGEX MATCHALL "[^\n]+" _lines "${_err}")
set(_line "")
foreach(_l IN LISTS _lines)
  if(_l MATCHES "^ \"[^\"]*/(ld|ld\\.bfd|ld\\.lld|ld\\.gold)\" ")
    set(_line "${_l}")
  endif()
endforeach()
if(_rc EQUAL 0 AND _line)
  string(REGEX MATCHALL "\"[^\"]*\"" _tokens "${_line}")
  set(_args "")
  foreach(_t IN LISTS _tokens)
    string(REGEX REPLACE "^\"(.*)\"$" "\\1" _t "${_t}")
    if(_t STREQUAL "${_dir}/probe.so")
      set(_t "{out}")
    elseif(_t STREQUAL "${_dir}/probe.o")
      set(_t "{obj}")
    elseif(_t STREQUAL "mnemo-probe-soname")
      set(_t "{soname}")
    endif()
    string(APPEND _args "\"${_t}\", ")
    if(_t STREQUAL "-lm")
      string(APPEND _args "\"{libs}\", ")
    endif()
  endforeach()
  if(_args MATCHES "{out}" AND _args MATCHES "{obj}" AND
     _args MATCHES "{soname}" AND _args MATCHES "{libs}")
    set(MNEMO_SHARED_LINK_LINE "${_args}")
  endif()
endif()
if(MNEMO_SHARED_LINK_LINE)
  message(STATUS "Artifacts: shared libraries linked by the linker directly")
else()
  message(STATUS "Artifacts: shared libraries linked through ${CMAKE_C_COMPILER}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/lib/Driver/SharedLinkLine.h.in"
               "${CMAKE_BINARY_DIR}/include/mnemo/Driver/SharedLinkLine.h"
               @ONLY)
