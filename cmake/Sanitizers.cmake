# SPDX-License-Identifier: ISC
#
# CLARION_ASAN / _UBSAN / _TSAN / _FUZZ, as libuv's ASAN/UBSAN/TSAN options.

set(_san_flags "")
if(CLARION_ASAN)
	list(APPEND _san_flags -fsanitize=address)
endif()
if(CLARION_UBSAN)
	# Every UB report is fatal, so the test that triggers one fails.
	list(APPEND _san_flags -fsanitize=undefined -fno-sanitize-recover=all)
endif()
if(CLARION_TSAN)
	if(CLARION_ASAN)
		message(FATAL_ERROR "CLARION_TSAN cannot be combined with CLARION_ASAN")
	endif()
	list(APPEND _san_flags -fsanitize=thread)
endif()
if(CLARION_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
		message(FATAL_ERROR "CLARION_FUZZ needs clang (CC=clang)")
	endif()
	# Instrument everything for coverage; the targets add the libFuzzer main.
	list(APPEND _san_flags -fsanitize=fuzzer-no-link)
endif()
if(_san_flags)
	list(APPEND _san_flags -fno-omit-frame-pointer)
	add_compile_options(${_san_flags})
	add_link_options(${_san_flags})
endif()
