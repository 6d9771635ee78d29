# Writes the text of IN into OUT as one C++ raw string literal, for a source
# file to #include where it wants the text (compiler/lib/Target/Cuda/CudaPrelude.cpp).
file(READ "${IN}" text)
if(text MATCHES "\\)pfc_embed\"")
  message(FATAL_ERROR "${IN} holds the literal's closing delimiter")
endif()
set(content "R\"pfc_embed(${text})pfc_embed\"\n")
# Rewrite only on change, so that what includes it is not rebuilt for nothing.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${content}")
