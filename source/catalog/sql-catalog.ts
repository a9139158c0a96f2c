import {randomUUID} from 'node:crypto';
import {RscmError} from '../errors.ts';
import type {
	AuditEntry,
	CatalogCounts,
	CatalogInfo,
	CatalogKind,
	CatalogTx,
	CreateCatalogOptions,
	DataSourceQuery,
	DataSourceRow,
	DataSourceStateRow,
	EncryptedValue,
	EncryptedValueSummary,
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
import {
	asBuffer,
	checkSchemaVersion,
	instanceColumns,
	isoTimestamp,
	keyVersionColumns,
	latestVersion,
	optionalBuffer,
	optionalIsoTimestamp,
	secretKinds,
	timestampFields,
	type Migration,
} from './schema.ts';

/**
 * The one SQL implementation of the catalog's operations (CatalogTx) and of its schema upgrade, for every backend.
 * A backend is a dialect (dialects/*.ts): its connection, its transactions and locks, its error mapping, and the few
 * pieces of SQL that differ between engines, which it gives here as a SqlDialect. Statements are written with `?`
 * placeholders; a dialect whose driver numbers them ($1, $2) rewrites them in its connection.
 */

export type Row = Record<string, unknown>;

export type SqlResult = {rows: Row[]; changes: number};

/** A connection inside an open transaction, as the shared code uses it. */
export type SqlConnection = {
	/** One statement with `?` placeholders. */
	query(sql: string, values?: readonly unknown[]): Promise<SqlResult>;
	/** One statement run once per list of values (a prepared loop, or the driver's batch); returns the rows changed. */
	queryMany(sql: string, valueLists: ReadonlyArray<readonly unknown[]>): Promise<number>;
	/** Several statements without parameters (a migration step). */
	exec(sql: string): Promise<void>;
};

/** A column of a bulk insert, with the type a dialect may need to name (PostgreSQL's unnest casts). */
export type BulkColumn = {name: string; type: 'bigint' | 'integer' | 'text' | 'bytes' | 'boolean' | 'timestamp'};

/** The SQL that differs between engines. Everything else is written once, below. */
export type SqlDialect = {
	readonly kind: CatalogKind;
	/** The value bound for a boolean column. */
	boolean(value: boolean): unknown;
	/** The value bound for a timestamp column, from an ISO 8601 string in UTC. */
	timestamp(iso: string): unknown;
	/** `column` as compared and ordered: byte order (SQLite's own), so every backend pages names the same way. */
	byteOrder(column: string): string;
	/** A condition that `column` contains the bound pattern in any letter case, and that pattern for `text`. */
	containsCondition(column: string): string;
	containsPattern(text: string): string;
	/** What follows `INSERT … VALUES (…)` so a row whose `keys` exist gets the inserted values of `columns` instead. */
	upsert(keys: readonly string[], columns: readonly string[]): string;
	/** A condition that `column` is one of `values` (a text list of any length), with what it binds. */
	oneOf(column: string, values: readonly string[]): {sql: string; values: unknown[]};
	/**
	 * The condition of a rotation's batch read, binding what it returns: values under `keyVersion` with id > `afterId`,
	 * which the index on (key_version, id) serves in order. undefined: `key_version = ? AND id > ?`.
	 */
	versionAfter?(keyVersion: number, afterId: number): {sql: string; values: unknown[]};
	/** Bulk writes in one statement where the engine has one; undefined: a prepared loop (queryMany). */
	replaceCiphertexts?(
		connection: SqlConnection,
		fromVersion: number,
		toVersion: number,
		updates: ReadonlyArray<{id: number; ciphertext: Buffer}>,
	): Promise<number>;
	insertRows?(connection: SqlConnection, table: string, columns: readonly BulkColumn[], rows: ReadonlyArray<readonly unknown[]>): Promise<void>;
	/** After rows were inserted with explicit ids: make the table's next generated id come after them. */
	afterExplicitIds(connection: SqlConnection, table: 'secrets' | 'audit_log'): Promise<void>;
};

/** What the schema upgrade needs of a dialect beyond its SQL. */
export type SchemaDialect = {
	/** Makes schema_migrations exist (and whatever holds it), refusing a location that is another application's. */
	prepareSchema(connection: SqlConnection, location: string): Promise<void>;
};

export async function schemaVersion(connection: SqlConnection): Promise<number> {
	const {rows} = await connection.query('SELECT max(version) AS version FROM schema_migrations');
	return rows[0]?.version === null || rows[0]?.version === undefined ? 0 : Number(rows[0].version);
}

/**
 * Creates or upgrades the schema and the catalog id, inside what the dialect made exclusive (a write transaction,
 * or a lock where DDL commits on its own). Returns the version reached.
 */
export async function migrateSchema(
	connection: SqlConnection,
	dialect: SqlDialect & SchemaDialect,
	migrations: readonly Migration[],
	location: string,
	options: CreateCatalogOptions,
): Promise<number> {
	await dialect.prepareSchema(connection, location);
	const known = latestVersion(migrations);
	const found = await schemaVersion(connection);
	if (found > known) checkSchemaVersion(location, found, known);
	const now = new Date().toISOString();
	for (const migration of migrations) {
		if (migration.version <= found) continue;
		await connection.exec(migration.sql);
		await connection.query('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
			migration.version,
			dialect.timestamp(now),
		]);
	}

	const meta = await connection.query('SELECT 1 AS present FROM meta');
	if (meta.rows.length === 0) {
		await connection.query('INSERT INTO meta (singleton, catalog_id, created_at) VALUES (?, ?, ?)', [
			dialect.boolean(true),
			options.catalogId ?? randomUUID(),
			dialect.timestamp(options.createdAt === undefined ? now : isoTimestamp(options.createdAt)),
		]);
	}

	return known;
}

