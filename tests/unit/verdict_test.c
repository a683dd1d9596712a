/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/verdict_test.c - bounce/verdict: what each outcome means
 *
 * One table of (outcome, stage, code, status, text) -> (verdict,
 * ambiguous, reason, basis), most rows real replies from Gmail, Outlook
 * and Exchange Online, Yahoo and AOL, Postfix, Exim, qmail and filtering
 * gateways; then the properties the table cannot show row by row: a
 * 5xx to MAIL FROM or at the session is never hard whatever it says, a
 * 4xx is never a bounce, letter case and line breaks do not change a
 * verdict, inconsistent input still gets a safe verdict, and the name
 * tables match the enums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bounce/verdict.h"
#include "smtp/smtp.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Short names for the table. */
#define SENT_	SMTP_OUT_SENT
#define REFUSED	SMTP_OUT_REFUSED
#define LOCAL	SMTP_OUT_LOCAL
#define NOTSENT	SMTP_OUT_NOT_SENT
#define AMBIG	SMTP_OUT_AMBIGUOUS
#define MAIL	SMTP_STAGE_MAIL
#define RCPT	SMTP_STAGE_RCPT
#define DATA	SMTP_STAGE_DATA
#define DOT	SMTP_STAGE_DOT
#define SESS	SMTP_STAGE_SESSION
#define V_SENT	VERDICT_SENT
#define V_DEF	VERDICT_DEFERRED
#define V_HARD	VERDICT_BOUNCED_HARD
#define V_SOFT	VERDICT_BOUNCED_SOFT
#define R(x)	VERDICT_R_##x
#define B(x)	VERDICT_BY_##x

struct vcase {
	const char		*name;
	enum smtp_outcome	 outcome;
	enum smtp_stage		 stage;
	int			 code;
	const char		*status;
	const char		*text;
	enum verdict_kind	 kind;
	int			 ambiguous;
	enum verdict_reason	 reason;
	enum verdict_basis	 basis;
};

