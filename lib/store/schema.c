/* SPDX-License-Identifier: ISC */
/*
 * store/schema.c - the schema, as numbered migrations
 *
 * A migration, once released, never changes: a new need gets a new
 * migration. Each runs inside the one transaction that store_open uses to
 * bring a database up to date, so a failed upgrade leaves the old schema.
 *
 * Conventions: times are INTEGER seconds since the epoch (UTC); states are
 * TEXT with a CHECK listing their values, so a row can never hold a state
 * the code does not know. The CHECKs are chains of '=' joined by OR, not
 * "IN (...)": SQLite builds an ephemeral b-tree for an IN list on every
 * row it checks, which once cost a quarter of an import's time; e-mail addresses are stored normalised
 * (addr_normalize: lower-case A-label domain), so UNIQUE compares them the
 * way mail does.
 */
#include "store_impl.h"

const struct store__migration store__migrations[] = {
	{ 1,
	/* Audience: who the NGO knows, and what each person agreed to. */
	"CREATE TABLE contacts ("
	"  id          INTEGER PRIMARY KEY,"
	"  email       TEXT NOT NULL UNIQUE,"
	"  first_name  TEXT,"
	"  last_name   TEXT,"
	"  locale      TEXT,"
	"  attrs       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attrs)),"
	"  status      TEXT NOT NULL DEFAULT 'active' CHECK (status = 'active'"
	"                OR status = 'unsubscribed' OR status = 'bounced'"
	"                OR status = 'complained'),"
	"  created_at  INTEGER NOT NULL,"
	"  updated_at  INTEGER NOT NULL"
	");"
	"CREATE TABLE lists ("
	"  id          INTEGER PRIMARY KEY,"
	"  name        TEXT NOT NULL UNIQUE,"
	"  created_at  INTEGER NOT NULL"
	");"
	/*
	 * Where a subscription or a consent came from ("petition: stop aux
	 * expulsions", "CRM export 2026-11"): the proof, stored once and
	 * referred to by id from every row it covers.
	 */
	"CREATE TABLE sources ("
	"  id          INTEGER PRIMARY KEY,"
	"  text        TEXT NOT NULL UNIQUE,"
	"  created_at  INTEGER NOT NULL"
	");"
	/*
	 * One row per (contact, list), subscribed while unsubscribed_at is
	 * NULL; leaving keeps the row, so nothing re-subscribes by accident.
	 * Keyed by contact first: an import appends, and erasing a contact
	 * finds its rows without a second index. Segments probe it per
	 * contact.
	 */
	"CREATE TABLE list_members ("
	"  contact_id  INTEGER NOT NULL REFERENCES contacts(id)"
	"                ON DELETE CASCADE,"
	"  list_id     INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  source_id   INTEGER NOT NULL REFERENCES sources(id),"
	"  subscribed_at   INTEGER NOT NULL,"
	"  unsubscribed_at INTEGER,"
	"  PRIMARY KEY (contact_id, list_id)"
	") WITHOUT ROWID;"
	/*
	 * Proof of consent: a grant is never deleted, only revoked, so the
	 * history of what someone agreed to, when and how, stays provable.
	 * At most one live (unrevoked) grant per contact and theme.
	 */
	"CREATE TABLE consents ("
	"  id          INTEGER PRIMARY KEY,"
	"  contact_id  INTEGER NOT NULL REFERENCES contacts(id)"
	"                ON DELETE CASCADE,"
	"  theme       TEXT NOT NULL,"
	"  granted_at  INTEGER NOT NULL,"
	"  source_id   INTEGER NOT NULL REFERENCES sources(id),"
	"  revoked_at  INTEGER"
	");"
	"CREATE UNIQUE INDEX consents_live ON consents(contact_id, theme)"
	"  WHERE revoked_at IS NULL;"
	/* Addresses never to be mailed, whether or not they are contacts. */
	"CREATE TABLE suppressions ("
	"  id          INTEGER PRIMARY KEY,"
	"  email       TEXT NOT NULL UNIQUE,"
	"  reason      TEXT NOT NULL,"
	"  source      TEXT,"
	"  created_at  INTEGER NOT NULL"
	");"
	},
	{ 2,
	/* Sending: one campaigns row per run, one sends row per recipient. */
	"CREATE TABLE campaigns ("
	"  id          INTEGER PRIMARY KEY,"
	"  name        TEXT NOT NULL,"
	"  segment     TEXT NOT NULL,"
	"  state       TEXT NOT NULL CHECK (state = 'scheduled'"
	"                OR state = 'running' OR state = 'paused'"
	"                OR state = 'done' OR state = 'cancelled'),"
	"  created_at  INTEGER NOT NULL,"
	"  started_at  INTEGER,"
	"  finished_at INTEGER"
	");"
	"CREATE INDEX campaigns_name ON campaigns(name, id);"
	"CREATE TABLE sends ("
	"  id          INTEGER PRIMARY KEY,"
	"  campaign_id INTEGER NOT NULL REFERENCES campaigns(id)"
	"                ON DELETE CASCADE,"
	"  contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	"  state       TEXT NOT NULL CHECK (state = 'pending'"
	"                OR state = 'sending' OR state = 'sent'"
	"                OR state = 'deferred' OR state = 'bounced'"
	"                OR state = 'failed' OR state = 'skipped'),"
	"  attempts    INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER,"
	"  last_code   INTEGER,"
	"  last_status TEXT,"
	"  last_reply  TEXT,"
	"  message_id  TEXT,"
	"  updated_at  INTEGER NOT NULL,"
	"  UNIQUE (campaign_id, contact_id)"
	");"
	"CREATE INDEX sends_queue ON sends(campaign_id, state, next_attempt_at);"
	"CREATE INDEX sends_contact ON sends(contact_id);"
	/* What happened, for people and for the suppression policy. */
	"CREATE TABLE events ("
	"  id          INTEGER PRIMARY KEY,"
	"  at          INTEGER NOT NULL,"
	"  type        TEXT NOT NULL,"
	"  contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	"  campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,"
	"  detail      TEXT CHECK (detail IS NULL OR json_valid(detail))"
	");"
	"CREATE INDEX events_contact ON events(contact_id, at);"
	"CREATE INDEX events_campaign ON events(campaign_id, at);"
	},
	{ 3,
	/*
	 * Runs. A run's sends are the ids first_send..last_send (its
	 * snapshot is one INSERT, so they are contiguous), which claims
	 * scan by primary key. claimed_through: the highest pending send
	 * handed to the daemon, so a restart knows which may have gone out
	 * (store_recover).
	 */
	"ALTER TABLE campaigns ADD COLUMN first_send INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE campaigns ADD COLUMN last_send INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE campaigns ADD COLUMN claimed_through INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE campaigns ADD COLUMN possible_duplicates INTEGER NOT NULL"
	"  DEFAULT 0;"
	/*
	 * reason: why a send was skipped or failed, or the verdict's;
	 * bounce: the class of a bounced send, which the counts and the
	 * soft-bounce policy tell apart.
	 */
	"ALTER TABLE sends ADD COLUMN reason TEXT;"
	"ALTER TABLE sends ADD COLUMN bounce TEXT CHECK (bounce IS NULL"
	"  OR bounce = 'hard' OR bounce = 'soft');"
	"ALTER TABLE sends ADD COLUMN first_attempt_at INTEGER;"
	"ALTER TABLE sends ADD COLUMN sent_at INTEGER;"
	/*
	 * An index by contact takes one insert at a random place per send:
	 * a snapshot of 200,000 sends rewrote most of it, and each message
	 * sent did it again for the frequency cap. The cap now probes
	 * (campaign_id, contact_id) of the few recent runs instead.
	 */
	"DROP INDEX sends_contact;"
	},
};

const size_t store__nmigrations =
    sizeof(store__migrations) / sizeof(store__migrations[0]);
