import type {AuditEntry} from '../catalog/catalog.ts';
import {verifyAuditLog, type AuditVerification} from './audit.ts';
import {RscmError} from '../errors.ts';
import {keyringTransaction} from './keyring.ts';
import type {Session} from './session.ts';
import {instanceStatus} from './status.ts';

/** An audit entry as `rscm audit` shows it: no bytes, whether it is signed and by which key version. */
export type AuditListing = Omit<AuditEntry, 'chainHash' | 'signature'> & {chained: boolean; signed: boolean};

/** The newest `limit` entries, newest first. Reading needs no key: the entries hold no secret. */
export async function listAuditLog(session: Session, limit: number): Promise<AuditListing[]> {
	const entries = await session.catalog.read(async tx => tx.listAudit(limit));
	return entries.map(({chainHash, signature, ...entry}) => ({...entry, chained: chainHash !== undefined, signed: signature !== undefined}));
}

/**
 * `rscm audit verify`: the whole chain checked against the verified keyring seal (whose verifying keys sign the
 * entries) and this instance's audit head. Needs a joined instance: the seal it trusts is what says which keys
 * may sign.
 */
export async function verifyAudit(session: Session): Promise<AuditVerification> {
	// A catalog nobody sealed yet is sealed by its first status (the upgrade): do that first, then verify.
	await instanceStatus(session);
	return keyringTransaction(session, 'read', async (tx, keyring, holder) => {
		if (!keyring.seal) throw new RscmError('KEYRING_TAMPERED', 'The keyring is not sealed, so the audit log cannot be verified.');
		const head = holder.trust.catalogs[keyring.catalogId];
		return verifyAuditLog(tx, keyring.seal, head?.state === 'trusted' ? head.auditHead : undefined);
	});
}
