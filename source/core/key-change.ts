import {randomBytes} from 'node:crypto';
import os from 'node:os';
import {setImmediate as setImmediatePromise, setTimeout as sleep} from 'node:timers/promises';
import type {Worker} from 'node:worker_threads';
import type {CatalogTx, RotationRow} from '../catalog/catalog.ts';
import {isConnectionFailure} from '../catalog/schema.ts';
import {audit} from './audit.ts';
import {isRscmError, RscmError, type Progress} from '../errors.ts';
import {formatCount} from './display-format.ts';
import {verifyKeyCheckValue} from './fingerprint.ts';
import {createKeyVersion, keyFor, keyHolder, keyringTransaction, nextVersionNumber, resealKeyring, signerOf, wrapForInstance, type KeyHolder, type Keyring} from './keyring.ts';
import {endorse} from './keyring-seal.ts';
import {installationIdOf, type Session} from './session.ts';
import type {WorkerAnswer, WorkerBatch, WorkerKeys, WorkerRequest} from './reencrypt-worker.ts';
import {processAlive} from '../files/process-alive.ts';
import {startSiblingWorker} from './worker-thread.ts';

/** The rotation row as the front ends see a pending change (they reach the catalog only through the core). */
export type {RotationRow};

/** Values re-encrypted from `fromVersion` to `toVersion`, of all the values under `fromVersion` when it began. */
export type ChangeProgress = Progress & {
	fromVersion: number;
	toVersion: number;
};

export type ChangeKeyOptions = {
	/** Stops cleanly after the current batch; the rotation stays pending and resumes on the next change. */
	signal?: AbortSignal | undefined;
	onProgress?: ((progress: ChangeProgress) => void) | undefined;
	/** Values re-encrypted per transaction: small enough that readers and other writers never wait long. */
	batchSize?: number | undefined;
	/**
	 * Only resume a pending change (the UI's Resume): if none is pending any more — another server finished it —
	 * start nothing and fail with NOTHING_TO_RESUME, decided in the same transaction that would have started one.
	 */
	resumeOnly?: boolean | undefined;
};

export type ChangeKeyResult = {
	fromVersion: number;
	toVersion: number;
	fingerprint: string;
	reencrypted: number;
	resumed: boolean;
	/** Where the time went (`npm run bench` reports it); see ChangeTiming. */
	timing: ChangeTiming;
};

/**
 * Milliseconds of a key change by stage. reads and commits are the main thread's catalog work (wall time, each read
 * or write transaction from start to end); crypto is the worker threads' busy time summed over threads (so with two
 * it can exceed the elapsed time); waiting is the main thread idle on the workers.
 */
export type ChangeTiming = {reads: number; commits: number; crypto: number; waiting: number};

/** How long a rotation's lease lasts without a heartbeat; every batch renews it. */
const leaseMilliseconds = 30_000;
/**
 * 2000 values per transaction: half the commits (each an fsync) and half the per-batch bookkeeping of 1000. A batch
 * still holds the write lock for well under 100 ms; its crypto runs in a worker thread and its updates yield to the
 * event loop every `updateSlice` values, so the UI's frames never wait for a whole batch.
 */
const defaultBatchSize = 2000;
/**
 * SQLite writers poll for the lock with a backoff of at most 50 ms (SqliteCatalog#withRetry), so a 55 ms pause lets
 * a waiting writer in; once every 2 s (instead of 60 ms every second) that costs under 3% of the rotation instead of
 * 6%, and a waiting writer still gets in within about two seconds. A catalog that queues writers (Catalog.queuesWriters:
 * PostgreSQL's advisory lock, MariaDB's row lock) needs no pause.
 */
const fairnessInterval = 2000;
const fairnessPause = 55;

/**
 * SSRS "Change": a new key version replaces the old one, online and resumable.
 *
 *  1. One transaction creates version N+1, wraps it for every joined instance, makes it primary (new writes use it)
 *     and records a rotation row. Readers keep working: every envelope names its key version and both are live.
 *  2. Batches of values under version N are re-encrypted in short transactions; the rotation row records progress
 *     and a lease, so a second process refuses with BUSY while this one is alive, and takes over once it is dead.
 *  3. Only when no value under N remains and the new key passes its key check is N retired and its wrapped copies
 *     deleted. A crash at any point leaves a catalog that every joined instance can read, and a rotation to resume.
 */
