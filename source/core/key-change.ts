import {randomBytes} from 'node:crypto';
import os from 'node:os';
import {setImmediate as setImmediatePromise, setTimeout as sleep} from 'node:timers/promises';
import type {CatalogTx, RotationRow} from '../catalog/catalog.ts';
import {audit} from './audit.ts';
import {RscmError} from './errors.ts';
import {verifyKeyCheckValue} from './fingerprint.ts';
import {createKeyVersion, keyFor, nextVersionNumber, withKeyring, wrapForInstance, type Keyring} from './keyring.ts';
import {installationIdOf, loadIdentity, type Session} from './session.ts';
import {reencryptValue} from './value-crypto.ts';

export type ChangeProgress = {
	fromVersion: number;
	toVersion: number;
	done: number;
	total: number;
};

export type ChangeKeyOptions = {
	/** Stops cleanly after the current batch; the rotation stays pending and resumes on the next change. */
	signal?: AbortSignal | undefined;
	onProgress?: ((progress: ChangeProgress) => void) | undefined;
	/** Values re-encrypted per transaction: small enough that readers and other writers never wait long. */
	batchSize?: number | undefined;
};

export type ChangeKeyResult = {
	fromVersion: number;
	toVersion: number;
	fingerprint: string;
	reencrypted: number;
	resumed: boolean;
};

/** How long a rotation's lease lasts without a heartbeat; every batch renews it. */
const leaseMilliseconds = 30_000;
/**
 * 2000 values per transaction: half the commits (each an fsync) and half the per-batch bookkeeping of 1000. A batch
 * still holds the write lock for well under 100 ms, and the crypto inside it yields to the event loop every
 * `yieldEvery` values, so the UI's frames never wait for a whole batch.
 */
