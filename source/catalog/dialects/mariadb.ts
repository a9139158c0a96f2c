import {AsyncLocalStorage} from 'node:async_hooks';
import process from 'node:process';
import mariadb, {type Pool, type PoolConnection} from 'mariadb';
import {RscmError} from '../../errors.ts';
import type {Catalog, CatalogInfo, CatalogTx, CreateCatalogOptions} from '../catalog.ts';
import {mariadbMigrations} from '../migrations/mariadb.ts';
import {
	assertMigrationsNumbered,
	catalogNotFound,
	checkSchemaVersion,
	latestVersion,
	likeContaining,
	isConnectionFailure,
	markConnectionFailure,
	rerunHint,
	safeDecode,
	type Migration,
} from '../schema.ts';
import {migrateSchema, readMeta, SqlTx, type Row, type SchemaDialect, type SqlConnection, type SqlDialect} from '../sql-catalog.ts';

export type MariadbCatalogOptions = {
	/** How long a writer waits for the catalog's write lock (or any row lock) before failing with BUSY. Default 30 s. */
	lockTimeout?: number;
	/** How long to wait for a connection to the server. Default 10 s. */
	connectTimeout?: number;
	/** Schema steps; tests pass their own to simulate another rscm version. */
	migrations?: readonly Migration[];
};

type Mode = 'read' | 'write' | 'create';

/** The parts of a `mysql://` or `mariadb://` location rscm needs; the password stays in `password` only. */
type ParsedLocation = {
	host: string;
	port: number;
	user: string;
	password: string | undefined;
	database: string;
	/** Safe to print: no password. */
	location: string;
	/** For messages: `database "rs" on db.example.com:3306`. */
	target: string;
};

function parseLocation(location: string): ParsedLocation {
	let url: URL;
	try {
		url = new URL(location);
	} catch {
		throw new RscmError('INVALID_INPUT', 'The MariaDB catalog location is not a valid URL.', {hint: locationHint});
	}

	const database = safeDecode(url.pathname.slice(1));
	if (!database || database.includes('/')) {
		throw new RscmError('INVALID_INPUT', 'The MariaDB catalog location names no database.', {hint: locationHint});
	}

	// The location is saved in the settings without a password (catalog-kinds.ts); MYSQL_PWD holds it, as for the
	// mariadb client.
	const password = url.password ? safeDecode(url.password) : process.env['MYSQL_PWD'] || undefined;
	const printable = new URL(url.toString());
	printable.password = '';
	const host = safeDecode(url.hostname) || 'localhost';
	const port = Number(url.port || 3306);
	return {
		host,
		port,
		user: safeDecode(url.username) || 'root',
		password,
		database,
		location: printable.toString(),
		target: `database "${database}" on ${host}:${port}`,
	};
}

const locationHint = 'Use mariadb://user@host:3306/database (or mysql://…); the database must exist.';

/**
 * The shared catalog of a scale-out deployment, in one MariaDB (or MySQL) database.
 *
 * Writers from every server serialize on the row lock of the catalog's one meta row (SELECT … FOR UPDATE), taken
 * first in each write transaction and released by COMMIT or ROLLBACK (or by the server when a crashed client's
 * connection drops); innodb_lock_wait_timeout makes a writer that waits too long fail with BUSY. Writes run at READ
 * COMMITTED so the statements after the lock see everything the previous writer committed; reads are REPEATABLE
 * READ READ ONLY WITH CONSISTENT SNAPSHOT: one snapshot, never blocked by a writer (InnoDB's MVCC).
 *
 * create() runs DDL, which MariaDB commits statement by statement: it serializes on a named lock (GET_LOCK) instead,
 * and its steps are written so that a rerun finishes an interrupted one (migrations/mariadb.ts).
 *
 * A failure to connect, or a connection that drops, is CATALOG_UNAVAILABLE marked as a connection failure
 * (isConnectionFailure, schema.ts), so work that is idempotent can retry it; nothing is retried here.
 */
export class MariadbCatalog implements Catalog {
	readonly kind = 'mariadb' as const;
	readonly queuesWriters = true;
	readonly location: string;
	readonly #parsed: ParsedLocation;
	readonly #pool: Pool;
	readonly #migrations: readonly Migration[];
	readonly #lockTimeout: number;
	readonly #inTransaction = new AsyncLocalStorage<true>();
	#serverVersion: string | undefined;
	#closed = false;

