/* SPDX-License-Identifier: ISC */
/*
 * bounce/verdict.c - the one place that decides what an SMTP outcome means
 *
 * Postfix decides what a failure means in one file (smtp_trouble.c); this
 * is clarion's. Three tables, read in this order:
 *
 *  1. status_rules: the enhanced status code (RFC 3463, and the IANA
 *     "Enumerated Status Codes" registry of RFC 5248, which adds codes
 *     from later RFCs). RFC 3463 2: the class says success (2), persistent
 *     transient failure (4) or permanent failure (5); the subject says
 *     what failed. The rows follow the RFC's sections: X.1.X address
 *     (3.2), X.2.X mailbox (3.3), X.3.X mail system (3.4), X.4.X network
 *     and routing (3.5), X.5.X mail delivery protocol (3.6), X.6.X content
 *     or media (3.7), X.7.X security or policy (3.8); X.X.0 is always
 *     "other or undefined" (3.1 and each section's first entry).
 *  2. text_rules: patterns in the reply's text, case-insensitive, the
 *     first matching row in table order winning.
 *  3. code_rules: the reply code's meaning (RFC 5321 4.2.2, 4.2.3; RFC
 *     7504 for 521 and 556; RFC 4954 for 530, 534, 535, 538).
 *
 * How they combine:
 *
 *  - A specific status decides. If it is a hard one and the text matches
 *    a soft pattern (the reply says it is about a rate, a block, a full
 *    mailbox), it is softened: Gmail sends "550 5.2.1 ... receiving mail
 *    at a rate that prevents additional messages", and being wrong the
 *    soft way costs one more send, while being wrong the hard way loses a
 *    person for good.
 *  - A WEAK status (X.X.0, X.7.1 "delivery not authorized" and the few
 *    that big providers use for something else than the registry says)
 *    lets the text decide: Outlook's "550 5.5.0 Requested action not
 *    taken: mailbox unavailable" is a mailbox that does not exist; "550
 *    5.7.1 ... blocked using Spamhaus" a block.
 *  - Then the status's default, then the reply code, then the class:
 *    a 5xx with nothing recognisable is soft "unknown", as most
 *    production mailers do, so one odd reply never suppresses a real
 *    person (a repeated one will be caught by the soft-bounce count).
 *
 * The text patterns are ordered so that whatever says "it is not the
 * address" comes before whatever says "the address is bad": the sender,
 * greylisting, size, full mailbox, rates, blocks, authentication, relay,
 * content, policy; the hard ones last.
 *
 * Then the outcome and the stage:
 *
 *  - SENT is sent. AMBIGUOUS (end of data sent, no reply) and NOT_SENT
 *    (the session ended before the end of data) are deferred; a reply
 *    that ended the session still gives the reason ("421 ... too many
 *    connections" is "rate-limit").
 *  - 4xx is deferred, whatever the stage.
 *  - A 5xx to MAIL FROM is about the sender or the relay, never the
 *    recipient: never hard, and an address reason becomes "sender".
 *  - A 5xx at the session (greeting, EHLO, STARTTLS, AUTH) is deferred:
 *    it says nothing about the message, and a relay that turns us away
 *    must not soft-bounce a whole campaign in a minute. Likewise any
 *    reply whose reason is "auth" (a 530 to MAIL when we never logged
 *    in): our credentials, fixed by the operator, and the retry schedule
 *    bounds how long the sends wait.
 *  - LOCAL (refused here before sending): bounced soft, "message-too-big"
 *    when the relay's SIZE is too small, "local" when it lacks SMTPUTF8
 *    or 8BITMIME. As Postfix does (it bounces a message over the
 *    server's SIZE, RFC 1870 6, and one needing SMTPUTF8 when the server
 *    lacks it, RFC 6531 3.2): the same message to the same relay will
 *    never pass, retrying only delays the report, and a soft bounce
 *    never counts against the address. A campaign full of
 *    "message-too-big" is the operator's signal.
 *
 * Decisions worth their own line:
 *
 *  - X.2.1 (mailbox disabled) is hard. RFC 3463 3.3 allows either, but a
 *    5xx is the receiver saying "permanent", and in practice it is an
 *    account closed or abandoned (Gmail "The email account that you
 *    tried to reach is disabled", Yahoo "This mailbox is disabled");
 *    mailing those hurts the sender's reputation. A 4.2.1 is deferred.
 *  - X.4.4 (unable to route) is hard "bad-domain": a permanent answer
 *    that the domain has no mail route is what X.1.2 and X.1.10 say;
 *    DNS trouble comes as 4.4.3 or 4.4.4 and is deferred.
 *  - X.5.X (protocol) is soft: a command the server refused is our
 *    fault, not the address's. X.5.3 (too many recipients) is
 *    "rate-limit".
 *  - X.7.X is soft except X.7.17 and X.7.18 (the mailbox's or domain's
 *    owner changed, RFC 7293): the person we had consent from is gone.
 *  - X.7.9 and X.4.1 are weak: AOL and Yahoo answer "554 5.7.9 Message
 *    not accepted for policy reasons", Exchange Online "550 5.4.1
 *    Recipient address rejected: Access denied" for unknown recipients.
 *  - Microsoft sends X.1.10 (null MX in the registry) for any unknown
 *    recipient; it is hard either way, and a hard pattern in the text
 *    ("recipient not found") refines the reason to "bad-mailbox".
 *
 * Pure: no allocation, no I/O. The text is searched up to
 * SMTP_TEXT_MAX octets, folded once into a stack buffer: lower case,
 * white space (line breaks too) made single spaces.
 */
