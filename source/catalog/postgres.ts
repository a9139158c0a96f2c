import {AsyncLocalStorage} from 'node:async_hooks';
import {createHash, randomUUID} from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import {RscmError} from '../errors.ts';
import type {
	AuditEntry,
	Catalog,
	CatalogCounts,
	CatalogInfo,
	CatalogTx,
	CreateCatalogOptions,
	DataSourceQuery,
	DataSourceRow,
	InstanceRow,
	KeyringSealRow,
	KeyVersionRow,
	KeyVersionState,
	NewAuditEntry,
	RotationRow,
	SecretAddress,
	SecretCounts,
	SecretKind,
	SecretRow,
	SubscriptionRow,
	WrappedKeyRow,
} from './catalog.ts';
import {postgresMigrations} from './migrations/postgres.ts';
import {
	asBuffer,
	assertMigrationsNumbered,
	catalogNotFound,
	checkSchemaVersion,
	instanceColumns,
	isConnectionFailure,
	isoTimestamp,
	keyVersionColumns,
	latestVersion,
	likeContaining,
	markConnectionFailure,
	optionalBuffer,
	optionalIsoTimestamp,
	secretKinds,
	timestampFields,
	type Migration,
} from './schema.ts';

export type PostgresCatalogOptions = {
	/** How long a writer waits for the catalog's write lock (or any row lock) before failing with BUSY. Default 30 s. */
	lockTimeout?: number;
	/** How long to wait for a connection to the server. Default 10 s. */
	connectTimeout?: number;
	/** Schema steps; tests pass their own to simulate another rscm version. */
	migrations?: readonly Migration[];
};

type Row = Record<string, unknown>;
type Mode = 'read' | 'write';

/** The parts of a `postgres://` location rscm needs; the password stays inside `connectionString` only. */
type ParsedLocation = {
	connectionString: string;
	schema: string;
	/** Safe to print: no password. */
	location: string;
	/** For messages: `database "rs" on db.example.com:5432`. */
	target: string;
	/** To scrub from driver messages, in case one ever echoes it. */
	secrets: string[];
};

const schemaPattern = /^[A-Za-z_][\w$]{0,62}$/;

function parseLocation(location: string): ParsedLocation {
	let url: URL;
	try {
		url = new URL(location);
	} catch {
		throw new RscmError('INVALID_INPUT', 'The PostgreSQL catalog location is not a valid URL.', {
			hint: 'Use postgres://user@host:5432/database?schema=rscm (keep the password in ~/.pgpass or PGPASSWORD).',
		});
	}

	const schema = url.searchParams.get('schema') ?? 'rscm';
	if (!schemaPattern.test(schema)) {
		throw new RscmError('INVALID_INPUT', `"${schema}" is not a usable PostgreSQL schema name.`, {
			hint: 'Use letters, digits and underscores, starting with a letter or underscore (at most 63 characters).',
		});
	}

	const secrets = [url.password, safeDecode(url.password), url.searchParams.get('password') ?? '', url.searchParams.get('sslpassword') ?? '']
		.filter(secret => secret.length > 0);

	url.searchParams.delete('schema');
	const printable = new URL(url.toString());
	// libpq's default user is the operating-system account; pg falls back to $USER only, which a service or a
	// cron job may not have.
	if (!url.username && !process.env.PGUSER) url.username = encodeURIComponent(os.userInfo().username);
	const connectionString = url.toString();

	printable.password = '';
	printable.searchParams.delete('password');
	printable.searchParams.delete('sslpassword');
	printable.searchParams.set('schema', schema);

	const host = safeDecode(url.hostname) || process.env.PGHOST || 'localhost';
	const port = url.port || process.env.PGPORT || '5432';
	const database = safeDecode(url.pathname.slice(1)) || process.env.PGDATABASE || safeDecode(url.username) || '';
	return {
		connectionString,
		schema,
		location: printable.toString(),
		target: `database "${database}" on ${host}:${port}`,
		secrets,
	};
}

function safeDecode(value: string): string {
	try {
		return decodeURIComponent(value);
	} catch {
		return value;
	}
}

/**
 * The key of the transaction-level advisory lock that serializes writers. Derived from the schema name, so two
 * catalogs in one database (two schemas) do not block each other; advisory locks are already per database.
 */
function advisoryKey(schema: string): bigint {
	return createHash('sha256').update(`rscm catalog write lock\0${schema}`).digest().readBigInt64BE(0);
}

/**
 * The shared catalog of a scale-out deployment, in one schema of a PostgreSQL database.
 *
 * Writers from every server serialize on a transaction-level advisory lock, taken first in each write transaction
 * and released by COMMIT or ROLLBACK (or by the server when a crashed client's connection drops). lock_timeout makes
 * a writer that waits too long fail with BUSY instead of hanging. Write transactions run at READ COMMITTED so the
 * statements after the lock see everything the previous writer committed; reads are REPEATABLE READ READ ONLY: one
 * consistent snapshot, never blocked by a writer (MVCC), so a rotation's short batches do not stall readers.
 *
 * When the connection drops (the backend terminated, the server restarted or failed over, the network cut): no
 * unhandled 'error' event, ever — every pooled client has a listener for its whole life — and the failure is
 * CATALOG_UNAVAILABLE naming the location, marked as a connection failure (isConnectionFailure, schema.ts) so that
 * work that is idempotent can retry it. What runs again here, on a fresh connection, and why:
 *
 * - Nothing had run yet (the drop hit SET search_path or BEGIN/lock/schema check, typically a pooled connection the
 *   server had ended while it sat idle): retried once, read or write. The server ends an open transaction with its
 *   backend, so nothing of it exists.
 * - A read transaction, wherever it dropped: retried once. It changed nothing, and the core's read work is a function
 *   of the snapshot it reads (no effects outside the database, nothing accumulated across attempts). A drop at the
 *   read's COMMIT, after the work returned, is no failure at all: the work saw one consistent snapshot, and a
 *   read-only COMMIT has nothing to save.
 * - A write transaction whose work had started: NOT retried. Before COMMIT the server has rolled it back, so a redo
 *   would be safe for the database — but the work is the core's closure, which may have acted outside it (a pending
 *   seal in the trust file, counters of its own), and only the core can say whether running it twice is right. At
 *   COMMIT the outcome is unknown: the server may have committed just before the connection went, and a blind redo
 *   could apply the change twice (a second key version, a second audit entry). Both stop with CATALOG_UNAVAILABLE,
 *   the message saying which of the two it was, and a hint to run the command again: every operation is written so
 *   that its rerun finishes it (a key change resumes; its batches, which are idempotent, are retried by the
 *   rotation itself, source/core/key-change.ts).
 * - Failing to connect at all (refused, timed out, the server starting up) is not retried here: a server that is
 *   down is reported at once.
 */