/** The meta row and the schema version in one statement (one snapshot); undefined when there is no meta row. */
export async function readMeta(
	connection: SqlConnection,
): Promise<{catalogId: string; createdAt: string; schemaVersion: number} | undefined> {
	const {rows} = await connection.query(
		'SELECT catalog_id, created_at, (SELECT max(version) FROM schema_migrations) AS version FROM meta',
	);
	const row = rows[0];
	if (!row) return undefined;
	return {catalogId: String(row.catalog_id), createdAt: timestamp(row.created_at), schemaVersion: Number(row.version ?? 0)};
}

/** What a transaction needs from its catalog: the connection, the catalog's error mapping and its info. */
export type SqlSession = {
	connection: SqlConnection;
	dialect: SqlDialect;
	mapError(error: unknown): unknown;
	info(): Promise<CatalogInfo>;
};

const nullableFields = new Set<string>(['joinedAt', 'backedUpAt', 'retiredAt']);

const secretSelect = 'SELECT id, kind, owner, field, ciphertext, key_version, needs_reentry, updated_at FROM secrets';

const secretColumns: readonly BulkColumn[] = [
	{name: 'id', type: 'bigint'},
	{name: 'kind', type: 'text'},
	{name: 'owner', type: 'text'},
	{name: 'field', type: 'text'},
	{name: 'ciphertext', type: 'bytes'},
	{name: 'key_version', type: 'integer'},
	{name: 'needs_reentry', type: 'boolean'},
	{name: 'updated_at', type: 'timestamp'},
];

const dataSourceColumns: readonly BulkColumn[] = [
	{name: 'name', type: 'text'},
	{name: 'created_at', type: 'timestamp'},
	{name: 'updated_at', type: 'timestamp'},
];

const auditColumns: readonly BulkColumn[] = [
	{name: 'id', type: 'bigint'},
	{name: 'at', type: 'timestamp'},
	{name: 'installation_id', type: 'text'},
	{name: 'operation', type: 'text'},
	{name: 'fingerprints', type: 'text'},
	{name: 'outcome', type: 'text'},
	{name: 'detail', type: 'text'},
	{name: 'chain_hash', type: 'bytes'},
	{name: 'key_version', type: 'integer'},
	{name: 'signature', type: 'bytes'},
];

/** countRows' fields and their tables. */
const countedTables = [
	['instances', 'instances'],
	['keyVersions', 'key_versions'],
	['wrappedKeys', 'wrapped_keys'],
	['secrets', 'secrets'],
	['dataSources', 'data_sources'],
	['subscriptions', 'subscriptions'],
	['settings', 'settings'],
	['auditEntries', 'audit_log'],
	['rotation', 'rotation'],
	['keyringSeal', 'keyring_seal'],
] as const satisfies ReadonlyArray<readonly [keyof CatalogCounts, string]>;

