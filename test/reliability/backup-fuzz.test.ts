import {PassThrough} from 'node:stream';
import path from 'node:path';
import test from 'ava';
import type {CommandIo} from '../../source/commands/command-io.ts';
import {runRskeymgmt} from '../../source/commands/rskeymgmt.ts';
import {runCommand} from '../../source/commands/run-cli.ts';
import {formatFuzzReport, runBackupFuzz} from './backup-fuzz.ts';
import {randomGenerator} from './crash-matrix.ts';
import {tempDirectory} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, runCli} from '../helpers/run-cli.ts';

// npm test runs 20,000 mutations (about 10 s); `npm run stress` or FUZZ_COUNT=100000 runs the full 100,000.
const fuzzCount = Number(process.env['FUZZ_COUNT'] ?? 20_000);
const seed = Number(process.env['FUZZ_SEED'] ?? 20_250_301);

test.serial(`${fuzzCount} mutated backup files: every one rejected with a stable code, before the KDF but for a few, in bounded time and memory`, async t => {
	const report = await runBackupFuzz({count: fuzzCount, seed, realKdfSamples: 3});
	t.log(formatFuzzReport(report));
	t.deepEqual(report.failures, []);
	t.is(report.rejected, fuzzCount);
	// Nearly all are refused by the parser: only mutations of the body or of authenticated header values reach the
	// KDF, and none of them is accepted (GCM catches them).
	t.true(report.reachedKdf / fuzzCount < 0.1, `${report.reachedKdf} reached the KDF`);
	t.true(report.realKdfRuns.length > 0, 'some mutations must have been run through the real scrypt');
	for (const run of report.realKdfRuns) t.is(run.code, 'WRONG_PASSWORD');
	// Time: the slowest rejection within a fixed multiple of parsing the largest legitimate backup, measured in this
	// same run; the real-KDF rejections within the parameter caps (at most 4× the written cost).
	t.true(report.maxMs <= 25 * report.baselineMs, `slowest ${report.maxMs} ms vs. baseline ${report.baselineMs} ms`);
	t.true(report.realKdfMaxMs <= 8 * report.realKdfBaselineMs, `real KDF ${report.realKdfMaxMs} ms vs. ${report.realKdfBaselineMs} ms`);
	// Memory: nothing kept per mutation.
	t.true(report.heapGrowthBytes < 16 * 1024 * 1024, `heap grew by ${report.heapGrowthBytes} bytes`);
	for (const kind of ['bit flip', 'truncation', 'edited header line', 'duplicated header line', 'removed header line', 'reordered header lines', 'huge number', 'non-UTF-8 bytes', 'line ends', 'body under another header', 'base64 junk']) {
		t.true((report.perKind[kind]?.count ?? 0) > 0, `no "${kind}" mutation was drawn`);
	}
});

// --- Garbage command lines ------------------------------------------------------------------------------------------

function bufferIo(directory: string): {io: CommandIo; stdout: () => string; stderr: () => string} {
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	let out = '';
	let error = '';
	stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
	stderr.on('data', (chunk: Buffer) => (error += chunk.toString('utf8')));
	const stdin = new PassThrough();
	stdin.end('');
	return {
		io: {
			stdin,
			stdout,
			stderr,
			// Points at a throw-away place: a garbage line must never reach a catalog, but if it did it would be this one.
			env: {RSCM_CATALOG: path.join(directory, 'c.db'), RSCM_INSTANCE_DIR: path.join(directory, 'i')},
			signal: new AbortController().signal,
		},
		stdout: () => out,
		stderr: () => error,
	};
}

const rscmWords = ['init', 'status', 'key', 'backup', 'verify', 'restore', 'change', 'delete-content', 'instance', 'list', 'add', 'remove', 'account', 'datasource', 'set', 'import', 'show', 'catalog', 'copy'];
const rscmOptions = ['--json', '--yes', '-y', '--force', '--file', '-f', '--catalog', '--instance-dir', '--password-stdin', '--password-file', '--reveal', '--name', '--to', '--fingerprint'];
const junk = ['', ' ', '-', '---', '=', '--=', '-=x', '\u0000', '\u001b[2J', 'é', '😀', '%n%s', '$(id)', '`id`', '../..', 'x'.repeat(5000), '--file=', '-ff', '-yy', '--json=true', '--no-json', '-1', '1e9'];

/** A command line that is wrong by construction: at least one option neither rscm nor the command knows. */
function garbageRscm(random: () => number): string[] {
	const argv: string[] = [];
	const length = 1 + Math.floor(random() * 7);
	for (let index = 0; index < length; index++) {
		const roll = random();
		if (roll < 0.4) argv.push(rscmWords[Math.floor(random() * rscmWords.length)]!);
		else if (roll < 0.7) argv.push(rscmOptions[Math.floor(random() * rscmOptions.length)]!);
		else argv.push(junk[Math.floor(random() * junk.length)]!);
	}

	const unknown = random() < 0.5 ? `--${['bogus', 'password', 'pass', 'key', 'verbose', 'frobnicate'][Math.floor(random() * 6)]}` : `-${'qwzxmnbtgkj'[Math.floor(random() * 11)]}`;
	argv.splice(Math.floor(random() * (argv.length + 1)), 0, unknown);
	return argv;
}

