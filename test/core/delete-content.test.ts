import {rm} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {listDataSources, readAllSecrets, setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {countDeleteContent, deleteEncryptedContent, previewDeleteContent} from '../../source/core/delete-content.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance, listInstances} from '../../source/core/instances.ts';
import {backupKey, restoreKey, verifyBackup} from '../../source/core/key-backup.ts';
import {getSharedSettings, setEmailSettings, setExecutionAccount} from '../../source/core/shared-settings.ts';
import {getStatus, instanceStatus} from '../../source/core/status.ts';
import {confirmKey, joinedInstance, rejectsWithCode, strongPassword} from '../helpers/catalog-fixtures.ts';

test('delete encrypted content erases secrets, keeps clear fields, resets other instances and outdates old backups', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	const other = await deployment.open('b');
	const otherInit = await initialize(other, {name: 'B', machine: 'NODE2'});
	await addInstance(session, otherInit.installationId, otherInit.identityFingerprint);
	// An added server trusts the key it was given only once the admin compared its fingerprint with a joined one.
	t.is(await instanceStatus(other), 'unconfirmed');
	t.is(await confirmKey(other, session), init.keyFingerprint!);
	t.is(await instanceStatus(other), 'joined');

	await setDataSource(session, 'Sales', {connectionString: 'Server=sql01;Database=Sales', username: 'rs_sales', password: 'sales-pw'});
	await setDataSource(session, 'HR', {connectionString: 'Server=sql02;Database=HR'});
	await setEmailSettings(session, {
		senderAddress: 'reports@example.com',
		smtpServer: 'smtp.example.com:587',
		authentication: 'basic',
		useSecureConnection: true,
		userName: 'mailer',
		password: 'smtp-pw',
	});
	await setExecutionAccount(session, {enabled: true, account: 'CONTOSO\\rs_exec', password: 'exec-pw'});
	const file = path.join(deployment.root, 'before-delete.snk');
	await backupKey(session, {file, password: strongPassword});

	const preview = await previewDeleteContent(session);
	t.is(preview.total, 6);
	t.deepEqual(preview.byKind, {datasource: 4, subscription: 0, setting: 2});
	t.is(preview.dataSources, 2);
	t.deepEqual(preview.sample.slice(0, 2), [
		{kind: 'datasource', owner: 'Sales', field: 'connectionString'},
		{kind: 'datasource', owner: 'Sales', field: 'username'},
	]);
	// Named up to the sample size asked for, counted whole.
	const small = await previewDeleteContent(session, {sampleSize: 1});
	t.is(small.sample.length, 1);
	t.is(small.total, 6);
	t.deepEqual(preview.instancesReset.map(row => row.installationId), [otherInit.installationId]);

	// The confirmation's counts are the preview's, without the data source count the delete reports.
	const {dataSources, ...shown} = preview;
	t.deepEqual(await countDeleteContent(session), shown);

	const result = await deleteEncryptedContent(session);
	t.is(result.cleared, 6);
	t.is(result.instancesReset, 1);
	t.is(result.dataSourcesToReenter, dataSources);
	t.not(result.fingerprint, init.keyFingerprint);

	// Secrets: erased and flagged; names stay.
	const sources = await listDataSources(session);
	t.deepEqual(sources.map(row => [row.name, row.fields, row.needsReentry]), [
		['HR', {connectionString: 'needs-reentry', username: 'unset', password: 'unset'}, true],
		['Sales', {connectionString: 'needs-reentry', username: 'needs-reentry', password: 'needs-reentry'}, true],
	]);
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', needsReentry: ['connectionString', 'username', 'password']});
	t.deepEqual(await readAllSecrets(session), {readable: 0, needsReentry: 6});

	// Clear settings stay; their passwords need re-entry.
	const settings = await getSharedSettings(session);
	t.is(settings.email.smtpServer, 'smtp.example.com:587');
	t.is(settings.email.senderAddress, 'reports@example.com');
	t.is(settings.email.userName, 'mailer');
	t.is(settings.email.password, 'needs-reentry');
	t.is(settings.execution.account, 'CONTOSO\\rs_exec');
	t.true(settings.execution.enabled);
	t.is(settings.execution.password, 'needs-reentry');
	const counts = (await getStatus(session)).secrets!;
	t.deepEqual(counts.datasource, {total: 4, needsReentry: 4});
	t.deepEqual(counts.setting, {total: 2, needsReentry: 2});

	// The other instance falls back to Waiting to Join; this one holds only the new key.
	t.is(await instanceStatus(other), 'waiting');
	t.deepEqual(
		(await listInstances(session)).map(row => [row.installationId, row.status]).sort(),
		[[init.installationId, 'joined'], [otherInit.installationId, 'waiting']].sort(),
	);
	const status = await getStatus(session);
	t.is(status.status, 'joined');
	t.is(status.primaryKey?.fingerprint, result.fingerprint);
	// Version numbers are never reused, so the old backup cannot pass for the new key.
	t.is(status.primaryKey?.version, 2);
	t.deepEqual(status.keyVersions.map(row => row.version), [2]);

	const verified = await verifyBackup(session, {file, password: strongPassword});
	t.true(verified.matchesCatalog);
	t.false(verified.restorable);
	const error = await rejectsWithCode(t, restoreKey(other, {file, password: strongPassword}), 'BACKUP_OUTDATED');
	t.regex(error.message, /version 2\b/);
	await rejectsWithCode(t, restoreKey(session, {file, password: strongPassword}), 'BACKUP_OUTDATED');
	t.is(await instanceStatus(other), 'waiting');

	// Re-entered values work under the new key.
	await setDataSource(session, 'Sales', {password: 'new-sales-pw'});
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', password: 'new-sales-pw', needsReentry: ['connectionString', 'username']});
	const audit = await session.catalog.read(async tx => tx.listAudit(50));
	t.false(JSON.stringify(audit).includes('sales-pw'));
});

test('delete encrypted content works on an instance whose key is unavailable', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {password: 'sales-pw'});
	// Another identity than the one the catalog wrapped for: the old key cannot be opened any more.
	await rm(path.join(session.instanceDirectory, 'identity.key'));
	await initialize(session);
	t.is(await instanceStatus(session), 'waiting');
	await rejectsWithCode(t, showDataSource(session, 'Sales'), 'WAITING_TO_JOIN');
	const result = await deleteEncryptedContent(session);
	t.is(result.cleared, 1);
	t.is(await instanceStatus(session), 'joined');
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', needsReentry: ['password']});
});
