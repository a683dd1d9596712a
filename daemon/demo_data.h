/* SPDX-License-Identifier: ISC */
/*
 * daemon/demo_data.h - deterministic demo contacts, as CSV for import
 *
 * Writes a contact base shaped like the NGO's into three RFC 4180 files
 * that "clarionctl import" loads: contacts.csv (everyone), activists.csv
 * (petition signers) and newsletter.csv (newsletter subscribers). Names are
 * French, Walloon, Flemish and German-speaking Belgian, with their accents;
 * the address domains mix the big mailbox providers of a Belgian list with a
 * long tail of organisation domains, a few upper-cased ones and a few
 * internationalised ones written in UTF-8. The same seed always gives
 * byte-identical files, on every platform: nothing comes from the clock, the
 * C locale or rand().
 *
 * The addresses are invented, but many of them (jean.dupont@gmail.com) will
 * belong to real people. Send to them only through a test sink, never
 * through a real relay.
 */
#ifndef CLARION_DEMO_DATA_H
#define CLARION_DEMO_DATA_H

#include <stdint.h>

#include "util/err.h"

#define DEMO_DATA_CONTACTS_DEFAULT	600000
#define DEMO_DATA_CONTACTS_MAX		10000000	/* about 60 bytes of
							   memory each */

struct demo_data_options {
	const char	*dir;		/* output folder, must exist */
	uint64_t	 seed;		/* same seed -> byte-identical files */
	unsigned	 contacts;	/* total contacts; 0: the default */
};

struct demo_data_counts {
	unsigned	 contacts;	/* rows of contacts.csv */
	unsigned	 activists;	/* rows of activists.csv */
	unsigned	 newsletter;	/* rows of newsletter.csv */
	unsigned	 both;		/* contacts in both of those files */
	unsigned	 unsubscribed;	/* status counts, over all contacts */
	unsigned	 bounced;
	unsigned	 complained;
};

/*
 * Write contacts.csv, activists.csv and newsletter.csv into opt->dir,
 * replacing files of those names.
 *
 * contacts.csv has the header
 *	email,first_name,last_name,locale,status,city,postcode,country,joined
 * with status empty for active contacts, else unsubscribed, bounced or
 * complained; country a two-letter code (BE, FR, LU, NL) and joined a date
 * (YYYY-MM-DD, 2012-01-01 to 2026-06-30). activists.csv has
 *	email,last_petition
 * for about 195/600 of the contacts, and newsletter.csv
 *	email,first_name,newsletter_format
 * (html or text) for about 220/600 of them, 80/600 being in both. Every
 * address is written exactly as in contacts.csv, and no two addresses are
 * equal once lower-cased. The files are UTF-8 without a byte-order mark,
 * with LF line ends.
 *
 * Each file is written as <name>.tmp and renamed once all three are
 * complete, so a failure leaves no partial file behind (but should the
 * second or third rename fail, the files renamed before it stay). The
 * options are only read during the call.
 *
 * Returns 0 with counts filled (counts may be NULL), or a negative CLR_E*
 * code with err filled (err may be NULL): CLR_EINVAL for bad options,
 * CLR_ENOMEM, or the file error (CLR_ENOENT, CLR_EPERM, CLR_EFULL,
 * CLR_EIO) with the file's path in the message. Keeps no global state.
 */
int	 demo_data_write(const struct demo_data_options *opt,
	    struct demo_data_counts *counts, struct clr_err *err);

#endif
