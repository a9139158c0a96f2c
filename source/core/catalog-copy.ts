import {createHash, type Hash} from 'node:crypto';
import type {Catalog, CatalogCounts, CatalogTx, KeyringSealRow, SecretRow} from '../catalog/catalog.ts';
import {catalogCopyTargets, normalizeCatalogLocation} from '../catalog/catalog-kinds.ts';
import {openCatalog} from '../catalog/open-catalog.ts';
import {isConnectionFailure, markConnectionFailure} from '../catalog/schema.ts';
import {appendAuditEntry, auditFailure} from './audit.ts';
import {RscmError, isRscmError, type Progress} from '../errors.ts';
import {keyHolder, unlockKeyring, withKeyring, type KeyHolder} from './keyring.ts';
import {readSecret} from './secret-values.ts';
import type {Session} from './session.ts';

export type CopyPhase = 'copying' | 'verifying';

/** Encrypted values copied (copying) or decrypted (verifying) so far, of all of them. */
export type CopyProgress = Progress & {
	phase: CopyPhase;
};

export type CopyCatalogOptions = {
	/** Rows read and inserted per statement. Memory stays bounded by this, whatever the size of the catalog. */
	batchSize?: number | undefined;
	onProgress?: ((progress: CopyProgress) => void) | undefined;
	/** Stops before the next batch; nothing is committed to the target. */
	signal?: AbortSignal | undefined;
	/**
	 * The instance whose keyring verifies the copy when `source` is a bare catalog. With a session, the session's
	 * instance is used. Without either, the copy is checked by counts and a digest of every ciphertext only.
	 */
	verifyWith?: KeyHolder | undefined;
};

export type CopyCatalogResult = {
	catalogId: string;
	from: {kind: string; location: string};
	to: {kind: string; location: string; serverVersion: string};
	counts: CatalogCounts;
	/** Values that decrypted in the target with this instance's keyring; undefined when no keyring verified. */
	decrypted: number | undefined;
	/** Values that need re-entry (erased by Delete encrypted content): copied as such, nothing to decrypt. */
	needsReentry: number;
	pendingRotation: boolean;
};

const defaultBatchSize = 500;

/**
 * `rscm catalog copy`: moves a deployment from one catalog to another — SQLite to PostgreSQL when it outgrows one
 * machine, and back — with everything that makes it the same catalog: its id (every ciphertext's associated data
 * and every wrapped key is bound to it), the keyring (versions, key-check values, wrapped copies), the instances,
 * every encrypted value byte for byte (the associated data names kind, owner and field, never a row id, so nothing
 * is re-encrypted), data sources, subscriptions, settings, a pending key change, the keyring seal and the audit log.
 *
 * - The source is read in ONE read transaction, a consistent snapshot (SQLite WAL snapshot, PostgreSQL REPEATABLE
 *   READ), paged by key, so a key change or an edit on another server during the copy cannot tear it. Changes made
 *   to the source after the copy started are not in the copy: stop the report servers first.
 * - The target is written in ONE write transaction, in batches of `batchSize` rows per statement: a failure or
 *   Ctrl+C leaves the target without data (only an empty, schema-only catalog with the source's id, which a new
 *   copy accepts), never half a catalog that servers could start to use.
 * - A target that already holds a catalog is refused (CATALOG_EXISTS): copy never merges or overwrites.
 * - Afterwards the target is opened with this instance's keyring, in a new transaction: every value must decrypt,
 *   the counts of every table, a digest of every ciphertext and the keyring seal must match the source.
 */
