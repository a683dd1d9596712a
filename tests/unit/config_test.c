/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/config_test.c - config: every class of mistake, with its
 * exact FILE:LINE:COL message, and what a valid file yields
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

/* A valid base, so each case differs from it by one mistake. */
#define BASE_LISTS	"lists:\n  a:\n"
#define BASE_THEMES	"themes:\n  t:\n"
#define BASE_SENDERS	"senders:\n  s:\n    address: s@example.org\n"
#define BASE		"database: x.db\n" BASE_LISTS BASE_THEMES BASE_SENDERS

struct bad_case {
	const char	*name;
	const char	*yaml;
	const char	*expect;	/* one message must equal this */
};

static const struct bad_case bad_cases[] = {
	{ "unknown top-level key with a hint",
	  BASE "databse: y.db\n",
	  "t.yaml:9:1: unknown key \"databse\" in the top level "
	  "(did you mean \"database\"?)" },
	{ "unknown key without a hint",
	  BASE "frobnicate: {}\n",
	  "t.yaml:9:1: unknown key \"frobnicate\" in the top level" },
	{ "unknown key in a nested mapping",
	  "database: x.db\nlists:\n  a:\n    descripton: x\n"
	  BASE_THEMES BASE_SENDERS,
	  "t.yaml:4:5: unknown key \"descripton\" in list \"a\" "
	  "(did you mean \"description\"?)" },
	{ "duplicate top-level key",
	  BASE "database: y.db\n",
	  "t.yaml:9:1: duplicate key \"database\" (first at line 1, "
	  "column 1)" },
	{ "duplicate nested key",
	  "database: x.db\nlists:\n  a:\n  b:\n  a:\n"
	  BASE_THEMES BASE_SENDERS,
	  "t.yaml:5:3: duplicate key \"a\" (first at line 3, column 3)" },
	{ "missing database",
	  BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:1: the top level: missing required key \"database\"" },
	{ "database given as null",
	  "database:\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:10: the top level: missing required key \"database\"" },
	{ "missing section",
	  "database: x.db\n" BASE_LISTS BASE_THEMES,
	  "t.yaml:1:1: missing required section \"senders\"" },
	{ "empty section",
	  "database: x.db\nlists: {}\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:2:8: section \"lists\" must declare at least one list" },
	{ "section of the wrong type",
	  "database: x.db\nlists: [a, b]\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:2:8: section \"lists\" must be a mapping, got a sequence" },
	{ "scalar where a string is wanted but a mapping is given",
	  "database: {path: x.db}\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:11: \"database\" in the top level must be a string, "
	  "got a mapping" },
	{ "entry that is not a mapping",
	  "database: x.db\nlists:\n  a: yes\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:3:6: list \"a\" must be a mapping of settings, "
	  "got a scalar" },
	{ "missing required nested key",
	  BASE_LISTS BASE_THEMES "database: x.db\nsenders:\n  s:\n"
	  "    name: S\n",
	  "t.yaml:7:3: sender \"s\": missing required key \"address\"" },
	{ "invalid sender address",
	  "database: x.db\n" BASE_LISTS BASE_THEMES
	  "senders:\n  s:\n    address: nobody\n",
	  "t.yaml:8:14: \"address\" in sender \"s\" is not a valid address: "
	  "the address has no @" },
	{ "line break in a display name",
	  "database: x.db\n" BASE_LISTS BASE_THEMES
	  "senders:\n  s:\n    name: \"A\\r\\nBcc: x@y.z\"\n"
	  "    address: s@example.org\n",
	  "t.yaml:8:11: \"name\" in sender \"s\" contains a control "
	  "character or line break" },
	{ "invalid name",
	  "database: x.db\nlists:\n  Bad Name:\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:3:3: list name \"Bad Name\" is not valid: use 1 to 64 "
	  "lower-case letters, digits, '-' and '_', starting with a letter "
	  "or digit" },
	{ "anchor",
	  "database: x.db\nlists: &l\n  a:\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:2:8: anchors (&l) are not allowed" },
	{ "alias",
	  "database: &d x.db\nfoo: *d\n",
	  "t.yaml:1:11: anchors (&d) are not allowed" },
	{ "alias alone",
	  BASE "segments: *x\n",
	  "t.yaml:9:11: aliases (*x) are not allowed" },
	{ "tag",
	  "database: !path x.db\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:11: tags (!path) are not allowed" },
	{ "invalid UTF-8",
	  "database: x.db\nlists:\n  a:\n    description: caf\xC3\x28\n"
	  BASE_THEMES BASE_SENDERS,
	  "t.yaml:4:21: invalid UTF-8 (byte 0xC3)" },
	{ "invalid UTF-8 after multibyte characters",
	  "database: \xC3\xA9\xC3\xA9\xFF.db\n",
	  "t.yaml:1:13: invalid UTF-8 (byte 0xFF)" },
	{ "NUL escape",
	  "database: \"x\\0.db\"\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:11: NUL characters are not allowed" },
	{ "YAML syntax error",
	  "database: x.db\nlists: [a\n",
	  "t.yaml:3:1: did not find expected ',' or ']' (while parsing a "
	  "flow sequence at line 2)" },
	{ "two documents",
	  "---\n" BASE "---\ndatabase: y.db\n",
	  "t.yaml:10:1: only one YAML document is allowed in a "
	  "configuration file" },
	{ "empty file",
	  "",
	  "t.yaml:1:1: the configuration is empty" },
	{ "root is a sequence",
	  "- a\n- b\n",
	  "t.yaml:1:1: the configuration must be a mapping of keys to "
	  "values, got a sequence" },
	{ "mapping used as a key",
	  "? {a: b}\n: c\n",
	  "t.yaml:1:3: mapping keys must be plain strings, not a mapping" },
	{ "segment with an unknown list",
	  BASE "segments:\n  g:\n    lists: [a, nope]\n    theme: t\n",
	  "t.yaml:11:16: segment \"g\": unknown list \"nope\" (not declared "
	  "under lists)" },
	{ "segment with an unknown theme",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: tt\n",
	  "t.yaml:12:12: segment \"g\": unknown theme \"tt\" (not declared "
	  "under themes)" },
	{ "segment without lists",
	  BASE "segments:\n  g:\n    theme: t\n",
	  "t.yaml:10:3: segment \"g\": missing required key \"lists\"" },
	{ "segment with an empty list of lists",
	  BASE "segments:\n  g:\n    lists: []\n    theme: t\n",
	  "t.yaml:11:12: \"lists\" in segment \"g\" must be a non-empty "
	  "sequence of list names, got an empty sequence" },
	{ "segment lists given as a string",
	  BASE "segments:\n  g:\n    lists: a\n    theme: t\n",
	  "t.yaml:11:12: \"lists\" in segment \"g\" must be a non-empty "
	  "sequence of list names, got a scalar" },
	{ "segment naming a list twice",
	  BASE "segments:\n  g:\n    lists: [a, a]\n    theme: t\n",
	  "t.yaml:11:16: segment \"g\": list \"a\" is named twice" },
	{ "segment where of the wrong type",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "    where: [1]\n",
	  "t.yaml:13:12: \"where\" in segment \"g\" must be a string, "
	  "got a sequence" },
	{ "campaign with an unknown segment",
	  BASE "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: nope\n    template: news\n"
	  "    sender: s\n",
	  "t.yaml:17:14: campaign \"c\": unknown segment \"nope\" (not "
	  "declared under segments)" },
	{ "campaign with an unknown sender",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: nobody\n",
	  "t.yaml:23:13: campaign \"c\": unknown sender \"nobody\" (not "
	  "declared under senders)" },
	{ "campaign whose theme is not its segment's",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n    theme: other\n",
	  "t.yaml:24:12: campaign \"c\": theme \"other\" is not the theme "
	  "of its segment \"g\" (\"t\"), whose contacts consented to that "
	  "one" },
	{ "campaign naming a relay that is not declared",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "relays:\n  main:\n    host: 127.0.0.1\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n    relay: mian\n",
	  "t.yaml:27:12: campaign \"c\": no relay \"mian\" is declared" },
	{ "campaigns without mail",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n",
	  "t.yaml:1:1: campaigns need the section \"mail\"" },
	{ "campaigns without templates",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "mail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n",
	  "t.yaml:1:1: the top level: missing required key \"templates\"" },
	{ "an http unsubscribe URL",
	  BASE "mail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: http://example.org/u/\n  token_key: t.key\n",
	  "t.yaml:12:20: \"unsubscribe_url\" in section \"mail\" must be an "
	  "https:// URL without spaces, quotes or angle brackets" },
	{ "a bad bounce domain",
	  BASE "mail:\n  bounce_domain: not a domain\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n",
	  "t.yaml:10:18: \"bounce_domain\" in section \"mail\" is not a "
	  "valid domain name" },
	{ "dkim not a sequence",
	  BASE "dkim:\n  domain: example.org\n",
	  "t.yaml:10:3: section \"dkim\" must be a sequence of signatures, "
	  "got a mapping" },
	{ "dkim selector not a label",
	  BASE "dkim:\n  - domain: example.org\n    selector: \"a b\"\n"
	  "    key: k.pem\n",
	  "t.yaml:11:15: \"selector\" in DKIM signature 1 is not a DNS "
	  "label" },
	{ "dkim without key",
	  BASE "dkim:\n  - domain: example.org\n    selector: s1\n",
	  "t.yaml:10:5: DKIM signature 1: missing required key \"key\"" },
	{ "relay without host",
	  BASE "relays:\n  main:\n    port: 25\n",
	  "t.yaml:10:3: relay \"main\": missing required key \"host\"" },
	{ "relay host not a host name",
	  BASE "relays:\n  main:\n    host: \"smtp example\"\n",
	  "t.yaml:11:11: \"host\" in relay \"main\" must be a host name or an "
	  "IP address, got \"smtp example\"" },
	{ "relay port out of range",
	  BASE "relays:\n  main:\n    host: 127.0.0.1\n    port: 70000\n",
	  "t.yaml:12:11: \"port\" in relay \"main\" must be a whole number "
	  "from 1 to 65535, got \"70000\"" },
	{ "relay tls unknown",
	  BASE "relays:\n  main:\n    host: ::1\n    tls: ssl\n",
	  "t.yaml:12:10: \"tls\" in relay \"main\" must be starttls, implicit, "
	  "opportunistic or none, got \"ssl\"" },
	{ "relay verify not a boolean",
	  BASE "relays:\n  main:\n    host: ::1\n    verify: no\n",
	  "t.yaml:12:13: \"verify\" in relay \"main\" must be true or false, "
	  "got \"no\"" },
	{ "relay verify without TLS",
	  BASE "relays:\n  main:\n    host: ::1\n    tls: none\n"
	  "    verify: false\n",
	  "t.yaml:13:13: relay \"main\": verify, ca_file and server_name need "
	  "TLS, and tls is none" },
	{ "relay ca_file without verify",
	  BASE "relays:\n  main:\n    host: ::1\n    verify: false\n"
	  "    ca_file: ca.pem\n",
	  "t.yaml:12:13: relay \"main\": ca_file and server_name are only "
	  "used to verify, and verify is false" },
	{ "relay AUTH over plain text",
	  BASE "relays:\n  main:\n    host: ::1\n    tls: none\n"
	  "    auth:\n      user: u\n      password_file: p\n",
	  "t.yaml:10:3: relay \"main\": AUTH would go over plain text (tls is "
	  "none); set plaintext: true under auth to allow it" },
	{ "relay auth without password file",
	  BASE "relays:\n  main:\n    host: ::1\n    auth:\n      user: u\n",
	  "t.yaml:12:5: \"auth\" of relay \"main\": missing required key "
	  "\"password_file\"" },
	{ "relay auth mechanism unknown",
	  BASE "relays:\n  main:\n    host: ::1\n    auth:\n      user: u\n"
	  "      password_file: p\n      mechanisms: [plain, cram-md5]\n",
	  "t.yaml:15:27: \"mechanisms\" in \"auth\" of relay \"main\": "
	  "\"cram-md5\" is not one of plain, login" },
	{ "relay duration without unit",
	  BASE "relays:\n  main:\n    host: ::1\n    idle_timeout: 30\n",
	  "t.yaml:12:19: \"idle_timeout\" in relay \"main\" must be a duration "
	  "such as 500ms, 30s, 5m or 1h, got \"30\"" },
	{ "relay timeout too short",
	  BASE "relays:\n  main:\n    host: ::1\n    timeouts:\n"
	  "      dot: 10ms\n",
	  "t.yaml:13:12: \"dot\" in \"timeouts\" of relay \"main\" must be "
	  "from 1000ms to 86400000ms, got 10ms" },
	{ "relay timeout unknown phase",
	  BASE "relays:\n  main:\n    host: ::1\n    timeouts:\n"
	  "      dots: 10m\n",
	  "t.yaml:13:7: unknown key \"dots\" in \"timeouts\" of relay \"main\" "
	  "(did you mean \"dot\"?)" },
	{ "relay reconnect backwards",
	  BASE "relays:\n  main:\n    host: ::1\n    reconnect_min: 1m\n"
	  "    reconnect_max: 10s\n",
	  "t.yaml:10:3: relay \"main\": reconnect_max is shorter than "
	  "reconnect_min" },
	{ "relay rate without unit",
	  BASE "relays:\n  main:\n    host: ::1\n    rate: 100\n",
	  "t.yaml:12:11: \"rate\" in relay \"main\" must be a rate such as "
	  "100/s, 3000/m or 500/h, got \"100\"" },
	{ "relay rate zero",
	  BASE "relays:\n  main:\n    host: ::1\n    rate: 0/s\n",
	  "t.yaml:12:11: \"rate\" in relay \"main\" must be more than 0 and at "
	  "most 1000000/s, got 0/s" },
	{ "relay burst without rate",
	  BASE "relays:\n  main:\n    host: ::1\n    burst: 10\n",
	  "t.yaml:12:12: relay \"main\": burst needs a rate" },
	{ "only backup relays",
	  BASE "relays:\n  main:\n    host: ::1\n    backup: true\n",
	  "t.yaml:10:3: every relay is a backup: at least one must not be" },
	{ "relays not a mapping",
	  BASE "relays:\n  - host: ::1\n",
	  "t.yaml:10:3: section \"relays\" must be a mapping, got a "
	  "sequence" },
	{ "shaping unknown key",
	  BASE "shaping:\n  rates: 10/s\n",
	  "t.yaml:10:3: unknown key \"rates\" in section \"shaping\" (did you "
	  "mean \"rate\"?)" },
	{ "domain group without match",
	  BASE "shaping:\n  domains:\n    google:\n      rate: 10/s\n",
	  "t.yaml:11:5: domain group \"google\": \"match\" must be a sequence "
	  "of 1 to 1000 domains" },
	{ "domain group with a bad domain",
	  BASE "shaping:\n  domains:\n    google:\n"
	  "      match: [gmail.com, \"not a domain\"]\n",
	  "t.yaml:12:26: domain group \"google\": \"not a domain\" is not a "
	  "domain name" },
	{ "domain in two groups",
	  BASE "shaping:\n  domains:\n    a:\n      match: [gmail.com]\n"
	  "    b:\n      match: [GMAIL.com]\n",
	  "t.yaml:14:15: domain group \"b\": domain gmail.com is already in "
	  "another group" },
	{ "domain group connections zero",
	  BASE "shaping:\n  domains:\n    a:\n      match: [gmail.com]\n"
	  "      connections: 0\n",
	  "t.yaml:13:20: \"connections\" in domain group \"a\" must be a whole "
	  "number from 1 to 1000, got \"0\"" },
	{ "slow_down decrease of 1",
	  BASE "shaping:\n  slow_down:\n    decrease: 1\n",
	  "t.yaml:11:15: \"decrease\" in \"slow_down\" of section \"shaping\" "
	  "must be under 1, or slowing down would not slow anything" },
	{ "slow_down pattern empty",
	  BASE "shaping:\n  slow_down:\n    patterns: [\"too many\", \"\"]\n",
	  "t.yaml:11:28: items of \"patterns\" in \"slow_down\" of section "
	  "\"shaping\" must be texts of 1 to 128 characters on one line" },
	{ "slow_down floor above the rate",
	  BASE "shaping:\n  rate: 1/m\n  slow_down:\n    floor: 2/m\n",
	  "t.yaml:12:12: section \"shaping\": the slow-down floor is above "
	  "the rate" },
	{ "control_socket unknown key with a hint",
	  BASE "control_sockt: c.sock\n",
	  "t.yaml:9:1: unknown key \"control_sockt\" in the top level "
	  "(did you mean \"control_socket\"?)" },
	{ "control_socket of the wrong type",
	  BASE "control_socket: [c.sock]\n",
	  "t.yaml:9:17: \"control_socket\" in the top level must be a string, "
	  "got a sequence" },
	{ "control_socket empty",
	  BASE "control_socket: \"\"\n",
	  "t.yaml:9:17: \"control_socket\" in the top level must name a file, "
	  "not a folder" },
	{ "control_socket a folder",
	  BASE "control_socket: run/\n",
	  "t.yaml:9:17: \"control_socket\" in the top level must name a file, "
	  "not a folder" },
	{ "control_socket the database",
	  BASE "control_socket: x.db\n",
	  "t.yaml:9:17: \"control_socket\" in the top level is a file of the "
	  "database (/tmp/x.db)" },
	{ "control_socket the database's journal",
	  BASE "control_socket: /tmp/x.db-wal\n",
	  "t.yaml:9:17: \"control_socket\" in the top level is a file of the "
	  "database (/tmp/x.db-wal)" },
	{ "sending unknown key with a hint",
	  BASE "sending:\n  windw: 10\n",
	  "t.yaml:10:3: unknown key \"windw\" in section \"sending\" (did you "
	  "mean \"window\"?)" },
	{ "sending not a mapping",
	  BASE "sending: [window]\n",
	  "t.yaml:9:10: section \"sending\" must be a mapping, got a "
	  "sequence" },
	{ "sending window zero",
	  BASE "sending:\n  window: 0\n",
	  "t.yaml:10:11: \"window\" in section \"sending\" must be a whole "
	  "number from 1 to 1000000, got \"0\"" },
	{ "sending window negative",
	  BASE "sending:\n  window: -5\n",
	  "t.yaml:10:11: \"window\" in section \"sending\" must be a whole "
	  "number from 1 to 1000000, got \"-5\"" },
	{ "sending window too large",
	  BASE "sending:\n  window: 1000001\n",
	  "t.yaml:10:11: \"window\" in section \"sending\" must be a whole "
	  "number from 1 to 1000000, got \"1000001\"" },
	{ "sending window of the wrong type",
	  BASE "sending:\n  window: {n: 1}\n",
	  "t.yaml:10:11: \"window\" in section \"sending\" must be a string, "
	  "got a mapping" },
	{ "sending memory in decimal megabytes",
	  BASE "sending:\n  memory: 32MB\n",
	  "t.yaml:10:11: \"memory\" in section \"sending\" must be a size such "
	  "as 512KiB, 32MiB or 1GiB (in B, KiB, MiB or GiB), got \"32MB\"" },
	{ "sending memory negative",
	  BASE "sending:\n  memory: -1MiB\n",
	  "t.yaml:10:11: \"memory\" in section \"sending\" must be a size such "
	  "as 512KiB, 32MiB or 1GiB (in B, KiB, MiB or GiB), got \"-1MiB\"" },
	{ "sending memory zero",
	  BASE "sending:\n  memory: 0\n",
	  "t.yaml:10:11: \"memory\" in section \"sending\" must be from 1MiB "
	  "to 4GiB, got 0" },
	{ "sending memory just under 1MiB",
	  BASE "sending:\n  memory: 1048575B\n",
	  "t.yaml:10:11: \"memory\" in section \"sending\" must be from 1MiB "
	  "to 4GiB, got 1048575B" },
	{ "sending memory over 4GiB",
	  BASE "sending:\n  memory: 4097MiB\n",
	  "t.yaml:10:11: \"memory\" in section \"sending\" must be from 1MiB "
	  "to 4GiB, got 4097MiB" },
	{ "sending memory overflowing",
	  BASE "sending:\n  memory: 99999999999999999999999GiB\n",
	  "t.yaml:10:11: \"memory\" in section \"sending\" must be from 1MiB "
	  "to 4GiB, got 99999999999999999999999GiB" },
	{ "frequency_cap unknown key with a hint",
	  BASE "sending:\n  frequency_cap:\n    messages: 3\n    perod: 7d\n",
	  "t.yaml:12:5: unknown key \"perod\" in \"frequency_cap\" of section "
	  "\"sending\" (did you mean \"period\"?)" },
	{ "frequency_cap not a mapping",
	  BASE "sending:\n  frequency_cap: 3\n",
	  "t.yaml:10:18: \"frequency_cap\" of section \"sending\" must be a "
	  "mapping, got a scalar" },
	{ "frequency_cap without period",
	  BASE "sending:\n  frequency_cap:\n    messages: 3\n",
	  "t.yaml:10:3: \"frequency_cap\" of section \"sending\": missing "
	  "required key \"period\"" },
	{ "frequency_cap with a null messages",
	  BASE "sending:\n  frequency_cap:\n    messages:\n    period: 7d\n",
	  "t.yaml:11:14: \"frequency_cap\" of section \"sending\": missing "
	  "required key \"messages\"" },
	{ "frequency_cap messages zero",
	  BASE "sending:\n  frequency_cap:\n    messages: 0\n    period: 7d\n",
	  "t.yaml:11:15: \"messages\" in \"frequency_cap\" of section "
	  "\"sending\" must be a whole number from 1 to 1000, got \"0\"" },
	{ "frequency_cap period without unit",
	  BASE "sending:\n  frequency_cap:\n    messages: 3\n    period: 7\n",
	  "t.yaml:12:13: \"period\" in \"frequency_cap\" of section "
	  "\"sending\" must be a duration such as 30s, 5m, 1h or 7d, got "
	  "\"7\"" },
	{ "frequency_cap period in weeks",
	  BASE "sending:\n  frequency_cap:\n    messages: 3\n    period: 1w\n",
	  "t.yaml:12:13: \"period\" in \"frequency_cap\" of section "
	  "\"sending\" must be a duration such as 30s, 5m, 1h or 7d, got "
	  "\"1w\"" },
	{ "frequency_cap period zero",
	  BASE "sending:\n  frequency_cap:\n    messages: 3\n    period: 0d\n",
	  "t.yaml:12:13: \"period\" in \"frequency_cap\" of section "
	  "\"sending\" must be from 1m to 365d, got 0d" },
	{ "frequency_cap period over a year",
	  BASE "sending:\n  frequency_cap:\n    messages: 3\n"
	  "    period: 366d\n",
	  "t.yaml:12:13: \"period\" in \"frequency_cap\" of section "
	  "\"sending\" must be from 1m to 365d, got 366d" },
	{ "retry empty",
	  BASE "sending:\n  retry: []\n",
	  "t.yaml:10:10: \"retry\" in section \"sending\" must be a sequence "
	  "of 1 to 32 durations, got an empty sequence" },
	{ "retry not a sequence",
	  BASE "sending:\n  retry: 5m\n",
	  "t.yaml:10:10: \"retry\" in section \"sending\" must be a sequence "
	  "of 1 to 32 durations, got a scalar" },
	{ "retry of 33 delays",
	  BASE "sending:\n  retry: [1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, "
	  "1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, 1m, "
	  "1m, 1m, 1m, 1m, 1m, 1m, 1m]\n",
	  "t.yaml:10:10: \"retry\" in section \"sending\" must be a sequence "
	  "of 1 to 32 durations, got 33 of them" },
	{ "retry delay zero",
	  BASE "sending:\n  retry: [5m, 0s, 1h]\n",
	  "t.yaml:10:15: item 2 of \"retry\" in section \"sending\" must be "
	  "from 1s to 30d, got 0s" },
	{ "retry delay over 30 days",
	  BASE "sending:\n  retry: [5m, 31d]\n",
	  "t.yaml:10:15: item 2 of \"retry\" in section \"sending\" must be "
	  "from 1s to 30d, got 31d" },
	{ "retry delay in milliseconds",
	  BASE "sending:\n  retry: [500ms]\n",
	  "t.yaml:10:11: item 1 of \"retry\" in section \"sending\" must be a "
	  "duration such as 30s, 5m, 1h or 7d, got \"500ms\"" },
	{ "retry delay a mapping",
	  BASE "sending:\n  retry: [5m, {a: 1}]\n",
	  "t.yaml:10:15: item 2 of \"retry\" in section \"sending\" must be a "
	  "duration such as 30s, 5m, 1h or 7d, got a mapping" },
	{ "retry delay null",
	  BASE "sending:\n  retry:\n    - 5m\n    -\n",
	  "t.yaml:12:6: item 2 of \"retry\" in section \"sending\" must be a "
	  "duration such as 30s, 5m, 1h or 7d, got an empty value" },
	{ "max_age under a minute",
	  BASE "sending:\n  max_age: 59s\n",
	  "t.yaml:10:12: \"max_age\" in section \"sending\" must be from 1m to "
	  "365d, got 59s" },
	{ "max_age with a space before the unit",
	  BASE "sending:\n  max_age: 3 d\n",
	  "t.yaml:10:12: \"max_age\" in section \"sending\" must be a duration "
	  "such as 30s, 5m, 1h or 7d, got \"3 d\"" },
	{ "max_age overflowing",
	  BASE "sending:\n  max_age: 99999999999999999999999d\n",
	  "t.yaml:10:12: \"max_age\" in section \"sending\" must be from 1m to "
	  "365d, got 99999999999999999999999d" },
	{ "max_age shorter than the default first retry",
	  BASE "sending:\n  max_age: 3m\n",
	  "t.yaml:10:12: section \"sending\": max_age (3m) is shorter than the "
	  "first retry delay (5m), so no deferred send would ever be "
	  "retried" },
	{ "first retry longer than the default max_age",
	  BASE "sending:\n  retry: [4d, 1h]\n",
	  "t.yaml:10:10: section \"sending\": max_age (3d) is shorter than the "
	  "first retry delay (4d), so no deferred send would ever be "
	  "retried" },
	{ "soft_bounces not a mapping",
	  BASE "sending:\n  soft_bounces: 3\n",
	  "t.yaml:10:17: \"soft_bounces\" of section \"sending\" must be a "
	  "mapping, got a scalar" },
	{ "soft_bounces unknown key with a hint",
	  BASE "sending:\n  soft_bounces:\n    cont: 3\n",
	  "t.yaml:11:5: unknown key \"cont\" in \"soft_bounces\" of section "
	  "\"sending\" (did you mean \"count\"?)" },
	{ "soft_bounces count negative",
	  BASE "sending:\n  soft_bounces:\n    count: -1\n",
	  "t.yaml:11:12: \"count\" in \"soft_bounces\" of section \"sending\" "
	  "must be a whole number from 0 to 1000, got \"-1\"" },
	{ "soft_bounces count too large",
	  BASE "sending:\n  soft_bounces:\n    count: 1001\n",
	  "t.yaml:11:12: \"count\" in \"soft_bounces\" of section \"sending\" "
	  "must be a whole number from 0 to 1000, got \"1001\"" },
	{ "soft_bounces period zero",
	  BASE "sending:\n  soft_bounces:\n    period: 0m\n",
	  "t.yaml:11:13: \"period\" in \"soft_bounces\" of section \"sending\" "
	  "must be from 1m to 365d, got 0m" },
	{ "soft_bounces period with count 0",
	  BASE "sending:\n  soft_bounces:\n    count: 0\n    period: 30d\n",
	  "t.yaml:12:13: \"soft_bounces\" of section \"sending\": period has "
	  "no effect when count is 0 (soft bounces never suppress)" },
	{ "too deep",
	  "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]\n",
	  "t.yaml:1:35: nested deeper than 32 levels" },
};

