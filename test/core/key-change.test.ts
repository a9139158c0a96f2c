import {spawn} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import {readAllSecrets, setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {changeKey, pendingRotation} from '../../source/core/key-change.ts';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {confirmKey, dataSourceName, dataSourceValues, joinedInstance, loadDataSources, rejectsWithCode} from '../helpers/catalog-fixtures.ts';
import {collect, root} from '../helpers/run-cli.ts';

const dataSources = 10_000;
const values = dataSources * 3;

type SecretStats = {rows: number; byVersion: Record<number, number>};

/** What the file holds, read behind the core's back: the proof that no value is left under the old key. */
function catalogFacts(file: string) {
	const db = new Database(file, {readonly: true});
	try {
		const byVersion: Record<number, number> = {};
		for (const row of db.prepare('SELECT key_version AS version, count(*) AS n FROM secrets GROUP BY key_version').all() as Array<{version: number; n: number}>) {
			byVersion[row.version] = row.n;
		}

		const secrets: SecretStats = {rows: (db.prepare('SELECT count(*) AS n FROM secrets').get() as {n: number}).n, byVersion};
		const versions = db.prepare('SELECT version, state FROM key_versions ORDER BY version').all() as Array<{version: number; state: string}>;
		const wrapped = db.prepare('SELECT version, count(*) AS n FROM wrapped_keys GROUP BY version').all() as Array<{version: number; n: number}>;
		const rotation = db.prepare('SELECT * FROM rotation').get();
		return {secrets, versions, wrapped, rotation};
	} finally {
		db.close();
	}
}

/** Checks a sample spread over the whole catalog against the values that were stored. */
async function assertSample(t: ExecutionContext, session: Session) {
	for (const index of [0, 1, 4999, 7777, dataSources - 1]) {
		t.deepEqual(await showDataSource(session, dataSourceName(index)), {name: dataSourceName(index), ...dataSourceValues(index), needsReentry: []});
	}
}

test('change on 10,000 data sources: cancelled after a few batches, pending in status, resumed to completion', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	await loadDataSources(session, dataSources);
	t.is((await readAllSecrets(session)).readable, values);

	const controller = new AbortController();
	const progress: number[] = [];
	const error = await rejectsWithCode(
		t,
		changeKey(session, {
			batchSize: 1000,
			signal: controller.signal,
			onProgress: ({done}) => {
				progress.push(done);
				if (progress.length === 4) controller.abort();
			},
		}),
		'CANCELLED',
	);
	t.truthy(error.hint);
	const pending = await pendingRotation(session);
	t.truthy(pending);
	t.is(pending!.fromVersion, 1);
	t.is(pending!.toVersion, 2);
	t.is(pending!.total, values);
	t.is(pending!.done, 3000);
	// The lease is released on a clean stop, so the next run resumes at once.
	t.is(pending!.leaseOwner, undefined);
	const status = await getStatus(session);
	t.is(status.rotation?.done, 3000);
	t.is(status.primaryKey?.version, 2);
	t.deepEqual(status.keyVersions.map(row => [row.version, row.state]), [[1, 'active'], [2, 'primary']]);

	// Mid-rotation every value is readable: both versions are live.
	const during = catalogFacts(deployment.catalogPath);
	t.deepEqual(during.secrets.byVersion, {1: values - 3000, 2: 3000});
	t.deepEqual(await readAllSecrets(session), {readable: values, needsReentry: 0});
	// A write during the pending rotation uses the new primary.
	await setDataSource(session, dataSourceName(9998), dataSourceValues(9998));

	const resumed = await changeKey(session, {batchSize: 2000});
	t.true(resumed.resumed);
	t.is(resumed.fromVersion, 1);
	t.is(resumed.toVersion, 2);
	t.not(resumed.fingerprint, init.keyFingerprint);
	t.is(await pendingRotation(session), undefined);

	const after = catalogFacts(deployment.catalogPath);
	t.deepEqual(after.secrets, {rows: values, byVersion: {2: values}});
	t.deepEqual(after.versions, [{version: 1, state: 'retired'}, {version: 2, state: 'primary'}]);
	// The old version has no wrapped copy left anywhere: only the new key can open anything.
	t.deepEqual(after.wrapped, [{version: 2, n: 1}]);
	t.is(after.rotation, undefined);
	t.deepEqual(await readAllSecrets(session), {readable: values, needsReentry: 0});
	await assertSample(t, session);
	const audit = await session.catalog.read(async tx => tx.listAudit(20));
	t.true(audit.some(entry => entry.operation === 'change-resume'));
	t.true(audit.some(entry => entry.operation === 'change'));
});

/** Threads of this process (Linux): the key change's crypto threads are among them while it runs. */
function threadCount(): number | undefined {
	try {
		return readdirSync(`/proc/${process.pid}/task`).length;
	} catch {
		return undefined;
	}
}