export async function copyCatalog(
	source: Session | Catalog,
	to: string | Catalog,
	options: CopyCatalogOptions = {},
): Promise<CopyCatalogResult> {
	const sourceCatalog = isSession(source) ? source.catalog : source;
	const verifier = isSession(source) ? await sessionVerifier(source) : options.verifyWith;
	const target = typeof to === 'string' ? await openCatalog(normalizeCatalogLocation(to)) : to;
	const batchSize = Math.max(1, options.batchSize ?? defaultBatchSize);
	try {
		const sourceInfo = await sourceCatalog.probe();
		if (!sourceInfo) {
			throw new RscmError('CATALOG_NOT_FOUND', `No catalog at ${sourceCatalog.location} to copy.`, {
				hint: 'Pass --catalog with the location of the catalog to copy.',
			});
		}

		if (sameLocation(sourceCatalog, target)) {
			throw new RscmError('CATALOG_EXISTS', `The target ${target.location} is the catalog being copied.`, {
				hint: `Give --to ${catalogCopyTargets()} that holds no catalog.`,
			});
		}

		// Before any work: a copy that could not be verified by this instance is refused up front, not after it ran.
		if (verifier) {
			await sourceCatalog.read(async tx => {
				(await unlockKeyring(tx, verifier)).close();
			});
		}

		await assertTargetUsable(target, sourceInfo.catalogId);
		const created = await target.create({catalogId: sourceInfo.catalogId, createdAt: sourceInfo.createdAt});
		if (created.catalogId !== sourceInfo.catalogId) throw catalogExists(target.location);

		const copied = await sourceCatalog.read(async sourceTx =>
			target.write(async targetTx => copyInTransactions(sourceTx, targetTx, batchSize, options)),
		);

		const detail = `${copied.counts.secrets} values, ${copied.counts.instances} instances`;
		const {verified, toInfo} = await committedCopy(target, async () => {
			const verified = await verify(target, copied, batchSize, verifier, options);
			const toInfo = await target.probe();
			await recordCopy(target, verifier?.installationId, `from ${sourceCatalog.location}: ${detail}`);
			return {verified, toInfo};
		});
		// The source may be read-only (a frozen SQLite file being moved): its audit entry must not fail a good copy.
		await recordCopy(sourceCatalog, verifier?.installationId, `to ${target.location}: ${detail}`).catch(() => undefined);
		return {
			catalogId: sourceInfo.catalogId,
			from: {kind: sourceCatalog.kind, location: sourceCatalog.location},
			to: {kind: target.kind, location: target.location, serverVersion: toInfo?.serverVersion ?? ''},
			counts: copied.counts,
			decrypted: verified.decrypted,
			needsReentry: verified.needsReentry,
			pendingRotation: copied.counts.rotation > 0,
		};
	} catch (error) {
		if (!isRscmError(error, 'CATALOG_EXISTS')) await auditFailure(sourceCatalog, verifier?.installationId, 'catalog-copy', codeOf(error));
		throw error;
	} finally {
		if (typeof to === 'string') await target.close();
	}
}

/**
 * The steps after the copy committed in the target. If the target's connection drops there, the target holds the
 * whole copy, unverified, and running the copy again would meet CATALOG_EXISTS: the error says so, and what to do.
 */
async function committedCopy<T>(target: Catalog, steps: () => Promise<T>): Promise<T> {
	try {
		return await steps();
	} catch (error) {
		if (!isConnectionFailure(error)) throw error;
		throw markConnectionFailure(
			new RscmError('CATALOG_UNAVAILABLE', `${(error as RscmError).message} The copy was written to ${target.location} but not verified.`, {
				cause: error,
				hint:
					'Point no server at it. Once the server answers, drop it (DROP SCHEMA name CASCADE in PostgreSQL, DROP ' +
					'DATABASE name in MariaDB, or delete the SQLite file) and run the copy again.',
			}),
		);
	}
}

function isSession(value: Session | Catalog): value is Session {
	return 'catalog' in value && 'settings' in value;
}

async function sessionVerifier(session: Session): Promise<KeyHolder> {
	const installationId = session.settings.get('installationId');
	if (!installationId) {
		throw new RscmError('NOT_INITIALIZED', `No instance is initialized in ${session.instanceDirectory}.`, {
			hint: 'Run the copy on a joined instance: it proves the copy by decrypting every value with its key.',
		});
	}

	return keyHolder(session);
}

function sameLocation(a: Catalog, b: Catalog): boolean {
	return a.kind === b.kind && a.location === b.location;
}

