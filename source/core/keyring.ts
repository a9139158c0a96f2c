import {randomBytes} from 'node:crypto';
import type {CatalogTx, KeyringSealRow, KeyVersionRow, WriteOptions} from '../catalog/catalog.ts';
import type {Identity} from '../instance/identity-file.ts';
import type {InstanceState} from '../instance/instance-state.ts';
import type {TrustFile, TrustHead} from '../instance/trust-head.ts';
import {audit, type AuditHead, type AuditSigner} from './audit.ts';
import {RscmError} from '../errors.ts';
import {fingerprintKey, keyCheckValue, verifyKeyCheckValue} from './fingerprint.ts';
import {unwrapKey, wrapKey} from './key-wrap.ts';
import {keyMatchesSeal, primaryOf, sealFindings, trustedHead, verifySeal, writeSeal, type SealBody, type SealVerdict} from './keyring-seal.ts';
import {installationIdOf, loadIdentity, type Session} from './session.ts';

/**
 * The unlocked keyring of one instance: every live key version, opened with the instance's identity and checked
 * against the keyring seal (keyring-seal.ts). Live means primary, or active (a rotation is still moving values off
 * it). Callers must call `close()` so the key bytes are zeroed as soon as the operation ends.
 */
export type Keyring = {
	catalogId: string;
	primary: {version: number; key: Buffer; fingerprint: string};
	keys: Map<number, Buffer>;
	versions: KeyVersionRow[];
	/** The verified seal; undefined only for a catalog sealed by no one yet (before the upgrade, see SECURITY.md). */
	seal: SealBody | undefined;
	/** Sequence of the seal record in the catalog (0: none). */
	sealSequence: number;
	close(): void;
};

/**
 * Who opens the keyring: this instance's id and identity, and what it trusted before (its trust file, read before
 * the transaction). The transaction leaves in `nextHead` what the instance trusts now; `saveTrust` writes it after
 * the commit — never before, or a transaction that rolled back would leave a head no seal in the catalog reaches.
 */
export type KeyHolder = {
	installationId: string;
	/** Where the trust heads are read and written. */
	instance: InstanceState;
	identity: Identity | undefined;
	trust: TrustFile;
	nextHead?: {catalogId: string; head: TrustHead} | undefined;
	/** Set when this transaction signed an audit entry: saved into the trust head with it. */
	auditHead?: {catalogId: string; head: AuditHead} | undefined;
	/** `rscm key accept`: the primary key fingerprint the admin compared with a joined server's Status page. */
	acceptFingerprint?: string | undefined;
};

export async function keyHolder(session: Session): Promise<KeyHolder> {
	return {
		installationId: installationIdOf(session),
		instance: session.instance,
		identity: await loadIdentity(session),
		trust: await session.instance.readTrust(),
	};
}

export async function saveTrust(session: Session, holder: KeyHolder): Promise<void> {
	const updates: Record<string, TrustHead> = {};
	if (holder.nextHead) {
		const {catalogId, head} = holder.nextHead;
		const before = holder.trust.catalogs[catalogId];
		// A newer seal does not forget the audit head.
		updates[catalogId] = head.state === 'trusted' && before?.state === 'trusted' ? {auditHead: before.auditHead, ...head} : head;
	}

	if (holder.auditHead) {
		const {catalogId, head} = holder.auditHead;
		const base = updates[catalogId] ?? holder.trust.catalogs[catalogId];
		if (base?.state === 'trusted') updates[catalogId] = {...base, auditHead: head};
	}

	holder.nextHead = undefined;
	holder.auditHead = undefined;
	if (Object.keys(updates).length === 0) return;
	await session.instance.writeTrustHeads(updates);
	holder.trust = {...holder.trust, catalogs: {...holder.trust.catalogs, ...updates}};
}

/** Audit entries written with the keyring are signed by its primary version, and become this instance's audit head. */
export function signerOf(keyring: Keyring, holder: KeyHolder): AuditSigner {
	return signerFor(holder, keyring.catalogId, keyring.primary.version, keyring.primary.key);
}

/** The same for a key at hand outside an unlocked keyring (init, Delete Encrypted Content, restore). */
export function signerFor(holder: KeyHolder, catalogId: string, version: number, key: Uint8Array): AuditSigner {
	return {
		catalogId,
		version,
		key,
		onWritten(head) {
			holder.auditHead = {catalogId, head};
		},
	};
}

/**
 * The usual way to work with the keyring: one transaction (read or write) with the keyring unlocked and verified,
 * then the trust head saved. A write on a catalog that no one has sealed yet seals it first (the upgrade).
 */
