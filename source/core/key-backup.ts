import path from 'node:path';
import type {KeyVersionRow} from '../catalog/catalog.ts';
import {audit, auditFailure} from './audit.ts';
import {decodeBackup, encodeBackup} from './backup/backup-codec.ts';
import {assertBackupTarget, readBackupFile, writeBackupFile} from './backup/backup-file.ts';
import type {BackupContents} from './backup/payload.ts';
import {isRscmError, RscmError} from '../errors.ts';
import {fingerprintKey, verifyKeyCheckValue} from './fingerprint.ts';
import {keyHolder, keyringTransaction, liveVersions, recordOwnSeal, resealKeyring, saveTrust, signerFor, signerOf, wrapForInstance} from './keyring.ts';
import {primaryOf, sealSignedBy, writeSeal} from './keyring-seal.ts';
import {assertBackupPassword} from './password-policy.ts';
import {installationIdOf, loadIdentity, type Session} from './session.ts';
import {checkSize, inputLimits} from './input-limits.ts';

export const backupExtension = '.snk';

/** The File Location SSRS would suggest: rskey-<instance>-<yyyymmdd>.snk in the current directory. */
export function suggestedBackupFile(instanceName: string, now = new Date(), directory = process.cwd()): string {
	const day = now.toISOString().slice(0, 10).replaceAll('-', '');
	const safeName = instanceName.replaceAll(/[^\w.-]/g, '_');
	return path.join(directory, `rskey-${safeName.toLowerCase()}-${day}${backupExtension}`);
}

export type BackupOptions = {
	file: string;
	password: string;
	/** Confirm Password; checked when given (the UI and the prompts give it, --password-file does not). */
	confirm?: string | undefined;
	overwrite?: boolean | undefined;
	/**
	 * SIGINT/SIGTERM/SIGHUP (the SSH session dropped): stop without writing anything. Honoured until the file is
	 * committed; after that the backup is complete and valid, so it is kept and recorded.
	 */
	signal?: AbortSignal | undefined;
	/**
	 * Runs once the file is committed and before the backup is recorded: a file that fails it (the scheduled backup
	 * re-opens and verifies it here) is not recorded as the key's backup, so Status and `rscm check` still warn.
	 */
	verifyWritten?: ((file: string) => Promise<void>) | undefined;
};

export type BackupResult = {
	file: string;
	primaryFingerprint: string;
	versions: Array<{version: number; fingerprint: string}>;
};

/**
 * SSRS "Backup": writes every live key version to a password-protected file, then records the backup time so the
 * Status page stops warning. Cheap checks (policy, target file) run before the KDF so a mistake costs no wait.
 */
export async function backupKey(session: Session, options: BackupOptions): Promise<BackupResult> {
	assertBackupPassword(options.password, options.confirm);
	throwIfCancelled(options.signal);
	const file = path.resolve(options.file);
	await assertBackupTarget(file, options.overwrite ?? false);
	const installationId = installationIdOf(session);
	const holder = await keyHolder(session);

	const contents = await keyringTransaction(
		session,
		'read',
		async (_tx, keyring) => {
			const keys = liveVersions(keyring.versions).map(row => ({
				version: row.version,
				createdAt: row.createdAt,
				// Copies: the keyring zeroes its own buffers when this callback returns.
				key: Buffer.from(keyring.keys.get(row.version)!),
				primary: row.state === 'primary',
			}));
			return {catalogId: keyring.catalogId, createdAt: new Date().toISOString(), keys} satisfies BackupContents;
		},
		{holder},
	);

	const versions = contents.keys.map(entry => ({version: entry.version, fingerprint: fingerprintKey(entry.key)}));
	const primaryFingerprint = fingerprintKey(contents.keys.find(entry => entry.primary)!.key);
	let text: string;
	try {
		// The KDF runs on a libuv thread and cannot be interrupted; racing it with the signal lets a dropped session
		// end at once instead of waiting for it, and nothing is written either way.
		text = await untilAborted(encodeBackup(contents, options.password), options.signal);
	} finally {
		for (const entry of contents.keys) entry.key.fill(0);
	}

	throwIfCancelled(options.signal);
	await writeBackupFile(file, text, options.overwrite ?? false);
	await options.verifyWritten?.(file);
	// The backup time is sealed too: "Last backup" is what tells the admin the key is safe.
	await keyringTransaction(
		session,
		'write',
		async (tx, keyring) => {
			const now = new Date().toISOString();
			for (const {version} of versions) await tx.updateKeyVersion(version, {backedUpAt: now});
			await resealKeyring(tx, holder, keyring);
			await audit(tx, installationId, 'backup', versions.map(entry => entry.fingerprint), path.basename(file), signerOf(keyring, holder));
		},
		{holder},
	);
	return {file, primaryFingerprint, versions};
}

