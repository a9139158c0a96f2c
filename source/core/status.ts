import type {CatalogInfo, CatalogTx, InstanceRow, KeyVersionRow, RotationRow, SecretCounts} from '../catalog/catalog.ts';
import type {Identity} from '../instance/identity-file.ts';
import {isRscmError} from './errors.ts';
import {liveVersions, primaryVersion, unlockKeyring} from './keyring.ts';
import {loadIdentity, machineName, type Session} from './session.ts';

/** SSRS's vocabulary for an instance's relation to the key, plus "not initialized" for a fresh install. */
export type InstanceStatus = 'not-initialized' | 'joined' | 'waiting' | 'key-unavailable' | 'tampered';

export const instanceStatusLabels: Record<InstanceStatus, string> = {
	'not-initialized': 'Not initialized',
	joined: 'Joined',
	waiting: 'Waiting to Join',
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
	keyVersions: KeyVersionSummary[];
	secrets: SecretCounts | undefined;
	rotation: RotationRow | undefined;
	instances: {joined: number; waiting: number; total: number};
};

/** A key version as reports show it: the key-check value stays in the catalog. */
export type KeyVersionSummary = Omit<KeyVersionRow, 'keyCheck'>;

function summarizeVersion({keyCheck: _keyCheck, ...rest}: KeyVersionRow): KeyVersionSummary {
	return rest;
}

/** What the status of this instance is, judged by actually opening its wrapped copies, not by a stored flag. */
async function statusInTransaction(
	tx: CatalogTx,
	installationId: string | undefined,
	identity: Identity | undefined,
): Promise<{status: InstanceStatus; detail: string | undefined}> {
	if (!installationId || !(await tx.getInstance(installationId))) {
		return {status: 'not-initialized', detail: 'Run `rscm init` to create or join the catalog.'};
	}

	try {
		const keyring = await unlockKeyring(tx, installationId, identity);
		keyring.close();
		return {status: 'joined', detail: undefined};
	} catch (error) {
		if (isRscmError(error, 'WAITING_TO_JOIN')) return {status: 'waiting', detail: error.hint};
		if (isRscmError(error, 'KEY_UNAVAILABLE')) return {status: 'key-unavailable', detail: error.message};
		if (isRscmError(error, 'KEYRING_TAMPERED')) return {status: 'tampered', detail: `${error.message} ${error.hint ?? ''}`.trim()};
		throw error;
	}
}

export async function instanceStatus(session: Session): Promise<InstanceStatus> {
	if (!(await session.catalog.probe())) return 'not-initialized';
	const identity = await loadIdentity(session);
	const installationId = session.settings.get('installationId');
	return session.catalog.read(async tx => (await statusInTransaction(tx, installationId, identity)).status);
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
			keyVersions: [],
			secrets: undefined,
			rotation: undefined,
			instances: {joined: 0, waiting: 0, total: 0},
		};
	}

	const identity = installationId ? await loadIdentity(session) : undefined;
	return session.catalog.read(async tx => {
		const {status, detail} = await statusInTransaction(tx, installationId, identity);
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
			// A keyring that does not verify has no primary key to show: its columns are what the tamperer wrote.
			primaryKey: status === 'tampered' ? undefined : primaryRow && summarizeVersion(primaryRow),
			keyVersions: liveVersions(versions).map(summarizeVersion),
			secrets: await tx.countSecretsByKind(),
			rotation: await tx.getRotation(),
			instances: {joined, waiting: instances.length - joined, total: instances.length},
		};
	});
}