export async function keyringTransaction<T>(
	session: Session,
	mode: 'read' | 'write',
	work: (tx: CatalogTx, keyring: Keyring, holder: KeyHolder) => Promise<T>,
	options?: WriteOptions & UnlockOptions & {holder?: KeyHolder},
): Promise<T> {
	const holder = options?.holder ?? (await keyHolder(session));
	const run = async (tx: CatalogTx) =>
		withKeyring(
			tx,
			holder,
			async keyring => {
				if (mode === 'write' && keyring.seal === undefined) await upgradeSeal(tx, holder, keyring);
				return work(tx, keyring, holder);
			},
			{readingOnly: mode === 'read' && options?.readingOnly},
		);
	const result = mode === 'write' ? await session.catalog.write(run, options) : await session.catalog.read(run);
	await saveTrust(session, holder);
	return result;
}

/**
 * First use of a catalog that was never sealed, by an instance that kept no trust head (both made by an rscm before
 * the seal existed): the keyring it holds, whose keys passed their key checks, is sealed as it stands. This is the
 * one point where an instance trusts the catalog's word (trust on first use), recorded in the audit log.
 */
async function upgradeSeal(tx: CatalogTx, holder: KeyHolder, keyring: Keyring): Promise<void> {
	await resealKeyring(tx, holder, keyring);
	await audit(tx, holder.installationId, 'keyring-upgrade', [keyring.primary.fingerprint], `keyring sealed (seal ${keyring.sealSequence})`, signerOf(keyring, holder));
}

/** Seals the tables as this transaction left them; see writeSeal. `extra` holds keys and endorsements made here. */
export async function resealKeyring(
	tx: CatalogTx,
	holder: KeyHolder,
	keyring: Keyring,
	extra: {keys?: ReadonlyMap<number, Uint8Array>; endorsements?: ReadonlyMap<number, string>} = {},
): Promise<void> {
	const body = await writeSeal(tx, {
		catalogId: keyring.catalogId,
		sealedBy: holder.installationId,
		previous: keyring.seal,
		previousSequence: keyring.sealSequence,
		keys: new Map<number, Uint8Array>([...keyring.keys, ...(extra.keys ?? [])]),
		endorsements: extra.endorsements,
	});
	keyring.seal = body;
	keyring.sealSequence = body.sequence;
	holder.nextHead = {catalogId: keyring.catalogId, head: trustedHead(body)};
}

/** A new origin (init, Delete Encrypted Content): sealed with only `keys`. */
export async function sealOrigin(tx: CatalogTx, holder: KeyHolder, catalogId: string, keys: ReadonlyMap<number, Uint8Array>): Promise<SealBody> {
	const previousSequence = (await tx.getKeyringSeal())?.sequence ?? 0;
	const body = await writeSeal(tx, {catalogId, sealedBy: holder.installationId, previous: undefined, previousSequence, keys});
	await recordOwnSeal(holder, catalogId, body);
	return body;
}

/**
 * A seal this instance wrote that nothing it trusted endorses (an origin, or a restore's): recorded as pending in the
 * trust file now, before the commit, so that a crash between the commit and saveTrust cannot leave the instance
 * unable to trust its own key; promoted to the head by saveTrust, or by the next unlock that finds it in the catalog.
 */
export async function recordOwnSeal(holder: KeyHolder, catalogId: string, body: SealBody): Promise<void> {
	const head = trustedHead(body);
	const pending = {version: head.version, verifyingKey: head.verifyingKey, keyFingerprint: head.keyFingerprint, sealSequence: head.sealSequence};
	const current = holder.trust.catalogs[catalogId] ?? {state: 'awaiting' as const, since: new Date().toISOString()};
	await holder.instance.writeTrustHeads({[catalogId]: {...current, pending}});
	holder.nextHead = {catalogId, head};
}

export function liveVersions(versions: KeyVersionRow[]): KeyVersionRow[] {
	return versions.filter(row => row.state !== 'retired');
}

export function primaryVersion(versions: KeyVersionRow[]): KeyVersionRow | undefined {
	return versions.find(row => row.state === 'primary');
}

export type UnlockOptions = {
	/**
	 * Only to decrypt values (`datasource show`, readers): a seal this instance trusts still says which keys are the
	 * deployment's when the tables disagree with it, so values under those keys stay readable. Everything that
	 * writes, wraps, re-encrypts or hands out a key leaves this off and is refused.
	 */
	readingOnly?: boolean;
};

