import {AsyncLocalStorage} from 'node:async_hooks';
import {createHash} from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import {RscmError} from '../../errors.ts';
import type {Catalog, CatalogInfo, CatalogTx, CreateCatalogOptions, WriteOptions} from '../catalog.ts';
import {postgresMigrations} from '../migrations/postgres.ts';
import {
	assertMigrationsNumbered,
	catalogNotFound,
	checkSchemaVersion,
	isConnectionFailure,
	isoTimestamp,
	latestVersion,
	likeContaining,
	markConnectionFailure,
	rerunHint,
	safeDecode,
	type Migration,
} from '../schema.ts';
import {
	migrateSchema,
	onConflictUpdate,
	SqlTx,
	type BulkColumn,
	type Row,
	type SchemaDialect,
	type SqlConnection,
	type SqlDialect,
} from '../sql-catalog.ts';

export type PostgresCatalogOptions = {
	/** How long a writer waits for the catalog's write lock (or any row lock) before failing with BUSY. Default 30 s. */
	lockTimeout?: number;
	/** How long to wait for a connection to the server. Default 10 s. */
	connectTimeout?: number;
	/** Schema steps; tests pass their own to simulate another rscm version. */
	migrations?: readonly Migration[];
};

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
	readonly queuesWriters = true;
	/**
	 * 5000 values a transaction, in one update statement: a batch costs eight round trips whatever its size, and on a
	 * loaded machine each is a wait for the CPU (2000 in slices of 500 made eleven, 5.5 a thousand values; this makes
	 * 1.6). The driver never blocks the event loop, so the slices that keep SQLite's UI responsive buy nothing here,
	 * and a batch still holds the write lock for about a tenth of a second.
	 */
	readonly rotationBatching = {batchSize: 5000, updateSlice: 5000};
	readonly location: string;
	readonly #parsed: ParsedLocation;
	readonly #pool: pg.Pool;
	readonly #lockTimeout: number;
	readonly #migrations: readonly Migration[];
	readonly #dialect: SqlDialect & SchemaDialect;
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
		this.#dialect = postgresDialect(this.#parsed.schema);
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
				const known = await migrateSchema(sqlConnection(connection), this.#dialect, this.#migrations, this.location, options);
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

	async write<T>(work: (tx: CatalogTx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
		return this.#transaction('write', work, options.durability === 'deferred');
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await this.#pool.end();
	}

	async #transaction<T>(mode: Mode, work: (tx: CatalogTx) => Promise<T>, deferred = false): Promise<T> {
		if (this.#inTransaction.getStore()) {
			// A nested write would wait for the advisory lock its own caller holds: fail instead of timing out.
			throw new RscmError('INTERNAL', 'A catalog transaction was started inside another one on the same catalog.');
		}

		// See the class comment: a read runs again wherever its connection dropped, a write only if nothing had run.
		const retry = (phase: Phase) => mode === 'read' || phase === 'begin';
		return this.#session(mode, retry, async (client, connection) => {
			const tx = new SqlTx({
				connection: sqlConnection(connection),
				dialect: this.#dialect,
				mapError: error => connection.own(this.#mapError(error, mode, connection.phase, this.#dropped.get(client))),
				info: async () => this.#info(client, await this.#schemaVersion(client)),
			});
			try {
				// One round trip: begin, (for a write) take the lock, check the schema. For a read, this first statement
				// also fixes the snapshot.
				const begin = mode === 'write' ? this.#writeLockSql(deferred) : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';
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

	/**
	 * BEGIN, bounded wait, then the catalog's write lock: writers on every server queue here.
	 *
	 * `deferred` (WriteOptions.durability): COMMIT returns without waiting for the WAL flush (synchronous_commit off,
	 * for this transaction only). The server writes WAL in order and a later synchronous COMMIT flushes everything
	 * before it, so a crash can lose only the last deferred commits, never keep a later one without an earlier: what
	 * a rotation's batches need (a lost batch is still under the old version and is redone on resume). Under load the
	 * flush wait was the longest step of a small batch's commit.
	 *
	 * Writes plan their statements generically (plan_cache_mode, PostgreSQL 12 and later): every write is a lookup by
	 * key or a bulk statement over arrays, whose best plan does not depend on the values bound. A plan made for the
	 * values trusts the statistics, which a catalog freshly loaded or copied does not have yet (autovacuum has not
	 * analyzed it): for a rotation's update of 500 values it took `key_version = ?` for a few hundred rows and
	 * hash-joined every remaining value of that version, each time (45 µs a value of server time instead of 11). The
	 * generic plan looks each value up by its id.
	 */
	#writeLockSql(deferred = false): string {
		return [
			'BEGIN ISOLATION LEVEL READ COMMITTED',
			`SET LOCAL lock_timeout = ${this.#lockTimeout}`,
			'SET LOCAL plan_cache_mode = force_generic_plan',
			...(deferred ? ['SET LOCAL synchronous_commit = off'] : []),
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

/** `?` placeholders numbered as pg wants them ($1, $2 …); the catalog's SQL has no `?` of its own. */
const numberedSql = new Map<string, string>();

function numbered(sql: string): string {
	let text = numberedSql.get(sql);
	if (text === undefined) {
		let index = 0;
		text = sql.replaceAll('?', () => `$${++index}`);
		numberedSql.set(sql, text);
	}

	return text;
}

/** A transaction's connection as the shared SQL code uses it: every statement goes through `connection.query`. */
function sqlConnection(connection: Pick<ConnectionControl, 'query'>): SqlConnection {
	return {
		async query(sql, values) {
			const result = await connection.query(numbered(sql), values as unknown[] | undefined);
			return {rows: result.rows, changes: result.rowCount ?? 0};
		},
		async queryMany(sql, valueLists) {
			let changes = 0;
			for (const values of valueLists) changes += (await connection.query(numbered(sql), values as unknown[])).rowCount ?? 0;
			return changes;
		},
		async exec(sql) {
			await connection.query(sql);
		},
	};
}

const arrayTypes: Record<BulkColumn['type'], string> = {
	bigint: 'bigint[]',
	integer: 'integer[]',
	text: 'text[]',
	bytes: 'bytea[]',
	boolean: 'boolean[]',
	timestamp: 'timestamptz[]',
};

/**
 * PostgreSQL's SQL: native booleans and timestamptz; text ordered with COLLATE "C" (byte order), as SQLite orders
 * it, whatever the database's locale; bulk writes as one statement over unnest() of arrays.
 */
function postgresDialect(schema: string): SqlDialect & SchemaDialect {
	return {
		kind: 'postgres',
		boolean: value => value,
		timestamp: iso => iso,
		byteOrder: column => `${column} COLLATE "C"`,
		// ILIKE folds every letter, as SQLite's casefold does.
		containsCondition: column => `${column} ILIKE ? ESCAPE '\\'`,
		containsPattern: likeContaining,
		upsert: onConflictUpdate,
		oneOf: (column, values) => ({sql: `${column} = ANY (?::text[])`, values: [values]}),
		/**
		 * As a range of the (key_version, id) index, not `key_version = ? AND id > ?`: on a catalog whose statistics do
		 * not know the key versions yet (freshly loaded or copied; autovacuum has not analyzed it), the planner took the
		 * equality for a few hundred rows and chose a bitmap scan of every remaining row of the version plus a sort, for
		 * each batch: a rotation quadratic in the values. The range is estimated as the large share it is, and read in
		 * index order up to the LIMIT whatever the statistics say.
		 */
		versionAfter: (keyVersion, afterId) => ({
			sql: '(key_version, id) > (?::integer, ?::bigint) AND (key_version, id) <= (?::integer, 9223372036854775807)',
			values: [keyVersion, afterId, keyVersion],
		}),
		/**
		 * The new ciphertexts travel as one bytea, cut by substring() at the offsets given beside the ids. pg sends a
		 * Buffer parameter as binary, but a bytea[] as a text literal: every value hex-encoded here, twice its size on
		 * the wire, and parsed back by the server's array input.
		 */
		async replaceCiphertexts(connection, fromVersion, toVersion, updates) {
			const ids: number[] = [];
			const starts: number[] = [];
			const lengths: number[] = [];
			let start = 1;
			for (const update of updates) {
				ids.push(update.id);
				starts.push(start);
				lengths.push(update.ciphertext.byteLength);
				start += update.ciphertext.byteLength;
			}

			const result = await connection.query(
				`UPDATE secrets AS s SET ciphertext = substring(?::bytea FROM u.start FOR u.length), key_version = ?
					FROM unnest(?::bigint[], ?::integer[], ?::integer[]) AS u (id, start, length)
					WHERE s.id = u.id AND s.key_version = ?`,
				[Buffer.concat(updates.map(update => update.ciphertext), start - 1), toVersion, ids, starts, lengths, fromVersion],
			);
			return result.changes;
		},
		async insertRows(connection, table, columns, rows) {
			await connection.query(
				`INSERT INTO ${table} (${columns.map(column => column.name).join(', ')})
					SELECT * FROM unnest(${columns.map(column => `?::${arrayTypes[column.type]}`).join(', ')})`,
				columns.map((_, index) => rows.map(row => row[index])),
			);
		},
		/**
		 * Rows inserted with explicit ids leave the bigserial sequence behind; move it past them (never back), or the
		 * next ordinary insert would collide with a copied id. setval is not rolled back with the transaction, which
		 * only skips ids: an id is still never handed out twice.
		 */
		async afterExplicitIds(connection, table) {
			await connection.query(
				`SELECT setval(sequence, GREATEST((SELECT max(id) FROM ${table}), COALESCE(pg_sequence_last_value(sequence), 1)))
					FROM (SELECT pg_get_serial_sequence(?, 'id')::regclass AS sequence) AS s`,
				[table],
			);
		},
		async prepareSchema(connection) {
			// CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the schema exists;
			// a DBA may have created it and granted rscm rights in it only.
			const found = await connection.query('SELECT 1 AS present FROM pg_namespace WHERE nspname = ?', [schema]);
			if (found.rows.length === 0) await connection.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
			await connection.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)');
		},
	};
}