static const struct vcase cases[] = {
	/* Outcomes without a refusal. */
	{ "sent", SENT_, DOT, 250, "2.0.0", "Ok: queued as 4WfXyZ1abc",
	    V_SENT, 0, R(NONE), B(OUTCOME) },
	{ "sent, Gmail", SENT_, DOT, 250, "2.0.0", "OK  1718000000 "
	    "a640c23a62f3a-a6f0f4ed2casi123456766b.312 - gsmtp",
	    V_SENT, 0, R(NONE), B(OUTCOME) },
	{ "ambiguous: end of data sent, no reply", AMBIG, DOT, 0, "", NULL,
	    V_DEF, 1, R(CONNECTION), B(OUTCOME) },
	{ "not sent: connection lost", NOTSENT, SESS, 0, "", NULL,
	    V_DEF, 0, R(CONNECTION), B(OUTCOME) },
	{ "not sent: 421 too many connections at the greeting", NOTSENT,
	    SESS, 421, "4.7.0", "Too many concurrent SMTP connections from "
	    "this IP address; please try again later.",
	    V_DEF, 0, R(RATE_LIMIT), B(TEXT) },
	{ "not sent: 554 Spamhaus block at the greeting", NOTSENT, SESS, 554,
	    "5.7.1", "Service unavailable; Client host [192.0.2.7] blocked "
	    "using zen.spamhaus.org",
	    V_DEF, 0, R(SPAM_BLOCK), B(TEXT) },
	{ "not sent: 554 no SMTP service here", NOTSENT, SESS, 554, "",
	    "No SMTP service here",
	    V_DEF, 0, R(UNKNOWN), B(CLASS) },
	{ "not sent: 421 timeout", NOTSENT, SESS, 421, "4.4.2",
	    "mx.example.org Error: timeout exceeded",
	    V_DEF, 0, R(CONNECTION), B(STATUS) },
	/* Refused here, before sending. */
	{ "local: SIZE, with a status", LOCAL, MAIL, 0, "5.3.4",
	    "message of 31457280 octets is over the server's SIZE 26214400",
	    V_SOFT, 0, R(MESSAGE_TOO_BIG), B(STATUS) },
	{ "local: SIZE, text only", LOCAL, MAIL, 0, "",
	    "Message size exceeds the server's SIZE",
	    V_SOFT, 0, R(MESSAGE_TOO_BIG), B(TEXT) },
	{ "local: no SMTPUTF8", LOCAL, MAIL, 0, "5.6.7",
	    "an address needs SMTPUTF8, which the server lacks",
	    V_SOFT, 0, R(LOCAL), B(OUTCOME) },
	{ "local: no 8BITMIME", LOCAL, MAIL, 0, "",
	    "the body is 8-bit and the server lacks 8BITMIME",
	    V_SOFT, 0, R(LOCAL), B(OUTCOME) },

	/* Gmail. */
	{ "Gmail 550 5.1.1 no such account", REFUSED, RCPT, 550, "5.1.1",
	    "The email account that you tried to reach does not exist. "
	    "Please try\ndouble-checking the recipient's email address for "
	    "typos or\nunnecessary spaces. For more information, go to\n"
	    "https://support.google.com/mail/?p=NoSuchUser "
	    "41be03b00d2f7-7a1c3c5e2d6si2391436a12.113 - gsmtp",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "Gmail 550 5.2.1 account disabled", REFUSED, RCPT, 550, "5.2.1",
	    "The email account that you tried to reach is disabled. Learn "
	    "more at\nhttps://support.google.com/mail/?p=DisabledUser "
	    "d9443c01a7336-1f6fa58e7c2si1 - gsmtp",
	    V_HARD, 0, R(MAILBOX_DISABLED), B(STATUS) },
	{ "Gmail 550 5.2.1 receiving too fast: softened", REFUSED, RCPT, 550,
	    "5.2.1", "The user you are trying to contact is receiving mail "
	    "at a rate that\nprevents additional messages from being "
	    "delivered. Please resend your\nmessage at a later time.",
	    V_SOFT, 0, R(RATE_LIMIT), B(TEXT) },
	{ "Gmail 452 4.2.2 over quota", REFUSED, RCPT, 452, "4.2.2",
	    "The recipient's inbox is out of storage space. Please direct\n"
	    "the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
	    V_DEF, 0, R(MAILBOX_FULL), B(STATUS) },
	{ "Gmail 550 5.7.1 likely unsolicited", REFUSED, DOT, 550, "5.7.1",
	    "[192.0.2.7] Our system has detected that this message is\n"
	    "likely unsolicited mail. To reduce the amount of spam sent to "
	    "Gmail,\nthis message has been blocked.",
	    V_SOFT, 0, R(SPAM_BLOCK), B(TEXT) },
	{ "Gmail 550 5.7.26 unauthenticated", REFUSED, DOT, 550, "5.7.26",
	    "This mail has been blocked because the sender is\n"
	    "unauthenticated. Gmail requires all senders to authenticate "
	    "with\neither SPF or DKIM.",
	    V_SOFT, 0, R(SENDER_AUTH), B(STATUS) },
	{ "Gmail 421 4.7.0 try again later", REFUSED, RCPT, 421, "4.7.0",
	    "Try again later, closing connection. (EHLO)",
	    V_DEF, 0, R(RATE_LIMIT), B(TEXT) },
	{ "Gmail 421 4.7.28 unusual rate", REFUSED, DOT, 421, "4.7.28",
	    "[192.0.2.7] Our system has detected an unusual rate of\n"
	    "unsolicited mail originating from your IP address.",
	    V_DEF, 0, R(RATE_LIMIT), B(STATUS) },
	{ "Gmail 550 5.7.1 recipient policy", REFUSED, RCPT, 550, "5.7.1",
	    "The user or domain that you are sending to (or from) has a "
	    "policy that\nprohibited the mail that you sent.",
	    V_SOFT, 0, R(POLICY), B(TEXT) },
	{ "Gmail 552 5.2.3 too big", REFUSED, DOT, 552, "5.2.3",
	    "Your message exceeded Google's message size limits.",
	    V_SOFT, 0, R(MESSAGE_TOO_BIG), B(STATUS) },
	{ "Gmail 550 5.4.5 daily sending quota", REFUSED, MAIL, 550, "5.4.5",
	    "Daily user sending quota exceeded.",
	    V_SOFT, 0, R(RATE_LIMIT), B(STATUS) },

	/* Microsoft. */
	{ "Outlook 550 5.5.0 mailbox unavailable", REFUSED, RCPT, 550,
	    "5.5.0", "Requested action not taken: mailbox unavailable "
	    "(S2017062302). [AM4PEPF00027A5C.eurprd04.prod.outlook.com]",
	    V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "Exchange Online 550 5.1.10 recipient not found", REFUSED, RCPT,
	    550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not "
	    "found by SMTP address lookup",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "Exchange Online 550 5.4.1 access denied (DBEB)", REFUSED, RCPT,
	    550, "5.4.1", "Recipient address rejected: Access denied. "
	    "AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
	    V_SOFT, 0, R(POLICY), B(TEXT) },
	{ "Outlook 550 5.7.1 banned IP", REFUSED, MAIL, 550, "5.7.1",
	    "Unfortunately, messages from [192.0.2.7] weren't sent. Please "
	    "contact your Internet service provider since part of their "
	    "network is on our block list (S3150).",
	    V_SOFT, 0, R(SPAM_BLOCK), B(TEXT) },
	{ "Microsoft 451 4.7.500 server busy", REFUSED, RCPT, 451, "4.7.500",
	    "Server busy. Please try again later from [192.0.2.7]. (S77719)",
	    V_DEF, 0, R(RATE_LIMIT), B(TEXT) },
	{ "Microsoft 550 5.4.4 nonexistent domain", REFUSED, RCPT, 550,
	    "5.4.4", "SMTPSEND.DNS.NonExistentDomain; nonexistent domain",
	    V_HARD, 0, R(BAD_DOMAIN), B(STATUS) },

	/* Yahoo and AOL. */
	{ "Yahoo 554 no such account, at the end of data", REFUSED, DOT, 554,
	    "", "delivery error: dd This user doesn't have a yahoo.com "
	    "account (someone@yahoo.com) [0] - mta1021.mail.bf1.yahoo.com",
	    V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "Yahoo 554 mailbox disabled", REFUSED, DOT, 554, "",
	    "30 Sorry, your message to someone@yahoo.com cannot be "
	    "delivered. This mailbox is disabled (554.30).",
	    V_HARD, 0, R(MAILBOX_DISABLED), B(TEXT) },
	{ "Yahoo 421 4.7.0 TSS04 deferred", REFUSED, RCPT, 421, "4.7.0",
	    "[TSS04] Messages from 192.0.2.7 temporarily deferred due to "
	    "unexpected volume or user complaints - 4.16.55.1; see "
	    "https://postmaster.yahooinc.com/error-codes",
	    V_DEF, 0, R(RATE_LIMIT), B(TEXT) },
	{ "Yahoo 553 5.7.2 TSS09 permanently deferred", REFUSED, MAIL, 553,
	    "5.7.2", "[TSS09] All messages from 192.0.2.7 will be "
	    "permanently deferred; Retrying will NOT succeed.",
	    V_SOFT, 0, R(POLICY), B(STATUS) },
	{ "Yahoo 552 mailbox not found", REFUSED, RCPT, 552, "",
	    "1 Requested mail action aborted, mailbox not found",
	    V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "AOL 554 5.7.9 policy reasons", REFUSED, DOT, 554, "5.7.9",
	    "Message not accepted for policy reasons. See "
	    "https://senders.yahooinc.com/error-codes",
	    V_SOFT, 0, R(POLICY), B(TEXT) },

	/* Postfix. */
	{ "Postfix 550 5.1.1 user unknown", REFUSED, RCPT, 550, "5.1.1",
	    "<x@example.org>: Recipient address rejected: User unknown in "
	    "virtual mailbox table",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "Postfix 450 4.1.1 user unknown (soft_bounce)", REFUSED, RCPT, 450,
	    "4.1.1", "<x@example.org>: Recipient address rejected: User "
	    "unknown in local recipient table",
	    V_DEF, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "Postfix 450 4.1.2 domain not found", REFUSED, RCPT, 450, "4.1.2",
	    "<x@nx.example>: Recipient address rejected: Domain not found",
	    V_DEF, 0, R(BAD_DOMAIN), B(STATUS) },
	{ "Postfix 550 5.1.2 domain not found", REFUSED, RCPT, 550, "5.1.2",
	    "<x@nx.example>: Recipient address rejected: Domain not found",
	    V_HARD, 0, R(BAD_DOMAIN), B(STATUS) },
	{ "Postfix 554 5.7.1 relay access denied", REFUSED, RCPT, 554,
	    "5.7.1", "<x@elsewhere.example>: Relay access denied",
	    V_SOFT, 0, R(RELAY_DENIED), B(TEXT) },
	{ "Postfix 450 4.2.0 greylisted (postgrey)", REFUSED, RCPT, 450,
	    "4.2.0", "<x@example.org>: Recipient address rejected: "
	    "Greylisted, see http://postgrey.schweikert.ch/help/example.org",
	    V_DEF, 0, R(GREYLIST), B(TEXT) },
	{ "451 4.7.1 Greylisted", REFUSED, RCPT, 451, "4.7.1",
	    "Greylisted, please try again in 300 seconds",
	    V_DEF, 0, R(GREYLIST), B(TEXT) },
	{ "Postfix 552 5.3.4 size", REFUSED, DOT, 552, "5.3.4",
	    "Message size exceeds fixed limit",
	    V_SOFT, 0, R(MESSAGE_TOO_BIG), B(STATUS) },
	{ "Postfix 553 5.1.0 sender rejected at RCPT", REFUSED, RCPT, 553,
	    "5.1.0", "<news@ours.example>: Sender address rejected: User "
	    "unknown in local recipient table",
	    V_SOFT, 0, R(SENDER), B(TEXT) },
	{ "Postfix 450 4.7.1 no hostname", REFUSED, RCPT, 450, "4.7.1",
	    "Client host rejected: cannot find your hostname, [192.0.2.7]",
	    V_DEF, 0, R(SENDER_AUTH), B(TEXT) },
	{ "Postfix 452 4.5.3 too many recipients", REFUSED, RCPT, 452,
	    "4.5.3", "Error: too many recipients",
	    V_DEF, 0, R(RATE_LIMIT), B(STATUS) },
	{ "452 4.5.3 Too many recipients", REFUSED, RCPT, 452, "4.5.3",
	    "Too many recipients",
	    V_DEF, 0, R(RATE_LIMIT), B(STATUS) },
	{ "Postfix 554 5.5.1 no valid recipients", REFUSED, DATA, 554,
	    "5.5.1", "Error: no valid recipients",
	    V_SOFT, 0, R(PROTOCOL), B(STATUS) },
	{ "Postfix 550 5.7.1 content rejected", REFUSED, DOT, 550, "5.7.1",
	    "Message content rejected, id=12345-01 - VIRUS: Eicar-Signature",
	    V_SOFT, 0, R(CONTENT), B(TEXT) },
	{ "Postfix 530 5.7.0 must issue STARTTLS", REFUSED, MAIL, 530,
	    "5.7.0", "Must issue a STARTTLS command first",
	    V_DEF, 0, R(AUTH), B(TEXT) },
	{ "Postfix 535 5.7.8 auth failed, at the session", REFUSED, SESS,
	    535, "5.7.8", "Error: authentication failed: authentication "
	    "failure",
	    V_DEF, 0, R(AUTH), B(STATUS) },
	{ "Postfix 554 5.7.1 sender not owned", REFUSED, MAIL, 553, "5.7.1",
	    "<news@ours.example>: Sender address rejected: not owned by user "
	    "campaigns",
	    V_SOFT, 0, R(SENDER), B(TEXT) },

	/* Exim, qmail, others. */
	{ "Exim 550 unrouteable address", REFUSED, RCPT, 550, "",
	    "Unrouteable address",
	    V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "Exim 550 sender verify failed", REFUSED, RCPT, 550, "",
	    "Verification failed for <news@ours.example>\nUnrouteable "
	    "address\nSender verify failed",
	    V_SOFT, 0, R(SENDER), B(TEXT) },
	{ "Exim 550 administrative prohibition", REFUSED, RCPT, 550, "",
	    "Administrative prohibition",
	    V_SOFT, 0, R(POLICY), B(TEXT) },
	{ "qmail 511 no mailbox here (#5.1.1)", REFUSED, RCPT, 511, "",
	    "sorry, no mailbox here by that name (#5.1.1)",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "qmail 553 rcpthosts (#5.7.1)", REFUSED, RCPT, 553, "",
	    "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
	    V_SOFT, 0, R(RELAY_DENIED), B(TEXT) },
	{ "status in the text, not announced", REFUSED, RCPT, 550, "",
	    "5.1.1 <x@example.org>... User unknown",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "Mimecast 550 invalid recipient", REFUSED, RCPT, 550, "",
	    "Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550",
	    V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "Mimecast 554 security policies", REFUSED, DOT, 554, "",
	    "Email rejected due to security policies - "
	    "https://community.mimecast.com/docs/DOC-1369#554",
	    V_SOFT, 0, R(POLICY), B(TEXT) },
	{ "550 5.7.1 Spamhaus", REFUSED, RCPT, 550, "5.7.1",
	    "Service unavailable; client host [192.0.2.7] blocked using "
	    "Spamhaus. To request removal from this list see "
	    "https://www.spamhaus.org/query/ip/192.0.2.7",
	    V_SOFT, 0, R(SPAM_BLOCK), B(TEXT) },
	{ "552 5.2.2 Mailbox full", REFUSED, RCPT, 552, "5.2.2",
	    "Mailbox full", V_SOFT, 0, R(MAILBOX_FULL), B(STATUS) },
	{ "552 quota, no status", REFUSED, RCPT, 552, "",
	    "Requested mail action aborted: exceeded storage allocation",
	    V_SOFT, 0, R(MAILBOX_FULL), B(TEXT) },
	{ "iCloud 550 5.1.1 user does not exist", REFUSED, RCPT, 550, "5.1.1",
	    "<x@icloud.com>: user does not exist",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "550 no such user", REFUSED, RCPT, 550, "", "No such user here",
	    V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "550 address rejected", REFUSED, RCPT, 550, "",
	    "Address rejected", V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },
	{ "550 insufficient storage, no status", REFUSED, RCPT, 550, "",
	    "Insufficient storage for this user",
	    V_SOFT, 0, R(MAILBOX_FULL), B(TEXT) },
	{ "550 listed at a DNSBL", REFUSED, RCPT, 550, "",
	    "Your IP 192.0.2.7 is listed at bl.example.net",
	    V_SOFT, 0, R(SPAM_BLOCK), B(TEXT) },
	{ "550 reputation", REFUSED, MAIL, 550, "",
	    "Poor sender reputation, try again after improving it",
	    V_SOFT, 0, R(SPAM_BLOCK), B(TEXT) },
	{ "550 with nothing recognisable: soft unknown", REFUSED, RCPT, 550,
	    "", "Requested action not taken",
	    V_SOFT, 0, R(UNKNOWN), B(CLASS) },
	{ "550 with no text at all", REFUSED, RCPT, 550, "", NULL,
	    V_SOFT, 0, R(UNKNOWN), B(CLASS) },
	{ "554 5.7.0 unrecognised: the status's default", REFUSED, DOT, 554,
	    "5.7.0", "Rejected (id 8f2a)",
	    V_SOFT, 0, R(POLICY), B(STATUS) },
	{ "5.7.17 mailbox owner changed (RRVS)", REFUSED, RCPT, 550, "5.7.17",
	    "Mailbox owner has changed",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "5.1.6 moved, no forwarding", REFUSED, RCPT, 550, "5.1.6",
	    "Mailbox has moved", V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "5.1.3 bad syntax", REFUSED, RCPT, 501, "5.1.3",
	    "Bad recipient address syntax",
	    V_HARD, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "5.1.10 null MX", REFUSED, RCPT, 556, "5.1.10",
	    "Recipient address has null MX",
	    V_HARD, 0, R(BAD_DOMAIN), B(STATUS) },
	{ "5.1.4 ambiguous address: soft", REFUSED, RCPT, 550, "5.1.4",
	    "Destination mailbox address ambiguous",
	    V_SOFT, 0, R(BAD_MAILBOX), B(STATUS) },
	{ "5.3.x system: soft", REFUSED, RCPT, 552, "5.3.1",
	    "Mail system full", V_SOFT, 0, R(SYSTEM), B(STATUS) },
	{ "5.6.x content: soft", REFUSED, DOT, 554, "5.6.0",
	    "Media not supported",
	    V_SOFT, 0, R(CONTENT), B(STATUS) },
	{ "5.6.7 non-ASCII address", REFUSED, RCPT, 553, "5.6.7",
	    "Non-ASCII addresses not permitted for that recipient",
	    V_SOFT, 0, R(CONTENT), B(STATUS) },
	{ "5.5.2 syntax error: soft", REFUSED, RCPT, 500, "5.5.2",
	    "Syntax error, command unrecognized",
	    V_SOFT, 0, R(PROTOCOL), B(STATUS) },
	{ "5.4.6 routing loop: soft", REFUSED, RCPT, 554, "5.4.6",
	    "Routing loop detected", V_SOFT, 0, R(ROUTING), B(STATUS) },
	{ "5.7.23 SPF failed", REFUSED, RCPT, 550, "5.7.23",
	    "SPF validation failed", V_SOFT, 0, R(SENDER_AUTH), B(STATUS) },
	{ "5.7.27 sender has null MX", REFUSED, MAIL, 550, "5.7.27",
	    "Sender address has null MX", V_SOFT, 0, R(SENDER), B(STATUS) },
	{ "unknown subject 5.9.9: the text decides", REFUSED, RCPT, 550,
	    "5.9.9", "User unknown", V_HARD, 0, R(BAD_MAILBOX), B(TEXT) },

	/* Codes alone. */
	{ "551 user not local", REFUSED, RCPT, 551, "",
	    "User not local; please try <x@new.example>",
	    V_HARD, 0, R(BAD_MAILBOX), B(CODE) },
	{ "556 domain does not accept mail", REFUSED, RCPT, 556, "",
	    "example.org", V_HARD, 0, R(BAD_DOMAIN), B(CODE) },
	{ "503 bad sequence", REFUSED, DATA, 503, "",
	    "Bad sequence of commands", V_SOFT, 0, R(PROTOCOL), B(CODE) },
	{ "555 parameters", REFUSED, MAIL, 555, "",
	    "MAIL FROM parameters not recognized or not implemented",
	    V_SOFT, 0, R(PROTOCOL), B(CODE) },
	{ "530 at RCPT, no status: deferred", REFUSED, RCPT, 530, "",
	    "Authentication required", V_DEF, 0, R(AUTH), B(TEXT) },
	{ "451 local error", REFUSED, DOT, 451, "",
	    "Requested action aborted: local error in processing",
	    V_DEF, 0, R(SYSTEM), B(CODE) },
	{ "450 nothing more", REFUSED, RCPT, 450, "", "Requested action "
	    "not taken", V_DEF, 0, R(TEMPORARY), B(CODE) },
	{ "458 nothing more", REFUSED, RCPT, 458, "", "Unable to queue",
	    V_DEF, 0, R(TEMPORARY), B(CLASS) },
	{ "421 service not available", REFUSED, DOT, 421, "",
	    "mx.example.org Service not available, closing transmission "
	    "channel", V_DEF, 0, R(RATE_LIMIT), B(CODE) },

	/* Stage: MAIL and the session are never about the recipient. */
	{ "5.1.1 to MAIL FROM is our sender", REFUSED, MAIL, 550, "5.1.1",
	    "<news@ours.example>... User unknown",
	    V_SOFT, 0, R(SENDER), B(STATUS) },
	{ "5.1.8 bad sender domain", REFUSED, MAIL, 553, "5.1.8",
	    "<news@ours.example>: Sender address rejected: Domain not found",
	    V_SOFT, 0, R(SENDER), B(STATUS) },
	{ "552 to MAIL FROM without status", REFUSED, MAIL, 552, "",
	    "Requested mail action aborted",
	    V_SOFT, 0, R(SYSTEM), B(CODE) },
	{ "550 at the session: deferred", REFUSED, SESS, 550, "5.1.1",
	    "User unknown", V_DEF, 0, R(CONNECTION), B(STATUS) },
	{ "554 5.7.1 at the greeting: deferred", REFUSED, SESS, 554, "5.7.1",
	    "Your IP is on our block list", V_DEF, 0, R(SPAM_BLOCK),
	    B(TEXT) },
};

