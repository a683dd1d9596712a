/* SPDX-License-Identifier: ISC */
/*
 * render/render.h - one campaign's messages, contact by contact
 *
 * render_campaign_new reads what a campaign needs, once: its template set
 * (every locale variant, with the partials they include, compiled), the
 * token key and the DKIM keys. render_message then builds one contact's
 * message from it: the template data (contact fields, attrs, campaign
 * fields, sender, the contact's unsubscribe link), the VERP envelope
 * sender, the MIME message, its DKIM signatures. A campaign is read-only
 * once built: the thread pool renders many contacts at once, each thread
 * with its own struct render_scratch.
 *
 * A contact whose data cannot be sent safely (a subject or name with a
 * line break, a value over a limit) is refused with CLR_EINVAL and a
 * reason for the record, never rendered half-way.
 *
 * Template sets: TEMPLATES/SET/{subject,text,html}[.LOCALE].mustache;
 * partials in TEMPLATES/partials/NAME[.LOCALE].mustache. A contact's
 * locale "nl-BE" picks the nl-BE variant, else nl, else the default.
 */
#ifndef CLARION_RENDER_H
#define CLARION_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct config;
struct render_campaign;

#define RENDER_ALLOW_SHORT_RSA	0x01	/* tests: RSA-1024 DKIM keys */
#define RENDER_NO_DKIM		0x02	/* benchmarks: skip the signatures */

/* A contact as the store gives it; strings borrowed for the call. */
struct render_contact {
	int64_t		 id;
	const char	*email;		/* normalised */
	const char	*first_name;	/* or NULL */
	const char	*last_name;
	const char	*locale;
	const char	*attrs;		/* JSON object */
};

struct render__node_chunk;

/* Per-thread buffers, reused from message to message. */
struct render_scratch {
	struct buf	 subject, text, html;	/* rendered templates */
	struct buf	 name;			/* "First Last" */
	struct render__node_chunk *nodes;	/* template data wrappers */
	struct buf	 unsigned_msg;		/* before DKIM */
	struct buf	 msg;			/* the result: signed */
	char		 envelope_from[320];	/* b-TOKEN@bounce_domain */
	char		 message_id[320];	/* without brackets */
	char		 unsubscribe_url[1100];	/* the contact's own */
	int		 has_html;		/* the html part was made */
};

void		 render_scratch_init(struct render_scratch *);
void		 render_scratch_free(struct render_scratch *);

/*
 * Load campaign name of cfg. NULL with err "FILE[:LINE:COL]: ..." naming
 * what is wrong: a template that does not compile, a missing template
 * file, a key file with wrong permissions or format.
 */
struct render_campaign	*render_campaign_new(const struct config *cfg,
			    const char *name, unsigned flags,
			    struct clr_err *err);
void			 render_campaign_free(struct render_campaign *);

/*
 * Render contact c's message for campaign run run_id, dated now, into
 * sc->msg (CRLF, DKIM-Signature headers first), with its envelope sender
 * and Message-ID in sc. 0, or CLR_EINVAL with err saying why this
 * contact cannot be sent to safely, or CLR_ENOMEM/CLR_ETOOBIG.
 */
int	 render_message(const struct render_campaign *,
	    const struct render_contact *c, uint64_t run_id, int64_t now,
	    struct render_scratch *sc, struct clr_err *err);

/*
 * Lint support: call fn for each name the campaign's templates use that
 * no contact, campaign field or built-in provides; attrs keys are taken
 * as provided when has_attr says so.
 */
struct render_unknown {
	const char	*name;		/* dotted, NUL-terminated */
	const char	*file;
	unsigned	 line, col;
};
void	 render_unknown_names(const struct render_campaign *,
	    int (*has_attr)(void *, const char *key), void *has_arg,
	    void (*fn)(void *, const struct render_unknown *), void *arg);

/* The campaign's template files, for lint's look at their raw text. */
size_t		 render_nfiles(const struct render_campaign *);
const char	*render_file(const struct render_campaign *, size_t i,
		    const char **text, size_t *len);

#endif
