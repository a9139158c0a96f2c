import type {Migration} from '../schema.ts';

/**
 * SQLite schema, one numbered step per change. A step is never edited once released: a catalog records the steps it
 * has run (schema_migrations) and create() runs the missing ones in order, in one transaction.
 *
 * STRICT tables make SQLite refuse a value of the wrong type instead of storing it, as PostgreSQL would.
 * Timestamps are ISO 8601 text in UTC, which sorts in time order.
 */

export const sqliteMigrations: readonly Migration[] = [
	{
		version: 1,
		sql: `
			CREATE TABLE meta (
				singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
				catalog_id TEXT NOT NULL,
				created_at TEXT NOT NULL
			) STRICT;

			CREATE TABLE instances (
				installation_id TEXT PRIMARY KEY,
				machine TEXT NOT NULL,
				instance_name TEXT NOT NULL,
				public_key BLOB NOT NULL,
				identity_fingerprint TEXT NOT NULL,
				identity_created_at TEXT NOT NULL,
				service_account TEXT NOT NULL,
				registered_at TEXT NOT NULL,
				joined_at TEXT
			) STRICT;

			CREATE TABLE key_versions (
				version INTEGER PRIMARY KEY CHECK (version > 0),
				fingerprint TEXT NOT NULL,
				key_check BLOB NOT NULL,
				state TEXT NOT NULL CHECK (state IN ('primary', 'active', 'retired')),
				created_at TEXT NOT NULL,
				backed_up_at TEXT,
				retired_at TEXT
			) STRICT;

			CREATE TABLE wrapped_keys (
				installation_id TEXT NOT NULL REFERENCES instances (installation_id) ON DELETE CASCADE,
				version INTEGER NOT NULL REFERENCES key_versions (version),
				wrapped BLOB NOT NULL,
				PRIMARY KEY (installation_id, version)
			) STRICT;
			CREATE INDEX wrapped_keys_version ON wrapped_keys (version);

			-- AUTOINCREMENT: an id is never reused, so a rotation that resumes after "last id" cannot skip a value
			-- inserted later under a recycled id. A ciphertext always names its key version, and only a value can
			-- lack one.
			CREATE TABLE secrets (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				kind TEXT NOT NULL CHECK (kind IN ('datasource', 'subscription', 'setting')),
				owner TEXT NOT NULL,
				field TEXT NOT NULL,
				ciphertext BLOB,
				key_version INTEGER,
				needs_reentry INTEGER NOT NULL DEFAULT 0 CHECK (needs_reentry IN (0, 1)),
				updated_at TEXT NOT NULL,
				UNIQUE (kind, owner, field),
				CHECK ((ciphertext IS NULL) = (key_version IS NULL))
			) STRICT;
			CREATE INDEX secrets_rotation ON secrets (key_version, id);

			CREATE TABLE data_sources (
				name TEXT PRIMARY KEY,
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL
			) STRICT;

			CREATE TABLE subscriptions (
				id TEXT PRIMARY KEY,
				description TEXT NOT NULL,
				delivery TEXT NOT NULL,
				settings TEXT NOT NULL,
				updated_at TEXT NOT NULL
			) STRICT;

			CREATE TABLE settings (
				name TEXT PRIMARY KEY,
				value TEXT NOT NULL
			) STRICT;

			CREATE TABLE rotation (
				singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
				from_version INTEGER NOT NULL,
				to_version INTEGER NOT NULL,
				started_at TEXT NOT NULL,
				total INTEGER NOT NULL,
				done INTEGER NOT NULL,
				last_id INTEGER NOT NULL,
				lease_owner TEXT,
				lease_expires_at TEXT
			) STRICT;

			CREATE TABLE audit_log (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				at TEXT NOT NULL,
				installation_id TEXT,
				operation TEXT NOT NULL,
				fingerprints TEXT NOT NULL,
				outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
				detail TEXT NOT NULL
			) STRICT;
		`,
	},
	{
		// The keyring seal (source/core/keyring-seal.ts): one signed record of the key versions, their states, the
		// rotation and the joined instances. One row, like rotation: a second seal could only contradict the first.
		// The body and signature are opaque bytes to the catalog; the sequence is kept in clear so that a seal rolled
		// back to an older copy can be told from a newer one without opening it.
		version: 2,
		sql: `
			CREATE TABLE keyring_seal (
				singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
				sequence INTEGER NOT NULL,
				body BLOB NOT NULL,
				signature BLOB NOT NULL
			) STRICT;

			-- The audit chain (source/core/audit.ts): each entry's hash covers the previous one's, and is signed by a
			-- key version's signing key. Nullable, because entries written before the chain existed have neither, and
			-- the catalog only stores what the core computed. One column per ALTER TABLE: SQLite adds no more at once.
			ALTER TABLE audit_log ADD COLUMN chain_hash BLOB;
			ALTER TABLE audit_log ADD COLUMN key_version INTEGER;
			ALTER TABLE audit_log ADD COLUMN signature BLOB;
		`,
	},
];