static int
has_message(const struct config_diag *d, const char *expect)
{
	size_t	 i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->msgs[i], expect) == 0)
			return 1;
	return 0;
}

static void
test_bad_configs(void **state)
{
	size_t	 i, j, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case	*c = &bad_cases[i];
		struct config_diag	 d = { NULL, 0, 0 };
		struct config		*cfg;

		cfg = config_parse("t.yaml", "/tmp", c->yaml, strlen(c->yaml),
		    &d);
		if (cfg != NULL || !has_message(&d, c->expect)) {
			fprintf(stderr, "case \"%s\": %s\n  expected: %s\n",
			    c->name, cfg ? "accepted" : "wrong message",
			    c->expect);
			for (j = 0; j < d.n; j++)
				fprintf(stderr, "  got:      %s\n", d.msgs[j]);
			failed++;
		}
		/* Every message names the file and a position. */
		for (j = 0; j < d.n; j++)
			assert_true(strncmp(d.msgs[j], "t.yaml:", 7) == 0);
		config_free(cfg);
		config_diag_free(&d);
	}
	assert_int_equal(failed, 0);
}

static void
test_all_errors_reported(void **state)
{
	static const char yaml[] =
	    "databse: x.db\n"
	    "lists:\n  a:\n    descripton: x\n"
	    "themes:\n  t:\n"
	    "senders:\n  s:\n    address: bad\n";
	struct config_diag	 d = { NULL, 0, 0 };

	(void)state;
	assert_null(config_parse("t.yaml", "/tmp", yaml, strlen(yaml), &d));
	/* The typo, the missing database, the list key, the address. */
	assert_int_equal(d.n, 4);
	config_diag_free(&d);
}

