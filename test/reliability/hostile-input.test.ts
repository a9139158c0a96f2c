// Hostile and mistaken input through the built CLI (issue 11; README, Commands: the caps): password sources that
// never end (/dev/zero, a FIFO nobody writes to, an 800 MB line), data source input over its caps, and keys typed
// before the no-echo prompt appeared. Each ends with a stable code and no stack trace, reads no more than its cap
// (the child's peak RSS, reported by the child itself, stays far below what it was fed), writes nothing for the bad
// input, and a wait ends at once on SIGINT, SIGTERM or SIGHUP. Needs `npm run build` first (npm test does it).
import {spawn, type ChildProcess} from 'node:child_process';
import {execFileSync} from 'node:child_process';
import {readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync} from 'node:fs';
import {open} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {pathToFileURL} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import {inputLimits} from '../../source/core/input-limits.ts';
import {typeAheadNotice} from '../../source/commands/prompts.ts';
import {assertBuilt, cliPath, collect, parseJson, root, runCli, type CliResult, type JsonError} from '../helpers/run-cli.ts';
import {spawnTerm, type Term} from '../helpers/term.ts';
import {fileTempDirectory, tempDirectory} from '../helpers/temp-dir.ts';

const password = 'Str0ng!Backup#Pass';
const mebibyte = 1024 * 1024;
/** What each hostile input feeds the child: far more than any cap, far less than would make the test slow. */
const hugeBytes = 50 * mebibyte;
/** How much more than the same command on a small input the child's peak RSS may be: far below hugeBytes. */
const rssMargin = 20 * mebibyte;

// Its real path: a file's path is compared with the links in /proc/PID/fd, which are resolved.
const scratch = realpathSync(fileTempDirectory(test, 'rscm-hostile-'));
let rssReporter: string;

test.before(() => {
	assertBuilt();
	// Loaded into the child with --import: it reports the child's own peak RSS as it exits. VmHWM, not getrusage's
	// maxRSS, which on Linux also counts the forking parent's RSS (this test process, holding the 50 MB inputs).
	rssReporter = path.join(scratch, 'report-rss.mjs');
	writeFileSync(
		rssReporter,
		[
			"import {readFileSync, writeFileSync} from 'node:fs';",
			"process.on('exit', () => writeFileSync(process.env.RSCM_TEST_RSS_FILE, /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]));",
			'',
		].join('\n'),
	);
});

type Env = Record<string, string>;

async function deployment(t: ExecutionContext): Promise<{directory: string; env: Env}> {
	const directory = await tempDirectory(t, 'd-', scratch);
	const env = {RSCM_CATALOG: path.join(directory, 'catalog.db'), RSCM_INSTANCE_DIR: path.join(directory, 'instance')};
	const init = await runCli(['init', '--name', 'H'], {env});
	t.is(init.code, 0, init.stderr);
	return {directory, env};
}

type Spawned = {child: ChildProcess; done: Promise<CliResult & {peakRss: number}>};

/**
 * Starts the built rscm with stdin as a pipe, its peak RSS reported on exit. Input written to a child
 * that stopped reading (it refused the input) is dropped: EPIPE on our side is the expected outcome.
 */