export async function changeKey(session: Session, options: ChangeKeyOptions = {}): Promise<ChangeKeyResult> {
	const installationId = installationIdOf(session);
	const holder = await keyHolder(session);
	// The random part tells two key changes of one process apart (two sessions in one UI, say): only the one that
	// holds the lease may continue; host and pid let another process see that the holder died.
	const leaseOwner = `${installationId}@${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
	const batchSize = options.batchSize ?? session.catalog.rotationBatching?.batchSize ?? defaultBatchSize;
	const slice = session.catalog.rotationBatching?.updateSlice ?? updateSlice;

	// A running rotation is visible to a plain read (readers never wait for writers), so a second change refuses at
	// once instead of queueing behind the batches of the first.
	const pending = await session.catalog.read(async tx => tx.getRotation());
	if (pending) assertLeaseFree(pending, leaseOwner);

	// Set inside the first transaction; zeroed below however the rotation ends (even if that commit fails).
	let keys: RotationKeys | undefined;
	// Started on the first batch that has values, not before: a rotation that fails or finds nothing starts no thread.
	const reencryption = new ReencryptionThreads(() => keys!, cryptoThreadCount());
	const timing: ChangeTiming = {reads: 0, commits: 0, crypto: 0, waiting: 0};
	let current: RotationRow;
	let resumed: boolean;
	try {
		({rotation: current, resumed} = await keyringTransaction(
			session,
			'write',
			async (tx, keyring) => {
				const pending = await tx.getRotation();
				if (pending) {
					assertLeaseFree(pending, leaseOwner);
					const taken = {...pending, ...lease(leaseOwner)};
					await tx.putRotation(taken);
					await audit(tx, installationId, 'change-resume', fingerprintsOf(keyring, pending), '', signerOf(keyring, holder));
					keys = rotationKeys(keyring, taken);
					return {rotation: taken, resumed: true};
				}

				if (options.resumeOnly) {
					throw new RscmError('NOTHING_TO_RESUME', 'No key change is pending any more: it was finished meanwhile (by another server).', {
						hint: 'Nothing was started. Change the key again only if you mean a new change.',
					});
				}

				const started = await startRotation(tx, keyring, holder, leaseOwner);
				keys = started.keys;
				return {rotation: started.rotation, resumed: false};
			},
			{holder},
		));
		const batchKeys = keys!;
		const fromVersion = current.fromVersion;
		let busySince = Date.now();
		options.onProgress?.(progressOf(current));
		// The first batch waits for a turn of the event loop too: the transaction above already took a while.
		await setImmediatePromise();
		// The pipeline: the next batches are read (short read transactions) and queued at the workers before batch N
		// is committed, so the workers re-encrypt on the other cores while the main thread writes.
		const queue: PreparedBatch[] = [];
		let afterId = current.lastId;
		let exhaustedAfter: number | undefined;
		while (true) {
			if (options.signal?.aborted) {
				// The batches read ahead are dropped: nothing of them was written.
				await Promise.all(queue.map(async batch => batch.envelopes.catch(() => undefined)));
				await releaseLease(session, leaseOwner);
				// The counts as data too (details.progress): front ends word them their own way, never parse the message.
				throw new RscmError('CANCELLED', `Key change stopped after ${formatCount(current.done)} of ${formatCount(current.total)} values.`, {
					hint: 'Run the key change again to resume where it stopped.',
					details: {progress: {done: current.done, total: current.total}},
				});
			}

			while (queue.length < reencryption.count + 1 && exhaustedAfter === undefined) {
				const readStarted = performance.now();
				const batch = await retryDroppedConnection(async () => readBatch(session, reencryption, fromVersion, afterId, batchSize), options.signal);
				timing.reads += performance.now() - readStarted;
				if (batch.ids.length === 0) exhaustedAfter = afterId;
				else {
					queue.push(batch);
					afterId = batch.lastId;
				}
			}

			const ready = queue.shift();
			if (!ready) {
				// Values below lastId still under the old version (none, unless a pass was interrupted oddly): sweep them
				// once more from the start; nothing is in flight now, so every one found really is left over.
				if (exhaustedAfter === 0) break;
				afterId = 0;
				exhaustedAfter = undefined;
				continue;
			}

			const waitStarted = performance.now();
			const envelopes = await ready.envelopes;
			const commitStarted = performance.now();
			timing.waiting += commitStarted - waitStarted;
			// Deferred durability (SQLite WAL, synchronous=NORMAL): a batch lost to a power cut is redone on resume, since its
			// values are still under the old version, which stays live; retiring it is a FULL commit, which makes every
			// batch before it durable first. That saves an fsync per batch (about a tenth of the main thread's time).
			current = await retryDroppedConnection(
				async () => session.catalog.write(async tx => commitBatch(tx, batchKeys, leaseOwner, ready, envelopes, slice), {durability: 'deferred'}),
				options.signal,
			);
			reencryption.recycle(envelopes);
			timing.commits += performance.now() - commitStarted;
			options.onProgress?.(progressOf(current));
			// The SQLite driver is synchronous: without a turn of the event loop between batches, nothing else in this
			// process (the UI's keys and frames, timers, file reads) would run until the whole rotation ended.
			await setImmediatePromise();
			if (!session.catalog.queuesWriters && Date.now() - busySince >= fairnessInterval) {
				// SQLite has no queue for writers: one that waits polls for the lock, and back-to-back batches would
				// leave it no gap to take it. A pause longer than its longest poll interval, once a second, lets other
				// writers in (an admin saving a data source during a rotation) for a few percent of the rotation's time.
				await sleep(fairnessPause);
				busySince = Date.now();
			}
		}
	} catch (error) {
		await releaseLeaseAfterFailure(session, leaseOwner, error);
		throw error;
	} finally {
		// Finished, cancelled or failed: each worker zeroes its copy of the keys and exits.
		await reencryption.close();
		timing.crypto = reencryption.busyMilliseconds;
		keys?.from.fill(0);
		keys?.to.fill(0);
	}

	const fingerprint = await retryDroppedConnection(
		async () => keyringTransaction(session, 'write', async (tx, keyring) => retireOldVersion(tx, keyring, holder, current), {holder}),
		options.signal,
	).catch(async (error: unknown) => {
		await releaseLeaseAfterFailure(session, leaseOwner, error);
		throw error;
	});
	return {fromVersion: current.fromVersion, toVersion: current.toVersion, fingerprint, reencrypted: current.done, resumed, timing};
}

async function startRotation(
	tx: CatalogTx,
	keyring: Keyring,
	holder: KeyHolder,
	leaseOwner: string,
): Promise<{rotation: RotationRow; keys: RotationKeys}> {
	const {installationId} = holder;
	const fromVersion = keyring.primary.version;
	const toVersion = nextVersionNumber(keyring.versions);
	const {key, row} = createKeyVersion(keyring.catalogId, toVersion, 'primary');
	// The new key is not in the keyring unlocked before it existed: the batches get their own copy of it.
	const keys: RotationKeys = {catalogId: keyring.catalogId, from: Buffer.from(keyFor(keyring, fromVersion)), to: Buffer.from(key), toVersion};
	try {
		await tx.updateKeyVersion(fromVersion, {state: 'active'});
		await tx.insertKeyVersion(row);
		// To the sealed members only (the tables agree with the seal: unlocking checked it), by their sealed public keys.
		for (const member of keyring.seal!.members) {
			await wrapForInstance(tx, keyring.catalogId, member.installationId, Buffer.from(member.publicKey, 'base64'), toVersion, key);
		}

		const rotation: RotationRow = {
			fromVersion,
			toVersion,
			startedAt: new Date().toISOString(),
			total: await tx.countSecrets({keyVersion: fromVersion}),
			done: 0,
			lastId: 0,
			...lease(leaseOwner),
		};
		await tx.putRotation(rotation);
		// The old primary endorses the new one: instances that trust version N follow it to N+1 without asking anyone.
		const endorsement = endorse(keyFor(keyring, fromVersion), keyring.catalogId, fromVersion, {version: toVersion, keyCheck: row.keyCheck, key});
		await resealKeyring(tx, holder, keyring, {keys: new Map([[toVersion, key]]), endorsements: new Map([[toVersion, endorsement]])});
		await audit(tx, installationId, 'change-start', [keyring.primary.fingerprint, row.fingerprint], `version ${fromVersion} → ${toVersion}`, signerOf(keyring, holder));
		return {rotation, keys};
	} catch (error) {
		keys.from.fill(0);
		keys.to.fill(0);
		throw error;
	} finally {
		key.fill(0);
	}
}

/**
 * The two keys a rotation uses, copied out of the keyring once for the whole rotation (zeroed when it ends, however
 * it ends): unlocking the keyring costs two X25519 agreements and a few catalog reads, which per batch was a
 * noticeable share of the rotation. Key versions never change once created, so the copies cannot go stale; each
 * batch still re-reads the rotation row and its lease, so a rotation removed or taken over meanwhile stops.
 */
type RotationKeys = {catalogId: string; from: Buffer; to: Buffer; toVersion: number};

function rotationKeys(keyring: Keyring, rotation: RotationRow): RotationKeys {
	return {
		catalogId: keyring.catalogId,
		from: Buffer.from(keyFor(keyring, rotation.fromVersion)),
		to: Buffer.from(keyFor(keyring, rotation.toVersion)),
		toVersion: rotation.toVersion,
	};
}

/** A batch read and handed to the worker, not yet written: ids in the order read, envelopes once re-encrypted. */
type PreparedBatch = {lastId: number; ids: Float64Array; ends: Uint32Array; envelopes: Promise<Uint8Array>};

/**
 * Crypto threads: two where there are two cores, one on a single core. The crypto is about twice the main thread's
 * catalog work per value, so two threads (at a lower priority, see reencrypt-worker.ts) and the main thread fill two
 * cores; on more cores the main thread's reads and commits are the limit, and each further thread would only add a
 * heap. Batches in flight: one per thread, plus the one being committed.
 */
function cryptoThreadCount(): number {
	return Math.max(1, Math.min(2, os.availableParallelism()));
}

/**
 * Reads the next batch under the old version in its own short read transaction and queues it at the worker.
 * Reading ahead is safe: rows after `afterId` are not touched by the batches committed meanwhile, and a row a user
 * rewrites after this read is under the new version by then, so commitBatch's replace skips it.
 */
async function readBatch(session: Session, reencryption: ReencryptionThreads, fromVersion: number, afterId: number, batchSize: number): Promise<PreparedBatch> {
	const rows = await session.catalog.read(async tx => tx.secretsBatch(fromVersion, afterId, batchSize));
	const ids = new Float64Array(rows.length);
	const ends = new Uint32Array(rows.length);
	const kinds: string[] = [];
	const owners: string[] = [];
	const fields: string[] = [];
	let length = 0;
	for (const [index, row] of rows.entries()) {
		ids[index] = row.id;
		kinds.push(row.kind);
		owners.push(row.owner);
		fields.push(row.field);
		length += row.ciphertext.byteLength;
		ends[index] = length;
	}

	if (rows.length === 0) return {lastId: afterId, ids, ends, envelopes: Promise.resolve(new Uint8Array(0))};
	// One buffer for the whole batch: transferring it to the worker costs nothing, cloning 2000 small ones does.
	// `ends` is copied (8 KiB), not transferred: the commit needs it to cut the answer into envelopes.
	const packed = reencryption.buffer(length);
	for (const [index, row] of rows.entries()) packed.set(row.ciphertext, index === 0 ? 0 : ends[index - 1]);
	const envelopes = reencryption.run({envelopes: packed, ends, kinds, owners, fields});
	// A failure is seen when the batch's turn comes (or dropped with it on cancel); it must not count as unhandled.
	envelopes.catch(() => undefined);
	return {lastId: ids.at(-1)!, ids, ends, envelopes};
}

/** How many updates run between two turns of the event loop inside a commit: the UI never waits for a whole batch. */
const updateSlice = 500;

async function commitBatch(tx: CatalogTx, keys: RotationKeys, leaseOwner: string, batch: PreparedBatch, answer: Uint8Array, slice: number): Promise<RotationRow> {
	const rotation = await tx.getRotation();
	if (!rotation) throw new RscmError('INTERNAL', 'The key change was finished or removed by another process.');
	assertLeaseFree(rotation, leaseOwner);
	if (rotation.toVersion !== keys.toVersion) throw new RscmError('INTERNAL', 'Another key change replaced this one.');
	const envelopes = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
	let replaced = 0;
	for (let start = 0; start < batch.ids.length; start += slice) {
		if (start > 0) await setImmediatePromise();
		const updates: Array<{id: number; ciphertext: Uint8Array}> = [];
		for (let index = start; index < Math.min(batch.ids.length, start + slice); index++) {
			updates.push({id: batch.ids[index]!, ciphertext: envelopes.subarray(index === 0 ? 0 : batch.ends[index - 1], batch.ends[index])});
		}

		// Replaces only rows still under the old version: one a user rewrote since it was read is left as written.
		replaced += await tx.replaceSecretCiphertexts(rotation.fromVersion, rotation.toVersion, updates);
	}

	const next: RotationRow = {
		...rotation,
		done: Math.min(rotation.total, rotation.done + replaced),
		lastId: Math.max(rotation.lastId, batch.lastId),
		...lease(leaseOwner),
	};
	await tx.putRotation(next);
	return next;
}

/**
 * The worker threads that do a rotation's crypto (source/core/reencrypt-worker.ts), so that it runs on the other
 * cores while the main thread reads and writes the catalog. Started on the first batch; the keys cross once to each,
 * in a buffer transferred to it (this thread keeps no copy of that buffer), and each zeroes them on close. Batches go
 * round-robin: they are the same size, so each worker is as busy as the other. close() runs however the rotation
 * ends, so no thread outlives it.
 */
class ReencryptionThreads {
	readonly count: number;
	/** The workers' busy time summed, in milliseconds, as each measured it around its batches. */
	busyMilliseconds = 0;
	readonly #keys: () => RotationKeys;
	readonly #workers: Worker[] = [];
	readonly #exited: Array<Promise<void>> = [];
	#batch = 0;
	readonly #waiting = new Map<number, {resolve: (envelopes: Uint8Array) => void; reject: (error: Error) => void}>();
	#failure: Error | undefined;
	/** Batch buffers back from their commits, for the next reads (see buffer()). */
	readonly #spare: ArrayBuffer[] = [];

	constructor(keys: () => RotationKeys, count: number) {
		this.#keys = keys;
		this.count = count;
	}

	/**
	 * A buffer for a batch of `length` bytes. The same few buffers go round — packed by readBatch, re-encrypted in
	 * place by a worker and sent back, committed, handed back by recycle() — instead of two new ones per batch. The
	 * main thread's heap is small, so V8 collects its old space rarely, and every batch buffer that outlived a young
	 * collection waited for that outside the heap: tens of MiB more at 1,000,000 values than at 100,000.
	 */
	buffer(length: number): Uint8Array<ArrayBuffer> {
		const index = this.#spare.findIndex(spare => spare.byteLength >= length);
		// A quarter to spare: the next batches' values are a few bytes longer or shorter, not a different size.
		const spare = index === -1 ? new ArrayBuffer(Math.ceil(length * 1.25)) : this.#spare.splice(index, 1)[0]!;
		return new Uint8Array(spare, 0, length);
	}

	/** A committed batch's buffer, for a later batch: as many as are in flight at once are kept. */
	recycle(envelopes: Uint8Array): void {
		if (envelopes.buffer instanceof ArrayBuffer && this.#spare.length <= this.count) this.#spare.push(envelopes.buffer);
	}

	async run(batch: Omit<WorkerBatch, 'type' | 'batch'>): Promise<Uint8Array> {
		if (this.#workers.length === 0) this.#start();
		if (this.#failure) throw this.#failure;
		const id = ++this.#batch;
		const worker = this.#workers[id % this.#workers.length]!;
		return new Promise((resolve, reject) => {
			this.#waiting.set(id, {resolve, reject});
			worker.postMessage({type: 'batch', batch: id, ...batch} satisfies WorkerBatch, [batch.envelopes.buffer]);
		});
	}

	async close(): Promise<void> {
		const workers = this.#workers.splice(0);
		for (const worker of workers) {
			worker.postMessage({type: 'end'} satisfies WorkerRequest);
			// The worker zeroes its keys and exits on 'end'; terminate() is the backstop if it does not within a second.
			const timer = setTimeout(() => void worker.terminate(), 1000);
			worker.once('exit', () => clearTimeout(timer));
		}

		await Promise.all(this.#exited);
	}

	#start(): void {
		const keys = this.#keys();
		const fail = (error: Error) => {
			this.#failure ??= error;
			for (const waiting of this.#waiting.values()) waiting.reject(error);
			this.#waiting.clear();
		};

		for (let index = 0; index < this.count; index++) {
			const worker = startWorker();
			this.#exited.push(new Promise<void>(resolve => worker.once('exit', () => resolve())));
			worker.on('message', (answer: WorkerAnswer) => {
				const waiting = this.#waiting.get(answer.batch);
				this.#waiting.delete(answer.batch);
				if (answer.type === 'batch') {
					this.busyMilliseconds += answer.busyMilliseconds;
					waiting?.resolve(answer.envelopes);
				} else waiting?.reject(new RscmError(answer.code, answer.message, {hint: answer.hint}));
			});
			worker.on('error', error => fail(new RscmError('INTERNAL', `The key change's worker thread failed: ${error.message}`, {cause: error})));
			worker.on('exit', () => fail(new RscmError('INTERNAL', "The key change's worker thread stopped.")));
			// A fresh buffer of its own (a Buffer.from copy may sit in Node's shared pool): transferred, so it leaves this
			// thread; the copies in `keys` are zeroed by changeKey when the rotation ends.
			const both = new Uint8Array(64);
			both.set(keys.from, 0);
			both.set(keys.to, 32);
			worker.postMessage({type: 'keys', catalogId: keys.catalogId, toVersion: keys.toVersion, keys: both} satisfies WorkerKeys, [both.buffer]);
			this.#workers.push(worker);
		}
	}
}

