import type {CatalogTx} from '../catalog/catalog.ts';
import {RscmError} from './errors.ts';
import {checkSize, inputLimits} from './input-limits.ts';
import {keyHolder, keyringTransaction, type Keyring} from './keyring.ts';
import {readSecret, secretState, writeSecret, type SecretState} from './secret-values.ts';
import type {Session} from './session.ts';
import {hasControlCharacters} from './terminal-text.ts';

/** The three fields of a shared data source, all secret: a connection string often embeds credentials too. */
export const dataSourceFields = ['connectionString', 'username', 'password'] as const;
export type DataSourceField = (typeof dataSourceFields)[number];

/** A field given as a string is stored; null removes it; absent leaves it as it is. */
export type DataSourceInput = Partial<Record<DataSourceField, string | null>>;

export type DataSourceSummary = {
	name: string;
	fields: Record<DataSourceField, SecretState>;
	/** Some field was erased by Delete encrypted content and must be entered again. */
	needsReentry: boolean;
	updatedAt: string;
};

export type DataSourceValues = {name: string} & Partial<Record<DataSourceField, string>> & {needsReentry: DataSourceField[]};

export function validateDataSourceName(name: unknown): string {
	if (typeof name !== 'string' || name.trim() === '') {
		throw new RscmError('INVALID_INPUT', 'A data source needs a name.', {field: 'name'});
	}

	// Control characters (C0, DEL, C1) and bidi overrides would reach every terminal that lists the name.
	if (name.length > 256 || hasControlCharacters(name)) {
		throw new RscmError('INVALID_INPUT', 'A data source name has at most 256 characters and no control characters.', {field: 'name'});
	}

	return name.trim();
}

export function validateDataSourceInput(input: unknown): DataSourceInput {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		throw new RscmError('INVALID_INPUT', 'Expected a JSON object with connectionString, username and/or password.');
	}

	const result: DataSourceInput = {};
	for (const [key, value] of Object.entries(input)) {
		if (key === 'name') continue;
		if (!(dataSourceFields as readonly string[]).includes(key)) {
			throw new RscmError('INVALID_INPUT', `Unknown data source field "${key}"; expected ${dataSourceFields.join(', ')}.`, {field: key});
		}

		if (value !== null && typeof value !== 'string') {
			throw new RscmError('INVALID_INPUT', `Data source field "${key}" must be a string or null.`, {field: key});
		}

		// Every front end comes through here: a value over its cap is refused before anything is written.
		const field = key as DataSourceField;
		if (value !== null) checkSize(value, inputLimits.dataSource[field], `Data source field "${key}"`, key);
		result[field] = value;
	}

	return result;
}

async function writeDataSource(tx: CatalogTx, keyring: Keyring, name: string, input: DataSourceInput): Promise<void> {
	await tx.upsertDataSource(name);
	for (const field of dataSourceFields) {
		const value = input[field];
		if (value === undefined) continue;
		const address = {kind: 'datasource' as const, owner: name, field};
		if (value === null) await tx.deleteSecrets(address);
		else await writeSecret(tx, keyring, address, value);
	}
}

export async function setDataSource(session: Session, name: string, input: DataSourceInput): Promise<DataSourceSummary> {
	const validName = validateDataSourceName(name);
	const fields = validateDataSourceInput(input);
	await keyringTransaction(session, 'write', async (tx, keyring) => writeDataSource(tx, keyring, validName, fields));
	return (await listDataSources(session)).find(row => row.name === validName)!;
}

/**
 * Bulk load: one transaction per batch, so a million data sources neither hold a lock for minutes nor sit in memory.
 * Records arrive as an async iterable (the command streams JSON lines from stdin). Each record is validated (and a
 * failure of the iterable itself, a line over its cap, thrown) before its batch commits: a bad record leaves the
 * batches before its own committed and writes nothing of its own batch (README, Commands).
 */
export async function importDataSources(
	session: Session,
	records: AsyncIterable<{name: string} & DataSourceInput>,
	options: {batchSize?: number; onProgress?: (imported: number) => void} = {},
): Promise<{imported: number}> {
	// Read once: the trust file is this instance's, and every batch is its own transaction.
	const holder = await keyHolder(session);
	const batchSize = options.batchSize ?? 1000;
	let imported = 0;
	let batch: Array<{name: string; input: DataSourceInput}> = [];
	const flush = async () => {
		if (batch.length === 0) return;
		const pending = batch;
		batch = [];
		await keyringTransaction(
			session,
			'write',
			async (tx, keyring) => {
				for (const record of pending) await writeDataSource(tx, keyring, record.name, record.input);
			},
			{holder},
		);
		imported += pending.length;
		options.onProgress?.(imported);
	};

	for await (const record of records) {
		batch.push({name: validateDataSourceName(record.name), input: validateDataSourceInput(record)});
		if (batch.length >= batchSize) await flush();
	}

	await flush();
	return {imported};
}

export async function listDataSources(session: Session): Promise<DataSourceSummary[]> {
	return session.catalog.read(async tx => {
		const sources = await tx.listDataSources();
		const secrets = await tx.listSecrets({kind: 'datasource'});
		const byOwner = new Map<string, typeof secrets>();
		for (const row of secrets) byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row]);
		return sources.map(source => {
			const rows = byOwner.get(source.name) ?? [];
			const fields = Object.fromEntries(
				dataSourceFields.map(field => [field, secretState(rows.find(row => row.field === field))]),
			) as Record<DataSourceField, SecretState>;
			return {
				name: source.name,
				fields,
				needsReentry: Object.values(fields).includes('needs-reentry'),
				updatedAt: source.updatedAt,
			};
		});
	});
}

/** The decrypted values of one data source: only for `rscm datasource show --reveal`. */
export async function showDataSource(session: Session, name: string): Promise<DataSourceValues> {
	return keyringTransaction(session, 'read', async (tx, keyring) => {
		if (!(await tx.getDataSource(name))) {
			throw new RscmError('UNKNOWN_DATA_SOURCE', `No data source named "${name}".`, {hint: 'See `rscm datasource list`.'});
		}

		const result: DataSourceValues = {name, needsReentry: []};
		for (const row of await tx.listSecrets({kind: 'datasource', owner: name})) {
			const field = row.field as DataSourceField;
			const value = readSecret(keyring, keyring.catalogId, row);
			if (value === undefined) result.needsReentry.push(field);
			else result[field] = value;
		}

		return result;
	}, {readingOnly: true});
}

/**
 * Reads and decrypts every stored value in one consistent snapshot; returns how many were readable. Used by the
 * readers that check a rotation never breaks them, and by `rscm catalog verify`-style checks.
 */
export async function readAllSecrets(session: Session): Promise<{readable: number; needsReentry: number}> {
	return keyringTransaction(session, 'read', async (tx, keyring) => {
		let readable = 0;
		let needsReentry = 0;
		for (const row of await tx.listSecrets({})) {
			if (readSecret(keyring, keyring.catalogId, row) === undefined) needsReentry++;
			else readable++;
		}

		return {readable, needsReentry};
	}, {readingOnly: true});
}
