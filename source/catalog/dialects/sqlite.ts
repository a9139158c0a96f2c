import {AsyncLocalStorage} from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import Database from 'better-sqlite3';
import {RscmError} from '../../errors.ts';
import type {Catalog, CatalogInfo, CatalogTx, CreateCatalogOptions, WriteOptions} from '../catalog.ts';
import {sqliteMigrations} from '../migrations/sqlite.ts';
import {assertMigrationsNumbered, catalogNotFound, checkSchemaVersion, latestVersion, likeContaining, type Migration} from '../schema.ts';
import {
	migrateSchema,
	onConflictUpdate,
	readMeta,
	SqlTx,
	type Row,
	type SchemaDialect,
	type SqlConnection,
	type SqlDialect,
} from '../sql-catalog.ts';

export type SqliteCatalogOptions = {
	/** How long a transaction waits for another process's writer before it fails with BUSY. Default 5000 ms. */
	busyTimeout?: number;
	/** Schema steps; tests pass their own to simulate another rscm version. */
	migrations?: readonly Migration[];
};

type Connection = Database.Database;
type Statement = Database.Statement;

/**
 * Runs tasks one after another. better-sqlite3 has one connection per object and a transaction spans `await`s in
 * the caller's work, so two transactions started on the same object must not interleave on that connection.
 */
class TaskQueue {
	#tail: Promise<unknown> = Promise.resolve();

	async run<T>(task: () => Promise<T>): Promise<T> {
		const result = this.#tail.then(task, task);
		this.#tail = result.catch(() => undefined);
		return result;
	}
}

/**
 * The embedded catalog: one SQLite file, WAL mode (readers never wait for the writer), synchronous=FULL (the file
 * holds wrapped key material: a committed key change must survive a power cut).
 *
 * Waiting for the lock: SQLite's own busy handler sleeps inside the call, and better-sqlite3 calls are synchronous,
 * so it would freeze the event loop — the UI spinner, Ctrl+C, and, worse, a transaction of this same process on
 * another connection that holds the lock and needs the event loop to finish (a deadlock until the timeout). The
 * connection's busy_timeout is therefore 0 and the wait happens here, asynchronously, with backoff, for at most
 * `busyTimeout` ms. Every lock is taken at the start of a transaction (BEGIN IMMEDIATE for writes; the first read
 * for a snapshot) or at COMMIT, and both are retried; in WAL mode nothing in between waits for a lock.
 */
export class SqliteCatalog implements Catalog {
	readonly kind = 'sqlite' as const;
	readonly queuesWriters = false;
	readonly location: string;
	readonly #file: string;
	readonly #busyTimeout: number;
	readonly #migrations: readonly Migration[];
	readonly #queue = new TaskQueue();
	readonly #inTransaction = new AsyncLocalStorage<true>();
	#connection: Connection | undefined;
	#statements = new Map<string, Statement>();
	#closed = false;