#include <stddef.h>
#include <string.h>

#include "util/err.h"
#include "util/str.h"
#include "verdict.h"

#define HARD	0x01	/* a 5xx is a hard bounce */
#define WEAK	0x02	/* status: says little, let the text decide */

#define ANY	(-1)	/* status_rule.detail: any other detail */

struct status_rule {
	int			 subject;
	int			 detail;	/* or ANY */
	int			 flags;
	enum verdict_reason	 reason;
	const char		*name;
};

struct text_rule {
	const char		*pattern;	/* lower case */
	int			 flags;
	enum verdict_reason	 reason;
};

struct code_rule {
	int			 code;
	int			 flags;
	enum verdict_reason	 reason;
	const char		*name;
};

struct status {
	int	 klass;		/* 2, 4 or 5 */
	int	 subject;
	int	 detail;
};

/* What the reply says, before outcome and stage are applied. */
struct decision {
	int			 hard;
	enum verdict_reason	 reason;
	enum verdict_basis	 basis;
	const char		*rule;
};

#define R(x)	VERDICT_R_##x

/* RFC 3463 3.1-3.8 and the IANA registry; X.n ANY rows catch the rest. */
static const struct status_rule status_rules[] = {
	/* 3.2 Address status */
	{ 1, 0, WEAK, R(BAD_MAILBOX), "X.1.0 other address status" },
	{ 1, 1, HARD, R(BAD_MAILBOX), "X.1.1 bad destination mailbox address" },
	{ 1, 2, HARD, R(BAD_DOMAIN), "X.1.2 bad destination system address" },
	{ 1, 3, HARD, R(BAD_MAILBOX), "X.1.3 bad destination mailbox "
	    "address syntax" },
	{ 1, 4, 0, R(BAD_MAILBOX), "X.1.4 destination mailbox address "
	    "ambiguous" },
	{ 1, 5, WEAK, R(UNKNOWN), "X.1.5 destination address valid" },
	{ 1, 6, HARD, R(BAD_MAILBOX), "X.1.6 destination mailbox has moved, "
	    "no forwarding address" },
	{ 1, 7, 0, R(SENDER), "X.1.7 bad sender's mailbox address syntax" },
	{ 1, 8, 0, R(SENDER), "X.1.8 bad sender's system address" },
	{ 1, 9, WEAK, R(UNKNOWN), "X.1.9 message relayed to non-compliant "
	    "mailer (RFC 3886)" },
	{ 1, 10, HARD, R(BAD_DOMAIN), "X.1.10 recipient address has null MX "
	    "(RFC 7505)" },
	{ 1, ANY, WEAK, R(BAD_MAILBOX), "X.1.X address status" },
	/* 3.3 Mailbox status */
	{ 2, 0, WEAK, R(UNKNOWN), "X.2.0 other mailbox status" },
	{ 2, 1, HARD, R(MAILBOX_DISABLED), "X.2.1 mailbox disabled, not "
	    "accepting messages" },
	{ 2, 2, 0, R(MAILBOX_FULL), "X.2.2 mailbox full" },
	{ 2, 3, 0, R(MESSAGE_TOO_BIG), "X.2.3 message length exceeds "
	    "administrative limit" },
	{ 2, 4, 0, R(SYSTEM), "X.2.4 mailing list expansion problem" },
	{ 2, ANY, WEAK, R(UNKNOWN), "X.2.X mailbox status" },
	/* 3.4 Mail system status */
	{ 3, 0, WEAK, R(SYSTEM), "X.3.0 other mail system status" },
	{ 3, 1, 0, R(SYSTEM), "X.3.1 mail system full" },
	{ 3, 2, 0, R(SYSTEM), "X.3.2 system not accepting network messages" },
	{ 3, 3, 0, R(SYSTEM), "X.3.3 system not capable of selected "
	    "features" },
	{ 3, 4, 0, R(MESSAGE_TOO_BIG), "X.3.4 message too big for system" },
	{ 3, 5, 0, R(SYSTEM), "X.3.5 system incorrectly configured" },
	{ 3, 6, 0, R(SYSTEM), "X.3.6 requested priority was changed "
	    "(RFC 6710)" },
	{ 3, ANY, WEAK, R(SYSTEM), "X.3.X mail system status" },
	/* 3.5 Network and routing status */
	{ 4, 0, WEAK, R(ROUTING), "X.4.0 other network or routing status" },
	{ 4, 1, WEAK, R(ROUTING), "X.4.1 no answer from host" },
	{ 4, 2, 0, R(CONNECTION), "X.4.2 bad connection" },
	{ 4, 3, 0, R(ROUTING), "X.4.3 directory server failure" },
	{ 4, 4, HARD, R(BAD_DOMAIN), "X.4.4 unable to route" },
	{ 4, 5, 0, R(RATE_LIMIT), "X.4.5 mail system congestion" },
	{ 4, 6, 0, R(ROUTING), "X.4.6 routing loop detected" },
	{ 4, 7, 0, R(ROUTING), "X.4.7 delivery time expired" },
	{ 4, ANY, WEAK, R(ROUTING), "X.4.X network or routing status" },
	/* 3.6 Mail delivery protocol status */
	{ 5, 0, WEAK, R(PROTOCOL), "X.5.0 other or undefined protocol "
	    "status" },
	{ 5, 1, 0, R(PROTOCOL), "X.5.1 invalid command" },
	{ 5, 2, 0, R(PROTOCOL), "X.5.2 syntax error" },
	{ 5, 3, 0, R(RATE_LIMIT), "X.5.3 too many recipients" },
	{ 5, 4, 0, R(PROTOCOL), "X.5.4 invalid command arguments" },
	{ 5, 5, 0, R(PROTOCOL), "X.5.5 wrong protocol version" },
	{ 5, 6, 0, R(PROTOCOL), "X.5.6 authentication exchange line too "
	    "long (RFC 4954)" },
	{ 5, ANY, WEAK, R(PROTOCOL), "X.5.X mail delivery protocol status" },
	/* 3.7 Message content or media status; X.6.7-X.6.10 RFC 6531 */
	{ 6, 0, WEAK, R(CONTENT), "X.6.0 other or undefined media error" },
	{ 6, ANY, 0, R(CONTENT), "X.6.X message content or media status" },
	/* 3.8 Security or policy status; X.7.8-X.7.14 RFC 4954, 5248 */
	{ 7, 0, WEAK, R(POLICY), "X.7.0 other or undefined security status" },
	{ 7, 1, WEAK, R(POLICY), "X.7.1 delivery not authorized, message "
	    "refused" },
	{ 7, 2, 0, R(POLICY), "X.7.2 mailing list expansion prohibited" },
	{ 7, 3, 0, R(POLICY), "X.7.3 security conversion required" },
	{ 7, 4, 0, R(POLICY), "X.7.4 security features not supported" },
	{ 7, 5, 0, R(POLICY), "X.7.5 cryptographic failure" },
	{ 7, 6, 0, R(POLICY), "X.7.6 cryptographic algorithm not supported" },
	{ 7, 7, 0, R(POLICY), "X.7.7 message integrity failure" },
	{ 7, 8, 0, R(AUTH), "X.7.8 authentication credentials invalid" },
	{ 7, 9, WEAK, R(AUTH), "X.7.9 authentication mechanism too weak" },
	{ 7, 10, 0, R(AUTH), "X.7.10 encryption needed" },
	{ 7, 11, 0, R(AUTH), "X.7.11 encryption required for requested "
	    "authentication mechanism" },
	{ 7, 12, 0, R(AUTH), "X.7.12 password transition needed" },
	{ 7, 13, 0, R(AUTH), "X.7.13 user account disabled" },
	{ 7, 14, 0, R(AUTH), "X.7.14 trust relationship required" },
	{ 7, 15, 0, R(POLICY), "X.7.15 priority level too low (RFC 6710)" },
	{ 7, 16, 0, R(MESSAGE_TOO_BIG), "X.7.16 message too big for "
	    "specified priority (RFC 6710)" },
	{ 7, 17, HARD, R(BAD_MAILBOX), "X.7.17 mailbox owner has changed "
	    "(RFC 7293)" },
	{ 7, 18, HARD, R(BAD_DOMAIN), "X.7.18 domain owner has changed "
	    "(RFC 7293)" },
	{ 7, 19, 0, R(POLICY), "X.7.19 RRVS test cannot be completed "
	    "(RFC 7293)" },
	{ 7, 20, 0, R(SENDER_AUTH), "X.7.20 no passing DKIM signature found "
	    "(RFC 7372)" },
	{ 7, 21, 0, R(SENDER_AUTH), "X.7.21 no acceptable DKIM signature "
	    "found (RFC 7372)" },
	{ 7, 22, 0, R(SENDER_AUTH), "X.7.22 no valid author-matched DKIM "
	    "signature found (RFC 7372)" },
	{ 7, 23, 0, R(SENDER_AUTH), "X.7.23 SPF validation failed "
	    "(RFC 7372)" },
	{ 7, 24, 0, R(SENDER_AUTH), "X.7.24 SPF validation error "
	    "(RFC 7372)" },
	{ 7, 25, 0, R(SENDER_AUTH), "X.7.25 reverse DNS validation failed "
	    "(RFC 7372)" },
	{ 7, 26, 0, R(SENDER_AUTH), "X.7.26 multiple authentication checks "
	    "failed (RFC 7372)" },
	{ 7, 27, 0, R(SENDER), "X.7.27 sender address has null MX "
	    "(RFC 7505)" },
	{ 7, 28, 0, R(RATE_LIMIT), "X.7.28 mail flood detected" },
	{ 7, 29, 0, R(SENDER_AUTH), "X.7.29 ARC validation failure "
	    "(RFC 8617)" },
	{ 7, 30, 0, R(POLICY), "X.7.30 REQUIRETLS support required "
	    "(RFC 8689)" },
	{ 7, ANY, WEAK, R(POLICY), "X.7.X security or policy status" },
};

