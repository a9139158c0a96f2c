/**
 * The catalog (report server database) as the core sees it: an asynchronous storage interface with no backend type
 * in it, so the SQLite, PostgreSQL and MariaDB backends are interchangeable and pass one contract suite
 * (test/catalog/contract.ts). They share one SQL implementation (sql-catalog.ts) over a dialect each (dialects/).
 *
 * The catalog stores bytes and clear fields only. It never sees a plain key or a decrypted value: encryption,
 * wrapping and all key logic live in source/core.
 */

export type CatalogKind = 'sqlite' | 'postgres' | 'mariadb';

export type CatalogInfo = {
	kind: CatalogKind;
	/** Where the catalog lives, safe to print (a PostgreSQL URL has its password removed). */
	location: string;
	catalogId: string;
	schemaVersion: number;
	createdAt: string;
	/** Server software and version, for the Database page ("SQLite 3.46.1", "PostgreSQL 15.19"). */
	serverVersion: string;
};

export type InstanceRow = {
	installationId: string;
	machine: string;
	instanceName: string;
	/** Raw 32-byte X25519 public key of the instance's service identity. */
	publicKey: Uint8Array;
	identityFingerprint: string;
	identityCreatedAt: string;
	serviceAccount: string;
	registeredAt: string;
	/** Set when the instance holds wrapped copies of the keyring; undefined while Waiting to Join. */
	joinedAt: string | undefined;
};

/** primary: used for new writes. active: still readable (a rotation is moving values off it). */
export type KeyVersionState = 'primary' | 'active' | 'retired';

export type KeyVersionRow = {
	version: number;
	fingerprint: string;
	/** HMAC of a fixed label under the key: lets restore check a key even when the catalog has no content. */
	keyCheck: Uint8Array;
	state: KeyVersionState;
	createdAt: string;
	backedUpAt: string | undefined;
	retiredAt: string | undefined;
};

export type WrappedKeyRow = {
	installationId: string;
	version: number;
	wrapped: Uint8Array;
};

/**
 * Every encrypted value lives in one table, addressed by (kind, owner, field): a data source's password is
 * ('datasource', 'Sales', 'password'). One table means one rotation loop and one place to find values to re-encrypt.
 */
export type SecretKind = 'datasource' | 'subscription' | 'setting';

export type SecretAddress = {
	kind: SecretKind;
	owner: string;
	field: string;
};

export type EncryptedValueSummary = {
	byKind: Record<SecretKind, number>;
	sample: SecretAddress[];
	dataSources: number;
};

export type SecretRow = SecretAddress & {
	/** Monotonic row id: rotation pages through values by id. */
	id: number;
	/** undefined after Delete encrypted content: the value must be entered again. */
	ciphertext: Uint8Array | undefined;
	keyVersion: number | undefined;
	needsReentry: boolean;
	updatedAt: string;
};

/**
 * A value as a key change reads it: only what re-encrypting it needs (its address for the associated data, and the
 * envelope), without the conversions of a full SecretRow, which per value cost more than the SQL read itself.
 */
export type EncryptedValue = SecretAddress & {id: number; ciphertext: Uint8Array};

export type DataSourceRow = {
	name: string;
	createdAt: string;
	updatedAt: string;
};

/** A data source with what a list shows of its values: which fields hold one, and whether it must be entered again. */
export type DataSourceStateRow = DataSourceRow & {
	/** Its values in byte order of their fields; needsReentry also when the value was cleared (no ciphertext). */
	values: Array<{field: string; needsReentry: boolean}>;
};

/**
 * A slice of the data sources in byte order of their names (keyset paging, so the 100,000th name costs what the
 * first does), optionally only names containing some text.
 */
export type DataSourceQuery = {
	/** Only names containing this text, in any letter case; `%`, `_` and `\` are plain characters. */
	contains?: string | undefined;
	/** Only names after this one (and this one too when `inclusive`). */
	after?: string | undefined;
	inclusive?: boolean | undefined;
	/** Only names before this one. */
	before?: string | undefined;
	/** Take the last `limit` names of the range instead of the first; the rows still come in ascending order. */
	fromEnd?: boolean | undefined;
	limit: number;
};