export class PostgresCatalog implements Catalog {
	readonly kind = 'postgres' as const;
	readonly location: string;
	readonly #parsed: ParsedLocation;
	readonly #pool: pg.Pool;
	readonly #lockTimeout: number;
	readonly #migrations: readonly Migration[];
	readonly #inTransaction = new AsyncLocalStorage<true>();
	/** Pooled connections whose search_path already points at the catalog's schema. */
	readonly #prepared = new WeakSet<pg.PoolClient>();
	/** Pooled connections that reported a connection error, with the first one: never used again. */
	readonly #dropped = new WeakMap<pg.PoolClient, Error>();
	#serverVersion: string | undefined;
	#closed = false;

	constructor(location: string, options: PostgresCatalogOptions = {}) {
		this.#parsed = parseLocation(location);
		this.location = this.#parsed.location;
		this.#lockTimeout = Math.max(1, Math.round(options.lockTimeout ?? 30_000));
		this.#migrations = options.migrations ?? postgresMigrations;
		assertMigrationsNumbered(this.#migrations);
		this.#pool = new pg.Pool({
			connectionString: this.#parsed.connectionString,
			// One process runs one operation at a time; a few connections cover a read beside a write.
			max: 4,
			idleTimeoutMillis: 10_000,
			connectionTimeoutMillis: options.connectTimeout ?? 10_000,
			// What pg_stat_activity shows for rscm's sessions. An application_name in the URL wins, as with libpq.
			application_name: 'rscm',
		});
		// An idle pooled connection that the server drops must not crash the process; the pool discards it.
		this.#pool.on('error', () => undefined);
		// A connection checked out of the pool has no listener of the pool's: pg removes it at checkout and puts it
		// back at release. A backend terminated meanwhile — between two queries, or after the error of the query that
		// was running — makes the client emit 'error', which with no listener throws from the socket's event handler
		// and ends the process ("Unhandled 'error' event"). This listener stays for the client's whole life; the
		// failure itself reaches the caller through the query that fails, and the client is never reused.
		this.#pool.on('connect', client => {
			client.on('error', error => {
				if (!this.#dropped.has(client)) this.#dropped.set(client, error);
			});
		});
	}

	async probe(): Promise<CatalogInfo | undefined> {
		// A plain read: runs again on a fresh connection if this one drops.
		return this.#session('read', () => true, async client => {
			const present = await client.query<{present: boolean}>(
				'SELECT to_regclass(format($1::text, $2::text)) IS NOT NULL AND to_regclass(format($3::text, $2::text)) IS NOT NULL AS present',
				['%I.schema_migrations', this.#parsed.schema, '%I.meta'],
			);
			if (!present.rows[0]?.present) return undefined;
			// The version and the meta row in one statement, so one snapshot, without BEGIN and COMMIT around it: every
			// session's opening probes (source/core/session.ts), so each round trip saved here is saved on every command.
			return this.#info(client);
		});
	}

	async sharedWriteAccess(): Promise<string | undefined> {
		// Roles and grants are the DBA's to review; rscm cannot tell a legitimate role from another.
		return undefined;
	}

	async serverVersion(): Promise<string> {
		if (this.#serverVersion !== undefined) return this.#serverVersion;
		return this.#session('read', () => true, async client => {
			const result = await client.query<{server_version: string}>("SELECT current_setting('server_version') AS server_version");
			this.#serverVersion ??= `PostgreSQL ${(result.rows[0]?.server_version ?? '').split(' ')[0]}`;
			return this.#serverVersion;
		});
	}

	async create(options: CreateCatalogOptions = {}): Promise<CatalogInfo> {
		// Not retried: create() runs its own transaction, and `rscm init` run again finishes it.
		return this.#session('create', () => false, async (client, connection) => {
			try {
				await client.query(this.#writeLockSql());
				connection.phase = 'work';
				// CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the schema exists;
				// a DBA may have created it and granted rscm rights in it only.
				const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.#parsed.schema]);
				if (schema.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(this.#parsed.schema)}`);
				await client.query(
					'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)',
				);
				const known = latestVersion(this.#migrations);
				const found = await this.#schemaVersion(client);
				if (found > known) checkSchemaVersion(this.location, found, known);
				const now = new Date().toISOString();
				for (const migration of this.#migrations) {
					if (migration.version <= found) continue;
					await client.query(migration.sql);
					await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [migration.version, now]);
				}

				await client.query(
					'INSERT INTO meta (singleton, catalog_id, created_at) VALUES (true, $1, $2) ON CONFLICT (singleton) DO NOTHING',
					[options.catalogId ?? randomUUID(), options.createdAt === undefined ? now : isoTimestamp(options.createdAt)],
				);
				const info = await this.#info(client, known);
				connection.phase = 'commit';
				await client.query('COMMIT');
				return info;
			} catch (error) {
				await connection.rollback();
				throw error;
			}
		});
	}

	async read<T>(work: (tx: CatalogTx) => Promise<T>): Promise<T> {
		return this.#transaction('read', work);
	}

	async write<T>(work: (tx: CatalogTx) => Promise<T>): Promise<T> {
		return this.#transaction('write', work);
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await this.#pool.end();
	}

	async #transaction<T>(mode: Mode, work: (tx: CatalogTx) => Promise<T>): Promise<T> {
		if (this.#inTransaction.getStore()) {
			// A nested write would wait for the advisory lock its own caller holds: fail instead of timing out.
			throw new RscmError('INTERNAL', 'A catalog transaction was started inside another one on the same catalog.');
		}

		// See the class comment: a read runs again wherever its connection dropped, a write only if nothing had run.
		const retry = (phase: Phase) => mode === 'read' || phase === 'begin';
		return this.#session(mode, retry, async (client, connection) => {
			const tx = new PostgresTx({
				query: async (text, values) => connection.query(text, values),
				mapError: error => connection.own(this.#mapError(error, mode, connection.phase, this.#dropped.get(client))),
				info: async () => this.#info(client, await this.#schemaVersion(client)),
			});
			try {
				// One round trip: begin, (for a write) take the lock, check the schema. For a read, this first statement
				// also fixes the snapshot.
				const begin = mode === 'write' ? this.#writeLockSql() : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';
				const results = (await connection.query(`${begin}; ${schemaCheckSql}`)) as unknown as pg.QueryResult[];
				const check = results.at(-1)!.rows[0] as {version: number | null; meta: number};
				checkSchemaVersion(this.location, check.version ?? 0, latestVersion(this.#migrations));
				if (check.meta === 0) throw catalogNotFound(this.location);
			} catch (error) {
				tx.end();
				await connection.rollback();
				throw error;
			}

			let result: T;
			connection.phase = 'work';
			try {
				result = await this.#inTransaction.run(true, async () => work(tx));
			} catch (error) {
				tx.end();
				await connection.rollback();
				// The work's own errors (and those its tx calls already mapped) reach the caller unchanged.
				throw connection.passThrough(error);
			}

			tx.end();
			connection.phase = 'commit';
			try {
				await connection.query('COMMIT');
			} catch (error) {
				// A read's work saw one consistent snapshot, and a read-only COMMIT has nothing to save: its result stands.
				if (mode === 'read' && connection.lost) return result;
				throw error;
			}

			return result;
		});
	}

	/** BEGIN, bounded wait, then the catalog's write lock: writers on every server queue here. */
	#writeLockSql(): string {
		return [
			'BEGIN ISOLATION LEVEL READ COMMITTED',
			`SET LOCAL lock_timeout = ${this.#lockTimeout}`,
			`SELECT pg_advisory_xact_lock(${advisoryKey(this.#parsed.schema)})`,
		].join('; ');
	}

	/**
	 * Runs `task` on a pooled connection set to the catalog's schema, mapping driver errors. When this connection
	 * drops and `retry` says the phase it dropped in may run again, the task runs once more on a fresh connection.
	 */
	async #session<T>(
		mode: Mode | 'create',
		retry: (phase: Phase) => boolean,
		task: (client: pg.PoolClient, connection: ConnectionControl) => Promise<T>,
	): Promise<T> {
		const first = this.#sessionOnce(mode, task);
		const outcome = await first.then(
			value => ({value}),
			(error: unknown) => ({error}),
		);
		if (!('error' in outcome)) return outcome.value;
		const {error} = outcome;
		// Only a drop of this transaction's own connection: a failure of another catalog inside the work (the target
		// of a copy) is that catalog's to handle.
		if (!(error instanceof DroppedConnection) || !retry(error.phase)) throw unwrapDropped(error);
		return this.#sessionOnce(mode, task).catch((second: unknown) => {
			throw unwrapDropped(second);
		});
	}

	async #sessionOnce<T>(
		mode: Mode | 'create',
		task: (client: pg.PoolClient, connection: ConnectionControl) => Promise<T>,
	): Promise<T> {
		if (this.#closed) throw new RscmError('INTERNAL', `The catalog at ${this.location} is closed.`);
		let client: pg.PoolClient;
		try {
			client = await this.#pool.connect();
		} catch (error) {
			// Not reached at all: reported as it is, not retried.
			throw this.#mapError(error, mode, 'connect');
		}

		let discard: Error | undefined;
		const passed = new WeakSet<object>();
		const own = new WeakSet<object>();
		const dropped = this.#dropped;
		const noteLost = (error: unknown) => {
			if (!isConnectionError(error)) return;
			control.lost = true;
			discard ??= error as Error;
		};

		const control: ConnectionControl = {
			phase: 'begin',
			lost: false,
			async query(text, values) {
				try {
					return await client.query(text, values);
				} catch (error) {
					noteLost(error);
					throw error;
				}
			},
			async rollback() {
				try {
					await client.query('ROLLBACK');
				} catch (error) {
					discard = error as Error;
				}
			},
			passThrough(error) {
				if (typeof error === 'object' && error !== null) passed.add(error);
				return error;
			},
			own(error) {
				if (typeof error === 'object' && error !== null) own.add(error);
				return error;
			},
		};
		try {
			if (!this.#prepared.has(client)) {
				// The catalog's tables are addressed unqualified; pg_catalog stays first implicitly.
				await control.query(`SET search_path TO ${quoteIdentifier(this.#parsed.schema)}`);
				this.#prepared.add(client);
			}

			return await task(client, control);
		} catch (error) {
			noteLost(error);
			if (dropped.has(client)) {
				control.lost = true;
				discard ??= dropped.get(client);
			}

			const passedThrough = typeof error === 'object' && error !== null && passed.has(error);
			const mapped = passedThrough ? error : this.#mapError(error, mode, control.phase, dropped.get(client));
			// A drop of this connection, met by one of its own statements, is carried up to #session (which decides on
			// a retry) with the phase it hit. An error of another catalog that the work let through is not this one's.
			const ownFailure = !passedThrough || own.has(mapped as object);
			if (control.lost && ownFailure && isConnectionFailure(mapped)) throw new DroppedConnection(mapped as RscmError, control.phase);
			throw mapped;
		} finally {
			// A connection that failed, or may still be inside a transaction, is closed rather than reused.
			client.release(discard ?? dropped.get(client));
		}
	}

	async #schemaVersion(client: pg.PoolClient): Promise<number> {
		const result = await client.query<{version: number | null}>('SELECT max(version) AS version FROM schema_migrations');
		return result.rows[0]?.version ?? 0;
	}

	/** `schemaVersion`: the version the caller already knows; read with the meta row when not given. */
	async #info(client: pg.PoolClient, schemaVersion?: number): Promise<CatalogInfo> {
		const meta = await client.query<{catalog_id: string; created_at: Date; server_version: string; version: number | null}>(
			`SELECT catalog_id, created_at, current_setting('server_version') AS server_version,
				(SELECT max(version) FROM schema_migrations) AS version FROM meta`,
		);
		const row = meta.rows[0];
		if (!row) throw catalogNotFound(this.location);
		this.#serverVersion ??= `PostgreSQL ${row.server_version.split(' ')[0]}`;
		return {
			kind: 'postgres',
			location: this.location,
			catalogId: row.catalog_id,
			schemaVersion: schemaVersion ?? row.version ?? 0,
			createdAt: isoTimestamp(row.created_at),
			serverVersion: this.#serverVersion,
		};
	}

	/**
	 * `phase`: where the connection was — not yet connected, or inside a transaction's begin, work or commit.
	 * `dropped`: what the client reported when its connection dropped, which says why ("terminating connection due to
	 * administrator command") better than the statement that met it afterwards ("… is not queryable").
	 */
	#mapError(error: unknown, mode: Mode | 'create', phase: Phase | 'connect', dropped?: Error): unknown {
		if (error instanceof RscmError) return error;
		if (!(error instanceof Error)) return error;
		const code = (error as {code?: unknown}).code;
		const {target} = this.#parsed;
		const cause = {cause: error};
		const detail = this.#scrub(error.message);

		if (isConnectionError(error) && phase === 'connect') {
			return markConnectionFailure(
				new RscmError('CATALOG_UNAVAILABLE', `Cannot connect to PostgreSQL, ${target}: ${detail}`, {
					...cause,
					hint: `Check that the server is running and reachable from this machine, and the host and port in the URL. ${rerunHint}`,
				}),
			);
		}

		if (isConnectionError(error)) {
			// Connected, then the connection dropped: the backend was terminated, the server restarted or failed over,
			// or the network cut. What became of the transaction depends on where it was.
			const reason = dropped ? this.#scrub(dropped.message) : detail;
			const outcome =
				mode === 'read'
					? ''
					: phase === 'commit'
						? ' while the change was being committed: it may or may not have been saved'
						: ' before the change was committed: nothing of it was saved';
			return markConnectionFailure(
				new RscmError('CATALOG_UNAVAILABLE', `The connection to the PostgreSQL catalog at ${this.location} dropped${outcome} (${reason}).`, {
					...cause,
					hint: `The server ended the session (restarted, failed over, or an administrator ended it) or the network dropped. ${rerunHint}`,
				}),
			);
		}

		if (typeof code !== 'string' || code.length !== 5) {
			// The driver's own failures before any SQL ran (authentication handshake, TLS) carry no SQLSTATE.
			if (/password|SASL|SCRAM|authentication/i.test(error.message)) return authenticationFailed(target, detail, cause);
			// Anything else without a SQLSTATE came from the caller's work, not the driver: pass it through.
			return error;
		}

		if (code === '28P01' || code === '28000') return authenticationFailed(target, detail, cause);
		if (code === '3D000') {
			return new RscmError('CATALOG_UNAVAILABLE', `PostgreSQL ${target}: ${detail}`, {
				...cause,
				hint: 'Create the database first (createdb), or fix the database name in the URL.',
			});
		}

		if (code === '42P01' || code === '3F000') return catalogNotFound(this.location);
		if (code === '55P03' || code === '40P01' || code === '40001' || code === '57014') {
			return new RscmError('BUSY', `The catalog at ${this.location} is locked by another operation.`, {
				...cause,
				hint: 'Wait for the key operation running on another server to finish, then try again.',
			});
		}

		if (code === '25006') {
			if (mode === 'read') return new RscmError('INTERNAL', 'A read transaction tried to write the catalog.', cause);
			return new RscmError('CATALOG_READ_ONLY', `The catalog at ${this.location} is read-only: ${detail}`, {
				...cause,
				hint: 'Point rscm at the primary server, not a standby.',
			});
		}

		if (code === '42501') {
			return mode === 'write'
				? new RscmError('CATALOG_READ_ONLY', `The catalog at ${this.location} cannot be written: ${detail}`, {
						...cause,
						hint: 'Grant the database user INSERT, UPDATE and DELETE on the catalog schema.',
					})
				: new RscmError('PERMISSION_DENIED', `PostgreSQL ${target}: ${detail}`, {
						...cause,
						hint: 'Grant the database user access to the database and the catalog schema.',
					});
		}

		if (code.startsWith('23')) {
			// The core checks before it writes; a constraint failure is a bug, not something the user can fix.
			return new RscmError('INTERNAL', `Catalog constraint violated (${code}): ${detail}`, cause);
		}

		if (code === 'XX001' || code === 'XX002') {
			return new RscmError('CATALOG_CORRUPT', `The catalog at ${this.location} is damaged: ${detail}`, {
				...cause,
				hint: 'Ask the database administrator to repair the database or restore it from a backup.',
			});
		}

		if (code === '53100') return new RscmError('DISK_FULL', `PostgreSQL ${target}: ${detail}`, cause);
		return new RscmError('CATALOG_UNAVAILABLE', `The catalog at ${this.location} cannot be used: ${detail}`, cause);
	}

	#scrub(message: string): string {
		let scrubbed = message;
		for (const secret of this.#parsed.secrets) scrubbed = scrubbed.split(secret).join('***');
		return scrubbed;
	}
}