static void
test_valid_config(void **state)
{
	static const char yaml[] =
	    "# comment\n"
	    "database: data/clarion.db\n"
	    "lists:\n"
	    "  activists:\n    description: Signers\n"
	    "  newsletter:\n"
	    "themes:\n  actions: {description: \"Actions\"}\n  news: ~\n"
	    "senders:\n"
	    "  main:\n    name: Ligue des droits humains — Actions\n"
	    "    address: Actions@LigueDH.Example\n"
	    "    reply_to: contact@liguedh.example\n"
	    "segments:\n"
	    "  g:\n    lists: [activists, newsletter]\n    theme: actions\n"
	    "    where: |\n      locale = 'fr-BE'\n      AND 1\n";
	struct config_diag		 d = { NULL, 0, 0 };
	struct config			*cfg;
	const struct config_segment	*g;

	(void)state;
	cfg = config_parse("t.yaml", "/srv/clarion", yaml, sizeof(yaml) - 1,
	    &d);
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->database, "/srv/clarion/data/clarion.db");
	assert_int_equal(cfg->nlists, 2);
	assert_string_equal(cfg->lists[0].description, "Signers");
	assert_null(cfg->lists[1].description);
	assert_int_equal(cfg->nthemes, 2);
	assert_non_null(config_find_theme(cfg, "news"));
	assert_null(config_find_theme(cfg, "nope"));
	assert_int_equal(cfg->nsenders, 1);
	assert_string_equal(cfg->senders[0].display_name,
	    "Ligue des droits humains — Actions");
	/* Addresses are normalised: the domain lower-cased only. */
	assert_string_equal(cfg->senders[0].address,
	    "Actions@liguedh.example");
	g = config_find_segment(cfg, "g");
	assert_non_null(g);
	assert_int_equal(g->nlists, 2);
	assert_string_equal(g->lists[1], "newsletter");
	assert_string_equal(g->where, "locale = 'fr-BE'\nAND 1\n");
	assert_int_equal(g->where_mark.line, 19);
	assert_int_equal(g->where_mark.col, 12);
	config_free(cfg);
}

