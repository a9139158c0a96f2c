import {mkdir, readFile, readdir, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {newDeployment, strongPassword} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli} from '../helpers/run-cli.ts';

// `rscm check` and `rscm key backup --dir` through the built CLI: the exit codes and output a monitoring system and
// a timer see. The time-dependent rules are tested with a fake clock in test/core/health-check.test.ts.

test.before(() => {
	assertBuilt();
});

type Report = {state: string; exitCode: number; summary: string; findings: Array<{kind: string; state: string}>; error?: {code: string}};

test('rscm check answers in the monitoring-plugin convention: 2 before a backup, 0 after, 3 when it cannot look', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['init'], {env})).code, 0);

	const critical = await runCli(['check'], {env});
	t.is(critical.code, 2, critical.stderr);
	t.regex(critical.stdout, /^RSCM CRITICAL - the current key \(version 1\) was never backed up \| backup_age=U;;;0 key_version=1 instances_joined=1;;;0 /);
	t.is(critical.stdout.split('\n').length, 2, 'one line');
	t.is(critical.stderr, '');

	const json = await runCli(['check', '--json'], {env});
	t.is(json.code, 2);
	t.like(parseJson<Report>(json), {state: 'CRITICAL', exitCode: 2, findings: [{kind: 'backup-missing', state: 'CRITICAL'}]});

	const passwordFile = path.join(deployment.root, 'password');
	await writeFile(passwordFile, `${strongPassword}\n`, {mode: 0o600});
	const backups = path.join(deployment.root, 'backups');
	await mkdir(backups);
	const backup = await runCli(['key', 'backup', '--dir', backups, '--keep', '3', '--password-file', passwordFile, '--json'], {env});
	t.is(backup.code, 0, backup.stderr);
	const written = parseJson<{file: string; verified: boolean; kept: string[]; pruned: string[]}>(backup);
	t.true(written.verified);
	t.regex(path.basename(written.file), /^rskey-[\da-f-]+-v1-\d{8}T\d{6}Z\.snk$/);
	t.deepEqual(await readdir(backups), [path.basename(written.file)]);

	const ok = await runCli(['check', '--backup-age-warning', '2d', '--backup-age-critical', '8d'], {env});
	t.is(ok.code, 0, ok.stdout);
	t.regex(ok.stdout, /^RSCM OK - key version 1 backed up .*\| backup_age=\d+s;172800;691200;0 /);

	// The node exporter's textfile collector: to stdout, or atomically to a .prom file (the line then on stdout).
	const metrics = await runCli(['check', '--format', 'prometheus'], {env});
	t.is(metrics.code, 0);
	t.regex(metrics.stdout, /^# HELP rscm_check_status .*\n# TYPE rscm_check_status gauge\nrscm_check_status 0\n/);
	t.regex(metrics.stdout, /^rscm_key_backed_up 1$/m);
	const prom = path.join(deployment.root, 'rscm.prom');
	const toFile = await runCli(['check', '--format', 'prometheus', '--output', prom], {env});
	t.is(toFile.code, 0);
	t.regex(toFile.stdout, /^RSCM OK - /);
	t.regex(await readFile(prom, 'utf8'), /^rscm_check_status 0$/m);
	t.is((await stat(prom)).mode & 0o777, 0o644);

	// No catalog: UNKNOWN, still one plugin line on stdout (and the metrics say so too).
	const missing = {...env, RSCM_CATALOG: path.join(deployment.root, 'missing.db')};
	const unknown = await runCli(['check'], {env: missing});
	t.is(unknown.code, 3);
	t.regex(unknown.stdout, /^RSCM UNKNOWN - cannot check: .*\[CATALOG_NOT_FOUND\]\n$/);
	const unknownMetrics = await runCli(['check', '--format', 'prometheus', '--output', prom], {env: missing});
	t.is(unknownMetrics.code, 3);
	t.regex(await readFile(prom, 'utf8'), /^rscm_check_status 3$/m);
	t.like(parseJson<Report>(await runCli(['check', '--json'], {env: missing})), {state: 'UNKNOWN', exitCode: 3, error: {code: 'CATALOG_NOT_FOUND'}});
});

test('a misused rscm check is UNKNOWN (3), not CRITICAL', async t => {
	for (const args of [
		['check', '--bogus'],
		['check', 'extra'],
		['check', '--format', 'nagios'],
		['check', '--output', 'x.prom'],
		['check', '--json', '--format', 'prometheus'],
		['check', '--backup-age-warning', '7'],
		['check', '--backup-age-warning', '8d', '--backup-age-critical', '2d'],
	]) {
		const result = await runCli(args, {env: {RSCM_CATALOG: '/nonexistent/catalog.db'}});
		t.is(result.code, 3, args.join(' '));
		// Said as usage errors always are (with --json: as the JSON error document).
		t.regex(result.stderr + result.stdout, args.includes('--json') ? /"code":"USAGE"/ : /\[USAGE\]/, args.join(' '));
	}
});

test('key backup --dir needs --keep, and does not mix with --file or --force', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['init'], {env})).code, 0);
	const cases: Array<[string[], RegExp]> = [
		[['--dir', deployment.root], /--keep N is required with --dir/],
		[['--dir', deployment.root, '--keep', '0'], /--keep must be a whole number from 1 to 100000, not "0"/],
		[['--file', 'x.snk', '--keep', '3'], /--keep N goes with --dir DIR/],
		[['--dir', deployment.root, '--keep', '3', '--file', 'x.snk'], /does not go with --file or --force/],
		[['--dir', deployment.root, '--keep', '3', '--force'], /does not go with --file or --force/],
	];
	for (const [args, message] of cases) {
		const result = await runCli(['key', 'backup', ...args, '--password-stdin'], {env, stdin: `${strongPassword}\n`});
		t.is(result.code, 2, args.join(' '));
		t.regex(result.stderr, message);
	}

	const help = await runCli(['key', 'backup', '--help']);
	t.regex(help.stdout, /--dir DIR/);
	t.regex(help.stdout, /--keep N/);
	t.regex((await runCli(['--help'])).stdout, /rscm check +Check the key/);
});
