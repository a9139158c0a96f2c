import {writeFile} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {newDeployment, strongPassword} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type CliOptions, type JsonError} from '../helpers/run-cli.ts';

// Issue 12, finding 13: help for the command groups, usage errors in our own words, rskeymgmt in its own terms.

test.before(() => {
	assertBuilt();
});

async function rskeymgmt(args: string[], options: CliOptions = {}) {
	return runCli(args, {...options, bin: 'rskeymgmt'});
}

test('`rscm key --help`, `instance --help`, `datasource --help` list the group\'s commands, exit 0', async t => {
	const groups = {
		key: ['backup', 'verify', 'restore', 'accept', 'change', 'delete-content'],
		instance: ['list', 'add ID', 'remove ID'],
		datasource: ['set NAME', 'import', 'list', 'show NAME'],
	};
	for (const [group, subcommands] of Object.entries(groups)) {
		const help = await runCli([group, '--help']);
		t.is(help.code, 0, `${group}: ${help.stderr}`);
		t.is(help.stderr, '');
		t.true(help.stdout.startsWith(`Usage: rscm ${group} <command> [options]\n`), help.stdout);
		for (const subcommand of subcommands) t.regex(help.stdout, new RegExp(`^  rscm ${group} ${subcommand} +\\S`, 'm'), `${group} ${subcommand}`);
		t.false(help.stdout.includes('Unknown command'));
		t.is((await runCli([group, '-h'])).stdout, help.stdout);
	}

	// The group's word alone names what it needs, a usage error.
	const bare = await runCli(['key']);
	t.is(bare.code, 2);
	t.regex(bare.stderr, /^rscm: `rscm key` needs a command: backup, verify, restore, accept, change, delete-content\. \[USAGE\]\nRun `rscm key --help`\.\n$/);
	// A command that is also a group's first word shows its own help and the commands beyond it.
	const audit = await runCli(['audit', '--help']);
	t.regex(audit.stdout, /^Usage: rscm audit \[options\]/);
	t.regex(audit.stdout, /See also:\n {2}rscm audit verify +Check the audit log/);
});

test('a bad option is a usage error in our own words, naming the option and the command\'s help (exit 2)', async t => {
	const bogus = await runCli(['status', '--bogus']);
	t.is(bogus.code, 2);
	t.is(bogus.stderr, 'rscm: Unknown option --bogus for `rscm status`. [USAGE]\nRun `rscm status --help` for its options.\n');
	const json = parseJson<JsonError>(await runCli(['status', '--bogus', '--json']));
	t.deepEqual(json.error, {code: 'USAGE', message: 'Unknown option --bogus for `rscm status`.', hint: 'Run `rscm status --help` for its options.'});

	const missing = await runCli(['key', 'backup', '--file']);
	t.is(missing.code, 2);
	t.is(missing.stderr, 'rscm: --file needs a value: --file PATH. [USAGE]\nRun `rscm key backup --help` for its options.\n');
	// An option where its value should be is a forgotten value, not a file named --password-stdin.
	t.regex((await runCli(['key', 'backup', '-f', '--password-stdin'])).stderr, /^rscm: -f needs a value: -f PATH\. \[USAGE\]/);
	const valued = await runCli(['key', 'change', '--yes=no']);
	t.is(valued.code, 2);
	t.regex(valued.stderr, /^rscm: --yes takes no value \(`--yes=no` was given\)\. \[USAGE\]/);
	// Without a command too: `rscm --bogus` names the option instead of printing the usage alone.
	const alone = await runCli(['--bogus']);
	t.is(alone.code, 2);
	t.is(alone.stderr, 'rscm: Unknown option --bogus for `rscm`. [USAGE]\nRun `rscm --help` for the commands and their options.\n');
	for (const result of [bogus, missing, valued, alone]) t.false(/positional|<value>|parseArgs|ERR_/.test(result.stderr), result.stderr);
});

async function initialized(t: ExecutionContext) {
	const deployment = await newDeployment(t);
	const a = ['-i', deployment.instanceDirectory('a'), '--catalog', deployment.catalogPath];
	t.is((await runCli(['init', '--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('a')])).code, 0);
	return {deployment, a};
}

test('rskeymgmt: -? and /? are help (exit 0); a flag without its value is said in rskeymgmt\'s terms', async t => {
	for (const flag of ['-?', '/?']) {
		const help = await rskeymgmt([flag]);
		t.is(help.code, 0, help.stderr);
		t.regex(help.stdout, /rskeymgmt -e -f FILE/);
		t.is(help.stderr, '');
	}

	const {a} = await initialized(t);
	const missing = await rskeymgmt(['-e', '-f', 'k', '-p', ...a]);
	t.is(missing.code, 2);
	t.true(missing.stderr.endsWith('rskeymgmt: -p needs a value: -p PASSWORD (or - to read it from stdin). [USAGE]\nRun `rskeymgmt -?` for the flags.\n'), missing.stderr);
	t.false(missing.stderr.includes('--p <value>'));
	const unknown = await rskeymgmt(['-x']);
	t.is(unknown.code, 2);
	t.regex(unknown.stderr, /rskeymgmt: Unknown option -x for `rskeymgmt`\. \[USAGE\]\nRun `rskeymgmt -\?` for the flags\.\n$/);
});

test('rskeymgmt\'s errors start with `rskeymgmt:` and their hints name its own flags, not --force or --yes', async t => {
	const {deployment, a} = await initialized(t);
	const file = path.join(deployment.root, 'k.snk');
	await writeFile(file, 'something already here\n');
	const exists = await rskeymgmt(['-e', '-f', file, '-p', '-', ...a], {stdin: `${strongPassword}\n`});
	t.is(exists.code, 1);
	t.regex(exists.stderr, /^rskeymgmt: .* already exists\. \[FILE_EXISTS\]\n/m);
	t.false(exists.stderr.includes('--force'));
	t.regex(exists.stderr, /give another file with -f, or move the existing file away first/);
	t.false(/^rscm:/m.test(exists.stderr), exists.stderr);
	// The same error from rscm keeps rscm's remedy.
	t.regex((await runCli(['key', 'backup', '--file', file, '--password-stdin', '--catalog', deployment.catalogPath, '--instance-dir', deployment.instanceDirectory('a')], {stdin: `${strongPassword}\n`})).stderr, /^rscm: .*\[FILE_EXISTS\]\n.*--force/m);

	const confirm = await rskeymgmt(['-s', ...a]);
	t.is(confirm.code, 1);
	t.regex(confirm.stderr, /^rskeymgmt: .*\[CONFIRMATION_REQUIRED\]\nPass -y to confirm\.\n$/);
	// A JSON error keeps its code and message; only the hint speaks rskeymgmt.
	const json = parseJson<JsonError>(await rskeymgmt(['-s', '--json', ...a]));
	t.is(json.error.code, 'CONFIRMATION_REQUIRED');
	t.is(json.error.hint, 'Pass -y to confirm.');
});