static void
check_case(const struct vcase *c)
{
	struct smtp_reply	 r;
	struct verdict		 v;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.code = c->code;
	snprintf(r.status, sizeof(r.status), "%s", c->status);
	r.text = c->text;
	memset(&v, 0xA5, sizeof(v));
	rc = verdict_classify(c->outcome, c->stage, &r, &v);
	if (rc != 0 || v.kind != c->kind || v.ambiguous != c->ambiguous ||
	    v.reason != c->reason || v.basis != c->basis)
		fail_msg("%s: got rc %d, %s/%s%s by %d (%s); want %s/%s%s "
		    "by %d", c->name, rc, verdict_name(v.kind),
		    verdict_reason_name(v.reason), v.ambiguous ?
		    " ambiguous" : "", (int)v.basis, v.rule ? v.rule : "-",
		    verdict_name(c->kind), verdict_reason_name(c->reason),
		    c->ambiguous ? " ambiguous" : "", (int)c->basis);
	assert_non_null(v.rule);
	assert_true(v.rule[0] != '\0');
}

static void
test_table(void **state)
{
	size_t	 i, hard = 0, soft = 0, def = 0, sent = 0;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		check_case(&cases[i]);
		switch (cases[i].kind) {
		case VERDICT_BOUNCED_HARD:
			hard++;
			break;
		case VERDICT_BOUNCED_SOFT:
			soft++;
			break;
		case VERDICT_DEFERRED:
			def++;
			break;
		default:
			sent++;
			break;
		}
	}
	print_message("%zu cases: %zu hard, %zu soft, %zu deferred, "
	    "%zu sent\n", ARRAY_LEN(cases), hard, soft, def, sent);
	assert_true(ARRAY_LEN(cases) >= 60);
}

