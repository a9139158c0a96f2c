import {mkdir, stat} from 'node:fs/promises';
import {RscmError} from '../errors.ts';
import {fileError} from '../files/file-error.ts';

/**
 * The instance directory holds the service identity's private key. Like ssh with ~/.ssh, rscm refuses to use it
 * when others can read it: a group- or world-readable key may already have been copied.
 */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
	try {
		await mkdir(directory, {recursive: true, mode: 0o700});
	} catch (error) {
		throw fileError(error, directory, 'create');
	}

	await assertPrivate(directory, 'directory');
}

export async function assertPrivate(target: string, what: 'directory' | 'file'): Promise<void> {
	let mode: number;
	try {
		mode = (await stat(target)).mode;
	} catch (error) {
		throw fileError(error, target, 'read');
	}

	if ((mode & 0o077) !== 0) {
		const wanted = what === 'directory' ? '700' : '600';
		throw new RscmError(
			'INSECURE_PERMISSIONS',
			`${target} is accessible by other users (mode ${(mode & 0o777).toString(8)}).`,
			{hint: `Restrict it with: chmod ${wanted} ${target}`},
		);
	}
}

