/* SPDX-License-Identifier: ISC */
/*
 * config/config.h - clarion.yaml -> validated configuration
 *
 * config_load() reads one YAML file and returns a complete, validated
 * configuration, or NULL and every problem found, each as
 * "FILE:LINE:COL: what is wrong". There is no partial result: a program
 * either starts with all of its configuration or not at all.
 *
 * The YAML accepted is a strict subset: one document, mappings with unique
 * plain keys, no anchors, aliases or tags, valid UTF-8. Unknown keys are
 * errors (with a "did you mean" hint), so a typo never silently falls back
 * to a default. conf/clarion.yaml documents every key.
 *
 * What this module cannot check alone (a segment's SQL, which needs the
 * store) is left to the caller, who gets the source position of each such
 * value (struct config_mark) to report errors in the same form.
 */
#ifndef CLARION_CONFIG_H
#define CLARION_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_FILE		(4 * 1024 * 1024)
#define CONFIG_MAX_ERRORS	50

struct config_mark {
	unsigned	 line;		/* 1-based */
	unsigned	 col;		/* 1-based, in characters */
};

struct config_list {
	char			*name;
	char			*description;	/* or NULL */
	struct config_mark	 mark;
};

struct config_theme {
	char			*name;
	char			*description;	/* or NULL */
	struct config_mark	 mark;
};

struct config_sender {
	char			*name;		/* the key: what campaigns use */
	char			*display_name;	/* or NULL: the From phrase */
	char			*address;	/* normalised */
	char			*reply_to;	/* normalised, or NULL */
	struct config_mark	 mark;
};

struct config_segment {
	char			*name;
	char			*description;	/* or NULL */
	char			**lists;	/* names of declared lists */
	size_t			 nlists;
	char			*theme;		/* name of a declared theme */
	char			*where;		/* SQL expression, or NULL */
	struct config_mark	 mark;
	struct config_mark	 where_mark;
};

/* How messages are addressed, tokened and identified (key "mail"). */
struct config_mail {
	char			*bounce_domain;	/* VERP envelope domain */
	char			*unsubscribe_url;	/* https base; + token */
	char			*unsubscribe_mailto;	/* address, or NULL */
	char			*token_key;	/* absolute path of the key */
	char			*list_id_domain;	/* List-Id suffix */
	char			*feedback_id;	/* Feedback-ID sender id */
	struct config_mark	 mark;
	struct config_mark	 token_key_mark;
};

/* One DKIM signature every message gets (key "dkim", a sequence). */
struct config_dkim {
	char			*domain;
	char			*selector;
	char			*key;		/* absolute path */
	char			*identity;	/* i=, or NULL */
	char			*algorithm;	/* the key's, or NULL: any */
	struct config_mark	 mark;
	struct config_mark	 key_mark;
};

/* A campaign field: a named value its templates can use. */
struct config_field {
	char			*name;
	char			*value;
};

struct config_campaign {
	char			*name;
	char			*description;	/* or NULL */
	char			*segment;	/* a declared segment */
	char			*template;	/* a template set (folder) */
	char			*sender;	/* a declared sender */
	char			*subject;	/* Mustache, or NULL: the set's */
	char			*theme;		/* the segment's theme */
	char			*list;		/* List-Id and unsubscribe scope */
	struct config_field	*fields;
	size_t			 nfields;
	struct config_mark	 mark;
	struct config_mark	 template_mark;
	struct config_mark	 subject_mark;
};

struct config {
	char			*path;		/* as given */
	char			*dir;		/* absolute folder of path */
	char			*database;	/* absolute */
	struct config_mark	 database_mark;
	char			*templates;	/* absolute folder, or NULL */
	struct config_mark	 templates_mark;
	int			 has_mail;	/* the mail section is set */
	struct config_mail	 mail;
	struct config_dkim	*dkim;
	size_t			 ndkim;

	struct config_list	*lists;
	size_t			 nlists;
	struct config_theme	*themes;
	size_t			 nthemes;
	struct config_sender	*senders;
	size_t			 nsenders;
	struct config_segment	*segments;
	size_t			 nsegments;
	struct config_campaign	*campaigns;
	size_t			 ncampaigns;
};

/* Error messages, each "FILE:LINE:COL: text", in the order found. */
struct config_diag {
	char	**msgs;
	size_t	 n;
	int	 truncated;	/* more than CONFIG_MAX_ERRORS were found */
};

/*
 * Load and validate the file at path. Returns the configuration (free it
 * with config_free) or NULL with diag filled (free it with
 * config_diag_free; it is also filled, not reset, on success if warnings
 * were ever added: today there are none).
 */
struct config	*config_load(const char *path, struct config_diag *diag);

/*
 * The same from memory: name is used in messages and dir (absolute) to
 * resolve relative paths. For tests and fuzzing.
 */
struct config	*config_parse(const char *name, const char *dir,
		    const void *data, size_t len, struct config_diag *diag);

void		 config_free(struct config *);

/*
 * Append "FILE:LINE:COL: text" to diag, as the loader does; "FILE: text"
 * without a mark, and text alone when file is NULL (it names its own).
 */
void		 config_diag_add(struct config_diag *, const char *file,
		    const struct config_mark *, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
void		 config_diag_free(struct config_diag *);

const struct config_list	*config_find_list(const struct config *,
				    const char *);
const struct config_theme	*config_find_theme(const struct config *,
				    const char *);
const struct config_segment	*config_find_segment(const struct config *,
				    const char *);
const struct config_sender	*config_find_sender(const struct config *,
				    const char *);
const struct config_campaign	*config_find_campaign(const struct config *,
				    const char *);

#endif
