/* SPDX-License-Identifier: ISC */
/*
 * util/err.h - error codes shared by every lib/ module
 *
 * lib functions return 0 on success and a negative CLR_E* code on failure
 * (as libuv's UV_E*). Constructors return NULL instead. A protocol outcome
 * (a 550 reply, a refused row) is data, not one of these errors.
 */
#ifndef CLARION_UTIL_ERR_H
#define CLARION_UTIL_ERR_H

#define CLR_ERRNO_MAP(X)						\
	X(ENOMEM,	-1,	"out of memory")			\
	X(EINVAL,	-2,	"invalid argument")			\
	X(ETOOBIG,	-3,	"size limit exceeded")			\
	X(ESYNTAX,	-4,	"syntax error")				\
	X(EIO,		-5,	"input/output error")			\
	X(ENOENT,	-6,	"not found")				\
	X(EEXIST,	-7,	"already exists")			\
	X(EDB,		-8,	"database error")			\
	X(ESCHEMA,	-9,	"database schema not supported")	\
	X(EBUSY,	-10,	"resource busy")			\
	X(EPERM,	-11,	"permission denied")			\
	X(EAGAIN,	-12,	"try again")				\
	X(EFULL,	-13,	"disk full")				\
	X(EINTR,	-14,	"interrupted")

enum clr_errno {
#define CLR__ERR_ENUM(name, val, text) CLR_##name = (val),
	CLR_ERRNO_MAP(CLR__ERR_ENUM)
#undef CLR__ERR_ENUM
};

/* A static description of a CLR_E* code; never NULL. */
const char	*clr_strerror(int);

/*
 * An error with a message, for functions whose failures need explaining
 * ("database was written by a newer clarion (schema 7, this one knows 3)").
 * Filled by the callee; the caller owns the struct.
 */
struct clr_err {
	int	 code;		/* CLR_E*, 0 if none */
	char	 msg[512];
};

/* Set code and message; returns code, so "return clr_err_set(...)" works. */
int		 clr_err_set(struct clr_err *, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

#endif
