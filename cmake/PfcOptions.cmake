# Project-wide warnings and the helpers every pfc library uses.

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

# A compiler library (LLVM Support, maybe MLIR): carries LLVM's and MLIR's
# headers and definitions to whatever links it.
function(add_pfc_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC PfcLLVMHeaders ${ARG_LINK})
endfunction()