/*
 * Every row again, with the text in upper case and its spaces turned
 * into line breaks and runs of blanks: the same verdict.
 */
static void
test_case_and_spacing(void **state)
{
	char		 text[2048];
	struct vcase	 c;
	size_t		 i, j, o;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		c = cases[i];
		if (c.text == NULL)
			continue;
		for (j = 0, o = 0; c.text[j] != '\0' && o + 4 < sizeof(text);
		    j++) {
			char	 ch = c.text[j];

			if (ch == ' ') {
				text[o++] = j % 2 ? '\n' : ' ';
				text[o++] = '\t';
				continue;
			}
			text[o++] = ch >= 'a' && ch <= 'z' ?
			    (char)(ch - 'a' + 'A') : ch;
		}
		text[o] = '\0';
		c.text = text;
		check_case(&c);
	}
}

/*
 * Whatever the reply says, a 5xx to MAIL FROM is never hard, one at the
 * session or a 4xx is never a bounce, and SENT, AMBIGUOUS and NOT_SENT
 * never bounce.
 */
static void
test_stage_rules(void **state)
{
	static const enum smtp_stage	 stages[] = {
		SMTP_STAGE_MAIL, SMTP_STAGE_RCPT, SMTP_STAGE_DATA,
		SMTP_STAGE_DOT, SMTP_STAGE_SESSION
	};
	static const char *const	 statuses[] = {
		"", "X.1.1", "X.1.2", "X.1.10", "X.2.1", "X.4.4", "X.7.17",
		"X.2.2", "X.7.1"
	};
	struct smtp_reply		 r;
	struct verdict			 v;
	size_t				 i, s, k, st, n = 0;
	int				 code;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		for (s = 0; s < ARRAY_LEN(stages); s++) {
			for (st = 0; st < ARRAY_LEN(statuses); st++) {
				for (k = 0; k < 3; k++) {
					code = k == 0 ? 421 : k == 1 ? 450 :
					    550;
					memset(&r, 0, sizeof(r));
					r.code = code;
					if (statuses[st][0] != '\0')
						snprintf(r.status,
						    sizeof(r.status), "%c%s",
						    '0' + code / 100,
						    statuses[st] + 1);
					r.text = cases[i].text;
					assert_int_equal(verdict_classify(
					    SMTP_OUT_REFUSED, stages[s], &r,
					    &v), 0);
					if (code / 100 == 4 ||
					    stages[s] == SMTP_STAGE_SESSION)
						assert_int_equal(v.kind,
						    VERDICT_DEFERRED);
					if (stages[s] == SMTP_STAGE_MAIL)
						assert_int_not_equal(v.kind,
						    VERDICT_BOUNCED_HARD);
					if (v.kind == VERDICT_BOUNCED_HARD)
						assert_true(v.reason ==
						    VERDICT_R_BAD_MAILBOX ||
						    v.reason ==
						    VERDICT_R_BAD_DOMAIN ||
						    v.reason ==
						    VERDICT_R_MAILBOX_DISABLED);
					assert_int_equal(v.ambiguous, 0);
					n++;
				}
			}
			assert_int_equal(verdict_classify(SMTP_OUT_NOT_SENT,
			    stages[s], &r, &v), 0);
			assert_int_equal(v.kind, VERDICT_DEFERRED);
			assert_int_equal(verdict_classify(SMTP_OUT_AMBIGUOUS,
			    stages[s], &r, &v), 0);
			assert_int_equal(v.kind, VERDICT_DEFERRED);
			assert_int_equal(v.ambiguous, 1);
			assert_int_equal(verdict_classify(SMTP_OUT_SENT,
			    stages[s], &r, &v), 0);
			assert_int_equal(v.kind, VERDICT_SENT);
		}
	}
	print_message("%zu refusals checked against the stage rules\n", n);
}

