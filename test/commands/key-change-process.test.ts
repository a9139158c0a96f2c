import {setTimeout as delay} from 'node:timers/promises';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import {readAllSecrets, showDataSource} from '../../source/core/data-sources.ts';
import {formatCount} from '../../source/core/display-format.ts';
import {changeKey, pendingRotation} from '../../source/core/key-change.ts';
import {dataSourceName, dataSourceValues, joinedInstance, loadDataSources, openTestSession, type Deployment} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, cliPath, collect, parseJson, spawnCli, type JsonError} from '../helpers/run-cli.ts';
import {spawnTerm} from '../helpers/term.ts';

// These tests start processes against one large catalog each; they run one at a time so their timing holds.
const dataSources = 10_000;
const values = dataSources * 3;

test.before(() => {
	assertBuilt();
});

async function largeDeployment(t: ExecutionContext) {
	const {deployment, session, init} = await joinedInstance(t);
	await loadDataSources(session, dataSources);
	await session.close();
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	return {deployment, env, init};
}

function rotationRow(file: string): {done: number; total: number; to_version: number} | undefined {
	const db = new Database(file, {readonly: true});
	try {
		return db.prepare('SELECT done, total, to_version FROM rotation').get() as {done: number; total: number; to_version: number} | undefined;
	} finally {
		db.close();
	}
}

/** What the file holds once a rotation is over: one live version, every value under it, no other wrapped copy. */
function assertSettled(t: ExecutionContext, deployment: Deployment, primary: number) {
	const db = new Database(deployment.catalogPath, {readonly: true});
	try {
		t.deepEqual(db.prepare('SELECT key_version AS version, count(*) AS n FROM secrets GROUP BY key_version').all(), [{version: primary, n: values}]);
		t.deepEqual(
			db.prepare("SELECT version FROM key_versions WHERE state <> 'retired'").all(),
			[{version: primary}],
		);
		t.deepEqual(db.prepare('SELECT DISTINCT version FROM wrapped_keys').all(), [{version: primary}]);
		t.deepEqual(db.prepare('SELECT count(*) AS n FROM rotation').get(), {n: 0});
	} finally {
		db.close();
	}
}

test.serial('a `key change` killed with SIGKILL mid-way leaves a pending rotation that the next change resumes', async t => {
	const {deployment, env, init} = await largeDeployment(t);
	const child = spawnCli(['key', 'change', '--yes'], {env});
	const result = collect(child);
	// Kill once the rotation is visibly under way (some batches committed, not all), or after a deadline.
	const deadline = Date.now() + 10_000;
	let seen: ReturnType<typeof rotationRow>;
	while (Date.now() < deadline && child.exitCode === null) {
		seen = rotationRow(deployment.catalogPath);
		if (seen && seen.done > 0 && seen.done < seen.total) break;
		await delay(2);
	}

	child.kill('SIGKILL');
	const killed = await result;
	t.is(killed.signal, 'SIGKILL', `the change finished before it could be killed: ${killed.stdout}`);
	t.log(`killed after ${seen?.done ?? 0} of ${values} values`);

	const session = await openTestSession(t, deployment.catalogPath, deployment.instanceDirectory('a'));
	const pending = await pendingRotation(session);
	t.truthy(pending, 'a rotation must be pending after the kill');
	t.is(pending!.toVersion, 2);
	t.true(pending!.done < values);
	// Both versions are live: every value is still readable while the rotation waits.
	t.deepEqual(await readAllSecrets(session), {readable: values, needsReentry: 0});

	// The dead process's lease does not block: the next change resumes at once.
	const resumed = await changeKey(session);
	t.true(resumed.resumed);
	t.is(resumed.toVersion, 2);
	t.not(resumed.fingerprint, init.keyFingerprint);
	assertSettled(t, deployment, 2);
	t.deepEqual(await readAllSecrets(session), {readable: values, needsReentry: 0});
	for (const index of [0, 5000, dataSources - 1]) {
		t.deepEqual(await showDataSource(session, dataSourceName(index)), {name: dataSourceName(index), ...dataSourceValues(index), needsReentry: []});
	}
});

test.serial('two concurrent `key change` processes: one finishes, the other refuses with BUSY or resumes; never corruption', async t => {
	const {deployment, env} = await largeDeployment(t);
	const outcomes = await Promise.all([0, 1].map(async () => collect(spawnCli(['key', 'change', '--yes', '--json'], {env}))));
	const succeeded = outcomes.filter(outcome => outcome.code === 0);
	const refused = outcomes.filter(outcome => outcome.code !== 0);
	t.true(succeeded.length >= 1, outcomes.map(outcome => outcome.stdout + outcome.stderr).join('\n'));
	for (const outcome of refused) {
		t.is(outcome.code, 1, outcome.stderr);
		t.is(parseJson<JsonError>(outcome).error.code, 'BUSY');
	}

	const results = succeeded.map(outcome => parseJson<{fromVersion: number; toVersion: number; resumed: boolean; reencrypted: number}>(outcome));
	t.log(results.map(result => `${result.fromVersion}→${result.toVersion}${result.resumed ? ' (resumed)' : ''}`).join(', ') + (refused.length > 0 ? ', one BUSY' : ''));
	const primary = Math.max(...results.map(result => result.toVersion));
	// One rotation to version 2; or, if the second started only after the first ended, a second one to version 3.
	t.true(primary === 2 || primary === 3);
	assertSettled(t, deployment, primary);
	const session = await openTestSession(t, deployment.catalogPath, deployment.instanceDirectory('a'));
	t.deepEqual(await readAllSecrets(session), {readable: values, needsReentry: 0});
	t.deepEqual(await showDataSource(session, dataSourceName(4242)), {name: dataSourceName(4242), ...dataSourceValues(4242), needsReentry: []});
});

test.serial('Ctrl+C on a terminal: the progress line ends, then the stop message on a line of its own; exit 130, resumable', async t => {
	const {deployment, env} = await largeDeployment(t);
	// On a terminal the command shows `\rRe-encrypting: N of M`; Ctrl+C there is the terminal's SIGINT.
	const term = spawnTerm(process.execPath, [cliPath, 'key', 'change', '--yes'], {env, cols: 200});
	t.teardown(() => term.dispose());
	await term.waitForText(new RegExp(`Re-encrypting: [1-9][\\d,]* of ${formatCount(values)}`), 30_000);
	await term.press('ctrlC');
	const exit = await term.exit;
	t.is(exit.exitCode, 130, term.rawOutput());
	const output = term.rawOutput();
	// The terminal echoes ^C after the progress; the command's newline ends that line (the pty turns \n into \r\n).
	t.regex(
		output,
		new RegExp(
			`Re-encrypting: [\\d,]+ of ${formatCount(values)}(\\^C)?\r\nrscm: Key change stopped after ([\\d,]+) of ${formatCount(values)} values\\. \\[CANCELLED\\]\r\nRun the key change again to resume where it stopped\\.\r\n$`,
		),
	);
	const stoppedAt = Number(/stopped after ([\d,]+) of/.exec(output)?.[1]?.replaceAll(',', ''));
	// The last progress shown is the count the message gives: the batch in flight was committed, then it stopped.
	t.true(output.includes(`Re-encrypting: ${formatCount(stoppedAt)} of ${formatCount(values)}`));
	t.deepEqual(rotationRow(deployment.catalogPath), {done: stoppedAt, total: values, to_version: 2});
	t.false(output.includes('    at '), 'no stack trace');
});
