import {randomBytes} from 'node:crypto';
import {rm, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {encodeBackup} from '../../source/core/backup/backup-codec.ts';
import {setDataSource, showDataSource, readAllSecrets} from '../../source/core/data-sources.ts';
import {initialize} from '../../source/core/initialize.ts';
import {backupKey, restoreKey, verifyBackup} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {getStatus, instanceStatus} from '../../source/core/status.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {joinedInstance, rejectsWithCode, strongPassword} from '../helpers/catalog-fixtures.ts';

const sales = {connectionString: 'Server=sql01;Database=Sales;Encrypt=true', username: 'CONTOSO\\rs_reader', password: 'Sal3s-Secr3t!'};

test('backup → verify → restore on a second instance directory: it joins and reads the values', async t => {
	const {deployment, session: first, init} = await joinedInstance(t);
	await setDataSource(first, 'Sales', sales);
	const file = path.join(deployment.root, 'rskey.snk');
	const backup = await backupKey(first, {file, password: strongPassword, confirm: strongPassword});
	t.is(backup.file, file);
	t.is(backup.primaryFingerprint, init.keyFingerprint ?? 'missing');
	t.deepEqual(backup.versions, [{version: 1, fingerprint: init.keyFingerprint ?? 'missing'}]);
	// The backup time is recorded so the Status page stops warning.
	t.truthy((await getStatus(first)).primaryKey?.backedUpAt);

	const second = await deployment.open('b');
	const secondInit = await initialize(second, {name: 'B', machine: 'OTHERHOST'});
	t.is(secondInit.status, 'waiting');
	await rejectsWithCode(t, showDataSource(second, 'Sales'), 'WAITING_TO_JOIN');

	const verified = await verifyBackup(second, {file, password: strongPassword});
	const catalog = (await getStatus(second)).catalog;
	t.is(verified.catalogId, catalog.exists ? catalog.catalogId : 'no catalog');
	t.true(verified.matchesCatalog);
	t.true(verified.restorable);
	t.deepEqual(verified.missingVersions, []);
	t.deepEqual(
		verified.keys.map(key => ({version: key.version, fingerprint: key.fingerprint, primary: key.primary})),
		[{version: 1, fingerprint: init.keyFingerprint!, primary: true}],
	);
	// Verify changes nothing.
	t.is(await instanceStatus(second), 'waiting');

	const restored = await restoreKey(second, {file, password: strongPassword});
	t.deepEqual(restored.fingerprints, [init.keyFingerprint!]);
	t.false(restored.identityCreated);
	t.is(await instanceStatus(second), 'joined');
	t.deepEqual(await showDataSource(second, 'Sales'), {name: 'Sales', ...sales, needsReentry: []});
	// The first instance is unaffected.
	t.deepEqual(await showDataSource(first, 'Sales'), {name: 'Sales', ...sales, needsReentry: []});
});

test('verify reports the catalog id of the file and whether it fits', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'k.snk');
	await backupKey(session, {file, password: strongPassword});
	const status = await getStatus(session);
	t.true(status.catalog.exists);
	const catalogId = status.catalog.exists ? status.catalog.catalogId : '';
	const withoutCatalog = await verifyBackup(undefined, {file, password: strongPassword});
	t.is(withoutCatalog.catalogId, catalogId);
	t.is(withoutCatalog.matchesCatalog, undefined);
	t.is(withoutCatalog.restorable, undefined);
	await rejectsWithCode(t, verifyBackup(session, {file, password: 'Wr0ng!Backup#Pass'}), 'WRONG_PASSWORD');
});

test('restore after the identity file was lost: key-unavailable first, then a new identity reads the values', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	await setDataSource(session, 'Sales', sales);
	const file = path.join(deployment.root, 'rskey.snk');
	await backupKey(session, {file, password: strongPassword});

	await rm(identityPath(session.instanceDirectory, 'current'));
	t.is(await instanceStatus(session), 'key-unavailable');
	const status = await getStatus(session);
	t.is(status.status, 'key-unavailable');
	t.truthy(status.statusDetail);
	await rejectsWithCode(t, showDataSource(session, 'Sales'), 'KEY_UNAVAILABLE');

	const restored = await restoreKey(session, {file, password: strongPassword});
	t.true(restored.identityCreated);
	const identity = await session.instance.readIdentity('current');
	t.truthy(identity);
	t.not(identity!.fingerprint, init.identityFingerprint);
	t.is((await stat(identityPath(session.instanceDirectory, 'current'))).mode & 0o777, 0o600);
	t.is(await instanceStatus(session), 'joined');
	t.is((await getStatus(session)).identity?.fingerprint, identity!.fingerprint);
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', ...sales, needsReentry: []});
});

