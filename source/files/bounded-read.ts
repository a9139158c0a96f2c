import {constants as fsConstants} from 'node:fs';
import {open} from 'node:fs/promises';
import {RscmError} from '../errors.ts';
import {fileError} from './file-error.ts';

/** What a bounded read found: the bytes, or why there are none to give. */
export type BoundedRead = {kind: 'bytes'; bytes: Uint8Array} | {kind: 'too-large'} | {kind: 'not-a-regular-file'};

/**
 * Reads a file of at most `limit` bytes, refusing a larger one before reading it whole: the size is checked on the
 * open handle (no race with a rename), and at most limit+1 bytes are read, so a file that grows after the check, or
 * reports no size (a device), still cannot make rscm read gigabytes. O_NONBLOCK keeps a FIFO from hanging the open.
 * File-system failures, and a directory, are thrown as fileError gives them.
 */
export async function readFileAtMost(path: string, limit: number): Promise<BoundedRead> {
	let handle;
	try {
		handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
	} catch (error) {
		throw fileError(error, path, 'read');
	}

	try {
		const stats = await handle.stat();
		if (stats.isDirectory()) throw fileError({code: 'EISDIR'}, path, 'read');
		if (!stats.isFile()) return {kind: 'not-a-regular-file'};
		if (stats.size > limit) return {kind: 'too-large'};

		const buffer = Buffer.alloc(limit + 1);
		let length = 0;
		while (length < buffer.length) {
			const {bytesRead} = await handle.read(buffer, length, buffer.length - length, null);
			if (bytesRead === 0) break;
			length += bytesRead;
		}

		return length > limit ? {kind: 'too-large'} : {kind: 'bytes', bytes: buffer.subarray(0, length)};
	} catch (error) {
		if (error instanceof RscmError) throw error;
		throw fileError(error, path, 'read');
	} finally {
		await handle.close();
	}
}