test.serial('a damaged value in a later batch stops the change with DECRYPT_FAILED: the batches before it are kept, no crypto thread outlives it, and the change resumes once the value is entered again', async t => {
	const {deployment, session} = await joinedInstance(t);
	await loadDataSources(session, 2000);
	// Serial, so that no other test's key change starts or stops threads meanwhile.
	const threadsBefore = threadCount();
	// Value 5,000 of 6,000 is in the third batch of 2,000: the batches go to the crypto threads in turn, so on two
	// cores it is not the first thread's. Its envelope's last byte (the tag) is flipped behind the core's back.
	const db = new Database(deployment.catalogPath);
	const damaged = db.prepare('SELECT id, owner, field, ciphertext FROM secrets ORDER BY id LIMIT 1 OFFSET 4999').get() as {id: number; owner: string; field: string; ciphertext: Buffer};
	damaged.ciphertext[damaged.ciphertext.length - 1]! ^= 1;
	db.prepare('UPDATE secrets SET ciphertext = ? WHERE id = ?').run(damaged.ciphertext, damaged.id);
	db.close();

	const error = await rejectsWithCode(t, changeKey(session, {batchSize: 2000}), 'DECRYPT_FAILED');
	t.true(error.message.includes(`${damaged.owner}/${damaged.field}`), error.message);
	if (threadsBefore !== undefined) t.is(threadCount(), threadsBefore, 'every crypto thread exited');
	const pending = await pendingRotation(session);
	t.is(pending?.done, 4000);
	t.is(pending?.leaseOwner, undefined);
	t.deepEqual(catalogFacts(deployment.catalogPath).secrets.byVersion, {1: 2000, 2: 4000});

	await setDataSource(session, damaged.owner, dataSourceValues(Number(damaged.owner.replace(/\D/g, ''))));
	const resumed = await changeKey(session);
	t.true(resumed.resumed);
	t.deepEqual(catalogFacts(deployment.catalogPath).secrets.byVersion, {2: 6000});
	// The time split is reported: the crypto threads were busy, and the main thread read and committed.
	t.true(resumed.timing.crypto > 0 && resumed.timing.reads > 0 && resumed.timing.commits > 0, JSON.stringify(resumed.timing));
});

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/TID/stat). */
function threadNiceValues(): number[] {
	return readdirSync(`/proc/${process.pid}/task`).map(tid => {
		const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
	});
}

// Thread priorities are set and read through /proc, which only Linux has (CI runs on Linux).
const onLinux = process.platform === 'linux' ? test.serial : test.serial.skip;

onLinux('the crypto threads run at a lower priority than the main thread (Linux), one per core up to two', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 2000);
	// The most threads at nice 4 seen at any commit: both threads have their first batch back by the second commit.
	let lowered = 0;
	await changeKey(session, {
		batchSize: 500,
		onProgress({done}) {
			if (done > 0) lowered = Math.max(lowered, threadNiceValues().filter(nice => nice === 4).length);
		},
	});
	t.is(lowered, Math.min(2, os.availableParallelism()));
	t.is(os.getPriority(), 0, 'the main thread keeps its priority');
});

test('a second process keeps reading every value while the key changes, with zero failures', async t => {
	const {deployment, session} = await joinedInstance(t);
	await loadDataSources(session, dataSources);

	const reader = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/helpers/reader-process.ts'), deployment.catalogPath, session.instanceDirectory, String(values)], {
		cwd: root,
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	const finished = collect(reader, 90_000);
	await new Promise<void>((resolve, reject) => {
		reader.stderr!.on('data', (chunk: Buffer) => {
			if (chunk.toString().includes('reading')) resolve();
		});
		reader.on('close', () => reject(new Error('the reader exited before its first read')));
	});

	// Small batches make the rotation last long enough for the reader to see it pending several times.
	const result = await changeKey(session, {batchSize: 250});
	t.false(result.resumed);
	t.is(result.reencrypted, values);
	// A few reads after the rotation finished, with version 1 retired.
	await delay(400);
	reader.stdin!.end();
	const output = await finished;
	t.is(output.code, 0, output.stderr);
	const summary = JSON.parse(output.stdout) as {reads: number; readsDuringRotation: number; failures: number; errors: string[]; minReadable: number; maxReadable: number; needsReentry: number};
	t.log(`reader: ${summary.reads} reads, ${summary.readsDuringRotation} during the rotation`);
	t.deepEqual(summary.errors, []);
	t.is(summary.failures, 0);
	t.true(summary.readsDuringRotation >= 1, 'the reader must have read while the rotation was pending');
	t.true(summary.reads > summary.readsDuringRotation);
	t.is(summary.minReadable, values);
	t.is(summary.maxReadable, values);
	t.is(summary.needsReentry, 0);
	t.deepEqual(catalogFacts(deployment.catalogPath).secrets.byVersion, {2: values});
});

