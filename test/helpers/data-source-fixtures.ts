import type {Catalog, CatalogTx, DataSourceRow, SecretRow} from '../../source/catalog/catalog.ts';
import type {Session} from '../../source/core/session.ts';
import {dataSourceName} from './catalog-fixtures.ts';

export type SeededState = 'set' | 'needs-reentry' | 'unset';

/**
 * Seeds `count` data sources named DS-00000… straight through the catalog's bulk inserts, in seconds rather than
 * the minutes encryption would take: the rows a list shows. `stateOf` gives each field's state; a "set" value is
 * placeholder bytes under key version 1 (a list never decrypts; a test that reads values back uses setDataSource).
 */
export async function seedDataSources(
	session: Session,
	count: number,
	stateOf: (index: number, field: 'connectionString' | 'username' | 'password') => SeededState = () => 'set',
): Promise<void> {
	const at = new Date().toISOString();
	const batch = 20_000;
	let id = 10_000_000;
	for (let start = 0; start < count; start += batch) {
		const end = Math.min(count, start + batch);
		const sources: DataSourceRow[] = [];
		const secrets: SecretRow[] = [];
		for (let index = start; index < end; index++) {
			const owner = dataSourceName(index);
			sources.push({name: owner, createdAt: at, updatedAt: at});
			for (const field of ['connectionString', 'username', 'password'] as const) {
				const state = stateOf(index, field);
				if (state === 'unset') continue;
				const set = state === 'set';
				secrets.push({
					id: id++,
					kind: 'datasource',
					owner,
					field,
					ciphertext: set ? new Uint8Array([1, 2, 3]) : undefined,
					keyVersion: set ? 1 : undefined,
					needsReentry: !set,
					updatedAt: at,
				});
			}
		}

		await session.catalog.write(async tx => {
			await tx.insertDataSources(sources);
			await tx.insertSecrets(secrets);
		});
	}
}

/** The CatalogTx methods a session called, in order, with their arguments: to check what reached the database. */
export type CatalogCall = {method: keyof CatalogTx; args: unknown[]};

/** The same session over a catalog that records every CatalogTx call made through it. */
export function spyOnCatalog(session: Session): {session: Session; calls: CatalogCall[]} {
	const calls: CatalogCall[] = [];
	const wrap = (tx: CatalogTx): CatalogTx =>
		new Proxy(tx, {
			get(target, property, receiver) {
				const value: unknown = Reflect.get(target, property, receiver);
				if (typeof value !== 'function') return value;
				return (...args: unknown[]) => {
					calls.push({method: property as keyof CatalogTx, args});
					return (value as (...parameters: unknown[]) => unknown).apply(target, args);
				};
			},
		});
	const {catalog} = session;
	const read = async <T>(work: (tx: CatalogTx) => Promise<T>) => catalog.read(async tx => work(wrap(tx)));
	const write = async <T>(work: (tx: CatalogTx) => Promise<T>, options?: Parameters<Catalog['write']>[1]) =>
		catalog.write(async tx => work(wrap(tx)), options);
	// Every other member is the catalog's own, bound to it (its private fields need the real object).
	const spied = new Proxy(catalog, {
		get(target, property) {
			if (property === 'read') return read;
			if (property === 'write') return write;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
		},
	});
	return {session: {...session, catalog: spied}, calls};
}
