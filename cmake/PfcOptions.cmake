# Project-wide warnings and the helpers every pfc library uses.

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

# A compiler library (LLVM Support, maybe MLIR): carries LLVM's and MLIR's
# headers and definitions to whatever links it. Each one is recorded, so that
# cmake/PfcInstall.cmake installs and exports every compiler library without a
# list to keep in step.
function(add_pfc_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC PfcLLVMHeaders ${ARG_LINK})
  set_property(GLOBAL APPEND PROPERTY PFC_COMPILER_LIBRARIES ${name})
endfunction()
