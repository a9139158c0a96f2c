import type {Migration} from '../schema.ts';

/**
 * MariaDB (and MySQL) schema, in step with migrations/sqlite.ts: the same tables and rules. A step is never edited
 * once released; a change is a new step.
 *
 * - InnoDB, for transactions, row locks and foreign keys (written as table constraints: MariaDB ignores a
 *   REFERENCES clause on a column).
 * - Text in utf8mb4_nopad_bin: compared and ordered by code point, which is UTF-8 byte order (as SQLite and
 *   PostgreSQL's COLLATE "C" order it), and with trailing spaces significant ('a' and 'a ' are two names).
 * - Keys are VARCHAR (a key cannot be TEXT); lengths cover what the core accepts (a data source name has at most
 *   256 characters) within InnoDB's 3072-byte key limit.
 * - Timestamps are DATETIME(3) in UTC (the connection reads and writes them as UTC).
 * - DDL commits on its own in MariaDB, so a step cannot be rolled back: every statement is written to be run again
 *   (IF NOT EXISTS), and a step interrupted half-way is finished by the next create().
 */
const table = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin';

export const mariadbMigrations: readonly Migration[] = [
	{
		version: 1,
		sql: `
			CREATE TABLE IF NOT EXISTS meta (
				singleton BOOLEAN NOT NULL DEFAULT TRUE PRIMARY KEY CHECK (singleton = 1),
				catalog_id CHAR(36) NOT NULL,
				created_at DATETIME(3) NOT NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS instances (
				installation_id VARCHAR(255) NOT NULL PRIMARY KEY,
				machine TEXT NOT NULL,
				instance_name TEXT NOT NULL,
				public_key BLOB NOT NULL,
				identity_fingerprint TEXT NOT NULL,
				identity_created_at DATETIME(3) NOT NULL,
				service_account TEXT NOT NULL,
				registered_at DATETIME(3) NOT NULL,
				joined_at DATETIME(3) NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS key_versions (
				version INT NOT NULL PRIMARY KEY CHECK (version > 0),
				fingerprint TEXT NOT NULL,
				key_check BLOB NOT NULL,
				state VARCHAR(16) NOT NULL CHECK (state IN ('primary', 'active', 'retired')),
				created_at DATETIME(3) NOT NULL,
				backed_up_at DATETIME(3) NULL,
				retired_at DATETIME(3) NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS wrapped_keys (
				installation_id VARCHAR(255) NOT NULL,
				version INT NOT NULL,
				wrapped BLOB NOT NULL,
				PRIMARY KEY (installation_id, version),
				KEY wrapped_keys_version (version),
				FOREIGN KEY (installation_id) REFERENCES instances (installation_id) ON DELETE CASCADE,
				FOREIGN KEY (version) REFERENCES key_versions (version)
			) ${table};

			-- AUTO_INCREMENT never hands out an id twice (InnoDB keeps the counter across restarts since 10.2), so a
			-- rotation that resumes after "last id" cannot skip a value. A ciphertext always names its key version, and
			-- only a value can lack one.
			CREATE TABLE IF NOT EXISTS secrets (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				kind VARCHAR(16) NOT NULL CHECK (kind IN ('datasource', 'subscription', 'setting')),
				owner VARCHAR(256) NOT NULL,
				field VARCHAR(128) NOT NULL,
				ciphertext LONGBLOB NULL,
				key_version INT NULL,
				needs_reentry BOOLEAN NOT NULL DEFAULT FALSE,
				updated_at DATETIME(3) NOT NULL,
				UNIQUE KEY secrets_address (kind, owner, field),
				KEY secrets_rotation (key_version, id),
				CHECK ((ciphertext IS NULL) = (key_version IS NULL))
			) ${table};

			CREATE TABLE IF NOT EXISTS data_sources (
				name VARCHAR(256) NOT NULL PRIMARY KEY,
				created_at DATETIME(3) NOT NULL,
				updated_at DATETIME(3) NOT NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS subscriptions (
				id VARCHAR(255) NOT NULL PRIMARY KEY,
				description MEDIUMTEXT NOT NULL,
				delivery TEXT NOT NULL,
				settings MEDIUMTEXT NOT NULL,
				updated_at DATETIME(3) NOT NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS settings (
				name VARCHAR(255) NOT NULL PRIMARY KEY,
				value MEDIUMTEXT NOT NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS rotation (
				singleton BOOLEAN NOT NULL DEFAULT TRUE PRIMARY KEY CHECK (singleton = 1),
				from_version INT NOT NULL,
				to_version INT NOT NULL,
				started_at DATETIME(3) NOT NULL,
				total BIGINT NOT NULL,
				done BIGINT NOT NULL,
				last_id BIGINT NOT NULL,
				lease_owner TEXT NULL,
				lease_expires_at DATETIME(3) NULL
			) ${table};

			CREATE TABLE IF NOT EXISTS audit_log (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				at DATETIME(3) NOT NULL,
				installation_id VARCHAR(255) NULL,
				operation TEXT NOT NULL,
				fingerprints MEDIUMTEXT NOT NULL,
				outcome VARCHAR(16) NOT NULL CHECK (outcome IN ('success', 'failure')),
				detail MEDIUMTEXT NOT NULL
			) ${table};
		`,
	},
	{
		// The keyring seal and the audit chain, as in migrations/sqlite.ts step 2.
		version: 2,
		sql: `
			CREATE TABLE IF NOT EXISTS keyring_seal (
				singleton BOOLEAN NOT NULL DEFAULT TRUE PRIMARY KEY CHECK (singleton = 1),
				sequence BIGINT NOT NULL,
				body LONGBLOB NOT NULL,
				signature BLOB NOT NULL
			) ${table};

			ALTER TABLE audit_log
				ADD COLUMN IF NOT EXISTS chain_hash BLOB NULL,
				ADD COLUMN IF NOT EXISTS key_version INT NULL,
				ADD COLUMN IF NOT EXISTS signature BLOB NULL;
		`,
	},
];