/** How far a transaction got on its connection: what decides whether it may run again after the connection drops. */
type Phase = 'begin' | 'work' | 'commit';

/** What the hint of every connection failure ends with. */
const rerunHint =
	'Run the command again once the server answers: a key change resumes where it stopped, and every other change is ' +
	'saved whole or not at all.';

/** Lets a task end its transaction safely and mark errors that must reach the caller unchanged. */
type ConnectionControl = {
	/** Where the task is; set by the task as it goes (it starts at 'begin'). */
	phase: Phase;
	/** Set when a statement on this connection failed because the connection dropped. */
	lost: boolean;
	/** A statement on this connection; a connection error sets `lost`. */
	query(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
	/** ROLLBACK; if even that fails, the connection is closed instead of returned to the pool. */
	rollback(): Promise<void>;
	passThrough(error: unknown): unknown;
	/** Marks an error as this connection's own (a statement of its transaction failed), for the retry decision. */
	own(error: unknown): unknown;
};

/** A connection failure of a transaction's own connection on its way from #sessionOnce to #session, with its phase. */
class DroppedConnection extends Error {
	readonly failure: RscmError;
	readonly phase: Phase;

	constructor(failure: RscmError, phase: Phase) {
		super(failure.message);
		this.failure = failure;
		this.phase = phase;
	}
}

function unwrapDropped(error: unknown): unknown {
	return error instanceof DroppedConnection ? error.failure : error;
}

const schemaCheckSql =
	'SELECT (SELECT max(version) FROM schema_migrations) AS version, (SELECT count(*) FROM meta)::int AS meta';

function quoteIdentifier(name: string): string {
	return `"${name.replaceAll('"', '""')}"`;
}

const connectionErrorCodes = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ENOTFOUND',
	'EAI_AGAIN',
	'ETIMEDOUT',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EPIPE',
	'57P01',
	'57P02',
	'57P03',
]);