export async function unlockKeyring(tx: CatalogTx, holder: KeyHolder, options: UnlockOptions = {}): Promise<Keyring> {
	const {installationId, identity} = holder;
	const {catalogId} = await tx.getInfo();
	const instance = await tx.getInstance(installationId);
	if (!instance) {
		throw new RscmError('NOT_INITIALIZED', 'This instance is not registered in the catalog.', {
			hint: 'Run `rscm init` to register it (it was removed, or the catalog changed).',
		});
	}

	let versions = await tx.listKeyVersions();
	let live = liveVersions(versions);
	const wrapped = new Map((await tx.listWrappedKeys(installationId)).map(row => [row.version, row.wrapped]));
	if (live.every(row => !wrapped.has(row.version))) {
		throw new RscmError('WAITING_TO_JOIN', 'This instance is waiting to join and holds no copy of the key.', {
			hint: 'On a joined server run `rscm instance add ' + installationId + '`, or restore the key from a backup here.',
		});
	}

	if (!identity) {
		throw new RscmError('KEY_UNAVAILABLE', 'The service identity of this instance is missing, so its copy of the key cannot be opened.', {
			hint: 'Restore the key from a backup: rscm key restore --file PATH.',
		});
	}

	const sealRow = await tx.getKeyringSeal();
	const verified = sealRow && (await verifiedSeal(tx, holder, catalogId, sealRow, versions));
	const seal = verified?.body;
	if (!sealRow && holder.trust.catalogs[catalogId] !== undefined) {
		throw tampered('the keyring seal is missing from the catalog');
	}

	if (verified && verified.findings.length > 0) {
		if (!options.readingOnly) throw tampered(verified.findings.join('; '));
		versions = verified.body.versions.map(sealedVersionRow);
		live = liveVersions(versions);
	}

	const keys = new Map<number, Buffer>();
	try {
		for (const row of live) {
			const copy = wrapped.get(row.version);
			if (!copy) {
				throw new RscmError('KEY_UNAVAILABLE', `This instance holds no copy of key version ${row.version}.`, {
					hint: 'Restore the key from a backup made after that version was created.',
				});
			}

			const key = unwrapKey(copy, identity.privateKey, catalogId, row.version);
			keys.set(row.version, key);
			assertKeyMatchesRecord(key, catalogId, row);
			const sealed = seal?.versions.find(version => version.version === row.version);
			if (seal && (!sealed || !keyMatchesSeal(key, catalogId, sealed))) {
				throw tampered(`this instance's copy of key version ${row.version} is not the key the keyring seal names`);
			}
		}
	} catch (error) {
		for (const key of keys.values()) key.fill(0);
		throw error;
	}

	const primaryRow = primaryVersion(live);
	if (!primaryRow) throw new RscmError('CATALOG_CORRUPT', 'The catalog has no primary key version.');
	const head = holder.trust.catalogs[catalogId];
	if (seal && sealRow && (head?.state !== 'trusted' || head.sealSequence !== sealRow.sequence)) {
		holder.nextHead = {catalogId, head: trustedHead(seal)};
	}

	return {
		catalogId,
		// Computed from the key, not read from the fingerprint column: what the admin compares is the key in use.
		primary: {version: primaryRow.version, key: keys.get(primaryRow.version)!, fingerprint: fingerprintKey(keys.get(primaryRow.version)!)},
		keys,
		versions,
		seal,
		sealSequence: sealRow?.sequence ?? 0,
		close() {
			for (const key of keys.values()) key.fill(0);
		},
	};
}

/** KEYRING_TAMPERED with the reason and the ways out: every refusal of the keyring says the same. */
export function tampered(reason: string): RscmError {
	return new RscmError('KEYRING_TAMPERED', `The keyring does not verify: ${reason}.`, {
		hint:
			'The catalog was edited outside rscm; nothing was read, written or wrapped with it. Restore the key from a backup ' +
			'(rscm key restore --file PATH), or the catalog from a database backup. If an admin really restored an older ' +
			'database, confirm its key with `rscm key accept --fingerprint FP` after comparing FP on a joined server.',
	});
}

/**
 * The seal as this instance can trust it, or the refusal. An instance with no trust head at all (joined by an rscm
 * before the seal) takes a seal that verifies by itself on first use; `rscm key accept` takes one whose primary
 * fingerprint the admin compared, whatever this instance trusted before (the recovery after a rebuilt catalog).
 */
