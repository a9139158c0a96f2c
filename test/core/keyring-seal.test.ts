import {chmod, copyFile, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import {setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {acceptKey, proposedKey} from '../../source/core/key-accept.ts';
import {backupKey, restoreKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {getStatus, instanceStatus} from '../../source/core/status.ts';
import {readTrustFile, trustPath, writeTrustHeads, type TrustHead} from '../../source/instance/trust-head.ts';
import {joinedInstance, rejectsWithCode, strongPassword} from '../helpers/catalog-fixtures.ts';

type Trusted = Extract<TrustHead, {state: 'trusted'}>;

async function headOf(directory: string, catalogId: string): Promise<TrustHead | undefined> {
	return (await readTrustFile(directory)).catalogs[catalogId];
}

async function catalogIdOf(catalogPath: string): Promise<string> {
	const database = new Database(catalogPath, {readonly: true});
	try {
		return (database.prepare('SELECT catalog_id FROM meta').get() as {catalog_id: string}).catalog_id;
	} finally {
		database.close();
	}
}

test('init seals the keyring and records a private trust head for this catalog', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	const catalogId = await catalogIdOf(deployment.catalogPath);
	const head = (await headOf(session.instanceDirectory, catalogId)) as Trusted;
	t.like(head, {state: 'trusted', version: 1, keyFingerprint: init.keyFingerprint, sealSequence: 1});
	t.is((await stat(trustPath(session.instanceDirectory))).mode & 0o777, 0o600);

	// Each keyring change is a new seal, and the head follows it.
	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	t.like(await headOf(session.instanceDirectory, catalogId), {version: 1, sealSequence: 2});
	await changeKey(session);
	t.like(await headOf(session.instanceDirectory, catalogId), {version: 2, sealSequence: 4});
});

test('a trust file others can write is refused like the identity file', async t => {
	const {session} = await joinedInstance(t);
	await chmod(trustPath(session.instanceDirectory), 0o666);
	await rejectsWithCode(t, setDataSource(session, 'Sales', {password: 'x'}), 'INSECURE_PERMISSIONS');
});

test('an added server uses its key only after the admin confirms the fingerprint; a wrong one accepts nothing', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	await setDataSource(a, 'Sales', {password: 'sales-pw'});
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'B', machine: 'NODE-B'});
	const catalogId = await catalogIdOf(deployment.catalogPath);
	t.like(await headOf(b.instanceDirectory, catalogId), {state: 'awaiting'});
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);

	const status = await getStatus(b);
	t.is(status.status, 'unconfirmed');
	t.is(status.primaryKey, undefined);
	const shown = (await getStatus(a)).primaryKey!.fingerprint;
	t.true(status.statusDetail!.includes(shown), 'the status names the fingerprint to compare');
	await rejectsWithCode(t, showDataSource(b, 'Sales'), 'KEY_NOT_CONFIRMED');
	t.is((await proposedKey(b)).fingerprint, shown);

	await rejectsWithCode(t, acceptKey(b, '0000-0000-0000-0000'), 'INVALID_INPUT');
	t.like(await headOf(b.instanceDirectory, catalogId), {state: 'awaiting'});
	t.like(await acceptKey(b, shown.toUpperCase()), {version: 1, fingerprint: shown});
	t.is(await instanceStatus(b), 'joined');
	t.is((await showDataSource(b, 'Sales')).password, 'sales-pw');
});

test('a server that trusted version 1 follows two key changes made while it was away, through the endorsements', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'B', machine: 'NODE-B'});
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);
	await acceptKey(b, (await getStatus(a)).primaryKey!.fingerprint);
	await setDataSource(a, 'Sales', {password: 'sales-pw'});

	await changeKey(a);
	await changeKey(a);
	t.is((await showDataSource(b, 'Sales')).password, 'sales-pw');
	const catalogId = await catalogIdOf(deployment.catalogPath);
	t.like(await headOf(b.instanceDirectory, catalogId), {state: 'trusted', version: 3});
});

test('after Delete Encrypted Content a re-added server must confirm the new key: nothing it trusted endorses it', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'B', machine: 'NODE-B'});
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);
	await acceptKey(b, (await getStatus(a)).primaryKey!.fingerprint);

	const deleted = await deleteEncryptedContent(a);
	t.is(await instanceStatus(a), 'joined');
	t.is(await instanceStatus(b), 'waiting');
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);
	const status = await getStatus(b);
	t.is(status.status, 'unconfirmed');
	t.regex(status.statusDetail!, /not endorsed by key version 1/);
	await acceptKey(b, deleted.fingerprint);
	t.is(await instanceStatus(b), 'joined');
});

