# mvg_find_gdcm(<find_package arguments>): find_package(GDCM ...) without the noise of Debian's export.
# Sets GDCM_FOUND in the caller's scope; GDCM's imported targets (gdcmMSFF, ...) are defined as usual.
# Debian's libgdcm-dev exports GDCM's command-line programs too (gdcmdump, gdcmconv, ..., packaged
# apart in libgdcm-tools). Without them, GDCMTargets.cmake prints a 7-line STATUS paragraph for each
# of the 15 programs it cannot find, on every configure. mvg links GDCM's libraries only, so those
# paragraphs say nothing about it. They are muted by raising the message level to NOTICE for this one
# find_package, inside a function so the level cannot leak: warnings and errors (a GDCM that is not
# found, a broken export) still show, and a level the user chose (--log-level, or their own
# CMAKE_MESSAGE_LOG_LEVEL) is left alone.
function(mvg_find_gdcm)
  if(NOT DEFINED CMAKE_MESSAGE_LOG_LEVEL)
    set(CMAKE_MESSAGE_LOG_LEVEL NOTICE)
  endif()
  find_package(GDCM ${ARGN})
  set(GDCM_FOUND ${GDCM_FOUND} PARENT_SCOPE)
endfunction()
