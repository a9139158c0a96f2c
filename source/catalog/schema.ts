import {RscmError} from '../errors.ts';
import type {InstanceRow, KeyVersionRow, SecretKind} from './catalog.ts';

/**
 * What every backend must agree on so that they all pass one contract suite: the shape of a
 * migration, the schema-version rules and the errors they raise, and how column values are normalized.
 */

/** One numbered schema step. Released steps are never edited; a change is a new step. */
export type Migration = {version: number; sql: string};

export const secretKinds: readonly SecretKind[] = ['datasource', 'subscription', 'setting'];

export function latestVersion(migrations: readonly Migration[]): number {
	return migrations.at(-1)?.version ?? 0;
}

/** Migration steps are numbered 1, 2, 3 … with no gap, so "schema version N" means "steps 1 to N have run". */
export function assertMigrationsNumbered(migrations: readonly Migration[]): void {
	for (const [index, migration] of migrations.entries()) {
		if (migration.version !== index + 1) {
			throw new RscmError('INTERNAL', `Migration ${index + 1} is numbered ${migration.version}.`);
		}
	}
}

export function catalogNotFound(location: string): RscmError {
	return new RscmError('CATALOG_NOT_FOUND', `No catalog at ${location}.`, {
		hint: 'Run `rscm init` to create it, or pass --catalog with the location of an existing catalog.',
	});
}

/**
 * Checks the version a catalog records against the version this code knows. An older rscm must not write a newer
 * schema (it would ignore or break columns it does not know); a newer rscm upgrades an older catalog only in
 * create(), which `rscm init` and the opening of every session (source/core/session.ts) call, never inside a read
 * or write transaction. An older catalog met here is one that upgrade could not run on (read-only, locked, or an
 * account without the right to create tables).
 */
export function checkSchemaVersion(location: string, found: number | undefined, known: number): number {
	if (found === undefined || found === 0) throw catalogNotFound(location);
	if (found > known) {
		throw new RscmError(
			'CATALOG_TOO_NEW',
			`The catalog at ${location} has schema version ${found}; this rscm knows versions up to ${known}.`,
			{hint: 'Upgrade rscm on this server to the version the other servers use.'},
		);
	}

	if (found < known) {
		throw new RscmError(
			'CATALOG_UNAVAILABLE',
			`The catalog at ${location} has schema version ${found}; this rscm needs version ${known}.`,
			{hint: 'Run `rscm init` to upgrade the catalog.'},
		);
	}

	return found;
}

const connectionFailures = new WeakSet<RscmError>();

/**
 * Marks a CATALOG_UNAVAILABLE that means "the catalog's server could not be reached, or the connection to it
 * dropped" — a failure that may pass (a restart, a failover) — as opposed to one that will not (a login refused, a
 * database that does not exist, a schema too old). Returns the error.
 */
export function markConnectionFailure(error: RscmError): RscmError {
	connectionFailures.add(error);
	return error;
}

/**
 * Whether `error` is such a connection failure. For work that is idempotent and may therefore retry it, such as a
 * key change's batches (source/core/key-change.ts); nothing else should retry on its own.
 */
export function isConnectionFailure(error: unknown): boolean {
	return error instanceof RscmError && connectionFailures.has(error);
}

/** What the hint of every connection failure of a database server ends with. */
export const rerunHint =
	'Run the command again once the server answers: a key change resumes where it stopped, and every other change is ' +
	'saved whole or not at all.';

/** A URL component decoded, or as it is when it is not valid percent-encoding. */
export function safeDecode(value: string): string {
	try {
		return decodeURIComponent(value);
	} catch {
		return value;
	}
}

/** Timestamps are stored and returned as ISO 8601 in UTC, so both backends return the same string. */
export function isoTimestamp(value: string | Date): string {
	const date = typeof value === 'string' ? new Date(value) : value;
	if (Number.isNaN(date.getTime())) {
		throw new RscmError('INTERNAL', `Not a timestamp: ${JSON.stringify(String(value))}.`);
	}

	return date.toISOString();
}

export function optionalIsoTimestamp(value: string | Date | null | undefined): string | undefined {
	return value === null || value === undefined ? undefined : isoTimestamp(value);
}

/**
 * The LIKE pattern (with ESCAPE '\') for names containing `text`: its own `%`, `_` and `\` match only themselves,
 * so a filter typed by the user is a plain substring on both backends.
 */
export function likeContaining(text: string): string {
	return `%${text.replaceAll(/[\\%_]/g, match => `\\${match}`)}%`;
}

/** A view of the same memory, no copy: both drivers bind Buffers. */
export function asBuffer(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** For a nullable bytes column: undefined is NULL, and an empty array stays an empty value, not NULL. */
export function optionalBuffer(bytes: Uint8Array | undefined): Buffer | null {
	return bytes === undefined ? null : asBuffer(bytes);
}

/** Row fields → column names, for the partial updates both backends build (updateInstance, updateKeyVersion). */
export const instanceColumns = {
	machine: 'machine',
	instanceName: 'instance_name',
	publicKey: 'public_key',
	identityFingerprint: 'identity_fingerprint',
	identityCreatedAt: 'identity_created_at',
	serviceAccount: 'service_account',
	registeredAt: 'registered_at',
	joinedAt: 'joined_at',
} as const satisfies Record<keyof Omit<InstanceRow, 'installationId'>, string>;

export const keyVersionColumns = {
	fingerprint: 'fingerprint',
	keyCheck: 'key_check',
	state: 'state',
	createdAt: 'created_at',
	backedUpAt: 'backed_up_at',
	retiredAt: 'retired_at',
} as const satisfies Record<keyof Omit<KeyVersionRow, 'version'>, string>;

/** The fields of those rows that hold timestamps (normalized to ISO strings on write). */
export const timestampFields = new Set<string>(['identityCreatedAt', 'registeredAt', 'joinedAt', 'createdAt', 'backedUpAt', 'retiredAt']);