/** `INSERT INTO table (a, b) VALUES (?, ?)`. */
function insertSql(table: string, columns: readonly string[]): string {
	return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

function where(conditions: readonly string[]): string {
	return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

/** The operations of one transaction, on one connection. Usable only while the transaction is open. */
export class SqlTx implements CatalogTx {
	readonly #session: SqlSession;
	readonly #dialect: SqlDialect;
	#open = true;

	constructor(session: SqlSession) {
		this.#session = session;
		this.#dialect = session.dialect;
	}

	end(): void {
		this.#open = false;
	}

	async getInfo(): Promise<CatalogInfo> {
		return this.#guard(async () => this.#session.info());
	}

	async listInstances(): Promise<InstanceRow[]> {
		const rows = await this.#rows(`SELECT * FROM instances ORDER BY registered_at, ${this.#dialect.byteOrder('installation_id')}`);
		return rows.map(row => instanceFromRow(row));
	}

	async getInstance(installationId: string): Promise<InstanceRow | undefined> {
		const [row] = await this.#rows('SELECT * FROM instances WHERE installation_id = ?', [installationId]);
		return row ? instanceFromRow(row) : undefined;
	}

	async insertInstance(row: InstanceRow): Promise<void> {
		const d = this.#dialect;
		await this.#query(
			insertSql('instances', [
				'installation_id',
				'machine',
				'instance_name',
				'public_key',
				'identity_fingerprint',
				'identity_created_at',
				'service_account',
				'registered_at',
				'joined_at',
			]),
			[
				row.installationId,
				row.machine,
				row.instanceName,
				asBuffer(row.publicKey),
				row.identityFingerprint,
				d.timestamp(isoTimestamp(row.identityCreatedAt)),
				row.serviceAccount,
				d.timestamp(isoTimestamp(row.registeredAt)),
				this.#optionalTimestamp(row.joinedAt),
			],
		);
	}

	async updateInstance(installationId: string, patch: Partial<Omit<InstanceRow, 'installationId'>>): Promise<void> {
		if (!(await this.#exists('SELECT 1 AS present FROM instances WHERE installation_id = ?', [installationId]))) {
			throw new RscmError('UNKNOWN_INSTANCE', `No instance ${installationId} in this catalog.`);
		}

		const {sql, values} = this.#assignments(patch, instanceColumns);
		if (sql) await this.#query(`UPDATE instances SET ${sql} WHERE installation_id = ?`, [...values, installationId]);
	}

	async deleteInstance(installationId: string): Promise<void> {
		await this.#query('DELETE FROM instances WHERE installation_id = ?', [installationId]);
	}

	async listKeyVersions(): Promise<KeyVersionRow[]> {
		const rows = await this.#rows('SELECT * FROM key_versions ORDER BY version');
		return rows.map(row => keyVersionFromRow(row));
	}

	async insertKeyVersion(row: KeyVersionRow): Promise<void> {
		await this.#query(
			insertSql('key_versions', ['version', 'fingerprint', 'key_check', 'state', 'created_at', 'backed_up_at', 'retired_at']),
			[
				row.version,
				row.fingerprint,
				asBuffer(row.keyCheck),
				row.state,
				this.#dialect.timestamp(isoTimestamp(row.createdAt)),
				this.#optionalTimestamp(row.backedUpAt),
				this.#optionalTimestamp(row.retiredAt),
			],
		);
	}

	async updateKeyVersion(version: number, patch: Partial<Omit<KeyVersionRow, 'version'>>): Promise<void> {
		if (!(await this.#exists('SELECT 1 AS present FROM key_versions WHERE version = ?', [version]))) {
			throw new RscmError('INTERNAL', `No key version ${version} in this catalog.`);
		}

		const {sql, values} = this.#assignments(patch, keyVersionColumns);
		if (sql) await this.#query(`UPDATE key_versions SET ${sql} WHERE version = ?`, [...values, version]);
	}

	async listWrappedKeys(installationId: string): Promise<WrappedKeyRow[]> {
		const rows = await this.#rows('SELECT * FROM wrapped_keys WHERE installation_id = ? ORDER BY version', [installationId]);
		return rows.map(row => ({
			installationId: row.installation_id as string,
			version: Number(row.version),
			wrapped: row.wrapped as Buffer,
		}));
	}

	async putWrappedKey(row: WrappedKeyRow): Promise<void> {
		await this.#query(
			`${insertSql('wrapped_keys', ['installation_id', 'version', 'wrapped'])} ${this.#dialect.upsert(['installation_id', 'version'], ['wrapped'])}`,
			[row.installationId, row.version, asBuffer(row.wrapped)],
		);
	}

	async deleteWrappedKeys(filter: {installationId?: string; version?: number}): Promise<void> {
		const conditions: string[] = [];
		const values: unknown[] = [];
		if (filter.installationId !== undefined) {
			conditions.push('installation_id = ?');
			values.push(filter.installationId);
		}

		if (filter.version !== undefined) {
			conditions.push('version = ?');
			values.push(filter.version);
		}

		await this.#query(`DELETE FROM wrapped_keys${where(conditions)}`, values);
	}

	async getSecret(address: SecretAddress): Promise<SecretRow | undefined> {
		const [row] = await this.#rows(`${secretSelect} WHERE kind = ? AND owner = ? AND field = ?`, [
			address.kind,
			address.owner,
			address.field,
		]);
		return row ? secretFromRow(row) : undefined;
	}

	async putSecret(address: SecretAddress, ciphertext: Uint8Array, keyVersion: number): Promise<number> {
		// Upsert keeps the row id, so a value rewritten during a rotation stays where the rotation expects it.
		const [row] = await this.#rows(
			`${insertSql('secrets', ['kind', 'owner', 'field', 'ciphertext', 'key_version', 'needs_reentry', 'updated_at'])}
				${this.#dialect.upsert(['kind', 'owner', 'field'], ['ciphertext', 'key_version', 'needs_reentry', 'updated_at'])} RETURNING id`,
			[
				address.kind,
				address.owner,
				address.field,
				asBuffer(ciphertext),
				keyVersion,
				this.#dialect.boolean(false),
				this.#now(),
			],
		);
		return Number(row!.id);
	}

	async markSecretNeedsReentry(address: SecretAddress): Promise<void> {
		await this.#query(
			`${insertSql('secrets', ['kind', 'owner', 'field', 'ciphertext', 'key_version', 'needs_reentry', 'updated_at'])}
				${this.#dialect.upsert(['kind', 'owner', 'field'], ['ciphertext', 'key_version', 'needs_reentry', 'updated_at'])}`,
			[address.kind, address.owner, address.field, null, null, this.#dialect.boolean(true), this.#now()],
		);
	}

	async deleteSecrets(filter: {kind: SecretKind; owner: string; field?: string}): Promise<void> {
		if (filter.field === undefined) {
			await this.#query('DELETE FROM secrets WHERE kind = ? AND owner = ?', [filter.kind, filter.owner]);
		} else {
			await this.#query('DELETE FROM secrets WHERE kind = ? AND owner = ? AND field = ?', [filter.kind, filter.owner, filter.field]);
		}
	}

	async listSecrets(filter: {kind?: SecretKind; owner?: string}): Promise<SecretRow[]> {
		const conditions: string[] = [];
		const values: unknown[] = [];
		if (filter.kind !== undefined) {
			conditions.push('kind = ?');
			values.push(filter.kind);
		}

		if (filter.owner !== undefined) {
			conditions.push('owner = ?');
			values.push(filter.owner);
		}

		const rows = await this.#rows(`${secretSelect}${where(conditions)} ORDER BY id`, values);
		return rows.map(row => secretFromRow(row));
	}

	async secretsBatch(keyVersion: number, afterId: number, limit: number): Promise<EncryptedValue[]> {
		const after = this.#dialect.versionAfter?.(keyVersion, afterId) ?? {sql: 'key_version = ? AND id > ?', values: [keyVersion, afterId]};
		const rows = await this.#rows(`SELECT id, kind, owner, field, ciphertext FROM secrets WHERE ${after.sql} ORDER BY key_version, id LIMIT ?`, [
			...after.values,
			limit,
		]);
		return rows.map(row => ({
			id: Number(row.id),
			kind: row.kind as SecretKind,
			owner: row.owner as string,
			field: row.field as string,
			ciphertext: row.ciphertext as Uint8Array,
		}));
	}

	async replaceSecretCiphertexts(
		fromVersion: number,
		toVersion: number,
		updates: Array<{id: number; ciphertext: Uint8Array}>,
	): Promise<number> {
		if (updates.length === 0) return this.#guard(async () => 0);
		const rows = updates.map(update => ({id: update.id, ciphertext: asBuffer(update.ciphertext)}));
		// updated_at is left alone: it records when the value was last entered, and a rotation does not change it.
		return this.#guard(async () => {
			const {connection} = this.#session;
			if (this.#dialect.replaceCiphertexts) return this.#dialect.replaceCiphertexts(connection, fromVersion, toVersion, rows);
			return connection.queryMany(
				'UPDATE secrets SET ciphertext = ?, key_version = ? WHERE id = ? AND key_version = ?',
				rows.map(row => [row.ciphertext, toVersion, row.id, fromVersion]),
			);
		});
	}

	async countSecrets(filter: {keyVersion?: number} = {}): Promise<number> {
		const [row] =
			filter.keyVersion === undefined
				? await this.#rows('SELECT count(*) AS n FROM secrets')
				: await this.#rows('SELECT count(*) AS n FROM secrets WHERE key_version = ?', [filter.keyVersion]);
		return Number(row!.n);
	}

	async countSecretsByKind(): Promise<SecretCounts> {
		// The Status page reads this on every refresh: grouping the table by kind reads every row, half a second at a
		// million values, with the event loop stopped. Instead two index counts (every row; the rows without a key
		// version, a range of the rotation index), the kinds other than data sources (a handful of settings and
		// subscriptions) counted one by one, and data sources are the rest. A value needs re-entry exactly when it has
		// no ciphertext: every writer sets the flag with the null (markSecretNeedsReentry, clearAllSecrets) and clears
		// it with a ciphertext (putSecret, the rotation).
		const [all] = await this.#rows('SELECT count(*) AS n FROM secrets');
		const [cleared] = await this.#rows('SELECT count(*) AS n FROM secrets WHERE key_version IS NULL');
		const counts = Object.fromEntries(secretKinds.map(kind => [kind, {total: 0, needsReentry: 0}])) as SecretCounts;
		const others = secretKinds.filter(kind => kind !== 'datasource');
		const rows = await this.#rows(
			`SELECT kind, count(*) AS total, sum(CASE WHEN needs_reentry THEN 1 ELSE 0 END) AS reentry FROM secrets WHERE kind IN (${others.map(() => '?').join(', ')}) GROUP BY kind`,
			others,
		);
		for (const row of rows) counts[row.kind as SecretKind] = {total: Number(row.total), needsReentry: Number(row.reentry)};
		const total = Number(all!.n);
		const otherTotal = others.reduce((sum, kind) => sum + counts[kind].total, 0);
		const otherReentry = others.reduce((sum, kind) => sum + counts[kind].needsReentry, 0);
		counts.datasource = {total: total - otherTotal, needsReentry: Number(cleared!.n) - otherReentry};
		return counts;
	}

	async encryptedValueSummary(sampleSize: number): Promise<EncryptedValueSummary> {
		// key_version is set exactly when a ciphertext is (a CHECK of the table): the rotation index answers these.
		const byKind = Object.fromEntries(secretKinds.map(kind => [kind, 0])) as Record<SecretKind, number>;
		for (const row of await this.#rows('SELECT kind, count(*) AS n FROM secrets WHERE key_version IS NOT NULL GROUP BY kind')) {
			byKind[row.kind as SecretKind] = Number(row.n);
		}

		const sample = await this.#rows('SELECT kind, owner, field FROM secrets WHERE key_version IS NOT NULL ORDER BY id LIMIT ?', [sampleSize]);
		const [owners] = await this.#rows("SELECT count(DISTINCT owner) AS n FROM secrets WHERE kind = 'datasource' AND key_version IS NOT NULL");
		return {
			byKind,
			sample: sample.map(row => ({kind: row.kind as SecretKind, owner: String(row.owner), field: String(row.field)})),
			dataSources: Number(owners!.n),
		};
	}

	async encryptedValueCounts(sampleSize: number): Promise<Omit<EncryptedValueSummary, 'dataSources'>> {
		// Counting by kind over `key_version IS NOT NULL` reads every row of the table (no index holds both columns):
		// half a second at a million values. countSecretsByKind answers from indexes, and a value is encrypted exactly
		// when it does not need re-entry (see there).
		const counts = await this.countSecretsByKind();
		const byKind = Object.fromEntries(secretKinds.map(kind => [kind, counts[kind].total - counts[kind].needsReentry])) as Record<SecretKind, number>;
		const sample = await this.#rows('SELECT kind, owner, field FROM secrets WHERE key_version IS NOT NULL ORDER BY id LIMIT ?', [sampleSize]);
		return {byKind, sample: sample.map(row => ({kind: row.kind as SecretKind, owner: String(row.owner), field: String(row.field)}))};
	}

	async countSecretOwners(kind: SecretKind): Promise<number> {
		// The unique index (kind, owner, field) answers this without reading a row.
		const [row] = await this.#rows('SELECT count(DISTINCT owner) AS n FROM secrets WHERE kind = ?', [kind]);
		return Number(row!.n);
	}

	async clearAllSecrets(): Promise<number> {
		const result = await this.#query(
			'UPDATE secrets SET ciphertext = NULL, key_version = NULL, needs_reentry = ?, updated_at = ? WHERE ciphertext IS NOT NULL',
			[this.#dialect.boolean(true), this.#now()],
		);
		return result.changes;
	}

	async listDataSources(): Promise<DataSourceRow[]> {
		const rows = await this.#rows(`SELECT name, created_at, updated_at FROM data_sources ORDER BY ${this.#dialect.byteOrder('name')}`);
		return rows.map(row => dataSourceFromRow(row));
	}

	async getDataSource(name: string): Promise<DataSourceRow | undefined> {
		const [row] = await this.#rows('SELECT name, created_at, updated_at FROM data_sources WHERE name = ?', [name]);
		return row ? dataSourceFromRow(row) : undefined;
	}

	async upsertDataSource(name: string): Promise<void> {
		const now = this.#now();
		await this.#query(
			`${insertSql('data_sources', ['name', 'created_at', 'updated_at'])} ${this.#dialect.upsert(['name'], ['updated_at'])}`,
			[name, now, now],
		);
	}

	async deleteDataSource(name: string): Promise<boolean> {
		return (await this.#query('DELETE FROM data_sources WHERE name = ?', [name])).changes > 0;
	}

	async findDataSources(query: DataSourceQuery): Promise<DataSourceRow[]> {
		// One statement per combination of conditions, so the name index serves the range and the order.
		const name = this.#dialect.byteOrder('name');
		const {conditions, values} = this.#containing(query.contains);
		if (query.after !== undefined) {
			conditions.push(`${name} ${query.inclusive ? '>=' : '>'} ?`);
			values.push(query.after);
		}

		if (query.before !== undefined) {
			conditions.push(`${name} < ?`);
			values.push(query.before);
		}

		const rows = await this.#rows(
			`SELECT name, created_at, updated_at FROM data_sources${where(conditions)} ORDER BY ${name} ${query.fromEnd ? 'DESC' : 'ASC'} LIMIT ?`,
			[...values, query.limit],
		);
		const found = rows.map(row => dataSourceFromRow(row));
		return query.fromEnd ? found.reverse() : found;
	}

	async countDataSources(contains?: string): Promise<number> {
		const {conditions, values} = this.#containing(contains);
		const [row] = await this.#rows(`SELECT count(*) AS n FROM data_sources${where(conditions)}`, values);
		return Number(row!.n);
	}

	async dataSourceStatesAfter(afterName: string | undefined, limit: number): Promise<DataSourceStateRow[]> {
		const d = this.#dialect;
		const after = afterName === undefined ? [] : [`${d.byteOrder('name')} > ?`];
		// The page of names first (LIMIT counts data sources, not values), then their values by the (kind, owner,
		// field) key. key_version is NULL exactly when the ciphertext is (a CHECK of the table): no bytes are read.
		const rows = await this.#rows(
			`SELECT page.name, page.created_at, page.updated_at, s.field, s.needs_reentry,
					CASE WHEN s.key_version IS NULL THEN 1 ELSE 0 END AS cleared
				FROM (SELECT name, created_at, updated_at FROM data_sources${where(after)} ORDER BY ${d.byteOrder('name')} LIMIT ?) page
				LEFT JOIN secrets s ON s.kind = 'datasource' AND s.owner = page.name
				ORDER BY ${d.byteOrder('page.name')}, ${d.byteOrder('s.field')}`,
			[...(afterName === undefined ? [] : [afterName]), limit],
		);
		const sources: DataSourceStateRow[] = [];
		for (const row of rows) {
			if (sources.at(-1)?.name !== row.name) sources.push({...dataSourceFromRow(row), values: []});
			if (row.field !== null && row.field !== undefined) {
				sources.at(-1)!.values.push({field: String(row.field), needsReentry: boolean(row.needs_reentry) || Number(row.cleared) === 1});
			}
		}

		return sources;
	}

	async secretsOfOwners(kind: SecretKind, owners: readonly string[]): Promise<SecretRow[]> {
		const owner = this.#dialect.oneOf('owner', owners);
		const rows = await this.#rows(`${secretSelect} WHERE kind = ? AND ${owner.sql} ORDER BY id`, [kind, ...owner.values]);
		return rows.map(row => secretFromRow(row));
	}

	async listSubscriptions(): Promise<SubscriptionRow[]> {
		const rows = await this.#rows(`SELECT * FROM subscriptions ORDER BY ${this.#dialect.byteOrder('id')}`);
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
			`${insertSql('subscriptions', ['id', 'description', 'delivery', 'settings', 'updated_at'])}
				${this.#dialect.upsert(['id'], ['description', 'delivery', 'settings', 'updated_at'])}`,
			[row.id, row.description, row.delivery, JSON.stringify(row.settings), this.#dialect.timestamp(isoTimestamp(row.updatedAt))],
		);
	}

	async getSettings(): Promise<Record<string, string>> {
		const rows = await this.#rows(`SELECT name, value FROM settings ORDER BY ${this.#dialect.byteOrder('name')}`);
		return Object.fromEntries(rows.map(row => [row.name as string, row.value as string]));
	}

	async putSettings(values: Record<string, string | undefined>): Promise<void> {
		const entries = Object.entries(values);
		const set = entries.filter((entry): entry is [string, string] => entry[1] !== undefined);
		const removed = entries.filter(([, value]) => value === undefined).map(([name]) => name);
		await this.#guard(async () => {
			const {connection} = this.#session;
			if (removed.length > 0) {
				const name = this.#dialect.oneOf('name', removed);
				await connection.query(`DELETE FROM settings WHERE ${name.sql}`, name.values);
			}

			if (set.length > 0) {
				await connection.queryMany(`${insertSql('settings', ['name', 'value'])} ${this.#dialect.upsert(['name'], ['value'])}`, set);
			}
		});
	}

	async getRotation(): Promise<RotationRow | undefined> {
		const [row] = await this.#rows('SELECT * FROM rotation');
		if (!row) return undefined;
		return {
			fromVersion: Number(row.from_version),
			toVersion: Number(row.to_version),
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

		const columns = ['from_version', 'to_version', 'started_at', 'total', 'done', 'last_id', 'lease_owner', 'lease_expires_at'];
		await this.#query(`${insertSql('rotation', ['singleton', ...columns])} ${this.#dialect.upsert(['singleton'], columns)}`, [
			this.#dialect.boolean(true),
			row.fromVersion,
			row.toVersion,
			this.#dialect.timestamp(isoTimestamp(row.startedAt)),
			row.total,
			row.done,
			row.lastId,
			row.leaseOwner ?? null,
			this.#optionalTimestamp(row.leaseExpiresAt),
		]);
	}

	async getKeyringSeal(): Promise<KeyringSealRow | undefined> {
		const [row] = await this.#rows('SELECT sequence, body, signature FROM keyring_seal');
		if (!row) return undefined;
		return {sequence: Number(row.sequence), body: row.body as Buffer, signature: row.signature as Buffer};
	}

	async putKeyringSeal(row: KeyringSealRow | undefined): Promise<void> {
		if (!row) {
			await this.#query('DELETE FROM keyring_seal');
			return;
		}

		const columns = ['sequence', 'body', 'signature'];
		await this.#query(`${insertSql('keyring_seal', ['singleton', ...columns])} ${this.#dialect.upsert(['singleton'], columns)}`, [
			this.#dialect.boolean(true),
			row.sequence,
			asBuffer(row.body),
			asBuffer(row.signature),
		]);
	}

	async appendAudit(entry: NewAuditEntry): Promise<number> {
		// `at` is stored as given, never replaced by the time of the insert: the chained hash covers it.
		const [row] = await this.#rows(`${insertSql('audit_log', auditColumns.slice(1).map(column => column.name))} RETURNING id`, this.#auditValues(entry));
		return Number(row!.id);
	}

	async listAudit(limit: number): Promise<AuditEntry[]> {
		const rows = await this.#rows('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?', [limit]);
		return rows.map(row => auditFromRow(row));
	}

	async lastAuditEntry(): Promise<AuditEntry | undefined> {
		const [row] = await this.#rows('SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
		return row ? auditFromRow(row) : undefined;
	}

	async secretsAfter(afterId: number, limit: number): Promise<SecretRow[]> {
		const rows = await this.#rows(`${secretSelect} WHERE id > ? ORDER BY id LIMIT ?`, [afterId, limit]);
		return rows.map(row => secretFromRow(row));
	}

	async dataSourcesAfter(afterName: string | undefined, limit: number): Promise<DataSourceRow[]> {
		const name = this.#dialect.byteOrder('name');
		const after = afterName === undefined ? [] : [`${name} > ?`];
		const rows = await this.#rows(`SELECT name, created_at, updated_at FROM data_sources${where(after)} ORDER BY ${name} LIMIT ?`, [
			...(afterName === undefined ? [] : [afterName]),
			limit,
		]);
		return rows.map(row => dataSourceFromRow(row));
	}

	async auditAfter(afterId: number, limit: number): Promise<AuditEntry[]> {
		const rows = await this.#rows('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit]);
		return rows.map(row => auditFromRow(row));
	}

	async insertSecrets(rows: SecretRow[]): Promise<void> {
		const d = this.#dialect;
		await this.#insertRows(
			'secrets',
			secretColumns,
			rows.map(row => [
				row.id,
				row.kind,
				row.owner,
				row.field,
				optionalBuffer(row.ciphertext),
				row.keyVersion ?? null,
				d.boolean(row.needsReentry),
				d.timestamp(isoTimestamp(row.updatedAt)),
			]),
		);
	}

	async insertDataSources(rows: DataSourceRow[]): Promise<void> {
		const d = this.#dialect;
		await this.#insertRows(
			'data_sources',
			dataSourceColumns,
			rows.map(row => [row.name, d.timestamp(isoTimestamp(row.createdAt)), d.timestamp(isoTimestamp(row.updatedAt))]),
		);
	}

	async insertAuditEntries(entries: AuditEntry[]): Promise<void> {
		await this.#insertRows(
			'audit_log',
			auditColumns,
			entries.map(entry => [entry.id, ...this.#auditValues(entry)]),
		);
	}

	async countRows(): Promise<CatalogCounts> {
		const [row] = await this.#rows(
			`SELECT ${countedTables.map(([, table], index) => `(SELECT count(*) FROM ${table}) AS c${index}`).join(', ')}`,
		);
		return Object.fromEntries(countedTables.map(([field], index) => [field, Number(row![`c${index}`])])) as CatalogCounts;
	}

	/** Copy inserts: one statement or one prepared loop per batch, then the id sequence moved past the copied ids. */
	async #insertRows(
		table: 'secrets' | 'data_sources' | 'audit_log',
		columns: readonly BulkColumn[],
		rows: ReadonlyArray<readonly unknown[]>,
	): Promise<void> {
		await this.#guard(async () => {
			if (rows.length === 0) return;
			const {connection} = this.#session;
			if (this.#dialect.insertRows) await this.#dialect.insertRows(connection, table, columns, rows);
			else await connection.queryMany(insertSql(table, columns.map(column => column.name)), rows);
			if (table !== 'data_sources') await this.#dialect.afterExplicitIds(connection, table);
		});
	}

	#auditValues(entry: NewAuditEntry): unknown[] {
		return [
			this.#dialect.timestamp(isoTimestamp(entry.at)),
			entry.installationId ?? null,
			entry.operation,
			JSON.stringify(entry.fingerprints),
			entry.outcome,
			entry.detail,
			optionalBuffer(entry.chainHash),
			entry.keyVersion ?? null,
			optionalBuffer(entry.signature),
		];
	}

	/** The name filter of findDataSources and countDataSources: any letter case, so `é` finds `École`. */
	#containing(contains: string | undefined): {conditions: string[]; values: unknown[]} {
		if (contains === undefined) return {conditions: [], values: []};
		return {conditions: [this.#dialect.containsCondition('name')], values: [this.#dialect.containsPattern(contains)]};
	}

	/**
	 * Builds `SET a = ?, b = ?` from a patch. A nullable field present with `undefined` is cleared (an instance that
	 * falls back to Waiting to Join loses its joinedAt); an absent field is left alone.
	 */
	#assignments(patch: Record<string, unknown>, columns: Record<string, string>): {sql: string; values: unknown[]} {
		const parts: string[] = [];
		const values: unknown[] = [];
		for (const [field, column] of Object.entries(columns)) {
			if (!Object.hasOwn(patch, field)) continue;
			const value = patch[field];
			if (value === undefined && !nullableFields.has(field)) continue;
			parts.push(`${column} = ?`);
			values.push(value === undefined ? null : this.#toColumn(field, value));
		}

		return {sql: parts.join(', '), values};
	}

	#toColumn(field: string, value: unknown): unknown {
		if (value instanceof Uint8Array) return asBuffer(value);
		if (timestampFields.has(field)) return this.#dialect.timestamp(isoTimestamp(value as string));
		return value;
	}

	#optionalTimestamp(value: string | undefined): unknown {
		const iso = optionalIsoTimestamp(value);
		return iso === undefined ? null : this.#dialect.timestamp(iso);
	}

	#now(): unknown {
		return this.#dialect.timestamp(new Date().toISOString());
	}

	async #exists(sql: string, values: readonly unknown[]): Promise<boolean> {
		return (await this.#rows(sql, values)).length > 0;
	}

	async #rows(sql: string, values?: readonly unknown[]): Promise<Row[]> {
		return (await this.#query(sql, values)).rows;
	}

	async #query(sql: string, values?: readonly unknown[]): Promise<SqlResult> {
		return this.#guard(async () => this.#session.connection.query(sql, values));
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

