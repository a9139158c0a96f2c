import {AsyncLocalStorage} from 'node:async_hooks';
import {randomUUID} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import Database from 'better-sqlite3';
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
	WriteOptions,
} from './catalog.ts';
import {sqliteMigrations} from './migrations/sqlite.ts';
import {
	asBuffer,
	assertMigrationsNumbered,
	catalogNotFound,
	checkSchemaVersion,
	instanceColumns,
	isoTimestamp,
	keyVersionColumns,
	latestVersion,
	likeContaining,
	optionalBuffer,
	optionalIsoTimestamp,
	secretKinds,
	timestampFields,
	type Migration,
} from './schema.ts';

export type SqliteCatalogOptions = {
	/** How long a transaction waits for another process's writer before it fails with BUSY. Default 5000 ms. */
	busyTimeout?: number;
	/** Schema steps; tests pass their own to simulate another rscm version. */
	migrations?: readonly Migration[];
};

type Connection = Database.Database;
type Statement = Database.Statement;
type Row = Record<string, unknown>;

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
			return this.#withRetry('read', () => {
				connection.exec('BEGIN');
				try {
					if (!this.#hasTable('schema_migrations')) return undefined;
					const version = this.#schemaVersion();
					return this.#hasMetaRow() ? this.#info(version) : undefined;
				} finally {
					if (connection.inTransaction) connection.exec('ROLLBACK');
				}
			});
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
			return this.#withRetry('write', () => {
				// Persistent in the file; cannot change inside a transaction. A no-op when already set.
				if (this.#file !== ':memory:') connection.pragma('journal_mode = WAL');
				connection.exec('BEGIN IMMEDIATE');
				try {
					const info = this.#migrate(options);
					connection.exec('COMMIT');
					return info;
				} catch (error) {
					if (connection.inTransaction) connection.exec('ROLLBACK');
					throw error;
				}
			});
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

			const tx = new SqliteTx({
				statement: sql => this.#statement(sql),
				mapError: error => mapSqliteError(error, this.location, {readTransaction: mode === 'read'}),
				info: () => this.#info(this.#schemaVersion()),
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
			// For the data source filter (see dataSourceConditions).
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

	/** Runs inside BEGIN IMMEDIATE: creates or upgrades the schema and the catalog id. */
	#migrate(options: CreateCatalogOptions): CatalogInfo {
		const connection = this.#connection!;
		if (!this.#hasTable('schema_migrations')) {
			const foreign = connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' LIMIT 1").get();
			if (foreign) {
				// Adding rscm tables to another application's database would mix the two; refuse.
				throw new RscmError('CATALOG_UNAVAILABLE', `${this.location} is a database of another application.`, {
					hint: 'Choose a new file for the rscm catalog.',
				});
			}

			connection.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
			this.#statements.clear();
		}

		const known = latestVersion(this.#migrations);
		const found = this.#schemaVersion();
		if (found > known) checkSchemaVersion(this.location, found, known);
		const now = new Date().toISOString();
		for (const migration of this.#migrations) {
			if (migration.version <= found) continue;
			connection.exec(migration.sql);
			connection.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, now);
		}

		if (found < known) this.#statements.clear();
		if (!this.#hasMetaRow()) {
			this.#statement('INSERT INTO meta (singleton, catalog_id, created_at) VALUES (1, ?, ?)').run(
				options.catalogId ?? randomUUID(),
				options.createdAt === undefined ? now : isoTimestamp(options.createdAt),
			);
		}

		return this.#info(known);
	}

	#info(schemaVersion: number): CatalogInfo {
		const meta = this.#statement('SELECT catalog_id, created_at FROM meta').get() as {catalog_id: string; created_at: string};
		const sqlite = this.#statement('SELECT sqlite_version() AS version').get() as {version: string};
		return {
			kind: 'sqlite',
			location: this.location,
			catalogId: meta.catalog_id,
			schemaVersion,
			createdAt: meta.created_at,
			serverVersion: `SQLite ${sqlite.version}`,
		};
	}

}

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

const nullableFields = new Set<string>(['joinedAt', 'backedUpAt', 'retiredAt']);