const defaultBatchSize = 2000;
const yieldEvery = 500;
/**
 * SQLite writers poll for the lock with a backoff of at most 50 ms (SqliteCatalog#withRetry), so a 55 ms pause lets
 * a waiting writer in; once every 2 s (instead of 60 ms every second) that costs under 3% of the rotation instead of
 * 6%, and a waiting writer still gets in within about two seconds. PostgreSQL queues writers on its advisory lock,
 * so it needs no pause.
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
	const identity = await loadIdentity(session);
	// The random part tells two key changes of one process apart (two sessions in one UI, say): only the one that
	// holds the lease may continue; host and pid let another process see that the holder died.
	const leaseOwner = `${installationId}@${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
	const batchSize = options.batchSize ?? defaultBatchSize;

	// A running rotation is visible to a plain read (readers never wait for writers), so a second change refuses at
	// once instead of queueing behind the batches of the first.
	const pending = await session.catalog.read(async tx => tx.getRotation());
	if (pending) assertLeaseFree(pending, leaseOwner);

	// Set inside the first transaction; zeroed below however the rotation ends (even if that commit fails).
	let keys: RotationKeys | undefined;
	let current: RotationRow;
	let resumed: boolean;
	try {
		({rotation: current, resumed} = await session.catalog.write(async tx =>
			withKeyring(tx, installationId, identity, async keyring => {
				const pending = await tx.getRotation();
				if (pending) {
					assertLeaseFree(pending, leaseOwner);
					const taken = {...pending, ...lease(leaseOwner)};
					await tx.putRotation(taken);
					await audit(tx, installationId, 'change-resume', fingerprintsOf(keyring, pending));
					keys = rotationKeys(keyring, taken);
					return {rotation: taken, resumed: true};
				}

				const started = await startRotation(tx, keyring, installationId, leaseOwner);
				keys = started.keys;
				return {rotation: started.rotation, resumed: false};
			}),
		));
		const batchKeys = keys!;
		let busySince = Date.now();
		options.onProgress?.(progressOf(current));
		// The first batch waits for a turn of the event loop too: the transaction above already took a while.
		await setImmediatePromise();
		while (true) {
			if (options.signal?.aborted) {
				await releaseLease(session, leaseOwner);
				throw new RscmError('CANCELLED', `Key change stopped after ${current.done} of ${current.total} values.`, {
					hint: 'Run the key change again to resume where it stopped.',
				});
			}

			const step = await session.catalog.write(async tx => reencryptBatch(tx, batchKeys, leaseOwner, batchSize));
			current = step.rotation;
			options.onProgress?.(progressOf(current));
			if (step.finished) break;
			// The SQLite driver is synchronous: without a turn of the event loop between batches, nothing else in this
			// process (the UI's keys and frames, timers, file reads) would run until the whole rotation ended.
			await setImmediatePromise();
			if (session.catalog.kind === 'sqlite' && Date.now() - busySince >= fairnessInterval) {
				// SQLite has no queue for writers: one that waits polls for the lock, and back-to-back batches would
				// leave it no gap to take it. A pause longer than its longest poll interval, once a second, lets other
				// writers in (an admin saving a data source during a rotation) for a few percent of the rotation's time.
				await sleep(fairnessPause);
				busySince = Date.now();
			}
		}
	} finally {
		keys?.from.fill(0);
		keys?.to.fill(0);
	}

	const fingerprint = await session.catalog.write(async tx =>
		withKeyring(tx, installationId, identity, async keyring => retireOldVersion(tx, keyring, installationId, current)),
	);
	return {fromVersion: current.fromVersion, toVersion: current.toVersion, fingerprint, reencrypted: current.done, resumed};
}

async function startRotation(
	tx: CatalogTx,
	keyring: Keyring,
	installationId: string,
	leaseOwner: string,
): Promise<{rotation: RotationRow; keys: RotationKeys}> {
	const fromVersion = keyring.primary.version;
	const toVersion = nextVersionNumber(keyring.versions);
	const {key, row} = createKeyVersion(keyring.catalogId, toVersion, 'primary');
	// The new key is not in the keyring unlocked before it existed: the batches get their own copy of it.
	const keys: RotationKeys = {catalogId: keyring.catalogId, from: Buffer.from(keyFor(keyring, fromVersion)), to: Buffer.from(key), toVersion};
	try {
		await tx.updateKeyVersion(fromVersion, {state: 'active'});
		await tx.insertKeyVersion(row);
		for (const instance of await tx.listInstances()) {
			if (instance.joinedAt === undefined) continue;
			await wrapForInstance(tx, keyring.catalogId, instance.installationId, instance.publicKey, toVersion, key);
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
		await audit(tx, installationId, 'change-start', [keyring.primary.fingerprint, row.fingerprint], `version ${fromVersion} → ${toVersion}`);
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

async function reencryptBatch(
	tx: CatalogTx,
	keys: RotationKeys,
	leaseOwner: string,
	batchSize: number,
): Promise<{rotation: RotationRow; finished: boolean}> {
	const rotation = await tx.getRotation();
	if (!rotation) throw new RscmError('INTERNAL', 'The key change was finished or removed by another process.');
	assertLeaseFree(rotation, leaseOwner);
	if (rotation.toVersion !== keys.toVersion) throw new RscmError('INTERNAL', 'Another key change replaced this one.');
	let rows = await tx.secretsBatch(rotation.fromVersion, rotation.lastId, batchSize);
	// Values below lastId still under the old version (none, unless a pass was interrupted oddly): sweep them too.
	if (rows.length === 0 && rotation.lastId > 0) rows = await tx.secretsBatch(rotation.fromVersion, 0, batchSize);
	if (rows.length === 0) return {rotation, finished: true};

	const location = {catalogId: keys.catalogId, kind: '', owner: '', field: ''};
	const updates: Array<{id: number; ciphertext: Uint8Array}> = [];
	for (const row of rows) {
		// A turn of the event loop inside the transaction: the write lock is held a little longer, but the process
		// (the UI) never waits for a whole batch of crypto.
		if (updates.length > 0 && updates.length % yieldEvery === 0) await setImmediatePromise();
		location.kind = row.kind;
		location.owner = row.owner;
		location.field = row.field;
		updates.push({id: row.id, ciphertext: reencryptValue(keys.from, keys.to, rotation.toVersion, location, row.ciphertext!)});
	}
	const replaced = await tx.replaceSecretCiphertexts(rotation.fromVersion, rotation.toVersion, updates);
	const next: RotationRow = {
		...rotation,
		done: Math.min(rotation.total, rotation.done + replaced),
		lastId: rows.at(-1)!.id,
		...lease(leaseOwner),
	};
	await tx.putRotation(next);
	return {rotation: next, finished: false};
}

async function retireOldVersion(tx: CatalogTx, keyring: Keyring, installationId: string, rotation: RotationRow): Promise<string> {
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
	const fromRow = keyring.versions.find(row => row.version === rotation.fromVersion);
	await audit(tx, installationId, 'change', [fromRow?.fingerprint ?? '', toRow.fingerprint], `${rotation.done} values re-encrypted; version ${rotation.fromVersion} retired`);
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
	throw new RscmError('BUSY', `Another key change is running (${rotation.done} of ${rotation.total} values done).`, {
		hint: 'Wait for it to finish; if its process died, run the key change again after 30 seconds to take it over.',
	});
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
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

