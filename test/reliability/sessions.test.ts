import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import {backupKey} from '../../source/core/key-backup.ts';
import {joinedInstance, loadDataSources, rejectsWithCode, strongPassword, temporaryFiles} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, collect, parseJson, spawnCli, type JsonError} from '../helpers/run-cli.ts';

// Sessions that drop (issue 6, CLI part): SIGHUP is what an SSH disconnect sends, SIGTERM what systemd and kill send,
// SIGINT what Ctrl+C sends. Each stops the command after its step with CANCELLED and the shell's 128 + signal number
// (README, Output and exit codes). The UI's part (terminal restored, a rotation started from the UI) is tested with
// the UI.

const exitCodes = {SIGHUP: 129, SIGINT: 130, SIGTERM: 143} as const;

test.before(() => {
	assertBuilt();
});

type RotationRow = {done: number; total: number; lease_owner: string | null; lease_expires_at: string | null};

function rotationRow(file: string): RotationRow | undefined {
	const db = new Database(file, {readonly: true});
	try {
		return db.prepare('SELECT done, total, lease_owner, lease_expires_at FROM rotation').get() as RotationRow | undefined;
	} finally {
		db.close();
	}
}

/** Sends `signal` once the rotation is visibly under way (some batches committed, not all). */
async function signalMidRotation(t: ExecutionContext, catalog: string, env: Record<string, string>, signal: NodeJS.Signals) {
	const child = spawnCli(['key', 'change', '--yes', '--json'], {env});
	const result = collect(child);
	const before = rotationRow(catalog)?.done ?? 0;
	const deadline = Date.now() + 20_000;
	let seen: RotationRow | undefined;
	while (Date.now() < deadline && child.exitCode === null) {
		seen = rotationRow(catalog);
		if (seen && seen.done > before && seen.done < seen.total) break;
		await delay(2);
	}

	child.kill(signal);
	const outcome = await result;
	t.log(`${signal} after ${seen?.done ?? 0} of ${seen?.total ?? 0} values`);
	return outcome;
}

test.serial('SIGHUP, SIGTERM and SIGINT mid-rotation stop `key change` after its batch (CANCELLED, exit 129/143/130, lease released); the next start resumes', async t => {
	const {deployment, session} = await joinedInstance(t);
	await loadDataSources(session, 6000);
	await session.close();
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};

	let previousDone = 0;
	for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
		const stopped = await signalMidRotation(t, deployment.catalogPath, env, signal);
		// Not killed by the signal: the handler let the batch finish and the command report it.
		t.is(stopped.signal, null, `${signal}: the process died of the signal instead of stopping cleanly`);
		t.is(stopped.code, exitCodes[signal], stopped.stderr);
		const {error} = parseJson<JsonError & {error: {details?: {progress?: {done: number; total: number}}}}>(stopped);
		t.is(error.code, 'CANCELLED');
		t.regex(error.hint ?? '', /resume/);
		t.is(stopped.stderr, '', 'under --json the error is the JSON document, nothing on stderr');
		const pending = rotationRow(deployment.catalogPath);
		t.truthy(pending, `${signal}: the rotation must stay pending`);
		t.true(pending!.done > previousDone && pending!.done < pending!.total, `${signal}: done ${pending!.done}`);
		// The counts as data (what the UI shows), the ones the catalog committed.
		t.deepEqual(error.details?.progress, {done: pending!.done, total: pending!.total});
		// The lease is released, so the next start does not wait 30 s for it to expire.
		t.is(pending!.lease_owner, null);
		t.is(pending!.lease_expires_at, null);
		previousDone = pending!.done;
	}

	const resumed = await collect(spawnCli(['key', 'change', '--yes', '--json'], {env}));
	t.is(resumed.code, 0, resumed.stderr);
	t.like(parseJson(resumed), {resumed: true, fromVersion: 1, toVersion: 2, reencrypted: 18_000});
	t.is(rotationRow(deployment.catalogPath), undefined);
});

/** CPU time (clock ticks) of the process's threads other than the main one: the KDF runs on a libuv worker. */
async function workerCpuTicks(pid: number): Promise<number> {
	let ticks = 0;
	for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
		if (tid === String(pid)) continue;
		const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
	}

	return ticks;
}

for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
	test.serial(`${signal} while \`key backup\` runs the KDF: CANCELLED, exit ${exitCodes[signal]}, promptly, no file and no temp file`, async t => {
		const {deployment, session} = await joinedInstance(t);
		await session.close();
		const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
		const file = path.join(deployment.root, 'rskey.snk');
		const child = spawnCli(['key', 'backup', '--file', file, '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`});
		const result = collect(child);
		// Wait until a worker thread burns CPU: the scrypt KDF (about half a second) is under way.
		const deadline = Date.now() + 10_000;
		const baseline = await workerCpuTicks(child.pid!);
		while (Date.now() < deadline && child.exitCode === null && (await workerCpuTicks(child.pid!)) < baseline + 3) await delay(5);
		t.is(child.exitCode, null, 'the backup ended before the KDF was seen');
		const sent = Date.now();
		child.kill(signal);
		const outcome = await result;
		const stoppedAfter = Date.now() - sent;
		t.log(`${signal} mid-KDF: exited ${outcome.code} after ${stoppedAfter} ms`);
		t.is(outcome.signal, null);
		t.is(outcome.code, exitCodes[signal], outcome.stderr);
		t.is(parseJson<JsonError>(outcome).error.code, 'CANCELLED');
		// The KDF thread cannot be interrupted; the process waits for it at most, never writes.
		t.true(stoppedAfter < 3000, `took ${stoppedAfter} ms to stop`);
		t.deepEqual((await readdir(deployment.root)).filter(name => name.includes('rskey')), []);
		t.deepEqual(await temporaryFiles(deployment.root), []);
		// And nothing recorded a backup that does not exist.
		const db = new Database(deployment.catalogPath, {readonly: true});
		t.deepEqual(db.prepare('SELECT backed_up_at FROM key_versions').all(), [{backed_up_at: null}]);
		db.close();
	});
}

test('backupKey stops mid-KDF when its signal fires, and writes nothing (core level)', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'k.snk');
	const controller = new AbortController();
	const started = Date.now();
	setTimeout(() => controller.abort(), 60);
	await rejectsWithCode(t, backupKey(session, {file, password: strongPassword, signal: controller.signal}), 'CANCELLED');
	// Settled at the signal, not at the end of the KDF.
	t.true(Date.now() - started < 300, `${Date.now() - started} ms`);
	await delay(800);
	t.deepEqual(await readdir(deployment.root).then(names => names.filter(name => name.endsWith('.snk') || name.endsWith('.tmp'))), []);
	// An already aborted signal refuses before any work.
	await rejectsWithCode(t, backupKey(session, {file, password: strongPassword, signal: AbortSignal.abort()}), 'CANCELLED');
});