function start(args: string[], env: Env, options: {stdin?: string | Buffer} = {}): Spawned {
	const rssFile = path.join(scratch, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
	const childEnv: NodeJS.ProcessEnv = {...process.env};
	for (const name of Object.keys(childEnv)) if (name.startsWith('RSCM_')) delete childEnv[name];
	delete childEnv['NODE_OPTIONS'];
	const child = spawn(process.execPath, ['--import', pathToFileURL(rssReporter).href, cliPath, ...args], {
		cwd: root,
		env: {...childEnv, ...env, RSCM_TEST_RSS_FILE: rssFile},
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	child.stdin!.on('error', () => undefined);
	if (options.stdin !== undefined) child.stdin!.end(options.stdin);
	const done = (async () => {
		const result = await collect(child, 60_000);
		let peakRss = Number.NaN;
		try {
			peakRss = Number(readFileSync(rssFile, 'utf8')) * 1024;
			rmSync(rssFile);
		} catch {
			// Killed before it could report.
		}

		return {...result, peakRss};
	})();
	return {child, done};
}

function jsonError(result: CliResult): JsonError['error'] {
	return parseJson<JsonError>(result).error;
}

function assertNoStackTrace(t: ExecutionContext, result: CliResult): void {
	t.false(/\n\s+at .+:\d+:\d+\)?\n/.test(result.stderr) || /RangeError|TypeError/.test(result.stderr + result.stdout), result.stderr);
}

function assertBoundedMemory(t: ExecutionContext, big: {peakRss: number}, small: {peakRss: number}): void {
	t.true(Number.isFinite(big.peakRss) && Number.isFinite(small.peakRss), 'the child reported its peak RSS');
	t.log(`peak RSS ${(big.peakRss / mebibyte).toFixed(1)} MiB fed ${hugeBytes / mebibyte} MiB; ${(small.peakRss / mebibyte).toFixed(1)} MiB on a small input`);
	t.true(big.peakRss < small.peakRss + rssMargin, `peak RSS ${big.peakRss} bytes against ${small.peakRss} on a small input`);
}

/** Waits until process `pid` has `file` open (so a signal sent now reaches it while it waits on it). */
async function waitUntilOpen(pid: number, file: string): Promise<void> {
	const deadline = Date.now() + 20_000;
	for (;;) {
		try {
			for (const fd of readdirSync(`/proc/${pid}/fd`)) {
				try {
					if (readlinkSync(`/proc/${pid}/fd/${fd}`) === file) return;
				} catch {
					// Closed meanwhile.
				}
			}
		} catch {
			// Not started yet, or gone.
		}

		if (Date.now() > deadline) throw new Error(`process ${pid} never opened ${file}`);
		await delay(20);
	}
}

function fifo(directory: string): string {
	const file = path.join(directory, 'password.fifo');
	execFileSync('mkfifo', [file]);
	return file;
}

// --- --password-file and --password-stdin ----------------------------------------------------------------------

test('--password-file naming a FIFO nobody writes to ends with INPUT_TIMEOUT after its bounded wait', async t => {
	const {directory, env} = await deployment(t);
	const pipe = fifo(directory);
	const started = Date.now();
	const result = await start(['key', 'verify', '--file', path.join(directory, 'k.snk'), '--password-file', pipe, '--json'], env).done;
	t.log(`ended after ${Date.now() - started} ms`);
	t.is(result.code, 1);
	const error = jsonError(result);
	t.is(error.code, 'INPUT_TIMEOUT');
	t.true(error.message.includes(pipe), error.message);
	assertNoStackTrace(t, result);
});

test('--password-file naming a FIFO nobody writes to ends at once on SIGINT, SIGTERM and SIGHUP, with CANCELLED', async t => {
	const {directory, env} = await deployment(t);
	const pipe = fifo(directory);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		const {child, done} = start(['key', 'verify', '--file', path.join(directory, 'k.snk'), '--password-file', pipe, '--json'], env);
		await waitUntilOpen(child.pid!, pipe);
		const sent = Date.now();
		child.kill(signal);
		const result = await done;
		const took = Date.now() - sent;
		t.log(`${signal}: ended ${took} ms after the signal`);
		// Not the 10 s wait running out: the signal ended it (a generous bound, far below the wait).
		t.true(took < 5000, `${signal} took ${took} ms`);
		t.is(result.signal, null, 'the command ended itself rather than being killed by the signal');
		t.not(result.code, 0);
		t.is(jsonError(result).code, 'CANCELLED');
		assertNoStackTrace(t, result);
	}
});

test('--password-file takes the first line of a pipe: a FIFO whose writer comes later, and <(…) as /dev/fd/N', async t => {
	const {directory, env} = await deployment(t);
	const backup = path.join(directory, 'k.snk');
	// `--password-file <(pass show rscm)` as a shell runs it: a pipe on /dev/fd/N, more after the first line. (Node's
	// own 'pipe' stdio is a socket pair, which is refused like any socket.)
	const viaFd = spawn('bash', ['-c', 'exec "$0" "$1" key backup --file "$2" --json --password-file <(printf "%s\\n" "$3" "not the password")', process.execPath, cliPath, backup, password], {
		cwd: root,
		env: {...process.env, ...env},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const backedUp = await collect(viaFd);
	t.is(backedUp.code, 0, backedUp.stdout + backedUp.stderr);

	// A named FIFO whose writer opens it only after rscm waits on it.
	const pipe = fifo(directory);
	const verify = start(['key', 'verify', '--file', backup, '--password-file', pipe, '--json'], env);
	await waitUntilOpen(verify.child.pid!, pipe);
	await delay(500);
	const writer = await open(pipe, 'w');
	await writer.write(`${password}\n`);
	await writer.close();
	const verified = await verify.done;
	t.is(verified.code, 0, verified.stdout + verified.stderr);
});

test('--password-file /dev/zero, /dev/null or a directory is refused before reading, with a clear code', async t => {
	const {directory, env} = await deployment(t);
	const backup = path.join(directory, 'k.snk');
	for (const [file, code] of [['/dev/zero', 'INVALID_INPUT'], ['/dev/null', 'INVALID_INPUT'], [directory, 'IS_A_DIRECTORY']] as const) {
		const result = await start(['key', 'backup', '--file', backup, '--password-file', file, '--json'], env).done;
		t.is(result.code, 1, file);
		const error = jsonError(result);
		t.is(error.code, code, file);
		t.true(error.message.includes(file), error.message);
		// Not read: a reader of /dev/zero would grow without end before failing (620 MB before this fix).
		t.true(result.peakRss < 200 * mebibyte, `${file}: peak RSS ${result.peakRss}`);
	}

	// A first line over the cap is refused, naming the file; the file is not read beyond it.
	const long = path.join(directory, 'long');
	writeFileSync(long, Buffer.alloc(hugeBytes, 'a'));
	const tooLong = await start(['key', 'backup', '--file', backup, '--password-file', long, '--json'], env).done;
	t.is(jsonError(tooLong).code, 'INPUT_TOO_LARGE');
	t.true(jsonError(tooLong).message.includes(long));
	t.true(tooLong.peakRss < 200 * mebibyte, `peak RSS ${tooLong.peakRss}`);
});

test('--password-stdin with a 50 MB line is INPUT_TOO_LARGE, read with bounded memory', async t => {
	const {directory, env} = await deployment(t);
	const args = ['key', 'verify', '--file', path.join(directory, 'missing.snk'), '--password-stdin', '--json'];
	const small = await start(args, env, {stdin: `${password}\n`}).done;
	t.is(jsonError(small).code, 'FILE_NOT_FOUND', 'a short line gets past the password');
	const big = await start(args, env, {stdin: Buffer.alloc(hugeBytes, 'a')}).done;
	t.is(big.code, 1);
	const error = jsonError(big);
	t.is(error.code, 'INPUT_TOO_LARGE');
	t.regex(error.message, /--password-stdin.*1,024 bytes/);
	assertNoStackTrace(t, big);
	assertBoundedMemory(t, big, small);
});

// --- datasource import and set ---------------------------------------------------------------------------------

function importLines(count: number): string {
	return Array.from({length: count}, (_, index) => `${JSON.stringify({name: `DS-${index + 1}`, password: `p-${index + 1}`})}\n`).join('');
}

async function dataSourceNames(env: Env): Promise<string[]> {
	return parseJson<Array<{name: string}>>(await runCli(['datasource', 'list', '--json'], {env})).map(row => row.name);
}

test('datasource import: a 50 MB line is INPUT_TOO_LARGE naming it, read with bounded memory; its batch writes nothing, earlier batches stay', async t => {
	const {env} = await deployment(t);
	const small = await start(['datasource', 'import', '--json'], env, {stdin: importLines(3)}).done;
	t.is(small.code, 0, small.stderr);
	const other = await deployment(t);
	// Lines 1–1000 are the first batch (committed); line 1001 is in the second batch with the huge line 1002.
	const input = Buffer.concat([Buffer.from(importLines(1001)), Buffer.from('{"name":"Huge","password":"'), Buffer.alloc(hugeBytes, 'a'), Buffer.from('"}\n')]);
	const big = await start(['datasource', 'import', '--json'], other.env, {stdin: input}).done;
	t.is(big.code, 1);
	const error = jsonError(big);
	t.is(error.code, 'INPUT_TOO_LARGE');
	t.regex(error.message, /^Line 1002 is over the limit of 256 KiB\. The 1000 data sources of lines 1 to 1000 were imported; nothing from line 1001 on was written\./);
	assertNoStackTrace(t, big);
	assertBoundedMemory(t, big, small);
	const names = await dataSourceNames(other.env);
	t.is(names.length, 1000);
	t.false(names.includes('DS-1001') || names.includes('Huge'));
});

test('datasource import: a value over its cap is INPUT_TOO_LARGE naming the line and the field; nothing of its batch is written', async t => {
	const {env} = await deployment(t);
	const stdin = `${JSON.stringify({name: 'Fine', password: 'p'})}\n${JSON.stringify({name: 'Wide', username: 'u'.repeat(inputLimits.dataSource.username + 1)})}\n`;
	const result = await runCli(['datasource', 'import', '--json'], {env, stdin});
	t.is(result.code, 1);
	const error = jsonError(result);
	t.is(error.code, 'INPUT_TOO_LARGE');
	t.regex(error.message, /^Line 2: Data source field "username" is over the limit of 4 KiB\. Nothing was imported\./);
	t.deepEqual(await dataSourceNames(env), []);
});

test('datasource set: 50 MB of JSON, or a field over its cap, is INPUT_TOO_LARGE with bounded memory; nothing is written', async t => {
	const {env} = await deployment(t);
	const original = {connectionString: 'Server=sql01;Database=Sales', username: 'rs', password: 'Sales-Pw-1'};
	const small = await start(['datasource', 'set', 'Sales', '--json'], env, {stdin: JSON.stringify(original)}).done;
	t.is(small.code, 0, small.stderr);

	const huge = Buffer.concat([Buffer.from('{"password":"'), Buffer.alloc(hugeBytes, 'a'), Buffer.from('"}')]);
	const big = await start(['datasource', 'set', 'Sales', '--json'], env, {stdin: huge}).done;
	t.is(big.code, 1);
	const error = jsonError(big);
	t.is(error.code, 'INPUT_TOO_LARGE');
	t.regex(error.message, /^The JSON on stdin is over the limit of 256 KiB/);
	assertNoStackTrace(t, big);
	assertBoundedMemory(t, big, small);

	for (const field of ['connectionString', 'username', 'password'] as const) {
		const value = 'x'.repeat(inputLimits.dataSource[field] + 1);
		for (const name of ['Sales', 'New']) {
			const result = await runCli(['datasource', 'set', name, '--json'], {env, stdin: JSON.stringify({[field]: value})});
			t.is(jsonError(result).code, 'INPUT_TOO_LARGE');
			t.true(jsonError(result).message.includes(`"${field}"`), jsonError(result).message);
		}
	}

	t.deepEqual(await dataSourceNames(env), ['Sales']);
	t.deepEqual(parseJson(await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env})), {name: 'Sales', ...original, needsReentry: []});
});

// --- The no-echo prompt in a pseudo-terminal -------------------------------------------------------------------

function openPrompt(t: ExecutionContext, env: Env, args: string[]): Term {
	const term = spawnTerm(process.execPath, [cliPath, ...args], {env});
	t.teardown(() => term.dispose());
	return term;
}

async function verifies(env: Env, file: string, candidate: string): Promise<string> {
	const result = await runCli(['key', 'verify', '--file', file, '--password-stdin', '--json'], {env, stdin: `${candidate}\n`});
	return result.code === 0 ? 'OK' : jsonError(result).code;
}

test('keys typed before the no-echo prompt appeared are discarded, with a notice, and never become the password', async t => {
	const {directory, env} = await deployment(t);
	const file = path.join(directory, 'k.snk');
	const term = openPrompt(t, env, ['key', 'backup', '--file', file]);
	// At once, while rscm is still starting: the terminal holds the line until a program reads it.
	const typedAhead = 'Typed-Ahead1!';
	term.type(`${typedAhead}\r`);
	await term.waitForText('Password:');
	await term.waitForText(typeAheadNotice);
	await delay(100);
	term.type(`${password}\r`);
	await term.waitForText('Confirm Password:');
	term.type(`${password}\r`);
	const exit = await term.exit;
	t.is(exit.exitCode, 0, term.screen());
	t.is(await verifies(env, file, password), 'OK');
	t.is(await verifies(env, file, typedAhead), 'WRONG_PASSWORD');
	// Nothing typed is shown by rscm: the password nowhere, the type-ahead not after the prompt appeared (before it,
	// the terminal itself echoed it while rscm was starting, as it does for sudo).
	const raw = term.rawOutput();
	t.false(raw.includes(password));
	t.false(raw.slice(raw.indexOf('Password:')).includes(typedAhead));
	t.false(term.screen().includes(password));
});

test('keys typed after Enter, before "Confirm Password:" appeared, are discarded and never reach the screen', async t => {
	const {directory, env} = await deployment(t);
	const file = path.join(directory, 'k.snk');
	const term = openPrompt(t, env, ['key', 'backup', '--file', file]);
	await term.waitForText('Password:');
	await delay(100);
	// One read: the password, its Enter, then keys meant for the next prompt that arrive before it exists.
	const early = 'Early-Keys9!';
	term.type(`${password}\r${early}`);
	await term.waitForText('Confirm Password:');
	t.true(term.screen().includes(`Password: \n${typeAheadNotice}\nConfirm Password:`), term.screen());
	await delay(100);
	term.type(`${password}\r`);
	const exit = await term.exit;
	t.is(exit.exitCode, 0, term.screen());
	t.false(term.rawOutput().includes(early), 'never on the screen');
	t.false(term.rawOutput().includes(password));
	t.is(await verifies(env, file, password), 'OK');
});

test('SIGTERM at the no-echo prompt ends it at once with CANCELLED', async t => {
	const {directory, env} = await deployment(t);
	const term = openPrompt(t, env, ['key', 'backup', '--file', path.join(directory, 'k.snk')]);
	await term.waitForText('Password:');
	term.type('half-typed');
	await delay(100);
	term.kill('SIGTERM');
	const exit = await Promise.race([term.exit, delay(10_000).then(() => undefined)]);
	t.truthy(exit, 'the prompt ended');
	t.not(exit!.exitCode, 0);
	await term.waitForText('[CANCELLED]');
	t.false(term.rawOutput().includes('half-typed'));
});
