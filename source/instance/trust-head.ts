import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {RscmError} from '../errors.ts';
import {writeFileAtomic} from '../files/atomic-write.ts';
import {fileError} from '../files/file-error.ts';
import {assertPrivate} from './private-directory.ts';

/**
 * What this instance last trusted of each catalog's keyring, kept beside its identity (0600, written atomically):
 * the catalog is shared storage anyone with rights on it can edit, so the instance's memory of the newest key
 * version and seal it accepted is what lets it tell a rolled-back or replaced keyring from a real one.
 *
 * - `awaiting`: registered by this software, but the key it will be given is not confirmed yet (the admin compares
 *   the key fingerprint with a joined server's Status page: `rscm key accept`).
 * - `trusted`: the seal `sealSequence`, signed by key version `version` whose verifying key is `verifyingKey`.
 *
 * A catalog with no entry at all was joined by an rscm that kept no trust head (before the keyring was sealed):
 * that instance trusts the keyring it holds on first use, once (the upgrade, see SECURITY.md).
 */
/**
 * An origin this instance sealed itself (init, Delete Encrypted Content, restore), recorded before its transaction
 * commits: if the process dies after the commit but before the head is promoted, the next unlock finds the catalog's
 * seal signed by exactly this key and trusts it, instead of asking the admin to confirm a key the instance made.
 */
export type PendingOrigin = {version: number; verifyingKey: string; keyFingerprint: string; sealSequence: number};

export type TrustHead =
	| {state: 'awaiting'; since: string; pending?: PendingOrigin | undefined}
	| {
			state: 'trusted';
			version: number;
			/** Raw Ed25519 public key of `version`, base64. */
			verifyingKey: string;
			keyFingerprint: string;
			sealSequence: number;
			/** SHA-256 of the sealed membership (installation id ↔ public key), hex: shows a change at a glance. */
			membershipDigest: string;
			trustedAt: string;
			/** The last audit entry this instance signed: a log whose tail was cut is found against it. */
			auditHead?: {id: number; chainHash: string} | undefined;
			pending?: PendingOrigin | undefined;
	  };

export type TrustFile = {format: 'rscm-trust-v1'; catalogs: Record<string, TrustHead>};

export const trustFileName = 'trust.json';

export function trustPath(instanceDirectory: string): string {
	return path.join(instanceDirectory, trustFileName);
}

/** Every catalog's trust head of this instance; an empty file when none was written yet. */
export async function readTrustFile(instanceDirectory: string): Promise<TrustFile> {
	const file = trustPath(instanceDirectory);
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {format: 'rscm-trust-v1', catalogs: {}};
		throw fileError(error, file, 'read');
	}

	// Writable by others, it could be set to trust an attacker's key: refused like the identity file.
	await assertPrivate(file, 'file');
	try {
		const parsed = JSON.parse(text) as TrustFile;
		if (parsed.format === 'rscm-trust-v1' && typeof parsed.catalogs === 'object' && parsed.catalogs !== null) return parsed;
	} catch {
		// Reported below.
	}

	throw new RscmError('IDENTITY_CORRUPT', `${file} is not a valid trust file.`, {
		hint: 'Move it away; then confirm the key again with `rscm key accept --fingerprint FP` (compare with a joined server).',
	});
}

/** Replaces the heads of the given catalogs, keeping the others; re-reads the file first so no update is lost. */
export async function writeTrustHeads(instanceDirectory: string, heads: Record<string, TrustHead>): Promise<void> {
	const current = await readTrustFile(instanceDirectory);
	const next: TrustFile = {format: 'rscm-trust-v1', catalogs: {...current.catalogs, ...heads}};
	await writeFileAtomic(trustPath(instanceDirectory), JSON.stringify(next, undefined, '\t') + '\n', {overwrite: true, mode: 0o600});
}
