import os from 'node:os';
import path from 'node:path';
import type {Catalog, CatalogKind} from './catalog.ts';
import {mariadbMigrations} from './migrations/mariadb.ts';
import {postgresMigrations} from './migrations/postgres.ts';
import {sqliteMigrations} from './migrations/sqlite.ts';
import {latestVersion} from './schema.ts';
import {SqliteCatalog} from './dialects/sqlite.ts';

export type OpenCatalogOptions = {
	/** SQLite: how long to wait for another process's writer before failing with BUSY. Default 5000 ms. */
	busyTimeout?: number;
	/** PostgreSQL: how long a writer waits for the catalog's write lock before failing with BUSY. Default 30000 ms. */
	lockTimeout?: number;
};

export function isPostgresLocation(location: string): boolean {
	return /^postgres(?:ql)?:\/\//i.test(location);
}

export function isMariadbLocation(location: string): boolean {
	return /^(?:mariadb|mysql):\/\//i.test(location);
}

/**
 * Opens the catalog at `location` without creating anything: a `postgres://` or `postgresql://` URL selects
 * PostgreSQL, anything else is the path of a SQLite file (`~` is the home directory).
 */
export async function openCatalog(location: string, options: OpenCatalogOptions = {}): Promise<Catalog> {
	if (isMariadbLocation(location)) {
		// Loaded on demand, as pg is.
		const {MariadbCatalog} = await import('./dialects/mariadb.ts');
		return new MariadbCatalog(location, {lockTimeout: options.lockTimeout});
	}

	if (isPostgresLocation(location)) {
		// Loaded on demand: the pg driver costs start-up time that SQLite users should not pay.
		const {PostgresCatalog} = await import('./dialects/postgres.ts');
		return new PostgresCatalog(location, {lockTimeout: options.lockTimeout});
	}

	return new SqliteCatalog(expandHome(location), {busyTimeout: options.busyTimeout});
}

/** The schema version this rscm brings a catalog of that kind to (the catalogs openCatalog opens use these steps). */
export function knownSchemaVersion(kind: CatalogKind): number {
	return latestVersion({sqlite: sqliteMigrations, postgres: postgresMigrations, mariadb: mariadbMigrations}[kind]);
}

function expandHome(file: string): string {
	if (file === '~') return os.homedir();
	if (file.startsWith('~/')) return path.join(os.homedir(), file.slice(2));
	return file;
}
