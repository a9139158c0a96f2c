import {readdir, rm} from 'node:fs/promises';
import path from 'node:path';
import {fileError} from '../files/file-error.ts';
import {backupExtension, backupKey, verifyBackup, type BackupResult} from './key-backup.ts';
import {isRscmError, RscmError} from '../errors.ts';
import {liveVersions, primaryVersion} from './keyring.ts';
import type {Session} from './session.ts';

/**
 * `rscm key backup --dir DIR --keep N` (README, Scheduled backups): one new backup per run, named so that a listing
 * of DIR says what each file holds, verified before it counts, and the oldest pruned beyond N.
 */

export type ScheduledBackupOptions = {
	directory: string;
	/** How many backups of this catalog to keep in the directory (at least 1). */
	keep: number;
	password: string;
	confirm?: string | undefined;
	/** The clock that names the file; tests give a fake one. */
	now?: (() => Date) | undefined;
	signal?: AbortSignal | undefined;
};

export type ScheduledBackupResult = BackupResult & {
	catalogId: string;
	primaryVersion: number;
	/** Always true: a file that does not verify is removed and the run fails with BACKUP_UNVERIFIED. */
	verified: true;
	/** The backups of this catalog left in the directory, newest first (the new one included). */
	kept: string[];
	/** Kept beyond --keep, each the only backup of a key version that is still live. */
	protected: string[];
	pruned: string[];
};

/** A file this command wrote: rskey-CATALOGID-vVERSION-YYYYMMDDTHHMMSSZ.snk. */
type OwnBackup = {name: string; catalogId: string; version: number; stamp: string};

const ownNamePattern = /^rskey-(.+)-v(\d+)-(\d{8}T\d{6}Z)\.snk$/;

/** The file name for a backup of this catalog and primary key version, made at `time` (UTC, to the second). */
export function scheduledBackupName(catalogId: string, version: number, time: Date): string {
	const stamp = time.toISOString().slice(0, 19).replaceAll('-', '').replaceAll(':', '');
	return `rskey-${catalogId}-v${version}-${stamp}Z${backupExtension}`;
}

export function parseScheduledBackupName(name: string): OwnBackup | undefined {
	const match = ownNamePattern.exec(name);
	if (!match) return undefined;
	return {name, catalogId: match[1]!, version: Number(match[2]), stamp: match[3]!};
}

/** `--keep N`: a whole number of backups, at least one (the one just written). */
export function parseKeepCount(text: string | undefined): number {
	if (text === undefined) {
		throw new RscmError('USAGE', '--keep N is required with --dir: how many backups to keep in the directory.', {
			hint: 'For example: rscm key backup --dir /var/backups/rscm --keep 14 --password-file PATH',
		});
	}

	const count = Number(text);
	if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(count) || count < 1 || count > 100_000) {
		throw new RscmError('USAGE', `--keep must be a whole number from 1 to 100000, not "${text}".`);
	}

	return count;
}

export async function scheduledBackup(session: Session, options: ScheduledBackupOptions): Promise<ScheduledBackupResult> {
	const directory = path.resolve(options.directory);
	const now = options.now ?? (() => new Date());
	// The name says what the file holds: the version read here is checked against the file itself when it is verified.
	const {catalogId, version} = await session.catalog.read(async tx => ({
		catalogId: (await tx.getInfo()).catalogId,
		version: primaryVersion(await tx.listKeyVersions())?.version,
	}));
	if (version === undefined) throw new RscmError('KEY_UNAVAILABLE', 'The catalog has no primary key version to back up.');
	const file = path.join(directory, scheduledBackupName(catalogId, version, now()));

	let result: BackupResult;
	try {
		result = await backupKey(session, {
			file,
			password: options.password,
			confirm: options.confirm,
			signal: options.signal,
			verifyWritten: async written => verifyWrittenBackup(session, written, options.password, version),
		});
	} catch (error) {
		// A file that was written but does not verify is no backup: removed, so that it never counts or is kept.
		if (isRscmError(error, 'BACKUP_UNVERIFIED')) await rm(file, {force: true});
		// Names go to the second: a second run within it finds the first one's file (which is left as it is).
		if (isRscmError(error, 'FILE_EXISTS')) {
			throw new RscmError('FILE_EXISTS', `${file} already exists: another backup was written in the same second.`, {cause: error, hint: 'Run the backup again.'});
		}

		throw error;
	}

	const live = new Set(liveVersions(await session.catalog.read(async tx => tx.listKeyVersions())).map(row => row.version));
	const {kept, protectedFiles, pruned} = await pruneBackups(directory, catalogId, options.keep, live);
	return {...result, catalogId, primaryVersion: version, verified: true, kept, protected: protectedFiles, pruned};
}

/** Re-opens the file just written, with the password, and checks it holds this catalog's live keys. */
async function verifyWrittenBackup(session: Session, file: string, password: string, version: number): Promise<void> {
	const unverified = (reason: string, cause?: unknown) =>
		new RscmError('BACKUP_UNVERIFIED', `The backup just written to ${file} does not verify: ${reason} It was removed and not recorded as a backup.`, {
			cause,
			hint: 'Check the disk and the directory, then run the backup again.',
		});
	let verified;
	try {
		verified = await verifyBackup(session, {file, password});
	} catch (error) {
		throw unverified(isRscmError(error) ? error.message : 'it cannot be opened.', error);
	}

	if (!verified.matchesCatalog) throw unverified('it does not name this catalog.');
	if (!verified.restorable) throw unverified(`it lacks live key version(s) ${verified.missingVersions.join(', ')} (a key change started meanwhile?).`);
	const primary = verified.keys.find(key => key.primary)?.version;
	if (primary !== version) throw unverified(`its primary key is version ${primary ?? 'none'}, not ${version} (a key change started meanwhile?).`);
}

/**
 * Keeps the newest `keep` backups of this catalog in the directory and removes the older ones — only files named
 * as this command names them, for this catalog, and never the newest backup of a key version that is still live
 * (after a key change the old version's last backup stays until the version is retired).
 */
async function pruneBackups(
	directory: string,
	catalogId: string,
	keep: number,
	live: Set<number>,
): Promise<{kept: string[]; protectedFiles: string[]; pruned: string[]}> {
	let entries;
	try {
		entries = await readdir(directory, {withFileTypes: true});
	} catch (error) {
		throw fileError(error, directory, 'list');
	}

	const own = entries
		.filter(entry => entry.isFile())
		.map(entry => parseScheduledBackupName(entry.name))
		.filter((backup): backup is OwnBackup => backup?.catalogId === catalogId)
		.sort((a, b) => (a.stamp === b.stamp ? b.name.localeCompare(a.name) : b.stamp.localeCompare(a.stamp)));
	const newestOfVersion = new Map<number, string>();
	for (const backup of own) if (!newestOfVersion.has(backup.version)) newestOfVersion.set(backup.version, backup.name);

	const kept: string[] = [];
	const protectedFiles: string[] = [];
	const pruned: string[] = [];
	for (const [index, backup] of own.entries()) {
		const file = path.join(directory, backup.name);
		if (index < keep) {
			kept.push(file);
		} else if (live.has(backup.version) && newestOfVersion.get(backup.version) === backup.name) {
			kept.push(file);
			protectedFiles.push(file);
		} else {
			try {
				await rm(file, {force: true});
			} catch (error) {
				throw fileError(error, file, 'remove');
			}

			pruned.push(file);
		}
	}

	return {kept, protectedFiles, pruned};
}
