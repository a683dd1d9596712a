# SPDX-License-Identifier: ISC
#
# FindLibUV.cmake - locate uv (Debian: pkg-config name libuv).
# Defines LibUV_FOUND and the imported target LibUV::LibUV.

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
	pkg_check_modules(PC_LibUV QUIET libuv)
endif()
find_path(LibUV_INCLUDE_DIR uv.h HINTS ${PC_LibUV_INCLUDE_DIRS})
find_library(LibUV_LIBRARY NAMES uv HINTS ${PC_LibUV_LIBRARY_DIRS})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibUV
	REQUIRED_VARS LibUV_LIBRARY LibUV_INCLUDE_DIR)
mark_as_advanced(LibUV_INCLUDE_DIR LibUV_LIBRARY)

if(LibUV_FOUND AND NOT TARGET LibUV::LibUV)
	add_library(LibUV::LibUV UNKNOWN IMPORTED)
	set_target_properties(LibUV::LibUV PROPERTIES
		IMPORTED_LOCATION "${LibUV_LIBRARY}"
		INTERFACE_INCLUDE_DIRECTORIES "${LibUV_INCLUDE_DIR}")
endif()
