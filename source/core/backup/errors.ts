import {RscmError} from '../../errors.ts';

/** The errors every part of the backup format shares: one wording for each code, wherever the file fails. */
export const notABackupHint = 'Choose the .snk file that rscm or the Backup dialog wrote.';

export function notABackup(detail: string): RscmError {
	return new RscmError('NOT_A_BACKUP', `The file is not an rscm key backup: ${detail}.`, {hint: notABackupHint});
}

/** `what`: "The file", or the path of the file when it is known. */
export function backupTooLarge(what: string, cap: number): RscmError {
	return new RscmError('BACKUP_TOO_LARGE', `${what} is larger than ${cap / 1024} KiB, too large to be a key backup.`, {hint: notABackupHint});
}

export function wrongPassword(): RscmError {
	// Deliberately one error for both causes: GCM cannot tell them apart, and neither should an attacker.
	return new RscmError('WRONG_PASSWORD', 'Wrong password, or the backup file was modified.', {
		hint: 'Type the password given when the backup was made. If it is right, the file was changed or damaged: use another copy.',
	});
}
