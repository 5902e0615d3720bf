# Declarative helpers that keep each CMakeLists.txt to a list of sources and dependencies.
include_guard(GLOBAL)
include(GNUInstallDirs)

# Warnings every seedval target is built with.
add_library(seedval_warnings INTERFACE)
target_compile_options(seedval_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>)
# The chip's numerics are defined as separate FP32 multiplies and adds (framework/chip tensor.h): the
# compiler must never fuse them into a multiply-add, whatever the target has.
target_compile_options(seedval_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU,Clang>:-ffp-contract=off>)
if(SEEDVAL_WARNINGS_AS_ERRORS)
  target_compile_options(seedval_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU,Clang>:-Werror>)
endif()

# seedval_library(NAME <area> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# One library per framework area: target seedval_<area>, alias seedval::<area>.
# Public headers live in <dir>/include/seedval/<area>/; everything else stays private to the folder.
function(seedval_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target seedval_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(seedval::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} seedval_warnings)
endfunction()

# seedval_test(NAME <name> SOURCES ... DEPS ... [LABELS ...])
# One Boost.Test executable per area; registered with CTest under its labels.
function(seedval_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  set(target test_${ARG_NAME})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS} seedval_test_main seedval_warnings)
  add_test(NAME ${ARG_NAME} COMMAND ${target} --log_level=message --report_level=short)
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "unit;${ARG_LABELS}"
    ENVIRONMENT "SEEDVAL_ROOT=${PROJECT_SOURCE_DIR}")
endfunction()

# seedval_plugin(NAME <name> SOURCES ... [DEPS ...])
# A library whose objects register themselves (a board backend, a suite of tests) by static
# initialisation. Consumers link seedval::<name>, which links the archive whole so no registration is
# dropped by the linker.
function(seedval_plugin)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  set(impl seedval_${ARG_NAME}_impl)
  add_library(${impl} STATIC ${ARG_SOURCES})
  target_include_directories(${impl}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${impl} PUBLIC ${ARG_DEPS} PRIVATE seedval_warnings)
  add_library(seedval_${ARG_NAME} INTERFACE)
  add_library(seedval::${ARG_NAME} ALIAS seedval_${ARG_NAME})
  target_link_libraries(seedval_${ARG_NAME} INTERFACE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${impl}>")
endfunction()
