import {createHash, sign, timingSafeEqual, verify} from 'node:crypto';
import type {AuditEntry, Catalog, CatalogTx, NewAuditEntry} from '../catalog/catalog.ts';
import {signingKeyOf, verifyingKeyObject, type SealBody} from './keyring-seal.ts';

/**
 * The audit log records who did what with which key version — never a secret, never a password — and is
 * tamper-evident: each entry carries chainHash = SHA-256(label ‖ previous entry's chainHash ‖ this entry), so an
 * entry altered, inserted or removed in the middle breaks the chain at the next entry; and an entry written by an
 * instance that holds the key is signed, over its chainHash, with the signing key of the primary key version
 * (keyring-seal.ts), which covers every entry before it. Entries written without the key (a waiting instance
 * registering, a failed restore) are chained but unsigned until the next signed entry; a removed tail is found
 * against the audit head each instance keeps in its trust file.
 */

const chainLabel = Buffer.from('rscm audit chain v1\0', 'utf8');
const signatureLabel = Buffer.from('rscm audit entry v1\0', 'utf8');
const noPrevious = Buffer.alloc(32);

type EntryFields = Pick<AuditEntry, 'at' | 'installationId' | 'operation' | 'fingerprints' | 'outcome' | 'detail'>;

/** Who signs an entry: the key of a version (the primary in use), and where to record this instance's audit head. */
export type AuditSigner = {catalogId: string; version: number; key: Uint8Array; onWritten?: (head: AuditHead) => void};

export type AuditHead = {id: number; chainHash: string};

export function chainHashOf(previous: Uint8Array | undefined, entry: EntryFields): Buffer {
	// A JSON array: fixed order, unambiguous boundaries, and the exact strings stored (at is ISO-8601 as given).
	const fields = JSON.stringify([entry.at, entry.installationId ?? null, entry.operation, entry.fingerprints, entry.outcome, entry.detail]);
	return createHash('sha256').update(chainLabel).update(previous ?? noPrevious).update(fields, 'utf8').digest();
}

/** Appends one entry to the chain in the caller's transaction, signed when a signer is given; returns its head. */
export async function appendAuditEntry(
	tx: CatalogTx,
	fields: Omit<EntryFields, 'at'>,
	signer?: AuditSigner,
): Promise<AuditHead> {
	const previous = await tx.lastAuditEntry();
	const entry = {...fields, at: new Date().toISOString()};
	const chainHash = chainHashOf(previous?.chainHash, entry);
	const signature = signer
		? sign(null, Buffer.concat([signatureLabel, chainHash]), signingKeyOf(signer.key, signer.catalogId, signer.version).privateKey)
		: undefined;
	const row: NewAuditEntry = {...entry, chainHash, keyVersion: signer?.version, signature};
	const head = {id: await tx.appendAudit(row), chainHash: chainHash.toString('hex')};
	signer?.onWritten?.(head);
	return head;
}

export async function audit(
	tx: CatalogTx,
	installationId: string | undefined,
	operation: string,
	fingerprints: string[],
	detail = '',
	signer?: AuditSigner,
): Promise<AuditHead> {
	return appendAuditEntry(tx, {installationId, operation, fingerprints, outcome: 'success', detail}, signer);
}

/** Records a failed key operation (a wrong backup password, say) in its own transaction; never masks the failure. */
export async function auditFailure(
	catalog: Catalog,
	installationId: string | undefined,
	operation: string,
	code: string,
): Promise<void> {
	try {
		await catalog.write(async tx => appendAuditEntry(tx, {installationId, operation, fingerprints: [], outcome: 'failure', detail: code}));
	} catch {
		// The catalog may be the thing that failed; the original error is what the user needs to see.
	}
}

export type AuditFinding = {
	id: number;
	/** altered: the entry (or the chain before it) changed; forged: a signature that does not verify; removed: entries gone. */
	problem: 'altered' | 'forged' | 'removed';
	detail: string;
};

export type AuditVerification = {
	entries: number;
	signed: number;
	/** Entries from before the chain existed (an older rscm): listed, not verifiable. */
	unchained: number;
	/** Chained entries after the last signed one: not covered by a signature yet. */
	unsignedTail: number;
	findings: AuditFinding[];
};

/**
 * Walks the whole log in id order (paged) against the verified seal's verifying keys and this instance's audit head.
 * Each break is reported once: the walk continues from the stored hash, so one altered entry is one finding.
 */
export async function verifyAuditLog(tx: CatalogTx, seal: SealBody, head: AuditHead | undefined, pageSize = 1000): Promise<AuditVerification> {
	const verifyingKeys = new Map(seal.versions.map(version => [version.version, version.verifyingKey]));
	const result: AuditVerification = {entries: 0, signed: 0, unchained: 0, unsignedTail: 0, findings: []};
	let previous: Uint8Array | undefined;
	let chained = false;
	let headSeen = head === undefined;
	for (let afterId = 0; ; ) {
		const page = await tx.auditAfter(afterId, pageSize);
		if (page.length === 0) break;
		for (const entry of page) {
			afterId = entry.id;
			result.entries++;
			if (head && entry.id === head.id) {
				headSeen = true;
				if (entry.chainHash === undefined || Buffer.from(entry.chainHash).toString('hex') !== head.chainHash) {
					result.findings.push({id: entry.id, problem: 'altered', detail: 'this entry differs from the one this server wrote'});
				}
			}

			if (entry.chainHash === undefined) {
				if (chained) result.findings.push({id: entry.id, problem: 'altered', detail: 'the entry lost its chain hash'});
				else result.unchained++;
				continue;
			}

			chained = true;
			if (!sameBytes(chainHashOf(previous, entry), entry.chainHash)) {
				result.findings.push({id: entry.id, problem: 'altered', detail: 'the entry, or the one before it, was changed, inserted or removed'});
			}

			previous = entry.chainHash;
			if (entry.signature === undefined && entry.keyVersion === undefined) {
				result.unsignedTail++;
				continue;
			}

			const verifyingKey = entry.keyVersion === undefined ? undefined : verifyingKeys.get(entry.keyVersion);
			const valid = verifyingKey !== undefined && entry.signature !== undefined && verifiesEntry(verifyingKey, entry.chainHash, entry.signature);
			if (valid) {
				result.signed++;
				result.unsignedTail = 0;
			} else {
				result.findings.push({id: entry.id, problem: 'forged', detail: `the signature does not verify under key version ${entry.keyVersion ?? '(none)'}`});
			}
		}
	}

	if (!headSeen) {
		result.findings.push({id: head!.id, problem: 'removed', detail: `entry ${head!.id}, written by this server, and what followed it are gone`});
	}

	return result;
}

function verifiesEntry(verifyingKey: string, chainHash: Uint8Array, signature: Uint8Array): boolean {
	try {
		return verify(null, Buffer.concat([signatureLabel, chainHash]), verifyingKeyObject(verifyingKey), signature);
	} catch {
		return false;
	}
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && timingSafeEqual(a, b);
}