/*
 * First match wins: what says "not the address" before what says "the
 * address is bad". Short patterns are avoided where they occur inside
 * other words or in the ids servers append.
 */
static const struct text_rule text_rules[] = {
	/* Postfix checks the sender at RCPT time: "Sender address
	 * rejected: User unknown" is about us. */
	{ "sender address", 0, R(SENDER) },
	{ "sender verify", 0, R(SENDER) },
	{ "sender rejected", 0, R(SENDER) },
	{ "sender domain", 0, R(SENDER) },
	{ "greylist", 0, R(GREYLIST) },
	{ "graylist", 0, R(GREYLIST) },
	{ "grey-list", 0, R(GREYLIST) },
	{ "gray-list", 0, R(GREYLIST) },
	{ "message size", 0, R(MESSAGE_TOO_BIG) },
	{ "message too big", 0, R(MESSAGE_TOO_BIG) },
	{ "message is too big", 0, R(MESSAGE_TOO_BIG) },
	{ "message length", 0, R(MESSAGE_TOO_BIG) },
	{ "size exceeds", 0, R(MESSAGE_TOO_BIG) },
	{ "exceeds size", 0, R(MESSAGE_TOO_BIG) },
	{ "size limit", 0, R(MESSAGE_TOO_BIG) },
	{ "too large", 0, R(MESSAGE_TOO_BIG) },
	{ "mailbox full", 0, R(MAILBOX_FULL) },
	{ "mailbox is full", 0, R(MAILBOX_FULL) },
	{ "mailbox has exceeded", 0, R(MAILBOX_FULL) },
	{ "mailbox exceeded", 0, R(MAILBOX_FULL) },
	{ "mailfolder is full", 0, R(MAILBOX_FULL) },
	{ "quota", 0, R(MAILBOX_FULL) },
	{ "insufficient storage", 0, R(MAILBOX_FULL) },
	{ "insufficient system storage", 0, R(MAILBOX_FULL) },
	{ "storage allocation", 0, R(MAILBOX_FULL) },
	{ "out of storage", 0, R(MAILBOX_FULL) },
	{ "not enough space", 0, R(MAILBOX_FULL) },
	{ "rate limit", 0, R(RATE_LIMIT) },
	{ "ratelimit", 0, R(RATE_LIMIT) },
	{ "rate-limit", 0, R(RATE_LIMIT) },
	{ "unusual rate", 0, R(RATE_LIMIT) },
	{ "rate that prevents", 0, R(RATE_LIMIT) },
	{ "too many", 0, R(RATE_LIMIT) },
	{ "too much mail", 0, R(RATE_LIMIT) },
	{ "too fast", 0, R(RATE_LIMIT) },
	{ "throttl", 0, R(RATE_LIMIT) },
	{ "slow down", 0, R(RATE_LIMIT) },
	{ "temporarily deferred", 0, R(RATE_LIMIT) },
	{ "unexpected volume", 0, R(RATE_LIMIT) },
	{ "sending limit", 0, R(RATE_LIMIT) },
	{ "limit exceeded", 0, R(RATE_LIMIT) },
	{ "mail flood", 0, R(RATE_LIMIT) },
	{ "try again later", 0, R(RATE_LIMIT) },
	{ "try later", 0, R(RATE_LIMIT) },
	{ "spam", 0, R(SPAM_BLOCK) },
	{ "unsolicited", 0, R(SPAM_BLOCK) },
	{ "blacklist", 0, R(SPAM_BLOCK) },
	{ "black list", 0, R(SPAM_BLOCK) },
	{ "blocklist", 0, R(SPAM_BLOCK) },
	{ "block list", 0, R(SPAM_BLOCK) },
	{ "denylist", 0, R(SPAM_BLOCK) },
	{ "listed", 0, R(SPAM_BLOCK) },
	{ "dnsbl", 0, R(SPAM_BLOCK) },
	{ "spamcop", 0, R(SPAM_BLOCK) },
	{ "barracuda", 0, R(SPAM_BLOCK) },
	{ "sorbs", 0, R(SPAM_BLOCK) },
	{ "reputation", 0, R(SPAM_BLOCK) },
	{ "blocked", 0, R(SPAM_BLOCK) },
	{ "banned", 0, R(SPAM_BLOCK) },
	{ "junk", 0, R(SPAM_BLOCK) },
	{ "bulk mail", 0, R(SPAM_BLOCK) },
	{ "unauthenticated", 0, R(SENDER_AUTH) },
	{ "dmarc", 0, R(SENDER_AUTH) },
	{ "dkim", 0, R(SENDER_AUTH) },
	{ "spf", 0, R(SENDER_AUTH) },
	{ "reverse dns", 0, R(SENDER_AUTH) },
	{ "rdns", 0, R(SENDER_AUTH) },
	{ "ptr record", 0, R(SENDER_AUTH) },
	{ "cannot find your hostname", 0, R(SENDER_AUTH) },
	{ "relay access denied", 0, R(RELAY_DENIED) },
	{ "relaying denied", 0, R(RELAY_DENIED) },
	{ "relay denied", 0, R(RELAY_DENIED) },
	{ "unable to relay", 0, R(RELAY_DENIED) },
	{ "relay not permitted", 0, R(RELAY_DENIED) },
	{ "relaying not permitted", 0, R(RELAY_DENIED) },
	{ "relaying not allowed", 0, R(RELAY_DENIED) },
	{ "not permitted to relay", 0, R(RELAY_DENIED) },
	{ "we do not relay", 0, R(RELAY_DENIED) },
	{ "rcpthosts", 0, R(RELAY_DENIED) },	/* qmail */
	{ "authentication required", 0, R(AUTH) },
	{ "authentication failed", 0, R(AUTH) },
	{ "authentication credentials", 0, R(AUTH) },
	{ "auth required", 0, R(AUTH) },
	{ "must authenticate", 0, R(AUTH) },
	{ "must issue a starttls", 0, R(AUTH) },
	{ "tls required", 0, R(AUTH) },
	{ "encryption required", 0, R(AUTH) },
	{ "virus", 0, R(CONTENT) },
	{ "malware", 0, R(CONTENT) },
	{ "infected", 0, R(CONTENT) },
	{ "attachment", 0, R(CONTENT) },
	{ "content", 0, R(CONTENT) },
	{ "policy", 0, R(POLICY) },
	{ "policies", 0, R(POLICY) },
	{ "access denied", 0, R(POLICY) },
	{ "not authorized", 0, R(POLICY) },
	{ "not authorised", 0, R(POLICY) },
	{ "prohibited", 0, R(POLICY) },
	{ "permission denied", 0, R(POLICY) },
	{ "administrative prohibition", 0, R(POLICY) },	/* Exim */
	/* The address itself: hard, and last. Domains before mailboxes,
	 * for "domain does not exist". */
	{ "domain not found", HARD, R(BAD_DOMAIN) },
	{ "domain does not exist", HARD, R(BAD_DOMAIN) },
	{ "domain doesn't exist", HARD, R(BAD_DOMAIN) },
	{ "no such domain", HARD, R(BAD_DOMAIN) },
	{ "unrouteable domain", HARD, R(BAD_DOMAIN) },
	{ "domain does not accept mail", HARD, R(BAD_DOMAIN) },
	{ "null mx", HARD, R(BAD_DOMAIN) },
	{ "host not found", HARD, R(BAD_DOMAIN) },
	{ "host unknown", HARD, R(BAD_DOMAIN) },
	{ "mailbox disabled", HARD, R(MAILBOX_DISABLED) },
	{ "mailbox is disabled", HARD, R(MAILBOX_DISABLED) },
	{ "account disabled", HARD, R(MAILBOX_DISABLED) },
	{ "account is disabled", HARD, R(MAILBOX_DISABLED) },
	{ "account has been disabled", HARD, R(MAILBOX_DISABLED) },
	{ "mailbox is inactive", HARD, R(MAILBOX_DISABLED) },
	{ "account is inactive", HARD, R(MAILBOX_DISABLED) },
	{ "user unknown", HARD, R(BAD_MAILBOX) },
	{ "unknown user", HARD, R(BAD_MAILBOX) },
	{ "no such user", HARD, R(BAD_MAILBOX) },
	{ "no such mailbox", HARD, R(BAD_MAILBOX) },
	{ "no such recipient", HARD, R(BAD_MAILBOX) },
	{ "no such address", HARD, R(BAD_MAILBOX) },
	{ "mailbox unavailable", HARD, R(BAD_MAILBOX) },
	{ "mailbox not found", HARD, R(BAD_MAILBOX) },
	{ "mailbox does not exist", HARD, R(BAD_MAILBOX) },
	{ "does not exist", HARD, R(BAD_MAILBOX) },
	{ "doesn't exist", HARD, R(BAD_MAILBOX) },
	{ "invalid recipient", HARD, R(BAD_MAILBOX) },
	{ "invalid mailbox", HARD, R(BAD_MAILBOX) },
	{ "invalid address", HARD, R(BAD_MAILBOX) },
	{ "unknown recipient", HARD, R(BAD_MAILBOX) },
	{ "recipient unknown", HARD, R(BAD_MAILBOX) },
	{ "unknown address", HARD, R(BAD_MAILBOX) },
	{ "recipient not found", HARD, R(BAD_MAILBOX) },
	{ "user not found", HARD, R(BAD_MAILBOX) },
	{ "address not found", HARD, R(BAD_MAILBOX) },
	{ "not a valid mailbox", HARD, R(BAD_MAILBOX) },
	{ "no mailbox", HARD, R(BAD_MAILBOX) },
	{ "unrouteable address", HARD, R(BAD_MAILBOX) },	/* Exim */
	{ "user doesn't have", HARD, R(BAD_MAILBOX) },	/* Yahoo */
	{ "user does not have", HARD, R(BAD_MAILBOX) },
	{ "mailbox name not allowed", HARD, R(BAD_MAILBOX) },
	{ "no longer", HARD, R(BAD_MAILBOX) },
	{ "address rejected", HARD, R(BAD_MAILBOX) },
};

