// The password sources (source/commands/prompts.ts) on their own: --password-file takes one short line of a regular
// file or a pipe, refuses devices and directories before reading, and never waits for ever on a FIFO; the no-echo
// prompt turns echo off before it writes anything, discards what was typed before it appeared, and stops on a signal.
// The same behaviour through the built CLI is in test/reliability/hostile-input.test.ts.
import {execFileSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {open} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import test from 'ava';
import type {CommandIo} from '../../source/commands/command-io.ts';
import {readPassword, readPasswordFile, typeAheadNotice} from '../../source/commands/prompts.ts';
import {inputLimits} from '../../source/core/input-limits.ts';
import {tempDirectory} from '../helpers/temp-dir.ts';

test('--password-file: the first line of a regular file, at most the cap, never what follows it', async t => {
	const directory = await tempDirectory(t, 'rscm-prompts-');
	const file = path.join(directory, 'pw');
	writeFileSync(file, 'Str0ng!Backup#Pass\r\nsecond line\n');
	t.is(await readPasswordFile(file), 'Str0ng!Backup#Pass');
	writeFileSync(file, 'a'.repeat(inputLimits.password));
	t.is(await readPasswordFile(file), 'a'.repeat(inputLimits.password));
	writeFileSync(file, `${'a'.repeat(inputLimits.password)}\r\n${'b'.repeat(10_000_000)}`);
	t.is(await readPasswordFile(file), 'a'.repeat(inputLimits.password));
	writeFileSync(file, `${'a'.repeat(inputLimits.password + 1)}\n`);
	await t.throwsAsync(readPasswordFile(file), {code: 'INPUT_TOO_LARGE', message: new RegExp(`--password-file ${file} is over the limit of 1,024 bytes`)});
	writeFileSync(file, '');
	t.is(await readPasswordFile(file), '');
});

test('--password-file: devices and directories are refused before they are read; a missing file is FILE_NOT_FOUND', async t => {
	await t.throwsAsync(readPasswordFile('/dev/zero'), {code: 'INVALID_INPUT', message: /\/dev\/zero is a character device/});
	await t.throwsAsync(readPasswordFile('/dev/null'), {code: 'INVALID_INPUT'});
	await t.throwsAsync(readPasswordFile(os.tmpdir()), {code: 'IS_A_DIRECTORY'});
	await t.throwsAsync(readPasswordFile(path.join(await tempDirectory(t, 'rscm-prompts-'), 'missing')), {code: 'FILE_NOT_FOUND'});
});

test('--password-file: a FIFO is read once a writer comes; with none, INPUT_TIMEOUT after the wait; an abort ends the wait at once', async t => {
	const fifo = path.join(await tempDirectory(t, 'rscm-prompts-'), 'fifo');
	execFileSync('mkfifo', [fifo]);

	// A writer that comes after the reader: the open for writing waits for the reader, then writes.
	const reading = readPasswordFile(fifo);
	const writer = await open(fifo, 'w');
	await writer.write('From-The-Fifo1!\nignored\n');
	await writer.close();
	t.is(await reading, 'From-The-Fifo1!');

	await t.throwsAsync(readPasswordFile(fifo, {writerWaitMs: 200}), {code: 'INPUT_TIMEOUT', message: /within 0\.2 s/});

	const controller = new AbortController();
	const waiting = readPasswordFile(fifo, {signal: controller.signal});
	setTimeout(() => {
		controller.abort();
	}, 100);
	await t.throwsAsync(waiting, {code: 'CANCELLED'});

	// A writer that holds the pipe open without writing (a program still asking for its passphrase) is waited for,
	// past the writer wait, until it writes.
	const slow = readPasswordFile(fifo, {writerWaitMs: 100});
	const holder = await open(fifo, 'w');
	await new Promise(resolve => setTimeout(resolve, 400));
	await holder.write('Late-Line1!\n');
	t.is(await slow, 'Late-Line1!');
	await holder.close();
});

type FakeTerminal = {io: CommandIo; stdin: PassThrough; events: string[]; stderr: () => string; abort: () => void};

/** A terminal as readPassword sees it: stdin with isTTY and setRawMode, each call and write logged in order. */
function fakeTerminal(): FakeTerminal {
	const events: string[] = [];
	const stdin = Object.assign(new PassThrough(), {
		isTTY: true,
		setRawMode(mode: boolean) {
			events.push(`raw ${mode}`);
		},
	});
	let error = '';
	const stderr = new PassThrough();
	stderr.on('data', (chunk: Buffer) => {
		events.push(`write ${chunk.toString('utf8')}`);
		error += chunk.toString('utf8');
	});
	const controller = new AbortController();
	return {
		io: {stdin, stdout: new PassThrough(), stderr, env: {}, signal: controller.signal},
		stdin,
		events,
		stderr: () => error,
		abort: () => {
			controller.abort();
		},
	};
}

const tick = async () => new Promise(resolve => setImmediate(resolve));

test('the prompt turns echo off before writing, discards type-ahead with a notice, and echoes nothing typed', async t => {
	const terminal = fakeTerminal();
	// Typed before the prompt appeared (and maybe echoed by the terminal): not the password.
	terminal.stdin.write('typed-too-early\r');
	const reading = readPassword(terminal.io, {}, 'Password: ', 'Confirm Password: ');
	await tick();
	t.is(terminal.events[0], 'raw true', 'raw mode comes before the first write');
	t.true(terminal.stderr().startsWith(`${typeAheadNotice}\nPassword: `));
	// The password, then (in the same read, before Confirm Password appeared) keys meant for something else.
	terminal.stdin.write('Real-Pass1!\rearly-confirm');
	await tick();
	t.regex(terminal.stderr(), new RegExp(`Password: \\n${typeAheadNotice.replaceAll(/[()]/g, '\\$&')}\\nConfirm Password: $`));
	terminal.stdin.write('Real-x\u007fPass1!y\u007f\r');
	t.deepEqual(await reading, {password: 'Real-Pass1!', confirm: 'Real-Pass1!'});
	t.false(/Real|typed-too-early|early-confirm|\*/.test(terminal.stderr()), 'nothing typed is written');
	t.is(terminal.events.at(-1), 'raw false', 'raw mode is left once, after the last line');
	t.is(terminal.events.filter(event => event.startsWith('raw')).length, 2, 'echo stays off between the two prompts');
});

test('no notice when nothing was typed ahead; Ctrl+U erases; UTF-8 split across reads; over the cap is INPUT_TOO_LARGE', async t => {
	const terminal = fakeTerminal();
	const reading = readPassword(terminal.io, {}, 'Password: ');
	await tick();
	t.is(terminal.stderr(), 'Password: ');
	const euro = Buffer.from('€');
	terminal.stdin.write('wrong\u0015P');
	await tick();
	terminal.stdin.write(euro.subarray(0, 1));
	await tick();
	terminal.stdin.write(Buffer.concat([euro.subarray(1), Buffer.from('ss1!\r')]));
	t.deepEqual(await reading, {password: 'P€ss1!', confirm: undefined});

	const long = fakeTerminal();
	const tooLong = readPassword(long.io, {}, 'Password: ');
	await tick();
	long.stdin.write('a'.repeat(inputLimits.password + 1));
	await t.throwsAsync(tooLong, {code: 'INPUT_TOO_LARGE'});
	t.is(long.events.at(-1), 'raw false');
});

test('Ctrl+C and a termination signal end the prompt with CANCELLED and leave raw mode', async t => {
	const terminal = fakeTerminal();
	const reading = readPassword(terminal.io, {}, 'Password: ');
	await tick();
	terminal.stdin.write('abc\u0003');
	await t.throwsAsync(reading, {code: 'CANCELLED'});
	t.is(terminal.events.at(-1), 'raw false');

	const signalled = fakeTerminal();
	const waiting = readPassword(signalled.io, {}, 'Password: ', 'Confirm Password: ');
	await tick();
	signalled.abort();
	await t.throwsAsync(waiting, {code: 'CANCELLED'});
	t.is(signalled.events.at(-1), 'raw false');
	t.false(signalled.stderr().includes('Confirm'));
});

test('--password-stdin reads one line of at most the cap; the rest of stdin stays for the command', async t => {
	const terminal = fakeTerminal();
	Object.assign(terminal.stdin, {isTTY: false});
	terminal.stdin.end(`${'p'.repeat(inputLimits.password)}\nrest\n`);
	t.deepEqual(await readPassword(terminal.io, {passwordStdin: true}, 'Password: '), {password: 'p'.repeat(inputLimits.password), confirm: undefined});

	const over = fakeTerminal();
	over.stdin.end(`${'p'.repeat(inputLimits.password + 1)}\n`);
	await t.throwsAsync(readPassword(over.io, {passwordStdin: true}, 'Password: '), {code: 'INPUT_TOO_LARGE', message: /--password-stdin/});
	t.false(over.events.some(event => event.startsWith('raw')), 'stdin is not put in raw mode');
});
