import {execFile} from 'node:child_process';
import {mkdir, readFile, readdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import test, {type ExecutionContext} from 'ava';
import {newDeployment, strongPassword, tempDirectory} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, cliPath, root, runCli} from '../helpers/run-cli.ts';

// The systemd units and the cron line of contrib/ (README, Scheduled backups and Monitoring): checked by
// `systemd-analyze verify`, and their command lines run against a real deployment.

const run = promisify(execFile);
const unitsDirectory = path.join(root, 'contrib', 'systemd');
const cronFile = path.join(root, 'contrib', 'cron', 'rscm-backup');

async function systemdAnalyzeMissing(): Promise<string | undefined> {
	try {
		await run('systemd-analyze', ['--version']);
		return undefined;
	} catch (error) {
		return (error as Error).message;
	}
}

const missing = await systemdAnalyzeMissing();
if (missing !== undefined && process.env['CI'] === 'true') {
	test('systemd-analyze is installed', t => {
		t.fail(`systemd-analyze cannot run (${missing}); CI must verify the units in contrib/systemd (apt-get install systemd).`);
	});
} else if (missing !== undefined) {
	console.error(`systemd unit tests skipped: systemd-analyze cannot run (${missing}).`);
}

const withSystemd = missing === undefined ? test : test.skip;

test.before(() => {
	assertBuilt();
});

/**
 * Copies of the units in a temporary directory with /usr/bin/rscm pointing at the built CLI, the one change
 * `systemd-analyze verify` needs: it refuses an ExecStart whose program does not exist.
 */
async function installedUnits(t: ExecutionContext, edit: (name: string, text: string) => string = (_name, text) => text): Promise<string[]> {
	const directory = await tempDirectory(t, 'rscm-units-');
	const files: string[] = [];
	for (const name of await readdir(unitsDirectory)) {
		const text = (await readFile(path.join(unitsDirectory, name), 'utf8')).replaceAll('/usr/bin/rscm', cliPath);
		const file = path.join(directory, name);
		await writeFile(file, edit(name, text));
		files.push(file);
	}

	return files;
}

async function verify(files: string[]): Promise<{code: number; stderr: string}> {
	try {
		const {stderr} = await run('systemd-analyze', ['verify', '--man=no', ...files]);
		return {code: 0, stderr};
	} catch (error) {
		const failure = error as {code?: number; stderr?: string};
		return {code: typeof failure.code === 'number' ? failure.code : 1, stderr: failure.stderr ?? String(error)};
	}
}

withSystemd('systemd-analyze verify accepts the units without a warning, and would catch a broken one', async t => {
	const files = await installedUnits(t);
	t.deepEqual(files.map(file => path.basename(file)).sort(), ['rscm-backup.service', 'rscm-backup.timer', 'rscm-check.service', 'rscm-check.timer']);
	const result = await verify(files);
	t.is(result.code, 0, result.stderr);
	// An unknown or misspelt setting is only a warning to systemd, and would silently weaken the hardening.
	t.is(result.stderr, '');

	// The verification is real: a misspelt hardening setting and a bad calendar are both reported.
	const misspelt = await verify(await installedUnits(t, (name, text) => (name === 'rscm-backup.service' ? text.replace('ProtectSystem=', 'ProtectSystm=') : text)));
	t.regex(misspelt.stderr, /Unknown key( name)? 'ProtectSystm'/);
	const badTimer = await verify(await installedUnits(t, (name, text) => (name === 'rscm-backup.timer' ? text.replace('OnCalendar=daily', 'OnCalendar=dailyy') : text)));
	t.not(badTimer.code, 0);
});

/** The settings of a unit file: every `Key=value` line, by key. */
async function settings(name: string): Promise<Map<string, string[]>> {
	const map = new Map<string, string[]>();
	for (const line of (await readFile(path.join(unitsDirectory, name), 'utf8')).split('\n')) {
		const match = /^(\w+)=(.*)$/.exec(line);
		if (match) map.set(match[1]!, [...(map.get(match[1]!) ?? []), match[2]!]);
	}

	return map;
}