/**
 * In the bundle (scripts/build.js) the worker is the entry dist/reencrypt-worker.js, and this code sits in
 * dist/cli.js, dist/rskeymgmt.js or a chunk in dist/chunks/. Under tsx (tests, bench) this module is
 * source/core/key-change.ts and the worker its sibling .ts file; a worker thread does not inherit the main thread's
 * module hooks, so it registers tsx itself before importing the worker.
 */
function startWorker(): Worker {
	// The worker's garbage is short-lived (cipher objects, one envelope per value) and it holds at most two batches
	// (well under 1 MiB): small heap limits keep it, and the rotation's peak RSS, from growing by the default
	// semi-spaces' and lazily collected old space's tens of MiB.
	return startSiblingWorker(import.meta.url, 'reencrypt-worker', {maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24});
}

async function retireOldVersion(tx: CatalogTx, keyring: Keyring, holder: KeyHolder, rotation: RotationRow): Promise<string> {
	// Run again after the connection dropped during its COMMIT (retryDroppedConnection): if that commit went through,
	// the rotation is gone and the old version retired. Done; nothing is retired, resealed or audited twice.
	const retired = keyring.versions.find(row => row.version === rotation.fromVersion)?.state === 'retired';
	const promoted = keyring.versions.find(row => row.version === rotation.toVersion && row.state === 'primary');
	if (retired && promoted && !(await tx.getRotation())) return promoted.fingerprint;
	const remaining = await tx.countSecrets({keyVersion: rotation.fromVersion});
	const toRow = keyring.versions.find(row => row.version === rotation.toVersion);
	if (remaining > 0 || !toRow || !verifyKeyCheckValue(keyFor(keyring, rotation.toVersion), keyring.catalogId, toRow.version, toRow.keyCheck)) {
		throw new RscmError('INTERNAL', `Key change check failed: ${remaining} values still use version ${rotation.fromVersion}. Nothing was retired.`, {
			hint: 'Run the key change again to resume it.',
		});
	}

	await tx.updateKeyVersion(rotation.fromVersion, {state: 'retired', retiredAt: new Date().toISOString()});
	await tx.deleteWrappedKeys({version: rotation.fromVersion});
	await tx.putRotation(undefined);
	await resealKeyring(tx, holder, keyring);
	const fromRow = keyring.versions.find(row => row.version === rotation.fromVersion);
	await audit(tx, holder.installationId, 'change', [fromRow?.fingerprint ?? '', toRow.fingerprint], `${rotation.done} values re-encrypted; version ${rotation.fromVersion} retired`, signerOf(keyring, holder));
	return toRow.fingerprint;
}