export type VerifyResult = {
	file: string;
	catalogId: string;
	createdAt: string;
	keys: Array<{version: number; fingerprint: string; createdAt: string; primary: boolean}>;
	/** undefined when no catalog was available to compare with. */
	matchesCatalog: boolean | undefined;
	/** Live versions of the catalog that the backup lacks (it predates a key change). */
	missingVersions: number[];
	/** Whether this backup can be restored on this catalog as it is now. */
	restorable: boolean | undefined;
};

/** Opens a backup and says what it holds and whether it fits this catalog. Changes nothing. */
export async function verifyBackup(session: Session | undefined, options: {file: string; password: string}): Promise<VerifyResult> {
	const file = path.resolve(options.file);
	const contents = await openBackup(file, options.password);
	try {
		const keys = contents.keys.map(entry => ({
			version: entry.version,
			fingerprint: fingerprintKey(entry.key),
			createdAt: entry.createdAt,
			primary: entry.primary,
		}));
		const info = session ? await session.catalog.probe() : undefined;
		if (!session || !info) {
			return {file, catalogId: contents.catalogId, createdAt: contents.createdAt, keys, matchesCatalog: undefined, missingVersions: [], restorable: undefined};
		}

		const versions = await session.catalog.read(async tx => tx.listKeyVersions());
		const matchesCatalog = info.catalogId === contents.catalogId;
		const missingVersions = matchesCatalog
			? [...missingLiveVersions(contents, versions), ...mismatchedLiveVersions(contents, versions)].map(row => row.version)
			: [];
		return {
			file,
			catalogId: contents.catalogId,
			createdAt: contents.createdAt,
			keys,
			matchesCatalog,
			missingVersions,
			restorable: matchesCatalog && missingVersions.length === 0,
		};
	} finally {
		for (const entry of contents.keys) entry.key.fill(0);
	}
}

function cancelled(): RscmError {
	return new RscmError('CANCELLED', 'Backup cancelled; no file was written.', {hint: 'Run the backup again.'});
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw cancelled();
}

/** Settles with `work`, or rejects with CANCELLED as soon as the signal fires (work goes on and is discarded). */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	if (!signal) return work;
	throwIfCancelled(signal);
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(cancelled());
		signal.addEventListener('abort', onAbort, {once: true});
	});
	// The discarded result must not surface as an unhandled rejection once the race is lost.
	work.catch(() => undefined);
	try {
		return await Promise.race([work, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort!);
	}
}

async function openBackup(file: string, password: string): Promise<BackupContents> {
	// Every front end's password (the dialogs' too) is capped before the KDF spends half a second on it.
	checkSize(password, inputLimits.password, 'The password', 'password');
	const bytes = await readBackupFile(file);
	return decodeBackup(bytes, password);
}

/** Live versions the backup does not hold at all: it predates them. */
function missingLiveVersions(contents: BackupContents, versions: KeyVersionRow[]): KeyVersionRow[] {
	return liveVersions(versions).filter(row => !contents.keys.some(key => key.version === row.version));
}

/** Live versions the backup holds with another key than the catalog's (the key check value disagrees). */
function mismatchedLiveVersions(contents: BackupContents, versions: KeyVersionRow[]): KeyVersionRow[] {
	return liveVersions(versions).filter(row => {
		const entry = contents.keys.find(key => key.version === row.version);
		return entry !== undefined && !verifyKeyCheckValue(entry.key, contents.catalogId, row.version, row.keyCheck);
	});
}

export type RestoreResult = {
	file: string;
	fingerprints: string[];
	/** A new service identity was created because the old one was lost. */
	identityCreated: boolean;
};

/**
 * SSRS "Restore": replaces this instance's copy of the key with the one in the backup. Refuses what cannot work —
 * a backup of another catalog, or one that lacks a live key version — before touching anything, and checks every
 * key against its key-check value, so restore works even on a catalog that holds no content yet.
 */
