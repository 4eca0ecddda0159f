# bbbhook_warnings: INTERFACE target carrying our warning flags. -Werror in dev and CI builds.
option(BBBHOOK_WERROR "Treat warnings as errors" OFF)
add_library(bbbhook_warnings INTERFACE)
target_compile_options(bbbhook_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough)
if(BBBHOOK_WERROR)
  target_compile_options(bbbhook_warnings INTERFACE -Werror)
endif()
