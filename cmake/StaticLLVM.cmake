# Links mnemo's executables (and its Python module) against LLVM's and
# MLIR's static archives instead of libLLVM.so and libMLIR.so.
#
# Why: a compile's memory is dominated, for small models, by the shared
# libraries' pages rather than by the model. Loading libLLVM.so and
# libMLIR.so (about 240 MB together, every target and dialect) relocates
# their data and runs every static initializer: `mnemoc --help` held
# 90 MB, a MobileNetV2 compile 182 MB for 13 MB of weights. Linked
# statically, non-PIE, only the archive members mnemo reaches are in the
# binary and nothing is relocated at load: 38 MB and 131 MB, and each
# process starts in 10-20 ms instead of 50-90 (the tests start thousands).
#
# Debian's MLIR archives name the LLVM dylib as their dependency ("LLVM")
# and some of them the MLIR dylib ("MLIR"); both are replaced by the LLVM
# component archives. Needs clang, lld of the same LLVM (lld-22) and the
# zstd development files LLVMSupport's static archive links; without them
# the build falls back to the shared libraries with a message.
option(MNEMO_STATIC_LLVM
  "Link LLVM and MLIR statically into mnemo's tools and Python module" ON)
if(NOT MNEMO_STATIC_LLVM)
  return()
endif()

find_program(MNEMO_LLD ld.lld HINTS ${LLVM_TOOLS_BINARY_DIR} NO_DEFAULT_PATH)
set(_why "")
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(_why "the compiler is not clang")
elseif(NOT MNEMO_LLD)
  set(_why "no ld.lld in ${LLVM_TOOLS_BINARY_DIR} (Debian: lld-22)")
elseif(NOT EXISTS "${LLVM_LIBRARY_DIR}/libLLVMSupport.a" OR
       NOT EXISTS "${LLVM_LIBRARY_DIR}/libMLIRIR.a")
  set(_why "no static LLVM/MLIR archives in ${LLVM_LIBRARY_DIR}")
elseif(NOT TARGET zstd::libzstd_shared)
  set(_why "zstd not found (Debian: libzstd-dev)")
endif()
if(_why)
  message(STATUS "Static LLVM/MLIR: off (${_why}); linking libLLVM.so and libMLIR.so")
  set(MNEMO_STATIC_LLVM OFF)
  return()
endif()
message(STATUS "Static LLVM/MLIR: on (linker ${MNEMO_LLD})")

# add_llvm_executable and add_mlir_library: LINK_COMPONENTS as archives.
set(LLVM_LINK_LLVM_DYLIB OFF)

# Every LLVM component archive the MLIR archives may reach; lld takes only
# the members that are referenced, whatever the order. Tools' libraries
# that need more system libraries (curl, libedit) are left out.
add_library(mnemo_llvm_static INTERFACE)
foreach(lib ${LLVM_AVAILABLE_LIBS})
  if(TARGET ${lib} AND lib MATCHES "^LLVM[A-Za-z0-9]+$" AND NOT lib MATCHES
     "BOLT|Exegesis|Debuginfod|LineEditor|TableGen|FileCheck|CFIVerify|Diff|OptDriver|Testing")
    target_link_libraries(mnemo_llvm_static INTERFACE ${lib})
  endif()
endforeach()

# LLVMExtensions names Polly, whose archive Debian does not ship (Polly is
# not built into mnemo's passes).
if(TARGET LLVMExtensions AND NOT EXISTS "${LLVM_LIBRARY_DIR}/libPolly.a")
  set_target_properties(LLVMExtensions PROPERTIES INTERFACE_LINK_LIBRARIES LLVMSupport)
endif()

foreach(t ${MLIR_EXPORTED_TARGETS})
  if(NOT TARGET ${t})
    continue()
  endif()
  get_target_property(deps ${t} INTERFACE_LINK_LIBRARIES)
  if(NOT deps)
    continue()
  endif()
  list(TRANSFORM deps REPLACE "^LLVM$" mnemo_llvm_static)
  list(TRANSFORM deps REPLACE "^\\$<LINK_ONLY:LLVM>$" mnemo_llvm_static)
  list(REMOVE_ITEM deps MLIR "$<LINK_ONLY:MLIR>")
  set_target_properties(${t} PROPERTIES INTERFACE_LINK_LIBRARIES "${deps}")
endforeach()

