/* SPDX-License-Identifier: ISC */
/*
 * util/alloc.c - replaceable allocator
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static struct clr_allocator allocator = { malloc, realloc, free };

void
clr_set_allocator(const struct clr_allocator *a)
{
	if (a == NULL) {
		allocator.malloc_fn = malloc;
		allocator.realloc_fn = realloc;
		allocator.free_fn = free;
		return;
	}
	allocator = *a;
}

void *
clr_malloc(size_t n)
{
	/* malloc(0) may return NULL; keep "NULL means failure" true. */
	return allocator.malloc_fn(n ? n : 1);
}

void *
clr_calloc(size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	p = clr_malloc(nmemb * size);
	if (p != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

void *
clr_realloc(void *p, size_t n)
{
	return allocator.realloc_fn(p, n ? n : 1);
}

void *
clr_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return clr_realloc(p, nmemb * size);
}

void
clr_free(void *p)
{
	if (p != NULL)
		allocator.free_fn(p);
}

void *
clr_memdup(const void *src, size_t n)
{
	void	*p;

	p = clr_malloc(n);
	if (p != NULL && n > 0)
		memcpy(p, src, n);
	return p;
}

char *
clr_strndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = clr_malloc(len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
clr_strdup(const char *s)
{
	return clr_strndup(s, SIZE_MAX);
}
