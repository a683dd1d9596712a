# SPDX-License-Identifier: ISC
#
# FindLibYAML.cmake - locate yaml (Debian: pkg-config name yaml-0.1).
# Defines LibYAML_FOUND and the imported target LibYAML::LibYAML.

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
	pkg_check_modules(PC_LibYAML QUIET yaml-0.1)
endif()
find_path(LibYAML_INCLUDE_DIR yaml.h HINTS ${PC_LibYAML_INCLUDE_DIRS})
find_library(LibYAML_LIBRARY NAMES yaml HINTS ${PC_LibYAML_LIBRARY_DIRS})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibYAML
	REQUIRED_VARS LibYAML_LIBRARY LibYAML_INCLUDE_DIR)
mark_as_advanced(LibYAML_INCLUDE_DIR LibYAML_LIBRARY)

if(LibYAML_FOUND AND NOT TARGET LibYAML::LibYAML)
	add_library(LibYAML::LibYAML UNKNOWN IMPORTED)
	set_target_properties(LibYAML::LibYAML PROPERTIES
		IMPORTED_LOCATION "${LibYAML_LIBRARY}"
		INTERFACE_INCLUDE_DIRECTORIES "${LibYAML_INCLUDE_DIR}")
endif()
