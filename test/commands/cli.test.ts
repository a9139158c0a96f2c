import {chmod, mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {initialize} from '../../source/core/initialize.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {newDeployment, strongPassword, tempDirectory, temporaryFiles, type Deployment} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type CliResult, type JsonError} from '../helpers/run-cli.ts';

/** The parts of `status --json` these tests look at. */
type Status = Record<string, unknown> & {
	catalog: Record<string, unknown> & {catalogId: string};
	primaryKey: Record<string, unknown> & {version: number};
	identity: {fingerprint: string};
	instances: unknown;
};

test.before(() => {
	assertBuilt();
});

/** Environment that points the CLI at one instance of a deployment, as a script sets it. */
function envFor(deployment: Deployment, instance = 'a') {
	return {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory(instance)};
}

/** A deployment whose instance "a" was initialized through the CLI. */
async function cliDeployment(t: ExecutionContext) {
	const deployment = await newDeployment(t);
	const env = envFor(deployment);
	const init = await runCli(['init', '--json'], {env});
	t.is(init.code, 0, init.stderr);
	return {deployment, env, init: parseJson<{installationId: string; keyFingerprint: string; identityFingerprint: string}>(init)};
}

function assertJsonError(t: ExecutionContext, result: CliResult, code: string, exitCode = 1): JsonError['error'] {
	t.is(result.code, exitCode, `${result.stdout}\n${result.stderr}`);
	const body = parseJson<JsonError>(result);
	t.is(body.error?.code, code, result.stdout);
	t.is(typeof body.error.message, 'string');
	t.true(body.error.message.length > 0);
	// Exactly one JSON document: nothing else on stdout.
	t.is(result.stdout.trim().split('\n').length, 1, result.stdout);
	return body.error;
}

test('help, version, unknown commands and bad options', async t => {
	const help = await runCli(['--help']);
	t.is(help.code, 0);
	t.regex(help.stdout, /Usage:/);
	for (const line of ['rscm key backup', 'rscm key restore', 'rscm key change', 'rscm datasource show NAME', 'rscm instance add ID']) {
		t.true(help.stdout.includes(line), line);
	}

	const backupHelp = await runCli(['key', 'backup', '--help']);
	t.is(backupHelp.code, 0);
	t.regex(backupHelp.stdout, /Usage: rscm key backup/);
	t.regex(backupHelp.stdout, /--password-stdin/);
	t.regex(backupHelp.stdout, /Examples:\n\s+rscm key backup --file \S+/);

	const version = await runCli(['--version']);
	t.is(version.code, 0);
	t.regex(version.stdout.trim(), /^\d+\.\d+\.\d+/);

	const unknown = await runCli(['frobnicate']);
	t.is(unknown.code, 2);
	t.regex(unknown.stderr, /Unknown command: frobnicate.*\[USAGE\]/);
	const unknownJson = await runCli(['key', 'frobnicate', '--json']);
	assertJsonError(t, unknownJson, 'USAGE', 2);
	t.regex(parseJson<JsonError>(unknownJson).error.hint ?? '', /key backup/);

	assertJsonError(t, await runCli(['status', '--bogus', '--json']), 'USAGE', 2);
	// Passwords are never accepted from argv.
	assertJsonError(t, await runCli(['key', 'backup', '--file', 'x.snk', '--password', strongPassword, '--json']), 'USAGE', 2);
	assertJsonError(t, await runCli(['instance', 'add', '--json']), 'USAGE', 2);
	assertJsonError(t, await runCli(['key', 'backup', '--json']), 'USAGE', 2);
});

test('rscm with no command and stdin not a terminal is NOT_A_TERMINAL, exit 2', async t => {
	const directory = await tempDirectory(t);
	const env = {RSCM_CATALOG: path.join(directory, 'c.db'), RSCM_INSTANCE_DIR: path.join(directory, 'i')};
	const result = await runCli([], {env});
	t.is(result.code, 2);
	t.regex(result.stderr, /NOT_A_TERMINAL/);
	t.regex(result.stderr, /rscm --help/);
	t.is(result.stdout, '');
	assertJsonError(t, await runCli(['--json'], {env}), 'NOT_A_TERMINAL', 2);
});

test('init, status, instance list: --json shapes; a second instance waits', async t => {
	const {deployment, env, init} = await cliDeployment(t);
	t.like(init, {status: 'joined', catalogCreated: true});
	t.regex(init.keyFingerprint, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);

	const human = await runCli(['status'], {env});
	t.is(human.code, 0);
	t.regex(human.stdout, /Key status: +Joined/);
	t.regex(human.stdout, /Never — back up the key now/);

	const status = await runCli(['status', '--json'], {env});
	t.is(status.code, 0);
	const report = parseJson<Status>(status);
	t.like(report, {status: 'joined', installationId: init.installationId, instanceName: 'SSRS', instances: {joined: 1, waiting: 0, total: 1}});
	t.like(report['catalog'], {exists: true, kind: 'sqlite', location: deployment.catalogPath});
	t.regex(report.catalog.catalogId, /^[0-9a-f-]{36}$/);
	t.like(report['primaryKey'], {version: 1, fingerprint: init.keyFingerprint, state: 'primary'});
	t.is(report.primaryKey['backedUpAt'], undefined);
	t.is(report.identity.fingerprint, init.identityFingerprint);
	// Key material never leaves the catalog through status.
	t.false('keyCheck' in report['primaryKey']);
	t.false(status.stdout.includes('privateKey'));

	const second = await runCli(['init', '--json', '--name', 'SSRS2'], {env: envFor(deployment, 'b')});
	t.is(second.code, 0, second.stderr);
	const secondInit = parseJson<Record<string, unknown>>(second);
	t.like(secondInit, {status: 'waiting', catalogCreated: false});
	t.is(secondInit['keyFingerprint'], undefined);

	const list = await runCli(['instance', 'list', '--json'], {env});
	t.is(list.code, 0);
	const rows = parseJson<Array<Record<string, unknown>>>(list);
	t.is(rows.length, 2);
	t.like(rows.find(row => row['installationId'] === init.installationId), {status: 'joined', statusLabel: 'Joined', isThisInstance: true, instanceName: 'SSRS'});
	t.like(rows.find(row => row['installationId'] === secondInit['installationId']), {status: 'waiting', statusLabel: 'Waiting to Join', isThisInstance: false, instanceName: 'SSRS2'});
	for (const row of rows) t.regex(row['identityFingerprint'] as string, /^[0-9a-f]{4}(-[0-9a-f]{4})+$/);
	const table = await runCli(['instance', 'list'], {env});
	t.regex(table.stdout, /Waiting to Join/);
});

test('datasource set / import / list / show', async t => {
	const {env} = await cliDeployment(t);
	const set = await runCli(['datasource', 'set', 'Sales', '--json'], {env, stdin: JSON.stringify({connectionString: 'Server=sql01;Database=Sales', username: 'rs', password: 'Sales-Pw-1'})});
	t.is(set.code, 0, set.stderr);
	t.deepEqual(parseJson<Record<string, unknown>>(set)['fields'], {connectionString: 'set', username: 'set', password: 'set'});
	t.false(set.stdout.includes('Sales-Pw-1'));

	const lines = [
		JSON.stringify({name: 'HR', connectionString: 'Server=sql02;Database=HR', password: 'Hr-Pw-2'}),
		'',
		JSON.stringify({name: 'Ops', username: 'ops'}),
		JSON.stringify({name: 'Finance', connectionString: 'Server=sql03', username: 'fin', password: 'Fin-Pw-3'}),
	].join('\n');
	const imported = await runCli(['datasource', 'import', '--json'], {env, stdin: lines + '\n'});
	t.is(imported.code, 0, imported.stderr);
	t.deepEqual(parseJson(imported), {imported: 3});

	const list = await runCli(['datasource', 'list', '--json'], {env});
	t.is(list.code, 0);
	const rows = parseJson<Array<{name: string; fields: Record<string, string>; needsReentry: boolean}>>(list);
	t.deepEqual(rows.map(row => [row.name, row.fields, row.needsReentry]), [
		['Finance', {connectionString: 'set', username: 'set', password: 'set'}, false],
		['HR', {connectionString: 'set', username: 'unset', password: 'set'}, false],
		['Ops', {connectionString: 'unset', username: 'set', password: 'unset'}, false],
		['Sales', {connectionString: 'set', username: 'set', password: 'set'}, false],
	]);
	for (const secret of ['Sales-Pw-1', 'Hr-Pw-2', 'Fin-Pw-3', 'Server=sql0']) t.false(list.stdout.includes(secret), secret);

	const show = await runCli(['datasource', 'show', 'HR', '--reveal', '--json'], {env});
	t.is(show.code, 0, show.stderr);
	t.deepEqual(parseJson(show), {name: 'HR', connectionString: 'Server=sql02;Database=HR', password: 'Hr-Pw-2', needsReentry: []});
	const showHuman = await runCli(['datasource', 'show', 'Sales', '--reveal'], {env});
	t.regex(showHuman.stdout, /Password: +Sales-Pw-1/);

	const noReveal = await runCli(['datasource', 'show', 'HR'], {env});
	t.is(noReveal.code, 2);
	t.false(noReveal.stdout.includes('Hr-Pw-2'));
	t.false(noReveal.stderr.includes('Hr-Pw-2'));
	assertJsonError(t, await runCli(['datasource', 'show', 'HR', '--json'], {env}), 'USAGE', 2);

	// Updating one field leaves the others; null removes a field.
	const update = await runCli(['datasource', 'set', 'HR'], {env, stdin: '{"password": null, "username": "hr_new"}'});
	t.is(update.code, 0, update.stderr);
	t.deepEqual(parseJson(await runCli(['datasource', 'show', 'HR', '--reveal', '--json'], {env})), {
		name: 'HR',
		connectionString: 'Server=sql02;Database=HR',
		username: 'hr_new',
		needsReentry: [],
	});

	assertJsonError(t, await runCli(['datasource', 'set', 'Bad', '--json'], {env, stdin: 'not json'}), 'INVALID_INPUT');
	assertJsonError(t, await runCli(['datasource', 'set', 'Bad', '--json'], {env, stdin: '{"pasword":"typo"}'}), 'INVALID_INPUT');
	const badLine = assertJsonError(t, await runCli(['datasource', 'import', '--json'], {env, stdin: '{"name":"A1"}\n{oops\n'}), 'INVALID_INPUT');
	t.regex(badLine.message, /Line 2/);
	assertJsonError(t, await runCli(['datasource', 'show', 'Nope', '--reveal', '--json'], {env}), 'UNKNOWN_DATA_SOURCE');
});

test('key backup / verify / restore through the CLI, with --password-stdin and --password-file', async t => {
	const {deployment, env, init} = await cliDeployment(t);
	const file = path.join(deployment.root, 'rskey.snk');
	const backup = await runCli(['key', 'backup', '--file', file, '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`});
	t.is(backup.code, 0, backup.stderr);
	t.deepEqual(parseJson(backup), {file, primaryFingerprint: init.keyFingerprint, versions: [{version: 1, fingerprint: init.keyFingerprint}]});
	t.is((await stat(file)).mode & 0o777, 0o600);
	t.false(backup.stdout.includes(strongPassword));
	t.false(backup.stderr.includes(strongPassword));

	const before = await readFile(file, 'utf8');
	const exists = assertJsonError(t, await runCli(['key', 'backup', '--file', file, '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`}), 'FILE_EXISTS');
	t.true(exists.message.includes(file));
	t.is(await readFile(file, 'utf8'), before);
	const forced = await runCli(['key', 'backup', '--file', file, '--force', '--password-stdin'], {env, stdin: `${strongPassword}\n`});
	t.is(forced.code, 0, forced.stderr);
	t.not(await readFile(file, 'utf8'), before);
	t.regex(forced.stdout, /Backed up key/);

	const passwordFile = path.join(deployment.root, 'pass.txt');
	await writeFile(passwordFile, `${strongPassword}\nsecond line ignored\n`, {mode: 0o600});
	const verify = await runCli(['key', 'verify', '--file', file, '--password-file', passwordFile, '--json'], {env});
	t.is(verify.code, 0, verify.stderr);
	t.like(parseJson(verify), {file, matchesCatalog: true, restorable: true, missingVersions: [], keys: [{version: 1, fingerprint: init.keyFingerprint, primary: true}]});

	const b = envFor(deployment, 'b');
	t.is((await runCli(['init'], {env: b})).code, 0);
	const restore = await runCli(['key', 'restore', '--file', file, '--password-file', passwordFile, '--json'], {env: b});
	t.is(restore.code, 0, restore.stderr);
	t.deepEqual(parseJson(restore), {file, fingerprints: [init.keyFingerprint], identityCreated: false});
	t.like(parseJson(await runCli(['status', '--json'], {env: b})), {status: 'joined'});

	assertJsonError(t, await runCli(['key', 'verify', '--file', file, '--password-stdin', '--json'], {env, stdin: 'Wr0ng!Backup#Pass\n'}), 'WRONG_PASSWORD');
	assertJsonError(t, await runCli(['key', 'restore', '--file', file, '--password-stdin', '--json'], {env: b, stdin: 'Wr0ng!Backup#Pass\n'}), 'WRONG_PASSWORD');
	// No password source and stdin is not a terminal: a usage error, not a hang.
	assertJsonError(t, await runCli(['key', 'verify', '--file', file, '--json'], {env}), 'USAGE', 2);
	assertJsonError(t, await runCli(['key', 'verify', '--file', file, '--password-stdin', '--json'], {env, stdin: ''}), 'USAGE', 2);
	assertJsonError(t, await runCli(['key', 'verify', '--file', path.join(deployment.root, 'absent.snk'), '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`}), 'FILE_NOT_FOUND');
	const notBackup = path.join(deployment.root, 'notes.txt');
	await writeFile(notBackup, 'hello\n');
	assertJsonError(t, await runCli(['key', 'verify', '--file', notBackup, '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`}), 'NOT_A_BACKUP');
});

test('backup file errors through the CLI: weak password, missing directory, a directory, no temp files', async t => {
	const {deployment, env} = await cliDeployment(t);
	const weak = assertJsonError(t, await runCli(['key', 'backup', '--file', path.join(deployment.root, 'w.snk'), '--password-stdin', '--json'], {env, stdin: 'password\n'}), 'WEAK_PASSWORD');
	t.regex(weak.message, /an uppercase letter/);
	t.regex(weak.message, /a symbol/);
	t.false(weak.message.includes('password\n'));
	assertJsonError(t, await runCli(['key', 'backup', '--file', path.join(deployment.root, 'missing', 'k.snk'), '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`}), 'DIRECTORY_NOT_FOUND');
	const directory = path.join(deployment.root, 'adir');
	await mkdir(directory);
	assertJsonError(t, await runCli(['key', 'backup', '--file', directory, '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`}), 'IS_A_DIRECTORY');
	const human = await runCli(['key', 'backup', '--file', directory, '--password-stdin'], {env, stdin: `${strongPassword}\n`});
	t.is(human.code, 1);
	t.regex(human.stderr, /\[IS_A_DIRECTORY\]/);
	t.deepEqual(await temporaryFiles(deployment.root), []);
	t.deepEqual(await temporaryFiles(directory), []);
});

test('restore refusals through the CLI: other catalog, outdated backup naming the version', async t => {
	const one = await cliDeployment(t);
	const other = await cliDeployment(t);
	const otherFile = path.join(other.deployment.root, 'other.snk');
	t.is((await runCli(['key', 'backup', '--file', otherFile, '--password-stdin'], {env: other.env, stdin: `${strongPassword}\n`})).code, 0);
	assertJsonError(t, await runCli(['key', 'restore', '--file', otherFile, '--password-stdin', '--json'], {env: one.env, stdin: `${strongPassword}\n`}), 'BACKUP_FOR_OTHER_CATALOG');

	const file = path.join(one.deployment.root, 'old.snk');
	t.is((await runCli(['key', 'backup', '--file', file, '--password-stdin'], {env: one.env, stdin: `${strongPassword}\n`})).code, 0);
	const change = await runCli(['key', 'change', '--yes', '--json'], {env: one.env});
	t.is(change.code, 0, change.stderr);
	const changed = parseJson<Record<string, unknown>>(change);
	t.like(changed, {fromVersion: 1, toVersion: 2, reencrypted: 0, resumed: false});
	t.regex(changed['fingerprint'] as string, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
	const outdated = assertJsonError(t, await runCli(['key', 'restore', '--file', file, '--password-stdin', '--json'], {env: one.env, stdin: `${strongPassword}\n`}), 'BACKUP_OUTDATED');
	t.regex(outdated.message, /version 2\b/);
	t.true(outdated.message.includes(changed['fingerprint'] as string));
});

test('destructive commands need --yes when stdin is not a terminal', async t => {
	const {deployment, env, init} = await cliDeployment(t);
	t.is((await runCli(['datasource', 'set', 'Sales'], {env, stdin: '{"password":"pw"}'})).code, 0);
	const b = envFor(deployment, 'b');
	const bInit = parseJson<{installationId: string; identityFingerprint: string}>(await runCli(['init', '--json'], {env: b}));

	assertJsonError(t, await runCli(['key', 'change', '--json'], {env}), 'CONFIRMATION_REQUIRED');
	assertJsonError(t, await runCli(['key', 'delete-content', '--json'], {env}), 'CONFIRMATION_REQUIRED');
	assertJsonError(t, await runCli(['instance', 'remove', bInit.installationId, '--json'], {env}), 'CONFIRMATION_REQUIRED');
	assertJsonError(t, await runCli(['instance', 'add', bInit.installationId, '--json'], {env}), 'CONFIRMATION_REQUIRED');
	const human = await runCli(['key', 'change'], {env});
	t.is(human.code, 1);
	t.regex(human.stderr, /\[CONFIRMATION_REQUIRED\]/);
	t.regex(human.stderr, /--yes/);
	// Nothing happened.
	const status = parseJson<Status>(await runCli(['status', '--json'], {env}));
	t.is(status.primaryKey.version, 1);
	t.deepEqual(status['instances'], {joined: 1, waiting: 1, total: 2});

	// account change: refused without a backup first, then needs confirmation.
	assertJsonError(t, await runCli(['account', 'change', '--json'], {env}), 'NO_BACKUP');
	t.is((await runCli(['key', 'backup', '--file', path.join(deployment.root, 'k.snk'), '--password-stdin'], {env, stdin: `${strongPassword}\n`})).code, 0);
	assertJsonError(t, await runCli(['account', 'change', '--json'], {env}), 'CONFIRMATION_REQUIRED');
	const account = await runCli(['account', 'change', '--yes', '--json'], {env});
	t.is(account.code, 0, account.stderr);
	const changed = parseJson<Record<string, string>>(account);
	t.is(changed['previousFingerprint'], init.identityFingerprint);
	t.not(changed['fingerprint'], init.identityFingerprint);

	// instance add: --fingerprint instead of a terminal confirmation; a wrong one gives nothing away.
	assertJsonError(t, await runCli(['instance', 'add', bInit.installationId, '--fingerprint', '0000-0000-0000-0000-0000', '--json'], {env}), 'INVALID_INPUT');
	t.like(parseJson(await runCli(['status', '--json'], {env: b})), {status: 'waiting'});
	const add = await runCli(['instance', 'add', bInit.installationId.slice(0, 8), '--fingerprint', bInit.identityFingerprint, '--json'], {env});
	t.is(add.code, 0, add.stderr);
	t.like(parseJson(add), {installationId: bInit.installationId, status: 'joined'});
	// key accept on the added server: it uses the key once the admin compared its fingerprint with a joined server's.
	t.like(parseJson(await runCli(['status', '--json'], {env: b})), {status: 'unconfirmed'});
	assertJsonError(t, await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env: b}), 'KEY_NOT_CONFIRMED');
	const fingerprint = parseJson<Status & {primaryKey: {fingerprint: string}}>(await runCli(['status', '--json'], {env})).primaryKey.fingerprint;
	t.is(fingerprint, init.keyFingerprint);
	assertJsonError(t, await runCli(['key', 'accept', '--json'], {env: b}), 'CONFIRMATION_REQUIRED');
	const accepted = await runCli(['key', 'accept', '--fingerprint', fingerprint, '--json'], {env: b});
	t.is(accepted.code, 0, accepted.stderr);
	t.like(parseJson(accepted), {version: 1, fingerprint});
	t.like(parseJson(await runCli(['status', '--json'], {env: b})), {status: 'joined'});
	t.like(parseJson(await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env: b})), {password: 'pw'});

	const remove = await runCli(['instance', 'remove', bInit.installationId, '--yes', '--json'], {env});
	t.is(remove.code, 0, remove.stderr);
	t.like(parseJson(remove), {installationId: bInit.installationId});

	const deleted = await runCli(['key', 'delete-content', '--yes', '--json'], {env});
	t.is(deleted.code, 0, deleted.stderr);
	t.like(parseJson(deleted), {cleared: 1, instancesReset: 0});
	t.like(parseJson(await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env})), {name: 'Sales', needsReentry: ['password']});
});

test('error codes through the CLI: --json shape and exit 1', async t => {
	const {deployment, env, init} = await cliDeployment(t);
	const fresh = await tempDirectory(t);
	// Not initialized; catalog missing.
	assertJsonError(t, await runCli(['datasource', 'show', 'X', '--reveal', '--json'], {env: {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: path.join(fresh, 'i')}}), 'NOT_INITIALIZED');
	assertJsonError(t, await runCli(['datasource', 'list', '--json', '--catalog', path.join(fresh, 'none.db'), '--instance-dir', path.join(fresh, 'j')]), 'CATALOG_NOT_FOUND');

	// Waiting to join, unknown and ambiguous-free lookups, last joined instance.
	const b = envFor(deployment, 'b');
	const bInit = parseJson<{installationId: string}>(await runCli(['init', '--json'], {env: b}));
	assertJsonError(t, await runCli(['datasource', 'set', 'X', '--json'], {env: b, stdin: '{"password":"p"}'}), 'WAITING_TO_JOIN');
	assertJsonError(t, await runCli(['instance', 'add', 'ffffffff-ffff-4fff-8fff-ffffffffffff', '--yes', '--json'], {env}), 'UNKNOWN_INSTANCE');
	assertJsonError(t, await runCli(['instance', 'add', bInit.installationId, '--yes', '--json'], {env: b}), 'WAITING_TO_JOIN');
	const last = assertJsonError(t, await runCli(['instance', 'remove', init.installationId, '--yes', '--json'], {env}), 'LAST_JOINED_INSTANCE');
	t.regex(last.hint ?? '', /backup/);

	// Identity problems.
	const identity = identityPath(deployment.instanceDirectory('a'), 'current');
	await chmod(identity, 0o644);
	const insecure = assertJsonError(t, await runCli(['status', '--json'], {env}), 'INSECURE_PERMISSIONS');
	t.true(insecure.message.includes(identity));
	await chmod(identity, 0o600);
	await chmod(deployment.instanceDirectory('a'), 0o755);
	assertJsonError(t, await runCli(['status', '--json'], {env}), 'INSECURE_PERMISSIONS');
	await chmod(deployment.instanceDirectory('a'), 0o700);
	await chmod(path.join(deployment.instanceDirectory('a'), 'settings.json'), 0o644);
	assertJsonError(t, await runCli(['status', '--json'], {env}), 'INSECURE_PERMISSIONS');
	await chmod(path.join(deployment.instanceDirectory('a'), 'settings.json'), 0o600);

	await rm(identity);
	const status = parseJson<Record<string, unknown>>(await runCli(['status', '--json'], {env}));
	t.is(status['status'], 'key-unavailable');
	assertJsonError(t, await runCli(['datasource', 'list', '--json'], {env}).then(async () => runCli(['key', 'change', '--yes', '--json'], {env})), 'KEY_UNAVAILABLE');
	assertJsonError(t, await runCli(['key', 'backup', '--file', path.join(deployment.root, 'k.snk'), '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`}), 'KEY_UNAVAILABLE');
});

test('--catalog and --instance-dir options work like the environment variables', async t => {
	const deployment = await newDeployment(t);
	const args = ['--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('x')];
	const init = await runCli(['init', ...args, '--json']);
	t.is(init.code, 0, init.stderr);
	const session = await deployment.open('x');
	t.is((await initialize(session)).installationId, parseJson<{installationId: string}>(init).installationId);
	t.like(parseJson(await runCli([...args, 'status', '--json'])), {status: 'joined'});
});

test('key verify exits 1 for a backup that cannot be restored here: too old (BACKUP_OUTDATED) or of another catalog', async t => {
	const {deployment, env} = await cliDeployment(t);
	const file = path.join(deployment.root, 'old.snk');
	const password = {stdin: `${strongPassword}\n`};
	t.is((await runCli(['key', 'backup', '--file', file, '--password-stdin'], {env, ...password})).code, 0);
	t.is((await runCli(['key', 'verify', '--file', file, '--password-stdin'], {env, ...password})).code, 0);
	t.is((await runCli(['key', 'change', '--yes'], {env})).code, 0);

	// Status says the backup is outdated, not missing, and which version it lacks.
	t.like(parseJson(await runCli(['status', '--json'], {env})), {primaryKey: {version: 2, backedUpAt: undefined}, outdatedBackup: {version: 1}});
	t.regex((await runCli(['status'], {env})).stdout, /Last backup: {5}outdated — \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC holds version 1, not version 2: back up the key now/);
	const outdated = assertJsonError(t, await runCli(['key', 'verify', '--file', file, '--password-stdin', '--json'], {env, ...password}), 'BACKUP_OUTDATED');
	t.regex(outdated.message, /lacks live key version\(s\) 2/);
	// The human report still says what the file holds before the error.
	const human = await runCli(['key', 'verify', '--file', file, '--password-stdin'], {env, ...password});
	t.is(human.code, 1);
	t.regex(human.stdout, /too old to restore/);
	t.regex(human.stderr, /\[BACKUP_OUTDATED\]/);

	const other = await newDeployment(t);
	const otherEnv = envFor(other);
	t.is((await runCli(['init'], {env: otherEnv})).code, 0);
	assertJsonError(t, await runCli(['key', 'verify', '--file', file, '--password-stdin', '--json'], {env: otherEnv, ...password}), 'BACKUP_FOR_OTHER_CATALOG');
});
