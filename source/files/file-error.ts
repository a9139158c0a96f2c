import {RscmError} from '../errors.ts';

/** Turns a Node file-system error into an RscmError with a code a script can act on and a message that names the path. */
export function fileError(error: unknown, path: string, action: string): RscmError {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	switch (code) {
		case 'EEXIST':
			return new RscmError('FILE_EXISTS', `${path} already exists.`, {
				cause: error,
				hint: 'Choose another file name, or overwrite it with --force.',
			});
		case 'ENOENT':
			return new RscmError('FILE_NOT_FOUND', `${path} does not exist.`, {cause: error});
		case 'ENOTDIR':
			return new RscmError('DIRECTORY_NOT_FOUND', `A part of ${path} is not a directory.`, {cause: error});
		case 'EISDIR':
			return new RscmError('IS_A_DIRECTORY', `${path} is a directory; give a file name.`, {cause: error});
		case 'EACCES':
		case 'EPERM':
		case 'EROFS':
			return new RscmError('PERMISSION_DENIED', `Permission denied: cannot ${action} ${path}.`, {cause: error});
		case 'ENOSPC':
		case 'EDQUOT':
			return new RscmError('DISK_FULL', `No space left on the device: cannot ${action} ${path}. Nothing was written.`, {
				cause: error,
				hint: 'Free some space or choose another location.',
			});
		default:
			return new RscmError('IO_ERROR', `Cannot ${action} ${path}: ${code ?? 'unknown error'}.`, {cause: error});
	}
}