test('the backup service is hardened and takes its password from a credential, never from the command line', async t => {
	const unit = await settings('rscm-backup.service');
	const only = (key: string) => {
		const values = unit.get(key) ?? [];
		t.is(values.length, 1, key);
		return values[0] ?? '';
	};

	t.is(only('Type'), 'oneshot');
	t.regex(only('User'), /^\w+$/);
	t.not(only('User'), 'root');
	t.is(only('ProtectSystem'), 'strict');
	t.is(only('NoNewPrivileges'), 'yes');
	t.is(only('PrivateTmp'), 'yes');
	t.is(only('UMask'), '0077');
	t.is(only('CapabilityBoundingSet'), '');
	t.regex(only('LoadCredential'), /^backup-password:\/etc\/rscm\/backup-password$/);
	const command = only('ExecStart');
	t.regex(command, /^\/usr\/bin\/rscm key backup --dir (\S+) --keep \d+ --password-file %d\/backup-password$/);
	t.notRegex(command, /--password(?!-file)|Str0ng/);
	const directory = /--dir (\S+)/.exec(command)![1]!;
	t.true(only('ReadWritePaths').split(' ').includes(directory), 'the backup directory is writable');

	const timer = await settings('rscm-backup.timer');
	t.deepEqual(timer.get('OnCalendar'), ['daily']);
	t.deepEqual(timer.get('Persistent'), ['true']);
	t.deepEqual(timer.get('WantedBy'), ['timers.target']);

	const check = await settings('rscm-check.service');
	const checkCommand = check.get('ExecStart')![0]!;
	const output = /--output (\S+)/.exec(checkCommand)![1]!;
	t.true(check.get('ReadWritePaths')![0]!.split(' ').includes(path.dirname(output)));
	t.regex(output, /\.prom$/);
	t.deepEqual(check.get('SuccessExitStatus'), ['1 2']);
});

/** A unit's or the cron line's rscm command, run against a deployment with its paths moved into it. */
async function runLine(t: ExecutionContext, line: string, paths: Record<string, string>, env: Record<string, string>) {
	let moved = line;
	for (const [from, to] of Object.entries(paths)) moved = moved.replaceAll(from, to);
	const args = moved.split(' ');
	t.is(args.shift(), '/usr/bin/rscm');
	return runCli(args, {env});
}

test('the command lines of the units and of the cron line work: a verified backup, then an OK check', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['init'], {env})).code, 0);
	const credentials = path.join(deployment.root, 'credentials');
	const backups = path.join(deployment.root, 'backups');
	const textfiles = path.join(deployment.root, 'textfiles');
	for (const directory of [credentials, backups, textfiles]) await mkdir(directory);
	await writeFile(path.join(credentials, 'backup-password'), `${strongPassword}\n`, {mode: 0o400});
	const paths = {'%d': credentials, '/etc/rscm': credentials, '/var/backups/rscm': backups, '/var/lib/prometheus/node-exporter': textfiles};

	const backup = await runLine(t, (await settings('rscm-backup.service')).get('ExecStart')![0]!, paths, env);
	t.is(backup.code, 0, backup.stderr);
	t.regex(backup.stdout, /verified/);

	// /etc/cron.d format: its variables, then minute hour day month weekday, the account, the command.
	const cron = (await readFile(cronFile, 'utf8')).split('\n').filter(line => line !== '' && !line.startsWith('#'));
	const entry = cron.find(line => /^\S+ \S+ \S+ \S+ \S+ \w+ \//.test(line));
	t.truthy(entry, 'a cron entry');
	const variables = Object.fromEntries(cron.filter(line => line !== entry).map(line => line.split('=') as [string, string]));
	t.deepEqual(Object.keys(variables).sort(), ['RSCM_CATALOG', 'RSCM_INSTANCE_DIR']);
	const fields = entry!.split(' ');
	t.deepEqual(fields.slice(0, 6), ['17', '2', '*', '*', '*', 'rscm']);
	const cronRun = await runLine(t, fields.slice(6).join(' '), paths, env);
	t.is(cronRun.code, 0, cronRun.stderr);
	t.is((await readdir(backups)).length, 2);

	const check = await runLine(t, (await settings('rscm-check.service')).get('ExecStart')![0]!, paths, env);
	t.is(check.code, 0, check.stdout);
	t.regex(await readFile(path.join(textfiles, 'rscm.prom'), 'utf8'), /^rscm_check_status 0$/m);
});
