# man/*.scd -> build/man/*.{1,5} with scdoc; installed under GNUInstallDirs' mandir.
find_program(SCDOC scdoc REQUIRED)
file(GLOB _man_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.scd)
set(_man_outputs)
foreach(_src IN LISTS _man_sources)
  get_filename_component(_name ${_src} NAME_WE)       # bbbhook-serve.1
  get_filename_component(_full ${_src} NAME)          # bbbhook-serve.1.scd
  string(REGEX REPLACE "\\.scd$" "" _out_name ${_full})
  string(REGEX MATCH "[0-9]$" _section ${_out_name})
  set(_out ${CMAKE_BINARY_DIR}/man/${_out_name})
  add_custom_command(OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND sh -c "${SCDOC} < '${_src}' > '${_out}'"
    DEPENDS ${_src} COMMENT "scdoc ${_full}" VERBATIM)
  list(APPEND _man_outputs ${_out})
  install(FILES ${_out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section})
endforeach()
add_custom_target(man ALL DEPENDS ${_man_outputs})