/**
 * Builds `SET a = ?, b = ?` from a patch. A nullable field present with `undefined` is cleared (an instance that
 * falls back to Waiting to Join loses its joinedAt); an absent field is left alone.
 */
function assignments(patch: Record<string, unknown>, columns: Record<string, string>): {sql: string; values: unknown[]} {
	const parts: string[] = [];
	const values: unknown[] = [];
	for (const [field, column] of Object.entries(columns)) {
		if (!Object.hasOwn(patch, field)) continue;
		const value = patch[field];
		if (value === undefined && !nullableFields.has(field)) continue;
		parts.push(`${column} = ?`);
		values.push(value === undefined ? null : toColumn(field, value));
	}

	return {sql: parts.join(', '), values};
}

function toColumn(field: string, value: unknown): unknown {
	if (value instanceof Uint8Array) return asBuffer(value);
	if (timestampFields.has(field)) return isoTimestamp(value as string);
	return value;
}

function instanceFromRow(row: Row): InstanceRow {
	return {
		installationId: row.installation_id as string,
		machine: row.machine as string,
		instanceName: row.instance_name as string,
		publicKey: row.public_key as Buffer,
		identityFingerprint: row.identity_fingerprint as string,
		identityCreatedAt: row.identity_created_at as string,
		serviceAccount: row.service_account as string,
		registeredAt: row.registered_at as string,
		joinedAt: (row.joined_at as string | null) ?? undefined,
	};
}

function keyVersionFromRow(row: Row): KeyVersionRow {
	return {
		version: row.version as number,
		fingerprint: row.fingerprint as string,
		keyCheck: row.key_check as Buffer,
		state: row.state as KeyVersionState,
		createdAt: row.created_at as string,
		backedUpAt: (row.backed_up_at as string | null) ?? undefined,
		retiredAt: (row.retired_at as string | null) ?? undefined,
	};
}

function secretFromRow(row: Row): SecretRow {
	return {
		id: row.id as number,
		kind: row.kind as SecretKind,
		owner: row.owner as string,
		field: row.field as string,
		ciphertext: (row.ciphertext as Buffer | null) ?? undefined,
		keyVersion: (row.key_version as number | null) ?? undefined,
		needsReentry: row.needs_reentry === 1,
		updatedAt: row.updated_at as string,
	};
}

