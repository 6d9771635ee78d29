# Project-wide warnings and the helpers every pfc library uses.

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

# A pfc library that may use LLVM Support but no MLIR. Links libLLVM.so.
function(add_pfc_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_LINK})
endfunction()
