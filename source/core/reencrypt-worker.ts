// A crypto thread of a key change (source/core/key-change.ts; two on two cores): decrypts and re-encrypts a batch
// while the main thread commits an earlier one. It only does crypto; it never touches the catalog, the lease or the
// rotation row.
// Loaded as a worker from source (tsx) and from dist/reencrypt-worker.js (an entry point of scripts/build.js).
import {readlinkSync} from 'node:fs';
import os from 'node:os';
import {parentPort} from 'node:worker_threads';
import {RscmError, type ErrorCode} from '../errors.ts';
import {reencryptValue} from './value-crypto.ts';

/**
 * The crypto threads give way to the main thread: it holds the catalog's write lock while it commits, runs the
 * Configuration Manager's keys and frames, and needs about two thirds of a core to keep two crypto threads fed.
 * Three equal threads on two cores get two thirds each at best, and the main thread then waits whole scheduler
 * slices behind a crypto thread, which delays its commits and its event loop. Nice 4 (weight 423 against 1024) gives
 * it over 70 % of a core it shares with one, and still leaves the crypto threads a fair part of a machine busy with
 * other work (at nice 10, two busy reader processes would leave them about a tenth of theirs). Linux sets one
 * thread's priority by its thread id (/proc/thread-self); elsewhere, or where it is refused, the thread keeps the
 * process's priority.
 */
const cryptoThreadNice = 4;

function lowerThisThreadsPriority(): void {
	try {
		const threadId = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
		if (Number.isInteger(threadId) && threadId > 0) os.setPriority(threadId, cryptoThreadNice);
	} catch {
		// Not Linux, or not permitted: the default priority is still correct, only less considerate.
	}
}

export type WorkerKeys = {type: 'keys'; catalogId: string; toVersion: number; keys: Uint8Array};
/**
 * One batch, packed so that it crosses threads as a single transferred buffer instead of 2000 cloned ones:
 * `envelopes` holds every ciphertext back to back, `ends[i]` is where value i ends. A re-encrypted envelope has the
 * same length as the old one, so the answer reuses `ends`.
 */
export type WorkerBatch = {type: 'batch'; batch: number; envelopes: Uint8Array<ArrayBuffer>; ends: Uint32Array<ArrayBuffer>; kinds: string[]; owners: string[]; fields: string[]};
export type WorkerAnswer =
	| {type: 'batch'; batch: number; envelopes: Uint8Array; busyMilliseconds: number}
	| {type: 'error'; batch: number; code: ErrorCode; message: string; hint?: string | undefined};
export type WorkerRequest = WorkerKeys | WorkerBatch | {type: 'end'};

const port = parentPort;
if (port) {
	lowerThisThreadsPriority();
	let from: Buffer | undefined;
	let to: Buffer | undefined;
	let keyBytes: Uint8Array | undefined;
	let catalogId = '';
	let toVersion = 0;
	port.on('message', (request: WorkerRequest) => {
		switch (request.type) {
			case 'keys': {
				// Transferred, not copied: this thread owns the only copy and zeroes it on 'end'.
				keyBytes = request.keys;
				from = Buffer.from(keyBytes.buffer, keyBytes.byteOffset, 32);
				to = Buffer.from(keyBytes.buffer, keyBytes.byteOffset + 32, 32);
				catalogId = request.catalogId;
				toVersion = request.toVersion;
				break;
			}

			case 'batch': {
				try {
					const started = performance.now();
					// Re-encrypted in place: value i's bytes are read before its new envelope (of the same length) replaces
					// them, and the buffer goes back to the main thread, which reuses it for a later batch.
					const envelopes = Buffer.from(request.envelopes.buffer, request.envelopes.byteOffset, request.envelopes.byteLength);
					const location = {catalogId, kind: '', owner: '', field: ''};
					let start = 0;
					for (let index = 0; index < request.ends.length; index++) {
						const end = request.ends[index]!;
						location.kind = request.kinds[index]!;
						location.owner = request.owners[index]!;
						location.field = request.fields[index]!;
						envelopes.set(reencryptValue(from!, to!, toVersion, location, envelopes.subarray(start, end)), start);
						start = end;
					}

					const answer = request.envelopes;
					port.postMessage({type: 'batch', batch: request.batch, envelopes: answer, busyMilliseconds: performance.now() - started} satisfies WorkerAnswer, [answer.buffer]);
				} catch (error) {
					const known = error instanceof RscmError;
					port.postMessage({
						type: 'error',
						batch: request.batch,
						code: known ? error.code : 'INTERNAL',
						message: (error as Error).message,
						hint: known ? error.hint : undefined,
					} satisfies WorkerAnswer);
				}

				break;
			}

			case 'end': {
				keyBytes?.fill(0);
				port.close();
				break;
			}
		}
	});
}