/* Codes with a meaning of their own; any other falls to its class. */
static const struct code_rule code_rules[] = {
	{ 421, 0, R(RATE_LIMIT), "421 service not available, closing "
	    "channel" },	/* mid-campaign, a receiver shedding load */
	{ 450, 0, R(TEMPORARY), "450 mailbox unavailable" },
	{ 451, 0, R(SYSTEM), "451 local error in processing" },
	{ 452, 0, R(SYSTEM), "452 insufficient system storage" },
	{ 454, 0, R(AUTH), "454 TLS or authentication temporarily "
	    "unavailable" },
	{ 500, 0, R(PROTOCOL), "500 syntax error, command unrecognized" },
	{ 501, 0, R(PROTOCOL), "501 syntax error in parameters" },
	{ 502, 0, R(PROTOCOL), "502 command not implemented" },
	{ 503, 0, R(PROTOCOL), "503 bad sequence of commands" },
	{ 504, 0, R(PROTOCOL), "504 command parameter not implemented" },
	{ 521, HARD, R(BAD_DOMAIN), "521 host does not accept mail "
	    "(RFC 7504)" },
	{ 530, 0, R(AUTH), "530 authentication required (RFC 4954)" },
	{ 534, 0, R(AUTH), "534 authentication mechanism too weak" },
	{ 535, 0, R(AUTH), "535 authentication credentials invalid" },
	{ 538, 0, R(AUTH), "538 encryption required for authentication" },
	{ 551, HARD, R(BAD_MAILBOX), "551 user not local" },
	{ 552, 0, R(MAILBOX_FULL), "552 exceeded storage allocation" },
	{ 553, 0, R(BAD_MAILBOX), "553 mailbox name not allowed" },
	{ 555, 0, R(PROTOCOL), "555 MAIL or RCPT parameters not "
	    "recognized" },
	{ 556, HARD, R(BAD_DOMAIN), "556 domain does not accept mail "
	    "(RFC 7504)" },
};

