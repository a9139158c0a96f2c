import {randomUUID} from 'node:crypto';
import {mkdir, stat} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {Catalog} from '../catalog/catalog.ts';
import {normalizeCatalogLocation} from '../catalog/catalog-kinds.ts';
import {knownSchemaVersion, openCatalog} from '../catalog/open-catalog.ts';
import {
	discardNextIdentity,
	promoteNextIdentity,
	readIdentity,
	type Identity,
} from '../instance/identity-file.ts';
import {openLocalSettings, type LocalSettingsStore} from '../instance/local-settings.ts';
import {defaultCatalogLocation, defaultInstanceDirectory, expandHome} from '../instance/paths.ts';
import {assertPrivate, ensurePrivateDirectory} from '../instance/private-directory.ts';
import {RscmError} from '../errors.ts';

export type SessionOptions = {
	/** --catalog; falls back to RSCM_CATALOG, then the instance's saved choice, then the default file. */
	catalog?: string | undefined;
	/** --instance-dir; falls back to RSCM_INSTANCE_DIR, then the default. */
	instanceDirectory?: string | undefined;
	env?: NodeJS.ProcessEnv;
};

/**
 * One instance talking to one catalog: what every operation needs. The UI keeps one open for its lifetime; a
 * command opens one, runs, closes.
 */
export type Session = {
	readonly catalog: Catalog;
	/** Where the catalog came from, for status and for the first-run check. */
	readonly catalogSource: 'option' | 'environment' | 'settings' | 'default';
	readonly instanceDirectory: string;
	readonly settings: LocalSettingsStore;
	close(): Promise<void>;
};

export function resolveInstanceDirectory(options: SessionOptions): string {
	const env = options.env ?? process.env;
	return path.resolve(expandHome(options.instanceDirectory ?? env['RSCM_INSTANCE_DIR'] ?? defaultInstanceDirectory(env)));
}

export async function openSession(options: SessionOptions = {}): Promise<Session> {
	const env = options.env ?? process.env;
	const instanceDirectory = resolveInstanceDirectory(options);
	await ensurePrivateDirectory(instanceDirectory);
	const settings = openLocalSettings(instanceDirectory);
	// Local settings are not secret, but a writable-by-others settings file could point this instance at a rogue
	// catalog: refuse it like the identity file.
	if (await exists(settings.path)) await assertPrivate(settings.path, 'file');

	let location: string;
	let catalogSource: Session['catalogSource'];
	if (options.catalog) {
		[location, catalogSource] = [options.catalog, 'option'];
	} else if (env['RSCM_CATALOG']) {
		[location, catalogSource] = [env['RSCM_CATALOG'], 'environment'];
	} else if (settings.get('catalog')) {
		[location, catalogSource] = [settings.get('catalog')!, 'settings'];
	} else {
		[location, catalogSource] = [defaultCatalogLocation(env), 'default'];
		// The default catalog's directory is ours to create; a path the admin typed must already exist.
		await mkdir(path.dirname(location), {recursive: true, mode: 0o700});
	}

	const catalog = await openCatalog(normalizeCatalogLocation(location));
	await upgradeSchema(catalog);
	return {catalog, catalogSource, instanceDirectory, settings, close: async () => catalog.close()};
}

/**
 * Brings a catalog written by an older rscm up to this rscm's schema on first use, so that installing a new rscm
 * needs no separate `rscm init`. create() runs only the missing steps, in one transaction under the catalog's write
 * lock (a second process upgrading at the same time finds nothing left to do), and keeps the catalog id. The common
 * case, a current catalog or none, costs one probe on the connection the session uses next anyway.
 *
 * Any failure here — the catalog locked, unreachable, read-only, damaged, or an account without the right to create
 * tables — is left to the operations that follow: they meet the catalog as it is and report it as they would without
 * this step (an older schema: CATALOG_UNAVAILABLE with "Run `rscm init`").
 */
async function upgradeSchema(catalog: Catalog): Promise<void> {
	try {
		const info = await catalog.probe();
		if (info !== undefined && info.schemaVersion < knownSchemaVersion(catalog.kind)) await catalog.create();
	} catch {
		// Reported by the next operation on the catalog.
	}
}

async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch {
		return false;
	}
}

/** This machine's name as SSRS shows it: the host name without the domain, upper-cased like a Windows machine name. */
export function machineName(): string {
	return os.hostname().split('.')[0]!.toUpperCase();
}

export function installationIdOf(session: Session): string {
	const id = session.settings.get('installationId');
	if (!id) {
		throw new RscmError('NOT_INITIALIZED', `No instance is initialized in ${session.instanceDirectory}.`, {
			hint: 'Run `rscm init` to create or join the catalog.',
		});
	}

	return id;
}

export async function ensureInstallationId(session: Session): Promise<string> {
	const existing = session.settings.get('installationId');
	if (existing) return existing;
	const id = randomUUID();
	await session.settings.set({installationId: id});
	return id;
}

/**
 * Loads the identity, finishing or undoing an identity change that a crash interrupted: the pending key wins only
 * if the catalog already names its public key (the change committed); otherwise the current key is still the one
 * the catalog knows and the pending one is discarded. undefined when the identity file is gone.
 */
export async function loadIdentity(session: Session): Promise<Identity | undefined> {
	const current = await readIdentity(session.instanceDirectory, 'current');
	const next = await readIdentity(session.instanceDirectory, 'next');
	if (next) {
		const installationId = installationIdOf(session);
		const row = await session.catalog.read(async tx => tx.getInstance(installationId));
		if (row && Buffer.from(row.publicKey).equals(next.publicKey)) {
			await promoteNextIdentity(session.instanceDirectory);
			return next;
		}

		await discardNextIdentity(session.instanceDirectory);
	}

	return current;
}

export async function requireIdentity(session: Session): Promise<Identity> {
	const identity = await loadIdentity(session);
	if (!identity) {
		throw new RscmError('KEY_UNAVAILABLE', `The service identity in ${session.instanceDirectory} is missing.`, {
			hint: 'Restore the key from a backup (rscm key restore --file PATH): a new identity is created for it.',
		});
	}

	return identity;
}
