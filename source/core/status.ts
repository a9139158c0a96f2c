import type {CatalogInfo, CatalogTx, InstanceRow, KeyVersionRow, RotationRow, SecretCounts} from '../catalog/catalog.ts';
import {isRscmError} from '../errors.ts';
import {keyHolder, keyringTransaction, liveVersions, primaryVersion, saveTrust, unlockKeyring, type KeyHolder} from './keyring.ts';
import {loadIdentity, machineName, type Session} from './session.ts';

/** SSRS's vocabulary for an instance's relation to the key, plus "not initialized" for a fresh install. */
export type InstanceStatus = 'not-initialized' | 'joined' | 'waiting' | 'unconfirmed' | 'key-unavailable' | 'tampered';

export const instanceStatusLabels: Record<InstanceStatus, string> = {
	'not-initialized': 'Not initialized',
	joined: 'Joined',
	waiting: 'Waiting to Join',
	// Not an SSRS state: holds a key it was given, not yet confirmed by the admin (KEY_NOT_CONFIRMED).
	unconfirmed: 'Key not confirmed',
	'key-unavailable': 'Key unavailable',
	// Not an SSRS state: the key this instance opened is not the one the catalog records (KEYRING_TAMPERED).
	tampered: 'Keyring tampered',
};

export type StatusReport = {
	machine: string;
	instanceName: string;
	installationId: string | undefined;
	instanceDirectory: string;
	serviceAccount: string | undefined;
	identity: {fingerprint: string; createdAt: string} | undefined;
	catalog: (CatalogInfo & {exists: true}) | {exists: false; location: string; kind: string};
	status: InstanceStatus;
	/** Why the key is unavailable or what to do next; undefined when joined. */
	statusDetail: string | undefined;
	primaryKey: KeyVersionSummary | undefined;
	/**
	 * When the primary key has no backup but an older version has: the newest such backup, which is outdated (it
	 * lacks the primary) rather than missing. undefined otherwise.
	 */
	outdatedBackup: {at: string; version: number} | undefined;
	keyVersions: KeyVersionSummary[];
	secrets: SecretCounts | undefined;
	rotation: RotationRow | undefined;
	instances: {joined: number; waiting: number; total: number};
	/** Conditions the admin should fix that do not stop rscm (a catalog file others can write). */
	warnings: string[];
};

/** A key version as reports show it: the key-check value stays in the catalog. */
export type KeyVersionSummary = Omit<KeyVersionRow, 'keyCheck'>;

function newestBackup(versions: KeyVersionRow[]): {at: string; version: number} | undefined {
	let newest: {at: string; version: number} | undefined;
	for (const row of versions) {
		if (row.backedUpAt !== undefined && (newest === undefined || row.backedUpAt > newest.at)) newest = {at: row.backedUpAt, version: row.version};
	}

	return newest;
}

function summarizeVersion({keyCheck: _keyCheck, ...rest}: KeyVersionRow): KeyVersionSummary {
	return rest;
}

type KeyStatus = {status: InstanceStatus; detail: string | undefined; unsealed: boolean};

/**
 * What the status of this instance is, judged by actually opening its wrapped copies and checking them against the
 * keyring seal and its trust head, not by a stored flag.
 */
async function statusInTransaction(tx: CatalogTx, holder: KeyHolder | undefined): Promise<KeyStatus> {
	if (!holder || !(await tx.getInstance(holder.installationId))) {
		return {status: 'not-initialized', detail: 'Run `rscm init` to create or join the catalog.', unsealed: false};
	}

	try {
		const keyring = await unlockKeyring(tx, holder);
		keyring.close();
		return {status: 'joined', detail: undefined, unsealed: keyring.seal === undefined};
	} catch (error) {
		const explained = (status: InstanceStatus, detail: string | undefined) => ({status, detail, unsealed: false});
		if (isRscmError(error, 'WAITING_TO_JOIN')) return explained('waiting', error.hint);
		if (isRscmError(error, 'KEY_UNAVAILABLE')) return explained('key-unavailable', error.message);
		if (isRscmError(error, 'KEY_NOT_CONFIRMED')) return explained('unconfirmed', `${error.message} ${error.hint ?? ''}`.trim());
		if (isRscmError(error, 'KEYRING_TAMPERED')) return explained('tampered', `${error.message} ${error.hint ?? ''}`.trim());
		throw error;
	}
}

/**
 * The key status, with what it implies done: a newer seal trusted is recorded in the trust head, and a joined
 * instance on a catalog nobody sealed yet seals it (the upgrade) and reports again.
 */
