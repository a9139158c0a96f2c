// How a command ends when its output goes away or something unexpected breaks (issue 11), through the built CLI:
// a reader that closes early (`| head`) ends the output quietly with the command's own exit status; a failing
// stdout (a full disk) is an error; a bug is one `rscm: … [INTERNAL]` line with a hint, never a stack trace unless
// RSCM_DEBUG=1. README, Output and exit codes. Needs `npm run build` first (npm test does it).
import {spawn} from 'node:child_process';
import {closeSync, existsSync, openSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import {joinedInstance, loadDataSources} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, cliPath, collect, parseJson, root, runCli, spawnCli, type CliOptions, type CliResult, type JsonError} from '../helpers/run-cli.ts';

test.before(() => {
	assertBuilt();
});

/** A stack trace as Node prints one: `    at fn (file:line:col)`. */
const stackLine = /^\s+at .+/m;

async function deploymentWith(t: ExecutionContext, dataSources: number) {
	const {deployment, session} = await joinedInstance(t);
	if (dataSources > 0) await loadDataSources(session, dataSources);
	await session.close();
	return {deployment, env: {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')}};
}

/**
 * Runs a command whose stdout is read by a reader that leaves early: after `keepBytes` bytes (as `head -c` does), or
 * before the first byte (keepBytes 0). Returns what the command printed on stderr, its exit and what was read.
 */
async function runWithEarlyClose(args: string[], options: CliOptions & {keepBytes: number}): Promise<CliResult & {read: number}> {
	const child = spawnCli(args, options);
	let read = 0;
	const stdout = child.stdout!;
	if (options.keepBytes === 0) stdout.destroy();
	else {
		stdout.on('data', (chunk: Buffer) => {
			read += chunk.length;
			if (read >= options.keepBytes) stdout.destroy();
		});
	}

	// collect() reads stderr only: stdout is the early reader's.
	const result = await collect(Object.assign(child, {stdout: null}), options.timeoutMs);
	return {...result, read};
}

/** Exit 0 and nothing about the closed stdout; `stderr` is what the command says there anyway (human text under --json). */
function assertQuiet(t: ExecutionContext, result: CliResult, label: string, stderr: string | RegExp = '') {
	t.is(result.signal, null, `${label}: killed by ${result.signal}`);
	t.is(result.code, 0, `${label}: ${result.stderr}`);
	if (typeof stderr === 'string') t.is(result.stderr, stderr, `${label}: a closed stdout is not an error and prints nothing`);
	else t.regex(result.stderr, stderr, label);
	t.notRegex(result.stderr, /EPIPE|\[[A-Z_]+\]/, label);
	t.notRegex(result.stderr, stackLine, label);
}

test('`datasource list` of 5,000 rows, human and --json, into a reader that stops after 4 KiB: no EPIPE trace, exit 0, silent', async t => {
	const {env} = await deploymentWith(t, 5000);
	// The whole output is far larger than a pipe's buffer (64 KiB), so the write is still under way when the reader leaves.
	const full = await runCli(['datasource', 'list'], {env});
	t.is(full.code, 0, full.stderr);
	t.true(full.stdout.length > 200_000, `${full.stdout.length} bytes`);
	const fullJson = await runCli(['datasource', 'list', '--json'], {env});
	t.true(fullJson.stdout.length > 200_000, `${fullJson.stdout.length} bytes`);

	for (const args of [['datasource', 'list'], ['datasource', 'list', '--json']]) {
		const result = await runWithEarlyClose(args, {env, keepBytes: 4096});
		t.true(result.read >= 4096 && result.read < full.stdout.length, `${args.join(' ')}: read ${result.read}`);
		assertQuiet(t, result, args.join(' '));
		// And a reader that left before the first byte.
		assertQuiet(t, await runWithEarlyClose(args, {env, keepBytes: 0}), `${args.join(' ')}, closed at once`);
	}
});

test('`key change --yes` whose stdout is closed finishes the change (it does not stop half-way), exit 0, silent', async t => {
	const {env, deployment} = await deploymentWith(t, 3000);
	for (const [index, args] of [['key', 'change', '--yes'], ['key', 'change', '--yes', '--json']].entries()) {
		const result = await runWithEarlyClose(args, {env, keepBytes: 0});
		// Under --json the human lines go to stderr, which is still open.
		assertQuiet(t, result, args.join(' '), args.includes('--json') ? /^Finished key change: version \d[^\n]*\nBack up the new key now[^\n]*\n$/ : '');
		const db = new Database(deployment.catalogPath, {readonly: true});
		try {
			// Finished: no rotation left, every value under the new version, the old one retired.
			t.deepEqual(db.prepare('SELECT count(*) AS n FROM rotation').get(), {n: 0});
			t.deepEqual(db.prepare('SELECT key_version AS version, count(*) AS n FROM secrets GROUP BY key_version').all(), [{version: index + 2, n: 9000}]);
		} finally {
			db.close();
		}
	}
});

test('`rscm key change --yes | head -1` in a shell with pipefail: the first line, exit 0, no trace', async t => {
	const {env} = await deploymentWith(t, 1000);
	const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${cliPath}" key change --yes | head -1`], {
		cwd: root,
		env: {...process.env, ...env},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const result = await collect(child);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^Finished key change: version 2 \([\da-f-]+\) is primary; 3,000 values re-encrypted; version 1 retired\.\n$/);
	t.is(result.stderr, '');
});

test('rskeymgmt -l into a closed stdout: exit 0, silent', async t => {
	const {env} = await deploymentWith(t, 0);
	assertQuiet(t, await runWithEarlyClose(['-l'], {env, bin: 'rskeymgmt', keepBytes: 0}), 'rskeymgmt -l');
});

test('a stdout that fails otherwise (a full disk) is an error: DISK_FULL on stderr, exit 1', async t => {
	if (!existsSync('/dev/full')) {
		t.pass('no /dev/full on this system');
		return;
	}

	const {env} = await deploymentWith(t, 10);
	const full = openSync('/dev/full', 'w');
	t.teardown(() => closeSync(full));
	const child = spawn(process.execPath, [cliPath, 'datasource', 'list'], {cwd: root, env: {...process.env, ...env}, stdio: ['ignore', full, 'pipe']});
	const result = await collect(child);
	t.is(result.code, 1);
	t.is(result.stderr, 'rscm: No space left on the device: the output on stdout is incomplete. [DISK_FULL]\nFree some space, or send the output elsewhere.\n');
});

/** Plants what no rscm writes: an audit entry whose fingerprint list is not JSON. Reading it is a bug's path (INTERNAL). */
function corruptAuditEntry(catalog: string) {
	const db = new Database(catalog);
	try {
		db.prepare('UPDATE audit_log SET fingerprints = ? WHERE id = (SELECT min(id) FROM audit_log)').run('{not json');
	} finally {
		db.close();
	}
}

test('an unexpected error is one line `rscm: … [INTERNAL]` and a hint, without a stack; RSCM_DEBUG=1 adds the stack', async t => {
	const {env, deployment} = await deploymentWith(t, 0);
	corruptAuditEntry(deployment.catalogPath);

	const human = await runCli(['audit'], {env});
	t.is(human.code, 1);
	const lines = human.stderr.split('\n');
	t.regex(lines[0]!, /^rscm: Unexpected error: .*JSON.* \[INTERNAL\]$/);
	t.is(lines[1], 'This is a bug in rscm: please report it with this message (RSCM_DEBUG=1 prints the stack).');
	t.is(lines.length, 3, human.stderr);
	t.notRegex(human.stderr, stackLine);

	const json = await runCli(['audit', '--json'], {env});
	t.is(json.code, 1);
	t.like(parseJson<JsonError>(json).error, {code: 'INTERNAL', hint: lines[1]});
	t.is(json.stderr, '');

	for (const value of ['1', 'true']) {
		const debug = await runCli(['audit'], {env: {...env, RSCM_DEBUG: value}});
		t.is(debug.code, 1);
		t.true(debug.stderr.startsWith(`${lines[0]}\n${lines[1]}\n`), debug.stderr);
		// The original error's stack: where the bug is.
		t.regex(debug.stderr, /SyntaxError: .*JSON[^]*\n\s+at JSON\.parse/);
	}

	// Off unless asked for.
	t.notRegex((await runCli(['audit'], {env: {...env, RSCM_DEBUG: '0'}})).stderr, stackLine);
});

const fatalEntry = path.join(root, 'test', 'fixtures', 'fatal-entry.ts');

async function runFatal(kind: string, extra: string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
	const environment: NodeJS.ProcessEnv = {...process.env, ...env};
	if (!('RSCM_DEBUG' in env)) delete environment['RSCM_DEBUG'];
	return collect(spawn(process.execPath, ['--import', 'tsx', fatalEntry, kind, ...extra], {cwd: root, env: environment, stdio: ['ignore', 'pipe', 'pipe']}));
}

test('an uncaught exception or unhandled rejection in an entry: one INTERNAL line, exit 1, never Node\'s trace', async t => {
	const thrown = await runFatal('throw');
	t.is(thrown.code, 1);
	t.is(
		thrown.stderr,
		'rscm: Unexpected error: Cannot read properties of undefined (reading "fingerprint") second line [INTERNAL]\n' +
			'This is a bug in rscm: please report it with this message (RSCM_DEBUG=1 prints the stack).\n',
	);

	const rejected = await runFatal('reject');
	t.is(rejected.code, 1);
	t.regex(rejected.stderr, /^rscm: Unexpected error: Invalid array length \[INTERNAL\]\n[^\n]+\n$/);

	const json = await runFatal('reject', ['--json']);
	t.is(json.code, 1);
	t.like(parseJson<JsonError>(json).error, {code: 'INTERNAL', message: 'Unexpected error: Invalid array length'});
	t.is(json.stderr, '');

	// An RscmError nobody caught keeps its code and hint.
	const known = await runFatal('rscm');
	t.is(known.code, 1);
	t.is(known.stderr, 'rscm: The catalog at /srv/c.db cannot be used. [CATALOG_UNAVAILABLE]\nCheck the path.\n');

	const debug = await runFatal('throw', [], {RSCM_DEBUG: '1'});
	t.regex(debug.stderr, /^rscm: Unexpected error: .* \[INTERNAL\]\n[^\n]+\nTypeError: [^]*\n\s+at /);
});