#undef R

static const char *const kind_names[] = {
#define VERDICT__KIND_NAME(name, text) text,
	VERDICT_KINDS(VERDICT__KIND_NAME)
#undef VERDICT__KIND_NAME
};

static const char *const reason_names[] = {
#define VERDICT__REASON_NAME(name, text) text,
	VERDICT_REASONS(VERDICT__REASON_NAME)
#undef VERDICT__REASON_NAME
};

static size_t	 status_scan(const char *, size_t, struct status *);
static int	 status_of(const struct smtp_reply *, const char *,
		    struct status *);
static const struct status_rule *status_find(const struct status *);
static const struct text_rule *text_find(const char *);
static const struct code_rule *code_find(int);
static void	 decide(const struct smtp_reply *, struct decision *);
static int	 about_recipient(enum verdict_reason);
static enum verdict_reason stage_reason(enum smtp_stage,
		    enum verdict_reason);
static int	 set(struct verdict *, enum verdict_kind, enum verdict_reason,
		    enum verdict_basis, const char *);

/*
 * status_scan - an enhanced status code at s[0..n): "c.sss.ddd" with
 * class 2, 4 or 5 and one to three digits each (RFC 3463 2). Returns the
 * octets it spans, or 0 when there is none.
 */
static size_t
status_scan(const char *s, size_t n, struct status *st)
{
	size_t	 i = 2, start;
	int	 part, v;

	if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	st->klass = s[0] - '0';
	for (part = 0; part < 2; part++) {
		start = i;
		v = 0;
		while (i < n && i - start < 3 && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (s[i++] - '0');
		if (i == start || (i < n && s[i] >= '0' && s[i] <= '9'))
			return 0;
		if (part == 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
			st->subject = v;
		} else
			st->detail = v;
	}
	return i;
}

/*
 * status_of - the reply's enhanced status: its status field, or, when
 * the engine left that empty (a server that uses the codes without
 * announcing ENHANCEDSTATUSCODES), one that starts the text or one in
 * qmail's "(#5.1.1)" form. low is the text, lower-cased.
 */
static int
status_of(const struct smtp_reply *r, const char *low, struct status *st)
{
	const char	*p;
	size_t		 n, used;

	n = strnlen(r->status, sizeof(r->status));
	if (n > 0)
		return status_scan(r->status, n, st) == n;
	p = low + strspn(low, " \t");
	n = strlen(p);
	if ((used = status_scan(p, n, st)) > 0 &&
	    (p[used] == '\0' || strchr(" \t\n,;:)", p[used]) != NULL))
		return 1;
	if ((p = strstr(low, "(#")) != NULL) {
		n = strlen(p + 2);
		if ((used = status_scan(p + 2, n, st)) > 0 &&
		    p[2 + used] == ')')
			return 1;
	}
	return 0;
}

static const struct status_rule *
status_find(const struct status *st)
{
	const struct status_rule	*r, *any = NULL;
	size_t				 i;

	for (i = 0; i < sizeof(status_rules) / sizeof(status_rules[0]); i++) {
		r = &status_rules[i];
		if (r->subject != st->subject)
			continue;
		if (r->detail == st->detail)
			return r;
		if (r->detail == ANY)
			any = r;
	}
	return any;
}

/* text_find - the first rule whose pattern occurs in low. */
static const struct text_rule *
text_find(const char *low)
{
	size_t	 i;

	if (low[0] == '\0')
		return NULL;
	for (i = 0; i < sizeof(text_rules) / sizeof(text_rules[0]); i++)
		if (strstr(low, text_rules[i].pattern) != NULL)
			return &text_rules[i];
	return NULL;
}

static const struct code_rule *
code_find(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(code_rules) / sizeof(code_rules[0]); i++)
		if (code_rules[i].code == code)
			return &code_rules[i];
	return NULL;
}

