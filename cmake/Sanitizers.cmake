# BBBHOOK_SANITIZE: a ;-list of sanitizers, e.g. -DBBBHOOK_SANITIZE="address;undefined".
set(BBBHOOK_SANITIZE "" CACHE STRING "Sanitizers to build with (address;undefined;thread)")
if(BBBHOOK_SANITIZE)
  list(JOIN BBBHOOK_SANITIZE "," _san)
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
if(BBBHOOK_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12's flow analysis on sanitizer-instrumented code reports std::regex's own internals as
  # "may be used uninitialized" (a known false positive); the plain build keeps the warning.
  add_compile_options(-Wno-maybe-uninitialized)
endif()
if("thread" IN_LIST BBBHOOK_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # Boost.Asio uses std::atomic_thread_fence, which TSan does not model; GCC warns (-Wtsan) on
  # every use inside Asio's headers. The fence is Asio's, not ours; keep the build going.
  add_compile_options(-Wno-tsan)
endif()
