import type {CatalogTx, SecretAddress, SecretKind} from '../catalog/catalog.ts';
import {audit} from './audit.ts';
import {createKeyVersion, keyHolder, liveVersions, nextVersionNumber, saveTrust, sealOrigin, signerFor, wrapForInstance} from './keyring.ts';
import {installationIdOf, loadIdentity, type Session} from './session.ts';
import {RscmError} from '../errors.ts';

export type DeleteContentPreview = {
	/** How many encrypted values will have to be entered again, in all and by kind. */
	total: number;
	byKind: Record<SecretKind, number>;
	/** The first of them, to name in the confirmation (at most the sample size asked for). */
	sample: SecretAddress[];
	/** Data sources that hold one: the Data Sources page is where they are entered again. */
	dataSources: number;
	/** Other instances that will fall back to Waiting to Join. */
	instancesReset: Array<{installationId: string; machine: string; instanceName: string}>;
};

/**
 * What Delete Encrypted Content will erase, counted by the catalog: a catalog of a million values opens the
 * confirmation as fast as an empty one, and holds no more than `sampleSize` names.
 */
export async function previewDeleteContent(session: Session, {sampleSize = 20}: {sampleSize?: number} = {}): Promise<DeleteContentPreview> {
	const installationId = installationIdOf(session);
	return session.catalog.read(async tx => {
		const {byKind, sample, dataSources} = await tx.encryptedValueSummary(sampleSize);
		return {total: totalOf(byKind), byKind, sample, dataSources, instancesReset: await otherJoinedInstances(tx, installationId)};
	});
}

function totalOf(byKind: Record<SecretKind, number>): number {
	return Object.values(byKind).reduce((sum, count) => sum + count, 0);
}

/** The instances a delete sends back to Waiting to Join: every joined one but this. */
async function otherJoinedInstances(tx: CatalogTx, installationId: string): Promise<DeleteContentPreview['instancesReset']> {
	return (await tx.listInstances())
		.filter(row => row.installationId !== installationId && row.joinedAt !== undefined)
		.map(({installationId: id, machine, instanceName}) => ({installationId: id, machine, instanceName}));
}

/** What the Delete confirmation shows: the preview without its data source count, the one slow aggregate. */
export type DeleteContentCounts = Omit<DeleteContentPreview, 'dataSources'>;

/**
 * The Delete confirmation's counts, from narrow indexes only (encryptedValueCounts): tens of milliseconds at a
 * million values. How many data sources will need re-entry is counted by the delete itself (its result).
 */
export async function countDeleteContent(session: Session, {sampleSize = 20}: {sampleSize?: number} = {}): Promise<DeleteContentCounts> {
	const installationId = installationIdOf(session);
	return session.catalog.read(async tx => {
		const {byKind, sample} = await tx.encryptedValueCounts(sampleSize);
		return {total: totalOf(byKind), byKind, sample, instancesReset: await otherJoinedInstances(tx, installationId)};
	});
}

export type DeleteContentResult = {
	cleared: number;
	fingerprint: string;
	instancesReset: number;
	/** Data sources with a value to enter again now (erased by this delete or waiting from before). */
	dataSourcesToReenter: number;
};

/**
 * SSRS "Delete encrypted content": the way out when the key is lost and no backup opens. Every encrypted value is
 * erased and flagged needs re-entry, every key version is dropped, and a new key is created for this instance
 * alone; the other instances fall back to Waiting to Join. Names and other clear fields stay. One transaction:
 * either all of it happens or none.
 *
 * It works without the old key by design (this instance may be Key unavailable), so it needs an identity but not a
 * working keyring.
 */
export async function deleteEncryptedContent(session: Session): Promise<DeleteContentResult> {
	const installationId = installationIdOf(session);
	const identity = await loadIdentity(session);
	if (!identity) {
		throw new RscmError('KEY_UNAVAILABLE', 'The service identity of this instance is missing.', {
			hint: 'Run `rscm init` to create a new identity first.',
		});
	}

	const holder = await keyHolder(session);
	const result = await session.catalog.write(async tx => {
		const {catalogId} = await tx.getInfo();
		const self = await tx.getInstance(installationId);
		if (!self) throw new RscmError('NOT_INITIALIZED', 'This instance is not registered in the catalog.', {hint: 'Run `rscm init`.'});
		const versions = await tx.listKeyVersions();
		const cleared = await tx.clearAllSecrets();
		const dataSourcesToReenter = await tx.countSecretOwners('datasource');
		const now = new Date().toISOString();
		for (const row of liveVersions(versions)) await tx.updateKeyVersion(row.version, {state: 'retired', retiredAt: now});
		await tx.deleteWrappedKeys({});
		await tx.putRotation(undefined);

		let instancesReset = 0;
		for (const instance of await tx.listInstances()) {
			if (instance.installationId === installationId || instance.joinedAt === undefined) continue;
			await tx.updateInstance(instance.installationId, {joinedAt: undefined});
			instancesReset++;
		}

		const {key, row} = createKeyVersion(catalogId, nextVersionNumber(versions), 'primary');
		try {
			await tx.insertKeyVersion(row);
			await wrapForInstance(tx, catalogId, installationId, identity.publicKey, row.version, key);
			await tx.updateInstance(installationId, {joinedAt: self.joinedAt ?? now});
			// A new origin, sealed by its maker alone. The other servers are back to Waiting to Join; once added again,
			// each is shown this key's fingerprint to confirm, since no key they trusted endorses it.
			await sealOrigin(tx, holder, catalogId, new Map([[row.version, key]]));
			await audit(tx, installationId, 'delete-content', [row.fingerprint], `${cleared} values erased; ${instancesReset} instances reset`, signerFor(holder, catalogId, row.version, key));
		} finally {
			key.fill(0);
		}

		return {cleared, fingerprint: row.fingerprint, instancesReset, dataSourcesToReenter};
	});
	await saveTrust(session, holder);
	return result;
}