function auditFromRow(row: Row): AuditEntry {
	return {
		id: row.id as number,
		at: row.at as string,
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

/** What a transaction needs from its catalog: the connection's statements and the catalog's error mapping. */
type Session = {
	statement(sql: string): Statement;
	mapError(error: unknown): unknown;
	info(): CatalogInfo;
};

const secretSelect = 'SELECT id, kind, owner, field, ciphertext, key_version, needs_reentry, updated_at FROM secrets';

/**
 * The name filter of findDataSources and countDataSources. SQLite's own LIKE and lower() fold ASCII letters only;
 * `casefold` (registered on the connection) folds every letter, as PostgreSQL's ILIKE does, so `é` finds `École`.
 */
function dataSourceConditions(contains: string | undefined): string[] {
	return contains === undefined ? [] : ["casefold(name) LIKE @pattern ESCAPE '\\'"];
}

function dataSourceParameters(contains: string | undefined): {pattern?: string} {
	return contains === undefined ? {} : {pattern: likeContaining(contains.toLowerCase())};
}

/** The operations of one transaction. Usable only while the transaction is open. */
class SqliteTx implements CatalogTx {
	readonly #session: Session;
	#open = true;

	constructor(session: Session) {
		this.#session = session;
	}

	end(): void {
		this.#open = false;
	}

	async getInfo(): Promise<CatalogInfo> {
		return this.#run(() => this.#session.info());
	}

	async listInstances(): Promise<InstanceRow[]> {
		return this.#run(() =>
			this.#all('SELECT * FROM instances ORDER BY registered_at, installation_id').map(row => instanceFromRow(row)),
		);
	}

	async getInstance(installationId: string): Promise<InstanceRow | undefined> {
		return this.#run(() => {
			const row = this.#get('SELECT * FROM instances WHERE installation_id = ?', installationId);
			return row ? instanceFromRow(row) : undefined;
		});
	}

	async insertInstance(row: InstanceRow): Promise<void> {
		return this.#run(() => {
			this.#sql(
				`INSERT INTO instances (installation_id, machine, instance_name, public_key, identity_fingerprint,
					identity_created_at, service_account, registered_at, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			).run(
				row.installationId,
				row.machine,
				row.instanceName,
				asBuffer(row.publicKey),
				row.identityFingerprint,
				isoTimestamp(row.identityCreatedAt),
				row.serviceAccount,
				isoTimestamp(row.registeredAt),
				optionalIsoTimestamp(row.joinedAt) ?? null,
			);
		});
	}

	async updateInstance(installationId: string, patch: Partial<Omit<InstanceRow, 'installationId'>>): Promise<void> {
		return this.#run(() => {
			if (!this.#get('SELECT 1 FROM instances WHERE installation_id = ?', installationId)) {
				throw new RscmError('UNKNOWN_INSTANCE', `No instance ${installationId} in this catalog.`);
			}

			const {sql, values} = assignments(patch, instanceColumns);
			if (sql) this.#sql(`UPDATE instances SET ${sql} WHERE installation_id = ?`).run(...values, installationId);
		});
	}

	async deleteInstance(installationId: string): Promise<void> {
		return this.#run(() => {
			this.#sql('DELETE FROM instances WHERE installation_id = ?').run(installationId);
		});
	}

	async listKeyVersions(): Promise<KeyVersionRow[]> {
		return this.#run(() => this.#all('SELECT * FROM key_versions ORDER BY version').map(row => keyVersionFromRow(row)));
	}

	async insertKeyVersion(row: KeyVersionRow): Promise<void> {
		return this.#run(() => {
			this.#sql(
				`INSERT INTO key_versions (version, fingerprint, key_check, state, created_at, backed_up_at, retired_at)
					VALUES (?, ?, ?, ?, ?, ?, ?)`,
			).run(
				row.version,
				row.fingerprint,
				asBuffer(row.keyCheck),
				row.state,
				isoTimestamp(row.createdAt),
				optionalIsoTimestamp(row.backedUpAt) ?? null,
				optionalIsoTimestamp(row.retiredAt) ?? null,
			);
		});
	}

	async updateKeyVersion(version: number, patch: Partial<Omit<KeyVersionRow, 'version'>>): Promise<void> {
		return this.#run(() => {
			if (!this.#get('SELECT 1 FROM key_versions WHERE version = ?', version)) {
				throw new RscmError('INTERNAL', `No key version ${version} in this catalog.`);
			}

			const {sql, values} = assignments(patch, keyVersionColumns);
			if (sql) this.#sql(`UPDATE key_versions SET ${sql} WHERE version = ?`).run(...values, version);
		});
	}

	async listWrappedKeys(installationId: string): Promise<WrappedKeyRow[]> {
		return this.#run(() =>
			this.#all('SELECT * FROM wrapped_keys WHERE installation_id = ? ORDER BY version', installationId).map(row => ({
				installationId: row.installation_id as string,
				version: row.version as number,
				wrapped: row.wrapped as Buffer,
			})),
		);
	}

	async putWrappedKey(row: WrappedKeyRow): Promise<void> {
		return this.#run(() => {
			this.#sql(
				`INSERT INTO wrapped_keys (installation_id, version, wrapped) VALUES (?, ?, ?)
					ON CONFLICT (installation_id, version) DO UPDATE SET wrapped = excluded.wrapped`,
			).run(row.installationId, row.version, asBuffer(row.wrapped));
		});
	}

	async deleteWrappedKeys(filter: {installationId?: string; version?: number}): Promise<void> {
		return this.#run(() => {
			this.#sql(
				`DELETE FROM wrapped_keys
					WHERE (@installationId IS NULL OR installation_id = @installationId) AND (@version IS NULL OR version = @version)`,
			).run({installationId: filter.installationId ?? null, version: filter.version ?? null});
		});
	}

	async getSecret(address: SecretAddress): Promise<SecretRow | undefined> {
		return this.#run(() => {
			const row = this.#get(`${secretSelect} WHERE kind = ? AND owner = ? AND field = ?`, address.kind, address.owner, address.field);
			return row ? secretFromRow(row) : undefined;
		});
	}

	async putSecret(address: SecretAddress, ciphertext: Uint8Array, keyVersion: number): Promise<number> {
		return this.#run(() => {
			// Upsert keeps the row id, so a value rewritten during a rotation stays where the rotation expects it.
			const row = this.#sql(
				`INSERT INTO secrets (kind, owner, field, ciphertext, key_version, needs_reentry, updated_at)
					VALUES (?, ?, ?, ?, ?, 0, ?)
					ON CONFLICT (kind, owner, field) DO UPDATE SET ciphertext = excluded.ciphertext,
						key_version = excluded.key_version, needs_reentry = 0, updated_at = excluded.updated_at
					RETURNING id`,
			).get(address.kind, address.owner, address.field, asBuffer(ciphertext), keyVersion, new Date().toISOString()) as {
				id: number;
			};
			return row.id;
		});
	}

	async markSecretNeedsReentry(address: SecretAddress): Promise<void> {
		return this.#run(() => {
			this.#sql(
				`INSERT INTO secrets (kind, owner, field, ciphertext, key_version, needs_reentry, updated_at)
					VALUES (?, ?, ?, NULL, NULL, 1, ?)
					ON CONFLICT (kind, owner, field) DO UPDATE SET ciphertext = NULL, key_version = NULL,
						needs_reentry = 1, updated_at = excluded.updated_at`,
			).run(address.kind, address.owner, address.field, new Date().toISOString());
		});
	}

	async deleteSecrets(filter: {kind: SecretKind; owner: string; field?: string}): Promise<void> {
		return this.#run(() => {
			this.#sql('DELETE FROM secrets WHERE kind = ? AND owner = ? AND (? IS NULL OR field = ?)').run(
				filter.kind,
				filter.owner,
				filter.field ?? null,
				filter.field ?? null,
			);
		});
	}

	async listSecrets(filter: {kind?: SecretKind; owner?: string}): Promise<SecretRow[]> {
		return this.#run(() =>
			this.#all(
				`${secretSelect} WHERE (@kind IS NULL OR kind = @kind) AND (@owner IS NULL OR owner = @owner) ORDER BY id`,
				{kind: filter.kind ?? null, owner: filter.owner ?? null},
			).map(row => secretFromRow(row)),
		);
	}

	async secretsBatch(keyVersion: number, afterId: number, limit: number): Promise<SecretRow[]> {
		return this.#run(() =>
			this.#all(`${secretSelect} WHERE key_version = ? AND id > ? ORDER BY id LIMIT ?`, keyVersion, afterId, limit).map(
				row => secretFromRow(row),
			),
		);
	}

	async replaceSecretCiphertexts(
		fromVersion: number,
		toVersion: number,
		updates: Array<{id: number; ciphertext: Uint8Array}>,
	): Promise<number> {
		return this.#run(() => {
			// updated_at is left alone: it records when the value was last entered, and a rotation does not change it.
			const statement = this.#sql('UPDATE secrets SET ciphertext = ?, key_version = ? WHERE id = ? AND key_version = ?');
			let replaced = 0;
			for (const update of updates) {
				replaced += statement.run(asBuffer(update.ciphertext), toVersion, update.id, fromVersion).changes;
			}

			return replaced;
		});
	}

	async countSecrets(filter: {keyVersion?: number} = {}): Promise<number> {
		return this.#run(() => {
			const row = this.#get('SELECT count(*) AS n FROM secrets WHERE (@version IS NULL OR key_version = @version)', {
				version: filter.keyVersion ?? null,
			});
			return row!.n as number;
		});
	}

	async countSecretsByKind(): Promise<SecretCounts> {
		return this.#run(() => {
			const counts = Object.fromEntries(secretKinds.map(kind => [kind, {total: 0, needsReentry: 0}])) as SecretCounts;
			for (const row of this.#all('SELECT kind, count(*) AS total, sum(needs_reentry) AS reentry FROM secrets GROUP BY kind')) {
				counts[row.kind as SecretKind] = {total: row.total as number, needsReentry: row.reentry as number};
			}

			return counts;
		});
	}

	async clearAllSecrets(): Promise<number> {
		return this.#run(
			() =>
				this.#sql(
					`UPDATE secrets SET ciphertext = NULL, key_version = NULL, needs_reentry = 1, updated_at = ?
						WHERE ciphertext IS NOT NULL`,
				).run(new Date().toISOString()).changes,
		);
	}

	async listDataSources(): Promise<DataSourceRow[]> {
		return this.#run(() =>
			this.#all('SELECT name, created_at, updated_at FROM data_sources ORDER BY name').map(row => ({
				name: row.name as string,
				createdAt: row.created_at as string,
				updatedAt: row.updated_at as string,
			})),
		);
	}

	async getDataSource(name: string): Promise<DataSourceRow | undefined> {
		return this.#run(() => {
			const row = this.#get('SELECT name, created_at, updated_at FROM data_sources WHERE name = ?', name);
			return row
				? {name: row.name as string, createdAt: row.created_at as string, updatedAt: row.updated_at as string}
				: undefined;
		});
	}

	async upsertDataSource(name: string): Promise<void> {
		return this.#run(() => {
			const now = new Date().toISOString();
			this.#sql(
				`INSERT INTO data_sources (name, created_at, updated_at) VALUES (?, ?, ?)
					ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at`,
			).run(name, now, now);
		});
	}

	async deleteDataSource(name: string): Promise<boolean> {
		return this.#run(() => this.#sql('DELETE FROM data_sources WHERE name = ?').run(name).changes > 0);
	}

	async findDataSources(query: DataSourceQuery): Promise<DataSourceRow[]> {
		return this.#run(() => {
			// One statement per combination of conditions (cached), so the name index serves the range and the order.
			const where = [...dataSourceConditions(query.contains)];
			if (query.after !== undefined) where.push(query.inclusive ? 'name >= @after' : 'name > @after');
			if (query.before !== undefined) where.push('name < @before');
			const order = query.fromEnd ? 'DESC' : 'ASC';
			const rows = this.#all(
				`SELECT name, created_at, updated_at FROM data_sources ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
					ORDER BY name ${order} LIMIT @limit`,
				{...dataSourceParameters(query.contains), after: query.after, before: query.before, limit: query.limit},
			).map(row => ({name: row.name as string, createdAt: row.created_at as string, updatedAt: row.updated_at as string}));
			return query.fromEnd ? rows.reverse() : rows;
		});
	}

	async countDataSources(contains?: string): Promise<number> {
		return this.#run(() => {
			const where = dataSourceConditions(contains);
			const row = this.#get(
				`SELECT count(*) AS n FROM data_sources ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`,
				dataSourceParameters(contains),
			);
			return row!.n as number;
		});
	}

	async secretsOfOwners(kind: SecretKind, owners: readonly string[]): Promise<SecretRow[]> {
		return this.#run(() =>
			this.#all(`${secretSelect} WHERE kind = ? AND owner IN (SELECT value FROM json_each(?)) ORDER BY id`, kind, JSON.stringify(owners)).map(
				row => secretFromRow(row),
			),
		);
	}

	async listSubscriptions(): Promise<SubscriptionRow[]> {
		return this.#run(() =>
			this.#all('SELECT * FROM subscriptions ORDER BY id').map(row => ({
				id: row.id as string,
				description: row.description as string,
				delivery: row.delivery as string,
				settings: JSON.parse(row.settings as string) as Record<string, string>,
				updatedAt: row.updated_at as string,
			})),
		);
	}

	async upsertSubscription(row: SubscriptionRow): Promise<void> {
		return this.#run(() => {
			this.#sql(
				`INSERT INTO subscriptions (id, description, delivery, settings, updated_at) VALUES (?, ?, ?, ?, ?)
					ON CONFLICT (id) DO UPDATE SET description = excluded.description, delivery = excluded.delivery,
						settings = excluded.settings, updated_at = excluded.updated_at`,
			).run(row.id, row.description, row.delivery, JSON.stringify(row.settings), isoTimestamp(row.updatedAt));
		});
	}

	async getSettings(): Promise<Record<string, string>> {
		return this.#run(() =>
			Object.fromEntries(this.#all('SELECT name, value FROM settings ORDER BY name').map(row => [row.name, row.value])),
		);
	}

	async putSettings(values: Record<string, string | undefined>): Promise<void> {
		return this.#run(() => {
			const upsert = this.#sql(
				'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
			);
			const remove = this.#sql('DELETE FROM settings WHERE name = ?');
			for (const [name, value] of Object.entries(values)) {
				if (value === undefined) remove.run(name);
				else upsert.run(name, value);
			}
		});
	}

	async getRotation(): Promise<RotationRow | undefined> {
		return this.#run(() => {
			const row = this.#get('SELECT * FROM rotation');
			if (!row) return undefined;
			return {
				fromVersion: row.from_version as number,
				toVersion: row.to_version as number,
				startedAt: row.started_at as string,
				total: row.total as number,
				done: row.done as number,
				lastId: row.last_id as number,
				leaseOwner: (row.lease_owner as string | null) ?? undefined,
				leaseExpiresAt: (row.lease_expires_at as string | null) ?? undefined,
			};
		});
	}

	async putRotation(row: RotationRow | undefined): Promise<void> {
		return this.#run(() => {
			if (!row) {
				this.#sql('DELETE FROM rotation').run();
				return;
			}

			this.#sql(
				`INSERT OR REPLACE INTO rotation (singleton, from_version, to_version, started_at, total, done, last_id,
					lease_owner, lease_expires_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`,
			).run(
				row.fromVersion,
				row.toVersion,
				isoTimestamp(row.startedAt),
				row.total,
				row.done,
				row.lastId,
				row.leaseOwner ?? null,
				optionalIsoTimestamp(row.leaseExpiresAt) ?? null,
			);
		});
	}

	async getKeyringSeal(): Promise<KeyringSealRow | undefined> {
		return this.#run(() => {
			const row = this.#get('SELECT sequence, body, signature FROM keyring_seal');
			if (!row) return undefined;
			return {sequence: row.sequence as number, body: row.body as Buffer, signature: row.signature as Buffer};
		});
	}

	async putKeyringSeal(row: KeyringSealRow | undefined): Promise<void> {
		return this.#run(() => {
			if (!row) {
				this.#sql('DELETE FROM keyring_seal').run();
				return;
			}

			this.#sql('INSERT OR REPLACE INTO keyring_seal (singleton, sequence, body, signature) VALUES (1, ?, ?, ?)').run(
				row.sequence,
				asBuffer(row.body),
				asBuffer(row.signature),
			);
		});
	}

	async appendAudit(entry: NewAuditEntry): Promise<number> {
		return this.#run(() => {
			// `at` is stored as given, never replaced by the time of the insert: the chained hash covers it.
			const row = this.#sql(
				`INSERT INTO audit_log (at, installation_id, operation, fingerprints, outcome, detail, chain_hash, key_version,
					signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			).get(
				isoTimestamp(entry.at),
				entry.installationId ?? null,
				entry.operation,
				JSON.stringify(entry.fingerprints),
				entry.outcome,
				entry.detail,
				optionalBuffer(entry.chainHash),
				entry.keyVersion ?? null,
				optionalBuffer(entry.signature),
			) as {id: number};
			return row.id;
		});
	}

	async listAudit(limit: number): Promise<AuditEntry[]> {
		return this.#run(() =>
			this.#all('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?', limit).map(row => auditFromRow(row)),
		);
	}

	async lastAuditEntry(): Promise<AuditEntry | undefined> {
		return this.#run(() => {
			const row = this.#get('SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
			return row ? auditFromRow(row) : undefined;
		});
	}

	async secretsAfter(afterId: number, limit: number): Promise<SecretRow[]> {
		return this.#run(() =>
			this.#all(`${secretSelect} WHERE id > ? ORDER BY id LIMIT ?`, afterId, limit).map(row => secretFromRow(row)),
		);
	}

	async dataSourcesAfter(afterName: string | undefined, limit: number): Promise<DataSourceRow[]> {
		return this.#run(() =>
			this.#all(
				'SELECT name, created_at, updated_at FROM data_sources WHERE (@after IS NULL OR name > @after) ORDER BY name LIMIT @limit',
				{after: afterName ?? null, limit},
			).map(row => ({name: row.name as string, createdAt: row.created_at as string, updatedAt: row.updated_at as string})),
		);
	}

	async auditAfter(afterId: number, limit: number): Promise<AuditEntry[]> {
		return this.#run(() =>
			this.#all('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', afterId, limit).map(row => auditFromRow(row)),
		);
	}

	async insertSecrets(rows: SecretRow[]): Promise<void> {
		return this.#run(() => {
			// An explicit id in an AUTOINCREMENT table also raises sqlite_sequence, so later ids come after it.
			const statement = this.#sql(
				`INSERT INTO secrets (id, kind, owner, field, ciphertext, key_version, needs_reentry, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			);
			for (const row of rows) {
				statement.run(
					row.id,
					row.kind,
					row.owner,
					row.field,
					row.ciphertext === undefined ? null : asBuffer(row.ciphertext),
					row.keyVersion ?? null,
					row.needsReentry ? 1 : 0,
					isoTimestamp(row.updatedAt),
				);
			}
		});
	}

	async insertDataSources(rows: DataSourceRow[]): Promise<void> {
		return this.#run(() => {
			const statement = this.#sql('INSERT INTO data_sources (name, created_at, updated_at) VALUES (?, ?, ?)');
			for (const row of rows) statement.run(row.name, isoTimestamp(row.createdAt), isoTimestamp(row.updatedAt));
		});
	}

	async insertAuditEntries(entries: AuditEntry[]): Promise<void> {
		return this.#run(() => {
			const statement = this.#sql(
				`INSERT INTO audit_log (id, at, installation_id, operation, fingerprints, outcome, detail, chain_hash,
					key_version, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			);
			for (const entry of entries) {
				statement.run(
					entry.id,
					isoTimestamp(entry.at),
					entry.installationId ?? null,
					entry.operation,
					JSON.stringify(entry.fingerprints),
					entry.outcome,
					entry.detail,
					optionalBuffer(entry.chainHash),
					entry.keyVersion ?? null,
					optionalBuffer(entry.signature),
				);
			}
		});
	}

	async countRows(): Promise<CatalogCounts> {
		return this.#run(() => {
			const row = this.#get(
				`SELECT (SELECT count(*) FROM instances) AS instances, (SELECT count(*) FROM key_versions) AS keyVersions,
					(SELECT count(*) FROM wrapped_keys) AS wrappedKeys, (SELECT count(*) FROM secrets) AS secrets,
					(SELECT count(*) FROM data_sources) AS dataSources, (SELECT count(*) FROM subscriptions) AS subscriptions,
					(SELECT count(*) FROM settings) AS settings, (SELECT count(*) FROM audit_log) AS auditEntries,
					(SELECT count(*) FROM rotation) AS rotation, (SELECT count(*) FROM keyring_seal) AS keyringSeal`,
			)!;
			return row as CatalogCounts;
		});
	}

	#sql(sql: string): Statement {
		return this.#session.statement(sql);
	}

	#get(sql: string, ...parameters: unknown[]): Row | undefined {
		return this.#sql(sql).get(...parameters) as Row | undefined;
	}

	#all(sql: string, ...parameters: unknown[]): Row[] {
		return this.#sql(sql).all(...parameters) as Row[];
	}

	/** Every operation runs synchronously on the one connection; driver errors become RscmErrors here. */
	async #run<T>(operation: () => T): Promise<T> {
		if (!this.#open) throw new RscmError('INTERNAL', 'A catalog transaction was used after it ended.');
		try {
			return operation();
		} catch (error) {
			throw this.#session.mapError(error);
		}
	}
}
