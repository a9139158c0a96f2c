import {assertWritableTarget, writeFileAtomic} from '../../files/atomic-write.ts';
import {readFileAtMost} from '../../files/bounded-read.ts';
import {RscmError, type ErrorCode} from '../../errors.ts';
import {backupTooLarge, notABackup} from './errors.ts';
import {backupSizeCap} from './format.ts';

/**
 * The `.snk` file on disk. The file-system work is source/files/'s, with its one mapping of file-system errors
 * (files/file-error.ts); this module adds only what makes a file a backup: private, written whole, and small.
 */

/**
 * Reads a backup file, refusing anything over the size cap (BACKUP_TOO_LARGE) before reading it whole, and anything
 * that is not a regular file (a FIFO, a device: NOT_A_BACKUP).
 */
export async function readBackupFile(path: string): Promise<Uint8Array> {
	let read: Awaited<ReturnType<typeof readFileAtMost>>;
	try {
		read = await readFileAtMost(path, backupSizeCap);
	} catch (error) {
		throw withReadHint(error);
	}

	if (read.kind === 'too-large') throw backupTooLarge(path, backupSizeCap);
	if (read.kind === 'not-a-regular-file') throw notABackup(`${path} is not a regular file`);
	return read.bytes;
}

/** What to do when a backup cannot be read, said the way a restore or a verify is asked for. */
const readHints: Partial<Record<ErrorCode, string>> = {
	FILE_NOT_FOUND: 'Check the path of the backup file.',
	IS_A_DIRECTORY: 'Give the path of the .snk file itself.',
	PERMISSION_DENIED: 'Run rscm as a user that can read the file.',
};

function withReadHint(error: unknown): unknown {
	if (!(error instanceof RscmError) || error.hint !== undefined) return error;
	const hint = readHints[error.code];
	return hint === undefined ? error : new RscmError(error.code, error.message, {hint, cause: error.cause, field: error.field, details: error.details});
}

/**
 * The checks writeBackupFile makes first, for the caller to run before the KDF: a mistake in the path costs no wait.
 */
export async function assertBackupTarget(path: string, overwrite: boolean): Promise<void> {
	await assertWritableTarget(path, overwrite);
}

/** Writes a backup complete or not at all, private (0600) from its first byte. */
export async function writeBackupFile(path: string, text: string, overwrite: boolean): Promise<void> {
	await writeFileAtomic(path, text, {overwrite, mode: 0o600});
}
