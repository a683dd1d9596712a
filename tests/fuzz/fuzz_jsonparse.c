/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_jsonparse.c - libFuzzer target for json_parse
 *
 * Invariants: json_parse accepts a text whose top level is an object
 * exactly when json_valid_object does, and any other text X exactly when
 * the validator accepts both {"k":X} and {"k":[X]} (but for the two
 * levels of depth that adds). One wrapper is not enough: 0,"a":1 is no
 * JSON text but a valid member list, and 0,1 a valid item list; no text
 * with a comma outside brackets is both. A failure leaves *out NULL with
 * a message ("line L, column C: ..."); a success leaves a tree that
 * json_write writes as a text that parses to an equal tree and is written
 * the same again. Leaks and memory errors are the sanitizers' to find.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 equal(const struct json_value *, const struct json_value *);
static size_t	 depth(const struct json_value *);

/* equal - same type, same text, same items and members in order. */
static int
equal(const struct json_value *a, const struct json_value *b)
{
	size_t	 i;

	if (a->type != b->type || a->len != b->len)
		return 0;
	switch (a->type) {
	case JSON_NUMBER:
	case JSON_STRING:
		return memcmp(a->str, b->str, a->len) == 0 &&
		    a->str[a->len] == '\0' && b->str[b->len] == '\0';
	case JSON_ARRAY:
		for (i = 0; i < a->len; i++)
			if (!equal(a->items[i], b->items[i]))
				return 0;
		return 1;
	case JSON_OBJECT:
		for (i = 0; i < a->len; i++)
			if (a->members[i].keylen != b->members[i].keylen ||
			    memcmp(a->members[i].key, b->members[i].key,
			    a->members[i].keylen) != 0 ||
			    !equal(a->members[i].value, b->members[i].value))
				return 0;
		return 1;
	default:
		return a->str == NULL && b->str == NULL;
	}
}

/* depth - containers nested in v, v included. */
static size_t
depth(const struct json_value *v)
{
	size_t	 i, d, max = 0;

	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return 0;
	for (i = 0; i < v->len; i++) {
		d = depth(v->type == JSON_ARRAY ? v->items[i] :
		    v->members[i].value);
		if (d > max)
			max = d;
	}
	return max + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value	*v = NULL, *v2 = NULL;
	struct clr_err		 err = { 0, "" };
	struct buf		 b = BUF_INITIALIZER(16u << 20);
	struct buf		 b2 = BUF_INITIALIZER(16u << 20);
	struct buf		 wrap = BUF_INITIALIZER(16u << 20);
	const char		*s = (const char *)data;
	size_t			 i = 0;
	int			 rc, valid;

	rc = json_parse(s, size, &v, &err);
	if (rc != 0) {
		if (v != NULL || err.code != rc || err.msg[0] == '\0')
			abort();
		if (rc != CLR_ESYNTAX && rc != CLR_ETOOBIG)
			abort();
		if (strncmp(err.msg, "line ", 5) != 0)
			abort();
	} else if (v == NULL)
		abort();

	while (i < size && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	if (i < size && s[i] == '{') {
		if ((rc == 0) != json_valid_object(s, size))
			abort();
	} else {
		if (buf_puts(&wrap, "{\"k\":") != 0 ||
		    buf_append(&wrap, s, size) != 0 ||
		    buf_putc(&wrap, '}') != 0)
			abort();
		valid = json_valid_object(wrap.data, wrap.len);
		buf_reset(&wrap);
		if (buf_puts(&wrap, "{\"k\":[") != 0 ||
		    buf_append(&wrap, s, size) != 0 ||
		    buf_puts(&wrap, "]}") != 0)
			abort();
		valid = valid && json_valid_object(wrap.data, wrap.len);
		if (rc == 0 && depth(v) <= JSON_MAX_DEPTH - 2 && !valid)
			abort();
		if (rc != 0 && valid)
			abort();
	}

	if (rc == 0) {
		if (json_write(&b, v) != 0)
			abort();
		if (json_parse(b.data, b.len, &v2, &err) != 0)
			abort();
		if (!equal(v, v2))
			abort();
		if (json_write(&b2, v2) != 0 || b2.len != b.len ||
		    memcmp(b.data, b2.data, b.len) != 0)
			abort();
	}
	json_free(v);
	json_free(v2);
	buf_free(&b);
	buf_free(&b2);
	buf_free(&wrap);
	return 0;
}