async function verifiedSeal(
	tx: CatalogTx,
	holder: KeyHolder,
	catalogId: string,
	row: KeyringSealRow,
	versions: KeyVersionRow[],
): Promise<{body: SealBody; findings: string[]}> {
	const head = holder.trust.catalogs[catalogId];
	const accepting = holder.acceptFingerprint !== undefined;
	const verdict = accepting ? verifySeal(row, catalogId, undefined) : verifySealFromHead(row, catalogId, head);
	if (verdict.kind === 'tampered') throw tampered(verdict.reason);
	if (verdict.kind === 'unconfirmed') {
		const primary = primaryOf(verdict.body)!;
		const legacy = head === undefined && !accepting;
		const accepted = accepting && holder.acceptFingerprint === primary.fingerprint;
		if (accepting && !accepted) {
			throw new RscmError('INVALID_INPUT', `The primary key in the catalog is ${primary.fingerprint}, not ${holder.acceptFingerprint}; nothing was accepted.`, {
				hint: 'Compare with the Primary key line of `rscm status` on a joined server, and do not accept a key you cannot match.',
			});
		}

		if (!legacy && !accepted) {
			throw new RscmError('KEY_NOT_CONFIRMED', `This server has not confirmed its key: ${verdict.reason}.`, {
				hint: `Compare ${primary.fingerprint} with the Primary key line of \`rscm status\` on a joined server; if they match, run \`rscm key accept --fingerprint ${primary.fingerprint}\`.`,
			});
		}
	}

	const findings = sealFindings(verdict.body, {versions, rotation: await tx.getRotation(), instances: await tx.listInstances()});
	return {body: verdict.body, findings};
}

/** A sealed version as a table row: what a reader goes by when the table was edited. */
function sealedVersionRow(version: SealBody['versions'][number]): KeyVersionRow {
	return {
		version: version.version,
		fingerprint: version.fingerprint,
		keyCheck: Buffer.from(version.keyCheck, 'base64'),
		state: version.state,
		createdAt: version.createdAt,
		backedUpAt: version.backedUpAt,
		retiredAt: version.retiredAt,
	};
}

/** The seal against the trust head, or against the origin this instance sealed just before a crash (PendingOrigin). */
function verifySealFromHead(row: KeyringSealRow, catalogId: string, head: TrustHead | undefined): SealVerdict {
	const verdict = verifySeal(row, catalogId, head);
	const pending = head?.pending;
	if (verdict.kind !== 'unconfirmed' || !pending) return verdict;
	const asHead: TrustHead = {state: 'trusted', ...pending, membershipDigest: '', trustedAt: ''};
	const fromPending = verifySeal(row, catalogId, asHead);
	return fromPending.kind === 'trusted' ? fromPending : verdict;
}

/**
 * A wrapped copy opened, but is it the key the catalog records for that version? Anyone who can write the catalog
 * can wrap a key of their own choosing to this instance's public key (wrapping needs only the public key), so a copy
 * that opens proves nothing by itself. Its key-check value and fingerprint columns must agree with the key.
 */
function assertKeyMatchesRecord(key: Buffer, catalogId: string, row: KeyVersionRow): void {
	if (verifyKeyCheckValue(key, catalogId, row.version, row.keyCheck) && fingerprintKey(key) === row.fingerprint) return;
	throw tampered(`this instance's copy of key version ${row.version} is not the key the catalog records for that version`);
}

/** Runs `work` with an unlocked keyring and zeroes it afterwards, whatever happens. */
export async function withKeyring<T>(
	tx: CatalogTx,
	holder: KeyHolder,
	work: (keyring: Keyring) => Promise<T>,
	options: UnlockOptions = {},
): Promise<T> {
	const keyring = await unlockKeyring(tx, holder, options);
	try {
		return await work(keyring);
	} finally {
		keyring.close();
	}
}

export function keyFor(keyring: Keyring, version: number): Buffer {
	const key = keyring.keys.get(version);
	if (!key) throw new RscmError('KEY_UNAVAILABLE', `Key version ${version} is not live in this catalog.`);
	return key;
}

/** A new random key version; the caller inserts the row and wraps the key. */
export function createKeyVersion(catalogId: string, version: number, state: KeyVersionRow['state']): {key: Buffer; row: KeyVersionRow} {
	const key = randomBytes(32);
	return {
		key,
		row: {
			version,
			fingerprint: fingerprintKey(key),
			keyCheck: keyCheckValue(key, catalogId, version),
			state,
			createdAt: new Date().toISOString(),
			backedUpAt: undefined,
			retiredAt: undefined,
		},
	};
}

export function nextVersionNumber(versions: KeyVersionRow[]): number {
	// Versions are never reused, even after Delete encrypted content, so an old backup cannot pass for a new key.
	return versions.reduce((max, row) => Math.max(max, row.version), 0) + 1;
}

export async function wrapForInstance(
	tx: CatalogTx,
	catalogId: string,
	installationId: string,
	publicKey: Uint8Array,
	version: number,
	key: Uint8Array,
): Promise<void> {
	await tx.putWrappedKey({installationId, version, wrapped: wrapKey(key, publicKey, catalogId, version)});
}
