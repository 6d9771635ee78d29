# Project-wide warnings and the helpers every pfc library uses.

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

# A compiler library (LLVM Support, maybe MLIR): carries LLVM's and MLIR's
# headers and definitions to whatever links it. Those under compiler/lib are
# recorded, so that cmake/PfcInstall.cmake installs and exports every
# compiler library without a list to keep in step (the tools' own helpers,
# compiler/tools/Cli, are not installed).
function(add_pfc_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC PfcLLVMHeaders ${ARG_LINK})
  string(FIND "${CMAKE_CURRENT_SOURCE_DIR}/" "${PROJECT_SOURCE_DIR}/compiler/lib/"
    at)
  if(at EQUAL 0)
    set_property(GLOBAL APPEND PROPERTY PFC_COMPILER_LIBRARIES ${name})
  endif()
endfunction()