test('restore refuses a backup of another catalog, and changes nothing', async t => {
	const one = await joinedInstance(t);
	const other = await joinedInstance(t);
	const file = path.join(other.deployment.root, 'other.snk');
	await backupKey(other.session, {file, password: strongPassword});
	const otherStatus = await getStatus(other.session);

	const waiting = await one.deployment.open('b');
	await initialize(waiting, {name: 'B'});
	const verified = await verifyBackup(waiting, {file, password: strongPassword});
	t.false(verified.matchesCatalog);
	t.false(verified.restorable);
	const error = await rejectsWithCode(t, restoreKey(waiting, {file, password: strongPassword}), 'BACKUP_FOR_OTHER_CATALOG');
	t.true(otherStatus.catalog.exists && error.message.includes(otherStatus.catalog.catalogId));
	t.is(await instanceStatus(waiting), 'waiting');
	// On a joined instance too: its own copy is not replaced.
	await rejectsWithCode(t, restoreKey(one.session, {file, password: strongPassword}), 'BACKUP_FOR_OTHER_CATALOG');
	t.is(await instanceStatus(one.session), 'joined');
});

test('restore refuses a backup older than the last key change, naming the version it lacks', async t => {
	const {deployment, session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', sales);
	const file = path.join(deployment.root, 'old.snk');
	await backupKey(session, {file, password: strongPassword});
	const change = await changeKey(session);
	t.is(change.toVersion, 2);

	const verified = await verifyBackup(session, {file, password: strongPassword});
	t.true(verified.matchesCatalog);
	t.false(verified.restorable);
	t.deepEqual(verified.missingVersions, [2]);

	const error = await rejectsWithCode(t, restoreKey(session, {file, password: strongPassword}), 'BACKUP_OUTDATED');
	t.regex(error.message, /version 2\b/);
	t.true(error.message.includes(change.fingerprint));
	t.is(await instanceStatus(session), 'joined');
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', ...sales, needsReentry: []});
});

test('restore with a wrong password fails with WRONG_PASSWORD and leaves the instance as it was', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'k.snk');
	await backupKey(session, {file, password: strongPassword});
	const waiting = await deployment.open('b');
	await initialize(waiting, {name: 'B'});
	await rejectsWithCode(t, restoreKey(waiting, {file, password: 'Other!Backup#Pass1'}), 'WRONG_PASSWORD');
	t.is(await instanceStatus(waiting), 'waiting');
	const audit = await session.catalog.read(async tx => tx.listAudit(50));
	t.true(audit.some(entry => entry.operation === 'restore' && entry.outcome === 'failure' && entry.detail === 'WRONG_PASSWORD'));
	// The password never reaches the audit log.
	t.false(JSON.stringify(audit).includes('Other!Backup#Pass1'));
});

test('restore on a catalog with no content still checks each key against its key-check value', async t => {
	const {deployment, session} = await joinedInstance(t);
	t.is((await readAllSecrets(session)).readable, 0);
	const status = await getStatus(session);
	const catalogId = status.catalog.exists ? status.catalog.catalogId : '';
	const genuine = path.join(deployment.root, 'genuine.snk');
	await backupKey(session, {file: genuine, password: strongPassword});

	// Same catalog id, same version number, another key: nothing in the catalog decrypts to tell them apart, only
	// the key-check value can.
	const forged = path.join(deployment.root, 'forged.snk');
	const text = await encodeBackup(
		{catalogId, createdAt: new Date().toISOString(), keys: [{version: 1, createdAt: status.primaryKey!.createdAt, key: randomBytes(32), primary: true}]},
		strongPassword,
	);
	await writeFile(forged, text, {mode: 0o600});

	const waiting = await deployment.open('b');
	await initialize(waiting, {name: 'B'});
	const verified = await verifyBackup(waiting, {file: forged, password: strongPassword});
	t.true(verified.matchesCatalog);
	t.false(verified.restorable);
	t.deepEqual(verified.missingVersions, [1]);
	await rejectsWithCode(t, restoreKey(waiting, {file: forged, password: strongPassword}), 'BACKUP_FOR_OTHER_CATALOG');
	t.is(await instanceStatus(waiting), 'waiting');

	await restoreKey(waiting, {file: genuine, password: strongPassword});
	t.is(await instanceStatus(waiting), 'joined');
	// The restored key is the real one: a value written by one instance is read by the other.
	await setDataSource(waiting, 'Fresh', {password: 'written-by-b'});
	t.is((await showDataSource(session, 'Fresh')).password, 'written-by-b');
});

test('a password over the cap is INPUT_TOO_LARGE for backup, verify and restore, before any KDF or file', async t => {
	const {deployment, session} = await joinedInstance(t);
	const huge = `Aa!${'x'.repeat(2000)}`;
	const file = path.join(deployment.root, 'huge.snk');
	await rejectsWithCode(t, backupKey(session, {file, password: huge, confirm: huge}), 'INPUT_TOO_LARGE');
	await t.throwsAsync(stat(file), {code: 'ENOENT'});
	await backupKey(session, {file, password: strongPassword});
	await rejectsWithCode(t, verifyBackup(session, {file, password: huge}), 'INPUT_TOO_LARGE');
	await rejectsWithCode(t, restoreKey(session, {file, password: huge}), 'INPUT_TOO_LARGE');
});