const rskeymgmtFlags = ['-e', '-a', '-d', '-s', '-l', '-j', '-r', '-f', '-p', '-m', '-n', '-i', '-t', '-y', '--catalog', '--json'];

function garbageRskeymgmt(random: () => number): string[] {
	const argv: string[] = [];
	const length = Math.floor(random() * 6);
	for (let index = 0; index < length; index++) {
		argv.push(random() < 0.6 ? rskeymgmtFlags[Math.floor(random() * rskeymgmtFlags.length)]! : junk[Math.floor(random() * junk.length)]!);
	}

	argv.splice(Math.floor(random() * (argv.length + 1)), 0, ['-x', '-q', '--bogus', '-P', '-E', '--e'][Math.floor(random() * 6)]!);
	return argv;
}

const stackTrace = /\n\s+at .+:\d+:\d+|node:internal|TypeError|ReferenceError|RangeError/;

test('2,000 garbage rscm command lines (in process): exit 2, usage help, never a stack trace', async t => {
	const directory = await tempDirectory(t);
	const random = randomGenerator(seed);
	let checked = 0;
	for (let index = 0; index < 2000; index++) {
		const argv = garbageRscm(random);
		const {io, stdout, stderr} = bufferIo(directory);
		const code = await runCommand(argv, io);
		const output = stdout() + stderr();
		const shown = JSON.stringify(argv);
		if (code !== 2) return t.fail(`${shown}: exit ${code}\n${output}`);
		if (stackTrace.test(output)) return t.fail(`${shown}: stack trace\n${output}`);
		// Either the general help, or the error with a pointer to the usage.
		if (!/Usage|--help/.test(output)) return t.fail(`${shown}: no usage help\n${output}`);
		if (argv.includes('--json') && !/^\{"error":\{"code":"USAGE"/.test(stdout()) && !/Usage:/.test(stdout())) return t.fail(`${shown}: --json without a JSON error\n${output}`);
		checked++;
	}

	t.is(checked, 2000);
});

test('2,000 garbage rskeymgmt command lines (in process): exit 2 with its help, never a stack trace', async t => {
	const directory = await tempDirectory(t);
	const random = randomGenerator(seed + 1);
	let checked = 0;
	for (let index = 0; index < 2000; index++) {
		const argv = garbageRskeymgmt(random);
		const {io, stdout, stderr} = bufferIo(directory);
		const code = await runRskeymgmt(argv, io);
		const output = stdout() + stderr();
		const shown = JSON.stringify(argv);
		if (code !== 2) return t.fail(`${shown}: exit ${code}\n${output}`);
		if (stackTrace.test(output)) return t.fail(`${shown}: stack trace\n${output}`);
		if (!output.includes('Usage:')) return t.fail(`${shown}: no usage help\n${output}`);
		checked++;
	}

	t.is(checked, 2000);
});

test('garbage command lines through the built binaries: exit 2, usage help, no stack trace', async t => {
	assertBuilt();
	const directory = await tempDirectory(t);
	const env = {RSCM_CATALOG: path.join(directory, 'c.db'), RSCM_INSTANCE_DIR: path.join(directory, 'i')};
	const random = randomGenerator(seed + 2);
	const runs = [
		...Array.from({length: 4}, () => ({bin: 'rscm' as const, argv: garbageRscm(random)})),
		{bin: 'rscm' as const, argv: ['key', 'backup']},
		{bin: 'rscm' as const, argv: ['key', 'backup', '--file', path.join(directory, 'k.snk')]},
		...Array.from({length: 3}, () => ({bin: 'rskeymgmt' as const, argv: garbageRskeymgmt(random)})),
	];
	await Promise.all(
		runs.map(async ({bin, argv}) => {
			const result = await runCli(argv, {bin, env});
			const output = result.stdout + result.stderr;
			t.is(result.code, 2, `${bin} ${JSON.stringify(argv)}: ${output}`);
			t.false(stackTrace.test(output), `${bin} ${JSON.stringify(argv)}: ${output}`);
			t.regex(output, /Usage|--help/, `${bin} ${JSON.stringify(argv)}`);
		}),
	);
});

test('found by the fuzzer: `r: 1` with N = 2^17 (refused by OpenSSL, RFC 7914 needs N < 2^(16r)) is NOT_A_BACKUP before the KDF, not INTERNAL', async t => {
	const {buildCorpus, installScryptSpy} = await import('./backup-fuzz.ts');
	const {decodeBackup} = await import('../../source/core/backup/backup-codec.ts');
	const spy = installScryptSpy();
	try {
		const corpus = await buildCorpus();
		const calls = spy.calls;
		const error = await t.throwsAsync(decodeBackup(corpus.original.replace('\nr: 8\n', '\nr: 1\n'), 'Fuzz!Backup#Pass-2025'));
		t.is((error as {code?: string}).code, 'NOT_A_BACKUP');
		t.is(spy.calls, calls, 'the KDF must not run');
	} finally {
		spy.restore();
	}
});
