import {audit} from './audit.ts';
import {keyHolder, keyringTransaction, signerOf, tampered} from './keyring.ts';
import {primaryOf, verifySeal} from './keyring-seal.ts';
import type {Session} from './session.ts';

export type ProposedKey = {version: number; fingerprint: string};

/**
 * The key this instance was given and has not confirmed (a new server, one added again after Delete Encrypted
 * Content, a catalog rebuilt from a database backup): what the admin compares with the Primary key line on a joined
 * server before `acceptKey`. Read from the seal, which must at least verify by itself.
 */
export async function proposedKey(session: Session): Promise<ProposedKey> {
	return session.catalog.read(async tx => {
		const {catalogId} = await tx.getInfo();
		const row = await tx.getKeyringSeal();
		if (!row) throw tampered('the catalog holds no keyring seal, so there is no key to confirm');
		const verdict = verifySeal(row, catalogId, undefined);
		if (verdict.kind === 'tampered') throw tampered(verdict.reason);
		const primary = primaryOf(verdict.body)!;
		return {version: primary.version, fingerprint: primary.fingerprint};
	});
}

/**
 * `rscm key accept --fingerprint FP`: trusts the catalog's primary key from now on, provided its fingerprint is FP
 * (compared by the admin with a joined server), this instance's copy is that key, the seal is signed by it and the
 * tables agree with the seal. It replaces whatever this instance trusted before, so it is also the confirmed
 * recovery after an admin really restored an older database.
 */
export async function acceptKey(session: Session, fingerprint: string): Promise<ProposedKey> {
	const holder = {...(await keyHolder(session)), acceptFingerprint: fingerprint.trim().toLowerCase()};
	return keyringTransaction(
		session,
		'write',
		async (tx, keyring) => {
			await audit(tx, holder.installationId, 'key-accept', [keyring.primary.fingerprint], `key version ${keyring.primary.version} confirmed by the admin`, signerOf(keyring, holder));
			return {version: keyring.primary.version, fingerprint: keyring.primary.fingerprint};
		},
		{holder},
	);
}
