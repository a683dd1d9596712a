/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_template.c - libFuzzer target for tpl_compile and
 * tpl_render
 *
 * The input is compiled as a template in both escape modes, with a
 * loader that returns the input itself for any partial name, so that
 * partials recurse (at growing indentations too), then rendered twice
 * against a small fixed data tree. Invariants: a failed compile has a
 * known code and a message that starts with a file name; a render
 * returns 0 or CLR_ETOOBIG, never writes past the buf's cap, and gives
 * the same result twice (rendering changes nothing in the template);
 * tpl_foreach_name reports names with a file and a position. Leaks and
 * memory errors are the sanitizers' to find.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define OUT_MAX		(64 * 1024)

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct input {
	const char	*s;
	size_t		 n;
};

static enum tpl_kind jd_kind(void *, tpl_node);
static tpl_node	 jd_get(void *, tpl_node, const char *, size_t);
static size_t	 jd_count(void *, tpl_node);
static tpl_node	 jd_item(void *, tpl_node, size_t);
static void	 jd_text(void *, tpl_node, const char **, size_t *);
static int	 load_self(void *, const char *, size_t, const char **,
		    size_t *, const char **);
static void	 check_name(void *, const struct tpl_name *);

static const char data_text[] =
    "{\"name\":\"Ana <&> \\\"x\\\" 'y'\",\"n\":3,\"pi\":3.14,\"t\":true,"
    "\"f\":false,\"z\":null,\"e\":\"\",\"list\":[1,\"two\",{\"name\":"
    "\"inner\",\"list\":[]}],\"obj\":{\"a\":{\"b\":\"c\"},\"list\":[true,"
    "false]},\"empty\":[],\"nested\":[[1,2],[3]]}";

static const struct tpl_data jd = {
	NULL, jd_kind, jd_get, jd_count, jd_item, jd_text
};

static struct json_value *root;

static enum tpl_kind
jd_kind(void *ud, tpl_node n)
{
	static const enum tpl_kind kinds[] = {
		[JSON_NULL] = TPL_NULL, [JSON_FALSE] = TPL_FALSE,
		[JSON_TRUE] = TPL_TRUE, [JSON_NUMBER] = TPL_NUMBER,
		[JSON_STRING] = TPL_STRING, [JSON_ARRAY] = TPL_LIST,
		[JSON_OBJECT] = TPL_OBJECT
	};

	return kinds[((const struct json_value *)n)->type];
}

static tpl_node
jd_get(void *ud, tpl_node obj, const char *name, size_t len)
{
	return json_getn(obj, name, len);
}

static size_t
jd_count(void *ud, tpl_node list)
{
	return json_len(list);
}

static tpl_node
jd_item(void *ud, tpl_node list, size_t i)
{
	return json_item(list, i);
}

static void
jd_text(void *ud, tpl_node n, const char **s, size_t *len)
{
	const struct json_value	*v = n;

	if (v->type == JSON_TRUE || v->type == JSON_FALSE) {
		*s = v->type == JSON_TRUE ? "true" : "false";
		*len = strlen(*s);
		return;
	}
	*s = v->str;
	*len = v->len;
}

/* load_self - every partial is the input itself. */
static int
load_self(void *ud, const char *name, size_t len, const char **src,
    size_t *srclen, const char **file)
{
	const struct input	*in = ud;

	if (len == 0 || name == NULL)
		abort();
	*src = in->s;
	*srclen = in->n;
	*file = "partial.mustache";
	return 0;
}

static void
check_name(void *arg, const struct tpl_name *n)
{
	if (n->name == NULL || n->len == 0 || n->file == NULL ||
	    n->line == 0 || n->col == 0)
		abort();
	if (strcmp(n->file, "fuzz.mustache") != 0 &&
	    strcmp(n->file, "partial.mustache") != 0)
		abort();
	++*(size_t *)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input		 in = { (const char *)data, size };
	struct tpl_loader	 loader = { &in, load_self };
	struct clr_err		 err;
	struct buf		 out = BUF_INITIALIZER(OUT_MAX);
	struct buf		 out2 = BUF_INITIALIZER(OUT_MAX);
	struct tpl		*t;
	size_t			 names;
	int			 esc, rc, rc2;

	if (root == NULL && json_parse(data_text, sizeof(data_text) - 1,
	    &root, NULL) != 0)
		abort();
	for (esc = TPL_ESCAPE_NONE; esc <= TPL_ESCAPE_HTML; esc++) {
		memset(&err, 0, sizeof(err));
		t = tpl_compile("fuzz.mustache", in.s, in.n,
		    (enum tpl_escape)esc, &loader, &err);
		if (t == NULL) {
			if (err.code != CLR_ESYNTAX && err.code != CLR_ETOOBIG)
				abort();
			if (strncmp(err.msg, "fuzz.mustache:", 14) != 0 &&
			    strncmp(err.msg, "partial.mustache:", 17) != 0)
				abort();
			continue;
		}
		buf_reset(&out);
		buf_reset(&out2);
		rc = tpl_render(t, &jd, root, &out);
		rc2 = tpl_render(t, &jd, root, &out2);
		if ((rc != 0 && rc != CLR_ETOOBIG) || rc != rc2)
			abort();
		if (out.len > OUT_MAX || out.len != out2.len ||
		    (out.len > 0 && memcmp(out.data, out2.data, out.len) != 0))
			abort();
		names = 0;
		tpl_foreach_name(t, check_name, &names);
		tpl_free(t);
	}
	buf_free(&out);
	buf_free(&out2);
	return 0;
}
