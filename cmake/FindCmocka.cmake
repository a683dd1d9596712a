# SPDX-License-Identifier: ISC
#
# FindCmocka.cmake - locate cmocka (Debian: pkg-config name cmocka).
# Defines Cmocka_FOUND and the imported target Cmocka::Cmocka.

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
	pkg_check_modules(PC_Cmocka QUIET cmocka)
endif()
find_path(Cmocka_INCLUDE_DIR cmocka.h HINTS ${PC_Cmocka_INCLUDE_DIRS})
find_library(Cmocka_LIBRARY NAMES cmocka HINTS ${PC_Cmocka_LIBRARY_DIRS})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Cmocka
	REQUIRED_VARS Cmocka_LIBRARY Cmocka_INCLUDE_DIR)
mark_as_advanced(Cmocka_INCLUDE_DIR Cmocka_LIBRARY)

if(Cmocka_FOUND AND NOT TARGET Cmocka::Cmocka)
	add_library(Cmocka::Cmocka UNKNOWN IMPORTED)
	set_target_properties(Cmocka::Cmocka PROPERTIES
		IMPORTED_LOCATION "${Cmocka_LIBRARY}"
		INTERFACE_INCLUDE_DIRECTORIES "${Cmocka_INCLUDE_DIR}")
endif()