export async function restoreKey(session: Session, options: {file: string; password: string}): Promise<RestoreResult> {
	const file = path.resolve(options.file);
	const installationId = installationIdOf(session);
	// The catalog's key versions and this instance's identity are read while the KDF runs on the thread pool: the
	// reads (an X25519 derivation, two files, a transaction) then cost nothing on top of the KDF. Nothing is written
	// before the backup has been opened and checked.
	const catalogState = session.catalog.read(async tx => ({catalogId: (await tx.getInfo()).catalogId, versions: await tx.listKeyVersions()}));
	const loadedIdentity = loadIdentity(session);
	// Seen when awaited below; until then (or if the backup fails first) they must not count as unhandled.
	catalogState.catch(() => undefined);
	loadedIdentity.catch(() => undefined);
	let contents: BackupContents;
	try {
		contents = await openBackup(file, options.password);
	} catch (error) {
		if (isRscmError(error, 'WRONG_PASSWORD')) await auditFailure(session.catalog, installationId, 'restore', error.code);
		throw error;
	}

	try {
		// Fail before creating any identity: a wrong backup must change nothing.
		const {catalogId, versions} = await catalogState;
		checkRestorable(contents, catalogId, versions);
		let identity = await loadedIdentity;
		let identityCreated = false;
		if (!identity) {
			// The identity file was lost: a new identity is the only way back, and the backup makes it safe.
			identity = await session.instance.createIdentity('current');
			identityCreated = true;
		}

		const publicKey = identity.publicKey;
		const holder = await keyHolder(session);
		const fingerprints = await session.catalog.write(async tx => {
			const {catalogId} = await tx.getInfo();
			const versions = await tx.listKeyVersions();
			// Checked again inside the write: a key change may have committed since the first check.
			checkRestorable(contents, catalogId, versions);
			const instance = await tx.getInstance(installationId);
			if (!instance) {
				throw new RscmError('NOT_INITIALIZED', 'This instance is not registered in the catalog.', {hint: 'Run `rscm init` first.'});
			}

			const live = liveVersions(versions);
			const keys = new Map(live.map(row => [row.version, contents.keys.find(key => key.version === row.version)!.key]));
			// The backup's keys, opened with its password, are what the admin trusts. The seal in the catalog is kept if
			// those keys sign it and the tables agree with it; otherwise the keyring is rebuilt from the backup, and the
			// other instances, whose membership nothing vouches for any more, go back to Waiting to Join.
			const sealRow = await tx.getKeyringSeal();
			const tables = {versions, rotation: await tx.getRotation(), instances: await tx.listInstances()};
			const kept = sealRow && sealSignedBy(sealRow, catalogId, keys, tables);
			let instancesReset = 0;
			if (!kept) {
				for (const other of tables.instances) {
					if (other.installationId === installationId || other.joinedAt === undefined) continue;
					await tx.deleteWrappedKeys({installationId: other.installationId});
					await tx.updateInstance(other.installationId, {joinedAt: undefined});
					instancesReset++;
				}
			}

			await tx.deleteWrappedKeys({installationId});
			for (const [version, key] of keys) await wrapForInstance(tx, catalogId, installationId, publicKey, version, key);
			await tx.updateInstance(installationId, {
				publicKey,
				identityFingerprint: identity.fingerprint,
				identityCreatedAt: identity.createdAt,
				joinedAt: instance.joinedAt ?? new Date().toISOString(),
			});
			const body = await writeSeal(tx, {catalogId, sealedBy: installationId, previous: kept, previousSequence: sealRow?.sequence ?? 0, keys});
			await recordOwnSeal(holder, catalogId, body);
			const restored = live.map(row => row.fingerprint);
			const rebuilt = kept ? '' : `; keyring rebuilt from the backup, ${instancesReset} instances reset to Waiting to Join`;
			const primary = primaryOf(body)!;
			await audit(tx, installationId, 'restore', restored, path.basename(file) + rebuilt, signerFor(holder, catalogId, primary.version, keys.get(primary.version)!));
			return restored;
		});
		await saveTrust(session, holder);
		return {file, fingerprints, identityCreated};
	} finally {
		for (const entry of contents.keys) entry.key.fill(0);
	}
}

function checkRestorable(contents: BackupContents, catalogId: string, versions: KeyVersionRow[]): void {
	if (contents.catalogId !== catalogId) {
		throw new RscmError(
			'BACKUP_FOR_OTHER_CATALOG',
			`The backup belongs to catalog ${contents.catalogId}, but this catalog is ${catalogId}.`,
			{hint: 'Use a backup made from this catalog, or point --catalog at the catalog the backup came from.'},
		);
	}

	const mismatched = mismatchedLiveVersions(contents, versions);
	if (mismatched.length > 0) {
		const first = mismatched[0]!;
		throw new RscmError(
			'BACKUP_FOR_OTHER_CATALOG',
			`The backup's key version ${first.version} is not this catalog's key version ${first.version} (${first.fingerprint}): its key check fails.`,
			{hint: 'The file names this catalog but holds another key; use a backup written by rscm from this catalog.'},
		);
	}

	const missing = missingLiveVersions(contents, versions);
	if (missing.length > 0) {
		const first = missing[0]!;
		throw new RscmError(
			'BACKUP_OUTDATED',
			`The backup predates key version ${first.version} (${first.fingerprint}), created ${first.createdAt}.`,
			{hint: `Use a backup made after ${first.createdAt}.`},
		);
	}
}
