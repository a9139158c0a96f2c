import {createHash, randomBytes} from 'node:crypto';
import {constants} from 'node:fs';
import {open, readdir, rename, rm, stat, link, unlink} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {RscmError} from '../errors.ts';
import {fileError} from './file-error.ts';
import {processAlive} from './process-alive.ts';

export type AtomicWriteOptions = {
	/** Replace an existing file. Without it an existing file fails with FILE_EXISTS and is left untouched. */
	overwrite?: boolean;
	mode?: number;
};

/**
 * Writes a file that holds a key so that it is either complete or absent, never partial, and private from its first
 * byte: a temp file in the same directory created with O_EXCL and mode 0600, write, fsync, then rename (or link,
 * when overwriting is not allowed, so an existing file is never replaced by a race), then fsync the directory so
 * the rename survives a power cut. The temp file is removed on every error.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
	const directory = path.dirname(target);
	await assertWritableTarget(target, options.overwrite ?? false);

	await removeStaleTemporaries(target);
	const temporary = path.join(directory, `${temporaryPrefix(target)}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
	let handle;
	try {
		handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode ?? 0o600);
	} catch (error) {
		throw fileError(error, target, 'write');
	}

	try {
		try {
			await handle.writeFile(data);
			await handle.sync();
		} finally {
			await handle.close();
		}

		if (options.overwrite) {
			await rename(temporary, target);
		} else {
			// link() fails with EEXIST if the target appeared since the check: no silent overwrite.
			await link(temporary, target);
			await unlink(temporary);
		}
	} catch (error) {
		await rm(temporary, {force: true});
		throw fileError(error, target, 'write');
	}

	await syncDirectory(directory);
}

/**
 * Temp files are named `.NAME.HOST.PID.RANDOM.tmp`: hidden, never ending in the target's extension, and naming the
 * process that wrote them. A SIGKILL or power cut between creating and renaming one leaves it behind — no code runs
 * then — so the next write of the same target removes the ones whose writer is gone.
 */
function temporaryPrefix(target: string): string {
	const host = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
	return `.${path.basename(target)}.${host}.`;
}

async function removeStaleTemporaries(target: string): Promise<void> {
	const prefix = temporaryPrefix(target);
	let names: string[];
	try {
		names = await readdir(path.dirname(target));
	} catch {
		return;
	}

	for (const name of names) {
		if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
		const pid = Number(/^(\d+)\.[\da-f]+\.tmp$/.exec(name.slice(prefix.length))?.[1]);
		// Only this host's dead writers: a live one (or a pid we cannot judge) may be mid-write.
		if (!Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid)) continue;
		await rm(path.join(path.dirname(target), name), {force: true}).catch(() => undefined);
	}
}

async function assertDirectory(directory: string): Promise<void> {
	let info;
	try {
		info = await stat(directory);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			throw new RscmError('DIRECTORY_NOT_FOUND', `The directory ${directory} does not exist.`, {
				hint: 'Create it first, or choose another location.',
			});
		}

		throw fileError(error, directory, 'open');
	}

	if (!info.isDirectory()) {
		throw new RscmError('DIRECTORY_NOT_FOUND', `${directory} is not a directory.`);
	}
}

async function assertAbsent(target: string): Promise<void> {
	try {
		const info = await stat(target);
		if (info.isDirectory()) throw fileError({code: 'EISDIR'}, target, 'write');
		throw fileError({code: 'EEXIST'}, target, 'write');
	} catch (error) {
		if (error instanceof RscmError) throw error;
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, target, 'write');
	}
}

async function assertNotDirectory(target: string): Promise<void> {
	try {
		if ((await stat(target)).isDirectory()) throw fileError({code: 'EISDIR'}, target, 'write');
	} catch (error) {
		if (error instanceof RscmError) throw error;
	}
}

async function syncDirectory(directory: string): Promise<void> {
	try {
		const handle = await open(directory, constants.O_RDONLY);
		try {
			await handle.sync();
		} finally {
			await handle.close();
		}
	} catch {
		// Some file systems refuse fsync on a directory; the data itself is already synced.
	}
}

/**
 * The checks writeFileAtomic makes first, for callers that want them before expensive work (a backup runs the KDF
 * only once it knows the file can be written).
 */
export async function assertWritableTarget(target: string, overwrite: boolean): Promise<void> {
	await assertDirectory(path.dirname(target));
	if (overwrite) await assertNotDirectory(target);
	else await assertAbsent(target);
}
