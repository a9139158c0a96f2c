import {isConnectionFailure} from '../catalog/schema.ts';
import {audit} from './audit.ts';
import {RscmError} from '../errors.ts';
import {keyFor, keyHolder, keyringTransaction, liveVersions, primaryVersion, resealKeyring, signerOf, wrapForInstance} from './keyring.ts';
import {installationIdOf, requireIdentity, type Session} from './session.ts';

export type ChangeIdentityResult = {
	previousFingerprint: string;
	fingerprint: string;
	createdAt: string;
};

/** Whether the primary key was ever backed up: SSRS asks for a backup before a service account change. */
export async function primaryKeyBackedUp(session: Session): Promise<boolean> {
	const versions = await session.catalog.read(async tx => tx.listKeyVersions());
	return primaryVersion(versions)?.backedUpAt !== undefined;
}

export function noBackupError(): RscmError {
	return new RscmError('NO_BACKUP', 'The primary key has no up-to-date backup; back it up before changing the service identity.', {
		hint: 'Run `rscm key backup --file PATH` first, or pass --no-backup-check to change it without a backup (--yes only confirms).',
	});
}

/**
 * SSRS "Service Account" change, in rscm terms: a new identity key pair for this instance, with the keyring
 * re-wrapped for it. Crash-safe by ordering: the new private key is on disk (identity.next.key) before the catalog
 * commits, and the old one is replaced only after; loadIdentity settles a crash in between by asking the catalog
 * which public key it holds.
 */
export async function changeServiceIdentity(session: Session, options: {allowWithoutBackup?: boolean} = {}): Promise<ChangeIdentityResult> {
	const installationId = installationIdOf(session);
	const current = await requireIdentity(session);
	if (!options.allowWithoutBackup && !(await primaryKeyBackedUp(session))) throw noBackupError();

	// Read before identity.next.key exists: loading the identity settles (discards) a next key the catalog lacks.
	const holder = await keyHolder(session);
	const next = await session.instance.createIdentity('next');
	try {
		await keyringTransaction(
			session,
			'write',
			async (tx, keyring) => {
				for (const row of liveVersions(keyring.versions)) {
					await wrapForInstance(tx, keyring.catalogId, installationId, next.publicKey, row.version, keyFor(keyring, row.version));
				}

				await tx.updateInstance(installationId, {
					publicKey: next.publicKey,
					identityFingerprint: next.fingerprint,
					identityCreatedAt: next.createdAt,
				});
				// The sealed membership names this instance's public key: the new one from now on.
				await resealKeyring(tx, holder, keyring);
				await audit(tx, installationId, 'change-identity', [current.fingerprint, next.fingerprint], '', signerOf(keyring, holder));
			},
			{holder},
		);
	} catch (error) {
		// The catalog connection dropped: the COMMIT may have gone through, and the catalog may already hold only the
		// new public key. Discarding identity.next.key then would leave this instance without its key. It is left to
		// loadIdentity, which keeps it if the catalog names its public key and discards it otherwise, as after a crash.
		if (!isConnectionFailure(error)) await session.instance.discardNextIdentity();
		throw error;
	} finally {
		next.privateKey.fill(0);
	}

	await session.instance.promoteNextIdentity();
	return {previousFingerprint: current.fingerprint, fingerprint: next.fingerprint, createdAt: next.createdAt};
}
