# `cmake --install`: the libraries, their public headers and a CMake package
# (lib/cmake/pfc), so that another project can `find_package(pfc)` and link
# pfc::PfcRuntime without LLVM. Two components:
#   runtime   PfcCore, PfcRuntime, PfcTrain and the headers they need
#             (always; needs Threads and ZLIB only)
#   compiler  the compiler libraries, their headers (TableGen's .h.inc too)
#             and the pfc, pfc-opt, pfc-translate tools (PFC_BUILD_COMPILER;
#             `find_package(pfc COMPONENTS compiler)` then finds MLIR 19)
# Included last by the top-level CMakeLists, when every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(PFC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/pfc)

# Headers of the compiler half (they include LLVM or MLIR, or declare what
# only the compiler libraries define). Everything else under include/pfc,
# but the tools' own Cli/, is the runtime's; tests/install checks that none
# of it includes LLVM or MLIR.
set(PFC_COMPILER_HEADER_DIRS Dialect Import Target Transforms Tune)
set(PFC_COMPILER_HEADER_FILES compiler.h Spec/PlanTable.h Spec/SpecParser.h
  Spec/NetSpecParser.h)

set(runtime_excludes PATTERN Cli EXCLUDE)
foreach(dir IN LISTS PFC_COMPILER_HEADER_DIRS)
  list(APPEND runtime_excludes PATTERN ${dir} EXCLUDE)
endforeach()
foreach(file IN LISTS PFC_COMPILER_HEADER_FILES)
  get_filename_component(name ${file} NAME)
  list(APPEND runtime_excludes PATTERN ${name} EXCLUDE)
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/pfc
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT runtime
  FILES_MATCHING PATTERN "*.h" ${runtime_excludes})

set(PFC_RUNTIME_LIBRARIES PfcCore PfcRuntime PfcTrain)
foreach(lib IN LISTS PFC_RUNTIME_LIBRARIES)
  target_include_directories(${lib} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
install(TARGETS ${PFC_RUNTIME_LIBRARIES} EXPORT pfcRuntimeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime)
install(EXPORT pfcRuntimeTargets NAMESPACE pfc::
  DESTINATION ${PFC_INSTALL_CMAKEDIR} COMPONENT runtime)

if(PFC_BUILD_COMPILER)
  foreach(dir IN LISTS PFC_COMPILER_HEADER_DIRS)
    if(EXISTS ${PROJECT_SOURCE_DIR}/include/pfc/${dir})
      install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/pfc/${dir}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pfc COMPONENT compiler
        FILES_MATCHING PATTERN "*.h")
    endif()
  endforeach()
  foreach(file IN LISTS PFC_COMPILER_HEADER_FILES)
    get_filename_component(dir ${file} DIRECTORY)
    install(FILES ${PROJECT_SOURCE_DIR}/include/pfc/${file}
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pfc/${dir} COMPONENT compiler)
  endforeach()
  # The dialect's and passes' declarations, generated into build/include.
  install(DIRECTORY ${PROJECT_BINARY_DIR}/include/pfc
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT compiler
    FILES_MATCHING PATTERN "*.h.inc" PATTERN CMakeFiles EXCLUDE)

  get_property(PFC_COMPILER_LIBRARIES GLOBAL PROPERTY PFC_COMPILER_LIBRARIES)
  target_include_directories(PfcLLVMHeaders INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS PfcLLVMHeaders ${PFC_COMPILER_LIBRARIES}
    EXPORT pfcCompilerTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT compiler)
  install(EXPORT pfcCompilerTargets NAMESPACE pfc::
    DESTINATION ${PFC_INSTALL_CMAKEDIR} COMPONENT compiler)

  # The tools link libLLVM.so from LLVM's own directory (not on the loader's
  # path on Debian): keep that directory in their installed RUNPATH.
  set(PFC_TOOLS pfc pfc-opt pfc-translate)
  set_target_properties(${PFC_TOOLS} PROPERTIES
    INSTALL_RPATH_USE_LINK_PATH ON)
  install(TARGETS ${PFC_TOOLS}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT compiler)
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/pfcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pfcConfig.cmake
  INSTALL_DESTINATION ${PFC_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pfcConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pfcConfig.cmake
  ${PROJECT_BINARY_DIR}/pfcConfigVersion.cmake
  DESTINATION ${PFC_INSTALL_CMAKEDIR} COMPONENT runtime)
