/* SPDX-License-Identifier: ISC */
/*
 * addr/addr.h - e-mail address validation and normalisation
 *
 * Checks a mailbox address the way a bulk sender must before it accepts it
 * as a contact: RFC 5321 size limits (local part 64 octets, domain 255,
 * path 256 with its angle brackets, so 254 for the address), exactly one
 * '@', a dot-atom local part (RFC 5322; UTF-8 allowed as in RFC 6532), and a
 * domain name of at least two labels. Internationalised domains are accepted
 * and converted to their IDNA2008 A-labels (UTS #46 mapping, so case and
 * width are folded); ASCII domains are lower-cased. The local part keeps its
 * case: RFC 5321 says only the receiving host may interpret it.
 *
 * Deliberately refused, with a reason: quoted local parts, address literals
 * ([192.0.2.1]), comments, display names, dotless domains and numeric
 * top-level labels. They are legal in some RFC but are never a subscriber's
 * address, and accepting them widens what later reaches an SMTP command.
 */
#ifndef CLARION_ADDR_H
#define CLARION_ADDR_H

#include <stddef.h>

#define ADDR_MAX	254	/* octets, without the terminating NUL */

/*
 * Validate s[0..n) and write its normalised form to out (ADDR_MAX + 1
 * bytes). Returns 0, or CLR_EINVAL with *why set to a static reason
 * ("the domain has no dot"), or CLR_ENOMEM.
 */
int		 addr_normalize(const char *s, size_t n, char out[ADDR_MAX + 1],
		    const char **why);

/* The domain part of a normalised address (after its '@'). */
const char	*addr_domain(const char *addr);

#endif
