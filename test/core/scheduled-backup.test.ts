import {mkdir, readdir, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type {Catalog} from '../../source/catalog/catalog.ts';
import type {RscmError} from '../../source/errors.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {verifyBackup} from '../../source/core/key-backup.ts';
import {parseKeepCount, parseScheduledBackupName, scheduledBackup, scheduledBackupName} from '../../source/core/scheduled-backup.ts';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {joinedInstance, loadDataSources, rejectsWithCode, strongPassword, temporaryFiles} from '../helpers/catalog-fixtures.ts';

/** A clock that moves one hour on at each reading, from a fixed start. */
function fakeClock(start = '2026-03-14T09:26:53.000Z'): () => Date {
	let time = Date.parse(start);
	return () => {
		const now = new Date(time);
		time += 3_600_000;
		return now;
	};
}

async function catalogIdOf(session: Session): Promise<string> {
	const status = await getStatus(session);
	if (!status.catalog.exists) throw new Error('fixture: no catalog');
	return status.catalog.catalogId;
}

test('each run writes a verified 0600 file named by catalog, key version and time, and prunes the oldest beyond --keep', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	const directory = path.join(deployment.root, 'backups');
	await mkdir(directory);
	const catalogId = await catalogIdOf(session);
	const now = fakeClock();

	const first = await scheduledBackup(session, {directory, keep: 2, password: strongPassword, now});
	t.is(path.basename(first.file), `rskey-${catalogId}-v1-20260314T092653Z.snk`);
	t.like(first, {catalogId, primaryVersion: 1, primaryFingerprint: init.keyFingerprint, verified: true, pruned: [], protected: []});
	t.deepEqual(first.kept, [first.file]);
	t.is((await stat(first.file)).mode & 0o777, 0o600);
	t.true((await verifyBackup(session, {file: first.file, password: strongPassword})).restorable);
	// Recorded as the key's backup, as `key backup --file` does.
	t.truthy((await getStatus(session)).primaryKey?.backedUpAt);

	// Files that are not its own stay whatever --keep says: another catalog's, other names, other extensions.
	const foreign = [
		scheduledBackupName('0c0ffee0-0000-4000-8000-000000000000', 1, new Date('2020-01-01T00:00:00Z')),
		'rskey-ssrs-20200101.snk',
		`rskey-${catalogId}-v1-20200101T000000Z.snk.bak`,
		'notes.txt',
	];
	for (const name of foreign) await writeFile(path.join(directory, name), 'not mine');
	await mkdir(path.join(directory, `rskey-${catalogId}-v1-20000101T000000Z.snk`));

	const second = await scheduledBackup(session, {directory, keep: 2, password: strongPassword, now});
	t.is(path.basename(second.file), `rskey-${catalogId}-v1-20260314T102653Z.snk`);
	t.deepEqual(second.pruned, []);
	const third = await scheduledBackup(session, {directory, keep: 2, password: strongPassword, now});
	t.deepEqual(third.kept, [third.file, second.file]);
	t.deepEqual(third.pruned, [first.file]);
	t.deepEqual((await readdir(directory)).sort(), [
		...foreign,
		path.basename(second.file),
		path.basename(third.file),
		`rskey-${catalogId}-v1-20000101T000000Z.snk`,
	].sort());
	t.deepEqual(await temporaryFiles(directory), []);
});