export type SubscriptionRow = {
	id: string;
	description: string;
	/** 'fileshare' or 'email'; the non-secret delivery settings are kept in clear. */
	delivery: string;
	settings: Record<string, string>;
	updatedAt: string;
};

/** A key change in progress. At most one exists; its lease lets a second process tell a live rotation from a dead one. */
export type RotationRow = {
	fromVersion: number;
	toVersion: number;
	startedAt: string;
	total: number;
	done: number;
	/** Highest secret id already moved to toVersion: a resumed rotation starts after it. */
	lastId: number;
	leaseOwner: string | undefined;
	leaseExpiresAt: string | undefined;
};

/**
 * The keyring seal: one record naming every key version, its state, the rotation and the joined instances, signed
 * by the primary key version's signing key (source/core/keyring-seal.ts builds and checks it). The catalog stores
 * it as opaque bytes; `sequence` is kept in clear so a rolled-back seal can be told from a newer one.
 */
export type KeyringSealRow = {
	sequence: number;
	body: Uint8Array;
	signature: Uint8Array;
};

export type AuditEntry = {
	id: number;
	at: string;
	installationId: string | undefined;
	operation: string;
	fingerprints: string[];
	outcome: 'success' | 'failure';
	detail: string;
	/** SHA-256 over the previous entry's chainHash and this entry (source/core/audit.ts); undefined for an entry written before the chain existed. */
	chainHash: Uint8Array | undefined;
	/** The key version whose signing key signed chainHash; undefined when the entry is unsigned. */
	keyVersion: number | undefined;
	signature: Uint8Array | undefined;
};

/** The core sets every field but the id (the time is part of the chained hash, so it is never defaulted). */
export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** Rows per table, for `rscm catalog copy` to check that the copy holds what the source held. */
export type CatalogCounts = {
	instances: number;
	keyVersions: number;
	wrappedKeys: number;
	secrets: number;
	dataSources: number;
	subscriptions: number;
	settings: number;
	auditEntries: number;
	/** 1 when a key change is pending. */
	rotation: number;
	/** 1 once the keyring has been sealed. */
	keyringSeal: number;
};

/** What create() gives a catalog it creates: a copy keeps its source's id, so backups and wrapped keys still match. */
export type CreateCatalogOptions = {
	catalogId?: string | undefined;
	createdAt?: string | undefined;
};

export type SecretCounts = {
	/** kind → number of values set, and how many of them need re-entry. */
	[kind in SecretKind]: {total: number; needsReentry: number};
};

