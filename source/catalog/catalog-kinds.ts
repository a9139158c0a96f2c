import path from 'node:path';
import {RscmError} from '../errors.ts';
import {expandHome} from '../files/home-path.ts';
import type {Catalog, CatalogKind} from './catalog.ts';
import {mariadbMigrations} from './migrations/mariadb.ts';
import {postgresMigrations} from './migrations/postgres.ts';
import {sqliteMigrations} from './migrations/sqlite.ts';
import type {Migration} from './schema.ts';

/**
 * Every catalog backend, in one table: how its locations look and are recognised, what the screens and the help
 * call it, and how it opens. The rest of rscm reads this table and never asks which backend it has; adding a
 * backend is a dialect (dialects/*.ts), its migrations and a row here.
 */

export type OpenCatalogOptions = {
	/** SQLite: how long to wait for another process's writer before failing with BUSY. Default 5000 ms. */
	busyTimeout?: number;
	/** Database servers: how long a writer waits for the catalog's write lock before failing with BUSY. Default 30000 ms. */
	lockTimeout?: number;
};

export type CatalogKindInfo = {
	kind: CatalogKind;
	/** The product name, as the Status and Database pages show it. */
	label: string;
	/** What a location of this kind is, for hints and help: "a SQLite file path". */
	describes: string;
	/** A location to show as an example. */
	example: string;
	/** A short form for a field's hint or placeholder: "postgres://host/db?schema=…". */
	shortForm: string;
	/** What a new catalog of this kind is, for copy's target: "PostgreSQL schema". */
	container: string;
	/** Whether `location` (as typed) is of this kind. */
	recognises(location: string): boolean;
	/** The location as opened, compared and saved: a file path resolved (`~` is the home directory), a URL as given. */
	normalize(location: string): string;
	/**
	 * Why the location must not be saved as typed (it carries a password), with where the password goes instead;
	 * undefined when it may be saved.
	 */
	passwordInLocation(location: string): {message: string; hint: string} | undefined;
	/** Schema steps this rscm knows. */
	migrations: readonly Migration[];
	/**
	 * Opens the catalog. Each backend is loaded on demand: this table is read by the first frame (kind labels), and
	 * a SQLite user never pays the start-up time of a server driver.
	 */
	open(location: string, options: OpenCatalogOptions): Promise<Catalog>;
};

function parsedUrl(location: string): URL | undefined {
	try {
		return new URL(location);
	} catch {
		return undefined;
	}
}

const sqlite: CatalogKindInfo = {
	kind: 'sqlite',
	label: 'SQLite',
	describes: 'a SQLite file path',
	example: '/var/lib/rscm/catalog.db',
	shortForm: 'a SQLite file path',
	container: 'SQLite file',
	// Anything that is no URL of another kind: a path.
	recognises: () => true,
	normalize: location => (location === ':memory:' ? location : path.resolve(expandHome(location))),
	passwordInLocation: () => undefined,
	migrations: sqliteMigrations,
	async open(location, options) {
		const {SqliteCatalog} = await import('./dialects/sqlite.ts');
		return new SqliteCatalog(sqlite.normalize(location), {busyTimeout: options.busyTimeout});
	},
};

const postgres: CatalogKindInfo = {
	kind: 'postgres',
	label: 'PostgreSQL',
	describes: 'a postgres://… URL',
	example: 'postgres://rscm@db01:5432/reports?schema=rscm',
	shortForm: 'postgres://host/db?schema=…',
	container: 'PostgreSQL schema',
	recognises: location => /^postgres(?:ql)?:\/\//i.test(location),
	normalize: location => location,
	passwordInLocation(location) {
		const url = parsedUrl(location);
		if (!url) {
			throw new RscmError('INVALID_INPUT', 'The PostgreSQL URL is not valid.', {
				field: 'location',
				hint: 'Use postgres://user@host:5432/database?schema=rscm.',
			});
		}

		if (url.password === '' && !url.searchParams.has('password')) return undefined;
		return {message: 'Leave the password out of the URL: rscm saves the location in its settings.', hint: 'Put it in ~/.pgpass or PGPASSWORD.'};
	},
	migrations: postgresMigrations,
	async open(location, options) {
		const {PostgresCatalog} = await import('./dialects/postgres.ts');
		return new PostgresCatalog(location, {lockTimeout: options.lockTimeout});
	},
};

const mariadb: CatalogKindInfo = {
	kind: 'mariadb',
	label: 'MariaDB',
	describes: 'a mariadb://… (or mysql://…) URL',
	example: 'mariadb://rscm@db01:3306/reports',
	shortForm: 'mariadb://host/db',
	container: 'MariaDB database',
	recognises: location => /^(?:mariadb|mysql):\/\//i.test(location),
	normalize: location => location,
	passwordInLocation(location) {
		const url = parsedUrl(location);
		if (!url) {
			throw new RscmError('INVALID_INPUT', 'The MariaDB URL is not valid.', {
				field: 'location',
				hint: 'Use mariadb://user@host:3306/database.',
			});
		}

		if (url.password === '') return undefined;
		return {message: 'Leave the password out of the URL: rscm saves the location in its settings.', hint: 'Put it in MYSQL_PWD.'};
	},
	migrations: mariadbMigrations,
	async open(location, options) {
		const {MariadbCatalog} = await import('./dialects/mariadb.ts');
		return new MariadbCatalog(location, {lockTimeout: options.lockTimeout});
	},
};

/** Server backends first: SQLite takes whatever none of them recognises. */
export const catalogKinds: readonly CatalogKindInfo[] = [postgres, mariadb, sqlite];

export function catalogKindOf(location: string): CatalogKindInfo {
	return catalogKinds.find(kind => kind.recognises(location))!;
}

export function catalogKindInfo(kind: CatalogKind): CatalogKindInfo {
	return catalogKinds.find(info => info.kind === kind)!;
}

/** The product name of a kind ("SQLite", "PostgreSQL", "MariaDB"); a kind this rscm does not know, as it is. */
export function catalogKindLabel(kind: string): string {
	return catalogKinds.find(info => info.kind === kind)?.label ?? kind;
}

/** In the order hints list them: the default first. */
const listed = [sqlite, postgres, mariadb];

function oneOf(items: readonly string[]): string {
	return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** "a SQLite file path, a postgres://… URL or a mariadb://… (or mysql://…) URL", for messages and help. */
export function catalogLocationKinds(): string {
	return oneOf(listed.map(kind => kind.describes));
}

/** "A SQLite file path, postgres://host/db?schema=… or mariadb://host/db": the hint line over a location field. */
export function catalogLocationForms(): string {
	const forms = oneOf(listed.map(kind => kind.shortForm));
	return forms.charAt(0).toUpperCase() + forms.slice(1);
}

/** "a new SQLite file, PostgreSQL schema or MariaDB database": what `rscm catalog copy` can copy into. */
export function catalogCopyTargets(): string {
	return `a new ${oneOf(listed.map(kind => kind.container))}`;
}

/** The location as it is opened and compared: a file path resolved, a URL as given. */
export function normalizeCatalogLocation(location: string): string {
	return catalogKindOf(location).normalize(location);
}