/** A timestamp column as any driver returns it (ISO text, or a Date), as the ISO string the catalog promises. */
function timestamp(value: unknown): string {
	return isoTimestamp(value as string | Date);
}

function optionalTimestamp(value: unknown): string | undefined {
	return optionalIsoTimestamp(value as string | Date | null);
}

/** A boolean column as any driver returns it (true, or 1 from an integer column). */
function boolean(value: unknown): boolean {
	return value === true || Number(value) === 1;
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
		version: Number(row.version),
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
		keyVersion: row.key_version === null ? undefined : Number(row.key_version),
		needsReentry: boolean(row.needs_reentry),
		updatedAt: timestamp(row.updated_at),
	};
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
		keyVersion: row.key_version === null || row.key_version === undefined ? undefined : Number(row.key_version),
		signature: (row.signature as Buffer | null) ?? undefined,
	};
}

function dataSourceFromRow(row: Row): DataSourceRow {
	return {name: row.name as string, createdAt: timestamp(row.created_at), updatedAt: timestamp(row.updated_at)};
}

/** `ON CONFLICT (keys) DO UPDATE SET c = excluded.c`: the upsert of SQLite and PostgreSQL. */
export function onConflictUpdate(keys: readonly string[], columns: readonly string[]): string {
	return `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${columns.map(column => `${column} = excluded.${column}`).join(', ')}`;
}

