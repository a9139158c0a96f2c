import type {CatalogTx, DataSourceRow, DataSourceStateRow, SecretRow} from '../catalog/catalog.ts';
import {audit} from './audit.ts';
import {RscmError} from '../errors.ts';
import {checkSize, inputLimits} from './input-limits.ts';
import {keyHolder, keyringTransaction, signerOf, type Keyring} from './keyring.ts';
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

function unknownDataSource(name: string): RscmError {
	return new RscmError('UNKNOWN_DATA_SOURCE', `No data source named "${name}".`, {hint: 'See `rscm datasource list`.'});
}

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

export type SetDataSourceOptions = {
	/** Create only: a name that exists already is refused (the page's New dialog must not overwrite one). */
	create?: boolean;
};

export async function setDataSource(
	session: Session,
	name: string,
	input: DataSourceInput,
	options: SetDataSourceOptions = {},
): Promise<DataSourceSummary> {
	const validName = validateDataSourceName(name);
	const fields = validateDataSourceInput(input);
	return keyringTransaction(session, 'write', async (tx, keyring) => {
		if (options.create && (await tx.getDataSource(validName))) {
			throw new RscmError('INVALID_INPUT', `A data source named "${validName}" exists already.`, {
				field: 'name',
				hint: 'Choose another name, or edit the existing one.',
			});
		}

		await writeDataSource(tx, keyring, validName, fields);
		// Read back in the same transaction: this one row, never the whole table.
		return (await summarize(tx, [(await tx.getDataSource(validName))!]))[0]!;
	});
}

/**
 * Removes a data source and its three values, in one keyring write transaction (only a server that holds the key
 * changes data sources) with an audit entry, as the other destructive operations have.
 */