	constructor(file: string, options: SqliteCatalogOptions = {}) {
		this.#file = file === ':memory:' ? file : path.resolve(file);
		this.location = this.#file;
		this.#busyTimeout = options.busyTimeout ?? 5000;
		this.#migrations = options.migrations ?? sqliteMigrations;
		assertMigrationsNumbered(this.#migrations);
	}

	async probe(): Promise<CatalogInfo | undefined> {
		return this.#exclusive(async () => {
			const connection = this.#connect(false);
			if (!connection) return undefined;
			try {
				const present = await this.#withRetry('read', () => {
					connection.exec('BEGIN');
					return this.#hasTable('schema_migrations') && this.#hasMetaRow();
				});
				return present ? await this.#info() : undefined;
			} finally {
				if (connection.inTransaction) connection.exec('ROLLBACK');
			}
		});
	}

	async sharedWriteAccess(): Promise<string | undefined> {
		let mode: number;
		try {
			mode = (await fs.promises.stat(this.location)).mode;
		} catch {
			return undefined;
		}

		const who = [mode & 0o020 ? 'its group' : undefined, mode & 0o002 ? 'every user' : undefined].filter(Boolean);
		if (who.length === 0) return undefined;
		return `The catalog file ${this.location} can be written by ${who.join(' and ')} (mode ${(mode & 0o777).toString(8)}): they can destroy its data. Run \`chmod 600\` on it.`;
	}

	async serverVersion(): Promise<string> {
		// "Reachable" for a file: it exists, or its directory does (create() could make it there). Nothing is created.
		if (!fs.existsSync(this.#file)) {
			const directory = path.dirname(this.#file);
			if (!fs.existsSync(directory)) {
				throw new RscmError('DIRECTORY_NOT_FOUND', `The directory ${directory} does not exist.`, {
					hint: 'Create the directory first, or choose another catalog location.',
				});
			}
		}

		// The library is the server: an in-memory database answers without touching (or creating) the file.
		const memory = new Database(':memory:');
		try {
			return `SQLite ${(memory.prepare('SELECT sqlite_version() AS version').get() as {version: string}).version}`;
		} finally {
			memory.close();
		}
	}

	async create(options: CreateCatalogOptions = {}): Promise<CatalogInfo> {
		return this.#exclusive(async () => {
			const connection = this.#connect(true)!;
			await this.#withRetry('write', () => {
				// Persistent in the file; cannot change inside a transaction. A no-op when already set.
				if (this.#file !== ':memory:') connection.pragma('journal_mode = WAL');
				connection.exec('BEGIN IMMEDIATE');
			});
			try {
				await migrateSchema(this.#sql, sqliteDialect, this.#migrations, this.location, options);
				const info = await this.#info();
				await this.#withRetry('write', () => {
					connection.exec('COMMIT');
				});
				return info;
			} catch (error) {
				if (connection.inTransaction) connection.exec('ROLLBACK');
				throw mapSqliteError(error, this.location);
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
		await this.#queue.run(async () => {
			this.#closed = true;
			this.#statements.clear();
			this.#connection?.close();
			this.#connection = undefined;
		});
	}

	/** A cached prepared statement: preparing costs more than running the small statements the catalog uses. */
	#statement(sql: string): Statement {
		let statement = this.#statements.get(sql);
		if (!statement) {
			statement = this.#connection!.prepare(sql);
			this.#statements.set(sql, statement);
		}

		return statement;
	}

	async #transaction<T>(mode: 'read' | 'write', work: (tx: CatalogTx) => Promise<T>, deferred = false): Promise<T> {
		if (this.#inTransaction.getStore()) {
			// The queue would wait for the running transaction, which waits for this one: fail instead of hanging.
			throw new RscmError('INTERNAL', 'A catalog transaction was started inside another one on the same catalog.');
		}

		return this.#exclusive(async () => {
			const connection = this.#connect(false);
			if (!connection) throw catalogNotFound(this.location);
			// WAL with synchronous=NORMAL: the commit is appended to the WAL without an fsync. The WAL is synced before
			// every checkpoint and by the next FULL commit, which makes every frame before it durable too, and recovery
			// replays whole commits in order: a power cut loses only the last deferred commits, never reorders them. A
			// crash of the process loses nothing (the frames are in the OS). Set outside the transaction (SQLite does
			// not change it inside one) and reset in the finally below; the queue keeps other transactions out meanwhile.
			const relaxed = deferred && mode === 'write' && this.#file !== ':memory:';
			if (relaxed) connection.pragma('synchronous = NORMAL');
			try {
				await this.#withRetry(mode, () => {
					connection.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN');
					try {
						// The first read takes the snapshot: a lock wait happens here, where it can be retried, not in the work.
						if (!this.#hasTable('schema_migrations')) throw catalogNotFound(this.location);
						checkSchemaVersion(this.location, this.#schemaVersion(), latestVersion(this.#migrations));
						if (!this.#hasMetaRow()) throw catalogNotFound(this.location);
						if (mode === 'read') connection.pragma('query_only = ON');
					} catch (error) {
						if (connection.inTransaction) connection.exec('ROLLBACK');
						throw error;
					}
				});
			} catch (error) {
				if (relaxed) connection.pragma('synchronous = FULL');
				throw error;
			}

			const tx = new SqlTx({
				connection: this.#sql,
				dialect: sqliteDialect,
				mapError: error => mapSqliteError(error, this.location, {readTransaction: mode === 'read'}),
				info: async () => this.#info(),
			});
			try {
				const result = await this.#inTransaction.run(true, async () => work(tx));
				tx.end();
				await this.#withRetry(mode, () => {
					connection.exec('COMMIT');
				});
				return result;
			} catch (error) {
				tx.end();
				if (connection.inTransaction) connection.exec('ROLLBACK');
				throw error;
			} finally {
				if (mode === 'read') connection.pragma('query_only = OFF');
				if (relaxed) connection.pragma('synchronous = FULL');
			}
		});
	}

	async #exclusive<T>(task: () => Promise<T>): Promise<T> {
		return this.#queue.run(async () => {
			if (this.#closed) throw new RscmError('INTERNAL', `The catalog at ${this.location} is closed.`);
			return task();
		});
	}

	/** Runs a step that takes a lock, retrying while another connection holds it, for at most busyTimeout ms. */
	async #withRetry<T>(mode: 'read' | 'write', step: () => T): Promise<T> {
		const deadline = Date.now() + this.#busyTimeout;
		let delay = 2;
		for (;;) {
			try {
				return step();
			} catch (error) {
				const code = (error as {code?: unknown}).code;
				const busy = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
				if (!busy || Date.now() >= deadline) throw mapSqliteError(error, this.location);
			}

			await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
			delay = Math.min(delay * 2, mode === 'write' ? 50 : 20);
		}
	}

	/** Opens the connection on first use. Never creates the file unless `create`. */
	#connect(create: boolean): Connection | undefined {
		if (this.#connection) return this.#connection;
		let readonly = false;
		if (this.#file !== ':memory:') {
			let stat: fs.Stats | undefined;
			try {
				stat = fs.statSync(this.#file);
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code !== 'ENOENT' && code !== 'ENOTDIR') throw mapSqliteError(error, this.location, {opening: true});
			}

			if (stat?.isDirectory()) {
				throw new RscmError('IS_A_DIRECTORY', `The catalog location ${this.location} is a directory.`, {
					hint: 'Give the path of a catalog file, such as catalog.db inside that directory.',
				});
			}

			if (!stat) {
				if (!create) return undefined;
				const directory = path.dirname(this.#file);
				if (!fs.existsSync(directory)) {
					throw new RscmError('DIRECTORY_NOT_FOUND', `The directory ${directory} does not exist.`, {
						hint: 'Create the directory first, or choose another catalog location.',
					});
				}

				// Wrapped keys and encrypted values: readable by the owner only. SQLite gives the -wal and -shm files the
				// mode of the database file.
				try {
					fs.closeSync(fs.openSync(this.#file, 'wx', 0o600));
				} catch (error) {
					if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw mapSqliteError(error, this.location, {opening: true});
				}
			}

			// A catalog with every write bit cleared was frozen on purpose; honour that even for root, whom the kernel
			// would let write it.
			readonly = stat !== undefined && (stat.mode & 0o222) === 0;
		}

		let connection: Connection;
		try {
			connection = new Database(this.#file, {fileMustExist: !create, readonly});
			connection.pragma('foreign_keys = ON');
			connection.pragma('synchronous = FULL');
			connection.pragma('busy_timeout = 0');
			// SQLite's own default page cache, 2 MiB (better-sqlite3 raises it to 16 MiB): a command that reads the whole
			// catalog (`datasource list`, `catalog copy`, a status count) would otherwise hold 14 MiB more on a large
			// catalog than on a small one, for pages it reads once and in order.
			connection.pragma('cache_size = -2048');
			// For the data source filter (see sqliteDialect.containsCondition).
			connection.function('casefold', {deterministic: true}, (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
		} catch (error) {
			const code = (error as {code?: unknown}).code;
			if (!create && (code === 'SQLITE_CANTOPEN' || code === 'ENOENT') && !fs.existsSync(this.#file)) return undefined;
			throw mapSqliteError(error, this.location, {opening: true});
		}

		this.#connection = connection;
		this.#statements = new Map();
		return connection;
	}

	#hasTable(name: string): boolean {
		return this.#statement("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
	}

	#schemaVersion(): number {
		const row = this.#statement('SELECT max(version) AS version FROM schema_migrations').get() as {version: number | null};
		return row.version ?? 0;
	}

	#hasMetaRow(): boolean {
		return this.#hasTable('meta') && this.#statement('SELECT 1 FROM meta').get() !== undefined;
	}

	async #info(): Promise<CatalogInfo> {
		const meta = await readMeta(this.#sql);
		if (!meta) throw catalogNotFound(this.location);
		const sqlite = this.#statement('SELECT sqlite_version() AS version').get() as {version: string};
		return {kind: 'sqlite', location: this.location, ...meta, serverVersion: `SQLite ${sqlite.version}`};
	}

	/**
	 * The connection as the shared SQL code uses it: cached prepared statements, run synchronously (better-sqlite3
	 * has no asynchronous calls; a transaction's work is queued, see TaskQueue).
	 */
	readonly #sql: SqlConnection = {
		query: async (sql, values = []) => {
			const statement = this.#statement(sql);
			if (statement.reader) return {rows: statement.all(...values) as Row[], changes: 0};
			return {rows: [], changes: statement.run(...values).changes};
		},
		queryMany: async (sql, valueLists) => {
			const statement = this.#statement(sql);
			let changes = 0;
			for (const values of valueLists) changes += statement.run(...values).changes;
			return changes;
		},
		exec: async sql => {
			this.#connection!.exec(sql);
			// Statements prepared before a schema change may name what it changed.
			this.#statements.clear();
		},
	};
}

/**
 * SQLite's SQL: booleans are the integers 0 and 1, timestamps ISO 8601 text (which sorts in time order), text
 * compares in byte order by itself.
 */
const sqliteDialect: SqlDialect & SchemaDialect = {
	kind: 'sqlite',
	boolean: value => (value ? 1 : 0),
	timestamp: iso => iso,
	byteOrder: column => column,
	// SQLite's own LIKE and lower() fold ASCII letters only; `casefold` (registered on the connection) folds every
	// letter, as PostgreSQL's ILIKE does, so `é` finds `École`.
	containsCondition: column => `casefold(${column}) LIKE ? ESCAPE '\\'`,
	containsPattern: text => likeContaining(text.toLowerCase()),
	upsert: onConflictUpdate,
	oneOf: (column, values) => ({sql: `${column} IN (SELECT value FROM json_each(?))`, values: [JSON.stringify(values)]}),
	// An explicit id in an AUTOINCREMENT table also raises sqlite_sequence, so later ids come after it.
	afterExplicitIds: async () => undefined,
	async prepareSchema(connection, location) {
		const tables = await connection.query("SELECT name FROM sqlite_schema WHERE type = 'table'");
		const names = tables.rows.map(row => row.name);
		if (names.includes('schema_migrations')) return;
		if (names.length > 0) {
			// Adding rscm tables to another application's database would mix the two; refuse.
			throw new RscmError('CATALOG_UNAVAILABLE', `${location} is a database of another application.`, {
				hint: 'Choose a new file for the rscm catalog.',
			});
		}

		await connection.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
	},
};

/** Turns a driver error into the RscmError an administrator can act on. Other errors pass unchanged. */
function mapSqliteError(
	error: unknown,
	file: string,
	context: {readTransaction?: boolean; opening?: boolean} = {},
): unknown {
if (error instanceof RscmError) return error;
	const code = (error as {code?: unknown} | undefined)?.code;
	if (typeof code !== 'string') return error;
	const where = file;
	const cause = {cause: error};
	if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
		return new RscmError('BUSY', `The catalog at ${where} is locked by another operation.`, {
			...cause,
			hint: 'Wait for the other key operation to finish, then try again.',
		});
	}

	if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
		if (context.readTransaction) {
			return new RscmError('INTERNAL', 'A read transaction tried to write the catalog.', cause);
		}

		if (context.opening && code !== 'EROFS' && !code.startsWith('SQLITE_READONLY')) {
			return new RscmError('PERMISSION_DENIED', `Permission denied opening the catalog at ${where}.`, {
				...cause,
				hint: 'Run rscm as the account that owns the catalog, or fix the file permissions.',
			});
		}

		return new RscmError('CATALOG_READ_ONLY', `The catalog at ${where} cannot be written.`, {
			...cause,
			hint: 'Check that the file, its directory and the file system are writable by this account.',
		});
	}

	if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
		return new RscmError('CATALOG_CORRUPT', `${where} is not a usable rscm catalog: the database is damaged.`, {
			...cause,
			hint: 'Restore the catalog file from a backup of the database.',
		});
	}

	if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
		return new RscmError('DISK_FULL', `No space left to write the catalog at ${where}.`, cause);
	}

	if (code.startsWith('SQLITE_CANTOPEN')) {
		let readable = true;
		try {
			fs.accessSync(file, fs.constants.R_OK);
		} catch {
			readable = false;
		}

		if (!readable && fs.existsSync(file)) {
			return new RscmError('PERMISSION_DENIED', `Permission denied opening the catalog at ${where}.`, cause);
		}
	}

	if (code.startsWith('SQLITE_CONSTRAINT')) {
		// The core checks before it writes; a constraint failure is a bug, not something the user can fix.
		return new RscmError('INTERNAL', `Catalog constraint violated (${code}): ${(error as Error).message}`, cause);
	}

	return new RscmError('CATALOG_UNAVAILABLE', `The catalog at ${where} cannot be used: ${(error as Error).message}`, cause);
}