/** Operations available inside a transaction. All run on one connection, in order. */
export type CatalogTx = {
	getInfo(): Promise<CatalogInfo>;

	listInstances(): Promise<InstanceRow[]>;
	getInstance(installationId: string): Promise<InstanceRow | undefined>;
	insertInstance(row: InstanceRow): Promise<void>;
	updateInstance(installationId: string, patch: Partial<Omit<InstanceRow, 'installationId'>>): Promise<void>;
	/** Deletes the instance and its wrapped keys. */
	deleteInstance(installationId: string): Promise<void>;

	listKeyVersions(): Promise<KeyVersionRow[]>;
	insertKeyVersion(row: KeyVersionRow): Promise<void>;
	updateKeyVersion(version: number, patch: Partial<Omit<KeyVersionRow, 'version'>>): Promise<void>;

	listWrappedKeys(installationId: string): Promise<WrappedKeyRow[]>;
	putWrappedKey(row: WrappedKeyRow): Promise<void>;
	/** Deletes wrapped keys matching every given field (no field: all of them). */
	deleteWrappedKeys(filter: {installationId?: string; version?: number}): Promise<void>;

	getSecret(address: SecretAddress): Promise<SecretRow | undefined>;
	/** Inserts or replaces the value at the address; returns its id. */
	putSecret(address: SecretAddress, ciphertext: Uint8Array, keyVersion: number): Promise<number>;
	/** Marks a value as needing re-entry (clears the ciphertext) without removing the field. */
	markSecretNeedsReentry(address: SecretAddress): Promise<void>;
	/** Removes the values of one owner: every field, or only `field` when given. */
	deleteSecrets(filter: {kind: SecretKind; owner: string; field?: string}): Promise<void>;
	listSecrets(filter: {kind?: SecretKind; owner?: string}): Promise<SecretRow[]>;
	/** Up to `limit` values encrypted under `keyVersion` with id > afterId, ordered by id (keyset paging). */
	secretsBatch(keyVersion: number, afterId: number, limit: number): Promise<EncryptedValue[]>;
	/**
	 * Rotation's write: replaces the ciphertext of each listed row, but only where the row is still under
	 * `fromVersion` (a row rewritten meanwhile by a user keeps its newer value). Returns how many rows it replaced.
	 * One statement or one prepared loop per batch, not one round trip per row.
	 */
	replaceSecretCiphertexts(
		fromVersion: number,
		toVersion: number,
		updates: Array<{id: number; ciphertext: Uint8Array}>,
	): Promise<number>;
	countSecrets(filter?: {keyVersion?: number}): Promise<number>;
	countSecretsByKind(): Promise<SecretCounts>;
	/**
	 * What Delete Encrypted Content would erase, without loading it: the encrypted values by kind, the first
	 * `sampleSize` of them in id order, and how many data sources hold one.
	 */
	encryptedValueSummary(sampleSize: number): Promise<EncryptedValueSummary>;
	/**
	 * The encrypted values by kind and the first `sampleSize` in id order (encryptedValueSummary without its data
	 * source count), from narrow indexes only, so a dialog can show them at once on a catalog of a million values.
	 */
	encryptedValueCounts(sampleSize: number): Promise<Omit<EncryptedValueSummary, 'dataSources'>>;
	/** How many owners of `kind` have a value row, set or waiting for re-entry (after Delete: those to re-enter). */
	countSecretOwners(kind: SecretKind): Promise<number>;
	/** Delete encrypted content: every ciphertext cleared and flagged needs re-entry. Returns how many. */
	clearAllSecrets(): Promise<number>;

	listDataSources(): Promise<DataSourceRow[]>;
	getDataSource(name: string): Promise<DataSourceRow | undefined>;
	upsertDataSource(name: string): Promise<void>;
	/** Deletes the data source's row (its values are separate: see deleteSecrets); false when there was none. */
	deleteDataSource(name: string): Promise<boolean>;
	/** The data sources of a query, done by the database: never more than `limit` rows leave it. */
	findDataSources(query: DataSourceQuery): Promise<DataSourceRow[]>;
	/** How many data sources there are, or how many have a name containing `contains` (any letter case). */
	countDataSources(contains?: string): Promise<number>;
	/**
	 * Up to `limit` data sources with a name after `afterName` in byte order (undefined: from the start), each with
	 * the states of its values, in one statement and without the values' bytes: a page of `rscm datasource list`.
	 */
	dataSourceStatesAfter(afterName: string | undefined, limit: number): Promise<DataSourceStateRow[]>;
	/** The values of the given owners of one kind, for a page of rows: a few names, not a whole table. */
	secretsOfOwners(kind: SecretKind, owners: readonly string[]): Promise<SecretRow[]>;

	listSubscriptions(): Promise<SubscriptionRow[]>;
	upsertSubscription(row: SubscriptionRow): Promise<void>;

	/** Clear (non-secret) shared settings, such as the SMTP server or the execution account name. */
	getSettings(): Promise<Record<string, string>>;
	putSettings(values: Record<string, string | undefined>): Promise<void>;

	getRotation(): Promise<RotationRow | undefined>;
	putRotation(row: RotationRow | undefined): Promise<void>;

	getKeyringSeal(): Promise<KeyringSealRow | undefined>;
	/** Replaces the one seal record (undefined: removes it). */
	putKeyringSeal(row: KeyringSealRow | undefined): Promise<void>;

	/** Stores the entry as given (its `at` too) and returns its id. */
	appendAudit(entry: NewAuditEntry): Promise<number>;
	listAudit(limit: number): Promise<AuditEntry[]>;
	/** The entry with the highest id: the one a new entry chains onto. undefined when the log is empty. */
	lastAuditEntry(): Promise<AuditEntry | undefined>;

	/*
	 * Catalog copy (`rscm catalog copy`): keyset paging over whole tables, and bulk inserts that keep every field
	 * as given (ids, timestamps, needs-re-entry flags). Ids are kept so a pending rotation's lastId still means the
	 * same row; the id sequence of the target is moved past every inserted id, so an id is still never handed out
	 * twice.
	 */
	/** Up to `limit` values of any kind and key version (or none) with id > afterId, ordered by id. */
	secretsAfter(afterId: number, limit: number): Promise<SecretRow[]>;
	/** Up to `limit` data sources with a name after `afterName` in byte order (undefined: from the start). */
	dataSourcesAfter(afterName: string | undefined, limit: number): Promise<DataSourceRow[]>;
	/** Up to `limit` audit entries with id > afterId, oldest first. */
	auditAfter(afterId: number, limit: number): Promise<AuditEntry[]>;
	insertSecrets(rows: SecretRow[]): Promise<void>;
	insertDataSources(rows: DataSourceRow[]): Promise<void>;
	insertAuditEntries(entries: AuditEntry[]): Promise<void>;
	countRows(): Promise<CatalogCounts>;
};

