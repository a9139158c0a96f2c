import type {Catalog, CatalogKind} from './catalog.ts';
import {catalogKindInfo, catalogKindOf, type OpenCatalogOptions} from './catalog-kinds.ts';
import {latestVersion} from './schema.ts';

export type {OpenCatalogOptions} from './catalog-kinds.ts';

/**
 * Opens the catalog at `location` without creating anything. The location says the backend (catalog-kinds.ts): a
 * `postgres://` URL is PostgreSQL, a `mariadb://` or `mysql://` URL MariaDB, anything else the path of a SQLite file
 * (`~` is the home directory).
 */
export async function openCatalog(location: string, options: OpenCatalogOptions = {}): Promise<Catalog> {
	return catalogKindOf(location).open(location, options);
}

/** The schema version this rscm brings a catalog of that kind to (the catalogs openCatalog opens use these steps). */
export function knownSchemaVersion(kind: CatalogKind): number {
	return latestVersion(catalogKindInfo(kind).migrations);
}
