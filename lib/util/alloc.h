/* SPDX-License-Identifier: ISC */
/*
 * util/alloc.h - the allocator every clarion module goes through
 *
 * All heap allocation in lib/ and daemon/ goes through these wrappers so that
 * tests can replace the allocator and make any allocation fail (as libuv's
 * uv_replace_allocator). They behave like their libc namesakes; clr_free(NULL)
 * is a no-op.
 */
#ifndef CLARION_UTIL_ALLOC_H
#define CLARION_UTIL_ALLOC_H

#include <stddef.h>

struct clr_allocator {
	void	*(*malloc_fn)(size_t);
	void	*(*realloc_fn)(void *, size_t);
	void	 (*free_fn)(void *);
};

/*
 * Replace the allocator; NULL restores libc's. Not thread safe: call it
 * before any other clarion function.
 */
void	 clr_set_allocator(const struct clr_allocator *);

void	*clr_malloc(size_t);
void	*clr_calloc(size_t, size_t);		/* zeroed; checks overflow */
void	*clr_realloc(void *, size_t);
void	*clr_reallocarray(void *, size_t, size_t); /* checks overflow */
void	 clr_free(void *);
char	*clr_strdup(const char *);
char	*clr_strndup(const char *, size_t);	/* copies at most n bytes */
void	*clr_memdup(const void *, size_t);

#endif