function catalogExists(location: string): RscmError {
	return new RscmError('CATALOG_EXISTS', `The target ${location} already holds an rscm catalog.`, {
		hint: `Copy into ${catalogCopyTargets()} that holds no catalog; copy never merges or overwrites.`,
	});
}

/**
 * The target may hold nothing, or the empty shell a failed copy of this same catalog left (schema and catalog id,
 * no rows): anything else is someone's catalog.
 */
async function assertTargetUsable(target: Catalog, catalogId: string): Promise<void> {
	const info = await target.probe();
	if (!info) return;
	if (info.catalogId !== catalogId) throw catalogExists(target.location);
	const counts = await target.read(async tx => tx.countRows());
	if (Object.values(counts).some(count => count > 0)) throw catalogExists(target.location);
}

type Copied = {counts: CatalogCounts; digest: string; seal: string | undefined};

async function copyInTransactions(
	from: CatalogTx,
	to: CatalogTx,
	batchSize: number,
	options: CopyCatalogOptions,
): Promise<Copied> {
	// Checked again under the target's write lock: another copy may have filled it since the first check.
	if (Object.values(await to.countRows()).some(count => count > 0)) throw catalogExists((await to.getInfo()).location);
	const expected = await from.countRows();
	const checkAbort = () => {
		if (options.signal?.aborted) {
			throw new RscmError('CANCELLED', 'Catalog copy stopped; nothing was written to the target.', {
				hint: 'Run the copy again: the target is still empty.',
			});
		}
	};

	// Key versions before wrapped keys and instances before wrapped keys: the foreign keys of both backends.
	for (const row of await from.listKeyVersions()) await to.insertKeyVersion(row);
	const instances = await from.listInstances();
	for (const row of instances) await to.insertInstance(row);
	for (const row of instances) {
		for (const wrapped of await from.listWrappedKeys(row.installationId)) await to.putWrappedKey(wrapped);
	}

	await to.putSettings(await from.getSettings());
	for (const row of await from.listSubscriptions()) await to.upsertSubscription(row);

	let afterName: string | undefined;
	for (;;) {
		checkAbort();
		const page = await from.dataSourcesAfter(afterName, batchSize);
		if (page.length === 0) break;
		await to.insertDataSources(page);
		afterName = page.at(-1)!.name;
	}

	const digest = secretDigest();
	let afterId = 0;
	let done = 0;
	options.onProgress?.({phase: 'copying', done, total: expected.secrets});
	for (;;) {
		checkAbort();
		const page = await from.secretsAfter(afterId, batchSize);
		if (page.length === 0) break;
		await to.insertSecrets(page);
		for (const row of page) digest.add(row);
		afterId = page.at(-1)!.id;
		done += page.length;
		options.onProgress?.({phase: 'copying', done, total: expected.secrets});
	}

	let afterAudit = 0;
	for (;;) {
		checkAbort();
		const page = await from.auditAfter(afterAudit, batchSize);
		if (page.length === 0) break;
		await to.insertAuditEntries(page);
		afterAudit = page.at(-1)!.id;
	}

	// Last, so the copy carries the rotation exactly as the snapshot had it (its lastId names the same row ids), and
	// the keyring seal of that same snapshot: it names the key versions, their states, the rotation and the joined
	// instances just copied. Copied byte for byte, like the wrapped keys.
	await to.putRotation(await from.getRotation());
	const seal = await from.getKeyringSeal();
	await to.putKeyringSeal(seal);

	const counts = await to.countRows();
	assertCountsMatch(expected, counts, 'copied');
	return {counts, digest: digest.hex(), seal: sealDigest(seal)};
}

/** SHA-256 over the seal's fields: the verification compares the target's seal with the source's, not only its count. */
function sealDigest(row: KeyringSealRow | undefined): string | undefined {
	if (!row) return undefined;
	const hash = createHash('sha256');
	const length = Buffer.alloc(4);
	for (const bytes of [Buffer.from(String(row.sequence), 'utf8'), row.body, row.signature]) {
		length.writeUInt32BE(bytes.length);
		hash.update(length).update(bytes);
	}

	return hash.digest('hex');
}

