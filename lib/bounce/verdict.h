/* SPDX-License-Identifier: ISC */
/*
 * bounce/verdict.h - what the outcome of one send means
 *
 * Every outcome the SMTP engine reports for a message (smtp/smtp.h: enum
 * smtp_outcome, the stage a refusal answered and the server's reply)
 * becomes exactly one verdict:
 *
 *	SENT		2xx to the end of data
 *	DEFERRED	try again later (retry schedule, shape/retry.h)
 *	BOUNCED_HARD	the address will never work: suppress it
 *	BOUNCED_SOFT	this send is over, but nothing proves the address
 *			bad; the suppression policy may count these
 *
 * plus a reason, a short machine-readable category for reports and for
 * the suppression policy ("bad-mailbox", "spam-block", ...), and the
 * ambiguous flag: the end of data went out and no reply came back, so
 * the message may have been delivered; it is deferred and counted apart
 * (DESIGN.md, durability promise).
 *
 * The rules live in one table-driven file, bounce/verdict.c, which
 * explains each decision. Pure: no I/O, no clock, no allocation; safe in
 * any thread. Only the smtp header's types are used, not its code.
 */
#ifndef CLARION_BOUNCE_VERDICT_H
#define CLARION_BOUNCE_VERDICT_H

#include "smtp/smtp.h"

#define VERDICT_KINDS(X)						\
	X(SENT,		"sent")						\
	X(DEFERRED,	"deferred")					\
	X(BOUNCED_HARD,	"bounced-hard")					\
	X(BOUNCED_SOFT,	"bounced-soft")

enum verdict_kind {
#define VERDICT__KIND_ENUM(name, text) VERDICT_##name,
	VERDICT_KINDS(VERDICT__KIND_ENUM)
#undef VERDICT__KIND_ENUM
	VERDICT_KIND_LAST
};

/*
 * Reasons. Those about the recipient's address come first (bad-mailbox,
 * bad-domain, mailbox-disabled, mailbox-full); the others are about the
 * sender, the message, the relay or the link, and say nothing against
 * the address.
 */
#define VERDICT_REASONS(X)						\
	X(NONE,			"none")		/* sent */		\
	X(BAD_MAILBOX,		"bad-mailbox")	/* no such user */	\
	X(BAD_DOMAIN,		"bad-domain")	/* no such domain, null MX */ \
	X(MAILBOX_DISABLED,	"mailbox-disabled")			\
	X(MAILBOX_FULL,		"mailbox-full")	/* over quota */	\
	X(MESSAGE_TOO_BIG,	"message-too-big")			\
	X(SENDER,		"sender")	/* our envelope sender */ \
	X(SENDER_AUTH,		"sender-auth")	/* SPF, DKIM, DMARC, rDNS */ \
	X(RELAY_DENIED,		"relay-denied")				\
	X(AUTH,			"auth")		/* our SMTP AUTH, TLS */ \
	X(POLICY,		"policy")				\
	X(SPAM_BLOCK,		"spam-block")	/* spam, blocklists */	\
	X(RATE_LIMIT,		"rate-limit")				\
	X(GREYLIST,		"greylist")				\
	X(CONTENT,		"content")	/* media, virus, 8-bit */ \
	X(ROUTING,		"routing")				\
	X(SYSTEM,		"system")	/* the server's trouble */ \
	X(PROTOCOL,		"protocol")	/* a command it refused */ \
	X(CONNECTION,		"connection")	/* the link failed */	\
	X(LOCAL,		"local")	/* refused before sending */ \
	X(TEMPORARY,		"temporary")	/* a 4xx, nothing more */ \
	X(UNKNOWN,		"unknown")	/* a 5xx, nothing more */

enum verdict_reason {
#define VERDICT__REASON_ENUM(name, text) VERDICT_R_##name,
	VERDICT_REASONS(VERDICT__REASON_ENUM)
#undef VERDICT__REASON_ENUM
	VERDICT_R_LAST
};

/* Which rule decided: for logs, and for whoever extends the tables. */
enum verdict_basis {
	VERDICT_BY_OUTCOME,	/* sent, not sent, ambiguous, local */
	VERDICT_BY_STATUS,	/* the enhanced status code (RFC 3463) */
	VERDICT_BY_TEXT,	/* a pattern in the reply's text */
	VERDICT_BY_CODE,	/* the reply code (RFC 5321 4.2.3) */
	VERDICT_BY_CLASS,	/* 4xx or 5xx, nothing else recognised */
};

struct verdict {
	enum verdict_kind	 kind;
	enum verdict_reason	 reason;
	int			 ambiguous;	/* end of data sent, no reply */
	enum verdict_basis	 basis;
	const char		*rule;		/* static: the rule applied */
};

/*
 * The verdict on one transaction: outcome and stage as the engine
 * reported them (stage matters only for SMTP_OUT_REFUSED), reply the
 * server's reply or the engine's local one (may be NULL when there was
 * none; text may be NULL). With one recipient per message, as clarion
 * sends, the verdict is that recipient's.
 *
 * *out is always filled, so every outcome has a verdict. Returns 0, or
 * CLR_EINVAL when the input is inconsistent (an unknown outcome or
 * stage, a refusal whose code is not 4xx or 5xx): *out is then DEFERRED
 * with reason "protocol", which loses nothing and suppresses no one.
 * out must not be NULL.
 */
int		 verdict_classify(enum smtp_outcome, enum smtp_stage,
		    const struct smtp_reply *reply, struct verdict *out);

/* Static names ("bounced-hard", "bad-mailbox"); "?" when out of range. */
const char	*verdict_name(enum verdict_kind);
const char	*verdict_reason_name(enum verdict_reason);

#endif