/* Inconsistent input: CLR_EINVAL, and still a verdict that loses nothing. */
static void
test_inconsistent(void **state)
{
	static const int	 codes[] = { 0, 199, 250, 354, 600, -1 };
	struct smtp_reply	 r;
	struct verdict		 v;
	size_t			 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < ARRAY_LEN(codes); i++) {
		r.code = codes[i];
		memset(&v, 0, sizeof(v));
		v.kind = VERDICT_BOUNCED_HARD;
		assert_int_equal(verdict_classify(SMTP_OUT_REFUSED,
		    SMTP_STAGE_RCPT, &r, &v), CLR_EINVAL);
		assert_int_equal(v.kind, VERDICT_DEFERRED);
		assert_int_equal(v.reason, VERDICT_R_PROTOCOL);
	}
	r.code = 550;
	v.kind = VERDICT_BOUNCED_HARD;
	assert_int_equal(verdict_classify(SMTP_OUT_REFUSED,
	    (enum smtp_stage)42, &r, &v), CLR_EINVAL);
	assert_int_equal(v.kind, VERDICT_DEFERRED);
	v.kind = VERDICT_BOUNCED_HARD;
	assert_int_equal(verdict_classify((enum smtp_outcome)42,
	    SMTP_STAGE_RCPT, &r, &v), CLR_EINVAL);
	assert_int_equal(v.kind, VERDICT_DEFERRED);

	/* No reply at all. */
	assert_int_equal(verdict_classify(SMTP_OUT_SENT, SMTP_STAGE_DOT, NULL,
	    &v), 0);
	assert_int_equal(v.kind, VERDICT_SENT);
	assert_int_equal(verdict_classify(SMTP_OUT_NOT_SENT,
	    SMTP_STAGE_SESSION, NULL, &v), 0);
	assert_int_equal(v.kind, VERDICT_DEFERRED);
	assert_int_equal(v.reason, VERDICT_R_CONNECTION);
	assert_int_equal(verdict_classify(SMTP_OUT_LOCAL, SMTP_STAGE_MAIL,
	    NULL, &v), 0);
	assert_int_equal(v.kind, VERDICT_BOUNCED_SOFT);
	assert_int_equal(v.reason, VERDICT_R_LOCAL);
	assert_int_equal(verdict_classify(SMTP_OUT_REFUSED, SMTP_STAGE_RCPT,
	    NULL, &v), CLR_EINVAL);
	assert_int_equal(v.kind, VERDICT_DEFERRED);

	/* Malformed statuses are no status: the text decides. */
	{
		static const char *const bad[] = {
			"5.1", "5..1", "5.1.1.1", "5.1234.1", "5.1.1234",
			"3.1.1", "5-1-1", "x.1.1", "5.1.1 "
		};

		r.code = 550;
		r.text = "Requested action not taken";
		for (i = 0; i < ARRAY_LEN(bad); i++) {
			snprintf(r.status, sizeof(r.status), "%s", bad[i]);
			assert_int_equal(verdict_classify(SMTP_OUT_REFUSED,
			    SMTP_STAGE_RCPT, &r, &v), 0);
			assert_int_equal(v.kind, VERDICT_BOUNCED_SOFT);
			assert_int_equal(v.reason, VERDICT_R_UNKNOWN);
		}
	}
}