async function keyStatus(session: Session, holder: KeyHolder | undefined): Promise<KeyStatus> {
	const result = await session.catalog.read(async tx => statusInTransaction(tx, holder));
	if (holder) await saveTrust(session, holder);
	if (!result.unsealed || !holder) return result;
	await keyringTransaction(session, 'write', async () => undefined, {holder});
	return session.catalog.read(async tx => statusInTransaction(tx, holder));
}

/** This instance as a key holder, or undefined before `rscm init` gave it an installation id. */
async function holderOf(session: Session): Promise<KeyHolder | undefined> {
	return session.settings.get('installationId') ? keyHolder(session) : undefined;
}

export async function instanceStatus(session: Session): Promise<InstanceStatus> {
	if (!(await session.catalog.probe())) return 'not-initialized';
	return (await keyStatus(session, await holderOf(session))).status;
}

/**
 * A cheap mark of what the status depends on, for a screen that stays live without reading the whole status (which
 * counts every stored value: about half a second at a million) every few seconds: the keyring seal, the rotation's
 * progress, the instances and the newest audit entry. Every key operation and every join or removal changes one of
 * them; a data source set elsewhere changes none, so a live screen still reads the whole status now and then.
 */
export async function statusMark(session: Session): Promise<string> {
	if (!(await session.catalog.probe())) return 'no catalog';
	return session.catalog.read(async tx => {
		const [seal, rotation, instances, audit] = [await tx.getKeyringSeal(), await tx.getRotation(), await tx.listInstances(), await tx.lastAuditEntry()];
		return JSON.stringify([
			seal?.sequence,
			rotation && [rotation.toVersion, rotation.done, rotation.leaseOwner],
			instances.map(row => [row.installationId, row.joinedAt, row.instanceName]),
			audit?.id,
		]);
	});
}

export async function getStatus(session: Session): Promise<StatusReport> {
	const installationId = session.settings.get('installationId');
	const info = await session.catalog.probe();
	const base = {
		machine: session.settings.get('machine') ?? machineName(),
		instanceName: session.settings.get('instanceName') ?? 'SSRS',
		installationId,
		instanceDirectory: session.instanceDirectory,
	};
	if (!info) {
		const identity = installationId ? await loadIdentity(session) : undefined;
		return {
			...base,
			serviceAccount: undefined,
			identity: identity && {fingerprint: identity.fingerprint, createdAt: identity.createdAt},
			catalog: {exists: false, location: session.catalog.location, kind: session.catalog.kind},
			status: 'not-initialized',
			statusDetail: 'The catalog does not exist yet. Run `rscm init` to create it.',
			primaryKey: undefined,
			outdatedBackup: undefined,
			keyVersions: [],
			secrets: undefined,
			rotation: undefined,
			instances: {joined: 0, waiting: 0, total: 0},
			warnings: [],
		};
	}

	// One holder for the report: the identity file is read (and settled) once.
	const holder = await holderOf(session);
	const identity = holder?.identity;
	const {status, detail} = await keyStatus(session, holder);
	const sharedWrite = await session.catalog.sharedWriteAccess();
	return session.catalog.read(async tx => {
		const versions = await tx.listKeyVersions();
		const primaryRow = primaryVersion(versions);
		const instances = await tx.listInstances();
		const self: InstanceRow | undefined = instances.find(row => row.installationId === installationId);
		const joined = instances.filter(row => row.joinedAt !== undefined).length;
		return {
			...base,
			serviceAccount: self?.serviceAccount,
			identity: identity && {fingerprint: identity.fingerprint, createdAt: identity.createdAt},
			catalog: {...info, exists: true as const},
			status,
			statusDetail: detail,
			// A keyring that does not verify (or is not confirmed) has no primary key to show: its columns may be what a
			// tamperer wrote. The detail names the fingerprint to compare.
			primaryKey: status === 'tampered' || status === 'unconfirmed' ? undefined : primaryRow && summarizeVersion(primaryRow),
			outdatedBackup: primaryRow?.backedUpAt === undefined ? newestBackup(versions) : undefined,
			keyVersions: liveVersions(versions).map(summarizeVersion),
			secrets: await tx.countSecretsByKind(),
			rotation: await tx.getRotation(),
			instances: {joined, waiting: instances.length - joined, total: instances.length},
			warnings: sharedWrite === undefined ? [] : [sharedWrite],
		};
	});
}