/* decide - what the reply alone says, by the order in the top comment. */
static void
decide(const struct smtp_reply *r, struct decision *d)
{
	char				 low[SMTP_TEXT_MAX + 1];
	const struct status_rule	*sr = NULL;
	const struct text_rule		*tr;
	const struct code_rule		*cr;
	struct status			 st;

	str_fold(r->text, low, sizeof(low));
	if (status_of(r, low, &st))
		sr = status_find(&st);
	tr = text_find(low);

	if (sr != NULL && !(sr->flags & WEAK)) {
		if ((sr->flags & HARD) && tr != NULL && !(tr->flags & HARD)) {
			/* A hard status, but the text says it is about us. */
			d->hard = 0;
			d->reason = tr->reason;
			d->basis = VERDICT_BY_TEXT;
			d->rule = tr->pattern;
			return;
		}
		d->hard = sr->flags & HARD;
		d->reason = d->hard && tr != NULL ? tr->reason : sr->reason;
		d->basis = VERDICT_BY_STATUS;
		d->rule = sr->name;
		return;
	}
	if (tr != NULL) {
		d->hard = tr->flags & HARD;
		d->reason = tr->reason;
		d->basis = VERDICT_BY_TEXT;
		d->rule = tr->pattern;
		return;
	}
	if (sr != NULL && sr->reason != VERDICT_R_UNKNOWN) {
		d->hard = 0;
		d->reason = sr->reason;
		d->basis = VERDICT_BY_STATUS;
		d->rule = sr->name;
		return;
	}
	if ((cr = code_find(r->code)) != NULL) {
		d->hard = cr->flags & HARD;
		d->reason = cr->reason;
		d->basis = VERDICT_BY_CODE;
		d->rule = cr->name;
		return;
	}
	d->hard = 0;
	d->basis = VERDICT_BY_CLASS;
	if (r->code / 100 == 4) {
		d->reason = VERDICT_R_TEMPORARY;
		d->rule = "4xx, nothing recognised: deferred";
	} else {
		d->reason = VERDICT_R_UNKNOWN;
		d->rule = "5xx, nothing recognised: soft";
	}
}

