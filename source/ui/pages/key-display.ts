import type {SecretCounts, SecretKind} from '../../core/secret-values.ts';
import {formatCount} from '../../core/display-format.ts';
import type {ErrorCode, RscmError} from '../../errors.ts';
import {instanceStatusLabels, type InstanceStatus, type StatusReport} from '../../core/status.ts';

/**
 * Presentation helpers shared by the Status, Service Account and Encryption Keys pages and their dialogs: how dates,
 * counts and stored-value kinds read on screen, and which form field an error belongs to. No decisions about keys
 * are made here; the core has made them by the time these run.
 */

// One formatter for times and counts, in the core so the commands' text output reads the same; re-exported for the
// pages and dialogs that import it from here.
export {formatCount, formatTime} from '../../core/display-format.ts';

export const secretKindLabels: Record<SecretKind, {one: string; many: string}> = {
	datasource: {one: 'data source value', many: 'data source values'},
	subscription: {one: 'subscription value', many: 'subscription values'},
	setting: {one: 'setting', many: 'settings'},
};

export function pluralize(count: number, forms: {one: string; many: string}): string {
	return `${formatCount(count)} ${count === 1 ? forms.one : forms.many}`;
}

const secretKinds: readonly SecretKind[] = ['datasource', 'subscription', 'setting'];

/** "1,203 data source values, 2 settings", leaving out kinds with none; "none" when nothing is stored. */
export function describeSecretCounts(counts: SecretCounts | undefined, pick: 'total' | 'needsReentry'): string {
	if (counts === undefined) return '—';
	const parts = secretKinds
		.filter(kind => counts[kind][pick] > 0)
		.map(kind => pluralize(counts[kind][pick], secretKindLabels[kind]));
	return parts.length === 0 ? 'none' : parts.join(', ');
}

/** Values that currently hold a ciphertext: what a key change re-encrypts and what Delete erases. */
export function encryptedValueCount(counts: SecretCounts | undefined): number {
	if (counts === undefined) return 0;
	return secretKinds.reduce((sum, kind) => sum + counts[kind].total - counts[kind].needsReentry, 0);
}

/**
 * What to do next in a state that needs the admin, in the words of the pages (the core's detail names commands).
 * Short enough for two lines of the Encryption Keys page at 80×24.
 */
export const nextSteps: Partial<Record<InstanceStatus, string>> = {
	'not-initialized': 'Create or choose the catalog on 4 Database.',
	waiting: 'Add it on a joined server (10 Scale-out), or Restore a backup.',
	'key-unavailable': 'This server cannot open its copy of the key; Restore a backup.',
	unconfirmed: 'Compare the key fingerprint on 10 Scale-out, then Accept Key.',
	tampered: 'Do not use this catalog until it is resolved: see 1 Report Server Status.',
};

/** "Waiting to Join: Add it on …": the state and what to do, for a page whose actions the state disables. */
export function stateNotice(status: StatusReport | undefined): string | undefined {
	if (status === undefined || status.status === 'joined') return undefined;
	return `${instanceStatusLabels[status.status]}: ${nextSteps[status.status] ?? status.statusDetail ?? ''}`;
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

/**
 * Which field of the key dialogs an error belongs to, so it is shown next to that field (validation
 * errors sit next to the field that caused them). The core names the field where it knows it; file-system errors
 * come from a shared writer that does not, so they are placed by their code.
 */
const fieldByCode: Partial<Record<ErrorCode, string>> = {
	WEAK_PASSWORD: 'password',
	PASSWORD_MISMATCH: 'confirm',
	WRONG_PASSWORD: 'password',
	DIRECTORY_NOT_FOUND: 'file',
	IS_A_DIRECTORY: 'file',
	PERMISSION_DENIED: 'file',
	FILE_NOT_FOUND: 'file',
	FILE_EXISTS: 'file',
	NOT_A_BACKUP: 'file',
	BACKUP_TOO_LARGE: 'file',
	UNSUPPORTED_BACKUP_VERSION: 'file',
	BACKUP_FOR_OTHER_CATALOG: 'file',
	BACKUP_OUTDATED: 'file',
	DISK_FULL: 'file',
	IO_ERROR: 'file',
};

export function errorField(error: RscmError): string | undefined {
	return error.field ?? fieldByCode[error.code];
}