export type WriteOptions = {
	/**
	 * 'deferred': the commit need not reach the disk before it returns, only before any later 'full' commit (SQLite
	 * WAL with synchronous=NORMAL, PostgreSQL synchronous_commit off; MariaDB ignores it). For work that is redone
	 * when lost, such as a rotation's batches: a power cut can only lose the last such commits, in order, never keep
	 * a later one without an earlier.
	 */
	durability?: 'full' | 'deferred';
};

/** A key change's unit of work: values per transaction, and per update statement inside it. */
export type RotationBatching = {batchSize: number; updateSlice: number};

export type Catalog = {
	readonly kind: CatalogKind;
	/** Safe to print. */
	readonly location: string;
	/**
	 * Whether a writer that waits for the write lock is queued by the database (PostgreSQL's advisory lock, InnoDB's
	 * row lock) and gets it as soon as the holder commits. false for SQLite, whose waiting writers poll: a long run
	 * of back-to-back writes must pause now and then to let one in (source/core/key-change.ts).
	 */
	readonly queuesWriters: boolean;
	/**
	 * How a key change sizes its work on this catalog where the core's defaults do not suit it (undefined: they do).
	 * A server catalog pays a round trip, and under load a wait for the CPU, for every statement and every
	 * transaction, while its driver never blocks the event loop: it does better with fewer, larger ones.
	 */
	readonly rotationBatching?: RotationBatching | undefined;

	/** undefined when the location holds no catalog yet (no file, or no rscm schema). */
	probe(): Promise<CatalogInfo | undefined>;
	/**
	 * The database engine and version at the location (`SQLite 3.45.1`, `PostgreSQL 16.2`), whether or not a
	 * catalog exists there: the Database page's Test Connection shows it before anything is created. Connecting
	 * proves the location is reachable; nothing is written.
	 */
	serverVersion(): Promise<string>;
	/**
	 * Who else may write the catalog's storage, when the backend can tell (a SQLite file group or others can write:
	 * such a user can destroy its data, though not read a secret). undefined when nothing is wrong or not knowable.
	 */
	sharedWriteAccess(): Promise<string | undefined>;
	/**
	 * Creates the schema and the catalog id (random, or `options.catalogId`) if missing, and runs pending
	 * migrations. Idempotent: an existing catalog keeps its id and creation time whatever the options say.
	 */
	create(options?: CreateCatalogOptions): Promise<CatalogInfo>;

	/** A consistent read. Fails with CATALOG_NOT_FOUND when the catalog was never created. */
	read<T>(work: (tx: CatalogTx) => Promise<T>): Promise<T>;
	/**
	 * A write transaction, serialized against every other writer of this catalog, in this process and others
	 * (SQLite: BEGIN IMMEDIATE with a busy timeout; PostgreSQL: a transaction-level advisory lock). Keep it short:
	 * never run a KDF or wait for the user inside it.
	 */
	write<T>(work: (tx: CatalogTx) => Promise<T>, options?: WriteOptions): Promise<T>;

	close(): Promise<void>;
};