function lease(owner: string): Pick<RotationRow, 'leaseOwner' | 'leaseExpiresAt'> {
	return {leaseOwner: owner, leaseExpiresAt: new Date(Date.now() + leaseMilliseconds).toISOString()};
}

/**
 * A rotation belongs to whoever holds a live lease. A lease is dead when it expired, or when it names a process on
 * this machine that no longer exists (so a killed `rscm key change` can be resumed at once, not 30 s later).
 */
function assertLeaseFree(rotation: RotationRow, owner: string): void {
	if (!rotation.leaseOwner || rotation.leaseOwner === owner) return;
	if (!rotation.leaseExpiresAt || Date.parse(rotation.leaseExpiresAt) < Date.now()) return;
	const match = /@(.+):(\d+):[\da-f]+$/.exec(rotation.leaseOwner);
	if (match && match[1] === os.hostname() && !processAlive(Number(match[2]))) return;
	throw new RscmError('BUSY', `Another key change is running (${formatCount(rotation.done)} of ${formatCount(rotation.total)} values done).`, {
		hint: 'Wait for it to finish; if its process died, run the key change again after 30 seconds to take it over.',
	});
}

/**
 * Connection failures of the catalog (isConnectionFailure: a PostgreSQL backend terminated, the server restarted or
 * failed over) do not stop a rotation: the step is run again after a short pause, at most five times (7.75 s in all,
 * well inside the 30 s lease). Only steps that are idempotent by construction go through here: reading a batch
 * changes nothing; commitBatch re-reads the rotation row and replaces only rows still under the old version, so a
 * batch whose COMMIT outcome was unknown, committed again, replaces nothing twice and counts nothing twice (the
 * same envelopes, so no new nonce either); retireOldVersion returns at once when an earlier attempt committed.
 * Starting a rotation is not retried (a second key version if the first COMMIT went through): it stops, and the
 * rerun resumes.
 */