static void
test_campaigns(void **state)
{
	static const char yaml[] = BASE
	    "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	    "templates: tpl\n"
	    "mail:\n  bounce_domain: Bounces.Example.ORG\n"
	    "  list_id_domain: lists.example.org\n"
	    "  unsubscribe_url: https://example.org/u/\n"
	    "  unsubscribe_mailto: unsub@example.org\n"
	    "  token_key: secret/t.key\n  feedback_id: ngo\n"
	    "dkim:\n  - domain: example.org\n    selector: rsa2026\n"
	    "    key: /etc/clarion/rsa.pem\n"
	    "  - domain: example.org\n    selector: ed2026\n"
	    "    key: keys/ed.pem\n    identity: \"@example.org\"\n"
	    "campaigns:\n  c:\n    segment: g\n    template: news\n"
	    "    sender: s\n    subject: \"{{first_name}}, news\"\n"
	    "    fields:\n      petition_url: https://example.org/p\n"
	    "      deadline: 1 December\n";
	struct config_diag		 d = { NULL, 0, 0 };
	struct config			*cfg;
	const struct config_campaign	*c;

	(void)state;
	cfg = config_parse("t.yaml", "/srv/c", yaml, sizeof(yaml) - 1, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_non_null(cfg);
	assert_string_equal(cfg->templates, "/srv/c/tpl");
	assert_true(cfg->has_mail);
	assert_string_equal(cfg->mail.bounce_domain, "bounces.example.org");
	assert_string_equal(cfg->mail.token_key, "/srv/c/secret/t.key");
	assert_string_equal(cfg->mail.unsubscribe_mailto, "unsub@example.org");
	assert_int_equal(cfg->ndkim, 2);
	assert_string_equal(cfg->dkim[0].key, "/etc/clarion/rsa.pem");
	assert_null(cfg->dkim[0].identity);
	assert_string_equal(cfg->dkim[1].key, "/srv/c/keys/ed.pem");
	assert_string_equal(cfg->dkim[1].identity, "@example.org");
	c = config_find_campaign(cfg, "c");
	assert_non_null(c);
	/* Theme and list default to the segment's. */
	assert_string_equal(c->theme, "t");
	assert_string_equal(c->list, "a");
	assert_string_equal(c->subject, "{{first_name}}, news");
	assert_int_equal(c->nfields, 2);
	assert_string_equal(c->fields[1].name, "deadline");
	assert_string_equal(c->fields[1].value, "1 December");
	assert_null(config_find_campaign(cfg, "nope"));
	config_free(cfg);
}

static void
test_absolute_database(void **state)
{
	static const char yaml[] = "database: /var/lib/clarion/c.db\n"
	    BASE_LISTS BASE_THEMES BASE_SENDERS;
	struct config_diag	 d = { NULL, 0, 0 };
	struct config		*cfg;

	(void)state;
	cfg = config_parse("t.yaml", "/etc/clarion", yaml, sizeof(yaml) - 1,
	    &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->database, "/var/lib/clarion/c.db");
	config_free(cfg);
}

static void
test_load_file(void **state)
{
	struct config_diag	 d = { NULL, 0, 0 };
	struct config		*cfg;

	(void)state;
	cfg = config_load(CLARION_TEST_DATA "/../../conf/clarion.yaml", &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_non_null(cfg);
	assert_non_null(config_find_segment(cfg, "newsletter"));
	assert_non_null(config_find_segment(cfg, "action-alert"));
	/* Relative to the file's folder, made absolute. */
	assert_true(cfg->database[0] == '/');
	assert_non_null(strstr(cfg->database, "/conf/clarion.db"));
	/* The example states the defaults of these. */
	assert_string_equal(cfg->control_socket + strlen(cfg->database),
	    ".sock");
	assert_int_equal(cfg->sending.window, 1000);
	assert_int_equal(cfg->sending.nretry, 5);
	assert_int_equal(cfg->sending.retry[4], 8 * 3600);
	assert_int_equal(cfg->sending.max_age, 3 * 86400);
	assert_int_equal(cfg->sending.soft_period, 30 * 86400);
	config_free(cfg);

	assert_null(config_load(CLARION_TEST_DATA "/no-such-file.yaml", &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "no-such-file.yaml: cannot open: "));
	config_diag_free(&d);
}

/* Relays and shaping: what the file says, and the safe defaults. */
static void
test_relays(void **state)
{
	static const char yaml[] = BASE
	    "relays:\n"
	    "  main:\n    host: smtp.example.net\n"
	    "    auth:\n      user: clarion\n      password_file: relay.pass\n"
	    "      mechanisms: [login]\n"
	    "    connections: 16\n    rate: 6000/m\n"
	    "    timeouts:\n      dot: 2m\n"
	    "  second:\n    host: \"::1\"\n    tls: implicit\n"
	    "    ca_file: /etc/ssl/ca.pem\n    server_name: mx.example.net\n"
	    "    weight: 3\n    idle_timeout: 500ms\n"
	    "  spare:\n    host: 192.0.2.1\n    tls: none\n    backup: true\n"
	    "    pipelining: false\n    messages_per_connection: 0\n"
	    "shaping:\n  rate: 1.5/s\n"
	    "  domains:\n    google:\n      match: [gmail.com, GoogleMail.com]\n"
	    "      rate: 100/s\n      burst: 300\n      connections: 4\n"
	    "  other_domains:\n    rate: 20/s\n"
	    "  slow_down:\n    patterns: [\"please wait\"]\n    decrease: 25%\n"
	    "    recover_every: 5s\n";
	struct config_diag			 d = { NULL, 0, 0 };
	struct config				*cfg;
	const struct config_relay		*r;
	const struct config_domain_group	*g;

	(void)state;
	cfg = config_parse("t.yaml", "/srv/c", yaml, sizeof(yaml) - 1, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_non_null(cfg);
	assert_int_equal(cfg->nrelays, 3);

	r = config_find_relay(cfg, "main");
	assert_non_null(r);
	assert_string_equal(r->host, "smtp.example.net");
	assert_int_equal(r->tls, CONFIG_TLS_STARTTLS);	/* required */
	assert_true(r->verify);
	assert_int_equal(r->port, 587);		/* submission, with AUTH */
	assert_string_equal(r->auth_user, "clarion");
	assert_string_equal(r->auth_password_file, "/srv/c/relay.pass");
	assert_int_equal(r->auth_mechs, 2);
	assert_false(r->auth_plaintext);
	assert_int_equal(r->connections, 16);
	assert_true(r->rate > 99.99 && r->rate < 100.01);
	assert_int_equal(r->burst, 100);	/* a second's worth */
	assert_int_equal(r->timeouts.dot, 120000);
	assert_int_equal(r->timeouts.data, 120000);	/* RFC 5321 */
	assert_int_equal(r->timeouts.greeting, 300000);
	assert_true(r->pipelining);
	assert_int_equal(r->messages_per_connection, 1000);

	r = config_find_relay(cfg, "second");
	assert_string_equal(r->host, "::1");
	assert_int_equal(r->tls, CONFIG_TLS_IMPLICIT);
	assert_int_equal(r->port, 465);
	assert_string_equal(r->ca_file, "/etc/ssl/ca.pem");
	assert_int_equal(r->weight, 3);
	assert_int_equal(r->idle_timeout, 500);
	assert_null(r->auth_user);

	r = config_find_relay(cfg, "spare");
	assert_int_equal(r->port, 25);
	assert_true(r->backup);
	assert_false(r->pipelining);
	assert_int_equal(r->messages_per_connection, 0);
	assert_int_equal(r->rate, 0);
	assert_null(config_find_relay(cfg, "nope"));

	assert_true(cfg->shaping.rate == 1.5);
	assert_int_equal(cfg->shaping.burst, 2);
	g = config_find_domain_group(cfg, "googlemail.com");
	assert_string_equal(g->name, "google");
	assert_int_equal(g->connections, 4);
	assert_int_equal(g->burst, 300);
	g = config_find_domain_group(cfg, "example.org");
	assert_ptr_equal(g, &cfg->shaping.other);
	assert_true(g->rate == 20);
	assert_int_equal(g->connections, 0);
	/* The file's patterns replace the built-in ones. */
	assert_true(cfg->shaping.slow_down_set);
	assert_int_equal(cfg->shaping.nslow_down, 1);
	assert_string_equal(cfg->shaping.slow_down[0], "please wait");
	assert_true(cfg->shaping.decrease == 0.25);
	assert_int_equal(cfg->shaping.recover_every, 5000);
	config_free(cfg);

	/* Without the sections: no relays, built-in slow-down patterns. */
	cfg = config_parse("t.yaml", "/srv/c", BASE, sizeof(BASE) - 1, &d);
	assert_non_null(cfg);
	assert_int_equal(cfg->nrelays, 0);
	assert_false(cfg->shaping.slow_down_set);
	assert_true(cfg->shaping.decrease == 0.5);
	config_free(cfg);
}

/* parse - yaml in dir, which must be valid (the messages say why not). */
static struct config *
parse(const char *dir, const char *yaml)
{
	struct config_diag	 d = { NULL, 0, 0 };
	struct config		*cfg;
	size_t			 i;

	cfg = config_parse("t.yaml", dir, yaml, strlen(yaml), &d);
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_int_equal(d.n, 0);
	assert_non_null(cfg);
	config_diag_free(&d);
	return cfg;
}

/* Without the section and the key: the documented defaults. */
static void
test_sending_defaults(void **state)
{
	static const char *const yamls[] = {
		BASE,
		BASE "sending:\n",
		BASE "sending:\n  frequency_cap: ~\n  retry: ~\n"
		    "  soft_bounces:\n",
	};
	struct config	*cfg;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(yamls) / sizeof(yamls[0]); i++) {
		cfg = parse("/srv/c", yamls[i]);
		assert_int_equal(cfg->sending.window, 1000);
		assert_int_equal(cfg->sending.memory, 16 * 1024 * 1024);
		assert_int_equal(cfg->sending.cap_messages, 0);
		assert_int_equal(cfg->sending.cap_period, 0);
		assert_int_equal(cfg->sending.nretry, 5);
		assert_int_equal(cfg->sending.retry[0], 5 * 60);
		assert_int_equal(cfg->sending.retry[1], 15 * 60);
		assert_int_equal(cfg->sending.retry[2], 3600);
		assert_int_equal(cfg->sending.retry[3], 4 * 3600);
		assert_int_equal(cfg->sending.retry[4], 8 * 3600);
		assert_int_equal(cfg->sending.max_age, 3 * 86400);
		assert_int_equal(cfg->sending.soft_bounces, 3);
		assert_int_equal(cfg->sending.soft_period, 30 * 86400);
		/* Beside the database, at its position. */
		assert_string_equal(cfg->control_socket, "/srv/c/x.db.sock");
		assert_int_equal(cfg->control_socket_mark.line, 1);
		assert_int_equal(cfg->control_socket_mark.col, 11);
		/* "sending:" alone is null: as if absent. */
		assert_int_equal(cfg->sending.mark.line, i == 2 ? 9 : 0);
		config_free(cfg);
	}
}

/* Every key, in every unit. */
static void
test_sending(void **state)
{
	static const char yaml[] = BASE
	    "control_socket: run/c.sock\n"
	    "sending:\n"
	    "  window: 50\n"
	    "  memory: 1GiB\n"
	    "  frequency_cap:\n    messages: 3\n    period: 7d\n"
	    "  retry: [30s, 2m, 1h, 2d]\n"
	    "  max_age: 4d\n"
	    "  soft_bounces:\n    count: 5\n    period: 36h\n";
	static const struct {
		const char	*memory;
		uint64_t	 bytes;
	} sizes[] = {
		{ "1048576", 1048576 },
		{ "1048576B", 1048576 },
		{ "2048KiB", 2097152 },
		{ "1MiB", 1048576 },
		{ "4GiB", 4294967296ULL },
		{ "\"64MiB\"", 67108864 },
	};
	char		 buf[512];
	struct config	*cfg;
	size_t		 i;

	(void)state;
	cfg = parse("/srv/c", yaml);
	assert_string_equal(cfg->control_socket, "/srv/c/run/c.sock");
	assert_int_equal(cfg->control_socket_mark.line, 9);
	assert_int_equal(cfg->control_socket_mark.col, 17);
	assert_int_equal(cfg->sending.mark.line, 10);
	assert_int_equal(cfg->sending.mark.col, 1);
	assert_int_equal(cfg->sending.window, 50);
	assert_int_equal(cfg->sending.memory, 1073741824);
	assert_int_equal(cfg->sending.cap_messages, 3);
	assert_int_equal(cfg->sending.cap_period, 7 * 86400);
	assert_int_equal(cfg->sending.nretry, 4);
	assert_int_equal(cfg->sending.retry[0], 30);
	assert_int_equal(cfg->sending.retry[1], 120);
	assert_int_equal(cfg->sending.retry[2], 3600);
	assert_int_equal(cfg->sending.retry[3], 2 * 86400);
	assert_int_equal(cfg->sending.max_age, 4 * 86400);
	assert_int_equal(cfg->sending.soft_bounces, 5);
	assert_int_equal(cfg->sending.soft_period, 36 * 3600);
	config_free(cfg);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(buf, sizeof(buf), BASE "sending:\n  memory: %s\n",
		    sizes[i].memory);
		cfg = parse("/srv/c", buf);
		assert_int_equal(cfg->sending.memory, sizes[i].bytes);
		config_free(cfg);
	}

	/* The bounds, inclusive; count 0 turns suppression off. */
	cfg = parse("/srv/c", BASE "sending:\n  window: 1000000\n"
	    "  frequency_cap:\n    messages: 1000\n    period: 365d\n"
	    "  retry: [1s]\n  max_age: 1m\n"
	    "  soft_bounces:\n    count: 0\n");
	assert_int_equal(cfg->sending.window, 1000000);
	assert_int_equal(cfg->sending.cap_messages, 1000);
	assert_int_equal(cfg->sending.cap_period, 365 * 86400);
	assert_int_equal(cfg->sending.nretry, 1);
	assert_int_equal(cfg->sending.retry[0], 1);
	assert_int_equal(cfg->sending.max_age, 60);
	assert_int_equal(cfg->sending.soft_bounces, 0);
	assert_int_equal(cfg->sending.soft_period, 30 * 86400);
	config_free(cfg);

	/* A socket path already absolute is kept; a retry may be 30 days. */
	cfg = parse("/srv/c", BASE "control_socket: /run/clarion/c.sock\n"
	    "sending:\n  retry: [30d]\n  max_age: 30d\n");
	assert_string_equal(cfg->control_socket, "/run/clarion/c.sock");
	assert_int_equal(cfg->sending.retry[0], 30 * 86400);
	assert_int_equal(cfg->sending.max_age, 30 * 86400);
	config_free(cfg);
}

/* Up to 32 retry delays, in order; 33 is refused (in bad_cases). */
static void
test_retry_bounds(void **state)
{
	char		 yaml[1024];
	struct config	*cfg;
	size_t		 i, n;

	(void)state;
	n = (size_t)snprintf(yaml, sizeof(yaml), "%s",
	    BASE "sending:\n  retry:\n");
	for (i = 1; i <= 32; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
		    "    - %zum\n", i);
	assert_true(n < sizeof(yaml));
	cfg = parse("/srv/c", yaml);
	assert_int_equal(cfg->sending.nretry, 32);
	for (i = 0; i < 32; i++)
		assert_int_equal(cfg->sending.retry[i], (i + 1) * 60);
	config_free(cfg);
}

/*
 * expect_one - yaml is refused with exactly the message expect (built
 * with the path, which is too long to write out).
 */
static void
expect_one(const char *yaml, const char *expect)
{
	struct config_diag	 d = { NULL, 0, 0 };
	size_t			 i;

	assert_null(config_parse("t.yaml", "/tmp", yaml, strlen(yaml), &d));
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "got: %s\n", d.msgs[i]);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], expect);
	config_diag_free(&d);
}

