import {stat} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {newDeployment, strongPassword} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type CliOptions, type JsonError} from '../helpers/run-cli.ts';

test.before(() => {
	assertBuilt();
});

async function rskeymgmt(args: string[], options: CliOptions = {}) {
	return runCli(args, {...options, bin: 'rskeymgmt'});
}

async function setup(t: ExecutionContext) {
	const deployment = await newDeployment(t);
	const common = ['--catalog', deployment.catalogPath];
	const a = ['-i', deployment.instanceDirectory('a'), ...common];
	const b = ['-i', deployment.instanceDirectory('b'), ...common];
	const init = await runCli(['init', '--json', '--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('a')]);
	t.is(init.code, 0, init.stderr);
	return {deployment, a, b, init: parseJson<{installationId: string; keyFingerprint: string}>(init)};
}

test('-e -f F -p - reads the password from stdin; -p PASSWORD works with a warning; -a restores', async t => {
	const {deployment, a, b, init} = await setup(t);
	const file = path.join(deployment.root, 'rskey.snk');
	const extract = await rskeymgmt(['-e', '-f', file, '-p', '-', ...a], {stdin: `${strongPassword}\n`});
	t.is(extract.code, 0, extract.stderr);
	t.regex(extract.stdout, new RegExp(`Backed up key ${init.keyFingerprint}`));
	t.false(extract.stderr.includes('command line is visible'));
	t.is((await stat(file)).mode & 0o777, 0o600);

	const second = path.join(deployment.root, 'rskey2.snk');
	const inline = await rskeymgmt(['-e', '-f', second, '-p', strongPassword, ...a]);
	t.is(inline.code, 0, inline.stderr);
	t.regex(inline.stderr, /warning: a password on the command line is visible/);
	t.false(inline.stdout.includes(strongPassword));

	// -a on a waiting instance restores and joins it; -t shows the rscm equivalent without the password.
	t.is((await runCli(['init', '--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('b')])).code, 0);
	const apply = await rskeymgmt(['-a', '-f', file, '-p', '-', '-t', '--json', ...b], {stdin: `${strongPassword}\n`});
	t.is(apply.code, 0, apply.stderr);
	t.regex(apply.stderr, /trace: rscm key restore --file \S+ --password-stdin/);
	t.false(apply.stderr.includes(strongPassword));
	t.deepEqual(parseJson(apply), {file, fingerprints: [init.keyFingerprint], identityCreated: false});

	const wrong = await rskeymgmt(['-a', '-f', file, '-p', '-', '--json', ...b], {stdin: 'Wr0ng!Backup#Pass\n'});
	t.is(wrong.code, 1);
	t.is(parseJson<JsonError>(wrong).error.code, 'WRONG_PASSWORD');
	const weak = await rskeymgmt(['-e', '-f', path.join(deployment.root, 'w.snk'), '-p', '-', '--json', ...a], {stdin: 'weak\n'});
	t.is(weak.code, 1);
	t.is(parseJson<JsonError>(weak).error.code, 'WEAK_PASSWORD');
});

test('-l lists, -j -m -n -y adds the waiting instance, -r ID -y removes it', async t => {
	const {deployment, a, b, init} = await setup(t);
	const bInit = await runCli(['init', '--json', '--name', 'SSRS2', '--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('b')]);
	const bId = parseJson<{installationId: string}>(bInit).installationId;
	const machine = parseJson<{machine: string}>(await runCli(['status', '--json', '--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('b')])).machine;

	const list = await rskeymgmt(['-l', ...a]);
	t.is(list.code, 0, list.stderr);
	t.regex(list.stdout, new RegExp(`${init.installationId}`));
	t.regex(list.stdout, new RegExp(`SSRS2 +Waiting to Join +${bId}`));
	const listJson = await rskeymgmt(['-l', '--json', ...a]);
	t.deepEqual(parseJson<Array<{installationId: string; status: string}>>(listJson).map(row => [row.installationId, row.status]).sort(), [[init.installationId, 'joined'], [bId, 'waiting']].sort());

	const noYes = await rskeymgmt(['-j', '-m', machine, '-n', 'SSRS2', '--json', ...a]);
	t.is(parseJson<JsonError>(noYes).error.code, 'CONFIRMATION_REQUIRED');
	const unknown = await rskeymgmt(['-j', '-m', 'NO-SUCH-HOST', '-n', 'SSRS2', '-y', '--json', ...a]);
	t.is(unknown.code, 1);
	t.is(parseJson<JsonError>(unknown).error.code, 'UNKNOWN_INSTANCE');
	const join = await rskeymgmt(['-j', '-m', machine.toLowerCase(), '-n', 'SSRS2', '-y', '--json', ...a]);
	t.is(join.code, 0, join.stderr);
	t.like(parseJson(join), {installationId: bId, status: 'joined'});
	t.is(parseJson<Array<{status: string}>>(await rskeymgmt(['-l', '--json', ...b])).filter(row => row.status === 'joined').length, 2);

	const removeNoYes = await rskeymgmt(['-r', bId, '--json', ...a]);
	t.is(parseJson<JsonError>(removeNoYes).error.code, 'CONFIRMATION_REQUIRED');
	const remove = await rskeymgmt(['-r', bId, '-y', ...a]);
	t.is(remove.code, 0, remove.stderr);
	t.is(parseJson<unknown[]>(await rskeymgmt(['-l', '--json', ...a])).length, 1);
	const unknownRemove = await rskeymgmt(['-r', bId, '-y', '--json', ...a]);
	t.is(parseJson<JsonError>(unknownRemove).error.code, 'UNKNOWN_INSTANCE');
});

test('-s -y changes the key, -d -y deletes content; without -y they need confirmation', async t => {
	const {deployment, a, init} = await setup(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['datasource', 'set', 'Sales'], {env, stdin: '{"password":"pw","username":"u"}'})).code, 0);

	const refuse = await rskeymgmt(['-s', ...a]);
	t.is(refuse.code, 1);
	t.regex(refuse.stderr, /CONFIRMATION_REQUIRED/);
	const change = await rskeymgmt(['-s', '-y', '--json', ...a]);
	t.is(change.code, 0, change.stderr);
	t.like(parseJson(change), {fromVersion: 1, toVersion: 2, reencrypted: 2, resumed: false});
	t.like(parseJson(await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env})), {password: 'pw', username: 'u'});
	const status = parseJson<{primaryKey: {version: number; fingerprint: string}}>(await runCli(['status', '--json'], {env}));
	t.is(status.primaryKey.version, 2);
	t.not(status.primaryKey.fingerprint, init.keyFingerprint);

	t.is((await rskeymgmt(['-d', ...a])).code, 1);
	const remove = await rskeymgmt(['-d', '-y', '--json', ...a]);
	t.is(remove.code, 0, remove.stderr);
	t.like(parseJson(remove), {cleared: 2, instancesReset: 0});
	t.like(parseJson(await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env})), {needsReentry: ['username', 'password']});
});

test('bad flags are usage errors (exit 2)', async t => {
	const {a} = await setup(t);
	for (const args of [['-x'], [], ['-e', '-s'], ['-e', '-p', '-'], ['-j', '-m', 'HOST'], ['-l', 'extra'], ['-e', '-f']]) {
		const result = await rskeymgmt([...args, ...a], {stdin: `${strongPassword}\n`});
		t.is(result.code, 2, `rskeymgmt ${args.join(' ')}: ${result.stderr}`);
		t.regex(result.stderr, /USAGE|Usage/);
	}

	const help = await rskeymgmt(['-h']);
	t.is(help.code, 0);
	t.regex(help.stdout, /rskeymgmt -e -f FILE/);
});