const reconnectDelays = [250, 500, 1000, 2000, 4000];

async function retryDroppedConnection<T>(step: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await step();
		} catch (error) {
			if (!isConnectionFailure(error) || attempt >= reconnectDelays.length || signal?.aborted) throw error;
			// Ctrl+C ends the pause early; the connection failure is then what stopped the rotation.
			await sleep(reconnectDelays[attempt], undefined, signal ? {signal} : undefined).catch(() => undefined);
			if (signal?.aborted) throw error;
		}
	}
}

/**
 * A rotation that stopped on an error gives its lease back (best effort), so that running the key change again at
 * once resumes it — in this process too (the Configuration Manager), where a live pid would otherwise keep the lease
 * for 30 s. Not after CANCELLED (released already) or BUSY (the lease is someone else's, or the lock is contended).
 */
async function releaseLeaseAfterFailure(session: Session, owner: string, error: unknown): Promise<void> {
	if (isRscmError(error, 'CANCELLED') || isRscmError(error, 'BUSY')) return;
	await releaseLease(session, owner).catch(() => undefined);
}

async function releaseLease(session: Session, owner: string): Promise<void> {
	await session.catalog.write(async tx => {
		const rotation = await tx.getRotation();
		if (rotation?.leaseOwner === owner) await tx.putRotation({...rotation, leaseOwner: undefined, leaseExpiresAt: undefined});
	});
}

function progressOf(rotation: RotationRow): ChangeProgress {
	return {fromVersion: rotation.fromVersion, toVersion: rotation.toVersion, done: rotation.done, total: rotation.total};
}

function fingerprintsOf(keyring: Keyring, rotation: RotationRow): string[] {
	return [rotation.fromVersion, rotation.toVersion].map(version => keyring.versions.find(row => row.version === version)?.fingerprint ?? '');
}

/** The pending rotation, if any, for the Status page and for `rscm key change` to say it resumes. */
export async function pendingRotation(session: Session): Promise<RotationRow | undefined> {
	if (!(await session.catalog.probe())) return undefined;
	return session.catalog.read(async tx => tx.getRotation());
}

