# BBBHOOK_VERSION_STRING: `git describe` of the checkout, else the project version.
set(BBBHOOK_VERSION_STRING "${PROJECT_VERSION}")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${CMAKE_SOURCE_DIR}/.git")
  execute_process(
    COMMAND ${GIT_EXECUTABLE} describe --tags --always --dirty
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    OUTPUT_VARIABLE _git_describe OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _git_rc ERROR_QUIET)
  if(_git_rc EQUAL 0 AND _git_describe)
    # A bare hash (no tags yet) is prefixed with the project version to stay sortable.
    if(_git_describe MATCHES "^[0-9a-f]+(-dirty)?$")
      set(BBBHOOK_VERSION_STRING "${PROJECT_VERSION}+g${_git_describe}")
    else()
      set(BBBHOOK_VERSION_STRING "${_git_describe}")
    endif()
  endif()
  # Re-run configure when HEAD moves so --version stays true.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/.git/HEAD")
  if(EXISTS "${CMAKE_SOURCE_DIR}/.git/index")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/.git/index")
  endif()
endif()
