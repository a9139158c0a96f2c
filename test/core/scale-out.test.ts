import test from 'ava';
import {setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance, findWaitingInstanceByName, listInstances, removeInstance} from '../../source/core/instances.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {getStatus, instanceStatus} from '../../source/core/status.ts';
import {confirmKey, joinedInstance, rejectsWithCode, strongPassword} from '../helpers/catalog-fixtures.ts';
import path from 'node:path';

// Fixed ids with a shared prefix, so prefix matching can be ambiguous on purpose.
const idB = 'abcd1111-0000-4000-8000-000000000001';
const idC = 'abcd2222-0000-4000-8000-000000000002';

test('scale-out on one SQLite file with three instance directories', async t => {
	const {deployment, session: a, init} = await joinedInstance(t);
	await setDataSource(a, 'Sales', {connectionString: 'Server=sql01', password: 'sales-pw'});

	const b = await deployment.open('b');
	const c = await deployment.open('c');
	await b.settings.set({installationId: idB});
	await c.settings.set({installationId: idC});
	const bInit = await initialize(b, {name: 'SSRS', machine: 'NODE-B'});
	const cInit = await initialize(c, {name: 'SSRS', machine: 'NODE-C'});
	t.like(bInit, {installationId: idB, status: 'waiting', catalogCreated: false, keyFingerprint: undefined});
	t.like(cInit, {installationId: idC, status: 'waiting', catalogCreated: false});
	await rejectsWithCode(t, showDataSource(b, 'Sales'), 'WAITING_TO_JOIN');
	// Running init again leaves a waiting instance waiting (and does not mint a key).
	t.is((await initialize(b)).status, 'waiting');

	const listed = await listInstances(a);
	t.deepEqual(
		listed.map(row => [row.installationId, row.status, row.isThisInstance]).sort(),
		[[init.installationId, 'joined', true], [idB, 'waiting', false], [idC, 'waiting', false]].sort(),
	);
	t.is(listed.find(row => row.installationId === idB)!.identityFingerprint, bInit.identityFingerprint);
	t.deepEqual((await getStatus(a)).instances, {joined: 1, waiting: 2, total: 3});

	// Id lookup: ambiguous prefix, unknown id, too-short prefix; a waiting instance cannot add anyone.
	const ambiguous = await rejectsWithCode(t, addInstance(a, 'abcd', bInit.identityFingerprint), 'AMBIGUOUS_INSTANCE');
	t.regex(ambiguous.message, /2 instances/);
	await rejectsWithCode(t, addInstance(a, 'ffffffff-0000-4000-8000-000000000000', bInit.identityFingerprint), 'UNKNOWN_INSTANCE');
	await rejectsWithCode(t, addInstance(a, 'abc', bInit.identityFingerprint), 'UNKNOWN_INSTANCE');
	await rejectsWithCode(t, addInstance(b, idC, cInit.identityFingerprint), 'WAITING_TO_JOIN');
	t.is(await instanceStatus(c), 'waiting');

	// Add by full id, and by an unambiguous prefix (upper case, as someone might paste it).
	const added = await addInstance(a, idB, bInit.identityFingerprint);
	t.like(added, {installationId: idB, status: 'joined'});
	await rejectsWithCode(t, addInstance(a, idB, bInit.identityFingerprint), 'NOT_WAITING');
	t.is((await addInstance(a, 'ABCD2', cInit.identityFingerprint)).installationId, idC);
	// Each added server uses the key only once its admin compared the fingerprint with the joined server's.
	t.is(await instanceStatus(b), 'unconfirmed');
	t.is(await instanceStatus(c), 'unconfirmed');
	await rejectsWithCode(t, showDataSource(b, 'Sales'), 'KEY_NOT_CONFIRMED');
	t.is(await confirmKey(b, a), init.keyFingerprint!);
	t.is(await confirmKey(c, a), init.keyFingerprint!);
	t.is(await instanceStatus(b), 'joined');
	t.is(await instanceStatus(c), 'joined');
	t.is((await showDataSource(b, 'Sales')).password, 'sales-pw');
	t.is((await showDataSource(c, 'Sales')).connectionString, 'Server=sql01');
	await setDataSource(c, 'Written by C', {password: 'from-c'});
	t.is((await showDataSource(a, 'Written by C')).password, 'from-c');

	// A key change by one joined instance wraps the new key for every joined instance.
	await changeKey(b);
	t.is((await showDataSource(c, 'Sales')).password, 'sales-pw');
	t.is((await showDataSource(a, 'Written by C')).password, 'from-c');

	// Remove: the removed instance is no longer registered.
	t.is((await removeInstance(a, 'abcd2')).installationId, idC);
	t.is(await instanceStatus(c), 'not-initialized');
	await rejectsWithCode(t, removeInstance(a, idC), 'UNKNOWN_INSTANCE');
	t.deepEqual((await listInstances(a)).map(row => row.installationId).sort(), [init.installationId, idB].sort());

	// The last joined instance cannot go while the key has no backup; it can once it has one.
	await removeInstance(a, idB);
	const last = await rejectsWithCode(t, removeInstance(a, init.installationId), 'LAST_JOINED_INSTANCE');
	t.truthy(last.hint);
	t.is((await listInstances(a)).length, 1);
	await backupKey(a, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	await removeInstance(a, init.installationId);
	t.deepEqual(await listInstances(a), []);
	t.is(await instanceStatus(a), 'not-initialized');
});

test('a waiting instance can be found by machine and instance name (rskeymgmt -j)', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'SSRS2', machine: 'NODE-B'});
	t.is((await findWaitingInstanceByName(a, 'node-b', 'ssrs2')).installationId, bInit.installationId);
	await rejectsWithCode(t, findWaitingInstanceByName(a, 'NODE-B', 'OTHER'), 'UNKNOWN_INSTANCE');
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);
	// Joined instances are not "waiting": -j does not match them any more.
	await rejectsWithCode(t, findWaitingInstanceByName(a, 'NODE-B', 'SSRS2'), 'UNKNOWN_INSTANCE');
});

test('removing a waiting instance never needs a backup', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b);
	await removeInstance(a, bInit.installationId);
	t.is((await listInstances(a)).length, 1);
	t.is(await instanceStatus(a), 'joined');
});
