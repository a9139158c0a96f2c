import {randomUUID} from 'node:crypto';
import {mkdir} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {Catalog} from '../catalog/catalog.ts';
import {normalizeCatalogLocation} from '../catalog/catalog-kinds.ts';
import {knownSchemaVersion, openCatalog} from '../catalog/open-catalog.ts';
import type {Identity} from '../instance/identity-file.ts';
import {InstanceState, type IdentityCrypto} from '../instance/instance-state.ts';
import type {LocalSettingsStore} from '../instance/local-settings.ts';
import {expandHome} from '../files/home-path.ts';
import {defaultCatalogLocation, defaultInstanceDirectory} from '../instance/paths.ts';
import {RscmError} from '../errors.ts';
import {fingerprintPublicKey} from './fingerprint.ts';
import {generateIdentity, publicKeyFromPrivate} from './key-wrap.ts';

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
	/** This instance's identity, local settings and trust heads: every read and write of them goes through it. */
	readonly instance: InstanceState;
	/** `instance.directory`. */
	readonly instanceDirectory: string;
	/** `instance.settings`. */
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
	const instance = await openInstanceState(instanceDirectory);
	const {settings} = instance;

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
	return {catalog, catalogSource, instance, instanceDirectory, settings, close: async () => catalog.close()};
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
 * The identity's key-pair arithmetic, handed to the instance layer, which stores the files but does not import the
 * core (docs/ARCHITECTURE.md, "Layers").
 */
const identityCrypto: IdentityCrypto = {generate: generateIdentity, publicKeyOf: publicKeyFromPrivate, fingerprintOf: fingerprintPublicKey};

/** The local state of the instance in `directory`, read with the core's key-pair arithmetic. */
export async function openInstanceState(directory: string): Promise<InstanceState> {
	return InstanceState.open(directory, identityCrypto);
}

/**
 * Loads the identity, settling an identity change a crash interrupted (InstanceState.loadIdentity) by asking the
 * catalog which public key it holds for this instance. undefined when the identity file is gone.
 */
export async function loadIdentity(session: Session): Promise<Identity | undefined> {
	return session.instance.loadIdentity(async () => {
		const installationId = installationIdOf(session);
		return (await session.catalog.read(async tx => tx.getInstance(installationId)))?.publicKey;
	});
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