/** SHA-256 over every secret row in id order: proves the target holds the same bytes without keeping them. */
function secretDigest(): {add(row: SecretRow): void; hex(): string} {
	const hash: Hash = createHash('sha256');
	const length = Buffer.alloc(4);
	const field = (value: string | Uint8Array) => {
		const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
		length.writeUInt32BE(bytes.length);
		hash.update(length).update(bytes);
	};

	return {
		add(row) {
			field(String(row.id));
			field(row.kind);
			field(row.owner);
			field(row.field);
			field(row.ciphertext ?? '');
			field(String(row.keyVersion ?? ''));
			field(row.needsReentry ? '1' : '0');
		},
		hex: () => hash.digest('hex'),
	};
}

function assertCountsMatch(expected: CatalogCounts, actual: CatalogCounts, what: string): void {
	const differing = (Object.keys(expected) as Array<keyof CatalogCounts>).filter(name => expected[name] !== actual[name]);
	if (differing.length > 0) {
		const list = differing.map(name => `${name} ${actual[name]} instead of ${expected[name]}`).join(', ');
		throw new RscmError('INTERNAL', `The ${what} catalog does not match the source: ${list}.`, {
			hint: 'Nothing points at the copy yet; drop it and run the copy again.',
		});
	}
}

/** Opens the committed target in a new transaction, as a server would, and proves it holds what the source held. */
async function verify(
	target: Catalog,
	copied: Copied,
	batchSize: number,
	verifier: CopyCatalogOptions['verifyWith'],
	options: CopyCatalogOptions,
): Promise<{decrypted: number | undefined; needsReentry: number}> {
	return target.read(async tx => {
		assertCountsMatch(copied.counts, await tx.countRows(), 'target');
		if (sealDigest(await tx.getKeyringSeal()) !== copied.seal) {
			throw new RscmError('INTERNAL', 'The keyring seal in the target differs from the seal read from the source.', {
				hint: 'Nothing points at the copy yet; drop it and run the copy again.',
			});
		}

		const check = async (decrypt: ((row: SecretRow) => boolean) | undefined) => {
			options.onProgress?.({phase: 'verifying', done: 0, total: copied.counts.secrets});
			const digest = secretDigest();
			let afterId = 0;
			let decrypted = 0;
			let needsReentry = 0;
			for (;;) {
				const page = await tx.secretsAfter(afterId, batchSize);
				if (page.length === 0) break;
				for (const row of page) {
					digest.add(row);
					if (row.ciphertext === undefined) needsReentry++;
					// readSecret throws DECRYPT_FAILED, naming the value, when one does not open.
					else if (decrypt?.(row)) decrypted++;
				}

				afterId = page.at(-1)!.id;
				options.onProgress?.({phase: 'verifying', done: decrypted + needsReentry, total: copied.counts.secrets});
			}

			if (digest.hex() !== copied.digest) {
				throw new RscmError('INTERNAL', 'The values in the target differ from the values read from the source.', {
					hint: 'Nothing points at the copy yet; drop it and run the copy again.',
				});
			}

			return {decrypted: decrypt ? decrypted : undefined, needsReentry};
		};

		if (!verifier) return check(undefined);
		// Unlocking from the TARGET's wrapped keys proves the keyring came across, not just the values.
		return withKeyring(tx, verifier, async keyring =>
			check(row => readSecret(keyring, keyring.catalogId, row) !== undefined),
		);
	});
}

async function recordCopy(catalog: Catalog, installationId: string | undefined, detail: string): Promise<void> {
	await catalog.write(async tx =>
		appendAuditEntry(tx, {installationId, operation: 'catalog-copy', fingerprints: [], outcome: 'success', detail}),
	);
}

function codeOf(error: unknown): string {
	return isRscmError(error) ? error.code : 'INTERNAL';
}
