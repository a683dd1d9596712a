# SPDX-License-Identifier: ISC
#
# The project's warning flags, in one place. Applied to everything we compile.

set(CLARION_WARNINGS
	-Wall -Wextra
	-Wstrict-prototypes -Wmissing-prototypes
	-Wshadow -Wpointer-arith -Wcast-qual
	-Wwrite-strings -Wformat=2 -Wundef
	-Wvla -Wnull-dereference
	-Wno-unused-parameter)
if(CLARION_WERROR)
	list(APPEND CLARION_WARNINGS -Werror)
endif()
add_compile_options(${CLARION_WARNINGS})