	constructor(location: string, options: MariadbCatalogOptions = {}) {
		this.#parsed = parseLocation(location);
		this.location = this.#parsed.location;
		this.#migrations = options.migrations ?? mariadbMigrations;
		assertMigrationsNumbered(this.#migrations);
		this.#lockTimeout = Math.max(1, Math.round(options.lockTimeout ?? 30_000));
		// innodb_lock_wait_timeout counts whole seconds.
		const lockSeconds = Math.max(1, Math.ceil(this.#lockTimeout / 1000));
		this.#pool = mariadb.createPool({
			host: this.#parsed.host,
			port: this.#parsed.port,
			user: this.#parsed.user,
			password: this.#parsed.password,
			database: this.#parsed.database,
			// One process runs one operation at a time; a few connections cover a read beside a write.
			connectionLimit: 4,
			minimumIdle: 0,
			idleTimeout: 10,
			connectTimeout: options.connectTimeout ?? 10_000,
			acquireTimeout: (options.connectTimeout ?? 10_000) + 1000,
			// DATETIME columns hold UTC; numbers come back as numbers (ids and counts stay far below 2^53).
			timezone: 'Z',
			bigIntAsNumber: true,
			insertIdAsNumber: true,
			decimalAsNumber: true,
			// Migration steps are several statements; every value is still bound, never spliced into SQL.
			multipleStatements: true,
			initSql: [`SET SESSION innodb_lock_wait_timeout = ${lockSeconds}`, "SET SESSION sql_mode = 'TRADITIONAL'"],
		});
	}

	async probe(): Promise<CatalogInfo | undefined> {
		return this.#session('read', async connection => {
			const tables = await connection.query(
				"SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('schema_migrations', 'meta')",
			);
			if (Number(tables.rows[0]?.n) < 2) return undefined;
			const meta = await readMeta(connection);
			return meta ? this.#info(connection) : undefined;
		});
	}

	async sharedWriteAccess(): Promise<string | undefined> {
		// Accounts and grants are the DBA's to review; rscm cannot tell a legitimate account from another.
		return undefined;
	}

	async serverVersion(): Promise<string> {
		if (this.#serverVersion !== undefined) return this.#serverVersion;
		return this.#session('read', async connection => this.#readServerVersion(connection));
	}

	async create(options: CreateCatalogOptions = {}): Promise<CatalogInfo> {
		return this.#session('create', async connection => {
			// Seconds, fractions allowed; 0 when another create() held the lock all that time.
			const lock = await connection.query('SELECT GET_LOCK(?, ?) AS locked', [this.#createLockName(), this.#lockTimeout / 1000]);
			if (Number(lock.rows[0]?.locked) !== 1) throw this.#busy();
			try {
				await migrateSchema(connection, this.#dialect, this.#migrations, this.location, options);
				return await this.#info(connection);
			} finally {
				await connection.query('SELECT RELEASE_LOCK(?)', [this.#createLockName()]);
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

	readonly #dialect: SqlDialect & SchemaDialect = {
		kind: 'mariadb',
		boolean: value => (value ? 1 : 0),
		timestamp: iso => new Date(iso),
		// The tables' collation (utf8mb4_nopad_bin) already compares in byte order.
		byteOrder: column => column,
		// Backslash is MariaDB's escape character inside literals too, hence two of them for one.
		containsCondition: column => `LOWER(${column}) LIKE ? ESCAPE '\\\\'`,
		containsPattern: text => likeContaining(text.toLowerCase()),
		upsert: (_keys, columns) => `ON DUPLICATE KEY UPDATE ${columns.map(column => `${column} = VALUES(${column})`).join(', ')}`,
		oneOf: (column, values) =>
			values.length === 0 ? {sql: 'FALSE', values: []} : {sql: `${column} IN (${values.map(() => '?').join(', ')})`, values: [...values]},
		// InnoDB raises AUTO_INCREMENT past an explicit id by itself.
		afterExplicitIds: async () => undefined,
		async prepareSchema(connection, location) {
			const tables = await connection.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
			const names = tables.rows.map(row => String(row.name));
			if (!names.includes('schema_migrations') && names.length > 0) {
				// Adding rscm tables to another application's database would mix the two; refuse.
				throw new RscmError('CATALOG_UNAVAILABLE', `${location} is a database of another application.`, {
					hint: 'Create an empty database for the rscm catalog.',
				});
			}

			await connection.exec(
				'CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, applied_at DATETIME(3) NOT NULL) ENGINE=InnoDB',
			);
		},
	};

	async #transaction<T>(mode: 'read' | 'write', work: (tx: CatalogTx) => Promise<T>): Promise<T> {
		if (this.#inTransaction.getStore()) {
			// A nested write would wait for the row lock its own caller holds: fail instead of timing out.
			throw new RscmError('INTERNAL', 'A catalog transaction was started inside another one on the same catalog.');
		}

		return this.#session(mode, async (connection, raw) => {
			const tx = new SqlTx({
				connection,
				dialect: this.#dialect,
				mapError: error => this.#mapError(error, mode),
				info: async () => this.#info(connection),
			});
			try {
				// One round trip: begin, (for a write) take the lock, check the schema.
				const begin =
					mode === 'write'
						? 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION READ WRITE; SELECT singleton FROM meta FOR UPDATE'
						: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT';
				const results = (await raw.query(`${begin}; ${schemaCheckSql}`)) as unknown[];
				const check = (results.at(-1) as Row[])[0] as {version: number | null; meta: number};
				checkSchemaVersion(this.location, check.version ?? 0, latestVersion(this.#migrations));
				if (Number(check.meta) === 0) throw catalogNotFound(this.location);
				const result = await this.#inTransaction.run(true, async () => work(tx));
				tx.end();
				try {
					await raw.commit();
				} catch (error) {
					// A read's work saw one consistent snapshot, and a read-only COMMIT has nothing to save: its result stands.
					if (mode === 'read' && isConnectionError(error)) return result;
					throw this.#mapError(error, mode, 'commit');
				}

				return result;
			} catch (error) {
				tx.end();
				await raw.rollback().catch(() => undefined);
				throw error;
			}
		});
	}

	/** Runs `task` on a pooled connection; driver errors become RscmErrors, and a broken connection is not reused. */
	async #session<T>(mode: Mode, task: (connection: SqlConnection, raw: PoolConnection) => Promise<T>): Promise<T> {
		if (this.#closed) throw new RscmError('INTERNAL', `The catalog at ${this.location} is closed.`);
		let raw: PoolConnection;
		try {
			raw = await this.#pool.getConnection();
		} catch (error) {
			throw this.#mapError(error, mode, 'connect');
		}

		// A connection that fails while checked out emits 'error'; without a listener that would end the process.
		const onError = () => undefined;
		raw.on('error', onError);
		let broken = false;
		/** A statement on this connection; a connection error marks it broken, so it is closed, not pooled again. */
		const run = async <R>(statement: () => Promise<R>): Promise<R> => {
			try {
				return await statement();
			} catch (error) {
				if (isConnectionError(error)) broken = true;
				throw error;
			}
		};

		const connection: SqlConnection = {
			async query(sql, values) {
				const result = (await run(async () => raw.query(sql, values as unknown[] | undefined))) as unknown;
				if (Array.isArray(result)) return {rows: result as Row[], changes: 0};
				return {rows: [], changes: Number((result as {affectedRows?: number}).affectedRows ?? 0)};
			},
			async queryMany(sql, valueLists) {
				const result = (await run(async () => raw.batch(sql, valueLists))) as unknown;
				const results = Array.isArray(result) ? result : [result];
				return results.reduce((sum: number, each) => sum + Number((each as {affectedRows?: number}).affectedRows ?? 0), 0);
			},
			async exec(sql) {
				await run(async () => raw.query(sql));
			},
		};
		try {
			return await task(connection, raw);
		} catch (error) {
			if (isConnectionError(error) || isConnectionFailure(error)) broken = true;
			throw this.#mapError(error, mode);
		} finally {
			raw.removeListener('error', onError);
			if (broken) await raw.destroy();
			else await raw.release().catch(() => undefined);
		}
	}

	async #info(connection: SqlConnection): Promise<CatalogInfo> {
		const meta = await readMeta(connection);
		if (!meta) throw catalogNotFound(this.location);
		return {kind: 'mariadb', location: this.location, ...meta, serverVersion: await this.#readServerVersion(connection)};
	}

	async #readServerVersion(connection: SqlConnection): Promise<string> {
		if (this.#serverVersion !== undefined) return this.#serverVersion;
		const {rows} = await connection.query('SELECT VERSION() AS version');
		const version = String(rows[0]?.version ?? '');
		// "10.11.6-MariaDB-0+deb12u1"; a MySQL server answers "8.0.36".
		this.#serverVersion = `${/mariadb/i.test(version) ? 'MariaDB' : 'MySQL'} ${version.split('-')[0]}`;
		return this.#serverVersion;
	}

	/** Named locks are per server: the database's name keeps two catalogs on one server apart. */
	#createLockName(): string {
		return `rscm catalog ${this.#parsed.database}`.slice(0, 64);
	}

	#busy(cause?: unknown): RscmError {
		return new RscmError('BUSY', `The catalog at ${this.location} is locked by another operation.`, {
			...(cause === undefined ? {} : {cause}),
			hint: 'Wait for the key operation running on another server to finish, then try again.',
		});
	}

	/** Turns a driver error into the RscmError an administrator can act on. Errors of the caller's work pass unchanged. */
	/** `phase`: not yet connected, inside the transaction, or at its COMMIT (where a drop leaves the outcome unknown). */
	#mapError(error: unknown, mode: Mode, phase: 'connect' | 'work' | 'commit' = 'work'): unknown {
		if (error instanceof RscmError || !(error instanceof Error)) return error;
		const {errno, sqlState, code} = error as {errno?: number; sqlState?: string | null; code?: string};
		const {target} = this.#parsed;
		const cause = {cause: error};
		const detail = this.#scrub((error as {text?: string}).text ?? error.message);
		if (errno === 1045 || errno === 1698) {
			return new RscmError('CATALOG_UNAVAILABLE', `MariaDB refused the login, ${target}: ${detail}`, {
				...cause,
				hint: 'Check the user name and password of the location.',
			});
		}

		if (errno === 1049) {
			return new RscmError('CATALOG_UNAVAILABLE', `MariaDB ${target}: ${detail}`, {
				...cause,
				hint: 'Create the database first (CREATE DATABASE), or fix the database name in the location.',
			});
		}

		if (isConnectionError(error)) {
			const outcome =
				mode === 'read'
					? ''
					: phase === 'commit'
						? ' while the change was being committed: it may or may not have been saved'
						: ' before the change was committed: nothing of it was saved';
			const what =
				phase === 'connect' ? `Cannot connect to MariaDB, ${target}` : `The connection to the MariaDB catalog at ${this.location} dropped${outcome}`;
			return markConnectionFailure(
				new RscmError('CATALOG_UNAVAILABLE', `${what}: ${detail}`, {
					...cause,
					hint: `Check that the server is running and reachable from this machine. ${rerunHint}`,
				}),
			);
		}

		if (typeof errno !== 'number' || code === undefined) return error;
		if (errno === 1146) return catalogNotFound(this.location);
		if (errno === 1205 || errno === 1213 || errno === 3572) return this.#busy(error);
		if (errno === 1792) {
			if (mode === 'read') return new RscmError('INTERNAL', 'A read transaction tried to write the catalog.', cause);
		}

		if (errno === 1290 || errno === 1792) {
			return new RscmError('CATALOG_READ_ONLY', `The catalog at ${this.location} is read-only: ${detail}`, {
				...cause,
				hint: 'Point rscm at the primary server, not a replica.',
			});
		}

		if (errno === 1142 || errno === 1143 || errno === 1044) {
			return mode === 'write'
				? new RscmError('CATALOG_READ_ONLY', `The catalog at ${this.location} cannot be written: ${detail}`, {
						...cause,
						hint: 'Grant the database user INSERT, UPDATE and DELETE on the catalog database.',
					})
				: new RscmError('PERMISSION_DENIED', `MariaDB ${target}: ${detail}`, {
						...cause,
						hint: 'Grant the database user access to the catalog database.',
					});
		}

		if (sqlState?.startsWith('23') || errno === 4025) {
			// The core checks before it writes; a constraint failure is a bug, not something the user can fix.
			return new RscmError('INTERNAL', `Catalog constraint violated (${code}): ${detail}`, cause);
		}

		if (errno === 1021 || errno === 1114) return new RscmError('DISK_FULL', `MariaDB ${target}: ${detail}`, cause);
		return new RscmError('CATALOG_UNAVAILABLE', `The catalog at ${this.location} cannot be used: ${detail}`, cause);
	}

	#scrub(message: string): string {
		const {password} = this.#parsed;
		return password ? message.split(password).join('***') : message;
	}
}

const schemaCheckSql = 'SELECT (SELECT max(version) FROM schema_migrations) AS version, (SELECT count(*) FROM meta) AS meta';

const connectionErrorCodes = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ENOTFOUND',
	'EAI_AGAIN',
	'ETIMEDOUT',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EPIPE',
	'ER_CONNECTION_TIMEOUT',
	'ER_GET_CONNECTION_TIMEOUT',
	'ER_SOCKET_UNEXPECTED_CLOSE',
	'ER_CONNECTION_ALREADY_CLOSED',
	'ER_CMD_CONNECTION_CLOSED',
	'ER_CONNECTION_KILLED',
	'ER_SERVER_SHUTDOWN',
	'ER_POOL_ALREADY_CLOSED',
]);

/** A driver error that means the connection failed or dropped. */
function isConnectionError(error: unknown): boolean {
	if (!(error instanceof Error) || error instanceof RscmError) return false;
	const {code, errno, fatal} = error as {code?: string; errno?: number; fatal?: boolean};
	if (typeof code === 'string' && connectionErrorCodes.has(code)) return true;
	// 1927: connection killed; 2006/2013: server gone away, lost connection; 1053: server shutdown.
	if (errno === 1927 || errno === 2006 || errno === 2013 || errno === 1053) return true;
	return fatal === true && errno !== 1045 && errno !== 1049 && errno !== 1698;
}
