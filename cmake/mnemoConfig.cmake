# find_package(mnemo): an installed mnemo (cmake --install build --prefix P,
# or the .deb). Gives
#
#   mnemo_add_model(<target> MODEL <model.onnx> [NAME <c-name>]
#                   [TARGET cpu|cuda|pim] [OPTIONS <mnemoc flags>...])
#
# which runs mnemoc on the model at build time (again when the model, the
# options or mnemoc change) and makes <target> an imported shared library
# (lib<c-name>.so) whose generated header <c-name>.h is on its include
# path. <c-name> (the C symbol prefix) defaults to <target>.
#
#   find_package(mnemo REQUIRED)
#   mnemo_add_model(net MODEL ${CMAKE_CURRENT_SOURCE_DIR}/net.onnx
#                   OPTIONS --sram-budget=256KiB --dim batch=1..8)
#   target_link_libraries(app PRIVATE net)   # #include "net.h"

get_filename_component(MNEMO_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
find_program(MNEMO_MNEMOC mnemoc PATHS "${MNEMO_PREFIX}/bin" NO_DEFAULT_PATH)
if(NOT MNEMO_MNEMOC)
  set(mnemo_FOUND FALSE)
  set(mnemo_NOT_FOUND_MESSAGE "no mnemoc under ${MNEMO_PREFIX}/bin")
  return()
endif()
set(MNEMO_INCLUDE_DIR "${MNEMO_PREFIX}/include")

function(mnemo_add_model target)
  cmake_parse_arguments(ARG "" "MODEL;NAME;TARGET" "OPTIONS" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "mnemo_add_model(${target}): MODEL <model.onnx> is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mnemo_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  if(NOT ARG_NAME)
    string(MAKE_C_IDENTIFIER "${target}" ARG_NAME)
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET cpu)
  endif()
  if(NOT ARG_TARGET MATCHES "^(cpu|cuda|pim)$")
    message(FATAL_ERROR "mnemo_add_model(${target}): TARGET must be cpu, cuda or pim, not '${ARG_TARGET}'")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}.mnemo")
  file(MAKE_DIRECTORY "${out}")
  # A file that changes only when the command line does: a new option
  # reruns mnemoc with every generator.
  set(args "${model}" "--target=${ARG_TARGET}" "--name=${ARG_NAME}" -o "${out}" ${ARG_OPTIONS})
  file(CONFIGURE OUTPUT "${out}/mnemoc.args" CONTENT "${args}\n")
  set(lib "${out}/lib${ARG_NAME}.so")
  add_custom_command(
    OUTPUT "${lib}" "${out}/${ARG_NAME}.h"
    COMMAND "${MNEMO_MNEMOC}" ${args}
    DEPENDS "${model}" "${MNEMO_MNEMOC}" "${out}/mnemoc.args"
    COMMENT "mnemoc ${ARG_MODEL} -> ${target} (lib${ARG_NAME}.so)"
    VERBATIM)
  add_custom_target(${target}_mnemoc DEPENDS "${lib}")
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${lib}"
    INTERFACE_INCLUDE_DIRECTORIES "${out}")
  add_dependencies(${target} ${target}_mnemoc)
endfunction()