# Executables: no position-independent executable, so nothing in LLVM's
# tables is relocated at start-up. Shared objects (the Python module) keep
# LLVM's and MLIR's symbols to themselves (another LLVM in the same process
# must not bind to them) but still export mnemo's own: the artifacts they
# load call some (the PIM runtime's _mlir_ciface_mnemo_pim_*). All of them
# need only the shared libraries they call: the LLVM archives name z3,
# libxml2 (and through it ICU), libffi and liblzma for parts mnemo does not
# link, and each would be loaded and relocated at start-up (2 MiB resident).
file(GLOB _archives RELATIVE "${LLVM_LIBRARY_DIR}"
     "${LLVM_LIBRARY_DIR}/libLLVM*.a" "${LLVM_LIBRARY_DIR}/libMLIR*.a")
list(JOIN _archives ":" _archives)
string(APPEND CMAKE_EXE_LINKER_FLAGS
       " --ld-path=${MNEMO_LLD} -no-pie -Wl,--as-needed")

# The C++ ABI's vtables for class typeinfo (and __cxa_pure_virtual) from
# libsupc++.a, in the executables. LLVM's and MLIR's 17,600 typeinfo
# objects each point at one of them; from libstdc++.so that is a dynamic
# relocation per object, which the loader writes at start-up, so nearly
# every page of the binary's .data.rel.ro became private (2.2 MiB in each
# process, about 4% of a MobileNetV2 compile's peak). Defined in the
# executable, they resolve at link time and those pages stay shared and
# clean, read only where used. Same compiler release as libstdc++.so, same
# code; libstdc++'s own typeinfos keep its copy. Only these members: the
# rest of the runtime (exceptions, operator new) stays the shared one.
execute_process(
  COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libsupc++.a
  OUTPUT_VARIABLE _supcxx OUTPUT_STRIP_TRAILING_WHITESPACE)
set(_abi_members class_type_info.o si_class_type_info.o vmi_class_type_info.o
    pbase_type_info.o pointer_type_info.o function_type_info.o pure.o)
set(_abi_dir "${CMAKE_BINARY_DIR}/cxxabi-typeinfo")
if(IS_ABSOLUTE "${_supcxx}" AND EXISTS "${_supcxx}")
  file(MAKE_DIRECTORY "${_abi_dir}")
  execute_process(COMMAND ${CMAKE_AR} x "${_supcxx}" ${_abi_members}
                  WORKING_DIRECTORY "${_abi_dir}" RESULT_VARIABLE _rc)
  set(_abi_objects "")
  foreach(m ${_abi_members})
    if(EXISTS "${_abi_dir}/${m}")
      list(APPEND _abi_objects "${_abi_dir}/${m}")
    else()
      set(_rc 1)
    endif()
  endforeach()
  if(_rc EQUAL 0)
    # C++ executables only: not C ones (CMake's MPI_C check among them)
    # nor try_compile's.
    foreach(o ${_abi_objects})
      add_link_options("$<$<AND:$<LINK_LANGUAGE:CXX>,$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>>:${o}>")
    endforeach()
  else()
    message(STATUS "libsupc++.a lacks the typeinfo members: typeinfo "
                   "relocated at start-up")
  endif()
endif()
string(APPEND CMAKE_SHARED_LINKER_FLAGS
       " --ld-path=${MNEMO_LLD} -Wl,--as-needed -Wl,--exclude-libs=${_archives}")
string(APPEND CMAKE_MODULE_LINKER_FLAGS
       " --ld-path=${MNEMO_LLD} -Wl,--as-needed -Wl,--exclude-libs=${_archives}")

# The code a compile runs, first and contiguous (scripts/symbol-order.py
# explains; scripts/gen-symbol-order.sh regenerates it from profiles).
# Names missing from a binary (other tools, code that changed since the
# profile) are skipped.
set(_order "${PROJECT_SOURCE_DIR}/cmake/mnemoc.symbol-order.gz")
if(EXISTS "${_order}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_order}")
  # The file's name carries its hash: a new order changes the link flags,
  # which relinks the tools.
  file(MD5 "${_order}" _hash)
  string(SUBSTRING "${_hash}" 0 12 _hash)
  set(_text "${CMAKE_BINARY_DIR}/symbol-order-${_hash}.txt")
  execute_process(COMMAND gzip -dc "${_order}" OUTPUT_FILE "${_text}"
                  RESULT_VARIABLE _rc)
  if(_rc EQUAL 0)
    set(_flags "-Wl,--symbol-ordering-file=${_text} -Wl,--no-warn-symbol-ordering")
    string(APPEND CMAKE_EXE_LINKER_FLAGS " ${_flags}")
    string(APPEND CMAKE_MODULE_LINKER_FLAGS " ${_flags}")
  endif()
endif()