test('a live lease makes a second change refuse with BUSY; an expired or dead one is taken over', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	const other = await deployment.open('b');
	const otherInit = await initialize(other);
	await addInstance(session, otherInit.installationId, otherInit.identityFingerprint);
	// The added server uses its key only once the admin confirmed the fingerprint shown on the joined one.
	await rejectsWithCode(t, changeKey(other), 'KEY_NOT_CONFIRMED');
	await confirmKey(other, session);
	await loadDataSources(session, 1000);

	// A rotation that stopped after one batch, then given the lease of a live process by hand: what a second
	// process sees between two batches of a running change.
	const controller = new AbortController();
	await rejectsWithCode(t, changeKey(session, {batchSize: 500, signal: controller.signal, onProgress: ({done}) => done > 0 && controller.abort()}), 'CANCELLED');
	const setLease = async (leaseOwner: string, leaseExpiresAt: string) =>
		session.catalog.write(async tx => tx.putRotation({...(await tx.getRotation())!, leaseOwner, leaseExpiresAt}));
	const soon = () => new Date(Date.now() + 30_000).toISOString();
	const liveOwner = `${init.installationId}@${os.hostname()}:${process.pid}:0a1b2c3d`;

	await setLease(liveOwner, soon());
	const busy = await rejectsWithCode(t, changeKey(other), 'BUSY');
	t.regex(busy.message, /500 of 3,000/);
	t.is((await pendingRotation(other))!.done, 500);

	// A live lease on another machine is respected even though its pid means nothing here.
	await setLease(`${init.installationId}@elsewhere.example.com:1:0a1b2c3d`, soon());
	await rejectsWithCode(t, changeKey(other), 'BUSY');
	// A process of this machine that no longer exists: taken over at once, without waiting for the expiry.
	await setLease(`${init.installationId}@${os.hostname()}:2147483646:0a1b2c3d`, soon());
	const resumed = await changeKey(other);
	t.true(resumed.resumed);
	t.is(resumed.toVersion, 2);
	t.deepEqual(catalogFacts(deployment.catalogPath).secrets.byVersion, {2: 3000});
	t.deepEqual(await readAllSecrets(session), {readable: 3000, needsReentry: 0});
});

test('an expired lease of another machine is taken over', async t => {
	const {session, init} = await joinedInstance(t);
	await loadDataSources(session, 100);
	const controller = new AbortController();
	controller.abort();
	await rejectsWithCode(t, changeKey(session, {signal: controller.signal}), 'CANCELLED');
	await session.catalog.write(async tx =>
		tx.putRotation({...(await tx.getRotation())!, leaseOwner: `${init.installationId}@elsewhere.example.com:1:0a1b2c3d`, leaseExpiresAt: new Date(Date.now() - 1000).toISOString()}),
	);
	const resumed = await changeKey(session);
	t.true(resumed.resumed);
	t.is(resumed.reencrypted, 300);
});

test('two key changes of the same instance in one process: the one that does not hold the lease refuses with BUSY', async t => {
	const {deployment, session} = await joinedInstance(t);
	await loadDataSources(session, 1000);
	const second = await deployment.open('a');
	let secondAttempt: Promise<unknown> | undefined;
	const first = changeKey(session, {
		batchSize: 200,
		onProgress({done}) {
			// Between two batches of the first change, the same instance (another session, same pid) tries too.
			if (done > 0 && !secondAttempt) secondAttempt = changeKey(second).catch((error: unknown) => error);
		},
	});
	const result = await first;
	t.is(result.toVersion, 2);
	const refusal = await secondAttempt;
	t.is((refusal as {code?: string}).code, 'BUSY');
	t.deepEqual(catalogFacts(deployment.catalogPath).secrets.byVersion, {2: 3000});
});

test('resumeOnly resumes a pending change, and starts nothing when none is pending (another server finished it)', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 4);
	await rejectsWithCode(t, changeKey(session, {resumeOnly: true}), 'NOTHING_TO_RESUME');
	t.deepEqual((await getStatus(session)).keyVersions.map(version => version.version), [1]);

	const controller = new AbortController();
	await rejectsWithCode(t, changeKey(session, {signal: controller.signal, batchSize: 1, onProgress: () => controller.abort()}), 'CANCELLED');
	t.truthy(await pendingRotation(session));
	const resumed = await changeKey(session, {resumeOnly: true});
	t.like(resumed, {fromVersion: 1, toVersion: 2, resumed: true});
	await rejectsWithCode(t, changeKey(session, {resumeOnly: true}), 'NOTHING_TO_RESUME');
	t.deepEqual((await getStatus(session)).keyVersions.map(version => version.version), [2]);
});
