# oneDNN 2.x (Debian libdnnl-dev) as the imported target mvg::onednn; sets mvg_onednn_FOUND.
# Found by header and library, not through Debian's dnnl-config.cmake: that one demands the OpenCL
# development files (its build has a GPU runtime we never use), which neither mvg nor its users need.
if(NOT TARGET mvg::onednn)
  find_path(MVG_ONEDNN_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(MVG_ONEDNN_LIBRARY dnnl)
  set(mvg_onednn_FOUND OFF)
  if(MVG_ONEDNN_INCLUDE_DIR AND MVG_ONEDNN_LIBRARY)
    file(STRINGS ${MVG_ONEDNN_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h mvg_dnnl_major REGEX "define DNNL_VERSION_MAJOR")
    string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" mvg_dnnl_major "${mvg_dnnl_major}")
    if(mvg_dnnl_major EQUAL 2)  # include/mvg/backend/cpu/onednn_gemm.hpp uses the 2.x API
      add_library(mvg::onednn INTERFACE IMPORTED)
      set_target_properties(mvg::onednn PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${MVG_ONEDNN_INCLUDE_DIR}
                            INTERFACE_LINK_LIBRARIES ${MVG_ONEDNN_LIBRARY}
                            INTERFACE_COMPILE_DEFINITIONS MVG_HAVE_ONEDNN=1)
      set(mvg_onednn_FOUND ON)
    endif()
  endif()
else()
  set(mvg_onednn_FOUND ON)
endif()
