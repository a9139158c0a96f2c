import type {SecretCounts, SecretKind} from '../../catalog/catalog.ts';
import type {ErrorCode, RscmError} from '../../core/errors.ts';

/**
 * Presentation helpers shared by the Status, Service Account and Encryption Keys pages and their dialogs: how dates,
 * counts and stored-value kinds read on screen, and which form field an error belongs to. No decisions about keys
 * are made here; the core has made them by the time these run.
 */

/**
 * `1,234,567`: a whole count with its thousands grouped as in en-US. Plain code rather than Intl.NumberFormat, whose
 * construction costs milliseconds of start-up on the Status page's first frame.
 */
export function formatCount(value: number): string {
	return String(Math.trunc(value)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** `2025-03-14 09:26 UTC`: unambiguous for admins in different time zones looking at one catalog. */
export function formatTime(iso: string | undefined): string {
	if (iso === undefined) return '—';
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

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

/** The Results pane line for a failed operation: the message and the stable code scripts and the README use. */
export function failureMessage(error: RscmError): string {
	return `${error.message} [${error.code}]`;
}
