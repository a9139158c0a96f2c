import path from 'node:path';
import test from 'ava';
import {newDeployment, strongPassword} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type JsonError} from '../helpers/run-cli.ts';

// Issue 12, finding 15: `--yes` confirms; it no longer also skips the "back up first" safety of account change.

test.before(() => {
	assertBuilt();
});

type Status = {identity: {fingerprint: string}; primaryKey: {version: number}};

test('account change --yes still refuses without an up-to-date backup; --no-backup-check skips it, by name', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['init'], {env})).code, 0);
	const identity = async () => parseJson<Status>(await runCli(['status', '--json'], {env})).identity.fingerprint;
	const before = await identity();

	const refused = await runCli(['account', 'change', '--yes'], {env});
	t.is(refused.code, 1);
	t.regex(refused.stderr, /^rscm: The primary key has no up-to-date backup; back it up before changing the service identity\. \[NO_BACKUP\]\n/);
	t.regex(refused.stderr, /rscm key backup --file PATH.*--no-backup-check.*--yes only confirms/);
	t.is(await identity(), before);

	// A backup made before a key change is not up to date: still refused.
	t.is((await runCli(['key', 'backup', '--file', path.join(deployment.root, 'v1.snk'), '--password-stdin'], {env, stdin: `${strongPassword}\n`})).code, 0);
	t.is((await runCli(['key', 'change', '--yes'], {env})).code, 0);
	t.is(parseJson<JsonError>(await runCli(['account', 'change', '--yes', '--json'], {env})).error.code, 'NO_BACKUP');
	t.is(await identity(), before);

	// Skipping the check does not confirm: without --yes (and no terminal) it still asks.
	t.is(parseJson<JsonError>(await runCli(['account', 'change', '--no-backup-check', '--json'], {env})).error.code, 'CONFIRMATION_REQUIRED');
	const changed = await runCli(['account', 'change', '--yes', '--no-backup-check', '--json'], {env});
	t.is(changed.code, 0, changed.stderr);
	t.like(parseJson(changed), {previousFingerprint: before});
	t.not(await identity(), before);

	// With an up-to-date backup, --yes alone is enough.
	t.is((await runCli(['key', 'backup', '--file', path.join(deployment.root, 'v2.snk'), '--password-stdin'], {env, stdin: `${strongPassword}\n`})).code, 0);
	t.is((await runCli(['account', 'change', '--yes'], {env})).code, 0);
	t.regex((await runCli(['account', 'change', '--help'])).stdout, /--no-backup-check +Change it even though the primary key has no backup/);
});

test('key delete-content --yes confirms but still says what it erases; key change needs no backup first', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['init'], {env})).code, 0);
	t.is((await runCli(['datasource', 'set', 'Sales'], {env, stdin: '{"password":"pw"}'})).code, 0);
	// A backup made before a key change cannot restore the new key: the reminder to back up comes after it.
	const change = await runCli(['key', 'change', '--yes'], {env});
	t.is(change.code, 0, change.stderr);
	t.regex(change.stdout, /Back up the new key now/);

	const deleted = await runCli(['key', 'delete-content', '--yes'], {env});
	t.is(deleted.code, 0, deleted.stderr);
	t.regex(deleted.stdout, /^This erases 1 encrypted values; they will have to be entered again:\n {2}datasource Sales: password\n/);
	t.regex(deleted.stdout, /Deleted 1 encrypted values; new key/);
	// Under --json the same lines go to stderr: stdout stays one JSON document.
	t.is((await runCli(['datasource', 'set', 'Sales'], {env, stdin: '{"password":"pw"}'})).code, 0);
	const json = await runCli(['key', 'delete-content', '--yes', '--json'], {env});
	t.like(parseJson(json), {cleared: 1});
	t.regex(json.stderr, /This erases 1 encrypted values/);
});