export async function removeDataSource(session: Session, name: string): Promise<void> {
	const validName = validateDataSourceName(name);
	await keyringTransaction(session, 'write', async (tx, keyring, holder) => {
		if (!(await tx.deleteDataSource(validName))) throw unknownDataSource(validName);
		await tx.deleteSecrets({kind: 'datasource', owner: validName});
		await audit(tx, holder.installationId, 'datasource-remove', [], validName, signerOf(keyring, holder));
	});
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

/** Field states of data sources from their rows of the secrets table: what a list may show, never a value. */
async function summarize(tx: CatalogTx, sources: readonly DataSourceRow[]): Promise<DataSourceSummary[]> {
	if (sources.length === 0) return [];
	return summaries(sources, await tx.secretsOfOwners('datasource', sources.map(source => source.name)));
}

function summaries(sources: readonly DataSourceRow[], secrets: readonly SecretRow[]): DataSourceSummary[] {
	const byOwner = new Map<string, SecretRow[]>();
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
}

/**
 * Every data source at once. Holds them all (a million data sources are a gigabyte): for small catalogs and tests;
 * `rscm datasource list` streams them with forEachDataSourcePage, a screen pages with pageDataSources.
 */
export async function listDataSources(session: Session): Promise<DataSourceSummary[]> {
	const all: DataSourceSummary[] = [];
	await forEachDataSourcePage(session, async page => {
		all.push(...page);
		return true;
	});
	return all;
}

export type DataSourcePageOptions = {
	/** Data sources read per statement, each with the states of its values. Default 100. */
	pageSize?: number | undefined;
};

/**
 * Every data source in name order, handed over a page at a time, for a list that prints them all: only one page
 * and its values are held, so memory stays the same at a million data sources as at ten. The pages are read by key
 * (names after the last one) in ONE read transaction, so the list is one consistent snapshot even while another
 * server edits data sources. `onPage` may wait (for a slow reader of the output); it returns false to stop there
 * (the reader went away), and nothing more is read.
 */
export async function forEachDataSourcePage(
	session: Session,
	onPage: (page: DataSourceSummary[]) => Promise<boolean>,
	options: DataSourcePageOptions = {},
): Promise<void> {
	const pageSize = Math.max(1, options.pageSize ?? 100);
	await session.catalog.read(async tx => {
		let after: string | undefined;
		for (;;) {
			const sources = await tx.dataSourceStatesAfter(after, pageSize);
			if (sources.length === 0) return;
			if (!(await onPage(sources.map(source => stateSummary(source))))) return;
			if (sources.length < pageSize) return;
			after = sources.at(-1)!.name;
		}
	});
}

function stateSummary(source: DataSourceStateRow): DataSourceSummary {
	const fields = Object.fromEntries(
		dataSourceFields.map(field => {
			const value = source.values.find(entry => entry.field === field);
			return [field, value === undefined ? 'unset' : value.needsReentry ? 'needs-reentry' : 'set'];
		}),
	) as Record<DataSourceField, SecretState>;
	return {name: source.name, fields, needsReentry: Object.values(fields).includes('needs-reentry'), updatedAt: source.updatedAt};
}

export type DataSourcePageQuery = {
	/** Only names containing this text, in any letter case; empty or absent: all. */
	filter?: string | undefined;
	/** The page starts after this name (or at it, when `inclusive`)… */
	after?: string | undefined;
	inclusive?: boolean | undefined;
	/** …or ends just before this one. Neither: the first page. */
	before?: string | undefined;
	limit: number;
};

export type DataSourcePage = {
	rows: DataSourceSummary[];
	/** Whether matching data sources come before the first row and after the last. */
	moreBefore: boolean;
	moreAfter: boolean;
	/** How many data sources match the filter. */
	total: number;
};

/**
 * One page of the data sources for a screen, in name order: keyset paging and the filter are done by the database
 * and only the page's values are read, so the 100,000th row costs what the first does. A page that reaches an end
 * is filled from the other side, so it is full whenever enough data sources match (PgDn on the last page shows the
 * last `limit` rows, not one).
 */
export async function pageDataSources(session: Session, query: DataSourcePageQuery): Promise<DataSourcePage> {
	const contains = query.filter === undefined || query.filter === '' ? undefined : query.filter;
	const {limit} = query;
	return session.catalog.read(async tx => {
		// `limit + 1` rows tell whether more follow in that direction without another query.
		const forward = async (after: string | undefined, inclusive: boolean | undefined, count: number) => {
			const found = await tx.findDataSources({contains, after, inclusive, limit: count + 1});
			return {rows: found.slice(0, count), more: found.length > count};
		};

		const backward = async (before: string | undefined, count: number) => {
			const found = await tx.findDataSources({contains, before, fromEnd: true, limit: count + 1});
			return {rows: found.slice(Math.max(0, found.length - count)), more: found.length > count};
		};

		const exists = async (found: Promise<{rows: DataSourceRow[]}>) => (await found).rows.length > 0;
		let rows: DataSourceRow[];
		let moreBefore: boolean;
		let moreAfter: boolean;
		if (query.before === undefined) {
			const page = await forward(query.after, query.inclusive, limit);
			moreAfter = page.more;
			if (query.after === undefined) {
				rows = page.rows;
				moreBefore = false;
			} else if (page.rows.length < limit) {
				// Nothing matches after these rows, so the rows before them end the list: fill the page with those.
				const earlier = await backward(page.rows[0]?.name, limit - page.rows.length);
				rows = [...earlier.rows, ...page.rows];
				moreBefore = earlier.more;
			} else {
				rows = page.rows;
				moreBefore = await exists(backward(rows[0]!.name, 1));
			}
		} else {
			const page = await backward(query.before, limit);
			moreBefore = page.more;
			if (page.rows.length < limit) {
				const later = await forward(page.rows.at(-1)?.name, false, limit - page.rows.length);
				rows = [...page.rows, ...later.rows];
				moreAfter = later.more;
			} else {
				rows = page.rows;
				moreAfter = await exists(forward(rows.at(-1)!.name, false, 1));
			}
		}

		return {rows: await summarize(tx, rows), moreBefore, moreAfter, total: await tx.countDataSources(contains)};
	});
}

/** The decrypted values of one data source: only for `rscm datasource show --reveal`. */
export async function showDataSource(session: Session, name: string): Promise<DataSourceValues> {
	return keyringTransaction(session, 'read', async (tx, keyring) => {
		if (!(await tx.getDataSource(name))) throw unknownDataSource(name);

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