/* A long text: searched up to SMTP_TEXT_MAX, never past it. */
static void
test_long_text(void **state)
{
	static char		 text[SMTP_TEXT_MAX * 2];
	struct smtp_reply	 r;
	struct verdict		 v;

	memset(&r, 0, sizeof(r));
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text + 100, "user unknown", 12);
	r.code = 550;
	r.text = text;
	assert_int_equal(verdict_classify(SMTP_OUT_REFUSED, SMTP_STAGE_RCPT,
	    &r, &v), 0);
	assert_int_equal(v.kind, VERDICT_BOUNCED_HARD);
	memset(text + 100, 'x', 12);
	memcpy(text + SMTP_TEXT_MAX + 100, "user unknown", 12);
	assert_int_equal(verdict_classify(SMTP_OUT_REFUSED, SMTP_STAGE_RCPT,
	    &r, &v), 0);
	assert_int_equal(v.kind, VERDICT_BOUNCED_SOFT);
	assert_int_equal(v.reason, VERDICT_R_UNKNOWN);
}

static void
test_names(void **state)
{
	static const char *const kinds[] = {
		"sent", "deferred", "bounced-hard", "bounced-soft"
	};
	size_t	 i, j;

	for (i = 0; i < ARRAY_LEN(kinds); i++)
		assert_string_equal(verdict_name((enum verdict_kind)i),
		    kinds[i]);
	assert_string_equal(verdict_name(VERDICT_KIND_LAST), "?");
	assert_string_equal(verdict_reason_name(VERDICT_R_BAD_MAILBOX),
	    "bad-mailbox");
	assert_string_equal(verdict_reason_name(VERDICT_R_MESSAGE_TOO_BIG),
	    "message-too-big");
	assert_string_equal(verdict_reason_name(VERDICT_R_SPAM_BLOCK),
	    "spam-block");
	assert_string_equal(verdict_reason_name(VERDICT_R_UNKNOWN),
	    "unknown");
	assert_string_equal(verdict_reason_name(VERDICT_R_LAST), "?");
	/* Every reason named, each name distinct, lower case and dashes. */
	for (i = 0; i < VERDICT_R_LAST; i++) {
		const char	*a = verdict_reason_name((enum verdict_reason)i);

		assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz-"),
		    strlen(a));
		for (j = 0; j < i; j++)
			assert_string_not_equal(a, verdict_reason_name(
			    (enum verdict_reason)j));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_case_and_spacing),
		cmocka_unit_test(test_stage_rules),
		cmocka_unit_test(test_inconsistent),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