/* A socket path must fit in sun_path with its NUL: 107 bytes on Linux. */
static void
test_control_socket_length(void **state)
{
	const size_t	 max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	char		 name[256], path[256], yaml[1024], expect[1024];
	struct config	*cfg;

	(void)state;
	assert_true(max + 16 < sizeof(name));
	/* "/tmp/" and a name: exactly max bytes fit, one more does not. */
	memset(name, 'a', max - 5);
	name[max - 5] = '\0';
	snprintf(yaml, sizeof(yaml), BASE "control_socket: %s\n", name);
	cfg = parse("/tmp", yaml);
	assert_int_equal(strlen(cfg->control_socket), max);
	config_free(cfg);

	strcat(name, "a");
	snprintf(yaml, sizeof(yaml), BASE "control_socket: %s\n", name);
	snprintf(expect, sizeof(expect), "t.yaml:9:17: \"control_socket\" in "
	    "the top level: the path /tmp/%s is %zu bytes long, but a "
	    "socket's path holds at most %zu; use a shorter one", name,
	    max + 1, max);
	expect_one(yaml, expect);

	/* The default, the database's path + ".sock", obeys the same. */
	path[0] = '/';
	memset(path + 1, 'd', max - 6);
	path[max - 5] = '\0';
	snprintf(yaml, sizeof(yaml), "database: %s\n" BASE_LISTS BASE_THEMES
	    BASE_SENDERS, path);
	cfg = parse("/tmp", yaml);
	assert_int_equal(strlen(cfg->control_socket), max);
	assert_int_equal(strncmp(cfg->control_socket, path, max - 5), 0);
	assert_string_equal(cfg->control_socket + max - 5, ".sock");
	config_free(cfg);

	strcat(path, "d");
	snprintf(yaml, sizeof(yaml), "database: %s\n" BASE_LISTS BASE_THEMES
	    BASE_SENDERS, path);
	snprintf(expect, sizeof(expect), "t.yaml:1:11: the control socket's "
	    "path %s.sock (the database's + \".sock\") is %zu bytes long, but "
	    "a socket's path holds at most %zu; set control_socket to a "
	    "shorter one", path, max + 1, max);
	expect_one(yaml, expect);

	/* Which is what a short control_socket is for. */
	snprintf(yaml, sizeof(yaml), "database: %s\n" BASE_LISTS BASE_THEMES
	    BASE_SENDERS "control_socket: /run/c.sock\n", path);
	cfg = parse("/tmp", yaml);
	assert_string_equal(cfg->control_socket, "/run/c.sock");
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_valid_config),
		cmocka_unit_test(test_campaigns),
		cmocka_unit_test(test_relays),
		cmocka_unit_test(test_sending_defaults),
		cmocka_unit_test(test_sending),
		cmocka_unit_test(test_retry_bounds),
		cmocka_unit_test(test_control_socket_length),
		cmocka_unit_test(test_absolute_database),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
