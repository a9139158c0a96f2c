import {access, readFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {fingerprintPublicKey} from '../../source/core/fingerprint.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {generateIdentity} from '../../source/core/key-wrap.ts';
import {keyFor, keyHolder, liveVersions, resealKeyring, withKeyring, wrapForInstance} from '../../source/core/keyring.ts';
import {changeServiceIdentity, primaryKeyBackedUp} from '../../source/core/service-identity.ts';
import {loadIdentity} from '../../source/core/session.ts';
import {getStatus, instanceStatus} from '../../source/core/status.ts';
import {identityPath, writeIdentityFile, type Identity} from '../../source/instance/identity-file.ts';
import {confirmKey, joinedInstance, openTestSession, rejectsWithCode, strongPassword} from '../helpers/catalog-fixtures.ts';

async function exists(file: string): Promise<boolean> {
	return access(file).then(
		() => true,
		() => false,
	);
}

function newIdentity(): Identity {
	const pair = generateIdentity();
	return {...pair, createdAt: new Date().toISOString(), fingerprint: fingerprintPublicKey(pair.publicKey)};
}

test('changing the service identity gives a new fingerprint and the values stay readable', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {password: 'sales-pw'});
	const other = await deployment.open('b');
	const otherInit = await initialize(other);
	await addInstance(session, otherInit.installationId, otherInit.identityFingerprint);
	// The added server uses its key once the admin confirmed the fingerprint shown on this one.
	t.is(await instanceStatus(other), 'unconfirmed');
	await confirmKey(other, session);
	t.is((await showDataSource(other, 'Sales')).password, 'sales-pw');

	t.false(await primaryKeyBackedUp(session));
	await rejectsWithCode(t, changeServiceIdentity(session), 'NO_BACKUP');
	t.is((await session.instance.readIdentity('current'))!.fingerprint, init.identityFingerprint);
	t.false(await exists(identityPath(session.instanceDirectory, 'next')));

	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	t.true(await primaryKeyBackedUp(session));
	const result = await changeServiceIdentity(session);
	t.is(result.previousFingerprint, init.identityFingerprint);
	t.not(result.fingerprint, init.identityFingerprint);
	const onDisk = await session.instance.readIdentity('current');
	t.is(onDisk!.fingerprint, result.fingerprint);
	t.false(await exists(identityPath(session.instanceDirectory, 'next')));
	t.is((await getStatus(session)).identity?.fingerprint, result.fingerprint);
	const row = await session.catalog.read(async tx => tx.getInstance(init.installationId));
	t.is(row!.identityFingerprint, result.fingerprint);
	t.true(Buffer.from(row!.publicKey).equals(onDisk!.publicKey));
	t.is(await instanceStatus(session), 'joined');
	t.is((await showDataSource(session, 'Sales')).password, 'sales-pw');
	// The other instance is untouched.
	t.is((await showDataSource(other, 'Sales')).password, 'sales-pw');
});

test('--yes path: the change is allowed without a backup when asked explicitly', async t => {
	const {session, init} = await joinedInstance(t);
	const result = await changeServiceIdentity(session, {allowWithoutBackup: true});
	t.not(result.fingerprint, init.identityFingerprint);
	t.is(await instanceStatus(session), 'joined');
});

test('crash after identity.next.key was written but before the catalog commit: the next load discards it', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {password: 'sales-pw'});
	const pending = newIdentity();
	await writeIdentityFile(session.instanceDirectory, pending, 'next');
	await session.close();

	// A new process starts.
	const restarted = await openTestSession(t, deployment.catalogPath, deployment.instanceDirectory('a'));
	const loaded = await loadIdentity(restarted);
	t.is(loaded!.fingerprint, init.identityFingerprint);
	t.false(await exists(identityPath(restarted.instanceDirectory, 'next')));
	t.is(await instanceStatus(restarted), 'joined');
	t.is((await showDataSource(restarted, 'Sales')).password, 'sales-pw');
});

test('crash after the catalog commit but before promotion: the next load promotes identity.next.key', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {password: 'sales-pw'});
	const current = (await session.instance.readIdentity('current'))!;
	// Read before identity.next.key exists, as changeServiceIdentity does.
	const holder = {...(await keyHolder(session)), identity: current};
	const pending = newIdentity();
	await writeIdentityFile(session.instanceDirectory, pending, 'next');
	// What changeServiceIdentity commits, done by hand; then the process "dies" before the rename.
	await session.catalog.write(async tx =>
		withKeyring(tx, holder, async keyring => {
			for (const row of liveVersions(keyring.versions)) {
				await wrapForInstance(tx, keyring.catalogId, init.installationId, pending.publicKey, row.version, keyFor(keyring, row.version));
			}

			await tx.updateInstance(init.installationId, {publicKey: pending.publicKey, identityFingerprint: pending.fingerprint, identityCreatedAt: pending.createdAt});
			await resealKeyring(tx, holder, keyring);
		}),
	);
	await session.close();

	const restarted = await openTestSession(t, deployment.catalogPath, deployment.instanceDirectory('a'));
	t.is(await instanceStatus(restarted), 'joined');
	t.false(await exists(identityPath(restarted.instanceDirectory, 'next')));
	const promoted = await restarted.instance.readIdentity('current');
	t.is(promoted!.fingerprint, pending.fingerprint);
	t.true(promoted!.privateKey.equals(pending.privateKey));
	t.is((await showDataSource(restarted, 'Sales')).password, 'sales-pw');
	t.regex(await readFile(identityPath(restarted.instanceDirectory, 'current'), 'utf8'), /rscm-identity-v1/);
});