/** A driver error that means the connection failed or dropped (never an RscmError: those are already mapped). */
function isConnectionError(error: unknown): boolean {
	if (!(error instanceof Error) || error instanceof RscmError) return false;
	const code = (error as {code?: unknown}).code;
	if (typeof code === 'string' && (connectionErrorCodes.has(code) || code.startsWith('08'))) return true;
	// "Connection terminated unexpectedly" (the socket closed), "… due to connection timeout", and a statement sent on
	// a client that already failed or was closed ("… is not queryable").
	return /^Connection terminated|connection timeout|Client has encountered a connection error|is not queryable/i.test(error.message);
}

function authenticationFailed(target: string, detail: string, cause: {cause: unknown}): RscmError {
	return new RscmError('CATALOG_UNAVAILABLE', `PostgreSQL refused the login, ${target}: ${detail}`, {
		...cause,
		hint: 'Check the user name in the URL; keep the password in ~/.pgpass or PGPASSWORD rather than in the URL.',
	});
}

/** What a transaction needs from its catalog. */
type Session = {
	query(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
	mapError(error: unknown): unknown;
	info(): Promise<CatalogInfo>;
};

const nullableFields = new Set<string>(['joinedAt', 'backedUpAt', 'retiredAt']);

/**
 * Builds `SET a = $2, b = $3` from a patch. A nullable field present with `undefined` is cleared (an instance that
 * falls back to Waiting to Join loses its joinedAt); an absent field is left alone.
 */
function assignments(
	patch: Record<string, unknown>,
	columns: Record<string, string>,
	firstParameter: number,
): {sql: string; values: unknown[]} {
	const parts: string[] = [];
	const values: unknown[] = [];
	for (const [field, column] of Object.entries(columns)) {
		if (!Object.hasOwn(patch, field)) continue;
		const value = patch[field];
		if (value === undefined && !nullableFields.has(field)) continue;
		values.push(value === undefined ? null : toColumn(field, value));
		parts.push(`${column} = $${firstParameter + values.length - 1}`);
	}

	return {sql: parts.join(', '), values};
}

function toColumn(field: string, value: unknown): unknown {
	if (value instanceof Uint8Array) return asBuffer(value);
	if (timestampFields.has(field)) return isoTimestamp(value as string);
	return value;
}

function timestamp(value: unknown): string {
	return isoTimestamp(value as Date);
}

function optionalTimestamp(value: unknown): string | undefined {
	return optionalIsoTimestamp(value as Date | null);
}

function instanceFromRow(row: Row): InstanceRow {
	return {
		installationId: row.installation_id as string,
		machine: row.machine as string,
		instanceName: row.instance_name as string,
		publicKey: row.public_key as Buffer,
		identityFingerprint: row.identity_fingerprint as string,
		identityCreatedAt: timestamp(row.identity_created_at),
		serviceAccount: row.service_account as string,
		registeredAt: timestamp(row.registered_at),
		joinedAt: optionalTimestamp(row.joined_at),
	};
}

function keyVersionFromRow(row: Row): KeyVersionRow {
	return {
		version: row.version as number,
		fingerprint: row.fingerprint as string,
		keyCheck: row.key_check as Buffer,
		state: row.state as KeyVersionState,
		createdAt: timestamp(row.created_at),
		backedUpAt: optionalTimestamp(row.backed_up_at),
		retiredAt: optionalTimestamp(row.retired_at),
	};
}

function secretFromRow(row: Row): SecretRow {
	return {
		id: Number(row.id),
		kind: row.kind as SecretKind,
		owner: row.owner as string,
		field: row.field as string,
		ciphertext: (row.ciphertext as Buffer | null) ?? undefined,
		keyVersion: (row.key_version as number | null) ?? undefined,
		needsReentry: row.needs_reentry as boolean,
		updatedAt: timestamp(row.updated_at),
	};
}

const secretSelect = 'SELECT id, kind, owner, field, ciphertext, key_version, needs_reentry, updated_at FROM secrets';

/**
 * The operations of one transaction, on one pooled connection. Text is ordered with COLLATE "C" (byte order), as
 * SQLite orders it, so both backends list rows in the same order whatever the database's locale.
 */
class PostgresTx implements CatalogTx {
	readonly #session: Session;
	#open = true;

	constructor(session: Session) {
		this.#session = session;
	}

	end(): void {
		this.#open = false;
	}

	async getInfo(): Promise<CatalogInfo> {
		return this.#guard(async () => this.#session.info());
	}

	async listInstances(): Promise<InstanceRow[]> {
		const rows = await this.#rows('SELECT * FROM instances ORDER BY registered_at, installation_id COLLATE "C"');
		return rows.map(row => instanceFromRow(row));
	}

	async getInstance(installationId: string): Promise<InstanceRow | undefined> {
		const [row] = await this.#rows('SELECT * FROM instances WHERE installation_id = $1', [installationId]);
		return row ? instanceFromRow(row) : undefined;
	}

	async insertInstance(row: InstanceRow): Promise<void> {
		await this.#query(
			`INSERT INTO instances (installation_id, machine, instance_name, public_key, identity_fingerprint,
				identity_created_at, service_account, registered_at, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			[
				row.installationId,
				row.machine,
				row.instanceName,
				asBuffer(row.publicKey),
				row.identityFingerprint,
				isoTimestamp(row.identityCreatedAt),
				row.serviceAccount,
				isoTimestamp(row.registeredAt),
				optionalIsoTimestamp(row.joinedAt) ?? null,
			],
		);
	}

	async updateInstance(installationId: string, patch: Partial<Omit<InstanceRow, 'installationId'>>): Promise<void> {
		const {sql, values} = assignments(patch, instanceColumns, 2);
		const result = sql
			? await this.#query(`UPDATE instances SET ${sql} WHERE installation_id = $1`, [installationId, ...values])
			: await this.#query('SELECT 1 FROM instances WHERE installation_id = $1', [installationId]);
		if (result.rowCount === 0) throw new RscmError('UNKNOWN_INSTANCE', `No instance ${installationId} in this catalog.`);
	}

	async deleteInstance(installationId: string): Promise<void> {
		await this.#query('DELETE FROM instances WHERE installation_id = $1', [installationId]);
	}

	async listKeyVersions(): Promise<KeyVersionRow[]> {
		const rows = await this.#rows('SELECT * FROM key_versions ORDER BY version');
		return rows.map(row => keyVersionFromRow(row));
	}

	async insertKeyVersion(row: KeyVersionRow): Promise<void> {
		await this.#query(
			`INSERT INTO key_versions (version, fingerprint, key_check, state, created_at, backed_up_at, retired_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			[
				row.version,
				row.fingerprint,
				asBuffer(row.keyCheck),
				row.state,
				isoTimestamp(row.createdAt),
				optionalIsoTimestamp(row.backedUpAt) ?? null,
				optionalIsoTimestamp(row.retiredAt) ?? null,
			],
		);
	}

	async updateKeyVersion(version: number, patch: Partial<Omit<KeyVersionRow, 'version'>>): Promise<void> {
		const {sql, values} = assignments(patch, keyVersionColumns, 2);
		const result = sql
			? await this.#query(`UPDATE key_versions SET ${sql} WHERE version = $1`, [version, ...values])
			: await this.#query('SELECT 1 FROM key_versions WHERE version = $1', [version]);
		if (result.rowCount === 0) throw new RscmError('INTERNAL', `No key version ${version} in this catalog.`);
	}

	async listWrappedKeys(installationId: string): Promise<WrappedKeyRow[]> {
		const rows = await this.#rows('SELECT * FROM wrapped_keys WHERE installation_id = $1 ORDER BY version', [installationId]);
		return rows.map(row => ({
			installationId: row.installation_id as string,
			version: row.version as number,
			wrapped: row.wrapped as Buffer,
		}));
	}

	async putWrappedKey(row: WrappedKeyRow): Promise<void> {
		await this.#query(
			`INSERT INTO wrapped_keys (installation_id, version, wrapped) VALUES ($1, $2, $3)
				ON CONFLICT (installation_id, version) DO UPDATE SET wrapped = excluded.wrapped`,
			[row.installationId, row.version, asBuffer(row.wrapped)],
		);
	}

	async deleteWrappedKeys(filter: {installationId?: string; version?: number}): Promise<void> {
		await this.#query(
			`DELETE FROM wrapped_keys
				WHERE ($1::text IS NULL OR installation_id = $1) AND ($2::integer IS NULL OR version = $2)`,
			[filter.installationId ?? null, filter.version ?? null],
		);
	}

	async getSecret(address: SecretAddress): Promise<SecretRow | undefined> {
		const [row] = await this.#rows(`${secretSelect} WHERE kind = $1 AND owner = $2 AND field = $3`, [
			address.kind,
			address.owner,
			address.field,
		]);
		return row ? secretFromRow(row) : undefined;
	}

	async putSecret(address: SecretAddress, ciphertext: Uint8Array, keyVersion: number): Promise<number> {
		// Upsert keeps the row id, so a value rewritten during a rotation stays where the rotation expects it.
		const [row] = await this.#rows(
			`INSERT INTO secrets (kind, owner, field, ciphertext, key_version, needs_reentry, updated_at)
				VALUES ($1, $2, $3, $4, $5, false, $6)
				ON CONFLICT (kind, owner, field) DO UPDATE SET ciphertext = excluded.ciphertext,
					key_version = excluded.key_version, needs_reentry = false, updated_at = excluded.updated_at
				RETURNING id`,
			[address.kind, address.owner, address.field, asBuffer(ciphertext), keyVersion, new Date().toISOString()],
		);
		return Number(row!.id);
	}

	async markSecretNeedsReentry(address: SecretAddress): Promise<void> {
		await this.#query(
			`INSERT INTO secrets (kind, owner, field, ciphertext, key_version, needs_reentry, updated_at)
				VALUES ($1, $2, $3, NULL, NULL, true, $4)
				ON CONFLICT (kind, owner, field) DO UPDATE SET ciphertext = NULL, key_version = NULL,
					needs_reentry = true, updated_at = excluded.updated_at`,
			[address.kind, address.owner, address.field, new Date().toISOString()],
		);
	}

	async deleteSecrets(filter: {kind: SecretKind; owner: string; field?: string}): Promise<void> {
		await this.#query('DELETE FROM secrets WHERE kind = $1 AND owner = $2 AND ($3::text IS NULL OR field = $3)', [
			filter.kind,
			filter.owner,
			filter.field ?? null,
		]);
	}

	async listSecrets(filter: {kind?: SecretKind; owner?: string}): Promise<SecretRow[]> {
		const rows = await this.#rows(
			`${secretSelect} WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR owner = $2) ORDER BY id`,
			[filter.kind ?? null, filter.owner ?? null],
		);
		return rows.map(row => secretFromRow(row));
	}

	async secretsBatch(keyVersion: number, afterId: number, limit: number): Promise<SecretRow[]> {
		const rows = await this.#rows(`${secretSelect} WHERE key_version = $1 AND id > $2 ORDER BY id LIMIT $3`, [
			keyVersion,
			afterId,
			limit,
		]);
		return rows.map(row => secretFromRow(row));
	}

	async replaceSecretCiphertexts(
		fromVersion: number,
		toVersion: number,
		updates: Array<{id: number; ciphertext: Uint8Array}>,
	): Promise<number> {
		if (updates.length === 0) return this.#guard(async () => 0);
		// One statement per batch. updated_at is left alone: it records when the value was last entered, and a
		// rotation does not change the value.
		const result = await this.#query(
			`UPDATE secrets AS s SET ciphertext = u.ciphertext, key_version = $2
				FROM unnest($3::bigint[], $4::bytea[]) AS u (id, ciphertext)
				WHERE s.id = u.id AND s.key_version = $1`,
			[fromVersion, toVersion, updates.map(update => update.id), updates.map(update => asBuffer(update.ciphertext))],
		);
		return result.rowCount ?? 0;
	}

	async countSecrets(filter: {keyVersion?: number} = {}): Promise<number> {
		const [row] = await this.#rows('SELECT count(*) AS n FROM secrets WHERE ($1::integer IS NULL OR key_version = $1)', [
			filter.keyVersion ?? null,
		]);
		return Number(row!.n);
	}

	async countSecretsByKind(): Promise<SecretCounts> {
		const rows = await this.#rows(
			'SELECT kind, count(*) AS total, count(*) FILTER (WHERE needs_reentry) AS reentry FROM secrets GROUP BY kind',
		);
		const counts = Object.fromEntries(secretKinds.map(kind => [kind, {total: 0, needsReentry: 0}])) as SecretCounts;
		for (const row of rows) counts[row.kind as SecretKind] = {total: Number(row.total), needsReentry: Number(row.reentry)};
		return counts;
	}

	async clearAllSecrets(): Promise<number> {
		const result = await this.#query(
			`UPDATE secrets SET ciphertext = NULL, key_version = NULL, needs_reentry = true, updated_at = $1
				WHERE ciphertext IS NOT NULL`,
			[new Date().toISOString()],
		);
		return result.rowCount ?? 0;
	}

	async listDataSources(): Promise<DataSourceRow[]> {
		const rows = await this.#rows('SELECT name, created_at, updated_at FROM data_sources ORDER BY name COLLATE "C"');
		return rows.map(row => dataSourceFromRow(row));
	}

	async getDataSource(name: string): Promise<DataSourceRow | undefined> {
		const [row] = await this.#rows('SELECT name, created_at, updated_at FROM data_sources WHERE name = $1', [name]);
		return row ? dataSourceFromRow(row) : undefined;
	}

	async upsertDataSource(name: string): Promise<void> {
		const now = new Date().toISOString();
		await this.#query(
			`INSERT INTO data_sources (name, created_at, updated_at) VALUES ($1, $2, $2)
				ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at`,
			[name, now],
		);
	}

	async deleteDataSource(name: string): Promise<boolean> {
		const result = await this.#query('DELETE FROM data_sources WHERE name = $1', [name]);
		return (result.rowCount ?? 0) > 0;
	}

	async findDataSources(query: DataSourceQuery): Promise<DataSourceRow[]> {
		// Byte order (COLLATE "C"), as SQLite compares text, so both backends page the same way.
		const values: unknown[] = [];
		const where = dataSourceConditions(query.contains, values);
		if (query.after !== undefined) {
			values.push(query.after);
			where.push(`name COLLATE "C" ${query.inclusive ? '>=' : '>'} $${values.length}`);
		}

		if (query.before !== undefined) {
			values.push(query.before);
			where.push(`name COLLATE "C" < $${values.length}`);
		}

		values.push(query.limit);
		const rows = await this.#rows(
			`SELECT name, created_at, updated_at FROM data_sources ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
				ORDER BY name COLLATE "C" ${query.fromEnd ? 'DESC' : 'ASC'} LIMIT $${values.length}`,
			values,
		);
		const found = rows.map(row => dataSourceFromRow(row));
		return query.fromEnd ? found.reverse() : found;
	}

	async countDataSources(contains?: string): Promise<number> {
		const values: unknown[] = [];
		const where = dataSourceConditions(contains, values);
		const [row] = await this.#rows(
			`SELECT count(*) AS n FROM data_sources ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`,
			values,
		);
		return Number(row!.n);
	}

	async secretsOfOwners(kind: SecretKind, owners: readonly string[]): Promise<SecretRow[]> {
		const rows = await this.#rows(`${secretSelect} WHERE kind = $1 AND owner = ANY($2::text[]) ORDER BY id`, [kind, owners]);
		return rows.map(row => secretFromRow(row));
	}

	async listSubscriptions(): Promise<SubscriptionRow[]> {
		const rows = await this.#rows('SELECT * FROM subscriptions ORDER BY id COLLATE "C"');
		return rows.map(row => ({
			id: row.id as string,
			description: row.description as string,
			delivery: row.delivery as string,
			settings: JSON.parse(row.settings as string) as Record<string, string>,
			updatedAt: timestamp(row.updated_at),
		}));
	}

	async upsertSubscription(row: SubscriptionRow): Promise<void> {
		await this.#query(
			`INSERT INTO subscriptions (id, description, delivery, settings, updated_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (id) DO UPDATE SET description = excluded.description, delivery = excluded.delivery,
					settings = excluded.settings, updated_at = excluded.updated_at`,
			[row.id, row.description, row.delivery, JSON.stringify(row.settings), isoTimestamp(row.updatedAt)],
		);
	}

	async getSettings(): Promise<Record<string, string>> {
		const rows = await this.#rows('SELECT name, value FROM settings ORDER BY name COLLATE "C"');
		return Object.fromEntries(rows.map(row => [row.name as string, row.value as string]));
	}

	async putSettings(values: Record<string, string | undefined>): Promise<void> {
		const entries = Object.entries(values);
		const set = entries.filter(([, value]) => value !== undefined);
		const removed = entries.filter(([, value]) => value === undefined).map(([name]) => name);
		if (removed.length > 0) await this.#query('DELETE FROM settings WHERE name = ANY ($1::text[])', [removed]);
		if (set.length > 0) {
			await this.#query(
				`INSERT INTO settings (name, value) SELECT * FROM unnest($1::text[], $2::text[])
					ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
				[set.map(([name]) => name), set.map(([, value]) => value)],
			);
		}

		if (entries.length === 0) await this.#guard(async () => undefined);
	}

	async getRotation(): Promise<RotationRow | undefined> {
		const [row] = await this.#rows('SELECT * FROM rotation');
		if (!row) return undefined;
		return {
			fromVersion: row.from_version as number,
			toVersion: row.to_version as number,
			startedAt: timestamp(row.started_at),
			total: Number(row.total),
			done: Number(row.done),
			lastId: Number(row.last_id),
			leaseOwner: (row.lease_owner as string | null) ?? undefined,
			leaseExpiresAt: optionalTimestamp(row.lease_expires_at),
		};
	}

	async putRotation(row: RotationRow | undefined): Promise<void> {
		if (!row) {
			await this.#query('DELETE FROM rotation');
			return;
		}

		await this.#query(
			`INSERT INTO rotation (singleton, from_version, to_version, started_at, total, done, last_id, lease_owner,
				lease_expires_at) VALUES (true, $1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (singleton) DO UPDATE SET from_version = excluded.from_version, to_version = excluded.to_version,
					started_at = excluded.started_at, total = excluded.total, done = excluded.done, last_id = excluded.last_id,
					lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at`,
			[
				row.fromVersion,
				row.toVersion,
				isoTimestamp(row.startedAt),
				row.total,
				row.done,
				row.lastId,
				row.leaseOwner ?? null,
				optionalIsoTimestamp(row.leaseExpiresAt) ?? null,
			],
		);
	}

	async getKeyringSeal(): Promise<KeyringSealRow | undefined> {
		const [row] = await this.#rows('SELECT sequence, body, signature FROM keyring_seal');
		if (!row) return undefined;
		// bigint comes back as a string.
		return {sequence: Number(row.sequence), body: row.body as Buffer, signature: row.signature as Buffer};
	}

	async putKeyringSeal(row: KeyringSealRow | undefined): Promise<void> {
		if (!row) {
			await this.#query('DELETE FROM keyring_seal');
			return;
		}

		await this.#query(
			`INSERT INTO keyring_seal (singleton, sequence, body, signature) VALUES (true, $1, $2, $3)
				ON CONFLICT (singleton) DO UPDATE SET sequence = excluded.sequence, body = excluded.body,
					signature = excluded.signature`,
			[row.sequence, asBuffer(row.body), asBuffer(row.signature)],
		);
	}

	async appendAudit(entry: NewAuditEntry): Promise<number> {
		// `at` is stored as given, never replaced by the server's now(): the chained hash covers it.
		const [row] = await this.#rows(
			`INSERT INTO audit_log (at, installation_id, operation, fingerprints, outcome, detail, chain_hash, key_version,
				signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			[
				isoTimestamp(entry.at),
				entry.installationId ?? null,
				entry.operation,
				JSON.stringify(entry.fingerprints),
				entry.outcome,
				entry.detail,
				optionalBuffer(entry.chainHash),
				entry.keyVersion ?? null,
				optionalBuffer(entry.signature),
			],
		);
		// bigserial comes back as a string.
		return Number(row!.id);
	}

	async listAudit(limit: number): Promise<AuditEntry[]> {
		const rows = await this.#rows('SELECT * FROM audit_log ORDER BY id DESC LIMIT $1', [limit]);
		return rows.map(row => auditFromRow(row));
	}

	async lastAuditEntry(): Promise<AuditEntry | undefined> {
		const [row] = await this.#rows('SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
		return row ? auditFromRow(row) : undefined;
	}

	async secretsAfter(afterId: number, limit: number): Promise<SecretRow[]> {
		const rows = await this.#rows(`${secretSelect} WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
		return rows.map(row => secretFromRow(row));
	}

	async dataSourcesAfter(afterName: string | undefined, limit: number): Promise<DataSourceRow[]> {
		// Byte order (COLLATE "C"), as SQLite compares text, so both backends page the same way.
		const rows = await this.#rows(
			`SELECT name, created_at, updated_at FROM data_sources
				WHERE ($1::text IS NULL OR name COLLATE "C" > $1) ORDER BY name COLLATE "C" LIMIT $2`,
			[afterName ?? null, limit],
		);
		return rows.map(row => dataSourceFromRow(row));
	}

	async auditAfter(afterId: number, limit: number): Promise<AuditEntry[]> {
		const rows = await this.#rows('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
		return rows.map(row => auditFromRow(row));
	}

	async insertSecrets(rows: SecretRow[]): Promise<void> {
		if (rows.length === 0) return this.#guard(async () => undefined);
		// One statement per batch.
		await this.#query(
			`INSERT INTO secrets (id, kind, owner, field, ciphertext, key_version, needs_reentry, updated_at)
				SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::integer[],
					$7::boolean[], $8::timestamptz[])`,
			[
				rows.map(row => row.id),
				rows.map(row => row.kind),
				rows.map(row => row.owner),
				rows.map(row => row.field),
				rows.map(row => (row.ciphertext === undefined ? null : asBuffer(row.ciphertext))),
				rows.map(row => row.keyVersion ?? null),
				rows.map(row => row.needsReentry),
				rows.map(row => isoTimestamp(row.updatedAt)),
			],
		);
		await this.#advanceSequence('secrets');
	}

	async insertDataSources(rows: DataSourceRow[]): Promise<void> {
		if (rows.length === 0) return this.#guard(async () => undefined);
		await this.#query(
			`INSERT INTO data_sources (name, created_at, updated_at)
				SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])`,
			[rows.map(row => row.name), rows.map(row => isoTimestamp(row.createdAt)), rows.map(row => isoTimestamp(row.updatedAt))],
		);
	}

	async insertAuditEntries(entries: AuditEntry[]): Promise<void> {
		if (entries.length === 0) return this.#guard(async () => undefined);
		await this.#query(
			`INSERT INTO audit_log (id, at, installation_id, operation, fingerprints, outcome, detail, chain_hash, key_version,
				signature)
				SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
					$8::bytea[], $9::integer[], $10::bytea[])`,
			[
				entries.map(entry => entry.id),
				entries.map(entry => isoTimestamp(entry.at)),
				entries.map(entry => entry.installationId ?? null),
				entries.map(entry => entry.operation),
				entries.map(entry => JSON.stringify(entry.fingerprints)),
				entries.map(entry => entry.outcome),
				entries.map(entry => entry.detail),
				entries.map(entry => optionalBuffer(entry.chainHash)),
				entries.map(entry => entry.keyVersion ?? null),
				entries.map(entry => optionalBuffer(entry.signature)),
			],
		);
		await this.#advanceSequence('audit_log');
	}

	async countRows(): Promise<CatalogCounts> {
		const [row] = await this.#rows(
			`SELECT (SELECT count(*) FROM instances) AS "instances", (SELECT count(*) FROM key_versions) AS "keyVersions",
				(SELECT count(*) FROM wrapped_keys) AS "wrappedKeys", (SELECT count(*) FROM secrets) AS "secrets",
				(SELECT count(*) FROM data_sources) AS "dataSources", (SELECT count(*) FROM subscriptions) AS "subscriptions",
				(SELECT count(*) FROM settings) AS "settings", (SELECT count(*) FROM audit_log) AS "auditEntries",
				(SELECT count(*) FROM rotation) AS "rotation", (SELECT count(*) FROM keyring_seal) AS "keyringSeal"`,
		);
		// count(*) is bigint, which pg returns as a string.
		return Object.fromEntries(Object.entries(row!).map(([name, value]) => [name, Number(value)])) as CatalogCounts;
	}

	/**
	 * Rows inserted with explicit ids leave the bigserial sequence behind; move it past them (never back), or the
	 * next ordinary insert would collide with a copied id. setval is not rolled back with the transaction, which
	 * only skips ids: an id is still never handed out twice.
	 */
	async #advanceSequence(table: 'secrets' | 'audit_log'): Promise<void> {
		await this.#query(
			`SELECT setval(sequence, GREATEST((SELECT max(id) FROM ${table}), COALESCE(pg_sequence_last_value(sequence), 1)))
				FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS sequence) AS s`,
			[table],
		);
	}

	async #rows(text: string, values?: unknown[]): Promise<Row[]> {
		return (await this.#query(text, values)).rows;
	}

	async #query(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> {
		return this.#guard(async () => this.#session.query(text, values));
	}

	/** Refuses use after the transaction ended; driver errors become RscmErrors here. */
	async #guard<T>(operation: () => Promise<T>): Promise<T> {
		if (!this.#open) throw new RscmError('INTERNAL', 'A catalog transaction was used after it ended.');
		try {
			return await operation();
		} catch (error) {
			throw this.#session.mapError(error);
		}
	}
}

function auditFromRow(row: Row): AuditEntry {
	return {
		id: Number(row.id),
		at: timestamp(row.at),
		installationId: (row.installation_id as string | null) ?? undefined,
		operation: row.operation as string,
		fingerprints: JSON.parse(row.fingerprints as string) as string[],
		outcome: row.outcome as AuditEntry['outcome'],
		detail: row.detail as string,
		chainHash: (row.chain_hash as Buffer | null) ?? undefined,
		keyVersion: (row.key_version as number | null) ?? undefined,
		signature: (row.signature as Buffer | null) ?? undefined,
	};
}

/** The name filter of findDataSources and countDataSources: ILIKE folds every letter, as SQLite's casefold does. */
function dataSourceConditions(contains: string | undefined, values: unknown[]): string[] {
	if (contains === undefined) return [];
	values.push(likeContaining(contains));
	return [`name ILIKE $${values.length} ESCAPE '\\'`];
}

function dataSourceFromRow(row: Row): DataSourceRow {
	return {name: row.name as string, createdAt: timestamp(row.created_at), updatedAt: timestamp(row.updated_at)};
}
