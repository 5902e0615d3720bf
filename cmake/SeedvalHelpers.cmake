# Declarative helpers that keep each CMakeLists.txt to a list of sources and dependencies.
include_guard(GLOBAL)
include(GNUInstallDirs)

# Warnings every seedval target is built with.
add_library(seedval_warnings INTERFACE)
target_compile_options(seedval_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>)
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