test('never prunes the only backup of a live key version: the old version\'s last backup stays until it is retired', async t => {
	const {deployment, session} = await joinedInstance(t);
	const directory = path.join(deployment.root, 'backups');
	await mkdir(directory);
	const now = fakeClock();
	const v1 = await scheduledBackup(session, {directory, keep: 1, password: strongPassword, now});

	// A key change stopped half-way: version 2 is primary, version 1 still live.
	await loadDataSources(session, 20);
	const controller = new AbortController();
	await rejectsWithCode(t, changeKey(session, {batchSize: 10, signal: controller.signal, onProgress: ({done}) => done > 0 && controller.abort()}), 'CANCELLED');
	const during = await scheduledBackup(session, {directory, keep: 1, password: strongPassword, now});
	t.is(during.primaryVersion, 2);
	t.regex(path.basename(during.file), /-v2-/);
	t.deepEqual(during.kept, [during.file, v1.file]);
	t.deepEqual(during.protected, [v1.file]);
	t.deepEqual(during.pruned, []);

	// A second backup of version 2: its older one goes, version 1's last one still stays.
	const again = await scheduledBackup(session, {directory, keep: 1, password: strongPassword, now});
	t.deepEqual(again.pruned, [during.file]);
	t.deepEqual(again.protected, [v1.file]);

	// Version 1 retired: its backup is now only an old one, pruned like any other.
	await changeKey(session);
	const after = await scheduledBackup(session, {directory, keep: 1, password: strongPassword, now});
	t.deepEqual(after.kept, [after.file]);
	t.deepEqual(after.pruned.sort(), [again.file, v1.file].sort());
	t.deepEqual(await readdir(directory), [path.basename(after.file)]);
});

test('a file that does not verify is removed, fails the run and is not recorded as a backup', async t => {
	const {deployment, session} = await joinedInstance(t);
	const directory = path.join(deployment.root, 'backups');
	await mkdir(directory);
	const keep = path.join(directory, 'rskey-keep.txt');
	await writeFile(keep, 'x');
	// The catalog seen once the file is written names another id: what a file written for the wrong catalog (or
	// re-read from a disk that returns other bytes) looks like to the verification.
	const real = session.catalog;
	const catalog = new Proxy(real, {
		get(target, property) {
			if (property === 'probe') {
				return async () => {
					const info = await target.probe();
					const written = (await readdir(directory)).some(name => name.endsWith('.snk'));
					return info && written ? {...info, catalogId: '0c0ffee0-0000-4000-8000-000000000000'} : info;
				};
			}

			const value: unknown = Reflect.get(target, property);
			return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
		},
	}) as Catalog;
	const error = await rejectsWithCode(t, scheduledBackup({...session, catalog}, {directory, keep: 1, password: strongPassword, now: fakeClock()}), 'BACKUP_UNVERIFIED');
	t.regex(error.message, /does not verify: it does not name this catalog\. It was removed and not recorded as a backup\./);
	t.deepEqual(await readdir(directory), ['rskey-keep.txt']);
	const status = await getStatus(session);
	t.is(status.primaryKey?.backedUpAt, undefined);
});

test('two runs in the same second: the second fails with FILE_EXISTS and leaves the first backup as it was', async t => {
	const {deployment, session} = await joinedInstance(t);
	const directory = path.join(deployment.root, 'backups');
	await mkdir(directory);
	const now = () => new Date('2026-03-14T09:26:53.000Z');
	const first = await scheduledBackup(session, {directory, keep: 5, password: strongPassword, now});
	const error = await rejectsWithCode(t, scheduledBackup(session, {directory, keep: 5, password: strongPassword, now}), 'FILE_EXISTS');
	t.regex(error.message, /another backup was written in the same second/);
	t.is(error.hint, 'Run the backup again.');
	t.deepEqual(await readdir(directory), [path.basename(first.file)]);
	t.true((await verifyBackup(session, {file: first.file, password: strongPassword})).restorable);
});

test('the names it recognises, and --keep', t => {
	const name = scheduledBackupName('5c1e2a90-1111-4222-8333-444455556666', 12, new Date('2026-12-03T15:47:54.999Z'));
	t.is(name, 'rskey-5c1e2a90-1111-4222-8333-444455556666-v12-20261203T154754Z.snk');
	t.deepEqual(parseScheduledBackupName(name), {name, catalogId: '5c1e2a90-1111-4222-8333-444455556666', version: 12, stamp: '20261203T154754Z'});
	for (const other of ['rskey-ssrs-20261203.snk', `${name}.tmp`, `.${name}`, name.replace('-v12-', '-12-')]) t.is(parseScheduledBackupName(other), undefined, other);

	t.is(parseKeepCount('14'), 14);
	for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3']) t.is((t.throws(() => parseKeepCount(bad)) as RscmError).code, 'USAGE', bad);
	t.regex(t.throws(() => parseKeepCount(undefined)).message, /--keep N is required with --dir/);
});
