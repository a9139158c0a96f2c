import type {SecretCounts, SecretKind} from '../../../core/secret-values.ts';
import {secretKinds} from '../display.ts';

/** Values that currently hold a ciphertext: what a key change re-encrypts and what Delete erases. */
export function encryptedValueCount(counts: SecretCounts | undefined): number {
	if (counts === undefined) return 0;
	return secretKinds.reduce((sum, kind) => sum + counts[kind].total - counts[kind].needsReentry, 0);
}

/** Shared settings are stored under an owner name; this is what an admin calls each of them. */
const settingOwners: Record<string, string> = {
	email: 'SMTP password',
	execution: 'execution account password',
	fileshare: 'file share account password',
};

export function describeSecretOwner(kind: SecretKind, owner: string, field: string): string {
	if (kind === 'setting') return settingOwners[owner] ?? `${owner} ${field}`;
	if (kind === 'subscription') return `subscription ${owner} (${field})`;
	return `${owner} (${field})`;
}
