import type {CatalogKind} from '../catalog/catalog.ts';
import {catalogKindOf, catalogLocationKinds} from '../catalog/catalog-kinds.ts';
import {openCatalog} from '../catalog/open-catalog.ts';
import {RscmError} from '../errors.ts';
import {initialize, type InitializeResult, type InitializeOptions} from './initialize.ts';
import {liveVersions} from './keyring.ts';
import {openSession} from './session.ts';

/**
 * The Database page's Change Database wizard (SSRS: "Create a new report server database" / "Choose an existing
 * report server database"), on the core: test a location, then create or join the catalog there. The UI then points
 * the instance at it (SessionProvider.switchCatalog).
 */
export type CatalogAction = 'create' | 'existing';

export type CatalogConnectionTest = {
	kind: CatalogKind;
	/** Safe to print: a PostgreSQL URL without a password. */
	location: string;
	serverVersion: string;
	/** The catalog found there; undefined when the location holds none yet. */
	catalog:
		| {
				catalogId: string;
				schemaVersion: number;
				createdAt: string;
				instances: number;
				joined: number;
				/** Whether the catalog has a key: a new instance then waits to join instead of creating one. */
				hasKey: boolean;
		  }
		| undefined;
};

function invalidLocation(message: string, hint?: string): RscmError {
	return new RscmError('INVALID_INPUT', message, {field: 'location', hint});
}

/**
 * The location as it will be opened and saved. rscm never stores a database password in its settings (libpq's
 * ~/.pgpass and PGPASSWORD hold it), and the location the wizard saves is written to the settings file, so a URL
 * carrying a password is refused here rather than silently kept.
 */
export function catalogLocationToSave(location: string): string {
	const text = location.trim();
	if (text === '') throw invalidLocation(`Give ${catalogLocationKinds()}.`);
	const kind = catalogKindOf(text);
	const password = kind.passwordInLocation(text);
	if (password) throw invalidLocation(password.message, password.hint);
	return kind.normalize(text);
}

/** Connects to a location and says what is there. Creates nothing. */
export async function testCatalogConnection(location: string): Promise<CatalogConnectionTest> {
	const catalog = await openCatalog(catalogLocationToSave(location));
	try {
		const serverVersion = await catalog.serverVersion();
		const info = await catalog.probe();
		if (!info) return {kind: catalog.kind, location: catalog.location, serverVersion, catalog: undefined};
		const found = await catalog.read(async tx => {
			const instances = await tx.listInstances();
			return {
				instances: instances.length,
				joined: instances.filter(row => row.joinedAt !== undefined).length,
				hasKey: liveVersions(await tx.listKeyVersions()).length > 0,
			};
		});
		return {
			kind: catalog.kind,
			location: catalog.location,
			serverVersion: info.serverVersion || serverVersion,
			catalog: {catalogId: info.catalogId, schemaVersion: info.schemaVersion, createdAt: info.createdAt, ...found},
		};
	} finally {
		await catalog.close();
	}
}

/** Refuses a wizard choice that does not fit what the test found, with the error at the location field. */
export function assertActionFits(action: CatalogAction, test: CatalogConnectionTest): void {
	if (action === 'create' && test.catalog !== undefined) {
		throw new RscmError('CATALOG_EXISTS', `${test.location} already holds a catalog (${test.catalog.catalogId}).`, {
			field: 'location',
			hint: 'Choose "existing" to use it, or give a new file or schema.',
		});
	}

	if (action === 'existing' && test.catalog === undefined) {
		throw new RscmError('CATALOG_NOT_FOUND', `${test.location} holds no catalog.`, {
			field: 'location',
			hint: 'Choose "create" to create one there.',
		});
	}
}

export type ConnectCatalogOptions = InitializeOptions & {
	action: CatalogAction;
	location: string;
	/** This instance's directory: its identity and installation id go to the new catalog. */
	instanceDirectory: string;
};

export type ConnectCatalogResult = InitializeResult & {location: string};

/**
 * Creates the catalog at the location (or checks that one is there) and initializes this instance in it: on a new
 * catalog it creates key version 1 and joins; on an existing catalog with a key it registers as Waiting to Join, as
 * SSRS does when a second report server is pointed at a report server database. The session used is closed
 * again; the caller switches its own session to the location afterwards.
 */
export async function connectCatalog(options: ConnectCatalogOptions): Promise<ConnectCatalogResult> {
	const location = catalogLocationToSave(options.location);
	assertActionFits(options.action, await testCatalogConnection(location));
	const session = await openSession({catalog: location, instanceDirectory: options.instanceDirectory, env: {}});
	try {
		const result = await initialize(session, {name: options.name, machine: options.machine});
		return {...result, location};
	} finally {
		await session.close();
	}
}