test('a database put back from an older dump is a rollback; only a confirmed accept (or a restore) recovers', async t => {
	const {deployment, session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {password: 'sales-pw'});
	const backup = path.join(deployment.root, 'k.snk');
	await backupKey(session, {file: backup, password: strongPassword});
	const dump = path.join(deployment.root, 'dump.db');
	const live = new Database(deployment.catalogPath);
	live.exec(`VACUUM INTO '${dump}'`);
	live.close();
	await changeKey(session);
	await session.close();
	// The admin (or an attacker) restores the older file: a valid seal, but older than what this server trusted.
	for (const suffix of ['', '-wal', '-shm']) await rm(`${deployment.catalogPath}${suffix}`, {force: true});
	await copyFile(dump, deployment.catalogPath);

	const reopened = await deployment.open('a');
	const status = await getStatus(reopened);
	t.is(status.status, 'tampered');
	t.regex(status.statusDetail!, /rolled back: seal 2 with key version 1, but this server already trusted seal 4 with version 2/);
	await rejectsWithCode(t, setDataSource(reopened, 'New', {password: 'x'}), 'KEYRING_TAMPERED');

	// The explicit recovery when the admin really did restore the database: compare, then accept.
	const proposed = await proposedKey(reopened);
	t.is(proposed.version, 1);
	await acceptKey(reopened, proposed.fingerprint);
	t.is((await showDataSource(reopened, 'Sales')).password, 'sales-pw');

	// A restore from a backup is trusted too (the admin opened it with its password).
	await restoreKey(reopened, {file: backup, password: strongPassword});
	t.is(await instanceStatus(reopened), 'joined');
});

test('upgrade: a catalog no one sealed, used by an instance that kept no trust head, is sealed once and audited', async t => {
	const {deployment, session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {password: 'sales-pw'});
	const catalogId = await catalogIdOf(deployment.catalogPath);
	// As an rscm before the seal left them: no seal record, no trust file.
	const database = new Database(deployment.catalogPath);
	database.prepare('DELETE FROM keyring_seal').run();
	database.close();
	await rm(trustPath(session.instanceDirectory));

	t.is(await instanceStatus(session), 'joined');
	t.like(await headOf(session.instanceDirectory, catalogId), {state: 'trusted', version: 1});
	const check = new Database(deployment.catalogPath, {readonly: true});
	const sealed = check.prepare('SELECT count(*) AS n FROM keyring_seal').get() as {n: number};
	const upgrades = check.prepare("SELECT count(*) AS n FROM audit_log WHERE operation = 'keyring-upgrade'").get() as {n: number};
	check.close();
	t.is(sealed.n, 1);
	t.is(upgrades.n, 1);
	t.is((await showDataSource(session, 'Sales')).password, 'sales-pw');

	// Once it kept a head, a seal that disappears is tampering, not an upgrade.
	const again = new Database(deployment.catalogPath);
	again.prepare('DELETE FROM keyring_seal').run();
	again.close();
	await rejectsWithCode(t, showDataSource(session, 'Sales'), 'KEYRING_TAMPERED');
	t.is(await instanceStatus(session), 'tampered');
});

test('killed between the commit of its own new origin and saving the trust head, an instance still trusts the key it made', async t => {
	const {deployment, session} = await joinedInstance(t);
	const catalogId = await catalogIdOf(deployment.catalogPath);
	const before = (await headOf(session.instanceDirectory, catalogId)) as Trusted;
	await deleteEncryptedContent(session);
	const after = (await headOf(session.instanceDirectory, catalogId)) as Trusted;
	t.is(after.pending, undefined, 'promoted once committed');

	// The trust file as a SIGKILL after the commit leaves it: the old head, plus the origin recorded before the commit.
	const pending = {version: after.version, verifyingKey: after.verifyingKey, keyFingerprint: after.keyFingerprint, sealSequence: after.sealSequence};
	await writeTrustHeads(session.instanceDirectory, {[catalogId]: {...before, pending}});
	t.is(await instanceStatus(session), 'joined');
	t.like(await headOf(session.instanceDirectory, catalogId), {state: 'trusted', version: after.version, pending: undefined});

	// A pending origin that never committed (another key) is no reason to trust anything.
	await writeTrustHeads(session.instanceDirectory, {[catalogId]: {...before, pending: {...pending, verifyingKey: Buffer.alloc(32, 1).toString('base64')}}});
	t.is(await instanceStatus(session), 'unconfirmed');
});
