/**
 * The one error type of rscm. Every failure the user can meet carries a stable `code` (scripts match on it, the
 * README lists them), a message that says what failed, and a hint that says what to do. The Results pane, the
 * human CLI output and the `--json` output all print this same object.
 *
 * Messages never contain secrets: callers pass names and paths, never passwords, keys or decrypted values.
 */
export const errorCodes = {
	USAGE: 'The command line is wrong.',
	WEAK_PASSWORD: 'The password does not meet the password policy.',
	PASSWORD_MISMATCH: 'Password and Confirm Password differ.',
	WRONG_PASSWORD: 'Wrong password, or the backup file was modified.',
	NOT_A_BACKUP: 'The file is not an rscm key backup.',
	UNSUPPORTED_BACKUP_VERSION: 'The backup was written by a newer format version.',
	BACKUP_TOO_LARGE: 'The file is too large to be a key backup.',
	BACKUP_FOR_OTHER_CATALOG: 'The backup belongs to another catalog.',
	BACKUP_OUTDATED: 'The backup predates a key change and lacks a live key version.',
	BACKUP_UNVERIFIED: 'The backup just written does not verify; it was removed.',
	FILE_EXISTS: 'The file already exists.',
	FILE_NOT_FOUND: 'The file does not exist.',
	DIRECTORY_NOT_FOUND: 'The directory does not exist.',
	IS_A_DIRECTORY: 'The path is a directory.',
	PERMISSION_DENIED: 'Permission denied.',
	DISK_FULL: 'No space left on the device.',
	IO_ERROR: 'A file operation failed.',
	CATALOG_NOT_FOUND: 'The catalog does not exist.',
	CATALOG_EXISTS: 'The target already holds a catalog.',
	CATALOG_UNAVAILABLE: 'The catalog cannot be opened.',
	CATALOG_READ_ONLY: 'The catalog cannot be written.',
	CATALOG_TOO_NEW: 'The catalog was created by a newer rscm.',
	CATALOG_CORRUPT: 'The catalog is damaged.',
	NOT_INITIALIZED: 'This instance is not initialized.',
	WAITING_TO_JOIN: 'This instance is waiting to join and holds no key.',
	KEY_UNAVAILABLE: 'This instance cannot open its copy of the key.',
	KEYRING_TAMPERED: 'The keyring in the catalog does not verify: it was edited outside rscm.',
	KEY_NOT_CONFIRMED: 'This instance has not confirmed the key it was given.',
	AUDIT_TAMPERED: 'The audit log does not verify: entries were altered, forged or removed.',
	UNKNOWN_INSTANCE: 'No such instance in this catalog.',
	AMBIGUOUS_INSTANCE: 'More than one instance matches.',
	NOT_WAITING: 'The instance is not waiting to join.',
	LAST_JOINED_INSTANCE: 'This is the last joined instance.',
	INSECURE_PERMISSIONS: 'A file that holds a secret is readable by others.',
	IDENTITY_CORRUPT: 'The identity file is damaged.',
	CONFIRMATION_REQUIRED: 'The operation is destructive and needs confirmation.',
	CANCELLED: 'The operation was cancelled.',
	BUSY: 'Another key operation is running.',
	NOTHING_TO_RESUME: 'No key change is pending: nothing to resume.',
	NO_BACKUP: 'The primary key has no up-to-date backup.',
	UNKNOWN_DATA_SOURCE: 'No such data source.',
	INVALID_INPUT: 'The input is not valid.',
	CANNOT_BIND: 'The address and port of a URL cannot be listened on by this account on this machine.',
	INPUT_TOO_LARGE: 'The input is larger than its documented limit.',
	INPUT_TIMEOUT: 'No input arrived in time.',
	DECRYPT_FAILED: 'A stored value does not decrypt.',
	NOT_A_TERMINAL: 'The Configuration Manager needs a terminal.',
	INTERNAL: 'Unexpected internal error.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** How far a long operation has got: `done` of `total` items. Progress events and stopped operations both report it. */
export type Progress = {
	readonly done: number;
	readonly total: number;
};

/**
 * Facts about a failure as data, for a front end to show in its own words: the message is for people and may be
 * reworded, these fields are not. `--json` prints them as `error.details`.
 */
export type ErrorDetails = {
	/** How far an operation got before it stopped (a CANCELLED key change: values re-encrypted and committed, of the total). */
	readonly progress?: Progress;
};

export type RscmErrorOptions = {
	hint?: string | undefined;
	cause?: unknown;
	/** The input field at fault, so a form can show the error next to it. */
	field?: string | undefined;
	details?: ErrorDetails | undefined;
};

export class RscmError extends Error {
	override readonly name = 'RscmError';
	readonly code: ErrorCode;
	readonly hint: string | undefined;
	readonly field: string | undefined;
	readonly details: ErrorDetails | undefined;

	constructor(code: ErrorCode, message?: string, options: RscmErrorOptions = {}) {
		super(message ?? errorCodes[code], options.cause === undefined ? undefined : {cause: options.cause});
		this.code = code;
		this.hint = options.hint;
		this.field = options.field;
		this.details = options.details;
	}

	toJSON(): {code: ErrorCode; message: string; hint?: string; details?: ErrorDetails} {
		return {
			code: this.code,
			message: this.message,
			...(this.hint === undefined ? {} : {hint: this.hint}),
			...(this.details === undefined ? {} : {details: this.details}),
		};
	}
}

/** A failure in one line, as the Results pane and the dialogs show it: the message, then the stable code in brackets. */
export function errorSummary(error: RscmError): string {
	return `${error.message} [${error.code}]`;
}

export function isRscmError(error: unknown, code?: ErrorCode): error is RscmError {
	return error instanceof RscmError && (code === undefined || error.code === code);
}

export const internalHint = 'This is a bug in rscm: please report it with this message (RSCM_DEBUG=1 prints the stack).';

/**
 * Wraps anything thrown into an RscmError without leaking details that could hold secrets. Anything that is not an
 * RscmError is a bug: INTERNAL, its message on one line (the stack stays in `cause`, printed only with RSCM_DEBUG=1).
 */
export function toRscmError(error: unknown): RscmError {
	if (error instanceof RscmError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new RscmError('INTERNAL', `Unexpected error: ${message.replaceAll(/\s*[\r\n]+\s*/g, ' ').trim()}`, {cause: error, hint: internalHint});
}
