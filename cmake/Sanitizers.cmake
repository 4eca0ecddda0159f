# BBBHOOK_SANITIZE: a ;-list of sanitizers, e.g. -DBBBHOOK_SANITIZE="address;undefined".
set(BBBHOOK_SANITIZE "" CACHE STRING "Sanitizers to build with (address;undefined;thread)")
if(BBBHOOK_SANITIZE)
  list(JOIN BBBHOOK_SANITIZE "," _san)
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
