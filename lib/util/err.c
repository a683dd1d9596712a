/* SPDX-License-Identifier: ISC */
/*
 * util/err.c - descriptions of the CLR_E* codes
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

const char *
clr_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
#define CLR__ERR_CASE(name, val, text) case CLR_##name: return text;
	CLR_ERRNO_MAP(CLR__ERR_CASE)
#undef CLR__ERR_CASE
	}
	return "unknown error";
}

int
clr_err_set(struct clr_err *e, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}
