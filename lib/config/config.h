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
#include <stdint.h>

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
	char			*relay;		/* the only relay, or NULL */
	struct config_field	*fields;
	size_t			 nfields;
	struct config_mark	 mark;
	struct config_mark	 template_mark;
	struct config_mark	 subject_mark;
};

/* How a relay's connections are secured (key "tls"). */
enum config_tls {
	CONFIG_TLS_STARTTLS,		/* STARTTLS, required (the default) */
	CONFIG_TLS_IMPLICIT,		/* TLS from the first byte (465) */
	CONFIG_TLS_OPPORTUNISTIC,	/* STARTTLS when offered */
	CONFIG_TLS_NONE,		/* plain text, written out */
};

/* Reply timeouts of an SMTP session, in ms (RFC 5321 4.5.3.2 defaults). */
struct config_smtp_timeouts {
	uint32_t	 connect;
	uint32_t	 greeting;
	uint32_t	 ehlo;		/* EHLO, STARTTLS, AUTH, RSET, QUIT */
	uint32_t	 tls;		/* the handshake */
	uint32_t	 mail;
	uint32_t	 rcpt;
	uint32_t	 data;		/* the 354 */
	uint32_t	 body;		/* between writes of the body */
	uint32_t	 dot;		/* the reply to the end of data */
};

/* A relay (smarthost) messages are handed to (key "relays"). */
struct config_relay {
	char			*name;
	char			*host;		/* name or IP literal */
	unsigned		 port;
	enum config_tls		 tls;
	int			 verify;	/* certificate and host name */
	char			*ca_file;	/* absolute, or NULL: system's */
	char			*server_name;	/* to verify; NULL: host */
	char			*helo;		/* EHLO name, or NULL: hostname */
	char			*auth_user;	/* NULL: no AUTH */
	char			*auth_password_file;	/* absolute */
	unsigned		 auth_mechs;	/* 1 PLAIN, 2 LOGIN; 0: both */
	int			 auth_plaintext;	/* AUTH without TLS */
	int			 pipelining;
	unsigned		 connections;	/* at most, at once */
	unsigned		 messages_per_connection;	/* 0: no limit */
	uint32_t		 idle_timeout;	/* ms */
	uint32_t		 reconnect_min;	/* ms, first backoff */
	uint32_t		 reconnect_max;	/* ms, backoff cap */
	struct config_smtp_timeouts timeouts;
	double			 rate;		/* messages/s; 0: no limit */
	unsigned		 burst;
	unsigned		 weight;
	int			 backup;	/* only when no other is up */
	struct config_mark	 mark;
	struct config_mark	 ca_file_mark;
	struct config_mark	 password_mark;
};

/* Limits for a group of recipient domains (key "shaping.domains"). */
struct config_domain_group {
	char			*name;
	char			**domains;	/* normalised */
	size_t			 ndomains;
	double			 rate;		/* messages/s; 0: no limit */
	unsigned		 burst;
	unsigned		 connections;	/* busy with it at once; 0: any */
	struct config_mark	 mark;
};

/* Rates and adaptive backoff (key "shaping"). */
struct config_shaping {
	double			 rate;		/* all relays; 0: no limit */
	unsigned		 burst;
	struct config_domain_group	*groups;
	size_t			 ngroups;
	struct config_domain_group	 other;	/* every other domain */
	int			 slow_down_set;	/* else lib/shape's list */
	char			**slow_down;	/* reply text patterns */
	size_t			 nslow_down;
	double			 decrease;	/* rate factor on "slow down" */
	double			 floor;		/* lowest rate, messages/s */
	uint32_t		 recover_every;	/* ms of success per step */
	double			 recover_step;	/* of the configured rate */
};

/*
 * How campaigns are sent (key "sending"): the daemon's bounds, the
 * frequency cap, retries and the soft-bounce suppression policy.
 */
struct config_sending {
	unsigned		 window;	/* claimed, unrecorded sends */
	uint64_t		 memory;	/* bytes of rendered messages */
	unsigned		 cap_messages;	/* frequency cap; 0: none */
	uint32_t		 cap_period;	/* seconds */
	uint32_t		*retry;		/* s, after attempt 1, 2.. */
	size_t			 nretry;	/* >= 1; the last repeats */
	uint32_t		 max_age;	/* seconds */
	unsigned		 soft_bounces;	/* that suppress; 0: never */
	uint32_t		 soft_period;	/* seconds */
	struct config_mark	 mark;
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
	struct config_relay	*relays;
	size_t			 nrelays;
	struct config_shaping	 shaping;
	struct config_sending	 sending;
	char			*control_socket;	/* absolute */
	struct config_mark	 control_socket_mark;
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
const struct config_relay	*config_find_relay(const struct config *,
				    const char *);
/* The group whose domains hold domain (normalised), else &shaping.other. */
const struct config_domain_group *config_find_domain_group(
				    const struct config *, const char *domain);

#endif
