import type {Migration} from '../schema.ts';

/**
 * PostgreSQL schema, in step with migrations/sqlite.ts: the same tables and rules, with native types (bytea,
 * timestamptz, boolean, bigint). Unqualified names: the connection's search_path selects the catalog's schema.
 * A step is never edited once released; a change is a new step.
 */
export const postgresMigrations: readonly Migration[] = [
	{
		version: 1,
		sql: `
			CREATE TABLE meta (
				singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
				catalog_id uuid NOT NULL,
				created_at timestamptz NOT NULL
			);

			CREATE TABLE instances (
				installation_id text PRIMARY KEY,
				machine text NOT NULL,
				instance_name text NOT NULL,
				public_key bytea NOT NULL,
				identity_fingerprint text NOT NULL,
				identity_created_at timestamptz NOT NULL,
				service_account text NOT NULL,
				registered_at timestamptz NOT NULL,
				joined_at timestamptz
			);

			CREATE TABLE key_versions (
				version integer PRIMARY KEY CHECK (version > 0),
				fingerprint text NOT NULL,
				key_check bytea NOT NULL,
				state text NOT NULL CHECK (state IN ('primary', 'active', 'retired')),
				created_at timestamptz NOT NULL,
				backed_up_at timestamptz,
				retired_at timestamptz
			);

			CREATE TABLE wrapped_keys (
				installation_id text NOT NULL REFERENCES instances (installation_id) ON DELETE CASCADE,
				version integer NOT NULL REFERENCES key_versions (version),
				wrapped bytea NOT NULL,
				PRIMARY KEY (installation_id, version)
			);
			CREATE INDEX wrapped_keys_version ON wrapped_keys (version);

			-- A sequence never hands out an id twice, so a rotation that resumes after "last id" cannot skip a value.
			-- A ciphertext always names its key version, and only a value can lack one.
			CREATE TABLE secrets (
				id bigserial PRIMARY KEY,
				kind text NOT NULL CHECK (kind IN ('datasource', 'subscription', 'setting')),
				owner text NOT NULL,
				field text NOT NULL,
				ciphertext bytea,
				key_version integer,
				needs_reentry boolean NOT NULL DEFAULT false,
				updated_at timestamptz NOT NULL,
				UNIQUE (kind, owner, field),
				CHECK ((ciphertext IS NULL) = (key_version IS NULL))
			);
			CREATE INDEX secrets_rotation ON secrets (key_version, id);

			CREATE TABLE data_sources (
				name text PRIMARY KEY,
				created_at timestamptz NOT NULL,
				updated_at timestamptz NOT NULL
			);

			CREATE TABLE subscriptions (
				id text PRIMARY KEY,
				description text NOT NULL,
				delivery text NOT NULL,
				settings text NOT NULL,
				updated_at timestamptz NOT NULL
			);

			CREATE TABLE settings (
				name text PRIMARY KEY,
				value text NOT NULL
			);

			CREATE TABLE rotation (
				singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
				from_version integer NOT NULL,
				to_version integer NOT NULL,
				started_at timestamptz NOT NULL,
				total bigint NOT NULL,
				done bigint NOT NULL,
				last_id bigint NOT NULL,
				lease_owner text,
				lease_expires_at timestamptz
			);

			CREATE TABLE audit_log (
				id bigserial PRIMARY KEY,
				at timestamptz NOT NULL,
				installation_id text,
				operation text NOT NULL,
				fingerprints text NOT NULL,
				outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
				detail text NOT NULL
			);
		`,
	},
	{
		// The keyring seal, as in migrations/sqlite.ts step 2: one row, opaque signed bytes, the sequence in clear.
		// bigint: the sequence only grows, and pg returns it as a string that the backend turns into a number.
		version: 2,
		sql: `
			CREATE TABLE keyring_seal (
				singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
				sequence bigint NOT NULL,
				body bytea NOT NULL,
				signature bytea NOT NULL
			);

			-- The audit chain, as in migrations/sqlite.ts step 2: nullable, since older entries have neither hash nor
			-- signature.
			ALTER TABLE audit_log ADD COLUMN chain_hash bytea, ADD COLUMN key_version integer, ADD COLUMN signature bytea;
		`,
	},
];
