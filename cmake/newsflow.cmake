# Shared build helpers and imported targets for the project's dependencies.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(RocksDB REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(Catch2 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
find_package(simdjson REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)

set(NEWSFLOW_WARNINGS -Wall -Wextra -Wno-unused-parameter)

if(NEWSFLOW_SANITIZE)
  add_compile_options(-fsanitize=${NEWSFLOW_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${NEWSFLOW_SANITIZE})
endif()

# newsflow_library(NAME name ALIAS newsflow::name SOURCES ... DEPS ...)
# One library target per folder; include paths are the repository root so that headers are
# included as "stages/core/article.h".
function(newsflow_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(newsflow::${ARG_NAME} ALIAS ${ARG_NAME})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${NEWSFLOW_WARNINGS})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# newsflow_test(NAME name SOURCES ... DEPS ... LABELS unit;integration ... [TAGS "[unit]"])
# A Catch2 executable registered with ctest under the given labels; TAGS selects the Catch2
# test cases it runs (default: all in the executable).
function(newsflow_test)
  cmake_parse_arguments(ARG "" "NAME;TAGS;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${NEWSFLOW_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE newsflow_catch_main ${ARG_DEPS})
  if(ARG_TAGS)
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} ${ARG_TAGS})
  else()
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "NEWSFLOW_SOURCE_DIR=${PROJECT_SOURCE_DIR};NEWSFLOW_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared;NEWSFLOWD=$<TARGET_FILE:newsflowd>")
endfunction()