/* The reasons that speak about the recipient's address. */
static int
about_recipient(enum verdict_reason r)
{
	return r == VERDICT_R_BAD_MAILBOX || r == VERDICT_R_BAD_DOMAIN ||
	    r == VERDICT_R_MAILBOX_DISABLED || r == VERDICT_R_MAILBOX_FULL;
}

/*
 * stage_reason - before RCPT no recipient was named, so a reply there
 * cannot be about one: at MAIL it is about our sender (or, "full", the
 * server's storage), at the session about the link.
 */
static enum verdict_reason
stage_reason(enum smtp_stage stage, enum verdict_reason r)
{
	if (!about_recipient(r))
		return r;
	if (stage == SMTP_STAGE_MAIL)
		return r == VERDICT_R_MAILBOX_FULL ? VERDICT_R_SYSTEM :
		    VERDICT_R_SENDER;
	if (stage == SMTP_STAGE_SESSION)
		return VERDICT_R_CONNECTION;
	return r;
}

static int
set(struct verdict *out, enum verdict_kind kind, enum verdict_reason reason,
    enum verdict_basis basis, const char *rule)
{
	out->kind = kind;
	out->reason = reason;
	out->basis = basis;
	out->rule = rule;
	return 0;
}

int
verdict_classify(enum smtp_outcome outcome, enum smtp_stage stage,
    const struct smtp_reply *reply, struct verdict *out)
{
	static const struct smtp_reply	 none = { 0, "", NULL };
	const struct smtp_reply		*r = reply != NULL ? reply : &none;
	struct decision			 d;
	int				 klass = r->code / 100;

	out->ambiguous = 0;
	switch (outcome) {
	case SMTP_OUT_SENT:
		return set(out, VERDICT_SENT, VERDICT_R_NONE,
		    VERDICT_BY_OUTCOME, "2xx to the end of data");
	case SMTP_OUT_AMBIGUOUS:
		out->ambiguous = 1;
		return set(out, VERDICT_DEFERRED, VERDICT_R_CONNECTION,
		    VERDICT_BY_OUTCOME, "end of data sent, no reply");
	case SMTP_OUT_NOT_SENT:
		if (klass != 4 && klass != 5)
			return set(out, VERDICT_DEFERRED,
			    VERDICT_R_CONNECTION, VERDICT_BY_OUTCOME,
			    "session ended before the end of data");
		/* The reply that ended the session names the reason. */
		decide(r, &d);
		return set(out, VERDICT_DEFERRED,
		    stage_reason(SMTP_STAGE_SESSION, d.reason), d.basis,
		    d.rule);
	case SMTP_OUT_LOCAL:
		decide(r, &d);
		if (d.reason == VERDICT_R_MESSAGE_TOO_BIG)
			return set(out, VERDICT_BOUNCED_SOFT,
			    VERDICT_R_MESSAGE_TOO_BIG, d.basis, d.rule);
		return set(out, VERDICT_BOUNCED_SOFT, VERDICT_R_LOCAL,
		    VERDICT_BY_OUTCOME, "refused before sending");
	case SMTP_OUT_REFUSED:
		break;
	default:
		set(out, VERDICT_DEFERRED, VERDICT_R_PROTOCOL,
		    VERDICT_BY_OUTCOME, "unknown outcome");
		return CLR_EINVAL;
	}

	if ((klass != 4 && klass != 5) ||
	    (unsigned)stage > SMTP_STAGE_SESSION) {
		set(out, VERDICT_DEFERRED, VERDICT_R_PROTOCOL,
		    VERDICT_BY_OUTCOME, "refusal without a 4xx or 5xx");
		return CLR_EINVAL;
	}
	decide(r, &d);
	d.reason = stage_reason(stage, d.reason);
	if (klass == 4 || stage == SMTP_STAGE_SESSION ||
	    d.reason == VERDICT_R_AUTH)
		return set(out, VERDICT_DEFERRED, d.reason, d.basis, d.rule);
	/* Hard only while the reason still names the recipient. */
	if (d.hard && about_recipient(d.reason))
		return set(out, VERDICT_BOUNCED_HARD, d.reason, d.basis,
		    d.rule);
	return set(out, VERDICT_BOUNCED_SOFT, d.reason, d.basis, d.rule);
}

const char *
verdict_name(enum verdict_kind k)
{
	if ((unsigned)k >= VERDICT_KIND_LAST)
		return "?";
	return kind_names[k];
}

const char *
verdict_reason_name(enum verdict_reason r)
{
	if ((unsigned)r >= VERDICT_R_LAST)
		return "?";
	return reason_names[r];
}
